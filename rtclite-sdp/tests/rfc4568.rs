//! RFC 4568 §7.1.5 offer/answer example: the crypto attribute parsed field
//! by field, and our answerer selecting the offered crypto line as the RFC's
//! answerer did (RFC 4568 §5.1.2, §7.1.2).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::offer_answer::{Codec, EndpointConfig, StreamConfig, build_answer, negotiate};
use rtclite_sdp::{
    Crypto, Lifetime, Mki, NegotiationError, OwnedSessionDescription, SessionDescription,
};

fn load(name: &str) -> OwnedSessionDescription {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/rfc4568_{name}.sdp"));
    SessionDescription::parse(&std::fs::read(p).unwrap())
        .unwrap()
        .into_owned()
}

const ANSWER_KEY: &str = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";

fn jill(suite: &str) -> EndpointConfig {
    EndpointConfig::new("jill", 25690844, "168.2.17.11").with_stream(
        StreamConfig::new("audio", "RTP/SAVP", 32640)
            .with_codec(Codec::new(0, "PCMU", 8000))
            .with_sdes(suite, ANSWER_KEY),
    )
}

// [RFC 4568 §7.1.5 test] "the offerer supports two crypto suites (f8 and
// AES)."
#[test]
fn rfc4568_7_1_5_offer_crypto_fields() {
    let offer = load("7.1.5");
    let cryptos: Vec<Crypto<'_>> = offer.media[0].typed().map(Result::unwrap).collect();
    assert_eq!(cryptos.len(), 2);
    assert_eq!(
        (cryptos[0].tag, cryptos[0].suite),
        (1, "AES_CM_128_HMAC_SHA1_80")
    );
    assert_eq!(cryptos[0].session_params, ["FEC_ORDER=FEC_SRTP"]);
    let k = &cryptos[0].key_params[0];
    assert_eq!(
        (k.method, k.key_salt),
        ("inline", "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz")
    );
    assert_eq!(k.lifetime, Some(Lifetime::PowerOfTwo(20)));
    assert_eq!(k.lifetime.unwrap().packets(), 1 << 20);
    assert_eq!(
        k.mki,
        Some(Mki {
            value: 1,
            length: 4
        })
    );
    assert_eq!(k.key_salt_bytes().unwrap().len(), 30);
    // [RFC 4568 §7.1.5 test] "One key has an MKI value of 1 and the second has
    // an MKI of 2."
    let f8 = &cryptos[1];
    assert_eq!(
        (f8.tag, f8.suite, f8.key_params.len()),
        (2, "F8_128_HMAC_SHA1_80", 2)
    );
    assert_eq!(
        f8.key_params[1].mki,
        Some(Mki {
            value: 2,
            length: 4
        })
    );
    cryptos.iter().for_each(|c| c.validate_keys().unwrap());
    // Written back as received.
    assert_eq!(
        rtclite_sdp::Attribute::from_typed(f8),
        offer.media[0].attributes[1]
    );
}

// [RFC 4568 §7.1.5 test] "In this case, the session would use the
// AES_CM_128_HMAC_SHA1_80 crypto suite for the RTP and RTCP traffic."
#[test]
fn rfc4568_7_1_5_answer_selects_aes() {
    let offer = load("7.1.5");
    let published = load("7.1.5_2");
    let ours = build_answer(&offer, &jill("AES_CM_128_HMAC_SHA1_80"), 1).unwrap();
    // The same single crypto line as the published answer.
    assert_eq!(
        ours.media[0].attribute("crypto"),
        published.media[0].attribute("crypto")
    );
    assert_eq!(ours.media[0].port, 32640);
    for answer in [&ours, &published] {
        let n = negotiate(&offer, answer, true).unwrap();
        let c = n.media[0].crypto.as_ref().unwrap();
        assert_eq!((c.tag, c.suite.as_str()), (1, "AES_CM_128_HMAC_SHA1_80"));
        assert_eq!(
            c.local_key_params,
            "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4"
        );
        assert_eq!(c.remote_key_params, ANSWER_KEY);
    }
}

#[test]
fn answerer_takes_the_first_supported_suite_and_keeps_its_tag() {
    // [RFC 4568 §5.1.2 test] "The tag and crypto-suite from the accepted
    // crypto attribute in the offer"
    let ours = build_answer(&load("7.1.5"), &jill("F8_128_HMAC_SHA1_80"), 1).unwrap();
    assert_eq!(
        ours.media[0].attribute("crypto").unwrap().value(),
        Some(format!("2 F8_128_HMAC_SHA1_80 {ANSWER_KEY}").as_str())
    );
    let n = negotiate(&load("7.1.5"), &ours, false).unwrap();
    assert_eq!(
        n.media[0].crypto.as_ref().unwrap().local_key_params,
        ANSWER_KEY
    );
}

// [RFC 4568 §7.1.2 test] "If the answerer cannot find any valid crypto line
// that it supports"
#[test]
fn no_supported_suite_rejects_the_stream() {
    let r = build_answer(&load("7.1.5"), &jill("AEAD_AES_256_GCM"), 1);
    assert_eq!(r.unwrap_err(), NegotiationError::NothingInCommon);
}

#[test]
fn offerer_refuses_bad_crypto_answers() {
    let offer = load("7.1.5");
    let with = |line: &str| {
        let mut a = load("7.1.5_2");
        a.media[0].attributes[0].value = Some(line.to_owned().into());
        negotiate(&offer, &a, true)
    };
    // Tag never offered.
    assert!(matches!(
        with(&format!("3 AES_CM_128_HMAC_SHA1_80 {ANSWER_KEY}")),
        Err(NegotiationError::Crypto { .. })
    ));
    // Suite differs from the offered one with that tag.
    assert!(matches!(
        with(&format!("2 AES_CM_128_HMAC_SHA1_80 {ANSWER_KEY}")),
        Err(NegotiationError::Crypto { .. })
    ));
    // [RFC 4568 §6.1 test] "If the length (after being decoded from base64)
    // does not match that specified for the crypto-suite, the crypto
    // attribute in question MUST be considered invalid."
    assert!(matches!(
        with("1 AES_CM_128_HMAC_SHA1_80 inline:QUJD"),
        Err(NegotiationError::Attribute { .. })
    ));
    // An SRTP stream accepted without any crypto line.
    let mut a = load("7.1.5_2");
    a.media[0].attributes.clear();
    assert!(matches!(
        negotiate(&offer, &a, true),
        Err(NegotiationError::Crypto { .. })
    ));
}

/// The §7.1.5 offer with its second crypto line renumbered to share tag 1:
/// neither line is valid, so the stream is rejected, and an answer that
/// picks the shared tag is refused (found by the `sdp_answer` fuzz target,
/// whose input is kept in `tests/regressions/sdp_answer/`).
#[test]
fn duplicate_crypto_tags_are_not_valid() {
    let mut offer = load("7.1.5");
    let second = offer.media[0]
        .attributes
        .iter_mut()
        .find(|a| a.name == "crypto" && a.value().is_some_and(|v| v.starts_with("2 ")))
        .unwrap();
    let renumbered = format!("1 {}", &second.value().unwrap()[2..]);
    second.value = Some(renumbered.into());
    // [RFC 4568 §5.1.1 test] "Each crypto attribute for a given media stream
    // MUST contain a unique tag."
    for suite in ["AES_CM_128_HMAC_SHA1_80", "F8_128_HMAC_SHA1_80"] {
        assert_eq!(
            build_answer(&offer, &jill(suite), 1).unwrap_err(),
            NegotiationError::NothingInCommon,
            "{suite}"
        );
    }
    // The RFC's answer (tag 1) now names two offered lines.
    let err = negotiate(&offer, &load("7.1.5_2"), true).unwrap_err();
    assert!(
        matches!(err, NegotiationError::Crypto { index: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("more than one"), "{err}");
}
