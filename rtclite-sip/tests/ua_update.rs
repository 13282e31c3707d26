//! The UPDATE method (RFC 3311) in the UA core: an offer in an UPDATE and
//! its answer in the 2xx, glare (491 and the back-off), the 500 rules for
//! overlapping offers, refusals, the prompt-answer timeout, and UPDATE as
//! a target refresh. Against a scripted peer for the exact messages, and
//! between two agents.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use common::ua::{
    a_addr, add_alice, add_bob, alice_config, b_addr, bob_config, call_answered, header,
    incoming_call, last, offers, parse, peer, peer_sends, start, starts, to_peer,
};
use rtclite_sip::ua::{Body, CallHandle, EndReason, OfferIn, UaConfig, UaError, UaEvent};
use rtclite_sip::{HeaderName, OwnedMessage};
use sim::phones::Phones;

const OFFER: &[u8] = b"v=0\r\no=carol 7 7 IN IP4 192.0.2.50\r\n";
const ANSWER: &[u8] = b"v=0\r\no=bob 2 2 IN IP4 192.0.2.201\r\n";
const HOLD: &[u8] = b"v=0\r\no=bob 2 3 IN IP4 192.0.2.201\r\na=sendonly\r\n";

fn with_update(mut c: UaConfig) -> UaConfig {
    c.update = true;
    c
}

/// A request from the scripted peer (Carol) to Bob in the dialog with To
/// tag `tag` (none for the INVITE).
fn to_bob(method: &str, tag: Option<&str>, cseq: u32, extra: &str, body: &[u8]) -> Bytes {
    let tag = tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_owned()
    };
    let mut v = format!(
        "{method} sip:bob@192.0.2.201:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKupd{method}{cseq}\r\n\
Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>{tag}\r\n\
From: Carol <sip:carol@chicago.example.com>;tag=c1\r\n\
Call-ID: update-1\r\nCSeq: {cseq} {method}\r\n{extra}{ct}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    Bytes::from(v)
}

const CONTACT: &str = "Contact: <sip:carol@192.0.2.50:5060>\r\n";

/// Bob (UPDATE on) in a confirmed call from the scripted Carol; returns
/// the call and Bob's To tag.
fn bob_in_a_call() -> (Phones, usize, CallHandle, String) {
    let mut w = Phones::new();
    let bob = add_bob(&mut w, with_update(bob_config()));
    peer_sends(&mut w, b_addr(), to_bob("INVITE", None, 1, CONTACT, OFFER));
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(ANSWER))))
        .unwrap();
    let ok = last(&w);
    // [RFC 3311 §4 test] "An unreliable provisional response MAY contain an
    // Allow header field listing the UPDATE method, and a 2xx response SHOULD
    // contain an Allow header field listing the UPDATE method."
    assert!(
        header(&ok, HeaderName::Allow)
            .unwrap()
            .ends_with(", UPDATE")
    );
    let tag = ok.message().to().unwrap().tag().unwrap().to_owned();
    peer_sends(&mut w, b_addr(), to_bob("ACK", Some(&tag), 1, "", b""));
    assert!(w.ua(bob).is_established(call));
    (w, bob, call, tag)
}

// [RFC 3311 §5.2 test] "If the session description has changed, the UAS MUST
// adjust the session parameters accordingly and generate an answer in the 2xx
// response."
#[test]
fn update_offer_is_answered_in_the_2xx() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 2, CONTACT, OFFER),
    );
    assert_eq!(starts(&w), ["200"]);
    assert_eq!(offers(&w, bob), [(OFFER.to_vec(), OfferIn::Update)]);
    w.with(bob, |ua, now| ua.answer_offer(now, call, Body::sdp(HOLD)))
        .unwrap();
    let ok = last(&w);
    assert_eq!(start(&ok), "200");
    assert_eq!(header(&ok, HeaderName::CSeq).unwrap(), "2 UPDATE");
    assert_eq!(ok.message().body(), HOLD);
    assert_eq!(
        header(&ok, HeaderName::Contact).unwrap(),
        "<sip:bob@192.0.2.201:5060>"
    );
    assert!(w.ua(bob).is_established(call));
}

#[test]
fn update_offer_refused_leaves_the_session() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 2, CONTACT, OFFER),
    );
    w.with(bob, |ua, now| ua.reject_offer(now, call, 488))
        .unwrap();
    assert_eq!(starts(&w), ["200", "488"]);
    // [RFC 3311 §5.2 test] "This response SHOULD include a Warning header
    // field."
    assert_eq!(
        header(&last(&w), HeaderName::Warning).unwrap(),
        "399 rtclite \"The session description was not accepted\""
    );
    assert_eq!(
        w.with(bob, |ua, now| ua.reject_offer(now, call, 488)),
        Err(UaError::NoOffer(call))
    );
    // The exchange is over: a new offer may be made.
    w.with(bob, |ua, now| ua.update(now, call, Body::sdp(HOLD)))
        .unwrap();
    assert_eq!(start(&last(&w)), "UPDATE");
}

#[test]
fn update_left_unanswered_gets_504() {
    let (mut w, _, _, tag) = bob_in_a_call();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 2, CONTACT, OFFER),
    );
    w.advance(Duration::from_secs(15));
    assert_eq!(starts(&w).len(), 1, "only the 200 to the INVITE");
    w.advance(Duration::from_secs(1));
    // [RFC 3311 §5.2 test] "If the UAS cannot change the session parameters
    // without prompting the user, it SHOULD reject the request with a 504
    // response."
    assert_eq!(start(&last(&w)), "504");
}

// [RFC 3311 §5.2 test] "A UAS that receives an UPDATE before it has generated
// a final response to a previous UPDATE on the same dialog MUST return a 500
// response to the new UPDATE, and MUST include a Retry-After header field with
// a randomly chosen value between 0 and 10 seconds."
#[test]
fn second_update_before_the_first_is_answered_gets_500() {
    let (mut w, _, _, tag) = bob_in_a_call();
    w.inject(
        peer(),
        b_addr(),
        to_bob("UPDATE", Some(&tag), 2, CONTACT, OFFER),
    );
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 3, CONTACT, b""),
    );
    let r = last(&w);
    assert_eq!(start(&r), "500");
    assert_eq!(header(&r, HeaderName::CSeq).unwrap(), "3 UPDATE");
    let after: u32 = header(&r, HeaderName::RetryAfter).unwrap().parse().unwrap();
    assert!(after <= 10);
}

// [RFC 3311 §5.2 test] "If an UPDATE is received that contains an offer, and
// the UAS has generated an offer (in an UPDATE, PRACK or INVITE) to which it
// has not yet received an answer, the UAS MUST reject the UPDATE with a 491
// response."
#[test]
fn update_offer_while_ours_is_pending_gets_491() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    w.with(bob, |ua, now| ua.update(now, call, Body::sdp(HOLD)))
        .unwrap();
    let ours = last(&w);
    assert_eq!(start(&ours), "UPDATE");
    assert_eq!(ours.message().body(), HOLD);
    // UPDATE is a target refresh request: it carries the Contact.
    assert_eq!(
        header(&ours, HeaderName::Contact).unwrap(),
        "<sip:bob@192.0.2.201:5060>"
    );
    assert_eq!(
        ours.message().request_uri(),
        Some("sip:carol@192.0.2.50:5060")
    );
    // No second offer while the first waits.
    // [RFC 3264 §4 test] "Furthermore, it MUST NOT generate a new offer if it
    // has generated a prior offer for which it has not yet received an answer
    // or a rejection."
    assert_eq!(
        w.with(bob, |ua, now| ua.update(now, call, Body::sdp(HOLD))),
        Err(UaError::OfferPending(call))
    );
    assert!(
        w.with(bob, |ua, now| ua.reinvite(now, call, Body::sdp(HOLD)))
            .is_err()
    );
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 2, CONTACT, OFFER),
    );
    assert_eq!(start(&last(&w)), "491");
    // Our UPDATE gets its 491 too: Bob, not the owner of the Call-ID, tries
    // again within 0 to 2 seconds.
    let r =
        rtclite_sip::builder::response_to(&ours.message(), 491, "Request Pending", None).unwrap();
    peer_sends(&mut w, b_addr(), r.bytes().clone());
    let before = to_peer(&w).len();
    w.advance(Duration::from_millis(2010));
    let again: Vec<OwnedMessage> = to_peer(&w)[before..]
        .iter()
        .filter(|m| start(m) == "UPDATE")
        .cloned()
        .collect();
    // [RFC 3311 §5.3 test] "When the timer fires, the UAC SHOULD attempt the
    // UPDATE once more, if it still desires for that session modification to
    // take place."
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message().body(), HOLD);
    assert_ne!(
        header(&again[0], HeaderName::CSeq),
        header(&ours, HeaderName::CSeq)
    );
    assert!(
        w.find(bob, |e| matches!(e, UaEvent::UpdateFailed { .. })
            .then_some(()))
            .is_empty()
    );
}

#[test]
fn update_offer_while_theirs_is_unanswered_gets_500() {
    let (mut w, _, _, tag) = bob_in_a_call();
    // A re-INVITE with an offer, not answered yet...
    w.inject(
        peer(),
        b_addr(),
        to_bob("INVITE", Some(&tag), 2, CONTACT, OFFER),
    );
    // ...then an UPDATE with another.
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 3, CONTACT, OFFER),
    );
    // [RFC 3311 §5.2 test] "Similarly, if an UPDATE is received that contains
    // an offer, and the UAS has received an offer (in an UPDATE, PRACK, or
    // INVITE) to which it has not yet generated an answer, the UAS MUST reject
    // the UPDATE with a 500 response, and MUST include a Retry-After header
    // field with a randomly chosen value between 0 and 10 seconds."
    let r = last(&w);
    assert_eq!(start(&r), "500");
    assert!(header(&r, HeaderName::RetryAfter).is_some());
}

#[test]
fn update_without_offer_refreshes_the_target() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob(
            "UPDATE",
            Some(&tag),
            2,
            "Contact: <sip:carol@192.0.2.60:5070>\r\n",
            b"",
        ),
    );
    let ok = last(&w);
    assert_eq!(start(&ok), "200");
    assert!(ok.message().body().is_empty());
    assert!(offers(&w, bob).is_empty());
    w.with(bob, |ua, now| ua.hang_up(now, call)).unwrap();
    // The BYE goes to the new remote target.
    assert_eq!(
        w.log.last().unwrap().to,
        "192.0.2.60:5070".parse::<SocketAddr>().unwrap()
    );
}

#[test]
fn update_is_refused_when_disabled() {
    let mut w = Phones::new();
    let bob = add_bob(&mut w, bob_config());
    peer_sends(&mut w, b_addr(), to_bob("INVITE", None, 1, CONTACT, OFFER));
    let call = incoming_call(&w, bob);
    w.with(bob, |ua, now| ua.answer(now, call, Some(Body::sdp(ANSWER))))
        .unwrap();
    let ok = last(&w);
    assert!(!header(&ok, HeaderName::Allow).unwrap().contains("UPDATE"));
    assert!(
        w.with(bob, |ua, now| ua.update(now, call, Body::sdp(HOLD)))
            .is_err()
    );
}

/// Alice calls Bob (both with UPDATE on); returns both handles.
fn established() -> (Phones, usize, usize, CallHandle, CallHandle) {
    let mut w = Phones::new();
    let alice = add_alice(&mut w, with_update(alice_config()));
    let bob = add_bob(&mut w, with_update(bob_config()));
    let (call, theirs) = call_answered(&mut w, alice, bob, OFFER, ANSWER);
    (w, alice, bob, call, theirs)
}

#[test]
fn update_between_two_agents_wire_log() {
    let (mut w, alice, bob, call, theirs) = established();
    let before = w.log.len();
    w.with(alice, |ua, now| ua.update(now, call, Body::sdp(HOLD)))
        .unwrap();
    w.with(bob, |ua, now| {
        ua.answer_offer(now, theirs, Body::sdp(ANSWER))
    })
    .unwrap();
    let got = w.find(alice, |e| match e {
        UaEvent::SessionUpdated { answer, .. } => Some(answer.clone()),
        _ => None,
    });
    assert_eq!(got, [Some(Body::sdp(ANSWER))]);
    w.log.drain(..before);
    insta::assert_snapshot!(w.transcript(&[(a_addr(), "alice"), (b_addr(), "bob")]));
}

#[test]
fn update_glare_491_then_both_succeed() {
    let (mut w, alice, bob, call, theirs) = established();
    let now = w.now;
    w.ua(alice).update(now, call, Body::sdp(HOLD)).unwrap();
    w.ua(bob).update(now, theirs, Body::sdp(HOLD)).unwrap();
    w.settle();
    // Each got the other's UPDATE while its own was pending: 491 both ways.
    let log: Vec<String> = w.log.iter().map(|s| start(&parse(&s.bytes))).collect();
    assert_eq!(log.iter().filter(|s| *s == "491").count(), 2, "{log:?}");
    // The back-offs (Bob 0-2 s, Alice 2.1-4 s) separate the retries; each
    // side answers the other's offer at once.
    for _ in 0..20 {
        w.advance(Duration::from_millis(250));
        for (i, h) in [(alice, call), (bob, theirs)] {
            // Answers the peer's offer, if one waits (NoOffer otherwise).
            match w.with(i, |ua, now| ua.answer_offer(now, h, Body::sdp(ANSWER))) {
                Ok(()) | Err(UaError::NoOffer(_)) => {}
                Err(e) => panic!("agent {i}: {e}"),
            }
        }
    }
    for i in [alice, bob] {
        let updated = w.find(i, |e| {
            matches!(e, UaEvent::SessionUpdated { .. }).then_some(())
        });
        assert_eq!(updated.len(), 1, "agent {i}");
        assert!(
            w.find(i, |e| matches!(e, UaEvent::UpdateFailed { .. })
                .then_some(()))
                .is_empty()
        );
    }
    assert!(w.ua(alice).is_established(call));
    w.with(alice, |ua, now| ua.hang_up(now, call)).unwrap();
    w.advance(Duration::from_secs(40));
    assert_eq!(
        w.find(bob, |e| match e {
            UaEvent::Terminated { reason, .. } => Some(*reason),
            _ => None,
        }),
        [EndReason::RemoteBye]
    );
}

/// Carol's request in the early dialog her reliable 183 (To tag `p1`)
/// created with Alice's INVITE.
fn early_from_carol(invite: &OwnedMessage, method: &str, cseq: u32, body: &[u8]) -> Bytes {
    let m = invite.message();
    let from = header(invite, HeaderName::From).unwrap();
    let to = header(invite, HeaderName::To).unwrap();
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_owned()
    };
    let mut v = format!(
        "{method} sip:alice@192.0.2.101:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKearly{cseq}\r\n\
Max-Forwards: 70\r\nFrom: {to};tag=p1\r\nTo: {from}\r\n\
Call-ID: {}\r\nCSeq: {cseq} {method}\r\n{CONTACT}{ct}Content-Length: {}\r\n\r\n",
        m.call_id().unwrap(),
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    Bytes::from(v)
}

fn carol_answers(
    w: &mut Phones,
    req: &OwnedMessage,
    code: u16,
    extra: &[(HeaderName, &str)],
    body: Option<&[u8]>,
) {
    let r = rtclite_sip::builder::response_to(&req.message(), code, "X", Some("p1")).unwrap();
    let mut b = rtclite_sip::builder::MessageBuilder::from_message(&r.message())
        .header(HeaderName::Contact, "<sip:carol@192.0.2.50:5060>");
    for (n, v) in extra {
        b = b.header(*n, *v);
    }
    if let Some(body) = body {
        b = b.body("application/sdp", body.to_vec());
    }
    peer_sends(w, a_addr(), b.build().unwrap().bytes().clone());
}

/// Alice (UPDATE on) calls the scripted Carol with an offer; returns the
/// call and the INVITE.
fn alice_calls_carol() -> (Phones, usize, CallHandle, OwnedMessage) {
    let mut w = Phones::new();
    let alice = add_alice(&mut w, with_update(alice_config()));
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:carol@192.0.2.50", Body::sdp(HOLD))
        })
        .unwrap();
    let invite = to_peer(&w)[0].clone();
    (w, alice, call, invite)
}

// [RFC 3311 §4 test] "Creation of this dialog is necessary in order to
// receive UPDATE requests from the callee."
#[test]
fn callee_update_on_the_callers_early_dialog() {
    let (mut w, alice, call, invite) = alice_calls_carol();
    // [RFC 3311 §4 test] "However, a UAC compliant to this specification
    // SHOULD also include an Allow header field in the INVITE request, listing
    // the method UPDATE, to indicate its ability to receive an UPDATE
    // request."
    assert!(
        header(&invite, HeaderName::Allow)
            .unwrap()
            .ends_with(", UPDATE")
    );
    // An unreliable 180 makes an early dialog, but the INVITE's offer is not
    // answered yet: an offer in an UPDATE is glare.
    // [RFC 3311 §5.2 test] "If an UPDATE is received that contains an offer,
    // and the UAS has generated an offer (in an UPDATE, PRACK or INVITE) to
    // which it has not yet received an answer, the UAS MUST reject the UPDATE
    // with a 491 response."
    carol_answers(&mut w, &invite, 180, &[], None);
    peer_sends(
        &mut w,
        a_addr(),
        early_from_carol(&invite, "UPDATE", 1, OFFER),
    );
    assert_eq!(start(&last(&w)), "491");
    // The answer in a reliable 183, PRACKed; then Carol's UPDATE offer is
    // answered in its 2xx.
    carol_answers(
        &mut w,
        &invite,
        183,
        &[(HeaderName::Require, "100rel"), (HeaderName::RSeq, "1")],
        Some(ANSWER),
    );
    assert_eq!(start(&last(&w)), "PRACK");
    peer_sends(
        &mut w,
        a_addr(),
        early_from_carol(&invite, "UPDATE", 2, OFFER),
    );
    assert_eq!(offers(&w, alice), [(OFFER.to_vec(), OfferIn::Update)]);
    w.with(alice, |ua, now| ua.answer_offer(now, call, Body::sdp(HOLD)))
        .unwrap();
    let ok = last(&w);
    assert_eq!(start(&ok), "200");
    assert_eq!(header(&ok, HeaderName::CSeq).unwrap(), "2 UPDATE");
    assert_eq!(ok.message().body(), HOLD);
    // A request with a CSeq below the last one is out of order: 500
    // (RFC 3261 §12.2.2).
    peer_sends(
        &mut w,
        a_addr(),
        early_from_carol(&invite, "UPDATE", 0, b""),
    );
    assert_eq!(start(&last(&w)), "500");
    // The call is then accepted as usual; the ACK carries no body.
    carol_answers(&mut w, &invite, 200, &[], Some(ANSWER));
    let ack = last(&w);
    assert_eq!(start(&ack), "ACK");
    assert!(ack.message().body().is_empty());
    assert!(w.ua(alice).is_established(call));
}

// Found by the sip_ua_session fuzz target (regression crash-e9c98a01): the
// hang-up dropped the pending UPDATE, whose transaction then never ended.
// [RFC 3261 §15.1.2 test] "The UAS MUST still respond to any pending requests
// received for that dialog."
#[test]
fn hanging_up_answers_a_pending_update_with_487() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 2, CONTACT, OFFER),
    );
    w.with(bob, |ua, now| ua.hang_up(now, call)).unwrap();
    let sent = starts(&w);
    assert_eq!(sent[sent.len() - 2..], ["BYE", "487"]);
    let r = last(&w);
    assert_eq!(header(&r, HeaderName::CSeq).unwrap(), "2 UPDATE");
    w.advance(Duration::from_secs(64));
    assert_eq!(w.ua(bob).call_count(), 0);
    assert!(w.ua(bob).transactions().is_empty());
}

#[test]
fn early_update_offer_outlives_the_2xx_of_the_invite() {
    let (mut w, alice, call, invite) = alice_calls_carol();
    let rel = [(HeaderName::Require, "100rel"), (HeaderName::RSeq, "1")];
    carol_answers(&mut w, &invite, 183, &rel, Some(ANSWER));
    peer_sends(
        &mut w,
        a_addr(),
        early_from_carol(&invite, "UPDATE", 2, OFFER),
    );
    // The INVITE is accepted while the UPDATE's offer waits: the ACK goes at
    // once (the offer is the UPDATE's, not the 2xx's) and the UPDATE is still
    // answered afterwards.
    carol_answers(&mut w, &invite, 200, &[], None);
    assert_eq!(start(&last(&w)), "ACK");
    assert!(w.ua(alice).is_established(call));
    w.with(alice, |ua, now| ua.answer_offer(now, call, Body::sdp(HOLD)))
        .unwrap();
    let ok = last(&w);
    assert_eq!(header(&ok, HeaderName::CSeq).unwrap(), "2 UPDATE");
    assert_eq!(ok.message().body(), HOLD);
    // The exchange is complete: a re-INVITE may now carry a new offer.
    w.with(alice, |ua, now| ua.reinvite(now, call, Body::sdp(HOLD)))
        .unwrap();
}

// Found by the sip_ua_session fuzz target (regression crash-aaeef174): an
// UPDATE offer accepted while our re-INVITE without an offer waited for the
// peer's was lost when that offer came in the 2xx, and the UPDATE never got
// a response.
#[test]
fn update_offer_while_our_offerless_reinvite_is_pending_gets_500() {
    let (mut w, bob, call, tag) = bob_in_a_call();
    w.with(bob, |ua, now| ua.reinvite_without_offer(now, call))
        .unwrap();
    assert_eq!(start(&last(&w)), "INVITE");
    // Nor may this side offer in an UPDATE meanwhile.
    // [RFC 3311 §5.1 test] "o If the UPDATE is being sent after the completion
    // of the initial INVITE transaction, it cannot be sent with an offer if the
    // callee has generated or received offers in a re-INVITE or UPDATE which
    // have not been answered."
    assert_eq!(
        w.with(bob, |ua, now| ua.update(now, call, Body::sdp(HOLD))),
        Err(UaError::OfferPending(call))
    );
    peer_sends(
        &mut w,
        b_addr(),
        to_bob("UPDATE", Some(&tag), 2, CONTACT, OFFER),
    );
    let r = last(&w);
    assert_eq!(start(&r), "500");
    assert_eq!(header(&r, HeaderName::CSeq).unwrap(), "2 UPDATE");
    assert!(header(&r, HeaderName::RetryAfter).is_some());
    assert!(offers(&w, bob).is_empty());
}
