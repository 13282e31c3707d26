//! Real-time text (RFC 4103): T140blocks carried with RFC 2198 redundancy,
//! a sender that keeps the last generations and a receiver that recovers
//! lost blocks from redundancy and marks what cannot be recovered.

use std::collections::VecDeque;

use super::red::{RedBlock, RedError, RedPayload, write_red};

/// RTP clock rate of text/t140 (RFC 4103 §3.5).
pub const T140_CLOCK_RATE: u32 = 1000;
/// The missing text marker (U+FFFD) inserted for each lost T140block, as
/// ITU-T T.140 Addendum 1 specifies.
pub const MISSING_TEXT_MARKER: &str = "\u{fffd}";
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
    /// redundant blocks (2 is the RFC's recommendation; at most 15).
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
        let n = write_red(&blocks, self.t140_pt, text, out)?;
        if self.generations > 0 {
            if self.history.len() == self.generations {
                self.history.pop_front();
            }
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
