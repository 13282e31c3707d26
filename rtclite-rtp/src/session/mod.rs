//! A sans-IO RTP session participant (RFC 3550 §6.2–§6.3, §8.2, Appendix
//! A): member and sender tables, per-source reception statistics, report
//! generation, RTCP timing with reconsideration, BYE, timeouts, SSRC
//! collision and loop detection.
//!
//! The caller owns the sockets, the clock and the random source:
//!
//! 1. feed what arrives with [`Session::handle_rtp`] / [`Session::handle_rtcp`]
//!    and what it sends with [`Session::on_rtp_sent`];
//! 2. call [`Session::handle_timeout`] when [`Session::poll_timeout`] is due;
//! 3. after each of those, drain [`Session::poll_transmit`] (compound RTCP to
//!    send to the peer's RTCP address) and [`Session::poll_event`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtclite_rtp::session::{Session, SessionConfig};
//! use rtclite_rtp::Ssrc;
//! use rand_chacha::rand_core::SeedableRng;
//! let start = Instant::now();
//! let cfg = SessionConfig::new(Ssrc(0x1234), b"alice@example.com".to_vec(), 8000, 64_000);
//! let mut s = Session::new(cfg, start, rand_chacha::ChaCha8Rng::seed_from_u64(1));
//! let due = s.poll_timeout().unwrap();
//! // The first report is due within 1.5 × 2.5 s / 1.21828 of joining.
//! assert!(due - start <= Duration::from_secs_f64(3.08));
//! s.handle_timeout(due);
//! let report = s.poll_transmit().unwrap();
//! assert!(rtclite_rtp::rtcp::Compound::parse(&report.contents).is_ok());
//! ```

mod interval;
mod stats;

pub use interval::{
    COMPENSATION, IntervalParams, RTCP_MIN_TIME, RTCP_SENDER_BW_FRACTION, reduced_min_time,
};
pub use stats::{
    JitterEstimator, MAX_DROPOUT, MAX_MISORDER, MIN_SEQUENTIAL, SeqVerdict, SequenceTracker,
};

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::RngCore;

use crate::Ssrc;
use crate::rtcp::{
    Compound, NtpTimestamp, ReportBlock, RtcpPacket, RtcpWriter, SdesItem, SenderInfo,
};
use crate::rtp::RtpPacket;

/// Largest compound RTCP packet the session builds: an Ethernet MTU minus
/// IPv4 and UDP headers. Report blocks that do not fit wait for the next
/// interval (round robin).
pub const MAX_RTCP_SIZE: usize = 1472;
/// Bound of the event and transmit queues; when full, the oldest entry is
/// dropped.
pub const MAX_QUEUE: usize = 256;

/// Parameters of a session participant.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Our SSRC (choose it at random, RFC 3550 §8.1).
    pub ssrc: Ssrc,
    /// Our CNAME (at most 255 octets).
    // The CNAME's content is the caller's choice; the session only carries it:
    // [RFC 3550 §6.5.1 exception: the caller picks the CNAME] "Like the SSRC identifier, the CNAME
    // identifier SHOULD also be unique among all participants within one RTP session."
    // [RFC 3550 §6.5.1 exception: the caller picks the CNAME] "the CNAME SHOULD be fixed for that
    // participant"
    // [RFC 3550 §6.5.1 exception: the caller picks the CNAME] "Therefore, the CNAME SHOULD be
    // derived algorithmically and not entered manually, when possible."
    // [RFC 3550 §6.5.1 exception: the caller picks the CNAME] "The CNAME item SHOULD have the
    // format"
    pub cname: Vec<u8>,
    /// The RTP clock rate of the media, in Hz.
    pub clock_rate: u32,
    /// RTCP bandwidth in octets per second (5% of the session bandwidth by
    /// default).
    pub rtcp_bandwidth: f64,
    /// Expected size of our first compound RTCP packet, lower layers
    /// included, in octets.
    pub initial_avg_rtcp_size: f64,
    /// Minimum RTCP interval in seconds (5, RFC 3550 §6.2).
    pub min_interval: f64,
    /// Report intervals of silence after which a member times out (5).
    pub timeout_multiplier: u32,
    /// Most members tracked; packets from further new sources are ignored.
    pub max_members: usize,
    /// Octets of IP and UDP headers counted in the average RTCP size (28 for
    /// IPv4).
    pub lower_layer_overhead: usize,
    /// How long a source that sent BYE is kept to absorb stragglers.
    pub bye_linger: Duration,
    /// Wallclock at the instant passed to [`Session::new`], used for SR NTP
    /// timestamps and round-trip times. Zero when the caller has no
    /// wallclock: the timestamps then count from the session start, which
    /// is enough for RTT (RFC 3550 §6.4.1 allows any consistent clock).
    pub ntp_at_start: NtpTimestamp,
}

impl SessionConfig {
    /// A configuration with the RFC 3550 defaults for a session of
    /// `session_bandwidth` bits per second.
    pub fn new(ssrc: Ssrc, cname: Vec<u8>, clock_rate: u32, session_bandwidth: u32) -> Self {
        Self {
            ssrc,
            cname,
            clock_rate,
            // [RFC 3550 §6.2] "It is RECOMMENDED that the fraction of the
            // session bandwidth added for RTCP be fixed at 5%."
            // [RFC 3550 §6.2 exception: the caller configures the bandwidth] "All participants MUST
            // use the same value for the session bandwidth"
            rtcp_bandwidth: f64::from(session_bandwidth) / 8.0 * 0.05,
            initial_avg_rtcp_size: 100.0,
            min_interval: RTCP_MIN_TIME,
            // [RFC 3550 §6.2.1] "if no RTP or RTCP packet has been received for a small number of
            // RTCP report intervals (5 is RECOMMENDED)"
            // [RFC 3550 §6.2.1] "Therefore, this multiplier SHOULD be fixed for a particular
            // profile."
            timeout_multiplier: 5,
            max_members: 512,
            lower_layer_overhead: 28,
            bye_linger: Duration::from_secs(2),
            ntp_at_start: NtpTimestamp(0),
        }
    }
}

/// What the session decided about one received RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpVerdict {
    /// Valid: hand the payload on.
    Accept,
    /// The source is on probation (RFC 3550 A.1); the packet MAY be
    /// discarded or held.
    Probation,
    /// A sequence jump beyond MAX_DROPOUT not yet confirmed: discard.
    BadSequence,
    /// A collision or loop (RFC 3550 §8.2): discard.
    Conflict,
    /// The member table is full: discard.
    TableFull,
}

/// Something the application must know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A source became a valid member.
    NewMember(Ssrc),
    /// A source left with BYE.
    Bye {
        /// The source.
        ssrc: Ssrc,
        /// Its reason, if any.
        reason: Option<Vec<u8>>,
    },
    /// A member was silent too long and was removed (RFC 3550 §6.3.5).
    Timeout(Ssrc),
    /// A source sent its first RTCP CNAME or changed it.
    Cname {
        /// The source.
        ssrc: Ssrc,
        /// Its CNAME.
        cname: Vec<u8>,
    },
    /// Another participant uses our SSRC: we sent BYE for it and took a new
    /// one (RFC 3550 §8.2).
    SsrcCollision {
        /// The SSRC we gave up.
        old: Ssrc,
        /// The SSRC we use from now on.
        new: Ssrc,
        /// Where the conflicting packet came from.
        from: SocketAddr,
    },
    /// Our own packets came back to us (a loop, RFC 3550 §8.2).
    OwnTrafficLooped {
        /// Where they came from.
        from: SocketAddr,
    },
    /// Packets of a known source arrived from a second transport address
    /// (third-party collision or loop); they were discarded.
    ThirdPartyConflict {
        /// The source.
        ssrc: Ssrc,
        /// The new address.
        from: SocketAddr,
    },
    /// A peer reported on our stream.
    ReceptionReport {
        /// The reporter.
        reporter: Ssrc,
        /// The block about us.
        block: ReportBlock,
        /// Round-trip time from LSR/DLSR (RFC 3550 §6.4.1), when LSR is set.
        rtt: Option<Duration>,
    },
}

/// A compound RTCP packet to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The bytes of the compound packet.
    pub contents: Vec<u8>,
    /// True when this is our goodbye.
    pub bye: bool,
}

/// A read-only snapshot of one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// The source.
    pub ssrc: Ssrc,
    /// Its CNAME, when known.
    pub cname: Option<Vec<u8>>,
    /// Whether it is in the sender table.
    pub sender: bool,
    /// Packets received from it.
    pub received: u32,
    /// Cumulative packets lost.
    pub cumulative_lost: i32,
    /// Extended highest sequence number.
    pub extended_max: u32,
    /// Current jitter, in timestamp units.
    pub jitter: u32,
}

#[derive(Debug, Clone)]
struct Member {
    rtp_addr: Option<SocketAddr>,
    rtcp_addr: Option<SocketAddr>,
    seq: Option<SequenceTracker>,
    jitter: JitterEstimator,
    last_heard: Instant,
    last_rtp: Option<Instant>,
    sender: bool,
    counted: bool,
    last_sr: Option<(u32, Instant)>,
    cname: Option<Vec<u8>>,
    bye_at: Option<Instant>,
    heard_since_report: bool,
}

impl Member {
    fn new(now: Instant) -> Self {
        Self {
            rtp_addr: None,
            rtcp_addr: None,
            seq: None,
            jitter: JitterEstimator::new(),
            last_heard: now,
            last_rtp: None,
            sender: false,
            counted: false,
            last_sr: None,
            cname: None,
            bye_at: None,
            heard_since_report: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Active,
    /// Leaving: the BYE is scheduled with the §6.3.7 backoff.
    Leaving,
    Left,
}

/// One participant of an RTP session, sans-IO.
#[derive(Debug)]
pub struct Session<R> {
    cfg: SessionConfig,
    rng: R,
    start: Instant,
    ssrc: Ssrc,
    members_table: BTreeMap<Ssrc, Member>,
    /// Conflicting source transport addresses (RTP, RTCP) with last time.
    conflicts: Vec<(SocketAddr, Instant)>,
    members: usize,
    pmembers: usize,
    senders: usize,
    we_sent: bool,
    last_rtp_sent: Option<(Instant, u32)>,
    packet_count: u32,
    octet_count: u32,
    sent_anything: bool,
    avg_rtcp_size: f64,
    initial: bool,
    tp: Instant,
    tn: Instant,
    mode: Mode,
    bye_reason: Option<Vec<u8>>,
    /// Where the next report's round robin over sources starts.
    report_cursor: Ssrc,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SessionEvent>,
}

/// Seconds as a duration, kept within [0, one day] (NaN counts as a day).
fn secs(s: f64) -> Duration {
    let s = if s.is_nan() {
        86_400.0
    } else {
        s.clamp(0.0, 86_400.0)
    };
    Duration::from_secs_f64(s)
}

fn push_bounded<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() >= MAX_QUEUE {
        q.pop_front();
    }
    q.push_back(v);
}

impl<R: RngCore> Session<R> {
    /// Joins the session at `now` (RFC 3550 §6.3.2): the first report is
    /// scheduled one randomised initial interval later.
    pub fn new(cfg: SessionConfig, now: Instant, rng: R) -> Self {
        let mut cname = cfg.cname.clone();
        cname.truncate(255);
        let cfg = SessionConfig { cname, ..cfg };
        let mut s = Self {
            ssrc: cfg.ssrc,
            avg_rtcp_size: cfg.initial_avg_rtcp_size,
            cfg,
            rng,
            start: now,
            members_table: BTreeMap::new(),
            conflicts: Vec::new(),
            // [RFC 3550 §6.3.2] "Upon joining the session, the participant
            // initializes tp to 0, tc to 0, senders to 0, pmembers to 1,
            // members to 1, we_sent to false"
            members: 1,
            pmembers: 1,
            senders: 0,
            we_sent: false,
            last_rtp_sent: None,
            packet_count: 0,
            octet_count: 0,
            sent_anything: false,
            initial: true,
            tp: now,
            tn: now,
            mode: Mode::Active,
            bye_reason: None,
            report_cursor: Ssrc(0),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        // [RFC 3550 §6.3.2] "The calculated interval T is then computed, and
        // the first packet is scheduled for time tn = T."
        // [RFC 3550 §6.2] "At application startup, a delay SHOULD be imposed before the first
        // compound RTCP packet is sent"
        let t = s.interval();
        s.tn = now + t;
        s
    }

    /// Our current SSRC (it changes after a collision).
    pub fn ssrc(&self) -> Ssrc {
        self.ssrc
    }

    /// The current member count (self included).
    pub fn members(&self) -> usize {
        self.members
    }

    /// The current sender count (self included when we sent recently).
    pub fn senders(&self) -> usize {
        self.senders
    }

    /// The average compound RTCP size, in octets.
    pub fn avg_rtcp_size(&self) -> f64 {
        self.avg_rtcp_size
    }

    /// A snapshot of one member, if known.
    pub fn member(&self, ssrc: Ssrc) -> Option<MemberInfo> {
        let m = self.members_table.get(&ssrc)?;
        Some(MemberInfo {
            ssrc,
            cname: m.cname.clone(),
            sender: m.sender,
            received: m.seq.as_ref().map_or(0, SequenceTracker::received),
            cumulative_lost: m.seq.as_ref().map_or(0, SequenceTracker::cumulative_lost),
            extended_max: m.seq.as_ref().map_or(0, SequenceTracker::extended_max),
            jitter: m.jitter.jitter(),
        })
    }

    fn params(&self, we_sent: bool) -> IntervalParams {
        IntervalParams {
            members: self.members,
            senders: self.senders,
            rtcp_bw: self.cfg.rtcp_bandwidth,
            we_sent,
            avg_rtcp_size: self.avg_rtcp_size,
            initial: self.initial,
            min_time: self.cfg.min_interval,
        }
    }

    // [RFC 3550 §6.3] "An implementation that allows operation in a multicast environment or a
    // multipoint unicast environment MUST meet the requirements in Section 6.2."
    fn interval(&mut self) -> Duration {
        let p = self.params(self.we_sent);
        p.randomized(&mut self.rng)
    }

    fn ntp_at(&self, now: Instant) -> NtpTimestamp {
        let d = now.saturating_duration_since(self.start);
        let frac = ((u128::from(d.subsec_nanos()) << 32) / 1_000_000_000) as u64;
        let units = (d.as_secs() << 32) | frac;
        NtpTimestamp(self.cfg.ntp_at_start.0.wrapping_add(units))
    }

    fn rtp_units(&self, now: Instant) -> u32 {
        let d = now.saturating_duration_since(self.start);
        (d.as_nanos() * u128::from(self.cfg.clock_rate) / 1_000_000_000) as u32
    }

    /// Checks a packet's source transport address against the table entry
    /// (RFC 3550 §8.2). Returns false when the packet must be discarded.
    fn check_source(&mut self, now: Instant, ssrc: Ssrc, from: SocketAddr, rtcp: bool) -> bool {
        // [RFC 3550 §8.2] "all RTP implementations MUST be prepared to detect collisions and take
        // the appropriate actions to resolve them"
        // [RFC 3550 §8.2] "To detect and resolve these conflicts, an RTP implementation MUST
        // include an algorithm similar to the one described below"
        if ssrc == self.ssrc {
            // Our own entry has no transport address, so any packet carrying
            // our SSRC is a collision or a loop.
            // [RFC 3550 §8.2] "the implementation MUST also keep a separate list of source
            // transport addresses (not identifiers) that have been found to be conflicting"
            if let Some(entry) = self.conflicts.iter_mut().find(|(a, _)| *a == from) {
                // [RFC 3550 §8.2] "mark current time in conflicting address
                // list entry"
                entry.1 = now;
                // [RFC 3550 §8.2] "An error condition SHOULD be indicated as appropriate."
                push_bounded(&mut self.events, SessionEvent::OwnTrafficLooped { from });
                return false;
            }
            self.own_collision(now, from);
            return false;
        }
        let Some(m) = self.members_table.get_mut(&ssrc) else {
            return true;
        };
        // [RFC 3550 §8.2] "two source transport addresses MUST be kept to separately track
        // conflicting RTP and RTCP packets"
        let slot = if rtcp {
            &mut m.rtcp_addr
        } else {
            &mut m.rtp_addr
        };
        match slot {
            // [RFC 3550 §8.2] "table entry was created on receipt of a control
            // packet and this is the first data packet or vice versa"
            None => {
                *slot = Some(from);
                true
            }
            Some(a) if *a == from => true,
            Some(_) => {
                // We keep the first source and report the conflict; telling
                // collisions from loops by CNAME is left to the application.
                // [RFC 3550 §8.2 exception: the first source is kept] "the RTP implementation
                // SHOULD modify the collision detection algorithm to accept packets from the new
                // source transport address"
                // [RFC 3550 §8.2 exception: the first source is kept] "To guard against
                // flip-flopping between addresses if a genuine collision does occur"
                // [RFC 3550 §8.2 exception: the first source is kept] "MAY
                // choose a different policy to keep new source"
                push_bounded(
                    &mut self.events,
                    SessionEvent::ThirdPartyConflict { ssrc, from },
                );
                false
            }
        }
    }

    fn own_collision(&mut self, now: Instant, from: SocketAddr) {
        // [RFC 3550 §8.2] "If a source discovers at any time that another
        // source is using the same SSRC identifier as its own, it MUST send
        // an RTCP BYE packet for the old identifier and choose another random
        // one."
        if self.conflicts.len() >= 16 {
            self.conflicts.remove(0);
        }
        self.conflicts.push((from, now));
        let old = self.ssrc;
        if self.sent_anything {
            let bye = self.build_compound(now, old, Some(b"SSRC collision"));
            push_bounded(
                &mut self.transmits,
                Transmit {
                    contents: bye,
                    bye: true,
                },
            );
        }
        // [RFC 3550 §8.2] "the candidate identifier SHOULD first be looked up
        // in the source identifier table to see if it was already in use by
        // some other source"
        // [RFC 3550 §5.1] "This identifier SHOULD be chosen randomly"
        let mut new = Ssrc(self.rng.next_u32());
        // [RFC 3550 §8.2] "If so, another candidate MUST be generated and the process repeated."
        while new == old || self.members_table.contains_key(&new) {
            new = Ssrc(self.rng.next_u32());
        }
        self.ssrc = new;
        if self.we_sent {
            self.we_sent = false;
            self.senders = self.senders.saturating_sub(1);
        }
        // [RFC 3550 §6.4.1] "The count SHOULD be reset if the sender changes
        // its SSRC identifier."
        self.packet_count = 0;
        self.octet_count = 0;
        self.last_rtp_sent = None;
        // The old SSRC now belongs to the other participant.
        if self.members_table.len() < self.cfg.max_members {
            let mut m = Member::new(now);
            m.rtp_addr = Some(from);
            self.members_table.insert(old, m);
        }
        push_bounded(
            &mut self.events,
            SessionEvent::SsrcCollision { old, new, from },
        );
    }

    fn member_entry(&mut self, now: Instant, ssrc: Ssrc) -> Option<&mut Member> {
        if !self.members_table.contains_key(&ssrc) {
            if self.members_table.len() >= self.cfg.max_members {
                return None;
            }
            // [RFC 3550 §6.2.1] "an entry for each SHOULD be created in a table indexed by the SSRC
            // or CSRC identifier"
            // A new SSRC starts from fresh statistics:
            // [RFC 3550 §6.4.1] "Receivers SHOULD NOT carry over statistics when a source changes
            // its SSRC identifier due to a collision."
            self.members_table.insert(ssrc, Member::new(now));
        }
        self.members_table.get_mut(&ssrc)
    }

    fn count_member(&mut self, ssrc: Ssrc) {
        if let Some(m) = self.members_table.get_mut(&ssrc) {
            if !m.counted && m.bye_at.is_none() {
                m.counted = true;
                // [RFC 3550 §6.3.3] "the value for members is updated once the
                // participant has been validated"
                if self.mode == Mode::Active {
                    self.members += 1;
                }
                push_bounded(&mut self.events, SessionEvent::NewMember(ssrc));
            }
        }
    }

    /// Processes one received RTP packet from transport address `from`.
    // [RFC 3550 §5.1 exception: the caller filters negotiated types] "A receiver MUST ignore
    // packets with payload types that it does not understand."
    // [RFC 3550 §8.2 exception: this crate has no mixer or translator] "All mixers and translators
    // MUST implement a loop detection algorithm like the one here"
    // [RFC 3550 §5.1 exception: the caller's media clock stamps the packets] "The sampling instant
    // MUST be derived from a clock that increments monotonically and linearly in time"
    // [RFC 3550 §5.1 exception: the caller's media clock stamps the packets] "The resolution of the
    // clock MUST be sufficient for the desired synchronization accuracy"
    pub fn handle_rtp(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: &RtpPacket<'_>,
    ) -> RtpVerdict {
        let ssrc = packet.ssrc();
        if !self.check_source(now, ssrc, from, false) {
            return RtpVerdict::Conflict;
        }
        let arrival = self.rtp_units(now);
        let mode = self.mode;
        let Some(m) = self.member_entry(now, ssrc) else {
            return RtpVerdict::TableFull;
        };
        if m.bye_at.is_some() {
            // Stragglers after BYE do not recreate the member.
            return RtpVerdict::Conflict;
        }
        m.rtp_addr.get_or_insert(from);
        m.last_heard = now;
        let seq = packet.sequence_number();
        let tracker = m.seq.get_or_insert_with(|| SequenceTracker::new(seq));
        let verdict = tracker.update(seq);
        match verdict {
            SeqVerdict::Probation => return RtpVerdict::Probation,
            SeqVerdict::BadJump => return RtpVerdict::BadSequence,
            SeqVerdict::Restarted => m.jitter = JitterEstimator::new(),
            _ => {}
        }
        // [RFC 3550 §6.4.1] "The interarrival jitter SHOULD be calculated
        // continuously as each data packet i is received from source SSRC_n"
        // [RFC 4733 §2.5.2.2] "The receiver MUST calculate jitter for RTCP receiver reports based
        // on all packets with a given timestamp."
        m.jitter.update(arrival, packet.timestamp());
        m.last_rtp = Some(now);
        m.heard_since_report = true;
        let new_sender = !m.sender;
        // [RFC 3550 §6.3.3] "When an RTP packet is received from a
        // participant whose SSRC is not in the sender table, the SSRC is added
        // to the table, and the value for senders is updated."
        if new_sender {
            m.sender = true;
            if mode == Mode::Active {
                self.senders += 1;
            }
        }
        self.count_member(ssrc);
        // [RFC 3550 §6.3.3] "The same processing occurs for each CSRC in a
        // validated RTP packet."
        for csrc in packet.csrcs() {
            if csrc != self.ssrc {
                if let Some(c) = self.member_entry(now, csrc) {
                    c.last_heard = now;
                    self.count_member(csrc);
                }
            }
        }
        RtpVerdict::Accept
    }

    /// Processes one received, validated compound RTCP packet from `from`.
    pub fn handle_rtcp(&mut self, now: Instant, from: SocketAddr, compound: &Compound<'_>) {
        let size = (compound.as_bytes().len() + self.cfg.lower_layer_overhead) as f64;
        let has_bye = compound.packets().any(|p| matches!(p, RtcpPacket::Bye(_)));
        if self.mode == Mode::Leaving {
            // [RFC 3550 §6.3.7] "Every time a BYE packet from another
            // participant is received, members is incremented by 1 regardless
            // of whether that participant exists in the member table or not"
            if has_bye {
                self.members += 1;
                // [RFC 3550 §6.3.7] "avg_rtcp_size is updated only for
                // received BYE packets"
                self.avg_rtcp_size = size / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
            }
            return;
        }
        if self.mode == Mode::Left {
            return;
        }
        // [RFC 3550 §6.3.3] "avg_rtcp_size = (1/16) * packet_size + (15/16) *
        // avg_rtcp_size"
        self.avg_rtcp_size = size / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
        let before = self.members;
        for p in compound.packets() {
            match p {
                RtcpPacket::Sr(sr) => {
                    let ssrc = sr.ssrc();
                    if self.touch_rtcp(now, ssrc, from) {
                        if let Some(m) = self.members_table.get_mut(&ssrc) {
                            m.last_sr = Some((sr.sender_info().ntp_timestamp.middle_32(), now));
                        }
                    }
                    self.reports_about_us(now, ssrc, sr.reports());
                }
                RtcpPacket::Rr(rr) => {
                    let ssrc = rr.ssrc();
                    self.touch_rtcp(now, ssrc, from);
                    self.reports_about_us(now, ssrc, rr.reports());
                }
                RtcpPacket::Sdes(sdes) => {
                    for chunk in sdes.chunks() {
                        if !self.touch_rtcp(now, chunk.ssrc, from) {
                            continue;
                        }
                        if let (Some(cname), Some(m)) =
                            (chunk.cname(), self.members_table.get_mut(&chunk.ssrc))
                        {
                            if m.cname.as_deref() != Some(cname) {
                                m.cname = Some(cname.to_vec());
                                push_bounded(
                                    &mut self.events,
                                    SessionEvent::Cname {
                                        ssrc: chunk.ssrc,
                                        cname: cname.to_vec(),
                                    },
                                );
                            }
                        }
                    }
                }
                RtcpPacket::Bye(bye) => {
                    for ssrc in bye.sources() {
                        self.remove_by_bye(now, ssrc, bye.reason());
                    }
                }
                // [RFC 3550 §6.7] "APP packets with unrecognized names SHOULD be ignored."
                _ => {}
            }
        }
        if self.members < before {
            self.reverse_reconsideration(now);
        }
    }

    /// Marks an RTCP sender as heard; returns false when it must be ignored.
    fn touch_rtcp(&mut self, now: Instant, ssrc: Ssrc, from: SocketAddr) -> bool {
        if !self.check_source(now, ssrc, from, true) {
            return false;
        }
        let Some(m) = self.member_entry(now, ssrc) else {
            return false;
        };
        if m.bye_at.is_some() {
            return false;
        }
        m.rtcp_addr.get_or_insert(from);
        m.last_heard = now;
        // RTCP passed the strong Appendix A.2 checks: the source is valid.
        self.count_member(ssrc);
        true
    }

    fn reports_about_us(
        &mut self,
        now: Instant,
        reporter: Ssrc,
        blocks: impl Iterator<Item = ReportBlock>,
    ) {
        let a = self.ntp_at(now).middle_32();
        for block in blocks.filter(|b| b.ssrc == self.ssrc) {
            // [RFC 3550 §6.4.1] "If no SR has been received yet, the field is
            // set to zero."
            let rtt = (block.lsr != 0).then(|| {
                // [RFC 3550 §6.4.1] "A - LSR - DLSR"
                let units = a.wrapping_sub(block.lsr).wrapping_sub(block.dlsr);
                // A negative result (clock trouble) wraps to a huge value;
                // report only plausible ones (< 1 hour).
                Duration::from_nanos(u64::from(units) * 1_000_000_000 / 65536)
            });
            let rtt = rtt.filter(|d| *d < Duration::from_secs(3600));
            push_bounded(
                &mut self.events,
                SessionEvent::ReceptionReport {
                    reporter,
                    block,
                    rtt,
                },
            );
        }
    }

    fn remove_by_bye(&mut self, now: Instant, ssrc: Ssrc, reason: Option<&[u8]>) {
        let Some(m) = self.members_table.get_mut(&ssrc) else {
            return;
        };
        if m.bye_at.is_some() {
            return;
        }
        // [RFC 3550 §6.2.1] "the entry SHOULD be marked as having received a
        // BYE and then deleted after an appropriate delay"
        m.bye_at = Some(now);
        // [RFC 3550 §6.3.4] "If present, the entry is removed from the table,
        // and the value for members is updated."
        if m.counted {
            m.counted = false;
            self.members = self.members.saturating_sub(1).max(1);
        }
        if m.sender {
            m.sender = false;
            self.senders = self.senders.saturating_sub(1);
        }
        push_bounded(
            &mut self.events,
            SessionEvent::Bye {
                ssrc,
                reason: reason.map(<[u8]>::to_vec),
            },
        );
    }

    fn reverse_reconsideration(&mut self, now: Instant) {
        // [RFC 3550 §6.3.4] "the following "reverse reconsideration"
        // algorithm SHOULD be executed when a BYE packet is received that
        // reduces members to a value less than pmembers"
        if self.members >= self.pmembers || self.pmembers == 0 {
            return;
        }
        let ratio = self.members as f64 / self.pmembers as f64;
        // [RFC 3550 §6.3.4] "tn = tc + (members/pmembers) * (tn - tc)"
        let ahead = self.tn.saturating_duration_since(now);
        self.tn = now + ahead.mul_f64(ratio);
        // [RFC 3550 §6.3.4] "tp = tc - (members/pmembers) * (tc - tp)."
        let behind = now.saturating_duration_since(self.tp);
        self.tp = now.checked_sub(behind.mul_f64(ratio)).unwrap_or(self.tp);
        self.pmembers = self.members;
    }

    /// Records an RTP packet we sent (for SR counts and we_sent, §6.3.8).
    pub fn on_rtp_sent(&mut self, now: Instant, packet: &RtpPacket<'_>) {
        if self.mode != Mode::Active {
            return;
        }
        self.sent_anything = true;
        self.packet_count = self.packet_count.wrapping_add(1);
        self.octet_count = self.octet_count.wrapping_add(packet.payload().len() as u32);
        self.last_rtp_sent = Some((now, packet.timestamp()));
        // [RFC 3550 §6.3.8] "If the participant sends an RTP packet when
        // we_sent is false, it adds itself to the sender table and sets
        // we_sent to true."
        if !self.we_sent {
            self.we_sent = true;
            self.senders += 1;
            // [RFC 3550 §6.3.8] "The reverse reconsideration algorithm
            // described in Section 6.3.4 SHOULD be performed to possibly
            // reduce the delay before sending an SR packet."
            let before = self.tn;
            let t = self.params(true).randomized(&mut self.rng);
            let candidate = self.tp + t;
            if candidate < before {
                self.tn = candidate.max(now);
            }
        }
    }

    /// Leaves the session (RFC 3550 §6.3.7): schedules a BYE with an
    /// optional reason (at most 255 octets).
    pub fn leave(&mut self, now: Instant, reason: Option<&[u8]>) {
        if self.mode != Mode::Active {
            return;
        }
        // [RFC 3550 §6.3.7] "a participant which never sent an RTP or RTCP
        // packet MUST NOT send a BYE packet when they leave the group"
        if !self.sent_anything {
            self.mode = Mode::Left;
            return;
        }
        self.bye_reason = reason.map(|r| r.get(..255).unwrap_or(r).to_vec());
        if self.members <= 50 {
            // [RFC 3550 §6.3.7] "If the group size estimate members is less
            // than 50 when the participant decides to leave, the participant
            // MAY send a BYE packet immediately."
            self.send_bye(now);
            return;
        }
        // [RFC 3550 §6.3.7] "a participant MUST execute the following
        // algorithm if the number of members is more than 50 when the
        // participant chooses to leave"
        let bye = self.build_compound(now, self.ssrc, Some(b""));
        self.tp = now;
        self.members = 1;
        self.pmembers = 1;
        self.initial = true;
        self.we_sent = false;
        self.senders = 0;
        self.avg_rtcp_size = (bye.len() + self.cfg.lower_layer_overhead) as f64;
        self.mode = Mode::Leaving;
        let t = self.interval();
        self.tn = now + t;
    }

    fn send_bye(&mut self, now: Instant) {
        let reason = self.bye_reason.take();
        let bye = self.build_compound(now, self.ssrc, Some(reason.as_deref().unwrap_or(b"")));
        push_bounded(
            &mut self.transmits,
            Transmit {
                contents: bye,
                bye: true,
            },
        );
        self.mode = Mode::Left;
    }

    /// Drives timers: sends reports, times out members (RFC 3550 §6.3.5,
    /// §6.3.6, Appendix A.7 `OnExpire`).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.mode == Mode::Left || now < self.tn {
            return;
        }
        if self.mode == Mode::Active {
            // [RFC 3550 §6.3.5] "The participant MUST perform this check at
            // least once per RTCP transmission interval."
            // [RFC 3550 §6.3.5] "At occasional intervals, the participant MUST check to see if any
            // of the other participants time out."
            self.expire_members(now);
        }
        // [RFC 3550 §6.3.6] "The transmission interval T is computed as
        // described in Section 6.3.1, including the randomization factor."
        let t = self.interval();
        // [RFC 3550 §6.3.6] "If tp + T is less than or equal to tc, an RTCP
        // packet is transmitted."
        // [RFC 3550 §6.1] "An individual RTP participant SHOULD send only one compound RTCP packet
        // per report interval"
        if self.tp + t <= now {
            if self.mode == Mode::Leaving {
                self.send_bye(now);
                return;
            }
            let report = self.build_compound(now, self.ssrc, None);
            let size = (report.len() + self.cfg.lower_layer_overhead) as f64;
            push_bounded(
                &mut self.transmits,
                Transmit {
                    contents: report,
                    bye: false,
                },
            );
            self.sent_anything = true;
            // [RFC 3550 §6.3.6] "avg_rtcp_size = (1/16) * packet_size +
            // (15/16) * avg_rtcp_size"
            self.avg_rtcp_size = size / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
            self.tp = now;
            // [RFC 3550 §6.3.6] "If an RTCP packet is transmitted, the value
            // of initial is set to FALSE."
            self.initial = false;
            let t2 = self.interval();
            self.tn = now + t2;
        } else {
            // [RFC 3550 §6.3.6] "If tp + T is greater than tc, tn is set to tp
            // + T."
            self.tn = self.tp + t;
        }
        // [RFC 3550 §6.3.6] "pmembers is set to members."
        self.pmembers = self.members;
    }

    fn expire_members(&mut self, now: Instant) {
        // [RFC 3550 §6.3.5] "the participant computes the deterministic
        // (without the randomization factor) calculated interval Td for a
        // receiver, that is, with we_sent false"
        let td = secs(
            IntervalParams {
                // [RFC 3550 §6.2] "the fixed minimum SHOULD be used when calculating the
                // participant timeout interval"
                min_time: self.cfg.min_interval.max(RTCP_MIN_TIME),
                ..self.params(false)
            }
            .deterministic(),
        );
        let member_limit = td * self.cfg.timeout_multiplier;
        let own_td = secs(self.params(self.we_sent).deterministic());
        let sender_limit = own_td * 2;
        let before = self.members;
        let linger = self.cfg.bye_linger;
        let mut timed_out = Vec::new();
        let mut dropped_senders = 0;
        for (ssrc, m) in self.members_table.iter_mut() {
            if let Some(at) = m.bye_at {
                if now.saturating_duration_since(at) >= linger {
                    timed_out.push((*ssrc, false));
                }
                continue;
            }
            // [RFC 3550 §6.3.5] "Any other session member who has not sent an
            // RTP or RTCP packet since time tc - MTd (M is the timeout
            // multiplier, and defaults to 5) is timed out."
            if now.saturating_duration_since(m.last_heard) > member_limit {
                timed_out.push((*ssrc, true));
                continue;
            }
            // [RFC 3550 §6.3.5] "Any member on the sender list who has not
            // sent an RTP packet since time tc - 2T (within the last two RTCP
            // report intervals) is removed from the sender list"
            if m.sender
                && m.last_rtp
                    .is_none_or(|t| now.saturating_duration_since(t) > sender_limit)
            {
                m.sender = false;
                dropped_senders += 1;
            }
        }
        self.senders = self.senders.saturating_sub(dropped_senders);
        for (ssrc, notify) in timed_out {
            if let Some(m) = self.members_table.remove(&ssrc) {
                if m.counted {
                    self.members = self.members.saturating_sub(1).max(1);
                }
                if m.sender {
                    self.senders = self.senders.saturating_sub(1);
                }
                if notify {
                    push_bounded(&mut self.events, SessionEvent::Timeout(ssrc));
                }
            }
        }
        // [RFC 3550 §6.3.8] "if an RTP packet has not been transmitted since
        // time tc - 2T, the participant removes itself from the sender table,
        // decrements the sender count, and sets we_sent to false"
        if self.we_sent
            && self
                .last_rtp_sent
                .is_none_or(|(t, _)| now.saturating_duration_since(t) > sender_limit)
        {
            self.we_sent = false;
            self.senders = self.senders.saturating_sub(1);
        }
        // Conflicting addresses expire after ten report intervals.
        self.conflicts
            .retain(|(_, t)| now.saturating_duration_since(*t) <= td * 10);
        // [RFC 3550 §6.3.5] "If any members time out, the reverse
        // reconsideration algorithm described in Section 6.3.4 SHOULD be
        // performed."
        if self.members < before {
            self.reverse_reconsideration(now);
        }
    }

    /// Builds SR or RR, SDES CNAME and optionally BYE for `ssrc`.
    // Every compound carries reception reports; there is no switch to turn them off:
    // [RFC 3550 §6.2] "Turning off RTCP reception reports is NOT RECOMMENDED"
    // [RFC 3550 §6.6 exception: this crate has no mixer] "If a BYE packet is received by a mixer,
    // the mixer SHOULD forward the BYE packet"
    fn build_compound(&mut self, now: Instant, ssrc: Ssrc, bye: Option<&[u8]>) -> Vec<u8> {
        let ntp_now = self.ntp_at(now);
        let send_sr = self.we_sent && ssrc == self.ssrc;
        // Octets the fixed parts take: first report, SDES CNAME, BYE.
        let first = if send_sr { 28 } else { 8 };
        let sdes = 8 + (2 + self.cfg.cname.len() + 1).div_ceil(4) * 4;
        let bye_len = match bye {
            Some(r) if !r.is_empty() => 8 + (1 + r.len()).div_ceil(4) * 4,
            Some(_) => 8,
            None => 0,
        };
        // [RFC 3550 §6.1] "then only the subset that will fit into one MTU SHOULD be included in
        // each interval"
        // [RFC 3550 §6.4] "then only the subset that will fit into one MTU SHOULD be included in
        // each interval"
        // [RFC 3550 §6.1] "If the overall length of a compound packet would exceed the MTU of the
        // network path, it SHOULD be segmented"
        let budget = MAX_RTCP_SIZE.saturating_sub(first + sdes + bye_len);
        // [RFC 3550 §6.4] "Since a maximum of 31 reception report blocks will
        // fit in an SR or RR packet, additional RR packets SHOULD be stacked
        // after the initial SR or RR packet as needed"
        let fits = |n: usize| {
            let extra_packets = n.saturating_sub(1) / 31;
            n * 24 + extra_packets * 8 <= budget
        };
        // [RFC 3550 §6.4] "The subsets SHOULD be selected round-robin across
        // multiple intervals so that all sources are reported."
        // [RFC 3550 §6.1] "The subsets SHOULD be selected round-robin across multiple intervals so
        // that all sources are reported."
        let cursor = self.report_cursor;
        let order: Vec<Ssrc> = self
            .members_table
            .range(cursor..)
            .chain(self.members_table.range(..cursor))
            .filter(|(_, m)| {
                m.heard_since_report
                    && m.bye_at.is_none()
                    && m.seq.as_ref().is_some_and(SequenceTracker::is_valid)
            })
            .map(|(s, _)| *s)
            .collect();
        let mut blocks = Vec::with_capacity(order.len().min(64));
        for src in order {
            if !fits(blocks.len() + 1) {
                break;
            }
            let Some(m) = self.members_table.get_mut(&src) else {
                continue;
            };
            let Some(seq) = m.seq.as_mut() else {
                continue;
            };
            m.heard_since_report = false;
            let (lsr, dlsr) = match m.last_sr {
                Some((lsr, at)) => {
                    let d = now.saturating_duration_since(at);
                    // [RFC 3550 §6.4.1] "The delay, expressed in units of
                    // 1/65536 seconds, between receiving the last SR packet
                    // from source SSRC_n and sending this reception report
                    // block."
                    let dlsr =
                        (d.as_nanos() * 65536 / 1_000_000_000).min(u128::from(u32::MAX)) as u32;
                    (lsr, dlsr)
                }
                None => (0, 0),
            };
            blocks.push(ReportBlock {
                ssrc: src,
                fraction_lost: seq.take_fraction_lost(),
                cumulative_lost: seq.cumulative_lost(),
                highest_seq: seq.extended_max(),
                jitter: m.jitter.jitter(),
                lsr,
                dlsr,
            });
            // The next report starts after the last source reported now.
            self.report_cursor = Ssrc(src.0.wrapping_add(1));
        }
        let mut buf = vec![0u8; MAX_RTCP_SIZE];
        let mut w = RtcpWriter::new(&mut buf);
        let mut chunks = blocks.chunks(31);
        let head = chunks.next().unwrap_or(&[]);
        // [RFC 3550 §6.1] "each periodically transmitted compound RTCP packet MUST include a report
        // packet"
        // [RFC 3550 §6.4.2] "An empty RR packet (RC = 0) MUST be put at the head of a compound RTCP
        // packet when there is no data transmission or reception to report."
        // [RFC 3550 §6.1] "all RTCP packets MUST be sent in a compound packet of at least two
        // individual packets"
        // An SR carries our sender information while we_sent.
        // [RFC 3550 §6.1] "This is true even if no data has been sent or
        // received, in which case an empty RR MUST be sent"
        let mut written = if send_sr {
            // [RFC 3550 §6.4.1] "it MUST be calculated from the corresponding
            // NTP timestamp using the relationship between the RTP timestamp
            // counter and real time"
            let rtp_timestamp = match self.last_rtp_sent {
                Some((at, ts)) => {
                    let d = now.saturating_duration_since(at);
                    let units = d.as_nanos() * u128::from(self.cfg.clock_rate) / 1_000_000_000;
                    ts.wrapping_add(units as u32)
                }
                None => 0,
            };
            let info = SenderInfo {
                ntp_timestamp: ntp_now,
                rtp_timestamp,
                packet_count: self.packet_count,
                octet_count: self.octet_count,
            };
            w.sender_report(ssrc, &info, head, &[])
        } else {
            w.receiver_report(ssrc, head, &[])
        };
        // [RFC 3550 §6.1] "then additional RR packets SHOULD follow the initial report packet"
        for more in chunks {
            written = written.and(w.receiver_report(ssrc, more, &[]));
        }
        // [RFC 3550 §6.1] "An SDES packet containing a CNAME item MUST be
        // included in each compound RTCP packet"
        // [RFC 3550 §6.1] "so each compound RTCP packet MUST also include the SDES CNAME"
        // [RFC 3550 §6.5.1] "the CNAME item MUST be included to provide the binding from the SSRC
        // identifier to an identifier for the source"
        // Only the CNAME is sent, so no bandwidth goes to other items:
        // [RFC 3550 §6.3.9] "It is RECOMMENDED that no more than 20% of the RTCP bandwidth
        // allocated to a single participant be used to carry the additional information."
        let cname = [SdesItem::Cname(&self.cfg.cname)];
        let sdes = w.sdes(&[(ssrc, &cname[..])]);
        let bye_written = match bye {
            // [RFC 3550 §6.1] "BYE SHOULD be the last packet sent with a given
            // SSRC/CSRC."
            Some(reason) => w.bye(&[ssrc], (!reason.is_empty()).then_some(reason)),
            None => Ok(()),
        };
        let n = w.finish();
        // The block count was chosen to fit the budget above (CNAME and
        // reason are at most 255 octets), so the writes cannot fail.
        debug_assert!(written.is_ok() && sdes.is_ok() && bye_written.is_ok());
        buf.truncate(n);
        buf
    }

    /// The next compound RTCP packet to send, if any.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called;
    /// `None` once the session has been left.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        (self.mode != Mode::Left).then_some(self.tn)
    }
}
