//! The ALTERNATE-SERVER mechanism on the server side (RFC 8489 §10,
//! RFC 8656 §7.2 step 11): the exact 300 (Try Alternate) responses of the
//! Binding server and the TURN server, and the sans-IO TURN client
//! following a real redirecting TURN server once, and refusing a loop.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_stun::redirect::{AlternateServer, RedirectRefusal};
use rtclite_stun::server::BindingServer;
use rtclite_stun::turn::TRANSPORT_UDP;
use rtclite_stun::turn::client::{TurnClient, TurnClientConfig, TurnEvent, TurnFailure};
use rtclite_stun::turn::server::{
    RelayAllocator, RelayGrant, RelayRequest, ServerOutput, TurnServer,
};
use rtclite_stun::{
    AddressFamily, Attribute, AttributeType, Class, ErrorCode, Message, MessageType, MessageWriter,
    Method, TransactionId,
};

use common::{SOFTWARE, addr, authenticate, response_tail};

/// Any port, counting the calls.
struct Ports {
    next: u16,
    calls: usize,
}

impl RelayAllocator for Ports {
    fn allocate(&mut self, request: RelayRequest) -> Option<RelayGrant> {
        self.calls += 1;
        let ip = if request.family() == AddressFamily::Ipv4 {
            addr("192.0.2.1:0").ip()
        } else {
            addr("[2001:db8::1]:0").ip()
        };
        self.next += 1;
        Some(RelayGrant {
            relayed: SocketAddr::new(ip, self.next),
            reserved: None,
        })
    }
}

impl Ports {
    fn new() -> Ports {
        Ports {
            next: 49152,
            calls: 0,
        }
    }
}

fn turn_server(now: Instant) -> TurnServer {
    common::turn_server(now, 5)
}

fn alternate() -> AlternateServer {
    AlternateServer::new(addr("192.0.2.2:3478")).with(addr("[2001:db8::2]:3478"))
}

/// Sends `request` from `from` and returns the single response.
fn one(
    s: &mut TurnServer,
    now: Instant,
    from: SocketAddr,
    request: &[u8],
    ports: &mut Ports,
) -> Vec<u8> {
    s.handle_client_with(now, addr("192.0.2.1:3478"), from, request, ports);
    let mut out = Vec::new();
    while let Some(o) = s.poll_output() {
        match o {
            ServerOutput::ToClient { to, payload } => {
                assert_eq!(to, from);
                out.push(payload);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(out.len(), 1);
    out.remove(0)
}

/// An Allocate request; authenticated when a nonce is given.
fn allocate_request(id: u8, nonce: Option<&str>, sha256: bool) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::Request, Method::ALLOCATE),
        TransactionId([id; 12]),
    );
    w.attribute(&Attribute::RequestedTransport(TRANSPORT_UDP))
        .unwrap();
    if let Some(n) = nonce {
        authenticate(&mut w, n, sha256);
    }
    w.finish();
    buf
}

fn nonce_of(response: &[u8]) -> String {
    let m = Message::parse(response).unwrap();
    match m.get(AttributeType::NONCE) {
        Some(Ok(Attribute::Nonce(n))) => n.to_owned(),
        other => panic!("{other:?}"),
    }
}

/// The 300 the TURN server must send to request `id`: `body`, SOFTWARE,
/// the request's integrity mechanism, FINGERPRINT.
fn expected_300(id: u8, body: &[Attribute<'_>], sha256: bool) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::ErrorResponse, Method::ALLOCATE),
        TransactionId([id; 12]),
    );
    w.attribute(&Attribute::ErrorCode(ErrorCode::TRY_ALTERNATE))
        .unwrap();
    for a in body {
        w.attribute(a).unwrap();
    }
    response_tail(&mut w, sha256);
    buf
}

/// One client at `from` talking to a TURN server with `alt` as its
/// ALTERNATE-SERVER, with a fresh port allocator.
struct Client {
    s: TurnServer,
    now: Instant,
    from: SocketAddr,
    ports: Ports,
}

impl Client {
    fn new(alt: AlternateServer, from: &str) -> Client {
        let now = Instant::now();
        let mut s = turn_server(now);
        s.set_alternate_server(Some(alt));
        Client {
            s,
            now,
            from: addr(from),
            ports: Ports::new(),
        }
    }

    /// Sends `request` and returns the single response.
    fn send(&mut self, request: &[u8]) -> Vec<u8> {
        one(&mut self.s, self.now, self.from, request, &mut self.ports)
    }

    /// Sends [`allocate_request`]`(id, nonce, sha256)`; returns the
    /// single response.
    fn allocate(&mut self, id: u8, nonce: Option<&str>, sha256: bool) -> Vec<u8> {
        self.send(&allocate_request(id, nonce, sha256))
    }
}

// [RFC 8489 §10 test] "The server MUST include at least one
// ALTERNATE-SERVER attribute in the error response, which MUST contain an IP
// address of the same address family as the source IP address of the
// request message."
// [RFC 8489 §9.2.4 test] "Any response generated by the server MUST include
// the MESSAGE- INTEGRITY-SHA256 attribute, computed using the username and
// password utilized to authenticate the request, unless the request was
// processed as though PASSWORD-ALGORITHM was MD5"
#[test]
fn turn_server_redirects_authenticated_allocate_with_integrity() {
    let mut c = Client::new(alternate(), "198.51.100.7:50000");
    // The unauthenticated request is challenged first, as always.
    let challenge = c.allocate(1, None, false);
    let m = Message::parse(&challenge).unwrap();
    assert!(matches!(
        m.get(AttributeType::ERROR_CODE),
        Some(Ok(Attribute::ErrorCode(e))) if e.code == 401
    ));
    let nonce = nonce_of(&challenge);
    // Authenticated with MESSAGE-INTEGRITY: the 300 carries
    // MESSAGE-INTEGRITY; the source's family (IPv4) first, then the other
    // family's address.
    let r = c.allocate(2, Some(&nonce), false);
    assert_eq!(
        r,
        expected_300(
            2,
            &[
                Attribute::AlternateServer(addr("192.0.2.2:3478")),
                Attribute::AlternateServer(addr("[2001:db8::2]:3478")),
            ],
            false
        )
    );
    assert_eq!(c.s.allocation_count(), 0);
    assert_eq!(c.ports.calls, 0);
}

// [RFC 8489 §10 test] "If the transaction uses TLS or DTLS, if the
// transaction is authenticated by a MESSAGE-INTEGRITY-SHA256 attribute, and
// if the server wants to redirect to a server that uses a different
// certificate, then it MUST include an ALTERNATE-DOMAIN attribute
// containing the name inside the subjectAltName of that certificate."
#[test]
fn alternate_domain_goes_only_to_sha256_authenticated_requests() {
    let mut alt = alternate();
    alt.domain = Some("turn2.example.org".into());
    let mut c = Client::new(alt, "[2001:db8::7]:50000");
    let nonce = nonce_of(&c.allocate(1, None, false));
    // From IPv6: the IPv6 alternate is the mandatory first one.
    let r = c.allocate(2, Some(&nonce), true);
    assert_eq!(
        r,
        expected_300(
            2,
            &[
                Attribute::AlternateServer(addr("[2001:db8::2]:3478")),
                Attribute::AlternateServer(addr("192.0.2.2:3478")),
                Attribute::AlternateDomain("turn2.example.org"),
            ],
            true
        )
    );
    let r = c.allocate(3, Some(&nonce), false);
    assert_eq!(
        r,
        expected_300(
            3,
            &[
                Attribute::AlternateServer(addr("[2001:db8::2]:3478")),
                Attribute::AlternateServer(addr("192.0.2.2:3478")),
            ],
            false
        )
    );
}

/// No ALTERNATE-SERVER of the source's family: not redirected, served.
/// Requests on an existing allocation are never redirected.
#[test]
fn no_same_family_alternate_means_no_redirect() {
    let mut c = Client::new(
        AlternateServer::new(addr("192.0.2.2:3478")),
        "[2001:db8::7]:50000",
    );
    let nonce = nonce_of(&c.allocate(1, None, false));
    let r = c.allocate(2, Some(&nonce), false);
    assert_eq!(Message::parse(&r).unwrap().class(), Class::SuccessResponse);
    assert_eq!(c.s.allocation_count(), 1);
    // Now redirect IPv6 too: a Refresh of the allocation is still served.
    c.s.set_alternate_server(Some(alternate()));
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::Request, Method::REFRESH),
        TransactionId([3; 12]),
    );
    w.attribute(&Attribute::Lifetime(600)).unwrap();
    authenticate(&mut w, &nonce, false);
    w.finish();
    let r = c.send(&buf);
    assert_eq!(Message::parse(&r).unwrap().class(), Class::SuccessResponse);
}

// [RFC 8489 §10 test] "The error response message MAY be authenticated;
// however, there are use cases for ALTERNATE-SERVER where authentication of
// the response is not possible or practical."
#[test]
fn binding_server_redirects_without_integrity() {
    let mut b = BindingServer::new(SOFTWARE);
    b.alternate = Some(AlternateServer::new(addr("192.0.2.2:3478")));
    let from = addr("198.51.100.7:50000");
    let mut req = Vec::new();
    MessageWriter::new(
        &mut req,
        MessageType::BINDING_REQUEST,
        TransactionId([4; 12]),
    )
    .finish();
    let reply = b.handle(addr("192.0.2.1:3478"), from, &req).unwrap();
    assert_eq!(reply.destination, from);
    let mut expected = Vec::new();
    let mut w = MessageWriter::new(
        &mut expected,
        MessageType::new(Class::ErrorResponse, Method::BINDING),
        TransactionId([4; 12]),
    );
    w.attribute(&Attribute::ErrorCode(ErrorCode::TRY_ALTERNATE))
        .unwrap();
    w.attribute(&Attribute::AlternateServer(addr("192.0.2.2:3478")))
        .unwrap();
    w.attribute(&Attribute::Software(SOFTWARE)).unwrap();
    w.fingerprint().unwrap();
    assert_eq!(reply.payload, expected);
    // Byte for byte on the wire: ERROR-CODE 0x0009 (class 3, number 0),
    // then ALTERNATE-SERVER 0x8023 encoded like MAPPED-ADDRESS (RFC 8489
    // §14.15): family 0x01, port 3478, 192.0.2.2 in the clear.
    assert_eq!(
        &reply.payload[20..24 + 4 + 13 + 3],
        b"\x00\x09\x00\x11\x00\x00\x03\x00Try Alternate\x00\x00\x00"
    );
    assert_eq!(
        &reply.payload[44..56],
        b"\x80\x23\x00\x08\x00\x01\x0d\x96\xc0\x00\x02\x02"
    );
    // A classic RFC 3489 client (no 300 in that RFC) is served.
    let mut classic = Vec::new();
    MessageWriter::new_classic(&mut classic, MessageType::BINDING_REQUEST, [0xAB; 16]).finish();
    let reply = b.handle(addr("192.0.2.1:3478"), from, &classic).unwrap();
    assert_eq!(
        Message::parse(&reply.payload).unwrap().class(),
        Class::SuccessResponse
    );
    // An IPv6 client has no alternate of its family: served.
    let reply = b
        .handle(addr("[2001:db8::1]:3478"), addr("[2001:db8::7]:5"), &req)
        .unwrap();
    assert_eq!(
        Message::parse(&reply.payload).unwrap().class(),
        Class::SuccessResponse
    );
}

/// Two TURN servers on virtual time and one client.
struct Net {
    servers: HashMap<SocketAddr, (TurnServer, Ports)>,
    client: TurnClient<ChaCha20Rng>,
    now: Instant,
    events: Vec<TurnEvent>,
}

const CLIENT: &str = "198.51.100.7:50000";
const A: &str = "192.0.2.1:3478";
const B: &str = "192.0.2.2:3478";

impl Net {
    fn new(a_to: Option<&str>, b_to: Option<&str>) -> Net {
        let now = Instant::now();
        let mut servers = HashMap::new();
        for (at, to) in [(A, a_to), (B, b_to)] {
            let mut s = turn_server(now);
            s.set_alternate_server(to.map(|t| AlternateServer::new(addr(t))));
            servers.insert(addr(at), (s, Ports::new()));
        }
        let cfg = TurnClientConfig::new(addr(A), "alice", "secret");
        Net {
            servers,
            client: TurnClient::new(cfg, ChaCha20Rng::seed_from_u64(3)),
            now,
            events: Vec::new(),
        }
    }

    fn drive(&mut self) {
        for _ in 0..50 {
            let mut moved = false;
            while let Some(t) = self.client.poll_transmit() {
                moved = true;
                let (s, ports) = self.servers.get_mut(&t.destination).unwrap();
                s.handle_client_with(self.now, t.destination, addr(CLIENT), &t.payload, ports);
                while let Some(o) = s.poll_output() {
                    if let ServerOutput::ToClient { payload, .. } = o {
                        self.client.handle_input(self.now, t.destination, &payload);
                    }
                }
            }
            while let Some(e) = self.client.poll_event() {
                self.events.push(e);
            }
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }
}

// [RFC 8656 §7.4 test] "The client considers the current transaction as
// having failed, but it SHOULD try the Allocate request with the alternate
// server before trying any other servers"
#[test]
fn turn_client_follows_a_redirecting_turn_server_once() {
    let mut n = Net::new(Some(B), None);
    n.client.allocate(n.now).unwrap();
    n.drive();
    assert_eq!(
        n.events[0],
        TurnEvent::Redirected {
            from: addr(A),
            to: addr(B)
        }
    );
    assert!(
        matches!(n.events[1], TurnEvent::Allocated { .. }),
        "{:?}",
        n.events
    );
    assert_eq!(n.events.len(), 2);
    assert_eq!(n.servers[&addr(A)].0.allocation_count(), 0);
    assert_eq!(n.servers[&addr(B)].0.allocation_count(), 1);
}

// [RFC 8489 §10 test] "If the client has been redirected to a server to
// which it has already sent this request within the last five minutes, it
// MUST ignore the redirection and consider the transaction to have failed."
#[test]
fn turn_client_refuses_a_redirection_loop_between_two_servers() {
    let mut n = Net::new(Some(B), Some(A));
    n.client.allocate(n.now).unwrap();
    n.drive();
    assert_eq!(
        n.events,
        vec![
            TurnEvent::Redirected {
                from: addr(A),
                to: addr(B)
            },
            TurnEvent::AllocationFailed(TurnFailure::Redirect(RedirectRefusal::Loop(addr(A)))),
        ]
    );
    assert_eq!(n.servers[&addr(A)].0.allocation_count(), 0);
    assert_eq!(n.servers[&addr(B)].0.allocation_count(), 0);
}
