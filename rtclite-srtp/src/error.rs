//! The one error type of the crate: every variant names the check that
//! failed, where in the packet, and the RFC section that made it fail.

/// Why a packet could not be protected or unprotected, or why a policy or
/// key string was refused.
///
/// On every error the caller's buffer is left exactly as it was given, and
/// no crypto-context state (rollover counter, replay list, SRTCP index, key
/// usage counters) has changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The packet is shorter than the part named by `what` requires.
    #[error("packet too short: {len} bytes, {what} needs {needed} [RFC 3711 §3.1]")]
    TooShort {
        /// Bytes available.
        len: usize,
        /// Bytes required.
        needed: usize,
        /// The structure that did not fit.
        what: &'static str,
    },
    /// The first two bits of the packet (offset 0) are not version 2.
    #[error("not an RTP/RTCP packet: version {version} at offset 0, expected 2 [RFC 3550 §5.1]")]
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// The payload would need more than 2^16 keystream blocks from one IV.
    #[error(
        "payload of {len} bytes exceeds the 2^16 keystream blocks allowed per packet [RFC 3711 §4.1.1]"
    )]
    TooLong {
        /// Payload length.
        len: usize,
    },
    /// The caller's buffer has too little spare room for the SRTP trailer.
    #[error("output buffer too small: {capacity} bytes, the protected packet needs {needed}")]
    BufferTooSmall {
        /// Size of the buffer.
        capacity: usize,
        /// Size the protected packet needs.
        needed: usize,
    },
    /// The authentication tag did not verify ("AUTHENTICATION FAILURE").
    #[error("authentication failure: SSRC {ssrc:#010x}, index {index} [RFC 3711 §4.2]")]
    AuthenticationFailure {
        /// SSRC of the packet.
        ssrc: u32,
        /// Packet index (48-bit SRTP index or 31-bit SRTCP index).
        index: u64,
    },
    /// The packet's index is already in the replay list.
    #[error(
        "replayed packet: SSRC {ssrc:#010x}, index {index} was already received [RFC 3711 §3.3.2]"
    )]
    Replayed {
        /// SSRC of the packet.
        ssrc: u32,
        /// Packet index.
        index: u64,
    },
    /// The packet's index lags behind the replay window.
    #[error(
        "packet too old: SSRC {ssrc:#010x}, index {index} is behind the replay window of {window} [RFC 3711 §3.3.2]"
    )]
    TooOld {
        /// SSRC of the packet.
        ssrc: u32,
        /// Packet index.
        index: u64,
        /// Window size in packets.
        window: u64,
    },
    /// The sender was asked to protect an index it already used (or one too
    /// old to tell): that would reuse keystream.
    #[error(
        "refusing to protect SSRC {ssrc:#010x}, index {index} a second time (keystream reuse) [RFC 3711 §4.1.1]"
    )]
    IndexReuse {
        /// SSRC of the packet.
        ssrc: u32,
        /// Packet index.
        index: u64,
    },
    /// The MKI in the packet names no master key of the context.
    #[error("unknown MKI {mki:02x?} at offset {offset} [RFC 3711 §3.1]")]
    UnknownMki {
        /// The MKI bytes found.
        mki: Vec<u8>,
        /// Offset of the MKI in the packet.
        offset: usize,
    },
    /// No crypto context exists for the SSRC and the policy does not create
    /// one on demand.
    #[error("no crypto context for SSRC {ssrc:#010x} [RFC 3711 §3.2.3]")]
    UnknownSsrc {
        /// SSRC of the packet.
        ssrc: u32,
    },
    /// The context already holds the policy's maximum number of streams.
    #[error("stream limit of {limit} SSRCs reached")]
    TooManyStreams {
        /// The limit.
        limit: usize,
    },
    /// The master key has protected as many packets as it may.
    #[error("master key {master_key} exhausted after {limit} {} packets: re-key [RFC 3711 §3.3.1]", if *.srtcp { "SRTCP" } else { "SRTP" })]
    KeyExhausted {
        /// Position of the master key in the policy.
        master_key: usize,
        /// Whether the SRTCP (rather than SRTP) limit was hit.
        srtcp: bool,
        /// The limit that was reached.
        limit: u64,
    },
    /// `protect` was called on an inbound context or `unprotect` on an
    /// outbound one.
    #[error("wrong direction: this context only {0}s")]
    WrongDirection(&'static str),
    /// A policy or key was refused.
    #[error("invalid policy: {0}")]
    InvalidPolicy(String),
}
