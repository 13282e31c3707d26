//! Per-source reception statistics: sequence tracking and probation
//! (RFC 3550 Appendix A.1), loss (A.3) and interarrival jitter (A.8).

/// Largest forward jump still counted as in sequence (RFC 3550 A.1).
pub const MAX_DROPOUT: u16 = 3000;
/// Largest backward step treated as reordering, not a restart (A.1).
pub const MAX_MISORDER: u16 = 100;
/// Sequential packets required before a new source is valid (A.1).
pub const MIN_SEQUENTIAL: u8 = 2;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// What [`SequenceTracker::update`] decided about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeqVerdict {
    /// The packet is valid and was counted.
    Valid,
    /// The source is still on probation; the packet was not counted.
    Probation,
    /// A very large jump: not counted unless the next packet follows it, in
    /// which case the tracker restarts.
    BadJump,
    /// Two sequential packets after a large jump: the source restarted and
    /// its statistics were reset; the packet was counted.
    Restarted,
}

/// The sequence-number state of one source, exactly as RFC 3550 Appendix
/// A.1 `init_seq` / `update_seq` and A.3 describe it.
///
/// One deliberate difference from the C text: the probation test
/// `seq == max_seq + 1` is done modulo 2^16, so a source whose probation
/// straddles 65535 → 0 validates (the C code, through integer promotion,
/// would reject that pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceTracker {
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u8,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
}

impl SequenceTracker {
    /// State for a source first heard with sequence number `seq`; the
    /// packet itself must then be passed to [`update`](Self::update).
    pub fn new(seq: u16) -> Self {
        let mut s = Self {
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: 0,
            probation: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
        };
        s.init(seq);
        // [RFC 3550 §A.1] "s->probation is set to the number of sequential
        // packets required before declaring a source valid"
        s.max_seq = seq.wrapping_sub(1);
        s.probation = MIN_SEQUENTIAL;
        s
    }

    fn init(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Feeds one packet's sequence number (RFC 3550 A.1 `update_seq`).
    pub fn update(&mut self, seq: u16) -> SeqVerdict {
        let udelta = seq.wrapping_sub(self.max_seq);
        // [RFC 3550 §A.1] "a source is declared valid only after
        // MIN_SEQUENTIAL packets have been received in sequence"
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init(seq);
                    self.received += 1;
                    return SeqVerdict::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqVerdict::Probation;
        }
        let mut verdict = SeqVerdict::Valid;
        if udelta < MAX_DROPOUT {
            // [RFC 3550 §A.1] "If the new sequence number is ahead of max_seq
            // modulo the RTP sequence number range (16 bits), but is smaller
            // than max_seq, it has wrapped around and the (shifted) count of
            // sequence number cycles is incremented."
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            // [RFC 3550 §A.1] "If the next packet received carries the next
            // higher sequence number, it is considered the valid start of a
            // new packet sequence presumably caused by an extended dropout or
            // a source restart."
            if u32::from(seq) == self.bad_seq {
                self.init(seq);
                verdict = SeqVerdict::Restarted;
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                return SeqVerdict::BadJump;
            }
        }
        // else: duplicate or reordered packet, counted as received.
        self.received = self.received.wrapping_add(1);
        verdict
    }

    /// True once probation is over.
    pub fn is_valid(&self) -> bool {
        self.probation == 0
    }

    /// The highest sequence number received, extended with the cycle count.
    pub fn extended_max(&self) -> u32 {
        // [RFC 3550 §A.3] "extended_max = s->cycles + s->max_seq;"
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected since the base sequence number.
    pub fn expected(&self) -> u32 {
        // [RFC 3550 §A.3] "expected = extended_max - s->base_seq + 1;"
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets received (late and duplicate ones included).
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Cumulative packets lost, clamped to the signed 24-bit range.
    pub fn cumulative_lost(&self) -> i32 {
        // [RFC 3550 §A.3] "lost = expected - s->received;"
        let lost = i64::from(self.expected()) - i64::from(self.received);
        lost.clamp(-0x80_0000, 0x7f_ffff) as i32
    }

    /// The fraction lost since the previous call, as an 8-bit fixed point
    /// number; updates the interval counters (RFC 3550 A.3).
    pub fn take_fraction_lost(&mut self) -> u8 {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        // [RFC 3550 §A.3] "if (expected_interval == 0 || lost_interval <= 0)
        // fraction = 0;"
        if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        }
    }
}

/// Interarrival jitter estimate (RFC 3550 §6.4.1, Appendix A.8), kept as
/// an integer scaled by 16 to reduce round-off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JitterEstimator {
    transit: Option<u32>,
    scaled: u64,
}

impl JitterEstimator {
    /// A fresh estimator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one packet: its arrival time and its RTP timestamp, both in
    /// timestamp units. The first packet only sets the reference transit
    /// time.
    pub fn update(&mut self, arrival: u32, rtp_timestamp: u32) {
        // [RFC 3550 §A.8] "int transit = arrival - r->ts;"
        let transit = arrival.wrapping_sub(rtp_timestamp);
        if let Some(prev) = self.transit {
            let d = u64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            // [RFC 3550 §A.8] "s->jitter += d - ((s->jitter + 8) >> 4);"
            // [RFC 3550 §6.4.1] "The jitter calculation MUST conform to the formula specified here"
            self.scaled = self.scaled + d - ((self.scaled + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// The jitter in timestamp units, as carried in a report block.
    pub fn jitter(&self) -> u32 {
        // [RFC 3550 §A.8] "rr->jitter = s->jitter >> 4;"
        (self.scaled >> 4).min(u64::from(u32::MAX)) as u32
    }
}
