//! Black-box tests of `rtclite inspect rtp` and `rtclite inspect rtcp`
//! (cli.md §1) on the real binary.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Output;

fn run(proto: &str, extra: &[&str], input: &[u8]) -> Output {
    let mut args = vec!["inspect", proto];
    args.extend_from_slice(extra);
    common::rtclite(&args, input)
}

fn json(proto: &str, input: &[u8]) -> serde_json::Value {
    common::one_json_line(&run(proto, &[], input))
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rtp_fields_match_the_cli_contract() {
    // PCMU, seq 1, ts 160, SSRC 0x12345678, one-byte extension with one
    // element (id 1, 1 byte), 4 payload bytes.
    let pkt = hex("9000 0001 000000a0 12345678 bede0001 10ff0000 d5d5d5d5");
    let v = json("rtp", &pkt);
    assert_eq!(v["version"], 2);
    assert_eq!(v["padding"], false);
    assert_eq!(v["marker"], false);
    assert_eq!(v["payload_type"], 0);
    assert_eq!(v["sequence"], 1);
    assert_eq!(v["timestamp"], 160);
    assert_eq!(v["ssrc"], 305_419_896);
    assert_eq!(v["csrcs"], serde_json::json!([]));
    assert_eq!(v["extension"]["profile"], 48862);
    assert_eq!(
        v["extension"]["elements"],
        serde_json::json!([{"id": 1, "len": 1}])
    );
    assert_eq!(v["payload_len"], 4);
}

#[test]
fn rtp_without_extension_prints_null_and_csrcs_as_integers() {
    let pkt = hex("81e0 ffff 00000000 00000001 00000002 abcd");
    let v = json("rtp", &pkt);
    assert_eq!(v["extension"], serde_json::Value::Null);
    assert_eq!(v["marker"], true);
    assert_eq!(v["payload_type"], 96);
    assert_eq!(v["sequence"], 65535);
    assert_eq!(v["csrcs"], serde_json::json!([2]));
    assert_eq!(v["payload_len"], 2);
}

#[test]
fn invalid_rtp_exits_1_with_one_error_line() {
    let out = run("rtp", &[], &hex("4000 0001 000000a0 12345678"));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: RTP version 1"), "{err}");
    assert!(err.contains("RFC 3550"), "{err}");
}

#[test]
fn rtcp_sr_sdes_compound() {
    // SR with one report block, then SDES CNAME "a@b".
    let pkt = hex(
        "81c8000c 00000007 e1a00000 80000000 000000a0 0000000a 00000640
         01020304 40fffffd 00010010 0000004d 12345678 00010000
         81ca0003 00000007 01036140 62000000",
    );
    let v = json("rtcp", &pkt);
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["type"], "SR");
    assert_eq!(arr[0]["ssrc"], 7);
    assert_eq!(arr[0]["ntp_timestamp"], 0xe1a0_0000_8000_0000u64);
    assert_eq!(arr[0]["rtp_timestamp"], 160);
    assert_eq!(arr[0]["packet_count"], 10);
    assert_eq!(arr[0]["octet_count"], 1600);
    let r = &arr[0]["reports"][0];
    assert_eq!(r["ssrc"], 0x0102_0304);
    assert_eq!(r["fraction_lost"], 64);
    assert_eq!(r["cumulative_lost"], -3);
    assert_eq!(r["highest_seq"], 65552);
    assert_eq!(r["jitter"], 77);
    assert_eq!(r["lsr"], 0x1234_5678);
    assert_eq!(r["dlsr"], 65536);
    assert_eq!(arr[1]["type"], "SDES");
    assert_eq!(arr[1]["chunks"][0]["ssrc"], 7);
    assert_eq!(arr[1]["chunks"][0]["items"][0]["type"], "CNAME");
    assert_eq!(arr[1]["chunks"][0]["items"][0]["value"], "a@b");
}

#[test]
fn rtcp_unknown_type_and_feedback() {
    // RR, PLI, and an unknown packet type 210.
    let pkt = hex("80c90001 00000001 81ce0002 00000001 00000002 80d20000");
    let v = json("rtcp", &pkt);
    let arr = v.as_array().unwrap();
    assert_eq!(arr[0]["type"], "RR");
    assert_eq!(arr[0]["reports"], serde_json::json!([]));
    assert_eq!(arr[1]["type"], "PSFB");
    assert_eq!(arr[1]["feedback"], "pli");
    assert_eq!(arr[2]["type"], "unknown-210");
}

#[test]
fn rtcp_not_starting_with_a_report_is_invalid_unless_reduced_size() {
    let pli = hex("81ce0002 00000001 00000002");
    let out = run("rtcp", &[], &pli);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: compound RTCP packet starts with packet type 206"),
        "{err}"
    );
    assert!(err.contains("RFC 3550 §6.1"), "{err}");
    let out = run("rtcp", &["--reduced-size"], &pli);
    assert!(out.status.success());
}

#[test]
fn rtcp_bad_length_is_invalid() {
    let out = run("rtcp", &[], &hex("80c90005 00000001"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("offset 0 announces 24 bytes"), "{err}");
}
