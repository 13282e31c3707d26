//! The client side of an XMPP stream (RFC 6120), sans-IO.
//!
//! [`Client`] negotiates the stream — STARTTLS (the IO layer runs TLS when
//! told to), SASL (SCRAM-SHA-256, SCRAM-SHA-1, PLAIN), resource binding,
//! XEP-0198 stream management — and then carries stanzas: it answers
//! XEP-0199 pings, XEP-0030 disco#info queries and RFC 6121 roster pushes by
//! itself, tracks the iq requests it sends until their response or timeout,
//! and sends whitespace keepalives (RFC 6120 §4.6.1).
//!
//! # Drive loop
//!
//! ```text
//! client.connect(now);
//! loop {
//!     while let Some(t) = client.poll_transmit() { socket.write_all(&t.data) }
//!     while let Some(ev) = client.poll_event() { match ev { Event::StartTls => /* wrap socket */, .. } }
//!     select! { bytes = socket.read() => client.handle_input(now, Input::Data(&bytes))?,
//!               _ = sleep_until(client.poll_timeout()) => client.handle_timeout(now) }
//! }
//! ```
//!
//! After [`Event::StartTls`] the IO layer must stop writing plaintext,
//! perform the TLS handshake on the same connection and then call
//! `handle_input(now, Input::TlsEstablished)`; the client restarts the stream.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::error::{
    ErrorType, StanzaError, StanzaErrorCondition, StreamError, StreamErrorCondition,
};
use crate::im::{NS_ROSTER, Roster, RosterItem};
use crate::jid::Jid;
use crate::sasl::{
    ChannelBinding, SaslError, ScramClient, ScramHash, plain_initial_response, prepare_password,
    prepare_username,
};
use crate::stanza::{
    Iq, IqType, Message, NS_CLIENT, Presence, PresenceType, Stanza, StanzaParseError,
};
use crate::xml::{
    Element, Limits, NS_STREAM, StreamHeader, StreamParser, TypedEvent, XmlError, XmlEvent,
};

/// STARTTLS namespace (RFC 6120 §5.4.1).
pub const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// SASL namespace (RFC 6120 §6.4.1).
pub const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// Resource binding namespace (RFC 6120 §7.1).
pub const NS_BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// The roster versioning stream feature (RFC 6121 §2.6.1).
pub const NS_ROSTER_VER: &str = "urn:xmpp:features:rosterver";
/// Legacy session establishment namespace (RFC 3921 §3, draft-cridland-xmpp-session).
pub const NS_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
/// XEP-0199 ping namespace.
pub const NS_PING: &str = "urn:xmpp:ping";
/// XEP-0030 disco#info namespace.
pub const NS_DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
/// XEP-0198 stream management namespace.
pub const NS_SM: &str = "urn:xmpp:sm:3";

/// Most iq requests awaiting a response at once.
pub const MAX_PENDING_IQS: usize = 1024;
/// Most unacknowledged stanzas kept for XEP-0198 resumption.
pub const MAX_UNACKED: usize = 4096;
/// Most events and transmits queued before the caller drains them.
pub const MAX_QUEUE: usize = 65536;

/// Whether STARTTLS is used (RFC 6120 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// Negotiate TLS; fail when the server does not offer it.
    Required,
    /// Negotiate TLS when offered.
    IfOffered,
    /// Never negotiate TLS (for loopback tests).
    Never,
}

/// A SASL mechanism the client can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mechanism {
    /// SCRAM-SHA-256-PLUS (RFC 7677): used only when the IO layer gave the
    /// channel binding data ([`Client::set_channel_binding`]).
    ScramSha256Plus,
    /// SCRAM-SHA-1-PLUS (RFC 5802 §6), under the same condition.
    ScramSha1Plus,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-1 (RFC 5802).
    ScramSha1,
    /// PLAIN (RFC 4616); only used over TLS unless [`ClientConfig::allow_plain_in_clear`].
    Plain,
}

impl Mechanism {
    /// The SASL name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Self::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::Plain => "PLAIN",
        }
    }

    /// The channel-binding variant of a SCRAM mechanism.
    fn plus(self) -> Option<Self> {
        match self {
            Self::ScramSha256 | Self::ScramSha256Plus => Some(Self::ScramSha256Plus),
            Self::ScramSha1 | Self::ScramSha1Plus => Some(Self::ScramSha1Plus),
            Self::Plain => None,
        }
    }

    fn is_plus(self) -> bool {
        matches!(self, Self::ScramSha256Plus | Self::ScramSha1Plus)
    }
}

/// Configuration of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The account; a resource in it is requested at bind time.
    pub jid: Jid,
    /// The password.
    pub password: String,
    /// Mechanisms in order of preference.
    pub mechanisms: Vec<Mechanism>,
    /// STARTTLS policy.
    pub tls: TlsPolicy,
    /// Permit PLAIN on a connection without TLS.
    pub allow_plain_in_clear: bool,
    /// How long an iq request waits for its response.
    pub iq_timeout: Duration,
    /// Send a whitespace keepalive after this much silence (None: never).
    pub keepalive: Option<Duration>,
    /// Enable XEP-0198 stream management when the server offers it.
    pub stream_management: bool,
    /// Extra features announced in disco#info answers (e.g. Jingle namespaces).
    pub features: Vec<String>,
    /// Seed of the generator for SCRAM nonces and stanza ids.
    pub seed: [u8; 32],
    /// XML limits.
    pub limits: Limits,
}

impl ClientConfig {
    /// A configuration with defaults: SCRAM-SHA-256, SCRAM-SHA-1 (their
    /// `-PLUS` variants when channel binding data is given), PLAIN;
    /// TLS if offered; 30 s iq timeout; 60 s keepalive; stream management on.
    pub fn new(jid: Jid, password: impl Into<String>, seed: [u8; 32]) -> Self {
        Self {
            jid,
            password: password.into(),
            mechanisms: vec![
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
            ],
            tls: TlsPolicy::IfOffered,
            allow_plain_in_clear: false,
            iq_timeout: Duration::from_secs(30),
            keepalive: Some(Duration::from_secs(60)),
            stream_management: true,
            features: Vec::new(),
            seed,
            limits: Limits::default(),
        }
    }
}

/// Input from the IO layer.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Input<'a> {
    /// Bytes read from the connection.
    Data(&'a [u8]),
    /// The TLS handshake requested by [`Event::StartTls`] completed.
    TlsEstablished,
    /// The connection was lost.
    Disconnected,
}

/// Bytes to write to the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The data, in order.
    pub data: Vec<u8>,
}

/// What the application must know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// Start TLS on the connection now, then feed [`Input::TlsEstablished`].
    StartTls,
    /// SASL succeeded with this mechanism.
    Authenticated(&'static str),
    /// The resource is bound: our full JID.
    Bound(Jid),
    /// The stream is ready for stanzas.
    Online,
    /// XEP-0198 is enabled; `resumable` tells whether resumption was granted.
    StreamManagementEnabled {
        /// Resumption was granted.
        resumable: bool,
    },
    /// A XEP-0198 resumption succeeded; unacknowledged stanzas were sent again.
    Resumed {
        /// How many stanzas were retransmitted.
        retransmitted: usize,
    },
    /// A message arrived.
    Message(Message),
    /// A presence arrived.
    Presence(Presence),
    /// An iq get/set the client does not answer itself; the application must
    /// answer it with [`Client::send_iq_response`].
    IqRequest(Iq),
    /// The response to an iq we sent.
    IqResponse {
        /// The id we sent.
        id: String,
        /// The result payload, or the error.
        result: Result<Option<Element>, StanzaError>,
    },
    /// No response to the iq `id` within [`ClientConfig::iq_timeout`].
    IqTimeout {
        /// The id we sent.
        id: String,
    },
    /// The roster (answer to [`Client::request_roster`]); `None` when the
    /// server says the cached version is current (RFC 6121 §2.6.3).
    Roster(Option<Roster>),
    /// A roster push (RFC 6121 §2.1.6), already acknowledged.
    RosterPush {
        /// The changed item.
        item: RosterItem,
        /// The new roster version, if versioning is in use.
        ver: Option<String>,
    },
    /// A first-level element that is not a valid stanza, ignored.
    Invalid(String),
    /// The stream is closed (by either side or by an error).
    Closed(Option<StreamError>),
}

/// Why the stream failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The peer sent bad XML; we sent a stream error and closed.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The peer sent a stream error.
    #[error("peer closed the stream: {0}")]
    Stream(StreamError),
    /// The SCRAM exchange failed on our side.
    #[error(transparent)]
    Sasl(#[from] SaslError),
    /// The server refused authentication (RFC 6120 §6.5).
    #[error("authentication failed: <{0}/> (RFC 6120 §6.5)")]
    AuthFailed(String),
    /// No offered mechanism is acceptable.
    #[error("no acceptable SASL mechanism offered (RFC 6120 §6.3.3)")]
    NoMechanism,
    /// TLS is required by policy but not offered, or the server failed it.
    #[error("TLS required but not available (RFC 6120 §5.3.1)")]
    TlsUnavailable,
    /// Resource binding failed.
    #[error("resource binding failed: {0} (RFC 6120 §7.6.2)")]
    BindFailed(Box<StanzaError>),
    /// The peer broke the negotiation protocol.
    #[error("protocol violation: {0}")]
    Protocol(&'static str),
    /// The stream is already closed.
    #[error("stream closed")]
    Closed,
}

#[derive(Debug)]
enum SaslState {
    Scram(ScramClient),
    Plain,
}

#[derive(Debug)]
enum State {
    Idle,
    AwaitHeader,
    AwaitFeatures,
    AwaitProceed,
    AwaitTls,
    Sasl(SaslState),
    AwaitBind,
    AwaitResume,
    Online,
    Closing,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Purpose {
    Bind,
    Session,
    Roster,
    User,
}

#[derive(Debug)]
struct Pending {
    id: String,
    deadline: Instant,
    purpose: Purpose,
}

#[derive(Debug, Default)]
struct Sm {
    enabled: bool,
    resume_id: Option<String>,
    inbound: u32,
    acked: u32,
    unacked: VecDeque<String>,
}

/// A client-to-server XMPP stream (RFC 6120), sans-IO.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    rng: ChaCha20Rng,
    parser: StreamParser,
    state: State,
    tls_active: bool,
    authenticated: bool,
    bound: Option<Jid>,
    stream_id: Option<String>,
    pending: Vec<Pending>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    last_sent: Option<Instant>,
    next_id: u64,
    sm: Sm,
    sm_offered: bool,
    /// Channel binding data from the IO layer (RFC 5802 §6).
    channel_binding: Option<ChannelBinding>,
    /// The server advertised roster versioning (RFC 6121 §2.6.1).
    roster_ver_offered: bool,
    session_required: bool,
}

impl Client {
    /// A client that has not connected yet.
    pub fn new(config: ClientConfig) -> Self {
        let rng = ChaCha20Rng::from_seed(config.seed);
        let parser = StreamParser::with_limits(config.limits);
        Self {
            config,
            rng,
            parser,
            state: State::Idle,
            tls_active: false,
            authenticated: false,
            bound: None,
            stream_id: None,
            pending: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            last_sent: None,
            next_id: 0,
            sm: Sm::default(),
            sm_offered: false,
            channel_binding: None,
            roster_ver_offered: false,
            session_required: false,
        }
    }

    /// Gives the channel binding of the TLS connection for SCRAM (RFC 5802
    /// §6): the IO layer calls it after the TLS handshake, before the
    /// server's next stream features are fed, with the `tls-exporter`
    /// (RFC 9266) or `tls-server-end-point` data of that connection. The
    /// client then uses a `-PLUS` mechanism when the server offers one, and
    /// tells the server it could have bound (`y` flag) when it does not.
    pub fn set_channel_binding(&mut self, binding: ChannelBinding) {
        self.channel_binding = Some(binding);
    }

    /// Our full JID once bound.
    pub fn bound_jid(&self) -> Option<&Jid> {
        self.bound.as_ref()
    }

    /// True once [`Event::Online`] has been emitted and until the stream closes.
    pub fn is_online(&self) -> bool {
        matches!(self.state, State::Online)
    }

    /// True when XEP-0198 is enabled and resumption was granted.
    pub fn can_resume(&self) -> bool {
        self.sm.resume_id.is_some()
    }

    /// The stream id the server gave in its last stream header.
    pub fn stream_id(&self) -> Option<&str> {
        self.stream_id.as_deref()
    }

    /// Starts the stream on a new connection: sends the initial stream header.
    ///
    /// Call again on a new connection after [`Input::Disconnected`]: when a
    /// XEP-0198 session can be resumed, the client resumes it after SASL
    /// instead of binding a new resource.
    pub fn connect(&mut self, now: Instant) {
        self.parser = StreamParser::with_limits(self.config.limits);
        self.tls_active = false;
        self.authenticated = false;
        self.open_stream(now);
    }

    fn open_stream(&mut self, now: Instant) {
        self.parser.restart();
        let header = StreamHeader {
            // [RFC 6120 §4.8.3] "Client implementations MUST support the 'jabber:client' content
            // namespace as a default namespace."
            default_ns: NS_CLIENT.into(),
            attrs: vec![
                // [RFC 6120 §4.7.1] "if the client knows the XMPP identity then it SHOULD include
                // the 'from' attribute"
                attr("from", self.config.jid.bare_str()),
                // [RFC 6120 §4.7.2] "the initiating entity MUST include the 'to' attribute and MUST
                // set its value to a domainpart"
                attr("to", self.config.jid.domain()),
                // [RFC 6120 §4.7.5] "if the highest version number it supports is that defined in
                // this specification, it MUST set the value to "1.0""
                attr("version", "1.0"),
                // [RFC 6120 §4.7.4] "For initial stream headers, the initiating entity SHOULD include
                // the 'xml:lang' attribute."
                attr("xml:lang", "en"),
                // No 'id': [RFC 6120 §4.7.3] "For initial stream headers, the initiating entity MUST
                // NOT include the 'id' attribute"
            ],
        };
        self.send_raw(now, header.to_xml());
        self.state = State::AwaitHeader;
    }

    /// Feeds input from the IO layer.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) -> Result<(), ClientError> {
        match input {
            Input::Data(d) => {
                if matches!(self.state, State::Closed) {
                    return Err(ClientError::Closed);
                }
                self.parser.feed(d);
                loop {
                    // Once stanzas may arrive, they come typed straight from the bytes.
                    let next = if matches!(
                        self.state,
                        State::AwaitBind | State::Online | State::Closing
                    ) {
                        self.parser.next_typed()
                    } else {
                        self.parser.next_event().map(|e| e.map(TypedEvent::Xml))
                    };
                    let ev = match next {
                        Ok(Some(ev)) => ev,
                        Ok(None) => break,
                        Err(e) => {
                            // [RFC 6120 §4.9.1.1] "the entity that detects the error MUST send an
                            // <error/> element with an appropriate child element specifying the error
                            // condition and then immediately close the stream"
                            let se = StreamError::from(&e);
                            self.fail(now, se);
                            return Err(ClientError::Xml(e));
                        }
                    };
                    let handled = match ev {
                        TypedEvent::Xml(ev) => self.handle_xml(now, ev),
                        TypedEvent::Stanza(s) => self.handle_stanza(now, Ok(s)),
                        TypedEvent::InvalidStanza(e) => self.handle_stanza(now, Err(e)),
                    };
                    if let Err(e) = handled {
                        if !matches!(self.state, State::Closed) {
                            let se = match &e {
                                ClientError::Protocol(_) => Some(StreamError::new(
                                    StreamErrorCondition::UnsupportedStanzaType,
                                )),
                                _ => None,
                            };
                            match se {
                                Some(se) => self.fail(now, se),
                                None => self.close_now(now, None),
                            }
                        }
                        return Err(e);
                    }
                    if matches!(self.state, State::AwaitTls | State::Closed) {
                        break;
                    }
                }
                Ok(())
            }
            Input::TlsEstablished => {
                if !matches!(self.state, State::AwaitTls) {
                    return Err(ClientError::Protocol("TLS established without STARTTLS"));
                }
                self.tls_active = true;
                // [RFC 6120 §5.4.3.3] "The initiating entity MUST send a new initial stream header
                // to the receiving entity over the encrypted connection"
                self.parser = StreamParser::with_limits(self.config.limits);
                self.open_stream(now);
                Ok(())
            }
            Input::Disconnected => {
                self.pending.clear();
                if !matches!(self.state, State::Closed) {
                    self.state = State::Closed;
                    self.events.push_back(Event::Closed(None));
                }
                Ok(())
            }
        }
    }

    fn handle_xml(&mut self, now: Instant, ev: XmlEvent) -> Result<(), ClientError> {
        match ev {
            XmlEvent::StreamOpen(h) => {
                if !matches!(self.state, State::AwaitHeader) {
                    return Err(ClientError::Protocol("unexpected stream header"));
                }
                if h.default_ns != NS_CLIENT {
                    self.fail(
                        now,
                        StreamError::new(StreamErrorCondition::InvalidNamespace),
                    );
                    return Err(ClientError::Protocol(
                        "stream content namespace is not jabber:client",
                    ));
                }
                self.stream_id = h.attr("id").map(str::to_owned);
                self.state = State::AwaitFeatures;
                Ok(())
            }
            XmlEvent::StreamClose => {
                // [RFC 6120 §4.4] "the entity that sends the closing stream tag MUST behave as follows"
                if !matches!(self.state, State::Closing) {
                    self.send_raw(now, "</stream:stream>".into());
                }
                self.state = State::Closed;
                self.pending.clear();
                self.events.push_back(Event::Closed(None));
                Ok(())
            }
            XmlEvent::Stanza(el) => self.handle_element(now, el),
        }
    }

    fn handle_element(&mut self, now: Instant, el: Element) -> Result<(), ClientError> {
        if el.is("error", NS_STREAM) {
            let se = StreamError::from_element(&el);
            // [RFC 6120 §4.9.1.1] "The entity that receives the stream error then SHALL close the
            // stream as explained under Section 4.4."
            self.close_now(now, Some(se.clone()));
            return Err(ClientError::Stream(se));
        }
        match std::mem::replace(&mut self.state, State::Idle) {
            State::AwaitFeatures => {
                if !el.is("features", NS_STREAM) {
                    return Err(ClientError::Protocol("expected <stream:features/>"));
                }
                self.state = State::AwaitFeatures;
                self.handle_features(now, &el)
            }
            State::AwaitProceed => {
                if el.is("proceed", NS_TLS) {
                    // [RFC 6120 §5.4.2.3] "The initiating entity MUST consider the TLS negotiation to
                    // have begun immediately after receiving the closing '>' character of the
                    // <proceed/> element from the receiving entity."
                    self.state = State::AwaitTls;
                    self.events.push_back(Event::StartTls);
                    Ok(())
                } else {
                    self.state = State::Closed;
                    Err(ClientError::TlsUnavailable)
                }
            }
            State::Sasl(sasl) => self.handle_sasl(now, sasl, &el),
            State::AwaitResume => self.handle_resume(now, &el),
            // Stanzas may still arrive after we sent our closing tag (RFC 6120 §4.4).
            s @ (State::AwaitBind | State::Online | State::Closing) => {
                self.state = s;
                self.handle_stream_element(now, el)
            }
            s => {
                self.state = s;
                Err(ClientError::Protocol(
                    "element at an unexpected point of the negotiation",
                ))
            }
        }
    }

    fn handle_features(&mut self, now: Instant, f: &Element) -> Result<(), ClientError> {
        // [RFC 6120 §5.3.4] "If the initiating entity chooses to use TLS, STARTTLS negotiation
        // MUST be completed before proceeding to SASL negotiation"
        if !self.tls_active && self.config.tls != TlsPolicy::Never {
            if f.child("starttls", NS_TLS).is_some() {
                self.send_raw(now, format!("<starttls xmlns='{NS_TLS}'/>"));
                self.state = State::AwaitProceed;
                return Ok(());
            }
            if self.config.tls == TlsPolicy::Required {
                self.fail(now, StreamError::new(StreamErrorCondition::PolicyViolation));
                return Err(ClientError::TlsUnavailable);
            }
        }
        if !self.authenticated {
            let offered: Vec<String> = f
                .child("mechanisms", NS_SASL)
                .map(|m| {
                    m.children()
                        .filter(|c| c.is("mechanism", NS_SASL))
                        .map(|c| c.text().trim().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            // [RFC 6120 §6.3.3] "The initiating entity MUST maintain its own preference order
            // independent of the preference order of the receiving entity."
            // [RFC 6120 §6.3.3] "A client MUST try SASL mechanisms in its preference order."
            let binding = self.channel_binding.clone().filter(ChannelBinding::binds);
            let is_offered = |m: Mechanism| offered.iter().any(|o| o == m.name());
            let choice = self
                .config
                .mechanisms
                .iter()
                .copied()
                .map(|m| match m.plus() {
                    // [RFC 5802 §6] "Clients that support mechanism negotiation and channel
                    // binding MUST use a "p" gs2-cbind-flag when the server offers the PLUS-
                    // variant of the desired GS2 mechanism."
                    Some(p) if binding.is_some() && is_offered(p) => p,
                    _ => m,
                })
                .find(|m| {
                    is_offered(*m)
                        && (!m.is_plus() || binding.is_some())
                        && (*m != Mechanism::Plain
                            || self.tls_active
                            || self.config.allow_plain_in_clear)
                });
            let Some(mech) = choice else {
                self.close_now(now, None);
                return Err(ClientError::NoMechanism);
            };
            // [RFC 6120 §6.3.7] "an XMPP client SHOULD assume that the authentication identity for
            // such a SASL mechanism is a simple user name equal to the localpart of the user's JID"
            let user = self.config.jid.local().unwrap_or(self.config.jid.domain());
            // RFC 8265 §3.3 and §4.2: the username and the password are prepared
            // before they are used, for PLAIN and SCRAM alike.
            let prepared = prepare_username(user).and_then(|u| {
                prepare_password(&self.config.password).map(|p| (u.into_owned(), p.into_owned()))
            });
            let (user, password) = match prepared {
                Ok(up) => up,
                Err(e) => {
                    self.close_now(now, None);
                    return Err(ClientError::Sasl(e));
                }
            };
            let (initial, state) = match mech {
                Mechanism::Plain => (plain_initial_response(&user, &password), SaslState::Plain),
                Mechanism::ScramSha1
                | Mechanism::ScramSha256
                | Mechanism::ScramSha1Plus
                | Mechanism::ScramSha256Plus => {
                    let hash = if matches!(mech, Mechanism::ScramSha1 | Mechanism::ScramSha1Plus) {
                        ScramHash::Sha1
                    } else {
                        ScramHash::Sha256
                    };
                    let mut nonce = [0u8; 18];
                    self.rng.fill_bytes(&mut nonce);
                    let mut scram = ScramClient::new(hash, &user, &password, &B64.encode(nonce));
                    match (&binding, mech.is_plus()) {
                        (Some(b), true) => scram.set_binding(b.clone()),
                        // [RFC 5802 §6] "If the client supports channel binding and the server does
                        // not appear to (i.e., the client did not see the -PLUS name advertised by
                        // the server), then the client MUST NOT use an "n" gs2- cbind-flag."
                        (Some(_), false) => scram.set_binding(ChannelBinding::NotOfferedByServer),
                        (None, _) => {}
                    }
                    (scram.client_first().into_bytes(), SaslState::Scram(scram))
                }
            };
            // [RFC 6120 §6.4.2] "This element MAY contain XML character data (in SASL terminology,
            // the "initial response") if the mechanism supports or requires it."
            self.send_raw(
                now,
                format!(
                    "<auth xmlns='{NS_SASL}' mechanism='{}'>{}</auth>",
                    mech.name(),
                    B64.encode(initial)
                ),
            );
            self.state = State::Sasl(state);
            return Ok(());
        }
        self.sm_offered = f.child("sm", NS_SM).is_some();
        self.roster_ver_offered = f.child("ver", NS_ROSTER_VER).is_some();
        self.session_required = f
            .child("session", NS_SESSION)
            .is_some_and(|s| s.child("optional", NS_SESSION).is_none());
        if let (Some(previd), true) = (self.sm.resume_id.clone(), self.sm_offered) {
            // [XEP-0198 §5] "The <resume/> element MUST include a 'previd' attribute whose value is
            // the SM-ID of the former stream and MUST include an 'h' attribute"
            let h = self.sm.inbound;
            self.send_raw(
                now,
                format!(
                    "<resume xmlns='{NS_SM}' previd='{}' h='{h}'/>",
                    escape_attr(&previd)
                ),
            );
            self.state = State::AwaitResume;
            return Ok(());
        }
        self.sm = Sm::default();
        if f.child("bind", NS_BIND).is_none() {
            return Err(ClientError::Protocol(
                "no resource binding feature after authentication (RFC 6120 §7.4)",
            ));
        }
        // [RFC 6120 §7.4] "the client MUST bind a resource to the stream as described in the
        // following sections"
        // [RFC 6120 §7.1] "After a client authenticates with a server, it MUST bind a specific
        // resource to the stream"
        // [RFC 6120 §7.7] "a client MAY attempt to submit a resourcepart that it has generated or
        // that the controlling user has provided"
        let mut bind = Element::new("bind", NS_BIND);
        if let Some(r) = self.config.jid.resource() {
            bind.push_child(Element::new("resource", NS_BIND).with_text(r));
        }
        let id = self.new_id();
        self.send_iq_internal(now, Iq::request(IqType::Set, id, None, bind), Purpose::Bind);
        self.state = State::AwaitBind;
        Ok(())
    }

    fn handle_sasl(
        &mut self,
        now: Instant,
        sasl: SaslState,
        el: &Element,
    ) -> Result<(), ClientError> {
        if el.ns() != NS_SASL {
            return Err(ClientError::Protocol(
                "non-SASL element during SASL negotiation",
            ));
        }
        let data = || -> Result<Vec<u8>, ClientError> {
            let t = el.text();
            let t = t.trim();
            if t.is_empty() || t == "=" {
                return Ok(Vec::new());
            }
            B64.decode(t)
                .map_err(|_| ClientError::Protocol("SASL data is not base64 (RFC 6120 §6.4.2)"))
        };
        match (el.name(), sasl) {
            ("challenge", SaslState::Scram(mut scram)) => {
                let d = data()?;
                let msg = std::str::from_utf8(&d)
                    .map_err(|_| ClientError::Protocol("SCRAM challenge is not UTF-8"))?;
                if scram.awaits_server_first() {
                    let fin = scram.handle_server_first(msg)?;
                    self.send_raw(
                        now,
                        format!("<response xmlns='{NS_SASL}'>{}</response>", B64.encode(fin)),
                    );
                } else {
                    // Some servers send server-final-message in a challenge; verify it and send an
                    // empty response.
                    scram.handle_server_final(msg)?;
                    // [RFC 6120 §6.4.2] "it MUST transmit the response as a single equals sign
                    // character ("="), which indicates that the response is present but contains
                    // no data"
                    self.send_raw(now, format!("<response xmlns='{NS_SASL}'>=</response>"));
                }
                self.state = State::Sasl(SaslState::Scram(scram));
                Ok(())
            }
            ("challenge", SaslState::Plain) => {
                Err(ClientError::Protocol("challenge to SASL PLAIN"))
            }
            ("success", sasl) => {
                let mech = match &sasl {
                    SaslState::Scram(s) => {
                        let d = data()?;
                        let mut s = s.clone();
                        if !s.is_done() {
                            let msg = std::str::from_utf8(&d)
                                .map_err(|_| ClientError::Protocol("SCRAM data is not UTF-8"))?;
                            // [RFC 5802 §5] "If the two are different, the client MUST consider the
                            // authentication exchange to be unsuccessful"
                            if let Err(e) = s.handle_server_final(msg) {
                                self.close_now(now, None);
                                return Err(e.into());
                            }
                        }
                        s.mechanism()
                    }
                    SaslState::Plain => "PLAIN",
                };
                self.authenticated = true;
                self.events.push_back(Event::Authenticated(mech));
                // [RFC 6120 §6.4.6] "Upon receiving the <success/> element, the initiating entity
                // MUST initiate a new stream over the existing TCP connection"
                self.open_stream(now);
                Ok(())
            }
            ("failure", _) => {
                let cond = el
                    .children()
                    .next()
                    .map(|c| c.name().to_owned())
                    .unwrap_or_else(|| "undefined".into());
                // One mechanism is tried (the most preferred one offered), so a failure leaves
                // none: [RFC 6120 §6.4.5] "the initiating entity SHOULD simply close the stream as
                // described under Section 4.4"
                self.close_now(now, None);
                Err(ClientError::AuthFailed(cond))
            }
            _ => Err(ClientError::Protocol("unexpected SASL element")),
        }
    }

    fn handle_resume(&mut self, now: Instant, el: &Element) -> Result<(), ClientError> {
        if el.is("resumed", NS_SM) {
            let h = el
                .attr("h")
                .and_then(|h| h.parse::<u32>().ok())
                .unwrap_or(self.sm.acked);
            self.ack_up_to(h);
            let resend: Vec<String> = self.sm.unacked.drain(..).collect();
            let n = resend.len();
            self.state = State::Online;
            // [XEP-0198 §5] "If the server does not support session resumption, it MUST return a
            // <failed/> element"
            for s in resend {
                self.send_stanza_raw(now, s);
            }
            self.events.push_back(Event::Resumed { retransmitted: n });
            self.events.push_back(Event::Online);
            Ok(())
        } else if el.is("failed", NS_SM) {
            // Resumption refused: start a fresh session with a new bind.
            self.sm = Sm::default();
            let mut bind = Element::new("bind", NS_BIND);
            if let Some(r) = self.config.jid.resource() {
                bind.push_child(Element::new("resource", NS_BIND).with_text(r));
            }
            let id = self.new_id();
            self.send_iq_internal(now, Iq::request(IqType::Set, id, None, bind), Purpose::Bind);
            self.state = State::AwaitBind;
            Ok(())
        } else {
            self.state = State::AwaitResume;
            Err(ClientError::Protocol("expected <resumed/> or <failed/>"))
        }
    }

    fn ack_up_to(&mut self, h: u32) {
        let n = h.wrapping_sub(self.sm.acked) as usize;
        for _ in 0..n.min(self.sm.unacked.len()) {
            self.sm.unacked.pop_front();
        }
        self.sm.acked = h;
    }

    fn handle_stream_element(&mut self, now: Instant, el: Element) -> Result<(), ClientError> {
        if el.ns() == NS_SM {
            match el.name() {
                "enabled" => {
                    let resumable = matches!(el.attr("resume"), Some("true" | "1"));
                    self.sm.enabled = true;
                    if resumable {
                        self.sm.resume_id = el.attr("id").map(str::to_owned);
                    }
                    self.events.push_back(Event::StreamManagementEnabled {
                        resumable: self.sm.resume_id.is_some(),
                    });
                }
                "r" => {
                    // [XEP-0198 §4] "When an <r/> element ("request") is received, the recipient MUST
                    // acknowledge it by sending an <a/> element to the sender"
                    let h = self.sm.inbound;
                    self.send_raw(now, format!("<a xmlns='{NS_SM}' h='{h}'/>"));
                }
                "a" => {
                    if let Some(h) = el.attr("h").and_then(|h| h.parse::<u32>().ok()) {
                        self.ack_up_to(h);
                    }
                }
                "failed" => {
                    self.sm = Sm::default();
                }
                _ => {}
            }
            return Ok(());
        }
        self.handle_stanza(now, Stanza::try_from(el))
    }

    /// A first-level element that is (or was meant to be) a stanza.
    fn handle_stanza(
        &mut self,
        now: Instant,
        stanza: Result<Stanza, StanzaParseError>,
    ) -> Result<(), ClientError> {
        if self.sm.enabled {
            self.sm.inbound = self.sm.inbound.wrapping_add(1);
        }
        let stanza = match stanza {
            Ok(s) => s,
            Err(e) => {
                self.push_event(Event::Invalid(e.to_string()));
                return Ok(());
            }
        };
        match stanza {
            Stanza::Message(m) => self.push_event(Event::Message(m)),
            Stanza::Presence(p) => self.push_event(Event::Presence(p)),
            Stanza::Iq(iq) => self.handle_iq(now, iq)?,
        }
        Ok(())
    }

    fn handle_iq(&mut self, now: Instant, iq: Iq) -> Result<(), ClientError> {
        if iq.iq_type.is_request() {
            return self.handle_iq_request(now, iq);
        }
        let Some(i) = self.pending.iter().position(|p| p.id == iq.id) else {
            // [RFC 6120 §8.2.3] "An entity that receives a stanza of type "result" or "error"
            // ... MUST NOT respond"
            return Ok(());
        };
        let p = self.pending.swap_remove(i);
        let result = match iq.iq_type {
            IqType::Error => Err(iq.error.unwrap_or(StanzaError::new(
                ErrorType::Cancel,
                StanzaErrorCondition::UndefinedCondition,
            ))),
            _ => Ok(iq.payload),
        };
        match p.purpose {
            Purpose::Bind => {
                let jid = result
                    .map_err(|e| ClientError::BindFailed(Box::new(e)))?
                    .and_then(|b| b.child("jid", NS_BIND).map(Element::text))
                    .ok_or(ClientError::Protocol(
                        "bind result without <jid/> (RFC 6120 §7.6.1)",
                    ))?;
                let jid = Jid::new(jid.trim())
                    .map_err(|_| ClientError::Protocol("bound JID is invalid"))?;
                // [RFC 6120 §4.3.6] "A client MUST NOT attempt to guess at its JID but instead MUST
                // consider its JID to be whatever the server returns to it during resource binding."
                self.bound = Some(jid.clone());
                self.events.push_back(Event::Bound(jid));
                if self.session_required {
                    let id = self.new_id();
                    self.send_iq_internal(
                        now,
                        Iq::request(IqType::Set, id, None, Element::new("session", NS_SESSION)),
                        Purpose::Session,
                    );
                } else {
                    self.go_online(now);
                }
            }
            Purpose::Session => {
                result.map_err(|e| ClientError::BindFailed(Box::new(e)))?;
                self.go_online(now);
            }
            Purpose::Roster => {
                let roster = match result {
                    Ok(Some(q)) => Some(Roster::from_query(&q)),
                    Ok(None) => None,
                    Err(e) => {
                        self.push_event(Event::IqResponse {
                            id: p.id,
                            result: Err(e),
                        });
                        return Ok(());
                    }
                };
                self.push_event(Event::Roster(roster));
            }
            Purpose::User => self.push_event(Event::IqResponse { id: p.id, result }),
        }
        Ok(())
    }

    fn go_online(&mut self, now: Instant) {
        if self.config.stream_management && self.sm_offered {
            // [XEP-0198 §5] "To request that the stream will be resumable, when enabling stream
            // management the client MUST add a 'resume' attribute to the <enable/> element"
            self.send_raw(now, format!("<enable xmlns='{NS_SM}' resume='true'/>"));
            self.sm = Sm {
                enabled: true,
                ..Sm::default()
            };
        }
        self.state = State::Online;
        self.events.push_back(Event::Online);
    }

    fn handle_iq_request(&mut self, now: Instant, iq: Iq) -> Result<(), ClientError> {
        let Some(payload) = iq.payload.as_ref() else {
            return Ok(());
        };
        if payload.is("ping", NS_PING) && iq.iq_type == IqType::Get {
            // [XEP-0199 §4.1] "If the client supports the ping namespace, it MUST return an IQ-result"
            let r = Iq::result_for(&iq, None);
            self.send_stanza(now, &Stanza::Iq(r));
        } else if payload.is("query", NS_DISCO_INFO) && iq.iq_type == IqType::Get {
            let r = Iq::result_for(&iq, Some(self.disco_info(payload.attr("node"))));
            self.send_stanza(now, &Stanza::Iq(r));
        } else if payload.is("query", NS_ROSTER) && iq.iq_type == IqType::Set {
            // [RFC 6121 §2.1.6] "A receiving client MUST ignore the stanza unless it has no 'from'
            // attribute (i.e., implicitly from the bare JID of the user's account) or it has a
            // 'from' attribute whose value matches the user's bare JID"
            let own = self.bound.as_ref().map(|j| j.bare_str().to_owned());
            if iq
                .from
                .as_ref()
                .is_some_and(|f| Some(f.as_str()) != own.as_deref())
            {
                let e =
                    StanzaError::new(ErrorType::Cancel, StanzaErrorCondition::ServiceUnavailable);
                self.send_stanza(now, &Stanza::Iq(Iq::error_for(&iq, e)));
                return Ok(());
            }
            let roster = Roster::from_query(payload);
            // [RFC 6120 §8.2.3] "An entity that receives an IQ request of type "get" or "set" MUST
            // reply with an IQ response of type "result" or "error""
            self.send_stanza(now, &Stanza::Iq(Iq::result_for(&iq, None)));
            for item in roster.items {
                self.push_event(Event::RosterPush {
                    item,
                    ver: roster.ver.clone(),
                });
            }
        } else {
            self.push_event(Event::IqRequest(iq));
        }
        Ok(())
    }

    /// The disco#info answer (XEP-0030 §3.1): identity client/pc and our features.
    pub fn disco_info(&self, node: Option<&str>) -> Element {
        let mut q = Element::new("query", NS_DISCO_INFO);
        if let Some(n) = node {
            q.set_attr("node", n);
        }
        // [XEP-0030 §3.1] "Every entity MUST have at least one identity"
        q.push_child(
            Element::new("identity", NS_DISCO_INFO)
                .with_attr("category", "client")
                .with_attr("type", "pc")
                .with_attr("name", "rtclite"),
        );
        let mut feats: Vec<&str> = vec![NS_DISCO_INFO, NS_PING];
        feats.extend(self.config.features.iter().map(String::as_str));
        for f in feats {
            q.push_child(Element::new("feature", NS_DISCO_INFO).with_attr("var", f));
        }
        q
    }

    // --- sending --------------------------------------------------------

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("rtc{}-{:08x}", self.next_id, self.rng.next_u32())
    }

    fn send_raw(&mut self, now: Instant, s: String) {
        self.last_sent = Some(now);
        if self.transmits.len() < MAX_QUEUE {
            self.transmits.push_back(Transmit {
                data: s.into_bytes(),
            });
        }
    }

    fn push_event(&mut self, ev: Event) {
        if self.events.len() < MAX_QUEUE {
            self.events.push_back(ev);
        }
    }

    fn send_stanza_raw(&mut self, now: Instant, s: String) {
        if self.sm.enabled {
            if self.sm.unacked.len() >= MAX_UNACKED {
                self.sm.unacked.pop_front();
                self.sm.acked = self.sm.acked.wrapping_add(1);
            }
            self.sm.unacked.push_back(s.clone());
            self.send_raw(now, s);
            // We request an ack after every eighth stanza so that the queue stays short.
            // [XEP-0198 §4] "Either party MAY send an <a/> element at any time"
            if self.sm.unacked.len() % 8 == 0 {
                self.send_raw(now, format!("<r xmlns='{NS_SM}'/>"));
            }
        } else {
            self.send_raw(now, s);
        }
    }

    /// Sends any stanza (no iq tracking).
    pub fn send_stanza(&mut self, now: Instant, stanza: &Stanza) {
        // [RFC 6120 §4.8.3] "a client MUST NOT send stanzas qualified by the 'jabber:server'
        // namespace"
        let s = stanza.to_element(NS_CLIENT).to_xml_in(NS_CLIENT);
        self.send_stanza_raw(now, s);
    }

    /// Sends a message.
    pub fn send_message(&mut self, now: Instant, message: Message) {
        self.send_stanza(now, &Stanza::Message(message));
    }

    /// Sends a presence.
    pub fn send_presence(&mut self, now: Instant, presence: Presence) {
        self.send_stanza(now, &Stanza::Presence(presence));
    }

    /// Sends initial presence (RFC 6121 §4.2): available, broadcast.
    pub fn send_initial_presence(&mut self, now: Instant) {
        // [RFC 6121 §4.2.1] "a presence stanza with no 'to' address (indicating that it is meant
        // to be broadcast by the server on behalf of the client) and no 'type' attribute"
        self.send_presence(now, Presence::new(PresenceType::Available, None));
    }

    /// Sends a presence subscription request (RFC 6121 §3.1.1).
    pub fn subscribe(&mut self, now: Instant, to: &Jid) {
        // [RFC 6121 §3.1.1] "the value of the 'to' attribute MUST be a bare JID"
        self.send_presence(
            now,
            Presence::new(PresenceType::Subscribe, Some(to.to_bare())),
        );
    }

    /// Approves a subscription request (RFC 6121 §3.1.4).
    pub fn approve_subscription(&mut self, now: Instant, to: &Jid) {
        self.send_presence(
            now,
            Presence::new(PresenceType::Subscribed, Some(to.to_bare())),
        );
    }

    /// Denies a request or cancels a subscription (RFC 6121 §3.1.4, §3.2).
    pub fn deny_subscription(&mut self, now: Instant, to: &Jid) {
        self.send_presence(
            now,
            Presence::new(PresenceType::Unsubscribed, Some(to.to_bare())),
        );
    }

    /// Unsubscribes from a contact's presence (RFC 6121 §3.3).
    pub fn unsubscribe(&mut self, now: Instant, to: &Jid) {
        self.send_presence(
            now,
            Presence::new(PresenceType::Unsubscribe, Some(to.to_bare())),
        );
    }

    fn send_iq_internal(&mut self, now: Instant, iq: Iq, purpose: Purpose) {
        if self.pending.len() >= MAX_PENDING_IQS {
            // Oldest request times out early rather than growing without bound.
            let old = self.pending.remove(0);
            self.push_event(Event::IqTimeout { id: old.id });
        }
        self.pending.push(Pending {
            id: iq.id.clone(),
            deadline: now + self.config.iq_timeout,
            purpose,
        });
        self.send_stanza(now, &Stanza::Iq(iq));
    }

    /// Sends an iq get/set and tracks it; returns its id. The response comes
    /// as [`Event::IqResponse`] or [`Event::IqTimeout`]. An empty `iq.id` is
    /// replaced by a fresh one.
    pub fn send_iq(&mut self, now: Instant, mut iq: Iq) -> String {
        if iq.id.is_empty() {
            iq.id = self.new_id();
        }
        let id = iq.id.clone();
        self.send_iq_internal(now, iq, Purpose::User);
        id
    }

    /// Answers an [`Event::IqRequest`] with a result or an error.
    pub fn send_iq_response(
        &mut self,
        now: Instant,
        request: &Iq,
        result: Result<Option<Element>, StanzaError>,
    ) {
        let r = match result {
            Ok(p) => Iq::result_for(request, p),
            Err(e) => Iq::error_for(request, e),
        };
        self.send_stanza(now, &Stanza::Iq(r));
    }

    /// Sends a XEP-0199 ping to `to` (the server when `None`); returns its id.
    pub fn ping(&mut self, now: Instant, to: Option<Jid>) -> String {
        let to = to.or_else(|| Jid::new(self.config.jid.domain()).ok());
        let id = self.new_id();
        self.send_iq(
            now,
            Iq::request(IqType::Get, id, to, Element::new("ping", NS_PING)),
        )
    }

    /// Requests the roster (RFC 6121 §2.1.3), with a cached version for
    /// versioning (RFC 6121 §2.6) when given. The answer is [`Event::Roster`].
    pub fn request_roster(&mut self, now: Instant, ver: Option<&str>) -> String {
        let mut q = Element::new("query", NS_ROSTER);
        // [RFC 6121 §2.6.2] "If the server does not advertise support for roster versioning, the
        // client MUST NOT include the 'ver' attribute."
        if let Some(v) = ver.filter(|_| self.roster_ver_offered) {
            // An empty `ver` bootstraps versioning: [RFC 6121 §2.6.2] "it MUST set the 'ver'
            // attribute to the empty string"
            q.set_attr("ver", v);
        }
        let id = self.new_id();
        self.send_iq_internal(
            now,
            Iq::request(IqType::Get, id.clone(), None, q),
            Purpose::Roster,
        );
        id
    }

    /// Adds or updates a roster item (RFC 6121 §2.3); returns the iq id.
    pub fn roster_set(&mut self, now: Instant, item: &RosterItem) -> String {
        let q = Element::new("query", NS_ROSTER).with_child(item.to_element());
        let id = self.new_id();
        self.send_iq(now, Iq::request(IqType::Set, id, None, q))
    }

    /// Closes the stream (RFC 6120 §4.4): sends the closing tag and waits for the peer's.
    pub fn close(&mut self, now: Instant) {
        if matches!(self.state, State::Closed | State::Closing) {
            return;
        }
        if self.sm.enabled {
            let h = self.sm.inbound;
            self.send_raw(now, format!("<a xmlns='{NS_SM}' h='{h}'/>"));
        }
        self.send_raw(now, "</stream:stream>".into());
        self.sm = Sm::default();
        self.state = State::Closing;
    }

    fn close_now(&mut self, now: Instant, err: Option<StreamError>) {
        if !matches!(self.state, State::Closed | State::Closing) {
            self.send_raw(now, "</stream:stream>".into());
        }
        self.state = State::Closed;
        self.pending.clear();
        self.events.push_back(Event::Closed(err));
    }

    fn fail(&mut self, now: Instant, err: StreamError) {
        if !matches!(self.state, State::Closed) {
            if matches!(self.state, State::Idle) {
                self.state = State::Closed;
            }
            self.send_raw(now, err.to_xml());
            self.close_now(now, Some(err));
        }
    }

    // --- timers and polls ------------------------------------------------

    /// Fires due timers: iq timeouts and keepalives.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].deadline <= now {
                let p = self.pending.swap_remove(i);
                self.push_event(Event::IqTimeout { id: p.id });
            } else {
                i += 1;
            }
        }
        if let (State::Online, Some(k), Some(last)) =
            (&self.state, self.config.keepalive, self.last_sent)
        {
            if now >= last + k {
                // [RFC 6120 §4.6.1] "send a space character (U+0020) between XML stanzas"
                self.send_raw(now, " ".into());
            }
        }
    }

    /// The next bytes to write.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`Client::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let iq = self.pending.iter().map(|p| p.deadline).min();
        let ka = match (&self.state, self.config.keepalive, self.last_sent) {
            (State::Online, Some(k), Some(l)) => Some(l + k),
            _ => None,
        };
        match (iq, ka) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

fn attr(name: &str, value: &str) -> crate::xml::Attribute {
    crate::xml::Attribute::new(name, value)
}

fn escape_attr(s: &str) -> String {
    let mut o = String::new();
    crate::xml::escape_into(&mut o, s, true);
    o
}

// ---------------------------------------------------------------------------
// Server-side requirements of RFC 6120 in the sections this crate claims.
// rtclite-xmpp implements the initiating side of client and component
// streams; what the receiving server must do is not implemented here, and is
// listed so that the coverage report counts it as a deliberate gap.

// [RFC 6120 §4.3.2 exception: server rule, this crate is a client and component] "If the initiating entity includes in the initial stream"
// [RFC 6120 §4.3.4 exception: server rule, this crate is a client and component] "The receiving entity MUST send an updated list of stream"
// [RFC 6120 §4.3.5 exception: server rule, this crate is a client and component] "After doing so, the receiving entity MAY send an empty <features/>"
// [RFC 6120 §4.3.6 exception: server rule, this crate is a client and component] "After the parties to an XML stream have completed the appropriate"
// [RFC 6120 §4.3.6 exception: server rule, this crate is a client and component] "The server MUST ensure that the resulting JID (including"
// [RFC 6120 §4.3.6 exception: server rule, this crate is a client and component] "For server-to-server communication, the initiating server's"
// [RFC 6120 §4.3.6 exception: server rule, this crate is a client and component] "In the absence of SASL negotiation, the receiving server"
// [RFC 6120 §4.5 exception: server rule, this crate is a client and component] "This approach is sometimes used for server-to-server communication"
// [RFC 6120 §4.7.1 exception: server rule, this crate is a client and component] "I: <?xml version='1.0'?> <stream:stream from='example.net' to='im.example.com'"
// [RFC 6120 §4.7.2 exception: server rule, this crate is a client and component] "For response stream headers in client-to-server communication,"
// [RFC 6120 §4.7.2 exception: server rule, this crate is a client and component] "If the client did not include a 'from' attribute in the"
// [RFC 6120 §4.7.2 exception: server rule, this crate is a client and component] "For response stream headers in server-to-server communication,"
// [RFC 6120 §4.7.3 exception: server rule, this crate is a client and component] "For response stream headers, the receiving entity MUST include"
// [RFC 6120 §4.7.4 exception: server rule, this crate is a client and component] "For response stream headers, the receiving entity MUST include"
// [RFC 6120 §4.7.4 exception: server rule, this crate is a client and component] "If the initiating entity included the 'xml:lang' attribute"
// [RFC 6120 §4.7.4 exception: server rule, this crate is a client and component] "If the initiating entity includes the 'xml:lang' attribute"
// [RFC 6120 §4.7.5 exception: server rule, this crate is a client and component] "The receiving entity MUST set the value of the 'version'"
// [RFC 6120 §4.7.5 exception: server rule, this crate is a client and component] "The receiving entity MUST perform a numeric comparison on"
// [RFC 6120 §4.8.3 exception: server rule, this crate is a client and component] "Server implementations MUST support as default content namespaces"
// [RFC 6120 §4.8.4 exception: server rule, this crate is a client and component] "However, an XMPP server MUST NOT route or deliver data received"
// [RFC 6120 §4.8.4 exception: server rule, this crate is a client and component] "Upon receiving arbitrary first-level XML elements over an"
// [RFC 6120 §4.8.5 exception: server rule, this crate is a client and component] "An XMPP entity SHOULD NOT accept data that violates this"
// [RFC 6120 §4.9.1.2 exception: server rule, this crate is a client and component] "If the error is triggered by the initial stream header,"
// [RFC 6120 §5.3.1 exception: server rule, this crate is a client and component] "If the receiving entity advertises only the STARTTLS feature"
// [RFC 6120 §5.3.1 exception: server rule, this crate is a client and component] "If TLS is mandatory-to-negotiate, the receiving entity SHOULD"
// [RFC 6120 §5.4.1 exception: server rule, this crate is a client and component] "The receiving entity MUST send a response stream header"
// [RFC 6120 §5.4.1 exception: server rule, this crate is a client and component] "The receiving entity then MUST send stream features to the"
// [RFC 6120 §5.4.1 exception: server rule, this crate is a client and component] "If the receiving entity supports TLS, the stream features"
// [RFC 6120 §5.4.2.1 exception: server rule, this crate is a client and component] "The receiving entity MUST reply with either a <proceed/>"
// [RFC 6120 §5.4.2.2 exception: server rule, this crate is a client and component] "If the failure case occurs, the receiving entity MUST return"
// [RFC 6120 §5.4.2.3 exception: server rule, this crate is a client and component] "If the proceed case occurs, the receiving entity MUST return"
// [RFC 6120 §5.4.2.3 exception: server rule, this crate is a client and component] "The receiving entity MUST consider the TLS negotiation to"
// [RFC 6120 §5.4.3.1 exception: server rule, this crate is a client and component] "When using any of the mandatory-to-implement (MTI) ciphersuites"
// [RFC 6120 §5.4.3.1 exception: server rule, this crate is a client and component] "The receiving entity SHOULD choose which certificate to"
// [RFC 6120 §5.4.3.2 exception: server rule, this crate is a client and component] "If the TLS negotiation results in failure, the receiving"
// [RFC 6120 §5.4.3.2 exception: server rule, this crate is a client and component] "The receiving entity MUST NOT send a closing </stream> tag"
// [RFC 6120 §5.4.3.3 exception: server rule, this crate is a client and component] "The receiving entity MUST discard any information transmitted"
// [RFC 6120 §5.4.3.3 exception: server rule, this crate is a client and component] "The receiving entity MUST respond with a new response stream"
// [RFC 6120 §6.3.4 exception: server rule, this crate is a client and component] "The receiving entity SHOULD offer the SASL EXTERNAL mechanism"
// [RFC 6120 §6.3.4 exception: server rule, this crate is a client and component] "However, the receiving entity MAY offer the SASL EXTERNAL"
// [RFC 6120 §6.3.5 exception: server rule, this crate is a client and component] "As formally specified in the XML schema for the 'urn:ietf:params:xml:ns:xmpp-sasl'"
// [RFC 6120 §6.3.8 exception: server rule, this crate is a client and component] "If the initiating entity provides an authorization identity"
// [RFC 6120 §6.3.9 exception: server rule, this crate is a client and component] "The receiving entity MAY include a realm when negotiating"
// [RFC 6120 §6.4.1 exception: server rule, this crate is a client and component] "The receiving entity also MUST send stream features to the"
// [RFC 6120 §6.4.2 exception: server rule, this crate is a client and component] "I: <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth> If the"
// [RFC 6120 §6.4.4 exception: server rule, this crate is a client and component] "Upon receiving an <abort/> element, the receiving entity"
// [RFC 6120 §6.4.5 exception: server rule, this crate is a client and component] "Where appropriate for the chosen SASL mechanism, the receiving"
// [RFC 6120 §6.4.5 exception: server rule, this crate is a client and component] "Implementation Note: For server-to-server streams, if the"
// [RFC 6120 §6.4.6 exception: server rule, this crate is a client and component] "Before considering the SASL handshake to be a success, if"
// [RFC 6120 §6.4.6 exception: server rule, this crate is a client and component] "The receiving entity MUST also send stream features, containing"
// [RFC 6120 §7.1 exception: server rule, this crate is a client and component] "A server SHOULD allow an entity to maintain multiple connected"
// [RFC 6120 §7.1 exception: server rule, this crate is a client and component] "Security Warning: A server SHOULD enable the administrator"
// [RFC 6120 §7.4 exception: server rule, this crate is a client and component] "The server MUST NOT include the resource binding stream"
// [RFC 6120 §7.6 exception: server rule, this crate is a client and component] "A server MUST be able to generate an XMPP resourcepart on"
// [RFC 6120 §7.6 exception: server rule, this crate is a client and component] "The resourcepart generated by the server MUST be random"
// [RFC 6120 §7.6.2.1 exception: server rule, this crate is a client and component] "If the account has reached a limit on the number of simultaneous"
// [RFC 6120 §7.6.2.2 exception: server rule, this crate is a client and component] "If the client is otherwise not allowed to bind a resource"
// [RFC 6120 §7.7.1 exception: server rule, this crate is a client and component] "The server SHOULD accept the client-submitted resourcepart."
// [RFC 6120 §7.7.1 exception: server rule, this crate is a client and component] "Alternatively, in accordance with local service policies"
// [RFC 6120 §8 exception: server rule, this crate is a client and component] "Security Warning: A server MUST NOT process a partial stanza"
// [RFC 6120 §8.1.1.1 exception: server rule, this crate is a client and component] "A stanza sent from a client to a server for direct processing"
// [RFC 6120 §8.1.2.1 exception: server rule, this crate is a client and component] "A server MUST NOT send to the client a stanza without a"
// [RFC 6120 §8.1.5 exception: server rule, this crate is a client and component] "A server MUST NOT modify or delete 'xml:lang' attributes"
// [RFC 6120 §8.2.1 exception: server rule, this crate is a client and component] "Upon receiving a message stanza with a 'to' address, a server"
// [RFC 6120 §8.4 exception: server rule, this crate is a client and component] "Routing entities (typically servers) SHOULD try to maintain"
// [RFC 6120 §11.3 exception: server rule, this crate is a client and component] "An XMPP entity MUST NOT accept data that is not namespace-well-"
