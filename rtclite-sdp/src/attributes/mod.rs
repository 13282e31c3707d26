//! Typed views of well-known attributes.
//!
//! The parser keeps every `a=` line verbatim as an [`Attribute`]; the types
//! here are parsed from it on demand (zero copy: they borrow the attribute's
//! value) and turned back into an [`Attribute`] with
//! [`Attribute::from_typed`]. Unknown attributes simply stay raw; an
//! attribute the application does not understand is ignored, as RFC 8866 §5
//! requires.
//!
//! ```
//! use rtclite_sdp::{Attribute, Rtpmap};
//! let a = Attribute::new("rtpmap", "97 opus/48000/2");
//! let r = a.parse_as::<Rtpmap>().unwrap()?;
//! assert_eq!((r.payload_type, r.encoding_name, r.clock_rate, r.channels()), (97, "opus", 48000, Some(2)));
//! assert_eq!(Attribute::from_typed(&r), a);
//! # Ok::<(), rtclite_sdp::AttributeError>(())
//! ```
//!
//! [`Attribute`]: crate::Attribute
//! [`Attribute::from_typed`]: crate::Attribute::from_typed

use std::fmt;

use crate::error::AttributeError;
use crate::parse::canonical_u64;

mod grouping;
mod ice;
mod rtp;
mod security;

pub use grouping::{BundleOnly, Group, Mid, Msid, Ssrc, SsrcGroup};
pub use ice::{
    Candidate, CandidateType, EndOfCandidates, IceLite, IceOptions, IcePwd, IceUfrag,
    RemoteCandidate, RemoteCandidates,
};
pub use rtp::{
    Extmap, Fmtp, MaxPtime, Ptime, Rtcp, RtcpFb, RtcpMux, RtcpMuxOnly, RtcpRsize, Rtpmap,
};
pub use security::{Crypto, Fingerprint, KeyParam, Lifetime, Mki, Setup};

/// A typed attribute: its name, how to parse its value and how to write it.
pub trait AttributeValue<'a>: Sized {
    /// The attribute name, e.g. `"rtpmap"`.
    const NAME: &'static str;

    /// Parses the value (`None` for a property attribute `a=<name>`).
    ///
    /// # Errors
    /// An [`AttributeError`] naming what is wrong and the RFC section.
    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError>;

    /// The value to write after `a=<name>:`, or `None` for a property
    /// attribute.
    fn value(&self) -> Option<String>;
}

/// Media direction (RFC 8866 §6.7; the offer/answer rules are RFC 3264 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`: send and receive.
    SendRecv,
    /// `a=sendonly`: send only.
    SendOnly,
    /// `a=recvonly`: receive only.
    RecvOnly,
    /// `a=inactive`: neither.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction called `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    /// True when this side sends.
    pub const fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// True when this side receives.
    pub const fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The direction with the given send and receive flags.
    pub const fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// The same stream seen from the other side (sendonly ↔ recvonly).
    pub const fn reversed(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Declares a property attribute (`a=<name>`, no value).
macro_rules! flag_attribute {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $rfc:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $ty;

        impl<'a> $crate::attributes::AttributeValue<'a> for $ty {
            const NAME: &'static str = $name;

            fn parse(value: Option<&'a str>) -> Result<Self, $crate::AttributeError> {
                match value {
                    None => Ok($ty),
                    Some(_) => Err($crate::AttributeError::new($name, "takes no value", $rfc)),
                }
            }

            fn value(&self) -> Option<String> {
                None
            }
        }
    };
}
pub(crate) use flag_attribute;

/// The value of an attribute that needs one.
pub(crate) fn required<'a>(
    value: Option<&'a str>,
    name: &'static str,
    rfc: &'static str,
) -> Result<&'a str, AttributeError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AttributeError::new(name, "needs a value", rfc))
}

/// A decimal number that fits `T`, written without leading zeros.
pub(crate) fn number<T: TryFrom<u64>>(
    s: &str,
    name: &'static str,
    what: &'static str,
    rfc: &'static str,
) -> Result<T, AttributeError> {
    canonical_u64(s)
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| AttributeError::new(name, what, rfc))
}

/// A positive decimal number with an optional fraction (`non-zero-int-or-real`
/// of RFC 8866 §9).
pub(crate) fn decimal(s: &str) -> Option<f64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
}

/// Declares a single-value attribute kept as a string slice.
macro_rules! text_attribute {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $rfc:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty<'a>(pub &'a str);

        impl<'a> $crate::attributes::AttributeValue<'a> for $ty<'a> {
            const NAME: &'static str = $name;

            fn parse(value: Option<&'a str>) -> Result<Self, $crate::AttributeError> {
                let v = $crate::attributes::required(value, $name, $rfc)?;
                let check: fn(&str) -> bool = $check;
                if !check(v) {
                    return Err($crate::AttributeError::new($name, "malformed value", $rfc));
                }
                Ok($ty(v))
            }

            fn value(&self) -> Option<String> {
                Some(self.0.to_owned())
            }
        }
    };
}
pub(crate) use text_attribute;

/// `a=sctp-port:<port>` (RFC 8841 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SctpPort(pub u16);

impl<'a> AttributeValue<'a> for SctpPort {
    const NAME: &'static str = "sctp-port";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 8841 §5.1")?;
        Ok(Self(number(
            v,
            Self::NAME,
            "port must be 0-65535",
            "RFC 8841 §5.1",
        )?))
    }

    fn value(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

/// `a=max-message-size:<bytes>` (RFC 8841 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxMessageSize(pub u64);

impl<'a> AttributeValue<'a> for MaxMessageSize {
    const NAME: &'static str = "max-message-size";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 8841 §6.1")?;
        Ok(Self(number(
            v,
            Self::NAME,
            "must be a decimal number",
            "RFC 8841 §6.1",
        )?))
    }

    fn value(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

/// `a=framerate:<frame rate>` (RFC 8866 §6.8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Framerate(pub f64);

impl<'a> AttributeValue<'a> for Framerate {
    const NAME: &'static str = "framerate";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 8866 §6.8")?;
        decimal(v).map(Self).ok_or_else(|| {
            AttributeError::new(Self::NAME, "must be a positive number", "RFC 8866 §6.8")
        })
    }

    fn value(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

text_attribute!(
    /// `a=label:<label>` (RFC 4574), kept verbatim.
    Label, "label", "RFC 4574 §4", |v| !v.is_empty()
);

text_attribute!(
    /// `a=tool:<name and version of tool>` (RFC 8866 §6.3).
    Tool, "tool", "RFC 8866 §6.3", |v| !v.is_empty()
);

/// A bandwidth modifier of RFC 8866 §5.8 and RFC 3890.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BandwidthType {
    /// `CT`: conference total, kbit/s.
    ConferenceTotal,
    /// `AS`: application specific (the RTP session bandwidth), kbit/s.
    ApplicationSpecific,
    /// `TIAS`: transport independent application specific, bit/s (RFC 3890).
    Tias,
    /// An `X-` experimental or unregistered modifier.
    Other,
}

impl BandwidthType {
    /// Classifies a `<bwtype>` token.
    pub fn from_token(token: &str) -> Self {
        match token {
            "CT" => Self::ConferenceTotal,
            "AS" => Self::ApplicationSpecific,
            "TIAS" => Self::Tias,
            _ => Self::Other,
        }
    }
}
