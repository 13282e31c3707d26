//! Session timers (RFC 4028) in the UA core, against exact messages: the
//! `timer` option tag, Session-Expires and Min-SE in the initial INVITE,
//! 422 and the retry, the refresher chosen both ways, refreshes by
//! re-INVITE (the unchanged description) and by UPDATE (no body), failed
//! refreshes, and the BYE of an expired session at the time RFC 4028 §10
//! gives, with the sans-IO clock driven by the test. Alice (the agent) calls
//! a scripted peer, a scripted peer calls Bob (the agent), or the two
//! agents call each other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::ua::{
    a_addr, add_alice, add_bob, alice_config, b_addr, bob_config, call_answered, ends, header,
    incoming_call, last, parse, peer, peer_sends, start, starts, to_peer,
};
use rtclite_sip::builder::{MessageBuilder, response_to};
use rtclite_sip::ua::{
    Body, CallHandle, EndReason, RefreshBy, SessionTimerConfig, UaConfig, UaEvent,
};
use rtclite_sip::{HeaderName, OwnedMessage};
use sim::phones::Phones;

const OFFER: &[u8] = b"v=0\r\no=alice 1 1 IN IP4 192.0.2.101\r\ns=-\r\n";
const ANSWER: &[u8] = b"v=0\r\no=carol 7 7 IN IP4 192.0.2.50\r\ns=-\r\n";
const BOB_SDP: &[u8] = b"v=0\r\no=bob 2 2 IN IP4 192.0.2.201\r\ns=-\r\n";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn hdr(m: &OwnedMessage, n: HeaderName) -> Option<String> {
    header(m, n)
}

/// The scripted peer answers the agent's request `req` with `code`,
/// To tag `p1`, and `extra` header fields.
fn reply(w: &mut Phones, req: &OwnedMessage, code: u16, extra: &[(HeaderName, &str)]) {
    let r = response_to(&req.message(), code, "Status", Some("p1")).unwrap();
    let mut b = MessageBuilder::from_message(&r.message());
    if code < 300
        && req
            .message()
            .method()
            .is_some_and(|m| m.as_str() == "INVITE")
    {
        b = b
            .header(HeaderName::Contact, "<sip:carol@192.0.2.50:5060>")
            .body("application/sdp", ANSWER.to_vec());
    }
    for (n, v) in extra {
        b = b.header(*n, *v);
    }
    peer_sends(w, a_addr(), b.build().unwrap().bytes().clone());
}

/// The requests the agent sent to the scripted peer (ACKs included).
fn requests(w: &Phones) -> Vec<OwnedMessage> {
    to_peer(w)
        .into_iter()
        .filter(|m| m.message().is_request())
        .collect()
}

fn last_request(w: &Phones, method: &str) -> OwnedMessage {
    requests(w)
        .into_iter()
        .rev()
        .find(|m| m.message().method().is_some_and(|x| x.as_str() == method))
        .unwrap()
}

/// The distinct CSeq numbers of the `method` requests sent to the peer
/// (retransmissions counted once).
fn cseqs(w: &Phones, method: &str) -> Vec<u32> {
    let mut v: Vec<u32> = requests(w)
        .iter()
        .filter(|m| m.message().method().is_some_and(|x| x.as_str() == method))
        .map(|m| m.message().cseq().unwrap().seq)
        .collect();
    v.dedup();
    v
}

/// When each `method` request to the peer was sent (retransmissions too).
fn sent_at(w: &Phones, method: &str) -> Vec<Instant> {
    w.outside
        .iter()
        .filter(|s| {
            let m = parse(&s.bytes);
            m.message().method().is_some_and(|x| x.as_str() == method)
        })
        .map(|s| s.at)
        .collect()
}

fn alice_with(f: impl FnOnce(&mut UaConfig)) -> (Phones, usize) {
    let mut w = Phones::new();
    let mut c = alice_config();
    f(&mut c);
    let alice = add_alice(&mut w, c);
    (w, alice)
}

/// Alice calls the scripted peer; returns the call and the INVITE.
fn alice_calls(w: &mut Phones, alice: usize) -> (CallHandle, OwnedMessage) {
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:carol@192.0.2.50:5060", Body::sdp(OFFER))
        })
        .unwrap();
    (call, last_request(w, "INVITE"))
}

fn refreshed(w: &Phones, i: usize) -> Vec<(Duration, RefreshBy)> {
    w.find(i, |e| match e {
        UaEvent::SessionRefreshed {
            interval,
            refresher,
            ..
        } => Some((*interval, *refresher)),
        _ => None,
    })
}

// ---------------------------------------------------------------------
// UAC (RFC 4028 §7)
// ---------------------------------------------------------------------

// [RFC 4028 §7.1 test] "A UAC that supports the session timer extension
// defined here MUST include a Supported header field in each request (except
// ACK), listing the option tag 'timer' [2]."
// [RFC 4028 §7.1 test] "A UAC MAY include a Session-Expires header field in
// an initial session refresh request if it wants a session timer applied to
// the session."
#[test]
fn invite_carries_timer_and_session_expires() {
    let (mut w, alice) = alice_with(|_| {});
    let (_, invite) = alice_calls(&mut w, alice);
    assert_eq!(
        hdr(&invite, HeaderName::Supported).as_deref(),
        Some("100rel, timer")
    );
    assert_eq!(
        hdr(&invite, HeaderName::SessionExpires).as_deref(),
        Some("1800")
    );
    // The default Min-SE (90) is not sent.
    assert_eq!(hdr(&invite, HeaderName::MinSe), None);
    assert_eq!(hdr(&invite, HeaderName::Require), None);
}

// [RFC 4028 §7.1 test] "If a Min-SE header is included in the initial
// session refresh request, the value of the Session-Expires MUST be greater
// than or equal to the value in Min-SE."
#[test]
fn configured_min_se_is_sent_and_bounds_session_expires() {
    let (mut w, alice) = alice_with(|c| {
        c.session_timer = Some(SessionTimerConfig {
            session_expires: 300,
            min_se: 600,
        });
    });
    let (_, invite) = alice_calls(&mut w, alice);
    assert_eq!(hdr(&invite, HeaderName::MinSe).as_deref(), Some("600"));
    assert_eq!(
        hdr(&invite, HeaderName::SessionExpires).as_deref(),
        Some("600")
    );
}

#[test]
fn disabled_timer_leaves_the_invite_as_before() {
    let (mut w, alice) = alice_with(|c| c.session_timer = None);
    let (_, invite) = alice_calls(&mut w, alice);
    assert_eq!(
        hdr(&invite, HeaderName::Supported).as_deref(),
        Some("100rel")
    );
    assert_eq!(hdr(&invite, HeaderName::SessionExpires), None);
}

// [RFC 4028 §7.3 test] "This new request constitutes a new transaction and
// SHOULD have the same value as the Call-ID, To, and From of the previous
// request, but the CSeq should contain a new sequence number that is one
// higher than the previous."
// [RFC 4028 §7.4 test] "Similarly, if no dialog has been established yet, a
// UAC MUST insert the Min-SE header field into an INVITE request if it has
// ever received a 422 response to a previous INVITE request with the same
// Call-ID."
#[test]
fn invite_422_is_retried_with_the_min_se() {
    let (mut w, alice) = alice_with(|_| {});
    let (call, first) = alice_calls(&mut w, alice);
    reply(&mut w, &first, 422, &[(HeaderName::MinSe, "3600")]);
    let invites: Vec<OwnedMessage> = requests(&w)
        .into_iter()
        .filter(|m| start(m) == "INVITE")
        .collect();
    assert_eq!(invites.len(), 2);
    let retry = &invites[1];
    let (a, b) = (first.message(), retry.message());
    assert_eq!(a.call_id().unwrap(), b.call_id().unwrap());
    assert_eq!(a.from().unwrap().tag(), b.from().unwrap().tag());
    assert_eq!(hdr(&first, HeaderName::To), hdr(retry, HeaderName::To));
    assert_eq!(b.cseq().unwrap().seq, a.cseq().unwrap().seq + 1);
    assert_ne!(a.top_via().unwrap().branch(), b.top_via().unwrap().branch());
    assert_eq!(
        hdr(retry, HeaderName::SessionExpires).as_deref(),
        Some("3600")
    );
    assert_eq!(hdr(retry, HeaderName::MinSe).as_deref(), Some("3600"));
    assert_eq!(
        hdr(retry, HeaderName::Supported).as_deref(),
        Some("100rel, timer")
    );
    assert_eq!(retry.message().body(), OFFER);
    // The 2xx to the retry sets the negotiated interval.
    reply(
        &mut w,
        retry,
        200,
        &[
            (HeaderName::SessionExpires, "3600;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    let st = w.ua(alice).session_timer(call).unwrap();
    assert_eq!(st.interval, secs(3600));
    assert_eq!(st.refresher, RefreshBy::Local);
}

// [RFC 4028 §10 test] "However, the UAC SHOULD NOT continuously retry the
// request if the server indicates the same error response."
#[test]
fn invite_422_retries_are_bounded() {
    let (mut w, alice) = alice_with(|_| {});
    let (call, first) = alice_calls(&mut w, alice);
    // The same Min-SE as already asked for: no retry.
    reply(&mut w, &first, 422, &[(HeaderName::MinSe, "1800")]);
    assert_eq!(ends(&w, alice), [EndReason::Rejected { status: 422 }]);
    assert!(!w.ua(alice).is_established(call));

    // Growing Min-SE values: retried MAX_422_RETRIES times, then given up.
    let (mut w, alice) = alice_with(|_| {});
    let (_, first) = alice_calls(&mut w, alice);
    reply(&mut w, &first, 422, &[(HeaderName::MinSe, "2000")]);
    let second = last_request(&w, "INVITE");
    reply(&mut w, &second, 422, &[(HeaderName::MinSe, "3000")]);
    let third = last_request(&w, "INVITE");
    assert_eq!(
        hdr(&third, HeaderName::SessionExpires).as_deref(),
        Some("3000")
    );
    reply(&mut w, &third, 422, &[(HeaderName::MinSe, "4000")]);
    let invites = requests(&w).iter().filter(|m| start(m) == "INVITE").count();
    assert_eq!(invites, 1 + rtclite_sip::ua::MAX_422_RETRIES as usize);
    assert_eq!(ends(&w, alice), [EndReason::Rejected { status: 422 }]);
    // A 422 without Min-SE (against RFC 4028 §6) is not retried.
    let (mut w, alice) = alice_with(|_| {});
    let (_, first) = alice_calls(&mut w, alice);
    reply(&mut w, &first, 422, &[]);
    assert_eq!(ends(&w, alice), [EndReason::Rejected { status: 422 }]);
}

/// Alice's call answered by the scripted peer with `extra`; returns the
/// call and the instant of the 2xx.
fn alice_answered(
    f: impl FnOnce(&mut UaConfig),
    extra: &[(HeaderName, &str)],
) -> (Phones, usize, CallHandle, Instant) {
    let (mut w, alice) = alice_with(f);
    let (call, invite) = alice_calls(&mut w, alice);
    let t = w.now;
    reply(&mut w, &invite, 200, extra);
    assert!(w.ua(alice).is_established(call));
    (w, alice, call, t)
}

// [RFC 4028 §7.2 test] "If the parameter contains the value 'uac', the UAC
// will perform them."
// [RFC 4028 §7.2 test] "It is RECOMMENDED that this refresh be sent once half
// the session interval has elapsed."
// [RFC 4028 §7.4 test] "It is RECOMMENDED that the UPDATE request not contain
// an offer [4], but a re-INVITE SHOULD contain one, even if the details of the
// session have not changed."
// [RFC 4028 §7.4 test] "In the case of SDP, this is accomplished by including
// the same value for the origin field as did previous SDP messages to its
// peer."
#[test]
fn refresher_uac_refreshes_by_reinvite_at_half_the_interval() {
    let (mut w, alice, call, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    let st = w.ua(alice).session_timer(call).unwrap();
    assert_eq!(st.interval, secs(1800));
    assert_eq!(st.refresher, RefreshBy::Local);
    assert_eq!(st.expires, t0 + secs(1800));
    w.advance(secs(899));
    assert_eq!(sent_at(&w, "INVITE").len(), 1, "no refresh before 900 s");
    w.advance(secs(1));
    let at = sent_at(&w, "INVITE");
    assert_eq!(at.len(), 2);
    assert_eq!(at[1], t0 + secs(900));
    let refresh = last_request(&w, "INVITE");
    assert!(refresh.message().to().unwrap().tag().is_some());
    // The same description, byte for byte (origin line included).
    assert_eq!(refresh.message().body(), OFFER);
    // [RFC 4028 §7.4 test] "If the session refresh request is not the initial
    // one, it is RECOMMENDED that the refresher parameter be set to 'uac' if
    // the element sending the request is currently performing refreshes, and
    // to 'uas' if its peer is performing the refreshes."
    assert_eq!(
        hdr(&refresh, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    assert_eq!(
        hdr(&refresh, HeaderName::Supported).as_deref(),
        Some("100rel, timer")
    );
    assert_eq!(hdr(&refresh, HeaderName::MinSe), None);
    assert_eq!(refresh.message().cseq().unwrap().seq, 2);
    reply(
        &mut w,
        &refresh,
        200,
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    assert_eq!(start(&last(&w)), "ACK");
    assert_eq!(refreshed(&w, alice), [(secs(1800), RefreshBy::Local)]);
    // No SessionUpdated for a refresh the application did not ask for.
    assert!(
        w.find(alice, |e| matches!(e, UaEvent::SessionUpdated { .. })
            .then_some(()))
            .is_empty()
    );
    let st = w.ua(alice).session_timer(call).unwrap();
    assert_eq!(st.expires, t0 + secs(900 + 1800));
    w.advance(secs(900));
    assert_eq!(sent_at(&w, "INVITE")[2], t0 + secs(1800));
    assert!(w.ua(alice).is_established(call));
}

// [RFC 4028 §7.2 test] "Similarly, a re-INVITE or UPDATE request sent within
// a dialog for purposes other than session refreshes will also have the
// effect of refreshing the session, and its processing will follow the
// procedures defined in this specification."
#[test]
fn application_reinvite_refreshes_the_session() {
    const HOLD: &[u8] = b"v=0\r\no=alice 1 2 IN IP4 192.0.2.101\r\ns=-\r\na=sendonly\r\n";
    let (mut w, alice, call, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    w.advance(secs(600));
    w.with(alice, |ua, now| ua.reinvite(now, call, Body::sdp(HOLD)))
        .unwrap();
    let hold = last_request(&w, "INVITE");
    assert_eq!(
        hdr(&hold, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    reply(
        &mut w,
        &hold,
        200,
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    assert_eq!(refreshed(&w, alice), [(secs(1800), RefreshBy::Local)]);
    assert_eq!(
        w.find(alice, |e| matches!(e, UaEvent::SessionUpdated { .. })
            .then_some(()))
            .len(),
        1
    );
    assert_eq!(
        w.ua(alice).session_timer(call).unwrap().expires,
        t0 + secs(600 + 1800)
    );
    // The next refresh comes half the interval after the re-INVITE, and
    // repeats the description now in force (the held one).
    w.advance(secs(899));
    assert_eq!(cseqs(&w, "INVITE").len(), 2);
    w.advance(secs(1));
    assert_eq!(cseqs(&w, "INVITE").len(), 3);
    assert_eq!(*sent_at(&w, "INVITE").last().unwrap(), t0 + secs(1500));
    assert_eq!(last_request(&w, "INVITE").message().body(), HOLD);
}

// A refresh due while another INVITE transaction is in progress waits
// (RFC 3261 §14.1); that transaction's 2xx refreshes the session.
#[test]
fn refresh_due_during_another_reinvite_waits_for_it() {
    let (mut w, alice, call, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    w.advance(secs(899));
    w.with(alice, |ua, now| ua.reinvite(now, call, Body::sdp(OFFER)))
        .unwrap();
    let app = last_request(&w, "INVITE");
    w.advance(secs(2));
    // (Its retransmissions only: no second request.)
    assert_eq!(cseqs(&w, "INVITE").len(), 2);
    reply(
        &mut w,
        &app,
        200,
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    assert_eq!(refreshed(&w, alice).len(), 1);
    w.advance(secs(897));
    assert_eq!(cseqs(&w, "INVITE").len(), 2);
    w.advance(secs(1));
    assert_eq!(cseqs(&w, "INVITE").len(), 3);
    assert_eq!(*sent_at(&w, "INVITE").last().unwrap(), t0 + secs(899 + 900));
}

// [RFC 4028 §7.4 test] "If a UAC knows that its peer supports the UPDATE
// method, it is RECOMMENDED that UPDATE be used instead of a re-INVITE."
#[test]
fn refresh_by_update_without_a_body() {
    let (mut w, alice, call, t0) = alice_answered(
        |c| c.update = true,
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
            (HeaderName::Allow, "INVITE, ACK, BYE, CANCEL, UPDATE"),
        ],
    );
    w.advance(secs(900));
    let update = last_request(&w, "UPDATE");
    assert_eq!(sent_at(&w, "UPDATE"), [t0 + secs(900)]);
    assert!(update.message().body().is_empty());
    assert_eq!(hdr(&update, HeaderName::ContentType), None);
    assert_eq!(
        hdr(&update, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    assert_eq!(
        hdr(&update, HeaderName::Supported).as_deref(),
        Some("timer")
    );
    // The peer halves the interval and takes the refreshes over.
    reply(
        &mut w,
        &update,
        200,
        &[
            (HeaderName::SessionExpires, "900;refresher=uas"),
            (HeaderName::Require, "timer"),
        ],
    );
    assert_eq!(refreshed(&w, alice), [(secs(900), RefreshBy::Remote)]);
    // Alice now only watches: BYE at 900 - min(32, 300) = 868 s after the
    // 2xx, if no refresh came.
    w.advance(secs(867));
    assert!(w.ua(alice).is_established(call));
    assert!(sent_at(&w, "BYE").is_empty());
    w.advance(secs(1));
    assert_eq!(sent_at(&w, "BYE"), [t0 + secs(900 + 868)]);
    assert_eq!(ends(&w, alice), [EndReason::SessionExpired]);
}

// [RFC 4028 §10 test] "Similarly, if the side not performing refreshes does
// not receive a session refresh request before the session expiration, it
// SHOULD send a BYE to terminate the session, slightly before the session
// expiration."
// [RFC 4028 §10 test] "The minimum of 32 seconds and one third of the
// session interval is RECOMMENDED."
#[test]
fn refresher_uas_and_no_refresh_means_bye_32_s_before_expiry() {
    let (mut w, alice, call, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uas"),
            (HeaderName::Require, "timer"),
        ],
    );
    assert_eq!(
        w.ua(alice).session_timer(call).unwrap().refresher,
        RefreshBy::Remote
    );
    w.advance(secs(1767));
    assert_eq!(
        sent_at(&w, "INVITE").len(),
        1,
        "the non-refresher never refreshes"
    );
    assert!(sent_at(&w, "BYE").is_empty());
    w.advance(secs(1));
    assert_eq!(sent_at(&w, "BYE"), [t0 + secs(1768)]);
    assert_eq!(ends(&w, alice), [EndReason::SessionExpired]);
    assert_eq!(w.ua(alice).session_timer(call), None);
}

#[test]
fn short_interval_bye_at_two_thirds() {
    // 90 s: one third (30 s) is less than 32 s.
    let (mut w, alice, _, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "90;refresher=uas"),
            (HeaderName::Require, "timer"),
        ],
    );
    w.advance(secs(59));
    assert!(sent_at(&w, "BYE").is_empty());
    w.advance(secs(1));
    assert_eq!(sent_at(&w, "BYE"), [t0 + secs(60)]);
    assert_eq!(ends(&w, alice), [EndReason::SessionExpired]);
}

/// A request from the scripted peer to Alice in the dialog of her call
/// (`invite`, answered with To tag p1).
fn to_alice(invite: &OwnedMessage, method: &str, cseq: u32, extra: &str, body: &[u8]) -> Bytes {
    let m = invite.message();
    let from = hdr(invite, HeaderName::From).unwrap();
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_owned()
    };
    let mut v = format!(
        "{method} sip:alice@192.0.2.101:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKst{method}{cseq}\r\n\
Max-Forwards: 70\r\nFrom: <sip:carol@192.0.2.50:5060>;tag=p1\r\nTo: {from}\r\n\
Call-ID: {}\r\nCSeq: {cseq} {method}\r\nContact: <sip:carol@192.0.2.50:5060>\r\n\
{extra}{ct}Content-Length: {}\r\n\r\n",
        m.call_id().unwrap(),
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    Bytes::from(v)
}

// A refresh from the peer resets the non-refresher's timer: the BYE moves.
#[test]
fn peer_refresh_by_update_postpones_the_bye() {
    let (mut w, alice, call, t0) = alice_answered(
        |c| c.update = true,
        &[
            (HeaderName::SessionExpires, "1800;refresher=uas"),
            (HeaderName::Require, "timer"),
        ],
    );
    let invite = last_request(&w, "INVITE");
    w.advance(secs(900));
    peer_sends(
        &mut w,
        a_addr(),
        to_alice(
            &invite,
            "UPDATE",
            1,
            "Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n",
            b"",
        ),
    );
    let ok = last(&w);
    assert_eq!(start(&ok), "200");
    assert_eq!(hdr(&ok, HeaderName::CSeq).as_deref(), Some("1 UPDATE"));
    // [RFC 4028 §9 test] "The UAS MUST set the value of the refresher
    // parameter in the Session-Expires header field in the 2xx response."
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    // [RFC 4028 §9 test] "If the refresher parameter in the Session-Expires
    // header field in the 2xx response has a value of 'uac', the UAS MUST
    // place a Require header field into the response with the value 'timer'."
    assert_eq!(hdr(&ok, HeaderName::Require).as_deref(), Some("timer"));
    assert_eq!(refreshed(&w, alice), [(secs(1800), RefreshBy::Remote)]);
    w.advance(secs(1767));
    assert!(sent_at(&w, "BYE").is_empty());
    w.advance(secs(1));
    assert_eq!(sent_at(&w, "BYE"), [t0 + secs(900 + 1768)]);
    assert!(!w.ua(alice).is_established(call));
}

// A refresh UPDATE carries no offer, so a re-INVITE with an offer from the
// peer meanwhile is no glare (RFC 3311 §5.2): it goes to the application.
#[test]
fn peer_reinvite_during_a_refresh_update_is_not_glare() {
    let (mut w, alice, call, _) = alice_answered(
        |c| c.update = true,
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
            (HeaderName::Allow, "INVITE, ACK, BYE, CANCEL, UPDATE"),
        ],
    );
    let invite = last_request(&w, "INVITE");
    w.advance(secs(900));
    let update = last_request(&w, "UPDATE");
    peer_sends(
        &mut w,
        a_addr(),
        to_alice(&invite, "INVITE", 1, "Supported: timer\r\n", ANSWER),
    );
    assert!(matches!(
        w.phones[alice].events.last(),
        Some(UaEvent::ReInvite { .. })
    ));
    reply(
        &mut w,
        &update,
        200,
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    w.with(alice, |ua, now| {
        ua.answer(now, call, Some(Body::sdp(OFFER)))
    })
    .unwrap();
    let ok = last(&w);
    assert_eq!(start(&ok), "200");
    assert_eq!(hdr(&ok, HeaderName::CSeq).as_deref(), Some("1 INVITE"));
    // The peer's re-INVITE was a session refresh request too (it supports
    // the extension and asked nothing: it refreshes).
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    assert_eq!(refreshed(&w, alice).len(), 2);
    assert_eq!(
        w.ua(alice).session_timer(call).unwrap().refresher,
        RefreshBy::Remote
    );
}

// [RFC 4028 §7.2 test] "To do this, the UAC follows the procedures defined in
// this specification as if the Session-Expires header field were in the 2xx
// response, and its value was the same as that in the request, but with a
// refresher parameter of 'uac'."
#[test]
fn peer_without_timer_support_leaves_the_refreshes_to_the_uac() {
    let (mut w, alice, call, t0) = alice_answered(|_| {}, &[]);
    let st = w.ua(alice).session_timer(call).unwrap();
    assert_eq!(st.interval, secs(1800));
    assert_eq!(st.refresher, RefreshBy::Local);
    w.advance(secs(900));
    assert_eq!(sent_at(&w, "INVITE")[1], t0 + secs(900));
    let refresh = last_request(&w, "INVITE");
    assert_eq!(
        hdr(&refresh, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    // The peer still knows nothing of timers: Alice stays the refresher.
    reply(&mut w, &refresh, 200, &[]);
    assert_eq!(refreshed(&w, alice), [(secs(1800), RefreshBy::Local)]);
}

// [RFC 4028 §7.2 test] "If the 2xx response did not contain a Session-Expires
// header field, there is no session expiration."
#[test]
fn peer_with_timer_support_may_turn_it_off() {
    let (mut w, alice, call, _) = alice_answered(|_| {}, &[(HeaderName::Supported, "timer")]);
    assert_eq!(w.ua(alice).session_timer(call), None);
    w.advance(secs(4000));
    assert_eq!(sent_at(&w, "INVITE").len(), 1);
    assert!(sent_at(&w, "BYE").is_empty());
    assert!(w.ua(alice).is_established(call));
}

// [RFC 4028 §10 test] "Note that only a 2xx response to a session refresh
// request extends the session expiration."
// [RFC 4028 §7.4 test] "The UAC MUST insert the Min-SE header field into a
// session refresh request for a particular dialog if it has ever received a
// 422 response to a previous session refresh request on the same dialog, or
// if it has received a session refresh request on that dialog that contained
// a Min-SE header field."
#[test]
fn refresh_422_then_491_then_success() {
    let (mut w, alice, call, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    w.advance(secs(900));
    let first = last_request(&w, "INVITE");
    reply(&mut w, &first, 422, &[(HeaderName::MinSe, "2400")]);
    let second = last_request(&w, "INVITE");
    assert_eq!(
        second.message().cseq().unwrap().seq,
        first.message().cseq().unwrap().seq + 1
    );
    assert_eq!(
        hdr(&second, HeaderName::SessionExpires).as_deref(),
        Some("2400;refresher=uac")
    );
    assert_eq!(hdr(&second, HeaderName::MinSe).as_deref(), Some("2400"));
    // The expiration did not move with the 422.
    assert_eq!(
        w.ua(alice).session_timer(call).unwrap().expires,
        t0 + secs(1800)
    );
    // Glare: 491, then the §14.1 back-off (2.1 to 4 s for the Call-ID's
    // owner), then the refresh again.
    reply(&mut w, &second, 491, &[]);
    let n = cseqs(&w, "INVITE").len();
    w.advance(Duration::from_millis(2099));
    assert_eq!(cseqs(&w, "INVITE").len(), n);
    w.advance(Duration::from_millis(1901));
    assert_eq!(cseqs(&w, "INVITE").len(), n + 1);
    let third = last_request(&w, "INVITE");
    assert_eq!(hdr(&third, HeaderName::MinSe).as_deref(), Some("2400"));
    reply(
        &mut w,
        &third,
        200,
        &[
            (HeaderName::SessionExpires, "2400;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    assert_eq!(refreshed(&w, alice), [(secs(2400), RefreshBy::Local)]);
    assert!(
        w.find(alice, |e| matches!(e, UaEvent::ReInviteFailed { .. })
            .then_some(()))
            .is_empty()
    );
}

// [RFC 4028 §10 test] "If the session refresh request transaction times out
// or generates a 408 or 481 response, then the UAC sends a BYE request as per
// Section 12.2.1.2 of RFC 3261 [2]."
#[test]
fn refresh_481_ends_the_call_with_bye() {
    let (mut w, alice, _, _) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    w.advance(secs(900));
    let refresh = last_request(&w, "INVITE");
    reply(&mut w, &refresh, 481, &[]);
    assert_eq!(start(&last_request(&w, "BYE")), "BYE");
    assert_eq!(ends(&w, alice), [EndReason::DialogLost { status: 481 }]);
}

#[test]
fn refresh_timeout_ends_the_call_with_bye() {
    let (mut w, alice, _, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    // The peer is gone: Timer B (64*T1) after the refresh.
    w.advance(secs(900 + 32));
    assert_eq!(sent_at(&w, "BYE"), [t0 + secs(932)]);
    assert_eq!(ends(&w, alice), [EndReason::DialogLost { status: 408 }]);
}

// [RFC 4028 §10 test] "If the session refresh request does not generate a
// 2xx response (and, as a result, the session is not refreshed), and a
// response other than 408 or 481 is received, the UAC SHOULD follow the rules
// specific to that response code and retry if possible."
#[test]
fn refresh_refused_twice_the_same_way_lets_the_session_expire() {
    let (mut w, alice, _, t0) = alice_answered(
        |_| {},
        &[
            (HeaderName::SessionExpires, "1800;refresher=uac"),
            (HeaderName::Require, "timer"),
        ],
    );
    w.advance(secs(900));
    let r = last_request(&w, "INVITE");
    reply(&mut w, &r, 500, &[]);
    // One more try halfway to the expiration (1800 s): at 900 + 450 s.
    w.advance(secs(449));
    assert_eq!(sent_at(&w, "INVITE").len(), 2);
    w.advance(secs(1));
    assert_eq!(sent_at(&w, "INVITE")[2], t0 + secs(1350));
    let r = last_request(&w, "INVITE");
    reply(&mut w, &r, 500, &[]);
    // The same error again: no third try; the refresher ends the session
    // at its expiration.
    w.advance(secs(449));
    assert_eq!(sent_at(&w, "INVITE").len(), 3);
    assert!(sent_at(&w, "BYE").is_empty());
    w.advance(secs(1));
    assert_eq!(sent_at(&w, "BYE"), [t0 + secs(1800)]);
    assert_eq!(ends(&w, alice), [EndReason::SessionExpired]);
}

// ---------------------------------------------------------------------
// UAS (RFC 4028 §9)
// ---------------------------------------------------------------------

fn invite_to_bob(extra: &str) -> Bytes {
    let mut v = format!(
        "INVITE sip:bob@192.0.2.201:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKstinv\r\n\
Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n\
From: Carol <sip:carol@chicago.example.com>;tag=c1\r\n\
Call-ID: st-1\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@192.0.2.50:5060>\r\n\
{extra}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n",
        ANSWER.len()
    )
    .into_bytes();
    v.extend_from_slice(ANSWER);
    Bytes::from(v)
}

fn in_dialog_to_bob(method: &str, tag: &str, cseq: u32, extra: &str, body: &[u8]) -> Bytes {
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_owned()
    };
    let mut v = format!(
        "{method} sip:bob@192.0.2.201:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKst{method}{cseq}\r\n\
Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>;tag={tag}\r\n\
From: Carol <sip:carol@chicago.example.com>;tag=c1\r\n\
Call-ID: st-1\r\nCSeq: {cseq} {method}\r\nContact: <sip:carol@192.0.2.50:5060>\r\n\
{extra}{ct}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    Bytes::from(v)
}

fn bob_with(f: impl FnOnce(&mut UaConfig)) -> (Phones, usize) {
    let mut w = Phones::new();
    let mut c = bob_config();
    f(&mut c);
    let bob = add_bob(&mut w, c);
    (w, bob)
}

/// The scripted peer calls Bob with `extra`; Bob answers; the peer ACKs.
/// Returns the 2xx, the call, Bob's tag and the instant of the 2xx.
fn bob_answers(
    f: impl FnOnce(&mut UaConfig),
    extra: &str,
) -> (Phones, usize, OwnedMessage, CallHandle, String, Instant) {
    let (mut w, bob) = bob_with(f);
    peer_sends(&mut w, b_addr(), invite_to_bob(extra));
    let call = incoming_call(&w, bob);
    let t = w.now;
    w.with(bob, |ua, now| {
        ua.answer(now, call, Some(Body::sdp(BOB_SDP)))
    })
    .unwrap();
    let ok = last(&w);
    assert_eq!(start(&ok), "200");
    let tag = ok.message().to().unwrap().tag().unwrap().to_owned();
    peer_sends(&mut w, b_addr(), in_dialog_to_bob("ACK", &tag, 1, "", b""));
    assert!(w.ua(bob).is_established(call));
    (w, bob, ok, call, tag, t)
}

// [RFC 4028 §9 test] "If an incoming request contains a Supported header
// field with a value 'timer' and a Session Expires header field, the UAS MAY
// reject the INVITE request with a 422 (Session Interval Too Small) response
// if the session interval in the Session-Expires header field is smaller than
// the minimum interval defined by the UAS' local policy."
// [RFC 4028 §9 test] "When sending the 422 response, the UAS MUST include a
// Min-SE header field with the value of its minimum interval."
#[test]
fn uas_answers_422_below_its_min_se() {
    let (mut w, bob) = bob_with(|c| {
        c.session_timer = Some(SessionTimerConfig {
            session_expires: 1800,
            min_se: 300,
        });
    });
    peer_sends(
        &mut w,
        b_addr(),
        invite_to_bob("Supported: timer\r\nSession-Expires: 200\r\n"),
    );
    assert_eq!(starts(&w), ["422"]);
    let r = last(&w);
    assert_eq!(hdr(&r, HeaderName::MinSe).as_deref(), Some("300"));
    assert_eq!(r.message().reason(), Some("Session Interval Too Small"));
    assert!(
        w.find(bob, |e| Some(e.clone())).is_empty(),
        "no call for a 422"
    );
    // Below the absolute minimum with the default policy: 422 with Min-SE 90.
    let (mut w, _) = bob_with(|_| {});
    peer_sends(
        &mut w,
        b_addr(),
        invite_to_bob("Supported: timer\r\nSession-Expires: 60\r\n"),
    );
    assert_eq!(starts(&w), ["422"]);
    assert_eq!(hdr(&last(&w), HeaderName::MinSe).as_deref(), Some("90"));
}

// [RFC 4028 §4 test] "The absolute minimum for the Session-Expires header
// field is 90 seconds."
#[test]
fn malformed_or_too_small_values_without_support_get_400() {
    for (extra, says) in [
        (
            "Session-Expires: 60\r\n",
            "a session interval below 90 seconds in Session-Expires header field (RFC 4028 §4)",
        ),
        (
            "Session-Expires: soon\r\n",
            "expected delta-seconds (1*DIGIT) in Session-Expires header field (RFC 4028 §4)",
        ),
        (
            "Supported: timer\r\nSession-Expires: 1800;refresher=me\r\n",
            "the refresher parameter must be uac or uas in Session-Expires header field",
        ),
        (
            "Supported: timer\r\nSession-Expires: 1800\r\nMin-SE: 30\r\n",
            "a minimum session interval below 90 seconds in Min-SE header field (RFC 4028 §5)",
        ),
        (
            "Session-Expires: 1800\r\nx: 1900\r\n",
            "header field must appear only once in Session-Expires header field",
        ),
    ] {
        let (mut w, _) = bob_with(|_| {});
        peer_sends(&mut w, b_addr(), invite_to_bob(extra));
        assert_eq!(starts(&w), ["400"], "{extra}");
        let warning = hdr(&last(&w), HeaderName::Warning).unwrap();
        assert!(warning.contains(says), "{extra}: {warning}");
    }
}

// [RFC 4028 §9 test] "Table 2 defines how the value in the response is set."
// (UAC supports: N, refresher: none → uas.)
#[test]
fn uas_refreshes_for_a_uac_without_timer_support() {
    let (mut w, bob, ok, call, tag, t0) = bob_answers(|_| {}, "Session-Expires: 1800\r\n");
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uas")
    );
    // Not asked for by a UAC that does not know the extension.
    assert_eq!(hdr(&ok, HeaderName::Require), None);
    assert_eq!(
        hdr(&ok, HeaderName::Supported).as_deref(),
        Some("100rel, timer")
    );
    let st = w.ua(bob).session_timer(call).unwrap();
    assert_eq!((st.interval, st.refresher), (secs(1800), RefreshBy::Local));
    // [RFC 4028 §9 test] "It is RECOMMENDED that this refresh be sent once
    // half the session interval has elapsed."
    w.advance(secs(900));
    let refresh = last(&w);
    assert_eq!(start(&refresh), "INVITE");
    assert_eq!(w.outside.last().unwrap().at, t0 + secs(900));
    assert_eq!(refresh.message().to().unwrap().tag(), Some("c1"));
    assert_eq!(refresh.message().from().unwrap().tag(), Some(tag.as_str()));
    assert_eq!(refresh.message().body(), BOB_SDP);
    assert_eq!(
        hdr(&refresh, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
}

// (UAC supports: Y, refresher: none → the UAS picks uac.)
#[test]
fn uas_lets_a_timer_aware_uac_refresh() {
    let (mut w, bob, ok, call, tag, t0) =
        bob_answers(|_| {}, "Supported: timer\r\nSession-Expires: 1800\r\n");
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    assert_eq!(hdr(&ok, HeaderName::Require).as_deref(), Some("timer"));
    assert_eq!(
        w.ua(bob).session_timer(call).unwrap().refresher,
        RefreshBy::Remote
    );
    // The peer refreshes at 900 s with a re-INVITE carrying its unchanged
    // offer; the application answers with its unchanged description.
    w.advance(secs(900));
    peer_sends(
        &mut w,
        b_addr(),
        in_dialog_to_bob(
            "INVITE",
            &tag,
            2,
            "Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\nMin-SE: 120\r\n",
            ANSWER,
        ),
    );
    assert!(matches!(
        w.phones[bob].events.last(),
        Some(UaEvent::ReInvite { .. })
    ));
    w.with(bob, |ua, now| {
        ua.answer(now, call, Some(Body::sdp(BOB_SDP)))
    })
    .unwrap();
    let ok2 = last(&w);
    assert_eq!(hdr(&ok2, HeaderName::CSeq).as_deref(), Some("2 INVITE"));
    assert_eq!(
        hdr(&ok2, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    assert_eq!(refreshed(&w, bob), [(secs(1800), RefreshBy::Remote)]);
    peer_sends(&mut w, b_addr(), in_dialog_to_bob("ACK", &tag, 2, "", b""));
    // No refresh after that: BYE 1768 s after the second 2xx.
    w.advance(secs(1767));
    assert!(w.ua(bob).is_established(call));
    w.advance(secs(1));
    let bye = last(&w);
    assert_eq!(start(&bye), "BYE");
    assert_eq!(w.outside.last().unwrap().at, t0 + secs(900 + 1768));
    assert_eq!(ends(&w, bob), [EndReason::SessionExpired]);
}

// (UAC supports: Y, refresher: uas → uas, and Require: timer.)
// [RFC 4028 §9 test] "If the refresher parameter in the 2xx response has a
// value of 'uas' and the Supported header field in the request contained the
// value 'timer', the UAS SHOULD place a Require header field into the
// response with the value 'timer'."
#[test]
fn uas_keeps_the_uacs_choice_of_refresher() {
    let (_, _, ok, _, _, _) = bob_answers(
        |_| {},
        "Supported: timer\r\nSession-Expires: 1800;refresher=uas\r\n",
    );
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uas")
    );
    assert_eq!(hdr(&ok, HeaderName::Require).as_deref(), Some("timer"));
}

// [RFC 4028 §9 test] "The UAS response MAY reduce its value but MUST NOT set
// it to a duration lower than the value in the Min-SE header field in the
// request, if it is present; otherwise the UAS MAY reduce its value but MUST
// NOT set it to a duration lower than 90 seconds."
#[test]
fn uas_reduces_to_its_interval_but_not_below_min_se() {
    let (_, _, ok, _, _, _) = bob_answers(|_| {}, "Supported: timer\r\nSession-Expires: 7200\r\n");
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uac")
    );
    let (_, _, ok, _, _, _) = bob_answers(
        |_| {},
        "Supported: timer\r\nSession-Expires: 7200\r\nMin-SE: 3600\r\n",
    );
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("7200;refresher=uac")
    );
    // [RFC 4028 §9 test] "The UAS MUST NOT increase the value of the
    // Session-Expires header field."
    let (_, _, ok, _, _, _) = bob_answers(|_| {}, "Supported: timer\r\nSession-Expires: 600\r\n");
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("600;refresher=uac")
    );
    // [RFC 4028 §9 test] "The UAS may request a session timer in the 2XX
    // response by including a Session-Expires header field."
    let (_, _, ok, _, _, _) = bob_answers(|_| {}, "Supported: timer\r\nMin-SE: 2000\r\n");
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("2000;refresher=uac")
    );
    // [RFC 4028 §5 test] "The Min-SE header field MUST NOT be used in
    // responses except for those with a 422 response code."
    assert_eq!(hdr(&ok, HeaderName::MinSe), None);
}

// [RFC 4028 §9 test] "The UAS must respond to a request for a session timer
// by the UAC or a proxy in the path of the request, or it may request that a
// session timer be used itself."
#[test]
fn uas_asks_for_a_timer_itself_from_an_unaware_uac() {
    let (mut w, bob, ok, call, _, t0) = bob_answers(|_| {}, "");
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("1800;refresher=uas")
    );
    assert_eq!(hdr(&ok, HeaderName::Require), None);
    assert_eq!(
        w.ua(bob).session_timer(call).unwrap().refresher,
        RefreshBy::Local
    );
    w.advance(secs(900));
    assert_eq!(start(&last(&w)), "INVITE");
    assert_eq!(w.outside.last().unwrap().at, t0 + secs(900));
    // With the extension off, a Session-Expires is ignored.
    let (mut w, bob, ok, call, _, _) = bob_answers(
        |c| c.session_timer = None,
        "Supported: timer\r\nSession-Expires: 90\r\n",
    );
    assert_eq!(hdr(&ok, HeaderName::SessionExpires), None);
    assert_eq!(hdr(&ok, HeaderName::Supported).as_deref(), Some("100rel"));
    assert_eq!(w.ua(bob).session_timer(call), None);
}

// A refresh UPDATE from the peer (no body) is answered at once, with
// Session-Expires, and moves the BYE.
#[test]
fn uas_answers_a_refresh_update_without_body() {
    let (mut w, bob, _, call, tag, t0) = bob_answers(
        |c| c.update = true,
        "Supported: timer\r\nSession-Expires: 90\r\nAllow: INVITE, ACK, BYE, UPDATE\r\n",
    );
    w.advance(secs(45));
    peer_sends(
        &mut w,
        b_addr(),
        in_dialog_to_bob(
            "UPDATE",
            &tag,
            2,
            "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n",
            b"",
        ),
    );
    let ok = last(&w);
    assert_eq!(start(&ok), "200");
    assert!(ok.message().body().is_empty());
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("90;refresher=uac")
    );
    assert_eq!(hdr(&ok, HeaderName::Require).as_deref(), Some("timer"));
    assert_eq!(refreshed(&w, bob), [(secs(90), RefreshBy::Remote)]);
    // A refresh UPDATE asking for too little: 422.
    peer_sends(
        &mut w,
        b_addr(),
        in_dialog_to_bob(
            "UPDATE",
            &tag,
            3,
            "Supported: timer\r\nSession-Expires: 89\r\n",
            b"",
        ),
    );
    assert_eq!(start(&last(&w)), "422");
    w.advance(secs(59));
    assert!(w.ua(bob).is_established(call));
    w.advance(secs(1));
    assert_eq!(start(&last(&w)), "BYE");
    assert_eq!(w.outside.last().unwrap().at, t0 + secs(45 + 60));
}

// ---------------------------------------------------------------------
// Two agents
// ---------------------------------------------------------------------

/// Alice and Bob with `f` applied to both configurations, in a call.
fn two(f: fn(&mut UaConfig)) -> (Phones, usize, usize, CallHandle, CallHandle) {
    let mut w = Phones::new();
    let mut a = alice_config();
    f(&mut a);
    let mut b = bob_config();
    f(&mut b);
    let alice = add_alice(&mut w, a);
    let bob = add_bob(&mut w, b);
    let (call, theirs) = call_answered(&mut w, alice, bob, OFFER, BOB_SDP);
    (w, alice, bob, call, theirs)
}

fn logged(w: &Phones, method: &str) -> Vec<OwnedMessage> {
    w.log
        .iter()
        .map(|s| parse(&s.bytes))
        .filter(|m| m.message().method().is_some_and(|x| x.as_str() == method))
        .collect()
}

#[test]
fn two_agents_negotiate_and_refresh_by_reinvite() {
    let (mut w, alice, bob, call, theirs) = two(|c| {
        c.session_timer = Some(SessionTimerConfig {
            session_expires: 120,
            min_se: 90,
        });
    });
    let ok = w
        .log
        .iter()
        .map(|s| parse(&s.bytes))
        .find(|m| start(m) == "200")
        .unwrap();
    assert_eq!(
        hdr(&ok, HeaderName::SessionExpires).as_deref(),
        Some("120;refresher=uac")
    );
    assert_eq!(
        w.ua(alice).session_timer(call).unwrap().refresher,
        RefreshBy::Local
    );
    assert_eq!(
        w.ua(bob).session_timer(theirs).unwrap().refresher,
        RefreshBy::Remote
    );
    // Three refreshes at 60 s each, Bob's application answering each.
    for n in 1..=3 {
        w.advance(secs(60));
        assert_eq!(logged(&w, "INVITE").len(), 1 + n);
        w.with(bob, |ua, now| {
            ua.answer(now, theirs, Some(Body::sdp(BOB_SDP)))
        })
        .unwrap();
        assert_eq!(refreshed(&w, alice).len(), n);
        assert_eq!(refreshed(&w, bob).len(), n);
    }
    let refresh = logged(&w, "INVITE").pop().unwrap();
    assert_eq!(refresh.message().body(), OFFER);
    assert!(w.ua(alice).is_established(call) && w.ua(bob).is_established(theirs));
    assert!(logged(&w, "BYE").is_empty());
}

#[test]
fn two_agents_refresh_by_update() {
    let (mut w, alice, bob, call, theirs) = two(|c| {
        c.update = true;
        c.session_timer = Some(SessionTimerConfig {
            session_expires: 90,
            min_se: 90,
        });
    });
    for n in 1..=4 {
        w.advance(secs(45));
        assert_eq!(logged(&w, "UPDATE").len(), n);
        assert_eq!(refreshed(&w, alice).len(), n);
        assert_eq!(refreshed(&w, bob).len(), n);
    }
    assert!(
        logged(&w, "UPDATE")
            .iter()
            .all(|u| u.message().body().is_empty())
    );
    assert!(w.ua(alice).is_established(call) && w.ua(bob).is_established(theirs));
    // Bob's application never saw them: no ReInvite, no Offer.
    assert!(
        w.find(bob, |e| matches!(
            e,
            UaEvent::ReInvite { .. } | UaEvent::Offer { .. }
        )
        .then_some(()))
            .is_empty()
    );
    // Alice stops refreshing (she hangs up): the call ends by BYE as usual.
    w.with(alice, |ua, now| ua.hang_up(now, call)).unwrap();
    assert_eq!(ends(&w, bob), [EndReason::RemoteBye]);
}

// Bob asks for a larger Min-SE than Alice's interval: 422, then the call
// goes through with Bob's minimum, and the refreshes use it.
#[test]
fn two_agents_422_then_the_larger_interval() {
    let mut w = Phones::new();
    let mut a = alice_config();
    a.session_timer = Some(SessionTimerConfig {
        session_expires: 100,
        min_se: 90,
    });
    let mut b = bob_config();
    b.session_timer = Some(SessionTimerConfig {
        session_expires: 1800,
        min_se: 150,
    });
    let alice = add_alice(&mut w, a);
    let bob = add_bob(&mut w, b);
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", Body::sdp(OFFER))
        })
        .unwrap();
    let statuses: Vec<String> = w.log.iter().map(|s| start(&parse(&s.bytes))).collect();
    assert_eq!(statuses[..4], ["INVITE", "422", "ACK", "INVITE"]);
    let theirs = incoming_call(&w, bob);
    w.with(bob, |ua, now| {
        ua.answer(now, theirs, Some(Body::sdp(BOB_SDP)))
    })
    .unwrap();
    assert_eq!(w.ua(alice).session_timer(call).unwrap().interval, secs(150));
    w.advance(secs(75));
    let refresh = logged(&w, "INVITE").pop().unwrap();
    assert_eq!(
        hdr(&refresh, HeaderName::SessionExpires).as_deref(),
        Some("150;refresher=uac")
    );
    assert_eq!(hdr(&refresh, HeaderName::MinSe).as_deref(), Some("150"));
    let _ = peer();
}

/// The whole exchange between two agents with a 90 s interval and UPDATE:
/// the INVITE asks for 90 s, Bob's 2xx gives the refreshes to Alice
/// (`refresher=uac`, `Require: timer`), Alice refreshes after 45 s with an
/// UPDATE without a body, and hangs up.
#[test]
fn session_timer_between_two_agents_wire_log() {
    let (mut w, alice, bob, call, _) = two(|c| {
        c.update = true;
        c.session_timer = Some(SessionTimerConfig {
            session_expires: 90,
            min_se: 90,
        });
    });
    w.advance(secs(45));
    assert_eq!(refreshed(&w, alice).len(), 1);
    assert_eq!(refreshed(&w, bob).len(), 1);
    w.with(alice, |ua, now| ua.hang_up(now, call)).unwrap();
    insta::assert_snapshot!(w.transcript(&[(a_addr(), "alice"), (b_addr(), "bob")]));
}
