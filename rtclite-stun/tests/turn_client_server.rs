//! The sans-IO TURN client against the sans-IO TURN server on virtual time:
//! the 401 dance, permissions, channels, data both ways, refreshes driven by
//! the timers, stale nonces, and deallocation.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_stun::turn::client::{AllocationState, TurnClient, TurnClientConfig, TurnEvent};
use rtclite_stun::turn::server::{ServerOutput, TurnServer, TurnServerConfig};

const SERVER: &str = "192.0.2.1:3478";
const CLIENT: &str = "198.51.100.7:50000";
const PEER: &str = "203.0.113.9:6000";
const RELAY: &str = "192.0.2.1:49152";

struct World {
    now: Instant,
    client: TurnClient<ChaCha20Rng>,
    server: TurnServer,
    events: Vec<TurnEvent>,
    to_peer: Vec<(SocketAddr, Vec<u8>)>,
    client_sent: usize,
}

impl World {
    fn new(password: &str, nonce_lifetime: Duration) -> World {
        let now = Instant::now();
        let mut server = TurnServer::new(
            now,
            TurnServerConfig {
                realm: "example.org".into(),
                software: "test".into(),
                max_lifetime: Duration::from_secs(3600),
                nonce_lifetime,
                nonce_secret: [7; 16],
                max_allocations: 10,
                dont_fragment: false,
            },
        );
        server.add_user("alice", "secret").unwrap();
        let cfg = TurnClientConfig::new(SERVER.parse().unwrap(), "alice", password);
        World {
            now,
            client: TurnClient::new(cfg, ChaCha20Rng::seed_from_u64(1)),
            server,
            events: Vec::new(),
            to_peer: Vec::new(),
            client_sent: 0,
        }
    }

    /// Delivers everything in flight until both sides are quiet (bounded).
    fn pump(&mut self) {
        for _ in 0..100 {
            let mut busy = false;
            while let Some(t) = self.client.poll_transmit() {
                busy = true;
                self.client_sent += 1;
                assert_eq!(t.destination, SERVER.parse().unwrap());
                let mut relay = |_| Some(RELAY.parse().unwrap());
                self.server.handle_client(
                    self.now,
                    SERVER.parse().unwrap(),
                    CLIENT.parse().unwrap(),
                    &t.payload,
                    &mut relay,
                );
            }
            while let Some(o) = self.server.poll_output() {
                busy = true;
                match o {
                    ServerOutput::ToClient { to, payload } => {
                        assert_eq!(to, CLIENT.parse().unwrap());
                        self.client
                            .handle_input(self.now, SERVER.parse().unwrap(), &payload);
                    }
                    ServerOutput::ToPeer {
                        relay,
                        peer,
                        payload,
                        ..
                    } => {
                        assert_eq!(relay, RELAY.parse().unwrap());
                        self.to_peer.push((peer, payload));
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

    fn advance_to(&mut self, t: Instant) {
        // Step through every timer up to `t`, bounded.
        for _ in 0..1000 {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(n) if n <= t => {
                    self.now = self.now.max(n);
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                    self.pump();
                }
                _ => {
                    self.now = t;
                    return;
                }
            }
        }
        panic!("timer storm");
    }
}

// [RFC 8656 §7.1 test] "The client MUST include a REQUESTED-TRANSPORT attribute in the
// request."
#[test]
fn allocate_permission_channel_data_refresh_deallocate() {
    let mut w = World::new("secret", Duration::from_secs(3600));
    w.client.allocate(w.now).unwrap();
    w.pump();
    // First Allocate unauthenticated, 401, second authenticated.
    assert_eq!(w.client_sent, 2);
    let relay: SocketAddr = RELAY.parse().unwrap();
    assert_eq!(
        w.events.remove(0),
        TurnEvent::Allocated {
            relayed: relay,
            additional: None,
            address_error: None,
            mapped: Some(CLIENT.parse().unwrap()),
            lifetime: Duration::from_secs(600)
        }
    );
    assert_eq!(w.client.state(), AllocationState::Allocated);
    assert_eq!(
        w.server.allocation_user(CLIENT.parse().unwrap()),
        Some("alice")
    );

    let peer: SocketAddr = PEER.parse().unwrap();
    // Without a permission the server drops what the peer sends.
    w.server.handle_peer(relay, peer, b"early");
    w.pump();
    assert!(w.events.is_empty());

    w.client.create_permission(w.now, peer.ip()).unwrap();
    w.pump();
    assert_eq!(w.events.remove(0), TurnEvent::PermissionCreated(peer.ip()));

    // Send indication out, Data indication back.
    w.client.send(peer, b"ping").unwrap();
    w.pump();
    assert_eq!(w.to_peer.remove(0), (peer, b"ping".to_vec()));
    w.server.handle_peer(relay, peer, b"pong");
    w.pump();
    assert_eq!(
        w.events.remove(0),
        TurnEvent::Data {
            peer,
            data: b"pong".to_vec()
        }
    );

    // Channel: ChannelData both ways.
    let ch = w.client.bind_channel(w.now, peer).unwrap();
    assert_eq!(ch, 0x4000);
    w.pump();
    assert_eq!(
        w.events.remove(0),
        TurnEvent::ChannelBound {
            channel: 0x4000,
            peer
        }
    );
    let before = w.client_sent;
    w.client.send(peer, b"over channel").unwrap();
    w.pump();
    assert_eq!(w.client_sent, before + 1);
    assert_eq!(w.to_peer.remove(0), (peer, b"over channel".to_vec()));
    w.server.handle_peer(relay, peer, b"back");
    w.pump();
    assert_eq!(
        w.events.remove(0),
        TurnEvent::Data {
            peer,
            data: b"back".to_vec()
        }
    );

    // Twenty minutes later the allocation, permission and channel are still
    // alive: the client refreshed them on its own.
    let t0 = w.now;
    w.advance_to(t0 + Duration::from_secs(20 * 60));
    assert!(
        w.events
            .iter()
            .any(|e| matches!(e, TurnEvent::Refreshed { .. })),
        "{:?}",
        w.events
    );
    assert!(
        w.events
            .iter()
            .all(|e| !matches!(e, TurnEvent::AllocationFailed(_))),
        "{:?}",
        w.events
    );
    assert_eq!(w.server.allocation_count(), 1);
    w.events.clear();
    w.server.handle_peer(relay, peer, b"still here");
    w.pump();
    assert_eq!(
        w.events.remove(0),
        TurnEvent::Data {
            peer,
            data: b"still here".to_vec()
        }
    );

    w.client.deallocate(w.now).unwrap();
    w.pump();
    assert_eq!(w.events.remove(0), TurnEvent::Deallocated);
    assert_eq!(w.server.allocation_count(), 0);
    assert_eq!(w.client.state(), AllocationState::Closed);
}

// [RFC 8489 §9.2.5 test] "If the response is an error response with an error code of 438 (Stale
// Nonce), the client MUST retry the request, using the new NONCE
// attribute supplied in the 438 (Stale Nonce) response."
#[test]
fn stale_nonce_is_retried_transparently() {
    let mut w = World::new("secret", Duration::from_secs(120));
    w.client.allocate(w.now).unwrap();
    w.pump();
    assert!(matches!(w.events.remove(0), TurnEvent::Allocated { .. }));
    // Nonces last 2 minutes; the refresh at 9 minutes meets a 438 first.
    let t0 = w.now;
    let sent = w.client_sent;
    w.advance_to(t0 + Duration::from_secs(9 * 60 + 5));
    assert!(
        w.events
            .iter()
            .any(|e| matches!(e, TurnEvent::Refreshed { .. })),
        "{:?}",
        w.events
    );
    assert_eq!(
        w.client_sent,
        sent + 2,
        "refresh, 438, refresh with the new nonce"
    );
}

#[test]
fn wrong_password_fails_with_401() {
    let mut w = World::new("not the secret", Duration::from_secs(3600));
    w.client.allocate(w.now).unwrap();
    w.pump();
    match w.events.remove(0) {
        TurnEvent::AllocationFailed(rtclite_stun::turn::client::TurnFailure::Error {
            code,
            ..
        }) => assert_eq!(code, 401),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.server.allocation_count(), 0);
}

#[test]
fn lost_server_means_timeout_after_rc_requests() {
    let mut w = World::new("secret", Duration::from_secs(3600));
    w.client.allocate(w.now).unwrap();
    let mut sent = 0;
    let t0 = w.now;
    for _ in 0..50 {
        while w.client.poll_transmit().is_some() {
            sent += 1;
        }
        let Some(t) = w.client.poll_timeout() else {
            break;
        };
        w.client.handle_timeout(t);
        w.now = t;
    }
    assert_eq!(sent, 7);
    assert_eq!(w.now - t0, Duration::from_millis(39_500));
    assert_eq!(
        w.client.poll_event(),
        Some(TurnEvent::AllocationFailed(
            rtclite_stun::turn::client::TurnFailure::TimedOut
        ))
    );
}

/// A 300 (Try Alternate) answer to `request` naming `alternates`, protected
/// with `key` when given.
fn try_alternate(
    request: &[u8],
    alternates: &[SocketAddr],
    key: Option<&rtclite_stun::IntegrityKey>,
) -> Vec<u8> {
    use rtclite_stun::{Attribute, Class, ErrorCode, Message, MessageType, MessageWriter};
    let req = Message::parse(request).unwrap();
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::ErrorResponse, req.method()),
        req.transaction_id(),
    );
    w.attribute(&Attribute::ErrorCode(ErrorCode::TRY_ALTERNATE))
        .unwrap();
    for a in alternates {
        w.attribute(&Attribute::AlternateServer(*a)).unwrap();
    }
    if let Some(k) = key {
        w.message_integrity(k).unwrap();
    }
    w.finish();
    buf
}

const ALTERNATE: &str = "192.0.2.2:3478";

// [RFC 8656 §7.4 test] "it SHOULD try the Allocate request with the
// alternate server before trying any other servers"
#[test]
fn allocate_follows_a_300_to_the_alternate_server() {
    let mut w = World::new("secret", Duration::from_secs(3600));
    let server: SocketAddr = SERVER.parse().unwrap();
    let alternate: SocketAddr = ALTERNATE.parse().unwrap();
    w.client.allocate(w.now).unwrap();
    let first = w.client.poll_transmit().unwrap();
    assert_eq!(first.destination, server);
    let redirect = try_alternate(&first.payload, &[alternate], None);
    w.client.handle_input(w.now, server, &redirect);
    assert_eq!(
        w.client.poll_event(),
        Some(TurnEvent::Redirected {
            from: server,
            to: alternate
        })
    );
    // The same Allocate, now to the alternate: run the 401 dance with the
    // server there (the World's server plays the alternate).
    let mut exchanges = 0;
    while let Some(t) = w.client.poll_transmit() {
        assert_eq!(t.destination, alternate);
        exchanges += 1;
        assert!(exchanges < 10);
        let mut relay = |_| Some(RELAY.parse().unwrap());
        w.server.handle_client(
            w.now,
            alternate,
            CLIENT.parse().unwrap(),
            &t.payload,
            &mut relay,
        );
        while let Some(o) = w.server.poll_output() {
            if let ServerOutput::ToClient { payload, .. } = o {
                // Datagrams from the old server are ignored now.
                w.client.handle_input(w.now, server, &payload);
                assert_eq!(w.client.poll_event(), None);
                w.client.handle_input(w.now, alternate, &payload);
            }
        }
    }
    assert_eq!(
        exchanges, 2,
        "unauthenticated Allocate, 401, authenticated Allocate"
    );
    assert!(matches!(
        w.client.poll_event(),
        Some(TurnEvent::Allocated { .. })
    ));
    assert_eq!(w.client.state(), AllocationState::Allocated);
}

// [RFC 8489 §10 test] "If the client has been redirected to a server to
// which it has already sent this request within the last five minutes, it
// MUST ignore the redirection and consider the transaction to have failed."
#[test]
fn allocate_refuses_a_redirection_loop() {
    use rtclite_stun::redirect::RedirectRefusal;
    use rtclite_stun::turn::client::TurnFailure;
    let mut w = World::new("secret", Duration::from_secs(3600));
    let server: SocketAddr = SERVER.parse().unwrap();
    let alternate: SocketAddr = ALTERNATE.parse().unwrap();
    w.client.allocate(w.now).unwrap();
    let first = w.client.poll_transmit().unwrap();
    w.client.handle_input(
        w.now,
        server,
        &try_alternate(&first.payload, &[alternate], None),
    );
    assert!(matches!(
        w.client.poll_event(),
        Some(TurnEvent::Redirected { .. })
    ));
    let second = w.client.poll_transmit().unwrap();
    assert_eq!(second.destination, alternate);
    // The alternate sends the client back: a ping-pong.
    w.client.handle_input(
        w.now,
        alternate,
        &try_alternate(&second.payload, &[server], None),
    );
    assert_eq!(
        w.client.poll_event(),
        Some(TurnEvent::AllocationFailed(TurnFailure::Redirect(
            RedirectRefusal::Loop(server)
        )))
    );
    assert_eq!(w.client.poll_transmit(), None);
    assert_eq!(w.client.state(), AllocationState::Closed);
}

// [RFC 8489 §10 test] "which MUST contain an IP address of the same address
// family as the source IP address of the request message"
#[test]
fn allocate_refuses_a_redirection_to_another_family() {
    use rtclite_stun::redirect::RedirectRefusal;
    use rtclite_stun::turn::client::TurnFailure;
    let mut w = World::new("secret", Duration::from_secs(3600));
    let server: SocketAddr = SERVER.parse().unwrap();
    w.client.allocate(w.now).unwrap();
    let first = w.client.poll_transmit().unwrap();
    let v6: SocketAddr = "[2001:db8::2]:3478".parse().unwrap();
    w.client
        .handle_input(w.now, server, &try_alternate(&first.payload, &[v6], None));
    assert_eq!(
        w.client.poll_event(),
        Some(TurnEvent::AllocationFailed(TurnFailure::Redirect(
            RedirectRefusal::FamilyMismatch
        )))
    );
}

// [RFC 8489 §9.2.5 test] "If the request was sent over an unreliable
// transport, the response MUST be discarded, as if it had never been
// received."
#[test]
fn an_unauthenticated_300_to_an_authenticated_allocate_is_discarded() {
    let mut w = World::new("secret", Duration::from_secs(3600));
    let server: SocketAddr = SERVER.parse().unwrap();
    let alternate: SocketAddr = ALTERNATE.parse().unwrap();
    w.client.allocate(w.now).unwrap();
    // Let the real server answer the first Allocate with its 401.
    let first = w.client.poll_transmit().unwrap();
    let mut relay = |_| Some(RELAY.parse().unwrap());
    w.server.handle_client(
        w.now,
        server,
        CLIENT.parse().unwrap(),
        &first.payload,
        &mut relay,
    );
    let Some(ServerOutput::ToClient { payload, .. }) = w.server.poll_output() else {
        panic!("no 401");
    };
    w.client.handle_input(w.now, server, &payload);
    let authenticated = w.client.poll_transmit().unwrap();
    // An off-path attacker answers the authenticated Allocate with a 300
    // it cannot sign, then with one signed by the wrong key.
    let forged = try_alternate(&authenticated.payload, &[alternate], None);
    w.client.handle_input(w.now, server, &forged);
    let wrong = rtclite_stun::IntegrityKey::from_bytes(b"wrong");
    let forged = try_alternate(&authenticated.payload, &[alternate], Some(&wrong));
    w.client.handle_input(w.now, server, &forged);
    assert_eq!(w.client.poll_event(), None);
    assert_eq!(w.client.state(), AllocationState::Allocating);
    // The real answer still completes the allocation with the first server.
    w.server.handle_client(
        w.now,
        server,
        CLIENT.parse().unwrap(),
        &authenticated.payload,
        &mut relay,
    );
    let Some(ServerOutput::ToClient { payload, .. }) = w.server.poll_output() else {
        panic!("no success");
    };
    w.client.handle_input(w.now, server, &payload);
    assert!(matches!(
        w.client.poll_event(),
        Some(TurnEvent::Allocated { .. })
    ));
}
