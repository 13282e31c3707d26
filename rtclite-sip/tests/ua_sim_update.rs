//! UPDATE glare (RFC 3311 §5.2, §5.3) between two `UserAgent`s under the
//! deterministic network simulator (`tests/sim`): once a call is up, both
//! sides send an UPDATE with an offer at the same instant, and each answers
//! every offer it gets at once. At 0 %, 10 % and 30 % loss.
//!
//! After every step: no panic, bounded state, events in a legal order
//! (nothing after Terminated). At the end each side's modification took
//! place exactly once (after the 491s and the back-off), or the dialog died
//! with the status that killed it; the answers each side got are the other
//! side's; and once the clock has run on, nothing is left.
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario; `RTCLITE_SIM_SEED=S`
//! replays one. The run ends with one line
//! `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::time::Duration;

use rtclite_sip::ua::{Body, UaConfig, UaError, UaEvent};
use sim::pair::{
    ALICE, BOB, answered_call, check_one_call, ended, hang_up_and_drain, run_for, run_seeds,
    two_with,
};

fn sdp(who: &str, what: &str) -> Body {
    Body::sdp(format!("v=0\r\no={who} 1 1 IN IP4 192.0.2.1\r\ns={what}\r\n").into_bytes())
}

fn with_update(mut c: UaConfig) -> UaConfig {
    c.update = true;
    c
}

/// Returns whether the glare was exercised (both calls up and both
/// UPDATEs sent).
fn scenario(seed: u64, loss: f64) -> Result<bool, String> {
    let mut w = two_with(seed, loss, with_update);
    let (call, theirs, both_up) = answered_call(&mut w, sdp("alice", "a"), sdp("bob", "b"))?;
    let mut exercised = false;
    if let (true, Some(h)) = (both_up, theirs) {
        let now = w.now;
        w.ua(ALICE)
            .update(now, call, sdp("alice", "hold"))
            .map_err(|e| format!("alice's UPDATE refused: {e}"))?;
        w.ua(BOB)
            .update(now, h, sdp("bob", "hold"))
            .map_err(|e| format!("bob's UPDATE refused: {e}"))?;
        exercised = true;
        let handles = [(ALICE, call, "alice"), (BOB, h, "bob")];
        run_for(
            &mut w,
            Duration::from_secs(60),
            &mut check_one_call,
            &mut |w| {
                for (i, h, who) in handles {
                    match w.with(i, |ua, now| ua.answer_offer(now, h, sdp(who, "ok"))) {
                        Ok(()) | Err(UaError::NoOffer(_) | UaError::NoSuchCall(_)) => {}
                        Err(e) => panic!("agent {i}: {e}"),
                    }
                }
                let settled = |i: usize| {
                    w.phones[i].events.iter().any(|e| {
                        matches!(
                            e,
                            UaEvent::SessionUpdated { .. } | UaEvent::UpdateFailed { .. }
                        )
                    }) || ended(w, i).is_some()
                };
                settled(ALICE) && settled(BOB)
            },
        )?;
        for (i, hh, who) in handles {
            let other = if who == "alice" { "bob" } else { "alice" };
            let evs = &w.phones[i].events;
            let updated: Vec<Option<Body>> = evs
                .iter()
                .filter_map(|e| match e {
                    UaEvent::SessionUpdated { answer, .. } => Some(answer.clone()),
                    _ => None,
                })
                .collect();
            let failed: Vec<u16> = evs
                .iter()
                .filter_map(|e| match e {
                    UaEvent::UpdateFailed { status, .. } => Some(*status),
                    _ => None,
                })
                .collect();
            let alive = w.ua(i).is_established(hh);
            // [RFC 3311 §5.3 test] "When the timer fires, the UAC SHOULD
            // attempt the UPDATE once more, if it still desires for that
            // session modification to take place."
            if loss == 0.0 && !(alive && updated.len() == 1) {
                return Err(format!(
                    "agent {i}: the UPDATE did not complete without loss"
                ));
            }
            match (updated.as_slice(), failed.as_slice()) {
                ([Some(a)], []) if *a == sdp(other, "ok") => {}
                // The UPDATE (or its answers) lost for 64*T1: 408, and the
                // dialog ends (RFC 3261 §12.2.1.2).
                ([], [408]) if !alive => {}
                // The peer's dialog died first (481).
                ([], [481]) if !alive => {}
                ([], []) if !alive => {}
                other => {
                    return Err(format!(
                        "agent {i}: updates {other:?}, alive {alive}, ended {:?}",
                        ended(&w, i)
                    ));
                }
            }
        }
    }
    hang_up_and_drain(&mut w, call, theirs, false)?;
    if loss == 0.0 && !exercised {
        return Err("a lossless call did not get to the glare".into());
    }
    Ok(exercised)
}

#[test]
fn ua_sim_update() {
    let losses = [0.0, 0.1, 0.3];
    let (violations, runs, exercised, n) =
        run_seeds(1000, &losses, "UpdateGlare", "ua_sim_update", &scenario);
    println!(
        "sim: {} scenarios x {} seeds, {violations} invariant violations",
        losses.len(),
        n,
    );
    println!("{exercised} of {runs} runs reached the glare");
    assert!(
        exercised * 2 > runs,
        "only {exercised} of {runs} runs reached the glare"
    );
    assert_eq!(violations, 0, "{violations} invariant violations");
}
