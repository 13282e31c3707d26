//! Telephone events (RFC 4733 §2): the four-octet event report, a sender
//! that produces the packet sequence of one event (updates, end bit with
//! three final packets, long-event segmentation) and a receiver that turns
//! reports back into digit start/end notifications.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::rtp::RtpPacket;

/// Length of one event report.
pub const EVENT_LEN: usize = 4;
/// Largest duration one report (segment) can carry.
pub const MAX_SEGMENT_DURATION: u16 = 0xffff;

/// Why a telephone-event payload was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtmfError {
    /// The payload is empty or not a multiple of four octets.
    #[error(
        "telephone-event payload of {0} octets is not a non-empty multiple of 4 (RFC 4733 §2.3)"
    )]
    Length(usize),
}

/// One named-event report (RFC 4733 §2.3, Figure 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TelephoneEvent {
    /// Event code (0–9, 10 = `*`, 11 = `#`, 12–15 = A–D for DTMF).
    pub event: u8,
    /// The E bit: this report contains the end of the event.
    pub end: bool,
    /// Power level in −dBm0 (0–63).
    pub volume: u8,
    /// Duration so far in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Decodes one report from four octets.
    pub fn from_bytes(b: [u8; 4]) -> Self {
        // The R bit is not decoded:
        // [RFC 4733 §2.3.3] "The sender MUST set it to zero, and the receiver
        // MUST ignore it."
        Self {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        }
    }

    /// Encodes the report (R bit zero, volume masked to six bits).
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }

    /// Parses every report packed in a payload (RFC 4733 §2.5.1.5).
    pub fn parse_all(payload: &[u8]) -> Result<impl Iterator<Item = Self> + '_, DtmfError> {
        if payload.is_empty() || payload.len() % EVENT_LEN != 0 {
            return Err(DtmfError::Length(payload.len()));
        }
        Ok(payload
            .chunks_exact(EVENT_LEN)
            .map(|c| Self::from_bytes([c[0], c[1], c[2], c[3]])))
    }
}

/// The event code of a DTMF character (RFC 4733 §3.2, Table 3).
pub fn dtmf_event(c: char) -> Option<u8> {
    Some(match c {
        '0'..='9' => c as u8 - b'0',
        '*' => 10,
        '#' => 11,
        'A'..='D' => c as u8 - b'A' + 12,
        'a'..='d' => c as u8 - b'a' + 12,
        _ => return None,
    })
}

/// The DTMF character of an event code 0–15.
pub fn dtmf_char(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + event - 12),
        _ => return None,
    })
}

/// One RTP packet of an event: what to put in the header and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// When to send it, in timestamp units after the event began.
    pub send_at: u32,
    /// The M bit.
    pub marker: bool,
    /// The RTP timestamp (start of the segment).
    pub timestamp: u32,
    /// The report.
    pub report: TelephoneEvent,
}

impl EventPacket {
    /// Writes this packet as a complete RTP packet (12-octet header and the
    /// four-octet report) into `out` and returns its length. The
    /// `sequence_number` is the caller's: one more for every packet sent,
    /// retransmissions included (RFC 4733 §2.5.1.6).
    // [RFC 4733 §2.5.1.6 exception: the caller owns the sequence numbers] "The RTP sequence number
    // MUST be incremented by one in each successive RTP packet sent."
    // [RFC 4733 §2.5.1.5 exception: the sender never packs events] "The M bit MUST be set if the
    // packet records the beginning of at least one event."
    pub fn write_to(
        &self,
        payload_type: u8,
        sequence_number: u16,
        ssrc: crate::Ssrc,
        out: &mut [u8],
    ) -> Result<usize, crate::rtp::RtpWriteError> {
        let payload = self.report.to_bytes();
        crate::rtp::RtpPacketBuilder {
            marker: self.marker,
            payload_type,
            sequence_number,
            timestamp: self.timestamp,
            ssrc,
            payload: &payload,
            ..Default::default()
        }
        .write_to(out)
    }
}

/// Generates the packets of one event of known total duration, sent every
/// `period` timestamp units (RFC 4733 §2.5.1). Sequence numbers are the
/// caller's: one per packet, in order.
///
/// The final report of the event and of each segment is sent three times
/// (§2.5.1.4). When the event ends exactly on an update the sender had
/// already sent that update without the E bit (it could not know yet) and
/// sets E on the two retransmissions, as in the RFC's §5 example.
#[derive(Debug, Clone)]
pub struct EventSender {
    event: u8,
    volume: u8,
    period: u32,
    total: u32,
    /// Start timestamp of the current segment.
    seg_start: u32,
    /// Elapsed units of the event covered by previous segments.
    seg_offset: u32,
    /// Elapsed time of the next tick since the event began.
    tick: u32,
    first: bool,
    /// Remaining sends of the current final report.
    finals: u8,
    final_report: Option<(u32, TelephoneEvent)>,
    done: bool,
}

impl EventSender {
    /// Packets for `event` at `volume` (−dBm0), starting at RTP timestamp
    /// `start`, lasting `duration` units, one update every `period` units
    /// (`period` and `duration` at least 1).
    // [RFC 4733 §2.5.1.1 exception: the caller picks events from the negotiated set] "it MUST
    // restrict the set of events it sends to those listed in the received"
    pub fn new(event: u8, volume: u8, start: u32, duration: u32, period: u32) -> Self {
        Self {
            event,
            volume: volume.min(63),
            period: period.max(1),
            // [RFC 4733 §2.3.5] "A sender MUST NOT transmit a zero duration for events other than
            // those defined as states."
            total: duration.max(1),
            seg_start: start,
            seg_offset: 0,
            tick: period.max(1),
            first: true,
            finals: 0,
            final_report: None,
            done: false,
        }
    }
}

impl Iterator for EventSender {
    type Item = EventPacket;

    fn next(&mut self) -> Option<EventPacket> {
        if self.done {
            return None;
        }
        // [RFC 4733 §2.5.1.2] "An audio source SHOULD start transmitting event packets as soon as
        // it recognizes an event and continue to send updates until the event has ended."
        let send_at = self.tick;
        // [RFC 4733 §2.5.1.2] "the sender SHOULD minimize the need for buffering at the receiving
        // end by sending event reports at constant intervals"
        self.tick = self.tick.saturating_add(self.period);
        if let Some((ts, report)) = self.final_report {
            self.finals -= 1;
            if self.finals == 0 {
                self.final_report = None;
                if report.end {
                    self.done = true;
                }
            }
            // [RFC 4733 §2.5.1.4] "Once the sender has set the E bit for a
            // packet, it MUST continue to set the E bit for any further
            // retransmissions of that packet."
            return Some(EventPacket {
                send_at,
                marker: false,
                timestamp: ts,
                report,
            });
        }
        let elapsed = send_at.min(self.total);
        let in_segment = elapsed - self.seg_offset;
        let marker = core::mem::take(&mut self.first);
        let report = |duration: u16, end: bool| TelephoneEvent {
            event: self.event,
            end,
            volume: self.volume,
            duration,
        };
        // [RFC 4733 §2.5.1.3] "The sender MUST repeat this procedure as required until the end of
        // the complete event has been reached."
        if in_segment >= u32::from(MAX_SEGMENT_DURATION) && elapsed < self.total
            || in_segment > u32::from(MAX_SEGMENT_DURATION)
        {
            // [RFC 4733 §2.5.1.3] "the sender MUST send a packet reporting
            // this maximum duration but MUST NOT set the E bit in this packet"
            let r = report(MAX_SEGMENT_DURATION, false);
            let ts = self.seg_start;
            // [RFC 4733 §2.5.1.4] "The final packet for each event and for
            // each segment SHOULD be sent a total of three times"
            self.final_report = Some((ts, r));
            self.finals = 2;
            // [RFC 4733 §2.5.1.3] "with the RTP timestamp set to the time at
            // which the previous segment ended"
            self.seg_start = self.seg_start.wrapping_add(u32::from(MAX_SEGMENT_DURATION));
            self.seg_offset += u32::from(MAX_SEGMENT_DURATION);
            // The next tick after the retransmissions reports the new
            // segment; its first packet has M clear (set above only once).
            return Some(EventPacket {
                send_at,
                marker,
                timestamp: ts,
                report: r,
            });
        }
        // [RFC 4733 §2.5.2.2] "it MUST be set to the current duration as described"
        let duration = in_segment as u16;
        if send_at >= self.total {
            // Ended on this tick (E delayed) or before it (E now).
            // [RFC 4733 §2.5.1.2] "The final packet for an event MUST have the E bit set"
            // [RFC 4733 §2.5.1.4] "A sender MAY delay setting the E bit until retransmitting the
            // last packet for a tone"
            let end_now = send_at > self.total;
            // [RFC 4733 §2.5.1.3] "The final packet for the complete event MUST have the E bit set
            // (either on initial transmission or on retransmission as described below)."
            self.final_report = Some((self.seg_start, report(duration, true)));
            self.finals = 2;
            return Some(EventPacket {
                send_at,
                marker,
                timestamp: self.seg_start,
                report: report(duration, end_now),
            });
        }
        Some(EventPacket {
            send_at,
            marker,
            timestamp: self.seg_start,
            report: report(duration, false),
        })
    }
}

/// What an [`EventReceiver`] noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventNotice {
    /// A new event began at `timestamp`.
    Started {
        /// The event code.
        event: u8,
        /// Its RTP timestamp.
        timestamp: u32,
    },
    /// The event ended; `duration` covers all its segments.
    Ended {
        /// The event code.
        event: u8,
        /// RTP timestamp of its first segment.
        timestamp: u32,
        /// Total duration in timestamp units.
        duration: u32,
    },
    /// No report of the event arrived for three update intervals and no
    /// end report was seen: the receiver stopped it (RFC 4733 §2.5.2.2).
    /// Only [`TelephoneEventReceiver`] reports this.
    Lapsed {
        /// The event code.
        event: u8,
        /// RTP timestamp of its first segment.
        timestamp: u32,
        /// Duration reported so far, in timestamp units.
        duration: u32,
    },
}

/// Turns received event reports into start/end notices, ignoring the
/// redundant final reports and joining long-event segments.
#[derive(Debug, Clone, Default)]
pub struct EventReceiver {
    /// (event, first timestamp, current segment timestamp, segments before,
    /// last duration, ended)
    current: Option<(u8, u32, u32, u32, u16, bool)>,
}

impl EventReceiver {
    /// A receiver with no event in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// True while an event has started and no end report was seen.
    pub fn is_playing(&self) -> bool {
        matches!(self.current, Some((.., false)))
    }

    /// Stops the event in progress as if its end report had arrived (for a
    /// receiver that gives up waiting) and returns it as
    /// [`EventNotice::Lapsed`]. Later reports for it are ignored.
    pub fn end_current(&mut self) -> Option<EventNotice> {
        match &mut self.current {
            Some((ev, first, _, before, dur, ended)) if !*ended => {
                *ended = true;
                Some(EventNotice::Lapsed {
                    event: *ev,
                    timestamp: *first,
                    duration: *before + u32::from(*dur),
                })
            }
            _ => None,
        }
    }

    /// Feeds one report carried in a packet with RTP timestamp `timestamp`.
    /// Returns, in order: the end of a previous event whose end reports were
    /// all lost, the start of a new event, and the end of this event.
    pub fn handle(&mut self, timestamp: u32, report: TelephoneEvent) -> [Option<EventNotice>; 3] {
        let mut out = [None, None, None];
        // [RFC 4733 §2.3.5] "The receiver SHOULD ignore an event report with
        // zero duration if the event is not a state."
        if report.duration == 0 {
            return out;
        }
        let fresh = (
            report.event,
            timestamp,
            timestamp,
            0,
            report.duration,
            false,
        );
        match &mut self.current {
            Some((ev, _, seg_ts, _, dur, ended)) if *ev == report.event && *seg_ts == timestamp => {
                // [RFC 4733 §2.5.2.2] "A receiver SHOULD NOT restart a tone once playout has
                // stopped."
                if *ended {
                    return out; // a retransmitted final report
                }
                *dur = (*dur).max(report.duration);
            }
            Some((ev, _, seg_ts, before, dur, ended))
                if *ev == report.event
                    && !*ended
                    && *dur == MAX_SEGMENT_DURATION
                    && timestamp == seg_ts.wrapping_add(u32::from(MAX_SEGMENT_DURATION)) =>
            {
                // [RFC 4733 §2.5.2.3] "the receiver MUST compare the RTP timestamp for the new
                // event with the sum of the RTP timestamp of the previous report plus the duration
                // (0xFFFF)"
                // The next segment of a long event.
                *before += u32::from(MAX_SEGMENT_DURATION);
                *seg_ts = timestamp;
                *dur = report.duration;
            }
            // [RFC 4733 §2.5.2.2] "The receiver MAY determine on the basis of retained history and
            // the timestamp and event code of the current packet that it corresponds to an event
            // already played out and lapsed."
            Some((_, _, seg_ts, _, _, _)) if (timestamp.wrapping_sub(*seg_ts) as i32) <= 0 => {
                // A report older than the event being played (reordered or
                // late): that event was already played out. (At the same
                // timestamp but another code it contradicts the report
                // already taken, which is kept.)
                // [RFC 4733 §2.5.2.2] "In that case, further reports for the
                // event MUST be ignored"
                return out;
            }
            Some((ev, first, _, before, dur, ended)) => {
                if !*ended {
                    // A new event while the previous one had no end report:
                    // its end packets were lost; it ended at what we saw.
                    out[0] = Some(EventNotice::Ended {
                        event: *ev,
                        timestamp: *first,
                        duration: *before + u32::from(*dur),
                    });
                }
                self.current = Some(fresh);
                out[1] = Some(EventNotice::Started {
                    event: report.event,
                    timestamp,
                });
            }
            None => {
                self.current = Some(fresh);
                out[1] = Some(EventNotice::Started {
                    event: report.event,
                    timestamp,
                });
            }
        }
        if report.end {
            if let Some((ev, first, _, before, dur, ended)) = &mut self.current {
                if !*ended {
                    *ended = true;
                    // [RFC 4733 §2.5.2.2] "instead MUST use the event timestamps and durations to
                    // determine timing and duration of playout"
                    out[2] = Some(EventNotice::Ended {
                        event: *ev,
                        timestamp: *first,
                        duration: *before + u32::from(*dur),
                    });
                }
            }
        }
        out
    }
}

/// Default spacing of event updates assumed before two updates have been
/// seen: the 50 ms RFC 4733 §2.5.1.2 recommends.
// [RFC 4733 §2.5.1.2] "Alternatively, a source MAY decide to use a different spacing for event
// updates, with a value of 50 ms RECOMMENDED."
pub const DEFAULT_UPDATE_INTERVAL: Duration = Duration::from_millis(50);
/// Longest update spacing the receiver measures; a longer gap is clamped, so
/// an event lapses at most three times this after its last report.
pub const MAX_UPDATE_INTERVAL: Duration = Duration::from_secs(1);
/// Most notices queued before the oldest are dropped.
pub const MAX_QUEUED_NOTICES: usize = 64;

/// A sans-IO receiver of telephone-event RTP packets: it reports each event
/// once (start, then end) despite the redundant final reports, reordering
/// and long-event segments, splits packed events (§2.5.2.4), and stops an
/// event whose end reports were all lost after three update intervals
/// (§2.5.2.2) — driven by [`handle_timeout`](Self::handle_timeout).
///
/// Feed it only the packets of the negotiated telephone-event payload type.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtclite_rtp::payload::dtmf::{EventNotice, EventSender, TelephoneEventReceiver};
/// use rtclite_rtp::{RtpPacket, Ssrc};
///
/// let t0 = Instant::now();
/// let mut rx = TelephoneEventReceiver::new();
/// let mut buf = [0u8; 16];
/// // "5" for 100 ms (800 units at 8 kHz), one update every 50 ms (400 units).
/// for (seq, p) in EventSender::new(5, 10, 1000, 800, 400).enumerate() {
///     let n = p.write_to(101, seq as u16, Ssrc(7), &mut buf)?;
///     let now = t0 + Duration::from_millis(u64::from(p.send_at) / 8);
///     rx.handle_input(now, &RtpPacket::parse(&buf[..n]).unwrap()).unwrap();
/// }
/// assert_eq!(rx.poll_event(), Some(EventNotice::Started { event: 5, timestamp: 1000 }));
/// assert_eq!(
///     rx.poll_event(),
///     Some(EventNotice::Ended { event: 5, timestamp: 1000, duration: 800 })
/// );
/// assert_eq!(rx.poll_event(), None); // the retransmitted end reports are absorbed
/// assert_eq!(rx.poll_timeout(), None);
/// # Ok::<(), rtclite_rtp::rtp::RtpWriteError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TelephoneEventReceiver {
    inner: EventReceiver,
    notices: VecDeque<EventNotice>,
    last_update: Option<Instant>,
    interval: Option<Duration>,
}

impl TelephoneEventReceiver {
    /// A receiver with no event in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one telephone-event RTP packet received at `now`.
    pub fn handle_input(&mut self, now: Instant, packet: &RtpPacket<'_>) -> Result<(), DtmfError> {
        self.handle_payload(now, packet.timestamp(), packet.payload())
    }

    /// Feeds the payload of one telephone-event packet whose RTP timestamp
    /// is `timestamp` (for callers that have already taken the packet
    /// apart, or that extract events from an RFC 2198 block).
    pub fn handle_payload(
        &mut self,
        now: Instant,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<(), DtmfError> {
        let was_playing = self.inner.is_playing();
        let mut start = timestamp;
        for report in TelephoneEvent::parse_all(payload)? {
            for notice in self.inner.handle(start, report).into_iter().flatten() {
                if self.notices.len() == MAX_QUEUED_NOTICES {
                    self.notices.pop_front();
                }
                self.notices.push_back(notice);
            }
            // [RFC 4733 §2.5.2.4] "it is equal to the sum of the start time
            // of the preceding event plus the duration of the preceding
            // event"
            start = start.wrapping_add(u32::from(report.duration));
        }
        if self.inner.is_playing() {
            if was_playing {
                if let Some(last) = self.last_update {
                    let gap = now.saturating_duration_since(last);
                    if !gap.is_zero() {
                        self.interval = Some(gap.min(MAX_UPDATE_INTERVAL));
                    }
                }
            }
            self.last_update = Some(now);
        } else {
            self.last_update = None;
        }
        Ok(())
    }

    /// Stops an event whose updates stopped arriving (all its end reports
    /// lost) once its deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            if let Some(notice) = self.inner.end_current() {
                if self.notices.len() == MAX_QUEUED_NOTICES {
                    self.notices.pop_front();
                }
                self.notices.push_back(notice);
            }
            self.last_update = None;
        }
    }

    /// The next start or end notice.
    pub fn poll_event(&mut self) -> Option<EventNotice> {
        self.notices.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout): three update
    /// intervals after the last report of an event still playing.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let last = self.last_update?;
        // [RFC 4733 §2.5.2.2] "Regardless of the algorithm used, the tone
        // SHOULD NOT be extended by more than three packet interarrival
        // times."
        last.checked_add(3 * self.interval.unwrap_or(DEFAULT_UPDATE_INTERVAL))
    }
}
