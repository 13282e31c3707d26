//! Whole calls between two `UserAgent`s on an in-memory wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::time::Duration;

use rtclite_sip::ua::{Body, EndReason, UaEvent};
use sim::phones::{Phones, config};

const OFFER: &[u8] = b"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n";
const ANSWER: &[u8] = b"v=0\r\no=bob 2890844527 2890844527 IN IP4 192.0.2.201\r\n";

fn pair() -> (Phones, usize, usize) {
    let mut w = Phones::new();
    let a = "192.0.2.101:5060".parse().unwrap();
    let b = "192.0.2.201:5060".parse().unwrap();
    let alice = w.add(
        config("alice", "atlanta.example.com", "192.0.2.101"),
        "pc33.atlanta.example.com",
        a,
        1,
    );
    let bob = w.add(
        config("bob", "biloxi.example.com", "192.0.2.201"),
        "client.biloxi.example.com",
        b,
        2,
    );
    (w, alice, bob)
}

fn incoming(w: &Phones, i: usize) -> rtclite_sip::ua::CallHandle {
    w.find(i, |e| match e {
        UaEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })[0]
}

#[test]
fn call_answered_then_bye_from_caller() {
    let (mut w, alice, bob) = pair();
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201", Body::sdp(OFFER))
        })
        .unwrap();
    let theirs = incoming(&w, bob);
    let offer = w.find(bob, |e| match e {
        UaEvent::IncomingCall { offer, .. } => offer.clone(),
        _ => None,
    });
    assert_eq!(offer[0].bytes.as_ref(), OFFER);
    w.with(bob, |ua, now| ua.ring(now, theirs)).unwrap();
    w.with(bob, |ua, now| {
        ua.answer(now, theirs, Some(Body::sdp(ANSWER)))
    })
    .unwrap();
    assert!(
        w.phones[alice]
            .events
            .iter()
            .any(|e| matches!(e, UaEvent::Ringing { .. }))
    );
    let answered = w.find(alice, |e| match e {
        UaEvent::Answered { answer, .. } => answer.clone(),
        _ => None,
    });
    assert_eq!(answered[0].bytes.as_ref(), ANSWER);
    assert!(w.ua(alice).is_established(call));
    assert!(w.ua(bob).is_established(theirs));
    w.advance(Duration::from_secs(5));
    w.with(alice, |ua, now| ua.hang_up(now, call)).unwrap();
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::Terminated { reason, .. } => Some(*reason),
            _ => None,
        }),
        vec![EndReason::LocalBye]
    );
    assert_eq!(
        w.find(bob, |e| match e {
            UaEvent::Terminated { reason, .. } => Some(*reason),
            _ => None,
        }),
        vec![EndReason::RemoteBye]
    );
    w.advance(Duration::from_secs(40));
    assert_eq!(w.ua(alice).call_count(), 0);
    assert_eq!(w.ua(bob).call_count(), 0);
    assert!(w.ua(alice).transactions().is_empty());
    assert!(w.ua(bob).transactions().is_empty());
    for (i, m) in w.log.iter().enumerate() {
        eprintln!("--- {i}\n{}", String::from_utf8_lossy(&m.bytes));
    }
}
