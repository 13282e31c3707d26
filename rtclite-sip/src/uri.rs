//! URIs: `sip:`/`sips:` (RFC 3261 §19.1, §25.1; IPv6 references per
//! RFC 5118), `tel:` (RFC 3966) and any other absolute URI kept opaque.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Error, syntax};
use crate::syntax::{Params, class, in_class, unescape};

const S19: &str = "RFC 3261 §19.1.1";
const S25: &str = "RFC 3261 §25.1";

/// The host part of a SIP URI or Via sent-by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host<'a> {
    /// A host name (compared case-insensitively).
    Domain(&'a str),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference, written in brackets in the URI (RFC 5118).
    Ipv6(Ipv6Addr),
}

impl<'a> Host<'a> {
    /// Parses `host = hostname / IPv4address / IPv6reference`.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| syntax("IPv6 reference without closing ']'").rfc(S25))?;
            if let Ok(a) = inner.parse::<Ipv6Addr>() {
                return Ok(Host::Ipv6(a));
            }
            // [RFC 5118 §4.10] "an implementation must tolerate both
            // of the above constructs."
            if let Some(i) = inner.find(":::") {
                let fixed = format!(
                    "{}{}",
                    inner.get(..i).unwrap_or_default(),
                    inner.get(i + 1..).unwrap_or_default()
                );
                if let Ok(a) = fixed.parse::<Ipv6Addr>() {
                    return Ok(Host::Ipv6(a));
                }
            }
            return Err(syntax("malformed IPv6 address in IPv6reference").rfc("RFC 3261 §25.1"));
        }
        if s.is_empty() {
            return Err(syntax("empty host").rfc(S25));
        }
        match classify_host(s) {
            HostShape::Hostname => Ok(Host::Domain(s)),
            HostShape::DigitsAndDots => parse_ipv4(s)
                .map(Host::Ipv4)
                .ok_or_else(|| syntax("malformed IPv4 address").rfc(S25)),
            HostShape::Invalid if s.contains(':') => {
                Err(syntax("IPv6 address not enclosed in brackets").rfc("RFC 5118 §4.2"))
            }
            HostShape::Invalid => Err(syntax("malformed host name").rfc(S25)),
        }
    }

    /// Case-insensitive host comparison; an address never equals a name.
    pub fn equivalent(&self, other: &Host<'_>) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
            (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
            (Host::Ipv6(a), Host::Ipv6(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// What a `host` that is not an IPv6 reference looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostShape {
    /// `hostname = *( domainlabel "." ) toplabel [ "." ]`.
    Hostname,
    /// Only digits and dots: an `IPv4address` or nothing.
    DigitsAndDots,
    /// Neither.
    Invalid,
}

/// `alphanum / "-"`: the characters inside a domain label.
static LABEL_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'-';
        i += 1;
    }
    t
};

/// Classifies `s` (not empty) label by label: a valid hostname, digits and
/// dots, or neither. Same decision as [`is_hostname`] after the
/// digits-and-dots test, with one table load per byte in the common case.
fn classify_host(s: &str) -> HostShape {
    let b = s.as_bytes();
    let len = b.len();
    let mut i = 0;
    let mut top_start = 0;
    let valid = loop {
        // domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
        let start = i;
        while i < len && b.get(i).is_some_and(|&c| LABEL_CHAR[c as usize]) {
            i += 1;
        }
        let label_ok = i > start
            && b.get(start).is_some_and(u8::is_ascii_alphanumeric)
            && b.get(i - 1).is_some_and(u8::is_ascii_alphanumeric);
        if !label_ok {
            break false;
        }
        top_start = start;
        match b.get(i) {
            None => break true,
            Some(b'.') if i + 1 == len => break true, // the optional final "."
            Some(b'.') => i += 1,
            Some(_) => break false,
        }
    };
    if valid && b.get(top_start).is_some_and(u8::is_ascii_alphabetic) {
        HostShape::Hostname
    } else if b.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
        HostShape::DigitsAndDots
    } else {
        HostShape::Invalid
    }
}

/// `IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT`, each
/// at most 255 and, as `std::net::Ipv4Addr` has it, without leading zeros.
pub(crate) fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    if !(7..=15).contains(&b.len()) {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut n = 0; // octets done
    let mut v: u32 = 0;
    let mut digits = 0;
    for &c in b {
        if c == b'.' {
            if digits == 0 {
                return None;
            }
            *octets.get_mut(n)? = u8::try_from(v).ok()?;
            n += 1;
            v = 0;
            digits = 0;
        } else {
            let d = c.wrapping_sub(b'0');
            // at most 3 digits, no leading zero
            if d > 9 || digits == 3 || (digits == 1 && v == 0) {
                return None;
            }
            v = v * 10 + u32::from(d);
            digits += 1;
        }
    }
    if digits == 0 || n != 3 {
        return None;
    }
    octets[3] = u8::try_from(v).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// `hostname = *( domainlabel "." ) toplabel [ "." ]`.
#[cfg(test)]
fn is_hostname(s: &str) -> bool {
    let b = s.strip_suffix('.').unwrap_or(s).as_bytes();
    if b.is_empty() {
        return false;
    }
    // One pass: every label starts and ends with alphanum, holds only
    // alphanum and '-'; the last label (toplabel) starts with ALPHA.
    let mut label_start = 0;
    let mut prev = b'.';
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' {
            if !prev.is_ascii_alphanumeric() {
                return false;
            }
            label_start = i + 1;
        } else if c.is_ascii_alphanumeric() {
            // ok anywhere
        } else if c == b'-' {
            if prev == b'.' {
                return false;
            }
        } else {
            return false;
        }
        prev = c;
    }
    prev.is_ascii_alphanumeric() && b.get(label_start).is_some_and(u8::is_ascii_alphabetic)
}

/// Parses `host [":" port]`, returning the host and the port.
pub(crate) fn parse_hostport(s: &str) -> Result<(Host<'_>, Option<u16>), Error> {
    let (host, port) = if s.starts_with('[') {
        match find_byte(s, b']') {
            Some(i) => {
                let (h, rest) = s.split_at(i + 1);
                (h, rest)
            }
            None => return Err(syntax("IPv6 reference without closing ']'").rfc(S25)),
        }
    } else {
        match find_byte(s, b':') {
            Some(i) if s.get(i + 1..).is_some_and(|p| find_byte(p, b':').is_none()) => {
                s.split_at(i)
            }
            Some(_) => {
                return Err(syntax("IPv6 address not enclosed in brackets").rfc("RFC 5118 §4.2"));
            }
            None => (s, ""),
        }
    };
    let host = Host::parse(host)?;
    let port = if port.is_empty() {
        None
    } else {
        let p = port
            .strip_prefix(':')
            .ok_or_else(|| syntax("unexpected characters after host").rfc(S25))?;
        Some(parse_port(p)?)
    };
    Ok((host, port))
}

pub(crate) fn parse_port(p: &str) -> Result<u16, Error> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax("port is not 1*DIGIT").rfc(S25));
    }
    p.parse::<u16>()
        .map_err(|_| Error::new(crate::ErrorKind::OutOfRange("port above 65535")).rfc(S25))
}

/// Position of the first `c` in `s` (short strings: a plain scan).
fn find_byte(s: &str, c: u8) -> Option<usize> {
    s.bytes().position(|b| b == c)
}

/// Checks that every byte is unreserved, in the class `extra`, or a valid
/// `%HH`.
fn check_chars(s: &str, extra: u8, what: &'static str) -> Result<(), Error> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                // RFC 3261 §25.1: escaped = "%" HEXDIG HEXDIG is the only use of '%'.
                return Err(syntax("'%' not followed by two hex digits").rfc("RFC 3261 §19.1.2"));
            }
            i += 3;
            continue;
        }
        if !in_class(c, class::UNRESERVED | extra) {
            return Err(syntax(what).rfc(S25));
        }
        i += 1;
    }
    Ok(())
}

/// A `sip:` or `sips:` URI (RFC 3261 §19.1.1), borrowing from the input.
/// Components are kept as written (escaped); comparison unescapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// `sips:` rather than `sip:`.
    pub secure: bool,
    /// The user part, escaped as written.
    pub user: Option<&'a str>,
    /// The password, escaped as written.
    pub password: Option<&'a str>,
    /// The host.
    pub host: Host<'a>,
    /// The port, when written.
    pub port: Option<u16>,
    /// The uri-parameters.
    pub params: Params<'a>,
    /// The headers after `?`, as written.
    pub headers: Option<&'a str>,
}

impl<'a> SipUri<'a> {
    /// Parses a SIP or SIPS URI.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let (secure, rest) = if let Some(r) = strip_scheme(s, "sip:") {
            (false, r)
        } else if let Some(r) = strip_scheme(s, "sips:") {
            (true, r)
        } else {
            return Err(syntax("expected sip: or sips: scheme").rfc(S19));
        };
        let (userinfo, hostpart) = match find_byte(rest, b'@') {
            Some(i) => (rest.get(..i), rest.get(i + 1..).unwrap_or_default()),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match find_byte(ui, b':') {
                    Some(i) => (ui.get(..i).unwrap_or_default(), ui.get(i + 1..)),
                    None => (ui, None),
                };
                if u.is_empty() {
                    return Err(syntax("empty user part before '@'").rfc(S19));
                }
                check_chars(
                    u,
                    class::USER_EXTRA,
                    "character not allowed in the user part",
                )?;
                if let Some(p) = p {
                    check_chars(
                        p,
                        class::PASSWORD_EXTRA,
                        "character not allowed in the password",
                    )?;
                }
                (Some(u), p)
            }
        };
        // One scan of the host part: the first ';' or '?' ends hostport;
        // after a ';' the parameters run to the first '?'.
        let (hostport, params, headers) =
            match hostpart.bytes().position(|c| c == b';' || c == b'?') {
                None => (hostpart, "", None),
                Some(i) => {
                    let head = hostpart.get(..i).unwrap_or_default();
                    let tail = hostpart.get(i + 1..).unwrap_or_default();
                    if hostpart.as_bytes().get(i) == Some(&b'?') {
                        (head, "", Some(tail))
                    } else {
                        match find_byte(tail, b'?') {
                            Some(j) => (head, tail.get(..j).unwrap_or_default(), tail.get(j + 1..)),
                            None => (head, tail, None),
                        }
                    }
                }
            };
        let (host, port) = parse_hostport(hostport)?;
        for p in params.split(';').filter(|_| !params.is_empty()) {
            if p.is_empty() {
                return Err(syntax("empty uri-parameter").rfc(S25));
            }
            check_chars(
                p,
                class::PARAM_EXTRA | class::EQ_AMP,
                "character not allowed in a uri-parameter",
            )?;
        }
        if let Some(h) = headers {
            check_chars(
                h,
                class::HEADER_EXTRA | class::EQ_AMP,
                "character not allowed in URI headers",
            )?;
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params: Params::from_raw(params),
            headers,
        })
    }

    /// A uri-parameter by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params.get(name)
    }

    /// The `transport` parameter.
    pub fn transport(&self) -> Option<&'a str> {
        self.param("transport").flatten()
    }

    /// Equivalence per RFC 3261 §19.1.4.
    pub fn equivalent(&self, other: &SipUri<'_>) -> bool {
        // [RFC 3261 §19.1.4] "A SIP and SIPS URI are never equivalent."
        if self.secure != other.secure {
            return false;
        }
        // [RFC 3261 §19.1.4] "Comparison of the userinfo of SIP and SIPS URIs is case-
        // sensitive."
        if self.user.map(unescape) != other.user.map(unescape)
            || self.password.map(unescape) != other.password.map(unescape)
        {
            return false;
        }
        if !self.host.equivalent(&other.host) || self.port != other.port {
            return false;
        }
        for (name, value) in self.params.iter() {
            match other.params.get(name) {
                // [RFC 3261 §19.1.4] "Any uri-parameter appearing in both URIs must match."
                Some(v2) => {
                    let a = value.map(unescape);
                    let b = v2.map(unescape);
                    let same = match (a, b) {
                        (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b),
                        (None, None) => true,
                        _ => false,
                    };
                    if !same {
                        return false;
                    }
                }
                None => {
                    // [RFC 3261 §19.1.4] "A user, ttl, or method uri-parameter appearing in only one
                    // URI never matches, even if it contains the default value."
                    if is_significant_param(name) {
                        return false;
                    }
                }
            }
        }
        if other
            .params
            .iter()
            .any(|(n, _)| is_significant_param(n) && !self.params.contains(n))
        {
            return false;
        }
        // [RFC 3261 §19.1.4] "Any present header
        // component MUST be present in both URIs and match for the URIs
        // to match."
        headers_equivalent(self.headers, other.headers)
    }
}

/// Parameters that never match when present on one side only (§19.1.4:
/// user, ttl, method, maddr; transport as a component with a default).
fn is_significant_param(name: &str) -> bool {
    ["user", "ttl", "method", "maddr", "transport"]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
}

fn headers_equivalent(a: Option<&str>, b: Option<&str>) -> bool {
    let split = |h: Option<&str>| -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<(Vec<u8>, Vec<u8>)> = h
            .unwrap_or_default()
            .split('&')
            .filter(|x| !x.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (unescape(k).to_ascii_lowercase(), unescape(v).into_owned())
            })
            .collect();
        v.sort();
        v
    };
    split(a) == split(b)
}

fn strip_scheme<'a>(s: &'a str, scheme: &str) -> Option<&'a str> {
    let head = s.get(..scheme.len())?;
    if head.eq_ignore_ascii_case(scheme) {
        s.get(scheme.len()..)
    } else {
        None
    }
}

impl fmt::Display for SipUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = self.user {
            f.write_str(u)?;
            if let Some(p) = self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if !self.params.as_str().is_empty() {
            write!(f, ";{}", self.params.as_str())?;
        }
        if let Some(h) = self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

/// A `tel:` URI (RFC 3966 §3): a global number (`+` and digits) or a local
/// number with a `phone-context` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelUri<'a> {
    /// The number as written, with `+` for a global number and any visual
    /// separators.
    pub number: &'a str,
    /// The parameters after the number.
    pub params: Params<'a>,
}

impl<'a> TelUri<'a> {
    /// Parses a `tel:` URI.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let rest = strip_scheme(s, "tel:")
            .ok_or_else(|| syntax("expected tel: scheme").rfc("RFC 3966 §3"))?;
        let (number, params) = match find_byte(rest, b';') {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (rest, ""),
        };
        let params = Params::from_raw(params);
        if let Some(digits) = number.strip_prefix('+') {
            // RFC 3966 §3: global-number-digits = "+" *phonedigit DIGIT *phonedigit
            if !digits.bytes().any(|b| b.is_ascii_digit())
                || !digits
                    .bytes()
                    .all(|b| b.is_ascii_digit() || is_visual_separator(b))
            {
                return Err(syntax(
                    "global number must be '+' followed by digits and visual separators",
                )
                .rfc("RFC 3966 §3"));
            }
        } else {
            if !number
                .bytes()
                .any(|b| b.is_ascii_hexdigit() || b == b'*' || b == b'#')
                || !number.bytes().all(|b| {
                    b.is_ascii_hexdigit() || b == b'*' || b == b'#' || is_visual_separator(b)
                })
            {
                return Err(syntax(
                    "local number must be hex digits, '*', '#' and visual separators",
                )
                .rfc("RFC 3966 §3"));
            }
            // [RFC 3966 §5.1.5] "Local numbers MUST have a 'phone-context' parameter"
            if params.get("phone-context").flatten().is_none() {
                return Err(
                    syntax("local number without phone-context parameter").rfc("RFC 3966 §5.1.5")
                );
            }
        }
        Ok(TelUri { number, params })
    }

    /// True for a global number (`+...`).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    /// The number without visual separators.
    pub fn digits(&self) -> String {
        self.number
            .bytes()
            .filter(|b| !is_visual_separator(*b))
            .map(char::from)
            .collect()
    }

    /// Equivalence per RFC 3966 §4: numbers equal ignoring visual
    /// separators, same parameters (any order, names case-insensitive).
    pub fn equivalent(&self, other: &TelUri<'_>) -> bool {
        if !self.digits().eq_ignore_ascii_case(&other.digits()) {
            return false;
        }
        let norm = |p: &Params<'_>| {
            let mut v: Vec<(String, Option<String>)> = p
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.map(|v| v.to_ascii_lowercase())))
                .collect();
            v.sort();
            v
        };
        norm(&self.params) == norm(&other.params)
    }
}

const fn is_visual_separator(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'(' | b')')
}

/// Any URI that may appear in a SIP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Uri<'a> {
    /// `sip:` or `sips:`.
    Sip(SipUri<'a>),
    /// `tel:`.
    Tel(TelUri<'a>),
    /// Any other `absoluteURI`: scheme and the rest, opaque.
    Other {
        /// The scheme (before `:`).
        scheme: &'a str,
        /// Everything after the first `:`.
        rest: &'a str,
    },
}

impl<'a> Uri<'a> {
    /// Parses a URI by scheme. Unknown schemes are accepted when they are
    /// syntactically an `absoluteURI` (RFC 3261 §25.1; RFC 4475 §3.3.2).
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let colon = find_byte(s, b':').ok_or_else(|| syntax("URI without scheme").rfc(S25))?;
        let (scheme, rest) = (
            s.get(..colon).unwrap_or_default(),
            s.get(colon + 1..).unwrap_or_default(),
        );
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            return SipUri::parse(s).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case("tel") {
            return TelUri::parse(s).map(Uri::Tel);
        }
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        let ok_scheme = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !ok_scheme {
            return Err(syntax("malformed URI scheme").rfc(S25));
        }
        if rest.is_empty()
            || rest
                .bytes()
                .any(|b| b <= b' ' || matches!(b, b'<' | b'>' | b'"'))
        {
            return Err(syntax("malformed absoluteURI").rfc(S25));
        }
        Ok(Uri::Other { scheme, rest })
    }

    /// The scheme, lower-cased for the known ones.
    pub fn scheme(&self) -> &'a str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Other { scheme, .. } => scheme,
        }
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// Equivalence: §19.1.4 for SIP, RFC 3966 §4 for tel, exact otherwise.
    pub fn equivalent(&self, other: &Uri<'_>) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.equivalent(b),
            (Uri::Tel(a), Uri::Tel(b)) => a.equivalent(b),
            (
                Uri::Other {
                    scheme: s1,
                    rest: r1,
                },
                Uri::Other {
                    scheme: s2,
                    rest: r2,
                },
            ) => s1.eq_ignore_ascii_case(s2) && r1 == r2,
            _ => false,
        }
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => write!(f, "{u}"),
            Uri::Tel(t) => {
                write!(f, "tel:{}", t.number)?;
                if !t.params.as_str().is_empty() {
                    write!(f, ";{}", t.params.as_str())?;
                }
                Ok(())
            }
            Uri::Other { scheme, rest } => write!(f, "{scheme}:{rest}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Every string of up to 6 bytes over `a 1 - . Z` (and some longer
    /// ones): the one-pass classifier decides as the plain grammar check.
    #[test]
    fn classify_host_agrees_with_the_grammar() {
        let alphabet = [b'a', b'1', b'-', b'.', b'Z'];
        let mut all: Vec<Vec<u8>> = vec![Vec::new()];
        let mut frontier = all.clone();
        for _ in 0..6 {
            let mut next = Vec::new();
            for s in &frontier {
                for &c in &alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    next.push(t);
                }
            }
            all.extend(next.iter().cloned());
            frontier = next;
        }
        for s in all.iter().skip(1) {
            let s = std::str::from_utf8(s).unwrap();
            let digits_dots = s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            let expected = if digits_dots {
                HostShape::DigitsAndDots
            } else if is_hostname(s) {
                HostShape::Hostname
            } else {
                HostShape::Invalid
            };
            assert_eq!(classify_host(s), expected, "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_ipv4_agrees_with_std_on_digits_and_dots(s in "[0-9.]{0,17}") {
            proptest::prop_assert_eq!(parse_ipv4(&s), s.parse::<Ipv4Addr>().ok());
        }
    }

    #[test]
    fn parse_ipv4_agrees_with_std() {
        for s in [
            "192.0.2.101",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..3.4",
            "1.2.3.4.",
            ".1.2.3",
            "1.2.3.0",
            "10.0.0.1",
            "1.2.3.00",
            "999.1.1.1",
            "1.2.3.1000",
            "",
            "1.2.3.a",
        ] {
            assert_eq!(parse_ipv4(s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
        }
    }
}
