//! The simulated network: datagrams between addresses, each lost,
//! duplicated and delayed (so reordered) by a seeded RNG.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// How hostile the network is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NetConfig {
    /// Probability that a datagram is lost.
    pub(crate) loss: f64,
    /// Probability that a delivered datagram is delivered twice.
    pub(crate) duplicate: f64,
    /// One-way delay range; a random delay per datagram reorders them.
    pub(crate) delay_min: Duration,
    pub(crate) delay_max: Duration,
}

impl NetConfig {
    /// `loss` (0.0-1.0), duplication at a third of it, 5-150 ms delay.
    pub(crate) fn lossy(loss: f64) -> Self {
        Self {
            loss,
            duplicate: loss / 3.0,
            delay_min: Duration::from_millis(5),
            delay_max: Duration::from_millis(150),
        }
    }
}

/// A datagram in flight.
#[derive(Debug, Clone)]
pub(crate) struct Datagram {
    pub(crate) from: SocketAddr,
    pub(crate) to: SocketAddr,
    pub(crate) bytes: Bytes,
}

/// The network.
pub(crate) struct Net {
    rng: ChaCha8Rng,
    config: NetConfig,
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    in_flight: HashMap<u64, Datagram>,
    next: u64,
    /// Datagrams handed to the network.
    pub(crate) sent: u64,
    /// Datagrams it dropped.
    pub(crate) lost: u64,
}

impl Net {
    pub(crate) fn new(seed: u64, config: NetConfig) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            config,
            queue: BinaryHeap::new(),
            in_flight: HashMap::new(),
            next: 0,
            sent: 0,
            lost: 0,
        }
    }

    /// A uniform number in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        f64::from(self.rng.next_u32()) / (f64::from(u32::MAX) + 1.0)
    }

    /// A uniform duration in [lo, hi].
    pub(crate) fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = hi.saturating_sub(lo).as_micros() as u64;
        lo + Duration::from_micros(self.rng.next_u64() % (span + 1))
    }

    pub(crate) fn send(&mut self, now: Instant, d: Datagram) {
        self.sent += 1;
        if self.unit() < self.config.loss {
            self.lost += 1;
            return;
        }
        let copies = if self.unit() < self.config.duplicate {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self.between(self.config.delay_min, self.config.delay_max);
            self.next += 1;
            self.queue.push(Reverse((now + delay, self.next)));
            self.in_flight.insert(self.next, d.clone());
        }
    }

    /// When the next datagram arrives.
    pub(crate) fn next_time(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _))| *at)
    }

    /// The next datagram due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Datagram> {
        let Reverse((at, id)) = *self.queue.peek()?;
        if at > now {
            return None;
        }
        self.queue.pop();
        self.in_flight.remove(&id)
    }

    /// Datagrams still in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}
