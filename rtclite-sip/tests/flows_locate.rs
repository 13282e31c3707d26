//! Server location (RFC 3263 §4) over DNS answers the test supplies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::IpAddr;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::SipUri;
use rtclite_sip::locate::{DnsAnswers, NaptrRecord, SrvRecord, Target, locate, order_srv};
use rtclite_sip::transport::TransportKind::{self, Tcp, Tls, Udp};

#[derive(Default)]
struct Zone {
    naptr: HashMap<String, Vec<NaptrRecord>>,
    srv: HashMap<String, Vec<SrvRecord>>,
    a: HashMap<String, Vec<IpAddr>>,
}

impl DnsAnswers for Zone {
    fn naptr(&self, d: &str) -> Vec<NaptrRecord> {
        self.naptr.get(d).cloned().unwrap_or_default()
    }
    fn srv(&self, n: &str) -> Vec<SrvRecord> {
        self.srv.get(n).cloned().unwrap_or_default()
    }
    fn addresses(&self, h: &str) -> Vec<IpAddr> {
        self.a.get(h).cloned().unwrap_or_default()
    }
}

fn naptr(order: u16, service: &str, replacement: &str) -> NaptrRecord {
    NaptrRecord {
        order,
        preference: 50,
        flags: "s".into(),
        service: service.into(),
        replacement: replacement.into(),
    }
}

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
    SrvRecord {
        priority,
        weight,
        port,
        target: target.into(),
    }
}

/// The zone of the RFC 3263 §4.1 example: three NAPTR records for
/// example.com, with SRV and A records behind them.
fn example_zone() -> Zone {
    let mut z = Zone::default();
    z.naptr.insert(
        "example.com".into(),
        vec![
            naptr(90, "SIP+D2T", "_sip._tcp.example.com"),
            naptr(50, "SIPS+D2T", "_sips._tcp.example.com."),
            naptr(100, "SIP+D2U", "_sip._udp.example.com."),
        ],
    );
    z.srv.insert(
        "_sips._tcp.example.com".into(),
        vec![srv(0, 0, 5061, "tls.example.com.")],
    );
    z.srv.insert(
        "_sip._tcp.example.com".into(),
        vec![srv(0, 0, 5060, "tcp.example.com")],
    );
    z.srv.insert(
        "_sip._udp.example.com".into(),
        vec![srv(0, 0, 5060, "udp.example.com")],
    );
    for (h, a) in [
        ("tls.example.com", "192.0.2.1"),
        ("tcp.example.com", "192.0.2.2"),
        ("udp.example.com", "192.0.2.3"),
        ("example.com", "192.0.2.9"),
    ] {
        z.a.insert(h.into(), vec![a.parse().unwrap()]);
    }
    z
}

fn t(transport: TransportKind, addr: &str, port: u16) -> Target {
    Target {
        transport,
        addr: addr.parse().unwrap(),
        port,
    }
}

fn run(uri: &str, zone: &Zone, supported: &[TransportKind]) -> Vec<Target> {
    let uri = SipUri::parse(uri).unwrap();
    locate(&uri, zone, supported, &mut ChaCha8Rng::seed_from_u64(1))
}

// [RFC 3263 §4.1 test] "The records with SIPS as the protocol in the service field
// SHOULD be preferred (i.e., have a lower value of the order field) above records
// with SIP as the protocol in the service field."
#[test]
fn rfc3263_4_1_example_naptr_order() {
    let zone = example_zone();
    assert_eq!(
        run("sip:user@example.com", &zone, &[Udp, Tcp, Tls]),
        [
            t(Tls, "192.0.2.1", 5061),
            t(Tcp, "192.0.2.2", 5060),
            t(Udp, "192.0.2.3", 5060)
        ]
    );
    // [RFC 3263 §4.1 test] "Second, a client MUST discard any service fields that
    // identify a resolution service whose value is not "D2X", for values of X that
    // indicate transport protocols supported by the client."
    assert_eq!(
        run("sip:user@example.com", &zone, &[Udp]),
        [t(Udp, "192.0.2.3", 5060)]
    );
    // [RFC 3263 §4.1 test] "First, a client resolving a SIPS URI MUST discard any
    // services that do not contain "SIPS" as the protocol in the service field."
    assert_eq!(
        run("sips:user@example.com", &zone, &[Udp, Tcp, Tls]),
        [t(Tls, "192.0.2.1", 5061)]
    );
}

// [RFC 3263 §4.1 test] "If the URI specifies a transport protocol in the transport
// parameter, that transport protocol SHOULD be used."
#[test]
fn explicit_transport_port_and_numeric_targets() {
    let zone = example_zone();
    assert_eq!(
        run("sip:user@example.com;transport=tcp", &zone, &[Udp, Tcp]),
        [t(Tcp, "192.0.2.2", 5060)]
    );
    // [RFC 3263 §4.1 test] "Similarly, if no transport protocol is specified, and
    // the TARGET is not numeric, but an explicit port is provided, the client SHOULD
    // use UDP for a SIP URI, and TCP for a SIPS URI."
    assert_eq!(
        run("sip:user@example.com:5070", &zone, &[Udp, Tcp]),
        [t(Udp, "192.0.2.9", 5070)]
    );
    assert_eq!(
        run("sips:user@[2001:db8::1]", &zone, &[Tls]),
        [t(Tls, "2001:db8::1", 5061)]
    );
    assert_eq!(
        run("sip:user@example.com;maddr=192.0.2.77", &zone, &[Udp]),
        [t(Udp, "192.0.2.77", 5060)]
    );
}

// [RFC 3263 §4.1 test] "If no SRV records are found, the client SHOULD use TCP for
// a SIPS URI, and UDP for a SIP URI."
#[test]
fn no_naptr_falls_back_to_srv_then_a_records() {
    let mut zone = Zone::default();
    zone.srv.insert(
        "_sip._tcp.b.example".into(),
        vec![srv(0, 0, 5080, "h.b.example")],
    );
    zone.a
        .insert("h.b.example".into(), vec!["192.0.2.50".parse().unwrap()]);
    zone.a
        .insert("b.example".into(), vec!["192.0.2.51".parse().unwrap()]);
    assert_eq!(
        run("sip:b.example", &zone, &[Udp, Tcp]),
        [t(Tcp, "192.0.2.50", 5080)]
    );
    assert_eq!(
        run("sip:b.example", &zone, &[Udp]),
        [t(Udp, "192.0.2.51", 5060)]
    );
    assert_eq!(
        run("sips:b.example", &zone, &[Tls]),
        [t(Tls, "192.0.2.51", 5061)]
    );
}

#[test]
fn srv_priority_then_weight() {
    let records = vec![
        srv(20, 0, 1, "c"),
        srv(10, 60, 2, "a"),
        srv(10, 40, 3, "b"),
        srv(5, 0, 4, "."),
    ];
    let mut first_a = 0;
    for seed in 0..1000 {
        let order = order_srv(records.clone(), &mut ChaCha8Rng::seed_from_u64(seed));
        let ports: Vec<u16> = order.iter().map(|r| r.port).collect();
        assert_eq!(ports.len(), 3, "the '.' target means no service");
        assert_eq!(ports[2], 1, "priority 20 comes last");
        if ports[0] == 2 {
            first_a += 1;
        }
    }
    // Weight 60 against 40: "a" first in about 60 % of the runs.
    assert!((520..680).contains(&first_a), "{first_a}");
}
