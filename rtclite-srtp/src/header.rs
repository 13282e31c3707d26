//! The few RTP and RTCP header fields SRTP needs, read with checked
//! slicing (RFC 3550 §5.1, §6.4).

use crate::Error;

/// Size of the fixed RTP header.
pub(crate) const RTP_FIXED_HEADER: usize = 12;
/// Size of the RTCP header SRTCP leaves in the clear (header word + SSRC).
pub(crate) const RTCP_CLEAR_HEADER: usize = 8;

/// Fields of an RTP header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RtpHeader {
    /// Length of the header including CSRCs and the header extension.
    pub(crate) len: usize,
    pub(crate) seq: u16,
    pub(crate) ssrc: u32,
}

fn be16(p: &[u8], at: usize) -> Option<u16> {
    let b = p.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

pub(crate) fn be32(p: &[u8], at: usize) -> Option<u32> {
    let b = p.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn check_version(first: u8) -> Result<(), Error> {
    let version = first >> 6;
    if version != 2 {
        return Err(Error::BadVersion { version });
    }
    Ok(())
}

/// Parses the RTP header of `packet`: its length (fixed part, CSRC list
/// and header extension), sequence number and SSRC.
#[inline]
pub(crate) fn rtp_header(packet: &[u8]) -> Result<RtpHeader, Error> {
    let short = |needed, what| Error::TooShort {
        len: packet.len(),
        needed,
        what,
    };
    let Some(fixed) = packet.first_chunk::<RTP_FIXED_HEADER>() else {
        return Err(short(RTP_FIXED_HEADER, "the RTP fixed header"));
    };
    let first = fixed[0];
    check_version(first)?;
    let seq = u16::from_be_bytes([fixed[2], fixed[3]]);
    let ssrc = u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);
    let csrc_count = usize::from(first & 0x0f);
    let mut len = RTP_FIXED_HEADER + 4 * csrc_count;
    if packet.len() < len {
        return Err(short(len, "the CSRC list"));
    }
    if first & 0x10 != 0 {
        let words = be16(packet, len + 2).ok_or_else(|| short(len + 4, "the header extension"))?;
        len += 4 + 4 * usize::from(words);
        if packet.len() < len {
            return Err(short(len, "the header extension"));
        }
    }
    Ok(RtpHeader { len, seq, ssrc })
}

/// Checks the first RTCP header of `packet` and returns the SSRC of its
/// sender (octets 4..8).
pub(crate) fn rtcp_ssrc(packet: &[u8]) -> Result<u32, Error> {
    let short = Error::TooShort {
        len: packet.len(),
        needed: RTCP_CLEAR_HEADER,
        what: "the RTCP header and sender SSRC",
    };
    let first = *packet.first().ok_or(short.clone())?;
    if packet.len() < RTCP_CLEAR_HEADER {
        return Err(short);
    }
    check_version(first)?;
    be32(packet, 4).ok_or(short)
}
