//! The client state machine against a scripted server on virtual time.
//! Server lines follow the examples of RFC 6120 §9 (TLS and SASL flow) and
//! XEP-0198, with the client's own output checked at each step.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use rtclite_xmpp::client::{Client, ClientConfig, ClientError, Event, Input, TlsPolicy};
use rtclite_xmpp::error::StreamErrorCondition;
use rtclite_xmpp::jid::Jid;
use rtclite_xmpp::xml::{Element, XmlErrorKind};

const SERVER_HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream from='im.example.com' id='++TR84Sm6A3hnt3Q065SnAbbk3Y=' to='juliet@im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

fn out(c: &mut Client) -> String {
    let mut s = String::new();
    while let Some(t) = c.poll_transmit() {
        s.push_str(std::str::from_utf8(&t.data).unwrap());
    }
    s
}

fn events(c: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn feed(c: &mut Client, now: Instant, data: &str) {
    c.handle_input(now, Input::Data(data.as_bytes())).unwrap();
}

fn config(tls: TlsPolicy) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        Jid::new("juliet@im.example.com/balcony").unwrap(),
        "r0m30myr0m30",
        [1; 32],
    );
    cfg.tls = tls;
    cfg.allow_plain_in_clear = true;
    cfg.keepalive = Some(Duration::from_secs(60));
    cfg
}

/// Logs in with PLAIN and binds, returning the online client.
fn online(now: Instant, sm: bool) -> Client {
    let sm_feature = if sm {
        "<sm xmlns='urn:xmpp:sm:3'/>"
    } else {
        ""
    };
    online_with(
        now,
        &format!("{sm_feature}<ver xmlns='urn:xmpp:features:rosterver'/>"),
    )
}

/// A client through SASL and bind, with `extra_features` beside `<bind/>`.
fn online_with(now: Instant, extra_features: &str) -> Client {
    let mut c = Client::new(config(TlsPolicy::Never));
    c.connect(now);
    let hdr = out(&mut c);
    assert!(
        hdr.contains("to='im.example.com'")
            && hdr.contains("version='1.0'")
            && hdr.contains("from='juliet@im.example.com'"),
        "{hdr}"
    );
    c.handle_input(now, Input::Data(SERVER_HEADER)).unwrap();
    feed(
        &mut c,
        now,
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    );
    assert!(out(&mut c).contains("mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>"));
    feed(
        &mut c,
        now,
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    // [RFC 6120 §4.3.3 test] "The initiating entity then MUST send a new initial stream header"
    assert!(out(&mut c).starts_with("<?xml version='1.0'?><stream:stream"));
    assert_eq!(events(&mut c), vec![Event::Authenticated("PLAIN")]);
    c.handle_input(now, Input::Data(SERVER_HEADER)).unwrap();
    feed(
        &mut c,
        now,
        &format!(
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>{extra_features}</stream:features>"
        ),
    );
    let bind = out(&mut c);
    let bind_el = Element::parse(
        bind.replacen("<iq ", "<iq xmlns='jabber:client' ", 1)
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        bind_el
            .child("bind", "urn:ietf:params:xml:ns:xmpp-bind")
            .unwrap()
            .nodes()
            .len(),
        1
    );
    let id = bind_el.attr("id").unwrap();
    feed(
        &mut c,
        now,
        &format!(
            "<iq id='{id}' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@im.example.com/balcony</jid></bind></iq>"
        ),
    );
    let ev = events(&mut c);
    assert_eq!(
        ev[0],
        Event::Bound(Jid::new("juliet@im.example.com/balcony").unwrap())
    );
    assert_eq!(ev[1], Event::Online);
    let enable = out(&mut c);
    assert_eq!(
        enable.contains("<enable xmlns='urn:xmpp:sm:3' resume='true'/>"),
        extra_features.contains("urn:xmpp:sm:3")
    );
    c
}

#[test]
fn plain_login_bind_and_answers() {
    let now = Instant::now();
    let mut c = online(now, false);
    // [XEP-0199 §4.1 test] "If the client supports the ping namespace, it MUST return an IQ-result"
    feed(
        &mut c,
        now,
        "<iq from='im.example.com' id='s2c1' to='juliet@im.example.com/balcony' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    assert_eq!(
        out(&mut c),
        "<iq to='im.example.com' id='s2c1' type='result'/>"
    );
    feed(
        &mut c,
        now,
        "<iq from='romeo@montague.lit/orchard' id='d1' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    let disco = out(&mut c);
    assert!(
        disco.contains("<identity category='client' type='pc'")
            && disco.contains("var='urn:xmpp:ping'"),
        "{disco}"
    );
    // Unknown request: handed to the application.
    feed(
        &mut c,
        now,
        "<iq from='romeo@montague.lit/orchard' id='v1' type='get'><query xmlns='jabber:iq:version'/></iq>",
    );
    assert!(matches!(events(&mut c).as_slice(), [Event::IqRequest(_)]));
}

// [RFC 6121 §2.6.2 test] "If the server does not advertise support for roster versioning, the
// client MUST NOT include the 'ver' attribute."
#[test]
fn roster_version_only_when_offered() {
    let now = Instant::now();
    let mut c = online_with(now, "");
    c.request_roster(now, Some("ver7"));
    assert!(out(&mut c).contains("<query xmlns='jabber:iq:roster'/>"));
    let mut c = online_with(now, "<ver xmlns='urn:xmpp:features:rosterver'/>");
    c.request_roster(now, Some(""));
    assert!(out(&mut c).contains("<query xmlns='jabber:iq:roster' ver=''/>"));
}

// [RFC 6121 §2.1.6 test] "A receiving client MUST ignore the stanza unless it has no 'from'
// attribute"
#[test]
fn roster_get_and_push() {
    let now = Instant::now();
    let mut c = online(now, false);
    let id = c.request_roster(now, Some("ver7"));
    assert!(out(&mut c).contains("<query xmlns='jabber:iq:roster' ver='ver7'/>"));
    feed(
        &mut c,
        now,
        &format!(
            "<iq id='{id}' type='result'><query xmlns='jabber:iq:roster' ver='ver11'><item jid='romeo@example.net' subscription='both'/></query></iq>"
        ),
    );
    let Event::Roster(Some(r)) = &events(&mut c)[0] else {
        panic!()
    };
    assert_eq!(r.ver.as_deref(), Some("ver11"));
    // Versioning: empty result means the cached roster is current (RFC 6121 §2.6.3).
    let id = c.request_roster(now, Some("ver11"));
    out(&mut c);
    feed(&mut c, now, &format!("<iq id='{id}' type='result'/>"));
    assert_eq!(events(&mut c), vec![Event::Roster(None)]);
    // A push from the server: answered, and reported.
    feed(
        &mut c,
        now,
        "<iq id='a78b4q6ha463' type='set'><query xmlns='jabber:iq:roster' ver='ver13'><item jid='nurse@example.com'/></query></iq>",
    );
    assert_eq!(out(&mut c), "<iq id='a78b4q6ha463' type='result'/>");
    assert!(matches!(&events(&mut c)[0], Event::RosterPush { ver: Some(v), .. } if v == "ver13"));
    // A push from someone else is refused and not reported.
    feed(
        &mut c,
        now,
        "<iq from='eve@evil.example' id='x' type='set'><query xmlns='jabber:iq:roster'><item jid='eve@evil.example'/></query></iq>",
    );
    assert!(out(&mut c).contains("service-unavailable"));
    assert!(events(&mut c).is_empty());
}

#[test]
fn iq_timeout_and_keepalive_on_virtual_time() {
    let t0 = Instant::now();
    let mut c = online(t0, false);
    let id = c.ping(t0, None);
    assert!(out(&mut c).contains("<ping xmlns='urn:xmpp:ping'/>"));
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    c.handle_timeout(t0 + Duration::from_secs(29));
    assert!(events(&mut c).is_empty());
    c.handle_timeout(t0 + Duration::from_secs(30));
    assert_eq!(events(&mut c), vec![Event::IqTimeout { id: id.clone() }]);
    // A late answer is ignored.
    feed(&mut c, t0, &format!("<iq id='{id}' type='result'/>"));
    assert!(events(&mut c).is_empty());
    // [RFC 6120 §4.6.1 test] "send a space character (U+0020) between XML stanzas"
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    c.handle_timeout(t0 + Duration::from_secs(60));
    assert_eq!(out(&mut c), " ");
}

#[test]
fn stream_management_acks_and_resumption() {
    let now = Instant::now();
    let mut c = online(now, true);
    feed(
        &mut c,
        now,
        "<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true'/>",
    );
    assert_eq!(
        events(&mut c),
        vec![Event::StreamManagementEnabled { resumable: true }]
    );
    // Two inbound stanzas, then a request: h=2.
    feed(
        &mut c,
        now,
        "<message from='romeo@example.net/orchard' type='chat'><body>1</body></message><presence from='romeo@example.net/orchard'/><r xmlns='urn:xmpp:sm:3'/>",
    );
    // [XEP-0198 §4 test] "the recipient MUST acknowledge it by sending an <a/> element"
    assert_eq!(out(&mut c), "<a xmlns='urn:xmpp:sm:3' h='2'/>");
    // Three outbound stanzas, one acked.
    for i in 0..3 {
        c.send_message(
            now,
            rtclite_xmpp::stanza::Message::chat(
                Jid::new("romeo@example.net").unwrap(),
                format!("m{i}"),
            ),
        );
    }
    out(&mut c);
    feed(&mut c, now, "<a xmlns='urn:xmpp:sm:3' h='1'/>");
    // Connection lost; reconnect and resume.
    c.handle_input(now, Input::Disconnected).unwrap();
    assert!(c.can_resume());
    events(&mut c);
    c.connect(now);
    out(&mut c);
    c.handle_input(now, Input::Data(SERVER_HEADER)).unwrap();
    feed(
        &mut c,
        now,
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    );
    out(&mut c);
    c.handle_input(now, Input::Data(SERVER_HEADER)).unwrap();
    feed(
        &mut c,
        now,
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>",
    );
    assert_eq!(
        out(&mut c),
        "<resume xmlns='urn:xmpp:sm:3' previd='some-long-sm-id' h='2'/>"
    );
    feed(
        &mut c,
        now,
        "<resumed xmlns='urn:xmpp:sm:3' h='2' previd='some-long-sm-id'/>",
    );
    let resent = out(&mut c);
    assert!(
        !resent.contains(">m0<") && !resent.contains(">m1<") && resent.contains(">m2<"),
        "{resent}"
    );
    assert!(events(&mut c).contains(&Event::Resumed { retransmitted: 1 }));
}

#[test]
fn starttls_then_scram_sha1() {
    let now = Instant::now();
    let mut cfg = config(TlsPolicy::Required);
    cfg.mechanisms = vec![rtclite_xmpp::client::Mechanism::ScramSha1];
    let mut c = Client::new(cfg);
    c.connect(now);
    out(&mut c);
    c.handle_input(now, Input::Data(SERVER_HEADER)).unwrap();
    feed(
        &mut c,
        now,
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
    );
    assert_eq!(
        out(&mut c),
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    );
    feed(
        &mut c,
        now,
        "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    );
    assert_eq!(events(&mut c), vec![Event::StartTls]);
    c.handle_input(now, Input::TlsEstablished).unwrap();
    assert!(out(&mut c).starts_with("<?xml"));
    c.handle_input(now, Input::Data(SERVER_HEADER)).unwrap();
    feed(
        &mut c,
        now,
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    );
    let auth = out(&mut c);
    assert!(auth.contains("mechanism='SCRAM-SHA-1'"), "{auth}");
    // [RFC 5802 §5.1 test] "The client MUST verify that the initial part of the nonce used in
    // subsequent messages is the same as the nonce it initially specified"
    use base64::Engine as _;
    let server_first = base64::engine::general_purpose::STANDARD
        .encode("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    let r = c.handle_input(
        now,
        Input::Data(
            format!(
                "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{server_first}</challenge>"
            )
            .as_bytes(),
        ),
    );
    assert!(
        matches!(
            r,
            Err(ClientError::Sasl(
                rtclite_xmpp::sasl::SaslError::NonceMismatch
            ))
        ),
        "{r:?}"
    );
    assert!(out(&mut c).ends_with("</stream:stream>"));
}

#[test]
fn xml_errors_become_stream_errors() {
    let now = Instant::now();
    let mut c = online(now, false);
    let r = c.handle_input(now, Input::Data(b"<message><!-- no --></message>"));
    let Err(ClientError::Xml(e)) = r else {
        panic!("{r:?}")
    };
    assert!(matches!(e.kind, XmlErrorKind::Restricted(_)));
    // [RFC 6120 §11.1 test] "it MUST close the stream with a stream error, which SHOULD be
    // <restricted-xml/>"
    let sent = out(&mut c);
    assert!(
        sent.starts_with(
            "<stream:error><restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        ),
        "{sent}"
    );
    assert!(sent.ends_with("</stream:stream>"));
    assert!(
        matches!(events(&mut c).last(), Some(Event::Closed(Some(se))) if se.condition == StreamErrorCondition::RestrictedXml)
    );
}

#[test]
fn received_stream_error_closes() {
    let now = Instant::now();
    let mut c = online(now, false);
    let r = c.handle_input(now, Input::Data(b"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"));
    assert!(
        matches!(r, Err(ClientError::Stream(ref se)) if se.condition == StreamErrorCondition::Conflict)
    );
    assert_eq!(out(&mut c), "</stream:stream>");
}

/// The `auth` the client sends for a mechanism list, with or without channel
/// binding data from the IO layer; returns the mechanism and the decoded
/// client-first-message.
fn auth_for(mechanisms: &str, binding: Option<Vec<u8>>) -> (String, String) {
    use base64::Engine as _;
    let now = Instant::now();
    let mut c = Client::new(config(TlsPolicy::Never));
    c.connect(now);
    out(&mut c);
    if let Some(b) = binding {
        c.set_channel_binding(rtclite_xmpp::sasl::ChannelBinding::TlsExporter(b));
    }
    c.handle_input(now, Input::Data(SERVER_HEADER)).unwrap();
    feed(
        &mut c,
        now,
        &format!(
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{mechanisms}</mechanisms></stream:features>"
        ),
    );
    let auth = Element::parse(out(&mut c).as_bytes()).unwrap();
    let first = base64::engine::general_purpose::STANDARD
        .decode(auth.text())
        .unwrap();
    (
        auth.attr("mechanism").unwrap().to_owned(),
        String::from_utf8(first).unwrap(),
    )
}

// [RFC 5802 §6 test] "Clients that support mechanism negotiation and channel binding MUST use
// a "p" gs2-cbind-flag when the server offers the PLUS- variant of the desired GS2 mechanism."
#[test]
fn scram_plus_when_binding_data_and_offered() {
    let both = "<mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism>";
    let (mech, first) = auth_for(both, Some(vec![7; 32]));
    assert_eq!(mech, "SCRAM-SHA-256-PLUS");
    assert!(first.starts_with("p=tls-exporter,,n=juliet,r="), "{first}");
    // Without binding data the same offer gives the plain variant with "n".
    let (mech, first) = auth_for(both, None);
    assert_eq!(mech, "SCRAM-SHA-256");
    assert!(first.starts_with("n,,n=juliet,r="), "{first}");
    // [RFC 5802 §6 test] "then the client MUST NOT use an "n" gs2- cbind-flag"
    let (mech, first) = auth_for("<mechanism>SCRAM-SHA-1</mechanism>", Some(vec![7; 32]));
    assert_eq!(mech, "SCRAM-SHA-1");
    assert!(first.starts_with("y,,n=juliet,r="), "{first}");
}
