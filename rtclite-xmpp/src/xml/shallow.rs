//! One-level parse of a stanza, for the typed stanzas (RFC 6120 §8).
//!
//! A typed stanza needs the root's `from`, `to`, `id` and `type`, the text
//! of a few children in the content namespace (`<body/>`, `<status/>`, ...)
//! and every other child as an [`Element`]. This module reads exactly that
//! in one pass over the bytes: attribute values and character data are
//! scanned once with a byte-class table (no separate tokenizer pass, no
//! second pass to find the end of a start tag), kept borrowed from the input
//! when they hold no entity, and children of the common shapes — a leaf
//! (`<show>away</show>`) or an element with attributes and at most text
//! (`<c xmlns='...' hash='sha-1' .../>`) — are built without the generic
//! tree builder. Any other child goes through the generic builder.
//!
//! The result is always the one the generic path (tokenizer, then
//! [`TreeBuilder`]) gives: whenever the input is not of the simple shape,
//! not well-formed or incomplete, [`parse`] returns `None` and the caller
//! takes the generic path, which decides (and reports the precise error).
//! `tests/stanza_fast_path.rs` checks the agreement on every recorded and
//! XEP stanza and on generated ones.

use std::borrow::Cow;
use std::sync::Arc;

use super::{
    Attribute, Element, Limits, NAME_CLASS, Node, Token, TreeBuilder, attr_value, bytes_eq,
    char_data_str, check_chars, check_decl, intern_ns, is_ws, next_token, well_known_attr_name,
    well_known_name,
};

/// The root's start tag, as far as a typed stanza reads it.
#[derive(Debug)]
pub(crate) struct Root<'a> {
    /// The local name (a root with a prefix takes the generic path).
    pub(crate) name: &'a str,
    /// The namespace: the root's `xmlns`, else the default one in scope.
    pub(crate) ns: Arc<str>,
    /// `from`, unescaped.
    pub(crate) from: Option<Cow<'a, str>>,
    /// `to`, unescaped.
    pub(crate) to: Option<Cow<'a, str>>,
    /// `id`, unescaped.
    pub(crate) id: Option<Cow<'a, str>>,
    /// `type`, unescaped.
    pub(crate) ty: Option<Cow<'a, str>>,
}

/// Receives the children of the root in document order.
pub(crate) trait Sink<'a> {
    /// A child in the root's namespace (`root_ns`) without attributes that
    /// holds only character data: `<name>text</name>` or `<name/>`.
    fn leaf(&mut self, name: &'a str, text: Cow<'a, str>, root_ns: &Arc<str>);
    /// Any other child, exactly as the generic parse builds it.
    fn element(&mut self, el: Element, root_ns: &Arc<str>);
}

/// A leaf as the element the generic parse gives for it.
pub(crate) fn leaf_element(name: &str, text: Cow<'_, str>, ns: &Arc<str>) -> Element {
    let name = match well_known_name(name.as_bytes()) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(name.to_owned()),
    };
    let mut children = Vec::new();
    if !text.is_empty() {
        children.push(Node::Text(text.into_owned()));
    }
    Element {
        name,
        ns: Arc::clone(ns),
        attrs: Vec::new(),
        children,
    }
}

// Byte classes for the one-pass scan of attribute values and character data.
const PLAIN: u8 = 0;
const APOS: u8 = 1;
const QUOT: u8 = 2;
const LT: u8 = 3;
const AMP: u8 = 4;
/// A control character other than white space (never allowed).
const BAD: u8 = 5;
/// A byte of a multi-byte UTF-8 sequence (validated afterwards).
const HIGH: u8 = 6;
/// A carriage return (line ends are normalised, XML 1.0 §2.11).
const CR: u8 = 7;
/// A tab or line feed (a space in an attribute value, XML 1.0 §3.3.3).
const TAB_LF: u8 = 8;
/// A `]`, which may begin a `]]>` (not allowed in character data, XML 1.0
/// §2.4).
const BRACKET: u8 = 9;

const SCAN: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if i < 0x20 {
            if is_ws(i as u8) { PLAIN } else { BAD }
        } else if i >= 0x80 {
            HIGH
        } else {
            PLAIN
        };
        i += 1;
    }
    t[b'\'' as usize] = APOS;
    t[b'"' as usize] = QUOT;
    t[b'<' as usize] = LT;
    t[b'&' as usize] = AMP;
    t[b'\r' as usize] = CR;
    t[b'\t' as usize] = TAB_LF;
    t[b'\n' as usize] = TAB_LF;
    t[b']' as usize] = BRACKET;
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Nonzero when a byte of `v` is zero (exact for "any", SWAR).
const fn has_zero(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGH_BITS
}

/// Nonzero when one of the eight bytes of `w` is not [`PLAIN`] in [`SCAN`]
/// (white space below 0x20 counts too: it is then looked at byte by byte).
const fn special(w: u64) -> u64 {
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH_BITS;
    below_space
        | (w & HIGH_BITS)
        | has_zero(w ^ (ONES * b'\'' as u64))
        | has_zero(w ^ (ONES * b'"' as u64))
        | has_zero(w ^ (ONES * b'<' as u64))
        | has_zero(w ^ (ONES * b'&' as u64))
        | has_zero(w ^ (ONES * b']' as u64))
}

/// Scan flags: the span holds an entity or character reference.
const F_AMP: u8 = 1;
/// Scan flags: the span holds non-ASCII bytes.
const F_HIGH: u8 = 2;
/// Scan flags: the span holds a carriage return.
const F_CR: u8 = 4;
/// Scan flags: the span holds a tab or a line feed.
const F_TAB_LF: u8 = 8;
/// Scan flags: the span holds a `]`.
const F_BRACKET: u8 = 16;
/// Not a flag: the byte is never allowed in the span (a control
/// character; `<` in an attribute value).
const F_REFUSE: u8 = 0x80;

/// The scan flag of each byte class (by class number).
const FLAG: [u8; 10] = {
    let mut f = [0u8; 10];
    f[LT as usize] = F_REFUSE;
    f[AMP as usize] = F_AMP;
    f[BAD as usize] = F_REFUSE;
    f[HIGH as usize] = F_HIGH;
    f[CR as usize] = F_CR;
    f[TAB_LF as usize] = F_TAB_LF;
    f[BRACKET as usize] = F_BRACKET;
    f
};

/// A position in the input, which is known to be UTF-8: every slice taken
/// between ASCII delimiters is a `&str` without another validation.
struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.i;
        while self.peek().is_some_and(is_ws) {
            self.i += 1;
        }
        self.i != start
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn new(s: &'a str, i: usize) -> Self {
        Self {
            s,
            b: s.as_bytes(),
            i,
        }
    }

    /// An ASCII name, accepted exactly when `is_name` accepts it.
    fn name(&mut self) -> Option<&'a str> {
        let start = self.i;
        if NAME_CLASS[usize::from(self.peek()?)] != 1 {
            return None;
        }
        self.i += 1;
        let mut colons = 0;
        while let Some(c) = self.peek() {
            match NAME_CLASS[usize::from(c)] {
                0 => break,
                3 => colons += 1,
                _ => {}
            }
            self.i += 1;
        }
        let name = self.s.get(start..self.i)?;
        (colons <= 1 && !name.ends_with(':')).then_some(name)
    }

    /// The bytes up to the first one of class `stop` (the cursor stays on
    /// it) and their flags; `None` on a byte never allowed there or at the
    /// end of the input.
    fn scan(&mut self, stop: u8) -> Option<(&'a str, u8)> {
        let start = self.i;
        let mut flags = 0;
        loop {
            // Eight bytes at a time while none of them needs a look.
            let n = match self.b.get(self.i..self.i + 8) {
                Some(chunk) => {
                    let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?);
                    if special(w) == 0 {
                        self.i += 8;
                        continue;
                    }
                    8
                }
                None => usize::MAX,
            };
            for _ in 0..n {
                let k = SCAN[usize::from(*self.b.get(self.i)?)];
                if k != PLAIN {
                    if k == stop {
                        return Some((self.s.get(start..self.i)?, flags));
                    }
                    let f = FLAG[usize::from(k)];
                    if f == F_REFUSE {
                        return None;
                    }
                    flags |= f;
                }
                self.i += 1;
            }
        }
    }

    /// `</name>` (white space allowed before the `>`).
    fn end_tag(&mut self, name: &str) -> Option<()> {
        if self.peek()? != b'<' || self.at(1)? != b'/' {
            return None;
        }
        self.i += 2;
        if !bytes_eq(self.b.get(self.i..self.i + name.len())?, name.as_bytes()) {
            return None;
        }
        self.i += name.len();
        self.skip_ws();
        self.eat(b'>')
    }

    /// The attributes of a start tag whose name was just read, through its
    /// `>` or `/>`; `on` sees each (name, raw value, flags). True for an
    /// empty-element tag.
    fn attrs(
        &mut self,
        max: usize,
        mut on: impl FnMut(&'a str, &'a str, u8) -> Option<()>,
    ) -> Option<bool> {
        let mut seen: [&str; 16] = [""; 16];
        let mut n = 0;
        loop {
            let ws = self.skip_ws();
            match self.peek()? {
                b'>' => {
                    self.i += 1;
                    return Some(false);
                }
                b'/' => {
                    self.i += 1;
                    self.eat(b'>')?;
                    return Some(true);
                }
                _ if !ws => return None,
                _ => {}
            }
            let name = self.name()?;
            self.skip_ws();
            self.eat(b'=')?;
            self.skip_ws();
            let q = match self.peek()? {
                b'\'' => APOS,
                b'"' => QUOT,
                _ => return None,
            };
            self.i += 1;
            let (raw, flags) = self.scan(q)?;
            self.i += 1;
            // More attributes than the limit (or than we track): generic path.
            if n >= max.min(seen.len())
                || seen
                    .get(..n)?
                    .iter()
                    .any(|s| bytes_eq(s.as_bytes(), name.as_bytes()))
            {
                return None;
            }
            *seen.get_mut(n)? = name;
            n += 1;
            on(name, raw, flags)?;
        }
    }
}

/// The character data of a scanned span, as the generic path reads it
/// (`char_data`): checked, `]]>` refused, line ends normalised, entities
/// replaced; borrowed when none of that changes it.
fn text_of(s: &str, flags: u8) -> Option<Cow<'_, str>> {
    if flags & F_HIGH != 0 {
        check_chars(s).ok()?;
    }
    if flags & (F_AMP | F_CR | F_BRACKET) != 0 {
        char_data_str(s).ok()
    } else {
        Some(Cow::Borrowed(s))
    }
}

/// The value of a scanned attribute, as [`attr_value`] gives it.
fn attr_of(s: &str, flags: u8) -> Option<Cow<'_, str>> {
    if flags & F_HIGH != 0 {
        check_chars(s).ok()?;
    }
    if flags & (F_AMP | F_CR | F_TAB_LF) != 0 {
        attr_value(s).ok()
    } else {
        Some(Cow::Borrowed(s))
    }
}

/// Checks a scanned span of character data that is not kept.
fn check_text(raw: &str, flags: u8) -> Option<()> {
    // (A tab or line feed changes nothing in character data.)
    if flags & !F_TAB_LF != 0 {
        text_of(raw, flags)?;
    }
    Some(())
}

/// True for a prefixed attribute name other than `xml:...` (namespace
/// declarations and attributes in other namespaces take the generic path).
fn foreign_prefix(name: &str) -> bool {
    name.contains(':') && !name.starts_with("xml:")
}

/// A child of one of the simple shapes.
enum Simple<'a> {
    Leaf(&'a str, Cow<'a, str>),
    Element(Element),
}

/// The child whose `<` is at `start`, if it has a simple shape: a name
/// without prefix, attributes without prefixes other than `xml:` (an
/// `xmlns` allowed), then `/>`, or `>`, character data and the end tag.
fn simple_child<'a>(
    input: &'a str,
    start: usize,
    root_ns: &Arc<str>,
    limits: Limits,
) -> Option<(Simple<'a>, usize)> {
    let mut c = Cursor::new(input, start + 1);
    let name = c.name()?;
    if name.contains(':') {
        return None;
    }
    let mut ns: Option<Arc<str>> = None;
    let mut attrs: Vec<Attribute> = Vec::new();
    let empty = c.attrs(limits.max_attributes, |aname, raw, flags| {
        if aname == "xmlns" {
            ns = Some(intern_ns(&attr_of(raw, flags)?));
            return Some(());
        }
        if foreign_prefix(aname) {
            return None;
        }
        let name = match well_known_attr_name(aname.as_bytes()) {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(aname.to_owned()),
        };
        attrs.push(Attribute {
            name,
            value: attr_of(raw, flags)?.into_owned(),
        });
        Some(())
    })?;
    let text = if empty {
        Cow::Borrowed("")
    } else {
        let (raw, flags) = c.scan(LT)?;
        c.end_tag(name)?;
        text_of(raw, flags)?
    };
    if ns.is_none() && attrs.is_empty() {
        return Some((Simple::Leaf(name, text), c.i));
    }
    let mut el = leaf_element(name, text, ns.as_ref().unwrap_or(root_ns));
    el.attrs = attrs;
    Some((Simple::Element(el), c.i))
}

/// The child whose `<` is at `start`, through the generic builder (in the
/// root's namespace, one level down); the position after it.
fn generic_child(
    input: &[u8],
    start: usize,
    root_ns: &Arc<str>,
    limits: Limits,
    builder: &mut Option<TreeBuilder>,
) -> Option<(Element, usize)> {
    let b = builder.get_or_insert_with(|| {
        TreeBuilder::with_scratch(Limits {
            max_depth: limits.max_depth.saturating_sub(1),
            ..limits
        })
    });
    b.reset();
    b.ns.decls.push((String::new(), Arc::clone(root_ns)));
    let mut at = start;
    loop {
        let (tok, after) = next_token(input, at).ok()??;
        let done = match tok {
            Token::Start { raw, empty } => b.start(raw, empty).ok()?,
            Token::End(n) => b.end(n).ok()?,
            Token::Text(t) => {
                b.text(t, false).ok()?;
                None
            }
            Token::CData(t) => {
                b.text(t, true).ok()?;
                None
            }
            Token::Decl(_) => return None,
        };
        at = after;
        if let Some(el) = done {
            return Some((el, at));
        }
    }
}

/// Parses the element whose start tag begins at `input[pos]` one level
/// deep: `scope_ns` is the default namespace in scope, `start` makes the
/// sink from the root (or declines it). Returns the root, the filled sink
/// and the position after the end tag; `None` whenever the generic path
/// must decide (other shape, not well-formed, incomplete, over a limit).
#[inline]
pub(crate) fn parse<'a, S: Sink<'a>>(
    input: &'a str,
    pos: usize,
    limits: Limits,
    scope_ns: &Arc<str>,
    start: impl FnOnce(&Root<'a>) -> Option<S>,
) -> Option<(Root<'a>, S, usize)> {
    if limits.max_depth < 2 {
        return None;
    }
    let mut c = Cursor::new(input, pos);
    c.eat(b'<')?;
    let name = c.name()?;
    if name.contains(':') {
        return None;
    }
    let (mut from, mut to, mut id, mut ty) = (None, None, None, None);
    let mut ns_decl = None;
    let empty = c.attrs(limits.max_attributes, |aname, raw, flags| {
        match aname {
            "xmlns" => ns_decl = Some(attr_of(raw, flags)?),
            "from" => from = Some(attr_of(raw, flags)?),
            "to" => to = Some(attr_of(raw, flags)?),
            "id" => id = Some(attr_of(raw, flags)?),
            "type" => ty = Some(attr_of(raw, flags)?),
            _ if foreign_prefix(aname) => return None,
            _ => {
                attr_of(raw, flags)?;
            }
        }
        Some(())
    })?;
    let root = Root {
        name,
        ns: match ns_decl {
            Some(ns) => intern_ns(&ns),
            None => Arc::clone(scope_ns),
        },
        from,
        to,
        id,
        ty,
    };
    let mut sink = start(&root)?;
    if !empty {
        let mut builder = None;
        let end = children(input, &mut c, &root, limits, &mut builder, &mut sink);
        if let Some(b) = builder {
            b.return_scratch();
        }
        end?;
    }
    if c.i - pos > limits.max_stanza_bytes {
        return None;
    }
    Some((root, sink, c.i))
}

/// The children of `root` and its end tag.
fn children<'a, S: Sink<'a>>(
    input: &'a str,
    c: &mut Cursor<'a>,
    root: &Root<'a>,
    limits: Limits,
    builder: &mut Option<TreeBuilder>,
    sink: &mut S,
) -> Option<()> {
    loop {
        // Character data between children (checked, then dropped: a typed
        // stanza does not keep it).
        let (raw, flags) = c.scan(LT)?;
        check_text(raw, flags)?;
        match c.at(1)? {
            b'/' => return c.end_tag(root.name),
            b'!' | b'?' => return None,
            _ => {}
        }
        let start = c.i;
        match simple_child(input, start, &root.ns, limits) {
            Some((Simple::Leaf(name, text), end)) => {
                sink.leaf(name, text, &root.ns);
                c.i = end;
            }
            Some((Simple::Element(el), end)) => {
                sink.element(el, &root.ns);
                c.i = end;
            }
            None => {
                let (el, end) = generic_child(input.as_bytes(), start, &root.ns, limits, builder)?;
                sink.element(el, &root.ns);
                c.i = end;
            }
        }
    }
}

/// [`parse`] on a standalone element: an optional XML declaration and
/// white space around it, nothing else.
#[inline]
pub(crate) fn parse_standalone<'a, S: Sink<'a>>(
    input: &'a [u8],
    limits: Limits,
    start: impl FnOnce(&Root<'a>) -> Option<S>,
) -> Option<(Root<'a>, S)> {
    if input.len() > limits.max_stanza_bytes {
        return None;
    }
    // One validation of the whole input (the generic path rejects any
    // input that is not UTF-8 too).
    let input = std::str::from_utf8(input).ok()?;
    let mut pos = 0;
    if input.starts_with("<?") {
        match next_token(input.as_bytes(), 0).ok()?? {
            (Token::Decl(d), next) => {
                check_decl(d).ok()?;
                pos = next;
            }
            _ => return None,
        }
    }
    while input.as_bytes().get(pos).is_some_and(|c| is_ws(*c)) {
        pos += 1;
    }
    let none = intern_ns("");
    let (root, sink, end) = parse(input, pos, limits, &none, start)?;
    if !input.as_bytes().get(end..)?.iter().all(|c| is_ws(*c)) {
        return None;
    }
    Some((root, sink))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eight-byte test flags a word exactly when a byte of it is not
    /// plain in the byte-class table.
    #[test]
    fn special_agrees_with_the_table() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = *b"abcdefgh";
                bytes[pos] = b;
                let w = u64::from_le_bytes(bytes);
                let plain = SCAN[usize::from(b)] == PLAIN && b >= 0x20;
                assert_eq!(special(w) == 0, plain, "byte {b:#x} at {pos}");
            }
        }
    }
}
