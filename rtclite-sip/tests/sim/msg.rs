//! Message helpers shared by the transaction, dialog and simulation tests.
#![allow(clippy::expect_used, dead_code)]

use bytes::Bytes;
use rtclite_sip::OwnedMessage;
use rtclite_sip::builder::response_to;
use rtclite_sip::transport::{Destination, TransportKind};

/// A request from alice@atlanta to bob@biloxi with the given method,
/// branch, Via transport and CSeq number.
pub(crate) fn request(method: &str, branch: &str, transport: &str, cseq: u32) -> OwnedMessage {
    let wire = format!(
        "{method} sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/{transport} pc33.atlanta.example.com;branch={branch}\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: {cseq} {method}\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Content-Length: 0\r\n\r\n"
    );
    parse(wire.as_bytes())
}

/// Parses an owned message, panicking on error (test input is ours).
pub(crate) fn parse(wire: &[u8]) -> OwnedMessage {
    OwnedMessage::parse(Bytes::copy_from_slice(wire)).expect("test message parses")
}

/// A response to `request` with `code`, adding `to_tag` unless 100.
pub(crate) fn response(request: &OwnedMessage, code: u16, to_tag: Option<&str>) -> OwnedMessage {
    let reason = match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        486 => "Busy Here",
        487 => "Request Terminated",
        _ => "Status",
    };
    response_to(&request.message(), code, reason, to_tag).expect("response builds")
}

/// A destination on UDP or TCP at 192.0.2.4:5060.
pub(crate) fn dest(transport: TransportKind) -> Destination {
    Destination::Addr {
        transport,
        addr: "192.0.2.4:5060".parse().expect("address"),
    }
}

/// The status code, or 0 for a request.
pub(crate) fn status(m: &OwnedMessage) -> u16 {
    m.message().status().unwrap_or(0)
}

/// The method of a request, or "" for a response.
pub(crate) fn method(m: &OwnedMessage) -> String {
    m.message()
        .method()
        .map(|x| x.as_str().to_owned())
        .unwrap_or_default()
}
