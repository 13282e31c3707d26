//! Streaming XML restricted to what RFC 6120 §11 allows, with namespaces.
//!
//! # Why a tokenizer of our own
//!
//! XMPP uses a small, fixed subset of XML 1.0 (no DTD, no comments, no
//! processing instructions, only the five predefined entities) over a stream
//! that arrives in arbitrary TCP chunks. A general-purpose tokenizer
//! (`quick-xml`, `rxml`) has to be configured to *reject* most of what it
//! supports, and its incremental mode either copies every chunk into its own
//! buffer or reports partial tokens that we would have to reassemble. The
//! subset is small enough that a purpose-built tokenizer is shorter than the
//! glue: it never consumes a partial token (so any split of the stream yields
//! the same stanzas), reports errors with the absolute byte offset in the
//! stream and the RFC 6120 section violated, and builds the stanza tree
//! directly from the input without an intermediate event list. It is also
//! faster than the generic alternatives (see `benches/benches/xmpp.rs`).
//!
//! # Limits
//!
//! [`Limits`] bounds the nesting depth, the size of one stanza (and of the
//! stream header), the number of attributes per element and the number of
//! namespace declarations in scope. Hitting a limit is an error; memory held
//! by a [`StreamParser`] never exceeds roughly the stanza size limit plus the
//! size of the chunk last fed.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::Arc;

pub(crate) mod shallow;

use crate::stanza::{Stanza, StanzaParseError};

/// The namespace of the stream element, `http://etherx.jabber.org/streams`.
pub const NS_STREAM: &str = "http://etherx.jabber.org/streams";
/// The namespace bound to the `xml` prefix by XML Namespaces §3.
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// Bounds applied while parsing; exceeding any of them is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting inside one stanza (the stanza itself is depth 1).
    pub max_depth: usize,
    /// Largest stanza, in bytes of wire XML (also bounds the stream header).
    pub max_stanza_bytes: usize,
    /// Most attributes on one element (namespace declarations included).
    pub max_attributes: usize,
}

impl Default for Limits {
    /// 64 levels, 256 KiB per stanza, 64 attributes per element.
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_stanza_bytes: 256 * 1024,
            max_attributes: 64,
        }
    }
}

/// What was wrong with the XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlErrorKind {
    /// A feature XMPP prohibits: a comment, a processing instruction, a DTD or
    /// an entity other than the predefined ones (RFC 6120 §11.1).
    #[error("restricted XML: {0} is prohibited in XMPP (RFC 6120 §11.1)")]
    Restricted(&'static str),
    /// The data is not well-formed XML (RFC 6120 §11.3).
    #[error("not well-formed: {0} (RFC 6120 §11.3)")]
    NotWellFormed(&'static str),
    /// An end tag does not match the open element.
    #[error("not well-formed: end tag </{found}> does not close <{expected}> (RFC 6120 §11.3)")]
    MismatchedEndTag {
        /// The name of the element that is open.
        expected: String,
        /// The name in the end tag.
        found: String,
    },
    /// A prefix was used without being declared (RFC 6120 §11.3 namespace-well-formedness).
    #[error("not namespace-well-formed: prefix '{0}' is not declared (RFC 6120 §11.3)")]
    UndeclaredPrefix(String),
    /// An attribute appears twice on one element.
    #[error("not well-formed: duplicate attribute '{0}' (RFC 6120 §11.3)")]
    DuplicateAttribute(String),
    /// An entity reference that is not one of the five predefined ones.
    #[error("restricted XML: entity reference '&{0};' is not a predefined entity (RFC 6120 §11.1)")]
    UnknownEntity(String),
    /// Bytes that are not UTF-8 (RFC 6120 §11.6).
    #[error("data is not UTF-8 (RFC 6120 §11.6)")]
    InvalidUtf8,
    /// The XML declaration names an encoding other than UTF-8 (RFC 6120 §11.6).
    #[error("encoding other than UTF-8 declared (RFC 6120 §11.6)")]
    UnsupportedEncoding,
    /// The root element is not `<stream:stream/>` in the streams namespace (RFC 6120 §4.8.1).
    #[error("stream root is not <stream xmlns='{NS_STREAM}'> (RFC 6120 §4.8.1)")]
    InvalidNamespace,
    /// Nesting deeper than [`Limits::max_depth`].
    #[error("element nesting deeper than the limit of {0}")]
    TooDeep(usize),
    /// A stanza (or the stream header) larger than [`Limits::max_stanza_bytes`].
    #[error("stanza larger than the limit of {0} bytes")]
    TooLarge(usize),
    /// More attributes than [`Limits::max_attributes`].
    #[error("more than {0} attributes on one element")]
    TooManyAttributes(usize),
    /// Character data directly inside the stream element that is not white space (RFC 6120 §11.7).
    #[error("character data between stanzas that is not white space (RFC 6120 §11.7)")]
    TextAtStreamLevel,
    /// Input after the end of the stream or of a standalone element.
    #[error("data after the end of the document")]
    TrailingData,
    /// The input ended inside a standalone element (only from [`Element::parse`]).
    #[error("unexpected end of input")]
    UnexpectedEof,
}

/// An XML error and the byte offset in the stream (or input) where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML error at byte {offset}: {kind}")]
pub struct XmlError {
    /// What was wrong.
    pub kind: XmlErrorKind,
    /// Offset of the token at fault, counted from the first byte of the stream
    /// (or of the input, for [`Element::parse`]).
    pub offset: u64,
}

/// A child of an element: an element or character data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data, entities already replaced.
    Text(String),
}

/// One attribute: its name as written (`type`, `xml:lang`) and its unescaped value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Qualified name as written on the wire (the names XMPP and Jingle use
    /// all the time point at a static string; others are owned).
    pub name: Cow<'static, str>,
    /// Value with entities replaced.
    pub value: String,
}

impl Attribute {
    /// An attribute `name='value'`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: intern_attr_name_owned(name.into()),
            value: value.into(),
        }
    }
}

/// An XML element with its namespace resolved.
///
/// The default namespace declaration (`xmlns='...'`) is not kept as an
/// attribute: it becomes [`Element::ns`], and the writer declares it again
/// wherever it differs from the parent's. Prefixed declarations
/// (`xmlns:p='...'`) are kept as attributes so that prefixed attribute names
/// stay meaningful when written back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Well-known names point at a static string; others are owned.
    name: Cow<'static, str>,
    /// Shared: every element of a namespace points at one string.
    ns: Arc<str>,
    attrs: Vec<Attribute>,
    children: Vec<Node>,
}

impl Element {
    /// A new empty element `name` in namespace `ns`.
    pub fn new(name: impl Into<String>, ns: impl Into<String>) -> Self {
        Self {
            name: Cow::Owned(name.into()),
            ns: intern_ns_owned(ns.into()),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Builder form of [`Element::set_attr`].
    #[must_use]
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder form of [`Element::push_child`].
    #[must_use]
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Builder form of [`Element::push_text`].
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.push_text(text);
        self
    }

    /// The local name (without prefix).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace name (empty when the element is in no namespace).
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// True when the element is `name` in namespace `ns`.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.name == name && &*self.ns == ns
    }

    /// The namespace as the shared string the parser interned.
    pub(crate) fn ns_shared(&self) -> &Arc<str> {
        &self.ns
    }

    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// All attributes in document order.
    pub fn attrs(&self) -> &[Attribute] {
        &self.attrs
    }

    /// Sets (or replaces) attribute `name`.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.attrs.iter_mut().find(|a| a.name == name) {
            Some(a) => a.value = value,
            None => self.attrs.push(Attribute {
                name: intern_attr_name_owned(name),
                value,
            }),
        }
    }

    /// Removes attribute `name` and returns its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let i = self.attrs.iter().position(|a| a.name == name)?;
        Some(self.attrs.remove(i).value)
    }

    /// All child nodes in document order.
    pub fn nodes(&self) -> &[Node] {
        &self.children
    }

    /// Moves all child nodes out, leaving the element empty.
    pub fn take_nodes(&mut self) -> Vec<Node> {
        std::mem::take(&mut self.children)
    }

    /// The child elements in document order.
    pub fn children(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `name` in namespace `ns`.
    pub fn child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.children().find(|e| e.is(name, ns))
    }

    /// Mutable access to the first child element `name` in namespace `ns`.
    pub fn child_mut(&mut self, name: &str, ns: &str) -> Option<&mut Element> {
        self.children.iter_mut().find_map(|n| match n {
            Node::Element(e) if e.is(name, ns) => Some(e),
            _ => None,
        })
    }

    /// Appends a child element.
    pub fn push_child(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// Appends character data.
    pub fn push_text(&mut self, text: impl Into<String>) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        if let Some(Node::Text(t)) = self.children.last_mut() {
            t.push_str(&text);
        } else {
            self.children.push(Node::Text(text));
        }
    }

    /// Moves the character data directly inside this element out of it (the
    /// same string [`Element::text`] returns, without copying when the
    /// element holds a single piece of text); child elements stay.
    pub fn take_text(&mut self) -> String {
        let texts = self
            .children
            .iter()
            .filter(|n| matches!(n, Node::Text(_)))
            .count();
        if texts <= 1 {
            let mut out = String::new();
            self.children.retain_mut(|n| match n {
                Node::Text(t) => {
                    out = std::mem::take(t);
                    false
                }
                Node::Element(_) => true,
            });
            return out;
        }
        let s = self.text();
        self.children.retain(|n| matches!(n, Node::Element(_)));
        s
    }

    /// The character data of an element that holds a single piece of text,
    /// trimmed of white space, without copying (empty otherwise).
    pub(crate) fn text_trimmed(&self) -> &str {
        match self.children.as_slice() {
            [Node::Text(t)] => t.trim(),
            _ => "",
        }
    }

    /// The concatenated character data directly inside this element.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// Parses one standalone element (no stream around it) with default limits.
    ///
    /// The same restrictions as on a stream apply (RFC 6120 §11.1); an XML
    /// declaration and surrounding white space are accepted.
    pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
        Self::parse_with_limits(input, Limits::default())
    }

    /// [`Element::parse`] with explicit limits.
    pub fn parse_with_limits(input: &[u8], limits: Limits) -> Result<Element, XmlError> {
        if input.len() > limits.max_stanza_bytes {
            return Err(XmlError {
                kind: XmlErrorKind::TooLarge(limits.max_stanza_bytes),
                offset: 0,
            });
        }
        // The builder's two stacks are reused from one call to the next on
        // the same thread (bounded: a large one is dropped, not kept).
        let mut b = TreeBuilder::with_scratch(limits);
        let result = Self::parse_in(input, &mut b);
        b.return_scratch();
        result
    }

    fn parse_in(input: &[u8], b: &mut TreeBuilder) -> Result<Element, XmlError> {
        let mut pos = 0;
        let mut done: Option<Element> = None;
        let mut seen_markup = false;
        loop {
            let err = |kind, at: usize| XmlError {
                kind,
                offset: at as u64,
            };
            let Some((tok, next)) = next_token(input, pos).map_err(|k| err(k, pos))? else {
                if done.is_none() && !input[pos..].iter().all(|c| is_ws(*c)) {
                    return Err(err(XmlErrorKind::UnexpectedEof, pos));
                }
                break;
            };
            match tok {
                Token::Decl(d) => {
                    if seen_markup {
                        return Err(err(
                            XmlErrorKind::Restricted("a processing instruction"),
                            pos,
                        ));
                    }
                    check_decl(d).map_err(|k| err(k, pos))?;
                }
                Token::Text(raw) => {
                    if b.depth() == 0 {
                        if !raw.iter().all(|c| is_ws(*c)) {
                            return Err(err(XmlErrorKind::TrailingData, pos));
                        }
                    } else {
                        b.text(raw, false).map_err(|k| err(k, pos))?;
                    }
                }
                Token::CData(raw) => {
                    if b.depth() == 0 {
                        return Err(err(XmlErrorKind::TrailingData, pos));
                    }
                    b.text(raw, true).map_err(|k| err(k, pos))?;
                }
                Token::Start { raw, empty } => {
                    if done.is_some() {
                        return Err(err(XmlErrorKind::TrailingData, pos));
                    }
                    if let Some(e) = b.start(raw, empty).map_err(|k| err(k, pos))? {
                        done = Some(e);
                    }
                }
                Token::End(name) => {
                    if let Some(e) = b.end(name).map_err(|k| err(k, pos))? {
                        done = Some(e);
                    }
                }
            }
            seen_markup = true;
            pos = next;
        }
        done.ok_or(XmlError {
            kind: XmlErrorKind::UnexpectedEof,
            offset: input.len() as u64,
        })
    }

    /// Writes the element as XML; `parent_ns` is the namespace in scope, so
    /// `xmlns` is written only where it changes.
    pub fn write_to(&self, out: &mut String, parent_ns: &str) {
        out.push('<');
        out.push_str(&self.name);
        if &*self.ns != parent_ns {
            out.push_str(" xmlns='");
            escape_into(out, &self.ns, true);
            out.push('\'');
        }
        for a in &self.attrs {
            out.push(' ');
            out.push_str(&a.name);
            out.push_str("='");
            escape_into(out, &a.value, true);
            out.push('\'');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for n in &self.children {
            match n {
                Node::Element(e) => e.write_to(out, &self.ns),
                Node::Text(t) => escape_into(out, t, false),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// The element as XML, declaring its namespace, for a context where
    /// `parent_ns` is the default namespace (e.g. `jabber:client` on a
    /// client stream).
    pub fn to_xml_in(&self, parent_ns: &str) -> String {
        let mut s = String::with_capacity(128);
        self.write_to(&mut s, parent_ns);
        s
    }
}

impl fmt::Display for Element {
    /// The element as standalone XML (its namespace always declared).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(128);
        self.write_to(&mut s, "");
        f.write_str(&s)
    }
}

/// Escapes `text` for character data (`attr == false`) or a single- or
/// double-quoted attribute value (`attr == true`).
///
/// Only the predefined entities (RFC 6120 §11.1) and character references
/// are produced: `>` is always escaped so that `]]>` can never appear, a
/// carriage return is written `&#13;` (a literal one would be read back as
/// a line feed, XML 1.0 §2.11), and in attribute values tab and line feed
/// are written `&#9;` and `&#10;` (literal ones would be read back as
/// spaces, XML 1.0 §3.3.3). What a parser reads back is exactly `text`.
///
/// ```
/// let mut out = String::new();
/// rtclite_xmpp::xml::escape_into(&mut out, "a\r\nb ]]>", false);
/// assert_eq!(out, "a&#13;\nb ]]&gt;");
/// ```
pub fn escape_into(out: &mut String, text: &str, attr: bool) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\r' => "&#13;",
            b'\'' if attr => "&apos;",
            b'"' if attr => "&quot;",
            b'\t' if attr => "&#9;",
            b'\n' if attr => "&#10;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

/// The attributes of a stream header (`<stream:stream ...>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    /// The default namespace (content namespace), e.g. `jabber:client`.
    pub default_ns: String,
    /// The attributes, as written, excluding namespace declarations.
    pub attrs: Vec<Attribute>,
}

impl StreamHeader {
    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Writes the header as XML: an XML declaration and the open stream tag.
    pub fn to_xml(&self) -> String {
        let mut s = String::with_capacity(160);
        // [RFC 6120 §11.5] "Before sending a stream header, an implementation
        // SHOULD send an XML declaration"
        s.push_str("<?xml version='1.0'?><stream:stream xmlns='");
        escape_into(&mut s, &self.default_ns, true);
        s.push_str("' xmlns:stream='");
        s.push_str(NS_STREAM);
        s.push('\'');
        for a in &self.attrs {
            let _ = write!(s, " {}='", a.name);
            escape_into(&mut s, &a.value, true);
            s.push('\'');
        }
        s.push('>');
        s
    }
}

/// Searchers for `</message>`, `</presence>` and `</iq>`, built once.
fn end_tag_finders() -> &'static [memchr::memmem::Finder<'static>; 3] {
    static FINDERS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 3]> =
        std::sync::OnceLock::new();
    FINDERS.get_or_init(|| {
        [
            memchr::memmem::Finder::new(b"</message>"),
            memchr::memmem::Finder::new(b"</presence>"),
            memchr::memmem::Finder::new(b"</iq>"),
        ]
    })
}

/// What [`StreamParser::next_typed`] found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
// The stanza is the common case; boxing it would cost an allocation per stanza.
#[allow(clippy::large_enum_variant)]
pub enum TypedEvent {
    /// A first-level `<message/>`, `<presence/>` or `<iq/>` in a content
    /// namespace that is a valid stanza.
    Stanza(Stanza),
    /// A first-level `<message/>`, `<presence/>` or `<iq/>` in a content
    /// namespace that is well-formed XML but breaks a stanza rule (RFC 6120
    /// §8); the stream goes on.
    InvalidStanza(StanzaParseError),
    /// Anything else, as [`StreamParser::next_event`] gives it.
    Xml(XmlEvent),
}

/// The generic path's typing of an event: a first-level `<message/>`,
/// `<presence/>` or `<iq/>` in a content namespace is read with
/// [`Stanza::try_from`]; every other event is kept as it is.
/// [`StreamParser::next_typed`] gives the same result in one pass.
///
/// ```
/// use rtclite_xmpp::xml::{StreamParser, TypedEvent};
/// use rtclite_xmpp::stanza::Stanza;
/// let mut p = StreamParser::new();
/// p.feed(b"<stream:stream xmlns='jabber:client' \
///     xmlns:stream='http://etherx.jabber.org/streams'><presence/>");
/// let _header = p.next_event().unwrap().unwrap();
/// let ev = TypedEvent::from(p.next_event().unwrap().unwrap());
/// assert!(matches!(ev, TypedEvent::Stanza(Stanza::Presence(_))));
/// ```
impl From<XmlEvent> for TypedEvent {
    fn from(ev: XmlEvent) -> Self {
        match ev {
            XmlEvent::Stanza(el)
                if crate::stanza::is_content_ns(el.ns())
                    && matches!(el.name(), "message" | "presence" | "iq") =>
            {
                match Stanza::try_from(el) {
                    Ok(s) => TypedEvent::Stanza(s),
                    Err(e) => TypedEvent::InvalidStanza(e),
                }
            }
            ev => TypedEvent::Xml(ev),
        }
    }
}

/// What a [`StreamParser`] found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlEvent {
    /// The stream header (the open tag of the root element).
    StreamOpen(StreamHeader),
    /// One complete first-level element (a stanza or a negotiation element).
    Stanza(Element),
    /// The closing `</stream:stream>` tag.
    StreamClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamState {
    Prolog { seen_decl: bool },
    Open,
    Closed,
}

/// Incremental parser of an XML stream (RFC 6120 §4): feed it bytes in
/// chunks of any size and pull [`XmlEvent`]s.
///
/// A token is consumed only when it is complete, so the sequence of events
/// does not depend on how the stream was split. White space between stanzas
/// (RFC 6120 §11.7, used for keepalives) is consumed silently.
///
/// ```
/// use rtclite_xmpp::xml::{StreamParser, XmlEvent};
/// let mut p = StreamParser::new();
/// p.feed(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><mess");
/// assert!(matches!(p.next_event(), Ok(Some(XmlEvent::StreamOpen(_)))));
/// assert_eq!(p.next_event(), Ok(None));
/// p.feed(b"age to='a@b'><body>hi &amp; bye</body></message>");
/// let Ok(Some(XmlEvent::Stanza(m))) = p.next_event() else { panic!() };
/// assert_eq!(m.child("body", "jabber:client").map(|b| b.text()), Some("hi & bye".into()));
/// ```
#[derive(Debug)]
pub struct StreamParser {
    buf: Vec<u8>,
    pos: usize,
    base: u64,
    state: StreamState,
    builder: TreeBuilder,
    token_start: u64,
    failed: Option<XmlError>,
    /// Stream offset of the last stanza start where the one-level parse
    /// declined (so it is tried at most once per stanza).
    fast_declined: u64,
}

impl Default for StreamParser {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamParser {
    /// A parser with default [`Limits`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A parser with explicit limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            buf: Vec::new(),
            pos: 0,
            base: 0,
            state: StreamState::Prolog { seen_decl: false },
            builder: TreeBuilder::new(limits),
            token_start: 0,
            failed: None,
            fast_declined: u64::MAX,
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Restarts the stream (after STARTTLS or SASL success, RFC 6120 §4.3.3):
    /// the next thing expected is a new stream header. Bytes already fed and
    /// not yet parsed are kept.
    pub fn restart(&mut self) {
        self.state = StreamState::Prolog { seen_decl: false };
        self.builder.reset();
    }

    /// Drops the bytes not yet parsed and returns them (for the IO layer,
    /// e.g. when the stream switches to TLS after `<proceed/>`).
    pub fn take_unparsed(&mut self) -> Vec<u8> {
        let rest = self.buf.split_off(self.pos);
        self.base += self.buf.len() as u64;
        self.buf.clear();
        self.pos = 0;
        rest
    }

    /// Total bytes consumed since the parser was created.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The next event with stanzas typed, `Ok(None)` when more bytes are
    /// needed: what a client or component runs once its stream is
    /// negotiated.
    ///
    /// A first-level `<message/>`, `<presence/>` or `<iq/>` in a content
    /// namespace comes as [`TypedEvent::Stanza`] (or
    /// [`TypedEvent::InvalidStanza`] when it breaks a stanza rule of
    /// RFC 6120 §8); everything else as [`TypedEvent::Xml`], exactly as
    /// [`StreamParser::next_event`] gives it. The result is what
    /// [`StreamParser::next_event`] then [`Stanza::try_from`] give; a stanza
    /// that is complete in the buffer and of the common shape is read in
    /// one pass without the generic tree (see [`Stanza::parse`]). Calls to
    /// this and to [`StreamParser::next_event`] may be mixed (e.g. the
    /// latter during stream negotiation).
    ///
    /// ```
    /// use rtclite_xmpp::xml::{StreamParser, TypedEvent, XmlEvent};
    /// use rtclite_xmpp::stanza::Stanza;
    /// let mut p = StreamParser::new();
    /// p.feed(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\
    ///     <message from='juliet@example.com/balcony' type='chat'><body>hi</body></message>");
    /// assert!(matches!(p.next_typed(), Ok(Some(TypedEvent::Xml(XmlEvent::StreamOpen(_))))));
    /// let Ok(Some(TypedEvent::Stanza(Stanza::Message(m)))) = p.next_typed() else { panic!() };
    /// assert_eq!(m.body.as_deref(), Some("hi"));
    /// assert_eq!(p.next_typed(), Ok(None));
    /// ```
    pub fn next_typed(&mut self) -> Result<Option<TypedEvent>, XmlError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(t) = self.fast_stanza() {
            return Ok(Some(t));
        }
        Ok(self.next_event()?.map(TypedEvent::from))
    }

    /// The one-level parse of the stanza at the current position, if one
    /// starts there, is complete in the buffer and has the common shape.
    fn fast_stanza(&mut self) -> Option<TypedEvent> {
        if self.state != StreamState::Open || self.builder.depth() != 0 {
            return None;
        }
        let rest = self.buf.get(self.pos..)?;
        // White space before a stanza is dropped, as the generic path does.
        let ws = rest.iter().take_while(|c| is_ws(**c)).count();
        let rest = rest.get(ws..)?;
        let kind = match rest.get(..4)? {
            b"<mes" => 0,
            b"<pre" => 1,
            b"<iq " | b"<iq>" | b"<iq/" => 2,
            _ => return None,
        };
        let start = self.pos + ws;
        if self.base + start as u64 == self.fast_declined {
            return None;
        }
        self.pos = start;
        let limits = self.builder.limits;
        // The region to read: through the first end tag of that name (or
        // the first '>' for an empty-element stanza), checked as UTF-8 once.
        // A stanza that does not end there is left to the generic path.
        let window = rest.get(..rest.len().min(limits.max_stanza_bytes))?;
        let finder = end_tag_finders().get(kind)?;
        let end = finder
            .find(window)
            .map(|i| i + finder.needle().len())
            .or_else(|| memchr::memchr(b'>', window).map(|i| i + 1))?;
        let region = std::str::from_utf8(window.get(..end)?).ok();
        let ns = self.builder.ns.resolve("").ok().cloned();
        let parsed = match (region, ns) {
            (Some(region), Some(ns)) => Stanza::parse_at(region, 0, limits, &ns),
            _ => None,
        };
        let Some((stanza, len)) = parsed else {
            self.fast_declined = self.base + start as u64;
            return None;
        };
        self.pos = start + len;
        self.token_start = self.base + self.pos as u64;
        Some(match stanza {
            Ok(s) => TypedEvent::Stanza(s),
            Err(e) => TypedEvent::InvalidStanza(e),
        })
    }

    /// The next event, `Ok(None)` when more bytes are needed.
    ///
    /// After an error the parser stays failed and returns the same error
    /// (a stream with an XML error must be closed, RFC 6120 §11.3).
    pub fn next_event(&mut self) -> Result<Option<XmlEvent>, XmlError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.next_inner() {
            Ok(ev) => Ok(ev),
            Err(kind) => {
                let e = XmlError {
                    kind,
                    offset: self.token_start,
                };
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn next_inner(&mut self) -> Result<Option<XmlEvent>, XmlErrorKind> {
        let limits = self.builder.limits;
        loop {
            self.token_start = self.base + self.pos as u64;
            if self.state == StreamState::Closed {
                if self.buf[self.pos..].iter().all(|c| is_ws(*c)) {
                    self.pos = self.buf.len();
                    return Ok(None);
                }
                return Err(XmlErrorKind::TrailingData);
            }
            let Some((tok, next)) = next_token(&self.buf, self.pos)? else {
                // Only white space may be pending between stanzas: drop it at once.
                if self.builder.depth() == 0 {
                    let rest = &self.buf[self.pos..];
                    let ws = rest.iter().take_while(|c| is_ws(**c)).count();
                    self.pos += ws;
                }
                let pending = self.buf.len() - self.pos;
                let in_stanza = self.builder.stanza_bytes;
                if pending.saturating_add(in_stanza) > limits.max_stanza_bytes {
                    return Err(XmlErrorKind::TooLarge(limits.max_stanza_bytes));
                }
                return Ok(None);
            };
            let tok_len = next - self.pos;
            if self.builder.depth() > 0 || matches!(tok, Token::Start { .. }) {
                self.builder.stanza_bytes += tok_len;
                if self.builder.stanza_bytes > limits.max_stanza_bytes {
                    return Err(XmlErrorKind::TooLarge(limits.max_stanza_bytes));
                }
            }
            self.pos = next;
            match (self.state, tok) {
                (StreamState::Prolog { seen_decl }, Token::Decl(d)) => {
                    if seen_decl {
                        return Err(XmlErrorKind::Restricted("a processing instruction"));
                    }
                    check_decl(d)?;
                    self.state = StreamState::Prolog { seen_decl: true };
                }
                (StreamState::Prolog { .. }, Token::Text(t)) => {
                    if !t.iter().all(|c| is_ws(*c)) {
                        return Err(XmlErrorKind::NotWellFormed(
                            "character data before the root element",
                        ));
                    }
                }
                (StreamState::Prolog { .. }, Token::Start { raw, empty }) => {
                    let header = self.builder.stream_open(raw)?;
                    self.builder.stanza_bytes = 0;
                    if empty {
                        self.state = StreamState::Closed;
                    } else {
                        self.state = StreamState::Open;
                    }
                    return Ok(Some(XmlEvent::StreamOpen(header)));
                }
                (StreamState::Prolog { .. }, _) => {
                    return Err(XmlErrorKind::NotWellFormed(
                        "markup before the stream header",
                    ));
                }
                (StreamState::Open, Token::Decl(_)) => {
                    return Err(XmlErrorKind::Restricted("a processing instruction"));
                }
                (StreamState::Open, Token::Text(t)) => {
                    if self.builder.depth() == 0 {
                        // [RFC 6120 §11.7] "either entity MAY send whitespace as separators
                        // between XML stanzas or between any other first-level elements"
                        if !t.iter().all(|c| is_ws(*c)) {
                            return Err(XmlErrorKind::TextAtStreamLevel);
                        }
                    } else {
                        self.builder.text(t, false)?;
                    }
                }
                (StreamState::Open, Token::CData(t)) => {
                    if self.builder.depth() == 0 {
                        return Err(XmlErrorKind::TextAtStreamLevel);
                    }
                    self.builder.text(t, true)?;
                }
                (StreamState::Open, Token::Start { raw, empty }) => {
                    if let Some(e) = self.builder.start(raw, empty)? {
                        self.builder.stanza_bytes = 0;
                        return Ok(Some(XmlEvent::Stanza(e)));
                    }
                }
                (StreamState::Open, Token::End(name)) => {
                    if self.builder.depth() == 0 {
                        let name =
                            std::str::from_utf8(name).map_err(|_| XmlErrorKind::InvalidUtf8)?;
                        let (prefix, local) = split_qname(name);
                        let ns = self.builder.ns.resolve(prefix)?;
                        if local != "stream" || &**ns != NS_STREAM {
                            return Err(XmlErrorKind::MismatchedEndTag {
                                expected: "stream:stream".into(),
                                found: name.into(),
                            });
                        }
                        self.state = StreamState::Closed;
                        self.builder.ns.truncate(0);
                        return Ok(Some(XmlEvent::StreamClose));
                    }
                    if let Some(e) = self.builder.end(name)? {
                        self.builder.stanza_bytes = 0;
                        return Ok(Some(XmlEvent::Stanza(e)));
                    }
                }
                (StreamState::Closed, _) => return Err(XmlErrorKind::TrailingData),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Tokenizer

#[derive(Debug)]
enum Token<'a> {
    /// `<?xml ...?>`: the bytes between `<?` and `?>`.
    Decl(&'a [u8]),
    /// Raw character data (entities not yet replaced).
    Text(&'a [u8]),
    /// CDATA section content.
    CData(&'a [u8]),
    /// Raw start tag between `<` and `>` / `/>`.
    Start { raw: &'a [u8], empty: bool },
    /// End tag name.
    End(&'a [u8]),
}

const fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn find(hay: &[u8], from: usize, needle: u8) -> Option<usize> {
    memchr::memchr(needle, hay.get(from..)?).map(|i| i + from)
}

fn find_seq(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|i| i + from)
}

/// The next complete token at `pos`, or `None` when more input is needed.
/// `in_element`: character data may be returned only when followed by `<`.
fn next_token(buf: &[u8], pos: usize) -> Result<Option<(Token<'_>, usize)>, XmlErrorKind> {
    let Some(&first) = buf.get(pos) else {
        return Ok(None);
    };
    if first != b'<' {
        // Character data runs to the next '<'; incomplete until we see it.
        return Ok(find(buf, pos, b'<').map(|end| (Token::Text(&buf[pos..end]), end)));
    }
    let Some(&second) = buf.get(pos + 1) else {
        return Ok(None);
    };
    match second {
        b'?' => {
            let Some(end) = find_seq(buf, pos + 2, b"?>") else {
                return Ok(None);
            };
            let body = &buf[pos + 2..end];
            if body == b"xml" || (body.len() >= 4 && &body[..3] == b"xml" && is_ws(body[3])) {
                Ok(Some((Token::Decl(body), end + 2)))
            } else {
                // [RFC 6120 §11.1] "processing instructions (Section 2.6 therein)"
                Err(XmlErrorKind::Restricted("a processing instruction"))
            }
        }
        b'!' => {
            // Decide as soon as enough bytes are there to tell which construct it is.
            let rest = &buf[pos..];
            const CDATA: &[u8] = b"<![CDATA[";
            let n = rest.len().min(CDATA.len());
            if rest[..n] == CDATA[..n] {
                if n < CDATA.len() {
                    return Ok(None);
                }
                let start = pos + CDATA.len();
                return Ok(find_seq(buf, start, b"]]>")
                    .map(|end| (Token::CData(&buf[start..end]), end + 3)));
            }
            if rest.len() >= 3 && rest[2] == b'-' {
                // [RFC 6120 §11.1] "comments (as defined in Section 2.5 of [XML])"
                return Err(XmlErrorKind::Restricted("a comment"));
            }
            if rest.len() >= 3 && rest[2] == b'D' {
                // [RFC 6120 §11.1] "internal or external DTD subsets (Section 2.8 therein)"
                return Err(XmlErrorKind::Restricted("a document type declaration"));
            }
            if rest.len() < 3 {
                return Ok(None);
            }
            Err(XmlErrorKind::NotWellFormed(
                "'<!' that starts no CDATA section",
            ))
        }
        b'/' => {
            let Some(end) = find(buf, pos + 2, b'>') else {
                return Ok(None);
            };
            let mut name = &buf[pos + 2..end];
            while let [rest @ .., last] = name {
                if is_ws(*last) {
                    name = rest;
                } else {
                    break;
                }
            }
            Ok(Some((Token::End(name), end + 1)))
        }
        _ => {
            // A start tag: find the closing '>' outside quoted values.
            let mut quote = 0u8;
            let mut i = pos + 1;
            while let Some(&c) = buf.get(i) {
                i += 1;
                if TAG_CLASS[usize::from(c)] == 0 {
                    continue;
                }
                if quote != 0 {
                    if c == quote {
                        quote = 0;
                    } else if c == b'<' {
                        return Err(XmlErrorKind::NotWellFormed("'<' in an attribute value"));
                    }
                } else if c == b'"' || c == b'\'' {
                    quote = c;
                } else if c == b'<' {
                    return Err(XmlErrorKind::NotWellFormed("'<' inside a start tag"));
                } else if c == b'>' {
                    let at = i - 1;
                    let empty = at > pos + 1 && buf.get(at - 1) == Some(&b'/');
                    let raw = buf
                        .get(pos + 1..if empty { at - 1 } else { at })
                        .unwrap_or_default();
                    return Ok(Some((Token::Start { raw, empty }, at + 1)));
                }
            }
            Ok(None)
        }
    }
}

/// Bytes that matter while looking for the end of a start tag.
const TAG_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'<' as usize] = 1;
    t[b'>' as usize] = 1;
    t[b'\'' as usize] = 1;
    t[b'"' as usize] = 1;
    t
};

fn check_decl(d: &[u8]) -> Result<(), XmlErrorKind> {
    let s = std::str::from_utf8(d).map_err(|_| XmlErrorKind::InvalidUtf8)?;
    if let Some(i) = s.find("encoding") {
        let v = s[i + 8..].trim_start().trim_start_matches('=').trim_start();
        let v = v.trim_start_matches(['\'', '"']);
        if !(v.len() >= 5 && v[..5].eq_ignore_ascii_case("utf-8")) {
            // [RFC 6120 §11.6] "Implementations MUST NOT attempt to use any other encoding."
            return Err(XmlErrorKind::UnsupportedEncoding);
        }
    }
    Ok(())
}

fn split_qname(name: &str) -> (&str, &str) {
    match memchr::memchr(b':', name.as_bytes()) {
        Some(i) => (
            name.get(..i).unwrap_or_default(),
            name.get(i + 1..).unwrap_or_default(),
        ),
        None => ("", name),
    }
}

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_ascii() {
        // The common case: ASCII names need no character decoding.
        let Some(&first) = b.first() else {
            return false;
        };
        let mut colons = 0;
        for &c in b {
            match NAME_CLASS[usize::from(c)] {
                0 => return false,
                3 => colons += 1,
                _ => {}
            }
        }
        return NAME_CLASS[usize::from(first)] == 1 && colons <= 1 && b.last() != Some(&b':');
    }
    let mut it = s.chars();
    let Some(c) = it.next() else { return false };
    let ok_start = |c: char| c.is_alphabetic() || c == '_' || c == ':' || (c as u32) > 0x7f;
    let ok = |c: char| ok_start(c) || c.is_ascii_digit() || c == '-' || c == '.';
    ok_start(c)
        && it.all(ok)
        && !s.starts_with(':')
        && !s.ends_with(':')
        && s.matches(':').count() <= 1
}

/// ASCII name characters: 1 = may start a name (letters, `_`), 2 = may
/// follow (digits, `-`, `.`), 3 = `:` (the prefix separator), 0 = not allowed.
const NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() || b == b'_' {
            1
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            2
        } else if b == b':' {
            3
        } else {
            0
        };
        c += 1;
    }
    t
};

/// Byte classes for the one-pass scan of character data: 1 = a control
/// character that is not white space, 2 = `&`, 3 = 0xEF (the lead byte of
/// U+FFFE and U+FFFF), 4 = `<` (possible only in an attribute value, where
/// it is not allowed), 0 = nothing to do.
const TEXT_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        if !is_ws(i as u8) {
            t[i] = 1;
        }
        i += 1;
    }
    t[b'&' as usize] = 2;
    t[0xEF] = 3;
    t[b'<' as usize] = 4;
    t[b'\r' as usize] = 5;
    t[b'\t' as usize] = 6;
    t[b'\n' as usize] = 6;
    t[b']' as usize] = 7;
    t
};

/// What a run of text is read as: character data or an attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Content,
    Attribute,
}

/// Reads `s` as character data or an attribute value, in one pass over it
/// in the common case: checks its characters, refuses `]]>` in content,
/// normalises line ends (content) or white space (attribute values), then
/// replaces the predefined entities and character references. Borrowed
/// when nothing changes.
fn read_text(s: &str, kind: TextKind) -> Result<Cow<'_, str>, XmlErrorKind> {
    let raw = s.as_bytes();
    let content = kind == TextKind::Content;
    // A branch-free pass (it vectorizes) clears the common case: no control
    // character or white space below 0x20, no '&' or '<', no byte that could
    // start U+FFFE or U+FFFF, and in content no ']'.
    let attention = raw.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'&') | (b == b'<') | (b >= 0xEF) | (content & (b == b']'))
    });
    if !attention {
        return Ok(Cow::Borrowed(s));
    }
    let (mut amp, mut cr, mut tab_lf) = (false, false, false);
    for (i, &b) in raw.iter().enumerate() {
        match TEXT_CLASS[usize::from(b)] {
            0 => {}
            1 => return Err(control_char()),
            2 => amp = true,
            3 => {
                if raw.get(i + 1) == Some(&0xBF) && matches!(raw.get(i + 2), Some(0xBE | 0xBF)) {
                    return Err(control_char());
                }
            }
            4 => return Err(XmlErrorKind::NotWellFormed("'<' in an attribute value")),
            5 => cr = true,
            6 => tab_lf = true,
            _ => {
                // [RFC 6120 §11.3] "An XMPP entity MUST NOT accept data that
                // is not XML-well-formed"
                // (XML 1.0 §2.4: the literal `]]>` is not allowed in
                // content; it is written `]]&gt;`.)
                if content && raw.get(i + 1..i + 3) == Some(b"]>") {
                    return Err(XmlErrorKind::NotWellFormed("']]>' in character data"));
                }
            }
        }
    }
    let normalise = cr || (!content && tab_lf);
    let text: Cow<'_, str> = match (normalise, kind) {
        (false, _) => Cow::Borrowed(s),
        (true, TextKind::Content) => line_ends(s),
        (true, TextKind::Attribute) => Cow::Owned(attr_white_space(s)),
    };
    if !amp {
        return Ok(text);
    }
    replace_references(&text).map(Cow::Owned)
}

/// `s` with its predefined entities and character references replaced.
fn replace_references(s: &str) -> Result<String, XmlErrorKind> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(semi) = memchr::memchr(b';', after.as_bytes()) else {
            return Err(XmlErrorKind::NotWellFormed("'&' without a terminating ';'"));
        };
        let ent = &after[..semi];
        match ent {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "apos" => out.push('\''),
            "quot" => out.push('"'),
            _ => {
                let code = if let Some(h) = ent.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse::<u32>().ok()
                } else {
                    // [RFC 6120 §11.1] "internal or external entity references (Section 4.2 therein)
                    // with the exception of the predefined entities"
                    return Err(XmlErrorKind::UnknownEntity(ent.chars().take(32).collect()));
                };
                match code.and_then(char::from_u32) {
                    Some(c) if is_xml_char(c) => out.push(c),
                    _ => {
                        return Err(XmlErrorKind::NotWellFormed(
                            "character reference to a non-XML character",
                        ));
                    }
                }
            }
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Character data (outside CDATA sections) as the application sees it:
/// `]]>` refused, line ends normalised, references replaced.
///
/// XML 1.0 §2.4 forbids the literal string `]]>` in content (it must be
/// written `]]&gt;`); §2.11 turns each CR LF pair and each CR not followed
/// by LF into one LF before anything else reads the text. Both are part of
/// well-formedness.
pub(crate) fn char_data(raw: &[u8]) -> Result<Cow<'_, str>, XmlErrorKind> {
    let s = std::str::from_utf8(raw).map_err(|_| XmlErrorKind::InvalidUtf8)?;
    read_text(s, TextKind::Content)
}

/// [`char_data`] of text already known to be UTF-8.
pub(crate) fn char_data_str(s: &str) -> Result<Cow<'_, str>, XmlErrorKind> {
    read_text(s, TextKind::Content)
}

/// An attribute value as the application sees it (XML 1.0 §2.11, §3.3.3;
/// every attribute is CDATA-typed, there being no DTD): each literal tab,
/// line feed or carriage return becomes a space (a CR LF pair one space),
/// then references are replaced, so `&#10;` still gives a line feed.
pub(crate) fn attr_value(s: &str) -> Result<Cow<'_, str>, XmlErrorKind> {
    read_text(s, TextKind::Attribute)
}

/// XML 1.0 §2.11 then §3.3.3 on an attribute value: CR LF, CR, LF and tab
/// each become one space.
fn attr_white_space(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\t' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// XML 1.0 §2.11: CR LF and a lone CR become LF.
fn line_ends(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn control_char() -> XmlErrorKind {
    XmlErrorKind::NotWellFormed("control character in character data")
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check_chars(s: &str) -> Result<(), XmlErrorKind> {
    let raw = s.as_bytes();
    for (i, &b) in raw.iter().enumerate() {
        match TEXT_CLASS[usize::from(b)] {
            1 => return Err(control_char()),
            3 if raw.get(i + 1) == Some(&0xBF) && matches!(raw.get(i + 2), Some(0xBE | 0xBF)) => {
                return Err(control_char());
            }
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Interning: the namespaces and element names XMPP uses all the time are
// shared (namespaces) or static (names), so parsing them allocates nothing.

/// Namespaces shared by every parsed element that uses them.
const WELL_KNOWN_NS: &[&str] = &[
    "",
    NS_XML,
    NS_STREAM,
    "jabber:client",
    "jabber:server",
    "jabber:component:accept",
    "jabber:iq:roster",
    "urn:ietf:params:xml:ns:xmpp-sasl",
    "urn:ietf:params:xml:ns:xmpp-tls",
    "urn:ietf:params:xml:ns:xmpp-bind",
    "urn:ietf:params:xml:ns:xmpp-session",
    "urn:ietf:params:xml:ns:xmpp-stanzas",
    "urn:ietf:params:xml:ns:xmpp-streams",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/caps",
    "http://jabber.org/protocol/chatstates",
    "urn:xmpp:ping",
    "urn:xmpp:sm:3",
    "urn:xmpp:delay",
    "urn:xmpp:receipts",
    "urn:xmpp:carbons:2",
    "urn:xmpp:jingle:1",
    "urn:xmpp:jingle:errors:1",
    "urn:xmpp:jingle:apps:rtp:1",
    "urn:xmpp:jingle:apps:rtp:info:1",
    "urn:xmpp:jingle:apps:rtp:rtcp-fb:0",
    "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0",
    "urn:xmpp:jingle:apps:rtp:ssma:0",
    "urn:xmpp:jingle:apps:grouping:0",
    "urn:xmpp:jingle:apps:dtls:0",
    "urn:xmpp:jingle:transports:ice-udp:1",
    "urn:xmpp:jingle:transports:raw-udp:1",
];

fn ns_table() -> &'static [Arc<str>] {
    static TABLE: std::sync::OnceLock<Vec<Arc<str>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| WELL_KNOWN_NS.iter().map(|s| Arc::from(*s)).collect())
}

/// The index in [`WELL_KNOWN_NS`] of namespace `ns` (one `match`: the
/// compiler switches on the length first).
fn well_known_ns_index(ns: &[u8]) -> Option<usize> {
    Some(match ns {
        b"" => 0,
        b"http://www.w3.org/XML/1998/namespace" => 1,
        b"http://etherx.jabber.org/streams" => 2,
        b"jabber:client" => 3,
        b"jabber:server" => 4,
        b"jabber:component:accept" => 5,
        b"jabber:iq:roster" => 6,
        b"urn:ietf:params:xml:ns:xmpp-sasl" => 7,
        b"urn:ietf:params:xml:ns:xmpp-tls" => 8,
        b"urn:ietf:params:xml:ns:xmpp-bind" => 9,
        b"urn:ietf:params:xml:ns:xmpp-session" => 10,
        b"urn:ietf:params:xml:ns:xmpp-stanzas" => 11,
        b"urn:ietf:params:xml:ns:xmpp-streams" => 12,
        b"http://jabber.org/protocol/disco#info" => 13,
        b"http://jabber.org/protocol/disco#items" => 14,
        b"http://jabber.org/protocol/caps" => 15,
        b"http://jabber.org/protocol/chatstates" => 16,
        b"urn:xmpp:ping" => 17,
        b"urn:xmpp:sm:3" => 18,
        b"urn:xmpp:delay" => 19,
        b"urn:xmpp:receipts" => 20,
        b"urn:xmpp:carbons:2" => 21,
        b"urn:xmpp:jingle:1" => 22,
        b"urn:xmpp:jingle:errors:1" => 23,
        b"urn:xmpp:jingle:apps:rtp:1" => 24,
        b"urn:xmpp:jingle:apps:rtp:info:1" => 25,
        b"urn:xmpp:jingle:apps:rtp:rtcp-fb:0" => 26,
        b"urn:xmpp:jingle:apps:rtp:rtp-hdrext:0" => 27,
        b"urn:xmpp:jingle:apps:rtp:ssma:0" => 28,
        b"urn:xmpp:jingle:apps:grouping:0" => 29,
        b"urn:xmpp:jingle:apps:dtls:0" => 30,
        b"urn:xmpp:jingle:transports:ice-udp:1" => 31,
        b"urn:xmpp:jingle:transports:raw-udp:1" => 32,
        _ => return None,
    })
}

/// Byte equality with plain eight-byte loads. For short inputs glibc's
/// `memcmp` reads with masked vector loads, which cannot take their bytes
/// from pending stores: on bytes just copied into a stream buffer each such
/// comparison stalls (perf showed them at over a quarter of the stream
/// path's time).
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        let x = <[u8; 8]>::try_from(x).ok().map(u64::from_ne_bytes);
        let y = <[u8; 8]>::try_from(y).ok().map(u64::from_ne_bytes);
        if x != y {
            return false;
        }
    }
    let mut same = true;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        same &= x == y;
    }
    same
}

/// The shared string for namespace `ns` (allocates only for a namespace
/// that is not well known).
fn intern_ns(ns: &str) -> Arc<str> {
    if let Some(n) = ns_table()
        .iter()
        .find(|n| bytes_eq(n.as_bytes(), ns.as_bytes()))
    {
        return Arc::clone(n);
    }
    match well_known_ns_index(ns.as_bytes()).and_then(|i| ns_table().get(i)) {
        Some(n) => Arc::clone(n),
        None => Arc::from(ns),
    }
}

fn intern_ns_owned(ns: String) -> Arc<str> {
    match well_known_ns_index(ns.as_bytes()).and_then(|i| ns_table().get(i)) {
        Some(n) => Arc::clone(n),
        None => Arc::from(ns),
    }
}

/// The static string for an element name XMPP and Jingle use all the time.
fn well_known_name(name: &[u8]) -> Option<&'static str> {
    // One `match` on the bytes: the compiler switches on the length first.
    Some(match name {
        b"message" => "message",
        b"presence" => "presence",
        b"iq" => "iq",
        b"body" => "body",
        b"subject" => "subject",
        b"thread" => "thread",
        b"show" => "show",
        b"status" => "status",
        b"priority" => "priority",
        b"error" => "error",
        b"text" => "text",
        b"query" => "query",
        b"item" => "item",
        b"group" => "group",
        b"c" => "c",
        b"x" => "x",
        b"delay" => "delay",
        b"ping" => "ping",
        b"bind" => "bind",
        b"jid" => "jid",
        b"resource" => "resource",
        b"identity" => "identity",
        b"feature" => "feature",
        b"features" => "features",
        b"stream" => "stream",
        b"mechanisms" => "mechanisms",
        b"mechanism" => "mechanism",
        b"auth" => "auth",
        b"challenge" => "challenge",
        b"response" => "response",
        b"success" => "success",
        b"failure" => "failure",
        b"starttls" => "starttls",
        b"proceed" => "proceed",
        b"enable" => "enable",
        b"enabled" => "enabled",
        b"resume" => "resume",
        b"resumed" => "resumed",
        b"r" => "r",
        b"a" => "a",
        b"jingle" => "jingle",
        b"content" => "content",
        b"description" => "description",
        b"payload-type" => "payload-type",
        b"parameter" => "parameter",
        b"rtcp-fb" => "rtcp-fb",
        b"rtcp-mux" => "rtcp-mux",
        b"rtp-hdrext" => "rtp-hdrext",
        b"source" => "source",
        b"encryption" => "encryption",
        b"crypto" => "crypto",
        b"bandwidth" => "bandwidth",
        b"transport" => "transport",
        b"candidate" => "candidate",
        b"remote-candidate" => "remote-candidate",
        b"fingerprint" => "fingerprint",
        b"reason" => "reason",
        b"active" => "active",
        b"hold" => "hold",
        b"unhold" => "unhold",
        b"mute" => "mute",
        b"unmute" => "unmute",
        b"ringing" => "ringing",
        b"received" => "received",
        b"request" => "request",
        b"composing" => "composing",
        _ => return None,
    })
}

fn intern_name(name: &str) -> Cow<'static, str> {
    match well_known_name(name.as_bytes()) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(name.to_owned()),
    }
}

/// The static string for an attribute name XMPP and Jingle use all the time.
fn well_known_attr_name(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"to" => "to",
        b"from" => "from",
        b"id" => "id",
        b"type" => "type",
        b"xml:lang" => "xml:lang",
        b"version" => "version",
        b"xmlns:stream" => "xmlns:stream",
        b"name" => "name",
        b"jid" => "jid",
        b"subscription" => "subscription",
        b"ask" => "ask",
        b"ver" => "ver",
        b"node" => "node",
        b"hash" => "hash",
        b"var" => "var",
        b"category" => "category",
        b"parent" => "parent",
        b"stamp" => "stamp",
        b"h" => "h",
        b"resume" => "resume",
        b"previd" => "previd",
        b"mechanism" => "mechanism",
        b"action" => "action",
        b"initiator" => "initiator",
        b"responder" => "responder",
        b"sid" => "sid",
        b"creator" => "creator",
        b"senders" => "senders",
        b"disposition" => "disposition",
        b"media" => "media",
        b"ssrc" => "ssrc",
        b"clockrate" => "clockrate",
        b"channels" => "channels",
        b"maxptime" => "maxptime",
        b"ptime" => "ptime",
        b"value" => "value",
        b"ufrag" => "ufrag",
        b"pwd" => "pwd",
        b"component" => "component",
        b"foundation" => "foundation",
        b"generation" => "generation",
        b"ip" => "ip",
        b"network" => "network",
        b"port" => "port",
        b"priority" => "priority",
        b"protocol" => "protocol",
        b"rel-addr" => "rel-addr",
        b"rel-port" => "rel-port",
        b"setup" => "setup",
        b"required" => "required",
        b"uri" => "uri",
        b"semantics" => "semantics",
        b"tag" => "tag",
        b"crypto-suite" => "crypto-suite",
        b"key-params" => "key-params",
        b"session-params" => "session-params",
        _ => return None,
    })
}

/// The attribute name as stored: static when well known.
fn intern_attr_name(name: &str) -> Cow<'static, str> {
    match well_known_attr_name(name.as_bytes()) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(name.to_owned()),
    }
}

fn intern_attr_name_owned(name: String) -> Cow<'static, str> {
    match well_known_attr_name(name.as_bytes()) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(name),
    }
}

// ---------------------------------------------------------------------------
// Namespaces and tree building

#[derive(Debug)]
struct NsScope {
    /// (prefix, namespace) declarations, innermost last.
    decls: Vec<(String, Arc<str>)>,
    none: Arc<str>,
    xml: Arc<str>,
}

impl Default for NsScope {
    fn default() -> Self {
        Self {
            decls: Vec::new(),
            none: intern_ns(""),
            xml: intern_ns(NS_XML),
        }
    }
}

impl NsScope {
    fn len(&self) -> usize {
        self.decls.len()
    }

    fn truncate(&mut self, n: usize) {
        self.decls.truncate(n);
    }

    fn resolve(&self, prefix: &str) -> Result<&Arc<str>, XmlErrorKind> {
        if prefix == "xml" {
            return Ok(&self.xml);
        }
        // Not `p == prefix`: for the empty prefix that is a zero-length
        // `memcmp` on `String::new()`'s dangling pointer, which glibc's
        // masked-load version turns into a fault-suppression assist costing
        // hundreds of cycles (a quarter of the stream path's time in perf).
        match self
            .decls
            .iter()
            .rev()
            .find(|(p, _)| bytes_eq(p.as_bytes(), prefix.as_bytes()))
        {
            Some((_, ns)) => Ok(ns),
            None if prefix.is_empty() => Ok(&self.none),
            None => Err(XmlErrorKind::UndeclaredPrefix(
                prefix.chars().take(64).collect(),
            )),
        }
    }
}

/// The reusable stacks of a [`TreeBuilder`].
type Scratch = (Vec<Open>, Vec<(String, Arc<str>)>);

#[derive(Debug)]
struct Open {
    el: Element,
    /// The qualified name as written, only when it has a prefix (else it is `el.name`).
    qname: Option<String>,
    scope: usize,
}

#[derive(Debug)]
struct TreeBuilder {
    limits: Limits,
    ns: NsScope,
    stack: Vec<Open>,
    stanza_bytes: usize,
}

thread_local! {
    /// The stacks of the last [`TreeBuilder`] of a standalone parse on this thread.
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

impl TreeBuilder {
    /// A builder reusing the stacks of the previous standalone parse on this
    /// thread (give them back with [`TreeBuilder::return_scratch`]).
    fn with_scratch(limits: Limits) -> Self {
        let mut b = Self::new(limits);
        if let Some((stack, decls)) = SCRATCH.with(std::cell::Cell::take) {
            b.stack = stack;
            b.ns.decls = decls;
        }
        b
    }

    /// Keeps the stacks for the next standalone parse (bounded: large ones
    /// are dropped).
    fn return_scratch(mut self) {
        self.reset();
        if self.stack.capacity() <= 64 && self.ns.decls.capacity() <= 64 {
            let scratch = (self.stack, self.ns.decls);
            SCRATCH.with(|c| c.set(Some(scratch)));
        }
    }

    fn new(limits: Limits) -> Self {
        Self {
            limits,
            ns: NsScope::default(),
            stack: Vec::new(),
            stanza_bytes: 0,
        }
    }

    fn reset(&mut self) {
        self.ns.truncate(0);
        self.stack.clear();
        self.stanza_bytes = 0;
    }

    fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Splits a raw start tag into its name and attributes, declaring namespaces.
    fn parse_start(&mut self, raw: &[u8]) -> Result<(Option<String>, Element), XmlErrorKind> {
        // One validation for the whole tag; every delimiter below is ASCII,
        // so every slice taken at one is on a character boundary.
        let tag = std::str::from_utf8(raw).map_err(|_| XmlErrorKind::InvalidUtf8)?;
        let name_end = raw.iter().position(|c| is_ws(*c)).unwrap_or(raw.len());
        let qname = tag.get(..name_end).unwrap_or_default();
        if !is_name(qname) {
            return Err(XmlErrorKind::NotWellFormed("invalid element name"));
        }
        let rest_str = tag.get(name_end..).unwrap_or_default();
        let rest = rest_str.as_bytes();
        // Every attribute has one '=' outside its value: an upper bound that
        // sizes the list once.
        let mut attrs: Vec<Attribute> =
            Vec::with_capacity(rest.iter().filter(|c| **c == b'=').count());
        let mut default_ns: Option<Arc<str>> = None;
        let mut n_attrs = 0usize;
        let mut i = 0;
        let skip_ws = |mut i: usize| {
            while rest.get(i).is_some_and(|c| is_ws(*c)) {
                i += 1;
            }
            i
        };
        loop {
            let name_start = skip_ws(i);
            if name_start >= rest.len() {
                break;
            }
            if name_start == i {
                return Err(XmlErrorKind::NotWellFormed(
                    "attributes must be separated by white space",
                ));
            }
            let mut j = name_start;
            while let Some(&c) = rest.get(j) {
                if c == b'=' || is_ws(c) {
                    break;
                }
                j += 1;
            }
            let aname = rest_str.get(name_start..j).unwrap_or_default();
            let eq = skip_ws(j);
            if rest.get(eq) != Some(&b'=') {
                return Err(XmlErrorKind::NotWellFormed("attribute without '='"));
            }
            if !is_name(aname) {
                return Err(XmlErrorKind::NotWellFormed("invalid attribute name"));
            }
            let open = skip_ws(eq + 1);
            let Some(&q) = rest.get(open).filter(|c| **c == b'\'' || **c == b'"') else {
                return Err(XmlErrorKind::NotWellFormed("attribute value not quoted"));
            };
            let Some(close) = rest
                .get(open + 1..)
                .and_then(|v| v.iter().position(|c| *c == q))
                .map(|k| open + 1 + k)
            else {
                return Err(XmlErrorKind::NotWellFormed(
                    "attribute value not terminated",
                ));
            };
            let value = attr_value(rest_str.get(open + 1..close).unwrap_or_default())?;
            i = close + 1;
            n_attrs += 1;
            if n_attrs > self.limits.max_attributes {
                return Err(XmlErrorKind::TooManyAttributes(self.limits.max_attributes));
            }
            if aname == "xmlns" {
                if default_ns.is_some() {
                    return Err(XmlErrorKind::DuplicateAttribute("xmlns".into()));
                }
                default_ns = Some(intern_ns(&value));
                continue;
            }
            if attrs.iter().any(|a| a.name == aname) {
                return Err(XmlErrorKind::DuplicateAttribute(
                    aname.chars().take(64).collect(),
                ));
            }
            attrs.push(Attribute {
                name: intern_attr_name(aname),
                value: value.into_owned(),
            });
        }
        // Declarations take effect on the element itself.
        if let Some(ns) = default_ns {
            self.ns.decls.push((String::new(), ns));
        }
        for a in &attrs {
            if let Some(p) = a.name.strip_prefix("xmlns:") {
                if a.value.is_empty() {
                    return Err(XmlErrorKind::NotWellFormed(
                        "a prefix cannot be undeclared in XML 1.0",
                    ));
                }
                self.ns.decls.push((p.to_owned(), intern_ns(&a.value)));
            }
        }
        for a in &attrs {
            let (p, _) = split_qname(&a.name);
            if !p.is_empty() && p != "xmlns" {
                self.ns.resolve(p)?;
            }
        }
        let (prefix, local) = split_qname(qname);
        let ns = Arc::clone(self.ns.resolve(prefix)?);
        let el = Element {
            name: intern_name(local),
            ns,
            attrs,
            children: Vec::new(),
        };
        Ok(((!prefix.is_empty()).then(|| qname.to_owned()), el))
    }

    fn stream_open(&mut self, raw: &[u8]) -> Result<StreamHeader, XmlErrorKind> {
        self.ns.truncate(0);
        let (_, el) = self.parse_start(raw)?;
        // [RFC 6120 §4.8.1] "The root <stream/> element ("stream header") MUST be qualified by the
        // namespace 'http://etherx.jabber.org/streams' (the "stream namespace")"
        if el.name != "stream" || &*el.ns != NS_STREAM {
            return Err(XmlErrorKind::InvalidNamespace);
        }
        let default_ns = self.ns.resolve("")?.to_string();
        let attrs = el
            .attrs
            .into_iter()
            .filter(|a| !a.name.starts_with("xmlns:"))
            .collect();
        Ok(StreamHeader { default_ns, attrs })
    }

    /// Handles a start tag; returns the element when it is a complete first-level element.
    fn start(&mut self, raw: &[u8], empty: bool) -> Result<Option<Element>, XmlErrorKind> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlErrorKind::TooDeep(self.limits.max_depth));
        }
        let scope = self.ns.len();
        let (qname, el) = self.parse_start(raw)?;
        if empty {
            self.ns.truncate(scope);
            return Ok(self.close(el));
        }
        self.stack.push(Open { el, qname, scope });
        Ok(None)
    }

    fn close(&mut self, el: Element) -> Option<Element> {
        match self.stack.last_mut() {
            Some(parent) => {
                parent.el.children.push(Node::Element(el));
                None
            }
            None => Some(el),
        }
    }

    fn end(&mut self, name: &[u8]) -> Result<Option<Element>, XmlErrorKind> {
        let Some(open) = self.stack.pop() else {
            return Err(XmlErrorKind::NotWellFormed("end tag without a start tag"));
        };
        let expected = open.qname.as_deref().unwrap_or(&open.el.name);
        if name != expected.as_bytes() {
            return Err(XmlErrorKind::MismatchedEndTag {
                expected: expected.to_owned(),
                found: String::from_utf8_lossy(name).chars().take(64).collect(),
            });
        }
        self.ns.truncate(open.scope);
        Ok(self.close(open.el))
    }

    fn text(&mut self, raw: &[u8], cdata: bool) -> Result<(), XmlErrorKind> {
        let Some(open) = self.stack.last_mut() else {
            return Err(XmlErrorKind::TextAtStreamLevel);
        };
        let t = if cdata {
            let s = std::str::from_utf8(raw).map_err(|_| XmlErrorKind::InvalidUtf8)?;
            check_chars(s)?;
            line_ends(s)
        } else {
            char_data(raw)?
        };
        open.el.push_text(t.into_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HDR: &[u8] = b"<?xml version='1.0'?><stream:stream from='im.example.com' id='t7AMCin9zjMNwQKDnplntZPIDEI=' to='juliet@im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    fn events(chunks: &[&[u8]]) -> Result<Vec<XmlEvent>, XmlError> {
        let mut p = StreamParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c);
            while let Some(e) = p.next_event()? {
                out.push(e);
            }
        }
        Ok(out)
    }

    #[test]
    fn stream_header_and_stanza() {
        let ev = events(&[
            HDR,
            b"<message to='a@b' type='chat'><body>x&lt;y</body></message></stream:stream>",
        ])
        .unwrap();
        assert_eq!(ev.len(), 3);
        let XmlEvent::StreamOpen(h) = &ev[0] else {
            panic!()
        };
        assert_eq!(h.default_ns, "jabber:client");
        assert_eq!(h.attr("xml:lang"), Some("en"));
        let XmlEvent::Stanza(m) = &ev[1] else {
            panic!()
        };
        assert!(m.is("message", "jabber:client"));
        assert_eq!(m.child("body", "jabber:client").unwrap().text(), "x<y");
        assert_eq!(ev[2], XmlEvent::StreamClose);
    }

    // [RFC 6120 §11.1 test] "processing instructions (Section 2.6 therein)"
    #[test]
    fn rejects_restricted_features() {
        for (bad, at) in [
            (&b"<!-- hi --><message/>"[..], 0),
            (b"<?php x?>", 0),
            (b"<!DOCTYPE foo>", 0),
            (b"<message>&nbsp;</message>", 9),
        ] {
            let r = events(&[HDR, bad]);
            let e = r.unwrap_err();
            assert!(
                matches!(
                    e.kind,
                    XmlErrorKind::Restricted(_) | XmlErrorKind::UnknownEntity(_)
                ),
                "{bad:?}: {e}"
            );
            assert_eq!(e.offset, HDR.len() as u64 + at);
        }
    }

    #[test]
    fn namespaces_and_prefixes() {
        let e =
            Element::parse(b"<a xmlns='x' xmlns:p='y'><p:b p:c='1'/><c xmlns=''/></a>").unwrap();
        let b = e.children().next().unwrap();
        assert!(b.is("b", "y"));
        let c = e.children().nth(1).unwrap();
        assert!(c.is("c", ""));
        assert_eq!(
            Element::parse(b"<p:a/>").unwrap_err().kind,
            XmlErrorKind::UndeclaredPrefix("p".into())
        );
        let w = e.to_string();
        assert_eq!(Element::parse(w.as_bytes()).unwrap(), e);
    }

    #[test]
    fn limits_are_enforced() {
        let lim = Limits {
            max_depth: 3,
            max_stanza_bytes: 100,
            max_attributes: 2,
        };
        assert_eq!(
            Element::parse_with_limits(b"<a><b><c><d/></c></b></a>", lim)
                .unwrap_err()
                .kind,
            XmlErrorKind::TooDeep(3)
        );
        assert_eq!(
            Element::parse_with_limits(b"<a x='1' y='2' z='3'/>", lim)
                .unwrap_err()
                .kind,
            XmlErrorKind::TooManyAttributes(2)
        );
        let mut p = StreamParser::with_limits(lim);
        p.feed(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
        assert!(p.next_event().unwrap().is_some());
        p.feed(b"<message>");
        for _ in 0..10 {
            p.feed(b"0123456789");
        }
        assert_eq!(
            p.next_event().unwrap_err().kind,
            XmlErrorKind::TooLarge(100)
        );
    }

    #[test]
    fn escaping_round_trip() {
        let e = Element::new("x", "urn:t")
            .with_attr("a", "'\"<&>")
            .with_text("]]> & <");
        let s = e.to_string();
        assert!(!s.contains("]]>"));
        assert_eq!(Element::parse(s.as_bytes()).unwrap(), e);
    }

    #[test]
    fn take_text_moves_the_character_data() {
        let mut e = Element::parse(b"<body xmlns='jabber:client'>a &amp; b</body>").unwrap();
        assert_eq!(e.take_text(), "a & b");
        assert!(e.nodes().is_empty());
        let mut mixed = Element::parse(b"<x>a<y/>b</x>").unwrap();
        assert_eq!(mixed.take_text(), "ab");
        assert_eq!(mixed.nodes().len(), 1);
    }

    #[test]
    fn interned_and_other_names_compare_equal() {
        let parsed =
            Element::parse(b"<message xmlns='jabber:client'><custom-name/></message>").unwrap();
        let built = Element::new("message", "jabber:client")
            .with_child(Element::new("custom-name", "jabber:client"));
        assert_eq!(parsed, built);
    }

    #[test]
    fn lt_in_attribute_value_is_rejected() {
        for bad in [&b"<a x='<'/>"[..], b"<a x='1' y=\"a<b\">"] {
            let e = Element::parse(bad).unwrap_err();
            assert!(matches!(e.kind, XmlErrorKind::NotWellFormed(_)), "{e}");
        }
        assert_eq!(
            Element::parse(b"<a x='a&#x1;'/>").unwrap_err().kind,
            XmlErrorKind::NotWellFormed("character reference to a non-XML character")
        );
        assert!(Element::parse(b"<a x='\xef\xbf\xbe'/>").is_err());
        assert_eq!(
            Element::parse(b"<a x='\xc3\xa9 &gt;'/>").unwrap().attr("x"),
            Some("\u{e9} >")
        );
    }

    #[test]
    fn interning_tables_agree() {
        for (i, ns) in WELL_KNOWN_NS.iter().enumerate() {
            assert_eq!(well_known_ns_index(ns.as_bytes()), Some(i), "{ns}");
            assert_eq!(&*intern_ns(ns), *ns);
        }
        assert_eq!(well_known_ns_index(b"urn:other"), None);
        assert_eq!(well_known_name(b"message"), Some("message"));
        assert_eq!(well_known_attr_name(b"xml:lang"), Some("xml:lang"));
        for (a, b) in [
            ("", ""),
            ("jabber:client", "jabber:client"),
            ("abcdefgh", "abcdefgh"),
        ] {
            assert!(bytes_eq(a.as_bytes(), b.as_bytes()));
        }
        for (a, b) in [
            ("a", ""),
            ("jabber:client", "jabber:clienT"),
            ("abcdefgh", "abcdefgi"),
            ("xbcdefghij", "abcdefghij"),
        ] {
            assert!(!bytes_eq(a.as_bytes(), b.as_bytes()));
        }
    }

    #[test]
    fn whitespace_keepalive_is_consumed() {
        let mut p = StreamParser::new();
        p.feed(HDR);
        assert!(p.next_event().unwrap().is_some());
        p.feed(b" \n ");
        assert_eq!(p.next_event().unwrap(), None);
        assert_eq!(p.offset(), HDR.len() as u64 + 3);
    }
}
