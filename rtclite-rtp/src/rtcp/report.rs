//! Sender and receiver reports (RFC 3550 §6.4).

use super::{
    PT_RR, PT_SR, RtcpError, RtcpWriteError, RtcpWriter, be32, be64, count_of, malformed, put32,
};
use crate::Ssrc;

/// Length of one reception report block.
pub const REPORT_BLOCK_LEN: usize = 24;
const SENDER_INFO_LEN: usize = 20;

/// A 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900 in the high 32
/// bits, the fraction in the low 32 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpTimestamp(pub u64);

impl NtpTimestamp {
    /// The middle 32 bits, as carried in LSR and in XR DLRR (RFC 3550 §6.4.1).
    pub fn middle_32(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

/// The sender information of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Wallclock time when this report was sent.
    pub ntp_timestamp: NtpTimestamp,
    /// The same instant in RTP timestamp units.
    pub rtp_timestamp: u32,
    /// RTP data packets sent since starting transmission.
    pub packet_count: u32,
    /// Payload octets sent since starting transmission.
    pub octet_count: u32,
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: Ssrc,
    /// Fraction lost since the previous report, as a fixed point number with
    /// the binary point at the left edge (`lost / 256`).
    pub fraction_lost: u8,
    /// Cumulative number of packets lost, a signed 24-bit value
    /// (-8388608..=8388607); negative when duplicates outnumber losses.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub highest_seq: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Last SR timestamp (middle 32 bits of its NTP timestamp), 0 if none.
    pub lsr: u32,
    /// Delay since last SR, in units of 1/65536 seconds, 0 if none.
    pub dlsr: u32,
}

impl ReportBlock {
    #[inline]
    fn read(b: &[u8]) -> Self {
        let lost = be32(b, 4);
        // [RFC 3550 §6.4.1] "The total number of RTP data packets from source
        // SSRC_n that have been lost since the beginning of reception."
        // (signed 24 bits: sign-extend)
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        Self {
            ssrc: Ssrc(be32(b, 0)),
            fraction_lost: (lost >> 24) as u8,
            cumulative_lost,
            highest_seq: be32(b, 8),
            jitter: be32(b, 12),
            lsr: be32(b, 16),
            dlsr: be32(b, 20),
        }
    }

    fn write(&self, b: &mut [u8]) {
        // [RFC 3550 §A.3] "clamped at 0x7fffff for positive loss or 0x800000
        // for negative loss"
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff);
        put32(b, 0, self.ssrc.0);
        put32(
            b,
            4,
            (u32::from(self.fraction_lost) << 24) | (lost as u32 & 0x00ff_ffff),
        );
        put32(b, 8, self.highest_seq);
        put32(b, 12, self.jitter);
        put32(b, 16, self.lsr);
        put32(b, 20, self.dlsr);
    }
}

/// Iterator over report blocks.
#[derive(Debug, Clone)]
pub struct ReportBlocks<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;
    fn next(&mut self) -> Option<ReportBlock> {
        self.chunks.next().map(ReportBlock::read)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl ExactSizeIterator for ReportBlocks<'_> {}

#[inline]
fn split_reports<'a>(
    count: u8,
    rest: &'a [u8],
    offset: usize,
    packet: &'static str,
    section: &'static str,
) -> Result<(&'a [u8], &'a [u8]), RtcpError> {
    let n = usize::from(count) * REPORT_BLOCK_LEN;
    match (rest.get(..n), rest.get(n..)) {
        (Some(blocks), Some(ext)) => Ok((blocks, ext)),
        _ => Err(malformed(
            offset,
            packet,
            "report count larger than the packet",
            section,
        )),
    }
}

/// A sender report (PT 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    body: &'a [u8],
    blocks: &'a [u8],
    extension: &'a [u8],
}

impl<'a> SenderReport<'a> {
    #[inline]
    pub(crate) fn parse(count: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        let Some(rest) = body.get(4 + SENDER_INFO_LEN..) else {
            return Err(malformed(
                offset,
                "SR",
                "shorter than the sender information",
                "RFC 3550 §6.4.1",
            ));
        };
        let (blocks, extension) = split_reports(count, rest, offset, "SR", "RFC 3550 §6.4.1")?;
        Ok(Self {
            body,
            blocks,
            extension,
        })
    }

    /// The sender's SSRC.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(be32(self.body, 0))
    }

    /// The sender information.
    pub fn sender_info(&self) -> SenderInfo {
        SenderInfo {
            ntp_timestamp: NtpTimestamp(be64(self.body, 4)),
            rtp_timestamp: be32(self.body, 12),
            packet_count: be32(self.body, 16),
            octet_count: be32(self.body, 20),
        }
    }

    /// The reception report blocks.
    #[inline]
    pub fn reports(&self) -> ReportBlocks<'a> {
        ReportBlocks {
            chunks: self.blocks.chunks_exact(REPORT_BLOCK_LEN),
        }
    }

    /// The profile-specific extension after the report blocks (often empty).
    pub fn profile_extension(&self) -> &'a [u8] {
        self.extension
    }
}

/// A receiver report (PT 201).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    ssrc: Ssrc,
    blocks: &'a [u8],
    extension: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    #[inline]
    pub(crate) fn parse(count: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        let Some(rest) = body.get(4..) else {
            return Err(malformed(
                offset,
                "RR",
                "no room for the reporter SSRC",
                "RFC 3550 §6.4.2",
            ));
        };
        let (blocks, extension) = split_reports(count, rest, offset, "RR", "RFC 3550 §6.4.2")?;
        Ok(Self {
            ssrc: Ssrc(be32(body, 0)),
            blocks,
            extension,
        })
    }

    /// The reporter's SSRC.
    pub fn ssrc(&self) -> Ssrc {
        self.ssrc
    }

    /// The reception report blocks.
    #[inline]
    pub fn reports(&self) -> ReportBlocks<'a> {
        ReportBlocks {
            chunks: self.blocks.chunks_exact(REPORT_BLOCK_LEN),
        }
    }

    /// The profile-specific extension after the report blocks (often empty).
    pub fn profile_extension(&self) -> &'a [u8] {
        self.extension
    }
}

impl RtcpWriter<'_> {
    /// Writes a sender report with up to 31 report blocks and an optional
    /// profile-specific extension (a multiple of four bytes).
    pub fn sender_report(
        &mut self,
        ssrc: Ssrc,
        info: &SenderInfo,
        reports: &[ReportBlock],
        extension: &[u8],
    ) -> Result<(), RtcpWriteError> {
        let rc = count_of("SR report blocks", reports.len())?;
        let len = 4 + SENDER_INFO_LEN + reports.len() * REPORT_BLOCK_LEN + extension.len();
        self.packet(rc, PT_SR, len, |b| {
            put32(b, 0, ssrc.0);
            put32(b, 4, (info.ntp_timestamp.0 >> 32) as u32);
            put32(b, 8, info.ntp_timestamp.0 as u32);
            put32(b, 12, info.rtp_timestamp);
            put32(b, 16, info.packet_count);
            put32(b, 20, info.octet_count);
            write_blocks(&mut b[24..], reports, extension);
        })
    }

    /// Writes a receiver report with up to 31 report blocks and an optional
    /// profile-specific extension (a multiple of four bytes).
    pub fn receiver_report(
        &mut self,
        ssrc: Ssrc,
        reports: &[ReportBlock],
        extension: &[u8],
    ) -> Result<(), RtcpWriteError> {
        let rc = count_of("RR report blocks", reports.len())?;
        let len = 4 + reports.len() * REPORT_BLOCK_LEN + extension.len();
        self.packet(rc, PT_RR, len, |b| {
            put32(b, 0, ssrc.0);
            write_blocks(&mut b[4..], reports, extension);
        })
    }
}

fn write_blocks(b: &mut [u8], reports: &[ReportBlock], extension: &[u8]) {
    let mut at = 0;
    for r in reports {
        r.write(&mut b[at..at + REPORT_BLOCK_LEN]);
        at += REPORT_BLOCK_LEN;
    }
    b[at..at + extension.len()].copy_from_slice(extension);
}
