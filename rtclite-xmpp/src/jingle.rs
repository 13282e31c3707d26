//! Jingle (XEP-0166) with the RTP application (XEP-0167) and the ICE-UDP
//! (XEP-0176) and raw-UDP (XEP-0177) transports: a typed model that reads
//! and writes the `<jingle/>` element, and the session state machine.
//!
//! The model keeps every child element it does not know (as [`Element`]), so
//! that extensions survive a read and a write; attributes it does not know
//! are dropped.
//!
//! ```
//! use rtclite_xmpp::jingle::{Action, Jingle};
//! use rtclite_xmpp::xml::Element;
//! let el = Element::parse(b"<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='a73sjjvkla37jfea'><reason><success/></reason></jingle>").unwrap();
//! let j = Jingle::from_element(&el).unwrap();
//! assert_eq!(j.action, Action::SessionTerminate);
//! assert_eq!(j.to_element(), el);
//! ```

use crate::error::{ErrorType, StanzaError, StanzaErrorCondition};
use crate::xml::Element;

/// Jingle namespace (XEP-0166).
pub const NS_JINGLE: &str = "urn:xmpp:jingle:1";
/// Jingle error conditions namespace (XEP-0166 §10).
pub const NS_JINGLE_ERRORS: &str = "urn:xmpp:jingle:errors:1";
/// RTP application namespace (XEP-0167).
pub const NS_RTP: &str = "urn:xmpp:jingle:apps:rtp:1";
/// RTP session-info namespace (XEP-0167 §7).
pub const NS_RTP_INFO: &str = "urn:xmpp:jingle:apps:rtp:info:1";
/// ICE-UDP transport namespace (XEP-0176).
pub const NS_ICE_UDP: &str = "urn:xmpp:jingle:transports:ice-udp:1";
/// Raw UDP transport namespace (XEP-0177).
pub const NS_RAW_UDP: &str = "urn:xmpp:jingle:transports:raw-udp:1";
/// XEP-0320 DTLS-SRTP fingerprint namespace.
pub const NS_DTLS: &str = "urn:xmpp:jingle:apps:dtls:0";

/// Most contents in one Jingle element.
pub const MAX_CONTENTS: usize = 32;
/// Most payload types or candidates in one description or transport.
pub const MAX_ITEMS: usize = 256;

/// Why a `<jingle/>` element is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JingleParseError {
    /// Not `<jingle xmlns='urn:xmpp:jingle:1'/>`.
    #[error("not a <jingle/> element in urn:xmpp:jingle:1")]
    NotJingle,
    /// A required attribute is missing (XEP-0166 §7.1, §7.3).
    #[error("<{element}/> lacks the required attribute '{attribute}' (XEP-0166 §7)")]
    Missing {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
    },
    /// An attribute has a value outside its allowed set or range.
    #[error("<{element}/> has an invalid '{attribute}' value (XEP-0166 §7)")]
    Invalid {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
    },
    /// More than [`MAX_CONTENTS`] contents or [`MAX_ITEMS`] items.
    #[error("too many contents, payload types or candidates")]
    TooMany,
}

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var,)*
        }
        impl $name {
            /// All values, in the order of the specification.
            pub const ALL: &'static [Self] = &[$(Self::$var,)*];
            /// The wire value.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$var => $s,)* }
            }
            /// The value named `s`.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$var),)* _ => None }
            }
        }
    };
}

str_enum! {
    /// The `action` attribute (XEP-0166 §7.2).
    Action {
        /// Accept a content-add.
        ContentAccept = "content-accept",
        /// Add contents.
        ContentAdd = "content-add",
        /// Change the direction (senders) of a content.
        ContentModify = "content-modify",
        /// Reject a content-add.
        ContentReject = "content-reject",
        /// Remove contents.
        ContentRemove = "content-remove",
        /// Informational message about the application format.
        DescriptionInfo = "description-info",
        /// Security-related information.
        SecurityInfo = "security-info",
        /// Accept the session.
        SessionAccept = "session-accept",
        /// Session-level informational message (ringing, hold, mute...).
        SessionInfo = "session-info",
        /// Request a new session.
        SessionInitiate = "session-initiate",
        /// End the session.
        SessionTerminate = "session-terminate",
        /// Accept a transport-replace.
        TransportAccept = "transport-accept",
        /// Exchange transport candidates.
        TransportInfo = "transport-info",
        /// Reject a transport-replace.
        TransportReject = "transport-reject",
        /// Replace the transport.
        TransportReplace = "transport-replace",
    }
}

str_enum! {
    /// Reason conditions (XEP-0166 §7.4).
    ReasonCondition {
        /// Another session is preferred.
        AlternativeSession = "alternative-session",
        /// Busy.
        Busy = "busy",
        /// The session was cancelled.
        Cancel = "cancel",
        /// Connectivity failed.
        ConnectivityError = "connectivity-error",
        /// The party declines.
        Decline = "decline",
        /// The session expired.
        Expired = "expired",
        /// Application failure.
        FailedApplication = "failed-application",
        /// Transport failure.
        FailedTransport = "failed-transport",
        /// General error.
        GeneralError = "general-error",
        /// The party is gone.
        Gone = "gone",
        /// Incompatible parameters.
        IncompatibleParameters = "incompatible-parameters",
        /// Media error.
        MediaError = "media-error",
        /// Security error.
        SecurityError = "security-error",
        /// The session ended normally.
        Success = "success",
        /// Timeout.
        Timeout = "timeout",
        /// Unsupported application.
        UnsupportedApplications = "unsupported-applications",
        /// Unsupported transport.
        UnsupportedTransports = "unsupported-transports",
    }
}

/// Who created a content (XEP-0166 §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creator {
    /// The initiator.
    Initiator,
    /// The responder.
    Responder,
}

str_enum! {
    /// Which parties send media for a content (XEP-0166 §7.3).
    Senders {
        /// Both parties.
        Both = "both",
        /// Only the initiator.
        Initiator = "initiator",
        /// Neither.
        None = "none",
        /// Only the responder.
        Responder = "responder",
    }
}

fn req<'a>(
    el: &'a Element,
    element: &'static str,
    attribute: &'static str,
) -> Result<&'a str, JingleParseError> {
    el.attr(attribute)
        .ok_or(JingleParseError::Missing { element, attribute })
}

fn num<T: std::str::FromStr>(
    el: &Element,
    element: &'static str,
    attribute: &'static str,
) -> Result<Option<T>, JingleParseError> {
    el.attr(attribute)
        .map(|v| {
            v.parse()
                .map_err(|_| JingleParseError::Invalid { element, attribute })
        })
        .transpose()
}

fn req_num<T: std::str::FromStr>(
    el: &Element,
    element: &'static str,
    attribute: &'static str,
) -> Result<T, JingleParseError> {
    num(el, element, attribute)?.ok_or(JingleParseError::Missing { element, attribute })
}

fn set_opt(el: &mut Element, name: &str, v: Option<impl ToString>) {
    if let Some(v) = v {
        el.set_attr(name, v.to_string());
    }
}

/// A `<reason/>` (XEP-0166 §7.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The condition.
    pub condition: ReasonCondition,
    /// The session id of an alternative session (`<alternative-session><sid/>`).
    pub alternative_sid: Option<String>,
    /// Human-readable text.
    pub text: Option<String>,
    /// Elements in other namespaces (more detailed reasons), in order.
    pub other: Vec<Element>,
}

impl Reason {
    /// A reason with only a condition.
    pub fn new(condition: ReasonCondition) -> Self {
        Self {
            condition,
            alternative_sid: None,
            text: None,
            other: Vec::new(),
        }
    }

    fn from_element(el: &Element) -> Result<Self, JingleParseError> {
        let mut condition = None;
        let mut r = Self::new(ReasonCondition::GeneralError);
        for c in el.children() {
            if c.ns() == NS_JINGLE {
                if c.name() == "text" {
                    r.text = Some(c.text());
                } else if let Some(cond) = ReasonCondition::from_name(c.name()) {
                    condition = Some(cond);
                    if cond == ReasonCondition::AlternativeSession {
                        r.alternative_sid = c.child("sid", NS_JINGLE).map(Element::text);
                    }
                } else {
                    r.other.push(c.clone());
                }
            } else {
                r.other.push(c.clone());
            }
        }
        // [XEP-0166 §7.4] "The <reason/> element MUST contain an element that provides
        // machine-readable information about the condition that prompted the action."
        r.condition = condition.ok_or(JingleParseError::Missing {
            element: "reason",
            attribute: "condition element",
        })?;
        Ok(r)
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("reason", NS_JINGLE);
        let mut c = Element::new(self.condition.as_str(), NS_JINGLE);
        if let Some(sid) = &self.alternative_sid {
            c.push_child(Element::new("sid", NS_JINGLE).with_text(sid.as_str()));
        }
        e.push_child(c);
        if let Some(t) = &self.text {
            e.push_child(Element::new("text", NS_JINGLE).with_text(t.as_str()));
        }
        for o in &self.other {
            e.push_child(o.clone());
        }
        e
    }
}

/// A `<payload-type/>` of the RTP application (XEP-0167 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadType {
    /// RTP payload type number.
    pub id: u8,
    /// Encoding name (required for dynamic types).
    pub name: Option<String>,
    /// Clock rate in Hz.
    pub clockrate: Option<u32>,
    /// Number of channels (absent means 1).
    pub channels: Option<u8>,
    /// Packet time in ms.
    pub ptime: Option<u32>,
    /// Maximum packet time in ms.
    pub maxptime: Option<u32>,
    /// Format parameters (`<parameter name value/>`), in order.
    pub parameters: Vec<(String, String)>,
    /// Other children (e.g. XEP-0293 rtcp-fb), in order.
    pub other: Vec<Element>,
}

impl PayloadType {
    /// A payload type with id, name and clock rate.
    pub fn new(id: u8, name: &str, clockrate: u32) -> Self {
        Self {
            id,
            name: Some(name.into()),
            clockrate: Some(clockrate),
            channels: None,
            ptime: None,
            maxptime: None,
            parameters: Vec::new(),
            other: Vec::new(),
        }
    }

    fn from_element(el: &Element) -> Result<Self, JingleParseError> {
        const E: &str = "payload-type";
        // The payload-type attribute table of XEP-0167 §5 marks 'id' REQUIRED.
        let id: u8 = req_num(el, E, "id")?;
        if id > 127 {
            return Err(JingleParseError::Invalid {
                element: E,
                attribute: "id",
            });
        }
        let mut p = Self {
            id,
            name: el.attr("name").map(str::to_owned),
            clockrate: num(el, E, "clockrate")?,
            channels: num(el, E, "channels")?,
            ptime: num(el, E, "ptime")?,
            maxptime: num(el, E, "maxptime")?,
            parameters: Vec::new(),
            other: Vec::new(),
        };
        for c in el.children() {
            if c.is("parameter", NS_RTP) {
                p.parameters.push((
                    req(c, "parameter", "name")?.to_owned(),
                    c.attr("value").unwrap_or_default().to_owned(),
                ));
            } else {
                p.other.push(c.clone());
            }
            if p.parameters.len() + p.other.len() > MAX_ITEMS {
                return Err(JingleParseError::TooMany);
            }
        }
        Ok(p)
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("payload-type", NS_RTP).with_attr("id", self.id.to_string());
        set_opt(&mut e, "name", self.name.as_ref());
        set_opt(&mut e, "clockrate", self.clockrate);
        set_opt(&mut e, "channels", self.channels);
        set_opt(&mut e, "ptime", self.ptime);
        set_opt(&mut e, "maxptime", self.maxptime);
        for (n, v) in &self.parameters {
            e.push_child(
                Element::new("parameter", NS_RTP)
                    .with_attr("name", n.as_str())
                    .with_attr("value", v.as_str()),
            );
        }
        for o in &self.other {
            e.push_child(o.clone());
        }
        e
    }
}

/// An RTP `<description/>` (XEP-0167 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpDescription {
    /// Media type (`audio`, `video`).
    pub media: String,
    /// The SSRC, when given.
    pub ssrc: Option<String>,
    /// Payload types in order of preference.
    pub payload_types: Vec<PayloadType>,
    /// `<bandwidth type='...'>value</bandwidth>`.
    pub bandwidth: Option<(String, String)>,
    /// `<rtcp-mux/>` present (XEP-0167 §6.2).
    pub rtcp_mux: bool,
    /// `<encryption/>` (XEP-0167 §7), kept as an element.
    pub encryption: Option<Element>,
    /// Other children (e.g. XEP-0294 header extensions), in order.
    pub other: Vec<Element>,
}

impl RtpDescription {
    /// An empty description for `media`.
    pub fn new(media: &str) -> Self {
        Self {
            media: media.into(),
            ssrc: None,
            payload_types: Vec::new(),
            bandwidth: None,
            rtcp_mux: false,
            encryption: None,
            other: Vec::new(),
        }
    }

    fn from_element(el: &Element) -> Result<Self, JingleParseError> {
        // XEP-0167 §5 marks the description's 'media' attribute REQUIRED.
        let mut d = Self::new(req(el, "description", "media")?);
        d.ssrc = el.attr("ssrc").map(str::to_owned);
        for c in el.children() {
            match (c.name(), c.ns() == NS_RTP) {
                ("payload-type", true) => d.payload_types.push(PayloadType::from_element(c)?),
                ("bandwidth", true) => {
                    d.bandwidth = Some((req(c, "bandwidth", "type")?.to_owned(), c.text()))
                }
                ("rtcp-mux", true) => d.rtcp_mux = true,
                ("encryption", true) => d.encryption = Some(c.clone()),
                _ => d.other.push(c.clone()),
            }
            if d.payload_types.len() + d.other.len() > MAX_ITEMS {
                return Err(JingleParseError::TooMany);
            }
        }
        Ok(d)
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("description", NS_RTP).with_attr("media", self.media.as_str());
        set_opt(&mut e, "ssrc", self.ssrc.as_ref());
        for p in &self.payload_types {
            e.push_child(p.to_element());
        }
        if let Some(enc) = &self.encryption {
            e.push_child(enc.clone());
        }
        if let Some((t, v)) = &self.bandwidth {
            e.push_child(
                Element::new("bandwidth", NS_RTP)
                    .with_attr("type", t.as_str())
                    .with_text(v.as_str()),
            );
        }
        if self.rtcp_mux {
            e.push_child(Element::new("rtcp-mux", NS_RTP));
        }
        for o in &self.other {
            e.push_child(o.clone());
        }
        e
    }
}

/// An application description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Description {
    /// XEP-0167 RTP.
    Rtp(RtpDescription),
    /// Any other application, kept as an element.
    Other(Element),
}

/// An ICE candidate (XEP-0176 §5.1 / §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCandidate {
    /// Component id (1 RTP, 2 RTCP).
    pub component: u8,
    /// Foundation.
    pub foundation: String,
    /// Generation.
    pub generation: u32,
    /// Candidate id.
    pub id: String,
    /// Address.
    pub ip: String,
    /// Network index.
    pub network: Option<u32>,
    /// Port.
    pub port: u16,
    /// Priority. ICE priorities are 32-bit (RFC 8445 §5.1.2), but the XEP-0176
    /// schema types it `xs:positiveInteger` and its own Example 5 carries
    /// 21149780477, so it is kept as 64-bit to read what peers write.
    pub priority: u64,
    /// Protocol (`udp`).
    pub protocol: String,
    /// Related address.
    pub rel_addr: Option<String>,
    /// Related port.
    pub rel_port: Option<u16>,
    /// Candidate type (`host`, `srflx`, `prflx`, `relay`).
    pub candidate_type: String,
}

impl IceCandidate {
    fn from_element(el: &Element) -> Result<Self, JingleParseError> {
        const E: &str = "candidate";
        Ok(Self {
            component: req_num(el, E, "component")?,
            foundation: req(el, E, "foundation")?.to_owned(),
            generation: req_num(el, E, "generation")?,
            id: req(el, E, "id")?.to_owned(),
            ip: req(el, E, "ip")?.to_owned(),
            network: num(el, E, "network")?,
            port: req_num(el, E, "port")?,
            priority: req_num(el, E, "priority")?,
            protocol: req(el, E, "protocol")?.to_owned(),
            rel_addr: el.attr("rel-addr").map(str::to_owned),
            rel_port: num(el, E, "rel-port")?,
            candidate_type: req(el, E, "type")?.to_owned(),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("candidate", NS_ICE_UDP)
            .with_attr("component", self.component.to_string())
            .with_attr("foundation", self.foundation.as_str())
            .with_attr("generation", self.generation.to_string())
            .with_attr("id", self.id.as_str())
            .with_attr("ip", self.ip.as_str());
        set_opt(&mut e, "network", self.network);
        e.set_attr("port", self.port.to_string());
        e.set_attr("priority", self.priority.to_string());
        e.set_attr("protocol", self.protocol.as_str());
        set_opt(&mut e, "rel-addr", self.rel_addr.as_ref());
        set_opt(&mut e, "rel-port", self.rel_port);
        e.set_attr("type", self.candidate_type.as_str());
        e
    }
}

/// An ICE-UDP `<transport/>` (XEP-0176).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IceUdpTransport {
    /// ICE username fragment.
    pub ufrag: Option<String>,
    /// ICE password.
    pub pwd: Option<String>,
    /// Candidates.
    pub candidates: Vec<IceCandidate>,
    /// Other children (remote-candidate, DTLS fingerprint...), in order.
    pub other: Vec<Element>,
}

/// The DTLS role of an endpoint: the SDP `a=setup` attribute (RFC 4145 §4,
/// RFC 5763 §5) as XEP-0320 carries it in `setup='...'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DtlsSetup {
    /// The endpoint initiates the DTLS handshake.
    Active,
    /// The endpoint waits for the handshake.
    Passive,
    /// Either (used in offers).
    Actpass,
}

impl DtlsSetup {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::Actpass => "actpass",
        }
    }

    /// Parses an attribute value; `holdconn` and unknown roles give `None`
    /// ([XEP-0320 §1] "no mapping for the 'holdconn' role is defined").
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "passive" => Some(Self::Passive),
            "actpass" => Some(Self::Actpass),
            _ => None,
        }
    }
}

/// A DTLS certificate fingerprint (XEP-0320 §1): the Jingle form of the SDP
/// `a=fingerprint` and `a=setup` attributes.
///
/// It travels as a child of the ICE-UDP `<transport/>`; see
/// [`IceUdpTransport::fingerprints`] and [`IceUdpTransport::push_fingerprint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsFingerprint {
    /// The hash function (`sha-256`, ...), as in the SDP `hash-func`.
    pub hash: String,
    /// The DTLS role, when given.
    pub setup: Option<DtlsSetup>,
    /// The fingerprint: upper-case hex byte pairs separated by colons.
    pub value: String,
}

impl DtlsFingerprint {
    /// Reads a `<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0'/>`; `None`
    /// for another element or one without a hash or a value.
    pub fn from_element(el: &Element) -> Option<Self> {
        if !el.is("fingerprint", NS_DTLS) {
            return None;
        }
        // [XEP-0320 §1] "Note that the whitespace would not appear in actual XML content."
        let value = el.text().trim().to_owned();
        let hash = el.attr("hash")?.to_owned();
        if value.is_empty() || hash.is_empty() {
            return None;
        }
        Some(Self {
            hash,
            setup: el.attr("setup").and_then(DtlsSetup::from_name),
            value,
        })
    }

    /// The `<fingerprint/>` element.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new("fingerprint", NS_DTLS).with_attr("hash", self.hash.as_str());
        if let Some(s) = self.setup {
            e.set_attr("setup", s.as_str());
        }
        e.with_text(self.value.as_str())
    }
}

impl IceUdpTransport {
    /// The XEP-0320 DTLS fingerprints among the transport's children.
    pub fn fingerprints(&self) -> Vec<DtlsFingerprint> {
        self.other
            .iter()
            .filter_map(DtlsFingerprint::from_element)
            .collect()
    }

    /// Adds a XEP-0320 DTLS fingerprint child (kept among [`IceUdpTransport::other`],
    /// so the transport round-trips unchanged).
    pub fn push_fingerprint(&mut self, fingerprint: &DtlsFingerprint) {
        self.other.push(fingerprint.to_element());
    }
}

/// A raw-UDP candidate (XEP-0177 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawUdpCandidate {
    /// Component id (1 RTP, 2 RTCP); XEP-0177 requires it, but XEP-0176
    /// Example 11 omits it, so a missing one is accepted.
    pub component: Option<u8>,
    /// Generation.
    pub generation: u32,
    /// Candidate id.
    pub id: String,
    /// Address.
    pub ip: String,
    /// Port.
    pub port: u16,
    /// Candidate type, when given.
    pub candidate_type: Option<String>,
}

/// A raw-UDP `<transport/>` (XEP-0177).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawUdpTransport {
    /// Candidates.
    pub candidates: Vec<RawUdpCandidate>,
}

/// A transport method.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// XEP-0176 ICE-UDP.
    IceUdp(IceUdpTransport),
    /// XEP-0177 raw UDP.
    RawUdp(RawUdpTransport),
    /// Any other transport, kept as an element.
    Other(Element),
}

impl Transport {
    fn from_element(el: &Element) -> Result<Self, JingleParseError> {
        if el.is("transport", NS_ICE_UDP) {
            let mut t = IceUdpTransport {
                ufrag: el.attr("ufrag").map(str::to_owned),
                pwd: el.attr("pwd").map(str::to_owned),
                ..Default::default()
            };
            for c in el.children() {
                if c.is("candidate", NS_ICE_UDP) {
                    t.candidates.push(IceCandidate::from_element(c)?);
                } else {
                    t.other.push(c.clone());
                }
                if t.candidates.len() + t.other.len() > MAX_ITEMS {
                    return Err(JingleParseError::TooMany);
                }
            }
            Ok(Self::IceUdp(t))
        } else if el.is("transport", NS_RAW_UDP) {
            let mut t = RawUdpTransport::default();
            for c in el.children().filter(|c| c.is("candidate", NS_RAW_UDP)) {
                const E: &str = "candidate";
                // The candidate attributes that the XEP-0177 schema marks required are enforced.
                t.candidates.push(RawUdpCandidate {
                    component: num(c, E, "component")?,
                    generation: req_num(c, E, "generation")?,
                    id: req(c, E, "id")?.to_owned(),
                    ip: req(c, E, "ip")?.to_owned(),
                    port: req_num(c, E, "port")?,
                    candidate_type: c.attr("type").map(str::to_owned),
                });
                if t.candidates.len() > MAX_ITEMS {
                    return Err(JingleParseError::TooMany);
                }
            }
            Ok(Self::RawUdp(t))
        } else {
            Ok(Self::Other(el.clone()))
        }
    }

    fn to_element(&self) -> Element {
        match self {
            Self::IceUdp(t) => {
                let mut e = Element::new("transport", NS_ICE_UDP);
                set_opt(&mut e, "pwd", t.pwd.as_ref());
                set_opt(&mut e, "ufrag", t.ufrag.as_ref());
                // Other children (a XEP-0320 fingerprint, a remote-candidate) come
                // first, as the XEP-0320 examples write them (no XEP-0176 example
                // mixes the two).
                for o in &t.other {
                    e.push_child(o.clone());
                }
                for c in &t.candidates {
                    e.push_child(c.to_element());
                }
                e
            }
            Self::RawUdp(t) => {
                let mut e = Element::new("transport", NS_RAW_UDP);
                for c in &t.candidates {
                    let mut ce = Element::new("candidate", NS_RAW_UDP);
                    set_opt(&mut ce, "component", c.component);
                    let mut ce = ce
                        .with_attr("generation", c.generation.to_string())
                        .with_attr("id", c.id.as_str())
                        .with_attr("ip", c.ip.as_str())
                        .with_attr("port", c.port.to_string());
                    set_opt(&mut ce, "type", c.candidate_type.as_ref());
                    e.push_child(ce);
                }
                e
            }
            Self::Other(e) => e.clone(),
        }
    }
}

/// A `<content/>` (XEP-0166 §7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// Which party created the content.
    pub creator: Creator,
    /// Content name, unique per creator.
    pub name: String,
    /// Media direction; absent means both.
    pub senders: Option<Senders>,
    /// Content disposition (`session` by default).
    pub disposition: Option<String>,
    /// The application description.
    pub description: Option<Description>,
    /// The transport.
    pub transport: Option<Transport>,
    /// Other children (e.g. security), in order.
    pub other: Vec<Element>,
}

impl Content {
    /// A content created by `creator` named `name`, without description or transport.
    pub fn new(creator: Creator, name: &str) -> Self {
        Self {
            creator,
            name: name.into(),
            senders: None,
            disposition: None,
            description: None,
            transport: None,
            other: Vec::new(),
        }
    }

    /// The RTP description, if that is the application.
    pub fn rtp(&self) -> Option<&RtpDescription> {
        match &self.description {
            Some(Description::Rtp(d)) => Some(d),
            _ => None,
        }
    }

    fn from_element(el: &Element) -> Result<Self, JingleParseError> {
        const E: &str = "content";
        // [XEP-0166 §7.3] "The value of the 'creator' attribute for a given content type MUST
        // always match the party that originally generated the content type"
        let creator = match req(el, E, "creator")? {
            "initiator" => Creator::Initiator,
            "responder" => Creator::Responder,
            _ => {
                return Err(JingleParseError::Invalid {
                    element: E,
                    attribute: "creator",
                });
            }
        };
        let mut c = Self::new(creator, req(el, E, "name")?);
        c.senders = el
            .attr("senders")
            .map(|s| {
                Senders::from_name(s).ok_or(JingleParseError::Invalid {
                    element: E,
                    attribute: "senders",
                })
            })
            .transpose()?;
        c.disposition = el.attr("disposition").map(str::to_owned);
        for ch in el.children() {
            match ch.name() {
                "description" if c.description.is_none() => {
                    c.description = Some(if ch.ns() == NS_RTP {
                        Description::Rtp(RtpDescription::from_element(ch)?)
                    } else {
                        Description::Other(ch.clone())
                    });
                }
                "transport" if c.transport.is_none() => {
                    c.transport = Some(Transport::from_element(ch)?)
                }
                _ => c.other.push(ch.clone()),
            }
        }
        Ok(c)
    }

    fn to_element(&self) -> Element {
        let creator = match self.creator {
            Creator::Initiator => "initiator",
            Creator::Responder => "responder",
        };
        let mut e = Element::new("content", NS_JINGLE).with_attr("creator", creator);
        set_opt(&mut e, "disposition", self.disposition.as_ref());
        e.set_attr("name", self.name.as_str());
        set_opt(&mut e, "senders", self.senders.map(Senders::as_str));
        match &self.description {
            Some(Description::Rtp(d)) => e.push_child(d.to_element()),
            Some(Description::Other(d)) => e.push_child(d.clone()),
            None => {}
        }
        if let Some(t) = &self.transport {
            e.push_child(t.to_element());
        }
        for o in &self.other {
            e.push_child(o.clone());
        }
        e
    }
}

/// A `<jingle/>` element (XEP-0166 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jingle {
    /// The action.
    pub action: Action,
    /// The session id: [XEP-0166 §7.1] "A random session identifier generated by the initiator"
    pub sid: String,
    /// The initiator's full JID (session-initiate).
    pub initiator: Option<String>,
    /// The responder's full JID (session-accept).
    pub responder: Option<String>,
    /// Contents.
    pub contents: Vec<Content>,
    /// The reason (session-terminate and others).
    pub reason: Option<Reason>,
    /// Informational payloads (session-info) and any other children, in order.
    pub info: Vec<Element>,
}

impl Jingle {
    /// A Jingle element with no contents.
    pub fn new(action: Action, sid: impl Into<String>) -> Self {
        Self {
            action,
            sid: sid.into(),
            initiator: None,
            responder: None,
            contents: Vec::new(),
            reason: None,
            info: Vec::new(),
        }
    }

    /// Reads a `<jingle/>` element.
    pub fn from_element(el: &Element) -> Result<Self, JingleParseError> {
        if !el.is("jingle", NS_JINGLE) {
            return Err(JingleParseError::NotJingle);
        }
        const E: &str = "jingle";
        // The attribute table of XEP-0166 §7.1 marks 'action' and 'sid' REQUIRED.
        let action = Action::from_name(req(el, E, "action")?).ok_or(JingleParseError::Invalid {
            element: E,
            attribute: "action",
        })?;
        let mut j = Self::new(action, req(el, E, "sid")?);
        j.initiator = el.attr("initiator").map(str::to_owned);
        j.responder = el.attr("responder").map(str::to_owned);
        for c in el.children() {
            if c.is("content", NS_JINGLE) {
                if j.contents.len() >= MAX_CONTENTS {
                    return Err(JingleParseError::TooMany);
                }
                j.contents.push(Content::from_element(c)?);
            } else if c.is("reason", NS_JINGLE) && j.reason.is_none() {
                j.reason = Some(Reason::from_element(c)?);
            } else {
                if j.info.len() >= MAX_ITEMS {
                    return Err(JingleParseError::TooMany);
                }
                j.info.push(c.clone());
            }
        }
        Ok(j)
    }

    /// The `<jingle/>` element.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new("jingle", NS_JINGLE).with_attr("action", self.action.as_str());
        set_opt(&mut e, "initiator", self.initiator.as_ref());
        set_opt(&mut e, "responder", self.responder.as_ref());
        e.set_attr("sid", self.sid.as_str());
        for c in &self.contents {
            e.push_child(c.to_element());
        }
        if let Some(r) = &self.reason {
            e.push_child(r.to_element());
        }
        for i in &self.info {
            e.push_child(i.clone());
        }
        e
    }
}

/// A session-info payload of the RTP application (XEP-0167 §7).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpInfo {
    /// `<active/>`
    Active,
    /// `<hold/>`
    Hold,
    /// `<unhold/>`
    Unhold,
    /// `<mute creator name/>`
    Mute {
        /// Creator of the muted content.
        creator: Creator,
        /// Name of the muted content (all when absent).
        name: Option<String>,
    },
    /// `<unmute creator name/>`
    Unmute {
        /// Creator of the unmuted content.
        creator: Creator,
        /// Name of the unmuted content (all when absent).
        name: Option<String>,
    },
    /// `<ringing/>`
    Ringing,
}

impl RtpInfo {
    /// The payload element.
    pub fn to_element(&self) -> Element {
        let cr = |c: &Creator| {
            if *c == Creator::Initiator {
                "initiator"
            } else {
                "responder"
            }
        };
        match self {
            Self::Active => Element::new("active", NS_RTP_INFO),
            Self::Hold => Element::new("hold", NS_RTP_INFO),
            Self::Unhold => Element::new("unhold", NS_RTP_INFO),
            Self::Ringing => Element::new("ringing", NS_RTP_INFO),
            Self::Mute { creator, name } | Self::Unmute { creator, name } => {
                let n = if matches!(self, Self::Mute { .. }) {
                    "mute"
                } else {
                    "unmute"
                };
                let mut e = Element::new(n, NS_RTP_INFO).with_attr("creator", cr(creator));
                set_opt(&mut e, "name", name.as_ref());
                e
            }
        }
    }

    /// Reads a payload element; `None` when it is not an RTP info payload.
    pub fn from_element(el: &Element) -> Option<Self> {
        if el.ns() != NS_RTP_INFO {
            return None;
        }
        let creator = || {
            if el.attr("creator") == Some("responder") {
                Creator::Responder
            } else {
                Creator::Initiator
            }
        };
        Some(match el.name() {
            "active" => Self::Active,
            "hold" => Self::Hold,
            "unhold" => Self::Unhold,
            "ringing" => Self::Ringing,
            "mute" => Self::Mute {
                creator: creator(),
                name: el.attr("name").map(str::to_owned),
            },
            "unmute" => Self::Unmute {
                creator: creator(),
                name: el.attr("name").map(str::to_owned),
            },
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------------
// Session state machine

/// Our role in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We sent session-initiate.
    Initiator,
    /// We received session-initiate.
    Responder,
}

/// Session states (XEP-0166 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Initiated, not yet accepted.
    Pending,
    /// Accepted.
    Active,
    /// Terminated.
    Ended,
}

/// A Jingle-specific error condition (XEP-0166 §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JingleErrorCondition {
    /// The request cannot occur at this point in the state machine.
    OutOfOrder,
    /// The request is rejected because it was sent while the initiator was awaiting a reply on a similar request.
    TieBreak,
    /// The 'sid' attribute specifies a session that is unknown to the recipient.
    UnknownSession,
    /// The recipient does not support the informational payload of a session-info action.
    UnsupportedInfo,
}

/// A request the session refuses, with the stanza error to send back (XEP-0166 §10).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("jingle error {condition:?}: {stanza_error}")]
pub struct JingleError {
    /// The Jingle-specific condition.
    pub condition: JingleErrorCondition,
    /// The stanza error to return, with the Jingle condition as its application condition.
    pub stanza_error: Box<StanzaError>,
}

impl JingleError {
    /// The error for `condition`, with the stanza error XEP-0166 §10 pairs it with.
    pub fn new(condition: JingleErrorCondition) -> Self {
        let (t, c, n) = match condition {
            JingleErrorCondition::OutOfOrder => (
                ErrorType::Wait,
                StanzaErrorCondition::UnexpectedRequest,
                "out-of-order",
            ),
            JingleErrorCondition::TieBreak => (
                ErrorType::Cancel,
                StanzaErrorCondition::Conflict,
                "tie-break",
            ),
            JingleErrorCondition::UnknownSession => (
                ErrorType::Cancel,
                StanzaErrorCondition::ItemNotFound,
                "unknown-session",
            ),
            JingleErrorCondition::UnsupportedInfo => (
                ErrorType::Modify,
                StanzaErrorCondition::FeatureNotImplemented,
                "unsupported-info",
            ),
        };
        let mut stanza_error = StanzaError::new(t, c);
        stanza_error.application = Some(Element::new(n, NS_JINGLE_ERRORS));
        Self {
            condition,
            stanza_error: Box::new(stanza_error),
        }
    }
}

/// What an accepted Jingle request means for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The responder accepted (we are the initiator); contents as accepted.
    Accepted(Vec<Content>),
    /// The peer ended the session.
    Terminated(Option<Reason>),
    /// An RTP informational message (ringing, hold, mute...).
    Info(RtpInfo),
    /// An empty session-info (a ping of the session, XEP-0166 §6.8).
    Ping,
    /// Contents were added, removed or modified, or transport information arrived.
    Changed(Action, Vec<Content>),
}

/// One Jingle session (XEP-0166 §6), sans-IO: it validates incoming actions
/// against the state and produces the `<jingle/>` elements to send; the
/// caller wraps them in iq stanzas and acknowledges requests.
#[derive(Debug, Clone)]
pub struct Session {
    sid: String,
    role: Role,
    local: String,
    peer: String,
    state: SessionState,
    contents: Vec<Content>,
    /// Our requests that can collide with the same request from the peer
    /// (XEP-0166 §7.2.16), sent and not yet answered.
    outstanding: Vec<Action>,
}

/// How a session-initiate that crossed ours is resolved (XEP-0166 §7.2.16,
/// "No existing session").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitiateCollision {
    /// Not a collision: another peer, our session is no longer pending, or
    /// the contents are not functionally equivalent. Handle it as usual.
    NotACollision,
    /// Our session-initiate overrules theirs: answer theirs with this error
    /// (`<conflict/>` with `<tie-break/>`); our session goes on.
    OursWins(JingleError),
    /// Their session-initiate overrules ours: our session has ended (the
    /// peer answers ours with a tie-break error); accept or refuse theirs as
    /// any session-initiate ([`Session::from_initiate`]).
    TheirsWins,
}

/// Actions that both parties can send at the same time in one session, so
/// that a tie has to be broken (XEP-0166 §7.2.16, "Existing session").
fn can_tie(action: Action) -> bool {
    matches!(
        action,
        Action::ContentAdd
            | Action::ContentModify
            | Action::ContentRemove
            | Action::TransportReplace
            | Action::DescriptionInfo
            | Action::SecurityInfo
    )
}

/// The application types of the contents: (description namespace, media).
fn content_types(contents: &[Content]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = contents
        .iter()
        .map(|c| match &c.description {
            Some(Description::Rtp(d)) => (NS_RTP.to_owned(), d.media.clone()),
            Some(Description::Other(e)) => (e.ns().to_owned(), String::new()),
            None => (String::new(), String::new()),
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

impl Session {
    /// Starts a session as initiator; returns it and the session-initiate to send.
    pub fn initiate(
        sid: impl Into<String>,
        local: &str,
        peer: &str,
        contents: Vec<Content>,
    ) -> (Self, Jingle) {
        let sid = sid.into();
        let mut j = Jingle::new(Action::SessionInitiate, sid.clone());
        // [XEP-0166 §7.1] "When the Jingle action is "session-initiate", the &JINGLE; element
        // SHOULD possess an 'initiator' attribute that explicitly specifies the full JID of the
        // initiating entity"
        j.initiator = Some(local.to_owned());
        j.contents = contents.clone();
        let s = Self {
            sid,
            role: Role::Initiator,
            local: local.into(),
            peer: peer.into(),
            state: SessionState::Pending,
            contents,
            outstanding: Vec::new(),
        };
        (s, j)
    }

    /// Creates the responder side from a received session-initiate sent by `from`.
    pub fn from_initiate(local: &str, from: &str, j: &Jingle) -> Result<Self, JingleError> {
        if j.action != Action::SessionInitiate {
            return Err(JingleError::new(JingleErrorCondition::UnknownSession));
        }
        // [XEP-0166 §7.1] "In the absence of explicit rules for handling this case, the responder
        // SHOULD simply ignore the 'initiator' attribute and treat the 'from' JID as the initiating
        // entity."
        Ok(Self {
            sid: j.sid.clone(),
            role: Role::Responder,
            local: local.into(),
            peer: from.into(),
            state: SessionState::Pending,
            contents: j.contents.clone(),
            outstanding: Vec::new(),
        })
    }

    /// Resolves a session-initiate received from `from` while our own
    /// session-initiate is pending (XEP-0166 §7.2.16, "No existing session").
    ///
    /// When both carry functionally equivalent contents (the same
    /// application types and media) to each other, the one with the lower
    /// session id (byte order, RFC 4790 "i;octet") wins; with equal ids, the
    /// one sent by the lower JID. The loser ends: on [`InitiateCollision::TheirsWins`]
    /// this session is [`SessionState::Ended`].
    pub fn initiate_collision(&mut self, from: &str, theirs: &Jingle) -> InitiateCollision {
        if theirs.action != Action::SessionInitiate
            || self.role != Role::Initiator
            || self.state != SessionState::Pending
            || from != self.peer
            || content_types(&theirs.contents) != content_types(&self.contents)
        {
            return InitiateCollision::NotACollision;
        }
        // [XEP-0166 §7.2.16] "the action with the lower of the two session IDs MUST overrule
        // the other action"
        let ours_wins = match self.sid.as_bytes().cmp(theirs.sid.as_bytes()) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            // [XEP-0166 §7.2.16] "the action sent by the lower of the JabberIDs MUST overrule
            // the other action"
            std::cmp::Ordering::Equal => self.local.as_bytes() < from.as_bytes(),
        };
        if ours_wins {
            // [XEP-0166 §7.2.16] "the party that receives the session-initiate action with the
            // higher of the two session IDs MUST return a &conflict; error to the other party"
            InitiateCollision::OursWins(JingleError::new(JingleErrorCondition::TieBreak))
        } else {
            self.state = SessionState::Ended;
            InitiateCollision::TheirsWins
        }
    }

    /// Records a request we send in this session (a `<jingle/>` built by the
    /// caller, e.g. content-add or transport-replace), so that the same
    /// request arriving from the peer before ours is answered counts as a
    /// tie (XEP-0166 §7.2.16). Call [`Session::request_answered`] when the
    /// peer's iq result or error for it arrives.
    pub fn request_sent(&mut self, j: &Jingle) {
        if can_tie(j.action) && !self.outstanding.contains(&j.action) {
            self.outstanding.push(j.action);
        }
    }

    /// Answers a transport-replace received in this session: with `accept`,
    /// a transport-accept carrying the new transports (which replace those
    /// of the named contents), otherwise a transport-reject.
    pub fn answer_transport_replace(&mut self, replace: &Jingle, accept: bool) -> Jingle {
        // [XEP-0166 §7.2.15] "If the recipient wishes to use the new transport definition, it
        // MUST send a transport-accept action to the other party; if not, it MUST send a
        // transport-reject action to the other party."
        let action = if accept {
            Action::TransportAccept
        } else {
            Action::TransportReject
        };
        let mut j = Jingle::new(action, self.sid.clone());
        j.contents = replace.contents.clone();
        if accept {
            for new in &replace.contents {
                if let Some(c) = self
                    .contents
                    .iter_mut()
                    .find(|c| c.name == new.name && c.creator == new.creator)
                {
                    c.transport = new.transport.clone();
                }
            }
        }
        j
    }

    /// The peer answered (result or error) our request of `action`.
    pub fn request_answered(&mut self, action: Action) {
        self.outstanding.retain(|a| *a != action);
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The peer's JID (where every request goes).
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The contents as last negotiated.
    pub fn contents(&self) -> &[Content] {
        &self.contents
    }

    /// Accepts the session (responder only) with the given contents.
    pub fn accept(&mut self, contents: Vec<Content>) -> Result<Jingle, JingleError> {
        if self.role != Role::Responder || self.state != SessionState::Pending {
            return Err(JingleError::new(JingleErrorCondition::OutOfOrder));
        }
        let mut j = Jingle::new(Action::SessionAccept, self.sid.clone());
        // [XEP-0166 §7.1] "When the Jingle action is "session-accept", the &JINGLE; element SHOULD
        // possess a 'responder' attribute"
        j.responder = Some(self.local.clone());
        j.contents = contents.clone();
        self.contents = contents;
        self.state = SessionState::Active;
        Ok(j)
    }

    /// A session-info with an RTP payload (ringing, hold, mute...).
    pub fn info(&self, info: &RtpInfo) -> Jingle {
        let mut j = Jingle::new(Action::SessionInfo, self.sid.clone());
        j.info.push(info.to_element());
        j
    }

    /// Ends the session with a reason.
    pub fn terminate(&mut self, reason: Reason) -> Jingle {
        // [XEP-0166 §6.7] "As soon as an entity sends a session-terminate action, it MUST consider
        // the session to be in the ENDED state (even before receiving acknowledgement from the
        // other party)."
        self.state = SessionState::Ended;
        let mut j = Jingle::new(Action::SessionTerminate, self.sid.clone());
        // [XEP-0166 §6.7] "The party that terminates the session SHOULD include a <reason/> element"
        j.reason = Some(reason);
        j
    }

    /// Handles a Jingle request from `from` for this session. `Ok` means the
    /// caller acknowledges it with an iq result; `Err` carries the error to send.
    pub fn handle(&mut self, from: &str, j: &Jingle) -> Result<SessionEvent, JingleError> {
        if j.sid != self.sid || from != self.peer {
            return Err(JingleError::new(JingleErrorCondition::UnknownSession));
        }
        if self.state == SessionState::Ended {
            // [XEP-0166 §6.7] "If the terminating entity receives additional Jingle-related IQ-sets
            // from the other party after sending the session-terminate action, it MUST reply with
            // an <unknown-session/> error."
            return Err(JingleError::new(JingleErrorCondition::UnknownSession));
        }
        if self.outstanding.contains(&j.action) {
            // [XEP-0166 §7.2.16] "In the context of an existing session, the action sent by the
            // initiator MUST overrule the action sent by the responder"
            if self.role == Role::Initiator {
                // [XEP-0166 §7.2.16] "the initiator MUST return a &conflict; error to the
                // responder for the duplicate action"
                return Err(JingleError::new(JingleErrorCondition::TieBreak));
            }
            // Ours is overruled (the initiator answers it with a tie-break error):
            // [XEP-0166 §7.2.16] "both parties MUST accept the action sent by the initiator"
            self.outstanding.retain(|a| *a != j.action);
        }
        match j.action {
            Action::SessionAccept => {
                if self.role != Role::Initiator || self.state != SessionState::Pending {
                    return Err(JingleError::new(JingleErrorCondition::OutOfOrder));
                }
                self.state = SessionState::Active;
                self.contents = j.contents.clone();
                Ok(SessionEvent::Accepted(j.contents.clone()))
            }
            Action::SessionInitiate => Err(JingleError::new(JingleErrorCondition::OutOfOrder)),
            Action::SessionTerminate => {
                self.state = SessionState::Ended;
                Ok(SessionEvent::Terminated(j.reason.clone()))
            }
            Action::SessionInfo => {
                let Some(p) = j.info.first() else {
                    // [XEP-0166 §6.8] "If either party receives an empty session-info message for an
                    // active session, it MUST send an empty IQ result"
                    return Ok(SessionEvent::Ping);
                };
                // [XEP-0166 §6.8] "If the party that receives an informational message does not
                // understand the payload, it MUST return a &feature; error with a Jingle-specific
                // error condition of <unsupported-info/>."
                RtpInfo::from_element(p)
                    .map(SessionEvent::Info)
                    .ok_or(JingleError::new(JingleErrorCondition::UnsupportedInfo))
            }
            Action::ContentAdd
            | Action::ContentRemove
            | Action::ContentModify
            | Action::ContentAccept
            | Action::ContentReject => {
                if j.action == Action::ContentRemove {
                    self.contents.retain(|c| {
                        !j.contents
                            .iter()
                            .any(|r| r.name == c.name && r.creator == c.creator)
                    });
                } else if j.action == Action::ContentModify {
                    for m in &j.contents {
                        if let Some(c) = self
                            .contents
                            .iter_mut()
                            .find(|c| c.name == m.name && c.creator == m.creator)
                        {
                            c.senders = m.senders;
                        }
                    }
                }
                Ok(SessionEvent::Changed(j.action, j.contents.clone()))
            }
            a => Ok(SessionEvent::Changed(a, j.contents.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio() -> Vec<Content> {
        let mut d = RtpDescription::new("audio");
        d.payload_types.push(PayloadType::new(0, "PCMU", 8000));
        let mut c = Content::new(Creator::Initiator, "voice");
        c.description = Some(Description::Rtp(d));
        c.transport = Some(Transport::RawUdp(RawUdpTransport::default()));
        vec![c]
    }

    #[test]
    fn initiate_accept_terminate() {
        let (mut a, init) = Session::initiate(
            "s1",
            "romeo@montague.lit/orchard",
            "juliet@capulet.lit/balcony",
            audio(),
        );
        let mut b = Session::from_initiate(
            "juliet@capulet.lit/balcony",
            "romeo@montague.lit/orchard",
            &init,
        )
        .unwrap();
        assert_eq!(
            b.handle("romeo@montague.lit/orchard", &a.info(&RtpInfo::Ringing)),
            Ok(SessionEvent::Info(RtpInfo::Ringing))
        );
        let acc = b.accept(audio()).unwrap();
        assert!(matches!(
            a.handle("juliet@capulet.lit/balcony", &acc),
            Ok(SessionEvent::Accepted(_))
        ));
        assert_eq!(a.state(), SessionState::Active);
        // A second accept is out of order.
        assert_eq!(
            a.handle("juliet@capulet.lit/balcony", &acc)
                .unwrap_err()
                .condition,
            JingleErrorCondition::OutOfOrder
        );
        let term = a.terminate(Reason::new(ReasonCondition::Success));
        assert_eq!(
            b.handle("romeo@montague.lit/orchard", &term),
            Ok(SessionEvent::Terminated(Some(Reason::new(
                ReasonCondition::Success
            ))))
        );
        // [XEP-0166 §6.7 test] "it MUST reply with an <unknown-session/> error"
        assert_eq!(
            a.handle("juliet@capulet.lit/balcony", &acc)
                .unwrap_err()
                .condition,
            JingleErrorCondition::UnknownSession
        );
    }

    // [XEP-0166 §7.2.16 test] "the action with the lower of the two session IDs MUST overrule
    // the other action"
    #[test]
    fn crossed_session_initiates_lower_sid_wins() {
        let (romeo, juliet) = ("romeo@montague.lit/orchard", "juliet@capulet.lit/balcony");
        let (mut r, r_init) = Session::initiate("a73sjjvkla37jfea", romeo, juliet, audio());
        let (mut j, j_init) = Session::initiate("b73sjjvkla37jfea", juliet, romeo, audio());
        // Romeo's sid is lower: Romeo answers Juliet's with conflict + tie-break...
        let InitiateCollision::OursWins(e) = r.initiate_collision(juliet, &j_init) else {
            panic!()
        };
        assert_eq!(e.condition, JingleErrorCondition::TieBreak);
        assert_eq!(e.stanza_error.condition, StanzaErrorCondition::Conflict);
        assert_eq!(r.state(), SessionState::Pending);
        // ...and Juliet yields, then takes Romeo's as any session-initiate.
        assert_eq!(
            j.initiate_collision(romeo, &r_init),
            InitiateCollision::TheirsWins
        );
        assert_eq!(j.state(), SessionState::Ended);
        assert!(Session::from_initiate(juliet, romeo, &r_init).is_ok());
        // Equal sids: the lower JID ("juliet..." < "romeo...") wins.
        let (mut r2, _) = Session::initiate("same", romeo, juliet, audio());
        let (mut j2, j2_init) = Session::initiate("same", juliet, romeo, audio());
        let (_, r2_init) = Session::initiate("same", romeo, juliet, audio());
        assert_eq!(
            r2.initiate_collision(juliet, &j2_init),
            InitiateCollision::TheirsWins
        );
        assert!(matches!(
            j2.initiate_collision(romeo, &r2_init),
            InitiateCollision::OursWins(_)
        ));
    }

    #[test]
    fn not_a_collision() {
        let (mut r, _) = Session::initiate("a", "r@x/1", "j@x/1", audio());
        let mut video = audio();
        if let Some(Description::Rtp(d)) = &mut video[0].description {
            d.media = "video".into();
        }
        let (_, other_media) = Session::initiate("b", "j@x/1", "r@x/1", video);
        assert_eq!(
            r.initiate_collision("j@x/1", &other_media),
            InitiateCollision::NotACollision
        );
        let (_, from_eve) = Session::initiate("b", "eve@x/1", "r@x/1", audio());
        assert_eq!(
            r.initiate_collision("eve@x/1", &from_eve),
            InitiateCollision::NotACollision
        );
    }

    // [XEP-0166 §7.2.16 test] "both parties MUST accept the action sent by the initiator"
    #[test]
    fn crossed_content_adds_initiator_wins() {
        let (romeo, juliet) = ("r@x/1", "j@x/1");
        let (mut r, init) = Session::initiate("s", romeo, juliet, audio());
        let mut j = Session::from_initiate(juliet, romeo, &init).unwrap();
        let acc = j.accept(audio()).unwrap();
        r.handle(juliet, &acc).unwrap();
        let mut r_add = Jingle::new(Action::ContentAdd, "s");
        r_add.contents = audio();
        let mut j_add = Jingle::new(Action::ContentAdd, "s");
        j_add.contents = audio();
        r.request_sent(&r_add);
        j.request_sent(&j_add);
        // The initiator refuses the responder's duplicate with a tie-break...
        assert_eq!(
            r.handle(juliet, &j_add).unwrap_err().condition,
            JingleErrorCondition::TieBreak
        );
        // ...and the responder accepts the initiator's.
        assert!(matches!(
            j.handle(romeo, &r_add),
            Ok(SessionEvent::Changed(Action::ContentAdd, _))
        ));
        // Once answered, a later content-add from the peer is no tie.
        r.request_answered(Action::ContentAdd);
        assert!(r.handle(juliet, &j_add).is_ok());
        // transport-replace ties the same way; transport-info never does.
        let tr = Jingle::new(Action::TransportReplace, "s");
        r.request_sent(&tr);
        assert!(r.handle(juliet, &tr).is_err());
        let ti = Jingle::new(Action::TransportInfo, "s");
        r.request_sent(&ti);
        assert!(r.handle(juliet, &ti).is_ok());
    }

    // [XEP-0166 §7.2.15 test] "it MUST send a transport-accept action to the other party"
    #[test]
    fn transport_replace_answers() {
        let (mut r, init) = Session::initiate("s", "r@x/1", "j@x/1", audio());
        let mut j = Session::from_initiate("j@x/1", "r@x/1", &init).unwrap();
        r.handle("j@x/1", &j.accept(audio()).unwrap()).unwrap();
        let mut replace = Jingle::new(Action::TransportReplace, "s");
        let mut c = Content::new(Creator::Initiator, "voice");
        c.transport = Some(Transport::IceUdp(IceUdpTransport::default()));
        replace.contents.push(c);
        r.request_sent(&replace);
        assert!(j.handle("r@x/1", &replace).is_ok());
        let reject = j.answer_transport_replace(&replace, false);
        assert_eq!(reject.action, Action::TransportReject);
        assert!(matches!(
            j.contents()[0].transport,
            Some(Transport::RawUdp(_))
        ));
        let accept = j.answer_transport_replace(&replace, true);
        assert_eq!(accept.action, Action::TransportAccept);
        assert_eq!(accept.contents[0].name, "voice");
        assert!(matches!(
            j.contents()[0].transport,
            Some(Transport::IceUdp(_))
        ));
    }

    #[test]
    fn wrong_sender_is_unknown_session() {
        let (mut a, _) = Session::initiate("s1", "a@x/1", "b@x/1", audio());
        let acc = Jingle::new(Action::SessionAccept, "s1");
        assert_eq!(
            a.handle("eve@x/1", &acc).unwrap_err().condition,
            JingleErrorCondition::UnknownSession
        );
    }
}
