//! Property tests: encode/parse round trips of every attribute kind, and
//! arbitrary bytes never panic any parser or state machine input path.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_stun::attribute::{AddressFamily, Attribute, AttributeType, ErrorCode};
use rtclite_stun::integrity::{Check, IntegrityKey};
use rtclite_stun::message::{Class, Message, MessageType, MessageWriter, Method, TransactionId};
use rtclite_stun::turn::ChannelData;
use rtclite_stun::turn::client::{TurnClient, TurnClientConfig};
use rtclite_stun::uri::Uri;

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(a, p)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(a)), p)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(a, p)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(a)), p)),
    ]
}

/// An owned description of an attribute, turned into a borrowed [`Attribute`].
#[derive(Debug, Clone)]
enum Owned {
    Addr(u8, SocketAddr),
    Text(u8, String),
    U32(u8, u32),
    U64(u8, u64),
    Bytes(u8, Vec<u8>),
    Error(u16, String),
    Change(bool, bool),
    Flag(u8),
    Family(u8, bool),
    Port(u8, u16),
    Unknown(u16, Vec<u8>),
}

fn owned() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (0u8..12, addr()).prop_map(|(k, a)| Owned::Addr(k, a)),
        (0u8..5, "[a-zA-Z0-9 :/\u{e9}\u{30DE}]{0,40}").prop_map(|(k, s)| Owned::Text(k, s)),
        (0u8..2, any::<u32>()).prop_map(|(k, v)| Owned::U32(k, v)),
        (0u8..3, any::<u64>()).prop_map(|(k, v)| Owned::U64(k, v)),
        (0u8..2, proptest::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(k, v)| Owned::Bytes(k, v)),
        (300u16..700, "[a-zA-Z ]{0,30}").prop_map(|(c, r)| Owned::Error(c, r)),
        (any::<bool>(), any::<bool>()).prop_map(|(a, b)| Owned::Change(a, b)),
        (0u8..3).prop_map(Owned::Flag),
        (0u8..2, any::<bool>()).prop_map(|(k, v6)| Owned::Family(k, v6)),
        (0u8..2, any::<u16>()).prop_map(|(k, p)| Owned::Port(k, p)),
        // Unknown comprehension-optional types, avoiding every known one.
        (
            0xC100u16..0xFFFF,
            proptest::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(|(t, v)| Owned::Unknown(t, v)),
    ]
}

fn attribute(o: &Owned) -> Attribute<'_> {
    use Attribute as A;
    match o {
        Owned::Addr(k, a) => match k {
            0 => A::MappedAddress(*a),
            1 => A::XorMappedAddress(*a),
            2 => A::AlternateServer(*a),
            3 => A::ResponseOrigin(*a),
            4 => A::OtherAddress(*a),
            5 => A::ResponseAddress(*a),
            6 => A::SourceAddress(*a),
            7 => A::ChangedAddress(*a),
            8 => A::ReflectedFrom(*a),
            9 => A::XorPeerAddress(*a),
            _ => A::XorRelayedAddress(*a),
        },
        Owned::Text(k, s) => match k {
            0 => A::Username(s),
            1 => A::Realm(s),
            2 => A::Nonce(s),
            3 => A::Software(s),
            _ => A::Username(s),
        },
        Owned::U32(0, v) => A::Priority(*v),
        Owned::U32(_, v) => A::Lifetime(*v),
        Owned::U64(0, v) => A::IceControlled(*v),
        Owned::U64(1, v) => A::IceControlling(*v),
        Owned::U64(_, v) => A::ReservationToken(*v),
        Owned::Bytes(0, v) => A::Data(v),
        Owned::Bytes(_, v) => A::Padding(v),
        Owned::Error(c, r) => A::ErrorCode(ErrorCode::new(*c, r)),
        Owned::Change(a, b) => A::ChangeRequest {
            change_ip: *a,
            change_port: *b,
        },
        Owned::Flag(0) => A::UseCandidate,
        Owned::Flag(1) => A::DontFragment,
        Owned::Flag(_) => A::EvenPort(true),
        Owned::Family(0, v6) => A::RequestedAddressFamily(if *v6 {
            AddressFamily::Ipv6
        } else {
            AddressFamily::Ipv4
        }),
        Owned::Family(_, v6) => A::AdditionalAddressFamily(if *v6 {
            AddressFamily::Ipv6
        } else {
            AddressFamily::Ipv4
        }),
        Owned::Port(0, p) => A::ResponsePort(*p),
        Owned::Port(_, p) => A::ChannelNumber(*p),
        Owned::Unknown(t, v) => A::Unknown {
            attr_type: AttributeType(*t),
            value: v,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_parse_gives_the_same_message(
        class in 0u16..4, method in 0u16..0x1000, tid in any::<[u8; 12]>(),
        attrs in proptest::collection::vec(owned(), 0..12),
        integrity in any::<bool>(), sha256 in any::<bool>(), fingerprint in any::<bool>(),
    ) {
        let key = IntegrityKey::from_bytes(b"property key");
        let ty = MessageType::new(Class::from_bits(class), Method::new(method).unwrap());
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, ty, TransactionId(tid));
        for a in &attrs {
            w.attribute(&attribute(a)).unwrap();
        }
        if integrity { w.message_integrity(&key).unwrap(); }
        if sha256 { w.message_integrity_sha256(&key).unwrap(); }
        if fingerprint { w.fingerprint().unwrap(); }
        let len = w.finish();
        prop_assert_eq!(len, buf.len());

        let msg = Message::parse(&buf).unwrap();
        prop_assert_eq!(msg.message_type(), ty);
        prop_assert_eq!(msg.transaction_id(), TransactionId(tid));
        let decoded: Vec<Attribute<'_>> = msg.attributes().map(|a| a.unwrap()).take(attrs.len()).collect();
        let expected: Vec<Attribute<'_>> = attrs.iter().map(attribute).collect();
        prop_assert_eq!(decoded, expected);
        prop_assert_eq!(msg.check_integrity(&key), if integrity { Check::Valid } else { Check::Absent });
        prop_assert_eq!(msg.check_integrity_sha256(&key), if sha256 { Check::Valid } else { Check::Absent });
        prop_assert_eq!(msg.check_fingerprint(), if fingerprint { Check::Valid } else { Check::Absent });
        if integrity {
            prop_assert_eq!(msg.check_integrity(&IntegrityKey::from_bytes(b"other key")), Check::Invalid);
        }
    }

    #[test]
    fn one_flipped_bit_breaks_integrity_or_fingerprint(bit in 0usize..(8 * 60), tid in any::<[u8; 12]>()) {
        let key = IntegrityKey::short_term("pass").unwrap();
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(tid));
        w.attribute(&Attribute::Username("user:name")).unwrap();
        w.attribute(&Attribute::Priority(7)).unwrap();
        w.message_integrity(&key).unwrap();
        w.fingerprint().unwrap();
        // Flip one bit anywhere before the FINGERPRINT value (header included).
        let bit = bit % (8 * (buf.len() - 4));
        buf[bit / 8] ^= 1 << (bit % 8);
        if let Ok(msg) = Message::parse(&buf) {
            prop_assert!(msg.check_integrity(&key) != Check::Valid || msg.check_fingerprint() != Check::Valid);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key = IntegrityKey::from_bytes(b"k");
        if let Ok(msg) = Message::parse(&bytes) {
            for a in msg.attributes() { let _ = a; }
            let _ = msg.check_integrity(&key);
            let _ = msg.check_integrity_sha256(&key);
            let _ = msg.check_fingerprint();
            let _ = msg.unknown_attributes();
            for t in AttributeType::KNOWN { let _ = msg.get(*t); }
        }
        let _ = Message::parse_prefix(&bytes);
        let _ = ChannelData::parse(&bytes);
        let _ = rtclite_stun::auth::verify_short_term_request(
            &match Message::parse(&bytes) { Ok(m) => m, Err(_) => return Ok(()) },
            |_| Some(IntegrityKey::from_bytes(b"k")),
        );
    }

    #[test]
    fn stun_shaped_bytes_never_panic(ty in any::<u16>(), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        // A valid header with a random body reaches the attribute walker.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(ty & 0x3FFF).to_be_bytes());
        let len = body.len() & !3;
        bytes.extend_from_slice(&(len as u16).to_be_bytes());
        bytes.extend_from_slice(&0x2112_A442u32.to_be_bytes());
        bytes.extend_from_slice(&[1; 12]);
        bytes.extend_from_slice(&body[..len]);
        if let Ok(msg) = Message::parse(&bytes) {
            for a in msg.attributes() { let _ = a; }
            let _ = msg.check_fingerprint();
        }
        let server = rtclite_stun::server::BindingServer::new("x");
        let _ = server.handle("127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap(), &bytes);
    }

    #[test]
    fn turn_client_input_never_panics(packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 0..20)) {
        let server: SocketAddr = "127.0.0.1:3478".parse().unwrap();
        let mut c = TurnClient::new(TurnClientConfig::new(server, "u", "p"), ChaCha20Rng::seed_from_u64(3));
        let now = Instant::now();
        c.allocate(now).unwrap();
        for p in &packets {
            c.handle_input(now, server, p);
            c.handle_timeout(now);
            while c.poll_transmit().is_some() {}
            while c.poll_event().is_some() {}
        }
    }

    #[test]
    fn uri_parser_never_panics(s in "\\PC{0,40}") {
        let _ = Uri::parse(&s);
        let _ = Uri::parse(&format!("turn:{s}"));
    }
}
