//! A SIP proxy (RFC 3261 §16), stateful or stateless, with a registrar in
//! front of its location service, sans-IO.
//!
//! [`Proxy`] drives its own [`TransactionLayer`] and follows the workspace
//! drive loop: feed what arrives with [`Proxy::handle_input`], drain
//! [`Proxy::poll_transmit`] and [`Proxy::poll_event`] until both return
//! `None`, then sleep until [`Proxy::poll_timeout`] and call
//! [`Proxy::handle_timeout`]. No clock is read and nothing is sent: the
//! caller owns time and sockets.
//!
//! What it does with each new request (§16.2): validate it (§16.3: syntax,
//! URI scheme, Max-Forwards, loop detection, Proxy-Require, and the
//! caller's Proxy-Authorization check through [`ProxyPolicy`]); hand a
//! REGISTER for one of its domains to the [`Registrar`]; preprocess the
//! route information (§16.4: strict-route fix-up, `maddr`, its own Route
//! value removed); determine the targets (§16.5: the Request-URI when the
//! domain is not ours, else the policy's targets or the location service);
//! and forward a copy to the targets (§16.6) — all in parallel by default,
//! or in groups of equal q-value one after the other with
//! [`Forking::Sequential`] — each through its own client transaction, with
//! Max-Forwards decremented, an optional Record-Route with `lr`, a Via
//! whose branch carries a loop-detection hash, and Timer C for INVITE.
//! With [`ProxyConfig::recurse_on_3xx`] the SIP Contacts of a 3xx join the
//! target set (once each) instead of going upstream. Responses are
//! gathered in a response context (§16.7): provisionals and 2xx are
//! forwarded at once, the best final response of every branch of every
//! group is chosen when all have answered (6xx first,
//! lowest class otherwise, 401/407 challenges aggregated, a lone 503 turned
//! into 500), and pending branches are CANCELled when a final response is
//! forwarded or a 6xx or an upstream CANCEL (§16.10) arrives. In stateless
//! mode (§16.11) each request goes to one target with a branch computed
//! from the request alone, so a retransmission takes the same branch.
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use rtclite_sip::proxy::{DefaultPolicy, LocalAddr, Proxy, ProxyConfig, ProxyEvent};
//! use rtclite_sip::registrar::{InMemoryLocationService, Registrar, RegistrarConfig};
//! use rtclite_sip::transaction::Input;
//! use rtclite_sip::transport::{Destination, TransportKind};
//!
//! let config = ProxyConfig {
//!     domains: vec!["biloxi.example.com".into()],
//!     local: vec![LocalAddr { transport: TransportKind::Udp, host: "192.0.2.2".into(), port: 5060 }],
//!     ..ProxyConfig::default()
//! };
//! let registrar = Registrar::new(
//!     RegistrarConfig { domains: config.domains.clone(), ..RegistrarConfig::default() },
//!     InMemoryLocationService::new(),
//! );
//! let mut proxy = Proxy::new(config, registrar, DefaultPolicy);
//! let now = Instant::now();
//! // Bob registers, then Alice calls him through the proxy.
//! proxy.handle_input(now, Input::Received {
//!     transport: TransportKind::Udp,
//!     source: "192.0.2.4:5060".parse()?,
//!     bytes: Bytes::from_static(b"REGISTER sip:biloxi.example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7\r\nMax-Forwards: 70\r\n\
//! To: Bob <sip:bob@biloxi.example.com>\r\nFrom: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n\
//! Call-ID: 843817637684230@998sdasdh09\r\nCSeq: 1826 REGISTER\r\n\
//! Contact: <sip:bob@192.0.2.4>\r\nExpires: 7200\r\nContent-Length: 0\r\n\r\n"),
//! })?;
//! let ok = proxy.poll_transmit().unwrap();
//! assert_eq!(ok.message.message().status(), Some(200));
//! assert!(matches!(proxy.poll_event(), Some(ProxyEvent::Registration { status: 200, .. })));
//! assert!(matches!(proxy.poll_event(), Some(ProxyEvent::FinalResponse { status: 200, .. })));
//!
//! proxy.handle_input(now, Input::Received {
//!     transport: TransportKind::Udp,
//!     source: "192.0.2.101:5060".parse()?,
//!     bytes: Bytes::from_static(b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\nMax-Forwards: 70\r\n\
//! To: Bob <sip:bob@biloxi.example.com>\r\nFrom: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
//! Call-ID: 3848276298220188511@atlanta.example.com\r\nCSeq: 1 INVITE\r\n\
//! Contact: <sip:alice@192.0.2.101>\r\nContent-Length: 0\r\n\r\n"),
//! })?;
//! let trying = proxy.poll_transmit().unwrap();
//! assert_eq!(trying.message.message().status(), Some(100));
//! let invite = proxy.poll_transmit().unwrap();
//! assert_eq!(invite.message.message().request_uri(), Some("sip:bob@192.0.2.4"));
//! assert_eq!(invite.message.message().max_forwards().unwrap()?, 69);
//! assert_eq!(invite.destination, Destination::Addr {
//!     transport: TransportKind::Udp,
//!     addr: "192.0.2.4:5060".parse()?,
//! });
//! assert!(matches!(proxy.poll_event(), Some(ProxyEvent::RequestRouted { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auth;
mod context;
mod edit;
mod fork;
mod route;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::builder::{cancel, response_to};
use crate::error::Error;
use crate::header_name::HeaderName;
use crate::headers::Via;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;
use crate::registrar::{LocationService, Registrar, canonical_aor};
use crate::transaction::{
    Event, Input, LayerConfig, TransactionError, TransactionId, TransactionLayer, Transmit,
};
use crate::transport::{Destination, TransportKind, response_destination, stamp_received};
use crate::uri::{SipUri, Uri};
use crate::validate::{Rejection, proxy_validate};

pub use auth::{DigestAuth, NONCE_LIFETIME};
use context::{Best, Branch, BranchState, Context, Stored, challenges_to_aggregate, choose_best};
pub use fork::{DEFAULT_Q, Forking, Target};
pub use route::{LocalAddr, stateless_branch, uri_destination};

/// The default Timer C: above the three minutes §16.6 step 11 requires.
pub const TIMER_C: Duration = Duration::from_secs(181);
/// The shortest Timer C accepted; shorter configured values are raised to
/// it.
pub const TIMER_C_MIN: Duration = Duration::from_secs(181);

/// Stateful (§16.2) or stateless (§16.11) operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxyMode {
    /// Transaction stateful with response contexts and forking.
    #[default]
    Stateful,
    /// A message forwarder: one target per request, no transactions.
    Stateless,
}

/// Settings of a [`Proxy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Stateful or stateless.
    pub mode: ProxyMode,
    /// The domains this proxy is responsible for (§16.5): requests for
    /// them are routed by the location service, REGISTERs for them go to
    /// the registrar.
    pub domains: Vec<String>,
    /// The addresses the proxy listens on. The one whose transport matches
    /// the next hop gives the Via sent-by (else the first); the first gives
    /// the Record-Route URI. Must not be empty.
    pub local: Vec<LocalAddr>,
    /// Other host names or addresses that mean this proxy (on the ports of
    /// `local`), for recognising its own Route and Via values.
    pub aliases: Vec<String>,
    /// Insert Record-Route (§16.6 step 4) into dialog-creating and unknown
    /// requests and requests inside a dialog.
    pub record_route: bool,
    /// The Record-Route value to insert, e.g. `<sip:p1.example.com;lr>`
    /// (must name this proxy and carry `lr`); by default one is made from
    /// the first `local` address.
    pub record_route_uri: Option<String>,
    /// The realm of the credentials this proxy checks: Proxy-Authorization
    /// values for it are consumed (not forwarded, §22.3); values for other
    /// realms are forwarded.
    pub realm: Option<String>,
    /// Option-tags understood in Proxy-Require (§16.3 step 5).
    pub supported: Vec<String>,
    /// Answer 482 to requests that looped (§16.3 step 4).
    pub loop_detection: bool,
    /// The transaction layer settings (its `trying_delay` is ignored: the
    /// proxy sends 100 Trying itself).
    pub layer: LayerConfig,
    /// Timer C (at least [`TIMER_C_MIN`]).
    pub timer_c: Duration,
    /// The most response contexts alive; a new request beyond it is
    /// answered 503.
    pub max_contexts: usize,
    /// The most branches per request: the bound of the target set,
    /// targets added by recursion included.
    pub max_branches: usize,
    /// How the target set is processed: all at once (the default) or in
    /// groups of equal q-value, one after the other (§16.6).
    pub forking: Forking,
    /// Recurse on the SIP and SIPS Contacts of a 3xx response by adding
    /// them to the target set (§16.5, §16.7 step 4) instead of passing the
    /// 3xx upstream; only for requests whose Request-URI is in one of
    /// `domains`. Off by default.
    pub recurse_on_3xx: bool,
    /// Watch the location service while a request whose targets came from
    /// it is being forked: a contact registered meanwhile for its
    /// address-of-record joins the target set (§16.5). On by default.
    pub monitor_location: bool,
    /// A secret for branch parameters and generated To tags; draw it from
    /// a random source once per process.
    pub secret: [u8; 32],
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            mode: ProxyMode::Stateful,
            domains: Vec::new(),
            local: vec![LocalAddr {
                transport: TransportKind::Udp,
                host: "127.0.0.1".into(),
                port: 5060,
            }],
            aliases: Vec::new(),
            record_route: true,
            record_route_uri: None,
            realm: None,
            supported: Vec::new(),
            loop_detection: true,
            layer: LayerConfig::default(),
            timer_c: TIMER_C,
            max_contexts: 50_000,
            max_branches: 16,
            forking: Forking::Parallel,
            recurse_on_3xx: false,
            monitor_location: true,
            secret: [0x5a; 32],
        }
    }
}

/// Decisions the proxy leaves to its user. Every method has a default, so
/// `impl ProxyPolicy for MyPolicy {}` accepts everything.
pub trait ProxyPolicy {
    /// Checks credentials before a request is forwarded or registered
    /// (§16.3 step 6, §22.3; §10.3 steps 3-4 for a REGISTER to the
    /// registrar). Return a response (401 or 407 with a challenge, 403) to
    /// refuse the request with it; `None` lets it through.
    fn authorize(&mut self, now: Instant, request: &Message<'_>) -> Option<OwnedMessage> {
        let _ = (now, request);
        None
    }

    /// The targets of a request whose Request-URI is in one of the proxy's
    /// domains (§16.5), given its canonical address-of-record. `None` asks
    /// the location service (the registrar's bindings).
    fn targets(&mut self, now: Instant, request: &Message<'_>, aor: &str) -> Option<Vec<String>> {
        let _ = (now, request, aor);
        None
    }

    /// The targets with their q-values (§16.6, §20.10), for a policy that
    /// orders them for [`Forking::Sequential`]. The default is
    /// [`targets`](Self::targets) without q-values.
    // [RFC 3261 §16.5] "Any information in or about the request or the current
    // environment of the element MAY be used in the construction of the target
    // set."
    fn target_set(
        &mut self,
        now: Instant,
        request: &Message<'_>,
        aor: &str,
    ) -> Option<Vec<Target>> {
        self.targets(now, request, aor)
            .map(|t| t.into_iter().map(Target::new).collect())
    }

    /// The ordered (transport, address, port) tuples of a next-hop URI
    /// (§16.6 step 7, RFC 3263 §4), tried in order until one answers. The
    /// default is the URI's own address ([`uri_destination`]), a host name
    /// being left to the runtime to resolve.
    fn next_hops(&mut self, uri: &SipUri<'_>) -> Vec<Destination> {
        vec![uri_destination(uri)]
    }
}

/// A [`ProxyPolicy`] that accepts every request and routes by the location
/// service.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultPolicy;

impl ProxyPolicy for DefaultPolicy {}

/// What the proxy tells its runtime (for logs and `--json` output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyEvent {
    /// A request was forwarded to these targets.
    RequestRouted {
        /// The method.
        method: String,
        /// The Call-ID.
        call_id: String,
        /// The Request-URI as received.
        request_uri: String,
        /// The target URIs (one in stateless mode).
        targets: Vec<String>,
    },
    /// A final response was sent upstream for a request (forwarded, chosen
    /// as best, or generated by the proxy).
    FinalResponse {
        /// The method.
        method: String,
        /// The Call-ID.
        call_id: String,
        /// The status code.
        status: u16,
    },
    /// The registrar answered a REGISTER.
    Registration {
        /// The canonical address-of-record.
        aor: String,
        /// The status code of the answer.
        status: u16,
        /// The contacts bound after it.
        contacts: Vec<String>,
    },
}

/// What went wrong with an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The transaction layer refused the message (unparseable, no branch,
    /// capacity).
    #[error(transparent)]
    Transaction(#[from] TransactionError),
    /// The message is malformed.
    #[error(transparent)]
    Message(#[from] Error),
    /// A response whose top Via is not this proxy's (§16.11, §18.1.2).
    #[error("response not addressed to this proxy: discarded (RFC 3261 §16.11)")]
    NotOurs,
}

/// What a proxy timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// Timer C or the CANCEL deadline of the branch at this index.
    Branch(usize),
    /// The end of the sequential-forking group with this number.
    Group(u32),
}

/// A timer of one response context.
type BranchTimer = Reverse<(Instant, u64, Due)>;

/// A SIP proxy with a registrar (RFC 3261 §16, §10.3), sans-IO.
#[derive(Debug)]
pub struct Proxy<L, P> {
    config: ProxyConfig,
    registrar: Registrar<L>,
    policy: P,
    layer: TransactionLayer,
    next_context: u64,
    branch_counter: u64,
    /// The per-instance part of stateful branches.
    prefix: String,
    /// The addresses that mean this proxy.
    locals: route::Locals,
    contexts: HashMap<u64, Context>,
    by_server: HashMap<TransactionId, u64>,
    by_client: HashMap<TransactionId, (u64, usize)>,
    cancels: HashMap<TransactionId, u64>,
    /// Address-of-record → the contexts whose targets came from its
    /// bindings (§16.5 monitoring).
    watched: HashMap<String, Vec<u64>>,
    timers: BinaryHeap<BranchTimer>,
    events: VecDeque<ProxyEvent>,
}

impl<L: LocationService, P: ProxyPolicy> Proxy<L, P> {
    /// A proxy with `config`, registering into `registrar` and asking
    /// `policy` for authorization, targets and next hops.
    pub fn new(mut config: ProxyConfig, registrar: Registrar<L>, policy: P) -> Self {
        config.timer_c = config.timer_c.max(TIMER_C_MIN);
        if config.local.is_empty() {
            config.local = ProxyConfig::default().local;
        }
        let prefix = route::instance_prefix(&config.secret);
        let locals = route::Locals::new(&config.local, &config.aliases);
        let layer = TransactionLayer::new(LayerConfig {
            // The proxy core sends 100 Trying itself (§16.2).
            trying_delay: None,
            ..config.layer
        });
        Self {
            config,
            registrar,
            policy,
            layer,
            next_context: 0,
            branch_counter: 0,
            prefix,
            locals,
            contexts: HashMap::new(),
            by_server: HashMap::new(),
            by_client: HashMap::new(),
            cancels: HashMap::new(),
            watched: HashMap::new(),
            timers: BinaryHeap::new(),
            events: VecDeque::new(),
        }
    }

    /// The settings.
    pub const fn config(&self) -> &ProxyConfig {
        &self.config
    }

    /// The registrar (and through it the location service).
    pub const fn registrar(&self) -> &Registrar<L> {
        &self.registrar
    }

    /// The policy.
    pub fn policy_mut(&mut self) -> &mut P {
        &mut self.policy
    }

    /// The transaction layer.
    pub const fn transactions(&self) -> &TransactionLayer {
        &self.layer
    }

    /// How many response contexts are alive.
    pub fn contexts(&self) -> usize {
        self.contexts.len()
    }

    /// Handles one message from the network. An error means the message
    /// was discarded (it is also safe to ignore).
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), ProxyError> {
        match self.config.mode {
            ProxyMode::Stateful => {
                let result = self.layer.handle_input(now, input);
                self.process_layer(now);
                result.map_err(ProxyError::from)
            }
            ProxyMode::Stateless => self.stateless_input(now, input),
        }
    }

    /// Fires every timer due at `now` (transaction timers, Timer C, CANCEL
    /// deadlines).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
        self.process_layer(now);
        while let Some(Reverse((at, ctx, due))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match due {
                Due::Branch(bi) => self.branch_timer(now, ctx, bi),
                Due::Group(g) => self.group_timer(now, ctx, g),
            }
            self.process_layer(now);
        }
    }

    /// Tells the proxy that the transport could not deliver to
    /// `destination` (a refused TCP connection, an ICMP error): every client
    /// transaction sending there fails, and each branch behaves as if it
    /// received 503 (§16.9) or moves on to its next tuple (§16.6 step 7).
    pub fn handle_transport_error(&mut self, now: Instant, destination: &Destination) {
        let failed: Vec<TransactionId> = self
            .layer
            .ids()
            .filter(|id| {
                self.layer
                    .client(*id)
                    .is_some_and(|c| c.destination() == destination)
            })
            .collect();
        for id in failed {
            self.layer.handle_transport_error(now, id);
        }
        self.process_layer(now);
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.layer.poll_transmit()
    }

    /// The next event for the runtime.
    pub fn poll_event(&mut self) -> Option<ProxyEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called;
    /// may be early, never late.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let own = self.timers.peek().map(|Reverse((at, _, _))| *at);
        [self.layer.poll_timeout(), own].into_iter().flatten().min()
    }

    // ----- stateful core -------------------------------------------------

    fn process_layer(&mut self, now: Instant) {
        // Bounded: every event is handled once; handling one can queue a
        // few more (a transaction's end), never an unbounded chain.
        while let Some(e) = self.layer.poll_event() {
            match e {
                Event::Request {
                    id: Some(id),
                    request,
                    source,
                    ..
                } => {
                    if request.message().method() == Some(Method::Cancel) {
                        self.receive_cancel(now, id, request, source);
                    } else {
                        self.receive_request(now, id, request, source);
                    }
                }
                Event::Request {
                    id: None, request, ..
                }
                | Event::Ack { request, .. } => {
                    // [RFC 3261 §16.11] "A stateless proxy MUST validate a
                    // request as described in Section 16.3"
                    // An ACK for a 2xx is end to end: forwarded statelessly.
                    self.forward_statelessly(now, &request, None);
                }
                Event::Response { id, response } => self.receive_response(now, id, response),
                Event::StrayResponse { response, source } => {
                    // [RFC 3261 §16.7] "If none is found, the element MUST
                    // process the response (even if it is an informational
                    // response) as a stateless proxy (described below)."
                    let _ = self.relay_response(&response, Some(source));
                }
                Event::Timeout { id, .. } => {
                    // [RFC 3261 §16.6] "If the client transaction reports failure
                    // to send the request or a timeout from its state machine,
                    // the proxy continues to the next address in that ordered
                    // set."
                    self.branch_failed(now, id, 408);
                }
                Event::TransportError { id } => {
                    // [RFC 3261 §16.9] "If the transport layer notifies a proxy of
                    // an error when it tries to forward a request (see Section
                    // 18.4), the proxy MUST behave as if the forwarded request
                    // received a 503 (Service Unavailable) response."
                    // [RFC 3261 §16.9] "The proxy SHOULD NOT cancel any
                    // outstanding client transactions associated with this
                    // response context due to this notification."
                    self.branch_failed(now, id, 503);
                }
                Event::Terminated { id } => self.terminated(now, id),
                // Variants the layer may grow are not the proxy's concern.
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
    }

    /// Answers on server transaction `id` with a response the proxy makes
    /// itself, acting as a UAS (§16.3, §8.2.6).
    fn reply(
        &mut self,
        now: Instant,
        id: TransactionId,
        request: &Message<'_>,
        status: u16,
        reason: &str,
        extra: &[(HeaderName, String)],
    ) {
        let Some(resp) = self.make_response(request, status, reason, extra) else {
            return;
        };
        let _ = self.layer.send_response(now, id, resp);
        if status >= 200 {
            self.final_event(request, status);
        }
    }

    fn make_response(
        &self,
        request: &Message<'_>,
        status: u16,
        reason: &str,
        extra: &[(HeaderName, String)],
    ) -> Option<OwnedMessage> {
        if status == 100 && extra.is_empty() {
            return edit::trying(request).ok();
        }
        // A 100 carries no To tag (§8.2.6.2): no need to compute one.
        let tag = (status > 100).then(|| self.to_tag(request));
        let resp = response_to(request, status, reason, tag.as_deref()).ok()?;
        if extra.is_empty() {
            return Some(resp);
        }
        edit::append_headers(&resp.message(), extra).ok()
    }

    /// A To tag for responses the proxy generates: the same for
    /// retransmissions of one request.
    fn to_tag(&self, request: &Message<'_>) -> String {
        let branch = request
            .top_via()
            .ok()
            .and_then(|v| v.branch())
            .unwrap_or_default();
        route::keyed_hash(
            &self.config.secret,
            &[
                b"to-tag",
                branch.as_bytes(),
                request.call_id().unwrap_or_default().as_bytes(),
            ],
        )
    }

    fn final_event(&mut self, request: &Message<'_>, status: u16) {
        self.events.push_back(ProxyEvent::FinalResponse {
            method: request
                .method()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
            call_id: request.call_id().unwrap_or_default().to_owned(),
            status,
        });
    }

    fn receive_request(
        &mut self,
        now: Instant,
        id: TransactionId,
        request: OwnedMessage,
        source: SocketAddr,
    ) {
        let msg = request.message();
        // [RFC 3261 §16.2] "For all new requests, including any with unknown
        // methods, an element intending to proxy the request MUST:"
        let plan = match self.admit(now, &msg) {
            Ok(plan) => plan,
            Err(refusal) => {
                self.refuse(now, Some(id), &msg, source, refusal);
                return;
            }
        };
        let Plan {
            routes,
            targets,
            responsible,
            aor,
        } = plan;
        if self.contexts.len() >= self.config.max_contexts {
            self.reply(now, id, &msg, 503, "Service Unavailable", &[]);
            return;
        }
        let invite = msg.method() == Some(Method::Invite);
        if invite {
            // [RFC 3261 §16.2] "The proxy core MUST behave as a UAS with
            // respect to sending an immediate provisional on that server
            // transaction (such as 100 Trying) as described in Section 8.2.6."
            // [RFC 3261 §16.2] "Thus, a stateful proxy SHOULD NOT generate 100
            // (Trying) responses to non-INVITE requests."
            self.reply(now, id, &msg, 100, "Trying", &[]);
        }
        let received_routes: Vec<String> = msg
            .values_of(HeaderName::Route)
            .map(|(_, v)| v.to_owned())
            .collect();
        let routes_changed = received_routes != routes;
        let sips = msg
            .request_uri()
            .and_then(route::sip_uri)
            .is_some_and(|u| u.secure);
        self.next_context += 1;
        let key = self.next_context;
        // [RFC 3261 §16.6] "For the purposes of this model, this mechanism is
        // a "response context" created by the proxy layer before forwarding
        // the first request."
        let ctx = Context {
            server: id,
            server_alive: true,
            request: request.clone(),
            source,
            invite,
            routes,
            routes_changed,
            branches: Vec::new(),
            waiting: targets,
            group: 0,
            group_expired: false,
            responsible,
            sips,
            aor: aor.clone(),
            finals: Vec::new(),
            final_sent: None,
            no_new_branches: false,
            cancelled: false,
        };
        self.contexts.insert(key, ctx);
        self.by_server.insert(id, key);
        // [RFC 3261 §16.5] "If a proxy uses a dynamic source of information
        // while building the target set (for instance, if it consults a SIP
        // Registrar), it SHOULD monitor that source for the duration of
        // processing the request."
        if let Some(aor) = aor.filter(|_| self.config.monitor_location) {
            self.watched.entry(aor).or_default().push(key);
        }
        // [RFC 3261 §16.6] "As soon as the target set is non-empty, a proxy MAY
        // begin forwarding the request."
        self.maybe_finish(now, key);
    }

    /// Starts the next group of waiting targets while the current group
    /// is over (§16.6): at once in parallel mode, after the previous group
    /// ended without a 2xx in sequential mode.
    fn advance_groups(&mut self, now: Instant, key: u64) {
        // Bounded: each round starts at least one waiting target, and the
        // target set holds at most `max_branches`.
        for _ in 0..=self.config.max_branches {
            let forking = self.config.forking;
            let Some(ctx) = self.contexts.get_mut(&key) else {
                return;
            };
            // No new branch after a 6xx (§16.7 step 5, see `receive_response`),
            // a forwarded final response or the caller's CANCEL.
            if ctx.waiting.is_empty() || !ctx.may_branch() {
                return;
            }
            let sequential = matches!(forking, Forking::Sequential { .. });
            if sequential && !ctx.group_over() {
                if !ctx.group_expired {
                    return;
                }
                // The group rang for its whole time and a later group
                // exists: give up on it.
                self.give_up_group(now, key);
            }
            self.start_group(now, key);
        }
    }

    /// Takes the next group from the waiting targets and forwards the
    /// request to each of them (§16.6).
    fn start_group(&mut self, now: Instant, key: u64) {
        let forking = self.config.forking;
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return;
        };
        let group = fork::next_group(&mut ctx.waiting, forking);
        if group.is_empty() {
            return;
        }
        ctx.group = ctx.group.wrapping_add(1);
        ctx.group_expired = false;
        let g = ctx.group;
        let first = ctx.branches.len();
        // Every branch of the group exists before the first is started, so
        // that one failing at once does not make the group look over.
        ctx.branches
            .extend(group.iter().map(|t| Branch::new(t.uri.clone(), g)));
        let last = ctx.branches.len();
        let msg = ctx.request.message();
        self.events.push_back(request_routed(
            &msg,
            group.into_iter().map(|t| t.uri).collect(),
        ));
        if let Forking::Sequential {
            group_timeout: Some(d),
        } = forking
        {
            self.timers.push(Reverse((now + d, key, Due::Group(g))));
        }
        for bi in first..last {
            self.start_branch(now, key, bi, true);
        }
    }

    /// The time of sequential group `g` ran out.
    fn group_timer(&mut self, now: Instant, key: u64, g: u32) {
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return;
        };
        if ctx.group != g {
            return;
        }
        ctx.group_expired = true;
        self.maybe_finish(now, key);
    }

    /// Gives up on every live branch of the current group: CANCELs the
    /// ones that rang (§9.1), and marks the others to be CANCELled when
    /// their first provisional response arrives.
    fn give_up_group(&mut self, now: Instant, key: u64) {
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return;
        };
        let g = ctx.group;
        for b in ctx.branches.iter_mut() {
            if b.group == g && b.state != BranchState::Done {
                b.given_up = true;
            }
        }
        // A non-INVITE transaction cannot be CANCELled (§9): it runs to its
        // own end, and its final response is kept.
        self.cancel_live(now, key, Some(g));
    }

    /// §16.3 to §16.5 for a new request: either a plan to forward it or
    /// the reason to refuse it. REGISTERs for our domains are answered
    /// here (through [`Refusal::Answered`]).
    fn admit(&mut self, now: Instant, msg: &Message<'_>) -> Result<Plan, Refusal> {
        // [RFC 3261 §16.3] "Before an element can proxy a request, it MUST
        // verify the message's validity."
        // [RFC 3261 §16.3] "An element MUST NOT refuse to proxy a request
        // because it contains a method or header field it does not know
        // about."
        let supported: Vec<&str> = self.config.supported.iter().map(String::as_str).collect();
        // [RFC 3261 §16.3] "Any components involved in the remainder of these
        // Request Validation steps or the Request Forwarding section MUST be
        // well-formed."
        if let Err(rejection) = proxy_validate(msg, &supported) {
            return Err(Refusal::Rejected(rejection));
        }
        // [RFC 3261 §16.3] "An element MAY check for forwarding loops before
        // forwarding a request."
        if self.config.loop_detection && route::has_looped(&self.config.secret, msg, &self.locals) {
            // [RFC 3261 §16.3] "If a loop is detected, the element MAY return a
            // 482 (Loop Detected) response."
            return Err(Refusal::Status(482, "Loop Detected"));
        }
        let method = msg.method();
        // [RFC 3261 §22.1] "servers MUST NOT attempt to challenge CANCEL
        // requests since these requests cannot be resubmitted."
        let challengeable = !matches!(method, Some(Method::Cancel | Method::Ack));
        // [RFC 3261 §16.3] "If an element requires credentials before
        // forwarding a request, the request MUST be inspected as described in
        // Section 22.3."
        if challengeable {
            if let Some(resp) = self.policy.authorize(now, msg) {
                return Err(Refusal::Response(resp));
            }
        }
        let ruri = msg.request_uri().unwrap_or_default();
        let mut routes: Vec<String> = msg
            .values_of(HeaderName::Route)
            .map(|(_, v)| v.to_owned())
            .collect();
        let mut request_uri = ruri.to_owned();
        // [RFC 3261 §16.4] "The proxy MUST inspect the Request-URI of the
        // request."
        if let Some(u) = route::sip_uri(ruri) {
            let ours = route::is_self(&u, &self.locals);
            if ours && u.params.contains("lr") {
                // [RFC 3261 §16.4] "If the Request-URI of the request contains a
                // value this proxy previously placed into a Record-Route header
                // field (see Section 16.6 item 4), the proxy MUST replace the
                // Request-URI in the request with the last value from the Route
                // header field, and remove that value from the Route header
                // field."
                if let Some(last) = routes.pop() {
                    request_uri = route::route_uri(&last).unwrap_or(last);
                }
                // [RFC 3261 §16.4] "If the Request-URI contains a maddr parameter, the
                // proxy MUST check to see if its value is in the set of addresses or
                // domains the proxy is configured to be responsible for."
                // (`is_self` looks at the maddr when there is one.)
            } else if ours && u.param("maddr").is_some() {
                // [RFC 3261 §16.4] "the proxy MUST strip the maddr and any
                // non-default port or transport parameter and continue
                // processing as if those values had not been present in the
                // request."
                request_uri = strip_maddr(&u);
            }
        }
        // [RFC 3261 §16.4] "If the first value in the Route header field
        // indicates this proxy, the proxy MUST remove that value from the
        // request."
        while routes.first().is_some_and(|r| {
            route::route_uri(r)
                .as_deref()
                .and_then(route::sip_uri)
                .is_some_and(|u| route::is_self(&u, &self.locals))
        }) {
            routes.remove(0);
        }
        // [RFC 3261 §16.4] "The proxy MUST then proceed as if it received this
        // modified request."
        let (targets, responsible, aor) = self.targets(now, msg, &request_uri, &routes, method)?;
        Ok(Plan {
            routes,
            targets,
            responsible,
            aor,
        })
    }

    /// §16.5: the target set of a preprocessed request, highest q-value
    /// first, whether the proxy is responsible for its Request-URI (and so
    /// may add targets later), and the address-of-record whose bindings
    /// gave the targets.
    fn targets(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        request_uri: &str,
        routes: &[String],
        method: Option<Method<'_>>,
    ) -> Result<(Vec<Target>, bool, Option<String>), Refusal> {
        let parsed = Uri::parse(request_uri).ok();
        let sip = parsed.as_ref().and_then(Uri::as_sip);
        let Some(sip) = sip else {
            // A tel: or other URI: only a Route can say where it goes.
            if routes.is_empty() {
                return Err(Refusal::Status(416, "Unsupported URI Scheme"));
            }
            return Ok((vec![Target::new(request_uri)], false, None));
        };
        // [RFC 3261 §16.5] "If the Request-URI of the request contains an maddr
        // parameter, the Request-URI MUST be placed into the target set as the
        // only target URI, and the proxy MUST proceed to Section 16.6."
        if sip.param("maddr").is_some() {
            return Ok((vec![Target::new(request_uri)], false, None));
        }
        let ours = self.is_our_domain(sip);
        // [RFC 3261 §16.5] "If the domain of the Request-URI indicates a domain
        // this element is not responsible for, the Request-URI MUST be placed
        // into the target set as the only target, and the element MUST proceed
        // to the task of Request Forwarding (Section 16.6)."
        // A request with a Route left after §16.4 is routed by it (§16.12).
        // [RFC 3261 §16.5] "A proxy MUST NOT add additional targets to the target
        // set if the Request-URI of the original request does not indicate a
        // resource this proxy is responsible for."
        if !ours || !routes.is_empty() {
            return Ok((vec![Target::new(request_uri)], false, None));
        }
        if method == Some(Method::Register) {
            return Err(Refusal::Register);
        }
        if sip.user.is_none() {
            // Addressed to the proxy itself.
            return Err(if method == Some(Method::Options) {
                Refusal::Status(200, "OK")
            } else {
                Refusal::Status(404, "Not Found")
            });
        }
        // [RFC 3261 §16.5] "When accessing the location service constructed by
        // a registrar, the Request-URI MUST first be canonicalized as described
        // in Section 10.3 before being used as an index."
        let aor = canonical_aor(&Uri::Sip(*sip)).unwrap_or_default();
        // [RFC 3261 §16.5] "If the target set for the request has not been
        // predetermined as described above, this implies that the element is
        // responsible for the domain in the Request-URI, and the element MAY
        // use whatever mechanism it desires to determine where to send the
        // request."
        let mut from_location = false;
        let mut found = match self.policy.target_set(now, msg, &aor) {
            Some(t) => t,
            None => {
                let mut bindings = self.registrar.location().bindings(&aor);
                if bindings.is_empty() && sip.port.is_some() {
                    let without = SipUri { port: None, ..*sip };
                    let aor2 = canonical_aor(&Uri::Sip(without)).unwrap_or_default();
                    bindings = self.registrar.location().bindings(&aor2);
                }
                if bindings.is_empty() {
                    // [RFC 3261 §16.5] "If the Request-URI indicates a resource at
                    // this proxy that does not exist, the proxy MUST return a 404
                    // (Not Found) response."
                    return Err(Refusal::Status(404, "Not Found"));
                }
                bindings.retain(|b| b.expires_at > now);
                from_location = true;
                bindings
                    .into_iter()
                    .map(|b| Target { uri: b.uri, q: b.q })
                    .collect()
            }
        };
        // A Contact's q-value orders the set (§20.10):
        fork::sort_by_q(&mut found);
        let mut set: Vec<Target> = Vec::with_capacity(found.len());
        for t in found {
            let Ok(u) = Uri::parse(&t.uri) else { continue };
            // [RFC 3261 §16.5] "If a target URI is already present in the set
            // (based on the definition of equality for the URI type), it MUST
            // NOT be added again."
            // [RFC 3261 §16.5] "As above, any given URI MUST NOT be added to the set
            // more than once."
            let dup = fork::is_known(&u, set.iter().map(|s| s.uri.as_str()));
            if !dup && set.len() < self.config.max_branches {
                set.push(t);
            }
        }
        // [RFC 3261 §16.5 exception: a location service answers or not; no ambiguity is modelled] "If
        // the Request-URI does not provide sufficient information for the proxy
        // to determine the target set, it SHOULD return a 485 (Ambiguous)
        // response."
        if set.is_empty() {
            // [RFC 3261 §16.5] "If the target set remains empty after applying
            // all of the above, the proxy MUST return an error response, which
            // SHOULD be the 480 (Temporarily Unavailable) response."
            return Err(Refusal::Status(480, "Temporarily Unavailable"));
        }
        Ok((set, true, from_location.then_some(aor)))
    }

    fn is_our_domain(&self, uri: &SipUri<'_>) -> bool {
        let host = uri.host.to_string();
        self.config
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&host))
            || route::is_self(uri, &self.locals)
    }

    /// Answers a refused request (`id` is the server transaction, `None` in
    /// stateless mode).
    fn refuse(
        &mut self,
        now: Instant,
        id: Option<TransactionId>,
        msg: &Message<'_>,
        source: SocketAddr,
        refusal: Refusal,
    ) {
        let mut bound = None;
        let (resp, status) = match refusal {
            Refusal::Rejected(r) => {
                let extra = match &r {
                    // [RFC 3261 §16.3] "The response MUST include an Unsupported
                    // (Section 20.40) header field listing those option-tags the
                    // element did not understand."
                    Rejection::BadExtension(tags) => {
                        vec![(HeaderName::Unsupported, tags.join(", "))]
                    }
                    _ => Vec::new(),
                };
                let status = r.status();
                // [RFC 3261 §16.3] "If any of these checks fail, the element MUST
                // behave as a user agent server (see Section 8.2) and respond
                // with an error code."
                (
                    self.make_response(msg, status, reason_of(status), &extra),
                    status,
                )
            }
            Refusal::Status(status, reason) => {
                let extra = if status == 200 {
                    vec![(
                        HeaderName::Allow,
                        "INVITE, ACK, CANCEL, OPTIONS, BYE, REGISTER".to_owned(),
                    )]
                } else {
                    Vec::new()
                };
                (self.make_response(msg, status, reason, &extra), status)
            }
            Refusal::Response(r) => {
                let status = r.message().status().unwrap_or(500);
                (Some(r), status)
            }
            Refusal::Register => {
                let resp = self.registrar.handle_register(now, msg);
                let status = resp
                    .as_ref()
                    .and_then(|r| r.message().status())
                    .unwrap_or(500);
                let aor = msg
                    .to()
                    .ok()
                    .and_then(|t| canonical_aor(t.uri()))
                    .unwrap_or_default();
                let contacts = self
                    .registrar
                    .location()
                    .bindings(&aor)
                    .into_iter()
                    .filter(|b| b.expires_at > now)
                    .map(|b| b.uri)
                    .collect();
                if status == 200 {
                    bound = Some(aor.clone());
                }
                self.events.push_back(ProxyEvent::Registration {
                    aor,
                    status,
                    contacts,
                });
                (resp, status)
            }
        };
        let Some(resp) = resp else { return };
        match id {
            Some(id) => {
                let _ = self.layer.send_response(now, id, resp);
            }
            None => {
                // [RFC 3261 §16.11] "Furthermore, when handling a request
                // statelessly, an element MUST NOT generate its own 100 (Trying)
                // or any other provisional response."
                if status < 200 {
                    return;
                }
                if let Ok(via) = msg.top_via() {
                    let dest = response_destination(&via, source);
                    self.layer.send_stateless(dest, resp);
                }
            }
        }
        if status >= 200 {
            self.final_event(msg, status);
        }
        if let Some(aor) = bound {
            self.location_changed(now, &aor);
        }
    }

    /// The bindings of `aor` changed: contexts forking to it add the new
    /// contacts to their target sets (§16.5).
    fn location_changed(&mut self, now: Instant, aor: &str) {
        let Some(keys) = self.watched.get(aor).cloned() else {
            return;
        };
        let bindings: Vec<_> = self
            .registrar
            .location()
            .bindings(aor)
            .into_iter()
            .filter(|b| b.expires_at > now)
            .collect();
        let max = self.config.max_branches;
        for key in keys {
            let Some(ctx) = self.contexts.get_mut(&key) else {
                continue;
            };
            if !ctx.may_branch() {
                continue;
            }
            let mut added = false;
            for b in &bindings {
                let Ok(u) = Uri::parse(&b.uri) else { continue };
                let request = ctx.request.message();
                let received_uri = request.request_uri().unwrap_or_default();
                let known = ctx
                    .branches
                    .iter()
                    .map(|x| x.target.as_str())
                    .chain(ctx.waiting.iter().map(|t| t.uri.as_str()))
                    .chain(std::iter::once(received_uri));
                // [RFC 3261 §16.5] "As above, any given URI MUST NOT be added to
                // the set more than once."
                if fork::is_known(&u, known) || ctx.branches.len() + ctx.waiting.len() >= max {
                    continue;
                }
                // [RFC 3261 §16.5] "New locations SHOULD be added to the target
                // set as they become available."
                let target = Target {
                    uri: b.uri.clone(),
                    q: b.q,
                };
                fork::insert_by_q(&mut ctx.waiting, target);
                added = true;
            }
            if added {
                self.maybe_finish(now, key);
            }
        }
    }

    /// Builds the copy of the context's request for branch `bi` and sends
    /// it (§16.6 steps 1-10) to the next untried tuple; `first` resolves
    /// the tuples.
    fn start_branch(&mut self, now: Instant, key: u64, bi: usize, first: bool) {
        let Some(ctx) = self.contexts.get(&key) else {
            return;
        };
        let Some(branch) = ctx.branches.get(bi) else {
            return;
        };
        let target = branch.target.clone();
        let request = ctx.request.clone();
        let msg = request.message();
        let routes = ctx.routes.clone();
        let routes_changed = ctx.routes_changed;
        let Some(copy) = self.prepare_copy(&msg, &target, &routes, routes_changed) else {
            self.fail_branch(now, key, bi, 416);
            return;
        };
        let mut untried = if first {
            let Some(hop) = route::sip_uri(&copy.next_hop) else {
                self.fail_branch(now, key, bi, 416);
                return;
            };
            // [RFC 3261 §16.6] "The procedures will produce an ordered set of
            // (address, port, transport) tuples."
            self.policy.next_hops(&hop)
        } else {
            self.contexts
                .get_mut(&key)
                .and_then(|c| c.branches.get_mut(bi))
                .map(|b| std::mem::take(&mut b.untried))
                .unwrap_or_default()
        };
        if untried.is_empty() {
            // [RFC 3261 §16.6] "If the ordered set is exhausted, the request
            // cannot be forwarded to this element in the target set."
            // [RFC 3261 §16.6] "The proxy does not need to place anything in the
            // response context, but otherwise acts as if this element of the
            // target set returned a 408 (Request Timeout) final response."
            self.fail_branch(now, key, bi, 408);
            return;
        }
        // [RFC 3261 §16.6] "As described in [4], the proxy MUST attempt to
        // deliver the message to the first tuple in that set, and proceed
        // through the set in order until the delivery attempt succeeds."
        let destination = untried.remove(0);
        // [RFC 3261 §16.6] "Thus, the branch parameter provided with the Via
        // header field inserted in step 8 MUST be different for each attempt."
        self.branch_counter += 1;
        let loop_part = route::loop_hash(&self.config.secret, &msg);
        let branch_id = route::stateful_branch(&self.prefix, self.branch_counter, &loop_part);
        // [RFC 3261 §16.6] "For each tuple attempted, the proxy MUST format the
        // message as appropriate for the tuple and send the request using a new
        // client transaction as detailed in steps 8 through 10."
        let forwarded = match self.build_copy(&msg, &copy, &destination, &branch_id) {
            Ok(f) => f,
            Err(_) => {
                self.fail_branch(now, key, bi, 500);
                return;
            }
        };
        // [RFC 3261 §16.6] "A stateful proxy MUST create a new client
        // transaction for this request as described in Section 17.1 and
        // instructs the transaction to send the request using the address,
        // port and transport determined in step 7."
        let client = match self
            .layer
            .send_request(now, forwarded.clone(), destination.clone())
        {
            Ok(id) => id,
            Err(_) => {
                self.fail_branch(now, key, bi, 503);
                return;
            }
        };
        self.by_client.insert(client, (key, bi));
        let timer_c = self.config.timer_c;
        let mut arm = None;
        if let Some(b) = self
            .contexts
            .get_mut(&key)
            .and_then(|c| c.branches.get_mut(bi))
        {
            b.client = Some(client);
            b.request = Some(forwarded);
            b.destination = Some(destination);
            b.untried = untried;
            b.state = BranchState::Trying;
            if msg.method() == Some(Method::Invite) {
                // [RFC 3261 §16.6] "Timer C MUST be set for each client
                // transaction when an INVITE request is proxied."
                // [RFC 3261 §16.6] "The timer MUST be larger than 3 minutes."
                let at = now + timer_c;
                b.timer_c = Some(at);
                arm = Some(at);
            }
        }
        if let Some(at) = arm {
            self.timers.push(Reverse((at, key, Due::Branch(bi))));
        }
    }

    /// §16.6 steps 2, 4 and 6 decided for one target (the parts that do
    /// not depend on the next-hop tuple).
    fn prepare_copy(
        &self,
        msg: &Message<'_>,
        target: &str,
        routes: &[String],
        routes_changed: bool,
    ) -> Option<CopyPlan> {
        // [RFC 3261 §16.6] "If the URI contains any parameters not allowed in a
        // Request-URI, they MUST be removed."
        let mut request_uri = request_uri_form(target)?;
        let mut routes = routes.to_vec();
        let mut changed = routes_changed;
        // [RFC 3261 §16.6] "If the copy contains a Route header field, the
        // proxy MUST inspect the URI in its first value."
        let first_uri = routes.first().and_then(|r| route::route_uri(r));
        let strict = match first_uri.as_deref() {
            Some(u) => match Uri::parse(u) {
                Ok(Uri::Sip(s)) => !s.params.contains("lr"),
                _ => false,
            },
            None => false,
        };
        // [RFC 3261 §16.6] "If that URI does not contain an lr parameter, the proxy
        // MUST modify the copy as follows:"
        if strict {
            if let Some(first) = first_uri {
                // [RFC 3261 §16.6] "The proxy MUST place the Request-URI into the
                // Route header field as the last value."
                routes.push(format!("<{request_uri}>"));
                // [RFC 3261 §16.6] "The proxy MUST then place the first Route
                // header field value into the Request-URI and remove that value
                // from the Route header field."
                request_uri = first;
                routes.remove(0);
                changed = true;
            }
        }
        // [RFC 3261 §16.6] "If the proxy has reformatted the request to send to
        // a strict-routing element as described in step 6 above, the proxy MUST
        // apply those procedures to the Request-URI of the request."
        // [RFC 3261 §16.6] "Otherwise, the proxy MUST apply the procedures to
        // the first value in the Route header field, if present, else the
        // Request-URI."
        let next_hop = if strict {
            request_uri.clone()
        } else {
            match routes.first().and_then(|r| route::route_uri(r)) {
                Some(u) => u,
                None => request_uri.clone(),
            }
        };
        let method = msg.method();
        let in_dialog = msg.to().ok().and_then(|t| t.tag()).is_some();
        // [RFC 3261 §16.6] "The proxy will remain on the path if it chooses to
        // not insert a Record-Route header field value into requests that are
        // already part of a dialog."
        // [RFC 3261 §16.6] "The URI SHOULD NOT contain the transport parameter
        // unless the proxy has knowledge (such as in a private network) that
        // the next downstream element that will be in the path of subsequent
        // requests supports that transport."
        // (Only a proxy that listens on TCP alone adds `transport=tcp`.)
        // [RFC 3261 §16.6 exception: no TLS transport in this proxy] "If the
        // Request-URI contains a SIPS URI, or the topmost Route header field value
        // (after the post processing of bullet 6) contains a SIPS URI, the URI
        // placed into the Record-Route header field MUST be a SIPS URI."
        // [RFC 3261 §16.6 exception: local route-set policy is the caller's, through ProxyPolicy::next_hops] "This set
        // MUST be pushed into the Route header field of the copy ahead of any
        // existing values, if present."
        let record_route = self.config.record_route
            && !in_dialog
            && !matches!(
                method,
                Some(
                    Method::Register
                        | Method::Cancel
                        | Method::Ack
                        | Method::Options
                        | Method::Message
                )
            );
        Some(CopyPlan {
            request_uri,
            routes: changed.then_some(routes),
            next_hop,
            record_route,
        })
    }

    /// The forwarded request for one tuple (§16.6 steps 1-9).
    fn build_copy(
        &self,
        msg: &Message<'_>,
        plan: &CopyPlan,
        destination: &Destination,
        branch: &str,
    ) -> Result<OwnedMessage, Error> {
        let transport = destination.transport();
        let local = self
            .config
            .local
            .iter()
            .find(|l| l.transport == transport)
            .or(self.config.local.first());
        let sent_by = local.map(LocalAddr::sent_by).unwrap_or_default();
        // [RFC 3261 §16.6] "The construction of this value follows the same
        // guidelines of Section 8.1.1.7."
        let via = format!("SIP/2.0/{} {sent_by};branch={branch}", transport.as_str());
        // [RFC 3261 §16.6] "The URI placed in the Record-Route header field MUST
        // resolve to the element inserting it (or a suitable stand-in) when the
        // server location procedures of [4] are applied to it, so that subsequent
        // requests reach the same SIP element."
        // (The default is the proxy's own first listening address.)
        // [RFC 3261 §16.6 exception: a rule for endpoints (see the dialog module), not proxies] "Endpoints
        // MUST NOT use a URI obtained from a Record-Route header field outside
        // the dialog in which it was provided."
        // [RFC 3261 §16.6 exception: Record-Route values are never rewritten] "If the URI
        // placed in the Record-Route header field needs to be rewritten when it
        // passes back through in a response, the URI MUST be distinct enough to
        // locate at that time."
        // [RFC 3261 §16.6 exception: no TLS transport in this proxy] "Furthermore, if
        // the request was not received over TLS, the proxy MUST insert a
        // Record-Route header field."
        // [RFC 3261 §16.6 exception: no TLS transport in this proxy] "In a similar
        // fashion, a proxy that receives a request over TLS, but generates a request
        // without a SIPS URI in the Request-URI or topmost Route header field value
        // (after the post processing of bullet 6), MUST insert a Record-Route header
        // field that is not a SIPS URI."
        // [RFC 3261 §16.6 exception: no TLS transport in this proxy] "Independently
        // of which URI is being used as input to the procedures of [4], if the
        // Request-URI specifies a SIPS resource, the proxy MUST follow the procedures
        // of [4] as if the input URI were a SIPS URI."
        // [RFC 3261 §16.6 exception: no local route-set policy; next hops are the ProxyPolicy's] "A
        // proxy MUST ensure that all such proxies are loose routers."
        // [RFC 3261 §16.6 exception: no local route-set policy; next hops are the ProxyPolicy's] "If
        // the Route header field is absent, it MUST be added, containing that list of
        // URIs."
        // [RFC 3261 §16.6 exception: next_hops is the caller's policy and must name loose routers] "Such
        // a policy MUST NOT be used if the proxy is not certain that the IP address,
        // port, and transport correspond to a server that is a loose router."
        // [RFC 3261 §16.6 exception: next_hops is the caller's policy and must name loose routers] "If
        // the request has a Route header field, this alternative MUST NOT be used
        // unless it is known that next hop proxy is a loose router."
        let rr = if plan.record_route {
            let configured = self.config.record_route_uri.clone();
            configured.or_else(|| {
                self.config.local.first().map(|l| {
                    // [RFC 3261 §16.6] "The URI placed in the Record-Route header field
                    // value MUST be a SIP or SIPS URI."
                    // [RFC 3261 §16.6] "This URI MUST contain an lr parameter (see
                    // Section 19.1.1)."
                    match l.transport {
                        TransportKind::Udp => format!("<sip:{};lr>", l.sent_by()),
                        t => format!(
                            "<sip:{};transport={};lr>",
                            l.sent_by(),
                            t.as_str().to_ascii_lowercase()
                        ),
                    }
                })
            })
        } else {
            None
        };
        edit::forward_request(
            msg,
            &edit::RequestEdit {
                request_uri: &plan.request_uri,
                via: &via,
                record_route: rr.as_deref(),
                routes: plan.routes.as_deref(),
                decrement_max_forwards: true,
                consume_realm: self.config.realm.as_deref(),
            },
        )
    }

    /// Branch `bi` ended without a response of its own: record the status
    /// the RFC says to act as if received.
    fn fail_branch(&mut self, now: Instant, key: u64, bi: usize, status: u16) {
        if let Some(ctx) = self.contexts.get_mut(&key) {
            if let Some(b) = ctx.branches.get_mut(bi) {
                if b.state == BranchState::Done {
                    return;
                }
                b.state = BranchState::Done;
                b.timer_c = None;
                b.abandon_at = None;
            }
            ctx.finals.push(Stored {
                status,
                response: None,
            });
        }
        self.maybe_finish(now, key);
    }

    /// A client transaction failed (timeout, transport error): the next
    /// tuple, or the synthesised status.
    fn branch_failed(&mut self, now: Instant, id: TransactionId, status: u16) {
        let Some((key, bi)) = self.by_client.get(&id).copied() else {
            return;
        };
        let retry = self
            .contexts
            .get(&key)
            .and_then(|c| c.branches.get(bi).map(|b| (c, b)))
            .is_some_and(|(c, b)| {
                b.state == BranchState::Trying
                    && !b.given_up
                    && !b.untried.is_empty()
                    && c.final_sent.is_none()
                    && !c.cancelled
                    && !c.no_new_branches
            });
        if let Some(b) = self
            .contexts
            .get_mut(&key)
            .and_then(|c| c.branches.get_mut(bi))
        {
            b.client = None;
        }
        self.by_client.remove(&id);
        if retry {
            self.start_branch(now, key, bi, false);
        } else {
            self.fail_branch(now, key, bi, status);
        }
        self.collect(key);
    }

    // [RFC 3261 §16.7] "As client transactions pass responses to the proxy
    // layer, the following processing MUST take place:"
    fn receive_response(&mut self, now: Instant, id: TransactionId, response: OwnedMessage) {
        if self.cancels.contains_key(&id) {
            // The answer to our own CANCEL: nothing to forward (§16.7 step 3).
            return;
        }
        let Some((key, bi)) = self.by_client.get(&id).copied() else {
            let _ = self.relay_response(&response, None);
            return;
        };
        let msg = response.message();
        let status = msg.status().unwrap_or(500);
        // [RFC 3261 §16.7] "The proxy locates the "response context" it created
        // before forwarding the original request using the key described in
        // Section 16.6."
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return;
        };
        let invite = ctx.invite;
        let server = ctx.server;
        let mut send_cancel = false;
        let mut rearm = None;
        if let Some(b) = ctx.branches.get_mut(bi) {
            if (101..200).contains(&status) && invite {
                // [RFC 3261 §16.7] "For an INVITE transaction, if the response is a
                // provisional response with status codes 101 to 199 inclusive
                // (i.e., anything but 100), the proxy MUST reset timer C for that
                // client transaction."
                if b.timer_c.is_some() {
                    // [RFC 3261 §16.7] "The timer MAY be reset to a different value, but this
                    // value MUST be greater than 3 minutes."
                    let at = now + self.config.timer_c;
                    b.timer_c = Some(at);
                    rearm = Some(at);
                }
            }
            if status < 200 {
                if b.state == BranchState::Trying {
                    b.state = BranchState::Proceeding;
                }
                send_cancel = b.cancel_wanted && !b.cancel_sent;
            } else {
                b.state = BranchState::Done;
                b.timer_c = None;
                b.abandon_at = None;
            }
        }
        if let Some(at) = rearm {
            self.timers.push(Reverse((at, key, Due::Branch(bi))));
        }
        if send_cancel {
            self.cancel_branch(now, key, bi);
        }
        // [RFC 3261 §16.7] "The proxy removes the topmost Via header field
        // value from the response."
        let stripped = match edit::strip_top_via(&msg, &[]) {
            Ok(Some(s)) => s,
            _ => return,
        };
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return;
        };
        let final_sent = ctx.final_sent;
        if status < 200 {
            // [RFC 3261 §16.7] "Until a final response has been sent on the
            // server transaction, the following responses MUST be forwarded
            // immediately: - Any provisional response other than 100 (Trying)"
            // [RFC 3261 §16.7] "In particular, a stateful proxy MUST NOT forward
            // any 100 (Trying) response."
            if status > 100 && final_sent.is_none() {
                let _ = self.layer.send_response(now, server, stripped);
            }
            return;
        }
        if (200..300).contains(&status) {
            if final_sent.is_none() {
                // [RFC 3261 §16.7] "- Any provisional response other than 100
                // (Trying) - Any 2xx response"
                ctx.final_sent = Some(status);
                let request = ctx.request.clone();
                self.send_upstream(now, key, stripped);
                self.final_event(&request.message(), status);
                // [RFC 3261 §16.7] "If the forwarded response was a final
                // response, the proxy MUST generate a CANCEL request for all
                // pending client transactions associated with this response
                // context."
                self.cancel_pending(now, key);
            } else if invite {
                // [RFC 3261 §16.7] "After a final response has been sent on the
                // server transaction, the following responses MUST be forwarded
                // immediately: - Any 2xx response to an INVITE request"
                self.send_upstream(now, key, stripped);
            }
            self.maybe_finish(now, key);
            return;
        }
        if final_sent.is_some() {
            // [RFC 3261 §16.7] "A stateful proxy MUST NOT immediately forward any
            // other responses."
            return;
        }
        // A 416 is kept like any final response:
        // [RFC 3261 §16.7 exception: no tel-to-SIP rewriting] "If a proxy receives a 416 (Unsupported URI
        // Scheme) response to a request whose Request-URI scheme was not SIP,
        // but the scheme in the original received request was SIP or SIPS"
        // [RFC 3261 §16.7 exception: no tel-to-SIP rewriting] "This URI SHOULD be
        // a SIP URI version of the non-SIP URI that was just tried."
        // [RFC 3261 §16.7 exception: no tel-to-SIP rewriting] "As with a 3xx
        // response, if a proxy "recurses" on the 416 by trying a SIP or SIPS URI
        // instead, the 416 response SHOULD NOT be added to the response context."
        let stripped = if (300..400).contains(&status) && self.config.recurse_on_3xx {
            match self.recurse(key, stripped) {
                Some(r) => r,
                None => {
                    self.maybe_finish(now, key);
                    return;
                }
            }
        } else {
            stripped
        };
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return;
        };
        // [RFC 3261 §16.7] "Final responses received are stored in the response
        // context until a final response is generated on the server transaction
        // associated with this context."
        ctx.finals.push(Stored {
            status,
            response: Some(stripped),
        });
        if status >= 600 {
            // [RFC 3261 §16.7] "If a 6xx response is received, it is not
            // immediately forwarded, but the stateful proxy SHOULD cancel all
            // client pending transactions as described in Section 10, and it
            // MUST NOT create any new branches in this context."
            ctx.no_new_branches = true;
            // [RFC 3261 §16.7] "A proxy SHOULD also generate a CANCEL request
            // for all pending client transactions associated with this response
            // context when it receives a 6xx response."
            self.cancel_pending(now, key);
        }
        self.maybe_finish(now, key);
    }

    /// §16.7 step 4 for a 3xx when the proxy recurses: its SIP and SIPS
    /// Contacts go into the target set (once each) and out of the
    /// response. Returns the response to store, `None` when no Contact is
    /// left in it.
    fn recurse(&mut self, key: u64, response: OwnedMessage) -> Option<OwnedMessage> {
        let max = self.config.max_branches;
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return Some(response);
        };
        // [RFC 3261 §16.5] "If the proxy is not responsible for that URI, it will
        // not recurse on 3xx or 416 responses"
        // [RFC 3261 §16.5] "If the Request-URI of the original request indicates
        // a resource this proxy is responsible for, the proxy MAY continue to add
        // targets to the set after beginning Request Forwarding."
        if !ctx.responsible || !ctx.may_branch() {
            return Some(response);
        }
        let msg = response.message();
        let contacts: Vec<&str> = msg.values_of(HeaderName::Contact).map(|(_, v)| v).collect();
        let request = ctx.request.message();
        let received_uri = request.request_uri().unwrap_or_default();
        let known: Vec<&str> = ctx
            .branches
            .iter()
            .map(|b| b.target.as_str())
            .chain(ctx.waiting.iter().map(|t| t.uri.as_str()))
            .chain(std::iter::once(received_uri))
            .collect();
        let room = max.saturating_sub(ctx.branches.len() + ctx.waiting.len());
        let decisions = fork::recurse_on(&contacts, &known, room, ctx.sips);
        let drop: Vec<bool> = decisions
            .iter()
            .map(|d| !matches!(d, fork::Recursion::Keep))
            .collect();
        if !drop.contains(&true) {
            return Some(response);
        }
        for d in decisions {
            if let fork::Recursion::Add(t) = d {
                // [RFC 3261 §16.5] "It MAY use any information obtained during
                // that processing to determine new targets."
                fork::insert_by_q(&mut ctx.waiting, t);
            }
        }
        // [RFC 3261 §16.7] "If the proxy recurses on all of the contacts in a
        // 3xx response, the proxy SHOULD NOT add the resulting contactless
        // response to the response context."
        if drop.iter().all(|d| *d) {
            return None;
        }
        // [RFC 3261 §16.7] "If the proxy chooses to recurse on any contacts in a
        // 3xx response by adding them to the target set, it MUST remove them
        // from the response before adding the response to the response
        // context."
        let trimmed = edit::drop_values(&msg, HeaderName::Contact, &drop).ok();
        Some(trimmed.unwrap_or_else(|| response.clone()))
    }

    /// Passes a response to the context's server transaction, or, when it
    /// is gone, forwards it statelessly (§16.7 step 9). Record-Route values
    /// are never rewritten: the proxy has no TLS transport.
    // [RFC 3261 §16.7 exception: no TLS transport in this proxy] "If the proxy
    // received the request over TLS, and sent it out over a non-TLS
    // connection, the proxy MUST rewrite the URI in the Record-Route header
    // field to be a SIPS URI."
    // [RFC 3261 §16.7] "The following processing MUST be performed on each
    // response that is forwarded."
    // [RFC 3261 §16.7] "Any response chosen for immediate forwarding MUST be
    // processed as described in steps "Aggregate Authorization Header Field
    // Values" through "Record-Route"."
    // (Provisionals and 2xx never need aggregation; Record-Route is left as is.)
    // [RFC 3261 §16.7 exception: no TLS transport in this proxy] "If the proxy
    // received the request over a non-TLS connection, and sent it out over TLS,
    // the proxy MUST rewrite the URI in the Record-Route header field to be a
    // SIP URI."
    // [RFC 3261 §16.7 exception: Record-Route values are never rewritten] "The new
    // URI provided by the proxy MUST satisfy the same constraints on URIs placed
    // in Record-Route header fields in requests (see Step 4 of Section 16.6) with
    // the following modifications:"
    fn send_upstream(&mut self, now: Instant, key: u64, response: OwnedMessage) {
        let Some(ctx) = self.contexts.get(&key) else {
            return;
        };
        let server = ctx.server;
        let source = ctx.source;
        let alive = ctx.server_alive;
        // [RFC 3261 §16.7] "The proxy MUST pass the response to the server
        // transaction associated with the response context."
        if alive
            && self
                .layer
                .send_response(now, server, response.clone())
                .is_ok()
        {
            return;
        }
        // [RFC 3261 §16.7] "If the server transaction is no longer available to
        // handle the transmission, the element MUST forward the response
        // statelessly by sending it to the server transport."
        if let Ok(via) = response.message().top_via() {
            let dest = response_destination(&via, source);
            self.layer.send_stateless(dest, response);
        }
    }

    /// Sends the best final response when no final response was forwarded
    /// and every branch has answered (§16.7 step 6).
    fn maybe_finish(&mut self, now: Instant, key: u64) {
        self.advance_groups(now, key);
        let Some(ctx) = self.contexts.get(&key) else {
            return;
        };
        // A branch counts as ended once it has its final response (its client
        // transaction can give no other), so the caller does not wait for
        // Timer D.
        // [RFC 3261 §16.7 exception: a branch with a final response counts as ended] "A stateful proxy MUST send a final
        // response to a response context's server transaction if no final
        // responses have been immediately forwarded by the above rules and all
        // client transactions in this response context have been terminated."
        let more = !ctx.waiting.is_empty() && ctx.may_branch();
        if ctx.final_sent.is_some() || !ctx.all_branches_done() || more {
            self.collect(key);
            return;
        }
        // [RFC 3261 §16.7] "The stateful proxy MUST choose the "best" final
        // response among those received and stored in the response context."
        let best = choose_best(&ctx.finals);
        let request = ctx.request.clone();
        let msg = request.message();
        let response = match best {
            Best::Stored(i) => {
                let chosen = ctx.finals.get(i).and_then(|f| f.response.clone());
                let status = chosen
                    .as_ref()
                    .and_then(|r| r.message().status())
                    .unwrap_or(500);
                // [RFC 3261 §16.7] "The forwarded response MUST be processed as
                // described in steps "Aggregate Authorization Header Field
                // Values" through "Record- Route"."
                let extra = if matches!(status, 401 | 407) {
                    // [RFC 3261 §16.7] "If the selected response is a 401
                    // (Unauthorized) or 407 (Proxy Authentication Required), the
                    // proxy MUST collect any WWW- Authenticate and
                    // Proxy-Authenticate header field values from all other 401
                    // (Unauthorized) and 407 (Proxy Authentication Required)
                    // responses received so far in this response context and add
                    // them to this response without modification before
                    // forwarding."
                    challenges_to_aggregate(&ctx.finals, i)
                } else {
                    Vec::new()
                };
                chosen.and_then(|r| edit::append_headers(&r.message(), &extra).ok())
            }
            Best::Generate(status) => self.make_response(&msg, status, reason_of(status), &[]),
        };
        let Some(response) = response else {
            return;
        };
        let status = response.message().status().unwrap_or(500);
        if let Some(ctx) = self.contexts.get_mut(&key) {
            ctx.final_sent = Some(status);
        }
        self.send_upstream(now, key, response);
        self.final_event(&msg, status);
        self.cancel_pending(now, key);
        self.collect(key);
    }

    /// CANCELs every pending branch of the context and marks the ones
    /// without a provisional response to be CANCELled when one arrives
    /// (§16.7 step 10, §16.10, §9.1).
    fn cancel_pending(&mut self, now: Instant, key: u64) {
        self.cancel_live(now, key, None);
    }

    /// CANCELs the pending branches (of group `only`, or of every group)
    /// and marks the ones still waiting for a provisional response.
    fn cancel_live(&mut self, now: Instant, key: u64, only: Option<u32>) {
        let Some(ctx) = self.contexts.get_mut(&key) else {
            return;
        };
        if !ctx.invite {
            return;
        }
        let mut now_cancel = Vec::new();
        for (bi, b) in ctx.branches.iter_mut().enumerate() {
            if only.is_some_and(|g| g != b.group) {
                continue;
            }
            if b.is_pending() {
                now_cancel.push(bi);
            } else if b.state == BranchState::Trying && b.client.is_some() {
                // [RFC 3261 §9.1] "If no provisional response has been received,
                // the CANCEL request MUST NOT be sent; rather, the client MUST
                // wait for the arrival of a provisional response before sending
                // the request."
                b.cancel_wanted = true;
            }
        }
        for bi in now_cancel {
            self.cancel_branch(now, key, bi);
        }
    }

    fn cancel_branch(&mut self, now: Instant, key: u64, bi: usize) {
        let Some(b) = self
            .contexts
            .get_mut(&key)
            .and_then(|c| c.branches.get_mut(bi))
        else {
            return;
        };
        let (Some(request), Some(dest)) = (b.request.clone(), b.destination.clone()) else {
            return;
        };
        b.cancel_sent = true;
        b.cancel_wanted = false;
        let deadline = now + self.config.layer.timers.timeout();
        b.abandon_at = Some(deadline);
        // [RFC 3261 §16.7] "Generating CANCEL requests is described in Section
        // 9.1."
        let Ok(c) = cancel(&request.message()) else {
            return;
        };
        if let Ok(id) = self.layer.send_request(now, c, dest) {
            self.cancels.insert(id, key);
        }
        self.timers.push(Reverse((deadline, key, Due::Branch(bi))));
    }

    /// Timer C or a CANCEL deadline of branch `bi` may be due.
    fn branch_timer(&mut self, now: Instant, key: u64, bi: usize) {
        let Some(b) = self
            .contexts
            .get_mut(&key)
            .and_then(|c| c.branches.get_mut(bi))
        else {
            return;
        };
        if b.abandon_at.is_some_and(|t| t <= now) {
            b.abandon_at = None;
            // [RFC 3261 §9.1] "the client SHOULD then consider the original
            // transaction cancelled and SHOULD destroy the client transaction
            // handling the original request"
            if let Some(id) = b.client {
                self.layer.abandon(id);
            }
            return;
        }
        if b.timer_c.is_none_or(|t| t > now) {
            return;
        }
        b.timer_c = None;
        // [RFC 3261 §16.8] "If timer C should fire, the proxy MUST either reset
        // the timer with any value it chooses, or terminate the client
        // transaction."
        if b.state == BranchState::Proceeding {
            // [RFC 3261 §16.8] "If the client transaction has received a
            // provisional response, the proxy MUST generate a CANCEL request
            // matching that transaction."
            if !b.cancel_sent {
                self.cancel_branch(now, key, bi);
                // In sequential forking the group may be over now.
                self.maybe_finish(now, key);
            }
        } else if b.state == BranchState::Trying {
            // [RFC 3261 §16.8] "If the client transaction has not received a
            // provisional response, the proxy MUST behave as if the transaction
            // received a 408 (Request Timeout) response."
            if let Some(id) = b.client {
                self.layer.abandon(id);
            }
            self.fail_branch(now, key, bi, 408);
        }
    }

    fn receive_cancel(
        &mut self,
        now: Instant,
        id: TransactionId,
        request: OwnedMessage,
        source: SocketAddr,
    ) {
        let msg = request.message();
        // [RFC 3261 §16.10] "Instead, the proxy layer searches its existing
        // response contexts for the server transaction handling the request
        // associated with this CANCEL."
        let key = self
            .layer
            .cancel_target(&msg)
            .and_then(|sid| self.by_server.get(&sid).copied());
        match key {
            Some(key) => {
                // [RFC 3261 §16.10] "If a matching response context is found, the
                // element MUST immediately return a 200 (OK) response to the
                // CANCEL request."
                self.reply(now, id, &msg, 200, "OK", &[]);
                if let Some(ctx) = self.contexts.get_mut(&key) {
                    ctx.cancelled = true;
                }
                // [RFC 3261 §16.10] "A proxy MUST cancel any pending client
                // transactions associated with a response context when it
                // receives a matching CANCEL request."
                // [RFC 3261 §16.10] "Furthermore, the element MUST generate CANCEL
                // requests for all pending client transactions in the context as
                // described in Section 16.7 step 10."
                self.cancel_pending(now, key);
            }
            None => {
                // Forwarded through a client transaction, so that the server
                // transaction the layer made for it gets the downstream answer;
                // the CANCEL sent downstream is the same.
                // [RFC 3261 §16.10 exception: forwarded through a client transaction] "It MUST statelessly forward the CANCEL request (it may have
                // statelessly forwarded the associated request previously)."
                self.receive_request(now, id, request, source);
            }
        }
    }

    fn terminated(&mut self, now: Instant, id: TransactionId) {
        if self.cancels.remove(&id).is_some() {
            return;
        }
        if let Some((key, bi)) = self.by_client.remove(&id) {
            let mut failed = false;
            if let Some(b) = self
                .contexts
                .get_mut(&key)
                .and_then(|c| c.branches.get_mut(bi))
            {
                if b.client == Some(id) {
                    b.client = None;
                    // Abandoned after a CANCEL, or ended without a final.
                    failed = b.state != BranchState::Done;
                }
            }
            if failed {
                // Abandoned 64*T1 after its CANCEL with no final response: as
                // if it answered 487 when the caller cancelled, else (Timer C)
                // as if it timed out.
                let cancelled = self.contexts.get(&key).is_some_and(|c| c.cancelled);
                self.fail_branch(now, key, bi, if cancelled { 487 } else { 408 });
            }
            self.maybe_finish(now, key);
            self.collect(key);
            return;
        }
        if let Some(key) = self.by_server.remove(&id) {
            if let Some(ctx) = self.contexts.get_mut(&key) {
                ctx.server_alive = false;
            }
            self.collect(key);
        }
    }

    /// Drops the context once every transaction in it ended (§16.7 step 9).
    fn collect(&mut self, key: u64) {
        // [RFC 3261 §16.7] "The proxy MUST maintain the response context until
        // all of its associated transactions have been terminated, even after
        // forwarding a final response."
        if self.contexts.get(&key).is_some_and(Context::finished) {
            if let Some(ctx) = self.contexts.remove(&key) {
                self.by_server.remove(&ctx.server);
                if let Some(aor) = ctx.aor {
                    if let Some(keys) = self.watched.get_mut(&aor) {
                        keys.retain(|k| *k != key);
                        if keys.is_empty() {
                            self.watched.remove(&aor);
                        }
                    }
                }
            }
        }
    }

    // ----- stateless forwarding ------------------------------------------

    fn stateless_input(&mut self, now: Instant, input: Input) -> Result<(), ProxyError> {
        let Input::Received { source, bytes, .. } = input;
        let message = OwnedMessage::parse(bytes)?;
        if message.message().is_request() {
            let stamped = match stamp_received(&message.message(), source)? {
                Some(s) => s,
                None => message,
            };
            self.forward_statelessly(now, &stamped, Some(source));
            Ok(())
        } else {
            self.relay_response(&message, Some(source))
        }
    }

    /// Forwards a request without a transaction (§16.11): every request in
    /// stateless mode, and the ACK for a 2xx in stateful mode.
    fn forward_statelessly(
        &mut self,
        now: Instant,
        request: &OwnedMessage,
        source: Option<SocketAddr>,
    ) {
        let msg = request.message();
        // [RFC 3261 §16.11] "A stateless proxy MUST follow the request processing
        // steps described in Sections 16.4 through 16.5 with the following
        // exception:"
        let plan = match self.admit(now, &msg) {
            Ok(p) => p,
            Err(refusal) => {
                // An ACK is never answered (§17.2.3); others are refused.
                if msg.method() != Some(Method::Ack) {
                    let source =
                        source.unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
                    self.refuse(now, None, &msg, source, refusal);
                }
                return;
            }
        };
        let Plan {
            routes, targets, ..
        } = plan;
        // [RFC 3261 §16.11] "Stateless proxies MUST NOT perform special
        // processing for CANCEL requests."
        // [RFC 3261 §16.11] "A stateless proxy MUST choose one and only one
        // target from the target set."
        // [RFC 3261 §16.11] "This choice MUST only rely on fields in the
        // message and time-invariant properties of the server."
        let Some(target) = targets.into_iter().next().map(|t| t.uri) else {
            return;
        };
        let received_routes: Vec<String> = msg
            .values_of(HeaderName::Route)
            .map(|(_, v)| v.to_owned())
            .collect();
        let changed = received_routes != routes;
        let Some(copy) = self.prepare_copy(&msg, &target, &routes, changed) else {
            return;
        };
        let Some(hop) = route::sip_uri(&copy.next_hop) else {
            return;
        };
        // [RFC 3261 §16.11] "In particular, a retransmitted request MUST be
        // forwarded to the same destination each time it is processed."
        let Some(destination) = self.policy.next_hops(&hop).into_iter().next() else {
            return;
        };
        // [RFC 3261 §16.11] "Therefore, the component of the branch parameter
        // that makes it unique MUST be the same each time a retransmitted
        // request is forwarded."
        let branch = stateless_branch(&self.config.secret, &msg);
        // The copy depends on the request and the configuration only:
        // [RFC 3261 §16.11] "In particular, if the proxy inserts a Record-Route
        // value or pushes URIs into the Route header field, it MUST place the
        // same values in retransmissions of the request."
        // [RFC 3261 §16.11] "A stateless proxy MUST follow the request processing
        // steps described in Section 16.6 with the following exceptions:"
        // [RFC 3261 §16.11] "o All other message transformations specified in
        // Section 16.6 MUST result in the same transformation of a retransmitted
        // request."
        // [RFC 3261 §16.11] "As for the Via branch parameter, this implies that the
        // transformations MUST be based on time-invariant configuration or
        // retransmission-invariant properties of the request."
        let Ok(forwarded) = self.build_copy(&msg, &copy, &destination, &branch) else {
            return;
        };
        if msg.method() != Some(Method::Ack) {
            self.events.push_back(request_routed(&msg, vec![target]));
        }
        // [RFC 3261 §16.11] "The request is sent directly to the transport layer
        // instead of through a client transaction."
        self.layer.send_stateless(destination, forwarded);
    }

    /// Forwards a response statelessly (§16.11, and §16.7 for responses
    /// that match no client transaction).
    fn relay_response(
        &mut self,
        response: &OwnedMessage,
        source: Option<SocketAddr>,
    ) -> Result<(), ProxyError> {
        let msg = response.message();
        let top = msg.top_via()?;
        // [RFC 3261 §16.11] "When a response arrives at a stateless proxy, the
        // proxy MUST inspect the sent-by value in the first (topmost) Via
        // header field value."
        if !self.via_is_ours(&top) {
            // [RFC 3261 §16.11] "If the address does not match the proxy, the
            // message MUST be silently discarded."
            return Err(ProxyError::NotOurs);
        }
        // [RFC 3261 §16.11] "If that address matches the proxy, (it equals a
        // value this proxy has inserted into previous requests) the proxy MUST
        // remove that header field value from the response and forward the
        // result to the location indicated in the next Via header field value."
        let Some(stripped) = edit::strip_top_via(&msg, &[])? else {
            return Ok(());
        };
        let next = stripped.message().top_via()?;
        let fallback = source.unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        let dest = via_destination(&next, fallback);
        self.layer.send_stateless(dest, stripped);
        Ok(())
    }

    fn via_is_ours(&self, via: &Via<'_>) -> bool {
        self.locals.via(via)
    }
}

/// The [`ProxyEvent::RequestRouted`] for `msg` sent to `targets`.
fn request_routed(msg: &Message<'_>, targets: Vec<String>) -> ProxyEvent {
    ProxyEvent::RequestRouted {
        method: msg
            .method()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        call_id: msg.call_id().unwrap_or_default().to_owned(),
        request_uri: msg.request_uri().unwrap_or_default().to_owned(),
        targets,
    }
}

/// Where a response goes by its Via alone (no connection to reuse): the
/// `received`/`rport` address, else the sent-by.
fn via_destination(via: &Via<'_>, fallback: SocketAddr) -> Destination {
    let transport = TransportKind::from_token(via.transport).unwrap_or(TransportKind::Udp);
    if !transport.is_reliable() {
        return response_destination(via, fallback);
    }
    let port = via
        .rport()
        .flatten()
        .unwrap_or(via.port.unwrap_or(transport.default_port()));
    match via.received_addr() {
        Some(ip) => Destination::Addr {
            transport,
            addr: SocketAddr::new(ip, port),
        },
        None => match route::host_of(&via.host.to_string()) {
            Some(crate::uri::Host::Ipv4(a)) => Destination::Addr {
                transport,
                addr: SocketAddr::new(IpAddr::V4(a), port),
            },
            Some(crate::uri::Host::Ipv6(a)) => Destination::Addr {
                transport,
                addr: SocketAddr::new(IpAddr::V6(a), port),
            },
            _ => Destination::Host {
                transport,
                host: via.host.to_string(),
                port,
            },
        },
    }
}

/// What §16.3-§16.5 decided for a request to forward: the Route values
/// after §16.4, the target set (highest q first), and whether the proxy is
/// responsible for the Request-URI.
struct Plan {
    routes: Vec<String>,
    targets: Vec<Target>,
    responsible: bool,
    /// The address-of-record whose bindings gave the targets.
    aor: Option<String>,
}

/// Why a request is not forwarded.
enum Refusal {
    /// §16.3 steps 1, 2, 3, 5.
    Rejected(Rejection),
    /// A status the proxy answers itself.
    Status(u16, &'static str),
    /// The policy's response (a challenge).
    Response(OwnedMessage),
    /// A REGISTER for the registrar.
    Register,
}

/// §16.6 steps 2, 4 and 6 for one target.
struct CopyPlan {
    request_uri: String,
    routes: Option<Vec<String>>,
    next_hop: String,
    record_route: bool,
}

fn reason_of(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        408 => "Request Timeout",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        487 => "Request Terminated",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        505 => "Version Not Supported",
        _ => "Error",
    }
}

/// A target URI in Request-URI form: without the `method` parameter and
/// the headers, which a Request-URI may not carry (§19.1.1 Table 1).
fn request_uri_form(target: &str) -> Option<String> {
    match Uri::parse(target).ok()? {
        Uri::Sip(u) => {
            if u.headers.is_none() && !u.params.contains("method") {
                return Some(target.to_owned());
            }
            let params: Vec<String> = u
                .params
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("method"))
                .map(|(n, v)| match v {
                    Some(v) => format!("{n}={v}"),
                    None => n.to_owned(),
                })
                .collect();
            Some(write_sip_uri(&u, &params))
        }
        _ => Some(target.to_owned()),
    }
}

/// `u` without `maddr`, a non-default port and `transport` (§16.4).
fn strip_maddr(u: &SipUri<'_>) -> String {
    let params: Vec<String> = u
        .params
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("maddr") && !n.eq_ignore_ascii_case("transport"))
        .map(|(n, v)| match v {
            Some(v) => format!("{n}={v}"),
            None => n.to_owned(),
        })
        .collect();
    let without_port = SipUri {
        port: None,
        headers: None,
        ..*u
    };
    write_sip_uri(&without_port, &params)
}

fn write_sip_uri(u: &SipUri<'_>, params: &[String]) -> String {
    let mut s = String::from(if u.secure { "sips:" } else { "sip:" });
    if let Some(user) = u.user {
        s.push_str(user);
        if let Some(p) = u.password {
            s.push(':');
            s.push_str(p);
        }
        s.push('@');
    }
    s.push_str(&u.host.to_string());
    if let Some(p) = u.port {
        s.push_str(&format!(":{p}"));
    }
    for p in params {
        s.push(';');
        s.push_str(p);
    }
    s
}
