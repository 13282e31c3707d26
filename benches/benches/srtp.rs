//! SRTP protect and unprotect: rtclite-srtp against webrtc-rs `rtc-srtp`
//! (ring crypto provider, the fastest Rust peer) and against the crypto
//! floor (the bare cipher and MAC calls of the same crates on the same
//! bytes, with no SRTP processing at all), in the same run.
//!
//! Rows: AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM, payloads of 160 and
//! 1200 octets, protect and unprotect. rtclite-srtp is built with its default `ring`
//! feature (ring's assembly AES-GCM, as rtc-srtp uses); without it GCM runs
//! on the pure-Rust aes-gcm crate, whose floor is the `floor/aes-gcm-crate`
//! row. rtclite works in place on the
//! caller's buffer (no allocation); rtc-srtp returns a new `BytesMut`.
//! Unprotect inputs are produced in `iter_batched` setup (not timed), each
//! with a fresh sequence number so that replay protection passes.
//!
//! With `SRTP_PAIRED=1` the same rows are measured instead by taking turns
//! block by block and keeping each implementation's fastest block (see
//! `paired`): on a shared, loaded machine this keeps the ratios that the
//! criterion rows lose.
//!
//! libsrtp (C) is measured by `benches/c/srtp_bench.sh`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // bench harness

use std::hint::black_box;
use std::time::Instant;

use aes::cipher::StreamCipher;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use criterion::{BatchSize, Criterion, criterion_group};
use hmac::{Hmac, Mac};
use rtclite_srtp::{Context, MasterKey, Policy, ProtectionProfile};

const KEY: [u8; 16] = [
    96, 180, 31, 4, 119, 137, 128, 252, 75, 194, 252, 44, 63, 56, 61, 55,
];
const SALT: [u8; 14] = [247, 26, 49, 94, 99, 29, 79, 94, 5, 111, 252, 216, 62, 195];
const SSRC: u32 = 0xcafe_babe;

fn rtp(seq: u16, payload_len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend((0..payload_len).map(|i| i as u8));
    p
}

fn ours(profile: ProtectionProfile) -> (Context, Context) {
    let policy = Policy::new(
        profile,
        MasterKey::new(&KEY, &SALT[..profile.master_salt_len()]),
    );
    (
        Context::new_outbound(&policy).unwrap(),
        Context::new_inbound(&policy).unwrap(),
    )
}

fn theirs(profile: ProtectionProfile) -> rtc_srtp::context::Context {
    use rtc_srtp::protection_profile::ProtectionProfile as Their;
    let p = match profile {
        ProtectionProfile::AeadAes128Gcm => Their::AeadAes128Gcm,
        _ => Their::Aes128CmHmacSha1_80,
    };
    let provider = rtc_crypto::default_provider().unwrap();
    rtc_srtp::context::Context::new(
        &KEY,
        &SALT[..profile.master_salt_len()],
        p,
        None,
        None,
        provider.crypto(),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    for profile in [
        ProtectionProfile::AesCm128HmacSha1_80,
        ProtectionProfile::AeadAes128Gcm,
    ] {
        for size in [160usize, 1200] {
            let mut g = c.benchmark_group(format!("srtp/{profile}/{size}"));

            // --- protect ---
            let (mut tx, _) = ours(profile);
            let mut seq = 0u16;
            let mut buf = Vec::with_capacity(12 + size + 64);
            let plain = rtp(0, size);
            buf.extend_from_slice(&plain);
            // Like the floor rows, each iteration protects the bytes left in
            // the buffer by the one before (cut back to the RTP length, with
            // the next sequence number): the cost is the same whatever the
            // payload holds, and no plaintext copy is timed.
            g.bench_function("protect/rtclite", |b| {
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    buf.truncate(plain.len());
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    tx.protect_rtp(&mut buf).unwrap();
                    black_box(buf.len())
                })
            });
            let mut their_tx = theirs(profile);
            let mut their_plain = plain.clone();
            let mut seq = 0u16;
            g.bench_function("protect/rtc-srtp", |b| {
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    their_plain[2..4].copy_from_slice(&seq.to_be_bytes());
                    black_box(their_tx.encrypt_rtp(&their_plain).unwrap())
                })
            });

            // --- unprotect ---
            let (mut tx, mut rx) = ours(profile);
            let mut seq = 0u16;
            g.bench_function("unprotect/rtclite", |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut p = rtp(seq, size);
                        p.reserve(16);
                        tx.protect_rtp(&mut p).unwrap();
                        p
                    },
                    |mut p| {
                        rx.unprotect_rtp(&mut p).unwrap();
                        p
                    },
                    BatchSize::SmallInput,
                )
            });
            let mut their_tx = theirs(profile);
            let mut their_rx = theirs(profile);
            let mut seq = 0u16;
            g.bench_function("unprotect/rtc-srtp", |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        their_tx.encrypt_rtp(&rtp(seq, size)).unwrap()
                    },
                    |p| black_box(their_rx.decrypt_rtp(&p).unwrap()),
                    BatchSize::SmallInput,
                )
            });

            // --- the crypto floor: the same primitives, no SRTP ---
            // Each floor row does what any use of the primitive must do and
            // nothing SRTP-specific: a distinct nonce/IV per packet (from a
            // counter), the cipher on the payload in place with the header
            // as associated data or MAC input, and the tag written after the
            // payload in the same reused buffer (as protect_rtp leaves it).
            // Key schedules (AES round keys, HMAC pads, GHASH key) are made
            // once, outside the loop, as a context makes them once per key.
            let plain = rtp(1, size);
            let mut data = Vec::with_capacity(plain.len() + 64);
            data.extend_from_slice(&plain);
            let mut n = 0u32;
            match profile {
                ProtectionProfile::AeadAes128Gcm => {
                    let key = ring::aead::LessSafeKey::new(
                        ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &KEY).unwrap(),
                    );
                    g.bench_function("floor/ring-aes-gcm", |b| {
                        b.iter(|| {
                            n = n.wrapping_add(1);
                            let nonce = gcm_nonce(n);
                            data.truncate(plain.len());
                            gcm_seal(&key, nonce, &mut data);
                            black_box(data.len())
                        })
                    });
                    // The open floor: the same iter_batched shape as the
                    // unprotect rows (a sealed packet per iteration, made in
                    // untimed setup), timing only ring's open in place.
                    let mut n = 0u32;
                    g.bench_function("floor/ring-aes-gcm-open", |b| {
                        b.iter_batched(
                            || {
                                n = n.wrapping_add(1);
                                let mut p = rtp(1, size);
                                let mut nonce = [0u8; 12];
                                nonce[8..].copy_from_slice(&n.to_be_bytes());
                                gcm_seal(&key, nonce, &mut p);
                                (p, nonce)
                            },
                            |(mut p, nonce)| {
                                let (aad, rest) = p.split_at_mut(12);
                                let (body, tag) = rest.split_at_mut(rest.len() - 16);
                                let tag =
                                    ring::aead::Tag::from(<[u8; 16]>::try_from(&*tag).unwrap());
                                key.open_in_place_separate_tag(
                                    ring::aead::Nonce::assume_unique_for_key(nonce),
                                    ring::aead::Aad::from(&*aad),
                                    tag,
                                    body,
                                    0..,
                                )
                                .unwrap();
                                p
                            },
                            BatchSize::SmallInput,
                        )
                    });
                    let gcm = aes_gcm::Aes128Gcm::new_from_slice(&KEY).unwrap();
                    let mut n = 0u32;
                    g.bench_function("floor/aes-gcm-crate", |b| {
                        b.iter(|| {
                            n = n.wrapping_add(1);
                            let nonce = gcm_nonce(n);
                            data.truncate(plain.len());
                            let (aad, body) = data.split_at_mut(12);
                            let tag = gcm
                                .encrypt_in_place_detached(&nonce.into(), aad, body)
                                .unwrap();
                            data.extend_from_slice(&tag);
                            black_box(data.len())
                        })
                    });
                }
                _ => {
                    use aes::cipher::{InnerIvInit, StreamCipherCoreWrapper};
                    type Ctr<'a> = ctr::CtrCore<&'a aes::Aes128Enc, ctr::flavors::Ctr128BE>;
                    let mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&[3u8; 20]).unwrap();
                    let aes = aes::Aes128Enc::new_from_slice(&KEY).unwrap();
                    g.bench_function("floor/aes-ctr+hmac-sha1", |b| {
                        b.iter(|| {
                            n = n.wrapping_add(1);
                            let iv = ctr_iv(n);
                            data.truncate(plain.len());
                            let core = Ctr::inner_iv_init(&aes, &iv.into());
                            StreamCipherCoreWrapper::from_core(core)
                                .apply_keystream(&mut data[12..]);
                            hmac_append(&mac, &mut data);
                            black_box(data.len())
                        })
                    });
                    // The unprotect floor: HMAC-SHA1 verified in constant
                    // time, then AES-CTR in place, on packets made in
                    // untimed setup (the iter_batched shape of the
                    // unprotect rows).
                    let mut n = 0u32;
                    g.bench_function("floor/hmac-sha1+aes-ctr-verify", |b| {
                        b.iter_batched(
                            || {
                                n = n.wrapping_add(1);
                                let mut p = rtp(1, size);
                                hmac_append(&mac, &mut p);
                                (p, n)
                            },
                            |(mut p, n)| {
                                let body_end = p.len() - 10;
                                let mut m = mac.clone();
                                m.update(&p[..body_end]);
                                m.update(&[0, 0, 0, 0]);
                                m.verify_truncated_left(&p[body_end..]).unwrap();
                                let iv = ctr_iv(n);
                                let core = Ctr::inner_iv_init(&aes, &iv.into());
                                StreamCipherCoreWrapper::from_core(core)
                                    .apply_keystream(&mut p[12..body_end]);
                                p
                            },
                            BatchSize::SmallInput,
                        )
                    });
                    // ring's HMAC-SHA1 on the same bytes, to choose the
                    // backend: the sha1 crate (SHA extensions) is faster.
                    let rkey =
                        ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &[3u8; 20]);
                    g.bench_function("floor/ring-hmac-sha1-only", |b| {
                        b.iter(|| {
                            let mut ctx = ring::hmac::Context::with_key(&rkey);
                            ctx.update(&plain);
                            ctx.update(&[0, 0, 0, 0]);
                            black_box(ctx.sign())
                        })
                    });
                    g.bench_function("floor/hmac-sha1-only", |b| {
                        b.iter(|| {
                            let mut m = mac.clone();
                            m.update(&plain);
                            m.update(&[0, 0, 0, 0]);
                            black_box(m.finalize().into_bytes())
                        })
                    });
                }
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("SRTP_PAIRED").is_some() {
        paired();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

/// Packets per timed block of the paired measurement.
const BLOCK: usize = 128;
/// Blocks per implementation and row.
const ROUNDS: usize = 300;

/// `SRTP_PAIRED=1 cargo bench -p rtclite-benches --bench srtp`: the same
/// rows, measured on a shared machine in a way its load cannot skew: the
/// implementations take turns block by block (rtclite, rtc-srtp, floor,
/// rtclite, ...), and each reports its fastest block (nanoseconds per
/// packet). Another process that takes the core slows every implementation
/// alike instead of whichever criterion happened to be sampling, so the
/// ratios hold even when the absolute times of a criterion run do not.
fn paired() {
    println!("row | rtclite ns | rtc-srtp ns | floor ns | vs rtc-srtp | vs floor");
    for profile in [
        ProtectionProfile::AesCm128HmacSha1_80,
        ProtectionProfile::AeadAes128Gcm,
    ] {
        for size in [160usize, 1200] {
            let plain = rtp(0, size);
            let gcm = profile == ProtectionProfile::AeadAes128Gcm;
            let ring_key = ring::aead::LessSafeKey::new(
                ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &KEY).unwrap(),
            );
            let mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&[3u8; 20]).unwrap();
            let aes = aes::Aes128Enc::new_from_slice(&KEY).unwrap();
            let ctr_apply = |iv: [u8; 16], data: &mut [u8]| {
                use aes::cipher::{InnerIvInit, StreamCipherCoreWrapper};
                let core = ctr::CtrCore::<&aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
                    &aes,
                    &iv.into(),
                );
                StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
            };
            let mut n = 0u32;
            let mut next = || {
                n = n.wrapping_add(1);
                n
            };

            // protect: [rtclite, rtc-srtp, floor]
            let (mut tx, _) = ours(profile);
            let mut their_tx = theirs(profile);
            let mut buf = Vec::with_capacity(plain.len() + 64);
            let mut best = [f64::MAX; 3];
            let mut seq = 0u16;
            for _ in 0..ROUNDS {
                let t = Instant::now();
                for _ in 0..BLOCK {
                    seq = seq.wrapping_add(1);
                    buf.clear();
                    buf.extend_from_slice(&plain);
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    tx.protect_rtp(&mut buf).unwrap();
                    black_box(buf.len());
                }
                best[0] = best[0].min(per_packet(t));
                let mut their_plain = plain.clone();
                let t = Instant::now();
                for _ in 0..BLOCK {
                    seq = seq.wrapping_add(1);
                    their_plain[2..4].copy_from_slice(&seq.to_be_bytes());
                    black_box(their_tx.encrypt_rtp(&their_plain).unwrap());
                }
                best[1] = best[1].min(per_packet(t));
                let t = Instant::now();
                for _ in 0..BLOCK {
                    let i = next();
                    buf.clear();
                    buf.extend_from_slice(&plain);
                    if gcm {
                        let nonce = gcm_nonce(i);
                        gcm_seal(&ring_key, nonce, &mut buf);
                    } else {
                        let iv = ctr_iv(i);
                        ctr_apply(iv, &mut buf[12..]);
                        hmac_append(&mac, &mut buf);
                    }
                    black_box(buf.len());
                }
                best[2] = best[2].min(per_packet(t));
            }
            report(&format!("{profile} {size} B protect"), best);

            // unprotect: inputs made untimed before each block.
            let (mut tx, mut rx) = ours(profile);
            let mut their_tx = theirs(profile);
            let mut their_rx = theirs(profile);
            let mut best = [f64::MAX; 3];
            let mut seq = 0u16;
            let mut inputs: Vec<Vec<u8>> = Vec::with_capacity(BLOCK);
            let mut their_inputs = Vec::with_capacity(BLOCK);
            let mut floor_inputs: Vec<(Vec<u8>, u32)> = Vec::with_capacity(BLOCK);
            for _ in 0..ROUNDS {
                inputs.clear();
                for _ in 0..BLOCK {
                    seq = seq.wrapping_add(1);
                    let mut p = Vec::with_capacity(plain.len() + 16);
                    p.extend_from_slice(&plain);
                    p[2..4].copy_from_slice(&seq.to_be_bytes());
                    tx.protect_rtp(&mut p).unwrap();
                    inputs.push(p);
                }
                let t = Instant::now();
                for p in &mut inputs {
                    rx.unprotect_rtp(p).unwrap();
                }
                best[0] = best[0].min(per_packet(t));
                their_inputs.clear();
                for _ in 0..BLOCK {
                    seq = seq.wrapping_add(1);
                    let mut p = plain.clone();
                    p[2..4].copy_from_slice(&seq.to_be_bytes());
                    their_inputs.push(their_tx.encrypt_rtp(&p).unwrap());
                }
                let t = Instant::now();
                for p in &their_inputs {
                    black_box(their_rx.decrypt_rtp(p).unwrap());
                }
                best[1] = best[1].min(per_packet(t));
                floor_inputs.clear();
                for _ in 0..BLOCK {
                    let i = next();
                    let mut p = Vec::with_capacity(plain.len() + 16);
                    p.extend_from_slice(&plain);
                    if gcm {
                        let nonce = gcm_nonce(i);
                        gcm_seal(&ring_key, nonce, &mut p);
                    } else {
                        hmac_append(&mac, &mut p);
                    }
                    floor_inputs.push((p, i));
                }
                let t = Instant::now();
                for (p, i) in &mut floor_inputs {
                    if gcm {
                        let nonce = gcm_nonce(*i);
                        let (aad, rest) = p.split_at_mut(12);
                        let (body, tag) = rest.split_at_mut(rest.len() - 16);
                        let tag = ring::aead::Tag::from(<[u8; 16]>::try_from(&*tag).unwrap());
                        ring_key
                            .open_in_place_separate_tag(
                                ring::aead::Nonce::assume_unique_for_key(nonce),
                                ring::aead::Aad::from(&*aad),
                                tag,
                                body,
                                0..,
                            )
                            .unwrap();
                        p.truncate(p.len() - 16);
                    } else {
                        let body_end = p.len() - 10;
                        let mut m = mac.clone();
                        m.update(&p[..body_end]);
                        m.update(&[0, 0, 0, 0]);
                        m.verify_truncated_left(&p[body_end..]).unwrap();
                        let iv = ctr_iv(*i);
                        ctr_apply(iv, &mut p[12..body_end]);
                        p.truncate(body_end);
                    }
                }
                best[2] = best[2].min(per_packet(t));
            }
            report(&format!("{profile} {size} B unprotect"), best);
        }
    }
}

fn per_packet(start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64 / BLOCK as f64
}

fn report(row: &str, [ours, theirs, floor]: [f64; 3]) {
    println!(
        "{row} | {ours:.1} | {theirs:.1} | {floor:.1} | {:.2} | {:.2}",
        ours / theirs,
        ours / floor
    );
}

/// The floors' GCM nonce of packet `n`: sevens, then `n` big-endian.
#[inline(always)]
fn gcm_nonce(n: u32) -> [u8; 12] {
    let mut nonce = [7u8; 12];
    nonce[8..].copy_from_slice(&n.to_be_bytes());
    nonce
}

/// The floors' AES-CTR IV of packet `n`: nines, with `n` big-endian at
/// bytes 10..14.
#[inline(always)]
fn ctr_iv(n: u32) -> [u8; 16] {
    let mut iv = [9u8; 16];
    iv[10..14].copy_from_slice(&n.to_be_bytes());
    iv
}

/// The GCM floor's protect: seals what follows the 12-byte RTP header
/// (the AAD) in place with `nonce` and appends the 16-byte tag.
#[inline(always)]
fn gcm_seal(key: &ring::aead::LessSafeKey, nonce: [u8; 12], packet: &mut Vec<u8>) {
    let (aad, body) = packet.split_at_mut(12);
    let tag = key
        .seal_in_place_separate_tag(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(&*aad),
            body,
        )
        .unwrap();
    packet.extend_from_slice(tag.as_ref());
}

/// The HMAC floor's tag: HMAC-SHA1 of `packet` and a zero ROC, its first
/// 10 bytes appended.
#[inline(always)]
fn hmac_append(mac: &Hmac<sha1::Sha1>, packet: &mut Vec<u8>) {
    let mut m = mac.clone();
    m.update(packet.as_slice());
    m.update(&[0, 0, 0, 0]);
    let tag = m.finalize().into_bytes();
    packet.extend_from_slice(&tag[..10]);
}
