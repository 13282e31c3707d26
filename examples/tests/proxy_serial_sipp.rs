//! Sequential forking by q-value (RFC 3261 §16.6) in `rtclite proxy --fork
//! sequential`, against SIPp: the called user has a SIPp UAS answering 486
//! registered with q=1.0 and a SIPp UAS answering 200 with q=0.5. Every
//! INVITE must go first to the busy one alone, then to the other, and every
//! call must succeed for the SIPp caller.
//!
//! Loopback only, free ports, every process bounded in time and killed by
//! PID. Without SIPp the test fails when `CI=true` and says so loudly
//! otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use sipp_support::{RtcliteProxy, free_udp_ports, invite_finals, peer, sipp_uac_calls, sipp_uas};

/// Binds `contact` with q-value `q` for `service@127.0.0.1` at `registrar`.
fn register_with_q(registrar: SocketAddr, contact: &str, q: &str, n: u32) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = sock.local_addr().unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let request = format!(
        "REGISTER sip:{registrar} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-regq-{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:service@127.0.0.1>;tag=regq{n}\r\n\
         To: <sip:service@127.0.0.1>\r\n\
         Call-ID: regq-{n}@{local}\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <{contact}>;q={q}\r\n\
         Expires: 3600\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let mut buf = [0u8; 4096];
    for _ in 0..10 {
        sock.send_to(request.as_bytes(), registrar).unwrap();
        let Ok((len, _)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let text = String::from_utf8_lossy(&buf[..len]);
        assert!(
            text.starts_with("SIP/2.0 200"),
            "REGISTER answered:\n{text}"
        );
        return;
    }
    panic!("no answer to REGISTER from {registrar} within 5 s");
}

#[test]
fn sipp_busy_q1_then_q05_answers_every_call() {
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    const CALLS: u64 = 50;
    let proxy = RtcliteProxy::start(&[
        "--listen",
        "udp:127.0.0.1:0",
        "--fork",
        "sequential",
        "--fork-group-time",
        "10",
    ]);
    let ports = free_udp_ports(3);
    let dir = sipp_support::fixtures().join("sipp");
    let uas = |scenario: &str, port: u16| sipp_uas(&sipp, &dir, scenario, "127.0.0.1", port);
    let _busy = uas("uas_busy.xml", ports[0]);
    let _ok = uas("uas_rr.xml", ports[1]);
    let busy = format!("sip:service@127.0.0.1:{}", ports[0]);
    let ok = format!("sip:service@127.0.0.1:{}", ports[1]);
    // The low-q contact registers first: the order must come from q.
    register_with_q(proxy.addr("udp"), &ok, "0.5", 1);
    register_with_q(proxy.addr("udp"), &busy, "1.0", 2);
    let target = proxy.addr("udp").to_string();
    sipp_uac_calls(&sipp, &dir, "127.0.0.1", ports[2], CALLS, "50", &target);
    let events = proxy.stop();
    let groups: Vec<Vec<String>> = events
        .iter()
        .filter(|e| e["event"] == "routed" && e["method"] == "INVITE")
        .map(|e| {
            e["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    // Two groups per call, the q=1.0 contact alone first.
    assert_eq!(groups.len() as u64, 2 * CALLS);
    assert_eq!(
        groups.iter().filter(|g| **g == [busy.clone()]).count() as u64,
        CALLS
    );
    assert_eq!(
        groups.iter().filter(|g| **g == [ok.clone()]).count() as u64,
        CALLS
    );
    let finals = |status: u64| invite_finals(&events, status);
    assert_eq!(finals(200), CALLS, "the second group's 200 goes upstream");
    assert_eq!(finals(486), 0, "the first group's 486 is absorbed");
}

#[test]
fn a_group_time_without_sequential_forking_is_refused() {
    let out = common::rtclite(
        &[
            "proxy",
            "--listen",
            "udp:127.0.0.1:0",
            "--fork-group-time",
            "5",
            "--duration",
            "1",
        ],
        b"",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--fork-group-time needs --fork sequential"),
        "{err}"
    );
}
