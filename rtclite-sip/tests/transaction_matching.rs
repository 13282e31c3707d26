//! Matching (RFC 3261 §17.1.3, §17.2.3 with the RFC 2543 fallback), the
//! transport rules of §18 and RFC 3581 as applied by the transaction layer,
//! and the ACK built by an INVITE client transaction checked against the
//! RFC 3665 flow that prints one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "sim/msg.rs"]
mod msg;

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rtclite_sip::timer::TimerConfig;
use rtclite_sip::transaction::{
    ClientEvent, ClientTransaction, Event, Input, LayerConfig, TransactionLayer,
};
use rtclite_sip::transport::{
    Destination, TransportKind, request_transport, response_destination, sent_by_matches,
    stamp_received,
};
use rtclite_sip::{HeaderName, Message, OwnedMessage};

use msg::{dest, parse, request, response};

fn vector(name: &str) -> OwnedMessage {
    let path = format!(
        "{}/tests/vectors/rfc3665/{name}.sip",
        env!("CARGO_MANIFEST_DIR")
    );
    parse(&std::fs::read(path).unwrap())
}

fn header(m: &Message<'_>, name: HeaderName) -> Vec<String> {
    m.headers_of(name).map(|h| h.value().into_owned()).collect()
}

// [RFC 3261 §17.1.1.3 test] "The ACK request constructed by the client
// transaction MUST contain values for the Call-ID, From, and Request-URI that are
// equal to the values of those header fields in the request passed to the
// transport by the client transaction"
// [RFC 3261 §17.1.1.3 test] "If the INVITE request whose response is being
// acknowledged had Route header fields, those header fields MUST appear in the
// ACK."
#[test]
fn rfc3665_3_2_f3_ack_for_407_is_built_by_the_client_transaction() {
    let t0 = Instant::now();
    let invite = vector("3.2_F1");
    let challenge = vector("3.2_F2");
    let printed_ack = vector("3.2_F3");
    let mut tx = ClientTransaction::new(
        t0,
        invite.clone(),
        dest(TransportKind::Tcp),
        TimerConfig::default(),
    )
    .unwrap();
    assert!(tx.poll_transmit().is_some());
    tx.handle_response(t0, challenge);
    let ack = tx.poll_transmit().unwrap().message;
    let (ours, theirs) = (ack.message(), printed_ack.message());
    assert_eq!(ours.request_uri(), theirs.request_uri());
    assert_eq!(ours.method(), theirs.method());
    for name in [
        HeaderName::Via,
        HeaderName::MaxForwards,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
    ] {
        assert_eq!(header(&ours, name), header(&theirs, name), "{name:?}");
    }
    // RFC 3665 prints F3 without the Route header of F1; §17.1.1.3 requires it.
    assert_eq!(header(&theirs, HeaderName::Route), Vec::<String>::new());
    assert_eq!(
        header(&ours, HeaderName::Route),
        header(&invite.message(), HeaderName::Route)
    );
    assert!(
        matches!(tx.poll_event(), Some(ClientEvent::Response(r)) if r.message().status() == Some(407))
    );
}

fn layer() -> TransactionLayer {
    TransactionLayer::new(LayerConfig {
        trying_delay: None,
        ..LayerConfig::default()
    })
}

fn input(source: &str, m: &OwnedMessage) -> Input {
    Input::Received {
        transport: TransportKind::Udp,
        source: source.parse().unwrap(),
        bytes: m.bytes().clone(),
    }
}

fn events(l: &mut TransactionLayer) -> Vec<Event> {
    std::iter::from_fn(|| l.poll_event()).collect()
}

// [RFC 3261 §17.1.3 test] "The method is needed since a CANCEL request constitutes
// a different transaction, but shares the same value of the branch parameter."
#[test]
fn responses_match_on_branch_and_cseq_method() {
    let t0 = Instant::now();
    let mut l = layer();
    let invite = request("INVITE", "z9hG4bKcm1", "UDP", 1);
    let cancel = request("CANCEL", "z9hG4bKcm1", "UDP", 1);
    let i = l
        .send_request(t0, invite.clone(), dest(TransportKind::Udp))
        .unwrap();
    let c = l
        .send_request(t0, cancel.clone(), dest(TransportKind::Udp))
        .unwrap();
    assert_ne!(i, c);
    l.handle_input(
        t0,
        input("192.0.2.4:5060", &response(&cancel, 200, Some("t"))),
    )
    .unwrap();
    l.handle_input(
        t0,
        input("192.0.2.4:5060", &response(&invite, 487, Some("t"))),
    )
    .unwrap();
    let ev = events(&mut l);
    let for_id = |id| {
        ev.iter()
            .filter_map(|e| match e {
                Event::Response { id: x, response } if *x == id => response.message().status(),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(for_id(c), [200]);
    assert_eq!(for_id(i), [487]);
    // A response for an unknown branch is stray.
    let other = request("INVITE", "z9hG4bKzzz", "UDP", 1);
    l.handle_input(
        t0,
        input("192.0.2.4:5060", &response(&other, 200, Some("t"))),
    )
    .unwrap();
    assert!(matches!(
        events(&mut l).as_slice(),
        [Event::StrayResponse { .. }]
    ));
}

// [RFC 3261 §17.2.3 test] "the sent-by value in the top Via of the request is
// equal to the one in the request that created the transaction"
#[test]
fn requests_match_on_branch_sent_by_and_method() {
    let t0 = Instant::now();
    let mut l = layer();
    let invite = request("INVITE", "z9hG4bKsm1", "UDP", 1);
    l.handle_input(t0, input("192.0.2.1:5060", &invite))
        .unwrap();
    let ev = events(&mut l);
    let Some(Event::Request { id: Some(id), .. }) = ev.first() else {
        panic!("no request event: {ev:?}");
    };
    let id = *id;
    // A retransmission is not passed up; as no response was sent yet, the
    // transaction answers it with 100 (Trying).
    l.handle_input(t0, input("192.0.2.1:5060", &invite))
        .unwrap();
    assert!(events(&mut l).is_empty());
    let sent: Vec<_> = std::iter::from_fn(|| l.poll_transmit()).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message.message().status(), Some(100));
    // Same branch from another sent-by: a different transaction.
    let spoof = parse(
        &String::from_utf8_lossy(invite.bytes())
            .replace("pc33.atlanta.example.com;branch", "evil.example.com;branch")
            .into_bytes(),
    );
    l.handle_input(t0, input("192.0.2.9:5060", &spoof)).unwrap();
    assert!(matches!(events(&mut l).as_slice(), [Event::Request { id: Some(x), .. }] if *x != id));
    // [RFC 3261 §17.2.3 test] "the method of the request matches the one that
    // created the transaction, except for ACK, where the method of the request
    // that created the transaction is INVITE"
    l.send_response(t0, id, response(&invite, 486, Some("b")))
        .unwrap();
    let ack = request("ACK", "z9hG4bKsm1", "UDP", 1);
    l.handle_input(t0, input("192.0.2.1:5060", &ack)).unwrap();
    assert!(events(&mut l).is_empty());
    assert_eq!(l.server(id).map(|t| t.state().as_str()), Some("Confirmed"));
    // An ACK with a new branch (the ACK for a 2xx) goes to the core.
    let ack2 = request("ACK", "z9hG4bKnew", "UDP", 1);
    l.handle_input(t0, input("192.0.2.1:5060", &ack2)).unwrap();
    assert!(matches!(
        events(&mut l).as_slice(),
        [Event::Request { id: None, .. }]
    ));
    // A CANCEL finds its INVITE.
    let other = request("INVITE", "z9hG4bKsm2", "UDP", 2);
    l.handle_input(t0, input("192.0.2.1:5060", &other)).unwrap();
    let Some(Event::Request { id: Some(inv), .. }) = events(&mut l).first().cloned() else {
        panic!()
    };
    let cancel = request("CANCEL", "z9hG4bKsm2", "UDP", 2);
    let stamped = stamp_received(&cancel.message(), "192.0.2.1:5060".parse().unwrap())
        .unwrap()
        .unwrap_or(cancel);
    assert_eq!(l.cancel_target(&stamped.message()), Some(inv));
}

// [RFC 3261 §17.2.3 test] "The INVITE request matches a transaction if the
// Request-URI, To tag, From tag, Call-ID, CSeq, and top Via header field match
// those of the INVITE request which created the transaction."
#[test]
fn rfc2543_requests_without_the_cookie_match_on_dialog_fields() {
    let t0 = Instant::now();
    let mut l = layer();
    let invite = request("INVITE", "legacy1", "UDP", 7);
    l.handle_input(t0, input("192.0.2.1:5060", &invite))
        .unwrap();
    let Some(Event::Request { id: Some(id), .. }) = events(&mut l).first().cloned() else {
        panic!()
    };
    assert!(l.server(id).unwrap().key().is_none());
    l.handle_input(t0, input("192.0.2.1:5060", &invite))
        .unwrap();
    assert!(events(&mut l).is_empty(), "retransmission absorbed");
    l.send_response(t0, id, response(&invite, 486, Some("tt")))
        .unwrap();
    // An ACK whose To tag differs from the response's does not match.
    let bad_ack = parse(
        &String::from_utf8_lossy(request("ACK", "legacy1", "UDP", 7).bytes())
            .replace(
                "To: Bob <sip:bob@biloxi.example.com>",
                "To: Bob <sip:bob@biloxi.example.com>;tag=zz",
            )
            .into_bytes(),
    );
    l.handle_input(t0, input("192.0.2.1:5060", &bad_ack))
        .unwrap();
    assert!(matches!(
        events(&mut l).as_slice(),
        [Event::Request { id: None, .. }]
    ));
    // [RFC 3261 §17.2.3 test] "the To tag of the ACK matches the To tag of the
    // response sent by the server transaction"
    let ack = parse(
        &String::from_utf8_lossy(request("ACK", "legacy1", "UDP", 7).bytes())
            .replace(
                "To: Bob <sip:bob@biloxi.example.com>",
                "To: Bob <sip:bob@biloxi.example.com>;tag=tt",
            )
            .into_bytes(),
    );
    l.handle_input(t0, input("192.0.2.1:5060", &ack)).unwrap();
    assert!(events(&mut l).is_empty());
    assert_eq!(l.server(id).map(|t| t.state().as_str()), Some("Confirmed"));
    // A different CSeq is a new request.
    let next = request("INVITE", "legacy1", "UDP", 8);
    l.handle_input(t0, input("192.0.2.1:5060", &next)).unwrap();
    assert!(matches!(
        events(&mut l).as_slice(),
        [Event::Request { id: Some(_), .. }]
    ));
}

fn top_via(m: &OwnedMessage) -> String {
    m.message()
        .values_of(HeaderName::Via)
        .next()
        .unwrap()
        .1
        .to_owned()
}

// [RFC 3581 §4 test] "If this Via header field value contains an "rport"
// parameter with no value, it MUST set the value of the parameter to the source
// port of the request."
#[test]
fn rfc3581_6_example_received_and_rport() {
    let wire = b"INVITE sip:user@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff\r\n\
Content-Length: 0\r\n\r\n";
    let msg = Message::parse(wire).unwrap();
    let source: SocketAddr = "192.0.2.1:9988".parse().unwrap();
    let stamped = stamp_received(&msg, source).unwrap().unwrap();
    // The value RFC 3581 §6 prints, in our canonical parameter order.
    assert_eq!(
        top_via(&stamped),
        "SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;rport=9988;branch=z9hG4bKkjshdyff"
    );
    // [RFC 3581 §4 test] "the response MUST be sent to the IP address listed in
    // the "received" parameter, and the port in the "rport" parameter"
    let via = stamped.message().top_via().unwrap();
    assert_eq!(
        response_destination(&via, source),
        Destination::Addr {
            transport: TransportKind::Udp,
            addr: source
        }
    );
}

// [RFC 3261 §18.2.1 test] "If the host portion of the "sent-by" parameter
// contains a domain name, or if it contains an IP address that differs from the
// packet source address, the server MUST add a "received" parameter"
#[test]
fn rfc3261_18_2_1_example_received_for_a_host_name() {
    let wire = b"INVITE sip:bob@Biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP bobspc.biloxi.com:5060\r\n\
Content-Length: 0\r\n\r\n";
    let msg = Message::parse(wire).unwrap();
    let source: SocketAddr = "192.0.2.4:5062".parse().unwrap();
    let stamped = stamp_received(&msg, source).unwrap().unwrap();
    assert_eq!(
        top_via(&stamped),
        "SIP/2.0/UDP bobspc.biloxi.com:5060;received=192.0.2.4"
    );
    // [RFC 3261 §18.2.2 test] "if the top Via has a "received" parameter, the
    // response MUST be sent to the address in the "received" parameter"
    let via = stamped.message().top_via().unwrap();
    assert_eq!(
        response_destination(&via, source),
        Destination::Addr {
            transport: TransportKind::Udp,
            addr: "192.0.2.4:5060".parse().unwrap()
        }
    );
    // Same address as the source and no rport: unchanged.
    let same = Message::parse(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n\r\n",
    )
    .unwrap();
    assert_eq!(stamp_received(&same, source).unwrap(), None);
}

#[test]
fn response_destination_rules() {
    let source: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    let via_of = |v: &'static str| {
        let m = Message::parse(Box::leak(
            format!("SIP/2.0 200 OK\r\nVia: {v}\r\n\r\n")
                .into_bytes()
                .into_boxed_slice(),
        ))
        .unwrap();
        m.top_via().unwrap()
    };
    // [RFC 3261 §18.2.2 test] "the response MUST be sent using the existing
    // connection to the source of the original request"
    assert_eq!(
        response_destination(
            &via_of("SIP/2.0/TCP a.example.com;received=198.51.100.7"),
            source
        ),
        Destination::Addr {
            transport: TransportKind::Tcp,
            addr: source
        }
    );
    // [RFC 3261 §18.2.2 test] "the response MUST be forwarded to the address
    // listed there, using the port indicated in "sent-by", or port 5060 if none is
    // present"
    assert_eq!(
        response_destination(
            &via_of("SIP/2.0/UDP a.example.com;maddr=239.255.255.1"),
            source
        ),
        Destination::Addr {
            transport: TransportKind::Udp,
            addr: "239.255.255.1:5060".parse().unwrap()
        }
    );
    assert_eq!(
        response_destination(&via_of("SIP/2.0/UDP a.example.com:5070"), source),
        Destination::Host {
            transport: TransportKind::Udp,
            host: "a.example.com".into(),
            port: 5070
        }
    );
    assert_eq!(
        response_destination(&via_of("SIP/2.0/TLS a.example.com"), source).transport(),
        TransportKind::Tls
    );
    // [RFC 3261 §18.1.2 test] "If the value of the "sent-by" parameter in that
    // header field value does not correspond to a value that the client transport is
    // configured to insert into requests, the response MUST be silently discarded."
    let v = via_of("SIP/2.0/UDP PC33.atlanta.example.com;branch=z9hG4bK1");
    assert!(sent_by_matches(&v, "pc33.atlanta.example.com", 5060));
    assert!(!sent_by_matches(&v, "pc33.atlanta.example.com", 5070));
    assert!(!sent_by_matches(&v, "evil.example.com", 5060));
}

// [RFC 3261 §18.1.1 test] "If a request is within 200 bytes of the path MTU, or if
// it is larger than 1300 bytes and the path MTU is unknown, the request MUST be
// sent using an RFC 2914 [43] congestion controlled transport protocol"
#[test]
fn size_rule_switches_udp_to_tcp() {
    use TransportKind::{Tcp, Tls, Udp};
    assert_eq!(request_transport(Udp, 1300, None), Udp);
    assert_eq!(request_transport(Udp, 1301, None), Tcp);
    assert_eq!(request_transport(Udp, 1300, Some(1500)), Udp);
    assert_eq!(request_transport(Udp, 1301, Some(1500)), Tcp);
    assert_eq!(request_transport(Udp, 8000, Some(9000)), Udp);
    assert_eq!(request_transport(Tls, 60000, None), Tls);
}

#[test]
fn layer_rejects_garbage_and_enforces_its_limit() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new(LayerConfig {
        max_transactions: 2,
        ..LayerConfig::default()
    });
    assert!(
        l.handle_input(
            t0,
            Input::Received {
                transport: TransportKind::Udp,
                source: "192.0.2.1:5060".parse().unwrap(),
                bytes: Bytes::from_static(b"not sip at all"),
            }
        )
        .is_err()
    );
    for n in 0..2 {
        let r = request("OPTIONS", &format!("z9hG4bKcap{n}"), "UDP", 1);
        l.send_request(t0, r, dest(TransportKind::Udp)).unwrap();
    }
    let r = request("OPTIONS", "z9hG4bKcap9", "UDP", 1);
    assert!(l.send_request(t0, r, dest(TransportKind::Udp)).is_err());
    assert_eq!(l.len(), 2);
}
