//! The proxy tests' shared pieces: the proxy at 192.0.2.2 for
//! biloxi.example.com, Alice's INVITE and CANCEL to Bob, and a one-line
//! summary of what the proxy sent.

use rtclite_sip::OwnedMessage;
use rtclite_sip::proxy::{LocalAddr, ProxyConfig};
use rtclite_sip::transaction::Transmit;
use rtclite_sip::transport::Destination;
use rtclite_sip::transport::TransportKind::Udp;

use crate::sim::proxy::{addr, status};

/// Alice's INVITE to Bob's address-of-record, without a body.
pub(crate) const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@192.0.2.101>\r\n\
Content-Length: 0\r\n\r\n";

/// The CANCEL of [`INVITE`].
pub(crate) const CANCEL: &[u8] = b"CANCEL sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 CANCEL\r\n\
Content-Length: 0\r\n\r\n";

/// A proxy responsible for biloxi.example.com, listening on UDP
/// 192.0.2.2:5060; the rest default.
pub(crate) fn biloxi_config() -> ProxyConfig {
    ProxyConfig {
        domains: vec!["biloxi.example.com".into()],
        local: vec![LocalAddr {
            transport: Udp,
            host: "192.0.2.2".into(),
            port: 5060,
        }],
        ..ProxyConfig::default()
    }
}

/// What went where (`METHOD -> address` or `STATUS -> address`),
/// retransmissions folded into one line.
pub(crate) fn summary(out: &[Transmit]) -> Vec<String> {
    let mut lines: Vec<String> = out
        .iter()
        .map(|t| {
            let dest = match &t.destination {
                Destination::Addr { addr, .. } => addr.to_string(),
                other => format!("{other:?}"),
            };
            match status(t) {
                0 => format!(
                    "{} -> {dest}",
                    t.message.message().method().unwrap().as_str()
                ),
                s => format!("{s} -> {dest}"),
            }
        })
        .collect();
    lines.dedup();
    lines
}

/// The request the proxy sent to `to` in `out`.
pub(crate) fn sent_to(out: &[Transmit], to: &str) -> OwnedMessage {
    out.iter()
        .find(|t| t.destination == addr(Udp, to) && status(t) == 0)
        .unwrap_or_else(|| panic!("nothing sent to {to}: {:?}", summary(out)))
        .message
        .clone()
}

/// A REGISTER for Bob sent from `from` (its Via) with `branch`, `cseq`,
/// the Contact values `contacts` and, when given, an Expires.
pub(crate) fn register_bob(
    from: &str,
    branch: &str,
    cseq: u32,
    contacts: &str,
    expires: Option<u32>,
) -> String {
    let expires = expires
        .map(|e| format!("Expires: {e}\r\n"))
        .unwrap_or_default();
    format!(
        "REGISTER sip:biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP {from};branch={branch}\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n\
Call-ID: 843817637684230@998sdasdh09\r\n\
CSeq: {cseq} REGISTER\r\n\
Contact: {contacts}\r\n\
{expires}Content-Length: 0\r\n\r\n"
    )
}
