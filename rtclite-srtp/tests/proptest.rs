//! Properties over random packets, keys and profiles: protect/unprotect
//! round trips, every single-bit tamper is rejected, and arbitrary bytes
//! never panic (whatever state the context is in).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test

use proptest::prelude::*;
use rtclite_srtp::{Context, Error, MasterKey, Policy, ProtectionProfile};

fn profile() -> impl Strategy<Value = ProtectionProfile> {
    (0..ProtectionProfile::ALL.len()).prop_map(|i| ProtectionProfile::ALL[i])
}

fn contexts(profile: ProtectionProfile, seed: u8, mki: bool) -> (Context, Context) {
    let k: Vec<u8> = (0..profile.master_key_len() as u8)
        .map(|i| i ^ seed)
        .collect();
    let s: Vec<u8> = (0..profile.master_salt_len() as u8)
        .map(|i| i.wrapping_mul(seed))
        .collect();
    let mut key = MasterKey::new(&k, &s);
    if mki {
        key = key.with_mki(&[seed, 1]);
    }
    let policy = Policy::new(profile, key);
    (
        Context::new_outbound(&policy).unwrap(),
        Context::new_inbound(&policy).unwrap(),
    )
}

prop_compose! {
    fn rtp_packet()(
        cc in 0..4usize,
        ext_words in proptest::option::of(0..4usize),
        marker_pt in any::<u8>(),
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in proptest::collection::vec(any::<u8>(), 16),
        ext in proptest::collection::vec(any::<u8>(), 12),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) -> Vec<u8> {
        let mut p = vec![0x80 | u8::from(ext_words.is_some()) << 4 | cc as u8, marker_pt];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&csrcs[..4 * cc]);
        if let Some(words) = ext_words {
            p.extend_from_slice(&[0xbe, 0xde, 0, words as u8]);
            p.extend_from_slice(&ext[..4 * words]);
        }
        p.extend_from_slice(&payload);
        p
    }
}

prop_compose! {
    fn rtcp_packet()(ssrc in any::<u32>(), body in proptest::collection::vec(any::<u8>(), 0..200)) -> Vec<u8> {
        let words = body.len() / 4;
        let mut p = vec![0x80, 200];
        p.extend_from_slice(&(words as u16 + 1).to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&body[..4 * words]);
        p
    }
}

proptest! {
    #[test]
    fn srtp_round_trip_and_tamper(profile in profile(), seed in any::<u8>(), mki in any::<bool>(),
                                  packet in rtp_packet(), flip in any::<prop::sample::Index>(), bit in 0..8u8) {
        let (mut tx, mut rx) = contexts(profile, seed, mki);
        let mut p = packet.clone();
        tx.protect_rtp(&mut p).unwrap();
        let mut t = p.clone();
        let at = flip.index(t.len());
        t[at] ^= 1 << bit;
        // The MKI is not authenticated, but a changed MKI names no key.
        prop_assert!(rx.unprotect_rtp(&mut t).is_err(), "flip at {} accepted", at);
        rx.unprotect_rtp(&mut p).unwrap();
        prop_assert_eq!(p, packet);
    }

    #[test]
    fn srtcp_round_trip_and_tamper(profile in profile(), seed in any::<u8>(), mki in any::<bool>(),
                                   packet in rtcp_packet(), flip in any::<prop::sample::Index>(), bit in 0..8u8,
                                   encrypt in any::<bool>()) {
        let (mut tx, mut rx) = contexts(profile, seed, mki);
        let mut p = packet.clone();
        if encrypt { tx.protect_rtcp(&mut p).unwrap() } else { tx.protect_rtcp_unencrypted(&mut p).unwrap() }
        let mut t = p.clone();
        let at = flip.index(t.len());
        t[at] ^= 1 << bit;
        prop_assert!(rx.unprotect_rtcp(&mut t).is_err(), "flip at {} accepted", at);
        rx.unprotect_rtcp(&mut p).unwrap();
        prop_assert_eq!(p, packet);
    }

    #[test]
    fn arbitrary_bytes_never_panic(profile in profile(), seed in any::<u8>(), mki in any::<bool>(),
                                   warmup in proptest::collection::vec(rtp_packet(), 0..4),
                                   junk in proptest::collection::vec(any::<u8>(), 0..400)) {
        let (mut tx, mut rx) = contexts(profile, seed, mki);
        for w in warmup {
            let mut p = w;
            if tx.protect_rtp(&mut p).is_ok() {
                let _ = rx.unprotect_rtp(&mut p);
            }
        }
        let before = junk.clone();
        let mut a = junk.clone();
        if let Err(e) = rx.unprotect_rtp(&mut a) {
            kept_on_error(profile, &e, &a, &before, 12)?;
        }
        let mut b = junk.clone();
        if let Err(e) = rx.unprotect_rtcp(&mut b) {
            kept_on_error(profile, &e, &b, &before, 8)?;
        }
        let mut c = junk.clone();
        let _ = tx.protect_rtp(&mut c);
        let mut d = junk;
        let _ = tx.protect_rtcp(&mut d);
    }
}

/// What a failed unprotect may leave in the buffer: the same bytes, except
/// that an AEAD authentication failure zeroes the encrypted portion (never
/// the `clear` header octets, never the length).
fn kept_on_error(
    profile: ProtectionProfile,
    e: &Error,
    after: &[u8],
    before: &[u8],
    clear: usize,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(after.len(), before.len());
    if profile.is_aead() && matches!(e, Error::AuthenticationFailure { .. }) {
        prop_assert_eq!(&after[..clear], &before[..clear]);
        for (i, (a, b)) in after.iter().zip(before).enumerate() {
            prop_assert!(a == b || *a == 0, "octet {} changed to {}", i, a);
        }
    } else {
        prop_assert_eq!(after, before, "{}", e);
    }
    Ok(())
}
