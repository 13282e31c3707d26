//! Client transactions: INVITE (RFC 3261 §17.1.1 with RFC 6026 §7.2) and
//! non-INVITE (§17.1.2).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::builder::ack_for_non_2xx;
use crate::message::Method;
use crate::owned::OwnedMessage;
use crate::timer::{Timer, TimerConfig};
use crate::transaction::{ClientKey, TransactionError, TransactionKind, Transmit};
use crate::transport::Destination;

/// The states of Figures 5 and 6 of RFC 3261, with the Accepted state of
/// RFC 6026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientState {
    /// INVITE sent, no response yet.
    Calling,
    /// Non-INVITE request sent, no response yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived (300-699 for INVITE, any for non-INVITE);
    /// absorbing retransmissions of it.
    Completed,
    /// A 2xx to the INVITE arrived; passing further 2xx to the TU
    /// (RFC 6026).
    Accepted,
    /// Done; the transaction must be destroyed.
    Terminated,
}

impl ClientState {
    /// The state's name as the RFC writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Calling => "Calling",
            Self::Trying => "Trying",
            Self::Proceeding => "Proceeding",
            Self::Completed => "Completed",
            Self::Accepted => "Accepted",
            Self::Terminated => "Terminated",
        }
    }
}

/// What a client transaction tells its transaction user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A response for the TU (provisional, final, or a further 2xx in the
    /// Accepted state).
    Response(OwnedMessage),
    /// No final response in time: Timer B (INVITE) or Timer F
    /// (non-INVITE) fired.
    Timeout(Timer),
    /// The transport could not send the request (RFC 3261 §17.1.4).
    TransportError,
    /// The transaction ended; destroy it.
    Terminated,
}

/// A client transaction for one request: it sends the request, retransmits
/// it on unreliable transports, absorbs response retransmissions and, for
/// an INVITE, acknowledges non-2xx final responses.
#[derive(Debug)]
pub struct ClientTransaction {
    kind: TransactionKind,
    state: ClientState,
    key: ClientKey,
    request: OwnedMessage,
    destination: Destination,
    reliable: bool,
    timers: TimerConfig,
    ack: Option<OwnedMessage>,
    /// Timer A or E: when it fires and the interval it was last set with.
    retransmit: Option<(Instant, Duration)>,
    /// Timer B, F or M.
    timeout: Option<(Instant, Timer)>,
    /// Timer D or K.
    linger: Option<(Instant, Timer)>,
    transmits: VecDeque<OwnedMessage>,
    events: VecDeque<ClientEvent>,
}

impl ClientTransaction {
    /// Starts a client transaction for `request` (not ACK), to be sent to
    /// `destination`; the request is queued for transmission at once.
    pub fn new(
        now: Instant,
        request: OwnedMessage,
        destination: Destination,
        timers: TimerConfig,
    ) -> Result<Self, TransactionError> {
        let msg = request.message();
        let method = msg.method().ok_or(TransactionError::Expected("request"))?;
        let key = ClientKey::from_request(&msg)?;
        let kind = match method {
            Method::Ack => return Err(TransactionError::AckTransaction),
            Method::Invite => TransactionKind::Invite,
            _ => TransactionKind::NonInvite,
        };
        let reliable = destination.transport().is_reliable();
        let mut tx = Self {
            kind,
            // [RFC 3261 §17.1.1.2] "The initial state, "calling", MUST be entered when
            // the TU initiates a new client transaction with an INVITE request."
            state: match kind {
                TransactionKind::Invite => ClientState::Calling,
                // [RFC 3261 §17.1.2.2] "The "Trying" state is entered when the TU
                // initiates a new client transaction with a request."
                TransactionKind::NonInvite => ClientState::Trying,
            },
            key,
            request,
            destination,
            reliable,
            timers,
            ack: None,
            retransmit: None,
            timeout: None,
            linger: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        // [RFC 3261 §17.1.1.2] "The client transaction MUST pass the request to the
        // transport layer for transmission"
        // [RFC 3261 §17.1.2.2] "The request MUST be passed to the transport layer for
        // transmission."
        tx.transmits.push_back(tx.request.clone());
        let (retransmit_timer, timeout_timer) = match kind {
            TransactionKind::Invite => (Timer::A, Timer::B),
            TransactionKind::NonInvite => (Timer::E, Timer::F),
        };
        // [RFC 3261 §17.1.1.2] "If an unreliable transport is being used, the client
        // transaction MUST start timer A with a value of T1."
        // [RFC 3261 §17.1.2.2] "If an unreliable transport is in use, the client
        // transaction MUST set timer E to fire in T1 seconds."
        if !reliable {
            let t1 = timers.duration(retransmit_timer, false);
            tx.retransmit = Some((now + t1, t1));
        }
        // [RFC 3261 §17.1.1.2] "For any transport, the client transaction MUST start
        // timer B with a value of 64*T1 seconds"
        // [RFC 3261 §17.1.2.2] "When entering this state, the client transaction
        // SHOULD set timer F to fire in 64*T1 seconds."
        tx.timeout = Some((
            now + timers.duration(timeout_timer, reliable),
            timeout_timer,
        ));
        Ok(tx)
    }

    /// INVITE or non-INVITE.
    pub const fn kind(&self) -> TransactionKind {
        self.kind
    }

    /// The current state.
    pub const fn state(&self) -> ClientState {
        self.state
    }

    /// The key responses are matched with (RFC 3261 §17.1.3).
    pub const fn key(&self) -> &ClientKey {
        &self.key
    }

    /// The request that created the transaction.
    pub const fn request(&self) -> &OwnedMessage {
        &self.request
    }

    /// Where the request (and any ACK) is sent.
    pub const fn destination(&self) -> &Destination {
        &self.destination
    }

    /// Whether the transaction has ended and must be destroyed.
    pub fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    /// Passes a response that matched this transaction (see
    /// [`ClientKey::from_response`]). Responses that are not 1xx-6xx, or
    /// that arrive after the transaction ended, are dropped.
    pub fn handle_response(&mut self, now: Instant, response: OwnedMessage) {
        let Some(status) = response.message().status() else {
            return;
        };
        if !(100..700).contains(&status) {
            return;
        }
        match self.kind {
            TransactionKind::Invite => self.invite_response(now, status, response),
            TransactionKind::NonInvite => self.non_invite_response(now, status, response),
        }
    }

    fn invite_response(&mut self, now: Instant, status: u16, response: OwnedMessage) {
        match (self.state, status) {
            (ClientState::Calling | ClientState::Proceeding, 100..=199) => {
                // [RFC 3261 §17.1.1.2] "Any further provisional responses MUST be
                // passed up to the TU while in the "Proceeding" state."
                // [RFC 3261 §17.1.1.2] "In the "Proceeding" state, the client
                // transaction SHOULD NOT retransmit the request any longer."
                self.retransmit = None;
                // Timer B only ends a transaction still in "Calling"; from here
                // on the TU decides (CANCEL, or Timer C at a proxy).
                self.timeout = None;
                self.state = ClientState::Proceeding;
                // [RFC 3261 §17.1.1.2] "Furthermore, the provisional response MUST
                // be passed to the TU."
                self.events.push_back(ClientEvent::Response(response));
            }
            // [RFC 3261 §17.1.1.2 exception: RFC 6026 §7.2 Accepted state] "reception
            // of a 2xx response MUST cause the client transaction to enter the
            // "Terminated" state"
            (ClientState::Calling | ClientState::Proceeding, 200..=299) => {
                // [RFC 6026 §7.2] "If a 2xx response is received while the client
                // INVITE state machine is in the "Calling" or "Proceeding" states, it
                // MUST transition to the "Accepted" state, pass the 2xx response to
                // the TU, and set Timer M to 64*T1."
                self.retransmit = None;
                self.state = ClientState::Accepted;
                self.timeout = Some((
                    now + self.timers.duration(Timer::M, self.reliable),
                    Timer::M,
                ));
                self.events.push_back(ClientEvent::Response(response));
            }
            (ClientState::Accepted, 200..=299) => {
                // [RFC 6026 §7.2] "A 2xx response received while in the "Accepted"
                // state MUST be passed to the TU and the machine remains in the
                // "Accepted" state."
                self.events.push_back(ClientEvent::Response(response));
            }
            // [RFC 3261 §17.1.1.2] "When in either the "Calling" or "Proceeding"
            // states, reception of a response with status code from 300-699 MUST cause
            // the client transaction to transition to "Completed"."
            (ClientState::Calling | ClientState::Proceeding, _) => {
                // [RFC 3261 §17.1.1.2] "the client transaction MUST generate an ACK
                // request, even if the transport is reliable"
                let ack = ack_for_non_2xx(&self.request.message(), &response.message()).ok();
                if let Some(ack) = &ack {
                    // [RFC 3261 §17.1.1.2] "The ACK MUST be sent to the same address,
                    // port, and transport to which the original request was sent."
                    self.transmits.push_back(ack.clone());
                }
                self.ack = ack;
                self.retransmit = None;
                self.timeout = None;
                self.state = ClientState::Completed;
                // [RFC 3261 §17.1.1.2] "The client transaction MUST pass the
                // received response up to the TU"
                self.events.push_back(ClientEvent::Response(response));
                // [RFC 6026 §8.4] "The client transaction MUST start Timer D when it
                // enters the "Completed" state for any reason"
                self.enter_linger(now, Timer::D);
            }
            (ClientState::Completed, 300..=699) => {
                // [RFC 3261 §17.1.1.2] "Any retransmissions of the final response that
                // are received while in the "Completed" state MUST cause the ACK to be
                // re-passed to the transport layer for retransmission, but the newly
                // received response MUST NOT be passed up to the TU."
                if let Some(ack) = &self.ack {
                    self.transmits.push_back(ack.clone());
                }
            }
            // Late provisional responses, a 2xx after a non-2xx, anything after
            // Terminated: absorbed.
            _ => {}
        }
    }

    fn non_invite_response(&mut self, now: Instant, status: u16, response: OwnedMessage) {
        match (self.state, status) {
            (ClientState::Trying | ClientState::Proceeding, 100..=199) => {
                // [RFC 3261 §17.1.2.2] "If a provisional response is received while in
                // the "Trying" state, the response MUST be passed to the TU, and then
                // the client transaction SHOULD move to the "Proceeding" state."
                self.state = ClientState::Proceeding;
                self.events.push_back(ClientEvent::Response(response));
            }
            (ClientState::Trying | ClientState::Proceeding, _) => {
                // [RFC 3261 §17.1.2.2] "If a final response (status codes 200-699) is
                // received while in the "Trying" state, the response MUST be passed to
                // the TU, and the client transaction MUST transition to the "Completed"
                // state."
                // [RFC 3261 §17.1.2.2] "If a final response (status codes 200-699) is
                // received while in the "Proceeding" state, the response MUST be
                // passed to the TU, and the client transaction MUST transition to the
                // "Completed" state."
                self.retransmit = None;
                self.timeout = None;
                self.state = ClientState::Completed;
                self.events.push_back(ClientEvent::Response(response));
                // [RFC 3261 §17.1.2.2] "Once the client transaction enters the
                // "Completed" state, it MUST set Timer K to fire in T4 seconds for
                // unreliable transports, and zero seconds for reliable transports."
                self.enter_linger(now, Timer::K);
            }
            // [RFC 3261 §17.1.2.2] "The "Completed" state exists to buffer any
            // additional response retransmissions that may be received"
            _ => {}
        }
    }

    /// Starts Timer D or K; a zero duration (reliable transports) ends the
    /// transaction at once.
    fn enter_linger(&mut self, now: Instant, timer: Timer) {
        let d = self.timers.duration(timer, self.reliable);
        if d.is_zero() {
            self.terminate();
        } else {
            self.linger = Some((now + d, timer));
        }
    }

    fn terminate(&mut self) {
        self.retransmit = None;
        self.timeout = None;
        self.linger = None;
        if self.state != ClientState::Terminated {
            // [RFC 3261 §17.1.2.2] "Once the transaction is in the terminated state,
            // it MUST be destroyed immediately."
            // [RFC 3261 §17.1.1.2] "The client transaction MUST be destroyed the
            // instant it enters the "Terminated" state."
            self.state = ClientState::Terminated;
            self.events.push_back(ClientEvent::Terminated);
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, interval)) = self.retransmit.filter(|(at, _)| *at <= now) {
            match (self.kind, self.state) {
                (TransactionKind::Invite, ClientState::Calling) => {
                    // [RFC 3261 §17.1.1.2] "When timer A fires, the client transaction
                    // MUST retransmit the request by passing it to the transport layer,
                    // and MUST reset the timer with a value of 2*T1."
                    // [RFC 3261 §17.1.1.2] "This process MUST continue so that the
                    // request is retransmitted with intervals that double after each
                    // transmission."
                    // [RFC 3261 §17.1.1.2] "When timer A fires 2*T1 seconds later, the
                    // request MUST be retransmitted again"
                    // [RFC 3261 §17.1.1.2] "Whatever the value of T1, the exponential
                    // backoffs on retransmissions described in this section MUST be
                    // used."
                    let next = self.timers.backoff(interval, false);
                    self.transmits.push_back(self.request.clone());
                    self.retransmit = Some((now + next, next));
                }
                (TransactionKind::NonInvite, ClientState::Trying) => {
                    // [RFC 3261 §17.1.2.2] "If timer E fires while still in this state,
                    // the timer is reset, but this time with a value of MIN(2*T1, T2)."
                    let next = self.timers.backoff(interval, true);
                    self.transmits.push_back(self.request.clone());
                    self.retransmit = Some((now + next, next));
                }
                (TransactionKind::NonInvite, ClientState::Proceeding) => {
                    // [RFC 3261 §17.1.2.2] "If Timer E fires while in the "Proceeding"
                    // state, the request MUST be passed to the transport layer for
                    // retransmission, and Timer E MUST be reset with a value of T2
                    // seconds."
                    let t2 = self.timers.t2;
                    self.transmits.push_back(self.request.clone());
                    self.retransmit = Some((now + t2, t2));
                }
                // [RFC 3261 §17.1.1.2] "These retransmissions SHOULD only be done
                // while the client transaction is in the "calling" state."
                _ => self.retransmit = None,
            }
        }
        if let Some((_, timer)) = self.timeout.filter(|(at, _)| *at <= now) {
            self.timeout = None;
            match timer {
                // [RFC 6026 §7.2] "When Timer M fires and the state machine is in the
                // "Accepted" state, the machine MUST transition to the "Terminated"
                // state."
                Timer::M => self.terminate(),
                _ => {
                    // [RFC 3261 §17.1.1.2] "If the client transaction is still in the
                    // "Calling" state when timer B fires, the client transaction SHOULD
                    // inform the TU that a timeout has occurred."
                    // [RFC 3261 §17.1.1.2] "The client transaction MUST NOT generate an
                    // ACK."
                    // [RFC 3261 §17.1.2.2] "If Timer F fires while the client
                    // transaction is still in the "Trying" state, the client
                    // transaction SHOULD inform the TU about the timeout, and then it
                    // SHOULD enter the "Terminated" state."
                    // [RFC 3261 §17.1.2.2] "If timer F fires while in the "Proceeding"
                    // state, the TU MUST be informed of a timeout, and the client
                    // transaction MUST transition to the terminated state."
                    self.events.push_back(ClientEvent::Timeout(timer));
                    self.terminate();
                }
            }
        }
        if self.linger.is_some_and(|(at, _)| at <= now) {
            // [RFC 3261 §17.1.1.2] "If timer D fires while the client transaction is
            // in the "Completed" state, the client transaction MUST move to the
            // terminated state."
            // [RFC 3261 §17.1.2.2] "If Timer K fires while in this state, the client
            // transaction MUST transition to the "Terminated" state."
            self.terminate();
        }
    }

    /// Ends the transaction at the TU's request: a CANCELled INVITE that got
    /// no final response within 64*T1 after the CANCEL (RFC 3261 §9.1).
    pub fn abandon(&mut self) {
        // [RFC 3261 §9.1] "the client SHOULD then consider the original transaction
        // cancelled and SHOULD destroy the client transaction handling the original
        // request"
        self.terminate();
    }

    /// Tells the transaction that the transport failed to send its request
    /// or ACK.
    pub fn handle_transport_error(&mut self, _now: Instant) {
        if matches!(self.state, ClientState::Terminated | ClientState::Accepted) {
            return;
        }
        // [RFC 3261 §17.1.4] "The client transaction SHOULD inform the TU that a
        // transport failure has occurred, and the client transaction SHOULD
        // transition directly to the "Terminated" state."
        self.events.push_back(ClientEvent::TransportError);
        self.terminate();
    }

    /// The next message to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front().map(|message| Transmit {
            destination: self.destination.clone(),
            message,
        })
    }

    /// The next event for the transaction user, if any.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.retransmit.map(|(at, _)| at),
            self.timeout.map(|(at, _)| at),
            self.linger.map(|(at, _)| at),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
