//! Calls set up with an INVITE without an offer, between two `UserAgent`s
//! under the deterministic network simulator (`tests/sim`): virtual time,
//! seeded loss, duplication, delay and reordering. Scenarios, each at 0 %,
//! 10 % and 30 % loss:
//!
//! - `OfferIn2xx`: the callee rings (unreliably) and puts its offer in the
//!   2xx; the caller's answer goes in the ACK (RFC 3261 §13.2.1).
//! - `OfferInReliable183`: the callee puts its offer in a reliable 183 and
//!   accepts at once (the 2xx waits for the PRACK); the caller's answer goes
//!   in the PRACK (RFC 3262 §5).
//!
//! After every step the invariants are checked: no panic; bounded state;
//! every call's events in a legal order (nothing after Terminated,
//! Established and Offer at most once); an Offer only ever reaches the
//! caller. At the end, each call ended established-then-terminated or
//! failed as RFC 3261 prescribes for what the network did; when both
//! sides were established, each holds the other's session description
//! (the caller the callee's offer, the callee the caller's answer); and
//! once the clock has run on, no call, transaction or timer is left.
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario; `RTCLITE_SIM_SEED=S`
//! replays one. The run ends with one line
//! `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::collections::HashMap;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rtclite_sip::ua::{Body, CallHandle, EndReason, OfferIn, UaEvent};
use sim::pair::{ALICE, BOB, check_bounded, check_quiescent, ended, run_for, run_seeds, two};
use sim::phones::Phones;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    OfferIn2xx,
    OfferInReliable183,
}

fn sdp(who: &str, seed: u64) -> Body {
    Body::sdp(format!("v=0\r\no={who} {seed} 1 IN IP4 192.0.2.1\r\ns=-\r\n").into_bytes())
}

fn call_of(e: &UaEvent) -> Option<CallHandle> {
    match e {
        UaEvent::IncomingCall { call, .. }
        | UaEvent::Ringing { call, .. }
        | UaEvent::Progress { call, .. }
        | UaEvent::Answered { call, .. }
        | UaEvent::Established { call, .. }
        | UaEvent::Offer { call, .. }
        | UaEvent::Prack { call, .. }
        | UaEvent::Terminated { call, .. } => Some(*call),
        _ => None,
    }
}

/// Invariants checked after every step on the events new since the last.
#[derive(Default)]
struct Checker {
    seen: Vec<usize>,
    /// Per agent and call: (ended, established, offers).
    calls: Vec<HashMap<CallHandle, (bool, bool, usize)>>,
}

impl Checker {
    fn check(&mut self, w: &Phones) -> Result<(), String> {
        self.seen.resize(w.phones.len(), 0);
        self.calls.resize(w.phones.len(), HashMap::new());
        for (i, p) in w.phones.iter().enumerate() {
            check_bounded(p, i, 2, 100)?;
            for e in &p.events[self.seen[i]..] {
                let Some(call) = call_of(e) else { continue };
                let (ended, up, offers) = self.calls[i].entry(call).or_default();
                if *ended {
                    return Err(format!("agent {i} {call}: {e:?} after Terminated"));
                }
                match e {
                    UaEvent::Terminated {
                        reason: EndReason::OfferAnswerFailed,
                        ..
                    } => {
                        return Err(format!(
                            "agent {i} {call}: the offer/answer exchange failed"
                        ));
                    }
                    UaEvent::Terminated { .. } => *ended = true,
                    UaEvent::Established { .. } if *up => {
                        return Err(format!("agent {i} {call}: established twice"));
                    }
                    UaEvent::Established { .. } => *up = true,
                    UaEvent::Offer { .. } if i != ALICE => {
                        return Err(format!("agent {i} {call}: an offer to the callee"));
                    }
                    UaEvent::Offer { .. } => {
                        *offers += 1;
                        if *offers > 1 {
                            return Err(format!("agent {i} {call}: {offers} offers"));
                        }
                    }
                    _ => {}
                }
            }
            self.seen[i] = p.events.len();
        }
        Ok(())
    }
}

fn established(w: &Phones, i: usize) -> bool {
    w.phones[i]
        .events
        .iter()
        .any(|e| matches!(e, UaEvent::Established { .. }))
}

/// Runs one call; returns whether both sides were established.
fn scenario(kind: Kind, seed: u64, loss: f64) -> Result<bool, String> {
    let mut w = two(seed, loss);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0ffe_71e5);
    let answer_after = Duration::from_millis(u64::from(rng.next_u32() % 2000));
    let think = Duration::from_millis(u64::from(rng.next_u32() % 1500));
    let talk = Duration::from_millis(u64::from(rng.next_u32() % 3000));
    let bob_hangs_up = rng.next_u32() % 2 == 0;
    let (offer, answer) = (sdp("bob", seed), sdp("alice", seed));
    let call = w
        .with(ALICE, |ua, now| {
            ua.call_without_offer(now, "sip:bob@192.0.2.201:5060")
        })
        .map_err(|e| e.to_string())?;
    let mut checker = Checker::default();
    let mut check = |w: &Phones| checker.check(w);
    let mut theirs = None;
    let mut rang_at = None;
    let mut answered = false;
    let mut offer_seen_at = None;
    let mut offer_answered = false;
    let mut up_at = None;
    let mut hung = false;
    run_for(&mut w, Duration::from_secs(60), &mut check, &mut |w| {
        if theirs.is_none() {
            theirs = w.phones[BOB].events.iter().find_map(|e| match e {
                UaEvent::IncomingCall { call, offer, .. } => Some((*call, offer.is_none())),
                _ => None,
            });
        }
        if let Some((h, _)) = theirs {
            if rang_at.is_none() {
                rang_at = Some(w.now);
                let r = match kind {
                    Kind::OfferIn2xx => w.with(BOB, |ua, now| ua.ring(now, h)),
                    Kind::OfferInReliable183 => {
                        w.with(BOB, |ua, now| ua.early_media(now, h, offer.clone()))
                    }
                };
                if r.is_err() {
                    return true;
                }
            }
            if !answered && rang_at.is_some_and(|t| w.now >= t + answer_after) {
                answered = true;
                let body = match kind {
                    Kind::OfferIn2xx => Some(offer.clone()),
                    // The offer went in the 183: the 2xx carries none (and
                    // waits for the PRACK).
                    Kind::OfferInReliable183 => None,
                };
                let _ = w.with(BOB, |ua, now| ua.answer(now, h, body));
            }
        }
        // Alice answers the offer after thinking.
        if offer_seen_at.is_none()
            && w.phones[ALICE]
                .events
                .iter()
                .any(|e| matches!(e, UaEvent::Offer { .. }))
        {
            offer_seen_at = Some(w.now);
        }
        if !offer_answered && offer_seen_at.is_some_and(|t| w.now >= t + think) {
            offer_answered = true;
            let _ = w.with(ALICE, |ua, now| ua.answer_offer(now, call, answer.clone()));
        }
        if up_at.is_none() && w.ua(ALICE).is_established(call) {
            up_at = Some(w.now);
        }
        if !hung && up_at.is_some_and(|t| w.now >= t + talk) {
            hung = true;
            match theirs {
                Some((h, _)) if bob_hangs_up => {
                    let _ = w.with(BOB, |ua, now| ua.hang_up(now, h));
                }
                _ => {
                    let _ = w.with(ALICE, |ua, now| ua.hang_up(now, call));
                }
            }
        }
        ended(w, ALICE).is_some() && (theirs.is_none() || ended(w, BOB).is_some())
    })?;
    if let Some((_, offerless)) = theirs {
        if !offerless {
            return Err("the callee saw an offer in an INVITE sent without one".into());
        }
    }
    // The wind-down: whoever is still in a call hangs up.
    if ended(&w, ALICE).is_none() {
        let _ = w.with(ALICE, |ua, now| ua.hang_up(now, call));
    }
    if let Some((h, _)) = theirs {
        if ended(&w, BOB).is_none() {
            let _ = w.with(BOB, |ua, now| ua.hang_up(now, h));
        }
    }
    check_quiescent(&mut w, &mut check)?;
    check_outcome(&w, kind, &offer, &answer)?;
    let up = established(&w, ALICE) && established(&w, BOB);
    if loss == 0.0 && !up {
        return Err("a call on a lossless network was not established".into());
    }
    Ok(up)
}

/// The call's final outcome, as RFC 3261 and RFC 3262 allow it.
fn check_outcome(w: &Phones, kind: Kind, offer: &Body, answer: &Body) -> Result<(), String> {
    let a_end = ended(w, ALICE).ok_or("alice's call never ended")?;
    let a_up = established(w, ALICE);
    let b_end = ended(w, BOB);
    let b_up = established(w, BOB);
    let bob_saw_call = w.phones[BOB]
        .events
        .iter()
        .any(|e| matches!(e, UaEvent::IncomingCall { .. }));
    match (a_up, a_end) {
        (true, EndReason::LocalBye | EndReason::RemoteBye | EndReason::DialogLost { .. }) => {
            if !bob_saw_call {
                return Err("alice established a call bob never saw".into());
            }
        }
        // No final response to the INVITE at all (Timer B, or the INVITE
        // timeout's CANCEL).
        (false, EndReason::Timeout | EndReason::Cancelled) => {}
        // The reliable 183 never got its PRACK (every copy lost): the
        // callee gives up with 504 (RFC 3262 §3).
        (false, EndReason::Rejected { status: 504 }) if kind == Kind::OfferInReliable183 => {}
        // The caller hung up on a 2xx whose offer it had not answered yet
        // (the 2xx came late); the dialog was acknowledged and ended.
        (false, EndReason::LocalBye) => {}
        other => return Err(format!("alice ended as {other:?}")),
    }
    if bob_saw_call && b_end.is_none() {
        return Err("bob's call never ended".into());
    }
    if let Some(bend) = b_end {
        let ok = match bend {
            EndReason::LocalBye | EndReason::RemoteBye | EndReason::DialogLost { .. } => {
                b_up || a_up || a_end == EndReason::LocalBye
            }
            // The 2xx never got its ACK (§13.3.1.4), or the INVITE its
            // final response.
            EndReason::Timeout => true,
            EndReason::Rejected { status: 504 } => kind == Kind::OfferInReliable183 && !a_up,
            EndReason::Cancelled => !a_up,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "bob ended as {bend:?} (established: {b_up}), alice as {a_end:?}"
            ));
        }
    }
    // Whoever was established holds the other side's description.
    let alice_offers: Vec<(Body, OfferIn)> = w.find(ALICE, |e| match e {
        UaEvent::Offer {
            offer, carried_in, ..
        } => Some((offer.clone(), *carried_in)),
        _ => None,
    });
    if a_up {
        let want = match kind {
            Kind::OfferIn2xx => OfferIn::Success,
            Kind::OfferInReliable183 => OfferIn::ReliableProvisional,
        };
        // [RFC 3262 §5 test] "Similarly, if a reliable provisional response
        // is the first reliable message sent back to the UAC, and the INVITE
        // did not contain an offer, one MUST appear in that reliable
        // provisional response."
        if alice_offers.as_slice() != [(offer.clone(), want)] {
            return Err(format!("alice established with offers {alice_offers:?}"));
        }
    }
    if b_up {
        let got: Vec<Option<Body>> = match kind {
            Kind::OfferIn2xx => w.find(BOB, |e| match e {
                UaEvent::Established { answer, .. } => Some(answer.clone()),
                _ => None,
            }),
            Kind::OfferInReliable183 => w.find(BOB, |e| match e {
                UaEvent::Prack { body, .. } => Some(body.clone()),
                _ => None,
            }),
        };
        // [RFC 3261 §13.2.1 test] "o If the initial offer is in the first
        // reliable non-failure message from the UAS back to UAC, the answer
        // MUST be in the acknowledgement for that message (in this
        // specification, ACK for a 2xx response)."
        if got != [Some(answer.clone())] {
            return Err(format!("bob established with answers {got:?}"));
        }
    }
    Ok(())
}

#[test]
fn ua_sim_offerless() {
    let kinds = [Kind::OfferIn2xx, Kind::OfferInReliable183];
    let losses = [0.0, 0.1, 0.3];
    let (mut violations, mut runs, mut up, mut n) = (0usize, 0u64, 0u64, 0u64);
    for kind in kinds {
        let (v, r, u, seeds) = run_seeds(
            1000,
            &losses,
            &format!("{kind:?}"),
            "ua_sim_offerless",
            &|seed, loss| scenario(kind, seed, loss),
        );
        (violations, runs, up, n) = (violations + v, runs + r, up + u, seeds);
    }
    println!(
        "sim: {} scenarios x {} seeds, {violations} invariant violations",
        kinds.len() * losses.len(),
        n,
    );
    println!("{up} of {runs} calls established on both sides");
    assert!(runs > 0);
    // Most calls get through even at 30 % loss: a run that establishes
    // nothing checks nothing.
    assert!(up * 2 > runs, "only {up} of {runs} calls established");
    assert_eq!(violations, 0, "{violations} invariant violations");
}
