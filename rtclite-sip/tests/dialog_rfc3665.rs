//! Dialogs (RFC 3261 §12) checked against the RFC 3665 §3.2 flow (session
//! through two record-routing proxies): the dialog each side builds from the
//! messages it saw must produce, byte for byte in every header value, the
//! ACK and BYE the RFC prints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "sim/msg.rs"]
mod msg;

use rtclite_sip::dialog::{Dialog, DialogError, DialogState};
use rtclite_sip::{HeaderName, Message, Method, OwnedMessage};

use msg::parse;

fn vector(name: &str) -> OwnedMessage {
    let path = format!(
        "{}/tests/vectors/rfc3665/{name}.sip",
        env!("CARGO_MANIFEST_DIR")
    );
    parse(&std::fs::read(path).unwrap())
}

/// Start line and every header value (comma lists split), in order, with
/// Content-Length left out (the RFC omits it where it is 0).
fn facts(m: &Message<'_>) -> Vec<String> {
    let mut out = vec![
        m.method()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        m.request_uri().unwrap_or_default().to_owned(),
    ];
    for name in [
        HeaderName::Via,
        HeaderName::MaxForwards,
        HeaderName::Route,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
    ] {
        for (_, v) in m.values_of(name) {
            out.push(format!("{name:?}: {v}"));
        }
    }
    out
}

// [RFC 3261 §12.1.2 test] "The route set MUST be set to the list of URIs in the
// Record-Route header field from the response, taken in reverse order and
// preserving all URI parameters."
// [RFC 3261 §12.2.1.1 test] "If the route set is not empty, and the first URI in
// the route set contains the lr parameter (see Section 19.1.1), the UAC MUST place
// the remote target URI into the Request-URI and MUST include a Route header
// field containing the route set values in order, including all parameters."
#[test]
fn rfc3665_3_2_f15_alice_acks_the_2xx_through_both_proxies() {
    let invite = vector("3.2_F4");
    let ok = vector("3.2_F14");
    let mut d = Dialog::uac(&invite.message(), &ok.message()).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.local_seq(), Some(2));
    assert_eq!(d.remote_seq(), None);
    assert_eq!(
        d.remote_target(),
        "sip:bob@client.biloxi.example.com;transport=tcp"
    );
    let ack = d
        .new_request(
            Method::Ack,
            "SIP/2.0/TCP client.atlanta.example.com:5060",
            "z9hG4bK74b76",
        )
        .unwrap();
    let mut want = facts(&vector("3.2_F15").message());
    // RFC 3665 writes the Contact's transport parameter in the ACK's
    // Request-URI nowhere: F15 targets "sip:bob@client.biloxi.example.com",
    // while §12.1.2 sets the remote target to the full Contact URI of F14.
    assert_eq!(want[1], "sip:bob@client.biloxi.example.com");
    want[1] = "sip:bob@client.biloxi.example.com;transport=tcp".into();
    assert_eq!(facts(&ack.message()), want);
    // ACK keeps the local sequence number.
    assert_eq!(d.local_seq(), Some(2));
}

// [RFC 3261 §12.1.1 test] "The route set MUST be set to the list of URIs in the
// Record-Route header field from the request, taken in order and preserving all
// URI parameters."
// [RFC 3261 §12.2.1.1 test] "If the local sequence number is empty, an initial
// value MUST be chosen using the guidelines of Section 8.1.1.5."
#[test]
fn rfc3665_3_2_f18_bob_hangs_up_through_both_proxies() {
    let invite = vector("3.2_F7");
    let ok = vector("3.2_F12");
    let mut d = Dialog::uas(&invite.message(), &ok.message()).unwrap();
    assert_eq!(d.local_seq(), None);
    assert_eq!(d.remote_seq(), Some(2));
    let bye = d
        .new_request(
            Method::Bye,
            "SIP/2.0/TCP client.biloxi.example.com:5060",
            "z9hG4bKnashds7",
        )
        .unwrap();
    let mut want = facts(&vector("3.2_F18").message());
    // As for F15: the remote target keeps the Contact's transport parameter.
    want[1] = "sip:alice@client.atlanta.example.com;transport=tcp".into();
    assert_eq!(facts(&bye.message()), want);
    assert_eq!(d.local_seq(), Some(1));
}

// [RFC 3261 §12.2.2 test] "If the remote sequence number is empty, it MUST be set
// to the value of the sequence number in the CSeq header field value in the
// request."
#[test]
fn rfc3665_3_2_f20_alice_receives_the_bye() {
    let mut d = Dialog::uac(&vector("3.2_F4").message(), &vector("3.2_F14").message()).unwrap();
    let bye = vector("3.2_F20");
    d.receive_request(&bye.message()).unwrap();
    assert_eq!(d.remote_seq(), Some(1));
    assert_eq!(d.state(), DialogState::Terminated);
    // A BYE from another dialog is refused.
    let mut other = Dialog::uac(&vector("3.2_F4").message(), &vector("3.2_F14").message()).unwrap();
    let foreign = parse(
        &String::from_utf8_lossy(bye.bytes())
            .replace("tag=314159", "tag=999")
            .into_bytes(),
    );
    assert!(matches!(
        other.receive_request(&foreign.message()),
        Err(DialogError::WrongDialog(_))
    ));
}

fn in_dialog(method: &str, cseq: u32, contact: &str) -> OwnedMessage {
    parse(
        format!(
            "{method} sip:alice@client.atlanta.example.com SIP/2.0\r\n\
Via: SIP/2.0/TCP client.biloxi.example.com:5060;branch=z9hG4bKx{cseq}\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=314159\r\n\
To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: {cseq} {method}\r\n{contact}Content-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    )
}

// [RFC 3261 §12.2.2 test] "If the remote sequence number was not empty, but the
// sequence number of the request is lower than the remote sequence number, the
// request is out of order and MUST be rejected with a 500 (Server Internal Error)
// response."
// [RFC 3261 §12.2.2 test] "When a UAS receives a target refresh request, it MUST
// replace the dialog's remote target URI with the URI from the Contact header
// field in that request, if present."
#[test]
fn in_dialog_requests_cseq_order_and_target_refresh() {
    let mut d = Dialog::uac(&vector("3.2_F4").message(), &vector("3.2_F14").message()).unwrap();
    d.receive_request(&in_dialog("INFO", 5, "").message())
        .unwrap();
    assert_eq!(d.remote_seq(), Some(5));
    // Gaps are fine, going back is not.
    assert_eq!(
        d.receive_request(&in_dialog("INFO", 4, "").message()),
        Err(DialogError::OutOfOrder {
            got: 4,
            expected: 5
        })
    );
    assert_eq!(d.remote_seq(), Some(5));
    d.receive_request(&in_dialog("INVITE", 9, "Contact: <sip:bob@192.0.2.99>\r\n").message())
        .unwrap();
    assert_eq!(d.remote_target(), "sip:bob@192.0.2.99");
    // A non-refresh request does not move the target.
    d.receive_request(&in_dialog("INFO", 10, "Contact: <sip:bob@192.0.2.1>\r\n").message())
        .unwrap();
    assert_eq!(d.remote_target(), "sip:bob@192.0.2.99");
}

// [RFC 3261 §12.2.1.1 test] "The UAC MUST then place the remote target URI into
// the Route header field as the last value."
#[test]
fn strict_route_set_puts_the_first_hop_in_the_request_uri() {
    let invite = vector("3.2_F4");
    let ok = parse(
        &String::from_utf8_lossy(vector("3.2_F14").bytes())
            .replace(
                "<sip:ss1.atlanta.example.com;lr>",
                "<sip:ss1.atlanta.example.com;maddr=192.0.2.111;method=INVITE>",
            )
            .into_bytes(),
    );
    let mut d = Dialog::uac(&invite.message(), &ok.message()).unwrap();
    let bye = d
        .new_request(
            Method::Bye,
            "SIP/2.0/TCP client.atlanta.example.com",
            "z9hG4bKs1",
        )
        .unwrap();
    let m = bye.message();
    assert_eq!(
        m.request_uri(),
        Some("sip:ss1.atlanta.example.com;maddr=192.0.2.111")
    );
    let routes: Vec<&str> = m.values_of(HeaderName::Route).map(|(_, v)| v).collect();
    assert_eq!(
        routes,
        [
            "<sip:ss2.biloxi.example.com;lr>",
            "<sip:bob@client.biloxi.example.com;transport=tcp>"
        ]
    );
    assert_eq!(m.cseq().unwrap().seq, 3);
}

// [RFC 3261 §13.2.2.4 test] "If the dialog identifier in the 2xx response matches
// the dialog identifier of an existing dialog, the dialog MUST be transitioned to
// the "confirmed" state"
#[test]
fn early_dialog_from_180_is_confirmed_by_the_2xx() {
    let invite = vector("3.2_F4");
    let ringing = vector("3.2_F11");
    let mut d = Dialog::uac(&invite.message(), &ringing.message()).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    d.confirm(&vector("3.2_F14").message()).unwrap();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.route_set().len(), 2);
    // A 100 without a To tag creates no dialog.
    let trying = vector("3.2_F6");
    assert!(matches!(
        Dialog::uac(&invite.message(), &trying.message()),
        Err(DialogError::NotDialogCreating(100))
    ));
}

// [RFC 3261 §12.2.1.2 test] "If the response for a request within a dialog is a
// 481 (Call/Transaction Does Not Exist) or a 408 (Request Timeout), the UAC SHOULD
// terminate the dialog."
#[test]
fn a_481_ends_the_dialog() {
    let mut d = Dialog::uac(&vector("3.2_F4").message(), &vector("3.2_F14").message()).unwrap();
    let info = d
        .new_request(
            Method::Info,
            "SIP/2.0/TCP client.atlanta.example.com",
            "z9hG4bKi",
        )
        .unwrap();
    let resp = rtclite_sip::builder::response_to(&info.message(), 481, "Gone", None).unwrap();
    d.receive_response(Method::Info, &resp.message()).unwrap();
    assert_eq!(d.state(), DialogState::Terminated);
    assert_eq!(
        d.new_request(Method::Bye, "SIP/2.0/TCP x", "z9hG4bKb")
            .err(),
        Some(DialogError::Terminated)
    );
}
