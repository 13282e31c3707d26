//! rtclite-stun TURN server state machine: a sequence of steps read from the
//! input — raw client datagrams, requests the harness authenticates with
//! the right key (Allocate with or without EVEN-PORT and a
//! RESERVATION-TOKEN seen earlier, with REQUESTED- or
//! ADDITIONAL-ADDRESS-FAMILY for dual allocations, Refresh,
//! CreatePermission, ChannelBind, with IPv4 or IPv6 peers), peer datagrams
//! on relayed addresses, time steps and an ALTERNATE-SERVER redirect
//! policy switched on and off — never panics, and the documented bounds
//! hold (allocations, reservations, at most two relayed addresses each).
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtclite_stun::attribute::{AddressFamily, Attribute, AttributeType};
use rtclite_stun::integrity::{IntegrityKey, PasswordAlgorithm};
use rtclite_stun::message::{Class, Message, MessageType, MessageWriter, Method, TransactionId};
use rtclite_stun::redirect::AlternateServer;
use rtclite_stun::turn::server::{
    MAX_RESERVATIONS, RelayAllocator, RelayGrant, RelayRequest, ServerOutput, TurnServer,
    TurnServerConfig,
};
use rtclite_stun::turn::{ChannelData, TRANSPORT_UDP};

const MAX_ALLOCATIONS: usize = 8;

/// Hands out consecutive ports; a flag byte makes some grants wrong (odd
/// ports, repeated addresses) to exercise the server's checks.
struct Ports {
    next: u16,
    quirk: u8,
}

impl RelayAllocator for Ports {
    fn allocate(&mut self, request: RelayRequest) -> Option<RelayGrant> {
        self.quirk = self.quirk.rotate_left(1);
        if self.quirk & 1 == 1 {
            return None;
        }
        let ip = if request.family() == AddressFamily::Ipv4 {
            "192.0.2.1".parse().ok()?
        } else {
            "2001:db8::1".parse().ok()?
        };
        if !matches!(request, RelayRequest::Any(_)) && self.next % 2 == 1 && self.quirk & 2 == 0 {
            self.next = self.next.wrapping_add(1);
        }
        let relayed = SocketAddr::new(ip, self.next);
        if self.quirk & 4 == 0 {
            self.next = self.next.wrapping_add(1);
        }
        let reserved = match request {
            RelayRequest::EvenPortPair(_) => {
                let r = SocketAddr::new(ip, self.next);
                self.next = self.next.wrapping_add(1);
                Some(r)
            }
            _ => None,
        };
        Some(RelayGrant { relayed, reserved })
    }

    fn supports(&self, family: AddressFamily) -> bool {
        family == AddressFamily::Ipv4 || self.quirk & 8 == 0
    }
}

fn client(n: u8) -> SocketAddr {
    SocketAddr::new([198, 51, 100, 7].into(), 50000 + u16::from(n % 4))
}

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let mut now = t0;
    let mut server = TurnServer::new(
        t0,
        TurnServerConfig {
            realm: "r".into(),
            software: "fuzz".into(),
            max_lifetime: Duration::from_secs(3600),
            nonce_lifetime: Duration::from_secs(600),
            nonce_secret: [1; 16],
            max_allocations: MAX_ALLOCATIONS,
            // The first bit picks whether the caller can set the DF bit.
            dont_fragment: data.first().is_some_and(|b| b & 1 == 1),
        },
    );
    server.add_user("u", "p").expect("ASCII credentials");
    let key = IntegrityKey::long_term("u", "r", "p", PasswordAlgorithm::Md5).expect("key");
    let local: SocketAddr = "192.0.2.1:3478".parse().expect("address");
    let mut ports = Ports {
        next: 49152,
        quirk: 0,
    };
    let mut nonces: [Option<String>; 4] = Default::default();
    let mut tokens: Vec<u64> = Vec::new();
    let mut relays: Vec<SocketAddr> = Vec::new();
    let mut id = 0u8;
    for step in data.chunks(24).take(64) {
        let Some((&op, rest)) = step.split_first() else {
            continue;
        };
        let who = rest.first().copied().unwrap_or(0);
        let from = client(who);
        match op % 7 {
            // Raw bytes from a client.
            0 => server.handle_client_with(now, local, from, rest, &mut ports),
            // An authenticated request built from the bytes.
            1 | 2 => {
                id = id.wrapping_add(1);
                let method = match rest.get(1).copied().unwrap_or(0) % 4 {
                    0 => Method::ALLOCATE,
                    1 => Method::REFRESH,
                    2 => Method::CREATE_PERMISSION,
                    _ => Method::CHANNEL_BIND,
                };
                let flags = rest.get(2).copied().unwrap_or(0);
                let host = rest.get(3).copied().unwrap_or(9);
                let port = 6000 + u16::from(rest.get(4).copied().unwrap_or(0));
                let peer = if host & 0x80 == 0 {
                    SocketAddr::new([203, 0, 113, host].into(), port)
                } else {
                    SocketAddr::new(
                        std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(host))
                            .into(),
                        port,
                    )
                };
                let mut buf = Vec::new();
                let mut w = MessageWriter::new(
                    &mut buf,
                    MessageType::new(Class::Request, method),
                    TransactionId([id; 12]),
                );
                let _ = w.attribute(&Attribute::RequestedTransport(TRANSPORT_UDP));
                if flags & 1 != 0 {
                    let _ = w.attribute(&Attribute::EvenPort(flags & 2 != 0));
                }
                if flags & 4 != 0 {
                    let t = if tokens.is_empty() {
                        u64::from(flags)
                    } else {
                        tokens[usize::from(flags) % tokens.len()]
                    };
                    let _ = w.attribute(&Attribute::ReservationToken(t));
                }
                if flags & 8 != 0 {
                    let _ = w.attribute(&Attribute::Lifetime(u32::from(flags) * 16));
                }
                if flags & 16 != 0 {
                    let _ = w.attribute(&Attribute::XorPeerAddress(peer));
                }
                if flags & 32 != 0 {
                    let _ = w.attribute(&Attribute::ChannelNumber(
                        0x4000 | u16::from(rest.get(5).copied().unwrap_or(0)),
                    ));
                }
                let family = if flags & 2 == 0 {
                    AddressFamily::Ipv6
                } else {
                    AddressFamily::Ipv4
                };
                if flags & 64 != 0 {
                    let _ = w.attribute(&Attribute::AdditionalAddressFamily(family));
                }
                if flags & 128 != 0 {
                    let _ = w.attribute(&Attribute::RequestedAddressFamily(family));
                }
                if let Some(n) = &nonces[usize::from(who % 4)] {
                    let _ = w.attribute(&Attribute::Username("u"));
                    let _ = w.attribute(&Attribute::Realm("r"));
                    let _ = w.attribute(&Attribute::Nonce(n));
                    let _ = w.message_integrity(&key);
                }
                w.finish();
                server.handle_client_with(now, local, from, &buf, &mut ports);
            }
            // A datagram from a peer to a relayed address.
            3 => {
                if let Some(r) = relays.get(usize::from(who) % relays.len().max(1)) {
                    let peer = SocketAddr::new([203, 0, 113, who].into(), 6000);
                    server.handle_peer(*r, peer, rest);
                }
            }
            // The redirect policy switches on or off.
            5 => server.set_alternate_server(if who & 1 == 1 {
                Some(
                    AlternateServer::new(SocketAddr::new([192, 0, 2, 9].into(), 3478)).with(
                        SocketAddr::new(
                            std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9).into(),
                            3478,
                        ),
                    ),
                )
            } else {
                None
            }),
            // A Send indication, with DONT-FRAGMENT and with an unknown
            // comprehension-required attribute as the bits say.
            6 => {
                let flags = rest.get(1).copied().unwrap_or(0);
                let host = rest.get(2).copied().unwrap_or(9);
                let peer = if flags & 4 == 0 {
                    SocketAddr::new([203, 0, 113, host].into(), 6000)
                } else {
                    SocketAddr::new(
                        std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(host))
                            .into(),
                        6000,
                    )
                };
                let mut buf = Vec::new();
                let mut w = MessageWriter::new(
                    &mut buf,
                    MessageType::new(Class::Indication, Method::SEND),
                    TransactionId([host; 12]),
                );
                let _ = w.attribute(&Attribute::XorPeerAddress(peer));
                let _ = w.attribute(&Attribute::Data(rest.get(3..).unwrap_or_default()));
                if flags & 1 != 0 {
                    let _ = w.attribute(&Attribute::DontFragment);
                }
                if flags & 2 != 0 {
                    let _ = w.raw_attribute(AttributeType(0x7F01), b"x");
                }
                w.finish();
                server.handle_client_with(now, local, from, &buf, &mut ports);
            }
            // Time passes.
            _ => {
                now += Duration::from_secs(u64::from(who) * 4);
                server.handle_timeout(now);
            }
        }
        while let Some(out) = server.poll_output() {
            // DF is asked for only where the caller can set it, and only
            // between IPv4 addresses (RFC 8656 §13, §14).
            if let ServerOutput::ToPeer {
                peer,
                dont_fragment: true,
                ..
            } = &out
            {
                assert!(data.first().is_some_and(|b| b & 1 == 1), "DF without support");
                assert!(peer.is_ipv4(), "DF towards an IPv6 peer");
            }
            let ServerOutput::ToClient { to, payload } = out else {
                continue;
            };
            // Data from a peer on a bound channel reaches the client as
            // ChannelData (RFC 8656 §12), whose first two bits are 0b01;
            // it must parse as exactly that: nothing after the data but the
            // padding to 4 bytes, which is optional over UDP (§12.5).
            if payload.first().is_some_and(|b| b >> 6 == 1) {
                match ChannelData::parse(&payload) {
                    Ok((cd, padded)) => assert!(
                        payload.len() == 4 + cd.data.len() || payload.len() == padded,
                        "ChannelData of {} bytes followed by stray bytes",
                        cd.data.len()
                    ),
                    Err(e) => panic!("the server wrote ChannelData that does not parse: {e}"),
                }
                continue;
            }
            let m = match Message::parse(&payload) {
                Ok(m) => m,
                Err(e) => {
                    panic!("the server wrote a message that does not parse: {e}: {payload:02x?}")
                }
            };
            if let Some(Ok(Attribute::Nonce(n))) = m.get(AttributeType::NONCE) {
                let slot = usize::from(to.port().wrapping_sub(50000)) % 4;
                nonces[slot] = Some(n.to_owned());
            }
            if let Some(Ok(Attribute::ReservationToken(t))) =
                m.get(AttributeType::RESERVATION_TOKEN)
            {
                if tokens.len() < 16 {
                    tokens.push(t);
                }
            }
            let tid = m.transaction_id();
            let mut relayed_here = 0;
            for raw in m
                .processed_attributes()
                .filter(|r| r.attr_type == AttributeType::XOR_RELAYED_ADDRESS)
            {
                relayed_here += 1;
                if let Ok(Attribute::XorRelayedAddress(a)) =
                    Attribute::decode(raw.attr_type, raw.value, &tid)
                {
                    if relays.len() < 16 {
                        relays.push(a);
                    }
                }
            }
            assert!(relayed_here <= 2, "more than two relayed addresses");
        }
        assert!(server.allocation_count() <= MAX_ALLOCATIONS);
        for c in 0..4 {
            let r = server.relayed_addresses(client(c));
            assert!(r.len() <= 2 && !(r.len() == 2 && r[0].is_ipv4() == r[1].is_ipv4()));
        }
        assert!(server.reservation_count() <= MAX_RESERVATIONS);
    }
});
