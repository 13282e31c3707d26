//! Server-side TURN allocation state (RFC 8656 §5–§12), sans-IO.
//!
//! [`TurnServer`] owns the allocations, permissions and channel bindings
//! and does the long-term credential checks; the caller owns the sockets.
//! Feed what arrives on the server's listening address to
//! [`TurnServer::handle_client`] and what arrives on a relayed address to
//! [`TurnServer::handle_peer`]; send what [`TurnServer::poll_output`]
//! returns; call [`TurnServer::handle_timeout`] at
//! [`TurnServer::poll_timeout`] so that expired state is dropped. Relayed
//! addresses are obtained from the caller (it binds a socket): through a
//! closure with [`TurnServer::handle_client`], or through a
//! [`RelayAllocator`] with [`TurnServer::handle_client_with`], which also
//! serves EVEN-PORT (an even port, or an even/odd pair whose odd half is
//! held under a RESERVATION-TOKEN for [`RESERVATION_LIFETIME`] and given to
//! the Allocate request that presents the token). Addresses are handed back
//! with [`ServerOutput::ReleaseRelay`].
//!
//! A dual allocation (RFC 8656 §7.2 step 9: ADDITIONAL-ADDRESS-FAMILY
//! IPv6) gets one IPv4 and one IPv6 relayed address, each with its own
//! time-to-expiry, permissions and channels (§6); when only one family can
//! be had, the success response names the other in ADDRESS-ERROR-CODE
//! (440 when [`RelayAllocator::supports`] says the family is not offered,
//! 508 when no address could be bound). A Refresh with
//! REQUESTED-ADDRESS-FAMILY refreshes or deletes that family only (§8).
//!
//! With [`TurnServer::set_alternate_server`] every authenticated Allocate
//! request is answered with 300 (Try Alternate) and ALTERNATE-SERVER
//! (RFC 8489 §10, RFC 8656 §7.2 step 11), protected by the same
//! MESSAGE-INTEGRITY(-SHA256) as any other response to that request.
//!
//! DONT-FRAGMENT (RFC 8656 §7.2 step 4, §11.2, §14) is accepted when the
//! caller says it can send a relayed UDP datagram with the DF bit set
//! ([`TurnServerConfig::dont_fragment`]): a Send indication carrying it
//! gives a [`ServerOutput::ToPeer`] with `dont_fragment: true`, and every
//! other relayed datagram `false` (the alternate behaviour of §14: the
//! DF bit of an incoming datagram is not known here, so it is taken as 0).
//! Without that support an Allocate request with DONT-FRAGMENT gets 420 and
//! a Send indication with it is discarded.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::attribute::{AddressFamily, Attribute, AttributeType, ErrorCode};
use crate::auth::{
    AuthFailure, IntegrityAlgorithm, LongTermServer, NonceState, verify_long_term_request,
};
use crate::error::EncodeError;
use crate::integrity::{IntegrityKey, PasswordAlgorithm};
use crate::message::{Class, Message, MessageType, MessageWriter, Method};
use crate::nonce::SecurityFeatures;
use crate::redirect::AlternateServer;
use crate::server::BindingServer;
use crate::turn::client::{CHANNEL_LIFETIME, PERMISSION_LIFETIME};
use crate::turn::{CHANNEL_MAX, CHANNEL_MIN, ChannelData, PacketKind, TRANSPORT_UDP, classify};

/// The default allocation lifetime (RFC 8656 §6: 600 s).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);

/// How long a port reserved by EVEN-PORT with the R bit is held for the
/// RESERVATION-TOKEN (RFC 8656 §7.2: at least 30 seconds).
pub const RESERVATION_LIFETIME: Duration = Duration::from_secs(30);

/// Most reservations held at once (each holds a bound port).
pub const MAX_RESERVATIONS: usize = 256;

/// What kind of relayed transport address an Allocate request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayRequest {
    /// Any port of the family.
    Any(AddressFamily),
    /// An even port (EVEN-PORT with the R bit 0).
    EvenPort(AddressFamily),
    /// An even port N whose successor N+1 on the same IP address is bound
    /// too, to be reserved (EVEN-PORT with the R bit 1).
    EvenPortPair(AddressFamily),
}

impl RelayRequest {
    /// The address family asked for.
    pub fn family(self) -> AddressFamily {
        match self {
            RelayRequest::Any(f) | RelayRequest::EvenPort(f) | RelayRequest::EvenPortPair(f) => f,
        }
    }
}

/// Relayed transport addresses bound by the caller for a [`RelayRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayGrant {
    /// The relayed transport address of the new allocation.
    pub relayed: SocketAddr,
    /// For [`RelayRequest::EvenPortPair`]: the address with port
    /// `relayed.port() + 1`, bound and held for a later Allocate.
    pub reserved: Option<SocketAddr>,
}

/// Binds relayed transport addresses for the server (the caller owns the
/// sockets). A grant that does not match the request (another family, an
/// odd port for EVEN-PORT, a missing or non-adjacent reserved address) is
/// released at once through [`ServerOutput::ReleaseRelay`] and the request
/// gets 508.
pub trait RelayAllocator {
    /// Binds addresses for `request`, or `None` when it cannot (the
    /// request then gets 508 Insufficient Capacity).
    fn allocate(&mut self, request: RelayRequest) -> Option<RelayGrant>;

    /// Whether the server offers relayed addresses of `family` at all
    /// (by default both). A family it does not offer is refused with 440
    /// (Address Family not Supported), RFC 8656 §7.2 step 7, or named in
    /// ADDRESS-ERROR-CODE 440 in a dual allocation (step 9).
    fn supports(&self, family: AddressFamily) -> bool {
        let _ = family;
        true
    }
}

/// The closure form of [`TurnServer::handle_client`]: any port only.
struct ClosureRelays<'a>(&'a mut dyn FnMut(AddressFamily) -> Option<SocketAddr>);

impl RelayAllocator for ClosureRelays<'_> {
    fn allocate(&mut self, request: RelayRequest) -> Option<RelayGrant> {
        match request {
            RelayRequest::Any(f) => (self.0)(f).map(|relayed| RelayGrant {
                relayed,
                reserved: None,
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Reservation {
    relayed: SocketAddr,
    expires: Instant,
}

/// Configuration of a [`TurnServer`].
#[derive(Debug, Clone)]
pub struct TurnServerConfig {
    /// The realm.
    pub realm: String,
    /// SOFTWARE to send.
    pub software: String,
    /// Longest lifetime granted.
    pub max_lifetime: Duration,
    /// How long a nonce stays valid.
    pub nonce_lifetime: Duration,
    /// Secret for nonce authentication (random, chosen by the caller).
    pub nonce_secret: [u8; 16],
    /// Most allocations at once.
    pub max_allocations: usize,
    /// The caller can send a relayed IPv4 UDP datagram with the DF (Don't
    /// Fragment) bit set, as [`ServerOutput::ToPeer`] asks with
    /// `dont_fragment` (RFC 8656 §14). When false, DONT-FRAGMENT is
    /// treated as an unknown comprehension-required attribute (§7.2 step
    /// 4, §11.2).
    pub dont_fragment: bool,
}

/// Something the caller must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerOutput {
    /// Send `payload` from the listening address to the client `to`.
    ToClient {
        /// The client.
        to: SocketAddr,
        /// The bytes.
        payload: Vec<u8>,
    },
    /// Send `payload` from the relayed address `relay` to `peer`.
    ToPeer {
        /// The relayed address to send from.
        relay: SocketAddr,
        /// The peer.
        peer: SocketAddr,
        /// The bytes.
        payload: Vec<u8>,
        /// Send the datagram with the IPv4 DF bit set: the client's Send
        /// indication carried DONT-FRAGMENT and both the client and the
        /// peer are IPv4 (RFC 8656 §14; with IPv6 on either side the
        /// attribute is ignored, §13). False otherwise, and never true
        /// unless [`TurnServerConfig::dont_fragment`] is.
        dont_fragment: bool,
    },
    /// The relayed address is no longer used: close its socket.
    ReleaseRelay(SocketAddr),
}

/// One relayed transport address of an allocation with its own
/// time-to-expiry, permissions and channels (RFC 8656 §6).
#[derive(Debug, Clone)]
struct Relay {
    relayed: SocketAddr,
    expires: Instant,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, (SocketAddr, Instant)>,
    peer_channel: HashMap<SocketAddr, u16>,
}

impl Relay {
    fn new(relayed: SocketAddr, expires: Instant) -> Self {
        Relay {
            relayed,
            expires,
            permissions: HashMap::new(),
            channels: HashMap::new(),
            peer_channel: HashMap::new(),
        }
    }
}

/// A single allocation (one relay) or a dual one (an IPv4 and an IPv6
/// relay, RFC 8656 §6: "all TURN messages are associated with either a
/// single or dual allocation"). Never empty; at most one relay per family.
#[derive(Debug, Clone)]
struct Allocation {
    relays: Vec<Relay>,
    username: String,
}

impl Allocation {
    /// The relay whose family is that of `ip`.
    fn relay_for(&self, ip: IpAddr) -> Option<&Relay> {
        self.relays
            .iter()
            .find(|r| r.relayed.is_ipv4() == ip.is_ipv4())
    }

    fn relay_for_mut(&mut self, ip: IpAddr) -> Option<&mut Relay> {
        self.relays
            .iter_mut()
            .find(|r| r.relayed.is_ipv4() == ip.is_ipv4())
    }

    /// The relay and peer a channel number is bound to. Channel numbers
    /// are unique across the relays of an allocation: ChannelData from the
    /// client names only the channel.
    fn channel(&self, channel: u16) -> Option<(&Relay, SocketAddr)> {
        self.relays
            .iter()
            .find_map(|r| r.channels.get(&channel).map(|(p, _)| (r, *p)))
    }

    fn has_family(&self, family: AddressFamily) -> bool {
        self.relays
            .iter()
            .any(|r| r.relayed.is_ipv4() == (family == AddressFamily::Ipv4))
    }
}

/// The TURN server state.
#[derive(Debug)]
pub struct TurnServer {
    config: TurnServerConfig,
    epoch: Instant,
    users: HashMap<String, (IntegrityKey, IntegrityKey)>,
    allocations: HashMap<SocketAddr, Allocation>,
    by_relay: HashMap<SocketAddr, SocketAddr>,
    binding: BindingServer,
    outputs: VecDeque<ServerOutput>,
    prf: crate::hmac_state::HmacSha256,
    counter: u64,
    reservations: HashMap<u64, Reservation>,
    alternate: Option<AlternateServer>,
}

struct Policy<'s> {
    server: &'s TurnServer,
    now: Instant,
}

impl LongTermServer for Policy<'_> {
    fn realm(&self) -> &str {
        &self.server.config.realm
    }

    fn nonce_state(&self, nonce: &str, client: SocketAddr) -> NonceState {
        if self.server.nonce_valid(self.now, nonce, client) {
            NonceState::Valid
        } else {
            NonceState::Stale
        }
    }

    fn key_for(&self, username: &str, algorithm: PasswordAlgorithm) -> Option<IntegrityKey> {
        let (md5, sha256) = self.server.users.get(username)?;
        Some(match algorithm {
            PasswordAlgorithm::Sha256 => sha256.clone(),
            _ => md5.clone(),
        })
    }
}

impl TurnServer {
    /// A server with no users yet; `now` anchors the nonce clock.
    pub fn new(now: Instant, config: TurnServerConfig) -> Self {
        let binding = BindingServer::new(config.software.clone());
        let config_secret = config.nonce_secret;
        TurnServer {
            config,
            epoch: now,
            users: HashMap::new(),
            allocations: HashMap::new(),
            by_relay: HashMap::new(),
            binding,
            outputs: VecDeque::new(),
            prf: crate::hmac_state::HmacSha256::new(&config_secret),
            counter: 0,
            reservations: HashMap::new(),
            alternate: None,
        }
    }

    /// Redirects every authenticated Allocate request to `alternate` with
    /// 300 (Try Alternate), or stops redirecting (`None`). A request whose
    /// source family has no address in `alternate` is served as usual
    /// (RFC 8489 §10: the mandatory ALTERNATE-SERVER has the family of the
    /// request's source). Requests on existing allocations (Refresh,
    /// CreatePermission, ChannelBind) are never redirected.
    pub fn set_alternate_server(&mut self, alternate: Option<AlternateServer>) {
        self.alternate = alternate;
    }

    /// Adds a user. Only the keys are stored, never the password.
    // [RFC 8656 §6] "For security reasons, the server MUST NOT store the password
    // explicitly and MUST store the key value"
    pub fn add_user(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<(), crate::opaque::OpaqueStringError> {
        let md5 = IntegrityKey::long_term(
            username,
            &self.config.realm,
            password,
            PasswordAlgorithm::Md5,
        )?;
        let sha = IntegrityKey::long_term(
            username,
            &self.config.realm,
            password,
            PasswordAlgorithm::Sha256,
        )?;
        self.users.insert(username.to_owned(), (md5, sha));
        Ok(())
    }

    /// Number of live allocations.
    pub fn allocation_count(&self) -> usize {
        self.allocations.len()
    }

    /// The (first) relayed address of the allocation of `client`, if any:
    /// the IPv4 one of a dual allocation.
    pub fn relayed_address(&self, client: SocketAddr) -> Option<SocketAddr> {
        self.allocations
            .get(&client)
            .and_then(|a| a.relays.first())
            .map(|r| r.relayed)
    }

    /// Every relayed address of the allocation of `client`: one, or two
    /// for a dual allocation (IPv4 first). Empty when there is none.
    pub fn relayed_addresses(&self, client: SocketAddr) -> Vec<SocketAddr> {
        self.allocations
            .get(&client)
            .map(|a| a.relays.iter().map(|r| r.relayed).collect())
            .unwrap_or_default()
    }

    fn nonce_mac(&self, expiry: u64, client: SocketAddr) -> String {
        let mac = self
            .prf
            .mac(b"nonce", format!("{expiry}/{client}").as_bytes());
        mac[..8].iter().map(|x| format!("{x:02x}")).collect()
    }

    /// A transaction ID for an indication: a keyed PRF over a counter, so
    /// unpredictable without the secret (RFC 8489 §5).
    fn indication_id(&mut self) -> crate::TransactionId {
        self.counter += 1;
        let mac = self.prf.mac(b"tid:", &self.counter.to_be_bytes());
        let mut tid = [0u8; 12];
        tid.copy_from_slice(&mac[..12]);
        crate::TransactionId(tid)
    }

    fn make_nonce(&self, now: Instant, client: SocketAddr) -> String {
        let expiry = (now - self.epoch + self.config.nonce_lifetime).as_secs();
        // [RFC 8489 §9.2] "If no security
        // features are used, then a byte array with all 24 bits set to zero
        // MUST be encoded instead."
        format!(
            "{}{expiry:x}.{}",
            SecurityFeatures::NONE.nonce_cookie(),
            self.nonce_mac(expiry, client)
        )
    }

    fn nonce_valid(&self, now: Instant, nonce: &str, client: SocketAddr) -> bool {
        let Some(rest) = nonce.get(crate::nonce::NONCE_COOKIE_LEN..) else {
            return false;
        };
        let Some((exp, mac)) = rest.split_once('.') else {
            return false;
        };
        let Ok(expiry) = u64::from_str_radix(exp, 16) else {
            return false;
        };
        // [RFC 8489 §9.2.4] "The server MUST NOT choose the
        // same NONCE for two requests unless they have the same source IP
        // address and port."
        mac == self.nonce_mac(expiry, client) && (now - self.epoch).as_secs() < expiry
    }

    /// Processes a datagram from a client on the listening address.
    pub fn handle_client(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        datagram: &[u8],
        allocate_relay: &mut dyn FnMut(AddressFamily) -> Option<SocketAddr>,
    ) {
        self.handle_client_with(
            now,
            local,
            from,
            datagram,
            &mut ClosureRelays(allocate_relay),
        );
    }

    /// Processes a datagram from a client on the listening address, binding
    /// relayed addresses through `relays` (which may serve EVEN-PORT).
    pub fn handle_client_with(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        datagram: &[u8],
        relays: &mut dyn RelayAllocator,
    ) {
        match classify(datagram) {
            PacketKind::ChannelData => self.client_channel_data(from, datagram),
            PacketKind::Stun => {
                let Ok(msg) = Message::parse(datagram) else {
                    return;
                };
                if msg.method() == Method::BINDING {
                    if let Some(r) = self.binding.handle(local, from, datagram) {
                        self.outputs.push_back(ServerOutput::ToClient {
                            to: r.destination,
                            payload: r.payload,
                        });
                    }
                    return;
                }
                match msg.class() {
                    Class::Indication if msg.method() == Method::SEND => {
                        self.send_indication(from, &msg)
                    }
                    Class::Request => {
                        if let Ok(Some(payload)) = self.request(now, from, &msg, relays) {
                            self.outputs
                                .push_back(ServerOutput::ToClient { to: from, payload });
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn client_channel_data(&mut self, from: SocketAddr, datagram: &[u8]) {
        let Ok((cd, _)) = ChannelData::parse(datagram) else {
            return;
        };
        let Some(a) = self.allocations.get(&from) else {
            return;
        };
        // [RFC 8656 §12.6] "On the server, the receipt of a
        // ChannelData message MUST NOT refresh either the channel binding or
        // the permission towards the peer."
        if let Some((relay, peer)) = a.channel(cd.channel) {
            // [RFC 8656 §14] "Alternate Behavior: As described in the Preferred
            // Behavior, except always assume the incoming DF bit is 0."
            self.outputs.push_back(ServerOutput::ToPeer {
                relay: relay.relayed,
                peer,
                payload: cd.data.to_vec(),
                dont_fragment: false,
            });
        }
    }

    fn send_indication(&mut self, from: SocketAddr, msg: &Message<'_>) {
        let Some(a) = self.allocations.get(&from) else {
            return;
        };
        // [RFC 8489 §6.3.2] "If the indication contains unknown
        // comprehension-required attributes, the indication is discarded and
        // processing ceases."
        // [RFC 8656 §11.2] "If the server is unable to set the DF bit on
        // outgoing UDP datagrams when this attribute is present, then the
        // server acts as if the DONT-FRAGMENT attribute is an unknown
        // comprehension-required attribute"
        let supports_df = self.config.dont_fragment;
        let unknown = msg.unknown_comprehension_required(|t| {
            t.is_known() && (t != AttributeType::DONT_FRAGMENT || supports_df)
        });
        if !unknown.is_empty() {
            return;
        }
        let asked_df = msg.get(AttributeType::DONT_FRAGMENT).is_some();
        let Some(Ok(Attribute::XorPeerAddress(peer))) = msg.get(AttributeType::XOR_PEER_ADDRESS)
        else {
            return;
        };
        let Some(Ok(Attribute::Data(data))) = msg.get(AttributeType::DATA) else {
            return;
        };
        // The relay of the peer's family sends it (RFC 8656 §6: permissions
        // are kept per relayed transport address).
        let Some(relay) = a.relay_for(peer.ip()) else {
            return;
        };
        // [RFC 8656 §11.2] "If no such
        // permission exists, the message is discarded."
        if !relay.permissions.contains_key(&peer.ip()) {
            return;
        }
        // [RFC 8656 §14] "When the server sends a packet to a peer in
        // response to a Send indication containing the DONT-FRAGMENT
        // attribute, then set the outgoing UDP packet to not fragment."
        // That is for IPv4-to-IPv4 relay only; with IPv6 on either side the
        // translation rules of §13.1–§13.3 apply:
        // [RFC 8656 §13.2] "For both preferred and alternate behavior, the
        // DONT-FRAGMENT attribute MUST be ignored by the server."
        let dont_fragment = asked_df && from.is_ipv4() && peer.is_ipv4();
        self.outputs.push_back(ServerOutput::ToPeer {
            relay: relay.relayed,
            peer,
            payload: data.to_vec(),
            dont_fragment,
        });
    }

    /// Processes a datagram from `peer` arriving on the relayed address `relay`.
    pub fn handle_peer(&mut self, relay: SocketAddr, peer: SocketAddr, datagram: &[u8]) {
        let Some(client) = self.by_relay.get(&relay).copied() else {
            return;
        };
        let Some(r) = self
            .allocations
            .get(&client)
            .and_then(|a| a.relays.iter().find(|r| r.relayed == relay))
        else {
            return;
        };
        let (relayed_peer_channel, has_permission) = (
            r.peer_channel.get(&peer).copied(),
            r.permissions.contains_key(&peer.ip()),
        );
        // [RFC 8656 §11.3] "The server then
        // checks to see whether the set of permissions for the allocation allow
        // the relaying of the UDP datagram as described in Section 9."
        if !has_permission {
            return;
        }
        let mut payload = Vec::with_capacity(datagram.len() + 36);
        if let Some(c) = relayed_peer_channel {
            // [RFC 8656 §12.5] "The server, on the other hand, MUST
            // use the ChannelData message if a channel has been bound to the peer."
            if (ChannelData {
                channel: c,
                data: datagram,
            })
            .write(&mut payload, false)
            .is_err()
            {
                return;
            }
        } else {
            // [RFC 8656 §11.3] "The Data indication
            // MUST contain both an XOR-PEER-ADDRESS and a DATA attribute."
            let tid = self.indication_id();
            let mut w = MessageWriter::new(
                &mut payload,
                MessageType::new(Class::Indication, Method::DATA),
                tid,
            );
            if w.attribute(&Attribute::XorPeerAddress(peer)).is_err()
                || w.attribute(&Attribute::Data(datagram)).is_err()
            {
                return;
            }
            w.finish();
        }
        self.outputs.push_back(ServerOutput::ToClient {
            to: client,
            payload,
        });
    }

    fn request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        msg: &Message<'_>,
        relays: &mut dyn RelayAllocator,
    ) -> Result<Option<Vec<u8>>, EncodeError> {
        let supports_df = self.config.dont_fragment;
        let unknown: Vec<AttributeType> = msg.unknown_comprehension_required(|t| {
            // [RFC 8656 §7.2] "If it does, but the server does not support
            // sending UDP datagrams with the DF bit set to 1 (see Sections 14
            // and 15), then the server treats the DONT-FRAGMENT attribute in
            // the Allocate request as an unknown comprehension-required
            // attribute."
            t.is_known() && (t != AttributeType::DONT_FRAGMENT || supports_df)
        });
        if !unknown.is_empty() {
            let list: Vec<u8> = unknown.iter().flat_map(|t| t.0.to_be_bytes()).collect();
            return self
                .error(msg, ErrorCode::UNKNOWN_ATTRIBUTE, None, Some(&list))
                .map(Some);
        }
        // [RFC 8656 §7.2] "Otherwise, the server MUST require that the request be
        // authenticated."
        let auth = match verify_long_term_request(msg, from, &Policy { server: self, now }) {
            Ok(a) => a,
            Err(f) => return self.auth_error(now, from, msg, &f).map(Some),
        };
        let key = Some((&auth.key, auth.algorithm));
        if msg.method() != Method::ALLOCATE {
            match self.allocations.get(&from) {
                // [RFC 8656 §5] "For all TURN messages (including ChannelData) EXCEPT an Allocate
                // request, if the 5-tuple does not identify an existing allocation,
                // then the message MUST either be rejected with a 437 Allocation
                // Mismatch error (if it is a request) or be silently ignored"
                None => {
                    return self
                        .error(msg, ErrorCode::ALLOCATION_MISMATCH, key, None)
                        .map(Some);
                }
                // [RFC 8656 §5] "then the request MUST be rejected with a 441 (Wrong Credentials)
                // error."
                Some(a) if a.username != auth.username => {
                    return self
                        .error(msg, ErrorCode::WRONG_CREDENTIALS, key, None)
                        .map(Some);
                }
                Some(_) => {}
            }
        }
        match msg.method() {
            Method::ALLOCATE => self
                .allocate(now, from, msg, key, &auth.username, relays)
                .map(Some),
            Method::REFRESH => self.refresh(now, from, msg, key).map(Some),
            Method::CREATE_PERMISSION => self.create_permission(now, from, msg, key).map(Some),
            Method::CHANNEL_BIND => self.channel_bind(now, from, msg, key).map(Some),
            _ => self.error(msg, ErrorCode::BAD_REQUEST, key, None).map(Some),
        }
    }

    fn auth_error(
        &self,
        now: Instant,
        from: SocketAddr,
        msg: &Message<'_>,
        failure: &AuthFailure,
    ) -> Result<Vec<u8>, EncodeError> {
        let code = failure.error_code();
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::ErrorResponse, msg.method()),
            msg.transaction_id(),
        );
        let reason = failure.to_string();
        w.attribute(&Attribute::ErrorCode(ErrorCode::new(code, &reason)))?;
        if code == 401 || code == 438 {
            // [RFC 8489 §9.2.4] "This
            // response MUST include a REALM value.  The response MUST include a
            // NONCE, selected by the server."
            w.attribute(&Attribute::Realm(&self.config.realm))?;
            w.attribute(&Attribute::Nonce(&self.make_nonce(now, from)))?;
        }
        w.attribute(&Attribute::Software(&self.config.software))?;
        w.fingerprint()?;
        Ok(buf)
    }

    fn response<'b>(
        &self,
        buf: &'b mut Vec<u8>,
        msg: &Message<'_>,
        class: Class,
    ) -> MessageWriter<'b> {
        MessageWriter::new(
            buf,
            MessageType::new(class, msg.method()),
            msg.transaction_id(),
        )
    }

    fn seal(
        &self,
        w: &mut MessageWriter<'_>,
        key: Option<(&IntegrityKey, IntegrityAlgorithm)>,
    ) -> Result<(), EncodeError> {
        // [RFC 8656 §5] "The server SHOULD include the SOFTWARE attribute in
        // all Allocate and Refresh responses (either success or failure)"
        w.attribute(&Attribute::Software(&self.config.software))?;
        // [RFC 8489 §9.2.4] "Any response generated by the server MUST include the MESSAGE-
        // INTEGRITY-SHA256 attribute, computed using the username and password
        // utilized to authenticate the request, unless the request was
        // processed as though PASSWORD-ALGORITHM was MD5"
        match key {
            Some((k, IntegrityAlgorithm::Sha256)) => {
                w.message_integrity_sha256(k)?;
            }
            Some((k, IntegrityAlgorithm::Sha1)) => {
                w.message_integrity(k)?;
            }
            None => {}
        }
        // [RFC 8656 §5] "The client and the server MAY include the
        // FINGERPRINT attribute in any STUN-formatted messages defined in
        // this document."
        w.fingerprint()?;
        Ok(())
    }

    fn error(
        &self,
        msg: &Message<'_>,
        code: ErrorCode<'_>,
        key: Option<(&IntegrityKey, IntegrityAlgorithm)>,
        unknown: Option<&[u8]>,
    ) -> Result<Vec<u8>, EncodeError> {
        let mut buf = Vec::new();
        let mut w = self.response(&mut buf, msg, Class::ErrorResponse);
        w.attribute(&Attribute::ErrorCode(code))?;
        if let Some(list) = unknown {
            w.raw_attribute(AttributeType::UNKNOWN_ATTRIBUTES, list)?;
        }
        self.seal(&mut w, key)?;
        Ok(buf)
    }

    fn lifetime(&self, msg: &Message<'_>) -> Duration {
        // [RFC 8656 §8.2] "Otherwise, if the
        // request contains a LIFETIME attribute, then the server computes the
        // minimum of the client's requested lifetime and the server's maximum
        // allowed lifetime."
        match msg.get(AttributeType::LIFETIME) {
            Some(Ok(Attribute::Lifetime(0))) => Duration::ZERO,
            Some(Ok(Attribute::Lifetime(l))) => Duration::from_secs(u64::from(l))
                .min(self.config.max_lifetime)
                .max(DEFAULT_LIFETIME),
            _ => DEFAULT_LIFETIME,
        }
    }

    fn allocate(
        &mut self,
        now: Instant,
        from: SocketAddr,
        msg: &Message<'_>,
        key: Option<(&IntegrityKey, IntegrityAlgorithm)>,
        username: &str,
        relays: &mut dyn RelayAllocator,
    ) -> Result<Vec<u8>, EncodeError> {
        // [RFC 8656 §7.2] "Also, at any point, the server MAY choose to reject the request
        // with a 300 (Try Alternate) error if it wishes to redirect the
        // client to a different server."
        if let Some(alt) = &self.alternate {
            if alt.for_source(from).is_some() {
                let mut buf = Vec::new();
                let mut w = self.response(&mut buf, msg, Class::ErrorResponse);
                let sha256 = matches!(key, Some((_, IntegrityAlgorithm::Sha256)));
                alt.write_try_alternate(&mut w, from, sha256)?;
                self.seal(&mut w, key)?;
                return Ok(buf);
            }
        }
        // [RFC 8656 §7.2] "The server checks if the 5-tuple is currently in use by an
        // existing allocation.  If yes, the server rejects the request
        // with a 437 (Allocation Mismatch) error."
        if self.allocations.contains_key(&from) {
            return self.error(msg, ErrorCode::ALLOCATION_MISMATCH, key, None);
        }
        match msg.get(AttributeType::REQUESTED_TRANSPORT) {
            Some(Ok(Attribute::RequestedTransport(TRANSPORT_UDP))) => {}
            // [RFC 8656 §7.2] "Otherwise, if the attribute is included but
            // specifies a protocol that is not supported by the server, the
            // server rejects the request with a 442 (Unsupported Transport
            // Protocol) error."
            Some(Ok(Attribute::RequestedTransport(_))) => {
                return self.error(msg, ErrorCode::UNSUPPORTED_TRANSPORT, key, None);
            }
            // [RFC 8656 §7.2] "If the REQUESTED-TRANSPORT attribute is not included
            // or is malformed, the server rejects the request with a 400 (Bad
            // Request) error."
            _ => return self.error(msg, ErrorCode::BAD_REQUEST, key, None),
        }
        let even_port = match msg.get(AttributeType::EVEN_PORT) {
            Some(Ok(Attribute::EvenPort(r))) => Some(r),
            None => None,
            Some(_) => return self.error(msg, ErrorCode::BAD_REQUEST, key, None),
        };
        let token = match msg.get(AttributeType::RESERVATION_TOKEN) {
            Some(Ok(Attribute::ReservationToken(t))) => Some(t),
            None => None,
            Some(_) => return self.error(msg, ErrorCode::BAD_REQUEST, key, None),
        };
        let has_requested = msg.contains(AttributeType::REQUESTED_ADDRESS_FAMILY);
        let has_additional = msg.contains(AttributeType::ADDITIONAL_ADDRESS_FAMILY);
        // [RFC 8656 §7.2] "If yes, and the request also contains an EVEN-PORT
        // or REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY
        // attribute, the server rejects the request with a 400 (Bad
        // Request) error."
        if token.is_some() && (even_port.is_some() || has_requested || has_additional) {
            return self.error(msg, ErrorCode::BAD_REQUEST, key, None);
        }
        // [RFC 8656 §7.2] "If
        // the token is not valid for some reason, the server rejects the
        // request with a 508 (Insufficient Capacity) error."
        if token.is_some_and(|t| self.reservations.get(&t).is_none_or(|r| r.expires <= now)) {
            return self.error(msg, ErrorCode::INSUFFICIENT_CAPACITY, key, None);
        }
        // [RFC 8656 §7.2] "The server checks if the request contains both REQUESTED-
        // ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY attributes.  If
        // yes, then the server rejects the request with a 400 (Bad
        // Request) error."
        if has_requested && has_additional {
            return self.error(msg, ErrorCode::BAD_REQUEST, key, None);
        }
        let family = match msg.get_raw(AttributeType::REQUESTED_ADDRESS_FAMILY) {
            // [RFC 8656 §7.2] "If the REQUESTED- ADDRESS-FAMILY attribute is
            // absent and the server supports the IPv4 address family, the
            // server MUST allocate an IPv4 relayed transport address for the
            // TURN client."
            None => AddressFamily::Ipv4,
            Some(raw) => match raw.value {
                [code, _, _, _] => match AddressFamily::from_code(*code) {
                    Some(f) => f,
                    // A family code this server does not know is a family
                    // it does not support (440 below), not a malformed
                    // attribute.
                    None => {
                        return self.error(msg, ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED, key, None);
                    }
                },
                _ => return self.error(msg, ErrorCode::BAD_REQUEST, key, None),
            },
        };
        // [RFC 8656 §7.2] "If the server does not support the address family requested by
        // the client in REQUESTED-ADDRESS-FAMILY, or if the allocation of
        // the requested address family is disabled by local policy, it
        // MUST generate an Allocate error response, and it MUST include an
        // ERROR-CODE attribute with the 440 (Address Family not Supported)
        // response code."
        // [RFC 8656 §7.2] "If the REQUESTED-ADDRESS-FAMILY attribute is
        // absent and the server does not support the IPv4 address family,
        // the server MUST include an ERROR-CODE attribute with the 440
        // (Address Family not Supported) response code."
        // (Checked in this order, step 7 before step 9, also for a dual
        // request: a server without IPv4 refuses it with 440.)
        if !relays.supports(family) {
            return self.error(msg, ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED, key, None);
        }
        // [RFC 8656 §7.2] "If yes, and the request also contains
        // an ADDITIONAL-ADDRESS-FAMILY attribute, the server rejects the
        // request with a 400 (Bad Request) error."
        if even_port == Some(true) && has_additional {
            return self.error(msg, ErrorCode::BAD_REQUEST, key, None);
        }
        let additional = match msg.get(AttributeType::ADDITIONAL_ADDRESS_FAMILY) {
            None => None,
            Some(Ok(Attribute::AdditionalAddressFamily(AddressFamily::Ipv6))) => {
                Some(AddressFamily::Ipv6)
            }
            // [RFC 8656 §7.2] "If yes, and the attribute value is 0x01 (IPv4
            // address family), then the server rejects the request with a 400
            // (Bad Request) error."
            // And so is any other value:
            // [RFC 8656 §18.11] "The attribute value of 0x02 (IPv6 address)
            // is the only valid value in Allocate request."
            Some(_) => return self.error(msg, ErrorCode::BAD_REQUEST, key, None),
        };
        // [RFC 8656 §7.2] "At any point, the server MAY choose to reject the
        // request with a 486 (Allocation Quota Reached) error"
        if self.allocations.len() >= self.config.max_allocations {
            return self.error(msg, ErrorCode::ALLOCATION_QUOTA_REACHED, key, None);
        }
        let mut new_token = None;
        let mut relayed = Vec::with_capacity(2);
        let mut address_error = None;
        if let Some(t) = token {
            // [RFC 8656 §7.2] "If the request contains a RESERVATION-TOKEN attribute, the server
            // uses the previously reserved transport address corresponding to
            // the included token (if it is still available)."
            match self.reservations.remove(&t) {
                Some(r) => relayed.push(r.relayed),
                None => return self.error(msg, ErrorCode::INSUFFICIENT_CAPACITY, key, None),
            }
        } else {
            let request = match even_port {
                None => RelayRequest::Any(family),
                // [RFC 8656 §7.2] "If the request contains an EVEN-PORT attribute with the R bit set
                // to 0, then the server allocates a relayed transport address with
                // an even port number."
                Some(false) => RelayRequest::EvenPort(family),
                // [RFC 8656 §7.2] "If the request contains an EVEN-PORT attribute with the R bit set
                // to 1, then the server looks for a pair of port numbers N and N+1
                // on the same IP address, where N is even."
                Some(true) if self.reservations.len() < MAX_RESERVATIONS => {
                    RelayRequest::EvenPortPair(family)
                }
                Some(true) => {
                    return self.error(msg, ErrorCode::INSUFFICIENT_CAPACITY, key, None);
                }
            };
            let first = self.grant(now, request, relays);
            match (first, additional) {
                (Some((a, t)), None) => {
                    relayed.push(a);
                    new_token = t;
                }
                // [RFC 8656 §7.2] "If the server
                // cannot satisfy the request, then the server rejects the request
                // with a 508 (Insufficient Capacity) error."
                (None, None) => {
                    return self.error(msg, ErrorCode::INSUFFICIENT_CAPACITY, key, None);
                }
                // [RFC 8656 §7.2] "Otherwise, the server checks if it can
                // allocate relayed transport addresses of both address types."
                (first, Some(extra)) => {
                    let second_request = match even_port {
                        Some(_) => RelayRequest::EvenPort(extra),
                        None => RelayRequest::Any(extra),
                    };
                    let supported = relays.supports(extra);
                    let second = if supported {
                        self.grant(now, second_request, relays)
                    } else {
                        None
                    };
                    match (first, second) {
                        // [RFC 8656 §7.2] "If the server can fully meet the request, then the server allocates one IPv4 and
                        // one IPv6 relay address and returns an Allocate success response
                        // containing the relayed transport addresses assigned to the dual
                        // allocation in two XOR-RELAYED-ADDRESS attributes."
                        (Some((a, _)), Some((b, _))) => relayed.extend([a, b]),
                        // [RFC 8656 §7.2] "If the server can partially meet the request, i.e., if it can only
                        // allocate one relayed transport address of a specific address
                        // type, then it includes ADDRESS-ERROR-CODE attribute in the
                        // success response to inform the client the reason for partial
                        // failure of the request."
                        (Some((a, _)), None) => {
                            relayed.push(a);
                            address_error = Some((
                                extra,
                                if supported {
                                    ErrorCode::INSUFFICIENT_CAPACITY
                                } else {
                                    ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED
                                },
                            ));
                        }
                        (None, Some((b, _))) => {
                            relayed.push(b);
                            address_error = Some((family, ErrorCode::INSUFFICIENT_CAPACITY));
                        }
                        // [RFC 8656 §7.2] "If the
                        // server cannot satisfy the request, then the server rejects
                        // the request with a 508 (Insufficient Capacity) error."
                        (None, None) => {
                            return self.error(msg, ErrorCode::INSUFFICIENT_CAPACITY, key, None);
                        }
                    }
                }
            }
        }
        let lifetime = self.lifetime(msg).max(DEFAULT_LIFETIME);
        for a in &relayed {
            self.by_relay.insert(*a, from);
        }
        self.allocations.insert(
            from,
            Allocation {
                relays: relayed
                    .iter()
                    .map(|a| Relay::new(*a, now + lifetime))
                    .collect(),
                username: username.to_owned(),
            },
        );
        let mut buf = Vec::new();
        let mut w = self.response(&mut buf, msg, Class::SuccessResponse);
        // [RFC 8656 §7.2] "An XOR-RELAYED-ADDRESS attribute containing the relayed transport
        // address or two XOR-RELAYED-ADDRESS attributes containing the
        // relayed transport addresses."
        for a in &relayed {
            w.attribute(&Attribute::XorRelayedAddress(*a))?;
        }
        if let Some((family, error)) = address_error {
            // [RFC 8656 §18.12] "At this point, the 13 bits in the Reserved field MUST be
            // set to zero by the server"
            // [RFC 8656 §18.12] "The reason phrase MUST be a UTF-8 [RFC3629] encoded sequence of less
            // than 128 characters"
            // (The fixed phrases of `ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED`
            // and `ErrorCode::INSUFFICIENT_CAPACITY`.)
            w.attribute(&Attribute::AddressErrorCode { family, error })?;
        }
        w.attribute(&Attribute::Lifetime(lifetime.as_secs() as u32))?;
        if let Some(t) = new_token {
            // [RFC 8656 §7.2] "The server then includes the token in a RESERVATION-
            // TOKEN attribute in the success response."
            w.attribute(&Attribute::ReservationToken(t))?;
        }
        w.attribute(&Attribute::XorMappedAddress(from))?;
        self.seal(&mut w, key)?;
        Ok(buf)
    }

    /// Binds a relayed address for `request` through `relays`; with the R
    /// bit, holds the N+1 port under a new token. `None` when nothing
    /// fitting could be had (the caller answers 508).
    fn grant(
        &mut self,
        now: Instant,
        request: RelayRequest,
        relays: &mut dyn RelayAllocator,
    ) -> Option<(SocketAddr, Option<u64>)> {
        let grant = relays.allocate(request)?;
        // [RFC 8656 §6] "The relayed transport address MUST be unique
        // across all allocations"
        // (An address already in use or held is refused, and not
        // released: its socket belongs to the other allocation.)
        if self.in_use(&grant) {
            return None;
        }
        if !grant_fits(request, &grant) {
            self.outputs
                .push_back(ServerOutput::ReleaseRelay(grant.relayed));
            if let Some(r) = grant.reserved {
                self.outputs.push_back(ServerOutput::ReleaseRelay(r));
            }
            return None;
        }
        let token = grant.reserved.map(|reserved| {
            let t = self.reservation_token();
            // [RFC 8656 §7.2] "The
            // server MUST hold this reservation for at least 30 seconds"
            self.reservations.insert(
                t,
                Reservation {
                    relayed: reserved,
                    expires: now + RESERVATION_LIFETIME,
                },
            );
            t
        });
        Some((grant.relayed, token))
    }

    fn refresh(
        &mut self,
        now: Instant,
        from: SocketAddr,
        msg: &Message<'_>,
        key: Option<(&IntegrityKey, IntegrityAlgorithm)>,
    ) -> Result<Vec<u8>, EncodeError> {
        let lifetime = self.lifetime(msg);
        let family = match msg.get(AttributeType::REQUESTED_ADDRESS_FAMILY) {
            None => None,
            Some(Ok(Attribute::RequestedAddressFamily(f))) => Some(f),
            Some(_) => return self.error(msg, ErrorCode::BAD_REQUEST, key, None),
        };
        let Some(a) = self.allocations.get_mut(&from) else {
            return self.error(msg, ErrorCode::ALLOCATION_MISMATCH, key, None);
        };
        if let Some(f) = family {
            // [RFC 8656 §8.2] "If the server receives a Refresh Request with a REQUESTED-ADDRESS-
            // FAMILY attribute and the attribute value does not match the address
            // family of the allocation, the server MUST reply with a 443 (Peer
            // Address Family Mismatch) Refresh error response."
            if !a.has_family(f) {
                return self.error(msg, ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH, key, None);
            }
        }
        // [RFC 8656 §8.1] "If no REQUESTED-ADDRESS-FAMILY attribute is
        // included, then the request should be treated as applying to all
        // current allocations."
        let applies =
            |r: &Relay| family.is_none_or(|f| r.relayed.is_ipv4() == (f == AddressFamily::Ipv4));
        if lifetime.is_zero() {
            // [RFC 8656 §8.2] "If the "desired lifetime" is zero, then the request succeeds and
            // the allocation is deleted."
            // [RFC 8656 §8.1] "Deleting a single
            // allocation destroys any permissions or channels associated with that
            // particular allocation; it MUST NOT affect any permissions or channels
            // associated with allocations for the other address family."
            let (gone, kept): (Vec<Relay>, Vec<Relay>) =
                std::mem::take(&mut a.relays).into_iter().partition(applies);
            a.relays = kept;
            let empty = a.relays.is_empty();
            for r in gone {
                self.by_relay.remove(&r.relayed);
                self.outputs
                    .push_back(ServerOutput::ReleaseRelay(r.relayed));
            }
            if empty {
                self.allocations.remove(&from);
            }
        } else {
            // [RFC 8656 §8.2] "If the "desired lifetime" is non-zero, then the request succeeds
            // and the allocation's time-to-expiry is set to the "desired
            // lifetime"."
            for r in a.relays.iter_mut().filter(|r| applies(r)) {
                r.expires = now + lifetime;
            }
        }
        let mut buf = Vec::new();
        let mut w = self.response(&mut buf, msg, Class::SuccessResponse);
        // [RFC 8656 §8.2] "A LIFETIME attribute containing the current value of the time-to-
        // expiry timer."
        w.attribute(&Attribute::Lifetime(lifetime.as_secs() as u32))?;
        self.seal(&mut w, key)?;
        Ok(buf)
    }

    fn create_permission(
        &mut self,
        now: Instant,
        from: SocketAddr,
        msg: &Message<'_>,
        key: Option<(&IntegrityKey, IntegrityAlgorithm)>,
    ) -> Result<Vec<u8>, EncodeError> {
        let Some(a) = self.allocations.get(&from) else {
            return self.error(msg, ErrorCode::ALLOCATION_MISMATCH, key, None);
        };
        let mut peers = Vec::new();
        for raw in msg
            .processed_attributes()
            .filter(|r| r.attr_type == AttributeType::XOR_PEER_ADDRESS)
        {
            match Attribute::decode(raw.attr_type, raw.value, &msg.transaction_id()) {
                Ok(Attribute::XorPeerAddress(p)) => peers.push(p.ip()),
                _ => return self.error(msg, ErrorCode::BAD_REQUEST, key, None),
            }
        }
        // [RFC 8656 §10.2] "When the server receives the CreatePermission request, it processes
        // as per Section 5 plus the specific rules mentioned here."
        // [RFC 8656 §10.2] "The CreatePermission request MUST contain at least one XOR-PEER-ADDRESS
        // attribute and MAY contain multiple such attributes."
        if peers.is_empty() {
            return self.error(msg, ErrorCode::BAD_REQUEST, key, None);
        }
        // [RFC 8656 §10.2] "If an XOR-PEER-ADDRESS attribute contains an address of an address
        // family that is not the same as that of a relayed transport address
        // for the allocation, the server MUST generate an error response with
        // the 443 (Peer Address Family Mismatch) response code."
        // A dual allocation has a relay of each family, so it takes both:
        // [RFC 8656 §10.1] "For dual allocations obtained using the
        // ADDITIONAL-ADDRESS-FAMILY attribute, the client MAY include XOR-PEER-
        // ADDRESS attributes with addresses of IPv4 and IPv6 address families."
        if peers.iter().any(|p| a.relay_for(*p).is_none()) {
            return self.error(msg, ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH, key, None);
        }
        if let Some(a) = self.allocations.get_mut(&from) {
            for p in peers {
                if let Some(r) = a.relay_for_mut(p) {
                    r.permissions.insert(p, now + PERMISSION_LIFETIME);
                }
            }
        }
        let mut buf = Vec::new();
        let mut w = self.response(&mut buf, msg, Class::SuccessResponse);
        self.seal(&mut w, key)?;
        Ok(buf)
    }

    fn channel_bind(
        &mut self,
        now: Instant,
        from: SocketAddr,
        msg: &Message<'_>,
        key: Option<(&IntegrityKey, IntegrityAlgorithm)>,
    ) -> Result<Vec<u8>, EncodeError> {
        let Some(a) = self.allocations.get(&from) else {
            return self.error(msg, ErrorCode::ALLOCATION_MISMATCH, key, None);
        };
        let (
            Some(Ok(Attribute::ChannelNumber(channel))),
            Some(Ok(Attribute::XorPeerAddress(peer))),
        ) = (
            msg.get(AttributeType::CHANNEL_NUMBER),
            msg.get(AttributeType::XOR_PEER_ADDRESS),
        )
        else {
            // [RFC 8656 §12.2] "The request contains both a CHANNEL-NUMBER and an XOR-PEER-ADDRESS
            // attribute"
            return self.error(msg, ErrorCode::BAD_REQUEST, key, None);
        };
        // [RFC 8656 §12.2] "The channel number is in the range 0x4000 through 0x4FFF
        // (inclusive)"
        let in_range = (CHANNEL_MIN..=CHANNEL_MAX).contains(&channel);
        // [RFC 8656 §12.2] "The channel number is not currently bound to a different transport
        // address (same transport address is OK)"
        // (Across both relays of a dual allocation: ChannelData names only
        // the channel.)
        let channel_ok = a.channel(channel).is_none_or(|(_, p)| p == peer);
        // [RFC 8656 §12.2] "The transport address is not currently bound to a different
        // channel number."
        let peer_ok = a
            .relay_for(peer.ip())
            .and_then(|r| r.peer_channel.get(&peer))
            .is_none_or(|c| *c == channel);
        if !(in_range && channel_ok && peer_ok) {
            return self.error(msg, ErrorCode::BAD_REQUEST, key, None);
        }
        // [RFC 8656 §12.2] "If the XOR-PEER-ADDRESS attribute contains an
        // address of an address family that is not the same as that of a
        // relayed transport address for the allocation, the server MUST
        // generate an error response with the 443 (Peer Address Family
        // Mismatch) response code."
        if a.relay_for(peer.ip()).is_none() {
            return self.error(msg, ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH, key, None);
        }
        if let Some(r) = self
            .allocations
            .get_mut(&from)
            .and_then(|a| a.relay_for_mut(peer.ip()))
        {
            r.channels.insert(channel, (peer, now + CHANNEL_LIFETIME));
            r.peer_channel.insert(peer, channel);
            // [RFC 8656 §12.2] "The server also installs or refreshes a
            // permission for the IP address in the XOR-PEER-ADDRESS attribute"
            r.permissions.insert(peer.ip(), now + PERMISSION_LIFETIME);
        }
        let mut buf = Vec::new();
        let mut w = self.response(&mut buf, msg, Class::SuccessResponse);
        self.seal(&mut w, key)?;
        Ok(buf)
    }

    /// Drops expired allocations (each relayed address of a dual
    /// allocation on its own time-to-expiry), permissions, channel
    /// bindings and reservations.
    pub fn handle_timeout(&mut self, now: Instant) {
        let outputs = &mut self.outputs;
        self.reservations.retain(|_, r| {
            let keep = r.expires > now;
            if !keep {
                outputs.push_back(ServerOutput::ReleaseRelay(r.relayed));
            }
            keep
        });
        let by_relay = &mut self.by_relay;
        self.allocations.retain(|_, a| {
            a.relays.retain(|r| {
                let keep = r.expires > now;
                if !keep {
                    by_relay.remove(&r.relayed);
                    outputs.push_back(ServerOutput::ReleaseRelay(r.relayed));
                }
                keep
            });
            !a.relays.is_empty()
        });
        for r in self
            .allocations
            .values_mut()
            .flat_map(|a| a.relays.iter_mut())
        {
            r.permissions.retain(|_, t| *t > now);
            let gone: Vec<(u16, SocketAddr)> = r
                .channels
                .iter()
                .filter(|(_, (_, t))| *t <= now)
                .map(|(c, (p, _))| (*c, *p))
                .collect();
            for (c, p) in gone {
                r.channels.remove(&c);
                r.peer_channel.remove(&p);
            }
        }
    }

    /// When [`TurnServer::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.allocations
            .values()
            .flat_map(|a| a.relays.iter())
            .flat_map(|r| {
                std::iter::once(r.expires)
                    .chain(r.permissions.values().copied())
                    .chain(r.channels.values().map(|(_, t)| *t))
            })
            .chain(self.reservations.values().map(|r| r.expires))
            .min()
    }

    /// The next thing to send or release.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<ServerOutput> {
        self.outputs.pop_front()
    }

    /// Whether an address of `g` is the relayed address of an allocation or
    /// held under a reservation.
    fn in_use(&self, g: &RelayGrant) -> bool {
        let taken = |a: SocketAddr| {
            self.by_relay.contains_key(&a) || self.reservations.values().any(|r| r.relayed == a)
        };
        taken(g.relayed) || g.reserved.is_some_and(taken)
    }

    /// Number of relayed transport addresses held under a
    /// RESERVATION-TOKEN.
    pub fn reservation_count(&self) -> usize {
        self.reservations.len()
    }

    /// A RESERVATION-TOKEN: a keyed PRF over a counter, unpredictable
    /// without the secret and unique among the live reservations.
    fn reservation_token(&mut self) -> u64 {
        loop {
            self.counter += 1;
            let mac = self.prf.mac(b"token:", &self.counter.to_be_bytes());
            let mut t = [0u8; 8];
            t.copy_from_slice(&mac[..8]);
            let t = u64::from_be_bytes(t);
            if !self.reservations.contains_key(&t) {
                return t;
            }
        }
    }

    /// The username that owns the allocation of `client`.
    pub fn allocation_user(&self, client: SocketAddr) -> Option<&str> {
        self.allocations.get(&client).map(|a| a.username.as_str())
    }
}

/// Whether a grant is what the request asked for: the family, an even port
/// for EVEN-PORT, and for a pair the odd successor on the same IP address.
fn grant_fits(request: RelayRequest, g: &RelayGrant) -> bool {
    let family_ok = g.relayed.is_ipv4() == (request.family() == AddressFamily::Ipv4);
    let even = g.relayed.port() % 2 == 0;
    family_ok
        && match request {
            RelayRequest::Any(_) => g.reserved.is_none(),
            RelayRequest::EvenPort(_) => even && g.reserved.is_none(),
            // [RFC 8656 §7.2] "Port N is used in the
            // current allocation, while the relayed transport address with port
            // N+1 is assigned a token and reserved for a future allocation."
            RelayRequest::EvenPortPair(_) => {
                even && g.reserved.is_some_and(|r| {
                    r.ip() == g.relayed.ip() && Some(r.port()) == g.relayed.port().checked_add(1)
                })
            }
        }
}
