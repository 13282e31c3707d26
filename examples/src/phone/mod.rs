//! `rtclite phone`: a user agent that registers, calls or answers, plays
//! and records WAV, sends and receives RFC 4733 DTMF and instant messages,
//! puts the call on hold and back with re-INVITEs, and ends with a summary
//! of the call (setup time, packets and bytes, loss, jitter, RTT from RTCP,
//! codec and an estimated MOS).
//!
//! SIP is rtclite-sip's `UserAgent`, SDP rtclite-sdp's offer/answer
//! engine, media the engine of [`crate::media`]; this module is the script
//! that drives one call.

pub(crate) mod endpoint;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use rtclite_sdp::SessionDescription;
use rtclite_sip::ua::{Body, CallHandle, EndReason, UaEvent};
use serde_json::json;

use crate::inspect::CliError;
use crate::media::audio::{AudioSource, Silence, Tone, WavSource};
use crate::media::codec::CodecKind;
use crate::media::sdp::SrtpMode;
use crate::media::stream::MediaEvent;
use crate::runtime::ListenAddr;
use endpoint::{
    CallState, CallSummary, Endpoint, EndpointConfig, HANGUP_TIMEOUT, Incoming, Output,
};

/// How long a call may take to be answered.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `--answer` waits for a call (beyond `--duration`).
const ANSWER_WAIT: Duration = Duration::from_secs(60);

/// Arguments of `rtclite phone`.
#[derive(Debug, Args)]
pub(crate) struct PhoneArgs {
    /// SIP listening address, `udp:HOST:PORT` (port 0 picks a free port).
    /// Its IP is the one written in Contact, Via and SDP (a wildcard address
    /// is advertised as loopback: give the interface's address to talk to
    /// other hosts).
    #[arg(long, default_value = "udp:127.0.0.1:0")]
    listen: String,
    /// Register with this registrar (a SIP URI, e.g. sip:127.0.0.1:5060).
    #[arg(long)]
    register: Option<String>,
    /// Our user name (URI user part and digest username).
    #[arg(long, default_value = "phone")]
    user: String,
    /// Digest password (REGISTER and challenged requests).
    #[arg(long)]
    password: Option<String>,
    /// Send requests outside a dialog through this proxy (a SIP URI).
    #[arg(long)]
    proxy: Option<String>,
    /// Call this SIP URI.
    #[arg(long, conflicts_with = "answer")]
    call: Option<String>,
    /// Wait for one incoming call and answer it.
    #[arg(long)]
    answer: bool,
    /// Seconds the call lasts once established (then we hang up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Play this WAV file (mixed to mono, resampled to the codec's rate).
    #[arg(long, conflicts_with = "tone")]
    play: Option<PathBuf>,
    /// Play a sine tone of this frequency in Hz.
    #[arg(long)]
    tone: Option<f64>,
    /// Record what we receive to this WAV file (mono, codec rate).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Codecs in order of preference: pcmu, pcma, opus (comma-separated or
    /// repeated).
    #[arg(long, value_delimiter = ',', default_values_t = CodecKind::ALL.to_vec())]
    codec: Vec<CodecKind>,
    /// Send these DTMF digits (RFC 4733 events; 0-9 * # A-D).
    #[arg(long)]
    dtmf: Option<String>,
    /// Seconds after the call is established when the DTMF digits start.
    #[arg(long, default_value_t = 1.0)]
    dtmf_after: f64,
    /// SDES-keyed SRTP (RFC 4568): `optional` (the default when the flag is
    /// given without a value) or `required` (refuse unencrypted media).
    #[arg(long, value_enum, num_args = 0..=1, default_value_t = SrtpMode::Off,
          default_missing_value = "optional")]
    srtp: SrtpMode,
    /// Offer RTP/RTCP multiplexing on one port (RFC 5761).
    #[arg(long)]
    rtcp_mux: bool,
    /// Minimum RTCP report interval in seconds (RFC 3550 §6.2 default 5).
    #[arg(long, default_value_t = 5.0)]
    rtcp_interval: f64,
    /// Send this text as a MESSAGE (RFC 3428): inside the call once it is
    /// established, or to `--message-to` outside any call.
    #[arg(long)]
    message: Option<String>,
    /// Send `--message` to this SIP URI outside any call (and print the
    /// answer and any MESSAGE that comes back within a few seconds).
    #[arg(long, requires = "message")]
    message_to: Option<String>,
    /// Put the call on hold (re-INVITE, RFC 3264 §8.4) this many seconds
    /// after it is established.
    #[arg(long)]
    hold_after: Option<f64>,
    /// Take the call off hold this many seconds after it is established
    /// (default: two seconds after the hold).
    #[arg(long)]
    resume_after: Option<f64>,
    /// Print one JSON object per line (events and the final summary).
    #[arg(long)]
    json: bool,
    /// Write every SIP and RTP/RTCP packet sent and received to this pcap.
    #[arg(long)]
    pcap: Option<PathBuf>,
}

/// Makes the audio source of a call for the negotiated codec's rate.
pub(crate) type SourceFactory = Box<dyn Fn(u32) -> Result<Box<dyn AudioSource>, CliError> + Send>;

/// What to do in a call, once it is set up.
pub(crate) struct CallPlan {
    /// Seconds the call lasts once established.
    pub(crate) duration: f64,
    /// Makes the audio source for the negotiated codec's rate.
    pub(crate) source: SourceFactory,
    /// Keep what we receive.
    pub(crate) record: bool,
    /// DTMF digits and when to send them (seconds after establishment).
    pub(crate) dtmf: Option<(String, f64)>,
    /// A MESSAGE to send in the call.
    pub(crate) message: Option<String>,
    /// Hold and resume times (seconds after establishment).
    pub(crate) hold: Option<(f64, f64)>,
}

/// Runs `rtclite phone`.
pub(crate) fn run(args: PhoneArgs, verbose: u8, quiet: bool) -> Result<(), CliError> {
    let listen = ListenAddr::parse(&args.listen).map_err(CliError::Invalid)?;
    if args.call.is_none() && !args.answer && args.register.is_none() && args.message_to.is_none() {
        return Err(CliError::Invalid(
            "nothing to do: give --call URI, --answer, --register URI or --message-to URI".into(),
        ));
    }
    let pcap = crate::open_pcap(args.pcap.as_deref())?;
    let cfg = EndpointConfig {
        listen,
        user: args.user.clone(),
        password: args.password.clone(),
        register: args.register.clone(),
        proxy: args.proxy.clone(),
        codecs: args.codec.clone(),
        srtp: args.srtp,
        rtcp_mux: args.rtcp_mux,
        rtcp_interval: args.rtcp_interval,
        pcap,
        trace: verbose > 0 && !quiet,
        out: Output {
            json: args.json,
            label: None,
            quiet: false,
        },
    };
    let play = args.play.clone();
    let tone = args.tone;
    let plan = CallPlan {
        duration: args.duration,
        source: Box::new(move |rate| -> Result<Box<dyn AudioSource>, CliError> {
            Ok(match (&play, tone) {
                (Some(path), _) => Box::new(
                    WavSource::open(path, rate).map_err(|e| CliError::Invalid(e.to_string()))?,
                ),
                (None, Some(hz)) => Box::new(Tone::new(hz, rate, 8000.0)),
                (None, None) => Box::new(Silence),
            })
        }),
        record: args.record.is_some(),
        dtmf: args.dtmf.clone().map(|d| (d, args.dtmf_after)),
        message: args.message.clone().filter(|_| args.message_to.is_none()),
        hold: args
            .hold_after
            .map(|h| (h, args.resume_after.unwrap_or(h + 2.0))),
    };
    endpoint::runtime()?.block_on(async move {
        let mut ep = Endpoint::start(cfg).await?;
        let out = ep.cfg.out.clone();
        out.say(
            json!({"event": "listening", "address": format!("udp:{}", ep.sip_addr), "aor": ep.aor}),
            format!("listening udp:{} as {}", ep.sip_addr, ep.aor),
        );
        let result = phone_script(&mut ep, &args, plan).await;
        ep.unregister().await;
        ep.shutdown().await;
        let summary = result?;
        if let (Some(path), Some(s)) = (&args.record, &summary) {
            if let Some(rec) = s.stream.as_ref().and_then(|st| st.recorder()) {
                rec.write_wav(path)
                    .map_err(|e| CliError::Invalid(e.to_string()))?;
                out.say(
                    json!({"event": "recorded", "file": path.display().to_string(),
                           "seconds": rec.samples().len() as f64 / f64::from(rec.rate())}),
                    format!("recorded {}", path.display()),
                );
            }
        }
        Ok(())
    })
}

async fn phone_script(
    ep: &mut Endpoint,
    args: &PhoneArgs,
    plan: CallPlan,
) -> Result<Option<CallSummary>, CliError> {
    let out = ep.cfg.out.clone();
    if let Some(r) = &args.register {
        let expires = ep.register().await?;
        out.say(
            json!({"event": "registered", "registrar": r, "aor": ep.aor, "expires": expires}),
            format!("registered {} at {r} for {expires} s", ep.aor),
        );
    }
    if let (Some(text), Some(to)) = (&args.message, &args.message_to) {
        send_message(ep, to, text).await?;
    }
    let (call, state) = if let Some(target) = &args.call {
        place_call(ep, target, &plan).await?
    } else if args.answer {
        answer_call(ep, &plan, args.duration).await?
    } else {
        return Ok(None);
    };
    let summary = run_call(ep, call, state, &plan).await?;
    Ok(Some(summary))
}

/// How long `--message-to` waits for the answer, and then for a MESSAGE
/// coming back.
const MESSAGE_WAIT: Duration = Duration::from_secs(10);
const REPLY_WAIT: Duration = Duration::from_secs(2);

/// Sends a MESSAGE outside any dialog and reports its answer and any
/// MESSAGE received shortly after.
async fn send_message(ep: &mut Endpoint, to: &str, text: &str) -> Result<(), CliError> {
    let out = ep.cfg.out.clone();
    let (uri, body) = (to.to_owned(), Body::text(text));
    let request = ep
        .act(move |ua, now| ua.send_message(now, &uri, body))
        .await?
        .map_err(|e| CliError::Invalid(format!("MESSAGE to {to}: {e}")))?;
    out.say(
        json!({"event": "message_sent", "to": to, "text": text}),
        format!("message sent to {to}: {text:?}"),
    );
    let mut deadline = Instant::now() + MESSAGE_WAIT;
    let mut answered = false;
    while let Some(ev) = ep.next(Some(deadline)).await {
        match ev {
            Incoming::Ua(UaEvent::MessageResult { request: r, status }) if r == request => {
                out.say(
                    json!({"event": "message_result", "status": status}),
                    format!("MESSAGE answered {status}"),
                );
                if !(200..300).contains(&status) {
                    return Err(CliError::Invalid(format!(
                        "MESSAGE to {to} answered {status}"
                    )));
                }
                answered = true;
                deadline = Instant::now() + REPLY_WAIT;
            }
            Incoming::Ua(UaEvent::IncomingMessage { from, body, .. }) => {
                let text = String::from_utf8_lossy(&body.bytes).into_owned();
                out.say(
                    json!({"event": "message", "from": from, "text": text}),
                    format!("message from {from}: {text:?}"),
                );
                if answered {
                    break;
                }
            }
            _ => {}
        }
    }
    if answered {
        Ok(())
    } else {
        Err(CliError::Invalid(format!(
            "no answer to the MESSAGE to {to}"
        )))
    }
}

/// Calls `target` and waits until the call is established.
pub(crate) async fn place_call(
    ep: &mut Endpoint,
    target: &str,
    plan: &CallPlan,
) -> Result<(CallHandle, CallState), CliError> {
    let out = ep.cfg.out.clone();
    let (mut state, offer) = ep.new_offer().await?;
    let t = target.to_owned();
    let call = ep
        .act(move |ua, now| ua.call(now, &t, offer))
        .await?
        .map_err(|e| CliError::Invalid(format!("calling {target}: {e}")))?;
    state.started = Instant::now();
    out.say(
        json!({"event": "calling", "target": target}),
        format!("calling {target}"),
    );
    let deadline = Instant::now() + SETUP_TIMEOUT;
    loop {
        let Some(ev) = ep.next(Some(deadline)).await else {
            let _ = ep.act(move |ua, now| ua.cancel(now, call)).await;
            return Err(CliError::Invalid(format!(
                "no answer from {target} within {} s",
                SETUP_TIMEOUT.as_secs()
            )));
        };
        match ev {
            Incoming::Ua(UaEvent::Ringing { .. }) => {
                out.say(json!({"event": "ringing"}), "ringing");
            }
            Incoming::Ua(UaEvent::Answered { answer, .. }) => {
                let Some(answer) = answer else {
                    hang_up(ep, call).await;
                    return Err(CliError::Invalid("the 2xx carries no SDP answer".into()));
                };
                let applied = SessionDescription::parse(&answer.bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|sdp| {
                        state
                            .oa
                            .receive_answer(&sdp)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    })
                    .and_then(|()| state.params(&ep.cfg).map(|_| ()));
                if let Err(e) = applied {
                    hang_up(ep, call).await;
                    return Err(CliError::Invalid(format!("SDP answer refused: {e}")));
                }
                start_media(ep, call, &mut state, plan)?;
            }
            Incoming::Ua(UaEvent::Established { .. }) => {
                let now = Instant::now();
                state.established = Some(now);
                announce_established(ep, &state);
                return Ok((call, state));
            }
            Incoming::Ua(UaEvent::Terminated { reason, .. }) => {
                return Err(CliError::Invalid(format!(
                    "the call to {target} failed: {}",
                    end_reason(reason)
                )));
            }
            _ => {}
        }
    }
}

fn start_media(
    ep: &Endpoint,
    call: CallHandle,
    state: &mut CallState,
    plan: &CallPlan,
) -> Result<(), CliError> {
    let params = state.params(&ep.cfg).map_err(CliError::Invalid)?;
    let source = (plan.source)(params.codec.clock_rate())?;
    ep.start_media(call, state, Some(source), plan.record, false)
}

fn announce_established(ep: &Endpoint, state: &CallState) {
    let setup_ms = state
        .established
        .map(|e| e.duration_since(state.started).as_secs_f64() * 1000.0);
    let (codec, srtp) = match state.params(&ep.cfg) {
        Ok(p) => (
            p.codec.to_string(),
            p.srtp.map(|s| s.profile.name().to_owned()),
        ),
        Err(_) => ("none".into(), None),
    };
    ep.cfg.out.say(
        json!({"event": "established", "setup_ms": setup_ms, "codec": codec, "srtp": srtp}),
        format!(
            "established in {:.1} ms: {codec}{}",
            setup_ms.unwrap_or(0.0),
            srtp.as_ref()
                .map_or(String::new(), |s| format!(" over SRTP {s}"))
        ),
    );
}

/// Waits for one incoming call and answers it.
async fn answer_call(
    ep: &mut Endpoint,
    plan: &CallPlan,
    duration: f64,
) -> Result<(CallHandle, CallState), CliError> {
    let out = ep.cfg.out.clone();
    let deadline = Instant::now() + ANSWER_WAIT + Duration::from_secs_f64(duration.max(0.0));
    let mut answered: Option<(CallHandle, CallState)> = None;
    loop {
        let Some(ev) = ep.next(Some(deadline)).await else {
            return Err(CliError::Invalid("no call arrived".into()));
        };
        match ev {
            Incoming::Ua(UaEvent::IncomingCall {
                call, from, offer, ..
            }) if answered.is_none() => {
                out.say(
                    json!({"event": "incoming_call", "from": from}),
                    format!("incoming call from {from}"),
                );
                match ep.new_answer(offer.as_ref()).await {
                    Ok((mut state, body)) => {
                        ep.act(move |ua, now| ua.answer(now, call, Some(body)))
                            .await?
                            .map_err(|e| CliError::Invalid(format!("answering: {e}")))?;
                        start_media(ep, call, &mut state, plan)?;
                        answered = Some((call, state));
                    }
                    Err((status, why)) => {
                        out.say(
                            json!({"event": "rejected", "status": status, "reason": why}),
                            format!("rejected with {status}: {why}"),
                        );
                        let _ = ep.act(move |ua, now| ua.reject(now, call, status)).await;
                    }
                }
            }
            Incoming::Ua(UaEvent::IncomingCall { call, .. }) => {
                // Busy: one call at a time.
                let _ = ep.act(move |ua, now| ua.reject(now, call, 486)).await;
            }
            Incoming::Ua(UaEvent::Established { call, .. })
                if answered.as_ref().is_some_and(|(c, _)| *c == call) =>
            {
                if let Some((call, mut state)) = answered.take() {
                    state.established = Some(Instant::now());
                    announce_established(ep, &state);
                    return Ok((call, state));
                }
            }
            Incoming::Ua(UaEvent::Terminated { call, reason })
                if answered.as_ref().is_some_and(|(c, _)| *c == call) =>
            {
                if let Some((_, state)) = answered.take() {
                    let _ = state.finish().await;
                }
                return Err(CliError::Invalid(format!(
                    "the call ended before it was established: {}",
                    end_reason(reason)
                )));
            }
            _ => {}
        }
    }
}

/// What ended a call, in words.
pub(crate) fn end_reason(r: EndReason) -> String {
    match r {
        EndReason::LocalBye => "we hung up".into(),
        EndReason::RemoteBye => "the peer hung up".into(),
        EndReason::Cancelled => "cancelled".into(),
        EndReason::Rejected { status } => format!("rejected with {status}"),
        EndReason::Timeout => "timed out".into(),
        EndReason::TransportError => "transport error".into(),
        EndReason::DialogLost { status } => format!("dialog lost ({status})"),
        other => format!("{other:?}"),
    }
}

/// Sends BYE and waits (bounded) for the call to end.
pub(crate) async fn hang_up(ep: &mut Endpoint, call: CallHandle) {
    if !matches!(
        ep.act(move |ua, now| ua.hang_up(now, call)).await,
        Ok(Ok(()))
    ) {
        return;
    }
    let deadline = Instant::now() + HANGUP_TIMEOUT;
    while let Some(ev) = ep.next(Some(deadline)).await {
        if matches!(ev, Incoming::Ua(UaEvent::Terminated { call: c, .. }) if c == call) {
            return;
        }
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 1.0e6))
}

/// Runs an established call to its end and sums it up.
pub(crate) async fn run_call(
    ep: &mut Endpoint,
    call: CallHandle,
    mut state: CallState,
    plan: &CallPlan,
) -> Result<CallSummary, CliError> {
    let out = ep.cfg.out.clone();
    let start = state.established.unwrap_or_else(Instant::now);
    let end = start + secs(plan.duration);
    let mut dtmf_at = plan
        .dtmf
        .as_ref()
        .map(|(d, t)| (d.clone(), start + secs(*t)));
    let mut message = plan.message.clone();
    let mut hold_at = plan.hold.map(|(h, _)| start + secs(h));
    let mut resume_at = plan.hold.map(|(_, r)| start + secs(r));
    let mut ended_by_peer = false;
    loop {
        if let Some(text) = message.take() {
            let body = Body::text(&text);
            match ep
                .act(move |ua, now| ua.send_message_in_call(now, call, body))
                .await?
            {
                Ok(_) => out.say(
                    json!({"event": "message_sent", "text": text}),
                    format!("message sent: {text:?}"),
                ),
                Err(e) => out.say(
                    json!({"event": "message_failed", "reason": e.to_string()}),
                    format!("message not sent: {e}"),
                ),
            }
        }
        let now = Instant::now();
        if let Some((digits, _)) = dtmf_at.as_ref().filter(|(_, at)| *at <= now) {
            let d = digits.clone();
            let negotiated = state.params(&ep.cfg).is_ok_and(|p| p.events.is_some());
            if !negotiated {
                // RFC 4733 events share the audio's timestamp base, so they
                // need telephone-event at the codec's clock rate.
                out.say(
                    json!({"event": "dtmf_unavailable", "digits": d}),
                    "DTMF not sent: the peer accepted no telephone-event at the codec's clock rate",
                );
            } else if let Some(m) = &state.media {
                m.handle
                    .call(move |mm, _| mm.stream.send_dtmf(&d))
                    .await
                    .map_err(|_| CliError::Invalid("the media stopped".into()))?
                    .map_err(|e| CliError::Invalid(e.to_string()))?;
            }
            dtmf_at = None;
        }
        if hold_at.is_some_and(|t| t <= now) {
            hold_at = None;
            reoffer(ep, call, &mut state, true).await?;
        }
        if hold_at.is_none() && resume_at.is_some_and(|t| t <= now) {
            resume_at = None;
            reoffer(ep, call, &mut state, false).await?;
        }
        if now >= end {
            break;
        }
        let next = [Some(end), dtmf_at.as_ref().map(|d| d.1), hold_at, resume_at]
            .into_iter()
            .flatten()
            .min();
        let Some(ev) = ep.next(next).await else {
            continue;
        };
        match ev {
            Incoming::Media(c, MediaEvent::Dtmf { digit, duration_ms }) if c == call => {
                state.dtmf_received.push(digit);
                out.say(
                    json!({"event": "dtmf", "digit": digit.to_string(), "duration_ms": duration_ms}),
                    format!("DTMF {digit} ({duration_ms} ms)"),
                );
            }
            Incoming::Media(c, MediaEvent::DtmfSent) if c == call => {
                out.say(json!({"event": "dtmf_sent"}), "DTMF sent");
            }
            Incoming::Ua(UaEvent::Terminated { call: c, reason }) if c == call => {
                out.say(
                    json!({"event": "ended", "reason": end_reason(reason)}),
                    format!("call ended: {}", end_reason(reason)),
                );
                ended_by_peer = true;
                break;
            }
            Incoming::Ua(UaEvent::ReInvite { call: c, offer }) if c == call => {
                answer_reinvite(ep, call, &mut state, offer).await?;
            }
            Incoming::Ua(UaEvent::SessionUpdated { call: c, answer }) if c == call => {
                let result = answer
                    .ok_or_else(|| "no SDP in the answer".to_owned())
                    .and_then(|a| {
                        let sdp = SessionDescription::parse(&a.bytes).map_err(|e| e.to_string())?;
                        state
                            .oa
                            .receive_answer(&sdp)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    });
                match result {
                    Ok(()) => {
                        state.renegotiated(&ep.cfg).await?;
                        let dir = state
                            .oa
                            .negotiated()
                            .and_then(|n| n.media.first())
                            .map_or("?", |m| m.direction.name());
                        out.say(
                            json!({"event": "session_updated", "direction": dir}),
                            format!("session updated: {dir}"),
                        );
                    }
                    Err(e) => {
                        state.oa.cancel_offer();
                        out.say(
                            json!({"event": "session_update_failed", "reason": e}),
                            format!("re-INVITE answer refused: {e}"),
                        );
                    }
                }
            }
            Incoming::Ua(UaEvent::ReInviteFailed { call: c, status }) if c == call => {
                state.oa.cancel_offer();
                out.say(
                    json!({"event": "reinvite_failed", "status": status}),
                    format!("re-INVITE refused with {status}"),
                );
            }
            Incoming::Ua(UaEvent::IncomingMessage { from, body, .. }) => {
                let text = String::from_utf8_lossy(&body.bytes).into_owned();
                out.say(
                    json!({"event": "message", "from": from, "text": text}),
                    format!("message from {from}: {text:?}"),
                );
            }
            Incoming::Ua(UaEvent::MessageResult { status, .. }) => {
                out.say(
                    json!({"event": "message_result", "status": status}),
                    format!("MESSAGE answered {status}"),
                );
            }
            Incoming::Ua(UaEvent::IncomingCall { call: other, .. }) => {
                let _ = ep.act(move |ua, now| ua.reject(now, other, 486)).await;
            }
            _ => {}
        }
    }
    if !ended_by_peer {
        hang_up(ep, call).await;
        out.say(json!({"event": "hung_up"}), "hung up");
    }
    let summary = state
        .finish()
        .await
        .ok_or_else(|| CliError::Invalid("the call had no media".into()))?;
    out.say(summary.to_json(), summary.to_text());
    Ok(summary)
}

/// Sends a re-INVITE putting the call on hold (or resuming it).
async fn reoffer(
    ep: &mut Endpoint,
    call: CallHandle,
    state: &mut CallState,
    hold: bool,
) -> Result<(), CliError> {
    let changed = if hold {
        state.oa.hold(0)
    } else {
        state.oa.resume(0)
    };
    changed.map_err(|e| CliError::Invalid(format!("SDP: {e}")))?;
    let offer = state
        .oa
        .create_offer()
        .map_err(|e| CliError::Invalid(format!("SDP offer: {e}")))?;
    let body = Body::sdp(offer.to_string());
    match ep.act(move |ua, now| ua.reinvite(now, call, body)).await? {
        Ok(()) => {
            let what = if hold { "hold" } else { "resume" };
            ep.cfg.out.say(
                json!({"event": "reinvite", "action": what}),
                format!("re-INVITE: {what}"),
            );
        }
        Err(e) => {
            state.oa.cancel_offer();
            ep.cfg.out.say(
                json!({"event": "reinvite_failed", "reason": e.to_string()}),
                format!("re-INVITE not sent: {e}"),
            );
        }
    }
    Ok(())
}

/// Answers a re-INVITE from the peer (RFC 3264 §8) and applies it.
pub(crate) async fn answer_reinvite(
    ep: &mut Endpoint,
    call: CallHandle,
    state: &mut CallState,
    offer: Option<Body>,
) -> Result<(), CliError> {
    let answer = offer
        .ok_or_else(|| "a re-INVITE without an offer".to_owned())
        .and_then(|o| {
            let sdp = SessionDescription::parse(&o.bytes).map_err(|e| e.to_string())?;
            state.oa.receive_offer(&sdp).map_err(|e| e.to_string())
        });
    match answer {
        Ok(answer) => {
            let body = Body::sdp(answer.to_string());
            ep.act(move |ua, now| ua.answer(now, call, Some(body)))
                .await?
                .map_err(|e| CliError::Invalid(format!("answering the re-INVITE: {e}")))?;
            state.renegotiated(&ep.cfg).await?;
            let dir = state
                .oa
                .negotiated()
                .and_then(|n| n.media.first())
                .map_or("?", |m| m.direction.name());
            ep.cfg.out.say(
                json!({"event": "session_updated", "direction": dir, "by": "peer"}),
                format!("peer re-INVITE: {dir}"),
            );
        }
        Err(e) => {
            ep.cfg.out.say(
                json!({"event": "reinvite_rejected", "reason": e}),
                format!("peer re-INVITE refused (488): {e}"),
            );
            let _ = ep.act(move |ua, now| ua.reject(now, call, 488)).await;
        }
    }
    Ok(())
}
