//! The user agent core (RFC 3261 §8, §12–§15, RFC 3262, RFC 3428) as one
//! sans-IO object.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand_core::RngCore;

use crate::HeaderName;
use crate::builder::{
    MessageBuilder, RequestParams, new_branch, new_request, new_tag, response_to,
};
use crate::dialog::{Dialog, DialogError, DialogId};
use crate::digest::{DigestClient, Selection, select_challenge};
use crate::headers::NameAddr;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;
use crate::transaction::{Event, Input, TransactionId, TransactionLayer, Transmit};
use crate::transport::{Destination, TransportKind};
use crate::ua::session_timer::{ActiveTimer, MIN_SESSION_INTERVAL};
use crate::ua::types::{
    Body, CallHandle, DigestCredentials, EndReason, OfferIn, RequestHandle, UaConfig, UaError,
    UaEvent,
};
use crate::ua::{
    MergeDetector, MinSe, Refresher, RegisterClient, Retransmit2xx, Retransmit2xxEvent,
    SessionExpires, SessionTimerState, UasPolicy,
};
use crate::uri::Uri;
use crate::validate::validate;

/// The methods this agent implements (the Allow of 405s, OPTIONS answers,
/// INVITEs and their 2xx); `, UPDATE` follows when
/// [`UaConfig::update`] is on.
// [RFC 3261 §13.1] "A UA that supports INVITE MUST also support ACK, CANCEL
// and BYE."
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, PRACK";
const ALLOWED: [&str; 7] = [
    "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "MESSAGE", "PRACK",
];
/// How often an unanswered incoming call's last provisional response is
/// sent again (RFC 3261 §13.3.1.1: "at every minute").
const PROVISIONAL_REFRESH: Duration = Duration::from_secs(60);
/// Early dialogs kept per outgoing INVITE (one per forked branch).
pub const MAX_EARLY_DIALOGS: usize = 8;
/// Contacts of 3xx responses one call may try (RFC 3261 §8.1.3.4).
pub const MAX_REDIRECT_TARGETS: usize = 8;
/// Challenges answered per request (each once, RFC 3261 §22.2).
const MAX_CHALLENGES: usize = 4;
/// How long a peer's offer ([`UaEvent::Offer`]) may wait for the
/// application's answer. An offer in a 2xx must be answered in the ACK
/// before the callee stops retransmitting the 2xx (64*T1, RFC 3261
/// §13.3.1.4), and one in a PRACK before the caller's Timer F (64*T1):
/// half of that leaves room for the answer to travel.
pub const OFFER_ANSWER_TIMEOUT: Duration = Duration::from_secs(16);
/// How many times one session refresh request is sent again after a 422
/// (RFC 4028 §7.3), each time with the larger interval the 422 asked for.
pub const MAX_422_RETRIES: u8 = 2;
/// How long a due session refresh waits when another offer/answer or
/// INVITE transaction is in progress on the dialog.
const REFRESH_POSTPONE: Duration = Duration::from_secs(1);

/// Who made the offer of a dialog that still waits for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offerer {
    Local,
    Remote,
}

/// The offer/answer state of one dialog (RFC 3264 §4; RFC 3261 §13.2.1).
/// An offer/answer exchange belongs to a dialog, so each early dialog of a
/// forked INVITE has its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OfferAnswer {
    /// The offer waiting for its answer, if any.
    pending: Option<Offerer>,
    /// Whether an exchange completed (a session exists).
    session: bool,
}

impl OfferAnswer {
    /// The state when this side's initial INVITE or the peer's carried an
    /// offer (`Some`), or none did.
    const fn initial(offer_by: Option<Offerer>) -> Self {
        Self {
            pending: offer_by,
            session: false,
        }
    }

    /// A session description sent (`local`) or received: the answer when
    /// an offer from the other side is pending, else a new offer. Returns
    /// whether it was an answer.
    fn description(&mut self, local: bool) -> bool {
        let answers = if local {
            Offerer::Remote
        } else {
            Offerer::Local
        };
        if self.pending == Some(answers) {
            self.pending = None;
            self.session = true;
            true
        } else {
            self.pending = Some(if local {
                Offerer::Local
            } else {
                Offerer::Remote
            });
            false
        }
    }
}

/// A peer's offer waiting for the application's answer, and where that
/// answer goes.
#[derive(Debug, Clone)]
enum PendingOffer {
    /// UAC: in a reliable provisional response; the answer goes in its
    /// PRACK (RAck values kept).
    Provisional {
        dialog: DialogId,
        rseq: u32,
        cseq: u32,
    },
    /// UAC: in the 2xx to the INVITE; the answer goes in the ACK.
    Success,
    /// UAS: in a PRACK; the answer goes in its 2xx.
    Prack {
        tx: TransactionId,
        request: OwnedMessage,
    },
    /// UAC: in the 2xx to our re-INVITE without an offer; the answer goes
    /// in the ACK (RFC 3261 §14.1).
    ReInviteSuccess { seq: u32 },
    /// In an UPDATE; the answer goes in its 2xx (RFC 3311 §5.2). `early`
    /// names the caller's early dialog it came on, if not the call's
    /// dialog.
    Update {
        tx: TransactionId,
        request: OwnedMessage,
        early: Option<DialogId>,
    },
}

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    /// UAC: INVITE sent, no provisional with a dialog yet. UAS: INVITE
    /// received, nothing but 100 sent.
    Calling,
    /// A provisional response with a To tag went out or came in.
    Early,
    /// UAS: 2xx sent, waiting for the ACK.
    Accepted,
    /// The session is up.
    Confirmed,
    /// Ended (BYE, final non-2xx, CANCEL, timeout); waiting for the last
    /// transactions to finish before the record is dropped.
    Terminated,
}

impl CallState {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Calling => "calling",
            Self::Early => "early",
            Self::Accepted => "waiting for the ACK",
            Self::Confirmed => "confirmed",
            Self::Terminated => "terminated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Uac,
    Uas,
}

/// A reliable provisional response waiting for its PRACK (UAS, RFC 3262 §3).
#[derive(Debug, Clone)]
struct Reliable {
    response: OwnedMessage,
    rseq: u32,
    next: Instant,
    interval: Duration,
    deadline: Instant,
    has_body: bool,
}

/// An early dialog of an outgoing INVITE and the RSeq of its last
/// in-order reliable provisional response (RFC 3262 §4).
#[derive(Debug, Clone)]
struct Early {
    dialog: Dialog,
    // [RFC 3262 §4] "The UAC MUST maintain a sequence number that indicates
    // the most recently received in-order reliable provisional response for
    // the initial request."
    // [RFC 3262 §4] "This sequence number MUST be maintained until a final
    // response is received for the initial request."
    rseq: Option<u32>,
    /// The dialog's offer/answer state.
    oa: OfferAnswer,
}

/// One INVITE session.
#[derive(Debug)]
struct Call {
    role: Role,
    state: CallState,
    /// The INVITE that created the call (the last one sent, after auth
    /// retries, at the UAC; the one received at the UAS).
    invite: OwnedMessage,
    /// UAC: the INVITE client transaction; UAS: its server transaction.
    invite_tx: Option<TransactionId>,
    /// Where the UAC sent the INVITE (CANCEL goes there too, §9.1).
    destination: Option<Destination>,
    dialog: Option<Dialog>,
    early: Vec<Early>,
    local_tag: String,
    got_provisional: bool,
    cancel_requested: bool,
    cancel_deadline: Option<Instant>,
    invite_deadline: Option<Instant>,
    challenged: Vec<String>,
    credentials: Option<DigestCredentials>,
    /// UAS: the 2xx retransmission (initial INVITE or re-INVITE).
    retransmit: Option<Retransmit2xx>,
    /// UAC: the ACK for the last 2xx, its CSeq and destination.
    ack: Option<(u32, OwnedMessage, Destination)>,
    /// UAC: our re-INVITE in progress (transaction, body).
    reinvite_out: Option<(TransactionId, Option<Body>)>,
    /// UAS: a re-INVITE waiting for the user (transaction, request).
    reinvite_in: Option<(TransactionId, OwnedMessage)>,
    /// UAC: contacts of 3xx responses still to try, and every one added.
    targets: Vec<String>,
    tried: Vec<String>,
    /// When our re-INVITE, provisionally answered, is given up.
    reinvite_deadline: Option<Instant>,
    /// A re-INVITE to retry after a 491 (RFC 3261 §14.1).
    glare_retry: Option<(Instant, Option<Body>)>,
    /// Our UPDATE in progress (transaction, offer — none for a session
    /// refresh; RFC 3311 §5.1).
    update_out: Option<(TransactionId, Option<Body>)>,
    /// An UPDATE to retry after a 491 (RFC 3311 §5.3).
    update_retry: Option<(Instant, Body)>,
    reliable: Option<Reliable>,
    next_rseq: Option<u32>,
    /// UAS: a 2xx held until the reliable provisional with a body is
    /// PRACKed (RFC 3262 §3).
    deferred_answer: Option<Option<Body>>,
    final_sent: bool,
    /// UAS: when to send the last provisional response again, and it.
    refresh_1xx: Option<(Instant, OwnedMessage)>,
    /// The offer/answer state of the call's dialog (UAS: from the INVITE
    /// on; UAC: once confirmed — the early dialogs keep their own).
    oa: OfferAnswer,
    /// UAC: the INVITE carried no offer (RFC 3261 §13.2.1).
    offerless: bool,
    /// A peer's offer waiting for the application's answer, and until
    /// when.
    remote_offer: Option<(PendingOffer, Instant)>,
    hangup_after_ack: bool,
    ended: bool,
    /// Transactions owned by this call still alive.
    txs: usize,
    /// The session timer in force (RFC 4028 §7.2, §9).
    st: Option<ActiveTimer>,
    /// The largest Min-SE learnt on this call: from 422 responses and from
    /// the peer's session refresh requests (RFC 4028 §7.4).
    st_min_se: Option<u32>,
    /// The Session-Expires this side put in its last session refresh
    /// request, if any.
    st_asked: Option<u32>,
    /// 422 retries of the session refresh request in progress.
    st_422: u8,
    /// When this side sent its re-INVITE or UPDATE in progress.
    st_sent: Option<Instant>,
    /// The request in progress (re-INVITE or UPDATE) is a refresh the
    /// session timer sent, not the application.
    refreshing: bool,
    /// The status of the last failed refresh (RFC 4028 §10: not retried
    /// again after the same error).
    refresh_failed: Option<u16>,
    /// The peer listed `timer` in Supported or Require.
    peer_timer: bool,
    /// The peer listed UPDATE in Allow.
    peer_update: bool,
    /// The session description this side sent last (the one a refresh
    /// re-INVITE repeats, unchanged: RFC 4028 §7.4).
    local_sdp: Option<Body>,
}

impl Call {
    fn new(role: Role, invite: OwnedMessage, local_tag: String) -> Self {
        Self {
            role,
            state: CallState::Calling,
            invite,
            invite_tx: None,
            destination: None,
            dialog: None,
            early: Vec::new(),
            local_tag,
            got_provisional: false,
            cancel_requested: false,
            cancel_deadline: None,
            invite_deadline: None,
            challenged: Vec::new(),
            credentials: None,
            retransmit: None,
            ack: None,
            reinvite_out: None,
            reinvite_in: None,
            glare_retry: None,
            update_out: None,
            update_retry: None,
            reinvite_deadline: None,
            targets: Vec::new(),
            tried: Vec::new(),
            reliable: None,
            next_rseq: None,
            deferred_answer: None,
            final_sent: false,
            refresh_1xx: None,
            oa: OfferAnswer::default(),
            offerless: false,
            remote_offer: None,
            hangup_after_ack: false,
            ended: false,
            txs: 0,
            st: None,
            st_min_se: None,
            st_asked: None,
            st_422: 0,
            st_sent: None,
            refreshing: false,
            refresh_failed: None,
            peer_timer: false,
            peer_update: false,
            local_sdp: None,
        }
    }

    fn next_timeout(&self) -> Option<Instant> {
        [
            self.retransmit
                .as_ref()
                .and_then(Retransmit2xx::poll_timeout),
            self.reliable.as_ref().map(|r| r.next.min(r.deadline)),
            self.glare_retry.as_ref().map(|(t, _)| *t),
            self.update_retry.as_ref().map(|(t, _)| *t),
            self.cancel_deadline,
            self.invite_deadline,
            self.refresh_1xx.as_ref().map(|(t, _)| *t),
            self.remote_offer.as_ref().map(|(_, t)| *t),
            self.reinvite_deadline
                .filter(|_| self.reinvite_out.is_some()),
            self.st
                .as_ref()
                .filter(|_| self.state != CallState::Terminated)
                .and_then(ActiveTimer::next),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether the record can be dropped.
    fn finished(&self) -> bool {
        self.state == CallState::Terminated
            && self.txs == 0
            && self.retransmit.as_ref().is_none_or(|r| !r.is_active())
            && self.reliable.is_none()
    }
}

/// What a client transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxKind {
    Invite,
    ReInvite,
    Update,
    Bye,
    /// A BYE for the extra dialog of a forked 2xx: no event.
    ForkBye,
    Cancel,
    Prack,
    InviteServer,
    Message(RequestHandle),
    Options(RequestHandle),
    Register,
}

#[derive(Debug, Clone, Copy)]
struct Owner {
    call: Option<CallHandle>,
    kind: TxKind,
}

/// A stand-alone request in progress (MESSAGE, OPTIONS), kept for digest
/// retries.
#[derive(Debug, Clone)]
struct Pending {
    request: OwnedMessage,
    destination: Destination,
    challenged: Vec<String>,
}

/// A SIP user agent (RFC 3261 §8, §12–§15; RFC 3262; RFC 3428), sans-IO.
///
/// It owns a [`TransactionLayer`], the dialogs and INVITE sessions, and
/// optionally a [`RegisterClient`]; identifiers (tags, branches, Call-IDs,
/// RSeq, cnonces, the 491 back-off) come from the caller's RNG, so a seeded
/// RNG makes every message reproducible. Drive it like every state machine
/// of the workspace: [`handle_input`](Self::handle_input) or
/// [`handle_timeout`](Self::handle_timeout) or a command, then drain
/// [`poll_transmit`](Self::poll_transmit) and
/// [`poll_event`](Self::poll_event), then sleep until
/// [`poll_timeout`](Self::poll_timeout).
///
/// Commands: [`call`](Self::call), [`ring`](Self::ring),
/// [`early_media`](Self::early_media), [`answer`](Self::answer),
/// [`reject`](Self::reject), [`cancel`](Self::cancel),
/// [`hang_up`](Self::hang_up), [`reinvite`](Self::reinvite),
/// [`send_message`](Self::send_message), [`options`](Self::options),
/// [`register`](Self::register), [`unregister`](Self::unregister).
// The UA core keeps state for every request it answers.
// [RFC 3261 §8.2.7 exception: the UA core is stateful] "o A stateless UAS MUST NOT send provisional (1xx) responses."
// [RFC 3261 §8.2.7 exception: the UA core is stateful] "o A stateless UAS MUST NOT retransmit responses."
// [RFC 3261 §8.2.7 exception: the UA core is stateful] "o A stateless UAS MUST ignore ACK requests."
// [RFC 3261 §8.2.7 exception: the UA core is stateful] "o A stateless UAS MUST ignore CANCEL requests."
// [RFC 3261 §8.2.7 exception: the UA core is stateful] "o To header tags MUST be generated
// for responses in a stateless manner - in a manner that will generate the
// same tag for the same request consistently."
// [RFC 3261 §8.3 exception: no redirect server in the UA core] "However,
// redirect servers MUST NOT redirect a request to a URI equal to the one in
// the Request-URI"
// The Contact is the configured URI; the configuration gives a URI that
// reaches this agent from anywhere (and a SIPS one where SIPS is used).
// [RFC 3261 §8.1.1.8 exception: the Contact comes from the configuration] "That is, the
// Contact header field value contains the URI at which the UA would like to
// receive requests, and this URI MUST be valid even if used in subsequent
// requests outside of any dialogs."
// [RFC 3261 §12.1.2 exception: the Contact comes from the configuration] "When a UAC sends a
// request that can establish a dialog (such as an INVITE) it MUST provide a
// SIP or SIPS URI with global scope"
// [RFC 3261 §12.1.1 exception: the Contact comes from the configuration] "If the request that
// initiated the dialog contained a SIPS URI in the Request-URI or in the top
// Record-Route header field value, if there was any, or the Contact header
// field if there was no Record-Route header field, the Contact header field
// in the response MUST be a SIPS URI."
// [RFC 3261 §8.2.6.1 exception: the 100 (Trying) comes from the transaction layer, without a delay value] "This
// value MUST contain the difference between the time of sending of the
// response and receipt of the request, measured in seconds."
// This agent never redirects.
// [RFC 3261 §8.3 exception: no redirect server in the UA core] "Redirect
// servers MUST ignore features that are not understood (including
// unrecognized header fields, any unknown option tags in Require, or even
// method names) and proceed with the redirection of the request in question."
// Offers and answers are opaque bodies; `rtclite-sdp` reads and writes SDP.
// [RFC 3261 §13.2.1 exception: session descriptions are opaque to the UA core] "The Session
// Description Protocol (SDP) (RFC 2327 [1]) MUST be supported by all user
// agents as a means to describe sessions, and its usage for constructing
// offers and answers MUST follow the procedures defined in [13]."
// Every exchange of RFC 3261 §13.2.1 and RFC 3262 §5 is supported, with one
// gap: this agent never puts an offer in a PRACK it sends (it answers one
// it receives).
// [RFC 3262 §5 todo: the UAC puts no new offer in its PRACK] "All user agents that support
// this extension MUST support all offer/answer exchanges that are possible
// based on the rules in Section 13.2 of RFC 3261, based on the existence of
// INVITE and PRACK as requests, and 2xx and reliable 1xx as non-failure
// reliable responses."
// [RFC 3262 §3 exception: a UA, not a proxy] "Of course, unlike a UAS, when the proxy element
// receives a PRACK that does not match any outstanding reliable provisional
// response, the PRACK MUST be proxied."
pub struct UserAgent<R: RngCore> {
    config: UaConfig,
    rng: R,
    layer: TransactionLayer,
    policy: UasPolicy,
    merges: MergeDetector,
    register: Option<RegisterClient>,
    calls: BTreeMap<CallHandle, Call>,
    dialogs: HashMap<DialogId, CallHandle>,
    owners: HashMap<TransactionId, Owner>,
    pending: HashMap<RequestHandle, Pending>,
    next_handle: u64,
    events: VecDeque<UaEvent>,
    transport: TransportKind,
}

impl<R: RngCore> std::fmt::Debug for UserAgent<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAgent")
            .field("aor", &self.config.aor)
            .field("calls", &self.calls.len())
            .field("transactions", &self.layer.len())
            .finish_non_exhaustive()
    }
}

impl<R: RngCore> UserAgent<R> {
    /// An agent with `config`, drawing identifiers from `rng`.
    pub fn new(config: UaConfig, mut rng: R) -> Self {
        let transport = config
            .via
            .split_whitespace()
            .next()
            .and_then(|p| p.rsplit('/').next())
            .and_then(TransportKind::from_token)
            .unwrap_or(TransportKind::Udp);
        let mut supported = Vec::new();
        // Without 100rel in the supported list, an INVITE that requires it is
        // refused by the §8.2.2.3 check with 420 and Unsupported: 100rel.
        // [RFC 3262 §3] "If the UAS is unwilling to do so, it MUST reject the
        // initial request with a 420 (Bad Extension) and include an Unsupported
        // header field containing the option tag 100rel."
        if config.reliable_provisionals {
            supported.push("100rel".to_owned());
        }
        // With the extension on, `Require: timer` is understood (RFC 4028
        // §9); without it, refused with 420.
        if config.session_timer.is_some() {
            supported.push("timer".to_owned());
        }
        let mut allow: Vec<String> = ALLOWED.iter().map(|m| (*m).to_owned()).collect();
        if config.update {
            allow.push("UPDATE".to_owned());
        }
        let policy = UasPolicy {
            allow,
            supported,
            accept: config.accept.clone(),
            to_tag: String::new(),
        };
        let register = config
            .register
            .clone()
            .map(|r| RegisterClient::new(r, &mut rng));
        Self {
            layer: TransactionLayer::new(config.layer),
            config,
            rng,
            policy,
            merges: MergeDetector::new(),
            register,
            calls: BTreeMap::new(),
            dialogs: HashMap::new(),
            owners: HashMap::new(),
            pending: HashMap::new(),
            next_handle: 0,
            events: VecDeque::new(),
            transport,
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &UaConfig {
        &self.config
    }

    /// The transaction layer (read-only: for inspection and tests).
    pub const fn transactions(&self) -> &TransactionLayer {
        &self.layer
    }

    /// How many calls the agent holds (including ended ones whose last
    /// transactions still run).
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// The dialog of `call`, once it has one.
    pub fn dialog(&self, call: CallHandle) -> Option<&Dialog> {
        self.calls.get(&call).and_then(|c| c.dialog.as_ref())
    }

    /// Whether `call` exists and its session is up.
    pub fn is_established(&self, call: CallHandle) -> bool {
        self.calls
            .get(&call)
            .is_some_and(|c| c.state == CallState::Confirmed)
    }

    fn handle(&mut self) -> u64 {
        self.next_handle += 1;
        self.next_handle
    }

    // ------------------------------------------------------------------
    // Drive loop
    // ------------------------------------------------------------------

    /// Feeds one message received from the network. A message that does
    /// not parse, or that lacks what transaction matching needs, is
    /// returned as an error and otherwise ignored (RFC 3261 §18.3).
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), UaError> {
        let result = self.layer.handle_input(now, input);
        self.pump(now);
        result.map_err(UaError::from)
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
        self.pump(now);
        let due: Vec<CallHandle> = self
            .calls
            .iter()
            .filter(|(_, c)| c.next_timeout().is_some_and(|t| t <= now))
            .map(|(h, _)| *h)
            .collect();
        for h in due {
            self.call_timeout(now, h);
            self.pump(now);
        }
        if let Some(reg) = self.register.as_mut() {
            if let Some(req) = reg.handle_timeout(now, &mut self.rng) {
                self.send_register(now, req);
            }
        }
        self.pump(now);
    }

    /// The next message to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.layer.poll_transmit()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let calls = self.calls.values().filter_map(Call::next_timeout).min();
        let reg = self
            .register
            .as_ref()
            .and_then(RegisterClient::poll_timeout);
        [self.layer.poll_timeout(), calls, reg]
            .into_iter()
            .flatten()
            .min()
    }

    /// Processes the transaction layer's events and drops finished calls.
    fn pump(&mut self, now: Instant) {
        for _ in 0..100_000 {
            let Some(event) = self.layer.poll_event() else {
                break;
            };
            self.on_layer_event(now, event);
        }
        let done: Vec<CallHandle> = self
            .calls
            .iter()
            .filter(|(_, c)| c.finished())
            .map(|(h, _)| *h)
            .collect();
        for h in done {
            self.calls.remove(&h);
            self.dialogs.retain(|_, c| *c != h);
        }
    }

    fn on_layer_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Request {
                id: Some(id),
                request,
                ..
            } => self.on_request(now, id, request),
            Event::Request {
                id: None, request, ..
            }
            | Event::Ack { request, .. } => {
                self.on_ack(now, &request);
            }
            Event::Response { id, response } => {
                if let Some(owner) = self.owners.get(&id).copied() {
                    self.on_response(now, id, owner, response);
                }
            }
            Event::StrayResponse { response, .. } => self.on_stray_response(&response),
            Event::Timeout { id, .. } | Event::TransportError { id } => {
                let transport = matches!(event, Event::TransportError { .. });
                if let Some(owner) = self.owners.get(&id).copied() {
                    self.on_tx_failure(now, id, owner, transport);
                }
            }
            Event::Terminated { id } => {
                if let Some(owner) = self.owners.remove(&id) {
                    if let Some(call) = owner.call.and_then(|h| self.calls.get_mut(&h)) {
                        call.txs = call.txs.saturating_sub(1);
                        if call.invite_tx == Some(id) && call.role == Role::Uac {
                            call.invite_tx = None;
                        }
                    }
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    fn own(&mut self, id: TransactionId, call: Option<CallHandle>, kind: TxKind) {
        self.owners.insert(id, Owner { call, kind });
        if let Some(c) = call.and_then(|h| self.calls.get_mut(&h)) {
            c.txs += 1;
        }
    }

    fn end(&mut self, now: Instant, h: CallHandle, reason: EndReason) {
        let mut pending = Vec::new();
        if let Some(call) = self.calls.get_mut(&h) {
            call.state = CallState::Terminated;
            call.st = None;
            call.cancel_deadline = None;
            call.invite_deadline = None;
            call.glare_retry = None;
            call.reliable = None;
            call.deferred_answer = None;
            call.reinvite_deadline = None;
            if let Some((
                PendingOffer::Prack { tx, request } | PendingOffer::Update { tx, request, .. },
                _,
            )) = call.remote_offer.take()
            {
                pending.push((tx, request));
            }
            call.update_retry = None;
            if let Some(d) = call.dialog.as_mut() {
                d.terminate();
            }
            // Our re-INVITE, if still pending, no longer matters: the peer
            // answers it 487 when the BYE arrives (§15.1.2); its transaction is
            // ended here so that it cannot outlive the call.
            if let Some((id, _)) = call.reinvite_out.take() {
                self.layer.abandon(id);
            }
            let Some(call) = self.calls.get_mut(&h) else {
                return;
            };
            // Requests still waiting for this side's answer get one, so that
            // their transactions end (RFC 3261 §15.1.2 recommends 487).
            if let Some((id, req)) = call.reinvite_in.take() {
                pending.push((id, req));
            }
            if call.role == Role::Uas && !call.final_sent {
                call.final_sent = true;
                if let Some(id) = call.invite_tx {
                    pending.push((id, call.invite.clone()));
                }
            }
            let tag = call.local_tag.clone();
            for (id, req) in pending {
                if let Ok(r) = response_to(&req.message(), 487, "Request Terminated", Some(&tag)) {
                    let _ = self.layer.send_response(now, id, r);
                }
            }
            let Some(call) = self.calls.get_mut(&h) else {
                return;
            };
            if !call.ended {
                call.ended = true;
                self.events
                    .push_back(UaEvent::Terminated { call: h, reason });
            }
        }
    }

    // ------------------------------------------------------------------
    // Building and sending
    // ------------------------------------------------------------------

    /// The Allow header field value.
    fn allow(&self) -> String {
        if self.config.update {
            // [RFC 3311 §4] "However, a UAC compliant to this specification
            // SHOULD also include an Allow header field in the INVITE request,
            // listing the method UPDATE, to indicate its ability to receive an
            // UPDATE request."
            format!("{ALLOW}, UPDATE")
        } else {
            ALLOW.to_owned()
        }
    }

    /// The Supported value of INVITEs (`invite`: with `100rel` when
    /// reliable provisional responses are on) and of UPDATEs and the 2xx
    /// to both: `timer` when session timers are on.
    fn supported(&self, invite: bool) -> Option<String> {
        let mut tags = Vec::new();
        if invite && self.config.reliable_provisionals {
            tags.push("100rel");
        }
        // [RFC 4028 §7.1] "A UAC that supports the session timer extension
        // defined here MUST include a Supported header field in each request
        // (except ACK), listing the option tag 'timer' [2]."
        // [RFC 4028 §7.1] "It MUST do so even if the UAC is not requesting
        // usage of the session timer for this session."
        // [RFC 4028 §7.1] "The Supported header field containing 'timer' MUST
        // still be included, even if the Require or Proxy-Require header
        // fields are present containing 'timer'."
        if self.config.session_timer.is_some() {
            tags.push("timer");
        }
        (!tags.is_empty()).then(|| tags.join(", "))
    }

    fn contact_header(&self) -> String {
        format!("<{}>", self.config.contact)
    }

    fn outbound_routes(&self, extra: &[String]) -> Vec<String> {
        let mut routes: Vec<String> = self
            .config
            .outbound_proxy
            .iter()
            .map(|p| format!("<{p}>"))
            .collect();
        routes.extend(extra.iter().cloned());
        routes
    }

    /// Where a request goes: the first Route when it is a loose router,
    /// else the Request-URI (RFC 3261 §8.1.2, §12.2.1.1).
    fn destination_of(&self, msg: &Message<'_>) -> Result<Destination, UaError> {
        // [RFC 3261 §8.1.2] "Independent of which URI is used as input to the
        // procedures of [4], if the Request-URI specifies a SIPS resource, the
        // UAC MUST follow the procedures of [4] as if the input URI were a SIPS
        // URI."
        let sips = msg
            .request_uri()
            .is_some_and(|u| u.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("sips:")));
        let default = if sips {
            TransportKind::Tls
        } else {
            self.transport
        };
        // [RFC 3261 §8.1.2] "If the first element in the route set indicated a
        // strict router (resulting in forming the request as described in
        // Section 12.2.1.1), the procedures MUST be applied to the Request-URI
        // of the request."
        if let Some(Ok(route)) = msg.routes().next() {
            if route
                .uri()
                .as_sip()
                .is_some_and(|u| u.params.contains("lr"))
            {
                return uri_destination(route.uri(), default, sips);
            }
        }
        let uri = msg
            .request_uri_parsed()
            .ok_or(UaError::Message(crate::Error::new(
                crate::ErrorKind::Invalid("not a request"),
            )))??;
        uri_destination(&uri, default, sips)
    }

    fn decorate(&self, mut b: MessageBuilder, method: Method<'_>) -> MessageBuilder {
        if matches!(method, Method::Invite) {
            // [RFC 3261 §8.1.1.8] "The Contact header field MUST be present and
            // contain exactly one SIP or SIPS URI in any request that can result
            // in the establishment of a dialog."
            b = b.set(HeaderName::Contact, self.contact_header());
            // [RFC 3261 §13.2.1] "An Allow header field (Section 20.5) SHOULD be
            // present in the INVITE."
            b = b.header(HeaderName::Allow, self.allow());
            // 100rel is defined by RFC 3262, a standards-track RFC.
            // [RFC 3261 §8.1.1.9] "The option tags listed MUST only refer to
            // extensions defined in standards-track RFCs."
            // [RFC 3261 §8.1.1.9] "As with the Supported header field, the option
            // tags in the Require and Proxy-Require header fields MUST only refer
            // to extensions defined in standards-track RFCs."
            // [RFC 3261 §8.1.1.9 exception: the UA applies no extension proxies must understand] "If
            // the UAC wishes to apply an extension to the request and insist that
            // any proxies that are traversed understand that extension, it MUST
            // insert a Proxy-Require header field into the request listing the
            // option tag for that extension."
            // [RFC 3262 §4] "If the UAC does not wish to insist on usage of
            // reliable provisional responses, but merely indicate that it
            // supports them if the UAS needs to send one, a Supported header
            // MUST be included in the request with the option tag 100rel."
            if let Some(supported) = self.supported(true) {
                b = b.header(HeaderName::Supported, supported);
            }
        }
        if method == Method::Update {
            if let Some(supported) = self.supported(false) {
                b = b.header(HeaderName::Supported, supported);
            }
            // UPDATE is a target refresh request, which carries the Contact
            // (RFC 3261 §12.2.1.1 via RFC 3311 §5.1). It is always the
            // configured URI, the one the 2xx to an INVITE carries too.
            // [RFC 3311 §5.1] "If a UA uses an UPDATE request or response to
            // modify the remote target while an INVITE transaction is in
            // progress, and it is a UAS for that INVITE transaction, it MUST
            // place the same value into the Contact header field of the 2xx to
            // the INVITE that it placed into the UPDATE request or response."
            b = b.set(HeaderName::Contact, self.contact_header());
        }
        if !matches!(method, Method::Invite | Method::Update | Method::Ack) {
            // (INVITE and UPDATE list it above; CANCEL is not built here.)
            if let Some(supported) = self.supported(false) {
                b = b.header(HeaderName::Supported, supported);
            }
        }
        if let Some(ua) = &self.config.user_agent {
            b = b.header(HeaderName::UserAgent, ua.clone());
        }
        b
    }

    /// A request outside any dialog (RFC 3261 §8.1.1).
    fn out_of_dialog(
        &mut self,
        method: Method<'_>,
        target: &str,
        to: Option<&str>,
        routes: &[String],
        body: Option<&Body>,
    ) -> Result<OwnedMessage, UaError> {
        // A target written as a name-addr (`Bob <sip:bob@biloxi.example.com>`)
        // gives the To value; its URI is the Request-URI.
        let (uri, to) = match NameAddr::parse(target) {
            // [RFC 3261 §8.1.1.2] "A request outside of a dialog MUST NOT contain
            // a To tag; the tag in the To field of a request identifies the peer
            // of the dialog."
            Ok(a) if a.tag().is_some() => {
                return Err(UaError::Message(
                    crate::Error::new(crate::ErrorKind::Invalid(
                        "a request outside a dialog has no To tag",
                    ))
                    .rfc("RFC 3261 §8.1.1.2"),
                ));
            }
            Ok(a) if target.contains('<') => (
                a.uri().to_string(),
                to.map_or_else(|| target.trim().to_owned(), str::to_owned),
            ),
            _ => (
                Uri::parse(target)?.to_string(),
                to.map_or_else(|| format!("<{target}>"), str::to_owned),
            ),
        };
        let is_sips = |u: &str| {
            u.trim_start_matches('<')
                .get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case("sips:"))
        };
        let first_route = self.outbound_routes(routes).into_iter().next();
        if method == Method::Invite
            && (is_sips(&uri) || first_route.as_deref().is_some_and(is_sips))
            && !is_sips(&self.config.contact)
        {
            // [RFC 3261 §8.1.1.8] "If the Request-URI or top Route header field
            // value contains a SIPS URI, the Contact header field MUST contain a
            // SIPS URI as well."
            // [RFC 3261 §12.1.2] "If the request has a Request- URI or a topmost
            // Route header field value with a SIPS URI, the Contact header field
            // MUST contain a SIPS URI."
            return Err(UaError::Message(
                crate::Error::new(crate::ErrorKind::Invalid(
                    "a SIPS target needs a SIPS Contact",
                ))
                .rfc("RFC 3261 §8.1.1.8"),
            ));
        }
        let (transport, sent_by) = split_via(&self.config.via);
        // [RFC 3261 §8.1.1.5] "The sequence number value MUST be expressible
        // as a 32-bit unsigned integer and MUST be less than 2**31."
        let cseq = 1;
        // [RFC 3261 §8.1.1.3] "The From field MUST contain a new "tag"
        // parameter, chosen by the UAC."
        // [RFC 3261 §8.1.1.6] "A UAC MUST insert a Max-Forwards header field
        // into each request it originates with a value that SHOULD be 70."
        // [RFC 3261 §8.1.1.7] "When the UAC creates a request, it MUST insert a
        // Via into that request."
        let base = new_request(
            &RequestParams {
                method,
                request_uri: &uri,
                from: &self.config.aor,
                to: &to,
                transport,
                sent_by,
                cseq,
                contact: None,
                // [RFC 3261 §8.1.1.4] "In a new request created by a UAC outside
                // of any dialog, the Call-ID header field MUST be selected by the
                // UAC as a globally unique identifier over space and time unless
                // overridden by method-specific behavior."
                call_id: None,
            },
            &mut self.rng,
        )?;
        let mut b = MessageBuilder::from_message(&base.message());
        // [RFC 3261 §8.1.2] "However, that approach for configuring an outbound
        // proxy is NOT RECOMMENDED; a pre-existing route set with a single URI
        // SHOULD be used instead."
        // [RFC 3261 §8.1.1.1] "When a pre-existing route set is present, the
        // procedures for populating the Request-URI and Route header field
        // detailed in Section 12.2.1.1 MUST be followed (even though there is
        // no dialog), using the desired Request-URI as the remote target URI."
        // The route set is of loose routers (`;lr`), so the Request-URI stays
        // the target and the Route carries the set in order.
        for r in self.outbound_routes(routes) {
            b = b.header(HeaderName::Route, r);
        }
        b = self.decorate(b, method);
        if let Some(body) = body {
            b = b.body(&body.content_type, body.bytes.to_vec());
        }
        Ok(b.build()?)
    }

    /// A request inside `call`'s dialog.
    fn in_dialog(
        &mut self,
        h: CallHandle,
        method: Method<'_>,
        body: Option<&Body>,
    ) -> Result<OwnedMessage, UaError> {
        let branch = new_branch(&mut self.rng);
        let via = self.config.via.clone();
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        let dialog = call.dialog.as_mut().ok_or(UaError::WrongState {
            call: h,
            state: call.state.as_str(),
            action: "send a request in the dialog",
        })?;
        let req = dialog.new_request(method, &via, &branch)?;
        let mut b = MessageBuilder::from_message(&req.message());
        b = self.decorate(b, method);
        if let Some(body) = body {
            b = b.body(&body.content_type, body.bytes.to_vec());
        }
        Ok(b.build()?)
    }

    fn send(
        &mut self,
        now: Instant,
        request: OwnedMessage,
        call: Option<CallHandle>,
        kind: TxKind,
    ) -> Result<(TransactionId, Destination), UaError> {
        let destination = self.destination_of(&request.message())?;
        let id = self.layer.send_request(now, request, destination.clone())?;
        self.own(id, call, kind);
        Ok((id, destination))
    }

    fn respond(&mut self, now: Instant, id: TransactionId, response: OwnedMessage) {
        // A response the server transaction refuses (it already answered)
        // is dropped: nothing else can be done with it.
        let _ = self.layer.send_response(now, id, response);
    }

    fn respond_status(
        &mut self,
        now: Instant,
        id: TransactionId,
        request: &Message<'_>,
        code: u16,
    ) {
        let tag = new_tag(&mut self.rng);
        if let Ok(r) = response_to(request, code, reason_phrase(code), Some(&tag)) {
            self.respond(now, id, r);
        }
    }

    /// The 200 to an UPDATE without an offer (a target refresh only):
    /// To tag `tag` and this agent's Contact.
    fn respond_target_refresh(
        &mut self,
        now: Instant,
        id: TransactionId,
        request: &Message<'_>,
        tag: &str,
    ) {
        let ok = response_to(request, 200, "OK", Some(tag)).and_then(|r| {
            MessageBuilder::from_message(&r.message())
                .header(HeaderName::Contact, self.contact_header())
                .build()
        });
        if let Ok(ok) = ok {
            self.respond(now, id, ok);
        }
    }

    // ------------------------------------------------------------------
    // Commands: calls
    // ------------------------------------------------------------------

    /// Calls `target` — a SIP URI, or a name-addr such as
    /// `Bob <sip:bob@biloxi.example.com>` that also gives the To value —
    /// with `offer` in the INVITE. Returns the call; events follow.
    ///
    /// The answer comes in [`UaEvent::Answered`] (or, with 100rel, in the
    /// first reliable provisional response that carries a body:
    /// [`UaEvent::Ringing`] or [`UaEvent::Progress`]). To let the callee
    /// make the offer, use [`call_without_offer`](Self::call_without_offer).
    pub fn call(&mut self, now: Instant, target: &str, offer: Body) -> Result<CallHandle, UaError> {
        self.call_with(now, target, offer, &[], None)
    }

    /// Calls `target` with an INVITE that carries no offer, asking the
    /// callee to make it (RFC 3261 §13.2.1, §13.3.1). The callee's offer
    /// comes in [`UaEvent::Offer`]: in its first reliable provisional
    /// response when 100rel is used (the answer then goes in the PRACK,
    /// RFC 3262 §5), else in its 2xx (the answer goes in the ACK, which
    /// waits for it). Answer with [`answer_offer`](Self::answer_offer).
    ///
    /// ```
    /// use std::time::Instant;
    /// use rand_chacha::{ChaCha8Rng, rand_core::SeedableRng};
    /// use rtclite_sip::ua::{Body, UaConfig, UaEvent, UserAgent};
    /// # use rtclite_sip::transaction::Input;
    /// # use rtclite_sip::transport::TransportKind;
    ///
    /// let now = Instant::now();
    /// let cfg = |user: &str, ip: &str| {
    ///     UaConfig::new(
    ///         format!("<sip:{user}@example.com>"),
    ///         format!("sip:{user}@{ip}:5060"),
    ///         format!("SIP/2.0/UDP {ip}:5060"),
    ///     )
    /// };
    /// let mut alice = UserAgent::new(cfg("alice", "192.0.2.1"), ChaCha8Rng::seed_from_u64(1));
    /// let mut bob = UserAgent::new(cfg("bob", "192.0.2.2"), ChaCha8Rng::seed_from_u64(2));
    /// # fn pass(now: Instant, from: &mut UserAgent<ChaCha8Rng>, to: &mut UserAgent<ChaCha8Rng>, src: &str) {
    /// #     while let Some(t) = from.poll_transmit() {
    /// #         let input = Input::Received { transport: TransportKind::Udp,
    /// #             source: src.parse().unwrap(), bytes: t.message.bytes().clone() };
    /// #         to.handle_input(now, input).unwrap();
    /// #     }
    /// # }
    /// let call = alice.call_without_offer(now, "sip:bob@192.0.2.2:5060")?;
    /// pass(now, &mut alice, &mut bob, "192.0.2.1:5060"); // INVITE without a body
    /// let Some(UaEvent::IncomingCall { call: theirs, offer: None, .. }) = bob.poll_event() else {
    ///     panic!("no offerless call")
    /// };
    /// // The callee makes the offer in its 2xx...
    /// bob.answer(now, theirs, Some(Body::sdp(&b"v=0\r\ns=bob\r\n"[..])))?;
    /// pass(now, &mut bob, &mut alice, "192.0.2.2:5060");
    /// assert!(matches!(alice.poll_event(), Some(UaEvent::Answered { answer: None, .. })));
    /// let Some(UaEvent::Offer { offer, .. }) = alice.poll_event() else { panic!("no offer") };
    /// assert_eq!(&offer.bytes[..], b"v=0\r\ns=bob\r\n");
    /// // ...and the caller's answer goes in the ACK.
    /// alice.answer_offer(now, call, Body::sdp(&b"v=0\r\ns=alice\r\n"[..]))?;
    /// assert!(matches!(alice.poll_event(), Some(UaEvent::Established { .. })));
    /// pass(now, &mut alice, &mut bob, "192.0.2.1:5060");
    /// let Some(UaEvent::Established { answer: Some(answer), .. }) = bob.poll_event() else {
    ///     panic!("no answer in the ACK")
    /// };
    /// assert_eq!(&answer.bytes[..], b"v=0\r\ns=alice\r\n");
    /// # Ok::<(), rtclite_sip::ua::UaError>(())
    /// ```
    // [RFC 3261 §13.2.1] "o The initial offer MUST be in either an INVITE or,
    // if not there, in the first reliable non-failure message from the UAS
    // back to the UAC."
    // [RFC 3261 §13.2.1] "All user agents that support INVITE MUST support
    // these two exchanges."
    pub fn call_without_offer(
        &mut self,
        now: Instant,
        target: &str,
    ) -> Result<CallHandle, UaError> {
        self.start_call(now, target, None, &[], None)
    }

    /// [`call`](Self::call) with extra Route values (after the outbound
    /// proxy) and credentials for this call only.
    pub fn call_with(
        &mut self,
        now: Instant,
        target: &str,
        offer: Body,
        routes: &[String],
        credentials: Option<DigestCredentials>,
    ) -> Result<CallHandle, UaError> {
        self.start_call(now, target, Some(offer), routes, credentials)
    }

    fn start_call(
        &mut self,
        now: Instant,
        target: &str,
        offer: Option<Body>,
        routes: &[String],
        credentials: Option<DigestCredentials>,
    ) -> Result<CallHandle, UaError> {
        if self.calls.len() >= self.config.max_calls {
            return Err(UaError::TooManyCalls(self.config.max_calls));
        }
        let mut invite =
            self.out_of_dialog(Method::Invite, target, None, routes, offer.as_ref())?;
        // [RFC 3261 §8.1.1.9] "If the UAC wishes to insist that a UAS
        // understand an extension that the UAC will apply to the request in
        // order to process the request, it MUST insert a Require header field
        // into the request listing the option tag for that extension."
        // [RFC 3262 §4] "A Require header with the value 100rel MUST NOT be
        // present in any requests excepting INVITE, although extensions to SIP
        // may allow its usage with other request methods."
        if self.config.require_100rel {
            invite = MessageBuilder::from_message(&invite.message())
                .header(HeaderName::Require, "100rel")
                .build()?;
        }
        let (st_headers, asked) = self.st_request_headers(None);
        let invite = with_headers(invite, &st_headers)?;
        let h = CallHandle(self.handle());
        let local_tag = invite
            .message()
            .from()?
            .tag()
            .unwrap_or_default()
            .to_owned();
        let mut call = Call::new(Role::Uac, invite.clone(), local_tag);
        call.offerless = offer.is_none();
        call.oa = OfferAnswer::initial(offer.as_ref().map(|_| Offerer::Local));
        call.credentials = credentials.or_else(|| self.config.credentials.clone());
        call.invite_deadline = Some(now + self.config.invite_timeout);
        call.st_asked = (!st_headers.is_empty()).then_some(asked);
        call.local_sdp = offer;
        self.calls.insert(h, call);
        match self.send(now, invite, Some(h), TxKind::Invite) {
            Ok((id, dest)) => {
                if let Some(c) = self.calls.get_mut(&h) {
                    c.invite_tx = Some(id);
                    c.destination = Some(dest);
                }
            }
            Err(e) => {
                self.calls.remove(&h);
                return Err(e);
            }
        }
        self.pump(now);
        Ok(h)
    }

    fn uas_call(&self, h: CallHandle, action: &'static str) -> Result<&Call, UaError> {
        let call = self.calls.get(&h).ok_or(UaError::NoSuchCall(h))?;
        // Only the initial INVITE of a call the UAS has not answered gets
        // provisional responses (none for a re-INVITE, whose To has a tag).
        // [RFC 3262 §3] "However, it MUST NOT attempt to do so for any request
        // that contains a tag in the To field."
        // [RFC 3262 §3] "A UAS MUST NOT send new reliable provisional responses
        // (as opposed to retransmissions of unacknowledged ones) after sending
        // a final response to a request."
        if call.role != Role::Uas
            || call.final_sent
            || !matches!(call.state, CallState::Calling | CallState::Early)
        {
            return Err(UaError::WrongState {
                call: h,
                state: call.state.as_str(),
                action,
            });
        }
        Ok(call)
    }

    // 100 (Trying) is only ever sent by the server transaction.
    // [RFC 3262 §3] "A UAS MUST NOT attempt to send a 100 (Trying) response
    // reliably."
    /// Sends 180 (Ringing) for an incoming call, reliably when the caller
    /// supports RFC 3262.
    pub fn ring(&mut self, now: Instant, call: CallHandle) -> Result<(), UaError> {
        self.provisional(now, call, 180, None)
    }

    /// Sends 183 (Session Progress) with `body` (early media).
    pub fn early_media(
        &mut self,
        now: Instant,
        call: CallHandle,
        body: Body,
    ) -> Result<(), UaError> {
        self.provisional(now, call, 183, Some(body))
    }

    fn provisional(
        &mut self,
        now: Instant,
        h: CallHandle,
        code: u16,
        body: Option<Body>,
    ) -> Result<(), UaError> {
        let call = self.uas_call(h, "send a provisional response")?;
        let invite = call.invite.clone();
        let msg = invite.message();
        let id = call.invite_tx.ok_or(UaError::NoSuchCall(h))?;
        let requires = has_token(&msg, HeaderName::Require, "100rel");
        let supports = has_token(&msg, HeaderName::Supported, "100rel");
        // [RFC 3262 §3] "The UAS MUST send any non-100 provisional response
        // reliably if the initial request contained a Require header field
        // with the option tag 100rel."
        // [RFC 3262 §3] "If the request did not include either a Supported or
        // Require header field indicating this feature, the UAS MUST NOT send
        // the provisional response reliably."
        // [RFC 3261 §8.2.4] "A UAS that wishes to apply some extension when
        // generating the response MUST NOT do so unless support for that
        // extension is indicated in the Supported header field in the request."
        // [RFC 3261 §8.2.4] "Of course, the server MUST NOT apply extensions
        // not listed in the Supported header field in the request."
        let reliable = requires || (supports && self.config.reliable_provisionals);
        // [RFC 3262 §5] "Similarly, if a reliable provisional response is the
        // first reliable message sent back to the UAC, and the INVITE did not
        // contain an offer, one MUST appear in that reliable provisional
        // response."
        let mut reliable = reliable;
        if reliable && body.is_none() && call.oa == OfferAnswer::default() {
            if requires {
                return Err(UaError::BodyRequired(h));
            }
            // Only supported, not required: send this one unreliably.
            reliable = false;
        }
        if reliable && call.reliable.is_some() {
            // [RFC 3262 §3] "The UAS MUST NOT send a second reliable
            // provisional response until the first is acknowledged."
            return Err(UaError::PrackPending(h));
        }
        // [RFC 3261 §8.2.6.2] "The same tag MUST be used for all responses to
        // that request, both final and provisional (again excepting the 100
        // (Trying))."
        // [RFC 3261 §13.3.1.1] "Each of these MUST indicate the same dialog ID."
        let mut b = MessageBuilder::from_message(
            &response_to(&msg, code, reason_phrase(code), Some(&call.local_tag))?.message(),
        )
        // [RFC 3261 §12.1.1] "The UAS MUST add a Contact header field to the
        // response."
        .header(HeaderName::Contact, self.contact_header());
        let mut rseq = None;
        if reliable {
            let next = match call.next_rseq {
                Some(n) => n,
                // [RFC 3262 §3] "The value of the header field for the first
                // reliable provisional response in a transaction MUST be between
                // 1 and 2**31 - 1."
                None => 1 + self.rng.next_u32() % ((1 << 31) - 2),
            };
            // [RFC 3262 §3] "RSeq numbers MUST NOT wrap around."
            if next >= 1 << 31 {
                return Err(UaError::PrackPending(h));
            }
            // [RFC 3261 §8.2.4] "Any extensions applied to a non-421 response
            // MUST be listed in a Require header field included in the
            // response."
            // [RFC 3261 §8.2.4] "The needed extension(s) MUST be included in a
            // Require header field in the response."
            // [RFC 3262 §3] "In addition, it MUST contain a Require header field
            // containing the option tag 100rel, and MUST include an RSeq header
            // field."
            b = b
                .header(HeaderName::Require, "100rel")
                .header(HeaderName::RSeq, next.to_string());
            rseq = Some(next);
            if self.config.update && body.is_some() {
                // [RFC 3311 §4] "When a UAS compliant to this specification
                // receives an INVITE request for a new dialog, and generates a
                // reliable provisional response containing SDP, that response
                // SHOULD contain an Allow header field that lists the UPDATE
                // method."
                b = b.header(HeaderName::Allow, self.allow());
            }
        }
        if let Some(body) = &body {
            b = b.body(&body.content_type, body.bytes.to_vec());
        }
        let response = b.build()?;
        let dialog = Dialog::uas(&msg, &response.message())?;
        let timers = self.config.layer.timers;
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        if call.dialog.is_none() {
            self.dialogs.insert(dialog.id().clone(), h);
            call.dialog = Some(dialog);
        }
        call.state = CallState::Early;
        if let Some(rseq) = rseq {
            // [RFC 3262 §3] "The value of the RSeq in each subsequent reliable
            // provisional response for the same request MUST be greater by
            // exactly one."
            call.next_rseq = Some(rseq + 1);
            // [RFC 3262 §3] "The reliable provisional response is passed to the
            // transaction layer periodically with an interval that starts at T1
            // seconds and doubles for each retransmission"
            call.reliable = Some(Reliable {
                response: response.clone(),
                rseq,
                next: now + timers.t1,
                interval: timers.t1,
                deadline: now + timers.timeout(),
                has_body: body.is_some(),
            });
            if body.is_some() && !call.oa.session {
                // The body of a reliable provisional response is the answer to
                // the INVITE's offer, or this side's offer when it had none
                // (the PRACK then carries the answer); the 2xx need not
                // repeat it.
                // [RFC 3262 §5] "If the INVITE contained an offer, the UAS MAY
                // generate an answer in a reliable provisional response
                // (assuming these are supported by the UAC)."
                call.oa.description(true);
            }
        }
        if let Some(c) = self.calls.get_mut(&h) {
            c.refresh_1xx = Some((now + PROVISIONAL_REFRESH, response.clone()));
            if body.is_some() {
                c.local_sdp = body;
            }
        }
        self.respond(now, id, response);
        self.pump(now);
        Ok(())
    }

    /// Accepts an incoming call with 200 (OK) carrying `answer` (or the
    /// offer, when the INVITE had none), or accepts a pending re-INVITE
    /// from the peer ([`UaEvent::ReInvite`]).
    pub fn answer(
        &mut self,
        now: Instant,
        h: CallHandle,
        answer: Option<Body>,
    ) -> Result<(), UaError> {
        let call = self.calls.get(&h).ok_or(UaError::NoSuchCall(h))?;
        if let Some((id, reinvite)) = call.reinvite_in.clone() {
            // The same rules as for the initial INVITE (RFC 3261 §14.2).
            // [RFC 3261 §13.3.1.4] "If the INVITE request contained an offer,
            // and the UAS had not yet sent an answer, the 2xx MUST contain an
            // answer."
            if answer.is_none() {
                return Err(UaError::BodyRequired(h));
            }
            // A re-INVITE without an offer: ours goes in the 2xx, and the ACK
            // must carry the answer.
            // [RFC 3261 §14.2] "A UAS providing an offer in a 2xx (because the
            // INVITE did not contain an offer) SHOULD construct the offer as if
            // the UAS were making a brand new call, subject to the constraints
            // of sending an offer that updates an existing session, as
            // described in [13] in the case of SDP."
            let offers = reinvite.message().body().is_empty();
            let response = self.ok_to_invite(h, &reinvite.message(), answer.as_ref())?;
            let dest = self.layer.server(id).map(|s| s.destination().clone());
            self.respond(now, id, response.clone());
            self.st_after_2xx_sent(now, h, &reinvite.message(), true);
            if let Some(call) = self.calls.get_mut(&h) {
                call.local_sdp.clone_from(&answer);
                call.reinvite_in = None;
                call.retransmit =
                    dest.map(|d| Retransmit2xx::new(now, response, d, self.config.layer.timers));
                if offers {
                    call.oa.pending = Some(Offerer::Local);
                }
            }
            self.pump(now);
            return Ok(());
        }
        let call = self.uas_call(h, "answer")?;
        // [RFC 3261 §13.3.1.4] "If the INVITE request contained an offer, and
        // the UAS had not yet sent an answer, the 2xx MUST contain an answer."
        // [RFC 3261 §13.3.1.4] "If the INVITE did not contain an offer, the 2xx
        // MUST contain an offer if the UAS had not yet sent an offer."
        let needs_body = match call.oa.pending {
            Some(Offerer::Remote) => true,
            Some(Offerer::Local) => false,
            None => !call.oa.session,
        };
        if answer.is_none() && needs_body {
            return Err(UaError::BodyRequired(h));
        }
        // Checked above and in the reliable provisional responses.
        // [RFC 3261 §13.3.1] "It MUST provide the offer in its first
        // non-failure reliable message back to the UAC."
        if call.reliable.as_ref().is_some_and(|r| r.has_body) {
            // [RFC 3262 §3] "In that case, it MUST NOT send a final response
            // until those provisional responses are acknowledged."
            // [RFC 3262 §5] "If the UAS had placed a session description in any
            // reliable provisional response that is unacknowledged when the
            // INVITE is accepted, the UAS MUST delay sending the 2xx until the
            // provisional response is acknowledged."
            if let Some(c) = self.calls.get_mut(&h) {
                c.deferred_answer = Some(answer);
            }
            return Ok(());
        }
        self.send_answer(now, h, answer)
    }

    /// Answers the peer's offer reported by [`UaEvent::Offer`] with
    /// `answer`: in the PRACK of the reliable provisional response that
    /// carried it (RFC 3262 §5), in the ACK of the 2xx that carried it
    /// (RFC 3261 §13.2.2.4; [`UaEvent::Established`] follows), or in the
    /// 2xx to the PRACK that carried it (RFC 3262 §5). An offer of a
    /// provisional response still unanswered when the 2xx arrives is
    /// answered in the ACK.
    ///
    /// An answer that refuses the session (e.g. every stream with port 0)
    /// is still an answer; the application then hangs up.
    // [RFC 3261 §13.2.2.4] "If the offer in the 2xx response is not
    // acceptable, the UAC core MUST generate a valid answer in the ACK and
    // then send a BYE immediately."
    pub fn answer_offer(
        &mut self,
        now: Instant,
        h: CallHandle,
        answer: Body,
    ) -> Result<(), UaError> {
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        let (pending, _) = call.remote_offer.take().ok_or(UaError::NoOffer(h))?;
        // Every answer goes to the peer: the description a refresh repeats.
        call.local_sdp = Some(answer.clone());
        match pending {
            PendingOffer::Provisional { dialog, rseq, cseq } => {
                if let Some(e) = call.early.iter_mut().find(|e| *e.dialog.id() == dialog) {
                    e.oa.description(true);
                }
                // [RFC 3262 §5] "If the UAC receives a reliable provisional
                // response with an offer (this would occur if the UAC sent an
                // INVITE without an offer, in which case the first reliable
                // provisional response will contain the offer), it MUST
                // generate an answer in the PRACK."
                self.send_prack(now, h, &dialog, rseq, cseq, Some(&answer));
            }
            PendingOffer::Success => {
                call.oa.description(true);
                // [RFC 3261 §13.2.1] "o If the initial offer is in the first
                // reliable non-failure message from the UAS back to UAC, the
                // answer MUST be in the acknowledgement for that message (in
                // this specification, ACK for a 2xx response)."
                self.send_ack(now, h, Some(&answer));
                self.events.push_back(UaEvent::Established {
                    call: h,
                    answer: None,
                });
            }
            PendingOffer::Prack { tx, request } => {
                call.oa.description(true);
                let tag = call.local_tag.clone();
                // [RFC 3262 §5] "If the UAS receives a PRACK with an offer, it
                // MUST place the answer in the 2xx to the PRACK."
                let ok = response_to(&request.message(), 200, "OK", Some(&tag))?;
                let ok = MessageBuilder::from_message(&ok.message())
                    .body(&answer.content_type, answer.bytes.to_vec())
                    .build()?;
                self.respond(now, tx, ok);
                let deferred = self
                    .calls
                    .get_mut(&h)
                    .and_then(|c| c.deferred_answer.take());
                if let Some(deferred) = deferred {
                    self.send_answer(now, h, deferred)?;
                }
            }
            PendingOffer::ReInviteSuccess { seq } => {
                self.send_reinvite_ack(h, seq, Some(&answer));
                self.events.push_back(UaEvent::SessionUpdated {
                    call: h,
                    answer: None,
                });
            }
            PendingOffer::Update { tx, request, early } => {
                let confirmed = match early
                    .as_ref()
                    .and_then(|id| call.early.iter_mut().find(|e| e.dialog.id() == id))
                {
                    Some(e) => {
                        e.oa.description(true);
                        false
                    }
                    None => {
                        call.oa.description(true);
                        call.state == CallState::Confirmed
                    }
                };
                let tag = call.local_tag.clone();
                // [RFC 3311 §5.2] "If the session description has changed, the
                // UAS MUST adjust the session parameters accordingly and
                // generate an answer in the 2xx response."
                let ok = response_to(&request.message(), 200, "OK", Some(&tag))?;
                let mut b = MessageBuilder::from_message(&ok.message())
                    .header(HeaderName::Contact, self.contact_header());
                if confirmed {
                    // An UPDATE in the session is a session refresh request
                    // (RFC 4028 §4).
                    if let Some(supported) = self.supported(false) {
                        b = b.header(HeaderName::Supported, supported);
                    }
                    for (name, value) in self.st_response_headers(&request.message()) {
                        b = b.header(name, value);
                    }
                }
                let ok = b
                    .body(&answer.content_type, answer.bytes.to_vec())
                    .build()?;
                self.respond(now, tx, ok);
                if confirmed {
                    self.st_after_2xx_sent(now, h, &request.message(), true);
                }
            }
        }
        self.pump(now);
        Ok(())
    }

    /// Refuses the peer's offer in an UPDATE ([`UaEvent::Offer`] with
    /// [`OfferIn::Update`]) with `status` (e.g. 488 Not Acceptable Here);
    /// the session stays as it was (RFC 3311 §5.2). Offers in a 2xx, a
    /// reliable provisional response or a PRACK cannot be refused: they
    /// are answered (and the call then ended if the application wants).
    pub fn reject_offer(
        &mut self,
        now: Instant,
        h: CallHandle,
        status: u16,
    ) -> Result<(), UaError> {
        let status = if (300..700).contains(&status) {
            status
        } else {
            488
        };
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        match call.remote_offer {
            Some((PendingOffer::Update { .. }, _)) => {}
            Some(_) => {
                return Err(UaError::WrongState {
                    call: h,
                    state: call.state.as_str(),
                    action: "refuse an offer outside an UPDATE",
                });
            }
            None => return Err(UaError::NoOffer(h)),
        }
        let Some((PendingOffer::Update { tx, request, early }, _)) = call.remote_offer.take()
        else {
            return Err(UaError::NoOffer(h));
        };
        // [RFC 3264 §4] "The agent receiving the offer MAY generate an
        // answer, or it MAY reject the offer."
        match early
            .as_ref()
            .and_then(|id| call.early.iter_mut().find(|e| e.dialog.id() == id))
        {
            Some(e) => e.oa.pending = None,
            None => call.oa.pending = None,
        }
        // [RFC 3311 §5.2] "If the new session description is not
        // acceptable, the UAS can reject it by returning a 488 (Not
        // Acceptable Here) response for the UPDATE."
        // [RFC 3311 §5.2] "This response SHOULD include a Warning header
        // field."
        let r = refusal(&request, status, &call.local_tag)?;
        self.respond(now, tx, r);
        self.pump(now);
        Ok(())
    }

    fn ok_to_invite(
        &mut self,
        h: CallHandle,
        invite: &Message<'_>,
        body: Option<&Body>,
    ) -> Result<OwnedMessage, UaError> {
        let call = self.calls.get(&h).ok_or(UaError::NoSuchCall(h))?;
        // [RFC 3261 §13.2.1] "o If the initial offer is in an INVITE, the answer
        // MUST be in a reliable non-failure message from UAS back to UAC which
        // is correlated to that INVITE."
        // The Contact is the configured URI, which must be a SIP or SIPS URI.
        // [RFC 3261 §12.1.1 exception: the Contact comes from the configuration] "The
        // URI provided in the Contact header field MUST be a SIP or SIPS URI."
        let mut b = MessageBuilder::from_message(
            &response_to(invite, 200, "OK", Some(&call.local_tag))?.message(),
        )
        // [RFC 3261 §12.1.1] "The UAS MUST add a Contact header field to the
        // response."
        .header(HeaderName::Contact, self.contact_header())
        // [RFC 3311 §4] "An unreliable provisional response MAY contain an
        // Allow header field listing the UPDATE method, and a 2xx response
        // SHOULD contain an Allow header field listing the UPDATE method."
        // [RFC 3261 §13.3.1.4] "A 2xx response to an INVITE SHOULD contain the
        // Allow header field and the Supported header field, and MAY contain
        // the Accept header field."
        .header(HeaderName::Allow, self.allow());
        if let Some(supported) = self.supported(true) {
            b = b.header(HeaderName::Supported, supported);
        }
        for (name, value) in self.st_response_headers(invite) {
            b = b.header(name, value);
        }
        if let Some(body) = body {
            b = b.body(&body.content_type, body.bytes.to_vec());
        }
        Ok(b.build()?)
    }

    fn send_answer(
        &mut self,
        now: Instant,
        h: CallHandle,
        answer: Option<Body>,
    ) -> Result<(), UaError> {
        let call = self.calls.get(&h).ok_or(UaError::NoSuchCall(h))?;
        let invite = call.invite.clone();
        let id = call.invite_tx.ok_or(UaError::NoSuchCall(h))?;
        // This side made the initial offer (in a reliable provisional
        // response) and it was answered: a body in the 2xx would be a new
        // offer, so none is sent.
        // [RFC 3261 §13.2.1] "o Once the UAS has sent or received an answer to
        // the initial offer, it MUST NOT generate subsequent offers in any
        // responses to the initial INVITE."
        let answer = if call.oa.session && invite.message().body().is_empty() {
            None
        } else {
            answer
        };
        let describes = answer.is_some() && !call.oa.session;
        let response = self.ok_to_invite(h, &invite.message(), answer.as_ref())?;
        let dest = self
            .layer
            .server(id)
            .map(|s| s.destination().clone())
            .ok_or(UaError::WrongState {
                call: h,
                state: "cancelled",
                action: "answer",
            })?;
        let dialog = Dialog::uas(&invite.message(), &response.message())?;
        self.respond(now, id, response.clone());
        self.st_after_2xx_sent(now, h, &invite.message(), false);
        let timers = self.config.layer.timers;
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        match call.dialog.as_mut() {
            Some(d) => d.confirm_sent(),
            None => {
                self.dialogs.insert(dialog.id().clone(), h);
                call.dialog = Some(dialog);
            }
        }
        call.final_sent = true;
        call.state = CallState::Accepted;
        if describes {
            // The answer to the INVITE's offer, or this side's offer (the
            // ACK then carries the answer).
            call.oa.description(true);
            call.local_sdp = answer;
        }
        // [RFC 3262 §3] "If the UAS does send a final response when reliable
        // responses are still unacknowledged, it SHOULD NOT continue to
        // retransmit the unacknowledged reliable provisional responses"
        call.reliable = None;
        // [RFC 3261 §13.3.1.4] "The 2xx response is passed to the transport
        // with an interval that starts at T1 seconds and doubles for each
        // retransmission until it reaches T2 seconds"
        call.retransmit = Some(Retransmit2xx::new(now, response, dest, timers));
        self.pump(now);
        Ok(())
    }

    /// Refuses an incoming call with `status` (300-699), or refuses a
    /// pending re-INVITE (the session stays as it was).
    pub fn reject(&mut self, now: Instant, h: CallHandle, status: u16) -> Result<(), UaError> {
        let status = if (300..700).contains(&status) {
            status
        } else {
            603
        };
        let call = self.calls.get(&h).ok_or(UaError::NoSuchCall(h))?;
        if let Some((id, reinvite)) = call.reinvite_in.clone() {
            // [RFC 3261 §14.2] "If the new session description is not
            // acceptable, the UAS can reject it by returning a 488 (Not
            // Acceptable Here) response for the re- INVITE."
            // [RFC 3261 §14.2] "This response SHOULD include a Warning header
            // field."
            let r = refusal(&reinvite, status, &call.local_tag)?;
            self.respond(now, id, r);
            if let Some(c) = self.calls.get_mut(&h) {
                c.reinvite_in = None;
            }
            self.pump(now);
            return Ok(());
        }
        let call = self.uas_call(h, "reject")?;
        let id = call.invite_tx.ok_or(UaError::NoSuchCall(h))?;
        // [RFC 3261 §13.3.1.3] "Such a response SHOULD include a Warning header
        // field value explaining why the offer was rejected."
        let r = refusal(&call.invite, status, &call.local_tag)?;
        self.respond(now, id, r);
        if let Some(c) = self.calls.get_mut(&h) {
            c.final_sent = true;
            c.reliable = None;
        }
        self.end(now, h, EndReason::Rejected { status });
        self.pump(now);
        Ok(())
    }

    /// Cancels an outgoing call that has no final response (RFC 3261 §9.1).
    pub fn cancel(&mut self, now: Instant, h: CallHandle) -> Result<(), UaError> {
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        if call.role != Role::Uac || !matches!(call.state, CallState::Calling | CallState::Early) {
            return Err(UaError::WrongState {
                call: h,
                state: call.state.as_str(),
                action: "cancel",
            });
        }
        if call.cancel_requested {
            return Ok(());
        }
        call.cancel_requested = true;
        call.cancel_deadline = Some(now + self.config.layer.timers.timeout());
        // [RFC 3261 §9.1] "If no provisional response has been received, the
        // CANCEL request MUST NOT be sent; rather, the client MUST wait for the
        // arrival of a provisional response before sending the request."
        if call.got_provisional {
            self.send_cancel(now, h);
        }
        self.pump(now);
        Ok(())
    }

    fn send_cancel(&mut self, now: Instant, h: CallHandle) {
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        let (Ok(cancel), Some(dest)) = (
            crate::builder::cancel(&call.invite.message()),
            call.destination.clone(),
        ) else {
            return;
        };
        // [RFC 3261 §9.1] "The destination address, port, and transport for
        // the CANCEL MUST be identical to those used to send the original
        // request."
        if let Ok(id) = self.layer.send_request(now, cancel, dest) {
            self.own(id, Some(h), TxKind::Cancel);
        }
    }

    /// Ends a call: BYE on a confirmed dialog (RFC 3261 §15), CANCEL for
    /// an outgoing call not yet answered, 603 (Decline) for an incoming one.
    pub fn hang_up(&mut self, now: Instant, h: CallHandle) -> Result<(), UaError> {
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        match (call.role, call.state) {
            (_, CallState::Terminated) => Err(UaError::WrongState {
                call: h,
                state: call.state.as_str(),
                action: "hang up",
            }),
            // [RFC 3261 §15] "The caller's UA MAY send a BYE for either confirmed or
            // early dialogs, and the callee's UA MAY send a BYE on confirmed
            // dialogs, but MUST NOT send a BYE on early dialogs."
            (Role::Uac, CallState::Calling | CallState::Early) => self.cancel(now, h),
            (Role::Uas, CallState::Calling | CallState::Early) => self.reject(now, h, 603),
            (Role::Uac, CallState::Accepted) => {
                // The 2xx carried an offer not answered yet: it is
                // acknowledged (without an answer, the application gave
                // none) and the dialog ended.
                call.remote_offer
                    .take_if(|(p, _)| matches!(p, PendingOffer::Success));
                self.send_ack(now, h, None);
                self.send_bye(now, h, TxKind::Bye);
                self.end(now, h, EndReason::LocalBye);
                self.pump(now);
                Ok(())
            }
            (Role::Uas, CallState::Accepted) => {
                // [RFC 3261 §15] "However, the callee's UA MUST NOT send a BYE on a
                // confirmed dialog until it has received an ACK for its 2xx response
                // or until the server transaction times out."
                call.hangup_after_ack = true;
                Ok(())
            }
            (_, CallState::Confirmed) => {
                if let Some((PendingOffer::ReInviteSuccess { seq }, _)) = call
                    .remote_offer
                    .take_if(|(p, _)| matches!(p, PendingOffer::ReInviteSuccess { .. }))
                {
                    // The 2xx to our re-INVITE waits for its ACK.
                    self.send_reinvite_ack(h, seq, None);
                }
                self.send_bye(now, h, TxKind::Bye);
                self.end(now, h, EndReason::LocalBye);
                self.pump(now);
                Ok(())
            }
        }
    }

    fn send_bye(&mut self, now: Instant, h: CallHandle, kind: TxKind) {
        // A BYE is only ever built from the call's dialog.
        // [RFC 3261 §15] "A UA MUST NOT send a BYE outside of a dialog."
        if let Ok(bye) = self.in_dialog(h, Method::Bye, None) {
            // [RFC 3261 §15.1.1] "The UAC MUST consider the session terminated
            // (and therefore stop sending or listening for media) as soon as the
            // BYE request is passed to the client transaction."
            let _ = self.send(now, bye, Some(h), kind);
        }
    }

    /// Sends a re-INVITE with a new offer (hold, resume, codec change;
    /// RFC 3261 §14.1). A 491 is retried after the §14.1 back-off. As for
    /// [`call`](Self::call), the re-INVITE always carries the offer.
    pub fn reinvite(&mut self, now: Instant, h: CallHandle, offer: Body) -> Result<(), UaError> {
        self.send_reinvite_as(now, h, Some(offer), false)
    }

    /// Sends an UPDATE with a new offer (RFC 3311), on a confirmed dialog
    /// or, at the callee, on the early dialog of an incoming call whose
    /// first offer/answer exchange is complete (and its reliable
    /// provisional response acknowledged). The answer comes in
    /// [`UaEvent::SessionUpdated`]; a refusal in [`UaEvent::UpdateFailed`]
    /// (the session is then unchanged); a 491 is retried after the
    /// RFC 3311 §5.3 back-off. Needs [`UaConfig::update`].
    ///
    /// Refused with [`UaError::OfferPending`] while any offer on the dialog
    /// waits for its answer, in either direction (RFC 3311 §5.1).
    // [RFC 3311 §5.1] "It MAY be sent for both early and confirmed dialogs,
    // and MAY be sent by either caller or callee."
    pub fn update(&mut self, now: Instant, h: CallHandle, offer: Body) -> Result<(), UaError> {
        let enabled = self.config.update;
        let call = self.calls.get(&h).ok_or(UaError::NoSuchCall(h))?;
        let usable = match call.state {
            CallState::Confirmed => true,
            // The caller's early dialogs are not the call's dialog: UPDATE
            // is sent by the caller once confirmed only.
            CallState::Early | CallState::Accepted => call.role == Role::Uas,
            CallState::Calling | CallState::Terminated => false,
        };
        if !enabled || !usable || call.dialog.is_none() {
            return Err(UaError::WrongState {
                call: h,
                state: call.state.as_str(),
                action: "send an UPDATE",
            });
        }
        // [RFC 3311 §5.1] "o If the UPDATE is being sent after the completion
        // of the initial INVITE transaction, it cannot be sent with an offer if
        // the callee has generated or received offers in a re-INVITE or UPDATE
        // which have not been answered."
        // [RFC 3311 §5.1] "o If the UPDATE is being sent before the completion
        // of the INVITE transaction, and the initial INVITE contained an offer,
        // the UPDATE cannot be sent with an offer unless the callee has
        // generated an answer in a reliable provisional response, has received
        // a PRACK for that reliable provisional response, has not received any
        // requests (PRACK or UPDATE) with offers that it has not answered, and
        // has not sent any UPDATE requests containing offers that have not been
        // answered."
        if !call.oa.session
            || call.oa.pending.is_some()
            || call.remote_offer.is_some()
            || call.reliable.is_some()
            || call.update_out.is_some()
            // (A re-INVITE of ours without an offer asked for one.)
            || call.reinvite_out.is_some()
            || call.reinvite_in.is_some()
        {
            return Err(UaError::OfferPending(h));
        }
        self.send_update(now, h, Some(offer), false)
    }

    /// Sends an UPDATE carrying `offer`, if any; `refresh`: a session
    /// refresh of the session timer (RFC 4028 §10), not the application's.
    fn send_update(
        &mut self,
        now: Instant,
        h: CallHandle,
        offer: Option<Body>,
        refresh: bool,
    ) -> Result<(), UaError> {
        let request = self.in_dialog(h, Method::Update, offer.as_ref())?;
        // An UPDATE in the session is a session refresh request (RFC 4028
        // §7.2).
        let confirmed = self
            .calls
            .get(&h)
            .is_some_and(|c| c.state == CallState::Confirmed);
        let (st_headers, asked) = if confirmed {
            self.st_request_headers(Some(h))
        } else {
            (Vec::new(), 0)
        };
        let request = with_headers(request, &st_headers)?;
        let (id, _) = self.send(now, request, Some(h), TxKind::Update)?;
        if let Some(c) = self.calls.get_mut(&h) {
            c.update_retry = None;
            if offer.is_some() {
                c.oa.description(true);
            }
            c.update_out = Some((id, offer));
            c.refreshing = refresh;
            c.st_422 = 0;
            c.st_asked = (!st_headers.is_empty()).then_some(asked);
            c.st_sent = Some(now);
        }
        self.pump(now);
        Ok(())
    }

    fn on_update_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        h: CallHandle,
        msg: &Message<'_>,
    ) {
        let Some(status) = msg.status() else {
            return;
        };
        if status < 200 {
            return;
        }
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let Some((_, offer)) = call.update_out.take_if(|(t, _)| *t == id) else {
            return;
        };
        let refreshing = std::mem::take(&mut call.refreshing);
        // (After a 408 or 481 to a refresh the dialog still carries the BYE
        // that st_refresh_failed sends, RFC 4028 §10.)
        if !(refreshing && matches!(status, 408 | 481)) {
            if let Some(d) = call.dialog.as_mut() {
                let _ = d.receive_response(Method::Update, msg);
            }
        }
        if (200..300).contains(&status) {
            let answer = Body::of(msg);
            if answer.is_some() {
                call.oa.description(false);
                if offer.is_some() {
                    call.local_sdp = offer;
                }
            } else {
                // A 2xx without the answer leaves the session as it was.
                call.oa.pending = None;
            }
            if call.state == CallState::Confirmed {
                self.st_on_2xx(now, h, msg, true);
            }
            if !refreshing {
                self.events
                    .push_back(UaEvent::SessionUpdated { call: h, answer });
            }
            return;
        }
        // [RFC 3311 §5.3] "If a UA receives a non-2xx final response to a
        // UPDATE, the session parameters MUST remain unchanged, as if no UPDATE
        // had been issued."
        call.oa.pending = None;
        if status == 422 && self.st_retry_422(now, h, msg, offer.clone(), true, refreshing) {
            return;
        }
        if refreshing {
            self.st_refresh_failed(now, h, status);
            return;
        }
        let Some(offer) = offer else {
            self.events
                .push_back(UaEvent::UpdateFailed { call: h, status });
            self.in_dialog_failure(now, h, status);
            return;
        };
        if status == 491 {
            let owner = self.calls.get(&h).is_some_and(|c| c.role == Role::Uac);
            // [RFC 3311 §5.3] "If a UAC receives a 491 response to a UPDATE, it
            // SHOULD start a timer with a value T chosen as follows:"
            let units = if owner {
                // 2.1 to 4 seconds in units of 10 ms: this side generated the
                // Call-ID.
                210 + self.rng.next_u32() % 191
            } else {
                self.rng.next_u32() % 201
            };
            if let Some(c) = self.calls.get_mut(&h) {
                c.update_retry = Some((now + Duration::from_millis(u64::from(units) * 10), offer));
            }
            return;
        }
        self.events
            .push_back(UaEvent::UpdateFailed { call: h, status });
        self.in_dialog_failure(now, h, status);
    }

    /// Sends a re-INVITE without an offer (RFC 3261 §14.1): the peer's
    /// offer comes in the 2xx ([`UaEvent::Offer`] with
    /// [`OfferIn::Success`]), and [`answer_offer`](Self::answer_offer)
    /// sends the ACK with the answer ([`UaEvent::SessionUpdated`] then
    /// follows).
    // [RFC 3261 §14.1] "Of course, a UAC MAY send a re-INVITE with no session
    // description, in which case the first reliable non-failure response to
    // the re-INVITE will contain the offer (in this specification, that is a
    // 2xx response)."
    pub fn reinvite_without_offer(&mut self, now: Instant, h: CallHandle) -> Result<(), UaError> {
        self.send_reinvite_as(now, h, None, false)
    }

    /// Sends a re-INVITE carrying `offer`; `refresh`: a session refresh of
    /// the session timer (RFC 4028 §10), not the application's.
    fn send_reinvite_as(
        &mut self,
        now: Instant,
        h: CallHandle,
        offer: Option<Body>,
        refresh: bool,
    ) -> Result<(), UaError> {
        let call = self.calls.get_mut(&h).ok_or(UaError::NoSuchCall(h))?;
        if call.state != CallState::Confirmed {
            return Err(UaError::WrongState {
                call: h,
                state: call.state.as_str(),
                action: "re-INVITE",
            });
        }
        // [RFC 3261 §14.1] "Note that a UAC MUST NOT initiate a new INVITE
        // transaction within a dialog while another INVITE transaction is in
        // progress in either direction."
        // [RFC 3261 §14.1] "If there is an ongoing INVITE client transaction,
        // the TU MUST wait until the transaction reaches the completed or
        // terminated state before initiating the new INVITE."
        // (A 2xx still retransmitted means no ACK yet.)
        // [RFC 3261 §14.1] "If there is an ongoing INVITE server transaction,
        // the TU MUST wait until the transaction reaches the confirmed or
        // terminated state before initiating the new INVITE."
        // [RFC 3264 §4] "However, it MUST NOT generate a new offer if it has
        // received an offer which it has not yet answered or rejected."
        // [RFC 3264 §4] "Furthermore, it MUST NOT generate a new offer if it
        // has generated a prior offer for which it has not yet received an
        // answer or a rejection."
        // [RFC 3261 §13.2.1] "o After having sent or received an answer to the
        // first offer, the UAC MAY generate subsequent offers in requests based
        // on rules specified for that method, but only if it has received
        // answers to any previous offers, and has not sent any offers to which
        // it hasn't gotten an answer."
        if call.oa.pending.is_some() || call.remote_offer.is_some() {
            return Err(UaError::OfferPending(h));
        }
        if call.reinvite_out.is_some()
            || call.reinvite_in.is_some()
            || call
                .retransmit
                .as_ref()
                .is_some_and(Retransmit2xx::is_active)
        {
            return Err(UaError::InvitePending(h));
        }
        call.glare_retry = None;
        let request = self.in_dialog(h, Method::Invite, offer.as_ref())?;
        // A re-INVITE is a session refresh request (RFC 4028 §7.2: "a
        // re-INVITE or UPDATE request sent within a dialog for purposes other
        // than session refreshes will also have the effect of refreshing the
        // session").
        let (st_headers, asked) = self.st_request_headers(Some(h));
        let request = with_headers(request, &st_headers)?;
        let (id, _) = self.send(now, request, Some(h), TxKind::ReInvite)?;
        if let Some(c) = self.calls.get_mut(&h) {
            c.reinvite_out = Some((id, offer));
            c.reinvite_deadline = Some(now + self.config.invite_timeout);
            c.refreshing = refresh;
            c.st_422 = 0;
            c.st_asked = (!st_headers.is_empty()).then_some(asked);
            c.st_sent = Some(now);
        }
        self.pump(now);
        Ok(())
    }

    // ------------------------------------------------------------------
    // Commands: stand-alone requests and registration
    // ------------------------------------------------------------------

    /// Sends a MESSAGE (RFC 3428) with `body` to `target` outside any
    /// dialog; [`UaEvent::MessageResult`] tells the outcome.
    pub fn send_message(
        &mut self,
        now: Instant,
        target: &str,
        body: Body,
    ) -> Result<RequestHandle, UaError> {
        // [RFC 3428 §4] "User Agents MUST NOT insert Contact header fields into
        // MESSAGE requests."
        // [RFC 3428 §4] "All UACs which support the MESSAGE method MUST be
        // prepared to send MESSAGE requests with a body of type text/plain."
        let request = self.out_of_dialog(Method::Message, target, None, &[], Some(&body))?;
        self.send_standalone(now, request, None, TxKind::Message)
    }

    /// Sends a MESSAGE inside `call`'s dialog (RFC 3428 §4: "A UAC MAY
    /// associate a MESSAGE request with an existing dialog").
    pub fn send_message_in_call(
        &mut self,
        now: Instant,
        call: CallHandle,
        body: Body,
    ) -> Result<RequestHandle, UaError> {
        let request = self.in_dialog(call, Method::Message, Some(&body))?;
        self.send_standalone(now, request, Some(call), TxKind::Message)
    }

    /// Sends OPTIONS to `target` (RFC 3261 §11.1).
    pub fn options(&mut self, now: Instant, target: &str) -> Result<RequestHandle, UaError> {
        let request = self.out_of_dialog(Method::Options, target, None, &[], None)?;
        let request = MessageBuilder::from_message(&request.message())
            // [RFC 3261 §11.1] "An Accept header field SHOULD be included to
            // indicate the type of message body the UAC wishes to receive in
            // the response."
            .header(HeaderName::Accept, "application/sdp")
            .build()?;
        self.send_standalone(now, request, None, TxKind::Options)
    }

    fn send_standalone(
        &mut self,
        now: Instant,
        request: OwnedMessage,
        call: Option<CallHandle>,
        kind: impl FnOnce(RequestHandle) -> TxKind,
    ) -> Result<RequestHandle, UaError> {
        let h = RequestHandle(self.handle());
        let (_, destination) = self.send(now, request.clone(), call, kind(h))?;
        self.pending.insert(
            h,
            Pending {
                request,
                destination,
                challenged: Vec::new(),
            },
        );
        self.pump(now);
        Ok(h)
    }

    /// Sends the REGISTER that adds (or refreshes) the binding.
    pub fn register(&mut self, now: Instant) -> Result<(), UaError> {
        let reg = self.register.as_mut().ok_or(UaError::NoRegistration)?;
        let req = reg.register(&mut self.rng)?;
        self.send_register(now, req);
        self.pump(now);
        Ok(())
    }

    /// Sends the REGISTER that removes the binding.
    pub fn unregister(&mut self, now: Instant) -> Result<(), UaError> {
        let reg = self.register.as_mut().ok_or(UaError::NoRegistration)?;
        let req = reg.unregister(&mut self.rng)?;
        self.send_register(now, req);
        self.pump(now);
        Ok(())
    }

    fn send_register(&mut self, now: Instant, req: OwnedMessage) {
        let req = match &self.config.outbound_proxy {
            Some(p) => MessageBuilder::from_message(&req.message())
                .header(HeaderName::Route, format!("<{p}>"))
                .build()
                .unwrap_or(req),
            None => req,
        };
        if self.send(now, req, None, TxKind::Register).is_err() {
            if let Some(reg) = self.register.as_mut() {
                reg.handle_timeout_of_request();
                while let Some(e) = reg.poll_event() {
                    self.events.push_back(UaEvent::Registration(e));
                }
            }
        }
    }

    // ------------------------------------------------------------------
    // Incoming requests (UAS, RFC 3261 §8.2)
    // ------------------------------------------------------------------

    fn on_request(&mut self, now: Instant, id: TransactionId, request: OwnedMessage) {
        let msg = request.message();
        let Some(method) = msg.method() else {
            return;
        };
        if let Err(e) = validate(&msg) {
            // [RFC 3261 §21.4.1] "The request could not be understood due to
            // malformed syntax."
            let tag = new_tag(&mut self.rng);
            if let Ok(r) = response_to(&msg, 400, "Bad Request", Some(&tag)) {
                let r = MessageBuilder::from_message(&r.message())
                    .header(
                        HeaderName::Warning,
                        format!("399 rtclite \"{}\"", sanitize(&e.to_string())),
                    )
                    .build()
                    .unwrap_or(r);
                self.respond(now, id, r);
            }
            return;
        }
        if method == Method::Cancel {
            self.on_cancel(now, id, &msg);
            return;
        }
        let in_dialog = msg.to().ok().and_then(|t| t.tag()).is_some();
        // Header fields are parsed when read, and only those the UA needs are
        // read.
        // [RFC 3261 §8.2.2] "If a UAS does not understand a header field in a
        // request (that is, the header field is not defined in this
        // specification or in any supported extension), the server MUST ignore
        // that header field and continue processing the message."
        // [RFC 3261 §8.2.3 exception: bodies are opaque to the UA core] "If the
        // request contained content encodings not understood by the UAS, the
        // response MUST contain an Accept-Encoding header field listing the
        // encodings understood by the UAS."
        // [RFC 3261 §8.2.3 exception: bodies are opaque to the UA core] "If the
        // request contained content with languages not understood by the UAS,
        // the response MUST contain an Accept-Language header field indicating
        // the languages understood by the UAS."
        if !in_dialog || method == Method::Invite {
            self.policy.to_tag = new_tag(&mut self.rng);
            // [RFC 3261 §8.2.1] "Once a request is authenticated (or
            // authentication is skipped), the UAS MUST inspect the method of the
            // request."
            if let Some(rejection) = self.policy.check(now, &msg, &mut self.merges) {
                // The checks run before any call or dialog is created.
                // [RFC 3261 §8.2] "If it is rejected, all state changes MUST NOT
                // be performed."
                self.respond(now, id, rejection);
                return;
            }
        }
        // Session refresh requests (RFC 4028 §4): INVITE and UPDATE.
        if method == Method::Invite || (method == Method::Update && self.config.update) {
            if let Some(refusal) = self.st_refusal(&msg) {
                self.respond(now, id, refusal);
                return;
            }
        }
        let call = if in_dialog {
            let found = DialogId::of_received_request(&msg)
                .ok()
                .and_then(|d| self.dialogs.get(&d).copied());
            match found {
                Some(h) => Some(h),
                None if method == Method::Update && self.config.update => {
                    // Perhaps an UPDATE from the callee on an early dialog of
                    // our INVITE.
                    // [RFC 3311 §4] "Creation of this dialog is necessary in
                    // order to receive UPDATE requests from the callee."
                    self.on_early_update(now, id, request.clone());
                    return;
                }
                None => {
                    // [RFC 3261 §12.2.2] "If the UAS wishes to reject the
                    // request because it does not wish to recreate the dialog,
                    // it MUST respond to the request with a 481
                    // (Call/Transaction Does Not Exist) status code and pass
                    // that to the server transaction."
                    self.respond_status(now, id, &msg, 481);
                    return;
                }
            }
        } else {
            None
        };
        if let Some(h) = call {
            if method != Method::Prack {
                let result = self
                    .calls
                    .get_mut(&h)
                    .and_then(|c| c.dialog.as_mut())
                    .map(|d| d.receive_request(&msg));
                match result {
                    Some(Err(DialogError::OutOfOrder { .. })) => {
                        self.respond_status(now, id, &msg, 500);
                        return;
                    }
                    Some(Err(_)) | None => {
                        self.respond_status(now, id, &msg, 481);
                        return;
                    }
                    Some(Ok(())) => {}
                }
            }
        }
        match method {
            Method::Invite => match call {
                Some(h) => self.on_reinvite(now, id, h, request.clone()),
                None => self.on_invite(now, id, request.clone()),
            },
            Method::Bye => match call {
                Some(h) => self.on_bye(now, id, h, &msg),
                // [RFC 3261 §15.1.2] "If the BYE does not match an existing
                // dialog, the UAS core SHOULD generate a 481 (Call/Transaction
                // Does Not Exist) response and pass that to the server
                // transaction."
                None => self.respond_status(now, id, &msg, 481),
            },
            Method::Prack => match call {
                Some(h) => self.on_prack(now, id, h, &msg),
                None => self.respond_status(now, id, &msg, 481),
            },
            Method::Update if self.config.update => match call {
                Some(h) => self.on_update(now, id, h, request.clone()),
                None => self.respond_status(now, id, &msg, 481),
            },
            Method::Message => {
                // [RFC 3428 §7] "A 2xx response to a MESSAGE request MUST NOT
                // contain a body."
                // [RFC 3428 §7] "A UAS MUST NOT insert a Contact header field
                // into a 2xx response."
                let tag = self.policy.to_tag.clone();
                if let Ok(r) = response_to(&msg, 200, "OK", Some(&tag)) {
                    self.respond(now, id, r);
                }
                let from = msg
                    .header(HeaderName::From)
                    .map(|h| h.value().into_owned())
                    .unwrap_or_default();
                if let Some(body) = Body::of(&msg) {
                    self.events
                        .push_back(UaEvent::IncomingMessage { call, from, body });
                }
            }
            // [RFC 3261 §11] "All UAs MUST support the OPTIONS method."
            Method::Options => {
                let tag = self.policy.to_tag.clone();
                // [RFC 3261 §11.2] "The response code chosen MUST be the same
                // that would have been chosen had the request been an INVITE."
                // The only state-dependent answer to an INVITE is 486 at the
                // call limit.
                let code = if self.calls.len() >= self.config.max_calls {
                    486
                } else {
                    200
                };
                if code != 200 {
                    self.respond_status(now, id, &msg, code);
                    return;
                }
                if let Ok(r) = response_to(&msg, 200, "OK", Some(&tag)) {
                    // [RFC 3261 §11.2] "Allow, Accept, Accept-Encoding,
                    // Accept-Language, and Supported header fields SHOULD be
                    // present in a 200 (OK) response to an OPTIONS request."
                    let mut b = MessageBuilder::from_message(&r.message())
                        .header(HeaderName::Allow, self.allow())
                        .header(HeaderName::Accept, self.config.accept.join(", "))
                        .header(HeaderName::AcceptEncoding, "identity")
                        .header(HeaderName::AcceptLanguage, "en");
                    if let Some(supported) = self.supported(true) {
                        b = b.header(HeaderName::Supported, supported);
                    }
                    // [RFC 3261 §11.2] "Contact header fields MAY be present in
                    // a 200 (OK) response and have the same semantics as in a
                    // 3xx response."
                    b = b.header(HeaderName::Contact, self.contact_header());
                    if let Ok(r) = b.build() {
                        self.respond(now, id, r);
                    }
                }
            }
            _ => {
                // [RFC 3261 §8.2.1] "If the UAS recognizes but does not support
                // the method of a request, it MUST generate a 405 (Method Not
                // Allowed) response."
                self.respond_status(now, id, &msg, 501);
            }
        }
    }

    fn on_invite(&mut self, now: Instant, id: TransactionId, request: OwnedMessage) {
        let msg = request.message();
        if self.calls.len() >= self.config.max_calls {
            let tag = self.policy.to_tag.clone();
            if let Ok(r) = response_to(&msg, 486, "Busy Here", Some(&tag)) {
                self.respond(now, id, r);
            }
            return;
        }
        // The call, its transaction's owner and the event are created together.
        // [RFC 3261 §8.2] "If a request is accepted, all state changes
        // associated with it MUST be performed."
        let h = CallHandle(self.handle());
        let tag = self.policy.to_tag.clone();
        let mut call = Call::new(Role::Uas, request.clone(), tag);
        call.invite_tx = Some(id);
        // [RFC 3261 §13.3.1] "If the INVITE does not contain a session
        // description, the UAS is being asked to participate in a session,
        // and the UAC has asked that the UAS provide the offer of the
        // session."
        call.oa = OfferAnswer::initial((!msg.body().is_empty()).then_some(Offerer::Remote));
        self.calls.insert(h, call);
        self.own(id, Some(h), TxKind::InviteServer);
        let text = |n: HeaderName| {
            msg.header(n)
                .map(|h| h.value().into_owned())
                .unwrap_or_default()
        };
        self.events.push_back(UaEvent::IncomingCall {
            call: h,
            from: text(HeaderName::From),
            to: text(HeaderName::To),
            offer: Body::of(&msg),
        });
    }

    fn on_reinvite(
        &mut self,
        now: Instant,
        id: TransactionId,
        h: CallHandle,
        request: OwnedMessage,
    ) {
        let msg = request.message();
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        if call.reinvite_out.is_some() {
            // [RFC 3261 §14.2] "A UAS that receives an INVITE on a dialog while
            // an INVITE it had sent on that dialog is in progress MUST return a
            // 491 (Request Pending) response to the received INVITE."
            self.respond_status(now, id, &msg, 491);
            return;
        }
        if matches!(call.update_out, Some((_, Some(_)))) && !msg.body().is_empty() {
            // An offer while ours (in an UPDATE) waits for its answer: glare,
            // resolved as for UPDATE (RFC 3311 §5.2). (A session refresh
            // UPDATE carries no offer: no glare.)
            self.respond_status(now, id, &msg, 491);
            return;
        }
        let busy = call.reinvite_in.is_some() || call.state != CallState::Confirmed;
        let tag = call.local_tag.clone();
        if busy {
            // [RFC 3261 §14.2] "A UAS that receives a second INVITE before it
            // sends the final response to a first INVITE with a lower CSeq
            // sequence number on the same dialog MUST return a 500 (Server
            // Internal Error) response to the second INVITE and MUST include a
            // Retry-After header field with a randomly chosen value of between
            // 0 and 10 seconds."
            let after = self.rng.next_u32() % 11;
            if let Ok(r) = response_to(&msg, 500, "Server Internal Error", Some(&tag)) {
                if let Ok(r) = MessageBuilder::from_message(&r.message())
                    .header(HeaderName::RetryAfter, after.to_string())
                    .build()
                {
                    self.respond(now, id, r);
                }
            }
            return;
        }
        self.own(id, Some(h), TxKind::InviteServer);
        if let Some(c) = self.calls.get_mut(&h) {
            c.reinvite_in = Some((id, request.clone()));
        }
        // The session description is the application's: it reads the offer in
        // the event and answers with `answer` or refuses with `reject`.
        // [RFC 3261 §14.2 exception: session descriptions are opaque to the UA core] "If
        // a UA receives a re-INVITE for an existing dialog, it MUST check any
        // version identifiers in the session description or, if there are no
        // version identifiers, the content of the session description to see if
        // it has changed."
        // [RFC 3261 §14.2 exception: session descriptions are opaque to the UA core] "If
        // the session description has changed, the UAS MUST adjust the session
        // parameters accordingly, possibly after asking the user for
        // confirmation."
        // [RFC 3261 §14.2 exception: session descriptions are opaque to the UA core] "The
        // UAS MUST ensure that the session description overlaps with its
        // previous session description in media formats, transports, or other
        // parameters that require support from the peer."
        self.events.push_back(UaEvent::ReInvite {
            call: h,
            offer: Body::of(&msg),
        });
    }

    fn on_bye(&mut self, now: Instant, id: TransactionId, h: CallHandle, msg: &Message<'_>) {
        // [RFC 3261 §15.1.2] "Whether or not it ends its participation on the
        // session, the UAS core MUST generate a 2xx response to the BYE, and
        // MUST pass that to the server transaction for transmission."
        let tag = self
            .calls
            .get(&h)
            .map(|c| c.local_tag.clone())
            .unwrap_or_default();
        if let Ok(r) = response_to(msg, 200, "OK", Some(&tag)) {
            self.respond(now, id, r);
        }
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let mut pending = Vec::new();
        // [RFC 3261 §15.1.2] "The UAS MUST still respond to any pending
        // requests received for that dialog."
        // [RFC 3261 §15.1.2] "It is RECOMMENDED that a 487 (Request Terminated)
        // response be generated to those pending requests."
        if let Some((rid, req)) = call.reinvite_in.take() {
            pending.push((rid, req));
        }
        if call.role == Role::Uas && !call.final_sent {
            if let Some(iid) = call.invite_tx {
                pending.push((iid, call.invite.clone()));
            }
            call.final_sent = true;
            call.reliable = None;
        }
        call.retransmit = None;
        let tag = call.local_tag.clone();
        for (rid, req) in pending {
            if let Ok(r) = response_to(&req.message(), 487, "Request Terminated", Some(&tag)) {
                self.respond(now, rid, r);
            }
        }
        // [RFC 3261 §15.1.2] "A UAS core receiving a BYE request for an
        // existing dialog MUST follow the procedures of Section 12.2.2 to
        // process the request."
        self.end(now, h, EndReason::RemoteBye);
    }

    fn on_prack(&mut self, now: Instant, id: TransactionId, h: CallHandle, msg: &Message<'_>) {
        let rack = msg.rack().and_then(Result::ok);
        let invite_cseq = self
            .calls
            .get(&h)
            .and_then(|c| c.invite.message().cseq().ok().map(|c| c.seq));
        let matched = self
            .calls
            .get(&h)
            .and_then(|c| c.reliable.as_ref())
            .is_some_and(|r| {
                rack.as_ref().is_some_and(|k| {
                    k.response_num == r.rseq
                        && Some(k.cseq_num) == invite_cseq
                        && k.method == "INVITE"
                })
            });
        if !matched {
            // [RFC 3262 §3] "If a PRACK request is received by the UA core that
            // does not match any unacknowledged reliable provisional response,
            // the UAS MUST respond to the PRACK with a 481 response."
            self.respond_status(now, id, msg, 481);
            return;
        }
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if let Some(d) = call.dialog.as_mut() {
            let _ = d.receive_request(msg);
        }
        // [RFC 3262 §3] "It SHOULD cease retransmissions of the reliable
        // provisional response, and MUST remove it from the list of
        // unacknowledged provisional responses."
        call.reliable = None;
        let body = Body::of(msg);
        let tag = call.local_tag.clone();
        match (call.oa.pending, body) {
            // This side's offer was in the provisional response: the PRACK
            // carries the answer.
            (Some(Offerer::Local), Some(answer)) => {
                call.oa.description(false);
                self.events.push_back(UaEvent::Prack {
                    call: h,
                    body: Some(answer),
                });
            }
            // [RFC 3262 §5] "If the UAC receives a reliable provisional
            // response with an offer (this would occur if the UAC sent an
            // INVITE without an offer, in which case the first reliable
            // provisional response will contain the offer), it MUST generate
            // an answer in the PRACK."
            (Some(Offerer::Local), None) => {
                // The PRACK still acknowledges the provisional response (2xx),
                // but without an answer the session cannot be set up: the
                // INVITE is refused with 488.
                if let Ok(r) = response_to(msg, 200, "OK", Some(&tag)) {
                    self.respond(now, id, r);
                }
                self.events.push_back(UaEvent::Prack {
                    call: h,
                    body: None,
                });
                self.fail_offer_answer(now, h);
                return;
            }
            // An offer in the PRACK (the provisional response carried the
            // answer, or a session exists): the application answers it, and
            // the answer goes in the 2xx to the PRACK.
            // [RFC 3262 §5] "If the UAS receives a PRACK with an offer, it MUST
            // place the answer in the 2xx to the PRACK."
            (None, Some(offer)) => {
                call.oa.description(false);
                call.remote_offer = Some((
                    PendingOffer::Prack {
                        tx: id,
                        request: OwnedMessage::from_message(msg),
                    },
                    now + OFFER_ANSWER_TIMEOUT,
                ));
                self.events.push_back(UaEvent::Prack {
                    call: h,
                    body: None,
                });
                self.events.push_back(UaEvent::Offer {
                    call: h,
                    offer,
                    carried_in: OfferIn::Prack,
                });
                // The 2xx to the INVITE, if held for this PRACK, waits for
                // the answer to the PRACK's offer.
                return;
            }
            // No body, or a body while the caller's own offer (in the INVITE)
            // is unanswered: that is not a new offer (RFC 3264 §4 forbids
            // one), and is ignored.
            (_, _) => {
                self.events.push_back(UaEvent::Prack {
                    call: h,
                    body: None,
                });
            }
        }
        // [RFC 3262 §3] "If the PRACK does match an unacknowledged reliable
        // provisional response, it MUST be responded to with a 2xx response."
        if let Ok(r) = response_to(msg, 200, "OK", Some(&tag)) {
            self.respond(now, id, r);
        }
        let deferred = self
            .calls
            .get_mut(&h)
            .and_then(|c| c.deferred_answer.take());
        if let Some(answer) = deferred {
            let _ = self.send_answer(now, h, answer);
        }
    }

    /// An UPDATE from the callee on an early dialog of one of our outgoing
    /// INVITEs (RFC 3311 §4, §5.2); 481 when no early dialog matches.
    fn on_early_update(&mut self, now: Instant, id: TransactionId, request: OwnedMessage) {
        let msg = request.message();
        let Ok(did) = DialogId::of_received_request(&msg) else {
            self.respond_status(now, id, &msg, 481);
            return;
        };
        let found = self.calls.iter().find_map(|(h, c)| {
            (c.role == Role::Uac
                && c.state == CallState::Early
                && c.early.iter().any(|e| *e.dialog.id() == did))
            .then_some(*h)
        });
        let Some(h) = found else {
            self.respond_status(now, id, &msg, 481);
            return;
        };
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let tag = call.local_tag.clone();
        let busy = call.remote_offer.is_some();
        let Some(early) = call.early.iter_mut().find(|e| *e.dialog.id() == did) else {
            return;
        };
        match early.dialog.receive_request(&msg) {
            Ok(()) => {}
            Err(DialogError::OutOfOrder { .. }) => {
                self.respond_status(now, id, &msg, 500);
                return;
            }
            Err(_) => {
                self.respond_status(now, id, &msg, 481);
                return;
            }
        }
        let Some(offer) = Body::of(&msg) else {
            // A target refresh only.
            self.respond_target_refresh(now, id, &msg, &tag);
            return;
        };
        let code = match early.oa.pending {
            // [RFC 3311 §5.2] "If an UPDATE is received that contains an
            // offer, and the UAS has generated an offer (in an UPDATE, PRACK or
            // INVITE) to which it has not yet received an answer, the UAS MUST
            // reject the UPDATE with a 491 response."
            Some(Offerer::Local) => Some(491),
            // An offer of theirs not yet answered (or, with no exchange done
            // yet, one the callee may not make: RFC 3311 §5.1).
            Some(Offerer::Remote) => Some(500),
            None if busy || !early.oa.session => Some(500),
            None => None,
        };
        match code {
            Some(491) => self.respond_status(now, id, &msg, 491),
            Some(code) => {
                let after = self.rng.next_u32() % 11;
                let r = response_to(&msg, code, reason_phrase(code), Some(&tag)).and_then(|r| {
                    MessageBuilder::from_message(&r.message())
                        .header(HeaderName::RetryAfter, after.to_string())
                        .build()
                });
                if let Ok(r) = r {
                    self.respond(now, id, r);
                }
            }
            None => {
                early.oa.description(false);
                call.remote_offer = Some((
                    PendingOffer::Update {
                        tx: id,
                        request: request.clone(),
                        early: Some(did),
                    },
                    now + OFFER_ANSWER_TIMEOUT,
                ));
                self.own(id, Some(h), TxKind::InviteServer);
                self.events.push_back(UaEvent::Offer {
                    call: h,
                    offer,
                    carried_in: OfferIn::Update,
                });
            }
        }
    }

    /// An UPDATE in the call's dialog (RFC 3311 §5.2); the dialog already
    /// took its CSeq and Contact (a target refresh, RFC 3261 §12.2.2).
    fn on_update(&mut self, now: Instant, id: TransactionId, h: CallHandle, request: OwnedMessage) {
        let msg = request.message();
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        let tag = call.local_tag.clone();
        let retry_after = |ua: &mut Self, code: u16| {
            let after = ua.rng.next_u32() % 11;
            if let Ok(r) = response_to(&msg, code, reason_phrase(code), Some(&tag)) {
                if let Ok(r) = MessageBuilder::from_message(&r.message())
                    .header(HeaderName::RetryAfter, after.to_string())
                    .build()
                {
                    ua.respond(now, id, r);
                }
            }
        };
        if matches!(call.remote_offer, Some((PendingOffer::Update { .. }, _))) {
            // [RFC 3311 §5.2] "A UAS that receives an UPDATE before it has
            // generated a final response to a previous UPDATE on the same
            // dialog MUST return a 500 response to the new UPDATE, and MUST
            // include a Retry-After header field with a randomly chosen value
            // between 0 and 10 seconds."
            retry_after(self, 500);
            return;
        }
        let offer = Body::of(&msg);
        let Some(offer) = offer else {
            // No offer: a target refresh, and a session refresh (RFC 4028
            // §7.4: "It is RECOMMENDED that the UPDATE request not contain an
            // offer"), answered at once.
            let mut extra: Vec<(HeaderName, String)> = Vec::new();
            if call.state == CallState::Confirmed {
                if let Some(supported) = self.supported(false) {
                    extra.push((HeaderName::Supported, supported));
                }
                extra.extend(self.st_response_headers(&msg));
            }
            let ok = response_to(&msg, 200, "OK", Some(&tag)).and_then(|r| {
                let mut b = MessageBuilder::from_message(&r.message())
                    .header(HeaderName::Contact, self.contact_header());
                for (name, value) in extra {
                    b = b.header(name, value);
                }
                b.build()
            });
            if let Ok(ok) = ok {
                self.respond(now, id, ok);
                if self
                    .calls
                    .get(&h)
                    .is_some_and(|c| c.state == CallState::Confirmed)
                {
                    self.st_after_2xx_sent(now, h, &msg, true);
                }
            }
            return;
        };
        let ours = call.oa.pending == Some(Offerer::Local)
            || call.reinvite_out.as_ref().is_some_and(|(_, b)| b.is_some());
        // (Our re-INVITE without an offer asked them for one, which its 2xx
        // will carry: that offer counts as theirs already.)
        let theirs = call.oa.pending == Some(Offerer::Remote)
            || call.remote_offer.is_some()
            || call.reinvite_out.as_ref().is_some_and(|(_, b)| b.is_none())
            || call
                .reinvite_in
                .as_ref()
                .is_some_and(|(_, r)| !r.message().body().is_empty());
        if ours {
            // [RFC 3311 §5.2] "If an UPDATE is received that contains an
            // offer, and the UAS has generated an offer (in an UPDATE, PRACK or
            // INVITE) to which it has not yet received an answer, the UAS MUST
            // reject the UPDATE with a 491 response."
            self.respond_status(now, id, &msg, 491);
            return;
        }
        if theirs {
            // [RFC 3311 §5.2] "Similarly, if an UPDATE is received that
            // contains an offer, and the UAS has received an offer (in an
            // UPDATE, PRACK, or INVITE) to which it has not yet generated an
            // answer, the UAS MUST reject the UPDATE with a 500 response, and
            // MUST include a Retry-After header field with a randomly chosen
            // value between 0 and 10 seconds."
            retry_after(self, 500);
            return;
        }
        // The session description is the application's: it answers (or
        // refuses) at once.
        // [RFC 3311 §5.2 exception: session descriptions are opaque to the UA core] "If
        // a UA receives an UPDATE for an existing dialog, it MUST check any
        // version identifiers in the session description or, if there are no
        // version identifiers, the content of the session description to see
        // if it has changed."
        self.own(id, Some(h), TxKind::InviteServer);
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.oa.description(false);
        call.remote_offer = Some((
            PendingOffer::Update {
                tx: id,
                request: request.clone(),
                early: None,
            },
            now + OFFER_ANSWER_TIMEOUT,
        ));
        self.events.push_back(UaEvent::Offer {
            call: h,
            offer,
            carried_in: OfferIn::Update,
        });
    }

    /// The offer/answer exchange of the initial INVITE failed: the call
    /// ends (488 for an unanswered incoming INVITE, CANCEL for an
    /// unanswered outgoing one, BYE on a confirmed dialog).
    fn fail_offer_answer(&mut self, now: Instant, h: CallHandle) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.deferred_answer = None;
        call.reliable = None;
        // An offer in a request (PRACK, UPDATE) stays, so that `end` answers
        // the request.
        call.remote_offer.take_if(|(p, _)| {
            !matches!(p, PendingOffer::Prack { .. } | PendingOffer::Update { .. })
        });
        match (call.role, call.state) {
            (_, CallState::Terminated) => return,
            (Role::Uas, CallState::Calling | CallState::Early) => {
                call.final_sent = true;
                let tag = call.local_tag.clone();
                let invite = call.invite.clone();
                if let Some(id) = call.invite_tx {
                    // [RFC 3261 §13.3.1.3] "A UAS rejecting an offer contained in
                    // an INVITE SHOULD return a 488 (Not Acceptable Here)
                    // response."
                    if let Ok(r) = refusal(&invite, 488, &tag) {
                        self.respond(now, id, r);
                    }
                }
            }
            (Role::Uac, CallState::Calling | CallState::Early) => {
                // The call ends when the INVITE does (487, or a 2xx that is
                // then acknowledged and ended with a BYE).
                let _ = self.cancel(now, h);
                return;
            }
            (Role::Uac, CallState::Accepted) => {
                // The 2xx carried an offer the application did not answer:
                // the 2xx is still acknowledged (without an answer, there
                // being none) and the dialog ended.
                self.send_ack(now, h, None);
                self.send_bye(now, h, TxKind::Bye);
            }
            (Role::Uas, CallState::Accepted) => {
                // The BYE waits for the ACK (RFC 3261 §15).
                call.hangup_after_ack = true;
                return;
            }
            (_, CallState::Confirmed) => {
                self.send_bye(now, h, TxKind::Bye);
            }
        }
        self.end(now, h, EndReason::OfferAnswerFailed);
    }

    fn on_cancel(&mut self, now: Instant, id: TransactionId, msg: &Message<'_>) {
        let target = self.layer.cancel_target(msg);
        let owner = target.and_then(|t| self.owners.get(&t).copied());
        let Some((invite_id, Some(h))) = target.zip(owner.map(|o| o.call)) else {
            // [RFC 3261 §9.2] "If the UAS did not find a matching transaction
            // for the CANCEL according to the procedure above, it SHOULD
            // respond to the CANCEL with a 481 (Call Leg/Transaction Does Not
            // Exist)."
            self.respond_status(now, id, msg, 481);
            return;
        };
        let Some(call) = self.calls.get(&h) else {
            self.respond_status(now, id, msg, 481);
            return;
        };
        // [RFC 3261 §9.2] "noting that the To tag of the response to the CANCEL
        // and the To tag in the response to the original request SHOULD be the
        // same"
        let tag = call.local_tag.clone();
        let reinvite = call
            .reinvite_in
            .as_ref()
            .filter(|(r, _)| *r == invite_id)
            .cloned();
        let unanswered =
            call.role == Role::Uas && !call.final_sent && call.invite_tx == Some(invite_id);
        let invite = call.invite.clone();
        if let Ok(r) = response_to(msg, 200, "OK", Some(&tag)) {
            self.respond(now, id, r);
        }
        if let Some((rid, req)) = reinvite {
            if let Ok(r) = response_to(&req.message(), 487, "Request Terminated", Some(&tag)) {
                self.respond(now, rid, r);
            }
            if let Some(c) = self.calls.get_mut(&h) {
                c.reinvite_in = None;
            }
            return;
        }
        if unanswered {
            // [RFC 3261 §9.2] "If the original request was an INVITE, the UAS
            // SHOULD immediately respond to the INVITE with a 487 (Request
            // Terminated)."
            if let Ok(r) = response_to(&invite.message(), 487, "Request Terminated", Some(&tag)) {
                self.respond(now, invite_id, r);
            }
            if let Some(c) = self.calls.get_mut(&h) {
                c.final_sent = true;
                c.reliable = None;
            }
            self.end(now, h, EndReason::Cancelled);
        }
    }

    fn on_ack(&mut self, now: Instant, request: &OwnedMessage) {
        let msg = request.message();
        let Some(h) = DialogId::of_received_request(&msg)
            .ok()
            .and_then(|d| self.dialogs.get(&d).copied())
        else {
            return;
        };
        let seq = msg.cseq().ok().map(|c| c.seq);
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let active = call
            .retransmit
            .as_ref()
            .is_some_and(Retransmit2xx::is_active);
        let acked_cseq = call
            .retransmit
            .as_ref()
            .and_then(|r| r.response().message().cseq().ok().map(|c| c.seq));
        if !active || acked_cseq != seq {
            return;
        }
        if let Some(r) = call.retransmit.as_mut() {
            r.ack_received();
        }
        // Retransmissions ceased: the 2xx copy is no longer needed.
        call.retransmit = None;
        if call.state == CallState::Confirmed && call.oa.pending == Some(Offerer::Local) {
            // The ACK of the 2xx that carried our offer to the peer's
            // re-INVITE without one: it carries the answer.
            match Body::of(&msg) {
                Some(answer) => {
                    call.oa.description(false);
                    self.events.push_back(UaEvent::SessionUpdated {
                        call: h,
                        answer: Some(answer),
                    });
                }
                None => {
                    // [RFC 3261 §14.2] "If, however, it is unacceptable to the
                    // UAC, the UAC SHOULD generate an answer with a valid
                    // session description, and then send a BYE to terminate the
                    // session."
                    // No answer at all: the session cannot go on.
                    call.oa.pending = None;
                    self.send_bye(now, h, TxKind::Bye);
                    self.end(now, h, EndReason::OfferAnswerFailed);
                }
            }
            return;
        }
        if call.state == CallState::Accepted {
            call.state = CallState::Confirmed;
            let hang_up = call.hangup_after_ack;
            let body = Body::of(&msg);
            // This side's offer went in the 2xx (the INVITE had none).
            let awaited = call.oa.pending == Some(Offerer::Local);
            if awaited && body.is_none() {
                // No answer: the offer/answer exchange failed and the session
                // cannot be set up; the confirmed dialog is ended with a BYE.
                // [RFC 3261 §13.2.1] "o If the initial offer is in the first
                // reliable non-failure message from the UAS back to UAC, the
                // answer MUST be in the acknowledgement for that message (in
                // this specification, ACK for a 2xx response)."
                self.send_bye(now, h, TxKind::Bye);
                self.end(now, h, EndReason::OfferAnswerFailed);
                return;
            }
            let answer = if awaited {
                call.oa.description(false);
                body
            } else {
                None
            };
            self.events
                .push_back(UaEvent::Established { call: h, answer });
            if hang_up {
                self.send_bye(now, h, TxKind::Bye);
                self.end(now, h, EndReason::LocalBye);
            }
        }
    }

    // ------------------------------------------------------------------
    // Responses (UAC)
    // ------------------------------------------------------------------

    fn on_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        owner: Owner,
        response: OwnedMessage,
    ) {
        let msg = response.message();
        let Some(status) = msg.status() else {
            return;
        };
        match (owner.kind, owner.call) {
            (TxKind::Invite, Some(h)) => self.on_invite_response(now, id, h, &response),
            (TxKind::ReInvite, Some(h)) => self.on_reinvite_response(now, h, &response),
            (TxKind::Update, Some(h)) => self.on_update_response(now, id, h, &msg),
            (TxKind::Bye, Some(h)) => {
                if let Some(d) = self.calls.get_mut(&h).and_then(|c| c.dialog.as_mut()) {
                    let _ = d.receive_response(Method::Bye, &msg);
                }
            }
            (TxKind::Message(r), _) if status >= 200 => {
                if !self.retry_standalone(now, r, owner, &msg) {
                    self.pending.remove(&r);
                    // The status is all that is reported: a 2xx says a UAS
                    // accepted the message, not that anyone read it.
                    // [RFC 3428 §4] "It MUST NOT assume that the recipient has
                    // actually read the instant message."
                    // [RFC 3428 §4] "In this case, the UAC MUST NOT assume the
                    // message has been delivered to the final destination."
                    // [RFC 3428 §4] "Therefore the UAC MUST NOT assume that a
                    // given final response represents the only UAS that
                    // receives the request."
                    self.events
                        .push_back(UaEvent::MessageResult { request: r, status });
                }
                if let Some(c) = owner.call {
                    self.in_dialog_failure(now, c, status);
                }
            }
            (TxKind::Options(r), _)
                if status >= 200 && !self.retry_standalone(now, r, owner, &msg) =>
            {
                self.pending.remove(&r);
                self.events.push_back(UaEvent::OptionsResult {
                    request: r,
                    status,
                    response: Some(response.clone()),
                });
            }
            (TxKind::Register, _) => {
                if let Some(reg) = self.register.as_mut() {
                    if let Some(next) = reg.handle_response(now, &msg, &mut self.rng) {
                        self.send_register(now, next);
                    }
                    self.drain_register();
                }
            }
            _ => {}
        }
    }

    fn drain_register(&mut self) {
        if let Some(reg) = self.register.as_mut() {
            while let Some(e) = reg.poll_event() {
                self.events.push_back(UaEvent::Registration(e));
            }
        }
    }

    /// A 481 or 408 to a request inside the dialog ends it (RFC 3261
    /// §12.2.1.2).
    fn in_dialog_failure(&mut self, now: Instant, h: CallHandle, status: u16) {
        if status == 481 || status == 408 {
            // [RFC 3261 §12.2.1.2] "If the response for a request within a
            // dialog is a 481 (Call/Transaction Does Not Exist) or a 408
            // (Request Timeout), the UAC SHOULD terminate the dialog."
            self.end(now, h, EndReason::DialogLost { status });
        }
    }

    fn on_invite_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        h: CallHandle,
        response: &OwnedMessage,
    ) {
        let msg = response.message();
        let Some(status) = msg.status() else {
            return;
        };
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if call.invite_tx != Some(id) {
            // A response to an INVITE replaced by an authenticated retry.
            return;
        }
        match status {
            // [RFC 3262 §4] "If the response is a 100 (Trying) (as opposed to
            // 101 to 199), this option tag MUST be ignored, and the procedures
            // below MUST NOT be used."
            100 => {
                call.got_provisional = true;
                if call.cancel_requested {
                    self.send_cancel(now, h);
                }
            }
            // [RFC 3261 §8.1.3.2] "A UAC MUST be able to process 100 and 183
            // responses."
            101..=199 => {
                let first = !call.got_provisional;
                call.got_provisional = true;
                let cancel_now = first && call.cancel_requested;
                self.on_invite_provisional(now, h, &msg, status);
                if cancel_now {
                    self.send_cancel(now, h);
                }
            }
            200..=299 => self.on_invite_2xx(now, h, &msg),
            _ => self.on_invite_failure(now, h, &msg, status),
        }
    }

    fn on_invite_provisional(
        &mut self,
        now: Instant,
        h: CallHandle,
        msg: &Message<'_>,
        status: u16,
    ) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if call.state == CallState::Terminated || call.dialog.is_some() {
            return;
        }
        let invite = call.invite.clone();
        let mut send_prack = None;
        let reliable = has_token(msg, HeaderName::Require, "100rel");
        if let Ok(id) = DialogId::of_received_response(msg) {
            if !id.remote_tag.is_empty() {
                let pos = call.early.iter().position(|e| *e.dialog.id() == id);
                let pos = match pos {
                    Some(p) => Some(p),
                    // [RFC 3262 §4] "The provisional response MUST establish a
                    // dialog if one is not yet created."
                    None if call.early.len() < MAX_EARLY_DIALOGS => {
                        match Dialog::uac(&invite.message(), msg) {
                            Ok(d) => {
                                // Each early dialog has its own offer/answer
                                // exchange, starting from the INVITE's offer
                                // (or the lack of one).
                                // [RFC 3261 §13.2.1] "An offer/answer exchange
                                // is within the context of a dialog, so that if
                                // a SIP INVITE results in multiple dialogs, each
                                // is a separate offer/answer exchange."
                                call.early.push(Early {
                                    dialog: d,
                                    rseq: None,
                                    oa: OfferAnswer::initial(
                                        (!call.offerless).then_some(Offerer::Local),
                                    ),
                                });
                                Some(call.early.len() - 1)
                            }
                            Err(_) => None,
                        }
                    }
                    None => None,
                };
                call.state = CallState::Early;
                if let (Some(p), true) = (pos, reliable) {
                    let rseq = msg.rseq().and_then(Result::ok);
                    if let (Some(early), Some(rseq)) = (call.early.get_mut(p), rseq) {
                        match early.rseq {
                            // [RFC 3262 §4] "Once a reliable provisional response is
                            // received, retransmissions of that response MUST be
                            // discarded."
                            Some(last) if rseq <= last => return,
                            // [RFC 3262 §4] "As a result, if the UAC receives another
                            // reliable provisional response to the same request, and
                            // its RSeq value is not one higher than the value of the
                            // sequence number, that response MUST NOT be acknowledged
                            // with a PRACK, and MUST NOT be processed further by the
                            // UAC."
                            Some(last) if last.checked_add(1) != Some(rseq) => return,
                            // [RFC 3262 §4] "Its value MUST be initialized to the RSeq
                            // header field in the first reliable provisional response
                            // received for the initial request."
                            _ => early.rseq = Some(rseq),
                        }
                        let cseq = invite.message().cseq().map(|c| c.seq).unwrap_or(0);
                        send_prack = Some((p, rseq, cseq));
                    }
                }
            }
        }
        let mut body = Body::of(msg);
        let mut offer = None;
        if let (Some((p, rseq, cseq)), Some(call)) = (send_prack, self.calls.get_mut(&h)) {
            let slot_free = call.remote_offer.is_none();
            if let (Some(early), Some(b)) = (call.early.get_mut(p), body.as_ref()) {
                if early.oa.session || early.oa.pending == Some(Offerer::Remote) {
                    // [RFC 3261 §13.2.1] "The UAC MUST treat the first session
                    // description it receives as the answer, and MUST ignore any
                    // session descriptions in subsequent responses to the initial
                    // INVITE."
                    body = None;
                } else if early.oa.pending == Some(Offerer::Local) {
                    // The answer to the INVITE's offer.
                    early.oa.description(false);
                } else if slot_free {
                    // The INVITE had no offer: this is the callee's, and the
                    // PRACK waits for the application's answer.
                    early.oa.description(false);
                    offer = Some(b.clone());
                    body = None;
                    call.remote_offer = Some((
                        PendingOffer::Provisional {
                            dialog: early.dialog.id().clone(),
                            rseq,
                            cseq,
                        },
                        now + OFFER_ANSWER_TIMEOUT,
                    ));
                } else {
                    // An offer from a second early dialog (a fork) while the
                    // first one's waits for the application: it is left
                    // unacknowledged (only one offer is answered at a time;
                    // the fork's UAS gives up on it, RFC 3262 §3).
                    return;
                }
            }
            if offer.is_none() {
                let id = call.early.get(p).map(|e| e.dialog.id().clone());
                if let Some(id) = id {
                    self.send_prack(now, h, &id, rseq, cseq, None);
                }
            }
        }
        // [RFC 3261 §8.1.3.2] "A UAC MUST treat any provisional response
        // different than 100 that it does not recognize as 183 (Session
        // Progress)."
        self.events.push_back(if status == 180 {
            UaEvent::Ringing { call: h, body }
        } else {
            UaEvent::Progress {
                call: h,
                status,
                body,
            }
        });
        if let Some(offer) = offer {
            self.events.push_back(UaEvent::Offer {
                call: h,
                offer,
                carried_in: OfferIn::ReliableProvisional,
            });
        }
    }

    /// Sends the PRACK for the reliable provisional response `rseq` of
    /// the early dialog `id`, carrying `body` (an answer) if any.
    fn send_prack(
        &mut self,
        now: Instant,
        h: CallHandle,
        id: &DialogId,
        rseq: u32,
        cseq: u32,
        body: Option<&Body>,
    ) {
        // [RFC 3262 §4] "Assuming the response is to be transmitted
        // reliably, the UAC MUST create a new request with method PRACK."
        let branch = new_branch(&mut self.rng);
        let via = self.config.via.clone();
        let prack = self
            .calls
            .get_mut(&h)
            .and_then(|c| c.early.iter_mut().find(|e| e.dialog.id() == id))
            .and_then(|e| e.dialog.new_request(Method::Prack, &via, &branch).ok())
            .and_then(|req| {
                let mut b = MessageBuilder::from_message(&req.message())
                    .header(HeaderName::RAck, format!("{rseq} {cseq} INVITE"));
                if let Some(body) = body {
                    b = b.body(&body.content_type, body.bytes.to_vec());
                }
                b.build().ok()
            });
        // Supported: timer, as in every request but ACK (RFC 4028 §7.1).
        let prack = match (prack, self.supported(false)) {
            (Some(p), Some(tags)) => MessageBuilder::from_message(&p.message())
                .header(HeaderName::Supported, tags)
                .build()
                .ok(),
            (p, _) => p,
        };
        if let Some(prack) = prack {
            let _ = self.send(now, prack, Some(h), TxKind::Prack);
        }
    }

    fn build_ack(&mut self, dialog: &mut Dialog, invite: &Message<'_>) -> Option<OwnedMessage> {
        let seq = invite.cseq().ok()?.seq;
        let branch = new_branch(&mut self.rng);
        let ack = dialog
            .new_request(Method::Ack, &self.config.via, &branch)
            .ok()?;
        // [RFC 3261 §13.2.2.4] "The sequence number of the CSeq header field
        // MUST be the same as the INVITE being acknowledged, but the CSeq
        // method MUST be ACK."
        // The dialog adds no Require or Proxy-Require.
        // [RFC 3261 §8.2.2.3] "An ACK request for a 2xx response MUST contain
        // only those Require and Proxy-Require values that were present in the
        // initial request."
        let mut b = MessageBuilder::from_message(&ack.message())
            .set(HeaderName::CSeq, format!("{seq} ACK"));
        // [RFC 3261 §13.2.2.4] "The ACK MUST contain the same credentials as
        // the INVITE."
        for name in [HeaderName::Authorization, HeaderName::ProxyAuthorization] {
            for v in invite.headers_of(name) {
                b = b.header(name, v.value());
            }
        }
        b.build().ok()
    }

    fn on_invite_2xx(&mut self, now: Instant, h: CallHandle, msg: &Message<'_>) {
        let Ok(id) = DialogId::of_received_response(msg) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let invite = call.invite.clone();
        if let Some(d) = &call.dialog {
            if *d.id() == id {
                // [RFC 3261 §13.2.2.4] "The ACK MUST be passed to the client
                // transport every time a retransmission of the 2xx final
                // response that triggered the ACK arrives."
                if let Some((_, ack, dest)) = call.ack.clone() {
                    self.layer.send_stateless(dest, ack);
                }
                return;
            }
            // A 2xx from another branch of a forked INVITE: a second dialog.
            // [RFC 3261 §13.2.2.4] "Otherwise, a new dialog in the "confirmed"
            // state MUST be constructed using the procedures of Section
            // 12.1.2."
            let Ok(mut extra) = Dialog::uac(&invite.message(), msg) else {
                return;
            };
            if let Some(ack) = self.build_ack(&mut extra, &invite.message()) {
                if let Ok(dest) = self.destination_of(&ack.message()) {
                    self.layer.send_stateless(dest, ack);
                }
            }
            // [RFC 3261 §13.2.2.4] "If, after acknowledging any 2xx response to
            // an INVITE, the UAC does not want to continue with that dialog,
            // then the UAC MUST terminate the dialog by sending a BYE request as
            // described in Section 15."
            let branch = new_branch(&mut self.rng);
            if let Ok(bye) = extra.new_request(Method::Bye, &self.config.via, &branch) {
                let _ = self.send(now, bye, Some(h), TxKind::ForkBye);
            }
            return;
        }
        // [RFC 3261 §13.2.2.4] "If the dialog identifier in the 2xx response
        // matches the dialog identifier of an existing dialog, the dialog MUST
        // be transitioned to the "confirmed" state, and the route set for the
        // dialog MUST be recomputed based on the 2xx response using the
        // procedures of Section 12.2.1.2."
        let (dialog, mut oa) = match call.early.iter().position(|e| *e.dialog.id() == id) {
            Some(p) => {
                let early = call.early.swap_remove(p);
                let mut d = early.dialog;
                if d.confirm(msg).is_err() {
                    return;
                }
                (d, early.oa)
            }
            None => match Dialog::uac(&invite.message(), msg) {
                Ok(d) => (
                    d,
                    OfferAnswer::initial((!call.offerless).then_some(Offerer::Local)),
                ),
                Err(_) => return,
            },
        };
        call.early.clear();
        // An offer of a reliable provisional response of this dialog still
        // waiting for the application is now answered in the ACK (no PRACK
        // is due after the final response, RFC 3262 §4); one of another
        // early dialog is dropped with it.
        if let Some((PendingOffer::Provisional { dialog: d, .. }, at)) = call
            .remote_offer
            .take_if(|(p, _)| matches!(p, PendingOffer::Provisional { .. }))
        {
            if d == id {
                call.remote_offer = Some((PendingOffer::Success, at));
            }
        }
        let body = Body::of(msg);
        // (the answer for the event, an offer to answer in the ACK, whether
        // the ACK waits for the application, whether the exchange failed)
        let (answer, offer, wait, failed) = match (oa.pending, body) {
            (Some(Offerer::Local), Some(b)) => {
                oa.description(false);
                (Some(b), None, false, false)
            }
            (Some(Offerer::Local), None) => (None, None, false, false),
            // An offer of a reliable provisional response still unanswered
            // (an offer in an UPDATE is answered in the UPDATE's 2xx).
            (Some(Offerer::Remote), _) => (
                None,
                None,
                matches!(call.remote_offer, Some((PendingOffer::Success, _))),
                false,
            ),
            // [RFC 3261 §13.2.1] "The UAC MUST treat the first session
            // description it receives as the answer, and MUST ignore any
            // session descriptions in subsequent responses to the initial
            // INVITE."
            (None, _) if oa.session => (None, None, false, false),
            // The INVITE had no offer and no reliable provisional response
            // carried one: the 2xx carries it.
            // [RFC 3261 §13.3.1.4] "If the INVITE did not contain an offer, the
            // 2xx MUST contain an offer if the UAS had not yet sent an offer."
            (None, Some(b)) => {
                oa.description(false);
                (None, Some(b), true, false)
            }
            (None, None) => (None, None, false, true),
        };
        self.dialogs.insert(dialog.id().clone(), h);
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.dialog = Some(dialog);
        call.oa = oa;
        call.invite_deadline = None;
        call.cancel_deadline = None;
        let cancelled = call.cancel_requested;
        self.st_on_2xx(now, h, msg, false);
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if failed {
            // The offer/answer exchange cannot complete: the 2xx is
            // acknowledged and the dialog ended.
            // [RFC 3261 §13.2.2.4] "If, after acknowledging any 2xx response to
            // an INVITE, the UAC does not want to continue with that dialog,
            // then the UAC MUST terminate the dialog by sending a BYE request as
            // described in Section 15."
            self.send_ack(now, h, None);
            self.send_bye(now, h, TxKind::Bye);
            self.end(now, h, EndReason::OfferAnswerFailed);
            return;
        }
        self.events.push_back(UaEvent::Answered { call: h, answer });
        if wait && !cancelled {
            // [RFC 3261 §13.2.2.4] "If the 2xx contains an offer (based on the
            // rules above), the ACK MUST carry an answer in its body."
            // The ACK waits for `answer_offer`; 2xx retransmissions meanwhile
            // are not acknowledged (there is no ACK yet to repeat).
            call.state = CallState::Accepted;
            if let Some(offer) = offer {
                call.remote_offer = Some((PendingOffer::Success, now + OFFER_ANSWER_TIMEOUT));
                self.events.push_back(UaEvent::Offer {
                    call: h,
                    offer,
                    carried_in: OfferIn::Success,
                });
            }
            return;
        }
        // A cancelled call (and an extra dialog of a forked INVITE, above)
        // has no answer from the application to give.
        // [RFC 3261 §13.2.2.4 exception: a cancelled call has no answer to give; its 2xx is acknowledged without one and ended at once] "If
        // the offer in the 2xx response is not acceptable, the UAC core MUST
        // generate a valid answer in the ACK and then send a BYE immediately."
        call.remote_offer.take_if(|(p, _)| {
            !matches!(p, PendingOffer::Prack { .. } | PendingOffer::Update { .. })
        });
        self.send_ack(now, h, None);
        self.events.push_back(UaEvent::Established {
            call: h,
            answer: None,
        });
        if cancelled {
            // The CANCEL lost the race with the 2xx: the call was answered
            // but is no longer wanted (RFC 3261 §9.1, §15).
            self.send_bye(now, h, TxKind::Bye);
            self.end(now, h, EndReason::LocalBye);
        }
    }

    /// Sends the ACK for the 2xx to the call's INVITE, carrying `answer`
    /// if any; the session is then up.
    // [RFC 3261 §13.2.2.4] "The UAC core MUST generate an ACK request for each
    // 2xx received from the transaction layer."
    fn send_ack(&mut self, now: Instant, h: CallHandle, answer: Option<&Body>) {
        let _ = now;
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let invite = call.invite.clone();
        let Some(mut dialog) = call.dialog.take() else {
            return;
        };
        let ack = self.build_ack(&mut dialog, &invite.message());
        let ack = ack.and_then(|ack| match answer {
            Some(b) => MessageBuilder::from_message(&ack.message())
                .body(&b.content_type, b.bytes.to_vec())
                .build()
                .ok(),
            None => Some(ack),
        });
        let dest = ack
            .as_ref()
            .and_then(|a| self.destination_of(&a.message()).ok());
        let seq = invite.message().cseq().map(|c| c.seq).unwrap_or(0);
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.dialog = Some(dialog);
        call.state = CallState::Confirmed;
        if let (Some(ack), Some(dest)) = (ack, dest) {
            call.ack = Some((seq, ack.clone(), dest.clone()));
            self.layer.send_stateless(dest, ack);
        }
    }

    fn on_invite_failure(&mut self, now: Instant, h: CallHandle, msg: &Message<'_>, status: u16) {
        let Some(call) = self.calls.get(&h) else {
            return;
        };
        // [RFC 3261 §13.2.2.3] "Subsequent final responses (which would only
        // arrive under error conditions) MUST be ignored."
        if call.state == CallState::Terminated || call.dialog.is_some() {
            return;
        }
        let cancelled = call.cancel_requested;
        if matches!(status, 401 | 407) && !cancelled && self.retry_invite_auth(now, h, msg, status)
        {
            return;
        }
        if status == 420 && !cancelled && self.retry_invite_without(now, h, msg) {
            return;
        }
        if status == 422 && !cancelled && self.retry_invite_422(now, h, msg) {
            return;
        }
        let more_targets = self.calls.get(&h).is_some_and(|c| !c.targets.is_empty());
        if ((300..400).contains(&status) || more_targets)
            && !cancelled
            && self.retry_invite_redirect(now, h, msg)
        {
            return;
        }
        // [RFC 3261 §8.1.3.2] "A UAC MUST treat any final response it does not
        // recognize as being equivalent to the x00 response code of that class,
        // and MUST be able to process the x00 response code for all classes."
        // Every 3xx-6xx not handled above ends the call with its status.
        // A 3xx whose contacts were all tried (or that had none) ends the call.
        let reason = if cancelled && status == 487 {
            EndReason::Cancelled
        } else {
            EndReason::Rejected { status }
        };
        self.end(now, h, reason);
    }

    /// Answers a challenge to the INVITE once (RFC 3261 §22.2).
    fn retry_invite_auth(
        &mut self,
        now: Instant,
        h: CallHandle,
        msg: &Message<'_>,
        status: u16,
    ) -> bool {
        let Some(call) = self.calls.get(&h) else {
            return false;
        };
        let Some(creds) = call.credentials.clone() else {
            return false;
        };
        let mut challenged = call.challenged.clone();
        let invite = call.invite.clone();
        let Some(auth) = self.authorize(&invite.message(), msg, status, &creds, &mut challenged)
        else {
            return false;
        };
        let Some((name, value)) = auth else {
            return false;
        };
        let retry = self.next_attempt(&invite.message(), |b| b.remove(name).header(name, value));
        let Some(retry) = retry else {
            return false;
        };
        if let Some(c) = self.calls.get_mut(&h) {
            c.challenged = challenged;
        }
        self.resend_invite(now, h, retry)
    }

    /// Follows a 3xx to the next contact of the target set (RFC 3261
    /// §8.1.3.4); at most [`MAX_REDIRECT_TARGETS`] targets per call.
    fn retry_invite_redirect(&mut self, now: Instant, h: CallHandle, msg: &Message<'_>) -> bool {
        let Some(call) = self.calls.get_mut(&h) else {
            return false;
        };
        // Contacts in decreasing q order (absent q counts as 1.0).
        let mut contacts: Vec<(u16, String)> = msg
            .contacts()
            .filter_map(Result::ok)
            .filter_map(|c| match &c {
                crate::headers::Contact::Addr(a) if a.uri().as_sip().is_some() => {
                    Some((c.q().unwrap_or(1000), a.uri_str().to_owned()))
                }
                _ => None,
            })
            .collect();
        contacts.sort_by_key(|c| std::cmp::Reverse(c.0));
        for (_, uri) in contacts {
            // [RFC 3261 §8.1.3.4] "As with proxy recursion, a client processing
            // 3xx class responses MUST NOT add any given URI to the target set
            // more than once."
            if call.tried.len() >= MAX_REDIRECT_TARGETS || call.tried.contains(&uri) {
                continue;
            }
            call.tried.push(uri.clone());
            call.targets.push(uri);
        }
        if call.targets.is_empty() {
            return false;
        }
        let target = call.targets.remove(0);
        let invite = call.invite.clone();
        // [RFC 3261 §8.1.3.4] "In order to create a request based on a contact
        // address in a 3xx response, a UAC MUST copy the entire URI from the
        // target set into the Request-URI, except for the "method-param" and
        // "header" URI parameters"
        let request_uri = strip_method_and_headers(&target);
        let old = invite.message();
        let (Ok(cseq), Some(method)) = (old.cseq(), old.method()) else {
            return false;
        };
        let Some(next) = cseq.seq.checked_add(1) else {
            return false;
        };
        let branch = new_branch(&mut self.rng);
        let (transport, sent_by) = split_via(&self.config.via);
        // [RFC 3261 §8.1.3.4] "Finally, once the new request has been
        // constructed, it is sent using a new client transaction, and therefore
        // MUST have a new branch ID in the top Via field as discussed in
        // Section 8.1.1.7."
        let mut b = MessageBuilder::request(method, &request_uri).header(
            HeaderName::Via,
            format!("SIP/2.0/{transport} {sent_by};branch={branch}"),
        );
        for hdr in old.headers() {
            match hdr.kind() {
                HeaderName::Via
                | HeaderName::CSeq
                | HeaderName::ContentLength
                | HeaderName::ContentType
                | HeaderName::Authorization
                | HeaderName::ProxyAuthorization => {}
                _ => b = b.header_named(hdr.canonical_name(), hdr.value()),
            }
        }
        b = b.header(HeaderName::CSeq, format!("{next} INVITE"));
        if let Some(body) = Body::of(&old) {
            b = b.body(&body.content_type, body.bytes.to_vec());
        }
        match b.build() {
            Ok(retry) => self.resend_invite(now, h, retry),
            Err(_) => false,
        }
    }

    /// Answers a 422 to the INVITE (RFC 4028 §7.3): the same INVITE with
    /// the next CSeq, asking for the interval of the 422's Min-SE, which it
    /// carries; at most [`MAX_422_RETRIES`] times.
    fn retry_invite_422(&mut self, now: Instant, h: CallHandle, msg: &Message<'_>) -> bool {
        let Some(min) = MinSe::of(msg)
            .and_then(Result::ok)
            .filter(|m| m.validate().is_ok())
            .map(|m| m.delta_seconds)
        else {
            return false;
        };
        let Some(call) = self.calls.get_mut(&h) else {
            return false;
        };
        // [RFC 4028 §10] "However, the UAC SHOULD NOT continuously retry the
        // request if the server indicates the same error response."
        if self.config.session_timer.is_none()
            || call.st_422 >= MAX_422_RETRIES
            || call.st_asked.is_some_and(|a| a >= min)
        {
            return false;
        }
        call.st_422 += 1;
        // [RFC 4028 §7.4] "Similarly, if no dialog has been established yet,
        // a UAC MUST insert the Min-SE header field into an INVITE request if
        // it has ever received a 422 response to a previous INVITE request
        // with the same Call-ID."
        // [RFC 4028 §7.4] "If no dialog has been established, the Min-SE
        // header field value is set to the largest value among all Min-SE
        // header field values returned in all 422 responses for an INVITE
        // request with the same Call-ID."
        let min = call.st_min_se.unwrap_or(0).max(min);
        call.st_min_se = Some(min);
        let (headers, asked) = self.st_request_headers(Some(h));
        let invite = self.calls.get(&h).map(|c| c.invite.clone());
        // [RFC 4028 §7.3] "This new request constitutes a new transaction and
        // SHOULD have the same value as the Call-ID, To, and From of the
        // previous request, but the CSeq should contain a new sequence number
        // that is one higher than the previous."
        // [RFC 4028 §7.4] "The values of Supported, Require, and Proxy-Require
        // used in the initial Session refresh request MUST be used."
        let retry = invite.and_then(|invite| {
            self.next_attempt(&invite.message(), |mut b| {
                for (name, value) in &headers {
                    b = b.set(*name, value.clone());
                }
                b
            })
        });
        let Some(retry) = retry else {
            return false;
        };
        if let Some(c) = self.calls.get_mut(&h) {
            c.st_asked = Some(asked);
        }
        self.resend_invite(now, h, retry)
    }

    fn retry_invite_without(&mut self, now: Instant, h: CallHandle, msg: &Message<'_>) -> bool {
        let unsupported: Vec<String> = msg
            .tokens(HeaderName::Unsupported)
            .filter_map(Result::ok)
            .map(str::to_owned)
            .collect();
        let Some(call) = self.calls.get(&h) else {
            return false;
        };
        let invite = call.invite.clone();
        let required: Vec<String> = invite
            .message()
            .tokens(HeaderName::Require)
            .filter_map(Result::ok)
            .map(str::to_owned)
            .collect();
        let keep: Vec<&String> = required
            .iter()
            .filter(|r| !unsupported.iter().any(|u| u.eq_ignore_ascii_case(r)))
            .collect();
        if keep.len() == required.len() {
            return false;
        }
        // [RFC 3261 §8.1.3.5] "The UAC SHOULD retry the request, this time
        // omitting any extensions listed in the Unsupported header field in the
        // response."
        let value = keep
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let retry = self.next_attempt(&invite.message(), |b| {
            let b = b.remove(HeaderName::Require);
            if value.is_empty() {
                b
            } else {
                b.header(HeaderName::Require, value.clone())
            }
        });
        match retry {
            Some(r) => self.resend_invite(now, h, r),
            None => false,
        }
    }

    /// A copy of `request` with a new branch and the next CSeq, modified
    /// by `f`.
    fn next_attempt(
        &mut self,
        request: &Message<'_>,
        f: impl FnOnce(MessageBuilder) -> MessageBuilder,
    ) -> Option<OwnedMessage> {
        let cseq = request.cseq().ok()?;
        let method = cseq.method.to_owned();
        let branch = new_branch(&mut self.rng);
        let (transport, sent_by) = split_via(&self.config.via);
        // [RFC 3261 §22.2] "When a UAC resubmits a request with its
        // credentials after receiving a 401 (Unauthorized) or 407 (Proxy
        // Authentication Required) response, it MUST increment the CSeq header
        // field value as it would normally when sending an updated request."
        // [RFC 3261 §8.1.1.7] "The Via header field value MUST contain a branch
        // parameter."
        // [RFC 3261 §8.1.1.7] "The protocol name and protocol version in the
        // header field MUST be SIP and 2.0, respectively."
        let b = MessageBuilder::from_message(request)
            .set(
                HeaderName::Via,
                format!("SIP/2.0/{transport} {sent_by};branch={branch}"),
            )
            .set(
                HeaderName::CSeq,
                format!("{} {method}", cseq.seq.checked_add(1)?),
            );
        f(b).build().ok()
    }

    fn authorize(
        &mut self,
        request: &Message<'_>,
        response: &Message<'_>,
        status: u16,
        creds: &DigestCredentials,
        challenged: &mut Vec<String>,
    ) -> Option<Option<(HeaderName, String)>> {
        let (header, answer) = if status == 401 {
            (HeaderName::WwwAuthenticate, HeaderName::Authorization)
        } else {
            (
                HeaderName::ProxyAuthenticate,
                HeaderName::ProxyAuthorization,
            )
        };
        let challenge = select_challenge(
            response.auth(header).filter_map(Result::ok),
            Selection::Strongest,
        )?;
        // [RFC 3261 §22.1] "A UAC MUST NOT re-attempt requests with the
        // credentials that have just been rejected (though the request may be
        // retried if the nonce was stale)."
        // Each realm is answered once (per 401/407): a new challenge for it
        // without stale, whatever its nonce, means the credentials were
        // refused.
        let key = format!("{status} {}", challenge.realm);
        if (!challenge.stale && challenged.contains(&key)) || challenged.len() >= MAX_CHALLENGES {
            return Some(None);
        }
        challenged.push(key);
        let method = request.method()?.as_str().to_owned();
        let uri = request.request_uri()?.to_owned();
        let credentials = DigestClient {
            username: &creds.username,
            password: &creds.password,
        }
        .respond(&challenge, &method, &uri, request.body(), 1, &mut self.rng);
        Some(Some((answer, credentials.to_header_value())))
    }

    fn resend_invite(&mut self, now: Instant, h: CallHandle, invite: OwnedMessage) -> bool {
        match self.send(now, invite.clone(), Some(h), TxKind::Invite) {
            Ok((id, dest)) => {
                if let Some(c) = self.calls.get_mut(&h) {
                    c.invite = invite;
                    c.invite_tx = Some(id);
                    c.destination = Some(dest);
                    c.got_provisional = false;
                    c.early.clear();
                    c.state = CallState::Calling;
                }
                true
            }
            Err(_) => false,
        }
    }

    fn retry_standalone(
        &mut self,
        now: Instant,
        r: RequestHandle,
        owner: Owner,
        msg: &Message<'_>,
    ) -> bool {
        let Some(status) = msg.status() else {
            return false;
        };
        if !matches!(status, 401 | 407) {
            return false;
        }
        let Some(creds) = self.config.credentials.clone() else {
            return false;
        };
        let Some(p) = self.pending.get(&r).cloned() else {
            return false;
        };
        let mut challenged = p.challenged.clone();
        let Some(Some((name, value))) =
            self.authorize(&p.request.message(), msg, status, &creds, &mut challenged)
        else {
            return false;
        };
        let retry = match owner.call {
            // Inside a dialog the retry is the dialog's next request, so that
            // its CSeq stays in the dialog's sequence (RFC 3261 §12.2.1.1).
            Some(h) => {
                let old = p.request.message();
                let method = old
                    .method()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default();
                let body = Body::of(&old);
                self.in_dialog(h, Method::from_token(&method), body.as_ref())
                    .ok()
                    .and_then(|req| {
                        MessageBuilder::from_message(&req.message())
                            .header(name, value)
                            .build()
                            .ok()
                    })
            }
            None => self.next_attempt(&p.request.message(), |b| b.remove(name).header(name, value)),
        };
        let Some(retry) = retry else {
            return false;
        };
        let Ok(id) = self
            .layer
            .send_request(now, retry.clone(), p.destination.clone())
        else {
            return false;
        };
        self.own(id, owner.call, owner.kind);
        self.pending.insert(
            r,
            Pending {
                request: retry,
                destination: p.destination,
                challenged,
            },
        );
        true
    }

    fn on_reinvite_response(&mut self, now: Instant, h: CallHandle, response: &OwnedMessage) {
        let msg = response.message();
        let Some(status) = msg.status() else {
            return;
        };
        if status < 200 {
            return;
        }
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let seq = msg.cseq().map(|c| c.seq).unwrap_or(0);
        if (200..300).contains(&status) {
            if let Some((aseq, ack, dest)) = call.ack.clone() {
                if aseq == seq {
                    // A retransmission of the 2xx to the re-INVITE.
                    self.layer.send_stateless(dest, ack);
                    return;
                }
            }
            if matches!(call.remote_offer, Some((PendingOffer::ReInviteSuccess { seq: s }, _)) if s == seq)
            {
                // A retransmission of the 2xx whose offer waits for the
                // application: there is no ACK to repeat yet.
                return;
            }
            let Some(dialog) = call.dialog.as_mut() else {
                return;
            };
            let _ = dialog.receive_response(Method::Invite, &msg);
            let offerless = matches!(call.reinvite_out, Some((_, None)));
            let refreshing = std::mem::take(&mut call.refreshing);
            if let Some((_, Some(offer))) = call.reinvite_out.take() {
                // Answered: the description this side now has in the session.
                call.local_sdp = Some(offer);
            }
            let body = Body::of(&msg);
            self.st_on_2xx(now, h, &msg, true);
            let Some(call) = self.calls.get_mut(&h) else {
                return;
            };
            if offerless && body.is_some() && call.remote_offer.is_some() {
                // Another offer of the peer's waits for the application (it
                // should not: an UPDATE's is refused meanwhile, RFC 3311
                // §5.2): this one cannot be answered too; the 2xx is
                // acknowledged and the dialog ended.
                self.send_reinvite_ack(h, seq, None);
                self.send_bye(now, h, TxKind::Bye);
                self.end(now, h, EndReason::OfferAnswerFailed);
                return;
            }
            if let (true, Some(offer)) = (offerless, body.clone()) {
                // Our re-INVITE had no offer: the 2xx carries the peer's, and
                // the ACK waits for the application's answer.
                // [RFC 3261 §14.1] "The rules for transmitting a re-INVITE and
                // for generating an ACK for a 2xx response to re-INVITE are the
                // same as for the initial INVITE (Section 13.2.1)."
                call.remote_offer = Some((
                    PendingOffer::ReInviteSuccess { seq },
                    now + OFFER_ANSWER_TIMEOUT,
                ));
                self.events.push_back(UaEvent::Offer {
                    call: h,
                    offer,
                    carried_in: OfferIn::Success,
                });
                return;
            }
            self.send_reinvite_ack(h, seq, None);
            if !refreshing {
                self.events.push_back(UaEvent::SessionUpdated {
                    call: h,
                    answer: if offerless { None } else { body },
                });
            }
            return;
        }
        let Some((_, body)) = call.reinvite_out.take() else {
            return;
        };
        let refreshing = std::mem::take(&mut call.refreshing);
        if status == 422 {
            if let Some(d) = call.dialog.as_mut() {
                let _ = d.receive_response(Method::Invite, &msg);
            }
            if self.st_retry_422(now, h, &msg, body.clone(), false, refreshing) {
                return;
            }
        }
        if refreshing {
            // (After a 408 or 481 the dialog still carries the BYE that
            // st_refresh_failed sends, RFC 4028 §10.)
            if !matches!(status, 408 | 481) {
                if let Some(d) = self.calls.get_mut(&h).and_then(|c| c.dialog.as_mut()) {
                    let _ = d.receive_response(Method::Invite, &msg);
                }
            }
            self.st_refresh_failed(now, h, status);
            return;
        }
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if status == 491 {
            // [RFC 3261 §14.1] "If a UAC receives a 491 response to a
            // re-INVITE, it SHOULD start a timer with a value T chosen as
            // follows:"
            let owner = call.role == Role::Uac;
            let units = if owner {
                // 2.1 to 4 seconds in units of 10 ms.
                210 + self.rng.next_u32() % 191
            } else {
                // 0 to 2 seconds in units of 10 ms.
                self.rng.next_u32() % 201
            };
            if let Some(c) = self.calls.get_mut(&h) {
                c.glare_retry = Some((now + Duration::from_millis(u64::from(units) * 10), body));
            }
            return;
        }
        // [RFC 3261 §14.1] "If a UA receives a non-2xx final response to a
        // re-INVITE, the session parameters MUST remain unchanged, as if no
        // re-INVITE had been issued."
        if let Some(d) = call.dialog.as_mut() {
            let _ = d.receive_response(Method::Invite, &msg);
        }
        self.events
            .push_back(UaEvent::ReInviteFailed { call: h, status });
        self.in_dialog_failure(now, h, status);
    }

    /// Sends the ACK for the 2xx (CSeq `seq`) to our re-INVITE, carrying
    /// `answer` if any, and keeps it for the 2xx retransmissions.
    fn send_reinvite_ack(&mut self, h: CallHandle, seq: u32, answer: Option<&Body>) {
        let Some(mut dialog) = self.calls.get_mut(&h).and_then(|c| c.dialog.take()) else {
            return;
        };
        let invite_like = MessageBuilder::request(Method::Invite, "sip:x")
            .header(HeaderName::CSeq, format!("{seq} INVITE"))
            .build();
        let ack = invite_like.ok().and_then(|i| {
            // Credentials are not carried by our re-INVITEs.
            self.build_ack(&mut dialog, &i.message())
        });
        let ack = ack.and_then(|ack| match answer {
            Some(b) => MessageBuilder::from_message(&ack.message())
                .body(&b.content_type, b.bytes.to_vec())
                .build()
                .ok(),
            None => Some(ack),
        });
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.dialog = Some(dialog);
        if let Some(ack) = ack {
            if let Ok(dest) = self.destination_of(&ack.message()) {
                self.layer.send_stateless(dest.clone(), ack.clone());
                if let Some(c) = self.calls.get_mut(&h) {
                    c.ack = Some((seq, ack, dest));
                }
            }
        }
    }

    fn on_stray_response(&mut self, response: &OwnedMessage) {
        let msg = response.message();
        if !msg.status().is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
        if msg.cseq().ok().map(|c| c.method) != Some("INVITE") {
            return;
        }
        let Some(h) = DialogId::of_received_response(&msg)
            .ok()
            .and_then(|d| self.dialogs.get(&d).copied())
        else {
            return;
        };
        let seq = msg.cseq().map(|c| c.seq).unwrap_or(0);
        if let Some((aseq, ack, dest)) = self.calls.get(&h).and_then(|c| c.ack.clone()) {
            if aseq == seq {
                // [RFC 3261 §13.2.2.4] "The ACK MUST be passed to the client
                // transport every time a retransmission of the 2xx final
                // response that triggered the ACK arrives."
                self.layer.send_stateless(dest, ack);
            }
        }
    }

    fn on_tx_failure(&mut self, now: Instant, id: TransactionId, owner: Owner, transport: bool) {
        // [RFC 3261 §8.1.3.1] "When a timeout error is received from the
        // transaction layer, it MUST be treated as if a 408 (Request Timeout)
        // status code has been received."
        // [RFC 3261 §8.1.3.1] "If a fatal transport error is reported by the
        // transport layer (generally, due to fatal ICMP errors in UDP or
        // connection failures in TCP), the condition MUST be treated as a 503
        // (Service Unavailable) status code."
        let status = if transport { 503 } else { 408 };
        match (owner.kind, owner.call) {
            (TxKind::Invite, Some(h)) => {
                let current = self.calls.get(&h).is_some_and(|c| c.invite_tx == Some(id));
                let answered = self
                    .calls
                    .get(&h)
                    .is_some_and(|c| c.dialog.is_some() && c.state != CallState::Early);
                if current && !answered {
                    let cancelled = self.calls.get(&h).is_some_and(|c| c.cancel_requested);
                    let reason = match (cancelled, transport) {
                        (true, _) => EndReason::Cancelled,
                        (false, true) => EndReason::TransportError,
                        (false, false) => EndReason::Timeout,
                    };
                    self.end(now, h, reason);
                }
            }
            (TxKind::Update, Some(h)) => {
                let ours = self.calls.get_mut(&h).and_then(|c| {
                    c.update_out.take_if(|(t, _)| *t == id).map(|_| {
                        c.oa.pending = None;
                        std::mem::take(&mut c.refreshing)
                    })
                });
                if ours == Some(true) {
                    self.st_refresh_failed(now, h, status);
                } else if ours.is_some() {
                    self.events
                        .push_back(UaEvent::UpdateFailed { call: h, status });
                    self.in_dialog_failure(now, h, status);
                }
            }
            (TxKind::ReInvite, Some(h)) => {
                let refreshing = self.calls.get_mut(&h).is_some_and(|c| {
                    c.reinvite_out = None;
                    std::mem::take(&mut c.refreshing)
                });
                if refreshing {
                    self.st_refresh_failed(now, h, status);
                    return;
                }
                self.events
                    .push_back(UaEvent::ReInviteFailed { call: h, status });
                self.in_dialog_failure(now, h, status);
            }
            // [RFC 3261 §15.1.1] "If the response for the BYE is a 481
            // (Call/Transaction Does Not Exist) or a 408 (Request Timeout) or no
            // response at all is received for the BYE (that is, a timeout is
            // returned by the client transaction), the UAC MUST consider the
            // session and the dialog terminated."
            (TxKind::Bye, Some(h)) => self.end(now, h, EndReason::LocalBye),
            (TxKind::Message(r), _) => {
                self.pending.remove(&r);
                self.events
                    .push_back(UaEvent::MessageResult { request: r, status });
                if let Some(h) = owner.call {
                    self.in_dialog_failure(now, h, status);
                }
            }
            (TxKind::Options(r), _) => {
                self.pending.remove(&r);
                self.events.push_back(UaEvent::OptionsResult {
                    request: r,
                    status,
                    response: None,
                });
            }
            (TxKind::Register, _) => {
                if let Some(reg) = self.register.as_mut() {
                    reg.handle_timeout_of_request();
                }
                self.drain_register();
            }
            (TxKind::InviteServer, Some(h)) => {
                // Timer H (no ACK for a non-2xx) or a transport error: the
                // call is over if it was not already.
                let _ = now;
                if self
                    .calls
                    .get(&h)
                    .is_some_and(|c| c.reinvite_in.as_ref().is_some_and(|(r, _)| *r == id))
                {
                    if let Some(c) = self.calls.get_mut(&h) {
                        c.reinvite_in = None;
                    }
                } else if self
                    .calls
                    .get(&h)
                    .is_some_and(|c| c.invite_tx == Some(id) && !c.final_sent)
                {
                    self.end(now, h, EndReason::TransportError);
                }
            }
            _ => {}
        }
    }

    // ------------------------------------------------------------------
    // Call timers
    // ------------------------------------------------------------------

    fn call_timeout(&mut self, now: Instant, h: CallHandle) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        // The UAS 2xx retransmission.
        let mut ack_timeout = false;
        if let Some(r) = call.retransmit.as_mut() {
            r.handle_timeout(now);
            while let Some(t) = r.poll_transmit() {
                self.layer.send_stateless(t.destination, t.message);
            }
            while let Some(e) = r.poll_event() {
                if e == Retransmit2xxEvent::AckTimeout {
                    ack_timeout = true;
                }
            }
        }
        // [RFC 3261 §13.3.1.1] "To prevent cancellation, the UAS MUST send a
        // non-100 provisional response at every minute, to handle the
        // possibility of lost provisional responses."
        let mut refresh = None;
        if let Some((at, resp)) = call.refresh_1xx.as_mut() {
            if *at <= now {
                if call.final_sent || call.state == CallState::Terminated {
                    call.refresh_1xx = None;
                } else {
                    *at = now + PROVISIONAL_REFRESH;
                    refresh = Some(resp.clone());
                }
            }
        }
        // The reliable provisional retransmission (RFC 3262 §3).
        let mut resend = None;
        let mut prack_timeout = false;
        if let Some(rel) = call.reliable.as_mut() {
            if now >= rel.deadline {
                prack_timeout = true;
            } else if now >= rel.next {
                resend = Some(rel.response.clone());
                rel.interval = rel.interval.saturating_mul(2);
                rel.next = now + rel.interval;
            }
        }
        let offer_expired = call.remote_offer.as_ref().is_some_and(|(_, t)| *t <= now);
        let update_due = call.update_retry.as_ref().is_some_and(|(t, _)| *t <= now);
        let glare = call.glare_retry.as_ref().is_some_and(|(t, _)| *t <= now);
        let reinvite_expired =
            call.reinvite_out.is_some() && call.reinvite_deadline.is_some_and(|t| t <= now);
        let cancel_expired = call.cancel_deadline.is_some_and(|t| t <= now);
        let invite_expired = call.invite_deadline.is_some_and(|t| t <= now);
        let st_due = call
            .st
            .as_ref()
            .and_then(ActiveTimer::next)
            .is_some_and(|t| t <= now);
        let invite_tx = call.invite_tx;
        let state = call.state;
        if let (Some(r), Some(id)) = (resend.or(refresh), invite_tx) {
            self.respond(now, id, r);
        }
        if prack_timeout {
            if let Some(c) = self.calls.get_mut(&h) {
                c.reliable = None;
                c.deferred_answer = None;
            }
            // [RFC 3262 §3] "If a reliable provisional response is retransmitted
            // for 64*T1 seconds without reception of a corresponding PRACK, the
            // UAS SHOULD reject the original request with a 5xx response."
            let _ = self.reject(now, h, 504);
        }
        if ack_timeout {
            // [RFC 3261 §14.2] "If a UAS generates a 2xx response and never
            // receives an ACK, it SHOULD generate a BYE to terminate the
            // dialog."
            if let Some(c) = self.calls.get_mut(&h) {
                c.retransmit = None;
            }
            let offered = self
                .calls
                .get(&h)
                .is_some_and(|c| c.oa.pending == Some(Offerer::Local));
            if state == CallState::Accepted || (state == CallState::Confirmed && offered) {
                // (For a re-INVITE: the offer in our 2xx never got its answer,
                // so the session is in doubt.)
                if let Some(c) = self.calls.get_mut(&h) {
                    c.state = CallState::Confirmed;
                    c.oa.pending = None;
                }
                self.send_bye(now, h, TxKind::Bye);
                self.end(now, h, EndReason::Timeout);
            }
        }
        if glare {
            let body = self
                .calls
                .get_mut(&h)
                .and_then(|c| c.glare_retry.take())
                .map(|(_, b)| b);
            if let Some(body) = body {
                // [RFC 3261 §14.1] "When the timer fires, the UAC SHOULD attempt
                // the re-INVITE once more, if it still desires for that session
                // modification to take place."
                if self.send_reinvite_as(now, h, body.clone(), false).is_err() {
                    // Another INVITE is in progress: try again later.
                    if let Some(c) = self.calls.get_mut(&h) {
                        if c.state == CallState::Confirmed {
                            c.glare_retry = Some((now + self.config.layer.timers.t1, body));
                        }
                    }
                }
            }
        }
        if reinvite_expired {
            // The re-INVITE got a provisional response and then nothing: it is
            // cancelled (RFC 3261 §9.1) and reported as failed; the session
            // stays as it was (§14.1).
            let pending = self.calls.get_mut(&h).and_then(|c| {
                c.reinvite_deadline = None;
                c.reinvite_out.take()
            });
            if let Some((id, _)) = pending {
                let cancel = self.layer.client(id).and_then(|tx| {
                    crate::builder::cancel(&tx.request().message())
                        .ok()
                        .map(|c| (c, tx.destination().clone()))
                });
                if let Some((cancel, dest)) = cancel {
                    if let Ok(cid) = self.layer.send_request(now, cancel, dest) {
                        self.own(cid, Some(h), TxKind::Cancel);
                    }
                }
                self.layer.abandon(id);
                let refreshing = self
                    .calls
                    .get_mut(&h)
                    .is_some_and(|c| std::mem::take(&mut c.refreshing));
                if refreshing {
                    // A refresh that got no final response (RFC 4028 §10).
                    self.st_refresh_failed(now, h, 408);
                } else {
                    self.events.push_back(UaEvent::ReInviteFailed {
                        call: h,
                        status: 408,
                    });
                }
            }
        }
        if cancel_expired {
            // [RFC 3261 §9.1] "If there is no final response for the original
            // request in 64*T1 seconds (T1 is defined in Section 17.1.1.1), the
            // client SHOULD then consider the original transaction cancelled and
            // SHOULD destroy the client transaction handling the original
            // request."
            if let Some(c) = self.calls.get_mut(&h) {
                c.cancel_deadline = None;
            }
            if let Some(id) = invite_tx {
                self.layer.abandon(id);
            }
            if matches!(state, CallState::Calling | CallState::Early) {
                self.end(now, h, EndReason::Cancelled);
            }
        }
        if invite_expired {
            if let Some(c) = self.calls.get_mut(&h) {
                c.invite_deadline = None;
            }
            if matches!(state, CallState::Calling | CallState::Early) {
                let _ = self.cancel(now, h);
            }
        }
        if offer_expired {
            self.offer_timeout(now, h);
        }
        if st_due {
            self.st_timeout(now, h);
        }
        if update_due {
            let offer = self
                .calls
                .get_mut(&h)
                .and_then(|c| c.update_retry.take())
                .map(|(_, b)| b);
            if let Some(offer) = offer {
                // [RFC 3311 §5.3] "When the timer fires, the UAC SHOULD attempt
                // the UPDATE once more, if it still desires for that session
                // modification to take place."
                if let Err(UaError::OfferPending(_)) = self.update(now, h, offer.clone()) {
                    // Another exchange is in progress: try again once it can
                    // have ended (each of these ends by itself).
                    if let Some(c) = self.calls.get_mut(&h) {
                        let transient = c.remote_offer.is_some()
                            || c.update_out.is_some()
                            || c.reinvite_out.is_some()
                            || c.reinvite_in.is_some()
                            || c.reliable.is_some();
                        if c.state != CallState::Terminated && transient {
                            c.update_retry = Some((now + self.config.layer.timers.t1, offer));
                        }
                    }
                }
            }
        }
    }

    /// The application left a peer's offer unanswered for
    /// [`OFFER_ANSWER_TIMEOUT`].
    fn offer_timeout(&mut self, now: Instant, h: CallHandle) {
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if matches!(call.remote_offer, Some((PendingOffer::Update { .. }, _))) {
            // [RFC 3311 §5.2] "However, unlike a re-INVITE, the UPDATE MUST be
            // responded to promptly, and therefore the user cannot generally be
            // prompted to approve the session changes."
            let _ = self.reject_offer(now, h, 504);
            return;
        }
        match call.remote_offer.take() {
            Some((PendingOffer::Prack { tx, request }, _)) => {
                // The offer is refused; the session stays as it was.
                // [RFC 3311 §5.2] "If the UAS cannot change the session
                // parameters without prompting the user, it SHOULD reject the
                // request with a 504 response."
                call.oa.pending = None;
                let tag = call.local_tag.clone();
                if let Ok(r) = response_to(&request.message(), 504, reason_phrase(504), Some(&tag))
                {
                    self.respond(now, tx, r);
                }
                let deferred = self
                    .calls
                    .get_mut(&h)
                    .and_then(|c| c.deferred_answer.take());
                if let Some(deferred) = deferred {
                    let _ = self.send_answer(now, h, deferred);
                }
            }
            Some((PendingOffer::ReInviteSuccess { seq }, _)) => {
                // The 2xx is acknowledged (without an answer, the application
                // gave none) and the dialog ended.
                self.send_reinvite_ack(h, seq, None);
                self.send_bye(now, h, TxKind::Bye);
                self.end(now, h, EndReason::OfferAnswerFailed);
            }
            Some(_) => self.fail_offer_answer(now, h),
            None => {}
        }
    }
}

// ----------------------------------------------------------------------
// Session timers (RFC 4028)
// ----------------------------------------------------------------------

impl<R: RngCore> UserAgent<R> {
    /// The session timer of `call` (RFC 4028), when one is in force: the
    /// session interval, who refreshes, and the session expiration.
    pub fn session_timer(&self, call: CallHandle) -> Option<SessionTimerState> {
        self.calls
            .get(&call)
            .filter(|c| c.state != CallState::Terminated)
            .and_then(|c| c.st.as_ref())
            .map(ActiveTimer::state)
    }

    /// Session-Expires and Min-SE for a session refresh request (INVITE,
    /// re-INVITE, UPDATE) this side sends on call `h` (`None`: a new call),
    /// and the session interval asked for.
    fn st_request_headers(&self, h: Option<CallHandle>) -> (Vec<(HeaderName, String)>, u32) {
        let Some(cfg) = self.config.session_timer else {
            return (Vec::new(), 0);
        };
        let call = h.and_then(|h| self.calls.get(&h));
        let learnt = call.and_then(|c| c.st_min_se);
        // [RFC 4028 §7.4] "The UAC may have its own opinions about the
        // minimum session interval."
        // [RFC 4028 §7.4] "In that case, if the value above is too small, the
        // UAC MAY increase it."
        let min_se = cfg.min_se().max(learnt.unwrap_or(0));
        let (se, refresher) = match call.and_then(|c| c.st.as_ref()) {
            // [RFC 4028 §7.4] "In a session refresh request sent within a
            // dialog with an active session timer, the Session-Expires header
            // field SHOULD be present."
            // [RFC 4028 §7.4] "When present, it SHOULD be equal to the maximum
            // of the Min-SE header field (recall that its default value when
            // not present is 90 seconds) and the current session interval."
            // [RFC 4028 §7.4] "If the session refresh request is not the
            // initial one, it is RECOMMENDED that the refresher parameter be
            // set to 'uac' if the element sending the request is currently
            // performing refreshes, and to 'uas' if its peer is performing the
            // refreshes."
            Some(t) => (
                t.interval.max(min_se),
                Some(if t.local {
                    Refresher::Uac
                } else {
                    Refresher::Uas
                }),
            ),
            // [RFC 4028 §7.1] "A UAC MAY include a Session-Expires header field
            // in an initial session refresh request if it wants a session
            // timer applied to the session."
            // [RFC 4028 §7.1] "If a Min-SE header is included in the initial
            // session refresh request, the value of the Session-Expires MUST
            // be greater than or equal to the value in Min-SE."
            // [RFC 4028 §7.1] "However, it is RECOMMENDED that the parameter be
            // omitted so that it can be selected by the negotiation mechanisms
            // described below."
            // [RFC 4028 §7.1 exception: the refresher is left to the negotiation, as recommended] "The UAC MAY
            // include the refresher parameter with value 'uac' if it wants to
            // perform the refreshes."
            None => (cfg.session_expires().max(min_se), None),
        };
        // No Require or Proxy-Require: the extension works with only this
        // side supporting it.
        // [RFC 4028 §7.1] "However, usage of either Require or Proxy-Require
        // by the UAC is NOT RECOMMENDED."
        // [RFC 4028 §7.1 exception: not recommended by the same section] "The UAC MAY include a Require
        // header field in the request with the value 'timer' to indicate that
        // the UAS must support the session timer to participate in the
        // session."
        // [RFC 4028 §7.1 exception: not recommended by the same section] "In addition, the UAC MAY include
        // a Proxy-Require header field in the request with the value 'timer'
        // to indicate that proxies must support the session timer in order to
        // correctly process the request."
        // The interval in force is kept on every refresh.
        // [RFC 4028 §7.4] "As such, a UA should only ignore the SHOULD in
        // unusual and singular cases where it is desirable to change the
        // session interval mid-dialog."
        // [RFC 4028 §7.4 exception: the refresher keeps its role] "However, if it wishes to explicitly
        // change the roles, it MAY use a value of 'uas' if it knows that the
        // other side supports the session timer."
        // [RFC 4028 §7.4 exception: the refresher keeps its role] "If it seeks to reselect the roles, it
        // MAY omit the parameter."
        let mut out = vec![(
            HeaderName::SessionExpires,
            match refresher {
                Some(r) => format!("{se};refresher={}", r.as_str()),
                None => se.to_string(),
            },
        )];
        // [RFC 4028 §7.4] "The UAC MUST insert the Min-SE header field into a
        // session refresh request for a particular dialog if it has ever
        // received a 422 response to a previous session refresh request on the
        // same dialog, or if it has received a session refresh request on that
        // dialog that contained a Min-SE header field."
        // [RFC 4028 §7.4] "The value of the Min-SE header field present in a
        // session refresh request MUST be the largest value among all Min-SE
        // header field values returned in all 422 responses or received in
        // session refresh requests, on the same dialog, if a dialog has been
        // established."
        // [RFC 4028 §7.1] "A UAC MAY include the Min-SE header field in the
        // initial INVITE request."
        if learnt.is_some() || min_se != MIN_SESSION_INTERVAL {
            out.push((HeaderName::MinSe, min_se.to_string()));
        }
        (out, se)
    }

    /// What this side answers the session refresh request `req` with: the
    /// session interval and the refresher (RFC 4028 §9), or `None` for no
    /// session timer.
    fn st_answer(&self, req: &Message<'_>) -> Option<(u32, Refresher)> {
        let cfg = self.config.session_timer?;
        // [RFC 4028 §9] "The UAC supports the extension if the 'timer' option
        // tag was present in a Supported header field in the request."
        let supported = has_token(req, HeaderName::Supported, "timer")
            || has_token(req, HeaderName::Require, "timer");
        let asked = SessionExpires::of(req).and_then(Result::ok);
        let req_min = MinSe::of(req)
            .and_then(Result::ok)
            .map_or(MIN_SESSION_INTERVAL, |m| {
                m.delta_seconds.max(MIN_SESSION_INTERVAL)
            });
        let interval = match asked {
            Some(se) => {
                let ours = cfg.session_expires();
                // [RFC 4028 §9] "If the UAS wishes to accept the request, it
                // copies the value of the Session-Expires header field from the
                // request into the 2xx response."
                // [RFC 4028 §9] "The UAS response MAY reduce its value but MUST
                // NOT set it to a duration lower than the value in the Min-SE
                // header field in the request, if it is present; otherwise the
                // UAS MAY reduce its value but MUST NOT set it to a duration
                // lower than 90 seconds."
                // [RFC 4028 §9] "The UAS MUST NOT increase the value of the
                // Session-Expires header field."
                if ours < se.delta_seconds && ours >= req_min {
                    ours
                } else {
                    se.delta_seconds
                }
            }
            // [RFC 4028 §9] "The UAS may request a session timer in the 2XX
            // response by including a Session-Expires header field."
            // [RFC 4028 §9] "The value MUST NOT be set to a duration lower
            // than the value in the Min-SE header field in the request, if it
            // is present."
            None if supported => cfg.session_expires().max(req_min),
            // A caller without the extension: this side asks for a timer
            // itself and refreshes (Table 2: N, none → uas); the caller
            // only answers the refreshes.
            // [RFC 4028 §9] "The UAS must respond to a request for a session
            // timer by the UAC or a proxy in the path of the request, or it
            // may request that a session timer be used itself."
            None => cfg.session_expires().max(req_min),
        };
        // [RFC 4028 §9] "Table 2 defines how the value in the response is
        // set."
        // [RFC 4028 §9] "However, as the table indicates, the UAS cannot
        // override the UAC's choice of refresher, if it made one."
        let refresher = match (supported, asked.and_then(|s| s.refresher)) {
            (true, Some(r)) => r,
            // (Y, none): the UAS chooses; the side that asked refreshes.
            (true, None) => Refresher::Uac,
            (false, _) => Refresher::Uas,
        };
        Some((interval, refresher))
    }

    /// The Session-Expires and Require of this side's 2xx to the session
    /// refresh request `req` (RFC 4028 §9).
    fn st_response_headers(&self, req: &Message<'_>) -> Vec<(HeaderName, String)> {
        let Some((interval, refresher)) = self.st_answer(req) else {
            return Vec::new();
        };
        // [RFC 4028 §9] "The UAS MUST set the value of the refresher parameter
        // in the Session-Expires header field in the 2xx response."
        let mut out = vec![(
            HeaderName::SessionExpires,
            format!("{interval};refresher={}", refresher.as_str()),
        )];
        // [RFC 4028 §9] "If the refresher parameter in the Session-Expires
        // header field in the 2xx response has a value of 'uac', the UAS MUST
        // place a Require header field into the response with the value
        // 'timer'."
        // [RFC 4028 §9] "If the refresher parameter in the 2xx response has a
        // value of 'uas' and the Supported header field in the request
        // contained the value 'timer', the UAS SHOULD place a Require header
        // field into the response with the value 'timer'."
        // [RFC 4028 §9] "Since the call will still succeed without the UAC
        // sending a BYE, insertion of the Require is a SHOULD here, and not a
        // MUST."
        if refresher == Refresher::Uac || has_token(req, HeaderName::Supported, "timer") {
            out.push((HeaderName::Require, "timer".to_owned()));
        }
        out
    }

    /// This side sent the 2xx to the peer's session refresh request `req`
    /// at `now`: the session timer starts anew (or stops), RFC 4028 §9.
    /// `refresh`: not the initial INVITE (reported by
    /// [`UaEvent::SessionRefreshed`]).
    fn st_after_2xx_sent(&mut self, now: Instant, h: CallHandle, req: &Message<'_>, refresh: bool) {
        if self.config.session_timer.is_none() {
            return;
        }
        let answer = self.st_answer(req);
        let peer_timer = has_token(req, HeaderName::Supported, "timer")
            || has_token(req, HeaderName::Require, "timer");
        let peer_update = has_token(req, HeaderName::Allow, "UPDATE");
        let min_se = MinSe::of(req)
            .and_then(Result::ok)
            .map(|m| m.delta_seconds.max(MIN_SESSION_INTERVAL));
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.peer_timer |= peer_timer;
        call.peer_update |= peer_update;
        if let Some(m) = min_se {
            call.st_min_se = Some(call.st_min_se.unwrap_or(0).max(m));
        }
        match answer {
            Some((interval, refresher)) => {
                // [RFC 4028 §9] "The session interval is set to the value of
                // the delta-time from the Session-Expires header field in the
                // most recent 2xx response to a session refresh request on that
                // dialog."
                // [RFC 4028 §9] "The session expiration is the time of
                // transmission of the last 2xx response to a session refresh
                // request on that dialog plus the session interval."
                let timer = ActiveTimer::start(now, interval, refresher == Refresher::Uas);
                st_install(&mut self.events, call, h, timer, refresh);
            }
            // [RFC 4028 §9] "If the most recent 2xx response had no
            // Session-Expires header field, there is no session expiration, and
            // no refreshes have to be performed."
            None => call.st = None,
        }
    }

    /// A 2xx to this side's session refresh request arrived at `now`
    /// (RFC 4028 §7.2). `refresh`: not the initial INVITE.
    fn st_on_2xx(&mut self, now: Instant, h: CallHandle, msg: &Message<'_>, refresh: bool) {
        if self.config.session_timer.is_none() {
            return;
        }
        // [RFC 4028 §7.2] "UACs MUST be prepared to receive a Session-Expires
        // header field in a response, even if none were present in the
        // request."
        // [RFC 4028 §7.2] "If it does, the UAC MUST look for the
        // Session-Expires header field to process the response."
        let se = SessionExpires::of(msg)
            .and_then(Result::ok)
            .filter(|s| s.validate().is_ok());
        let peer_timer = has_token(msg, HeaderName::Supported, "timer")
            || has_token(msg, HeaderName::Require, "timer");
        let peer_update = has_token(msg, HeaderName::Allow, "UPDATE");
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        call.peer_timer |= peer_timer;
        call.peer_update |= peer_update;
        call.st_422 = 0;
        let asked = call.st_asked.take();
        let sent = call.st_sent.take().filter(|_| refresh);
        let timer = match se {
            // [RFC 4028 §7.2] "The UAC MUST set the identity of the refresher
            // to the value of this parameter."
            // [RFC 4028 §7.2] "If the parameter contains the value 'uac', the
            // UAC will perform them."
            // (A 2xx without the parameter, against §9, leaves the refreshes
            // to this side.)
            Some(se) => Some((se.delta_seconds, se.refresher != Some(Refresher::Uas))),
            // [RFC 4028 §7.2] "In this case, if the UAC still wishes to use the
            // session timer (which is purely for its benefit alone), it has to
            // perform them."
            // [RFC 4028 §7.2] "To do this, the UAC follows the procedures
            // defined in this specification as if the Session-Expires header
            // field were in the 2xx response, and its value was the same as
            // that in the request, but with a refresher parameter of 'uac'."
            None if !call.peer_timer => asked.map(|a| (a, true)),
            // [RFC 4028 §7.2] "If the 2xx response did not contain a
            // Session-Expires header field, there is no session expiration."
            None => None,
        };
        match timer {
            Some((interval, local)) => {
                // [RFC 4028 §7.2] "The session expiration is the time of
                // reception of the last 2xx response to a session refresh
                // request on that dialog plus the session interval for that
                // session."
                let mut timer = ActiveTimer::start(now, interval, local);
                // The next refresh is due half the interval after this one
                // was sent, not after its 2xx arrived: the peer's timer
                // started in between, and a 2xx delayed by retransmissions
                // must not push the next refresh towards the peer's BYE.
                // (Not for the initial INVITE, which may ring for long.)
                if let (true, Some(sent)) = (local, sent) {
                    let half = Duration::from_secs(u64::from(interval / 2));
                    timer.refresh_at = sent.checked_add(half).map(|t| t.max(now));
                }
                st_install(&mut self.events, call, h, timer, refresh);
            }
            // [RFC 4028 §7.2] "This means that the session timer can be
            // 'turned-off' in mid dialog by receiving a response without a
            // Session-Expires header field."
            None => call.st = None,
        }
    }

    /// The 400 or 422 refusing a session refresh request whose
    /// Session-Expires or Min-SE is malformed or too small, if any.
    fn st_refusal(&mut self, msg: &Message<'_>) -> Option<OwnedMessage> {
        let cfg = self.config.session_timer?;
        let tag = self.policy.to_tag.clone();
        let bad = |e: crate::Error| {
            let r = response_to(msg, 400, "Bad Request", Some(&tag)).ok()?;
            MessageBuilder::from_message(&r.message())
                .header(
                    HeaderName::Warning,
                    format!("399 rtclite \"{}\"", sanitize(&e.to_string())),
                )
                .build()
                .ok()
        };
        let se = match SessionExpires::of(msg) {
            Some(Err(e)) => return bad(e),
            Some(Ok(s)) => Some(s),
            None => None,
        };
        let min = match MinSe::of(msg) {
            Some(Err(e)) => return bad(e),
            Some(Ok(m)) => match m.validate() {
                Ok(()) => Some(m.delta_seconds),
                Err(e) => return bad(e),
            },
            None => None,
        };
        let se = se?;
        let supported = has_token(msg, HeaderName::Supported, "timer");
        let ours = cfg.min_se().max(min.unwrap_or(0));
        if supported && se.delta_seconds < ours {
            // [RFC 4028 §9] "If an incoming request contains a Supported
            // header field with a value 'timer' and a Session Expires header
            // field, the UAS MAY reject the INVITE request with a 422 (Session
            // Interval Too Small) response if the session interval in the
            // Session-Expires header field is smaller than the minimum interval
            // defined by the UAS' local policy."
            // [RFC 4028 §9] "When sending the 422 response, the UAS MUST
            // include a Min-SE header field with the value of its minimum
            // interval."
            // [RFC 4028 §6] "The 422 response MUST contain a Min-SE header
            // field with the minimum timer for that server."
            // [RFC 4028 §9] "This minimum interval MUST NOT be lower than 90
            // seconds."
            // [RFC 4028 §5] "The Min-SE header field MUST NOT be used in
            // responses except for those with a 422 response code."
            let r = response_to(msg, 422, reason_phrase(422), Some(&tag)).ok()?;
            return MessageBuilder::from_message(&r.message())
                .header(HeaderName::MinSe, ours.to_string())
                .build()
                .ok();
        }
        // A peer without the extension cannot be asked for more (RFC 4028
        // §8.1: "this would result in a call failure"), but a value below the
        // absolute minimum is malformed.
        if let Err(e) = se.validate() {
            return bad(e);
        }
        None
    }

    /// Sends a session refresh request on call `h` (RFC 4028 §10): an
    /// UPDATE without a body when UPDATE is on and the peer allows it, else
    /// a re-INVITE with this side's unchanged session description.
    fn send_refresh(&mut self, now: Instant, h: CallHandle) {
        let use_update = self.config.update;
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(timer) = call.st.as_mut() else {
            return;
        };
        timer.refresh_at = None;
        if call.state != CallState::Confirmed {
            return;
        }
        let busy = call.reinvite_out.is_some()
            || call.reinvite_in.is_some()
            || call.update_out.is_some()
            || call.remote_offer.is_some()
            || call.oa.pending.is_some()
            || call.glare_retry.is_some()
            || call.update_retry.is_some()
            || call
                .retransmit
                .as_ref()
                .is_some_and(Retransmit2xx::is_active);
        if busy {
            // Another exchange is in progress; its 2xx, if any, refreshes
            // the session too (RFC 4028 §7.2), else this one goes soon.
            timer.refresh_at = Some(now + REFRESH_POSTPONE);
            return;
        }
        // [RFC 4028 §10] "The side generating a refresh does so according to
        // the UAC procedures defined in Section 7."
        // [RFC 4028 §7.4] "If a UAC knows that its peer supports the UPDATE
        // method, it is RECOMMENDED that UPDATE be used instead of a
        // re-INVITE."
        if use_update && call.peer_update {
            // [RFC 4028 §7.4] "It is RECOMMENDED that the UPDATE request not
            // contain an offer [4], but a re-INVITE SHOULD contain one, even if
            // the details of the session have not changed."
            let _ = self.send_update(now, h, None, true);
            return;
        }
        // [RFC 4028 §7.4] "In that case, the offer MUST indicate that it has
        // not changed."
        // [RFC 4028 §7.4] "In the case of SDP, this is accomplished by
        // including the same value for the origin field as did previous SDP
        // messages to its peer."
        // The description sent last, byte for byte: its origin line too. The
        // answer to a peer's refresh re-INVITE is the application's
        // (`UaEvent::ReInvite`, answered with its unchanged description).
        // [RFC 4028 §7.4 exception: session descriptions are opaque to the UA core; the application answers a re-INVITE] "The
        // same is true for an answer exchanged as a result of a session
        // refresh request; if it has not changed, that MUST be indicated."
        // Without one (none was ever sent) there is nothing to repeat, and
        // the session expires.
        let Some(sdp) = call.local_sdp.clone() else {
            return;
        };
        let _ = self.send_reinvite_as(now, h, Some(sdp), true);
    }

    /// A 422 to this side's re-INVITE or UPDATE (`body`: what it carried):
    /// sent again with the larger interval (RFC 4028 §7.3), at most
    /// [`MAX_422_RETRIES`] times. Returns whether it was.
    fn st_retry_422(
        &mut self,
        now: Instant,
        h: CallHandle,
        msg: &Message<'_>,
        body: Option<Body>,
        update: bool,
        refreshing: bool,
    ) -> bool {
        let Some(min) = MinSe::of(msg)
            .and_then(Result::ok)
            .filter(|m| m.validate().is_ok())
            .map(|m| m.delta_seconds)
        else {
            return false;
        };
        let Some(call) = self.calls.get_mut(&h) else {
            return false;
        };
        let tries = call.st_422;
        // [RFC 4028 §10] "However, the UAC SHOULD NOT continuously retry the
        // request if the server indicates the same error response."
        if tries >= MAX_422_RETRIES || call.st_asked.is_some_and(|a| a >= min) {
            return false;
        }
        call.st_min_se = Some(call.st_min_se.unwrap_or(0).max(min));
        // [RFC 4028 §7.3] "If the response to a session refresh request is a
        // 422 (Session Interval Too Small) response message, then the UAC MAY
        // retry the request."
        // [RFC 4028 §10] "The UA will still have to send a session refresh
        // request before the session expiration (which has not changed), even
        // though this request will contain a value of the Session-Expires that
        // is much larger than the current session interval."
        if let Some(t) = call.st.as_mut() {
            t.interval = t.interval.max(min);
        }
        let sent = if update {
            self.send_update(now, h, body, refreshing).is_ok()
        } else {
            self.send_reinvite_as(now, h, body, refreshing).is_ok()
        };
        if let Some(c) = self.calls.get_mut(&h) {
            c.st_422 = tries + 1;
        }
        sent
    }

    /// A session refresh sent by the session timer failed with `status`
    /// (RFC 4028 §10).
    fn st_refresh_failed(&mut self, now: Instant, h: CallHandle, status: u16) {
        let owner = self.calls.get(&h).is_some_and(|c| c.role == Role::Uac);
        let units = if owner {
            210 + self.rng.next_u32() % 191
        } else {
            self.rng.next_u32() % 201
        };
        let Some(call) = self.calls.get_mut(&h) else {
            return;
        };
        if matches!(status, 408 | 481) {
            // [RFC 4028 §10] "If the session refresh request transaction times
            // out or generates a 408 or 481 response, then the UAC sends a BYE
            // request as per Section 12.2.1.2 of RFC 3261 [2]."
            call.st = None;
            self.send_bye(now, h, TxKind::Bye);
            self.end(now, h, EndReason::DialogLost { status });
            return;
        }
        let Some(timer) = call.st.as_mut() else {
            return;
        };
        if status == 491 {
            // Glare with the peer's re-INVITE or UPDATE: the back-off of
            // RFC 3261 §14.1 / RFC 3311 §5.3, then the refresh again.
            timer.refresh_at = Some(now + Duration::from_millis(u64::from(units) * 10));
            return;
        }
        // [RFC 4028 §10] "If the session refresh request does not generate a
        // 2xx response (and, as a result, the session is not refreshed), and a
        // response other than 408 or 481 is received, the UAC SHOULD follow the
        // rules specific to that response code and retry if possible."
        // [RFC 4028 §10] "However, the UAC SHOULD NOT continuously retry the
        // request if the server indicates the same error response."
        // One more try, halfway to the expiration; after the same error
        // twice the session is left to expire.
        if call.refresh_failed == Some(status) {
            return;
        }
        call.refresh_failed = Some(status);
        if let Some(bye) = timer.bye_at.filter(|b| *b > now) {
            timer.refresh_at = Some(now + (bye - now) / 2);
        }
    }

    /// The session timer of call `h` is due at `now`: refresh, or end the
    /// expired session with BYE (RFC 4028 §10).
    fn st_timeout(&mut self, now: Instant, h: CallHandle) {
        let Some(timer) = self.calls.get(&h).and_then(|c| c.st) else {
            return;
        };
        if timer.bye_at.is_some_and(|t| t <= now) {
            if let Some(c) = self.calls.get_mut(&h) {
                c.st = None;
            }
            // [RFC 4028 §10] "Similarly, if the side not performing refreshes
            // does not receive a session refresh request before the session
            // expiration, it SHOULD send a BYE to terminate the session,
            // slightly before the session expiration."
            self.send_bye(now, h, TxKind::Bye);
            self.end(now, h, EndReason::SessionExpired);
            return;
        }
        if timer.refresh_at.is_some_and(|t| t <= now) {
            // [RFC 4028 §7.2] "If the UA seeks to continue with the session
            // beyond the session expiration, it MUST generate a refresh before
            // the session expiration."
            // [RFC 4028 §9] "If UA wishes to continue with the session beyond
            // the session expiration, it MUST generate a refresh before the
            // session expiration."
            self.send_refresh(now, h);
        }
    }
}

/// A copy of `msg` with each of `headers` set (replacing any of that name).
fn with_headers(
    msg: OwnedMessage,
    headers: &[(HeaderName, String)],
) -> Result<OwnedMessage, UaError> {
    if headers.is_empty() {
        return Ok(msg);
    }
    let mut b = MessageBuilder::from_message(&msg.message());
    for (name, value) in headers {
        b = if *name == HeaderName::Require {
            b.header(*name, value.clone())
        } else {
            b.set(*name, value.clone())
        };
    }
    Ok(b.build()?)
}

/// The destination of a URI: its address when the host is an IP address,
/// else a host name for the runtime to resolve (RFC 3263).
// [RFC 3261 §8.1.1.2] "All SIP implementations MUST support the SIP URI
// scheme."
// [RFC 3261 §8.1.1.2] "Any implementation that supports TLS MUST support the
// SIPS URI scheme."
fn uri_destination(
    uri: &Uri<'_>,
    default: TransportKind,
    sips: bool,
) -> Result<Destination, UaError> {
    let Some(sip) = uri.as_sip() else {
        return Err(UaError::Message(
            crate::Error::new(crate::ErrorKind::Invalid(
                "only sip: and sips: targets can be reached",
            ))
            .rfc("RFC 3261 §8.1.2"),
        ));
    };
    let transport = match sip.params.get("transport").flatten() {
        // [RFC 3261 §8.1.2] "If the Request-URI contains a SIPS URI, any
        // alternate destinations MUST be contacted with TLS."
        _ if sips || sip.secure => TransportKind::Tls,
        Some(t) => TransportKind::from_token(t).unwrap_or(default),
        None => default,
    };
    let port = sip.port.unwrap_or_else(|| transport.default_port());
    // A host name goes back to the runtime, which resolves it by RFC 3263
    // (see `locate`); an address is used as is.
    // [RFC 3261 §8.1.2] "Unless there is local policy specifying otherwise,
    // the destination MUST be determined by applying the DNS procedures
    // described in [4] as follows."
    Ok(match sip.host {
        crate::uri::Host::Ipv4(ip) => Destination::Addr {
            transport,
            addr: (ip, port).into(),
        },
        crate::uri::Host::Ipv6(ip) => Destination::Addr {
            transport,
            addr: (ip, port).into(),
        },
        crate::uri::Host::Domain(d) => Destination::Host {
            transport,
            host: d.to_owned(),
            port,
        },
    })
}

/// A URI without its `method` parameter and its headers (the parts a
/// Request-URI may not carry, RFC 3261 §19.1.1).
fn strip_method_and_headers(uri: &str) -> String {
    let no_headers = uri.split('?').next().unwrap_or(uri);
    no_headers
        .split(';')
        .enumerate()
        .filter(|(i, p)| {
            *i == 0
                || !p
                    .split('=')
                    .next()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case("method"))
        })
        .map(|(_, p)| p)
        .collect::<Vec<_>>()
        .join(";")
}

/// `("UDP", "host:port")` from `SIP/2.0/UDP host:port`.
fn split_via(via: &str) -> (&str, &str) {
    let mut parts = via.split_whitespace();
    let proto = parts.next().unwrap_or("SIP/2.0/UDP");
    let sent_by = parts.next().unwrap_or("localhost");
    (proto.rsplit('/').next().unwrap_or("UDP"), sent_by)
}

/// The final response `status` to `request` with To tag `tag`; a 488
/// also carries the Warning of [`with_refusal_warning`].
fn refusal(request: &OwnedMessage, status: u16, tag: &str) -> Result<OwnedMessage, UaError> {
    let r = response_to(&request.message(), status, reason_phrase(status), Some(tag))?;
    if status == 488 {
        with_refusal_warning(&r)
    } else {
        Ok(r)
    }
}

/// `response` (a 488) with a Warning saying the session description was
/// refused (warn-code 399, RFC 3261 §20.43; the agent named `rtclite`).
fn with_refusal_warning(response: &OwnedMessage) -> Result<OwnedMessage, UaError> {
    Ok(MessageBuilder::from_message(&response.message())
        .header(
            HeaderName::Warning,
            "399 rtclite \"The session description was not accepted\"",
        )
        .build()?)
}

/// Installs the session timer of call `h` negotiated by a session refresh
/// (RFC 4028 §7.2, §9): a refresh that had failed is forgotten, and the
/// application hears of every refresh after the initial INVITE.
fn st_install(
    events: &mut VecDeque<UaEvent>,
    call: &mut Call,
    h: CallHandle,
    timer: ActiveTimer,
    refresh: bool,
) {
    call.st = Some(timer);
    call.refresh_failed = None;
    if refresh {
        events.push_back(UaEvent::SessionRefreshed {
            call: h,
            interval: timer.state().interval,
            refresher: timer.state().refresher,
        });
    }
}

fn has_token(msg: &Message<'_>, name: HeaderName, token: &str) -> bool {
    msg.tokens(name)
        .filter_map(Result::ok)
        .any(|t| t.eq_ignore_ascii_case(token))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .take(200)
        .collect()
}

/// The reason phrase this agent uses for `code` (RFC 3261 §21).
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        422 => "Session Interval Too Small",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Unknown",
    }
}
