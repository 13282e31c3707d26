//! An adaptive jitter buffer for fixed-duration audio frames, sans-IO.
//!
//! Packets go in with [`JitterBuffer::push`] as they arrive; the caller asks
//! for one frame per frame period with [`JitterBuffer::pop`] (or when
//! [`JitterBuffer::poll_timeout`] is due) and gets either the frame or a
//! [`Playout::Lost`] telling it to conceal one frame.
//!
//! - **Playout time**: a frame with timestamp `ts` plays at
//!   `ts + min_transit + delay`, where `min_transit` is the smallest
//!   observed transit time (arrival minus timestamp, tracked with slow
//!   upward drift so a clock skew or route change is followed) and `delay`
//!   the adaptive target.
//! - **Adaptation**: the target is `4 × jitter + one frame`, clamped to
//!   `[min_delay, max_delay]`, with jitter estimated as in RFC 3550 §6.4.1.
//!   It grows at once and shrinks by at most 1/16 of the gap per frame, so
//!   playout does not skip under short calm periods.
//! - **Reordering, duplicates, late packets**: slots are indexed by sequence
//!   number, so a reordered packet lands in its slot; a second copy is
//!   reported as duplicate; one whose frame was already played or concealed
//!   is late.
//! - **Bounded memory**: `capacity` slots, each with a payload buffer
//!   reused from frame to frame; payloads longer than `max_payload` are
//!   rejected.

use std::time::{Duration, Instant};

/// Parameters of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct JitterConfig {
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Timestamp units per frame (160 for 20 ms at 8 kHz).
    pub frame_units: u32,
    /// Smallest playout delay.
    pub min_delay: Duration,
    /// Largest playout delay; packets later than this are lost.
    pub max_delay: Duration,
    /// Slots (frames) held at most.
    pub capacity: usize,
    /// Largest payload accepted, in octets.
    pub max_payload: usize,
}

impl JitterConfig {
    /// A configuration for `frame_units`-unit frames at `clock_rate` Hz with
    /// 20 ms–500 ms delay, 64 slots and 1500-octet payloads.
    pub fn new(clock_rate: u32, frame_units: u32) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            frame_units: frame_units.max(1),
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(500),
            capacity: 64,
            max_payload: 1500,
        }
    }
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// Stored for playout.
    Stored,
    /// The same sequence number is already stored.
    Duplicate,
    /// Its frame was already played or concealed.
    Late,
    /// Too far ahead of the playout point for the buffer; dropped.
    TooEarly,
    /// Payload longer than `max_payload`; dropped.
    TooLarge,
}

/// One frame of playout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Playout<'a> {
    /// The frame arrived in time.
    Frame {
        /// Its sequence number.
        seq: u16,
        /// Its RTP timestamp.
        timestamp: u32,
        /// Its payload.
        payload: &'a [u8],
    },
    /// The frame is missing: conceal one frame.
    Lost {
        /// The missing sequence number.
        seq: u16,
        /// The timestamp the frame would have had.
        timestamp: u32,
    },
}

/// Counters of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Frames played from received packets.
    pub played: u64,
    /// Frames concealed (never arrived, or arrived after their playout).
    pub lost: u64,
    /// Packets that arrived after their frame was played or concealed.
    pub late: u64,
    /// Duplicate packets.
    pub duplicates: u64,
    /// Packets dropped as too early or too large.
    pub dropped: u64,
}

#[derive(Debug, Clone, Default)]
struct Slot {
    full: bool,
    seq: u16,
    timestamp: u32,
    payload: Vec<u8>,
}

/// An adaptive jitter buffer; see the module documentation.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    cfg: JitterConfig,
    start: Instant,
    slots: Vec<Slot>,
    /// Next sequence number and timestamp to play, once started.
    next: Option<(u16, u32)>,
    /// Reference: first timestamp seen (for unwrapping).
    base_ts: Option<u32>,
    /// Smallest transit seen, in timestamp units (arrival - ts).
    min_transit: Option<i64>,
    last_transit: Option<i64>,
    /// Jitter estimate in timestamp units, scaled by 16.
    jitter16: i64,
    /// Current target delay in timestamp units.
    delay: i64,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer; `now` is the time origin.
    pub fn new(cfg: JitterConfig, now: Instant) -> Self {
        let mut cfg = cfg;
        cfg.capacity = cfg.capacity.clamp(2, 4096);
        let delay = Self::units_of(&cfg, cfg.min_delay);
        Self {
            cfg,
            start: now,
            slots: vec![Slot::default(); cfg.capacity],
            next: None,
            base_ts: None,
            min_transit: None,
            last_transit: None,
            jitter16: 0,
            delay,
            stats: JitterStats::default(),
        }
    }

    fn units_of(cfg: &JitterConfig, d: Duration) -> i64 {
        (d.as_nanos() * u128::from(cfg.clock_rate) / 1_000_000_000) as i64
    }

    fn units_since_start(&self, now: Instant) -> i64 {
        Self::units_of(&self.cfg, now.saturating_duration_since(self.start))
    }

    /// Unwrapped timestamp relative to the first one seen.
    fn ts_rel(&self, ts: u32) -> i64 {
        let base = self.base_ts.unwrap_or(ts);
        i64::from(ts.wrapping_sub(base) as i32)
    }

    /// The current target playout delay.
    pub fn delay(&self) -> Duration {
        Duration::from_nanos(
            (self.delay.max(0) as u64).saturating_mul(1_000_000_000)
                / u64::from(self.cfg.clock_rate),
        )
    }

    /// The interarrival jitter estimate, in timestamp units.
    pub fn jitter(&self) -> u32 {
        (self.jitter16 >> 4) as u32
    }

    /// The counters.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Frames currently stored.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.full).count()
    }

    /// True when no frame is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stores one received packet.
    pub fn push(&mut self, now: Instant, seq: u16, timestamp: u32, payload: &[u8]) -> PushOutcome {
        if payload.len() > self.cfg.max_payload {
            self.stats.dropped += 1;
            return PushOutcome::TooLarge;
        }
        self.base_ts.get_or_insert(timestamp);
        let arrival = self.units_since_start(now);
        let transit = arrival - self.ts_rel(timestamp);
        self.observe(transit);
        let (next_seq, _) = *self.next.get_or_insert((seq, timestamp));
        let ahead = seq.wrapping_sub(next_seq);
        if ahead >= 0x8000 {
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        if usize::from(ahead) >= self.slots.len() {
            self.stats.dropped += 1;
            return PushOutcome::TooEarly;
        }
        let idx = usize::from(seq) % self.slots.len();
        let slot = &mut self.slots[idx];
        if slot.full && slot.seq == seq {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        slot.full = true;
        slot.seq = seq;
        slot.timestamp = timestamp;
        slot.payload.clear();
        slot.payload.extend_from_slice(payload);
        PushOutcome::Stored
    }

    fn observe(&mut self, transit: i64) {
        // The playout reference follows the fastest packets; it drifts up
        // by one unit per packet so that a lasting increase of the base
        // delay (clock skew, route change) is eventually followed.
        self.min_transit = Some(match self.min_transit {
            Some(m) if transit >= m => m + 1,
            _ => transit,
        });
        if let Some(last) = self.last_transit {
            // RFC 3550 §6.4.1 estimator, integer form scaled by 16.
            let d = (transit - last).abs();
            self.jitter16 += d - ((self.jitter16 + 8) >> 4);
        }
        self.last_transit = Some(transit);
        let target = (4 * (self.jitter16 >> 4) + i64::from(self.cfg.frame_units)).clamp(
            Self::units_of(&self.cfg, self.cfg.min_delay),
            Self::units_of(&self.cfg, self.cfg.max_delay),
        );
        if target > self.delay {
            self.delay = target;
        } else {
            self.delay -= (self.delay - target) / 16;
        }
    }

    /// When the next frame is due, once the first packet arrived.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let (_, ts) = self.next?;
        let due = self.ts_rel(ts) + self.min_transit? + self.delay;
        let nanos = due.max(0) as u128 * 1_000_000_000 / u128::from(self.cfg.clock_rate);
        let d = Duration::from_nanos(nanos.min(u128::from(u64::MAX)) as u64);
        // Far-future times saturate at the origin plus a year rather than
        // overflowing `Instant`.
        self.start
            .checked_add(d)
            .or_else(|| self.start.checked_add(Duration::from_secs(365 * 86_400)))
    }

    /// The next frame if its playout time has come: the stored frame, or
    /// [`Playout::Lost`] when it is missing.
    pub fn pop(&mut self, now: Instant) -> Option<Playout<'_>> {
        let due = self.poll_timeout()?;
        if now < due {
            return None;
        }
        let (seq, ts) = self.next?;
        self.next = Some((seq.wrapping_add(1), ts.wrapping_add(self.cfg.frame_units)));
        let idx = usize::from(seq) % self.slots.len();
        let slot = &mut self.slots[idx];
        if slot.full && slot.seq == seq {
            slot.full = false;
            self.stats.played += 1;
            // Follow the sender's timestamps (they may jump at a talk spurt).
            let next_ts = slot.timestamp.wrapping_add(self.cfg.frame_units);
            self.next = Some((seq.wrapping_add(1), next_ts));
            let slot = &self.slots[idx];
            return Some(Playout::Frame {
                seq,
                timestamp: slot.timestamp,
                payload: &slot.payload,
            });
        }
        self.stats.lost += 1;
        Some(Playout::Lost { seq, timestamp: ts })
    }
}
