//! The UAS core's 2xx retransmission (RFC 3261 §13.3.1.4).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::owned::OwnedMessage;
use crate::timer::TimerConfig;
use crate::transaction::Transmit;
use crate::transport::Destination;

/// What [`Retransmit2xx`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retransmit2xxEvent {
    /// 64*T1 passed without an ACK: the dialog is confirmed, but the
    /// session should be ended with a BYE.
    AckTimeout,
}

/// Retransmits a 2xx to an INVITE until the ACK arrives or 64*T1 pass.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtclite_sip::timer::TimerConfig;
/// use rtclite_sip::ua::Retransmit2xx;
/// # let ok = rtclite_sip::OwnedMessage::parse(bytes::Bytes::from_static(
/// #     b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n"))?;
/// # let to = rtclite_sip::transport::Destination::Addr {
/// #     transport: rtclite_sip::transport::TransportKind::Udp, addr: "192.0.2.1:5060".parse()? };
/// let t0 = Instant::now();
/// let mut r = Retransmit2xx::new(t0, ok, to, TimerConfig::default());
/// assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_millis(500)));
/// r.handle_timeout(t0 + Duration::from_millis(500));
/// assert!(r.poll_transmit().is_some());
/// r.ack_received();
/// assert_eq!(r.poll_timeout(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Retransmit2xx {
    response: OwnedMessage,
    destination: Destination,
    timers: TimerConfig,
    next: Option<(Instant, Duration)>,
    deadline: Instant,
    transmits: VecDeque<OwnedMessage>,
    events: VecDeque<Retransmit2xxEvent>,
}

impl Retransmit2xx {
    /// Starts after the first transmission of `response` (which the server
    /// transaction sent) at `now`.
    pub fn new(
        now: Instant,
        response: OwnedMessage,
        destination: Destination,
        timers: TimerConfig,
    ) -> Self {
        Self {
            response,
            destination,
            timers,
            // [RFC 3261 §13.3.1.4] "The 2xx response is passed to the transport with an
            // interval that starts at T1 seconds and doubles for each retransmission
            // until it reaches T2 seconds"
            next: Some((now + timers.t1, timers.t1)),
            deadline: now + timers.timeout(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The ACK for the 2xx arrived: stop.
    pub fn ack_received(&mut self) {
        // [RFC 3261 §13.3.1.4] "Response retransmissions cease when an ACK request
        // for the response is received."
        self.next = None;
    }

    /// The 2xx being retransmitted.
    pub const fn response(&self) -> &OwnedMessage {
        &self.response
    }

    /// Whether retransmission is still running.
    pub fn is_active(&self) -> bool {
        self.next.is_some()
    }

    /// Fires the retransmission timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some((at, interval)) = self.next else {
            return;
        };
        if now >= self.deadline {
            // [RFC 3261 §13.3.1.4] "If the server retransmits the 2xx response for
            // 64*T1 seconds without receiving an ACK, the dialog is confirmed, but the
            // session SHOULD be terminated."
            self.next = None;
            self.events.push_back(Retransmit2xxEvent::AckTimeout);
            return;
        }
        if at > now {
            return;
        }
        self.transmits.push_back(self.response.clone());
        let next = self.timers.backoff(interval, true);
        self.next = Some((now + next, next));
    }

    /// The next retransmission to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front().map(|message| Transmit {
            destination: self.destination.clone(),
            message,
        })
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Retransmit2xxEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next.map(|(at, _)| at.min(self.deadline))
    }
}
