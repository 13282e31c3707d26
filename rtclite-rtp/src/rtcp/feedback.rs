//! RTP/AVPF feedback messages (RFC 4585 §6): transport-layer (RTPFB) and
//! payload-specific (PSFB), with FIR from RFC 5104 §4.3.1 and REMB
//! (application-layer feedback, draft-alvestrand-rmcat-remb).

use super::{
    PT_PSFB, PT_RTPFB, RtcpError, RtcpWriteError, RtcpWriter, be16, be32, malformed, put16, put32,
};
use crate::Ssrc;

/// One generic NACK entry: a packet ID and a bitmask of the 16 following
/// sequence numbers (RFC 4585 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NackPair {
    /// PID: the sequence number of a lost packet.
    pub pid: u16,
    /// BLP: bit i set means `pid + i + 1` is lost too.
    pub blp: u16,
}

impl NackPair {
    /// Every sequence number this entry reports lost, in order.
    pub fn lost(&self) -> impl Iterator<Item = u16> + '_ {
        // [RFC 4585 §6.2.1] "bit i of the bit mask is set to 1 if the receiver
        // has not received RTP packet number (PID+i) (modulo 2^16)"
        core::iter::once(self.pid).chain(
            (0..16u16)
                .filter(|i| self.blp & (1 << i) != 0)
                .map(|i| self.pid.wrapping_add(i + 1)),
        )
    }

    /// Packs an ascending list of lost sequence numbers into NACK entries,
    /// calling `emit` for each.
    pub fn pack(lost: impl IntoIterator<Item = u16>, mut emit: impl FnMut(NackPair)) {
        let mut cur: Option<NackPair> = None;
        for seq in lost {
            if let Some(c) = &mut cur {
                let d = seq.wrapping_sub(c.pid);
                if (1..=16).contains(&d) {
                    c.blp |= 1 << (d - 1);
                    continue;
                }
                if d == 0 {
                    continue;
                }
                emit(*c);
            }
            cur = Some(NackPair { pid: seq, blp: 0 });
        }
        if let Some(c) = cur {
            emit(c);
        }
    }
}

/// A generic NACK message's FCI list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenericNack<'a> {
    fci: &'a [u8],
}

impl<'a> GenericNack<'a> {
    /// The NACK entries.
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = NackPair> + 'a {
        self.fci.chunks_exact(4).map(|c| NackPair {
            pid: be16(c, 0),
            blp: be16(c, 2),
        })
    }
}

/// The typed content of an RTPFB message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFeedbackKind<'a> {
    /// FMT 1: generic NACK.
    GenericNack(GenericNack<'a>),
    /// Any other FMT (TMMBR, TMMBN, transport-cc, ...): the raw FCI.
    Other {
        /// The FMT value.
        fmt: u8,
        /// The feedback control information.
        fci: &'a [u8],
    },
}

/// A transport-layer feedback message (PT 205).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportFeedback<'a> {
    fmt: u8,
    body: &'a [u8],
}

#[inline]
fn common<'a>(body: &'a [u8], offset: usize, packet: &'static str) -> Result<&'a [u8], RtcpError> {
    // [RFC 4585 §6.1] "The length of this packet in 32-bit words minus one,
    // including the header"
    body.get(8..).ok_or_else(|| {
        malformed(
            offset,
            packet,
            "shorter than the two SSRCs of the common feedback header",
            "RFC 4585 §6.1",
        )
    })
}

impl<'a> TransportFeedback<'a> {
    #[inline]
    pub(crate) fn parse(fmt: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        let fci = common(body, offset, "RTPFB")?;
        // [RFC 4585 §6.2.1] "The FCI field MUST contain at least one and MAY
        // contain more than one Generic NACK."
        if fmt == 1 && fci.is_empty() {
            return Err(malformed(
                offset,
                "RTPFB",
                "generic NACK without any FCI entry",
                "RFC 4585 §6.2.1",
            ));
        }
        Ok(Self { fmt, body })
    }

    /// The FMT field.
    pub fn fmt(&self) -> u8 {
        self.fmt
    }

    /// SSRC of the packet sender.
    pub fn sender_ssrc(&self) -> Ssrc {
        Ssrc(be32(self.body, 0))
    }

    /// SSRC of the media source the feedback is about.
    pub fn media_ssrc(&self) -> Ssrc {
        Ssrc(be32(self.body, 4))
    }

    /// The raw feedback control information.
    pub fn fci(&self) -> &'a [u8] {
        self.body.get(8..).unwrap_or(&[])
    }

    /// The typed message.
    pub fn kind(&self) -> TransportFeedbackKind<'a> {
        match self.fmt {
            1 => TransportFeedbackKind::GenericNack(GenericNack { fci: self.fci() }),
            fmt => TransportFeedbackKind::Other {
                fmt,
                fci: self.fci(),
            },
        }
    }
}

/// One SLI entry (RFC 4585 §6.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sli {
    /// First lost macroblock (13 bits).
    pub first: u16,
    /// Number of lost macroblocks (13 bits).
    pub number: u16,
    /// Picture ID (6 bits).
    pub picture_id: u8,
}

/// A reference picture selection indication (RFC 4585 §6.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rpsi<'a> {
    /// The RTP payload type the bit string is defined for.
    pub payload_type: u8,
    /// The native RPSI bit string, whole octets.
    pub bits: &'a [u8],
    /// Unused bits at the end of the last octet of `bits` (the PB field
    /// counts these plus the padding octets, in bits).
    pub unused_bits: u8,
}

/// One FIR entry (RFC 5104 §4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fir {
    /// The media sender asked for a decoder refresh point.
    pub ssrc: Ssrc,
    /// Command sequence number.
    pub seq_nr: u8,
}

/// A receiver estimated maximum bitrate message (REMB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remb<'a> {
    /// The estimated bitrate in bits per second (mantissa × 2^exp).
    pub bitrate: u64,
    ssrcs: &'a [u8],
}

impl<'a> Remb<'a> {
    /// The media sources the estimate applies to.
    pub fn ssrcs(&self) -> impl ExactSizeIterator<Item = Ssrc> + 'a {
        self.ssrcs.chunks_exact(4).map(|c| Ssrc(be32(c, 0)))
    }
}

/// The typed content of a PSFB message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadFeedbackKind<'a> {
    /// FMT 1: picture loss indication.
    Pli,
    /// FMT 2: slice loss indication entries.
    Sli(&'a [u8]),
    /// FMT 3: reference picture selection indication.
    Rpsi(Rpsi<'a>),
    /// FMT 4: full intra request entries (RFC 5104).
    Fir(&'a [u8]),
    /// FMT 15 with the "REMB" identifier.
    Remb(Remb<'a>),
    /// Any other FMT, or application-layer feedback other than REMB.
    Other {
        /// The FMT value.
        fmt: u8,
        /// The feedback control information.
        fci: &'a [u8],
    },
}

impl PayloadFeedbackKind<'_> {
    /// The SLI entries when this is an SLI.
    pub fn sli_entries(&self) -> impl Iterator<Item = Sli> + '_ {
        let fci: &[u8] = match self {
            PayloadFeedbackKind::Sli(f) => f,
            _ => &[],
        };
        fci.chunks_exact(4).map(|c| {
            let v = be32(c, 0);
            Sli {
                first: (v >> 19) as u16,
                number: ((v >> 6) & 0x1fff) as u16,
                picture_id: (v & 0x3f) as u8,
            }
        })
    }

    /// The FIR entries when this is a FIR.
    pub fn fir_entries(&self) -> impl Iterator<Item = Fir> + '_ {
        let fci: &[u8] = match self {
            PayloadFeedbackKind::Fir(f) => f,
            _ => &[],
        };
        fci.chunks_exact(8).map(|c| Fir {
            ssrc: Ssrc(be32(c, 0)),
            seq_nr: c.get(4).copied().unwrap_or(0),
        })
    }
}

/// A payload-specific feedback message (PT 206).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadFeedback<'a> {
    fmt: u8,
    body: &'a [u8],
}

const REMB_ID: &[u8; 4] = b"REMB";

impl<'a> PayloadFeedback<'a> {
    #[inline]
    pub(crate) fn parse(fmt: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        let fci = common(body, offset, "PSFB")?;
        let bad = |reason, section| Err(malformed(offset, "PSFB", reason, section));
        match fmt {
            2 if fci.is_empty() => return bad("SLI without any entry", "RFC 4585 §6.3.2"),
            3 => {
                // [RFC 4585 §6.3.3] "There MUST be exactly one RPSI contained
                // in the FCI field."
                if fci.len() < 4 {
                    return bad("RPSI FCI shorter than one word", "RFC 4585 §6.3.3.2");
                }
                let pb = fci.first().copied().unwrap_or(0);
                if usize::from(pb) > (fci.len() - 2) * 8 {
                    return bad(
                        "RPSI padding bits exceed the bit string",
                        "RFC 4585 §6.3.3.2",
                    );
                }
            }
            4 if fci.is_empty() || fci.len() % 8 != 0 => {
                return bad(
                    "FIR FCI is not a list of 8-octet entries",
                    "RFC 5104 §4.3.1.1",
                );
            }
            15 if fci.get(..4) == Some(REMB_ID) => {
                let n = usize::from(fci.get(4).copied().unwrap_or(0));
                if fci.len() < 8 + 4 * n {
                    return bad("REMB SSRC list runs past the packet", "REMB §2.2");
                }
            }
            _ => {}
        }
        Ok(Self { fmt, body })
    }

    /// The FMT field.
    pub fn fmt(&self) -> u8 {
        self.fmt
    }

    /// SSRC of the packet sender.
    pub fn sender_ssrc(&self) -> Ssrc {
        Ssrc(be32(self.body, 0))
    }

    /// SSRC of the media source (0 for FIR and REMB).
    pub fn media_ssrc(&self) -> Ssrc {
        Ssrc(be32(self.body, 4))
    }

    /// The raw feedback control information.
    pub fn fci(&self) -> &'a [u8] {
        self.body.get(8..).unwrap_or(&[])
    }

    /// The typed message.
    pub fn kind(&self) -> PayloadFeedbackKind<'a> {
        let fci = self.fci();
        match self.fmt {
            1 => PayloadFeedbackKind::Pli,
            2 => PayloadFeedbackKind::Sli(fci),
            3 => {
                let pb = fci.first().copied().unwrap_or(0);
                let pt = fci.get(1).copied().unwrap_or(0) & 0x7f;
                let string = fci.get(2..).unwrap_or(&[]);
                let pad_octets = usize::from(pb / 8);
                let bits = string.get(..string.len() - pad_octets).unwrap_or(&[]);
                PayloadFeedbackKind::Rpsi(Rpsi {
                    payload_type: pt,
                    bits,
                    unused_bits: pb % 8,
                })
            }
            4 => PayloadFeedbackKind::Fir(fci),
            15 if fci.get(..4) == Some(REMB_ID) => {
                let n = usize::from(fci.get(4).copied().unwrap_or(0));
                let exp = fci.get(5).copied().unwrap_or(0) >> 2;
                let mantissa = be32(fci, 4) & 0x3_ffff;
                PayloadFeedbackKind::Remb(Remb {
                    bitrate: u64::from(mantissa)
                        .checked_shl(u32::from(exp))
                        .unwrap_or(u64::MAX),
                    ssrcs: fci.get(8..8 + 4 * n).unwrap_or(&[]),
                })
            }
            fmt => PayloadFeedbackKind::Other { fmt, fci },
        }
    }
}

impl RtcpWriter<'_> {
    /// Writes a feedback message with a raw FCI (a multiple of four bytes).
    pub fn feedback(
        &mut self,
        packet_type: u8,
        fmt: u8,
        sender: Ssrc,
        media: Ssrc,
        fci: &[u8],
    ) -> Result<(), RtcpWriteError> {
        self.feedback_with(packet_type, fmt, sender, media, fci.len(), |b| {
            b.copy_from_slice(fci)
        })
    }

    fn feedback_with(
        &mut self,
        packet_type: u8,
        fmt: u8,
        sender: Ssrc,
        media: Ssrc,
        fci_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), RtcpWriteError> {
        self.packet(fmt, packet_type, 8 + fci_len, |b| {
            put32(b, 0, sender.0);
            put32(b, 4, media.0);
            fill(&mut b[8..]);
        })
    }

    /// Writes a generic NACK (RFC 4585 §6.2.1) with at least one entry.
    pub fn generic_nack(
        &mut self,
        sender: Ssrc,
        media: Ssrc,
        pairs: &[NackPair],
    ) -> Result<(), RtcpWriteError> {
        if pairs.is_empty() {
            return Err(RtcpWriteError::Invalid(
                "a generic NACK needs at least one entry (RFC 4585 §6.2.1)",
            ));
        }
        self.feedback_with(PT_RTPFB, 1, sender, media, pairs.len() * 4, |b| {
            for (i, p) in pairs.iter().enumerate() {
                put16(b, i * 4, p.pid);
                put16(b, i * 4 + 2, p.blp);
            }
        })
    }

    /// Writes a picture loss indication (RFC 4585 §6.3.1).
    pub fn pli(&mut self, sender: Ssrc, media: Ssrc) -> Result<(), RtcpWriteError> {
        // [RFC 4585 §6.3.1.2] "PLI does not require parameters.  Therefore, the
        // length field MUST be 2"
        self.feedback_with(PT_PSFB, 1, sender, media, 0, |_| {})
    }

    /// Writes a slice loss indication (RFC 4585 §6.3.2).
    pub fn sli(
        &mut self,
        sender: Ssrc,
        media: Ssrc,
        entries: &[Sli],
    ) -> Result<(), RtcpWriteError> {
        if entries.is_empty() {
            return Err(RtcpWriteError::Invalid("an SLI needs at least one entry"));
        }
        self.feedback_with(PT_PSFB, 2, sender, media, entries.len() * 4, |b| {
            for (i, e) in entries.iter().enumerate() {
                let v = (u32::from(e.first & 0x1fff) << 19)
                    | (u32::from(e.number & 0x1fff) << 6)
                    | u32::from(e.picture_id & 0x3f);
                put32(b, i * 4, v);
            }
        })
    }

    /// Writes a reference picture selection indication (RFC 4585 §6.3.3).
    pub fn rpsi(
        &mut self,
        sender: Ssrc,
        media: Ssrc,
        rpsi: &Rpsi<'_>,
    ) -> Result<(), RtcpWriteError> {
        if rpsi.bits.is_empty() && rpsi.unused_bits != 0 || rpsi.unused_bits > 7 {
            return Err(RtcpWriteError::Invalid(
                "RPSI unused bits must be 0..=7 of the last octet",
            ));
        }
        let total = (2 + rpsi.bits.len()).div_ceil(4) * 4;
        let pad_octets = total - 2 - rpsi.bits.len();
        let pb = pad_octets * 8 + usize::from(rpsi.unused_bits);
        self.feedback_with(PT_PSFB, 3, sender, media, total, |b| {
            b[0] = pb as u8;
            b[1] = rpsi.payload_type & 0x7f;
            b[2..2 + rpsi.bits.len()].copy_from_slice(rpsi.bits);
        })
    }

    /// Writes a full intra request (RFC 5104 §4.3.1).
    pub fn fir(&mut self, sender: Ssrc, entries: &[Fir]) -> Result<(), RtcpWriteError> {
        if entries.is_empty() {
            return Err(RtcpWriteError::Invalid("a FIR needs at least one entry"));
        }
        // [RFC 5104 §4.3.1.2] "the "SSRC of media source" is not used and
        // SHALL be set to 0"
        self.feedback_with(PT_PSFB, 4, sender, Ssrc(0), entries.len() * 8, |b| {
            for (i, e) in entries.iter().enumerate() {
                put32(b, i * 8, e.ssrc.0);
                b[i * 8 + 4] = e.seq_nr;
            }
        })
    }

    /// Writes a REMB message: `bitrate` in bits per second is encoded as an
    /// 18-bit mantissa and 6-bit exponent, rounding down.
    pub fn remb(
        &mut self,
        sender: Ssrc,
        bitrate: u64,
        ssrcs: &[Ssrc],
    ) -> Result<(), RtcpWriteError> {
        if ssrcs.len() > 255 {
            return Err(RtcpWriteError::TooMany {
                what: "REMB SSRCs",
                count: ssrcs.len(),
                max: 255,
            });
        }
        let mut exp = 0u32;
        let mut mantissa = bitrate;
        while mantissa > 0x3_ffff {
            mantissa >>= 1;
            exp += 1;
        }
        self.feedback_with(PT_PSFB, 15, sender, Ssrc(0), 8 + ssrcs.len() * 4, |b| {
            b[0..4].copy_from_slice(REMB_ID);
            put32(
                b,
                4,
                ((ssrcs.len() as u32) << 24) | (exp << 18) | mantissa as u32,
            );
            for (i, s) in ssrcs.iter().enumerate() {
                put32(b, 8 + i * 4, s.0);
            }
        })
    }
}
