//! Typed access to every header field the crate models, on one message
//! written with the example values of the defining RFCs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rtclite_sip::headers::Contact;
use rtclite_sip::{HeaderName, Message, validate};

const MSG: &[u8] = b"NOTIFY sip:alice@pc33.atlanta.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1;received=192.0.2.1;rport=5061;maddr=224.2.0.1;ttl=16, SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bK2\r\n\
v: SIP/2.0/TLS p3.example.com;branch=z9hG4bK3;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:bob@biloxi.example.com>;tag=ffd2\r\n\
To: \"Alice\" <sip:alice@atlanta.example.com>;tag=xfg9\r\n\
Call-ID: 7a9f2@pc33.atlanta.example.com\r\n\
CSeq: 3 NOTIFY\r\n\
m: \"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600, <sip:w@192.0.2.4>;q=1\r\n\
Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n\
Record-Route: <sip:p3.example.com;lr>\r\n\
Path: <sip:P3.EXAMPLEHOME.COM;lr>\r\n\
P-Asserted-Identity: \"Cullen Jennings\" <sip:fluffy@cisco.com>, <tel:+14085264000>\r\n\
Refer-To: <sip:carol@cleveland.example.org;method=SUBSCRIBE>\r\n\
b: <sip:referrer@referrer.example>\r\n\
Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472\r\n\
Event: dialog;id=453\r\n\
u: presence, dialog\r\n\
Subscription-State: active;expires=599\r\n\
Session-Expires: 4000;refresher=uac\r\n\
Min-SE: 90\r\n\
Reason: SIP ;cause=580 ;text=\"Precondition Failure\"\r\n\
RSeq: 988789\r\n\
RAck: 776656 1 INVITE\r\n\
Allow: INVITE, ACK, OPTIONS, CANCEL, BYE\r\n\
k: 100rel, timer\r\n\
Require: 100rel\r\n\
Proxy-Require: foo\r\n\
Unsupported: bar\r\n\
e: gzip\r\n\
Expires: 5\r\n\
Min-Expires: 60\r\n\
Retry-After: 18000;duration=3600\r\n\
Retry-After: 120 (I'm in a meeting)\r\n\
Timestamp: 54 0.5\r\n\
User-Agent: Softphone Beta1.5\r\n\
Server: HomeServer v2\r\n\
Warning: 307 isi.edu \"Session parameter 'foo' not understood\", 301 isi.edu \"Incompatible network address type 'E.164'\"\r\n\
WWW-Authenticate: Digest realm=\"atlanta.com\", domain=\"sip:boxesbybob.com\", qop=\"auth\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5\r\n\
Authentication-Info: nextnonce=\"47364c23432d2e131a5fb210812c\"\r\n\
c: application/pidf+xml;charset=UTF-8\r\n\
l: 0\r\n\r\n";

#[test]
fn every_typed_accessor_reads_its_field() {
    let m = Message::parse(MSG).unwrap();
    validate(&m).unwrap();
    let vias: Vec<_> = m.via().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    // [RFC 3581 §3 test] "This parameter MUST have no
    // value; it serves as a flag"
    assert_eq!(vias[0].rport(), Some(Some(5061)));
    assert_eq!(vias[2].rport(), Some(None));
    assert_eq!(vias[0].maddr(), Some("224.2.0.1"));
    assert_eq!(vias[0].ttl(), Some(16));
    assert_eq!(vias[1].port, Some(5070));
    assert_eq!(vias[2].transport, "TLS");
    let contacts: Vec<_> = m.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts[0].q(), Some(700));
    assert_eq!(contacts[0].expires(), Some(3600));
    assert_eq!(contacts[1].q(), Some(1000));
    assert_eq!(m.routes().count(), 2);
    assert_eq!(m.record_routes().count(), 1);
    let pai: Vec<_> = m
        .name_addrs(HeaderName::PAssertedIdentity)
        .map(Result::unwrap)
        .collect();
    assert_eq!(pai[0].display_name().as_deref(), Some("Cullen Jennings"));
    assert_eq!(pai[1].uri().scheme(), "tel");
    let refer_to = m.name_addrs(HeaderName::ReferTo).next().unwrap().unwrap();
    assert_eq!(
        refer_to.uri().as_sip().unwrap().param("method"),
        Some(Some("SUBSCRIBE"))
    );
    assert_eq!(m.name_addrs(HeaderName::ReferredBy).count(), 1);
    assert_eq!(m.name_addrs(HeaderName::Path).count(), 1);
    let replaces = m
        .value_params(HeaderName::Replaces)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(replaces.value, "425928@bobster.example.org");
    assert_eq!(replaces.params.get("to-tag"), Some(Some("7743")));
    let event = m.value_params(HeaderName::Event).next().unwrap().unwrap();
    assert_eq!(
        (event.value, event.params.get("id")),
        ("dialog", Some(Some("453")))
    );
    let allow_events: Vec<_> = m
        .tokens(HeaderName::AllowEvents)
        .map(Result::unwrap)
        .collect();
    assert_eq!(allow_events, ["presence", "dialog"]);
    let state = m
        .value_params(HeaderName::SubscriptionState)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(state.params.get("expires"), Some(Some("599")));
    let se = m
        .value_params(HeaderName::SessionExpires)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(se.number(), Some(4000));
    assert_eq!(se.params.get("refresher"), Some(Some("uac")));
    let min_se = m.value_params(HeaderName::MinSe).next().unwrap().unwrap();
    assert_eq!(min_se.number(), Some(90));
    let reason = m.value_params(HeaderName::Reason).next().unwrap().unwrap();
    assert_eq!(reason.params.get("cause"), Some(Some("580")));
    assert_eq!(
        reason.params.get("text"),
        Some(Some("\"Precondition Failure\""))
    );
    assert_eq!(m.rseq().unwrap().unwrap(), 988_789);
    let rack = m.rack().unwrap().unwrap();
    assert_eq!(
        (rack.response_num, rack.cseq_num, rack.method),
        (776_656, 1, "INVITE")
    );
    let allow: Vec<_> = m.tokens(HeaderName::Allow).map(Result::unwrap).collect();
    assert_eq!(allow, ["INVITE", "ACK", "OPTIONS", "CANCEL", "BYE"]);
    assert_eq!(m.tokens(HeaderName::Supported).count(), 2);
    assert_eq!(
        m.tokens(HeaderName::Require).next().unwrap().unwrap(),
        "100rel"
    );
    assert_eq!(
        m.tokens(HeaderName::ProxyRequire).next().unwrap().unwrap(),
        "foo"
    );
    assert_eq!(
        m.tokens(HeaderName::Unsupported).next().unwrap().unwrap(),
        "bar"
    );
    assert_eq!(
        m.tokens(HeaderName::ContentEncoding)
            .next()
            .unwrap()
            .unwrap(),
        "gzip"
    );
    assert_eq!(m.expires().unwrap().unwrap(), 5);
    assert_eq!(m.min_expires().unwrap().unwrap(), 60);
    let retry: Vec<_> = m
        .value_params(HeaderName::RetryAfter)
        .map(Result::unwrap)
        .collect();
    assert_eq!(retry[0].number(), Some(18000));
    assert_eq!(retry[0].params.get("duration"), Some(Some("3600")));
    assert_eq!(retry[1].comment, Some("(I'm in a meeting)"));
    let ts = m.timestamp().unwrap().unwrap();
    assert_eq!((ts.time, ts.delay), ("54", Some("0.5")));
    assert_eq!(m.user_agent().as_deref(), Some("Softphone Beta1.5"));
    assert_eq!(m.server().as_deref(), Some("HomeServer v2"));
    let w: Vec<_> = m.warnings().map(Result::unwrap).collect();
    assert_eq!(w.len(), 2);
    assert_eq!((w[0].code, w[0].agent), (307, "isi.edu"));
    let ch = m.auth(HeaderName::WwwAuthenticate).next().unwrap().unwrap();
    assert_eq!(ch.scheme, "Digest");
    assert_eq!(ch.param("domain").as_deref(), Some("sip:boxesbybob.com"));
    let info = m.authentication_info().unwrap().unwrap();
    assert_eq!(
        info.param("nextnonce").as_deref(),
        Some("47364c23432d2e131a5fb210812c")
    );
    let ct = m.content_type().unwrap().unwrap();
    assert!(ct.is("application", "pidf+xml"));
    assert_eq!(ct.params.get("charset"), Some(Some("UTF-8")));
    // the compact forms were recognised
    assert_eq!(m.header_by_name("k").unwrap().kind(), HeaderName::Supported);
    assert!(matches!(contacts[0], Contact::Addr(_)));
}

#[test]
fn contact_star_and_bad_values() {
    let m = Message::parse(
        b"REGISTER sip:r.example SIP/2.0\r\nVia: SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n\
From: <sip:a@r.example>;tag=1\r\nTo: <sip:a@r.example>\r\nCall-ID: 1\r\nCSeq: 2 REGISTER\r\n\
Contact: *\r\nExpires: 0\r\nRAck: 1 x\r\nMax-Forwards: many\r\n\r\n",
    )
    .unwrap();
    assert_eq!(m.contacts().next().unwrap().unwrap(), Contact::Star);
    assert!(m.rack().unwrap().is_err());
    let e = m.max_forwards().unwrap().unwrap_err();
    assert_eq!(e.header(), Some(HeaderName::MaxForwards));
    assert!(validate(&m).is_err());
}
