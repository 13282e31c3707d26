//! The transaction layer: many transactions, message matching, the §18
//! receive rules, and one timer queue.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::message::{Message, Method};
use crate::owned::OwnedMessage;
use crate::timer::{TRYING_DELAY, Timer, TimerConfig};
use crate::transaction::{
    ClientEvent, ClientKey, ClientTransaction, ServerEvent, ServerKey, ServerTransaction,
    TransactionError, Transmit,
};
use crate::transport::{Destination, TransportKind, response_destination, stamp_received};

/// Identifies one transaction inside a [`TransactionLayer`]; never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(u64);

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tx{}", self.0)
    }
}

/// Settings of a [`TransactionLayer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerConfig {
    /// T1, T2 and T4.
    pub timers: TimerConfig,
    /// When INVITE server transactions send 100 (Trying) by themselves
    /// (`None`: never; the TU promises a response within 200 ms).
    pub trying_delay: Option<Duration>,
    /// The most transactions (client and server together) the layer holds;
    /// a request beyond it is refused with [`TransactionError::Capacity`].
    pub max_transactions: usize,
}

impl Default for LayerConfig {
    fn default() -> Self {
        Self {
            timers: TimerConfig::default(),
            trying_delay: Some(TRYING_DELAY),
            max_transactions: 100_000,
        }
    }
}

/// An input from the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// One SIP message received (a datagram, or one message framed from a
    /// stream by [`crate::StreamFramer`]).
    Received {
        /// The transport it came over.
        transport: TransportKind,
        /// The packet source address.
        source: SocketAddr,
        /// The message bytes.
        bytes: Bytes,
    },
}

/// What the layer tells the transaction user (UA core or proxy core).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A new request. `id` names the server transaction created for it;
    /// it is `None` for an ACK that matched no transaction (the ACK for a
    /// 2xx), which the core handles itself (RFC 3261 §18.2.1). The request's
    /// top Via carries `received`/`rport` as stamped on receipt.
    Request {
        /// The server transaction, if one was created.
        id: Option<TransactionId>,
        /// The request.
        request: OwnedMessage,
        /// Where it came from.
        source: SocketAddr,
        /// The transport it came over.
        transport: TransportKind,
    },
    /// A response for a client transaction.
    Response {
        /// The client transaction.
        id: TransactionId,
        /// The response.
        response: OwnedMessage,
    },
    /// A response that matched no client transaction (RFC 3261 §18.1.2):
    /// a proxy forwards it, a UA core checks for a 2xx retransmission.
    StrayResponse {
        /// The response.
        response: OwnedMessage,
        /// Where it came from.
        source: SocketAddr,
    },
    /// An ACK matched an INVITE server transaction in the Accepted state.
    Ack {
        /// The server transaction.
        id: TransactionId,
        /// The ACK.
        request: OwnedMessage,
    },
    /// A transaction timed out (Timer B, F or H).
    Timeout {
        /// The transaction.
        id: TransactionId,
        /// Which timer fired.
        timer: Timer,
    },
    /// The transport reported a failure for this transaction.
    TransportError {
        /// The transaction.
        id: TransactionId,
    },
    /// The transaction ended and was destroyed.
    Terminated {
        /// The transaction.
        id: TransactionId,
    },
}

/// Many client and server transactions behind one sans-IO interface.
///
/// Incoming requests are stamped (§18.2.1, RFC 3581) and matched to a
/// server transaction (§17.2.3) or given a new one; incoming responses are
/// matched to a client transaction (§17.1.3) or reported as stray. Timers
/// of all transactions share one queue.
#[derive(Debug)]
pub struct TransactionLayer {
    config: LayerConfig,
    next_id: u64,
    clients: HashMap<TransactionId, ClientTransaction>,
    client_index: HashMap<ClientKey, TransactionId>,
    servers: HashMap<TransactionId, ServerTransaction>,
    server_index: HashMap<ServerKey, TransactionId>,
    legacy: Vec<TransactionId>,
    timers: BinaryHeap<Reverse<(Instant, TransactionId)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl TransactionLayer {
    /// An empty layer.
    pub fn new(config: LayerConfig) -> Self {
        Self {
            config,
            next_id: 0,
            clients: HashMap::new(),
            client_index: HashMap::new(),
            servers: HashMap::new(),
            server_index: HashMap::new(),
            legacy: Vec::new(),
            timers: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The settings.
    pub const fn config(&self) -> &LayerConfig {
        &self.config
    }

    /// How many transactions are alive.
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    /// Whether no transaction is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The client transaction `id`, while it lives.
    pub fn client(&self, id: TransactionId) -> Option<&ClientTransaction> {
        self.clients.get(&id)
    }

    /// The server transaction `id`, while it lives.
    pub fn server(&self, id: TransactionId) -> Option<&ServerTransaction> {
        self.servers.get(&id)
    }

    /// Every live transaction id (client and server), in no order.
    pub fn ids(&self) -> impl Iterator<Item = TransactionId> + '_ {
        self.clients.keys().chain(self.servers.keys()).copied()
    }

    fn allocate(&mut self) -> Result<TransactionId, TransactionError> {
        if self.len() >= self.config.max_transactions {
            return Err(TransactionError::Capacity(self.config.max_transactions));
        }
        self.next_id += 1;
        Ok(TransactionId(self.next_id))
    }

    /// Starts a client transaction that sends `request` to `destination`.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: OwnedMessage,
        destination: Destination,
    ) -> Result<TransactionId, TransactionError> {
        let tx = ClientTransaction::new(now, request, destination, self.config.timers)?;
        if self.client_index.contains_key(tx.key()) {
            return Err(TransactionError::Duplicate);
        }
        let id = self.allocate()?;
        self.client_index.insert(tx.key().clone(), id);
        self.clients.insert(id, tx);
        self.after_client(id);
        Ok(id)
    }

    /// Sends a message outside any transaction: the ACK for a 2xx
    /// (§13.2.2.4), a 2xx retransmission by the UAS core (§13.3.1.4), a
    /// statelessly forwarded message.
    pub fn send_stateless(&mut self, destination: Destination, message: OwnedMessage) {
        self.transmits.push_back(Transmit {
            destination,
            message,
        });
    }

    /// Passes a response from the TU to server transaction `id`.
    pub fn send_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        response: OwnedMessage,
    ) -> Result<(), TransactionError> {
        let tx = self
            .servers
            .get_mut(&id)
            .ok_or(TransactionError::NoSuchTransaction)?;
        let result = tx.send_response(now, response);
        self.after_server(id);
        result
    }

    /// The INVITE server transaction a received CANCEL refers to
    /// (RFC 3261 §9.2), if it is alive.
    pub fn cancel_target(&self, cancel: &Message<'_>) -> Option<TransactionId> {
        match ServerKey::invite_for_cancel(cancel).ok()? {
            Some(key) => self.server_index.get(&key).copied(),
            None => self.legacy.iter().copied().find(|id| {
                self.servers.get(id).is_some_and(|tx| {
                    tx.kind() == crate::transaction::TransactionKind::Invite
                        && tx.matches_legacy_cancel(cancel)
                })
            }),
        }
    }

    /// Handles a message from the network. A message that does not parse,
    /// or lacks what matching needs, is returned as an error and otherwise
    /// ignored (RFC 3261 §18.3: a server or client discards it).
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Result<(), TransactionError> {
        let Input::Received {
            transport,
            source,
            bytes,
        } = input;
        let message = OwnedMessage::parse(bytes)?;
        if message.message().is_request() {
            self.receive_request(now, transport, source, message)
        } else {
            self.receive_response(now, source, message)
        }
    }

    fn receive_request(
        &mut self,
        now: Instant,
        transport: TransportKind,
        source: SocketAddr,
        message: OwnedMessage,
    ) -> Result<(), TransactionError> {
        // [RFC 3261 §18.2.1] "When the server transport receives a request over any
        // transport, it MUST examine the value of the "sent-by" parameter in the top
        // Via header field value."
        let request = match stamp_received(&message.message(), source)? {
            Some(stamped) => stamped,
            None => message,
        };
        let msg = request.message();
        let is_ack = msg.method() == Some(Method::Ack);
        let key = ServerKey::from_request(&msg)?;
        let existing = match &key {
            Some(k) => self.server_index.get(k).copied(),
            None => self.legacy.iter().copied().find(|id| {
                self.servers
                    .get(id)
                    .is_some_and(|tx| tx.matches_legacy(&msg))
            }),
        };
        if let Some(id) = existing {
            // [RFC 3261 §18.2.1] "If a matching server transaction is found, the
            // request is passed to that transaction for processing."
            if let Some(tx) = self.servers.get_mut(&id) {
                tx.handle_request(now, request.clone());
            }
            self.after_server(id);
            return Ok(());
        }
        if is_ack {
            // [RFC 3261 §18.2.1] "This means that when the ACK arrives, there will be
            // no matching server transaction, and based on this rule, the ACK is
            // passed to the UAS core, where it is processed."
            self.events.push_back(Event::Request {
                id: None,
                request,
                source,
                transport,
            });
            return Ok(());
        }
        let via = msg.top_via()?;
        let destination = response_destination(&via, source);
        let tx = ServerTransaction::new(now, request.clone(), destination, self.config.timers)?
            .with_trying_delay(now, self.config.trying_delay);
        let id = self.allocate()?;
        match key {
            Some(k) => {
                self.server_index.insert(k, id);
            }
            None => self.legacy.push(id),
        }
        self.servers.insert(id, tx);
        // [RFC 3261 §17.2.1] "The request MUST be passed to the TU."
        self.events.push_back(Event::Request {
            id: Some(id),
            request,
            source,
            transport,
        });
        self.after_server(id);
        Ok(())
    }

    fn receive_response(
        &mut self,
        now: Instant,
        source: SocketAddr,
        response: OwnedMessage,
    ) -> Result<(), TransactionError> {
        let key = ClientKey::from_response(&response.message())?;
        match self.client_index.get(&key).copied() {
            Some(id) => {
                // [RFC 3261 §18.1.2] "If there is a match, the response MUST be passed
                // to that transaction."
                if let Some(tx) = self.clients.get_mut(&id) {
                    tx.handle_response(now, response);
                }
                self.after_client(id);
            }
            None => {
                // [RFC 3261 §18.1.2] "Otherwise, the response MUST be passed to the
                // core (whether it be stateless proxy, stateful proxy, or UA) for
                // further processing."
                self.events
                    .push_back(Event::StrayResponse { response, source });
            }
        }
        Ok(())
    }

    /// Ends client transaction `id` at the TU's request (see
    /// [`ClientTransaction::abandon`]); returns whether it was alive.
    pub fn abandon(&mut self, id: TransactionId) -> bool {
        let Some(tx) = self.clients.get_mut(&id) else {
            return false;
        };
        tx.abandon();
        self.after_client(id);
        true
    }

    /// Tells transaction `id` that the transport failed to send for it.
    pub fn handle_transport_error(&mut self, now: Instant, id: TransactionId) {
        if let Some(tx) = self.clients.get_mut(&id) {
            tx.handle_transport_error(now);
            self.after_client(id);
        } else if let Some(tx) = self.servers.get_mut(&id) {
            tx.handle_transport_error(now);
            self.after_server(id);
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if let Some(tx) = self.clients.get_mut(&id) {
                if tx.poll_timeout().is_some_and(|t| t <= now) {
                    tx.handle_timeout(now);
                    self.after_client(id);
                }
            } else if let Some(tx) = self.servers.get_mut(&id) {
                if tx.poll_timeout().is_some_and(|t| t <= now) {
                    tx.handle_timeout(now);
                    self.after_server(id);
                }
            }
        }
        self.compact_timers();
    }

    /// The next message to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the transaction user, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    /// May be earlier than needed (a timer that was since cancelled), never
    /// later.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// Drains a client transaction's output into the layer's queues and
    /// destroys it when it terminated.
    fn after_client(&mut self, id: TransactionId) {
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        while let Some(t) = tx.poll_transmit() {
            self.transmits.push_back(t);
        }
        let mut terminated = false;
        while let Some(e) = tx.poll_event() {
            self.events.push_back(match e {
                ClientEvent::Response(response) => Event::Response { id, response },
                ClientEvent::Timeout(timer) => Event::Timeout { id, timer },
                ClientEvent::TransportError => Event::TransportError { id },
                ClientEvent::Terminated => {
                    terminated = true;
                    Event::Terminated { id }
                }
            });
        }
        if terminated {
            if let Some(tx) = self.clients.remove(&id) {
                self.client_index.remove(tx.key());
            }
        } else if let Some(at) = tx.poll_timeout() {
            self.timers.push(Reverse((at, id)));
        }
        self.compact_timers();
    }

    /// As [`after_client`](Self::after_client), for a server transaction.
    fn after_server(&mut self, id: TransactionId) {
        let Some(tx) = self.servers.get_mut(&id) else {
            return;
        };
        while let Some(t) = tx.poll_transmit() {
            self.transmits.push_back(t);
        }
        let mut terminated = false;
        while let Some(e) = tx.poll_event() {
            self.events.push_back(match e {
                ServerEvent::Ack(request) => Event::Ack { id, request },
                ServerEvent::Timeout(timer) => Event::Timeout { id, timer },
                ServerEvent::TransportError => Event::TransportError { id },
                ServerEvent::Terminated => {
                    terminated = true;
                    Event::Terminated { id }
                }
            });
        }
        if terminated {
            if let Some(tx) = self.servers.remove(&id) {
                match tx.key() {
                    Some(k) => {
                        self.server_index.remove(k);
                    }
                    None => self.legacy.retain(|l| *l != id),
                }
            }
        } else if let Some(at) = tx.poll_timeout() {
            self.timers.push(Reverse((at, id)));
        }
        self.compact_timers();
    }

    /// Rebuilds the timer queue when stale entries (for transactions that
    /// ended or rescheduled) outnumber live ones, so it stays bounded.
    fn compact_timers(&mut self) {
        if self.timers.len() <= 4 * self.len() + 64 {
            return;
        }
        let mut fresh = BinaryHeap::with_capacity(self.len());
        for (id, tx) in &self.clients {
            if let Some(at) = tx.poll_timeout() {
                fresh.push(Reverse((at, *id)));
            }
        }
        for (id, tx) in &self.servers {
            if let Some(at) = tx.poll_timeout() {
                fresh.push(Reverse((at, *id)));
            }
        }
        self.timers = fresh;
    }
}
