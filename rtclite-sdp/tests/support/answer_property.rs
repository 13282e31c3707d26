//! The property of the `sdp_answer` fuzz target, shared with the test that
//! replays its regression inputs (`tests/fuzz_regressions.rs`): an offer
//! that parses is answered or refused without panicking, the answer keeps
//! the m-line count, media types and zero ports of RFC 3264 §6, and our
//! own answer passes `negotiate`.

use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, StreamConfig, build_answer, direction_allowed, negotiate,
};
use rtclite_sdp::{NegotiationError, SessionDescription};

/// The answering endpoint: plain audio, SDES audio, and ICE/DTLS video.
pub(crate) fn endpoint() -> EndpointConfig {
    EndpointConfig::new("fuzz", 1, "192.0.2.9")
        .with_stream(
            StreamConfig::new("audio", "RTP/AVP", 4000)
                .with_codec(Codec::new(111, "opus", 48000).with_channels(2))
                .with_codec(Codec::new(0, "PCMU", 8000))
                .with_codec(Codec::telephone_event(101)),
        )
        .with_stream(
            StreamConfig::new("audio", "RTP/SAVP", 4100)
                .with_codec(Codec::new(8, "PCMA", 8000))
                .with_sdes(
                    "AES_CM_128_HMAC_SHA1_80",
                    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
                ),
        )
        .with_stream(
            StreamConfig::new("video", "UDP/TLS/RTP/SAVPF", 4200)
                .with_codec(Codec::new(96, "VP8", 90000))
                .with_codec(Codec::new(97, "rtx", 90000))
                .with_rtcp_mux()
                .with_ice("fuzzufrag", "fuzzpasswordfuzzpassword"),
        )
}

/// Checks the property on `data`; panics (naming `label`) when it fails.
pub(crate) fn check(data: &[u8], label: &str) {
    let Ok(offer) = SessionDescription::parse(data) else {
        return;
    };
    let Ok(answer) = build_answer(&offer, &endpoint(), 1) else {
        return;
    };
    assert_eq!(answer.media.len(), offer.media.len(), "{label}");
    for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        assert_eq!(o.media, a.media, "{label}: m-line {i}");
        // A disabled stream stays disabled; a bundle-only one accepted into
        // the group takes the BUNDLE port (RFC 9143 §6, §7.3).
        if o.port == 0 && !o.has_attribute("bundle-only") {
            assert_eq!(a.port, 0, "{label}: m-line {i}");
        }
        if a.port != 0 {
            assert!(
                a.formats.iter().all(|f| o.formats.contains(f)),
                "{label}: m-line {i}"
            );
            assert!(
                direction_allowed(offer.effective_direction(i), answer.effective_direction(i)),
                "{label}: m-line {i}"
            );
        }
    }
    let text = answer.to_string();
    let answer = SessionDescription::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("{label}: our answer does not parse: {e}"));
    // Only a malformed attribute of the offer (ICE, DTLS, rtcp) may stop
    // negotiation of our own answer.
    match negotiate(&offer, &answer, false) {
        Ok(_) | Err(NegotiationError::Attribute { .. }) => {}
        Err(e) => panic!("{label}: our answer does not negotiate: {e}"),
    }
}
