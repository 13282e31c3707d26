//! RTCP packets (RFC 3550 §6): zero-copy views of every packet type of a
//! compound packet, the compound validity rules (§6.1, Appendix A.2),
//! reduced-size RTCP (RFC 5506) and a writer that builds compound packets in
//! a caller buffer.
//!
//! | Packet | PT | Spec | View |
//! |---|---|---|---|
//! | SR | 200 | RFC 3550 §6.4.1 | [`SenderReport`] |
//! | RR | 201 | RFC 3550 §6.4.2 | [`ReceiverReport`] |
//! | SDES | 202 | RFC 3550 §6.5 | [`Sdes`] |
//! | BYE | 203 | RFC 3550 §6.6 | [`Bye`] |
//! | APP | 204 | RFC 3550 §6.7 | [`App`] |
//! | RTPFB | 205 | RFC 4585 §6.2 (generic NACK) | [`TransportFeedback`] |
//! | PSFB | 206 | RFC 4585 §6.3 (PLI, SLI, RPSI), RFC 5104 §4.3.1 (FIR), REMB | [`PayloadFeedback`] |
//! | XR | 207 | RFC 3611 §4 | [`ExtendedReport`] |
//!
//! ```
//! use rtclite_rtp::rtcp::{Compound, RtcpPacket, RtcpWriter, ReportBlock, SdesItem};
//! use rtclite_rtp::Ssrc;
//! let mut buf = [0u8; 256];
//! let mut w = RtcpWriter::new(&mut buf);
//! w.receiver_report(Ssrc(1), &[ReportBlock { ssrc: Ssrc(2), fraction_lost: 25, ..Default::default() }], &[])?;
//! w.sdes(&[(Ssrc(1), &[SdesItem::Cname(b"alice@example.com")][..])])?;
//! let n = w.finish();
//! let compound = Compound::parse(&buf[..n]).unwrap();
//! let mut packets = compound.packets();
//! let Some(RtcpPacket::Rr(rr)) = packets.next() else { panic!() };
//! assert_eq!(rr.reports().next().unwrap().fraction_lost, 25);
//! # Ok::<(), rtclite_rtp::rtcp::RtcpWriteError>(())
//! ```

mod app_bye;
mod feedback;
mod report;
mod sdes;
mod xr;

pub use app_bye::{App, Bye};
pub use feedback::{
    Fir, GenericNack, NackPair, PayloadFeedback, PayloadFeedbackKind, Remb, Rpsi, Sli,
    TransportFeedback, TransportFeedbackKind,
};
pub use report::{
    NtpTimestamp, REPORT_BLOCK_LEN, ReceiverReport, ReportBlock, ReportBlocks, SenderInfo,
    SenderReport,
};
pub use sdes::{Sdes, SdesChunk, SdesItem, SdesItems};
pub use xr::{
    DlrrList, DlrrSubBlock, ExtendedReport, RleChunk, RleReport, StatisticsSummary, VoipMetrics,
    XrBlock, XrBlocks,
};

use crate::Ssrc;

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of source description.
pub const PT_SDES: u8 = 202;
/// Packet type of goodbye.
pub const PT_BYE: u8 = 203;
/// Packet type of application-defined.
pub const PT_APP: u8 = 204;
/// Packet type of transport-layer feedback (RFC 4585).
pub const PT_RTPFB: u8 = 205;
/// Packet type of payload-specific feedback (RFC 4585).
pub const PT_PSFB: u8 = 206;
/// Packet type of extended reports (RFC 3611).
pub const PT_XR: u8 = 207;
/// Length of the common RTCP header.
pub const HEADER_LEN: usize = 4;

/// Why RTCP bytes were rejected. `offset` is the byte offset, in the whole
/// compound packet, of the RTCP packet (or field) concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// The input is empty.
    #[error("empty RTCP packet (RFC 3550 §6.1)")]
    Empty,
    /// Fewer than four bytes remain for a packet header.
    #[error("RTCP header at offset {offset} truncated: {available} bytes left (RFC 3550 §6.4.1)")]
    HeaderTruncated {
        /// Offset of the header.
        offset: usize,
        /// Bytes left.
        available: usize,
    },
    /// The version field is not 2.
    #[error("RTCP version {version} at offset {offset}, expected 2 (RFC 3550 §A.2)")]
    Version {
        /// Offset of the packet.
        offset: usize,
        /// The version found.
        version: u8,
    },
    /// The length field runs past the end of the input.
    #[error(
        "RTCP packet at offset {offset} announces {announced} bytes, {available} left (RFC 3550 §A.2)"
    )]
    Length {
        /// Offset of the packet.
        offset: usize,
        /// Bytes the length field announces (header included).
        announced: usize,
        /// Bytes left from the offset.
        available: usize,
    },
    /// The padding count is zero or longer than the packet body.
    #[error("RTCP packet at offset {offset}: padding count {count} is invalid (RFC 3550 §6.4.1)")]
    Padding {
        /// Offset of the packet.
        offset: usize,
        /// The count found.
        count: u8,
    },
    /// A packet other than the last has its padding bit set.
    #[error(
        "RTCP packet at offset {offset} is padded but is not the last of the compound (RFC 3550 §A.2)"
    )]
    PaddingNotLast {
        /// Offset of the packet.
        offset: usize,
    },
    /// The first packet of a (non reduced-size) compound is not SR or RR.
    #[error(
        "compound RTCP packet starts with packet type {packet_type}, not SR or RR (RFC 3550 §6.1)"
    )]
    FirstPacket {
        /// The packet type found first.
        packet_type: u8,
    },
    /// The body of a packet does not match its type's layout.
    #[error("{packet} at offset {offset}: {reason} ({section})")]
    Malformed {
        /// Offset of the packet (or of the field, when that is more precise).
        offset: usize,
        /// The packet type name (`SR`, `SDES`, ...).
        packet: &'static str,
        /// What is wrong.
        reason: &'static str,
        /// The RFC section whose layout is violated.
        section: &'static str,
    },
}

/// Why an RTCP packet could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpWriteError {
    /// The caller buffer is too small.
    #[error("output buffer too small: {needed} bytes needed, {available} available")]
    BufferTooSmall {
        /// Bytes needed in total.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// A list is longer than its count field can carry.
    #[error("{what}: {count} entries, at most {max} fit")]
    TooMany {
        /// Which list.
        what: &'static str,
        /// Entries given.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// A field value cannot be encoded.
    #[error("{0}")]
    Invalid(&'static str),
}

#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, c, d, e]) => u32::from_be_bytes([a, c, d, e]),
        _ => 0,
    }
}

#[inline]
pub(crate) fn be64(b: &[u8], at: usize) -> u64 {
    (u64::from(be32(b, at)) << 32) | u64::from(be32(b, at + 4))
}

/// One RTCP packet of a compound, typed by its packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// Sender report (PT 200).
    Sr(SenderReport<'a>),
    /// Receiver report (PT 201).
    Rr(ReceiverReport<'a>),
    /// Source description (PT 202).
    Sdes(Sdes<'a>),
    /// Goodbye (PT 203).
    Bye(Bye<'a>),
    /// Application-defined (PT 204).
    App(App<'a>),
    /// Transport-layer feedback (PT 205).
    Rtpfb(TransportFeedback<'a>),
    /// Payload-specific feedback (PT 206).
    Psfb(PayloadFeedback<'a>),
    /// Extended reports (PT 207).
    Xr(ExtendedReport<'a>),
    /// A packet type this crate does not interpret.
    Unknown {
        /// The packet type.
        packet_type: u8,
        /// The five-bit count/subtype field.
        count: u8,
        /// The body after the four-byte header, without padding.
        body: &'a [u8],
    },
}

impl<'a> RtcpPacket<'a> {
    /// Parses the first RTCP packet of `buf` and returns it with the number
    /// of bytes it occupies. `offset` is only used in error messages (the
    /// position of `buf` inside a larger compound).
    pub fn parse_one(buf: &'a [u8], offset: usize) -> Result<(Self, usize), RtcpError> {
        let h = Header::parse(buf, offset)?;
        Ok((Self::typed(&h, buf, offset, true)?, h.len))
    }

    /// Builds the typed view of one packet whose header is `h`. With
    /// `validate` false the inner layout is trusted (it was validated by
    /// [`Compound::parse`]); accessors stay bounds-checked either way.
    #[inline]
    fn typed(h: &Header, buf: &'a [u8], offset: usize, validate: bool) -> Result<Self, RtcpError> {
        let body = buf.get(HEADER_LEN..h.len - h.padding).unwrap_or(&[]);
        let c = h.count;
        Ok(match h.packet_type {
            PT_SR => RtcpPacket::Sr(SenderReport::parse(c, body, offset)?),
            PT_RR => RtcpPacket::Rr(ReceiverReport::parse(c, body, offset)?),
            PT_SDES if validate => RtcpPacket::Sdes(Sdes::parse(c, body, offset)?),
            PT_SDES => RtcpPacket::Sdes(Sdes::view(c, body)),
            PT_BYE => RtcpPacket::Bye(Bye::parse(c, body, offset)?),
            PT_APP => RtcpPacket::App(App::parse(c, body, offset)?),
            PT_RTPFB => RtcpPacket::Rtpfb(TransportFeedback::parse(c, body, offset)?),
            PT_PSFB => RtcpPacket::Psfb(PayloadFeedback::parse(c, body, offset)?),
            PT_XR if validate => RtcpPacket::Xr(ExtendedReport::parse(c, body, offset)?),
            PT_XR => RtcpPacket::Xr(ExtendedReport::view(body)),
            // [RFC 3550 §6.1] "An implementation SHOULD ignore incoming RTCP
            // packets with types unknown to it."
            packet_type => RtcpPacket::Unknown {
                packet_type,
                count: c,
                body,
            },
        })
    }

    /// The packet type number.
    pub fn packet_type(&self) -> u8 {
        match self {
            RtcpPacket::Sr(_) => PT_SR,
            RtcpPacket::Rr(_) => PT_RR,
            RtcpPacket::Sdes(_) => PT_SDES,
            RtcpPacket::Bye(_) => PT_BYE,
            RtcpPacket::App(_) => PT_APP,
            RtcpPacket::Rtpfb(_) => PT_RTPFB,
            RtcpPacket::Psfb(_) => PT_PSFB,
            RtcpPacket::Xr(_) => PT_XR,
            RtcpPacket::Unknown { packet_type, .. } => *packet_type,
        }
    }
}

/// The common RTCP header of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    padding_bit: bool,
    count: u8,
    packet_type: u8,
    /// Total length in bytes, header included.
    len: usize,
    /// Padding bytes at the end (0 when P is clear).
    padding: usize,
}

impl Header {
    #[inline]
    fn parse(buf: &[u8], offset: usize) -> Result<Self, RtcpError> {
        let Some(&[b0, pt, l0, l1]) = buf.get(..HEADER_LEN) else {
            return Err(RtcpError::HeaderTruncated {
                offset,
                available: buf.len(),
            });
        };
        // [RFC 3550 §6.4.1] "Identifies the version of RTP, which is the same
        // in RTCP packets as in RTP data packets."
        if b0 >> 6 != 2 {
            return Err(RtcpError::Version {
                offset,
                version: b0 >> 6,
            });
        }
        // [RFC 3550 §6.4.1] "The length of this RTCP packet in 32-bit words
        // minus one, including the header and any padding."
        let len = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
        if len > buf.len() {
            return Err(RtcpError::Length {
                offset,
                announced: len,
                available: buf.len(),
            });
        }
        let padding_bit = b0 & 0x20 != 0;
        let mut padding = 0;
        // [RFC 3550 §6.4.1] "The last octet of the padding is a count of how
        // many padding octets should be ignored, including itself (it will be
        // a multiple of four)."
        if padding_bit {
            let count = buf.get(len - 1).copied().unwrap_or(0);
            if count == 0 || usize::from(count) > len - HEADER_LEN {
                return Err(RtcpError::Padding { offset, count });
            }
            padding = usize::from(count);
        }
        Ok(Self {
            padding_bit,
            count: b0 & 0x1f,
            packet_type: pt,
            len,
            padding,
        })
    }
}

/// A validated compound RTCP packet (or a reduced-size one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound<'a> {
    buf: &'a [u8],
    count: usize,
}

impl<'a> Compound<'a> {
    /// Parses a compound RTCP packet with the validity checks of RFC 3550
    /// Appendix A.2: every packet is version 2 and well formed for its type,
    /// the first packet is SR or RR, only the last packet is padded, and the
    /// length fields add up to the datagram length.
    ///
    /// A single feedback packet without SR/RR (RFC 5506 reduced-size RTCP)
    /// is rejected here; use [`Compound::parse_reduced_size`] on sessions
    /// that negotiated `a=rtcp-rsize`.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtcpError> {
        Self::parse_inner(buf, true)
    }

    /// Parses RTCP that may be reduced-size (RFC 5506 §3.1): the same checks
    /// as [`Compound::parse`] except that the first packet may be of any
    /// type.
    pub fn parse_reduced_size(buf: &'a [u8]) -> Result<Self, RtcpError> {
        Self::parse_inner(buf, false)
    }

    fn parse_inner(buf: &'a [u8], compound: bool) -> Result<Self, RtcpError> {
        if buf.is_empty() {
            return Err(RtcpError::Empty);
        }
        let mut at = 0;
        let mut count = 0;
        while at < buf.len() {
            let rest = buf.get(at..).unwrap_or(&[]);
            let h = Header::parse(rest, at)?;
            // [RFC 3550 §6.1] "Note that each of the compound packets MUST begin
            // with an SR or RR packet."
            if count == 0 && compound {
                // [RFC 3550 §6.1] "The first RTCP packet in the compound
                // packet MUST always be a report packet to facilitate header
                // validation as described in Appendix A.2."
                if h.packet_type != PT_SR && h.packet_type != PT_RR {
                    return Err(RtcpError::FirstPacket {
                        packet_type: h.packet_type,
                    });
                }
            }
            // [RFC 3550 §A.2] "The padding bit (P) should be zero for the
            // first packet of a compound RTCP packet because padding should
            // only be applied, if it is needed, to the last packet."
            if h.padding_bit && at + h.len != buf.len() {
                return Err(RtcpError::PaddingNotLast { offset: at });
            }
            RtcpPacket::typed(&h, rest, at, true)?;
            at += h.len;
            count += 1;
        }
        Ok(Self { buf, count })
    }

    /// Number of RTCP packets in the compound.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Always false: a parsed compound holds at least one packet.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The whole compound as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Iterates the packets in wire order.
    pub fn packets(&self) -> Packets<'a> {
        Packets {
            buf: self.buf,
            at: 0,
        }
    }
}

impl<'a> IntoIterator for &Compound<'a> {
    type Item = RtcpPacket<'a>;
    type IntoIter = Packets<'a>;
    fn into_iter(self) -> Packets<'a> {
        self.packets()
    }
}

/// Iterator over the packets of a [`Compound`].
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Packets<'a> {
    type Item = RtcpPacket<'a>;

    #[inline]
    fn next(&mut self) -> Option<RtcpPacket<'a>> {
        let rest = self.buf.get(self.at..)?;
        if rest.is_empty() {
            return None;
        }
        // The compound was validated in full by `Compound::parse`, so this
        // cannot fail; stop rather than yield anything on a broken invariant.
        let h = Header::parse(rest, self.at).ok()?;
        let pkt = RtcpPacket::typed(&h, rest, self.at, false).ok()?;
        self.at += h.len;
        Some(pkt)
    }
}

/// Builds a compound RTCP packet in a caller buffer, one packet per call.
///
/// The writer does not reorder: RFC 3550 §6.1 wants the report (SR or RR)
/// first and an SDES with a CNAME in every compound; the caller writes them
/// in that order. Lists longer than 31 entries are an error (split them over
/// several packets).
#[derive(Debug)]
pub struct RtcpWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    last_start: Option<usize>,
}

impl<'b> RtcpWriter<'b> {
    /// A writer that fills `buf` from its start.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            last_start: None,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first packet is written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends the compound and returns its length.
    pub fn finish(self) -> usize {
        self.len
    }

    /// Appends `pad` padding octets (a multiple of 4, 4..=252) to the last
    /// packet written and sets its P bit (RFC 3550 §6.4.1). Call it last.
    // [RFC 3550 §6.1 exception: §9.1 encryption is not implemented, SRTCP is] "it MUST be prefixed
    // by a random 32-bit quantity redrawn for every compound packet transmitted"
    pub fn pad_last(&mut self, pad: u8) -> Result<(), RtcpWriteError> {
        // [RFC 3550 §6.4.1] "padding MUST only be added to the last
        // individual packet, and if padding is added to that packet, the
        // padding bit MUST be set only on that packet"
        let Some(start) = self.last_start else {
            return Err(RtcpWriteError::Invalid("no packet to pad"));
        };
        if pad == 0 || pad % 4 != 0 {
            return Err(RtcpWriteError::Invalid(
                "RTCP padding must be a non-zero multiple of four octets",
            ));
        }
        let region = self.reserve(usize::from(pad))?;
        let n = region.len();
        region.fill(0);
        region[n - 1] = pad;
        let words = be16(self.buf, start + 2) + u16::from(pad / 4);
        self.buf[start] |= 0x20;
        self.buf[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());
        Ok(())
    }

    fn reserve(&mut self, n: usize) -> Result<&mut [u8], RtcpWriteError> {
        let available = self.buf.len();
        let end = self.len + n;
        if end > available {
            return Err(RtcpWriteError::BufferTooSmall {
                needed: end,
                available,
            });
        }
        let start = self.len;
        self.len = end;
        Ok(&mut self.buf[start..end])
    }

    /// Writes one packet: header plus a body of `body_len` bytes (a multiple
    /// of four) filled by `fill`.
    pub(crate) fn packet(
        &mut self,
        count: u8,
        packet_type: u8,
        body_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), RtcpWriteError> {
        if count > 31 {
            return Err(RtcpWriteError::TooMany {
                what: "RTCP count field",
                count: usize::from(count),
                max: 31,
            });
        }
        let words = body_len / 4;
        // [RFC 3550 §6.1] "followed by structured elements that MAY be of
        // variable length according to the packet type but MUST end on a
        // 32-bit boundary"
        if body_len % 4 != 0 || words > usize::from(u16::MAX) {
            return Err(RtcpWriteError::Invalid(
                "RTCP packet body must be a multiple of four bytes below 256 KiB",
            ));
        }
        let start = self.len;
        let region = self.reserve(HEADER_LEN + body_len)?;
        region[0] = 0x80 | count;
        region[1] = packet_type;
        region[2..4].copy_from_slice(&(words as u16).to_be_bytes());
        let body = &mut region[HEADER_LEN..];
        body.fill(0);
        fill(body);
        self.last_start = Some(start);
        Ok(())
    }

    /// Writes a packet of any type with an opaque body (a multiple of four
    /// bytes).
    pub fn raw(&mut self, packet_type: u8, count: u8, body: &[u8]) -> Result<(), RtcpWriteError> {
        self.packet(count, packet_type, body.len(), |b| b.copy_from_slice(body))
    }
}

pub(crate) fn count_of(what: &'static str, n: usize) -> Result<u8, RtcpWriteError> {
    if n > 31 {
        return Err(RtcpWriteError::TooMany {
            what,
            count: n,
            max: 31,
        });
    }
    Ok(n as u8)
}

pub(crate) fn put32(b: &mut [u8], at: usize, v: u32) {
    if let Some(s) = b.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

pub(crate) fn put16(b: &mut [u8], at: usize, v: u16) {
    if let Some(s) = b.get_mut(at..at + 2) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

pub(crate) fn malformed(
    offset: usize,
    packet: &'static str,
    reason: &'static str,
    section: &'static str,
) -> RtcpError {
    RtcpError::Malformed {
        offset,
        packet,
        reason,
        section,
    }
}

impl Ssrc {
    pub(crate) fn read(b: &[u8], at: usize) -> Ssrc {
        Ssrc(be32(b, at))
    }
}
