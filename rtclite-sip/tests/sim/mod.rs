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
