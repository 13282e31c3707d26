//! The offerer side of `bundle-only` (RFC 9143 §6, §7.2, §7.4, §7.5): our
//! offers mark m-lines bundle-only, and answers to them — from our own
//! answerer, from the RFC's published answer, from an answerer without
//! BUNDLE, and in a browser's answer shape — are processed into what
//! became of each such m-line.
//!
//! The RFC's offer and answer (§7.2.2, §7.3.4) are the vectors extracted
//! by `tests/vectors/extract.py`; our offerer and answerer reproduce both
//! byte for byte.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::offer_answer::{
    BundleOnlyOutcome, Codec, EndpointConfig, OfferAnswer, StreamConfig, build_answer, build_offer,
    negotiate,
};
use rtclite_sdp::{
    Attribute, Group, NegotiationError, OwnedSessionDescription, SessionDescription,
};

fn vector(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("rfc9143_{name}.sdp"));
    std::fs::read(p).unwrap()
}

fn parse(text: &[u8]) -> OwnedSessionDescription {
    SessionDescription::parse(text).unwrap().into_owned()
}

fn group(sdp: &SessionDescription<'_>) -> Option<String> {
    sdp.typed::<Group<'_>>()
        .filter_map(Result::ok)
        .find(|g| g.semantics == "BUNDLE")
        .map(|g| g.tags.to_owned())
}

const MID_EXTMAP: &str = "1 urn:ietf:params:rtp-hdrext:sdes:mid";

/// Alice of RFC 9143 §7.2.2: PCMU, PCMA and iLBC audio (offerer-tagged),
/// H261 and MPV video marked bundle-only.
fn alice() -> EndpointConfig {
    EndpointConfig::new("alice", 2890844526, "2001:db8::3")
        .with_session_name("")
        .with_bundle()
        .with_stream(
            StreamConfig::new("audio", "RTP/AVP", 10000)
                .with_bandwidth("AS", 200)
                .with_attribute(Attribute::new("mid", "foo"))
                .with_rtcp_mux()
                .with_codec(Codec::new(0, "PCMU", 8000))
                .with_codec(Codec::new(8, "PCMA", 8000))
                .with_codec(Codec::new(97, "iLBC", 8000))
                .with_attribute(Attribute::new("extmap", MID_EXTMAP)),
        )
        .with_stream(
            StreamConfig::new("video", "RTP/AVP", 10002)
                .with_bandwidth("AS", 1000)
                .with_attribute(Attribute::new("mid", "bar"))
                // Asked for, but a bundle-only m-line carries no BUNDLE
                // attribute: the offer leaves it out.
                .with_rtcp_mux()
                .with_codec(Codec::new(31, "H261", 90000))
                .with_codec(Codec::new(32, "MPV", 90000))
                .with_attribute(Attribute::new("extmap", MID_EXTMAP))
                .with_bundle_only(),
        )
}

/// Bob of RFC 9143 §7.3.4: PCMU audio and MPV video at 20000.
fn bob() -> EndpointConfig {
    EndpointConfig::new("bob", 2808844564, "2001:db8::1")
        .with_session_name("")
        .with_stream(
            StreamConfig::new("audio", "RTP/AVP", 20000)
                .with_bandwidth("AS", 200)
                .with_rtcp_mux()
                .with_codec(Codec::new(0, "PCMU", 8000))
                .with_attribute(Attribute::new("extmap", MID_EXTMAP)),
        )
        .with_stream(
            StreamConfig::new("video", "RTP/AVP", 20002)
                .with_bandwidth("AS", 1000)
                .with_rtcp_mux()
                .with_codec(Codec::new(32, "MPV", 90000))
                .with_attribute(Attribute::new("extmap", MID_EXTMAP)),
        )
}

/// §7.2.2, second offer: our offerer writes the published bundle-only
/// offer byte for byte, from `build_offer` and from `OfferAnswer`.
#[test]
fn rfc9143_7_2_2_bundle_only_offer_byte_for_byte() {
    let published = vector("7.2.2_2");
    let ours = build_offer(&alice(), 2890844526).unwrap();
    assert_eq!(
        ours.to_string(),
        String::from_utf8(published.clone()).unwrap()
    );
    let mut a = OfferAnswer::new(alice(), 2890844526);
    assert_eq!(a.create_offer().unwrap().to_string().as_bytes(), published);
    // [RFC 9143 §7.2 test] "Assign a zero port value to the "m=" section."
    assert_eq!(ours.media[1].port, 0);
    assert!(ours.media[1].has_attribute("bundle-only"));
    // [RFC 9143 §7.2.1 test] "The offerer MUST NOT suggest a bundle-only "m="
    // section as the offerer-tagged "m=" section."
    assert_eq!(group(&ours).as_deref(), Some("foo bar"));
    // [RFC 9143 §9.3.1.1 test] "the offerer MUST include an SDP 'rtcp-mux'
    // attribute [RFC5761] in each bundled "m=" section (excluding any
    // bundle-only "m=" sections)"
    assert!(ours.media[0].has_attribute("rtcp-mux"));
    assert!(!ours.media[1].has_attribute("rtcp-mux"));
}

/// §7.3.4: our answerer answers our bundle-only offer with the published
/// answer, byte for byte; the offerer then has the video live on the
/// answerer BUNDLE address:port.
#[test]
fn rfc9143_7_3_4_answer_to_our_bundle_only_offer_byte_for_byte() {
    let offer = build_offer(&alice(), 2890844526).unwrap();
    let published = vector("7.3.4");
    let ours = build_answer(&offer, &bob(), 2808844564).unwrap();
    assert_eq!(
        ours.to_string(),
        String::from_utf8(published.clone()).unwrap()
    );

    let published = parse(&published);
    let agreed = negotiate(&offer, &published, true).unwrap();
    let video = &agreed.media[1];
    // [RFC 9143 §7.4 test] "the offerer MUST apply the properties (BUNDLE
    // address:port, BUNDLE attributes, etc.) of the offerer-tagged "m="
    // section (selected by the answerer; see Section 7.3.1) to each bundled
    // "m=" section within the BUNDLE group"
    assert!(video.accepted);
    assert_eq!(video.bundle_only, Some(BundleOnlyOutcome::Bundled));
    assert_eq!(video.bundle, Some(0));
    assert_eq!(video.remote_rtp, Some(("2001:db8::1".to_owned(), 20000)));
    assert_eq!(video.remote_rtcp, Some(("2001:db8::1".to_owned(), 20000)));
    assert!(video.rtcp_mux);
    assert_eq!(video.codecs[0].encoding_name, "MPV");
    assert_eq!(agreed.media[0].bundle_only, None);
    // Bob's view of the same exchange: video goes to Alice's tagged port.
    let agreed = negotiate(&offer, &published, false).unwrap();
    assert_eq!(
        agreed.media[1].bundle_only,
        Some(BundleOnlyOutcome::Bundled)
    );
    assert_eq!(
        agreed.media[1].remote_rtp,
        Some(("2001:db8::3".to_owned(), 10000))
    );
}

/// An answerer that does not support BUNDLE answers the port-0 m-line
/// with port 0 (RFC 3264 §8.2) and writes no group: the bundle-only video
/// is rejected, the audio is a normal stream. The answer is the §18.2 one
/// (BUNDLE rejected) with the video answered as RFC 3264 requires of a
/// port-0 offer.
#[test]
fn answerer_without_bundle_rejects_the_bundle_only_m_line() {
    let offer = build_offer(&alice(), 1).unwrap();
    let mut answer = parse(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/vectors/rfc9143_18.2_answer2.sdp"),
        )
        .unwrap(),
    );
    assert_eq!(group(&answer), None);
    answer.media[1].port = 0;
    let text = answer.to_string();
    assert!(text.contains("m=video 0 RTP/AVP 32\r\n"), "{text}");
    // [RFC 9143 §7.4 test] "If the answer does not contain a BUNDLE group, the offerer MUST process
    // the answer as a normal answer."
    let agreed = negotiate(&offer, &parse(text.as_bytes()), true).unwrap();
    let (audio, video) = (&agreed.media[0], &agreed.media[1]);
    assert!(audio.accepted);
    assert_eq!(audio.bundle, None);
    assert_eq!(audio.remote_rtp, Some(("2001:db8::1".to_owned(), 20000)));
    assert!(!video.accepted);
    assert_eq!(video.bundle_only, Some(BundleOnlyOutcome::NoBundleGroup));
    assert_eq!(video.remote_rtp, None);
}

/// The answerer creates the group but rejects the bundle-only m-line
/// (§7.3.3): port 0, not in the group.
#[test]
fn answerer_rejects_the_bundle_only_m_line_inside_the_group() {
    let offer = build_offer(&alice(), 1).unwrap();
    let mut audio_only = bob();
    audio_only.streams.truncate(1);
    let answer = build_answer(&offer, &audio_only, 1).unwrap();
    // [RFC 9143 §7.3.3 test] "MUST NOT place the identification-tag associated with the "m="
    // section in the SDP 'group:BUNDLE' attribute identification-tag list"
    assert_eq!(group(&answer).as_deref(), Some("foo"));
    assert_eq!(answer.media[1].port, 0);
    assert!(!answer.media[1].has_attribute("bundle-only"));
    let agreed = negotiate(&offer, &answer, true).unwrap();
    assert!(!agreed.media[1].accepted);
    assert_eq!(
        agreed.media[1].bundle_only,
        Some(BundleOnlyOutcome::Rejected)
    );
    assert_eq!(agreed.media[0].bundle, Some(0));
}

fn answer_text(group_line: &str, video_port: u16) -> OwnedSessionDescription {
    parse(
        format!(
            "v=0\r\no=bob 1 1 IN IP6 2001:db8::1\r\ns=\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n\
             {group_line}m=audio 20000 RTP/AVP 0\r\na=mid:foo\r\na=rtcp-mux\r\n\
             m=video {video_port} RTP/AVP 32\r\na=mid:bar\r\n"
        )
        .as_bytes(),
    )
}

/// An answer that keeps a bundle-only m-line live outside the group
/// breaks §7.3.2 and is refused, with or without a group.
#[test]
fn answer_moving_a_bundle_only_m_line_out_is_refused() {
    let offer = build_offer(&alice(), 1).unwrap();
    for answer in [
        answer_text("a=group:BUNDLE foo\r\n", 30000),
        answer_text("", 30000),
    ] {
        // [RFC 9143 §7.3.2 test] "If either criterion above is fulfilled, the
        // answerer cannot move the "m=" section out of the BUNDLE group in the
        // answer."
        let err = negotiate(&offer, &answer, true).unwrap_err();
        assert!(
            matches!(
                err,
                NegotiationError::Bundle {
                    section: "§7.3.2",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("bundle-only"), "{err}");
    }
    // The same answers with the video at port 0 are fine.
    let agreed = negotiate(&offer, &answer_text("a=group:BUNDLE foo\r\n", 0), true).unwrap();
    assert_eq!(
        agreed.media[1].bundle_only,
        Some(BundleOnlyOutcome::Rejected)
    );
}

/// Requests the offerer must refuse: bundle-only without a BUNDLE group,
/// and every stream bundle-only.
#[test]
fn invalid_bundle_only_requests_are_refused() {
    let mut no_group = alice();
    no_group.bundle = false;
    // [RFC 9143 §6 test] "The usage of the 'bundle-only' attribute is only
    // defined for a bundled "m=" section with a zero port value."
    let err = build_offer(&no_group, 1).unwrap_err();
    assert!(
        matches!(err, NegotiationError::Bundle { section: "§6", .. }),
        "{err}"
    );
    assert!(
        OfferAnswer::new(no_group, 1).create_offer().is_err(),
        "OfferAnswer refuses too"
    );

    let mut all = alice();
    all.streams[0].bundle_only = true;
    // [RFC 9143 §7.2.1 test] "The offerer MUST NOT suggest a bundle-only "m="
    // section as the offerer-tagged "m=" section."
    let err = build_offer(&all, 1).unwrap_err();
    assert!(
        matches!(
            err,
            NegotiationError::Bundle {
                section: "§7.2.1",
                ..
            }
        ),
        "{err}"
    );
    let mut a = OfferAnswer::new(all, 1);
    assert!(a.create_offer().is_err());
    assert!(!a.has_pending_offer());

    // A removed stream does not count: removing the only live stream that
    // is not bundle-only leaves nothing to tag.
    let mut c = OfferAnswer::new(alice(), 1);
    c.create_offer().unwrap();
    c.receive_answer(&answer_text("", 0)).unwrap();
    c.remove_stream(0).unwrap();
    assert!(matches!(
        c.create_offer(),
        Err(NegotiationError::Bundle {
            section: "§7.2.1",
            ..
        })
    ));
}

/// With ICE, DTLS and rtcp-mux-only on both streams, the bundle-only
/// m-line of the initial offer carries none of them and no `c=` line.
#[test]
fn bundle_only_m_line_carries_no_bundle_attributes() {
    let transport = |s: StreamConfig| {
        s.with_ice("8hhY", "asd88fgpdd777uzjYhagZg")
            .with_rtcp_mux()
            .with_address("2001:db8::3")
            .with_attribute(Attribute::flag("rtcp-mux-only"))
            .with_attribute(Attribute::new(
                "candidate",
                "1 1 UDP 2130706431 2001:db8::3 10000 typ host",
            ))
            .with_attribute(Attribute::new(
                "fingerprint",
                "sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2",
            ))
            .with_attribute(Attribute::new("setup", "actpass"))
            .with_attribute(Attribute::new("rtcp", "10001"))
            .with_attribute(Attribute::new("msid", "stream track"))
    };
    let config = EndpointConfig::new("alice", 1, "2001:db8::3")
        .with_bundle()
        .with_stream(transport(
            StreamConfig::new("audio", "UDP/TLS/RTP/SAVPF", 10000)
                .with_codec(Codec::new(111, "opus", 48000).with_channels(2)),
        ))
        .with_stream(transport(
            StreamConfig::new("video", "UDP/TLS/RTP/SAVPF", 10002)
                .with_codec(Codec::new(96, "VP8", 90000))
                .with_bundle_only(),
        ));
    let offer = build_offer(&config, 1).unwrap();
    let (audio, video) = (&offer.media[0], &offer.media[1]);
    // [RFC 9143 §7.1.3 test] "The offerer MUST include such attributes in all
    // other bundled "m=" sections."
    for name in [
        "ice-ufrag",
        "ice-pwd",
        "candidate",
        "fingerprint",
        "setup",
        "rtcp-mux",
        "rtcp-mux-only",
        "rtcp",
    ] {
        assert!(audio.has_attribute(name), "{name}");
        // [RFC 9143 §7.1.3 test] "In the initial BUNDLE offer, the offerer MUST NOT include IDENTICAL
        // and TRANSPORT multiplexing category SDP attributes (BUNDLE attributes)
        // in bundle-only "m=" sections."
        // [RFC 9143 §9.3.1.1 test] "the address:port combination for RTCP MUST be unique in each
        // bundled "m=" section for RTP-based media (excluding a bundle-only "m="
        // section)"
        assert!(!video.has_attribute(name), "{name}");
    }
    // Attributes of other categories stay.
    assert!(video.has_attribute("msid") && video.has_attribute("rtpmap"));
    // [RFC 9143 §7.2 test] "Assign a unique address:port to each bundled "m="
    // section following the procedures in [RFC3264], excluding any
    // bundle-only "m=" sections (see below);"
    assert_eq!(audio.connections.len(), 1);
    assert!(video.connections.is_empty());
    assert_eq!((audio.port, video.port), (10000, 0));
    let text = offer.to_string();
    assert!(
        text.contains("m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=bundle-only\r\n"),
        "{text}"
    );
    // It goes over the wire and back unchanged.
    assert_eq!(parse(text.as_bytes()).to_string(), text);
}

/// Once the group is negotiated, later offers put the formerly bundle-only
/// stream on the BUNDLE address:port without `a=bundle-only` (§7.5), and
/// the answerer keeps it live.
#[test]
fn subsequent_offer_puts_the_bundle_only_stream_on_the_bundle_address() {
    let mut a = OfferAnswer::new(alice(), 1);
    let mut b = OfferAnswer::new(bob(), 1);
    let offer = a.create_offer().unwrap();
    let answer = b.receive_offer(&offer).unwrap();
    let agreed = a.receive_answer(&answer).unwrap();
    assert_eq!(
        agreed.media[1].bundle_only,
        Some(BundleOnlyOutcome::Bundled)
    );

    a.hold(1).unwrap();
    let offer = a.create_offer().unwrap();
    // [RFC 9143 §7.5 test] "Assign a BUNDLE address:port (previously
    // negotiated or newly suggested) to the offerer-tagged "m=" section and
    // to every other bundled "m=" section within the BUNDLE group"
    assert_eq!((offer.media[0].port, offer.media[1].port), (10000, 10000));
    assert!(!offer.media[1].has_attribute("bundle-only"));
    // [RFC 9143 §7.1.3 test] "The offerer and answerer MUST NOT include such attributes in any
    // other bundled "m=" section."
    assert!(!offer.media[1].has_attribute("rtcp-mux"));
    assert_eq!(group(&offer).as_deref(), Some("foo bar"));
    assert_eq!(offer.origin.session_version, "2");
    let answer = b.receive_offer(&offer).unwrap();
    let agreed = a.receive_answer(&answer).unwrap();
    assert!(agreed.media[1].accepted);
    assert_eq!(agreed.media[1].bundle, Some(0));
    assert_eq!(agreed.media[1].bundle_only, None);

    // Bob, who answered the bundle-only m-line, took it for a live stream,
    // not a removed one: his own offer keeps it.
    let offer = b.create_offer().unwrap();
    assert_ne!(offer.media[1].port, 0);
}

/// When the answer declined BUNDLE, the next offer proposes the group
/// again, as an initial BUNDLE offer, with the stream still bundle-only
/// (§7.2: "This could occur in the initial offer, or in a subsequent
/// offer").
#[test]
fn after_bundle_was_declined_the_next_offer_is_an_initial_bundle_offer() {
    let mut a = OfferAnswer::new(alice(), 1);
    let first = a.create_offer().unwrap();
    let agreed = a.receive_answer(&answer_text("", 0)).unwrap();
    assert_eq!(
        agreed.media[1].bundle_only,
        Some(BundleOnlyOutcome::NoBundleGroup)
    );
    let offer = a.create_offer().unwrap();
    assert_eq!(offer.media[1].port, 0);
    assert!(offer.media[1].has_attribute("bundle-only"));
    assert_eq!(group(&offer).as_deref(), Some("foo bar"));
    // Nothing changed, so neither did the version (RFC 3264 §8).
    assert_eq!(offer.origin.session_version, first.origin.session_version);
}

/// An answer in the shape a browser writes (JSEP, RFC 8829 §5.3: port 9,
/// `c=IN IP4 0.0.0.0`, transport attributes repeated in every bundled
/// m-line, trickle ICE), written by hand for this test, not captured:
/// the bundle-only video shares the audio m-line's ICE and DTLS.
#[test]
fn browser_shaped_answer_to_our_bundle_only_offer() {
    let fp = "sha-256 5E:2E:5B:8F:93:36:F3:5E:C0:33:A4:AC:7B:0C:10:A8:2B:0C:1D:57:4C:7D:1D:57:43:36:C8:74:A3:D5:C1:2B";
    let stream = |media: &str, port: u16, codec: Codec| {
        StreamConfig::new(media, "UDP/TLS/RTP/SAVPF", port)
            .with_codec(codec)
            .with_rtcp_mux()
            .with_ice("F7gI", "x9cml/YzichV2+XlhiMu8g")
            .with_attribute(Attribute::new("fingerprint", fp))
            .with_attribute(Attribute::new("setup", "actpass"))
    };
    let config = EndpointConfig::new("-", 1, "192.0.2.1")
        .with_bundle()
        .with_stream(stream(
            "audio",
            50000,
            Codec::new(111, "opus", 48000).with_channels(2),
        ))
        .with_stream(stream("video", 50002, Codec::new(96, "VP8", 90000)).with_bundle_only());
    let offer = build_offer(&config, 1).unwrap();
    assert_eq!(group(&offer).as_deref(), Some("0 1"));
    let transport = "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
        a=ice-ufrag:Oq2x\r\na=ice-pwd:Rk2AYuHzUGpPDRBcrX4PWCkq\r\na=ice-options:trickle\r\n\
        a=fingerprint:sha-256 9C:A0:21:30:37:7E:A3:8F:2E:5D:F4:9F:74:3B:E3:1A:69:8B:5E:24:0E:5A:B0:8D:DC:0F:B6:69:2C:F9:83:04\r\n\
        a=setup:active\r\n";
    let answer = parse(
        format!(
            "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
             a=group:BUNDLE 0 1\r\na=msid-semantic: WMS\r\n\
             m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n{transport}a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n\
             a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n\
             m=video 9 UDP/TLS/RTP/SAVPF 96\r\n{transport}a=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\n\
             a=rtpmap:96 VP8/90000\r\n"
        )
        .as_bytes(),
    );
    let agreed = negotiate(&offer, &answer, true).unwrap();
    let (audio, video) = (&agreed.media[0], &agreed.media[1]);
    assert_eq!(video.bundle_only, Some(BundleOnlyOutcome::Bundled));
    assert!(video.accepted);
    assert_eq!(video.bundle, Some(0));
    assert_eq!(video.codecs[0].encoding_name, "VP8");
    // 0.0.0.0 until trickled candidates arrive: no address yet.
    assert_eq!(video.remote_rtp, None);
    assert_eq!(
        video.remote_ice.as_ref().map(|c| c.ufrag.as_str()),
        Some("Oq2x")
    );
    assert_eq!(video.remote_fingerprint, audio.remote_fingerprint);
    assert_eq!(video.remote_setup, audio.remote_setup);
    assert!(video.rtcp_mux);
}

/// RFC 9143 §7.4.1 leaves answers in the RFC 8843 style (a bundled m-line
/// at port 0 with `a=bundle-only`) to the implementation: ours refuses the
/// published one, since a bundled m-line of an answer carries the answerer
/// BUNDLE port (§7.3).
#[test]
fn rfc9143_7_4_1_rfc8843_style_answer_is_refused() {
    let offer = parse(&vector("7.2.2_2"));
    let answer = parse(&vector("7.4.1"));
    assert_eq!(answer.media[1].port, 0);
    assert!(matches!(
        negotiate(&offer, &answer, true),
        Err(NegotiationError::Bundle {
            section: "§7.3",
            ..
        })
    ));
}

/// After the group is negotiated: a stream added as bundle-only joins the
/// group on the BUNDLE address:port (§7.5.1 follows §7.5, no
/// `a=bundle-only`), and disabling the formerly bundle-only video gives
/// port 0 without the attribute and without its tag in the group (§7.5.3).
#[test]
fn later_offers_add_and_disable_bundle_only_streams() {
    let mut a = OfferAnswer::new(alice(), 1);
    let mut b = OfferAnswer::new(bob(), 1);
    let offer = a.create_offer().unwrap();
    let answer = b.receive_offer(&offer).unwrap();
    a.receive_answer(&answer).unwrap();

    let added = a.add_stream(
        StreamConfig::new("audio", "RTP/AVP", 10004)
            .with_attribute(Attribute::new("mid", "zen"))
            .with_codec(Codec::new(0, "PCMU", 8000))
            .with_bundle_only(),
    );
    a.remove_stream(1).unwrap();
    let offer = a.create_offer().unwrap();
    assert_eq!(offer.media[added].port, 10000);
    assert!(!offer.media[added].has_attribute("bundle-only"));
    // [RFC 9143 §7.5.3 test] "MUST NOT assign an SDP 'bundle-only' attribute to the "m="
    // section."
    assert_eq!(offer.media[1].port, 0);
    assert!(!offer.media[1].has_attribute("bundle-only"));
    // [RFC 9143 §7.5.3 test] "MUST NOT place the identification-tag associated with the "m="
    // section in the SDP 'group:BUNDLE' attribute identification-tag list"
    assert_eq!(group(&offer).as_deref(), Some("foo zen"));
    let answer = b.receive_offer(&offer).unwrap();
    let agreed = a.receive_answer(&answer).unwrap();
    assert!(agreed.media[added].accepted);
    assert_eq!(agreed.media[added].bundle, Some(0));
    assert_eq!(agreed.media[added].bundle_only, None);
    assert!(!agreed.media[1].accepted);
}

/// `a=bundle-only` given as a verbatim attribute is not written: only the
/// bundle-only mark puts it on an m-line, where the offer gives it port 0
/// inside the group (§6).
#[test]
fn verbatim_bundle_only_attribute_is_not_copied() {
    let mut config = alice();
    config.streams[1].bundle_only = false;
    config.streams[1]
        .attributes
        .push(Attribute::flag("bundle-only"));
    let offer = build_offer(&config, 1).unwrap();
    assert_eq!(offer.media[1].port, 10002);
    assert!(!offer.media[1].has_attribute("bundle-only"));
    config.streams[1].bundle_only = true;
    let offer = build_offer(&config, 1).unwrap();
    let count = offer.media[1]
        .attributes
        .iter()
        .filter(|a| a.name == "bundle-only")
        .count();
    assert_eq!((offer.media[1].port, count), (0, 1));
}
