//! Interop of `rtclite stun` with real peers on loopback:
//! - our client against coturn's `turnserver`: Binding, and TURN
//!   Allocate (401 dance), Refresh, CreatePermission, Send indication,
//!   ChannelBind, ChannelData, data relayed to and from a second local
//!   socket, and deallocation, with long-term credentials;
//! - coturn's `turnutils_stunclient` and `stun` (Debian stun-client, an
//!   RFC 3489 client) against our server;
//! - our TURN client against our TURN server (same relay check).
//!
//! Every process is started on a port chosen from port 0, bounded in time
//! and killed by PID. A missing peer fails the test under CI=true and is
//! reported loudly otherwise (`scripts/setup` installs coturn and stun-client).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::run_bounded;
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const RTCLITE: &str = env!("CARGO_BIN_EXE_rtclite");

/// Kills the child by PID when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        let msg = format!(
            "PEER MISSING: `{tool}` is not installed (run scripts/setup: Debian coturn / stun-client)"
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!! {msg}; this interop test did NOT run !!!!!\n");
    }
    found
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rtclite-stun-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Sends Binding requests until the server answers (bounded).
fn wait_ready(port: u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let req = [
        0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 1500];
    while Instant::now() < deadline {
        s.send_to(&req, ("127.0.0.1", port)).unwrap();
        if s.recv_from(&mut buf).is_ok() {
            return;
        }
    }
    panic!("server on port {port} never answered");
}

fn start_coturn(name: &str) -> (Guard, u16) {
    start_coturn_with(name, "")
}

fn start_coturn_with(name: &str, extra_conf: &str) -> (Guard, u16) {
    let dir = temp_dir(name);
    let port = free_udp_port();
    let slot = match name {
        "turn" => 50,
        "nat" => 25,
        "dual" => 70,
        "alternate" => 85,
        "df" => 10,
        _ => 0,
    };
    let base = 50000 + (std::process::id() % 100) as u16 * 100 + slot;
    let conf = format!(
        "listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nlistening-port={port}\nmin-port={base}\nmax-port={}\n\
         realm=rtclite.test\nuser=alice:secret\nlt-cred-mech\nfingerprint\nno-tls\nno-dtls\nno-tcp\nno-cli\n\
         allow-loopback-peers\nno-multicast-peers\npidfile={d}/pid\nlog-file={d}/log\nsimple-log\nuserdb={d}/db\n",
        base + 40,
        d = dir.display()
    );
    let conf_path = dir.join("turnserver.conf");
    std::fs::write(&conf_path, format!("{conf}{extra_conf}")).unwrap();
    let child = Command::new("turnserver")
        .arg("-c")
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Guard(child);
    wait_ready(port);
    (guard, port)
}

/// Starts our server on a port chosen from port 0; returns it, its
/// stdout after the `listening` line, and the port.
fn spawn_ours(extra: &[&str]) -> (Guard, BufReader<ChildStdout>, u16) {
    let mut child = Command::new(RTCLITE)
        .args([
            "stun",
            "server",
            "--listen",
            "udp:127.0.0.1:0",
            "--max-seconds",
            "60",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening udp:127.0.0.1:"), "{line}");
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    (Guard(child), reader, port)
}

fn start_ours(extra: &[&str]) -> (Guard, u16) {
    let (guard, _, port) = spawn_ours(extra);
    (guard, port)
}

/// Starts our server and keeps collecting its stdout (one JSON-less text
/// line per event) into the returned buffer.
fn start_ours_logged(extra: &[&str]) -> (Guard, u16, std::sync::Arc<std::sync::Mutex<String>>) {
    let (guard, mut reader, port) = spawn_ours(extra);
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = log.clone();
    // Ends when the server exits (its pipe closes).
    std::thread::spawn(move || {
        let mut l = String::new();
        while reader.read_line(&mut l).is_ok_and(|n| n > 0) {
            sink.lock().unwrap().push_str(&l);
            l.clear();
        }
    });
    (guard, port, log)
}

/// The arguments of our TURN server: alice:secret in realm rtclite.test.
const OUR_TURN: [&str; 5] = [
    "--turn",
    "--user",
    "alice:secret",
    "--realm",
    "rtclite.test",
];

/// Asserts that our server, by its `log`, made an allocation.
fn assert_allocated(log: &std::sync::Mutex<String>) {
    assert!(
        log.lock().unwrap().contains("allocated"),
        "{}",
        log.lock().unwrap()
    );
}

/// Runs coturn's `turnutils_uclient` (one client, `messages` messages,
/// Send indications, client to client over an RTP/RTCP pair of relays)
/// against our TURN server on `port` as alice; asserts it exited 0 and
/// returns its stdout and stderr.
fn uclient(port: u16, messages: &str) -> String {
    uclient_with(port, messages, &[])
}

/// [`uclient`] with more flags (e.g. `-g`, DONT-FRAGMENT).
fn uclient_with(port: u16, messages: &str, extra: &[&str]) -> String {
    let (ok, out, err) = run_bounded(
        Command::new("turnutils_uclient").args(extra).args([
            "-v",
            "-s",
            "-y",
            "-u",
            "alice",
            "-w",
            "secret",
            "-n",
            messages,
            "-m",
            "1",
            "-p",
            &port.to_string(),
            "-e",
            "127.0.0.1",
            "127.0.0.1",
        ]),
        Duration::from_secs(40),
    );
    let all = format!("{out}{err}");
    assert!(ok, "{all}");
    all
}

/// Runs our TURN client against `port` with a peer socket that answers
/// every datagram with "pong"; checks every step happened.
fn turn_exchange(port: u16) {
    turn_exchange_with(port, &[]);
}

/// [`turn_exchange`] with more client arguments; returns the client's
/// JSON events.
fn turn_exchange_with(port: u16, extra: &[&str]) -> Vec<serde_json::Value> {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let echo = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 1500];
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && got.len() < 2 {
            if let Ok((n, from)) = peer.recv_from(&mut buf) {
                got.push((from, buf[..n].to_vec()));
                peer.send_to(b"pong", from).unwrap();
            }
        }
        got
    });
    let (ok, out, err) = run_bounded(
        Command::new(RTCLITE)
            .args([
                "stun",
                "client",
                &format!("udp:127.0.0.1:{port}"),
                "--turn-user",
                "alice:secret",
                "--peer",
                &format!("udp:{peer_addr}"),
                "--send",
                "hello peer",
                "--wait-seconds",
                "2",
                "--json",
            ])
            .args(extra),
        Duration::from_secs(30),
    );
    assert!(ok, "client failed: {err}\n{out}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for k in [
        "allocated",
        "refreshed",
        "permission",
        "channel",
        "data",
        "deallocated",
    ] {
        assert!(kinds.contains(&k), "no {k} in {kinds:?}");
    }
    let allocated = events.iter().find(|e| e["event"] == "allocated").unwrap();
    let relayed = allocated["relayed"].as_str().unwrap().to_owned();
    assert!(events.iter().any(|e| e["event"] == "data"
        && e["data"] == "pong"
        && e["peer"] == peer_addr.to_string()));
    let got = echo.join().unwrap();
    assert_eq!(
        got.len(),
        2,
        "the peer must get the Send-indication copy and the ChannelData copy"
    );
    for (from, data) in got {
        assert_eq!(data, b"hello peer");
        assert_eq!(
            from.to_string(),
            relayed,
            "data must come from the relayed address"
        );
    }
    events
}

#[test]
fn our_client_binding_against_coturn() {
    if !have("turnserver") {
        return;
    }
    let (_g, port) = start_coturn("binding");
    let (ok, out, err) = run_bounded(
        Command::new(RTCLITE).args(["stun", "client", &format!("udp:127.0.0.1:{port}")]),
        Duration::from_secs(45),
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("mapped 127.0.0.1:"), "{out}");
}

#[test]
fn our_turn_client_against_coturn() {
    if !have("turnserver") {
        return;
    }
    let (_g, port) = start_coturn("turn");
    turn_exchange(port);
}

#[test]
fn our_turn_client_against_our_turn_server() {
    let (_g, port) = start_ours(&OUR_TURN);
    turn_exchange(port);
}

#[test]
fn coturn_stunclient_against_our_server() {
    if !have("turnutils_stunclient") {
        return;
    }
    let (_g, port) = start_ours(&[]);
    let (ok, out, err) = run_bounded(
        Command::new("turnutils_stunclient").args(["-p", &port.to_string(), "127.0.0.1"]),
        Duration::from_secs(20),
    );
    assert!(ok, "{err}{out}");
    assert!(out.contains("UDP reflexive addr: 127.0.0.1:"), "{out}{err}");
}

#[test]
fn classic_stun_client_against_our_server() {
    if !have("stun") {
        return;
    }
    let (_g, port) = start_ours(&[]);
    // Test 1 of RFC 3489 §10.1: a plain Binding request without the cookie.
    let (_, out, err) = run_bounded(
        Command::new("stun").args([&format!("127.0.0.1:{port}"), "1", "-v"]),
        Duration::from_secs(20),
    );
    let all = format!("{out}{err}");
    assert!(all.contains("MappedAddress = 127.0.0.1:"), "{all}");
    assert!(!all.contains("problem parsing"), "{all}");
}

fn nat_discovery(port: u16) {
    let (ok, out, err) = run_bounded(
        Command::new(RTCLITE).args(["stun", "client", &format!("udp:127.0.0.1:{port}"), "--json"]),
        Duration::from_secs(45),
    );
    assert!(ok, "{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "mapped", "{out}");
    // On loopback there is no NAT: both behaviours are endpoint-independent.
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "nat_mapping" && e["behaviour"] == "endpoint-independent"),
        "{out}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "nat_filtering" && e["behaviour"] == "endpoint-independent"),
        "{out}"
    );
}

/// RFC 5780 NAT behaviour discovery: our client against our server on two
/// loopback addresses (127.0.0.1 and 127.0.0.2) and two ports.
#[test]
fn nat_behaviour_discovery_against_our_server() {
    let (_g, port) = start_ours(&["--alternate", "127.0.0.2"]);
    nat_discovery(port);
}

/// RFC 5780 NAT behaviour discovery against coturn listening on two IPs
/// (coturn then offers OTHER-ADDRESS and honours CHANGE-REQUEST).
#[test]
fn nat_behaviour_discovery_against_coturn() {
    if !have("turnserver") {
        return;
    }
    let (_g, port) = start_coturn_with("nat", "listening-ip=127.0.0.2\n");
    nat_discovery(port);
}

/// coturn's `turnutils_uclient` against our TURN server. Without `-c` the
/// client allocates an RTP/RTCP pair per session: the RTP Allocate carries
/// EVEN-PORT with the R bit (RFC 8656 §7.1), the RTCP Allocate the
/// RESERVATION-TOKEN from its answer. `-s` relays with Send/Data
/// indications: uclient picks channel numbers from RFC 5766's range
/// 0x4000–0x7FFF, which RFC 8656 §12 narrowed to 0x4000–0x4FFF, so our
/// server rightly refuses some of its ChannelBinds. `-y` makes two clients
/// relay to each other, so no peer process is needed.
#[test]
fn coturn_uclient_even_port_pairs_against_our_turn_server() {
    if !have("turnutils_uclient") {
        return;
    }
    let (_g, port) = start_ours(&OUR_TURN);
    let all = uclient(port, "5");
    // Each "Received relay addr" line is followed by the token uclient got
    // back ("rtv=", 0 when none): RTP allocations on an even port N with a
    // token, RTCP allocations on N+1 without one.
    let mut relays: Vec<(u16, u64)> = Vec::new();
    let mut last_port = None;
    for line in all.lines() {
        if let Some(a) = line.split("Received relay addr: ").nth(1) {
            last_port = a
                .trim()
                .rsplit(':')
                .next()
                .and_then(|p| p.parse::<u16>().ok());
        }
        if let Some(t) = line.split("rtv=").nth(1) {
            if let Some(p) = last_port.take() {
                relays.push((p, t.trim().parse().unwrap()));
            }
        }
    }
    let rtp: Vec<u16> = relays
        .iter()
        .filter(|(_, t)| *t != 0)
        .map(|(p, _)| *p)
        .collect();
    let rtcp: Vec<u16> = relays
        .iter()
        .filter(|(_, t)| *t == 0)
        .map(|(p, _)| *p)
        .collect();
    // Two sessions (`-y`), each an RTP/RTCP pair (uclient may allocate one
    // more RTP session first to probe the server).
    assert!(
        rtp.len() >= 2,
        "RTP allocations with a token: {relays:?}\n{all}"
    );
    assert_eq!(rtcp.len(), 2, "RTCP allocations: {relays:?}");
    for p in &rtp {
        assert_eq!(p % 2, 0, "EVEN-PORT gave an even port: {relays:?}");
    }
    for p in &rtcp {
        assert!(
            rtp.contains(&(p - 1)),
            "RESERVATION-TOKEN gave N+1: {relays:?}"
        );
    }
    assert_all_echoed(&all, 20);
}

/// Answers every STUN request arriving on `s` with 300 (Try Alternate)
/// naming `alternate`, until `stop` is set (or 30 s pass).
fn redirector(
    s: UdpSocket,
    alternate: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    use rtclite_stun::{Attribute, Class, ErrorCode, Message, MessageType, MessageWriter};
    use std::sync::atomic::Ordering;
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut buf = [0u8; 1500];
        while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
            let Ok((n, from)) = s.recv_from(&mut buf) else {
                continue;
            };
            let Ok(req) = Message::parse(&buf[..n]) else {
                continue;
            };
            let mut out = Vec::new();
            let mut w = MessageWriter::new(
                &mut out,
                MessageType::new(Class::ErrorResponse, req.method()),
                req.transaction_id(),
            );
            w.attribute(&Attribute::ErrorCode(ErrorCode::TRY_ALTERNATE))
                .unwrap();
            w.attribute(&Attribute::AlternateServer(alternate)).unwrap();
            w.finish();
            let _ = s.send_to(&out, from);
        }
    })
}

/// `rtclite stun client` follows a 300 (Try Alternate) to our server
/// (RFC 8489 §10), and refuses a redirection loop.
#[test]
fn our_client_follows_alternate_server_and_refuses_loops() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let (_g, port) = start_ours(&[]);
    let real: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let fake = UdpSocket::bind("127.0.0.1:0").unwrap();
    let fake_addr = fake.local_addr().unwrap();
    let t = redirector(fake, real, stop.clone());
    let (ok, out, err) = run_bounded(
        Command::new(RTCLITE).args(["stun", "client", &format!("udp:{fake_addr}"), "--json"]),
        Duration::from_secs(20),
    );
    assert!(ok, "{out}{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "redirected", "{out}");
    assert_eq!(events[0]["to"], real.to_string(), "{out}");
    assert_eq!(events[1]["event"], "mapped", "{out}");

    // Two redirectors pointing at each other: the client goes to the
    // second, is sent back to the first, and gives up with an error.
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let ta = redirector(a, b_addr, stop.clone());
    let tb = redirector(b, a_addr, stop.clone());
    let (ok, out, err) = run_bounded(
        Command::new(RTCLITE).args(["stun", "client", &format!("udp:{a_addr}"), "--json"]),
        Duration::from_secs(20),
    );
    stop.store(true, Ordering::Relaxed);
    assert!(!ok, "a loop must fail: {out}{err}");
    assert!(
        err.contains("had this request in the last five minutes"),
        "{out}{err}"
    );
    for h in [t, ta, tb] {
        h.join().unwrap();
    }
}

/// Our TURN client asks our TURN server for a dual allocation
/// (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.1): an IPv4 relayed address on
/// 127.0.0.1 and an IPv6 one on ::1, then relays to an IPv4 peer as usual.
#[test]
fn our_turn_client_dual_allocation_against_our_turn_server() {
    let (_g, port, log) = start_ours_logged(&OUR_TURN);
    let events = turn_exchange_with(port, &["--dual"]);
    let allocated = events.iter().find(|e| e["event"] == "allocated").unwrap();
    assert!(
        allocated["relayed"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "{allocated}"
    );
    let additional = allocated["additional"].as_str().unwrap();
    assert!(additional.starts_with("[::1]:"), "{allocated}");
    assert!(allocated["address_error"].is_null(), "{allocated}");
    // The server bound both and released both at deallocation.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && !log
            .lock()
            .unwrap()
            .contains(&format!("released {additional}"))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = log.lock().unwrap().clone();
    assert!(
        log.contains(&format!("allocated {additional} for ")),
        "{log}"
    );
    assert!(log.contains(&format!("released {additional}")), "{log}");
}

/// Our TURN client asks coturn (relaying on 127.0.0.1 and ::1) for a dual
/// allocation. coturn 4.6.1 does not implement RFC 8656's
/// ADDITIONAL-ADDRESS-FAMILY (0x8000; its own client sends the draft code
/// point 0x8032), so it ignores the comprehension-optional attribute and
/// allocates IPv4 only: the client must carry on with that single
/// allocation. A coturn that implements the RFC would add an IPv6 relay.
#[test]
fn our_turn_client_dual_request_against_coturn() {
    if !have("turnserver") {
        return;
    }
    let (_g, port) = start_coturn_with("dual", "relay-ip=::1\n");
    let events = turn_exchange_with(port, &["--dual"]);
    let allocated = events.iter().find(|e| e["event"] == "allocated").unwrap();
    assert!(
        allocated["relayed"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "{allocated}"
    );
    if let Some(a) = allocated["additional"].as_str() {
        assert!(a.starts_with("[::1]:"), "{allocated}");
    }
}

/// Checks `turnutils_uclient`'s final totals: at least `min` messages
/// sent, every one received back, none lost. uclient sends its `-n`
/// messages on each session's RTP relay and, when the session's RTCP relay
/// is ready in time, on that one too, so with `-y` the total lies between
/// 2n and 4n from run to run; what may not vary is that all come back.
fn assert_all_echoed(all: &str, min: u64) {
    let totals = all
        .lines()
        .rev()
        .find_map(|l| l.split("start_mclient: tot_send_msgs=").nth(1))
        .unwrap_or_else(|| panic!("no final totals from uclient:\n{all}"));
    let (sent, recv) = totals
        .split_once(", tot_recv_msgs=")
        .unwrap_or_else(|| panic!("unexpected totals line {totals:?}"));
    let sent: u64 = sent.trim().parse().unwrap();
    let recv: u64 = recv.trim().parse().unwrap();
    assert!(
        sent >= min,
        "uclient sent {sent} messages, expected at least {min}:\n{all}"
    );
    assert_eq!(recv, sent, "messages sent and received back differ:\n{all}");
    assert!(all.contains("Total lost packets 0 "), "{all}");
}

/// coturn's `turnutils_uclient` against our TURN server configured to
/// redirect (`--redirect`): it gets 300 (Try Alternate) with
/// ALTERNATE-SERVER, protected by MESSAGE-INTEGRITY (RFC 8489 §10, §9.2.4),
/// follows it to our second server and relays there.
#[test]
fn coturn_uclient_follows_our_turn_server_redirect() {
    if !have("turnutils_uclient") {
        return;
    }
    let (_gb, port_b, log_b) = start_ours_logged(&OUR_TURN);
    let redirect = format!("udp:127.0.0.1:{port_b}");
    let mut a_args = OUR_TURN.to_vec();
    a_args.extend(["--redirect", &redirect]);
    let (_ga, port_a, log_a) = start_ours_logged(&a_args);
    let all = uclient(port_a, "3");
    assert!(all.contains("error 300 (Try Alternate)"), "{all}");
    assert!(all.contains("Received relay addr: 127.0.0.1:"), "{all}");
    assert_all_echoed(&all, 6);
    assert!(
        !log_a.lock().unwrap().contains("allocated"),
        "the redirecting server allocated: {}",
        log_a.lock().unwrap()
    );
    assert_allocated(&log_b);
}

/// Our TURN client against coturn configured with `alternate-server`
/// pointing at our TURN server: it follows the 300 (Try Alternate) once
/// (RFC 8656 §7.4) and does the whole exchange with our server.
#[test]
fn our_turn_client_follows_coturn_alternate_server() {
    if !have("turnserver") {
        return;
    }
    let (_gb, port_b, log_b) = start_ours_logged(&OUR_TURN);
    let (_ga, port_a) = start_coturn_with(
        "alternate",
        &format!("alternate-server=127.0.0.1:{port_b}\n"),
    );
    let events = turn_exchange_with(port_a, &[]);
    assert_eq!(events[0]["event"], "redirected", "{events:?}");
    assert_eq!(events[0]["from"], format!("127.0.0.1:{port_a}"));
    assert_eq!(events[0]["to"], format!("127.0.0.1:{port_b}"));
    assert_allocated(&log_b);
}

/// `rtclite stun server --redirect` answers Binding requests with 300
/// (Try Alternate); `rtclite stun client` follows it to the second server.
#[test]
fn our_binding_client_follows_our_server_redirect() {
    let (_gb, port_b) = start_ours(&[]);
    let redirect = format!("udp:127.0.0.1:{port_b}");
    let (_ga, port_a) = start_ours(&["--redirect", &redirect]);
    let (ok, out, err) = run_bounded(
        Command::new(RTCLITE).args([
            "stun",
            "client",
            &format!("udp:127.0.0.1:{port_a}"),
            "--json",
        ]),
        Duration::from_secs(20),
    );
    assert!(ok, "{out}{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "redirected", "{out}");
    assert_eq!(events[0]["to"], format!("127.0.0.1:{port_b}"), "{out}");
    assert_eq!(events[1]["event"], "mapped", "{out}");
}

/// A live tshark capture of UDP on the loopback interface: (source port,
/// destination port, IPv4 DF bit) of every datagram, bounded to 60 s and
/// stopped by PID.
struct Capture {
    child: Guard,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Capture {
    fn start() -> Capture {
        let mut child = Command::new("tshark")
            .args([
                "-i",
                "lo",
                "-f",
                "udp",
                "-l",
                "-n",
                "-T",
                "fields",
                "-e",
                "udp.srcport",
                "-e",
                "udp.dstport",
                "-e",
                "ip.flags.df",
                "-a",
                "duration:60",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for l in stdout.lines() {
                let Ok(l) = l else { break };
                sink.lock().unwrap().push(l);
            }
        });
        // Capturing starts once tshark says so on stderr (bounded: the
        // reader ends when tshark exits, at the latest after 60 s).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut l = String::new();
            let mut said = false;
            while stderr.read_line(&mut l).is_ok_and(|n| n > 0) {
                if !said && l.contains("Capturing on") {
                    said = true;
                    let _ = tx.send(());
                }
                l.clear();
            }
        });
        rx.recv_timeout(Duration::from_secs(20))
            .expect("tshark did not start capturing on lo within 20 s");
        Capture {
            child: Guard(child),
            lines,
        }
    }

    /// Stops the capture (after a short grace for the last datagrams) and
    /// returns (source port, destination port, DF) per datagram.
    fn stop(self) -> Vec<(u16, u16, bool)> {
        std::thread::sleep(Duration::from_millis(1500));
        // SIGINT lets tshark flush; the guard kills it if it lingers.
        let pid = self.child.0.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut guard = self.child;
        while Instant::now() < deadline {
            if guard.0.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(guard);
        std::thread::sleep(Duration::from_millis(200));
        let lines = self.lines.lock().unwrap().clone();
        lines
            .iter()
            .filter_map(|l| {
                let mut f = l.split('\t');
                let src = f.next()?.parse().ok()?;
                let dst = f.next()?.parse().ok()?;
                let df = matches!(f.next()?.trim(), "1" | "True" | "true");
                Some((src, dst, df))
            })
            .collect()
    }
}

/// The ports of the relayed addresses our server reports in `log`
/// ("allocated ADDR for ..." and "reserved ADDR for ...").
fn relayed_ports(log: &str) -> Vec<u16> {
    log.lines()
        .filter(|l| l.starts_with("allocated ") || l.starts_with("reserved "))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(1)?
                .rsplit(':')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

/// coturn's `turnutils_uclient -g` (DONT-FRAGMENT in its Allocate and Send
/// indications) against our TURN server, watched on the wire by tshark:
/// the datagrams our relay sends to the peer have the IPv4 DF bit set
/// (RFC 8656 §14), and those it relays without the attribute, and every
/// Data indication to a client, have it clear (the alternate behaviour:
/// the incoming DF bit is taken as 0). Before this, the Allocate got 420.
#[test]
fn coturn_uclient_dont_fragment_sets_the_df_bit_on_the_wire() {
    if !have("turnutils_uclient") || !have("tshark") {
        return;
    }
    for dont_fragment in [true, false] {
        let (_g, port, log) = start_ours_logged(&OUR_TURN);
        let capture = Capture::start();
        let flags: &[&str] = if dont_fragment { &["-g"] } else { &[] };
        let all = uclient_with(port, "3", flags);
        assert_all_echoed(&all, 6);
        let packets = capture.stop();
        let relays = relayed_ports(&log.lock().unwrap());
        assert!(relays.len() >= 2, "{}", log.lock().unwrap());
        let relayed: Vec<bool> = packets
            .iter()
            .filter(|(s, d, _)| relays.contains(s) && relays.contains(d))
            .map(|(_, _, df)| *df)
            .collect();
        assert!(
            relayed.len() >= 6,
            "relayed datagrams seen: {relayed:?} (relays {relays:?}, {} packets)",
            packets.len()
        );
        assert!(
            relayed.iter().all(|df| *df == dont_fragment),
            "-g {dont_fragment}: DF bits of relayed datagrams {relayed:?}"
        );
        let to_clients: Vec<bool> = packets
            .iter()
            .filter(|(s, d, _)| *s == port && !relays.contains(d))
            .map(|(_, _, df)| *df)
            .collect();
        assert!(!to_clients.is_empty());
        assert!(
            to_clients.iter().all(|df| !df),
            "DF set on datagrams from the server to clients: {to_clients:?}"
        );
    }
}

/// Our TURN client asking for DONT-FRAGMENT (`--dont-fragment`, RFC 8656
/// §7.1, §11.1): coturn accepts it and the whole exchange runs; our server
/// started with `--no-dont-fragment` answers 420 (§7.2 step 4), and the
/// client says so once, allocates again without it (§7.4) and completes.
#[test]
fn our_turn_client_dont_fragment_against_coturn_and_a_refusing_server() {
    let refused = |events: &[serde_json::Value]| {
        events
            .iter()
            .filter(|e| e["event"] == "dont_fragment_unsupported")
            .count()
    };
    if have("turnserver") {
        let (_g, port) = start_coturn("df");
        let events = turn_exchange_with(port, &["--dont-fragment"]);
        assert_eq!(refused(&events), 0, "{events:?}");
    }
    let mut args = OUR_TURN.to_vec();
    args.push("--no-dont-fragment");
    let (_g, port, log) = start_ours_logged(&args);
    let events = turn_exchange_with(port, &["--dont-fragment"]);
    assert_eq!(refused(&events), 1, "{events:?}");
    assert_allocated(&log);
}
