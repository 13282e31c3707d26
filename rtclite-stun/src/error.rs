//! Errors: what was wrong, where, and which RFC section says so.

/// A byte sequence is not a well-formed STUN message.
///
/// Every variant names the byte offset of the problem (from the start of the
/// message) where there is one, and the section of RFC 8489 that the input
/// breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer than the 20 bytes of a STUN header.
    #[error("message too short: {len} bytes, a STUN header needs 20 (RFC 8489 §5)")]
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// The two most significant bits of the first byte are not zero.
    #[error("first byte {first:#04x}: the most significant 2 bits must be zeroes (RFC 8489 §5)")]
    NotStun {
        /// The first byte of the input.
        first: u8,
    },
    /// The Message Length field is not a multiple of 4.
    #[error("message length {length} at offset 2 is not a multiple of 4 (RFC 8489 §5)")]
    LengthNotAligned {
        /// The Message Length field.
        length: u16,
    },
    /// The Message Length field disagrees with the bytes present.
    #[error(
        "message length {length} at offset 2 does not match the {available} bytes after the header (RFC 8489 §5)"
    )]
    LengthMismatch {
        /// The Message Length field.
        length: u16,
        /// Bytes present after the 20-byte header.
        available: usize,
    },
    /// An attribute header or value runs past the end of the message.
    #[error(
        "attribute {attr_type:#06x} at offset {offset}: length {length} runs past the end of the message ({available} bytes left) (RFC 8489 §14)"
    )]
    AttributeTruncated {
        /// Offset of the attribute header.
        offset: usize,
        /// The attribute type (0 when even the type is cut off).
        attr_type: u16,
        /// The attribute's Length field (0 when cut off).
        length: u16,
        /// Bytes left in the message at `offset`.
        available: usize,
    },
    /// An attribute follows FINGERPRINT.
    #[error(
        "attribute {attr_type:#06x} at offset {offset} follows FINGERPRINT, which must be the last attribute (RFC 8489 §14.7)"
    )]
    FingerprintNotLast {
        /// Offset of the offending attribute.
        offset: usize,
        /// Its type.
        attr_type: u16,
    },
}

/// The value of a known attribute does not have the form its RFC gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} ({attr_type:#06x}) at offset {offset}: {reason} ({section})")]
pub struct AttributeError {
    /// The attribute name from the IANA registry.
    pub name: &'static str,
    /// The attribute type.
    pub attr_type: u16,
    /// Offset of the attribute header in the message (0 when decoded alone).
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
    /// The RFC section defining the format, e.g. `RFC 8489 §14.1`.
    pub section: &'static str,
}

/// A message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An attribute value longer than the 16-bit Length field can express.
    #[error("attribute {attr_type:#06x}: value of {len} bytes exceeds 65535 (RFC 8489 §14)")]
    ValueTooLong {
        /// The attribute type.
        attr_type: u16,
        /// Its value length.
        len: usize,
    },
    /// The message would exceed the 16-bit Message Length field.
    #[error("message body of {len} bytes exceeds 65532, the largest Message Length (RFC 8489 §5)")]
    MessageTooLong {
        /// The body length that was reached.
        len: usize,
    },
    /// An attribute was added after FINGERPRINT.
    #[error("no attribute may follow FINGERPRINT (RFC 8489 §14.7)")]
    AfterFingerprint,
    /// A value breaks a rule of its attribute (for example an ERROR-CODE out of 300..=699).
    #[error("{0}")]
    InvalidValue(&'static str),
}
