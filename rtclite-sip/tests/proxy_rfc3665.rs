//! RFC 3665 §3.2 (Session Establishment Through Two Proxies) played through
//! our proxy in the place of Proxy 1 (ss1.atlanta.example.com) and of Proxy
//! 2 (ss2.biloxi.example.com): every message a proxy emits is compared,
//! field by field, with the one the RFC prints. The only differences
//! allowed are the branch parameters the proxy generates, which the test
//! substitutes into the RFC text before comparing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use rtclite_sip::builder::MessageBuilder;
use rtclite_sip::proxy::{LocalAddr, ProxyConfig, ProxyEvent};
use rtclite_sip::transport::TransportKind::Tcp;
use rtclite_sip::{HeaderName, Message, OwnedMessage};

use sim::proxy::{Harness, TestPolicy, addr, assert_same_message, status, top_branch, vector};

const ALICE: &str = "192.0.2.101:5060";
const SS1: &str = "192.0.2.111:5060";
const SS2: &str = "192.0.2.222:5060";
const BOB: &str = "192.0.2.201:5060";

/// Proxy 1's challenge, as F2 prints it (the policy answers with it).
fn f2_challenge(request: &Message<'_>) -> OwnedMessage {
    let r = rtclite_sip::builder::response_to(
        request,
        407,
        "Proxy Authorization Required",
        Some("3flal12sf"),
    )
    .unwrap();
    MessageBuilder::from_message(&r.message())
        .header(
            HeaderName::ProxyAuthenticate,
            "Digest realm=\"atlanta.example.com\", qop=\"auth\", \
             nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5",
        )
        .build()
        .unwrap()
}

fn proxy1() -> Harness {
    let mut policy = TestPolicy {
        challenge: Some(f2_challenge),
        ..TestPolicy::default()
    };
    policy
        .hops
        .insert("biloxi.example.com".into(), vec![addr(Tcp, SS2)]);
    policy
        .hops
        .insert("ss2.biloxi.example.com".into(), vec![addr(Tcp, SS2)]);
    Harness::new(
        ProxyConfig {
            domains: vec!["atlanta.example.com".into()],
            local: vec![LocalAddr {
                transport: Tcp,
                host: "ss1.atlanta.example.com".into(),
                port: 5060,
            }],
            record_route_uri: Some("<sip:ss1.atlanta.example.com;lr>".into()),
            realm: Some("atlanta.example.com".into()),
            ..ProxyConfig::default()
        },
        &[],
        policy,
    )
}

fn proxy2() -> Harness {
    let mut policy = TestPolicy::default();
    policy
        .hops
        .insert("client.biloxi.example.com".into(), vec![addr(Tcp, BOB)]);
    policy
        .hops
        .insert("ss1.atlanta.example.com".into(), vec![addr(Tcp, SS1)]);
    Harness::new(
        ProxyConfig {
            domains: vec!["biloxi.example.com".into()],
            local: vec![LocalAddr {
                transport: Tcp,
                host: "ss2.biloxi.example.com".into(),
                port: 5060,
            }],
            record_route_uri: Some("<sip:ss2.biloxi.example.com;lr>".into()),
            ..ProxyConfig::default()
        },
        &[(
            "sip:bob@biloxi.example.com",
            "sip:bob@client.biloxi.example.com",
        )],
        policy,
    )
}

fn text(name: &str) -> String {
    String::from_utf8(vector(name)).unwrap()
}

// [RFC 3261 §16.3 test] "If an element requires credentials before
// forwarding a request, the request MUST be inspected as described in
// Section 22.3."
#[test]
fn rfc3665_3_2_f1_to_f3_proxy1_challenges_and_absorbs_the_ack() {
    let mut p1 = proxy1();
    let out = p1.recv(ALICE, Tcp, &vector("3.2_F1"));
    assert_eq!(out.len(), 1, "only the 407 goes out");
    assert_same_message(&out[0].message, &vector("3.2_F2"), "F2");
    assert_eq!(out[0].destination, addr(Tcp, ALICE));
    // F3, the ACK for the 407, ends in Proxy 1's server transaction.
    let out = p1.recv(ALICE, Tcp, &vector("3.2_F3"));
    assert!(
        out.is_empty(),
        "the ACK of a non-2xx is hop by hop: {out:?}"
    );
}

// [RFC 3261 §16.6 test] "The proxy MUST insert a Via header field value into
// the copy before the existing Via header field values."
// [RFC 3261 §16.4 test] "If the first value in the Route header field
// indicates this proxy, the proxy MUST remove that value from the request."
// [RFC 3261 §22.3 test] "When multiple proxies are used in a chain, a Proxy-
// Authorization header field value MUST NOT be consumed by any proxy whose
// realm does not match the "realm" parameter specified in that value."
#[test]
fn rfc3665_3_2_proxy1_forwards_f4_as_f5_and_relays_f10_f13_and_the_ack() {
    let mut p1 = proxy1();
    let out = p1.recv(ALICE, Tcp, &vector("3.2_F4"));
    // F6: 100 Trying to Alice; F5: the INVITE to Proxy 2.
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(status(&out[0]), 100);
    assert_same_message(&out[0].message, &vector("3.2_F6"), "F6");
    let f5 = &out[1].message;
    assert_eq!(out[1].destination, addr(Tcp, SS2));
    let branch = top_branch(f5);
    assert!(branch.starts_with("z9hG4bK"));
    assert_same_message(
        f5,
        text("3.2_F5")
            .replace("z9hG4bK2d4790.1", &branch)
            .as_bytes(),
        "F5",
    );
    assert!(matches!(
        p1.events.first(),
        Some(ProxyEvent::RequestRouted { targets, .. }) if targets == &["sip:bob@biloxi.example.com".to_owned()]
    ));

    // F8 (100 from Proxy 2) is not forwarded; F10 (180) becomes F11.
    let f8 = text("3.2_F8").replace("z9hG4bK2d4790.1", &branch);
    assert!(p1.recv(SS2, Tcp, f8.as_bytes()).is_empty());
    let f10 = text("3.2_F10").replace("z9hG4bK2d4790.1", &branch);
    let out = p1.recv(SS2, Tcp, f10.as_bytes());
    assert_eq!(out.len(), 1);
    assert_same_message(&out[0].message, &vector("3.2_F11"), "F11");
    assert_eq!(out[0].destination, addr(Tcp, ALICE));
    // F13 (200) becomes F14.
    let f13 = text("3.2_F13").replace("z9hG4bK2d4790.1", &branch);
    let out = p1.recv(SS2, Tcp, f13.as_bytes());
    assert_eq!(out.len(), 1);
    assert_same_message(&out[0].message, &vector("3.2_F14"), "F14");
    assert!(
        p1.events
            .iter()
            .any(|e| matches!(e, ProxyEvent::FinalResponse { status: 200, .. }))
    );

    // F15 (ACK for the 2xx) is forwarded statelessly as F16.
    let out = p1.recv(ALICE, Tcp, &vector("3.2_F15"));
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].destination, addr(Tcp, SS2));
    let ack_branch = top_branch(&out[0].message);
    assert_same_message(
        &out[0].message,
        text("3.2_F16")
            .replace("z9hG4bK2d4790.1", &ack_branch)
            .as_bytes(),
        "F16",
    );
}

// [RFC 3261 §16.6 test] "If the copy contains a Max-Forwards header field,
// the proxy MUST decrement its value by one (1)."
// [RFC 3261 §16.6 test] "it MUST insert a Record-Route header field value
// into the copy before any existing Record-Route header field values, even
// if a Route header field is already present."
// [RFC 3261 §16.7 test] "The proxy removes the topmost Via header field value
// from the response."
// [RFC 3261 §16.6 test] "The URI placed in the Record-Route header field value
// MUST be a SIP or SIPS URI."
// [RFC 3261 §16.6 test] "This URI MUST contain an lr parameter (see Section
// 19.1.1)."
// [RFC 3261 §16.6 test] "The proxy MUST NOT reorder field values with a common
// field name"
// [RFC 3261 §16.5 test] "When accessing the location service constructed by a
// registrar, the Request-URI MUST first be canonicalized as described in
// Section 10.3 before being used as an index."
// [RFC 3261 §16.7 test] "The proxy MUST pass the response to the server
// transaction associated with the response context."
// [RFC 3261 §16.7 test] "A proxy MUST NOT modify the tag in the To header field
// of a 1xx or 2xx response."
#[test]
fn rfc3665_3_2_proxy2_forwards_f5_as_f7_and_the_responses_as_f10_and_f13() {
    let mut p2 = proxy2();
    let f5 = text("3.2_F5");
    let out = p2.recv(SS1, Tcp, f5.as_bytes());
    assert_eq!(out.len(), 2, "{out:?}");
    // F8: the 100 back to Proxy 1.
    assert_same_message(&out[0].message, &vector("3.2_F8"), "F8");
    assert_eq!(out[0].destination, addr(Tcp, SS1));
    let f7 = &out[1].message;
    assert_eq!(out[1].destination, addr(Tcp, BOB));
    let branch = top_branch(f7);
    assert_same_message(
        f7,
        text("3.2_F7").replace("z9hG4bK721e4.1", &branch).as_bytes(),
        "F7",
    );

    let f9 = text("3.2_F9").replace("z9hG4bK721e4.1", &branch);
    let out = p2.recv(BOB, Tcp, f9.as_bytes());
    assert_eq!(out.len(), 1);
    assert_same_message(&out[0].message, &vector("3.2_F10"), "F10");
    assert_eq!(out[0].destination, addr(Tcp, SS1));

    let f12 = text("3.2_F12").replace("z9hG4bK721e4.1", &branch);
    let out = p2.recv(BOB, Tcp, f12.as_bytes());
    assert_eq!(out.len(), 1);
    assert_same_message(&out[0].message, &vector("3.2_F13"), "F13");

    // F16 (ACK) is forwarded as F17, straight to Bob's contact.
    let out = p2.recv(SS1, Tcp, &vector("3.2_F16"));
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].destination, addr(Tcp, BOB));
    let ack_branch = top_branch(&out[0].message);
    assert_same_message(
        &out[0].message,
        text("3.2_F17")
            .replace("z9hG4bK721e4.1", &ack_branch)
            .as_bytes(),
        "F17",
    );
}

// [RFC 3261 §16.12 test] "The proxy will inspect the URI in the topmost
// Route header field value."
#[test]
fn rfc3665_3_2_proxy2_forwards_the_bye_f18_as_f19_and_its_200() {
    let mut p2 = proxy2();
    let out = p2.recv(BOB, Tcp, &vector("3.2_F18"));
    assert_eq!(out.len(), 1, "no 100 for a non-INVITE: {out:?}");
    assert_eq!(out[0].destination, addr(Tcp, SS1));
    let branch = top_branch(&out[0].message);
    assert_same_message(
        &out[0].message,
        text("3.2_F19")
            .replace("z9hG4bK721e4.1", &branch)
            .as_bytes(),
        "F19",
    );
    let f22 = text("3.2_F22").replace("z9hG4bK721e4.1", &branch);
    let out = p2.recv(SS1, Tcp, f22.as_bytes());
    assert_eq!(out.len(), 1);
    // F23 prints received=192.0.2.201 where F22 has 192.0.2.101 (an error
    // in the RFC: the proxy MUST NOT change that Via); compare with F22's
    // value.
    let expected = text("3.2_F23").replace("received=192.0.2.201", "received=192.0.2.101");
    assert_same_message(&out[0].message, expected.as_bytes(), "F23");
    assert_eq!(out[0].destination, addr(Tcp, BOB));
}
