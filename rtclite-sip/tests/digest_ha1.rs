//! Precomputed H(A1) credentials on the server side (RFC 2617 §3.2.2.2,
//! §4.13; RFC 7616 §3.4.2, §3.6, §5.2): the published examples of RFC 2617
//! §3.5 and RFC 7616 §3.9.1 (header fields cut from the RFC text by
//! `tests/vectors/extract.py`) verified from an H(A1) derived here from the
//! published password, then the server's use of stored H(A1) values: the
//! algorithms it serves and offers, the realm it is bound to, `-sess`,
//! replay counts and mutual authentication.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use md5::Md5;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::digest::{
    Algorithm, Challenge, Credentials, DigestClient, DigestServer, Ha1, Ha1Error, Qop,
    StoredCredential, UnusableCredential, Verdict,
};
use rtclite_sip::headers::AuthValue;
use sha2::{Digest as _, Sha256, Sha512_256};

/// The header fields of one example, as (name, value) lines.
fn example(file: &str) -> Vec<(String, String)> {
    let p = format!("{}/tests/vectors/digest/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_owned(), v.to_owned())
        })
        .collect()
}

fn credentials(ex: &[(String, String)]) -> Vec<Credentials> {
    ex.iter()
        .filter(|(n, _)| n == "Authorization")
        .map(|(_, v)| Credentials::parse(&AuthValue::parse(v).unwrap()).unwrap())
        .collect()
}

fn challenges(ex: &[(String, String)]) -> Vec<Challenge> {
    ex.iter()
        .filter(|(n, _)| n == "WWW-Authenticate")
        .map(|(_, v)| Challenge::parse(&AuthValue::parse(v).unwrap()).unwrap())
        .collect()
}

/// `H(username ":" realm ":" password)` in hex, computed here with the hash
/// crates directly (not through rtclite-sip), as an operator's tool would.
fn ha1_hex(algorithm: Algorithm, user: &str, realm: &str, password: &str) -> String {
    let a1 = format!("{user}:{realm}:{password}");
    match algorithm {
        Algorithm::Md5 => hex::encode(Md5::digest(a1.as_bytes())),
        Algorithm::Sha256 => hex::encode(Sha256::digest(a1.as_bytes())),
        Algorithm::Sha512_256 => hex::encode(Sha512_256::digest(a1.as_bytes())),
        other => panic!("store the H(A1) of a base algorithm, not {other}"),
    }
}

fn only_ha1(algorithm: Algorithm, realm: &str, hex: &str) -> StoredCredential {
    StoredCredential::Ha1(vec![Ha1::from_hex(algorithm, realm, hex).unwrap()])
}

// [RFC 2617 §3.3 test] "Note that the HTTP server does not actually need to know the user's
// cleartext password."
#[test]
fn rfc2617_3_5_md5_auth_from_ha1() {
    let ex = example("rfc2617_3.5.txt");
    let published = &credentials(&ex)[0];
    let realm = "testrealm@host.com";
    assert_eq!(published.realm, realm);
    let hex = ha1_hex(Algorithm::Md5, "Mufasa", realm, "Circle Of Life");
    // upper-case hex, as some tools print it, reads the same
    let stored = only_ha1(Algorithm::Md5, realm, &hex.to_ascii_uppercase());
    assert_eq!(
        stored.request_digest(published, "GET", b"").unwrap(),
        "6629fae49393a05397450978507c4ef1"
    );
    assert_eq!(published.response, "6629fae49393a05397450978507c4ef1");
    // the same as from the password
    let password = StoredCredential::Password("Circle Of Life".into());
    assert_eq!(
        password.request_digest(published, "GET", b"").unwrap(),
        published.response
    );
    // [RFC 7616 §5.2 test] "This is the reason that the
    // realm is part of the digested data stored in the password file."
    let elsewhere = only_ha1(Algorithm::Md5, "otherrealm@host.com", &hex);
    let e = elsewhere.request_digest(published, "GET", b"").unwrap_err();
    assert_eq!(
        e,
        UnusableCredential::WrongRealm {
            algorithm: Algorithm::Md5,
            stored_realm: "otherrealm@host.com".into(),
            realm: realm.into(),
        }
    );
    assert!(
        e.to_string()
            .contains("made for realm \"otherrealm@host.com\""),
        "{e}"
    );
    // an H(A1) hashed over another realm but filed under this one gives
    // another response: it cannot verify
    let mislabelled = only_ha1(
        Algorithm::Md5,
        realm,
        &ha1_hex(
            Algorithm::Md5,
            "Mufasa",
            "otherrealm@host.com",
            "Circle Of Life",
        ),
    );
    assert_ne!(
        mislabelled.request_digest(published, "GET", b"").unwrap(),
        published.response
    );
    // a SHA-256 H(A1) cannot answer for MD5
    let sha_only = only_ha1(
        Algorithm::Sha256,
        realm,
        &ha1_hex(Algorithm::Sha256, "Mufasa", realm, "Circle Of Life"),
    );
    let e = sha_only.request_digest(published, "GET", b"").unwrap_err();
    assert_eq!(
        e,
        UnusableCredential::NoHa1 {
            algorithm: Algorithm::Md5,
            stored: vec![Algorithm::Sha256],
        }
    );
    assert_eq!(
        e.to_string(),
        "no stored H(A1) for MD5: the user's H(A1) is for SHA-256 only (RFC 7616 §3.4.2)"
    );
}

// [RFC 7616 §3.6 test] "As long as H(A1) is available to the server, the
// validity of an Authorization header field can be verified."
#[test]
fn rfc7616_3_9_1_sha256_and_md5_from_ha1() {
    let ex = example("rfc7616_3.9.1.txt");
    let realm = "http-auth@example.org";
    let creds = credentials(&ex);
    let md5 = creds
        .iter()
        .find(|c| c.algorithm == Algorithm::Md5)
        .unwrap();
    let sha = creds
        .iter()
        .find(|c| c.algorithm == Algorithm::Sha256)
        .unwrap();
    let md5_ha1 = Ha1::from_hex(
        Algorithm::Md5,
        realm,
        &ha1_hex(Algorithm::Md5, "Mufasa", realm, "Circle of Life"),
    )
    .unwrap();
    let sha_ha1 = Ha1::from_hex(
        Algorithm::Sha256,
        realm,
        &ha1_hex(Algorithm::Sha256, "Mufasa", realm, "Circle of Life"),
    )
    .unwrap();
    let both = StoredCredential::Ha1(vec![md5_ha1.clone(), sha_ha1.clone()]);
    assert_eq!(
        both.request_digest(md5, "GET", b"").unwrap(),
        "8ca523f5e9506fed4657c9700eebdbec"
    );
    assert_eq!(
        both.request_digest(sha, "GET", b"").unwrap(),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    assert_eq!(md5.response, "8ca523f5e9506fed4657c9700eebdbec");
    // each H(A1) alone answers its own algorithm only
    let sha_only = StoredCredential::Ha1(vec![sha_ha1]);
    assert_eq!(
        sha_only.request_digest(sha, "GET", b"").unwrap(),
        sha.response
    );
    assert!(matches!(
        sha_only.request_digest(md5, "GET", b""),
        Err(UnusableCredential::NoHa1 {
            algorithm: Algorithm::Md5,
            ..
        })
    ));
    let md5_only = StoredCredential::Ha1(vec![md5_ha1]);
    assert!(matches!(
        md5_only.request_digest(sha, "GET", b""),
        Err(UnusableCredential::NoHa1 {
            algorithm: Algorithm::Sha256,
            ..
        })
    ));
    // what the server offers this user: only the algorithms it can check
    for ch in challenges(&ex) {
        assert_eq!(
            sha_only.serves(ch.algorithm, realm),
            ch.algorithm == Algorithm::Sha256
        );
        assert!(both.serves(ch.algorithm, realm));
        assert!(!both.serves(ch.algorithm, "api@example.org"));
    }
}

/// SHA-512-256 (the real FIPS 180-4 SHA-512/256; see digest.rs's note on
/// the RFC 7616 §3.9.2 example) from an H(A1), against the response our
/// client computes from the password with that example's inputs.
#[test]
fn rfc7616_3_9_2_inputs_sha512_256_from_ha1() {
    let ex = example("rfc7616_3.9.2.txt");
    let mut ch = challenges(&ex).remove(0);
    assert_eq!(ch.algorithm, Algorithm::Sha512_256);
    // the server looks users up by clear name: answer without userhash
    ch.userhash = false;
    let (user, realm, pw) = ("J\u{e4}s\u{f8}n Doe", "api@example.org", "Secret, or not?");
    let client = DigestClient {
        username: user,
        password: pw,
    };
    let cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v";
    let creds = client.respond_with_cnonce(&ch, "GET", "/doe.json", b"", 1, cnonce);
    // cross-checked with Python's hashlib "sha512_256" (see digest.rs)
    assert_eq!(
        creds.response,
        "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
    );
    let stored = only_ha1(
        Algorithm::Sha512_256,
        realm,
        &ha1_hex(Algorithm::Sha512_256, user, realm, pw),
    );
    assert_eq!(
        stored.request_digest(&creds, "GET", b"").unwrap(),
        creds.response
    );
}

// [RFC 7616 §3.2 test] "If the MD5 algorithm is
// used to calculate the digest, then the MD5 digest will be represented
// as 32 hexadecimal characters, while SHA-256 and SHA-512/256 are
// represented as 64 hexadecimal characters."
#[test]
fn ha1_hex_length_and_digits_are_checked_per_algorithm() {
    let md5 = "939e7578ed9e3c518a452acee763bce9";
    let sha = format!("{md5}{md5}");
    assert!(Ha1::from_hex(Algorithm::Md5, "r", md5).is_ok());
    assert!(Ha1::from_hex(Algorithm::Sha256, "r", &sha).is_ok());
    assert!(Ha1::from_hex(Algorithm::Sha512_256, "r", &sha).is_ok());
    assert_eq!(
        Ha1::from_hex(Algorithm::Md5, "r", &sha),
        Err(Ha1Error::Length {
            algorithm: Algorithm::Md5,
            expected: 32,
            found: 64
        })
    );
    for alg in [Algorithm::Sha256, Algorithm::Sha512_256] {
        let e = Ha1::from_hex(alg, "r", md5).unwrap_err();
        assert_eq!(
            e,
            Ha1Error::Length {
                algorithm: alg,
                expected: 64,
                found: 32
            }
        );
        assert_eq!(
            e.to_string(),
            format!("an H(A1) for {alg} is 64 hex digits, not 32 (RFC 7616 §3.2)")
        );
    }
    assert!(matches!(
        Ha1::from_hex(Algorithm::Md5, "r", &md5[1..]),
        Err(Ha1Error::Length { found: 31, .. })
    ));
    assert!(matches!(
        Ha1::from_hex(Algorithm::Md5, "r", ""),
        Err(Ha1Error::Length { found: 0, .. })
    ));
    let e = Ha1::from_hex(Algorithm::Md5, "r", "939e7578ed9e3c518a452acee763bcgz").unwrap_err();
    assert_eq!(
        e,
        Ha1Error::NotHex {
            offset: 30,
            found: 'g'
        }
    );
    assert_eq!(
        e.to_string(),
        "an H(A1) is hex digits; 'g' at offset 30 is not one (RFC 7616 §3.2)"
    );
    // a multi-byte character: the offset is in bytes, nothing panics
    assert!(matches!(
        Ha1::from_hex(Algorithm::Md5, "r", "é39e7578ed9e3c518a452acee763bce"),
        Err(Ha1Error::NotHex {
            offset: 0,
            found: 'é'
        })
    ));
    // a -sess algorithm names the same stored value as its base
    let sess = Ha1::from_hex(Algorithm::Md5Sess, "r", md5).unwrap();
    assert_eq!(sess.algorithm(), Algorithm::Md5);
    assert_eq!(sess, Ha1::from_hex(Algorithm::Md5, "r", md5).unwrap());
}

// [RFC 7616 §5.2 test] "the password file must be protected as if it contained unencrypted
// passwords"
#[test]
fn debug_shows_neither_hashes_nor_passwords() {
    let h = Ha1::from_password(Algorithm::Sha256, "bob", "biloxi.example.com", "zanzibar");
    let shown = format!("{:?}", StoredCredential::Ha1(vec![h.clone()]));
    assert!(!shown.contains(h.as_hex()), "{shown}");
    assert!(
        shown.contains("biloxi.example.com") && shown.contains("Sha256"),
        "{shown}"
    );
    let shown = format!("{:?}", StoredCredential::Password("zanzibar".into()));
    assert!(!shown.contains("zanzibar"), "{shown}");
}

const REALM: &str = "biloxi.example.com";

fn server(algorithms: &[Algorithm]) -> DigestServer {
    DigestServer::new(REALM, b"k", algorithms[0], 300).with_algorithms(algorithms)
}

fn bob() -> DigestClient<'static> {
    DigestClient {
        username: "bob",
        password: "zanzibar",
    }
}

fn answer(ch: &Challenge, algorithm: Algorithm, nc: u32, rng: &mut ChaCha8Rng) -> Credentials {
    let mut ch = ch.clone();
    ch.algorithm = algorithm;
    bob().respond(&ch, "REGISTER", "sip:biloxi.example.com", b"", nc, rng)
}

/// Bob stored as the H(A1) of `algorithms` (computed here), for `realm`.
fn bob_stored(algorithms: &[Algorithm], realm: &str) -> StoredCredential {
    StoredCredential::Ha1(
        algorithms
            .iter()
            .map(|&a| Ha1::from_hex(a, realm, &ha1_hex(a, "bob", realm, "zanzibar")).unwrap())
            .collect(),
    )
}

#[test]
fn server_offers_and_accepts_only_the_stored_algorithms() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let server = server(&[Algorithm::Sha512_256, Algorithm::Sha256, Algorithm::Md5]);
    let md5_only = bob_stored(&[Algorithm::Md5], REALM);
    let lookup = |u: &str| (u == "bob").then_some(&md5_only);
    // the challenge offers MD5 alone, so that even a client choosing the
    // strongest offered algorithm answers in one that can be checked
    let offered = server.challenges_serving(10, false, &mut rng, |a| md5_only.serves(a, REALM));
    let algs: Vec<_> = offered.iter().map(|c| c.algorithm).collect();
    assert_eq!(algs, [Algorithm::Md5]);
    assert_eq!(
        server.verify_stored(
            &answer(&offered[0], Algorithm::Md5, 1, &mut rng),
            "REGISTER",
            b"",
            11,
            lookup
        ),
        Verdict::Ok
    );
    // an answer in an algorithm the server accepts but this user has no
    // H(A1) for is refused, saying why
    let full = server.challenges(10, false, &mut rng);
    for ch in &full {
        let v = server.verify_stored(
            &answer(ch, ch.algorithm, 1, &mut rng),
            "REGISTER",
            b"",
            11,
            lookup,
        );
        if ch.algorithm == Algorithm::Md5 {
            assert_eq!(v, Verdict::Ok);
        } else {
            assert_eq!(
                v,
                Verdict::Unverifiable(UnusableCredential::NoHa1 {
                    algorithm: ch.algorithm,
                    stored: vec![Algorithm::Md5],
                })
            );
            assert!(!v.wants_stale_challenge());
        }
    }
    // a wrong password is refused as ever
    let eve = DigestClient {
        username: "bob",
        password: "guess",
    };
    let forged = eve.respond(
        &offered[0],
        "REGISTER",
        "sip:biloxi.example.com",
        b"",
        1,
        &mut rng,
    );
    assert_eq!(
        server.verify_stored(&forged, "REGISTER", b"", 11, lookup),
        Verdict::Rejected
    );
    // and so is an unknown user
    assert_eq!(
        server.verify_stored(
            &answer(&offered[0], Algorithm::Md5, 1, &mut rng),
            "REGISTER",
            b"",
            11,
            |_| None::<&StoredCredential>
        ),
        Verdict::Rejected
    );
    // nothing to offer when no stored H(A1) serves any accepted algorithm
    let sha_only = bob_stored(&[Algorithm::Sha256], REALM);
    let md5_server = self::server(&[Algorithm::Md5, Algorithm::Md5Sess]);
    assert!(
        md5_server
            .challenges_serving(10, false, &mut rng, |a| sha_only.serves(a, REALM))
            .is_empty()
    );
}

// [RFC 7616 §3.4.2 test] "If the algorithm parameter's value is "<algorithm>-sess", e.g., "SHA-
// 256-sess", then A1 is calculated using the nonce value provided in
// the challenge from the server, and cnonce value from the request by
// the client following receipt of a WWW-Authenticate challenge from the
// server."
#[test]
fn sess_variants_verify_from_the_base_ha1() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for (base, sess) in [
        (Algorithm::Md5, Algorithm::Md5Sess),
        (Algorithm::Sha256, Algorithm::Sha256Sess),
        (Algorithm::Sha512_256, Algorithm::Sha512_256Sess),
    ] {
        let server = server(&[sess, base]);
        let stored = bob_stored(&[base], REALM);
        let offered = server.challenges_serving(20, false, &mut rng, |a| stored.serves(a, REALM));
        assert_eq!(
            offered.len(),
            2,
            "{base}: both {sess} and {base} are served"
        );
        for qop in [Qop::Auth, Qop::AuthInt] {
            for ch in &offered {
                let mut ch = ch.clone();
                ch.qop = vec![qop];
                let creds = bob().respond(
                    &ch,
                    "MESSAGE",
                    "sip:bob@biloxi.example.com",
                    b"hi",
                    1,
                    &mut rng,
                );
                assert_eq!(
                    server.verify_stored(&creds, "MESSAGE", b"hi", 21, |_| Some(&stored)),
                    Verdict::Ok,
                    "{} {qop:?}",
                    ch.algorithm
                );
                // auth-int covers the body
                let v = server.verify_stored(&creds, "MESSAGE", b"hI", 21, |_| Some(&stored));
                assert_eq!(
                    v == Verdict::Ok,
                    qop == Qop::Auth,
                    "{} {qop:?}",
                    ch.algorithm
                );
            }
        }
    }
}

#[test]
fn a_stored_ha1_is_bound_to_its_realm() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let server = server(&[Algorithm::Sha256]);
    // made (and filed) for another realm: the server says so
    let elsewhere = bob_stored(&[Algorithm::Sha256], "atlanta.example.com");
    assert!(
        server
            .challenges_serving(30, false, &mut rng, |a| elsewhere.serves(a, REALM))
            .is_empty()
    );
    let ch = server.challenge(30, false, &mut rng);
    let creds = answer(&ch, Algorithm::Sha256, 1, &mut rng);
    let v = server.verify_stored(&creds, "REGISTER", b"", 31, |_| Some(&elsewhere));
    assert_eq!(
        v,
        Verdict::Unverifiable(UnusableCredential::WrongRealm {
            algorithm: Algorithm::Sha256,
            stored_realm: "atlanta.example.com".into(),
            realm: REALM.into(),
        })
    );
    // hashed over another realm but filed under this one: a mismatch
    let mislabelled = StoredCredential::Ha1(vec![
        Ha1::from_hex(
            Algorithm::Sha256,
            REALM,
            &ha1_hex(Algorithm::Sha256, "bob", "atlanta.example.com", "zanzibar"),
        )
        .unwrap(),
    ]);
    assert_eq!(
        server.verify_stored(&creds, "REGISTER", b"", 31, |_| Some(&mislabelled)),
        Verdict::Rejected
    );
    // credentials for another realm never reach the lookup
    let other = DigestServer::new("atlanta.example.com", b"k", Algorithm::Sha256, 300);
    let theirs = other.challenge(30, false, &mut rng);
    let creds = answer(&theirs, Algorithm::Sha256, 1, &mut rng);
    let home = bob_stored(&[Algorithm::Sha256], REALM);
    assert_eq!(
        server.verify_stored(&creds, "REGISTER", b"", 31, |_| Some(&home)),
        Verdict::Rejected
    );
}

// [RFC 7616 §3.4 test] "if the same nc value is
// seen twice, then the request is a replay."
#[test]
fn replays_are_refused_with_stored_ha1_too() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let mut server = server(&[Algorithm::Sha256]);
    let stored = bob_stored(&[Algorithm::Sha256], REALM);
    let ch = server.challenge(40, false, &mut rng);
    let first = answer(&ch, Algorithm::Sha256, 1, &mut rng);
    assert_eq!(
        server.verify_counted_stored(&first, "REGISTER", b"", 41, |_| Some(stored.clone())),
        Verdict::Ok
    );
    assert_eq!(
        server.verify_counted_stored(&first, "REGISTER", b"", 42, |_| Some(&stored)),
        Verdict::Replayed { nc: 1, highest: 1 }
    );
    let second = answer(&ch, Algorithm::Sha256, 2, &mut rng);
    assert_eq!(
        server.verify_counted_stored(&second, "REGISTER", b"", 43, |_| Some(&stored)),
        Verdict::Ok
    );
    // an answer the H(A1) cannot check burns no count
    let md5 = answer(&ch, Algorithm::Md5, 3, &mut rng);
    let mut both = self::server(&[Algorithm::Sha256, Algorithm::Md5]);
    assert!(matches!(
        both.verify_counted_stored(&md5, "REGISTER", b"", 44, |_| Some(&stored)),
        Verdict::Unverifiable(_)
    ));
    assert!(both.nonce_counts().is_empty());
    // and expiry is reported as for a password
    let late = answer(&ch, Algorithm::Sha256, 4, &mut rng);
    assert_eq!(
        server.verify_counted_stored(&late, "REGISTER", b"", 40 + 301, |_| Some(&stored)),
        Verdict::Stale
    );
}

// [RFC 7616 §3.5 test] "the server proves that it knows the
// user's secret"
#[test]
fn rspauth_from_a_stored_ha1() {
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let server = server(&[Algorithm::Sha512_256, Algorithm::Md5Sess]);
    for algorithm in [Algorithm::Sha512_256, Algorithm::Md5Sess] {
        let stored = bob_stored(&[algorithm.base()], REALM);
        for qop in [Qop::Auth, Qop::AuthInt] {
            let mut ch = server.challenge(50, false, &mut rng);
            ch.algorithm = algorithm;
            ch.qop = vec![qop];
            let creds = bob().respond(
                &ch,
                "MESSAGE",
                "sip:bob@biloxi.example.com",
                b"hi",
                1,
                &mut rng,
            );
            assert_eq!(
                server.verify_stored(&creds, "MESSAGE", b"hi", 51, |_| Some(&stored)),
                Verdict::Ok
            );
            let info = server
                .authentication_info_stored(&creds, &stored, b"ok", Some("next".into()))
                .unwrap();
            // the same as from the password
            assert_eq!(
                info,
                server.authentication_info(&creds, "zanzibar", b"ok", Some("next".into()))
            );
            assert!(
                bob().verify_authentication_info(&creds, &info, b"ok"),
                "{algorithm} {qop:?}"
            );
            assert_eq!(info.nextnonce.as_deref(), Some("next"));
            assert_eq!(
                bob().verify_authentication_info(&creds, &info, b"OK"),
                qop == Qop::Auth
            );
            // an H(A1) of another password proves nothing
            let wrong =
                StoredCredential::Ha1(vec![Ha1::from_password(algorithm, "bob", REALM, "guess")]);
            let impostor = server
                .authentication_info_stored(&creds, &wrong, b"ok", None)
                .unwrap();
            assert!(!bob().verify_authentication_info(&creds, &impostor, b"ok"));
        }
        // no H(A1) for the algorithm: no rspauth, and the error says why
        let other = bob_stored(&[Algorithm::Sha256], REALM);
        let ch = server.challenge(50, false, &mut rng);
        let creds = answer(&ch, algorithm, 1, &mut rng);
        let e = server
            .authentication_info_stored(&creds, &other, b"", None)
            .unwrap_err();
        assert_eq!(
            e,
            UnusableCredential::NoHa1 {
                algorithm,
                stored: vec![Algorithm::Sha256]
            }
        );
    }
}

mod arbitrary {
    use proptest::prelude::*;
    use rtclite_sip::digest::{Algorithm, Credentials, Ha1, Ha1Error, Qop, StoredCredential};

    const ALGORITHMS: [Algorithm; 6] = [
        Algorithm::Md5,
        Algorithm::Md5Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
    ];

    proptest! {
        /// Any string: an H(A1) exactly when it is the algorithm's number
        /// of hex digits, an error saying which rule failed otherwise,
        /// never a panic.
        #[test]
        fn from_hex_accepts_exactly_the_right_hex(
            text in "[0-9a-fA-F]{0,70}|\\PC{0,70}",
            i in 0..ALGORITHMS.len(),
        ) {
            let algorithm = ALGORITHMS[i];
            let all_hex = text.bytes().all(|b| b.is_ascii_hexdigit());
            match Ha1::from_hex(algorithm, "r", &text) {
                Ok(h) => {
                    prop_assert!(all_hex && text.len() == algorithm.hex_len());
                    prop_assert_eq!(h.as_hex(), text.to_ascii_lowercase());
                    prop_assert_eq!(h.algorithm(), algorithm.base());
                }
                Err(Ha1Error::NotHex { offset, found }) => {
                    prop_assert!(!all_hex);
                    prop_assert_eq!(text[offset..].chars().next(), Some(found));
                }
                Err(Ha1Error::Length { expected, found, .. }) => {
                    prop_assert!(all_hex);
                    prop_assert_eq!(expected, algorithm.hex_len());
                    prop_assert_eq!(found, text.len());
                    prop_assert_ne!(found, expected);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }

        /// From any password, the stored H(A1) reads back from its hex and
        /// gives the response the password gives, for every algorithm.
        #[test]
        fn stored_ha1_answers_as_the_password(
            user in "[a-z]{1,8}",
            password in "\\PC{0,16}",
            nonce in "[A-Za-z0-9+/=]{1,20}",
            i in 0..ALGORITHMS.len(),
            int in any::<bool>(),
        ) {
            let algorithm = ALGORITHMS[i];
            let made = Ha1::from_password(algorithm, &user, "r", &password);
            let read = Ha1::from_hex(algorithm, "r", made.as_hex()).unwrap();
            prop_assert_eq!(&made, &read);
            let creds = Credentials {
                username: user.clone(),
                realm: "r".into(),
                nonce,
                uri: "sip:r".into(),
                response: String::new(),
                algorithm,
                cnonce: Some("c".into()),
                opaque: None,
                qop: Some(if int { Qop::AuthInt } else { Qop::Auth }),
                nc: Some(1),
                userhash: false,
            };
            let from_ha1 = StoredCredential::Ha1(vec![read]).request_digest(&creds, "REGISTER", b"body");
            let from_password = StoredCredential::Password(password).request_digest(&creds, "REGISTER", b"body");
            prop_assert_eq!(from_ha1.unwrap(), from_password.unwrap());
        }
    }
}
