//! Session keys and the per-packet transforms: AES-CM and NULL encryption,
//! HMAC-SHA1 authentication, AES-GCM authenticated encryption.
//!
//! Each key schedule (AES round keys, the HMAC inner and outer SHA-1 states,
//! the GHASH key) is computed once when the session keys are derived; a
//! packet only copies the small HMAC state and runs the cipher.

use aes::cipher::{
    InnerIvInit, KeyInit, StreamCipher, StreamCipherCoreWrapper, generic_array::GenericArray,
};
use aes::{Aes128Enc, Aes256Enc};
#[cfg(not(feature = "ring"))]
use aes_gcm::aead::AeadInPlace;
#[cfg(not(feature = "ring"))]
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::Error;
use crate::kdf::{Label, Prf};
use crate::profile::{CipherKind, ProtectionProfile};

/// Length of the AEAD authentication tag.
pub(crate) const AEAD_TAG_LEN: usize = 16;

/// The full (untruncated) HMAC-SHA1 output.
pub(crate) type HmacOutput = hmac::digest::Output<Sha1>;

/// An AEAD tag as the GCM backend returns it (16 octets through `AsRef`).
#[cfg(feature = "ring")]
pub(crate) type GcmTag = ring::aead::Tag;
/// An AEAD tag as the GCM backend returns it (16 octets through `AsRef`).
#[cfg(not(feature = "ring"))]
pub(crate) type GcmTag = aes_gcm::Tag;

/// Twelve octets of an AEAD IV as two big-endian words: octets 0..8 and
/// 8..12 (RFC 7714 §8.1, §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IvWords {
    pub(crate) hi: u64,
    pub(crate) lo: u32,
}

impl IvWords {
    /// The words of twelve octets.
    pub(crate) fn from_octets(b: &[u8; 12]) -> Self {
        let (hi, lo) = b.split_at(8);
        let mut h = [0u8; 8];
        h.copy_from_slice(hi);
        let mut l = [0u8; 4];
        l.copy_from_slice(lo);
        Self {
            hi: u64::from_be_bytes(h),
            lo: u32::from_be_bytes(l),
        }
    }
}

/// The encryption transform with its key schedule.
// One per master key or session key, never per packet: kept inline to
// avoid an indirection on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Cipher {
    AesCm128(Aes128Enc),
    AesCm256(Aes256Enc),
    Null,
    // Boxed: the GCM state (key schedule and GHASH powers) is large.
    #[cfg(not(feature = "ring"))]
    Gcm128(Box<Aes128Gcm>),
    #[cfg(not(feature = "ring"))]
    Gcm256(Box<Aes256Gcm>),
    /// AES-GCM (either key size) through ring's assembly implementation.
    #[cfg(feature = "ring")]
    GcmRing(Box<ring::aead::LessSafeKey>),
}

/// The session keys of one direction of SRTP or SRTCP for one master key.
#[derive(Clone)]
pub(crate) struct KeySet {
    pub(crate) cipher: Cipher,
    /// k_s * 2^16 as a 128-bit integer: the salt's part of every AES-CM
    /// IV, computed once.
    pub(crate) salt_iv: u128,
    /// The first 12 octets of k_s as IV words: the salt's part of every
    /// AEAD IV.
    pub(crate) salt_words: IvWords,
    /// HMAC-SHA1 keyed with k_a: inner and outer states precomputed.
    pub(crate) auth: Option<Hmac<Sha1>>,
}

/// Raw session key material, for contexts built from keys derived
/// elsewhere (test vectors, or a key management that hands out session
/// keys rather than master keys).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeyMaterial {
    /// The session encryption key k_e (16 or 32 octets; empty for NULL).
    pub encryption_key: Vec<u8>,
    /// The session salting key k_s (14 octets, 12 for GCM; empty for NULL).
    pub salting_key: Vec<u8>,
    /// The session authentication key k_a (20 octets; empty for GCM).
    pub authentication_key: Vec<u8>,
}

impl std::fmt::Debug for SessionKeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeyMaterial { .. }")
    }
}

fn bad_len(what: &str, got: usize, want: usize) -> Error {
    Error::InvalidPolicy(format!("{what} of {got} octets, the profile needs {want}"))
}

impl KeySet {
    /// Builds the transforms from raw session keys.
    pub(crate) fn from_material(
        profile: ProtectionProfile,
        m: &SessionKeyMaterial,
    ) -> Result<Self, Error> {
        let kind = profile.cipher();
        let key_len = if kind == CipherKind::Null {
            0
        } else {
            profile.master_key_len()
        };
        let salt_len = if kind == CipherKind::Null {
            0
        } else {
            profile.session_salt_len()
        };
        if m.encryption_key.len() != key_len {
            return Err(bad_len(
                "session encryption key",
                m.encryption_key.len(),
                key_len,
            ));
        }
        if m.salting_key.len() != salt_len {
            return Err(bad_len(
                "session salting key",
                m.salting_key.len(),
                salt_len,
            ));
        }
        let auth_len = profile.session_auth_key_len();
        if m.authentication_key.len() != auth_len {
            return Err(bad_len(
                "session authentication key",
                m.authentication_key.len(),
                auth_len,
            ));
        }
        let k = &m.encryption_key;
        let cipher = match kind {
            CipherKind::AesCm128 => Cipher::AesCm128(Aes128Enc::new(GenericArray::from_slice(k))),
            CipherKind::AesCm256 => Cipher::AesCm256(Aes256Enc::new(GenericArray::from_slice(k))),
            CipherKind::Null => Cipher::Null,
            #[cfg(not(feature = "ring"))]
            CipherKind::AesGcm128 => {
                Cipher::Gcm128(Box::new(Aes128Gcm::new(GenericArray::from_slice(k))))
            }
            #[cfg(not(feature = "ring"))]
            CipherKind::AesGcm256 => {
                Cipher::Gcm256(Box::new(Aes256Gcm::new(GenericArray::from_slice(k))))
            }
            #[cfg(feature = "ring")]
            CipherKind::AesGcm128 | CipherKind::AesGcm256 => {
                let alg = if kind == CipherKind::AesGcm128 {
                    &ring::aead::AES_128_GCM
                } else {
                    &ring::aead::AES_256_GCM
                };
                let key = ring::aead::UnboundKey::new(alg, k)
                    .map_err(|_| Error::InvalidPolicy("AES-GCM key".into()))?;
                Cipher::GcmRing(Box::new(ring::aead::LessSafeKey::new(key)))
            }
        };
        let mut salt = [0u8; 14];
        for (d, s) in salt.iter_mut().zip(&m.salting_key) {
            *d = *s;
        }
        let auth = if auth_len > 0 {
            // [RFC 3711 §4.2.1] "the HMAC SHALL be applied to the session
            // authentication key and M as specified above"
            Some(
                <Hmac<Sha1> as Mac>::new_from_slice(&m.authentication_key)
                    .map_err(|_| Error::InvalidPolicy("HMAC key".into()))?,
            )
        } else {
            None
        };
        let mut block = [0u8; 16];
        block[..14].copy_from_slice(&salt);
        let salt_iv = u128::from_be_bytes(block);
        let mut first12 = [0u8; 12];
        first12.copy_from_slice(&salt[..12]);
        let salt_words = IvWords::from_octets(&first12);
        Ok(Self {
            cipher,
            salt_iv,
            salt_words,
            auth,
        })
    }

    /// Derives the SRTP (or SRTCP) session keys from a master key
    /// (RFC 3711 §4.3) for r = index DIV key_derivation_rate.
    pub(crate) fn derive(
        profile: ProtectionProfile,
        prf: &Prf,
        master_salt: &[u8],
        srtcp: bool,
        r: u64,
    ) -> Result<Self, Error> {
        // [RFC 3711 §4.3.2] "SRTCP SHALL by default use the same master key
        // (and master salt) as SRTP."
        // [RFC 3711 §3.2.1] "the session key(s) MUST NOT be so shared"
        let (le, la, ls) = if srtcp {
            (
                Label::SrtcpEncryption,
                Label::SrtcpAuthentication,
                Label::SrtcpSalt,
            )
        } else {
            (
                Label::SrtpEncryption,
                Label::SrtpAuthentication,
                Label::SrtpSalt,
            )
        };
        let null = profile.cipher() == CipherKind::Null;
        let mut enc = vec![0u8; if null { 0 } else { profile.master_key_len() }];
        let mut salt = vec![0u8; if null { 0 } else { profile.session_salt_len() }];
        let mut auth = vec![0u8; profile.session_auth_key_len()];
        prf.generate(master_salt, le, r, &mut enc);
        prf.generate(master_salt, ls, r, &mut salt);
        prf.generate(master_salt, la, r, &mut auth);
        let m = SessionKeyMaterial {
            encryption_key: enc,
            salting_key: salt,
            authentication_key: auth,
        };
        Self::from_material(profile, &m)
    }

    /// XORs the AES-CM keystream for (SSRC, index) onto `data` (RFC 3711
    /// §4.1.1); does nothing for the NULL cipher.
    #[inline]
    pub(crate) fn apply_ctr(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        // [RFC 3711 §4.1.1] "where the 128-bit integer value IV SHALL be defined
        // by the SSRC, the SRTP packet index i, and the SRTP session salting
        // key k_s"
        // [RFC 3711 §4.1.1] "IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)"
        let iv =
            self.salt_iv ^ (u128::from(ssrc) << 64) ^ (u128::from(index & 0xffff_ffff_ffff) << 16);
        let iv = GenericArray::from(iv.to_be_bytes());
        match &self.cipher {
            // [RFC 3711 §4.1.1] "A keystream segment SHALL be the concatenation of
            // the 128-bit output blocks of the AES cipher in the encrypt
            // direction, using key k = k_e, in which the block indices are in
            // increasing order."
            Cipher::AesCm128(aes) => {
                let core =
                    ctr::CtrCore::<&Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(aes, &iv);
                StreamCipherCoreWrapper::from_core(core).apply_keystream(data)
            }
            Cipher::AesCm256(aes) => {
                let core =
                    ctr::CtrCore::<&Aes256Enc, ctr::flavors::Ctr128BE>::inner_iv_init(aes, &iv);
                StreamCipherCoreWrapper::from_core(core).apply_keystream(data)
            }
            // [RFC 3711 §4.1.3] "the encryption SHALL simply copy the
            // plaintext input into the ciphertext output"
            Cipher::Null => {}
            #[cfg(not(feature = "ring"))]
            Cipher::Gcm128(_) | Cipher::Gcm256(_) => {}
            #[cfg(feature = "ring")]
            Cipher::GcmRing(_) => {}
        }
    }

    /// HMAC-SHA1 over `parts` concatenated: the full 20-octet output, to
    /// be truncated by the caller (zeros for a profile without HMAC).
    // [RFC 3711 §4.2.1] "With HMAC-SHA1, the SRTP_PREFIX_LENGTH (Figure 3)
    // SHALL be 0."
    #[inline]
    pub(crate) fn hmac(&self, parts: [&[u8]; 2]) -> HmacOutput {
        let Some(mac) = &self.auth else {
            return HmacOutput::default();
        };
        let mut mac = mac.clone();
        mac.update(parts[0]);
        mac.update(parts[1]);
        // Finalised through `&mut`: `finalize(self)` moves the whole HMAC
        // state (two SHA-1 states and their block buffers) first, and
        // reading back the buffer just written by the last update stalls
        // store forwarding.
        mac.finalize_reset().into_bytes()
    }

    /// Verifies an HMAC-SHA1 tag in constant time.
    pub(crate) fn hmac_verify(&self, parts: [&[u8]; 2], tag: &[u8]) -> bool {
        let full = self.hmac(parts);
        // [RFC 3711 §4.2.1] "The HMAC output SHALL then be truncated to the
        // n_tag left-most bits."
        let Some(computed) = full.get(..tag.len()) else {
            return false;
        };
        // [RFC 3711 §4.2] "If the two tags are equal, then the message/tag
        // pair is valid; otherwise, it is invalid"
        bool::from(computed.ct_eq(tag))
    }

    /// The 12-octet AEAD IV: `unique` XOR the session salt.
    #[inline(always)]
    pub(crate) fn gcm_iv(&self, unique: IvWords) -> [u8; 12] {
        // Formed in registers and stored with two writes (octets 0..8 and
        // 8..12), the widths the AEAD reads it back with: an IV assembled
        // octet by octet and read as a word stalls store forwarding, which
        // cost about 5 ns per packet.
        let hi = unique.hi ^ self.salt_words.hi;
        let lo = unique.lo ^ self.salt_words.lo;
        let mut iv = [0u8; 12];
        iv[..8].copy_from_slice(&hi.to_be_bytes());
        iv[8..].copy_from_slice(&lo.to_be_bytes());
        iv
    }

    /// AEAD encryption in place; returns the 16-octet tag, or `None` when
    /// the plaintext exceeds the GCM limit (P_MAX) or the cipher is not GCM.
    #[cfg(not(feature = "ring"))]
    pub(crate) fn gcm_seal(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8]) -> Option<GcmTag> {
        let nonce = GenericArray::from_slice(iv);
        let tag = match &self.cipher {
            Cipher::Gcm128(g) => g.encrypt_in_place_detached(nonce, aad, data),
            Cipher::Gcm256(g) => g.encrypt_in_place_detached(nonce, aad, data),
            _ => return None,
        };
        tag.ok()
    }

    /// AEAD encryption in place through ring. The tag is handed back as
    /// ring made it, for the caller to copy once, straight to the packet.
    #[cfg(feature = "ring")]
    #[inline(always)]
    pub(crate) fn gcm_seal(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8]) -> Option<GcmTag> {
        let Cipher::GcmRing(key) = &self.cipher else {
            return None;
        };
        let nonce = ring::aead::Nonce::assume_unique_for_key(*iv);
        key.seal_in_place_separate_tag(nonce, ring::aead::Aad::from(aad), data)
            .ok()
    }

    /// AEAD verification and decryption in place through ring. ring
    /// decrypts while it authenticates and zeroes the payload when the tag
    /// does not verify.
    #[cfg(feature = "ring")]
    #[inline(always)]
    pub(crate) fn gcm_open(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8], tag: &[u8]) -> bool {
        let Cipher::GcmRing(key) = &self.cipher else {
            return false;
        };
        let Ok(tag) = <[u8; AEAD_TAG_LEN]>::try_from(tag) else {
            return false;
        };
        let nonce = ring::aead::Nonce::assume_unique_for_key(*iv);
        key.open_in_place_separate_tag(
            nonce,
            ring::aead::Aad::from(aad),
            ring::aead::Tag::from(tag),
            data,
            0..,
        )
        .is_ok()
    }

    /// AEAD verification and decryption in place; `data` is left unchanged
    /// when the tag does not verify.
    #[cfg(not(feature = "ring"))]
    pub(crate) fn gcm_open(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8], tag: &[u8]) -> bool {
        let nonce = GenericArray::from_slice(iv);
        let Some(tag) = tag.get(..AEAD_TAG_LEN) else {
            return false;
        };
        let tag = GenericArray::from_slice(tag);
        match &self.cipher {
            Cipher::Gcm128(g) => g.decrypt_in_place_detached(nonce, aad, data, tag).is_ok(),
            Cipher::Gcm256(g) => g.decrypt_in_place_detached(nonce, aad, data, tag).is_ok(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)] // test code: a panic is a failed test
    use super::*;

    fn field(text: &str, name: &str) -> Vec<u8> {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}"));
        (0..line.len() / 2)
            .map(|i| u8::from_str_radix(&line[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 7714 §16.x.3/§16.x.4 tag an RTP packet without encrypting it (the
    /// whole packet is associated data). AEAD SRTP always encrypts, so the
    /// public API never does this; the vectors still check the GCM wrapper.
    fn gmac_only(profile: ProtectionProfile, text: &str, expect_tagged: Option<Vec<u8>>) {
        let m = SessionKeyMaterial {
            encryption_key: field(text, "key"),
            salting_key: field(text, "salt"),
            authentication_key: Vec::new(),
        };
        let keys = KeySet::from_material(profile, &m).unwrap();
        let input = field(text, "input");
        let iv = keys.gcm_iv(IvWords::from_octets(&[
            0, 0, 0x55, 0x01, 0xa0, 0xb2, 0, 0, 0, 0, 0xf1, 0x7b,
        ]));
        match expect_tagged {
            Some(tagged) => {
                let tag = keys.gcm_seal(&iv, &input, &mut []).unwrap();
                assert_eq!([&input[..], tag.as_ref()].concat(), tagged);
            }
            None => {
                let (packet, tag) = input.split_at(input.len() - AEAD_TAG_LEN);
                assert!(keys.gcm_open(&iv, packet, &mut [], tag));
                let mut bad = packet.to_vec();
                bad[3] ^= 1;
                assert!(!keys.gcm_open(&iv, &bad, &mut [], tag));
            }
        }
    }

    // [RFC 7714 §16.1.3 test] "Tagging the following packet:"
    #[test]
    fn rfc7714_16_1_3_authentication_tagging() {
        let text = include_str!("../tests/vectors/rfc7714_16_1_3.txt");
        gmac_only(
            ProtectionProfile::AeadAes128Gcm,
            text,
            Some(field(text, "output")),
        );
    }

    // [RFC 7714 §16.1.4 test] "Verifying the following packet:"
    #[test]
    fn rfc7714_16_1_4_tag_verification() {
        let text = include_str!("../tests/vectors/rfc7714_16_1_4.txt");
        gmac_only(ProtectionProfile::AeadAes128Gcm, text, None);
    }

    // [RFC 7714 §16.2.3 test] "Tagging the following packet:"
    #[test]
    fn rfc7714_16_2_3_authentication_tagging() {
        let text = include_str!("../tests/vectors/rfc7714_16_2_3.txt");
        gmac_only(
            ProtectionProfile::AeadAes256Gcm,
            text,
            Some(field(text, "output")),
        );
    }

    // [RFC 7714 §16.2.4 test] "Verifying the following packet:"
    #[test]
    fn rfc7714_16_2_4_tag_verification() {
        let text = include_str!("../tests/vectors/rfc7714_16_2_4.txt");
        gmac_only(ProtectionProfile::AeadAes256Gcm, text, None);
    }
}
