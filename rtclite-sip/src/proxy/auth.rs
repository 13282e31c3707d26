//! Digest authentication for the proxy and its registrar (RFC 3261 §22.3,
//! §10.3 steps 3-4) over part 1's [`DigestServer`]: a [`ProxyPolicy`] that
//! challenges REGISTER with 401 and, optionally, new requests with 407.

use std::collections::HashMap;
use std::time::Instant;

use rand_core::RngCore;
use sha2::{Digest, Sha256};

use crate::builder::{MessageBuilder, response_to};
use crate::digest::{Algorithm, Credentials, DigestServer, Verdict};
use crate::header_name::HeaderName;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;
use crate::proxy::ProxyPolicy;

/// How long a nonce stays valid, in seconds.
pub const NONCE_LIFETIME: u64 = 300;

/// A [`ProxyPolicy`] that checks digest credentials against a table of
/// users: REGISTER must carry Authorization (else 401 with
/// WWW-Authenticate, §10.3 step 3) and, when [`DigestAuth::challenge_requests`]
/// is set, every request that starts something (no To tag; not ACK or
/// CANCEL, which cannot be challenged, §22.1) must carry
/// Proxy-Authorization (else 407 with Proxy-Authenticate, §22.3).
///
/// Sans-IO: nonces carry their issue time in seconds since an epoch the
/// caller fixes at creation (`start` and its wall-clock value), and their
/// random part comes from a keyed counter under the caller's secret.
///
/// ```
/// use std::time::Instant;
/// use rtclite_sip::digest::Algorithm;
/// use rtclite_sip::proxy::{DigestAuth, ProxyPolicy};
/// use rtclite_sip::Message;
///
/// let mut auth = DigestAuth::new("biloxi.example.com", [7; 32], Algorithm::Md5, Instant::now(), 0)
///     .with_user("bob", "zanzibar");
/// let register = Message::parse(b"REGISTER sip:biloxi.example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds7\r\nMax-Forwards: 70\r\n\
/// To: <sip:bob@biloxi.example.com>\r\nFrom: <sip:bob@biloxi.example.com>;tag=1\r\n\
/// Call-ID: r1\r\nCSeq: 1 REGISTER\r\nContact: <sip:bob@192.0.2.4>\r\nContent-Length: 0\r\n\r\n")?;
/// let challenge = auth.authorize(Instant::now(), &register).unwrap();
/// assert_eq!(challenge.message().status(), Some(401));
/// # Ok::<(), rtclite_sip::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DigestAuth {
    server: DigestServer,
    realm: String,
    algorithm: Algorithm,
    users: HashMap<String, String>,
    challenge_requests: bool,
    start: Instant,
    start_secs: u64,
    secret: [u8; 32],
    counter: u64,
}

impl DigestAuth {
    /// Checks credentials for `realm` with `algorithm`; nonces are MACed
    /// with `secret`; `start` is now and `start_secs` the wall-clock time
    /// (seconds) it corresponds to.
    pub fn new(
        realm: &str,
        secret: [u8; 32],
        algorithm: Algorithm,
        start: Instant,
        start_secs: u64,
    ) -> Self {
        Self {
            server: DigestServer::new(realm, &secret, algorithm, NONCE_LIFETIME),
            realm: realm.to_owned(),
            algorithm,
            users: HashMap::new(),
            challenge_requests: false,
            start,
            start_secs,
            secret,
            counter: 0,
        }
    }

    /// Adds a user.
    #[must_use]
    pub fn with_user(mut self, username: &str, password: &str) -> Self {
        self.users.insert(username.to_owned(), password.to_owned());
        self
    }

    /// Also demand Proxy-Authorization on every new request (not only
    /// REGISTER).
    #[must_use]
    pub fn challenge_requests(mut self, on: bool) -> Self {
        self.challenge_requests = on;
        self
    }

    fn seconds(&self, now: Instant) -> u64 {
        self.start_secs
            .saturating_add(now.saturating_duration_since(self.start).as_secs())
    }

    fn challenge(
        &mut self,
        now: Instant,
        request: &Message<'_>,
        register: bool,
        stale: bool,
    ) -> Option<OwnedMessage> {
        let secs = self.seconds(now);
        self.counter += 1;
        let mut rng = KeyedCounter {
            secret: self.secret,
            counter: self.counter,
            block: 0,
        };
        let value = self
            .server
            .challenge(secs, stale, &mut rng)
            .to_header_value();
        let (code, reason, name) = if register {
            (401, "Unauthorized", HeaderName::WwwAuthenticate)
        } else {
            (
                407,
                "Proxy Authentication Required",
                HeaderName::ProxyAuthenticate,
            )
        };
        let tag = hex::encode(
            Sha256::digest([&self.secret[..], &self.counter.to_be_bytes()].concat())
                .get(..8)
                .unwrap_or_default(),
        );
        let r = response_to(request, code, reason, Some(&tag)).ok()?;
        MessageBuilder::from_message(&r.message())
            .header(name, value)
            .build()
            .ok()
    }
}

impl ProxyPolicy for DigestAuth {
    fn authorize(&mut self, now: Instant, request: &Message<'_>) -> Option<OwnedMessage> {
        let method = request.method()?;
        let register = method == Method::Register;
        if !register {
            // [RFC 3261 §22.1] "servers MUST NOT attempt to challenge CANCEL
            // requests since these requests cannot be resubmitted."
            let in_dialog = request.to().ok().and_then(|t| t.tag()).is_some();
            if !self.challenge_requests
                || in_dialog
                || matches!(method, Method::Ack | Method::Cancel)
            {
                return None;
            }
        }
        let header = if register {
            HeaderName::Authorization
        } else {
            HeaderName::ProxyAuthorization
        };
        let secs = self.seconds(now);
        let mut stale = false;
        for value in request.auth(header).flatten() {
            let Ok(creds) = Credentials::parse(&value) else {
                continue;
            };
            // [RFC 3261 §22.3] "When multiple proxies are used in a chain, a
            // Proxy- Authorization header field value MUST NOT be consumed by
            // any proxy whose realm does not match the "realm" parameter
            // specified in that value."
            if creds.realm != self.realm || creds.algorithm != self.algorithm {
                continue;
            }
            let users = &self.users;
            // [RFC 7616 §3.4] "The purpose of
            // this parameter is to allow the server to detect request replays by
            // maintaining its own copy of this count"
            // A replayed count (or a nonce whose counts were forgotten) had
            // the right password: answer with stale=true so an honest client
            // retries with a fresh nonce instead of asking its user again.
            let verdict =
                self.server
                    .verify_counted(&creds, method.as_str(), request.body(), secs, |u| {
                        users.get(u).cloned()
                    });
            match verdict {
                Verdict::Ok => return None,
                v if v.wants_stale_challenge() => stale = true,
                _ => {}
            }
        }
        // No acceptable credentials: a proxy challenges with 407 (§22.3), the
        // registrar with 401 (§10.3 step 3).
        self.challenge(now, request, register, stale)
    }
}

/// Random-looking bytes from SHA-256 over a secret and a counter: the
/// nonces' random part without an RNG the caller must supply.
struct KeyedCounter {
    secret: [u8; 32],
    counter: u64,
    block: u64,
}

impl RngCore for KeyedCounter {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_be_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_be_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(32) {
            self.block += 1;
            let h = Sha256::digest(
                [
                    &self.secret[..],
                    &self.counter.to_be_bytes(),
                    &self.block.to_be_bytes(),
                ]
                .concat(),
            );
            for (d, s) in chunk.iter_mut().zip(h.iter()) {
                *d = *s;
            }
        }
    }
}
