//! Basic STUN server behaviour (RFC 8489 §6.3, §12), with classic RFC 3489
//! clients and the RFC 5780 NAT behaviour discovery attributes; sans-IO.
//!
//! [`BindingServer::handle`] takes one received datagram and returns the
//! response to send (and from which of the server's addresses), or nothing
//! when the datagram must be silently discarded.

use std::net::SocketAddr;

use crate::attribute::{Attribute, AttributeType, ErrorCode};
use crate::error::EncodeError;
use crate::integrity::Check;
use crate::message::{Class, Message, MessageType, MessageWriter, Method};
use crate::redirect::AlternateServer;

/// The server's addresses for RFC 5780: the primary one and, when it has
/// them, an alternate IP address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerAddresses {
    /// Primary address (where requests arrive).
    pub primary: SocketAddr,
    /// The alternate address (different IP and port), if any.
    pub alternate: Option<SocketAddr>,
}

/// A response to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The server address to send from (changes with CHANGE-REQUEST).
    pub source: SocketAddr,
    /// Where to send it.
    pub destination: SocketAddr,
    /// The encoded response.
    pub payload: Vec<u8>,
}

/// A stateless Binding server.
///
/// It keeps no transaction state: a retransmitted Binding request is simply
/// processed again, which RFC 8489 §6.3.1 allows for idempotent requests.
// [RFC 8489 §12] "The STUN server MUST support the Binding method."
// [RFC 8489 §6.3.1] "The latter technique MUST only be applied to requests
// that are idempotent"
// [RFC 8489 §11 exception: no DTLS in this crate, so classic STUN never meets it] "DTLS MUST
// NOT be used with [RFC3489] (referred to as "classic STUN")."
// [RFC 8489 §12 exception: the example endpoint listens on UDP only] "It MUST support
// UDP and TCP."
#[derive(Debug, Clone)]
pub struct BindingServer {
    software: String,
    /// The server's addresses.
    pub addresses: Option<ServerAddresses>,
    /// Add FINGERPRINT to responses (default true; never required of clients).
    pub fingerprint: bool,
    /// Redirect Binding requests there with 300 (Try Alternate)
    /// (RFC 8489 §10); `None` (the default) serves them. A request whose
    /// source family has no address in it is served, and so is a classic
    /// RFC 3489 request (that RFC has no 300).
    pub alternate: Option<AlternateServer>,
}

impl BindingServer {
    /// A server announcing `software` in its responses.
    pub fn new(software: impl Into<String>) -> Self {
        BindingServer {
            software: software.into(),
            addresses: None,
            fingerprint: true,
            alternate: None,
        }
    }

    /// Processes one datagram received on `local` from `from`.
    pub fn handle(&self, local: SocketAddr, from: SocketAddr, datagram: &[u8]) -> Option<Reply> {
        let msg = Message::parse(datagram).ok()?;
        // [RFC 8489 §12] "It MAY utilize the FINGERPRINT mechanism
        // but MUST NOT require it."
        // [RFC 8489 §6.3] "If the FINGERPRINT extension
        // is being used, the agent checks that the FINGERPRINT attribute is
        // present and contains the correct value."
        if msg.check_fingerprint() == Check::Invalid {
            return None;
        }
        // [RFC 8489 §6.3] "It checks that the message class is allowed for
        // the particular method."
        if msg.method() != Method::BINDING {
            if msg.class() == Class::Request {
                return self
                    .error(&msg, local, from, ErrorCode::BAD_REQUEST, &[])
                    .ok();
            }
            return None;
        }
        let unknown = msg.unknown_attributes();
        match msg.class() {
            Class::Request => {}
            // [RFC 8489 §6.3.2] "If the indication contains unknown comprehension-required attributes,
            // the indication is discarded and processing ceases."
            Class::Indication => return None,
            _ => return None,
        }
        // [RFC 8489 §6.3.1] "If the request contains one or more unknown comprehension-required
        // attributes, the server replies with an error response with an error
        // code of 420 (Unknown Attribute)"
        if !unknown.is_empty() {
            let list: Vec<u8> = unknown.iter().flat_map(|t| t.0.to_be_bytes()).collect();
            return self
                .error(&msg, local, from, ErrorCode::UNKNOWN_ATTRIBUTE, &list)
                .ok();
        }
        if let Some(alt) = &self.alternate {
            if msg.has_magic_cookie() && alt.for_source(from).is_some() {
                return self.try_alternate(&msg, local, from, alt).ok();
            }
        }
        self.success(&msg, local, from).ok()
    }

    /// A 300 (Try Alternate) to an unauthenticated request: this server
    /// has no credentials, so the response carries no MESSAGE-INTEGRITY.
    // [RFC 8489 §10] "The error response message MAY be authenticated; however, there are use cases for ALTERNATE-SERVER
    // where authentication of the response is not possible or practical."
    fn try_alternate(
        &self,
        msg: &Message<'_>,
        local: SocketAddr,
        from: SocketAddr,
        alt: &AlternateServer,
    ) -> Result<Reply, EncodeError> {
        let mut payload = Vec::new();
        let mut w = self.writer(&mut payload, msg, Class::ErrorResponse);
        alt.write_try_alternate(&mut w, from, false)?;
        self.finish(&mut w, false)?;
        Ok(Reply {
            source: local,
            destination: from,
            payload,
        })
    }

    fn writer<'b>(
        &self,
        buf: &'b mut Vec<u8>,
        msg: &Message<'_>,
        class: Class,
    ) -> MessageWriter<'b> {
        let ty = MessageType::new(class, msg.method());
        // [RFC 8489 §5] "Success and error responses MUST carry the same
        // transaction ID as their corresponding request."
        if msg.has_magic_cookie() {
            MessageWriter::new(buf, ty, msg.transaction_id())
        } else {
            MessageWriter::new_classic(buf, ty, msg.classic_transaction_id())
        }
    }

    fn finish(&self, w: &mut MessageWriter<'_>, classic: bool) -> Result<(), EncodeError> {
        // [RFC 8489 §6.3.1.1] "In addition, the server SHOULD add a SOFTWARE attribute to
        // the message."
        if !self.software.is_empty() {
            if classic {
                // RFC 3489 §11.2 gives every attribute a length that is a
                // multiple of 4; classic clients reject other lengths, so
                // the text is padded with spaces inside the value.
                let mut s = self.software.clone();
                while s.len() % 4 != 0 {
                    s.push(' ');
                }
                w.attribute(&Attribute::Software(&s))?;
            } else {
                w.attribute(&Attribute::Software(&self.software))?;
            }
        }
        // [RFC 8489 §7] "The
        // FINGERPRINT mechanism is not backwards compatible with RFC 3489 and
        // cannot be used in environments where such compatibility is required."
        if self.fingerprint && !classic {
            w.fingerprint()?;
        }
        Ok(())
    }

    fn error(
        &self,
        msg: &Message<'_>,
        local: SocketAddr,
        from: SocketAddr,
        code: ErrorCode<'_>,
        unknown: &[u8],
    ) -> Result<Reply, EncodeError> {
        let mut payload = Vec::new();
        let mut w = self.writer(&mut payload, msg, Class::ErrorResponse);
        // [RFC 8489 §6.3.1.1] "For an error response, the server MUST add an ERROR-CODE attribute
        // containing the error code specified in the processing above."
        w.attribute(&Attribute::ErrorCode(code))?;
        if code.code == 420 {
            // [RFC 8489 §6.3.1.1] "for an error code of
            // 420 (Unknown Attribute), the server MUST include an UNKNOWN-
            // ATTRIBUTES attribute."
            w.raw_attribute(AttributeType::UNKNOWN_ATTRIBUTES, unknown)?;
        }
        self.finish(&mut w, !msg.has_magic_cookie())?;
        Ok(Reply {
            source: local,
            destination: from,
            payload,
        })
    }

    fn success(
        &self,
        msg: &Message<'_>,
        local: SocketAddr,
        from: SocketAddr,
    ) -> Result<Reply, EncodeError> {
        let classic = !msg.has_magic_cookie();
        let (mut change_ip, mut change_port) = (false, false);
        if let Some(Ok(Attribute::ChangeRequest {
            change_ip: i,
            change_port: p,
        })) = msg.get(AttributeType::CHANGE_REQUEST)
        {
            change_ip = i;
            change_port = p;
        }
        let mut destination = from;
        if let Some(Ok(Attribute::ResponsePort(port))) = msg.get(AttributeType::RESPONSE_PORT) {
            destination.set_port(port);
        }
        let mut source = local;
        let mut other = None;
        if let Some(addrs) = self.addresses {
            if let Some(alt) = addrs.alternate {
                // The other address differs from the receiving one in both IP
                // and port, whichever of the four sockets received the request.
                let other_ip = if local.ip() == alt.ip() {
                    addrs.primary.ip()
                } else {
                    alt.ip()
                };
                let other_port = if local.port() == alt.port() {
                    addrs.primary.port()
                } else {
                    alt.port()
                };
                other = Some(SocketAddr::new(other_ip, other_port));
                if change_ip {
                    source.set_ip(other_ip);
                }
                if change_port {
                    source.set_port(other_port);
                }
            }
        }
        // [RFC 5780 §6.1] "If the Request contains the CHANGE-REQUEST attribute and the server
        // does not have an alternate address and port as described above, the
        // server MUST generate an error response of type 420."
        // Classic RFC 3489 clients always send CHANGE-REQUEST, with no flag set
        // when they ask for nothing; only an RFC 5389+ request or a set flag
        // is refused.
        let asks_change = change_ip
            || change_port
            || (msg.has_magic_cookie() && msg.contains(AttributeType::CHANGE_REQUEST));
        if asks_change && other.is_none() {
            let list = AttributeType::CHANGE_REQUEST.0.to_be_bytes();
            return self.error(msg, local, from, ErrorCode::UNKNOWN_ATTRIBUTE, &list);
        }
        let mut payload = Vec::new();
        let mut w = self.writer(&mut payload, msg, Class::SuccessResponse);
        if classic {
            // [RFC 8489 §14.1] "This attribute is used only by servers for achieving backwards
            // compatibility with [RFC3489] clients."
            w.attribute(&Attribute::MappedAddress(from))?;
            w.attribute(&Attribute::SourceAddress(source))?;
            if let Some(o) = other {
                w.attribute(&Attribute::ChangedAddress(o))?;
            }
        } else {
            // [RFC 8489 §6.3.1.1] "When forming the success response, the
            // server adds an XOR-MAPPED-ADDRESS attribute to the response; this
            // attribute contains the source transport address of the request
            // message."
            w.attribute(&Attribute::XorMappedAddress(from))?;
            if let Some(o) = other {
                // [RFC 5780 §6.1] "The server MUST include both MAPPED-ADDRESS and XOR-MAPPED-ADDRESS in
                // its Response."
                w.attribute(&Attribute::MappedAddress(from))?;
                w.attribute(&Attribute::ResponseOrigin(source))?;
                w.attribute(&Attribute::OtherAddress(o))?;
            }
        }
        self.finish(&mut w, classic)?;
        Ok(Reply {
            source,
            destination,
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::TransactionId;

    fn request(extra: &[(u16, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::BINDING_REQUEST,
            TransactionId([9; 12]),
        );
        for (t, v) in extra {
            w.raw_attribute(AttributeType(*t), v).unwrap();
        }
        w.finish();
        buf
    }

    #[test]
    fn binding_success_carries_xor_mapped_address() {
        let s = BindingServer::new("rtclite");
        let local = "127.0.0.1:3478".parse().unwrap();
        let from: SocketAddr = "192.0.2.7:4000".parse().unwrap();
        let reply = s.handle(local, from, &request(&[])).unwrap();
        let m = Message::parse(&reply.payload).unwrap();
        assert_eq!(m.message_type(), MessageType::BINDING_SUCCESS);
        assert_eq!(m.transaction_id(), TransactionId([9; 12]));
        assert_eq!(
            m.get(AttributeType::XOR_MAPPED_ADDRESS).unwrap().unwrap(),
            Attribute::XorMappedAddress(from)
        );
        assert_eq!(m.check_fingerprint(), Check::Valid);
        assert_eq!(reply.destination, from);
    }

    // [RFC 8489 §6.3.1 test] "includes an UNKNOWN-ATTRIBUTES
    // attribute in the response that lists the unknown comprehension-
    // required attributes."
    #[test]
    fn unknown_comprehension_required_gets_420() {
        let s = BindingServer::new("rtclite");
        let local = "127.0.0.1:3478".parse().unwrap();
        let from = "192.0.2.7:4000".parse().unwrap();
        let req = request(&[(0x7777, b"x"), (0xC001, b"ignored"), (0x7777, b"again")]);
        let m_bytes = s.handle(local, from, &req).unwrap().payload;
        let m = Message::parse(&m_bytes).unwrap();
        assert_eq!(m.class(), Class::ErrorResponse);
        let Attribute::ErrorCode(e) = m.get(AttributeType::ERROR_CODE).unwrap().unwrap() else {
            panic!()
        };
        assert_eq!(e.code, 420);
        let Attribute::UnknownAttributes(u) =
            m.get(AttributeType::UNKNOWN_ATTRIBUTES).unwrap().unwrap()
        else {
            panic!()
        };
        assert_eq!(u.iter().collect::<Vec<_>>(), vec![AttributeType(0x7777)]);
    }

    #[test]
    fn classic_client_gets_mapped_address_without_fingerprint() {
        let s = BindingServer::new("rtclite");
        let local = "127.0.0.1:3478".parse().unwrap();
        let from: SocketAddr = "192.0.2.7:4000".parse().unwrap();
        let mut req = Vec::new();
        let tid = [0xAB; 16];
        MessageWriter::new_classic(&mut req, MessageType::BINDING_REQUEST, tid).finish();
        let out = s.handle(local, from, &req).unwrap().payload;
        let m = Message::parse(&out).unwrap();
        assert!(!m.has_magic_cookie());
        assert_eq!(m.classic_transaction_id(), tid);
        assert_eq!(
            m.get(AttributeType::MAPPED_ADDRESS).unwrap().unwrap(),
            Attribute::MappedAddress(from)
        );
        assert_eq!(m.check_fingerprint(), Check::Absent);
    }

    #[test]
    fn change_request_moves_the_source_and_needs_an_alternate() {
        let mut s = BindingServer::new("");
        let local: SocketAddr = "127.0.0.1:3478".parse().unwrap();
        let from = "192.0.2.7:4000".parse().unwrap();
        let req = request(&[(0x0003, &[0, 0, 0, 6])]);
        let no_alt_bytes = s.handle(local, from, &req).unwrap().payload;
        let no_alt = Message::parse(&no_alt_bytes).unwrap();
        assert_eq!(no_alt.class(), Class::ErrorResponse);
        let Attribute::ErrorCode(e) = no_alt.get(AttributeType::ERROR_CODE).unwrap().unwrap()
        else {
            panic!()
        };
        assert_eq!(e.code, 420);
        let alt: SocketAddr = "127.0.0.2:3479".parse().unwrap();
        s.addresses = Some(ServerAddresses {
            primary: local,
            alternate: Some(alt),
        });
        let reply = s.handle(local, from, &req).unwrap();
        assert_eq!(reply.source, alt);
        let m = Message::parse(&reply.payload).unwrap();
        assert_eq!(
            m.get(AttributeType::OTHER_ADDRESS).unwrap().unwrap(),
            Attribute::OtherAddress(alt)
        );
        assert_eq!(
            m.get(AttributeType::RESPONSE_ORIGIN).unwrap().unwrap(),
            Attribute::ResponseOrigin(alt)
        );
        assert_eq!(
            m.get(AttributeType::MAPPED_ADDRESS).unwrap().unwrap(),
            Attribute::MappedAddress(from)
        );
        // [RFC 5780 §6.1 test] "If the "change port" flag was set in the CHANGE-
        // REQUEST attribute of the Binding Request, and the "change IP" flag
        // was not set, the source IP address of the Binding Response MUST be Da
        // and the source port of the Binding Response MUST be Cp."
        let port_only = request(&[(0x0003, &[0, 0, 0, 2])]);
        let at_alt_ip: SocketAddr = "127.0.0.2:3478".parse().unwrap();
        let reply = s.handle(at_alt_ip, from, &port_only).unwrap();
        assert_eq!(reply.source, "127.0.0.2:3479".parse().unwrap());
        let reply = s
            .handle(alt, from, &request(&[(0x0003, &[0, 0, 0, 4])]))
            .unwrap();
        assert_eq!(reply.source, "127.0.0.1:3479".parse().unwrap());
    }
}
