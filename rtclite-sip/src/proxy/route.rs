//! Route information (RFC 3261 §16.4, §16.6 steps 6-8, §16.12): which URIs
//! name this proxy, where a URI leads, and the branch parameters of §16.6
//! step 8 and §16.11.

use std::net::{IpAddr, SocketAddr};

use md5::{Digest, Md5};

use crate::header_name::HeaderName;
use crate::headers::NameAddr;
use crate::message::Message;
use crate::transaction::BRANCH_COOKIE;
use crate::transport::{Destination, TransportKind};
use crate::uri::{Host, SipUri, Uri};

/// One address this proxy listens on and puts in its Via sent-by and
/// Record-Route values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    /// The transport.
    pub transport: TransportKind,
    /// The host (name or IP literal) as it should appear in Via and
    /// Record-Route.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl LocalAddr {
    /// The sent-by `host:port` (IPv6 in brackets).
    pub fn sent_by(&self) -> String {
        let host = match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(a)) => format!("[{a}]"),
            _ => self.host.clone(),
        };
        format!("{host}:{}", self.port)
    }
}

/// A configured host (a name, an IPv4 address, or an IPv6 address with or
/// without brackets) as a [`Host`].
pub(crate) fn host_of(s: &str) -> Option<Host<'_>> {
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => Some(Host::Ipv4(a)),
        Ok(IpAddr::V6(a)) => Some(Host::Ipv6(a)),
        Err(_) => Host::parse(s).ok(),
    }
}

/// The (host, port) pairs that mean this proxy, parsed once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Locals {
    entries: Vec<(HostKey, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostKey {
    Ip(IpAddr),
    Name(String),
}

impl Locals {
    /// Every local address, and every alias on every local port.
    pub(crate) fn new(locals: &[LocalAddr], aliases: &[String]) -> Self {
        let key = |h: &str| match host_of(h) {
            Some(Host::Ipv4(a)) => Some(HostKey::Ip(IpAddr::V4(a))),
            Some(Host::Ipv6(a)) => Some(HostKey::Ip(IpAddr::V6(a))),
            Some(Host::Domain(d)) => Some(HostKey::Name(d.to_ascii_lowercase())),
            None => None,
        };
        let mut entries = Vec::new();
        for l in locals {
            for h in std::iter::once(&l.host).chain(aliases.iter()) {
                if let Some(k) = key(h) {
                    if !entries.contains(&(k.clone(), l.port)) {
                        entries.push((k, l.port));
                    }
                }
            }
        }
        Self { entries }
    }

    /// Whether `host:port` is this proxy.
    pub(crate) fn matches(&self, host: &Host<'_>, port: u16) -> bool {
        self.entries.iter().any(|(k, p)| {
            *p == port
                && match (k, host) {
                    (HostKey::Ip(a), Host::Ipv4(b)) => *a == IpAddr::V4(*b),
                    (HostKey::Ip(a), Host::Ipv6(b)) => *a == IpAddr::V6(*b),
                    (HostKey::Name(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
                    _ => false,
                }
        })
    }

    /// Whether a Via's sent-by is this proxy's.
    pub(crate) fn via(&self, via: &crate::headers::Via<'_>) -> bool {
        let transport = TransportKind::from_token(via.transport).unwrap_or(TransportKind::Udp);
        self.matches(&via.host, via.port.unwrap_or(transport.default_port()))
    }
}

/// Whether `uri` (its `maddr` when it has one) names this proxy.
pub(crate) fn is_self(uri: &SipUri<'_>, locals: &Locals) -> bool {
    let uri_host = match uri.param("maddr").flatten() {
        Some(m) => match Host::parse(m) {
            Ok(h) => h,
            Err(_) => return false,
        },
        None => uri.host,
    };
    let transport = uri_transport(uri);
    locals.matches(&uri_host, uri.port.unwrap_or(transport.default_port()))
}

/// The transport a URI asks for (§19.1.1 `transport` parameter; TLS for a
/// SIPS URI; UDP otherwise).
pub(crate) fn uri_transport(uri: &SipUri<'_>) -> TransportKind {
    let named = uri.transport().and_then(TransportKind::from_token);
    match (uri.secure, named) {
        // [RFC 3261 §16.6] "Furthermore, if the Request-URI contains a SIPS
        // URI, TLS MUST be used to communicate with that proxy."
        (true, Some(TransportKind::Ws | TransportKind::Wss)) => TransportKind::Wss,
        (true, _) => TransportKind::Tls,
        (false, Some(t)) => t,
        (false, None) => TransportKind::Udp,
    }
}

/// Where a request whose next hop is `uri` goes, before any RFC 3263
/// resolution by the runtime: the `maddr` or host, the port (or the
/// transport default) and the transport (RFC 3263 §4.1 with the URI's
/// explicit values; a name is left to the runtime to resolve).
pub fn uri_destination(uri: &SipUri<'_>) -> Destination {
    let transport = uri_transport(uri);
    let port = uri.port.unwrap_or(transport.default_port());
    let host = match uri.param("maddr").flatten().map(Host::parse) {
        Some(Ok(h)) => h,
        _ => uri.host,
    };
    match host {
        Host::Ipv4(a) => Destination::Addr {
            transport,
            addr: SocketAddr::new(IpAddr::V4(a), port),
        },
        Host::Ipv6(a) => Destination::Addr {
            transport,
            addr: SocketAddr::new(IpAddr::V6(a), port),
        },
        _ => Destination::Host {
            transport,
            host: host.to_string(),
            port,
        },
    }
}

/// The URI inside a Route or Record-Route value (`<uri>;params` or a bare
/// URI).
pub(crate) fn route_uri(value: &str) -> Option<String> {
    NameAddr::parse(value).ok().map(|n| n.uri_str().to_owned())
}

/// Keyed hash over the given fields, separated so that moving bytes between
/// fields changes the result; 16 hex digits. MD5 over the secret and the
/// fields: the branch needs uniqueness and a token, not collision
/// resistance against an attacker, and §16.6 names MD5 in hexadecimal as
/// "a reasonable choice".
pub(crate) fn keyed_hash(secret: &[u8; 32], parts: &[&[u8]]) -> String {
    let mut h = Md5::new();
    h.update(secret);
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let digest = h.finalize();
    hex::encode(digest.get(..8).unwrap_or_default())
}

/// The loop-detection part of a branch (RFC 3261 §16.6 step 8): a hash of
/// the fields that decide how this proxy processes the request.
///
/// Covered: the Request-URI as received, the From tag, the Call-ID, the
/// CSeq number and every Route value. The topmost Via is left out because
/// a looped request comes back with another element's Via on top (hashing
/// it would make every loop look like a spiral); the To tag, Proxy-Require
/// and Proxy-Authorization are left out because a CANCEL (§9.1) or the ACK
/// of a non-2xx (§17.1.1.3) must get the same branch as its INVITE and may
/// differ from it in exactly those fields.
pub(crate) fn loop_hash(secret: &[u8; 32], msg: &Message<'_>) -> String {
    // [RFC 3261 §16.6 exception: a CANCEL or ACK must hash as its INVITE] "If a
    // proxy wishes to detect loops, the "branch" parameter it supplies MUST
    // depend on all information affecting processing of a request, including
    // the incoming Request-URI and any header fields affecting the request's
    // admission or routing."
    // [RFC 3261 §16.6 exception: a CANCEL or ACK must hash as its INVITE] "The value placed in this part of the branch parameter SHOULD reflect
    // all of those fields"
    let ruri = msg.request_uri().unwrap_or_default();
    let from_tag = msg.from().ok().and_then(|f| f.tag()).unwrap_or_default();
    let call_id = msg.call_id().unwrap_or_default();
    let seq = msg.cseq().map(|c| c.seq).unwrap_or_default().to_be_bytes();
    let mut routes = String::new();
    for r in msg.headers_of(HeaderName::Route) {
        routes.push_str(&r.value());
        routes.push('\n');
    }
    // [RFC 3261 §16.6] "The request method MUST NOT be included in the
    // calculation of the branch parameter."
    keyed_hash(
        secret,
        &[
            b"loop",
            ruri.as_bytes(),
            from_tag.as_bytes(),
            call_id.as_bytes(),
            &seq,
            routes.as_bytes(),
        ],
    )
}

/// The per-instance prefix of stateful branches: a hash of the secret, so
/// that two proxies (or two runs with fresh secrets) never share branches.
pub(crate) fn instance_prefix(secret: &[u8; 32]) -> String {
    keyed_hash(secret, &[b"instance"])
}

/// A branch for a stateful forward: the instance prefix and a counter (the
/// unique part), then the loop-detection part.
pub(crate) fn stateful_branch(prefix: &str, counter: u64, loop_part: &str) -> String {
    // [RFC 3261 §16.6] "This implies that the proxy will compute its own
    // branch parameter, which will be globally unique for that branch, and
    // contain the requisite magic cookie."
    // [RFC 3261 §16.6] "A proxy choosing to detect loops SHOULD create a branch
    // parameter separable into two parts by the implementation."
    // [RFC 3261 §16.6] "The first part MUST satisfy the constraints of Section
    // 8.1.1.7 as described above."
    format!("{BRANCH_COOKIE}{prefix}{counter:x}.{loop_part}")
}

/// The branch of a stateless forward (RFC 3261 §16.11): the same for every
/// retransmission of a request, and for a CANCEL or non-2xx ACK the same as
/// for its INVITE.
pub fn stateless_branch(secret: &[u8; 32], msg: &Message<'_>) -> String {
    let top = msg.top_via().ok();
    let received_branch = top.and_then(|v| v.branch());
    // [RFC 3261 §16.11] "Thus for a stateless proxy, the branch parameter MUST
    // be computed as a combinatoric function of message parameters which are
    // invariant on retransmission."
    let unique = match received_branch {
        // [RFC 3261 §16.11] "If it begins with the magic cookie, the first
        // component of the branch ID of the outgoing request is computed as a
        // hash of the received branch ID."
        Some(b) if b.starts_with(BRANCH_COOKIE) => {
            keyed_hash(secret, &[b"stateless", b.as_bytes()])
        }
        _ => {
            // [RFC 3261 §16.11] "Otherwise, the first component of the branch ID
            // is computed as a hash of the topmost Via, the tag in the To header
            // field, the tag in the From header field, the Call-ID header field,
            // the CSeq number (but not method), and the Request-URI from the
            // received request."
            let via = msg
                .values_of(HeaderName::Via)
                .next()
                .map(|(_, v)| v)
                .unwrap_or_default();
            let is_ack = msg.method() == Some(crate::message::Method::Ack);
            // The ACK of a non-2xx carries the response's To tag, which its
            // INVITE did not: leave the To tag out for an ACK so both hash
            // alike (the RFC 2543 ACK matching of §17.2.3 compares the rest).
            let to_tag = if is_ack {
                ""
            } else {
                msg.to().ok().and_then(|t| t.tag()).unwrap_or_default()
            };
            let from_tag = msg.from().ok().and_then(|f| f.tag()).unwrap_or_default();
            let seq = msg.cseq().map(|c| c.seq).unwrap_or_default().to_be_bytes();
            keyed_hash(
                secret,
                &[
                    b"stateless-2543",
                    via.as_bytes(),
                    to_tag.as_bytes(),
                    from_tag.as_bytes(),
                    msg.call_id().unwrap_or_default().as_bytes(),
                    &seq,
                    msg.request_uri().unwrap_or_default().as_bytes(),
                ],
            )
        }
    };
    format!("{BRANCH_COOKIE}{unique}.{}", loop_hash(secret, msg))
}

/// Whether `msg` has looped through this proxy (RFC 3261 §16.3 step 4): a
/// Via with one of our sent-by values whose loop part equals the one this
/// request would get now.
pub(crate) fn has_looped(secret: &[u8; 32], msg: &Message<'_>, locals: &Locals) -> bool {
    let mut mine = Vec::new();
    for via in msg.via().flatten() {
        if locals.via(&via) {
            if let Some(b) = via.branch() {
                mine.push(b.to_owned());
            }
        }
    }
    if mine.is_empty() {
        return false;
    }
    let now = loop_hash(secret, msg);
    // [RFC 3261 §16.3] "If the parameters match, the request has looped."
    // [RFC 3261 §16.3] "If they differ, the request is spiraling, and
    // processing continues."
    mine.iter()
        .any(|b| b.rsplit_once('.').is_some_and(|(_, l)| l == now))
}

/// The parsed SIP URI of a Request-URI or Route value, if it is one.
pub(crate) fn sip_uri(s: &str) -> Option<SipUri<'_>> {
    match Uri::parse(s) {
        Ok(Uri::Sip(u)) => Some(u),
        _ => None,
    }
}
