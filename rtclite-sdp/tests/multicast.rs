//! Multicast offer/answer (RFC 3264 §5.1, §6.2): the answer to a multicast
//! stream keeps the offer's group address, TTL, port, direction, ptime and
//! bandwidth, lists a subset of its formats, and `negotiate` refuses an
//! answer that differs.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, StreamConfig, build_answer, build_offer, negotiate,
};
use rtclite_sdp::{Direction, NegotiationError, OwnedSessionDescription, SessionDescription};

fn parse(text: &str) -> OwnedSessionDescription {
    SessionDescription::parse(text.as_bytes())
        .unwrap()
        .into_owned()
}

const OFFER: &str = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\n\
c=IN IP4 224.2.1.1/127\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97\r\nb=AS:64\r\n\
a=rtpmap:97 iLBC/8000\r\na=ptime:30\r\na=recvonly\r\n";

fn bob() -> EndpointConfig {
    EndpointConfig::new("bob", 1, "192.0.2.2").with_stream(
        StreamConfig::new("audio", "RTP/AVP", 6000)
            .with_codec(Codec::new(8, "PCMA", 8000))
            .with_codec(Codec::new(0, "PCMU", 8000))
            .with_attribute(rtclite_sdp::Attribute::new("ptime", "20")),
    )
}

#[test]
fn answer_to_a_multicast_offer_matches_the_offer() {
    let offer = parse(OFFER);
    let answer = build_answer(&offer, &bob(), 1).unwrap();
    let m = &answer.media[0];
    // [RFC 3264 §6.2 test] "If a multicast stream is accepted, the address
    // and port information in the answer MUST match that of the offer."
    assert_eq!(m.port, 49170);
    let c = answer.effective_connection(0).unwrap();
    assert_eq!((c.address.as_ref(), c.ttl), ("224.2.1.1", Some(127)));
    // [RFC 3264 §6.2 test] "Similarly, the directionality information in the
    // answer (sendonly, recvonly, or sendrecv) MUST equal that of the offer."
    assert_eq!(answer.effective_direction(0), Direction::RecvOnly);
    // [RFC 3264 §6.2 test] "The set of media formats in the answer MUST be
    // equal to or be a subset of those in the offer."
    assert_eq!(m.formats, ["0", "8"]);
    // [RFC 3264 §6.2 test] "The ptime and bandwidth attributes in the answer
    // MUST equal the ones in the offer, if present."
    assert_eq!(m.attribute("ptime").and_then(|a| a.value()), Some("30"));
    assert_eq!(m.attributes.iter().filter(|a| a.name == "ptime").count(), 1);
    assert_eq!(
        (m.bandwidths[0].bwtype.as_ref(), m.bandwidths[0].bandwidth),
        ("AS", 64)
    );
    // The written answer reads back the same.
    let bytes = answer.to_bytes();
    let again = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(again, answer);
    let agreed = negotiate(&offer, &answer, true).unwrap();
    assert_eq!(
        agreed.media[0].remote_rtp,
        Some(("224.2.1.1".to_owned(), 49170))
    );
}

#[test]
fn negotiate_refuses_a_multicast_answer_that_differs() {
    let offer = parse(OFFER);
    let good = build_answer(&offer, &bob(), 1).unwrap();
    let mut port = good.clone();
    port.media[0].port = 49172;
    let mut dir = good.clone();
    dir.media[0].set_direction(Direction::Inactive);
    let mut fmt = good.clone();
    fmt.media[0].formats.push("18".into());
    let mut ptime = good.clone();
    ptime.media[0].attributes.retain(|a| a.name != "ptime");
    ptime.media[0]
        .attributes
        .push(rtclite_sdp::Attribute::new("ptime", "20"));
    for (what, bad) in [
        ("port", port),
        ("direction", dir),
        ("format", fmt),
        ("ptime", ptime),
    ] {
        assert!(
            matches!(
                negotiate(&offer, &bad, true),
                Err(NegotiationError::Multicast { index: 0, .. })
            ),
            "{what}"
        );
    }
}

#[test]
fn multicast_offer_carries_the_ttl() {
    let alice = EndpointConfig::new("alice", 1, "192.0.2.1").with_stream(
        StreamConfig::new("audio", "RTP/AVP", 49170)
            .with_codec(Codec::new(0, "PCMU", 8000))
            .with_multicast("224.2.1.1", 16),
    );
    let offer = build_offer(&alice, 1).unwrap();
    let text = offer.to_string();
    // [RFC 8866 §5.7 test] "Sessions using an "IP4" multicast connection
    // address MUST also have a time to live (TTL) value present in addition
    // to the multicast address."
    assert!(text.contains("c=IN IP4 224.2.1.1/16\r\n"), "{text}");
    let back = SessionDescription::parse(text.as_bytes()).unwrap();
    assert_eq!(back.media[0].connections[0].ttl, Some(16));
    let answer = build_answer(&offer, &bob(), 1).unwrap();
    negotiate(&offer, &answer, true).unwrap();
}
