//! Whole calls between `UserAgent`s under the deterministic network
//! simulator (`tests/sim`): virtual time, seeded loss, duplication, delay
//! and reordering. Scenarios: a call set up and torn down, CANCEL racing the
//! 200 OK, re-INVITE glare, registration with a digest challenge against
//! the crate's registrar — each at 0 %, 10 % and 30 % loss.
//!
//! After every step the invariants are checked: no panic; bounded state
//! (calls and transactions per agent); every call's events in a legal order
//! (nothing after Terminated, Established at most once). At the end every
//! call has ended either established-then-terminated or failed with the
//! status RFC 3261 prescribes for what happened, and once the clock has run
//! on, no call, transaction or timer is left in any agent.
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario; `RTCLITE_SIM_SEED=S`
//! replays one. The run ends with one line
//! `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rtclite_sip::ua::{Body, CallHandle, EndReason, RegisterConfig, RegisterEvent, UaEvent};
use sim::pair::{self, ALICE, BOB, a_addr, check_bounded, incoming, run_seeds, two};
use sim::phones::{Phones, config};
use sim::registrar_host::RegistrarHost;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call,
    CancelRace,
    Glare,
    Register,
}

fn r_addr() -> SocketAddr {
    "192.0.2.10:5060".parse().unwrap()
}

fn offer(tag: &str) -> Body {
    Body::sdp(format!("v=0\r\ns={tag}\r\n").into_bytes())
}

fn call_of(e: &UaEvent) -> Option<CallHandle> {
    match e {
        UaEvent::IncomingCall { call, .. }
        | UaEvent::Ringing { call, .. }
        | UaEvent::Progress { call, .. }
        | UaEvent::Answered { call, .. }
        | UaEvent::Established { call, .. }
        | UaEvent::ReInvite { call, .. }
        | UaEvent::SessionUpdated { call, .. }
        | UaEvent::ReInviteFailed { call, .. }
        | UaEvent::Prack { call, .. }
        | UaEvent::Terminated { call, .. } => Some(*call),
        _ => None,
    }
}

/// The events of one call, in order.
fn per_call(events: &[UaEvent]) -> HashMap<CallHandle, Vec<UaEvent>> {
    let mut m: HashMap<CallHandle, Vec<UaEvent>> = HashMap::new();
    for e in events {
        if let Some(call) = call_of(e) {
            m.entry(call).or_default().push(e.clone());
        }
    }
    m
}

fn is_established(e: &UaEvent) -> bool {
    matches!(e, UaEvent::Established { .. })
}

fn end_of(events: &[UaEvent]) -> Option<EndReason> {
    events.iter().find_map(|e| match e {
        UaEvent::Terminated { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// Invariants that hold after every step, checked on the events that are
/// new since the last step.
#[derive(Default)]
struct Checker {
    seen: Vec<usize>,
    calls: Vec<HashMap<CallHandle, (bool, bool)>>,
}

impl Checker {
    fn check(&mut self, w: &Phones) -> Result<(), String> {
        self.seen.resize(w.phones.len(), 0);
        self.calls.resize(w.phones.len(), HashMap::new());
        for (i, p) in w.phones.iter().enumerate() {
            check_bounded(p, i, 4, 200)?;
            for e in &p.events[self.seen[i]..] {
                let Some(call) = call_of(e) else { continue };
                let (ended, up) = self.calls[i].entry(call).or_default();
                if *ended {
                    return Err(format!("agent {i} {call}: {e:?} after Terminated"));
                }
                match e {
                    UaEvent::Terminated { .. } => *ended = true,
                    UaEvent::Established { .. } if *up => {
                        return Err(format!("agent {i} {call}: established twice"));
                    }
                    UaEvent::Established { .. } => *up = true,
                    _ => {}
                }
            }
            self.seen[i] = p.events.len();
        }
        Ok(())
    }
}

/// Runs the clock in steps, calling `policy` after each, until `until`,
/// with a fresh [`Checker`] after every step.
fn run_for(
    w: &mut Phones,
    d: Duration,
    policy: &mut dyn FnMut(&mut Phones) -> bool,
) -> Result<(), String> {
    let mut checker = Checker::default();
    pair::run_for(w, d, &mut |w| checker.check(w), policy)
}

fn ended(w: &Phones, i: usize) -> bool {
    pair::ended(w, i).is_some()
}

/// The end of the world: everything must have ended and been dropped.
fn check_quiescent(w: &mut Phones) -> Result<(), String> {
    pair::check_quiescent(w, &mut |w| Checker::default().check(w))
}

/// Answers every re-INVITE, and every MESSAGE needs nothing.
fn answer_reinvites(w: &mut Phones, seen: &mut [usize; 2]) {
    #[allow(clippy::needless_range_loop)]
    for i in 0..2 {
        let new: Vec<CallHandle> = w.phones[i].events[seen[i]..]
            .iter()
            .filter_map(|e| match e {
                UaEvent::ReInvite { call, .. } => Some(*call),
                _ => None,
            })
            .collect();
        seen[i] = w.phones[i].events.len();
        for call in new {
            let _ = w.with(i, |ua, now| ua.answer(now, call, Some(offer("re-answer"))));
        }
    }
}

/// The call's final outcome, as RFC 3261 allows it.
fn check_outcome(w: &Phones, cancel_sent: bool) -> Result<(), String> {
    let a = per_call(&w.phones[ALICE].events);
    let b = per_call(&w.phones[BOB].events);
    let (Some(ae), true) = (a.values().next(), a.len() == 1) else {
        return Err(format!("alice has {} calls", a.len()));
    };
    let a_end = end_of(ae).ok_or("alice's call never ended")?;
    let a_up = ae.iter().any(is_established);
    let b_evs = b.values().next();
    let b_up = b_evs.is_some_and(|e| e.iter().any(is_established));
    let b_end = b_evs.map(|e| end_of(e));
    if b.len() > 1 {
        return Err(format!("bob has {} calls", b.len()));
    }
    if let Some(None) = b_end {
        return Err("bob's call never ended".into());
    }
    match (a_up, a_end) {
        // Established, then ended by a BYE either way, by a dead dialog, or
        // (callee side) by the ACK never arriving.
        (true, EndReason::LocalBye | EndReason::RemoteBye | EndReason::DialogLost { .. }) => {
            if b_evs.is_none() {
                return Err("alice established a call bob never saw".into());
            }
        }
        // A cancelled INVITE ends with 487, or by the CANCEL timing out
        // without a final response.
        // [RFC 3261 §9.2 test] "If the original request was an INVITE, the UAS
        // SHOULD immediately respond to the INVITE with a 487 (Request
        // Terminated)."
        (false, EndReason::Cancelled) if cancel_sent => {
            if b_up {
                return Err("bob established a call alice cancelled without an answer".into());
            }
        }
        // No final response to the INVITE at all (Timer B).
        (false, EndReason::Timeout) => {}
        other => return Err(format!("alice ended as {other:?}: {ae:?}")),
    }
    if let Some(Some(bend)) = b_end {
        let ok = match bend {
            // Ended by BYE after answering: the ACK may arrive after the BYE
            // (reordering) or never, so "established" is not required here,
            // but the caller must have had the 2xx.
            EndReason::LocalBye | EndReason::RemoteBye | EndReason::DialogLost { .. } => {
                b_up || a_up
            }
            // The 2xx never got its ACK (§13.3.1.4) — then alice never got
            // the 2xx or her ACKs were all lost.
            EndReason::Timeout => true,
            EndReason::Cancelled => cancel_sent && !a_up,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "bob ended as {bend:?} (established: {b_up}), alice as {a_end:?}"
            ));
        }
    }
    Ok(())
}

fn scenario_call(seed: u64, loss: f64) -> Result<(), String> {
    let mut w = two(seed, loss);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xca11);
    let answer_after = Duration::from_millis(u64::from(rng.next_u32() % 2000));
    let talk = Duration::from_millis(u64::from(rng.next_u32() % 3000));
    let bob_hangs_up = rng.next_u32() % 2 == 0;
    let call = w
        .with(ALICE, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", offer("a"))
        })
        .map_err(|e| e.to_string())?;
    let mut rang_at = None;
    let mut answered = false;
    let mut up_at = None;
    let mut hung = false;
    run_for(&mut w, Duration::from_secs(40), &mut |w| {
        if let Some(theirs) = incoming(w) {
            if rang_at.is_none() {
                let _ = w.with(BOB, |ua, now| ua.ring(now, theirs));
                rang_at = Some(w.now);
            }
            if !answered && rang_at.is_some_and(|t| w.now >= t + answer_after) {
                answered = true;
                let _ = w.with(BOB, |ua, now| ua.answer(now, theirs, Some(offer("b"))));
            }
            if up_at.is_none() && w.ua(ALICE).is_established(call) {
                up_at = Some(w.now);
            }
            if !hung && up_at.is_some_and(|t| w.now >= t + talk) {
                hung = true;
                if bob_hangs_up {
                    let _ = w.with(BOB, |ua, now| ua.hang_up(now, theirs));
                } else {
                    let _ = w.with(ALICE, |ua, now| ua.hang_up(now, call));
                }
            }
        }
        ended(w, ALICE)
    })?;
    check_quiescent(&mut w)?;
    check_outcome(&w, false)
}

fn scenario_cancel_race(seed: u64, loss: f64) -> Result<(), String> {
    let mut w = two(seed, loss);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xcace1);
    // Bob answers 1 s after ringing; Alice cancels within 300 ms of that.
    let skew = i64::from(rng.next_u32() % 600) - 300;
    let call = w
        .with(ALICE, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", offer("a"))
        })
        .map_err(|e| e.to_string())?;
    let t0 = w.now;
    let answer_at = t0 + Duration::from_secs(1);
    let cancel_at = if skew >= 0 {
        answer_at + Duration::from_millis(skew as u64)
    } else {
        answer_at - Duration::from_millis((-skew) as u64)
    };
    let mut rang = false;
    let mut answered = false;
    let mut cancelled = false;
    let mut cancel_sent = false;
    run_for(&mut w, Duration::from_secs(60), &mut |w| {
        if let Some(theirs) = incoming(w) {
            if !rang {
                rang = true;
                let _ = w.with(BOB, |ua, now| ua.ring(now, theirs));
            }
            if !answered && w.now >= answer_at {
                answered = true;
                let _ = w.with(BOB, |ua, now| ua.answer(now, theirs, Some(offer("b"))));
            }
        }
        if !cancelled && w.now >= cancel_at {
            cancelled = true;
            // A real phone cancels; if the call is already up, it hangs up.
            cancel_sent = w.with(ALICE, |ua, now| ua.cancel(now, call)).is_ok();
            if !cancel_sent {
                let _ = w.with(ALICE, |ua, now| ua.hang_up(now, call));
            }
        }
        cancelled && ended(w, ALICE)
    })?;
    check_quiescent(&mut w)?;
    check_outcome(&w, cancel_sent)
}

fn scenario_glare(seed: u64, loss: f64) -> Result<(), String> {
    let mut w = two(seed, loss);
    let call = w
        .with(ALICE, |ua, now| {
            ua.call(now, "sip:bob@192.0.2.201:5060", offer("a"))
        })
        .map_err(|e| e.to_string())?;
    let mut answered = false;
    let mut theirs_h = None;
    run_for(&mut w, Duration::from_secs(40), &mut |w| {
        if let Some(theirs) = incoming(w) {
            theirs_h = Some(theirs);
            if !answered {
                answered = true;
                let _ = w.with(BOB, |ua, now| ua.answer(now, theirs, Some(offer("b"))));
            }
            if w.ua(ALICE).is_established(call) && w.ua(BOB).is_established(theirs) {
                return true;
            }
        }
        ended(w, ALICE)
    })?;
    let Some(theirs) = theirs_h else {
        // The INVITE never arrived: the call timed out.
        check_quiescent(&mut w)?;
        return check_outcome(&w, false);
    };
    if !(w.ua(ALICE).is_established(call) && w.ua(BOB).is_established(theirs)) {
        w.with(ALICE, |ua, now| {
            let _ = ua.hang_up(now, call);
        });
        check_quiescent(&mut w)?;
        return check_outcome(&w, false);
    }
    // Both re-INVITE at the same instant.
    let now = w.now;
    let ra = w.ua(ALICE).reinvite(now, call, offer("hold-a")).is_ok();
    let rb = w.ua(BOB).reinvite(now, theirs, offer("hold-b")).is_ok();
    if !(ra && rb) {
        return Err("re-INVITE refused on an established call".into());
    }
    let mut seen = [w.phones[0].events.len(), w.phones[1].events.len()];
    run_for(&mut w, Duration::from_secs(60), &mut |w| {
        answer_reinvites(w, &mut seen);
        let updated = |i: usize| {
            w.phones[i]
                .events
                .iter()
                .any(|e| matches!(e, UaEvent::SessionUpdated { .. }))
        };
        (updated(ALICE) || ended(w, ALICE)) && (updated(BOB) || ended(w, BOB))
    })?;
    // After the 491s and the back-off, each side's modification took place
    // exactly once (or the dialog died).
    // [RFC 3261 §14.1 test] "When the timer fires, the UAC SHOULD attempt the
    // re-INVITE once more, if it still desires for that session modification
    // to take place."
    for (i, h) in [(ALICE, call), (BOB, theirs)] {
        let alive = w.ua(i).is_established(h);
        let evs = &w.phones[i].events;
        let updated = evs
            .iter()
            .filter(|e| matches!(e, UaEvent::SessionUpdated { .. }))
            .count();
        let failed: Vec<u16> = evs
            .iter()
            .filter_map(|e| match e {
                UaEvent::ReInviteFailed { status, .. } => Some(*status),
                _ => None,
            })
            .collect();
        if alive && updated != 1 {
            return Err(format!(
                "agent {i}: {updated} session updates, failures {failed:?}"
            ));
        }
        if !alive && !failed.iter().any(|s| *s == 408 || *s == 481) && end_of(evs).is_none() {
            return Err(format!("agent {i}: session lost without reason"));
        }
    }
    w.with(ALICE, |ua, now| {
        let _ = ua.hang_up(now, call);
    });
    check_quiescent(&mut w)?;
    check_outcome(&w, false)
}

fn scenario_register(seed: u64, loss: f64) -> Result<(), String> {
    let mut w = Phones::lossy(seed, loss);
    let host = RegistrarHost::new(
        r_addr(),
        "atlanta.example.com",
        &[("alice", "secret")],
        seed,
    );
    let (bindings, removals) = (host.bindings.clone(), host.removals.clone());
    w.add_element("atlanta.example.com", Box::new(host));
    let mut cfg = config("alice", "atlanta.example.com", "192.0.2.101:5060");
    cfg.register = Some(RegisterConfig {
        registrar: "sip:atlanta.example.com".into(),
        aor: "Alice <sip:alice@atlanta.example.com>".into(),
        contact: "sip:alice@192.0.2.101:5060".into(),
        via: "SIP/2.0/UDP 192.0.2.101:5060".into(),
        expires: 3600,
        username: "alice".into(),
        password: "secret".into(),
    });
    w.add(cfg, "192.0.2.101", a_addr(), seed * 2 + 1);
    w.with(0, |ua, now| ua.register(now))
        .map_err(|e| e.to_string())?;
    let got = |w: &Phones, n: usize| {
        w.phones[0]
            .events
            .iter()
            .filter(|e| matches!(e, UaEvent::Registration(_)))
            .count()
            >= n
    };
    run_for(&mut w, Duration::from_secs(40), &mut |w| got(w, 1))?;
    let regs = |w: &Phones| -> Vec<RegisterEvent> {
        w.phones[0]
            .events
            .iter()
            .filter_map(|e| match e {
                UaEvent::Registration(r) => Some(*r),
                _ => None,
            })
            .collect()
    };
    let first = regs(&w);
    match first.as_slice() {
        [RegisterEvent::Registered { expires: 3600 }] => {
            if bindings.get() == 0 {
                return Err("registered without the registrar adding a binding".into());
            }
        }
        // Every REGISTER or every answer lost (Timer F).
        [RegisterEvent::Failed { status: 0 }] => {}
        other => return Err(format!("registration ended as {other:?}")),
    }
    w.with(0, |ua, now| ua.unregister(now))
        .map_err(|e| e.to_string())?;
    run_for(&mut w, Duration::from_secs(40), &mut |w| got(w, 2))?;
    let all = regs(&w);
    match all.get(first.len()..) {
        Some([RegisterEvent::Unregistered]) => {
            if removals.get() == 0 {
                return Err("unregistered without the registrar removing the binding".into());
            }
        }
        Some([RegisterEvent::Failed { status: 0 }]) => {}
        other => return Err(format!("removal ended as {other:?}")),
    }
    check_quiescent(&mut w)
}

fn run(kind: Kind, seed: u64, loss: f64) -> Result<(), String> {
    match kind {
        Kind::Call => scenario_call(seed, loss),
        Kind::CancelRace => scenario_cancel_race(seed, loss),
        Kind::Glare => scenario_glare(seed, loss),
        Kind::Register => scenario_register(seed, loss),
    }
}

#[test]
fn sim_calls() {
    let kinds = [Kind::Call, Kind::CancelRace, Kind::Glare, Kind::Register];
    let losses = [0.0, 0.1, 0.3];
    let (mut violations, mut runs, mut n) = (0usize, 0u64, 0u64);
    for kind in kinds {
        let (v, r, _, seeds) = run_seeds(
            1000,
            &losses,
            &format!("{kind:?}"),
            "sim_calls",
            &|seed, loss| run(kind, seed, loss).map(|()| false),
        );
        (violations, runs, n) = (violations + v, runs + r, seeds);
    }
    println!(
        "sim: {} scenarios x {} seeds, {} invariant violations",
        kinds.len() * losses.len(),
        n,
        violations
    );
    assert!(runs > 0);
    assert!(violations == 0, "{} invariant violations", violations);
}
