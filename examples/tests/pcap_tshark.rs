//! The `--pcap` writer is checked by the dissector people will open its
//! files with: tshark (Debian `tshark`) reads a capture we write and must
//! dissect every packet as the protocol it carries, with no malformed
//! packet and no expert error, IP and UDP checksums verified.
//!
//! Inputs are real messages, never invented: every SIP message of the
//! RFC 3665 call flows (as extracted into rtclite-sip's test vectors), and
//! RTP and RTCP datagrams captured from two baresip instances (rtclite-rtp's
//! `tests/captures`). A second test runs `rtclite proxy --pcap` while SIPp
//! places calls through it and dissects the file the proxy wrote.
//!
//! Without tshark (or SIPp, for the second test) the tests fail when
//! `CI=true` and say so loudly otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[allow(unreachable_pub)]
#[path = "../src/pcap.rs"]
mod pcap;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use sipp_support::{Background, RtcliteProxy, free_udp_ports, peer, register, run_sipp};

const SIP_A: &str = "127.0.0.1:5060";
const SIP_B: &str = "127.0.0.2:5060";
const RTP_A: &str = "127.0.0.1:40000";
const RTP_B: &str = "127.0.0.2:40002";
const RTCP_A: &str = "127.0.0.1:40001";
const RTCP_B: &str = "127.0.0.2:40003";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn hex_lines(path: &Path) -> Vec<Vec<u8>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| unhex(l.trim()))
        .collect()
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Every RFC 3665 message, in file-name order.
fn rfc3665_messages() -> Vec<(String, Vec<u8>)> {
    let dir = workspace().join("rtclite-sip/tests/vectors/rfc3665");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sip"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Runs tshark over `file` with `decode_as` rules and checksum checks on;
/// returns the protocol stack of each frame and the full verbose text.
fn tshark(file: &Path, decode_as: &[String]) -> (Vec<String>, String) {
    let mut base = Command::new("tshark");
    base.arg("-n")
        .args([
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ])
        .arg("-r")
        .arg(file);
    for d in decode_as {
        base.args(["-d", d]);
    }
    let mut fields = Command::new(base.get_program());
    fields.args(base.get_args());
    fields.args(["-T", "fields", "-e", "frame.protocols"]);
    let (ok, out, err) = common::run_bounded(&mut fields, Duration::from_secs(60));
    assert!(ok, "tshark failed: {err}");
    let stacks = out.lines().map(str::to_owned).collect();
    let mut verbose = Command::new(base.get_program());
    verbose.args(base.get_args()).arg("-V");
    let (ok, text, err) = common::run_bounded(&mut verbose, Duration::from_secs(60));
    assert!(ok, "tshark -V failed: {err}");
    (stacks, text)
}

/// Fails on anything tshark flags: malformed packets, expert errors and
/// warnings (bad checksums are expert errors).
fn assert_clean(text: &str) {
    for bad in [
        "Malformed",
        "[Severity level: Error]",
        "[Severity level: Warning]",
        "Bad checksum",
        "[Checksum Status: Bad]",
    ] {
        if let Some(at) = text.find(bad) {
            let from = text[..at].rfind("\nFrame ").unwrap_or(0);
            panic!(
                "tshark reports {bad:?}:\n{}",
                &text[from..(at + 200).min(text.len())]
            );
        }
    }
}

#[test]
fn tshark_dissects_sip_rtp_and_rtcp_we_write() {
    if peer("tshark", "tshark").is_none() {
        return;
    }
    let a: SocketAddr = SIP_A.parse().unwrap();
    let b: SocketAddr = SIP_B.parse().unwrap();
    let file = std::env::temp_dir().join(format!("rtclite-pcap-{}.pcap", std::process::id()));
    let mut w = pcap::PcapWriter::new(std::fs::File::create(&file).unwrap()).unwrap();
    let at = SystemTime::now();
    let sip = rfc3665_messages();
    assert!(sip.len() > 100, "the RFC 3665 vectors are present");
    for (i, (_, m)) in sip.iter().enumerate() {
        let (s, d) = if i % 2 == 0 { (a, b) } else { (b, a) };
        w.write_udp(at, s, d, m).unwrap();
    }
    let captures = workspace().join("rtclite-rtp/tests/captures");
    let rtp_a = hex_lines(&captures.join("baresip_pcmu_rtp_a.hex"));
    let rtp_b = hex_lines(&captures.join("baresip_pcmu_rtp_b.hex"));
    let rtcp = hex_lines(&captures.join("baresip_rtcp.hex"));
    let (ra, rb): (SocketAddr, SocketAddr) = (RTP_A.parse().unwrap(), RTP_B.parse().unwrap());
    for (pa, pb) in rtp_a.iter().zip(&rtp_b) {
        w.write_udp(at, ra, rb, pa).unwrap();
        w.write_udp(at, rb, ra, pb).unwrap();
    }
    let (ca, cb): (SocketAddr, SocketAddr) = (RTCP_A.parse().unwrap(), RTCP_B.parse().unwrap());
    for (i, c) in rtcp.iter().enumerate() {
        let (s, d) = if i % 2 == 0 { (ca, cb) } else { (cb, ca) };
        w.write_udp(at, s, d, c).unwrap();
    }
    // One IPv6 datagram too (the other header form).
    let v6a: SocketAddr = "[::1]:5060".parse().unwrap();
    let v6b: SocketAddr = "[::1]:5062".parse().unwrap();
    w.write_udp(at, v6a, v6b, &sip[0].1).unwrap();
    drop(w.into_inner());

    let decode = vec![
        "udp.port==40000,rtp".to_owned(),
        "udp.port==40002,rtp".to_owned(),
        "udp.port==40001,rtcp".to_owned(),
        "udp.port==40003,rtcp".to_owned(),
    ];
    let (stacks, text) = tshark(&file, &decode);
    let _ = std::fs::remove_file(&file);
    let total = sip.len() + rtp_a.len().min(rtp_b.len()) * 2 + rtcp.len() + 1;
    assert_eq!(stacks.len(), total, "one frame per packet written");
    assert_clean(&text);
    let count = |needle: &str| stacks.iter().filter(|s| s.ends_with(needle)).count();
    // Three RFC 3665 responses (§3.9 F6, F8, F10) are printed with two
    // spaces after "SIP/2.0", which the Status-Line grammar does not allow
    // (RFC 3261 §7.2: exactly one SP); tshark declines them as SIP and
    // shows them as data. Every other message is dissected as SIP.
    let bad_status_line = sip
        .iter()
        .filter(|(_, m)| m.starts_with(b"SIP/2.0  "))
        .count();
    assert_eq!(bad_status_line, 3);
    let sip_frames = stacks
        .iter()
        .filter(|s| s.starts_with("raw:ip:udp:sip"))
        .count();
    assert_eq!(sip_frames, sip.len() - bad_status_line, "{stacks:?}");
    assert_eq!(count("raw:ip:udp:data"), bad_status_line);
    assert_eq!(count("ipv6:udp:sip") + count("ipv6:udp:sip:sdp"), 1);
    assert_eq!(count("ip:udp:rtp"), rtp_a.len().min(rtp_b.len()) * 2);
    assert_eq!(count("ip:udp:rtcp"), rtcp.len());
    // The checksums were verified, not skipped: every IPv4 header and every
    // UDP datagram (IPv6 included) is reported good.
    assert_eq!(
        text.matches("[Header checksum status: Good]").count(),
        total - 1
    );
    assert_eq!(text.matches("[Checksum Status: Good]").count(), total);
    // The SDP bodies of the INVITEs are dissected too.
    assert!(count("sip:sdp") > 10);
}

#[test]
fn rtclite_proxy_pcap_of_sipp_calls_dissects_cleanly() {
    if peer("tshark", "tshark").is_none() {
        return;
    }
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    const CALLS: u64 = 20;
    let file = std::env::temp_dir().join(format!("rtclite-proxy-{}.pcap", std::process::id()));
    let proxy = RtcliteProxy::start(&[
        "--listen",
        "udp:127.0.0.1:0",
        "--listen",
        "tcp:127.0.0.1:0",
        "--pcap",
        file.to_str().unwrap(),
    ]);
    let ports = free_udp_ports(2);
    let (uas_port, uac_port) = (ports[0].to_string(), ports[1].to_string());
    let _uas = Background::spawn(
        "sipp uas",
        Command::new(&sipp).args([
            "-sn",
            "uas",
            "-i",
            "127.0.0.1",
            "-p",
            &uas_port,
            "-nostdin",
            "-timeout",
            "30s",
        ]),
        None,
    );
    std::thread::sleep(Duration::from_millis(300));
    register(
        proxy.addr("udp"),
        "service",
        "127.0.0.1",
        &format!("sip:service@127.0.0.1:{uas_port}"),
    );
    let target = proxy.addr("udp").to_string();
    let (ok, stats) = run_sipp(
        &sipp,
        &[
            "-sn",
            "uac",
            "-s",
            "service",
            "-i",
            "127.0.0.1",
            "-p",
            &uac_port,
            "-m",
            "20",
            "-r",
            "50",
            "-timeout",
            "30s",
            &target,
        ],
        Duration::from_secs(40),
    );
    assert!(ok, "{:?}", stats.0);
    stats.assert_clean(CALLS);
    // One REGISTER over TCP: the framed request and the 200 written back
    // on the same connection are recorded too (as datagrams between the
    // connection's two endpoints; see src/pcap.rs).
    let tcp_peer = register_over_tcp(proxy.addr("tcp"));
    proxy.stop();
    let (stacks, text) = tshark(&file, &[]);
    let _ = std::fs::remove_file(&file);
    assert_clean(&text);
    let tcp_port = format!("Source Port: {}", tcp_peer.port());
    let tcp_port_dst = format!("Destination Port: {}", tcp_peer.port());
    assert_eq!(text.matches(&tcp_port).count(), 1, "the REGISTER over TCP");
    assert_eq!(text.matches(&tcp_port_dst).count(), 1, "its 200 over TCP");
    assert!(
        stacks.iter().all(|s| s.starts_with("raw:ip:udp:sip")),
        "{stacks:?}"
    );
    // Per call through the proxy: INVITE, 100 (ours), 180, 200, ACK, BYE and
    // 200 each way (the UAS's 100 too), plus the REGISTER and its 200.
    let invites = text.matches("Request-Line: INVITE sip:service@").count();
    assert_eq!(invites as u64, 2 * CALLS, "each INVITE in and out");
    let byes = text.matches("Request-Line: BYE sip:").count();
    assert_eq!(byes as u64, 2 * CALLS);
    assert!(text.matches("Status-Line: SIP/2.0 200 OK").count() as u64 > 4 * CALLS);
}

/// Sends one REGISTER over a new TCP connection and reads the 200 on it;
/// returns the connection's local address.
fn register_over_tcp(proxy: SocketAddr) -> SocketAddr {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(proxy).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let local = tcp.local_addr().unwrap();
    let request = format!(
        "REGISTER sip:{proxy};transport=tcp SIP/2.0\r\n\
         Via: SIP/2.0/TCP {local};branch=z9hG4bK-tcp-reg\r\n\
         Max-Forwards: 70\r\nFrom: <sip:tcpuser@127.0.0.1>;tag=t1\r\n\
         To: <sip:tcpuser@127.0.0.1>\r\nCall-ID: tcp-reg@{local}\r\n\
         CSeq: 1 REGISTER\r\nContact: <sip:tcpuser@{local};transport=tcp>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tcp.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        got.starts_with(b"SIP/2.0 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    local
}
