//! BUNDLE (RFC 9143) offer/answer on the examples of §7.2.2, §7.3.4 and
//! §18 (extracted by `tests/vectors/extract.py`): our answer to each
//! published offer agrees with the published answer on the BUNDLE rules
//! (tagged m-line, one address:port for the group, BUNDLE attributes on the
//! tagged m-line only, the `group:BUNDLE` list), and the published answers
//! pass `negotiate` with every bundled m-line sharing the tagged transport.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, OfferAnswer, StreamConfig, build_answer, build_offer, negotiate,
};
use rtclite_sdp::{Group, NegotiationError, OwnedSessionDescription, SessionDescription};

fn load(name: &str) -> OwnedSessionDescription {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("rfc9143_{name}.sdp"));
    SessionDescription::parse(&std::fs::read(p).unwrap())
        .unwrap()
        .into_owned()
}

fn parse(text: &str) -> OwnedSessionDescription {
    SessionDescription::parse(text.as_bytes())
        .unwrap()
        .into_owned()
}

/// Bob of the RFC's examples: PCMU audio and MPV video at 20000.
fn bob() -> EndpointConfig {
    EndpointConfig::new("bob", 2808844564, "2001:db8::1")
        .with_stream(
            StreamConfig::new("audio", "RTP/AVP", 20000)
                .with_codec(Codec::new(0, "PCMU", 8000))
                .with_rtcp_mux(),
        )
        .with_stream(
            StreamConfig::new("video", "RTP/AVP", 20002)
                .with_codec(Codec::new(32, "MPV", 90000))
                .with_rtcp_mux(),
        )
}

fn group(sdp: &SessionDescription<'_>) -> Option<String> {
    sdp.typed::<Group<'_>>()
        .filter_map(Result::ok)
        .find(|g| g.semantics == "BUNDLE")
        .map(|g| g.tags.to_owned())
}

/// §18.1: the answerer selects the audio m-line as offerer-tagged and gives
/// both m-lines the answerer BUNDLE address:port.
#[test]
fn rfc9143_18_1_tagged_m_section_selection() {
    let offer = load("18.1_offer1");
    let published = load("18.1_answer2");
    let ours = build_answer(&offer, &bob(), 2808844564).unwrap();
    // [RFC 9143 §7.3 test] "Assign the answerer BUNDLE address:port to the
    // answerer-tagged "m=" section and to every other bundled "m=" section
    // within the BUNDLE group"
    for a in [&ours, &published] {
        assert_eq!(group(a).as_deref(), Some("foo bar"));
        assert_eq!((a.media[0].port, a.media[1].port), (20000, 20000));
    }
    assert_eq!(ours.media[0].formats, published.media[0].formats);
    assert_eq!(ours.media[1].formats, published.media[1].formats);
    // [RFC 9143 §7.1.3 test] "The offerer and answerer MUST NOT include such
    // attributes in any other bundled "m=" section."
    for a in [&ours, &published] {
        assert!(a.media[0].has_attribute("rtcp-mux"));
        assert!(!a.media[1].has_attribute("rtcp-mux"));
    }
    // The published answer, seen from Alice: video goes to the audio port.
    let agreed = negotiate(&offer, &published, true).unwrap();
    for m in &agreed.media {
        assert!(m.accepted);
        assert_eq!(m.bundle, Some(0));
        assert_eq!(
            m.remote_rtp,
            Some(("2001:db8::1".to_owned(), 20000)),
            "m-line {}",
            m.index
        );
        assert!(m.rtcp_mux);
    }
    // And from Bob, with our answer: both go to the offerer-tagged 10000.
    let agreed = negotiate(&offer, &ours, false).unwrap();
    assert!(
        agreed
            .media
            .iter()
            .all(|m| m.remote_rtp == Some(("2001:db8::3".to_owned(), 10000)))
    );
}

/// §7.2.2 (second offer): a bundle-only video m-line with port 0 is
/// accepted inside the group, not taken for a removed stream.
#[test]
fn rfc9143_7_2_2_bundle_only_is_accepted_in_the_group() {
    let offer = load("7.2.2_2");
    assert_eq!(offer.media[1].port, 0);
    let ours = build_answer(&offer, &bob(), 1).unwrap();
    assert_eq!(group(&ours).as_deref(), Some("foo bar"));
    assert_eq!(ours.media[1].port, 20000);
    // [RFC 9143 §7.3.2 test] "MUST NOT include an SDP 'bundle-only'
    // attribute to the "m=" section."
    assert!(!ours.media[1].has_attribute("bundle-only"));
    let agreed = negotiate(&offer, &ours, true).unwrap();
    assert!(agreed.media[1].accepted);
    assert_eq!(agreed.media[1].bundle, Some(0));
    // The §7.3.4 answer to the first §7.2.2 offer passes too.
    negotiate(&load("7.2.2"), &load("7.3.4"), true).unwrap();
}

/// When the first tag names an m-line the answerer rejects, the next tag
/// becomes the offerer-tagged m-line (§7.3.1).
#[test]
fn rejected_first_tag_moves_the_tag_to_the_next_m_line() {
    let offer = load("18.1_offer1");
    let video_only = EndpointConfig::new("bob", 1, "2001:db8::1").with_stream(
        StreamConfig::new("video", "RTP/AVP", 30000)
            .with_codec(Codec::new(32, "MPV", 90000))
            .with_rtcp_mux(),
    );
    let ours = build_answer(&offer, &video_only, 1).unwrap();
    // [RFC 9143 §7.3.1 test] "the answerer MUST pick the next
    // identification-tag in the identification-tag list in the offer"
    assert_eq!(group(&ours).as_deref(), Some("bar"));
    assert_eq!((ours.media[0].port, ours.media[1].port), (0, 30000));
    assert!(ours.media[1].has_attribute("rtcp-mux"));
    let agreed = negotiate(&offer, &ours, true).unwrap();
    assert_eq!(agreed.media[1].bundle, Some(1));
}

/// No m-line can be tagged: no group, and a bundle-only m-line, which may
/// not leave the group, is rejected.
#[test]
fn no_taggable_m_line_means_no_group_and_bundle_only_rejected() {
    let offer = load("7.2.2_2");
    let video_only = EndpointConfig::new("bob", 1, "2001:db8::1").with_stream(
        StreamConfig::new("video", "RTP/AVP", 30000).with_codec(Codec::new(32, "MPV", 90000)),
    );
    let ours = build_answer(&offer, &video_only, 1).unwrap();
    // [RFC 9143 §7.3.1 test] "If there are no more identification-tags in the
    // identification-tag list, the answerer MUST NOT create the BUNDLE group."
    assert_eq!(group(&ours), None);
    assert_eq!((ours.media[0].port, ours.media[1].port), (0, 0));
}

/// A bundle-only attribute outside any BUNDLE group is discarded: the
/// port-0 m-line is a removed stream.
#[test]
fn bundle_only_outside_a_group_is_discarded() {
    let offer = parse(
        "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
         m=audio 10000 RTP/AVP 0\r\na=mid:foo\r\n\
         m=video 0 RTP/AVP 32\r\na=mid:bar\r\na=bundle-only\r\n",
    );
    let ours = build_answer(&offer, &bob(), 1).unwrap();
    // [RFC 9143 §6 test] "the offerer or answerer MUST discard the attribute"
    assert_eq!(ours.media[1].port, 0);
    assert_eq!(group(&ours), None);
}

fn answer_with(text_after_group: &str) -> OwnedSessionDescription {
    parse(&format!(
        "v=0\r\no=bob 1 1 IN IP6 2001:db8::1\r\ns=\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n{text_after_group}"
    ))
}

#[test]
fn negotiate_rejects_answers_that_break_the_bundle_rules() {
    let offer = load("18.1_offer1");
    // A mid the offer did not bundle.
    let a = answer_with(
        "a=group:BUNDLE foo baz\r\nm=audio 20000 RTP/AVP 0\r\na=mid:foo\r\na=rtcp-mux\r\n\
         m=video 20000 RTP/AVP 32\r\na=mid:baz\r\n",
    );
    // [RFC 9143 §7.4 test] "the offerer MUST check that any bundled "m="
    // section in the answer was indicated as bundled in the corresponding
    // offer (for the same BUNDLE group)"
    assert!(matches!(
        negotiate(&offer, &a, true),
        Err(NegotiationError::Bundle {
            section: "§7.4",
            ..
        })
    ));
    // Two ports in one group.
    let a = answer_with(
        "a=group:BUNDLE foo bar\r\nm=audio 20000 RTP/AVP 0\r\na=mid:foo\r\na=rtcp-mux\r\n\
         m=video 20002 RTP/AVP 32\r\na=mid:bar\r\n",
    );
    assert!(matches!(
        negotiate(&offer, &a, true),
        Err(NegotiationError::Bundle {
            section: "§7.3",
            ..
        })
    ));
    // rtcp-mux offered but not accepted by the tagged m-line.
    let a = answer_with(
        "a=group:BUNDLE foo bar\r\nm=audio 20000 RTP/AVP 0\r\na=mid:foo\r\n\
         m=video 20000 RTP/AVP 32\r\na=mid:bar\r\n",
    );
    // [RFC 9143 §9.3.1.3 test] "It is considered a protocol error if the
    // answerer has not accepted the usage of RTP/RTCP multiplexing"
    assert!(matches!(
        negotiate(&offer, &a, true),
        Err(NegotiationError::Bundle {
            section: "§9.3.1.3",
            ..
        })
    ));
}

/// Every §18 offer answered by our engine: the group of the answer lists
/// exactly the live bundled m-lines, tagged first, all on one port.
#[test]
fn rfc9143_18_offers_answered_with_one_port_per_group() {
    for name in ["18.1", "18.2", "18.3", "18.4", "18.5"] {
        let offer = load(&format!("{name}_offer1"));
        let published = load(&format!("{name}_answer2"));
        // Bob with H261 too, so that no m-line of the examples is rejected.
        let mut config = bob();
        config.streams[1] = config.streams[1]
            .clone()
            .with_codec(Codec::new(31, "H261", 90000));
        let ours = build_answer(&offer, &config, 1).unwrap();
        assert_eq!(ours.media.len(), offer.media.len(), "{name}");
        if name == "18.2" {
            // The published answerer declines BUNDLE (§18.2); ours takes it.
            assert_eq!(group(&published), None);
            assert_eq!(group(&ours).as_deref(), Some("foo bar"));
        } else {
            assert_eq!(group(&ours), group(&published), "{name}");
        }
        let tags = group(&ours).unwrap_or_default();
        let ports: Vec<u16> = tags
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(|t| ours.media.iter().find(|m| m.mid() == Some(t)).unwrap().port)
            .collect();
        assert!(ports.windows(2).all(|w| w[0] == w[1]), "{name}: {ports:?}");
        // The published answer is accepted, and so is ours.
        negotiate(&offer, &published, true).unwrap_or_else(|e| panic!("{name}: {e}"));
        negotiate(&offer, &ours, true).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Our offerer: the initial BUNDLE offer has unique ports, a mid and
/// rtcp-mux on every m-line, and the group; after the answer, a subsequent
/// offer puts every bundled m-line on the tagged address:port.
#[test]
fn bundle_offerer_initial_and_subsequent_offers() {
    let alice = EndpointConfig::new("alice", 1, "192.0.2.1")
        .with_bundle()
        .with_stream(
            StreamConfig::new("audio", "RTP/AVP", 10000)
                .with_codec(Codec::new(0, "PCMU", 8000))
                .with_ice("8hhY", "asd88fgpdd777uzjYhagZg"),
        )
        .with_stream(
            StreamConfig::new("video", "RTP/AVP", 10002)
                .with_codec(Codec::new(32, "MPV", 90000))
                .with_ice("8hhY", "asd88fgpdd777uzjYhagZg"),
        );
    let offer = build_offer(&alice, 1).unwrap();
    // [RFC 9143 §9.3.1.1 test] "the offerer MUST include an SDP 'rtcp-mux'
    // attribute [RFC5761] in each bundled "m=" section"
    assert!(offer.media.iter().all(|m| m.has_attribute("rtcp-mux")));
    assert_eq!(group(&offer).as_deref(), Some("0 1"));
    assert_eq!((offer.media[0].port, offer.media[1].port), (10000, 10002));

    let mut a = OfferAnswer::new(alice, 1);
    let mut b = OfferAnswer::new(bob(), 1);
    let offer = a.create_offer().unwrap();
    let answer = b.receive_offer(&offer).unwrap();
    assert_eq!(group(&answer).as_deref(), Some("0 1"));
    let agreed = a.receive_answer(&answer).unwrap();
    assert_eq!(agreed.media[1].bundle, Some(0));
    assert_eq!(
        agreed.media[1].remote_rtp,
        Some(("2001:db8::1".to_owned(), 20000))
    );
    // Subsequent offer (hold the video): shared port, BUNDLE attributes on
    // the tagged m-line only.
    a.hold(1).unwrap();
    let offer = a.create_offer().unwrap();
    // [RFC 9143 §7.5 test] "Assign a BUNDLE address:port (previously
    // negotiated or newly suggested) to the offerer-tagged "m=" section and
    // to every other bundled "m=" section within the BUNDLE group"
    assert_eq!((offer.media[0].port, offer.media[1].port), (10000, 10000));
    assert!(offer.media[0].has_attribute("ice-ufrag"));
    assert!(!offer.media[1].has_attribute("ice-ufrag"));
    assert!(!offer.media[1].has_attribute("rtcp-mux"));
    assert_eq!(group(&offer).as_deref(), Some("0 1"));
    let answer = b.receive_offer(&offer).unwrap();
    let agreed = a.receive_answer(&answer).unwrap();
    assert!(agreed.media.iter().all(|m| m.bundle == Some(0)));
}

/// In a later offer the offerer-tagged m-line cannot be rejected by the
/// answerer (§7.3.3): the engine refuses to answer rather than move the tag.
#[test]
fn later_offer_with_unacceptable_tagged_m_line_is_refused() {
    let alice = EndpointConfig::new("alice", 1, "192.0.2.1")
        .with_bundle()
        .with_stream(
            StreamConfig::new("audio", "RTP/AVP", 10000).with_codec(Codec::new(0, "PCMU", 8000)),
        )
        .with_stream(
            StreamConfig::new("video", "RTP/AVP", 10002).with_codec(Codec::new(32, "MPV", 90000)),
        );
    let mut a = OfferAnswer::new(alice, 1);
    let mut b = OfferAnswer::new(bob(), 1);
    let offer = a.create_offer().unwrap();
    let answer = b.receive_offer(&offer).unwrap();
    a.receive_answer(&answer).unwrap();
    // Alice now offers only a codec Bob lacks on the tagged audio m-line.
    a.update_stream(
        0,
        StreamConfig::new("audio", "RTP/AVP", 10000).with_codec(Codec::new(8, "PCMA", 8000)),
    )
    .unwrap();
    let offer = a.create_offer().unwrap();
    // [RFC 9143 §7.3.3 test] "In the corresponding offer (subsequent), the
    // "m=" section is the offerer-tagged "m=" section."
    assert!(matches!(
        b.receive_offer(&offer),
        Err(NegotiationError::Bundle {
            section: "§7.3.3",
            ..
        })
    ));
}
