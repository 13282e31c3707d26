//! The UA core against exact messages: a `UserAgent` talking to another
//! one, or to a scripted peer whose messages the test writes, checking the
//! RFC 3261 §8, §9, §12–§15, RFC 3262 and RFC 3428 rules each flow
//! exercises.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use common::ua::{
    a_addr, add_alice, add_bob, alice_config, b_addr, bob_config, call_answered, ends, header,
    incoming_call, parse, peer, peer_sends, start, to_peer,
};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::builder::{MessageBuilder, response_to};
use rtclite_sip::digest::{Algorithm, DigestServer};
use rtclite_sip::ua::{Body, CallHandle, EndReason, UaEvent};
use rtclite_sip::{HeaderName, OwnedMessage};
use sim::phones::Phones;

const OFFER: &[u8] = b"v=0\r\no=alice 1 1 IN IP4 192.0.2.101\r\n";
const ANSWER: &[u8] = b"v=0\r\no=bob 2 2 IN IP4 192.0.2.201\r\n";

fn pair() -> (Phones, usize, usize) {
    let mut w = Phones::new();
    let alice = add_alice(&mut w, alice_config());
    let bob = add_bob(&mut w, bob_config());
    (w, alice, bob)
}

fn alone() -> (Phones, usize) {
    let mut w = Phones::new();
    let alice = add_alice(&mut w, alice_config());
    (w, alice)
}

fn starts(ms: &[OwnedMessage]) -> Vec<String> {
    ms.iter().map(start).collect()
}

fn reply(
    w: &mut Phones,
    to: SocketAddr,
    req: &OwnedMessage,
    code: u16,
    tag: Option<&str>,
    extra: &[(HeaderName, &str)],
    body: Option<&[u8]>,
) {
    let r = response_to(&req.message(), code, "Status", tag).unwrap();
    let mut b = MessageBuilder::from_message(&r.message());
    for (n, v) in extra {
        b = b.header(*n, *v);
    }
    if let Some(body) = body {
        b = b.body("application/sdp", body.to_vec());
    }
    let r = b.build().unwrap();
    peer_sends(w, to, r.bytes().clone());
}

/// An INVITE from the scripted peer to Bob.
fn invite_to_bob(extra: &str, body: &str) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:bob@192.0.2.201:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKpeer1\r\n\
Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n\
From: Carol <sip:carol@chicago.example.com>;tag=c1\r\n\
Call-ID: peer-call-1\r\nCSeq: 10 INVITE\r\n\
Contact: <sip:carol@192.0.2.50:5060>\r\n{extra}\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ))
}

fn in_dialog_from_peer(method: &str, to_tag: &str, cseq: u32, extra: &str) -> Bytes {
    Bytes::from(format!(
        "{method} sip:bob@192.0.2.201:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKpeer{method}{cseq}\r\n\
Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>;tag={to_tag}\r\n\
From: Carol <sip:carol@chicago.example.com>;tag=c1\r\n\
Call-ID: peer-call-1\r\nCSeq: {cseq} {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    ))
}

// ---------------------------------------------------------------------
// Session setup and teardown
// ---------------------------------------------------------------------

#[test]
fn callee_bye_waits_for_the_ack() {
    // Bob answers a scripted caller and hangs up at once: the BYE must not
    // leave before the ACK (RFC 3261 §15).
    let mut w = Phones::new();
    let bob = add_bob(&mut w, bob_config());
    peer_sends(&mut w, b_addr(), invite_to_bob("", "v=0\r\n"));
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| {
        ua.answer(now, call, Some(Body::sdp(ANSWER))).unwrap();
        ua.hang_up(now, call).unwrap();
    });
    // [RFC 3261 §15 test] "However, the callee's UA MUST NOT send a BYE on a
    // confirmed dialog until it has received an ACK for its 2xx response or
    // until the server transaction times out."
    assert_eq!(starts(&to_peer(&w)), ["200"]);
    let ok = to_peer(&w)[0].clone();
    let tag = ok.message().to().unwrap().tag().unwrap().to_owned();
    peer_sends(&mut w, b_addr(), in_dialog_from_peer("ACK", &tag, 10, ""));
    assert_eq!(starts(&to_peer(&w)), ["200", "BYE"]);
    let bye = &to_peer(&w)[1];
    // A response to a request with a To tag keeps the request's To as is.
    let tag_bye = tag.clone();
    peer_sends(
        &mut w,
        b_addr(),
        in_dialog_from_peer("OPTIONS", &tag_bye, 11, ""),
    );
    let ok = to_peer(&w).last().unwrap().clone();
    // [RFC 3261 §8.2.6.2 test] "If a request contained a To tag in the request,
    // the To header field in the response MUST equal that of the request."
    assert_eq!(
        header(&ok, HeaderName::To).unwrap(),
        format!("Bob <sip:bob@biloxi.example.com>;tag={tag_bye}")
    );
    assert_eq!(
        bye.message().request_uri(),
        Some("sip:carol@192.0.2.50:5060")
    );
    assert_eq!(
        header(bye, HeaderName::To).unwrap(),
        "Carol <sip:carol@chicago.example.com>;tag=c1"
    );
    assert_eq!(ends(&w, bob), [EndReason::LocalBye]);
}

// [RFC 3261 §13.3.1.4 test] "The 2xx response is passed to the transport with
// an interval that starts at T1 seconds and doubles for each retransmission
// until it reaches T2 seconds"
#[test]
fn callee_retransmits_2xx_until_ack() {
    let mut w = Phones::new();
    let bob = add_bob(&mut w, bob_config());
    peer_sends(&mut w, b_addr(), invite_to_bob("", "v=0\r\n"));
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(ANSWER))))
        .unwrap();
    let t0 = w.now;
    let mut times = Vec::new();
    for _ in 0..40 {
        w.advance(Duration::from_millis(250));
        while times.len() + 1 < w.outside.len() {
            times.push((w.now - t0).as_millis());
        }
    }
    // 0.5, 1.5, 3.5, 7.5 (T2 = 4 s reached)
    assert_eq!(times, [500, 1500, 3500, 7500]);
    let tag = to_peer(&w)[0]
        .message()
        .to()
        .unwrap()
        .tag()
        .unwrap()
        .to_owned();
    assert!(to_peer(&w).iter().all(|m| start(m) == "200"));
    peer_sends(&mut w, b_addr(), in_dialog_from_peer("ACK", &tag, 10, ""));
    assert!(w.ua(bob).is_established(call));
    let before = w.outside.len();
    w.advance(Duration::from_secs(20));
    // [RFC 3261 §13.3.1.4 test] "Response retransmissions cease when an ACK
    // request for the response is received."
    assert_eq!(w.outside.len(), before);
}

// [RFC 3261 §14.2 test] "If a UAS generates a 2xx response and never receives
// an ACK, it SHOULD generate a BYE to terminate the dialog."
#[test]
fn callee_without_ack_sends_bye_after_64_t1() {
    let mut w = Phones::new();
    let bob = add_bob(&mut w, bob_config());
    peer_sends(&mut w, b_addr(), invite_to_bob("", "v=0\r\n"));
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(ANSWER))))
        .unwrap();
    w.advance(Duration::from_secs(31));
    assert!(!starts(&to_peer(&w)).contains(&"BYE".to_owned()));
    w.advance(Duration::from_secs(2));
    assert!(starts(&to_peer(&w)).contains(&"BYE".to_owned()));
    assert_eq!(ends(&w, bob), [EndReason::Timeout]);
}

// [RFC 3261 §13.2.2.4 test] "The ACK MUST be passed to the client transport
// every time a retransmission of the 2xx final response that triggered the
// ACK arrives."
#[test]
fn caller_acks_every_2xx_retransmission() {
    let (mut w, alice) = alone();
    w.with(alice, |ua, now| {
        ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
    })
    .unwrap();
    let invite = to_peer(&w)[0].clone();
    let contact = [(HeaderName::Contact, "<sip:carol@192.0.2.50>")];
    reply(
        &mut w,
        a_addr(),
        &invite,
        200,
        Some("t1"),
        &contact,
        Some(ANSWER),
    );
    reply(
        &mut w,
        a_addr(),
        &invite,
        200,
        Some("t1"),
        &contact,
        Some(ANSWER),
    );
    let sent = to_peer(&w);
    assert_eq!(starts(&sent), ["INVITE", "ACK", "ACK"]);
    assert_eq!(sent[1].bytes(), sent[2].bytes(), "the same ACK again");
    let ack = sent[1].message();
    // [RFC 3261 §13.2.2.4 test] "The sequence number of the CSeq header field
    // MUST be the same as the INVITE being acknowledged, but the CSeq method
    // MUST be ACK."
    assert_eq!(
        ack.cseq().unwrap().seq,
        invite.message().cseq().unwrap().seq
    );
    assert_eq!(ack.cseq().unwrap().method, "ACK");
    assert_ne!(
        ack.top_via().unwrap().branch(),
        invite.message().top_via().unwrap().branch()
    );
    assert_eq!(ack.request_uri(), Some("sip:carol@192.0.2.50"));
    assert_eq!(
        w.find(alice, |e| matches!(e, UaEvent::Answered { .. })
            .then_some(()))
            .len(),
        1
    );
}

// [RFC 3261 §13.2.2.4 test] "If, after acknowledging any 2xx response to an
// INVITE, the UAC does not want to continue with that dialog, then the UAC
// MUST terminate the dialog by sending a BYE request as described in Section
// 15."
#[test]
fn forked_second_2xx_is_acked_then_byed() {
    let (mut w, alice) = alone();
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
        })
        .unwrap();
    let invite = to_peer(&w)[0].clone();
    reply(
        &mut w,
        a_addr(),
        &invite,
        180,
        Some("fork1"),
        &[(HeaderName::Contact, "<sip:carol@192.0.2.51>")],
        None,
    );
    reply(
        &mut w,
        a_addr(),
        &invite,
        180,
        Some("fork2"),
        &[(HeaderName::Contact, "<sip:carol@192.0.2.52>")],
        None,
    );
    reply(
        &mut w,
        a_addr(),
        &invite,
        200,
        Some("fork2"),
        &[(HeaderName::Contact, "<sip:carol@192.0.2.52>")],
        Some(ANSWER),
    );
    reply(
        &mut w,
        a_addr(),
        &invite,
        200,
        Some("fork1"),
        &[(HeaderName::Contact, "<sip:carol@192.0.2.51>")],
        Some(ANSWER),
    );
    // The wire routes by Request-URI host; 192.0.2.51/52 are outside too.
    let sent: Vec<OwnedMessage> = w.log.iter().map(|s| parse(&s.bytes)).collect();
    assert_eq!(starts(&sent), ["INVITE", "ACK", "ACK", "BYE"]);
    let to_tag = |m: &OwnedMessage| m.message().to().unwrap().tag().unwrap().to_owned();
    assert_eq!(to_tag(&sent[1]), "fork2");
    assert_eq!(
        sent[1].message().request_uri(),
        Some("sip:carol@192.0.2.52")
    );
    // [RFC 3261 §13.2.2.4 test] "Otherwise, a new dialog in the "confirmed"
    // state MUST be constructed using the procedures of Section 12.1.2."
    assert_eq!(to_tag(&sent[2]), "fork1");
    assert_eq!(
        sent[2].message().request_uri(),
        Some("sip:carol@192.0.2.51")
    );
    assert_eq!(to_tag(&sent[3]), "fork1");
    assert_eq!(
        sent[3].message().request_uri(),
        Some("sip:carol@192.0.2.51")
    );
    // The call itself continues with the first answer.
    assert_eq!(w.ua(alice).dialog(call).unwrap().id().remote_tag, "fork2");
    assert!(w.ua(alice).is_established(call));
    assert!(ends(&w, alice).is_empty());
}

// ---------------------------------------------------------------------
// CANCEL, rejection
// ---------------------------------------------------------------------

// [RFC 3261 §9.2 test] "If the original request was an INVITE, the UAS SHOULD
// immediately respond to the INVITE with a 487 (Request Terminated)."
#[test]
fn cancel_while_ringing_gives_200_and_487() {
    let (mut w, alice, bob) = pair();
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", Body::sdp(OFFER))
        })
        .unwrap();
    let theirs = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.ring(now, theirs)).unwrap();
    w.with(alice, |ua, now| ua.cancel(now, call)).unwrap();
    let sent: Vec<OwnedMessage> = w.log.iter().map(|s| parse(&s.bytes)).collect();
    assert_eq!(
        starts(&sent),
        [
            "INVITE", "180", "PRACK", "200", "CANCEL", "200", "487", "ACK"
        ]
    );
    // [RFC 3261 §9.2 test] "the To tag of the response to the CANCEL and the To
    // tag in the response to the original request SHOULD be the same"
    let tag = |m: &OwnedMessage| m.message().to().unwrap().tag().map(str::to_owned);
    assert_eq!(tag(&sent[5]), tag(&sent[6]));
    assert_eq!(ends(&w, alice), [EndReason::Cancelled]);
    assert_eq!(ends(&w, bob), [EndReason::Cancelled]);
    w.advance(Duration::from_secs(40));
    assert_eq!(w.ua(alice).call_count(), 0);
    assert_eq!(w.ua(bob).call_count(), 0);
    assert!(w.ua(alice).transactions().is_empty());
    assert!(w.ua(bob).transactions().is_empty());
}

// [RFC 3261 §9.1 test] "If no provisional response has been received, the
// CANCEL request MUST NOT be sent; rather, the client MUST wait for the arrival
// of a provisional response before sending the request."
#[test]
fn cancel_waits_for_a_provisional_response() {
    let (mut w, alice) = alone();
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
        })
        .unwrap();
    w.with(alice, |ua, now| ua.cancel(now, call)).unwrap();
    w.advance(Duration::from_millis(100));
    assert_eq!(starts(&to_peer(&w)), ["INVITE"]);
    let invite = to_peer(&w)[0].clone();
    reply(&mut w, a_addr(), &invite, 100, None, &[], None);
    let sent = to_peer(&w);
    assert_eq!(starts(&sent), ["INVITE", "CANCEL"]);
    // [RFC 3261 §9.1 test] "The Request-URI, Call-ID, To, the numeric part of
    // CSeq, and From header fields in the CANCEL request MUST be identical to
    // those in the request being cancelled, including tags."
    let (i, c) = (sent[0].message(), sent[1].message());
    assert_eq!(i.request_uri(), c.request_uri());
    assert_eq!(i.top_via().unwrap().branch(), c.top_via().unwrap().branch());
    assert_eq!(i.cseq().unwrap().seq, c.cseq().unwrap().seq);
    reply(&mut w, a_addr(), &invite, 487, Some("t9"), &[], None);
    assert_eq!(ends(&w, alice), [EndReason::Cancelled]);
    assert_eq!(starts(&to_peer(&w)), ["INVITE", "CANCEL", "ACK"]);
}

#[test]
fn busy_callee_486_ends_the_call_for_both() {
    let (mut w, alice, bob) = pair();
    w.with(alice, |ua, now| {
        ua.call(now, "sip:bob@192.0.2.201:5060", Body::sdp(OFFER))
    })
    .unwrap();
    let theirs = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.reject(now, theirs, 486)).unwrap();
    let sent: Vec<OwnedMessage> = w.log.iter().map(|s| parse(&s.bytes)).collect();
    assert_eq!(starts(&sent), ["INVITE", "486", "ACK"]);
    assert_eq!(ends(&w, alice), [EndReason::Rejected { status: 486 }]);
    assert_eq!(ends(&w, bob), [EndReason::Rejected { status: 486 }]);
}

// ---------------------------------------------------------------------
// UAS checks (§8.2)
// ---------------------------------------------------------------------

fn bob_alone() -> (Phones, usize) {
    let mut w = Phones::new();
    let bob = add_bob(&mut w, bob_config());
    (w, bob)
}

fn request_to_bob(method: &str, extra: &str, body: &str) -> Bytes {
    Bytes::from(format!(
        "{method} sip:bob@192.0.2.201:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK{method}x\r\n\
Max-Forwards: 70\r\nTo: <sip:bob@biloxi.example.com>\r\n\
From: <sip:carol@chicago.example.com>;tag=c7\r\n\
Call-ID: c-{method}\r\nCSeq: 1 {method}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    ))
}

fn answer_to(w: &mut Phones, bob: usize, req: Bytes) -> OwnedMessage {
    let _ = bob;
    let before = w.outside.len();
    peer_sends(w, b_addr(), req);
    assert_eq!(w.outside.len(), before + 1, "one response");
    parse(&w.outside.last().unwrap().bytes)
}

// [RFC 3261 §8.2.1 test] "The UAS MUST also add an Allow header field to the 405
// (Method Not Allowed) response."
#[test]
fn unknown_method_gets_405_with_allow() {
    let (mut w, bob) = bob_alone();
    let r = answer_to(
        &mut w,
        bob,
        request_to_bob("SUBSCRIBE", "Event: presence\r\n", ""),
    );
    assert_eq!(start(&r), "405");
    assert_eq!(
        header(&r, HeaderName::Allow).unwrap(),
        "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, PRACK"
    );
}

// [RFC 3261 §8.2.2.3 test] "The UAS MUST add an Unsupported header field, and
// list in it those options it does not understand amongst those in the Require
// header field of the request."
#[test]
fn unknown_required_extension_gets_420() {
    let (mut w, bob) = bob_alone();
    let r = answer_to(
        &mut w,
        bob,
        request_to_bob("OPTIONS", "Require: 100rel, foo\r\n", ""),
    );
    assert_eq!(start(&r), "420");
    assert_eq!(header(&r, HeaderName::Unsupported).unwrap(), "foo");
}

// [RFC 3261 §8.2.3 test] "The response MUST contain an Accept header field
// listing the types of all bodies it understands"
#[test]
fn unknown_body_type_gets_415_with_accept() {
    let (mut w, bob) = bob_alone();
    let r = answer_to(
        &mut w,
        bob,
        request_to_bob("MESSAGE", "Content-Type: application/x-foo\r\n", "hi"),
    );
    assert_eq!(start(&r), "415");
    assert_eq!(
        header(&r, HeaderName::Accept).unwrap(),
        "application/sdp, text/plain"
    );
}

// [RFC 3261 §15.1.2 test] "If the BYE does not match an existing dialog, the UAS
// core SHOULD generate a 481 (Call/Transaction Does Not Exist) response"
#[test]
fn bye_for_unknown_dialog_gets_481() {
    let (mut w, bob) = bob_alone();
    let r = answer_to(&mut w, bob, in_dialog_from_peer("BYE", "nope", 2, ""));
    assert_eq!(start(&r), "481");
}

#[test]
fn malformed_request_gets_400() {
    let (mut w, bob) = bob_alone();
    // A Request-URI with a header part is malformed for the UAS (RFC 4475 §3.1.2.11).
    let req = Bytes::from_static(
        b"OPTIONS sip:bob@192.0.2.201?Subject=x SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKbad\r\nMax-Forwards: 70\r\n\
To: <sip:bob@biloxi.example.com>\r\nFrom: <sip:c@chicago.example.com>;tag=1\r\n\
Call-ID: bad1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    );
    let r = answer_to(&mut w, bob, req);
    assert_eq!(start(&r), "400");
    assert!(header(&r, HeaderName::Warning).is_some());
}

// [RFC 3261 §8.2.2.2 test] "If the From tag, Call-ID, and CSeq exactly match
// those associated with an ongoing transaction, but the request does not match
// that transaction (based on the matching rules in Section 17.2.3)"
#[test]
fn merged_invite_gets_482() {
    let (mut w, bob) = bob_alone();
    peer_sends(&mut w, b_addr(), invite_to_bob("", "v=0\r\n"));
    let copy = String::from_utf8(invite_to_bob("", "v=0\r\n").to_vec())
        .unwrap()
        .replace("z9hG4bKpeer1", "z9hG4bKpeer1-other-path");
    let r = answer_to(&mut w, bob, Bytes::from(copy));
    assert_eq!(start(&r), "482");
    assert_eq!(
        w.find(bob, |e| matches!(e, UaEvent::IncomingCall { .. })
            .then_some(()))
            .len(),
        1
    );
}

// ---------------------------------------------------------------------
// OPTIONS and MESSAGE
// ---------------------------------------------------------------------

// [RFC 3261 §11.2 test] "Allow, Accept, Accept-Encoding, Accept-Language, and
// Supported header fields SHOULD be present in a 200 (OK) response to an
// OPTIONS request."
#[test]
fn options_answered_with_capabilities() {
    let (mut w, alice, _bob) = pair();
    let req = w
        .with(alice, |ua, now| ua.options(now, "sip:bob@192.0.2.201:5060"))
        .unwrap();
    let results = w.find(alice, |e| match e {
        UaEvent::OptionsResult {
            request,
            status,
            response,
        } => Some((*request, *status, response.clone())),
        _ => None,
    });
    assert_eq!(results.len(), 1);
    let (r, status, response) = results[0].clone();
    assert_eq!((r, status), (req, 200));
    let response = response.unwrap();
    assert_eq!(
        header(&response, HeaderName::Allow).unwrap(),
        "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, PRACK"
    );
    assert_eq!(
        header(&response, HeaderName::Accept).unwrap(),
        "application/sdp, text/plain"
    );
    assert_eq!(
        header(&response, HeaderName::Supported).unwrap(),
        "100rel, timer"
    );
    assert!(header(&response, HeaderName::AcceptEncoding).is_some());
    assert!(header(&response, HeaderName::AcceptLanguage).is_some());
}

// [RFC 3428 §4 test] "User Agents MUST NOT insert Contact header fields into
// MESSAGE requests."
// [RFC 3428 §7 test] "A 2xx response to a MESSAGE request MUST NOT contain a
// body."
#[test]
fn message_outside_a_dialog() {
    let (mut w, alice, bob) = pair();
    let req = w
        .with(alice, |ua, now| {
            ua.send_message(
                now,
                "sip:bob@192.0.2.201:5060",
                Body::text("Watson, come here."),
            )
        })
        .unwrap();
    let sent: Vec<OwnedMessage> = w.log.iter().map(|s| parse(&s.bytes)).collect();
    assert_eq!(starts(&sent), ["MESSAGE", "200"]);
    assert!(header(&sent[0], HeaderName::Contact).is_none());
    assert!(sent[1].message().body().is_empty());
    // [RFC 3428 §7 test] "A UAS MUST NOT insert a Contact header field into a 2xx
    // response."
    assert!(header(&sent[1], HeaderName::Contact).is_none());
    let got = w.find(bob, |e| match e {
        UaEvent::IncomingMessage { call, from, body } => Some((*call, from.clone(), body.clone())),
        _ => None,
    });
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, None);
    assert!(
        got[0]
            .1
            .starts_with("Alice <sip:alice@atlanta.example.com>;tag=")
    );
    assert_eq!(got[0].2, Body::text("Watson, come here."));
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::MessageResult { request, status } => Some((*request, *status)),
            _ => None,
        }),
        [(req, 200)]
    );
}

#[test]
fn message_inside_a_call() {
    let (mut w, alice, bob) = pair();
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", Body::sdp(OFFER))
        })
        .unwrap();
    let theirs = incoming_call(&w, bob);
    w.with(bob, |ua, now| {
        ua.answer(now, theirs, Some(Body::sdp(ANSWER)))
    })
    .unwrap();
    w.with(alice, |ua, now| {
        ua.send_message_in_call(now, call, Body::text("hello"))
    })
    .unwrap();
    let got = w.find(bob, |e| match e {
        UaEvent::IncomingMessage { call, body, .. } => Some((*call, body.clone())),
        _ => None,
    });
    assert_eq!(got, [(Some(theirs), Body::text("hello"))]);
    let msg = w
        .log
        .iter()
        .map(|s| parse(&s.bytes))
        .find(|m| start(m) == "MESSAGE")
        .unwrap();
    let invite = w
        .log
        .iter()
        .map(|s| parse(&s.bytes))
        .find(|m| start(m) == "INVITE")
        .unwrap();
    assert_eq!(
        msg.message().call_id().unwrap(),
        invite.message().call_id().unwrap()
    );
    assert_eq!(
        msg.message().cseq().unwrap().seq,
        invite.message().cseq().unwrap().seq + 1
    );
}

// ---------------------------------------------------------------------
// Re-INVITE and glare (§14)
// ---------------------------------------------------------------------

fn established() -> (Phones, usize, usize, CallHandle, CallHandle) {
    let (mut w, alice, bob) = pair();
    let (call, theirs) = call_answered(&mut w, alice, bob, OFFER, ANSWER);
    (w, alice, bob, call, theirs)
}

#[test]
fn reinvite_puts_the_call_on_hold_and_back() {
    let (mut w, alice, bob, call, theirs) = established();
    let hold = Body::sdp(&b"v=0\r\na=sendonly\r\n"[..]);
    w.with(alice, |ua, now| ua.reinvite(now, call, hold.clone()))
        .unwrap();
    let offers = w.find(bob, |e| match e {
        UaEvent::ReInvite { call, offer } => Some((*call, offer.clone())),
        _ => None,
    });
    assert_eq!(offers, [(theirs, Some(hold))]);
    let held = Body::sdp(&b"v=0\r\na=recvonly\r\n"[..]);
    w.with(bob, |ua, now| ua.answer(now, theirs, Some(held.clone())))
        .unwrap();
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::SessionUpdated { answer, .. } => answer.clone(),
            _ => None,
        }),
        [held]
    );
    let sent: Vec<OwnedMessage> = w.log.iter().map(|s| parse(&s.bytes)).collect();
    let tail: Vec<String> = starts(&sent).split_off(sent.len() - 3);
    assert_eq!(tail, ["INVITE", "200", "ACK"]);
    let reinvite = &sent[sent.len() - 3];
    // [RFC 3261 §12.2.1.1 test] "The tag in the To header field of the request
    // MUST be set to the remote tag of the dialog ID."
    assert!(reinvite.message().to().unwrap().tag().is_some());
    // Refused re-INVITE: the session stays (§14.1).
    w.with(alice, |ua, now| {
        ua.reinvite(now, call, Body::sdp(&b"v=0\r\n"[..]))
    })
    .unwrap();
    w.with(bob, |ua, now| ua.reject(now, theirs, 488)).unwrap();
    // [RFC 3261 §14.1 test] "If a UA receives a non-2xx final response to a
    // re-INVITE, the session parameters MUST remain unchanged, as if no
    // re-INVITE had been issued."
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::ReInviteFailed { status, .. } => Some(*status),
            _ => None,
        }),
        [488]
    );
    assert!(w.ua(alice).is_established(call));
    assert!(w.ua(bob).is_established(theirs));
}

// [RFC 3261 §14.2 test] "A UAS that receives an INVITE on a dialog while an
// INVITE it had sent on that dialog is in progress MUST return a 491 (Request
// Pending) response to the received INVITE."
#[test]
fn reinvite_glare_491_then_both_succeed() {
    let (mut w, alice, bob, call, theirs) = established();
    let now = w.now;
    w.ua(alice)
        .reinvite(now, call, Body::sdp(&b"v=0\r\na=sendonly\r\n"[..]))
        .unwrap();
    w.ua(bob)
        .reinvite(now, theirs, Body::sdp(&b"v=0\r\na=inactive\r\n"[..]))
        .unwrap();
    w.settle();
    let sent: Vec<OwnedMessage> = w.log.iter().map(|s| parse(&s.bytes)).collect();
    assert_eq!(starts(&sent).iter().filter(|s| *s == "491").count(), 2);
    let t491 = w.now;
    // Answer whatever re-INVITE arrives, for the next 10 s.
    let mut answered = [0usize; 2];
    for _ in 0..1000 {
        w.advance(Duration::from_millis(10));
        for (i, h) in [(alice, call), (bob, theirs)] {
            let asked = w.phones[i]
                .events
                .iter()
                .filter(|e| matches!(e, UaEvent::ReInvite { .. }))
                .count();
            if asked > answered[i] {
                answered[i] = asked;
                w.with(i, |ua, now| {
                    ua.answer(now, h, Some(Body::sdp(&b"v=0\r\n"[..])))
                })
                .unwrap();
            }
        }
    }
    let updated = |i| {
        w.find(i, |e| {
            matches!(e, UaEvent::SessionUpdated { .. }).then_some(())
        })
        .len()
    };
    assert_eq!((updated(alice), updated(bob)), (1, 1));
    let retry_at = |from: SocketAddr| {
        w.log
            .iter()
            .filter(|s| s.from == from && s.at > t491)
            .find(|s| start(&parse(&s.bytes)) == "INVITE")
            .map(|s| s.at - t491)
            .unwrap()
    };
    // [RFC 3261 §14.1 test] "If the UAC is the owner of the Call-ID of the
    // dialog ID (meaning it generated the value), T has a randomly chosen value
    // between 2.1 and 4 seconds in units of 10 ms."
    let a = retry_at(a_addr());
    assert!(
        a >= Duration::from_millis(2100) && a <= Duration::from_millis(4000),
        "{a:?}"
    );
    // [RFC 3261 §14.1 test] "If the UAC is not the owner of the Call-ID of the
    // dialog ID, T has a randomly chosen value of between 0 and 2 seconds in
    // units of 10 ms."
    let b = retry_at(b_addr());
    assert!(b <= Duration::from_millis(2000), "{b:?}");
    assert!(w.ua(alice).is_established(call));
    assert!(w.ua(bob).is_established(theirs));
}

// ---------------------------------------------------------------------
// PRACK (RFC 3262)
// ---------------------------------------------------------------------

// [RFC 3262 §3 test] "In addition, it MUST contain a Require header field
// containing the option tag 100rel, and MUST include an RSeq header field."
#[test]
fn reliable_180_retransmitted_until_prack() {
    let (mut w, bob) = bob_alone();
    peer_sends(
        &mut w,
        b_addr(),
        invite_to_bob("Supported: 100rel\r\n", "v=0\r\n"),
    );
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.ring(now, call)).unwrap();
    let ringing = to_peer(&w)[0].clone();
    assert_eq!(start(&ringing), "180");
    assert_eq!(header(&ringing, HeaderName::Require).unwrap(), "100rel");
    let rseq = ringing.message().rseq().unwrap().unwrap();
    // [RFC 3262 §3 test] "The value of the header field for the first reliable
    // provisional response in a transaction MUST be between 1 and 2**31 - 1."
    assert!((1..(1 << 31)).contains(&rseq));
    // [RFC 3262 §3 test] "The UAS MUST NOT send a second reliable provisional
    // response until the first is acknowledged."
    let second = w.with(bob, |ua, now| ua.early_media(now, call, Body::sdp(ANSWER)));
    assert!(second.is_err());
    w.advance(Duration::from_millis(1600));
    // T1, then 2*T1 later: 0.5 s and 1.5 s.
    assert_eq!(starts(&to_peer(&w)), ["180", "180", "180"]);
    let tag = ringing.message().to().unwrap().tag().unwrap().to_owned();
    // A PRACK for another RSeq matches nothing.
    let wrong = in_dialog_from_peer(
        "PRACK",
        &tag,
        11,
        &format!("RAck: {} 10 INVITE\r\n", rseq + 5),
    );
    peer_sends(&mut w, b_addr(), wrong);
    // [RFC 3262 §3 test] "If a PRACK request is received by the UA core that does
    // not match any unacknowledged reliable provisional response, the UAS MUST
    // respond to the PRACK with a 481 response."
    assert_eq!(start(to_peer(&w).last().unwrap()), "481");
    let prack = in_dialog_from_peer("PRACK", &tag, 12, &format!("RAck: {rseq} 10 INVITE\r\n"));
    peer_sends(&mut w, b_addr(), prack);
    // [RFC 3262 §3 test] "If the PRACK does match an unacknowledged reliable
    // provisional response, it MUST be responded to with a 2xx response."
    assert_eq!(start(to_peer(&w).last().unwrap()), "200");
    let count = w.outside.len();
    w.advance(Duration::from_secs(10));
    assert_eq!(w.outside.len(), count, "no retransmission after the PRACK");
    // [RFC 3262 §3 test] "The value of the RSeq in each subsequent reliable
    // provisional response for the same request MUST be greater by exactly one."
    w.with(bob, |ua, now| ua.early_media(now, call, Body::sdp(ANSWER)))
        .unwrap();
    let progress = to_peer(&w).last().unwrap().clone();
    assert_eq!(start(&progress), "183");
    assert_eq!(progress.message().rseq().unwrap().unwrap(), rseq + 1);
}

// [RFC 3262 §4 test] "Once a reliable provisional response is received,
// retransmissions of that response MUST be discarded."
#[test]
fn caller_pracks_once_and_in_order() {
    let (mut w, alice) = alone();
    w.with(alice, |ua, now| {
        ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
    })
    .unwrap();
    let invite = to_peer(&w)[0].clone();
    // [RFC 3262 §4 test] "If the UAC does not wish to insist on usage of reliable
    // provisional responses, but merely indicate that it supports them if the UAS
    // needs to send one, a Supported header MUST be included in the request with
    // the option tag 100rel."
    assert_eq!(
        header(&invite, HeaderName::Supported).unwrap(),
        "100rel, timer"
    );
    let rel = |rseq: &'static str| -> Vec<(HeaderName, &'static str)> {
        vec![
            (HeaderName::Contact, "<sip:carol@192.0.2.50>"),
            (HeaderName::Require, "100rel"),
            (HeaderName::RSeq, rseq),
        ]
    };
    reply(&mut w, a_addr(), &invite, 180, Some("r1"), &rel("7"), None);
    reply(&mut w, a_addr(), &invite, 180, Some("r1"), &rel("7"), None);
    assert_eq!(starts(&to_peer(&w)), ["INVITE", "PRACK"]);
    let prack = to_peer(&w)[1].clone();
    let cseq = invite.message().cseq().unwrap().seq;
    assert_eq!(
        header(&prack, HeaderName::RAck).unwrap(),
        format!("7 {cseq} INVITE")
    );
    assert_eq!(prack.message().to().unwrap().tag(), Some("r1"));
    // [RFC 3262 §4 test] "As a result, if the UAC receives another reliable
    // provisional response to the same request, and its RSeq value is not one
    // higher than the value of the sequence number, that response MUST NOT be
    // acknowledged with a PRACK, and MUST NOT be processed further by the UAC."
    reply(&mut w, a_addr(), &invite, 183, Some("r1"), &rel("9"), None);
    assert_eq!(starts(&to_peer(&w)), ["INVITE", "PRACK"]);
    reply(&mut w, a_addr(), &invite, 183, Some("r1"), &rel("8"), None);
    assert_eq!(starts(&to_peer(&w)), ["INVITE", "PRACK", "PRACK"]);
    assert_eq!(
        w.find(alice, |e| matches!(e, UaEvent::Ringing { .. })
            .then_some(()))
            .len(),
        1
    );
}

// [RFC 3262 §3 test] "In that case, it MUST NOT send a final response until
// those provisional responses are acknowledged."
#[test]
fn answer_waits_for_prack_of_early_media() {
    let (mut w, bob) = bob_alone();
    peer_sends(
        &mut w,
        b_addr(),
        invite_to_bob("Require: 100rel\r\n", "v=0\r\n"),
    );
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.early_media(now, call, Body::sdp(ANSWER)))
        .unwrap();
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(ANSWER))))
        .unwrap();
    assert_eq!(starts(&to_peer(&w)), ["183"]);
    let p = to_peer(&w)[0].clone();
    let tag = p.message().to().unwrap().tag().unwrap().to_owned();
    let rseq = p.message().rseq().unwrap().unwrap();
    peer_sends(
        &mut w,
        b_addr(),
        in_dialog_from_peer("PRACK", &tag, 11, &format!("RAck: {rseq} 10 INVITE\r\n")),
    );
    let got: Vec<String> = starts(&to_peer(&w));
    assert_eq!(got, ["183", "200", "200"]);
    assert_eq!(to_peer(&w)[2].message().cseq().unwrap().method, "INVITE");
}

// ---------------------------------------------------------------------
// Digest (§22.2)
// ---------------------------------------------------------------------

// [RFC 3261 §22.2 test] "When a UAC resubmits a request with its credentials
// after receiving a 401 (Unauthorized) or 407 (Proxy Authentication Required)
// response, it MUST increment the CSeq header field value as it would normally
// when sending an updated request."
#[test]
fn invite_digest_retry_once_per_challenge() {
    let mut w = Phones::new();
    let mut cfg = alice_config();
    cfg.credentials = Some(rtclite_sip::ua::DigestCredentials {
        username: "alice".into(),
        password: "secret".into(),
    });
    let alice = add_alice(&mut w, cfg);
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
        })
        .unwrap();
    let server = DigestServer::new("atlanta.example.com", b"k", Algorithm::Md5, 300);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let challenge = server.challenge(0, false, &mut rng).to_header_value();
    let first = to_peer(&w)[0].clone();
    reply(
        &mut w,
        a_addr(),
        &first,
        407,
        Some("p1"),
        &[(HeaderName::ProxyAuthenticate, &challenge)],
        None,
    );
    let sent = to_peer(&w);
    assert_eq!(starts(&sent), ["INVITE", "ACK", "INVITE"]);
    let retry = sent[2].clone();
    assert_eq!(
        retry.message().cseq().unwrap().seq,
        first.message().cseq().unwrap().seq + 1
    );
    assert_eq!(
        retry.message().call_id().unwrap(),
        first.message().call_id().unwrap()
    );
    assert_eq!(
        retry.message().from().unwrap().tag(),
        first.message().from().unwrap().tag()
    );
    let auth = header(&retry, HeaderName::ProxyAuthorization).unwrap();
    assert!(auth.starts_with("Digest username=\"alice\""), "{auth}");
    // The same challenge again: the credentials were refused; no third try.
    reply(
        &mut w,
        a_addr(),
        &retry,
        407,
        Some("p1"),
        &[(HeaderName::ProxyAuthenticate, &challenge)],
        None,
    );
    assert_eq!(starts(&to_peer(&w)), ["INVITE", "ACK", "INVITE", "ACK"]);
    assert_eq!(ends(&w, alice), [EndReason::Rejected { status: 407 }]);
    let _ = call;
}

#[test]
fn acked_2xx_after_digest_carries_the_credentials() {
    let mut w = Phones::new();
    let mut cfg = alice_config();
    cfg.credentials = Some(rtclite_sip::ua::DigestCredentials {
        username: "alice".into(),
        password: "secret".into(),
    });
    let alice = add_alice(&mut w, cfg);
    w.with(alice, |ua, now| {
        ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
    })
    .unwrap();
    let server = DigestServer::new("atlanta.example.com", b"k", Algorithm::Md5, 300);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let challenge = server.challenge(0, false, &mut rng).to_header_value();
    let first = to_peer(&w)[0].clone();
    reply(
        &mut w,
        a_addr(),
        &first,
        401,
        Some("p1"),
        &[(HeaderName::WwwAuthenticate, &challenge)],
        None,
    );
    let retry = to_peer(&w)[2].clone();
    reply(
        &mut w,
        a_addr(),
        &retry,
        200,
        Some("ok"),
        &[(HeaderName::Contact, "<sip:carol@192.0.2.50>")],
        Some(ANSWER),
    );
    let ack = to_peer(&w).last().unwrap().clone();
    assert_eq!(start(&ack), "ACK");
    // [RFC 3261 §13.2.2.4 test] "The ACK MUST contain the same credentials as the
    // INVITE."
    assert_eq!(
        header(&ack, HeaderName::Authorization),
        header(&retry, HeaderName::Authorization)
    );
    assert_eq!(
        ack.message().cseq().unwrap().seq,
        retry.message().cseq().unwrap().seq
    );
}

// ---------------------------------------------------------------------
// Rules added with the coverage review
// ---------------------------------------------------------------------

// [RFC 3261 §13.3.1.4 test] "If the INVITE request contained an offer, and the
// UAS had not yet sent an answer, the 2xx MUST contain an answer."
#[test]
fn answer_without_a_body_is_refused() {
    let (mut w, bob) = bob_alone();
    peer_sends(&mut w, b_addr(), invite_to_bob("", "v=0\r\n"));
    let call = incoming_call(&w, bob);
    let r = w.with(bob, |ua, now| ua.answer(now, call, None));
    assert_eq!(r, Err(rtclite_sip::ua::UaError::BodyRequired(call)));
    assert!(to_peer(&w).is_empty());
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(ANSWER))))
        .unwrap();
    assert_eq!(starts(&to_peer(&w)), ["200"]);
}

// [RFC 3261 §13.3.1.1 test] "To prevent cancellation, the UAS MUST send a
// non-100 provisional response at every minute, to handle the possibility of
// lost provisional responses."
#[test]
fn unanswered_call_rings_again_every_minute() {
    let (mut w, bob) = bob_alone();
    peer_sends(&mut w, b_addr(), invite_to_bob("", "v=0\r\n"));
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.ring(now, call)).unwrap();
    w.advance(Duration::from_secs(59));
    assert_eq!(starts(&to_peer(&w)), ["180"]);
    w.advance(Duration::from_secs(62));
    assert_eq!(starts(&to_peer(&w)), ["180", "180", "180"]);
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(ANSWER))))
        .unwrap();
    let tag = to_peer(&w)[0]
        .message()
        .to()
        .unwrap()
        .tag()
        .unwrap()
        .to_owned();
    w.inject(peer(), b_addr(), in_dialog_from_peer("ACK", &tag, 10, ""));
    w.advance(Duration::from_secs(120));
    assert_eq!(starts(&to_peer(&w)), ["180", "180", "180", "200"]);
}

// [RFC 3261 §8.1.3.1 test] "When a timeout error is received from the
// transaction layer, it MUST be treated as if a 408 (Request Timeout) status
// code has been received."
#[test]
fn message_without_answer_reports_408() {
    let (mut w, alice) = alone();
    let req = w
        .with(alice, |ua, now| {
            ua.send_message(now, "sip:carol@192.0.2.50", Body::text("anyone?"))
        })
        .unwrap();
    w.advance(Duration::from_secs(33));
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::MessageResult { request, status } => Some((*request, *status)),
            _ => None,
        }),
        [(req, 408)]
    );
}

// [RFC 3261 §11.2 test] "The response code chosen MUST be the same that would
// have been chosen had the request been an INVITE."
#[test]
fn options_at_the_call_limit_gets_486_like_an_invite() {
    let mut w = Phones::new();
    let mut cfg = bob_config();
    cfg.max_calls = 1;
    let bob = add_bob(&mut w, cfg);
    peer_sends(&mut w, b_addr(), invite_to_bob("", "v=0\r\n"));
    let r = answer_to(&mut w, bob, request_to_bob("OPTIONS", "", ""));
    assert_eq!(start(&r), "486");
    let second = String::from_utf8(invite_to_bob("", "v=0\r\n").to_vec())
        .unwrap()
        .replace("z9hG4bKpeer1", "z9hG4bKpeer2")
        .replace("peer-call-1", "peer-call-2");
    let r = answer_to(&mut w, bob, Bytes::from(second));
    assert_eq!(start(&r), "486");
}

// [RFC 3261 §8.1.1.8 test] "If the Request-URI or top Route header field value
// contains a SIPS URI, the Contact header field MUST contain a SIPS URI as
// well."
#[test]
fn sips_target_needs_a_sips_contact() {
    let (mut w, alice) = alone();
    let r = w.with(alice, |ua, now| {
        ua.call(now, "sips:bob@biloxi.example.com", Body::sdp(OFFER))
    });
    assert!(r.is_err());
    assert!(w.outside.is_empty());
}

// [RFC 3262 §3 test] "If the UAS is unwilling to do so, it MUST reject the
// initial request with a 420 (Bad Extension) and include an Unsupported header
// field containing the option tag 100rel."
#[test]
fn required_100rel_refused_when_disabled() {
    let mut w = Phones::new();
    let mut cfg = bob_config();
    cfg.reliable_provisionals = false;
    let bob = add_bob(&mut w, cfg);
    let r = answer_to(&mut w, bob, invite_to_bob("Require: 100rel\r\n", "v=0\r\n"));
    assert_eq!(start(&r), "420");
    assert_eq!(header(&r, HeaderName::Unsupported).unwrap(), "100rel");
}

/// An RSeq at the top of its range followed by another reliable response
/// must not overflow the in-order check.
#[test]
fn rseq_at_u32_max_does_not_overflow() {
    let (mut w, alice) = alone();
    w.with(alice, |ua, now| {
        ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
    })
    .unwrap();
    let invite = to_peer(&w)[0].clone();
    let rel = |rseq: &'static str| -> Vec<(HeaderName, &'static str)> {
        vec![
            (HeaderName::Contact, "<sip:carol@192.0.2.50>"),
            (HeaderName::Require, "100rel"),
            (HeaderName::RSeq, rseq),
        ]
    };
    reply(
        &mut w,
        a_addr(),
        &invite,
        180,
        Some("r1"),
        &rel("4294967295"),
        None,
    );
    reply(&mut w, a_addr(), &invite, 183, Some("r1"), &rel("0"), None);
    assert_eq!(starts(&to_peer(&w)), ["INVITE", "PRACK"]);
}

// [RFC 3261 §12.2.1.1 test] "Requests within a dialog MUST contain strictly
// monotonically increasing and contiguous CSeq sequence numbers
// (increasing-by-one) in each direction (excepting ACK and CANCEL of course,
// whose numbers equal the requests being acknowledged or cancelled)."
#[test]
fn challenged_message_in_a_dialog_keeps_the_cseq_sequence() {
    let mut w = Phones::new();
    let mut cfg = alice_config();
    cfg.credentials = Some(rtclite_sip::ua::DigestCredentials {
        username: "alice".into(),
        password: "secret".into(),
    });
    let alice = add_alice(&mut w, cfg);
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
        })
        .unwrap();
    let invite = to_peer(&w)[0].clone();
    reply(
        &mut w,
        a_addr(),
        &invite,
        200,
        Some("t1"),
        &[(HeaderName::Contact, "<sip:carol@192.0.2.50>")],
        Some(ANSWER),
    );
    w.with(alice, |ua, now| {
        ua.send_message_in_call(now, call, Body::text("hi"))
    })
    .unwrap();
    let message = to_peer(&w).last().unwrap().clone();
    let server = DigestServer::new("atlanta.example.com", b"k", Algorithm::Md5, 300);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let challenge = server.challenge(0, false, &mut rng).to_header_value();
    reply(
        &mut w,
        a_addr(),
        &message,
        407,
        None,
        &[(HeaderName::ProxyAuthenticate, &challenge)],
        None,
    );
    let retry = to_peer(&w).last().unwrap().clone();
    assert_eq!(start(&retry), "MESSAGE");
    assert!(header(&retry, HeaderName::ProxyAuthorization).is_some());
    let seq = |m: &OwnedMessage| m.message().cseq().unwrap().seq;
    assert_eq!(seq(&retry), seq(&message) + 1);
    reply(&mut w, a_addr(), &retry, 200, None, &[], None);
    w.with(alice, |ua, now| ua.hang_up(now, call)).unwrap();
    let bye = to_peer(&w).last().unwrap().clone();
    assert_eq!(start(&bye), "BYE");
    assert_eq!(seq(&bye), seq(&retry) + 1);
}

// [RFC 3261 §8.1.3.4 test] "In order to create a request based on a contact
// address in a 3xx response, a UAC MUST copy the entire URI from the target set
// into the Request-URI, except for the "method-param" and "header" URI
// parameters"
// [RFC 3261 §8.1.3.4 test] "As with proxy recursion, a client processing 3xx
// class responses MUST NOT add any given URI to the target set more than once."
#[test]
fn redirect_is_followed_through_the_target_set() {
    let (mut w, alice) = alone();
    w.with(alice, |ua, now| {
        ua.call(now, "sip:carol@192.0.2.50", Body::sdp(OFFER))
    })
    .unwrap();
    let first = to_peer(&w)[0].clone();
    reply(
        &mut w,
        a_addr(),
        &first,
        302,
        Some("r"),
        &[
            (HeaderName::Contact, "<sip:carol@192.0.2.61>;q=0.5"),
            (
                HeaderName::Contact,
                "<sip:carol@192.0.2.60;method=INVITE;transport=udp?Subject=hi>",
            ),
        ],
        None,
    );
    let sent = to_peer(&w);
    assert_eq!(starts(&sent), ["INVITE", "ACK", "INVITE"]);
    let second = sent[2].clone();
    assert_eq!(
        second.message().request_uri(),
        Some("sip:carol@192.0.2.60;transport=udp")
    );
    // [RFC 3261 §8.1.3.4 test] "Finally, once the new request has been
    // constructed, it is sent using a new client transaction, and therefore MUST
    // have a new branch ID in the top Via field as discussed in Section 8.1.1.7."
    assert_ne!(
        second.message().top_via().unwrap().branch(),
        first.message().top_via().unwrap().branch()
    );
    assert_eq!(
        second.message().cseq().unwrap().seq,
        first.message().cseq().unwrap().seq + 1
    );
    assert_eq!(
        second.message().call_id().unwrap(),
        first.message().call_id().unwrap()
    );
    assert_eq!(
        second.message().from().unwrap().tag(),
        first.message().from().unwrap().tag()
    );
    assert_eq!(second.message().body(), first.message().body());
    // The first target is busy and redirects back to both known contacts:
    // nothing is added twice, so the next INVITE goes to the q=0.5 contact.
    reply(
        &mut w,
        a_addr(),
        &second,
        302,
        Some("r2"),
        &[(HeaderName::Contact, "<sip:carol@192.0.2.61>;q=0.5")],
        None,
    );
    let sent = to_peer(&w);
    assert_eq!(starts(&sent), ["INVITE", "ACK", "INVITE", "ACK", "INVITE"]);
    let third = sent[4].clone();
    assert_eq!(third.message().request_uri(), Some("sip:carol@192.0.2.61"));
    reply(&mut w, a_addr(), &third, 404, Some("r3"), &[], None);
    assert_eq!(
        starts(&to_peer(&w)),
        ["INVITE", "ACK", "INVITE", "ACK", "INVITE", "ACK"]
    );
    assert_eq!(ends(&w, alice), [EndReason::Rejected { status: 404 }]);
}
