//! rtclite-sdp answer builder: any parsable offer is answered (or refused
//! with an error) without panicking, and an answer always keeps the
//! invariants of RFC 3264 §6 and passes `negotiate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, StreamConfig, build_answer, direction_allowed, negotiate,
};
use rtclite_sdp::{NegotiationError, SessionDescription};

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = SessionDescription::parse(data) else {
        return;
    };
    let config = EndpointConfig::new("fuzz", 1, "192.0.2.9")
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
        );
    let Ok(answer) = build_answer(&offer, &config, 1) else {
        return;
    };
    assert_eq!(answer.media.len(), offer.media.len());
    for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        assert_eq!(o.media, a.media);
        // A disabled stream stays disabled; a bundle-only one accepted into
        // the group takes the BUNDLE port (RFC 9143 §7.3).
        if o.port == 0 && !o.has_attribute("bundle-only") {
            assert_eq!(a.port, 0);
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
    let answer = SessionDescription::parse(text.as_bytes()).expect("our answer parses");
    // Only a malformed attribute of the offer (ICE, DTLS, rtcp) may stop
    // negotiation of our own answer.
    match negotiate(&offer, &answer, false) {
        Ok(_) | Err(NegotiationError::Attribute { .. }) => {}
        Err(e) => panic!("our answer does not negotiate: {e}"),
    }
});
