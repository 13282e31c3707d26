//! Opus: real-time factor of the safe encoder and decoder, and the pure-Rust
//! packet parser against libopus's own, same input, same run.
//!
//! - `encode/20ms_48k_mono`: one 20 ms frame of a speech-like signal at
//!   48 kHz mono, VoIP, 32 kbit/s, complexity 10 (the default); the time
//!   per frame gives the real-time factor per core (20 ms / time).
//! - `decode/20ms_48k_mono`: decoding those packets; rtclite parses each
//!   packet (RFC 6716 §3.4 rules R1–R7) before the C call.
//! - `parse`: `Packet::parse` (pure Rust, borrowed frames, rules R1–R7)
//!   against libopus's `opus_packet_parse` (through the crate's safe
//!   `introspect` wrapper) on 1 000 encoder packets in many modes.
//!
//! There is no peer for encode/decode: every Rust Opus binding calls the
//! same libopus, and this workspace forbids `unsafe` outside the FFI crate.

// A bench that cannot build its inputs must stop: panics here are set-up
// failures, not reactions to input. criterion_group! defines an undocumented fn.
#![allow(clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtclite_opus_ffi::{
    Application, Bitrate, Channels, Decoder, Encoder, Packet, SampleRate, introspect,
};

const FRAME: usize = 960;

/// 1 s of a speech-like signal at 48 kHz: harmonics of a gliding 150 Hz
/// fundamental under a 4 Hz syllable envelope.
fn speech(rate: u32, samples: usize) -> Vec<i16> {
    let mut phase = 0.0f64;
    (0..samples)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let f0 = 150.0 + 30.0 * (std::f64::consts::TAU * 0.7 * t).sin();
            phase += std::f64::consts::TAU * f0 / f64::from(rate);
            let s: f64 = (1..=12)
                .map(|h| (phase * f64::from(h)).sin() / f64::from(h))
                .sum();
            let env = (std::f64::consts::PI * (t * 4.0).fract()).sin().powi(2);
            (s * env * 6000.0) as i16
        })
        .collect()
}

fn encoder() -> Encoder {
    let Ok(mut enc) = Encoder::new(SampleRate::Hz48000, Channels::Mono, Application::Voip) else {
        panic!("encoder")
    };
    assert!(enc.set_bitrate(Bitrate::BitsPerSecond(32_000)).is_ok());
    enc
}

fn bench_encode(c: &mut Criterion) {
    let pcm = speech(48_000, 48_000);
    let frames: Vec<&[i16]> = pcm.chunks_exact(FRAME).collect();
    let mut group = c.benchmark_group("opus/encode/20ms_48k_mono");
    group.throughput(Throughput::Elements(1));
    let mut enc = encoder();
    let mut out = vec![0u8; 4000];
    let mut i = 0;
    group.bench_function("rtclite", |b| {
        b.iter(|| {
            i = (i + 1) % frames.len();
            black_box(enc.encode(black_box(frames[i]), &mut out).ok())
        })
    });
    group.finish();
}

fn bench_decode(c: &mut Criterion) {
    let pcm = speech(48_000, 48_000);
    let mut enc = encoder();
    let packets: Vec<Vec<u8>> = pcm
        .chunks_exact(FRAME)
        .filter_map(|f| enc.encode_vec(f).ok())
        .collect();
    let mut group = c.benchmark_group("opus/decode/20ms_48k_mono");
    group.throughput(Throughput::Elements(1));
    let Ok(mut dec) = Decoder::new(SampleRate::Hz48000, Channels::Mono) else {
        panic!("decoder")
    };
    let mut out = vec![0i16; 5760];
    let mut i = 0;
    group.bench_function("rtclite", |b| {
        b.iter(|| {
            i = (i + 1) % packets.len();
            black_box(dec.decode(black_box(&packets[i]), &mut out).ok())
        })
    });
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let pcm = speech(48_000, 48_000);
    let mut packets = Vec::new();
    for (k, app) in [
        Application::Voip,
        Application::Audio,
        Application::RestrictedLowDelay,
    ]
    .into_iter()
    .enumerate()
    {
        for (units, bitrate) in [
            (1usize, 64_000u32),
            (4, 24_000),
            (8, 32_000),
            (24, 16_000),
            (48, 96_000),
        ] {
            let Ok(mut enc) = Encoder::new(SampleRate::Hz48000, Channels::Mono, app) else {
                panic!("encoder")
            };
            assert!(
                enc.set_bitrate(Bitrate::BitsPerSecond(bitrate + k as u32))
                    .is_ok()
            );
            for f in pcm.chunks_exact(120 * units).take(67) {
                if let Ok(p) = enc.encode_vec(f) {
                    packets.push(p);
                }
            }
        }
    }
    packets.truncate(1000);
    let mut group = c.benchmark_group("opus/parse_1000_packets");
    group.throughput(Throughput::Elements(packets.len() as u64));
    group.bench_function("rtclite", |b| {
        b.iter(|| {
            let mut frames = 0;
            for p in &packets {
                if let Ok(parsed) = Packet::parse(black_box(p)) {
                    frames += parsed.frame_count();
                }
            }
            frames
        })
    });
    group.bench_function("libopus", |b| {
        b.iter(|| {
            let mut frames = 0;
            for p in &packets {
                if let Ok(parsed) = introspect::parse(black_box(p)) {
                    frames += parsed.count;
                }
            }
            frames
        })
    });
    group.finish();
}

criterion_group!(benches, bench_encode, bench_decode, bench_parse);
criterion_main!(benches);
