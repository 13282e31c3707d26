//! The public vocabulary of the [`UserAgent`](super::UserAgent): handles,
//! bodies, configuration, events and errors.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::dialog::DialogError;
use crate::error::Error;
use crate::message::Message;
use crate::transaction::{LayerConfig, TransactionError};
use crate::ua::{RefreshBy, RegisterConfig, RegisterEvent, SessionTimerConfig};

/// Names one call (one INVITE session, RFC 3261 §13) inside a
/// [`UserAgent`](super::UserAgent); never reused. Not the SIP Call-ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub(crate) u64);

impl fmt::Display for CallHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call{}", self.0)
    }
}

/// Names one stand-alone request (MESSAGE, OPTIONS) the agent sent; never
/// reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestHandle(pub(crate) u64);

impl fmt::Display for RequestHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req{}", self.0)
    }
}

/// A message body kept opaque: the agent carries offers and answers
/// (RFC 3261 §13.2.1, RFC 3264) and instant messages without reading them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The Content-Type, e.g. `application/sdp` or `text/plain`.
    pub content_type: String,
    /// The bytes.
    pub bytes: Bytes,
}

impl Body {
    /// A body of `content_type` holding `bytes`.
    pub fn new(content_type: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Self {
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// An `application/sdp` body.
    pub fn sdp(bytes: impl Into<Bytes>) -> Self {
        Self::new("application/sdp", bytes)
    }

    /// A `text/plain` body (RFC 3428 §4: every MESSAGE UAC can send it).
    pub fn text(text: &str) -> Self {
        Self::new("text/plain", Bytes::copy_from_slice(text.as_bytes()))
    }

    /// The body of `msg`, or `None` when it has none.
    pub fn of(msg: &Message<'_>) -> Option<Self> {
        let bytes = msg.body();
        if bytes.is_empty() {
            return None;
        }
        let content_type = msg
            .header(crate::HeaderName::ContentType)
            .map(|h| h.value().into_owned())
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        Some(Self {
            content_type,
            bytes: Bytes::copy_from_slice(bytes),
        })
    }
}

/// A username and password for digest authentication (RFC 3261 §22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

/// What a [`UserAgent`](super::UserAgent) is and how it behaves.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// This user's address: the From of requests outside a dialog, e.g.
    /// `Alice <sip:alice@atlanta.example.com>`.
    pub aor: String,
    /// The Contact URI (where this agent receives requests), e.g.
    /// `sip:alice@192.0.2.101:5060`.
    pub contact: String,
    /// The Via sent-protocol and sent-by, e.g. `SIP/2.0/UDP 192.0.2.101:5060`.
    pub via: String,
    /// A URI every request outside a dialog is routed through (a loose
    /// router, e.g. `sip:192.0.2.10:5060;lr`), put in a Route header
    /// (the preconfigured route set of RFC 3261 §8.1.2).
    pub outbound_proxy: Option<String>,
    /// Credentials answering 401/407 challenges to INVITE, MESSAGE and
    /// OPTIONS (REGISTER uses those of `register`).
    pub credentials: Option<DigestCredentials>,
    /// A REGISTER client for this agent, if it registers.
    pub register: Option<RegisterConfig>,
    /// Offer `100rel` (RFC 3262) in Supported of every INVITE, send
    /// reliable provisional responses to peers that support it, and answer
    /// reliable provisional responses with PRACK. Default on.
    pub reliable_provisionals: bool,
    /// Insist on `100rel` (Require) in outgoing INVITEs. Default off.
    pub require_100rel: bool,
    /// Body types this agent accepts (Accept of OPTIONS answers and 415s).
    pub accept: Vec<String>,
    /// The User-Agent header value, if any.
    pub user_agent: Option<String>,
    /// Transaction layer settings (timers, 100 Trying delay, limits).
    pub layer: LayerConfig,
    /// The most calls held at once; an INVITE beyond it is answered 486.
    pub max_calls: usize,
    /// A call whose INVITE has no final response this long after being
    /// sent is cancelled (RFC 3261 §13.2.1 allows the UAC to give up).
    pub invite_timeout: Duration,
    /// Support the UPDATE method (RFC 3311): list it in Allow, accept
    /// UPDATEs from the peer ([`UaEvent::Offer`] with
    /// [`OfferIn::Update`]) and send them
    /// ([`UserAgent::update`](super::UserAgent::update)). Default off (the
    /// Allow header field then stays as it was before UPDATE existed).
    pub update: bool,
    /// Session timers (RFC 4028), or `None` to leave the extension out
    /// (no `timer` option tag, no Session-Expires). Default on, with a
    /// session interval of 1800 s and a Min-SE of 90 s: `timer` in
    /// Supported of INVITE and UPDATE requests and of their 2xx,
    /// Session-Expires in INVITE and UPDATE requests, 422 for an interval
    /// below `min_se`, refreshes at half the interval by UPDATE (when
    /// [`update`](Self::update) is on and the peer allows it) or by
    /// re-INVITE with the unchanged session description, and BYE when the
    /// peer's refresh does not come ([`EndReason::SessionExpired`]).
    pub session_timer: Option<SessionTimerConfig>,
}

impl UaConfig {
    /// A configuration for `aor` reachable at `contact`, sending with `via`,
    /// with the defaults for everything else.
    pub fn new(aor: impl Into<String>, contact: impl Into<String>, via: impl Into<String>) -> Self {
        Self {
            aor: aor.into(),
            contact: contact.into(),
            via: via.into(),
            outbound_proxy: None,
            credentials: None,
            register: None,
            reliable_provisionals: true,
            require_100rel: false,
            // [RFC 3428 §7] "A UAS that supports the MESSAGE method MUST be
            // prepared to receive and render bodies of type "text/plain", and
            // may support reception and rendering of bodies of type
            // "message/cpim" [7]."
            accept: vec!["application/sdp".to_owned(), "text/plain".to_owned()],
            user_agent: None,
            layer: LayerConfig::default(),
            max_calls: 1024,
            invite_timeout: Duration::from_secs(180),
            update: false,
            session_timer: Some(SessionTimerConfig::default()),
        }
    }
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// This side sent BYE (RFC 3261 §15.1.1).
    LocalBye,
    /// The peer sent BYE (RFC 3261 §15.1.2).
    RemoteBye,
    /// The INVITE was cancelled before a final response (RFC 3261 §9): by
    /// this side's CANCEL (caller) or the peer's (callee).
    Cancelled,
    /// A final non-2xx response ended the INVITE (received by the caller,
    /// sent by the callee).
    Rejected {
        /// The status code.
        status: u16,
    },
    /// No final response to the INVITE (Timer B, or the invite timeout),
    /// or no ACK for the 2xx (RFC 3261 §13.3.1.4).
    Timeout,
    /// The transport failed for the INVITE (RFC 3261 §8.1.3.1).
    TransportError,
    /// An in-dialog request was answered 481 or 408, or timed out: the
    /// dialog is gone (RFC 3261 §12.2.1.2).
    DialogLost {
        /// The status code (408 for a timeout).
        status: u16,
    },
    /// The offer/answer exchange of the initial INVITE failed, and the
    /// call was ended (BYE on a confirmed dialog, CANCEL or a 488 on an
    /// early one): the 2xx to an INVITE without an offer carried none,
    /// the ACK or PRACK that had to carry the answer to this side's offer
    /// carried none, or the application left a peer's offer unanswered
    /// for [`OFFER_ANSWER_TIMEOUT`](super::OFFER_ANSWER_TIMEOUT)
    /// (RFC 3261 §13.2.1, RFC 3262 §5).
    OfferAnswerFailed,
    /// The session timer ran out (RFC 4028 §10): the peer, the refresher,
    /// sent no session refresh request in time, or this side's refreshes
    /// kept failing; this side sent BYE before the session expiration.
    SessionExpired,
}

/// Where a peer's offer arrived ([`UaEvent::Offer`]), which says where
/// [`UserAgent::answer_offer`](super::UserAgent::answer_offer) puts the
/// answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfferIn {
    /// A reliable provisional response to this side's INVITE without an
    /// offer: the answer goes in the PRACK (RFC 3262 §5).
    ReliableProvisional,
    /// The 2xx to this side's INVITE or re-INVITE without an offer: the
    /// answer goes in the ACK (RFC 3261 §13.2.1, §13.2.2.4, §14.1).
    Success,
    /// A PRACK from the caller: the answer goes in the 2xx to the PRACK
    /// (RFC 3262 §5).
    Prack,
    /// An UPDATE: the answer goes in its 2xx, which must leave promptly
    /// (RFC 3311 §5.2); the offer may also be refused with
    /// [`UserAgent::reject_offer`](super::UserAgent::reject_offer).
    Update,
}

/// What the agent tells its user. Drain with
/// [`UserAgent::poll_event`](super::UserAgent::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UaEvent {
    /// A new INVITE: answer with `ring`, `early_media`, `answer` or `reject`.
    IncomingCall {
        /// The call.
        call: CallHandle,
        /// The From header field value.
        from: String,
        /// The To header field value.
        to: String,
        /// The offer, if the INVITE carried one.
        offer: Option<Body>,
    },
    /// The callee's UA is alerting (a 180 arrived).
    Ringing {
        /// The call.
        call: CallHandle,
        /// A body (early media answer), if any.
        body: Option<Body>,
    },
    /// Another provisional response (101-199 but 180) arrived, e.g. 183.
    Progress {
        /// The call.
        call: CallHandle,
        /// The status code.
        status: u16,
        /// A body, if any.
        body: Option<Body>,
    },
    /// The callee answered (the first 2xx to our INVITE). The ACK is sent
    /// at once, except when the 2xx carries an offer (the INVITE had
    /// none): then an [`UaEvent::Offer`] follows, and the ACK leaves with
    /// the application's answer.
    Answered {
        /// The call.
        call: CallHandle,
        /// The answer to our offer, when this is the first session
        /// description of the dialog; `None` otherwise (no body, a
        /// description already received in a reliable provisional
        /// response, or an offer, which comes in [`UaEvent::Offer`]).
        answer: Option<Body>,
    },
    /// The session is up: the caller sent the ACK, or the callee received it.
    Established {
        /// The call.
        call: CallHandle,
        /// On the callee's side, the caller's answer to the offer this side
        /// put in the 2xx (carried by the ACK); `None` otherwise.
        answer: Option<Body>,
    },
    /// The peer sent a re-INVITE (RFC 3261 §14.2): accept with `answer`
    /// (carrying the answer, or this side's offer when `offer` is `None`;
    /// the ACK then carries the peer's answer, reported by
    /// [`UaEvent::SessionUpdated`]), refuse with `reject` (the session is
    /// then unchanged).
    ReInvite {
        /// The call.
        call: CallHandle,
        /// The new offer, if any.
        offer: Option<Body>,
    },
    /// A session modification completed: our re-INVITE or UPDATE was
    /// accepted (`answer` is the peer's answer; `None` after a re-INVITE
    /// without an offer, whose answer this side sent in the ACK), or the
    /// ACK for our offer in the 2xx to the peer's re-INVITE without an
    /// offer arrived (`answer` is the one it carried).
    SessionUpdated {
        /// The call.
        call: CallHandle,
        /// The answer received, if any.
        answer: Option<Body>,
    },
    /// Our re-INVITE was refused; the session is unchanged (RFC 3261 §14.1).
    ReInviteFailed {
        /// The call.
        call: CallHandle,
        /// The status code.
        status: u16,
    },
    /// Our UPDATE was refused or got no answer; the session is unchanged
    /// (RFC 3311 §5.3). A 491 is not reported: the UPDATE is retried after
    /// the back-off.
    UpdateFailed {
        /// The call.
        call: CallHandle,
        /// The status code (408 for a timeout).
        status: u16,
    },
    /// The peer made an offer this side must answer (RFC 3264 §4): in the
    /// reliable provisional response or the 2xx to an INVITE sent by
    /// [`call_without_offer`](super::UserAgent::call_without_offer), in
    /// a PRACK, or in an UPDATE. Answer it with
    /// [`answer_offer`](super::UserAgent::answer_offer); where the answer
    /// goes is given by `carried_in`. An offer left unanswered for
    /// [`OFFER_ANSWER_TIMEOUT`](super::OFFER_ANSWER_TIMEOUT) ends the call
    /// ([`EndReason::OfferAnswerFailed`]), or for a PRACK or an UPDATE is
    /// refused with 504.
    Offer {
        /// The call.
        call: CallHandle,
        /// The offer.
        offer: Body,
        /// The message that carried it.
        carried_in: OfferIn,
    },
    /// The peer acknowledged a reliable provisional response (RFC 3262).
    Prack {
        /// The call.
        call: CallHandle,
        /// The caller's answer to the offer this side put in the reliable
        /// provisional response (RFC 3262 §5), if the PRACK carried it. An
        /// offer in a PRACK comes in [`UaEvent::Offer`] instead.
        body: Option<Body>,
    },
    /// A session refresh request (RFC 4028 §10) — a re-INVITE or UPDATE
    /// sent by the session timer, by the application, or received from the
    /// peer — got its 2xx, which set the session timer anew.
    SessionRefreshed {
        /// The call.
        call: CallHandle,
        /// The session interval now in force.
        interval: Duration,
        /// Who refreshes next.
        refresher: RefreshBy,
    },
    /// The call ended. Emitted once per call, last.
    Terminated {
        /// The call.
        call: CallHandle,
        /// Why.
        reason: EndReason,
    },
    /// A MESSAGE arrived (RFC 3428) and was answered 200.
    IncomingMessage {
        /// The call whose dialog carried it, if any.
        call: Option<CallHandle>,
        /// The From header field value.
        from: String,
        /// The message.
        body: Body,
    },
    /// The final answer to a MESSAGE we sent (408 when none came, 503 when
    /// the transport failed: RFC 3261 §8.1.3.1).
    MessageResult {
        /// The request.
        request: RequestHandle,
        /// The status code.
        status: u16,
    },
    /// The final answer to an OPTIONS we sent (408 when none came, 503 when
    /// the transport failed: RFC 3261 §8.1.3.1).
    OptionsResult {
        /// The request.
        request: RequestHandle,
        /// The status code.
        status: u16,
        /// The response, if one arrived.
        response: Option<crate::OwnedMessage>,
    },
    /// News from the REGISTER client.
    Registration(RegisterEvent),
}

/// What went wrong with a command given to the agent, or with an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UaError {
    /// No call has this handle (it ended, or never existed).
    #[error("no such call {0}")]
    NoSuchCall(CallHandle),
    /// The call's state does not allow the command.
    #[error("{call} is {state}: cannot {action}")]
    WrongState {
        /// The call.
        call: CallHandle,
        /// Its state.
        state: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// An INVITE transaction is in progress on the dialog (RFC 3261 §14.1).
    #[error("{0}: an INVITE transaction is in progress (RFC 3261 §14.1)")]
    InvitePending(CallHandle),
    /// A reliable provisional response awaits its PRACK (RFC 3262 §3).
    #[error("{0}: a reliable provisional response awaits its PRACK (RFC 3262 §3)")]
    PrackPending(CallHandle),
    /// An offer is outstanding on the dialog, so no new offer may be made
    /// (RFC 3264 §4).
    #[error("{0}: an offer awaits its answer (RFC 3264 §4)")]
    OfferPending(CallHandle),
    /// No offer from the peer awaits an answer on this call.
    #[error("{0}: no offer awaits an answer")]
    NoOffer(CallHandle),
    /// The response must carry a session description (the answer to the
    /// INVITE's offer, or the offer when it had none): RFC 3261 §13.3.1.4,
    /// RFC 3262 §5.
    #[error("{0}: this response must carry a session description (RFC 3261 §13.3.1.4)")]
    BodyRequired(CallHandle),
    /// [`UaConfig::max_calls`] calls exist.
    #[error("call limit of {0} reached")]
    TooManyCalls(usize),
    /// The agent has no REGISTER client configured.
    #[error("no registration configured")]
    NoRegistration,
    /// A URI or a built message is malformed.
    #[error("message: {0}")]
    Message(#[from] Error),
    /// The transaction layer refused.
    #[error("transaction: {0}")]
    Transaction(#[from] TransactionError),
    /// The dialog refused.
    #[error("dialog: {0}")]
    Dialog(#[from] DialogError),
}
