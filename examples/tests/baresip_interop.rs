//! baresip (Debian package, 1.0) against our endpoints, on loopback:
//!
//! - baresip registers with `rtclite proxy` (answering its digest
//!   challenge) and calls `rtclite echo` (registered too) through it; RTP
//!   flows both ways, as both the echo's summary and baresip's own bitrate
//!   display show;
//! - `rtclite phone --srtp required` calls a baresip that auto-answers with
//!   mandatory SDES-SRTP (`mediaenc=srtp-mand`); PCMU over SRTP flows both
//!   ways and our recording holds baresip's 440 Hz tone.
//!
//! The baresip configuration is `fixtures/baresip/config`. Every process
//! is bounded in time (baresip's `-t`, our `--duration`) and killed by PID.
//! Without baresip the tests fail when `CI=true` and say so loudly
//! otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/baresip/support.rs"]
mod endpoint_support;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use endpoint_support::{Endpoint, events, temp_dir};
use sipp_support::{Background, free_udp_ports, peer};

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A baresip configuration directory: the fixture config with its
/// placeholders filled, the account line, and a 20 s 440 Hz tone at 8 kHz.
fn baresip_dir(tag: &str, sip_port: u16, account: &str) -> PathBuf {
    let dir = temp_dir(tag);
    let tone = dir.join("tone.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&tone, spec).unwrap();
    for i in 0..8000 * 20 {
        let t = f64::from(i) / 8000.0;
        w.write_sample((8000.0 * (std::f64::consts::TAU * 440.0 * t).sin()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/baresip/config");
    let config = std::fs::read_to_string(fixture)
        .unwrap()
        .replace("@SIP_LISTEN@", &format!("127.0.0.1:{sip_port}"))
        .replace("@AUDIO_FILE@", tone.to_str().unwrap());
    std::fs::write(dir.join("config"), config).unwrap();
    std::fs::write(dir.join("accounts"), format!("{account}\n")).unwrap();
    dir
}

/// The last `audio=TX/RX` bitrate pair baresip displayed.
fn last_bitrates(log: &str) -> (u64, u64) {
    let i = log
        .rfind("audio=")
        .expect("baresip showed its audio bitrates");
    let rest = &log[i + "audio=".len()..];
    let pair: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '/')
        .collect();
    let (tx, rx) = pair.split_once('/').unwrap();
    (tx.parse().unwrap(), rx.parse().unwrap())
}

#[test]
fn baresip_registers_with_our_proxy_and_calls_our_echo() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(baresip) = peer("baresip", "baresip") else {
        return;
    };
    let dir = temp_dir("baresip-proxy");
    let users = dir.join("users");
    std::fs::write(&users, "bob:bob-secret\necho:echo-secret\n").unwrap();
    let mut proxy = Endpoint::start(&[
        "proxy",
        "--listen",
        "udp:127.0.0.1:0",
        "--users",
        users.to_str().unwrap(),
        "--domain",
        "127.0.0.1",
        "--json",
        "--duration",
        "40",
    ]);
    let proxy_addr = proxy.listening();
    let registrar = format!("sip:{proxy_addr}");
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--register",
        &registrar,
        "--user",
        "echo",
        "--password",
        "echo-secret",
        "--json",
        "--duration",
        "30",
    ]);
    echo.wait_for("registered", Duration::from_secs(10));

    let port = free_udp_ports(1)[0];
    let bdir = baresip_dir(
        "baresip-caller",
        port,
        &format!("<sip:bob@{proxy_addr}>;auth_pass=bob-secret;regint=60"),
    );
    let log = bdir.join("baresip.log");
    let target = format!("/dial sip:echo@{proxy_addr}");
    let mut b = Background::spawn(
        "baresip",
        Command::new(&baresip).args(["-4", "-f", bdir.to_str().unwrap(), "-e", &target, "-t", "5"]),
        Some(&log),
    );
    let summary = echo.wait_for("summary", Duration::from_secs(20));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while b.running() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(b);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("Call established: sip:echo@"), "{text}");

    // The echo answered baresip's PCMU call and RTP flowed both ways.
    let answered = events(&echo.seen, "answered");
    assert_eq!(answered[0]["codec"], "PCMU");
    assert!(answered[0]["from"].as_str().unwrap().contains("sip:bob@"));
    let received = summary["packets_received"].as_u64().unwrap();
    let sent = summary["packets_sent"].as_u64().unwrap();
    assert!(received >= 200 && sent >= 200, "{summary}");
    assert_eq!(summary["lost"], 0, "{summary}");
    // baresip saw 64 kbit/s of PCMU in both directions.
    let (tx, rx) = last_bitrates(&text);
    assert!(tx >= 60_000 && rx >= 60_000, "baresip tx {tx} rx {rx}");

    // The proxy challenged baresip's REGISTER, then routed its INVITE to
    // the echo's registered contact.
    drop(echo);
    proxy.wait_for_n("registration", 2, Duration::from_secs(5));
    let routed = proxy.wait_for("routed", Duration::from_secs(5));
    assert_eq!(routed["method"], "INVITE");
    assert!(
        events(&proxy.seen, "registration").iter().any(|r| r["aor"]
            .as_str()
            .unwrap()
            .starts_with("sip:bob@")
            && r["status"] == 200),
        "{:#?}",
        proxy.seen
    );
    assert!(
        events(&proxy.seen, "final_response")
            .iter()
            .any(|r| r["method"] == "REGISTER" && r["status"] == 401)
    );
    drop(proxy);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&bdir).unwrap();
}

#[test]
fn our_phone_calls_an_auto_answering_baresip_with_srtp() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(baresip) = peer("baresip", "baresip") else {
        return;
    };
    let port = free_udp_ports(1)[0];
    let bdir = baresip_dir(
        "baresip-callee",
        port,
        &format!("<sip:bob@127.0.0.1:{port}>;regint=0;answermode=auto;mediaenc=srtp-mand"),
    );
    let log = bdir.join("baresip.log");
    let mut b = Background::spawn(
        "baresip",
        Command::new(&baresip).args(["-4", "-f", bdir.to_str().unwrap(), "-t", "15"]),
        Some(&log),
    );
    // baresip is up once it logs that it is ready.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("baresip is ready")
    {
        assert!(
            b.running(),
            "baresip exited: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        assert!(
            std::time::Instant::now() < deadline,
            "baresip did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let rec = bdir.join("rec.wav");
    let target = format!("sip:bob@127.0.0.1:{port}");
    let phone = Endpoint::start(&[
        "phone",
        "--call",
        &target,
        "--srtp",
        "required",
        "--codec",
        "pcmu",
        "--duration",
        "3",
        "--tone",
        "300",
        "--record",
        rec.to_str().unwrap(),
        "--json",
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(30));
    drop(b);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(ok, "{stderr}\n{seen:#?}\n{text}");
    let established = events(&seen, "established")[0];
    assert_eq!(established["codec"], "PCMU");
    assert_eq!(established["srtp"], "AES_CM_128_HMAC_SHA1_80");
    let s = events(&seen, "summary")[0];
    let received = s["packets_received"].as_u64().unwrap();
    assert!(received >= 140, "{s}");
    assert!(s["packets_sent"].as_u64().unwrap() >= 145, "{s}");
    assert_eq!(s["lost"], 0, "{s}");
    // baresip sends its first RTCP APP "PING" keep-alive unprotected; we
    // drop it as SRTCP demands (RFC 3711 §3.4 authentication). Nothing else
    // may fail.
    assert!(s["srtp_failures"].as_u64().unwrap() <= 1, "{s}");
    // baresip's call summary (rtcpsummary module) counts our packets.
    assert!(text.contains("Call established"), "{text}");
    // Our recording holds baresip's 440 Hz tone: 880 zero crossings a
    // second.
    let wav: Vec<i16> = hound::WavReader::open(&rec)
        .unwrap()
        .into_samples::<i16>()
        .map(Result::unwrap)
        .collect();
    let mid = &wav[8000..16_000];
    let zc = mid.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    assert!((870..=890).contains(&zc), "{zc}");
    std::fs::remove_dir_all(&bdir).unwrap();
}
