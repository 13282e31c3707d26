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

use std::time::Duration;

use rtclite_sip::ua::{Body, EndReason, OfferIn, UaError, UaEvent};
use sim::pair::{
    ALICE, BOB, answered_call, check_one_call, ended, hang_up_and_drain, run_for, run_seeds, two,
};

fn sdp(who: &str, what: &str) -> Body {
    Body::sdp(format!("v=0\r\no={who} 1 1 IN IP4 192.0.2.1\r\ns={what}\r\n").into_bytes())
}

/// Returns whether the re-INVITE was sent (both calls up).
fn scenario(seed: u64, loss: f64) -> Result<bool, String> {
    let mut w = two(seed, loss);
    let (call, theirs, both_up) = answered_call(&mut w, sdp("alice", "a"), sdp("bob", "b"))?;
    let mut exercised = false;
    if let (true, Some(h)) = (both_up, theirs) {
        let now = w.now;
        w.ua(ALICE)
            .reinvite_without_offer(now, call)
            .map_err(|e| format!("alice's re-INVITE refused: {e}"))?;
        exercised = true;
        run_for(
            &mut w,
            Duration::from_secs(60),
            &mut check_one_call,
            &mut |w| {
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
            },
        )?;
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
    hang_up_and_drain(&mut w, call, theirs, true)?;
    if loss == 0.0 && !exercised {
        return Err("a lossless call did not get to the re-INVITE".into());
    }
    Ok(exercised)
}

#[test]
fn ua_sim_reinvite_offerless() {
    let losses = [0.0, 0.1, 0.3];
    let (violations, runs, exercised, n) = run_seeds(
        1000,
        &losses,
        "ReInviteWithoutOffer",
        "ua_sim_reinvite_offerless",
        &scenario,
    );
    println!(
        "sim: {} scenarios x {} seeds, {violations} invariant violations",
        losses.len(),
        n,
    );
    println!("{exercised} of {runs} runs reached the re-INVITE");
    assert!(
        exercised * 2 > runs,
        "only {exercised} of {runs} runs reached the re-INVITE"
    );
    assert_eq!(violations, 0, "{violations} invariant violations");
}
