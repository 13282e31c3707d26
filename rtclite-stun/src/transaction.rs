//! Client transactions (RFC 8489 §6.2): retransmission over UDP with RTO
//! doubling, Rc and Rm; the Ti timeout over TCP; sans-IO.
//!
//! Drive loop: create the transaction, then drain [`ClientTransaction::poll_transmit`]
//! (the request to send), wait until [`ClientTransaction::poll_timeout`] and call
//! [`ClientTransaction::handle_timeout`], feed every response whose
//! transaction ID matches to [`ClientTransaction::handle_response`], and read
//! the outcome from [`ClientTransaction::poll_event`].

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::message::{Message, TransactionId};

/// Timer settings of §6.2.1 and §6.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionConfig {
    /// Initial retransmission timeout.
    pub rto: Duration,
    /// Total number of requests sent over UDP (Rc).
    pub rc: u32,
    /// Multiplier of the RTO after the last request (Rm).
    pub rm: u32,
    /// Timeout of a transaction over a reliable transport (Ti).
    pub ti: Duration,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        TransactionConfig {
            // [RFC 8489 §6.2.1] "In fixed-line
            // access links, a value of 500 ms is RECOMMENDED."
            rto: Duration::from_millis(500),
            // [RFC 8489 §6.2.1] "Rc SHOULD be configurable and
            // SHOULD have a default of 7."
            rc: 7,
            // [RFC 8489 §6.2.1] "Rm SHOULD be configurable and SHOULD have a default of 16."
            rm: 16,
            // [RFC 8489 §6.2.2] "Ti SHOULD be
            // configurable and SHOULD have a default of 39.5 s."
            ti: Duration::from_millis(39_500),
        }
    }
}

// TLS/DTLS and DNS belong to the caller's transport (sans-IO):
// [RFC 8489 §6.2.3 exception: TLS is the caller's transport, not this crate's] "When it
// receives the TLS Certificate message, the client MUST verify the certificate and
// inspect the site identified by the certificate."
// [RFC 8489 §8 exception: sans-IO, the caller resolves names (see `uri`)] "Hard-
// coding a STUN URI into software is NOT RECOMMENDED"
// A 300 (Try Alternate) ends the transaction with its response like any
// other; `crate::redirect::Redirects` decides whether to retry elsewhere.
/// The transport a transaction runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP or DTLS-over-UDP: the client retransmits.
    Unreliable,
    /// TCP or TLS-over-TCP: no retransmission, one Ti timeout.
    Reliable,
}

/// A datagram (or stream write) to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The bytes.
    pub payload: Vec<u8>,
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionEvent {
    /// A response arrived (its bytes; parse them with [`Message::parse`]).
    Response(Vec<u8>),
    /// No response in time.
    TimedOut,
    /// Responses arrived but every one failed the integrity check.
    IntegrityViolation,
}

/// One STUN client transaction.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    id: TransactionId,
    request: Vec<u8>,
    destination: SocketAddr,
    transport: Transport,
    config: TransactionConfig,
    sent: u32,
    rto: Duration,
    started: Instant,
    next: Option<Instant>,
    pending_transmit: bool,
    integrity_failures: u32,
    event: Option<TransactionEvent>,
    done: bool,
}

impl ClientTransaction {
    /// Starts a transaction for `request` (a complete encoded STUN request).
    /// Returns `None` when `request` is not a parseable STUN message.
    pub fn new(
        now: Instant,
        request: Vec<u8>,
        destination: SocketAddr,
        transport: Transport,
        config: TransactionConfig,
    ) -> Option<Self> {
        let id = Message::parse(&request).ok()?.transaction_id();
        let next = match transport {
            Transport::Unreliable => now + config.rto,
            // [RFC 8489 §6.2.2] "if the client has not
            // received a response by Ti seconds after it sent the request message,
            // it considers the transaction to have timed out."
            Transport::Reliable => now + config.ti,
        };
        // [RFC 8489 §5] "Resends of the same request reuse the same transaction ID"
        Some(ClientTransaction {
            id,
            request,
            destination,
            transport,
            config,
            sent: 0,
            rto: config.rto,
            started: now,
            next: Some(next),
            pending_transmit: true,
            integrity_failures: 0,
            event: None,
            done: false,
        })
    }

    /// The transaction ID.
    pub fn id(&self) -> TransactionId {
        self.id
    }

    /// When the transaction started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// How many times the request has been handed out by `poll_transmit`.
    pub fn requests_sent(&self) -> u32 {
        self.sent
    }

    /// True once an event has been produced.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next request (or retransmission) to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if !self.pending_transmit || self.done {
            return None;
        }
        self.pending_transmit = false;
        self.sent += 1;
        Some(Transmit {
            destination: self.destination,
            payload: self.request.clone(),
        })
    }

    /// When [`ClientTransaction::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.done { None } else { self.next }
    }

    /// The outcome, once.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.event.take()
    }

    /// Advances the timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(next) = self.next else { return };
        if self.done || now < next {
            return;
        }
        match self.transport {
            Transport::Reliable => self.fail(),
            Transport::Unreliable => {
                // [RFC 8489 §6.2.1] "Retransmissions continue until a response is received or until a
                // total of Rc requests have been sent."
                if self.sent < self.config.rc {
                    // [RFC 8489 §6.2.1] "A client SHOULD retransmit a STUN request message starting with an
                    // interval of RTO ("Retransmission TimeOut"), doubling after each
                    // retransmission."
                    self.rto = self.rto.saturating_mul(2);
                    self.pending_transmit = true;
                    self.next = Some(if self.sent + 1 == self.config.rc {
                        // [RFC 8489 §6.2.1] "If, after the last request, a duration
                        // equal to Rm times the RTO has passed without a response (providing
                        // ample time to get a response if only this final request actually
                        // succeeds), the client SHOULD consider the transaction to have failed."
                        next + self.config.rto.saturating_mul(self.config.rm)
                    } else {
                        next + self.rto
                    });
                } else {
                    self.fail();
                }
            }
        }
    }

    fn fail(&mut self) {
        self.done = true;
        self.next = None;
        // [RFC 8489 §9.1.4] "If all the responses
        // received are discarded, then instead of signaling a timeout after
        // ending the transaction, the layer MUST signal that the integrity
        // protection was violated."
        self.event = Some(if self.integrity_failures > 0 {
            TransactionEvent::IntegrityViolation
        } else {
            TransactionEvent::TimedOut
        });
    }

    /// Feeds a response. Returns `true` when it belongs to this transaction
    /// (same transaction ID) and ended it.
    pub fn handle_response(&mut self, response: &Message<'_>) -> bool {
        if self.done || response.transaction_id() != self.id || !response.class().is_response() {
            return false;
        }
        self.done = true;
        self.next = None;
        self.event = Some(TransactionEvent::Response(response.as_bytes().to_vec()));
        true
    }

    /// Records a matching response that was discarded because its integrity
    /// check failed. Over a reliable transport the transaction ends at once.
    pub fn handle_integrity_failure(&mut self) {
        if self.done {
            return;
        }
        self.integrity_failures += 1;
        // [RFC 8489 §9.1.4] "If the request was sent over a reliable transport, the response MUST
        // be discarded, and the layer MUST immediately end the transaction and
        // signal that the integrity protection was violated."
        if self.transport == Transport::Reliable {
            self.fail();
        }
    }
}

impl ClientTransaction {
    /// The round-trip time this transaction measured, for an RTO estimator:
    /// `None` when the request was retransmitted (Karn's algorithm) or no
    /// response has arrived.
    // [RFC 8489 §6.2.1] "When applied to STUN, it means
    // that RTT estimates SHOULD NOT be computed from STUN transactions that
    // result in the retransmission of a request."
    pub fn rtt_sample(&self, response_at: Instant) -> Option<Duration> {
        let answered = self.done && self.integrity_failures == 0 && self.sent == 1;
        answered.then(|| response_at.saturating_duration_since(self.started))
    }
}

/// Lowest RTO the cache hands out: sub-millisecond loopback RTTs must not
/// turn into a retransmission storm (RFC 6298's 1 s floor does not apply to
/// STUN, RFC 8489 §6.2.1).
pub const RTO_FLOOR: Duration = Duration::from_millis(100);
/// Most servers an [`RtoCache`] remembers.
pub const RTO_CACHE_LIMIT: usize = 256;
/// How long a cached RTO stays usable without a transaction to that server.
pub const RTO_STALE_AFTER: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy)]
struct RtoState {
    srtt: Duration,
    rttvar: Duration,
    rto: Duration,
    last_used: Instant,
}

/// RTO estimates per server IP address (RFC 8489 §6.2.1 with RFC 6298).
///
/// Ask [`RtoCache::rto`] for the initial RTO of a new transaction, feed
/// [`ClientTransaction::rtt_sample`] back with [`RtoCache::record`].
#[derive(Debug, Clone)]
pub struct RtoCache {
    initial: Duration,
    entries: std::collections::HashMap<std::net::IpAddr, RtoState>,
}

impl RtoCache {
    /// A cache whose unknown or stale servers start at `initial` (500 ms is
    /// the RFC's recommendation).
    pub fn new(initial: Duration) -> Self {
        RtoCache {
            initial,
            entries: std::collections::HashMap::new(),
        }
    }

    /// The RTO to start a transaction to `server` with.
    pub fn rto(&self, now: Instant, server: std::net::IpAddr) -> Duration {
        match self.entries.get(&server) {
            // [RFC 8489 §6.2.1] "The value SHOULD be considered stale and discarded if no
            // transactions have occurred to the same server in the last 10 minutes."
            Some(e) if now.saturating_duration_since(e.last_used) < RTO_STALE_AFTER => e.rto,
            _ => self.initial,
        }
    }

    /// Records an RTT measured to `server`.
    // [RFC 8489 §6.2.1] "The value for RTO SHOULD be cached by a client after the completion
    // of the transaction and used as the starting value for RTO for the
    // next transaction to the same server (based on equality of IP
    // address)."
    pub fn record(&mut self, now: Instant, server: std::net::IpAddr, rtt: Duration) {
        let fresh = self
            .entries
            .get(&server)
            .filter(|e| now.saturating_duration_since(e.last_used) < RTO_STALE_AFTER)
            .copied();
        let (srtt, rttvar) = match fresh {
            // RFC 6298 §2.2: the first measurement.
            None => (rtt, rtt / 2),
            // RFC 6298 §2.3: alpha = 1/8, beta = 1/4.
            Some(e) => {
                let diff = e.srtt.abs_diff(rtt);
                (e.srtt * 7 / 8 + rtt / 8, e.rttvar * 3 / 4 + diff / 4)
            }
        };
        // [RFC 8489 §6.2.1] "Second, the value of
        // RTO SHOULD NOT be rounded up to the nearest second.  Rather, a 1 ms
        // accuracy SHOULD be maintained."
        let rto = (srtt + (rttvar * 4).max(Duration::from_millis(1)))
            .clamp(RTO_FLOOR, Duration::from_secs(60));
        if self.entries.len() >= RTO_CACHE_LIMIT && !self.entries.contains_key(&server) {
            // Bounded: forget the least recently used server.
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| *k)
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(
            server,
            RtoState {
                srtt,
                rttvar,
                rto,
                last_used: now,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{MessageType, MessageWriter};

    fn request() -> Vec<u8> {
        let mut buf = Vec::new();
        MessageWriter::new(
            &mut buf,
            MessageType::BINDING_REQUEST,
            TransactionId([1; 12]),
        )
        .finish();
        buf
    }

    /// A Binding success response with transaction ID `[id; 12]`.
    fn success(id: u8) -> Vec<u8> {
        let mut buf = Vec::new();
        MessageWriter::new(
            &mut buf,
            MessageType::BINDING_SUCCESS,
            TransactionId([id; 12]),
        )
        .finish();
        buf
    }

    /// A Binding transaction to a fixed server with the default timers.
    fn transaction(t0: Instant, transport: Transport) -> ClientTransaction {
        let dest = "127.0.0.1:3478".parse().unwrap();
        ClientTransaction::new(t0, request(), dest, transport, TransactionConfig::default())
            .unwrap()
    }

    // [RFC 8489 §6.2.1 test] "For example, assuming an
    // RTO of 500 ms, requests would be sent at times 0 ms, 500 ms, 1500 ms,
    // 3500 ms, 7500 ms, 15500 ms, and 31500 ms."
    #[test]
    fn udp_schedule_matches_the_rfc_example() {
        let t0 = Instant::now();
        let mut tx = transaction(t0, Transport::Unreliable);
        let mut sends = Vec::new();
        let mut end = None;
        for _ in 0..20 {
            while tx.poll_transmit().is_some() {
                sends.push(0);
            }
            if let Some(ev) = tx.poll_event() {
                assert_eq!(ev, TransactionEvent::TimedOut);
                break;
            }
            let Some(at) = tx.poll_timeout() else { break };
            tx.handle_timeout(at);
            if tx.poll_transmit().is_some() {
                sends.push((at - t0).as_millis() as u64);
            }
            if tx.is_done() {
                end = Some((at - t0).as_millis());
            }
        }
        assert_eq!(sends, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
        // [RFC 8489 §6.2.1 test] "If the client has not
        // received a response after 39500 ms, the client will consider the
        // transaction to have timed out."
        assert_eq!(end, Some(39500));
        assert_eq!(tx.requests_sent(), 7);
    }

    #[test]
    fn tcp_times_out_after_ti_without_retransmitting() {
        let t0 = Instant::now();
        let mut tx = transaction(t0, Transport::Reliable);
        assert!(tx.poll_transmit().is_some());
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(39_500)));
        tx.handle_timeout(t0 + Duration::from_millis(39_499));
        assert!(tx.poll_event().is_none());
        tx.handle_timeout(t0 + Duration::from_millis(39_500));
        assert!(tx.poll_transmit().is_none());
        assert_eq!(tx.poll_event(), Some(TransactionEvent::TimedOut));
    }

    #[test]
    fn response_ends_and_integrity_failures_change_the_outcome() {
        let t0 = Instant::now();
        let mut tx = transaction(t0, Transport::Unreliable);
        let _ = tx.poll_transmit();
        tx.handle_integrity_failure();
        let mut t = t0;
        while let Some(at) = tx.poll_timeout() {
            t = at;
            tx.handle_timeout(at);
            let _ = tx.poll_transmit();
        }
        assert_eq!(t - t0, Duration::from_millis(39_500));
        assert_eq!(tx.poll_event(), Some(TransactionEvent::IntegrityViolation));

        let mut tx = transaction(t0, Transport::Unreliable);
        let resp = success(1);
        let other = success(2);
        assert!(!tx.handle_response(&Message::parse(&other).unwrap()));
        assert!(tx.handle_response(&Message::parse(&resp).unwrap()));
        assert_eq!(tx.poll_event(), Some(TransactionEvent::Response(resp)));
        assert_eq!(tx.poll_timeout(), None);
    }

    #[test]
    fn rto_cache_follows_rfc6298_karn_and_staleness() {
        let t0 = Instant::now();
        let ip = "192.0.2.1".parse().unwrap();
        let mut cache = RtoCache::new(Duration::from_millis(500));
        assert_eq!(cache.rto(t0, ip), Duration::from_millis(500));
        cache.record(t0, ip, Duration::from_millis(100));
        // SRTT 100, RTTVAR 50: RTO 300 ms, kept to the millisecond.
        assert_eq!(cache.rto(t0, ip), Duration::from_millis(300));
        cache.record(t0, ip, Duration::from_millis(100));
        // SRTT 100, RTTVAR 37.5: RTO 250 ms.
        assert_eq!(cache.rto(t0, ip), Duration::from_millis(250));
        // Ten minutes without a transaction: back to the initial value.
        assert_eq!(
            cache.rto(t0 + Duration::from_secs(600), ip),
            Duration::from_millis(500)
        );

        // Karn: a retransmitted transaction gives no sample.
        let dest = "192.0.2.1:3478".parse().unwrap();
        let mut tx = ClientTransaction::new(
            t0,
            request(),
            dest,
            Transport::Unreliable,
            TransactionConfig::default(),
        )
        .unwrap();
        let _ = tx.poll_transmit();
        tx.handle_timeout(t0 + Duration::from_millis(500));
        let _ = tx.poll_transmit();
        let resp = success(1);
        assert!(tx.handle_response(&Message::parse(&resp).unwrap()));
        assert_eq!(tx.rtt_sample(t0 + Duration::from_millis(600)), None);
        let mut tx = ClientTransaction::new(
            t0,
            request(),
            dest,
            Transport::Unreliable,
            TransactionConfig::default(),
        )
        .unwrap();
        let _ = tx.poll_transmit();
        assert!(tx.handle_response(&Message::parse(&resp).unwrap()));
        assert_eq!(
            tx.rtt_sample(t0 + Duration::from_millis(42)),
            Some(Duration::from_millis(42))
        );
    }
}
