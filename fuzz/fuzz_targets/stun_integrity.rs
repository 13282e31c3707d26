//! rtclite-stun integrity verifier: for any bytes and any key, the
//! MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT checks and the §9 credential
//! checks return a verdict without panicking; a message we sign verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_stun::auth::{verify_response, verify_short_term_request};
use rtclite_stun::integrity::{Check, IntegrityKey};
use rtclite_stun::message::{Message, MessageType, MessageWriter, TransactionId};

fuzz_target!(|input: (&[u8], &[u8])| {
    let (key_bytes, data) = input;
    let key = IntegrityKey::from_bytes(key_bytes);
    if let Ok(msg) = Message::parse(data) {
        let _ = msg.check_integrity(&key);
        let _ = msg.check_integrity_sha256(&key);
        let _ = msg.check_fingerprint();
        let _ = verify_short_term_request(&msg, |_| Some(key.clone()));
        let _ = verify_response(&msg, &key, None);
    }
    // Sign the input as a DATA-like attribute and check it verifies.
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId([3; 12]));
    if w.raw_attribute(rtclite_stun::AttributeType(0x8123), &data[..data.len().min(60000)]).is_err() {
        return;
    }
    if w.message_integrity(&key).is_err() || w.message_integrity_sha256(&key).is_err() || w.fingerprint().is_err() {
        return;
    }
    let msg = Message::parse(&buf).expect("signed message parses");
    assert_eq!(msg.check_integrity(&key), Check::Valid);
    assert_eq!(msg.check_integrity_sha256(&key), Check::Valid);
    assert_eq!(msg.check_fingerprint(), Check::Valid);
});
