//! RTP attributes: rtpmap, fmtp, ptime, maxptime, rtcp, rtcp-mux,
//! rtcp-mux-only, rtcp-rsize, rtcp-fb, extmap.

use super::{AttributeValue, Direction, decimal, flag_attribute, number, required};
use crate::error::AttributeError;
use crate::parse::is_token;

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`
/// (RFC 8866 §6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rtpmap<'a> {
    /// RTP payload type number.
    pub payload_type: u8,
    /// Encoding name as written (compare case-insensitively).
    pub encoding_name: &'a str,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters: the number of audio channels for audio.
    pub encoding_params: Option<&'a str>,
}

impl Rtpmap<'_> {
    /// Audio channels: the encoding parameters as a number, if present.
    pub fn channels(&self) -> Option<u32> {
        self.encoding_params.and_then(|p| p.parse().ok())
    }

    /// True when encoding name, clock rate and channels match `other`
    /// (encoding names case-insensitively; absent channels count as 1, as
    /// RFC 8866 §6.6 says for audio).
    pub fn same_codec(&self, other: &Rtpmap<'_>) -> bool {
        self.encoding_name.eq_ignore_ascii_case(other.encoding_name)
            && self.clock_rate == other.clock_rate
            && self.channels().unwrap_or(1) == other.channels().unwrap_or(1)
    }
}

const RTPMAP: &str = "RFC 8866 §6.6";

impl<'a> AttributeValue<'a> for Rtpmap<'a> {
    const NAME: &'static str = "rtpmap";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, RTPMAP)?;
        let (pt, enc) = v.split_once(' ').ok_or(AttributeError::new(
            Self::NAME,
            "needs <payload type> <encoding>",
            RTPMAP,
        ))?;
        let payload_type = number::<u8>(pt, Self::NAME, "payload type must be 0-127", RTPMAP)?;
        if payload_type > 127 {
            return Err(AttributeError::new(
                Self::NAME,
                "payload type must be 0-127",
                RTPMAP,
            ));
        }
        let mut parts = enc.splitn(3, '/');
        let encoding_name = parts.next().unwrap_or_default();
        if !is_token(encoding_name) {
            return Err(AttributeError::new(
                Self::NAME,
                "encoding name must be a token",
                RTPMAP,
            ));
        }
        let clock_rate = parts.next().ok_or(AttributeError::new(
            Self::NAME,
            "missing clock rate",
            RTPMAP,
        ))?;
        let clock_rate = number::<u32>(
            clock_rate,
            Self::NAME,
            "clock rate must be a number",
            RTPMAP,
        )?;
        let encoding_params = parts.next();
        if encoding_params.is_some_and(|p| p.is_empty() || p.contains(' ')) {
            return Err(AttributeError::new(
                Self::NAME,
                "malformed encoding parameters",
                RTPMAP,
            ));
        }
        Ok(Self {
            payload_type,
            encoding_name,
            clock_rate,
            encoding_params,
        })
    }

    fn value(&self) -> Option<String> {
        Some(match self.encoding_params {
            Some(p) => format!(
                "{} {}/{}/{p}",
                self.payload_type, self.encoding_name, self.clock_rate
            ),
            None => format!(
                "{} {}/{}",
                self.payload_type, self.encoding_name, self.clock_rate
            ),
        })
    }
}

/// `a=fmtp:<format> <format specific parameters>` (RFC 8866 §6.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fmtp<'a> {
    /// The format (payload type) the parameters apply to.
    pub format: &'a str,
    /// The parameters, verbatim.
    pub params: &'a str,
}

impl<'a> Fmtp<'a> {
    /// The `name=value` pairs of the usual `;`-separated form, with white
    /// space around each pair trimmed; a bare item yields an empty value.
    pub fn parameters(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => (p, ""),
            })
    }

    /// The value of parameter `name` (names compared case-insensitively).
    pub fn parameter(&self, name: &str) -> Option<&'a str> {
        self.parameters()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

const FMTP: &str = "RFC 8866 §6.15";

impl<'a> AttributeValue<'a> for Fmtp<'a> {
    const NAME: &'static str = "fmtp";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, FMTP)?;
        let (format, params) = v.split_once(' ').ok_or(AttributeError::new(
            Self::NAME,
            "needs <format> <parameters>",
            FMTP,
        ))?;
        if !is_token(format) {
            return Err(AttributeError::new(
                Self::NAME,
                "format must be a token",
                FMTP,
            ));
        }
        Ok(Self { format, params })
    }

    fn value(&self) -> Option<String> {
        Some(format!("{} {}", self.format, self.params))
    }
}

/// `a=ptime:<packet time>` in milliseconds (RFC 8866 §6.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ptime(pub f64);

impl<'a> AttributeValue<'a> for Ptime {
    const NAME: &'static str = "ptime";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 8866 §6.4")?;
        // [RFC 3264 §5.1] "The ptime attribute MUST be greater than zero."
        decimal(v).map(Self).ok_or(AttributeError::new(
            Self::NAME,
            "must be a positive number",
            "RFC 8866 §6.4",
        ))
    }

    fn value(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

/// `a=maxptime:<maximum packet time>` in milliseconds (RFC 8866 §6.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxPtime(pub f64);

impl<'a> AttributeValue<'a> for MaxPtime {
    const NAME: &'static str = "maxptime";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 8866 §6.5")?;
        decimal(v).map(Self).ok_or(AttributeError::new(
            Self::NAME,
            "must be a positive number",
            "RFC 8866 §6.5",
        ))
    }

    fn value(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rtcp<'a> {
    /// The RTCP port.
    pub port: u16,
    /// Network type, address type and address, when given.
    pub address: Option<(&'a str, &'a str, &'a str)>,
}

const RTCP: &str = "RFC 3605 §2.1";

impl<'a> AttributeValue<'a> for Rtcp<'a> {
    const NAME: &'static str = "rtcp";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, RTCP)?;
        let mut it = v.split(' ');
        let port = number(
            it.next().unwrap_or_default(),
            Self::NAME,
            "port must be 0-65535",
            RTCP,
        )?;
        let address = match (it.next(), it.next(), it.next(), it.next()) {
            (None, ..) => None,
            (Some(n), Some(t), Some(a), None) if is_token(n) && is_token(t) && !a.is_empty() => {
                Some((n, t, a))
            }
            _ => {
                return Err(AttributeError::new(
                    Self::NAME,
                    "needs <port> [<nettype> <addrtype> <connection-address>]",
                    RTCP,
                ));
            }
        };
        Ok(Self { port, address })
    }

    fn value(&self) -> Option<String> {
        Some(match self.address {
            Some((n, t, a)) => format!("{} {n} {t} {a}", self.port),
            None => self.port.to_string(),
        })
    }
}

flag_attribute!(
    /// `a=rtcp-mux`: RTP and RTCP share one port (RFC 5761 §5.1.1).
    RtcpMux, "rtcp-mux", "RFC 5761 §5.1.1"
);
flag_attribute!(
    /// `a=rtcp-mux-only`: RTP/RTCP multiplexing is required (RFC 8858 §3).
    RtcpMuxOnly, "rtcp-mux-only", "RFC 8858 §3"
);
flag_attribute!(
    /// `a=rtcp-rsize`: reduced-size RTCP is supported (RFC 5506 §5).
    RtcpRsize, "rtcp-rsize", "RFC 5506 §5"
);

/// `a=rtcp-fb:<pt or *> <type> [<parameters>]` (RFC 4585 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpFb<'a> {
    /// The payload type, or `None` for the wildcard `*`.
    pub payload_type: Option<u8>,
    /// The feedback type: `ack`, `nack`, `trr-int`, `ccm`, `goog-remb`, ...
    pub feedback: &'a str,
    /// The rest of the value (e.g. `pli`, `fir`), verbatim.
    pub parameters: Option<&'a str>,
}

const RTCP_FB: &str = "RFC 4585 §4.2";

impl<'a> AttributeValue<'a> for RtcpFb<'a> {
    const NAME: &'static str = "rtcp-fb";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, RTCP_FB)?;
        let (pt, rest) = v.split_once(' ').ok_or(AttributeError::new(
            Self::NAME,
            "needs <pt> <feedback type>",
            RTCP_FB,
        ))?;
        // [RFC 4585 §4.2] "rtcp-fb-pt         = "*"   ; wildcard: applies to all formats"
        let payload_type = match pt {
            "*" => None,
            _ => Some(number::<u8>(
                pt,
                Self::NAME,
                "payload type must be * or 0-127",
                RTCP_FB,
            )?),
        };
        let (feedback, parameters) = match rest.split_once(' ') {
            Some((f, p)) => (f, Some(p)),
            None => (rest, None),
        };
        if !is_token(feedback) {
            return Err(AttributeError::new(
                Self::NAME,
                "feedback type must be a token",
                RTCP_FB,
            ));
        }
        Ok(Self {
            payload_type,
            feedback,
            parameters,
        })
    }

    fn value(&self) -> Option<String> {
        let pt = self
            .payload_type
            .map_or_else(|| "*".to_owned(), |p| p.to_string());
        Some(match self.parameters {
            Some(p) => format!("{pt} {} {p}", self.feedback),
            None => format!("{pt} {}", self.feedback),
        })
    }
}

/// `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]` (RFC 8285 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extmap<'a> {
    /// Local identifier: 1–14 for one-byte headers, up to 255 for two-byte,
    /// 4096–4351 for alternatives in an offer.
    pub id: u16,
    /// Direction, when given.
    pub direction: Option<Direction>,
    /// The extension's URI.
    pub uri: &'a str,
    /// Extension attributes, verbatim.
    pub attributes: Option<&'a str>,
}

const EXTMAP: &str = "RFC 8285 §5";

impl<'a> AttributeValue<'a> for Extmap<'a> {
    const NAME: &'static str = "extmap";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, EXTMAP)?;
        let (entry, rest) =
            v.split_once(' ')
                .ok_or(AttributeError::new(Self::NAME, "needs <id> <URI>", EXTMAP))?;
        let (id, direction) = match entry.split_once('/') {
            Some((id, d)) => (
                id,
                Some(Direction::from_name(d).ok_or(AttributeError::new(
                    Self::NAME,
                    "unknown direction",
                    EXTMAP,
                ))?),
            ),
            None => (entry, None),
        };
        let id = number::<u16>(id, Self::NAME, "id must be 1-255 or 4096-4351", EXTMAP)?;
        // 1-255 is the valid range of two-byte headers (1-14 of one-byte
        // ones); 4096-4351 may be offered for alternatives (§7).
        // [RFC 8285 §5] "<value> is the local identifier (ID) of this
        // extension and is an integer in the valid range (0 is reserved for
        // padding in both forms"
        if !(1..=255).contains(&id) && !(4096..=4351).contains(&id) {
            return Err(AttributeError::new(
                Self::NAME,
                "id must be 1-255 or 4096-4351",
                EXTMAP,
            ));
        }
        let (uri, attributes) = match rest.split_once(' ') {
            Some((u, a)) => (u, Some(a)),
            None => (rest, None),
        };
        if uri.is_empty() {
            return Err(AttributeError::new(Self::NAME, "missing URI", EXTMAP));
        }
        Ok(Self {
            id,
            direction,
            uri,
            attributes,
        })
    }

    fn value(&self) -> Option<String> {
        let mut s = self.id.to_string();
        if let Some(d) = self.direction {
            s.push('/');
            s.push_str(d.name());
        }
        s.push(' ');
        s.push_str(self.uri);
        if let Some(a) = self.attributes {
            s.push(' ');
            s.push_str(a);
        }
        Some(s)
    }
}
