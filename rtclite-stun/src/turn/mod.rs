//! TURN (RFC 8656): ChannelData framing, demultiplexing, the sans-IO client
//! and the server-side allocation state.

pub mod client;
pub mod server;

/// Lowest channel number (RFC 8656 §12).
pub const CHANNEL_MIN: u16 = 0x4000;
/// Highest channel number (RFC 8656 §12).
pub const CHANNEL_MAX: u16 = 0x4FFF;
/// REQUESTED-TRANSPORT value for UDP.
pub const TRANSPORT_UDP: u8 = 17;

/// What the first byte of a packet on a TURN/ICE 5-tuple says it is
/// (RFC 8656 §12, RFC 7983).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketKind {
    /// 0..=3: STUN.
    Stun,
    /// 16..=19: ZRTP.
    Zrtp,
    /// 20..=63: DTLS.
    Dtls,
    /// 64..=79: TURN ChannelData.
    ChannelData,
    /// 128..=191: RTP or RTCP.
    Rtp,
    /// Anything else: reserved, to be dropped.
    Reserved,
}

/// Classifies a packet by its first byte.
// [RFC 8656 §12] "When
// the client uses channel binding, it MUST comply with the
// demultiplexing scheme discussed above."
pub fn classify(packet: &[u8]) -> PacketKind {
    match packet.first() {
        Some(0..=3) => PacketKind::Stun,
        Some(16..=19) => PacketKind::Zrtp,
        Some(20..=63) => PacketKind::Dtls,
        Some(64..=79) => PacketKind::ChannelData,
        Some(128..=191) => PacketKind::Rtp,
        _ => PacketKind::Reserved,
    }
}

/// A ChannelData message that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelDataError {
    /// Fewer than the 4 header bytes.
    #[error("ChannelData shorter than its 4-byte header (RFC 8656 §12.4)")]
    TooShort,
    /// Channel number outside 0x4000..=0x4FFF.
    #[error("channel number {0:#06x} is not in 0x4000..=0x4FFF (RFC 8656 §12)")]
    BadChannel(u16),
    /// The Length field claims more than the datagram holds.
    #[error("ChannelData length {length} exceeds the {available} bytes present (RFC 8656 §12.6)")]
    Truncated {
        /// The Length field.
        length: u16,
        /// Bytes after the header.
        available: usize,
    },
}

/// A ChannelData message borrowing its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// The channel number.
    pub channel: u16,
    /// The application data.
    pub data: &'a [u8],
}

impl<'a> ChannelData<'a> {
    /// Parses a ChannelData message at the start of `bytes`; returns it and
    /// the number of bytes it occupies including padding to 4 (for TCP).
    pub fn parse(bytes: &'a [u8]) -> Result<(ChannelData<'a>, usize), ChannelDataError> {
        let h = bytes.get(..4).ok_or(ChannelDataError::TooShort)?;
        let channel = u16::from_be_bytes([h[0], h[1]]);
        // [RFC 8656 §12.6] "If the message uses a value in the reserved range (0x5000
        // through 0xFFFF), then the message is silently discarded."
        if !(CHANNEL_MIN..=CHANNEL_MAX).contains(&channel) {
            return Err(ChannelDataError::BadChannel(channel));
        }
        let length = u16::from_be_bytes([h[2], h[3]]);
        let len = usize::from(length);
        // [RFC 8656 §12.6] "if the
        // UDP datagram is too short to contain the claimed length of the
        // ChannelData message (i.e., the UDP header length field value is less
        // than the ChannelData header length field value + 4 + 8), then the
        // message is silently discarded."
        let data = bytes.get(4..4 + len).ok_or(ChannelDataError::Truncated {
            length,
            available: bytes.len() - 4,
        })?;
        let padded = (4 + len).div_ceil(4) * 4;
        Ok((
            ChannelData { channel, data },
            padded.min(bytes.len()).max(4 + len),
        ))
    }

    /// Appends the message to `out`; `pad` pads it to a multiple of 4 (TCP).
    pub fn write(&self, out: &mut Vec<u8>, pad: bool) -> Result<(), ChannelDataError> {
        let length = u16::try_from(self.data.len()).map_err(|_| ChannelDataError::Truncated {
            length: u16::MAX,
            available: self.data.len(),
        })?;
        out.extend_from_slice(&self.channel.to_be_bytes());
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(self.data);
        if pad {
            // [RFC 8656 §12.5] "Over TCP and TLS-over-TCP, the ChannelData message MUST be padded to
            // a multiple of four bytes in order to ensure the alignment of
            // subsequent messages."
            out.resize(out.len() + (4 - self.data.len() % 4) % 4, 0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_data_round_trip_and_limits() {
        let mut out = Vec::new();
        ChannelData {
            channel: 0x4001,
            data: b"hello",
        }
        .write(&mut out, true)
        .unwrap();
        assert_eq!(out, b"\x40\x01\x00\x05hello\0\0\0");
        let (cd, used) = ChannelData::parse(&out).unwrap();
        assert_eq!((cd.channel, cd.data, used), (0x4001, &b"hello"[..], 12));
        assert_eq!(
            ChannelData::parse(b"\x50\x00\x00\x00"),
            Err(ChannelDataError::BadChannel(0x5000))
        );
        assert_eq!(
            ChannelData::parse(b"\x40\x00\x00\x09abc"),
            Err(ChannelDataError::Truncated {
                length: 9,
                available: 3
            })
        );
        // [RFC 8656 §12.4 test] "Note that 0 is a valid length."
        assert_eq!(ChannelData::parse(b"\x4f\xff\x00\x00").unwrap().0.data, b"");
    }

    #[test]
    fn first_byte_demultiplexing() {
        assert_eq!(classify(&[0x00]), PacketKind::Stun);
        assert_eq!(classify(&[0x40]), PacketKind::ChannelData);
        assert_eq!(classify(&[0x4f]), PacketKind::ChannelData);
        assert_eq!(classify(&[0x80]), PacketKind::Rtp);
        assert_eq!(classify(&[22]), PacketKind::Dtls);
        assert_eq!(classify(&[0x50]), PacketKind::Reserved);
        assert_eq!(classify(&[]), PacketKind::Reserved);
    }
}
