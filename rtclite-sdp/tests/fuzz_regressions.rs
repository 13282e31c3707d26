//! Every input the `sdp_answer` fuzz target once failed on
//! (`tests/regressions/sdp_answer/`), replayed through the target's
//! property with its endpoint: an offer that parses is answered or refused
//! without panicking, the answer keeps the m-line count, media types and
//! zero ports of RFC 3264 §6, and our own answer passes `negotiate`.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, StreamConfig, build_answer, direction_allowed, negotiate,
};
use rtclite_sdp::{NegotiationError, SessionDescription};

/// The endpoint of `fuzz/fuzz_targets/sdp_answer.rs`.
fn endpoint() -> EndpointConfig {
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

#[test]
fn sdp_answer_fuzz_regressions() {
    let dir = format!(
        "{}/tests/regressions/sdp_answer",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        n += 1;
        let data = std::fs::read(&p).unwrap();
        let Ok(offer) = SessionDescription::parse(&data) else {
            continue;
        };
        let Ok(answer) = build_answer(&offer, &endpoint(), 1) else {
            continue;
        };
        assert_eq!(answer.media.len(), offer.media.len(), "{}", p.display());
        for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
            assert_eq!(o.media, a.media);
            // A bundle-only m-line (RFC 9143 §6) is the one port-0 offer that
            // may be answered live.
            if o.port == 0 && !o.has_attribute("bundle-only") {
                assert_eq!(a.port, 0, "{}: m-line {i}", p.display());
            }
            if a.port != 0 {
                assert!(a.formats.iter().all(|f| o.formats.contains(f)));
                assert!(direction_allowed(
                    offer.effective_direction(i),
                    answer.effective_direction(i)
                ));
            }
        }
        let text = answer.to_string();
        let answer = SessionDescription::parse(text.as_bytes()).unwrap();
        match negotiate(&offer, &answer, false) {
            Ok(_) | Err(NegotiationError::Attribute { .. }) => {}
            Err(e) => panic!("{}: our answer does not negotiate: {e}", p.display()),
        }
    }
    assert!(n > 0, "no regression inputs in {dir}");
}
