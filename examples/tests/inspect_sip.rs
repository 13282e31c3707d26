//! Black-box tests of `rtclite inspect sip` (cli.md §1) on the real binary,
//! fed with RFC 4475 torture messages.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Output};

fn vector(tag: &str) -> Vec<u8> {
    let p = format!(
        "{}/../rtclite-sip/tests/vectors/rfc4475/{tag}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn run_stdin(input: &[u8]) -> Output {
    common::rtclite(&["inspect", "sip"], input)
}

fn json(input: &[u8]) -> serde_json::Value {
    common::one_json_line(&run_stdin(input))
}

// [RFC 4475 §3.1.1.1 test] "This short, relatively human-readable message contains:"
#[test]
fn inspect_sip_wsinv_request_fields() {
    let v = json(&vector("wsinv"));
    assert_eq!(v["kind"], "request");
    assert_eq!(v["method"], "INVITE");
    assert_eq!(
        v["request_uri"],
        "sip:vivekg@chair-dnrc.example.com;unknownparam"
    );
    assert_eq!(v["status"], serde_json::Value::Null);
    assert_eq!(v["reason"], serde_json::Value::Null);
    assert_eq!(v["call_id"], "wsinv.ndaksdj@192.0.2.1");
    assert_eq!(v["cseq"]["seq"], 9);
    assert_eq!(v["cseq"]["method"], "INVITE");
    assert_eq!(v["from"]["uri"], "sip:jdrosen@example.com");
    assert_eq!(v["from"]["display_name"], "J Rosenberg \\\"");
    assert_eq!(v["from"]["tag"], "98asjd8");
    assert_eq!(v["to"]["tag"], "1918181833n");
    assert_eq!(v["to"]["display_name"], serde_json::Value::Null);
    let via = v["via"].as_array().unwrap();
    assert_eq!(via.len(), 3);
    assert_eq!(via[0]["protocol"], "SIP/2.0/UDP");
    assert_eq!(via[0]["host"], "192.0.2.2");
    assert_eq!(via[0]["branch"], "390skdjuw");
    assert_eq!(via[1]["protocol"], "SIP/2.0/TCP");
    assert_eq!(v["max_forwards"], 68);
    assert_eq!(v["content_type"], "application/sdp");
    assert_eq!(v["content_length"], 150);
    assert_eq!(v["body_len"], 150);
    let headers = v["headers"].as_array().unwrap();
    // long-form names in wire order, one entry per value, folding undone
    assert_eq!(headers[0][0], "To");
    assert_eq!(headers[5], serde_json::json!(["CSeq", "0009 INVITE"]));
    assert!(headers.iter().any(|h| h[0] == "Subject" && h[1] == ""));
    assert!(headers.iter().any(
        |h| h[0] == "NewFangledHeader" && h[1] == "newfangled value continued newfangled value"
    ));
    assert_eq!(headers.iter().filter(|h| h[0] == "Via").count(), 3);
}

// [RFC 4475 §3.1.1.13 test] "This well-formed response contains no reason"
#[test]
fn inspect_sip_response_from_file() {
    let path = format!(
        "{}/../rtclite-sip/tests/vectors/rfc4475/noreason.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_rtclite"))
        .args(["inspect", "sip", &path])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "response");
    assert_eq!(v["status"], 100);
    assert_eq!(v["reason"], "");
    assert_eq!(v["method"], serde_json::Value::Null);
    assert_eq!(v["request_uri"], serde_json::Value::Null);
    assert_eq!(v["max_forwards"], serde_json::Value::Null);
    assert_eq!(v["content_length"], 0);
}

// [RFC 4475 §3.1.1.8 test] "they are just spurious noise that must be
// ignored."
#[test]
fn inspect_sip_body_len_counts_bytes_present() {
    let v = json(&vector("dblreq"));
    assert_eq!(v["method"], "REGISTER");
    assert_eq!(v["content_length"], 0);
    assert!(v["body_len"].as_u64().unwrap() > 0);
}

fn rejected(tag: &str, needle: &str) {
    let out = run_stdin(&vector(tag));
    assert_eq!(out.status.code(), Some(1), "{tag} must be rejected");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8(out.stderr).unwrap();
    let line = err.lines().last().unwrap();
    assert!(line.starts_with("error: "), "{line}");
    assert!(line.contains(needle), "{tag}: {line}");
}

// [RFC 4475 §3.1.2.17 test] "This request has mismatching values for"
#[test]
fn inspect_sip_rejects_cseq_mismatch() {
    rejected("mismatch01", "RFC 3261 §8.1.1.5");
}

// [RFC 4475 §3.1.2.2 test] "This is a request message with"
#[test]
fn inspect_sip_rejects_content_length_larger_than_body() {
    rejected("clerr", "RFC 3261 §18.3");
}

// [RFC 4475 §3.3.1 test] "This request contains no Call-ID, From,"
#[test]
fn inspect_sip_rejects_missing_headers() {
    rejected("insuf", "missing");
}

// [RFC 4475 §3.1.2.9 test] "This INVITE has illegal multiple SP"
#[test]
fn inspect_sip_rejects_bad_start_line() {
    rejected("lwsstart", "RFC 3261 §7.1");
}

#[test]
fn inspect_sip_max_forwards_is_not_required() {
    let msg = b"OPTIONS sip:a@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n\
From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n\
Call-ID: x1\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let v = json(msg);
    assert_eq!(v["max_forwards"], serde_json::Value::Null);
    assert_eq!(v["content_length"], serde_json::Value::Null);
    assert_eq!(v["body_len"], 0);
}
