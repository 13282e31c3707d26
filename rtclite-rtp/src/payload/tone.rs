//! Telephony tones (RFC 4733 §4): the `audio/tone` payload that describes
//! a tone by its waveform — modulation frequency (with the T flag for
//! thirds of a hertz), volume, duration and any number of frequencies — a
//! sender that produces the packet sequence of §4.4.1 and the continuation
//! test of §4.4.2.
//!
//! ```
//! use rtclite_rtp::payload::tone::{ToneBuilder, ToneReport};
//!
//! // The US dial tone (RFC 4733 §4.2, Table 4): 350 Hz + 440 Hz.
//! let mut buf = [0u8; 16];
//! let n = ToneBuilder { volume: 10, duration: 400, frequencies: &[350, 440], ..Default::default() }
//!     .write_to(&mut buf)?;
//! assert_eq!(n, 8);
//! let tone = ToneReport::parse(&buf[..n])?;
//! assert_eq!(tone.frequencies().collect::<Vec<_>>(), [350, 440]);
//! assert_eq!(tone.duration(), 400);
//! # Ok::<(), rtclite_rtp::payload::tone::ToneError>(())
//! ```

/// Length of the fixed part (modulation, T, volume, duration).
pub const TONE_HEADER_LEN: usize = 4;
/// Largest modulation frequency the 9-bit field holds, in Hz.
pub const MAX_MODULATION: u16 = 0x1ff;
/// Largest frequency the 12-bit field holds, in Hz.
pub const MAX_FREQUENCY: u16 = 0x0fff;
/// Largest volume (−63 dBm0).
pub const MAX_VOLUME: u8 = 63;

/// Why a tone payload was rejected or could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToneError {
    /// The payload is shorter than the four fixed octets, or the
    /// frequency list does not consist of whole 16-bit words.
    #[error("tone payload of {0} octets is not 4 octets plus 2 per frequency (RFC 4733 §4.3.3)")]
    Length(usize),
    /// A field value does not fit its bit width.
    #[error("tone {field} {value} does not fit the field (RFC 4733 §4.3.3)")]
    FieldRange {
        /// `"modulation"`, `"volume"` or `"frequency"`.
        field: &'static str,
        /// The rejected value.
        value: u16,
    },
    /// A zero duration was asked for.
    #[error("tone duration 0 is not permitted (RFC 4733 §4.3.3)")]
    ZeroDuration,
    /// The output buffer is too small.
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
}

/// A received tone report (RFC 4733 §4.3.3, Figure 2), borrowing the
/// frequency list from the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToneReport<'a> {
    modulation: u16,
    divide_by_three: bool,
    volume: u8,
    duration: u16,
    frequencies: &'a [u8],
}

impl<'a> ToneReport<'a> {
    /// Parses a tone payload: four fixed octets followed by one 16-bit word
    /// per frequency.
    ///
    /// A report with zero duration parses (so that it can be inspected);
    /// [`ToneReport::is_playable`] tells whether a receiver should use it.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ToneError> {
        let (head, frequencies) = payload
            .split_first_chunk::<TONE_HEADER_LEN>()
            .ok_or(ToneError::Length(payload.len()))?;
        if frequencies.len() % 2 != 0 {
            return Err(ToneError::Length(payload.len()));
        }
        let [m0, m1, d0, d1] = *head;
        Ok(Self {
            // [RFC 4733 §4.3.3] "The field is a 9-bit unsigned integer,
            // allowing modulation frequencies up to 511 Hz."
            modulation: (u16::from(m0) << 1) | u16::from(m1 >> 7),
            divide_by_three: m1 & 0x40 != 0,
            volume: m1 & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
            frequencies,
        })
    }

    /// The modulation frequency field in Hz (0: no modulation).
    pub fn modulation(&self) -> u16 {
        self.modulation
    }

    /// The T bit: the modulation frequency is to be divided by three.
    pub fn divide_by_three(&self) -> bool {
        self.divide_by_three
    }

    /// The modulation frequency in millihertz, T bit applied (16 2/3 Hz is
    /// 16 667 mHz, rounded to nearest).
    pub fn modulation_millihertz(&self) -> u32 {
        let mhz = u32::from(self.modulation) * 1000;
        // [RFC 4733 §4.3.3] "If the T bit is set (one), the modulation
        // frequency is to be divided by three."
        if self.divide_by_three {
            (mhz + 1) / 3
        } else {
            mhz
        }
    }

    /// Power level in −dBm0 (0–63).
    pub fn volume(&self) -> u8 {
        self.volume
    }

    /// Duration in timestamp units, starting at the packet's RTP timestamp.
    pub fn duration(&self) -> u16 {
        self.duration
    }

    /// Number of frequencies listed.
    pub fn frequency_count(&self) -> usize {
        self.frequencies.len() / 2
    }

    /// The frequencies to be added, in Hz (0 means silence).
    pub fn frequencies(&self) -> impl ExactSizeIterator<Item = u16> + 'a {
        // The four R bits before each frequency are masked off:
        // [RFC 4733 §4.3.3] "The sender MUST set it to zero, and the receiver
        // MUST ignore it."
        self.frequencies
            .chunks_exact(2)
            .map(|w| u16::from_be_bytes([w[0] & 0x0f, w[1]]))
    }

    /// True when the report lists no frequency, or only zeros: a period of
    /// silence.
    pub fn is_silence(&self) -> bool {
        // [RFC 4733 §4.3.3] "If no frequencies are specified, the packet
        // reports a period of silence."
        self.frequencies().all(|f| f == 0)
    }

    /// False for a zero-duration report, which a receiver should ignore.
    pub fn is_playable(&self) -> bool {
        // [RFC 4733 §4.3.3] "The value of zero is not permitted, and tones
        // with such a duration SHOULD be ignored."
        self.duration != 0
    }

    /// True when both reports describe the same waveform (modulation, T,
    /// volume and frequencies); durations may differ.
    pub fn same_tone(&self, other: &ToneReport<'_>) -> bool {
        self.modulation == other.modulation
            && self.divide_by_three == other.divide_by_three
            && self.volume == other.volume
            && self.frequencies().eq(other.frequencies())
    }

    /// The fields of this report as a builder (to re-encode it).
    pub fn to_builder<'f>(&self, frequencies: &'f [u16]) -> ToneBuilder<'f> {
        ToneBuilder {
            modulation: self.modulation,
            divide_by_three: self.divide_by_three,
            volume: self.volume,
            duration: self.duration,
            frequencies,
        }
    }
}

/// Whether a tone report continues the one before it without a break
/// (RFC 4733 §4.4.2): the M bit is clear, the RTP timestamp is the previous
/// timestamp plus the previous duration, and the payload is identical.
pub fn is_continuation(
    previous_timestamp: u32,
    previous: &ToneReport<'_>,
    marker: bool,
    timestamp: u32,
    report: &ToneReport<'_>,
) -> bool {
    // [RFC 4733 §4.4.2] "When playing out successive tone reports for the
    // same tone (marker bit is zero, the RTP timestamp is contiguous with
    // that of the previous RTP packet, and payload content is identical),
    // the receiving implementation SHOULD continue the tone without change
    // or a break."
    !marker
        && timestamp == previous_timestamp.wrapping_add(u32::from(previous.duration))
        && previous.same_tone(report)
        && previous.duration == report.duration
}

/// The fields of a tone report to write (RFC 4733 §4.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ToneBuilder<'f> {
    /// Modulation frequency in Hz, 0–511 (0: none).
    pub modulation: u16,
    /// The T bit: `modulation` is three times the real frequency.
    pub divide_by_three: bool,
    /// Power level in −dBm0, 0–63.
    pub volume: u8,
    /// Duration in timestamp units; must not be zero.
    pub duration: u16,
    /// Frequencies in Hz, each 0–4095 (empty: silence).
    pub frequencies: &'f [u16],
}

impl ToneBuilder<'_> {
    /// Bytes [`write_to`](Self::write_to) writes.
    pub fn encoded_len(&self) -> usize {
        TONE_HEADER_LEN + 2 * self.frequencies.len()
    }

    /// Writes the payload at the start of `out` and returns its length.
    pub fn write_to(&self, out: &mut [u8]) -> Result<usize, ToneError> {
        if self.modulation > MAX_MODULATION {
            return Err(ToneError::FieldRange {
                field: "modulation",
                value: self.modulation,
            });
        }
        if self.volume > MAX_VOLUME {
            return Err(ToneError::FieldRange {
                field: "volume",
                value: u16::from(self.volume),
            });
        }
        // [RFC 4733 §4.3.3] "The value of zero is not permitted"
        if self.duration == 0 {
            return Err(ToneError::ZeroDuration);
        }
        if let Some(&f) = self.frequencies.iter().find(|&&f| f > MAX_FREQUENCY) {
            return Err(ToneError::FieldRange {
                field: "frequency",
                value: f,
            });
        }
        let needed = self.encoded_len();
        let out = out
            .get_mut(..needed)
            .ok_or(ToneError::BufferTooSmall { needed })?;
        let (head, rest) = out.split_at_mut(TONE_HEADER_LEN);
        head[0] = (self.modulation >> 1) as u8;
        head[1] = (((self.modulation & 1) as u8) << 7)
            | (u8::from(self.divide_by_three) << 6)
            | self.volume;
        head[2..4].copy_from_slice(&self.duration.to_be_bytes());
        // Every frequency is at most 0x0fff, so the R bits are zero:
        // [RFC 4733 §4.3.3] "The sender MUST set it to zero"
        for (w, f) in rest.chunks_exact_mut(2).zip(self.frequencies) {
            w.copy_from_slice(&f.to_be_bytes());
        }
        Ok(needed)
    }
}

/// One RTP packet of a tone: header fields and the report's duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TonePacket {
    /// When to send it, in timestamp units after the tone began.
    pub send_at: u32,
    /// The M bit.
    pub marker: bool,
    /// The RTP timestamp: the start of the interval this packet reports.
    pub timestamp: u32,
    /// The duration field.
    pub duration: u16,
}

/// Generates the packets of one tone of known total duration, one every
/// `period` timestamp units (RFC 4733 §4.4.1). Each packet reports the
/// interval since the previous one, so the timestamp advances and the last
/// packet reports the remainder. Sequence numbers are the caller's; write
/// each packet's payload with a [`ToneBuilder`] whose `duration` is the
/// packet's.
///
/// ```
/// use rtclite_rtp::payload::tone::ToneSender;
/// // RFC 4733 §5 Table 6: the second "1" starts at 11200, lasts 1760 units,
/// // 50 ms (400 units) packets.
/// let pkts: Vec<_> = ToneSender::new(11200, 1760, 400).collect();
/// assert_eq!(pkts.len(), 5);
/// assert!(pkts[0].marker && !pkts[1].marker);
/// assert_eq!((pkts[4].timestamp, pkts[4].duration), (12800, 160));
/// ```
#[derive(Debug, Clone)]
pub struct ToneSender {
    start: u32,
    total: u32,
    period: u32,
    /// Units of the tone reported so far.
    reported: u32,
}

impl ToneSender {
    /// Packets for a tone starting at RTP timestamp `start`, lasting
    /// `duration` units, one report every `period` units (both at least 1;
    /// a period above 0xffff is clamped so each report fits the field).
    pub fn new(start: u32, duration: u32, period: u32) -> Self {
        Self {
            start,
            total: duration.max(1),
            period: period.clamp(1, 0xffff),
            reported: 0,
        }
    }
}

impl Iterator for ToneSender {
    type Item = TonePacket;

    fn next(&mut self) -> Option<TonePacket> {
        if self.reported >= self.total {
            return None;
        }
        let duration = self.period.min(self.total - self.reported);
        let packet = TonePacket {
            // The final packet goes out on the next tick, as in Table 6 of §5:
            // [RFC 4733 §4.4.1 exception: duration known in advance] "A final
            // RTP packet MAY be generated as soon as the end of the tone is
            // detected"
            send_at: self.reported.saturating_add(self.period),
            // [RFC 4733 §4.4.1] "The first RTP packet for a tone SHOULD have
            // the marker bit set to 1."
            marker: self.reported == 0,
            // [RFC 4733 §4.4.1] "the RTP timestamp in each subsequent packet
            // MUST equal the sum of the timestamp and the duration in the
            // preceding packet"
            timestamp: self.start.wrapping_add(self.reported),
            duration: duration as u16,
        };
        self.reported += duration;
        Some(packet)
    }
}
