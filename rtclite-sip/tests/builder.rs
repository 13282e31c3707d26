//! Builders checked against the messages of RFC 3665 §3.8 (a call that
//! Alice cancels): the CANCEL and ACK a proxy builds from the INVITE it
//! forwarded, and the 487 Bob answers, byte for byte after normalisation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::builder::{
    BRANCH_COOKIE, RequestParams, ack_for_non_2xx, cancel, new_request, response_to,
};
use rtclite_sip::{HeaderName, Message, MessageBuilder, Method, validate};

fn load(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/vectors/rfc3665/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The canonical form of an RFC message (folding undone).
fn canonical(b: &[u8]) -> String {
    String::from_utf8(Message::parse(b).unwrap().to_vec()).unwrap()
}

fn text(m: &rtclite_sip::OwnedMessage) -> String {
    String::from_utf8(m.message().to_vec()).unwrap()
}

// [RFC 3261 §9.1 test] "A CANCEL constructed by a
// client MUST have only a single Via header field value matching the
// top Via value in the request being cancelled."
#[test]
fn cancel_of_rfc3665_3_8_f4_is_f13() {
    let invite = load("3.8_F4.sip");
    let invite = Message::parse(&invite).unwrap();
    let c = cancel(&invite).unwrap();
    assert_eq!(text(&c), canonical(&load("3.8_F13.sip")));
    validate(&c.message()).unwrap();
}

// [RFC 3261 §17.1.1.3 test] "The ACK MUST contain a single Via header field, and
// this MUST be equal to the top Via header field of the original
// request."
#[test]
fn ack_for_rfc3665_3_8_f15_is_f16() {
    let invite = load("3.8_F4.sip");
    let resp = load("3.8_F15.sip");
    let ack = ack_for_non_2xx(
        &Message::parse(&invite).unwrap(),
        &Message::parse(&resp).unwrap(),
    )
    .unwrap();
    assert_eq!(text(&ack), canonical(&load("3.8_F16.sip")));
}

// [RFC 3261 §17.1.1.3 test] "If the INVITE request whose response is being acknowledged had Route
// header fields, those header fields MUST appear in the ACK."
#[test]
fn ack_and_cancel_copy_route() {
    let invite = MessageBuilder::from_message(&Message::parse(&load("3.8_F4.sip")).unwrap())
        .header(HeaderName::Route, "<sip:p1.example.com;lr>")
        .header(HeaderName::Require, "100rel")
        .build()
        .unwrap();
    let resp = load("3.8_F15.sip");
    let ack = ack_for_non_2xx(&invite.message(), &Message::parse(&resp).unwrap()).unwrap();
    let routes: Vec<_> = ack
        .message()
        .routes()
        .map(|r| r.unwrap().uri_str().to_owned())
        .collect();
    assert_eq!(routes, ["sip:p1.example.com;lr"]);
    let c = cancel(&invite.message()).unwrap();
    assert_eq!(c.message().routes().count(), 1);
    // [RFC 3261 §9.1 test] "The CANCEL request MUST NOT contain any Require or Proxy-Require
    // header fields."
    assert!(c.message().header(HeaderName::Require).is_none());
}

// [RFC 3261 §8.2.6.2 test] "The Via header
// field values in the response MUST equal the Via header field values
// in the request and MUST maintain the same ordering."
#[test]
fn response_487_to_rfc3665_3_8_f4_is_f15() {
    let bytes = load("3.8_F4.sip");
    let invite = Message::parse(&bytes).unwrap();
    // Bob's transport adds received to the top Via (RFC 3261 §18.2.1)
    let top = invite.header(HeaderName::Via).unwrap().value().into_owned();
    let received = MessageBuilder::from_message(&invite)
        .remove_first(HeaderName::Via)
        .header_first(HeaderName::Via, format!("{top} ;received=192.0.2.222"))
        .build()
        .unwrap();
    let r = response_to(
        &received.message(),
        487,
        "Request Terminated",
        Some("314159"),
    )
    .unwrap();
    assert_eq!(text(&r), canonical(&load("3.8_F15.sip")));
}

// [RFC 3261 §8.2.6.2 test] "the UAS MUST add a tag to the To header field in
// the response (with the exception of the 100 (Trying) response, in
// which a tag MAY be present)."
#[test]
fn response_tags_and_timestamp() {
    let invite = MessageBuilder::from_message(&Message::parse(&load("3.8_F4.sip")).unwrap())
        .header(HeaderName::Timestamp, "54")
        .build()
        .unwrap();
    let trying = response_to(&invite.message(), 100, "Trying", Some("x1")).unwrap();
    let m = trying.message();
    assert_eq!(m.to().unwrap().tag(), None);
    assert_eq!(m.timestamp().unwrap().unwrap().time, "54");
    let ringing = response_to(&invite.message(), 180, "Ringing", Some("x1")).unwrap();
    let m = ringing.message();
    assert_eq!(m.to().unwrap().tag(), Some("x1"));
    assert!(m.timestamp().is_none());
    // [RFC 3261 §12.1.1 test] "the UAS MUST copy all Record-Route header field values
    // from the request into the response"
    assert_eq!(m.record_routes().count(), 2);
    assert_eq!(m.via().count(), 3);
    assert_eq!(m.cseq().unwrap().method, "INVITE");
}

// [RFC 3261 §8.1.1 test] "A valid SIP request formulated by a UAC MUST, at a minimum, contain
// the following header fields: To, From, CSeq, Call-ID, Max-Forwards,
// and Via"
#[test]
fn new_request_has_mandatory_fields_and_fresh_identifiers() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let p = RequestParams {
        method: Method::Invite,
        request_uri: "sip:bob@biloxi.example.com",
        from: "Alice <sip:alice@atlanta.example.com>",
        to: "Bob <sip:bob@biloxi.example.com>",
        transport: "UDP",
        sent_by: "pc33.atlanta.example.com",
        cseq: 314_159,
        contact: Some("<sip:alice@pc33.atlanta.example.com>"),
        call_id: None,
    };
    let a = new_request(&p, &mut rng).unwrap();
    let b = new_request(&p, &mut rng).unwrap();
    let (ma, mb) = (a.message(), b.message());
    validate(&ma).unwrap();
    for name in [
        HeaderName::To,
        HeaderName::From,
        HeaderName::CSeq,
        HeaderName::CallId,
        HeaderName::MaxForwards,
        HeaderName::Via,
    ] {
        assert!(ma.header(name).is_some(), "{name:?}");
    }
    let branch = ma.top_via().unwrap().branch().unwrap().to_owned();
    // [RFC 3261 §8.1.1.7 test] "The branch ID inserted by an element compliant with
    // this specification MUST always begin with the characters "z9hG4bK"."
    assert!(branch.starts_with(BRANCH_COOKIE));
    assert_eq!(branch.len(), BRANCH_COOKIE.len() + 24);
    assert_ne!(Some(branch.as_str()), mb.top_via().unwrap().branch());
    assert_ne!(ma.from().unwrap().tag(), mb.from().unwrap().tag());
    assert_eq!(ma.from().unwrap().tag().unwrap().len(), 16);
    assert_ne!(ma.call_id().unwrap(), mb.call_id().unwrap());
    assert_eq!(ma.to().unwrap().tag(), None);
    assert_eq!(ma.max_forwards().unwrap().unwrap(), 70);
    // same seed, same identifiers: the caller's RNG is the only source
    let again = new_request(&p, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
    assert_eq!(again, a);
    // [RFC 3261 §8.1.1.5 test] "The sequence number value MUST be expressible as a 32-bit
    // unsigned integer and MUST be less than 2**31."
    let too_big = RequestParams { cseq: 1 << 31, ..p };
    assert!(new_request(&too_big, &mut rng).is_err());
}

#[test]
fn builder_rejects_line_breaks_and_sets_content_length() {
    let e = MessageBuilder::request(Method::Options, "sip:a@b.example")
        .header(HeaderName::Subject, "two\r\nlines")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("line break"));
    let m = MessageBuilder::request(Method::Message, "sip:a@b.example")
        .header(HeaderName::ContentLength, "999")
        .body("text/plain", b"hello".to_vec())
        .build()
        .unwrap();
    assert_eq!(m.message().content_length().unwrap().unwrap(), 5);
    assert_eq!(m.message().body(), b"hello");
    assert_eq!(&m.body_bytes()[..], b"hello");
}
