//! SRTP protection profiles: the named combinations of cipher,
//! authentication and key lengths that key management negotiates.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The encryption transform of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherKind {
    /// AES in segmented integer counter mode, 128-bit key (RFC 3711 §4.1.1).
    AesCm128,
    /// AES in counter mode, 256-bit key (RFC 6188 §2).
    AesCm256,
    /// No encryption (RFC 3711 §4.1.3).
    Null,
    /// AES-GCM, 128-bit key, 16-octet tag (RFC 7714).
    AesGcm128,
    /// AES-GCM, 256-bit key, 16-octet tag (RFC 7714).
    AesGcm256,
}

/// An SRTP protection profile, named as in the IANA registries (the SDES
/// crypto-suite names of RFC 4568, RFC 6188 and RFC 7714).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtectionProfile {
    /// `AES_CM_128_HMAC_SHA1_80`: AES-128-CM, HMAC-SHA1 with an 80-bit tag.
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32`: AES-128-CM, HMAC-SHA1 with a 32-bit SRTP
    /// tag (SRTCP keeps 80 bits).
    AesCm128HmacSha1_32,
    /// `AES_256_CM_HMAC_SHA1_80`: AES-256-CM, HMAC-SHA1 80 (RFC 6188).
    Aes256CmHmacSha1_80,
    /// `AES_256_CM_HMAC_SHA1_32`: AES-256-CM, HMAC-SHA1 32 (RFC 6188).
    Aes256CmHmacSha1_32,
    /// `AEAD_AES_128_GCM` (RFC 7714).
    AeadAes128Gcm,
    /// `AEAD_AES_256_GCM` (RFC 7714).
    AeadAes256Gcm,
    /// `NULL_HMAC_SHA1_80`: no encryption, HMAC-SHA1 80 (RFC 5764 §4.1.2).
    NullHmacSha1_80,
}

impl ProtectionProfile {
    /// Every profile this crate implements.
    // [RFC 7714 §12] "Any implementation of AES-GCM SRTP MUST support both
    // AEAD_AES_128_GCM and AEAD_AES_256_GCM."
    pub const ALL: [ProtectionProfile; 7] = [
        Self::AesCm128HmacSha1_80,
        Self::AesCm128HmacSha1_32,
        Self::Aes256CmHmacSha1_80,
        Self::Aes256CmHmacSha1_32,
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
        Self::NullHmacSha1_80,
    ];

    /// The registry name, e.g. `AES_CM_128_HMAC_SHA1_80`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Self::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            Self::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            Self::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "AEAD_AES_256_GCM",
            Self::NullHmacSha1_80 => "NULL_HMAC_SHA1_80",
        }
    }

    /// The encryption transform.
    pub fn cipher(self) -> CipherKind {
        match self {
            Self::AesCm128HmacSha1_80 | Self::AesCm128HmacSha1_32 => CipherKind::AesCm128,
            Self::Aes256CmHmacSha1_80 | Self::Aes256CmHmacSha1_32 => CipherKind::AesCm256,
            Self::AeadAes128Gcm => CipherKind::AesGcm128,
            Self::AeadAes256Gcm => CipherKind::AesGcm256,
            Self::NullHmacSha1_80 => CipherKind::Null,
        }
    }

    /// Whether the profile is an AEAD (GCM) profile.
    pub fn is_aead(self) -> bool {
        matches!(self.cipher(), CipherKind::AesGcm128 | CipherKind::AesGcm256)
    }

    /// Length of the master key in octets (also the session encryption key
    /// length, n_e / 8; the key derivation PRF runs with this key size).
    pub fn master_key_len(self) -> usize {
        match self.cipher() {
            CipherKind::AesCm256 | CipherKind::AesGcm256 => 32,
            CipherKind::AesCm128 | CipherKind::AesGcm128 | CipherKind::Null => 16,
        }
    }

    /// Length of the master salt in octets: 14 (112 bits) for the RFC 3711
    /// and RFC 6188 profiles, 12 (96 bits) for GCM.
    pub fn master_salt_len(self) -> usize {
        // [RFC 7714 §12] "Master salt length | 96 bits | | Key Derivation
        // Function | AES_CM PRF [RFC3711]"
        if self.is_aead() { 12 } else { 14 }
    }

    /// Length of the session salting key k_s in octets (equal to the master
    /// salt length).
    pub fn session_salt_len(self) -> usize {
        self.master_salt_len()
    }

    /// Length of the session authentication key k_a in octets (0 for AEAD).
    pub fn session_auth_key_len(self) -> usize {
        if self.is_aead() { 0 } else { 20 }
    }

    /// Length of the authentication tag appended to SRTP packets (the AEAD
    /// tag for GCM profiles).
    pub fn srtp_auth_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_32 | Self::Aes256CmHmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
            Self::AesCm128HmacSha1_80 | Self::Aes256CmHmacSha1_80 | Self::NullHmacSha1_80 => 10,
        }
    }

    /// Length of the authentication tag of SRTCP packets: the `_32`
    /// profiles keep an 80-bit tag for SRTCP.
    pub fn srtcp_auth_tag_len(self) -> usize {
        // [RFC 5764 §4.1.2] "All of these parameters apply to both RTP and
        // RTCP, unless the RTCP parameters are separately specified."
        match self {
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
            _ => 10,
        }
    }

    /// The DTLS-SRTP protection profile identifier (RFC 5764 §4.1.2,
    /// RFC 7714 §14.2), where one is registered.
    pub fn dtls_srtp_id(self) -> Option<u16> {
        match self {
            Self::AesCm128HmacSha1_80 => Some(0x0001),
            Self::AesCm128HmacSha1_32 => Some(0x0002),
            Self::NullHmacSha1_80 => Some(0x0005),
            Self::AeadAes128Gcm => Some(0x0007),
            Self::AeadAes256Gcm => Some(0x0008),
            Self::Aes256CmHmacSha1_80 | Self::Aes256CmHmacSha1_32 => None,
        }
    }

    /// The profile with the given DTLS-SRTP identifier.
    pub fn from_dtls_srtp_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.dtls_srtp_id() == Some(id))
    }

    /// The largest number of octets protection adds to an RTP packet for
    /// the given MKI length: size `protect` buffers with this much spare
    /// capacity and protection never allocates.
    pub fn max_srtp_overhead(self, mki_len: usize) -> usize {
        self.srtp_auth_tag_len() + mki_len
    }

    /// The largest number of octets protection adds to an RTCP packet.
    pub fn max_srtcp_overhead(self, mki_len: usize) -> usize {
        4 + self.srtcp_auth_tag_len() + mki_len
    }
}

impl fmt::Display for ProtectionProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProtectionProfile {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::InvalidPolicy(format!(
                    "unknown protection profile {s:?}; known: {}",
                    Self::ALL.map(|p| p.name()).join(", ")
                ))
            })
    }
}
