//! A deterministic network simulator for the sans-IO SIP state machines:
//! virtual time, several hosts, and a network that loses, duplicates,
//! delays and reorders datagrams under a seed. See `net.rs` for the
//! network and `../sim_transactions.rs` for the scenarios.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod msg;
pub(crate) mod net;
pub(crate) mod pair;
pub(crate) mod phones;
pub(crate) mod proxy;
pub(crate) mod proxy_call;
pub(crate) mod registrar_host;
pub(crate) mod ua_drive;
pub(crate) mod ua_st;

/// Seeds per scenario: `RTCLITE_SIM_SEEDS`, else `default`.
pub(crate) fn seeds(default: u64) -> u64 {
    std::env::var("RTCLITE_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// One seed to replay (`RTCLITE_SIM_SEED`), if set.
pub(crate) fn replay_seed() -> Option<u64> {
    std::env::var("RTCLITE_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
}

/// An invariant that did not hold, with what is needed to replay it.
#[derive(Debug, Clone)]
pub(crate) struct Violation {
    pub(crate) scenario: String,
    pub(crate) seed: u64,
    pub(crate) what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} seed {}: {} (replay: RTCLITE_SIM_SEED={} cargo test -p rtclite-sip --test sim_transactions -- --nocapture)",
            self.scenario, self.seed, self.what, self.seed
        )
    }
}

/// A violation as the scenario sims report it: the scenario, the loss
/// rate, the seed, what did not hold, and how to replay it with `--test
/// {test}`.
pub(crate) fn replay_line(name: &str, loss: f64, seed: u64, what: &str, test: &str) -> String {
    format!(
        "{name} at {:.0}% loss, seed {seed}: {what} (replay: RTCLITE_SIM_SEED={seed} cargo test -p rtclite-sip --test {test} -- --nocapture)",
        loss * 100.0
    )
}

/// Runs every scenario kind (one thread each: the runs are independent and
/// deterministic, so the order of execution changes nothing) at every loss
/// rate for every seed ([`seeds`] with 1000 by default, or the one
/// [`replay_seed`]). `run` gives a run's violations and outcome, `describe`
/// says a violation. Prints the tally of outcomes per kind and loss, the
/// first 20 violations and the `sim:` line. Returns the violations and the
/// number of runs.
pub(crate) fn run_matrix<K: Copy + Send + Sync, V: Send>(
    kinds: &[K],
    name: fn(K) -> &'static str,
    losses: [f64; 3],
    run: &(dyn Fn(K, f64, u64) -> (Vec<V>, String) + Sync),
    describe: &(dyn Fn(K, f64, u64, V) -> String + Sync),
) -> (Vec<String>, u64) {
    let n = seeds(1000);
    let only = replay_seed();
    let seeds: Vec<u64> = match only {
        Some(s) => vec![s],
        None => (0..n).collect(),
    };
    let results: Vec<(String, Vec<String>, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = kinds
            .iter()
            .map(|&kind| {
                let seeds = &seeds;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for loss in losses {
                        let mut violations = Vec::new();
                        let mut runs = 0u64;
                        let mut tally: std::collections::BTreeMap<String, u64> = Default::default();
                        for &seed in seeds {
                            runs += 1;
                            let (v, outcome) = run(kind, loss, seed);
                            violations.extend(v.into_iter().map(|v| describe(kind, loss, seed, v)));
                            *tally.entry(outcome).or_default() += 1;
                        }
                        let tally: Vec<String> =
                            tally.iter().map(|(k, v)| format!("{k} x {v}")).collect();
                        let line = format!(
                            "{} at {:.0}% loss: {}",
                            name(kind),
                            loss * 100.0,
                            tally.join(", ")
                        );
                        out.push((line, violations, runs));
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
    let mut runs = 0;
    for (line, v, r) in results {
        println!("{line}");
        violations.extend(v);
        runs += r;
    }
    for v in violations.iter().take(20) {
        eprintln!("violation: {v}");
    }
    println!(
        "sim: {} scenarios x {} seeds, {} invariant violations",
        kinds.len() * losses.len(),
        if only.is_some() { 1 } else { n },
        violations.len()
    );
    (violations, runs)
}
