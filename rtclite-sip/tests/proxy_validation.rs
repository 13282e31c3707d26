//! Request validation (RFC 3261 §16.3) and route preprocessing (§16.4):
//! each check answered with the status the RFC prescribes, and the exact
//! Request-URI and Route a forwarded request leaves with.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod sim;

use rtclite_sip::HeaderName;
use rtclite_sip::proxy::ProxyConfig;
use rtclite_sip::transport::TransportKind::Udp;

use common::proxy::biloxi_config;
use sim::proxy::{Harness, TestPolicy, addr, method, status};

const ALICE: &str = "192.0.2.101:5060";

fn config() -> ProxyConfig {
    ProxyConfig {
        supported: vec!["foo".into()],
        ..biloxi_config()
    }
}

fn harness() -> Harness {
    Harness::new(
        config(),
        &[("sip:bob@biloxi.example.com", "sip:bob@192.0.2.4")],
        TestPolicy::default(),
    )
}

/// An INVITE from Alice with `extra` header lines and `ruri`.
fn invite(ruri: &str, extra: &str) -> Vec<u8> {
    format!(
        "INVITE {ruri} SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\n\
{extra}\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@192.0.2.101>\r\n\
Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

// [RFC 3261 §16.3 test] "Otherwise, the element MUST return a 483 (Too many
// hops) response."
// [RFC 3261 §16.3 test] "If the request contains a Max-Forwards header field
// with a field value of zero (0), the element MUST NOT forward the request."
// [RFC 3261 §16.3 test] "If any of these checks fail, the element MUST behave
// as a user agent server (see Section 8.2) and respond with an error code."
#[test]
fn max_forwards_zero_is_483_and_not_forwarded() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:bob@biloxi.example.com", "Max-Forwards: 0\r\n"),
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(status(&out[0]), 483);
    assert_eq!(out[0].destination, addr(Udp, ALICE));
    // The response is the proxy's own, as a UAS: a To tag is added.
    assert!(out[0].message.message().to().unwrap().tag().is_some());
}

// [RFC 3261 §16.3 test] "If the request does not contain a Max-Forwards
// header field, this check is passed."
// [RFC 3261 §16.6 test] "If the copy does not contain a Max-Forwards header
// field, the proxy MUST add one with a field value, which SHOULD be 70."
#[test]
fn missing_max_forwards_passes_and_70_is_added() {
    let mut h = harness();
    let out = h.recv(ALICE, Udp, &invite("sip:bob@biloxi.example.com", ""));
    assert_eq!(out.len(), 2);
    let fwd = out[1].message.message();
    assert_eq!(fwd.max_forwards().unwrap().unwrap(), 70);
}

// [RFC 3261 §16.3 test] "If the request contains a Max-Forwards header field
// with a field value greater than zero, the check is passed."
#[test]
fn max_forwards_one_is_forwarded_with_zero() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:bob@biloxi.example.com", "Max-Forwards: 1\r\n"),
    );
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].message.message().max_forwards().unwrap().unwrap(), 0);
}

// [RFC 3261 §16.3 test] "The response MUST include an Unsupported (Section
// 20.40) header field listing those option-tags the element did not
// understand."
// [RFC 3261 §16.3 test] "If the request contains a Proxy-Require header field
// (Section 20.29) with one or more option-tags this element does not
// understand, the element MUST return a 420 (Bad Extension) response."
#[test]
fn unknown_proxy_require_is_420_with_unsupported() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite(
            "sip:bob@biloxi.example.com",
            "Max-Forwards: 70\r\nProxy-Require: foo, bar, baz\r\n",
        ),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(status(&out[0]), 420);
    let m = out[0].message.message();
    assert_eq!(
        m.header(HeaderName::Unsupported).unwrap().value(),
        "bar, baz"
    );
}

#[test]
fn understood_proxy_require_is_forwarded() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite(
            "sip:bob@biloxi.example.com",
            "Max-Forwards: 70\r\nProxy-Require: foo\r\n",
        ),
    );
    assert_eq!(out.len(), 2);
    assert_eq!(method(&out[1]), "INVITE");
}

// [RFC 3261 §16.3 test] "If the Request-URI has a URI whose scheme is not
// understood by the proxy, the proxy SHOULD reject the request with a 416
// (Unsupported URI Scheme) response."
#[test]
fn unknown_scheme_is_416() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite("mailto:bob@biloxi.example.com", "Max-Forwards: 70\r\n"),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(status(&out[0]), 416);
}

// [RFC 3261 §16.3 test] "The request MUST be well-formed enough to be
// handled with a server transaction."
// [RFC 3261 §16.3 test] "Before an element can proxy a request, it MUST verify
// the message's validity."
#[test]
fn cseq_method_mismatch_is_400() {
    let mut h = harness();
    let bad = String::from_utf8(invite("sip:bob@biloxi.example.com", "Max-Forwards: 70\r\n"))
        .unwrap()
        .replace("CSeq: 1 INVITE", "CSeq: 1 BYE");
    let out = h.recv(ALICE, Udp, bad.as_bytes());
    assert_eq!(out.len(), 1);
    assert_eq!(status(&out[0]), 400);
}

// [RFC 3261 §16.3 test] "An element MUST NOT refuse to proxy a request
// because it contains a method or header field it does not know about."
// [RFC 3261 §16.6 test] "Fields not detailed in the processing described
// below MUST NOT be removed."
// [RFC 3261 §16.6 test] "The copy MUST initially contain all of the header
// fields from the received request."
// [RFC 3261 §16.6 test] "The Request-URI in the copy's start line MUST be
// replaced with the URI for this target."
// [RFC 3261 §16.2 test] "For all new requests, including any with unknown
// methods, an element intending to proxy the request MUST:"
#[test]
fn unknown_method_and_headers_are_forwarded_untouched() {
    let mut h = harness();
    let req = "FROBNICATE sip:bob@biloxi.example.com SIP/2.0\r\n\
v: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKfrob\r\n\
Max-Forwards: 70\r\n\
X-Weird:   spaced\r\n\x20folded\r\n\
t: <sip:bob@biloxi.example.com>\r\n\
f: <sip:alice@atlanta.example.com>;tag=1\r\n\
i: frob1\r\n\
CSeq: 7 FROBNICATE\r\n\
Date: not a date at all\r\n\
l: 0\r\n\r\n";
    let out = h.recv(ALICE, Udp, req.as_bytes());
    assert_eq!(out.len(), 1, "no 100 for a non-INVITE");
    let wire = String::from_utf8(out[0].message.bytes().to_vec()).unwrap();
    // Untouched lines are copied byte for byte, compact names and folding
    // included.
    assert!(wire.contains("X-Weird:   spaced\r\n folded\r\n"), "{wire}");
    assert!(wire.contains("\r\nt: <sip:bob@biloxi.example.com>\r\n"));
    assert!(wire.contains("\r\nDate: not a date at all\r\n"));
    assert!(wire.contains("\r\nv: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKfrob\r\n"));
    assert!(wire.starts_with(
        "FROBNICATE sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK"
    ));
    // An unknown method may create a dialog: Record-Route is added.
    assert!(wire.contains("\r\nRecord-Route: <sip:192.0.2.2:5060;lr>\r\n"));
}

// [RFC 3261 §16.3 test] "If the parameters match, the request has looped."
// [RFC 3261 §16.3 test] "If a loop is detected, the element MAY return a 482
// (Loop Detected) response."
#[test]
fn a_request_that_comes_back_unchanged_has_looped() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:bob@biloxi.example.com", "Max-Forwards: 70\r\n"),
    );
    assert_eq!(out.len(), 2);
    let copy = String::from_utf8(out[1].message.bytes().to_vec()).unwrap();
    // Bob's host sends it back unchanged: same Request-URI as the proxy
    // first saw, its own Via on top.
    let back = copy
        .replacen(
            "INVITE sip:bob@192.0.2.4",
            "INVITE sip:bob@biloxi.example.com",
            1,
        )
        .replacen(
            "\r\nVia: ",
            "\r\nVia: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKdown\r\nVia: ",
            1,
        );
    let out = h.recv("192.0.2.4:5060", Udp, back.as_bytes());
    let codes: Vec<u16> = out.iter().map(status).collect();
    assert_eq!(codes, [482]);
}

// [RFC 3261 §16.3 test] "If they differ, the request is spiraling, and
// processing continues."
#[test]
fn a_request_that_comes_back_with_a_new_request_uri_spirals() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:bob@biloxi.example.com", "Max-Forwards: 70\r\n"),
    );
    let copy = String::from_utf8(out[1].message.bytes().to_vec()).unwrap();
    // Another element retargets it to carol in our domain and it returns.
    let back = copy.replacen(
        "INVITE sip:bob@192.0.2.4",
        "INVITE sip:bob@biloxi.example.com;spiral",
        1,
    );
    let out = h.recv("192.0.2.9:5060", Udp, back.as_bytes());
    assert_eq!(status(&out[0]), 100);
    assert_eq!(method(&out[1]), "INVITE");
}

// [RFC 3261 §16.4 test] "If the Request-URI of the request contains a value
// this proxy previously placed into a Record-Route header field (see Section
// 16.6 item 4), the proxy MUST replace the Request-URI in the request with
// the last value from the Route header field, and remove that value from
// the Route header field."
// [RFC 3261 §16.4 test] "The proxy MUST inspect the Request-URI of the
// request."
// [RFC 3261 §16.4 test] "The proxy MUST then proceed as if it received this
// modified request."
#[test]
fn strict_router_request_is_fixed_up() {
    let mut h = harness();
    let req = "BYE sip:192.0.2.2:5060;lr SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKstrict\r\n\
Max-Forwards: 70\r\n\
Route: <sip:alice@192.0.2.101>\r\n\
From: <sip:bob@biloxi.example.com>;tag=b\r\n\
To: <sip:alice@atlanta.example.com>;tag=a\r\n\
Call-ID: strict1\r\n\
CSeq: 2 BYE\r\n\
Content-Length: 0\r\n\r\n";
    let out = h.recv("192.0.2.4:5060", Udp, req.as_bytes());
    assert_eq!(out.len(), 1);
    let m = out[0].message.message();
    assert_eq!(m.request_uri(), Some("sip:alice@192.0.2.101"));
    assert_eq!(m.header(HeaderName::Route), None);
    assert_eq!(out[0].destination, addr(Udp, "192.0.2.101:5060"));
}

// [RFC 3261 §16.6 test] "The proxy MUST place the Request-URI into the Route
// header field as the last value."
// [RFC 3261 §16.6 test] "The proxy MUST then place the first Route header
// field value into the Request-URI and remove that value from the Route
// header field."
// [RFC 3261 §16.6 test] "If the copy contains a Route header field, the proxy
// MUST inspect the URI in its first value."
// [RFC 3261 §16.6 test] "If that URI does not contain an lr parameter, the
// proxy MUST modify the copy as follows:"
#[test]
fn strict_next_hop_gets_the_request_uri_in_the_route() {
    let mut h = harness();
    let req = "BYE sip:alice@192.0.2.101 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKs2\r\n\
Max-Forwards: 70\r\n\
Route: <sip:192.0.2.2;lr>, <sip:192.0.2.7>, <sip:192.0.2.8;lr>\r\n\
From: <sip:bob@biloxi.example.com>;tag=b\r\n\
To: <sip:alice@atlanta.example.com>;tag=a\r\n\
Call-ID: strict2\r\n\
CSeq: 2 BYE\r\n\
Content-Length: 0\r\n\r\n";
    let out = h.recv("192.0.2.4:5060", Udp, req.as_bytes());
    assert_eq!(out.len(), 1);
    let m = out[0].message.message();
    assert_eq!(m.request_uri(), Some("sip:192.0.2.7"));
    let routes: Vec<&str> = m.values_of(HeaderName::Route).map(|(_, v)| v).collect();
    assert_eq!(routes, ["<sip:192.0.2.8;lr>", "<sip:alice@192.0.2.101>"]);
    // [RFC 3261 §16.6 test] "If the proxy has reformatted the request to send
    // to a strict-routing element as described in step 6 above, the proxy
    // MUST apply those procedures to the Request-URI of the request."
    assert_eq!(out[0].destination, addr(Udp, "192.0.2.7:5060"));
}

// [RFC 3261 §16.6 test] "Otherwise, the proxy MUST apply the procedures to
// the first value in the Route header field, if present, else the
// Request-URI."
#[test]
fn loose_route_decides_the_next_hop_and_the_request_uri_stays() {
    let mut h = harness();
    let req = "BYE sip:alice@192.0.2.101 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKl1\r\n\
Max-Forwards: 70\r\n\
Route: <sip:192.0.2.2;lr>\r\n\
Route: <sip:192.0.2.8:5070;lr>\r\n\
From: <sip:bob@biloxi.example.com>;tag=b\r\n\
To: <sip:alice@atlanta.example.com>;tag=a\r\n\
Call-ID: loose1\r\n\
CSeq: 2 BYE\r\n\
Content-Length: 0\r\n\r\n";
    let out = h.recv("192.0.2.4:5060", Udp, req.as_bytes());
    let m = out[0].message.message();
    assert_eq!(m.request_uri(), Some("sip:alice@192.0.2.101"));
    let routes: Vec<&str> = m.values_of(HeaderName::Route).map(|(_, v)| v).collect();
    assert_eq!(routes, ["<sip:192.0.2.8:5070;lr>"]);
    assert_eq!(out[0].destination, addr(Udp, "192.0.2.8:5070"));
}

// [RFC 3261 §16.4 test] "the proxy MUST strip the maddr and any non-default
// port or transport parameter and continue processing as if those values had
// not been present in the request."
// [RFC 3261 §16.4 test] "If the Request-URI contains a maddr parameter, the
// proxy MUST check to see if its value is in the set of addresses or domains
// the proxy is configured to be responsible for."
#[test]
fn maddr_naming_us_is_stripped() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite(
            "sip:bob@biloxi.example.com;maddr=192.0.2.2;transport=udp",
            "Max-Forwards: 70\r\n",
        ),
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(
        out[1].message.message().request_uri(),
        Some("sip:bob@192.0.2.4")
    );
}

// [RFC 3261 §16.5 test] "If the Request-URI of the request contains an maddr
// parameter, the Request-URI MUST be placed into the target set as the only
// target URI, and the proxy MUST proceed to Section 16.6."
#[test]
fn maddr_elsewhere_is_the_only_target() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite(
            "sip:bob@biloxi.example.com;maddr=192.0.2.77",
            "Max-Forwards: 70\r\n",
        ),
    );
    assert_eq!(
        out[1].message.message().request_uri(),
        Some("sip:bob@biloxi.example.com;maddr=192.0.2.77")
    );
    assert_eq!(out[1].destination, addr(Udp, "192.0.2.77:5060"));
}

// [RFC 3261 §16.5 test] "If the domain of the Request-URI indicates a domain
// this element is not responsible for, the Request-URI MUST be placed into
// the target set as the only target, and the element MUST proceed to the
// task of Request Forwarding (Section 16.6)."
// [RFC 3261 §16.5 test] "A proxy MUST NOT add additional targets to the target
// set if the Request-URI of the original request does not indicate a resource
// this proxy is responsible for."
#[test]
fn foreign_domain_is_forwarded_unchanged() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:carol@chicago.example.com", "Max-Forwards: 70\r\n"),
    );
    let m = out[1].message.message();
    assert_eq!(m.request_uri(), Some("sip:carol@chicago.example.com"));
    assert_eq!(
        out[1].destination,
        rtclite_sip::transport::Destination::Host {
            transport: Udp,
            host: "chicago.example.com".into(),
            port: 5060
        }
    );
}

// [RFC 3261 §16.5 test] "If the Request-URI indicates a resource at this
// proxy that does not exist, the proxy MUST return a 404 (Not Found)
// response."
#[test]
fn unknown_user_in_our_domain_is_404() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:nobody@biloxi.example.com", "Max-Forwards: 70\r\n"),
    );
    assert_eq!(status(&out[0]), 404);
}

// [RFC 3261 §16.5 test] "If the target set remains empty after applying all
// of the above, the proxy MUST return an error response, which SHOULD be the
// 480 (Temporarily Unavailable) response."
#[test]
fn expired_bindings_give_480() {
    let mut h = harness();
    h.now += std::time::Duration::from_secs(4000);
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:bob@biloxi.example.com", "Max-Forwards: 70\r\n"),
    );
    assert_eq!(status(&out[0]), 480);
}

// [RFC 3261 §16.5 test] "If a target URI is already present in the set
// (based on the definition of equality for the URI type), it MUST NOT be
// added again."
#[test]
fn equal_targets_are_added_once() {
    let policy = TestPolicy {
        targets: Some(vec![
            "sip:bob@192.0.2.4".into(),
            "sip:BOB@192.0.2.4".into(),
            "sip:bob@192.0.2.4:5060".into(),
            "sip:%62ob@192.0.2.4".into(),
        ]),
        ..TestPolicy::default()
    };
    let mut h = Harness::new(config(), &[], policy);
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:bob@biloxi.example.com", "Max-Forwards: 70\r\n"),
    );
    // bob and %62ob are equal; BOB differs (user part is case-sensitive);
    // an explicit port differs from none.
    let uris: Vec<String> = out
        .iter()
        .filter(|t| method(t) == "INVITE")
        .map(|t| t.message.message().request_uri().unwrap().to_owned())
        .collect();
    assert_eq!(
        uris,
        [
            "sip:bob@192.0.2.4",
            "sip:BOB@192.0.2.4",
            "sip:bob@192.0.2.4:5060"
        ]
    );
}

// [RFC 3261 §16.6 test] "If the URI contains any parameters not allowed in a
// Request-URI, they MUST be removed."
#[test]
fn method_parameter_and_headers_leave_the_target() {
    let policy = TestPolicy {
        targets: Some(vec!["sip:bob@192.0.2.4;method=INVITE;lr?Subject=x".into()]),
        ..TestPolicy::default()
    };
    let mut h = Harness::new(config(), &[], policy);
    let out = h.recv(
        ALICE,
        Udp,
        &invite("sip:bob@biloxi.example.com", "Max-Forwards: 70\r\n"),
    );
    assert_eq!(
        out[1].message.message().request_uri(),
        Some("sip:bob@192.0.2.4;lr")
    );
}

// [RFC 3261 §16.6 test] "The proxy MUST NOT add to, modify, or remove the
// message body."
// [RFC 3261 §16.6 test] "If the request will be sent to the next hop using a
// stream- based transport and the copy contains no Content-Length header
// field, the proxy MUST insert one with the correct value for the body of
// the request"
#[test]
fn body_is_kept_and_content_length_added_when_missing() {
    let mut h = harness();
    let req = "MESSAGE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKmsg\r\n\
Max-Forwards: 70\r\n\
To: <sip:bob@biloxi.example.com>\r\n\
From: <sip:alice@atlanta.example.com>;tag=1\r\n\
Call-ID: msg1\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\r\nWatson, come here.";
    let out = h.recv(ALICE, Udp, req.as_bytes());
    assert_eq!(out.len(), 1);
    let m = out[0].message.message();
    assert_eq!(m.body(), b"Watson, come here.");
    assert_eq!(m.content_length().unwrap().unwrap(), 18);
    // MESSAGE does not create a dialog: no Record-Route.
    assert!(m.header(HeaderName::RecordRoute).is_none());
}

// [RFC 3261 §16.3 test] "Notice that a proxy is not required to detect merged
// requests and MUST NOT treat merged requests as an error condition."
#[test]
fn merged_requests_are_both_forwarded() {
    let mut h = harness();
    let first = invite("sip:bob@biloxi.example.com", "Max-Forwards: 70\r\n");
    // The same request arriving over another path: new top Via branch.
    let second = String::from_utf8(first.clone())
        .unwrap()
        .replace("z9hG4bK74bf9", "z9hG4bKother");
    let a = h.recv(ALICE, Udp, &first);
    let b = h.recv("192.0.2.102:5060", Udp, second.as_bytes());
    assert_eq!(method(&a[1]), "INVITE");
    assert_eq!(method(&b[1]), "INVITE");
    assert_ne!(
        sim::proxy::top_branch(&a[1].message),
        sim::proxy::top_branch(&b[1].message)
    );
}

#[test]
fn options_to_the_proxy_itself_is_answered() {
    let mut h = harness();
    let req = "OPTIONS sip:192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKopt\r\n\
Max-Forwards: 70\r\n\
To: <sip:192.0.2.2>\r\n\
From: <sip:alice@atlanta.example.com>;tag=1\r\n\
Call-ID: opt1\r\n\
CSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";
    let out = h.recv(ALICE, Udp, req.as_bytes());
    assert_eq!(status(&out[0]), 200);
    assert!(out[0].message.message().header(HeaderName::Allow).is_some());
}

// [RFC 3261 §16.5 test] "When accessing the location service constructed by a
// registrar, the Request-URI MUST first be canonicalized as described in
// Section 10.3 before being used as an index."
#[test]
fn the_request_uri_is_canonicalized_for_the_lookup() {
    let mut h = harness();
    let out = h.recv(
        ALICE,
        Udp,
        &invite(
            "sip:%62ob@BILOXI.example.com;user=ip;transport=udp",
            "Max-Forwards: 70\r\n",
        ),
    );
    assert_eq!(
        out.len(),
        2,
        "{:?}",
        out.iter().map(status).collect::<Vec<_>>()
    );
    assert_eq!(
        out[1].message.message().request_uri(),
        Some("sip:bob@192.0.2.4")
    );
}
