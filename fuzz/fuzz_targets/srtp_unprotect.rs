//! Fuzz `rtclite-srtp` unprotect with arbitrary bytes and arbitrary context
//! state: the first bytes pick the profile, key, MKI and replay window; then
//! a few valid packets are protected and accepted to move the rollover
//! counter, `s_l`, the replay lists and the key caches; the rest is cut into
//! packets fed to `unprotect_rtp` / `unprotect_rtcp`.
//!
//! Properties: never panics; a rejected packet leaves the buffer unchanged,
//! except that an AEAD authentication failure zeroes the encrypted portion
//! (never the RTP/RTCP header, never the length); an accepted one is no
//! longer than its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_srtp::{Context, Error, MasterKey, Policy, ProtectionProfile};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Some((&seed, rest)) = rest.split_first() else {
        return;
    };
    let Some((&warm, rest)) = rest.split_first() else {
        return;
    };
    let profiles = ProtectionProfile::ALL;
    let profile = profiles[usize::from(sel) % profiles.len()];
    let key: Vec<u8> = (0..profile.master_key_len())
        .map(|i| seed ^ i as u8)
        .collect();
    let salt: Vec<u8> = (0..profile.master_salt_len())
        .map(|i| seed.wrapping_add(i as u8))
        .collect();
    let mut mk = MasterKey::new(&key, &salt);
    if sel & 0x80 != 0 {
        mk = mk.with_mki(&[seed]);
    }
    let window = if sel & 0x40 != 0 { 1024 } else { 64 };
    let kdr = if sel & 0x20 != 0 { 4 } else { 0 };
    let policy = Policy::new(profile, mk)
        .with_replay_window(window)
        .with_key_derivation_rate(kdr)
        .with_max_streams(8);
    let (Ok(mut tx), Ok(mut rx)) = (
        Context::new_outbound(&policy),
        Context::new_inbound(&policy),
    ) else {
        return;
    };
    // Warm-up: valid packets from sequence numbers chosen by the input.
    for i in 0..(warm % 8) {
        let seq = u16::from_be_bytes([warm.wrapping_mul(i), seed.wrapping_add(i)]);
        let mut p = vec![0x80, 0x00];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, seed & 3]);
        p.extend_from_slice(&[i; 20]);
        if tx.protect_rtp(&mut p).is_ok() {
            let _ = rx.unprotect_rtp(&mut p);
        }
        let mut r = vec![0x80, 200, 0, 1, 0, 0, 0, seed & 3];
        if tx.protect_rtcp(&mut r).is_ok() {
            let _ = rx.unprotect_rtcp(&mut r);
        }
    }
    // The rest: packets prefixed by a length octet; bit 7 of it picks RTCP.
    let mut rest = rest;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len & 0x7f).min(tail.len());
        let (packet, next) = tail.split_at(n);
        rest = next;
        let mut buf = packet.to_vec();
        let result = if len & 0x80 != 0 {
            rx.unprotect_rtcp(&mut buf)
        } else {
            rx.unprotect_rtp(&mut buf)
        };
        match result {
            Ok(()) => assert!(buf.len() <= packet.len()),
            Err(Error::AuthenticationFailure { .. }) if profile.is_aead() => {
                let clear = if len & 0x80 != 0 { 8 } else { 12 };
                assert_eq!(buf.len(), packet.len());
                assert_eq!(buf[..clear], packet[..clear]);
                assert!(buf.iter().zip(packet).all(|(a, b)| a == b || *a == 0));
            }
            Err(_) => assert_eq!(buf, packet),
        }
    }
});
