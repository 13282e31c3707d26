//! Recursion on 3xx responses in the stateful proxy (RFC 3261 §16.5, §16.7
//! step 4), behind `ProxyConfig::recurse_on_3xx`: the SIP Contacts of a
//! redirect join the target set once each, leave the response, and are
//! tried in parallel or in their q-value group; a redirect never makes the
//! proxy try a URI twice, so redirects pointing at each other end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use std::time::Duration;

use rtclite_sip::OwnedMessage;
use rtclite_sip::headers::Contact;
use rtclite_sip::proxy::{Forking, ProxyConfig};
use rtclite_sip::transaction::Transmit;
use rtclite_sip::transport::TransportKind::Udp;

use common::proxy::{biloxi_config, register_bob, sent_to, summary};
use sim::proxy::{Harness, TestPolicy, answer, status};

const ALICE: &str = "192.0.2.101:5060";
const B1: &str = "192.0.2.4:5060";
const B2: &str = "192.0.2.5:5060";
const CAROL: &str = "192.0.2.7:5060";
const DAVE: &str = "192.0.2.8:5060";

fn invite(to: &str) -> Vec<u8> {
    format!(
        "INVITE {to} SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
To: <{to}>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@192.0.2.101>\r\n\
Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn config(forking: Forking, recurse: bool) -> ProxyConfig {
    ProxyConfig {
        forking,
        recurse_on_3xx: recurse,
        ..biloxi_config()
    }
}

fn harness(config: ProxyConfig, contacts: &[&str]) -> Harness {
    let bindings: Vec<(&str, &str)> = contacts
        .iter()
        .map(|c| ("sip:bob@biloxi.example.com", *c))
        .collect();
    Harness::new(config, &bindings, TestPolicy::default())
}

/// A 3xx to `request` with these Contact values.
fn redirect(request: &OwnedMessage, code: u16, tag: &str, contacts: &[&str]) -> Vec<u8> {
    let r = String::from_utf8(answer(request, code, Some(tag))).unwrap();
    let lines: String = contacts
        .iter()
        .map(|c| format!("Contact: {c}\r\n"))
        .collect();
    r.replace(
        "Content-Length: 0\r\n",
        &format!("{lines}Content-Length: 0\r\n"),
    )
    .into_bytes()
}

/// Alice calls Bob's address-of-record and B1 answers the INVITE with a
/// `code` redirect (To tag `b1`) to `contacts`; what the proxy then sent.
fn bob_redirects(h: &mut Harness, code: u16, contacts: &[&str]) -> Vec<Transmit> {
    let out = h.recv(ALICE, Udp, &invite("sip:bob@biloxi.example.com"));
    let first = sent_to(&out, B1);
    h.recv(B1, Udp, &redirect(&first, code, "b1", contacts))
}

fn contacts_of(m: &OwnedMessage) -> Vec<String> {
    m.message()
        .contacts()
        .map(|c| match c.unwrap() {
            Contact::Addr(a) => a.uri_str().to_owned(),
            _ => "*".to_owned(),
        })
        .collect()
}

// [RFC 3261 §16.7 test] "If the proxy chooses to recurse on any contacts in a
// 3xx response by adding them to the target set, it MUST remove them from the
// response before adding the response to the response context."
// [RFC 3261 §16.7 test] "A proxy may choose to recurse on the SIP and SIPS
// URIs and place the remainder into the response context to be returned,
// potentially in the final response."
// [RFC 3261 §16.5 test] "For instance, a proxy may choose to incorporate
// contacts obtained in a redirect response (3xx) into the target set."
#[test]
fn a_302_adds_its_sip_contacts_and_keeps_the_rest_in_the_response() {
    let mut h = harness(config(Forking::Parallel, true), &["sip:bob@192.0.2.4"]);
    let out = bob_redirects(
        &mut h,
        302,
        &[
            "<sip:carol@192.0.2.7>;q=0.7",
            "<mailto:bob@biloxi.example.com>",
        ],
    );
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "INVITE -> 192.0.2.7:5060"]
    );
    let carol = sent_to(&out, CAROL);
    assert_eq!(carol.message().request_uri(), Some("sip:carol@192.0.2.7"));
    let out = h.recv(CAROL, Udp, &answer(&carol, 486, Some("c")));
    // Best of 302 (without the Contact recursed on) and 486: the 302, which
    // keeps only the mailto URI.
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.7:5060", "302 -> 192.0.2.101:5060"]
    );
    assert_eq!(
        contacts_of(&out[1].message),
        ["mailto:bob@biloxi.example.com"]
    );
}

// [RFC 3261 §16.7 test] "If the proxy recurses on all of the contacts in a 3xx
// response, the proxy SHOULD NOT add the resulting contactless response to
// the response context."
#[test]
fn a_redirect_fully_recursed_on_is_not_a_candidate() {
    let mut h = harness(config(Forking::Parallel, true), &["sip:bob@192.0.2.4"]);
    let out = bob_redirects(&mut h, 301, &["<sip:carol@192.0.2.7>"]);
    let carol = sent_to(&out, CAROL);
    h.recv(CAROL, Udp, &answer(&carol, 180, Some("c")));
    let out = h.recv(CAROL, Udp, &answer(&carol, 486, Some("c")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.7:5060", "486 -> 192.0.2.101:5060"]
    );
}

// [RFC 3261 §16.5 test] "If a target URI is already present in the set (based
// on the definition of equality for the URI type), it MUST NOT be added
// again."
// [RFC 3261 §16.5 test] "As above, any given URI MUST NOT be added to the set
// more than once."
#[test]
fn redirects_pointing_at_each_other_do_not_loop() {
    let mut h = harness(config(Forking::Parallel, true), &["sip:bob@192.0.2.4"]);
    let out = bob_redirects(&mut h, 302, &["<sip:carol@192.0.2.7>"]);
    let carol = sent_to(&out, CAROL);
    // Carol sends the call back to Bob's contact (another spelling of the
    // same URI), to Bob's address-of-record and to herself: all known.
    let out = h.recv(
        CAROL,
        Udp,
        &redirect(
            &carol,
            302,
            "c",
            &[
                "<sip:bob@192.0.2.4;lr>",
                "<sip:bob@BILOXI.example.com>",
                "<sip:carol@192.0.2.7>",
            ],
        ),
    );
    // Nothing new to try and no candidate left: 408 (§16.7 step 6).
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.7:5060", "408 -> 192.0.2.101:5060"]
    );
    let invites = h
        .sent
        .iter()
        .filter(|t| status(t) == 0 && t.message.message().method().unwrap().as_str() == "INVITE")
        .count();
    assert_eq!(invites, 2);
}

// [RFC 3261 §16.5 test] "A proxy MUST NOT add additional targets to the target
// set if the Request-URI of the original request does not indicate a
// resource this proxy is responsible for."
#[test]
fn a_redirect_for_a_foreign_domain_is_passed_up_unchanged() {
    let mut h = harness(config(Forking::Parallel, true), &[]);
    let out = h.recv(ALICE, Udp, &invite("sip:carol@192.0.2.7"));
    let carol = sent_to(&out, CAROL);
    let out = h.recv(
        CAROL,
        Udp,
        &redirect(&carol, 302, "c", &["<sip:dave@192.0.2.8>"]),
    );
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.7:5060", "302 -> 192.0.2.101:5060"]
    );
    assert_eq!(contacts_of(&out[1].message), ["sip:dave@192.0.2.8"]);
}

#[test]
fn without_the_switch_a_302_is_passed_up_with_its_contacts() {
    let mut h = harness(config(Forking::Parallel, false), &["sip:bob@192.0.2.4"]);
    let out = bob_redirects(&mut h, 302, &["<sip:carol@192.0.2.7>"]);
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "302 -> 192.0.2.101:5060"]
    );
    assert_eq!(contacts_of(&out[1].message), ["sip:carol@192.0.2.7"]);
}

// [RFC 3261 §16.6 test] "A common ordering mechanism is to use the qvalue
// parameter of targets obtained from Contact header fields (see Section
// 20.10)."
#[test]
fn sequential_recursion_places_contacts_in_their_q_group() {
    let mut h = Harness::new(
        config(
            Forking::Sequential {
                group_timeout: None,
            },
            true,
        ),
        &[],
        TestPolicy::default(),
    );
    let register = register_bob(
        B1,
        "z9hG4bKnashds7",
        1826,
        "<sip:bob@192.0.2.4>;q=1.0, <sip:bob@192.0.2.5>;q=0.5",
        None,
    );
    h.recv(B1, Udp, register.as_bytes());
    // q=0.8 goes before the waiting q=0.5 contact, q=0.2 after it.
    let out = bob_redirects(
        &mut h,
        302,
        &["<sip:dave@192.0.2.8>;q=0.2", "<sip:carol@192.0.2.7>;q=0.8"],
    );
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "INVITE -> 192.0.2.7:5060"]
    );
    let carol = sent_to(&out, CAROL);
    let out = h.recv(CAROL, Udp, &answer(&carol, 480, Some("c")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.7:5060", "INVITE -> 192.0.2.5:5060"]
    );
    let b2 = sent_to(&out, B2);
    let out = h.recv(B2, Udp, &answer(&b2, 486, Some("b2")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.5:5060", "INVITE -> 192.0.2.8:5060"]
    );
    let dave = sent_to(&out, DAVE);
    let out = h.recv(DAVE, Udp, &answer(&dave, 200, Some("d")));
    assert_eq!(summary(&out), ["200 -> 192.0.2.101:5060"]);
}

#[test]
fn the_target_set_bound_holds_under_recursion() {
    let mut h = harness(
        ProxyConfig {
            max_branches: 2,
            ..config(Forking::Parallel, true)
        },
        &["sip:bob@192.0.2.4"],
    );
    let out = bob_redirects(
        &mut h,
        302,
        &["<sip:carol@192.0.2.7>", "<sip:dave@192.0.2.8>"],
    );
    // Room for one more target: Carol; Dave stays in the 302.
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.4:5060", "INVITE -> 192.0.2.7:5060"]
    );
    let carol = sent_to(&out, CAROL);
    let out = h.recv(CAROL, Udp, &answer(&carol, 486, Some("c")));
    assert_eq!(
        summary(&out),
        ["ACK -> 192.0.2.7:5060", "302 -> 192.0.2.101:5060"]
    );
    assert_eq!(contacts_of(&out[1].message), ["sip:dave@192.0.2.8"]);
    h.advance(Duration::from_secs(60));
    assert_eq!(h.proxy.contexts(), 0);
}
