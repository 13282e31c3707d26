//! Typed header field values (RFC 3261 §20, §25 and extensions).
//!
//! Every type borrows from the message; parsing happens when an accessor on
//! [`crate::Message`] asks for it. Values may still contain folded line
//! breaks; all parsers treat them as white space.

use std::borrow::Cow;
use std::fmt;

use crate::error::{Error, ErrorKind, syntax};
use crate::syntax::{
    Params, check_param, find_top, is_lws, is_token, is_token_char, parse_u32, quoted_len,
    trim_lws, unquote,
};
use crate::uri::{Host, Uri, parse_port};

const S25: &str = "RFC 3261 §25.1";

/// Splits `value ;params` at the first top-level `;`.
fn split_params(s: &str) -> (&str, Params<'_>) {
    match find_top(s, b';') {
        Some(i) => (
            trim_lws(s.get(..i).unwrap_or_default()),
            Params::from_raw(s.get(i + 1..).unwrap_or_default()),
        ),
        None => (trim_lws(s), Params::default()),
    }
}

fn check_params(p: &Params<'_>) -> Result<(), Error> {
    p.validate().map_err(|e| syntax(e).rfc(S25))
}

/// Checks header parameters and returns the first `tag` value, in one pass.
fn params_with_tag<'a>(p: &Params<'a>) -> Result<Option<&'a str>, Error> {
    let mut tag = None;
    let mut it = p.iter();
    while let Some((n, v, checked)) = it.next_checked() {
        if !checked {
            check_param(n, v).map_err(|e| syntax(e).rfc(S25))?;
        }
        if tag.is_none() && n.eq_ignore_ascii_case("tag") {
            tag = v;
        }
    }
    Ok(tag)
}

fn find_byte(s: &str, c: u8) -> Option<usize> {
    s.bytes().position(|b| b == c)
}

/// `name-addr / addr-spec` with header parameters: the value of From, To,
/// Contact, Route, Record-Route, Path, P-Asserted-Identity, Refer-To,
/// Referred-By and Reply-To (RFC 3261 §20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display_name: Option<&'a str>,
    uri: Uri<'a>,
    uri_text: &'a str,
    params: Params<'a>,
    bracketed: bool,
    tag: Option<&'a str>,
}

impl<'a> NameAddr<'a> {
    /// Parses one name-addr or addr-spec followed by `;params`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let s = trim_lws(s);
        let (display_name, after_display) = if s.starts_with('"') {
            let n = quoted_len(s).ok_or_else(|| {
                // [RFC 3261 §25.1] "quoted-string  =  SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE"
                syntax("unterminated quoted-string in display-name").rfc(S25)
            })?;
            (s.get(..n), trim_lws(s.get(n..).unwrap_or_default()))
        } else {
            match find_byte(s, b'<') {
                Some(i) => {
                    let d = trim_lws(s.get(..i).unwrap_or_default());
                    // display-name = *(token LWS)/ quoted-string
                    if !d.bytes().all(|b| is_token_char(b) || is_lws(b)) {
                        return Err(
                            syntax("display-name is neither tokens nor a quoted-string").rfc(S25)
                        );
                    }
                    ((!d.is_empty()).then_some(d), s.get(i..).unwrap_or_default())
                }
                None => (None, s),
            }
        };
        if let Some(rest) = after_display.strip_prefix('<') {
            let close =
                find_byte(rest, b'>').ok_or_else(|| syntax("'<' without matching '>'").rfc(S25))?;
            let uri_text = rest.get(..close).unwrap_or_default();
            let uri = Uri::parse(uri_text)?;
            let after = trim_lws(rest.get(close + 1..).unwrap_or_default());
            let params = if after.is_empty() {
                Params::default()
            } else {
                let p = after
                    .strip_prefix(';')
                    .ok_or_else(|| syntax("expected ';' or end after '>'").rfc(S25))?;
                Params::from_raw(p)
            };
            let tag = params_with_tag(&params)?;
            return Ok(NameAddr {
                display_name,
                uri,
                uri_text,
                params,
                bracketed: true,
                tag,
            });
        }
        if display_name.is_some() {
            // [RFC 3261 §20.10] "When the header field value contains a display name, the URI
            // including all URI parameters is enclosed in "<" and ">"."
            return Err(syntax("display-name not followed by <URI>").rfc("RFC 3261 §20.10"));
        }
        // [RFC 3261 §20.10] "If no "<"
        // and ">" are present, all parameters after the URI are header
        // parameters, not URI parameters."
        let (uri_text, params) = split_params(after_display);
        if uri_text
            .bytes()
            .any(|b| is_lws(b) || b == b',' || b == b'?')
        {
            return Err(
                syntax("addr-spec with white space, ',' or '?' must be enclosed in <>")
                    .rfc("RFC 3261 §20.10"),
            );
        }
        let uri = Uri::parse(uri_text)?;
        let tag = params_with_tag(&params)?;
        Ok(NameAddr {
            display_name: None,
            uri,
            uri_text,
            params,
            bracketed: false,
            tag,
        })
    }

    /// The display name as written (quotes kept), if any.
    pub const fn display_name_raw(&self) -> Option<&'a str> {
        self.display_name
    }

    /// The display name with quotes and escapes removed, if any.
    pub fn display_name(&self) -> Option<Cow<'a, str>> {
        self.display_name.map(unquote)
    }

    /// The URI.
    pub const fn uri(&self) -> &Uri<'a> {
        &self.uri
    }

    /// The URI as written.
    pub const fn uri_str(&self) -> &'a str {
        self.uri_text
    }

    /// The header parameters (after the URI or `>`).
    pub const fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `tag` parameter (From/To).
    pub fn tag(&self) -> Option<&'a str> {
        self.tag
    }

    /// True when the URI was written in `<...>` (name-addr form).
    pub const fn is_name_addr(&self) -> bool {
        self.bracketed
    }
}

impl fmt::Display for NameAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = self.display_name {
            write!(f, "{d} ")?;
        }
        write!(f, "<{}>", self.uri_text)?;
        if !self.params.is_empty() {
            write!(f, ";{}", self.params.as_str())?;
        }
        Ok(())
    }
}

/// One Contact value: `*` or an address (RFC 3261 §20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Contact<'a> {
    /// `Contact: *` (REGISTER removing all bindings).
    Star,
    /// An address with `q`, `expires` and other parameters.
    Addr(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parses one contact value.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        if trim_lws(s) == "*" {
            Ok(Contact::Star)
        } else {
            NameAddr::parse(s).map(Contact::Addr)
        }
    }

    /// The `expires` parameter in seconds.
    pub fn expires(&self) -> Option<u32> {
        match self {
            Contact::Addr(a) => a.params.get("expires").flatten().and_then(parse_u32),
            Contact::Star => None,
        }
    }

    /// The `q` parameter in thousandths (`q=0.7` is 700).
    pub fn q(&self) -> Option<u16> {
        let Contact::Addr(a) = self else { return None };
        let q = a.params.get("q").flatten()?;
        // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
        let (int, frac) = q.split_once('.').unwrap_or((q, ""));
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut thousandths: u16 = match int {
            "0" => 0,
            "1" => 1000,
            _ => return None,
        };
        let mut scale = 100;
        for d in frac.bytes() {
            thousandths += u16::from(d - b'0') * scale;
            scale /= 10;
        }
        (thousandths <= 1000).then_some(thousandths)
    }
}

/// One Via value (RFC 3261 §20.42): sent-protocol, sent-by and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// Protocol name (`SIP`).
    pub protocol_name: &'a str,
    /// Protocol version (`2.0`).
    pub protocol_version: &'a str,
    /// Transport (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or another token).
    pub transport: &'a str,
    /// The sent-by host.
    pub host: Host<'a>,
    /// The sent-by port, when written.
    pub port: Option<u16>,
    /// The via-params.
    pub params: Params<'a>,
    branch: Option<Option<&'a str>>,
    received: Option<Option<&'a str>>,
    rport: Option<Option<&'a str>>,
}

impl<'a> Via<'a> {
    /// Parses one via-parm.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        const S: &str = "RFC 3261 §20.42";
        let s = trim_lws(s);
        let (name, version, rest) = match (s.get(..3), s.get(4..7), s.get(8..)) {
            // the usual `SIP/2.0/` without white space: nothing to scan
            (Some(n), Some(v), Some(r)) if s.as_bytes().get(..8) == Some(b"SIP/2.0/") => {
                (n, v, trim_lws(r))
            }
            _ => {
                // SLASH = SWS "/" SWS
                let slash1 = find_byte(s, b'/').unwrap_or(s.len());
                let name = trim_lws(s.get(..slash1).unwrap_or_default());
                let tail = s.get(slash1 + 1..).unwrap_or_default();
                let slash2 = find_byte(tail, b'/').unwrap_or(tail.len());
                let version = trim_lws(tail.get(..slash2).unwrap_or_default());
                let rest = trim_lws(tail.get(slash2 + 1..).unwrap_or_default());
                if !is_token(name) || !is_token(version) {
                    return Err(syntax("expected sent-protocol name/version/transport").rfc(S));
                }
                (name, version, rest)
            }
        };
        let t_end = rest
            .bytes()
            .position(|b| !is_token_char(b))
            .unwrap_or(rest.len());
        let transport = rest.get(..t_end).unwrap_or_default();
        if transport.is_empty() {
            return Err(syntax("missing transport in sent-protocol").rfc(S));
        }
        let after = rest.get(t_end..).unwrap_or_default();
        if !after.starts_with(|c: char| c.is_ascii() && is_lws(c as u8)) {
            return Err(syntax("expected LWS between sent-protocol and sent-by").rfc(S));
        }
        let (sent_by, params) = split_params(after);
        // COLON = SWS ":" SWS; remove white space around the port colon
        let (host, port) = if sent_by.starts_with('[') {
            let close = find_byte(sent_by, b']')
                .ok_or_else(|| syntax("IPv6 reference without closing ']'").rfc(S25))?;
            let host = Host::parse(sent_by.get(..=close).unwrap_or_default())?;
            let rest = trim_lws(sent_by.get(close + 1..).unwrap_or_default());
            let port = match rest.strip_prefix(':') {
                Some(p) => Some(parse_port(trim_lws(p))?),
                None if rest.is_empty() => None,
                None => return Err(syntax("unexpected text after sent-by host").rfc(S)),
            };
            (host, port)
        } else {
            match find_byte(sent_by, b':') {
                Some(i) => (
                    Host::parse(trim_lws(sent_by.get(..i).unwrap_or_default()))?,
                    Some(parse_port(trim_lws(
                        sent_by.get(i + 1..).unwrap_or_default(),
                    ))?),
                ),
                None => (Host::parse(sent_by)?, None),
            }
        };
        let mut via = Via {
            protocol_name: name,
            protocol_version: version,
            transport,
            host,
            port,
            params,
            branch: None,
            received: None,
            rport: None,
        };
        // One pass over the parameters: check each and keep the ones a
        // transaction layer reads on every message.
        let mut it = params.iter();
        while let Some((n, v, checked)) = it.next_checked() {
            if !checked {
                check_param(n, v).map_err(|e| syntax(e).rfc(S25))?;
            }
            if n.eq_ignore_ascii_case("branch") && via.branch.is_none() {
                via.branch = Some(v);
            } else if n.eq_ignore_ascii_case("received") && via.received.is_none() {
                // via-received = "received" EQUAL (IPv4address / IPv6address)
                if v.and_then(parse_received).is_none() {
                    return Err(syntax("received parameter is not an IPv4 or IPv6 address")
                        .rfc("RFC 5118 §4.5"));
                }
                via.received = Some(v);
            } else if n.eq_ignore_ascii_case("rport") && via.rport.is_none() {
                via.rport = Some(v);
            }
        }
        Ok(via)
    }

    /// `SIP/2.0/UDP` with the white space of the wire removed.
    pub fn protocol(&self) -> String {
        format!(
            "{}/{}/{}",
            self.protocol_name, self.protocol_version, self.transport
        )
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.branch.flatten()
    }

    /// The `received` parameter as written.
    pub fn received(&self) -> Option<&'a str> {
        self.received.flatten()
    }

    /// The `received` parameter as an address; an IPv6 address is accepted
    /// with or without brackets (RFC 5118 §4.5).
    pub fn received_addr(&self) -> Option<std::net::IpAddr> {
        self.received().and_then(parse_received)
    }

    /// The `rport` parameter (RFC 3581): `Some(None)` when present without a
    /// value (request), `Some(Some(p))` when filled in (response).
    pub fn rport(&self) -> Option<Option<u16>> {
        self.rport.map(|v| v.and_then(|p| p.parse::<u16>().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.get("maddr").flatten()
    }

    /// The `ttl` parameter (0-255).
    pub fn ttl(&self) -> Option<u8> {
        self.params
            .get("ttl")
            .flatten()
            .and_then(|t| t.parse::<u8>().ok())
    }
}

/// `via-received = "received" EQUAL (IPv4address / IPv6address)`.
fn parse_received(r: &str) -> Option<std::net::IpAddr> {
    // [RFC 5118 §4.5] "be liberal in accepting a "received" parameter with or without the
    // delimiting "[" and "]" tokens."
    let r = r
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(r);
    match crate::uri::parse_ipv4(r) {
        Some(v4) => Some(std::net::IpAddr::V4(v4)),
        None => r
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(std::net::IpAddr::V6),
    }
}

/// CSeq (RFC 3261 §20.16): sequence number and method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number (32 bits; senders keep it below 2**31).
    pub seq: u32,
    /// The method token.
    pub method: &'a str,
}

impl<'a> CSeq<'a> {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        const S: &str = "RFC 3261 §8.1.1.5";
        let s = trim_lws(s);
        let end = s
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len());
        let digits = s.get(..end).unwrap_or_default();
        let method = trim_lws(s.get(end..).unwrap_or_default());
        if digits.is_empty()
            || !s
                .get(end..)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii() && is_lws(c as u8)))
        {
            return Err(syntax("expected 1*DIGIT LWS Method").rfc("RFC 3261 §20.16"));
        }
        // The bound below 2**31 binds the sender; builders apply it.
        // [RFC 3261 §20.16] "The sequence number MUST be
        // expressible as a 32-bit unsigned integer."
        let seq = parse_u32(digits).ok_or_else(|| {
            Error::new(ErrorKind::OutOfRange("CSeq number does not fit 32 bits")).rfc(S)
        })?;
        if !is_token(method) {
            return Err(syntax("CSeq method is not a token").rfc("RFC 3261 §20.16"));
        }
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// RAck (RFC 3262 §7.2): response-num, CSeq-num, method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RAck<'a> {
    /// The RSeq of the acknowledged response.
    pub response_num: u32,
    /// The CSeq number of the request.
    pub cseq_num: u32,
    /// The method of the request.
    pub method: &'a str,
}

impl<'a> RAck<'a> {
    /// Parses `response-num LWS CSeq-num LWS Method`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let mut it = s
            .split(|c: char| c.is_ascii() && is_lws(c as u8))
            .filter(|t| !t.is_empty());
        let bad = || syntax("expected response-num CSeq-num Method").rfc("RFC 3262 §7.2");
        let response_num = it.next().and_then(parse_u32).ok_or_else(bad)?;
        let cseq_num = it.next().and_then(parse_u32).ok_or_else(bad)?;
        let method = it.next().filter(|m| is_token(m)).ok_or_else(bad)?;
        if it.next().is_some() {
            return Err(bad());
        }
        Ok(RAck {
            response_num,
            cseq_num,
            method,
        })
    }
}

/// `type/subtype;params` (Content-Type, RFC 3261 §20.15; Accept ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// The top-level type (`application`).
    pub kind: &'a str,
    /// The subtype (`sdp`).
    pub subtype: &'a str,
    /// The parameters (`charset`, `boundary`, ...).
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Parses a media-type.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let (mt, params) = split_params(s);
        let (kind, subtype) = mt
            .split_once('/')
            .map(|(a, b)| (trim_lws(a), trim_lws(b)))
            .filter(|(a, b)| is_token(a) && is_token(b))
            .ok_or_else(|| syntax("expected type/subtype").rfc("RFC 3261 §20.15"))?;
        check_params(&params)?;
        Ok(MediaType {
            kind,
            subtype,
            params,
        })
    }

    /// True when type and subtype match, ignoring case.
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.subtype)?;
        if !self.params.is_empty() {
            write!(f, ";{}", self.params.as_str())?;
        }
        Ok(())
    }
}

/// A token or number with parameters: Event (RFC 6665), Subscription-State
/// (RFC 6665), Session-Expires and Min-SE (RFC 4028), Reason (RFC 3326),
/// Replaces (RFC 3891; the value is a Call-ID), Content-Disposition,
/// Retry-After (RFC 3261 §20.33; a comment is kept in `comment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueParams<'a> {
    /// The value before the first `;`.
    pub value: &'a str,
    /// A `( comment )` after the value (Retry-After only).
    pub comment: Option<&'a str>,
    /// The parameters.
    pub params: Params<'a>,
}

impl<'a> ValueParams<'a> {
    /// Parses `value [comment] *(;param)`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let (v, params) = split_params(s);
        let (value, comment) = match v.find('(') {
            Some(i) => (
                trim_lws(v.get(..i).unwrap_or_default()),
                Some(trim_lws(v.get(i..).unwrap_or_default())),
            ),
            None => (v, None),
        };
        if value.is_empty() || value.bytes().any(is_lws) {
            return Err(syntax("expected a single value before the parameters").rfc(S25));
        }
        check_params(&params)?;
        Ok(ValueParams {
            value,
            comment,
            params,
        })
    }

    /// The value as a number (Session-Expires, Min-SE, Retry-After).
    pub fn number(&self) -> Option<u32> {
        parse_u32(self.value)
    }
}

/// One Warning value (RFC 3261 §20.43): code, agent, quoted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning<'a> {
    /// The three-digit warn-code.
    pub code: u16,
    /// The warn-agent (`host[:port]` or a pseudonym).
    pub agent: &'a str,
    /// The warn-text, quotes kept.
    pub text: &'a str,
}

impl<'a> Warning<'a> {
    /// Parses `warn-code SP warn-agent SP warn-text`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let bad = || syntax("expected warn-code SP warn-agent SP warn-text").rfc("RFC 3261 §20.43");
        let s = trim_lws(s);
        let (code, rest) = s.split_once(' ').ok_or_else(bad)?;
        let (agent, text) = rest.split_once(' ').ok_or_else(bad)?;
        if code.len() != 3 || quoted_len(text) != Some(text.len()) {
            return Err(bad());
        }
        let code = code.parse::<u16>().map_err(|_| bad())?;
        Ok(Warning { code, agent, text })
    }
}

/// Timestamp (RFC 3261 §20.38): the time and an optional delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp<'a> {
    /// `1*DIGIT [ "." *DIGIT ]`.
    pub time: &'a str,
    /// The delay, when present.
    pub delay: Option<&'a str>,
}

impl<'a> Timestamp<'a> {
    /// Parses a Timestamp value.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let mut it = s
            .split(|c: char| c.is_ascii() && is_lws(c as u8))
            .filter(|t| !t.is_empty());
        let num = |t: &str| {
            let (a, b) = t.split_once('.').unwrap_or((t, ""));
            !a.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        };
        let bad = || syntax("expected 1*DIGIT [\".\" *DIGIT] [LWS delay]").rfc("RFC 3261 §20.38");
        let time = it.next().filter(|t| num(t)).ok_or_else(bad)?;
        let delay = match it.next() {
            Some(d) if num(d) => Some(d),
            Some(_) => return Err(bad()),
            None => None,
        };
        if it.next().is_some() {
            return Err(bad());
        }
        Ok(Timestamp { time, delay })
    }
}

/// An authentication header value: `scheme` followed by comma-separated
/// `auth-param`s (WWW-Authenticate, Proxy-Authenticate, Authorization,
/// Proxy-Authorization, RFC 3261 §20.7, §20.27, §20.44). Authentication-Info
/// has parameters only (scheme empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthValue<'a> {
    /// The scheme (`Digest`), empty for Authentication-Info.
    pub scheme: &'a str,
    raw_params: &'a str,
}

impl<'a> AuthValue<'a> {
    /// Parses `scheme LWS auth-param *(COMMA auth-param)`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let s = trim_lws(s);
        let end = s.bytes().position(|b| !is_token_char(b)).unwrap_or(s.len());
        let scheme = s.get(..end).unwrap_or_default();
        if scheme.is_empty() {
            return Err(syntax("expected an auth-scheme token").rfc(S25));
        }
        let v = AuthValue {
            scheme,
            raw_params: trim_lws(s.get(end..).unwrap_or_default()),
        };
        v.check()?;
        Ok(v)
    }

    /// Splits one WWW-Authenticate or Proxy-Authenticate value that holds
    /// several challenges, such as `Digest realm="a", nonce="1",
    /// algorithm=SHA-256, Digest realm="a", nonce="2"` or mixed schemes
    /// (`Basic realm="x", Digest realm="y", ...`), into one [`AuthValue`]
    /// per challenge (RFC 7235 §4.1 `1#challenge`).
    ///
    /// The comma separates both auth-params and challenges; an element
    /// starts a new challenge when it begins with a token followed by white
    /// space and something other than `=` (`Digest realm=...`), or is a
    /// lone token (a scheme without parameters). A challenge that does not
    /// parse (e.g. a `token68` such as `Basic dXNlcg==`) yields an error and
    /// the next challenge is still found.
    ///
    /// ```
    /// use rtclite_sip::headers::AuthValue;
    /// let v = r#"Basic realm="x", Digest realm="y", nonce="n", algorithm=SHA-256"#;
    /// let all: Vec<_> = AuthValue::parse_challenges(v).collect::<Result<_, _>>()?;
    /// assert_eq!(all.len(), 2);
    /// assert_eq!(all[1].scheme, "Digest");
    /// assert_eq!(all[1].param("algorithm").as_deref(), Some("SHA-256"));
    /// # Ok::<(), rtclite_sip::Error>(())
    /// ```
    pub fn parse_challenges(s: &'a str) -> Challenges<'a> {
        Challenges { rest: trim_lws(s) }
    }

    /// Parses a parameter list without scheme (Authentication-Info).
    pub fn parse_params_only(s: &'a str) -> Result<Self, Error> {
        let v = AuthValue {
            scheme: "",
            raw_params: trim_lws(s),
        };
        v.check()?;
        Ok(v)
    }

    fn check(&self) -> Result<(), Error> {
        for (n, v) in self.params() {
            if !is_token(n) {
                return Err(syntax("auth-param name is not a token").rfc(S25));
            }
            if let Some(v) = v {
                let ok = if v.starts_with('"') {
                    quoted_len(v) == Some(v.len())
                } else {
                    is_token(v)
                };
                if !ok {
                    return Err(
                        syntax("auth-param value is neither a token nor a quoted-string").rfc(S25),
                    );
                }
            }
        }
        Ok(())
    }

    /// Every parameter: name and value (quotes kept).
    pub fn params(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        crate::syntax::split_top(self.raw_params, b',')
            .filter(|p| !p.is_empty())
            .map(|p| match find_top(p, b'=') {
                Some(i) => (
                    trim_lws(p.get(..i).unwrap_or_default()),
                    Some(trim_lws(p.get(i + 1..).unwrap_or_default())),
                ),
                None => (p, None),
            })
    }

    /// A parameter by name (case-insensitive), unquoted.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v)
            .map(unquote)
    }

    /// The raw parameter text.
    pub const fn raw_params(&self) -> &'a str {
        self.raw_params
    }
}

/// Iterator over the challenges of one header field value, returned by
/// [`AuthValue::parse_challenges`].
#[derive(Debug, Clone)]
pub struct Challenges<'a> {
    rest: &'a str,
}

/// True when the comma-separated element `e` (trimmed) starts a challenge:
/// `auth-scheme [ 1*SP ( token68 / auth-param ) ]` rather than an
/// `auth-param` (`token BWS "=" ...`).
fn starts_challenge(e: &str) -> bool {
    let end = e.bytes().position(|b| !is_token_char(b)).unwrap_or(e.len());
    if end == 0 {
        return false;
    }
    let after = e.get(end..).unwrap_or_default();
    if after.is_empty() {
        // a lone token: a scheme without parameters
        return true;
    }
    let gap = after.bytes().take_while(|b| is_lws(*b)).count();
    gap > 0 && !after.get(gap..).is_some_and(|r| r.starts_with('='))
}

impl<'a> Iterator for Challenges<'a> {
    type Item = Result<AuthValue<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        // skip empty list elements (RFC 7230 §7: `#rule` allows them)
        let s = self
            .rest
            .trim_start_matches(|c: char| c == ',' || (c.is_ascii() && is_lws(c as u8)));
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        // The first element opens the challenge; each following element
        // either continues it (an auth-param) or opens the next one.
        let mut end = find_top(s, b',').unwrap_or(s.len());
        while end < s.len() {
            let next = s.get(end + 1..).unwrap_or_default();
            let elem = trim_lws(match find_top(next, b',') {
                Some(i) => next.get(..i).unwrap_or_default(),
                None => next,
            });
            if starts_challenge(elem) {
                break;
            }
            end = match find_top(next, b',') {
                Some(i) => end + 1 + i,
                None => s.len(),
            };
        }
        let this = s.get(..end).unwrap_or_default();
        self.rest = s.get(end..).unwrap_or_default();
        if !starts_challenge(trim_lws(
            this.get(..find_top(this, b',').unwrap_or(this.len()))
                .unwrap_or_default(),
        )) {
            // a parameter list with no scheme before it: nothing after it
            // can be trusted to be split right
            self.rest = "";
            return Some(Err(syntax(
                "expected an auth-scheme before the auth-params of a challenge",
            )
            .rfc(S25)));
        }
        Some(AuthValue::parse(trim_lws(this).trim_end_matches(',')))
    }
}

/// `token *(COMMA token)` values: Allow, Supported, Require, Proxy-Require,
/// Unsupported, Allow-Events, Content-Encoding. Checks one item.
pub(crate) fn check_token(s: &str) -> Result<&str, Error> {
    let t = trim_lws(s);
    if is_token(t) {
        Ok(t)
    } else {
        Err(syntax("expected a token").rfc(S25))
    }
}
