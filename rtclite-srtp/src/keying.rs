//! Keying helpers: the SDES `inline:` key parameter of RFC 4568 and the
//! DTLS-SRTP key splitting of RFC 5764 §4.2.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use crate::Error;
use crate::context::{MAX_SRTCP_LIFETIME, MAX_SRTP_LIFETIME, MasterKey, Policy};
use crate::profile::ProtectionProfile;

/// Largest MKI length an SDES key parameter may give (octets).
pub const MAX_SDES_MKI_LEN: u8 = 128;

/// One SDES `inline:` key parameter (RFC 4568 §6.1): master key and salt,
/// optional lifetime, optional MKI value and length.
#[derive(Clone, PartialEq, Eq)]
pub struct InlineKey {
    /// Master key followed by master salt.
    pub key_salt: Vec<u8>,
    /// Master key lifetime in packets, if given.
    pub lifetime: Option<u64>,
    /// Whether the lifetime was written as a power of two (`2^N`).
    pub lifetime_as_power: bool,
    /// MKI value and MKI field length in octets, if given.
    pub mki: Option<(u64, u8)>,
}

impl fmt::Debug for InlineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InlineKey")
            .field("lifetime", &self.lifetime)
            .field("mki", &self.mki)
            .finish_non_exhaustive()
    }
}

fn sdes_err(what: String) -> Error {
    Error::InvalidPolicy(format!("SDES key parameter: {what} [RFC 4568 §6.1]"))
}

/// A decimal without leading zeros.
fn decimal(s: &str, what: &str) -> Result<u64, Error> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(sdes_err(format!("{what} {s:?} is not a decimal integer")));
    }
    // [RFC 4568 §6.1] "leading zeroes MUST NOT be used in the integer
    // representation"
    // [RFC 4568 §6.1] "for details); leading zeroes MUST NOT be used"
    if s.len() > 1 && s.starts_with('0') {
        return Err(sdes_err(format!("{what} {s:?} has leading zeros")));
    }
    s.parse()
        .map_err(|_| sdes_err(format!("{what} {s:?} is too large")))
}

impl InlineKey {
    /// Parses `inline:<key||salt>[|lifetime][|MKI:length]` and checks it
    /// against `profile` (key and salt length, lifetime maximum).
    ///
    /// ```
    /// use rtclite_srtp::{InlineKey, ProtectionProfile};
    /// let k = InlineKey::parse(
    ///     "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:4",
    ///     ProtectionProfile::AesCm128HmacSha1_80,
    /// ).unwrap();
    /// assert_eq!(k.lifetime, Some(1 << 20));
    /// assert_eq!(k.mki, Some((1, 4)));
    /// assert_eq!(k.to_string(), "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:4");
    /// ```
    pub fn parse(s: &str, profile: ProtectionProfile) -> Result<Self, Error> {
        let info = s
            .strip_prefix("inline:")
            .ok_or_else(|| sdes_err(format!("{s:?} does not start with \"inline:\"")))?;
        let mut fields = info.split('|');
        let b64 = fields.next().unwrap_or("");
        // [RFC 4568 §6.1] "When base64 decoding the key and salt, padding
        // characters (i.e., one or two "=" at the end of the base64-encoded
        // data) are discarded"
        let key_salt = STANDARD_NO_PAD
            .decode(b64.trim_end_matches('='))
            .map_err(|e| sdes_err(format!("key||salt is not base64: {e}")))?;
        let want = profile.master_key_len() + profile.master_salt_len();
        // [RFC 4568 §6.1] "If the length (after being decoded from base64)
        // does not match that specified for the crypto-suite, the crypto
        // attribute in question MUST be considered invalid."
        if key_salt.len() != want {
            return Err(sdes_err(format!(
                "key||salt has {} octets, {profile} needs {want}",
                key_salt.len()
            )));
        }
        let mut out = Self {
            key_salt,
            lifetime: None,
            lifetime_as_power: false,
            mki: None,
        };
        for field in fields {
            if let Some((value, length)) = field.split_once(':') {
                if out.mki.is_some() {
                    return Err(sdes_err("two MKI fields".into()));
                }
                let value = decimal(value, "MKI value")?;
                let length = decimal(length, "MKI length")?;
                // [RFC 4568 §6.1] "If the MKI length is not given or its value
                // exceeds 128 (bytes), then the entire crypto attribute MUST be
                // considered invalid."
                if length == 0 || length > u64::from(MAX_SDES_MKI_LEN) {
                    return Err(sdes_err(format!("MKI length {length} outside 1..=128")));
                }
                if length < 8 && value >> (8 * length) != 0 {
                    return Err(sdes_err(format!(
                        "MKI {value} does not fit in {length} octets"
                    )));
                }
                out.mki = Some((value, length as u8));
            } else {
                if out.lifetime.is_some() || out.mki.is_some() {
                    return Err(sdes_err(format!("unexpected field {field:?}")));
                }
                let (lifetime, power) = match field.strip_prefix("2^") {
                    Some(exp) => {
                        let e = decimal(exp, "lifetime exponent")?;
                        if e > 48 {
                            return Err(sdes_err(format!("lifetime 2^{e} is too large")));
                        }
                        (1u64 << e, true)
                    }
                    None => (decimal(field, "lifetime")?, false),
                };
                // [RFC 4568 §6.1] "The "lifetime" value MUST NOT exceed the
                // maximum packet lifetime for the crypto-suite."
                if lifetime == 0 || lifetime > MAX_SRTP_LIFETIME {
                    return Err(sdes_err(format!("lifetime {lifetime} outside 1..=2^48")));
                }
                out.lifetime = Some(lifetime);
                out.lifetime_as_power = power;
            }
        }
        Ok(out)
    }

    /// A key parameter without lifetime or MKI.
    pub fn new(key_salt: &[u8]) -> Self {
        Self {
            key_salt: key_salt.to_vec(),
            lifetime: None,
            lifetime_as_power: false,
            mki: None,
        }
    }

    /// The MKI as it appears in packets: the value big-endian in `length`
    /// octets.
    pub fn mki_bytes(&self) -> Vec<u8> {
        match self.mki {
            None => Vec::new(),
            Some((value, length)) => {
                let be = value.to_be_bytes();
                let n = usize::from(length);
                let mut out = vec![0u8; n];
                for i in 0..n.min(8) {
                    out[n - 1 - i] = be[7 - i];
                }
                out
            }
        }
    }

    /// The master key (with its MKI) for `profile`.
    pub fn master_key(&self, profile: ProtectionProfile) -> Result<MasterKey, Error> {
        Ok(MasterKey::from_concatenated(profile, &self.key_salt)?.with_mki(&self.mki_bytes()))
    }

    /// The SRTP and SRTCP lifetimes this parameter implies (the default
    /// maxima when absent).
    pub fn lifetimes(&self) -> (u64, u64) {
        match self.lifetime {
            None => (MAX_SRTP_LIFETIME, MAX_SRTCP_LIFETIME),
            Some(l) => (l, l.min(MAX_SRTCP_LIFETIME)),
        }
    }
}

impl fmt::Display for InlineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inline:{}", STANDARD.encode(&self.key_salt))?;
        if let Some(l) = self.lifetime {
            if self.lifetime_as_power && l.is_power_of_two() {
                write!(f, "|2^{}", l.trailing_zeros())?;
            } else {
                write!(f, "|{l}")?;
            }
        }
        if let Some((v, n)) = self.mki {
            write!(f, "|{v}:{n}")?;
        }
        Ok(())
    }
}

/// The policy one SDES crypto attribute describes: every `inline:` key of
/// its key-params (with their MKIs), and the smallest lifetime given.
///
/// ```
/// use rtclite_srtp::{Context, InlineKey, ProtectionProfile, policy_from_inline_keys};
/// let p = ProtectionProfile::AesCm128HmacSha1_80;
/// let keys = [
///     InlineKey::parse("inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4", p).unwrap(),
///     InlineKey::parse("inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4", p).unwrap(),
/// ];
/// let policy = policy_from_inline_keys(p, &keys).unwrap();
/// assert_eq!(policy.master_keys()[1].mki(), &[0, 0, 0, 2]);
/// let _rx = Context::new_inbound(&policy).unwrap();
/// ```
pub fn policy_from_inline_keys(
    profile: ProtectionProfile,
    keys: &[InlineKey],
) -> Result<Policy, Error> {
    let (first, rest) = keys
        .split_first()
        .ok_or_else(|| sdes_err("no inline key".into()))?;
    // [RFC 4568 §6.1] "When the key parameter contains more than one master
    // key, all the master keys in that key parameter MUST include an MKI
    // value."
    if keys.len() > 1 && keys.iter().any(|k| k.mki.is_none()) {
        return Err(sdes_err("several keys, but not all have an MKI".into()));
    }
    // [RFC 4568 §6.1] "When using the MKI, the MKI length MUST be the same for
    // all keys in a given crypto attribute."
    if keys
        .iter()
        .any(|k| k.mki.map(|m| m.1) != first.mki.map(|m| m.1))
    {
        return Err(sdes_err("MKI lengths differ".into()));
    }
    let mut policy = Policy::new(profile, first.master_key(profile)?);
    for k in rest {
        policy = policy.with_master_key(k.master_key(profile)?);
    }
    let (srtp, srtcp) = keys
        .iter()
        .map(InlineKey::lifetimes)
        .fold((MAX_SRTP_LIFETIME, MAX_SRTCP_LIFETIME), |(a, b), (c, d)| {
            (a.min(c), b.min(d))
        });
    Ok(policy.with_key_lifetime(srtp, srtcp))
}

/// The four values the DTLS-SRTP exporter output is split into.
#[derive(Clone, PartialEq, Eq)]
pub struct DtlsSrtpKeys {
    /// Keys for packets the DTLS client sends.
    pub client: MasterKey,
    /// Keys for packets the DTLS server sends.
    pub server: MasterKey,
}

impl fmt::Debug for DtlsSrtpKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DtlsSrtpKeys { .. }")
    }
}

impl DtlsSrtpKeys {
    /// Splits the output of the TLS exporter (label `EXTRACTOR-dtls_srtp`,
    /// 2 * (key + salt) octets) into client and server master keys.
    ///
    /// The client protects with `client` and unprotects with `server`; the
    /// server the other way round.
    pub fn split(profile: ProtectionProfile, material: &[u8]) -> Result<Self, Error> {
        let (k, s) = (profile.master_key_len(), profile.master_salt_len());
        if material.len() != 2 * (k + s) {
            return Err(Error::InvalidPolicy(format!(
                "DTLS-SRTP keying material of {} octets, {profile} needs {} [RFC 5764 §4.2]",
                material.len(),
                2 * (k + s)
            )));
        }
        // [RFC 5764 §4.2] "bytes of data which are assigned as shown below"
        let (client_key, rest) = material.split_at(k);
        let (server_key, rest) = rest.split_at(k);
        let (client_salt, server_salt) = rest.split_at(s);
        Ok(Self {
            client: MasterKey::new(client_key, client_salt),
            server: MasterKey::new(server_key, server_salt),
        })
    }
}
