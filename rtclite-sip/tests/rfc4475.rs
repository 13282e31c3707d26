//! RFC 4475 torture tests: one test per message of §3, on the bit-exact
//! bytes of Appendix A (extracted by `tests/vectors/extract.py`).
//!
//! Valid messages must parse and pass [`validate`], with their specific facts
//! checked; invalid ones must be rejected for the reason the RFC gives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rtclite_sip::headers::Contact;
use rtclite_sip::{ErrorKind, HeaderName, Host, Message, Method, Uri, unescape, validate};

fn load(tag: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/vectors/rfc4475/{tag}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses and validates a message the RFC calls valid.
fn valid(bytes: &[u8]) -> Message<'_> {
    let msg = Message::parse(bytes).expect("parses");
    validate(&msg).expect("validates");
    msg
}

/// The error for a message the RFC calls invalid.
fn invalid(bytes: &[u8]) -> rtclite_sip::Error {
    match Message::parse(bytes) {
        Err(e) => e,
        Ok(m) => validate(&m).expect_err("must be rejected"),
    }
}

fn sip_user<'a>(u: &Uri<'a>) -> Option<&'a str> {
    u.as_sip().and_then(|s| s.user)
}

// [RFC 4475 §3.1.1.1 test] "This short, relatively human-readable message contains:"
#[test]
fn rfc4475_wsinv() {
    let b = load("wsinv");
    let m = valid(&b);
    assert_eq!(m.method(), Some(Method::Invite));
    assert_eq!(
        m.request_uri(),
        Some("sip:vivekg@chair-dnrc.example.com;unknownparam")
    );
    // line folding and white space around the colon
    assert_eq!(m.to().unwrap().tag(), Some("1918181833n"));
    let from = m.from().unwrap();
    assert_eq!(from.display_name().as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(m.max_forwards().unwrap().unwrap(), 68);
    assert_eq!(m.cseq().unwrap().seq, 9);
    assert_eq!(m.cseq().unwrap().method, "INVITE");
    // Via spread over lines with LWS around the slashes; three values in total
    let vias: Vec<_> = m.via().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].protocol(), "SIP/2.0/UDP");
    assert_eq!(vias[0].host, Host::Ipv4("192.0.2.2".parse().unwrap()));
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].protocol(), "SIP/2.0/TCP");
    assert_eq!(vias[1].host, Host::Domain("spindle.example.com"));
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    // empty Subject (compact s), folded unknown header
    assert_eq!(m.header(HeaderName::Subject).unwrap().raw_value(), "");
    assert_eq!(
        m.header_by_name("NewFangledHeader").unwrap().value(),
        "newfangled value continued newfangled value"
    );
    assert_eq!(
        m.header_by_name("UnknownHeaderWithUnusualValue")
            .unwrap()
            .raw_value(),
        ";;,,;;,;"
    );
    let route = m.routes().next().unwrap().unwrap();
    assert!(route.uri().as_sip().unwrap().params.contains("lr"));
    let Contact::Addr(c) = m.contacts().next().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(c.display_name().as_deref(), Some("Quoted string \"\""));
    assert_eq!(Contact::Addr(c.clone()).q(), Some(330));
    assert_eq!(c.params().get("newparam"), Some(Some("newvalue")));
    assert_eq!(c.params().get("secondparam"), Some(None));
    assert_eq!(m.content_length().unwrap().unwrap(), 150);
    assert_eq!(m.body().len(), 150);
}

// [RFC 4475 §3.1.1.2 test] "This message exercises a wider range"
#[test]
fn rfc4475_intmeth() {
    let b = load("intmeth");
    let m = valid(&b);
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(m.method(), Some(Method::Extension(method)));
    assert_eq!(m.cseq().unwrap().method, method);
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    let sip = ruri.as_sip().unwrap();
    assert_eq!(
        sip.user,
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        sip.password,
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(sip.host, Host::Domain("example.com"));
    let to = m.to().unwrap();
    assert_eq!(
        to.display_name().as_deref(),
        Some("BEL:\x07 NUL:\0 DEL:\x7f")
    );
    let from = m.from().unwrap();
    assert_eq!(
        from.display_name().as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        from.params().get("fromParam''~+*_!.-%"),
        Some(Some("\"работающий\""))
    );
    assert_eq!(
        m.call_id().unwrap(),
        "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    assert_eq!(m.max_forwards().unwrap().unwrap(), 255);
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    let ext = m.header_by_name("extensionHeader-!.%*+_`'~").unwrap();
    assert_eq!(ext.raw_value(), "\u{feff}大停電");
}

// [RFC 4475 §3.1.1.3 test] "This INVITE exercises the % HEX"
#[test]
fn rfc4475_esc01() {
    let b = load("esc01");
    let m = valid(&b);
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    assert_eq!(
        &*unescape(sip_user(&ruri).unwrap()),
        b"sips:user@example.com"
    );
    assert_eq!(ruri.as_sip().unwrap().host, Host::Domain("example.net"));
    let to = m.to().unwrap();
    assert_eq!(&*unescape(sip_user(to.uri()).unwrap()), b"user");
    // %75se%72 and user are the same URI (RFC 3261 §19.1.4)
    assert!(
        to.uri()
            .equivalent(&Uri::parse("sip:user@example.com").unwrap())
    );
    let from = m.from().unwrap();
    assert_eq!(&*unescape(sip_user(from.uri()).unwrap()), b"I have spaces");
    assert_eq!(m.call_id().unwrap(), "esc01.239409asdfakjkn23onasd0-3234");
    assert!(m.content_type().unwrap().unwrap().is("application", "sdp"));
    let Contact::Addr(c) = m.contacts().next().unwrap().unwrap() else {
        panic!()
    };
    let uri = c.uri().as_sip().unwrap();
    assert_eq!(&*unescape(uri.user.unwrap()), b"caller");
    let params: Vec<_> = uri.params.iter().collect();
    assert_eq!(
        params,
        [("%6C%72", None), ("n%61me", Some("v%61lue%25%34%31"))]
    );
    assert_eq!(&*unescape("v%61lue%25%34%31"), b"value%41");
}

// [RFC 4475 §3.1.1.4 test] "This register request contains several URIs"
#[test]
fn rfc4475_escnull() {
    let b = load("escnull");
    let m = valid(&b);
    assert_eq!(m.method(), Some(Method::Register));
    let to = m.to().unwrap();
    assert_eq!(&*unescape(sip_user(to.uri()).unwrap()), b"null-\0-null");
    let users: Vec<Vec<u8>> = m
        .contacts()
        .map(|c| match c.unwrap() {
            Contact::Addr(a) => unescape(sip_user(a.uri()).unwrap()).into_owned(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(users, [b"\0".to_vec(), b"\0\0".to_vec()]);
    assert_eq!(m.content_length().unwrap().unwrap(), 0);
}

// [RFC 4475 §3.1.1.5 test] "In most of the places %"
#[test]
fn rfc4475_esc02() {
    let b = load("esc02");
    let m = valid(&b);
    // %47 in a method is not an escape: the method is its literal text
    assert_eq!(m.method(), Some(Method::Extension("RE%47IST%45R")));
    assert_eq!(m.cseq().unwrap().method, "RE%47IST%45R");
    assert_eq!(m.to().unwrap().display_name().as_deref(), Some("%Z%45"));
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK209%fzsnel234"));
    // C%6Fntact is an unknown header, not Contact
    assert_eq!(m.contacts().count(), 2);
    let other = m.header_by_name("C%6Fntact").unwrap();
    assert_eq!(other.kind(), HeaderName::Other);
    assert_eq!(other.raw_value(), "<sip:alias2@host2.example.com>");
}

// [RFC 4475 §3.1.1.6 test] "Elements should
// accept this request as well formed."
#[test]
fn rfc4475_lwsdisp() {
    let b = load("lwsdisp");
    let m = valid(&b);
    let from = m.from().unwrap();
    assert_eq!(from.display_name().as_deref(), Some("caller"));
    assert_eq!(from.uri_str(), "sip:caller@example.com");
    assert_eq!(from.tag(), Some("323"));
}

// [RFC 4475 §3.1.1.7 test] "This well-formed request contains header fields"
#[test]
fn rfc4475_longreq() {
    let b = load("longreq");
    let m = valid(&b);
    let vias: Vec<_> = m.via().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 34);
    assert_eq!(vias[0].host, Host::Domain("sip33.example.com"));
    assert_eq!(vias[32].host, Host::Domain("sip1.example.com"));
    assert_eq!(vias[33].host, Host::Domain("host.example.com"));
    assert_eq!(vias[33].received(), Some("192.0.2.5"));
    assert!(vias[33].branch().unwrap().starts_with("verylonglong"));
    assert!(
        m.to()
            .unwrap()
            .display_name()
            .unwrap()
            .contains("extremeextreme")
    );
    assert!(m.from().unwrap().tag().unwrap().len() > 100);
    assert_eq!(m.call_id().unwrap().len(), 141);
    let unknown = m
        .headers()
        .find(|h| h.name().starts_with("Unknown-LongLong"))
        .unwrap();
    assert!(unknown.raw_value().len() > 100);
    assert_eq!(m.header_by_name("Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-Name").map(|h| h.kind()), Some(HeaderName::Other));
    assert_eq!(m.body().len(), 150);
}

// [RFC 4475 §3.1.1.8 test] "they are just spurious noise that must be
// ignored."
#[test]
fn rfc4475_dblreq() {
    let b = load("dblreq");
    let m = valid(&b);
    assert_eq!(m.method(), Some(Method::Register));
    assert_eq!(m.body(), b"");
    assert!(b.len() > 400, "the trailing INVITE is in the datagram");
    assert!(!m.to_vec().windows(6).any(|w| w == b"INVITE"));
}

// [RFC 4475 §3.1.1.9 test] "This request has a semicolon-separated parameter"
#[test]
fn rfc4475_semiuri() {
    let b = load("semiuri");
    let m = valid(&b);
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    let sip = ruri.as_sip().unwrap();
    assert_eq!(sip.user, Some("user;par=u%40example.net"));
    assert_eq!(sip.host, Host::Domain("example.com"));
    assert!(sip.params.is_empty());
    let accept: Vec<_> = m.values_of(HeaderName::Accept).map(|(_, v)| v).collect();
    assert_eq!(accept.len(), 6);
    assert_eq!(accept[5], "message/sipfrag");
}

// [RFC 4475 §3.1.1.10 test] "This request contains Via header field"
#[test]
fn rfc4475_transports() {
    let b = load("transports");
    let m = valid(&b);
    let t: Vec<_> = m.via().map(|v| v.unwrap().transport).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    assert_eq!(m.call_id().unwrap(), "transports.kijh4akdnaqjkwendsasfdj");
}

// [RFC 4475 §3.1.1.11 test] "This MESSAGE request contains two body"
#[test]
fn rfc4475_mpart01() {
    let b = load("mpart01");
    let m = valid(&b);
    assert_eq!(m.method(), Some(Method::Message));
    let ct = m.content_type().unwrap().unwrap();
    assert!(ct.is("multipart", "mixed"));
    assert_eq!(ct.params.get("boundary"), Some(Some("7a9cbec02ceef655")));
    assert_eq!(m.body().len(), 553);
    assert_eq!(m.top_via().unwrap().rport(), Some(None));
    assert_eq!(m.date().unwrap().unwrap(), "Sat, 15 Oct 2005 04:44:56 GMT");
    assert_eq!(m.user_agent().as_deref(), Some("SIPimp.org/0.2.5 (curses)"));
}

// [RFC 4475 §3.1.1.12 test] "This 200 response contains a reason"
#[test]
fn rfc4475_unreason() {
    let b = load("unreason");
    let m = valid(&b);
    assert_eq!(m.status(), Some(200));
    assert_eq!(
        m.reason(),
        Some("= 2**3 * 5**2 но сто девяносто девять - простое")
    );
    assert_eq!(m.body().len(), 154);
}

// [RFC 4475 §3.1.1.13 test] "This well-formed response contains no reason"
#[test]
fn rfc4475_noreason() {
    let b = load("noreason");
    let m = valid(&b);
    assert_eq!(m.status(), Some(100));
    assert_eq!(m.reason(), Some(""));
}

// [RFC 4475 §3.1.2.1 test] "This message is
// syntactically invalid."
#[test]
fn rfc4475_badinv01() {
    let e = invalid(&load("badinv01"));
    assert_eq!(e.header(), Some(HeaderName::Via));
    assert!(matches!(e.kind(), ErrorKind::Syntax(_)));
}

// [RFC 4475 §3.1.2.2 test] "This is a request message with"
#[test]
fn rfc4475_clerr() {
    let e = invalid(&load("clerr"));
    assert_eq!(e.kind(), ErrorKind::BodyTruncated);
    assert_eq!(e.section(), Some("RFC 3261 §18.3"));
}

// [RFC 4475 §3.1.2.3 test] "This request has a negative value"
#[test]
fn rfc4475_ncl() {
    let e = invalid(&load("ncl"));
    assert_eq!(e.header(), Some(HeaderName::ContentLength));
    assert!(matches!(e.kind(), ErrorKind::Syntax(_)));
}

// [RFC 4475 §3.1.2.4 test] "An element receiving this request should respond with a 400 Bad
// Request due to the CSeq error."
#[test]
fn rfc4475_scalar02() {
    let e = invalid(&load("scalar02"));
    assert_eq!(e.header(), Some(HeaderName::CSeq));
    assert!(matches!(e.kind(), ErrorKind::OutOfRange(_)));
}

// [RFC 4475 §3.1.2.5 test] "This response contains several scalar header"
#[test]
fn rfc4475_scalarlg() {
    let b = load("scalarlg");
    let e = invalid(&b);
    assert_eq!(e.header(), Some(HeaderName::CSeq));
    // the Warning code with more than three digits is rejected too
    let m = Message::parse(&b).unwrap();
    assert!(m.warnings().next().unwrap().is_err());
}

// [RFC 4475 §3.1.2.6 test] "This is a request with an"
#[test]
fn rfc4475_quotbal() {
    let e = invalid(&load("quotbal"));
    assert_eq!(e.header(), Some(HeaderName::To));
    assert!(e.to_string().contains("unterminated quoted-string"));
}

// [RFC 4475 §3.1.2.7 test] "This INVITE request is invalid because"
#[test]
fn rfc4475_ltgtruri() {
    let e = invalid(&load("ltgtruri"));
    assert!(e.to_string().contains("scheme"), "{e}");
}

// [RFC 4475 §3.1.2.8 test] "This INVITE has illegal LWS within"
#[test]
fn rfc4475_lwsruri() {
    let e = Message::parse(&load("lwsruri")).unwrap_err();
    assert_eq!(e.section(), Some("RFC 3261 §7.1"));
    assert_eq!(e.offset(), Some(28));
}

// [RFC 4475 §3.1.2.9 test] "This INVITE has illegal multiple SP"
#[test]
fn rfc4475_lwsstart() {
    let e = Message::parse(&load("lwsstart")).unwrap_err();
    assert_eq!(e.section(), Some("RFC 3261 §7.1"));
    assert_eq!(e.offset(), Some(7));
}

// [RFC 4475 §3.1.2.10 test] "It is acceptable to reject this request as malformed."
#[test]
fn rfc4475_trws() {
    let e = Message::parse(&load("trws")).unwrap_err();
    assert_eq!(e.section(), Some("RFC 3261 §7.1"));
}

// [RFC 4475 §3.1.2.11 test] "It is acceptable for an element to reject this request with a 400 Bad
// Request."
#[test]
fn rfc4475_escruri() {
    let b = load("escruri");
    let e = invalid(&b);
    assert_eq!(e.section(), Some("RFC 3261 §19.1.1"));
    let m = Message::parse(&b).unwrap();
    let ruri = m.request_uri_parsed().unwrap().unwrap();
    assert_eq!(
        ruri.as_sip().unwrap().headers,
        Some("Route=%3Csip:example.com%3E")
    );
}

// [RFC 4475 §3.1.2.12 test] "This INVITE is invalid, as it"
#[test]
fn rfc4475_baddate() {
    let b = load("baddate");
    let m = Message::parse(&b).unwrap();
    // the Date field is rejected where it is used...
    let e = m.date().unwrap().unwrap_err();
    assert_eq!(e.header(), Some(HeaderName::Date));
    // ...but RFC 3261 §16.3 says a malformed Date is no reason to reject.
    validate(&m).unwrap();
}

// [RFC 4475 §3.1.2.13 test] "This REGISTER request is malformed. The"
#[test]
fn rfc4475_regbadct() {
    let e = invalid(&load("regbadct"));
    assert_eq!(e.header(), Some(HeaderName::Contact));
    assert_eq!(e.section(), Some("RFC 3261 §20.10"));
}

// [RFC 4475 §3.1.2.14 test] "This request is malformed, since the"
#[test]
fn rfc4475_badaspec() {
    let e = invalid(&load("badaspec"));
    assert_eq!(e.header(), Some(HeaderName::To));
}

// [RFC 4475 §3.1.2.15 test] "This OPTIONS request is malformed, since"
#[test]
fn rfc4475_baddn() {
    let e = invalid(&load("baddn"));
    assert_eq!(e.header(), Some(HeaderName::From));
    assert!(e.to_string().contains("display-name"));
}

// [RFC 4475 §3.1.2.16 test] "To an element implementing [RFC3261], this"
#[test]
fn rfc4475_badvers() {
    let b = load("badvers");
    let m = Message::parse(&b).unwrap();
    assert_eq!(m.version(), rtclite_sip::Version { major: 7, minor: 0 });
    let e = validate(&m).unwrap_err();
    assert!(e.to_string().contains("505"));
}

// [RFC 4475 §3.1.2.17 test] "This request has mismatching values for"
#[test]
fn rfc4475_mismatch01() {
    let e = invalid(&load("mismatch01"));
    assert_eq!(e.header(), Some(HeaderName::CSeq));
    assert_eq!(e.section(), Some("RFC 3261 §8.1.1.5"));
}

// [RFC 4475 §3.1.2.18 test] "This message has an unknown method"
#[test]
fn rfc4475_mismatch02() {
    let b = load("mismatch02");
    let m = Message::parse(&b).unwrap();
    assert_eq!(m.method(), Some(Method::Extension("NEWMETHOD")));
    let e = validate(&m).unwrap_err();
    assert_eq!(e.header(), Some(HeaderName::CSeq));
}

// [RFC 4475 §3.1.2.19 test] "This response has a response code"
#[test]
fn rfc4475_bigcode() {
    let e = Message::parse(&load("bigcode")).unwrap_err();
    assert_eq!(e.section(), Some("RFC 3261 §7.2"));
}

// [RFC 4475 §3.2.1 test] "This request indicates support for RFC"
#[test]
fn rfc4475_badbranch() {
    let b = load("badbranch");
    let m = valid(&b);
    // the branch is only the magic cookie: parsers accept it; the
    // transaction layer must not treat it as RFC 3261 branch (issue 4)
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK"));
}

// [RFC 4475 §3.3.1 test] "This request contains no Call-ID, From,"
#[test]
fn rfc4475_insuf() {
    let b = load("insuf");
    let m = Message::parse(&b).unwrap();
    for e in [
        m.from().unwrap_err(),
        m.to().unwrap_err(),
        m.call_id().unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::MissingHeader);
    }
    assert_eq!(validate(&m).unwrap_err().kind(), ErrorKind::MissingHeader);
}

// [RFC 4475 §3.3.2 test] "This OPTIONS contains an unknown URI"
#[test]
fn rfc4475_unkscm() {
    let b = load("unkscm");
    let m = valid(&b);
    let u = m.request_uri_parsed().unwrap().unwrap();
    assert_eq!(
        u,
        Uri::Other {
            scheme: "nobodyKnowsThisScheme",
            rest: "totallyopaquecontent"
        }
    );
    assert_eq!(
        rtclite_sip::proxy_validate(&m, &[]).unwrap_err().status(),
        416
    );
}

// [RFC 4475 §3.3.3 test] "This OPTIONS contains an Request-URI with"
#[test]
fn rfc4475_novelsc() {
    let b = load("novelsc");
    let m = valid(&b);
    let u = m.request_uri_parsed().unwrap().unwrap();
    assert_eq!(u.scheme(), "soap.beep");
}

// [RFC 4475 §3.3.4 test] "This message contains registered schemes in"
#[test]
fn rfc4475_unksm2() {
    let b = load("unksm2");
    let m = valid(&b);
    assert_eq!(m.to().unwrap().uri().scheme(), "isbn");
    assert_eq!(m.from().unwrap().uri().scheme(), "http");
    let Contact::Addr(c) = m.contacts().next().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(c.uri().scheme(), "name");
}

// [RFC 4475 §3.3.5 test] "This request tests proper implementation of"
#[test]
fn rfc4475_bext01() {
    let b = load("bext01");
    let m = valid(&b);
    let req: Vec<_> = m.tokens(HeaderName::Require).map(Result::unwrap).collect();
    assert_eq!(req, ["nothingSupportsThis", "nothingSupportsThisEither"]);
    let rej = rtclite_sip::proxy_validate(&m, &["100rel"]).unwrap_err();
    assert_eq!(rej.status(), 420);
    assert_eq!(
        rej,
        rtclite_sip::Rejection::BadExtension(vec![
            "noProxiesSupportThis".into(),
            "norDoAnyProxiesSupportThis".into()
        ])
    );
}

// [RFC 4475 §3.3.6 test] "This INVITE request contains a body"
#[test]
fn rfc4475_invut() {
    let b = load("invut");
    let m = valid(&b);
    assert!(
        m.content_type()
            .unwrap()
            .unwrap()
            .is("application", "unknownformat")
    );
    assert_eq!(m.body().len(), 40);
}

// [RFC 4475 §3.3.7 test] "This REGISTER request contains an Authorization"
#[test]
fn rfc4475_regaut01() {
    let b = load("regaut01");
    let m = valid(&b);
    let a = m.auth(HeaderName::Authorization).next().unwrap().unwrap();
    assert_eq!(a.scheme, "NoOneKnowsThisScheme");
    assert_eq!(a.param("opaque-data").as_deref(), Some("here"));
}

// [RFC 4475 §3.3.8 test] "An element receiving this request would respond with a 400 Bad
// Request error."
#[test]
fn rfc4475_multi01() {
    let e = invalid(&load("multi01"));
    assert_eq!(e.kind(), ErrorKind::DuplicateHeader);
}

// [RFC 4475 §3.3.9 test] "Multiple conflicting Content-Length header field values"
#[test]
fn rfc4475_mcl01() {
    let e = invalid(&load("mcl01"));
    assert_eq!(e.kind(), ErrorKind::DuplicateHeader);
    assert_eq!(e.header(), Some(HeaderName::ContentLength));
}

// [RFC 4475 §3.3.10 test] "The message is well formed; parsers
// must not fail when receiving it."
#[test]
fn rfc4475_bcast() {
    let b = load("bcast");
    let m = valid(&b);
    let v: Vec<_> = m.via().map(Result::unwrap).collect();
    assert_eq!(v[1].host, Host::Ipv4(std::net::Ipv4Addr::BROADCAST));
}

// [RFC 4475 §3.3.11 test] "This is a legal SIP request"
#[test]
fn rfc4475_zeromf() {
    let b = load("zeromf");
    let m = valid(&b);
    assert_eq!(m.max_forwards().unwrap().unwrap(), 0);
    assert_eq!(
        rtclite_sip::proxy_validate(&m, &[]).unwrap_err().status(),
        483
    );
}

// [RFC 4475 §3.3.12 test] "parameter must be interpreted as a contact-param and not a url-param."
#[test]
fn rfc4475_cparam01() {
    let b = load("cparam01");
    let m = valid(&b);
    let Contact::Addr(c) = m.contacts().next().unwrap().unwrap() else {
        panic!()
    };
    assert!(c.params().contains("unknownparam"));
    assert!(c.uri().as_sip().unwrap().params.is_empty());
}

// [RFC 4475 §3.3.13 test] "This register request contains a contact where the URI has an unknown
// parameter."
#[test]
fn rfc4475_cparam02() {
    let b = load("cparam02");
    let m = valid(&b);
    let Contact::Addr(c) = m.contacts().next().unwrap().unwrap() else {
        panic!()
    };
    assert!(c.params().is_empty());
    assert!(c.uri().as_sip().unwrap().params.contains("unknownparam"));
}

// [RFC 4475 §3.3.14 test] "This register request contains a contact where the URI has an escaped
// header."
#[test]
fn rfc4475_regescrt() {
    let b = load("regescrt");
    let m = valid(&b);
    let Contact::Addr(c) = m.contacts().next().unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(
        c.uri().as_sip().unwrap().headers,
        Some("Route=%3Csip:sip.example.com%3E")
    );
}

// [RFC 4475 §3.3.15 test] "This request indicates that the response"
#[test]
fn rfc4475_sdp01() {
    let b = load("sdp01");
    let m = valid(&b);
    assert_eq!(
        m.header(HeaderName::Accept).unwrap().raw_value(),
        "text/nobodyKnowsThis"
    );
    assert!(m.content_type().unwrap().unwrap().is("application", "sdp"));
}

// [RFC 4475 §3.4.1 test] "This is a legal message per"
#[test]
fn rfc4475_inv2543() {
    let b = load("inv2543");
    let m = valid(&b);
    let via = m.top_via().unwrap();
    assert_eq!(via.branch(), None);
    assert_eq!(m.from().unwrap().tag(), None);
    let rr = m.record_routes().next().unwrap().unwrap();
    assert_eq!(
        rr.uri().as_sip().unwrap().param("maddr"),
        Some(Some("ss1.example.com"))
    );
    assert_eq!(m.max_forwards(), None);
}

/// Every file of the archive is covered by a test above.
#[test]
fn rfc4475_archive_is_complete() {
    let dir = format!("{}/tests/vectors/rfc4475", env!("CARGO_MANIFEST_DIR"));
    let n = std::fs::read_dir(dir).unwrap().count();
    // 49 messages of §3 plus the stray test.dat of the archive
    assert_eq!(n, 50);
    let e = Message::parse(&load("test")).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Syntax(_)));
}
