//! Telephone events (RFC 4733 §2): the four-octet event report, a sender
//! that produces the packet sequence of one event (updates, end bit with
//! three final packets, long-event segmentation) and a receiver that turns
//! reports back into digit start/end notifications.

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
    pub fn new(event: u8, volume: u8, start: u32, duration: u32, period: u32) -> Self {
        Self {
            event,
            volume: volume.min(63),
            period: period.max(1),
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
        let send_at = self.tick;
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
        let duration = in_segment as u16;
        if send_at >= self.total {
            // Ended on this tick (E delayed) or before it (E now).
            let end_now = send_at > self.total;
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
                // The next segment of a long event.
                *before += u32::from(MAX_SEGMENT_DURATION);
                *seg_ts = timestamp;
                *dur = report.duration;
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
