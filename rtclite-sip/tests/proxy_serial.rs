//! Sequential (serial) forking by q-value (RFC 3261 §16.6, §20.10) in the
//! stateful proxy, message by message: Bob registers two contacts, q=1.0
//! on 192.0.2.4 and q=0.5 on 192.0.2.5 (a third, q=1.0 on 192.0.2.6, where
//! a test needs two branches in the first group), and Alice calls him.
//! Each test prints what the proxy sent after each input as
//! `METHOD -> address` or `STATUS -> address` and compares the exact list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use std::time::Duration;

use rtclite_sip::proxy::{Forking, ProxyConfig, ProxyEvent};
use rtclite_sip::transaction::Transmit;
use rtclite_sip::transport::TransportKind::Udp;

use common::proxy::{CANCEL, INVITE, biloxi_config, register_bob, sent_to, summary};
use sim::proxy::{Harness, TestPolicy, addr, answer};

const ALICE: &str = "192.0.2.101:5060";
const B1: &str = "192.0.2.4:5060";
const B2: &str = "192.0.2.5:5060";
const B3: &str = "192.0.2.6:5060";

fn config(forking: Forking) -> ProxyConfig {
    ProxyConfig {
        forking,
        ..biloxi_config()
    }
}

fn sequential(group_timeout: Option<u64>) -> Forking {
    Forking::Sequential {
        group_timeout: group_timeout.map(Duration::from_secs),
    }
}

/// A proxy with `config` where Bob registered `contacts` (Contact values
/// with their q parameters) through the proxy's registrar.
fn registered(config: ProxyConfig, contacts: &str) -> Harness {
    let mut h = Harness::new(config, &[], TestPolicy::default());
    let register = register_bob(B1, "z9hG4bKnashds7", 1826, contacts, Some(7200));
    let out = h.recv(B1, Udp, register.as_bytes());
    assert_eq!(summary(&out), ["200 -> 192.0.2.4:5060"]);
    h.events.clear();
    h
}

/// q=1.0 on B1, q=0.5 on B2 (listed low q first: the order of the
/// REGISTER must not matter).
fn two_groups(forking: Forking) -> Harness {
    registered(
        config(forking),
        "<sip:bob@192.0.2.5>;q=0.5, <sip:bob@192.0.2.4>;q=1.0",
    )
}

/// The target lists of the RequestRouted events so far.
fn routed(h: &Harness) -> Vec<Vec<String>> {
    h.events
        .iter()
        .filter_map(|e| match e {
            ProxyEvent::RequestRouted { targets, .. } => Some(targets.clone()),
            _ => None,
        })
        .collect()
}

/// Whether anything the proxy ever sent went to `to`.
fn ever_sent_to(h: &Harness, to: &str) -> bool {
    h.sent.iter().any(|t| t.destination == addr(Udp, to))
}

// [RFC 3261 §16.6 test] "Targets are processed from highest qvalue to
// lowest."
// [RFC 3261 §16.6 test] "It MAY process multiple targets serially, allowing
// each client transaction to complete before starting the next."
// [RFC 3261 §16.7 test] "Until a final response has been sent on the server
// transaction, the following responses MUST be forwarded immediately: - Any
// provisional response other than 100 (Trying) - Any 2xx response"
#[test]
fn q1_busy_then_q05_answers() {
    let mut h = two_groups(sequential(None));
    let out = h.recv(ALICE, Udp, INVITE);
    assert_eq!(
        summary(&out),
        ["100 -> 192.0.2.101:5060", "INVITE -> 192.0.2.4:5060"]
    );
    let first = sent_to(&out, B1);
    assert_eq!(first.message().request_uri(), Some("sip:bob@192.0.2.4"));
    let out = h.recv(B1, Udp, &answer(&first, 180, Some("b1")));
    assert_eq!(summary(&out), ["180 -> 192.0.2.101:5060"]);
    // Busy: the 486 is kept (not forwarded) and the q=0.5 group starts.
    let out = h.recv(B1, Udp, &answer(&first, 486, Some("b1")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "INVITE -> 192.0.2.5:5060"]
    );
    let second = sent_to(&out, B2);
    assert_eq!(second.message().request_uri(), Some("sip:bob@192.0.2.5"));
    assert_eq!(second.message().max_forwards().unwrap().unwrap(), 69);
    let out = h.recv(B2, Udp, &answer(&second, 180, Some("b2")));
    assert_eq!(summary(&out), ["180 -> 192.0.2.101:5060"]);
    let out = h.recv(B2, Udp, &answer(&second, 200, Some("b2")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
    assert_eq!(out[0].message.message().to().unwrap().tag(), Some("b2"));
    assert_eq!(
        routed(&h),
        [
            vec!["sip:bob@192.0.2.4".to_owned()],
            vec!["sip:bob@192.0.2.5".to_owned()]
        ]
    );
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ProxyEvent::FinalResponse { status: 200, .. }))
    );
}

// [RFC 3261 §16.6 test] "It also MAY arbitrarily divide the set into groups,
// processing the groups serially and processing the targets in each group in
// parallel."
// [RFC 3261 §16.6 test] "Targets with equal qvalues may be processed in
// parallel."
#[test]
fn equal_q_targets_ring_together_and_the_group_ends_with_its_last_final() {
    let mut h = registered(
        config(sequential(None)),
        "<sip:bob@192.0.2.4>;q=1, <sip:bob@192.0.2.5>;q=0.5, <sip:bob@192.0.2.6>;q=1.0",
    );
    let out = h.recv(ALICE, Udp, INVITE);
    assert_eq!(
        summary(&out),
        [
            "100 -> 192.0.2.101:5060",
            "INVITE -> 192.0.2.4:5060",
            "INVITE -> 192.0.2.6:5060"
        ]
    );
    let (a, c) = (sent_to(&out, B1), sent_to(&out, B3));
    let out = h.recv(B1, Udp, &answer(&a, 480, Some("b1")));
    assert_eq!(summary(&out), ["ACK -> 192.0.2.4:5060"]);
    let out = h.recv(B3, Udp, &answer(&c, 486, Some("b3")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.6:5060", "INVITE -> 192.0.2.5:5060"]
    );
    let b = sent_to(&out, B2);
    // The last group declines too: the best of all three finals goes up.
    let out = h.recv(B2, Udp, &answer(&b, 603, Some("b2")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.5:5060", "603 -> 192.0.2.101:5060"]
    );
}

// [RFC 3261 §16.7 test] "The stateful proxy MUST choose the "best" final
// response among those received and stored in the response context."
// [RFC 3261 §16.7 test] "If no 6xx class responses are present, the proxy
// SHOULD choose from the lowest response class stored in the response
// context."
#[test]
fn the_best_response_is_chosen_over_every_group() {
    let mut h = two_groups(sequential(None));
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    // Group 1 redirects (the proxy does not recurse by default): kept.
    let moved = answer(&first, 302, Some("b1"));
    let moved = String::from_utf8(moved).unwrap().replace(
        "Content-Length: 0\r\n",
        "Contact: <sip:bob@192.0.2.9>\r\nContent-Length: 0\r\n",
    );
    let out = h.recv(B1, Udp, moved.as_bytes());
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "INVITE -> 192.0.2.5:5060"]
    );
    let second = sent_to(&out, B2);
    let out = h.recv(B2, Udp, &answer(&second, 486, Some("b2")));
    // 302 (class 3) beats the later 486 (class 4).
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.5:5060", "302 -> 192.0.2.101:5060"]
    );
    let up = out[1].message.message();
    assert_eq!(up.to().unwrap().tag(), Some("b1"));
    assert_eq!(
        up.contacts().next().unwrap().unwrap(),
        rtclite_sip::headers::Contact::parse("<sip:bob@192.0.2.9>").unwrap()
    );
}

// [RFC 3261 §16.8 test] "If the client transaction has received a
// provisional response, the proxy MUST generate a CANCEL request matching
// that transaction."
// [RFC 3261 §16.7 test] "A stateful proxy MUST NOT immediately forward any
// other responses."
#[test]
fn a_group_ringing_past_its_time_is_cancelled_and_the_next_answers() {
    let mut h = two_groups(sequential(Some(20)));
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    h.recv(B1, Udp, &answer(&first, 180, Some("b1")));
    let out = h.advance(Duration::from_secs(19));
    assert!(out.is_empty(), "{:?}", summary(&out));
    let out = h.advance(Duration::from_secs(1));
    assert_eq!(
        summary(&out),
        ["CANCEL -> 192.0.2.4:5060", "INVITE -> 192.0.2.5:5060"]
    );
    let cancel = sent_to(&out, B1);
    // The CANCEL matches B1's INVITE (§9.1).
    assert_eq!(
        sim::proxy::top_branch(&cancel),
        sim::proxy::top_branch(&first)
    );
    let second = sent_to(&out, B2);
    // B1 acknowledges the CANCEL and ends its INVITE with 487: neither goes
    // upstream while B2 rings.
    assert!(
        h.recv(B1, Udp, &answer(&cancel, 200, Some("b1")))
            .is_empty()
    );
    let out = h.recv(B1, Udp, &answer(&first, 487, Some("b1")));
    assert_eq!(summary(&out), ["ACK -> 192.0.2.4:5060"]);
    let out = h.recv(B2, Udp, &answer(&second, 180, Some("b2")));
    assert_eq!(summary(&out), ["180 -> 192.0.2.101:5060"]);
    // The last group is not cut short by the group time.
    let out = h.advance(Duration::from_secs(60));
    assert!(out.is_empty(), "{:?}", summary(&out));
    let out = h.recv(B2, Udp, &answer(&second, 200, Some("b2")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
}

// [RFC 3261 §9.1 test] "If no provisional response has been received, the
// CANCEL request MUST NOT be sent; rather, the client MUST wait for the
// arrival of a provisional response before sending the request."
#[test]
fn a_silent_group_is_left_at_its_time_and_cancelled_when_it_rings() {
    let mut h = two_groups(sequential(Some(20)));
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    let out = h.advance(Duration::from_secs(20));
    // (B1's INVITE retransmissions by Timer A, then the next group; no
    // CANCEL before a provisional response.)
    let lines = summary(&out);
    assert_eq!(lines.last().unwrap(), "INVITE -> 192.0.2.5:5060");
    assert!(lines.iter().all(|l| l.starts_with("INVITE")), "{lines:?}");
    let second = sent_to(&out, B2);
    let out = h.recv(B1, Udp, &answer(&first, 180, Some("b1")));
    assert_eq!(
        summary(&out),
        ["CANCEL -> 192.0.2.4:5060", "180 -> 192.0.2.101:5060"]
    );
    let out = h.recv(B2, Udp, &answer(&second, 200, Some("b2")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
}

// [RFC 3261 §16.8 test] "If timer C should fire, the proxy MUST either reset
// the timer with any value it chooses, or terminate the client transaction."
#[test]
fn timer_c_ends_a_group_without_a_group_time() {
    let mut h = two_groups(sequential(None));
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    h.recv(B1, Udp, &answer(&first, 180, Some("b1")));
    let out = h.advance(Duration::from_secs(180));
    assert!(out.is_empty(), "{:?}", summary(&out));
    let out = h.advance(Duration::from_secs(1));
    assert_eq!(
        summary(&out),
        ["CANCEL -> 192.0.2.4:5060", "INVITE -> 192.0.2.5:5060"]
    );
}

// [RFC 3261 §16.7 test] "If a 6xx response is received, it is not
// immediately forwarded, but the stateful proxy SHOULD cancel all client
// pending transactions as described in Section 10, and it MUST NOT create
// any new branches in this context."
#[test]
fn a_6xx_in_the_first_group_stops_the_second() {
    let mut h = registered(
        config(sequential(Some(20))),
        "<sip:bob@192.0.2.4>, <sip:bob@192.0.2.6>, <sip:bob@192.0.2.5>;q=0.5",
    );
    let out = h.recv(ALICE, Udp, INVITE);
    let (a, c) = (sent_to(&out, B1), sent_to(&out, B3));
    h.recv(B3, Udp, &answer(&c, 180, Some("b3")));
    let out = h.recv(B1, Udp, &answer(&a, 603, Some("b1")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "CANCEL -> 192.0.2.6:5060"]
    );
    let cancel = sent_to(&out, B3);
    h.recv(B3, Udp, &answer(&cancel, 200, Some("b3")));
    let out = h.recv(B3, Udp, &answer(&c, 487, Some("b3")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.6:5060", "603 -> 192.0.2.101:5060"]
    );
    // Neither the group's time nor anything else starts the q=0.5 group.
    h.advance(Duration::from_secs(300));
    assert!(!ever_sent_to(&h, B2));
    assert_eq!(routed(&h).len(), 1);
    assert_eq!(h.proxy.contexts(), 0);
    assert!(h.proxy.transactions().is_empty());
}

// [RFC 3261 §16.10 test] "A proxy MUST cancel any pending client transactions
// associated with a response context when it receives a matching CANCEL
// request."
#[test]
fn cancel_in_the_second_group_stops_the_walk() {
    let mut h = registered(
        config(sequential(None)),
        "<sip:bob@192.0.2.4>;q=0.9, <sip:bob@192.0.2.5>;q=0.5, <sip:bob@192.0.2.6>;q=0.1",
    );
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    let out = h.recv(B1, Udp, &answer(&first, 480, Some("b1")));
    let second = sent_to(&out, B2);
    h.recv(B2, Udp, &answer(&second, 180, Some("b2")));
    let out = h.recv(ALICE, Udp, CANCEL);
    assert_eq!(
        summary(&out),
        ["200 -> 192.0.2.101:5060", "CANCEL -> 192.0.2.5:5060"]
    );
    let cancel = sent_to(&out, B2);
    h.recv(B2, Udp, &answer(&cancel, 200, Some("b2")));
    let out = h.recv(B2, Udp, &answer(&second, 487, Some("b2")));
    // The best of 480 (group 1) and 487 (group 2): both 4xx, the first
    // stored is kept (§16.7 step 6 lets the proxy pick within a class).
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.5:5060", "480 -> 192.0.2.101:5060"]
    );
    h.advance(Duration::from_secs(300));
    assert!(!ever_sent_to(&h, B3), "the q=0.1 group never starts");
    assert_eq!(h.proxy.contexts(), 0);
}

// [RFC 3261 §16.10 test] "Furthermore, the element MUST generate CANCEL
// requests for all pending client transactions in the context as described
// in Section 16.7 step 10."
#[test]
fn cancel_in_the_first_group_never_starts_the_second() {
    let mut h = two_groups(sequential(Some(20)));
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    h.recv(B1, Udp, &answer(&first, 180, Some("b1")));
    let out = h.recv(ALICE, Udp, CANCEL);
    assert_eq!(
        summary(&out),
        ["200 -> 192.0.2.101:5060", "CANCEL -> 192.0.2.4:5060"]
    );
    // The group's time passes: nothing new starts.
    let out = h.advance(Duration::from_secs(25));
    assert!(
        summary(&out)
            .iter()
            .all(|l| l == "CANCEL -> 192.0.2.4:5060"),
        "{:?}",
        summary(&out)
    );
    let out = h.recv(B1, Udp, &answer(&first, 487, Some("b1")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "487 -> 192.0.2.101:5060"]
    );
    assert!(!ever_sent_to(&h, B2));
}

// [RFC 3261 §16.6 test] "It MAY start client transactions with every target in
// parallel."
#[test]
fn parallel_remains_the_default_and_orders_by_q() {
    let mut h = two_groups(ProxyConfig::default().forking);
    let out = h.recv(ALICE, Udp, INVITE);
    assert_eq!(
        summary(&out),
        [
            "100 -> 192.0.2.101:5060",
            "INVITE -> 192.0.2.4:5060",
            "INVITE -> 192.0.2.5:5060"
        ]
    );
    assert_eq!(
        routed(&h),
        [vec![
            "sip:bob@192.0.2.4".to_owned(),
            "sip:bob@192.0.2.5".to_owned()
        ]]
    );
}

#[test]
fn non_invite_groups_move_on_at_their_time_without_cancel() {
    let mut h = two_groups(sequential(Some(5)));
    let options = String::from_utf8(INVITE.to_vec())
        .unwrap()
        .replace("INVITE", "OPTIONS");
    let out = h.recv(ALICE, Udp, options.as_bytes());
    assert_eq!(summary(&out), ["OPTIONS -> 192.0.2.4:5060"]);
    let first = sent_to(&out, B1);
    let out = h.advance(Duration::from_secs(5));
    let lines = summary(&out);
    assert_eq!(lines.last().unwrap(), "OPTIONS -> 192.0.2.5:5060");
    assert!(lines.iter().all(|l| l.starts_with("OPTIONS")), "{lines:?}");
    let second = sent_to(&out, B2);
    // The first answers late: a 2xx still goes up at once, and exactly one
    // final response is forwarded for a non-INVITE request.
    let out = h.recv(B1, Udp, &answer(&first, 200, Some("b1")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
    let out = h.recv(B2, Udp, &answer(&second, 200, Some("b2")));
    assert!(out.is_empty(), "{:?}", summary(&out));
}

#[test]
fn every_group_failing_ends_with_the_best_and_frees_everything() {
    let mut h = two_groups(sequential(Some(20)));
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    let out = h.recv(B1, Udp, &answer(&first, 503, Some("b1")));
    let second = sent_to(&out, B2);
    let out = h.recv(B2, Udp, &answer(&second, 404, Some("b2")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.5:5060", "404 -> 192.0.2.101:5060"]
    );
    h.advance(Duration::from_secs(120));
    assert_eq!(h.proxy.contexts(), 0);
    assert!(h.proxy.transactions().is_empty());
}

/// A REGISTER for Bob from `from` binding `contact`; what the proxy sent.
fn register_more(h: &mut Harness, from: &str, contact: &str, cseq: u32) -> Vec<Transmit> {
    let register = register_bob(
        from,
        &format!("z9hG4bKreg{cseq}"),
        cseq,
        contact,
        Some(7200),
    );
    let out = h.recv(from, Udp, register.as_bytes());
    assert_eq!(summary(&out)[0], format!("200 -> {from}"));
    out
}

// [RFC 3261 §16.5 test] "If a proxy uses a dynamic source of information while
// building the target set (for instance, if it consults a SIP Registrar), it
// SHOULD monitor that source for the duration of processing the request."
// [RFC 3261 §16.5 test] "New locations SHOULD be added to the target set as
// they become available."
#[test]
fn a_contact_registered_while_the_first_group_rings_becomes_the_next_group() {
    let mut h = registered(config(sequential(None)), "<sip:bob@192.0.2.4>;q=1.0");
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    h.recv(B1, Udp, &answer(&first, 180, Some("b1")));
    // Bob's second phone comes up, q=0.5: queued behind the ringing group.
    let out = register_more(&mut h, B2, "<sip:bob@192.0.2.5>;q=0.5", 1827);
    assert_eq!(summary(&out), ["200 -> 192.0.2.5:5060"]);
    let out = h.recv(B1, Udp, &answer(&first, 486, Some("b1")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "INVITE -> 192.0.2.5:5060"]
    );
    let second = sent_to(&out, B2);
    let out = h.recv(B2, Udp, &answer(&second, 200, Some("b2")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
    assert_eq!(
        routed(&h),
        [
            vec!["sip:bob@192.0.2.4".to_owned()],
            vec!["sip:bob@192.0.2.5".to_owned()]
        ]
    );
}

#[test]
fn in_parallel_a_new_contact_is_called_at_once_and_a_refresh_is_not() {
    let mut h = registered(config(Forking::Parallel), "<sip:bob@192.0.2.4>");
    let out = h.recv(ALICE, Udp, INVITE);
    let first = sent_to(&out, B1);
    h.recv(B1, Udp, &answer(&first, 180, Some("b1")));
    // A refresh of the binding already ringing: nothing new.
    let out = register_more(&mut h, B1, "<sip:bob@192.0.2.4>", 1900);
    assert_eq!(summary(&out), ["200 -> 192.0.2.4:5060"]);
    let out = register_more(&mut h, B2, "<sip:bob@192.0.2.5>", 1901);
    assert_eq!(
        summary(&out),
        ["200 -> 192.0.2.5:5060", "INVITE -> 192.0.2.5:5060"]
    );
    let second = sent_to(&out, B2);
    let out = h.recv(B2, Udp, &answer(&second, 200, Some("b2")));
    assert_eq!(
        summary(&out),
        ["200 -> 192.0.2.101:5060", "CANCEL -> 192.0.2.4:5060"]
    );
    // Once a final response went up, later registrations add nothing.
    let out = register_more(&mut h, B3, "<sip:bob@192.0.2.6>", 1902);
    assert_eq!(summary(&out), ["200 -> 192.0.2.6:5060"]);
}

#[test]
fn monitoring_can_be_switched_off() {
    let mut h = registered(
        ProxyConfig {
            monitor_location: false,
            ..config(Forking::Parallel)
        },
        "<sip:bob@192.0.2.4>",
    );
    h.recv(ALICE, Udp, INVITE);
    let out = register_more(&mut h, B2, "<sip:bob@192.0.2.5>", 1827);
    assert_eq!(summary(&out), ["200 -> 192.0.2.5:5060"]);
}
