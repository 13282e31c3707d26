//! The adaptive jitter buffer on simulated networks: constant delay, random
//! jitter with reordering, loss and duplicates (seeded, 1 ms virtual steps).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rtclite_rtp::jitter::{JitterBuffer, JitterConfig, Playout, PushOutcome};

struct Outcome {
    played: u64,
    concealed: u64,
    late: u64,
    duplicates: u64,
    dropped_by_network: u64,
    final_delay: Duration,
    max_len: usize,
    in_order: bool,
}

/// 20 ms frames at 8 kHz for `secs` seconds over a path of 40 ms base delay
/// plus uniform jitter in [0, jitter_ms), dropping 1 packet in `loss_every`
/// and duplicating 1 in `dup_every` (0 = never).
fn simulate(seed: u64, secs: u64, jitter_ms: u64, loss_every: u64, dup_every: u64) -> Outcome {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::new(8000, 160), t0);
    let frames = secs * 50;
    let mut arrivals: Vec<(u64, u16, u32)> = Vec::new(); // (ms, seq, ts)
    let mut dropped = 0;
    for i in 0..frames {
        if loss_every > 0 && i % loss_every == loss_every - 1 {
            dropped += 1;
            continue;
        }
        let sent = i * 20;
        let j = if jitter_ms > 0 {
            rng.next_u64() % jitter_ms
        } else {
            0
        };
        let seq = (60_000 + i) as u16; // wraps at 65535
        let ts = (i as u32).wrapping_mul(160).wrapping_add(u32::MAX - 8000);
        arrivals.push((sent + 40 + j, seq, ts));
        if dup_every > 0 && i % dup_every == 0 {
            arrivals.push((sent + 41 + j, seq, ts));
        }
    }
    arrivals.sort_by_key(|a| a.0);
    let mut next = 0;
    let mut played = Vec::new();
    let mut max_len = 0;
    let mut concealed = 0;
    let end_ms = frames * 20 + 1000;
    for ms in 0..end_ms {
        let now = t0 + Duration::from_millis(ms);
        while next < arrivals.len() && arrivals[next].0 <= ms {
            let (_, seq, ts) = arrivals[next];
            let payload = seq.to_be_bytes();
            let r = jb.push(now, seq, ts, &payload);
            assert_ne!(r, PushOutcome::TooLarge);
            next += 1;
        }
        max_len = max_len.max(jb.len());
        while let Some(p) = jb.pop(now) {
            match p {
                Playout::Frame { seq, payload, .. } => {
                    assert_eq!(payload, &seq.to_be_bytes());
                    played.push(seq);
                }
                // Concealment past the end of the stream is not counted.
                Playout::Lost { seq, .. } if u64::from(seq.wrapping_sub(60_000)) < frames => {
                    concealed += 1;
                }
                _ => {}
            }
        }
    }
    let s = jb.stats();
    Outcome {
        played: s.played,
        concealed,
        late: s.late,
        duplicates: s.duplicates,
        dropped_by_network: dropped,
        final_delay: jb.delay(),
        max_len,
        in_order: played
            .windows(2)
            .all(|w| w[1].wrapping_sub(w[0]) < 0x8000 && w[1] != w[0]),
    }
}

#[test]
fn constant_delay_plays_everything_at_minimum_delay() {
    let o = simulate(1, 20, 0, 0, 0);
    assert_eq!(o.played, 1000);
    assert_eq!((o.late, o.duplicates), (0, 0));
    assert_eq!(o.final_delay, Duration::from_millis(20));
    assert!(o.in_order);
}

#[test]
fn losses_are_reported_for_concealment_exactly() {
    let o = simulate(2, 20, 0, 50, 0);
    assert_eq!(o.dropped_by_network, 20);
    assert_eq!(o.played, 980);
    // Every missing frame is announced once, in its place.
    assert_eq!(o.concealed, 20);
}

#[test]
fn random_jitter_with_reordering_adapts_the_delay() {
    // 0-60 ms uniform jitter: packets 20 ms apart are often reordered.
    let o = simulate(3, 60, 60, 100, 37);
    let sent = 3000 - o.dropped_by_network;
    assert_eq!(o.dropped_by_network, 30);
    assert!(o.duplicates >= 70, "{}", o.duplicates);
    // The delay grows well past the minimum but stays below the maximum.
    assert!(
        o.final_delay >= Duration::from_millis(50) && o.final_delay <= Duration::from_millis(200),
        "{:?}",
        o.final_delay
    );
    // Less than 2% of the packets that arrived were too late to play
    // (the first ones, before the delay had adapted, dominate).
    let late_or_lost = sent - o.played;
    eprintln!(
        "jitter 0-60 ms: delay {:?}, {} of {} arrived packets not played, {} late pushes",
        o.final_delay, late_or_lost, sent, o.late
    );
    assert!(
        late_or_lost * 100 < sent * 2,
        "late {late_or_lost} of {sent}"
    );
    assert!(o.in_order);
    // Bounded memory: never more than the 64 slots.
    assert!(o.max_len <= 64);
}

#[test]
fn packets_far_ahead_are_refused() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::new(8000, 160), t0);
    assert_eq!(jb.push(t0, 10, 0, &[1]), PushOutcome::Stored);
    assert_eq!(jb.push(t0, 10, 0, &[1]), PushOutcome::Duplicate);
    assert_eq!(jb.push(t0, 10 + 64, 64 * 160, &[1]), PushOutcome::TooEarly);
    assert_eq!(jb.push(t0, 9, 0, &[1]), PushOutcome::Late);
    assert_eq!(jb.push(t0, 11, 160, &[0; 2000]), PushOutcome::TooLarge);
    assert_eq!(jb.len(), 1);
}
