//! The proxy's digest policy (`DigestAuth`) with users stored as H(A1)
//! values only: each REGISTER is challenged with the algorithms that can
//! verify the user it names, our REGISTER client (which answers the
//! strongest offered algorithm) then registers, an answer in another
//! algorithm is challenged again with the right one, and a user nobody
//! can verify gets 403.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::digest::{
    Algorithm, Challenge, DigestClient, Ha1, Selection, StoredCredential, select_challenge,
};
use rtclite_sip::proxy::{DigestAuth, ProxyPolicy};
use rtclite_sip::ua::{RegisterClient, RegisterConfig};
use rtclite_sip::{HeaderName, Message, MessageBuilder, OwnedMessage};

const REALM: &str = "biloxi.example.com";

fn ha1(algorithm: Algorithm, user: &str, password: &str) -> StoredCredential {
    StoredCredential::Ha1(vec![Ha1::from_password(algorithm, user, REALM, password)])
}

/// Alice: MD5 H(A1) only; carol: SHA-256 H(A1) only; dave: SHA-512-256
/// H(A1) only; bob: a password. The policy offers MD5, SHA-256 and
/// SHA-512-256, in that order.
fn policy(now: Instant) -> DigestAuth {
    DigestAuth::new(REALM, [9; 32], Algorithm::Md5, now, 1_700_000_000)
        .with_algorithms(&[Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256])
        .with_credential("alice", ha1(Algorithm::Md5, "alice", "wonderland"))
        .with_credential("carol", ha1(Algorithm::Sha256, "carol", "c4r0l"))
        .with_credential("dave", ha1(Algorithm::Sha512_256, "dave", "d4v3"))
        .with_user("bob", "zanzibar")
}

fn client(user: &str, password: &str, rng: &mut ChaCha8Rng) -> RegisterClient {
    RegisterClient::new(
        RegisterConfig {
            registrar: format!("sip:{REALM}"),
            aor: format!("<sip:{user}@{REALM}>"),
            contact: format!("sip:{user}@192.0.2.4"),
            via: "SIP/2.0/UDP 192.0.2.4:5060".into(),
            expires: 3600,
            username: user.into(),
            password: password.into(),
        },
        rng,
    )
}

/// The algorithms of the challenges of a 401 (or 407), in order.
fn offered(response: &OwnedMessage, header: HeaderName) -> Vec<Algorithm> {
    response
        .message()
        .auth(header)
        .map(|v| Challenge::parse(&v.unwrap()).unwrap().algorithm)
        .collect()
}

#[test]
fn each_user_is_offered_what_can_verify_them_and_registers() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let now = Instant::now();
    let mut auth = policy(now);
    let all = [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256];
    for (user, password, expected) in [
        ("alice", "wonderland", &[Algorithm::Md5][..]),
        ("carol", "c4r0l", &[Algorithm::Sha256][..]),
        ("dave", "d4v3", &[Algorithm::Sha512_256][..]),
        ("bob", "zanzibar", &all[..]),
    ] {
        let mut c = client(user, password, &mut rng);
        let first = c.register(&mut rng).unwrap();
        let challenge = auth.authorize(now, &first.message()).unwrap();
        assert_eq!(challenge.message().status(), Some(401), "{user}");
        assert_eq!(
            offered(&challenge, HeaderName::WwwAuthenticate),
            expected,
            "{user}"
        );
        // our client answers the strongest offered: one that can be checked
        let authed = c
            .handle_response(now, &challenge.message(), &mut rng)
            .unwrap();
        assert!(
            auth.authorize(now, &authed.message()).is_none(),
            "{user} is accepted"
        );
    }
    // A user nobody knows is offered what some user can be verified in
    // (here all: bob's password serves every algorithm).
    let mut c = client("mallory", "x", &mut rng);
    let first = c.register(&mut rng).unwrap();
    let challenge = auth.authorize(now, &first.message()).unwrap();
    assert_eq!(offered(&challenge, HeaderName::WwwAuthenticate), all);
    let authed = c
        .handle_response(now, &challenge.message(), &mut rng)
        .unwrap();
    assert_eq!(
        auth.authorize(now, &authed.message())
            .unwrap()
            .message()
            .status(),
        Some(401)
    );
}

#[test]
fn a_wrong_password_or_algorithm_is_challenged_again() {
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let now = Instant::now();
    let mut auth = policy(now);
    // carol with a wrong password: a new challenge, not stale
    let mut c = client("carol", "guess", &mut rng);
    let first = c.register(&mut rng).unwrap();
    let challenge = auth.authorize(now, &first.message()).unwrap();
    let authed = c
        .handle_response(now, &challenge.message(), &mut rng)
        .unwrap();
    let again = auth.authorize(now, &authed.message()).unwrap();
    assert_eq!(again.message().status(), Some(401));
    let www = again
        .message()
        .header(HeaderName::WwwAuthenticate)
        .unwrap()
        .value()
        .to_ascii_lowercase();
    assert!(!www.contains("stale=true"), "{www}");
    // carol answering in MD5 (which she has no H(A1) for): challenged again
    // with SHA-256 alone, which she then passes
    let mut ch = select_challenge(
        challenge
            .message()
            .auth(HeaderName::WwwAuthenticate)
            .filter_map(Result::ok),
        Selection::Topmost,
    )
    .unwrap();
    ch.algorithm = Algorithm::Md5;
    let carol = DigestClient {
        username: "carol",
        password: "c4r0l",
    };
    let creds = carol.respond(&ch, "REGISTER", &format!("sip:{REALM}"), b"", 1, &mut rng);
    let md5_answer = MessageBuilder::from_message(&first.message())
        .header(HeaderName::Authorization, creds.to_header_value())
        .build()
        .unwrap();
    let again = auth.authorize(now, &md5_answer.message()).unwrap();
    assert_eq!(again.message().status(), Some(401));
    assert_eq!(
        offered(&again, HeaderName::WwwAuthenticate),
        [Algorithm::Sha256]
    );
    let ch = Challenge::parse(
        &again
            .message()
            .auth(HeaderName::WwwAuthenticate)
            .next()
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let creds = carol.respond(&ch, "REGISTER", &format!("sip:{REALM}"), b"", 1, &mut rng);
    let sha_answer = MessageBuilder::from_message(&first.message())
        .header(HeaderName::Authorization, creds.to_header_value())
        .build()
        .unwrap();
    assert!(auth.authorize(now, &sha_answer.message()).is_none());
}

// [RFC 3261 §21.4.4 test] "Authorization will not help, and the
// request SHOULD NOT be repeated."
#[test]
fn nothing_to_offer_is_403() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let now = Instant::now();
    // the only user's H(A1) was made for another realm, and SHA-512-256 is
    // not accepted: no challenge could succeed
    let mut auth = DigestAuth::new(REALM, [9; 32], Algorithm::Md5, now, 0)
        .with_algorithms(&[Algorithm::Md5, Algorithm::Sha256])
        .with_credential(
            "alice",
            StoredCredential::Ha1(vec![Ha1::from_password(
                Algorithm::Md5,
                "alice",
                "atlanta.example.com",
                "wonderland",
            )]),
        )
        .with_credential("dave", ha1(Algorithm::Sha512_256, "dave", "d4v3"));
    for user in ["alice", "dave", "nobody"] {
        let first = client(user, "pw", &mut rng).register(&mut rng).unwrap();
        let r = auth.authorize(now, &first.message()).unwrap();
        assert_eq!(r.message().status(), Some(403), "{user}");
        assert!(r.message().header(HeaderName::WwwAuthenticate).is_none());
    }
}

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Carol <sip:carol@biloxi.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:carol@pc33.atlanta.example.com>\r\n\
Content-Length: 0\r\n\r\n";

#[test]
fn proxy_challenges_name_the_originator() {
    let now = Instant::now();
    let mut auth = policy(now).challenge_requests(true);
    let invite = Message::parse(INVITE.as_bytes()).unwrap();
    let r = auth.authorize(now, &invite).unwrap();
    assert_eq!(r.message().status(), Some(407));
    // From carol: her SHA-256 only
    assert_eq!(
        offered(&r, HeaderName::ProxyAuthenticate),
        [Algorithm::Sha256]
    );
}
