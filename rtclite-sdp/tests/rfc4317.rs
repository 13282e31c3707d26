//! RFC 4317 offer/answer examples: for every offer, our engine's answer
//! matches the published answer in every negotiated aspect (media types,
//! ports zero or not, codecs and payload types, directions, whether the
//! `o=` version moves), and every published pair passes [`negotiate`].
//! Second exchanges run on the state left by the first one, so the RFC 3264
//! §8 rules (version increments, m-line count) are checked on the
//! published descriptions too.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, NegotiatedSession, OfferAnswer, StreamConfig, negotiate,
    static_payload_type,
};
use rtclite_sdp::{
    Direction, NegotiationError, OwnedSessionDescription, Rtpmap, SessionDescription,
};

fn load(name: &str) -> OwnedSessionDescription {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("rfc4317_{name}.sdp"));
    let bytes = std::fs::read(&p).unwrap();
    SessionDescription::parse(&bytes).unwrap().into_owned()
}

fn pcmu() -> Codec {
    Codec::new(0, "PCMU", 8000)
}
fn pcma() -> Codec {
    Codec::new(8, "PCMA", 8000)
}
fn ilbc() -> Codec {
    Codec::new(97, "iLBC", 8000)
}
fn te() -> Codec {
    Codec::new(98, "telephone-event", 8000)
}
fn h261() -> Codec {
    Codec::new(31, "H261", 90000)
}
fn mpv() -> Codec {
    Codec::new(32, "MPV", 90000)
}

fn audio(port: u16, codecs: &[Codec]) -> StreamConfig {
    codecs.iter().cloned().fold(
        StreamConfig::new("audio", "RTP/AVP", port),
        StreamConfig::with_codec,
    )
}
fn video(port: u16, codecs: &[Codec]) -> StreamConfig {
    codecs.iter().cloned().fold(
        StreamConfig::new("video", "RTP/AVP", port),
        StreamConfig::with_codec,
    )
}

fn alice(streams: Vec<StreamConfig>) -> EndpointConfig {
    streams.into_iter().fold(
        EndpointConfig::new("alice", 2890844526, "host.atlanta.example.com").with_session_name(""),
        EndpointConfig::with_stream,
    )
}
fn bob(streams: Vec<StreamConfig>) -> EndpointConfig {
    bob_at("host.biloxi.example.com", streams)
}
fn bob_at(address: &str, streams: Vec<StreamConfig>) -> EndpointConfig {
    streams.into_iter().fold(
        EndpointConfig::new("bob", 2808844564, address).with_session_name(""),
        EndpointConfig::with_stream,
    )
}

/// (payload type, encoding name lower-cased, clock rate) of each format.
fn codecs(m: &rtclite_sdp::MediaDescription<'_>) -> Vec<(u8, String, u32)> {
    m.payload_types()
        .map(|pt| match m.rtpmap(pt) {
            Some(Rtpmap {
                encoding_name,
                clock_rate,
                ..
            }) => (pt, encoding_name.to_ascii_lowercase(), clock_rate),
            None => {
                let (n, r, _) = static_payload_type(pt).unwrap();
                (pt, n.to_ascii_lowercase(), r)
            }
        })
        .collect()
}

/// Our answer against the published one, m-line by m-line. `renumbered`
/// lists (published PT, our PT) pairs where the RFC's answerer chose a new
/// number for an offered codec and ours keeps the offerer's (RFC 3264 §6.1
/// SHOULD).
fn assert_same_answer(
    ours: &SessionDescription<'_>,
    published: &SessionDescription<'_>,
    renumbered: &[(u8, u8)],
) {
    assert_eq!(
        ours.media.len(),
        published.media.len(),
        "m-line count\n{ours}"
    );
    for (i, (o, p)) in ours.media.iter().zip(&published.media).enumerate() {
        assert_eq!(o.media, p.media, "m-line {i} media");
        assert_eq!(
            o.port == 0,
            p.port == 0,
            "m-line {i}: port zero or not\n{ours}"
        );
        if p.port == 0 {
            continue;
        }
        assert_eq!(
            ours.effective_direction(i),
            published.effective_direction(i),
            "m-line {i} direction\n{ours}"
        );
        let expected: Vec<_> = codecs(p)
            .into_iter()
            .map(|(pt, n, r)| {
                (
                    renumbered
                        .iter()
                        .find(|(a, _)| *a == pt)
                        .map_or(pt, |(_, b)| *b),
                    n,
                    r,
                )
            })
            .collect();
        assert_eq!(codecs(o), expected, "m-line {i} codecs\n{ours}");
    }
}

/// The offerer's view of both answers agrees on everything but where to
/// send media.
fn assert_same_negotiation(
    offer: &SessionDescription<'_>,
    ours: &SessionDescription<'_>,
    published: &SessionDescription<'_>,
    renumbered: bool,
) {
    let a: NegotiatedSession = negotiate(offer, ours, true).unwrap();
    let b: NegotiatedSession = negotiate(offer, published, true).unwrap();
    for (x, y) in a.media.iter().zip(&b.media) {
        assert_eq!(
            (x.accepted, x.direction, &x.media),
            (y.accepted, y.direction, &y.media)
        );
        let key = |n: &NegotiatedSession, i: usize| {
            n.media[i]
                .codecs
                .iter()
                .map(|c| {
                    (
                        if renumbered { 0 } else { c.send_payload_type },
                        c.recv_payload_type,
                        c.encoding_name.clone(),
                        c.clock_rate,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a, x.index), key(&b, y.index));
    }
}

fn version_moved(prev: &SessionDescription<'_>, now: &SessionDescription<'_>) -> bool {
    prev.origin.session_version != now.origin.session_version
}

/// Answers `offer` with `answerer` and checks it against `published`;
/// `published_prev` is the answerer's previous published SDP, if any: our
/// `o=` version moves exactly when the published one does.
fn exchange(
    answerer: &mut OfferAnswer,
    offer: &str,
    published: &str,
    renumbered: &[(u8, u8)],
    published_prev: Option<&str>,
) -> OwnedSessionDescription {
    let offer = load(offer);
    let published = load(published);
    let prev = answerer.local_description().cloned();
    let ours = answerer.receive_offer(&offer).unwrap();
    assert_same_answer(&ours, &published, renumbered);
    assert_same_negotiation(&offer, &ours, &published, !renumbered.is_empty());
    if let (Some(prev), Some(published_prev)) = (prev, published_prev) {
        assert_eq!(
            version_moved(&prev, &ours),
            version_moved(&load(published_prev), &published),
            "o= version\n{ours}"
        );
    }
    ours
}

/// A second exchange: `second_offer` goes to the party restored from the
/// first exchange (`first_local` was its SDP, `first_remote` the peer's).
fn second(
    config: EndpointConfig,
    first_local: &str,
    first_remote: &str,
    local_was_offerer: bool,
    second_offer: &str,
    second_answer: &str,
) -> OwnedSessionDescription {
    let mut party = OfferAnswer::restore(
        config,
        load(first_local),
        load(first_remote),
        local_was_offerer,
    )
    .unwrap();
    exchange(
        &mut party,
        second_offer,
        second_answer,
        &[],
        Some(first_local),
    )
}

fn first(
    config: EndpointConfig,
    offer: &str,
    answer: &str,
    renumbered: &[(u8, u8)],
) -> OfferAnswer {
    let mut party = OfferAnswer::new(config, 2808844564);
    exchange(&mut party, offer, answer, renumbered, None);
    party
}

// [RFC 4317 §2.1 test] "Alice and Bob may send only PCMU audio and MPV video."
#[test]
fn rfc4317_2_1() {
    first(
        bob(vec![audio(49174, &[pcmu()]), video(49170, &[mpv()])]),
        "2.1_offer",
        "2.1_answer",
        &[],
    );
}

// [RFC 4317 §2.2 test] "The declined video stream still present in the
// second exchange of SDP with ports set to zero."
#[test]
fn rfc4317_2_2() {
    let mut b = first(
        bob(vec![audio(49172, &[pcmu(), pcma()])]),
        "2.2_offer",
        "2.2_answer",
        &[],
    );
    exchange(
        &mut b,
        "2.2_second-offer",
        "2.2_second-answer",
        &[],
        Some("2.2_answer"),
    );
}

// [RFC 4317 §2.3 test] "Note: change of dynamic payload type from 97 to 99
// between the offer and the answer is OK since the same codec is
// referenced."
#[test]
fn rfc4317_2_3() {
    // Our answerer keeps the offerer's 97 (RFC 3264 §6.1 SHOULD); the
    // published one renumbers to 99. Both negotiate iLBC and H.261.
    first(
        bob(vec![audio(49172, &[ilbc()]), video(49174, &[h261()])]),
        "2.3_offer",
        "2.3_answer",
        &[(99, 97)],
    );
    let offer = load("2.3_offer");
    let n = negotiate(&offer, &load("2.3_answer"), true).unwrap();
    let c = &n.media[0].codecs[0];
    // [RFC 3264 §5.1 test] "the offerer MUST send with the payload type
    // numbers from the answer."
    assert_eq!(
        (
            c.send_payload_type,
            c.recv_payload_type,
            c.encoding_name.as_str()
        ),
        (99, 97, "iLBC")
    );
}

// [RFC 4317 §2.4 test] "Bob accepts both audio streams choosing the iLBC
// codec and telephone-events."
#[test]
fn rfc4317_2_4() {
    first(
        bob(vec![audio(49172, &[ilbc(), te()])]),
        "2.4_offer",
        "2.4_answer",
        &[],
    );
}

// [RFC 4317 §2.5 test] "In a second exchange, Bob changes his address for
// media and Alice accepts with the same SDP as the initial exchange"
#[test]
fn rfc4317_2_5() {
    first(
        bob(vec![audio(49174, &[ilbc()]), video(49170, &[h261()])]),
        "2.5_offer",
        "2.5_answer",
        &[],
    );
    let ours = second(
        alice(vec![audio(49170, &[ilbc()]), video(51372, &[h261()])]),
        "2.5_offer",
        "2.5_answer",
        true,
        "2.5_second-offer",
        "2.5_second-answer",
    );
    // Alice's answer is her initial offer again, byte for byte.
    assert_eq!(ours, load("2.5_second-answer"));
}

// [RFC 4317 §2.6 test] "Bob declines the first one and accepts the second
// one."
#[test]
fn rfc4317_2_6() {
    first(
        bob(vec![audio(49170, &[ilbc(), Codec::telephone_event(101)])]),
        "2.6_offer",
        "2.6_answer",
        &[],
    );
}

// [RFC 4317 §2.7 test] "In the second exchange, Alice adds a second video
// codec, which Bob accepts."
#[test]
fn rfc4317_2_7() {
    let mut b = first(
        bob(vec![
            audio(49172, &[Codec::new(99, "iLBC", 8000)]),
            video(49174, &[h261(), mpv()]),
        ]),
        "2.7_offer",
        "2.7_answer",
        &[],
    );
    exchange(
        &mut b,
        "2.7_second-offer",
        "2.7_second-answer",
        &[],
        Some("2.7_answer"),
    );
}

// [RFC 4317 §2.8 test] "the answerer wants the video sent to a different
// address than that of the audio."
#[test]
fn rfc4317_2_8() {
    let b = first(
        bob(vec![
            audio(49174, &[pcmu()]),
            video(49172, &[mpv()]).with_address("otherhost.biloxi.example.com"),
        ]),
        "2.8_offer",
        "2.8_answer",
        &[],
    );
    let sdp = b.local_description().unwrap();
    assert_eq!(
        sdp.effective_connection(1).unwrap().address,
        "otherhost.biloxi.example.com"
    );
    let n = negotiate(&load("2.8_offer"), &load("2.8_answer"), true).unwrap();
    assert_eq!(
        n.media[1].remote_rtp,
        Some(("otherhost.biloxi.example.com".to_owned(), 49172))
    );
    assert_eq!(
        n.media[0].remote_rtcp,
        Some(("host.biloxi.example.com".to_owned(), 49175))
    );
}

// [RFC 4317 §3.1 test] "Alice calls Bob, but when Bob answers he places
// Alice on hold."
#[test]
fn rfc4317_3_1() {
    first(
        bob_at(
            "placeholder.biloxi.example.com",
            vec![audio(49172, &[ilbc()]).with_direction(Direction::SendOnly)],
        ),
        "3.1_offer",
        "3.1_answer",
        &[],
    );
    second(
        alice(vec![audio(49178, &[pcmu(), ilbc()])]),
        "3.1_offer",
        "3.1_answer",
        true,
        "3.1_second-offer",
        "3.1_second-answer",
    );
}

// [RFC 4317 §3.2 test] "Bob then puts Alice's audio stream on hold but not
// the tone stream."
#[test]
fn rfc4317_3_2() {
    first(
        bob(vec![audio(49172, &[ilbc(), te()])]),
        "3.2_offer",
        "3.2_answer",
        &[],
    );
    // The published second answer marks the held stream sendrecv (no
    // direction attribute), which RFC 3264 §6.1 forbids for a sendonly
    // offer: our engine refuses it and answers recvonly instead.
    let offer = load("3.2_second-offer");
    let published = load("3.2_second-answer");
    // [RFC 3264 §6.1 test] "If a stream is offered as sendonly, the
    // corresponding stream MUST be marked as recvonly or inactive in the
    // answer."
    assert!(matches!(
        negotiate(&offer, &published, true),
        Err(NegotiationError::DirectionMismatch {
            index: 0,
            offer: Direction::SendOnly,
            answer: Direction::SendRecv
        })
    ));
    let mut a = OfferAnswer::restore(
        alice(vec![audio(49170, &[pcmu(), ilbc(), te()])]),
        load("3.2_offer"),
        load("3.2_answer"),
        true,
    )
    .unwrap();
    let ours = a.receive_offer(&offer).unwrap();
    assert_eq!(ours.effective_direction(0), Direction::RecvOnly);
    assert_eq!(ours.effective_direction(1), Direction::SendOnly);
    assert_eq!(codecs(&ours.media[0]), [(97, "ilbc".to_owned(), 8000)]);
    assert_eq!(
        codecs(&ours.media[1]),
        [(98, "telephone-event".to_owned(), 8000)]
    );
    let n = a.negotiated().unwrap();
    assert_eq!(
        (n.media[0].direction, n.media[1].direction),
        (Direction::RecvOnly, Direction::SendOnly)
    );
}

// [RFC 4317 §4.1 test] "The second stream is added by Bob's media server
// (different connection address) to receive RFC 2833 telephone-events"
#[test]
fn rfc4317_4_1() {
    first(
        bob(vec![audio(49170, &[ilbc()])]),
        "4.1_offer",
        "4.1_answer",
        &[],
    );
    second(
        alice(vec![audio(49170, &[pcmu(), ilbc(), te()])]),
        "4.1_offer",
        "4.1_answer",
        true,
        "4.1_second-offer",
        "4.1_second-answer",
    );
    let n = negotiate(&load("4.1_second-offer"), &load("4.1_second-answer"), false).unwrap();
    assert_eq!(
        n.media[1].remote_rtp,
        Some(("mediaserver.biloxi.example.com".to_owned(), 48282))
    );
    assert_eq!(n.media[1].direction, Direction::SendOnly);
}

// [RFC 4317 §4.2 test] "Alice adds a video stream that is accepted by Bob."
#[test]
fn rfc4317_4_2() {
    let mut b = first(
        bob(vec![audio(49172, &[pcmu()]), video(49168, &[h261()])]),
        "4.2_offer",
        "4.2_answer",
        &[],
    );
    exchange(
        &mut b,
        "4.2_second-offer",
        "4.2_second-answer",
        &[],
        Some("4.2_answer"),
    );
}

// [RFC 4317 §4.3 test] "In a second exchange, Bob deletes the video session,
// resulting in an audio-only session."
#[test]
fn rfc4317_4_3() {
    first(
        bob(vec![audio(49174, &[ilbc()]), video(49170, &[h261()])]),
        "4.3_offer",
        "4.3_answer",
        &[],
    );
    second(
        alice(vec![audio(49170, &[ilbc()]), video(51372, &[h261()])]),
        "4.3_offer",
        "4.3_answer",
        true,
        "4.3_second-offer",
        "4.3_second-answer",
    );
}

// [RFC 4317 §5.1 test] "The first offer from Alice contains no media lines,
// so Bob accepts with no media lines."
#[test]
fn rfc4317_5_1() {
    let mut b = first(
        bob(vec![audio(49172, &[ilbc()])]),
        "5.1_offer",
        "5.1_answer",
        &[],
    );
    assert!(b.local_description().unwrap().media.is_empty());
    exchange(
        &mut b,
        "5.1_second-offer",
        "5.1_second-answer",
        &[],
        Some("5.1_answer"),
    );
}

// [RFC 4317 §5.2 test] "Bob accepts with normal SDP."
#[test]
fn rfc4317_5_2() {
    let mut b = first(
        bob(vec![audio(49170, &[ilbc()])]),
        "5.2_offer",
        "5.2_answer",
        &[],
    );
    // [RFC 3264 §8.4 test] "An agent MUST be capable of receiving SDP with a
    // connection address of 0.0.0.0, in which case it means that neither RTP
    // nor RTCP should be sent to the peer."
    let n = b.negotiated().unwrap();
    assert!(n.media[0].accepted);
    assert_eq!(
        (
            n.media[0].remote_rtp.as_ref(),
            n.media[0].remote_rtcp.as_ref()
        ),
        (None, None)
    );
    // Bob's second answer is unchanged, so its version is too.
    let ours = exchange(
        &mut b,
        "5.2_second-offer",
        "5.2_second-answer",
        &[],
        Some("5.2_answer"),
    );
    assert_eq!(ours, load("5.2_second-answer"));
    assert_eq!(
        b.negotiated().unwrap().media[0].remote_rtp,
        Some(("host.atlanta.example.com".to_owned(), 49170))
    );
}

// [RFC 4317 §5.3 test] "In the second exchange, Bob changes the connection
// address, Alice accepts, and a media session is established."
#[test]
fn rfc4317_5_3() {
    first(
        bob_at("0.0.0.0", vec![audio(9322, &[ilbc()])]),
        "5.3_offer",
        "5.3_answer",
        &[],
    );
    let ours = second(
        alice(vec![audio(49170, &[ilbc()])]),
        "5.3_offer",
        "5.3_answer",
        true,
        "5.3_second-offer",
        "5.3_second-answer",
    );
    assert_eq!(ours, load("5.3_second-answer"));
}

#[test]
fn every_published_pair_negotiates_except_the_3_2_hold_answer() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut n = 0;
    for section in [
        "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "3.1", "3.2", "4.1", "4.2", "4.3",
        "5.1", "5.2", "5.3",
    ] {
        for (o, a) in [("offer", "answer"), ("second-offer", "second-answer")] {
            if !dir.join(format!("rfc4317_{section}_{o}.sdp")).exists() {
                continue;
            }
            let r = negotiate(
                &load(&format!("{section}_{o}")),
                &load(&format!("{section}_{a}")),
                true,
            );
            if section == "3.2" && o == "second-offer" {
                assert!(r.is_err());
            } else {
                r.unwrap_or_else(|e| panic!("{section} {o}: {e}"));
            }
            n += 1;
        }
    }
    assert_eq!(n, 27);
}
