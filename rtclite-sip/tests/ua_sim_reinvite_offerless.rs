//! A re-INVITE without an offer (RFC 3261 §14.1, §14.2) between two
//! `UserAgent`s under the deterministic network simulator (`tests/sim`):
//! once a call is up, the caller re-INVITEs without an offer, the callee
//! puts its offer in the 2xx, and the caller's answer goes in the ACK. At
//! 0 %, 10 % and 30 % loss.
//!
//! After every step: no panic, bounded state, nothing after Terminated. At
//! the end the modification took place once on both sides with the right
//! descriptions (the caller got the callee's offer, the callee the caller's
//! answer), or the dialog died for a reason the network explains (the
//! re-INVITE or its ACK lost for 64*T1); and once the clock has run on,
//! nothing is left.
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario; `RTCLITE_SIM_SEED=S`
//! replays one. The run ends with one line
//! `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::net::SocketAddr;
use std::time::Duration;

use rtclite_sip::ua::{Body, EndReason, OfferIn, UaError, UaEvent};
use sim::phones::{Phones, config};
use sim::{replay_seed, seeds};

const STEP: Duration = Duration::from_millis(250);
const ALICE: usize = 0;
const BOB: usize = 1;

fn a_addr() -> SocketAddr {
    "192.0.2.101:5060".parse().unwrap()
}
fn b_addr() -> SocketAddr {
    "192.0.2.201:5060".parse().unwrap()
}

fn sdp(who: &str, what: &str) -> Body {
    Body::sdp(format!("v=0\r\no={who} 1 1 IN IP4 192.0.2.1\r\ns={what}\r\n").into_bytes())
}

fn two(seed: u64, loss: f64) -> Phones {
    let mut w = Phones::lossy(seed, loss);
    w.add(
        config("alice", "atlanta.example.com", "192.0.2.101:5060"),
        "192.0.2.101",
        a_addr(),
        seed * 2 + 1,
    );
    w.add(
        config("bob", "biloxi.example.com", "192.0.2.201:5060"),
        "192.0.2.201",
        b_addr(),
        seed * 2 + 2,
    );
    w
}

fn ended(w: &Phones, i: usize) -> Option<EndReason> {
    w.phones[i].events.iter().find_map(|e| match e {
        UaEvent::Terminated { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// Checks the events of every agent: nothing after Terminated, and bounded
/// state.
fn check(w: &Phones) -> Result<(), String> {
    for (i, p) in w.phones.iter().enumerate() {
        if p.ua.call_count() > 1 || p.ua.transactions().len() > 32 || p.events.len() > 100 {
            return Err(format!(
                "agent {i}: {} calls, {} transactions, {} events",
                p.ua.call_count(),
                p.ua.transactions().len(),
                p.events.len()
            ));
        }
        if let Some(pos) = p
            .events
            .iter()
            .position(|e| matches!(e, UaEvent::Terminated { .. }))
        {
            if let Some(e) = p.events.get(pos + 1..).and_then(|r| r.first()) {
                return Err(format!("agent {i}: {e:?} after Terminated"));
            }
        }
    }
    Ok(())
}

fn run_for(
    w: &mut Phones,
    d: Duration,
    policy: &mut dyn FnMut(&mut Phones) -> bool,
) -> Result<(), String> {
    let end = w.now + d;
    while w.now < end {
        w.advance(STEP);
        let done = policy(w);
        check(w)?;
        if done {
            break;
        }
    }
    Ok(())
}

/// Returns whether the re-INVITE was sent (both calls up).
fn scenario(seed: u64, loss: f64) -> Result<bool, String> {
    let mut w = two(seed, loss);
    let call = w
        .with(ALICE, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", sdp("alice", "a"))
        })
        .map_err(|e| e.to_string())?;
    let mut theirs = None;
    run_for(&mut w, Duration::from_secs(40), &mut |w| {
        if theirs.is_none() {
            theirs = w.phones[BOB].events.iter().find_map(|e| match e {
                UaEvent::IncomingCall { call, .. } => Some(*call),
                _ => None,
            });
            if let Some(h) = theirs {
                let _ = w.with(BOB, |ua, now| ua.answer(now, h, Some(sdp("bob", "b"))));
            }
        }
        let up = theirs.is_some_and(|h| w.ua(BOB).is_established(h));
        (up && w.ua(ALICE).is_established(call)) || ended(w, ALICE).is_some()
    })?;
    let both_up =
        theirs.is_some_and(|h| w.ua(BOB).is_established(h)) && w.ua(ALICE).is_established(call);
    let mut exercised = false;
    if let (true, Some(h)) = (both_up, theirs) {
        let now = w.now;
        w.ua(ALICE)
            .reinvite_without_offer(now, call)
            .map_err(|e| format!("alice's re-INVITE refused: {e}"))?;
        exercised = true;
        run_for(&mut w, Duration::from_secs(60), &mut |w| {
            let asked = w.phones[BOB]
                .events
                .iter()
                .any(|e| matches!(e, UaEvent::ReInvite { offer: None, .. }));
            if asked {
                match w.with(BOB, |ua, now| ua.answer(now, h, Some(sdp("bob", "re")))) {
                    Ok(()) | Err(UaError::NoSuchCall(_) | UaError::WrongState { .. }) => {}
                    Err(e) => panic!("bob: {e}"),
                }
            }
            match w.with(ALICE, |ua, now| {
                ua.answer_offer(now, call, sdp("alice", "re"))
            }) {
                Ok(()) | Err(UaError::NoOffer(_) | UaError::NoSuchCall(_)) => {}
                Err(e) => panic!("alice: {e}"),
            }
            let settled = |i: usize| {
                w.phones[i].events.iter().any(|e| {
                    matches!(
                        e,
                        UaEvent::SessionUpdated { .. } | UaEvent::ReInviteFailed { .. }
                    )
                }) || ended(w, i).is_some()
            };
            settled(ALICE) && (settled(BOB) || !asked)
        })?;
        // Bob answers the re-INVITE once only (later calls of `answer` are
        // refused), so a second ReInvite event would be a bug.
        let asked: Vec<Option<Body>> = w.find(BOB, |e| match e {
            UaEvent::ReInvite { offer, .. } => Some(offer.clone()),
            _ => None,
        });
        if asked.len() > 1 || asked.iter().any(Option::is_some) {
            return Err(format!("bob saw re-INVITEs {asked:?}"));
        }
        let a_alive = w.ua(ALICE).is_established(call);
        let b_alive = w.ua(BOB).is_established(h);
        let updated = |i: usize| -> Vec<Option<Body>> {
            w.find(i, |e| match e {
                UaEvent::SessionUpdated { answer, .. } => Some(answer.clone()),
                _ => None,
            })
        };
        let offers: Vec<(Body, OfferIn)> = w.find(ALICE, |e| match e {
            UaEvent::Offer {
                offer, carried_in, ..
            } => Some((offer.clone(), *carried_in)),
            _ => None,
        });
        // [RFC 3261 §14.1 test] "The rules for transmitting a re-INVITE and for
        // generating an ACK for a 2xx response to re-INVITE are the same as for
        // the initial INVITE (Section 13.2.1)."
        match (updated(ALICE).as_slice(), offers.as_slice()) {
            ([None], [(o, OfferIn::Success)]) if *o == sdp("bob", "re") => {}
            // The re-INVITE or all its 2xx lost: 408 and the dialog is gone
            // (or the callee's BYE for a missing ACK came first).
            ([], _) if !a_alive => {}
            other => {
                return Err(format!(
                    "alice: updates and offers {other:?}, alive {a_alive}"
                ));
            }
        }
        match updated(BOB).as_slice() {
            [Some(a)] if *a == sdp("alice", "re") => {}
            // No ACK within 64*T1 (BYE, Timeout), or the re-INVITE never came.
            [] if !b_alive || asked.is_empty() => {}
            other => return Err(format!("bob: updates {other:?}, alive {b_alive}")),
        }
        for i in [ALICE, BOB] {
            if ended(&w, i) == Some(EndReason::OfferAnswerFailed) {
                return Err(format!("agent {i}: the offer/answer exchange failed"));
            }
        }
        if loss == 0.0 && !(a_alive && b_alive && updated(BOB).len() == 1) {
            return Err("the re-INVITE did not complete on a lossless network".into());
        }
        if a_alive && b_alive && updated(BOB).is_empty() && !asked.is_empty() {
            return Err("bob never got the answer but both are up".into());
        }
    }
    // The wind-down: whoever is still in the call hangs up (a caller whose
    // dialog died of a 408 sends no BYE, RFC 3261 §12.2.1.2).
    let _ = w.with(ALICE, |ua, now| ua.hang_up(now, call));
    if let Some(h) = theirs {
        if ended(&w, BOB).is_none() {
            let _ = w.with(BOB, |ua, now| ua.hang_up(now, h));
        }
    }
    w.advance(Duration::from_secs(200));
    check(&w)?;
    for (i, p) in w.phones.iter().enumerate() {
        if p.ua.call_count() != 0
            || !p.ua.transactions().is_empty()
            || p.ua.poll_timeout().is_some()
        {
            return Err(format!(
                "agent {i}: {} calls, {} transactions and a timer {:?} left; events {:?}",
                p.ua.call_count(),
                p.ua.transactions().len(),
                p.ua.poll_timeout().map(|t| t - w.now),
                p.events
            ));
        }
    }
    if loss == 0.0 && !exercised {
        return Err("a lossless call did not get to the re-INVITE".into());
    }
    Ok(exercised)
}

#[test]
fn ua_sim_reinvite_offerless() {
    let n = seeds(1000);
    let only = replay_seed();
    let losses = [0.0, 0.1, 0.3];
    let mut violations = 0usize;
    let (mut runs, mut exercised) = (0u64, 0u64);
    for loss in losses {
        let seeds: Vec<u64> = match only {
            Some(s) => vec![s],
            None => (0..n).collect(),
        };
        for seed in seeds {
            runs += 1;
            let result = std::panic::catch_unwind(|| scenario(seed, loss))
                .unwrap_or_else(|_| Err("panicked".into()));
            match result {
                Ok(true) => exercised += 1,
                Ok(false) => {}
                Err(what) => {
                    eprintln!(
                        "violation: ReInviteWithoutOffer at {:.0}% loss, seed {seed}: {what} (replay: RTCLITE_SIM_SEED={seed} cargo test -p rtclite-sip --test ua_sim_reinvite_offerless -- --nocapture)",
                        loss * 100.0
                    );
                    violations += 1;
                }
            }
        }
    }
    println!(
        "sim: {} scenarios x {} seeds, {violations} invariant violations",
        losses.len(),
        if only.is_some() { 1 } else { n },
    );
    println!("{exercised} of {runs} runs reached the re-INVITE");
    assert!(
        exercised * 2 > runs,
        "only {exercised} of {runs} runs reached the re-INVITE"
    );
    assert_eq!(violations, 0, "{violations} invariant violations");
}
