//! The response context of the stateful proxy (RFC 3261 §16.7), CANCEL
//! processing (§16.10), Timer C (§16.8) and the next-hop failover of §16.6
//! step 7, with a request forked to two contacts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use std::time::Duration;

use rtclite_sip::builder::{MessageBuilder, response_to};
use rtclite_sip::proxy::{ProxyConfig, ProxyError, ProxyEvent};
use rtclite_sip::timer::TimerConfig;
use rtclite_sip::transaction::{LayerConfig, Transmit};
use rtclite_sip::transport::TransportKind::Udp;
use rtclite_sip::{HeaderName, OwnedMessage};

use common::proxy::{CANCEL, INVITE, biloxi_config as config};
use sim::proxy::{Harness, TestPolicy, addr, answer, method, status};

const ALICE: &str = "192.0.2.101:5060";
const B1: &str = "192.0.2.4:5060";
const B2: &str = "192.0.2.5:5060";

fn forked() -> Harness {
    forked_with(config())
}

fn forked_with(config: ProxyConfig) -> Harness {
    Harness::new(
        config,
        &[
            ("sip:bob@biloxi.example.com", "sip:bob@192.0.2.4"),
            ("sip:bob@biloxi.example.com", "sip:bob@192.0.2.5"),
        ],
        TestPolicy::default(),
    )
}

/// Sends the INVITE; returns the copies sent to B1 and B2.
fn start(h: &mut Harness) -> (OwnedMessage, OwnedMessage) {
    let out = h.recv(ALICE, Udp, INVITE);
    let codes: Vec<u16> = out.iter().map(status).collect();
    // [RFC 3261 §16.2 test] "The proxy core MUST behave as a UAS with respect
    // to sending an immediate provisional on that server transaction (such as
    // 100 Trying) as described in Section 8.2.6."
    assert_eq!(codes, [100, 0, 0]);
    let to = |a: &str| {
        out.iter()
            .find(|t| t.destination == addr(Udp, a))
            .unwrap()
            .message
            .clone()
    };
    (to(B1), to(B2))
}

/// What went where, retransmissions folded into one line.
fn summary(out: &[Transmit]) -> Vec<String> {
    let mut lines: Vec<String> = out
        .iter()
        .map(|t| {
            let dest = match &t.destination {
                rtclite_sip::transport::Destination::Addr { addr, .. } => addr.to_string(),
                other => format!("{other:?}"),
            };
            match status(t) {
                0 => format!("{} -> {dest}", method(t)),
                s => format!("{s} -> {dest}"),
            }
        })
        .collect();
    lines.dedup();
    lines
}

// [RFC 3261 §16.7 test] "Until a final response has been sent on the server
// transaction, the following responses MUST be forwarded immediately: - Any
// provisional response other than 100 (Trying)"
// [RFC 3261 §16.7 test] "In particular, a stateful proxy MUST NOT forward any
// 100 (Trying) response."
// [RFC 3261 §16.7 test] "If the forwarded response was a final response, the
// proxy MUST generate a CANCEL request for all pending client transactions
// associated with this response context."
// [RFC 3261 §16.6 test] "A stateful proxy MUST create a new client transaction
// for this request as described in Section 17.1 and instructs the transaction
// to send the request using the address, port and transport determined in
// step 7."
// [RFC 3261 §16.6 test] "The first part MUST satisfy the constraints of Section
// 8.1.1.7 as described above."
// [RFC 3261 §16.7 test] "As client transactions pass responses to the proxy
// layer, the following processing MUST take place:"
#[test]
fn fork_forwards_ringing_and_the_first_200_then_cancels_the_other_branch() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    assert_ne!(
        a.message().top_via().unwrap().branch(),
        b.message().top_via().unwrap().branch()
    );
    assert!(h.recv(B1, Udp, &answer(&a, 100, None)).is_empty());
    let out = h.recv(B1, Udp, &answer(&a, 180, Some("b1")));
    assert_eq!(summary(&out), ["180 -> 192.0.2.101:5060"]);
    // Our Via is gone, Alice's is on top.
    assert_eq!(
        out[0].message.message().top_via().unwrap().branch(),
        Some("z9hG4bK74bf9")
    );
    let out = h.recv(B2, Udp, &answer(&b, 180, Some("b2")));
    assert_eq!(summary(&out), ["180 -> 192.0.2.101:5060"]);
    let out = h.recv(B1, Udp, &answer(&a, 200, Some("b1")));
    assert_eq!(
        summary(&out),
        ["200 -> 192.0.2.101:5060", "CANCEL -> 192.0.2.5:5060"]
    );
    // The CANCEL matches B2's INVITE (§9.1): same branch, one Via.
    let cancel = out[1].message.message();
    assert_eq!(
        cancel.top_via().unwrap().branch(),
        b.message().top_via().unwrap().branch()
    );
    assert_eq!(cancel.via().count(), 1);
    assert_eq!(cancel.cseq().unwrap().seq, 1);
    assert_eq!(cancel.request_uri(), Some("sip:bob@192.0.2.5"));
    // B2 answers the CANCEL and the INVITE: neither goes upstream; the 487
    // is acknowledged by the client transaction.
    let out = h.recv(B2, Udp, &answer(&out[1].message, 200, Some("b2")));
    assert!(out.is_empty(), "{:?}", summary(&out));
    let out = h.recv(B2, Udp, &answer(&b, 487, Some("b2")));
    assert_eq!(summary(&out), ["ACK -> 192.0.2.5:5060"]);
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ProxyEvent::FinalResponse { status: 200, .. }))
    );
}

// [RFC 3261 §16.7 test] "After a final response has been sent on the server
// transaction, the following responses MUST be forwarded immediately: - Any
// 2xx response to an INVITE request"
#[test]
fn every_2xx_is_forwarded() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    let out = h.recv(B1, Udp, &answer(&a, 200, Some("b1")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
    let out = h.recv(B2, Udp, &answer(&b, 200, Some("b2")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
    assert_eq!(out[0].message.message().to().unwrap().tag(), Some("b2"));
    // And a retransmission of the first 2xx too (the client transaction is
    // in Accepted, RFC 6026).
    let out = h.recv(B1, Udp, &answer(&a, 200, Some("b1")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
}

// [RFC 3261 §16.7 test] "If a 6xx response is received, it is not
// immediately forwarded, but the stateful proxy SHOULD cancel all client
// pending transactions as described in Section 10, and it MUST NOT create
// any new branches in this context."
// [RFC 3261 §16.7 test] "A proxy SHOULD also generate a CANCEL request for all
// pending client transactions associated with this response context when it
// receives a 6xx response."
// [RFC 3261 §16.7 test] "An element SHOULD preserve the To tag when simply
// forwarding a 3-6xx response to a request that did not contain a To tag."
#[test]
fn a_6xx_cancels_the_rest_and_is_forwarded_after_them() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    h.recv(B1, Udp, &answer(&a, 180, Some("b1")));
    let out = h.recv(B2, Udp, &answer(&b, 603, Some("b2")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.5:5060", "CANCEL -> 192.0.2.4:5060"]
    );
    let out = h.recv(B1, Udp, &answer(&a, 487, Some("b1")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "603 -> 192.0.2.101:5060"]
    );
    assert_eq!(out[1].message.message().to().unwrap().tag(), Some("b2"));
}

// [RFC 3261 §16.7 test] "If the selected response is a 401 (Unauthorized) or
// 407 (Proxy Authentication Required), the proxy MUST collect any WWW-
// Authenticate and Proxy-Authenticate header field values from all other 401
// (Unauthorized) and 407 (Proxy Authentication Required) responses received
// so far in this response context and add them to this response without
// modification before forwarding."
// [RFC 3261 §16.7 test] "The stateful proxy MUST choose the "best" final
// response among those received and stored in the response context."
#[test]
fn challenges_from_both_branches_are_aggregated() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    let challenge = |req: &OwnedMessage, code: u16, name: HeaderName, realm: &str| {
        let r = response_to(&req.message(), code, "Auth", Some(realm)).unwrap();
        MessageBuilder::from_message(&r.message())
            .header(
                name,
                format!("Digest realm=\"{realm}\", nonce=\"n-{realm}\""),
            )
            .build()
            .unwrap()
    };
    let r1 = challenge(&a, 401, HeaderName::WwwAuthenticate, "one.example.com");
    let r2 = challenge(&b, 407, HeaderName::ProxyAuthenticate, "two.example.com");
    h.recv(B1, Udp, r1.bytes());
    let out = h.recv(B2, Udp, r2.bytes());
    let up: Vec<&Transmit> = out.iter().filter(|t| status(t) >= 400).collect();
    assert_eq!(up.len(), 1);
    let m = up[0].message.message();
    assert_eq!(m.status(), Some(401));
    assert_eq!(
        m.header(HeaderName::WwwAuthenticate).unwrap().value(),
        "Digest realm=\"one.example.com\", nonce=\"n-one.example.com\""
    );
    assert_eq!(
        m.header(HeaderName::ProxyAuthenticate).unwrap().value(),
        "Digest realm=\"two.example.com\", nonce=\"n-two.example.com\""
    );
}

// [RFC 3261 §16.7 test] "If the only response that was received is a 503,
// the proxy SHOULD generate a 500 response and forward that upstream."
#[test]
fn two_503s_become_one_500() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    h.recv(B1, Udp, &answer(&a, 503, Some("b1")));
    let out = h.recv(B2, Udp, &answer(&b, 503, Some("b2")));
    let up: Vec<u16> = out.iter().map(status).filter(|s| *s >= 400).collect();
    assert_eq!(up, [500]);
}

// [RFC 3261 §16.7 test] "If no 6xx class responses are present, the proxy
// SHOULD choose from the lowest response class stored in the response
// context."
#[test]
fn the_lowest_class_is_chosen() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    h.recv(B1, Udp, &answer(&a, 486, Some("b1")));
    let r = response_to(&b.message(), 302, "Moved", Some("b2")).unwrap();
    let r = MessageBuilder::from_message(&r.message())
        .header(HeaderName::Contact, "<sip:bob@192.0.2.9>")
        .build()
        .unwrap();
    let out = h.recv(B2, Udp, r.bytes());
    let up: Vec<u16> = out.iter().map(status).filter(|s| *s >= 300).collect();
    assert_eq!(up, [302]);
}

// [RFC 3261 §16.7 test] "If there are no final responses in the context, the
// proxy MUST send a 408 (Request Timeout) response to the server
// transaction."
#[test]
fn silent_branches_time_out_to_408() {
    let mut h = forked();
    start(&mut h);
    let out = h.advance(Duration::from_secs(33));
    let mut up: Vec<u16> = out.iter().map(status).filter(|s| *s >= 200).collect();
    // (retransmitted by the server transaction until Alice's ACK)
    up.dedup();
    assert_eq!(up, [408]);
    // Everything ends: transactions and the response context.
    h.advance(Duration::from_secs(120));
    assert_eq!(h.proxy.contexts(), 0);
    assert!(h.proxy.transactions().is_empty());
}

// [RFC 3261 §16.10 test] "If a matching response context is found, the
// element MUST immediately return a 200 (OK) response to the CANCEL
// request."
// [RFC 3261 §16.10 test] "A proxy MUST cancel any pending client
// transactions associated with a response context when it receives a
// matching CANCEL request."
// [RFC 3261 §16.10 test] "Furthermore, the element MUST generate CANCEL requests
// for all pending client transactions in the context as described in Section
// 16.7 step 10."
#[test]
fn upstream_cancel_is_answered_and_passed_to_every_branch() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    h.recv(B1, Udp, &answer(&a, 180, Some("b1")));
    let out = h.recv(ALICE, Udp, CANCEL);
    // B2 has sent nothing yet: its CANCEL waits for a provisional (§9.1).
    assert_eq!(
        summary(&out),
        ["200 -> 192.0.2.101:5060", "CANCEL -> 192.0.2.4:5060"]
    );
    let out = h.recv(B2, Udp, &answer(&b, 180, Some("b2")));
    assert_eq!(
        summary(&out),
        ["CANCEL -> 192.0.2.5:5060", "180 -> 192.0.2.101:5060"]
    );
    h.recv(B1, Udp, &answer(&a, 487, Some("b1")));
    let out = h.recv(B2, Udp, &answer(&b, 487, Some("b2")));
    let up: Vec<u16> = out.iter().map(status).filter(|s| *s >= 300).collect();
    assert_eq!(up, [487]);
}

// [RFC 3261 §16.8 test] "If the client transaction has received a
// provisional response, the proxy MUST generate a CANCEL request matching
// that transaction."
// [RFC 3261 §16.7 test] "For an INVITE transaction, if the response is a
// provisional response with status codes 101 to 199 inclusive (i.e.,
// anything but 100), the proxy MUST reset timer C for that client
// transaction."
// [RFC 3261 §16.8 test] "If timer C should fire, the proxy MUST either reset the
// timer with any value it chooses, or terminate the client transaction."
// [RFC 3261 §16.6 test] "Timer C MUST be set for each client transaction when
// an INVITE request is proxied."
#[test]
fn timer_c_cancels_a_branch_that_rings_forever() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    h.recv(B1, Udp, &answer(&a, 180, Some("b1")));
    h.recv(B2, Udp, &answer(&b, 180, Some("b2")));
    let out = h.advance(Duration::from_secs(100));
    assert!(out.is_empty(), "{:?}", summary(&out));
    // B2 rings again at 100 s: its Timer C restarts.
    h.recv(B2, Udp, &answer(&b, 180, Some("b2")));
    let out = h.advance(Duration::from_secs(82));
    assert_eq!(summary(&out), ["CANCEL -> 192.0.2.4:5060"]);
    // B1 answers the CANCEL and its INVITE; the 487 is not forwarded while
    // B2 still rings.
    h.recv(B1, Udp, &answer(&out[0].message, 200, Some("b1")));
    let out = h.recv(B1, Udp, &answer(&a, 487, Some("b1")));
    assert_eq!(summary(&out), ["ACK -> 192.0.2.4:5060"]);
    let out = h.advance(Duration::from_secs(100));
    assert_eq!(summary(&out), ["CANCEL -> 192.0.2.5:5060"]);
}

// [RFC 3261 §16.8 test] "If the client transaction has not received a
// provisional response, the proxy MUST behave as if the transaction received
// a 408 (Request Timeout) response."
// [RFC 3261 §16.6 test] "The timer MUST be larger than 3 minutes."
#[test]
fn timer_c_without_a_provisional_is_408() {
    // T1 of 4 s puts Timer B at 256 s, after Timer C.
    let mut h = forked_with(ProxyConfig {
        layer: LayerConfig {
            timers: TimerConfig {
                t1: Duration::from_secs(4),
                ..TimerConfig::default()
            },
            ..LayerConfig::default()
        },
        timer_c: Duration::from_secs(10),
        ..config()
    });
    start(&mut h);
    let out = h.advance(Duration::from_secs(180));
    assert!(
        out.iter().all(|t| method(t) == "INVITE"),
        "{:?}",
        summary(&out)
    );
    let out = h.advance(Duration::from_secs(2));
    let up: Vec<u16> = out.iter().map(status).filter(|s| *s >= 200).collect();
    assert_eq!(up, [408]);
}

// [RFC 3261 §16.2 test] "Thus, a stateful proxy SHOULD NOT generate 100
// (Trying) responses to non-INVITE requests."
// [RFC 3261 §16.7 test] "A stateful proxy MUST NOT immediately forward any
// other responses."
#[test]
fn non_invite_gets_no_100_and_exactly_one_final() {
    let mut h = forked();
    let req = String::from_utf8(INVITE.to_vec())
        .unwrap()
        .replace("INVITE", "OPTIONS");
    let out = h.recv(ALICE, Udp, req.as_bytes());
    assert_eq!(
        summary(&out),
        ["OPTIONS -> 192.0.2.4:5060", "OPTIONS -> 192.0.2.5:5060"]
    );
    let (a, b) = (out[0].message.clone(), out[1].message.clone());
    let out = h.recv(B1, Udp, &answer(&a, 200, Some("b1")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
    let out = h.recv(B2, Udp, &answer(&b, 200, Some("b2")));
    assert!(out.is_empty(), "{:?}", summary(&out));
}

// [RFC 3261 §16.6 test] "If the client transaction reports failure to send
// the request or a timeout from its state machine, the proxy continues to
// the next address in that ordered set."
// [RFC 3261 §16.6 test] "Thus, the branch parameter provided with the Via
// header field inserted in step 8 MUST be different for each attempt."
// [RFC 3261 §16.6 test] "As described in [4], the proxy MUST attempt to deliver
// the message to the first tuple in that set, and proceed through the set in
// order until the delivery attempt succeeds."
#[test]
fn next_tuple_is_tried_after_a_timeout() {
    let mut policy = TestPolicy::default();
    policy.hops.insert(
        "carol.example.com".into(),
        vec![addr(Udp, "192.0.2.30:5060"), addr(Udp, "192.0.2.31:5060")],
    );
    let mut h = Harness::new(config(), &[], policy);
    let req = String::from_utf8(INVITE.to_vec()).unwrap().replace(
        "INVITE sip:bob@biloxi.example.com",
        "INVITE sip:carol@carol.example.com",
    );
    let out = h.recv(ALICE, Udp, req.as_bytes());
    assert_eq!(
        summary(&out),
        ["100 -> 192.0.2.101:5060", "INVITE -> 192.0.2.30:5060"]
    );
    let first = sim::proxy::top_branch(&out[1].message);
    let out = h.advance(Duration::from_secs(32));
    let second: Vec<&Transmit> = out
        .iter()
        .filter(|t| t.destination == addr(Udp, "192.0.2.31:5060"))
        .collect();
    assert_eq!(second.len(), 1, "{:?}", summary(&out));
    assert_ne!(sim::proxy::top_branch(&second[0].message), first);
}

// [RFC 3261 §16.11 test] "If the address does not match the proxy, the
// message MUST be silently discarded."
#[test]
fn a_response_for_someone_else_is_discarded() {
    let mut h = forked();
    let stray = b"SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 192.0.2.77:5060;branch=z9hG4bKelse\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK1\r\n\
To: <sip:b@x>;tag=1\r\nFrom: <sip:a@x>;tag=2\r\nCall-ID: s\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";
    // The transaction layer passes it to the core, which drops it.
    assert_eq!(h.try_recv(B1, Udp, stray), Ok(()));
    assert!(h.drain().is_empty());
    let mut stateless = forked_with(ProxyConfig {
        mode: rtclite_sip::proxy::ProxyMode::Stateless,
        ..config()
    });
    assert_eq!(stateless.try_recv(B1, Udp, stray), Err(ProxyError::NotOurs));
    assert!(stateless.drain().is_empty());
}

// [RFC 3261 §16.7 test] "If none is found, the element MUST process the
// response (even if it is an informational response) as a stateless proxy
// (described below)."
#[test]
fn a_late_response_with_our_via_is_relayed() {
    let mut h = forked();
    let stray = b"SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKgone.1\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK1;received=192.0.2.101;rport=6000\r\n\
To: <sip:b@x>;tag=1\r\nFrom: <sip:a@x>;tag=2\r\nCall-ID: s\r\nCSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n";
    let out = h.recv(B1, Udp, stray);
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:6000"]);
    assert_eq!(out[0].message.message().via().count(), 1);
}

// [RFC 3261 §16.7 test] "The proxy MUST maintain the response context until
// all of its associated transactions have been terminated, even after
// forwarding a final response."
#[test]
fn the_context_lives_until_every_transaction_ended() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    h.recv(B1, Udp, &answer(&a, 486, Some("b1")));
    h.recv(B2, Udp, &answer(&b, 486, Some("b2")));
    assert_eq!(h.proxy.contexts(), 1);
    h.advance(Duration::from_secs(31));
    assert_eq!(
        h.proxy.contexts(),
        1,
        "Timer D holds the client transactions"
    );
    h.advance(Duration::from_secs(40));
    assert_eq!(h.proxy.contexts(), 0);
    assert!(h.proxy.transactions().is_empty());
}

// [RFC 3261 §16.9 test] "If the transport layer notifies a proxy of an error
// when it tries to forward a request (see Section 18.4), the proxy MUST
// behave as if the forwarded request received a 503 (Service Unavailable)
// response."
#[test]
fn transport_errors_count_as_503_and_two_of_them_become_500() {
    let mut h = forked();
    start(&mut h);
    let now = h.now;
    h.proxy.handle_transport_error(now, &addr(Udp, B1));
    assert!(h.drain().iter().all(|t| status(t) < 200));
    h.proxy.handle_transport_error(now, &addr(Udp, B2));
    let out = h.drain();
    let up: Vec<u16> = out.iter().map(status).filter(|s| *s >= 200).collect();
    // Two (synthesised) 503s: the proxy answers 500 (§16.7 step 6).
    assert_eq!(up, [500]);
}

// [RFC 3261 §9.1 test] "If there is no final response for the original
// request in 64*T1 seconds (T1 is defined in Section 17.1.1.1), the client
// SHOULD then consider the original transaction cancelled and SHOULD destroy
// the client transaction handling the original request."
#[test]
fn branches_silent_after_timer_c_cancel_end_as_408() {
    let mut h = forked();
    let (a, b) = start(&mut h);
    h.recv(B1, Udp, &answer(&a, 180, Some("b1")));
    h.recv(B2, Udp, &answer(&b, 180, Some("b2")));
    let out = h.advance(Duration::from_secs(182));
    let sent: std::collections::BTreeSet<String> = summary(&out).into_iter().collect();
    assert_eq!(
        sent.into_iter().collect::<Vec<_>>(),
        ["CANCEL -> 192.0.2.4:5060", "CANCEL -> 192.0.2.5:5060"]
    );
    let out = h.advance(Duration::from_secs(33));
    let mut up: Vec<u16> = out.iter().map(status).filter(|s| *s >= 200).collect();
    up.dedup();
    assert_eq!(up, [408]);
    h.advance(Duration::from_secs(120));
    assert_eq!(h.proxy.contexts(), 0);
    assert!(h.proxy.transactions().is_empty());
}
