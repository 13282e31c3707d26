//! Properties: generated descriptions round-trip, arbitrary bytes never
//! panic, and the offer/answer engine keeps the invariants of RFC 3264 §6
//! over generated offers and answerer capabilities.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;

use proptest::option;
use proptest::prelude::*;

use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, StreamConfig, build_answer, direction_allowed, negotiate,
};
use rtclite_sdp::{
    Attribute, Bandwidth, Connection, Direction, MediaDescription, Origin, OwnedSessionDescription,
    RepeatTime, SessionDescription, TimeDescription, TimeUnit, TypedTime, ZoneAdjustment,
};

fn owned(s: String) -> Cow<'static, str> {
    Cow::Owned(s)
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,12}"
}

fn text() -> impl Strategy<Value = String> {
    // Any UTF-8 without NUL, CR or LF (RFC 8866 §9 byte-string).
    "[^\r\n\u{0}]{1,24}"
}

fn digits() -> impl Strategy<Value = String> {
    "0|[1-9][0-9]{0,18}"
}

fn connection() -> impl Strategy<Value = Connection<'static>> {
    prop_oneof![
        (1u8..=223, any::<u8>()).prop_map(|(a, b)| Connection::new(format!("{a}.0.2.{b}"))),
        (any::<u16>(), any::<u16>())
            .prop_map(|(a, b)| Connection::new(format!("2001:db8::{a:x}:{b:x}"))),
        (any::<u8>(), any::<u8>(), option::of(1u32..1000)).prop_map(|(b, ttl, n)| Connection {
            ttl: Some(ttl),
            num_addresses: n,
            ..Connection::new(format!("233.252.0.{b}"))
        }),
        (any::<u16>(), option::of(1u32..1000)).prop_map(|(a, n)| Connection {
            num_addresses: n,
            ..Connection::new(format!("ff15::{a:x}"))
        }),
        token().prop_map(|t| Connection::new(format!("{t}.example.com"))),
    ]
}

fn bandwidth() -> impl Strategy<Value = Bandwidth<'static>> {
    (
        prop_oneof![
            Just("AS".to_owned()),
            Just("CT".to_owned()),
            Just("TIAS".to_owned()),
            token()
        ],
        any::<u64>(),
    )
        .prop_map(|(t, v)| Bandwidth {
            bwtype: owned(t),
            bandwidth: v,
        })
}

fn typed_time() -> impl Strategy<Value = TypedTime> {
    (
        any::<u64>(),
        option::of(prop_oneof![
            Just(TimeUnit::Days),
            Just(TimeUnit::Hours),
            Just(TimeUnit::Minutes),
            Just(TimeUnit::Seconds)
        ]),
    )
        .prop_map(|(value, unit)| TypedTime { value, unit })
}

fn time() -> impl Strategy<Value = TimeDescription> {
    (
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(
            (
                typed_time().prop_filter("interval > 0", |t| t.value > 0),
                typed_time(),
                prop::collection::vec(typed_time(), 1..3),
            )
                .prop_map(|(interval, duration, offsets)| RepeatTime {
                    interval,
                    duration,
                    offsets,
                }),
            0..3,
        ),
        option::of(prop::collection::vec(
            (any::<u64>(), any::<bool>(), typed_time()).prop_map(|(time, negative, offset)| {
                ZoneAdjustment {
                    time,
                    negative,
                    offset,
                }
            }),
            1..3,
        )),
    )
        .prop_map(|(start, stop, repeats, zone_adjustments)| TimeDescription {
            start,
            stop,
            repeats,
            zone_adjustments,
        })
}

fn attribute() -> impl Strategy<Value = Attribute<'static>> {
    (token(), option::of("[^\r\n\u{0}]{0,30}")).prop_map(|(n, v)| Attribute {
        name: owned(n),
        value: v.map(owned),
    })
}

fn media(needs_connection: bool) -> impl Strategy<Value = MediaDescription<'static>> {
    (
        token(),
        any::<u16>(),
        option::of(1u16..8),
        prop::collection::vec(token(), 1..4),
        prop::collection::vec(token(), 1..5),
        option::of(text()),
        prop::collection::vec(connection(), usize::from(needs_connection)..3),
        prop::collection::vec(bandwidth(), 0..2),
        option::of(text()),
        prop::collection::vec(attribute(), 0..6),
    )
        .prop_map(
            |(
                m,
                port,
                num_ports,
                proto,
                formats,
                information,
                connections,
                bandwidths,
                key,
                attributes,
            )| {
                MediaDescription {
                    media: owned(m),
                    port,
                    num_ports,
                    proto: owned(proto.join("/")),
                    formats: formats.into_iter().map(owned).collect(),
                    information: information.map(owned),
                    connections,
                    bandwidths,
                    key: key.map(owned),
                    attributes,
                }
            },
        )
}

prop_compose! {
    fn session()(
        username in "[!-~]{1,10}",
        sess_id in digits(),
        sess_version in digits(),
        name in "[^\r\n\u{0}]{0,20}",
        information in option::of(text()),
        uri in option::of(text()),
        emails in prop::collection::vec(text(), 0..2),
        phones in prop::collection::vec(text(), 0..2),
        session_connection in option::of(connection()),
        bandwidths in prop::collection::vec(bandwidth(), 0..2),
        times in prop::collection::vec(time(), 1..3),
        key in option::of(text()),
        attributes in prop::collection::vec(attribute(), 0..6),
    )(
        media in prop::collection::vec(media(session_connection.is_none()), 0..4),
        username in Just(username), sess_id in Just(sess_id), sess_version in Just(sess_version), name in Just(name),
        information in Just(information), uri in Just(uri), emails in Just(emails), phones in Just(phones),
        session_connection in Just(session_connection), bandwidths in Just(bandwidths), times in Just(times),
        key in Just(key), attributes in Just(attributes),
    ) -> OwnedSessionDescription {
        SessionDescription {
            version: 0,
            origin: Origin {
                username: owned(username),
                session_id: owned(sess_id),
                session_version: owned(sess_version),
                nettype: Cow::Borrowed("IN"),
                addrtype: Cow::Borrowed("IP4"),
                unicast_address: Cow::Borrowed("192.0.2.1"),
            },
            session_name: owned(name),
            information: information.map(owned),
            uri: uri.map(owned),
            emails: emails.into_iter().map(owned).collect(),
            phones: phones.into_iter().map(owned).collect(),
            connection: session_connection,
            bandwidths,
            times,
            key: key.map(owned),
            attributes,
            media,
        }
    }
}

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/chrome107_video_datachannel_offer.sdp"
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_sessions_round_trip(sdp in session()) {
        let text = sdp.to_string();
        let parsed = SessionDescription::parse(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(&parsed, &sdp);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(sdp) = SessionDescription::parse(&bytes) {
            let again = sdp.to_string();
            prop_assert_eq!(SessionDescription::parse(again.as_bytes()).unwrap(), sdp);
        }
    }

    #[test]
    fn mutated_browser_offer_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)
    ) {
        let mut bytes = fixture();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i.min(bytes.len()), byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(sdp) = SessionDescription::parse(&bytes) {
            // Typed views never panic either.
            for m in &sdp.media {
                for a in &m.attributes {
                    let _ = a.parse_as::<rtclite_sdp::Rtpmap<'_>>();
                    let _ = a.parse_as::<rtclite_sdp::Fmtp<'_>>();
                    let _ = a.parse_as::<rtclite_sdp::Extmap<'_>>();
                    let _ = a.parse_as::<rtclite_sdp::RtcpFb<'_>>();
                    let _ = a.parse_as::<rtclite_sdp::Ssrc<'_>>();
                    let _ = a.parse_as::<rtclite_sdp::Fingerprint<'_>>();
                    let _ = a.parse_as::<rtclite_sdp::Candidate<'_>>();
                }
            }
            let again = sdp.to_string();
            prop_assert_eq!(SessionDescription::parse(again.as_bytes()).unwrap(), sdp);
        }
    }

    #[test]
    fn typed_attribute_parsers_never_panic(name in prop_oneof![
        Just("rtpmap"), Just("fmtp"), Just("crypto"), Just("candidate"), Just("extmap"), Just("rtcp"),
        Just("rtcp-fb"), Just("ssrc"), Just("ssrc-group"), Just("msid"), Just("group"), Just("fingerprint"),
        Just("setup"), Just("ptime"), Just("ice-options"), Just("sctp-port")
    ], value in "[ -~]{0,80}") {
        let a = Attribute::new(name, value);
        macro_rules! check { ($($t:ty),*) => { $( if let Some(Ok(v)) = a.parse_as::<$t>() {
            // What parses writes back to something that parses to the same value.
            let b = Attribute::from_typed(&v);
            prop_assert_eq!(b.parse_as::<$t>().unwrap().unwrap(), v);
        } )* } }
        check!(rtclite_sdp::Rtpmap<'_>, rtclite_sdp::Fmtp<'_>, rtclite_sdp::Crypto<'_>, rtclite_sdp::Candidate<'_>,
               rtclite_sdp::Extmap<'_>, rtclite_sdp::Rtcp<'_>, rtclite_sdp::RtcpFb<'_>, rtclite_sdp::Ssrc<'_>,
               rtclite_sdp::SsrcGroup<'_>, rtclite_sdp::Msid<'_>, rtclite_sdp::Group<'_>, rtclite_sdp::Fingerprint<'_>,
               rtclite_sdp::Setup, rtclite_sdp::IceOptions<'_>, rtclite_sdp::SctpPort);
    }
}

// ---- offer/answer invariants ----

fn known_codecs() -> Vec<Codec> {
    vec![
        Codec::new(0, "PCMU", 8000),
        Codec::new(8, "PCMA", 8000),
        Codec::new(9, "G722", 8000),
        Codec::new(111, "opus", 48000).with_channels(2),
        Codec::new(97, "iLBC", 8000),
        Codec::telephone_event(101),
        Codec::new(13, "CN", 8000),
        Codec::new(31, "H261", 90000),
        Codec::new(96, "VP8", 90000),
    ]
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
}

fn subset() -> impl Strategy<Value = Vec<Codec>> {
    prop::sample::subsequence(known_codecs(), 0..=9).prop_shuffle()
}

fn stream() -> impl Strategy<Value = StreamConfig> {
    (
        prop_oneof![Just("audio"), Just("video")],
        prop_oneof![Just(0u16), 1024u16..65000],
        subset(),
        direction(),
    )
        .prop_map(|(media, port, codecs, dir)| {
            let mut s = StreamConfig::new(media, "RTP/AVP", port).with_direction(dir);
            s.codecs = codecs;
            s
        })
}

fn offer() -> impl Strategy<Value = OwnedSessionDescription> {
    (
        prop::collection::vec(
            stream().prop_filter("an offer lists formats", |s| !s.codecs.is_empty()),
            0..5,
        ),
        any::<bool>(),
    )
        .prop_map(|(streams, bundle)| {
            let mut sdp = rtclite_sdp::offer_answer::build_offer(
                &EndpointConfig {
                    streams,
                    bundle,
                    ..EndpointConfig::new("alice", 1, "192.0.2.1")
                },
                1,
            )
            .unwrap();
            // Zero ports stand for removed streams.
            sdp.media.iter_mut().for_each(|m| {
                if m.port == 0 {
                    m.attributes.clear();
                    m.formats.truncate(1);
                }
            });
            sdp
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn answers_keep_rfc3264_invariants(offer in offer(), streams in prop::collection::vec(stream(), 0..3)) {
        let config = EndpointConfig { streams, ..EndpointConfig::new("bob", 2, "192.0.2.2") };
        // The offer goes over the wire: parse what was written.
        let text = offer.to_string();
        let offer = SessionDescription::parse(text.as_bytes()).unwrap();
        let Ok(answer) = build_answer(&offer, &config, 1) else {
            // Only allowed when no live stream could be accepted.
            return Ok(());
        };
        // [RFC 3264 §6 test] "The answer MUST contain exactly the same number
        // of "m=" lines as the offer."
        prop_assert_eq!(answer.media.len(), offer.media.len());
        prop_assert_eq!(&answer.times, &offer.times);
        for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
            prop_assert_eq!(&o.media, &a.media);
            prop_assert!(!a.formats.is_empty());
            if o.port == 0 {
                prop_assert_eq!(a.port, 0);
            }
            if a.port != 0 {
                // Never a codec the offer lacked, always under the offer's number.
                for f in &a.formats {
                    prop_assert!(o.formats.contains(f), "format {} not offered", f);
                }
                prop_assert!(direction_allowed(offer.effective_direction(i), answer.effective_direction(i)));
            }
        }
        let text = answer.to_string();
        let answer = SessionDescription::parse(text.as_bytes()).unwrap();
        // BUNDLE (RFC 9143 §7.3): every m-line of the answer's group is live
        // and on the tagged m-line's port, and was in the offer's group.
        let offered_group: Vec<String> = offer
            .typed::<rtclite_sdp::Group<'_>>()
            .filter_map(Result::ok)
            .flat_map(|g| g.mids().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        for g in answer.typed::<rtclite_sdp::Group<'_>>().filter_map(Result::ok) {
            let ports: Vec<u16> = g
                .mids()
                .map(|mid| answer.media.iter().find(|m| m.mid() == Some(mid)).map_or(0, |m| m.port))
                .collect();
            prop_assert!(ports.iter().all(|&p| p != 0 && p == ports[0]), "{:?}", ports);
            prop_assert!(g.mids().all(|mid| offered_group.iter().any(|o| o == mid)));
        }
        let agreed = negotiate(&offer, &answer, true).unwrap();
        for m in &agreed.media {
            prop_assert!(!m.accepted || !m.codecs.is_empty());
            if let Some(t) = m.bundle {
                prop_assert_eq!(&m.remote_rtp, &agreed.media[t].remote_rtp);
            }
        }
    }
}

// ---- later offers (RFC 3264 §8) over random operation sequences ----

#[derive(Debug, Clone)]
enum Op {
    AliceOffers,
    BobOffers,
    Hold(bool, usize),
    Resume(bool, usize),
    Remove(bool, usize),
    AddAudio(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::AliceOffers),
        3 => Just(Op::BobOffers),
        2 => (any::<bool>(), 0usize..4).prop_map(|(a, i)| Op::Hold(a, i)),
        2 => (any::<bool>(), 0usize..4).prop_map(|(a, i)| Op::Resume(a, i)),
        1 => (any::<bool>(), 0usize..4).prop_map(|(a, i)| Op::Remove(a, i)),
        1 => any::<bool>().prop_map(Op::AddAudio),
    ]
}

fn party(name: &str, addr: &str, port: u16) -> rtclite_sdp::offer_answer::OfferAnswer {
    let cfg = EndpointConfig::new(name, 7, addr)
        .with_stream(
            StreamConfig::new("audio", "RTP/AVP", port)
                .with_codec(Codec::new(0, "PCMU", 8000))
                .with_codec(Codec::telephone_event(101)),
        )
        .with_stream(
            StreamConfig::new("video", "RTP/AVP", port + 100)
                .with_codec(Codec::new(96, "VP8", 90000)),
        );
    rtclite_sdp::offer_answer::OfferAnswer::new(cfg, 1)
}

fn exchange(
    offerer: &mut rtclite_sdp::offer_answer::OfferAnswer,
    answerer: &mut rtclite_sdp::offer_answer::OfferAnswer,
) -> Result<(), TestCaseError> {
    let before = offerer
        .local_description()
        .map(|d| (d.media.len(), d.origin.session_version_number().unwrap()));
    let offer = match offerer.create_offer() {
        Ok(offer) => offer,
        // Every live stream is bundle-only: nothing can be offerer-tagged.
        Err(rtclite_sdp::NegotiationError::Bundle {
            section: "§7.2.1", ..
        }) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(e.to_string())),
    };
    // The offer goes over the wire.
    let text = offer.to_string();
    let offer = SessionDescription::parse(text.as_bytes()).unwrap();
    if let Some((n, v)) = before {
        // [RFC 3264 §8 test] "if the previous SDP had N "m=" lines, the new
        // SDP MUST have at least N "m=" lines."
        prop_assert!(offer.media.len() >= n);
        let nv = offer.origin.session_version_number().unwrap();
        prop_assert!(nv == v || nv == v + 1);
    }
    match answerer.receive_offer(&offer) {
        Ok(answer) => {
            let text = answer.to_string();
            let answer = SessionDescription::parse(text.as_bytes()).unwrap();
            offerer.receive_answer(&answer).unwrap();
            let (a, b) = (
                offerer.negotiated().unwrap(),
                answerer.negotiated().unwrap(),
            );
            prop_assert_eq!(a.media.len(), b.media.len());
            for (x, y) in a.media.iter().zip(&b.media) {
                // Both sides agree on what flows where.
                prop_assert_eq!(x.accepted, y.accepted);
                prop_assert_eq!(x.bundle_only, y.bundle_only);
                prop_assert_eq!(x.bundle, y.bundle);
                prop_assert_eq!(x.direction, y.direction.reversed());
                let xs: Vec<_> = x
                    .codecs
                    .iter()
                    .map(|c| (c.send_payload_type, c.recv_payload_type))
                    .collect();
                let mut ys: Vec<_> = y
                    .codecs
                    .iter()
                    .map(|c| (c.recv_payload_type, c.send_payload_type))
                    .collect();
                ys.sort_unstable();
                let mut xs_sorted = xs.clone();
                xs_sorted.sort_unstable();
                prop_assert_eq!(xs_sorted, ys);
            }
        }
        // Every stream removed or rejected: the offer is refused as a whole.
        Err(rtclite_sdp::NegotiationError::NothingInCommon) => offerer.cancel_offer(),
        Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn later_offers_keep_both_sides_in_agreement(ops in prop::collection::vec(op(), 1..24), bundle in any::<bool>()) {
        let mut alice = party("alice", "192.0.2.1", 4000);
        if bundle {
            // Alice offers BUNDLE with the video bundle-only (RFC 9143 §7.2).
            let mut cfg = alice.config().clone().with_bundle();
            cfg.streams[1].bundle_only = true;
            alice = rtclite_sdp::offer_answer::OfferAnswer::new(cfg, 1);
        }
        let mut bob = party("bob", "192.0.2.2", 6000);
        exchange(&mut alice, &mut bob)?;
        for op in ops {
            match op {
                Op::AliceOffers => exchange(&mut alice, &mut bob)?,
                Op::BobOffers => exchange(&mut bob, &mut alice)?,
                Op::Hold(a, i) => { let _ = if a { alice.hold(i) } else { bob.hold(i) }; }
                Op::Resume(a, i) => { let _ = if a { alice.resume(i) } else { bob.resume(i) }; }
                Op::Remove(a, i) => { let _ = if a { alice.remove_stream(i) } else { bob.remove_stream(i) }; }
                Op::AddAudio(a) => {
                    let s = StreamConfig::new("audio", "RTP/AVP", 8000).with_codec(Codec::new(8, "PCMA", 8000));
                    if a { alice.add_stream(s); } else { bob.add_stream(s); }
                }
            }
        }
    }
}

// ---- bundle-only offers (RFC 9143 §7.2) ----

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn bundle_only_offers_keep_rfc9143_rules(
        streams in prop::collection::vec(
            stream().prop_filter("an offer lists formats", |s| !s.codecs.is_empty()),
            1..5,
        ),
        marks in prop::collection::vec(any::<bool>(), 5),
        answer_streams in prop::collection::vec(stream(), 0..3),
    ) {
        let mut streams = streams;
        for (s, mark) in streams.iter_mut().zip(&marks) {
            s.bundle_only = *mark;
        }
        let config = EndpointConfig { streams, bundle: true, ..EndpointConfig::new("alice", 1, "192.0.2.1") };
        let live = |s: &StreamConfig| s.port != 0;
        let offer = match rtclite_sdp::offer_answer::build_offer(&config, 1) {
            Ok(offer) => offer,
            Err(rtclite_sdp::NegotiationError::Bundle { section: "§7.2.1", .. }) => {
                // Refused only when no live stream is left to tag.
                prop_assert!(config.streams.iter().filter(|s| live(s)).all(|s| s.bundle_only));
                prop_assert!(config.streams.iter().any(|s| live(s) && s.bundle_only));
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        };
        let text = offer.to_string();
        let offer = SessionDescription::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(offer.to_string(), text.clone());
        let tags: Vec<String> = offer
            .typed::<rtclite_sdp::Group<'_>>()
            .filter_map(Result::ok)
            .flat_map(|g| g.mids().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let tagged = tags.first().and_then(|t| offer.media.iter().position(|m| m.mid() == Some(t.as_str())));
        if let Some(t) = tagged {
            // [RFC 9143 §7.2.1 test] "The offerer MUST NOT suggest a bundle-only "m=" section as
            // the offerer-tagged "m=" section."
            prop_assert!(offer.media[t].port != 0 && !offer.media[t].has_attribute("bundle-only"));
        }
        for (s, m) in config.streams.iter().zip(&offer.media) {
            if live(s) && s.bundle_only {
                prop_assert_eq!(m.port, 0);
                prop_assert!(m.has_attribute("bundle-only"));
                prop_assert!(m.connections.is_empty());
                prop_assert!(!m.has_attribute("rtcp-mux"));
                prop_assert!(m.mid().is_some_and(|mid| tags.iter().any(|t| t == mid)));
            } else {
                prop_assert!(!m.has_attribute("bundle-only"));
            }
        }
        let answerer = EndpointConfig { streams: answer_streams, ..EndpointConfig::new("bob", 2, "192.0.2.2") };
        let Ok(answer) = build_answer(&offer, &answerer, 1) else {
            return Ok(());
        };
        let text = answer.to_string();
        let answer = SessionDescription::parse(text.as_bytes()).unwrap();
        let agreed = negotiate(&offer, &answer, true).unwrap();
        for (i, (s, m)) in config.streams.iter().zip(&agreed.media).enumerate() {
            if live(s) && s.bundle_only {
                let bundled = m.bundle_only == Some(rtclite_sdp::offer_answer::BundleOnlyOutcome::Bundled);
                prop_assert!(m.bundle_only.is_some());
                prop_assert_eq!(bundled, m.accepted);
                prop_assert_eq!(bundled, answer.media[i].port != 0);
                if bundled {
                    prop_assert!(m.bundle.is_some());
                }
            } else {
                prop_assert_eq!(m.bundle_only, None);
            }
        }
    }
}
