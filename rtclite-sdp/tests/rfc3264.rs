//! RFC 3264 §10 example exchanges: our answers match the published ones in
//! media, ports zero or not, codecs and directions.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::offer_answer::{Codec, EndpointConfig, OfferAnswer, StreamConfig, negotiate};
use rtclite_sdp::{Direction, MediaDescription, OwnedSessionDescription, SessionDescription};

fn load(name: &str) -> OwnedSessionDescription {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/rfc3264_{name}.sdp"));
    SessionDescription::parse(&std::fs::read(p).unwrap())
        .unwrap()
        .into_owned()
}

fn stream(media: &str, port: u16, codecs: &[Codec]) -> StreamConfig {
    codecs.iter().cloned().fold(
        StreamConfig::new(media, "RTP/AVP", port),
        StreamConfig::with_codec,
    )
}

fn formats(m: &MediaDescription<'_>) -> Vec<String> {
    m.formats.iter().map(ToString::to_string).collect()
}

fn assert_same(ours: &SessionDescription<'_>, published: &SessionDescription<'_>) {
    assert_eq!(ours.media.len(), published.media.len());
    for (i, (o, p)) in ours.media.iter().zip(&published.media).enumerate() {
        assert_eq!(
            (&o.media, o.port == 0),
            (&p.media, p.port == 0),
            "m-line {i}\n{ours}"
        );
        if p.port != 0 {
            assert_eq!(formats(o), formats(p), "m-line {i}\n{ours}");
            assert_eq!(
                ours.effective_direction(i),
                published.effective_direction(i),
                "m-line {i}\n{ours}"
            );
        }
    }
}

// [RFC 3264 §10.1 test] "The callee, Bob, does not want to receive or send
// the first video stream, so he returns the SDP below as the answer"
#[test]
fn rfc3264_10_1() {
    let bob = EndpointConfig::new("bob", 2890844730, "host.example.com")
        .with_session_name("")
        .with_stream(stream("audio", 49920, &[Codec::new(0, "PCMU", 8000)]))
        .with_stream(stream("video", 53000, &[Codec::new(32, "MPV", 90000)]));
    let mut b = OfferAnswer::new(bob, 2890844730);
    let ours = b.receive_offer(&load("10.1")).unwrap();
    assert_same(&ours, &load("10.1_2"));
    // Same ports as published: the rejected stream used none.
    assert_eq!(ours, load("10.1_2"));

    // Bob's second offer adds a receive-only telephone-event stream; Alice
    // answers it sendonly.
    let alice = EndpointConfig::new("alice", 2890844526, "host.anywhere.com")
        .with_session_name("")
        .with_stream(stream(
            "audio",
            49170,
            &[
                Codec::new(0, "PCMU", 8000),
                Codec::new(110, "telephone-events", 8000),
            ],
        ))
        .with_stream(stream(
            "video",
            51372,
            &[Codec::new(31, "H261", 90000), Codec::new(32, "MPV", 90000)],
        ));
    let mut a = OfferAnswer::restore(alice, load("10.1"), load("10.1_2"), true).unwrap();
    let ours = a.receive_offer(&load("10.1_3")).unwrap();
    assert_same(&ours, &load("10.1_4"));
    assert_eq!(ours.origin.session_version, "2890844527");
    assert_eq!(ours.effective_direction(3), Direction::SendOnly);
    negotiate(&load("10.1_3"), &load("10.1_4"), true).unwrap();
}

// [RFC 3264 §10.2 test] "Bob can support dynamic switching between PCMU and
// G.723."
#[test]
fn rfc3264_10_2() {
    let bob = EndpointConfig::new("bob", 2890844730, "host.example.com")
        .with_session_name("")
        .with_stream(stream(
            "audio",
            54344,
            &[Codec::new(0, "PCMU", 8000), Codec::new(4, "G723", 8000)],
        ));
    let mut b = OfferAnswer::new(bob, 2890844731);
    let ours = b.receive_offer(&load("10.2")).unwrap();
    // [RFC 3264 §6.1 test] "If an offered media stream is listed as
    // inactive, it MUST be marked as inactive in the answer."
    assert_eq!(ours.effective_direction(0), Direction::Inactive);
    assert_same(&ours, &load("10.2_2"));
    let ours = b.receive_offer(&load("10.2_3")).unwrap();
    assert_same(&ours, &load("10.2_4"));
    assert_eq!(ours.origin.session_version, "2890844732");
    let agreed = b.negotiated().unwrap();
    assert_eq!(agreed.media[0].direction, Direction::SendRecv);
    assert_eq!(agreed.media[0].codecs[0].encoding_name, "G723");
}

/// A later offer that maps a dynamic payload type to another codec on the
/// same m-line is refused; keeping the mapping is accepted.
#[test]
fn dynamic_payload_type_mapping_cannot_change_in_a_session() {
    let cfg = |user: &str, addr: &str, port, name: &str| {
        EndpointConfig::new(user, 1, addr).with_stream(stream(
            "audio",
            port,
            &[Codec::new(0, "PCMU", 8000), Codec::new(97, name, 8000)],
        ))
    };
    let mut alice = OfferAnswer::new(cfg("alice", "192.0.2.1", 49170, "iLBC"), 1);
    let mut bob = OfferAnswer::new(cfg("bob", "192.0.2.2", 49172, "iLBC"), 1);
    let offer = alice.create_offer().unwrap();
    let answer = bob.receive_offer(&offer).unwrap();
    alice.receive_answer(&answer).unwrap();
    // Same mapping, new port: fine.
    alice
        .update_stream(
            0,
            stream(
                "audio",
                49180,
                &[Codec::new(0, "PCMU", 8000), Codec::new(97, "iLBC", 8000)],
            ),
        )
        .unwrap();
    let offer = alice.create_offer().unwrap();
    let answer = bob.receive_offer(&offer).unwrap();
    alice.receive_answer(&answer).unwrap();
    // 97 now names another codec.
    alice
        .update_stream(
            0,
            stream(
                "audio",
                49180,
                &[Codec::new(0, "PCMU", 8000), Codec::new(97, "speex", 8000)],
            ),
        )
        .unwrap();
    let offer = alice.create_offer().unwrap();
    // [RFC 3264 §8.3.2 test] "the mapping from a particular dynamic payload
    // type number to a particular codec within that media stream MUST NOT
    // change for the duration of a session"
    assert_eq!(
        bob.receive_offer(&offer),
        Err(rtclite_sdp::NegotiationError::PayloadTypeRemapped {
            index: 0,
            payload_type: 97
        })
    );
}
