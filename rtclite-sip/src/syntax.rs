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

/// `token` characters (RFC 3261 §25.1).
pub(crate) const fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// True when `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// `s` without leading and trailing LWS.
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_lws(c as u8))
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
    let mut i = 0;
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
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
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
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        let raw = self.raw;
        let it = if trim_lws(raw).is_empty() {
            None
        } else {
            Some(split_top(raw, b';'))
        };
        it.into_iter().flatten().map(|p| match find_top(p, b'=') {
            Some(i) => (
                trim_lws(p.get(..i).unwrap_or_default()),
                Some(trim_lws(p.get(i + 1..).unwrap_or_default())),
            ),
            None => (p, None),
        })
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
        for (n, v) in self.iter() {
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
        }
        Ok(())
    }
}
