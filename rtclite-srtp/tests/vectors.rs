//! The published SRTP test vectors, reproduced byte for byte. The files in
//! `tests/vectors/` are extracted from the RFC texts by `extract.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test
use std::collections::BTreeMap;

use rtclite_srtp::kdf::{Label, derive};
use rtclite_srtp::{Context, Direction, ProtectionProfile, SessionKeyMaterial};

fn load(name: &str) -> BTreeMap<String, Vec<u8>> {
    let path = format!("{}/tests/vectors/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), hex::decode(v).unwrap()))
        .collect()
}

fn material(enc: &[u8], salt: &[u8], auth_len: usize) -> SessionKeyMaterial {
    SessionKeyMaterial {
        encryption_key: enc.to_vec(),
        salting_key: salt.to_vec(),
        authentication_key: vec![0x5a; auth_len],
    }
}

/// Protects an all-zero payload at SSRC 0, index 0: the encrypted payload
/// is the keystream segment, checked at every counter the RFC lists.
fn check_keystream(profile: ProtectionProfile, v: &BTreeMap<String, Vec<u8>>) {
    let m = material(&v["session_key"], &v["salt"], 20);
    let mut ctx = Context::with_session_keys(profile, Direction::Outbound, &m, &m).unwrap();
    // "Keystream segment length: 1044512 octets (65282 AES blocks)"
    let blocks = 65_282;
    let mut packet = vec![0u8; 12 + blocks * 16];
    packet[0] = 0x80;
    ctx.protect_rtp(&mut packet).unwrap();
    let keystream = &packet[12..12 + blocks * 16];
    let mut checked = 0;
    for (name, expected) in v.iter().filter(|(k, _)| k.starts_with("block_")) {
        let counter = u16::from_str_radix(&name[name.len() - 4..], 16).unwrap() as usize;
        // Block numbers restart at the 16-bit counter field: IV has zeros there.
        assert_eq!(
            &keystream[counter * 16..counter * 16 + 16],
            &expected[..],
            "{name}"
        );
        checked += 1;
    }
    assert_eq!(checked, 6);
}

// [RFC 3711 §B.2 test] "Keystream segment length: 1044512 octets (65282 AES blocks)"
#[test]
fn rfc3711_b2_aes_cm_keystream() {
    check_keystream(
        ProtectionProfile::AesCm128HmacSha1_80,
        &load("rfc3711_b2_aes_cm"),
    );
}

// [RFC 6188 §7.1 test] "Keystream segment length: 1044512 octets (65282 AES blocks)"
#[test]
fn rfc6188_7_1_aes256_cm_keystream() {
    check_keystream(
        ProtectionProfile::Aes256CmHmacSha1_80,
        &load("rfc6188_7_1_aes256_cm"),
    );
}

fn check_kdf(v: &BTreeMap<String, Vec<u8>>) {
    let (mk, ms) = (&v["master_key"], &v["master_salt"]);
    let mut key = vec![0u8; v["cipher_key"].len()];
    derive(mk, ms, Label::SrtpEncryption, 0, &mut key).unwrap();
    assert_eq!(key, v["cipher_key"]);
    let mut salt = vec![0u8; v["cipher_salt"].len()];
    derive(mk, ms, Label::SrtpSalt, 0, &mut salt).unwrap();
    assert_eq!(salt, v["cipher_salt"]);
    let mut auth = vec![0u8; v["auth_key"].len()];
    derive(mk, ms, Label::SrtpAuthentication, 0, &mut auth).unwrap();
    assert_eq!(auth, v["auth_key"]);
}

// [RFC 3711 §B.3 test] "This section provides test data for the default key
// derivation function"
#[test]
fn rfc3711_b3_key_derivation() {
    let v = load("rfc3711_b3_kdf");
    // "an authentication function which requires a 94-octet session
    // authentication key"
    assert_eq!(v["auth_key"].len(), 94);
    check_kdf(&v);
}

// [RFC 6188 §7.2 test] "This section provides test data for the
// AES_256_CM_PRF key derivation function"
#[test]
fn rfc6188_7_2_aes256_key_derivation() {
    let v = load("rfc6188_7_2_kdf");
    assert_eq!(v["cipher_key"].len(), 32);
    check_kdf(&v);
}

fn gcm_context(
    profile: ProtectionProfile,
    direction: Direction,
    v: &BTreeMap<String, Vec<u8>>,
) -> Context {
    let m = SessionKeyMaterial {
        encryption_key: v["key"].clone(),
        salting_key: v["salt"].clone(),
        authentication_key: Vec::new(),
    };
    Context::with_session_keys(profile, direction, &m, &m).unwrap()
}

fn srtp_gcm_encrypt(profile: ProtectionProfile, name: &str) {
    let v = load(name);
    let mut ctx = gcm_context(profile, Direction::Outbound, &v);
    let mut packet = v["input"].clone();
    ctx.protect_rtp(&mut packet).unwrap();
    assert_eq!(hex::encode(&packet), hex::encode(&v["output"]));
}

fn srtp_gcm_decrypt(profile: ProtectionProfile, name: &str) {
    let v = load(name);
    let mut ctx = gcm_context(profile, Direction::Inbound, &v);
    let mut packet = v["input"].clone();
    ctx.unprotect_rtp(&mut packet).unwrap();
    // The RFC shows the decrypted payload; the header is unchanged.
    assert_eq!(&packet[..12], &v["input"][..12]);
    assert_eq!(hex::encode(&packet[12..]), hex::encode(&v["output"]));
    // Tampering with any byte of header, cipher or tag fails the check.
    for at in [0, 5, 11, 12, v["input"].len() - 1] {
        let mut ctx = gcm_context(profile, Direction::Inbound, &v);
        let mut bad = v["input"].clone();
        bad[at] ^= 0x01;
        let before = bad.clone();
        assert!(ctx.unprotect_rtp(&mut bad).is_err(), "flip at {at}");
        // The fixed header and the tag are kept, and no other octet takes a
        // new value: the encrypted portion (after the header as the flipped
        // packet reads it) is zeroed, so that no unauthenticated plaintext
        // is left.
        let cipher_end = before.len() - 16;
        assert_eq!(bad[..12], before[..12], "header kept, flip at {at}");
        assert_eq!(
            bad[cipher_end..],
            before[cipher_end..],
            "tag kept, flip at {at}"
        );
        assert!(bad.iter().zip(&before).all(|(a, b)| a == b || *a == 0));
        if at >= 12 {
            assert!(bad[12..cipher_end].iter().all(|&b| b == 0), "flip at {at}");
        }
    }
}

// [RFC 7714 §16.1.1 test] "Encrypting the following packet:"
// [RFC 7714 §8.1 test] "The 12-octet IV used by AES-GCM SRTP is formed by
// first concatenating 2 octets of zeroes, the 4-octet SSRC, the 4-octet
// rollover counter (ROC), and the 2-octet sequence number (SEQ)."
// [RFC 7714 §8.2 test] "All SRTP packets MUST be both authenticated and
// encrypted."
#[test]
fn rfc7714_16_1_1_srtp_aead_aes_128_gcm_encryption() {
    srtp_gcm_encrypt(ProtectionProfile::AeadAes128Gcm, "rfc7714_16_1_1");
}

// [RFC 7714 §16.1.2 test] "Decrypting the following packet:"
#[test]
fn rfc7714_16_1_2_srtp_aead_aes_128_gcm_decryption() {
    srtp_gcm_decrypt(ProtectionProfile::AeadAes128Gcm, "rfc7714_16_1_2");
}

// [RFC 7714 §16.2.1 test] "Encrypting the following packet:"
#[test]
fn rfc7714_16_2_1_srtp_aead_aes_256_gcm_encryption() {
    srtp_gcm_encrypt(ProtectionProfile::AeadAes256Gcm, "rfc7714_16_2_1");
}

// [RFC 7714 §16.2.2 test] "Decrypting the following packet:"
#[test]
fn rfc7714_16_2_2_srtp_aead_aes_256_gcm_decryption() {
    srtp_gcm_decrypt(ProtectionProfile::AeadAes256Gcm, "rfc7714_16_2_2");
}

const RTCP_SSRC: u32 = 0x4d61_7273;

fn srtcp_protect(profile: ProtectionProfile, name: &str, encrypt: bool) {
    let v = load(name);
    let index = u32::from_be_bytes(v["srtcp_index"][..4].try_into().unwrap());
    let mut ctx = gcm_context(profile, Direction::Outbound, &v);
    ctx.set_srtcp_index(RTCP_SSRC, index).unwrap();
    let mut packet = v["input"].clone();
    if encrypt {
        ctx.protect_rtcp(&mut packet).unwrap();
    } else {
        ctx.protect_rtcp_unencrypted(&mut packet).unwrap();
    }
    assert_eq!(hex::encode(&packet), hex::encode(&v["output"]));
    // And back again through an inbound context.
    let mut rx = gcm_context(profile, Direction::Inbound, &v);
    rx.unprotect_rtcp(&mut packet).unwrap();
    assert_eq!(packet, v["input"]);
}

fn srtcp_unprotect(profile: ProtectionProfile, name: &str) {
    let v = load(name);
    let mut ctx = gcm_context(profile, Direction::Inbound, &v);
    let mut packet = v["input"].clone();
    ctx.unprotect_rtcp(&mut packet).unwrap();
    assert_eq!(hex::encode(&packet), hex::encode(&v["output"]));
    // The same packet again is a replay.
    let mut again = v["input"].clone();
    assert!(matches!(
        ctx.unprotect_rtcp(&mut again),
        Err(rtclite_srtp::Error::Replayed { .. })
    ));
    // A flipped E flag changes the AAD: authentication fails.
    let mut ctx = gcm_context(profile, Direction::Inbound, &v);
    let mut bad = v["input"].clone();
    let e_at = bad.len() - 4;
    bad[e_at] ^= 0x80;
    let before = bad.clone();
    assert!(matches!(
        ctx.unprotect_rtcp(&mut bad),
        Err(rtclite_srtp::Error::AuthenticationFailure { .. })
    ));
    if before[e_at] & 0x80 != 0 {
        // The flipped E flag reads "encrypted": the portion after the
        // 8-octet RTCP header is zeroed; header, tag and E flag/index stay.
        let cipher_end = e_at - 16;
        assert_eq!(bad[..8], before[..8]);
        assert!(bad[8..cipher_end].iter().all(|&b| b == 0));
        assert_eq!(bad[cipher_end..], before[cipher_end..]);
    } else {
        // Read as unencrypted, nothing was decrypted: all octets stay.
        assert_eq!(bad, before);
    }
}

// [RFC 7714 §17.1 test] "Encrypting the following packet:"
// [RFC 7714 §9.1 test] "The 12-octet IV used by AES-GCM SRTCP is formed by
// first concatenating 2 octets of zeroes, the 4-octet SSRC identifier, 2
// octets of zeroes, a single "0" bit, and the 31-bit SRTCP index."
#[test]
fn rfc7714_17_1_srtcp_aead_aes_128_gcm_encryption_and_tagging() {
    srtcp_protect(ProtectionProfile::AeadAes128Gcm, "rfc7714_17_1", true);
}

// [RFC 7714 §17.2 test] "Decrypting the following packet:"
#[test]
fn rfc7714_17_2_srtcp_aead_aes_256_gcm_verification_and_decryption() {
    srtcp_unprotect(ProtectionProfile::AeadAes256Gcm, "rfc7714_17_2");
}

// [RFC 7714 §17.3 test] "Tagging the following packet:"
// [RFC 7714 §9.3 test] "Even though there is no ciphertext in this RTCP
// packet, AEAD encryption returns a cipher field that is precisely the
// length of the AEAD authentication tag."
#[test]
fn rfc7714_17_3_srtcp_aead_aes_128_gcm_tagging_only() {
    srtcp_protect(ProtectionProfile::AeadAes128Gcm, "rfc7714_17_3", false);
}

// [RFC 7714 §17.4 test] "Verifying the following packet:"
#[test]
fn rfc7714_17_4_srtcp_aead_aes_256_gcm_tag_verification() {
    srtcp_unprotect(ProtectionProfile::AeadAes256Gcm, "rfc7714_17_4");
}
