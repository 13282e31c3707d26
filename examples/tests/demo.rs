//! `rtclite demo` (the README's main command): a proxy, an echo and a
//! phone in one process on loopback; the phone registers with digest
//! authentication, calls the echo through the proxy with Opus over SRTP,
//! plays a test signal and records the echo. The test checks the exit
//! status, each step printed, and the quality line: the echo must come
//! back recognisably (cross-correlation, SNR of at least 4 dB, the demo's
//! own threshold) with no packet lost on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::Duration;

#[test]
fn demo_call_works_end_to_end_with_its_quality_line() {
    let (ok, out, err) = common::run_bounded(
        Command::new(env!("CARGO_BIN_EXE_rtclite")).arg("demo"),
        Duration::from_secs(60),
    );
    assert!(ok, "demo failed:\n{out}\n{err}");
    for step in [
        "echo    registered sip:echo@127.0.0.1 (digest",
        "alice   registered sip:alice@127.0.0.1 (digest",
        "alice   established in ",
        ": opus over SRTP AES_CM_128_HMAC_SHA1_80",
        "echo    answered ",
        "alice   hung up",
        "echo    call ended: the peer hung up",
        "quality round-trip latency ",
        "demo    every step worked",
    ] {
        assert!(out.contains(step), "missing {step:?} in:\n{out}");
    }
    let quality: serde_json::Value = out
        .lines()
        .find(|l| l.starts_with('{') && l.contains("\"quality\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap_or_else(|| panic!("no quality JSON line:\n{out}"));
    let snr = quality["snr_db"].as_f64().unwrap();
    assert!(snr >= 4.0, "SNR {snr} dB:\n{out}");
    assert!(quality["correlation"].as_f64().unwrap() > 0.8, "{quality}");
    assert_eq!(quality["lost"], 0, "{quality}");
    assert!(quality["expected"].as_u64().unwrap() >= 170, "{quality}");
    // Two legs on loopback, two 20 ms playout buffers and two Opus
    // look-aheads: tens of milliseconds, not hundreds.
    let rt = quality["round_trip_ms"].as_f64().unwrap();
    assert!((30.0..300.0).contains(&rt), "{quality}");
    assert!(
        quality["rtt_ms"].as_f64().is_some(),
        "RTCP RTT measured: {quality}"
    );
}
