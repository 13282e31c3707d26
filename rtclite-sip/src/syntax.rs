//! Lexical helpers shared by the typed parsers (RFC 3261 §25.1).
//!
//! Typed parsers run on the raw header value, which may still contain folded
//! line breaks; every helper here treats CR and LF as linear white space, so
//! that the results can borrow from the input without unfolding.

use std::borrow::Cow;

/// SP, HTAB, CR or LF: the characters of LWS once folding is taken apart.
pub(crate) const fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Character classes of RFC 3261 §25.1 as bit flags in one table, so that
/// every class test is one load and one mask.
pub(crate) mod class {
    /// `token`.
    pub(crate) const TOKEN: u8 = 1;
    /// `unreserved` (alphanum / mark).
    pub(crate) const UNRESERVED: u8 = 2;
    /// `user-unreserved`.
    pub(crate) const USER_EXTRA: u8 = 4;
    /// password extras: `& = + $ ,`.
    pub(crate) const PASSWORD_EXTRA: u8 = 8;
    /// `param-unreserved`.
    pub(crate) const PARAM_EXTRA: u8 = 16;
    /// `hnv-unreserved`.
    pub(crate) const HEADER_EXTRA: u8 = 32;
    /// hostname characters (alphanum, `-`, `.`).
    pub(crate) const HOST: u8 = 64;
    /// The separators `=` and `&` of uri-parameters and URI headers.
    pub(crate) const EQ_AMP: u8 = 128;
}

const fn build_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let alnum = b.is_ascii_alphanumeric();
        let mut f = 0;
        if alnum
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            )
        {
            f |= class::TOKEN;
        }
        if alnum
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            )
        {
            f |= class::UNRESERVED;
        }
        if matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/') {
            f |= class::USER_EXTRA;
        }
        if matches!(b, b'&' | b'=' | b'+' | b'$' | b',') {
            f |= class::PASSWORD_EXTRA;
        }
        if matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$') {
            f |= class::PARAM_EXTRA;
        }
        if matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$') {
            f |= class::HEADER_EXTRA;
        }
        if alnum || matches!(b, b'-' | b'.') {
            f |= class::HOST;
        }
        if matches!(b, b'=' | b'&') {
            f |= class::EQ_AMP;
        }
        t[i] = f;
        i += 1;
    }
    t
}

/// The class table, indexed by byte.
pub(crate) static CLASS: [u8; 256] = build_table();

/// True when byte `b` is in any of the classes `mask`.
#[inline]
pub(crate) fn in_class(b: u8, mask: u8) -> bool {
    CLASS[b as usize] & mask != 0
}

/// `token` characters (RFC 3261 §25.1).
#[inline]
pub(crate) fn is_token_char(b: u8) -> bool {
    in_class(b, class::TOKEN)
}

/// True when `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// `s` without leading and trailing LWS.
pub(crate) fn trim_lws(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    while start < end && b.get(start).is_some_and(|c| is_lws(*c)) {
        start += 1;
    }
    while end > start && b.get(end - 1).is_some_and(|c| is_lws(*c)) {
        end -= 1;
    }
    s.get(start..end).unwrap_or_default()
}

/// Splits `s` at every `sep` that is outside a quoted string and outside
/// `<...>`, yielding trimmed pieces. Unterminated quotes or brackets make the
/// last piece run to the end; callers that care detect it when they parse the
/// piece.
pub(crate) fn split_top(s: &str, sep: u8) -> SplitTop<'_> {
    SplitTop { rest: Some(s), sep }
}

/// Iterator returned by [`split_top`].
#[derive(Debug, Clone)]
pub(crate) struct SplitTop<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for SplitTop<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match find_top(s, self.sep) {
            Some(i) => {
                self.rest = s.get(i + 1..);
                s.get(..i).map(trim_lws)
            }
            None => {
                self.rest = None;
                Some(trim_lws(s))
            }
        }
    }
}

/// Index of the first `sep` outside quotes and angle brackets.
pub(crate) fn find_top(s: &str, sep: u8) -> Option<usize> {
    let b = s.as_bytes();
    // Fast path: the first separator, quote or '<'; only a quote or '<'
    // before the separator needs the careful scan below.
    let mut i = match memchr::memchr3(sep, b'"', b'<', b) {
        None => return None,
        Some(i) if b.get(i) == Some(&sep) => return Some(i),
        Some(i) => i,
    };
    let mut in_quote = false;
    let mut in_angle = false;
    while let Some(&c) = b.get(i) {
        if in_quote {
            match c {
                b'\\' => i += 1,
                b'"' => in_quote = false,
                _ => {}
            }
        } else if c == b'"' {
            in_quote = true;
        } else if in_angle {
            if c == b'>' {
                in_angle = false;
            }
        } else if c == b'<' {
            in_angle = true;
        } else if c == sep {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Removes the quotes of a `quoted-string` and its `quoted-pair` escapes.
/// A value that is not quoted is returned as is.
pub fn unquote(s: &str) -> Cow<'_, str> {
    let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return Cow::Borrowed(s);
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Length of the `quoted-string` at the start of `s` (quotes included), or
/// `None` when it is not terminated.
pub(crate) fn quoted_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Decodes `%HH` escapes (RFC 3261 §19.1.2). Invalid escapes are kept as
/// written (RFC 4475 §3.1.1.5: a `%` that is not an escape is data).
pub fn unescape(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('%') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|x| hex_val(*x)),
                b.get(i + 2).and_then(|x| hex_val(*x)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

const fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses `1*DIGIT` into a `u32`, rejecting empty input, non-digits and
/// overflow.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    let mut v: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(v)
}

/// Iterator over [`Params`]: a single left-to-right scan, no allocation.
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    s: &'a str,
    pos: usize,
    done: bool,
}

/// `token / host` characters without white space: what an unquoted
/// `gen-value` is made of (token characters, `[`, `]`, `:`).
static VALUE_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = CLASS[i] & class::TOKEN != 0 || matches!(i as u8, b'[' | b']' | b':');
        i += 1;
    }
    t
};

/// `token` characters as a table of flags, for tight scanning loops.
static TOKEN_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = CLASS[i] & class::TOKEN != 0;
        i += 1;
    }
    t
};

impl<'a> ParamIter<'a> {
    /// The next parameter and whether it is already known to satisfy
    /// [`check_param`]: the common `name[=value]` written without white
    /// space is recognised in one pass over its bytes; anything else goes
    /// through the general scan and is left for `check_param` to judge.
    pub(crate) fn next_checked(&mut self) -> Option<(&'a str, Option<&'a str>, bool)> {
        if self.done {
            return None;
        }
        let s = self.s;
        let b = s.as_bytes();
        let start = self.pos;
        let run = |from: usize, class: &[bool; 256]| {
            let rest = b.get(from..).unwrap_or_default();
            from + rest
                .iter()
                .position(|&c| !class[c as usize])
                .unwrap_or(rest.len())
        };
        let mut p = run(start, &TOKEN_CHAR);
        let name_end = p;
        let mut fast = name_end > start;
        let mut value = None;
        if fast && b.get(p) == Some(&b'=') {
            p += 1;
            let v0 = p;
            if b.get(p) == Some(&b'"') {
                match quoted_len(s.get(p..).unwrap_or_default()) {
                    Some(q) => p += q,
                    None => fast = false,
                }
            } else {
                p = run(p, &VALUE_CHAR);
                fast &= p > v0;
            }
            value = s.get(v0..p);
        }
        if fast {
            match b.get(p) {
                None => {
                    self.done = true;
                    return Some((s.get(start..name_end)?, value, true));
                }
                Some(b';') => {
                    self.pos = p + 1;
                    return Some((s.get(start..name_end)?, value, true));
                }
                Some(_) => {}
            }
        }
        self.next_general().map(|(n, v)| (n, v, false))
    }

    /// The general scan: white space anywhere, junk kept for validation.
    fn next_general(&mut self) -> Option<(&'a str, Option<&'a str>)> {
        let s = self.s;
        let b = s.as_bytes();
        let len = b.len();
        let at = |p: usize| b.get(p).copied().unwrap_or(0);
        let skip = |mut p: usize| {
            while p < len && is_lws(at(p)) {
                p += 1;
            }
            p
        };
        let mut p = skip(self.pos);
        let seg = p;
        while p < len && !matches!(at(p), b'=' | b';') && !is_lws(at(p)) {
            p += 1;
        }
        let name = s.get(seg..p).unwrap_or_default();
        p = skip(p);
        let mut value = None;
        if at(p) == b'=' {
            p = skip(p + 1);
            if at(p) == b'"' {
                let rest = s.get(p..).unwrap_or_default();
                let q = quoted_len(rest).unwrap_or(rest.len());
                value = s.get(p..p + q);
                p += q;
            } else {
                let v0 = p;
                while p < len && at(p) != b';' && !is_lws(at(p)) {
                    p += 1;
                }
                value = s.get(v0..p);
            }
            p = skip(p);
        }
        if p >= len {
            self.done = true;
            return Some((name, value));
        }
        if at(p) == b';' {
            self.pos = p + 1;
            return Some((name, value));
        }
        // Junk after the parameter: the whole piece up to the next ';'.
        let end = find_top(s.get(p..).unwrap_or_default(), b';').map_or(len, |i| p + i);
        if end >= len {
            self.done = true;
        } else {
            self.pos = end + 1;
        }
        Some((trim_lws(s.get(seg..end).unwrap_or_default()), None))
    }
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_checked().map(|(n, v, _)| (n, v))
    }
}

/// Generic parameters `;name[=value]` (RFC 3261 §25.1 `generic-param`),
/// kept as the raw text after the first `;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
}

impl<'a> Params<'a> {
    /// Parameters from the text that follows the first `;` (may be empty).
    pub(crate) const fn from_raw(raw: &'a str) -> Self {
        Self { raw }
    }

    /// The raw text, without the leading `;`.
    pub const fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        trim_lws(self.raw).is_empty()
    }

    /// Every parameter in order: name and optional value (quotes kept).
    /// An empty parameter (`;;`) yields an empty name; text that does not
    /// fit `name[=value]` yields the whole piece as the name, so that
    /// validation rejects it.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            s: self.raw,
            pos: 0,
            done: trim_lws(self.raw).is_empty(),
        }
    }

    /// The first parameter called `name` (case-insensitive): `Some(None)` for
    /// a parameter without value, `None` when absent.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// True when parameter `name` is present (with or without value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Checks every parameter against `generic-param` (RFC 3261 §25.1):
    /// a token name and a token, host or quoted-string value.
    pub(crate) fn validate(&self) -> Result<(), &'static str> {
        self.iter().try_for_each(|(n, v)| check_param(n, v))
    }
}

/// Checks one parameter against `generic-param` (RFC 3261 §25.1): a token
/// name and a token, host or quoted-string value.
pub(crate) fn check_param(n: &str, v: Option<&str>) -> Result<(), &'static str> {
    if !is_token(n) {
        return Err("parameter name is not a token");
    }
    if let Some(v) = v {
        if v.starts_with('"') {
            if quoted_len(v) != Some(v.len()) {
                return Err("unterminated quoted-string in parameter value");
            }
        } else if v.is_empty()
            || !v
                .bytes()
                .all(|b| is_token_char(b) || matches!(b, b'[' | b']' | b':'))
        {
            return Err("parameter value is not a token, host or quoted-string");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parse_u32_bounds() {
        assert_eq!(parse_u32("0"), Some(0));
        assert_eq!(parse_u32("0070"), Some(70));
        assert_eq!(parse_u32("4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32("4294967296"), None);
        assert_eq!(parse_u32("9999999999"), None);
        assert_eq!(parse_u32("00000000001"), None);
        assert_eq!(parse_u32(""), None);
        assert_eq!(parse_u32("12a"), None);
        assert_eq!(parse_u32("+1"), None);
    }

    proptest! {
        /// `parse_u32` agrees with the standard parser on digit strings.
        #[test]
        fn parse_u32_agrees_with_std(s in "[0-9]{1,10}") {
            prop_assert_eq!(parse_u32(&s), s.parse::<u32>().ok());
        }

        /// The one-pass scan of `next_checked` yields what the general scan
        /// yields, step by step, and what it vouches for passes `check_param`.
        #[test]
        fn fast_param_scan_agrees_with_the_general_scan(
            s in "[a-zA-Z0-9;=\"\\\\\\[\\]: \t.%<>,-]{0,40}"
        ) {
            let mut fast = Params::from_raw(&s).iter();
            let mut general = Params::from_raw(&s).iter();
            for _ in 0..64 {
                let x = fast.next_checked();
                let y = if general.done { None } else { general.next_general() };
                prop_assert_eq!(x.map(|(n, v, _)| (n, v)), y);
                if let Some((n, v, true)) = x {
                    prop_assert!(check_param(n, v).is_ok(), "{:?} {:?}", n, v);
                }
                if x.is_none() {
                    break;
                }
            }
        }
    }
}
