//! UAS core checks (RFC 3261 §8.2) and the 2xx retransmission of §13.3.1.4.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "sim/msg.rs"]
mod msg;

use std::time::{Duration, Instant};

use rtclite_sip::HeaderName;
use rtclite_sip::timer::TimerConfig;
use rtclite_sip::transport::TransportKind;
use rtclite_sip::ua::{MergeDetector, Retransmit2xx, Retransmit2xxEvent, UasPolicy};

use msg::{dest, parse, request, response};

fn policy() -> UasPolicy {
    UasPolicy {
        allow: ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS"]
            .map(String::from)
            .to_vec(),
        supported: vec!["100rel".into(), "timer".into()],
        accept: vec!["application/sdp".into()],
        to_tag: "uas1".into(),
    }
}

fn with(req: &rtclite_sip::OwnedMessage, extra: &str, body: &str) -> rtclite_sip::OwnedMessage {
    let text = String::from_utf8_lossy(req.bytes()).replace(
        "Content-Length: 0\r\n\r\n",
        &format!("{extra}Content-Length: {}\r\n\r\n{body}", body.len()),
    );
    parse(text.as_bytes())
}

fn values(m: &rtclite_sip::OwnedMessage, name: HeaderName) -> Vec<String> {
    m.message()
        .values_of(name)
        .map(|(_, v)| v.to_owned())
        .collect()
}

// [RFC 3261 §8.2.1 test] "The Allow header field MUST list the set of methods
// supported by the UAS generating the message."
#[test]
fn unsupported_method_gets_405_with_allow() {
    let t0 = Instant::now();
    let sub = request("SUBSCRIBE", "z9hG4bKu1", "UDP", 1);
    let r = policy()
        .check(t0, &sub.message(), &mut MergeDetector::new())
        .unwrap();
    assert_eq!(r.message().status(), Some(405));
    assert_eq!(
        values(&r, HeaderName::Allow),
        ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS"]
    );
    assert_eq!(r.message().to().unwrap().tag(), Some("uas1"));
    let opt = request("OPTIONS", "z9hG4bKu2", "UDP", 1);
    assert!(
        policy()
            .check(t0, &opt.message(), &mut MergeDetector::new())
            .is_none()
    );
}

// [RFC 3261 §8.2.2.3 test] "The UAS MUST add an Unsupported header field, and
// list in it those options it does not understand amongst those in the Require
// header field of the request."
#[test]
fn unknown_require_gets_420_with_unsupported() {
    let t0 = Instant::now();
    let inv = with(
        &request("INVITE", "z9hG4bKu3", "UDP", 1),
        "Require: 100rel, foo, bar\r\n",
        "",
    );
    let r = policy()
        .check(t0, &inv.message(), &mut MergeDetector::new())
        .unwrap();
    assert_eq!(r.message().status(), Some(420));
    assert_eq!(values(&r, HeaderName::Unsupported), ["foo", "bar"]);
    // Ignored in CANCEL.
    let cancel = with(
        &request("CANCEL", "z9hG4bKu3", "UDP", 1),
        "Require: foo\r\n",
        "",
    );
    assert!(
        policy()
            .check(t0, &cancel.message(), &mut MergeDetector::new())
            .is_none()
    );
}

// [RFC 3261 §8.2.3 test] "The response MUST contain an Accept header field listing
// the types of all bodies it understands"
#[test]
fn unknown_body_type_gets_415_with_accept() {
    let t0 = Instant::now();
    let inv = with(
        &request("INVITE", "z9hG4bKu4", "UDP", 1),
        "Content-Type: text/plain\r\n",
        "hello",
    );
    let r = policy()
        .check(t0, &inv.message(), &mut MergeDetector::new())
        .unwrap();
    assert_eq!(r.message().status(), Some(415));
    assert_eq!(values(&r, HeaderName::Accept), ["application/sdp"]);
    let sdp = with(
        &request("INVITE", "z9hG4bKu5", "UDP", 1),
        "Content-Type: application/SDP\r\n",
        "v=0\r\n",
    );
    assert!(
        policy()
            .check(t0, &sdp.message(), &mut MergeDetector::new())
            .is_none()
    );
}

// [RFC 3261 §8.2.2.2 test] "If the From tag, Call-ID, and CSeq exactly match those
// associated with an ongoing transaction, but the request does not match that
// transaction (based on the matching rules in Section 17.2.3), the UAS core
// SHOULD generate a 482 (Loop Detected) response"
#[test]
fn merged_request_gets_482() {
    let t0 = Instant::now();
    let mut merges = MergeDetector::new();
    let first = request("INVITE", "z9hG4bKpath1", "UDP", 1);
    let copy = request("INVITE", "z9hG4bKpath2", "UDP", 1);
    assert!(policy().check(t0, &first.message(), &mut merges).is_none());
    let r = policy().check(t0, &copy.message(), &mut merges).unwrap();
    assert_eq!(r.message().status(), Some(482));
    // After 64*T1 the first is forgotten.
    let later = t0 + Duration::from_secs(40);
    assert!(
        policy()
            .check(later, &copy.message(), &mut merges)
            .is_none()
    );
}

// [RFC 3261 §13.3.1.4 test] "The 2xx response is passed to the transport with an
// interval that starts at T1 seconds and doubles for each retransmission until it
// reaches T2 seconds"
// [RFC 3261 §13.3.1.4 test] "If the server retransmits the 2xx response for 64*T1
// seconds without receiving an ACK, the dialog is confirmed, but the session SHOULD
// be terminated."
#[test]
fn uas_core_retransmits_the_2xx_until_64_t1() {
    let t0 = Instant::now();
    let inv = request("INVITE", "z9hG4bKr1", "UDP", 1);
    let ok = response(&inv, 200, Some("uas1"));
    let mut r = Retransmit2xx::new(t0, ok, dest(TransportKind::Tcp), TimerConfig::default());
    let mut sent = Vec::new();
    let mut ended = None;
    for _ in 0..100 {
        let Some(t) = r.poll_timeout() else { break };
        r.handle_timeout(t);
        while r.poll_transmit().is_some() {
            sent.push((t - t0).as_millis());
        }
        if let Some(Retransmit2xxEvent::AckTimeout) = r.poll_event() {
            ended = Some((t - t0).as_millis());
        }
    }
    // Retransmitted even though the transport is reliable.
    assert_eq!(
        sent,
        [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(ended, Some(32000));
    assert!(!r.is_active());
}
