//! What `rtclite phone`, `rtclite echo` and `rtclite demo` share: the SIP
//! user agent of rtclite-sip on the runtime driver, and the calls it makes
//! or answers with the media engine ([`crate::media`]).
//!
//! The agent runs on its own task ([`crate::runtime::Driver`]); its events
//! come back over a channel to the endpoint's script, which acts on the
//! agent through the driver's [`Handle`]. Every call has an rtclite-sdp
//! [`OfferAnswer`] (RFC 3264 state across re-INVITEs) and, once the
//! answer is known, a media stream on its own pair of UDP sockets.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtclite_sdp::SessionDescription;
use rtclite_sdp::offer_answer::OfferAnswer;
use rtclite_sip::ua::{
    Body, CallHandle, DigestCredentials, RegisterConfig, UaConfig, UaError, UaEvent, UserAgent,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::inspect::CliError;
use crate::media::audio::AudioSource;
use crate::media::codec::CodecKind;
use crate::media::driver::{MediaSockets, RunningMedia, spawn as spawn_media};
use crate::media::quality;
use crate::media::sdp::{LocalMedia, SrtpMode, generate_keys, media_params};
use crate::media::stream::{MediaEvent, MediaStream, StreamSetup, StreamStats};
use crate::pcap::PcapSink;
use crate::runtime::{self, Driver, DriverConfig, Flow, Handle, ListenAddr, Machine, Sockets};

/// How long a registration may take before the endpoint gives up.
pub(crate) const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long hanging up (BYE and its response) may take.
pub(crate) const HANGUP_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound of the channel of agent and media events to the script.
const EVENT_QUEUE: usize = 1024;

/// Where results go: stdout, as text or one JSON object per line, with an
/// optional label (the demo prints three endpoints).
#[derive(Debug, Clone)]
pub(crate) struct Output {
    /// One JSON object per line.
    pub(crate) json: bool,
    /// A prefix for text lines.
    pub(crate) label: Option<String>,
    /// Print nothing.
    pub(crate) quiet: bool,
}

impl Output {
    /// Prints one result.
    pub(crate) fn say(&self, value: Value, text: impl AsRef<str>) {
        use std::io::Write;
        if self.quiet {
            return;
        }
        let mut out = std::io::stdout().lock();
        let _ = if self.json {
            let mut v = value;
            if let (Some(label), Some(obj)) = (&self.label, v.as_object_mut()) {
                obj.insert("endpoint".into(), json!(label));
            }
            writeln!(out, "{v}")
        } else if let Some(label) = &self.label {
            writeln!(out, "{label:<8}{}", text.as_ref())
        } else {
            writeln!(out, "{}", text.as_ref())
        };
        let _ = out.flush();
    }
}

/// The user agent as a driver machine.
pub(crate) struct UaMachine(pub(crate) UserAgent<StdRng>);

impl std::fmt::Debug for UaMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UaMachine").finish_non_exhaustive()
    }
}

impl Machine for UaMachine {
    type Event = UaEvent;
    type Error = UaError;

    fn handle_input(&mut self, now: Instant, input: runtime::Received) -> Result<(), UaError> {
        self.0.handle_input(now, runtime::sip::input(input))
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.0.handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<runtime::Outgoing> {
        self.0.poll_transmit().map(runtime::sip::outgoing)
    }

    fn poll_event(&mut self) -> Option<UaEvent> {
        self.0.poll_event()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.0.poll_timeout()
    }
}

/// Settings of an endpoint.
#[derive(Debug, Clone)]
pub(crate) struct EndpointConfig {
    /// The SIP listening address (UDP).
    pub(crate) listen: ListenAddr,
    /// Our user name (user part of our URI, digest username).
    pub(crate) user: String,
    /// Digest password.
    pub(crate) password: Option<String>,
    /// Register with this registrar URI.
    pub(crate) register: Option<String>,
    /// Send requests outside dialogs through this proxy URI.
    pub(crate) proxy: Option<String>,
    /// Codecs in order of preference.
    pub(crate) codecs: Vec<CodecKind>,
    /// SRTP policy.
    pub(crate) srtp: SrtpMode,
    /// Offer rtcp-mux.
    pub(crate) rtcp_mux: bool,
    /// Minimum RTCP interval, seconds.
    pub(crate) rtcp_interval: f64,
    /// Write every packet to this capture.
    pub(crate) pcap: Option<PcapSink>,
    /// Trace SIP messages on stderr.
    pub(crate) trace: bool,
    /// Where results go.
    pub(crate) out: Output,
}

/// An event for the endpoint's script.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// From the user agent.
    Ua(UaEvent),
    /// From a call's media.
    Media(CallHandle, MediaEvent),
}

/// One call's state on the endpoint side.
pub(crate) struct CallState {
    /// The offer/answer state of the call.
    pub(crate) oa: OfferAnswer,
    /// The media sockets before the media starts.
    pub(crate) sockets: Option<MediaSockets>,
    /// The running media, once negotiated.
    pub(crate) media: Option<RunningMedia>,
    /// When the INVITE was sent or received.
    pub(crate) started: Instant,
    /// When the call was established.
    pub(crate) established: Option<Instant>,
    /// DTMF digits received.
    pub(crate) dtmf_received: String,
}

/// The summary of one call's media.
#[derive(Debug)]
pub(crate) struct CallSummary {
    /// Setup time (INVITE to established), milliseconds.
    pub(crate) setup_ms: Option<f64>,
    /// The codec.
    pub(crate) codec: CodecKind,
    /// The SRTP suite, when protected.
    pub(crate) srtp: Option<String>,
    /// Counters.
    pub(crate) stats: StreamStats,
    /// Estimated MOS (simplified E-model; see `media::quality`).
    pub(crate) mos: f64,
    /// The E-model rating.
    pub(crate) r: f64,
    /// Seconds of media.
    pub(crate) duration_s: f64,
    /// DTMF digits received.
    pub(crate) dtmf_received: String,
    /// The stream (recording and all).
    pub(crate) stream: Option<MediaStream>,
}

impl CallSummary {
    /// Loss of what we received, in percent.
    pub(crate) fn loss_percent(&self) -> f64 {
        if self.stats.expected == 0 {
            0.0
        } else {
            self.stats.lost.max(0) as f64 * 100.0 / self.stats.expected as f64
        }
    }

    /// The summary as one JSON object.
    pub(crate) fn to_json(&self) -> Value {
        let s = &self.stats;
        json!({
            "event": "summary",
            "setup_ms": self.setup_ms,
            "codec": self.codec.encoding_name(),
            "srtp": self.srtp,
            "duration_s": self.duration_s,
            "packets_sent": s.packets_sent,
            "bytes_sent": s.bytes_sent,
            "packets_received": s.packets_received,
            "bytes_received": s.bytes_received,
            "rtcp_sent": s.rtcp_sent,
            "rtcp_received": s.rtcp_received,
            "lost": s.lost,
            "loss_percent": self.loss_percent(),
            "jitter_ms": s.jitter_ms,
            "rtt_ms": s.rtt_ms,
            "peer_reported_lost": s.peer_reported_lost,
            "frames_concealed": s.frames_concealed,
            "srtp_failures": s.srtp_failures,
            "discarded": s.discarded,
            "jitter_rejected": s.jitter_rejected,
            "decode_errors": s.decode_errors,
            "dtmf_sent": s.dtmf_sent,
            "dtmf_received": self.dtmf_received,
            "r_factor": self.r,
            "mos": self.mos,
            "mos_model": "E-model (ITU-T G.107) simplified: Ro-Is=93.2, Id=Idd(one-way delay), Ie/Bpl per codec (G.113 App. I), A=0",
        })
    }

    /// The summary as text lines.
    pub(crate) fn to_text(&self) -> String {
        let s = &self.stats;
        let opt = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.1} ms"));
        format!(
            "summary: setup {}, codec {}{}, {:.1} s\n  sent {} packets / {} bytes, received {} packets / {} bytes, RTCP {} sent / {} received\n  loss {} ({:.2}%), jitter {:.2} ms, RTT {}, DTMF sent {} received {:?}\n  estimated MOS {:.2} (R {:.1}; simplified ITU-T G.107 E-model)",
            opt(self.setup_ms),
            self.codec,
            self.srtp
                .as_ref()
                .map_or(String::new(), |p| format!(" over SRTP {p}")),
            self.duration_s,
            s.packets_sent,
            s.bytes_sent,
            s.packets_received,
            s.bytes_received,
            s.rtcp_sent,
            s.rtcp_received,
            s.lost,
            self.loss_percent(),
            s.jitter_ms,
            opt(s.rtt_ms),
            s.dtmf_sent,
            self.dtmf_received,
            self.mos,
            self.r,
        )
    }
}

/// A running endpoint: its agent on a driver task, and the script's side.
pub(crate) struct Endpoint {
    /// Acts on the agent.
    pub(crate) ua: Handle<UaMachine>,
    /// Agent and media events.
    pub(crate) events: mpsc::Receiver<Incoming>,
    events_tx: mpsc::Sender<Incoming>,
    /// Settings.
    pub(crate) cfg: EndpointConfig,
    /// Our SIP address.
    pub(crate) sip_addr: SocketAddr,
    /// Our address for SDP and Contact.
    pub(crate) ip: IpAddr,
    /// Our address-of-record URI.
    pub(crate) aor: String,
    rng: StdRng,
    halt: Option<tokio::sync::oneshot::Sender<()>>,
    driver: Option<tokio::task::JoinHandle<()>>,
}

/// The IP to advertise for a bound address: loopback for a wildcard.
pub(crate) fn advertised_ip(a: SocketAddr) -> IpAddr {
    match a.ip() {
        IpAddr::V4(v) if v.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(v) if v.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        other => other,
    }
}

/// The host part of a SIP URI (`sip:user@host:port;params` → `host`).
pub(crate) fn uri_host(uri: &str) -> Option<String> {
    let rest = uri
        .strip_prefix("sips:")
        .or_else(|| uri.strip_prefix("sip:"))?;
    let hostport = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostport = hostport.split([';', '?', '>']).next()?;
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        format!("[{}]", v6.split(']').next()?)
    } else {
        hostport.split(':').next()?.to_owned()
    };
    (!host.is_empty()).then_some(host)
}

fn io_err(what: &str) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        what: what.to_owned(),
        source,
    }
}

fn ua_err(e: UaError) -> CliError {
    CliError::Invalid(format!("SIP: {e}"))
}

impl Endpoint {
    /// Binds the SIP socket and starts the agent.
    pub(crate) async fn start(cfg: EndpointConfig) -> Result<Self, CliError> {
        let sockets = Sockets::bind(&[cfg.listen])
            .await
            .map_err(io_err("binding the SIP socket"))?;
        let sip_addr = sockets
            .local_addrs()
            .first()
            .map(|a| a.addr)
            .ok_or_else(|| CliError::Invalid("no SIP socket bound".into()))?;
        let ip = advertised_ip(sip_addr);
        let hostport = SocketAddr::new(ip, sip_addr.port());
        let domain = cfg
            .register
            .as_deref()
            .and_then(uri_host)
            .unwrap_or_else(|| hostport.to_string());
        let aor = format!("sip:{}@{domain}", cfg.user);
        let contact = format!("sip:{}@{hostport}", cfg.user);
        let via = format!("SIP/2.0/UDP {hostport}");
        let mut ua_cfg = UaConfig::new(format!("<{aor}>"), contact.clone(), via.clone());
        ua_cfg.user_agent = Some(format!("rtclite/{}", env!("CARGO_PKG_VERSION")));
        ua_cfg.outbound_proxy = cfg.proxy.clone();
        if let Some(pw) = &cfg.password {
            ua_cfg.credentials = Some(DigestCredentials {
                username: cfg.user.clone(),
                password: pw.clone(),
            });
        }
        if let Some(registrar) = &cfg.register {
            ua_cfg.register = Some(RegisterConfig {
                registrar: registrar.clone(),
                aor: format!("<{aor}>"),
                contact,
                via,
                expires: 300,
                username: cfg.user.clone(),
                password: cfg.password.clone().unwrap_or_default(),
            });
        }
        let ua = UserAgent::new(ua_cfg, StdRng::from_os_rng());
        let driver = Driver::new(
            sockets,
            UaMachine(ua),
            DriverConfig {
                pcap: cfg.pcap.clone(),
                trace: cfg.trace,
                ..DriverConfig::default()
            },
        );
        let handle = driver.handle();
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        let tx = events_tx.clone();
        let (halt, halted) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            driver
                .run(
                    move |_, _, ev| {
                        // A full queue means the script is gone or stuck;
                        // the event is dropped rather than blocking SIP.
                        let _ = tx.try_send(Incoming::Ua(ev));
                        Flow::Continue
                    },
                    async move {
                        let _ = halted.await;
                    },
                )
                .await;
        });
        Ok(Self {
            ua: handle,
            events,
            events_tx,
            sip_addr: hostport,
            ip,
            aor,
            cfg,
            rng: StdRng::from_os_rng(),
            halt: Some(halt),
            driver: Some(task),
        })
    }

    /// Runs `f` on the agent.
    pub(crate) async fn act<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut UserAgent<StdRng>, Instant) -> R + Send + 'static,
    ) -> Result<R, CliError> {
        self.ua
            .call(move |m: &mut UaMachine, now| f(&mut m.0, now))
            .await
            .map_err(|_| CliError::Invalid("the SIP agent stopped".into()))
    }

    /// The next event, or `None` at `deadline`.
    pub(crate) async fn next(&mut self, deadline: Option<Instant>) -> Option<Incoming> {
        match deadline {
            Some(d) => {
                tokio::time::timeout_at(tokio::time::Instant::from_std(d), self.events.recv())
                    .await
                    .ok()
                    .flatten()
            }
            None => self.events.recv().await,
        }
    }

    /// Sends REGISTER and waits for the registrar's verdict.
    pub(crate) async fn register(&mut self) -> Result<u32, CliError> {
        self.act(|ua, now| ua.register(now))
            .await?
            .map_err(ua_err)?;
        let deadline = Instant::now() + REGISTER_TIMEOUT;
        loop {
            match self.next(Some(deadline)).await {
                Some(Incoming::Ua(UaEvent::Registration(r))) => {
                    use rtclite_sip::ua::RegisterEvent;
                    match r {
                        RegisterEvent::Registered { expires } => return Ok(expires),
                        RegisterEvent::Failed { status } => {
                            return Err(CliError::Invalid(format!(
                                "registration failed with status {status}"
                            )));
                        }
                        _ => {}
                    }
                }
                Some(_) => {}
                None => {
                    return Err(CliError::Invalid(format!(
                        "no answer to REGISTER within {} s",
                        REGISTER_TIMEOUT.as_secs()
                    )));
                }
            }
        }
    }

    /// Removes our registration (waits at most two seconds).
    pub(crate) async fn unregister(&mut self) {
        if self.cfg.register.is_none() {
            return;
        }
        if !matches!(self.act(|ua, now| ua.unregister(now)).await, Ok(Ok(()))) {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while let Some(ev) = self.next(Some(deadline)).await {
            if matches!(ev, Incoming::Ua(UaEvent::Registration(_))) {
                return;
            }
        }
    }

    fn local_media(&mut self, sockets: &MediaSockets) -> LocalMedia {
        LocalMedia {
            codecs: self.cfg.codecs.clone(),
            srtp: self.cfg.srtp,
            offer_rtcp_mux: self.cfg.rtcp_mux,
            address: self.ip,
            rtp_port: sockets.rtp.port(),
            rtcp_port: sockets.rtcp.port(),
            // SDES keys from the OS-seeded generator, fresh per call.
            keys: generate_keys(&mut self.rng),
        }
    }

    /// Binds media sockets and builds the offer of a new call.
    pub(crate) async fn new_offer(&mut self) -> Result<(CallState, Body), CliError> {
        let sockets = MediaSockets::bind(self.ip)
            .await
            .map_err(io_err("binding the media sockets"))?;
        let local = self.local_media(&sockets);
        let mut oa = OfferAnswer::new(
            local.offer_config(&self.cfg.user, self.rng.random::<u32>().into()),
            1,
        );
        let offer = oa
            .create_offer()
            .map_err(|e| CliError::Invalid(format!("SDP offer: {e}")))?;
        Ok((
            CallState {
                oa,
                sockets: Some(sockets),
                media: None,
                started: Instant::now(),
                established: None,
                dtmf_received: String::new(),
            },
            Body::sdp(offer.to_string()),
        ))
    }

    /// Binds media sockets and answers `offer` (RFC 3264 §6). The error
    /// carries the status to reject the call with.
    pub(crate) async fn new_answer(
        &mut self,
        offer: Option<&Body>,
    ) -> Result<(CallState, Body), (u16, String)> {
        let offer = offer.ok_or((488, "the INVITE has no SDP offer".to_owned()))?;
        let sockets = MediaSockets::bind(self.ip)
            .await
            .map_err(|e| (500, format!("binding the media sockets: {e}")))?;
        let local = self.local_media(&sockets);
        let mut oa = OfferAnswer::new(
            local.answer_config(&self.cfg.user, self.rng.random::<u32>().into()),
            1,
        );
        let parsed = SessionDescription::parse(&offer.bytes)
            .map_err(|e| (400, format!("SDP offer: {e}")))?;
        let answer = oa
            .receive_offer(&parsed)
            .map_err(|e| (488, format!("SDP offer: {e}")))?;
        let state = CallState {
            oa,
            sockets: Some(sockets),
            media: None,
            started: Instant::now(),
            established: None,
            dtmf_received: String::new(),
        };
        // Refuse now (488) what the media engine could not use.
        state.params(&self.cfg).map_err(|e| (488, e))?;
        Ok((state, Body::sdp(answer.to_string())))
    }

    /// Starts the media of `call` from its negotiated state.
    pub(crate) fn start_media(
        &self,
        call: CallHandle,
        state: &mut CallState,
        source: Option<Box<dyn AudioSource>>,
        record: bool,
        echo: bool,
    ) -> Result<(), CliError> {
        let params = state.params(&self.cfg).map_err(CliError::Invalid)?;
        let sockets = state
            .sockets
            .take()
            .ok_or_else(|| CliError::Invalid("media already started".into()))?;
        let setup = StreamSetup {
            seed: rand::rng().random(),
            cname: self.aor.clone(),
            rtcp_min_interval: self.cfg.rtcp_interval,
            ntp_now: ntp_now(),
            record,
            echo,
        };
        let stream = MediaStream::new(params, &setup, source, Instant::now())
            .map_err(|e| CliError::Invalid(format!("media: {e}")))?;
        let tx = self.events_tx.clone();
        state.media = Some(spawn_media(
            sockets,
            stream,
            DriverConfig {
                pcap: self.cfg.pcap.clone(),
                ..DriverConfig::default()
            },
            move |e| {
                let _ = tx.try_send(Incoming::Media(call, e));
            },
        ));
        Ok(())
    }

    /// Stops the agent's driver.
    pub(crate) async fn shutdown(mut self) {
        if let Some(h) = self.halt.take() {
            let _ = h.send(());
        }
        if let Some(t) = self.driver.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
        }
    }
}

impl CallState {
    /// The media parameters of the last completed exchange.
    pub(crate) fn params(
        &self,
        cfg: &EndpointConfig,
    ) -> Result<crate::media::stream::MediaParams, String> {
        let neg = self
            .oa
            .negotiated()
            .ok_or_else(|| "no completed offer/answer".to_owned())?;
        let m = neg
            .media
            .iter()
            .find(|m| m.media == "audio" && m.accepted)
            .ok_or_else(|| "no accepted audio stream".to_owned())?;
        media_params(m, &cfg.codecs, cfg.srtp).map_err(|e| e.to_string())
    }

    /// Applies a completed re-negotiation to the running media.
    pub(crate) async fn renegotiated(&mut self, cfg: &EndpointConfig) -> Result<(), CliError> {
        let params = self.params(cfg).map_err(CliError::Invalid)?;
        if let Some(m) = &self.media {
            m.handle
                .call(move |mm, _| mm.stream.update(params))
                .await
                .map_err(|_| CliError::Invalid("the media stopped".into()))?
                .map_err(|e| CliError::Invalid(format!("media: {e}")))?;
        }
        Ok(())
    }

    /// Stops the media and sums the call up.
    pub(crate) async fn finish(mut self) -> Option<CallSummary> {
        let media = self.media.take()?;
        let stream = media.stop().await?;
        let stats = stream.stats();
        let codec = stream.params().codec;
        let srtp = stream
            .params()
            .srtp
            .as_ref()
            .map(|s| s.profile.name().to_owned());
        // One-way delay for the E-model: half the RTT, the playout delay
        // and one frame of packetisation.
        let ta = stats.rtt_ms.unwrap_or(0.0) / 2.0 + stats.playout_delay_ms + 20.0;
        let loss = if stats.expected == 0 {
            0.0
        } else {
            stats.lost.max(0) as f64 * 100.0 / stats.expected as f64
        };
        let r = quality::r_factor(codec, ta, loss);
        let established = self.established.unwrap_or(self.started);
        Some(CallSummary {
            setup_ms: self
                .established
                .map(|e| e.duration_since(self.started).as_secs_f64() * 1000.0),
            codec,
            srtp,
            stats,
            mos: quality::mos_from_r(r),
            r,
            duration_s: established.elapsed().as_secs_f64(),
            dtmf_received: self.dtmf_received,
            stream: Some(stream),
        })
    }
}

/// The wallclock now as a 64-bit NTP timestamp (RFC 3550 §4).
fn ntp_now() -> u64 {
    const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs().wrapping_add(NTP_UNIX_OFFSET);
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The URI inside a From/To header value.
pub(crate) fn header_uri(value: &str) -> Option<String> {
    rtclite_sip::headers::NameAddr::parse(value)
        .ok()
        .map(|n| n.uri_str().to_owned())
}

/// Completes after `duration` (when given), on SIGINT or on SIGTERM.
pub(crate) async fn stop_signal(duration: Option<Duration>) {
    let timer = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let term = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    };
    let int = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = timer => {}
        () = term => {}
        () = int => {}
    }
}

/// The tokio runtime of an endpoint command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(io_err("the runtime"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_hosts() {
        assert_eq!(uri_host("sip:127.0.0.1:5060").as_deref(), Some("127.0.0.1"));
        assert_eq!(
            uri_host("sip:alice@example.com;transport=udp").as_deref(),
            Some("example.com")
        );
        assert_eq!(uri_host("sips:[::1]:5061").as_deref(), Some("[::1]"));
        assert_eq!(uri_host("mailto:x"), None);
        assert_eq!(
            header_uri("\"A\" <sip:a@b>;tag=1").as_deref(),
            Some("sip:a@b")
        );
    }

    #[test]
    fn ntp_timestamps_are_after_1900_and_advance() {
        let a = ntp_now();
        // 2020-01-01 is NTP second 3 786 825 600.
        assert!(a >> 32 > 3_786_825_600);
        std::thread::sleep(Duration::from_millis(2));
        assert!(ntp_now() > a);
    }
}
