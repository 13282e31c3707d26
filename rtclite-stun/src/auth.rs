//! The checks of the credential mechanisms, with the failing check named
//! (RFC 8489 §9.1.3, §9.1.4, §9.2.4, §9.2.5).
//!
//! A server calls [`verify_short_term_request`] or
//! [`verify_long_term_request`] after [`Message::parse`]; on failure the
//! returned [`AuthFailure`] says which check failed, which error code the
//! response must carry (or that the message must be discarded), and which
//! attributes that response must include. A client calls
//! [`verify_response`] on every response it receives.

use std::net::SocketAddr;

use crate::attribute::{Attribute, AttributeType};
use crate::integrity::{Check, IntegrityKey, PasswordAlgorithm};
use crate::message::{Class, Message};
use crate::nonce::SecurityFeatures;

/// Which integrity attribute authenticated a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegrityAlgorithm {
    /// MESSAGE-INTEGRITY (HMAC-SHA1).
    Sha1,
    /// MESSAGE-INTEGRITY-SHA256.
    Sha256,
}

/// A check of §9 failed; the variant names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFailure {
    /// No MESSAGE-INTEGRITY(-SHA256) or no USERNAME (short-term), or no
    /// integrity at all (long-term: the first request of the challenge).
    #[error("no {missing} attribute (RFC 8489 {section})")]
    Missing {
        /// The attribute(s) missing.
        missing: &'static str,
        /// Section of the check.
        section: &'static str,
        /// The error code the check prescribes (400 or 401).
        code: u16,
    },
    /// The USERNAME (or USERHASH) is not one the server knows.
    #[error("unknown username (RFC 8489 {section})")]
    UnknownUser {
        /// Section of the check.
        section: &'static str,
    },
    /// The integrity attribute does not match.
    #[error("{attribute} does not match (RFC 8489 {section})")]
    IntegrityMismatch {
        /// `MESSAGE-INTEGRITY` or `MESSAGE-INTEGRITY-SHA256`.
        attribute: &'static str,
        /// Section of the check.
        section: &'static str,
    },
    /// The NONCE is not (or no longer) valid.
    #[error("stale nonce (RFC 8489 §9.2.4)")]
    StaleNonce,
    /// PASSWORD-ALGORITHM / PASSWORD-ALGORITHMS do not match what the server sent.
    #[error("password algorithm mismatch: {0} (RFC 8489 §9.2.4)")]
    PasswordAlgorithm(&'static str),
    /// A value could not be decoded.
    #[error("malformed {0} attribute")]
    Malformed(&'static str),
    /// A response's integrity algorithm differs from the only one the client sent.
    #[error("response authenticated with a different algorithm than the request (RFC 8489 §9.1.4)")]
    AlgorithmMismatch,
}

impl AuthFailure {
    /// The error code a server's response carries for a failed request
    /// (400, 401 or 438).
    pub fn error_code(&self) -> u16 {
        match self {
            AuthFailure::Missing { code, .. } => *code,
            AuthFailure::UnknownUser { .. } | AuthFailure::IntegrityMismatch { .. } => 401,
            AuthFailure::StaleNonce => 438,
            AuthFailure::PasswordAlgorithm(_)
            | AuthFailure::Malformed(_)
            | AuthFailure::AlgorithmMismatch => 400,
        }
    }
}

/// A request that passed the checks.
#[derive(Debug, Clone)]
pub struct Authenticated<'a> {
    /// The USERNAME value, or `None` when USERHASH was used.
    pub username: Option<&'a str>,
    /// The key that verified the message; use it for the response.
    pub key: IntegrityKey,
    /// Which integrity attribute verified it (the response must use the same).
    pub algorithm: IntegrityAlgorithm,
}

fn check_integrity<'a>(
    msg: &Message<'a>,
    key: &IntegrityKey,
    section: &'static str,
) -> Result<IntegrityAlgorithm, AuthFailure> {
    // [RFC 8489 §9.1.3] "If the MESSAGE-INTEGRITY-SHA256 attribute is present, compute the
    // value for the message integrity as described in Section 14.6"
    if msg.integrity_sha256_offset().is_some() {
        return match msg.check_integrity_sha256(key) {
            Check::Valid => Ok(IntegrityAlgorithm::Sha256),
            _ => Err(AuthFailure::IntegrityMismatch {
                attribute: "MESSAGE-INTEGRITY-SHA256",
                section,
            }),
        };
    }
    match msg.check_integrity(key) {
        Check::Valid => Ok(IntegrityAlgorithm::Sha1),
        _ => Err(AuthFailure::IntegrityMismatch {
            attribute: "MESSAGE-INTEGRITY",
            section,
        }),
    }
}

fn text_attr<'a>(
    msg: &Message<'a>,
    t: AttributeType,
    name: &'static str,
) -> Result<Option<&'a str>, AuthFailure> {
    match msg.get(t) {
        None => Ok(None),
        Some(Ok(Attribute::Username(s) | Attribute::Realm(s) | Attribute::Nonce(s))) => Ok(Some(s)),
        Some(_) => Err(AuthFailure::Malformed(name)),
    }
}

/// Checks a request or indication under the short-term mechanism.
/// `password_for` maps a USERNAME to its key, `None` when unknown.
pub fn verify_short_term_request<'a>(
    msg: &Message<'a>,
    password_for: impl FnOnce(&str) -> Option<IntegrityKey>,
) -> Result<Authenticated<'a>, AuthFailure> {
    let username = text_attr(msg, AttributeType::USERNAME, "USERNAME")?;
    // [RFC 8489 §9.1.3] "If the message does not contain 1) a MESSAGE-INTEGRITY or a
    // MESSAGE-INTEGRITY-SHA256 attribute and 2) a USERNAME attribute"
    let (Some(username), true) = (username, msg.has_integrity()) else {
        // [RFC 8489 §9.1.3] "This response MUST use an error code
        // of 400 (Bad Request)."
        return Err(AuthFailure::Missing {
            missing: "USERNAME or message integrity",
            section: "§9.1.3",
            code: 400,
        });
    };
    // [RFC 8489 §9.1.3] "If the USERNAME does not contain a username value currently valid
    // within the server"
    let key = password_for(username).ok_or(AuthFailure::UnknownUser { section: "§9.1.3" })?;
    let algorithm = check_integrity(msg, &key, "§9.1.3")?;
    Ok(Authenticated {
        username: Some(username),
        key,
        algorithm,
    })
}

/// What the server decides about a NONCE it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceState {
    /// Issued by this server and still valid.
    Valid,
    /// Not valid (expired, or never issued for this client).
    Stale,
}

/// Server-side policy of the long-term mechanism.
pub trait LongTermServer {
    /// The realm.
    fn realm(&self) -> &str;
    /// The state of a nonce received from `client`.
    fn nonce_state(&self, nonce: &str, client: SocketAddr) -> NonceState;
    /// The key of `username` (the USERNAME value) under `algorithm`.
    fn key_for(&self, username: &str, algorithm: PasswordAlgorithm) -> Option<IntegrityKey>;
    /// The username whose USERHASH is `hash`, when username anonymity is offered.
    fn user_for_hash(&self, _hash: &[u8; 32]) -> Option<String> {
        None
    }
    /// The PASSWORD-ALGORITHMS value this server sends with its nonces
    /// (empty: it does not offer the "Password algorithms" feature).
    fn password_algorithms(&self) -> &[u8] {
        &[]
    }
}

/// A long-term request that passed the checks (USERHASH users are resolved to a name).
#[derive(Debug, Clone)]
pub struct LongTermAuthenticated {
    /// The user's name.
    pub username: String,
    /// The key that verified the message.
    pub key: IntegrityKey,
    /// Which integrity attribute verified it.
    pub algorithm: IntegrityAlgorithm,
    /// The password algorithm in use.
    pub password_algorithm: PasswordAlgorithm,
}

/// Checks a request under the long-term mechanism, in the order of §9.2.4.
pub fn verify_long_term_request(
    msg: &Message<'_>,
    client: SocketAddr,
    server: &impl LongTermServer,
) -> Result<LongTermAuthenticated, AuthFailure> {
    // [RFC 8489 §9.2.4] "If the message does not contain a MESSAGE-INTEGRITY or MESSAGE-
    // INTEGRITY-SHA256 attribute, the server MUST generate an error
    // response with an error code of 401 (Unauthenticated)."
    if !msg.has_integrity() {
        return Err(AuthFailure::Missing {
            missing: "MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256",
            section: "§9.2.4",
            code: 401,
        });
    }
    let username = text_attr(msg, AttributeType::USERNAME, "USERNAME")?;
    let userhash = match msg.get(AttributeType::USERHASH) {
        None => None,
        Some(Ok(Attribute::UserHash(h))) => Some(h),
        Some(_) => return Err(AuthFailure::Malformed("USERHASH")),
    };
    let realm = text_attr(msg, AttributeType::REALM, "REALM")?;
    let nonce = text_attr(msg, AttributeType::NONCE, "NONCE")?;
    // [RFC 8489 §9.2.4] "but is missing either the USERNAME or
    // USERHASH, REALM, or NONCE attribute, the server MUST generate an
    // error response with an error code of 400 (Bad Request)."
    let (Some(_), Some(nonce)) = (realm, nonce) else {
        return Err(AuthFailure::Missing {
            missing: "REALM or NONCE",
            section: "§9.2.4",
            code: 400,
        });
    };
    if username.is_none() && userhash.is_none() {
        return Err(AuthFailure::Missing {
            missing: "USERNAME or USERHASH",
            section: "§9.2.4",
            code: 400,
        });
    }
    let mut password_algorithm = PasswordAlgorithm::Md5;
    let features = SecurityFeatures::from_nonce(nonce).unwrap_or_default();
    if features.contains(SecurityFeatures::PASSWORD_ALGORITHMS) {
        let algs = msg.get_raw(AttributeType::PASSWORD_ALGORITHMS);
        let alg = msg.get(AttributeType::PASSWORD_ALGORITHM);
        match (algs, alg) {
            // [RFC 8489 §9.2.4] "If the request contains neither the PASSWORD-ALGORITHMS nor the
            // PASSWORD-ALGORITHM algorithm, then the request is processed as
            // though PASSWORD-ALGORITHM were MD5."
            (None, None) => {}
            (Some(algs), Some(Ok(Attribute::PasswordAlgorithm(chosen)))) => {
                // [RFC 8489 §9.2.4] "PASSWORD-ALGORITHMS matches
                // the value sent in the response that sent this NONCE"
                if algs.value != server.password_algorithms() {
                    return Err(AuthFailure::PasswordAlgorithm(
                        "PASSWORD-ALGORITHMS differs from the server's",
                    ));
                }
                let listed = crate::attribute::password_algorithms(algs.value)
                    .map_err(|_| AuthFailure::Malformed("PASSWORD-ALGORITHMS"))?
                    .iter()
                    .any(|e| e == chosen);
                if !listed {
                    return Err(AuthFailure::PasswordAlgorithm(
                        "PASSWORD-ALGORITHM not in PASSWORD-ALGORITHMS",
                    ));
                }
                password_algorithm = PasswordAlgorithm::from_code(chosen.algorithm).ok_or(
                    AuthFailure::PasswordAlgorithm("unsupported PASSWORD-ALGORITHM"),
                )?;
            }
            _ => {
                return Err(AuthFailure::PasswordAlgorithm(
                    "only one of PASSWORD-ALGORITHM(S) present",
                ));
            }
        }
    }
    // [RFC 8489 §9.2.4] "If the value of the USERNAME or USERHASH attribute is not valid,
    // the server MUST generate an error response with an error code of
    // 401 (Unauthenticated)."
    let name: String = match (username, userhash) {
        (Some(u), _) => u.to_owned(),
        (None, Some(h)) => server
            .user_for_hash(h)
            .ok_or(AuthFailure::UnknownUser { section: "§9.2.4" })?,
        (None, None) => {
            return Err(AuthFailure::Missing {
                missing: "USERNAME or USERHASH",
                section: "§9.2.4",
                code: 400,
            });
        }
    };
    let key = server
        .key_for(&name, password_algorithm)
        .ok_or(AuthFailure::UnknownUser { section: "§9.2.4" })?;
    let algorithm = check_integrity(msg, &key, "§9.2.4")?;
    // [RFC 8489 §9.2.4] "If the NONCE is no longer valid, the server MUST generate an error
    // response with an error code of 438 (Stale Nonce)."
    if server.nonce_state(nonce, client) == NonceState::Stale {
        return Err(AuthFailure::StaleNonce);
    }
    Ok(LongTermAuthenticated {
        username: name,
        key,
        algorithm,
        password_algorithm,
    })
}

/// Checks a response received by a client. `sent` is the integrity
/// algorithm(s) the request carried: `None` for both (a first request under
/// §9.1.2), `Some(alg)` when only one was sent.
///
/// `Err` means the response must be discarded (over UDP, retransmissions
/// go on; over a reliable transport the transaction ends with an integrity
/// failure).
pub fn verify_response(
    msg: &Message<'_>,
    key: &IntegrityKey,
    sent: Option<IntegrityAlgorithm>,
) -> Result<IntegrityAlgorithm, AuthFailure> {
    debug_assert!(
        msg.class().is_response()
            || msg.class() == Class::Indication
            || msg.class() == Class::Request
    );
    if !msg.has_integrity() {
        // [RFC 8489 §9.1.4] "If the value does not match, or if both MESSAGE-
        // INTEGRITY and MESSAGE-INTEGRITY-SHA256 are absent, the processing
        // depends on whether the request was sent over a reliable or an
        // unreliable transport."
        return Err(AuthFailure::Missing {
            missing: "MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256",
            section: "§9.1.4",
            code: 400,
        });
    }
    let got = check_integrity(msg, key, "§9.1.4")?;
    // [RFC 8489 §9.1.4] "the algorithm in the response has to match;
    // otherwise, the response MUST be discarded."
    if let Some(sent) = sent {
        if sent != got {
            return Err(AuthFailure::AlgorithmMismatch);
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::encode_password_algorithms;
    use crate::message::{MessageType, MessageWriter, TransactionId};

    const CLIENT: &str = "192.0.2.10:4000";

    fn short_term_request(
        username: Option<&str>,
        key: Option<&IntegrityKey>,
        sha256: bool,
    ) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::BINDING_REQUEST,
            TransactionId([5; 12]),
        );
        if let Some(u) = username {
            w.attribute(&Attribute::Username(u)).unwrap();
        }
        if let Some(k) = key {
            if sha256 {
                w.message_integrity_sha256(k).unwrap();
            } else {
                w.message_integrity(k).unwrap();
            }
        }
        w.finish();
        buf
    }

    // [RFC 8489 §9.1.3 test] "If the message is a request, the server MUST reject the request
    // with an error response.  This response MUST use an error code
    // of 400 (Bad Request)."
    #[test]
    fn short_term_missing_username_or_integrity_is_400() {
        let key = IntegrityKey::short_term("pw").unwrap();
        for bytes in [
            short_term_request(None, Some(&key), false),
            short_term_request(Some("u"), None, false),
        ] {
            let msg = Message::parse(&bytes).unwrap();
            let err = verify_short_term_request(&msg, |_| Some(key.clone())).unwrap_err();
            assert!(
                matches!(err, AuthFailure::Missing { code: 400, .. }),
                "{err:?}"
            );
            assert_eq!(err.error_code(), 400);
        }
    }

    // [RFC 8489 §9.1.3 test] "If the USERNAME does not contain a username value currently valid
    // within the server"
    #[test]
    fn short_term_unknown_user_and_bad_integrity_are_401() {
        let key = IntegrityKey::short_term("pw").unwrap();
        let bytes = short_term_request(Some("u"), Some(&key), false);
        let msg = Message::parse(&bytes).unwrap();
        let err = verify_short_term_request(&msg, |_| None).unwrap_err();
        assert_eq!(err, AuthFailure::UnknownUser { section: "§9.1.3" });
        assert_eq!(err.error_code(), 401);
        let other = IntegrityKey::short_term("other").unwrap();
        let err = verify_short_term_request(&msg, |_| Some(other.clone())).unwrap_err();
        assert_eq!(
            err,
            AuthFailure::IntegrityMismatch {
                attribute: "MESSAGE-INTEGRITY",
                section: "§9.1.3"
            }
        );
        let ok = verify_short_term_request(&msg, |u| (u == "u").then(|| key.clone())).unwrap();
        assert_eq!(
            (ok.username, ok.algorithm),
            (Some("u"), IntegrityAlgorithm::Sha1)
        );
    }

    // [RFC 8489 §9.1.4 test] "the algorithm in the response has to match;
    // otherwise, the response MUST be discarded."
    #[test]
    fn response_algorithm_must_match_the_request() {
        let key = IntegrityKey::short_term("pw").unwrap();
        let bytes = short_term_request(Some("u"), Some(&key), true);
        let msg = Message::parse(&bytes).unwrap();
        assert_eq!(
            verify_response(&msg, &key, None),
            Ok(IntegrityAlgorithm::Sha256)
        );
        assert_eq!(
            verify_response(&msg, &key, Some(IntegrityAlgorithm::Sha1)),
            Err(AuthFailure::AlgorithmMismatch)
        );
        let bare = short_term_request(Some("u"), None, false);
        assert!(matches!(
            verify_response(&Message::parse(&bare).unwrap(), &key, None),
            Err(AuthFailure::Missing { .. })
        ));
    }

    struct Server {
        algs: Vec<u8>,
        stale: bool,
    }

    impl LongTermServer for Server {
        fn realm(&self) -> &str {
            "example.org"
        }
        fn nonce_state(&self, _nonce: &str, _client: SocketAddr) -> NonceState {
            if self.stale {
                NonceState::Stale
            } else {
                NonceState::Valid
            }
        }
        fn key_for(&self, username: &str, algorithm: PasswordAlgorithm) -> Option<IntegrityKey> {
            (username == "alice")
                .then(|| IntegrityKey::long_term("alice", "example.org", "pw", algorithm).unwrap())
        }
        fn user_for_hash(&self, hash: &[u8; 32]) -> Option<String> {
            (*hash == crate::integrity::userhash("alice", "example.org").unwrap())
                .then(|| "alice".to_owned())
        }
        fn password_algorithms(&self) -> &[u8] {
            &self.algs
        }
    }

    struct Req<'a> {
        user: Option<&'a str>,
        userhash: bool,
        realm: bool,
        nonce: &'a str,
        algs: Option<&'a [u8]>,
        alg: Option<PasswordAlgorithm>,
        key: Option<IntegrityKey>,
    }

    fn long_term(r: Req<'_>) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::BINDING_REQUEST,
            TransactionId([6; 12]),
        );
        if let Some(u) = r.user {
            w.attribute(&Attribute::Username(u)).unwrap();
        }
        let hash = crate::integrity::userhash("alice", "example.org").unwrap();
        if r.userhash {
            w.attribute(&Attribute::UserHash(&hash)).unwrap();
        }
        if r.realm {
            w.attribute(&Attribute::Realm("example.org")).unwrap();
        }
        w.attribute(&Attribute::Nonce(r.nonce)).unwrap();
        if let Some(a) = r.algs {
            w.raw_attribute(AttributeType::PASSWORD_ALGORITHMS, a)
                .unwrap();
        }
        if let Some(a) = r.alg {
            w.attribute(&Attribute::PasswordAlgorithm(
                crate::attribute::PasswordAlgorithmEntry {
                    algorithm: a.code(),
                    parameters: &[],
                },
            ))
            .unwrap();
        }
        if let Some(k) = &r.key {
            if r.algs.is_some() {
                w.message_integrity_sha256(k).unwrap();
            } else {
                w.message_integrity(k).unwrap();
            }
        }
        w.finish();
        buf
    }

    fn md5_key() -> IntegrityKey {
        IntegrityKey::long_term("alice", "example.org", "pw", PasswordAlgorithm::Md5).unwrap()
    }

    fn base() -> Req<'static> {
        Req {
            user: Some("alice"),
            userhash: false,
            realm: true,
            nonce: "n0nce",
            algs: None,
            alg: None,
            key: Some(md5_key()),
        }
    }

    fn check(r: Req<'_>, server: &Server) -> Result<LongTermAuthenticated, AuthFailure> {
        let bytes = long_term(r);
        let msg = Message::parse(&bytes).unwrap();
        verify_long_term_request(&msg, CLIENT.parse().unwrap(), server)
    }

    // [RFC 8489 §9.2.4 test] "If the message does not contain a MESSAGE-INTEGRITY or MESSAGE-
    // INTEGRITY-SHA256 attribute, the server MUST generate an error
    // response with an error code of 401 (Unauthenticated)."
    #[test]
    fn long_term_checks_in_order_each_named() {
        let s = Server {
            algs: Vec::new(),
            stale: false,
        };
        let e = check(
            Req {
                key: None,
                ..base()
            },
            &s,
        )
        .unwrap_err();
        assert_eq!(e.error_code(), 401);
        assert!(matches!(
            e,
            AuthFailure::Missing {
                missing: "MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256",
                ..
            }
        ));
        let e = check(
            Req {
                realm: false,
                ..base()
            },
            &s,
        )
        .unwrap_err();
        assert_eq!(
            (
                e.error_code(),
                matches!(
                    e,
                    AuthFailure::Missing {
                        missing: "REALM or NONCE",
                        ..
                    }
                )
            ),
            (400, true)
        );
        let e = check(
            Req {
                user: None,
                ..base()
            },
            &s,
        )
        .unwrap_err();
        assert_eq!(e.error_code(), 400);
        let e = check(
            Req {
                user: Some("mallory"),
                ..base()
            },
            &s,
        )
        .unwrap_err();
        assert_eq!(e, AuthFailure::UnknownUser { section: "§9.2.4" });
        let wrong = IntegrityKey::long_term("alice", "example.org", "nope", PasswordAlgorithm::Md5)
            .unwrap();
        let e = check(
            Req {
                key: Some(wrong),
                ..base()
            },
            &s,
        )
        .unwrap_err();
        assert_eq!(
            e,
            AuthFailure::IntegrityMismatch {
                attribute: "MESSAGE-INTEGRITY",
                section: "§9.2.4"
            }
        );
        let ok = check(base(), &s).unwrap();
        assert_eq!(
            (ok.username.as_str(), ok.algorithm, ok.password_algorithm),
            ("alice", IntegrityAlgorithm::Sha1, PasswordAlgorithm::Md5)
        );
        // [RFC 8489 §9.2.4 test] "If the NONCE is no longer valid, the server MUST generate an error
        // response with an error code of 438 (Stale Nonce)."
        let e = check(
            base(),
            &Server {
                algs: Vec::new(),
                stale: true,
            },
        )
        .unwrap_err();
        assert_eq!((e.clone(), e.error_code()), (AuthFailure::StaleNonce, 438));
    }

    #[test]
    fn long_term_userhash_resolves_the_user() {
        let s = Server {
            algs: Vec::new(),
            stale: false,
        };
        let ok = check(
            Req {
                user: None,
                userhash: true,
                ..base()
            },
            &s,
        )
        .unwrap();
        assert_eq!(ok.username, "alice");
    }

    // [RFC 8489 §9.2.4 test] "PASSWORD-ALGORITHMS matches
    // the value sent in the response that sent this NONCE"
    #[test]
    fn long_term_password_algorithms_bid_down_protection() {
        use crate::attribute::PasswordAlgorithmEntry as E;
        let algs = encode_password_algorithms(&[
            E {
                algorithm: 2,
                parameters: &[],
            },
            E {
                algorithm: 1,
                parameters: &[],
            },
        ])
        .unwrap();
        let s = Server {
            algs: algs.clone(),
            stale: false,
        };
        let cookie = crate::nonce::SecurityFeatures::PASSWORD_ALGORITHMS.nonce_cookie() + "xyz";
        let sha_key =
            IntegrityKey::long_term("alice", "example.org", "pw", PasswordAlgorithm::Sha256)
                .unwrap();
        let good = Req {
            nonce: &cookie,
            algs: Some(&algs),
            alg: Some(PasswordAlgorithm::Sha256),
            key: Some(sha_key.clone()),
            ..base()
        };
        let ok = check(good, &s).unwrap();
        assert_eq!(
            (ok.algorithm, ok.password_algorithm),
            (IntegrityAlgorithm::Sha256, PasswordAlgorithm::Sha256)
        );
        // An attacker stripped SHA-256 from the list the client echoes.
        let stripped = encode_password_algorithms(&[E {
            algorithm: 1,
            parameters: &[],
        }])
        .unwrap();
        let e = check(
            Req {
                nonce: &cookie,
                algs: Some(&stripped),
                alg: Some(PasswordAlgorithm::Md5),
                key: Some(md5_key()),
                ..base()
            },
            &s,
        )
        .unwrap_err();
        assert!(matches!(e, AuthFailure::PasswordAlgorithm(_)), "{e:?}");
        assert_eq!(e.error_code(), 400);
        // Only one of the two attributes present.
        let e = check(
            Req {
                nonce: &cookie,
                algs: None,
                alg: Some(PasswordAlgorithm::Sha256),
                ..base()
            },
            &s,
        )
        .unwrap_err();
        assert!(matches!(e, AuthFailure::PasswordAlgorithm(_)), "{e:?}");
        // Neither: processed as MD5.
        let ok = check(
            Req {
                nonce: &cookie,
                ..base()
            },
            &s,
        )
        .unwrap();
        assert_eq!(ok.password_algorithm, PasswordAlgorithm::Md5);
    }
}
