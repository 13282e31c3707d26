//! Real-world session descriptions (see `tests/fixtures/README.md`): each
//! round-trips byte for byte, and the typed attributes read what the
//! implementation meant.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::{
    Candidate, Crypto, Direction, Extmap, Fingerprint, Fmtp, Group, IceOptions, IcePwd, IceUfrag,
    MaxMessageSize, Msid, Rtcp, RtcpFb, RtcpMux, RtcpRsize, SctpPort, SessionDescription, Setup,
    Ssrc, SsrcGroup,
};

fn load(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_fixture_round_trips_byte_identical() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sdp") {
            let bytes = std::fs::read(&path).unwrap();
            let sdp = SessionDescription::parse(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(sdp.to_bytes(), bytes, "{}", path.display());
            n += 1;
        }
    }
    assert_eq!(n, 7);
}

#[test]
fn chrome107_video_datachannel_offer() {
    let bytes = load("chrome107_video_datachannel_offer.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.origin.session_id, "7177867662088728243");
    let group: Group<'_> = sdp.first().unwrap().unwrap();
    assert_eq!(group.semantics, "BUNDLE");
    assert_eq!(group.mids().collect::<Vec<_>>(), ["0", "1"]);
    // Unknown attribute kept verbatim, leading space included.
    assert_eq!(
        sdp.attribute("msid-semantic").unwrap().value(),
        Some(" WMS VIaqbdDm2xi6VPFfOrhC43TlEjxaOTcmQd34")
    );
    assert!(sdp.has_attribute("extmap-allow-mixed"));

    let video = &sdp.media[0];
    assert_eq!(
        (&*video.media, video.port, &*video.proto),
        ("video", 9, "UDP/TLS/RTP/SAVPF")
    );
    assert_eq!(video.formats.len(), 23);
    assert_eq!(video.mid(), Some("0"));
    assert_eq!(sdp.effective_direction(0), Direction::SendRecv);
    let rtcp: Rtcp<'_> = video.first().unwrap().unwrap();
    assert_eq!(
        (rtcp.port, rtcp.address),
        (9, Some(("IN", "IP4", "0.0.0.0")))
    );
    assert_eq!(video.first::<IceUfrag<'_>>().unwrap().unwrap().0, "YsIK");
    assert_eq!(
        video.first::<IcePwd<'_>>().unwrap().unwrap().0,
        "NUhfqDWhV6ipLG3G2eOE6Fd0"
    );
    let opts: IceOptions<'_> = video.first().unwrap().unwrap();
    assert_eq!(opts.tags().collect::<Vec<_>>(), ["trickle"]);
    let fp: Fingerprint<'_> = video.first().unwrap().unwrap();
    assert_eq!(fp.hash_function, "sha-256");
    assert_eq!(fp.bytes().len(), 32);
    assert_eq!(fp.bytes()[..2], [0x06, 0x73]);
    assert_eq!(video.first::<Setup>().unwrap().unwrap(), Setup::ActPass);
    let extmaps: Vec<Extmap<'_>> = video.typed().map(Result::unwrap).collect();
    assert_eq!(extmaps.len(), 11);
    assert_eq!(
        (extmaps[8].id, extmaps[8].uri),
        (9, "urn:ietf:params:rtp-hdrext:sdes:mid")
    );
    assert!(video.first::<RtcpMux>().unwrap().is_ok());
    assert!(video.first::<RtcpRsize>().unwrap().is_ok());
    let msid: Msid<'_> = video.first().unwrap().unwrap();
    assert_eq!(msid.appdata, Some("c3da2fcd-1e4b-4258-90a0-9ed99c6e5c57"));
    let fbs: Vec<RtcpFb<'_>> = video.typed().map(Result::unwrap).collect();
    assert_eq!(fbs.len(), 50);
    assert_eq!(
        (fbs[4].payload_type, fbs[4].feedback, fbs[4].parameters),
        (Some(96), "nack", Some("pli"))
    );
    assert_eq!(video.rtpmap(97).unwrap().encoding_name, "rtx");
    assert_eq!(video.fmtp("97").unwrap().parameter("apt"), Some("96"));
    let h264: Fmtp<'_> = video.fmtp("102").unwrap();
    assert_eq!(h264.parameter("profile-level-id"), Some("42001f"));
    let group: SsrcGroup<'_> = video.first().unwrap().unwrap();
    assert_eq!(
        (group.semantics, group.ssrcs.as_slice()),
        ("FID", &[115665231u32, 873595510][..])
    );
    let ssrcs: Vec<Ssrc<'_>> = video.typed().map(Result::unwrap).collect();
    assert_eq!(ssrcs.len(), 4);
    assert_eq!(
        (ssrcs[0].ssrc, ssrcs[0].attribute, ssrcs[0].value),
        (115665231, "cname", Some("sljZmBCjr97gkqu5"))
    );

    let data = &sdp.media[1];
    assert_eq!(
        (&*data.media, &*data.proto),
        ("application", "UDP/DTLS/SCTP")
    );
    assert_eq!(data.formats, ["webrtc-datachannel"]);
    assert_eq!(data.first::<SctpPort>().unwrap().unwrap(), SctpPort(5000));
    assert_eq!(
        data.first::<MaxMessageSize>().unwrap().unwrap(),
        MaxMessageSize(262144)
    );
}

#[test]
fn baresip_sdes_offer() {
    let bytes = load("baresip_1.0_sdes_offer.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    let audio = &sdp.media[0];
    assert_eq!(&*audio.proto, "RTP/SAVP");
    assert_eq!(
        audio.payload_types().collect::<Vec<_>>(),
        [96, 9, 0, 8, 101]
    );
    let opus = audio.rtpmap(96).unwrap();
    assert_eq!(
        (opus.encoding_name, opus.clock_rate, opus.channels()),
        ("opus", 48000, Some(2))
    );
    assert_eq!(
        audio.fmtp("96").unwrap().parameter("sprop-stereo"),
        Some("1")
    );
    assert_eq!(audio.rtpmap(101).unwrap().encoding_name, "telephone-event");
    assert_eq!(audio.fmtp("101").unwrap().params, "0-15");
    let crypto: Crypto<'_> = audio.first().unwrap().unwrap();
    assert_eq!((crypto.tag, crypto.suite), (1, "AES_CM_128_HMAC_SHA1_80"));
    assert_eq!(crypto.key_params.len(), 1);
    assert_eq!(crypto.key_params[0].method, "inline");
    assert_eq!(crypto.key_params[0].key_salt_bytes().unwrap().len(), 30);
    crypto.validate_keys().unwrap();
    assert_eq!(
        audio.first::<rtclite_sdp::Ptime>().unwrap().unwrap().0,
        20.0
    );
    assert_eq!(
        audio.first::<rtclite_sdp::Label<'_>>().unwrap().unwrap().0,
        "1"
    );
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
}

#[test]
fn baresip_dtls_offer_session_level_fingerprint() {
    let bytes = load("baresip_1.0_dtls_offer.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.first::<Setup>().unwrap().unwrap(), Setup::ActPass);
    let fp: Fingerprint<'_> = sdp.first().unwrap().unwrap();
    assert_eq!(fp.hash_function, "SHA-256");
    assert_eq!(fp.bytes().len(), 32);
    assert_eq!(&*sdp.media[0].proto, "UDP/TLS/RTP/SAVPF");
}

#[test]
fn sipp_uac_offer() {
    let bytes = load("sipp_3.6.1_uac_offer.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.origin.username, "user1");
    assert_eq!(sdp.media[0].port, 6000);
    assert_eq!(sdp.media[0].rtpmap(0).unwrap().encoding_name, "PCMU");
}

#[test]
fn candidate_lines_from_chrome_trickle() {
    // Candidates Chrome 107 trickled for the offer above (same capture).
    let host = "2642016979 1 udp 2113937151 f240a8cc-d207-4bce-b1fd-fee16d04e154.local 60366 typ host generation 0 ufrag YsIK network-cost 999";
    let a = rtclite_sdp::Attribute::new("candidate", host);
    let c: Candidate<'_> = a.parse_as().unwrap().unwrap();
    assert_eq!(
        (c.foundation, c.component, c.transport, c.priority),
        ("2642016979", 1, "udp", 2113937151)
    );
    assert_eq!(
        (c.address, c.port, c.kind.as_str()),
        ("f240a8cc-d207-4bce-b1fd-fee16d04e154.local", 60366, "host")
    );
    assert_eq!(
        c.extensions,
        [
            ("generation", "0"),
            ("ufrag", "YsIK"),
            ("network-cost", "999")
        ]
    );
    assert_eq!(rtclite_sdp::Attribute::from_typed(&c), a);
    let srflx = "1845560544 1 udp 1677729535 223.73.185.58 2130 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag YsIK network-cost 999";
    let a = rtclite_sdp::Attribute::new("candidate", srflx);
    let c: Candidate<'_> = a.parse_as().unwrap().unwrap();
    assert_eq!(
        (c.related_address, c.related_port),
        (Some("0.0.0.0"), Some(0))
    );
    assert_eq!(rtclite_sdp::Attribute::from_typed(&c), a);
}

/// Simulcast as a browser offers it: three RTP stream identifiers
/// declared with `a=rid` and grouped by `a=simulcast` on the video
/// m-line, next to the rtp-stream-id header extensions that carry them.
#[test]
fn chrome_simulcast_audio_video_offer() {
    let bytes = load("chrome_simulcast_audio_video_offer.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.media.len(), 2);
    let group: Group<'_> = sdp.first().unwrap().unwrap();
    assert_eq!(group.mids().collect::<Vec<_>>(), ["0", "1"]);

    let audio = &sdp.media[0];
    assert_eq!(audio.formats.len(), 15);
    assert_eq!(sdp.effective_direction(0), Direction::SendOnly);
    assert!(audio.attribute("rid").is_none());
    assert!(audio.attribute("simulcast").is_none());

    let video = &sdp.media[1];
    assert_eq!(video.mid(), Some("1"));
    assert_eq!(sdp.effective_direction(1), Direction::SendOnly);
    let rids: Vec<_> = video
        .attributes
        .iter()
        .filter(|a| a.name == "rid")
        .map(|a| a.value().unwrap())
        .collect();
    assert_eq!(rids, ["q send", "h send", "f send"]);
    assert_eq!(
        video.attribute("simulcast").unwrap().value(),
        Some("send q;h;f")
    );
    let extmaps: Vec<Extmap<'_>> = video.typed().map(Result::unwrap).collect();
    assert!(
        extmaps
            .iter()
            .any(|e| e.id == 10 && e.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
    );
    assert!(
        extmaps.iter().any(
            |e| e.id == 11 && e.uri == "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
        )
    );
    // The last line of the offer is the simulcast line.
    assert!(bytes.ends_with(b"a=simulcast:send q;h;f\r\n"));
}
