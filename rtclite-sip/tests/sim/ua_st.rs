//! Session timers (RFC 4028) under the simulated network, for
//! `tests/ua_session_timer_sim.rs`: Alice calls Bob with a short session
//! interval, the call is held for several intervals while the refresher
//! refreshes it (by re-INVITE, by UPDATE, or — with a caller that does not
//! know the extension — the callee by re-INVITE), each application answers
//! a refresh re-INVITE with its unchanged description, and then the call is
//! hung up and everything must drain.
//!
//! Invariants, after every step: nothing after Terminated, bounded state;
//! a session ended as expired (`EndReason::SessionExpired`) only once the
//! interval less min(32 s, interval / 3) has passed since the last refresh
//! the agent reported (no spurious BYE); an early end only at a loss rate
//! above 0 and only for a reason RFC 4028 §10 or RFC 3261 gives. At 0 %
//! loss the call must last the whole hold with every refresh on both sides.

use std::time::{Duration, Instant};

use rtclite_sip::ua::{Body, EndReason, SessionTimerConfig, UaConfig, UaEvent};

use super::pair::{
    ALICE, BOB, STEP, a_addr, answered_call, b_addr, check_one_call, ended, hang_up_and_drain,
    run_for,
};
use super::phones::{Phones, config};

/// How the session is refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StKind {
    /// Both support the extension, no UPDATE: Alice refreshes by
    /// re-INVITE every 45 s (interval 90 s).
    ReInvite,
    /// Both support the extension and UPDATE: Alice refreshes by UPDATE
    /// without a body every 45 s (interval 90 s).
    Update,
    /// Alice does not know the extension: Bob (the UAS) refreshes by
    /// re-INVITE every 60 s (interval 120 s).
    PeerWithoutTimer,
}

impl StKind {
    pub(crate) const ALL: [Self; 3] = [Self::ReInvite, Self::Update, Self::PeerWithoutTimer];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::ReInvite => "StReInvite",
            Self::Update => "StUpdate",
            Self::PeerWithoutTimer => "StPeerWithoutTimer",
        }
    }

    /// The session interval, seconds.
    const fn interval(self) -> u64 {
        match self {
            Self::ReInvite | Self::Update => 90,
            Self::PeerWithoutTimer => 120,
        }
    }

    /// The agent that refreshes.
    const fn refresher(self) -> usize {
        match self {
            Self::ReInvite | Self::Update => ALICE,
            Self::PeerWithoutTimer => BOB,
        }
    }

    fn tweak(self, i: usize, mut c: UaConfig) -> UaConfig {
        let timer = SessionTimerConfig {
            session_expires: self.interval() as u32,
            min_se: 90,
        };
        c.session_timer = Some(timer);
        match self {
            Self::ReInvite => {}
            Self::Update => c.update = true,
            Self::PeerWithoutTimer if i == ALICE => c.session_timer = None,
            Self::PeerWithoutTimer => {}
        }
        c
    }
}

/// How long the call is held once up.
const HOLD: Duration = Duration::from_secs(300);

fn sdp(who: &str) -> Body {
    Body::sdp(format!("v=0\r\no={who} 1 1 IN IP4 192.0.2.1\r\ns=-\r\n").into_bytes())
}

fn world(kind: StKind, seed: u64, loss: f64) -> Phones {
    let mut w = Phones::lossy(seed, loss);
    w.add(
        kind.tweak(
            ALICE,
            config("alice", "atlanta.example.com", "192.0.2.101:5060"),
        ),
        "192.0.2.101",
        a_addr(),
        seed * 2 + 1,
    );
    w.add(
        kind.tweak(BOB, config("bob", "biloxi.example.com", "192.0.2.201:5060")),
        "192.0.2.201",
        b_addr(),
        seed * 2 + 2,
    );
    w
}

/// What one agent did with its session timer, watched step by step.
#[derive(Debug, Default, Clone)]
struct Watch {
    /// Events already looked at.
    seen: usize,
    /// When the session timer was last (re)started, as observed: the call
    /// came up or a SessionRefreshed was reported (at most one step after
    /// the agent started it).
    last_start: Option<Instant>,
    refreshes: usize,
    /// Re-INVITEs the application answered.
    reinvites: usize,
}

/// Runs one seed; returns the violations and the outcome.
pub(crate) fn run(kind: StKind, loss: f64, seed: u64) -> (Vec<String>, String) {
    match scenario(kind, loss, seed) {
        Ok(outcome) => (Vec::new(), outcome),
        Err(what) => (vec![what], "violation".to_owned()),
    }
}

fn scenario(kind: StKind, loss: f64, seed: u64) -> Result<String, String> {
    let mut w = world(kind, seed, loss);
    let (call, theirs, both_up) = answered_call(&mut w, sdp("alice"), sdp("bob"))?;
    let Some(h) = theirs.filter(|_| both_up) else {
        hang_up_and_drain(&mut w, call, theirs, false)?;
        return Ok("call not set up".to_owned());
    };
    let handles = [call, h];
    let up = w.now;
    let mut watch = [Watch::default(), Watch::default()];
    for (i, wt) in watch.iter_mut().enumerate() {
        wt.seen = w.phones[i].events.len();
        wt.last_start = Some(up);
    }
    let interval = Duration::from_secs(kind.interval());
    // [RFC 4028 §10 test] "The minimum of 32 seconds and one third of the
    // session interval is RECOMMENDED."
    let bye_after = interval - (interval / 3).min(Duration::from_secs(32));
    let mut violation: Option<String> = None;
    run_for(&mut w, HOLD, &mut check_one_call, &mut |w| {
        let now = w.now;
        for i in [ALICE, BOB] {
            let new: Vec<UaEvent> = w.phones[i].events[watch[i].seen..].to_vec();
            watch[i].seen = w.phones[i].events.len();
            for e in new {
                match e {
                    UaEvent::ReInvite { call: c, .. } => {
                        watch[i].reinvites += 1;
                        // The application answers a refresh with its
                        // unchanged description.
                        let who = if i == ALICE { "alice" } else { "bob" };
                        let _ = w.with(i, |ua, now| ua.answer(now, c, Some(sdp(who))));
                    }
                    UaEvent::SessionRefreshed { .. } => {
                        watch[i].refreshes += 1;
                        watch[i].last_start = Some(now);
                    }
                    UaEvent::Terminated {
                        reason: EndReason::SessionExpired,
                        ..
                    } => {
                        let last = watch[i].last_start.unwrap_or(up);
                        // The BYE is due `bye_after` after the timer's start,
                        // which came at most one step before `last`.
                        if now + STEP < last + bye_after {
                            violation.get_or_insert(format!(
                                "agent {i}: session expired {:?} after the last refresh \
                                 (BYE due after {bye_after:?})",
                                now - last
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        ended(w, ALICE).is_some() && ended(w, BOB).is_some()
    })?;
    if let Some(v) = violation {
        return Err(v);
    }
    let ends = [ended(&w, ALICE), ended(&w, BOB)];
    let alive = [
        w.ua(ALICE).is_established(handles[0]),
        w.ua(BOB).is_established(handles[1]),
    ];
    let refreshes = [watch[ALICE].refreshes, watch[BOB].refreshes];
    let outcome = if alive == [true, true] {
        // Every refresh the refresher started completed; at least those the
        // hold has room for (one every half interval, the last possibly
        // still in progress).
        let due = (HOLD.as_secs() / (kind.interval() / 2)) as usize - 1;
        let r = kind.refresher();
        if refreshes[r] < due {
            return Err(format!(
                "only {} refreshes by agent {r} in {HOLD:?} (at least {due} due)",
                refreshes[r]
            ));
        }
        // The other side reports each refresh it answered (its 2xx) — the
        // refresher may have missed the 2xx of the last one still. A peer
        // without the extension has no timer: its application answered
        // each refresh re-INVITE.
        let seen = if kind == StKind::PeerWithoutTimer {
            watch[1 - r].reinvites
        } else {
            refreshes[1 - r]
        };
        if seen + 1 < refreshes[r] {
            return Err(format!(
                "agent {r} refreshed {} times, its peer saw {seen}",
                refreshes[r]
            ));
        }
        "held with refreshes".to_owned()
    } else {
        if loss == 0.0 {
            return Err(format!(
                "the call ended without loss: {ends:?}, refreshes {refreshes:?}"
            ));
        }
        for (i, e) in ends.iter().enumerate() {
            match e {
                // Expired (checked above against the refresh times), a refresh
                // lost for 64*T1 or refused as unknown (RFC 4028 §10), or the
                // other side's BYE.
                Some(
                    EndReason::SessionExpired
                    | EndReason::DialogLost { status: 408 | 481 }
                    | EndReason::RemoteBye,
                )
                | None => {}
                Some(other) => return Err(format!("agent {i} ended with {other:?}")),
            }
        }
        format!("ended early ({:?} / {:?})", ends[0], ends[1])
    };
    hang_up_and_drain(&mut w, call, Some(h), false)?;
    Ok(outcome)
}
