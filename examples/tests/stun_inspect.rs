//! Black-box tests of `rtclite inspect stun` (cli.md §1) on the real binary,
//! fed the RFC 5769 vectors extracted into rtclite-stun/tests/vectors.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

const REQUEST: &[u8] =
    include_bytes!("../../rtclite-stun/tests/vectors/rfc5769_sample_request.bin");
const IPV6: &[u8] =
    include_bytes!("../../rtclite-stun/tests/vectors/rfc5769_sample_ipv6_response.bin");
const LONG_TERM: &[u8] =
    include_bytes!("../../rtclite-stun/tests/vectors/rfc5769_sample_request_long_term.bin");
const B1: &[u8] = include_bytes!(
    "../../rtclite-stun/tests/vectors/rfc8489_b1_sample_request_sha256_userhash.bin"
);

fn run(extra: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtclite"))
        .args(["inspect", "stun"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(extra: &[&str], input: &[u8]) -> serde_json::Value {
    let out = run(extra, input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON value on one line");
    serde_json::from_str(&stdout).unwrap()
}

fn fails(extra: &[&str], input: &[u8]) -> String {
    let out = run(extra, input);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.lines().count(), 1);
    err
}

#[test]
fn rfc5769_sample_request_with_password() {
    let v = json(&["--password", "VOkJxbRl1RmTxUk/WvJxBt"], REQUEST);
    assert_eq!(v["class"], "request");
    assert_eq!(v["method"], "binding");
    assert_eq!(v["method_code"], 1);
    assert_eq!(v["transaction_id"], "b7e7a701bc34d686fa87dfae");
    assert_eq!(v["magic_cookie"], true);
    let types: Vec<&str> = v["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "SOFTWARE",
            "PRIORITY",
            "ICE-CONTROLLED",
            "USERNAME",
            "MESSAGE-INTEGRITY",
            "FINGERPRINT"
        ]
    );
    assert_eq!(v["attributes"][3]["value"], "evtj:h6vY");
    assert_eq!(v["attributes"][3]["code"], 6);
    assert_eq!(v["integrity"], "valid");
    assert_eq!(v["integrity_sha256"], "absent");
    assert_eq!(v["fingerprint"], "valid");
}

#[test]
fn integrity_is_unchecked_without_credentials_and_invalid_with_wrong_ones() {
    assert_eq!(json(&[], REQUEST)["integrity"], "unchecked");
    assert_eq!(
        json(&["--password", "wrong"], REQUEST)["integrity"],
        "invalid"
    );
}

#[test]
fn rfc5769_sample_ipv6_response_address() {
    let v = json(&["--password", "VOkJxbRl1RmTxUk/WvJxBt"], IPV6);
    assert_eq!(v["class"], "success");
    assert_eq!(v["attributes"][1]["type"], "XOR-MAPPED-ADDRESS");
    assert_eq!(v["attributes"][1]["code"], 32);
    assert_eq!(
        v["attributes"][1]["value"],
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
    );
    assert_eq!(v["integrity"], "valid");
}

#[test]
fn rfc5769_sample_request_long_term() {
    let user_realm_pass = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}:example.org:TheMatrIX";
    let v = json(&["--long-term", user_realm_pass], LONG_TERM);
    assert_eq!(v["integrity"], "valid");
    assert_eq!(v["fingerprint"], "absent");
    assert_eq!(v["attributes"][2]["value"], "example.org");
}

#[test]
fn classic_rfc3489_message() {
    // A Binding request without the magic cookie: 16-byte transaction ID.
    let mut m = vec![0x00, 0x01, 0x00, 0x00];
    m.extend_from_slice(&[0x11; 16]);
    let v = json(&[], &m);
    assert_eq!(v["magic_cookie"], false);
    assert_eq!(v["transaction_id"], "11".repeat(16));
    assert_eq!(v["attributes"].as_array().unwrap().len(), 0);
}

#[test]
fn invalid_inputs_name_the_problem() {
    let err = fails(&[], B1);
    assert!(
        err.contains("message length 156") && err.contains("RFC 8489 §5"),
        "{err}"
    );
    let err = fails(&[], &REQUEST[..50]);
    assert!(err.contains("message length"), "{err}");
    let err = fails(&[], &[0x80; 20]);
    assert!(err.contains("most significant 2 bits"), "{err}");
    let mut truncated = REQUEST.to_vec();
    truncated[2..4].copy_from_slice(&8u16.to_be_bytes());
    truncated.truncate(28);
    truncated[22..24].copy_from_slice(&100u16.to_be_bytes());
    let err = fails(&[], &truncated);
    assert!(err.contains("offset 20"), "{err}");
}
