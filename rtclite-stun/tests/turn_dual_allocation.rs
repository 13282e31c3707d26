//! Dual allocations (RFC 8656 §7.1–§7.3, §8, §10, §12, §18.11, §18.12):
//! the sans-IO TURN server driven by hand-built authenticated requests,
//! every response compared byte for byte with the message the RFC
//! prescribes (built attribute by attribute, then SOFTWARE,
//! MESSAGE-INTEGRITY and FINGERPRINT), and the sans-IO TURN client asking
//! for a dual allocation on virtual time.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_stun::turn::client::{
    AllocatePort, RelayFamilies, TurnClient, TurnClientConfig, TurnError, TurnEvent,
};
use rtclite_stun::turn::server::{
    RelayAllocator, RelayGrant, RelayRequest, ServerOutput, TurnServer,
};
use rtclite_stun::turn::{ChannelData, TRANSPORT_UDP};
use rtclite_stun::{
    AddressFamily, Attribute, AttributeType, Class, ErrorCode, Message, MessageType, MessageWriter,
    Method, TransactionId,
};

use common::{addr, authenticate, response_tail};

const SERVER: &str = "192.0.2.1:3478";

/// Hands out consecutive ports on 192.0.2.1 and 2001:db8::1; each family
/// can be unsupported (`supports` false) or exhausted (`allocate` None).
struct Ports {
    next: u16,
    no_v4: bool,
    no_v6: bool,
    full_v4: bool,
    full_v6: bool,
    requests: Vec<RelayRequest>,
}

impl Ports {
    fn new() -> Ports {
        Ports {
            next: 49152,
            no_v4: false,
            no_v6: false,
            full_v4: false,
            full_v6: false,
            requests: Vec::new(),
        }
    }
}

impl RelayAllocator for Ports {
    fn allocate(&mut self, request: RelayRequest) -> Option<RelayGrant> {
        self.requests.push(request);
        let v4 = request.family() == AddressFamily::Ipv4;
        if (v4 && self.full_v4) || (!v4 && self.full_v6) {
            return None;
        }
        if !matches!(request, RelayRequest::Any(_)) && self.next % 2 == 1 {
            self.next += 1;
        }
        let ip: IpAddr = if v4 {
            "192.0.2.1".parse().unwrap()
        } else {
            "2001:db8::1".parse().unwrap()
        };
        let relayed = SocketAddr::new(ip, self.next);
        self.next += 1;
        Some(RelayGrant {
            relayed,
            reserved: None,
        })
    }

    fn supports(&self, family: AddressFamily) -> bool {
        match family {
            AddressFamily::Ipv4 => !self.no_v4,
            _ => !self.no_v6,
        }
    }
}

fn client() -> SocketAddr {
    addr("198.51.100.7:50000")
}

fn server(now: Instant) -> TurnServer {
    common::turn_server(now, 9)
}

/// Everything the server emitted for one datagram.
#[derive(Debug, Default)]
struct Out {
    to_client: Vec<Vec<u8>>,
    to_peer: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
    released: Vec<SocketAddr>,
}

fn drain(s: &mut TurnServer) -> Out {
    let mut out = Out::default();
    while let Some(o) = s.poll_output() {
        match o {
            ServerOutput::ToClient { to, payload } => {
                assert_eq!(to, client());
                out.to_client.push(payload);
            }
            ServerOutput::ToPeer {
                relay,
                peer,
                payload,
                ..
            } => out.to_peer.push((relay, peer, payload)),
            ServerOutput::ReleaseRelay(a) => out.released.push(a),
            other => panic!("{other:?}"),
        }
    }
    out
}

/// A session of one client: fetches the nonce with an unauthenticated
/// Allocate, then sends authenticated requests with increasing
/// transaction IDs.
struct Session {
    s: TurnServer,
    ports: Ports,
    now: Instant,
    nonce: String,
    id: u8,
}

impl Session {
    fn new() -> Session {
        let now = Instant::now();
        let mut s = server(now);
        let mut ports = Ports::new();
        let first = common::unauthenticated_allocate(1);
        s.handle_client_with(now, addr(SERVER), client(), &first, &mut ports);
        let out = drain(&mut s);
        let m = Message::parse(&out.to_client[0]).unwrap();
        let Some(Ok(Attribute::Nonce(n))) = m.get(AttributeType::NONCE) else {
            panic!("401 without NONCE")
        };
        Session {
            nonce: n.to_owned(),
            s,
            ports,
            now,
            id: 1,
        }
    }

    /// Builds an authenticated request.
    fn request(&mut self, method: Method, attrs: &[Attribute<'_>], sha256: bool) -> Vec<u8> {
        self.id += 1;
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::Request, method),
            TransactionId([self.id; 12]),
        );
        for a in attrs {
            w.attribute(a).unwrap();
        }
        authenticate(&mut w, &self.nonce, sha256);
        w.finish();
        buf
    }

    /// Sends an authenticated Allocate whose `family` attribute carries
    /// the unknown family code 0x03; returns the one response.
    fn allocate_with_unknown_family(&mut self, family: AttributeType) -> Vec<u8> {
        self.id += 1;
        let mut req = Vec::new();
        let mut w = MessageWriter::new(
            &mut req,
            MessageType::new(Class::Request, Method::ALLOCATE),
            TransactionId([self.id; 12]),
        );
        w.attribute(&Attribute::RequestedTransport(TRANSPORT_UDP))
            .unwrap();
        w.raw_attribute(family, &[3, 0, 0, 0]).unwrap();
        authenticate(&mut w, &self.nonce, false);
        w.finish();
        self.s
            .handle_client_with(self.now, addr(SERVER), client(), &req, &mut self.ports);
        drain(&mut self.s).to_client.remove(0)
    }

    /// Sends an authenticated request; returns the one response and the
    /// rest of the outputs.
    fn send(&mut self, method: Method, attrs: &[Attribute<'_>]) -> (Vec<u8>, Out) {
        let req = self.request(method, attrs, false);
        self.s
            .handle_client_with(self.now, addr(SERVER), client(), &req, &mut self.ports);
        let mut out = drain(&mut self.s);
        assert_eq!(out.to_client.len(), 1, "{out:?}");
        (out.to_client.remove(0), out)
    }

    /// The response the server must send to the last request: `class`
    /// of `method` with `attrs`, then SOFTWARE, MESSAGE-INTEGRITY (or
    /// -SHA256) and FINGERPRINT.
    fn expected(
        &self,
        method: Method,
        class: Class,
        attrs: &[Attribute<'_>],
        sha256: bool,
    ) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(class, method),
            TransactionId([self.id; 12]),
        );
        for a in attrs {
            w.attribute(a).unwrap();
        }
        response_tail(&mut w, sha256);
        buf
    }

    fn allocate(&mut self, attrs: &[Attribute<'_>]) -> Vec<u8> {
        let mut all = vec![Attribute::RequestedTransport(TRANSPORT_UDP)];
        all.extend_from_slice(attrs);
        self.send(Method::ALLOCATE, &all).0
    }

    fn expect_error(&self, response: &[u8], code: ErrorCode<'_>) {
        assert_eq!(
            response,
            self.expected(
                Method::ALLOCATE,
                Class::ErrorResponse,
                &[Attribute::ErrorCode(code)],
                false
            ),
            "{:?}",
            Message::parse(response)
        );
    }

    fn expect_success(&self, response: &[u8], attrs: &[Attribute<'_>]) {
        assert_eq!(
            response,
            self.expected(Method::ALLOCATE, Class::SuccessResponse, attrs, false),
            "{:?}",
            Message::parse(response)
        );
    }

    /// Asks for a dual allocation (ADDITIONAL-ADDRESS-FAMILY IPv6).
    fn allocate_dual(&mut self) -> Vec<u8> {
        self.allocate(&[Attribute::AdditionalAddressFamily(AddressFamily::Ipv6)])
    }

    /// A dual allocation met in part: only `relayed`, and an
    /// ADDRESS-ERROR-CODE naming `family` with `error`.
    fn expect_partial(
        &self,
        response: &[u8],
        relayed: &str,
        family: AddressFamily,
        error: ErrorCode<'_>,
    ) {
        self.expect_success(
            response,
            &[
                Attribute::XorRelayedAddress(addr(relayed)),
                Attribute::AddressErrorCode { family, error },
                Attribute::Lifetime(600),
                Attribute::XorMappedAddress(client()),
            ],
        );
    }
}

const V4: &str = "192.0.2.1:49152";
const V6: &str = "[2001:db8::1]:49153";

/// A dual allocation: the request, the exact answer, and the server state.
fn dual() -> Session {
    let mut t = Session::new();
    let r = t.allocate_dual();
    t.expect_success(
        &r,
        &[
            Attribute::XorRelayedAddress(addr(V4)),
            Attribute::XorRelayedAddress(addr(V6)),
            Attribute::Lifetime(600),
            Attribute::XorMappedAddress(client()),
        ],
    );
    t
}

// [RFC 8656 §7.2 test] "If the server can fully meet the request, then the
// server allocates one IPv4 and one IPv6 relay address and returns an
// Allocate success response containing the relayed transport addresses
// assigned to the dual allocation in two XOR-RELAYED-ADDRESS attributes."
#[test]
fn dual_allocation_returns_two_xor_relayed_addresses() {
    let t = dual();
    assert_eq!(
        t.ports.requests,
        vec![
            RelayRequest::Any(AddressFamily::Ipv4),
            RelayRequest::Any(AddressFamily::Ipv6)
        ]
    );
    assert_eq!(t.s.relayed_addresses(client()), vec![addr(V4), addr(V6)]);
    assert_eq!(t.s.relayed_address(client()), Some(addr(V4)));
    assert_eq!(t.s.allocation_count(), 1);
}

// [RFC 8656 §7.2 test] "If the server can partially meet the request, i.e.,
// if it can only allocate one relayed transport address of a specific
// address type, then it includes ADDRESS-ERROR-CODE attribute in the
// success response to inform the client the reason for partial failure of
// the request."
#[test]
fn dual_allocation_without_ipv6_support_names_it_with_440() {
    let mut t = Session::new();
    t.ports.no_v6 = true;
    let r = t.allocate_dual();
    t.expect_partial(
        &r,
        "192.0.2.1:49152",
        AddressFamily::Ipv6,
        ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED,
    );
    // The ADDRESS-ERROR-CODE value as laid out in RFC 8656 §18.12 Figure
    // 10: Family 0x02, 13 reserved bits zero, Class 4, Number 40, then
    // the reason phrase recommended in §19.
    let m = Message::parse(&r).unwrap();
    let raw = m.get_raw(AttributeType::ADDRESS_ERROR_CODE).unwrap();
    assert_eq!(raw.value, b"\x02\x00\x04\x28Address Family not Supported");
    // No IPv6 address was even asked for.
    assert_eq!(
        t.ports.requests,
        vec![RelayRequest::Any(AddressFamily::Ipv4)]
    );
    assert_eq!(
        t.s.relayed_addresses(client()),
        vec![addr("192.0.2.1:49152")]
    );
}

// [RFC 8656 §7.2 test] "The error code value signaled in the
// ADDRESS-ERROR-CODE attribute could be 440 (Address Family not Supported)
// or 508 (Insufficient Capacity)."
#[test]
fn dual_allocation_out_of_ipv6_ports_names_it_with_508() {
    let mut t = Session::new();
    t.ports.full_v6 = true;
    let r = t.allocate_dual();
    t.expect_partial(
        &r,
        "192.0.2.1:49152",
        AddressFamily::Ipv6,
        ErrorCode::INSUFFICIENT_CAPACITY,
    );
    let m = Message::parse(&r).unwrap();
    let raw = m.get_raw(AttributeType::ADDRESS_ERROR_CODE).unwrap();
    assert_eq!(raw.value, b"\x02\x00\x05\x08Insufficient Capacity");
}

#[test]
fn dual_allocation_out_of_ipv4_ports_keeps_the_ipv6_one() {
    let mut t = Session::new();
    t.ports.full_v4 = true;
    let r = t.allocate_dual();
    t.expect_partial(
        &r,
        "[2001:db8::1]:49152",
        AddressFamily::Ipv4,
        ErrorCode::INSUFFICIENT_CAPACITY,
    );
}

// [RFC 8656 §7.2 test] "If the server cannot satisfy the request, then the
// server rejects the request with a 508 (Insufficient Capacity) error."
#[test]
fn dual_allocation_with_no_port_at_all_is_508() {
    let mut t = Session::new();
    t.ports.full_v4 = true;
    t.ports.full_v6 = true;
    let r = t.allocate_dual();
    t.expect_error(&r, ErrorCode::INSUFFICIENT_CAPACITY);
    assert_eq!(t.s.allocation_count(), 0);
}

// [RFC 8656 §7.2 test] "The server checks if the request contains both
// REQUESTED- ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY attributes.  If
// yes, then the server rejects the request with a 400 (Bad Request)
// error."
#[test]
fn requested_and_additional_address_family_together_is_400() {
    for requested in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
        let mut t = Session::new();
        let r = t.allocate(&[
            Attribute::RequestedAddressFamily(requested),
            Attribute::AdditionalAddressFamily(AddressFamily::Ipv6),
        ]);
        t.expect_error(&r, ErrorCode::BAD_REQUEST);
        assert!(t.ports.requests.is_empty());
    }
}

// [RFC 8656 §7.2 test] "If yes, and the attribute value is 0x01 (IPv4
// address family), then the server rejects the request with a 400 (Bad
// Request) error."
#[test]
fn additional_address_family_ipv4_is_400() {
    let mut t = Session::new();
    let r = t.allocate(&[Attribute::AdditionalAddressFamily(AddressFamily::Ipv4)]);
    t.expect_error(&r, ErrorCode::BAD_REQUEST);
    // An unknown family code (0x03) in ADDITIONAL-ADDRESS-FAMILY too.
    let r = t.allocate_with_unknown_family(AttributeType::ADDITIONAL_ADDRESS_FAMILY);
    t.expect_error(&r, ErrorCode::BAD_REQUEST);
    assert!(t.ports.requests.is_empty());
}

// [RFC 8656 §7.2 test] "The server checks if the request contains an
// EVEN-PORT attribute with the R bit set to 1.  If yes, and the request
// also contains an ADDITIONAL-ADDRESS-FAMILY attribute, the server rejects
// the request with a 400 (Bad Request) error."
#[test]
fn even_port_r_with_additional_address_family_is_400() {
    let mut t = Session::new();
    let r = t.allocate(&[
        Attribute::EvenPort(true),
        Attribute::AdditionalAddressFamily(AddressFamily::Ipv6),
    ]);
    t.expect_error(&r, ErrorCode::BAD_REQUEST);
    assert_eq!(t.s.reservation_count(), 0);
}

/// EVEN-PORT without the R bit combines with a dual allocation: both
/// relayed addresses have even ports.
#[test]
fn even_port_without_r_gives_two_even_ports() {
    let mut t = Session::new();
    t.ports.next = 49153;
    let r = t.allocate(&[
        Attribute::EvenPort(false),
        Attribute::AdditionalAddressFamily(AddressFamily::Ipv6),
    ]);
    t.expect_success(
        &r,
        &[
            Attribute::XorRelayedAddress(addr("192.0.2.1:49154")),
            Attribute::XorRelayedAddress(addr("[2001:db8::1]:49156")),
            Attribute::Lifetime(600),
            Attribute::XorMappedAddress(client()),
        ],
    );
    assert_eq!(
        t.ports.requests,
        vec![
            RelayRequest::EvenPort(AddressFamily::Ipv4),
            RelayRequest::EvenPort(AddressFamily::Ipv6)
        ]
    );
}

// [RFC 8656 §7.2 test] "If yes, and the request also contains an EVEN-PORT
// or REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY attribute, the
// server rejects the request with a 400 (Bad Request) error."
#[test]
fn reservation_token_with_an_address_family_is_400() {
    for family in [
        Attribute::RequestedAddressFamily(AddressFamily::Ipv4),
        Attribute::AdditionalAddressFamily(AddressFamily::Ipv6),
    ] {
        let mut t = Session::new();
        let r = t.allocate(&[Attribute::ReservationToken(7), family]);
        t.expect_error(&r, ErrorCode::BAD_REQUEST);
    }
}

// [RFC 8656 §7.2 test] "If the server does not support the address family
// requested by the client in REQUESTED-ADDRESS-FAMILY, or if the allocation
// of the requested address family is disabled by local policy, it MUST
// generate an Allocate error response, and it MUST include an ERROR-CODE
// attribute with the 440 (Address Family not Supported) response code."
#[test]
fn requested_address_family_not_supported_is_440() {
    let mut t = Session::new();
    t.ports.no_v6 = true;
    let r = t.allocate(&[Attribute::RequestedAddressFamily(AddressFamily::Ipv6)]);
    t.expect_error(&r, ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED);
    // A family code the server does not know is not supported either.
    let r = t.allocate_with_unknown_family(AttributeType::REQUESTED_ADDRESS_FAMILY);
    t.expect_error(&r, ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED);
    assert!(t.ports.requests.is_empty());
}

// [RFC 8656 §7.2 test] "If the REQUESTED-ADDRESS-FAMILY attribute is absent
// and the server does not support the IPv4 address family, the server MUST
// include an ERROR-CODE attribute with the 440 (Address Family not
// Supported) response code."
#[test]
fn no_requested_family_on_a_server_without_ipv4_is_440_even_for_dual() {
    for attrs in [
        vec![],
        vec![Attribute::AdditionalAddressFamily(AddressFamily::Ipv6)],
    ] {
        let mut t = Session::new();
        t.ports.no_v4 = true;
        let r = t.allocate(&attrs);
        t.expect_error(&r, ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED);
    }
    // Asking for IPv6 alone works there.
    let mut t = Session::new();
    t.ports.no_v4 = true;
    let r = t.allocate(&[Attribute::RequestedAddressFamily(AddressFamily::Ipv6)]);
    t.expect_success(
        &r,
        &[
            Attribute::XorRelayedAddress(addr("[2001:db8::1]:49152")),
            Attribute::Lifetime(600),
            Attribute::XorMappedAddress(client()),
        ],
    );
}

/// Permissions are per relayed address: both families on a dual
/// allocation, 443 for the missing family on a single one.
// [RFC 8656 §10.2 test] "If an XOR-PEER-ADDRESS attribute contains an address
// of an address family that is not the same as that of a relayed transport
// address for the allocation, the server MUST generate an error response
// with the 443 (Peer Address Family Mismatch) response code."
#[test]
fn permissions_per_family() {
    let p4 = addr("203.0.113.9:7000");
    let p6 = addr("[2001:db8::9]:7000");
    let mut t = dual();
    let (r, _) = t.send(
        Method::CREATE_PERMISSION,
        &[Attribute::XorPeerAddress(p4), Attribute::XorPeerAddress(p6)],
    );
    assert_eq!(
        r,
        t.expected(
            Method::CREATE_PERMISSION,
            Class::SuccessResponse,
            &[],
            false
        )
    );
    // A Send indication to each peer leaves from the relay of its family.
    for (peer, relay) in [(p4, V4), (p6, V6)] {
        let mut ind = Vec::new();
        let mut w = MessageWriter::new(
            &mut ind,
            MessageType::new(Class::Indication, Method::SEND),
            TransactionId([0x77; 12]),
        );
        w.attribute(&Attribute::XorPeerAddress(peer)).unwrap();
        w.attribute(&Attribute::Data(b"hi")).unwrap();
        w.finish();
        t.s.handle_client_with(t.now, addr(SERVER), client(), &ind, &mut t.ports);
        let out = drain(&mut t.s);
        assert_eq!(out.to_peer, vec![(addr(relay), peer, b"hi".to_vec())]);
    }
    // A datagram from the IPv6 peer to the IPv6 relay reaches the client as
    // a Data indication; the same peer at the IPv4 relay has no permission
    // there.
    t.s.handle_peer(addr(V6), p6, b"back");
    let out = drain(&mut t.s);
    let m = Message::parse(&out.to_client[0]).unwrap();
    assert_eq!(
        m.message_type(),
        MessageType::new(Class::Indication, Method::DATA)
    );
    assert_eq!(
        m.get(AttributeType::XOR_PEER_ADDRESS).unwrap().unwrap(),
        Attribute::XorPeerAddress(p6)
    );
    t.s.handle_peer(addr(V4), p6, b"back");
    assert!(drain(&mut t.s).to_client.is_empty());

    // A single IPv4 allocation refuses an IPv6 peer with 443.
    let mut t = Session::new();
    t.allocate(&[]);
    let (r, _) = t.send(Method::CREATE_PERMISSION, &[Attribute::XorPeerAddress(p6)]);
    assert_eq!(
        r,
        t.expected(
            Method::CREATE_PERMISSION,
            Class::ErrorResponse,
            &[Attribute::ErrorCode(
                ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH
            )],
            false
        )
    );
}

/// Channels are per relayed address, their numbers unique across the
/// allocation.
// [RFC 8656 §12.2 test] "The channel number is not currently bound to a
// different transport address (same transport address is OK)"
#[test]
fn channels_per_family() {
    let p4 = addr("203.0.113.9:7000");
    let p6 = addr("[2001:db8::9]:7000");
    let mut t = dual();
    for (c, p) in [(0x4000, p4), (0x4001, p6)] {
        let (r, _) = t.send(
            Method::CHANNEL_BIND,
            &[Attribute::ChannelNumber(c), Attribute::XorPeerAddress(p)],
        );
        assert_eq!(
            r,
            t.expected(Method::CHANNEL_BIND, Class::SuccessResponse, &[], false)
        );
    }
    // 0x4000 is the IPv4 peer's: binding it to the IPv6 peer is 400.
    let (r, _) = t.send(
        Method::CHANNEL_BIND,
        &[
            Attribute::ChannelNumber(0x4000),
            Attribute::XorPeerAddress(addr("[2001:db8::10]:7000")),
        ],
    );
    assert_eq!(
        r,
        t.expected(
            Method::CHANNEL_BIND,
            Class::ErrorResponse,
            &[Attribute::ErrorCode(ErrorCode::BAD_REQUEST)],
            false
        )
    );
    // ChannelData from the client leaves from the relay of the channel's peer.
    for (c, p, relay) in [(0x4000u16, p4, V4), (0x4001, p6, V6)] {
        let mut cd = Vec::new();
        ChannelData {
            channel: c,
            data: b"x",
        }
        .write(&mut cd, false)
        .unwrap();
        t.s.handle_client_with(t.now, addr(SERVER), client(), &cd, &mut t.ports);
        assert_eq!(
            drain(&mut t.s).to_peer,
            vec![(addr(relay), p, b"x".to_vec())]
        );
    }
    // Data from each peer comes back on its channel.
    t.s.handle_peer(addr(V6), p6, b"y");
    assert_eq!(
        drain(&mut t.s).to_client,
        vec![b"\x40\x01\x00\x01y".to_vec()]
    );
    t.s.handle_peer(addr(V4), p4, b"z");
    assert_eq!(
        drain(&mut t.s).to_client,
        vec![b"\x40\x00\x00\x01z".to_vec()]
    );
}

// [RFC 8656 §8.1 test] "Deleting a single allocation destroys any
// permissions or channels associated with that particular allocation; it
// MUST NOT affect any permissions or channels associated with allocations
// for the other address family."
#[test]
fn refresh_with_requested_family_deletes_that_family_only() {
    let p4 = addr("203.0.113.9:7000");
    let p6 = addr("[2001:db8::9]:7000");
    let mut t = dual();
    t.send(
        Method::CHANNEL_BIND,
        &[
            Attribute::ChannelNumber(0x4000),
            Attribute::XorPeerAddress(p4),
        ],
    );
    t.send(
        Method::CHANNEL_BIND,
        &[
            Attribute::ChannelNumber(0x4001),
            Attribute::XorPeerAddress(p6),
        ],
    );
    let (r, out) = t.send(
        Method::REFRESH,
        &[
            Attribute::Lifetime(0),
            Attribute::RequestedAddressFamily(AddressFamily::Ipv6),
        ],
    );
    assert_eq!(
        r,
        t.expected(
            Method::REFRESH,
            Class::SuccessResponse,
            &[Attribute::Lifetime(0)],
            false
        )
    );
    assert_eq!(out.released, vec![addr(V6)]);
    assert_eq!(t.s.relayed_addresses(client()), vec![addr(V4)]);
    // The IPv4 channel still relays; the IPv6 one is gone with its relay.
    t.s.handle_peer(addr(V4), p4, b"z");
    assert_eq!(
        drain(&mut t.s).to_client,
        vec![b"\x40\x00\x00\x01z".to_vec()]
    );
    let mut cd = Vec::new();
    ChannelData {
        channel: 0x4001,
        data: b"x",
    }
    .write(&mut cd, false)
    .unwrap();
    t.s.handle_client_with(t.now, addr(SERVER), client(), &cd, &mut t.ports);
    assert!(drain(&mut t.s).to_peer.is_empty());

    // [RFC 8656 §8.2 test] "If the server receives a Refresh Request with a
    // REQUESTED-ADDRESS- FAMILY attribute and the attribute value does not
    // match the address family of the allocation, the server MUST reply
    // with a 443 (Peer Address Family Mismatch) Refresh error response."
    let (r, _) = t.send(
        Method::REFRESH,
        &[Attribute::RequestedAddressFamily(AddressFamily::Ipv6)],
    );
    assert_eq!(
        r,
        t.expected(
            Method::REFRESH,
            Class::ErrorResponse,
            &[Attribute::ErrorCode(
                ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH
            )],
            false
        )
    );
    // Deleting the last family deletes the allocation.
    let (_, out) = t.send(
        Method::REFRESH,
        &[
            Attribute::Lifetime(0),
            Attribute::RequestedAddressFamily(AddressFamily::Ipv4),
        ],
    );
    assert_eq!(out.released, vec![addr(V4)]);
    assert_eq!(t.s.allocation_count(), 0);
}

// [RFC 8656 §8.1 test] "If no REQUESTED-ADDRESS-FAMILY attribute is
// included, then the request should be treated as applying to all current
// allocations."
#[test]
fn each_family_has_its_own_time_to_expiry() {
    let mut t = dual();
    // IPv4 refreshed to an hour; IPv6 keeps its 600 s.
    let (r, _) = t.send(
        Method::REFRESH,
        &[
            Attribute::Lifetime(3600),
            Attribute::RequestedAddressFamily(AddressFamily::Ipv4),
        ],
    );
    assert_eq!(
        r,
        t.expected(
            Method::REFRESH,
            Class::SuccessResponse,
            &[Attribute::Lifetime(3600)],
            false
        )
    );
    let t0 = t.now;
    assert_eq!(t.s.poll_timeout(), Some(t0 + Duration::from_secs(600)));
    t.s.handle_timeout(t0 + Duration::from_secs(600));
    assert_eq!(drain(&mut t.s).released, vec![addr(V6)]);
    assert_eq!(t.s.relayed_addresses(client()), vec![addr(V4)]);
    assert_eq!(t.s.poll_timeout(), Some(t0 + Duration::from_secs(3600)));
    // A Refresh without the attribute applies to what is left.
    t.now = t0 + Duration::from_secs(601);
    let (r, _) = t.send(Method::REFRESH, &[Attribute::Lifetime(0)]);
    assert_eq!(
        r,
        t.expected(
            Method::REFRESH,
            Class::SuccessResponse,
            &[Attribute::Lifetime(0)],
            false
        )
    );
    assert_eq!(t.s.allocation_count(), 0);
}

// ---- The client ----

struct Pair {
    s: TurnServer,
    ports: Ports,
    c: TurnClient<ChaCha20Rng>,
    now: Instant,
    events: Vec<TurnEvent>,
    sent: Vec<Vec<u8>>,
    to_peer: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
}

impl Pair {
    fn new() -> Pair {
        let now = Instant::now();
        let cfg = TurnClientConfig::new(addr(SERVER), "alice", "secret");
        Pair {
            s: server(now),
            ports: Ports::new(),
            c: TurnClient::new(cfg, ChaCha20Rng::seed_from_u64(8)),
            now,
            events: Vec::new(),
            sent: Vec::new(),
            to_peer: Vec::new(),
        }
    }

    /// Delivers everything both ways until quiet (bounded).
    fn drive(&mut self) {
        for _ in 0..50 {
            let mut moved = false;
            while let Some(t) = self.c.poll_transmit() {
                moved = true;
                self.sent.push(t.payload.clone());
                self.s.handle_client_with(
                    self.now,
                    addr(SERVER),
                    client(),
                    &t.payload,
                    &mut self.ports,
                );
            }
            while let Some(o) = self.s.poll_output() {
                match o {
                    ServerOutput::ToClient { payload, .. } => {
                        moved = true;
                        self.c.handle_input(self.now, addr(SERVER), &payload);
                    }
                    ServerOutput::ToPeer {
                        relay,
                        peer,
                        payload,
                        ..
                    } => self.to_peer.push((relay, peer, payload)),
                    _ => {}
                }
            }
            while let Some(e) = self.c.poll_event() {
                self.events.push(e);
            }
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }
}

// [RFC 8656 §7.1 test] "If the client wishes to obtain one IPv6 and one
// IPv4 relayed transport address, then it includes an
// ADDITIONAL-ADDRESS-FAMILY attribute in the request."
#[test]
fn client_dual_allocation_permissions_channels_and_family_deletion() {
    let mut p = Pair::new();
    p.c.allocate_with(p.now, AllocatePort::Any, RelayFamilies::Dual)
        .unwrap();
    p.drive();
    // The authenticated Allocate carries ADDITIONAL-ADDRESS-FAMILY 0x02
    // and no REQUESTED-ADDRESS-FAMILY.
    let allocate = Message::parse(&p.sent[1]).unwrap();
    assert_eq!(
        allocate
            .get_raw(AttributeType::ADDITIONAL_ADDRESS_FAMILY)
            .unwrap()
            .value,
        [2, 0, 0, 0]
    );
    assert!(!allocate.contains(AttributeType::REQUESTED_ADDRESS_FAMILY));
    assert_eq!(
        p.events.remove(0),
        TurnEvent::Allocated {
            relayed: addr(V4),
            additional: Some(addr(V6)),
            address_error: None,
            mapped: Some(client()),
            lifetime: Duration::from_secs(600),
        }
    );
    assert_eq!(p.c.relayed_addresses(), vec![addr(V4), addr(V6)]);
    let p4 = addr("203.0.113.9:7000");
    let p6 = addr("[2001:db8::9]:7000");
    p.c.create_permission(p.now, p4.ip()).unwrap();
    p.c.bind_channel(p.now, p6).unwrap();
    p.drive();
    assert!(p.events.contains(&TurnEvent::PermissionCreated(p4.ip())));
    assert!(p.events.contains(&TurnEvent::ChannelBound {
        channel: 0x4000,
        peer: p6
    }));
    p.events.clear();
    // Data from the IPv6 peer on the IPv6 relay arrives over the channel.
    p.s.handle_peer(addr(V6), p6, b"six");
    p.drive();
    assert_eq!(
        p.events,
        vec![TurnEvent::Data {
            peer: p6,
            data: b"six".to_vec()
        }]
    );
    p.events.clear();
    // Deleting the IPv6 half keeps the IPv4 permission.
    p.c.deallocate_family(p.now, AddressFamily::Ipv6).unwrap();
    p.drive();
    let refresh = Message::parse(p.sent.last().unwrap()).unwrap();
    assert_eq!(refresh.method(), Method::REFRESH);
    assert_eq!(
        refresh
            .get_raw(AttributeType::REQUESTED_ADDRESS_FAMILY)
            .unwrap()
            .value,
        [2, 0, 0, 0]
    );
    assert_eq!(p.events, vec![TurnEvent::RelayDeleted(addr(V6))]);
    assert_eq!(p.c.relayed_addresses(), vec![addr(V4)]);
    assert_eq!(p.s.relayed_addresses(client()), vec![addr(V4)]);
    assert_eq!(p.c.send(p6, b"x"), Err(TurnError::FamilyMismatch));
    assert_eq!(
        p.c.deallocate_family(p.now, AddressFamily::Ipv6),
        Err(TurnError::FamilyMismatch)
    );
    p.c.send(p4, b"four").unwrap();
    p.drive();
    // The IPv4 permission survived: the Send indication was relayed.
    assert_eq!(p.to_peer, vec![(addr(V4), p4, b"four".to_vec())]);
    p.events.clear();
    p.c.deallocate(p.now).unwrap();
    p.drive();
    assert_eq!(p.events, vec![TurnEvent::Deallocated]);
    assert_eq!(p.s.allocation_count(), 0);
}

// [RFC 8656 §7.3 test] "If the client receives an Allocate success response
// but with an ADDRESS-ERROR-CODE attribute in the response and the error
// code value signaled in the ADDRESS-ERROR-CODE attribute is 440 (Address
// Family not Supported), the client MUST NOT retry its request for the
// rejected address type."
#[test]
fn client_does_not_ask_again_for_a_family_refused_with_440() {
    let mut p = Pair::new();
    p.ports.no_v6 = true;
    p.c.allocate_with(p.now, AllocatePort::Any, RelayFamilies::Dual)
        .unwrap();
    p.drive();
    let TurnEvent::Allocated {
        relayed,
        additional,
        address_error,
        ..
    } = p.events.remove(0)
    else {
        panic!()
    };
    assert_eq!((relayed, additional), (addr("192.0.2.1:49152"), None));
    let e = address_error.unwrap();
    assert_eq!((e.family, e.code), (AddressFamily::Ipv6, 440));
    p.c.deallocate(p.now).unwrap();
    p.drive();
    for families in [
        RelayFamilies::Dual,
        RelayFamilies::Only(AddressFamily::Ipv6),
    ] {
        assert_eq!(
            p.c.allocate_with(
                p.now + Duration::from_secs(3600),
                AllocatePort::Any,
                families
            ),
            Err(TurnError::FamilyRefused(AddressFamily::Ipv6))
        );
    }
    // IPv4 alone may still be asked for.
    p.c.allocate_with(p.now, AllocatePort::Any, RelayFamilies::Default)
        .unwrap();
}

// [RFC 8656 §7.3 test] "If the client receives an ADDRESS-ERROR-CODE
// attribute in the response and the error code value signaled in the
// ADDRESS-ERROR-CODE attribute is 508 (Insufficient Capacity), the client
// SHOULD wait at least 1 minute before trying to request any more
// allocations on this server for the rejected address type."
#[test]
fn client_waits_a_minute_after_508_for_that_family() {
    let mut p = Pair::new();
    p.ports.full_v6 = true;
    p.c.allocate_with(p.now, AllocatePort::Any, RelayFamilies::Dual)
        .unwrap();
    p.drive();
    p.c.deallocate(p.now).unwrap();
    p.drive();
    let t = p.now + Duration::from_secs(59);
    assert_eq!(
        p.c.allocate_with(t, AllocatePort::Any, RelayFamilies::Dual),
        Err(TurnError::FamilyRefused(AddressFamily::Ipv6))
    );
    let t = p.now + Duration::from_secs(60);
    p.c.allocate_with(t, AllocatePort::Any, RelayFamilies::Dual)
        .unwrap();
}

#[test]
fn client_refuses_forbidden_combinations() {
    let mut p = Pair::new();
    // [RFC 8656 §7.1 test] "Clients MUST NOT include the
    // ADDITIONAL-ADDRESS-FAMILY attribute in an Allocate request that
    // contains a RESERVATION-TOKEN attribute."
    assert!(matches!(
        p.c.allocate_with(p.now, AllocatePort::Reserved(1), RelayFamilies::Dual),
        Err(TurnError::ConflictingAttributes(_))
    ));
    // [RFC 8656 §7.1 test] "Clients MUST NOT include a REQUESTED-ADDRESS-
    // FAMILY attribute in an Allocate request that contains a RESERVATION-
    // TOKEN attribute"
    assert!(matches!(
        p.c.allocate_with(
            p.now,
            AllocatePort::Reserved(1),
            RelayFamilies::Only(AddressFamily::Ipv4)
        ),
        Err(TurnError::ConflictingAttributes(_))
    ));
    // [RFC 8656 §7.1 test] "Clients MUST NOT include the
    // ADDITIONAL-ADDRESS-FAMILY attribute in an Allocate request that
    // contains an EVEN-PORT attribute with the R (Reserved) bit set to 1."
    assert!(matches!(
        p.c.allocate_with(p.now, AllocatePort::EvenReserveNext, RelayFamilies::Dual),
        Err(TurnError::ConflictingAttributes(_))
    ));
    assert!(p.c.poll_transmit().is_none());
    // A single IPv6 relay on request.
    p.c.allocate_with(
        p.now,
        AllocatePort::Any,
        RelayFamilies::Only(AddressFamily::Ipv6),
    )
    .unwrap();
    p.drive();
    assert!(matches!(
        p.events.remove(0),
        TurnEvent::Allocated { relayed, additional: None, .. } if relayed == addr("[2001:db8::1]:49152")
    ));
    assert_eq!(
        p.c.create_permission(p.now, "203.0.113.9".parse().unwrap()),
        Err(TurnError::FamilyMismatch)
    );
}

// [RFC 8656 §7.4 test] "If the client receives an Allocate error response
// with the 440 (Address Family not Supported) error code, the client MUST
// NOT retry the request."
#[test]
fn client_does_not_retry_an_allocate_refused_with_440() {
    let mut p = Pair::new();
    p.ports.no_v6 = true;
    p.c.allocate_with(
        p.now,
        AllocatePort::Any,
        RelayFamilies::Only(AddressFamily::Ipv6),
    )
    .unwrap();
    p.drive();
    assert!(
        matches!(
            p.events.as_slice(),
            [TurnEvent::AllocationFailed(
                rtclite_stun::turn::client::TurnFailure::Error { code: 440, .. }
            )]
        ),
        "{:?}",
        p.events
    );
    // Two Allocates (the 401 dance), then nothing more.
    assert_eq!(p.sent.len(), 2);
    assert_eq!(
        p.c.allocate_with(
            p.now + Duration::from_secs(3600),
            AllocatePort::Any,
            RelayFamilies::Only(AddressFamily::Ipv6)
        ),
        Err(TurnError::FamilyRefused(AddressFamily::Ipv6))
    );
}
