//! `rtclite echo`: answers every call with the first offered codec it
//! supports and sends the caller's audio back; answers every MESSAGE with
//! its own text.
//!
//! The media is decoded and re-encoded, not reflected: each received frame
//! goes through the jitter buffer and the decoder, and the echo sends it
//! back as its own RTP stream (its own SSRC, sequence numbers, timestamps,
//! SRTP keys and RTCP reports). A reflector would have to rewrite SSRC and
//! keys anyway (RFC 3550 §8.2 would otherwise see our packets as a loop at
//! the caller, and each SRTP direction has its own key); decoding as well
//! makes the echo a complete endpoint whose RTCP describes what it really
//! sends, and lets the caller measure the whole path, both jitter buffers
//! included, with a second codec generation the only cost.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use rtclite_sip::ua::{Body, CallHandle, UaEvent};
use serde_json::json;

use crate::inspect::CliError;
use crate::media::codec::CodecKind;
use crate::media::sdp::SrtpMode;
use crate::media::stream::MediaEvent;
use crate::phone::endpoint::{
    self, CallState, CallSummary, Endpoint, EndpointConfig, Incoming, Output, header_uri,
};
use crate::phone::{answer_reinvite, end_reason};
use crate::runtime::ListenAddr;

/// Arguments of `rtclite echo`.
#[derive(Debug, Args)]
pub(crate) struct EchoArgs {
    /// SIP listening address, `udp:HOST:PORT` (port 0 picks a free port).
    /// Its IP is the one written in Contact, Via and SDP (a wildcard address
    /// is advertised as loopback: give the interface's address to talk to
    /// other hosts).
    #[arg(long, default_value = "udp:127.0.0.1:5060")]
    listen: String,
    /// Register with this registrar (a SIP URI).
    #[arg(long)]
    register: Option<String>,
    /// Our user name.
    #[arg(long, default_value = "echo")]
    user: String,
    /// Digest password.
    #[arg(long)]
    password: Option<String>,
    /// Send requests outside a dialog through this proxy (a SIP URI).
    #[arg(long)]
    proxy: Option<String>,
    /// Codecs accepted: pcmu, pcma, opus.
    #[arg(long, value_delimiter = ',', default_values_t = CodecKind::ALL.to_vec())]
    codec: Vec<CodecKind>,
    /// SRTP: `optional` (default: SRTP when the offer has keys, plain RTP
    /// otherwise), `required`, or `off`.
    #[arg(long, value_enum, default_value_t = SrtpMode::Optional)]
    srtp: SrtpMode,
    /// Minimum RTCP report interval in seconds.
    #[arg(long, default_value_t = 5.0)]
    rtcp_interval: f64,
    /// Stop after this many seconds (default: until SIGINT or SIGTERM).
    #[arg(long)]
    duration: Option<f64>,
    /// Print one JSON object per line.
    #[arg(long)]
    json: bool,
    /// Write every SIP and RTP/RTCP packet sent and received to this pcap.
    #[arg(long)]
    pcap: Option<PathBuf>,
}

/// Runs `rtclite echo`.
pub(crate) fn run(args: EchoArgs, verbose: u8, quiet: bool) -> Result<(), CliError> {
    let listen = ListenAddr::parse(&args.listen).map_err(CliError::Invalid)?;
    let pcap = crate::open_pcap(args.pcap.as_deref())?;
    let cfg = EndpointConfig {
        listen,
        user: args.user.clone(),
        password: args.password.clone(),
        register: args.register.clone(),
        proxy: args.proxy.clone(),
        codecs: args.codec.clone(),
        srtp: args.srtp,
        rtcp_mux: false,
        rtcp_interval: args.rtcp_interval,
        pcap,
        trace: verbose > 0 && !quiet,
        out: Output {
            json: args.json,
            label: None,
            quiet: false,
        },
    };
    let duration = args.duration;
    endpoint::runtime()?.block_on(async move {
        let mut ep = Endpoint::start(cfg).await?;
        ep.cfg.out.say(
            json!({"event": "listening", "address": format!("udp:{}", ep.sip_addr), "aor": ep.aor}),
            format!("listening udp:{} as {}", ep.sip_addr, ep.aor),
        );
        if let Some(r) = &args.register {
            let expires = ep.register().await?;
            ep.cfg.out.say(
                json!({"event": "registered", "registrar": r, "aor": ep.aor, "expires": expires}),
                format!("registered {} at {r} for {expires} s", ep.aor),
            );
        }
        let stop = crate::phone::endpoint::stop_signal(duration.map(Duration::from_secs_f64));
        let result = serve(&mut ep, stop).await;
        ep.unregister().await;
        ep.shutdown().await;
        result.map(|_| ())
    })
}

/// Answers calls and messages until `stop` completes; hangs up what is
/// left and returns the summary of every call.
pub(crate) async fn serve(
    ep: &mut Endpoint,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Vec<CallSummary>, CliError> {
    let out = ep.cfg.out.clone();
    let mut calls: HashMap<CallHandle, CallState> = HashMap::new();
    let mut summaries = Vec::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let ev = tokio::select! {
            () = &mut stop => break,
            ev = ep.events.recv() => match ev {
                Some(ev) => ev,
                None => break,
            },
        };
        match ev {
            Incoming::Ua(UaEvent::IncomingCall {
                call, from, offer, ..
            }) => match ep.new_answer(offer.as_ref()).await {
                Ok((mut state, body)) => {
                    let answered = ep
                        .act(move |ua, now| ua.answer(now, call, Some(body)))
                        .await?;
                    if let Err(e) = answered {
                        out.say(
                            json!({"event": "answer_failed", "reason": e.to_string()}),
                            format!("could not answer {from}: {e}"),
                        );
                        continue;
                    }
                    let params = state.params(&ep.cfg).map_err(CliError::Invalid)?;
                    ep.start_media(call, &mut state, None, false, true)?;
                    out.say(
                        json!({"event": "answered", "from": from, "codec": params.codec.to_string(),
                               "srtp": params.srtp.as_ref().map(|s| s.profile.name())}),
                        format!(
                            "answered {from}: {}{}",
                            params.codec,
                            params.srtp.as_ref().map_or(String::new(), |s| format!(
                                " over SRTP {}",
                                s.profile.name()
                            ))
                        ),
                    );
                    calls.insert(call, state);
                }
                Err((status, why)) => {
                    out.say(
                        json!({"event": "rejected", "from": from, "status": status, "reason": why}),
                        format!("rejected {from} with {status}: {why}"),
                    );
                    let _ = ep.act(move |ua, now| ua.reject(now, call, status)).await;
                }
            },
            Incoming::Ua(UaEvent::Established { call, .. }) => {
                if let Some(s) = calls.get_mut(&call) {
                    s.established = Some(Instant::now());
                }
            }
            Incoming::Ua(UaEvent::ReInvite { call, offer }) => {
                if let Some(mut s) = calls.remove(&call) {
                    let r = answer_reinvite(ep, call, &mut s, offer).await;
                    calls.insert(call, s);
                    r?;
                } else {
                    let _ = ep.act(move |ua, now| ua.reject(now, call, 481)).await;
                }
            }
            Incoming::Ua(UaEvent::Terminated { call, reason }) => {
                if let Some(s) = calls.remove(&call) {
                    out.say(
                        json!({"event": "ended", "reason": end_reason(reason)}),
                        format!("call ended: {}", end_reason(reason)),
                    );
                    if let Some(summary) = s.finish().await {
                        out.say(summary.to_json(), summary.to_text());
                        summaries.push(summary);
                    }
                }
            }
            Incoming::Ua(UaEvent::IncomingMessage { call, from, body }) => {
                let text = String::from_utf8_lossy(&body.bytes).into_owned();
                out.say(
                    json!({"event": "message", "from": from, "text": text}),
                    format!("message from {from}: {text:?}"),
                );
                let reply = Body::new(body.content_type.clone(), body.bytes.clone());
                // In the dialog it came in, else back to its sender's URI.
                let sent = match (call, header_uri(&from)) {
                    (Some(c), _) => {
                        ep.act(move |ua, now| ua.send_message_in_call(now, c, reply).map(|_| ()))
                            .await?
                    }
                    (None, Some(uri)) => {
                        ep.act(move |ua, now| ua.send_message(now, &uri, reply).map(|_| ()))
                            .await?
                    }
                    (None, None) => Ok(()),
                };
                if let Err(e) = sent {
                    out.say(
                        json!({"event": "message_failed", "reason": e.to_string()}),
                        format!("could not echo the message: {e}"),
                    );
                }
            }
            Incoming::Media(call, MediaEvent::Dtmf { digit, duration_ms }) => {
                if let Some(s) = calls.get_mut(&call) {
                    s.dtmf_received.push(digit);
                }
                out.say(
                    json!({"event": "dtmf", "digit": digit.to_string(), "duration_ms": duration_ms}),
                    format!("DTMF {digit} ({duration_ms} ms)"),
                );
            }
            _ => {}
        }
    }
    for (call, s) in calls.drain() {
        crate::phone::hang_up(ep, call).await;
        if let Some(summary) = s.finish().await {
            out.say(summary.to_json(), summary.to_text());
            summaries.push(summary);
        }
    }
    Ok(summaries)
}
