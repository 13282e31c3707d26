//! RFC 6716 §3: the Opus packet framing, parsed and written in pure Rust.
//!
//! [`Packet::parse`] borrows the frames from the input (no allocation, no
//! copy) and enforces every well-formedness rule \[R1\]–\[R7\] of RFC 6716 §3.4,
//! so malformed bytes are rejected before they reach libopus. [`write_packet`]
//! and [`pad_packet`] build packets (codes 0–3, Opus padding) into a caller
//! buffer.
//!
//! Limits: a packet holds at most [`MAX_FRAMES`] frames and
//! [`MAX_DURATION_48K`] samples (120 ms); an implicit frame length is at most
//! [`MAX_FRAME_LEN`] bytes. The parser's work is linear in the packet length.

use std::fmt;

/// The longest frame, in bytes (RFC 6716 §3.2.1: 255*4+255).
pub const MAX_FRAME_LEN: usize = 1275;
/// The most frames one packet can hold (120 ms of 2.5 ms frames).
pub const MAX_FRAMES: usize = 48;
/// The longest packet duration, in samples at 48 kHz (120 ms).
pub const MAX_DURATION_48K: u32 = 5760;

/// The rule of RFC 6716 §3.4 that a malformed packet breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// \[R1\] Packets are at least one byte.
    R1,
    /// \[R2\] No implicit frame length is larger than 1275 bytes.
    R2,
    /// \[R3\] Code 1 packets have an odd total length.
    R3,
    /// \[R4\] Code 2 packets have a valid first frame length that fits.
    R4,
    /// \[R5\] Code 3 packets hold at least one frame and at most 120 ms.
    R5,
    /// \[R6\] CBR code 3 packets: size, padding and frame count agree.
    R6,
    /// \[R7\] VBR code 3 packets hold all their header bytes, lengths and padding.
    R7,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = match self {
            Rule::R1 => 1,
            Rule::R2 => 2,
            Rule::R3 => 3,
            Rule::R4 => 4,
            Rule::R5 => 5,
            Rule::R6 => 6,
            Rule::R7 => 7,
        };
        write!(f, "R{n}")
    }
}

/// Why bytes are not a well-formed Opus packet (RFC 6716 §3.4).
///
/// Every variant names the rule it breaks ([`PacketError::rule`]) and, where
/// it helps, the byte offset at which parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// The packet has no TOC byte.
    #[error("[R1] empty packet: an Opus packet is at least one byte (RFC 6716 §3.1)")]
    Empty,
    /// A frame whose length is implied by the packet size is too long.
    #[error(
        "[R2] frame {index} is {len} bytes, longer than the 1275 bytes allowed (RFC 6716 §3.2.1)"
    )]
    FrameTooLong {
        /// Zero-based index of the frame.
        index: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// A code 1 packet whose payload cannot be split into two equal frames.
    #[error(
        "[R3] code 1 packet of {len} bytes: the {payload} payload bytes are not even (RFC 6716 §3.2.3)"
    )]
    Code1OddPayload {
        /// Total packet length N.
        len: usize,
        /// N-1.
        payload: usize,
    },
    /// A code 2 packet ends before the length of its first frame.
    #[error("[R4] code 2 packet: no complete frame length at offset {offset} (RFC 6716 §3.2.4)")]
    Code2MissingLength {
        /// Offset where the length was expected.
        offset: usize,
    },
    /// A code 2 packet whose first frame is longer than what remains.
    #[error(
        "[R4] code 2 packet: first frame length {frame_len} at offset {offset} exceeds the {remaining} bytes that remain (RFC 6716 §3.2.4)"
    )]
    Code2FrameOverrun {
        /// Offset of the length bytes.
        offset: usize,
        /// The signalled length N1.
        frame_len: usize,
        /// Bytes left after the length bytes.
        remaining: usize,
    },
    /// A code 3 packet without its frame count byte.
    #[error("[R6]/[R7] code 3 packet of 1 byte: the frame count byte is missing (RFC 6716 §3.2.5)")]
    Code3MissingCount,
    /// A code 3 packet signalling zero frames.
    #[error("[R5] code 3 packet signals M=0 frames (RFC 6716 §3.2.5)")]
    Code3NoFrames,
    /// A code 3 packet longer than 120 ms.
    #[error(
        "[R5] code 3 packet of {frames} frames lasts {duration_48k} samples at 48 kHz, more than 120 ms (RFC 6716 §3.2.5)"
    )]
    Code3TooLong {
        /// The signalled frame count M.
        frames: usize,
        /// Total duration in samples at 48 kHz.
        duration_48k: u32,
    },
    /// The packet ends inside the padding length bytes.
    #[error(
        "[{rule}] code 3 packet ends inside the padding length at offset {offset} (RFC 6716 §3.2.5)"
    )]
    PaddingTruncated {
        /// R6 for CBR, R7 for VBR.
        rule: Rule,
        /// Offset where a padding length byte was expected.
        offset: usize,
    },
    /// The signalled padding does not fit in the packet.
    #[error(
        "[{rule}] code 3 packet: {padding} padding bytes after a {header}-byte header do not fit in {len} bytes (RFC 6716 §3.2.5)"
    )]
    PaddingOverrun {
        /// R6 for CBR, R7 for VBR.
        rule: Rule,
        /// Signalled trailing padding bytes.
        padding: usize,
        /// TOC, count and padding length bytes.
        header: usize,
        /// Total packet length N.
        len: usize,
    },
    /// CBR code 3: the frame data does not split into M equal frames.
    #[error(
        "[R6] CBR code 3 packet: {remaining} data bytes are not a multiple of {frames} frames (RFC 6716 §3.2.5)"
    )]
    CbrNotMultiple {
        /// R = N-2-P.
        remaining: usize,
        /// M.
        frames: usize,
    },
    /// VBR code 3: the packet ends inside a frame length.
    #[error(
        "[R7] VBR code 3 packet: no complete length of frame {index} at offset {offset} (RFC 6716 §3.2.5)"
    )]
    VbrMissingLength {
        /// Zero-based frame index.
        index: usize,
        /// Offset where the length was expected.
        offset: usize,
    },
    /// VBR code 3: the signalled frame lengths exceed the data.
    #[error(
        "[R7] VBR code 3 packet: the first {signalled} frames need {needed} bytes but {remaining} remain (RFC 6716 §3.2.5)"
    )]
    VbrFrameOverrun {
        /// M-1.
        signalled: usize,
        /// Sum of the signalled lengths.
        needed: usize,
        /// Bytes left after the header and before the padding.
        remaining: usize,
    },
}

impl PacketError {
    /// The rule of RFC 6716 §3.4 the packet breaks.
    pub fn rule(&self) -> Rule {
        match self {
            PacketError::Empty => Rule::R1,
            PacketError::FrameTooLong { .. } => Rule::R2,
            PacketError::Code1OddPayload { .. } => Rule::R3,
            PacketError::Code2MissingLength { .. } | PacketError::Code2FrameOverrun { .. } => {
                Rule::R4
            }
            PacketError::Code3NoFrames | PacketError::Code3TooLong { .. } => Rule::R5,
            PacketError::Code3MissingCount | PacketError::CbrNotMultiple { .. } => Rule::R6,
            PacketError::PaddingTruncated { rule, .. }
            | PacketError::PaddingOverrun { rule, .. } => *rule,
            PacketError::VbrMissingLength { .. } | PacketError::VbrFrameOverrun { .. } => Rule::R7,
        }
    }
}

/// The operating mode of a configuration (RFC 6716 §3.1, Table 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// SILK-only (linear prediction layer).
    Silk,
    /// SILK and CELT together.
    Hybrid,
    /// CELT-only (MDCT layer).
    Celt,
}

impl Mode {
    /// Lower-case name, as printed by `rtclite inspect opus`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Silk => "silk",
            Mode::Hybrid => "hybrid",
            Mode::Celt => "celt",
        }
    }
}

/// Audio bandwidth (RFC 6716 §2, Table 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bandwidth {
    /// NB: 4 kHz audio bandwidth, 8 kHz effective sample rate.
    Narrowband,
    /// MB: 6 kHz, 12 kHz.
    Mediumband,
    /// WB: 8 kHz, 16 kHz.
    Wideband,
    /// SWB: 12 kHz, 24 kHz.
    Superwideband,
    /// FB: 20 kHz, 48 kHz.
    Fullband,
}

impl Bandwidth {
    /// All five, narrowest first.
    pub const ALL: [Bandwidth; 5] = [
        Bandwidth::Narrowband,
        Bandwidth::Mediumband,
        Bandwidth::Wideband,
        Bandwidth::Superwideband,
        Bandwidth::Fullband,
    ];

    /// Lower-case name, as printed by `rtclite inspect opus`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bandwidth::Narrowband => "narrowband",
            Bandwidth::Mediumband => "mediumband",
            Bandwidth::Wideband => "wideband",
            Bandwidth::Superwideband => "superwideband",
            Bandwidth::Fullband => "fullband",
        }
    }

    /// Effective sample rate in Hz (RFC 6716 Table 1).
    pub fn sample_rate_hz(self) -> u32 {
        match self {
            Bandwidth::Narrowband => 8000,
            Bandwidth::Mediumband => 12000,
            Bandwidth::Wideband => 16000,
            Bandwidth::Superwideband => 24000,
            Bandwidth::Fullband => 48000,
        }
    }

    /// The widest bandwidth whose effective sample rate is at most `rate_hz`
    /// (narrowband for anything below 12 kHz).
    pub fn for_sample_rate(rate_hz: u32) -> Bandwidth {
        Bandwidth::ALL
            .iter()
            .rev()
            .copied()
            .find(|bw| bw.sample_rate_hz() <= rate_hz)
            .unwrap_or(Bandwidth::Narrowband)
    }
}

/// How the frames are packed, from the two low bits of the TOC byte
/// (RFC 6716 §3.1, §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameCode {
    /// Code 0: one frame.
    One,
    /// Code 1: two frames of equal compressed size.
    TwoEqual,
    /// Code 2: two frames of different compressed sizes.
    TwoDifferent,
    /// Code 3: a signalled number of frames, optional padding.
    Signalled,
}

impl FrameCode {
    /// The value of the "c" field, 0–3.
    pub fn as_u8(self) -> u8 {
        match self {
            FrameCode::One => 0,
            FrameCode::TwoEqual => 1,
            FrameCode::TwoDifferent => 2,
            FrameCode::Signalled => 3,
        }
    }
}

/// The table-of-contents byte (RFC 6716 §3.1, Figure 1): `config`, `s`, `c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Toc(u8);

impl Toc {
    /// Interprets a byte as a TOC byte (every byte value is a valid TOC).
    pub const fn from_byte(byte: u8) -> Toc {
        Toc(byte)
    }

    /// Builds a TOC byte; `config` is taken modulo 32.
    pub const fn new(config: u8, stereo: bool, code: FrameCode) -> Toc {
        let c = match code {
            FrameCode::One => 0,
            FrameCode::TwoEqual => 1,
            FrameCode::TwoDifferent => 2,
            FrameCode::Signalled => 3,
        };
        Toc(((config & 0x1f) << 3) | ((stereo as u8) << 2) | c)
    }

    /// The byte itself.
    pub const fn byte(self) -> u8 {
        self.0
    }

    // [RFC 6716 §3.1] "The top five bits of the TOC byte, labeled "config", encode one of 32
    // possible configurations"
    /// The configuration number, 0–31 (the top five bits).
    pub const fn config(self) -> u8 {
        self.0 >> 3
    }

    // [RFC 6716 §3.1] "One additional bit, labeled "s", signals mono vs. stereo, with 0
    // indicating mono and 1 indicating stereo."
    /// The stereo flag `s`.
    pub const fn stereo(self) -> bool {
        self.0 & 0x04 != 0
    }

    /// The frame count code `c`.
    pub const fn code(self) -> FrameCode {
        match self.0 & 0x03 {
            0 => FrameCode::One,
            1 => FrameCode::TwoEqual,
            2 => FrameCode::TwoDifferent,
            _ => FrameCode::Signalled,
        }
    }

    /// The operating mode (RFC 6716 Table 2).
    pub const fn mode(self) -> Mode {
        match self.config() {
            0..=11 => Mode::Silk,
            12..=15 => Mode::Hybrid,
            _ => Mode::Celt,
        }
    }

    /// The audio bandwidth (RFC 6716 Table 2).
    pub const fn bandwidth(self) -> Bandwidth {
        match self.config() {
            0..=3 | 16..=19 => Bandwidth::Narrowband,
            4..=7 => Bandwidth::Mediumband,
            8..=11 | 20..=23 => Bandwidth::Wideband,
            12..=13 | 24..=27 => Bandwidth::Superwideband,
            _ => Bandwidth::Fullband,
        }
    }

    // [RFC 6716 §3.1] "The configuration numbers in each range (e.g., 0...3 for NB SILK-
    // only) correspond to the various choices of frame size, in the same order."
    /// Samples per frame at 48 kHz: 120, 240, 480, 960, 1920 or 2880
    /// (2.5, 5, 10, 20, 40, 60 ms).
    pub const fn frame_samples_48k(self) -> u32 {
        let config = self.config();
        match config {
            0..=11 => [480, 960, 1920, 2880][(config % 4) as usize],
            12..=15 => [480, 960][(config % 2) as usize],
            _ => [120, 240, 480, 960][(config % 4) as usize],
        }
    }

    /// Frame duration in milliseconds (2.5, 5, 10, 20, 40 or 60).
    pub fn frame_ms(self) -> f64 {
        f64::from(self.frame_samples_48k()) / 48.0
    }
}

/// A well-formed Opus packet, borrowing its frames from the input.
///
/// Frames are kept as (offset, length) pairs into the input, so a parse
/// writes under 300 bytes of state and never allocates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    data: &'a [u8],
    toc: Toc,
    starts: [u32; MAX_FRAMES],
    lens: [u16; MAX_FRAMES],
    count: usize,
    vbr: bool,
    padding_start: usize,
}

/// The frames of a [`Packet`], in order; see [`Packet::frames`].
#[derive(Debug, Clone)]
pub struct Frames<'p, 'a> {
    packet: &'p Packet<'a>,
    next: usize,
}

impl<'a> Iterator for Frames<'_, 'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let frame = self.packet.frame(self.next)?;
        self.next += 1;
        Some(frame)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.packet.count.saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Frames<'_, '_> {}

impl fmt::Debug for Packet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("toc", &self.toc)
            .field(
                "frame_lens",
                &self.frames().map(<[u8]>::len).collect::<Vec<_>>(),
            )
            .field("vbr", &self.vbr)
            .field("padding_len", &self.padding().len())
            .finish()
    }
}

/// Reads a frame length (RFC 6716 §3.2.1) at `pos`: `(length, bytes used)`.
fn frame_length(data: &[u8], pos: usize) -> Option<(usize, usize)> {
    let first = usize::from(*data.get(pos)?);
    // [RFC 6716 §3.2.1] "252...255: A second byte is needed. The total length is
    // (second_byte*4)+first_byte"
    if first >= 252 {
        let second = usize::from(*data.get(pos + 1)?);
        Some((second * 4 + first, 2))
    } else {
        // [RFC 6716 §3.2.1] "Any Opus frame in any mode MAY have a length of 0."
        Some((first, 1))
    }
}

/// Checks \[R2\] for a frame whose length the packet size implies.
fn check_implicit(index: usize, len: usize) -> Result<(), PacketError> {
    // [RFC 6716 §3.2.1] "the length of any individual frame MUST NOT exceed
    // 1275 bytes [R2]"
    if len > MAX_FRAME_LEN {
        return Err(PacketError::FrameTooLong { index, len });
    }
    Ok(())
}

impl<'a> Packet<'a> {
    // [RFC 6716 §3] "A decoder implementation MUST support the framing described in this
    // section."
    // Appendix B framing only occurs inside multistream packets, not handled here.
    // [RFC 6716 §3 exception: no multistream support] "Support for that variant is OPTIONAL."
    /// Parses one Opus packet (the whole of `data`, as carried by one RTP
    /// payload), enforcing rules \[R1\]–\[R7\] of RFC 6716 §3.4.
    ///
    /// # Errors
    /// A [`PacketError`] naming the rule broken and where.
    pub fn parse(data: &'a [u8]) -> Result<Packet<'a>, PacketError> {
        // [RFC 6716 §3.1] "A well-formed Opus packet MUST contain at least one byte [R1]."
        let Some((&toc_byte, _)) = data.split_first() else {
            return Err(PacketError::Empty);
        };
        let toc = Toc(toc_byte);
        let n = data.len();
        let mut packet = Packet {
            data,
            toc,
            starts: [0; MAX_FRAMES],
            lens: [0; MAX_FRAMES],
            count: 0,
            vbr: false,
            padding_start: n,
        };
        match toc.code() {
            FrameCode::One => {
                // [RFC 6716 §3.2.2] "the TOC byte is immediately followed by N-1 bytes of
                // compressed data for a single frame"
                check_implicit(0, n - 1)?;
                packet.push(1, n - 1);
            }
            FrameCode::TwoEqual => {
                let payload = n - 1;
                // [RFC 6716 §3.2.3] "The number of payload bytes available for compressed
                // data, N-1, MUST be even for all code 1 packets [R3]."
                if payload % 2 != 0 {
                    return Err(PacketError::Code1OddPayload { len: n, payload });
                }
                let half = payload / 2;
                check_implicit(0, half)?;
                packet.push(1, half);
                packet.push(1 + half, half);
            }
            FrameCode::TwoDifferent => {
                // [RFC 6716 §3.2.4] "A code 2 packet MUST contain enough bytes to represent
                // a valid length."
                let (first_len, used) =
                    frame_length(data, 1).ok_or(PacketError::Code2MissingLength { offset: 1 })?;
                let start = 1 + used;
                let remaining = n.saturating_sub(start);
                // [RFC 6716 §3.2.4] "The length of the first frame, N1, MUST also be no
                // larger than the size of the payload remaining after decoding that length
                // for all code 2 packets [R4]."
                if first_len > remaining {
                    return Err(PacketError::Code2FrameOverrun {
                        offset: 1,
                        frame_len: first_len,
                        remaining,
                    });
                }
                let second = remaining - first_len;
                check_implicit(1, second)?;
                packet.push(start, first_len);
                packet.push(start + first_len, second);
                packet.vbr = true;
            }
            FrameCode::Signalled => packet.parse_code3(data)?,
        }
        Ok(packet)
    }

    fn parse_code3(&mut self, data: &'a [u8]) -> Result<(), PacketError> {
        let n = data.len();
        let empty: &'a [u8] = &[];
        // [RFC 6716 §3.2.5] "Code 3 packets MUST have at least 2 bytes [R6,R7]."
        let &count_byte = data.get(1).ok_or(PacketError::Code3MissingCount)?;
        let vbr = count_byte & 0x80 != 0;
        let has_padding = count_byte & 0x40 != 0;
        let frames = usize::from(count_byte & 0x3f);
        let rule = if vbr { Rule::R7 } else { Rule::R6 };
        // [RFC 6716 §3.2.5] "M MUST NOT be zero, and the audio duration contained within
        // a packet MUST NOT exceed 120 ms [R5]."
        if frames == 0 {
            return Err(PacketError::Code3NoFrames);
        }
        let duration_48k = self.toc.frame_samples_48k() * u32::from(count_byte & 0x3f);
        if duration_48k > MAX_DURATION_48K {
            return Err(PacketError::Code3TooLong {
                frames,
                duration_48k,
            });
        }
        let mut pos = 2;
        let mut padding = 0usize;
        if has_padding {
            loop {
                // [RFC 6716 §3.2.5] "If the value is 255, then the size of the additional
                // padding is 254 bytes, plus the padding value encoded in the next byte.
                // There MUST be at least one more byte in the packet in this case [R6,R7]."
                let &value = data
                    .get(pos)
                    .ok_or(PacketError::PaddingTruncated { rule, offset: pos })?;
                pos += 1;
                padding += usize::from(value.min(254));
                if value != 255 {
                    break;
                }
            }
        }
        // [RFC 6716 §3.2.5] "Then, P MUST be no more than N-2 [R6,R7]."
        let end = n.checked_sub(padding).filter(|&end| end >= pos).ok_or(
            PacketError::PaddingOverrun {
                rule,
                padding,
                header: pos,
                len: n,
            },
        )?;
        // [RFC 6716 §3.2.5] "The decoder MUST accept any value for the padding bytes,
        // however."
        self.padding_start = end;
        let body = data.get(..end).unwrap_or(empty);
        if vbr {
            self.vbr = true;
            let mut lens = [0usize; MAX_FRAMES];
            for (index, slot) in lens.iter_mut().enumerate().take(frames - 1) {
                // [RFC 6716 §3.2.5] "The packet MUST contain enough data for the M-1
                // lengths after removing the (optional) padding"
                let (len, used) = frame_length(body, pos)
                    .ok_or(PacketError::VbrMissingLength { index, offset: pos })?;
                *slot = len;
                pos += used;
            }
            let needed: usize = lens.iter().sum();
            let remaining = end - pos;
            // [RFC 6716 §3.2.5] "the sum of these lengths MUST be no larger than the number
            // of bytes remaining in the packet after decoding them [R7]."
            // [RFC 6716 §3.2.5] "plus the signaled length of the padding MUST be no larger
            // than N, the total size of the packet."
            if needed > remaining {
                return Err(PacketError::VbrFrameOverrun {
                    signalled: frames - 1,
                    needed,
                    remaining,
                });
            }
            let last_len = remaining - needed;
            check_implicit(frames - 1, last_len)?;
            for &len in lens.iter().take(frames - 1) {
                self.push(pos, len);
                pos += len;
            }
            self.push(pos, last_len);
        } else {
            let remaining = end - pos;
            // [RFC 6716 §3.2.5] "The value R MUST be a non-negative integer multiple of M
            // [R6]."
            if remaining % frames != 0 {
                return Err(PacketError::CbrNotMultiple { remaining, frames });
            }
            let size = remaining / frames;
            check_implicit(0, size)?;
            for _ in 0..frames {
                self.push(pos, size);
                pos += size;
            }
        }
        Ok(())
    }

    /// Records a frame; callers have checked `len <= MAX_FRAME_LEN` and
    /// `start + len <= data.len()`.
    fn push(&mut self, start: usize, len: usize) {
        if let (Some(s), Some(l)) = (
            self.starts.get_mut(self.count),
            self.lens.get_mut(self.count),
        ) {
            *s = u32::try_from(start).unwrap_or(u32::MAX);
            *l = u16::try_from(len).unwrap_or(0);
            self.count += 1;
        }
    }

    /// The TOC byte.
    pub fn toc(&self) -> Toc {
        self.toc
    }

    /// The compressed frames, in order (a frame may be empty: DTX or lost).
    pub fn frames(&self) -> Frames<'_, 'a> {
        Frames {
            packet: self,
            next: 0,
        }
    }

    /// Frame `index` (zero-based), if the packet has it.
    pub fn frame(&self, index: usize) -> Option<&'a [u8]> {
        if index >= self.count {
            return None;
        }
        let start = usize::try_from(*self.starts.get(index)?).ok()?;
        let len = usize::from(*self.lens.get(index)?);
        self.data.get(start..start + len)
    }

    /// Number of frames, 1–48.
    pub fn frame_count(&self) -> usize {
        self.count
    }

    /// Whether frame lengths are signalled individually (code 2, VBR code 3).
    pub fn is_vbr(&self) -> bool {
        self.vbr
    }

    /// The trailing Opus padding bytes (code 3 only; any value is accepted).
    pub fn padding(&self) -> &'a [u8] {
        self.data.get(self.padding_start..).unwrap_or(&[])
    }

    /// Total packet length in bytes, N.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Always false: a packet has at least its TOC byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Duration of the whole packet in samples per channel at 48 kHz
    /// (the RTP timestamp increment of RFC 7587 §4.2).
    pub fn duration_48k(&self) -> u32 {
        // At most 48 frames of 120 samples or 2 of 2880: never overflows.
        self.toc.frame_samples_48k() * self.count as u32
    }

    /// Duration in samples per channel at `rate_hz`.
    pub fn duration_at(&self, rate_hz: u32) -> u64 {
        u64::from(self.duration_48k()) * u64::from(rate_hz) / 48_000
    }

    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> f64 {
        f64::from(self.duration_48k()) / 48.0
    }
}

/// Why [`write_packet`] or [`pad_packet`] could not build a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// No frames were given.
    #[error("a packet holds at least one frame")]
    NoFrames,
    /// The frames add up to more than 120 ms.
    #[error("{frames} frames of {frame_48k} samples exceed 120 ms (RFC 6716 §3.2.5)")]
    TooLong {
        /// Number of frames given.
        frames: usize,
        /// Samples per frame at 48 kHz.
        frame_48k: u32,
    },
    /// A frame is longer than 1275 bytes.
    #[error("frame {index} is {len} bytes, longer than 1275 (RFC 6716 §3.2.1)")]
    FrameTooLong {
        /// Zero-based frame index.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// The output buffer is too small.
    #[error("output buffer of {capacity} bytes is too small, {needed} needed")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        capacity: usize,
    },
    /// The requested padded length is shorter than the unpadded code 3 packet.
    #[error("cannot pad to {requested} bytes: the code 3 packet already needs {minimum}")]
    PadTooShort {
        /// Requested total length.
        requested: usize,
        /// Length without padding.
        minimum: usize,
    },
    /// The packet to re-frame is malformed.
    #[error(transparent)]
    Malformed(#[from] PacketError),
}

/// Bytes needed to code a frame length (RFC 6716 §3.2.1).
fn length_bytes(len: usize) -> usize {
    if len < 252 { 1 } else { 2 }
}

/// Writes a frame length at `out[pos..]`; returns the new position.
fn put_length(out: &mut [u8], pos: usize, len: usize) -> usize {
    // [RFC 6716 §3.2.1] "252...255: A second byte is needed."
    if len < 252 {
        put(out, pos, len as u8)
    } else {
        let first = 252 + (len & 3);
        let pos = put(out, pos, first as u8);
        put(out, pos, ((len - first) / 4) as u8)
    }
}

fn put(out: &mut [u8], pos: usize, byte: u8) -> usize {
    if let Some(slot) = out.get_mut(pos) {
        *slot = byte;
    }
    pos + 1
}

fn put_slice(out: &mut [u8], pos: usize, bytes: &[u8]) -> usize {
    if let Some(dst) = out.get_mut(pos..pos + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
    pos + bytes.len()
}

/// How the padding of a code 3 packet is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pad {
    /// Exactly this many bytes in total, P (RFC 6716 §3.2.5).
    Total(usize),
}

/// Writes one packet holding `frames`, with the TOC's `config` and `s` taken
/// from `toc` (its code is chosen here), into `out`; returns the length.
///
/// The smallest framing is used: code 0 for one frame, code 1 for two equal
/// frames, code 2 for two different ones, code 3 (CBR when all frames are
/// the same size, else VBR) beyond that. Use [`pad_packet`] to add padding.
///
/// # Errors
/// No frames, more than 120 ms, a frame over 1275 bytes, or `out` too small.
pub fn write_packet<I, F>(toc: Toc, frames: I, out: &mut [u8]) -> Result<usize, WriteError>
where
    I: IntoIterator<Item = F>,
    I::IntoIter: Clone,
    F: AsRef<[u8]>,
{
    write_framed(toc, frames.into_iter(), Pad::Total(0), false, out)
}

fn write_framed<I, F>(
    toc: Toc,
    frames: I,
    pad: Pad,
    force_code3: bool,
    out: &mut [u8],
) -> Result<usize, WriteError>
where
    I: Iterator<Item = F> + Clone,
    F: AsRef<[u8]>,
{
    let count = frames.clone().count();
    if count == 0 {
        return Err(WriteError::NoFrames);
    }
    let frame_48k = toc.frame_samples_48k();
    if count > MAX_FRAMES || frame_48k * count as u32 > MAX_DURATION_48K {
        return Err(WriteError::TooLong {
            frames: count,
            frame_48k,
        });
    }
    let lens = frames.clone().map(|f| f.as_ref().len());
    if let Some((index, len)) = lens
        .clone()
        .enumerate()
        .find(|&(_, len)| len > MAX_FRAME_LEN)
    {
        return Err(WriteError::FrameTooLong { index, len });
    }
    let data_len: usize = lens.clone().sum();
    let first_len = lens.clone().next().unwrap_or(0);
    let all_equal = lens.clone().all(|len| len == first_len);
    let Pad::Total(padding_total) = pad;
    let code = if force_code3 || padding_total > 0 || count > 2 {
        FrameCode::Signalled
    } else if count == 1 {
        FrameCode::One
    } else if all_equal {
        FrameCode::TwoEqual
    } else {
        FrameCode::TwoDifferent
    };
    let vbr = !all_equal;
    let explicit: usize = lens.clone().take(count - 1).map(length_bytes).sum();
    let header = match code {
        FrameCode::One | FrameCode::TwoEqual => 1,
        FrameCode::TwoDifferent => 1 + explicit,
        FrameCode::Signalled => 2 + if vbr { explicit } else { 0 },
    };
    let needed = header + data_len + padding_total;
    if out.len() < needed {
        return Err(WriteError::BufferTooSmall {
            needed,
            capacity: out.len(),
        });
    }
    let mut pos = put(out, 0, Toc::new(toc.config(), toc.stereo(), code).byte());
    match code {
        FrameCode::One | FrameCode::TwoEqual => {}
        FrameCode::TwoDifferent => {
            pos = put_length(out, pos, first_len);
        }
        FrameCode::Signalled => {
            let mut count_byte = count as u8;
            if vbr {
                count_byte |= 0x80;
            }
            if padding_total > 0 {
                count_byte |= 0x40;
            }
            pos = put(out, pos, count_byte);
            if padding_total > 0 {
                // P = (number of length bytes) + (padding bytes): j bytes of 255,
                // then one byte b, carry 254*j + b padding bytes in 255*j + 1 + b.
                let runs = (padding_total - 1) / 255;
                for _ in 0..runs {
                    pos = put(out, pos, 255);
                }
                pos = put(out, pos, ((padding_total - 1) % 255) as u8);
            }
            if vbr {
                for len in lens.clone().take(count - 1) {
                    pos = put_length(out, pos, len);
                }
            }
        }
    }
    for frame in frames {
        pos = put_slice(out, pos, frame.as_ref());
    }
    // [RFC 6716 §3.2.5] "The additional padding bytes appear at the end of the packet and
    // MUST be set to zero by the encoder to avoid creating a covert channel."
    while pos < needed {
        pos = put(out, pos, 0);
    }
    Ok(needed)
}

// [RFC 7587 §3.1.2] "the Opus padding mechanism described in [RFC6716] is the RECOMMENDED
// way to achieve padding because the RTP padding bit is unencrypted."
/// Re-frames `packet` as a code 3 packet of exactly `new_len` bytes, filling
/// the difference with Opus padding (RFC 6716 §3.2.5). This is how RFC 7587
/// §3.1.2 recommends turning a VBR stream into a constant-size one.
///
/// # Errors
/// `packet` is malformed, or `new_len` is shorter than the code 3 framing of
/// its frames, or `out` is smaller than `new_len`.
pub fn pad_packet(packet: &[u8], new_len: usize, out: &mut [u8]) -> Result<usize, WriteError> {
    let parsed = Packet::parse(packet)?;
    let frames = parsed.frames();
    let minimum = write_framed(parsed.toc(), frames.clone(), Pad::Total(0), true, &mut [])
        .err()
        .and_then(|e| match e {
            WriteError::BufferTooSmall { needed, .. } => Some(needed),
            _ => None,
        })
        .unwrap_or(0);
    if new_len < minimum {
        return Err(WriteError::PadTooShort {
            requested: new_len,
            minimum,
        });
    }
    write_framed(
        parsed.toc(),
        frames,
        Pad::Total(new_len - minimum),
        true,
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toc_table_2_ranges() {
        // [RFC 6716 §3.1 test] "configuration 0 has a 10 ms frame size and
        // configuration 3 has a 60 ms frame size."
        assert_eq!(Toc::new(0, false, FrameCode::One).frame_ms(), 10.0);
        assert_eq!(Toc::new(3, false, FrameCode::One).frame_ms(), 60.0);
        assert_eq!(Toc::new(12, false, FrameCode::One).mode(), Mode::Hybrid);
        assert_eq!(Toc::new(16, false, FrameCode::One).frame_ms(), 2.5);
        assert_eq!(
            Toc::new(31, true, FrameCode::One).bandwidth(),
            Bandwidth::Fullband
        );
        assert_eq!(
            Toc::new(13, false, FrameCode::One).bandwidth(),
            Bandwidth::Superwideband
        );
    }

    #[test]
    fn empty_is_r1() {
        // [RFC 6716 §3.4 test] "[R1] Packets are at least one byte."
        assert_eq!(Packet::parse(&[]).err().map(|e| e.rule()), Some(Rule::R1));
    }

    #[test]
    fn code3_padding_of_255_and_256_bytes() {
        // [RFC 6716 §3.2.5 test] "To add 256 bytes to a packet, set the padding bit to 1,
        // insert two bytes after the frame count byte with the values 255 and 0"
        let mut out = [0u8; 600];
        let base = write_framed(
            Toc::from_byte(0x08),
            [&[1u8, 2, 3][..]].into_iter(),
            Pad::Total(0),
            true,
            &mut out,
        )
        .unwrap_or(0);
        let n = write_framed(
            Toc::from_byte(0x08),
            [&[1u8, 2, 3][..]].into_iter(),
            Pad::Total(256),
            true,
            &mut out,
        )
        .unwrap_or(0);
        assert_eq!(n, base + 256);
        assert_eq!(out.get(1..4), Some(&[0x41u8, 255, 0][..]));
        let n = write_framed(
            Toc::from_byte(0x08),
            [&[1u8, 2, 3][..]].into_iter(),
            Pad::Total(255),
            true,
            &mut out,
        )
        .unwrap_or(0);
        assert_eq!(n, base + 255);
        assert_eq!(out.get(1..3), Some(&[0x41u8, 254][..]));
        let parsed = Packet::parse(out.get(..n).unwrap_or(&[]));
        assert_eq!(parsed.map(|p| p.padding().len()), Ok(254));
    }
}
