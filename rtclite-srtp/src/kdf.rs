//! SRTP key derivation (RFC 3711 §4.3) with the AES-CM PRF (RFC 3711
//! §4.3.3, RFC 6188 §3 for 256-bit master keys).

use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes::{Aes128Enc, Aes256Enc};

use crate::Error;

/// The key derivation labels of RFC 3711 §4.3.1 and §4.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Label {
    /// k_e, the SRTP encryption key (0x00).
    SrtpEncryption,
    /// k_a, the SRTP authentication key (0x01).
    SrtpAuthentication,
    /// k_s, the SRTP salting key (0x02).
    SrtpSalt,
    /// The SRTCP encryption key (0x03).
    SrtcpEncryption,
    /// The SRTCP authentication key (0x04).
    SrtcpAuthentication,
    /// The SRTCP salting key (0x05).
    SrtcpSalt,
}

impl Label {
    /// The 8-bit label value.
    pub fn value(self) -> u8 {
        // [RFC 3711 §4.3.1] "<label> MUST be unique for each type of key to be
        // derived."
        // [RFC 3711 §4.3.1] "k_e (SRTP encryption): <label> = 0x00, n = n_e."
        // [RFC 3711 §4.3.2] "use <label> = 0x03 for the SRTCP encryption key"
        match self {
            Self::SrtpEncryption => 0x00,
            Self::SrtpAuthentication => 0x01,
            Self::SrtpSalt => 0x02,
            Self::SrtcpEncryption => 0x03,
            Self::SrtcpAuthentication => 0x04,
            Self::SrtcpSalt => 0x05,
        }
    }
}

/// The AES-CM PRF keyed with one master key: the key schedule is computed
/// once and reused for every derivation.
// One per master key or session key, never per packet: kept inline to
// avoid an indirection on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Prf {
    Aes128(Aes128Enc),
    Aes256(Aes256Enc),
}

impl Prf {
    // [RFC 3711 §4.3.3] "The currently defined PRF, keyed by 128, 192, or 256
    // bit master key, has input block size m = 128"
    // [RFC 3711 §4.3.1] "For the purpose of key derivation in SRTP, a secure
    // PRF with m = 128 (or more) MUST be used"
    // [RFC 7714 §11] "The AEAD_AES_128_GCM algorithm MUST use the (128-bit)
    // AES_CM PRF KDF described in [RFC3711]."
    // [RFC 7714 §11] "AEAD_AES_256_GCM MUST use the AES_256_CM_PRF KDF
    // described in [RFC6188]."
    // [RFC 6188 §3.1] "When AES_256_CM is used for encryption, AES_256_CM_PRF
    // SHOULD be used as the key derivation function."
    pub(crate) fn new(master_key: &[u8]) -> Result<Self, Error> {
        match master_key.len() {
            16 => Ok(Self::Aes128(Aes128Enc::new(GenericArray::from_slice(
                master_key,
            )))),
            32 => Ok(Self::Aes256(Aes256Enc::new(GenericArray::from_slice(
                master_key,
            )))),
            n => Err(Error::InvalidPolicy(format!(
                "master key of {n} octets; the AES-CM PRF takes 16 or 32 [RFC 3711 §4.3.3, RFC 6188 §3]"
            ))),
        }
    }

    /// Fills `out` with PRF_n(k_master, x) for x = (label || r) XOR
    /// master_salt, where r = index DIV key_derivation_rate.
    // [RFC 3711 §4.3.1] "Key derivation SHALL be defined as follows in terms
    // of <label>, an 8-bit constant (see below), master_salt and
    // key_derivation_rate"
    // [RFC 3711 §4.3.1] "The n-bit SRTP key (or salt) for this packet SHALL
    // then be derived from the master key, k_master as follows:"
    pub(crate) fn generate(&self, master_salt: &[u8], label: Label, r: u64, out: &mut [u8]) {
        // x is 112 bits. A 96-bit (GCM) master salt is placed in its most
        // significant octets, padded with zero octets on the right: the
        // "legacy" 112-bit layout the AES-CM PRF needs, as libsrtp does.
        let mut block = [0u8; 16];
        for (dst, src) in block.iter_mut().zip(master_salt.iter().take(14)) {
            *dst = *src;
        }
        // [RFC 3711 §4.3.1] "Let x = key_id XOR master_salt, where key_id
        // and master_salt are aligned so that their least significant bits
        // agree (right-alignment)."
        // key_id = label || r with r a 48-bit string: octet 7 is the label,
        // octets 8..14 hold r. (For SRTCP, r comes from the 32-bit
        // 0 || SRTCP index and is zero-extended to the same 48-bit field,
        // which keeps the label in octet 7 as every implementation does.)
        block[7] ^= label.value();
        let r_bytes = (r & 0xffff_ffff_ffff).to_be_bytes();
        for (dst, src) in block[8..14].iter_mut().zip(&r_bytes[2..8]) {
            *dst ^= *src;
        }
        // [RFC 3711 §4.3.3] "PRF_n(k_master,x) SHALL be AES in Counter Mode
        // as described in Section 4.1.1, applied to key k_master, and IV
        // equal to (x*2^16), and with the output keystream truncated to the
        // n first (left-most) bits."
        for (counter, chunk) in out.chunks_mut(16).enumerate() {
            let mut input = block;
            // At most 2^23 bits of output: the counter fits the low 16 bits.
            let ctr = (counter as u16).to_be_bytes();
            input[14] = ctr[0];
            input[15] = ctr[1];
            let mut b = GenericArray::from(input);
            match self {
                Self::Aes128(c) => c.encrypt_block(&mut b),
                Self::Aes256(c) => c.encrypt_block(&mut b),
            }
            for (dst, src) in chunk.iter_mut().zip(b.iter()) {
                *dst = *src;
            }
        }
    }
}

/// Derives one session key or salt: `out` receives PRF_n(master_key, x)
/// with n = 8 * out.len(), x = (label || r) XOR master_salt, and
/// r = index DIV key_derivation_rate (0 when the rate is 0).
///
/// `master_key` is 16 or 32 octets (AES-128-CM or AES-256-CM PRF);
/// `master_salt` is up to 14 octets (a 12-octet GCM salt is padded with
/// zeros on the right).
///
/// ```
/// use rtclite_srtp::kdf::{derive, Label};
/// let key = [0u8; 16];
/// let salt = [0u8; 14];
/// let mut k_e = [0u8; 16];
/// derive(&key, &salt, Label::SrtpEncryption, 0, &mut k_e).unwrap();
/// ```
pub fn derive(
    master_key: &[u8],
    master_salt: &[u8],
    label: Label,
    r: u64,
    out: &mut [u8],
) -> Result<(), Error> {
    if master_salt.len() > 14 {
        return Err(Error::InvalidPolicy(format!(
            "master salt of {} octets; at most 14 (112 bits) [RFC 3711 §4.3.1]",
            master_salt.len()
        )));
    }
    if out.len() > (1 << 20) {
        return Err(Error::InvalidPolicy(
            "PRF output limited to 2^23 bits [RFC 3711 §4.3.3]".into(),
        ));
    }
    Prf::new(master_key)?.generate(master_salt, label, r, out);
    Ok(())
}
