//! Transport-layer rules (RFC 3261 §18, RFC 3581): what the transport does to
//! a message on receipt and where it sends one, without any socket.
//!
//! The runtime owns the sockets. This module tells it:
//! - on receipt of a request, how to stamp the top Via with `received` and
//!   `rport` ([`stamp_received`], §18.2.1 and RFC 3581 §4);
//! - where a response goes ([`response_destination`], §18.2.2 with the
//!   RFC 3581 step);
//! - whether a received response is ours ([`sent_by_matches`], §18.1.2);
//! - when a request must move from UDP to a congestion-controlled
//!   transport ([`request_transport`], §18.1.1).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use bytes::{BufMut, BytesMut};

use crate::HeaderName;
use crate::error::{Error, ErrorKind};
use crate::headers::Via;
use crate::message::Message;
use crate::owned::OwnedMessage;
use crate::uri::Host;

/// A SIP transport protocol, as named in the Via sent-protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// UDP (unreliable).
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// SCTP.
    Sctp,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket (RFC 7118).
    Wss,
}

impl TransportKind {
    /// Classifies a Via transport token (case-insensitive).
    pub fn from_token(token: &str) -> Option<Self> {
        const ALL: [(&str, TransportKind); 6] = [
            ("UDP", TransportKind::Udp),
            ("TCP", TransportKind::Tcp),
            ("TLS", TransportKind::Tls),
            ("SCTP", TransportKind::Sctp),
            ("WS", TransportKind::Ws),
            ("WSS", TransportKind::Wss),
        ];
        ALL.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(token))
            .map(|(_, kind)| *kind)
    }

    /// The Via transport token (`UDP`, `TCP`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
            Self::Sctp => "SCTP",
            Self::Ws => "WS",
            Self::Wss => "WSS",
        }
    }

    /// Whether the transport delivers reliably (everything but UDP); the
    /// transaction timers A, E and G run only on unreliable transports and
    /// D, I, J and K are zero on reliable ones.
    pub const fn is_reliable(self) -> bool {
        !matches!(self, Self::Udp)
    }

    /// The port used when a sent-by or URI has none.
    pub const fn default_port(self) -> u16 {
        // [RFC 3261 §18.1.1] "If the port is absent, the default value depends on the
        // transport. It is 5060 for UDP, TCP and SCTP, 5061 for TLS."
        match self {
            Self::Tls | Self::Wss => 5061,
            _ => 5060,
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message goes: the transport and either an address or a host
/// name the runtime must still resolve (RFC 3263 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Destination {
    /// Send to this address. On a reliable transport, use the connection
    /// to (or, after it closed, a new one to) this address.
    Addr {
        /// The transport to use.
        transport: TransportKind,
        /// The peer address.
        addr: SocketAddr,
    },
    /// Resolve `host` by the server procedures of RFC 3263 §5, then send.
    Host {
        /// The transport to use.
        transport: TransportKind,
        /// The sent-by host as written.
        host: String,
        /// The sent-by port, or the transport's default.
        port: u16,
    },
}

impl Destination {
    /// The transport of this destination.
    pub const fn transport(&self) -> TransportKind {
        match self {
            Self::Addr { transport, .. } | Self::Host { transport, .. } => *transport,
        }
    }
}

/// Requests larger than this go over a congestion-controlled transport when
/// the path MTU is unknown (RFC 3261 §18.1.1).
pub const UNKNOWN_MTU_LIMIT: usize = 1300;

/// The margin a request must keep below the path MTU to stay on UDP.
pub const MTU_MARGIN: usize = 200;

/// The transport a request of `size` bytes must use when `preferred` was
/// chosen for it and the path MTU is `path_mtu` (if known): UDP becomes TCP
/// when the request is too large; any other transport is kept. The caller
/// rewrites the top Via when the answer differs from `preferred`.
///
/// ```
/// use rtclite_sip::transport::{request_transport, TransportKind};
/// assert_eq!(request_transport(TransportKind::Udp, 1300, None), TransportKind::Udp);
/// assert_eq!(request_transport(TransportKind::Udp, 1301, None), TransportKind::Tcp);
/// assert_eq!(request_transport(TransportKind::Udp, 1301, Some(1500)), TransportKind::Tcp);
/// assert_eq!(request_transport(TransportKind::Udp, 1299, Some(9000)), TransportKind::Udp);
/// ```
pub fn request_transport(
    preferred: TransportKind,
    size: usize,
    path_mtu: Option<usize>,
) -> TransportKind {
    if preferred != TransportKind::Udp {
        return preferred;
    }
    // [RFC 3261 §18.1.1] "If a request is within 200 bytes of the path MTU, or if it
    // is larger than 1300 bytes and the path MTU is unknown, the request MUST be sent
    // using an RFC 2914 [43] congestion controlled transport protocol"
    let too_large = match path_mtu {
        Some(mtu) => size.saturating_add(MTU_MARGIN) > mtu,
        None => size > UNKNOWN_MTU_LIMIT,
    };
    if too_large {
        TransportKind::Tcp
    } else {
        TransportKind::Udp
    }
}

/// Stamps the top Via of a received request with `received` and `rport`
/// (RFC 3261 §18.2.1, RFC 3581 §4) and returns the rewritten message, or
/// `None` when the Via needs no change. Only the top Via value is rewritten
/// (in canonical form); every other byte is kept.
///
/// ```
/// use rtclite_sip::{Message, transport::stamp_received};
/// let wire = b"OPTIONS sip:b@example.com SIP/2.0\r\n\
/// Via: SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff\r\n\
/// Content-Length: 0\r\n\r\n";
/// let msg = Message::parse(wire)?;
/// let stamped = stamp_received(&msg, "192.0.2.1:9988".parse().unwrap())?.unwrap();
/// let via = stamped.message().top_via()?;
/// assert_eq!(via.received(), Some("192.0.2.1"));
/// assert_eq!(via.rport(), Some(Some(9988)));
/// # Ok::<(), rtclite_sip::Error>(())
/// ```
pub fn stamp_received(
    msg: &Message<'_>,
    source: SocketAddr,
) -> Result<Option<OwnedMessage>, Error> {
    let (start, raw) = top_via_span(msg)?;
    let via = Via::parse(raw)?;
    // [RFC 3581 §4] "If this Via header field value contains an "rport" parameter
    // with no value, it MUST set the value of the parameter to the source port of
    // the request."
    let fill_rport = via.params.get("rport") == Some(None);
    // [RFC 3261 §18.2.1] "If the host portion of the "sent-by" parameter contains a
    // domain name, or if it contains an IP address that differs from the packet
    // source address, the server MUST add a "received" parameter"
    let differs = match via.host {
        Host::Ipv4(a) => IpAddr::V4(a) != source.ip(),
        Host::Ipv6(a) => IpAddr::V6(a) != source.ip(),
        _ => true,
    };
    // [RFC 3581 §4] "the server MUST insert a "received" parameter containing the
    // source IP address that the request came from, even if it is identical to the
    // value of the "sent-by" component"
    let add_received = differs || fill_rport;
    if !add_received {
        return Ok(None);
    }
    let mut value = format!(
        "{}/{}/{} ",
        via.protocol_name, via.protocol_version, via.transport
    );
    value.push_str(&via.host.to_string());
    if let Some(p) = via.port {
        value.push_str(&format!(":{p}"));
    }
    for (name, v) in via.params.iter() {
        if name.eq_ignore_ascii_case("received") {
            continue;
        }
        if fill_rport && name.eq_ignore_ascii_case("rport") {
            // [RFC 3261 §18.2.1] "This parameter MUST contain the source address
            // from which the packet was received."
            value.push_str(&format!(
                ";received={};rport={}",
                source.ip(),
                source.port()
            ));
            continue;
        }
        value.push(';');
        value.push_str(name);
        if let Some(v) = v {
            value.push('=');
            value.push_str(v);
        }
    }
    if !fill_rport {
        value.push_str(&format!(";received={}", source.ip()));
    }
    let head = msg.head();
    let end = start + raw.len();
    let mut out = BytesMut::with_capacity(head.len() + value.len() + 2 + msg.body().len());
    out.put_slice(head.get(..start).unwrap_or_default().as_bytes());
    out.put_slice(value.as_bytes());
    out.put_slice(head.get(end..).unwrap_or_default().as_bytes());
    out.put_slice(b"\r\n");
    out.put_slice(msg.body());
    OwnedMessage::parse(out.freeze()).map(Some)
}

/// Where the server transport sends a response whose top Via is `via`, for
/// a request that arrived from `source` (RFC 3261 §18.2.2, RFC 3581 §4).
///
/// On reliable transports the answer is `source`: the runtime uses the
/// connection the request came on while it is open (and may fall back to
/// `received` with the sent-by port).
pub fn response_destination(via: &Via<'_>, source: SocketAddr) -> Destination {
    let transport = TransportKind::from_token(via.transport).unwrap_or(TransportKind::Udp);
    let sent_by_port = via.port.unwrap_or(transport.default_port());
    // [RFC 3261 §18.2.2] "the response MUST be sent using the existing connection
    // to the source of the original request that created the transaction, if that
    // connection is still open"
    if transport.is_reliable() {
        return Destination::Addr {
            transport,
            addr: source,
        };
    }
    // [RFC 3261 §18.2.2] "if the Via header field value contains a "maddr"
    // parameter, the response MUST be forwarded to the address listed there,
    // using the port indicated in "sent-by", or port 5060 if none is present"
    if let Some(maddr) = via.maddr() {
        let port = via.port.unwrap_or(5060);
        return match Host::parse(maddr) {
            Ok(Host::Ipv4(a)) => Destination::Addr {
                transport,
                addr: SocketAddr::new(IpAddr::V4(a), port),
            },
            Ok(Host::Ipv6(a)) => Destination::Addr {
                transport,
                addr: SocketAddr::new(IpAddr::V6(a), port),
            },
            _ => Destination::Host {
                transport,
                host: maddr.to_owned(),
                port,
            },
        };
    }
    if let Some(received) = via.received_addr() {
        // [RFC 3581 §4] "the response MUST be sent to the IP address listed in the
        // "received" parameter, and the port in the "rport" parameter"
        if let Some(Some(rport)) = via.rport() {
            return Destination::Addr {
                transport,
                addr: SocketAddr::new(received, rport),
            };
        }
        // [RFC 3261 §18.2.2] "if the top Via has a "received" parameter, the
        // response MUST be sent to the address in the "received" parameter"
        return Destination::Addr {
            transport,
            addr: SocketAddr::new(received, sent_by_port),
        };
    }
    match via.host {
        Host::Ipv4(a) => Destination::Addr {
            transport,
            addr: SocketAddr::new(IpAddr::V4(a), sent_by_port),
        },
        Host::Ipv6(a) => Destination::Addr {
            transport,
            addr: SocketAddr::new(IpAddr::V6(a), sent_by_port),
        },
        // [RFC 3261 §18.2.2] "the response MUST be sent to the address indicated
        // by the "sent-by" value, using the procedures in Section 5 of [4]"
        _ => Destination::Host {
            transport,
            host: via.host.to_string(),
            port: sent_by_port,
        },
    }
}

/// Whether the top Via of a received response carries a sent-by this
/// element inserts into its requests (`host` compared case-insensitively,
/// an absent port equal to the transport default).
pub fn sent_by_matches(via: &Via<'_>, host: &str, port: u16) -> bool {
    let transport = TransportKind::from_token(via.transport).unwrap_or(TransportKind::Udp);
    let via_port = via.port.unwrap_or(transport.default_port());
    // [RFC 3261 §18.1.2] "If the value of the "sent-by" parameter in that header
    // field value does not correspond to a value that the client transport is
    // configured to insert into requests, the response MUST be silently discarded."
    via_port == port && Host::parse(host).is_ok_and(|h| h.equivalent(&via.host))
}

/// The byte offset and text of the first value of the top Via line.
fn top_via_span<'a>(msg: &Message<'a>) -> Result<(usize, &'a str), Error> {
    let (_, raw) = msg.values_of(HeaderName::Via).next().ok_or_else(|| {
        Error::new(ErrorKind::MissingHeader)
            .in_header(HeaderName::Via)
            .rfc("RFC 3261 §8.1.1.7")
    })?;
    // `raw` is a sub-slice of the head; its offset is the pointer distance.
    let base = msg.head().as_ptr() as usize;
    let start = (raw.as_ptr() as usize).saturating_sub(base);
    Ok((start, raw))
}
