//! Jingle RTP contents to and from SDP: the mapping examples of XEP-0167 §6
//! (cut from the XEP by `vectors/extract.py` into `vectors/xep-0167-sdp/`)
//! and the XEP-0167/0176/0177 session-initiate examples taken through SDP
//! and back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_sdp::SessionDescription;
use rtclite_xmpp::jingle::{
    Content, Creator, Description, Jingle, NS_JINGLE, RtpDescription, Transport,
};
use rtclite_xmpp::sdp::{content_to_media, contents_to_sdp, sdp_to_contents};
use rtclite_xmpp::xml::Element;

fn vector(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A content holding the description element of a §6 code block, on a raw-UDP candidate at `port`.
fn content_from_description(xml: &str, port: u16) -> Content {
    let wrapped = format!(
        "<content xmlns='urn:xmpp:jingle:1' creator='initiator' name='m'>{xml}<transport xmlns='urn:xmpp:jingle:transports:raw-udp:1'><candidate component='1' generation='0' id='x' ip='192.0.2.1' port='{port}'/></transport></content>"
    );
    let j = Element::parse(
        format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s'>{wrapped}</jingle>"
        )
        .as_bytes(),
    )
    .unwrap();
    Jingle::from_element(&j).unwrap().contents.remove(0)
}

fn mapped_lines(c: &Content) -> Vec<String> {
    let m = content_to_media(c, Creator::Initiator).unwrap();
    let mut s = SessionDescription::new(rtclite_sdp::Origin {
        username: "-".into(),
        session_id: "1".into(),
        session_version: "1".into(),
        nettype: "IN".into(),
        addrtype: "IP4".into(),
        unicast_address: "192.0.2.1".into(),
    });
    s.media.push(m);
    s.to_string()
        .lines()
        .filter(|l| {
            l.starts_with("m=")
                || l.starts_with("a=rtpmap")
                || l.starts_with("a=ptime")
                || l.starts_with("a=fmtp")
        })
        .map(str::to_owned)
        .collect()
}

// [XEP-0167 §6 test] "If the payload type is static (payload-type IDs 0 through 95 inclusive), it
// MUST be mapped to an m= line as defined in RFC 4566."
#[test]
fn xep0167_sec6_static_payload_type() {
    let c = content_from_description(&vector("xep-0167-sdp/02.txt"), 9999);
    assert_eq!(
        mapped_lines(&c),
        vector("xep-0167-sdp/03.txt").lines().collect::<Vec<_>>()
    );
}

// [XEP-0167 §6 test] "it SHOULD be mapped to an SDP media field plus an SDP attribute field named
// "rtpmap"."
#[test]
fn xep0167_sec6_dynamic_payload_type() {
    let c = content_from_description(&vector("xep-0167-sdp/04.txt"), 9999);
    assert_eq!(
        mapped_lines(&c),
        vector("xep-0167-sdp/05.txt").lines().collect::<Vec<_>>()
    );
}

#[test]
fn xep0167_sec6_parameters_and_ptime() {
    let c = content_from_description(&vector("xep-0167-sdp/06.txt"), 9999);
    assert_eq!(
        mapped_lines(&c),
        vector("xep-0167-sdp/07.txt").lines().collect::<Vec<_>>()
    );
}

/// The theora example's SDP is wrapped and lists the parameters in another
/// order: read back, it must give the same parameter set.
#[test]
fn xep0167_sec6_video_parameters_from_sdp() {
    let expected = content_from_description(&vector("xep-0167-sdp/08.txt"), 49170);
    let sdp_lines = vector("xep-0167-sdp/09.txt").replace(";\n", "; ");
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{}\r\n",
        sdp_lines.trim_end().replace('\n', "\r\n")
    );
    let parsed = SessionDescription::parse(sdp.as_bytes()).unwrap();
    let got = sdp_to_contents(&parsed, Creator::Initiator, Creator::Initiator).unwrap();
    let rtp = |c: &Content| -> RtpDescription {
        let Some(Description::Rtp(d)) = &c.description else {
            panic!()
        };
        d.clone()
    };
    let (mut e, mut g) = (
        rtp(&expected).payload_types[0].clone(),
        rtp(&got[0]).payload_types[0].clone(),
    );
    e.parameters.sort();
    g.parameters.sort();
    assert_eq!(g, e);
}

/// Every session-initiate example through SDP and back gives the same contents
/// (candidate ids aside, which SDP does not carry).
#[test]
fn session_initiate_examples_through_sdp() {
    let mut n = 0;
    for (xep, files) in [
        ("xep-0167", 1..=60),
        ("xep-0176", 1..=30),
        ("xep-0177", 1..=10),
    ] {
        for i in files {
            let Ok(text) = std::fs::read_to_string(format!(
                "{}/tests/vectors/{xep}/{i:02}.xml",
                env!("CARGO_MANIFEST_DIR")
            )) else {
                continue;
            };
            let body = text.split_once('\n').unwrap().1;
            let Ok(el) = Element::parse(body.as_bytes()) else {
                continue;
            };
            let Some(j) = el
                .child("jingle", NS_JINGLE)
                .map(|j| Jingle::from_element(j).unwrap())
            else {
                continue;
            };
            if j.action.as_str() != "session-initiate"
                || j.contents.iter().any(|c| c.rtp().is_none())
            {
                continue;
            }
            let sdp = contents_to_sdp(&j.contents, Creator::Initiator, "192.0.2.1", "1");
            let text = sdp.to_string();
            let reparsed = SessionDescription::parse(text.as_bytes())
                .unwrap_or_else(|e| panic!("{xep} {i}: {e}\n{text}"));
            let mut back =
                sdp_to_contents(&reparsed, Creator::Initiator, Creator::Initiator).unwrap();
            let mut orig = j.contents.clone();
            for c in back.iter_mut().chain(orig.iter_mut()) {
                match &mut c.transport {
                    Some(Transport::IceUdp(t)) => {
                        t.candidates.iter_mut().for_each(|c| c.id.clear())
                    }
                    Some(Transport::RawUdp(t)) => {
                        t.candidates.iter_mut().for_each(|c| c.id.clear())
                    }
                    _ => {}
                }
                if let Some(Description::Rtp(d)) = &mut c.description {
                    // ptime is per media line in SDP: it comes back on every payload type.
                    d.payload_types.iter_mut().for_each(|p| p.ptime = None);
                    // A static payload type without a clock rate maps to the m= line only (the
                    // profile defines it), so its name does not come back.
                    d.payload_types
                        .iter_mut()
                        .filter(|p| p.id < 96 && p.clockrate.is_none())
                        .for_each(|p| p.name = None);
                    d.encryption = None;
                    d.other.clear();
                }
                c.other.clear();
                if let Some(Transport::IceUdp(t)) = &mut c.transport {
                    t.other.clear();
                }
            }
            assert_eq!(back, orig, "{xep} example {i}\n{text}");
            n += 1;
        }
    }
    eprintln!("{n} session-initiate examples mapped through SDP");
    assert!(n >= 4, "{n} session-initiate examples mapped");
}

/// XEP-0320: the session-initiate with a DTLS fingerprint maps to the
/// `a=fingerprint` line of §1 (code block 2), `a=setup:actpass` and the
/// DTLS-SRTP profile; the SDP maps back to the same fingerprint.
// [XEP-0320 §1 test] "Additionally, the SDP setup attribute defined in RFC 4145 must be mapped"
#[test]
fn xep0320_fingerprint_through_sdp() {
    use rtclite_xmpp::jingle::{DtlsFingerprint, DtlsSetup};
    let text = vector("xep-0320/01.xml");
    let el = Element::parse(text.split_once('\n').unwrap().1.as_bytes()).unwrap();
    let j = Jingle::from_element(el.child("jingle", NS_JINGLE).unwrap()).unwrap();
    let sdp = contents_to_sdp(&j.contents, Creator::Initiator, "192.0.2.1", "1").to_string();
    let expected_line = vector("xep-0320-code/02.txt");
    assert!(
        sdp.contains(&format!("{}\r\n", expected_line.trim())),
        "{sdp}"
    );
    assert!(sdp.contains("a=setup:actpass\r\n"), "{sdp}");
    assert!(sdp.contains(" UDP/TLS/RTP/SAVP "), "{sdp}");
    let parsed = SessionDescription::parse(sdp.as_bytes()).unwrap();
    let back = sdp_to_contents(&parsed, Creator::Initiator, Creator::Initiator).unwrap();
    let Some(Transport::IceUdp(t)) = &back[0].transport else {
        panic!()
    };
    let Some(Transport::IceUdp(orig)) = &j.contents[0].transport else {
        panic!()
    };
    assert_eq!(t.fingerprints(), orig.fingerprints());
    // A session-level fingerprint applies to every media line; holdconn has no mapping.
    let session_level = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\na=setup:holdconn\r\nm=audio 9 UDP/TLS/RTP/SAVP 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n";
    let parsed = SessionDescription::parse(session_level.as_bytes()).unwrap();
    let back = sdp_to_contents(&parsed, Creator::Responder, Creator::Responder).unwrap();
    let Some(Transport::IceUdp(t)) = &back[0].transport else {
        panic!()
    };
    assert_eq!(
        t.fingerprints(),
        vec![DtlsFingerprint {
            hash: "sha-1".into(),
            setup: None,
            value: "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB".into(),
        }]
    );
    let _ = DtlsSetup::Passive;
    // A fingerprint without a value is a mapping error naming the attribute.
    let bad = session_level.replace("a=fingerprint:sha-1 4A", "a=fingerprint:sha-1");
    let bad = bad.replace(
        ":AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB",
        "",
    );
    let parsed = SessionDescription::parse(bad.as_bytes()).unwrap();
    assert_eq!(
        sdp_to_contents(&parsed, Creator::Responder, Creator::Responder),
        Err(rtclite_xmpp::sdp::SdpMappingError::BadAttribute {
            index: 0,
            attribute: "fingerprint"
        })
    );
}
