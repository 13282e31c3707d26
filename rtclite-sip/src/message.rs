//! The message codec: zero-copy parse of a SIP request or response
//! (RFC 3261 §7, §25) and the canonical writer.

use std::borrow::Cow;

use bytes::BufMut;

use crate::error::{Error, ErrorKind, syntax};
use crate::header_name::HeaderName;
use crate::syntax::{is_token_char, parse_u32};

/// Largest message [`Message::parse`] and the stream framer accept, in bytes
/// (the largest UDP payload; a larger SIP message is not sensible).
pub const MAX_MESSAGE_SIZE: usize = 65_535;
/// Most header field lines one message may carry.
pub const MAX_HEADERS: usize = 128;
/// Longest physical line (start line or one header line) in bytes.
pub const MAX_LINE_LEN: usize = 16_384;

/// A SIP method (RFC 3261 §7.1 and extensions). Method names are
/// case-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method<'a> {
    /// INVITE (RFC 3261).
    Invite,
    /// ACK (RFC 3261).
    Ack,
    /// BYE (RFC 3261).
    Bye,
    /// CANCEL (RFC 3261).
    Cancel,
    /// OPTIONS (RFC 3261).
    Options,
    /// REGISTER (RFC 3261).
    Register,
    /// PRACK (RFC 3262).
    Prack,
    /// SUBSCRIBE (RFC 6665).
    Subscribe,
    /// NOTIFY (RFC 6665).
    Notify,
    /// PUBLISH (RFC 3903).
    Publish,
    /// INFO (RFC 6086).
    Info,
    /// REFER (RFC 3515).
    Refer,
    /// MESSAGE (RFC 3428).
    Message,
    /// UPDATE (RFC 3311).
    Update,
    /// Any other `extension-method` token.
    Extension(&'a str),
}

impl<'a> Method<'a> {
    /// Classifies a method token (exact, case-sensitive match).
    pub fn from_token(s: &'a str) -> Self {
        // Method names are compared exactly: "INVITE" and "invite" differ
        // (RFC 3261 §20.16 says so for the CSeq method, which must match).
        match s {
            "INVITE" => Self::Invite,
            "ACK" => Self::Ack,
            "BYE" => Self::Bye,
            "CANCEL" => Self::Cancel,
            "OPTIONS" => Self::Options,
            "REGISTER" => Self::Register,
            "PRACK" => Self::Prack,
            "SUBSCRIBE" => Self::Subscribe,
            "NOTIFY" => Self::Notify,
            "PUBLISH" => Self::Publish,
            "INFO" => Self::Info,
            "REFER" => Self::Refer,
            "MESSAGE" => Self::Message,
            "UPDATE" => Self::Update,
            other => Self::Extension(other),
        }
    }

    /// The method token.
    pub const fn as_str(&self) -> &'a str {
        match self {
            Self::Invite => "INVITE",
            Self::Ack => "ACK",
            Self::Bye => "BYE",
            Self::Cancel => "CANCEL",
            Self::Options => "OPTIONS",
            Self::Register => "REGISTER",
            Self::Prack => "PRACK",
            Self::Subscribe => "SUBSCRIBE",
            Self::Notify => "NOTIFY",
            Self::Publish => "PUBLISH",
            Self::Info => "INFO",
            Self::Refer => "REFER",
            Self::Message => "MESSAGE",
            Self::Update => "UPDATE",
            Self::Extension(s) => s,
        }
    }
}

/// `SIP-Version`: `SIP/major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major version (2 for RFC 3261).
    pub major: u16,
    /// Minor version (0 for RFC 3261).
    pub minor: u16,
}

impl Version {
    /// SIP/2.0, the version RFC 3261 defines.
    pub const SIP_2_0: Self = Self { major: 2, minor: 0 };
}

/// Byte range in the message; `u16` suffices because a message is at most
/// [`MAX_MESSAGE_SIZE`] (65 535) bytes, which keeps the index small.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

impl Span {
    fn new(start: usize, end: usize) -> Self {
        // Both are bounded by MAX_MESSAGE_SIZE = u16::MAX.
        Self {
            start: u16::try_from(start).unwrap_or(u16::MAX),
            end: u16::try_from(end).unwrap_or(u16::MAX),
        }
    }
    fn get(self, s: &str) -> &str {
        s.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    name: Span,
    value: Span,
    kind: HeaderName,
    folded: bool,
}

#[derive(Debug, Clone, Copy)]
enum StartSpans {
    Request {
        method: Span,
        uri: Span,
        version: Version,
    },
    Response {
        version: Version,
        code: u16,
        reason: Span,
    },
}

/// The header fields whose first line and repetition the index records, so
/// that the core lookups are O(1).
const CORE: [HeaderName; 8] = [
    HeaderName::Via,
    HeaderName::From,
    HeaderName::To,
    HeaderName::CallId,
    HeaderName::CSeq,
    HeaderName::MaxForwards,
    HeaderName::ContentLength,
    HeaderName::ContentType,
];

const fn core_index(name: HeaderName) -> Option<usize> {
    match name {
        HeaderName::Via => Some(0),
        HeaderName::From => Some(1),
        HeaderName::To => Some(2),
        HeaderName::CallId => Some(3),
        HeaderName::CSeq => Some(4),
        HeaderName::MaxForwards => Some(5),
        HeaderName::ContentLength => Some(6),
        HeaderName::ContentType => Some(7),
        _ => None,
    }
}

const NONE: u8 = u8::MAX;

/// The index a parse builds: spans into the buffer, no pointers, so the same
/// index serves the borrowed and the owned message.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    start: StartSpans,
    count: usize,
    slots: [Slot; MAX_HEADERS],
    /// Slot of the first line of each `CORE` field, `NONE` when absent.
    first: [u8; CORE.len()],
    /// Bit i set when `CORE[i]` has more than one line.
    repeated: u8,
    head_end: usize,
    body: Span,
}

impl Layout {
    const EMPTY: Layout = Layout {
        start: StartSpans::Response {
            version: Version::SIP_2_0,
            code: 0,
            reason: Span { start: 0, end: 0 },
        },
        count: 0,
        slots: [Slot {
            name: Span { start: 0, end: 0 },
            value: Span { start: 0, end: 0 },
            kind: HeaderName::Other,
            folded: false,
        }; MAX_HEADERS],
        first: [NONE; CORE.len()],
        repeated: 0,
        head_end: 0,
        body: Span { start: 0, end: 0 },
    };

    pub(crate) fn body_range(&self) -> (usize, usize) {
        (self.body.start as usize, self.body.end as usize)
    }
}

/// The start line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartLine<'a> {
    /// `Request-Line = Method SP Request-URI SP SIP-Version CRLF`.
    Request {
        /// The method.
        method: Method<'a>,
        /// The Request-URI as written (parse it with [`crate::Uri::parse`]).
        uri: &'a str,
        /// The SIP-Version.
        version: Version,
    },
    /// `Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF`.
    Response {
        /// The SIP-Version.
        version: Version,
        /// The three-digit status code.
        code: u16,
        /// The reason phrase (may be empty).
        reason: &'a str,
    },
}

/// One header field line as it appears in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    name: &'a str,
    kind: HeaderName,
    raw: &'a str,
    folded: bool,
}

impl<'a> Header<'a> {
    /// The name as written (compact or long form, any case).
    pub const fn name(&self) -> &'a str {
        self.name
    }

    /// The recognised name.
    pub const fn kind(&self) -> HeaderName {
        self.kind
    }

    /// The canonical long-form name for known fields, else the name as
    /// written.
    pub fn canonical_name(&self) -> &'a str {
        match self.kind {
            HeaderName::Other => self.name,
            k => k.as_str(),
        }
    }

    /// The value exactly as in the message: leading and trailing white space
    /// removed, folded line breaks kept.
    pub const fn raw_value(&self) -> &'a str {
        self.raw
    }

    /// The value with folding undone: every line break and the white space
    /// around it become one SP (RFC 3261 §7.3.1). Borrowed unless the value
    /// was folded.
    pub fn value(&self) -> Cow<'a, str> {
        if self.folded {
            Cow::Owned(unfold(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

/// Replaces each `*WSP CRLF 1*WSP` run by one SP.
fn unfold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_ws = false;
    for c in raw.chars() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if matches!(c, '\r' | '\n') {
                // [RFC 3261 §7.3.1] "The line
                // break and the whitespace at the beginning of the next line are
                // treated as a single SP character."
                while out.ends_with([' ', '\t']) {
                    out.pop();
                }
                pending_ws = true;
            } else if pending_ws {
                // swallow the leading white space of the continuation line
            } else {
                out.push(c);
            }
        } else {
            if pending_ws {
                out.push(' ');
                pending_ws = false;
            }
            out.push(c);
        }
    }
    out
}

/// A parsed SIP message borrowing from its input.
///
/// Parsing builds an index of the start line and of every header field line
/// (no heap allocation; the index is a fixed array of [`MAX_HEADERS`]
/// entries). Header values are parsed into typed form only when asked for.
///
/// ```
/// use rtclite_sip::Message;
/// let bytes = b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877\r\n\
/// Max-Forwards: 70\r\nTo: <sip:bob@biloxi.example.com>\r\n\
/// From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
/// Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n";
/// let msg = Message::parse(bytes)?;
/// assert_eq!(msg.method().map(|m| m.as_str()), Some("OPTIONS"));
/// assert_eq!(msg.call_id()?, "a84b4c76e66710");
/// assert_eq!(msg.cseq()?.seq, 63104);
/// assert_eq!(msg.top_via()?.branch(), Some("z9hG4bKhjhs8ass877"));
/// assert_eq!(msg.from()?.tag(), Some("1928301774"));
/// # Ok::<(), rtclite_sip::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Message<'a> {
    head: &'a str,
    body: &'a [u8],
    layout: Cow<'a, Layout>,
}

/// Position and length of the line starting at `pos`: `(end_of_content,
/// start_of_next_line)`; CRLF or a bare LF ends a line.
///
/// In a datagram (`at_eof_ok`), the end of the input ends the last line and
/// the header section: some senders (and the RFC 4475/5118 archives) omit
/// the final empty line of a message without body.
///
/// A CR that is not followed by LF is an error: a CR exists in the header
/// section only as half of the line terminator, and a parser that let it
/// through would disagree with one that treats it as a line break.
fn next_line(buf: &[u8], pos: usize, at_eof_ok: bool) -> Result<(usize, usize), Error> {
    let rest = buf.get(pos..).unwrap_or_default();
    let (end, next) = match memchr::memchr2(b'\r', b'\n', rest) {
        None if at_eof_ok => (buf.len(), buf.len()),
        None => return Err(Error::new(ErrorKind::Incomplete).at(buf.len())),
        Some(i) => match (rest.get(i), rest.get(i + 1)) {
            (Some(b'\n'), _) => (pos + i, pos + i + 1),
            (Some(b'\r'), Some(b'\n')) => (pos + i, pos + i + 2),
            // a datagram ending in CR: the CR ends the last line
            (_, None) if at_eof_ok => (pos + i, buf.len()),
            (_, None) => return Err(Error::new(ErrorKind::Incomplete).at(buf.len())),
            _ => {
                // [RFC 3261 §7] "The start-line, each message-header line, and
                // the empty line MUST be terminated by a carriage-return
                // line-feed sequence (CRLF)."
                return Err(syntax("CR not followed by LF inside a line")
                    .at(pos + i)
                    .rfc(S7));
            }
        },
    };
    if end - pos > MAX_LINE_LEN {
        return Err(Error::new(ErrorKind::LineTooLong).at(pos));
    }
    Ok((end, next))
}

fn trim_end_ws(buf: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && matches!(buf.get(end - 1), Some(b' ' | b'\t')) {
        end -= 1;
    }
    end
}

fn skip_ws(buf: &[u8], mut pos: usize, end: usize) -> usize {
    while pos < end && matches!(buf.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos
}

/// Parses `SIP/1*DIGIT.1*DIGIT` (the literal is case-insensitive, RFC 5234).
fn parse_version(s: &[u8]) -> Option<Version> {
    if s == b"SIP/2.0" {
        return Some(Version::SIP_2_0);
    }
    let prefix = s.get(..4)?;
    if !prefix.eq_ignore_ascii_case(b"SIP/") {
        return None;
    }
    let rest = std::str::from_utf8(s.get(4..)?).ok()?;
    let (maj, min) = rest.split_once('.')?;
    let major = u16::try_from(parse_u32(maj)?).ok()?;
    let minor = u16::try_from(parse_u32(min)?).ok()?;
    Some(Version { major, minor })
}

const S7: &str = "RFC 3261 §7";
const S7_1: &str = "RFC 3261 §7.1";
const S7_2: &str = "RFC 3261 §7.2";
const S7_3: &str = "RFC 3261 §7.3";

fn parse_start_line(buf: &[u8], start: usize, end: usize) -> Result<StartSpans, Error> {
    let line = buf.get(start..end).unwrap_or_default();
    let is_response = line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"));
    if is_response {
        let sp = memchr::memchr(b' ', line).ok_or_else(|| {
            syntax("expected SP after SIP-Version in Status-Line")
                .at(start)
                .rfc(S7_2)
        })?;
        let version = parse_version(line.get(..sp).unwrap_or_default())
            .ok_or_else(|| syntax("malformed SIP-Version").at(start).rfc(S7_2))?;
        let after = line.get(sp + 1..).unwrap_or_default();
        let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
        // [RFC 3261 §7.2] "The Status-Code is a 3-digit integer result code"
        if digits != 3 {
            return Err(syntax("Status-Code must be exactly 3 digits")
                .at(start + sp + 1)
                .rfc(S7_2));
        }
        let code = after
            .get(..3)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| d.parse::<u16>().ok())
            .unwrap_or(0);
        if !(100..=699).contains(&code) {
            return Err(
                Error::new(ErrorKind::OutOfRange("Status-Code outside 100-699"))
                    .at(start + sp + 1)
                    .rfc(S7_2),
            );
        }
        let reason = match after.get(3) {
            None => Span::new(end, end),
            Some(b' ') => Span::new(start + sp + 5, end),
            Some(_) => {
                return Err(syntax("expected SP after Status-Code")
                    .at(start + sp + 4)
                    .rfc(S7_2));
            }
        };
        return Ok(StartSpans::Response {
            version,
            code,
            reason,
        });
    }
    // [RFC 3261 §7.1] "A Request-Line contains a method name, a Request-URI, and the
    // protocol version separated by a single space (SP) character."
    let sp1 = memchr::memchr(b' ', line).ok_or_else(|| {
        syntax("expected SP after Method in Request-Line")
            .at(start)
            .rfc(S7_1)
    })?;
    let method = line.get(..sp1).unwrap_or_default();
    if method.is_empty() || !method.iter().all(|&b| is_token_char(b)) {
        return Err(syntax("Method is not a token").at(start).rfc(S7_1));
    }
    let sp2 = memchr::memrchr(b' ', line).unwrap_or(sp1);
    if sp2 == sp1 {
        return Err(syntax("expected Request-URI SP SIP-Version after Method")
            .at(start + sp1)
            .rfc(S7_1));
    }
    let uri = line.get(sp1 + 1..sp2).unwrap_or_default();
    if uri.is_empty() {
        return Err(syntax("more than one SP between Request-Line elements")
            .at(start + sp1 + 1)
            .rfc(S7_1));
    }
    // [RFC 3261 §7.1] "No CR or LF are allowed except in the
    // end-of-line CRLF sequence.  No linear whitespace (LWS) is allowed in
    // any of the elements."
    if let Some(i) = uri.iter().position(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Err(
            syntax("white space inside the Request-URI or between Request-Line elements")
                .at(start + sp1 + 1 + i)
                .rfc(S7_1),
        );
    }
    let version_bytes = line.get(sp2 + 1..).unwrap_or_default();
    let version = parse_version(version_bytes).ok_or_else(|| {
        syntax("expected SIP-Version at end of Request-Line")
            .at(start + sp2 + 1)
            .rfc(S7_1)
    })?;
    Ok(StartSpans::Request {
        method: Span::new(start, start + sp1),
        uri: Span::new(start + sp1 + 1, start + sp2),
        version,
    })
}

impl<'a> Message<'a> {
    /// Parses one message from a datagram (RFC 3261 §7, §18.3).
    ///
    /// CRLFs before the start line are skipped. Lines may end in CRLF or a
    /// bare LF. When Content-Length is present the body is exactly that many
    /// bytes (extra bytes are discarded, fewer is an error); without it the
    /// body is the rest of the datagram.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        // Built in place: the index is filled where it will be returned.
        let mut msg = Self::empty();
        msg.fill(buf, false)?;
        Ok(msg)
    }

    fn empty() -> Self {
        Message {
            head: "",
            body: &[],
            layout: Cow::Owned(Layout::EMPTY),
        }
    }

    /// Parses the header section and, with `need_length`, insists on a
    /// Content-Length (stream framing). Returns the message and the number
    /// of bytes it occupies.
    pub(crate) fn parse_inner(buf: &'a [u8], need_length: bool) -> Result<(Self, usize), Error> {
        let mut msg = Self::empty();
        let used = msg.fill(buf, need_length)?;
        Ok((msg, used))
    }

    fn fill(&mut self, buf: &'a [u8], need_length: bool) -> Result<usize, Error> {
        if buf.len() > MAX_MESSAGE_SIZE {
            return Err(Error::new(ErrorKind::MessageTooLarge).at(MAX_MESSAGE_SIZE));
        }
        let mut pos = 0;
        // [RFC 3261 §7.5] "transports MUST ignore any CRLF appearing before the start-line"
        while let Some(&c) = buf.get(pos) {
            if c == b'\r' || c == b'\n' {
                pos += 1;
            } else {
                break;
            }
        }
        let (end, next) = next_line(buf, pos, !need_length)?;
        let start = parse_start_line(buf, pos, end)?;
        let layout = self.layout.to_mut();
        layout.start = start;
        pos = next;
        let mut content_length: Option<(usize, usize)> = None;
        let body_start = loop {
            let (end, next) = next_line(buf, pos, !need_length)?;
            if end == pos {
                layout.head_end = pos;
                break next;
            }
            let first = buf.get(pos).copied().unwrap_or(0);
            if first == b' ' || first == b'\t' {
                // [RFC 3261 §7.3.1] "Header fields can be extended over multiple lines by
                // preceding each extra line with at least one SP or horizontal tab (HT)."
                let Some(prev) = layout
                    .count
                    .checked_sub(1)
                    .and_then(|i| layout.slots.get_mut(i))
                else {
                    return Err(syntax("continuation line before the first header field")
                        .at(pos)
                        .rfc(S7_3));
                };
                let s = skip_ws(buf, pos, end);
                let e = trim_end_ws(buf, s, end);
                if e > s {
                    if prev.value.start == prev.value.end {
                        prev.value = Span::new(s, e);
                    } else {
                        prev.value.end = Span::new(s, e).end;
                        prev.folded = true;
                    }
                }
                pos = next;
                continue;
            }
            // field-name HCOLON: scan the token, white space, then ':'
            let mut name_end = pos;
            while name_end < end && buf.get(name_end).is_some_and(|b| is_token_char(*b)) {
                name_end += 1;
            }
            let colon = skip_ws(buf, name_end, end);
            if name_end == pos || colon >= end || buf.get(colon) != Some(&b':') {
                let line = buf.get(pos..end).unwrap_or_default();
                return Err(if memchr::memchr(b':', line).is_none() {
                    syntax("header field line without a colon")
                } else {
                    syntax("header field name is not a token")
                }
                .at(pos)
                .rfc(S7_3));
            }
            let name = buf.get(pos..name_end).unwrap_or_default();
            let vs = skip_ws(buf, colon + 1, end);
            let ve = trim_end_ws(buf, vs, end);
            let kind = HeaderName::from_token(name);
            let slot = layout
                .slots
                .get_mut(layout.count)
                .ok_or_else(|| Error::new(ErrorKind::TooManyHeaders).at(pos))?;
            *slot = Slot {
                name: Span::new(pos, name_end),
                value: Span::new(vs, ve),
                kind,
                folded: false,
            };
            if let Some(ci) = core_index(kind) {
                match layout.first.get_mut(ci) {
                    Some(f) if *f == NONE => *f = u8::try_from(layout.count).unwrap_or(NONE),
                    Some(_) => layout.repeated |= 1 << ci,
                    None => {}
                }
            }
            layout.count += 1;
            if kind == HeaderName::ContentLength {
                // checked after folding is resolved, below
                content_length =
                    Some(content_length.map_or((layout.count - 1, 0), |(i, n)| (i, n + 1)));
            }
            pos = next;
        };
        let head =
            std::str::from_utf8(buf.get(..layout.head_end).unwrap_or_default()).map_err(|e| {
                Error::new(ErrorKind::InvalidUtf8)
                    .at(e.valid_up_to())
                    .rfc("RFC 3261 §25.1")
            })?;
        let mut length: Option<usize> = None;
        if content_length.is_some() {
            for slot in layout.slots.iter().take(layout.count) {
                if slot.kind != HeaderName::ContentLength {
                    continue;
                }
                let v = crate::syntax::trim_lws(slot.value.get(head));
                // [RFC 3261 §7.5] "The Content-Length header field value is used to locate the end of
                // each SIP message in a stream."
                let n = parse_u32(v).ok_or_else(|| {
                    syntax("Content-Length is not a non-negative decimal number")
                        .in_header(HeaderName::ContentLength)
                        .at(slot.value.start as usize)
                        .rfc("RFC 3261 §20.14")
                })? as usize;
                if length.is_some_and(|l| l != n) {
                    return Err(Error::new(ErrorKind::DuplicateHeader)
                        .in_header(HeaderName::ContentLength)
                        .at(slot.name.start as usize)
                        .rfc("RFC 3261 §20.14"));
                }
                length = Some(n);
            }
        }
        let available = buf.len().saturating_sub(body_start);
        let body_len = match length {
            Some(n) if n > available => {
                if need_length {
                    return Err(Error::new(ErrorKind::Incomplete).at(buf.len()));
                }
                // [RFC 3261 §18.3] "If the message is a response, it MUST be discarded."
                return Err(Error::new(ErrorKind::BodyTruncated)
                    .in_header(HeaderName::ContentLength)
                    .rfc("RFC 3261 §18.3"));
            }
            Some(n) => n,
            None if need_length => {
                // [RFC 3261 §18.3] "In the case of stream-oriented transports such as TCP, the Content-
                // Length header field indicates the size of the body."
                return Err(Error::new(ErrorKind::MissingHeader)
                    .in_header(HeaderName::ContentLength)
                    .rfc("RFC 3261 §18.3"));
            }
            None => available,
        };
        layout.body = Span::new(body_start, body_start + body_len);
        self.body = buf
            .get(body_start..body_start + body_len)
            .unwrap_or_default();
        self.head = head;
        Ok(body_start + body_len)
    }

    pub(crate) fn from_parts(head: &'a str, body: &'a [u8], layout: &'a Layout) -> Self {
        Self {
            head,
            body,
            layout: Cow::Borrowed(layout),
        }
    }

    pub(crate) fn into_layout(self) -> (usize, Layout) {
        let head_end = self.layout.head_end;
        (head_end, self.layout.into_owned())
    }

    /// The start line.
    pub fn start_line(&self) -> StartLine<'a> {
        match self.layout.start {
            StartSpans::Request {
                method,
                uri,
                version,
            } => StartLine::Request {
                method: Method::from_token(method.get(self.head)),
                uri: uri.get(self.head),
                version,
            },
            StartSpans::Response {
                version,
                code,
                reason,
            } => StartLine::Response {
                version,
                code,
                reason: reason.get(self.head),
            },
        }
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.layout.start, StartSpans::Request { .. })
    }

    /// The method of a request; `None` for a response.
    pub fn method(&self) -> Option<Method<'a>> {
        match self.layout.start {
            StartSpans::Request { method, .. } => Some(Method::from_token(method.get(self.head))),
            StartSpans::Response { .. } => None,
        }
    }

    /// The Request-URI of a request, as written; `None` for a response.
    pub fn request_uri(&self) -> Option<&'a str> {
        match self.layout.start {
            StartSpans::Request { uri, .. } => Some(uri.get(self.head)),
            StartSpans::Response { .. } => None,
        }
    }

    /// The status code of a response; `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.layout.start {
            StartSpans::Response { code, .. } => Some(code),
            StartSpans::Request { .. } => None,
        }
    }

    /// The reason phrase of a response; `None` for a request.
    pub fn reason(&self) -> Option<&'a str> {
        match self.layout.start {
            StartSpans::Response { reason, .. } => Some(reason.get(self.head)),
            StartSpans::Request { .. } => None,
        }
    }

    /// The SIP-Version of the start line.
    pub fn version(&self) -> Version {
        match self.layout.start {
            StartSpans::Request { version, .. } | StartSpans::Response { version, .. } => version,
        }
    }

    /// The body (exactly Content-Length bytes when that header is present).
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Byte offset of the body in the parsed input (just past the empty
    /// line).
    pub fn body_offset(&self) -> usize {
        self.layout.body.start as usize
    }

    /// The number of header field lines.
    pub fn header_count(&self) -> usize {
        self.layout.count
    }

    fn header_at(&self, slot: &Slot) -> Header<'a> {
        Header {
            name: slot.name.get(self.head),
            kind: slot.kind,
            raw: slot.value.get(self.head),
            folded: slot.folded,
        }
    }

    fn slots(&self) -> &[Slot] {
        self.layout
            .slots
            .get(..self.layout.count)
            .unwrap_or_default()
    }

    /// Every header field line in wire order.
    pub fn headers(&self) -> impl Iterator<Item = Header<'a>> + '_ {
        self.slots().iter().map(|s| self.header_at(s))
    }

    /// Every line of the known header field `name`, in order.
    pub fn headers_of(&self, name: HeaderName) -> impl Iterator<Item = Header<'a>> + '_ {
        self.slots()
            .iter()
            .filter(move |s| s.kind == name)
            .map(|s| self.header_at(s))
    }

    /// The first line of the known header field `name`.
    pub fn header(&self, name: HeaderName) -> Option<Header<'a>> {
        if let Some(ci) = core_index(name) {
            let i = *self.layout.first.get(ci)?;
            return self.slots().get(usize::from(i)).map(|s| self.header_at(s));
        }
        self.headers_of(name).next()
    }

    /// The first line of the core field `name` (Via, From, To, Call-ID,
    /// CSeq, Max-Forwards, Content-Length, Content-Type), the byte offset of
    /// its value, and whether the field has more lines: one index lookup.
    /// `None` when absent or not a core field.
    pub(crate) fn core_header(&self, name: HeaderName) -> Option<(Header<'a>, usize, bool)> {
        let ci = core_index(name)?;
        let i = *self.layout.first.get(ci)?;
        let slot = self.slots().get(usize::from(i))?;
        Some((
            self.header_at(slot),
            usize::from(slot.value.start),
            self.layout.repeated & (1 << ci) != 0,
        ))
    }

    /// The first line whose name matches `name` (case-insensitive; long or
    /// compact form for known fields).
    pub fn header_by_name(&self, name: &str) -> Option<Header<'a>> {
        match HeaderName::from_name(name) {
            HeaderName::Other => self.headers().find(|h| h.name.eq_ignore_ascii_case(name)),
            known => self.header(known),
        }
    }

    /// Byte offset of the value of the first `name` line (for error reports).
    pub(crate) fn value_offset(&self, name: HeaderName) -> Option<usize> {
        if let Some(ci) = core_index(name) {
            let i = *self.layout.first.get(ci)?;
            return self
                .slots()
                .get(usize::from(i))
                .map(|s| usize::from(s.value.start));
        }
        self.slots()
            .iter()
            .find(|s| s.kind == name)
            .map(|s| usize::from(s.value.start))
    }

    /// Every comma-separated value of every `name` line, in order
    /// (RFC 3261 §7.3.1), each trimmed; quoted strings and `<...>` are not
    /// split.
    pub fn values_of(&self, name: HeaderName) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        self.slots()
            .iter()
            .filter(move |s| s.kind == name)
            .flat_map(move |s| {
                let raw = s.value.get(self.head);
                let base = s.value.start as usize;
                crate::syntax::split_top(raw, b',')
                    .filter(|v| !v.is_empty())
                    .map(move |v| (base, v))
            })
    }

    /// Writes the canonical wire form: the start line as parsed, each header
    /// field as `Name: value` with the long-form name and folding undone,
    /// an empty line and the body.
    pub fn write_to<B: BufMut>(&self, out: &mut B) {
        match self.start_line() {
            StartLine::Request {
                method,
                uri,
                version,
            } => {
                out.put_slice(method.as_str().as_bytes());
                out.put_u8(b' ');
                out.put_slice(uri.as_bytes());
                out.put_u8(b' ');
                write_version(out, version);
            }
            StartLine::Response {
                version,
                code,
                reason,
            } => {
                write_version(out, version);
                // the code is 100-699 (checked by the parser and the builder)
                let c = code.min(999);
                out.put_slice(&[
                    b' ',
                    b'0' + (c / 100) as u8,
                    b'0' + (c / 10 % 10) as u8,
                    b'0' + (c % 10) as u8,
                    b' ',
                ]);
                out.put_slice(reason.as_bytes());
            }
        }
        out.put_slice(b"\r\n");
        // A line that is already in canonical form (long-form name, ": ",
        // value, CRLF, not folded) is copied as it is, and a run of such
        // lines in one piece.
        let head = self.head.as_bytes();
        let mut run: Option<(usize, usize)> = None;
        for slot in self.slots() {
            let (ns, ne) = (usize::from(slot.name.start), usize::from(slot.name.end));
            let (vs, ve) = (usize::from(slot.value.start), usize::from(slot.value.end));
            let canonical = !slot.folded
                && head.get(ne..vs) == Some(b": ")
                && head.get(ve..ve + 2) == Some(b"\r\n")
                && (slot.kind == HeaderName::Other
                    || head.get(ns..ne) == Some(slot.kind.as_str().as_bytes()));
            if canonical {
                match &mut run {
                    Some((_, end)) if *end == ns => *end = ve + 2,
                    _ => {
                        if let Some((a, b)) = run.take() {
                            out.put_slice(head.get(a..b).unwrap_or_default());
                        }
                        run = Some((ns, ve + 2));
                    }
                }
                continue;
            }
            if let Some((a, b)) = run.take() {
                out.put_slice(head.get(a..b).unwrap_or_default());
            }
            let h = self.header_at(slot);
            out.put_slice(h.canonical_name().as_bytes());
            out.put_slice(b": ");
            out.put_slice(h.value().as_bytes());
            out.put_slice(b"\r\n");
        }
        if let Some((a, b)) = run {
            out.put_slice(head.get(a..b).unwrap_or_default());
        }
        out.put_slice(b"\r\n");
        out.put_slice(self.body);
    }

    /// [`Message::write_to`] header by header, without copying canonical
    /// runs: the reference the fast writer is tested against.
    #[cfg(test)]
    fn write_by_header(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut start = Vec::new();
        self.write_to(&mut start);
        let line_end = start.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
        out.extend_from_slice(start.get(..line_end).unwrap_or_default());
        for h in self.headers() {
            out.extend_from_slice(h.canonical_name().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body);
        out
    }

    /// The canonical wire form as a vector (see [`Message::write_to`]).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.head.len() + self.body.len() + 64);
        self.write_to(&mut v);
        v
    }

    /// An owned copy that keeps the parse index (see [`crate::OwnedMessage`]).
    pub fn to_owned_message(&self) -> crate::OwnedMessage {
        crate::OwnedMessage::from_message(self)
    }

    pub(crate) fn head(&self) -> &'a str {
        self.head
    }
}

fn write_version<B: BufMut>(out: &mut B, v: Version) {
    if v == Version::SIP_2_0 {
        out.put_slice(b"SIP/2.0");
    } else {
        out.put_slice(format!("SIP/{}.{}", v.major, v.minor).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Every RFC 4475, RFC 5118 and RFC 3665 message that parses writes the
    /// same bytes through the run-copying writer as header by header, and
    /// its canonical form (all runs) too.
    #[test]
    fn run_copying_writer_matches_header_by_header() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
        let mut checked = 0;
        for sub in ["rfc4475", "rfc5118", "rfc3665"] {
            for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap();
                let Ok(msg) = Message::parse(&bytes) else {
                    continue;
                };
                assert_eq!(msg.to_vec(), msg.write_by_header());
                let canonical = msg.to_vec();
                let again = Message::parse(&canonical).unwrap();
                assert_eq!(again.to_vec(), canonical);
                assert_eq!(again.write_by_header(), canonical);
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} messages");
    }
}
