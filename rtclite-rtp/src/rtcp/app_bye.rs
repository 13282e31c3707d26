//! Goodbye (RFC 3550 §6.6) and application-defined (RFC 3550 §6.7) packets.

use super::{
    PT_APP, PT_BYE, RtcpError, RtcpWriteError, RtcpWriter, be32, count_of, malformed, put32,
};
use crate::Ssrc;

/// A goodbye packet (PT 203).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    ssrcs: &'a [u8],
    reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    #[inline]
    pub(crate) fn parse(count: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        let n = usize::from(count) * 4;
        let (Some(ssrcs), Some(rest)) = (body.get(..n), body.get(n..)) else {
            return Err(malformed(
                offset,
                "BYE",
                "source count larger than the packet",
                "RFC 3550 §6.6",
            ));
        };
        // [RFC 3550 §6.6] "Optionally, the BYE packet MAY include an 8-bit
        // octet count followed by that many octets of text indicating the
        // reason for leaving"
        let reason = match rest.split_first() {
            None => None,
            Some((&len, text)) => match text.get(..usize::from(len)) {
                Some(r) => Some(r),
                None => {
                    return Err(malformed(
                        offset + 4 + n,
                        "BYE",
                        "reason length runs past the packet",
                        "RFC 3550 §6.6",
                    ));
                }
            },
        };
        Ok(Self { ssrcs, reason })
    }

    /// The sources leaving.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = Ssrc> + 'a {
        self.ssrcs.chunks_exact(4).map(|c| Ssrc(be32(c, 0)))
    }

    /// The reason for leaving, if given.
    pub fn reason(&self) -> Option<&'a [u8]> {
        self.reason
    }
}

/// An application-defined packet (PT 204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    subtype: u8,
    body: &'a [u8],
}

impl<'a> App<'a> {
    #[inline]
    pub(crate) fn parse(subtype: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        if body.len() < 8 {
            return Err(malformed(
                offset,
                "APP",
                "shorter than SSRC and name",
                "RFC 3550 §6.7",
            ));
        }
        Ok(Self { subtype, body })
    }

    /// The five-bit subtype.
    pub fn subtype(&self) -> u8 {
        self.subtype
    }

    /// The sender's SSRC or CSRC.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(be32(self.body, 0))
    }

    /// The four-octet ASCII name.
    pub fn name(&self) -> [u8; 4] {
        match self.body.get(4..8) {
            Some(&[a, b, c, d]) => [a, b, c, d],
            _ => [0; 4],
        }
    }

    /// The application-dependent data.
    pub fn data(&self) -> &'a [u8] {
        self.body.get(8..).unwrap_or(&[])
    }
}

impl RtcpWriter<'_> {
    /// Writes a BYE for up to 31 sources with an optional reason (at most
    /// 255 octets).
    pub fn bye(&mut self, sources: &[Ssrc], reason: Option<&[u8]>) -> Result<(), RtcpWriteError> {
        let sc = count_of("BYE sources", sources.len())?;
        let reason_len = match reason {
            Some(r) if r.len() > 255 => {
                return Err(RtcpWriteError::Invalid(
                    "BYE reason longer than 255 octets (RFC 3550 §6.6)",
                ));
            }
            // [RFC 3550 §6.6] "If not, the BYE packet MUST be padded with null octets to the next
            // 32- bit boundary."
            Some(r) => (1 + r.len()).div_ceil(4) * 4,
            None => 0,
        };
        self.packet(sc, PT_BYE, sources.len() * 4 + reason_len, |b| {
            for (i, s) in sources.iter().enumerate() {
                put32(b, i * 4, s.0);
            }
            if let Some(r) = reason {
                let at = sources.len() * 4;
                b[at] = r.len() as u8;
                b[at + 1..at + 1 + r.len()].copy_from_slice(r);
            }
        })
    }

    /// Writes an APP packet; `data` must be a multiple of four bytes.
    pub fn app(
        &mut self,
        subtype: u8,
        ssrc: Ssrc,
        name: [u8; 4],
        data: &[u8],
    ) -> Result<(), RtcpWriteError> {
        if subtype > 31 {
            return Err(RtcpWriteError::Invalid("APP subtype does not fit 5 bits"));
        }
        // [RFC 3550 §6.7] "It MUST be a multiple of 32 bits long."
        self.packet(subtype, PT_APP, 8 + data.len(), |b| {
            put32(b, 0, ssrc.0);
            b[4..8].copy_from_slice(&name);
            b[8..].copy_from_slice(data);
        })
    }
}
