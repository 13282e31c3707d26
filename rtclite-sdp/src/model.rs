//! The session description model (RFC 8866 §5).
//!
//! Every text field is a [`Cow<'a, str>`]: the parser borrows from its input
//! (zero copy), a builder may own its strings, and
//! [`SessionDescription::into_owned`] turns a parsed description into one that
//! outlives the input buffer ([`OwnedSessionDescription`]).

use std::borrow::Cow;

use crate::attributes::{AttributeValue, Direction};
use crate::error::AttributeError;

/// A session description: the session-level section followed by zero or
/// more media descriptions (RFC 8866 §5).
///
/// Fields appear in the order the grammar of RFC 8866 §9 gives them, which is
/// also the order in which [`Display`](std::fmt::Display) writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription<'a> {
    /// `v=`: the protocol version; always 0 (RFC 8866 §5.1).
    pub version: u32,
    /// `o=`: originator and session identifier (RFC 8866 §5.2).
    pub origin: Origin<'a>,
    /// `s=`: the session name, never empty (RFC 8866 §5.3).
    pub session_name: Cow<'a, str>,
    /// `i=`: session information (RFC 8866 §5.4).
    pub information: Option<Cow<'a, str>>,
    /// `u=`: URI of description (RFC 8866 §5.5).
    pub uri: Option<Cow<'a, str>>,
    /// `e=` lines, verbatim (RFC 8866 §5.6).
    pub emails: Vec<Cow<'a, str>>,
    /// `p=` lines, verbatim (RFC 8866 §5.6).
    pub phones: Vec<Cow<'a, str>>,
    /// Session-level `c=` (RFC 8866 §5.7).
    pub connection: Option<Connection<'a>>,
    /// Session-level `b=` lines (RFC 8866 §5.8).
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// One or more time descriptions: `t=` with its `r=` and `z=` lines
    /// (RFC 8866 §5.9–§5.11).
    pub times: Vec<TimeDescription>,
    /// Session-level `k=` (obsolete, kept verbatim; RFC 8866 §5.12).
    pub key: Option<Cow<'a, str>>,
    /// Session-level `a=` lines in wire order (RFC 8866 §5.13).
    pub attributes: Vec<Attribute<'a>>,
    /// Media descriptions in wire order (RFC 8866 §5.14).
    pub media: Vec<MediaDescription<'a>>,
}

/// A session description that owns all its text.
pub type OwnedSessionDescription = SessionDescription<'static>;

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The user's login on the originating host, or `-`.
    pub username: Cow<'a, str>,
    /// Numeric session identifier, kept as written (it may exceed 64 bits).
    pub session_id: Cow<'a, str>,
    /// Numeric version of this description, kept as written.
    pub session_version: Cow<'a, str>,
    /// Network type, typically `IN`.
    pub nettype: Cow<'a, str>,
    /// Address type, typically `IP4` or `IP6`.
    pub addrtype: Cow<'a, str>,
    /// Address of the machine the session was created from.
    pub unicast_address: Cow<'a, str>,
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection<'a> {
    /// Network type, typically `IN`.
    pub nettype: Cow<'a, str>,
    /// Address type, typically `IP4` or `IP6`.
    pub addrtype: Cow<'a, str>,
    /// The address (or base multicast address) without the `/` suffixes.
    pub address: Cow<'a, str>,
    /// Multicast TTL (`IP4` only).
    pub ttl: Option<u8>,
    /// Number of contiguous multicast addresses.
    pub num_addresses: Option<u32>,
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8; TIAS in RFC 3890).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth<'a> {
    /// The modifier: `CT`, `AS`, `TIAS` or an experimental/unknown token.
    pub bwtype: Cow<'a, str>,
    /// The value: kilobits per second for CT and AS, bits per second for TIAS.
    pub bandwidth: u64,
}

/// A time description: `t=` with its `r=` and `z=` lines (RFC 8866 §5.9–§5.11).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeDescription {
    /// Start time, NTP seconds (0: unbounded).
    pub start: u64,
    /// Stop time, NTP seconds (0: unbounded).
    pub stop: u64,
    /// `r=` lines.
    pub repeats: Vec<RepeatTime>,
    /// The `z=` line's adjustments, if present.
    pub zone_adjustments: Option<Vec<ZoneAdjustment>>,
}

/// A time value with an optional unit letter, as in `r=` and `z=`
/// (`typed-time` of RFC 8866 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypedTime {
    /// The number as written.
    pub value: u64,
    /// The unit letter, if written.
    pub unit: Option<TimeUnit>,
}

/// Unit of a [`TypedTime`] (`fixed-len-time-unit` of RFC 8866 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// `d`: days.
    Days,
    /// `h`: hours.
    Hours,
    /// `m`: minutes.
    Minutes,
    /// `s`: seconds.
    Seconds,
}

impl TimeUnit {
    /// The unit letter.
    pub const fn letter(self) -> char {
        match self {
            Self::Days => 'd',
            Self::Hours => 'h',
            Self::Minutes => 'm',
            Self::Seconds => 's',
        }
    }

    /// Seconds in one unit.
    pub const fn seconds(self) -> u64 {
        match self {
            Self::Days => 86_400,
            Self::Hours => 3_600,
            Self::Minutes => 60,
            Self::Seconds => 1,
        }
    }
}

impl TypedTime {
    /// The value in seconds (saturating).
    pub fn as_seconds(self) -> u64 {
        self.value
            .saturating_mul(self.unit.map_or(1, TimeUnit::seconds))
    }
}

/// `r=<repeat interval> <active duration> <offsets from start-time>`
/// (RFC 8866 §5.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatTime {
    /// Repeat interval.
    pub interval: TypedTime,
    /// Active duration.
    pub duration: TypedTime,
    /// One or more offsets from the start time.
    pub offsets: Vec<TypedTime>,
}

/// One `<adjustment time> <offset>` pair of a `z=` line (RFC 8866 §5.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneAdjustment {
    /// NTP time at which the adjustment happens.
    pub time: u64,
    /// True when the offset is written with a leading `-`.
    pub negative: bool,
    /// The offset.
    pub offset: TypedTime,
}

/// One `a=` line: `a=<name>` (a property attribute) or `a=<name>:<value>`
/// (RFC 8866 §5.13). Kept verbatim; typed views are parsed on demand with
/// [`Attribute::parse_as`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute<'a> {
    /// The attribute name (a token, case-significant as written).
    pub name: Cow<'a, str>,
    /// The value after the first `:`; `None` for a property attribute.
    pub value: Option<Cow<'a, str>>,
}

/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` and the lines
/// that follow it (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription<'a> {
    /// Media type: `audio`, `video`, `text`, `application`, `image`, ...
    pub media: Cow<'a, str>,
    /// Transport port (0: stream rejected or disabled; RFC 3264 §5.1).
    pub port: u16,
    /// `/<number of ports>` when written.
    pub num_ports: Option<u16>,
    /// Transport protocol, e.g. `RTP/AVP`, `UDP/TLS/RTP/SAVPF`.
    pub proto: Cow<'a, str>,
    /// Media formats; RTP payload type numbers for RTP protocols.
    pub formats: Vec<Cow<'a, str>>,
    /// `i=`: media title.
    pub information: Option<Cow<'a, str>>,
    /// Media-level `c=` lines (several only for layered multicast).
    pub connections: Vec<Connection<'a>>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// Media-level `k=` (obsolete, verbatim).
    pub key: Option<Cow<'a, str>>,
    /// Media-level `a=` lines in wire order.
    pub attributes: Vec<Attribute<'a>>,
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

fn own_opt(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(own)
}

impl<'a> SessionDescription<'a> {
    /// Parses a session description (see [`crate::parse`]).
    ///
    /// # Errors
    /// A [`crate::ParseError`] naming the line and the rule broken.
    pub fn parse(input: &'a [u8]) -> Result<Self, crate::ParseError> {
        crate::parse::parse(input)
    }

    /// A minimal description: `v=0`, the given origin, `s=-`, `t=0 0`.
    pub fn new(origin: Origin<'a>) -> Self {
        Self {
            version: 0,
            origin,
            session_name: Cow::Borrowed("-"),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![TimeDescription::default()],
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Copies every borrowed string, so that the result outlives the input.
    pub fn into_owned(self) -> OwnedSessionDescription {
        SessionDescription {
            version: self.version,
            origin: self.origin.into_owned(),
            session_name: own(self.session_name),
            information: own_opt(self.information),
            uri: own_opt(self.uri),
            emails: self.emails.into_iter().map(own).collect(),
            phones: self.phones.into_iter().map(own).collect(),
            connection: self.connection.map(Connection::into_owned),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(Bandwidth::into_owned)
                .collect(),
            times: self.times,
            key: own_opt(self.key),
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
            media: self
                .media
                .into_iter()
                .map(MediaDescription::into_owned)
                .collect(),
        }
    }

    /// The first session-level attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute<'a>> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// True when a session-level attribute called `name` is present.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    /// Every session-level attribute of type `T`, parsed.
    pub fn typed<'s, T: AttributeValue<'s>>(
        &'s self,
    ) -> impl Iterator<Item = Result<T, AttributeError>> + 's {
        typed_iter(&self.attributes)
    }

    /// The first session-level attribute of type `T`, parsed.
    pub fn first<'s, T: AttributeValue<'s>>(&'s self) -> Option<Result<T, AttributeError>> {
        self.typed::<T>().next()
    }

    /// The session-level direction attribute (`sendrecv`, `sendonly`,
    /// `recvonly`, `inactive`), if any (RFC 8866 §6.7).
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// The direction in force for media description `index`: its own
    /// direction attribute, else the session's, else `sendrecv`
    /// (RFC 8866 §6.7).
    pub fn effective_direction(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(MediaDescription::direction)
            .or_else(|| self.direction())
            // [RFC 8866 §6.7] "If none of the media direction attributes is present at either
            // session level or media level, "a=sendrecv" SHOULD be assumed as the default."
            .unwrap_or(Direction::SendRecv)
    }

    /// The connection in force for media description `index`: its first own
    /// `c=` line, else the session's (RFC 8866 §5.7).
    pub fn effective_connection(&self, index: usize) -> Option<&Connection<'a>> {
        self.media
            .get(index)
            .and_then(|m| m.connections.first())
            .or(self.connection.as_ref())
    }
}

impl<'a> Origin<'a> {
    /// Copies every borrowed string.
    pub fn into_owned(self) -> Origin<'static> {
        Origin {
            username: own(self.username),
            session_id: own(self.session_id),
            session_version: own(self.session_version),
            nettype: own(self.nettype),
            addrtype: own(self.addrtype),
            unicast_address: own(self.unicast_address),
        }
    }

    /// The session version as a number, when it fits in 64 bits.
    pub fn session_version_number(&self) -> Option<u64> {
        self.session_version.parse().ok()
    }
}

impl<'a> Connection<'a> {
    /// A unicast `c=IN <IP4|IP6> <address>` line; the address type is IP6
    /// when the address contains a `:`.
    pub fn new(address: impl Into<Cow<'a, str>>) -> Self {
        let address = address.into();
        let addrtype = if address.contains(':') { "IP6" } else { "IP4" };
        Self {
            nettype: Cow::Borrowed("IN"),
            addrtype: Cow::Borrowed(addrtype),
            address,
            ttl: None,
            num_addresses: None,
        }
    }

    /// Copies every borrowed string.
    pub fn into_owned(self) -> Connection<'static> {
        Connection {
            nettype: own(self.nettype),
            addrtype: own(self.addrtype),
            address: own(self.address),
            ttl: self.ttl,
            num_addresses: self.num_addresses,
        }
    }

    /// True for the unspecified addresses `0.0.0.0` and `::`, which
    /// RFC 3264 §8.4 (by reference to RFC 2543) used to put a stream on hold.
    pub fn is_unspecified(&self) -> bool {
        self.address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified())
    }
}

impl<'a> Bandwidth<'a> {
    /// Copies every borrowed string.
    pub fn into_owned(self) -> Bandwidth<'static> {
        Bandwidth {
            bwtype: own(self.bwtype),
            bandwidth: self.bandwidth,
        }
    }
}

impl<'a> Attribute<'a> {
    /// An attribute `a=<name>:<value>`.
    pub fn new(name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// A property attribute `a=<name>`.
    pub fn flag(name: impl Into<Cow<'a, str>>) -> Self {
        Self {
            name: name.into(),
            value: None,
        }
    }

    /// The attribute for a typed value.
    pub fn from_typed<'t, T: AttributeValue<'t>>(value: &T) -> Attribute<'static> {
        Attribute {
            name: Cow::Borrowed(T::NAME),
            value: value.value().map(Cow::Owned),
        }
    }

    /// Copies every borrowed string.
    pub fn into_owned(self) -> Attribute<'static> {
        Attribute {
            name: own(self.name),
            value: own_opt(self.value),
        }
    }

    /// The value as a `&str` (`None` for a property attribute).
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// Parses this attribute as `T`; `None` when its name is not `T::NAME`.
    pub fn parse_as<'s, T: AttributeValue<'s>>(&'s self) -> Option<Result<T, AttributeError>> {
        (self.name == T::NAME).then(|| T::parse(self.value.as_deref()))
    }
}

impl<'a> MediaDescription<'a> {
    /// An `m=` line with no other lines.
    pub fn new(
        media: impl Into<Cow<'a, str>>,
        port: u16,
        proto: impl Into<Cow<'a, str>>,
        formats: Vec<Cow<'a, str>>,
    ) -> Self {
        Self {
            media: media.into(),
            port,
            num_ports: None,
            proto: proto.into(),
            formats,
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// Copies every borrowed string.
    pub fn into_owned(self) -> MediaDescription<'static> {
        MediaDescription {
            media: own(self.media),
            port: self.port,
            num_ports: self.num_ports,
            proto: own(self.proto),
            formats: self.formats.into_iter().map(own).collect(),
            information: own_opt(self.information),
            connections: self
                .connections
                .into_iter()
                .map(Connection::into_owned)
                .collect(),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(Bandwidth::into_owned)
                .collect(),
            key: own_opt(self.key),
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
        }
    }

    /// True when the protocol carries RTP (`RTP/AVP`, `RTP/SAVPF`,
    /// `UDP/TLS/RTP/SAVPF`, ...), so formats are payload type numbers.
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|p| p == "RTP")
    }

    /// The formats that are RTP payload type numbers (0–127), in order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok().filter(|pt| *pt <= 127))
    }

    /// The first attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute<'a>> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// True when an attribute called `name` is present.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    /// Every attribute of type `T`, parsed.
    pub fn typed<'s, T: AttributeValue<'s>>(
        &'s self,
    ) -> impl Iterator<Item = Result<T, AttributeError>> + 's {
        typed_iter(&self.attributes)
    }

    /// The first attribute of type `T`, parsed.
    pub fn first<'s, T: AttributeValue<'s>>(&'s self) -> Option<Result<T, AttributeError>> {
        self.typed::<T>().next()
    }

    /// The `a=rtpmap` for payload type `pt`, if present and well formed.
    pub fn rtpmap(&self, pt: u8) -> Option<crate::Rtpmap<'_>> {
        self.typed::<crate::Rtpmap<'_>>()
            .filter_map(Result::ok)
            .find(|r| r.payload_type == pt)
    }

    /// The `a=fmtp` for format `format`, if present and well formed.
    pub fn fmtp(&self, format: &str) -> Option<crate::Fmtp<'_>> {
        self.typed::<crate::Fmtp<'_>>()
            .filter_map(Result::ok)
            .find(|f| f.format == format)
    }

    /// This media description's own direction attribute (RFC 8866 §6.7).
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// The `a=mid` value (RFC 9143 §4 / RFC 5888).
    pub fn mid(&self) -> Option<&str> {
        self.attribute("mid").and_then(Attribute::value)
    }

    /// Replaces any direction attribute with `dir` (added last if none).
    pub fn set_direction(&mut self, dir: Direction) {
        if let Some(a) = self
            .attributes
            .iter_mut()
            .find(|a| Direction::from_name(&a.name).is_some())
        {
            a.name = Cow::Borrowed(dir.name());
            a.value = None;
        } else {
            self.attributes.push(Attribute::flag(dir.name()));
        }
    }
}

fn typed_iter<'s, 'a: 's, T: AttributeValue<'s>>(
    attrs: &'s [Attribute<'a>],
) -> impl Iterator<Item = Result<T, AttributeError>> + 's {
    attrs
        .iter()
        .filter(|a| a.name == T::NAME)
        .map(|a| T::parse(a.value.as_deref()))
}

fn direction_of(attrs: &[Attribute<'_>]) -> Option<Direction> {
    attrs
        .iter()
        .filter(|a| a.value.is_none())
        .find_map(|a| Direction::from_name(&a.name))
}
