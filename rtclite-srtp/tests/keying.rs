//! SDES inline keys (RFC 4568 §6.1) and DTLS-SRTP key splitting (RFC 5764
//! §4.2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test

use rtclite_srtp::{
    Context, DtlsSrtpKeys, InlineKey, ProtectionProfile as P, policy_from_inline_keys,
};

// [RFC 4568 §6.1 test] "The following definition provides an example for
// AES_CM_128_HMAC_SHA1_80:"
#[test]
fn rfc4568_6_1_inline_examples_round_trip() {
    for (s, lifetime, mki) in [
        (
            "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:4",
            Some(1u64 << 20),
            Some((1, 4)),
        ),
        (
            "inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|1066:4",
            None,
            Some((1066, 4)),
        ),
        (
            "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
            Some(1 << 20),
            Some((1, 32)),
        ),
    ] {
        let k = InlineKey::parse(s, P::AesCm128HmacSha1_80).unwrap();
        assert_eq!(k.key_salt.len(), 30);
        assert_eq!(k.lifetime, lifetime);
        assert_eq!(k.mki, mki);
        assert_eq!(k.to_string(), s);
    }
    let k = InlineKey::parse(
        "inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|1066:4",
        P::AesCm128HmacSha1_80,
    )
    .unwrap();
    // "the second example assigns a 4-byte master key identifier of 1066"
    assert_eq!(k.mki_bytes(), vec![0, 0, 0x04, 0x2a]);
    assert_eq!(&k.key_salt[..16], b"aBCdefghiJKLmoPQ");
    let mk = k.master_key(P::AesCm128HmacSha1_80).unwrap();
    assert_eq!(mk.mki(), &[0, 0, 0x04, 0x2a]);
    assert_eq!(mk.salt(), b"rsTuVwyz123456");
}

// [RFC 4568 §6.1 test] "If the length (after being decoded from base64)
// does not match that specified for the crypto-suite, the crypto attribute
// in question MUST be considered invalid."
#[test]
fn rfc4568_invalid_key_params_are_refused() {
    let ok = "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj";
    for bad in [
        format!("inline:{ok}|2^20|1:129"), // MKI length over 128
        format!("inline:{ok}|2^20|01:4"),  // leading zero
        format!("inline:{ok}|2^49"),       // over 2^48
        format!("inline:{ok}|0"),          // zero lifetime
        format!("inline:{ok}|1:4|2^20"),   // lifetime after MKI
        format!("inline:{ok}|256:1"),      // MKI does not fit
        format!("inline:{ok}|1"),          // fine
        format!("inline:{}", &ok[..20]),   // short key
        format!("inlined:{ok}"),
        "inline:!!!!".to_string(),
    ] {
        let r = InlineKey::parse(&bad, P::AesCm128HmacSha1_80);
        assert_eq!(r.is_ok(), bad.ends_with("|1"), "{bad}: {r:?}");
    }
    // A 30-octet key is wrong for AES-256 (46 octets).
    assert!(InlineKey::parse(&format!("inline:{ok}"), P::Aes256CmHmacSha1_80).is_err());
}

// [RFC 5764 §4.2 test] "bytes of data which are assigned as shown below"
#[test]
fn rfc5764_4_2_exporter_output_is_split_in_order() {
    for profile in P::ALL {
        let (k, s) = (profile.master_key_len(), profile.master_salt_len());
        let material: Vec<u8> = (0..2 * (k + s)).map(|i| i as u8).collect();
        let keys = DtlsSrtpKeys::split(profile, &material).unwrap();
        assert_eq!(keys.client.key(), &material[..k]);
        assert_eq!(keys.server.key(), &material[k..2 * k]);
        assert_eq!(keys.client.salt(), &material[2 * k..2 * k + s]);
        assert_eq!(keys.server.salt(), &material[2 * k + s..]);
        assert!(DtlsSrtpKeys::split(profile, &material[1..]).is_err());
    }
    assert_eq!(P::from_dtls_srtp_id(0x0007), Some(P::AeadAes128Gcm));
    assert_eq!(P::AesCm128HmacSha1_80.dtls_srtp_id(), Some(0x0001));
}

#[test]
fn profile_names_parse_and_print() {
    for profile in P::ALL {
        assert_eq!(profile.name().parse::<P>().unwrap(), profile);
        assert_eq!(profile.to_string(), profile.name());
    }
    assert!("AES_CM_128_HMAC_SHA1_81".parse::<P>().is_err());
}

// [RFC 4568 §6.1 test] "When the key parameter contains more than one master
// key, all the master keys in that key parameter MUST include an MKI value."
#[test]
fn rfc4568_several_inline_keys_make_one_policy() {
    let p = P::AesCm128HmacSha1_80;
    let a = InlineKey::parse(
        "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4",
        p,
    )
    .unwrap();
    let b = InlineKey::parse(
        "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4",
        p,
    )
    .unwrap();
    let policy = policy_from_inline_keys(p, &[a.clone(), b.clone()]).unwrap();
    assert_eq!(policy.master_keys().len(), 2);
    assert_eq!(policy.master_keys()[0].mki(), &[0, 0, 0, 1]);
    let mut tx = Context::new_outbound(&policy).unwrap();
    let mut rx = Context::new_inbound(&policy).unwrap();
    tx.set_active_master_key(1).unwrap();
    let mut pkt = vec![0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3];
    tx.protect_rtp(&mut pkt).unwrap();
    rx.unprotect_rtp(&mut pkt).unwrap();
    let no_mki = InlineKey::parse("inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5", p).unwrap();
    assert!(policy_from_inline_keys(p, &[a.clone(), no_mki]).is_err());
    let short = InlineKey::parse("inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2:2", p).unwrap();
    assert!(policy_from_inline_keys(p, &[a, short]).is_err());
    assert!(policy_from_inline_keys(p, &[]).is_err());
}
