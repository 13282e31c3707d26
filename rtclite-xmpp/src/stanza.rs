//! Typed stanzas (RFC 6120 §8): `<message/>`, `<presence/>`, `<iq/>`.
//!
//! Conversions from [`Element`] check the rules of RFC 6120 §8.2 that make a
//! stanza usable (an iq has an id, a type and the right number of payload
//! children) and keep every extension child element as it came.

use crate::error::StanzaError;
use crate::jid::Jid;
use std::borrow::Cow;

use crate::xml::shallow::{self, Root, Sink};
use crate::xml::{Element, Limits, XmlError};
use std::sync::Arc;

/// Content namespace of client streams (RFC 6120 §4.8.2).
pub const NS_CLIENT: &str = "jabber:client";
/// Content namespace of component streams (XEP-0114).
pub const NS_COMPONENT: &str = "jabber:component:accept";

/// Why an element is not a valid stanza.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StanzaParseError {
    /// Not `<message/>`, `<presence/>` or `<iq/>` in a content namespace.
    #[error("<{0}/> is not a stanza (RFC 6120 §8)")]
    NotAStanza(String),
    /// A `to` or `from` attribute is not a JID.
    #[error("attribute '{0}' is not a valid JID (RFC 6120 §8.1.1)")]
    BadJid(&'static str),
    /// An iq without an `id` (RFC 6120 §8.2.3).
    #[error("iq without an 'id' attribute (RFC 6120 §8.2.3)")]
    IqWithoutId,
    /// A missing or unknown `type` (RFC 6120 §8.2.3 for iq, §8.2.2 otherwise).
    #[error("unknown or missing 'type' on <{0}/> (RFC 6120 §8.2.3)")]
    BadType(&'static str),
    /// An iq get/set without exactly one payload child (RFC 6120 §8.2.3).
    #[error("iq of type get or set must contain exactly one payload element (RFC 6120 §8.2.3)")]
    IqPayloadCount,
    /// An iq of type error without an `<error/>` child (RFC 6120 §8.3.1).
    #[error("stanza of type error without an <error/> child (RFC 6120 §8.3.1)")]
    MissingError,
}

/// Moves attribute `name` out of `el` as a JID (no copy of the string).
fn jid_attr(el: &mut Element, name: &'static str) -> Result<Option<Jid>, StanzaParseError> {
    el.remove_attr(name)
        .map(|s| Jid::try_from(s).map_err(|_| StanzaParseError::BadJid(name)))
        .transpose()
}

/// The child elements, moved out of `el` (character data directly in a stanza is dropped).
fn child_elements(mut el: Element) -> impl Iterator<Item = Element> {
    el.take_nodes().into_iter().filter_map(|n| match n {
        crate::xml::Node::Element(e) => Some(e),
        crate::xml::Node::Text(_) => None,
    })
}

pub(crate) fn is_content_ns(ns: &str) -> bool {
    ns == NS_CLIENT || ns == NS_COMPONENT || ns == "jabber:server"
}

fn put_common(el: &mut Element, from: &Option<Jid>, to: &Option<Jid>, id: &Option<String>) {
    if let Some(f) = from {
        el.set_attr("from", f.as_str());
    }
    if let Some(t) = to {
        el.set_attr("to", t.as_str());
    }
    if let Some(i) = id {
        el.set_attr("id", i.as_str());
    }
}

/// The type of an iq (RFC 6120 §8.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IqType {
    /// A request for information.
    Get,
    /// A request that provides data or sets a value.
    Set,
    /// A successful response.
    Result,
    /// An error response.
    Error,
}

impl IqType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Set => "set",
            Self::Result => "result",
            Self::Error => "error",
        }
    }

    /// True for get and set.
    pub fn is_request(self) -> bool {
        matches!(self, Self::Get | Self::Set)
    }
}

/// An `<iq/>` stanza (RFC 6120 §8.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iq {
    /// The `id` attribute (required).
    pub id: String,
    /// Sender.
    pub from: Option<Jid>,
    /// Recipient.
    pub to: Option<Jid>,
    /// Type.
    pub iq_type: IqType,
    /// The payload child (request payload, or the result payload if any).
    pub payload: Option<Element>,
    /// The error, for type `error`.
    pub error: Option<StanzaError>,
}

impl Iq {
    /// A get or set request.
    pub fn request(
        iq_type: IqType,
        id: impl Into<String>,
        to: Option<Jid>,
        payload: Element,
    ) -> Self {
        Self {
            id: id.into(),
            from: None,
            to,
            iq_type,
            payload: Some(payload),
            error: None,
        }
    }

    /// The result answering `req` (addressed back to its sender).
    pub fn result_for(req: &Iq, payload: Option<Element>) -> Self {
        // [RFC 6120 §8.2.3] "An IQ stanza of type "result" MUST include zero or one child
        // elements"
        Self {
            id: req.id.clone(),
            from: None,
            to: req.from.clone(),
            iq_type: IqType::Result,
            payload,
            error: None,
        }
    }

    /// The error answering `req`.
    pub fn error_for(req: &Iq, error: StanzaError) -> Self {
        Self {
            id: req.id.clone(),
            from: None,
            to: req.from.clone(),
            iq_type: IqType::Error,
            payload: None,
            error: Some(error),
        }
    }

    /// The payload element, if any.
    pub fn payload(&self) -> Option<&Element> {
        self.payload.as_ref()
    }

    /// The stanza as an element in content namespace `ns`.
    pub fn to_element(&self, ns: &str) -> Element {
        let mut el = Element::new("iq", ns);
        put_common(&mut el, &self.from, &self.to, &Some(self.id.clone()));
        el.set_attr("type", self.iq_type.as_str());
        if let Some(p) = &self.payload {
            el.push_child(p.clone());
        }
        if let Some(e) = &self.error {
            el.push_child(e.to_element(ns));
        }
        el
    }

    fn from_el(mut el: Element) -> Result<Self, StanzaParseError> {
        let from = jid_attr(&mut el, "from")?;
        let to = jid_attr(&mut el, "to")?;
        // [RFC 6120 §8.2.3] "The 'id' attribute is REQUIRED for IQ stanzas."
        let id = el.remove_attr("id").ok_or(StanzaParseError::IqWithoutId)?;
        // [RFC 6120 §8.2.3] "The 'type' attribute is REQUIRED for IQ stanzas."
        let iq_type = match el.attr("type") {
            Some("get") => IqType::Get,
            Some("set") => IqType::Set,
            Some("result") => IqType::Result,
            Some("error") => IqType::Error,
            _ => return Err(StanzaParseError::BadType("iq")),
        };
        let ns = std::sync::Arc::clone(el.ns_shared());
        let mut payload = None;
        let mut error = None;
        let mut count = 0;
        for c in child_elements(el) {
            if iq_type == IqType::Error && c.is("error", &ns) {
                error = Some(StanzaError::from_element(&c));
            } else {
                count += 1;
                if payload.is_none() {
                    payload = Some(c);
                }
            }
        }
        // [RFC 6120 §8.2.3] "An IQ stanza of type "get" or "set" MUST contain exactly one
        // child element"
        if iq_type.is_request() && count != 1 {
            return Err(StanzaParseError::IqPayloadCount);
        }
        if iq_type == IqType::Error && error.is_none() {
            return Err(StanzaParseError::MissingError);
        }
        Ok(Self {
            id,
            from,
            to,
            iq_type,
            payload,
            error,
        })
    }
}

/// The type of a message (RFC 6121 §5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageType {
    /// One-to-one chat.
    Chat,
    /// An error reply.
    Error,
    /// Multi-user chat.
    Groupchat,
    /// An alert or notification.
    Headline,
    /// A standalone message (the default).
    Normal,
}

impl MessageType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Error => "error",
            Self::Groupchat => "groupchat",
            Self::Headline => "headline",
            Self::Normal => "normal",
        }
    }
}

/// A `<message/>` stanza (RFC 6121 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Sender.
    pub from: Option<Jid>,
    /// Recipient.
    pub to: Option<Jid>,
    /// Stanza id.
    pub id: Option<String>,
    /// Type.
    pub message_type: MessageType,
    /// The first `<body/>`.
    pub body: Option<String>,
    /// The first `<subject/>`.
    pub subject: Option<String>,
    /// The `<thread/>` identifier and its parent, if any (RFC 6121 §5.2.5).
    pub thread: Option<(String, Option<String>)>,
    /// The error, for type `error`.
    pub error: Option<StanzaError>,
    /// Every other child element (extensions), in order.
    pub extensions: Vec<Element>,
}

impl Message {
    /// A message of type `chat` with a body.
    pub fn chat(to: Jid, body: impl Into<String>) -> Self {
        Self {
            from: None,
            to: Some(to),
            id: None,
            // [RFC 6121 §5.1] "the message type generated by the user's client SHOULD be "chat""
            message_type: MessageType::Chat,
            body: Some(body.into()),
            subject: None,
            thread: None,
            error: None,
            extensions: Vec::new(),
        }
    }

    /// The stanza as an element in content namespace `ns`.
    pub fn to_element(&self, ns: &str) -> Element {
        let mut el = Element::new("message", ns);
        put_common(&mut el, &self.from, &self.to, &self.id);
        // [RFC 6121 §5.2.2] "If an application receives a message with no 'type' attribute or
        // the application does not understand the value of the 'type' attribute provided, it
        // MUST consider the message to be of type "normal""
        if self.message_type != MessageType::Normal {
            el.set_attr("type", self.message_type.as_str());
        }
        if let Some(s) = &self.subject {
            el.push_child(Element::new("subject", ns).with_text(s.as_str()));
        }
        if let Some(b) = &self.body {
            el.push_child(Element::new("body", ns).with_text(b.as_str()));
        }
        if let Some((t, parent)) = &self.thread {
            let mut th = Element::new("thread", ns).with_text(t.as_str());
            if let Some(p) = parent {
                th.set_attr("parent", p.as_str());
            }
            el.push_child(th);
        }
        if let Some(e) = &self.error {
            el.push_child(e.to_element(ns));
        }
        for x in &self.extensions {
            el.push_child(x.clone());
        }
        el
    }

    fn from_el(mut el: Element) -> Result<Self, StanzaParseError> {
        let ns = std::sync::Arc::clone(el.ns_shared());
        let message_type = match el.attr("type") {
            Some("chat") => MessageType::Chat,
            Some("error") => MessageType::Error,
            Some("groupchat") => MessageType::Groupchat,
            Some("headline") => MessageType::Headline,
            // [RFC 6121 §5.2.2] "MUST consider the message to be of type "normal""
            _ => MessageType::Normal,
        };
        let mut m = Self {
            from: jid_attr(&mut el, "from")?,
            to: jid_attr(&mut el, "to")?,
            id: el.remove_attr("id"),
            message_type,
            body: None,
            subject: None,
            thread: None,
            error: None,
            extensions: Vec::new(),
        };
        for c in child_elements(el) {
            m.add_child(c, &ns);
        }
        Ok(m)
    }

    /// Files one child element of a `<message/>` in content namespace `ns`.
    fn add_child(&mut self, mut c: Element, ns: &str) {
        match (c.name(), c.ns() == ns) {
            ("body", true) if self.body.is_none() => self.body = Some(c.take_text()),
            ("subject", true) if self.subject.is_none() => self.subject = Some(c.take_text()),
            ("thread", true) if self.thread.is_none() => {
                self.thread = Some((c.take_text(), c.remove_attr("parent")))
            }
            ("error", true) if self.message_type == MessageType::Error => {
                self.error = Some(StanzaError::from_element(&c))
            }
            _ => self.extensions.push(c),
        }
    }
}

/// The type of a presence stanza (RFC 6121 §4.7.1.1 and §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresenceType {
    /// No type: the sender is available.
    Available,
    /// The sender is no longer available.
    Unavailable,
    /// A request to subscribe to the recipient's presence.
    Subscribe,
    /// The subscription request is approved.
    Subscribed,
    /// A request to unsubscribe.
    Unsubscribe,
    /// The subscription is denied or cancelled.
    Unsubscribed,
    /// A request for the current presence (servers only).
    Probe,
    /// An error.
    Error,
}

impl PresenceType {
    /// The attribute value (`None` for available).
    pub fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Self::Available => return None,
            Self::Unavailable => "unavailable",
            Self::Subscribe => "subscribe",
            Self::Subscribed => "subscribed",
            Self::Unsubscribe => "unsubscribe",
            Self::Unsubscribed => "unsubscribed",
            Self::Probe => "probe",
            Self::Error => "error",
        })
    }
}

/// The `<show/>` availability sub-state (RFC 6121 §4.7.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Show {
    /// Temporarily away.
    Away,
    /// Actively interested in chatting.
    Chat,
    /// Do not disturb.
    Dnd,
    /// Away for an extended period.
    Xa,
}

impl Show {
    /// The element text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Away => "away",
            Self::Chat => "chat",
            Self::Dnd => "dnd",
            Self::Xa => "xa",
        }
    }
}

/// A `<presence/>` stanza (RFC 6121 §3, §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Sender.
    pub from: Option<Jid>,
    /// Recipient (none for a broadcast).
    pub to: Option<Jid>,
    /// Stanza id.
    pub id: Option<String>,
    /// Type.
    pub presence_type: PresenceType,
    /// Availability sub-state.
    pub show: Option<Show>,
    /// Status text.
    pub status: Option<String>,
    /// Priority, -128..=127 (RFC 6121 §4.7.2.3), 0 when absent.
    pub priority: i8,
    /// The error, for type `error`.
    pub error: Option<StanzaError>,
    /// Every other child element (extensions), in order.
    pub extensions: Vec<Element>,
}

impl Presence {
    /// A presence of `presence_type` to `to` (or a broadcast when `None`).
    pub fn new(presence_type: PresenceType, to: Option<Jid>) -> Self {
        Self {
            from: None,
            to,
            id: None,
            presence_type,
            show: None,
            status: None,
            priority: 0,
            error: None,
            extensions: Vec::new(),
        }
    }

    /// The stanza as an element in content namespace `ns`.
    pub fn to_element(&self, ns: &str) -> Element {
        let mut el = Element::new("presence", ns);
        put_common(&mut el, &self.from, &self.to, &self.id);
        if let Some(t) = self.presence_type.as_str() {
            el.set_attr("type", t);
        }
        if let Some(s) = self.show {
            el.push_child(Element::new("show", ns).with_text(s.as_str()));
        }
        if let Some(s) = &self.status {
            el.push_child(Element::new("status", ns).with_text(s.as_str()));
        }
        if self.priority != 0 {
            el.push_child(Element::new("priority", ns).with_text(self.priority.to_string()));
        }
        if let Some(e) = &self.error {
            el.push_child(e.to_element(ns));
        }
        for x in &self.extensions {
            el.push_child(x.clone());
        }
        el
    }

    fn from_el(mut el: Element) -> Result<Self, StanzaParseError> {
        let ns = std::sync::Arc::clone(el.ns_shared());
        let presence_type = match el.attr("type") {
            None => PresenceType::Available,
            Some("unavailable") => PresenceType::Unavailable,
            Some("subscribe") => PresenceType::Subscribe,
            Some("subscribed") => PresenceType::Subscribed,
            Some("unsubscribe") => PresenceType::Unsubscribe,
            Some("unsubscribed") => PresenceType::Unsubscribed,
            Some("probe") => PresenceType::Probe,
            Some("error") => PresenceType::Error,
            Some(_) => return Err(StanzaParseError::BadType("presence")),
        };
        let mut p = Self::new(presence_type, jid_attr(&mut el, "to")?);
        p.from = jid_attr(&mut el, "from")?;
        p.id = el.remove_attr("id");
        for c in child_elements(el) {
            p.add_child(c, &ns);
        }
        Ok(p)
    }

    fn show(text: &str) -> Option<Show> {
        match text {
            "away" => Some(Show::Away),
            "chat" => Some(Show::Chat),
            "dnd" => Some(Show::Dnd),
            "xa" => Some(Show::Xa),
            _ => None,
        }
    }

    /// Files one child element of a `<presence/>` in content namespace `ns`.
    fn add_child(&mut self, mut c: Element, ns: &str) {
        let p = self;
        let presence_type = p.presence_type;
        {
            match (c.name(), c.ns() == ns) {
                ("show", true) => p.show = Self::show(c.text_trimmed()),
                ("status", true) if p.status.is_none() => p.status = Some(c.take_text()),
                // [RFC 6121 §4.7.2.3] "The value MUST be an integer between -128 and +127."
                // [RFC 6121 §4.7.2.3] "If no priority is provided, the processing server or client
                // MUST consider the priority to be zero"
                ("priority", true) => p.priority = c.text_trimmed().parse().unwrap_or(0),
                ("error", true) if presence_type == PresenceType::Error => {
                    p.error = Some(StanzaError::from_element(&c))
                }
                _ => p.extensions.push(c),
            }
        }
    }
}

/// One stanza of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stanza {
    /// `<message/>`
    Message(Message),
    /// `<presence/>`
    Presence(Presence),
    /// `<iq/>`
    Iq(Iq),
}

impl Stanza {
    /// The stanza as an element in content namespace `ns`.
    pub fn to_element(&self, ns: &str) -> Element {
        match self {
            Self::Message(m) => m.to_element(ns),
            Self::Presence(p) => p.to_element(ns),
            Self::Iq(i) => i.to_element(ns),
        }
    }
}

/// Why bytes are not a stanza: the XML or the stanza rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StanzaReadError {
    /// The bytes are not well-formed restricted XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The element is not a valid stanza.
    #[error(transparent)]
    Stanza(#[from] StanzaParseError),
}

impl Stanza {
    /// Parses one stanza from its bytes (no stream around it), with the
    /// default [`Limits`].
    ///
    /// The result is the same as [`Element::parse`] then
    /// [`Stanza::try_from`]; stanzas of the common shape are read in one
    /// pass without building the generic tree for the stanza itself, its
    /// text children and its childless extensions (see `xml::shallow`);
    /// anything else takes the generic path.
    ///
    /// ```
    /// use rtclite_xmpp::stanza::Stanza;
    /// let s = Stanza::parse(b"<message xmlns='jabber:client' to='romeo@example.net' type='chat'><body>hi</body></message>").unwrap();
    /// let Stanza::Message(m) = s else { panic!() };
    /// assert_eq!(m.body.as_deref(), Some("hi"));
    /// ```
    pub fn parse(input: &[u8]) -> Result<Self, StanzaReadError> {
        if let Some((root, b)) =
            shallow::parse_standalone(input, Limits::default(), Building::start)
        {
            // The XML is well-formed (the generic parse gives the same
            // element), so only the stanza rules are left to decide.
            return Ok(b.finish(root)?);
        }
        Ok(Self::try_from(Element::parse(input)?)?)
    }

    /// The one-level parse of the first-level element at `input[pos]` on a
    /// stream whose default namespace is `scope_ns`: the stanza (or the
    /// stanza rule it breaks) and the position after it; `None` when the
    /// generic path must decide.
    pub(crate) fn parse_at(
        input: &str,
        pos: usize,
        limits: Limits,
        scope_ns: &Arc<str>,
    ) -> Option<(Result<Self, StanzaParseError>, usize)> {
        let (root, b, end) = shallow::parse(input, pos, limits, scope_ns, Building::start)?;
        Some((b.finish(root), end))
    }
}

/// A stanza being filled by the one-level parse.
enum Building {
    Message(Message),
    /// The presence, and the type error found on the root (reported after
    /// the XML has been read, as the generic path does).
    Presence(Presence, Option<StanzaParseError>),
    Iq {
        iq_type: Option<IqType>,
        payload: Option<Element>,
        error: Option<StanzaError>,
        count: usize,
    },
}

impl Building {
    /// The stanza to fill for `root`, if it is one.
    fn start(root: &Root<'_>) -> Option<Self> {
        if !is_content_ns(&root.ns) {
            return None;
        }
        Some(match root.name {
            "message" => Self::Message(Message {
                from: None,
                to: None,
                id: None,
                message_type: match root.ty.as_deref() {
                    Some("chat") => MessageType::Chat,
                    Some("error") => MessageType::Error,
                    Some("groupchat") => MessageType::Groupchat,
                    Some("headline") => MessageType::Headline,
                    // [RFC 6121 §5.2.2] "MUST consider the message to be of type "normal""
                    _ => MessageType::Normal,
                },
                body: None,
                subject: None,
                thread: None,
                error: None,
                extensions: Vec::new(),
            }),
            "presence" => {
                let (presence_type, err) = match root.ty.as_deref() {
                    None => (PresenceType::Available, None),
                    Some("unavailable") => (PresenceType::Unavailable, None),
                    Some("subscribe") => (PresenceType::Subscribe, None),
                    Some("subscribed") => (PresenceType::Subscribed, None),
                    Some("unsubscribe") => (PresenceType::Unsubscribe, None),
                    Some("unsubscribed") => (PresenceType::Unsubscribed, None),
                    Some("probe") => (PresenceType::Probe, None),
                    Some("error") => (PresenceType::Error, None),
                    Some(_) => (
                        PresenceType::Available,
                        Some(StanzaParseError::BadType("presence")),
                    ),
                };
                Self::Presence(Presence::new(presence_type, None), err)
            }
            "iq" => Self::Iq {
                iq_type: match root.ty.as_deref() {
                    Some("get") => Some(IqType::Get),
                    Some("set") => Some(IqType::Set),
                    Some("result") => Some(IqType::Result),
                    Some("error") => Some(IqType::Error),
                    _ => None,
                },
                payload: None,
                error: None,
                count: 0,
            },
            _ => return None,
        })
    }

    /// The stanza, checked in the order [`Stanza::try_from`] checks it.
    fn finish(self, root: Root<'_>) -> Result<Stanza, StanzaParseError> {
        match self {
            Self::Message(mut m) => {
                m.from = jid_value(root.from, "from")?;
                m.to = jid_value(root.to, "to")?;
                m.id = root.id.map(Cow::into_owned);
                Ok(Stanza::Message(m))
            }
            Self::Presence(mut p, err) => {
                if let Some(e) = err {
                    return Err(e);
                }
                p.to = jid_value(root.to, "to")?;
                p.from = jid_value(root.from, "from")?;
                p.id = root.id.map(Cow::into_owned);
                Ok(Stanza::Presence(p))
            }
            Self::Iq {
                iq_type,
                payload,
                error,
                count,
            } => {
                let from = jid_value(root.from, "from")?;
                let to = jid_value(root.to, "to")?;
                let id = root.id.ok_or(StanzaParseError::IqWithoutId)?.into_owned();
                let iq_type = iq_type.ok_or(StanzaParseError::BadType("iq"))?;
                if iq_type.is_request() && count != 1 {
                    return Err(StanzaParseError::IqPayloadCount);
                }
                if iq_type == IqType::Error && error.is_none() {
                    return Err(StanzaParseError::MissingError);
                }
                Ok(Stanza::Iq(Iq {
                    id,
                    from,
                    to,
                    iq_type,
                    payload,
                    error,
                }))
            }
        }
    }
}

impl<'a> Sink<'a> for Building {
    fn leaf(&mut self, name: &'a str, text: Cow<'a, str>, ns: &Arc<str>) {
        match self {
            Self::Message(m) => match name {
                "body" if m.body.is_none() => m.body = Some(text.into_owned()),
                "subject" if m.subject.is_none() => m.subject = Some(text.into_owned()),
                "thread" if m.thread.is_none() => m.thread = Some((text.into_owned(), None)),
                _ => m.add_child(shallow::leaf_element(name, text, ns), ns),
            },
            Self::Presence(p, _) => match name {
                "show" => p.show = Presence::show(text.trim()),
                "status" if p.status.is_none() => p.status = Some(text.into_owned()),
                "priority" => p.priority = text.trim().parse().unwrap_or(0),
                _ => p.add_child(shallow::leaf_element(name, text, ns), ns),
            },
            Self::Iq { .. } => self.element(shallow::leaf_element(name, text, ns), ns),
        }
    }

    fn element(&mut self, el: Element, ns: &Arc<str>) {
        match self {
            Self::Message(m) => m.add_child(el, ns),
            Self::Presence(p, _) => p.add_child(el, ns),
            Self::Iq {
                iq_type,
                payload,
                error,
                count,
            } => {
                if *iq_type == Some(IqType::Error) && el.is("error", ns) {
                    *error = Some(StanzaError::from_element(&el));
                } else {
                    *count += 1;
                    if payload.is_none() {
                        *payload = Some(el);
                    }
                }
            }
        }
    }
}

fn jid_value(v: Option<Cow<'_, str>>, name: &'static str) -> Result<Option<Jid>, StanzaParseError> {
    v.map(|s| Jid::try_from(s.into_owned()).map_err(|_| StanzaParseError::BadJid(name)))
        .transpose()
}

impl TryFrom<Element> for Stanza {
    type Error = StanzaParseError;
    fn try_from(el: Element) -> Result<Self, StanzaParseError> {
        if !is_content_ns(el.ns()) {
            return Err(StanzaParseError::NotAStanza(
                el.name().chars().take(64).collect(),
            ));
        }
        match el.name() {
            "message" => Message::from_el(el).map(Self::Message),
            "presence" => Presence::from_el(el).map(Self::Presence),
            "iq" => Iq::from_el(el).map(Self::Iq),
            other => Err(StanzaParseError::NotAStanza(
                other.chars().take(64).collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // [RFC 6120 §8.2.3 test] "An IQ stanza of type "get" or "set" MUST contain exactly one
    // child element"
    #[test]
    fn iq_rules() {
        let ok = Element::parse(
            b"<iq xmlns='jabber:client' id='a' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
        )
        .unwrap();
        assert!(matches!(Stanza::try_from(ok), Ok(Stanza::Iq(_))));
        let two =
            Element::parse(b"<iq xmlns='jabber:client' id='a' type='get'><a/><b/></iq>").unwrap();
        assert_eq!(Stanza::try_from(two), Err(StanzaParseError::IqPayloadCount));
        let noid = Element::parse(b"<iq xmlns='jabber:client' type='get'><a/></iq>").unwrap();
        assert_eq!(Stanza::try_from(noid), Err(StanzaParseError::IqWithoutId));
    }

    #[test]
    fn message_round_trip() {
        let src = "<message xmlns='jabber:client' to='romeo@example.net' type='chat'><body>hi</body><thread parent='p'>t</thread><x xmlns='urn:x'/></message>";
        let el = Element::parse(src.as_bytes()).unwrap();
        let Ok(Stanza::Message(m)) = Stanza::try_from(el.clone()) else {
            panic!()
        };
        assert_eq!(m.body.as_deref(), Some("hi"));
        assert_eq!(m.thread, Some(("t".into(), Some("p".into()))));
        assert_eq!(m.to_element(NS_CLIENT), el);
    }

    // [RFC 6121 §5.2.2 test] "MUST consider the message to be of type "normal""
    #[test]
    fn unknown_message_type_is_normal() {
        let el = Element::parse(b"<message xmlns='jabber:client' type='bogus'/>").unwrap();
        let Ok(Stanza::Message(m)) = Stanza::try_from(el) else {
            panic!()
        };
        assert_eq!(m.message_type, MessageType::Normal);
    }
}
