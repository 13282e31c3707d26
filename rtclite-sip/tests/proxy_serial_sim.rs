//! Deterministic simulation of sequential forking by q-value (RFC 3261
//! §16.6) through the stateful proxy, between user agents
//! ([`rtclite_sip::ua::UserAgent`]) on the simulated network of
//! `sim/net.rs` (seeded loss, duplication, delay and reordering): four
//! scenarios at 0 %, 10 % and 30 % loss, many seeds each, invariants
//! checked after every step. The run ends with
//! `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
//!
//! Bob has two contacts, q=1.0 on 192.0.2.4 (Bob1) and q=0.5 on 192.0.2.5
//! (Bob2); the proxy forks sequentially with a 10 s group time. Alice calls
//! `sip:bob@biloxi.example.com` with the proxy as her outbound proxy:
//! - `serial-busy`: Bob1 answers 486 after a moment, Bob2 answers 200; Alice
//!   hangs up;
//! - `serial-timeout`: Bob1 rings forever, so the group time CANCELs it and
//!   Bob2 answers;
//! - `serial-6xx`: Bob1 declines with 603; Bob2 would answer;
//! - `serial-cancel`: Bob1 rings forever, Bob2 answers after a while, and
//!   Alice CANCELs at a random moment in either group.
//!
//! Invariants after every step: no proxy timer due now survives
//! `handle_timeout`; the proxy holds a bounded number of response contexts
//! and transactions, none older than its timers allow; the
//! second group never starts after the proxy received a 6xx or Alice's
//! CANCEL, nor while the first group is still live (before its final
//! response arrived or its 10 s ran out). At the end: no context or
//! transaction left, Alice's call ended exactly once (established then
//! terminated, or failed with the status the RFC prescribes), never both
//! contacts established, no user agent holding a call; at 0 % loss the
//! exact outcome of each scenario.
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario (default 1000);
//! `RTCLITE_SIM_SEED=S` replays one seed of every scenario.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rtclite_sip::proxy::{DefaultPolicy, Forking, ProxyConfig, ProxyEvent};
use rtclite_sip::registrar::{Binding, InMemoryLocationService, LocationService};
use rtclite_sip::ua::EndReason;

use sim::net::{Datagram, Net, NetConfig};
use sim::proxy_call::{
    ALICE, BOB1, BOB2, BOUNDS, Calls, END, Host, PROXY, Then, Watch, addr, proxy_config, proxy_with,
};
use sim::{replay_line, run_matrix};

const GROUP_TIME: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Busy,
    Timeout,
    Decline,
    Cancel,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Busy => "serial-busy",
            Kind::Timeout => "serial-timeout",
            Kind::Decline => "serial-6xx",
            Kind::Cancel => "serial-cancel",
        }
    }
}

struct World {
    kind: Kind,
    loss: f64,
    calls: Calls<DefaultPolicy>,
    watch: Groups,
}

/// What the proxy did with the groups, and when.
#[derive(Default)]
struct Groups {
    /// When the proxy started each group (RequestRouted events).
    groups: Vec<Instant>,
    /// When the proxy first received a 6xx, and Alice's CANCEL.
    got_6xx: Option<Instant>,
    got_cancel: Option<Instant>,
    /// When the proxy first received a final response from Bob1.
    bob1_final: Option<Instant>,
}

impl Watch<DefaultPolicy> for Groups {
    fn datagram(&mut self, calls: &Calls<DefaultPolicy>, d: &Datagram) {
        if d.to != addr(PROXY) {
            return;
        }
        let text = String::from_utf8_lossy(&d.bytes);
        let first = text.lines().next().unwrap_or_default();
        let invite = text
            .lines()
            .any(|l| l.starts_with("CSeq") && l.ends_with("INVITE"));
        if first.starts_with("SIP/2.0 6") && self.got_6xx.is_none() {
            self.got_6xx = Some(calls.now);
        }
        if first.starts_with("CANCEL") && d.from == addr(ALICE) && self.got_cancel.is_none() {
            self.got_cancel = Some(calls.now);
        }
        let is_final = first
            .strip_prefix("SIP/2.0 ")
            .and_then(|r| r.get(..3))
            .and_then(|c| c.parse::<u16>().ok())
            .is_some_and(|c| c >= 200);
        if is_final && invite && d.from == addr(BOB1) && self.bob1_final.is_none() {
            self.bob1_final = Some(calls.now);
        }
    }

    fn proxy_event(&mut self, calls: &mut Calls<DefaultPolicy>, e: ProxyEvent) {
        if let ProxyEvent::RequestRouted { method, .. } = &e {
            if method == "INVITE" {
                self.group_started(calls);
            }
        }
    }
}

impl Groups {
    /// The proxy forwarded the INVITE to a new group: check that it may.
    fn group_started(&mut self, calls: &mut Calls<DefaultPolicy>) {
        let now = calls.now;
        self.groups.push(now);
        if self.groups.len() == 1 {
            return;
        }
        if self.groups.len() > 2 {
            calls.violation(format!(
                "{} groups started for two contacts",
                self.groups.len()
            ));
        }
        if let Some(t) = self.got_6xx {
            calls.violation(format!(
                "group 2 started {:?} after a 6xx reached the proxy",
                now - t
            ));
        }
        if let Some(t) = self.got_cancel {
            calls.violation(format!(
                "group 2 started {:?} after the caller's CANCEL",
                now - t
            ));
        }
        // Group 1 ends by its final response, its time, or (when nothing
        // reaches Bob1) Timer B, which is longer than the group time.
        let started = self.groups[0];
        if self.bob1_final.is_none() && now - started < GROUP_TIME {
            calls.violation(format!(
                "group 2 started {:?} into a live group 1",
                now - started
            ));
        }
    }
}

impl World {
    fn new(kind: Kind, loss: f64, seed: u64) -> Self {
        let t0 = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e71_a100);
        let mut between =
            |lo: u64, hi: u64| Duration::from_millis(lo + rng.next_u64() % (hi - lo + 1));
        let config = ProxyConfig {
            forking: Forking::Sequential {
                group_timeout: Some(GROUP_TIME),
            },
            ..proxy_config(seed, BOUNDS.max_contexts)
        };
        let mut location = InMemoryLocationService::new();
        let binding = |c: &str, q: u16| Binding {
            uri: format!("sip:bob@{c}"),
            call_id: "pre".into(),
            cseq: 1,
            expires_at: t0 + Duration::from_secs(3600),
            q: Some(q),
        };
        // The low-q contact first: the proxy orders them.
        location
            .replace(
                "sip:bob@biloxi.example.com",
                vec![binding(BOB2, 500), binding(BOB1, 1000)],
            )
            .unwrap();
        let proxy = proxy_with(config, location, DefaultPolicy);
        let bob1_then = match kind {
            Kind::Busy => Then::Reject(between(0, 3000), 486),
            Kind::Decline => Then::Reject(between(0, 3000), 603),
            Kind::Timeout | Kind::Cancel => Then::RingForever,
        };
        let bob2_then = Then::Answer(between(0, 4000));
        let mut alice = Host::new(
            ALICE,
            "alice",
            seed.wrapping_mul(3),
            Then::RingForever,
            false,
        );
        alice.hang_up_after = Some(between(500, 3000));
        let bobs = vec![
            Host::new(BOB1, "bob", seed.wrapping_mul(5), bob1_then, false),
            Host::new(BOB2, "bob", seed.wrapping_mul(7), bob2_then, false),
        ];
        let cancel_at = (kind == Kind::Cancel).then(|| t0 + between(0, 15_000));
        Self {
            kind,
            loss,
            calls: Calls::new(
                t0,
                Net::new(seed, NetConfig::lossy(loss)),
                proxy,
                alice,
                bobs,
                Some(t0),
                cancel_at,
                END,
                BOUNDS,
            ),
            watch: Groups::default(),
        }
    }

    fn run(mut self) -> (Vec<String>, String) {
        let guard = self.calls.run(&mut self.watch);
        self.check_end();
        if std::env::var_os("RTCLITE_SIM_TRACE").is_some() {
            eprintln!(
                "{}: {guard} steps, {} datagrams, ended at {:?}",
                self.kind.name(),
                self.calls.net.sent,
                self.calls.now - self.calls.t0
            );
        }
        let outcome = self.calls.alice.log.outcome();
        (self.calls.violations, outcome)
    }

    fn check_end(&mut self) {
        let lossless = self.loss == 0.0;
        self.calls.check_proxy_left();
        let a = self.calls.alice.log.clone();
        let (b1, b2) = (
            self.calls.bobs[0].log.clone(),
            self.calls.bobs[1].log.clone(),
        );
        self.calls.check_ended_once();
        if a.established > 1 {
            self.calls
                .violation(format!("Alice established {} times", a.established));
        }
        if b1.established > 0 && b2.established > 0 {
            self.calls
                .violation("both contacts were established".into());
        }
        if b1.established > 0 && matches!(self.kind, Kind::Busy | Kind::Decline) {
            self.calls
                .violation("Bob1 established although he only rejects".into());
        }
        let reason = a.ended.first().copied();
        if a.established > 0 {
            self.calls.check_established_end(lossless);
        } else {
            let lost = !lossless
                && matches!(
                    reason,
                    Some(
                        EndReason::Timeout
                            | EndReason::Cancelled
                            | EndReason::Rejected { status: 408 }
                    )
                );
            let ok = match self.kind {
                // Failed only by loss (the 200 of Bob2 never arrived...).
                Kind::Busy | Kind::Timeout => lost,
                // The 603 is the best response (§16.7 step 6); under loss
                // Bob1 may never have been reached, and Bob2's 200 may be
                // lost too.
                Kind::Decline => reason == Some(EndReason::Rejected { status: 603 }) || lost,
                // Cancelled in group 1 or 2: 487 for the INVITE; or the best
                // of Bob1's 487 and ... all 4xx.
                Kind::Cancel => {
                    matches!(
                        reason,
                        Some(EndReason::Cancelled | EndReason::Rejected { status: 487 })
                    ) || lost
                }
            };
            if !ok {
                self.calls.violation(format!("call failed as {reason:?}"));
            }
        }
        if lossless {
            let expect = match self.kind {
                Kind::Busy | Kind::Timeout => b2.established == 1 && a.established == 1,
                Kind::Decline => b2.incoming == 0 && a.established == 0,
                Kind::Cancel => true,
            };
            if !expect {
                self.calls.violation(format!(
                    "lossless outcome: alice {a:?}, bob1 {b1:?}, bob2 {b2:?}"
                ));
            }
            // The ringing first contact is CANCELled by the group time.
            if self.kind == Kind::Timeout && b1.ended != [EndReason::Cancelled] {
                self.calls
                    .violation(format!("Bob1 ended as {:?}", b1.ended));
            }
            if self.kind == Kind::Decline && self.watch.groups.len() != 1 {
                self.calls
                    .violation(format!("{} groups after a 603", self.watch.groups.len()));
            }
        }
        self.calls.check_no_calls_left();
    }
}

#[test]
fn proxy_serial_sim() {
    let kinds = [Kind::Busy, Kind::Timeout, Kind::Decline, Kind::Cancel];
    let (violations, _) = run_matrix(
        &kinds,
        Kind::name,
        [0.0, 0.10, 0.30],
        &|kind, loss, seed| World::new(kind, loss, seed).run(),
        &|kind, loss, seed, what| replay_line(kind.name(), loss, seed, &what, "proxy_serial_sim"),
    );
    assert!(
        violations.is_empty(),
        "{} invariant violations",
        violations.len()
    );
}
