//! SDP for the media engine: the local capabilities handed to the
//! rtclite-sdp offer/answer engine (codecs in preference order with rtpmap
//! and fmtp, telephone-event, SDES keys, rtcp-mux, the RTCP port), and the
//! negotiated result turned into [`MediaParams`].

use std::net::{IpAddr, SocketAddr};

use rand::RngCore;
use rtclite_sdp::Attribute;
use rtclite_sdp::offer_answer::{Codec, EndpointConfig, NegotiatedMedia, SdesKey, StreamConfig};
use rtclite_srtp::{InlineKey, ProtectionProfile};

use super::codec::{CodecKind, FRAME_MS};
use super::stream::{EventPayloadTypes, MediaParams, SrtpParams};

/// Payload type we offer Opus with.
pub(crate) const OPUS_PT: u8 = 111;
/// Payload type we offer telephone-event/48000 with (beside Opus).
pub(crate) const EVENT_48K_PT: u8 = 110;
/// Payload type we offer telephone-event/8000 with (beside G.711).
pub(crate) const EVENT_8K_PT: u8 = 101;
/// The Opus parameters we declare: we can receive in-band FEC.
const OPUS_FMTP: &str = "minptime=10;useinbandfec=1";

/// Whether media must, may or must not be protected with SRTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum SrtpMode {
    /// Plain RTP only (RTP/AVP, no keys).
    #[default]
    Off,
    /// Offer RTP/AVP with SDES keys; use SRTP when the answer accepts a key,
    /// plain RTP otherwise. Answer RTP/SAVP offers with SRTP and RTP/AVP
    /// offers with SRTP when they carry keys.
    Optional,
    /// Offer RTP/SAVP; refuse any negotiation without SRTP keys.
    Required,
}

/// The SDES crypto suites we offer, in order of preference.
pub(crate) const SDES_SUITES: [ProtectionProfile; 2] = [
    ProtectionProfile::AesCm128HmacSha1_80,
    ProtectionProfile::AesCm128HmacSha1_32,
];

/// Draws one fresh master key and salt per suite (RFC 4568 §6.1 `inline:`
/// key parameters). `rng` is the runtime's OS-seeded generator.
pub(crate) fn generate_keys(rng: &mut impl RngCore) -> Vec<SdesKey> {
    SDES_SUITES
        .iter()
        .map(|p| {
            let mut key_salt = vec![0u8; p.master_key_len() + p.master_salt_len()];
            // [RFC 4568 §6.1] "Each master key and salt MUST be a
            // cryptographically random number"
            rng.fill_bytes(&mut key_salt);
            SdesKey {
                suite: p.name().to_owned(),
                key_params: InlineKey::new(&key_salt).to_string(),
            }
        })
        .collect()
}

/// What this endpoint offers and accepts for its one audio stream.
#[derive(Debug, Clone)]
pub(crate) struct LocalMedia {
    /// Codecs in order of preference.
    pub(crate) codecs: Vec<CodecKind>,
    /// SRTP policy.
    pub(crate) srtp: SrtpMode,
    /// Offer `a=rtcp-mux` (always accepted when offered).
    pub(crate) offer_rtcp_mux: bool,
    /// Our address for `c=`.
    pub(crate) address: IpAddr,
    /// Our RTP port.
    pub(crate) rtp_port: u16,
    /// Our RTCP port (without rtcp-mux).
    pub(crate) rtcp_port: u16,
    /// Our SDES keys (see [`generate_keys`]).
    pub(crate) keys: Vec<SdesKey>,
}

impl LocalMedia {
    fn stream(&self, proto: &str, keys: bool, rtcp_mux: bool) -> StreamConfig {
        let mut s = StreamConfig::new("audio", proto, self.rtp_port);
        let has = |k: CodecKind| self.codecs.contains(&k);
        for &c in &self.codecs {
            s = s.with_codec(match c {
                // [RFC 7587 §7] "The media subtype ("opus") goes in SDP
                // "a=rtpmap" as the encoding name."
                CodecKind::Opus => Codec::new(OPUS_PT, "opus", 48_000)
                    .with_channels(2)
                    .with_fmtp(OPUS_FMTP),
                CodecKind::Pcmu => Codec::new(0, "PCMU", 8000),
                CodecKind::Pcma => Codec::new(8, "PCMA", 8000),
            });
        }
        // telephone-event at each audio clock rate we offer, so that events
        // can share the audio's timestamp base (RFC 4733 §2.5.1.2).
        if has(CodecKind::Opus) {
            s = s.with_codec(Codec::new(EVENT_48K_PT, "telephone-event", 48_000).with_fmtp("0-15"));
        }
        if has(CodecKind::Pcmu) || has(CodecKind::Pcma) {
            s = s.with_codec(Codec::telephone_event(EVENT_8K_PT));
        }
        if keys {
            for k in &self.keys {
                s = s.with_sdes(k.suite.clone(), k.key_params.clone());
            }
        }
        if rtcp_mux {
            s = s.with_rtcp_mux();
        }
        s = s.with_attribute(Attribute::new("ptime", FRAME_MS.to_string()));
        if self.rtcp_port != self.rtp_port.wrapping_add(1) {
            // [RFC 3605 §2.1] "The RTCP attribute is used to document the RTCP
            // port used for media stream, when that port is not the next higher
            // (odd) port number following the RTP port described in the media
            // line."
            s = s.with_attribute(Attribute::new("rtcp", self.rtcp_port.to_string()));
        }
        s
    }

    /// Capabilities for an offer: one audio stream.
    pub(crate) fn offer_config(&self, username: &str, session_id: u64) -> EndpointConfig {
        let stream = match self.srtp {
            SrtpMode::Off => self.stream("RTP/AVP", false, self.offer_rtcp_mux),
            SrtpMode::Optional => self.stream("RTP/AVP", true, self.offer_rtcp_mux),
            SrtpMode::Required => self.stream("RTP/SAVP", true, self.offer_rtcp_mux),
        };
        EndpointConfig::new(username, session_id, self.address.to_string()).with_stream(stream)
    }

    /// Capabilities for answering: RTP/SAVP with our keys (unless SRTP is
    /// off) and RTP/AVP (with keys, used when the offer carries some);
    /// rtcp-mux is accepted when offered.
    pub(crate) fn answer_config(&self, username: &str, session_id: u64) -> EndpointConfig {
        let mut cfg = EndpointConfig::new(username, session_id, self.address.to_string());
        if self.srtp != SrtpMode::Off {
            cfg = cfg.with_stream(self.stream("RTP/SAVP", true, true));
        }
        cfg.with_stream(self.stream("RTP/AVP", self.srtp != SrtpMode::Off, true))
    }
}

/// Why a negotiated stream cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SetupError {
    /// The stream was rejected (port 0).
    #[error("the audio stream was rejected (port 0) [RFC 3264 §6]")]
    Rejected,
    /// No codec we support was agreed.
    #[error("no codec in common (agreed: {0})")]
    NoCodec(String),
    /// SRTP is required but was not agreed.
    #[error("--srtp required, but the negotiated media is not protected (no a=crypto accepted)")]
    SrtpRequired,
    /// The crypto suite is not one we implement.
    #[error("unknown SRTP crypto suite {0:?}")]
    Suite(String),
    /// The peer's media address is not an IP literal.
    #[error("media address {0:?} is not an IP address")]
    Address(String),
}

fn socket_addr(hp: &(String, u16)) -> Result<SocketAddr, SetupError> {
    let ip: IpAddr =
        hp.0.parse()
            .map_err(|_| SetupError::Address(hp.0.clone()))?;
    Ok(SocketAddr::new(ip, hp.1))
}

/// The parameters of the negotiated audio stream `m`, with `accept` the
/// codecs we may use, in order of preference, and `mode` the SRTP policy.
pub(crate) fn media_params(
    m: &NegotiatedMedia,
    accept: &[CodecKind],
    mode: SrtpMode,
) -> Result<MediaParams, SetupError> {
    if !m.accepted {
        return Err(SetupError::Rejected);
    }
    // [RFC 3264 §7] "it SHOULD use the first media format listed in the
    // answer when it does send"
    // (the first one we support; an answer from rtclite-sdp lists only
    // formats both sides support).
    let (codec, agreed) = m
        .codecs
        .iter()
        .find_map(|c| {
            CodecKind::from_sdp(&c.encoding_name, c.clock_rate)
                .filter(|k| accept.contains(k))
                .map(|k| (k, c))
        })
        .ok_or_else(|| {
            SetupError::NoCodec(
                m.codecs
                    .iter()
                    .map(|c| format!("{}/{}", c.encoding_name, c.clock_rate))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })?;
    // [RFC 4733 §2.5.1.2] "they MUST use the same sequence number and
    // timestamp base as the regular audio channel"
    // so only the telephone-event format at the codec's clock rate is usable.
    let events = m
        .codecs
        .iter()
        .find(|c| {
            c.encoding_name.eq_ignore_ascii_case("telephone-event")
                && c.clock_rate == codec.clock_rate()
        })
        .map(|c| EventPayloadTypes {
            send: c.send_payload_type,
            recv: c.recv_payload_type,
        });
    let srtp = match &m.crypto {
        Some(c) => Some(SrtpParams {
            profile: c
                .suite
                .parse()
                .map_err(|_| SetupError::Suite(c.suite.clone()))?,
            local_key_params: c.local_key_params.clone(),
            remote_key_params: c.remote_key_params.clone(),
        }),
        None if mode == SrtpMode::Required => return Err(SetupError::SrtpRequired),
        None => None,
    };
    let remote_rtp = m.remote_rtp.as_ref().map(socket_addr).transpose()?;
    let remote_rtcp = m.remote_rtcp.as_ref().map(socket_addr).transpose()?;
    Ok(MediaParams {
        codec,
        send_pt: agreed.send_payload_type,
        recv_pt: agreed.recv_payload_type,
        remote_fmtp: agreed.remote_fmtp.clone(),
        events,
        srtp,
        remote_rtp,
        remote_rtcp,
        rtcp_mux: m.rtcp_mux,
        send: m.direction.sends(),
        recv: m.direction.receives(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rtclite_sdp::SessionDescription;
    use rtclite_sdp::offer_answer::{build_answer, negotiate};

    fn local(codecs: &[CodecKind], srtp: SrtpMode, port: u16, seed: u64) -> LocalMedia {
        LocalMedia {
            codecs: codecs.to_vec(),
            srtp,
            offer_rtcp_mux: false,
            address: "127.0.0.1".parse().unwrap(),
            rtp_port: port,
            rtcp_port: port + 1,
            keys: generate_keys(&mut rand::rngs::StdRng::seed_from_u64(seed)),
        }
    }

    #[test]
    fn offer_lists_codecs_in_preference_order_with_events_and_ptime() {
        let a = local(&[CodecKind::Opus, CodecKind::Pcmu], SrtpMode::Off, 4000, 1);
        let offer = rtclite_sdp::offer_answer::build_offer(&a.offer_config("alice", 1), 1).unwrap();
        let text = offer.to_string();
        let m = &offer.media[0];
        assert_eq!(m.proto, "RTP/AVP");
        assert_eq!(m.formats, ["111", "0", "110", "101"]);
        assert!(text.contains("a=rtpmap:111 opus/48000/2\r\n"), "{text}");
        assert!(text.contains("a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
        assert!(text.contains("a=rtpmap:110 telephone-event/48000\r\n"));
        assert!(text.contains("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"));
        assert!(text.contains("a=ptime:20\r\n"));
        assert!(!text.contains("a=crypto"));
        assert!(
            !text.contains("a=rtcp:"),
            "RTCP on the next port needs no a=rtcp"
        );
    }

    #[test]
    fn srtp_required_offers_savp_with_one_fresh_key_per_suite() {
        let mut a = local(&[CodecKind::Pcma], SrtpMode::Required, 4000, 2);
        a.rtcp_port = 5001;
        let offer = rtclite_sdp::offer_answer::build_offer(&a.offer_config("alice", 1), 1).unwrap();
        let text = offer.to_string();
        assert_eq!(offer.media[0].proto, "RTP/SAVP");
        assert!(
            text.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"),
            "{text}"
        );
        assert!(text.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"));
        assert!(text.contains("a=rtcp:5001\r\n"));
        // Keys are 30 octets of key||salt and differ between suites.
        let keys: Vec<InlineKey> = a
            .keys
            .iter()
            .map(|k| InlineKey::parse(&k.key_params, k.suite.parse().unwrap()).unwrap())
            .collect();
        assert_eq!(keys[0].key_salt.len(), 30);
        assert_ne!(keys[0].key_salt, keys[1].key_salt);
    }

    /// Offer from `a`, answer from `b`, negotiated from both sides.
    fn exchange(a: &LocalMedia, b: &LocalMedia) -> Result<(MediaParams, MediaParams), String> {
        let offer = rtclite_sdp::offer_answer::build_offer(&a.offer_config("a", 1), 1)
            .map_err(|e| e.to_string())?;
        let offer_text = offer.to_string();
        let offer = SessionDescription::parse(offer_text.as_bytes()).unwrap();
        let answer =
            build_answer(&offer, &b.answer_config("b", 2), 1).map_err(|e| e.to_string())?;
        let answer_text = answer.to_string();
        let answer = SessionDescription::parse(answer_text.as_bytes()).unwrap();
        let na = negotiate(&offer, &answer, true).map_err(|e| e.to_string())?;
        let nb = negotiate(&offer, &answer, false).map_err(|e| e.to_string())?;
        let pa = media_params(&na.media[0], &a.codecs, a.srtp).map_err(|e| e.to_string())?;
        let pb = media_params(&nb.media[0], &b.codecs, b.srtp).map_err(|e| e.to_string())?;
        Ok((pa, pb))
    }

    #[test]
    fn negotiation_picks_the_first_common_codec_and_matching_events() {
        let a = local(&[CodecKind::Pcma, CodecKind::Opus], SrtpMode::Off, 4000, 3);
        let b = local(&CodecKind::ALL, SrtpMode::Off, 6000, 4);
        let (pa, pb) = exchange(&a, &b).unwrap();
        assert_eq!(pa.codec, CodecKind::Pcma);
        assert_eq!(pb.codec, CodecKind::Pcma);
        assert_eq!((pa.send_pt, pa.recv_pt), (8, 8));
        // telephone-event at the codec's rate: 8000 with PCMA.
        assert_eq!(pa.events.unwrap().send, EVENT_8K_PT);
        assert_eq!(pa.remote_rtp, Some("127.0.0.1:6000".parse().unwrap()));
        assert_eq!(pa.remote_rtcp, Some("127.0.0.1:6001".parse().unwrap()));
        assert_eq!(pb.remote_rtp, Some("127.0.0.1:4000".parse().unwrap()));
        assert!(pa.send && pa.recv && !pa.rtcp_mux && pa.srtp.is_none());

        let a = local(&[CodecKind::Opus], SrtpMode::Off, 4000, 3);
        let (pa, _) = exchange(&a, &b).unwrap();
        assert_eq!(pa.codec, CodecKind::Opus);
        assert_eq!(pa.events.unwrap().recv, EVENT_48K_PT);
        assert_eq!(pa.remote_fmtp.as_deref(), Some(OPUS_FMTP));
    }

    #[test]
    fn sdes_keys_cross_over_between_the_two_sides() {
        let a = local(&[CodecKind::Opus], SrtpMode::Required, 4000, 5);
        let b = local(&[CodecKind::Opus], SrtpMode::Optional, 6000, 6);
        let (pa, pb) = exchange(&a, &b).unwrap();
        let (sa, sb) = (pa.srtp.unwrap(), pb.srtp.unwrap());
        assert_eq!(sa.profile, ProtectionProfile::AesCm128HmacSha1_80);
        assert_eq!(sa.local_key_params, sb.remote_key_params);
        assert_eq!(sa.remote_key_params, sb.local_key_params);
        assert_eq!(sa.local_key_params, a.keys[0].key_params);
        // Best effort: an RTP/AVP offer with keys is answered with SRTP too.
        let a = local(&[CodecKind::Pcmu], SrtpMode::Optional, 4000, 7);
        let b = local(&CodecKind::ALL, SrtpMode::Optional, 6000, 6);
        let (pa, pb) = exchange(&a, &b).unwrap();
        assert!(pa.srtp.is_some() && pb.srtp.is_some());
    }

    #[test]
    fn srtp_required_refuses_plain_media() {
        // The answerer does not do SRTP: it rejects the RTP/SAVP offer.
        let a = local(&[CodecKind::Pcmu], SrtpMode::Required, 4000, 8);
        let b = local(&[CodecKind::Pcmu], SrtpMode::Off, 6000, 9);
        assert!(exchange(&a, &b).is_err());
        // A required answerer receiving a plain offer: the negotiation
        // succeeds in SDP but the media is refused.
        let a = local(&[CodecKind::Pcmu], SrtpMode::Off, 4000, 8);
        let b = local(&[CodecKind::Pcmu], SrtpMode::Required, 6000, 9);
        let err = exchange(&a, &b).unwrap_err();
        assert!(err.contains("--srtp required"), "{err}");
    }

    #[test]
    fn rtcp_mux_is_used_only_when_both_sides_agree() {
        let mut a = local(&[CodecKind::Pcmu], SrtpMode::Off, 4000, 1);
        a.offer_rtcp_mux = true;
        let b = local(&[CodecKind::Pcmu], SrtpMode::Off, 6000, 2);
        let (pa, pb) = exchange(&a, &b).unwrap();
        assert!(pa.rtcp_mux && pb.rtcp_mux);
        assert_eq!(pa.remote_rtcp, pa.remote_rtp);
    }

    #[test]
    fn no_common_codec_is_refused() {
        let a = local(&[CodecKind::Opus], SrtpMode::Off, 4000, 1);
        let b = local(&[CodecKind::Pcmu], SrtpMode::Off, 6000, 2);
        assert!(exchange(&a, &b).is_err());
    }
}
