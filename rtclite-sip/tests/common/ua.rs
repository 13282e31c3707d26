//! The UA tests' shared pieces: Alice at 192.0.2.101, Bob at 192.0.2.201,
//! the scripted peer at 192.0.2.50, and readers for what the agents sent
//! to that peer and the events they raised.

use std::net::SocketAddr;

use bytes::Bytes;
use rtclite_sip::ua::{Body, CallHandle, EndReason, OfferIn, UaConfig, UaEvent};
use rtclite_sip::{HeaderName, OwnedMessage};

use crate::sim::phones::{Phones, config};

pub(crate) fn a_addr() -> SocketAddr {
    "192.0.2.101:5060".parse().unwrap()
}

pub(crate) fn b_addr() -> SocketAddr {
    "192.0.2.201:5060".parse().unwrap()
}

/// The peer the test scripts by hand.
pub(crate) fn peer() -> SocketAddr {
    "192.0.2.50:5060".parse().unwrap()
}

pub(crate) fn alice_config() -> UaConfig {
    config("alice", "atlanta.example.com", "192.0.2.101:5060")
}

pub(crate) fn bob_config() -> UaConfig {
    config("bob", "biloxi.example.com", "192.0.2.201:5060")
}

/// Adds Alice (host 192.0.2.101, seed 1) with `c` to `w`.
pub(crate) fn add_alice(w: &mut Phones, c: UaConfig) -> usize {
    w.add(c, "192.0.2.101", a_addr(), 1)
}

/// Adds Bob (host 192.0.2.201, seed 2) with `c` to `w`.
pub(crate) fn add_bob(w: &mut Phones, c: UaConfig) -> usize {
    w.add(c, "192.0.2.201", b_addr(), 2)
}

pub(crate) fn parse(b: &Bytes) -> OwnedMessage {
    OwnedMessage::parse(b.clone()).unwrap()
}

/// What the agents sent to the scripted peer.
pub(crate) fn to_peer(w: &Phones) -> Vec<OwnedMessage> {
    w.outside.iter().map(|s| parse(&s.bytes)).collect()
}

/// The status code or the method of `m`.
pub(crate) fn start(m: &OwnedMessage) -> String {
    let msg = m.message();
    match msg.status() {
        Some(s) => s.to_string(),
        None => msg.method().unwrap().as_str().to_owned(),
    }
}

/// [`start`] of each message sent to the scripted peer.
pub(crate) fn starts(w: &Phones) -> Vec<String> {
    to_peer(w).iter().map(start).collect()
}

/// The last message sent to the scripted peer.
pub(crate) fn last(w: &Phones) -> OwnedMessage {
    to_peer(w).last().unwrap().clone()
}

pub(crate) fn header(m: &OwnedMessage, n: HeaderName) -> Option<String> {
    m.message().header(n).map(|h| h.value().into_owned())
}

/// The first incoming call agent `i` reported.
pub(crate) fn incoming_call(w: &Phones, i: usize) -> CallHandle {
    w.find(i, |e| match e {
        UaEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })[0]
}

/// The offers agent `i` reported, with where each came.
pub(crate) fn offers(w: &Phones, i: usize) -> Vec<(Vec<u8>, OfferIn)> {
    w.find(i, |e| match e {
        UaEvent::Offer {
            offer, carried_in, ..
        } => Some((offer.bytes.to_vec(), *carried_in)),
        _ => None,
    })
}

/// Why agent `i`'s calls ended.
pub(crate) fn ends(w: &Phones, i: usize) -> Vec<EndReason> {
    w.find(i, |e| match e {
        UaEvent::Terminated { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// The scripted peer sends `bytes` to `to`; the agents then run until
/// nothing moves.
pub(crate) fn peer_sends(w: &mut Phones, to: SocketAddr, bytes: Bytes) {
    w.inject(peer(), to, bytes);
    w.settle();
}

/// Alice calls Bob with `offer` and Bob answers with `answer`; both see
/// the call established. Returns Alice's and Bob's handles.
pub(crate) fn call_answered(
    w: &mut Phones,
    alice: usize,
    bob: usize,
    offer: &'static [u8],
    answer: &'static [u8],
) -> (CallHandle, CallHandle) {
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", Body::sdp(offer))
        })
        .unwrap();
    let theirs = incoming_call(w, bob);
    w.with(bob, |ua, now| {
        ua.answer(now, theirs, Some(Body::sdp(answer)))
    })
    .unwrap();
    assert!(w.ua(alice).is_established(call));
    assert!(w.ua(bob).is_established(theirs));
    (call, theirs)
}
