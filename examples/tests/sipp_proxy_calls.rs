//! Calls from SIPp through `rtclite proxy` to SIPp: `sipp -sn uac` → our
//! proxy → `sipp -sn uas`, the UAS reached through the registrar's location
//! service (RFC 3261 §16.5). SIPp's own statistics must show every call
//! successful, none failed, no unexpected message and no message outside
//! a call.
//!
//! Loopback only, free ports, every process bounded in time and killed by
//! PID. Without SIPp the tests fail when `CI=true` and say so loudly
//! otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::process::Command;
use std::time::Duration;

use sipp_support::{
    Background, RtcliteProxy, free_udp_ports, invite_finals, peer, register, run_sipp,
    sipp_uac_calls, sipp_uas,
};

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `calls` calls at `rate` calls/s from a SIPp UAC through the proxy
/// (started with `proxy_args`) to a SIPp UAS registered as `service`, over
/// `transport` (`u1`: UDP, `t1`: TCP); returns the proxy's JSON events.
fn calls_through_proxy(
    proxy_args: &[&str],
    transport: &str,
    calls: u64,
    rate: u32,
) -> Vec<serde_json::Value> {
    calls_with_scenarios(proxy_args, transport, calls, rate, None)
}

/// As [`calls_through_proxy`], with SIPp scenario files `(uac, uas)` from
/// `fixtures/sipp` instead of the built-in `uac` and `uas`.
fn calls_with_scenarios(
    proxy_args: &[&str],
    transport: &str,
    calls: u64,
    rate: u32,
    scenarios: Option<(&str, &str)>,
) -> Vec<serde_json::Value> {
    // One load at a time: the machine has two cores, and parallel runs
    // would measure contention, not the proxy.
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sipp = peer("sipp", "sip-tester").unwrap();
    let proxy = RtcliteProxy::start(proxy_args);
    let (tname, contact_param) = if transport == "t1" {
        ("tcp", ";transport=tcp")
    } else {
        ("udp", "")
    };
    let target = proxy.addr(tname).to_string();
    let ports = free_udp_ports(2);
    let (uas_port, uac_port) = (ports[0].to_string(), ports[1].to_string());
    let dir = sipp_support::fixtures().join("sipp");
    let scenario = |name: Option<&str>, builtin: &str| -> Vec<String> {
        match name {
            Some(f) => vec!["-sf".into(), dir.join(f).to_string_lossy().into_owned()],
            None => vec!["-sn".into(), builtin.into()],
        }
    };
    let uas_scenario = scenario(scenarios.map(|s| s.1), "uas");
    let uac_scenario = scenario(scenarios.map(|s| s.0), "uac");
    let common = |port: &str| -> Vec<String> {
        [
            "-i",
            "127.0.0.1",
            "-p",
            port,
            "-t",
            transport,
            "-timeout",
            "60s",
        ]
        .map(String::from)
        .to_vec()
    };
    let mut uas = Background::spawn(
        "sipp uas",
        Command::new(&sipp)
            .args(&uas_scenario)
            .args(common(&uas_port))
            .arg("-nostdin"),
        None,
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        uas.running(),
        "sipp uas exited at start (port {uas_port} taken?)"
    );
    // The UAS's binding: calls to sip:service@127.0.0.1 reach it.
    register(
        proxy.addr("udp"),
        "service",
        "127.0.0.1",
        &format!("sip:service@127.0.0.1:{uas_port}{contact_param}"),
    );
    let mut uac_args = uac_scenario;
    uac_args.extend(common(&uac_port));
    uac_args.extend(
        [
            "-s",
            "service",
            "-m",
            &calls.to_string(),
            "-r",
            &rate.to_string(),
            &target,
        ]
        .map(String::from),
    );
    let uac_args: Vec<&str> = uac_args.iter().map(String::as_str).collect();
    let (ok, stats) = run_sipp(&sipp, &uac_args, Duration::from_secs(90));
    assert!(ok, "SIPp UAC reported failed calls: {:?}", stats.0);
    stats.assert_clean(calls);
    drop(uas);
    let events = proxy.stop();
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    events
}

fn count(events: &[serde_json::Value], event: &str, method: &str) -> usize {
    events
        .iter()
        .filter(|e| e["event"] == event && e["method"] == method)
        .count()
}

#[test]
fn sipp_uac_through_stateful_proxy_to_sipp_uas_1000_calls_udp() {
    if peer("sipp", "sip-tester").is_none() {
        return;
    }
    let events = calls_through_proxy(&["--listen", "udp:127.0.0.1:0"], "u1", 1000, 200);
    // Every INVITE and BYE was routed to the registered UAS and answered 2xx.
    assert_eq!(count(&events, "routed", "INVITE"), 1000);
    assert_eq!(count(&events, "routed", "BYE"), 1000);
    let ok_invites = events
        .iter()
        .filter(|e| e["event"] == "final_response" && e["method"] == "INVITE" && e["status"] == 200)
        .count();
    assert_eq!(ok_invites, 1000);
    let routed = events.iter().find(|e| e["event"] == "routed").unwrap();
    let uas_target = routed["targets"][0].as_str().unwrap();
    assert!(
        uas_target.starts_with("sip:service@127.0.0.1:"),
        "{uas_target}"
    );
}

#[test]
fn sipp_uac_through_stateful_proxy_to_sipp_uas_over_tcp() {
    if peer("sipp", "sip-tester").is_none() {
        return;
    }
    let events = calls_through_proxy(
        &["--listen", "udp:127.0.0.1:0", "--listen", "tcp:127.0.0.1:0"],
        "t1",
        200,
        200,
    );
    assert_eq!(count(&events, "routed", "INVITE"), 200);
}

#[test]
fn sipp_uac_through_stateless_proxy_to_sipp_uas() {
    if peer("sipp", "sip-tester").is_none() {
        return;
    }
    let events = calls_through_proxy(
        &["--listen", "udp:127.0.0.1:0", "--stateless"],
        "u1",
        200,
        200,
    );
    assert_eq!(count(&events, "routed", "INVITE"), 200);
}

/// SIPp's built-in scenarios ignore Record-Route; these follow it, so the
/// ACK and BYE arrive as in-dialog requests with the proxy's Route value
/// (RFC 3261 §16.4 loose routing) and a user-less Request-URI naming the
/// UAS's contact, which the proxy must forward rather than look up.
#[test]
fn sipp_calls_following_record_route_through_stateful_proxy() {
    if peer("sipp", "sip-tester").is_none() {
        return;
    }
    let events = calls_with_scenarios(
        &["--listen", "udp:127.0.0.1:0"],
        "u1",
        200,
        200,
        Some(("uac_rr.xml", "uas_rr.xml")),
    );
    assert_eq!(count(&events, "routed", "INVITE"), 200);
    let byes: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "routed" && e["method"] == "BYE")
        .collect();
    assert_eq!(byes.len(), 200);
    for b in byes {
        // In-dialog: the Request-URI is the UAS's contact, forwarded as is.
        let ruri = b["request_uri"].as_str().unwrap();
        assert!(ruri.starts_with("sip:127.0.0.1:"), "{ruri}");
        assert_eq!(b["targets"][0], ruri);
    }
}

/// Forking (RFC 3261 §16.6, §16.7): the called user has two bindings, one
/// SIPp UAS answering 200 and one refusing 486. The proxy forwards every
/// INVITE to both in parallel, forwards the 200 upstream and absorbs the
/// 486 (ACKing it itself), so the caller sees only successful calls.
#[test]
fn sipp_call_forks_to_two_contacts_and_the_200_wins() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    const CALLS: u64 = 100;
    let proxy = RtcliteProxy::start(&["--listen", "udp:127.0.0.1:0"]);
    let ports = free_udp_ports(3);
    let dir = sipp_support::fixtures().join("sipp");
    let uas = |scenario: &str, port: u16| sipp_uas(&sipp, &dir, scenario, "127.0.0.1", port);
    let _ok = uas("uas_rr.xml", ports[0]);
    let _busy = uas("uas_busy.xml", ports[1]);
    for p in &ports[..2] {
        register(
            proxy.addr("udp"),
            "service",
            "127.0.0.1",
            &format!("sip:service@127.0.0.1:{p}"),
        );
    }
    let target = proxy.addr("udp").to_string();
    sipp_uac_calls(&sipp, &dir, "127.0.0.1", ports[2], CALLS, "100", &target);
    let events = proxy.stop();
    let invites: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "routed" && e["method"] == "INVITE")
        .collect();
    assert_eq!(invites.len() as u64, CALLS);
    for i in &invites {
        let mut targets: Vec<&str> = i["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        targets.sort_unstable();
        let mut want = vec![
            format!("sip:service@127.0.0.1:{}", ports[0]),
            format!("sip:service@127.0.0.1:{}", ports[1]),
        ];
        want.sort_unstable();
        assert_eq!(targets, want, "both bindings are targets");
    }
    let finals = |status: u64| invite_finals(&events, status);
    assert_eq!(finals(200), CALLS, "the 200 goes upstream");
    assert_eq!(finals(486), 0, "the 486 is absorbed");
}

/// The same calls over IPv6 loopback: the proxy listens on `[::1]`, its
/// Via and Record-Route carry IPv6 references, and the registrar accepts
/// addresses-of-record at `[::1]`.
#[test]
fn sipp_calls_over_ipv6_through_stateful_proxy() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    const CALLS: u64 = 100;
    let proxy = RtcliteProxy::start(&["--listen", "udp:[::1]:0"]);
    let ours = proxy.addr("udp");
    assert!(ours.is_ipv6());
    let ports = free_udp_ports(2);
    let dir = sipp_support::fixtures().join("sipp");
    let uas = sipp_uas(&sipp, &dir, "uas_rr.xml", "::1", ports[0]);
    register(
        ours,
        "service",
        "[::1]",
        &format!("sip:service@[::1]:{}", ports[0]),
    );
    sipp_uac_calls(
        &sipp,
        &dir,
        "::1",
        ports[1],
        CALLS,
        "100",
        &ours.to_string(),
    );
    drop(uas);
    let events = proxy.stop();
    assert_eq!(count(&events, "routed", "INVITE") as u64, CALLS);
    assert_eq!(count(&events, "routed", "BYE") as u64, CALLS);
    let registration = events
        .iter()
        .find(|e| e["event"] == "registration")
        .unwrap();
    assert_eq!(registration["aor"], "sip:service@[::1]");
}
