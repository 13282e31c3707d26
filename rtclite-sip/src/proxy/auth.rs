//! Digest authentication for the proxy and its registrar (RFC 3261 §22.3,
//! §10.3 steps 3-4) over part 1's [`DigestServer`]: a [`ProxyPolicy`] that
//! challenges REGISTER with 401 and, optionally, new requests with 407.

use std::collections::HashMap;
use std::time::Instant;

use rand_core::RngCore;
use sha2::{Digest, Sha256};

use crate::builder::{MessageBuilder, response_to};
use crate::digest::{Algorithm, Credentials, DigestServer, StoredCredential, Verdict};
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
/// Users may be stored with a password ([`DigestAuth::with_user`]) or with
/// precomputed H(A1) values only ([`DigestAuth::with_credential`]). A
/// challenge offers only the algorithms of [`DigestAuth::with_algorithms`]
/// that can be verified: those of the user the request names (the username
/// of its credentials for this realm, else the user of the To URI for
/// REGISTER and of the From URI otherwise) when that user is known, else
/// those of any user. So a user stored with only an MD5 H(A1) is offered
/// MD5 alone, and a client that prefers the strongest algorithm still
/// answers in one that can be checked. This tells whoever asks which
/// algorithms a known user's H(A1) values are for (not whether a user with
/// a password exists). When nothing can be offered, the answer is 403.
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
    users: HashMap<String, StoredCredential>,
    /// The base algorithms some user's stored credential serves in `realm`.
    served: Vec<Algorithm>,
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
            users: HashMap::new(),
            served: Vec::new(),
            challenge_requests: false,
            start,
            start_secs,
            secret,
            counter: 0,
        }
    }

    /// Adds a user with a password.
    #[must_use]
    pub fn with_user(self, username: &str, password: &str) -> Self {
        self.with_credential(username, StoredCredential::Password(password.to_owned()))
    }

    /// Adds a user with what is stored for them: a password or H(A1) values
    /// (an H(A1) made for another realm serves nothing here). Replaces what
    /// the user had.
    #[must_use]
    pub fn with_credential(mut self, username: &str, stored: StoredCredential) -> Self {
        for a in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256] {
            if stored.serves(a, &self.realm) && !self.served.contains(&a) {
                self.served.push(a);
            }
        }
        self.users.insert(username.to_owned(), stored);
        self
    }

    /// Offers and accepts every algorithm of `preference`, most preferred
    /// first (RFC 8760 §2.3; see [`DigestServer::with_algorithms`]),
    /// instead of the one given to [`DigestAuth::new`].
    #[must_use]
    pub fn with_algorithms(mut self, preference: &[Algorithm]) -> Self {
        self.server = self.server.with_algorithms(preference);
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
        username: Option<&str>,
    ) -> Option<OwnedMessage> {
        let secs = self.seconds(now);
        self.counter += 1;
        let mut rng = KeyedCounter {
            secret: self.secret,
            counter: self.counter,
            block: 0,
        };
        let realm = self.realm.as_str();
        let offered = match username.and_then(|u| self.users.get(u)) {
            Some(stored) => self
                .server
                .challenges_serving(secs, stale, &mut rng, |a| stored.serves(a, realm)),
            None => {
                let served = &self.served;
                self.server
                    .challenges_serving(secs, stale, &mut rng, |a| served.contains(&a.base()))
            }
        };
        let tag = hex::encode(
            Sha256::digest([&self.secret[..], &self.counter.to_be_bytes()].concat())
                .get(..8)
                .unwrap_or_default(),
        );
        if offered.is_empty() {
            // No algorithm offered can be verified for this user (or for
            // anyone): a challenge could not succeed.
            // [RFC 3261 §21.4.4] "Authorization will not help, and the
            // request SHOULD NOT be repeated."
            return response_to(request, 403, "Forbidden", Some(&tag)).ok();
        }
        let (code, reason, name) = if register {
            (401, "Unauthorized", HeaderName::WwwAuthenticate)
        } else {
            (
                407,
                "Proxy Authentication Required",
                HeaderName::ProxyAuthenticate,
            )
        };
        let r = response_to(request, code, reason, Some(&tag)).ok()?;
        offered
            .iter()
            .fold(MessageBuilder::from_message(&r.message()), |b, c| {
                b.header(name, c.to_header_value())
            })
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
        let mut username: Option<String> = None;
        for value in request.auth(header).flatten() {
            let Ok(creds) = Credentials::parse(&value) else {
                continue;
            };
            // [RFC 3261 §22.3] "When multiple proxies are used in a chain, a
            // Proxy- Authorization header field value MUST NOT be consumed by
            // any proxy whose realm does not match the "realm" parameter
            // specified in that value."
            if creds.realm != self.realm || !self.server.algorithms().contains(&creds.algorithm) {
                continue;
            }
            if username.is_none() && !creds.userhash {
                username = Some(creds.username.clone());
            }
            let users = &self.users;
            // [RFC 7616 §3.4] "The purpose of
            // this parameter is to allow the server to detect request replays by
            // maintaining its own copy of this count"
            // A replayed count (or a nonce whose counts were forgotten) had
            // the right password: answer with stale=true so an honest client
            // retries with a fresh nonce instead of asking its user again.
            // A user stored with H(A1) values only answering in another
            // algorithm gets Verdict::Unverifiable, and the new challenge
            // below offers only what that user can be checked in.
            let verdict = self.server.verify_counted_stored(
                &creds,
                method.as_str(),
                request.body(),
                secs,
                |u| users.get(u),
            );
            match verdict {
                Verdict::Ok => return None,
                v if v.wants_stale_challenge() => stale = true,
                _ => {}
            }
        }
        // No acceptable credentials: a proxy challenges with 407 (§22.3), the
        // registrar with 401 (§10.3 step 3).
        let username = username.or_else(|| named_user(request, register));
        self.challenge(now, request, register, stale, username.as_deref())
    }
}

/// The user part of the To URI of a REGISTER (the address-of-record,
/// RFC 3261 §10.2) or of the From URI of another request (the originator):
/// the user most likely to answer the challenge.
fn named_user(request: &Message<'_>, register: bool) -> Option<String> {
    let address = if register {
        request.to().ok()?
    } else {
        request.from().ok()?
    };
    address.uri().as_sip()?.user.map(str::to_owned)
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
