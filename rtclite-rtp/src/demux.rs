//! Telling RTP from RTCP when both share one port (RFC 5761 §4).
//!
//! The second octet of an RTCP packet is its packet type; in RTP the same
//! octet holds the marker bit and the payload type. RFC 5761 keeps payload
//! types 64–95 free so that, with the marker bit, octet values 192–223 only
//! ever mean RTCP. Packets that are not RTP at all (STUN, DTLS, ...) are told
//! apart earlier by the first octet (RFC 7983); [`classify`] only answers for
//! packets whose version is 2.

/// What a packet on a multiplexed port is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketKind {
    /// An RTP data packet.
    Rtp,
    /// An RTCP packet (the first of a compound).
    Rtcp,
    /// Too short or not version 2: neither.
    Other,
}

/// Classifies one datagram received on an RTP/RTCP multiplexed port.
///
/// ```
/// use rtclite_rtp::demux::{classify, PacketKind};
/// assert_eq!(classify(&[0x80, 0xc8, 0, 6]), PacketKind::Rtcp); // SR
/// assert_eq!(classify(&[0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), PacketKind::Rtp);
/// assert_eq!(classify(&[0x80, 0xe0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), PacketKind::Rtp); // M + PT 96
/// ```
pub fn classify(packet: &[u8]) -> PacketKind {
    let (Some(&b0), Some(&b1)) = (packet.first(), packet.get(1)) else {
        return PacketKind::Other;
    };
    if b0 >> 6 != 2 {
        return PacketKind::Other;
    }
    // [RFC 5761 §4] "payload type values in the range 64-95 MUST NOT be used"
    // so an octet in 192..=223 (M set, PT 64-95) is always an RTCP packet type.
    if (192..=223).contains(&b1) {
        PacketKind::Rtcp
    } else if packet.len() >= crate::rtp::FIXED_HEADER_LEN {
        PacketKind::Rtp
    } else {
        PacketKind::Other
    }
}

/// True when `payload_type` may be used on a multiplexed port (RFC 5761 §4:
/// not 64–95).
pub fn payload_type_allowed_with_mux(payload_type: u8) -> bool {
    payload_type < 64 || (96..=127).contains(&payload_type)
}
