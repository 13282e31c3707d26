//! RFC 5118 IPv6 torture tests on the messages of its Appendix A archive.
//!
//! The archive stores the messages with LF line ends; the parser accepts
//! bare LF. Two messages with SDP bodies declare a Content-Length larger than
//! the body the archive holds; see `rfc5118_ipv6_in_sdp`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use std::net::{IpAddr, Ipv6Addr};

use rtclite_sip::{ErrorKind, Host, Message, Method, validate};

fn load(tag: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/rfc5118/{tag}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn v6(s: &str) -> Host<'static> {
    Host::Ipv6(s.parse().unwrap())
}

/// The archive's Content-Length replaced by the length of the body present.
fn with_true_length(b: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(b.to_vec()).unwrap();
    let (head, body) = text.split_once("\n\n").unwrap();
    let head: Vec<String> = head
        .lines()
        .map(|l| {
            if l.starts_with("Content-Length") {
                format!("Content-Length: {}", body.len())
            } else {
                l.to_owned()
            }
        })
        .collect();
    format!("{}\n\n{body}", head.join("\n")).into_bytes()
}

// [RFC 5118 §4.1 test] "An IPv6 reference appears in the Request-URI (R-URI), Via
// header field, and Contact header field."
#[test]
fn rfc5118_ipv6_good() {
    let b = load("ipv6-good");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    assert_eq!(ruri.as_sip().unwrap().host, v6("2001:db8::10"));
    assert_eq!(m.top_via().unwrap().host, v6("2001:db8::9:1"));
    let c = m.contacts().next().unwrap().unwrap();
    let rtclite_sip::headers::Contact::Addr(c) = c else {
        panic!()
    };
    assert_eq!(c.uri().as_sip().unwrap().host, v6("2001:db8::1"));
}

// [RFC 5118 §4.2 test] "The IPv6 reference in the R-URI does not contain the
// mandated delimiters for an IPv6 reference ("[" and "]")."
#[test]
fn rfc5118_ipv6_bad() {
    let b = load("ipv6-bad");
    let m = Message::parse(&b).unwrap();
    let e = validate(&m).unwrap_err();
    assert!(e.to_string().contains("brackets"), "{e}");
}

// [RFC 5118 §4.3 test] "From a parsing perspective, the request below is well-formed."
#[test]
fn rfc5118_port_ambiguous() {
    let b = load("port-ambiguous");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    let sip = ruri.as_sip().unwrap();
    // 5070 is the last group of the address, not a port
    assert_eq!(sip.host, v6("2001:db8::10:5070"));
    assert_eq!(sip.port, None);
}

// [RFC 5118 §4.4 test] "request leaves no ambiguity whatsoever on where the IPv6 address ends
// and the port number begins."
#[test]
fn rfc5118_port_unambiguous() {
    let b = load("port-unambiguous");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    let sip = ruri.as_sip().unwrap();
    assert_eq!(sip.host, v6("2001:db8::10"));
    assert_eq!(sip.port, Some(5070));
}

// [RFC 5118 §4.5 test] "A SIP
// implementation receiving either of these messages must parse them
// successfully."
#[test]
fn rfc5118_via_received_param_with_delim() {
    let b = load("via-received-param-with-delim");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let via = m.top_via().unwrap();
    assert_eq!(via.received(), Some("[2001:db8::9:255]"));
    assert_eq!(
        via.received_addr(),
        Some(IpAddr::V6("2001:db8::9:255".parse().unwrap()))
    );
}

// [RFC 5118 §4.5 test] "implementations must follow the Robustness Principle [RFC1122] and be
// liberal in accepting a "received" parameter"
#[test]
fn rfc5118_via_received_param_no_delim() {
    let b = load("via-received-param-no-delim");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let via = m.top_via().unwrap();
    assert_eq!(
        via.received_addr(),
        Some(IpAddr::V6("2001:db8::9:255".parse().unwrap()))
    );
}

// [RFC 5118 §4.6 test] "This request below is valid and well-formed according to the grammar
// in [RFC3261]."
#[test]
fn rfc5118_ipv6_in_sdp() {
    let b = load("ipv6-in-sdp");
    // The archive declares Content-Length: 268 over a 242-byte body:
    // RFC 3261 §18.3 makes that an error for a datagram.
    assert_eq!(
        Message::parse(&b).unwrap_err().kind(),
        ErrorKind::BodyTruncated
    );
    let fixed = with_true_length(&b);
    let m = Message::parse(&fixed).unwrap();
    validate(&m).unwrap();
    assert_eq!(m.method(), Some(Method::Invite));
    assert_eq!(m.top_via().unwrap().host, v6("2001:db8::20"));
    assert!(m.body().windows(21).any(|w| w == b"c=IN IP6 2001:db8::20"));
}

// [RFC 5118 §4.7 test] "The Via list contains a mix of IPv4 addresses and IPv6
// references."
#[test]
fn rfc5118_mult_ip_in_header() {
    let b = load("mult-ip-in-header");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let hosts: Vec<_> = m.via().map(|v| v.unwrap().host).collect();
    assert_eq!(hosts.len(), 3);
    assert!(matches!(hosts[0], Host::Ipv6(_)));
    assert!(matches!(hosts[1], Host::Ipv4(_)));
    assert!(matches!(hosts[2], Host::Ipv6(_)));
}

// [RFC 5118 §4.8 test] "The SDP contains multiple media lines, and each media
// line is identified by a different network connection address."
#[test]
fn rfc5118_mult_ip_in_sdp() {
    let b = load("mult-ip-in-sdp");
    assert_eq!(
        Message::parse(&b).unwrap_err().kind(),
        ErrorKind::BodyTruncated
    );
    let fixed = with_true_length(&b);
    let m = Message::parse(&fixed).unwrap();
    validate(&m).unwrap();
    assert!(m.body().windows(8).any(|w| w == b"c=IN IP4"));
    assert!(m.body().windows(8).any(|w| w == b"c=IN IP6"));
}

// [RFC 5118 §4.9 test] "An IPv4-mapped IPv6 address is usually represented with the last 32
// bits appearing as a dotted-decimal IPv4 address"
#[test]
fn rfc5118_ipv4_mapped_ipv6() {
    let b = load("ipv4-mapped-ipv6");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let via = m.top_via().unwrap();
    let Host::Ipv6(a) = via.host else { panic!() };
    assert_eq!(a.to_ipv4_mapped(), Some("192.0.2.10".parse().unwrap()));
    assert_eq!(via.port, Some(19823));
    assert_eq!(m.body().len(), 236);
}

// [RFC 5118 §4.10 test] "an implementation must tolerate both
// of the above constructs."
#[test]
fn rfc5118_ipv6_bug_abnf_3_colons() {
    let b = load("ipv6-bug-abnf-3-colons");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    let want: Ipv6Addr = "2001:db8::192.0.2.1".parse().unwrap();
    assert_eq!(ruri.as_sip().unwrap().host, Host::Ipv6(want));
}

// [RFC 5118 §4.10 test] "The next message has the correct syntax for the IPv6 reference in the
// R-URI."
#[test]
fn rfc5118_ipv6_correct_abnf_2_colons() {
    let b = load("ipv6-correct-abnf-2-colons");
    let m = Message::parse(&b).unwrap();
    validate(&m).unwrap();
    assert_eq!(m.method(), Some(Method::Options));
    assert_eq!(
        m.to().unwrap().uri().as_sip().unwrap().host,
        v6("2001:db8::192.0.2.1")
    );
}
