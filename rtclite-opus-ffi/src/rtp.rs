//! RFC 7587 §4: the Opus RTP payload — one Opus packet per payload, RTP
//! timestamps at 48 kHz whatever the coded rate, and packet durations
//! checked against `ptime` / `maxptime`.
//!
//! Sans-IO helpers only: RTP header parsing belongs to `rtclite-rtp`.

use crate::encoder::Application;
use crate::packet::{Packet, PacketError};

// [RFC 7587 §4.1] "The RTP timestamp is incremented with a 48000 Hz clock rate for all
// modes of Opus and all sampling rates."
/// The RTP clock rate of Opus, always 48000 (also the `a=rtpmap` rate).
pub const RTP_CLOCK_RATE: u32 = 48_000;

// [RFC 7587 §7] "The RTP clock rate in "a=rtpmap" MUST be 48000, and the number of
// channels MUST be 2."
/// The channel count written in `a=rtpmap:<pt> opus/48000/2`, always 2.
pub const RTPMAP_CHANNELS: u8 = 2;

/// The encoding name in `a=rtpmap`.
pub const ENCODING_NAME: &str = "opus";

/// Default `ptime` in ms when none is signalled (RFC 7587 §6.1).
pub const DEFAULT_PTIME_MS: u32 = 20;
/// Default and largest `maxptime` in ms (RFC 7587 §6.1).
pub const DEFAULT_MAXPTIME_MS: u32 = 120;

/// Why an RTP payload is not a valid Opus payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is not exactly one well-formed Opus packet.
    #[error("RTP payload is not one Opus packet (RFC 7587 §4.2): {0}")]
    Malformed(#[from] PacketError),
    /// The packet lasts longer than the receiver's `maxptime`.
    #[error("packet of {duration_ms} ms exceeds maxptime {maxptime} ms (RFC 7587 §6.1)")]
    ExceedsMaxptime {
        /// Packet duration rounded up to whole ms.
        duration_ms: u32,
        /// The limit.
        maxptime: u32,
    },
}

// [RFC 7587 §6.1] "For transfer over RTP, the RTP payload format (Section 4 of this
// document) SHALL be used."
// RTP padding is removed by the RTP layer (rtclite-rtp) before the payload gets here.
// [RFC 7587 §4.1 exception: handled by rtclite-rtp] "The payload MAY be padded by an
// integer number of octets according to [RFC3550]"
// Duplicates are recognised by RTP sequence number in the receive path (rtclite-rtp and
// the application's jitter buffer); this crate sees one payload at a time.
// [RFC 7587 §4.1 exception: handled by the RTP receive path] "The receiver MUST provide at
// most one of those payloads to the Opus decoder for decoding, and it MUST discard the
// others."
// [RFC 7587 §4.1 exception: handled by the RTP receive path] "The receiving side MUST be
// prepared to receive duplicate RTP packets."
// Congestion control needs the network's state, which a sans-IO codec crate does not
// have; the application drives Encoder::set_bitrate and the packet duration.
// [RFC 7587 §5 exception: the application's job] "applications that use RTP over UDP
// SHOULD implement their own congestion control above the UDP layer"
/// Parses an RTP payload as an Opus packet.
///
/// # Errors
/// [`PayloadError::Malformed`] when the payload breaks RFC 6716 §3.4.
pub fn parse_payload(payload: &[u8]) -> Result<Packet<'_>, PayloadError> {
    // [RFC 7587 §4.2] "An RTP payload MUST contain exactly one Opus packet as defined by
    // that document."
    Ok(Packet::parse(payload)?)
}

/// The RTP timestamp increment after `packet`: its duration in samples per
/// channel at 48 kHz (120 per 2.5 ms frame, summed over the frames).
pub fn timestamp_increment(packet: &Packet<'_>) -> u32 {
    // [RFC 7587 §4.2] "If the Opus encoder outputs multiple encoded frames into a single
    // packet, the timestamp increment is the sum of the increments for the individual
    // frames."
    packet.duration_48k()
}

/// Converts a sample count at an encoder or decoder rate to RTP timestamp
/// units (48 kHz): 160 samples at 8 kHz are 960 timestamp units.
pub fn samples_to_timestamp(samples: u64, rate_hz: u32) -> u64 {
    // [RFC 7587 §4.1] "For data encoded with sampling rates other than 48000 Hz, the
    // sampling rate has to be adjusted to 48000 Hz."
    if rate_hz == 0 {
        return 0;
    }
    samples * u64::from(RTP_CLOCK_RATE) / u64::from(rate_hz)
}

/// A duration in samples at 48 kHz expressed as `ptime`/`maxptime` does:
/// milliseconds rounded up to the next integer (2.5 ms is 3).
pub fn duration_to_ptime(duration_48k: u32) -> u32 {
    // [RFC 7587 §6.1] "the maximum duration of media represented by a packet (according to
    // Section 6 of [RFC4566]) that a decoder wants to receive, in milliseconds rounded up
    // to the next full integer value."
    duration_48k.div_ceil(48)
}

/// Checks a received packet against the `maxptime` this receiver signalled
/// (`None`: the default, 120 ms).
///
/// # Errors
/// [`PayloadError::ExceedsMaxptime`] when the packet is longer.
pub fn check_maxptime(packet: &Packet<'_>, maxptime: Option<u32>) -> Result<(), PayloadError> {
    let maxptime = maxptime.unwrap_or(DEFAULT_MAXPTIME_MS);
    let duration_ms = duration_to_ptime(packet.duration_48k());
    if duration_ms > maxptime {
        return Err(PayloadError::ExceedsMaxptime {
            duration_ms,
            maxptime,
        });
    }
    Ok(())
}

/// Whether a gap between two RTP timestamps of one Opus stream can come from
/// whole dropped frames, as DTX must produce (a multiple of 120).
pub fn is_whole_frame_gap(previous: u32, next: u32) -> bool {
    // [RFC 7587 §3.1.3] "The transmitter MUST drop whole frames only, based on the size of
    // the last transmitted frame, to ensure successive RTP timestamps differ by a multiple
    // of 120"
    next.wrapping_sub(previous) % 120 == 0
}

/// The frame duration (in ms) a sender should use for a receiver's `ptime`
/// and `maxptime`: the longest Opus frame duration whose rounded-up length is
/// at most both (2.5 ms when even that is longer).
pub fn frame_ms_for_ptime(ptime: Option<u32>, maxptime: Option<u32>) -> f64 {
    frame_ms_among(&[2880, 1920, 960, 480, 240, 120], ptime, maxptime).unwrap_or(2.5)
}

/// As [`frame_ms_for_ptime`], among the frame sizes that Table 2 of RFC 7587
/// §4.2 marks as supported for the encoder's mode: 10–60 ms for the voice
/// mode ([`Application::Voip`]), 2.5–20 ms for the audio mode (the other
/// applications). When no size of the mode fits, the mode's shortest.
pub fn frame_ms_for_mode(
    application: Application,
    ptime: Option<u32>,
    maxptime: Option<u32>,
) -> f64 {
    // [RFC 7587 §4.2] "Table 2 shows supported frame sizes in milliseconds of encoded speech
    // or audio data for the speech and audio modes (Mode)"
    let (sizes, shortest): (&[u32], f64) = match application {
        Application::Voip => (&[2880, 1920, 960, 480], 10.0),
        Application::Audio | Application::RestrictedLowDelay => (&[960, 480, 240, 120], 2.5),
    };
    frame_ms_among(sizes, ptime, maxptime).unwrap_or(shortest)
}

/// The first of `sizes_48k` (longest first) that fits `ptime` and `maxptime`.
fn frame_ms_among(sizes_48k: &[u32], ptime: Option<u32>, maxptime: Option<u32>) -> Option<f64> {
    let ptime = ptime.unwrap_or(DEFAULT_PTIME_MS);
    let limit = ptime.min(maxptime.unwrap_or(DEFAULT_MAXPTIME_MS));
    sizes_48k
        .iter()
        .find(|&&d| duration_to_ptime(d) <= limit)
        .map(|&d| f64::from(d) / 48.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_2_timestamp_increments() {
        // [RFC 7587 §4.2 test] "the timestamp increment is the sum of the increments for the
        // individual frames"
        for (config, incr) in [
            (16u8, 120u32),
            (17, 240),
            (18, 480),
            (19, 960),
            (2, 1920),
            (3, 2880),
        ] {
            let byte = [config << 3];
            let packet = Packet::parse(&byte);
            assert_eq!(
                packet.map(|p| timestamp_increment(&p)),
                Ok(incr),
                "config {config}"
            );
        }
        // Three 20 ms CELT frames (code 3, CBR).
        let packet = Packet::parse(&[(19 << 3) | 3, 3]);
        assert_eq!(packet.map(|p| timestamp_increment(&p)), Ok(2880));
    }

    #[test]
    fn ptime_rounds_up() {
        // [RFC 7587 §6.1 test] "Possible values are 3, 5, 10, 20, 40, 60, or an arbitrary
        // multiple of an Opus frame size rounded up to the next full integer value"
        assert_eq!(duration_to_ptime(120), 3);
        assert_eq!(duration_to_ptime(240), 5);
        assert_eq!(duration_to_ptime(360), 8);
        assert_eq!(duration_to_ptime(5760), 120);
        assert_eq!(frame_ms_for_ptime(None, None), 20.0);
        assert_eq!(frame_ms_for_ptime(Some(40), Some(40)), 40.0);
        assert_eq!(frame_ms_for_ptime(Some(60), Some(30)), 20.0);
        assert_eq!(frame_ms_for_ptime(Some(3), None), 2.5);
        assert_eq!(samples_to_timestamp(160, 8000), 960);
    }

    #[test]
    fn table_2_frame_sizes_per_mode() {
        // [RFC 7587 §4.2 test] "Table 2 shows supported frame sizes in milliseconds of encoded
        // speech or audio data for the speech and audio modes (Mode)"
        assert_eq!(frame_ms_for_mode(Application::Voip, Some(60), None), 60.0);
        assert_eq!(frame_ms_for_mode(Application::Audio, Some(60), None), 20.0);
        assert_eq!(frame_ms_for_mode(Application::Voip, Some(5), None), 10.0);
        assert_eq!(
            frame_ms_for_mode(Application::RestrictedLowDelay, Some(5), None),
            5.0
        );
        assert_eq!(frame_ms_for_mode(Application::Audio, None, None), 20.0);
    }

    #[test]
    fn maxptime_is_enforced() {
        let two_60 = [(3 << 3) | 1];
        let packet = Packet::parse(&two_60);
        assert_eq!(packet.map(|p| check_maxptime(&p, None)), Ok(Ok(())));
        let packet = Packet::parse(&two_60);
        assert!(matches!(
            packet.map(|p| check_maxptime(&p, Some(60))),
            Ok(Err(PayloadError::ExceedsMaxptime {
                duration_ms: 120,
                maxptime: 60
            }))
        ));
    }

    #[test]
    fn dtx_gaps() {
        // [RFC 7587 §3.1.3 test] "successive RTP timestamps differ by a multiple of 120"
        assert!(is_whole_frame_gap(1000, 1960));
        assert!(is_whole_frame_gap(u32::MAX - 59, 60));
        assert!(!is_whole_frame_gap(0, 100));
    }
}
