//! Differential test against libsrtp2 (the reference C implementation).
//!
//! `benches/c/srtp_peer.c` is compiled against the system libsrtp2 (Debian
//! `libsrtp2-dev`) and speaks the same hex-line protocol as `rtclite srtp`.
//! For every profile, thousands of random RTP and RTCP packets (CSRCs,
//! header extensions, padding, two SSRCs, a sequence-number wrap) are
//! protected by both sides and must be byte-identical; then a receive
//! stream with reordering, replays and tampered copies is unprotected by
//! both sides, which must agree packet by packet and recover the original
//! plaintext.
//!
//! When `cc` or libsrtp2 is missing the test fails under `CI=true` and says
//! so loudly otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtclite_srtp::{Context, Error, MasterKey, Policy, ProtectionProfile};

const RTP_PACKETS: usize = 2000;
const RTCP_PACKETS: usize = 300;
const SSRCS: [u32; 2] = [0x1234_5678, 0xdead_beef];
const WINDOW: u64 = 1024;

fn peer() -> Option<PathBuf> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../benches/c/srtp_peer.c");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("srtp_peer");
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libsrtp2"])
        .output()
        .ok()?;
    if !flags.status.success() {
        return None;
    }
    let flags = String::from_utf8(flags.stdout).ok()?;
    let status = Command::new("cc")
        .arg("-O2")
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .args(flags.split_whitespace())
        .status()
        .ok()?;
    status.success().then_some(out)
}

fn peer_or_skip() -> Option<PathBuf> {
    match peer() {
        Some(p) => Some(p),
        None => {
            let msg = "libsrtp2 differential test NOT RUN: needs `cc`, pkg-config and \
                       libsrtp2-dev (apt-get install libsrtp2-dev; scripts/setup installs it)";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg}");
            }
            eprintln!("\n!!!!!!!!!! {msg} !!!!!!!!!!\n");
            None
        }
    }
}

/// Runs the libsrtp peer on hex lines; returns its output lines.
fn run_peer(
    peer: &PathBuf,
    mode: &str,
    profile: ProtectionProfile,
    key: &[u8],
    kind: &str,
    input: &[Vec<u8>],
) -> Vec<String> {
    let mut child = Command::new(peer)
        .args([mode, profile.name(), &hex(key), kind, &WINDOW.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let text: String = input.iter().map(|p| hex(p) + "\n").collect();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "srtp_peer {mode} {profile} {kind} failed"
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), input.len(), "one output line per packet");
    lines
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn rtp_packets(rng: &mut ChaCha8Rng) -> Vec<Vec<u8>> {
    // Start 500 packets before the wrap so the ROC increments mid-stream.
    let mut seq = [65_536u32 - 500, 65_536 - 450];
    let mut out = Vec::new();
    for _ in 0..RTP_PACKETS {
        let which = rng.random_range(0..2);
        let s = seq[which] as u16;
        seq[which] += 1;
        let cc = rng.random_range(0..4u8);
        let ext = rng.random_bool(0.3);
        let pad = rng.random_bool(0.1);
        let mut p = vec![0x80 | (u8::from(pad) << 5) | (u8::from(ext) << 4) | cc];
        p.push(rng.random_range(0..128u8) | if rng.random_bool(0.1) { 0x80 } else { 0 });
        p.extend_from_slice(&s.to_be_bytes());
        p.extend_from_slice(&rng.next_u32().to_be_bytes());
        p.extend_from_slice(&SSRCS[which].to_be_bytes());
        for _ in 0..cc {
            p.extend_from_slice(&rng.next_u32().to_be_bytes());
        }
        if ext {
            let words = rng.random_range(0..4u16);
            p.extend_from_slice(&[0xbe, 0xde]);
            p.extend_from_slice(&words.to_be_bytes());
            for _ in 0..words {
                p.extend_from_slice(&rng.next_u32().to_be_bytes());
            }
        }
        let n = rng.random_range(0..240);
        let start = p.len();
        p.resize(start + n, 0);
        rng.fill_bytes(&mut p[start..]);
        if pad {
            let count = rng.random_range(1..8u8);
            p.extend(std::iter::repeat_n(0, usize::from(count - 1)));
            p.push(count);
        }
        out.push(p);
    }
    out
}

fn rtcp_packets(rng: &mut ChaCha8Rng) -> Vec<Vec<u8>> {
    (0..RTCP_PACKETS)
        .map(|_| {
            let words = rng.random_range(1..60u16);
            let mut p = vec![
                0x80 | rng.random_range(0..4u8),
                if rng.random_bool(0.5) { 200 } else { 201 },
            ];
            p.extend_from_slice(&words.to_be_bytes());
            p.extend_from_slice(&SSRCS[rng.random_range(0..2)].to_be_bytes());
            let start = p.len();
            p.resize(start + 4 * usize::from(words - 1), 0);
            rng.fill_bytes(&mut p[start..]);
            p
        })
        .collect()
}

/// What a receiver is fed, and what it should make of it.
struct Delivery {
    packet: Vec<u8>,
    /// Index of the genuine packet, or None for a replay or tampered copy.
    genuine: Option<usize>,
}

fn receive_stream(rng: &mut ChaCha8Rng, protected: &[Vec<u8>]) -> Vec<Delivery> {
    let mut order: Vec<usize> = (0..protected.len()).collect();
    // Reorder: swap neighbours, and now and then hold a packet back.
    for i in 0..order.len().saturating_sub(1) {
        if rng.random_bool(0.2) {
            order.swap(i, i + 1);
        }
    }
    for _ in 0..order.len() / 50 {
        let from = rng.random_range(0..order.len());
        let to = (from + rng.random_range(1..30)).min(order.len() - 1);
        let item = order.remove(from);
        order.insert(to, item);
    }
    let mut out: Vec<Delivery> = Vec::new();
    for &i in &order {
        if rng.random_bool(0.05) {
            let mut t = protected[i].clone();
            let at = rng.random_range(0..t.len());
            t[at] ^= 1 << rng.random_range(0..8);
            out.push(Delivery {
                packet: t,
                genuine: None,
            });
        }
        out.push(Delivery {
            packet: protected[i].clone(),
            genuine: Some(i),
        });
        if rng.random_bool(0.05) {
            let back = rng.random_range(0..out.len().min(40));
            let p = out[out.len() - 1 - back].packet.clone();
            out.push(Delivery {
                packet: p,
                genuine: None,
            });
        }
    }
    out
}

fn category(e: &Error) -> &'static str {
    match e {
        Error::AuthenticationFailure { .. } => "error: auth",
        Error::Replayed { .. } => "error: replay",
        Error::TooOld { .. } => "error: old",
        _ => "error: malformed",
    }
}

fn differential(peer: &PathBuf, profile: ProtectionProfile, seed: u64) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut key_salt = vec![0u8; profile.master_key_len() + profile.master_salt_len()];
    rng.fill_bytes(&mut key_salt);
    let policy = Policy::new(
        profile,
        MasterKey::from_concatenated(profile, &key_salt).unwrap(),
    )
    .with_replay_window(WINDOW);
    let mut compared = 0;
    let mut rejected = 0;
    for rtcp in [false, true] {
        let kind = if rtcp { "rtcp" } else { "rtp" };
        let plain = if rtcp {
            rtcp_packets(&mut rng)
        } else {
            rtp_packets(&mut rng)
        };
        let mut tx = Context::new_outbound(&policy).unwrap();
        if rtcp {
            // libsrtp sends its first SRTCP packet with index 1 (it counts
            // before use); RFC 3711 §3.4 starts at 0. Align for the comparison.
            for ssrc in SSRCS {
                tx.set_srtcp_index(ssrc, 1).unwrap();
            }
        }
        let ours: Vec<Vec<u8>> = plain
            .iter()
            .map(|p| {
                let mut b = p.clone();
                if rtcp {
                    tx.protect_rtcp(&mut b)
                } else {
                    tx.protect_rtp(&mut b)
                }
                .unwrap();
                b
            })
            .collect();
        if !rtcp {
            assert_eq!(tx.roc(SSRCS[0]), Some(1), "{profile}: the stream wrapped");
            assert_eq!(tx.roc(SSRCS[1]), Some(1), "{profile}: the stream wrapped");
        }
        let theirs = run_peer(peer, "protect", profile, &key_salt, kind, &plain);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                &hex(a),
                b,
                "{profile} {kind} packet {i}: protect differs from libsrtp"
            );
        }
        compared += ours.len();

        let stream = receive_stream(&mut rng, &ours);
        let input: Vec<Vec<u8>> = stream.iter().map(|d| d.packet.clone()).collect();
        let theirs = run_peer(peer, "unprotect", profile, &key_salt, kind, &input);
        let mut rx = Context::new_inbound(&policy).unwrap();
        for (n, (d, their)) in stream.iter().zip(&theirs).enumerate() {
            let mut b = d.packet.clone();
            let r = if rtcp {
                rx.unprotect_rtcp(&mut b)
            } else {
                rx.unprotect_rtp(&mut b)
            };
            match (&r, d.genuine) {
                (Ok(()), Some(i)) => {
                    assert_eq!(
                        b, plain[i],
                        "{profile} {kind} delivery {n}: wrong plaintext"
                    );
                    assert_eq!(
                        &hex(&b),
                        their,
                        "{profile} {kind} delivery {n}: libsrtp differs"
                    );
                }
                (Err(e), None) => {
                    rejected += 1;
                    assert!(
                        their.starts_with("error:"),
                        "{profile} {kind} delivery {n}: libsrtp accepted what we rejected ({e})"
                    );
                    if category(e) != "error: malformed" {
                        assert_eq!(category(e), their, "{profile} {kind} delivery {n}: {e}");
                    }
                }
                (r, g) => {
                    panic!("{profile} {kind} delivery {n} (genuine {g:?}): {r:?}, libsrtp: {their}")
                }
            }
        }
    }
    (compared, rejected)
}

#[test]
fn libsrtp_agrees_on_every_profile() {
    let Some(peer) = peer_or_skip() else { return };
    let mut total = 0;
    let mut rejected = 0;
    for (seed, profile) in ProtectionProfile::ALL.into_iter().enumerate() {
        let (c, r) = differential(&peer, profile, 0x5e_ed00 + seed as u64);
        total += c;
        rejected += r;
    }
    eprintln!(
        "libsrtp differential: {total} packets byte-identical, {rejected} replays/tampered rejected by both"
    );
    assert!(total >= 7 * (RTP_PACKETS + RTCP_PACKETS));
    assert!(rejected > 500);
}
