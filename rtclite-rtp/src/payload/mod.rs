//! Payload formats and the RTP/AVP profile: the RFC 3551 static payload
//! type table, telephone events (RFC 4733), redundant audio (RFC 2198),
//! telephony tones (RFC 4733 §4), real-time text (RFC 4103) and G.711.

pub mod dtmf;
pub mod g711;
pub mod red;
pub mod t140;
pub mod tone;

/// The kind of media a static payload type carries (RFC 3551 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaKind {
    /// Audio (A).
    Audio,
    /// Video (V).
    Video,
    /// Combined audio and video (AV).
    AudioVideo,
}

/// One static payload type assignment of RFC 3551 §6 (Tables 4 and 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticPayloadType {
    /// The payload type number.
    pub pt: u8,
    /// The encoding name as used in SDP `a=rtpmap`.
    pub encoding: &'static str,
    /// Audio, video or both.
    pub media: MediaKind,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels, `None` for video or where the table says "see text".
    pub channels: Option<u8>,
}

const fn a(pt: u8, encoding: &'static str, clock_rate: u32, channels: u8) -> StaticPayloadType {
    StaticPayloadType {
        pt,
        encoding,
        media: MediaKind::Audio,
        clock_rate,
        channels: Some(channels),
    }
}

const fn v(pt: u8, encoding: &'static str, media: MediaKind) -> StaticPayloadType {
    StaticPayloadType {
        pt,
        encoding,
        media,
        clock_rate: 90_000,
        channels: None,
    }
}

/// Every static assignment of RFC 3551 Tables 4 and 5, in PT order.
// [RFC 3551 §6 exception: G.711 only, no DVI4 codec] "SHOULD, at a minimum, be able to send and/or
// receive payload types 0 (PCMU) and 5 (DVI4)"
pub const STATIC_PAYLOAD_TYPES: &[StaticPayloadType] = &[
    a(0, "PCMU", 8000, 1),
    a(3, "GSM", 8000, 1),
    a(4, "G723", 8000, 1),
    a(5, "DVI4", 8000, 1),
    a(6, "DVI4", 16000, 1),
    a(7, "LPC", 8000, 1),
    a(8, "PCMA", 8000, 1),
    // [RFC 3551 §4.5.2] "the RTP clock rate for the G722 payload format is
    // 8,000 Hz because that value was erroneously assigned in RFC 1890"
    // although the codec samples at 16 kHz.
    a(9, "G722", 8000, 1),
    a(10, "L16", 44100, 2),
    a(11, "L16", 44100, 1),
    a(12, "QCELP", 8000, 1),
    a(13, "CN", 8000, 1),
    StaticPayloadType {
        pt: 14,
        encoding: "MPA",
        media: MediaKind::Audio,
        clock_rate: 90_000,
        channels: None,
    },
    a(15, "G728", 8000, 1),
    a(16, "DVI4", 11025, 1),
    a(17, "DVI4", 22050, 1),
    a(18, "G729", 8000, 1),
    v(25, "CelB", MediaKind::Video),
    v(26, "JPEG", MediaKind::Video),
    v(28, "nv", MediaKind::Video),
    v(31, "H261", MediaKind::Video),
    v(32, "MPV", MediaKind::Video),
    v(33, "MP2T", MediaKind::AudioVideo),
    v(34, "H263", MediaKind::Video),
];

/// The static assignment of `pt`, if RFC 3551 has one.
pub fn static_payload_type(pt: u8) -> Option<&'static StaticPayloadType> {
    STATIC_PAYLOAD_TYPES.iter().find(|s| s.pt == pt)
}

/// True for the dynamic range 96–127 (RFC 3551 §3).
pub fn is_dynamic(pt: u8) -> bool {
    (96..=127).contains(&pt)
}
