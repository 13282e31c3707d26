//! The parser: bytes in, a borrowed [`SessionDescription`] out.

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};
use crate::model::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, RepeatTime, SessionDescription,
    TimeDescription, TimeUnit, TypedTime, ZoneAdjustment,
};

/// Largest input [`parse`] accepts, in bytes (1 MiB).
///
/// A description is one datagram or message body; SIP over UDP keeps it
/// well under 64 KiB and the largest browser offers are a few tens of KiB.
pub const MAX_SDP_LEN: usize = 1 << 20;

/// Most media descriptions [`parse`] accepts.
pub const MAX_MEDIA: usize = 1024;

/// Most lines [`parse`] accepts (a 1 MiB input has at most 2^19 lines; this
/// bound stops an input of empty attributes from growing tables further).
pub const MAX_LINES: usize = 65_536;

/// Parses a session description.
///
/// Lines may end in CRLF or in a lone LF (RFC 8866 §5); blank lines at the
/// very end are ignored. Every field is borrowed from `input`. For input
/// that is well formed and ends every line with CRLF, writing the result
/// back with [`Display`](std::fmt::Display) gives the same bytes.
///
/// Stricter than many parsers, as RFC 8866 §9 asks: lines in the order of
/// §5, subfields separated by exactly one space, numbers without leading
/// zeros, known type letters only, and a `c=` line for every media
/// description.
///
/// # Errors
/// A [`ParseError`] with the line number, the byte offset of the line and
/// what rule it breaks.
///
/// ```
/// let sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
///             m=audio 49170 RTP/AVP 0\r\n";
/// let desc = rtclite_sdp::parse(sdp)?;
/// assert_eq!(desc.media[0].port, 49170);
/// assert_eq!(desc.to_string().as_bytes(), sdp);
/// # Ok::<(), rtclite_sdp::ParseError>(())
/// ```
pub fn parse(input: &[u8]) -> Result<SessionDescription<'_>, ParseError> {
    if input.len() > MAX_SDP_LEN {
        return Err(ParseError::new(
            0,
            0,
            ParseErrorKind::TooLarge {
                len: input.len(),
                limit: MAX_SDP_LEN,
            },
        ));
    }
    // [RFC 8866 §5] "If the "a=charset:" attribute is not present, these
    // octet strings MUST be interpreted as containing ISO-10646 characters in
    // UTF-8 encoding."
    // [RFC 8866 §5.3] "the "s=" field MUST contain ISO 10646 characters in UTF-8 encoding."
    // [RFC 8866 §5.4] "the "i=" line MUST contain ISO 10646 characters in UTF-8 encoding."
    let text = match std::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.valid_up_to();
            let (line, start) = locate(input, offset);
            return Err(ParseError::new(
                line,
                start,
                ParseErrorKind::NotUtf8 { offset },
            ));
        }
    };
    Parser {
        lines: Lines {
            text,
            pos: 0,
            line: 0,
        },
        peeked: None,
    }
    .session()
}

/// 1-based line number and line start of byte `offset`.
fn locate(input: &[u8], offset: usize) -> (usize, usize) {
    let before = input.get(..offset).unwrap_or(input);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    (line, start)
}

#[derive(Clone, Copy)]
struct Line<'a> {
    no: usize,
    offset: usize,
    kind: u8,
    value: &'a str,
}

impl Line<'_> {
    fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError::new(self.no, self.offset, kind)
    }

    fn invalid(
        &self,
        field: &'static str,
        reason: &'static str,
        section: &'static str,
    ) -> ParseError {
        self.err(ParseErrorKind::InvalidField {
            field,
            reason,
            section,
        })
    }
}

struct Lines<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn next_line(&mut self) -> Option<Result<Line<'a>, ParseError>> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        self.line += 1;
        if self.line > MAX_LINES {
            return Some(Err(ParseError::new(
                self.line,
                start,
                ParseErrorKind::TooMany {
                    what: "lines",
                    limit: MAX_LINES,
                },
            )));
        }
        let rest = bytes.get(start..).unwrap_or_default();
        // One vectorised pass finds the line end and any forbidden byte.
        let mut i = memchr::memchr3(b'\n', b'\r', 0, rest).map_or(bytes.len(), |p| start + p);
        let (end, next) = loop {
            match bytes.get(i) {
                None => break (i, i),
                Some(&b) if b > b'\r' => i += 1,
                Some(b'\n') => break (i, i + 1),
                // [RFC 8866 §5] "The sequence CRLF (0x0d0a) is used to end a
                // line, although parsers SHOULD be tolerant and also accept
                // lines terminated with a single newline character."
                Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => break (i, i + 2),
                // [RFC 8866 §5] "octet strings that may contain any octet with
                // the exceptions of 0x00 (Nul), 0x0a (ASCII newline), and 0x0d
                // (ASCII carriage return)."
                Some(&b) if b == b'\r' || b == 0 => {
                    return Some(Err(ParseError::new(
                        self.line,
                        start,
                        ParseErrorKind::ForbiddenByte { byte: b, at: i },
                    )));
                }
                Some(_) => i += 1,
            }
        };
        self.pos = next;
        if end == start {
            // Blank lines are tolerated only at the very end.
            let rest = bytes.get(next..).unwrap_or_default();
            if rest.iter().all(|b| *b == b'\r' || *b == b'\n') {
                self.pos = bytes.len();
                return None;
            }
            return Some(Err(ParseError::new(
                self.line,
                start,
                ParseErrorKind::NotTypeValue,
            )));
        }
        let line = self.text.get(start..end).unwrap_or_default();
        let lb = line.as_bytes();
        // [RFC 8866 §5] "Whitespace separators are not used on either side
        // of the "=" sign"
        match (lb.first(), lb.get(1)) {
            (Some(&kind), Some(b'=')) if kind.is_ascii_alphabetic() => Some(Ok(Line {
                no: self.line,
                offset: start,
                kind,
                value: line.get(2..).unwrap_or_default(),
            })),
            _ => Some(Err(ParseError::new(
                self.line,
                start,
                ParseErrorKind::NotTypeValue,
            ))),
        }
    }
}

struct Parser<'a> {
    lines: Lines<'a>,
    peeked: Option<Line<'a>>,
}

const SESSION_ORDER: &str = "the session-level order v o s i u e p c b (t r z) k a, then m";
const MEDIA_ORDER: &str = "the media-level order m i c b k a";

/// Rank of a session-level type letter in the order of RFC 8866 §5.
fn session_rank(kind: u8) -> Option<u8> {
    Some(match kind {
        b'v' => 0,
        b'o' => 1,
        b's' => 2,
        b'i' => 3,
        b'u' => 4,
        b'e' => 5,
        b'p' => 6,
        b'c' => 7,
        b'b' => 8,
        b't' | b'r' | b'z' => 9,
        b'k' => 10,
        b'a' => 11,
        b'm' => 12,
        _ => return None,
    })
}

/// Rank of a media-level type letter in the order of RFC 8866 §5.
fn media_rank(kind: u8) -> Option<u8> {
    Some(match kind {
        b'm' => 0,
        b'i' => 1,
        b'c' => 2,
        b'b' => 3,
        b'k' => 4,
        b'a' => 5,
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Result<Option<Line<'a>>, ParseError> {
        if self.peeked.is_none() {
            self.peeked = self.lines.next_line().transpose()?;
        }
        Ok(self.peeked)
    }

    fn take(&mut self) {
        self.peeked = None;
    }

    fn expect_first(&mut self, kind: u8) -> Result<Line<'a>, ParseError> {
        match self.peek()? {
            Some(l) if l.kind == kind => {
                self.take();
                Ok(l)
            }
            Some(l) => Err(l.err(ParseErrorKind::OutOfOrder {
                found: char::from(l.kind),
                expected: match kind {
                    b'v' => "\"v=\" as the first line",
                    b'o' => "\"o=\" as the second line",
                    _ => "\"s=\" as the third line",
                },
            })),
            None if kind == b'v' => Err(ParseError::new(0, 0, ParseErrorKind::Empty)),
            None => Err(ParseError::new(
                self.lines.line,
                self.lines.pos,
                ParseErrorKind::Missing(char::from(kind)),
            )),
        }
    }

    fn session(mut self) -> Result<SessionDescription<'a>, ParseError> {
        // [RFC 8866 §5] "Some lines in each description are required and
        // some are optional, but when present, they must appear in exactly
        // the order given here."
        // [RFC 8866 §5] "An SDP description MUST conform to the syntax defined in Section 9."
        let v = self.expect_first(b'v')?;
        // [RFC 8866 §5.1] "This memo defines version 0."
        if v.value != "0" {
            return Err(v.invalid("v= version", "only version 0 is defined", "5.1"));
        }
        let o = self.expect_first(b'o')?;
        let origin = parse_origin(&o)?;
        // [RFC 8866 §5.3] "There MUST be one and only one"
        let s = self.expect_first(b's')?;
        // RFC 4317 and RFC 3264 publish an empty "s=" and deployed SIP
        // phones send it, so it is accepted and written back as received.
        // [RFC 8866 §5.3 exception: accepted for interoperability] "line MUST
        // NOT be empty"
        let mut desc = SessionDescription {
            version: 0,
            origin,
            session_name: Cow::Borrowed(s.value),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: Vec::new(),
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        };
        let mut rank = 2u8;
        // Within the current time description: 1 after t=, 2 after r=, 3 after z=.
        let mut time_state = 0u8;
        while let Some(l) = self.peek()? {
            let Some(r) = session_rank(l.kind) else {
                // [RFC 8866 §5] "an SDP parser MUST completely ignore or reject
                // any session description that contains a type letter that it
                // does not understand."
                return Err(l.err(ParseErrorKind::UnknownType(char::from(l.kind))));
            };
            if r == 12 {
                break;
            }
            // [RFC 8866 §5.7] "Multiple addresses or "c=" lines MUST NOT be specified at session
            // level."
            let repeatable = matches!(l.kind, b'e' | b'p' | b'b' | b't' | b'r' | b'z' | b'a');
            // [RFC 8866 §5.6] "If an email address or phone number is present, it MUST be specified
            // before the first media description."
            // A second description (v= again) is out of order, so one message holds one
            // description:
            // [RFC 3264 §5] "an SDP message used in the offer/answer model MUST contain exactly one
            // session description"
            if r < rank || (r == rank && !repeatable) {
                return Err(l.err(ParseErrorKind::OutOfOrder {
                    found: char::from(l.kind),
                    expected: SESSION_ORDER,
                }));
            }
            self.take();
            rank = r;
            match l.kind {
                b'i' => desc.information = Some(text(&l, "i= information", "5.4")?),
                b'u' => desc.uri = Some(text(&l, "u= URI", "5.5")?),
                b'e' => desc.emails.push(text(&l, "e= email", "5.6")?),
                b'p' => desc.phones.push(text(&l, "p= phone", "5.6")?),
                b'c' => desc.connection = Some(parse_connection(&l)?),
                b'b' => desc.bandwidths.push(parse_bandwidth(&l)?),
                b't' => {
                    desc.times.push(parse_time(&l)?);
                    time_state = 1;
                }
                b'r' => {
                    let last = match desc.times.last_mut() {
                        Some(t) if time_state == 1 || time_state == 2 => t,
                        _ => {
                            return Err(l.err(ParseErrorKind::OutOfOrder {
                                found: 'r',
                                expected: "\"r=\" only after \"t=\" or \"r=\" (RFC 8866 §5.10)",
                            }));
                        }
                    };
                    last.repeats.push(parse_repeat(&l)?);
                    time_state = 2;
                }
                b'z' => {
                    // RFC 8866 §9 puts "z=" after "r=" lines; RFC 4566 allowed
                    // it after the time descriptions without "r=", so both are
                    // accepted, one per time description.
                    let last = match desc.times.last_mut() {
                        Some(t) if time_state == 1 || time_state == 2 => t,
                        _ => {
                            return Err(l.err(ParseErrorKind::OutOfOrder {
                                found: 'z',
                                expected: "one \"z=\" after \"t=\" or \"r=\" (RFC 8866 §5.11)",
                            }));
                        }
                    };
                    last.zone_adjustments = Some(parse_zone(&l)?);
                    time_state = 3;
                }
                // [RFC 8866 §5.12 exception: kept so parse then write is byte-identical] "One MUST
                // NOT include a "k=" line in an SDP, and MUST discard it if it is received in an
                // SDP."
                b'k' => desc.key = Some(text(&l, "k= key", "5.12")?),
                b'a' => {
                    if desc.attributes.len() >= MAX_ATTRIBUTES {
                        return Err(l.err(ParseErrorKind::TooMany {
                            what: "attributes at one level",
                            limit: MAX_ATTRIBUTES,
                        }));
                    }
                    desc.attributes.push(parse_attribute(&l)?);
                }
                // v, o, s are consumed above and rank 0..=2 never gets here.
                _ => {
                    return Err(l.err(ParseErrorKind::OutOfOrder {
                        found: char::from(l.kind),
                        expected: SESSION_ORDER,
                    }));
                }
            }
            if rank > 9 {
                time_state = 0;
            }
        }
        if desc.times.is_empty() {
            // [RFC 8866 §5] "One or more time descriptions"
            return Err(ParseError::new(
                self.lines.line,
                self.lines.pos,
                ParseErrorKind::Missing('t'),
            ));
        }
        while let Some(m) = self.peek()? {
            self.take();
            if desc.media.len() >= MAX_MEDIA {
                return Err(m.err(ParseErrorKind::TooMany {
                    what: "media descriptions",
                    limit: MAX_MEDIA,
                }));
            }
            let media = self.media(&m)?;
            // [RFC 8866 §5.7] "A session description MUST contain either at
            // least one "c=" line in each media description or a single "c="
            // line at the session level."
            // Tolerated: a disabled m-line (port 0) without one, as RFC 9143
            // §18.5 and RFC 3264 §8.2 senders write it.
            // [RFC 3264 §8.2] "The stream description MAY omit all attributes
            // present previously"
            if media.connections.is_empty() && desc.connection.is_none() && media.port != 0 {
                return Err(m.err(ParseErrorKind::MissingConnection));
            }
            desc.media.push(media);
        }
        Ok(desc)
    }

    fn media(&mut self, m: &Line<'a>) -> Result<MediaDescription<'a>, ParseError> {
        let mut media = parse_media_line(m)?;
        let mut rank = 0u8;
        while let Some(l) = self.peek()? {
            let Some(r) = media_rank(l.kind) else {
                return Err(match session_rank(l.kind) {
                    Some(_) => l.err(ParseErrorKind::OutOfOrder {
                        found: char::from(l.kind),
                        expected: MEDIA_ORDER,
                    }),
                    None => l.err(ParseErrorKind::UnknownType(char::from(l.kind))),
                });
            };
            if r == 0 {
                break;
            }
            let repeatable = matches!(l.kind, b'c' | b'b' | b'a');
            if r < rank || (r == rank && !repeatable) {
                return Err(l.err(ParseErrorKind::OutOfOrder {
                    found: char::from(l.kind),
                    expected: MEDIA_ORDER,
                }));
            }
            self.take();
            rank = r;
            match l.kind {
                b'i' => media.information = Some(text(&l, "i= media title", "5.4")?),
                b'c' => media.connections.push(parse_connection(&l)?),
                b'b' => media.bandwidths.push(parse_bandwidth(&l)?),
                b'k' => media.key = Some(text(&l, "k= key", "5.12")?),
                _ => {
                    if media.attributes.len() >= MAX_ATTRIBUTES {
                        return Err(l.err(ParseErrorKind::TooMany {
                            what: "attributes at one level",
                            limit: MAX_ATTRIBUTES,
                        }));
                    }
                    media.attributes.push(parse_attribute(&l)?);
                }
            }
        }
        Ok(media)
    }
}

/// Most `a=` lines at one level (session or one media description).
pub const MAX_ATTRIBUTES: usize = 4096;

fn text<'a>(
    l: &Line<'a>,
    field: &'static str,
    section: &'static str,
) -> Result<Cow<'a, str>, ParseError> {
    // `text` and the other free-form fields are `byte-string`s of RFC 8866
    // §9: at least one byte (NUL, CR and LF are refused line by line).
    if l.value.is_empty() {
        return Err(l.invalid(field, "must not be empty", section));
    }
    Ok(Cow::Borrowed(l.value))
}

/// `token-char` of RFC 8866 §9 as a lookup table.
static TOKEN_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            );
        b += 1;
    }
    t
};

pub(crate) fn is_token_char(b: u8) -> bool {
    TOKEN_CHARS[usize::from(b)]
}

/// `token` of RFC 8866 §9.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// A decimal number as RFC 8866 §9 writes it: digits only, no leading zero
/// (so that writing it back gives the same bytes), no overflow.
pub(crate) fn canonical_u64(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 20 || (b.len() > 1 && b.first() == Some(&b'0')) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits a value into exactly `N` fields separated by single spaces.
fn fields<const N: usize>(value: &str) -> Option<[&str; N]> {
    let mut out = [""; N];
    let mut it = value.split(' ');
    for slot in &mut out {
        let f = it.next()?;
        if f.is_empty() {
            return None;
        }
        *slot = f;
    }
    it.next().is_none().then_some(out)
}

fn parse_origin<'a>(l: &Line<'a>) -> Result<Origin<'a>, ParseError> {
    // [RFC 8866 §5.2] "o=<username> <sess-id> <sess-version> <nettype>
    // <addrtype> <unicast-address>"
    let [
        username,
        session_id,
        session_version,
        nettype,
        addrtype,
        unicast_address,
        // [RFC 8866 §5.2] "The <username> MUST NOT contain spaces."
    ] = fields::<6>(l.value).ok_or_else(|| {
        l.invalid(
            "o= line",
            "needs six subfields separated by single spaces",
            "5.2",
        )
    })?;
    // [RFC 8866 §9] "sess-id =             1*DIGIT"
    if !is_digits(session_id) {
        return Err(l.invalid("o= sess-id", "must be decimal digits", "5.2"));
    }
    if !is_digits(session_version) {
        return Err(l.invalid("o= sess-version", "must be decimal digits", "5.2"));
    }
    if !is_token(nettype) || !is_token(addrtype) {
        return Err(l.invalid("o= nettype/addrtype", "must be tokens", "5.2"));
    }
    Ok(Origin {
        username: Cow::Borrowed(username),
        session_id: Cow::Borrowed(session_id),
        session_version: Cow::Borrowed(session_version),
        nettype: Cow::Borrowed(nettype),
        addrtype: Cow::Borrowed(addrtype),
        unicast_address: Cow::Borrowed(unicast_address),
    })
}

fn parse_connection<'a>(l: &Line<'a>) -> Result<Connection<'a>, ParseError> {
    let mut it = l.value.splitn(3, ' ');
    let (Some(nettype), Some(addrtype), Some(addr)) = (it.next(), it.next(), it.next()) else {
        return Err(l.invalid(
            "c= line",
            "needs <nettype> <addrtype> <connection-address>",
            "5.7",
        ));
    };
    if !is_token(nettype) || !is_token(addrtype) || addr.is_empty() {
        return Err(l.invalid(
            "c= line",
            "needs <nettype> <addrtype> <connection-address>",
            "5.7",
        ));
    }
    let mut conn = Connection {
        nettype: Cow::Borrowed(nettype),
        addrtype: Cow::Borrowed(addrtype),
        address: Cow::Borrowed(addr),
        ttl: None,
        num_addresses: None,
    };
    let ip4 = addrtype == "IP4";
    if !ip4 && addrtype != "IP6" {
        // Unknown address types are kept verbatim.
        // [RFC 8866 §5.7] "Additional subfields MAY be added after the
        // connection address depending on the value of the <addrtype>
        // subfield."
        return Ok(conn);
    }
    if addr.contains(' ') {
        return Err(l.invalid(
            "c= connection-address",
            "unexpected subfield after the address",
            "5.7",
        ));
    }
    let mut parts = addr.split('/');
    let base = parts.next().unwrap_or_default();
    let first = parts.next();
    let second = parts.next();
    if parts.next().is_some() || base.is_empty() {
        return Err(l.invalid("c= connection-address", "too many \"/\" subfields", "5.7"));
    }
    conn.address = Cow::Borrowed(base);
    let number = |s: &str| {
        canonical_u64(s)
            .filter(|n| *n >= 1)
            .and_then(|n| u32::try_from(n).ok())
    };
    let multicast = if ip4 {
        base.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_multicast())
    } else {
        base.parse::<std::net::Ipv6Addr>()
            .is_ok_and(|a| a.is_multicast())
    };
    if first.is_some() && !multicast {
        // [RFC 8866 §5.7] "The slash notation for multiple addresses
        // described above MUST NOT be used for IP unicast addresses."
        return Err(l.invalid(
            "c= connection-address",
            "slash notation on a unicast address",
            "5.7",
        ));
    }
    if ip4 {
        if multicast && first.is_none() {
            // [RFC 8866 §5.7] "Sessions using an "IP4" multicast connection
            // address MUST also have a time to live (TTL) value present in
            // addition to the multicast address."
            return Err(l.invalid(
                "c= connection-address",
                "IP4 multicast address without a TTL",
                "5.7",
            ));
        }
        if let Some(ttl) = first {
            // [RFC 8866 §5.7] "TTL values MUST be in the range 0-255."
            conn.ttl = Some(
                canonical_u64(ttl)
                    .and_then(|t| u8::try_from(t).ok())
                    .ok_or_else(|| l.invalid("c= TTL", "must be 0-255", "5.7"))?,
            );
        }
        if let Some(n) = second {
            conn.num_addresses = Some(number(n).ok_or_else(|| {
                l.invalid(
                    "c= number of addresses",
                    "must be a positive integer",
                    "5.7",
                )
            })?);
        }
    } else {
        // [RFC 8866 §5.7] ""IP6" multicast does not use TTL scoping, and hence
        // the TTL value MUST NOT be present for "IP6" multicast."
        if second.is_some() {
            return Err(l.invalid("c= connection-address", "IP6 multicast takes no TTL", "5.7"));
        }
        if let Some(n) = first {
            conn.num_addresses = Some(number(n).ok_or_else(|| {
                l.invalid(
                    "c= number of addresses",
                    "must be a positive integer",
                    "5.7",
                )
            })?);
        }
    }
    Ok(conn)
}

fn parse_bandwidth<'a>(l: &Line<'a>) -> Result<Bandwidth<'a>, ParseError> {
    // [RFC 8866 §9] "bandwidth-field =     %s"b" "=" bwtype ":" bandwidth CRLF"
    let (bwtype, value) = l
        .value
        .split_once(':')
        .ok_or_else(|| l.invalid("b= line", "needs <bwtype>:<bandwidth>", "5.8"))?;
    if !is_token(bwtype) {
        return Err(l.invalid("b= bwtype", "must be a token", "5.8"));
    }
    // [RFC 8866 §5.8] "SDP parsers MUST ignore bandwidth-fields with unknown <bwtype> names."
    let bandwidth = canonical_u64(value)
        .ok_or_else(|| l.invalid("b= bandwidth", "must be a decimal number", "5.8"))?;
    Ok(Bandwidth {
        bwtype: Cow::Borrowed(bwtype),
        bandwidth,
    })
}

fn parse_time(l: &Line<'_>) -> Result<TimeDescription, ParseError> {
    let [start, stop] = fields::<2>(l.value)
        .ok_or_else(|| l.invalid("t= line", "needs <start-time> <stop-time>", "5.9"))?;
    let start = canonical_u64(start)
        .ok_or_else(|| l.invalid("t= start-time", "must be a decimal number", "5.9"))?;
    let stop = canonical_u64(stop)
        .ok_or_else(|| l.invalid("t= stop-time", "must be a decimal number", "5.9"))?;
    Ok(TimeDescription {
        start,
        stop,
        repeats: Vec::new(),
        zone_adjustments: None,
    })
}

fn typed_time(s: &str) -> Option<TypedTime> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'd' => (s.get(..s.len() - 1)?, Some(TimeUnit::Days)),
        b'h' => (s.get(..s.len() - 1)?, Some(TimeUnit::Hours)),
        b'm' => (s.get(..s.len() - 1)?, Some(TimeUnit::Minutes)),
        b's' => (s.get(..s.len() - 1)?, Some(TimeUnit::Seconds)),
        _ => (s, None),
    };
    Some(TypedTime {
        value: canonical_u64(digits)?,
        unit,
    })
}

fn parse_repeat(l: &Line<'_>) -> Result<RepeatTime, ParseError> {
    // [RFC 8866 §9] "repeat-field =        %s"r" "=" repeat-interval SP typed-time
    // 1*(SP typed-time) CRLF"
    let bad = || {
        l.invalid(
            "r= line",
            "needs <interval> <duration> <offset>... as typed times",
            "5.10",
        )
    };
    let mut it = l.value.split(' ');
    let interval = it
        .next()
        .and_then(typed_time)
        .filter(|t| t.value > 0)
        .ok_or_else(bad)?;
    let duration = it.next().and_then(typed_time).ok_or_else(bad)?;
    let offsets = it
        .map(typed_time)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    if offsets.is_empty() {
        return Err(bad());
    }
    Ok(RepeatTime {
        interval,
        duration,
        offsets,
    })
}

fn parse_zone(l: &Line<'_>) -> Result<Vec<ZoneAdjustment>, ParseError> {
    // [RFC 8866 §9] "zone-field =          %s"z" "=" time SP ["-"] typed-time"
    let bad = || l.invalid("z= line", "needs <adjustment time> <offset> pairs", "5.11");
    let mut out = Vec::new();
    let mut it = l.value.split(' ');
    while let Some(time) = it.next() {
        let time = canonical_u64(time).ok_or_else(bad)?;
        let off = it.next().ok_or_else(bad)?;
        let (negative, off) = match off.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, off),
        };
        out.push(ZoneAdjustment {
            time,
            negative,
            offset: typed_time(off).ok_or_else(bad)?,
        });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

fn parse_attribute<'a>(l: &Line<'a>) -> Result<Attribute<'a>, ParseError> {
    // [RFC 8866 §9] "attribute =           (attribute-name ":" attribute-value) /
    // attribute-name"
    // The name runs to the first byte that is not a token character; it
    // must then be ":" or the end of the line.
    let b = l.value.as_bytes();
    let n = b.iter().position(|c| !is_token_char(*c)).unwrap_or(b.len());
    let (name, value) = match b.get(n) {
        None if n > 0 => (l.value, None),
        Some(b':') if n > 0 => (
            l.value.get(..n).unwrap_or_default(),
            Some(Cow::Borrowed(l.value.get(n + 1..).unwrap_or_default())),
        ),
        // [RFC 8866 §5.13] "Attribute names MUST use the US-ASCII subset of ISO-10646/UTF-8."
        _ => return Err(l.invalid("a= attribute-name", "must be a token", "5.13")),
    };
    // Attributes stay raw; typed views are parsed on demand, so one not understood is carried, not
    // acted on:
    // [RFC 8866 §5] "An SDP parser MUST ignore any attribute it doesn't understand."
    // [RFC 8866 §5.13] "If an attribute is received that is not understood, it MUST be ignored by
    // the receiver."
    Ok(Attribute {
        name: Cow::Borrowed(name),
        value,
    })
}

fn parse_media_line<'a>(l: &Line<'a>) -> Result<MediaDescription<'a>, ParseError> {
    // [RFC 8866 §5.14] "m=<media> <port> <proto> <fmt> ..."
    let mut it = l.value.split(' ');
    let bad = |reason| l.invalid("m= line", reason, "5.14");
    let media = it
        .next()
        .filter(|m| is_token(m))
        .ok_or_else(|| bad("media must be a token"))?;
    let port_field = it.next().ok_or_else(|| bad("missing port"))?;
    let (port, num_ports) = match port_field.split_once('/') {
        Some((p, n)) => (p, Some(n)),
        None => (port_field, None),
    };
    let port = canonical_u64(port)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| bad("port must be a number 0-65535"))?;
    let num_ports = match num_ports {
        None => None,
        Some(n) => Some(
            canonical_u64(n)
                .filter(|n| *n >= 1)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| bad("number of ports must be a positive integer"))?,
        ),
    };
    let proto = it.next().ok_or_else(|| bad("missing proto"))?;
    // [RFC 8866 §9] "proto  =              token *("/" token)"
    if proto.split('/').any(|p| !is_token(p)) {
        return Err(bad("proto must be tokens separated by \"/\""));
    }
    let formats = it
        .map(|f| is_token(f).then_some(Cow::Borrowed(f)))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("formats must be tokens separated by single spaces"))?;
    // [RFC 8866 §9] "SP proto 1*(SP fmt) CRLF"
    if formats.is_empty() {
        return Err(bad("at least one format is required"));
    }
    Ok(MediaDescription {
        media: Cow::Borrowed(media),
        port,
        num_ports,
        proto: Cow::Borrowed(proto),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::with_capacity(16),
    })
}
