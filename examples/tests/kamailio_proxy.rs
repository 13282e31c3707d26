//! Kamailio (Debian `kamailio`) as a peer of `rtclite proxy`, with the
//! minimal registrar + record-routing proxy configuration in
//! `fixtures/kamailio/kamailio.cfg`:
//!
//! - the configuration itself is proven with SIPp calls through Kamailio
//!   alone (the same scenarios the proxy benchmark compares us with);
//! - Kamailio as the UA-side peer of our proxy: SIPp UAC → Kamailio →
//!   `rtclite proxy` → SIPp UAS, both proxies record-routing, so every ACK
//!   and BYE carries two Route values and is loose-routed through both
//!   (RFC 3261 §16.4, §16.6, §16.12).
//!
//! Loopback only, free ports, every process bounded in time and killed by
//! PID (Kamailio by its process group). Without Kamailio or SIPp the tests
//! fail when `CI=true` and say so loudly otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/kamailio/kamailio.rs"]
mod kamailio;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use sipp_support::{Background, RtcliteProxy, fixtures, free_udp_ports, peer, register, run_sipp};

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Starts the record-route-copying SIPp UAS on a free port.
fn uas(sipp: &std::path::Path) -> (Background, u16) {
    let port = free_udp_ports(1)[0];
    let scenario = fixtures().join("sipp/uas_rr.xml");
    let mut bg = Background::spawn(
        "sipp uas",
        Command::new(sipp)
            .arg("-sf")
            .arg(&scenario)
            .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-nostdin"])
            .args(["-timeout", "60s"]),
        None,
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        bg.running(),
        "sipp uas exited at start (port {port} taken?)"
    );
    (bg, port)
}

/// `calls` calls at `rate` calls/s from the Record-Route-following UAC to
/// `sip:service@TARGET`; asserts SIPp's statistics are clean.
fn uac(sipp: &std::path::Path, target: SocketAddr, calls: u64, rate: u32) {
    let port = free_udp_ports(1)[0].to_string();
    let scenario = fixtures().join("sipp/uac_rr.xml");
    let (ok, stats) = run_sipp(
        sipp,
        &[
            "-sf",
            scenario.to_str().unwrap(),
            "-s",
            "service",
            "-i",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            &calls.to_string(),
            "-r",
            &rate.to_string(),
            "-timeout",
            "60s",
            &target.to_string(),
        ],
        Duration::from_secs(90),
    );
    assert!(ok, "SIPp UAC reported failed calls: {:?}", stats.0);
    stats.assert_clean(calls);
}

#[test]
fn sipp_calls_through_kamailio_with_the_test_configuration() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    let Some(k) = kamailio::Kamailio::start() else {
        return;
    };
    let (_uas, uas_port) = uas(&sipp);
    register(
        k.addr,
        "service",
        "127.0.0.1",
        &format!("sip:service@127.0.0.1:{uas_port}"),
    );
    uac(&sipp, k.addr, 200, 200);
    drop(k);
}

#[test]
fn sipp_through_kamailio_then_rtclite_proxy_to_sipp() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    let Some(k) = kamailio::Kamailio::start() else {
        return;
    };
    let proxy = RtcliteProxy::start(&["--listen", "udp:127.0.0.1:0"]);
    let ours = proxy.addr("udp");
    let (_uas, uas_port) = uas(&sipp);
    // The UAS registers with our proxy; Kamailio's binding for the same
    // user points at our proxy, so Kamailio forwards calls to it.
    register(
        ours,
        "service",
        "127.0.0.1",
        &format!("sip:service@127.0.0.1:{uas_port}"),
    );
    register(
        k.addr,
        "service",
        "127.0.0.1",
        &format!("sip:service@{ours}"),
    );
    const CALLS: u64 = 100;
    uac(&sipp, k.addr, CALLS, 100);
    let events = proxy.stop();
    let routed = |method: &str| {
        events
            .iter()
            .filter(|e| e["event"] == "routed" && e["method"] == method)
            .collect::<Vec<_>>()
    };
    let invites = routed("INVITE");
    assert_eq!(invites.len() as u64, CALLS);
    // Kamailio delivered the INVITE to the binding it holds: our address.
    assert_eq!(
        invites[0]["request_uri"],
        format!("sip:service@{ours}").as_str()
    );
    assert_eq!(
        invites[0]["targets"][0],
        format!("sip:service@127.0.0.1:{uas_port}").as_str()
    );
    // In-dialog requests reached us through Kamailio's Route and went on
    // to the UAS's contact.
    let byes = routed("BYE");
    assert_eq!(byes.len() as u64, CALLS);
    assert!(
        byes[0]["request_uri"]
            .as_str()
            .unwrap()
            .starts_with(&format!("sip:127.0.0.1:{uas_port}"))
    );
    drop(k);
}
