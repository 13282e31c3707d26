//! The "nonce cookie" and the STUN Security Features (RFC 8489 §9.2, §18.1).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The fixed prefix of the nonce cookie.
pub const NONCE_COOKIE_PREFIX: &str = "obMatJos2";
/// Length of the whole nonce cookie (prefix and 4 base64 characters).
pub const NONCE_COOKIE_LEN: usize = 13;

/// The 24-bit STUN Security Features set (bit 0 is the most significant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SecurityFeatures(u32);

impl SecurityFeatures {
    /// Bit 0: Password algorithms.
    pub const PASSWORD_ALGORITHMS: SecurityFeatures = SecurityFeatures(1 << 23);
    /// Bit 1: Username anonymity.
    pub const USERNAME_ANONYMITY: SecurityFeatures = SecurityFeatures(1 << 22);
    /// No features.
    pub const NONE: SecurityFeatures = SecurityFeatures(0);

    /// The 24 bits as the low bits of a u32.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// A set from 24 bits (higher bits are dropped).
    pub fn from_bits(bits: u32) -> Self {
        SecurityFeatures(bits & 0x00FF_FFFF)
    }

    /// Both sets together.
    pub fn union(self, other: SecurityFeatures) -> Self {
        SecurityFeatures(self.0 | other.0)
    }

    /// True when every bit of `other` is set here.
    pub fn contains(self, other: SecurityFeatures) -> bool {
        self.0 & other.0 == other.0
    }

    /// The 13-character nonce cookie announcing this set.
    // [RFC 8489 §9.2] "a server MUST
    // prepend the NONCE attribute value with the character string composed
    // of "obMatJos2" concatenated with the (4-character) base64 [RFC4648]
    // encoding of the 24-bit STUN Security Features"
    pub fn nonce_cookie(self) -> String {
        // [RFC 8489 §9.2] "The 24-bit Security Feature set is encoded as 3 bytes,
        // with bit 0 as the most significant bit of the first byte and bit 23
        // as the least significant bit of the third byte."
        let b = self.0.to_be_bytes();
        let mut s = String::with_capacity(NONCE_COOKIE_LEN);
        s.push_str(NONCE_COOKIE_PREFIX);
        s.push_str(&STANDARD.encode(&b[1..4]));
        s
    }

    /// The features announced by a NONCE value, or `None` when it does not
    /// start with a nonce cookie (an RFC 5389 server).
    pub fn from_nonce(nonce: &str) -> Option<SecurityFeatures> {
        let rest = nonce.strip_prefix(NONCE_COOKIE_PREFIX)?;
        let b64 = rest.get(..4)?;
        let mut out = [0u8; 3];
        let n = STANDARD.decode_slice(b64, &mut out).ok()?;
        if n != 3 {
            return None;
        }
        Some(SecurityFeatures(u32::from_be_bytes([
            0, out[0], out[1], out[2],
        ])))
    }
}
