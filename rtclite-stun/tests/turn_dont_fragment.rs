//! DONT-FRAGMENT (RFC 8656 §7.1, §7.2 step 4, §7.4, §11.1, §11.2, §13,
//! §14): the sans-IO TURN client against the sans-IO TURN server, with and
//! without the server's support for setting the DF bit, watching every
//! request the client sends and every datagram the server asks to relay.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_stun::turn::client::{TurnClient, TurnClientConfig, TurnEvent};
use rtclite_stun::turn::server::{ServerOutput, TurnServer, TurnServerConfig};
use rtclite_stun::{
    Attribute, AttributeType, Class, Message, MessageType, MessageWriter, Method, TransactionId,
};

const SERVER: &str = "192.0.2.1:3478";
const PEER: &str = "203.0.113.9:6000";
const RELAY: &str = "192.0.2.1:49152";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What the client sent (method, class, carried DONT-FRAGMENT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    method: Method,
    class: Class,
    df: bool,
}

struct World {
    now: Instant,
    client_addr: SocketAddr,
    client: TurnClient<ChaCha20Rng>,
    server: TurnServer,
    events: Vec<TurnEvent>,
    sent: Vec<Sent>,
    channel_data_sent: usize,
    /// Error responses the server sent: (code, UNKNOWN-ATTRIBUTES).
    errors: Vec<(u16, Vec<AttributeType>)>,
    /// What the server asked to relay: (peer, payload, dont_fragment).
    to_peer: Vec<(SocketAddr, Vec<u8>, bool)>,
}

impl World {
    fn new(server_df: bool, client_df: bool, client_addr: &str) -> World {
        let now = Instant::now();
        let mut server = TurnServer::new(
            now,
            TurnServerConfig {
                realm: "example.org".into(),
                software: "test".into(),
                max_lifetime: Duration::from_secs(3600),
                nonce_lifetime: Duration::from_secs(3600),
                nonce_secret: [3; 16],
                max_allocations: 10,
                dont_fragment: server_df,
            },
        );
        server.add_user("alice", "secret").unwrap();
        let mut cfg = TurnClientConfig::new(addr(SERVER), "alice", "secret");
        cfg.dont_fragment = client_df;
        World {
            now,
            client_addr: addr(client_addr),
            client: TurnClient::new(cfg, ChaCha20Rng::seed_from_u64(7)),
            server,
            events: Vec::new(),
            sent: Vec::new(),
            channel_data_sent: 0,
            errors: Vec::new(),
            to_peer: Vec::new(),
        }
    }

    /// Feeds `datagram` from the client to the server.
    fn deliver(&mut self, datagram: &[u8]) {
        let mut relay = |_| Some(addr(RELAY));
        self.server.handle_client(
            self.now,
            addr(SERVER),
            self.client_addr,
            datagram,
            &mut relay,
        );
    }

    /// Delivers everything in flight until both sides are quiet (bounded).
    fn pump(&mut self) {
        for _ in 0..100 {
            let mut busy = false;
            while let Some(t) = self.client.poll_transmit() {
                busy = true;
                match Message::parse(&t.payload) {
                    Ok(m) => self.sent.push(Sent {
                        method: m.method(),
                        class: m.class(),
                        df: m.get(AttributeType::DONT_FRAGMENT).is_some(),
                    }),
                    Err(_) => self.channel_data_sent += 1,
                }
                self.deliver(&t.payload);
            }
            while let Some(o) = self.server.poll_output() {
                busy = true;
                match o {
                    ServerOutput::ToClient { to, payload } => {
                        assert_eq!(to, self.client_addr);
                        if let Ok(m) = Message::parse(&payload) {
                            if let Some(Ok(Attribute::ErrorCode(e))) =
                                m.get(AttributeType::ERROR_CODE)
                            {
                                let unknown = match m.get(AttributeType::UNKNOWN_ATTRIBUTES) {
                                    Some(Ok(Attribute::UnknownAttributes(u))) => u.iter().collect(),
                                    _ => Vec::new(),
                                };
                                self.errors.push((e.code, unknown));
                            }
                        }
                        self.client.handle_input(self.now, addr(SERVER), &payload);
                    }
                    ServerOutput::ToPeer {
                        relay,
                        peer,
                        payload,
                        dont_fragment,
                        ..
                    } => {
                        assert_eq!(relay, addr(RELAY));
                        self.to_peer.push((peer, payload, dont_fragment));
                    }
                    _ => {}
                }
            }
            while let Some(e) = self.client.poll_event() {
                busy = true;
                self.events.push(e);
            }
            if !busy {
                return;
            }
        }
        panic!("no quiescence");
    }

    /// Allocates, installs a permission for [`PEER`] and checks both worked.
    fn allocate_and_permit(&mut self) {
        self.client.allocate(self.now).unwrap();
        self.pump();
        assert!(
            self.events
                .iter()
                .any(|e| matches!(e, TurnEvent::Allocated { .. })),
            "{:?}",
            self.events
        );
        self.client
            .create_permission(self.now, addr(PEER).ip())
            .unwrap();
        self.pump();
        assert!(
            self.events
                .contains(&TurnEvent::PermissionCreated(addr(PEER).ip()))
        );
    }

    fn allocates_sent(&self) -> Vec<Sent> {
        self.sent
            .iter()
            .copied()
            .filter(|s| s.method == Method::ALLOCATE)
            .collect()
    }

    fn sends_sent(&self) -> Vec<Sent> {
        self.sent
            .iter()
            .copied()
            .filter(|s| s.method == Method::SEND)
            .collect()
    }
}

// [RFC 8656 §7.1 test] "If the client wishes to later use the DONT-FRAGMENT
// attribute in one or more Send indications on this allocation, then the
// client SHOULD include the DONT-FRAGMENT attribute in the Allocate request."
// [RFC 8656 §11.1 test] "The client MAY include a DONT-FRAGMENT attribute in
// the Send indication if it wishes the server to set the DF bit on the UDP
// datagram sent to the peer."
// [RFC 8656 §14 test] "When the server sends a packet to a peer in response
// to a Send indication containing the DONT-FRAGMENT attribute, then set the
// outgoing UDP packet to not fragment."
#[test]
fn supported_dont_fragment_reaches_the_relayed_datagram() {
    let mut w = World::new(true, true, "198.51.100.7:50000");
    w.allocate_and_permit();
    // Both Allocate requests (the 401 one and the authenticated one)
    // carried DONT-FRAGMENT, and the server accepted it.
    let allocates = w.allocates_sent();
    assert_eq!(allocates.len(), 2);
    assert!(allocates.iter().all(|s| s.df));
    assert!(
        w.errors.iter().all(|(code, _)| *code == 401),
        "{:?}",
        w.errors
    );
    assert!(!w.events.contains(&TurnEvent::DontFragmentUnsupported));

    w.client.send(addr(PEER), b"one").unwrap();
    w.pump();
    assert_eq!(w.to_peer, vec![(addr(PEER), b"one".to_vec(), true)]);

    // With a channel bound, data still goes in Send indications: ChannelData
    // cannot carry DONT-FRAGMENT.
    w.client.bind_channel(w.now, addr(PEER)).unwrap();
    w.pump();
    assert!(
        w.events
            .iter()
            .any(|e| matches!(e, TurnEvent::ChannelBound { .. }))
    );
    w.client.send(addr(PEER), b"two").unwrap();
    w.pump();
    assert_eq!(w.channel_data_sent, 0);
    let sends = w.sends_sent();
    assert_eq!(sends.len(), 2);
    assert!(sends.iter().all(|s| s.df && s.class == Class::Indication));
    assert_eq!(w.to_peer.last(), Some(&(addr(PEER), b"two".to_vec(), true)));
}

// [RFC 8656 §14 test] "In all other cases, when sending an outgoing packet
// containing application data (e.g., Data indication, a ChannelData
// message, or the DONT-FRAGMENT attribute not included in the Send
// indication), copy the DF bit from the DF bit of the incoming packet that
// contained the application data."
// [RFC 8656 §14 test] "Alternate Behavior: As described in the Preferred
// Behavior, except always assume the incoming DF bit is 0."
#[test]
fn without_the_attribute_the_df_bit_is_clear() {
    let mut w = World::new(true, false, "198.51.100.7:50000");
    w.allocate_and_permit();
    assert!(w.allocates_sent().iter().all(|s| !s.df));
    w.client.send(addr(PEER), b"indication").unwrap();
    w.pump();
    w.client.bind_channel(w.now, addr(PEER)).unwrap();
    w.pump();
    w.client.send(addr(PEER), b"channel").unwrap();
    w.pump();
    assert_eq!(w.channel_data_sent, 1);
    assert_eq!(
        w.to_peer,
        vec![
            (addr(PEER), b"indication".to_vec(), false),
            (addr(PEER), b"channel".to_vec(), false),
        ]
    );
}

// [RFC 8656 §7.2 test] "If it does, but the server does not support sending
// UDP datagrams with the DF bit set to 1 (see Sections 14 and 15), then the
// server treats the DONT-FRAGMENT attribute in the Allocate request as an
// unknown comprehension-required attribute."
// [RFC 8656 §7.4 test] "The client considers the current transaction as
// having failed but MAY choose to retry the Allocate request without the
// DONT-FRAGMENT attribute."
#[test]
fn unsupported_dont_fragment_gets_420_and_the_client_goes_on_without_it() {
    let mut w = World::new(false, true, "198.51.100.7:50000");
    w.allocate_and_permit();
    // The first Allocate (with DONT-FRAGMENT) got 420 naming it, before any
    // authentication; the retry without it got 401, then success.
    assert_eq!(
        w.errors,
        vec![(420, vec![AttributeType::DONT_FRAGMENT]), (401, vec![])]
    );
    let allocates: Vec<bool> = w.allocates_sent().iter().map(|s| s.df).collect();
    assert_eq!(allocates, vec![true, false, false]);
    let unsupported = w
        .events
        .iter()
        .position(|e| *e == TurnEvent::DontFragmentUnsupported)
        .expect("no DontFragmentUnsupported event");
    let allocated = w
        .events
        .iter()
        .position(|e| matches!(e, TurnEvent::Allocated { .. }))
        .unwrap();
    assert!(unsupported < allocated);
    // Send indications no longer ask for it.
    w.client.send(addr(PEER), b"x").unwrap();
    w.pump();
    assert_eq!(w.sends_sent().iter().filter(|s| s.df).count(), 0);
    assert_eq!(w.to_peer, vec![(addr(PEER), b"x".to_vec(), false)]);
}

/// A Send indication to [`PEER`] carrying `data`, DONT-FRAGMENT when `df`,
/// and an unknown comprehension-required attribute when `unknown`.
fn send_indication(data: &[u8], df: bool, unknown: bool) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::Indication, Method::SEND),
        TransactionId([9; 12]),
    );
    w.attribute(&Attribute::XorPeerAddress(addr(PEER))).unwrap();
    w.attribute(&Attribute::Data(data)).unwrap();
    if df {
        w.attribute(&Attribute::DontFragment).unwrap();
    }
    if unknown {
        w.raw_attribute(AttributeType(0x7F01), b"x").unwrap();
    }
    w.finish();
    buf
}

// [RFC 8656 §11.2 test] "If the server is unable to set the DF bit on
// outgoing UDP datagrams when this attribute is present, then the server
// acts as if the DONT-FRAGMENT attribute is an unknown comprehension-required
// attribute (and thus the Send indication is discarded)."
// [RFC 8489 §6.3.2 test] "If the indication contains unknown
// comprehension-required attributes, the indication is discarded and
// processing ceases."
#[test]
fn send_indications_the_server_cannot_honour_are_discarded() {
    for support in [false, true] {
        let mut w = World::new(support, false, "198.51.100.7:50000");
        w.allocate_and_permit();
        w.deliver(&send_indication(b"df", true, false));
        w.deliver(&send_indication(b"unknown", false, true));
        w.deliver(&send_indication(b"plain", false, false));
        w.pump();
        let mut expected = Vec::new();
        if support {
            expected.push((addr(PEER), b"df".to_vec(), true));
        }
        expected.push((addr(PEER), b"plain".to_vec(), false));
        assert_eq!(w.to_peer, expected, "server support {support}");
    }
}

// [RFC 8656 §13.3 test] "For both preferred and alternate behavior, the
// DONT-FRAGMENT attribute MUST be ignored by the server."
#[test]
fn an_ipv6_client_relaying_to_ipv4_gets_no_df_bit() {
    let mut w = World::new(true, true, "[2001:db8::7]:50000");
    w.allocate_and_permit();
    w.client.send(addr(PEER), b"v6 to v4").unwrap();
    w.pump();
    assert_eq!(w.sends_sent().iter().filter(|s| s.df).count(), 1);
    assert_eq!(w.to_peer, vec![(addr(PEER), b"v6 to v4".to_vec(), false)]);
}
