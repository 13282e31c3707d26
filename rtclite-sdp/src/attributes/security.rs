//! Security attributes: fingerprint (RFC 8122), setup (RFC 4145) and crypto
//! (RFC 4568 SDES).

use base64::Engine as _;

use super::{AttributeValue, required};
use crate::error::AttributeError;
use crate::parse::is_token;

const FINGERPRINT: &str = "RFC 8122 §5";

/// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint<'a> {
    /// Hash function, e.g. `sha-256` (compare case-insensitively).
    pub hash_function: &'a str,
    /// Colon-separated hex bytes, verbatim.
    pub fingerprint: &'a str,
}

impl Fingerprint<'_> {
    /// The fingerprint bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.fingerprint
            .split(':')
            .filter_map(|h| u8::from_str_radix(h, 16).ok())
            .collect()
    }
}

impl<'a> AttributeValue<'a> for Fingerprint<'a> {
    const NAME: &'static str = "fingerprint";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, FINGERPRINT)?;
        let (hash_function, fingerprint) = v.split_once(' ').ok_or(AttributeError::new(
            Self::NAME,
            "needs <hash-func> <fingerprint>",
            FINGERPRINT,
        ))?;
        if !is_token(hash_function) {
            return Err(AttributeError::new(
                Self::NAME,
                "hash function must be a token",
                FINGERPRINT,
            ));
        }
        // [RFC 8122 §5] "fingerprint            =  2UHEX *(":" 2UHEX)"
        // (lower-case hex is accepted too, as deployed implementations send it.)
        let ok = fingerprint
            .split(':')
            .all(|h| h.len() == 2 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok || fingerprint.len() > 64 * 3 {
            return Err(AttributeError::new(
                Self::NAME,
                "fingerprint must be hex byte pairs separated by \":\"",
                FINGERPRINT,
            ));
        }
        Ok(Self {
            hash_function,
            fingerprint,
        })
    }

    fn value(&self) -> Option<String> {
        Some(format!("{} {}", self.hash_function, self.fingerprint))
    }
}

/// `a=setup:<role>` (RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// `active`: the endpoint initiates the connection.
    Active,
    /// `passive`: the endpoint accepts the connection.
    Passive,
    /// `actpass`: either (offers only).
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

impl Setup {
    /// The value as written in SDP.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }
}

impl<'a> AttributeValue<'a> for Setup {
    const NAME: &'static str = "setup";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        Ok(match required(value, Self::NAME, "RFC 4145 §4")? {
            "active" => Self::Active,
            "passive" => Self::Passive,
            "actpass" => Self::ActPass,
            "holdconn" => Self::HoldConn,
            _ => {
                return Err(AttributeError::new(
                    Self::NAME,
                    "must be active, passive, actpass or holdconn",
                    "RFC 4145 §4",
                ));
            }
        })
    }

    fn value(&self) -> Option<String> {
        Some(self.as_str().to_owned())
    }
}

const CRYPTO: &str = "RFC 4568 §9.1";

/// Master key lifetime of an SRTP `inline:` key (RFC 4568 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Written as a decimal number of packets.
    Packets(u64),
    /// Written `2^n`.
    PowerOfTwo(u8),
}

impl Lifetime {
    /// The number of packets (saturating at `u64::MAX`).
    pub fn packets(self) -> u64 {
        match self {
            Self::Packets(n) => n,
            Self::PowerOfTwo(e) => 1u64.checked_shl(u32::from(e)).unwrap_or(u64::MAX),
        }
    }
}

/// Master key identifier of an SRTP `inline:` key: `<value>:<length>`
/// (RFC 4568 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mki {
    /// The MKI value.
    pub value: u64,
    /// Length of the MKI field in SRTP packets, in bytes (1–128).
    pub length: u8,
}

/// One key parameter: `inline:<key||salt>[|<lifetime>][|<mki>:<length>]`
/// (RFC 4568 §6.1), or another method's info verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyParam<'a> {
    /// Key method; `inline` is the only one defined.
    pub method: &'a str,
    /// For `inline`: the base64 key and salt. For other methods: the whole
    /// key-info.
    pub key_salt: &'a str,
    /// Master key lifetime.
    pub lifetime: Option<Lifetime>,
    /// Master key identifier.
    pub mki: Option<Mki>,
}

impl<'a> KeyParam<'a> {
    /// The decoded key and salt.
    ///
    /// # Errors
    /// When the base64 is malformed.
    pub fn key_salt_bytes(&self) -> Result<Vec<u8>, AttributeError> {
        // [RFC 4568 §6.1] "When base64 decoding the key and salt, padding
        // characters (i.e., one or two "=" at the end of the base64-encoded
        // data) are discarded"
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(self.key_salt.trim_end_matches('='))
            .map_err(|_| AttributeError::new("crypto", "key||salt is not base64", "RFC 4568 §6.1"))
    }

    fn parse(s: &'a str) -> Result<Self, AttributeError> {
        let bad = |what| AttributeError::new("crypto", what, "RFC 4568 §9.2");
        let (method, info) = s
            .split_once(':')
            .ok_or(bad("key-param needs <method>:<info>"))?;
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(bad("key-method must be letters, digits or \"_\""));
        }
        // [RFC 4568 §9.1] "key-info         = 1*(%x21-3A / %x3C-7E)"
        if info.is_empty()
            || !info
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b';')
        {
            return Err(bad("key-info must be visible characters"));
        }
        if method != "inline" {
            return Ok(Self {
                method,
                key_salt: info,
                lifetime: None,
                mki: None,
            });
        }
        let mut parts = info.split('|');
        let key_salt = parts.next().unwrap_or_default();
        // [RFC 4568 §9.2] "key-salt            = 1*(base64)"
        if key_salt.is_empty()
            || !key_salt
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            return Err(bad("key||salt must be base64"));
        }
        let mut lifetime = None;
        let mut mki = None;
        for (i, p) in parts.enumerate() {
            if i >= 2 {
                return Err(bad("too many \"|\" fields"));
            }
            if let Some((v, l)) = p.split_once(':') {
                if mki.is_some() {
                    return Err(bad("two MKI fields"));
                }
                let value = digits::<u64>(v).ok_or(bad("MKI value must be a number"))?;
                // [RFC 4568 §9.2] "mki-length          = 1*3DIGIT   ; range 1..128."
                let length = digits::<u8>(l)
                    .filter(|n| (1..=128).contains(n))
                    .ok_or(bad("MKI length must be 1-128"))?;
                mki = Some(Mki { value, length });
            } else {
                if lifetime.is_some() || mki.is_some() {
                    return Err(bad("lifetime must come before the MKI, once"));
                }
                // [RFC 4568 §6.1] "The lifetime value MAY be written as a
                // non-zero, positive decimal integer or as a power of 2"
                lifetime = Some(match p.strip_prefix("2^") {
                    Some(e) => Lifetime::PowerOfTwo(
                        digits::<u8>(e)
                            .filter(|e| *e < 64)
                            .ok_or(bad("lifetime exponent must be 0-63"))?,
                    ),
                    None => {
                        Lifetime::Packets(crate::parse::canonical_u64(p).filter(|n| *n > 0).ok_or(
                            bad("lifetime must be a non-zero number without leading zeros"),
                        )?)
                    }
                });
            }
        }
        Ok(Self {
            method,
            key_salt,
            lifetime,
            mki,
        })
    }
}

impl std::fmt::Display for KeyParam<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.method, self.key_salt)?;
        match self.lifetime {
            Some(Lifetime::Packets(n)) => write!(f, "|{n}")?,
            Some(Lifetime::PowerOfTwo(e)) => write!(f, "|2^{e}")?,
            None => {}
        }
        if let Some(m) = self.mki {
            write!(f, "|{}:{}", m.value, m.length)?;
        }
        Ok(())
    }
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]`
/// (RFC 4568 §4, SRTP use in §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto<'a> {
    /// Identifies this attribute among the media description's crypto lines.
    pub tag: u32,
    /// Crypto suite, e.g. `AES_CM_128_HMAC_SHA1_80`.
    pub suite: &'a str,
    /// One or more keys.
    pub key_params: Vec<KeyParam<'a>>,
    /// Session parameters (`KDR=`, `UNENCRYPTED_SRTP`, `WSH=`, ...).
    pub session_params: Vec<&'a str>,
}

impl Crypto<'_> {
    /// Length of key plus salt in bytes for a known SRTP suite (RFC 4568
    /// §6.2, RFC 6188 §7.1, RFC 7714 §12).
    pub fn key_salt_len(suite: &str) -> Option<usize> {
        Some(match suite {
            "AES_CM_128_HMAC_SHA1_80" | "AES_CM_128_HMAC_SHA1_32" | "F8_128_HMAC_SHA1_80" => 30,
            "AES_192_CM_HMAC_SHA1_80" | "AES_192_CM_HMAC_SHA1_32" => 38,
            "AES_256_CM_HMAC_SHA1_80" | "AES_256_CM_HMAC_SHA1_32" => 46,
            "AEAD_AES_128_GCM" => 28,
            "AEAD_AES_256_GCM" => 44,
            _ => return None,
        })
    }

    /// Checks every `inline` key against the suite's key-and-salt length.
    ///
    /// # Errors
    /// When a key is not base64 or has the wrong length.
    pub fn validate_keys(&self) -> Result<(), AttributeError> {
        let Some(len) = Self::key_salt_len(self.suite) else {
            return Ok(());
        };
        for k in self.key_params.iter().filter(|k| k.method == "inline") {
            // [RFC 4568 §6.1] "If the length (after being decoded from
            // base64) does not match that specified for the crypto-suite, the
            // crypto attribute in question MUST be considered invalid."
            if k.key_salt_bytes()?.len() != len {
                return Err(AttributeError::new(
                    "crypto",
                    "key||salt length does not match the crypto-suite",
                    "RFC 4568 §6.1",
                ));
            }
        }
        Ok(())
    }
}

impl<'a> AttributeValue<'a> for Crypto<'a> {
    const NAME: &'static str = "crypto";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, CRYPTO)?;
        // [RFC 4568 §9.1] ""a=crypto:" tag 1*WSP crypto-suite 1*WSP key-params"
        let mut it = v.split([' ', '\t']).filter(|s| !s.is_empty());
        let tag = it.next().unwrap_or_default();
        // [RFC 4568 §4.1] "leading zeroes MUST NOT be used"
        if tag.len() > 9 || (tag.len() > 1 && tag.starts_with('0')) {
            return Err(AttributeError::new(
                Self::NAME,
                "tag must be 1-9 digits without leading zeros",
                "RFC 4568 §4.1",
            ));
        }
        let tag = digits::<u32>(tag).ok_or(AttributeError::new(
            Self::NAME,
            "tag must be a number",
            CRYPTO,
        ))?;
        let suite = it
            .next()
            .filter(|s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .ok_or(AttributeError::new(
                Self::NAME,
                "crypto-suite must be letters, digits or \"_\"",
                CRYPTO,
            ))?;
        let keys = it.next().ok_or(AttributeError::new(
            Self::NAME,
            "missing key-params",
            CRYPTO,
        ))?;
        let key_params = keys
            .split(';')
            .take(64)
            .map(KeyParam::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let session_params: Vec<&str> = it.take(64).collect();
        Ok(Self {
            tag,
            suite,
            key_params,
            session_params,
        })
    }

    fn value(&self) -> Option<String> {
        let keys: Vec<String> = self.key_params.iter().map(ToString::to_string).collect();
        let mut s = format!("{} {} {}", self.tag, self.suite, keys.join(";"));
        for p in &self.session_params {
            s.push(' ');
            s.push_str(p);
        }
        Some(s)
    }
}
