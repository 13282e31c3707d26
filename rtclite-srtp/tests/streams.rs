//! Several SSRCs in one context: a context remembers the stream it used
//! last (to skip the SSRC lookup on the common one-stream path), and this
//! must never leak one stream's rollover counter, highest sequence number,
//! replay list, SRTCP index or derived session keys into another's.
//!
//! The check is differential: every packet of an interleaving of several
//! SSRCs is protected by one shared context and by a context of its own
//! SSRC only, and the two must give the same bytes; the receiver side is
//! compared the same way, verdict for verdict.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtclite_srtp::{Context, Error, MasterKey, Policy, ProtectionProfile as P};

const SSRCS: [u32; 3] = [0x1111_1111, 0x2222_2222, 0xcafe_babe];

fn rtp(seq: u16, ssrc: u32, fill: u8) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[fill; 40]);
    p
}

fn rtcp(ssrc: u32, fill: u8) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0x00, 0x06];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[fill; 20]);
    p
}

fn policy(profile: P, kdr: u32) -> Policy {
    let key = |n: u8| {
        MasterKey::new(
            &vec![n; profile.master_key_len()],
            &vec![n ^ 0x5a; profile.master_salt_len()],
        )
        .with_mki(&[n])
    };
    Policy::new(profile, key(1))
        .with_master_key(key(2))
        .with_key_derivation_rate(kdr)
}

/// What a receiver said about a packet, comparable across contexts.
fn verdict(r: Result<(), Error>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => format!("{e:?}"),
    }
}

/// One shared sender and receiver against one sender and receiver per
/// SSRC, over a random interleaving with sequence-number wraps, master key
/// switches, SRTCP, replays, late packets and forgeries.
fn differential(profile: P, kdr: u32, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pol = policy(profile, kdr);
    let mut shared_tx = Context::new_outbound(&pol).unwrap();
    let mut shared_rx = Context::new_inbound(&pol).unwrap();
    let mut own_tx: Vec<Context> = SSRCS
        .iter()
        .map(|_| Context::new_outbound(&pol).unwrap())
        .collect();
    let mut own_rx: Vec<Context> = SSRCS
        .iter()
        .map(|_| Context::new_inbound(&pol).unwrap())
        .collect();
    // Each SSRC starts a few packets before its own sequence-number wrap,
    // at a different distance, so the rollovers interleave.
    let mut next_seq: Vec<u16> = vec![65_520, 65_500, 40];
    let mut sent: Vec<Vec<(usize, Vec<u8>)>> = vec![Vec::new(); SSRCS.len()];
    let mut active = 0;
    for step in 0..600u32 {
        // Key switches apply to every sender alike.
        if rng.random_ratio(1, 40) {
            active ^= 1;
            shared_tx.set_active_master_key(active).unwrap();
            for tx in &mut own_tx {
                tx.set_active_master_key(active).unwrap();
            }
        }
        // Mostly one SSRC for a run of packets (the cached path), sometimes
        // another one (the cache must move).
        let s = if rng.random_ratio(3, 4) {
            (step as usize / 7) % SSRCS.len()
        } else {
            rng.random_range(0..SSRCS.len())
        };
        let ssrc = SSRCS[s];
        let fill = step as u8;
        if rng.random_ratio(1, 10) {
            let mut a = rtcp(ssrc, fill);
            let mut b = a.clone();
            shared_tx.protect_rtcp(&mut a).unwrap();
            own_tx[s].protect_rtcp(&mut b).unwrap();
            assert_eq!(a, b, "SRTCP of SSRC {ssrc:#x} at step {step}");
            let (mut a2, mut b2) = (a.clone(), b);
            assert_eq!(
                verdict(shared_rx.unprotect_rtcp(&mut a2)),
                verdict(own_rx[s].unprotect_rtcp(&mut b2))
            );
            assert_eq!(a2, rtcp(ssrc, fill));
            continue;
        }
        let seq = next_seq[s];
        next_seq[s] = seq.wrapping_add(1);
        let mut a = rtp(seq, ssrc, fill);
        let mut b = a.clone();
        shared_tx.protect_rtp(&mut a).unwrap();
        own_tx[s].protect_rtp(&mut b).unwrap();
        assert_eq!(a, b, "SRTP of SSRC {ssrc:#x} seq {seq} at step {step}");
        sent[s].push((step as usize, a));
        assert_eq!(shared_tx.roc(ssrc), own_tx[s].roc(ssrc));

        // The receiver gets either this packet, a late one of some SSRC
        // (inside the window or a replay of one already taken), or a forged
        // one; the shared and the own receiver must agree on each.
        let r = rng.random_range(0..10);
        let (rs, packet) = if r < 6 || sent[s].len() < 2 {
            (s, sent[s].last().unwrap().1.clone())
        } else {
            let rs = rng.random_range(0..SSRCS.len());
            let list = &sent[rs];
            if list.is_empty() {
                continue;
            }
            let back = rng.random_range(0..list.len().min(80));
            let mut p = list[list.len() - 1 - back].1.clone();
            if r == 9 {
                let at = rng.random_range(12..p.len());
                p[at] ^= 1 << rng.random_range(0..8);
            }
            (rs, p)
        };
        let (mut a, mut b) = (packet.clone(), packet);
        let va = verdict(shared_rx.unprotect_rtp(&mut a));
        let vb = verdict(own_rx[rs].unprotect_rtp(&mut b));
        assert_eq!(va, vb, "receiver verdicts at step {step} (SSRC {rs})");
        assert_eq!(a, b);
        assert_eq!(shared_rx.roc(SSRCS[rs]), own_rx[rs].roc(SSRCS[rs]));
    }
    // Every SSRC wrapped (or not) on its own.
    for (s, &ssrc) in SSRCS.iter().enumerate() {
        assert_eq!(shared_tx.roc(ssrc), own_tx[s].roc(ssrc));
        assert_eq!(shared_tx.roc(ssrc), Some(u32::from(s < 2)), "{ssrc:#x}");
    }
    assert_eq!(shared_tx.stream_count(), SSRCS.len());
}

// [RFC 3711 §3.2.1 test] "separate replay lists and packet counters for
// each stream (SSRC) MUST still be maintained"
#[test]
fn interleaved_ssrcs_match_one_context_per_ssrc() {
    for (i, profile) in [P::AesCm128HmacSha1_80, P::AeadAes128Gcm, P::AeadAes256Gcm]
        .into_iter()
        .enumerate()
    {
        differential(profile, 0, 100 + i as u64);
    }
}

// [RFC 3711 §4.3.1 test] "when r > 0, a key derivation is performed
// whenever index mod r equals zero"
#[test]
fn interleaved_ssrcs_with_key_derivation_rate_keep_their_own_session_keys() {
    differential(P::AesCm128HmacSha1_80, 16, 7);
    differential(P::AeadAes128Gcm, 64, 8);
}

/// A forged packet of a new SSRC after the cached one must neither create
/// a stream nor disturb the cached stream; a failed packet of a known
/// other SSRC must not change which stream later packets reach.
#[test]
fn forged_and_unknown_ssrcs_leave_the_cached_stream_alone() {
    for profile in [P::AesCm128HmacSha1_80, P::AeadAes128Gcm] {
        let pol = policy(profile, 0);
        let mut tx = Context::new_outbound(&pol).unwrap();
        let mut rx = Context::new_inbound(&pol).unwrap();
        let mut a = rtp(1, SSRCS[0], 1);
        tx.protect_rtp(&mut a).unwrap();
        let mut b = rtp(1, SSRCS[1], 2);
        tx.protect_rtp(&mut b).unwrap();
        rx.unprotect_rtp(&mut a.clone()).unwrap();
        rx.unprotect_rtp(&mut b.clone()).unwrap();
        // Forged: an unknown SSRC with a genuine packet's bytes.
        let mut forged = b.clone();
        forged[8..12].copy_from_slice(&SSRCS[2].to_be_bytes());
        assert!(matches!(
            rx.unprotect_rtp(&mut forged),
            Err(Error::AuthenticationFailure { .. })
        ));
        assert_eq!(rx.stream_count(), 2);
        // A replay of the first SSRC's packet after the second one was
        // last is still caught (its own replay list, not the last one's).
        assert!(matches!(
            rx.unprotect_rtp(&mut a.clone()),
            Err(Error::Replayed { ssrc, .. }) if ssrc == SSRCS[0]
        ));
        // The same sequence number on the other SSRC is a new packet.
        let mut c = rtp(2, SSRCS[0], 3);
        tx.protect_rtp(&mut c).unwrap();
        let mut d = rtp(2, SSRCS[1], 4);
        tx.protect_rtp(&mut d).unwrap();
        rx.unprotect_rtp(&mut d).unwrap();
        rx.unprotect_rtp(&mut c).unwrap();
        assert_eq!(c, rtp(2, SSRCS[0], 3));
        assert_eq!(d, rtp(2, SSRCS[1], 4));
    }
}
