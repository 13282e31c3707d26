//! Extended reports (RFC 3611): Loss and Duplicate RLE, Receiver Reference
//! Time, DLRR, Statistics Summary and VoIP Metrics blocks; other block types
//! are kept raw.

use super::{
    PT_XR, RtcpError, RtcpWriteError, RtcpWriter, be16, be32, be64, malformed, put16, put32,
};
use crate::Ssrc;
use crate::rtcp::NtpTimestamp;

const SECTION: &str = "RFC 3611 §3";

/// One run-length-encoding chunk of a Loss or Duplicate RLE block (RFC 3611
/// §4.1.1–§4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RleChunk {
    /// A run of `length` packets all received (`received = true`) or all lost.
    RunLength {
        /// Run type: true for received (or duplicated), false for lost.
        received: bool,
        /// Run length, 1..=16383.
        length: u16,
    },
    /// Fifteen packets, most significant bit first.
    BitVector(u16),
    /// The terminating null chunk.
    Null,
}

impl RleChunk {
    /// Decodes a 16-bit chunk.
    pub fn from_u16(v: u16) -> Self {
        if v == 0 {
            RleChunk::Null
        } else if v & 0x8000 == 0 {
            RleChunk::RunLength {
                received: v & 0x4000 != 0,
                length: v & 0x3fff,
            }
        } else {
            RleChunk::BitVector(v & 0x7fff)
        }
    }

    /// Encodes the chunk as 16 bits.
    pub fn to_u16(self) -> u16 {
        match self {
            RleChunk::RunLength { received, length } => {
                (u16::from(received) << 14) | (length & 0x3fff)
            }
            RleChunk::BitVector(bits) => 0x8000 | (bits & 0x7fff),
            RleChunk::Null => 0,
        }
    }
}

impl RleChunk {
    /// Encodes a trace of events (`true` = received, or duplicated for a
    /// Duplicate RLE block) as chunks: a run-length chunk for runs of at
    /// least 15 equal events or a run that ends the trace, else a 15-bit
    /// vector (zero-filled past the trace end), then a null chunk when
    /// needed to end on a 32-bit boundary (RFC 3611 §4.1).
    pub fn encode(trace: &[bool], mut emit: impl FnMut(RleChunk)) {
        let mut i = 0;
        let mut n = 0usize;
        while i < trace.len() {
            let v = trace[i];
            let run = trace[i..]
                .iter()
                .take(0x3fff)
                .take_while(|&&x| x == v)
                .count();
            if run >= 15 || i + run == trace.len() {
                emit(RleChunk::RunLength {
                    received: v,
                    length: run as u16,
                });
                i += run;
            } else {
                let mut bits = 0u16;
                for k in 0..15 {
                    if trace.get(i + k).copied().unwrap_or(false) {
                        bits |= 1 << (14 - k);
                    }
                }
                emit(RleChunk::BitVector(bits));
                i += 15;
            }
            n += 1;
        }
        // A null chunk rounds the block out when
        // [RFC 3611 §4.1] "the number of run length plus bit vector chunks
        // is odd"
        if n % 2 == 1 {
            emit(RleChunk::Null);
        }
    }

    /// Expands chunks back into `len` events (bits past `len` are ignored).
    pub fn decode(chunks: impl IntoIterator<Item = RleChunk>, len: usize) -> Vec<bool> {
        let mut out = Vec::with_capacity(len.min(1 << 16));
        for c in chunks {
            match c {
                RleChunk::RunLength { received, length } => {
                    out.extend(core::iter::repeat_n(received, usize::from(length)))
                }
                RleChunk::BitVector(bits) => {
                    out.extend((0..15).map(|k| bits & (1 << (14 - k)) != 0))
                }
                RleChunk::Null => break,
            }
            if out.len() >= len {
                break;
            }
        }
        // [RFC 3611 §4.1] "All bits in a bit vector chunk that describe a part
        // of the sequence number space that extends beyond the last sequence
        // number in the trace MUST be set to zero, and MUST be ignored by the
        // receiver."
        out.truncate(len);
        out
    }
}

/// A Loss RLE (BT 1) or Duplicate RLE (BT 2) report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RleReport<'a> {
    /// Thinning T (0–15): one packet in 2^T is reported on.
    pub thinning: u8,
    /// The source reported on.
    pub ssrc: Ssrc,
    /// First sequence number covered.
    pub begin_seq: u16,
    /// One past the last sequence number covered.
    pub end_seq: u16,
    /// The chunks, two bytes each, as on the wire.
    pub chunks: &'a [u8],
}

impl RleReport<'_> {
    /// Iterates the decoded chunks.
    pub fn chunks(&self) -> impl Iterator<Item = RleChunk> + '_ {
        self.chunks
            .chunks_exact(2)
            .map(|c| RleChunk::from_u16(be16(c, 0)))
    }
}

/// One DLRR sub-block (RFC 3611 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DlrrSubBlock {
    /// The receiver the sub-block answers.
    pub ssrc: Ssrc,
    /// Last RR timestamp (middle 32 bits of the RRTR NTP timestamp).
    pub last_rr: u32,
    /// Delay since that RRTR, in 1/65536 s.
    pub delay_since_last_rr: u32,
}

/// The sub-blocks of a DLRR block: as received, or as given to the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DlrrList<'a> {
    /// Sub-blocks as wire bytes (12 each).
    Wire(&'a [u8]),
    /// Sub-blocks to write.
    Blocks(&'a [DlrrSubBlock]),
}

impl DlrrList<'_> {
    /// Iterates the sub-blocks.
    pub fn iter(&self) -> impl Iterator<Item = DlrrSubBlock> + '_ {
        let (wire, blocks): (&[u8], &[DlrrSubBlock]) = match *self {
            DlrrList::Wire(w) => (w, &[]),
            DlrrList::Blocks(b) => (&[], b),
        };
        wire.chunks_exact(12)
            .map(|c| DlrrSubBlock {
                ssrc: Ssrc(be32(c, 0)),
                last_rr: be32(c, 4),
                delay_since_last_rr: be32(c, 8),
            })
            .chain(blocks.iter().copied())
    }

    fn len(&self) -> usize {
        match self {
            DlrrList::Wire(w) => w.len() / 12,
            DlrrList::Blocks(b) => b.len(),
        }
    }
}

/// A Statistics Summary report block (RFC 3611 §4.6). Fields whose flag is
/// clear are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatisticsSummary {
    /// The source reported on.
    pub ssrc: Ssrc,
    /// First sequence number covered.
    pub begin_seq: u16,
    /// One past the last sequence number covered.
    pub end_seq: u16,
    /// Lost packets (L flag).
    pub lost_packets: Option<u32>,
    /// Duplicate packets (D flag).
    pub dup_packets: Option<u32>,
    /// Min, max, mean and standard deviation of jitter (J flag).
    pub jitter: Option<[u32; 4]>,
    /// ToH: 1 for IPv4 TTL, 2 for IPv6 Hop Limit, with min, max, mean, dev.
    pub ttl_or_hop_limit: Option<(u8, [u8; 4])>,
}

/// A VoIP Metrics report block (RFC 3611 §4.7), fields in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct VoipMetrics {
    pub ssrc: Ssrc,
    pub loss_rate: u8,
    pub discard_rate: u8,
    pub burst_density: u8,
    pub gap_density: u8,
    pub burst_duration: u16,
    pub gap_duration: u16,
    pub round_trip_delay: u16,
    pub end_system_delay: u16,
    /// Signal level in dBm0, signed (127 = unavailable).
    pub signal_level: i8,
    /// Noise level in dBm0, signed (127 = unavailable).
    pub noise_level: i8,
    pub rerl: u8,
    pub gmin: u8,
    pub r_factor: u8,
    pub ext_r_factor: u8,
    pub mos_lq: u8,
    pub mos_cq: u8,
    pub rx_config: u8,
    pub jb_nominal: u16,
    pub jb_maximum: u16,
    pub jb_abs_max: u16,
}

/// One XR report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum XrBlock<'a> {
    /// BT 1: Loss RLE.
    LossRle(RleReport<'a>),
    /// BT 2: Duplicate RLE.
    DuplicateRle(RleReport<'a>),
    /// BT 4: Receiver Reference Time.
    ReceiverReferenceTime(NtpTimestamp),
    /// BT 5: DLRR.
    Dlrr(DlrrList<'a>),
    /// BT 6: Statistics Summary.
    StatisticsSummary(StatisticsSummary),
    /// BT 7: VoIP Metrics.
    VoipMetrics(VoipMetrics),
    /// Any other block type (including BT 3, Packet Receipt Times).
    Other {
        /// Block type.
        block_type: u8,
        /// The type-specific octet.
        type_specific: u8,
        /// Block contents after the four-byte block header.
        data: &'a [u8],
    },
}

impl XrBlock<'_> {
    /// The block type number.
    pub fn block_type(&self) -> u8 {
        match self {
            XrBlock::LossRle(_) => 1,
            XrBlock::DuplicateRle(_) => 2,
            XrBlock::ReceiverReferenceTime(_) => 4,
            XrBlock::Dlrr(_) => 5,
            XrBlock::StatisticsSummary(_) => 6,
            XrBlock::VoipMetrics(_) => 7,
            XrBlock::Other { block_type, .. } => *block_type,
        }
    }
}

/// An extended report packet (PT 207).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedReport<'a> {
    body: &'a [u8],
}

fn parse_block<'a>(bt: u8, ts: u8, d: &'a [u8], off: usize) -> Result<XrBlock<'a>, RtcpError> {
    let bad = |reason| Err(malformed(off, "XR", reason, SECTION));
    Ok(match bt {
        1 | 2 => {
            if d.len() < 8 {
                return bad("RLE block shorter than its fixed fields");
            }
            let r = RleReport {
                thinning: ts & 0x0f,
                ssrc: Ssrc(be32(d, 0)),
                begin_seq: be16(d, 4),
                end_seq: be16(d, 6),
                chunks: d.get(8..).unwrap_or(&[]),
            };
            if bt == 1 {
                XrBlock::LossRle(r)
            } else {
                XrBlock::DuplicateRle(r)
            }
        }
        4 => {
            // [RFC 3611 §4.4] "block length: 16 bits
            //          The constant 2"
            if d.len() != 8 {
                return bad("RRTR block length is not 2");
            }
            XrBlock::ReceiverReferenceTime(NtpTimestamp(be64(d, 0)))
        }
        5 => {
            if d.len() % 12 != 0 {
                return bad("DLRR block is not a list of 12-octet sub-blocks");
            }
            XrBlock::Dlrr(DlrrList::Wire(d))
        }
        6 => {
            if d.len() != 36 {
                return bad("Statistics Summary block length is not 9");
            }
            let flag = |bit: u8| ts & bit != 0;
            let toh = (ts >> 3) & 0x03;
            let zero =
                |from: usize, to: usize| d.get(from..to).is_some_and(|s| s.iter().all(|&b| b == 0));
            // [RFC 3611 §4.6] "The receiver MUST ignore any Statistics Summary
            // Report Block with a non-zero value in any field flagged as
            // unreported."
            let ignored = (!flag(0x80) && !zero(8, 12))
                || (!flag(0x40) && !zero(12, 16))
                || (!flag(0x20) && !zero(16, 32))
                || (toh == 0 && !zero(32, 36));
            if ignored {
                return Ok(XrBlock::Other {
                    block_type: bt,
                    type_specific: ts,
                    data: d,
                });
            }
            XrBlock::StatisticsSummary(StatisticsSummary {
                ssrc: Ssrc(be32(d, 0)),
                begin_seq: be16(d, 4),
                end_seq: be16(d, 6),
                lost_packets: flag(0x80).then(|| be32(d, 8)),
                dup_packets: flag(0x40).then(|| be32(d, 12)),
                jitter: flag(0x20).then(|| [be32(d, 16), be32(d, 20), be32(d, 24), be32(d, 28)]),
                ttl_or_hop_limit: (toh != 0).then(|| {
                    let v = be32(d, 32).to_be_bytes();
                    (toh, v)
                }),
            })
        }
        7 => {
            // [RFC 3611 §4.7] "block length: 16 bits
            //          The constant 8"
            if d.len() != 32 {
                return bad("VoIP Metrics block length is not 8");
            }
            let b = |i: usize| d.get(i).copied().unwrap_or(0);
            XrBlock::VoipMetrics(VoipMetrics {
                ssrc: Ssrc(be32(d, 0)),
                loss_rate: b(4),
                discard_rate: b(5),
                burst_density: b(6),
                gap_density: b(7),
                burst_duration: be16(d, 8),
                gap_duration: be16(d, 10),
                round_trip_delay: be16(d, 12),
                end_system_delay: be16(d, 14),
                signal_level: b(16) as i8,
                noise_level: b(17) as i8,
                rerl: b(18),
                gmin: b(19),
                r_factor: b(20),
                ext_r_factor: b(21),
                mos_lq: b(22),
                mos_cq: b(23),
                rx_config: b(24),
                jb_nominal: be16(d, 26),
                jb_maximum: be16(d, 28),
                jb_abs_max: be16(d, 30),
            })
        }
        block_type => XrBlock::Other {
            block_type,
            type_specific: ts,
            data: d,
        },
    })
}

/// Iterator over XR blocks.
#[derive(Debug, Clone)]
pub struct XrBlocks<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> XrBlocks<'a> {
    fn step(&mut self) -> Option<Result<XrBlock<'a>, RtcpError>> {
        let &[bt, ts, l0, l1] = self.body.get(self.at..self.at + 4)? else {
            return None;
        };
        // [RFC 3611 §3] "The length of this report block, including the header,
        // in 32-bit words minus one."
        let len = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
        let off = self.at;
        let Some(data) = self.body.get(off + 4..off + len) else {
            self.at = self.body.len();
            return Some(Err(malformed(
                off,
                "XR",
                "block length runs past the packet",
                SECTION,
            )));
        };
        self.at += len;
        Some(parse_block(bt, ts, data, off))
    }
}

impl<'a> Iterator for XrBlocks<'a> {
    type Item = XrBlock<'a>;
    fn next(&mut self) -> Option<XrBlock<'a>> {
        self.step()?.ok()
    }
}

impl<'a> ExtendedReport<'a> {
    #[inline]
    pub(crate) fn parse(_count: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        let Some(blocks) = body.get(4..) else {
            return Err(malformed(offset, "XR", "no room for the SSRC", SECTION));
        };
        let mut it = XrBlocks {
            body: blocks,
            at: 0,
        };
        while let Some(r) = it.step() {
            if let Err(RtcpError::Malformed {
                offset: o,
                packet,
                reason,
                section,
            }) = r
            {
                return Err(malformed(offset + 8 + o, packet, reason, section));
            }
        }
        if it.at != blocks.len() {
            return Err(malformed(
                offset,
                "XR",
                "trailing bytes shorter than a block header",
                SECTION,
            ));
        }
        Ok(Self { body })
    }

    #[inline]
    pub(crate) fn view(body: &'a [u8]) -> Self {
        Self { body }
    }

    /// The reporter's SSRC.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(be32(self.body, 0))
    }

    /// The report blocks.
    pub fn blocks(&self) -> XrBlocks<'a> {
        XrBlocks {
            body: self.body.get(4..).unwrap_or(&[]),
            at: 0,
        }
    }
}

fn block_len(b: &XrBlock<'_>) -> Result<usize, RtcpWriteError> {
    Ok(match b {
        XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => {
            if r.chunks.len() % 4 != 0 {
                return Err(RtcpWriteError::Invalid(
                    "RLE chunks must fill whole words (add a null chunk, RFC 3611 §4.1.3)",
                ));
            }
            8 + r.chunks.len()
        }
        XrBlock::ReceiverReferenceTime(_) => 8,
        XrBlock::Dlrr(l) => 12 * l.len(),
        XrBlock::StatisticsSummary(_) => 36,
        XrBlock::VoipMetrics(_) => 32,
        XrBlock::Other { data, .. } => {
            if data.len() % 4 != 0 {
                return Err(RtcpWriteError::Invalid(
                    "XR block data must fill whole words",
                ));
            }
            data.len()
        }
    })
}

impl RtcpWriter<'_> {
    /// Writes an XR packet with the given blocks.
    pub fn xr(&mut self, ssrc: Ssrc, blocks: &[XrBlock<'_>]) -> Result<(), RtcpWriteError> {
        let mut len = 4;
        for b in blocks {
            let l = block_len(b)?;
            if l / 4 > usize::from(u16::MAX) {
                return Err(RtcpWriteError::Invalid("XR block too long"));
            }
            len += 4 + l;
        }
        self.packet(0, PT_XR, len, |out| {
            put32(out, 0, ssrc.0);
            let mut at = 4;
            for b in blocks {
                let l = block_len(b).unwrap_or(0);
                let (ts, d) = out[at..at + 4 + l].split_at_mut(4);
                ts[0] = b.block_type();
                put16(ts, 2, (l / 4) as u16);
                ts[1] = write_block(b, d);
                at += 4 + l;
            }
        })
    }
}

/// Fills the block body, returns the type-specific octet.
fn write_block(b: &XrBlock<'_>, d: &mut [u8]) -> u8 {
    match b {
        XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => {
            put32(d, 0, r.ssrc.0);
            put16(d, 4, r.begin_seq);
            put16(d, 6, r.end_seq);
            d[8..].copy_from_slice(r.chunks);
            r.thinning & 0x0f
        }
        XrBlock::ReceiverReferenceTime(t) => {
            put32(d, 0, (t.0 >> 32) as u32);
            put32(d, 4, t.0 as u32);
            0
        }
        XrBlock::Dlrr(l) => {
            for (i, s) in l.iter().enumerate() {
                put32(d, i * 12, s.ssrc.0);
                put32(d, i * 12 + 4, s.last_rr);
                put32(d, i * 12 + 8, s.delay_since_last_rr);
            }
            0
        }
        XrBlock::StatisticsSummary(s) => {
            put32(d, 0, s.ssrc.0);
            put16(d, 4, s.begin_seq);
            put16(d, 6, s.end_seq);
            let mut ts = 0;
            // [RFC 3611 §4.6] "The fields corresponding to unreported
            // parameters MUST be present, but are set to zero."
            if let Some(v) = s.lost_packets {
                ts |= 0x80;
                put32(d, 8, v);
            }
            if let Some(v) = s.dup_packets {
                ts |= 0x40;
                put32(d, 12, v);
            }
            if let Some(j) = s.jitter {
                ts |= 0x20;
                for (i, v) in j.iter().enumerate() {
                    put32(d, 16 + i * 4, *v);
                }
            }
            if let Some((toh, v)) = s.ttl_or_hop_limit {
                ts |= (toh & 0x03) << 3;
                d[32..36].copy_from_slice(&v);
            }
            ts
        }
        XrBlock::VoipMetrics(v) => {
            put32(d, 0, v.ssrc.0);
            d[4] = v.loss_rate;
            d[5] = v.discard_rate;
            d[6] = v.burst_density;
            d[7] = v.gap_density;
            put16(d, 8, v.burst_duration);
            put16(d, 10, v.gap_duration);
            put16(d, 12, v.round_trip_delay);
            put16(d, 14, v.end_system_delay);
            d[16] = v.signal_level as u8;
            d[17] = v.noise_level as u8;
            d[18] = v.rerl;
            d[19] = v.gmin;
            d[20] = v.r_factor;
            d[21] = v.ext_r_factor;
            d[22] = v.mos_lq;
            d[23] = v.mos_cq;
            d[24] = v.rx_config;
            put16(d, 26, v.jb_nominal);
            put16(d, 28, v.jb_maximum);
            put16(d, 30, v.jb_abs_max);
            0
        }
        XrBlock::Other {
            type_specific,
            data,
            ..
        } => {
            d.copy_from_slice(data);
            *type_specific
        }
    }
}
