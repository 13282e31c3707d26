//! Jingle RTP contents to and from SDP media descriptions (rtclite-sdp),
//! following XEP-0167 §6 (payload types, parameters, bandwidth), the SDP
//! column of the XEP-0176 candidate table and XEP-0177 (raw-UDP candidate as
//! the `c=`/port of the media line).
//!
//! A gateway uses [`contents_to_sdp`] to turn a session-initiate into an SDP
//! offer and [`sdp_to_contents`] to turn the SDP answer back into the
//! contents of a session-accept.
//!
//! XEP-0320 DTLS fingerprints on an ICE-UDP transport map to `a=fingerprint`
//! and `a=setup` (and the `UDP/TLS/RTP/SAVP` profile, RFC 5764 §8), both
//! ways.
//!
//! What does not map: Jingle candidate `id`s (SDP has none; ids are
//! generated as `<mid>-<n>`), `<encryption/>` (only reflected as the
//! `RTP/SAVP` profile), the `holdconn` setup role (XEP-0320 defines no
//! mapping), a fingerprint on a media line without ICE (a raw-UDP
//! transport has no place for it), and unknown extension elements.

use std::borrow::Cow;

use rtclite_sdp::{
    Attribute, Bandwidth, Candidate, Connection, Direction, MediaDescription, Origin,
    OwnedSessionDescription, SessionDescription,
};

use crate::jingle::{
    Content, Creator, Description, DtlsFingerprint, DtlsSetup, IceCandidate, IceUdpTransport,
    PayloadType, RawUdpCandidate, RawUdpTransport, RtpDescription, Senders, Transport,
};

/// Why an SDP cannot be mapped to Jingle contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpMappingError {
    /// A media format is not an RTP payload type number.
    #[error("m= line {0}: format is not an RTP payload type number (XEP-0167 §6)")]
    BadFormat(usize),
    /// An attribute that must map does not parse.
    #[error("m= line {index}: invalid a={attribute}")]
    BadAttribute {
        /// Index of the media description.
        index: usize,
        /// Attribute name.
        attribute: &'static str,
    },
}

fn owned(s: impl Into<String>) -> Cow<'static, str> {
    Cow::Owned(s.into())
}

fn direction(senders: Option<Senders>, author: Creator) -> Direction {
    let me = if author == Creator::Initiator {
        Senders::Initiator
    } else {
        Senders::Responder
    };
    match senders {
        None | Some(Senders::Both) => Direction::SendRecv,
        Some(Senders::None) => Direction::Inactive,
        Some(s) if s == me => Direction::SendOnly,
        Some(_) => Direction::RecvOnly,
    }
}

fn senders(dir: Option<Direction>, author: Creator) -> Option<Senders> {
    let (me, other) = match author {
        Creator::Initiator => (Senders::Initiator, Senders::Responder),
        Creator::Responder => (Senders::Responder, Senders::Initiator),
    };
    match dir? {
        Direction::SendRecv => None,
        Direction::SendOnly => Some(me),
        Direction::RecvOnly => Some(other),
        Direction::Inactive => Some(Senders::None),
    }
}

/// The address and port of the media line: the best component-1 candidate.
fn media_address(t: Option<&Transport>) -> (String, u16) {
    match t {
        Some(Transport::RawUdp(r)) => r
            .candidates
            .iter()
            .find(|c| c.component.unwrap_or(1) == 1)
            .map(|c| (c.ip.clone(), c.port))
            .unwrap_or(("0.0.0.0".into(), 9)),
        Some(Transport::IceUdp(i)) => i
            .candidates
            .iter()
            .filter(|c| c.component == 1)
            .max_by_key(|c| c.priority)
            .map(|c| (c.ip.clone(), c.port))
            .unwrap_or(("0.0.0.0".into(), 9)),
        _ => ("0.0.0.0".into(), 9),
    }
}

fn connection(address: &str) -> Connection<'static> {
    let mut c = Connection::new(owned(address));
    if address.contains(':') {
        c.addrtype = Cow::Borrowed("IP6");
    }
    c
}

/// One RTP content as an SDP media description written by `author`.
pub fn content_to_media(content: &Content, author: Creator) -> Option<MediaDescription<'static>> {
    let d = content.rtp()?;
    let (addr, port) = media_address(content.transport.as_ref());
    // No fingerprint, no DTLS attributes: [XEP-0320 §1] "Inclusion of this information is
    // OPTIONAL in both SIP/SDP and Jingle."
    let fingerprints = match &content.transport {
        Some(Transport::IceUdp(t)) => t.fingerprints(),
        _ => Vec::new(),
    };
    let proto = if !fingerprints.is_empty() {
        // RFC 5764 §8: DTLS-SRTP media use the UDP/TLS/RTP/SAVP profile.
        "UDP/TLS/RTP/SAVP"
    } else if d.encryption.is_some() {
        "RTP/SAVP"
    } else {
        "RTP/AVP"
    };
    // [XEP-0167 §6] "If the payload type is static (payload-type IDs 0 through 95 inclusive), it
    // MUST be mapped to an m= line as defined in RFC 4566."
    let formats = d
        .payload_types
        .iter()
        .map(|p| owned(p.id.to_string()))
        .collect();
    let mut m = MediaDescription::new(owned(d.media.clone()), port, Cow::Borrowed(proto), formats);
    m.connections.push(connection(&addr));
    if let Some((t, v)) = &d.bandwidth {
        // [XEP-0167 §6] "The Jingle <bandwidth/> element SHALL be mapped to an SDP b= line"
        if let Ok(bw) = v.trim().parse::<u64>() {
            m.bandwidths.push(Bandwidth {
                bwtype: owned(t.clone()),
                bandwidth: bw,
            });
        }
    }
    let mut attrs: Vec<Attribute<'static>> = Vec::new();
    attrs.push(Attribute::new("mid", owned(content.name.clone())));
    for p in &d.payload_types {
        // [XEP-0167 §6] "If the payload type is dynamic (payload-type IDs 96 through 127
        // inclusive), it SHOULD be mapped to an SDP media field plus an SDP attribute field named
        // "rtpmap"."
        if let (Some(name), true) = (&p.name, p.id >= 96 || p.clockrate.is_some()) {
            let clock = p.clockrate.unwrap_or(8000);
            let v = match p.channels {
                Some(ch) if ch != 1 => format!("{} {name}/{clock}/{ch}", p.id),
                _ => format!("{} {name}/{clock}", p.id),
            };
            attrs.push(Attribute::new("rtpmap", owned(v)));
        }
    }
    if let Some(pt) = d.payload_types.iter().find_map(|p| p.ptime) {
        attrs.push(Attribute::new("ptime", owned(pt.to_string())));
    }
    if let Some(mp) = d.payload_types.iter().find_map(|p| p.maxptime) {
        attrs.push(Attribute::new("maxptime", owned(mp.to_string())));
    }
    for p in &d.payload_types {
        if !p.parameters.is_empty() {
            let params: Vec<String> = p
                .parameters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            attrs.push(Attribute::new(
                "fmtp",
                owned(format!("{} {}", p.id, params.join(";"))),
            ));
        }
    }
    if d.rtcp_mux {
        attrs.push(Attribute::flag("rtcp-mux"));
    }
    attrs.push(Attribute::flag(direction(content.senders, author).name()));
    // [XEP-0320 §1] "These SDP attributes can be translated into Jingle as a <fingerprint/>
    // element"
    for f in &fingerprints {
        attrs.push(Attribute::new(
            "fingerprint",
            owned(format!("{} {}", f.hash, f.value)),
        ));
    }
    // [XEP-0320 §1] "Additionally, the SDP setup attribute defined in RFC 4145 must be mapped"
    if let Some(setup) = fingerprints.iter().find_map(|f| f.setup) {
        attrs.push(Attribute::new("setup", Cow::Borrowed(setup.as_str())));
    }
    if let Some(Transport::IceUdp(t)) = &content.transport {
        if let Some(u) = &t.ufrag {
            attrs.push(Attribute::new("ice-ufrag", owned(u.clone())));
        }
        if let Some(p) = &t.pwd {
            attrs.push(Attribute::new("ice-pwd", owned(p.clone())));
        }
        for c in &t.candidates {
            // The SDP column of the candidate attribute table of XEP-0176: generation and
            // network become extension name/value pairs.
            let mut v = format!(
                "{} {} {} {} {} {} typ {}",
                c.foundation, c.component, c.protocol, c.priority, c.ip, c.port, c.candidate_type
            );
            if let Some(ra) = &c.rel_addr {
                v.push_str(&format!(" raddr {ra}"));
            }
            if let Some(rp) = c.rel_port {
                v.push_str(&format!(" rport {rp}"));
            }
            v.push_str(&format!(" generation {}", c.generation));
            if let Some(n) = c.network {
                v.push_str(&format!(" network {n}"));
            }
            attrs.push(Attribute::new("candidate", owned(v)));
        }
    }
    m.attributes = attrs;
    Some(m)
}

/// The RTP contents as an SDP session description written by `author`
/// (the origin uses `origin_address` and `session_id`).
pub fn contents_to_sdp(
    contents: &[Content],
    author: Creator,
    origin_address: &str,
    session_id: &str,
) -> OwnedSessionDescription {
    let origin = Origin {
        username: Cow::Borrowed("-"),
        session_id: owned(session_id),
        session_version: Cow::Borrowed("1"),
        nettype: Cow::Borrowed("IN"),
        addrtype: Cow::Borrowed(if origin_address.contains(':') {
            "IP6"
        } else {
            "IP4"
        }),
        unicast_address: owned(origin_address),
    };
    let mut s = SessionDescription::new(origin);
    s.media = contents
        .iter()
        .filter_map(|c| content_to_media(c, author))
        .collect();
    s
}

/// The SDP media descriptions as Jingle contents created by `creator`,
/// where the SDP was written by `author` (for the direction).
///
/// Media with ICE attributes get an ICE-UDP transport; the others a raw-UDP
/// transport holding the `c=` address and port.
pub fn sdp_to_contents(
    sdp: &SessionDescription<'_>,
    creator: Creator,
    author: Creator,
) -> Result<Vec<Content>, SdpMappingError> {
    let mut out = Vec::new();
    for (i, m) in sdp.media.iter().enumerate() {
        if !m.is_rtp() {
            continue;
        }
        let mut d = RtpDescription::new(&m.media);
        let ptime = m
            .attribute("ptime")
            .and_then(|a| a.value())
            .and_then(|v| v.trim().parse::<u32>().ok());
        let maxptime = m
            .attribute("maxptime")
            .and_then(|a| a.value())
            .and_then(|v| v.trim().parse::<u32>().ok());
        for f in &m.formats {
            let id: u8 = f.parse().map_err(|_| SdpMappingError::BadFormat(i))?;
            let mut p = PayloadType {
                id,
                name: None,
                clockrate: None,
                channels: None,
                ptime,
                maxptime,
                parameters: Vec::new(),
                other: Vec::new(),
            };
            if let Some(r) = m.rtpmap(id) {
                p.name = Some(r.encoding_name.to_owned());
                p.clockrate = Some(r.clock_rate);
                p.channels = r.channels().and_then(|c| u8::try_from(c).ok());
            }
            if let Some(fm) = m.fmtp(f) {
                p.parameters = fm
                    .parameters()
                    .filter(|(k, _)| !k.is_empty())
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
            }
            d.payload_types.push(p);
        }
        if let Some(b) = m.bandwidths.first() {
            d.bandwidth = Some((b.bwtype.to_string(), b.bandwidth.to_string()));
        }
        d.rtcp_mux = m.has_attribute("rtcp-mux");
        let name = m
            .mid()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("m{i}"));
        let mut c = Content::new(creator, &name);
        c.senders = senders(m.direction().or_else(|| sdp.direction()), author);
        c.description = Some(Description::Rtp(d));
        let ufrag = m
            .attribute("ice-ufrag")
            .or_else(|| sdp.attribute("ice-ufrag"))
            .and_then(|a| a.value())
            .map(str::to_owned);
        let pwd = m
            .attribute("ice-pwd")
            .or_else(|| sdp.attribute("ice-pwd"))
            .and_then(|a| a.value())
            .map(str::to_owned);
        if ufrag.is_some() || m.has_attribute("candidate") {
            let mut t = IceUdpTransport {
                ufrag,
                pwd,
                ..Default::default()
            };
            for (n, a) in m
                .attributes
                .iter()
                .filter(|a| a.name == "candidate")
                .enumerate()
            {
                let cand: Candidate<'_> = a
                    .parse_as::<Candidate<'_>>()
                    .and_then(Result::ok)
                    .ok_or(SdpMappingError::BadAttribute {
                        index: i,
                        attribute: "candidate",
                    })?;
                let ext = |k: &str| {
                    cand.extensions
                        .iter()
                        .find(|(n, _)| *n == k)
                        .and_then(|(_, v)| v.parse::<u32>().ok())
                };
                t.candidates.push(IceCandidate {
                    component: u8::try_from(cand.component).map_err(|_| {
                        SdpMappingError::BadAttribute {
                            index: i,
                            attribute: "candidate",
                        }
                    })?,
                    foundation: cand.foundation.to_owned(),
                    generation: ext("generation").unwrap_or(0),
                    id: format!("{name}-{n}"),
                    ip: cand.address.to_owned(),
                    network: ext("network"),
                    port: cand.port,
                    priority: u64::from(cand.priority),
                    protocol: cand.transport.to_ascii_lowercase(),
                    rel_addr: cand.related_address.map(str::to_owned),
                    rel_port: cand.related_port,
                    candidate_type: cand.kind.as_str().to_owned(),
                });
            }
            // [XEP-0320 §1] "Additionally, the SDP setup attribute defined in RFC 4145 must be
            // mapped"
            let setup = m
                .attribute("setup")
                .or_else(|| sdp.attribute("setup"))
                .and_then(|a| a.value())
                .and_then(|v| DtlsSetup::from_name(v.trim()));
            let media_level = m.attributes.iter().any(|a| a.name == "fingerprint");
            let fingerprints = if media_level {
                &m.attributes
            } else {
                &sdp.attributes
            };
            for a in fingerprints.iter().filter(|a| a.name == "fingerprint") {
                let (hash, value) = a
                    .value()
                    .and_then(|v| v.trim().split_once(' '))
                    .filter(|(h, v)| !h.is_empty() && !v.trim().is_empty())
                    .ok_or(SdpMappingError::BadAttribute {
                        index: i,
                        attribute: "fingerprint",
                    })?;
                t.push_fingerprint(&DtlsFingerprint {
                    hash: hash.to_owned(),
                    setup,
                    value: value.trim().to_owned(),
                });
            }
            c.transport = Some(Transport::IceUdp(t));
        } else if let Some(conn) = sdp.effective_connection(i) {
            c.transport = Some(Transport::RawUdp(RawUdpTransport {
                candidates: vec![RawUdpCandidate {
                    component: Some(1),
                    generation: 0,
                    id: format!("{name}-0"),
                    ip: conn.address.to_string(),
                    port: m.port,
                    candidate_type: None,
                }],
            }));
        }
        out.push(c);
    }
    Ok(out)
}
