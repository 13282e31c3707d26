//! The registrar of RFC 3261 §10.3 over the in-memory location service,
//! starting from the RFC 3665 §2.1 registration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "sim/msg.rs"]
mod msg;

use std::time::{Duration, Instant};

use rtclite_sip::registrar::{
    InMemoryLocationService, LocationService, Registrar, RegistrarConfig,
};
use rtclite_sip::{HeaderName, OwnedMessage};

use msg::parse;

fn vector(name: &str) -> OwnedMessage {
    let path = format!(
        "{}/tests/vectors/rfc3665/{name}.sip",
        env!("CARGO_MANIFEST_DIR")
    );
    parse(&std::fs::read(path).unwrap())
}

fn registrar() -> Registrar<InMemoryLocationService> {
    Registrar::new(
        RegistrarConfig {
            domains: vec!["biloxi.example.com".into(), "ss2.biloxi.example.com".into()],
            to_tag: "37GkEhwl6".into(),
            ..RegistrarConfig::default()
        },
        InMemoryLocationService::new(),
    )
}

fn register(cseq: u32, call_id: &str, contact: &str, extra: &str) -> OwnedMessage {
    parse(
        format!(
            "REGISTER sips:ss2.biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/TLS client.biloxi.example.com:5061;branch=z9hG4bKr{cseq}\r\n\
Max-Forwards: 70\r\n\
From: Bob <sips:bob@biloxi.example.com>;tag=ja743ks76zlflH\r\n\
To: Bob <sips:bob@biloxi.example.com>\r\n\
Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n{contact}{extra}Content-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    )
}

fn contacts(r: &OwnedMessage) -> Vec<String> {
    r.message()
        .values_of(HeaderName::Contact)
        .map(|(_, v)| v.to_owned())
        .collect()
}

// [RFC 3261 §10.3 test] "Each Contact value MUST feature an "expires" parameter
// indicating its expiration interval chosen by the registrar."
#[test]
fn rfc3665_2_1_f4_registration_is_answered_with_the_binding() {
    let t0 = Instant::now();
    let mut reg = registrar();
    let ok = reg
        .handle_register(t0, &vector("2.1_F3").message())
        .unwrap();
    let printed = vector("2.1_F4");
    assert_eq!(ok.message().status(), Some(200));
    assert_eq!(contacts(&ok), contacts(&printed));
    assert_eq!(ok.message().to().unwrap().tag(), Some("37GkEhwl6"));
    assert_eq!(
        reg.location().bindings("sips:bob@biloxi.example.com").len(),
        1
    );
}

// [RFC 3261 §10.3 test] "If the value is higher than that of the existing binding,
// it MUST update or remove the binding as above."
// [RFC 3261 §10.3 test] "If not, the update MUST be aborted and the request fails."
#[test]
fn refresh_order_and_removal() {
    let t0 = Instant::now();
    let mut reg = registrar();
    let c = "Contact: <sips:bob@client.biloxi.example.com>\r\n";
    let ok = reg
        .handle_register(t0, &register(5, "c1", c, "Expires: 600\r\n").message())
        .unwrap();
    assert_eq!(
        contacts(&ok),
        ["<sips:bob@client.biloxi.example.com>;expires=600"]
    );
    // A stale (lower CSeq) request from the same Call-ID fails, nothing changes.
    let stale = reg
        .handle_register(t0, &register(4, "c1", c, "Expires: 0\r\n").message())
        .unwrap();
    assert_eq!(stale.message().status(), Some(500));
    assert_eq!(
        reg.location().bindings("sips:bob@biloxi.example.com").len(),
        1
    );
    // A second contact, then time passes.
    let c2 = "Contact: <sip:bob@192.0.2.7>;expires=120;q=0.5\r\n";
    let ok = reg
        .handle_register(
            t0 + Duration::from_secs(10),
            &register(6, "c1", c2, "").message(),
        )
        .unwrap();
    assert_eq!(
        contacts(&ok),
        [
            "<sips:bob@client.biloxi.example.com>;expires=590",
            "<sip:bob@192.0.2.7>;expires=120"
        ]
    );
    // [RFC 3261 §10.3 test] "If the Call-ID value in the existing binding differs
    // from the Call-ID value in the request, the binding MUST be removed if the
    // expiration time is zero and updated otherwise."
    let later = t0 + Duration::from_secs(200);
    let ok = reg
        .handle_register(later, &register(1, "other", c, "Expires: 0\r\n").message())
        .unwrap();
    // The q=0.5 binding expired at 130 s; the other was removed.
    assert_eq!(ok.message().status(), Some(200));
    assert!(contacts(&ok).is_empty());
    assert!(reg.location().is_empty());
}

// [RFC 3261 §10.3 test] "This response MUST contain a Min-Expires header field
// that states the minimum expiration interval the registrar is willing to honor."
#[test]
fn too_brief_interval_gets_423_with_min_expires() {
    let mut reg = registrar();
    let c = "Contact: <sips:bob@client.biloxi.example.com>;expires=30\r\n";
    let r = reg
        .handle_register(Instant::now(), &register(1, "c", c, "").message())
        .unwrap();
    assert_eq!(r.message().status(), Some(423));
    assert_eq!(r.message().min_expires().unwrap().unwrap(), 60);
    assert!(reg.location().is_empty());
}

// [RFC 3261 §10.3 test] "If the request has additional Contact fields or an
// expiration time other than zero, the request is invalid, and the server MUST
// return a 400 (Invalid Request) and skip the remaining steps."
#[test]
fn star_contact_rules() {
    let t0 = Instant::now();
    let mut reg = registrar();
    let c = "Contact: <sips:bob@client.biloxi.example.com>\r\n";
    reg.handle_register(t0, &register(1, "c", c, "").message())
        .unwrap();
    for (contact, expires) in [
        ("Contact: *\r\n", "Expires: 10\r\n"),
        ("Contact: *\r\n", ""),
        ("Contact: *, <sip:x@192.0.2.9>\r\n", "Expires: 0\r\n"),
    ] {
        let r = reg
            .handle_register(t0, &register(2, "c", contact, expires).message())
            .unwrap();
        assert_eq!(r.message().status(), Some(400), "{contact} {expires}");
    }
    let r = reg
        .handle_register(
            t0,
            &register(3, "c", "Contact: *\r\n", "Expires: 0\r\n").message(),
        )
        .unwrap();
    assert_eq!(r.message().status(), Some(200));
    assert!(reg.location().is_empty());
}

// [RFC 3261 §10.3 test] "If the address-of-record is not valid for the domain in
// the Request-URI, the registrar MUST send a 404 (Not Found) response and skip the
// remaining steps."
#[test]
fn foreign_address_of_record_gets_404_and_unknown_require_420() {
    let mut reg = registrar();
    let foreign = parse(
        &String::from_utf8_lossy(register(1, "c", "", "").bytes())
            .replace(
                "To: Bob <sips:bob@biloxi.example.com>",
                "To: <sip:eve@evil.example.com>",
            )
            .into_bytes(),
    );
    let r = reg
        .handle_register(Instant::now(), &foreign.message())
        .unwrap();
    assert_eq!(r.message().status(), Some(404));
    let r = reg
        .handle_register(
            Instant::now(),
            &register(1, "c", "", "Require: gruu\r\n").message(),
        )
        .unwrap();
    assert_eq!(r.message().status(), Some(420));
    // A query (no Contact) lists nothing and changes nothing.
    let r = reg
        .handle_register(Instant::now(), &register(2, "c", "", "").message())
        .unwrap();
    assert_eq!(r.message().status(), Some(200));
    assert!(contacts(&r).is_empty());
    // [RFC 3261 §10.3 test] "Registrars MUST NOT include a Record-Route header
    // field in any response to a REGISTER request."
    let rr = register(3, "c", "", "Record-Route: <sip:p.example.com;lr>\r\n");
    let r = reg.handle_register(Instant::now(), &rr.message()).unwrap();
    assert_eq!(r.message().header(HeaderName::RecordRoute), None);
}
