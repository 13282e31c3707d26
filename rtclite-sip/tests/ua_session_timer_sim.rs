//! Session timers (RFC 4028) between two `UserAgent`s under the
//! deterministic network simulator (`tests/sim`, scenarios in
//! `tests/sim/ua_st.rs`): calls with 90 s and 120 s session intervals held
//! for 300 s — refreshed by re-INVITE, by UPDATE, and by the callee for a
//! caller without the extension — at 0 %, 10 % and 30 % loss.
//!
//! After every step: no panic, bounded state, nothing after Terminated,
//! and no session declared expired before its interval less
//! min(32 s, interval / 3) had passed since the last refresh (no spurious
//! BYE). Without loss every call lasts the whole hold with every refresh
//! reported on both sides; with loss a call may end early only as RFC 4028
//! §10 says (expired, or a refresh lost for 64*T1). At the end nothing is
//! left in either agent.
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario (200 by default: each
//! seed holds a call for 300 simulated seconds); `RTCLITE_SIM_SEED=S`
//! replays one. The run ends with one line
//! `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::collections::BTreeMap;

use sim::ua_st::{StKind, run};

/// Seeds per scenario unless `RTCLITE_SIM_SEEDS` says otherwise.
const DEFAULT_SEEDS: u64 = 200;
const LOSSES: [f64; 3] = [0.0, 0.1, 0.3];

#[test]
fn ua_session_timer_sim() {
    let n = sim::seeds(DEFAULT_SEEDS);
    let seeds: Vec<u64> = match sim::replay_seed() {
        Some(s) => vec![s],
        None => (0..n).collect(),
    };
    // One thread per kind: the runs are independent and deterministic.
    let results: Vec<(String, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = StKind::ALL
            .iter()
            .map(|&kind| {
                let seeds = &seeds;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for loss in LOSSES {
                        let mut tally: BTreeMap<String, u64> = BTreeMap::new();
                        let mut violations = Vec::new();
                        for &seed in seeds {
                            let (v, outcome) = run(kind, loss, seed);
                            violations.extend(v.into_iter().map(|what| {
                                sim::replay_line(
                                    kind.name(),
                                    loss,
                                    seed,
                                    &what,
                                    "ua_session_timer_sim",
                                )
                            }));
                            *tally.entry(outcome).or_default() += 1;
                        }
                        let tally: Vec<String> =
                            tally.iter().map(|(k, v)| format!("{k} x {v}")).collect();
                        out.push((
                            format!(
                                "{} at {:.0}% loss: {}",
                                kind.name(),
                                loss * 100.0,
                                tally.join(", ")
                            ),
                            violations,
                        ));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("scenario thread"))
            .collect()
    });
    let mut violations = Vec::new();
    for (line, v) in results {
        println!("{line}");
        violations.extend(v);
    }
    for v in violations.iter().take(20) {
        eprintln!("violation: {v}");
    }
    println!(
        "sim: {} scenarios x {} seeds, {} invariant violations",
        StKind::ALL.len() * LOSSES.len(),
        seeds.len(),
        violations.len()
    );
    assert!(
        violations.is_empty(),
        "{} invariant violations",
        violations.len()
    );
}
