//! Errors of the SDP parser, the typed attributes and the offer/answer engine.

/// A session description could not be parsed.
///
/// Carries the 1-based line number and the byte offset of the line's first
/// byte, so that a message such as `line 7 (offset 182): ...` points at the
/// offending record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} (offset {offset}): {kind}")]
pub struct ParseError {
    /// 1-based line number (0 when the error concerns the whole input).
    pub line: usize,
    /// Byte offset of the start of that line in the input.
    pub offset: usize,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

/// What was wrong with a session description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input is longer than [`crate::MAX_SDP_LEN`].
    #[error("input is {len} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Length of the input.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A count limit (lines, media descriptions, attributes, ...) was hit.
    #[error("more than {limit} {what}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The input is not UTF-8 (only UTF-8 text is supported; RFC 8866 §5).
    #[error("byte {offset} is not valid UTF-8 (RFC 8866 §5)")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The input holds no `v=` line.
    #[error("empty session description (RFC 8866 §5: it starts with a \"v=\" line)")]
    Empty,
    /// A NUL byte or a CR not followed by LF.
    #[error(
        "forbidden byte {byte:#04x} at offset {at} (RFC 8866 §9: any byte except NUL, CR, or LF)"
    )]
    ForbiddenByte {
        /// The byte.
        byte: u8,
        /// Its offset in the input.
        at: usize,
    },
    /// The line is not `<type>=<value>` with a one-letter type.
    #[error("line is not of the form <type>=<value> (RFC 8866 §5)")]
    NotTypeValue,
    /// A type letter this parser does not understand.
    #[error("unknown type letter '{0}' (RFC 8866 §5: the set of type letters is not extensible)")]
    UnknownType(char),
    /// A known line in a place the grammar does not allow.
    #[error(
        "\"{found}=\" line not allowed here; expected {expected} (RFC 8866 §5 fixes the order)"
    )]
    OutOfOrder {
        /// The type letter found.
        found: char,
        /// What the grammar allows at this point.
        expected: &'static str,
    },
    /// A required line is absent.
    #[error("missing \"{0}=\" line (RFC 8866 §5)")]
    Missing(char),
    /// A field of a line is malformed.
    #[error("invalid {field}: {reason} (RFC 8866 §{section})")]
    InvalidField {
        /// Which field (e.g. `"m= port"`).
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
        /// The section defining the field.
        section: &'static str,
    },
    /// Neither the session nor this media description has a `c=` line.
    #[error(
        "media description has no \"c=\" line and there is none at session level (RFC 8866 §5.7)"
    )]
    MissingConnection,
}

impl ParseError {
    pub(crate) fn new(line: usize, offset: usize, kind: ParseErrorKind) -> Self {
        Self { line, offset, kind }
    }
}

/// A typed attribute value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a={name}: {reason} ({rfc})")]
pub struct AttributeError {
    /// The attribute name.
    pub name: &'static str,
    /// What is wrong.
    pub reason: &'static str,
    /// The RFC and section defining the syntax (e.g. `"RFC 8866 §6.6"`).
    pub rfc: &'static str,
}

impl AttributeError {
    pub(crate) const fn new(name: &'static str, reason: &'static str, rfc: &'static str) -> Self {
        Self { name, reason, rfc }
    }
}

/// The offer/answer engine refused a description.
///
/// Each variant names the rule of RFC 3264 (or RFC 4568) that the input
/// breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The answer's m-line count differs from the offer's.
    #[error(
        "answer has {answer} m-lines but the offer has {offer} (RFC 3264 §6: \"MUST be exactly the same\")"
    )]
    MediaCountMismatch {
        /// m-lines in the offer.
        offer: usize,
        /// m-lines in the answer.
        answer: usize,
    },
    /// An answer's m-line has a different media type from the offer's.
    #[error(
        "m-line {index}: answer media \"{answer}\" differs from offered \"{offer}\" (RFC 3264 §6)"
    )]
    MediaTypeMismatch {
        /// Index of the m-line.
        index: usize,
        /// Offered media type.
        offer: String,
        /// Answered media type.
        answer: String,
    },
    /// A stream offered with port 0 was answered with a live port.
    #[error(
        "m-line {index}: stream offered with port 0 answered with a non-zero port (RFC 3264 §8.2: \"MUST be marked with port zero in the answer\")"
    )]
    RemovedStreamAnswered {
        /// Index of the m-line.
        index: usize,
    },
    /// Every offered stream was rejected.
    #[error(
        "no media formats in common for any stream: the offered session is rejected (RFC 3264 §6.1)"
    )]
    NothingInCommon,
    /// An answer's direction is not allowed for the offered direction.
    #[error(
        "m-line {index}: answer direction {answer} is not allowed for offered {offer} (RFC 3264 §6.1)"
    )]
    DirectionMismatch {
        /// Index of the m-line.
        index: usize,
        /// Offered direction.
        offer: crate::Direction,
        /// Answered direction.
        answer: crate::Direction,
    },
    /// An accepted stream has no format in common with the offer.
    #[error(
        "m-line {index}: accepted stream has no media format from amongst those listed in the offer (RFC 3264 §6.1)"
    )]
    NoFormats {
        /// Index of the m-line.
        index: usize,
    },
    /// An answered crypto tag was not offered, or more than one was answered.
    #[error("m-line {index}: {reason} (RFC 4568 §7.1.2)")]
    Crypto {
        /// Index of the m-line.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A typed attribute needed by the engine is malformed.
    #[error("m-line {index}: {source}")]
    Attribute {
        /// Index of the m-line (usize::MAX for session level).
        index: usize,
        /// The attribute error.
        source: AttributeError,
    },
    /// A later offer has fewer m-lines than the previous SDP.
    #[error(
        "new offer has {now} m-lines but the previous SDP had {previous} (RFC 3264 §8: \"the new SDP MUST have at least N \"m=\" lines\")"
    )]
    MediaRemoved {
        /// m-lines in the previous SDP.
        previous: usize,
        /// m-lines in the new offer.
        now: usize,
    },
    /// The `o=` line of a later description changed where it must not.
    #[error("{0} (RFC 3264 §8)")]
    Origin(&'static str),
    /// The state does not allow this call.
    #[error("{0}")]
    State(&'static str),
    /// A BUNDLE group of an answer or offer breaks RFC 9143 §6, §7 or §9,
    /// or an offer was asked for one that would (bundle-only streams
    /// without a group, or only bundle-only streams).
    #[error("BUNDLE group: {reason} (RFC 9143 {section})")]
    Bundle {
        /// What is wrong.
        reason: &'static str,
        /// The section of RFC 9143 broken.
        section: &'static str,
    },
    /// ICE credentials changed in a way RFC 8839 §4.4 does not allow.
    #[error("m-line {index}: {reason} (RFC 8839 {section})")]
    Ice {
        /// Index of the m-line.
        index: usize,
        /// What is wrong.
        reason: &'static str,
        /// The section of RFC 8839 broken.
        section: &'static str,
    },
    /// A dynamic payload type of the peer now names another codec on the
    /// same m-line.
    #[error(
        "m-line {index}: dynamic payload type {payload_type} changed codec (RFC 3264 §8.3.2: \"MUST NOT change for the duration of a session\")"
    )]
    PayloadTypeRemapped {
        /// Index of the m-line.
        index: usize,
        /// The payload type.
        payload_type: u8,
    },
    /// The answer to a multicast stream differs from the offer (RFC 3264
    /// §6.2).
    #[error("m-line {index}: multicast answer {reason} (RFC 3264 §6.2)")]
    Multicast {
        /// Index of the m-line.
        index: usize,
        /// What differs.
        reason: &'static str,
    },
}
