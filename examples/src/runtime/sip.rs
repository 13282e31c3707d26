//! The adapter between the driver's addressed bytes and the SIP
//! transaction layer's inputs and transmits, and a [`Machine`] for a bare
//! [`TransactionLayer`] (the transaction user is then the event callback).

use std::io;
use std::time::Instant;

use rtclite_sip::transaction::{Event, Input, TransactionError, TransactionLayer, Transmit};
use rtclite_sip::transport::Destination;

use super::{Machine, Outgoing, Received, Remote};

/// The transaction-layer input for a received message.
pub(crate) fn input(r: Received) -> Input {
    Input::Received {
        transport: r.transport,
        source: r.remote,
        bytes: r.bytes,
    }
}

/// The driver's form of a SIP transmit.
pub(crate) fn outgoing(t: Transmit) -> Outgoing {
    let (transport, remote) = match t.destination {
        Destination::Addr { transport, addr } => (transport, Remote::Addr(addr)),
        Destination::Host {
            transport,
            host,
            port,
        } => (transport, Remote::Host { host, port }),
        // A destination kind added later that the driver cannot reach:
        // it reports a send error for it.
        #[allow(unreachable_patterns)]
        other => (
            other.transport(),
            Remote::Host {
                host: String::new(),
                port: 0,
            },
        ),
    };
    Outgoing {
        transport,
        local: None,
        remote,
        bytes: t.message.bytes().clone(),
    }
}

/// A [`TransactionLayer`] as a driver [`Machine`]: its events go to the
/// driver's callback, which acts as the transaction user.
#[derive(Debug)]
pub(crate) struct SipLayer(pub(crate) TransactionLayer);

impl Machine for SipLayer {
    type Event = Event;
    type Error = TransactionError;

    fn handle_input(&mut self, now: Instant, r: Received) -> Result<(), TransactionError> {
        self.0.handle_input(now, input(r))
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.0.handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<Outgoing> {
        self.0.poll_transmit().map(outgoing)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.0.poll_event()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.0.poll_timeout()
    }

    fn handle_send_error(&mut self, _now: Instant, _out: &Outgoing, _error: &io::Error) {
        // The layer's timers (B, F, H) report an unreachable peer; the
        // datagram carries no transaction id to report it sooner.
    }
}
