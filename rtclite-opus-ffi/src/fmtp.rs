//! RFC 7587 §6.1 and §7: the Opus media type parameters carried in
//! `a=fmtp`, and the encoder settings a sender derives from the receiver's.
//!
//! [`OpusFmtp::parse`] reads the parameter string of an `a=fmtp:<pt>` line
//! (`maxplaybackrate=16000; stereo=1`), [`OpusFmtp`]'s `Display` writes it.
//! Unknown parameters are ignored and never written back (RFC 7587 §7.1).
//! Limits: at most [`MAX_PARAMETERS`] parameters and [`MAX_LEN`] bytes.

use std::fmt;

use crate::codec::Channels;
use crate::encoder::Application;
use crate::packet::Bandwidth;
use crate::rtp;

/// Longest parameter string accepted, in bytes.
pub const MAX_LEN: usize = 4096;
/// Most `name=value` pairs accepted.
pub const MAX_PARAMETERS: usize = 64;

/// Why an Opus fmtp parameter string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FmtpError {
    /// The string is longer than [`MAX_LEN`].
    #[error("fmtp parameters are {len} bytes, more than the {MAX_LEN} accepted")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// More than [`MAX_PARAMETERS`] pairs.
    #[error("more than {MAX_PARAMETERS} fmtp parameters")]
    TooMany,
    /// A known parameter has a value outside what RFC 7587 §6.1 allows.
    #[error("fmtp parameter {name} at offset {offset}: {value:?} {reason} (RFC 7587 §6.1)")]
    InvalidValue {
        /// Parameter name.
        name: &'static str,
        /// The value as written.
        value: String,
        /// Byte offset of the parameter in the string.
        offset: usize,
        /// What is allowed.
        reason: &'static str,
    },
    /// A known parameter appears twice.
    #[error("fmtp parameter {name} appears twice (second at offset {offset})")]
    Duplicate {
        /// Parameter name.
        name: &'static str,
        /// Byte offset of the second occurrence.
        offset: usize,
    },
}

/// The Opus parameters of one `a=fmtp` line. `None` means "not present"
/// (the RFC's default applies; the `*_or_default` accessors give it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OpusFmtp {
    /// Highest output sampling rate the receiver renders, 8000–48000 Hz.
    pub maxplaybackrate: Option<u32>,
    /// Highest input sampling rate the sender is likely to produce.
    pub sprop_maxcapturerate: Option<u32>,
    /// Highest average bitrate the receiver accepts, bit/s (positive).
    pub maxaveragebitrate: Option<u32>,
    /// The receiver prefers stereo.
    pub stereo: Option<bool>,
    /// The sender is likely to send stereo.
    pub sprop_stereo: Option<bool>,
    /// The receiver prefers constant bitrate.
    pub cbr: Option<bool>,
    /// The receiver can use in-band FEC.
    pub useinbandfec: Option<bool>,
    /// The receiver prefers DTX.
    pub usedtx: Option<bool>,
}

const NAMES: [&str; 8] = [
    "maxplaybackrate",
    "sprop-maxcapturerate",
    "maxaveragebitrate",
    "stereo",
    "sprop-stereo",
    "cbr",
    "useinbandfec",
    "usedtx",
];

fn parse_rate(name: &'static str, value: &str, offset: usize) -> Result<u32, FmtpError> {
    // [RFC 7587 §6.1] "This parameter can take any value between 8000 and 48000"
    match value.parse::<u32>() {
        Ok(rate) if (8000..=48000).contains(&rate) => Ok(rate),
        _ => Err(FmtpError::InvalidValue {
            name,
            value: value.to_string(),
            offset,
            reason: "is not an integer from 8000 to 48000",
        }),
    }
}

fn parse_flag(name: &'static str, value: &str, offset: usize) -> Result<bool, FmtpError> {
    match value {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(FmtpError::InvalidValue {
            name,
            value: value.to_string(),
            offset,
            reason: "is neither 0 nor 1",
        }),
    }
}

impl OpusFmtp {
    /// Parses the parameter string of an `a=fmtp` line: `name=value` pairs
    /// separated by `;`, white space around them ignored, names compared
    /// without regard to case.
    ///
    /// # Errors
    /// A known parameter with an invalid value or given twice; a string over
    /// the limits.
    pub fn parse(params: &str) -> Result<OpusFmtp, FmtpError> {
        if params.len() > MAX_LEN {
            return Err(FmtpError::TooLong { len: params.len() });
        }
        let mut fmtp = OpusFmtp::default();
        let mut seen = [false; NAMES.len()];
        let mut offset = 0;
        for (count, pair) in params.split(';').enumerate() {
            let pair_offset = offset + (pair.len() - pair.trim_start().len());
            offset += pair.len() + 1;
            if count >= MAX_PARAMETERS {
                return Err(FmtpError::TooMany);
            }
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = (name.trim(), value.trim());
            // [RFC 7587 §7.1] "Any unknown parameter in an offer MUST be ignored by the
            // receiver and MUST be removed from the answer."
            let Some(index) = NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) else {
                continue;
            };
            let known = NAMES.get(index).copied().unwrap_or("");
            if let Some(slot) = seen.get_mut(index) {
                if *slot {
                    return Err(FmtpError::Duplicate {
                        name: known,
                        offset: pair_offset,
                    });
                }
                *slot = true;
            }
            match index {
                0 => fmtp.maxplaybackrate = Some(parse_rate(known, value, pair_offset)?),
                1 => fmtp.sprop_maxcapturerate = Some(parse_rate(known, value, pair_offset)?),
                2 => {
                    // [RFC 7587 §6.1] "Any positive integer is allowed, but values outside
                    // the range 6000 to 510000 SHOULD be ignored."
                    fmtp.maxaveragebitrate = match value.parse::<u32>() {
                        Ok(rate) if rate > 0 => Some(rate),
                        _ => {
                            return Err(FmtpError::InvalidValue {
                                name: known,
                                value: value.to_string(),
                                offset: pair_offset,
                                reason: "is not a positive integer",
                            });
                        }
                    };
                }
                3 => fmtp.stereo = Some(parse_flag(known, value, pair_offset)?),
                4 => fmtp.sprop_stereo = Some(parse_flag(known, value, pair_offset)?),
                5 => fmtp.cbr = Some(parse_flag(known, value, pair_offset)?),
                6 => fmtp.useinbandfec = Some(parse_flag(known, value, pair_offset)?),
                _ => fmtp.usedtx = Some(parse_flag(known, value, pair_offset)?),
            }
        }
        Ok(fmtp)
    }

    /// The parameters a receiver signals about its decoder: the highest rate
    /// it plays back, whether it wants stereo, and whether it can use
    /// in-band FEC. Both flags are written explicitly, 0 included.
    pub fn for_receiver(maxplaybackrate: u32, stereo: bool, inband_fec: bool) -> OpusFmtp {
        OpusFmtp {
            maxplaybackrate: (maxplaybackrate < 48_000).then_some(maxplaybackrate.max(8000)),
            // [RFC 7587 §3.4] "If a decoder cannot take advantage of the benefits of a stereo
            // signal, this SHOULD be indicated at the time a session is set up."
            stereo: Some(stereo),
            // [RFC 7587 §3.3] "Decoder support for FEC SHOULD be indicated at the time a
            // session is set up."
            // [RFC 7587 §6.1] "Providing 0 when FEC cannot be used on the receiving side is
            // RECOMMENDED."
            useinbandfec: Some(inband_fec),
            ..OpusFmtp::default()
        }
    }

    /// `maxplaybackrate`, or its default 48000.
    pub fn maxplaybackrate_or_default(&self) -> u32 {
        // [RFC 7587 §6.1] "By default, the receiver is assumed to have no limitations, i.e.,
        // 48000."
        self.maxplaybackrate.unwrap_or(48_000)
    }

    /// `sprop-maxcapturerate`, or its default 48000.
    pub fn sprop_maxcapturerate_or_default(&self) -> u32 {
        // [RFC 7587 §6.1] "By default, the sender is assumed to have no limitations, i.e.,
        // 48000."
        self.sprop_maxcapturerate.unwrap_or(48_000)
    }

    /// `stereo`, or its default 0 (mono).
    pub fn stereo_or_default(&self) -> bool {
        self.stereo.unwrap_or(false)
    }

    /// `cbr`, or its default 0 (VBR).
    pub fn cbr_or_default(&self) -> bool {
        // [RFC 7587 §6.1] "If no value is specified, the default is 0 (vbr)."
        self.cbr.unwrap_or(false)
    }

    /// `useinbandfec`, or its default 0.
    pub fn useinbandfec_or_default(&self) -> bool {
        // [RFC 7587 §6.1] "If no value is specified, useinbandfec is assumed to be 0."
        self.useinbandfec.unwrap_or(false)
    }

    /// `usedtx`, or its default 0.
    pub fn usedtx_or_default(&self) -> bool {
        self.usedtx.unwrap_or(false)
    }

    /// The encoder settings a sender should use towards the receiver that
    /// signalled these parameters, for the given application, `ptime` and
    /// `maxptime` (from `a=ptime` / `a=maxptime`; `None` for the defaults).
    pub fn encoder_settings(
        &self,
        application: Application,
        ptime: Option<u32>,
        maxptime: Option<u32>,
    ) -> EncoderSettings {
        // [RFC 7587 §7.1] "When sending to a single destination, a sender MUST NOT use
        // stereo when "stereo" is 0."
        // [RFC 7587 §3.4] "In that case, the sending side SHOULD NOT send stereo signals as it
        // leads to an inefficient usage of network resources."
        // [RFC 7587 §7.1] "Gateways or senders that are sending the same encoded audio to
        // multiple destinations SHOULD NOT use stereo when "stereo" is 0"
        let channels = if self.stereo_or_default() {
            Channels::Stereo
        } else {
            Channels::Mono
        };
        // [RFC 7587 §7.1] "When sending to a single destination, a sender MUST NOT use an
        // audio bandwidth higher than necessary to make full use of audio sampled at a
        // sampling rate of "maxplaybackrate"."
        // [RFC 7587 §6.1] "an encoder SHOULD NOT encode frequencies above the audio bandwidth
        // specified by maxplaybackrate."
        // [RFC 7587 §7.1] "Gateways or senders that are sending the same encoded audio to
        // multiple destinations SHOULD NOT use an audio bandwidth higher than necessary to
        // represent audio sampled at "maxplaybackrate""
        // It only caps the bandwidth: libopus picks the bandwidth below the cap.
        // [RFC 7587 §7.1] "this parameter SHOULD NOT be used to adjust the audio bandwidth as
        // a function of the bitrate"
        let max_bandwidth = Bandwidth::for_sample_rate(self.maxplaybackrate_or_default());
        // [RFC 7587 §3.1.2] "If no target bitrate is specified, the bitrates specified in
        // Section 3.1.1 are RECOMMENDED."
        let recommended = recommended_bitrate(application, max_bandwidth, channels);
        let bitrate = match self.maxaveragebitrate {
            // [RFC 7587 §7.1] "The sender of the other side MUST NOT send with an average
            // bitrate higher than "maxaveragebitrate""
            Some(cap) if (6000..=510_000).contains(&cap) => recommended.min(cap),
            _ => recommended,
        };
        EncoderSettings {
            channels,
            max_bandwidth,
            bitrate,
            // [RFC 7587 §6.1] "specifies if the decoder prefers the use of a constant bitrate
            // versus a variable bitrate."
            vbr: !self.cbr_or_default(),
            // [RFC 7587 §3.3] "However, if FEC cannot be used on the receiving side, then FEC
            // SHOULD NOT be used, as it leads to an inefficient usage of network resources."
            inband_fec: self.useinbandfec_or_default(),
            // [RFC 7587 §3.1.3] "using continuous transmission is RECOMMENDED unless
            // constraints on available network bandwidth are severe."
            dtx: self.usedtx_or_default(),
            frame_ms: rtp::frame_ms_for_mode(application, ptime, maxptime),
        }
    }
}

/// The "sweet spot" bitrate of RFC 7587 §3.1.1 for 20 ms frames, taking the
/// upper end of each range: speech 12 kbit/s NB, 20 kbit/s MB/WB, 40 kbit/s
/// SWB/FB; music (application [`Application::Audio`]) 64 kbit/s mono and
/// 128 kbit/s stereo at FB, and the speech figure at narrower bandwidths.
pub fn recommended_bitrate(
    application: Application,
    bandwidth: Bandwidth,
    channels: Channels,
) -> u32 {
    // [RFC 7587 §3.1.1] "For a frame size of 20 ms, these are the bitrate "sweet spots" for
    // Opus in various configurations"
    let speech = match bandwidth {
        Bandwidth::Narrowband => 12_000,
        Bandwidth::Mediumband | Bandwidth::Wideband => 20_000,
        Bandwidth::Superwideband | Bandwidth::Fullband => 40_000,
    };
    match (application, bandwidth, channels) {
        (Application::Audio, Bandwidth::Fullband, Channels::Mono) => 64_000,
        (Application::Audio, Bandwidth::Fullband, Channels::Stereo) => 128_000,
        _ => speech,
    }
}

impl fmt::Display for OpusFmtp {
    /// Writes the present parameters as `name=value` pairs joined by `;`
    /// (no spaces), in the order of RFC 7587 §6.1.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = |b: bool| u32::from(b);
        let values = [
            self.maxplaybackrate,
            self.sprop_maxcapturerate,
            self.maxaveragebitrate,
            self.stereo.map(flag),
            self.sprop_stereo.map(flag),
            self.cbr.map(flag),
            self.useinbandfec.map(flag),
            self.usedtx.map(flag),
        ];
        let mut first = true;
        for (name, value) in NAMES.iter().zip(values) {
            if let Some(value) = value {
                if !first {
                    f.write_str(";")?;
                }
                first = false;
                write!(f, "{name}={value}")?;
            }
        }
        Ok(())
    }
}

/// Encoder settings derived from a receiver's [`OpusFmtp`]; apply them with
/// [`Encoder::apply`](crate::Encoder::apply) (the channel count is chosen
/// when the encoder is created).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderSettings {
    /// Mono unless the receiver prefers stereo.
    pub channels: Channels,
    /// The widest bandwidth worth coding for the receiver's playback rate.
    pub max_bandwidth: Bandwidth,
    /// Target bitrate, bit/s.
    pub bitrate: u32,
    /// VBR unless the receiver asked for CBR.
    pub vbr: bool,
    /// In-band FEC only when the receiver can use it.
    pub inband_fec: bool,
    /// DTX when the receiver prefers it.
    pub dtx: bool,
    /// Frame duration to use, in ms: the longest that the application's mode
    /// supports (RFC 7587 §4.2, Table 2) within `ptime` and `maxptime`.
    pub frame_ms: f64,
}

impl crate::Encoder {
    /// Applies settings derived from the receiver's fmtp parameters:
    /// maximum bandwidth, bitrate, VBR/CBR, in-band FEC and DTX.
    ///
    /// # Errors
    /// [`crate::Error`] from the first setting libopus refuses.
    pub fn apply(&mut self, settings: &EncoderSettings) -> Result<(), crate::Error> {
        // [RFC 7587 §7.2] "All other parameters of the payload format configuration are
        // declarative and a participant MUST use the configurations that are provided for
        // the session."
        self.set_max_bandwidth(settings.max_bandwidth)?;
        self.set_bitrate(crate::Bitrate::BitsPerSecond(settings.bitrate))?;
        self.set_vbr(settings.vbr)?;
        self.set_inband_fec(settings.inband_fec)?;
        self.set_dtx(settings.dtx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_absent() {
        let fmtp = OpusFmtp::parse("").unwrap_or_default();
        assert_eq!(fmtp, OpusFmtp::default());
        assert_eq!(fmtp.maxplaybackrate_or_default(), 48000);
        assert!(!fmtp.stereo_or_default());
        let settings = fmtp.encoder_settings(Application::Voip, None, None);
        assert_eq!(settings.channels, Channels::Mono);
        assert_eq!(settings.max_bandwidth, Bandwidth::Fullband);
        assert_eq!(settings.bitrate, 40_000);
        assert!(settings.vbr && !settings.inband_fec && !settings.dtx);
        assert_eq!(settings.frame_ms, 20.0);
    }

    #[test]
    fn unknown_parameters_are_ignored_and_dropped() {
        // [RFC 7587 §7.1 test] "Any unknown parameter in an offer MUST be ignored by the
        // receiver and MUST be removed from the answer."
        let fmtp = OpusFmtp::parse("minptime=10;useinbandfec=1;x-foo");
        assert_eq!(fmtp.as_ref().map(|f| f.useinbandfec), Ok(Some(true)));
        assert_eq!(
            fmtp.map(|f| f.to_string()),
            Ok("useinbandfec=1".to_string())
        );
    }

    #[test]
    fn bad_values_are_errors_with_offsets() {
        let err = OpusFmtp::parse("stereo=1; maxplaybackrate=96000");
        assert!(matches!(
            err,
            Err(FmtpError::InvalidValue {
                name: "maxplaybackrate",
                offset: 10,
                ..
            })
        ));
        assert!(matches!(
            OpusFmtp::parse("cbr=2"),
            Err(FmtpError::InvalidValue { name: "cbr", .. })
        ));
        assert!(matches!(
            OpusFmtp::parse("usedtx=1;USEDTX=0"),
            Err(FmtpError::Duplicate {
                name: "usedtx",
                offset: 9
            })
        ));
        assert!(matches!(
            OpusFmtp::parse("maxaveragebitrate=0"),
            Err(FmtpError::InvalidValue {
                name: "maxaveragebitrate",
                ..
            })
        ));
    }

    #[test]
    fn out_of_range_bitrate_is_ignored() {
        // [RFC 7587 §6.1 test] "Any positive integer is allowed, but values outside the
        // range 6000 to 510000 SHOULD be ignored."
        let fmtp = OpusFmtp::parse("maxaveragebitrate=1000").unwrap_or_default();
        assert_eq!(fmtp.maxaveragebitrate, Some(1000));
        assert_eq!(
            fmtp.encoder_settings(Application::Voip, None, None).bitrate,
            40_000
        );
        let fmtp = OpusFmtp::parse("maxaveragebitrate=24000").unwrap_or_default();
        assert_eq!(
            fmtp.encoder_settings(Application::Voip, None, None).bitrate,
            24_000
        );
    }
}
