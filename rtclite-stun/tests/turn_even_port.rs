//! EVEN-PORT and RESERVATION-TOKEN (RFC 8656 §7.1, §7.2, §18.10): the
//! sans-IO TURN server with a port allocator that hands out consecutive
//! ports, driven by hand-built authenticated Allocate requests and by the
//! sans-IO TURN client, on virtual time.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_stun::turn::TRANSPORT_UDP;
use rtclite_stun::turn::client::{AllocatePort, TurnClient, TurnClientConfig, TurnEvent};
use rtclite_stun::turn::server::{
    RESERVATION_LIFETIME, RelayAllocator, RelayGrant, RelayRequest, ServerOutput, TurnServer,
};
use rtclite_stun::{
    AddressFamily, Attribute, AttributeType, Class, IntegrityKey, Message, MessageType,
    MessageWriter, Method, PasswordAlgorithm, TransactionId,
};

const SERVER: &str = "192.0.2.1:3478";
const RELAY_IP: &str = "192.0.2.1";

/// Hands out ports upwards from `next`; `odd` makes it answer EVEN-PORT
/// requests with an odd port (a broken allocator), `pair_gap` with a
/// non-adjacent second port.
struct Ports {
    next: u16,
    odd: bool,
    pair_gap: bool,
    requests: Vec<RelayRequest>,
}

impl Ports {
    fn new(first: u16) -> Ports {
        Ports {
            next: first,
            odd: false,
            pair_gap: false,
            requests: Vec::new(),
        }
    }

    fn take(&mut self) -> SocketAddr {
        let p = self.next;
        self.next += 1;
        SocketAddr::new(RELAY_IP.parse().unwrap(), p)
    }
}

impl RelayAllocator for Ports {
    fn allocate(&mut self, request: RelayRequest) -> Option<RelayGrant> {
        self.requests.push(request);
        let want_even = !matches!(request, RelayRequest::Any(_));
        if want_even && (self.next % 2 == 1) != self.odd {
            self.next += 1;
        }
        let relayed = self.take();
        let reserved = match request {
            RelayRequest::EvenPortPair(_) => {
                if self.pair_gap {
                    self.next += 1;
                }
                Some(self.take())
            }
            _ => None,
        };
        Some(RelayGrant { relayed, reserved })
    }
}

fn server(now: Instant) -> TurnServer {
    common::turn_server(now, 9)
}

/// Sends one request from `client` and returns the response bytes; other
/// outputs (releases) are collected into `released`.
fn exchange(
    s: &mut TurnServer,
    now: Instant,
    client: SocketAddr,
    request: &[u8],
    ports: &mut Ports,
    released: &mut Vec<SocketAddr>,
) -> Vec<u8> {
    s.handle_client_with(now, SERVER.parse().unwrap(), client, request, ports);
    let mut response = None;
    while let Some(o) = s.poll_output() {
        match o {
            ServerOutput::ToClient { to, payload } => {
                assert_eq!(to, client);
                response = Some(payload);
            }
            ServerOutput::ReleaseRelay(a) => released.push(a),
            other => panic!("{other:?}"),
        }
    }
    response.expect("no response")
}

/// An authenticated Allocate with `extra` attributes from `client`: the
/// first, unauthenticated, request fetches the realm and nonce.
fn allocate(
    s: &mut TurnServer,
    now: Instant,
    client: SocketAddr,
    extra: &[Attribute<'_>],
    ports: &mut Ports,
    released: &mut Vec<SocketAddr>,
) -> Vec<u8> {
    let first = common::unauthenticated_allocate(1);
    let challenge = exchange(s, now, client, &first, ports, released);
    let challenge = Message::parse(&challenge).unwrap();
    let Some(Ok(Attribute::Realm(realm))) = challenge.get(AttributeType::REALM) else {
        panic!("no REALM")
    };
    let Some(Ok(Attribute::Nonce(nonce))) = challenge.get(AttributeType::NONCE) else {
        panic!("no NONCE")
    };
    let key = IntegrityKey::long_term("alice", realm, "secret", PasswordAlgorithm::Md5).unwrap();
    let mut req = Vec::new();
    let mut w = MessageWriter::new(
        &mut req,
        MessageType::new(Class::Request, Method::ALLOCATE),
        TransactionId([2; 12]),
    );
    w.attribute(&Attribute::RequestedTransport(TRANSPORT_UDP))
        .unwrap();
    for a in extra {
        w.attribute(a).unwrap();
    }
    w.attribute(&Attribute::Username("alice")).unwrap();
    w.attribute(&Attribute::Realm(realm)).unwrap();
    w.attribute(&Attribute::Nonce(nonce)).unwrap();
    w.message_integrity(&key).unwrap();
    w.finish();
    exchange(s, now, client, &req, ports, released)
}

fn relayed_of(response: &[u8]) -> SocketAddr {
    let m = Message::parse(response).unwrap();
    assert_eq!(m.class(), Class::SuccessResponse, "{m:?}");
    match m.get(AttributeType::XOR_RELAYED_ADDRESS) {
        Some(Ok(Attribute::XorRelayedAddress(a))) => a,
        other => panic!("{other:?}"),
    }
}

fn token_of(response: &[u8]) -> Option<u64> {
    match Message::parse(response)
        .unwrap()
        .get(AttributeType::RESERVATION_TOKEN)
    {
        Some(Ok(Attribute::ReservationToken(t))) => Some(t),
        None => None,
        other => panic!("{other:?}"),
    }
}

fn error_of(response: &[u8]) -> u16 {
    let m = Message::parse(response).unwrap();
    assert_eq!(m.class(), Class::ErrorResponse);
    match m.get(AttributeType::ERROR_CODE) {
        Some(Ok(Attribute::ErrorCode(e))) => e.code,
        other => panic!("{other:?}"),
    }
}

fn client(n: u16) -> SocketAddr {
    SocketAddr::new("198.51.100.7".parse().unwrap(), 50000 + n)
}

// [RFC 8656 §7.2 test] "If the request contains an EVEN-PORT attribute with
// the R bit set to 0, then the server allocates a relayed transport address
// with an even port number."
#[test]
fn even_port_without_reservation() {
    let now = Instant::now();
    let mut s = server(now);
    let mut ports = Ports::new(49153);
    let mut released = Vec::new();
    let r = allocate(
        &mut s,
        now,
        client(1),
        &[Attribute::EvenPort(false)],
        &mut ports,
        &mut released,
    );
    assert_eq!(relayed_of(&r).port(), 49154);
    assert_eq!(token_of(&r), None);
    assert_eq!(
        ports.requests,
        [RelayRequest::EvenPort(AddressFamily::Ipv4)]
    );
    assert_eq!(s.reservation_count(), 0);
}

// [RFC 8656 §7.2 test] "Port N is used in the current allocation, while the
// relayed transport address with port N+1 is assigned a token and reserved
// for a future allocation."
#[test]
fn reserved_port_goes_to_the_allocate_with_the_token() {
    let now = Instant::now();
    let mut s = server(now);
    let mut ports = Ports::new(49152);
    let mut released = Vec::new();
    let r = allocate(
        &mut s,
        now,
        client(1),
        &[Attribute::EvenPort(true)],
        &mut ports,
        &mut released,
    );
    assert_eq!(relayed_of(&r).port(), 49152);
    let token = token_of(&r).expect("RESERVATION-TOKEN in the success response");
    assert_eq!(s.reservation_count(), 1);
    // A plain allocation in between does not take the reserved port.
    let plain = allocate(&mut s, now, client(2), &[], &mut ports, &mut released);
    assert_eq!(relayed_of(&plain).port(), 49154);
    // Another 5-tuple presents the token and gets port N+1.
    let r2 = allocate(
        &mut s,
        now + Duration::from_secs(29),
        client(3),
        &[Attribute::ReservationToken(token)],
        &mut ports,
        &mut released,
    );
    assert_eq!(
        relayed_of(&r2),
        SocketAddr::new(RELAY_IP.parse().unwrap(), 49153)
    );
    assert_eq!(s.reservation_count(), 0);
    assert_eq!(s.relayed_address(client(3)).unwrap().port(), 49153);
    // The token is spent: a second use gets 508.
    let again = allocate(
        &mut s,
        now + Duration::from_secs(29),
        client(4),
        &[Attribute::ReservationToken(token)],
        &mut ports,
        &mut released,
    );
    assert_eq!(error_of(&again), 508);
    assert!(released.is_empty());
}

// [RFC 8656 §7.2 test] "The server MUST hold this reservation for at least
// 30 seconds"
#[test]
fn reservation_expires_and_releases_its_port() {
    let now = Instant::now();
    let mut s = server(now);
    let mut ports = Ports::new(49152);
    let mut released = Vec::new();
    let r = allocate(
        &mut s,
        now,
        client(1),
        &[Attribute::EvenPort(true)],
        &mut ports,
        &mut released,
    );
    let token = token_of(&r).unwrap();
    assert_eq!(s.poll_timeout(), Some(now + RESERVATION_LIFETIME));
    s.handle_timeout(now + RESERVATION_LIFETIME - Duration::from_millis(1));
    assert_eq!(s.reservation_count(), 1);
    let later = now + RESERVATION_LIFETIME;
    s.handle_timeout(later);
    assert_eq!(s.reservation_count(), 0);
    assert_eq!(
        s.poll_output(),
        Some(ServerOutput::ReleaseRelay(SocketAddr::new(
            RELAY_IP.parse().unwrap(),
            49153
        )))
    );
    // [RFC 8656 §7.2 test] "If the token is not valid for some reason, the
    // server rejects the request with a 508 (Insufficient Capacity) error."
    let late = allocate(
        &mut s,
        later,
        client(2),
        &[Attribute::ReservationToken(token)],
        &mut ports,
        &mut released,
    );
    assert_eq!(error_of(&late), 508);
    let unknown = allocate(
        &mut s,
        later,
        client(3),
        &[Attribute::ReservationToken(0x0123_4567_89ab_cdef)],
        &mut ports,
        &mut released,
    );
    assert_eq!(error_of(&unknown), 508);
}

// [RFC 8656 §7.2 test] "If yes, and the request also contains an EVEN-PORT
// or REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY attribute, the
// server rejects the request with a 400 (Bad Request) error."
#[test]
fn token_with_even_port_or_family_is_a_bad_request() {
    let now = Instant::now();
    let mut s = server(now);
    let mut ports = Ports::new(49152);
    let mut released = Vec::new();
    for (i, extra) in [
        [Attribute::ReservationToken(1), Attribute::EvenPort(false)],
        [
            Attribute::ReservationToken(1),
            Attribute::RequestedAddressFamily(AddressFamily::Ipv4),
        ],
        [
            Attribute::ReservationToken(1),
            Attribute::AdditionalAddressFamily(AddressFamily::Ipv6),
        ],
        // [RFC 8656 §7.2 test] "If yes, and the request also contains an
        // ADDITIONAL-ADDRESS-FAMILY attribute, the server rejects the request
        // with a 400 (Bad Request) error."
        [
            Attribute::EvenPort(true),
            Attribute::AdditionalAddressFamily(AddressFamily::Ipv6),
        ],
    ]
    .iter()
    .enumerate()
    {
        let r = allocate(
            &mut s,
            now,
            client(i as u16),
            extra,
            &mut ports,
            &mut released,
        );
        assert_eq!(error_of(&r), 400, "{extra:?}");
    }
    assert!(ports.requests.is_empty());
}

#[test]
fn a_grant_that_does_not_fit_is_released_and_refused() {
    let now = Instant::now();
    let mut s = server(now);
    let mut released = Vec::new();
    // An odd port for EVEN-PORT.
    let mut odd = Ports::new(49152);
    odd.odd = true;
    let r = allocate(
        &mut s,
        now,
        client(1),
        &[Attribute::EvenPort(false)],
        &mut odd,
        &mut released,
    );
    assert_eq!(error_of(&r), 508);
    assert_eq!(
        released,
        [SocketAddr::new(RELAY_IP.parse().unwrap(), 49153)]
    );
    // A pair whose second port is not N+1.
    released.clear();
    let mut gap = Ports::new(49152);
    gap.pair_gap = true;
    let r = allocate(
        &mut s,
        now,
        client(2),
        &[Attribute::EvenPort(true)],
        &mut gap,
        &mut released,
    );
    assert_eq!(error_of(&r), 508);
    assert_eq!(released.len(), 2);
    assert_eq!(s.allocation_count(), 0);
    assert_eq!(s.reservation_count(), 0);
}

#[test]
fn the_closure_interface_refuses_even_port_with_508() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = TurnClient::new(
        TurnClientConfig::new(SERVER.parse().unwrap(), "alice", "secret"),
        ChaCha20Rng::seed_from_u64(5),
    );
    c.allocate_port(now, AllocatePort::Even).unwrap();
    for _ in 0..4 {
        while let Some(t) = c.poll_transmit() {
            let mut relay = |_| Some("192.0.2.1:49152".parse().unwrap());
            s.handle_client(
                now,
                SERVER.parse().unwrap(),
                client(1),
                &t.payload,
                &mut relay,
            );
        }
        while let Some(o) = s.poll_output() {
            if let ServerOutput::ToClient { payload, .. } = o {
                c.handle_input(now, SERVER.parse().unwrap(), &payload);
            }
        }
    }
    match c.poll_event() {
        Some(TurnEvent::AllocationFailed(rtclite_stun::turn::client::TurnFailure::Error {
            code,
            ..
        })) => assert_eq!(code, 508),
        other => panic!("{other:?}"),
    }
}

/// Drives one client against the server until it has an event.
fn run_client(
    s: &mut TurnServer,
    now: Instant,
    c: &mut TurnClient<ChaCha20Rng>,
    from: SocketAddr,
    ports: &mut Ports,
) -> TurnEvent {
    for _ in 0..4 {
        while let Some(t) = c.poll_transmit() {
            s.handle_client_with(now, SERVER.parse().unwrap(), from, &t.payload, ports);
        }
        while let Some(o) = s.poll_output() {
            if let ServerOutput::ToClient { payload, .. } = o {
                c.handle_input(now, SERVER.parse().unwrap(), &payload);
            }
        }
        if let Some(e) = c.poll_event() {
            return e;
        }
    }
    panic!("no event");
}

// [RFC 8656 §7.1 test] "The client MAY also include a RESERVATION-TOKEN
// attribute in the request to ask the server to use a previously reserved
// port for the allocation."
#[test]
fn turn_clients_reserve_and_claim_an_rtp_rtcp_pair() {
    let now = Instant::now();
    let mut s = server(now);
    let mut ports = Ports::new(50001);
    let cfg = TurnClientConfig::new(SERVER.parse().unwrap(), "alice", "secret");
    let mut rtp = TurnClient::new(cfg.clone(), ChaCha20Rng::seed_from_u64(1));
    rtp.allocate_port(now, AllocatePort::EvenReserveNext)
        .unwrap();
    let TurnEvent::Allocated { relayed, .. } =
        run_client(&mut s, now, &mut rtp, client(1), &mut ports)
    else {
        panic!("no allocation");
    };
    assert_eq!(relayed.port(), 50002);
    let token = rtp.reservation_token().expect("token");
    let mut rtcp = TurnClient::new(cfg, ChaCha20Rng::seed_from_u64(2));
    rtcp.allocate_port(now, AllocatePort::Reserved(token))
        .unwrap();
    let TurnEvent::Allocated {
        relayed: rtcp_relayed,
        ..
    } = run_client(&mut s, now, &mut rtcp, client(2), &mut ports)
    else {
        panic!("no allocation");
    };
    assert_eq!(rtcp_relayed.port(), 50003);
    assert_eq!(rtcp.reservation_token(), None);
}

/// An allocator that always hands out the same address (a broken one).
struct Same(SocketAddr);

impl RelayAllocator for Same {
    fn allocate(&mut self, _: RelayRequest) -> Option<RelayGrant> {
        Some(RelayGrant {
            relayed: self.0,
            reserved: None,
        })
    }
}

// [RFC 8656 §6 test] "The relayed transport address MUST be unique across
// all allocations"
#[test]
fn a_relayed_address_in_use_is_not_given_twice() {
    let now = Instant::now();
    let mut s = server(now);
    let mut ports = Ports::new(49152);
    let mut released = Vec::new();
    // Allocate once with the Ports allocator to learn the flow, then use a
    // broken allocator that repeats the first address.
    let first = allocate(&mut s, now, client(1), &[], &mut ports, &mut released);
    let relayed = relayed_of(&first);
    // Drive the second client by hand through the broken allocator.
    let req = common::unauthenticated_allocate(5);
    s.handle_client_with(
        now,
        SERVER.parse().unwrap(),
        client(2),
        &req,
        &mut Same(relayed),
    );
    let Some(ServerOutput::ToClient { payload, .. }) = s.poll_output() else {
        panic!("no 401");
    };
    let challenge = Message::parse(&payload).unwrap();
    let Some(Ok(Attribute::Nonce(nonce))) = challenge.get(AttributeType::NONCE) else {
        panic!("no NONCE")
    };
    let key =
        IntegrityKey::long_term("alice", "example.org", "secret", PasswordAlgorithm::Md5).unwrap();
    let mut req = Vec::new();
    let mut w = MessageWriter::new(
        &mut req,
        MessageType::new(Class::Request, Method::ALLOCATE),
        TransactionId([6; 12]),
    );
    w.attribute(&Attribute::RequestedTransport(TRANSPORT_UDP))
        .unwrap();
    w.attribute(&Attribute::Username("alice")).unwrap();
    w.attribute(&Attribute::Realm("example.org")).unwrap();
    w.attribute(&Attribute::Nonce(nonce)).unwrap();
    w.message_integrity(&key).unwrap();
    w.finish();
    s.handle_client_with(
        now,
        SERVER.parse().unwrap(),
        client(2),
        &req,
        &mut Same(relayed),
    );
    let Some(ServerOutput::ToClient { payload, .. }) = s.poll_output() else {
        panic!("no answer");
    };
    assert_eq!(error_of(&payload), 508);
    // Nothing is released: the address belongs to the first allocation.
    assert_eq!(s.poll_output(), None);
    assert_eq!(s.relayed_address(client(1)), Some(relayed));
    assert_eq!(s.relayed_address(client(2)), None);
}
