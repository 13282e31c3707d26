//! `rtclite demo`: a whole call on loopback inside one process.
//!
//! 1. `rtclite proxy` (the registrar and stateful proxy of [`crate::proxy`],
//!    on a thread of its own) listens on a free loopback port with digest
//!    authentication for two users;
//! 2. an echo endpoint ([`crate::echo`]) registers with it;
//! 3. a phone registers (answering the 401 digest challenge), calls the
//!    echo through the proxy with Opus over SRTP (SDES keys, RFC 4568,
//!    `--srtp required`), plays a generated test signal for three seconds,
//!    records what comes back, and hangs up;
//! 4. the recording is compared with the signal sent: the round-trip
//!    latency by cross-correlation, the SNR of the echo, with the loss and
//!    jitter the phone's RTCP session measured.
//!
//! The exit status is 0 only when every step worked and the echo's SNR is
//! at least [`SNR_THRESHOLD_DB`] with no packet lost.
//!
//! RTCP reports every second (instead of RFC 3550's 5 s minimum) so that a
//! three-second call gets a round-trip time from LSR/DLSR.

use std::time::Duration;

use clap::{Args, Parser};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::json;

use crate::inspect::CliError;
use crate::media::audio::{AudioSource, TestSignal};
use crate::media::codec::CodecKind;
use crate::media::quality::align_and_snr;
use crate::media::sdp::SrtpMode;
use crate::phone::endpoint::{self, Endpoint, EndpointConfig, Output};
use crate::phone::{CallPlan, place_call, run_call};
use crate::runtime::ListenAddr;

/// The lowest SNR of the echoed test signal the demo accepts, in dB. Two
/// Opus generations (phone to echo, echo back) of the test signal at the
/// RFC 7587 recommended speech bitrate (40 kbit/s fullband) measure
/// 6.4-7.2 dB on loopback (7.2 dB offline, codec alone); an echo that is
/// not our signal, or is misaligned by a frame, scores near 0 dB.
pub(crate) const SNR_THRESHOLD_DB: f64 = 4.0;
/// Seconds of test signal the phone plays.
const SIGNAL_SECONDS: f64 = 3.0;
/// Seed of the test signal.
const SIGNAL_SEED: u64 = 2026;
/// How long the proxy thread runs at most.
const PROXY_SECONDS: &str = "120";

/// Arguments of `rtclite demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Also print the SIP messages on stderr.
    #[arg(long)]
    trace: bool,
}

#[derive(Debug, Parser)]
struct ProxyCommand {
    #[command(flatten)]
    args: crate::proxy::ProxyArgs,
}

fn password() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

fn say(label: &str, text: impl AsRef<str>) {
    println!("{label:<8}{}", text.as_ref());
}

/// Runs `rtclite demo`.
pub(crate) fn run(args: DemoArgs, verbose: u8, quiet: bool) -> Result<(), CliError> {
    let trace = (args.trace || verbose > 0) && !quiet;
    let dir = std::env::temp_dir().join(format!("rtclite-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
        what: dir.display().to_string(),
        source,
    })?;
    let result = demo(&dir, trace);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn demo(dir: &std::path::Path, trace: bool) -> Result<(), CliError> {
    let (alice_pw, echo_pw) = (password(), password());
    let users = dir.join("users");
    std::fs::write(&users, format!("alice:{alice_pw}\necho:{echo_pw}\n")).map_err(|source| {
        CliError::Io {
            what: users.display().to_string(),
            source,
        }
    })?;
    // A free loopback port for the proxy.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map_err(|source| CliError::Io {
            what: "finding a free port".into(),
            source,
        })?
        .port();
    let listen = format!("udp:127.0.0.1:{port}");
    let users_arg = users.display().to_string();
    let proxy = ProxyCommand::try_parse_from([
        "proxy",
        "--listen",
        &listen,
        "--users",
        &users_arg,
        "--domain",
        "127.0.0.1",
        "--duration",
        PROXY_SECONDS,
    ])
    .map_err(|e| CliError::Invalid(format!("proxy arguments: {e}")))?;
    say(
        "proxy",
        format!("starting on {listen}: registrar and stateful proxy, digest users alice and echo"),
    );
    std::thread::spawn(move || {
        if let Err(e) = crate::proxy::run(proxy.args, 0, true) {
            eprintln!("error: proxy: {e}");
        }
    });
    let registrar = format!("sip:127.0.0.1:{port}");
    let ep_cfg = |user: &str, pw: &str, codecs: Vec<CodecKind>, srtp| -> Result<_, CliError> {
        Ok(EndpointConfig {
            listen: ListenAddr::parse("udp:127.0.0.1:0").map_err(CliError::Invalid)?,
            user: user.to_owned(),
            password: Some(pw.to_owned()),
            register: Some(registrar.clone()),
            proxy: None,
            codecs,
            srtp,
            rtcp_mux: false,
            rtcp_interval: 1.0,
            pcap: None,
            trace,
            out: Output {
                json: false,
                label: Some(user.to_owned()),
                quiet: false,
            },
        })
    };
    let echo_cfg = ep_cfg(
        "echo",
        &echo_pw,
        CodecKind::ALL.to_vec(),
        SrtpMode::Optional,
    )?;
    let phone_cfg = ep_cfg(
        "alice",
        &alice_pw,
        vec![CodecKind::Opus],
        SrtpMode::Required,
    )?;
    let target = format!("sip:echo@127.0.0.1:{port}");

    endpoint::runtime()?.block_on(async move {
        let mut echo = Endpoint::start(echo_cfg).await?;
        let expires = echo.register().await?;
        say(
            "echo",
            format!("registered {} (digest, {expires} s)", echo.aor),
        );
        let (stop_echo, stopped) = tokio::sync::oneshot::channel::<()>();
        let echo_task = tokio::spawn(async move {
            let r = crate::echo::serve(&mut echo, async move {
                let _ = stopped.await;
            })
            .await;
            echo.unregister().await;
            echo.shutdown().await;
            r
        });

        let mut phone = Endpoint::start(phone_cfg).await?;
        let expires = phone.register().await?;
        say(
            "alice",
            format!("registered {} (digest, {expires} s)", phone.aor),
        );
        let plan = CallPlan {
            duration: SIGNAL_SECONDS + 0.6,
            source: Box::new(|rate| -> Result<Box<dyn AudioSource>, CliError> {
                Ok(Box::new(TestSignal::new(rate, SIGNAL_SECONDS, SIGNAL_SEED)))
            }),
            record: true,
            dtmf: None,
            message: None,
            hold: None,
        };
        say(
            "alice",
            format!("playing {SIGNAL_SECONDS} s of test signal to the echo, recording it"),
        );
        let outcome = async {
            let (call, state) = place_call(&mut phone, &target, &plan).await?;
            run_call(&mut phone, call, state, &plan).await
        }
        .await;
        phone.unregister().await;
        phone.shutdown().await;
        let _ = stop_echo.send(());
        let echo_result = tokio::time::timeout(Duration::from_secs(10), echo_task).await;
        let summary = outcome?;
        match echo_result {
            Ok(Ok(Ok(calls))) if !calls.is_empty() => {}
            Ok(Ok(Err(e))) => return Err(e),
            _ => return Err(CliError::Invalid("the echo did not report its call".into())),
        }

        let mut failures = Vec::new();
        if summary.codec != CodecKind::Opus {
            failures.push(format!("codec {} instead of opus", summary.codec));
        }
        if summary.srtp.is_none() {
            failures.push("media not protected by SRTP".to_owned());
        }
        let rec = summary
            .stream
            .as_ref()
            .and_then(|s| s.recorder())
            .ok_or_else(|| CliError::Invalid("no recording".into()))?;
        let reference = TestSignal::render(rec.rate(), SIGNAL_SECONDS, SIGNAL_SEED);
        let q = align_and_snr(&reference, rec.samples(), rec.rate(), 0.5);
        let s = summary.stats;
        let line = json!({
            "event": "quality",
            "round_trip_ms": q.map(|q| q.delay_ms),
            "correlation": q.map(|q| q.correlation),
            "snr_db": q.map(|q| q.snr_db),
            "lost": s.lost,
            "expected": s.expected,
            "jitter_ms": s.jitter_ms,
            "rtt_ms": s.rtt_ms,
            "mos": summary.mos,
        });
        match q {
            Some(q) => say(
                "quality",
                format!(
                    "round-trip latency {:.1} ms (cross-correlation {:.3}), SNR {:.1} dB, loss {}/{} ({:.2}%), jitter {:.2} ms, RTCP RTT {}, MOS {:.2}",
                    q.delay_ms,
                    q.correlation,
                    q.snr_db,
                    s.lost,
                    s.expected,
                    summary.loss_percent(),
                    s.jitter_ms,
                    s.rtt_ms.map_or("n/a".to_owned(), |r| format!("{r:.1} ms")),
                    summary.mos
                ),
            ),
            None => failures.push("the recording holds no echo of the test signal".to_owned()),
        }
        println!("{line}");
        if let Some(q) = q {
            if q.snr_db < SNR_THRESHOLD_DB {
                failures.push(format!(
                    "SNR {:.1} dB below {SNR_THRESHOLD_DB} dB",
                    q.snr_db
                ));
            }
        }
        if s.lost != 0 {
            failures.push(format!("{} packets lost on loopback", s.lost));
        }
        if s.packets_received == 0 {
            failures.push("no media received".to_owned());
        }
        if failures.is_empty() {
            say("demo", "every step worked");
            Ok(())
        } else {
            Err(CliError::Invalid(format!("demo failed: {}", failures.join("; "))))
        }
    })
}
