//! Black-box tests of `rtclite inspect sdp` (cli.md §1) on the real binary.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

fn vector(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../rtclite-sdp/tests/vectors")
        .join(name)
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../rtclite-sdp/tests/fixtures")
        .join(name)
}

fn run_stdin(input: &[u8]) -> Output {
    common::rtclite(&["inspect", "sdp"], input)
}

fn run_file(path: &PathBuf) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_rtclite"))
        .args(["inspect", "sdp"])
        .arg(path)
        .output()
        .unwrap();
    common::one_json_line(&out)
}

#[test]
fn rfc8866_5_example_fields() {
    let v = run_file(&vector("rfc8866_5.sdp"));
    assert_eq!(v["version"], 0);
    assert_eq!(
        v["origin"],
        serde_json::json!({"username": "jdoe", "sess_id": "3724394400", "sess_version": "3724394405",
                           "nettype": "IN", "addrtype": "IP4", "address": "198.51.100.1"})
    );
    assert_eq!(v["session_name"], "Call to John Smith");
    assert_eq!(v["connection"]["address"], "198.51.100.1");
    assert_eq!(v["timing"], serde_json::json!([{"start": 0, "stop": 0}]));
    assert_eq!(v["attributes"], serde_json::json!([]));
    let media = v["media"].as_array().unwrap();
    assert_eq!(media.len(), 3);
    assert_eq!(media[0]["media"], "audio");
    assert_eq!(media[0]["port"], 49170);
    assert_eq!(media[0]["num_ports"], serde_json::Value::Null);
    assert_eq!(media[0]["proto"], "RTP/AVP");
    assert_eq!(media[0]["formats"], serde_json::json!(["0"]));
    assert_eq!(media[0]["connection"], serde_json::Value::Null);
    assert_eq!(media[0]["direction"], "sendrecv");
    assert_eq!(media[2]["connection"]["address"], "2001:db8::2");
    assert_eq!(
        media[2]["rtpmap"],
        serde_json::json!([{"pt": 99, "encoding": "h263-1998", "clock_rate": 90000, "channels": null}])
    );
    assert_eq!(
        media[2]["attributes"],
        serde_json::json!([{"name": "rtpmap", "value": "99 h263-1998/90000"}])
    );
}

#[test]
fn rfc8866_6_7_effective_direction() {
    let v = run_file(&vector("rfc8866_6.7.sdp"));
    assert_eq!(
        v["attributes"],
        serde_json::json!([{"name": "inactive", "value": null}])
    );
    let dirs: Vec<_> = v["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["direction"].clone())
        .collect();
    assert_eq!(dirs, ["sendrecv", "inactive", "inactive"]);
}

#[test]
fn browser_offer_bundle_and_flags() {
    let v = run_file(&fixture("chrome107_video_datachannel_offer.sdp"));
    assert_eq!(
        v["attributes"][0],
        serde_json::json!({"name": "group", "value": "BUNDLE 0 1"})
    );
    assert_eq!(
        v["attributes"][1],
        serde_json::json!({"name": "extmap-allow-mixed", "value": null})
    );
    let video = &v["media"][0];
    assert_eq!(video["connection"]["address"], "0.0.0.0");
    assert_eq!(
        video["rtpmap"][0],
        serde_json::json!({"pt": 96, "encoding": "VP8", "clock_rate": 90000, "channels": null})
    );
    assert_eq!(
        video["fmtp"][0],
        serde_json::json!({"pt": 97, "params": "apt=96"})
    );
    assert!(
        video["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "rtcp-mux" && a["value"].is_null())
    );
    assert_eq!(
        v["media"][1]["formats"],
        serde_json::json!(["webrtc-datachannel"])
    );
    assert_eq!(v["media"][1]["rtpmap"], serde_json::json!([]));
}

#[test]
fn sip_phone_offer_opus_fmtp() {
    let v = run_file(&fixture("baresip_1.0_offer.sdp"));
    let audio = &v["media"][0];
    assert_eq!(
        audio["rtpmap"][0],
        serde_json::json!({"pt": 96, "encoding": "opus", "clock_rate": 48000, "channels": 2})
    );
    assert_eq!(
        audio["fmtp"][0],
        serde_json::json!({"pt": 96, "params": "stereo=1;sprop-stereo=1"})
    );
    assert_eq!(audio["direction"], "sendrecv");
}

#[test]
fn stdin_with_lf_only_and_bandwidth() {
    let out = run_stdin(
        b"v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nb=AS:64\nt=0 0\nm=audio 9 RTP/AVP 0\na=sendonly\n",
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["bandwidths"],
        serde_json::json!([{"type": "AS", "value": 64}])
    );
    assert_eq!(v["media"][0]["direction"], "sendonly");
}

#[test]
fn invalid_input_exits_1_with_one_error_line_naming_the_line() {
    // m= port out of range on line 6.
    let out = run_stdin(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<_> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("line 6"), "{err}");
    assert!(lines[0].contains("RFC 8866 §5.14"), "{err}");
}

#[test]
fn out_of_order_lines_are_rejected() {
    // RFC 3264 §9 Figure 1 puts "t=" before "c=", which RFC 8866 §5 forbids.
    let out = run_stdin(b"v=0\r\no=carol 1 1 IN IP4 100.3.6.6\r\ns=-\r\nt=0 0\r\nc=IN IP4 192.0.2.4\r\nm=audio 0 RTP/AVP 0\r\n");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 5") && err.contains("\"c=\""), "{err}");
}
