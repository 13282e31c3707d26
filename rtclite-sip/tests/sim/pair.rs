//! Two user agents on the simulated network, for the UA scenarios
//! (`sim_calls.rs`, `ua_sim_*.rs`): Alice (agent 0) at 192.0.2.101 in
//! atlanta.example.com and Bob (agent 1) at 192.0.2.201 in
//! biloxi.example.com, the clock run in fixed steps with the scenario's
//! invariants checked after each.

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use rtclite_sip::ua::{Body, CallHandle, EndReason, UaConfig, UaEvent};

use super::phones::{Phone, Phones, config};

/// One step of the clock.
pub(crate) const STEP: Duration = Duration::from_millis(250);
pub(crate) const ALICE: usize = 0;
pub(crate) const BOB: usize = 1;

pub(crate) fn a_addr() -> SocketAddr {
    "192.0.2.101:5060".parse().unwrap()
}

pub(crate) fn b_addr() -> SocketAddr {
    "192.0.2.201:5060".parse().unwrap()
}

/// Alice and Bob with the default configuration.
pub(crate) fn two(seed: u64, loss: f64) -> Phones {
    two_with(seed, loss, |c| c)
}

/// Alice and Bob, each configuration passed through `tweak` first.
pub(crate) fn two_with(seed: u64, loss: f64, tweak: fn(UaConfig) -> UaConfig) -> Phones {
    let mut w = Phones::lossy(seed, loss);
    w.add(
        tweak(config("alice", "atlanta.example.com", "192.0.2.101:5060")),
        "192.0.2.101",
        a_addr(),
        seed * 2 + 1,
    );
    w.add(
        tweak(config("bob", "biloxi.example.com", "192.0.2.201:5060")),
        "192.0.2.201",
        b_addr(),
        seed * 2 + 2,
    );
    w
}

/// Why agent `i`'s (first) call ended, if it did.
pub(crate) fn ended(w: &Phones, i: usize) -> Option<EndReason> {
    w.phones[i].events.iter().find_map(|e| match e {
        UaEvent::Terminated { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// The call Bob was offered, if any.
pub(crate) fn incoming(w: &Phones) -> Option<CallHandle> {
    w.phones[BOB].events.iter().find_map(|e| match e {
        UaEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
}

/// Runs the clock in steps of [`STEP`] for at most `d`: after each step
/// `policy` acts (and says whether the phase is done), then `check` checks
/// the invariants.
pub(crate) fn run_for(
    w: &mut Phones,
    d: Duration,
    check: &mut dyn FnMut(&Phones) -> Result<(), String>,
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

/// Bounded state of agent `i`: at most `max_calls` calls, 32 transactions
/// and `max_events` events.
pub(crate) fn check_bounded(
    p: &Phone,
    i: usize,
    max_calls: usize,
    max_events: usize,
) -> Result<(), String> {
    if p.ua.call_count() > max_calls {
        return Err(format!("agent {i} holds {} calls", p.ua.call_count()));
    }
    if p.ua.transactions().len() > 32 {
        return Err(format!(
            "agent {i} holds {} transactions",
            p.ua.transactions().len()
        ));
    }
    if p.events.len() > max_events {
        return Err(format!("agent {i} reported {} events", p.events.len()));
    }
    Ok(())
}

/// After every step of a call's modification: at most one call, 32
/// transactions and 100 events per agent, and nothing after Terminated.
pub(crate) fn check_one_call(w: &Phones) -> Result<(), String> {
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

/// Alice calls Bob at 192.0.2.201 with `offer`; Bob answers the call at
/// once (with `answer`); runs up to 40 s until both sides are established
/// or Alice's call ended, with [`check_one_call`] after each step. Returns
/// Alice's call, Bob's (if he got it), and whether both are established.
pub(crate) fn answered_call(
    w: &mut Phones,
    offer: Body,
    answer: Body,
) -> Result<(CallHandle, Option<CallHandle>, bool), String> {
    let call = w
        .with(ALICE, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", offer)
        })
        .map_err(|e| e.to_string())?;
    let mut theirs = None;
    run_for(w, Duration::from_secs(40), &mut check_one_call, &mut |w| {
        if theirs.is_none() {
            theirs = incoming(w);
            if let Some(h) = theirs {
                let _ = w.with(BOB, |ua, now| ua.answer(now, h, Some(answer.clone())));
            }
        }
        let up = theirs.is_some_and(|h| w.ua(BOB).is_established(h));
        (up && w.ua(ALICE).is_established(call)) || ended(w, ALICE).is_some()
    })?;
    let both_up =
        theirs.is_some_and(|h| w.ua(BOB).is_established(h)) && w.ua(ALICE).is_established(call);
    Ok((call, theirs, both_up))
}

/// The wind-down after a call's modification: whoever is still in the
/// call hangs up, the clock runs 200 s on, and then no call, transaction
/// or timer may be left (`show_events`: the error lists each agent's
/// events).
pub(crate) fn hang_up_and_drain(
    w: &mut Phones,
    call: CallHandle,
    theirs: Option<CallHandle>,
    show_events: bool,
) -> Result<(), String> {
    // A caller whose dialog died of a 408 sends no BYE, RFC 3261 §12.2.1.2.
    let _ = w.with(ALICE, |ua, now| ua.hang_up(now, call));
    if let Some(h) = theirs {
        if ended(w, BOB).is_none() {
            let _ = w.with(BOB, |ua, now| ua.hang_up(now, h));
        }
    }
    w.advance(Duration::from_secs(200));
    check_one_call(w)?;
    for (i, p) in w.phones.iter().enumerate() {
        if p.ua.call_count() != 0
            || !p.ua.transactions().is_empty()
            || p.ua.poll_timeout().is_some()
        {
            let left = format!(
                "agent {i}: {} calls, {} transactions and a timer {:?} left",
                p.ua.call_count(),
                p.ua.transactions().len(),
                p.ua.poll_timeout().map(|t| t - w.now)
            );
            return Err(if show_events {
                format!("{left}; events {:?}", p.events)
            } else {
                left
            });
        }
    }
    Ok(())
}

/// The end of the world: the clock runs 200 s on, `check` holds, and no
/// call, transaction or timer is left.
pub(crate) fn check_quiescent(
    w: &mut Phones,
    check: &mut dyn FnMut(&Phones) -> Result<(), String>,
) -> Result<(), String> {
    w.advance(Duration::from_secs(200));
    check(w)?;
    for (i, p) in w.phones.iter().enumerate() {
        if p.ua.call_count() != 0 {
            return Err(format!(
                "agent {i}: {} calls never ended",
                p.ua.call_count()
            ));
        }
        if !p.ua.transactions().is_empty() {
            return Err(format!(
                "agent {i}: {} transactions outlived their timers",
                p.ua.transactions().len()
            ));
        }
        if let Some(t) = p.ua.poll_timeout() {
            return Err(format!(
                "agent {i}: a timer is still set {:?} ahead",
                t - w.now
            ));
        }
    }
    Ok(())
}

/// Runs `scenario` for every seed (`RTCLITE_SIM_SEEDS`, default `default`;
/// or the one `RTCLITE_SIM_SEED`) at each loss rate, a panic counting as a
/// violation; prints each violation with how to replay it (`name`: the
/// scenario, `test`: the test binary). Returns (violations, runs, runs
/// that gave `Ok(true)`, seeds per scenario).
pub(crate) fn run_seeds(
    default: u64,
    losses: &[f64],
    name: &str,
    test: &str,
    scenario: &dyn Fn(u64, f64) -> Result<bool, String>,
) -> (usize, u64, u64, u64) {
    let n = super::seeds(default);
    let only = super::replay_seed();
    let (mut violations, mut runs, mut yes) = (0usize, 0u64, 0u64);
    for &loss in losses {
        let seeds: Vec<u64> = match only {
            Some(s) => vec![s],
            None => (0..n).collect(),
        };
        for seed in seeds {
            runs += 1;
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| scenario(seed, loss)))
                .unwrap_or_else(|_| Err("panicked".into()));
            match result {
                Ok(true) => yes += 1,
                Ok(false) => {}
                Err(what) => {
                    let line = super::replay_line(name, loss, seed, &what, test);
                    eprintln!("violation: {line}");
                    violations += 1;
                }
            }
        }
    }
    (violations, runs, yes, if only.is_some() { 1 } else { n })
}
