//! `rtclite phone` against `rtclite echo` and against another
//! `rtclite phone --answer`, on loopback: the whole feature set of issue
//! 11's phone (SRTP with SDES keys, RFC 4733 DTMF both ways, MESSAGE,
//! re-INVITE hold and resume, RTCP RTT, WAV recording, pcap) checked from
//! the JSON each endpoint prints, the recorded WAV and tshark's reading of
//! the capture.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/baresip/support.rs"]
mod endpoint_support;

use std::time::Duration;

use endpoint_support::{Endpoint, events, temp_dir};

fn zero_crossings(x: &[i16]) -> usize {
    x.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count()
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

#[test]
fn phone_calls_echo_with_srtp_dtmf_message_and_hold() {
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "30",
        "--rtcp-interval",
        "1",
    ]);
    let addr = echo.listening();
    let dir = temp_dir("phone-echo");
    let rec = dir.join("rec.wav");
    let pcap = dir.join("phone.pcap");
    let target = format!("sip:echo@{addr}");
    let phone = Endpoint::start(&[
        "phone",
        "--call",
        &target,
        "--codec",
        "pcmu",
        "--srtp",
        "required",
        "--tone",
        "600",
        "--dtmf",
        "12#",
        "--message",
        "hello echo",
        "--hold-after",
        "1.5",
        "--resume-after",
        "2.5",
        "--duration",
        "4",
        "--rtcp-interval",
        "1",
        "--json",
        "--record",
        rec.to_str().unwrap(),
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(30));
    assert!(ok, "phone failed: {stderr}\n{seen:#?}");

    let established = events(&seen, "established")[0];
    assert_eq!(established["codec"], "PCMU");
    // The first offered suite:
    // [RFC 4568 §7.1.2] "the answerer MUST either accept one (and only one)
    // of the crypto lines"
    assert_eq!(established["srtp"], "AES_CM_128_HMAC_SHA1_80");
    // The echo returns the MESSAGE's text in the dialog.
    assert_eq!(events(&seen, "message_result")[0]["status"], 200);
    let back = events(&seen, "message");
    assert_eq!(back.len(), 1, "{seen:#?}");
    assert_eq!(back[0]["text"], "hello echo");
    // Hold (RFC 3264 §8.4: sendonly offered, recvonly answered) and resume.
    let updates: Vec<&str> = events(&seen, "session_updated")
        .iter()
        .map(|v| v["direction"].as_str().unwrap())
        .collect();
    assert_eq!(updates, ["sendonly", "sendrecv"]);
    assert_eq!(events(&seen, "dtmf_sent").len(), 1);

    let s = events(&seen, "summary")[0];
    assert_eq!(s["codec"], "PCMU");
    assert_eq!(s["lost"], 0);
    assert_eq!(s["srtp_failures"], 0);
    assert_eq!(s["dtmf_sent"], 3);
    // 4 s of 20 ms packets, all sent (hold only stops the echo).
    let sent = s["packets_sent"].as_u64().unwrap();
    assert!((195..=205).contains(&sent), "{s}");
    // SRTP adds the 10-octet tag to each 12 + 160 octets.
    assert!(
        s["bytes_sent"].as_u64().unwrap() >= sent * 182 - 3 * 7 * 160,
        "{s}"
    );
    // The echo stopped for about a second of hold, and we missed the
    // digits' frames it could not echo.
    let received = s["packets_received"].as_u64().unwrap();
    assert!((100..=185).contains(&received), "{s}");
    assert!(s["rtt_ms"].as_f64().is_some_and(|r| r < 50.0), "{s}");
    assert!(s["mos"].as_f64().unwrap() > 4.0, "{s}");

    // The echo saw the digits, the hold, and the end of the call.
    let v = echo.wait_for("summary", Duration::from_secs(10));
    assert!(v["packets_received"].as_u64().unwrap() >= 190, "{v}");
    assert_eq!(v["dtmf_received"], "12#");
    let peer_updates: Vec<&str> = events(&echo.seen, "session_updated")
        .iter()
        .map(|v| v["direction"].as_str().unwrap())
        .collect();
    assert_eq!(peer_updates, ["recvonly", "sendrecv"]);
    drop(echo);

    // The recording: the 600 Hz tone came back (1200 zero crossings a
    // second), and the hold silenced it.
    let wav: Vec<i16> = hound::WavReader::open(&rec)
        .unwrap()
        .into_samples::<i16>()
        .map(Result::unwrap)
        .collect();
    assert!(wav.len() > 3 * 8000, "{}", wav.len());
    let talk = &wav[2400..7200];
    assert!(rms(talk) > 2000.0, "{}", rms(talk));
    let zc = zero_crossings(talk);
    assert!((700..=740).contains(&zc), "{zc}");
    let held = &wav[15_200..18_400];
    assert!(rms(held) < 100.0, "{}", rms(held));

    // tshark reads the capture: SIP and RTP (heuristic) with no malformed
    // packet.
    if let Some(tshark) = tshark() {
        let out = std::process::Command::new(tshark)
            .args([
                "-r",
                pcap.to_str().unwrap(),
                "-o",
                "rtp.heuristic_rtp:TRUE",
                "-T",
                "fields",
                "-e",
                "frame.protocols",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("malformed"), "{text}");
        assert!(
            text.lines()
                .filter(|l| l.ends_with(":sip") || l.contains(":sip:"))
                .count()
                >= 8
        );
        assert!(
            text.lines().filter(|l| l.contains(":rtp")).count() >= 300,
            "{text}"
        );
        assert!(text.lines().any(|l| l.contains("rtcp")), "{text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tshark() -> Option<&'static str> {
    let found = std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok();
    if !found {
        let msg = "tshark is not installed (Debian package tshark): the capture was not checked";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!!!!!!!!!!!!! {msg} !!!!!!!!!!!!!!!!\n");
        return None;
    }
    Some("tshark")
}

#[test]
fn srtp_required_is_refused_by_a_plain_rtp_echo() {
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "20",
        "--srtp",
        "off",
    ]);
    let addr = echo.listening();
    let target = format!("sip:echo@{addr}");
    let phone = Endpoint::start(&["phone", "--call", &target, "--srtp", "required", "--json"]);
    let (ok, _, stderr) = phone.finish(Duration::from_secs(20));
    assert!(!ok);
    // With no other stream the whole offer is refused (RFC 3264 §6.1):
    // [RFC 4568 §7.1.2] "or it MUST reject the media stream"
    assert!(
        stderr.starts_with("error: ") && stderr.contains("rejected with 488"),
        "{stderr}"
    );
    let rejected = echo.wait_for("rejected", Duration::from_secs(5));
    assert_eq!(rejected["status"], 488);
}

#[test]
fn phone_answers_a_phone_opus_with_dtmf() {
    let mut callee = Endpoint::start(&[
        "phone",
        "--answer",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "2.5",
        "--tone",
        "440",
        "--user",
        "bob",
    ]);
    let addr = callee.listening();
    let target = format!("sip:bob@{addr}");
    let caller = Endpoint::start(&[
        "phone",
        "--call",
        &target,
        "--codec",
        "opus",
        "--tone",
        "300",
        "--dtmf",
        "5*",
        "--dtmf-after",
        "0.3",
        "--duration",
        "2",
        "--json",
    ]);
    let (ok, seen, stderr) = caller.finish(Duration::from_secs(30));
    assert!(ok, "{stderr}");
    assert_eq!(events(&seen, "established")[0]["codec"], "opus");
    let (ok, callee_seen, stderr) = callee.finish(Duration::from_secs(30));
    assert!(ok, "{stderr}");
    assert_eq!(events(&callee_seen, "incoming_call").len(), 1);
    let digits: Vec<(&str, u64)> = events(&callee_seen, "dtmf")
        .iter()
        .map(|v| {
            (
                v["digit"].as_str().unwrap(),
                v["duration_ms"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(digits, [("5", 100), ("*", 100)]);
    let ended = events(&callee_seen, "ended");
    assert_eq!(ended[0]["reason"], "the peer hung up");
    let s = events(&callee_seen, "summary")[0];
    assert!(s["packets_received"].as_u64().unwrap() >= 90, "{s}");
    assert_eq!(s["lost"], 0);
    assert_eq!(s["dtmf_received"], "5*");
}

#[test]
fn echo_returns_a_message_sent_outside_a_call() {
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "20",
    ]);
    let addr = echo.listening();
    let to = format!("sip:echo@{addr}");
    let phone = Endpoint::start(&[
        "phone",
        "--message",
        "ping? pong!",
        "--message-to",
        &to,
        "--json",
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(20));
    assert!(ok, "{stderr}");
    // [RFC 3428 §7] "A 2xx response to a MESSAGE request MUST NOT contain a
    // body."
    // so the text comes back in a MESSAGE of its own.
    assert_eq!(events(&seen, "message_result")[0]["status"], 200);
    let back = events(&seen, "message");
    assert_eq!(back.len(), 1, "{seen:#?}");
    assert_eq!(back[0]["text"], "ping? pong!");
    assert!(back[0]["from"].as_str().unwrap().contains("sip:echo@"));
    let got = echo.wait_for("message", Duration::from_secs(5));
    assert_eq!(got["text"], "ping? pong!");
}

#[test]
fn rtcp_mux_is_offered_accepted_and_carries_the_reports() {
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "20",
        "--rtcp-interval",
        "0.5",
    ]);
    let addr = echo.listening();
    let target = format!("sip:echo@{addr}");
    let phone = Endpoint::start(&[
        "phone",
        "--call",
        &target,
        "--rtcp-mux",
        "--codec",
        "pcma",
        "--tone",
        "700",
        "--duration",
        "2.5",
        "--rtcp-interval",
        "0.5",
        "--json",
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(20));
    assert!(ok, "{stderr}");
    let s = events(&seen, "summary")[0];
    assert_eq!(s["codec"], "PCMA");
    // RTP and RTCP share the RTP port (RFC 5761): reports went both ways
    // and gave a round-trip time.
    assert!(s["rtcp_received"].as_u64().unwrap() >= 2, "{s}");
    assert!(s["rtt_ms"].as_f64().is_some(), "{s}");
    assert_eq!(
        s["discarded"], 1,
        "only the first packet, on probation: {s}"
    );
    let e = echo.wait_for("summary", Duration::from_secs(10));
    assert!(e["rtcp_received"].as_u64().unwrap() >= 2, "{e}");
}

#[test]
fn phone_plays_a_wav_file_and_records_its_echo() {
    let dir = temp_dir("phone-play");
    // A 16 kHz stereo file: 1 kHz on the left, silence on the right. The
    // phone mixes it to mono and resamples it to PCMU's 8 kHz.
    let play = dir.join("play.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&play, spec).unwrap();
    for i in 0..16_000 * 3 {
        let t = f64::from(i) / 16_000.0;
        w.write_sample((12_000.0 * (std::f64::consts::TAU * 1000.0 * t).sin()) as i16)
            .unwrap();
        w.write_sample(0i16).unwrap();
    }
    w.finalize().unwrap();
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--json",
        "--duration",
        "20",
    ]);
    let addr = echo.listening();
    let rec = dir.join("rec.wav");
    let target = format!("sip:echo@{addr}");
    let phone = Endpoint::start(&[
        "phone",
        "--call",
        &target,
        "--codec",
        "pcmu",
        "--play",
        play.to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
        "--duration",
        "2.5",
        "--json",
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(20));
    assert!(ok, "{stderr}");
    assert_eq!(events(&seen, "recorded").len(), 1);
    let reader = hound::WavReader::open(&rec).unwrap();
    assert_eq!(reader.spec().sample_rate, 8000);
    assert_eq!(reader.spec().channels, 1);
    let wav: Vec<i16> = reader.into_samples::<i16>().map(Result::unwrap).collect();
    // One second from the middle: the 1 kHz tone at half level (the mix
    // of a full left and a silent right channel).
    let mid = &wav[4000..12_000];
    let zc = zero_crossings(mid);
    assert!((1980..=2020).contains(&zc), "{zc}");
    let level = rms(mid);
    assert!((3800.0..4700.0).contains(&level), "{level}");
    drop(echo);
    std::fs::remove_dir_all(&dir).unwrap();
}
