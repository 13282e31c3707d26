//! SCRAM exchanges of RFC 5802 §5 and RFC 7677 §3, reproduced byte for byte.
//! The vectors are cut from the RFC texts by `vectors/extract.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_xmpp::sasl::{SaslError, ScramClient, ScramHash};

fn exchange(file: &str) -> Vec<String> {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<String> = text.lines().map(|l| l[3..].to_string()).collect();
    assert_eq!(lines.len(), 4, "C, S, C, S");
    lines
}

fn reproduce(hash: ScramHash, file: &str) {
    let m = exchange(file);
    // The client nonce is the r= of the client-first-message.
    let nonce = m[0].split("r=").nth(1).unwrap();
    let mut c = ScramClient::new(hash, "user", "pencil", nonce);
    assert_eq!(c.client_first(), m[0]);
    assert_eq!(c.handle_server_first(&m[1]).unwrap(), m[2]);
    c.handle_server_final(&m[3]).unwrap();
    assert!(c.is_done());
}

// [RFC 5802 §5 test] "If the two are different, the client MUST consider the authentication
// exchange to be unsuccessful"
#[test]
fn rfc5802_scram_sha1_exchange() {
    reproduce(ScramHash::Sha1, "scram-rfc5802.txt");
    let m = exchange("scram-rfc5802.txt");
    let nonce = m[0].split("r=").nth(1).unwrap();
    let mut c = ScramClient::new(ScramHash::Sha1, "user", "pencil", nonce);
    c.handle_server_first(&m[1]).unwrap();
    assert_eq!(
        c.handle_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ"),
        Err(SaslError::Malformed("verifier is not base64"))
    );
    assert_eq!(
        c.handle_server_final("v=AmF9pqV8S7suAoZWja4dJRkFsKQ="),
        Err(SaslError::ServerSignature)
    );
}

#[test]
fn rfc7677_scram_sha256_exchange() {
    reproduce(ScramHash::Sha256, "scram-rfc7677.txt");
}

#[test]
fn wrong_password_gives_other_proof() {
    let m = exchange("scram-rfc5802.txt");
    let nonce = m[0].split("r=").nth(1).unwrap();
    let mut c = ScramClient::new(ScramHash::Sha1, "user", "pencil2", nonce);
    assert_ne!(c.handle_server_first(&m[1]).unwrap(), m[2]);
    assert_eq!(
        c.handle_server_final(&m[3]),
        Err(SaslError::ServerSignature)
    );
}
