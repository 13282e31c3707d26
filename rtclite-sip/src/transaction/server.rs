//! Server transactions: INVITE (RFC 3261 §17.2.1 with RFC 6026 §7.1) and
//! non-INVITE (§17.2.2).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::builder::response_to;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;
use crate::timer::{TRYING_DELAY, Timer, TimerConfig};
use crate::transaction::key::LegacyFields;
use crate::transaction::{ServerKey, TransactionError, TransactionKind, Transmit};
use crate::transport::Destination;

/// The states of Figures 7 and 8 of RFC 3261, with the Accepted state of
/// RFC 6026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerState {
    /// Non-INVITE request received, no response yet.
    Trying,
    /// INVITE received, or a provisional response sent.
    Proceeding,
    /// A final response sent (300-699 for INVITE, any for non-INVITE).
    Completed,
    /// The ACK for a non-2xx final response arrived (INVITE only).
    Confirmed,
    /// A 2xx was sent for the INVITE; absorbing INVITE retransmissions
    /// (RFC 6026).
    Accepted,
    /// Done; the transaction must be destroyed.
    Terminated,
}

impl ServerState {
    /// The state's name as the RFC writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trying => "Trying",
            Self::Proceeding => "Proceeding",
            Self::Completed => "Completed",
            Self::Confirmed => "Confirmed",
            Self::Accepted => "Accepted",
            Self::Terminated => "Terminated",
        }
    }
}

/// What a server transaction tells its transaction user. The request that
/// created the transaction is not repeated here: whoever created the
/// transaction passes it up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// An ACK that arrived in the Accepted state (RFC 6026 §7.1).
    Ack(OwnedMessage),
    /// Timer H fired: no ACK came for the non-2xx final response.
    Timeout(Timer),
    /// The transport could not send a response.
    TransportError,
    /// The transaction ended; destroy it.
    Terminated,
}

/// A server transaction for one received request: it absorbs request
/// retransmissions, resends the latest response when one arrives, and for
/// an INVITE retransmits a non-2xx final response until the ACK.
#[derive(Debug)]
pub struct ServerTransaction {
    kind: TransactionKind,
    state: ServerState,
    key: Option<ServerKey>,
    legacy: Option<LegacyFields>,
    request: OwnedMessage,
    destination: Destination,
    reliable: bool,
    timers: TimerConfig,
    last_response: Option<OwnedMessage>,
    /// When the INVITE server transaction sends 100 (Trying) by itself.
    trying_at: Option<Instant>,
    /// Timer G.
    retransmit: Option<(Instant, Duration)>,
    /// Timer H or L.
    timeout: Option<(Instant, Timer)>,
    /// Timer I or J.
    linger: Option<(Instant, Timer)>,
    transmits: VecDeque<OwnedMessage>,
    events: VecDeque<ServerEvent>,
}

impl ServerTransaction {
    /// Creates the server transaction for a received `request` (not ACK),
    /// whose responses go to `destination` (see
    /// [`crate::transport::response_destination`]). An INVITE transaction
    /// sends 100 (Trying) by itself if the TU has not responded within
    /// [`TRYING_DELAY`] (see [`with_trying_delay`](Self::with_trying_delay)).
    pub fn new(
        now: Instant,
        request: OwnedMessage,
        destination: Destination,
        timers: TimerConfig,
    ) -> Result<Self, TransactionError> {
        let msg = request.message();
        let method = msg.method().ok_or(TransactionError::Expected("request"))?;
        let kind = match method {
            Method::Ack => return Err(TransactionError::AckTransaction),
            Method::Invite => TransactionKind::Invite,
            _ => TransactionKind::NonInvite,
        };
        let key = ServerKey::from_request(&msg)?;
        let legacy = match key {
            Some(_) => None,
            None => Some(LegacyFields::of(&msg)?),
        };
        let reliable = destination.transport().is_reliable();
        Ok(Self {
            kind,
            state: match kind {
                // [RFC 3261 §17.2.1] "When a server transaction is constructed for a
                // request, it enters the "Proceeding" state."
                TransactionKind::Invite => ServerState::Proceeding,
                // [RFC 3261 §17.2.2] "The state machine is initialized in the "Trying"
                // state and is passed a request other than INVITE or ACK when
                // initialized."
                TransactionKind::NonInvite => ServerState::Trying,
            },
            key,
            legacy,
            request,
            destination,
            reliable,
            timers,
            last_response: None,
            trying_at: (kind == TransactionKind::Invite).then(|| now + TRYING_DELAY),
            retransmit: None,
            timeout: None,
            linger: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    /// Changes when an INVITE transaction sends 100 (Trying) by itself,
    /// counted from its creation at `created`: `Some(Duration::ZERO)` sends
    /// it at the next [`handle_timeout`](Self::handle_timeout), `None`
    /// never (for a TU that knows it will respond within 200 ms).
    #[must_use]
    pub fn with_trying_delay(mut self, created: Instant, delay: Option<Duration>) -> Self {
        if self.kind == TransactionKind::Invite && self.last_response.is_none() {
            // [RFC 3261 §17.2.1] "The server transaction MUST generate a 100 (Trying)
            // response unless it knows that the TU will generate a provisional or
            // final response within 200 ms, in which case it MAY generate a 100
            // (Trying) response."
            self.trying_at = delay.map(|d| created + d);
        }
        self
    }

    /// INVITE or non-INVITE.
    pub const fn kind(&self) -> TransactionKind {
        self.kind
    }

    /// The current state.
    pub const fn state(&self) -> ServerState {
        self.state
    }

    /// The RFC 3261 key, or `None` for a request from an RFC 2543 peer.
    pub const fn key(&self) -> Option<&ServerKey> {
        self.key.as_ref()
    }

    /// The request that created the transaction.
    pub const fn request(&self) -> &OwnedMessage {
        &self.request
    }

    /// Where responses are sent.
    pub const fn destination(&self) -> &Destination {
        &self.destination
    }

    /// The last response the TU passed down.
    pub const fn last_response(&self) -> Option<&OwnedMessage> {
        self.last_response.as_ref()
    }

    /// Whether the transaction has ended and must be destroyed.
    pub fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    /// The RFC 2543 matching of RFC 3261 §17.2.3 for a request whose branch
    /// lacks the magic cookie. Always false for RFC 3261 transactions.
    pub fn matches_legacy(&self, msg: &Message<'_>) -> bool {
        let Some(mine) = &self.legacy else {
            return false;
        };
        let Ok(theirs) = LegacyFields::of(msg) else {
            return false;
        };
        if !mine.common_match(&theirs) {
            return false;
        }
        if msg.method() == Some(Method::Ack) {
            // [RFC 3261 §17.2.3] "The ACK request matches a transaction if the
            // Request- URI, From tag, Call-ID, CSeq number (not the method), and top
            // Via header field match those of the INVITE request which created the
            // transaction, and the To tag of the ACK matches the To tag of the
            // response sent by the server transaction."
            let sent_tag = self.last_response.as_ref().and_then(|r| {
                r.message()
                    .to()
                    .ok()
                    .and_then(|t| t.tag().map(str::to_owned))
            });
            self.kind == TransactionKind::Invite && theirs.to_tag == sent_tag
        } else {
            // [RFC 3261 §17.2.3] "For all other request methods, a request is matched
            // to a transaction if the Request-URI, To tag, From tag, Call-ID, CSeq
            // (including the method), and top Via header field match those of the
            // request that created the transaction."
            mine.method == theirs.method && mine.to_tag == theirs.to_tag
        }
    }

    /// Whether a CANCEL from an RFC 2543 peer targets this INVITE
    /// transaction: the §17.2.3 fields of an INVITE retransmission, with
    /// the CANCEL method allowed (RFC 3261 §9.2).
    pub fn matches_legacy_cancel(&self, cancel: &Message<'_>) -> bool {
        let (Some(mine), Ok(theirs)) = (&self.legacy, LegacyFields::of(cancel)) else {
            return false;
        };
        self.kind == TransactionKind::Invite
            && mine.common_match(&theirs)
            && mine.to_tag == theirs.to_tag
    }

    /// Passes a request that matched this transaction: a retransmission of
    /// the request, or an ACK.
    pub fn handle_request(&mut self, now: Instant, request: OwnedMessage) {
        let is_ack = request.message().method() == Some(Method::Ack);
        match (self.kind, self.state, is_ack) {
            (TransactionKind::Invite, ServerState::Proceeding, false) => {
                // [RFC 3261 §17.2.1] "If a request retransmission is received while in
                // the "Proceeding" state, the most recent provisional response that
                // was received from the TU MUST be passed to the transport layer for
                // retransmission."
                match &self.last_response {
                    Some(r) => self.transmits.push_back(r.clone()),
                    // Nothing sent yet: the 100 (Trying) is due now.
                    None => self.send_trying(),
                }
            }
            (TransactionKind::Invite, ServerState::Completed, false) => {
                // [RFC 3261 §17.2.1] "Furthermore, while in the "Completed" state, if a
                // request retransmission is received, the server SHOULD pass the
                // response to the transport for retransmission."
                if let Some(r) = &self.last_response {
                    self.transmits.push_back(r.clone());
                }
            }
            (TransactionKind::Invite, ServerState::Completed, true) => {
                // [RFC 3261 §17.2.1] "If an ACK is received while the server
                // transaction is in the "Completed" state, the server transaction MUST
                // transition to the "Confirmed" state."
                self.retransmit = None;
                self.timeout = None;
                self.state = ServerState::Confirmed;
                // [RFC 3261 §17.2.1] "When this state is entered, timer I is set to
                // fire in T4 seconds for unreliable transports, and zero seconds for
                // reliable transports."
                self.enter_linger(now, Timer::I);
            }
            (TransactionKind::Invite, ServerState::Accepted, true) => {
                // [RFC 6026 §7.1] "Any ACKs received from the network while in the
                // "Accepted" state MUST be passed directly to the TU and not absorbed."
                self.events.push_back(ServerEvent::Ack(request));
            }
            // [RFC 6026 §7.1] "While in the "Accepted" state, any retransmissions of
            // the INVITE received will match this transaction state machine and will
            // be absorbed by the machine without changing its state."
            (TransactionKind::Invite, ServerState::Accepted, false) => {}
            (TransactionKind::NonInvite, ServerState::Proceeding, false) => {
                // [RFC 3261 §17.2.2] "If a retransmission of the request is received
                // while in the "Proceeding" state, the most recently sent provisional
                // response MUST be passed to the transport layer for retransmission."
                if let Some(r) = &self.last_response {
                    self.transmits.push_back(r.clone());
                }
            }
            (TransactionKind::NonInvite, ServerState::Completed, false) => {
                // [RFC 3261 §17.2.2] "While in the "Completed" state, the server
                // transaction MUST pass the final response to the transport layer for
                // retransmission whenever a retransmission of the request is
                // received."
                if let Some(r) = &self.last_response {
                    self.transmits.push_back(r.clone());
                }
            }
            // [RFC 3261 §17.2.2] "Once in the "Trying" state, any further request
            // retransmissions are discarded."
            // ACKs in Confirmed are absorbed, the purpose of that state.
            _ => {}
        }
    }

    /// Passes a response from the TU to be sent. Returns
    /// [`TransactionError::WrongState`] when the state machine discards it
    /// (e.g. a second final response).
    pub fn send_response(
        &mut self,
        now: Instant,
        response: OwnedMessage,
    ) -> Result<(), TransactionError> {
        let status = response
            .message()
            .status()
            .ok_or(TransactionError::Expected("response"))?;
        if !(100..700).contains(&status) {
            return Err(TransactionError::Expected("a 1xx-6xx response"));
        }
        match (self.kind, self.state, status) {
            (TransactionKind::Invite, ServerState::Proceeding, 100..=199) => {
                // [RFC 3261 §17.2.1] "So long as the server transaction is in the
                // "Proceeding" state, each of these MUST be passed to the transport
                // layer for transmission."
                self.trying_at = None;
                self.send(response);
            }
            // [RFC 3261 §17.2.1 exception: RFC 6026 §7.1 Accepted state] "The server
            // transaction MUST then transition to the "Terminated" state."
            (TransactionKind::Invite, ServerState::Proceeding, 200..=299) => {
                // [RFC 3261 §17.2.1] "If, while in the "Proceeding" state, the TU
                // passes a 2xx response to the server transaction, the server
                // transaction MUST pass this response to the transport layer for
                // transmission."
                // [RFC 6026 §7.1] "If the SIP element's TU (Transaction User) issues a
                // 2xx response for this transaction while the state machine is in the
                // "Proceeding" state, the state machine MUST transition to the
                // "Accepted" state and set Timer L to 64*T1"
                self.trying_at = None;
                self.send(response);
                self.state = ServerState::Accepted;
                self.timeout = Some((
                    now + self.timers.duration(Timer::L, self.reliable),
                    Timer::L,
                ));
            }
            (TransactionKind::Invite, ServerState::Accepted, 200..=299) => {
                // [RFC 6026 §7.1] "Any retransmission of the 2xx response passed from
                // the TU to the transaction while in the "Accepted" state MUST be
                // passed to the transport layer for transmission."
                self.send(response);
            }
            (TransactionKind::Invite, ServerState::Proceeding, _) => {
                // [RFC 3261 §17.2.1] "While in the "Proceeding" state, if the TU passes
                // a response with status code from 300 to 699 to the server
                // transaction, the response MUST be passed to the transport layer for
                // transmission, and the state machine MUST enter the "Completed"
                // state."
                self.trying_at = None;
                self.send(response);
                self.state = ServerState::Completed;
                // [RFC 3261 §17.2.1] "For unreliable transports, timer G is set to fire
                // in T1 seconds, and is not set to fire for reliable transports."
                if !self.reliable {
                    let t1 = self.timers.duration(Timer::G, false);
                    self.retransmit = Some((now + t1, t1));
                }
                // [RFC 3261 §17.2.1] "When the "Completed" state is entered, timer H
                // MUST be set to fire in 64*T1 seconds for all transports."
                self.timeout = Some((
                    now + self.timers.duration(Timer::H, self.reliable),
                    Timer::H,
                ));
            }
            (
                TransactionKind::NonInvite,
                ServerState::Trying | ServerState::Proceeding,
                100..=199,
            ) => {
                // [RFC 3261 §17.2.2] "While in the "Trying" state, if the TU passes a
                // provisional response to the server transaction, the server
                // transaction MUST enter the "Proceeding" state."
                self.state = ServerState::Proceeding;
                // [RFC 3261 §17.2.2] "The response MUST be passed to the transport
                // layer for transmission."
                // [RFC 3261 §17.2.2] "Any further provisional responses that are
                // received from the TU while in the "Proceeding" state MUST be passed
                // to the transport layer for transmission."
                self.send(response);
            }
            (TransactionKind::NonInvite, ServerState::Trying | ServerState::Proceeding, _) => {
                // [RFC 3261 §17.2.2] "If the TU passes a final response (status codes
                // 200-699) to the server while in the "Proceeding" state, the
                // transaction MUST enter the "Completed" state, and the response MUST
                // be passed to the transport layer for transmission."
                self.send(response);
                self.state = ServerState::Completed;
                // [RFC 3261 §17.2.2] "When the server transaction enters the
                // "Completed" state, it MUST set Timer J to fire in 64*T1 seconds for
                // unreliable transports, and zero seconds for reliable transports."
                self.enter_linger(now, Timer::J);
            }
            // [RFC 3261 §17.2.2] "Any other final responses passed by the TU to the
            // server transaction MUST be discarded while in the "Completed" state."
            (_, state, _) => return Err(TransactionError::WrongState(state.as_str())),
        }
        Ok(())
    }

    fn send(&mut self, response: OwnedMessage) {
        self.transmits.push_back(response.clone());
        self.last_response = Some(response);
    }

    fn send_trying(&mut self) {
        self.trying_at = None;
        // [RFC 3261 §17.2.1] "The 100 (Trying) response is constructed according to
        // the procedures in Section 8.2.6, except that the insertion of tags in the
        // To header field of the response (when none was present in the request) is
        // downgraded from MAY to SHOULD NOT."
        if let Ok(trying) = response_to(&self.request.message(), 100, "Trying", None) {
            self.send(trying);
        }
    }

    fn enter_linger(&mut self, now: Instant, timer: Timer) {
        let d = self.timers.duration(timer, self.reliable);
        if d.is_zero() {
            self.terminate();
        } else {
            self.linger = Some((now + d, timer));
        }
    }

    fn terminate(&mut self) {
        self.trying_at = None;
        self.retransmit = None;
        self.timeout = None;
        self.linger = None;
        if self.state != ServerState::Terminated {
            // [RFC 3261 §17.2.2] "The server transaction MUST be destroyed the instant
            // it enters the "Terminated" state."
            // [RFC 3261 §17.2.1] "Once the transaction is in the "Terminated" state, it
            // MUST be destroyed immediately."
            self.state = ServerState::Terminated;
            self.events.push_back(ServerEvent::Terminated);
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.trying_at.is_some_and(|at| at <= now) {
            if self.state == ServerState::Proceeding && self.last_response.is_none() {
                self.send_trying();
            }
            self.trying_at = None;
        }
        if let Some((_, interval)) = self.retransmit.filter(|(at, _)| *at <= now) {
            if self.state == ServerState::Completed {
                // [RFC 3261 §17.2.1] "If timer G fires, the response is passed to the
                // transport layer once more for retransmission, and timer G is set to
                // fire in MIN(2*T1, T2) seconds."
                let next = self.timers.backoff(interval, true);
                if let Some(r) = &self.last_response {
                    self.transmits.push_back(r.clone());
                }
                self.retransmit = Some((now + next, next));
            } else {
                self.retransmit = None;
            }
        }
        if let Some((_, timer)) = self.timeout.filter(|(at, _)| *at <= now) {
            self.timeout = None;
            if timer == Timer::H {
                // [RFC 3261 §17.2.1] "In this case, the server transaction MUST
                // transition to the "Terminated" state, and MUST indicate to the TU
                // that a transaction failure has occurred."
                self.events.push_back(ServerEvent::Timeout(Timer::H));
            }
            // [RFC 6026 §7.1] "When Timer L fires and the state machine is in the
            // "Accepted" state, the machine MUST transition to the "Terminated"
            // state."
            self.terminate();
        }
        if self.linger.is_some_and(|(at, _)| at <= now) {
            // [RFC 3261 §17.2.1] "Once timer I fires, the server MUST transition to
            // the "Terminated" state."
            // [RFC 3261 §17.2.2] "The server transaction remains in this state until
            // Timer J fires, at which point it MUST transition to the "Terminated"
            // state."
            self.terminate();
        }
    }

    /// Tells the transaction that the transport failed to send a response.
    pub fn handle_transport_error(&mut self, _now: Instant) {
        if self.state == ServerState::Terminated {
            return;
        }
        self.events.push_back(ServerEvent::TransportError);
        match self.kind {
            // [RFC 6026 §7.1] "A server transaction MUST NOT discard transaction state
            // based only on encountering a non-recoverable transport error when
            // sending a response."
            TransactionKind::Invite => {}
            // [RFC 3261 §17.2.4] "the server transaction SHOULD inform the TU that a
            // failure has occurred, and SHOULD transition to the terminated state"
            TransactionKind::NonInvite => self.terminate(),
        }
    }

    /// The next message to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front().map(|message| Transmit {
            destination: self.destination.clone(),
            message,
        })
    }

    /// The next event for the transaction user, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.trying_at,
            self.retransmit.map(|(at, _)| at),
            self.timeout.map(|(at, _)| at),
            self.linger.map(|(at, _)| at),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
