//! RFC 3665 call flows reproduced by `UserAgent`s: the messages each agent
//! emits are snapshot (insta, `tests/snapshots/rfc3665_flows/`; seeded RNGs
//! make tags and branches stable) and compared field by field with the
//! messages printed in the RFC (cut out by `tests/vectors/extract.py`):
//! start line, From/To (display name and URI; tag present or not), CSeq,
//! Contact, Route, Max-Forwards, Content-Type, body and the top Via's
//! sent-by. Tags, branches and Call-IDs are ours. Where a flow runs through
//! proxies, the proxy is scripted with the RFC's own messages, adapted to
//! our Call-ID, tag and branch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::net::SocketAddr;

use bytes::Bytes;
use rtclite_sip::ua::{Body, EndReason, UaEvent};
use rtclite_sip::{HeaderName, Message, OwnedMessage};
use sim::phones::Phones;

fn vector(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/vectors/rfc3665/{name}.sip",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn text(m: &Message<'_>, n: HeaderName) -> Option<String> {
    m.header(n).map(|h| h.value().into_owned())
}

/// Display name and URI of a From/To value, and whether it has a tag.
fn party(m: &Message<'_>, n: HeaderName) -> (Option<String>, String, bool) {
    let a = if n == HeaderName::From {
        m.from()
    } else {
        m.to()
    }
    .unwrap();
    (
        a.display_name().map(|d| d.into_owned()),
        a.uri_str().to_owned(),
        a.tag().is_some(),
    )
}

/// Checks `ours` against the RFC's message `name`; header fields in
/// `ignore` are not compared (the RFC message has them for reasons this
/// flow does not reproduce).
fn compare(ours: &OwnedMessage, name: &str, ignore: &[HeaderName]) {
    let rfc_bytes = vector(name);
    let rfc = Message::parse(&rfc_bytes).unwrap();
    let us = ours.message();
    let ctx = format!("{name}:\n{}", String::from_utf8_lossy(ours.bytes()));
    assert_eq!(us.method(), rfc.method(), "{ctx}");
    // RFC 3665 §3.1 drops the `;transport=tcp` of the Contact when it uses it
    // as the Request-URI of the ACK and BYE; RFC 3261 §12.2.1.1 ("the UAC MUST
    // place the remote target URI into the Request-URI") keeps the URI whole,
    // as we do. That one parameter is not compared.
    let loose = |u: Option<&str>| u.map(|u| u.replace(";transport=tcp", ""));
    assert_eq!(loose(us.request_uri()), loose(rfc.request_uri()), "{ctx}");
    assert_eq!(us.status(), rfc.status(), "{ctx}");
    for n in [HeaderName::From, HeaderName::To] {
        assert_eq!(party(&us, n), party(&rfc, n), "{n:?} of {ctx}");
    }
    let (uv, rv) = (us.top_via().unwrap(), rfc.top_via().unwrap());
    assert_eq!(
        (uv.transport, uv.host, uv.port),
        (rv.transport, rv.host, rv.port),
        "top Via of {ctx}"
    );
    let cseq = |m: &Message<'_>| {
        let c = m.cseq().unwrap();
        (c.seq, c.method.to_owned())
    };
    assert_eq!(cseq(&us), cseq(&rfc), "CSeq of {ctx}");
    for n in [
        HeaderName::Contact,
        HeaderName::Route,
        HeaderName::MaxForwards,
        HeaderName::ContentType,
    ] {
        if ignore.contains(&n) {
            continue;
        }
        let all = |m: &Message<'_>| {
            m.headers_of(n)
                .map(|h| h.value().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(all(&us), all(&rfc), "{n:?} of {ctx}");
    }
    assert_eq!(us.body(), rfc.body(), "body of {ctx}");
    // Every other field the RFC prints is present in ours.
    for h in rfc.headers() {
        let kind = h.kind();
        if ignore.contains(&kind) || kind == HeaderName::Other {
            continue;
        }
        assert!(
            us.header(kind).is_some(),
            "{} missing from {ctx}",
            h.canonical_name()
        );
    }
}

fn body_of(name: &str) -> Body {
    let bytes = vector(name);
    let m = Message::parse(&bytes).unwrap();
    Body::new(
        text(&m, HeaderName::ContentType).unwrap(),
        Bytes::copy_from_slice(m.body()),
    )
}

/// An RFC message with the RFC's identifiers replaced by ours.
fn adapt(name: &str, pairs: &[(String, String)]) -> Bytes {
    let mut s = String::from_utf8(vector(name)).unwrap();
    // Three status lines of §3.9 have two SP after the version, which the
    // Status-Line grammar (RFC 3261 §7.2) does not allow.
    s = s.replacen("SIP/2.0  ", "SIP/2.0 ", 1);
    for (from, to) in pairs {
        s = s.replace(from.as_str(), to);
    }
    Bytes::from(s)
}

/// The identifiers of an INVITE: Call-ID, From tag and top branch.
fn ids(m: &Message<'_>) -> [String; 3] {
    [
        m.call_id().unwrap().to_owned(),
        m.from().unwrap().tag().unwrap().to_owned(),
        m.top_via().unwrap().branch().unwrap().to_owned(),
    ]
}

fn pairs(rfc: &str, ours: &OwnedMessage) -> Vec<(String, String)> {
    let bytes = vector(rfc);
    let r = Message::parse(&bytes).unwrap();
    ids(&r).into_iter().zip(ids(&ours.message())).collect()
}

fn snapshot(name: &str, w: &Phones, names: &[(SocketAddr, &str)]) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/rfc3665_flows");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, w.transcript(names)));
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The agent configuration the RFC's first message implies: From, Contact,
/// Via sent-by and transport, Route (outbound proxy).
fn config_from(name: &str) -> rtclite_sip::ua::UaConfig {
    let bytes = vector(name);
    let m = Message::parse(&bytes).unwrap();
    let from = m.from().unwrap();
    let via = m.top_via().unwrap();
    let contact = m.name_addrs(HeaderName::Contact).next().unwrap().unwrap();
    let mut c = rtclite_sip::ua::UaConfig::new(
        format!("{} <{}>", from.display_name().unwrap(), from.uri_str()),
        contact.uri_str(),
        format!(
            "SIP/2.0/{} {}:{}",
            via.transport,
            via.host,
            via.port.unwrap()
        ),
    );
    c.outbound_proxy = m.routes().next().map(|r| r.unwrap().uri_str().to_owned());
    // The RFC 3665 agents do not offer 100rel.
    c.reliable_provisionals = false;
    // Nor session timers (RFC 4028).
    c.session_timer = None;
    c
}

// [RFC 3665 §3.1 test] "In this scenario, Alice completes a call to Bob
// directly."
#[test]
fn rfc3665_3_1_successful_session_establishment() {
    let alice_addr = addr("192.0.2.101:5060");
    let bob_addr = addr("192.0.2.201:5060");
    let mut w = Phones::new();
    let alice = w.add(
        config_from("3.1_F1"),
        "client.atlanta.example.com",
        alice_addr,
        31,
    );
    let mut bob_cfg = rtclite_sip::ua::UaConfig::new(
        "Bob <sip:bob@biloxi.example.com>",
        "sip:bob@client.biloxi.example.com;transport=tcp",
        "SIP/2.0/TCP client.biloxi.example.com:5060",
    );
    bob_cfg.reliable_provisionals = false;
    bob_cfg.session_timer = None;
    let bob = w.add(bob_cfg, "client.biloxi.example.com", bob_addr, 32);
    w.name("biloxi.example.com", bob_addr);
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "Bob <sip:bob@biloxi.example.com>", body_of("3.1_F1"))
        })
        .unwrap();
    let theirs = w.find(bob, |e| match e {
        UaEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })[0];
    w.with(bob, |ua, now| ua.ring(now, theirs)).unwrap();
    w.with(bob, |ua, now| {
        ua.answer(now, theirs, Some(body_of("3.1_F3")))
    })
    .unwrap();
    w.with(bob, |ua, now| ua.hang_up(now, theirs)).unwrap();
    let sent: Vec<OwnedMessage> = w
        .log
        .iter()
        .map(|s| OwnedMessage::parse(s.bytes.clone()).unwrap())
        .collect();
    assert_eq!(sent.len(), 6);
    for (i, m) in sent.iter().enumerate() {
        compare(m, &format!("3.1_F{}", i + 1), &[]);
    }
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::Terminated { call: c, reason } if *c == call => Some(*reason),
            _ => None,
        }),
        [EndReason::RemoteBye]
    );
    snapshot(
        "rfc3665_3_1",
        &w,
        &[(alice_addr, "Alice"), (bob_addr, "Bob")],
    );
}

fn alice_with_proxy(f1: &str) -> (Phones, usize, SocketAddr, SocketAddr) {
    let alice_addr = addr("192.0.2.101:5060");
    let proxy = addr("192.0.2.111:5060");
    let mut w = Phones::new();
    let alice = w.add(
        config_from(f1),
        "client.atlanta.example.com",
        alice_addr,
        38,
    );
    w.name("ss1.atlanta.example.com", proxy);
    (w, alice, alice_addr, proxy)
}

fn outside(w: &Phones) -> Vec<OwnedMessage> {
    w.outside
        .iter()
        .map(|s| OwnedMessage::parse(s.bytes.clone()).unwrap())
        .collect()
}

// [RFC 3665 §3.8 test] "Alice sends a CANCEL (F9) since no final response had
// been received from Bob."
#[test]
fn rfc3665_3_8_unsuccessful_no_answer() {
    let (mut w, alice, alice_addr, proxy) = alice_with_proxy("3.8_F1");
    let call = w
        .with(alice, |ua, now| {
            ua.call(now, "Bob <sip:bob@biloxi.example.com>", body_of("3.8_F1"))
        })
        .unwrap();
    let f1 = outside(&w)[0].clone();
    let p = pairs("3.8_F1", &f1);
    for f in ["3.8_F3", "3.8_F8"] {
        w.inject(proxy, alice_addr, adapt(f, &p));
        w.settle();
    }
    w.with(alice, |ua, now| ua.cancel(now, call)).unwrap();
    for f in ["3.8_F10", "3.8_F19"] {
        w.inject(proxy, alice_addr, adapt(f, &p));
        w.settle();
    }
    let sent = outside(&w);
    assert_eq!(sent.len(), 3);
    // Alice's INVITE here has no credentials (the RFC's flow was challenged
    // before F1).
    compare(&sent[0], "3.8_F1", &[HeaderName::ProxyAuthorization]);
    compare(&sent[1], "3.8_F9", &[]);
    // The RFC's ACK omits the INVITE's Route, which §17.1.1.3 requires ("If
    // the INVITE request whose response is being acknowledged had Route header
    // fields, those header fields MUST appear in the ACK.").
    compare(
        &sent[2],
        "3.8_F20",
        &[HeaderName::Route, HeaderName::ProxyAuthorization],
    );
    assert!(sent[2].message().routes().next().is_some());
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::Terminated { reason, .. } => Some(*reason),
            _ => None,
        }),
        [EndReason::Cancelled]
    );
    snapshot(
        "rfc3665_3_8",
        &w,
        &[(alice_addr, "Alice"), (proxy, "Proxy 1")],
    );
}

// [RFC 3665 §3.9 test] "In this scenario, Bob is busy and sends a 486 Busy Here
// response to Alice's INVITE."
#[test]
fn rfc3665_3_9_unsuccessful_busy() {
    let (mut w, alice, alice_addr, proxy) = alice_with_proxy("3.9_F1");
    w.with(alice, |ua, now| {
        ua.call(now, "Bob <sip:bob@biloxi.example.com>", body_of("3.9_F1"))
    })
    .unwrap();
    let f1 = outside(&w)[0].clone();
    let p = pairs("3.9_F1", &f1);
    for f in ["3.9_F3", "3.9_F10"] {
        w.inject_over(
            rtclite_sip::transport::TransportKind::Tcp,
            proxy,
            alice_addr,
            adapt(f, &p),
        );
        w.settle();
    }
    let sent = outside(&w);
    assert_eq!(sent.len(), 2);
    compare(&sent[0], "3.9_F1", &[HeaderName::ProxyAuthorization]);
    compare(
        &sent[1],
        "3.9_F11",
        &[HeaderName::Route, HeaderName::ProxyAuthorization],
    );
    assert_eq!(
        w.find(alice, |e| match e {
            UaEvent::Terminated { reason, .. } => Some(*reason),
            _ => None,
        }),
        [EndReason::Rejected { status: 486 }]
    );
    snapshot(
        "rfc3665_3_9",
        &w,
        &[(alice_addr, "Alice"), (proxy, "Proxy 1")],
    );
}
