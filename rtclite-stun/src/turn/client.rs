//! A sans-IO TURN client (RFC 8656 §7–§12) that keeps its allocation,
//! permissions and channels alive by itself.
//!
//! Drive loop: call [`TurnClient::allocate`], then repeatedly drain
//! [`TurnClient::poll_transmit`] (send each datagram to the server) and
//! [`TurnClient::poll_event`], feed every datagram from the server to
//! [`TurnClient::handle_input`], and call [`TurnClient::handle_timeout`] at
//! [`TurnClient::poll_timeout`]. The client answers the 401 challenge and
//! 438 (Stale Nonce) itself, refreshes the allocation one minute before it
//! expires, permissions every 4 minutes and channels every 9 minutes.
//!
//! [`TurnClient::allocate_with`] asks for a relayed address of a given
//! family (REQUESTED-ADDRESS-FAMILY) or for a dual allocation, one IPv4 and
//! one IPv6 relayed address (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.1);
//! permissions, channels and data then use the relay of the peer's family,
//! and [`TurnClient::refresh_family`] / [`TurnClient::deallocate_family`]
//! act on one family of a dual allocation (§8.1).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand_core::{CryptoRng, RngCore};

use crate::attribute::{AddressFamily, Attribute, AttributeType, PasswordAlgorithmEntry};
use crate::integrity::{Check, IntegrityKey, PasswordAlgorithm};
use crate::message::{Class, Message, MessageType, MessageWriter, Method, TransactionId};
use crate::nonce::SecurityFeatures;
use crate::redirect::{RedirectRefusal, Redirects};
use crate::transaction::{
    ClientTransaction, RtoCache, TransactionConfig, TransactionEvent, Transmit, Transport,
};
use crate::turn::{CHANNEL_MAX, CHANNEL_MIN, ChannelData, PacketKind, TRANSPORT_UDP, classify};

/// How long a permission lasts (RFC 8656 §9: 300 s).
// [RFC 8656 §9] "The Permission Lifetime MUST be 300 seconds (= 5 minutes)."
pub const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// How long a channel binding lasts (RFC 8656 §12: 10 minutes).
pub const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// Retries after 438 or 500 before giving up.
// [RFC 8489 §6.3.4] "Unless a specific error code specifies a different
// value, the number of retransmissions SHOULD be limited to 4."
const MAX_RETRIES: u32 = 4;
/// Upper bound on outstanding transactions.
// [RFC 8489 §6.2] "a client SHOULD
// limit itself to ten outstanding transactions to the same server."
const MAX_PENDING: usize = 10;

/// Configuration of a [`TurnClient`].
#[derive(Debug, Clone)]
pub struct TurnClientConfig {
    /// The server's transport address.
    pub server: SocketAddr,
    /// Long-term credential username.
    pub username: String,
    /// Long-term credential password.
    pub password: String,
    /// SOFTWARE to send, if any.
    pub software: Option<String>,
    /// Requested allocation lifetime in seconds.
    pub lifetime: u32,
    /// The transport to the server.
    pub transport: Transport,
    /// Retransmission timers.
    pub transaction: TransactionConfig,
    /// Ask the server to relay what this client sends with the DF (Don't
    /// Fragment) bit set (RFC 8656 §11.1, §18.9): DONT-FRAGMENT goes in
    /// the Allocate request, to learn whether the server supports it
    /// (§7.1), and in every Send indication. Data to a peer then always
    /// travels in Send indications, since ChannelData cannot carry the
    /// attribute. A server that refuses it (420) is asked again without
    /// it, and the client reports [`TurnEvent::DontFragmentUnsupported`].
    pub dont_fragment: bool,
}

impl TurnClientConfig {
    /// A configuration with the defaults (UDP, 600 s lifetime).
    pub fn new(
        server: SocketAddr,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        TurnClientConfig {
            server,
            username: username.into(),
            password: password.into(),
            software: Some(concat!("rtclite-stun ", env!("CARGO_PKG_VERSION")).into()),
            lifetime: 600,
            transport: Transport::Unreliable,
            transaction: TransactionConfig::default(),
            dont_fragment: false,
        }
    }
}

/// Why a TURN operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TurnFailure {
    /// The server answered with an error.
    Error {
        /// The error code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// No response.
    TimedOut,
    /// Every response failed the integrity check.
    IntegrityViolation,
    /// The response lacked something it must carry.
    Malformed(&'static str),
    /// The credentials could not be prepared (OpaqueString).
    Credentials(String),
    /// The server answered 300 (Try Alternate) and the redirection could
    /// not be followed (RFC 8489 §10): no usable ALTERNATE-SERVER, a
    /// redirection loop, or too many redirections.
    Redirect(RedirectRefusal),
}

/// What the application must know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TurnEvent {
    /// The allocation exists.
    Allocated {
        /// The relayed transport address (the first XOR-RELAYED-ADDRESS).
        relayed: SocketAddr,
        /// The second relayed transport address of a dual allocation (the
        /// other family).
        additional: Option<SocketAddr>,
        /// Why a family asked for in a dual allocation was not allocated
        /// (ADDRESS-ERROR-CODE, RFC 8656 §7.3).
        address_error: Option<AddressError>,
        /// The client's server-reflexive address, when the server sent it.
        mapped: Option<SocketAddr>,
        /// The lifetime granted.
        lifetime: Duration,
    },
    /// One relayed address of a dual allocation was deleted (a Refresh
    /// with REQUESTED-ADDRESS-FAMILY and LIFETIME 0, RFC 8656 §8.1), with
    /// its permissions and channels; the other remains.
    RelayDeleted(SocketAddr),
    /// A Refresh of one family of a dual allocation failed (the
    /// allocation is kept unless the server said it is gone, 437).
    FamilyRefreshFailed(AddressFamily, TurnFailure),
    /// The allocation was refreshed.
    Refreshed {
        /// The new lifetime.
        lifetime: Duration,
    },
    /// The allocation could not be created or kept.
    AllocationFailed(TurnFailure),
    /// The allocation was deleted.
    Deallocated,
    /// A permission was installed or refreshed.
    PermissionCreated(IpAddr),
    /// A CreatePermission failed.
    PermissionFailed(IpAddr, TurnFailure),
    /// A channel was bound or refreshed.
    ChannelBound {
        /// Channel number.
        channel: u16,
        /// Peer.
        peer: SocketAddr,
    },
    /// A ChannelBind failed.
    ChannelBindFailed(SocketAddr, TurnFailure),
    /// The server redirected the Allocate request with 300 (Try
    /// Alternate): the client now talks to `to` (same transport, same
    /// username and password; RFC 8489 §10, RFC 8656 §7.4). Datagrams from
    /// `to` are accepted from now on, those from `from` no longer.
    Redirected {
        /// The server that redirected.
        from: SocketAddr,
        /// The alternate server now used.
        to: SocketAddr,
    },
    /// The server does not support DONT-FRAGMENT (it answered the Allocate
    /// request with 420 listing it, RFC 8656 §7.4): the allocation is
    /// requested again without it, and Send indications no longer carry
    /// it.
    DontFragmentUnsupported,
    /// Data from a peer (Data indication or ChannelData).
    Data {
        /// The peer.
        peer: SocketAddr,
        /// The data.
        data: Vec<u8>,
    },
}

/// A call the client cannot honour in its current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TurnError {
    /// No allocation yet (or any more).
    #[error("no allocation")]
    NoAllocation,
    /// All 4096 channel numbers are in use.
    #[error("no free channel number (RFC 8656 §12)")]
    NoChannel,
    /// The peer's address family differs from the relayed address's.
    #[error("peer address family differs from the relayed address (RFC 8656 §12.1)")]
    FamilyMismatch,
    /// Too many outstanding requests.
    #[error("too many outstanding requests")]
    Busy,
    /// The data does not fit a message.
    #[error("data too long for one message")]
    TooLong,
    /// The Allocate request would combine attributes RFC 8656 §7.1 forbids
    /// together.
    #[error("{0} (RFC 8656 §7.1)")]
    ConflictingAttributes(&'static str),
    /// The server refused this address family: with 440 in
    /// ADDRESS-ERROR-CODE (never asked again), or with 508 less than a
    /// minute ago (RFC 8656 §7.3).
    #[error("the server refused relayed addresses of {0:?} (RFC 8656 §7.3)")]
    FamilyRefused(AddressFamily),
}

/// Which relayed address families the Allocate request asks for
/// (RFC 8656 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RelayFamilies {
    /// No address family attribute: the server allocates IPv4.
    #[default]
    Default,
    /// One relayed address of this family (REQUESTED-ADDRESS-FAMILY).
    Only(AddressFamily),
    /// A dual allocation: one IPv4 and one IPv6 relayed address
    /// (ADDITIONAL-ADDRESS-FAMILY with IPv6).
    Dual,
}

/// ADDRESS-ERROR-CODE of a dual Allocate success response: the family the
/// server did not allocate, and why (RFC 8656 §18.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    /// The family not allocated.
    pub family: AddressFamily,
    /// 440 (Address Family not Supported) or 508 (Insufficient Capacity).
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
}

/// What the Allocate request asks for beyond a relayed address of any port
/// (RFC 8656 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AllocatePort {
    /// Any port (no EVEN-PORT, no RESERVATION-TOKEN).
    #[default]
    Any,
    /// An even port (EVEN-PORT with the R bit 0).
    Even,
    /// An even port, with the next port reserved for a later allocation
    /// (EVEN-PORT with the R bit 1); the token is then available from
    /// [`TurnClient::reservation_token`].
    EvenReserveNext,
    /// The port reserved earlier under this RESERVATION-TOKEN.
    Reserved(u64),
}

/// The lifecycle of the allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllocationState {
    /// `allocate` not called.
    Idle,
    /// Allocate in progress.
    Allocating,
    /// Allocated.
    Allocated,
    /// Deallocation in progress.
    Deallocating,
    /// Deleted, failed or expired.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Request {
    Allocate,
    Refresh(u32),
    RefreshFamily(u32, AddressFamily),
    CreatePermission(IpAddr),
    ChannelBind(u16, SocketAddr),
}

#[derive(Debug)]
struct Pending {
    tx: ClientTransaction,
    request: Request,
    retries: u32,
}

#[derive(Debug, Clone)]
struct Auth {
    realm: String,
    nonce: String,
    key: IntegrityKey,
    password_algorithms: Option<Vec<u8>>,
    password_algorithm: Option<PasswordAlgorithm>,
}

#[derive(Debug, Clone, Copy)]
struct Timer {
    refresh_at: Instant,
    confirmed: bool,
}

/// The TURN client. `R` supplies transaction IDs and must be a
/// cryptographically secure generator.
#[derive(Debug)]
pub struct TurnClient<R> {
    config: TurnClientConfig,
    rng: R,
    auth: Option<Auth>,
    state: AllocationState,
    relayed: Option<SocketAddr>,
    additional: Option<SocketAddr>,
    families: RelayFamilies,
    refused: Vec<(AddressFamily, Option<Instant>)>,
    /// The server answered DONT-FRAGMENT with 420.
    df_refused: bool,
    expires: Option<Instant>,
    refresh_at: Option<Instant>,
    permissions: HashMap<IpAddr, Timer>,
    channels: HashMap<u16, (SocketAddr, Timer)>,
    channel_of: HashMap<SocketAddr, u16>,
    next_channel: u16,
    pending: Vec<Pending>,
    rto: RtoCache,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TurnEvent>,
    redirects: Option<Redirects>,
    port: AllocatePort,
    reservation_token: Option<u64>,
}

fn refresh_time(now: Instant, lifetime: Duration) -> Instant {
    // [RFC 8656 §8] "It is suggested that the client
    // refresh the allocation roughly 1 minute before it expires."
    if lifetime > Duration::from_secs(120) {
        now + lifetime - Duration::from_secs(60)
    } else {
        now + lifetime / 2
    }
}

impl<R: RngCore + CryptoRng> TurnClient<R> {
    /// A client for one allocation on `config.server`.
    pub fn new(config: TurnClientConfig, rng: R) -> Self {
        let config_rto = config.transaction.rto;
        TurnClient {
            config,
            rng,
            auth: None,
            state: AllocationState::Idle,
            relayed: None,
            additional: None,
            families: RelayFamilies::Default,
            refused: Vec::new(),
            df_refused: false,
            expires: None,
            refresh_at: None,
            permissions: HashMap::new(),
            channels: HashMap::new(),
            channel_of: HashMap::new(),
            next_channel: CHANNEL_MIN,
            pending: Vec::new(),
            rto: RtoCache::new(config_rto),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            redirects: None,
            port: AllocatePort::Any,
            reservation_token: None,
        }
    }

    /// The allocation's state.
    pub fn state(&self) -> AllocationState {
        self.state
    }

    /// The relayed transport address, once allocated (the first one of a
    /// dual allocation).
    pub fn relayed_address(&self) -> Option<SocketAddr> {
        self.relayed
    }

    /// Every relayed transport address: one, or two for a dual
    /// allocation.
    pub fn relayed_addresses(&self) -> Vec<SocketAddr> {
        self.relayed.into_iter().chain(self.additional).collect()
    }

    /// The relayed address of `ip`'s family, if the allocation has one.
    fn relay_for(&self, ip: IpAddr) -> Option<SocketAddr> {
        self.relayed_addresses()
            .into_iter()
            .find(|r| r.is_ipv4() == ip.is_ipv4())
    }

    /// Sends an Allocate request for `port` and `families` (RFC 8656
    /// §7.1), after checking that the two may be combined: a
    /// RESERVATION-TOKEN goes without any address family attribute, and a
    /// dual allocation without EVEN-PORT's R bit.
    pub fn allocate_with(
        &mut self,
        now: Instant,
        port: AllocatePort,
        families: RelayFamilies,
    ) -> Result<(), TurnError> {
        match (port, families) {
            // [RFC 8656 §7.1] "Clients MUST NOT include a REQUESTED-ADDRESS-
            // FAMILY attribute in an Allocate request that contains a RESERVATION-
            // TOKEN attribute"
            (AllocatePort::Reserved(_), RelayFamilies::Only(_)) => {
                return Err(TurnError::ConflictingAttributes(
                    "REQUESTED-ADDRESS-FAMILY with RESERVATION-TOKEN",
                ));
            }
            // [RFC 8656 §7.1] "Clients MUST NOT include the
            // ADDITIONAL-ADDRESS-FAMILY attribute in an Allocate request
            // that contains a RESERVATION-TOKEN attribute."
            (AllocatePort::Reserved(_), RelayFamilies::Dual) => {
                return Err(TurnError::ConflictingAttributes(
                    "ADDITIONAL-ADDRESS-FAMILY with RESERVATION-TOKEN",
                ));
            }
            // [RFC 8656 §7.1] "Clients MUST
            // NOT include the ADDITIONAL-ADDRESS-FAMILY attribute in an Allocate
            // request that contains an EVEN-PORT attribute with the R (Reserved)
            // bit set to 1."
            (AllocatePort::EvenReserveNext, RelayFamilies::Dual) => {
                return Err(TurnError::ConflictingAttributes(
                    "ADDITIONAL-ADDRESS-FAMILY with EVEN-PORT R=1",
                ));
            }
            _ => {}
        }
        let wanted: &[AddressFamily] = match families {
            RelayFamilies::Default => &[AddressFamily::Ipv4],
            RelayFamilies::Only(AddressFamily::Ipv4) => &[AddressFamily::Ipv4],
            RelayFamilies::Only(_) => &[AddressFamily::Ipv6],
            RelayFamilies::Dual => &[AddressFamily::Ipv4, AddressFamily::Ipv6],
        };
        self.refused
            .retain(|(_, until)| until.is_none_or(|u| now < u));
        // [RFC 8656 §7.3] "the client MUST NOT retry its request for the
        // rejected address type."
        // [RFC 8656 §7.3] "the
        // client SHOULD wait at least 1 minute before trying to request any
        // more allocations on this server for the rejected address type."
        if let Some((f, _)) = self.refused.iter().find(|(f, _)| wanted.contains(f)) {
            return Err(TurnError::FamilyRefused(*f));
        }
        self.families = families;
        self.port = port;
        self.allocate(now)
    }

    /// Refreshes one family of a dual allocation (a Refresh with
    /// REQUESTED-ADDRESS-FAMILY, RFC 8656 §8.1).
    pub fn refresh_family(&mut self, now: Instant, family: AddressFamily) -> Result<(), TurnError> {
        self.require_family(family)?;
        self.start(now, Request::RefreshFamily(self.config.lifetime, family), 0)
    }

    /// Deletes the relayed address of one family of a dual allocation,
    /// with its permissions and channels; the other family's stay
    /// (RFC 8656 §8.1). Deleting the last one deletes the allocation.
    pub fn deallocate_family(
        &mut self,
        now: Instant,
        family: AddressFamily,
    ) -> Result<(), TurnError> {
        self.require_family(family)?;
        self.start(now, Request::RefreshFamily(0, family), 0)
    }

    fn require_family(&self, family: AddressFamily) -> Result<(), TurnError> {
        self.require_allocation()?;
        // [RFC 8656 §8.1] "The client MUST only include a family type it
        // previously allocated and has not yet deleted."
        let has = self
            .relayed_addresses()
            .iter()
            .any(|r| r.is_ipv4() == (family == AddressFamily::Ipv4));
        if has {
            Ok(())
        } else {
            Err(TurnError::FamilyMismatch)
        }
    }

    /// Sends an Allocate request asking for an even port, an even port with
    /// the next one reserved, or a port reserved earlier (RFC 8656 §7.1).
    pub fn allocate_port(&mut self, now: Instant, port: AllocatePort) -> Result<(), TurnError> {
        self.port = port;
        self.allocate(now)
    }

    /// The RESERVATION-TOKEN the server returned for the port it reserved
    /// after an [`AllocatePort::EvenReserveNext`] allocation; present it to
    /// the server (from this or another client) with
    /// [`AllocatePort::Reserved`].
    pub fn reservation_token(&self) -> Option<u64> {
        self.reservation_token
    }

    /// Sends the Allocate request.
    pub fn allocate(&mut self, now: Instant) -> Result<(), TurnError> {
        self.state = AllocationState::Allocating;
        self.redirects = Some(Redirects::new(now, self.config.server));
        self.start(now, Request::Allocate, 0)
    }

    /// Installs (and keeps refreshing) a permission for `peer`.
    pub fn create_permission(&mut self, now: Instant, peer: IpAddr) -> Result<(), TurnError> {
        self.require_allocation()?;
        // [RFC 8656 §10.1] "The
        // client MUST only include XOR-PEER-ADDRESS attributes with addresses
        // of the same address family as that of the relayed transport address
        // for the allocation."
        if self.relay_for(peer).is_none() {
            return Err(TurnError::FamilyMismatch);
        }
        self.permissions.entry(peer).or_insert(Timer {
            refresh_at: now + PERMISSION_LIFETIME,
            confirmed: false,
        });
        self.start(now, Request::CreatePermission(peer), 0)
    }

    /// Binds a channel to `peer` (and keeps it bound); returns its number.
    pub fn bind_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<u16, TurnError> {
        self.require_allocation()?;
        // [RFC 8656 §12.1] "The client MUST only include
        // an XOR-PEER-ADDRESS attribute with an address of the same address
        // family as that of a relayed transport address for the allocation."
        if self.relay_for(peer.ip()).is_none() {
            return Err(TurnError::FamilyMismatch);
        }
        let channel = match self.channel_of.get(&peer) {
            Some(c) => *c,
            None => {
                if self.next_channel > CHANNEL_MAX {
                    return Err(TurnError::NoChannel);
                }
                let c = self.next_channel;
                self.next_channel += 1;
                c
            }
        };
        self.channel_of.insert(peer, channel);
        self.channels.entry(channel).or_insert((
            peer,
            Timer {
                refresh_at: now + CHANNEL_LIFETIME,
                confirmed: false,
            },
        ));
        self.start(now, Request::ChannelBind(channel, peer), 0)?;
        Ok(channel)
    }

    /// Sends `data` to `peer` through the relay: over the peer's channel when
    /// it is bound, else in a Send indication.
    pub fn send(&mut self, peer: SocketAddr, data: &[u8]) -> Result<(), TurnError> {
        self.require_allocation()?;
        // A peer of a family the allocation has no relay for cannot be
        // reached (RFC 8656 §6: permissions are per relayed address).
        if self.relay_for(peer.ip()).is_none() {
            return Err(TurnError::FamilyMismatch);
        }
        let dont_fragment = self.asks_dont_fragment();
        if let Some(&c) = self.channel_of.get(&peer).filter(|_| !dont_fragment) {
            if self.channels.get(&c).is_some_and(|(_, t)| t.confirmed) {
                let mut payload = Vec::with_capacity(4 + data.len());
                ChannelData { channel: c, data }
                    .write(&mut payload, self.config.transport == Transport::Reliable)
                    .map_err(|_| TurnError::TooLong)?;
                self.transmits.push_back(Transmit {
                    destination: self.config.server,
                    payload,
                });
                return Ok(());
            }
        }
        let tid = TransactionId::random(&mut self.rng);
        let mut payload = Vec::new();
        let mut w = MessageWriter::new(
            &mut payload,
            MessageType::new(Class::Indication, Method::SEND),
            tid,
        );
        w.attribute(&Attribute::XorPeerAddress(peer))
            .map_err(|_| TurnError::TooLong)?;
        w.attribute(&Attribute::Data(data))
            .map_err(|_| TurnError::TooLong)?;
        // [RFC 8656 §11.1] "The client MAY include a DONT-FRAGMENT attribute
        // in the Send indication if it wishes the server to set the DF bit on
        // the UDP datagram sent to the peer."
        if dont_fragment {
            w.attribute(&Attribute::DontFragment)
                .map_err(|_| TurnError::TooLong)?;
        }
        w.finish();
        self.transmits.push_back(Transmit {
            destination: self.config.server,
            payload,
        });
        Ok(())
    }

    /// DONT-FRAGMENT is asked for and the server has not refused it.
    fn asks_dont_fragment(&self) -> bool {
        self.config.dont_fragment && !self.df_refused
    }

    /// Refreshes the allocation now (the client also does it by itself a
    /// minute before expiry).
    pub fn refresh(&mut self, now: Instant) -> Result<(), TurnError> {
        self.require_allocation()?;
        self.start(now, Request::Refresh(self.config.lifetime), 0)
    }

    /// Deletes the allocation (a Refresh with LIFETIME 0).
    pub fn deallocate(&mut self, now: Instant) -> Result<(), TurnError> {
        self.require_allocation()?;
        self.state = AllocationState::Deallocating;
        self.refresh_at = None;
        // Stop refreshing anything else.
        self.pending.retain(|p| p.request == Request::Allocate);
        self.start(now, Request::Refresh(0), 0)
    }

    fn require_allocation(&self) -> Result<SocketAddr, TurnError> {
        match (self.state, self.relayed) {
            (AllocationState::Allocated, Some(r)) => Ok(r),
            _ => Err(TurnError::NoAllocation),
        }
    }

    fn start(&mut self, now: Instant, request: Request, retries: u32) -> Result<(), TurnError> {
        if self.pending.len() >= MAX_PENDING {
            return Err(TurnError::Busy);
        }
        let tid = TransactionId::random(&mut self.rng);
        let bytes = self.encode(&request, tid).map_err(|_| TurnError::TooLong)?;
        let mut timers = self.config.transaction;
        timers.rto = self.rto.rto(now, self.config.server.ip());
        let tx = ClientTransaction::new(
            now,
            bytes,
            self.config.server,
            self.config.transport,
            timers,
        )
        .ok_or(TurnError::TooLong)?;
        self.pending.push(Pending {
            tx,
            request,
            retries,
        });
        self.collect();
        Ok(())
    }

    fn encode(&self, request: &Request, tid: TransactionId) -> Result<Vec<u8>, crate::EncodeError> {
        let method = match request {
            Request::Allocate => Method::ALLOCATE,
            Request::Refresh(_) | Request::RefreshFamily(..) => Method::REFRESH,
            Request::CreatePermission(_) => Method::CREATE_PERMISSION,
            Request::ChannelBind(..) => Method::CHANNEL_BIND,
        };
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, MessageType::new(Class::Request, method), tid);
        match request {
            Request::Allocate => {
                // [RFC 8656 §7.1] "The client MUST include a REQUESTED-TRANSPORT attribute in the
                // request."
                w.attribute(&Attribute::RequestedTransport(TRANSPORT_UDP))?;
                // [RFC 8656 §7.1] "If the client wishes the server to initialize
                // the time-to-expiry field of the allocation to some value other
                // than the default lifetime, then it MAY include a LIFETIME
                // attribute specifying its desired value."
                w.attribute(&Attribute::Lifetime(self.config.lifetime))?;
                // [RFC 8656 §7.1] "If the client wishes to later use the
                // DONT-FRAGMENT attribute in one or more Send indications on
                // this allocation, then the client SHOULD include the
                // DONT-FRAGMENT attribute in the Allocate request."
                if self.asks_dont_fragment() {
                    w.attribute(&Attribute::DontFragment)?;
                }
                match self.port {
                    AllocatePort::Any => {}
                    // [RFC 8656 §7.1] "If the client requires the port number of the relayed transport
                    // address to be even, the client includes the EVEN-PORT attribute."
                    AllocatePort::Even => {
                        w.attribute(&Attribute::EvenPort(false))?;
                    }
                    // [RFC 8656 §7.1] "By
                    // setting the R bit in the EVEN-PORT attribute to 1, the client can
                    // request that the server reserve the next highest port number"
                    AllocatePort::EvenReserveNext => {
                        w.attribute(&Attribute::EvenPort(true))?;
                    }
                    // [RFC 8656 §7.1] "If the RESERVATION-TOKEN attribute is included, then the
                    // client MUST omit the EVEN-PORT attribute."
                    // (`allocate_with` refuses address families with a token.)
                    AllocatePort::Reserved(t) => {
                        w.attribute(&Attribute::ReservationToken(t))?;
                    }
                };
                // [RFC 8656 §7.1] "Clients MUST NOT include more than one REQUESTED-ADDRESS-FAMILY
                // attribute in an Allocate request."
                // [RFC 8656 §7.1] "Clients MUST NOT include REQUESTED-ADDRESS-FAMILY and ADDITIONAL-
                // ADDRESS-FAMILY attributes in the same request."
                // (One `RelayFamilies` value: one attribute at most.)
                match self.families {
                    RelayFamilies::Default => {}
                    // [RFC 8656 §7.1] "If the client wishes to obtain a relayed transport address of a
                    // specific address type, then it includes a REQUESTED-ADDRESS-FAMILY
                    // attribute in the request."
                    RelayFamilies::Only(f) => {
                        w.attribute(&Attribute::RequestedAddressFamily(f))?;
                    }
                    // [RFC 8656 §7.1] "If the client wishes to obtain one IPv6 and one IPv4 relayed
                    // transport address, then it includes an ADDITIONAL-ADDRESS-FAMILY
                    // attribute in the request."
                    // [RFC 8656 §7.1] "The attribute value in the
                    // ADDITIONAL-ADDRESS-FAMILY MUST be set to 0x02 (IPv6 address family)."
                    // [RFC 8656 §18.11] "The
                    // ADDITIONAL-ADDRESS-FAMILY attribute MAY be present in the Allocate
                    // request."
                    RelayFamilies::Dual => {
                        w.attribute(&Attribute::AdditionalAddressFamily(AddressFamily::Ipv6))?;
                    }
                }
            }
            Request::Refresh(lifetime) => {
                // [RFC 8656 §8.1] "If the client wishes to immediately delete an existing allocation, it
                // includes a LIFETIME attribute with a value of zero."
                w.attribute(&Attribute::Lifetime(*lifetime))?;
            }
            Request::RefreshFamily(lifetime, family) => {
                w.attribute(&Attribute::Lifetime(*lifetime))?;
                // [RFC 8656 §8.1] "When refreshing a dual allocation, the client includes a REQUESTED-
                // ADDRESS-FAMILY attribute indicating the address family type that
                // should be refreshed."
                w.attribute(&Attribute::RequestedAddressFamily(*family))?;
            }
            Request::CreatePermission(ip) => {
                // [RFC 8656 §10.1] "When forming a CreatePermission request, the client MUST include at
                // least one XOR-PEER-ADDRESS attribute"
                w.attribute(&Attribute::XorPeerAddress(SocketAddr::new(*ip, 0)))?;
            }
            Request::ChannelBind(c, peer) => {
                // [RFC 8656 §12.1] "The channel to be bound is specified in a
                // CHANNEL-NUMBER attribute, and the peer's transport address is
                // specified in an XOR-PEER-ADDRESS attribute."
                w.attribute(&Attribute::ChannelNumber(*c))?;
                w.attribute(&Attribute::XorPeerAddress(*peer))?;
            }
        }
        // [RFC 8656 §5] "The client SHOULD include the SOFTWARE attribute in all Allocate and
        // Refresh requests"
        if let Some(s) = &self.config.software {
            w.attribute(&Attribute::Software(s))?;
        }
        // [RFC 8489 §9.2.3.1] "If the client has not completed a successful
        // request/response transaction with the server, it MUST omit the
        // USERNAME, USERHASH, MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256,
        // REALM, NONCE, PASSWORD-ALGORITHMS, and PASSWORD-ALGORITHM
        // attributes."
        if let Some(auth) = &self.auth {
            // [RFC 8489 §9.2.3.2] "When the client sends a subsequent request, it
            // MUST include either the USERNAME or USERHASH, REALM, NONCE, and
            // PASSWORD-ALGORITHM attributes with these cached values."
            // [RFC 8489 §9.2.5] "The request MUST contain the REALM, copied from the error
            // response.  The request MUST contain the NONCE, copied from the error
            // response."
            w.attribute(&Attribute::Username(&self.config.username))?;
            w.attribute(&Attribute::Realm(&auth.realm))?;
            w.attribute(&Attribute::Nonce(&auth.nonce))?;
            if let Some(algs) = &auth.password_algorithms {
                // [RFC 8489 §9.2.5] "If the response contains a PASSWORD-ALGORITHMS attribute,
                // the request MUST contain the PASSWORD-ALGORITHMS attribute with the
                // same content."
                w.raw_attribute(AttributeType::PASSWORD_ALGORITHMS, algs)?;
                if let Some(a) = auth.password_algorithm {
                    w.attribute(&Attribute::PasswordAlgorithm(PasswordAlgorithmEntry {
                        algorithm: a.code(),
                        parameters: &[],
                    }))?;
                }
                // [RFC 8489 §9.2.5] "If the response contains a PASSWORD-ALGORITHMS attribute, all the
                // subsequent requests MUST be authenticated using MESSAGE-INTEGRITY-
                // SHA256 only."
                w.message_integrity_sha256(&auth.key)?;
            } else {
                w.message_integrity(&auth.key)?;
            }
        }
        w.finish();
        Ok(buf)
    }

    fn collect(&mut self) {
        let mut finished = Vec::new();
        for (i, p) in self.pending.iter_mut().enumerate() {
            while let Some(t) = p.tx.poll_transmit() {
                self.transmits.push_back(t);
            }
            if let Some(ev) = p.tx.poll_event() {
                finished.push((i, ev));
            }
        }
        for (i, ev) in finished.into_iter().rev() {
            let p = self.pending.remove(i);
            let failure = match ev {
                TransactionEvent::TimedOut => TurnFailure::TimedOut,
                TransactionEvent::IntegrityViolation => TurnFailure::IntegrityViolation,
                // Responses are handled in `handle_input` before they get here.
                _ => continue,
            };
            self.fail(&p.request, failure);
        }
    }

    fn push_event(&mut self, ev: TurnEvent) {
        if self.events.len() < 1024 {
            self.events.push_back(ev);
        }
    }

    fn fail(&mut self, request: &Request, failure: TurnFailure) {
        match request {
            Request::Allocate => {
                self.state = AllocationState::Closed;
                self.push_event(TurnEvent::AllocationFailed(failure));
            }
            Request::Refresh(0) => {
                self.close();
                self.push_event(TurnEvent::Deallocated);
            }
            Request::Refresh(_) => {
                self.close();
                self.push_event(TurnEvent::AllocationFailed(failure));
            }
            Request::RefreshFamily(_, family) => {
                self.push_event(TurnEvent::FamilyRefreshFailed(*family, failure));
            }
            Request::CreatePermission(ip) => {
                self.permissions.remove(ip);
                self.push_event(TurnEvent::PermissionFailed(*ip, failure));
            }
            Request::ChannelBind(c, peer) => {
                self.channels.remove(c);
                self.channel_of.remove(peer);
                self.push_event(TurnEvent::ChannelBindFailed(*peer, failure));
            }
        }
    }

    fn close(&mut self) {
        self.state = AllocationState::Closed;
        self.relayed = None;
        self.additional = None;
        self.expires = None;
        self.refresh_at = None;
        self.permissions.clear();
        self.channels.clear();
        self.channel_of.clear();
        self.pending.clear();
    }

    /// Feeds one datagram received from `from`.
    pub fn handle_input(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if from != self.config.server {
            return;
        }
        match classify(datagram) {
            PacketKind::ChannelData => {
                let Ok((cd, _)) = ChannelData::parse(datagram) else {
                    return;
                };
                // [RFC 8656 §12.6] "If the ChannelData message is received on a channel that is not bound
                // to any peer, then the message is silently discarded."
                if let Some((peer, _)) = self.channels.get(&cd.channel) {
                    let peer = *peer;
                    self.push_event(TurnEvent::Data {
                        peer,
                        data: cd.data.to_vec(),
                    });
                }
            }
            PacketKind::Stun => {
                let Ok(msg) = Message::parse(datagram) else {
                    return;
                };
                match msg.class() {
                    Class::Indication if msg.method() == Method::DATA => {
                        self.on_data_indication(&msg)
                    }
                    Class::SuccessResponse | Class::ErrorResponse => self.on_response(now, &msg),
                    _ => {}
                }
            }
            _ => {}
        }
        self.collect();
    }

    fn on_data_indication(&mut self, msg: &Message<'_>) {
        // [RFC 8656 §11.4] "it checks that the Data
        // indication contains an XOR-PEER-ADDRESS attribute and discards the
        // indication if it does not."
        let Some(Ok(Attribute::XorPeerAddress(peer))) = msg.get(AttributeType::XOR_PEER_ADDRESS)
        else {
            return;
        };
        // [RFC 8656 §11.4] "The client SHOULD also check that the
        // XOR-PEER-ADDRESS attribute value contains an IP address with which
        // the client believes there is an active permission and discard the
        // Data indication otherwise."
        if !self.permissions.contains_key(&peer.ip()) {
            return;
        }
        let Some(Ok(Attribute::Data(data))) = msg.get(AttributeType::DATA) else {
            return;
        };
        self.push_event(TurnEvent::Data {
            peer,
            data: data.to_vec(),
        });
    }

    fn on_response(&mut self, now: Instant, msg: &Message<'_>) {
        let Some(idx) = self
            .pending
            .iter()
            .position(|p| p.tx.id() == msg.transaction_id())
        else {
            return;
        };
        let error = match msg.get(AttributeType::ERROR_CODE) {
            Some(Ok(Attribute::ErrorCode(e))) => Some(e),
            _ => None,
        };
        let challenge = matches!(error.map(|e| e.code), Some(401 | 438));
        if let Some(auth) = &self.auth {
            if !challenge {
                let ok = match (msg.integrity_sha256_offset(), msg.integrity_offset()) {
                    (Some(_), _) => msg.check_integrity_sha256(&auth.key) == Check::Valid,
                    (None, Some(_)) => msg.check_integrity(&auth.key) == Check::Valid,
                    (None, None) => false,
                };
                if !ok {
                    // [RFC 8489 §9.2.5] "If the request was sent over an unreliable transport, the response
                    // MUST be discarded, as if it had never been received."
                    self.pending[idx].tx.handle_integrity_failure();
                    return;
                }
            }
        }
        let mut p = self.pending.remove(idx);
        p.tx.handle_response(msg);
        if let Some(rtt) = p.tx.rtt_sample(now) {
            self.rto.record(now, self.config.server.ip(), rtt);
        }
        if msg.class() == Class::SuccessResponse {
            self.on_success(now, &p.request, msg);
            return;
        }
        let Some(e) = error else {
            // [RFC 8489 §6.3.4] "if the error response does not contain an ERROR-CODE
            // attribute, then the transaction is simply considered to have failed."
            self.fail(
                &p.request,
                TurnFailure::Malformed("error response without ERROR-CODE"),
            );
            return;
        };
        match e.code {
            401 if self.auth.is_none() => match self.learn_auth(msg) {
                Ok(()) => {
                    let _ = self.start(now, p.request, p.retries);
                }
                Err(f) => self.fail(&p.request, f),
            },
            438 if p.retries < MAX_RETRIES => {
                // [RFC 8489 §9.2.5] "If the response is an error response with an error code of 438 (Stale
                // Nonce), the client MUST retry the request, using the new NONCE
                // attribute supplied in the 438 (Stale Nonce) response."
                if let (Some(Ok(Attribute::Nonce(n))), Some(auth)) =
                    (msg.get(AttributeType::NONCE), &mut self.auth)
                {
                    auth.nonce = n.to_owned();
                    let _ = self.start(now, p.request, p.retries + 1);
                } else {
                    self.fail(&p.request, TurnFailure::Malformed("438 without NONCE"));
                }
            }
            // Other 3xx, and 300 to any other request, fail below.
            // [RFC 8489 §6.3.4] "If the error code is 300 through 399, the client
            // SHOULD consider the transaction as failed unless the
            // ALTERNATE-SERVER extension (Section 10) is being used."
            300 if p.request == Request::Allocate => self.redirect(now, &p, msg),
            // [RFC 8656 §8.3] "If the client receives a 437 (Allocation Mismatch) error response to
            // a request to delete the allocation, then the allocation no longer
            // exists and it should consider its request as having effectively
            // succeeded."
            437 if p.request == Request::Refresh(0) => {
                self.close();
                self.push_event(TurnEvent::Deallocated);
            }
            // [RFC 8656 §7.4] "The client considers the current
            // operation as having failed."
            // (508 Insufficient Capacity to Allocate: no retry; the caller
            // may drop EVEN-PORT or RESERVATION-TOKEN and allocate again.)
            508 if p.request == Request::Allocate => self.fail(
                &p.request,
                TurnFailure::Error {
                    code: 508,
                    reason: e.reason.to_owned(),
                },
            ),
            // [RFC 8656 §7.4] "If the client receives an Allocate error response with
            // the 440 (Address Family not Supported) error code, the client MUST
            // NOT retry the request."
            // (Not now, and not later: `allocate_with` refuses the family.)
            440 if p.request == Request::Allocate => {
                let family = match self.families {
                    RelayFamilies::Only(f) => f,
                    _ => AddressFamily::Ipv4,
                };
                self.refused.push((family, None));
                self.fail(
                    &p.request,
                    TurnFailure::Error {
                        code: 440,
                        reason: e.reason.to_owned(),
                    },
                );
            }
            // [RFC 8656 §7.4] "If the client included a DONT-FRAGMENT
            // attribute in the request and the server rejected the request
            // with a 420 error code and listed the DONT-FRAGMENT attribute in
            // the UNKNOWN-ATTRIBUTES attribute in the error response, then
            // the client now knows that the server does not support the
            // DONT-FRAGMENT attribute."
            // [RFC 8656 §7.4] "The client considers the current transaction
            // as having failed but MAY choose to retry the Allocate request
            // without the DONT-FRAGMENT attribute."
            420 if p.request == Request::Allocate
                && self.asks_dont_fragment()
                && lists_unknown(msg, AttributeType::DONT_FRAGMENT) =>
            {
                self.df_refused = true;
                self.push_event(TurnEvent::DontFragmentUnsupported);
                let _ = self.start(now, p.request, p.retries);
            }
            // [RFC 8489 §6.3.4] "If the error code is 500 through 599, the client MAY resend the
            // request; clients that do so MUST limit the number of times they do
            // this."
            500..=599 if p.retries < MAX_RETRIES => {
                let _ = self.start(now, p.request, p.retries + 1);
            }
            // [RFC 8656 §5] "A client receiving a 437 error response to a request other than
            // Allocate MUST assume the allocation no longer exists."
            437 if p.request != Request::Allocate => {
                self.close();
                self.push_event(TurnEvent::AllocationFailed(TurnFailure::Error {
                    code: 437,
                    reason: e.reason.to_owned(),
                }));
            }
            code => self.fail(
                &p.request,
                TurnFailure::Error {
                    code,
                    reason: e.reason.to_owned(),
                },
            ),
        }
    }

    /// Follows a 300 (Try Alternate) answer to Allocate.
    fn redirect(&mut self, now: Instant, p: &Pending, msg: &Message<'_>) {
        // The integrity of a response to an authenticated request was
        // checked in `on_response`; `follow` checks it again.
        let key = self.auth.as_ref().map(|a| a.key.clone());
        let server = self.config.server;
        let redirects = self
            .redirects
            .get_or_insert_with(|| Redirects::new(p.tx.started(), server));
        match redirects.follow(now, msg, key.as_ref()) {
            Ok(alternate) => {
                // [RFC 8656 §7.4] "The client considers the current
                // transaction as having failed, but it SHOULD try the
                // Allocate request with the alternate server before trying
                // any other servers"
                self.config.server = alternate;
                // [RFC 8489 §10] "That request, if authenticated, MUST
                // utilize the same credentials that the client would have
                // used in the request to the server that performed the
                // redirection."
                // The username and password stay; the realm and nonce are
                // the old server's, so the alternate challenges afresh.
                self.auth = None;
                self.push_event(TurnEvent::Redirected {
                    from: server,
                    to: alternate,
                });
                if let Err(e) = self.start(now, Request::Allocate, p.retries) {
                    self.fail(&p.request, TurnFailure::Malformed(turn_error_text(&e)));
                }
            }
            Err(refusal) => self.fail(&p.request, TurnFailure::Redirect(refusal)),
        }
    }

    fn learn_auth(&mut self, msg: &Message<'_>) -> Result<(), TurnFailure> {
        let Some(Ok(Attribute::Realm(realm))) = msg.get(AttributeType::REALM) else {
            return Err(TurnFailure::Malformed("401 without REALM"));
        };
        let Some(Ok(Attribute::Nonce(nonce))) = msg.get(AttributeType::NONCE) else {
            return Err(TurnFailure::Malformed("401 without NONCE"));
        };
        let algs = msg
            .get_raw(AttributeType::PASSWORD_ALGORITHMS)
            .map(|a| a.value.to_vec());
        let features = SecurityFeatures::from_nonce(nonce).unwrap_or_default();
        // [RFC 8489 §9.2.5] "If so and the
        // "nonce cookie" has the STUN Security Feature "Password algorithms"
        // bit set to 1 but no PASSWORD-ALGORITHMS attribute is present, then
        // the client MUST NOT retry the request with a new transaction."
        if features.contains(SecurityFeatures::PASSWORD_ALGORITHMS) && algs.is_none() {
            return Err(TurnFailure::Malformed(
                "nonce cookie announces PASSWORD-ALGORITHMS but it is absent",
            ));
        }
        let mut chosen = None;
        if let Some(a) = &algs {
            let list = crate::attribute::password_algorithms(a)
                .map_err(|_| TurnFailure::Malformed("bad PASSWORD-ALGORITHMS"))?;
            // [RFC 8489 §9.2.5] "then the request MUST contain a PASSWORD-ALGORITHM attribute with the
            // first algorithm supported on the list."
            chosen = list
                .iter()
                .find_map(|e| PasswordAlgorithm::from_code(e.algorithm));
            if chosen.is_none() {
                // [RFC 8489 §9.2.5] "If the response contains a PASSWORD-ALGORITHMS attribute, and this
                // attribute does not contain any algorithm that is supported by the
                // client, then the client MUST NOT retry the request with a new
                // transaction."
                return Err(TurnFailure::Error {
                    code: 401,
                    reason: "no supported password algorithm".into(),
                });
            }
        }
        let key = IntegrityKey::long_term(
            &self.config.username,
            realm,
            &self.config.password,
            chosen.unwrap_or(PasswordAlgorithm::Md5),
        )
        .map_err(|e| TurnFailure::Credentials(e.to_string()))?;
        self.auth = Some(Auth {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            key,
            password_algorithms: algs,
            password_algorithm: chosen,
        });
        Ok(())
    }

    fn on_success(&mut self, now: Instant, request: &Request, msg: &Message<'_>) {
        match request {
            Request::Allocate => {
                // [RFC 8656 §7.3] "If the client receives an Allocate success response, then it MUST
                // check that the mapped address and the relayed transport address or
                // addresses are part of an address family or families that the client
                // understands and is prepared to handle."
                // [RFC 8656 §7.3 exception: this client handles both IPv4 and IPv6, so no address is of a family it cannot handle] "If these addresses are not part of an address family or families that the client is prepared to
                // handle, then the client MUST delete the allocation"
                // The first address of each family is taken, in wire order.
                let tid = msg.transaction_id();
                let mut addresses: Vec<SocketAddr> = Vec::with_capacity(2);
                for raw in msg
                    .processed_attributes()
                    .filter(|r| r.attr_type == AttributeType::XOR_RELAYED_ADDRESS)
                {
                    if let Ok(Attribute::XorRelayedAddress(a)) =
                        Attribute::decode(raw.attr_type, raw.value, &tid)
                    {
                        if !addresses.iter().any(|b| b.is_ipv4() == a.is_ipv4()) {
                            addresses.push(a);
                        }
                    }
                }
                let Some(&relayed) = addresses.first() else {
                    return self.fail(request, TurnFailure::Malformed("no XOR-RELAYED-ADDRESS"));
                };
                let additional = addresses.get(1).copied();
                let address_error = match msg.get(AttributeType::ADDRESS_ERROR_CODE) {
                    Some(Ok(Attribute::AddressErrorCode { family, error })) => Some(AddressError {
                        family,
                        code: error.code,
                        reason: error.reason.to_owned(),
                    }),
                    _ => None,
                };
                if let Some(e) = &address_error {
                    match e.code {
                        // [RFC 8656 §7.3] "If the client receives an Allocate success response but with an
                        // ADDRESS-ERROR-CODE attribute in the response and the error code value
                        // signaled in the ADDRESS-ERROR-CODE attribute is 440 (Address Family
                        // not Supported), the client MUST NOT retry its request for the
                        // rejected address type."
                        440 => self.refused.push((e.family, None)),
                        // [RFC 8656 §7.3] "If the client receives an ADDRESS-ERROR-CODE
                        // attribute in the response and the error code value signaled in the
                        // ADDRESS-ERROR-CODE attribute is 508 (Insufficient Capacity), the
                        // client SHOULD wait at least 1 minute before trying to request any
                        // more allocations on this server for the rejected address type."
                        _ => self
                            .refused
                            .push((e.family, Some(now + Duration::from_secs(60)))),
                    }
                }
                let mapped = match msg.get(AttributeType::XOR_MAPPED_ADDRESS) {
                    Some(Ok(Attribute::XorMappedAddress(a))) => Some(a),
                    _ => None,
                };
                let lifetime = match msg.get(AttributeType::LIFETIME) {
                    Some(Ok(Attribute::Lifetime(l))) => Duration::from_secs(u64::from(l)),
                    _ => return self.fail(request, TurnFailure::Malformed("no LIFETIME")),
                };
                // [RFC 8656 §7.3] "the client needs to remember the actual lifetime received back from
                // the server, rather than the value sent to the server in the request."
                if let Some(Ok(Attribute::ReservationToken(t))) =
                    msg.get(AttributeType::RESERVATION_TOKEN)
                {
                    self.reservation_token = Some(t);
                }
                self.state = AllocationState::Allocated;
                self.relayed = Some(relayed);
                self.additional = additional;
                self.expires = Some(now + lifetime);
                self.refresh_at = Some(refresh_time(now, lifetime));
                self.push_event(TurnEvent::Allocated {
                    relayed,
                    additional,
                    address_error,
                    mapped,
                    lifetime,
                });
            }
            Request::RefreshFamily(0, family) => {
                let is_family = |a: &SocketAddr| a.is_ipv4() == (*family == AddressFamily::Ipv4);
                let gone = self.relayed_addresses().into_iter().find(is_family);
                let kept: Vec<SocketAddr> = self
                    .relayed_addresses()
                    .into_iter()
                    .filter(|a| !is_family(a))
                    .collect();
                let Some(gone) = gone else { return };
                if kept.is_empty() {
                    self.close();
                    self.push_event(TurnEvent::Deallocated);
                    return;
                }
                self.relayed = kept.first().copied();
                self.additional = None;
                // [RFC 8656 §8.1] "Deleting a single
                // allocation destroys any permissions or channels associated with that
                // particular allocation; it MUST NOT affect any permissions or channels
                // associated with allocations for the other address family."
                let v4 = *family == AddressFamily::Ipv4;
                self.permissions.retain(|ip, _| ip.is_ipv4() != v4);
                self.channels.retain(|_, (p, _)| p.is_ipv4() != v4);
                self.channel_of.retain(|p, _| p.is_ipv4() != v4);
                self.pending.retain(|p| match &p.request {
                    Request::CreatePermission(ip) => ip.is_ipv4() != v4,
                    Request::ChannelBind(_, peer) => peer.is_ipv4() != v4,
                    _ => true,
                });
                self.push_event(TurnEvent::RelayDeleted(gone));
            }
            Request::RefreshFamily(_, _) => {
                let lifetime = match msg.get(AttributeType::LIFETIME) {
                    Some(Ok(Attribute::Lifetime(l))) => Duration::from_secs(u64::from(l)),
                    _ => Duration::from_secs(u64::from(self.config.lifetime)),
                };
                // The other family keeps its own time-to-expiry, so the
                // allocation's (the earlier of the two) is left alone.
                self.push_event(TurnEvent::Refreshed { lifetime });
            }
            Request::Refresh(0) => {
                self.close();
                self.push_event(TurnEvent::Deallocated);
            }
            Request::Refresh(_) => {
                let lifetime = match msg.get(AttributeType::LIFETIME) {
                    Some(Ok(Attribute::Lifetime(l))) => Duration::from_secs(u64::from(l)),
                    _ => Duration::from_secs(u64::from(self.config.lifetime)),
                };
                // [RFC 8656 §8.3] "If the client receives a success response to its Refresh request with
                // a non-zero lifetime, it updates its copy of the allocation data
                // structure with the time-to-expiry value contained in the response."
                self.expires = Some(now + lifetime);
                self.refresh_at = Some(refresh_time(now, lifetime));
                self.push_event(TurnEvent::Refreshed { lifetime });
            }
            Request::CreatePermission(ip) => {
                // Refresh a minute before the 5-minute lifetime ends.
                self.permissions.insert(
                    *ip,
                    Timer {
                        refresh_at: now + PERMISSION_LIFETIME - Duration::from_secs(60),
                        confirmed: true,
                    },
                );
                self.push_event(TurnEvent::PermissionCreated(*ip));
            }
            Request::ChannelBind(c, peer) => {
                // [RFC 8656 §12.3] "When the client receives a ChannelBind success response, it updates
                // its data structures to record that the channel binding is now active."
                self.channels.insert(
                    *c,
                    (
                        *peer,
                        Timer {
                            refresh_at: now + CHANNEL_LIFETIME - Duration::from_secs(60),
                            confirmed: true,
                        },
                    ),
                );
                self.permissions.insert(
                    peer.ip(),
                    Timer {
                        refresh_at: now + PERMISSION_LIFETIME - Duration::from_secs(60),
                        confirmed: true,
                    },
                );
                self.push_event(TurnEvent::ChannelBound {
                    channel: *c,
                    peer: *peer,
                });
            }
        }
    }

    /// Advances timers: retransmissions and refreshes.
    pub fn handle_timeout(&mut self, now: Instant) {
        for p in &mut self.pending {
            p.tx.handle_timeout(now);
        }
        self.collect();
        if self.state != AllocationState::Allocated {
            return;
        }
        if self.expires.is_some_and(|e| now >= e) {
            self.close();
            self.push_event(TurnEvent::AllocationFailed(TurnFailure::Error {
                code: 437,
                reason: "allocation expired".into(),
            }));
            return;
        }
        let busy = |pending: &[Pending], r: &Request| pending.iter().any(|p| &p.request == r);
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            let r = Request::Refresh(self.config.lifetime);
            if !busy(&self.pending, &r) {
                let _ = self.start(now, r, 0);
            }
        }
        let due: Vec<IpAddr> = self
            .permissions
            .iter()
            .filter(|(_, t)| t.confirmed && now >= t.refresh_at)
            .map(|(ip, _)| *ip)
            .collect();
        for ip in due {
            if let Some(t) = self.permissions.get_mut(&ip) {
                t.refresh_at = now + PERMISSION_LIFETIME;
            }
            let r = Request::CreatePermission(ip);
            if !busy(&self.pending, &r) {
                let _ = self.start(now, r, 0);
            }
        }
        let due: Vec<(u16, SocketAddr)> = self
            .channels
            .iter()
            .filter(|(_, (_, t))| t.confirmed && now >= t.refresh_at)
            .map(|(c, (p, _))| (*c, *p))
            .collect();
        for (c, peer) in due {
            if let Some((_, t)) = self.channels.get_mut(&c) {
                t.refresh_at = now + CHANNEL_LIFETIME;
            }
            let r = Request::ChannelBind(c, peer);
            if !busy(&self.pending, &r) {
                let _ = self.start(now, r, 0);
            }
        }
    }

    /// The next datagram to send to the server.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TurnEvent> {
        self.events.pop_front()
    }

    /// When [`TurnClient::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut consider = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        for p in &self.pending {
            consider(p.tx.poll_timeout());
        }
        if self.state == AllocationState::Allocated {
            consider(self.refresh_at);
            consider(self.expires);
            for tm in self.permissions.values().filter(|t| t.confirmed) {
                consider(Some(tm.refresh_at));
            }
            for (_, tm) in self.channels.values().filter(|(_, t)| t.confirmed) {
                consider(Some(tm.refresh_at));
            }
        }
        t
    }
}

fn turn_error_text(e: &TurnError) -> &'static str {
    match e {
        TurnError::Busy => "too many outstanding requests",
        TurnError::TooLong => "request too long",
        _ => "request could not be sent",
    }
}

/// The error response `msg` lists `t` in UNKNOWN-ATTRIBUTES.
fn lists_unknown(msg: &Message<'_>, t: AttributeType) -> bool {
    matches!(
        msg.get(AttributeType::UNKNOWN_ATTRIBUTES),
        Some(Ok(Attribute::UnknownAttributes(list))) if list.iter().any(|u| u == t)
    )
}
