//! The REGISTER client (RFC 3261 §10.2) against part 1's digest server and
//! the crate's registrar: challenge answered once, 423 followed, refresh
//! before expiry, removal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::builder::{MessageBuilder, response_to};
use rtclite_sip::digest::{Algorithm, Credentials, DigestServer, Verdict};
use rtclite_sip::registrar::{InMemoryLocationService, Registrar, RegistrarConfig};
use rtclite_sip::ua::{RegisterClient, RegisterConfig, RegisterEvent};
use rtclite_sip::{HeaderName, OwnedMessage};

fn client(rng: &mut ChaCha8Rng) -> RegisterClient {
    RegisterClient::new(
        RegisterConfig {
            registrar: "sip:registrar.biloxi.example.com".into(),
            aor: "Bob <sip:bob@biloxi.example.com>".into(),
            contact: "sip:bob@192.0.2.4".into(),
            via: "SIP/2.0/UDP 192.0.2.4:5060".into(),
            expires: 3600,
            username: "bob".into(),
            password: "zanzibar".into(),
        },
        rng,
    )
}

fn challenge(server: &DigestServer, req: &OwnedMessage, rng: &mut ChaCha8Rng) -> OwnedMessage {
    let r = response_to(&req.message(), 401, "Unauthorized", Some("r1")).unwrap();
    MessageBuilder::from_message(&r.message())
        .header(
            HeaderName::WwwAuthenticate,
            server.challenge(0, false, rng).to_header_value(),
        )
        .build()
        .unwrap()
}

fn cseq(m: &OwnedMessage) -> u32 {
    m.message().cseq().unwrap().seq
}

// [RFC 3261 §22.2 test] "When a UAC resubmits a request with its credentials
// after receiving a 401 (Unauthorized) or 407 (Proxy Authentication Required)
// response, it MUST increment the CSeq header field value"
#[test]
fn digest_challenge_is_answered_once() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let t0 = Instant::now();
    let server = DigestServer::new("biloxi.example.com", b"secret", Algorithm::Sha256, 300);
    let mut c = client(&mut rng);
    let first = c.register(&mut rng).unwrap();
    assert_eq!(cseq(&first), 1);
    assert_eq!(first.message().expires().unwrap().unwrap(), 3600);
    let retry = c
        .handle_response(
            t0,
            &challenge(&server, &first, &mut rng).message(),
            &mut rng,
        )
        .unwrap();
    assert_eq!(cseq(&retry), 2);
    let m = retry.message();
    assert_eq!(m.call_id().unwrap(), first.message().call_id().unwrap());
    let auth = m.auth(HeaderName::Authorization).next().unwrap().unwrap();
    let creds = Credentials::parse(&auth).unwrap();
    assert_eq!(
        server.verify(&creds, "REGISTER", b"", 1, |_| Some("zanzibar".into())),
        Verdict::Ok
    );
    // The same challenge again means the credentials were refused: no loop.
    let again = response_to(&m, 401, "Unauthorized", Some("r1")).unwrap();
    let again = MessageBuilder::from_message(&again.message())
        .header(
            HeaderName::WwwAuthenticate,
            format!(
                "Digest realm=\"biloxi.example.com\", nonce=\"{}\", algorithm=SHA-256, qop=\"auth\"",
                creds.nonce
            ),
        )
        .build()
        .unwrap();
    assert!(c.handle_response(t0, &again.message(), &mut rng).is_none());
    assert_eq!(c.poll_event(), Some(RegisterEvent::Failed { status: 401 }));
}

// [RFC 3261 §22.1 test] "A UAC MUST NOT re-attempt requests with the
// credentials that have just been rejected (though the request may be
// retried if the nonce was stale)."
#[test]
fn a_rejected_realm_is_not_answered_again_under_a_fresh_nonce() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let t0 = Instant::now();
    let server = DigestServer::new("biloxi.example.com", b"secret", Algorithm::Sha256, 300);
    let mut c = client(&mut rng);
    let first = c.register(&mut rng).unwrap();
    let retry = c
        .handle_response(
            t0,
            &challenge(&server, &first, &mut rng).message(),
            &mut rng,
        )
        .unwrap();
    // The registrar refuses the password and challenges again with a new
    // nonce, as servers that mint one per challenge do: no second answer.
    let again = challenge(&server, &retry, &mut rng);
    let old = retry
        .message()
        .auth(HeaderName::Authorization)
        .next()
        .unwrap()
        .unwrap();
    let new = again
        .message()
        .auth(HeaderName::WwwAuthenticate)
        .next()
        .unwrap()
        .unwrap();
    assert_ne!(
        Credentials::parse(&old).unwrap().nonce,
        rtclite_sip::digest::Challenge::parse(&new).unwrap().nonce
    );
    assert!(c.handle_response(t0, &again.message(), &mut rng).is_none());
    assert_eq!(c.poll_event(), Some(RegisterEvent::Failed { status: 401 }));

    // A stale nonce is answered again, a bounded number of times.
    let mut c = client(&mut rng);
    let mut request = c.register(&mut rng).unwrap();
    let mut answers = 0;
    loop {
        let r = response_to(&request.message(), 401, "Unauthorized", Some("r1")).unwrap();
        let stale = MessageBuilder::from_message(&r.message())
            .header(
                HeaderName::WwwAuthenticate,
                server.challenge(0, answers > 0, &mut rng).to_header_value(),
            )
            .build()
            .unwrap();
        match c.handle_response(t0, &stale.message(), &mut rng) {
            Some(next) => {
                answers += 1;
                assert!(answers <= 4, "stale challenges answered without end");
                request = next;
            }
            None => break,
        }
    }
    assert_eq!(answers, 4);
    assert_eq!(c.poll_event(), Some(RegisterEvent::Failed { status: 401 }));
}

// [RFC 3261 §10.2.8 test] "If a UA receives a 423 (Interval Too Brief) response,
// it MAY retry the registration after making the expiration interval of all
// contact addresses in the REGISTER request equal to or greater than the
// expiration interval within the Min-Expires header field"
// [RFC 3261 §10.2 test] "A UA MUST increment the CSeq value by one for each
// REGISTER request with the same Call-ID."
#[test]
fn registrar_423_refresh_and_removal() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let t0 = Instant::now();
    let mut registrar = Registrar::new(
        RegistrarConfig {
            domains: vec![
                "biloxi.example.com".into(),
                "registrar.biloxi.example.com".into(),
            ],
            min_expires: 1800,
            max_expires: 600_000,
            ..RegistrarConfig::default()
        },
        InMemoryLocationService::new(),
    );
    let mut c = RegisterClient::new(
        RegisterConfig {
            expires: 900,
            ..RegisterConfig {
                registrar: "sip:registrar.biloxi.example.com".into(),
                aor: "Bob <sip:bob@biloxi.example.com>".into(),
                contact: "sip:bob@192.0.2.4".into(),
                via: "SIP/2.0/UDP 192.0.2.4:5060".into(),
                expires: 0,
                username: "bob".into(),
                password: "x".into(),
            }
        },
        &mut rng,
    );
    let req = c.register(&mut rng).unwrap();
    let resp = registrar.handle_register(t0, &req.message()).unwrap();
    assert_eq!(resp.message().status(), Some(423));
    let retry = c.handle_response(t0, &resp.message(), &mut rng).unwrap();
    assert_eq!(retry.message().expires().unwrap().unwrap(), 1800);
    assert_eq!(cseq(&retry), 2);
    let ok = registrar.handle_register(t0, &retry.message()).unwrap();
    assert!(c.handle_response(t0, &ok.message(), &mut rng).is_none());
    assert_eq!(
        c.poll_event(),
        Some(RegisterEvent::Registered { expires: 1800 })
    );
    // Refreshed a minute before expiry, with the next CSeq.
    let due = t0 + Duration::from_secs(1740);
    assert_eq!(c.poll_timeout(), Some(due));
    assert!(
        c.handle_timeout(due - Duration::from_secs(1), &mut rng)
            .is_none()
    );
    let refresh = c.handle_timeout(due, &mut rng).unwrap();
    assert_eq!(cseq(&refresh), 3);
    let ok = registrar.handle_register(due, &refresh.message()).unwrap();
    c.handle_response(due, &ok.message(), &mut rng);
    assert_eq!(
        c.poll_event(),
        Some(RegisterEvent::Registered { expires: 1800 })
    );
    let bye = c.unregister(&mut rng).unwrap();
    assert_eq!(bye.message().expires().unwrap().unwrap(), 0);
    let ok = registrar.handle_register(due, &bye.message()).unwrap();
    c.handle_response(due, &ok.message(), &mut rng);
    assert_eq!(c.poll_event(), Some(RegisterEvent::Unregistered));
    assert!(registrar.location().is_empty());
    assert_eq!(c.poll_timeout(), None);
}
