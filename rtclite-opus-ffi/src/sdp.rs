//! RFC 7587 §7: Opus in an SDP media description, read from and written to
//! `rtclite-sdp` types (`a=rtpmap`, `a=fmtp`, `a=ptime`, `a=maxptime` and
//! source-level `a=ssrc:<id> fmtp:` of RFC 5576).

use std::borrow::Cow;

use rtclite_sdp::{Attribute, AttributeValue, Fmtp, MaxPtime, MediaDescription, Ptime, Ssrc};

use crate::fmtp::{FmtpError, OpusFmtp};
use crate::rtp::{ENCODING_NAME, RTP_CLOCK_RATE, RTPMAP_CHANNELS};

/// Why a media description does not describe a usable Opus payload type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// No well-formed `a=rtpmap` for the payload type.
    #[error("payload type {payload_type} has no a=rtpmap line")]
    NoRtpmap {
        /// The payload type.
        payload_type: u8,
    },
    /// The `a=rtpmap` names another encoding.
    #[error("payload type {payload_type} is {encoding}, not opus")]
    NotOpus {
        /// The payload type.
        payload_type: u8,
        /// The encoding name found.
        encoding: String,
    },
    /// The `a=rtpmap` clock rate or channel count is not 48000/2.
    #[error(
        "a=rtpmap:{payload_type} opus/{clock_rate}/{channels}: must be opus/48000/2 (RFC 7587 §7)"
    )]
    BadRtpmap {
        /// The payload type.
        payload_type: u8,
        /// Clock rate found.
        clock_rate: u32,
        /// Channel count found (as written; empty when absent).
        channels: String,
    },
    /// The `a=fmtp` parameters are invalid.
    #[error("a=fmtp:{payload_type}: {source}")]
    Fmtp {
        /// The payload type.
        payload_type: u8,
        /// What is wrong.
        source: FmtpError,
    },
}

/// The Opus configuration of one payload type in a media description.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpusMedia {
    /// The dynamic payload type.
    pub payload_type: u8,
    /// The `a=fmtp` parameters (defaults when the line is absent).
    pub fmtp: OpusFmtp,
    /// `a=ptime`, ms rounded up (`None`: absent, 20 ms by default).
    pub ptime: Option<u32>,
    /// `a=maxptime`, ms rounded up (`None`: absent, 120 ms by default).
    pub maxptime: Option<u32>,
}

fn ms(value: f64) -> Option<u32> {
    (value.is_finite() && value > 0.0 && value <= 1e6).then(|| value.ceil() as u32)
}

impl OpusFmtp {
    /// Parses the parameters of an `a=fmtp` line.
    ///
    /// # Errors
    /// As [`OpusFmtp::parse`].
    pub fn from_sdp(fmtp: &Fmtp<'_>) -> Result<OpusFmtp, FmtpError> {
        // [RFC 7587 §7] "The OPTIONAL media type parameters "sprop-maxcapturerate"
        // and "sprop-stereo" MAY be mapped to the "a=fmtp" SDP attribute"
        OpusFmtp::parse(fmtp.params)
    }

    /// The `a=fmtp:<pt> ...` attribute carrying these parameters, or `None`
    /// when every parameter is absent (an `a=fmtp` line needs at least one).
    pub fn to_attribute(&self, payload_type: u8) -> Option<Attribute<'static>> {
        let params = self.to_string();
        // [RFC 7587 §7] "when present, MUST be included in the "a=fmtp" attribute in the
        // SDP, expressed as a media type string in the form of a semicolon- separated list of
        // parameter=value pairs"
        (!params.is_empty()).then(|| Attribute {
            name: Cow::Borrowed(Fmtp::NAME),
            value: Some(Cow::Owned(format!("{payload_type} {params}"))),
        })
    }
}

impl OpusMedia {
    /// The payload types of `media` whose `a=rtpmap` encoding is `opus`.
    pub fn payload_types<'m>(media: &'m MediaDescription<'_>) -> impl Iterator<Item = u8> + 'm {
        media.payload_types().filter(|&pt| {
            media
                .rtpmap(pt)
                .is_some_and(|r| r.encoding_name.eq_ignore_ascii_case(ENCODING_NAME))
        })
    }

    // ptime and maxptime are negotiated by the RFC 3264 engine of rtclite-sdp; this reads
    // what was agreed.
    // [RFC 7587 §7.1 exception: rtclite-sdp offer/answer] "The "maxptime" parameter MUST be
    // handled in the same way."
    /// Reads payload type `payload_type` of `media` as Opus: its rtpmap must
    /// be `opus/48000/2`; fmtp, ptime and maxptime are read when present.
    ///
    /// # Errors
    /// [`SdpError`] naming the line at fault.
    pub fn from_media(
        media: &MediaDescription<'_>,
        payload_type: u8,
    ) -> Result<OpusMedia, SdpError> {
        let rtpmap = media
            .rtpmap(payload_type)
            .ok_or(SdpError::NoRtpmap { payload_type })?;
        if !rtpmap.encoding_name.eq_ignore_ascii_case(ENCODING_NAME) {
            return Err(SdpError::NotOpus {
                payload_type,
                encoding: rtpmap.encoding_name.to_string(),
            });
        }
        // [RFC 7587 §7] "The RTP clock rate in "a=rtpmap" MUST be 48000, and the number of
        // channels MUST be 2."
        if rtpmap.clock_rate != RTP_CLOCK_RATE
            || rtpmap.channels() != Some(u32::from(RTPMAP_CHANNELS))
        {
            return Err(SdpError::BadRtpmap {
                payload_type,
                clock_rate: rtpmap.clock_rate,
                channels: rtpmap.encoding_params.unwrap_or("").to_string(),
            });
        }
        let fmtp = match media.fmtp(&payload_type.to_string()) {
            Some(line) => OpusFmtp::from_sdp(&line).map_err(|source| SdpError::Fmtp {
                payload_type,
                source,
            })?,
            None => OpusFmtp::default(),
        };
        // [RFC 7587 §7] "The OPTIONAL media type parameters "ptime" and "maxptime" are mapped
        // to "a=ptime" and "a=maxptime" attributes, respectively, in the SDP."
        let ptime = media
            .first::<Ptime>()
            .and_then(Result::ok)
            .and_then(|p| ms(p.0));
        let maxptime = media
            .first::<MaxPtime>()
            .and_then(Result::ok)
            .and_then(|p| ms(p.0));
        Ok(OpusMedia {
            payload_type,
            fmtp,
            ptime,
            maxptime,
        })
    }

    /// The parameters that apply to the stream of one sender (`ssrc`): those
    /// of `a=fmtp`, with `sprop-maxcapturerate` and `sprop-stereo` taken from
    /// a source-level `a=ssrc:<ssrc> fmtp:<pt> ...` when given there. Other
    /// parameters in a source-level fmtp are ignored.
    ///
    /// # Errors
    /// [`SdpError::Fmtp`] when the source-level parameters are invalid.
    pub fn for_source(
        &self,
        media: &MediaDescription<'_>,
        ssrc: u32,
    ) -> Result<OpusFmtp, SdpError> {
        let payload_type = self.payload_type;
        let mut merged = self.fmtp;
        let prefix = format!("{payload_type} ");
        // [RFC 7587 §7] "These same OPTIONAL media type parameters MAY also be
        // specified using an SSRC-specific "fmtp" source-level attribute"
        let sources = media
            .typed::<Ssrc<'_>>()
            .filter_map(Result::ok)
            .filter(|s| s.ssrc == ssrc && s.attribute.eq_ignore_ascii_case(Fmtp::NAME));
        for source in sources {
            let Some(params) = source.value.and_then(|v| v.strip_prefix(prefix.as_str())) else {
                continue;
            };
            let level = OpusFmtp::parse(params).map_err(|source| SdpError::Fmtp {
                payload_type,
                source,
            })?;
            // [RFC 7587 §7] "They MAY be specified in both places, in which case the parameter
            // in the source-level attribute overrides the one found on the "a=fmtp" line."
            if level.sprop_maxcapturerate.is_some() {
                merged.sprop_maxcapturerate = level.sprop_maxcapturerate;
            }
            if level.sprop_stereo.is_some() {
                merged.sprop_stereo = level.sprop_stereo;
            }
            // Parameters put where the RFC forbids them are ignored, not rejected, so the rest
            // of the description stays usable.
            // [RFC 7587 §7 exception: ignored when received] "They MUST NOT be specified in an
            // SSRC- specific "fmtp" source-level attribute"
        }
        // [RFC 7587 §7] "The value of any parameter that is not specified in a source-level
        // source attribute MUST be taken from the "a=fmtp" line, if it is present there."
        Ok(merged)
    }

    /// The attributes describing this payload type: `a=rtpmap:<pt>
    /// opus/48000/2`, then `a=fmtp`, `a=ptime` and `a=maxptime` when set.
    pub fn to_attributes(&self) -> Vec<Attribute<'static>> {
        let attr = |name: &'static str, value: String| Attribute {
            name: Cow::Borrowed(name),
            value: Some(Cow::Owned(value)),
        };
        let mut out = vec![attr(
            "rtpmap",
            format!(
                "{} {ENCODING_NAME}/{RTP_CLOCK_RATE}/{RTPMAP_CHANNELS}",
                self.payload_type
            ),
        )];
        out.extend(self.fmtp.to_attribute(self.payload_type));
        if let Some(ptime) = self.ptime {
            out.push(attr(Ptime::NAME, ptime.to_string()));
        }
        if let Some(maxptime) = self.maxptime {
            out.push(attr(MaxPtime::NAME, maxptime.to_string()));
        }
        out
    }
}
