//! Kamailio (Debian `kamailio`, the minimal registrar and record-routing
//! proxy of `fixtures/kamailio/kamailio.cfg`) between our endpoints:
//! `rtclite echo` registers with it, `rtclite phone` registers with it and
//! calls the echo through it with Opus over SRTP; the call's media flows
//! both ways and the in-dialog requests (ACK, MESSAGE, BYE) follow
//! Kamailio's Record-Route.
//!
//! Loopback only, free ports, every process bounded in time and killed by
//! PID (Kamailio by its process group). Without Kamailio the test fails
//! when `CI=true` and says so loudly otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/baresip/support.rs"]
mod endpoint_support;
#[path = "fixtures/kamailio/kamailio.rs"]
mod kamailio;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::time::Duration;

use endpoint_support::{Endpoint, events};

#[test]
fn phone_registers_with_kamailio_and_calls_our_echo_through_it() {
    let Some(k) = kamailio::Kamailio::start_with(2) else {
        return;
    };
    let registrar = format!("sip:{}", k.addr);
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--register",
        &registrar,
        "--json",
        "--duration",
        "30",
    ]);
    echo.wait_for("registered", Duration::from_secs(10));
    let target = format!("sip:echo@{}", k.addr);
    let phone = Endpoint::start(&[
        "phone",
        "--register",
        &registrar,
        "--user",
        "alice",
        "--call",
        &target,
        "--codec",
        "opus",
        "--srtp",
        "required",
        "--tone",
        "500",
        "--message",
        "via kamailio",
        "--duration",
        "2",
        "--json",
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(30));
    assert!(ok, "{stderr}\n{seen:#?}");
    assert_eq!(events(&seen, "registered").len(), 1);
    let established = events(&seen, "established")[0];
    assert_eq!(established["codec"], "opus");
    assert_eq!(established["srtp"], "AES_CM_128_HMAC_SHA1_80");
    // The MESSAGE went in the dialog, through Kamailio's Record-Route, and
    // came back the same way.
    assert_eq!(events(&seen, "message_result")[0]["status"], 200);
    assert_eq!(events(&seen, "message")[0]["text"], "via kamailio");
    let s = events(&seen, "summary")[0];
    assert!(s["packets_sent"].as_u64().unwrap() >= 95, "{s}");
    assert!(s["packets_received"].as_u64().unwrap() >= 80, "{s}");
    assert_eq!(s["lost"], 0, "{s}");
    assert_eq!(s["srtp_failures"], 0, "{s}");
    let summary = echo.wait_for("summary", Duration::from_secs(10));
    assert!(
        summary["packets_received"].as_u64().unwrap() >= 90,
        "{summary}"
    );
    assert_eq!(events(&echo.seen, "ended")[0]["reason"], "the peer hung up");
    drop(k);
}
