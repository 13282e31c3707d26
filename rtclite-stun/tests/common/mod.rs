//! What the TURN server tests share: the server every test builds (realm
//! `example.org`, SOFTWARE `test`, user alice/secret), the long-term key
//! of that user, and the authentication and response tails written the
//! way RFC 8656 prescribes.

// Each test file uses only part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtclite_stun::turn::TRANSPORT_UDP;
use rtclite_stun::turn::server::{TurnServer, TurnServerConfig};
use rtclite_stun::{
    Attribute, Class, IntegrityKey, MessageType, MessageWriter, Method, PasswordAlgorithm,
    TransactionId,
};

pub(crate) const REALM: &str = "example.org";
pub(crate) const SOFTWARE: &str = "test";

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A TURN server for realm [`REALM`] with user alice (password secret),
/// nonces derived from `nonce_secret` repeated 16 times.
pub(crate) fn turn_server(now: Instant, nonce_secret: u8) -> TurnServer {
    let mut s = TurnServer::new(
        now,
        TurnServerConfig {
            realm: REALM.into(),
            software: SOFTWARE.into(),
            max_lifetime: Duration::from_secs(3600),
            nonce_lifetime: Duration::from_secs(3600),
            nonce_secret: [nonce_secret; 16],
            max_allocations: 10,
            dont_fragment: false,
        },
    );
    s.add_user("alice", "secret").unwrap();
    s
}

/// alice's long-term key in [`REALM`] (MD5).
pub(crate) fn key() -> IntegrityKey {
    IntegrityKey::long_term("alice", REALM, "secret", PasswordAlgorithm::Md5).unwrap()
}

/// MESSAGE-INTEGRITY-SHA256 when `sha256`, else MESSAGE-INTEGRITY, with
/// [`key`].
pub(crate) fn integrity(w: &mut MessageWriter<'_>, sha256: bool) {
    if sha256 {
        w.message_integrity_sha256(&key()).unwrap();
    } else {
        w.message_integrity(&key()).unwrap();
    }
}

/// The end of an authenticated request: USERNAME alice, REALM, NONCE
/// `nonce`, then the integrity attribute.
pub(crate) fn authenticate(w: &mut MessageWriter<'_>, nonce: &str, sha256: bool) {
    w.attribute(&Attribute::Username("alice")).unwrap();
    w.attribute(&Attribute::Realm(REALM)).unwrap();
    w.attribute(&Attribute::Nonce(nonce)).unwrap();
    integrity(w, sha256);
}

/// The end of a server's authenticated response: SOFTWARE, the
/// integrity attribute, FINGERPRINT.
pub(crate) fn response_tail(w: &mut MessageWriter<'_>, sha256: bool) {
    w.attribute(&Attribute::Software(SOFTWARE)).unwrap();
    integrity(w, sha256);
    w.fingerprint().unwrap();
}

/// An unauthenticated Allocate (REQUESTED-TRANSPORT UDP, transaction ID
/// all `id`), which the server challenges with 401.
pub(crate) fn unauthenticated_allocate(id: u8) -> Vec<u8> {
    let mut first = Vec::new();
    let mut w = MessageWriter::new(
        &mut first,
        MessageType::new(Class::Request, Method::ALLOCATE),
        TransactionId([id; 12]),
    );
    w.attribute(&Attribute::RequestedTransport(TRANSPORT_UDP))
        .unwrap();
    w.finish();
    first
}
