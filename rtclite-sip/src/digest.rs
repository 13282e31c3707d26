//! Digest access authentication for SIP: RFC 2617, RFC 7616 and the SIP
//! rules of RFC 8760 (RFC 3261 §22.4). Client: answer a WWW-Authenticate or
//! Proxy-Authenticate challenge. Server: issue challenges with nonces that
//! expire, verify credentials, report a stale nonce.
//!
//! Sans-IO: the caller passes the time (seconds on any clock of its own) and
//! the randomness (a `rand_core::RngCore`).

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
    pub const fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => 3,
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
            userhash: v
                .param("userhash")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
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
    let mut usable = values.into_iter().filter_map(|v| Challenge::parse(&v).ok());
    match how {
        // [RFC 8760 §2.4] "it SHOULD use
        // the topmost header field that it supports unless a local policy
        // dictates otherwise."
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
        let algorithm = match v.param("algorithm") {
            None => Algorithm::Md5,
            Some(a) => Algorithm::parse(&a).ok_or_else(unknown_algorithm)?,
        };
        let qop = match v.param("qop") {
            None => None,
            Some(q) => Some(Qop::parse(&q).ok_or_else(|| syntax("unknown qop").rfc(S))?),
        };
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
            userhash: v
                .param("userhash")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// The header value: `Digest username="...", ...`.
    pub fn to_header_value(&self) -> String {
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
    let alg = i.algorithm;
    let base = alg.hash_hex(format!("{}:{}:{}", i.username, i.realm, i.password).as_bytes());
    let ha1 = if alg.is_session() {
        // [RFC 7616 §3.4.2] "If the algorithm parameter's value is "<algorithm>-sess", e.g., "SHA-
        // 256-sess", then A1 is calculated using the nonce value provided in
        // the challenge from the server, and cnonce value from the request by
        // the client following receipt of a WWW-Authenticate challenge from the
        // server."
        alg.hash_hex(format!("{base}:{}:{}", i.nonce, i.cnonce).as_bytes())
    } else {
        base
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

/// The client side: answers a challenge for one request.
#[derive(Debug, Clone, Copy)]
pub struct DigestClient<'a> {
    /// The username.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
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
            uri: uri.to_owned(),
            response,
            algorithm: challenge.algorithm,
            cnonce: qop.map(|_| cnonce.to_owned()),
            opaque: challenge.opaque.clone(),
            qop,
            nc: qop.map(|_| nc),
            userhash: challenge.userhash,
        }
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
}

type HmacSha256 = Hmac<Sha256>;

/// The server side: issues nonces that carry their issue time and a MAC,
/// so that verification needs no per-nonce state, and checks credentials.
///
/// Nonce = base64(issue time, 8 bytes big-endian || 8 random bytes ||
/// first 16 bytes of HMAC-SHA-256(secret, time || random)). Replay
/// protection by nonce count is the caller's (it needs per-client state).
#[derive(Debug, Clone)]
pub struct DigestServer {
    realm: String,
    secret: Vec<u8>,
    algorithm: Algorithm,
    lifetime: u64,
}

impl DigestServer {
    /// A server for `realm` with a nonce `secret` (keep it private and
    /// random), `algorithm` and nonces valid for `lifetime_secs`.
    pub fn new(realm: &str, secret: &[u8], algorithm: Algorithm, lifetime_secs: u64) -> Self {
        Self {
            realm: realm.to_owned(),
            secret: secret.to_vec(),
            algorithm,
            lifetime: lifetime_secs,
        }
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
    pub fn challenge(&self, now: u64, stale: bool, rng: &mut impl RngCore) -> Challenge {
        let mut body = [0u8; 16];
        body[..8].copy_from_slice(&now.to_be_bytes());
        rng.fill_bytes(&mut body[8..]);
        let mac = self.mac(&body);
        let mut nonce = Vec::with_capacity(32);
        nonce.extend_from_slice(&body);
        nonce.extend_from_slice(&mac);
        let mut opaque = [0u8; 8];
        rng.fill_bytes(&mut opaque);
        Challenge {
            realm: self.realm.clone(),
            nonce: base64::engine::general_purpose::STANDARD.encode(nonce),
            opaque: Some(hex::encode(opaque)),
            algorithm: self.algorithm,
            // [RFC 8760 §2.6] "A UAS MUST always send a "qop" parameter in WWW-Authenticate and
            // Proxy-Authenticate header field values"
            qop: vec![Qop::Auth, Qop::AuthInt],
            stale,
            userhash: false,
        }
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
    pub fn verify(
        &self,
        creds: &Credentials,
        method: &str,
        body: &[u8],
        now: u64,
        password: impl FnOnce(&str) -> Option<String>,
    ) -> Verdict {
        if creds.realm != self.realm || creds.algorithm != self.algorithm || creds.userhash {
            return Verdict::Rejected;
        }
        let Some(issued) = self.nonce_time(&creds.nonce) else {
            return Verdict::BadNonce;
        };
        let qop = creds.qop;
        let Some(pw) = password(&creds.username) else {
            return Verdict::Rejected;
        };
        let expected = request_digest(&DigestInput {
            algorithm: creds.algorithm,
            username: &creds.username,
            realm: &creds.realm,
            password: &pw,
            nonce: &creds.nonce,
            cnonce: creds.cnonce.as_deref().unwrap_or_default(),
            nc: creds.nc.unwrap_or(0),
            qop,
            method,
            uri: &creds.uri,
            body,
        });
        if !bool::from(
            expected
                .as_bytes()
                .ct_eq(creds.response.to_ascii_lowercase().as_bytes()),
        ) {
            return Verdict::Rejected;
        }
        // [RFC 7616 §3.3] "The server SHOULD only set stale to
        // true if it receives a request for which the nonce is invalid."
        if now.saturating_sub(issued) > self.lifetime || issued > now {
            return Verdict::Stale;
        }
        Verdict::Ok
    }
}
