//! The one error type of the message layer.

use std::fmt;

use crate::header_name::HeaderName;

/// What was wrong with the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The message is larger than [`crate::MAX_MESSAGE_SIZE`].
    MessageTooLarge,
    /// More header fields than [`crate::MAX_HEADERS`].
    TooManyHeaders,
    /// A line longer than [`crate::MAX_LINE_LEN`].
    LineTooLong,
    /// The input ended before the blank line that ends the header section.
    Incomplete,
    /// The start line or header section is not valid UTF-8.
    InvalidUtf8,
    /// The input does not match the grammar; the text says what was expected.
    Syntax(&'static str),
    /// A header field the message needs is absent.
    MissingHeader,
    /// A header field that may appear once appears with several values.
    DuplicateHeader,
    /// Content-Length says more bytes than the message holds.
    BodyTruncated,
    /// A number does not fit its field or is out of the allowed range.
    OutOfRange(&'static str),
    /// A semantic rule of the receiver (validation) is broken.
    Invalid(&'static str),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MessageTooLarge => f.write_str("message larger than the size limit"),
            Self::TooManyHeaders => f.write_str("more header fields than the limit"),
            Self::LineTooLong => f.write_str("line longer than the limit"),
            Self::Incomplete => f.write_str("header section not terminated by an empty line"),
            Self::InvalidUtf8 => f.write_str("header section is not valid UTF-8"),
            Self::Syntax(what) => write!(f, "syntax error: {what}"),
            Self::MissingHeader => f.write_str("missing mandatory header field"),
            Self::DuplicateHeader => f.write_str("header field must appear only once"),
            Self::BodyTruncated => f.write_str("Content-Length larger than the body present"),
            Self::OutOfRange(what) => write!(f, "value out of range: {what}"),
            Self::Invalid(what) => write!(f, "{what}"),
        }
    }
}

/// A parse or validation error: what, where, and the rule it breaks.
///
/// `Display` gives one line such as
/// `syntax error: expected SIP-Version in start line at byte 25 (RFC 3261 §7.1)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: Option<usize>,
    header: Option<HeaderName>,
    section: Option<&'static str>,
}

impl Error {
    /// An error of `kind` with no location.
    pub const fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            offset: None,
            header: None,
            section: None,
        }
    }

    /// The same error located at byte `offset` of the input.
    #[must_use]
    pub const fn at(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    /// The same error attributed to header field `name`.
    #[must_use]
    pub const fn in_header(mut self, name: HeaderName) -> Self {
        self.header = Some(name);
        self
    }

    /// The same error attributed to a section, e.g. `"RFC 3261 §7.1"`.
    #[must_use]
    pub const fn rfc(mut self, section: &'static str) -> Self {
        self.section = Some(section);
        self
    }

    /// What was wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset into the parsed input, when known.
    pub const fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// The header field the error is in, when it is in one.
    pub const fn header(&self) -> Option<HeaderName> {
        self.header
    }

    /// The RFC section the input violates, when one applies.
    pub const fn section(&self) -> Option<&'static str> {
        self.section
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(h) = self.header {
            write!(f, " in {} header field", h.as_str())?;
        }
        if let Some(o) = self.offset {
            write!(f, " at byte {o}")?;
        }
        if let Some(s) = self.section {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Shorthand for a syntax error.
pub(crate) const fn syntax(what: &'static str) -> Error {
    Error::new(ErrorKind::Syntax(what))
}
