//! One audio stream of a call, sans-IO: the wiring of rtclite-rtp (packets,
//! the RFC 3550 session with its RTCP reports, the jitter buffer, RFC 4733
//! events), rtclite-srtp and the codecs.
//!
//! The runtime feeds every datagram to [`MediaStream::handle_input`], calls
//! [`MediaStream::handle_timeout`] when [`MediaStream::poll_timeout`] is due,
//! and after each call drains [`MediaStream::poll_transmit`] and
//! [`MediaStream::poll_event`]. Time is always passed in, so two streams can
//! talk to each other in a test on a virtual clock.
//!
//! Sending: one 20 ms frame per tick from the audio source, encoded with the
//! negotiated codec; while a DTMF digit is being sent its RFC 4733 event
//! packets replace the audio packets of those ticks. Receiving: SRTP is
//! removed, the session validates the packet (RFC 3550 A.1) and updates
//! jitter and loss, event packets go to the RFC 4733 receiver, audio to the
//! jitter buffer, which plays (or conceals) one frame per 20 ms into the
//! recorder and, for an echo endpoint, back into the source.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtclite_rtp::demux::{PacketKind, classify};
use rtclite_rtp::jitter::{JitterBuffer, JitterConfig, Playout, PushOutcome};
use rtclite_rtp::payload::dtmf::{
    EventNotice, EventReceiver, EventSender, TelephoneEvent, dtmf_char, dtmf_event,
};
use rtclite_rtp::rtcp::NtpTimestamp;
use rtclite_rtp::session::{RtpVerdict, Session, SessionConfig, SessionEvent};
use rtclite_rtp::{Compound, RtpPacket, RtpPacketBuilder, Ssrc};
use rtclite_srtp::{InlineKey, ProtectionProfile, policy_from_inline_keys};

use super::audio::{AudioSource, Recorder, Silence};
use super::codec::{AudioCodec, CodecError, CodecKind, FRAME_MS};

/// Most queued transmits and events; beyond it the oldest is dropped.
const MAX_QUEUE: usize = 256;
/// Duration of each DTMF digit we send, in milliseconds.
pub(crate) const DTMF_DIGIT_MS: u32 = 100;
/// Silence between two DTMF digits we send, in frames (after the
/// retransmitted final packets).
const DTMF_GAP_FRAMES: u32 = 3;
/// Volume of the DTMF events we send, in −dBm0.
const DTMF_VOLUME: u8 = 10;
/// Most frames sent at once to catch up after the runtime slept too long;
/// beyond it the sending clock jumps ahead. Also the most frames played
/// out at once.
const MAX_CATCH_UP: u32 = 5;
/// Consecutive concealed frames (1 s) after which playout stops until
/// audio arrives again: a silent peer (or a forged timestamp jump) does not
/// make us conceal, record or echo forever.
const MAX_CONCEALED_RUN: u32 = 50;
/// How long the peer's validated SSRC must be silent before another
/// validated SSRC takes its place.
const SSRC_SWITCH_SILENCE: Duration = Duration::from_millis(500);

/// SDES keys of one stream (RFC 4568): the suite and both key parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SrtpParams {
    /// The negotiated crypto suite.
    pub(crate) profile: ProtectionProfile,
    /// Our key parameters (protect what we send).
    pub(crate) local_key_params: String,
    /// The peer's key parameters (unprotect what it sends).
    pub(crate) remote_key_params: String,
}

/// The telephone-event payload types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventPayloadTypes {
    /// The payload type we send events with.
    pub(crate) send: u8,
    /// The payload type the peer sends events with.
    pub(crate) recv: u8,
}

/// What was negotiated for the stream, ready to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaParams {
    /// The codec.
    pub(crate) codec: CodecKind,
    /// Payload type of the codec in what we send.
    pub(crate) send_pt: u8,
    /// Payload type of the codec in what we receive.
    pub(crate) recv_pt: u8,
    /// The peer's fmtp for the codec (what it wants to receive).
    pub(crate) remote_fmtp: Option<String>,
    /// telephone-event at the codec's clock rate, when agreed.
    pub(crate) events: Option<EventPayloadTypes>,
    /// SRTP keys, when agreed.
    pub(crate) srtp: Option<SrtpParams>,
    /// Where to send RTP (`None`: the peer gave no address, or port 0).
    pub(crate) remote_rtp: Option<SocketAddr>,
    /// Where to send RTCP.
    pub(crate) remote_rtcp: Option<SocketAddr>,
    /// RTP and RTCP share one port (RFC 5761).
    pub(crate) rtcp_mux: bool,
    /// We send media (the direction allows it).
    pub(crate) send: bool,
    /// We expect media.
    pub(crate) recv: bool,
}

/// Choices of the endpoint that are not negotiated.
#[derive(Debug, Clone)]
pub(crate) struct StreamSetup {
    /// Seed of the stream's random choices (SSRC, first sequence number and
    /// timestamp, RTCP interval randomisation); the runtime draws it from
    /// the OS, tests fix it.
    pub(crate) seed: u64,
    /// Our RTCP CNAME.
    pub(crate) cname: String,
    /// Minimum RTCP interval in seconds (RFC 3550 §6.2's 5 s by default).
    pub(crate) rtcp_min_interval: f64,
    /// The wallclock at `now` of [`MediaStream::new`] as an NTP timestamp
    /// (for SR timestamps; 0 when unknown).
    pub(crate) ntp_now: u64,
    /// Keep the received audio in a [`Recorder`].
    pub(crate) record: bool,
    /// Send back what we receive (an echo endpoint) instead of the source.
    pub(crate) echo: bool,
}

impl Default for StreamSetup {
    fn default() -> Self {
        Self {
            seed: 0,
            cname: "rtclite".to_owned(),
            rtcp_min_interval: rtclite_rtp::session::RTCP_MIN_TIME,
            ntp_now: 0,
            record: false,
            echo: false,
        }
    }
}

/// Errors that stop a stream from starting.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StreamError {
    /// The codec could not be set up.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The SDES keys are unusable.
    #[error("SRTP keys: {0}")]
    Srtp(#[from] rtclite_srtp::Error),
    /// A DTMF string holds a character that is not a DTMF digit.
    #[error("{0:?} is not a DTMF digit (0-9, *, #, A-D) [RFC 4733 §3.2]")]
    NotDtmf(char),
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transmit {
    /// Where to.
    pub(crate) dest: SocketAddr,
    /// Send it from the RTCP socket (RTCP without rtcp-mux).
    pub(crate) from_rtcp_socket: bool,
    /// The bytes.
    pub(crate) data: Vec<u8>,
}

/// Something the application shows or acts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MediaEvent {
    /// The peer sent a DTMF digit (RFC 4733), reported when it ended.
    Dtmf {
        /// The digit.
        digit: char,
        /// Its duration in milliseconds.
        duration_ms: u32,
    },
    /// A round-trip time measured from an RTCP report (RFC 3550 §6.4.1).
    Rtt(Duration),
    /// The peer left the RTP session (RTCP BYE).
    RemoteBye,
    /// Our audio source has nothing more to play.
    SourceFinished,
    /// Every DTMF digit queued has been sent.
    DtmfSent,
}

/// Counters of a stream, for the call summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct StreamStats {
    /// RTP packets sent (audio and events).
    pub(crate) packets_sent: u64,
    /// Octets of RTP (SRTP) datagrams sent.
    pub(crate) bytes_sent: u64,
    /// RTP packets received and accepted.
    pub(crate) packets_received: u64,
    /// Octets of RTP (SRTP) datagrams received and accepted.
    pub(crate) bytes_received: u64,
    /// RTCP packets sent and received.
    pub(crate) rtcp_sent: u64,
    /// RTCP packets received.
    pub(crate) rtcp_received: u64,
    /// Packets lost on the way to us (RFC 3550 cumulative loss).
    pub(crate) lost: i64,
    /// Packets expected from the peer (received plus lost).
    pub(crate) expected: u64,
    /// Interarrival jitter of what we receive, in milliseconds.
    pub(crate) jitter_ms: f64,
    /// Last round-trip time from RTCP, in milliseconds.
    pub(crate) rtt_ms: Option<f64>,
    /// Cumulative loss the peer reported about our stream.
    pub(crate) peer_reported_lost: Option<i32>,
    /// Frames played from received packets.
    pub(crate) frames_played: u64,
    /// Frames concealed.
    pub(crate) frames_concealed: u64,
    /// Current playout delay of the jitter buffer, in milliseconds.
    pub(crate) playout_delay_ms: f64,
    /// Packets dropped: SRTP authentication or replay failures.
    pub(crate) srtp_failures: u64,
    /// Datagrams dropped: not RTP/RTCP, malformed, refused by the session
    /// (probation, sequence jump, loop), another source than the peer's,
    /// unknown payload type.
    pub(crate) discarded: u64,
    /// Accepted packets the jitter buffer refused (late, duplicate, too
    /// early or too large).
    pub(crate) jitter_rejected: u64,
    /// Frames the decoder could not decode (played as silence).
    pub(crate) decode_errors: u64,
    /// Frames or reports we could not encode, write or protect.
    pub(crate) send_errors: u64,
    /// DTMF digits sent.
    pub(crate) dtmf_sent: u64,
}

/// A DTMF digit being sent.
#[derive(Debug)]
struct DtmfInProgress {
    sender: EventSender,
}

enum Source {
    Audio(Box<dyn AudioSource>),
    /// Each frame played out is sent back at once, so frame k of the echo
    /// is frame k received (concealed frames included): the echoed timeline
    /// never slips against the caller's.
    Echo {
        frames_sent: u32,
    },
}

/// One audio stream; see the module documentation.
pub(crate) struct MediaStream {
    params: MediaParams,
    codec: AudioCodec,
    session: Session<StdRng>,
    srtp: Option<rtclite_srtp::Session>,
    jitter: JitterBuffer,
    events_rx: EventReceiver,
    source: Source,
    source_done: bool,
    recorder: Option<Recorder>,
    start: Instant,
    ssrc: Ssrc,
    seq: u16,
    ts0: u32,
    ticks: u32,
    next_send: Instant,
    dtmf_queue: VecDeque<u8>,
    dtmf: Option<DtmfInProgress>,
    dtmf_gap: u32,
    remote_ssrc: Option<Ssrc>,
    /// When the peer's source was last heard.
    remote_heard: Option<Instant>,
    /// Frames concealed in a row.
    concealed_run: u32,
    /// First played timestamp and its recording position.
    playout_anchor: Option<(u32, u64)>,
    leaving: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<MediaEvent>,
    stats: StreamStats,
    pcm: Vec<i16>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for MediaStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStream")
            .field("params", &self.params)
            .field("ssrc", &self.ssrc)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Smallest playout delay of the jitter buffer: two frames, so that a
/// scheduling hiccup of the sender (or of us) does not turn into concealed
/// frames.
const MIN_PLAYOUT_DELAY: Duration = Duration::from_millis(40);

fn jitter_config(codec: CodecKind) -> JitterConfig {
    let mut cfg = JitterConfig::new(codec.clock_rate(), codec.frame_samples() as u32);
    cfg.min_delay = MIN_PLAYOUT_DELAY;
    cfg
}

fn push_bounded<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() >= MAX_QUEUE {
        q.pop_front();
    }
    q.push_back(v);
}

/// The SRTP policy of one side's key parameters: one or more `inline:`
/// keys separated by `;` (RFC 4568 §6.1).
fn policy(
    profile: ProtectionProfile,
    key_params: &str,
) -> Result<rtclite_srtp::Policy, StreamError> {
    let keys = key_params
        .split(';')
        .map(|k| InlineKey::parse(k.trim(), profile))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(policy_from_inline_keys(profile, &keys)?)
}

impl MediaStream {
    /// A stream starting at `now` with `source` as what we send (ignored
    /// by an echo endpoint).
    pub(crate) fn new(
        params: MediaParams,
        setup: &StreamSetup,
        source: Option<Box<dyn AudioSource>>,
        now: Instant,
    ) -> Result<Self, StreamError> {
        let codec = AudioCodec::new(params.codec, params.remote_fmtp.as_deref())?;
        let srtp = match &params.srtp {
            Some(p) => Some(rtclite_srtp::Session::new(
                &policy(p.profile, &p.local_key_params)?,
                &policy(p.profile, &p.remote_key_params)?,
            )?),
            None => None,
        };
        let mut rng = StdRng::seed_from_u64(setup.seed);
        // [RFC 3550 §5.1] "This identifier SHOULD be chosen randomly"
        let ssrc = Ssrc(rng.random());
        // [RFC 3550 §5.1] "The initial value of the sequence number SHOULD be
        // random (unpredictable) to make known-plaintext attacks on
        // encryption more difficult"
        let seq: u16 = rng.random();
        // [RFC 3550 §5.1] "The initial value of the timestamp SHOULD be
        // random, as for the sequence number."
        let ts0: u32 = rng.random();
        let rate = params.codec.clock_rate();
        let bandwidth = match params.codec {
            CodecKind::Opus => 64_000,
            CodecKind::Pcmu | CodecKind::Pcma => 80_000,
        };
        let mut cfg = SessionConfig::new(ssrc, setup.cname.as_bytes().to_vec(), rate, bandwidth);
        cfg.min_interval = setup.rtcp_min_interval.max(0.1);
        cfg.ntp_at_start = NtpTimestamp(setup.ntp_now);
        let session = Session::new(cfg, now, StdRng::seed_from_u64(rng.random()));
        let frame = params.codec.frame_samples();
        let jitter = JitterBuffer::new(jitter_config(params.codec), now);
        let source = if setup.echo {
            Source::Echo { frames_sent: 0 }
        } else {
            Source::Audio(source.unwrap_or_else(|| Box::new(Silence)))
        };
        Ok(Self {
            codec,
            session,
            srtp,
            jitter,
            events_rx: EventReceiver::new(),
            source,
            source_done: false,
            recorder: setup.record.then(|| Recorder::new(rate)),
            start: now,
            ssrc,
            seq,
            ts0,
            ticks: 0,
            next_send: now,
            dtmf_queue: VecDeque::new(),
            dtmf: None,
            dtmf_gap: 0,
            remote_ssrc: None,
            remote_heard: None,
            concealed_run: 0,
            playout_anchor: None,
            leaving: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: StreamStats::default(),
            pcm: vec![0; frame],
            buf: Vec::with_capacity(1500),
            params,
        })
    }

    /// The negotiated parameters in force.
    pub(crate) fn params(&self) -> &MediaParams {
        &self.params
    }

    /// Applies a new negotiation (re-INVITE): direction, remote addresses.
    /// The codec, payload types and keys stay as they are when unchanged;
    /// a change of codec or keys restarts the codec or SRTP contexts.
    pub(crate) fn update(&mut self, params: MediaParams) -> Result<(), StreamError> {
        if params.codec != self.params.codec || params.remote_fmtp != self.params.remote_fmtp {
            self.codec = AudioCodec::new(params.codec, params.remote_fmtp.as_deref())?;
        }
        if params.srtp != self.params.srtp {
            self.srtp = match &params.srtp {
                Some(p) => Some(rtclite_srtp::Session::new(
                    &policy(p.profile, &p.local_key_params)?,
                    &policy(p.profile, &p.remote_key_params)?,
                )?),
                None => None,
            };
        }
        self.params = params;
        Ok(())
    }

    /// Queues DTMF digits to send as RFC 4733 events.
    pub(crate) fn send_dtmf(&mut self, digits: &str) -> Result<(), StreamError> {
        let codes = digits
            .chars()
            .map(|c| dtmf_event(c).ok_or(StreamError::NotDtmf(c)))
            .collect::<Result<Vec<_>, _>>()?;
        self.dtmf_queue.extend(codes);
        Ok(())
    }

    /// Leaves the RTP session: stops sending media and schedules an RTCP
    /// BYE (RFC 3550 §6.3.7).
    pub(crate) fn leave(&mut self, now: Instant) {
        if !self.leaving {
            self.leaving = true;
            self.session.leave(now, None);
            self.drain_session(now);
        }
    }

    /// True once we left and the BYE went out.
    pub(crate) fn is_finished(&self) -> bool {
        self.leaving && self.session.poll_timeout().is_none() && self.transmits.is_empty()
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> StreamStats {
        let mut s = self.stats;
        if let Some(m) = self.remote_ssrc.and_then(|r| self.session.member(r)) {
            s.lost = i64::from(m.cumulative_lost);
            s.expected = (i64::from(m.received) + s.lost.max(0)) as u64;
            s.jitter_ms = f64::from(m.jitter) * 1000.0 / f64::from(self.params.codec.clock_rate());
        }
        let j = self.jitter.stats();
        s.frames_played = j.played;
        s.frames_concealed = j.lost;
        s.playout_delay_ms = self.jitter.delay().as_secs_f64() * 1000.0;
        s
    }

    /// The recording, when the stream records.
    pub(crate) fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let echo = matches!(self.source, Source::Echo { .. });
        let send = (!self.leaving && !echo).then_some(self.next_send);
        [
            send,
            self.jitter.poll_timeout(),
            self.session.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next datagram to send.
    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub(crate) fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// Drives the timers: sends due frames, plays due frames, sends RTCP.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let period = Duration::from_millis(u64::from(FRAME_MS));
        let mut sent = 0;
        let echo = matches!(self.source, Source::Echo { .. });
        while !self.leaving && !echo && self.next_send <= now {
            if sent == MAX_CATCH_UP {
                // The runtime fell far behind: skip the missed ticks rather
                // than bursting them.
                while self.next_send <= now {
                    self.next_send += period;
                    self.ticks = self.ticks.wrapping_add(1);
                }
                break;
            }
            self.send_tick(now);
            sent += 1;
            self.ticks = self.ticks.wrapping_add(1);
            self.next_send += period;
        }
        self.play_due(now);
        if self.session.poll_timeout().is_some_and(|t| t <= now) {
            self.session.handle_timeout(now);
        }
        self.drain_session(now);
    }

    fn tick_timestamp(&self) -> u32 {
        self.ts0.wrapping_add(
            self.ticks
                .wrapping_mul(self.params.codec.frame_samples() as u32),
        )
    }

    fn send_tick(&mut self, now: Instant) {
        // The source advances every tick, so that sample k of the source is
        // always sent with timestamp ts0 + k (the demo relies on it).
        let mut pcm = std::mem::take(&mut self.pcm);
        self.next_source_frame(&mut pcm);
        let ts = self.tick_timestamp();
        if self.send_event_tick(now, ts) {
            self.pcm = pcm;
            return;
        }
        self.send_audio(now, ts, &pcm);
        self.pcm = pcm;
    }

    fn send_audio(&mut self, now: Instant, ts: u32, pcm: &[i16]) {
        if !self.params.send || self.leaving {
            return;
        }
        let mut payload = [0u8; rtclite_opus_ffi::MAX_PACKET_LEN];
        match self.codec.encode(pcm, &mut payload) {
            Ok(n) => {
                // [RFC 3551 §4.1] "Applications without silence
                // suppression MUST set the marker bit to zero."
                let pt = self.params.send_pt;
                self.send_rtp(now, false, pt, ts, payload.get(..n).unwrap_or(&[]));
            }
            Err(_) => self.stats.send_errors += 1,
        }
    }

    fn next_source_frame(&mut self, pcm: &mut [i16]) {
        match &mut self.source {
            Source::Audio(src) => {
                if !src.fill(pcm) && !self.source_done {
                    self.source_done = true;
                    push_bounded(&mut self.events, MediaEvent::SourceFinished);
                }
            }
            Source::Echo { .. } => pcm.fill(0),
        }
    }

    /// Sends this tick's DTMF event packet, if a digit is in progress or
    /// starts now. Returns true when the tick's audio is replaced.
    fn send_event_tick(&mut self, now: Instant, ts: u32) -> bool {
        let Some(pts) = self.params.events else {
            self.dtmf_queue.clear();
            return false;
        };
        if self.dtmf.is_none() {
            if self.dtmf_gap > 0 {
                self.dtmf_gap -= 1;
                return false;
            }
            let Some(code) = self.dtmf_queue.pop_front() else {
                return false;
            };
            let rate = self.params.codec.clock_rate();
            let units = self.params.codec.frame_samples() as u32;
            // Our update interval:
            // [RFC 4733 §2.5.1.2] "A natural interval is the spacing between
            // non-event audio packets."
            self.dtmf = Some(DtmfInProgress {
                sender: EventSender::new(code, DTMF_VOLUME, ts, DTMF_DIGIT_MS * rate / 1000, units),
            });
        }
        let Some(d) = &mut self.dtmf else {
            return false;
        };
        match d.sender.next() {
            Some(p) => {
                // [RFC 4733 §2.5.1.2] "they MUST use the same sequence number
                // and timestamp base as the regular audio channel"
                let payload = p.report.to_bytes();
                if self.params.send {
                    self.send_rtp(now, p.marker, pts.send, p.timestamp, &payload);
                }
                true
            }
            None => {
                self.dtmf = None;
                self.stats.dtmf_sent += 1;
                self.dtmf_gap = DTMF_GAP_FRAMES;
                if self.dtmf_queue.is_empty() {
                    push_bounded(&mut self.events, MediaEvent::DtmfSent);
                }
                false
            }
        }
    }

    fn send_rtp(&mut self, now: Instant, marker: bool, pt: u8, ts: u32, payload: &[u8]) {
        let Some(dest) = self.params.remote_rtp else {
            return;
        };
        let builder = RtpPacketBuilder {
            marker,
            payload_type: pt,
            sequence_number: self.seq,
            timestamp: ts,
            ssrc: self.session.ssrc(),
            payload,
            ..Default::default()
        };
        let mut data = vec![0u8; builder.encoded_len().unwrap_or(0)];
        let Ok(n) = builder.write_to(&mut data) else {
            self.stats.send_errors += 1;
            return;
        };
        data.truncate(n);
        self.seq = self.seq.wrapping_add(1);
        if let Ok(pkt) = RtpPacket::parse(&data) {
            self.session.on_rtp_sent(now, &pkt);
        }
        if let Some(srtp) = &mut self.srtp {
            if srtp.protect_rtp(&mut data).is_err() {
                self.stats.send_errors += 1;
                return;
            }
        }
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += data.len() as u64;
        push_bounded(
            &mut self.transmits,
            Transmit {
                dest,
                from_rtcp_socket: false,
                data,
            },
        );
    }

    fn drain_session(&mut self, now: Instant) {
        let _ = now;
        while let Some(t) = self.session.poll_transmit() {
            let mut data = t.contents;
            if let Some(srtp) = &mut self.srtp {
                if srtp.protect_rtcp(&mut data).is_err() {
                    self.stats.send_errors += 1;
                    continue;
                }
            }
            let dest = if self.params.rtcp_mux {
                self.params.remote_rtp
            } else {
                self.params.remote_rtcp
            };
            if let Some(dest) = dest {
                self.stats.rtcp_sent += 1;
                push_bounded(
                    &mut self.transmits,
                    Transmit {
                        dest,
                        from_rtcp_socket: !self.params.rtcp_mux,
                        data,
                    },
                );
            }
        }
        while let Some(e) = self.session.poll_event() {
            match e {
                SessionEvent::ReceptionReport { block, rtt, .. } => {
                    self.stats.peer_reported_lost = Some(block.cumulative_lost);
                    if let Some(rtt) = rtt {
                        self.stats.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
                        push_bounded(&mut self.events, MediaEvent::Rtt(rtt));
                    }
                }
                SessionEvent::Bye { ssrc, .. } if Some(ssrc) == self.remote_ssrc => {
                    push_bounded(&mut self.events, MediaEvent::RemoteBye);
                }
                _ => {}
            }
        }
    }

    /// Feeds one received datagram; `on_rtcp_socket` when it arrived on the
    /// separate RTCP port.
    pub(crate) fn handle_input(
        &mut self,
        now: Instant,
        from: SocketAddr,
        on_rtcp_socket: bool,
        data: &[u8],
    ) {
        let rtcp = on_rtcp_socket || classify(data) == PacketKind::Rtcp;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(data);
        if rtcp {
            self.handle_rtcp(now, from, &mut buf);
        } else if classify(data) == PacketKind::Rtp {
            self.handle_rtp(now, from, &mut buf, data.len());
        } else {
            self.stats.discarded += 1;
        }
        self.buf = buf;
        self.play_due(now);
        self.drain_session(now);
    }

    fn handle_rtcp(&mut self, now: Instant, from: SocketAddr, buf: &mut Vec<u8>) {
        if let Some(srtp) = &mut self.srtp {
            if srtp.unprotect_rtcp(buf).is_err() {
                self.stats.srtp_failures += 1;
                return;
            }
        }
        // Some peers (baresip) end with BYE+SDES and no report; the
        // reduced-size parser (RFC 5506) accepts those.
        let compound = Compound::parse(buf).or_else(|_| Compound::parse_reduced_size(buf));
        match compound {
            Ok(c) => {
                self.stats.rtcp_received += 1;
                self.session.handle_rtcp(now, from, &c);
            }
            Err(_) => self.stats.discarded += 1,
        }
    }

    fn handle_rtp(&mut self, now: Instant, from: SocketAddr, buf: &mut Vec<u8>, wire_len: usize) {
        if let Some(srtp) = &mut self.srtp {
            if srtp.unprotect_rtp(buf).is_err() {
                self.stats.srtp_failures += 1;
                return;
            }
        }
        let Ok(pkt) = RtpPacket::parse(buf) else {
            self.stats.discarded += 1;
            return;
        };
        // Only a source the session validated (RFC 3550 A.1: not on
        // probation, no unconfirmed sequence jump, no collision or loop)
        // reaches the decoder, and only the peer's one: the first validated
        // source, replaced by another only once it has been silent a while.
        if self.session.handle_rtp(now, from, &pkt) != RtpVerdict::Accept {
            self.stats.discarded += 1;
            return;
        }
        let ssrc = pkt.ssrc();
        let locked = self.remote_ssrc.is_some_and(|r| r != ssrc)
            && self
                .remote_heard
                .is_some_and(|t| now.saturating_duration_since(t) < SSRC_SWITCH_SILENCE);
        let pt = pkt.payload_type();
        let event = self.params.events.is_some_and(|e| e.recv == pt);
        if locked || (!event && pt != self.params.recv_pt) {
            self.stats.discarded += 1;
            return;
        }
        if self.remote_ssrc != Some(ssrc) {
            self.remote_ssrc = Some(ssrc);
            self.jitter = JitterBuffer::new(self.jitter_config(), now);
            self.playout_anchor = None;
        }
        self.remote_heard = Some(now);
        self.stats.packets_received += 1;
        self.stats.bytes_received += wire_len as u64;
        if event {
            self.handle_event_payload(pkt.timestamp(), pkt.payload());
        // [RFC 7587 §4.1] "The receiver MUST provide at most one of those
        // payloads to the Opus decoder for decoding, and it MUST discard
        // the others."
        } else if self
            .jitter
            .push(now, pkt.sequence_number(), pkt.timestamp(), pkt.payload())
            != PushOutcome::Stored
        {
            self.stats.jitter_rejected += 1;
        }
    }

    fn jitter_config(&self) -> JitterConfig {
        jitter_config(self.params.codec)
    }

    fn handle_event_payload(&mut self, ts: u32, payload: &[u8]) {
        let Ok(reports) = TelephoneEvent::parse_all(payload) else {
            self.stats.decode_errors += 1;
            return;
        };
        let rate = self.params.codec.clock_rate().max(1);
        for report in reports {
            for notice in self.events_rx.handle(ts, report).into_iter().flatten() {
                if let EventNotice::Ended {
                    event, duration, ..
                } = notice
                {
                    if let Some(digit) = dtmf_char(event) {
                        push_bounded(
                            &mut self.events,
                            MediaEvent::Dtmf {
                                digit,
                                duration_ms: (u64::from(duration) * 1000 / u64::from(rate)) as u32,
                            },
                        );
                    }
                }
            }
        }
    }

    fn play_due(&mut self, now: Instant) {
        let rate = u64::from(self.params.codec.clock_rate());
        let mut pcm = std::mem::take(&mut self.pcm);
        for _ in 0..MAX_CATCH_UP {
            let (ts, ok) = match self.jitter.pop(now) {
                None => break,
                Some(Playout::Frame {
                    timestamp, payload, ..
                }) => {
                    self.concealed_run = 0;
                    (timestamp, self.codec.decode(payload, &mut pcm).is_ok())
                }
                Some(Playout::Lost { timestamp, .. }) => {
                    self.concealed_run += 1;
                    (timestamp, self.codec.conceal(&mut pcm).is_ok())
                }
                Some(_) => break,
            };
            if !ok {
                self.stats.decode_errors += 1;
                pcm.fill(0);
            }
            // Continuous playout: frames are placed by their timestamps from
            // the first one played, as a sound card would play them; a
            // timestamp more than a second off the clock starts a new
            // timeline.
            let elapsed = now.saturating_duration_since(self.start);
            let pos_now = (elapsed.as_nanos() * u128::from(rate) / 1_000_000_000) as u64;
            let (ts_first, pos_first) = *self.playout_anchor.get_or_insert((ts, pos_now));
            let mut pos = pos_first + u64::from(ts.wrapping_sub(ts_first));
            if pos.abs_diff(pos_now) > rate {
                self.playout_anchor = Some((ts, pos_now));
                pos = pos_now;
            }
            if let Some(rec) = &mut self.recorder {
                rec.put(pos, &pcm);
            }
            if let Source::Echo { frames_sent } = &mut self.source {
                let k = *frames_sent;
                *frames_sent = k.wrapping_add(1);
                let ts = self.ts0.wrapping_add(k.wrapping_mul(pcm.len() as u32));
                self.send_audio(now, ts, &pcm);
            }
            if self.concealed_run >= MAX_CONCEALED_RUN {
                // The peer went quiet: stop playing until it sends again.
                self.jitter = JitterBuffer::new(self.jitter_config(), now);
                self.concealed_run = 0;
                break;
            }
        }
        // The buffer fell far behind the clock (a forged or wild
        // timestamp): start again from the next packet rather than
        // conceal our way through the gap.
        if self
            .jitter
            .poll_timeout()
            .is_some_and(|t| now.saturating_duration_since(t) > Duration::from_secs(1))
        {
            self.jitter = JitterBuffer::new(self.jitter_config(), now);
        }
        self.pcm = pcm;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::audio::{TestSignal, Tone};
    use crate::media::quality::align_and_snr;

    const A_ADDR: &str = "127.0.0.1:4000";
    const B_ADDR: &str = "127.0.0.1:6000";

    fn params(codec: CodecKind, peer: &str, srtp: Option<(&str, &str)>) -> MediaParams {
        let peer: SocketAddr = peer.parse().unwrap();
        let (pt, ev) = match codec {
            CodecKind::Opus => (111, 110),
            CodecKind::Pcmu => (0, 101),
            CodecKind::Pcma => (8, 101),
        };
        MediaParams {
            codec,
            send_pt: pt,
            recv_pt: pt,
            remote_fmtp: None,
            events: Some(EventPayloadTypes { send: ev, recv: ev }),
            srtp: srtp.map(|(l, r)| SrtpParams {
                profile: ProtectionProfile::AesCm128HmacSha1_80,
                local_key_params: l.to_owned(),
                remote_key_params: r.to_owned(),
            }),
            remote_rtp: Some(peer),
            remote_rtcp: Some(SocketAddr::new(peer.ip(), peer.port() + 1)),
            rtcp_mux: false,
            send: true,
            recv: true,
        }
    }

    const KEY_A: &str = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
    const KEY_B: &str = "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj";

    /// Two streams on a virtual clock, with a one-way delay and a filter
    /// deciding which of A's datagrams reach B.
    struct Pair {
        a: MediaStream,
        b: MediaStream,
        now: Instant,
        delay: Duration,
        /// (arrival, to_b, from_rtcp_socket, data)
        wire: Vec<(Instant, bool, bool, Vec<u8>)>,
        /// Every datagram A sent, in order.
        sent_by_a: Vec<Transmit>,
        events_a: Vec<MediaEvent>,
        events_b: Vec<MediaEvent>,
        drop_a_to_b: Box<dyn FnMut(usize) -> bool>,
        a_count: usize,
    }

    impl Pair {
        fn new(a: MediaStream, b: MediaStream, start: Instant, delay_ms: u64) -> Self {
            Self {
                a,
                b,
                now: start,
                delay: Duration::from_millis(delay_ms),
                wire: Vec::new(),
                sent_by_a: Vec::new(),
                events_a: Vec::new(),
                events_b: Vec::new(),
                drop_a_to_b: Box::new(|_| false),
                a_count: 0,
            }
        }

        fn drain(&mut self) {
            while let Some(t) = self.a.poll_transmit() {
                self.sent_by_a.push(t.clone());
                let dropped = !t.from_rtcp_socket && (self.drop_a_to_b)(self.a_count);
                if !t.from_rtcp_socket {
                    self.a_count += 1;
                }
                if !dropped {
                    self.wire
                        .push((self.now + self.delay, true, t.from_rtcp_socket, t.data));
                }
            }
            while let Some(t) = self.b.poll_transmit() {
                self.wire
                    .push((self.now + self.delay, false, t.from_rtcp_socket, t.data));
            }
            self.events_a
                .extend(std::iter::from_fn(|| self.a.poll_event()));
            self.events_b
                .extend(std::iter::from_fn(|| self.b.poll_event()));
        }

        fn run_until(&mut self, end: Instant) {
            let (a_addr, b_addr): (SocketAddr, SocketAddr) =
                (A_ADDR.parse().unwrap(), B_ADDR.parse().unwrap());
            for _ in 0..1_000_000 {
                self.drain();
                let next = [
                    self.a.poll_timeout(),
                    self.b.poll_timeout(),
                    self.wire.iter().map(|w| w.0).min(),
                ]
                .into_iter()
                .flatten()
                .min();
                let Some(next) = next.filter(|&n| n <= end) else {
                    self.now = end;
                    return;
                };
                self.now = self.now.max(next);
                let now = self.now;
                let due: Vec<_> = {
                    let (due, rest) = std::mem::take(&mut self.wire)
                        .into_iter()
                        .partition(|w| w.0 <= now);
                    self.wire = rest;
                    due
                };
                for (_, to_b, rtcp, data) in due {
                    if to_b {
                        self.b.handle_input(now, a_addr, rtcp, &data);
                    } else {
                        self.a.handle_input(now, b_addr, rtcp, &data);
                    }
                }
                if self.a.poll_timeout().is_some_and(|t| t <= now) {
                    self.a.handle_timeout(now);
                }
                if self.b.poll_timeout().is_some_and(|t| t <= now) {
                    self.b.handle_timeout(now);
                }
            }
            panic!("the simulation did not reach its end");
        }
    }

    fn setup(seed: u64, record: bool, echo: bool) -> StreamSetup {
        StreamSetup {
            seed,
            record,
            echo,
            rtcp_min_interval: 0.5,
            ..StreamSetup::default()
        }
    }

    #[test]
    fn pcmu_both_ways_counts_every_packet_and_records_the_signal() {
        let t0 = Instant::now();
        let a = MediaStream::new(
            params(CodecKind::Pcmu, B_ADDR, None),
            &setup(1, false, false),
            Some(Box::new(TestSignal::new(8000, 2.0, 9))),
            t0,
        )
        .unwrap();
        let b = MediaStream::new(
            params(CodecKind::Pcmu, A_ADDR, None),
            &setup(2, true, false),
            Some(Box::new(Tone::new(440.0, 8000, 8000.0))),
            t0,
        )
        .unwrap();
        let mut p = Pair::new(a, b, t0, 15);
        p.run_until(t0 + Duration::from_millis(2490));
        let (sa, sb) = (p.a.stats(), p.b.stats());
        // 2.5 s of 20 ms frames: 125 packets each way, every one received
        // but the last in flight and the first, which arrives while its
        // source is on probation (RFC 3550 A.1, MIN_SEQUENTIAL = 2).
        assert_eq!(sa.packets_sent, 125);
        assert!(sb.packets_received >= 122, "{sb:?}");
        assert_eq!(sb.discarded, 1, "{sb:?}");
        assert_eq!(sb.lost, 0);
        assert_eq!(
            sb.srtp_failures + sb.jitter_rejected + sb.decode_errors,
            0,
            "{sb:?}"
        );
        assert_eq!(sa.bytes_sent, 125 * (12 + 160));
        assert!(sa.packets_received >= 122);
        assert!(sa.rtcp_received > 0 && sb.rtcp_received > 0);
        // B's recording is A's test signal, delayed, at G.711 quality.
        let reference = TestSignal::render(8000, 2.0, 9);
        let rec = p.b.recorder().unwrap();
        let q = align_and_snr(&reference, rec.samples(), 8000, 0.3).unwrap();
        assert!(q.snr_db > 30.0, "{q:?}");
        // Network 15 ms plus the 40 ms minimum playout delay.
        assert!(q.delay_ms >= 55.0 && q.delay_ms < 120.0, "{q:?}");
    }

    #[test]
    fn opus_over_srtp_through_an_echo_comes_back_with_its_delay() {
        let t0 = Instant::now();
        let a = MediaStream::new(
            params(CodecKind::Opus, B_ADDR, Some((KEY_A, KEY_B))),
            &setup(3, true, false),
            Some(Box::new(TestSignal::new(48_000, 3.0, 4))),
            t0,
        )
        .unwrap();
        let b = MediaStream::new(
            params(CodecKind::Opus, A_ADDR, Some((KEY_B, KEY_A))),
            &setup(4, false, true),
            None,
            t0,
        )
        .unwrap();
        let mut p = Pair::new(a, b, t0, 10);
        p.run_until(t0 + Duration::from_millis(3600));
        let (sa, sb) = (p.a.stats(), p.b.stats());
        assert_eq!(sa.srtp_failures + sb.srtp_failures, 0);
        assert_eq!(sa.lost + sb.lost, 0);
        // Payloads are encrypted: no plaintext Opus TOC pattern survives in
        // every packet, and each carries the 10-octet tag.
        let rtp: Vec<&Transmit> = p.sent_by_a.iter().filter(|t| !t.from_rtcp_socket).collect();
        assert!(rtp.iter().all(|t| RtpPacket::parse(&t.data).is_ok()));
        let reference = TestSignal::render(48_000, 3.0, 4);
        let rec = p.a.recorder().unwrap();
        let q = align_and_snr(&reference, rec.samples(), 48_000, 0.5).unwrap();
        // On the virtual clock: two network legs of 10 ms, two 40 ms
        // minimum playout delays and two Opus look-aheads of 6.5 ms make
        // 113 ms.
        assert!((108.0..118.0).contains(&q.delay_ms), "{q:?}");
        assert!(q.correlation > 0.85, "{q:?}");
        // Two Opus generations at 40 kbit/s of the test signal: 7.1 dB (the
        // codec alone, offline, gives 7.2 dB).
        assert!(q.snr_db > 6.0, "{q:?}");
    }

    #[test]
    fn srtp_with_the_wrong_key_is_dropped_and_counted() {
        let t0 = Instant::now();
        let a = MediaStream::new(
            params(CodecKind::Pcma, B_ADDR, Some((KEY_A, KEY_B))),
            &setup(5, false, false),
            None,
            t0,
        )
        .unwrap();
        // B expects another key from A.
        let b = MediaStream::new(
            params(CodecKind::Pcma, A_ADDR, Some((KEY_B, KEY_B))),
            &setup(6, false, false),
            None,
            t0,
        )
        .unwrap();
        let mut p = Pair::new(a, b, t0, 5);
        p.run_until(t0 + Duration::from_millis(1000));
        let sb = p.b.stats();
        assert_eq!(sb.packets_received, 0);
        assert!(sb.srtp_failures >= 45, "{sb:?}");
    }

    #[test]
    fn dtmf_is_sent_as_rfc4733_events_and_received_as_digits() {
        let t0 = Instant::now();
        let mut a = MediaStream::new(
            params(CodecKind::Pcmu, B_ADDR, None),
            &setup(7, false, false),
            Some(Box::new(Tone::new(300.0, 8000, 5000.0))),
            t0,
        )
        .unwrap();
        let b = MediaStream::new(
            params(CodecKind::Pcmu, A_ADDR, None),
            &setup(8, false, false),
            None,
            t0,
        )
        .unwrap();
        assert!(matches!(a.send_dtmf("x"), Err(StreamError::NotDtmf('x'))));
        let mut p = Pair::new(a, b, t0, 5);
        p.run_until(t0 + Duration::from_millis(210));
        p.a.send_dtmf("1#").unwrap();
        p.run_until(t0 + Duration::from_millis(1000));
        let pkts: Vec<(u16, bool, u8, u32, Vec<u8>)> = p
            .sent_by_a
            .iter()
            .filter(|t| !t.from_rtcp_socket)
            .map(|t| {
                let r = RtpPacket::parse(&t.data).unwrap();
                (
                    r.sequence_number(),
                    r.marker(),
                    r.payload_type(),
                    r.timestamp(),
                    r.payload().to_vec(),
                )
            })
            .collect();
        // [RFC 4733 §2.5.1.2] "they MUST use the same sequence number and
        // timestamp base as the regular audio channel"
        for w in pkts.windows(2) {
            assert_eq!(
                w[1].0,
                w[0].0.wrapping_add(1),
                "one sequence for audio and events"
            );
        }
        let events: Vec<_> = pkts.iter().filter(|p| p.2 == 101).collect();
        // Two digits of 100 ms at 20 ms updates: 5 updates and 2
        // retransmissions of the final one each.
        assert_eq!(events.len(), 14);
        for digit in events.chunks(7) {
            let reports: Vec<TelephoneEvent> = digit
                .iter()
                .map(|p| TelephoneEvent::from_bytes(p.4.clone().try_into().unwrap()))
                .collect();
            // [RFC 4733 §2.5.1.2] "The first packet for an event MUST have
            // the M bit set."
            assert!(digit[0].1);
            // [RFC 4733 §2.5.1.2] "Intermediate packets for an event MUST NOT
            // have either the M bit or the E bit set."
            assert!(digit[1..].iter().all(|p| !p.1));
            assert!(reports[..4].iter().all(|r| !r.end));
            // [RFC 4733 §2.5.1.2] "The update packets MUST have the same RTP
            // timestamp value as the initial packet for the event"
            assert!(digit.iter().all(|p| p.3 == digit[0].3));
            let durations: Vec<u16> = reports.iter().map(|r| r.duration).collect();
            assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
            // [RFC 4733 §2.5.1.4] "The final packet for each event and for
            // each segment SHOULD be sent a total of three times"
            assert!(reports[5].end && reports[6].end);
            assert!(reports.iter().all(|r| r.volume == DTMF_VOLUME));
        }
        let first: Vec<u8> = events.iter().map(|p| p.4[0]).collect();
        assert_eq!(&first[..7], &[1; 7]);
        assert_eq!(&first[7..], &[11; 7]);
        // The event timestamp is the audio timeline's at the event start.
        let first_event = pkts.iter().position(|p| p.2 == 101).unwrap();
        let before = &pkts[first_event - 1];
        assert_eq!(events[0].3, before.3.wrapping_add(160));
        // Audio resumes after each digit, without the marker bit (we do not
        // suppress silence, RFC 3551 §4.1).
        let after = &pkts[first_event + 7];
        assert_eq!(after.2, 0);
        assert!(!after.1);
        assert!(pkts.iter().filter(|p| p.2 == 0).all(|p| !p.1));
        assert_eq!(after.3, events[0].3.wrapping_add(7 * 160));
        // B reports the digits with their durations.
        let digits: Vec<_> = p
            .events_b
            .iter()
            .filter_map(|e| match e {
                MediaEvent::Dtmf { digit, duration_ms } => Some((*digit, *duration_ms)),
                _ => None,
            })
            .collect();
        assert_eq!(digits, [('1', 100), ('#', 100)]);
        assert!(p.events_a.contains(&MediaEvent::DtmfSent));
        assert_eq!(p.a.stats().dtmf_sent, 2);
    }

    #[test]
    fn rtcp_reports_give_the_round_trip_time() {
        let t0 = Instant::now();
        let mk = |peer, seed| {
            MediaStream::new(
                params(CodecKind::Pcmu, peer, None),
                &setup(seed, false, false),
                None,
                t0,
            )
            .unwrap()
        };
        let mut p = Pair::new(mk(B_ADDR, 9), mk(A_ADDR, 10), t0, 40);
        p.run_until(t0 + Duration::from_secs(5));
        let rtt = p.a.stats().rtt_ms.expect("an RTT from LSR/DLSR");
        assert!((rtt - 80.0).abs() < 2.0, "{rtt}");
        assert!(p.events_a.iter().any(|e| matches!(e, MediaEvent::Rtt(_))));
        assert_eq!(p.a.stats().peer_reported_lost, Some(0));
    }

    #[test]
    fn lost_packets_are_counted_and_concealed() {
        let t0 = Instant::now();
        let a = MediaStream::new(
            params(CodecKind::Opus, B_ADDR, None),
            &setup(11, false, false),
            Some(Box::new(Tone::new(500.0, 48_000, 5000.0))),
            t0,
        )
        .unwrap();
        let b = MediaStream::new(
            params(CodecKind::Opus, A_ADDR, None),
            &setup(12, true, false),
            None,
            t0,
        )
        .unwrap();
        let mut p = Pair::new(a, b, t0, 5);
        // Drop every tenth RTP packet after the first few.
        p.drop_a_to_b = Box::new(|i| i > 5 && i % 10 == 0);
        p.run_until(t0 + Duration::from_millis(2000));
        let sb = p.b.stats();
        assert!((9..=10).contains(&sb.lost), "{sb:?}");
        assert!(sb.frames_concealed >= 9, "{sb:?}");
        // The recording has no holes: concealment filled them.
        let rec = p.b.recorder().unwrap().samples();
        assert!(rec.len() > 48_000);
    }

    #[test]
    fn hold_stops_sending_and_leave_sends_bye() {
        let t0 = Instant::now();
        let mk = |peer, seed| {
            MediaStream::new(
                params(CodecKind::Pcmu, peer, None),
                &setup(seed, false, false),
                None,
                t0,
            )
            .unwrap()
        };
        let mut p = Pair::new(mk(B_ADDR, 13), mk(A_ADDR, 14), t0, 5);
        p.run_until(t0 + Duration::from_millis(500));
        let before = p.a.stats().packets_sent;
        let mut held = p.a.params().clone();
        held.send = false;
        p.a.update(held).unwrap();
        p.run_until(t0 + Duration::from_millis(1000));
        assert_eq!(p.a.stats().packets_sent, before);
        let now = p.now;
        p.a.leave(now);
        p.run_until(t0 + Duration::from_millis(3000));
        assert!(p.a.is_finished());
        assert!(
            p.events_b.contains(&MediaEvent::RemoteBye),
            "{:?}",
            p.events_b
        );
        assert!(
            p.a.poll_timeout()
                .is_none_or(|_| p.a.stats().packets_sent == before)
        );
    }

    #[test]
    fn arbitrary_and_mutated_datagrams_never_panic_and_are_all_accounted() {
        use rand::{Rng, RngCore, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
        let t0 = Instant::now();
        for srtp in [None, Some((KEY_A, KEY_B))] {
            let mut sender = MediaStream::new(
                params(CodecKind::Opus, B_ADDR, srtp),
                &setup(21, false, false),
                Some(Box::new(Tone::new(400.0, 48_000, 4000.0))),
                t0,
            )
            .unwrap();
            let mut rx = MediaStream::new(
                params(CodecKind::Opus, A_ADDR, srtp.map(|(a, b)| (b, a))),
                &setup(22, true, true),
                None,
                t0,
            )
            .unwrap();
            // Valid packets to mutate.
            let mut valid = Vec::new();
            for k in 0..50u32 {
                sender.handle_timeout(t0 + Duration::from_millis(u64::from(k) * 20));
                valid.extend(std::iter::from_fn(|| sender.poll_transmit()).map(|t| t.data));
            }
            let from: SocketAddr = A_ADDR.parse().unwrap();
            let mut fed = 0u64;
            for i in 0..3000u64 {
                let now = t0 + Duration::from_millis(1000 + i);
                let data: Vec<u8> = if i % 2 == 0 {
                    let mut d = vec![0u8; rng.random_range(0..300)];
                    rng.fill_bytes(&mut d);
                    // Half of them look like RTP or RTCP version 2.
                    if let Some(b) = d.first_mut().filter(|_| i % 4 == 0) {
                        *b = 0x80 | (*b & 0x3f);
                    }
                    d
                } else {
                    let mut d = valid[rng.random_range(0..valid.len())].clone();
                    for _ in 0..rng.random_range(1..4) {
                        if d.is_empty() {
                            break;
                        }
                        let at = rng.random_range(0..d.len());
                        d[at] ^= 1 << rng.random_range(0..8);
                    }
                    if rng.random_bool(0.2) {
                        d.truncate(rng.random_range(0..d.len().max(1)));
                    }
                    d
                };
                let on_rtcp = rng.random_bool(0.1);
                rx.handle_input(now, from, on_rtcp, &data);
                fed += 1;
                if rx.poll_timeout().is_some_and(|t| t <= now) {
                    rx.handle_timeout(now);
                }
                // Bounded queues whatever arrives.
                assert!(rx.transmits.len() <= MAX_QUEUE && rx.events.len() <= MAX_QUEUE);
                while rx.poll_event().is_some() {}
                while rx.poll_transmit().is_some() {}
            }
            let s = rx.stats();
            // Every datagram was accepted (RTP or RTCP) or dropped and
            // counted; with SRTP, no forged or mutated packet got through
            // authentication as audio.
            assert_eq!(
                s.packets_received + s.rtcp_received + s.discarded + s.srtp_failures,
                fed,
                "{s:?}"
            );
            if srtp.is_some() {
                assert!(s.srtp_failures > 2000, "{s:?}");
            }
        }
    }
}
