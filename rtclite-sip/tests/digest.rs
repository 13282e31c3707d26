//! Digest authentication against the published examples: RFC 2617 §3.5 and
//! RFC 7616 §3.9.1, §3.9.2 (header fields cut from the RFC text by
//! `tests/vectors/extract.py`), plus the server's nonce life cycle.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::digest::{
    Algorithm, AuthenticationInfo, Challenge, Credentials, DigestClient, DigestServer,
    NonceCountError, NonceCounts, Qop, Selection, Verdict, select_challenge,
};
use rtclite_sip::headers::AuthValue;

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

fn values<'a>(ex: &'a [(String, String)], name: &str) -> Vec<AuthValue<'a>> {
    ex.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| AuthValue::parse(v).unwrap())
        .collect()
}

/// Answers `ch` the way the example's Authorization did and checks that
/// the response parameter comes out as published.
fn reproduce(ch: &Challenge, published: &Credentials, username: &str, password: &str) {
    let client = DigestClient { username, password };
    let mine = client.respond_with_cnonce(
        ch,
        "GET",
        &published.uri,
        b"",
        published.nc.unwrap(),
        published.cnonce.as_deref().unwrap(),
    );
    assert_eq!(mine.response, published.response);
    assert_eq!(mine.username, published.username);
    assert_eq!(mine.qop, published.qop);
    assert_eq!(mine.opaque, published.opaque);
    // and our own header value reads back to the same credentials
    let text = mine.to_header_value();
    assert_eq!(
        Credentials::parse(&AuthValue::parse(&text).unwrap()).unwrap(),
        mine
    );
}

// [RFC 2617 §3.5 test] "The first time the client requests the document, no Authorization
// header is sent"
#[test]
fn rfc2617_3_5_md5_auth() {
    let ex = example("rfc2617_3.5.txt");
    let ch = Challenge::parse(&values(&ex, "WWW-Authenticate")[0]).unwrap();
    assert_eq!(ch.algorithm, Algorithm::Md5);
    assert_eq!(ch.qop, [Qop::Auth, Qop::AuthInt]);
    let published = Credentials::parse(&values(&ex, "Authorization")[0]).unwrap();
    assert_eq!(published.response, "6629fae49393a05397450978507c4ef1");
    reproduce(&ch, &published, "Mufasa", "Circle Of Life");
}

// [RFC 7616 §3.9.1 test] "The following example assumes that an access-protected document is
// being requested from the server via a GET request."
#[test]
fn rfc7616_3_9_1_sha256_and_md5() {
    let ex = example("rfc7616_3.9.1.txt");
    let challenges = values(&ex, "WWW-Authenticate");
    let creds: Vec<_> = values(&ex, "Authorization")
        .iter()
        .map(|v| Credentials::parse(v).unwrap())
        .collect();
    let md5 = creds
        .iter()
        .find(|c| c.algorithm == Algorithm::Md5)
        .unwrap();
    let sha = creds
        .iter()
        .find(|c| c.algorithm == Algorithm::Sha256)
        .unwrap();
    assert_eq!(md5.response, "8ca523f5e9506fed4657c9700eebdbec");
    assert_eq!(
        sha.response,
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    for c in &challenges {
        let ch = Challenge::parse(c).unwrap();
        let published = if ch.algorithm == Algorithm::Md5 {
            md5
        } else {
            sha
        };
        reproduce(&ch, published, "Mufasa", "Circle of Life");
    }
    // SHA-256 is listed first: both policies pick it here
    let top = select_challenge(challenges.iter().copied(), Selection::Topmost).unwrap();
    assert_eq!(top.algorithm, Algorithm::Sha256);
    let rev: Vec<_> = challenges.iter().rev().copied().collect();
    // [RFC 8760 §2.4 test] "it SHOULD use
    // the topmost header field that it supports"
    assert_eq!(
        select_challenge(rev.iter().copied(), Selection::Topmost)
            .unwrap()
            .algorithm,
        Algorithm::Md5
    );
    assert_eq!(
        select_challenge(rev.iter().copied(), Selection::Strongest)
            .unwrap()
            .algorithm,
        Algorithm::Sha256
    );
}

/// SHA-512 cut to 256 bits: what the RFC 7616 §3.9.2 example actually used.
fn sha512_truncated(data: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha512::digest(data.as_bytes())[..32])
}

// [RFC 7616 §3.9.2 test] "The username for
// the request is a variation of "Jason Doe""
#[test]
fn rfc7616_3_9_2_sha512_256_userhash() {
    let ex = example("rfc7616_3.9.2.txt");
    let ch = Challenge::parse(&values(&ex, "WWW-Authenticate")[0]).unwrap();
    assert_eq!(ch.algorithm, Algorithm::Sha512_256);
    assert!(ch.userhash);
    let published = Credentials::parse(&values(&ex, "Authorization")[0]).unwrap();
    assert!(published.userhash);
    let (user, realm, pw) = ("J\u{e4}s\u{f8}n Doe", "api@example.org", "Secret, or not?");
    // The published userhash and response were computed with SHA-512
    // truncated to 256 bits, not with SHA-512/256 (FIPS 180-4, other
    // initial values): the RFC formulas with that hash give them exactly.
    assert_eq!(
        published.username,
        sha512_truncated(&format!("{user}:{realm}"))
    );
    let ha1 = sha512_truncated(&format!("{user}:{realm}:{pw}"));
    let ha2 = sha512_truncated("GET:/doe.json");
    let cnonce = published.cnonce.clone().unwrap();
    let kd = format!("{ha1}:{}:00000001:{cnonce}:auth:{ha2}", published.nonce);
    assert_eq!(published.response, sha512_truncated(&kd));
    // With the real SHA-512/256 the same inputs give these values
    // (cross-checked with Python's hashlib "sha512_256").
    let client = DigestClient {
        username: user,
        password: pw,
    };
    let mine = client.respond_with_cnonce(&ch, "GET", "/doe.json", b"", 1, &cnonce);
    assert!(mine.userhash);
    assert_eq!(
        mine.username,
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    );
    assert_eq!(
        mine.response,
        "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
    );
    assert_eq!(mine.opaque, published.opaque);
}

// [RFC 7616 §3.3 test] "If the algorithm is not understood, the challenge SHOULD
// be ignored (and a different one used, if there is more than one)."
#[test]
fn unknown_algorithms_and_schemes_are_skipped() {
    let a = AuthValue::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA3-FANCY").unwrap();
    let b = AuthValue::parse("Basic realm=\"r\"").unwrap();
    let c =
        AuthValue::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256-sess, qop=\"auth\"")
            .unwrap();
    assert!(Challenge::parse(&a).is_err());
    let pick = select_challenge([a, b, c], Selection::Topmost).unwrap();
    assert_eq!(pick.algorithm, Algorithm::Sha256Sess);
}

#[test]
fn server_challenge_verify_and_stale() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let server = DigestServer::new(
        "biloxi.example.com",
        b"server secret",
        Algorithm::Sha256,
        300,
    );
    let ch = server.challenge(1_000, false, &mut rng);
    // the challenge survives its own header form
    let text = ch.to_header_value();
    let parsed = Challenge::parse(&AuthValue::parse(&text).unwrap()).unwrap();
    assert_eq!(parsed, ch);
    let client = DigestClient {
        username: "bob",
        password: "zanzibar",
    };
    let creds = client.respond(
        &parsed,
        "REGISTER",
        "sip:biloxi.example.com",
        b"",
        1,
        &mut rng,
    );
    let pw = |u: &str| (u == "bob").then(|| "zanzibar".to_owned());
    assert_eq!(
        server.verify(&creds, "REGISTER", b"", 1_100, pw),
        Verdict::Ok
    );
    // wrong method (the digest covers it), wrong password
    assert_eq!(
        server.verify(&creds, "INVITE", b"", 1_100, pw),
        Verdict::Rejected
    );
    assert_eq!(
        server.verify(&creds, "REGISTER", b"", 1_100, |_| Some("x".into())),
        Verdict::Rejected
    );
    // [RFC 7616 §3.3 test] "The server SHOULD only set stale to
    // true if it receives a request for which the nonce is invalid."
    assert_eq!(
        server.verify(&creds, "REGISTER", b"", 1_301, pw),
        Verdict::Stale
    );
    let again = server.challenge(1_301, true, &mut rng);
    assert!(again.to_header_value().contains("stale=true"));
    // a nonce from another server, or altered, is not ours
    let other = DigestServer::new("biloxi.example.com", b"other", Algorithm::Sha256, 300);
    assert_eq!(
        other.verify(&creds, "REGISTER", b"", 1_100, pw),
        Verdict::BadNonce
    );
    let mut forged = creds.clone();
    let flip = if forged.nonce.as_bytes()[20] == b'B' {
        "C"
    } else {
        "B"
    };
    forged.nonce.replace_range(20..21, flip);
    assert_eq!(
        server.verify(&forged, "REGISTER", b"", 1_100, pw),
        Verdict::BadNonce
    );
}

// [RFC 8760 §2.6 test] "implementers should assume that the hash of the entity-body
// resolves to the hash of an empty string when the entity-body is
// empty"
#[test]
fn auth_int_covers_the_body() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let server = DigestServer::new("r.example", b"k", Algorithm::Sha512_256, 60);
    let mut ch = server.challenge(0, false, &mut rng);
    ch.qop = vec![Qop::AuthInt];
    let client = DigestClient {
        username: "u",
        password: "p",
    };
    let creds = client.respond(&ch, "MESSAGE", "sip:u@r.example", b"hello", 1, &mut rng);
    assert_eq!(creds.qop, Some(Qop::AuthInt));
    let pw = |_: &str| Some("p".to_owned());
    assert_eq!(
        server.verify(&creds, "MESSAGE", b"hello", 10, pw),
        Verdict::Ok
    );
    assert_eq!(
        server.verify(&creds, "MESSAGE", b"hellO", 10, pw),
        Verdict::Rejected
    );
    let empty = client.respond(&ch, "BYE", "sip:u@r.example", b"", 1, &mut rng);
    assert_eq!(server.verify(&empty, "BYE", b"", 10, pw), Verdict::Ok);
    assert_eq!(
        Algorithm::Sha256.hash_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

/// The two challenges of RFC 7616 §3.9.1 in one header field value, as
/// RFC 7235 §4.1 allows a sender to combine them.
fn combined_3_9_1() -> String {
    let ex = example("rfc7616_3.9.1.txt");
    ex.iter()
        .filter(|(n, _)| n == "WWW-Authenticate")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

// [RFC 7616 §3.7 test] "If
// the server responds with multiple challenges, then each one of these
// challenges MUST use a different digest algorithm."
#[test]
fn rfc7616_3_9_1_challenges_in_one_header_value() {
    let line = combined_3_9_1();
    let all: Vec<_> = AuthValue::parse_challenges(&line)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 2);
    let chs: Vec<_> = all.iter().map(|v| Challenge::parse(v).unwrap()).collect();
    assert_eq!(chs[0].algorithm, Algorithm::Sha256);
    assert_eq!(chs[1].algorithm, Algorithm::Md5);
    for ch in &chs {
        // the quoted "auth, auth-int" is not a challenge boundary
        assert_eq!(ch.qop, [Qop::Auth, Qop::AuthInt]);
        assert_eq!(ch.realm, "http-auth@example.org");
        assert_eq!(ch.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
        assert_eq!(
            ch.opaque.as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
    }
    // each split challenge is the one of its own line, byte for byte
    let ex = example("rfc7616_3.9.1.txt");
    let lines = values(&ex, "WWW-Authenticate");
    assert_eq!(all, lines);
    // the published responses come out of the split challenges too
    let creds: Vec<_> = values(&ex, "Authorization")
        .iter()
        .map(|v| Credentials::parse(v).unwrap())
        .collect();
    reproduce(&chs[0], &creds[1], "Mufasa", "Circle of Life");
    reproduce(&chs[1], &creds[0], "Mufasa", "Circle of Life");
}

#[test]
fn challenges_in_one_sip_401() {
    let line = combined_3_9_1();
    // MD5 first this time, SHA-256 second, on one line; a Basic challenge
    // on a line of its own before them
    let (sha, md5) = line.split_at(line.find(", Digest").unwrap());
    let md5 = md5.trim_start_matches(", ");
    let wire = format!(
        "SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 1 REGISTER\r\n\
WWW-Authenticate: Basic realm=\"http-auth@example.org\"\r\n\
WWW-Authenticate: {md5}, {sha}\r\n\
Content-Length: 0\r\n\r\n"
    );
    let m = rtclite_sip::Message::parse(wire.as_bytes()).unwrap();
    let vals: Vec<_> = m
        .auth(rtclite_sip::HeaderName::WwwAuthenticate)
        .collect::<Result<_, _>>()
        .unwrap();
    let schemes: Vec<_> = vals.iter().map(|v| v.scheme).collect();
    assert_eq!(schemes, ["Basic", "Digest", "Digest"]);
    // [RFC 8760 §2.6 test] "SIP clients and servers MUST NOT accept or request Basic
    // authentication."
    assert!(Challenge::parse(&vals[0]).is_err());
    // [RFC 8760 §2.4 test] "it SHOULD use
    // the topmost header field that it supports unless a local policy
    // dictates otherwise."
    let top = select_challenge(vals.iter().copied(), Selection::Topmost).unwrap();
    assert_eq!(top.algorithm, Algorithm::Md5);
    // local policy: the strongest algorithm offered, SHA-256 over MD5
    let strongest = select_challenge(vals.iter().copied(), Selection::Strongest).unwrap();
    assert_eq!(strongest.algorithm, Algorithm::Sha256);
}

#[test]
fn challenge_splitting_edge_cases() {
    let split = |s: &str| -> Vec<Result<(String, String), String>> {
        AuthValue::parse_challenges(s)
            .map(|r| {
                r.map(|v| (v.scheme.to_owned(), v.raw_params().to_owned()))
                    .map_err(|e| e.to_string())
            })
            .collect()
    };
    // BWS around '=' stays inside one challenge
    assert_eq!(
        split("Digest realm = \"a\" , nonce =\"n\""),
        [Ok(("Digest".into(), "realm = \"a\" , nonce =\"n\"".into()))]
    );
    // a scheme without parameters, then another challenge; empty elements
    assert_eq!(
        split("Negotiate, , Digest realm=\"a,b\", nonce=\"n\",,"),
        [
            Ok(("Negotiate".into(), String::new())),
            Ok(("Digest".into(), "realm=\"a,b\", nonce=\"n\"".into()))
        ]
    );
    // a token68 is no auth-param: that challenge fails, the next is found
    let r = split("Basic dXNlcjpwYXNz==, Digest realm=\"r\", nonce=\"n\"");
    assert_eq!(r.len(), 2);
    assert!(r[0].is_err());
    assert_eq!(
        r[1],
        Ok(("Digest".into(), "realm=\"r\", nonce=\"n\"".into()))
    );
    // parameters with no scheme before them
    let r = split("realm=\"r\", Digest nonce=\"n\"");
    assert_eq!(r.len(), 1);
    assert!(r[0].as_ref().unwrap_err().contains("auth-scheme"));
    assert!(split("  ").is_empty());
}

/// A request answered with `nc` for `ch`, as [`Credentials`].
fn answer(ch: &Challenge, nc: u32) -> Credentials {
    DigestClient {
        username: "bob",
        password: "zanzibar",
    }
    .respond_with_cnonce(
        ch,
        "REGISTER",
        "sip:biloxi.example.com",
        b"",
        nc,
        "0a4f113b",
    )
}

fn bob(u: &str) -> Option<String> {
    (u == "bob").then(|| "zanzibar".to_owned())
}

// [RFC 7616 §3.4 test] "if the same nc value is
// seen twice, then the request is a replay."
#[test]
fn rfc7616_3_9_1_nonce_count_replay() {
    // the published request of RFC 7616 §3.9.1 (nc=00000001), seen twice
    let ex = example("rfc7616_3.9.1.txt");
    let sha = values(&ex, "Authorization")
        .iter()
        .map(|v| Credentials::parse(v).unwrap())
        .find(|c| c.algorithm == Algorithm::Sha256)
        .unwrap();
    assert_eq!(sha.nc, Some(1));
    let mut counts = NonceCounts::new(8);
    counts.check(&sha.nonce, 0, sha.nc.unwrap()).unwrap();
    let err = counts.check(&sha.nonce, 0, sha.nc.unwrap()).unwrap_err();
    assert_eq!(err, NonceCountError::Replayed { nc: 1, highest: 1 });
    assert_eq!(
        err.to_string(),
        "nonce count 00000001 is not above 00000001, already accepted for this nonce: \
         a replayed request (RFC 7616 §3.4, nc)"
    );
    // the client's next request with that nonce counts 2; a lower count after it is refused
    counts.check(&sha.nonce, 0, 3).unwrap();
    assert_eq!(
        counts.check(&sha.nonce, 0, 2),
        Err(NonceCountError::Replayed { nc: 2, highest: 3 })
    );
    assert_eq!(counts.highest(&sha.nonce), Some(3));
    assert_eq!(counts.check("other", 0, 0), Err(NonceCountError::Zero));
    assert_eq!(
        counts.check(&"n".repeat(300), 0, 1),
        Err(NonceCountError::NonceTooLong(300))
    );
}

#[test]
fn server_refuses_replayed_requests() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut server = DigestServer::new("biloxi.example.com", b"k", Algorithm::Sha256, 300);
    let ch = server.challenge(1_000, false, &mut rng);
    let first = answer(&ch, 1);
    assert_eq!(
        server.verify_counted(&first, "REGISTER", b"", 1_010, bob),
        Verdict::Ok
    );
    // the same request again: a replay
    let v = server.verify_counted(&first, "REGISTER", b"", 1_011, bob);
    assert_eq!(v, Verdict::Replayed { nc: 1, highest: 1 });
    // [RFC 7616 §5.4 test] "it will cause authentication failures
    // for any pipelined requests (presumably returning a stale nonce
    // indication)"
    assert!(v.wants_stale_challenge());
    // the stateless check alone does not see it
    assert_eq!(
        server.verify(&first, "REGISTER", b"", 1_011, bob),
        Verdict::Ok
    );
    // a forged response with a high count neither passes nor burns counts
    let mut forged = answer(&ch, 0x7fff_ffff);
    forged.response = "0".repeat(64);
    assert_eq!(
        server.verify_counted(&forged, "REGISTER", b"", 1_012, bob),
        Verdict::Rejected
    );
    assert_eq!(
        server.verify_counted(&answer(&ch, 2), "REGISTER", b"", 1_013, bob),
        Verdict::Ok
    );
    assert_eq!(server.nonce_counts().highest(&ch.nonce), Some(2));
    // skipping counts is fine, going back is not
    assert_eq!(
        server.verify_counted(&answer(&ch, 5), "REGISTER", b"", 1_014, bob),
        Verdict::Ok
    );
    assert_eq!(
        server.verify_counted(&answer(&ch, 4), "REGISTER", b"", 1_015, bob),
        Verdict::Replayed { nc: 4, highest: 5 }
    );
    // expired: stale before the count is looked at
    assert_eq!(
        server.verify_counted(&answer(&ch, 6), "REGISTER", b"", 1_301, bob),
        Verdict::Stale
    );
    // credentials without qop/nc (RFC 2069 form) cannot be counted
    let mut old = answer(&ch, 7);
    old.qop = None;
    old.nc = None;
    old.cnonce = None;
    old.response = rtclite_sip::digest::request_digest(&rtclite_sip::digest::DigestInput {
        algorithm: Algorithm::Sha256,
        username: "bob",
        realm: "biloxi.example.com",
        password: "zanzibar",
        nonce: &ch.nonce,
        cnonce: "",
        nc: 0,
        qop: None,
        method: "REGISTER",
        uri: "sip:biloxi.example.com",
        body: b"",
    });
    assert_eq!(
        server.verify(&old, "REGISTER", b"", 1_020, bob),
        Verdict::Ok
    );
    assert_eq!(
        server.verify_counted(&old, "REGISTER", b"", 1_020, bob),
        Verdict::Rejected
    );
}

#[test]
fn nonce_table_is_bounded_and_never_forgets_into_a_replay() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut server = DigestServer::new("biloxi.example.com", b"k", Algorithm::Sha256, 300)
        .with_nonce_capacity(3);
    let first = server.challenge(100, false, &mut rng);
    assert_eq!(
        server.verify_counted(&answer(&first, 1), "REGISTER", b"", 100, bob),
        Verdict::Ok
    );
    // 50 more clients, each on its own nonce issued later
    for t in 101..151 {
        let ch = server.challenge(t, false, &mut rng);
        assert_eq!(
            server.verify_counted(&answer(&ch, 1), "REGISTER", b"", t, bob),
            Verdict::Ok
        );
        assert!(server.nonce_counts().len() <= 3);
    }
    // the first nonce was evicted: its replay is not taken for a new nonce
    assert_eq!(server.nonce_counts().highest(&first.nonce), None);
    assert_eq!(
        server.verify_counted(&answer(&first, 1), "REGISTER", b"", 151, bob),
        Verdict::Stale
    );
    // nor is its next count: the client is sent for a new nonce
    assert_eq!(
        server.verify_counted(&answer(&first, 2), "REGISTER", b"", 151, bob),
        Verdict::Stale
    );
    // a nonce issued after the evicted ones is new and accepted
    let fresh = server.challenge(200, false, &mut rng);
    assert_eq!(
        server.verify_counted(&answer(&fresh, 1), "REGISTER", b"", 200, bob),
        Verdict::Ok
    );
    // once the tracked ones expire, a full table drops them first
    let late = server.challenge(1_000, false, &mut rng);
    assert_eq!(
        server.verify_counted(&answer(&late, 1), "REGISTER", b"", 1_000, bob),
        Verdict::Ok
    );
    assert_eq!(server.nonce_counts().len(), 1);
    assert_eq!(server.nonce_counts().highest(&late.nonce), Some(1));
}

// [RFC 7616 §3.5 test] "The cnonce value and nc value MUST be the ones for the client
// request to which this message is the response."
#[test]
fn authentication_info_gives_mutual_authentication() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let server = DigestServer::new("biloxi.example.com", b"k", Algorithm::Sha256, 300);
    let client = DigestClient {
        username: "bob",
        password: "zanzibar",
    };
    for qop in [Qop::Auth, Qop::AuthInt] {
        let mut ch = server.challenge(0, false, &mut rng);
        ch.qop = vec![qop];
        let creds = client.respond(
            &ch,
            "MESSAGE",
            "sip:bob@biloxi.example.com",
            b"hi",
            1,
            &mut rng,
        );
        assert_eq!(server.verify(&creds, "MESSAGE", b"hi", 1, bob), Verdict::Ok);
        let next = server.challenge(1, false, &mut rng).nonce;
        let info = server.authentication_info(&creds, "zanzibar", b"ok", Some(next.clone()));
        assert_eq!(info.qop, Some(qop));
        assert_eq!(info.nc, Some(1));
        assert_eq!(info.cnonce, creds.cnonce);
        // the header form reads back, quoted where §3.5 says
        let text = info.to_header_value();
        assert!(text.contains(&format!("nextnonce=\"{next}\"")));
        assert!(text.contains(&format!("qop={}", qop.as_str())));
        assert!(text.contains(", nc=00000001"));
        let parsed =
            AuthenticationInfo::parse(&AuthValue::parse_params_only(&text).unwrap()).unwrap();
        assert_eq!(parsed, info);
        assert!(client.verify_authentication_info(&creds, &parsed, b"ok"));
        // a server that does not know the password cannot forge rspauth
        let impostor = server.authentication_info(&creds, "guess", b"ok", None);
        assert!(!client.verify_authentication_info(&creds, &impostor, b"ok"));
        // the count of another request does not do
        let mut other = parsed.clone();
        other.nc = Some(2);
        assert!(!client.verify_authentication_info(&creds, &other, b"ok"));
        // with auth-int the response body is covered
        assert_eq!(
            client.verify_authentication_info(&creds, &parsed, b"OK"),
            qop == Qop::Auth
        );
    }
    // rspauth is the response with an empty method (A2 = ":" digest-uri)
    let ch = server.challenge(0, false, &mut rng);
    let creds = client.respond_with_cnonce(&ch, "REGISTER", "sip:b.example", b"", 1, "c");
    let info = server.authentication_info(&creds, "zanzibar", b"", None);
    let by_hand = rtclite_sip::digest::request_digest(&rtclite_sip::digest::DigestInput {
        algorithm: Algorithm::Sha256,
        username: "bob",
        realm: "biloxi.example.com",
        password: "zanzibar",
        nonce: &ch.nonce,
        cnonce: "c",
        nc: 1,
        qop: Some(Qop::Auth),
        method: "",
        uri: "sip:b.example",
        body: b"",
    });
    assert_eq!(info.rspauth.as_deref(), Some(by_hand.as_str()));
}

// [RFC 7616 §3.5 test] "The rspauth,
// cnonce, and nc parameters MUST be present if "qop=auth" or
// "qop=auth-int" is specified."
#[test]
fn authentication_info_needs_rspauth_cnonce_nc_with_qop() {
    let parse = |s: &str| AuthenticationInfo::parse(&AuthValue::parse_params_only(s).unwrap());
    assert!(parse("qop=auth, rspauth=\"ab\", cnonce=\"c\"").is_err());
    assert!(parse("qop=auth, rspauth=\"ab\", cnonce=\"c\", nc=1").is_err());
    let ok = parse("qop=auth, rspauth=\"ab\", cnonce=\"c\", nc=0000000a").unwrap();
    assert_eq!(ok.nc, Some(10));
    assert_eq!(
        parse("nextnonce=\"n\"").unwrap().nextnonce.as_deref(),
        Some("n")
    );
}

// [RFC 7616 §3.4 test] "Sending both username and username* in the same header
// option MUST be treated as an error."
#[test]
fn username_and_username_star_together_are_an_error() {
    let v = AuthValue::parse(
        "Digest username=\"a\", username*=UTF-8''a, realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"00\"",
    )
    .unwrap();
    let e = Credentials::parse(&v).unwrap_err();
    assert!(e.to_string().contains("username*"), "{e}");
}

// [RFC 8760 §2.3 test] "The UAS
// MUST add these header fields to the response in the order in which it
// would prefer to see them used, starting with the most preferred
// algorithm at the top."
#[test]
fn server_offers_several_algorithms_in_preference_order() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let server = DigestServer::new("biloxi.example.com", b"k", Algorithm::Md5, 300)
        .with_algorithms(&[
            Algorithm::Sha256,
            Algorithm::Sha512_256,
            Algorithm::Sha256,
            Algorithm::Md5,
        ]);
    // [RFC 8760 §2.3 test] "then each of
    // these header fields MUST use a different digest algorithm."
    assert_eq!(
        server.algorithms(),
        [Algorithm::Sha256, Algorithm::Sha512_256, Algorithm::Md5]
    );
    let offered = server.challenges(10, false, &mut rng);
    let algs: Vec<_> = offered.iter().map(|c| c.algorithm).collect();
    assert_eq!(
        algs,
        [Algorithm::Sha256, Algorithm::Sha512_256, Algorithm::Md5]
    );
    // as header lines of a 401, read back by a client: topmost is preferred
    let lines: Vec<String> = offered.iter().map(Challenge::to_header_value).collect();
    let values: Vec<_> = lines.iter().map(|l| AuthValue::parse(l).unwrap()).collect();
    let pick = select_challenge(values.iter().copied(), Selection::Topmost).unwrap();
    assert_eq!(pick.algorithm, Algorithm::Sha256);
    // the server accepts an answer to any of them, and nothing else
    for ch in &offered {
        assert_eq!(
            server.verify(&answer(ch, 1), "REGISTER", b"", 11, bob),
            Verdict::Ok,
            "{:?}",
            ch.algorithm
        );
    }
    let mut sess = offered[0].clone();
    sess.algorithm = Algorithm::Sha256Sess;
    assert_eq!(
        server.verify(&answer(&sess, 1), "REGISTER", b"", 11, bob),
        Verdict::Rejected
    );
    // an empty preference list changes nothing
    let same = DigestServer::new("r", b"k", Algorithm::Md5, 1).with_algorithms(&[]);
    assert_eq!(same.algorithms(), [Algorithm::Md5]);
}

// [RFC 7616 §3.5 test] "If the nextnonce field is present, the client SHOULD use it when
// constructing the Authorization header field for its next request."
#[test]
fn client_moves_to_the_next_nonce() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut server = DigestServer::new("biloxi.example.com", b"k", Algorithm::Sha256, 300);
    let mut ch = server.challenge(0, false, &mut rng);
    let first = answer(&ch, 1);
    assert_eq!(
        server.verify_counted(&first, "REGISTER", b"", 1, bob),
        Verdict::Ok
    );
    let next = server.challenge(1, false, &mut rng).nonce;
    let info = server.authentication_info(&first, "zanzibar", b"", Some(next.clone()));
    assert!(ch.apply_authentication_info(&info));
    assert_eq!(ch.nonce, next);
    // a new nonce counts from 1 again
    assert_eq!(
        server.verify_counted(&answer(&ch, 1), "REGISTER", b"", 2, bob),
        Verdict::Ok
    );
    assert!(!ch.apply_authentication_info(&AuthenticationInfo::default()));
}

// [RFC 7616 §3.4 test] "it won't put a cleartext
// password (e.g., entered into the username field) into the log."
#[test]
fn client_debug_hides_the_password() {
    let c = DigestClient {
        username: "bob",
        password: "zanzibar",
    };
    let shown = format!("{c:?}");
    assert!(shown.contains("bob"));
    assert!(!shown.contains("zanzibar"), "{shown}");
}
