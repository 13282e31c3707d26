//! The stateless proxy (RFC 3261 §16.11) and the registrar behind the
//! proxy with digest authentication (§10.3, §22.3) answered by the UA's
//! REGISTER client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::digest::Algorithm;
use rtclite_sip::proxy::{DigestAuth, Proxy, ProxyConfig, ProxyEvent, ProxyMode, ProxyPolicy};
use rtclite_sip::registrar::{InMemoryLocationService, Registrar, RegistrarConfig};
use rtclite_sip::transaction::Input;
use rtclite_sip::transport::TransportKind::Udp;
use rtclite_sip::ua::{RegisterClient, RegisterConfig, RegisterEvent};
use rtclite_sip::{HeaderName, Message};

use common::proxy::biloxi_config;
use sim::proxy::{Harness, TestPolicy, addr, method, status, top_branch};

const ALICE: &str = "192.0.2.101:5060";

fn stateless() -> Harness {
    Harness::new(
        ProxyConfig {
            mode: ProxyMode::Stateless,
            ..biloxi_config()
        },
        &[
            ("sip:bob@biloxi.example.com", "sip:bob@192.0.2.4"),
            ("sip:bob@biloxi.example.com", "sip:bob@192.0.2.5"),
        ],
        TestPolicy::default(),
    )
}

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@192.0.2.101>\r\n\
Content-Length: 0\r\n\r\n";

// [RFC 3261 §16.11 test] "Furthermore, when handling a request statelessly,
// an element MUST NOT generate its own 100 (Trying) or any other provisional
// response."
// [RFC 3261 §16.11 test] "A stateless proxy MUST choose one and only one
// target from the target set."
// [RFC 3261 §16.11 test] "In particular, a retransmitted request MUST be
// forwarded to the same destination each time it is processed."
// [RFC 3261 §16.11 test] "Therefore, the component of the branch parameter
// that makes it unique MUST be the same each time a retransmitted request is
// forwarded."
// [RFC 3261 §16.11 test] "This choice MUST only rely on fields in the message
// and time-invariant properties of the server."
// [RFC 3261 §16.11 test] "Thus for a stateless proxy, the branch parameter MUST
// be computed as a combinatoric function of message parameters which are
// invariant on retransmission."
// [RFC 3261 §16.11 test] "o All other message transformations specified in
// Section 16.6 MUST result in the same transformation of a retransmitted
// request."
#[test]
fn a_retransmission_takes_the_same_branch_to_the_same_place() {
    let mut h = stateless();
    let first = h.recv(ALICE, Udp, INVITE.as_bytes());
    let again = h.recv(ALICE, Udp, INVITE.as_bytes());
    assert_eq!(first.len(), 1, "one target, no 100");
    assert_eq!(first, again);
    assert_eq!(first[0].destination, addr(Udp, "192.0.2.4:5060"));
    assert!(top_branch(&first[0].message).starts_with("z9hG4bK"));
    assert!(matches!(
        h.events.first(),
        Some(ProxyEvent::RequestRouted { targets, .. }) if targets.len() == 1
    ));
}

// [RFC 3261 §16.11 test] "Furthermore, CANCEL and non-Routed ACK requests MUST
// generate the same choice as their associated INVITE."
// [RFC 3261 §16.6 test] "In particular, CANCEL and ACK requests (for non-2xx
// responses) MUST have the same branch value as the corresponding request
// they cancel or acknowledge."
// [RFC 3261 §16.11 test] "Stateless proxies MUST NOT perform special processing
// for CANCEL requests."
#[test]
fn cancel_and_non_2xx_ack_follow_their_invite() {
    let mut h = stateless();
    let invite = h.recv(ALICE, Udp, INVITE.as_bytes());
    let cancel = INVITE
        .replace("INVITE sip:", "CANCEL sip:")
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL");
    let cancel = h.recv(ALICE, Udp, cancel.as_bytes());
    let ack = INVITE
        .replace("INVITE sip:", "ACK sip:")
        .replace("CSeq: 1 INVITE", "CSeq: 1 ACK")
        .replace(
            "<sip:bob@biloxi.example.com>\r\n",
            "<sip:bob@biloxi.example.com>;tag=b1\r\n",
        );
    let ack = h.recv(ALICE, Udp, ack.as_bytes());
    assert_eq!(method(&cancel[0]), "CANCEL");
    assert_eq!(method(&ack[0]), "ACK");
    assert_eq!(cancel[0].destination, invite[0].destination);
    assert_eq!(ack[0].destination, invite[0].destination);
    assert_eq!(
        top_branch(&cancel[0].message),
        top_branch(&invite[0].message)
    );
    assert_eq!(top_branch(&ack[0].message), top_branch(&invite[0].message));
}

// [RFC 3261 §16.11 test] "If that address matches the proxy, (it equals a value
// this proxy has inserted into previous requests) the proxy MUST remove that
// header field value from the response and forward the result to the
// location indicated in the next Via header field value."
// [RFC 3261 §16.11 test] "When a response arrives at a stateless proxy, the
// proxy MUST inspect the sent-by value in the first (topmost) Via header field
// value."
#[test]
fn responses_lose_our_via_and_follow_the_next_one() {
    let mut h = stateless();
    let out = h.recv("192.0.2.101:6000", Udp, INVITE.as_bytes());
    let fwd = &out[0].message;
    // The next Via carries received and rport stamped on receipt.
    let resp = sim::proxy::answer(fwd, 180, Some("b1"));
    let out = h.recv("192.0.2.4:5060", Udp, &resp);
    assert_eq!(out.len(), 1);
    assert_eq!(status(&out[0]), 180);
    assert_eq!(out[0].destination, addr(Udp, "192.0.2.101:6000"));
    let m = out[0].message.message();
    assert_eq!(m.via().count(), 1);
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK74bf9"));
}

// [RFC 3261 §16.11 test] "A stateless proxy MUST validate a request as
// described in Section 16.3"
#[test]
fn stateless_validation_answers_without_a_transaction() {
    let mut h = stateless();
    let bad = INVITE.replace("Max-Forwards: 70", "Max-Forwards: 0");
    let out = h.recv(ALICE, Udp, bad.as_bytes());
    assert_eq!(out.len(), 1);
    assert_eq!(status(&out[0]), 483);
    assert!(h.proxy.transactions().is_empty());
}

fn authed_proxy(mode: ProxyMode) -> Proxy<InMemoryLocationService, DigestAuth> {
    let config = ProxyConfig {
        mode,
        ..biloxi_config()
    };
    let registrar = Registrar::new(
        RegistrarConfig {
            domains: config.domains.clone(),
            ..RegistrarConfig::default()
        },
        InMemoryLocationService::new(),
    );
    let auth = DigestAuth::new(
        "biloxi.example.com",
        [9; 32],
        Algorithm::Sha256,
        std::time::Instant::now(),
        1_700_000_000,
    )
    .with_user("bob", "zanzibar");
    Proxy::new(config, registrar, auth)
}

/// REGISTER through the proxy's registrar: 401, then 200 with the
/// client's digest answer; the Registration event names the binding.
fn register_with_digest(mode: ProxyMode) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut proxy = authed_proxy(mode);
    let now = std::time::Instant::now();
    let mut client = RegisterClient::new(
        RegisterConfig {
            registrar: "sip:biloxi.example.com".into(),
            aor: "Bob <sip:bob@biloxi.example.com>".into(),
            contact: "sip:bob@192.0.2.4".into(),
            via: "SIP/2.0/UDP 192.0.2.4:5060".into(),
            expires: 3600,
            username: "bob".into(),
            password: "zanzibar".into(),
        },
        &mut rng,
    );
    let mut request = client.register(&mut rng).unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        proxy
            .handle_input(
                now,
                Input::Received {
                    transport: Udp,
                    source: "192.0.2.4:5060".parse().unwrap(),
                    bytes: request.bytes().clone(),
                },
            )
            .unwrap();
        let resp = proxy.poll_transmit().unwrap();
        assert_eq!(resp.destination, addr(Udp, "192.0.2.4:5060"));
        let m = resp.message.message();
        statuses.push(m.status().unwrap());
        match client.handle_response(now, &m, &mut rng) {
            Some(next) => request = next,
            None => break,
        }
    }
    assert_eq!(statuses, [401, 200]);
    assert_eq!(
        client.poll_event(),
        Some(RegisterEvent::Registered { expires: 3600 })
    );
    let mut events = Vec::new();
    while let Some(e) = proxy.poll_event() {
        events.push(e);
    }
    assert!(events.contains(&ProxyEvent::Registration {
        aor: "sip:bob@biloxi.example.com".into(),
        status: 200,
        contacts: vec!["sip:bob@192.0.2.4".into()],
    }));
    assert_eq!(proxy.registrar().location().len(), 1);
}

// [RFC 3261 §16.3 test] "If an element requires credentials before
// forwarding a request, the request MUST be inspected as described in
// Section 22.3."
#[test]
fn register_with_digest_challenge_stateful() {
    register_with_digest(ProxyMode::Stateful);
}

#[test]
fn register_with_digest_challenge_stateless() {
    register_with_digest(ProxyMode::Stateless);
}

// [RFC 3261 §22.1 test] "servers MUST NOT attempt to challenge CANCEL
// requests since these requests cannot be resubmitted."
#[test]
fn requests_are_challenged_with_407_but_cancel_is_not() {
    let mut auth = DigestAuth::new(
        "biloxi.example.com",
        [9; 32],
        Algorithm::Md5,
        std::time::Instant::now(),
        0,
    )
    .with_user("alice", "secret")
    .challenge_requests(true);
    let now = std::time::Instant::now();
    let invite = Message::parse(INVITE.as_bytes()).unwrap();
    let r = auth.authorize(now, &invite).unwrap();
    assert_eq!(r.message().status(), Some(407));
    assert!(r.message().header(HeaderName::ProxyAuthenticate).is_some());
    let cancel = INVITE
        .replace("INVITE sip:", "CANCEL sip:")
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL");
    assert!(
        auth.authorize(now, &Message::parse(cancel.as_bytes()).unwrap())
            .is_none()
    );
    // Inside a dialog (To tag): not challenged.
    let bye = INVITE
        .replace("INVITE sip:", "BYE sip:")
        .replace("CSeq: 1 INVITE", "CSeq: 2 BYE")
        .replace(
            "<sip:bob@biloxi.example.com>\r\n",
            "<sip:bob@biloxi.example.com>;tag=b1\r\n",
        );
    assert!(
        auth.authorize(now, &Message::parse(bye.as_bytes()).unwrap())
            .is_none()
    );
}

// [RFC 7616 §3.4 test] "The purpose of
// this parameter is to allow the server to detect request replays by
// maintaining its own copy of this count"
#[test]
fn a_replayed_authorization_gets_a_stale_challenge() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let now = std::time::Instant::now();
    let mut auth = DigestAuth::new(
        "biloxi.example.com",
        [9; 32],
        Algorithm::Sha256,
        now,
        1_700_000_000,
    )
    .with_user("bob", "zanzibar");
    let mut client = RegisterClient::new(
        RegisterConfig {
            registrar: "sip:biloxi.example.com".into(),
            aor: "Bob <sip:bob@biloxi.example.com>".into(),
            contact: "sip:bob@192.0.2.4".into(),
            via: "SIP/2.0/UDP 192.0.2.4:5060".into(),
            expires: 3600,
            username: "bob".into(),
            password: "zanzibar".into(),
        },
        &mut rng,
    );
    let first = client.register(&mut rng).unwrap();
    let challenge = auth.authorize(now, &first.message()).unwrap();
    assert_eq!(challenge.message().status(), Some(401));
    let authed = client
        .handle_response(now, &challenge.message(), &mut rng)
        .unwrap();
    // The answer to the challenge is accepted once...
    assert!(auth.authorize(now, &authed.message()).is_none());
    // ...and the same credentials again are a replay: challenged anew,
    // with stale=true because the password was right.
    let again = auth.authorize(now, &authed.message()).unwrap();
    assert_eq!(again.message().status(), Some(401));
    let www = again
        .message()
        .header(HeaderName::WwwAuthenticate)
        .unwrap()
        .value()
        .to_ascii_lowercase();
    assert!(www.contains("stale=true"), "{www}");
}
