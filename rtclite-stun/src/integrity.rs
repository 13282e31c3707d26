//! MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256, FINGERPRINT and the HMAC keys
//! of the short- and long-term credential mechanisms (RFC 8489 §9, §14.5–§14.7).
//!
//! An [`IntegrityKey`] keeps the HMAC state after the key block has been
//! absorbed (for SHA-1 and SHA-256), so checking a message costs only the
//! hashing of the message itself: build one per credential and reuse it.

use md5::Md5;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::attribute::AttributeType;
use crate::hmac_state::{HmacSha1, HmacSha256};
use crate::message::{HEADER_LEN, Message};
use crate::opaque::{OpaqueStringError, opaque_string};

/// The FINGERPRINT XOR value, 0x5354554e (RFC 8489 §14.7).
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// A password algorithm of the long-term mechanism (RFC 8489 §18.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PasswordAlgorithm {
    /// 0x0001 MD5: a 16-byte key.
    Md5,
    /// 0x0002 SHA-256: a 32-byte key.
    Sha256,
}

impl PasswordAlgorithm {
    /// The registry number.
    pub fn code(self) -> u16 {
        match self {
            PasswordAlgorithm::Md5 => 0x0001,
            PasswordAlgorithm::Sha256 => 0x0002,
        }
    }

    /// The algorithm of a registry number, if this crate implements it.
    pub fn from_code(code: u16) -> Option<Self> {
        match code {
            0x0001 => Some(PasswordAlgorithm::Md5),
            0x0002 => Some(PasswordAlgorithm::Sha256),
            _ => None,
        }
    }
}

/// An HMAC key with its SHA-1 and SHA-256 states precomputed.
#[derive(Clone)]
pub struct IntegrityKey {
    key: Vec<u8>,
    sha1: HmacSha1,
    sha256: HmacSha256,
}

impl std::fmt::Debug for IntegrityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrityKey")
            .field("len", &self.key.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for IntegrityKey {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.key.ct_eq(&other.key))
    }
}

impl Eq for IntegrityKey {}

impl IntegrityKey {
    /// A key from raw bytes (already derived).
    pub fn from_bytes(key: &[u8]) -> Self {
        IntegrityKey {
            key: key.to_vec(),
            sha1: HmacSha1::new(key),
            sha256: HmacSha256::new(key),
        }
    }

    /// The key of the short-term credential mechanism.
    // [RFC 8489 §9.1.1] "key = OpaqueString(password)"
    pub fn short_term(password: &str) -> Result<Self, OpaqueStringError> {
        Ok(Self::from_bytes(opaque_string(password)?.as_bytes()))
    }

    /// The key of the long-term credential mechanism. `username` is used as
    /// given (it is the USERNAME value, already prepared); realm and password
    /// go through OpaqueString.
    pub fn long_term(
        username: &str,
        realm: &str,
        password: &str,
        algorithm: PasswordAlgorithm,
    ) -> Result<Self, OpaqueStringError> {
        let realm = opaque_string(realm)?;
        let password = opaque_string(password)?;
        Ok(Self::from_bytes(&long_term_key_bytes(
            username, &realm, &password, algorithm,
        )))
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.key
    }
}

/// `H(username ":" realm ":" password)` without any string preparation.
fn long_term_key_bytes(
    username: &str,
    realm: &str,
    password: &str,
    algorithm: PasswordAlgorithm,
) -> Vec<u8> {
    // [RFC 8489 §9.2.2] "the username, with any
    // quotes and trailing nulls removed"
    let username = username.trim_end_matches('\0');
    let realm = realm.trim_end_matches('\0');
    let password = password.trim_end_matches('\0');
    match algorithm {
        // [RFC 8489 §9.2.2] "key = MD5(username ":" OpaqueString(realm)
        // ":" OpaqueString(password))"
        PasswordAlgorithm::Md5 => {
            let mut h = Md5::new();
            h.update(username.as_bytes());
            h.update(b":");
            h.update(realm.as_bytes());
            h.update(b":");
            h.update(password.as_bytes());
            h.finalize().to_vec()
        }
        // [RFC 8489 §18.5.1.2] "key = SHA-256(username ":" OpaqueString(realm)
        // ":" OpaqueString(password))"
        PasswordAlgorithm::Sha256 => {
            let mut h = Sha256::new();
            h.update(username.as_bytes());
            h.update(b":");
            h.update(realm.as_bytes());
            h.update(b":");
            h.update(password.as_bytes());
            h.finalize().to_vec()
        }
    }
}

/// The USERHASH of a username in a realm (both prepared with OpaqueString).
// [RFC 8489 §14.4] "userhash = SHA-256(OpaqueString(username) ":" OpaqueString(realm))"
pub fn userhash(username: &str, realm: &str) -> Result<[u8; 32], OpaqueStringError> {
    let u = opaque_string(username)?;
    let r = opaque_string(realm)?;
    let mut h = Sha256::new();
    h.update(u.as_bytes());
    h.update(b":");
    h.update(r.as_bytes());
    Ok(h.finalize().into())
}

/// HMAC-SHA1 over `msg[..attr_offset]` with the header length pointing at the
/// end of a 20-byte MESSAGE-INTEGRITY at `attr_offset`.
pub(crate) fn hmac_sha1_adjusted(key: &IntegrityKey, msg: &[u8], attr_offset: usize) -> [u8; 20] {
    let (head, data) = adjusted(msg, attr_offset, 20);
    key.sha1.mac(&head, data)
}

/// HMAC-SHA256 over `msg[..attr_offset]` with the header length pointing at the
/// end of a MESSAGE-INTEGRITY-SHA256 of `len` bytes at `attr_offset`.
pub(crate) fn hmac_sha256_adjusted(
    key: &IntegrityKey,
    msg: &[u8],
    attr_offset: usize,
    len: usize,
) -> [u8; 32] {
    let (head, data) = adjusted(msg, attr_offset, len);
    key.sha256.mac(&head, data)
}

fn adjusted(msg: &[u8], attr_offset: usize, value_len: usize) -> ([u8; 4], &[u8]) {
    // [RFC 8489 §14.5] "The Length field of the STUN message header is adjusted to point to
    // the end of the MESSAGE-INTEGRITY attribute."
    let adjusted = (attr_offset + 4 + value_len - HEADER_LEN) as u16;
    let mut head = [0u8; 4];
    head[..2].copy_from_slice(&msg[..2]);
    head[2..].copy_from_slice(&adjusted.to_be_bytes());
    // [RFC 8489 §14.5] "The text used as input to HMAC is the STUN message, up to and
    // including the attribute preceding the MESSAGE-INTEGRITY attribute."
    (head, &msg[4..attr_offset])
}

/// The FINGERPRINT value of `msg` (the bytes before the FINGERPRINT attribute,
/// with the header length already covering it).
pub fn fingerprint_of(msg: &[u8]) -> u32 {
    // [RFC 8489 §14.7] "The value of the attribute is computed as the CRC-32 of the STUN
    // message up to (but excluding) the FINGERPRINT attribute itself,
    // XOR'ed with the 32-bit value 0x5354554e."
    crc32fast::hash(msg) ^ FINGERPRINT_XOR
}

/// Outcome of checking one integrity or fingerprint attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The attribute is present and its value is correct.
    Valid,
    /// The attribute is present and its value is wrong.
    Invalid,
    /// The attribute is absent.
    Absent,
}

impl Check {
    /// `valid`, `invalid` or `absent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Valid => "valid",
            Check::Invalid => "invalid",
            Check::Absent => "absent",
        }
    }
}

impl Message<'_> {
    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1) with `key`.
    pub fn check_integrity(&self, key: &IntegrityKey) -> Check {
        let Some(off) = self.integrity_offset() else {
            return Check::Absent;
        };
        let bytes = self.as_bytes();
        let Some(value) = bytes.get(off + 4..off + 24) else {
            return Check::Invalid;
        };
        if be_len(bytes, off) != 20 {
            return Check::Invalid;
        }
        // [RFC 8489 §14.5] "when validating the MESSAGE-INTEGRITY, the
        // Length field in the STUN header must be adjusted to point to the end
        // of the MESSAGE-INTEGRITY attribute prior to calculating the HMAC"
        let mac = hmac_sha1_adjusted(key, bytes, off);
        if bool::from(mac.ct_eq(value)) {
            Check::Valid
        } else {
            Check::Invalid
        }
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 with `key` (truncated values of 16 to
    /// 32 bytes compare with the same prefix of the HMAC).
    pub fn check_integrity_sha256(&self, key: &IntegrityKey) -> Check {
        let Some(off) = self.integrity_sha256_offset() else {
            return Check::Absent;
        };
        let bytes = self.as_bytes();
        let len = be_len(bytes, off);
        if !(16..=32).contains(&len) || len % 4 != 0 {
            return Check::Invalid;
        }
        let Some(value) = bytes.get(off + 4..off + 4 + len) else {
            return Check::Invalid;
        };
        // [RFC 8489 §14.6] "when validating the MESSAGE-INTEGRITY-
        // SHA256, the Length field in the STUN header must be adjusted to point
        // to the end of the MESSAGE-INTEGRITY-SHA256 attribute prior to
        // calculating the HMAC over the STUN message"
        let mac = hmac_sha256_adjusted(key, bytes, off, len);
        if bool::from(mac[..len].ct_eq(value)) {
            Check::Valid
        } else {
            Check::Invalid
        }
    }

    /// Checks FINGERPRINT.
    pub fn check_fingerprint(&self) -> Check {
        let Some(off) = self.fingerprint_offset() else {
            return Check::Absent;
        };
        let bytes = self.as_bytes();
        if be_len(bytes, off) != 4 {
            return Check::Invalid;
        }
        let Some(v) = bytes.get(off + 4..off + 8) else {
            return Check::Invalid;
        };
        let value = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        if fingerprint_of(&bytes[..off]) == value {
            Check::Valid
        } else {
            Check::Invalid
        }
    }

    /// True when MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 is present.
    pub fn has_integrity(&self) -> bool {
        self.integrity_offset().is_some() || self.integrity_sha256_offset().is_some()
    }

    /// Whether the attribute type is present among the processed attributes.
    pub fn contains(&self, attr_type: AttributeType) -> bool {
        self.get_raw(attr_type).is_some()
    }
}

fn be_len(bytes: &[u8], off: usize) -> usize {
    match bytes.get(off + 2..off + 4) {
        Some(s) => usize::from(u16::from_be_bytes([s[0], s[1]])),
        None => 0,
    }
}
