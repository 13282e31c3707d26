//! Black-box tests of `rtclite srtp protect|unprotect` (cli.md §2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test

use std::io::Write;
use std::process::{Command, Output, Stdio};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d";

fn rtclite(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtclite"))
        .arg("srtp")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn rtp(seq: u16) -> String {
    format!("8000{seq:04x}000000a012345678{}", "ab".repeat(20))
}

#[test]
fn protect_then_unprotect_round_trips_and_keeps_state_across_lines() {
    for (profile, key_len) in [
        ("AES_CM_128_HMAC_SHA1_80", 30),
        ("AES_CM_128_HMAC_SHA1_32", 30),
        ("AES_256_CM_HMAC_SHA1_80", 46),
        ("AES_256_CM_HMAC_SHA1_32", 46),
        ("AEAD_AES_128_GCM", 28),
        ("AEAD_AES_256_GCM", 44),
        ("NULL_HMAC_SHA1_80", 30),
    ] {
        let key: String = (0..key_len).map(|i| format!("{i:02x}")).collect();
        // A sequence-number wrap: the rollover counter carries from line to line.
        let plain: Vec<String> = [65_534u16, 65_535, 0, 1].iter().map(|&s| rtp(s)).collect();
        let out = rtclite(
            &["protect", "--profile", profile, "--key", &key],
            &(plain.join("\n") + "\n"),
        );
        assert!(
            out.status.success(),
            "{profile}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let protected = lines(&out);
        assert_eq!(protected.len(), 4);
        // Unprotect, with the third packet replayed at the end.
        let mut input = protected.clone();
        input.push(protected[2].clone());
        let out = rtclite(
            &["unprotect", "--profile", profile, "--key", &key],
            &(input.join("\n") + "\n"),
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{profile}: a failed line makes exit 1"
        );
        let got = lines(&out);
        assert_eq!(&got[..4], &plain[..]);
        assert!(
            got[4].starts_with("error: replayed packet"),
            "{profile}: {}",
            got[4]
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with("error: 1 of 5 packets failed (lines 5)"),
            "{stderr}"
        );
    }
}

#[test]
fn rtcp_and_failures_per_line() {
    let sr = format!("80c80006deadbeef{}", "11".repeat(20));
    let out = rtclite(
        &[
            "protect",
            "--rtcp",
            "--profile",
            "AES_CM_128_HMAC_SHA1_80",
            "--key",
            KEY,
        ],
        &format!("{sr}\n{sr}\nzz\n80c8\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 4);
    // E flag set, SRTCP index 0 then 1 (RFC 3711 §3.4).
    assert_eq!(&got[0][sr.len()..sr.len() + 8], "80000000");
    assert_eq!(&got[1][sr.len()..sr.len() + 8], "80000001");
    assert!(got[2].starts_with("error: not hex"), "{}", got[2]);
    assert!(got[3].starts_with("error: packet too short"), "{}", got[3]);
    let mut tampered = got[1].clone();
    let flipped = if &tampered[20..21] == "0" { "1" } else { "0" };
    tampered.replace_range(20..21, flipped);
    let out = rtclite(
        &[
            "unprotect",
            "--rtcp",
            "--profile",
            "AES_CM_128_HMAC_SHA1_80",
            "--key",
            KEY,
        ],
        &format!("{}\n{tampered}\n", got[0]),
    );
    let back = lines(&out);
    assert_eq!(back[0], sr);
    assert!(
        back[1].starts_with("error: authentication failure"),
        "{}",
        back[1]
    );
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        vec![
            "protect",
            "--profile",
            "AES_CM_128_HMAC_SHA1_99",
            "--key",
            KEY,
        ],
        vec!["protect", "--profile", "AEAD_AES_128_GCM", "--key", KEY], // 30 octets, GCM needs 28
        vec![
            "protect",
            "--profile",
            "AES_CM_128_HMAC_SHA1_80",
            "--key",
            "xyz",
        ],
        vec!["protect", "--profile", "AES_CM_128_HMAC_SHA1_80"],
    ] {
        let out = rtclite(&args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}
