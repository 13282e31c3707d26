//! SIPp against our endpoints: `sipp -sn uac` calls `rtclite echo` and
//! `rtclite phone --answer`; `rtclite phone --call` calls `sipp -sn uas`.
//! SIPp's own statistics must show every call successful, none failed and
//! no unexpected message; our endpoints must report the calls.
//!
//! SIPp's built-in scenarios send no RTP, so media is checked elsewhere
//! (phone_echo.rs, demo.rs, baresip_*.rs); here the SIP exchange and the
//! SDP answer (PCMU, the only codec SIPp offers) are what is tested.
//!
//! Loopback only, free ports, every process bounded in time and killed by
//! PID. Without SIPp the tests fail when `CI=true` and say so loudly
//! otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/baresip/support.rs"]
mod endpoint_support;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::process::Command;
use std::time::Duration;

use endpoint_support::{Endpoint, events};
use sipp_support::{Background, free_udp_ports, peer, run_sipp};

fn sipp_uac(sipp: &std::path::Path, target: &str, calls: u64) {
    let port = free_udp_ports(1)[0].to_string();
    let (ok, stats) = run_sipp(
        sipp,
        &[
            "-sn",
            "uac",
            "-i",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            &calls.to_string(),
            "-r",
            "5",
            "-timeout",
            "30s",
            target,
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "SIPp UAC reported failed calls: {:?}", stats.0);
    stats.assert_clean(calls);
}

#[test]
fn sipp_uac_calls_rtclite_echo() {
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "60",
    ]);
    let addr = echo.listening();
    sipp_uac(&sipp, &addr, 5);
    echo.wait_for_n("summary", 5, Duration::from_secs(10));
    let answered = events(&echo.seen, "answered");
    assert_eq!(answered.len(), 5);
    assert!(
        answered
            .iter()
            .all(|a| a["codec"] == "PCMU" && a["srtp"].is_null())
    );
    assert_eq!(events(&echo.seen, "ended").len(), 5);
}

#[test]
fn sipp_uac_calls_rtclite_phone_answer() {
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    let mut phone = Endpoint::start(&[
        "phone",
        "--answer",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "30",
    ]);
    let addr = phone.listening();
    sipp_uac(&sipp, &addr, 1);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(20));
    assert!(ok, "{stderr}");
    assert_eq!(events(&seen, "incoming_call").len(), 1);
    assert_eq!(events(&seen, "established")[0]["codec"], "PCMU");
    assert_eq!(events(&seen, "ended")[0]["reason"], "the peer hung up");
    // We sent media to SIPp's media port for the call's life.
    let s = events(&seen, "summary")[0];
    assert!(s["setup_ms"].as_f64().is_some(), "{s}");
}

#[test]
fn rtclite_phone_calls_sipp_uas() {
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    let port = free_udp_ports(1)[0].to_string();
    let dir = std::env::temp_dir().join(format!("rtclite-sipp-uas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stf = dir.join("stat.csv");
    let mut uas = Background::spawn(
        "sipp uas",
        Command::new(&sipp)
            .current_dir(&dir)
            .args([
                "-sn",
                "uas",
                "-i",
                "127.0.0.1",
                "-p",
                &port,
                "-m",
                "1",
                "-timeout",
                "30s",
                "-nostdin",
                "-trace_stat",
                "-fd",
                "1",
                "-stf",
            ])
            .arg(&stf),
        None,
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        uas.running(),
        "sipp uas exited at start (port {port} taken?)"
    );
    let target = format!("sip:service@127.0.0.1:{port}");
    let phone = Endpoint::start(&[
        "phone",
        "--call",
        &target,
        "--duration",
        "1",
        "--codec",
        "pcmu",
        "--tone",
        "440",
        "--dtmf",
        "1",
        "--dtmf-after",
        "0.2",
        "--json",
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(20));
    assert!(ok, "{stderr}\n{seen:#?}");
    assert_eq!(events(&seen, "established")[0]["codec"], "PCMU");
    // SIPp's answer has no telephone-event: the digits are not sent, and
    // the phone says so.
    assert_eq!(events(&seen, "dtmf_unavailable").len(), 1, "{seen:#?}");
    let s = events(&seen, "summary")[0];
    assert_eq!(s["dtmf_sent"], 0);
    // One second of 20 ms PCMU frames went to SIPp's media port.
    assert!(s["packets_sent"].as_u64().unwrap() >= 49, "{s}");
    // SIPp's UAS ends after its one call; its statistics count it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while uas.running() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!uas.running(), "sipp uas did not finish its call");
    let text = std::fs::read_to_string(&stf).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let last: Vec<&str> = lines.next_back().unwrap().split(';').collect();
    let get = |name: &str| -> u64 {
        let i = header.iter().position(|h| *h == name).unwrap();
        last[i].parse().unwrap()
    };
    assert_eq!(get("SuccessfulCall(C)"), 1, "{text}");
    assert_eq!(get("FailedCall(C)"), 0, "{text}");
    assert_eq!(get("FailedUnexpectedMessage(C)"), 0, "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
