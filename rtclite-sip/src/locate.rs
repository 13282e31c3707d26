//! Locating SIP servers (RFC 3263 §4), sans-IO: the caller supplies the
//! NAPTR, SRV and A/AAAA answers (from its resolver or cache) through
//! [`DnsAnswers`]; [`locate`] applies the selection rules and returns the
//! targets in the order to try them (§4.2: first, then the next on failure).
//! SRV weighting (RFC 2782) draws from the caller's RNG.

use std::net::IpAddr;

use rand_core::RngCore;

use crate::transport::TransportKind;
use crate::uri::{Host, SipUri};

/// One NAPTR record (RFC 3403) as the resolver returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaptrRecord {
    /// Lower is tried first.
    pub order: u16,
    /// Lower is preferred among equal orders.
    pub preference: u16,
    /// The flags (`s` for an SRV replacement).
    pub flags: String,
    /// The service, e.g. `SIPS+D2T`.
    pub service: String,
    /// The replacement domain (an SRV name).
    pub replacement: String,
}

/// One SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative weight among equal priorities.
    pub weight: u16,
    /// The port.
    pub port: u16,
    /// The target host name (`.` means no service).
    pub target: String,
}

/// The DNS answers [`locate`] may need; empty when the name has none.
pub trait DnsAnswers {
    /// NAPTR records of `domain`.
    fn naptr(&self, domain: &str) -> Vec<NaptrRecord>;
    /// SRV records of `name` (e.g. `_sip._udp.example.com`).
    fn srv(&self, name: &str) -> Vec<SrvRecord>;
    /// A and AAAA records of `host`.
    fn addresses(&self, host: &str) -> Vec<IpAddr>;
}

/// One place to send a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// The transport.
    pub transport: TransportKind,
    /// The address.
    pub addr: IpAddr,
    /// The port.
    pub port: u16,
}

/// The NAPTR service of a transport, and the SRV label.
fn service(transport: TransportKind, secure: bool) -> Option<(String, &'static str)> {
    let (d2x, label) = match transport {
        TransportKind::Udp => ("D2U", "_udp"),
        TransportKind::Tcp | TransportKind::Tls => ("D2T", "_tcp"),
        TransportKind::Sctp => ("D2S", "_sctp"),
        TransportKind::Ws | TransportKind::Wss => ("D2W", "_ws"),
    };
    let proto = if secure { "SIPS" } else { "SIP" };
    Some((format!("{proto}+{d2x}"), label))
}

/// The transport a NAPTR service names, among `supported`.
fn transport_of_service(service: &str, supported: &[TransportKind]) -> Option<TransportKind> {
    let (proto, d2x) = service.split_once('+')?;
    let secure = proto.eq_ignore_ascii_case("SIPS");
    if !secure && !proto.eq_ignore_ascii_case("SIP") {
        return None;
    }
    let t = match (d2x.to_ascii_uppercase().as_str(), secure) {
        ("D2U", false) => TransportKind::Udp,
        ("D2T", false) => TransportKind::Tcp,
        ("D2T", true) => TransportKind::Tls,
        ("D2S", _) => TransportKind::Sctp,
        ("D2W", false) => TransportKind::Ws,
        ("D2W", true) => TransportKind::Wss,
        _ => return None,
    };
    supported.contains(&t).then_some(t)
}

/// Orders SRV records by priority and, within a priority, by the weighted
/// random selection of RFC 2782.
pub fn order_srv(mut records: Vec<SrvRecord>, rng: &mut impl RngCore) -> Vec<SrvRecord> {
    records.retain(|r| r.target != ".");
    records.sort_by_key(|r| r.priority);
    let mut out = Vec::with_capacity(records.len());
    while let Some(first) = records.first() {
        let priority = first.priority;
        let mut group: Vec<SrvRecord> = Vec::new();
        records.retain(|r| {
            if r.priority == priority {
                group.push(r.clone());
                false
            } else {
                true
            }
        });
        // Zero weights first, as RFC 2782 arranges them, so they keep a small
        // chance when others have weight.
        group.sort_by_key(|r| r.weight != 0);
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let pick = if total == 0 {
                0
            } else {
                rng.next_u32() % (total + 1)
            };
            let mut running = 0u32;
            let index = group
                .iter()
                .position(|r| {
                    running += u32::from(r.weight);
                    running >= pick
                })
                .unwrap_or(0);
            out.push(group.remove(index));
        }
    }
    out
}

/// The targets for `uri`, in the order to try them (RFC 3263 §4.1, §4.2).
/// `supported` lists the client's transports in its order of preference.
pub fn locate(
    uri: &SipUri<'_>,
    dns: &impl DnsAnswers,
    supported: &[TransportKind],
    rng: &mut impl RngCore,
) -> Vec<Target> {
    let secure = uri.secure;
    // The TARGET is the maddr parameter if present, else the host (§4).
    let maddr = uri.param("maddr").flatten();
    let target_host = match maddr.map(Host::parse) {
        Some(Ok(h)) => h,
        _ => uri.host,
    };
    let numeric = match target_host {
        Host::Ipv4(a) => Some(IpAddr::V4(a)),
        Host::Ipv6(a) => Some(IpAddr::V6(a)),
        _ => None,
    };
    let default_transport = if secure {
        TransportKind::Tls
    } else {
        TransportKind::Udp
    };
    let explicit = uri.transport().and_then(|t| {
        let t = TransportKind::from_token(t)?;
        Some(if secure && t == TransportKind::Tcp {
            TransportKind::Tls
        } else {
            t
        })
    });
    let domain = target_host.to_string();

    // [RFC 3263 §4.1] "If the URI specifies a transport protocol in the transport
    // parameter, that transport protocol SHOULD be used."
    // [RFC 3263 §4.1] "Otherwise, if no transport protocol is specified, but the
    // TARGET is a numeric IP address, the client SHOULD use UDP for a SIP URI, and
    // TCP for a SIPS URI."
    // [RFC 3263 §4.1] "Similarly, if no transport protocol is specified, and the
    // TARGET is not numeric, but an explicit port is provided, the client SHOULD
    // use UDP for a SIP URI, and TCP for a SIPS URI."
    if numeric.is_some() || uri.port.is_some() || explicit.is_some() {
        let transport = explicit.unwrap_or(default_transport);
        let addrs = match numeric {
            Some(a) => vec![a],
            None if uri.port.is_some() => dns.addresses(&domain),
            // [RFC 3263 §4.2] "If it was not, because a transport was specified
            // explicitly, the client performs an SRV query for that specific
            // transport"
            None => {
                let Some((_, label)) = service(transport, secure) else {
                    return Vec::new();
                };
                let scheme = if secure || transport == TransportKind::Tls {
                    "_sips"
                } else {
                    "_sip"
                };
                let srv = dns.srv(&format!("{scheme}.{label}.{domain}"));
                if !srv.is_empty() {
                    return srv_targets(srv, transport, dns, rng);
                }
                dns.addresses(&domain)
            }
        };
        let port = uri.port.unwrap_or(transport.default_port());
        return addrs
            .into_iter()
            .map(|addr| Target {
                transport,
                addr,
                port,
            })
            .collect();
    }

    // [RFC 3263 §4.1] "Otherwise, if no transport protocol or port is specified, and
    // the target is not a numeric IP address, the client SHOULD perform a NAPTR
    // query for the domain in the URI."
    let mut naptr: Vec<(NaptrRecord, TransportKind)> = dns
        .naptr(&domain)
        .into_iter()
        .filter(|r| r.flags.eq_ignore_ascii_case("s"))
        .filter(|r| {
            // [RFC 3263 §4.1] "First, a client resolving a SIPS URI MUST discard any
            // services that do not contain "SIPS" as the protocol in the service
            // field."
            !secure || r.service.to_ascii_uppercase().starts_with("SIPS+")
        })
        // [RFC 3263 §4.1] "Second, a client MUST discard any service fields that
        // identify a resolution service whose value is not "D2X", for values of X
        // that indicate transport protocols supported by the client."
        .filter_map(|r| transport_of_service(&r.service, supported).map(|t| (r, t)))
        .collect();
    naptr.sort_by_key(|(r, _)| (r.order, r.preference));
    if !naptr.is_empty() {
        let mut out = Vec::new();
        for (r, transport) in naptr {
            // [RFC 3263 §4.2] "the client performs an SRV query on the record returned
            // from the NAPTR processing of Section 4.1"
            let name = r.replacement.trim_end_matches('.');
            out.extend(srv_targets(dns.srv(name), transport, dns, rng));
        }
        return out;
    }
    // [RFC 3263 §4.1] "If no NAPTR records are found, the client constructs SRV
    // queries for those transport protocols it supports, and does a query for
    // each."
    let scheme = if secure { "_sips" } else { "_sip" };
    let mut out = Vec::new();
    for &transport in supported {
        if secure && !matches!(transport, TransportKind::Tls | TransportKind::Wss) {
            continue;
        }
        if !secure && matches!(transport, TransportKind::Tls | TransportKind::Wss) {
            continue;
        }
        let Some((_, label)) = service(transport, secure) else {
            continue;
        };
        let srv = dns.srv(&format!("{scheme}.{label}.{domain}"));
        out.extend(srv_targets(srv, transport, dns, rng));
    }
    if !out.is_empty() {
        return out;
    }
    // [RFC 3263 §4.1] "If no SRV records are found, the client SHOULD use TCP for a
    // SIPS URI, and UDP for a SIP URI."
    // [RFC 3263 §4.2] "If no SRV records were found, the client performs an A or
    // AAAA record lookup of the domain name."
    dns.addresses(&domain)
        .into_iter()
        .map(|addr| Target {
            transport: default_transport,
            addr,
            port: default_transport.default_port(),
        })
        .collect()
}

fn srv_targets(
    srv: Vec<SrvRecord>,
    transport: TransportKind,
    dns: &impl DnsAnswers,
    rng: &mut impl RngCore,
) -> Vec<Target> {
    order_srv(srv, rng)
        .into_iter()
        .flat_map(|r| {
            dns.addresses(r.target.trim_end_matches('.'))
                .into_iter()
                .map(move |addr| Target {
                    transport,
                    addr,
                    port: r.port,
                })
        })
        .collect()
}
