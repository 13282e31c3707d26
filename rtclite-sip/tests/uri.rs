//! URI parsing and comparison: the equivalence sets of RFC 3261 §19.1.4
//! (cut from the RFC by `tests/vectors/extract.py`), tel URIs (RFC 3966)
//! and name-addr forms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rtclite_sip::headers::NameAddr;
use rtclite_sip::{Host, SipUri, TelUri, Uri};

fn sets() -> Vec<(bool, Vec<String>)> {
    let p = format!(
        "{}/tests/vectors/rfc3261_19.1.4.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| {
            let mut it = l.split(' ');
            let kind = it.next().unwrap() == "equivalent";
            (kind, it.map(str::to_owned).collect())
        })
        .collect()
}

// [RFC 3261 §19.1.4 test] "SIP and SIPS URIs are compared for equality
// according to the following rules:"
#[test]
fn rfc3261_19_1_4_equivalence_sets() {
    let all = sets();
    assert_eq!(all.iter().filter(|(e, _)| *e).count(), 4);
    assert_eq!(all.iter().filter(|(e, _)| !*e).count(), 6);
    for (equivalent, uris) in &all {
        let parsed: Vec<SipUri<'_>> = uris.iter().map(|u| SipUri::parse(u).unwrap()).collect();
        for a in &parsed {
            for b in &parsed {
                if std::ptr::eq(a, b) {
                    assert!(a.equivalent(b));
                    continue;
                }
                assert_eq!(a.equivalent(b), *equivalent, "{a} vs {b}");
            }
        }
    }
}

// [RFC 3261 §19.1.4 test] "Note that equality is not transitive:"
#[test]
fn rfc3261_19_1_4_equality_is_not_transitive() {
    let plain = SipUri::parse("sip:carol@chicago.com").unwrap();
    let on = SipUri::parse("sip:carol@chicago.com;security=on").unwrap();
    let off = SipUri::parse("sip:carol@chicago.com;security=off").unwrap();
    assert!(plain.equivalent(&on));
    assert!(plain.equivalent(&off));
    assert!(!on.equivalent(&off));
}

// [RFC 3261 §19.1.4 test] "A SIP and SIPS URI are never equivalent."
#[test]
fn sip_and_sips_differ_and_maddr_matters() {
    let a = SipUri::parse("sip:alice@atlanta.com").unwrap();
    let b = SipUri::parse("sips:alice@atlanta.com").unwrap();
    assert!(!a.equivalent(&b));
    let m = SipUri::parse("sip:alice@atlanta.com;maddr=239.255.255.1").unwrap();
    assert!(!a.equivalent(&m));
    assert!(!m.equivalent(&a));
}

#[test]
fn sip_uri_components() {
    let u = SipUri::parse("sips:alice:secretword@[2001:db8::1]:5061;transport=tcp;lr?subject=x")
        .unwrap();
    assert!(u.secure);
    assert_eq!(u.user, Some("alice"));
    assert_eq!(u.password, Some("secretword"));
    assert_eq!(u.host, Host::Ipv6("2001:db8::1".parse().unwrap()));
    assert_eq!(u.port, Some(5061));
    assert_eq!(u.transport(), Some("tcp"));
    assert_eq!(u.param("lr"), Some(None));
    assert_eq!(u.headers, Some("subject=x"));
    assert_eq!(
        u.to_string(),
        "sips:alice:secretword@[2001:db8::1]:5061;transport=tcp;lr?subject=x"
    );
    for bad in [
        "sip:",
        "sip:alice@",
        "sip:alice@host:99999",
        "sip:alice@host:port",
        "sip:al ice@host",
        "sip:alice@-host.com",
        "sip:alice@host.123",
        "sip:%zz@host.com",
        "sip:alice@2001:db8::1",
        "sip:alice@[2001:db8::1",
        "sip:alice@host;;lr",
    ] {
        assert!(SipUri::parse(bad).is_err(), "{bad}");
    }
}

// [RFC 3966 §5.1.5 test] "Local numbers MUST have a 'phone-context' parameter"
#[test]
fn tel_uris() {
    let g = TelUri::parse("tel:+1-201-555-0123").unwrap();
    assert!(g.is_global());
    assert_eq!(g.digits(), "+12015550123");
    let l = TelUri::parse("tel:7042;phone-context=example.com").unwrap();
    assert!(!l.is_global());
    assert_eq!(l.params.get("phone-context"), Some(Some("example.com")));
    assert!(TelUri::parse("tel:7042").is_err());
    assert!(TelUri::parse("tel:+").is_err());
    assert!(TelUri::parse("tel:+1-201-555-0123x").is_err());
    let same = TelUri::parse("tel:+12015550123").unwrap();
    assert!(g.equivalent(&same));
    assert!(!g.equivalent(&l));
    assert!(matches!(Uri::parse("TEL:+1234").unwrap(), Uri::Tel(_)));
}

#[test]
fn other_schemes_are_opaque() {
    let u = Uri::parse("urn:service:sos").unwrap();
    assert_eq!(
        u,
        Uri::Other {
            scheme: "urn",
            rest: "service:sos"
        }
    );
    assert!(Uri::parse("1abc:x").is_err());
    assert!(Uri::parse("noscheme").is_err());
}

// [RFC 3261 §20.10 test] "If no "<"
// and ">" are present, all parameters after the URI are header
// parameters, not URI parameters."
#[test]
fn name_addr_forms() {
    let a = NameAddr::parse(
        "\"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600",
    )
    .unwrap();
    assert_eq!(a.display_name().as_deref(), Some("Mr. Watson"));
    assert_eq!(a.params().get("expires"), Some(Some("3600")));
    assert!(a.is_name_addr());
    let b = NameAddr::parse("sip:bob@biloxi.com;tag=1;transport=udp").unwrap();
    assert!(!b.is_name_addr());
    assert_eq!(b.tag(), Some("1"));
    assert!(b.uri().as_sip().unwrap().params.is_empty());
    let c = NameAddr::parse("Bob <sip:bob@biloxi.com;transport=udp>;tag=2").unwrap();
    assert_eq!(c.uri().as_sip().unwrap().transport(), Some("udp"));
    assert_eq!(
        c.to_string(),
        "Bob <sip:bob@biloxi.com;transport=udp>;tag=2"
    );
    for bad in [
        "Bob sip:bob@biloxi.com",
        "<sip:bob@biloxi.com",
        "\"Bob <sip:bob@b.com>",
        "sip:bob@b.com?x=y",
    ] {
        assert!(NameAddr::parse(bad).is_err(), "{bad}");
    }
}
