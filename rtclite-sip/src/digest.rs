//! Digest access authentication for SIP: RFC 2617, RFC 7616 and the SIP
//! rules of RFC 8760 (RFC 3261 §22.4). Client: answer a WWW-Authenticate or
//! Proxy-Authenticate challenge. Server: issue challenges with nonces that
//! expire, verify credentials, report a stale nonce.
//!
//! A server may keep each user's password, or only the precomputed
//! `H(A1) = H(username ":" realm ":" password)` per algorithm ([`Ha1`],
//! [`StoredCredential`]), as RFC 2617 §4.13 and RFC 7616 §5.2 describe the
//! "password file".
//!
//! Sans-IO: the caller passes the time (seconds on any clock of its own) and
//! the randomness (a `rand_core::RngCore`).

use std::borrow::{Borrow, Cow};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Md5;
use rand_core::RngCore;
use sha2::{Digest as _, Sha256, Sha512_256};
use subtle::ConstantTimeEq;

use crate::error::{Error, ErrorKind, syntax};
use crate::headers::AuthValue;

const S7616: &str = "RFC 7616 §3.3";

/// A digest algorithm with its session variant (RFC 7616 §3.3, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// MD5 (RFC 2617; kept for backward compatibility).
    Md5,
    /// MD5-sess.
    Md5Sess,
    /// SHA-256 (RFC 7616, RFC 8760).
    Sha256,
    /// SHA-256-sess.
    Sha256Sess,
    /// SHA-512-256 (RFC 7616, RFC 8760).
    Sha512_256,
    /// SHA-512-256-sess.
    Sha512_256Sess,
}

impl Algorithm {
    /// Parses the algorithm token (case-insensitive); `None` when unknown.
    pub fn parse(s: &str) -> Option<Self> {
        const ALL: [(&str, Algorithm); 6] = [
            ("MD5", Algorithm::Md5),
            ("MD5-sess", Algorithm::Md5Sess),
            ("SHA-256", Algorithm::Sha256),
            ("SHA-256-sess", Algorithm::Sha256Sess),
            ("SHA-512-256", Algorithm::Sha512_256),
            ("SHA-512-256-sess", Algorithm::Sha512_256Sess),
        ];
        ALL.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, a)| *a)
    }

    /// The token as registered.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// True for the `-sess` variants (RFC 7616 §3.4.2).
    pub const fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Relative strength, for picking the strongest offered challenge.
    // [RFC 7616 §3.2] "To maintain backwards
    // compatibility with [RFC2617], the MD5 algorithm is still supported
    // but NOT RECOMMENDED."
    pub const fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => 3,
        }
    }

    /// The algorithm without its `-sess` suffix (`MD5-sess` → `MD5`): the
    /// one whose `H(username ":" realm ":" password)` both build on
    /// (RFC 7616 §3.4.2).
    pub const fn base(self) -> Algorithm {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => Algorithm::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => Algorithm::Sha256,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => Algorithm::Sha512_256,
        }
    }

    /// The length of a digest in hex digits: 32 for MD5, 64 for SHA-256
    /// and SHA-512/256.
    // [RFC 7616 §3.2] "If the MD5 algorithm is
    // used to calculate the digest, then the MD5 digest will be represented
    // as 32 hexadecimal characters, while SHA-256 and SHA-512/256 are
    // represented as 64 hexadecimal characters."
    pub const fn hex_len(self) -> usize {
        match self.base() {
            Algorithm::Md5 => 32,
            _ => 64,
        }
    }

    /// `H(data)` as lower-case hex.
    pub fn hash_hex(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex::encode(Md5::digest(data)),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex::encode(Sha256::digest(data)),
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => {
                hex::encode(Sha512_256::digest(data))
            }
        }
    }

    /// `KD(secret, data) = H(concat(secret, ":", data))`.
    fn kd(self, secret: &str, data: &str) -> String {
        self.hash_hex(format!("{secret}:{data}").as_bytes())
    }
}

impl std::fmt::Display for Algorithm {
    /// The registered token (`SHA-256`, `MD5-sess`, ...).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Quality of protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Qop {
    /// Authentication.
    Auth,
    /// Authentication with integrity protection of the body.
    AuthInt,
}

impl Qop {
    /// The token.
    pub const fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }
}

/// A Digest challenge (WWW-Authenticate or Proxy-Authenticate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The protection space.
    pub realm: String,
    /// The server nonce.
    pub nonce: String,
    /// Opaque data to return unchanged.
    pub opaque: Option<String>,
    /// The algorithm (MD5 when absent).
    pub algorithm: Algorithm,
    /// The qop values offered, in order; unknown ones dropped.
    pub qop: Vec<Qop>,
    /// The previous request failed only because its nonce was stale.
    pub stale: bool,
    /// The server supports hashed usernames.
    pub userhash: bool,
}

fn unknown_algorithm() -> Error {
    // [RFC 7616 §3.3] "If the algorithm is not understood, the challenge SHOULD
    // be ignored (and a different one used, if there is more than one)."
    Error::new(ErrorKind::Invalid("unknown digest algorithm")).rfc(S7616)
}

impl Challenge {
    /// Reads a challenge from a parsed header value; fails for another
    /// scheme, a missing realm or nonce, or an unknown algorithm.
    pub fn parse(v: &AuthValue<'_>) -> Result<Self, Error> {
        if !v.scheme.eq_ignore_ascii_case("Digest") {
            return Err(
                Error::new(ErrorKind::Invalid("not a Digest challenge")).rfc("RFC 8760 §2.6")
            );
        }
        let need = |n: &'static str| {
            v.param(n)
                .map(|c| c.into_owned())
                .ok_or_else(|| syntax("Digest challenge without realm or nonce").rfc(S7616))
        };
        let algorithm = match v.param("algorithm") {
            None => Algorithm::Md5,
            Some(a) => Algorithm::parse(&a).ok_or_else(unknown_algorithm)?,
        };
        // [RFC 7616 §3.3] "Unrecognized options MUST be ignored."
        let qop = v
            .param("qop")
            .map(|q| q.split(',').filter_map(|t| Qop::parse(t.trim())).collect())
            .unwrap_or_default();
        // `domain` is not read: a SIP protection space is the realm
        // (RFC 3261 §22.1), for WWW- and Proxy-Authenticate alike.
        // [RFC 7616 §3.3] "This parameter is not meaningful in Proxy-Authenticate header
        // fields, for which the protection space is always the entire proxy;
        // if present, it MUST be ignored."
        //
        // SIP has no web-origin: RFC 3261 §22.1 makes the realm the
        // protection space.
        // [RFC 7616 §3.3 exception: SIP has no web-origin] "any URI that has a URI in this list as a
        // prefix (after both have been made absolute) MAY be assumed to be in
        // the same protection space"
        // [RFC 7616 §3.3 exception: SIP has no web-origin] "If this parameter is
        // omitted or its value is empty, the client SHOULD assume that the
        // protection space consists of all URIs on the web-origin."
        //
        // Usernames and passwords are hashed as the UTF-8 the caller gives;
        // charset=UTF-8 says no more.
        // [RFC 7616 §3.3 exception: strings are always hashed as UTF-8] "This is an
        // OPTIONAL parameter that is used by the server to indicate the
        // encoding scheme it supports."
        Ok(Challenge {
            realm: need("realm")?,
            nonce: need("nonce")?,
            opaque: v.param("opaque").map(|c| c.into_owned()),
            algorithm,
            qop,
            // [RFC 7616 §3.3] "If
            // stale is false, or anything other than true, or the stale
            // parameter is not present, the username and/or password are
            // invalid, and new values MUST be obtained."
            stale: v
                .param("stale")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
            // [RFC 7616 §3.3] "This is an OPTIONAL parameter that is used by the server to
            // indicate that it supports username hashing."
            userhash: v
                .param("userhash")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// Takes the `nextnonce` of an Authentication-Info into this challenge,
    /// so that the next request uses it (counting from nc=1 again). True
    /// when there was one.
    pub fn apply_authentication_info(&mut self, info: &AuthenticationInfo) -> bool {
        // [RFC 7616 §3.5] "If the nextnonce field is present, the client SHOULD use it when
        // constructing the Authorization header field for its next request."
        match &info.nextnonce {
            Some(n) => {
                self.nonce.clone_from(n);
                self.stale = false;
                true
            }
            None => false,
        }
    }

    /// The header value: `Digest realm="...", ...`.
    pub fn to_header_value(&self) -> String {
        // [RFC 7616 §3.3] "For historical reasons, a sender MUST only generate the quoted string
        // syntax values for the following parameters: realm, domain, nonce,
        // opaque, and qop."
        let mut s = format!(
            "Digest realm={}, nonce={}",
            quote(&self.realm),
            quote(&self.nonce)
        );
        if let Some(o) = &self.opaque {
            let _ = write!(s, ", opaque={}", quote(o));
        }
        // [RFC 7616 §3.3] "For historical reasons, a sender MUST NOT generate the quoted string
        // syntax values for the following parameters: stale and algorithm."
        let _ = write!(s, ", algorithm={}", self.algorithm.as_str());
        if !self.qop.is_empty() {
            let q: Vec<&str> = self.qop.iter().map(|q| q.as_str()).collect();
            let _ = write!(s, ", qop=\"{}\"", q.join(","));
        }
        if self.stale {
            s.push_str(", stale=true");
        }
        if self.userhash {
            s.push_str(", userhash=true");
        }
        s
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// How a UAC picks among several challenges of the same realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Selection {
    /// The topmost challenge whose algorithm is supported (RFC 8760 §2.4).
    #[default]
    Topmost,
    /// The strongest supported algorithm offered, whatever its position.
    Strongest,
}

/// Picks the challenge to answer among those of a response, in header
/// order, skipping the ones that do not parse (unknown scheme or algorithm).
pub fn select_challenge<'v>(
    values: impl IntoIterator<Item = AuthValue<'v>>,
    how: Selection,
) -> Option<Challenge> {
    // [RFC 8760 §2.4] "The client MUST ignore any challenge it does not
    // understand."
    // [RFC 8760 §2.6] "a UAC
    // MUST be able to properly handle a "qop" parameter received in
    // WWW-Authenticate and Proxy-Authenticate header fields"
    // [RFC 8760 §2.4] "When the UAC receives a 401 response with multiple WWW-Authenticate
    // header fields with different realms, it SHOULD retry and add an
    // Authorization header field containing credentials that match the
    // topmost header field of any of the realms"
    // None leaves the request to be abandoned:
    // [RFC 8760 §2.4] "If the UAC cannot respond to any of the challenges in the response,
    // then it SHOULD abandon attempts to send the request"
    let mut usable = values.into_iter().filter_map(|v| Challenge::parse(&v).ok());
    match how {
        // [RFC 8760 §2.4] "it SHOULD use
        // the topmost header field that it supports unless a local policy
        // dictates otherwise."
        // [RFC 7616 §3.7] "When the client receives the first challenge, it SHOULD use the
        // first challenge it supports, unless a local policy dictates otherwise."
        Selection::Topmost => usable.next(),
        Selection::Strongest => usable.fold(None, |best: Option<Challenge>, c| match best {
            Some(b) if b.algorithm.strength() >= c.algorithm.strength() => Some(b),
            _ => Some(c),
        }),
    }
}

/// Digest credentials (Authorization or Proxy-Authorization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username, or its hash when `userhash` is set.
    pub username: String,
    /// The realm.
    pub realm: String,
    /// The server nonce being answered.
    pub nonce: String,
    /// The digest-uri (the Request-URI in SIP).
    pub uri: String,
    /// The request-digest, hex.
    pub response: String,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The client nonce (with qop).
    pub cnonce: Option<String>,
    /// The opaque value returned.
    pub opaque: Option<String>,
    /// The qop chosen.
    pub qop: Option<Qop>,
    /// The nonce count (with qop).
    pub nc: Option<u32>,
    /// `username` is `H(username ":" realm)` (RFC 7616 §3.4.4).
    pub userhash: bool,
}

impl Credentials {
    /// Reads credentials from a parsed Authorization value.
    pub fn parse(v: &AuthValue<'_>) -> Result<Self, Error> {
        const S: &str = "RFC 7616 §3.4";
        if !v.scheme.eq_ignore_ascii_case("Digest") {
            return Err(Error::new(ErrorKind::Invalid("not Digest credentials")).rfc(S));
        }
        let need = |n: &'static str| {
            v.param(n).map(|c| c.into_owned()).ok_or_else(|| {
                syntax("Digest credentials need username, realm, nonce, uri and response").rfc(S)
            })
        };
        // [RFC 7616 §3.4] "Sending both username and username* in the same header
        // option MUST be treated as an error."
        if v.param("username*").is_some() && v.param("username").is_some() {
            return Err(syntax("both username and username* in Digest credentials").rfc(S));
        }
        // [RFC 7616 §3.4] "If a parameter or its value is improper, or required parameters are
        // missing, the proper response is a 4xx error code."
        let algorithm = match v.param("algorithm") {
            None => Algorithm::Md5,
            Some(a) => Algorithm::parse(&a).ok_or_else(unknown_algorithm)?,
        };
        // [RFC 8760 §2.6] "A UAS MUST be able to properly handle a "qop" parameter received
        // in an Authorization/Proxy-Authorization header field"
        let qop = match v.param("qop") {
            None => None,
            Some(q) => Some(Qop::parse(&q).ok_or_else(|| syntax("unknown qop").rfc(S))?),
        };
        // [RFC 7616 §3.5] "For historical reasons, the nc value MUST be exactly 8 hexadecimal
        // digits."
        let nc = match v.param("nc") {
            None => None,
            Some(n) if n.len() == 8 => Some(
                u32::from_str_radix(&n, 16).map_err(|_| syntax("nc is not 8 hex digits").rfc(S))?,
            ),
            Some(_) => return Err(syntax("nc is not 8 hex digits").rfc(S)),
        };
        Ok(Credentials {
            username: need("username")?,
            realm: need("realm")?,
            nonce: need("nonce")?,
            uri: need("uri")?,
            response: need("response")?,
            algorithm,
            cnonce: v.param("cnonce").map(|c| c.into_owned()),
            opaque: v.param("opaque").map(|c| c.into_owned()),
            qop,
            nc,
            // [RFC 7616 §3.4] "This OPTIONAL parameter is used by the client to indicate that the
            // username has been hashed."
            userhash: v
                .param("userhash")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// The header value: `Digest username="...", ...`.
    pub fn to_header_value(&self) -> String {
        // [RFC 7616 §3.4] "For historical reasons, a sender MUST only generate the quoted string
        // syntax for the following parameters: username, realm, nonce, uri,
        // response, cnonce, and opaque."
        let mut s = format!(
            "Digest username={}, realm={}, nonce={}, uri={}, response={}, algorithm={}",
            quote(&self.username),
            quote(&self.realm),
            quote(&self.nonce),
            // [RFC 8760 §2.6] "The "uri" parameter of the Authorization header field MUST be
            // enclosed in quotation marks."
            quote(&self.uri),
            quote(&self.response),
            self.algorithm.as_str()
        );
        if let Some(c) = &self.cnonce {
            let _ = write!(s, ", cnonce={}", quote(c));
        }
        if let Some(o) = &self.opaque {
            let _ = write!(s, ", opaque={}", quote(o));
        }
        // [RFC 7616 §3.4] "For historical reasons, a sender MUST NOT generate the quoted string
        // syntax for the following parameters: algorithm, qop, and nc."
        if let Some(q) = self.qop {
            let _ = write!(s, ", qop={}", q.as_str());
        }
        if let Some(nc) = self.nc {
            let _ = write!(s, ", nc={nc:08x}");
        }
        if self.userhash {
            s.push_str(", userhash=true");
        }
        s
    }
}

/// The inputs of one request-digest computation.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The username (in clear).
    pub username: &'a str,
    /// The realm.
    pub realm: &'a str,
    /// The password.
    pub password: &'a str,
    /// The server nonce.
    pub nonce: &'a str,
    /// The client nonce (needed with qop and `-sess`).
    pub cnonce: &'a str,
    /// The nonce count.
    pub nc: u32,
    /// The qop, or `None` for the RFC 2069 form.
    pub qop: Option<Qop>,
    /// The request method.
    pub method: &'a str,
    /// The digest-uri.
    pub uri: &'a str,
    /// The body (for auth-int).
    pub body: &'a [u8],
}

/// The request-digest (RFC 7616 §3.4.1 to §3.4.3, RFC 2617 §3.2.2).
pub fn request_digest(i: &DigestInput<'_>) -> String {
    let base = i
        .algorithm
        .hash_hex(format!("{}:{}:{}", i.username, i.realm, i.password).as_bytes());
    digest_from_ha1(i, &base)
}

/// The request-digest of `i` from `base`, the stored
/// `H(username ":" realm ":" password)` of `i.algorithm` (or of its base
/// algorithm for a `-sess` one); `i.username`, `i.realm` and `i.password`
/// are not read.
fn digest_from_ha1(i: &DigestInput<'_>, base: &str) -> String {
    let alg = i.algorithm;
    // [RFC 7616 §3.4.2] "Because the server needs only use the hash of the user
    // credentials in order to create the A1 value, this construction could
    // be used in conjunction with a third-party authentication service so
    // that the web server would not need the actual password value."
    let ha1 = if alg.is_session() {
        // [RFC 7616 §3.4.2] "If the algorithm parameter's value is "<algorithm>-sess", e.g., "SHA-
        // 256-sess", then A1 is calculated using the nonce value provided in
        // the challenge from the server, and cnonce value from the request by
        // the client following receipt of a WWW-Authenticate challenge from the
        // server."
        Cow::Owned(alg.hash_hex(format!("{base}:{}:{}", i.nonce, i.cnonce).as_bytes()))
    } else {
        Cow::Borrowed(base)
    };
    let a2 = match i.qop {
        // [RFC 8760 §2.6] "implementers should assume that the hash of the entity-body
        // resolves to the hash of an empty string when the entity-body is
        // empty"
        Some(Qop::AuthInt) => format!("{}:{}:{}", i.method, i.uri, alg.hash_hex(i.body)),
        _ => format!("{}:{}", i.method, i.uri),
    };
    let ha2 = alg.hash_hex(a2.as_bytes());
    match i.qop {
        Some(q) => alg.kd(
            &ha1,
            &format!("{}:{:08x}:{}:{}:{ha2}", i.nonce, i.nc, i.cnonce, q.as_str()),
        ),
        None => alg.kd(&ha1, &format!("{}:{ha2}", i.nonce)),
    }
}

/// Authentication-Info (RFC 7616 §3.5, RFC 3261 §20.6): what a server
/// adds to a successful response: mutual authentication (`rspauth`) and a
/// nonce for the next request (`nextnonce`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthenticationInfo {
    /// The nonce the client should use next.
    pub nextnonce: Option<String>,
    /// The qop applied, the one of the request.
    pub qop: Option<Qop>,
    /// The response digest, proving the server knows the user's secret.
    pub rspauth: Option<String>,
    /// The cnonce of the request.
    pub cnonce: Option<String>,
    /// The nonce count of the request.
    pub nc: Option<u32>,
}

impl AuthenticationInfo {
    /// Reads the parameters of an Authentication-Info value
    /// ([`crate::Message::authentication_info`]).
    pub fn parse(v: &AuthValue<'_>) -> Result<Self, Error> {
        const S: &str = "RFC 7616 §3.5";
        let qop = match v.param("qop") {
            None => None,
            Some(q) => Some(Qop::parse(&q).ok_or_else(|| syntax("unknown qop").rfc(S))?),
        };
        let nc = match v.param("nc") {
            None => None,
            // [RFC 7616 §3.5] "the nc value MUST be exactly 8 hexadecimal digits"
            Some(n) if n.len() == 8 => Some(
                u32::from_str_radix(&n, 16).map_err(|_| syntax("nc is not 8 hex digits").rfc(S))?,
            ),
            Some(_) => return Err(syntax("nc is not 8 hex digits").rfc(S)),
        };
        let info = AuthenticationInfo {
            nextnonce: v.param("nextnonce").map(|c| c.into_owned()),
            qop,
            rspauth: v.param("rspauth").map(|c| c.into_owned()),
            cnonce: v.param("cnonce").map(|c| c.into_owned()),
            nc,
        };
        // [RFC 7616 §3.5] "The rspauth,
        // cnonce, and nc parameters MUST be present if "qop=auth" or
        // "qop=auth-int" is specified."
        if info.qop.is_some()
            && (info.rspauth.is_none() || info.cnonce.is_none() || info.nc.is_none())
        {
            return Err(syntax("Authentication-Info with qop needs rspauth, cnonce and nc").rfc(S));
        }
        Ok(info)
    }

    /// The header value (parameters only, no scheme).
    pub fn to_header_value(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        // [RFC 7616 §3.5] "For historical reasons, a sender MUST only generate the quoted string
        // syntax for the following parameters: nextnonce, rspauth, and cnonce."
        if let Some(n) = &self.nextnonce {
            parts.push(format!("nextnonce={}", quote(n)));
        }
        // [RFC 7616 §3.5] "For historical reasons, a sender MUST NOT generate the quoted string
        // syntax for the following parameters: qop and nc."
        if let Some(q) = self.qop {
            parts.push(format!("qop={}", q.as_str()));
        }
        if let Some(r) = &self.rspauth {
            parts.push(format!("rspauth={}", quote(r)));
        }
        if let Some(c) = &self.cnonce {
            parts.push(format!("cnonce={}", quote(c)));
        }
        if let Some(nc) = self.nc {
            parts.push(format!("nc={nc:08x}"));
        }
        parts.join(", ")
    }
}

/// `rspauth`: the request-digest with `A2 = ":" digest-uri` (qop `auth` or
/// none) or `A2 = ":" digest-uri ":" H(entity-body)` (qop `auth-int`, the
/// body of the response) (RFC 7616 §3.5). `input.method` is ignored and
/// `input.body` is the response body.
pub fn response_auth(input: &DigestInput<'_>) -> String {
    // [RFC 7616 §3.5] "The rspauth value is
    // calculated as for the response in the Authorization header field,
    // except that if qop is set to "auth" or is not specified in the
    // Authorization header field for the request, A2 is"
    request_digest(&DigestInput {
        method: "",
        ..*input
    })
}

/// Why an [`Ha1`] could not be read from hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Ha1Error {
    /// The hex string has the wrong length for the algorithm.
    #[error("an H(A1) for {algorithm} is {expected} hex digits, not {found} (RFC 7616 §3.2)")]
    Length {
        /// The algorithm the H(A1) was given for (without `-sess`).
        algorithm: Algorithm,
        /// The digits the algorithm's digest has.
        expected: usize,
        /// The characters given.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("an H(A1) is hex digits; {found:?} at offset {offset} is not one (RFC 7616 §3.2)")]
    NotHex {
        /// Its offset in the string, in bytes.
        offset: usize,
        /// The character.
        found: char,
    },
}

/// A stored `H(A1) = H(username ":" realm ":" password)` (RFC 2617 §3.2.2.2,
/// RFC 7616 §3.4.2): what a server may keep instead of the password.
///
/// It is made with one algorithm and serves that algorithm and its `-sess`
/// variant (whose A1 is built per nonce from this value), and only for the
/// realm it was made for: the realm is part of the hashed data. It is bound
/// to the user name it was made with too, which is the key the caller
/// stores it under.
///
/// An H(A1) is a password equivalent for its realm (RFC 7616 §5.2): keep it
/// as secret as a password. `Debug` does not show it.
///
/// ```
/// use rtclite_sip::digest::{Algorithm, Ha1};
/// // `printf 'Mufasa:testrealm@host.com:Circle Of Life' | md5sum`
/// let stored = Ha1::from_hex(
///     Algorithm::Md5,
///     "testrealm@host.com",
///     "939E7578ED9E3C518A452ACEE763BCE9",
/// )?;
/// let made = Ha1::from_password(Algorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
/// assert_eq!(stored, made);
/// assert_eq!(stored.as_hex(), "939e7578ed9e3c518a452acee763bce9");
/// assert!(stored.serves(Algorithm::Md5Sess, "testrealm@host.com"));
/// assert!(!stored.serves(Algorithm::Sha256, "testrealm@host.com"));
/// assert!(!stored.serves(Algorithm::Md5, "other.example.com"));
/// assert!(Ha1::from_hex(Algorithm::Sha256, "r", stored.as_hex()).is_err());
/// # Ok::<(), rtclite_sip::digest::Ha1Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Ha1 {
    /// Always a base algorithm (never `-sess`).
    algorithm: Algorithm,
    realm: String,
    /// Lower-case hex, `algorithm.hex_len()` digits.
    hex: String,
}

impl Ha1 {
    /// Computes the H(A1) of `username`, `realm` and `password` with
    /// `algorithm` (a `-sess` algorithm gives the same value as its base:
    /// the session key itself is made per nonce, never stored).
    pub fn from_password(
        algorithm: Algorithm,
        username: &str,
        realm: &str,
        password: &str,
    ) -> Self {
        let algorithm = algorithm.base();
        // [RFC 7616 §3.4.2] "A1       = unq(username) ":" unq(realm) ":" passwd"
        Self {
            algorithm,
            realm: realm.to_owned(),
            hex: algorithm.hash_hex(format!("{username}:{realm}:{password}").as_bytes()),
        }
    }

    /// Reads a stored H(A1) in hex (either case) made with `algorithm` for
    /// `realm`; a `-sess` algorithm names the same value as its base.
    /// Fails when the length is not the algorithm's (32 digits for MD5, 64
    /// for SHA-256 and SHA-512-256) or a character is not a hex digit.
    pub fn from_hex(algorithm: Algorithm, realm: &str, hex: &str) -> Result<Self, Ha1Error> {
        let algorithm = algorithm.base();
        if let Some((offset, found)) = hex.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(Ha1Error::NotHex { offset, found });
        }
        if hex.len() != algorithm.hex_len() {
            return Err(Ha1Error::Length {
                algorithm,
                expected: algorithm.hex_len(),
                found: hex.len(),
            });
        }
        Ok(Self {
            algorithm,
            realm: realm.to_owned(),
            // [RFC 7616 §3.2] "Each sequence of four bits is represented by its familiar
            // hexadecimal notation from the characters 0123456789abcdef"
            hex: hex.to_ascii_lowercase(),
        })
    }

    /// The algorithm it was made with (never a `-sess` one).
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The realm it was made for.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The value, lower-case hex.
    pub fn as_hex(&self) -> &str {
        &self.hex
    }

    /// True when it can verify a response in `algorithm` for `realm`: the
    /// same algorithm or its `-sess` variant, and exactly the same realm.
    pub fn serves(&self, algorithm: Algorithm, realm: &str) -> bool {
        self.algorithm == algorithm.base() && self.realm == realm
    }
}

impl std::fmt::Debug for Ha1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // [RFC 7616 §5.2] "the password file must be protected as if it contained unencrypted
        // passwords"
        f.debug_struct("Ha1")
            .field("algorithm", &self.algorithm)
            .field("realm", &self.realm)
            .field("hex", &"<redacted>")
            .finish()
    }
}

/// Why a [`StoredCredential`] cannot verify a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnusableCredential {
    /// The user has no H(A1) for the algorithm of the response (nor for
    /// its base, for a `-sess` one).
    #[error(
        "no stored H(A1) for {algorithm}: the user's H(A1) {} only (RFC 7616 §3.4.2)",
        stored_list(stored)
    )]
    NoHa1 {
        /// The algorithm of the response.
        algorithm: Algorithm,
        /// The algorithms the user has an H(A1) for.
        stored: Vec<Algorithm>,
    },
    /// The user's H(A1) for the algorithm was made for another realm, so it
    /// cannot verify a response for this one.
    #[error(
        "the stored {algorithm} H(A1) was made for realm {stored_realm:?}, not {realm:?}: \
         the realm is part of the hashed data (RFC 7616 §5.2)"
    )]
    WrongRealm {
        /// The algorithm of the response.
        algorithm: Algorithm,
        /// The realm the H(A1) was made for.
        stored_realm: String,
        /// The realm of the response.
        realm: String,
    },
}

fn stored_list(stored: &[Algorithm]) -> String {
    if stored.is_empty() {
        return "are none".to_owned();
    }
    let names: Vec<&str> = stored.iter().map(|a| a.as_str()).collect();
    format!("is for {}", names.join(", "))
}

/// What a server keeps to verify one user: the password, or only the user's
/// H(A1) for one or more algorithms (RFC 2617 §4.13, RFC 7616 §5.2: pairs of
/// "username and H(A1)" in a "password file").
///
/// A password serves every algorithm and realm. A set of [`Ha1`] serves
/// exactly the algorithms they were made with (and their `-sess`
/// variants), for the realm each was made for; a server must not offer the
/// others to this user ([`DigestServer::challenges_serving`]). `Debug` shows
/// neither the password nor the hashes.
///
/// ```
/// use rtclite_sip::digest::{Algorithm, Ha1, StoredCredential, UnusableCredential};
/// let realm = "biloxi.example.com";
/// let bob = StoredCredential::Ha1(vec![Ha1::from_password(Algorithm::Sha256, "bob", realm, "zanzibar")]);
/// assert!(bob.serves(Algorithm::Sha256Sess, realm));
/// assert!(!bob.serves(Algorithm::Md5, realm));
/// assert!(matches!(
///     bob.ha1(Algorithm::Md5, "bob", realm),
///     Err(UnusableCredential::NoHa1 { .. })
/// ));
/// let same = StoredCredential::Password("zanzibar".into());
/// assert_eq!(
///     bob.ha1(Algorithm::Sha256, "bob", realm)?,
///     same.ha1(Algorithm::Sha256, "bob", realm)?
/// );
/// # Ok::<(), UnusableCredential>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredCredential {
    /// The password in clear.
    Password(String),
    /// H(A1) values, at most one per algorithm and realm is useful: the
    /// first that serves a response is used.
    Ha1(Vec<Ha1>),
}

impl StoredCredential {
    /// True when it can verify a response in `algorithm` for `realm`.
    pub fn serves(&self, algorithm: Algorithm, realm: &str) -> bool {
        match self {
            StoredCredential::Password(_) => true,
            StoredCredential::Ha1(list) => list.iter().any(|h| h.serves(algorithm, realm)),
        }
    }

    /// `H(username ":" realm ":" password)` with the base of `algorithm`,
    /// in hex: computed from the password, or the stored [`Ha1`] for that
    /// algorithm and realm.
    pub fn ha1(
        &self,
        algorithm: Algorithm,
        username: &str,
        realm: &str,
    ) -> Result<Cow<'_, str>, UnusableCredential> {
        let list = match self {
            StoredCredential::Password(pw) => {
                return Ok(Cow::Owned(
                    Ha1::from_password(algorithm, username, realm, pw).hex,
                ));
            }
            StoredCredential::Ha1(list) => list,
        };
        if let Some(h) = list.iter().find(|h| h.serves(algorithm, realm)) {
            return Ok(Cow::Borrowed(h.as_hex()));
        }
        // [RFC 7616 §5.2] "This is the reason that the
        // realm is part of the digested data stored in the password file."
        if let Some(h) = list.iter().find(|h| h.algorithm == algorithm.base()) {
            return Err(UnusableCredential::WrongRealm {
                algorithm,
                stored_realm: h.realm.clone(),
                realm: realm.to_owned(),
            });
        }
        Err(UnusableCredential::NoHa1 {
            algorithm,
            stored: list.iter().map(Ha1::algorithm).collect(),
        })
    }

    /// The response `creds` must carry for a request with `method` and
    /// `body` (RFC 7616 §3.4.1): what the server computes to compare
    /// (§3.6). `creds.username` must be the name in clear (not a userhash).
    pub fn request_digest(
        &self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
    ) -> Result<String, UnusableCredential> {
        let ha1 = self.ha1(creds.algorithm, &creds.username, &creds.realm)?;
        // [RFC 7616 §3.6] "As long as H(A1) is available to the server, the
        // validity of an Authorization header field can be verified."
        Ok(digest_from_ha1(&input_of(creds, method, body), &ha1))
    }

    /// The `rspauth` of an Authentication-Info for the response (with
    /// `body`) to the request that carried `creds` (RFC 7616 §3.5): the
    /// server proves that it knows the user's secret, which the H(A1) is.
    pub fn response_auth(
        &self,
        creds: &Credentials,
        body: &[u8],
    ) -> Result<String, UnusableCredential> {
        // [RFC 7616 §3.5] "the server proves that it knows the
        // user's secret"
        self.request_digest(creds, "", body)
    }
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredCredential::Password(_) => f.write_str("Password(<redacted>)"),
            StoredCredential::Ha1(list) => f.debug_tuple("Ha1").field(list).finish(),
        }
    }
}

/// The digest inputs of `creds` for a request with `method` and `body`
/// (no password: the caller supplies H(A1)).
fn input_of<'a>(creds: &'a Credentials, method: &'a str, body: &'a [u8]) -> DigestInput<'a> {
    DigestInput {
        algorithm: creds.algorithm,
        username: &creds.username,
        realm: &creds.realm,
        password: "",
        nonce: &creds.nonce,
        cnonce: creds.cnonce.as_deref().unwrap_or_default(),
        nc: creds.nc.unwrap_or(0),
        qop: creds.qop,
        method,
        uri: &creds.uri,
        body,
    }
}

/// The client side: answers a challenge for one request.
///
/// `Debug` shows the username and never the password.
#[derive(Clone, Copy)]
pub struct DigestClient<'a> {
    /// The username.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
}

impl std::fmt::Debug for DigestClient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // [RFC 7616 §3.4] "The server implementation SHOULD be careful with
        // the information being logged so that it won't put a cleartext
        // password (e.g., entered into the username field) into the log."
        f.debug_struct("DigestClient")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl DigestClient<'_> {
    /// Credentials answering `challenge` for `method` and `uri` (the
    /// Request-URI). qop `auth` is preferred when offered, else `auth-int`;
    /// a challenge without qop is answered with `auth` (RFC 8760 §2.6). The cnonce is drawn from
    /// `rng`; `nc` counts the requests made with this nonce, from 1.
    pub fn respond(
        &self,
        challenge: &Challenge,
        method: &str,
        uri: &str,
        body: &[u8],
        nc: u32,
        rng: &mut impl RngCore,
    ) -> Credentials {
        let mut raw = [0u8; 16];
        rng.fill_bytes(&mut raw);
        let cnonce = hex::encode(raw);
        self.respond_with_cnonce(challenge, method, uri, body, nc, &cnonce)
    }

    /// As [`DigestClient::respond`] with a given cnonce (tests, replays).
    pub fn respond_with_cnonce(
        &self,
        challenge: &Challenge,
        method: &str,
        uri: &str,
        body: &[u8],
        nc: u32,
        cnonce: &str,
    ) -> Credentials {
        // [RFC 8760 §2.6] "If the "qop" parameter is not specified, then the default value
        // is "auth"."
        // [RFC 7616 §3.4] "Its value MUST be one of the alternatives the server indicated it
        // supports in the WWW-Authenticate header field."
        let qop = if challenge.qop.contains(&Qop::Auth) || challenge.qop.is_empty() {
            Qop::Auth
        } else {
            Qop::AuthInt
        };
        // [RFC 8760 §2.6] "a UAC MUST send the
        // "qop" parameter in any resulting authorization header field."
        let qop = Some(qop);
        let response = request_digest(&DigestInput {
            algorithm: challenge.algorithm,
            username: self.username,
            realm: &challenge.realm,
            password: self.password,
            nonce: &challenge.nonce,
            cnonce,
            nc,
            qop,
            method,
            uri,
            body,
        });
        let username = if challenge.userhash {
            // [RFC 7616 §3.4.4] "then the client MUST calculate a hash of the username after
            // any other hash calculation and include the userhash parameter with
            // the value of "true" in the Authorization header field."
            challenge
                .algorithm
                .hash_hex(format!("{}:{}", self.username, challenge.realm).as_bytes())
        } else {
            self.username.to_owned()
        };
        Credentials {
            username,
            realm: challenge.realm.clone(),
            nonce: challenge.nonce.clone(),
            // The caller passes the Request-URI (RFC 8760 §2.6: digest-uri-value
            // = Request-URI), so the two agree.
            // [RFC 7616 §3.4.6] "it MUST agree with the request-target"
            // A SIP Request-URI is always an absolute URI (RFC 3261 §25.1).
            // [RFC 7616 §3.4.6] "In particular, it MUST be an "absolute-URI" if the request-target
            // is an "absolute-URI"."
            uri: uri.to_owned(),
            response,
            algorithm: challenge.algorithm,
            // [RFC 7616 §3.4] "This parameter MUST be used by all implementations.  The cnonce
            // value is an opaque quoted ASCII-only string value"
            cnonce: qop.map(|_| cnonce.to_owned()),
            // [RFC 7616 §3.3] "A string of data, specified by the server, that SHOULD be returned
            // by the client unchanged in the Authorization header field"
            opaque: challenge.opaque.clone(),
            qop,
            nc: qop.map(|_| nc),
            userhash: challenge.userhash,
        }
    }
}

impl DigestClient<'_> {
    /// Checks the Authentication-Info of the response to the request that
    /// carried `creds` (answered for `challenge`): the cnonce and nc must be
    /// the request's and `rspauth` must prove that the server knows the
    /// password (mutual authentication, RFC 7616 §3.5). `body` is the body of
    /// the response (used with qop `auth-int`). False on any mismatch.
    pub fn verify_authentication_info(
        &self,
        creds: &Credentials,
        info: &AuthenticationInfo,
        body: &[u8],
    ) -> bool {
        // [RFC 7616 §3.5] "The cnonce value and nc value MUST be the ones for the client
        // request to which this message is the response."
        if info.cnonce != creds.cnonce || info.nc != creds.nc || info.qop != creds.qop {
            return false;
        }
        let Some(rspauth) = &info.rspauth else {
            return false;
        };
        let expected = response_auth(&DigestInput {
            algorithm: creds.algorithm,
            username: self.username,
            realm: &creds.realm,
            password: self.password,
            nonce: &creds.nonce,
            cnonce: creds.cnonce.as_deref().unwrap_or_default(),
            nc: creds.nc.unwrap_or(0),
            qop: creds.qop,
            method: "",
            uri: &creds.uri,
            body,
        });
        bool::from(
            expected
                .as_bytes()
                .ct_eq(rspauth.to_ascii_lowercase().as_bytes()),
        )
    }
}

/// The server's verdict on credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The credentials are good.
    Ok,
    /// The digest matched but the nonce expired: challenge again with
    /// `stale=true` (RFC 7616 §3.3).
    Stale,
    /// The nonce was not issued by this server (or was altered).
    BadNonce,
    /// Unknown user, wrong password, wrong realm or algorithm.
    Rejected,
    /// The user is known, but what is stored for them cannot check a
    /// response in this algorithm or realm: they have only an H(A1) of
    /// other algorithms, or one made for another realm. Challenge again
    /// offering only what their [`StoredCredential`] serves
    /// ([`DigestServer::challenges_serving`]).
    Unverifiable(UnusableCredential),
    /// The digest matched and the nonce is fresh, but its nonce count is not
    /// above the highest already accepted for that nonce: the request is a
    /// replay (or arrived after a later one). Only
    /// [`DigestServer::verify_counted`] returns it. Answer with a new
    /// challenge with `stale=true` (RFC 7616 §5.4): a legitimate client
    /// retries without asking its user; a replaying attacker, who does not
    /// know the password, cannot answer it.
    Replayed {
        /// The nonce count of the request.
        nc: u32,
        /// The highest nonce count accepted before for the same nonce.
        highest: u32,
    },
}

impl Verdict {
    /// True when the right answer is a new challenge with `stale=true`
    /// ([`Verdict::Stale`] and [`Verdict::Replayed`]): the credentials were
    /// right, only the nonce or its count was not acceptable.
    pub const fn wants_stale_challenge(&self) -> bool {
        matches!(self, Verdict::Stale | Verdict::Replayed { .. })
    }
}

/// Longest nonce [`NonceCounts`] records, in bytes: a nonce of
/// [`DigestServer`] is 44 bytes; longer ones are refused so that the table's
/// memory stays bounded by `capacity x MAX_TRACKED_NONCE_LEN`.
pub const MAX_TRACKED_NONCE_LEN: usize = 256;

/// Nonces [`DigestServer`] tracks for replay protection unless told
/// otherwise ([`DigestServer::with_nonce_capacity`]).
pub const DEFAULT_NONCE_CAPACITY: usize = 4096;

/// Why [`NonceCounts::check`] refused a nonce count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonceCountError {
    /// The count is not above the highest already accepted for the nonce.
    #[error(
        "nonce count {nc:08x} is not above {highest:08x}, already accepted for this nonce: \
         a replayed request (RFC 7616 §3.4, nc)"
    )]
    Replayed {
        /// The nonce count of the request.
        nc: u32,
        /// The highest count accepted before.
        highest: u32,
    },
    /// `nc=00000000`: the first request with a nonce counts 1.
    #[error(
        "nonce count 00000000: the first request with a nonce sends 00000001 (RFC 7616 §3.4, nc)"
    )]
    Zero,
    /// The nonce is older than the newest one evicted from the full table,
    /// and not in it: its counts are forgotten, so it cannot be checked.
    /// Challenge again with `stale=true`.
    #[error(
        "nonce issued at {issued} is not tracked and not newer than the evicted ones \
         (up to {evicted_up_to}): its nonce count cannot be checked"
    )]
    Forgotten {
        /// The issue time of the nonce.
        issued: u64,
        /// The newest issue time evicted from the table.
        evicted_up_to: u64,
    },
    /// The nonce is longer than [`MAX_TRACKED_NONCE_LEN`].
    #[error("nonce of {0} bytes is longer than the {MAX_TRACKED_NONCE_LEN} bytes tracked")]
    NonceTooLong(usize),
}

#[derive(Debug, Clone, Copy)]
struct CountEntry {
    highest: u32,
    issued: u64,
}

/// The highest nonce count accepted per nonce, for replay protection
/// (RFC 7616 §3.4 `nc`, §5.5), in a table of bounded size.
///
/// The table holds at most `capacity` nonces. When a new nonce arrives and
/// the table is full, the nonce that entered it first is evicted and its
/// issue time raises a watermark: from then on a nonce issued at or before
/// the watermark that is not in the table is refused
/// ([`NonceCountError::Forgotten`]) instead of being taken for a new one, so
/// an evicted nonce can never be replayed. Memory: at most `capacity`
/// entries of at most [`MAX_TRACKED_NONCE_LEN`] bytes of nonce each.
///
/// ```
/// use rtclite_sip::digest::{NonceCountError, NonceCounts};
/// let mut counts = NonceCounts::new(2);
/// counts.check("n1", 10, 1)?;
/// counts.check("n1", 10, 2)?;
/// assert_eq!(
///     counts.check("n1", 10, 2),
///     Err(NonceCountError::Replayed { nc: 2, highest: 2 })
/// );
/// counts.check("n2", 20, 1)?;
/// counts.check("n3", 30, 1)?; // evicts n1, issued at 10
/// assert!(matches!(counts.check("n1", 10, 3), Err(NonceCountError::Forgotten { .. })));
/// # Ok::<(), NonceCountError>(())
/// ```
#[derive(Debug, Clone)]
pub struct NonceCounts {
    capacity: usize,
    table: HashMap<Box<str>, CountEntry>,
    /// Nonces in the order they entered the table (eviction order).
    order: VecDeque<Box<str>>,
    /// The newest issue time among evicted nonces.
    evicted_up_to: Option<u64>,
}

impl NonceCounts {
    /// An empty table for at most `capacity` nonces (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            table: HashMap::new(),
            order: VecDeque::new(),
            evicted_up_to: None,
        }
    }

    /// The most nonces the table holds.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// The nonces tracked now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no nonce is tracked.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The highest count accepted for `nonce`, when it is tracked.
    pub fn highest(&self, nonce: &str) -> Option<u32> {
        self.table.get(nonce).map(|e| e.highest)
    }

    /// Accepts `nc` for `nonce` (issued at `issued`, on the caller's clock)
    /// when it is above every count accepted before for that nonce, and
    /// records it; refuses it otherwise. Call it only for credentials whose
    /// digest verified, so that a forger cannot burn counts.
    pub fn check(&mut self, nonce: &str, issued: u64, nc: u32) -> Result<(), NonceCountError> {
        if nonce.len() > MAX_TRACKED_NONCE_LEN {
            return Err(NonceCountError::NonceTooLong(nonce.len()));
        }
        // [RFC 7616 §3.4] "in the first request sent in response to a
        // given nonce value, the client sends "nc=00000001""
        if nc == 0 {
            return Err(NonceCountError::Zero);
        }
        if let Some(entry) = self.table.get_mut(nonce) {
            // [RFC 7616 §3.4] "if the same nc value is
            // seen twice, then the request is a replay."
            if nc <= entry.highest {
                return Err(NonceCountError::Replayed {
                    nc,
                    highest: entry.highest,
                });
            }
            entry.highest = nc;
            return Ok(());
        }
        if let Some(evicted_up_to) = self.evicted_up_to.filter(|w| issued <= *w) {
            return Err(NonceCountError::Forgotten {
                issued,
                evicted_up_to,
            });
        }
        while self.table.len() >= self.capacity {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(e) = self.table.remove(&old) {
                self.evicted_up_to = Some(self.evicted_up_to.map_or(e.issued, |w| w.max(e.issued)));
            }
        }
        let key: Box<str> = nonce.into();
        self.order.push_back(key.clone());
        self.table.insert(
            key,
            CountEntry {
                highest: nc,
                issued,
            },
        );
        Ok(())
    }

    /// Forgets the nonces issued before `oldest_valid` (they are stale
    /// anyway). They raise the watermark like evicted ones, so a forgotten
    /// nonce is never taken for a new one.
    pub fn prune_issued_before(&mut self, oldest_valid: u64) {
        let mut watermark = self.evicted_up_to;
        self.table.retain(|_, e| {
            let keep = e.issued >= oldest_valid;
            if !keep {
                watermark = Some(watermark.map_or(e.issued, |w| w.max(e.issued)));
            }
            keep
        });
        self.evicted_up_to = watermark;
        let table = &self.table;
        self.order.retain(|n| table.contains_key(n));
    }
}

impl Default for NonceCounts {
    fn default() -> Self {
        Self::new(DEFAULT_NONCE_CAPACITY)
    }
}

/// The Authentication-Info answering `creds`, with `rspauth`.
fn authentication_info_with(
    creds: &Credentials,
    rspauth: String,
    nextnonce: Option<String>,
) -> AuthenticationInfo {
    // [RFC 7616 §3.5] "The server SHOULD use the same value for
    // the qop parameter in the response as was sent by the client in the
    // corresponding request."
    AuthenticationInfo {
        nextnonce,
        qop: creds.qop,
        rspauth: Some(rspauth),
        cnonce: creds.cnonce.clone(),
        nc: creds.nc,
    }
}

type HmacSha256 = Hmac<Sha256>;

/// The server side: issues nonces that carry their issue time and a MAC,
/// so that verification needs no per-nonce state, and checks credentials.
///
/// Nonce = base64(issue time, 8 bytes big-endian || 8 random bytes ||
/// first 16 bytes of HMAC-SHA-256(secret, time || random)).
///
/// [`DigestServer::verify`] is stateless: a nonce is good until it expires,
/// however often it is used. [`DigestServer::verify_counted`] adds replay
/// protection: it remembers the highest nonce count accepted per nonce in
/// a bounded [`NonceCounts`] table ([`DEFAULT_NONCE_CAPACITY`] nonces unless
/// set with [`DigestServer::with_nonce_capacity`]) and refuses a repeated
/// or lower count ([`Verdict::Replayed`]).
#[derive(Debug, Clone)]
pub struct DigestServer {
    realm: String,
    secret: Vec<u8>,
    algorithm: Algorithm,
    /// Every algorithm accepted, most preferred first (`algorithm` first).
    algorithms: Vec<Algorithm>,
    lifetime: u64,
    counts: NonceCounts,
}

impl DigestServer {
    /// A server for `realm` with a nonce `secret` (keep it private and
    /// random), `algorithm` and nonces valid for `lifetime_secs`.
    pub fn new(realm: &str, secret: &[u8], algorithm: Algorithm, lifetime_secs: u64) -> Self {
        Self {
            realm: realm.to_owned(),
            secret: secret.to_vec(),
            algorithm,
            algorithms: vec![algorithm],
            lifetime: lifetime_secs,
            counts: NonceCounts::default(),
        }
    }

    /// The same server offering and accepting every algorithm of
    /// `preference`, most preferred first (RFC 8760 §2.3); a repeated
    /// algorithm is kept once, at its first place. An empty list changes
    /// nothing. [`DigestServer::challenge`] then uses the first one and
    /// [`DigestServer::challenges`] all of them.
    #[must_use]
    pub fn with_algorithms(mut self, preference: &[Algorithm]) -> Self {
        let mut list: Vec<Algorithm> = Vec::with_capacity(preference.len());
        for &a in preference {
            // [RFC 8760 §2.3] "If the UAS challenges the originator using multiple WWW-Authenticate/
            // Proxy-Authenticate header fields with the same realm, then each of
            // these header fields MUST use a different digest algorithm."
            if !list.contains(&a) {
                list.push(a);
            }
        }
        if let Some(&first) = list.first() {
            self.algorithm = first;
            self.algorithms = list;
        }
        self
    }

    /// The algorithms offered and accepted, most preferred first.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// One challenge per algorithm, most preferred first, all with the same
    /// nonce and opaque (issued at `now`): the WWW-Authenticate or
    /// Proxy-Authenticate values of one 401 or 407, in this order.
    ///
    /// ```
    /// use rand_core::RngCore;
    /// use rtclite_sip::digest::{Algorithm, DigestServer};
    /// # struct Counter(u64);
    /// # impl RngCore for Counter {
    /// #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
    /// #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
    /// #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u64() as u8 } }
    /// # }
    /// let server = DigestServer::new("atlanta.example.com", b"secret", Algorithm::Sha256, 300)
    ///     .with_algorithms(&[Algorithm::Sha256, Algorithm::Md5]);
    /// let offered = server.challenges(1_000, false, &mut Counter(0));
    /// assert_eq!(offered.len(), 2);
    /// assert_eq!(offered[0].algorithm, Algorithm::Sha256);
    /// assert_eq!(offered[1].algorithm, Algorithm::Md5);
    /// assert_eq!(offered[0].nonce, offered[1].nonce);
    /// ```
    pub fn challenges(&self, now: u64, stale: bool, rng: &mut impl RngCore) -> Vec<Challenge> {
        self.challenges_serving(now, stale, rng, |_| true)
    }

    /// As [`DigestServer::challenges`], for the algorithms `serves` accepts
    /// only: those the stored credentials of the user (or, when the user is
    /// not known yet, of any user) can verify, so that no client is invited
    /// to answer in an algorithm it cannot be checked in. Empty when none
    /// is left: no challenge can then succeed (a 403 is the answer).
    ///
    /// ```
    /// use rand_core::RngCore;
    /// use rtclite_sip::digest::{Algorithm, DigestServer, Ha1, StoredCredential};
    /// # struct Counter(u64);
    /// # impl RngCore for Counter {
    /// #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
    /// #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
    /// #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u64() as u8 } }
    /// # }
    /// let realm = "atlanta.example.com";
    /// let server = DigestServer::new(realm, b"secret", Algorithm::Sha256, 300)
    ///     .with_algorithms(&[Algorithm::Sha256, Algorithm::Md5]);
    /// let alice = StoredCredential::Ha1(vec![Ha1::from_password(Algorithm::Md5, "alice", realm, "pw")]);
    /// let offered = server.challenges_serving(1_000, false, &mut Counter(0), |a| alice.serves(a, realm));
    /// assert_eq!(offered.len(), 1);
    /// assert_eq!(offered[0].algorithm, Algorithm::Md5);
    /// ```
    pub fn challenges_serving(
        &self,
        now: u64,
        stale: bool,
        rng: &mut impl RngCore,
        serves: impl Fn(Algorithm) -> bool,
    ) -> Vec<Challenge> {
        // An algorithm nobody can be verified in is not offered: a client
        // answering it (the topmost, or the strongest) could never succeed.
        // [RFC 8760 §2.3] "The UAS MAY add multiple WWW-
        // Authenticate/Proxy-Authenticate header fields to allow the UAS to
        // utilize the best available algorithm supported by the client."
        let algorithms: Vec<Algorithm> = self
            .algorithms
            .iter()
            .copied()
            .filter(|&a| serves(a))
            .collect();
        if algorithms.is_empty() {
            return Vec::new();
        }
        let first = self.challenge(now, stale, rng);
        // [RFC 8760 §2.3] "The UAS
        // MUST add these header fields to the response in the order in which it
        // would prefer to see them used, starting with the most preferred
        // algorithm at the top."
        // [RFC 7616 §3.7] "The server MUST
        // add these challenges to the response in order of preference, starting
        // with the most preferred algorithm, followed by the less preferred
        // algorithm."
        algorithms
            .into_iter()
            .map(|algorithm| Challenge {
                algorithm,
                ..first.clone()
            })
            .collect()
    }

    /// The same server with a replay-protection table of `capacity` nonces
    /// (see [`NonceCounts`]); the table starts empty.
    #[must_use]
    pub fn with_nonce_capacity(mut self, capacity: usize) -> Self {
        self.counts = NonceCounts::new(capacity);
        self
    }

    /// The replay-protection table [`DigestServer::verify_counted`] keeps.
    pub const fn nonce_counts(&self) -> &NonceCounts {
        &self.counts
    }

    fn mac(&self, body: &[u8]) -> [u8; 16] {
        let mut out = [0u8; 16];
        if let Ok(mut m) = HmacSha256::new_from_slice(&self.secret) {
            m.update(body);
            let full = m.finalize().into_bytes();
            for (o, b) in out.iter_mut().zip(full.iter()) {
                *o = *b;
            }
        }
        out
    }

    /// A new challenge issued at `now` (seconds).
    // The nonce carries its issue time under a MAC: it is good for a
    // limited period, and verify_counted limits its uses to increasing
    // counts.
    // [RFC 7616 §5.4] "the server is free to construct the nonce such that it
    // MAY only be used from a particular client, for a particular resource,
    // for a limited period of time or number of uses"
    // [RFC 7616 §5.4 exception: nonce counts protect against replay and keep pipelining] "a server MAY
    // choose to allow each nonce value to be used only once"
    pub fn challenge(&self, now: u64, stale: bool, rng: &mut impl RngCore) -> Challenge {
        let mut body = [0u8; 16];
        body[..8].copy_from_slice(&now.to_be_bytes());
        rng.fill_bytes(&mut body[8..]);
        let mac = self.mac(&body);
        let mut nonce = Vec::with_capacity(32);
        nonce.extend_from_slice(&body);
        nonce.extend_from_slice(&mac);
        // [RFC 7616 §3.3] "It is
        // RECOMMENDED that this string be Base64 or hexadecimal data."
        let mut opaque = [0u8; 8];
        rng.fill_bytes(&mut opaque);
        Challenge {
            realm: self.realm.clone(),
            nonce: base64::engine::general_purpose::STANDARD.encode(nonce),
            opaque: Some(hex::encode(opaque)),
            algorithm: self.algorithm,
            // [RFC 8760 §2.6] "A UAS MUST always send a "qop" parameter in WWW-Authenticate and
            // Proxy-Authenticate header field values"
            // [RFC 7616 §3.3] "This parameter MUST be used by all implementations.  It is a
            // quoted string of one or more tokens"
            qop: vec![Qop::Auth, Qop::AuthInt],
            stale,
            // The server looks users up by name through the caller's
            // callback; a hashed name would need a table of
            // H(username ":" realm) per realm.
            // [RFC 7616 §3.4.4 exception: users are looked up by clear name] "the server SHOULD set the
            // userhash parameter with the value of "true""
            userhash: false,
        }
    }

    // [RFC 7616 §3.5] "The Digest Authentication scheme MAY add the Authentication-Info
    // header field in the confirmation request"
    // [RFC 7616 §3.5] "The server MAY send the Authentication-Info header field with a
    // nextnonce field as a means of implementing one-time nonces or
    // otherwise changing nonces."
    /// The Authentication-Info for a successful response to a request with
    /// `creds` (verified, [`Verdict::Ok`]): `rspauth` over `body` (the
    /// response body, for qop `auth-int`) with the user's `password`, the
    /// request's cnonce and nc, and `nextnonce` when given (e.g. a fresh
    /// [`DigestServer::challenge`] nonce, for one-time nonces).
    pub fn authentication_info(
        &self,
        creds: &Credentials,
        password: &str,
        body: &[u8],
        nextnonce: Option<String>,
    ) -> AuthenticationInfo {
        let rspauth = response_auth(&DigestInput {
            password,
            ..input_of(creds, "", body)
        });
        authentication_info_with(creds, rspauth, nextnonce)
    }

    /// As [`DigestServer::authentication_info`], from what is stored for
    /// the user: `rspauth` from their password or their [`Ha1`] for the
    /// algorithm of `creds` (RFC 7616 §3.5). Fails as
    /// [`StoredCredential::ha1`] does.
    ///
    /// ```
    /// use rtclite_sip::digest::*;
    /// let realm = "biloxi.example.com";
    /// let server = DigestServer::new(realm, b"k", Algorithm::Sha256, 300);
    /// let challenge = Challenge {
    ///     realm: realm.into(), nonce: "n".into(), opaque: None,
    ///     algorithm: Algorithm::Sha256, qop: vec![Qop::Auth], stale: false, userhash: false,
    /// };
    /// let client = DigestClient { username: "bob", password: "zanzibar" };
    /// let creds = client.respond_with_cnonce(&challenge, "REGISTER", "sip:biloxi.example.com", b"", 1, "c");
    /// let stored = StoredCredential::Ha1(vec![Ha1::from_password(Algorithm::Sha256, "bob", realm, "zanzibar")]);
    /// let info = server.authentication_info_stored(&creds, &stored, b"", None)?;
    /// assert!(client.verify_authentication_info(&creds, &info, b""));
    /// # Ok::<(), UnusableCredential>(())
    /// ```
    pub fn authentication_info_stored(
        &self,
        creds: &Credentials,
        stored: &StoredCredential,
        body: &[u8],
        nextnonce: Option<String>,
    ) -> Result<AuthenticationInfo, UnusableCredential> {
        let rspauth = stored.response_auth(creds, body)?;
        Ok(authentication_info_with(creds, rspauth, nextnonce))
    }

    /// Issue time of a nonce this server made, or `None`.
    fn nonce_time(&self, nonce: &str) -> Option<u64> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(nonce)
            .ok()?;
        if raw.len() != 32 {
            return None;
        }
        let (body, mac) = raw.split_at(16);
        if !bool::from(self.mac(body).ct_eq(mac)) {
            return None;
        }
        let mut t = [0u8; 8];
        t.copy_from_slice(body.get(..8)?);
        Some(u64::from_be_bytes(t))
    }

    /// Checks `creds` for a request with `method` and `body` at `now`;
    /// `password` looks the user's password up.
    ///
    /// Stateless: the nonce count is not checked, so a captured request can
    /// be replayed until its nonce expires. Use
    /// [`DigestServer::verify_counted`] to refuse replays.
    pub fn verify(
        &self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
        now: u64,
        password: impl FnOnce(&str) -> Option<String>,
    ) -> Verdict {
        self.verify_stored(creds, method, body, now, |u| {
            password(u).map(StoredCredential::Password)
        })
    }

    /// As [`DigestServer::verify`], with `stored` looking up what is kept
    /// for the user: a password or [`Ha1`] values (returned owned or
    /// borrowed from the caller's table). A user whose H(A1) does not serve
    /// the algorithm or realm of `creds` gets [`Verdict::Unverifiable`].
    ///
    /// ```
    /// use rand_core::RngCore;
    /// use rtclite_sip::digest::*;
    /// # struct Counter(u64);
    /// # impl RngCore for Counter {
    /// #     fn next_u32(&mut self) -> u32 { self.next_u64() as u32 }
    /// #     fn next_u64(&mut self) -> u64 { self.0 += 1; self.0 }
    /// #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u64() as u8 } }
    /// # }
    /// let realm = "biloxi.example.com";
    /// let server = DigestServer::new(realm, b"k", Algorithm::Sha256, 300)
    ///     .with_algorithms(&[Algorithm::Sha256, Algorithm::Md5]);
    /// // the operator stored only `printf 'bob:biloxi.example.com:zanzibar' | sha256sum`
    /// let bob = StoredCredential::Ha1(vec![Ha1::from_hex(
    ///     Algorithm::Sha256,
    ///     realm,
    ///     "99c7a074144922730f8c921decd75800202dc0534ebd20ab514af2c60ffc9073",
    /// )?]);
    /// let lookup = |user: &str| (user == "bob").then_some(&bob);
    /// let client = DigestClient { username: "bob", password: "zanzibar" };
    /// let mut rng = Counter(0);
    /// for challenge in server.challenges(10, false, &mut rng) {
    ///     let creds = client.respond(&challenge, "REGISTER", "sip:biloxi.example.com", b"", 1, &mut rng);
    ///     let verdict = server.verify_stored(&creds, "REGISTER", b"", 11, lookup);
    ///     match challenge.algorithm {
    ///         Algorithm::Sha256 => assert_eq!(verdict, Verdict::Ok),
    ///         _ => assert!(matches!(verdict, Verdict::Unverifiable(UnusableCredential::NoHa1 { .. }))),
    ///     }
    /// }
    /// # Ok::<(), Ha1Error>(())
    /// ```
    pub fn verify_stored<S: Borrow<StoredCredential>>(
        &self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
        now: u64,
        stored: impl FnOnce(&str) -> Option<S>,
    ) -> Verdict {
        self.verify_issued(creds, method, body, now, stored).0
    }

    /// As [`DigestServer::verify`], then, when the credentials are good,
    /// checks their nonce count against the highest accepted before for
    /// the same nonce and records it (RFC 7616 §3.4, §5.5).
    ///
    /// Returns [`Verdict::Replayed`] for a count not above the highest seen,
    /// [`Verdict::Stale`] for a nonce whose counts the bounded table had to
    /// forget, and [`Verdict::Rejected`] for credentials without `qop` and
    /// `nc` (the RFC 2069 form cannot be protected against replay). The
    /// count is recorded only after the digest verified, so that a request
    /// with a forged response cannot use up counts.
    pub fn verify_counted(
        &mut self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
        now: u64,
        password: impl FnOnce(&str) -> Option<String>,
    ) -> Verdict {
        self.verify_counted_stored(creds, method, body, now, |u| {
            password(u).map(StoredCredential::Password)
        })
    }

    /// As [`DigestServer::verify_counted`], with `stored` looking up what
    /// is kept for the user, as [`DigestServer::verify_stored`] does.
    pub fn verify_counted_stored<S: Borrow<StoredCredential>>(
        &mut self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
        now: u64,
        stored: impl FnOnce(&str) -> Option<S>,
    ) -> Verdict {
        // A nonce stays good for its lifetime and any increasing count, so
        // requests may be pipelined.
        // [RFC 7616 §3.5] "Server implementations SHOULD carefully consider the performance
        // implications of the use of this mechanism"
        // [RFC 7616 §3.5] "Consideration SHOULD be given
        // to the performance vs. security tradeoffs of allowing an old nonce
        // value to be used for a limited time to permit request pipelining."
        let (verdict, issued) = self.verify_issued(creds, method, body, now, stored);
        if verdict != Verdict::Ok {
            return verdict;
        }
        // [RFC 7616 §3.4] "This parameter MUST be used by all implementations.  The nc
        // parameter stands for "nonce count"."
        let (Some(nc), Some(_)) = (creds.nc, creds.qop) else {
            return Verdict::Rejected;
        };
        if self.counts.len() >= self.counts.capacity() {
            // stale nonces first, so that eviction takes only useless ones
            self.counts
                .prune_issued_before(now.saturating_sub(self.lifetime));
        }
        match self.counts.check(&creds.nonce, issued, nc) {
            Ok(()) => Verdict::Ok,
            // [RFC 7616 §3.4] "The purpose of
            // this parameter is to allow the server to detect request replays by
            // maintaining its own copy of this count"
            Err(NonceCountError::Replayed { nc, highest }) => Verdict::Replayed { nc, highest },
            Err(NonceCountError::Forgotten { .. }) => Verdict::Stale,
            Err(_) => Verdict::Rejected,
        }
    }

    /// The verdict and, for a nonce of ours, its issue time.
    fn verify_issued<S: Borrow<StoredCredential>>(
        &self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
        now: u64,
        stored: impl FnOnce(&str) -> Option<S>,
    ) -> (Verdict, u64) {
        // [RFC 7616 §3.4.4] "the server MAY reject the
        // request"
        if creds.realm != self.realm
            || !self.algorithms.contains(&creds.algorithm)
            || creds.userhash
        {
            return (Verdict::Rejected, 0);
        }
        let Some(issued) = self.nonce_time(&creds.nonce) else {
            return (Verdict::BadNonce, 0);
        };
        (
            self.check_digest(creds, method, body, now, issued, stored),
            issued,
        )
    }

    fn check_digest<S: Borrow<StoredCredential>>(
        &self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
        now: u64,
        issued: u64,
        stored: impl FnOnce(&str) -> Option<S>,
    ) -> Verdict {
        let qop = creds.qop;
        // [RFC 7616 §3.4] "The cnonce value is an opaque quoted ASCII-only string value
        // provided by the client and used by both client and server"
        if qop.is_some() && (creds.cnonce.is_none() || creds.nc.is_none()) {
            return Verdict::Rejected;
        }
        // RFC 8760 §2.6 replaces this for SIP, where forwarding changes the
        // Request-URI: the caller checks that `uri` names a user it serves.
        // [RFC 8760 §2.6 exception: the caller knows which users it serves] "in SIP, a UAS MUST check if the
        // Request-URI in the Authorization/Proxy-Authorization header field
        // value corresponds to a user for whom the UAS is willing to accept
        // forwarded or direct requests"
        // [RFC 7616 §3.4.6 exception: replaced by RFC 8760 §2.6 for SIP] "The authenticating server MUST
        // assure that the resource designated by the "uri" parameter is the
        // same as the resource specified in the Request-Line"
        //
        // [RFC 7616 §3.6] "Upon receiving the Authorization header field, the server MAY
        // check its validity by looking up the password that corresponds to the
        // submitted username."
        let Some(stored) = stored(&creds.username) else {
            return Verdict::Rejected;
        };
        // [RFC 2617 §3.3] "As long as H(A1) is available to the server, the
        // validity of an Authorization header may be verified."
        let expected = match stored.borrow().request_digest(creds, method, body) {
            Ok(expected) => expected,
            Err(unusable) => return Verdict::Unverifiable(unusable),
        };
        // [RFC 7616 §3.6] "Then, the server MUST perform the same digest
        // operation (e.g., MD5, SHA-256) performed by the client and compare
        // the result to the given response value."
        //
        // A sans-IO library does not log: the caller sees Verdict::Rejected.
        // [RFC 7616 §3.4 exception: the caller logs Verdict::Rejected] "If the response is
        // invalid, then a login failure SHOULD be logged"
        if !bool::from(
            expected
                .as_bytes()
                .ct_eq(creds.response.to_ascii_lowercase().as_bytes()),
        ) {
            return Verdict::Rejected;
        }
        // [RFC 7616 §3.3] "The server SHOULD only set stale to
        // true if it receives a request for which the nonce is invalid."
        // [RFC 7616 §3.6] "Alternatively,
        // the server MAY return a 401 response with a new nonce value in the
        // WWW-Authenticate header field"
        if now.saturating_sub(issued) > self.lifetime || issued > now {
            return Verdict::Stale;
        }
        // [RFC 7616 §3.6] "The server MAY
        // choose to accept the old Authorization header field information, even
        // though the nonce value included might not be fresh."
        Verdict::Ok
    }
}
