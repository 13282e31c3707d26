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

use std::net::SocketAddr;
use std::time::Duration;

use rtclite_sip::ua::{Body, EndReason, UaConfig, UaError, UaEvent};
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

fn with_update(mut c: UaConfig) -> UaConfig {
    c.update = true;
    c
}

fn two(seed: u64, loss: f64) -> Phones {
    let mut w = Phones::lossy(seed, loss);
    w.add(
        with_update(config("alice", "atlanta.example.com", "192.0.2.101:5060")),
        "192.0.2.101",
        a_addr(),
        seed * 2 + 1,
    );
    w.add(
        with_update(config("bob", "biloxi.example.com", "192.0.2.201:5060")),
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

/// Returns whether the glare was exercised (both calls up and both
/// UPDATEs sent).
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
            .update(now, call, sdp("alice", "hold"))
            .map_err(|e| format!("alice's UPDATE refused: {e}"))?;
        w.ua(BOB)
            .update(now, h, sdp("bob", "hold"))
            .map_err(|e| format!("bob's UPDATE refused: {e}"))?;
        exercised = true;
        let handles = [(ALICE, call, "alice"), (BOB, h, "bob")];
        run_for(&mut w, Duration::from_secs(60), &mut |w| {
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
        })?;
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
                "agent {i}: {} calls, {} transactions and a timer {:?} left",
                p.ua.call_count(),
                p.ua.transactions().len(),
                p.ua.poll_timeout().map(|t| t - w.now)
            ));
        }
    }
    if loss == 0.0 && !exercised {
        return Err("a lossless call did not get to the glare".into());
    }
    Ok(exercised)
}

#[test]
fn ua_sim_update() {
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
                        "violation: UpdateGlare at {:.0}% loss, seed {seed}: {what} (replay: RTCLITE_SIM_SEED={seed} cargo test -p rtclite-sip --test ua_sim_update -- --nocapture)",
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
    println!("{exercised} of {runs} runs reached the glare");
    assert!(
        exercised * 2 > runs,
        "only {exercised} of {runs} runs reached the glare"
    );
    assert_eq!(violations, 0, "{violations} invariant violations");
}
