//! INVITEs without an offer, and offers in PRACK: the offer/answer
//! exchanges of RFC 3261 §13.2.1 and RFC 3262 §5 beyond "offer in the
//! INVITE, answer in the 2xx", checked message by message.
//!
//! Each exchange is run in both roles against a peer the test scripts by
//! hand (so the exact messages the agent sends, and what it does with
//! malformed exchanges, can be asserted), and between two agents, whose
//! whole wire log is an insta snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use common::ua::{
    a_addr, add_alice, add_bob, alice_config, b_addr, bob_config, ends, header, offers, parse,
    peer_sends, start, starts, to_peer,
};
use rtclite_sip::builder::{MessageBuilder, response_to};
use rtclite_sip::ua::{Body, CallHandle, EndReason, OfferIn, UaError, UaEvent};
use rtclite_sip::{HeaderName, OwnedMessage};
use sim::phones::Phones;

const OFFER: &[u8] = b"v=0\r\no=bob 2890844527 2890844527 IN IP4 192.0.2.201\r\n";
const ANSWER: &[u8] = b"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n";
const NEW_OFFER: &[u8] = b"v=0\r\no=carol 7 7 IN IP4 192.0.2.50\r\n";

fn alice_alone() -> (Phones, usize) {
    let mut w = Phones::new();
    let alice = add_alice(&mut w, alice_config());
    (w, alice)
}

fn bob_alone() -> (Phones, usize) {
    let mut w = Phones::new();
    let bob = add_bob(&mut w, bob_config());
    (w, bob)
}

fn pair(require_100rel: bool) -> (Phones, usize, usize) {
    let mut w = Phones::new();
    let mut a = alice_config();
    a.require_100rel = require_100rel;
    let alice = add_alice(&mut w, a);
    let bob = add_bob(&mut w, bob_config());
    (w, alice, bob)
}

fn body(m: &OwnedMessage) -> &[u8] {
    m.message().body()
}

fn events(w: &Phones, i: usize) -> Vec<UaEvent> {
    w.phones[i].events.clone()
}

fn incoming(w: &Phones, i: usize) -> (CallHandle, Option<Body>) {
    w.find(i, |e| match e {
        UaEvent::IncomingCall { call, offer, .. } => Some((*call, offer.clone())),
        _ => None,
    })[0]
        .clone()
}

/// The scripted peer answers `req` with `code`, To tag `tag`, `extra`
/// header fields and an SDP `body`.
fn reply(
    w: &mut Phones,
    to: SocketAddr,
    req: &OwnedMessage,
    code: u16,
    extra: &[(HeaderName, &str)],
    body: Option<&[u8]>,
) {
    let r = response_to(&req.message(), code, "Status", Some("p1")).unwrap();
    let mut b = MessageBuilder::from_message(&r.message())
        .header(HeaderName::Contact, "<sip:carol@192.0.2.50:5060>");
    for (n, v) in extra {
        b = b.header(*n, *v);
    }
    if let Some(body) = body {
        b = b.body("application/sdp", body.to_vec());
    }
    peer_sends(w, to, b.build().unwrap().bytes().clone());
}

/// Alice calls the scripted peer without an offer; returns the call and
/// the INVITE.
fn alice_calls_without_offer(w: &mut Phones, alice: usize) -> (CallHandle, OwnedMessage) {
    let call = w
        .with(alice, |ua, now| {
            ua.call_without_offer(now, "sip:carol@192.0.2.50")
        })
        .unwrap();
    (call, to_peer(w)[0].clone())
}

/// A request from the scripted peer to Bob: an INVITE outside a dialog
/// (no To tag) or a request in the dialog Bob's responses created.
fn to_bob(method: &str, to_tag: Option<&str>, cseq: u32, extra: &str, body: &[u8]) -> Bytes {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_owned()
    };
    let mut v = format!(
        "{method} sip:bob@192.0.2.201:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKpeer{method}{cseq}\r\n\
Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>{to_tag}\r\n\
From: Carol <sip:carol@chicago.example.com>;tag=c1\r\n\
Call-ID: offerless-1\r\nCSeq: {cseq} {method}\r\n\
Contact: <sip:carol@192.0.2.50:5060>\r\n{extra}{ct}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    Bytes::from(v)
}

/// The scripted peer's PRACK (CSeq 2) of Bob's reliable provisional
/// `rseq`, in the dialog with Bob's To tag `tag`, carrying `body`.
fn prack_to_bob(tag: &str, rseq: u32, body: &[u8]) -> Bytes {
    to_bob(
        "PRACK",
        Some(tag),
        2,
        &format!("RAck: {rseq} 1 INVITE\r\n"),
        body,
    )
}

fn to_tag(m: &OwnedMessage) -> String {
    m.message().to().unwrap().tag().unwrap().to_owned()
}

// ---------------------------------------------------------------------
// Caller (UAC): offer in the 2xx, answer in the ACK
// ---------------------------------------------------------------------

// [RFC 3261 §13.2.1 test] "o If the initial offer is in the first reliable
// non-failure message from the UAS back to UAC, the answer MUST be in the
// acknowledgement for that message (in this specification, ACK for a 2xx
// response)."
#[test]
fn caller_answers_the_offer_of_the_2xx_in_the_ack() {
    let (mut w, alice) = alice_alone();
    let (call, invite) = alice_calls_without_offer(&mut w, alice);
    // [RFC 3261 §13.2.1 test] "o The initial offer MUST be in either an INVITE
    // or, if not there, in the first reliable non-failure message from the UAS
    // back to the UAC."
    assert_eq!(start(&invite), "INVITE");
    assert!(body(&invite).is_empty());
    assert_eq!(header(&invite, HeaderName::ContentType), None);
    assert_eq!(header(&invite, HeaderName::ContentLength).unwrap(), "0");
    reply(&mut w, a_addr(), &invite, 180, &[], None);
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    // The ACK waits for the application's answer.
    assert_eq!(starts(&w), ["INVITE"]);
    assert!(!w.ua(alice).is_established(call));
    let evs = events(&w, alice);
    assert!(matches!(
        evs.as_slice(),
        [
            UaEvent::Ringing { body: None, .. },
            UaEvent::Answered { answer: None, .. },
            UaEvent::Offer {
                carried_in: OfferIn::Success,
                ..
            }
        ]
    ));
    assert_eq!(offers(&w, alice), [(OFFER.to_vec(), OfferIn::Success)]);
    // A retransmitted 2xx gets no ACK without an answer.
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    assert_eq!(starts(&w), ["INVITE"]);
    // No new offer while the peer's waits for its answer.
    // [RFC 3264 §4 test] "However, it MUST NOT generate a new offer if it has
    // received an offer which it has not yet answered or rejected."
    assert!(
        w.with(alice, |ua, now| ua.reinvite(now, call, Body::sdp(ANSWER)))
            .is_err()
    );
    w.with(alice, |ua, now| {
        ua.answer_offer(now, call, Body::sdp(ANSWER))
    })
    .unwrap();
    assert_eq!(starts(&w), ["INVITE", "ACK"]);
    let ack = to_peer(&w)[1].clone();
    // [RFC 3261 §13.2.2.4 test] "If the 2xx contains an offer (based on the
    // rules above), the ACK MUST carry an answer in its body."
    assert_eq!(body(&ack), ANSWER);
    assert_eq!(
        header(&ack, HeaderName::ContentType).unwrap(),
        "application/sdp"
    );
    let seq = invite.message().cseq().unwrap().seq;
    assert_eq!(
        header(&ack, HeaderName::CSeq).unwrap(),
        format!("{seq} ACK")
    );
    assert_eq!(to_tag(&ack), "p1");
    assert_eq!(
        ack.message().request_uri(),
        Some("sip:carol@192.0.2.50:5060")
    );
    assert!(w.ua(alice).is_established(call));
    assert!(matches!(
        events(&w, alice).last(),
        Some(UaEvent::Established { answer: None, .. })
    ));
    // The same ACK, answer included, for every retransmission of the 2xx.
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    assert_eq!(starts(&w), ["INVITE", "ACK", "ACK"]);
    assert_eq!(to_peer(&w)[2].bytes(), ack.bytes());
    // The offer is answered: a second answer is refused, and a new offer
    // (re-INVITE) may now be made.
    assert_eq!(
        w.with(alice, |ua, now| ua.answer_offer(
            now,
            call,
            Body::sdp(ANSWER)
        )),
        Err(UaError::NoOffer(call))
    );
    w.with(alice, |ua, now| ua.reinvite(now, call, Body::sdp(ANSWER)))
        .unwrap();
    assert_eq!(starts(&w), ["INVITE", "ACK", "ACK", "INVITE"]);
}

#[test]
fn caller_acks_and_byes_a_2xx_without_an_offer() {
    let (mut w, alice) = alice_alone();
    let (_, invite) = alice_calls_without_offer(&mut w, alice);
    // [RFC 3261 §13.3.1.4 test] "If the INVITE did not contain an offer, the
    // 2xx MUST contain an offer if the UAS had not yet sent an offer."
    reply(&mut w, a_addr(), &invite, 200, &[], None);
    // [RFC 3261 §13.2.2.4 test] "If, after acknowledging any 2xx response to
    // an INVITE, the UAC does not want to continue with that dialog, then the
    // UAC MUST terminate the dialog by sending a BYE request as described in
    // Section 15."
    assert_eq!(starts(&w), ["INVITE", "ACK", "BYE"]);
    assert!(body(&to_peer(&w)[1]).is_empty());
    assert_eq!(ends(&w, alice), [EndReason::OfferAnswerFailed]);
}

#[test]
fn caller_that_never_answers_acks_and_byes_after_the_timeout() {
    let (mut w, alice) = alice_alone();
    let (_, invite) = alice_calls_without_offer(&mut w, alice);
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    w.advance(Duration::from_secs(15));
    assert_eq!(starts(&w), ["INVITE"]);
    assert!(ends(&w, alice).is_empty());
    w.advance(Duration::from_secs(1));
    assert_eq!(starts(&w), ["INVITE", "ACK", "BYE"]);
    assert_eq!(ends(&w, alice), [EndReason::OfferAnswerFailed]);
}

#[test]
fn caller_hanging_up_before_answering_acks_then_byes() {
    let (mut w, alice) = alice_alone();
    let (call, invite) = alice_calls_without_offer(&mut w, alice);
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    w.with(alice, |ua, now| ua.hang_up(now, call)).unwrap();
    assert_eq!(starts(&w), ["INVITE", "ACK", "BYE"]);
    assert_eq!(ends(&w, alice), [EndReason::LocalBye]);
}

// ---------------------------------------------------------------------
// Caller (UAC) with 100rel: offer in the reliable 18x, answer in the PRACK
// ---------------------------------------------------------------------

// [RFC 3262 §5 test] "If the UAC receives a reliable provisional response
// with an offer (this would occur if the UAC sent an INVITE without an offer,
// in which case the first reliable provisional response will contain the
// offer), it MUST generate an answer in the PRACK."
#[test]
fn caller_answers_the_offer_of_a_reliable_183_in_the_prack() {
    let (mut w, alice) = alice_alone();
    let (call, invite) = alice_calls_without_offer(&mut w, alice);
    assert_eq!(
        header(&invite, HeaderName::Supported).unwrap(),
        "100rel, timer"
    );
    let rel = |rseq: &'static str| [(HeaderName::Require, "100rel"), (HeaderName::RSeq, rseq)];
    reply(&mut w, a_addr(), &invite, 183, &rel("5"), Some(OFFER));
    // The PRACK waits for the answer; a retransmission changes nothing.
    reply(&mut w, a_addr(), &invite, 183, &rel("5"), Some(OFFER));
    assert_eq!(starts(&w), ["INVITE"]);
    assert!(matches!(
        events(&w, alice).as_slice(),
        [
            UaEvent::Progress {
                status: 183,
                body: None,
                ..
            },
            UaEvent::Offer {
                carried_in: OfferIn::ReliableProvisional,
                ..
            }
        ]
    ));
    w.with(alice, |ua, now| {
        ua.answer_offer(now, call, Body::sdp(ANSWER))
    })
    .unwrap();
    assert_eq!(starts(&w), ["INVITE", "PRACK"]);
    let prack = to_peer(&w)[1].clone();
    let seq = invite.message().cseq().unwrap().seq;
    assert_eq!(
        header(&prack, HeaderName::RAck).unwrap(),
        format!("5 {seq} INVITE")
    );
    assert_eq!(body(&prack), ANSWER);
    assert_eq!(
        header(&prack, HeaderName::ContentType).unwrap(),
        "application/sdp"
    );
    assert_eq!(to_tag(&prack), "p1");
    reply(&mut w, a_addr(), &prack, 200, &[], None);
    // The exchange is complete: a body in the 2xx is ignored, and the ACK
    // (at once) carries none.
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    assert_eq!(starts(&w), ["INVITE", "PRACK", "ACK"]);
    assert!(body(&to_peer(&w)[2]).is_empty());
    assert!(w.ua(alice).is_established(call));
    assert_eq!(offers(&w, alice).len(), 1);
    assert!(
        w.find(alice, |e| match e {
            UaEvent::Answered { answer, .. } => Some(answer.is_none()),
            _ => None,
        })[0]
    );
}

#[test]
fn caller_answers_in_the_ack_an_offer_of_a_183_still_unanswered_at_the_2xx() {
    let (mut w, alice) = alice_alone();
    let (call, invite) = alice_calls_without_offer(&mut w, alice);
    let rel = [(HeaderName::Require, "100rel"), (HeaderName::RSeq, "1")];
    reply(&mut w, a_addr(), &invite, 183, &rel, Some(OFFER));
    reply(&mut w, a_addr(), &invite, 200, &[], None);
    assert_eq!(starts(&w), ["INVITE"]);
    w.with(alice, |ua, now| {
        ua.answer_offer(now, call, Body::sdp(ANSWER))
    })
    .unwrap();
    // No PRACK after the final response: the answer goes in the ACK.
    assert_eq!(starts(&w), ["INVITE", "ACK"]);
    assert_eq!(body(&to_peer(&w)[1]), ANSWER);
    assert!(w.ua(alice).is_established(call));
}

#[test]
fn unreliable_183_body_of_an_offerless_invite_is_no_offer() {
    let (mut w, alice) = alice_alone();
    let (_, invite) = alice_calls_without_offer(&mut w, alice);
    reply(&mut w, a_addr(), &invite, 183, &[], Some(OFFER));
    assert!(offers(&w, alice).is_empty());
    // The offer then comes in the 2xx.
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    assert_eq!(offers(&w, alice), [(OFFER.to_vec(), OfferIn::Success)]);
}

// ---------------------------------------------------------------------
// Callee (UAS): offer in the 2xx, answer in the ACK
// ---------------------------------------------------------------------

// [RFC 3261 §13.3.1 test] "It MUST provide the offer in its first
// non-failure reliable message back to the UAC."
#[test]
fn callee_offers_in_the_2xx_and_reads_the_answer_in_the_ack() {
    let (mut w, bob) = bob_alone();
    peer_sends(&mut w, b_addr(), to_bob("INVITE", None, 1, "", b""));
    let (call, offer) = incoming(&w, bob);
    assert_eq!(offer, None);
    assert_eq!(
        w.with(bob, |ua, now| ua.answer(now, call, None)),
        Err(UaError::BodyRequired(call))
    );
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(OFFER))))
        .unwrap();
    assert_eq!(starts(&w), ["200"]);
    let ok = to_peer(&w)[0].clone();
    assert_eq!(body(&ok), OFFER);
    let tag = to_tag(&ok);
    peer_sends(&mut w, b_addr(), to_bob("ACK", Some(&tag), 1, "", ANSWER));
    let answer = w.find(bob, |e| match e {
        UaEvent::Established { answer, .. } => Some(answer.clone()),
        _ => None,
    });
    assert_eq!(answer, [Some(Body::sdp(ANSWER))]);
    assert!(w.ua(bob).is_established(call));
}

#[test]
fn callee_byes_when_the_ack_has_no_answer() {
    let (mut w, bob) = bob_alone();
    peer_sends(&mut w, b_addr(), to_bob("INVITE", None, 1, "", b""));
    let (call, _) = incoming(&w, bob);
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(OFFER))))
        .unwrap();
    let tag = to_tag(&to_peer(&w)[0]);
    peer_sends(&mut w, b_addr(), to_bob("ACK", Some(&tag), 1, "", b""));
    assert_eq!(starts(&w), ["200", "BYE"]);
    assert_eq!(ends(&w, bob), [EndReason::OfferAnswerFailed]);
    assert!(
        w.find(bob, |e| matches!(e, UaEvent::Established { .. })
            .then_some(()))
            .is_empty()
    );
}

// ---------------------------------------------------------------------
// Callee (UAS) with 100rel: offer in the reliable 18x, answer in the PRACK
// ---------------------------------------------------------------------

// [RFC 3262 §5 test] "Similarly, if a reliable provisional response is the
// first reliable message sent back to the UAC, and the INVITE did not
// contain an offer, one MUST appear in that reliable provisional response."
#[test]
fn callee_offers_in_a_reliable_183_and_reads_the_answer_in_the_prack() {
    let (mut w, bob) = bob_alone();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("INVITE", None, 1, "Supported: 100rel\r\n", b""),
    );
    let (call, _) = incoming(&w, bob);
    // A 180 without a body cannot be the first reliable message: it goes
    // unreliably.
    w.with(bob, |ua, now| ua.ring(now, call)).unwrap();
    let ringing = to_peer(&w)[0].clone();
    assert_eq!(header(&ringing, HeaderName::Require), None);
    assert_eq!(header(&ringing, HeaderName::RSeq), None);
    w.with(bob, |ua, now| ua.early_media(now, call, Body::sdp(OFFER)))
        .unwrap();
    let progress = to_peer(&w)[1].clone();
    assert_eq!(start(&progress), "183");
    assert_eq!(header(&progress, HeaderName::Require).unwrap(), "100rel");
    assert_eq!(body(&progress), OFFER);
    let rseq = progress.message().rseq().unwrap().unwrap();
    // Accepting now: the 2xx waits for the PRACK.
    // [RFC 3262 §5 test] "If the UAS had placed a session description in any
    // reliable provisional response that is unacknowledged when the INVITE is
    // accepted, the UAS MUST delay sending the 2xx until the provisional
    // response is acknowledged."
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(OFFER))))
        .unwrap();
    assert_eq!(starts(&w), ["180", "183"]);
    let tag = to_tag(&progress);
    peer_sends(&mut w, b_addr(), prack_to_bob(&tag, rseq, ANSWER));
    assert_eq!(starts(&w), ["180", "183", "200", "200"]);
    let prack_ok = to_peer(&w)[2].clone();
    assert_eq!(header(&prack_ok, HeaderName::CSeq).unwrap(), "2 PRACK");
    assert!(body(&prack_ok).is_empty());
    let invite_ok = to_peer(&w)[3].clone();
    assert_eq!(header(&invite_ok, HeaderName::CSeq).unwrap(), "1 INVITE");
    // [RFC 3261 §13.2.1 test] "o Once the UAS has sent or received an answer
    // to the initial offer, it MUST NOT generate subsequent offers in any
    // responses to the initial INVITE."
    assert!(body(&invite_ok).is_empty());
    assert_eq!(
        w.find(bob, |e| match e {
            UaEvent::Prack { body, .. } => Some(body.clone()),
            _ => None,
        }),
        [Some(Body::sdp(ANSWER))]
    );
    peer_sends(&mut w, b_addr(), to_bob("ACK", Some(&tag), 1, "", b""));
    assert!(w.ua(bob).is_established(call));
    assert_eq!(
        w.find(bob, |e| match e {
            UaEvent::Established { answer, .. } => Some(answer.clone()),
            _ => None,
        }),
        [None]
    );
}

#[test]
fn callee_refuses_the_invite_when_the_prack_has_no_answer() {
    let (mut w, bob) = bob_alone();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("INVITE", None, 1, "Require: 100rel\r\n", b""),
    );
    let (call, _) = incoming(&w, bob);
    // With 100rel required, every provisional response is reliable, so the
    // first one must carry the offer.
    assert_eq!(
        w.with(bob, |ua, now| ua.ring(now, call)),
        Err(UaError::BodyRequired(call))
    );
    w.with(bob, |ua, now| ua.early_media(now, call, Body::sdp(OFFER)))
        .unwrap();
    let progress = to_peer(&w)[0].clone();
    let rseq = progress.message().rseq().unwrap().unwrap();
    let tag = to_tag(&progress);
    peer_sends(&mut w, b_addr(), prack_to_bob(&tag, rseq, b""));
    // The PRACK is still acknowledged; the INVITE is refused.
    assert_eq!(starts(&w), ["183", "200", "488"]);
    // [RFC 3261 §13.3.1.3 test] "Such a response SHOULD include a Warning
    // header field value explaining why the offer was rejected."
    assert!(header(&to_peer(&w)[2], HeaderName::Warning).is_some());
    assert_eq!(
        header(&to_peer(&w)[1], HeaderName::CSeq).unwrap(),
        "2 PRACK"
    );
    assert_eq!(ends(&w, bob), [EndReason::OfferAnswerFailed]);
}

// ---------------------------------------------------------------------
// Callee (UAS): an offer in the PRACK, answered in its 2xx
// ---------------------------------------------------------------------

/// Bob got an INVITE with an offer, answered it in a reliable 183 and
/// accepted the call (the 2xx waits for the PRACK); returns the call, the
/// To tag and the RSeq.
fn bob_answered_early() -> (Phones, usize, CallHandle, String, u32) {
    let (mut w, bob) = bob_alone();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("INVITE", None, 1, "Supported: 100rel\r\n", NEW_OFFER),
    );
    let (call, _) = incoming(&w, bob);
    w.with(bob, |ua, now| ua.early_media(now, call, Body::sdp(OFFER)))
        .unwrap();
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(OFFER))))
        .unwrap();
    let progress = to_peer(&w)[0].clone();
    let rseq = progress.message().rseq().unwrap().unwrap();
    (w, bob, call, to_tag(&progress), rseq)
}

// [RFC 3262 §5 test] "If the UAS receives a PRACK with an offer, it MUST
// place the answer in the 2xx to the PRACK."
#[test]
fn callee_answers_an_offer_in_a_prack_in_its_2xx() {
    let (mut w, bob, call, tag, rseq) = bob_answered_early();
    peer_sends(&mut w, b_addr(), prack_to_bob(&tag, rseq, NEW_OFFER));
    // The PRACK and the held 2xx to the INVITE both wait for the answer;
    // the 183 is no longer retransmitted.
    assert_eq!(starts(&w), ["183"]);
    w.advance(Duration::from_secs(2));
    assert_eq!(starts(&w), ["183"]);
    assert_eq!(offers(&w, bob), [(NEW_OFFER.to_vec(), OfferIn::Prack)]);
    w.with(bob, |ua, now| ua.answer_offer(now, call, Body::sdp(ANSWER)))
        .unwrap();
    assert_eq!(starts(&w), ["183", "200", "200"]);
    let prack_ok = to_peer(&w)[1].clone();
    assert_eq!(header(&prack_ok, HeaderName::CSeq).unwrap(), "2 PRACK");
    assert_eq!(body(&prack_ok), ANSWER);
    let invite_ok = to_peer(&w)[2].clone();
    assert_eq!(header(&invite_ok, HeaderName::CSeq).unwrap(), "1 INVITE");
}

#[test]
fn callee_refuses_an_unanswered_prack_offer_with_504() {
    let (mut w, bob, _, tag, rseq) = bob_answered_early();
    peer_sends(&mut w, b_addr(), prack_to_bob(&tag, rseq, NEW_OFFER));
    w.advance(Duration::from_secs(16));
    // The offer is refused; the call goes on (the held 2xx leaves).
    assert_eq!(starts(&w), ["183", "504", "200"]);
    assert!(ends(&w, bob).is_empty());
}

// ---------------------------------------------------------------------
// Two agents: the whole wire, as snapshots
// ---------------------------------------------------------------------

/// Alice calls Bob without an offer; Bob rings, makes his offer (in a
/// reliable 183 when `early` and 100rel is in use, else in the 2xx);
/// Alice answers; both hang up. Returns the wire log.
fn two_agents(require_100rel: bool, early: bool) -> String {
    let (mut w, alice, bob) = pair(require_100rel);
    let call = w
        .with(alice, |ua, now| {
            ua.call_without_offer(now, "Bob <sip:bob@192.0.2.201:5060>")
        })
        .unwrap();
    let (theirs, offer) = incoming(&w, bob);
    assert_eq!(offer, None);
    if early {
        w.with(bob, |ua, now| ua.early_media(now, theirs, Body::sdp(OFFER)))
            .unwrap();
    } else {
        w.with(bob, |ua, now| ua.ring(now, theirs)).unwrap();
    }
    let carried = if early {
        OfferIn::ReliableProvisional
    } else {
        w.with(bob, |ua, now| {
            ua.answer(now, theirs, Some(Body::sdp(OFFER)))
        })
        .unwrap();
        OfferIn::Success
    };
    assert_eq!(offers(&w, alice), [(OFFER.to_vec(), carried)]);
    w.with(alice, |ua, now| {
        ua.answer_offer(now, call, Body::sdp(ANSWER))
    })
    .unwrap();
    if early {
        let got = w.find(bob, |e| match e {
            UaEvent::Prack { body, .. } => Some(body.clone()),
            _ => None,
        });
        assert_eq!(got, [Some(Body::sdp(ANSWER))]);
        w.with(bob, |ua, now| ua.answer(now, theirs, None)).unwrap();
    } else {
        let got = w.find(bob, |e| match e {
            UaEvent::Established { answer, .. } => Some(answer.clone()),
            _ => None,
        });
        assert_eq!(got, [Some(Body::sdp(ANSWER))]);
    }
    assert!(w.ua(alice).is_established(call));
    assert!(w.ua(bob).is_established(theirs));
    w.with(alice, |ua, now| ua.hang_up(now, call)).unwrap();
    w.advance(Duration::from_secs(40));
    assert_eq!(ends(&w, alice), [EndReason::LocalBye]);
    assert_eq!(ends(&w, bob), [EndReason::RemoteBye]);
    assert_eq!(w.ua(alice).call_count(), 0);
    assert_eq!(w.ua(bob).call_count(), 0);
    w.transcript(&[(a_addr(), "alice"), (b_addr(), "bob")])
}

#[test]
fn offer_in_2xx_answer_in_ack_wire_log() {
    insta::assert_snapshot!(two_agents(false, false));
}

#[test]
fn offer_in_reliable_183_answer_in_prack_wire_log() {
    insta::assert_snapshot!(two_agents(false, true));
}

#[test]
fn offer_in_reliable_183_with_100rel_required_wire_log() {
    // The caller requires 100rel, so every provisional response of the
    // callee is reliable and the first one must carry his offer: a 180
    // without one is refused, a 183 with it goes out.
    let (mut w, alice, bob) = pair(true);
    let call = w
        .with(alice, |ua, now| {
            ua.call_without_offer(now, "sip:bob@192.0.2.201:5060")
        })
        .unwrap();
    let invite = w.log[0].bytes.clone();
    assert_eq!(
        header(&parse(&invite), HeaderName::Require).unwrap(),
        "100rel"
    );
    let (theirs, _) = incoming(&w, bob);
    assert_eq!(
        w.with(bob, |ua, now| ua.ring(now, theirs)),
        Err(UaError::BodyRequired(theirs))
    );
    w.with(bob, |ua, now| ua.early_media(now, theirs, Body::sdp(OFFER)))
        .unwrap();
    w.with(alice, |ua, now| {
        ua.answer_offer(now, call, Body::sdp(ANSWER))
    })
    .unwrap();
    w.with(bob, |ua, now| ua.answer(now, theirs, None)).unwrap();
    assert!(w.ua(alice).is_established(call));
    w.with(bob, |ua, now| ua.hang_up(now, theirs)).unwrap();
    w.advance(Duration::from_secs(40));
    assert_eq!(ends(&w, alice), [EndReason::RemoteBye]);
    insta::assert_snapshot!(w.transcript(&[(a_addr(), "alice"), (b_addr(), "bob")]));
}

// ---------------------------------------------------------------------
// re-INVITE without an offer (RFC 3261 §14.1, §14.2)
// ---------------------------------------------------------------------

// [RFC 3261 §14.1 test] "Of course, a UAC MAY send a re-INVITE with no session
// description, in which case the first reliable non-failure response to the
// re-INVITE will contain the offer (in this specification, that is a 2xx
// response)."
#[test]
fn caller_reinvite_without_offer_answers_in_the_ack() {
    let (mut w, alice) = alice_alone();
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:carol@192.0.2.50", Body::sdp(ANSWER))
        })
        .unwrap();
    let invite = to_peer(&w)[0].clone();
    reply(&mut w, a_addr(), &invite, 200, &[], Some(OFFER));
    assert!(w.ua(alice).is_established(call));
    w.with(alice, |ua, now| ua.reinvite_without_offer(now, call))
        .unwrap();
    assert_eq!(starts(&w), ["INVITE", "ACK", "INVITE"]);
    let reinvite = to_peer(&w)[2].clone();
    assert!(body(&reinvite).is_empty());
    assert_eq!(to_tag(&reinvite), "p1");
    reply(&mut w, a_addr(), &reinvite, 200, &[], Some(NEW_OFFER));
    // The ACK waits for the answer; a retransmitted 2xx changes nothing.
    reply(&mut w, a_addr(), &reinvite, 200, &[], Some(NEW_OFFER));
    assert_eq!(starts(&w), ["INVITE", "ACK", "INVITE"]);
    assert_eq!(offers(&w, alice), [(NEW_OFFER.to_vec(), OfferIn::Success)]);
    w.with(alice, |ua, now| {
        ua.answer_offer(now, call, Body::sdp(ANSWER))
    })
    .unwrap();
    assert_eq!(starts(&w), ["INVITE", "ACK", "INVITE", "ACK"]);
    let ack = to_peer(&w)[3].clone();
    let seq = reinvite.message().cseq().unwrap().seq;
    assert_eq!(
        header(&ack, HeaderName::CSeq).unwrap(),
        format!("{seq} ACK")
    );
    assert_eq!(body(&ack), ANSWER);
    assert!(matches!(
        events(&w, alice).last(),
        Some(UaEvent::SessionUpdated { answer: None, .. })
    ));
    reply(&mut w, a_addr(), &reinvite, 200, &[], Some(NEW_OFFER));
    assert_eq!(to_peer(&w)[4].bytes(), ack.bytes());
}

/// Bob in a confirmed call from the scripted Carol; returns the call and
/// Bob's To tag.
fn bob_in_a_call() -> (Phones, usize, CallHandle, String) {
    let (mut w, bob) = bob_alone();
    peer_sends(&mut w, b_addr(), to_bob("INVITE", None, 1, "", NEW_OFFER));
    let (call, _) = incoming(&w, bob);
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(OFFER))))
        .unwrap();
    let tag = to_tag(&to_peer(&w)[0]);
    peer_sends(&mut w, b_addr(), to_bob("ACK", Some(&tag), 1, "", b""));
    assert!(w.ua(bob).is_established(call));
    (w, bob, call, tag)
}

// [RFC 3261 §14.2 test] "A UAS providing an offer in a 2xx (because the
// INVITE did not contain an offer) SHOULD construct the offer as if the UAS
// were making a brand new call, subject to the constraints of sending an
// offer that updates an existing session, as described in [13] in the case
// of SDP."
#[test]
fn callee_offers_in_the_2xx_to_a_reinvite_without_offer() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    peer_sends(&mut w, b_addr(), to_bob("INVITE", Some(&tag), 2, "", b""));
    let offered = w.find(bob, |e| match e {
        UaEvent::ReInvite { offer, .. } => Some(offer.clone()),
        _ => None,
    });
    assert_eq!(offered, [None]);
    assert_eq!(
        w.with(bob, |ua, now| ua.answer(now, call, None)),
        Err(UaError::BodyRequired(call))
    );
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(OFFER))))
        .unwrap();
    let ok = to_peer(&w).last().unwrap().clone();
    assert_eq!(header(&ok, HeaderName::CSeq).unwrap(), "2 INVITE");
    assert_eq!(body(&ok), OFFER);
    // No new offer from this side until the ACK answers.
    assert_eq!(
        w.with(bob, |ua, now| ua.reinvite(now, call, Body::sdp(OFFER))),
        Err(UaError::OfferPending(call))
    );
    peer_sends(&mut w, b_addr(), to_bob("ACK", Some(&tag), 2, "", ANSWER));
    assert_eq!(
        w.find(bob, |e| match e {
            UaEvent::SessionUpdated { answer, .. } => Some(answer.clone()),
            _ => None,
        }),
        [Some(Body::sdp(ANSWER))]
    );
    w.with(bob, |ua, now| ua.reinvite(now, call, Body::sdp(OFFER)))
        .unwrap();
}

#[test]
fn callee_byes_when_the_reinvite_ack_has_no_answer() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    peer_sends(&mut w, b_addr(), to_bob("INVITE", Some(&tag), 2, "", b""));
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(OFFER))))
        .unwrap();
    peer_sends(&mut w, b_addr(), to_bob("ACK", Some(&tag), 2, "", b""));
    assert_eq!(start(to_peer(&w).last().unwrap()), "BYE");
    assert_eq!(ends(&w, bob), [EndReason::OfferAnswerFailed]);
}

#[test]
fn reinvite_without_offer_between_two_agents() {
    let (mut w, alice, bob) = pair(false);
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", Body::sdp(ANSWER))
        })
        .unwrap();
    let (theirs, _) = incoming(&w, bob);
    w.with(bob, |ua, now| {
        ua.answer(now, theirs, Some(Body::sdp(OFFER)))
    })
    .unwrap();
    w.with(alice, |ua, now| ua.reinvite_without_offer(now, call))
        .unwrap();
    w.with(bob, |ua, now| {
        ua.answer(now, theirs, Some(Body::sdp(NEW_OFFER)))
    })
    .unwrap();
    assert_eq!(offers(&w, alice), [(NEW_OFFER.to_vec(), OfferIn::Success)]);
    w.with(alice, |ua, now| {
        ua.answer_offer(now, call, Body::sdp(ANSWER))
    })
    .unwrap();
    let got = w.find(bob, |e| match e {
        UaEvent::SessionUpdated { answer, .. } => Some(answer.clone()),
        _ => None,
    });
    assert_eq!(got, [Some(Body::sdp(ANSWER))]);
    // Nothing is retransmitted after the ACK, and both go on.
    let n = w.log.len();
    w.advance(Duration::from_secs(5));
    assert_eq!(w.log.len(), n);
    assert!(w.ua(alice).is_established(call));
    assert!(w.ua(bob).is_established(theirs));
}
