//! The transaction layer (RFC 3261 §17, updated by RFC 6026), sans-IO.
//!
//! Four state machines — [`ClientTransaction`] for INVITE (§17.1.1) and
//! non-INVITE (§17.1.2) requests, [`ServerTransaction`] for INVITE (§17.2.1)
//! and non-INVITE (§17.2.2) requests — and a [`TransactionLayer`] that owns
//! many of them, matches incoming messages to them (§17.1.3, §17.2.3, with
//! the RFC 2543 fallback), applies the transport rules of §18 on receipt,
//! and multiplexes their timers.
//!
//! Every machine follows the workspace drive loop: feed an input or a
//! timeout, then drain [`poll_transmit`](TransactionLayer::poll_transmit) and
//! [`poll_event`](TransactionLayer::poll_event) until both return `None`, then
//! sleep until [`poll_timeout`](TransactionLayer::poll_timeout). No clock is
//! read and nothing is sent: the caller owns time and sockets.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtclite_sip::OwnedMessage;
//! use rtclite_sip::timer::TimerConfig;
//! use rtclite_sip::transaction::{ClientEvent, ClientState, ClientTransaction};
//! use rtclite_sip::transport::{Destination, TransportKind};
//!
//! let request = OwnedMessage::parse(bytes::Bytes::from_static(
//!     b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
//! Max-Forwards: 70\r\nTo: <sip:bob@biloxi.example.com>\r\n\
//! From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
//! Call-ID: a84b4c76e66710\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
//! ))?;
//! let dest = Destination::Addr {
//!     transport: TransportKind::Udp,
//!     addr: "192.0.2.4:5060".parse().unwrap(),
//! };
//! let t0 = Instant::now();
//! let mut tx = ClientTransaction::new(t0, request, dest, TimerConfig::default())?;
//! assert!(tx.poll_transmit().is_some()); // the request
//! // Timer E fires after T1 and the request goes out again.
//! assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(500)));
//! tx.handle_timeout(t0 + Duration::from_millis(500));
//! assert!(tx.poll_transmit().is_some());
//! // Nobody answers: Timer F ends the transaction at 64*T1.
//! tx.handle_timeout(t0 + Duration::from_secs(32));
//! assert!(matches!(tx.poll_event(), Some(ClientEvent::Timeout(_))));
//! assert_eq!(tx.state(), ClientState::Terminated);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod key;
mod layer;
mod server;

use std::fmt;

use crate::error::Error;
use crate::owned::OwnedMessage;
use crate::transport::Destination;

pub use client::{ClientEvent, ClientState, ClientTransaction};
pub use key::{BRANCH_COOKIE, ClientKey, ServerKey};
pub use layer::{Event, Input, LayerConfig, TransactionId, TransactionLayer};
pub use server::{ServerEvent, ServerState, ServerTransaction};

/// A message the runtime must send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: Destination,
    /// The message; its bytes are [`OwnedMessage::bytes`].
    pub message: OwnedMessage,
}

/// Whether a transaction is for an INVITE (§17.1.1, §17.2.1) or for any
/// other method (§17.1.2, §17.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// INVITE transaction.
    Invite,
    /// Non-INVITE transaction.
    NonInvite,
}

/// What went wrong when the transaction user passed something to a
/// transaction or to the layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// The message could not be read (missing Via, CSeq, ...).
    #[error("malformed message: {0}")]
    Message(#[from] Error),
    /// A request was expected and a response given, or the reverse.
    #[error("expected a {0}")]
    Expected(&'static str),
    /// The request's top Via has no branch, so no transaction can be keyed
    /// on it (§8.1.1.7).
    #[error("top Via has no branch parameter (RFC 3261 §8.1.1.7)")]
    NoBranch,
    /// ACK never creates a client transaction (§17.1).
    #[error("ACK does not create a client transaction (RFC 3261 §17)")]
    AckTransaction,
    /// The transaction is not in a state that accepts this message; the
    /// message was discarded.
    #[error("message discarded in state {0}")]
    WrongState(&'static str),
    /// No transaction has this identifier (it ended, or never existed).
    #[error("no such transaction")]
    NoSuchTransaction,
    /// A transaction with the same key already exists.
    #[error("a transaction with this key exists")]
    Duplicate,
    /// The layer holds [`LayerConfig::max_transactions`] transactions.
    #[error("transaction limit of {0} reached")]
    Capacity(usize),
}

impl fmt::Display for TransactionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invite => "INVITE",
            Self::NonInvite => "non-INVITE",
        })
    }
}
