//! Real-time text (RFC 4103): T140blocks carried with RFC 2198 redundancy,
//! a sender that keeps the last generations and a receiver that recovers
//! lost blocks from redundancy and marks what cannot be recovered.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::red::{RedBlock, RedError, RedPayload, write_red};

/// RTP clock rate of text/t140 (RFC 4103 §3.5).
pub const T140_CLOCK_RATE: u32 = 1000;
/// The missing text marker (U+FFFD) inserted for each lost T140block, as
/// ITU-T T.140 Addendum 1 specifies.
pub const MISSING_TEXT_MARKER: &str = "\u{fffd}";
/// The number of redundant generations to send when nothing else is
/// known about the path.
// [RFC 4103 §4] "the original text and two redundant generations SHOULD be
// transmitted"
pub const RECOMMENDED_GENERATIONS: usize = 2;
/// Largest timestamp offset a redundant block may have.
pub const MAX_AGE: u32 = 16383;

/// Builds text/red payloads (RFC 4103 §4).
#[derive(Debug, Clone)]
pub struct T140Sender {
    t140_pt: u8,
    generations: usize,
    history: VecDeque<(u32, Vec<u8>)>,
}

impl T140Sender {
    /// A sender of text payload type `t140_pt` carrying `generations`
    /// redundant blocks ([`RECOMMENDED_GENERATIONS`] unless the path calls
    /// for another level; at most 15).
    pub fn new(t140_pt: u8, generations: usize) -> Self {
        Self {
            t140_pt,
            generations: generations.min(15),
            history: VecDeque::new(),
        }
    }

    /// Writes the RED payload for a packet with RTP `timestamp` (ms) whose
    /// primary T140block is `text` (possibly empty, to flush redundancy),
    /// and remembers `text` for the next packets.
    pub fn packetize(
        &mut self,
        timestamp: u32,
        text: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RedError> {
        let mut blocks: Vec<RedBlock<'_>> = Vec::with_capacity(self.history.len());
        // [RFC 4103 §4.2] "All T140blocks, from the oldest desired generation up through the
        // generation immediately preceding the new (primary) T140block, MUST be included."
        for (ts, data) in &self.history {
            let age = timestamp.wrapping_sub(*ts);
            // [RFC 4103 §4.1] "Redundant data that would need a timestamp
            // offset higher than 16383 (due to its age at transmission) MUST
            // NOT be included in transmitted packets."
            if age > MAX_AGE {
                continue;
            }
            // [RFC 4103 §4.2] "The redundant data MUST be placed in age order,
            // with the most recent redundant T140block last in the redundancy
            // area."
            blocks.push(RedBlock {
                payload_type: self.t140_pt,
                timestamp_offset: age as u16,
                data,
                primary: false,
            });
        }
        // [RFC 4103 §4] "The default method that MUST be used, when no other method is explicitly
        // selected, is redundancy in accordance with RFC 2198"
        let n = write_red(&blocks, self.t140_pt, text, out)?;
        if self.generations > 0 {
            if self.history.len() == self.generations {
                self.history.pop_front();
            }
            // [RFC 4103 §4.2] "Each redundant data block MUST contain the same data as a T140block
            // previously transmitted as primary data."
            self.history.push_back((timestamp, text.to_vec()));
        }
        Ok(n)
    }
}

/// Reassembles received text/red payloads into the text stream (RFC 4103
/// §4.2, §5.3).
#[derive(Debug, Clone, Default)]
pub struct T140Receiver {
    expected: Option<u16>,
}

impl T140Receiver {
    /// A receiver that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one packet (its sequence number and RED payload) and appends
    /// the text it contributes to `out`: recovered blocks first, missing
    /// text markers for blocks that redundancy cannot recover, then the
    /// primary block. Duplicates and packets older than the last one are
    /// ignored.
    pub fn handle(&mut self, seq: u16, payload: &[u8], out: &mut Vec<u8>) -> Result<(), RedError> {
        let red = RedPayload::parse(payload)?;
        let blocks: Vec<RedBlock<'_>> = red.blocks().collect();
        let (redundant, primary) = match blocks.split_last() {
            Some((p, r)) => (r, p),
            None => return Ok(()),
        };
        if let Some(expected) = self.expected {
            // [RFC 4103 §5.3] "Packet loss for text/t140 packets MAY be detected by observing gaps
            // in the sequence numbers of RTP packets received by the receiver."
            let gap = seq.wrapping_sub(expected);
            if gap >= 0x8000 {
                return Ok(()); // old or duplicate
            }
            let gap = usize::from(gap);
            // [RFC 4103 §4.2] "the sequence numbers for the redundant
            // T140blocks should be inferred by counting backwards from the
            // sequence number in the RTP header for that packet"
            let recoverable = gap.min(redundant.len());
            // [RFC 4103 §5.3] "Missing data SHOULD be marked by insertion of
            // a missing text marker in the received stream for each missing
            // T140block"
            for _ in recoverable..gap {
                out.extend_from_slice(MISSING_TEXT_MARKER.as_bytes());
            }
            for b in &redundant[redundant.len() - recoverable..] {
                out.extend_from_slice(b.data);
            }
        }
        out.extend_from_slice(primary.data);
        self.expected = Some(seq.wrapping_add(1));
        Ok(())
    }
}

/// How long [`T140Reassembler`] waits for a missing packet before marking
/// its text lost: the one second RFC 4103 §5.4 recommends.
pub const REORDER_WAIT: Duration = Duration::from_secs(1);
/// Most T140blocks the reassembler holds ahead of a gap; a packet further
/// ahead than this ends the wait at once (the gap is marked lost).
pub const MAX_PENDING_BLOCKS: u64 = 256;
/// Most bytes of text the reassembler holds ahead of a gap.
pub const MAX_PENDING_BYTES: usize = 64 * 1024;

/// What a [`T140Reassembler`] delivers, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum T140Output {
    /// The text of consecutive T140blocks.
    Text(Vec<u8>),
    /// `blocks` T140blocks were lost: neither they nor redundancy covering
    /// them arrived within the wait. Show one [`MISSING_TEXT_MARKER`] per
    /// block.
    Lost {
        /// How many blocks.
        blocks: u64,
    },
}

/// A sans-IO receiver of text/red (or plain text/t140) packets that puts
/// T140blocks back in order (RFC 4103 §5.4): blocks recovered from
/// redundancy fill gaps at once; a gap that redundancy cannot fill holds the
/// blocks after it for up to [`REORDER_WAIT`], and is then marked lost.
///
/// Drive loop: [`handle_input`](Self::handle_input) for each packet,
/// [`handle_timeout`](Self::handle_timeout) when
/// [`poll_timeout`](Self::poll_timeout) is due, then drain
/// [`poll_output`](Self::poll_output) (or [`read_text`](Self::read_text),
/// which writes the missing text markers for you).
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtclite_rtp::payload::t140::{T140Reassembler, T140Sender, MISSING_TEXT_MARKER};
///
/// let t0 = Instant::now();
/// // No redundancy, so a late packet can only be waited for.
/// let mut tx = T140Sender::new(98, 0);
/// let mut rx = T140Reassembler::new();
/// let mut pkts = Vec::new();
/// for (i, word) in ["Hel", "lo ", "you"].iter().enumerate() {
///     let mut buf = [0u8; 64];
///     let n = tx.packetize(300 * i as u32, word.as_bytes(), &mut buf)?;
///     pkts.push(buf[..n].to_vec());
/// }
/// let mut text = Vec::new();
/// rx.handle_input(t0, 10, &pkts[0])?;
/// rx.handle_input(t0, 12, &pkts[2])?; // 11 is late: 12 waits
/// rx.read_text(&mut text);
/// assert_eq!(text, b"Hel");
/// rx.handle_input(t0 + Duration::from_millis(200), 11, &pkts[1])?;
/// rx.read_text(&mut text);
/// assert_eq!(text, b"Hello you");
///
/// // A packet that never comes is marked lost after one second.
/// rx.handle_input(t0, 14, &pkts[0])?;
/// assert_eq!(rx.poll_timeout(), Some(t0 + Duration::from_secs(1)));
/// rx.handle_timeout(t0 + Duration::from_secs(1));
/// rx.read_text(&mut text);
/// assert_eq!(text, format!("Hello you{MISSING_TEXT_MARKER}Hel").as_bytes());
/// # Ok::<(), rtclite_rtp::payload::red::RedError>(())
/// ```
#[derive(Debug, Clone)]
// [RFC 4103 §5.4] "For protection against packets arriving out of order, the following procedure
// MAY be implemented in the receiver."
pub struct T140Reassembler {
    wait: Duration,
    /// Extended sequence number of the next block to deliver.
    next: Option<u64>,
    /// Blocks received ahead of `next`, by extended sequence number.
    /// Blocks received ahead of `next`, by extended sequence number, with
    /// the time the packet carrying them arrived.
    pending: BTreeMap<u64, (Instant, Vec<u8>)>,
    pending_bytes: usize,
    /// When the wait for the block at `next` ends.
    deadline: Option<Instant>,
    /// Redundancy generations of the last packet, and whether two packets
    /// in a row had that many (the session's general level).
    last_level: Option<usize>,
    level: usize,
    output: VecDeque<T140Output>,
}

impl Default for T140Reassembler {
    fn default() -> Self {
        Self::new()
    }
}

impl T140Reassembler {
    /// A reassembler waiting [`REORDER_WAIT`] for missing packets.
    pub fn new() -> Self {
        Self::with_wait(REORDER_WAIT)
    }

    /// A reassembler waiting `wait` for missing packets (zero: mark a gap
    /// lost as soon as a later packet shows it).
    pub fn with_wait(wait: Duration) -> Self {
        Self {
            wait,
            next: None,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            deadline: None,
            last_level: None,
            level: 0,
            output: VecDeque::new(),
        }
    }

    /// Feeds one packet received at `now`: its RTP sequence number and RED
    /// payload. Duplicates and blocks already delivered or marked lost are
    /// ignored.
    pub fn handle_input(&mut self, now: Instant, seq: u16, payload: &[u8]) -> Result<(), RedError> {
        let red = RedPayload::parse(payload)?;
        let count = red.blocks().count();
        let redundant = count.saturating_sub(1);
        // [RFC 4103 §5.3] "If two successive packets have the same number of
        // redundant generations, it SHOULD be treated as the general
        // redundancy level for the session."
        if self.last_level == Some(redundant) {
            self.level = redundant;
        }
        self.last_level = Some(redundant);
        let next = *self.next.get_or_insert(u64::from(seq) | 1 << 32);
        // Extend the 16-bit sequence number around `next`.
        let delta = i64::from(seq.wrapping_sub(next as u16) as i16);
        let ext = next.wrapping_add_signed(delta);
        for (k, block) in red.blocks().enumerate() {
            // [RFC 4103 §4.2] "the sequence numbers for the redundant
            // T140blocks should be inferred by counting backwards from the
            // sequence number in the RTP header for that packet"
            let back = (count - 1 - k) as u64;
            if let Some(s) = ext.checked_sub(back) {
                self.store(now, s, block.data);
            }
        }
        // [RFC 4103 §5.3] "it SHOULD be treated as if one empty T140block
        // has been received for each excluded level in the received packet"
        for back in count as u64..=self.level as u64 {
            if let Some(s) = ext.checked_sub(back) {
                self.store(now, s, &[]);
            }
        }
        self.deliver(now);
        Ok(())
    }

    fn store(&mut self, now: Instant, seq: u64, data: &[u8]) {
        let Some(next) = self.next else { return };
        if seq < next || self.pending.contains_key(&seq) {
            return;
        }
        self.pending_bytes += data.len();
        self.pending.insert(seq, (now, data.to_vec()));
    }

    /// Delivers consecutive blocks from `next`; arms or clears the wait.
    fn deliver(&mut self, now: Instant) {
        let Some(mut next) = self.next else { return };
        loop {
            let mut text = Vec::new();
            while let Some((_, data)) = self.pending.remove(&next) {
                self.pending_bytes -= data.len();
                text.extend_from_slice(&data);
                next += 1;
            }
            if !text.is_empty() {
                self.output.push_back(T140Output::Text(text));
            }
            self.deadline = None;
            let Some((&first, &(arrived, _))) = self.pending.first_key_value() else {
                break;
            };
            let over_limit = first - next >= MAX_PENDING_BLOCKS
                || self.pending_bytes > MAX_PENDING_BYTES
                || self.pending.len() as u64 >= MAX_PENDING_BLOCKS;
            // [RFC 4103 §5.4] "If analysis of a received packet reveals a gap
            // in the sequence and no redundant data is available to fill that
            // gap, the received packet SHOULD be kept in a buffer to allow
            // time for the missing packet(s) to arrive."
            if !over_limit && !self.wait.is_zero() {
                // [RFC 4103 §5.4] "It is RECOMMENDED that the waiting time be
                // limited to 1 second."
                let deadline = arrived.checked_add(self.wait);
                if deadline.is_some_and(|d| d > now) {
                    self.deadline = deadline;
                    break;
                }
            }
            // [RFC 4103 §5.4] "Any T140block that does not arrive before the
            // time limit expires should be treated as lost and a missing text
            // marker should be inserted"
            self.output.push_back(T140Output::Lost {
                blocks: first - next,
            });
            next = first;
        }
        self.next = Some(next);
    }

    /// Ends the wait for a missing block when its time is up: the gap is
    /// marked lost and the blocks after it are delivered.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| now >= d) {
            self.deliver(now);
        }
    }

    /// When to call [`handle_timeout`](Self::handle_timeout).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// The next piece of the text stream.
    pub fn poll_output(&mut self) -> Option<T140Output> {
        self.output.pop_front()
    }

    /// Drains every available output into `out`, writing one
    /// [`MISSING_TEXT_MARKER`] per lost block (RFC 4103 §5.3; at most
    /// [`MAX_PENDING_BLOCKS`] markers for one gap).
    pub fn read_text(&mut self, out: &mut Vec<u8>) {
        while let Some(o) = self.poll_output() {
            match o {
                T140Output::Text(t) => out.extend_from_slice(&t),
                T140Output::Lost { blocks } => {
                    // [RFC 4103 §5.3] "Missing data SHOULD be marked by
                    // insertion of a missing text marker in the received
                    // stream for each missing T140block"
                    for _ in 0..blocks.min(MAX_PENDING_BLOCKS) {
                        out.extend_from_slice(MISSING_TEXT_MARKER.as_bytes());
                    }
                }
            }
        }
    }
}
