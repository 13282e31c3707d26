//! Deterministic simulation of calls through the stateful proxy (RFC 3261
//! §16) between user agents ([`rtclite_sip::ua::UserAgent`]) on a hostile
//! network: four scenarios at 0 %, 10 % and 30 % loss (with duplication and
//! reordering), many seeds each, invariants checked after every step. The
//! run ends with `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
//!
//! Scenarios (Alice calls `sip:bob@biloxi.example.com` through the proxy as
//! her outbound proxy; the proxy Record-Routes, so ACK, PRACK and BYE go
//! through it too):
//! - `call`: Bob rings, answers, Alice hangs up;
//! - `fork`: Bob has two contacts; both ring, one answers, the other must
//!   receive a CANCEL and answer 487 (it never gets established);
//! - `cancel-race`: Alice CANCELs at a random moment while Bob answers at
//!   another: the call ends 487 or establishes (and is hung up);
//! - `register`: Bob registers through the proxy's registrar, which
//!   challenges him with digest (401); then Alice calls him at the contact
//!   he registered.
//!
//! Invariants after every step: no panic; the proxy holds at most a few
//! response contexts and transactions (bounded state); no proxy
//! transaction lives longer than its timers allow. At the end: every
//! transaction and context is gone, and every call ended established then
//! terminated, or failed with a status the RFC prescribes (at 0 % loss: the
//! successful outcome only).
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario (default 1000); `RTCLITE_SIM_SEED=S`
//! replays one seed of every scenario (`RTCLITE_SIM_TRACE=1` prints every
//! datagram delivered).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rtclite_sip::digest::Algorithm;
use rtclite_sip::proxy::{DigestAuth, ProxyEvent};
use rtclite_sip::registrar::{Binding, InMemoryLocationService, LocationService};
use rtclite_sip::ua::EndReason;

use sim::net::{Datagram, Net, NetConfig};
use sim::proxy_call::{
    ALICE, BOB1, BOB2, BOUNDS, Calls, END, Host, Then, Watch, proxy_config, proxy_with,
};
use sim::{replay_line, run_matrix};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call,
    Fork,
    CancelRace,
    Register,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Call => "call",
            Kind::Fork => "fork",
            Kind::CancelRace => "cancel-race",
            Kind::Register => "register",
        }
    }
}

struct World {
    kind: Kind,
    loss: f64,
    calls: Calls<DigestAuth>,
    watch: Events,
}

/// What the proxy reported; with `RTCLITE_SIM_TRACE`, every datagram
/// delivered is printed.
struct Events(Vec<ProxyEvent>);

impl Watch<DigestAuth> for Events {
    fn datagram(&mut self, calls: &Calls<DigestAuth>, d: &Datagram) {
        if std::env::var_os("RTCLITE_SIM_TRACE").is_some() {
            let text = String::from_utf8_lossy(&d.bytes);
            let first = text.lines().next().unwrap_or_default();
            let cseq = text
                .lines()
                .find(|l| l.starts_with("CSeq"))
                .unwrap_or_default();
            eprintln!(
                "{:>9.3} {} -> {}: {first} [{cseq}]",
                calls.now.duration_since(calls.t0).as_secs_f64(),
                d.from,
                d.to
            );
        }
    }

    fn proxy_event(&mut self, _calls: &mut Calls<DigestAuth>, e: ProxyEvent) {
        self.0.push(e);
    }
}

impl World {
    fn new(kind: Kind, loss: f64, seed: u64) -> Self {
        let t0 = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_0000);
        let mut between =
            |lo: u64, hi: u64| Duration::from_millis(lo + rng.next_u64() % (hi - lo + 1));
        let config = proxy_config(seed, BOUNDS.max_contexts);
        let mut location = InMemoryLocationService::new();
        let contacts: &[&str] = match kind {
            Kind::Call | Kind::CancelRace => &[BOB1],
            Kind::Fork => &[BOB1, BOB2],
            Kind::Register => &[],
        };
        if !contacts.is_empty() {
            let bindings = contacts
                .iter()
                .map(|c| Binding {
                    uri: format!("sip:bob@{c}"),
                    call_id: "pre".into(),
                    cseq: 1,
                    expires_at: t0 + Duration::from_secs(3600),
                    q: None,
                })
                .collect();
            location
                .replace("sip:bob@biloxi.example.com", bindings)
                .unwrap();
        }
        let auth = DigestAuth::new(
            "biloxi.example.com",
            [seed as u8; 32],
            Algorithm::Md5,
            t0,
            1_700_000_000,
        )
        .with_user("bob", "zanzibar");
        let proxy = proxy_with(config, location, auth);
        let mut alice = Host::new(
            ALICE,
            "alice",
            seed.wrapping_mul(3),
            Then::RingForever,
            false,
        );
        alice.hang_up_after = Some(between(500, 5000));
        let mut bob1 = Host::new(
            BOB1,
            "bob",
            seed.wrapping_mul(5),
            Then::RingForever,
            kind == Kind::Register,
        );
        bob1.then = Then::Answer(between(0, 2000));
        let mut bobs = vec![bob1];
        if kind == Kind::Fork {
            // The second contact rings and never answers.
            bobs.push(Host::new(
                BOB2,
                "bob",
                seed.wrapping_mul(7),
                Then::RingForever,
                false,
            ));
        }
        let call_at = Some(
            t0 + if kind == Kind::Register {
                Duration::from_secs(40)
            } else {
                Duration::ZERO
            },
        );
        let cancel_at = (kind == Kind::CancelRace).then(|| t0 + between(0, 2500));
        Self {
            kind,
            loss,
            calls: Calls::new(
                t0,
                Net::new(seed, NetConfig::lossy(loss)),
                proxy,
                alice,
                bobs,
                call_at,
                cancel_at,
                END,
                BOUNDS,
            ),
            watch: Events(Vec::new()),
        }
    }

    fn run(mut self) -> (Vec<String>, String) {
        if self.kind == Kind::Register {
            let now = self.calls.now;
            if let Err(e) = self.calls.bobs[0].ua.register(now) {
                self.calls.violation(format!("bob cannot register: {e}"));
            }
            self.calls.pump(&mut self.watch);
        }
        self.calls.run(&mut self.watch);
        self.check_end();
        let outcome = self.calls.alice.log.outcome();
        (self.calls.violations, outcome)
    }

    fn check_end(&mut self) {
        let lossless = self.loss == 0.0;
        self.calls.check_proxy_left();
        let a = self.calls.alice.log.clone();
        let bob = self.calls.bobs[0].log.clone();
        if self.calls.call.is_none() {
            self.calls.violation("Alice never placed the call".into());
            return;
        }
        // Whether the registrar bound Bob's contact (he may not have seen
        // the 200 under loss: that is his client's business).
        let bound = self.watch.0.iter().any(|e| {
            matches!(e, ProxyEvent::Registration { status: 200, contacts, .. }
                if contacts == &["sip:bob@192.0.2.4:5060".to_owned()])
        });
        self.calls.check_ended_once();
        let reason = a.ended.first().copied();
        if a.established > 0 {
            self.calls.check_established_end(lossless);
        } else {
            // Failed: with the status the RFC prescribes.
            let ok = match self.kind {
                Kind::CancelRace => {
                    matches!(
                        reason,
                        Some(EndReason::Cancelled | EndReason::Rejected { status: 487 })
                    ) || (!lossless
                        && matches!(
                            reason,
                            Some(EndReason::Timeout | EndReason::Rejected { status: 408 })
                        ))
                }
                // Bob never got a binding before the call: 404 (§16.5).
                Kind::Register if !bound => {
                    !lossless && matches!(reason, Some(EndReason::Rejected { status: 404 }))
                }
                // Under loss: the request or every answer lost (Timer B, 408
                // from the proxy's Timer C or B), or the caller gave up and
                // CANCELled.
                _ => {
                    !lossless
                        && matches!(
                            reason,
                            Some(
                                EndReason::Timeout
                                    | EndReason::Cancelled
                                    | EndReason::Rejected { status: 408 }
                            )
                        )
                }
            };
            if !ok {
                self.calls.violation(format!("call failed as {reason:?}"));
            }
        }
        if a.established > 1 {
            self.calls
                .violation(format!("Alice established {} times", a.established));
        }
        // Bob never holds a call Alice does not have.
        if bob.established > 0 && a.established == 0 && lossless {
            self.calls
                .violation("Bob established a call Alice never saw".into());
        }
        if self.kind == Kind::Fork {
            let other = self.calls.bobs[1].log.clone();
            if other.established > 0 && bob.established > 0 {
                self.calls.violation("both forks were established".into());
            }
            // The branch that only rang ends CANCELled (487).
            if bob.established > 0 && other.incoming > 0 {
                let ok = other
                    .ended
                    .iter()
                    .all(|r| matches!(r, EndReason::Cancelled | EndReason::Timeout));
                if !ok || (lossless && other.ended != [EndReason::Cancelled]) {
                    self.calls
                        .violation(format!("the other fork ended as {:?}", other.ended));
                }
            }
        }
        if self.kind == Kind::Register {
            if bob.incoming > 0 && !bound {
                self.calls
                    .violation("Bob was reached without a binding".into());
            }
            if lossless && !(bound && bob.registered) {
                self.calls
                    .violation("lossless registration did not complete".into());
            }
        }
        self.calls.check_no_calls_left();
    }
}

#[test]
fn sim_proxy() {
    let kinds = [Kind::Call, Kind::Fork, Kind::CancelRace, Kind::Register];
    let (violations, runs) = run_matrix(
        &kinds,
        Kind::name,
        [0.0, 0.10, 0.30],
        &|kind, loss, seed| World::new(kind, loss, seed).run(),
        &|kind, loss, seed, what| replay_line(kind.name(), loss, seed, &what, "sim_proxy"),
    );
    assert!(runs > 0);
    assert!(
        violations.is_empty(),
        "{} invariant violations",
        violations.len()
    );
}
