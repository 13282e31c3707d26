//! Black-box tests of `rtclite inspect opus` (cli.md §1) on the real binary:
//! the JSON fields of the contract, and exit 1 with the rule named for every
//! rule R1–R7 of RFC 6716 §3.4.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Output};

fn run(input: &[u8]) -> Output {
    common::rtclite(&["inspect", "opus"], input)
}

fn json(input: &[u8]) -> serde_json::Value {
    common::one_json_line(&run(input))
}

#[test]
fn cli_contract_example_hybrid_swb_code_1() {
    // The contract's own example: config 12, mono, code 1, two 60-byte frames.
    let mut packet = vec![(12 << 3) | 1];
    packet.extend(std::iter::repeat_n(0x55, 120));
    let v = json(&packet);
    assert_eq!(
        v,
        serde_json::json!({
            "config": 12, "mode": "hybrid", "bandwidth": "superwideband", "frame_ms": 10.0,
            "stereo": false, "code": 1, "frame_count": 2, "frame_lens": [60, 60],
            "padding_len": 0, "duration_ms": 20.0, "vbr": false, "len": 121
        })
    );
}

#[test]
fn code_3_vbr_with_padding_from_a_file() {
    // CELT FB 2.5 ms stereo, code 3: VBR, padding, M=3; padding 2 bytes;
    // lengths 1 and 2; frames of 1, 2 and 3 bytes.
    let packet = [(28 << 3) | 4 | 3, 0xc3, 2, 1, 2, 9, 8, 8, 7, 7, 7, 0, 0];
    let path = std::env::temp_dir().join(format!("rtclite-opus-{}.bin", std::process::id()));
    std::fs::write(&path, packet).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rtclite"))
        .args(["inspect", "opus"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "celt");
    assert_eq!(v["bandwidth"], "fullband");
    assert_eq!(v["frame_ms"], 2.5);
    assert_eq!(v["stereo"], true);
    assert_eq!(v["code"], 3);
    assert_eq!(v["frame_lens"], serde_json::json!([1, 2, 3]));
    assert_eq!(v["padding_len"], 2);
    assert_eq!(v["duration_ms"], 7.5);
}

#[test]
fn every_rule_violation_exits_1_naming_the_rule() {
    let mut long = vec![0x08u8];
    long.resize(1277, 0);
    let cases: [(&[u8], &str); 7] = [
        (&[], "[R1]"),
        (&long, "[R2]"),
        (&[0x09, 1], "[R3]"),
        (&[0x0a, 5, 1], "[R4]"),
        (&[(19 << 3) | 3, 0], "[R5]"),
        (&[(19 << 3) | 3, 0x02, 1, 2, 3], "[R6]"),
        (&[(19 << 3) | 3, 0x82, 5, 1, 2], "[R7]"),
    ];
    for (input, rule) in cases {
        let out = run(input);
        assert_eq!(out.status.code(), Some(1), "{rule}");
        assert!(out.stdout.is_empty(), "{rule}: nothing on stdout");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{rule}: one line: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(rule), "{rule} not named in {stderr}");
        assert!(stderr.contains("RFC 6716 §3"), "{stderr}");
    }
}
