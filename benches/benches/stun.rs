//! STUN: decode + MESSAGE-INTEGRITY + FINGERPRINT check of an ICE
//! connectivity check, and encoding one with integrity and fingerprint.
//!
//! Input: the RFC 5769 §2.1 sample request (SOFTWARE, PRIORITY,
//! ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT), the shape of
//! an ICE connectivity check. Peers, in the same run on the same bytes:
//! `stun-types` (ystreet), webrtc-rs `stun`, `ezk-stun-types`.
//!
//! What rtclite gives for the time: a borrowed `Message` whose attributes
//! are located but not copied, integrity checked with an `IntegrityKey`
//! whose HMAC key blocks were absorbed once per credential, fingerprint
//! checked; encoding writes into a reused caller buffer.

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use criterion::{Criterion, criterion_group, criterion_main};

const ICE_CHECK: &[u8] =
    include_bytes!("../../rtclite-stun/tests/vectors/rfc5769_sample_request.bin");
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const USERNAME: &str = "evtj:h6vY";
const TID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];
const PRIORITY: u32 = 0x6e0001ff;
const TIE_BREAKER: u64 = 0x932ff9b151263b36;

fn decode_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("stun/decode+integrity+fingerprint");

    let key = rtclite_stun::IntegrityKey::short_term(PASSWORD).unwrap();
    g.bench_function("rtclite-stun", |b| {
        b.iter(|| {
            let msg = rtclite_stun::Message::parse(std::hint::black_box(ICE_CHECK)).unwrap();
            assert_eq!(msg.check_fingerprint(), rtclite_stun::Check::Valid);
            assert_eq!(msg.check_integrity(&key), rtclite_stun::Check::Valid);
            msg.get_raw(rtclite_stun::AttributeType::USERNAME)
                .unwrap()
                .value
                .len()
        })
    });

    {
        use stun_types::message::{
            IntegrityAlgorithm, Message, MessageIntegrityCredentials, ShortTermCredentials,
        };
        let creds =
            MessageIntegrityCredentials::ShortTerm(ShortTermCredentials::new(PASSWORD.to_owned()));
        let key = creds.make_key(IntegrityAlgorithm::Sha1);
        g.bench_function("stun-types", |b| {
            b.iter(|| {
                // from_bytes checks FINGERPRINT.
                let msg = Message::from_bytes(std::hint::black_box(ICE_CHECK)).unwrap();
                msg.validate_integrity_with_key(&key).unwrap();
                msg.raw_attribute(<stun_types::attribute::Username as stun_types::attribute::AttributeStaticType>::TYPE).unwrap().value.len()
            })
        });
    }

    {
        use stun::fingerprint::FINGERPRINT;
        use stun::integrity::MessageIntegrity;
        let integrity = MessageIntegrity::new_short_term_integrity(PASSWORD.to_owned());
        g.bench_function("webrtc-stun", |b| {
            let mut m = stun::message::Message::new();
            b.iter(|| {
                m.raw.clear();
                m.raw.extend_from_slice(std::hint::black_box(ICE_CHECK));
                m.decode().unwrap();
                FINGERPRINT.check(&m).unwrap();
                integrity.check(&mut m).unwrap();
                m.get(stun::attributes::ATTR_USERNAME).unwrap().len()
            })
        });
    }

    {
        use ezk_stun_types::attributes::{
            Fingerprint, MessageIntegrity, MessageIntegrityKey, Username,
        };
        g.bench_function("ezk-stun-types", |b| {
            b.iter(|| {
                let mut msg =
                    ezk_stun_types::Message::parse(std::hint::black_box(ICE_CHECK)).unwrap();
                msg.attribute::<Fingerprint>().unwrap().unwrap();
                // The key type is consumed by the check, so it is built per message.
                msg.attribute_with::<MessageIntegrity>(MessageIntegrityKey::new(PASSWORD))
                    .unwrap()
                    .unwrap();
                msg.attribute::<Username<'_>>().unwrap().unwrap().0.len()
            })
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("stun/encode+integrity+fingerprint");

    let key = rtclite_stun::IntegrityKey::short_term(PASSWORD).unwrap();
    let mut buf = Vec::with_capacity(128);
    g.bench_function("rtclite-stun", |b| {
        use rtclite_stun::{Attribute, MessageType, MessageWriter, TransactionId};
        b.iter(|| {
            buf.clear();
            let mut w =
                MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(TID));
            w.attribute(&Attribute::Username(USERNAME)).unwrap();
            w.attribute(&Attribute::Priority(PRIORITY)).unwrap();
            w.attribute(&Attribute::IceControlled(TIE_BREAKER)).unwrap();
            w.message_integrity(&key).unwrap();
            w.fingerprint().unwrap();
            w.finish()
        })
    });

    {
        use stun_types::attribute::{RawAttribute, Username};
        use stun_types::message::{
            BINDING, IntegrityAlgorithm, Message, MessageIntegrityCredentials, MessageWriteVec,
            ShortTermCredentials,
        };
        use stun_types::prelude::*;
        let creds =
            MessageIntegrityCredentials::ShortTerm(ShortTermCredentials::new(PASSWORD.to_owned()));
        let key = creds.make_key(IntegrityAlgorithm::Sha1);
        let prio = PRIORITY.to_be_bytes();
        let tie = TIE_BREAKER.to_be_bytes();
        g.bench_function("stun-types", |b| {
            b.iter(|| {
                let mut msg =
                    Message::builder_request(BINDING, MessageWriteVec::with_capacity(128));
                msg.add_attribute(&Username::new(USERNAME).unwrap())
                    .unwrap();
                msg.add_attribute(&RawAttribute::new(0x0024.into(), &prio))
                    .unwrap();
                msg.add_attribute(&RawAttribute::new(0x8029.into(), &tie))
                    .unwrap();
                msg.add_message_integrity_with_key(&key, IntegrityAlgorithm::Sha1)
                    .unwrap();
                msg.add_fingerprint().unwrap();
                msg.finish().len()
            })
        });
    }

    {
        use stun::attributes::{ATTR_USERNAME, AttrType};
        use stun::fingerprint::FINGERPRINT;
        use stun::integrity::MessageIntegrity;
        use stun::message::{BINDING_REQUEST, Message, Setter};
        let integrity = MessageIntegrity::new_short_term_integrity(PASSWORD.to_owned());
        let prio = PRIORITY.to_be_bytes();
        let tie = TIE_BREAKER.to_be_bytes();
        g.bench_function("webrtc-stun", |b| {
            let mut m = Message::new();
            b.iter(|| {
                m.reset();
                m.set_type(BINDING_REQUEST);
                m.transaction_id.0 = TID;
                m.write_header();
                m.add(ATTR_USERNAME, USERNAME.as_bytes());
                m.add(AttrType(0x0024), &prio);
                m.add(AttrType(0x8029), &tie);
                integrity.add_to(&mut m).unwrap();
                FINGERPRINT.add_to(&mut m).unwrap();
                m.raw.len()
            })
        });
    }

    {
        use ezk_stun_types::attributes::{
            Fingerprint, IceControlled, MessageIntegrity, MessageIntegrityKey, Priority, Username,
        };
        use ezk_stun_types::{Class, MessageBuilder, Method, TransactionId};
        g.bench_function("ezk-stun-types", |b| {
            b.iter(|| {
                let mut m =
                    MessageBuilder::new(Class::Request, Method::Binding, TransactionId::new(TID));
                m.add_attr(Username::new(USERNAME));
                m.add_attr(Priority(PRIORITY));
                m.add_attr(IceControlled(TIE_BREAKER));
                m.add_attr_with(MessageIntegrity, MessageIntegrityKey::new(PASSWORD));
                m.add_attr(Fingerprint);
                m.finish().len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, decode_verify, encode);
criterion_main!(benches);
