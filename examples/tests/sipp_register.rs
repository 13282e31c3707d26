//! SIPp (Debian `sip-tester`) registers against `rtclite proxy` with digest
//! authentication (`-au`/`-ap`): each REGISTER is challenged with 401 and
//! the retry with credentials is accepted (RFC 3261 §10.2, §10.3, §22.2);
//! a wrong password is refused with a second 401.
//!
//! Loopback only, free ports, every process bounded in time and killed by
//! PID. Without SIPp the tests fail when `CI=true` and say so loudly
//! otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::time::Duration;

use sipp_support::{RtcliteProxy, fixtures, free_udp_ports, peer, run_sipp};

const REGISTRATIONS: u64 = 50;

fn users_file(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("rtclite-{name}-{}.users", std::process::id()));
    std::fs::write(&path, "# test users\nalice:wonderland\nbob:builder\n").unwrap();
    path
}

fn register_run(
    scenario: &str,
    password: &str,
    calls: u64,
) -> (bool, sipp_support::SippStats, Vec<serde_json::Value>) {
    let sipp = peer("sipp", "sip-tester").unwrap();
    let users = users_file(scenario);
    let proxy = RtcliteProxy::start(&[
        "--listen",
        "udp:127.0.0.1:0",
        "--users",
        users.to_str().unwrap(),
    ]);
    let target = proxy.addr("udp").to_string();
    let port = free_udp_ports(1)[0].to_string();
    let scenario = fixtures().join("sipp").join(scenario);
    let calls_s = calls.to_string();
    let (ok, stats) = run_sipp(
        &sipp,
        &[
            "-sf",
            scenario.to_str().unwrap(),
            "-s",
            "alice",
            "-au",
            "alice",
            "-ap",
            password,
            "-i",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            &calls_s,
            "-r",
            "200",
            "-timeout",
            "30s",
            &target,
        ],
        Duration::from_secs(40),
    );
    let events = proxy.stop();
    let _ = std::fs::remove_file(users);
    (ok, stats, events)
}

#[test]
fn sipp_register_with_digest_auth_is_challenged_then_accepted() {
    if peer("sipp", "sip-tester").is_none() {
        return;
    }
    let (ok, stats, events) = register_run("register_auth.xml", "wonderland", REGISTRATIONS);
    assert!(ok, "SIPp reported failed registrations: {:?}", stats.0);
    stats.assert_clean(REGISTRATIONS);
    // What the registrar did, from its --json events: each REGISTER was
    // first refused 401, then the authenticated one bound the contact.
    let finals = |status: u64| {
        events
            .iter()
            .filter(|e| {
                e["event"] == "final_response" && e["method"] == "REGISTER" && e["status"] == status
            })
            .count() as u64
    };
    assert_eq!(finals(401), REGISTRATIONS);
    assert_eq!(finals(200), REGISTRATIONS);
    let accepted: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "registration" && e["status"] == 200)
        .collect();
    assert_eq!(accepted.len() as u64, REGISTRATIONS);
    for e in &accepted {
        assert_eq!(e["aor"], "sip:alice@127.0.0.1");
        assert_eq!(e["contacts"].as_array().unwrap().len(), 1);
    }
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["bindings"], 1);
}

#[test]
fn sipp_register_with_wrong_password_is_refused() {
    if peer("sipp", "sip-tester").is_none() {
        return;
    }
    let (ok, stats, events) = register_run("register_bad_password.xml", "not-the-password", 5);
    assert!(ok, "SIPp did not see the second 401: {:?}", stats.0);
    stats.assert_clean(5);
    assert!(
        !events.iter().any(|e| e["event"] == "registration"),
        "no REGISTER may reach the registrar with a wrong password: {events:?}"
    );
    assert_eq!(events.last().unwrap()["bindings"], 0);
}
