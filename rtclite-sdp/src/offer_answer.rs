//! The offer/answer model (RFC 3264) with SDES crypto selection (RFC 4568).
//!
//! Three layers, each usable alone:
//!
//! - [`build_offer`] and [`build_answer`] turn local capabilities
//!   ([`EndpointConfig`]) into a description, statelessly;
//! - [`negotiate`] checks an answer against its offer (RFC 3264 §6, §7) and
//!   says what was agreed ([`NegotiatedSession`]: codecs with the payload
//!   types to send and receive, directions, remote addresses, SRTP keys, ICE
//!   credentials);
//! - [`OfferAnswer`] keeps the state a user agent needs across exchanges
//!   (RFC 3264 §8): the previous SDP in each direction, the `o=` version,
//!   streams added and removed, hold and resume.
//!
//! Nothing here does I/O or draws random numbers: ports, addresses and SRTP
//! master keys are the caller's.
//!
//! ```
//! use rtclite_sdp::offer_answer::{build_answer, negotiate, Codec, EndpointConfig, StreamConfig};
//! use rtclite_sdp::{Direction, SessionDescription};
//!
//! let offer = SessionDescription::parse(b"v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\n\
//!     c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97\r\n\
//!     a=rtpmap:97 iLBC/8000\r\na=sendonly\r\n")?;
//! let bob = EndpointConfig::new("bob", 7, "192.0.2.2")
//!     .with_stream(StreamConfig::new("audio", "RTP/AVP", 49172)
//!         .with_codec(Codec::new(8, "PCMA", 8000))
//!         .with_codec(Codec::new(96, "iLBC", 8000)));
//! let answer = build_answer(&offer, &bob, 1)?;
//! let m = &answer.media[0];
//! // Offerer's payload type numbers, offer order, direction from the table of §6.1.
//! assert_eq!(m.formats, ["8", "97"]);
//! assert_eq!(answer.effective_direction(0), Direction::RecvOnly);
//! let agreed = negotiate(&offer, &answer, false)?;
//! assert_eq!(agreed.media[0].codecs[0].encoding_name, "PCMA");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;

use crate::Direction;
use crate::attributes::{
    AttributeValue, Candidate, Crypto, Fingerprint, Fmtp, Group, IcePwd, IceUfrag, Ptime,
    RemoteCandidates, Rtcp, Rtpmap, Setup,
};
use crate::error::{AttributeError, NegotiationError};
use crate::model::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, OwnedSessionDescription,
    SessionDescription,
};

/// A codec the endpoint supports, with the payload type it prefers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// Payload type used in offers (answers reuse the offerer's numbers).
    pub payload_type: u8,
    /// Encoding name, e.g. `opus`, `PCMU` (matched case-insensitively).
    pub encoding_name: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Channels (audio); `None` means one.
    pub channels: Option<u32>,
    /// `a=fmtp` parameters this endpoint sends with the codec.
    pub fmtp: Option<String>,
    /// `a=rtcp-fb` values (after the payload type), e.g. `nack pli`.
    pub rtcp_fb: Vec<String>,
}

impl Codec {
    /// A codec with no channels, fmtp or feedback.
    pub fn new(payload_type: u8, encoding_name: impl Into<String>, clock_rate: u32) -> Self {
        Self {
            payload_type,
            encoding_name: encoding_name.into(),
            clock_rate,
            channels: None,
            fmtp: None,
            rtcp_fb: Vec::new(),
        }
    }

    /// Sets the channel count.
    #[must_use]
    pub fn with_channels(mut self, channels: u32) -> Self {
        self.channels = Some(channels);
        self
    }

    /// Sets the fmtp parameters.
    #[must_use]
    pub fn with_fmtp(mut self, fmtp: impl Into<String>) -> Self {
        self.fmtp = Some(fmtp.into());
        self
    }

    /// Adds an `a=rtcp-fb` value.
    #[must_use]
    pub fn with_rtcp_fb(mut self, fb: impl Into<String>) -> Self {
        self.rtcp_fb.push(fb.into());
        self
    }

    /// `telephone-event/8000` (RFC 4733) with events 0-15.
    pub fn telephone_event(payload_type: u8) -> Self {
        Self::new(payload_type, "telephone-event", 8000).with_fmtp("0-15")
    }

    fn matches(&self, name: &str, rate: u32, channels: Option<u32>) -> bool {
        self.encoding_name.eq_ignore_ascii_case(name)
            && self.clock_rate == rate
            && self.channels.unwrap_or(1) == channels.unwrap_or(1)
    }

    /// True for formats that only accompany a media codec: telephone-event,
    /// comfort noise, redundancy, retransmission and FEC.
    pub fn is_secondary(&self) -> bool {
        is_secondary(&self.encoding_name)
    }
}

fn is_secondary(name: &str) -> bool {
    ["telephone-event", "CN", "red", "rtx", "ulpfec", "flexfec"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
}

/// The static payload types of RFC 3551 §6 (Tables 4 and 5): encoding name,
/// clock rate and channels.
pub fn static_payload_type(pt: u8) -> Option<(&'static str, u32, Option<u32>)> {
    Some(match pt {
        0 => ("PCMU", 8000, Some(1)),
        3 => ("GSM", 8000, Some(1)),
        4 => ("G723", 8000, Some(1)),
        5 => ("DVI4", 8000, Some(1)),
        6 => ("DVI4", 16000, Some(1)),
        7 => ("LPC", 8000, Some(1)),
        8 => ("PCMA", 8000, Some(1)),
        9 => ("G722", 8000, Some(1)),
        10 => ("L16", 44100, Some(2)),
        11 => ("L16", 44100, Some(1)),
        12 => ("QCELP", 8000, Some(1)),
        13 => ("CN", 8000, Some(1)),
        14 => ("MPA", 90000, None),
        15 => ("G728", 8000, Some(1)),
        16 => ("DVI4", 11025, Some(1)),
        17 => ("DVI4", 22050, Some(1)),
        18 => ("G729", 8000, Some(1)),
        25 => ("CelB", 90000, None),
        26 => ("JPEG", 90000, None),
        28 => ("nv", 90000, None),
        31 => ("H261", 90000, None),
        32 => ("MPV", 90000, None),
        33 => ("MP2T", 90000, None),
        34 => ("H263", 90000, None),
        _ => return None,
    })
}

/// One SDES key this endpoint is willing to use (RFC 4568): the caller draws
/// the key, so the engine stays deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesKey {
    /// Crypto suite, e.g. `AES_CM_128_HMAC_SHA1_80`.
    pub suite: String,
    /// Key parameters as written after the suite, e.g.
    /// `inline:<base64 key||salt>|2^31`.
    pub key_params: String,
}

/// ICE credentials of one side (RFC 8839 §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCredentials {
    /// `ice-ufrag`.
    pub ufrag: String,
    /// `ice-pwd`.
    pub pwd: String,
}

/// What this endpoint can do for one kind of stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// Media type: `audio`, `video`, ...
    pub media: String,
    /// Transport protocol, e.g. `RTP/AVP`, `RTP/SAVP`.
    pub proto: String,
    /// Local port. When several m-lines use this configuration, the k-th
    /// one gets `port + 2k`.
    pub port: u16,
    /// Address for a media-level `c=` line, when it differs from the
    /// session's.
    pub address: Option<String>,
    /// TTL of an IPv4 multicast `address` (RFC 8866 §5.7); see
    /// [`StreamConfig::with_multicast`].
    pub ttl: Option<u8>,
    /// Supported codecs in order of preference.
    pub codecs: Vec<Codec>,
    /// The direction wanted when not on hold.
    pub direction: Direction,
    /// SDES keys, in order of preference (offers list them all).
    pub sdes: Vec<SdesKey>,
    /// Offer and accept `a=rtcp-mux` (RFC 5761).
    pub rtcp_mux: bool,
    /// Local ICE credentials, when ICE is used.
    pub ice: Option<IceCredentials>,
    /// Further attributes written verbatim after the engine's own (ptime,
    /// candidates, fingerprint, setup, ...).
    pub attributes: Vec<Attribute<'static>>,
    /// Media-level `b=` lines (RFC 8866 §5.8) written in offers and
    /// unicast answers: the bandwidth this side wants to receive.
    pub bandwidths: Vec<Bandwidth<'static>>,
    /// Offer this stream as `bundle-only` (RFC 9143 §6, §7.2): in an offer
    /// that proposes a BUNDLE group, port 0 and `a=bundle-only`, so that
    /// the answerer accepts it only inside the group. See
    /// [`StreamConfig::with_bundle_only`].
    pub bundle_only: bool,
}

impl StreamConfig {
    /// A sendrecv stream with no codecs yet.
    pub fn new(media: impl Into<String>, proto: impl Into<String>, port: u16) -> Self {
        Self {
            media: media.into(),
            proto: proto.into(),
            port,
            address: None,
            ttl: None,
            codecs: Vec::new(),
            direction: Direction::SendRecv,
            sdes: Vec::new(),
            rtcp_mux: false,
            ice: None,
            attributes: Vec::new(),
            bandwidths: Vec::new(),
            bundle_only: false,
        }
    }

    /// Adds a codec (after the ones already there).
    #[must_use]
    pub fn with_codec(mut self, codec: Codec) -> Self {
        self.codecs.push(codec);
        self
    }

    /// Sets the wanted direction.
    #[must_use]
    pub fn with_direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Sets a media-level address.
    #[must_use]
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// Sends to and receives from a multicast group: a media-level
    /// `c=<address>/<ttl>` (RFC 3264 §5.1, RFC 8866 §5.7; the TTL is
    /// written for IPv4 only).
    #[must_use]
    pub fn with_multicast(mut self, address: impl Into<String>, ttl: u8) -> Self {
        self.address = Some(address.into());
        self.ttl = Some(ttl);
        self
    }

    /// Adds an SDES key.
    #[must_use]
    pub fn with_sdes(mut self, suite: impl Into<String>, key_params: impl Into<String>) -> Self {
        self.sdes.push(SdesKey {
            suite: suite.into(),
            key_params: key_params.into(),
        });
        self
    }

    /// Enables `a=rtcp-mux`.
    #[must_use]
    pub fn with_rtcp_mux(mut self) -> Self {
        self.rtcp_mux = true;
        self
    }

    /// Sets the ICE credentials.
    #[must_use]
    pub fn with_ice(mut self, ufrag: impl Into<String>, pwd: impl Into<String>) -> Self {
        self.ice = Some(IceCredentials {
            ufrag: ufrag.into(),
            pwd: pwd.into(),
        });
        self
    }

    /// Adds a verbatim attribute.
    #[must_use]
    pub fn with_attribute(mut self, attribute: Attribute<'static>) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a media-level `b=<bwtype>:<bandwidth>` line (RFC 8866 §5.8),
    /// e.g. `("AS", 200)`.
    #[must_use]
    pub fn with_bandwidth(mut self, bwtype: impl Into<String>, bandwidth: u64) -> Self {
        self.bandwidths.push(Bandwidth {
            bwtype: Cow::Owned(bwtype.into()),
            bandwidth,
        });
        self
    }

    /// Offers this stream as `bundle-only` (RFC 9143 §6): the answerer may
    /// accept it only inside the BUNDLE group, and rejects it when it does
    /// not support BUNDLE or does not keep the stream in the group.
    ///
    /// In an offer that proposes the group (the initial BUNDLE offer,
    /// §7.2) the m-line gets port 0, `a=bundle-only`, no `c=` line of its
    /// own and none of the BUNDLE (IDENTICAL and TRANSPORT category)
    /// attributes such as `rtcp-mux` or the ICE and DTLS ones (§7.1.3);
    /// it is never the offerer-tagged m-line (§7.2.1). Once the group is
    /// negotiated, later offers ([`OfferAnswer::create_offer`]) put the
    /// stream on the BUNDLE address:port like every bundled m-line
    /// (§7.5): an answerer cannot move it out of a negotiated group
    /// (§7.3.2), so the attribute is no longer needed.
    ///
    /// The endpoint must offer BUNDLE ([`EndpointConfig::with_bundle`])
    /// and have at least one stream that is not bundle-only; otherwise
    /// [`build_offer`] and [`OfferAnswer::create_offer`] refuse.
    /// [`NegotiatedMedia::bundle_only`] says what the answer made of it.
    ///
    /// ```
    /// use rtclite_sdp::offer_answer::{
    ///     BundleOnlyOutcome, Codec, EndpointConfig, OfferAnswer, StreamConfig,
    /// };
    ///
    /// let alice = EndpointConfig::new("alice", 1, "192.0.2.1")
    ///     .with_bundle()
    ///     .with_stream(StreamConfig::new("audio", "RTP/AVP", 10000).with_codec(Codec::new(0, "PCMU", 8000)))
    ///     .with_stream(
    ///         StreamConfig::new("video", "RTP/AVP", 10002)
    ///             .with_codec(Codec::new(96, "VP8", 90000))
    ///             .with_bundle_only(),
    ///     );
    /// let bob = EndpointConfig::new("bob", 1, "192.0.2.2")
    ///     .with_stream(StreamConfig::new("audio", "RTP/AVP", 20000).with_codec(Codec::new(0, "PCMU", 8000)))
    ///     .with_stream(StreamConfig::new("video", "RTP/AVP", 20002).with_codec(Codec::new(96, "VP8", 90000)));
    /// let (mut alice, mut bob) = (OfferAnswer::new(alice, 1), OfferAnswer::new(bob, 1));
    ///
    /// let offer = alice.create_offer()?;
    /// assert!(offer.to_string().contains("m=video 0 RTP/AVP 96\r\na=mid:1\r\na=bundle-only\r\n"));
    /// let answer = bob.receive_offer(&offer)?;
    /// let video = &alice.receive_answer(&answer)?.media[1];
    /// assert_eq!(video.bundle_only, Some(BundleOnlyOutcome::Bundled));
    /// assert_eq!(video.remote_rtp, Some(("192.0.2.2".to_owned(), 20000)));
    /// # Ok::<(), rtclite_sdp::NegotiationError>(())
    /// ```
    #[must_use]
    pub fn with_bundle_only(mut self) -> Self {
        self.bundle_only = true;
        self
    }

    fn accepts(&self, m: &MediaDescription<'_>) -> bool {
        self.media == m.media && self.proto.eq_ignore_ascii_case(&m.proto)
    }
}

/// Everything this endpoint can do: its identity for `o=`, its address for
/// `c=`, and its streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// `o=` username (`-` when there is none).
    pub username: String,
    /// `o=` session id (RFC 3264 §5: representable as a 64-bit signed integer).
    pub session_id: u64,
    /// Session-level `c=` address (IPv4 or IPv6 literal, or a host name).
    pub address: String,
    /// `s=` text; `-` by default (RFC 3264 §5 recommends `-` or a space).
    pub session_name: String,
    /// Stream configurations: offers use them in order; answers use the
    /// first one whose media type and protocol match an offered m-line.
    pub streams: Vec<StreamConfig>,
    /// Offer to put every stream in one BUNDLE group (RFC 9143), those
    /// marked [`StreamConfig::with_bundle_only`] as bundle-only. Answers
    /// accept an offered BUNDLE group whatever this says.
    pub bundle: bool,
}

impl EndpointConfig {
    /// An endpoint with no streams.
    pub fn new(username: impl Into<String>, session_id: u64, address: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            session_id,
            address: address.into(),
            // [RFC 3264 §5] "For unicast sessions, it is RECOMMENDED that it consist of a single
            // space character (0x20) or a dash (-)."
            // [RFC 8866 §5.3] "If a session has no meaningful name, then "s= " or "s=-" (i.e., a
            // single space or dash as the session name) is RECOMMENDED."
            session_name: "-".to_owned(),
            streams: Vec::new(),
            bundle: false,
        }
    }

    /// Offers every stream in one BUNDLE group (RFC 9143 §7.2): each
    /// m-line gets an `a=mid` (its index, unless the stream configuration
    /// has one) and `a=rtcp-mux`.
    #[must_use]
    pub fn with_bundle(mut self) -> Self {
        self.bundle = true;
        self
    }

    /// Sets the `s=` text.
    #[must_use]
    pub fn with_session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = name.into();
        self
    }

    /// Adds a stream configuration.
    #[must_use]
    pub fn with_stream(mut self, stream: StreamConfig) -> Self {
        self.streams.push(stream);
        self
    }

    fn skeleton(&self, version: u64) -> OwnedSessionDescription {
        // [RFC 8866 §5.12] "The "k=" line (key-field) is obsolete and MUST NOT be used."
        let mut sdp = SessionDescription::new(Origin {
            username: Cow::Owned(self.username.clone()),
            // [RFC 3264 §5] "The numeric value of the session id and version in the o line MUST be
            // representable with a 64 bit signed integer."
            session_id: Cow::Owned(self.session_id.min(i64::MAX as u64).to_string()),
            session_version: Cow::Owned(version.to_string()),
            nettype: Cow::Borrowed("IN"),
            addrtype: Cow::Borrowed(if self.address.contains(':') {
                "IP6"
            } else {
                "IP4"
            }),
            unicast_address: Cow::Owned(self.address.clone()),
        });
        sdp.session_name = Cow::Owned(self.session_name.clone());
        sdp.connection = Some(Connection::new(Cow::Owned(self.address.clone())));
        sdp
    }
}

/// A codec both sides agreed on for one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedCodec {
    /// Payload type to put in RTP packets this side sends.
    pub send_payload_type: u8,
    /// Payload type the peer will put in RTP packets it sends here.
    pub recv_payload_type: u8,
    /// Encoding name as the offer wrote it.
    pub encoding_name: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels (1 when not written).
    pub channels: u32,
    /// fmtp this side declared, if any.
    pub local_fmtp: Option<String>,
    /// fmtp the peer declared, if any.
    pub remote_fmtp: Option<String>,
}

/// The SDES crypto agreed for a stream (RFC 4568 §5.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedCrypto {
    /// The accepted tag.
    pub tag: u32,
    /// The suite, the same in both directions.
    pub suite: String,
    /// This side's key parameters (protect what it sends).
    pub local_key_params: String,
    /// The peer's key parameters (unprotect what it sends).
    pub remote_key_params: String,
}

/// What was agreed for one m-line.
#[derive(Debug, Clone, PartialEq)]
pub struct NegotiatedMedia {
    /// Position of the m-line.
    pub index: usize,
    /// Media type.
    pub media: String,
    /// Transport protocol.
    pub proto: String,
    /// `a=mid`, when present.
    pub mid: Option<String>,
    /// False when either side has port 0 (rejected or removed stream).
    pub accepted: bool,
    /// Direction from this side's point of view.
    pub direction: Direction,
    /// Agreed codecs, the one to send with first (RFC 3264 §6.1, §7).
    pub codecs: Vec<NegotiatedCodec>,
    /// Where to send RTP; `None` when rejected or the peer's address is
    /// unspecified (0.0.0.0, RFC 3264 §8.4).
    pub remote_rtp: Option<(String, u16)>,
    /// Where to send RTCP (a=rtcp, else rtcp-mux, else RTP port + 1).
    pub remote_rtcp: Option<(String, u16)>,
    /// Both sides use RTP/RTCP multiplexing (RFC 5761).
    pub rtcp_mux: bool,
    /// SDES crypto, when negotiated.
    pub crypto: Option<NegotiatedCrypto>,
    /// The peer's ICE credentials (media level, else session level).
    pub remote_ice: Option<IceCredentials>,
    /// The peer's `a=candidate` values.
    pub remote_candidates: Vec<String>,
    /// The peer's DTLS fingerprint (hash function, value).
    pub remote_fingerprint: Option<(String, String)>,
    /// The peer's `a=setup`.
    pub remote_setup: Option<Setup>,
    /// The packet time the peer wants to receive, in ms.
    pub remote_ptime: Option<f64>,
    /// In a BUNDLE group (RFC 9143): the index of the tagged m-line whose
    /// transport (address, port, ICE, DTLS) this m-line shares — its own
    /// index for the tagged one. `None` when not bundled.
    pub bundle: Option<usize>,
    /// The peer's `a=remote-candidates` (RFC 8839 §5.2): the candidates of
    /// ours its controlling agent selected, as (component, address, port).
    pub selected_by_peer: Vec<(u16, String, u16)>,
    /// The peer restarted ICE for this stream in this exchange: its
    /// ice-ufrag and ice-pwd both changed (RFC 8839 §4.4.1.1.1). Set by
    /// [`OfferAnswer`], which knows the previous description.
    pub ice_restart: bool,
    /// `Some` when the offer carried this m-line as bundle-only (port 0
    /// and `a=bundle-only` inside a BUNDLE group, RFC 9143 §6): what the
    /// answer made of it.
    pub bundle_only: Option<BundleOnlyOutcome>,
}

/// What the answer made of an m-line offered as bundle-only (RFC 9143 §6,
/// §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleOnlyOutcome {
    /// Accepted inside the BUNDLE group: the stream is live on the BUNDLE
    /// transport of the tagged m-line ([`NegotiatedMedia::bundle`]).
    Bundled,
    /// The answer created the BUNDLE group but rejected this m-line
    /// (port 0, not in the group; §7.3.3): the stream is not used.
    Rejected,
    /// The answer created no BUNDLE group for it (an answerer without
    /// BUNDLE support, or one that declined the group, §7.3.1): like any
    /// port-0 offer it is rejected (RFC 3264 §8.2), so the stream is not
    /// used.
    NoBundleGroup,
}

impl NegotiatedMedia {
    /// The agreed telephone-event codec, if any.
    pub fn telephone_event(&self) -> Option<&NegotiatedCodec> {
        self.codecs
            .iter()
            .find(|c| c.encoding_name.eq_ignore_ascii_case("telephone-event"))
    }

    /// The first agreed codec that is not telephone-event, CN, red, rtx or FEC.
    pub fn primary_codec(&self) -> Option<&NegotiatedCodec> {
        self.codecs.iter().find(|c| !is_secondary(&c.encoding_name))
    }
}

/// What was agreed for the whole session.
#[derive(Debug, Clone, PartialEq)]
pub struct NegotiatedSession {
    /// One entry per m-line, in order.
    pub media: Vec<NegotiatedMedia>,
}

/// A format of an m-line resolved to its codec.
#[derive(Debug, Clone, Copy)]
struct Format<'s> {
    token: &'s str,
    payload_type: Option<u8>,
    name: &'s str,
    clock_rate: u32,
    channels: Option<u32>,
    fmtp: Option<&'s str>,
}

fn formats<'s>(m: &'s MediaDescription<'_>) -> Vec<Format<'s>> {
    let maps: Vec<Rtpmap<'s>> = m.typed::<Rtpmap<'s>>().filter_map(Result::ok).collect();
    let fmtps: Vec<Fmtp<'s>> = m.typed::<Fmtp<'s>>().filter_map(Result::ok).collect();
    m.formats
        .iter()
        .filter_map(|token| {
            let pt = token.parse::<u8>().ok().filter(|p| *p <= 127);
            let fmtp = fmtps
                .iter()
                .find(|f| f.format == token.as_ref())
                .map(|f| f.params);
            // [RFC 3264 §5.1] "If there is no "a=rtpmap", the default payload
            // type mapping, as defined by the current profile in use (for
            // example, RFC 1890 [5]) is to be used."
            match pt.and_then(|pt| maps.iter().find(|r| r.payload_type == pt)) {
                Some(r) => Some(Format {
                    token,
                    payload_type: pt,
                    name: r.encoding_name,
                    clock_rate: r.clock_rate,
                    channels: r.channels(),
                    fmtp,
                }),
                None => pt
                    .and_then(static_payload_type)
                    .map(|(name, clock_rate, channels)| Format {
                        token,
                        payload_type: pt,
                        name,
                        clock_rate,
                        channels,
                        fmtp,
                    }),
            }
        })
        .collect()
}

fn same_codec(a: &Format<'_>, b: &Format<'_>) -> bool {
    a.name.eq_ignore_ascii_case(b.name)
        && a.clock_rate == b.clock_rate
        && a.channels.unwrap_or(1) == b.channels.unwrap_or(1)
}

fn fmtp_param<'s>(fmtp: Option<&'s str>, name: &str) -> Option<&'s str> {
    fmtp.and_then(|f| {
        Fmtp {
            format: "",
            params: f,
        }
        .parameter(name)
    })
}

fn is_srtp_sdes_proto(proto: &str) -> bool {
    // RTP/SAVP and RTP/SAVPF carry SDES; UDP/TLS/RTP/SAVP(F) key with DTLS.
    proto.eq_ignore_ascii_case("RTP/SAVP") || proto.eq_ignore_ascii_case("RTP/SAVPF")
}

fn rejected(offer_m: &MediaDescription<'_>) -> MediaDescription<'static> {
    // [RFC 3264 §6] "To reject an offered stream, the port number in the
    // corresponding stream in the answer MUST be set to zero.  Any media
    // formats listed are ignored.  At least one MUST be present, as
    // specified by SDP."
    let first = offer_m
        .formats
        .first()
        .map_or(Cow::Borrowed("0"), |f| Cow::Owned(f.to_string()));
    let mut m = MediaDescription::new(
        Cow::Owned(offer_m.media.to_string()),
        0,
        Cow::Owned(offer_m.proto.to_string()),
        vec![first],
    );
    if let Some(mid) = offer_m.mid() {
        m.attributes
            .push(Attribute::new("mid", Cow::Owned(mid.to_owned())));
    }
    m
}

/// True for an IPv4 or IPv6 multicast connection address.
fn is_multicast(c: &Connection<'_>) -> bool {
    c.address
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_multicast())
}

/// Attributes of the IDENTICAL and TRANSPORT multiplexing categories that
/// the engine writes or recognises: inside a BUNDLE group they belong to the
/// tagged m-line only. `a=crypto` stays on every m-line, because the engine
/// keys each m-line's SDES on its own.
const BUNDLE_ATTRIBUTES: &[&str] = &[
    "rtcp",
    "rtcp-mux",
    "rtcp-mux-only",
    "rtcp-rsize",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-pacing",
    "ice-lite",
    "candidate",
    "remote-candidates",
    "end-of-candidates",
    "fingerprint",
    "setup",
    "tls-id",
];

/// The ICE attributes of RFC 8839 §5 (and trickle's end-of-candidates).
const ICE_ATTRIBUTES: &[&str] = &[
    "candidate",
    "remote-candidates",
    "ice-lite",
    "ice-mismatch",
    "ice-ufrag",
    "ice-pwd",
    "ice-pacing",
    "ice-options",
    "end-of-candidates",
];

/// The identification-tag lists of a description's BUNDLE groups.
fn bundle_groups<'s>(sdp: &'s SessionDescription<'_>) -> Vec<Vec<&'s str>> {
    sdp.typed::<Group<'s>>()
        .filter_map(Result::ok)
        .filter(|g| g.semantics == "BUNDLE")
        .map(|g| g.mids().collect::<Vec<_>>())
        .filter(|g| !g.is_empty())
        .collect()
}

/// The m-line carrying `a=mid:<mid>`.
fn mid_index(sdp: &SessionDescription<'_>, mid: &str) -> Option<usize> {
    sdp.media.iter().position(|m| m.mid() == Some(mid))
}

/// A port-0 m-line that the offerer wants accepted only inside its BUNDLE
/// group (RFC 9143 §6, §7.2).
fn is_bundle_only(sdp: &SessionDescription<'_>, index: usize) -> bool {
    let Some(m) = sdp.media.get(index) else {
        return false;
    };
    let grouped = m
        .mid()
        .is_some_and(|mid| bundle_groups(sdp).iter().any(|g| g.contains(&mid)));
    // [RFC 9143 §6] "If an offerer or answerer receives a 'bundle-only'
    // attribute in a non-bundled "m=" section, the offerer or answerer MUST
    // discard the attribute."
    m.port == 0 && m.has_attribute("bundle-only") && grouped
}

/// The effective ICE credentials of m-line `index`: media level, else
/// session level (RFC 8839 §5.4).
fn ice_credentials(sdp: &SessionDescription<'_>, index: usize) -> Option<(String, String)> {
    let m = sdp.media.get(index)?;
    let value = |name: &str| {
        m.attribute(name)
            .or_else(|| sdp.attribute(name))
            .and_then(Attribute::value)
            .map(str::to_owned)
    };
    Some((value("ice-ufrag")?, value("ice-pwd")?))
}

/// Whether `current` restarts ICE for m-line `index` relative to
/// `previous` (RFC 8839 §4.4.1.1.1): both ice-ufrag and ice-pwd changed.
/// Moving unchanged credentials between session and media level is not a
/// restart.
///
/// # Errors
/// [`NegotiationError::Ice`] when only one of the two changed.
///
/// ```
/// use rtclite_sdp::offer_answer::ice_restart;
/// use rtclite_sdp::SessionDescription;
/// let sdp = |creds: &str| format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{creds}m=audio 5000 RTP/AVP 0\r\n");
/// let before = sdp("a=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n");
/// let after = sdp("a=ice-ufrag:9uB6\r\na=ice-pwd:YH75Fviy6338Vbrhrlp8Yh\r\n");
/// let (a, b) = (SessionDescription::parse(before.as_bytes())?, SessionDescription::parse(after.as_bytes())?);
/// assert!(ice_restart(&a, &b, 0)?);
/// assert!(!ice_restart(&a, &a, 0)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ice_restart(
    previous: &SessionDescription<'_>,
    current: &SessionDescription<'_>,
    index: usize,
) -> Result<bool, NegotiationError> {
    match (
        ice_credentials(previous, index),
        ice_credentials(current, index),
    ) {
        (Some((pu, pp)), Some((nu, np))) => match (pu != nu, pp != np) {
            (true, true) => Ok(true),
            // [RFC 8839 §4.4.1.1.1] "However, it is permissible to use a
            // session-level attribute in one offer, but to provide the same
            // "ice-pwd" or "ice-ufrag" as a media-level attribute in a
            // subsequent offer.  This MUST NOT be considered as ICE restart."
            (false, false) => Ok(false),
            // [RFC 8839 §4.4.1.1.1] "To restart ICE, an agent MUST change both
            // the "ice-pwd" and the "ice- ufrag" for the data stream in an
            // offer."
            _ => Err(NegotiationError::Ice {
                index,
                reason: "only one of ice-ufrag and ice-pwd changed",
                section: "§4.4.1.1.1",
            }),
        },
        _ => Ok(false),
    }
}

/// The ICE attributes that may change only with an ICE restart
/// (ice-options, ice-pacing, ice-lite) in force for m-line `index`.
fn ice_settings(sdp: &SessionDescription<'_>, index: usize) -> [Option<String>; 3] {
    let m = sdp.media.get(index);
    let value = |name: &str| {
        m.and_then(|m| m.attribute(name))
            .or_else(|| sdp.attribute(name))
            .map(|a| a.value().unwrap_or_default().to_owned())
    };
    [value("ice-options"), value("ice-pacing"), value("ice-lite")]
}

/// Inserts `attribute` after the first attribute called `name`, or first.
fn insert_after(m: &mut MediaDescription<'_>, name: &str, attribute: Attribute<'static>) {
    let at = m
        .attributes
        .iter()
        .position(|a| a.name == name)
        .map_or(0, |p| p + 1);
    m.attributes.insert(at, attribute);
}

/// Checks the bundle-only marks of an offer's live m-lines
/// (`bundle_only[i]` for m-line `i`) before the offer is built.
fn check_bundle_only(
    sdp: &OwnedSessionDescription,
    bundle: bool,
    bundle_only: &[bool],
) -> Result<(), NegotiationError> {
    let live = |i: usize| sdp.media.get(i).is_some_and(|m| m.port != 0);
    let marked = (0..sdp.media.len()).any(|i| live(i) && bundle_only.get(i) == Some(&true));
    // [RFC 9143 §6] "The usage of the 'bundle-only' attribute is only defined
    // for a bundled "m=" section with a zero port value."
    if marked && !bundle {
        return Err(NegotiationError::Bundle {
            reason: "a stream is marked bundle-only but the endpoint offers no BUNDLE group (EndpointConfig::with_bundle)",
            section: "§6",
        });
    }
    Ok(())
}

/// Puts the live m-lines of an offer in one BUNDLE group (RFC 9143 §7.2,
/// §7.5). `previous_tag` is `Some` in a subsequent offer: the m-line chosen
/// as offerer-tagged last time, kept when still live. `bundle_only[i]` marks
/// m-line `i` bundle-only; it applies to the offer that proposes the group
/// (`previous_tag` is `None`).
///
/// # Errors
/// When every live m-line of an initial BUNDLE offer is bundle-only, so
/// that none can be the offerer-tagged one.
fn bundle_offer(
    sdp: &mut OwnedSessionDescription,
    previous_tag: Option<usize>,
    bundle_only: &[bool],
) -> Result<(), NegotiationError> {
    let live: Vec<usize> = (0..sdp.media.len())
        .filter(|&i| sdp.media.get(i).is_some_and(|m| m.port != 0))
        .collect();
    // Bundle-only applies to the offer that proposes the group; once it is
    // negotiated, every bundled m-line gets the BUNDLE address:port (§7.5).
    let bundle_only: Vec<usize> = match previous_tag {
        // [RFC 9143 §7.2] "When an offerer generates an initial BUNDLE offer,
        // in order to negotiate a BUNDLE group, it MUST:"
        // Only live m-lines can be bundle-only; a disabled one never is:
        // [RFC 9143 §7.5.3] "MUST NOT assign an SDP 'bundle-only' attribute to
        // the "m=" section."
        None => live
            .iter()
            .copied()
            .filter(|&i| bundle_only.get(i) == Some(&true))
            .collect(),
        // [RFC 9143 §7.5] "When a BUNDLE group has been previously negotiated
        // and an offerer generates a subsequent offer, the offerer MUST:"
        Some(_) => Vec::new(),
    };
    // [RFC 9143 §7.5] "The offerer can pick either the "m=" section that was
    // previously selected by the answerer as the offerer-tagged "m=" section
    // or another bundled "m=" section within the BUNDLE group"
    // [RFC 9143 §7.2.1] "The offerer MUST NOT suggest a bundle-only "m=" section as the
    // offerer-tagged "m=" section."
    // [RFC 9143 §7.5] "The offerer MUST NOT pick a given bundled "m=" section
    // as the offerer-tagged "m=" section if:"
    let first = live.iter().copied().find(|i| !bundle_only.contains(i));
    let tagged = match (previous_tag.filter(|t| live.contains(t)), first) {
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) if bundle_only.is_empty() => return Ok(()),
        (None, None) => {
            return Err(NegotiationError::Bundle {
                reason: "every stream is marked bundle-only, but the offerer-tagged m-line cannot be bundle-only",
                section: "§7.2.1",
            });
        }
    };
    let shared = previous_tag.map(|_| {
        sdp.media
            .get(tagged)
            .map(|m| (m.port, m.connections.clone()))
    });
    for &i in &live {
        let Some(m) = sdp.media.get_mut(i) else {
            continue;
        };
        if m.mid().is_none() {
            m.attributes
                .insert(0, Attribute::new("mid", Cow::Owned(i.to_string())));
        }
        // [RFC 9143 §7.2] "If the offerer wants to request that the answerer
        // accept a given bundled "m=" section only if the answerer keeps the
        // "m=" section within the negotiated BUNDLE group, the offerer MUST:"
        if bundle_only.contains(&i) {
            // [RFC 9143 §7.2] "Include an SDP 'bundle-only' attribute (Section
            // 7.2.1) in the "m=" section, and"
            insert_after(m, "mid", Attribute::flag("bundle-only"));
            // [RFC 9143 §7.2] "Assign a zero port value to the "m=" section."
            m.port = 0;
            // [RFC 9143 §7.2] "Assign a unique address:port to each bundled "m="
            // section following the procedures in [RFC3264], excluding any
            // bundle-only "m=" sections (see below);"
            m.connections.clear();
            // [RFC 9143 §7.1.3] "In the initial BUNDLE offer, the offerer MUST NOT include IDENTICAL
            // and TRANSPORT multiplexing category SDP attributes (BUNDLE
            // attributes) in bundle-only "m=" sections."
            // [RFC 9143 §9.3.1.1] "the address:port combination for RTCP MUST be
            // unique in each bundled "m=" section for RTP-based media
            // (excluding a bundle-only "m=" section)"
            m.attributes
                .retain(|a| !BUNDLE_ATTRIBUTES.contains(&a.name.as_ref()));
            continue;
        }
        // [RFC 9143 §9.3.1.1] "the offerer MUST include an SDP 'rtcp-mux'
        // attribute [RFC5761] in each bundled "m=" section (excluding any
        // bundle-only "m=" sections)"
        // [RFC 9143 §9.3.1.4] "When an offerer generates a subsequent offer, the offerer MUST
        // include an SDP 'rtcp-mux' attribute in the offerer-tagged"
        if !m.has_attribute("rtcp-mux") {
            insert_after(m, "mid", Attribute::flag("rtcp-mux"));
        }
        if let Some(Some((port, connections))) = &shared {
            // [RFC 9143 §7.1.3] "In a subsequent offer or in an answer (initial
            // or subsequent), the offerer and answerer MUST include IDENTICAL and
            // TRANSPORT multiplexing category SDP attributes (BUNDLE attributes)
            // only in the tagged "m=" section"
            // [RFC 9143 §7.5] "Assign a BUNDLE address:port (previously
            // negotiated or newly suggested) to the offerer-tagged "m="
            // section and to every other bundled "m=" section within the
            // BUNDLE group"
            m.port = *port;
            m.connections.clone_from(connections);
            if i != tagged {
                // [RFC 9143 §7.1.3] "The offerer and answerer MUST NOT include
                // such attributes in any other bundled "m=" section."
                m.attributes
                    .retain(|a| !BUNDLE_ATTRIBUTES.contains(&a.name.as_ref()));
            }
        }
    }
    // [RFC 9143 §7.2] "Include an SDP 'group:BUNDLE' attribute in the offer; and"
    let mids: Vec<String> = std::iter::once(tagged)
        .chain(live.iter().copied().filter(|&i| i != tagged))
        .filter_map(|i| sdp.media.get(i).and_then(|m| m.mid()).map(str::to_owned))
        .collect();
    // [RFC 9143 §7.2] "Place the identification-tag of each bundled "m="
    // section in the SDP 'group:BUNDLE' attribute identification-tag list."
    // [RFC 9143 §7.2] "The offerer BUNDLE-tag indicates the suggested offerer-tagged "m=" section."
    sdp.attributes.push(Attribute::new(
        "group",
        format!("BUNDLE {}", mids.join(" ")),
    ));
    Ok(())
}

/// Applies RFC 9143 §7.3 to an answer built m-line by m-line: picks the
/// tagged m-line, gives every bundled m-line its address and port, keeps
/// the BUNDLE attributes on it alone, and writes the `group:BUNDLE`.
fn bundle_answer(offer: &SessionDescription<'_>, sdp: &mut OwnedSessionDescription) {
    let live =
        |sdp: &OwnedSessionDescription, i: usize| sdp.media.get(i).is_some_and(|m| m.port != 0);
    for group in bundle_groups(offer) {
        let members: Vec<usize> = group
            .iter()
            .filter_map(|mid| mid_index(offer, mid))
            .collect();
        // [RFC 9143 §7.3.1] "If all of the criteria above are fulfilled, the
        // answerer MUST select the "m=" section as the offerer-tagged "m="
        // section and MUST also mark the corresponding "m=" section in the
        // answer as the answerer- tagged "m=" section."
        let tagged = members
            .iter()
            .copied()
            .find(|&i| offer.media.get(i).is_some_and(|m| m.port != 0) && live(sdp, i));
        let Some(t) = tagged else {
            // [RFC 9143 §7.3.1] "If there are no more identification-tags in
            // the identification-tag list, the answerer MUST NOT create the
            // BUNDLE group."
            for &i in &members {
                // A bundle-only m-line cannot be moved out of the group: it
                // is rejected.
                // [RFC 9143 §7.3.2] "In the corresponding offer, the "m="
                // section contains an SDP 'bundle-only' attribute."
                // [RFC 9143 §9.3.1.2] "If the answerer rejects the "m=" section (Section 7.3.3),
                // the answerer MUST NOT include the attribute."
                // [RFC 9143 §7.3.3] "MUST NOT include an SDP 'bundle-only'
                // attribute in the "m=" section."
                if is_bundle_only(offer, i) && live(sdp, i) {
                    if let (Some(slot), Some(om)) = (sdp.media.get_mut(i), offer.media.get(i)) {
                        *slot = rejected(om);
                    }
                }
            }
            continue;
        };
        let bundled: Vec<usize> = std::iter::once(t)
            .chain(members.iter().copied().filter(|&i| i != t && live(sdp, i)))
            .collect();
        let Some((port, connections)) = sdp.media.get(t).map(|m| (m.port, m.connections.clone()))
        else {
            continue;
        };
        let mux_offered = members.iter().any(|&i| {
            offer
                .media
                .get(i)
                .is_some_and(|m| m.has_attribute("rtcp-mux"))
        });
        let mux_only = offer
            .media
            .get(t)
            .is_some_and(|m| m.has_attribute("rtcp-mux-only"));
        for &i in &bundled {
            let Some(m) = sdp.media.get_mut(i) else {
                continue;
            };
            // [RFC 9143 §7.3] "Assign the answerer BUNDLE address:port to the
            // answerer-tagged "m=" section and to every other bundled "m="
            // section within the BUNDLE group"
            m.port = port;
            // [RFC 9143 §7.1.1] "The same value MUST be associated with each"
            m.connections.clone_from(&connections);
            // [RFC 9143 §9.3.1.2] "The answerer MUST NOT include an SDP 'rtcp'
            // attribute in any bundled "m=" section in the answer."
            m.attributes
                .retain(|a| a.name != "rtcp" && a.name != "bundle-only");
            if i != t {
                // [RFC 9143 §7.1.3] "The offerer and answerer MUST NOT include
                // such attributes in any other bundled "m=" section."
                m.attributes
                    .retain(|a| !BUNDLE_ATTRIBUTES.contains(&a.name.as_ref()));
            }
        }
        if let Some(m) = sdp.media.get_mut(t) {
            // [RFC 9143 §9.3.1.2] "The answerer MUST include an SDP 'rtcp-mux'
            // attribute in the answerer-tagged "m=" section, following the
            // procedures for BUNDLE attributes"
            if mux_offered && !m.has_attribute("rtcp-mux") {
                insert_after(m, "mid", Attribute::flag("rtcp-mux"));
            }
            // [RFC 9143 §9.3.1.2] "the answerer MUST include an SDP
            // 'rtcp-mux-only' attribute in the answerer-tagged "m=" section"
            if mux_only && !m.has_attribute("rtcp-mux-only") {
                insert_after(m, "rtcp-mux", Attribute::flag("rtcp-mux-only"));
            }
        }
        // [RFC 9143 §7.3.3] "MUST NOT place the identification-tag associated with the"
        let mids: Vec<&str> = bundled
            .iter()
            .filter_map(|&i| offer.media.get(i).and_then(|m| m.mid()))
            .collect();
        // [RFC 9143 §7.3] "The answerer BUNDLE-tag indicates the
        // answerer-tagged "m=" section (Section 7.3.1)."
        sdp.attributes.push(Attribute::new(
            "group",
            format!("BUNDLE {}", mids.join(" ")),
        ));
    }
}

/// Checks the answer's BUNDLE groups against the offer and gives every
/// bundled m-line the transport of its tagged m-line (RFC 9143 §7.4,
/// §9.3.1.3).
fn bundle_negotiated(
    offer: &SessionDescription<'_>,
    answer: &SessionDescription<'_>,
    media: &mut [NegotiatedMedia],
) -> Result<(), NegotiationError> {
    let offered = bundle_groups(offer);
    let mismatch = NegotiationError::Bundle {
        reason: "the answer bundles an m-line the offer did not bundle with the others",
        section: "§7.4",
    };
    // [RFC 9143 §7.4] "If the answer does not contain a BUNDLE group, the offerer MUST process the
    // answer as a normal answer."
    for group in bundle_groups(answer) {
        // [RFC 9143 §7.4] "the offerer MUST check that any bundled "m="
        // section in the answer was indicated as bundled in the corresponding
        // offer (for the same BUNDLE group)"
        let og = offered
            .iter()
            .find(|og| group.first().is_some_and(|f| og.contains(f)))
            .ok_or_else(|| mismatch.clone())?;
        if group.iter().any(|mid| !og.contains(mid)) {
            return Err(mismatch);
        }
        let indices: Vec<usize> = group
            .iter()
            .map(|mid| {
                mid_index(answer, mid).ok_or(NegotiationError::Bundle {
                    reason: "a tag of the answer's group names no m-line",
                    section: "§7.3",
                })
            })
            .collect::<Result<_, _>>()?;
        let Some(&t) = indices.first() else {
            continue;
        };
        let port = answer.media.get(t).map_or(0, |m| m.port);
        if port == 0
            || indices
                .iter()
                .any(|&i| answer.media.get(i).is_none_or(|m| m.port != port))
        {
            return Err(NegotiationError::Bundle {
                reason: "bundled m-lines of the answer do not all carry the answerer BUNDLE port",
                section: "§7.3",
            });
        }
        let mux_offered = og.iter().any(|mid| {
            mid_index(offer, mid)
                .and_then(|i| offer.media.get(i))
                .is_some_and(|m| m.has_attribute("rtcp-mux"))
        });
        // [RFC 9143 §9.3.1.3] "It is considered a protocol error if the
        // answerer has not accepted the usage of RTP/RTCP multiplexing for
        // RTP-based "m=" sections that the answerer included in the BUNDLE
        // group."
        if mux_offered
            && !answer
                .media
                .get(t)
                .is_some_and(|m| m.has_attribute("rtcp-mux"))
        {
            return Err(NegotiationError::Bundle {
                reason: "the answerer-tagged m-line does not accept rtcp-mux",
                section: "§9.3.1.3",
            });
        }
        let Some(tagged) = media.get(t).cloned() else {
            continue;
        };
        for &i in &indices {
            let Some(m) = media.get_mut(i) else {
                continue;
            };
            m.bundle = Some(t);
            if i != t && m.accepted {
                // [RFC 9143 §7.4] "the offerer MUST apply the properties
                // (BUNDLE address:port, BUNDLE attributes, etc.) of the
                // offerer-tagged "m=" section (selected by the answerer; see
                // Section 7.3.1) to each bundled "m=" section within the BUNDLE
                // group"
                m.remote_rtp.clone_from(&tagged.remote_rtp);
                m.remote_rtcp.clone_from(&tagged.remote_rtcp);
                m.rtcp_mux = tagged.rtcp_mux;
                m.remote_ice.clone_from(&tagged.remote_ice);
                m.remote_candidates.clone_from(&tagged.remote_candidates);
                m.remote_fingerprint.clone_from(&tagged.remote_fingerprint);
                m.remote_setup = tagged.remote_setup;
            }
        }
    }
    bundle_only_outcomes(offer, answer, media)
}

/// Says what the answer made of each bundle-only m-line of the offer
/// (RFC 9143 §7.3), refusing an answer that moves one out of its group.
fn bundle_only_outcomes(
    offer: &SessionDescription<'_>,
    answer: &SessionDescription<'_>,
    media: &mut [NegotiatedMedia],
) -> Result<(), NegotiationError> {
    let offered = bundle_groups(offer);
    let answered = bundle_groups(answer);
    for (i, m) in media.iter_mut().enumerate() {
        if !is_bundle_only(offer, i) {
            continue;
        }
        let Some(mid) = offer.media.get(i).and_then(|m| m.mid()) else {
            continue;
        };
        let in_answer_group = answered
            .iter()
            .any(|g| g.iter().any(|t| mid_index(answer, t) == Some(i)));
        let answer_port = answer.media.get(i).map_or(0, |m| m.port);
        let outcome = if in_answer_group {
            BundleOnlyOutcome::Bundled
        } else if answer_port != 0 {
            // [RFC 9143 §7.3.2] "If either criterion above is fulfilled, the
            // answerer cannot move the "m=" section out of the BUNDLE group in
            // the answer."
            return Err(NegotiationError::Bundle {
                reason: "the answer moves a bundle-only m-line out of the BUNDLE group",
                section: "§7.3.2",
            });
        } else {
            let group_created = offered.iter().filter(|og| og.contains(&mid)).any(|og| {
                answered
                    .iter()
                    .any(|g| g.first().is_some_and(|t| og.contains(t)))
            });
            if group_created {
                // [RFC 9143 §7.3.3] "MUST assign a zero port value to the "m="
                // section, according to the procedures in [RFC3264];"
                BundleOnlyOutcome::Rejected
            } else {
                // [RFC 9143 §6] "In order to ensure that an answerer that does
                // not support the BUNDLE extension always rejects a bundled "m="
                // section in an offer, the offerer can assign a zero port value
                // to the "m=" section."
                BundleOnlyOutcome::NoBundleGroup
            }
        };
        m.bundle_only = Some(outcome);
    }
    Ok(())
}

/// The first dynamic payload type (96–127) that `current` maps to another
/// codec than `previous` did on the same m-line.
fn remapped_payload_type(
    previous: &SessionDescription<'_>,
    current: &SessionDescription<'_>,
) -> Option<(usize, u8)> {
    for (i, (pm, cm)) in previous.media.iter().zip(&current.media).enumerate() {
        if pm.media != cm.media || pm.port == 0 || cm.port == 0 {
            continue;
        }
        let before = formats(pm);
        for f in formats(cm) {
            let Some(pt) = f.payload_type.filter(|pt| (96..=127).contains(pt)) else {
                continue;
            };
            // [RFC 3264 §8.3.2] "However, in the case of RTP, the mapping from
            // a particular dynamic payload type number to a particular codec
            // within that media stream MUST NOT change for the duration of a
            // session."
            if before
                .iter()
                .any(|b| b.payload_type == Some(pt) && !same_codec(b, &f))
            {
                return Some((i, pt));
            }
        }
    }
    None
}

/// Direction of the answer for an offered direction and what the answerer
/// wants (RFC 3264 §6.1).
// [RFC 3264 §8.4] "The recipient of an offer for a stream on-hold SHOULD NOT automatically return
// an answer with the corresponding stream on hold."
pub fn answer_direction(offered: Direction, wanted: Direction) -> Direction {
    // [RFC 3264 §6.1] "If a stream is offered as sendonly, the corresponding
    // stream MUST be marked as recvonly or inactive in the answer."
    // [RFC 3264 §6.1] "If a media stream is listed as recvonly in the offer,
    // the answer MUST be marked as sendonly or inactive in the answer."
    // [RFC 3264 §6.1] "If an offered media stream is listed as inactive, it
    // MUST be marked as inactive in the answer."
    Direction::from_flags(
        wanted.sends() && offered.receives(),
        wanted.receives() && offered.sends(),
    )
}

/// True when `answered` is allowed for `offered` by the table of RFC 3264 §6.1.
pub fn direction_allowed(offered: Direction, answered: Direction) -> bool {
    (!answered.sends() || offered.receives()) && (!answered.receives() || offered.sends())
}

/// Per-config counters so that several m-lines of one config get distinct
/// ports: the k-th one gets `port + 2k`.
fn next_port(config: &StreamConfig, uses: &[u16], index: usize) -> u16 {
    let k = uses.get(index).copied().unwrap_or(0);
    config.port.saturating_add(k.saturating_mul(2))
}

fn port_for(config: &StreamConfig, uses: &mut [u16], index: usize) -> u16 {
    let port = next_port(config, uses, index);
    if let Some(u) = uses.get_mut(index) {
        *u = u.saturating_add(1);
    }
    port
}

/// Builds an offer from local capabilities (RFC 3264 §5): one m-line per
/// stream configuration, codecs with their preferred payload types in
/// preference order, rtpmap for every payload type, fmtp, rtcp-fb, SDES
/// crypto lines with unique tags, rtcp-mux and ICE credentials; with
/// [`EndpointConfig::with_bundle`], the initial BUNDLE offer of RFC 9143
/// §7.2, bundle-only streams ([`StreamConfig::with_bundle_only`])
/// included.
///
/// # Errors
/// [`NegotiationError::Bundle`] when a stream is bundle-only but the
/// endpoint offers no BUNDLE group (RFC 9143 §6), or when every stream is
/// bundle-only, since the offerer-tagged m-line cannot be (§7.2.1).
pub fn build_offer(
    config: &EndpointConfig,
    version: u64,
) -> Result<OwnedSessionDescription, NegotiationError> {
    let mut sdp = config.skeleton(version);
    for s in &config.streams {
        sdp.media.push(offer_media(s, s.port, s.direction));
    }
    let bundle_only: Vec<bool> = config.streams.iter().map(|s| s.bundle_only).collect();
    check_bundle_only(&sdp, config.bundle, &bundle_only)?;
    if config.bundle {
        bundle_offer(&mut sdp, None, &bundle_only)?;
    }
    Ok(sdp)
}

fn offer_media(s: &StreamConfig, port: u16, direction: Direction) -> MediaDescription<'static> {
    // [RFC 3264 §5.1] "In all cases, the formats in the "m=" line MUST be
    // listed in order of preference, with the first format listed being
    // preferred."
    let mut m = MediaDescription::new(
        Cow::Owned(s.media.clone()),
        port,
        Cow::Owned(s.proto.clone()),
        s.codecs
            .iter()
            .map(|c| Cow::Owned(c.payload_type.to_string()))
            .collect(),
    );
    if let Some(a) = &s.address {
        let mut c = Connection::new(Cow::Owned(a.clone()));
        if c.addrtype == "IP4" && is_multicast(&c) {
            // [RFC 8866 §5.7] "Sessions using an "IP4" multicast connection
            // address MUST also have a time to live (TTL) value present in addition
            // to the multicast address."
            c.ttl = Some(s.ttl.unwrap_or(127));
        }
        m.connections.push(c);
    }
    m.bandwidths.clone_from(&s.bandwidths);
    // A configured identification tag first, then rtcp-mux, in the order
    // of the RFC 9143 examples.
    m.attributes
        .extend(s.attributes.iter().filter(|a| a.name == "mid").cloned());
    if s.rtcp_mux {
        m.attributes.push(Attribute::flag("rtcp-mux"));
    }
    for c in &s.codecs {
        push_codec_attributes(&mut m, c.payload_type, c, c.fmtp.as_deref());
    }
    // [RFC 3264 §5.1] "If the offerer wishes to only send media on a stream to its peer, it MUST
    // mark the stream as sendonly with the"
    // [RFC 3264 §5.1] "If the offerer wishes to only receive media from its peer, it MUST mark the
    // stream as recvonly."
    // [RFC 3264 §5.1] "wishes to neither send nor receive media at this time, it MUST mark the
    // stream with an"
    // [RFC 3264 §5.1] "If the offerer wishes to both send and receive media
    // with its peer, it MAY include an "a=sendrecv" attribute, or it MAY omit
    // it, since sendrecv is the default."
    if direction != Direction::SendRecv {
        m.attributes.push(Attribute::flag(direction.name()));
    }
    // [RFC 4568 §5.1.1] "Each crypto attribute for a given media stream MUST
    // contain a unique tag."
    for (i, k) in s.sdes.iter().enumerate() {
        m.attributes.push(Attribute::new(
            "crypto",
            format!("{} {} {}", i + 1, k.suite, k.key_params),
        ));
    }
    if let Some(ice) = &s.ice {
        m.attributes
            .push(Attribute::new("ice-ufrag", ice.ufrag.clone()));
        m.attributes
            .push(Attribute::new("ice-pwd", ice.pwd.clone()));
    }
    // `a=bundle-only` comes from the bundle-only mark alone, on a port-0
    // m-line inside the group:
    // [RFC 9143 §6] "The usage of the 'bundle-only' attribute is only
    // defined for a bundled "m=" section with a zero port value."
    m.attributes.extend(
        s.attributes
            .iter()
            .filter(|a| a.name != "mid" && a.name != "bundle-only")
            .cloned(),
    );
    m
}

fn push_codec_attributes(m: &mut MediaDescription<'static>, pt: u8, c: &Codec, fmtp: Option<&str>) {
    // [RFC 3264 §6.1] "the answer MUST contain rtpmap attributes to define
    // the payload type mappings for dynamic payload types, and SHOULD contain
    // mappings for static payload types."
    let map = match c.channels {
        Some(ch) => format!("{pt} {}/{}/{ch}", c.encoding_name, c.clock_rate),
        None => format!("{pt} {}/{}", c.encoding_name, c.clock_rate),
    };
    // [RFC 3264 §5.1] "In the case of RTP streams, all media descriptions SHOULD contain"
    // [RFC 8866 §5.14] "For dynamic payload type assignments, the"
    m.attributes.push(Attribute::new("rtpmap", map));
    if let Some(f) = fmtp {
        m.attributes
            .push(Attribute::new("fmtp", format!("{pt} {f}")));
    }
    for fb in &c.rtcp_fb {
        m.attributes
            .push(Attribute::new("rtcp-fb", format!("{pt} {fb}")));
    }
}

/// Builds the answer to `offer` from local capabilities (RFC 3264 §6),
/// with `o=` version `version`.
///
/// Per m-line: port-0 offers stay port 0 (§8.2); the first stream
/// configuration with the same media type and protocol answers it,
/// otherwise the stream is rejected with port 0; codecs are the offered
/// ones this endpoint supports, in the offer's order and with the offer's
/// payload type numbers (§6.1), telephone-event, CN, red and FEC accompany
/// a media codec, rtx only when the codec it repairs is kept; the direction
/// follows the table of §6.1; an SRTP stream takes the first offered crypto
/// line whose suite this endpoint has a key for, or is rejected
/// (RFC 4568 §7.1.2); rtcp-mux, ICE credentials and mid are answered when
/// offered.
///
/// # Errors
/// [`NegotiationError::NothingInCommon`] when every offered stream with a
/// non-zero port is rejected (§6: "the entire offered session is rejected").
pub fn build_answer(
    offer: &SessionDescription<'_>,
    config: &EndpointConfig,
    version: u64,
) -> Result<OwnedSessionDescription, NegotiationError> {
    build_answer_with(offer, config, version, &|_, d| d)
}

/// [`build_answer`] with a hook that adjusts each m-line's wanted direction
/// (used for hold by [`OfferAnswer`]).
fn build_answer_with(
    offer: &SessionDescription<'_>,
    config: &EndpointConfig,
    version: u64,
    wanted: &dyn Fn(usize, Direction) -> Direction,
) -> Result<OwnedSessionDescription, NegotiationError> {
    let mut sdp = config.skeleton(version);
    // [RFC 3264 §6] "If the answer is different from the offer in any way (different IP addresses,
    // ports, etc.), the origin line MUST be different in the answer"
    // [RFC 3264 §6] "The "t=" line in the answer MUST equal that of the
    // offer."
    sdp.times = offer.times.clone();
    let mut uses = vec![0u16; config.streams.len()];
    let mut live_offered = 0usize;
    let mut accepted = 0usize;
    // [RFC 3264 §6] "This implies that if the offer contained zero"
    // [RFC 3264 §6] "For each "m=" line in the offer, there MUST be a
    // corresponding "m=" line in the answer."
    for (i, om) in offer.media.iter().enumerate() {
        // [RFC 9143 §7.2] "Include an SDP 'bundle-only' attribute (Section
        // 7.2.1) in the "m=" section, and"
        let bundle_only = is_bundle_only(offer, i);
        if om.port != 0 || bundle_only {
            live_offered += 1;
        }
        let answer_m = match config.streams.iter().position(|s| s.accepts(om)) {
            // [RFC 3264 §8.2] "A stream that is offered with a port of zero
            // MUST be marked with port zero in the answer."
            _ if om.port == 0 && !bundle_only => None,
            Some(ci) => config.streams.get(ci).and_then(|s| {
                // A rejected stream does not use up a port.
                let m = answer_media(
                    offer,
                    i,
                    om,
                    s,
                    next_port(s, &uses, ci),
                    wanted(i, s.direction),
                )?;
                port_for(s, &mut uses, ci);
                Some(m)
            }),
            None => None,
        };
        let m = match answer_m {
            Some(m) => {
                accepted += 1;
                m
            }
            None => rejected(om),
        };
        sdp.media.push(m);
    }
    // [RFC 3264 §6.1] "If there are no media formats in common for all
    // streams, the entire offered session is rejected."
    if live_offered > 0 && accepted == 0 {
        return Err(NegotiationError::NothingInCommon);
    }
    bundle_answer(offer, &mut sdp);
    Ok(sdp)
}

fn answer_media(
    offer: &SessionDescription<'_>,
    index: usize,
    om: &MediaDescription<'_>,
    s: &StreamConfig,
    port: u16,
    wanted: Direction,
) -> Option<MediaDescription<'static>> {
    let offered = formats(om);
    let mut chosen: Vec<(&Format<'_>, &Codec)> = Vec::new();
    // [RFC 3264 §6.1] "it is RECOMMENDED that unless there is a specific
    // reason, the answerer list formats in the same relative order they were
    // present in the offer."
    for f in &offered {
        if let Some(c) = s
            .codecs
            .iter()
            .find(|c| c.matches(f.name, f.clock_rate, f.channels))
        {
            chosen.push((f, c));
        }
    }
    // rtx repairs one codec (apt=); keep it only with that codec.
    let kept_pts: Vec<u8> = chosen
        .iter()
        .filter(|(f, _)| !f.name.eq_ignore_ascii_case("rtx"))
        .filter_map(|(f, _)| f.payload_type)
        .collect();
    chosen.retain(|(f, _)| {
        !f.name.eq_ignore_ascii_case("rtx")
            || fmtp_param(f.fmtp, "apt")
                .and_then(|a| a.parse::<u8>().ok())
                .is_some_and(|apt| kept_pts.contains(&apt))
    });
    let offered_primary = offered.iter().any(|f| !is_secondary(f.name));
    let chosen_primary = chosen.iter().any(|(f, _)| !is_secondary(f.name));
    // [RFC 3264 §6.1] "If the answerer has no media formats in common for a
    // particular offered stream, the answerer MUST reject that media stream
    // by setting the port to zero."
    // [RFC 3264 §6.1] "For streams marked as recvonly in the answer, the"
    // [RFC 3264 §6.1] "For streams marked as sendonly in the answer, the"
    if chosen.is_empty() || (offered_primary && !chosen_primary) {
        return None;
    }
    // SDES (RFC 4568).
    let offered_crypto: Vec<Crypto<'_>> = om.typed::<Crypto<'_>>().filter_map(Result::ok).collect();
    let mut crypto_line = None;
    if om.has_attribute("crypto") {
        // [RFC 4568 §5.1.2] "the answerer SHOULD select the most preferred
        // crypto attribute it can support, i.e., the first valid supported
        // crypto attribute in the list"
        crypto_line = offered_crypto.iter().find_map(|oc| {
            // A line sharing its tag with another is not valid:
            // [RFC 4568 §5.1.1] "Each crypto attribute for a given media stream
            // MUST contain a unique tag."
            let shared_tag = offered_crypto.iter().filter(|o| o.tag == oc.tag).count() > 1;
            if shared_tag || oc.validate_keys().is_err() {
                return None;
            }
            s.sdes
                .iter()
                .find(|k| k.suite == oc.suite)
                // [RFC 4568 §5.1.2] "The tag and crypto-suite from the
                // accepted crypto attribute in the offer"
                .map(|k| format!("{} {} {}", oc.tag, oc.suite, k.key_params))
        });
        // [RFC 4568 §7.1.2] "For each unicast media line that uses the secure
        // RTP transport and contains one or more "a=crypto" lines in the
        // offer, the answerer MUST either accept one (and only one) of the
        // crypto lines for that media stream, or it MUST reject the media
        // stream."
        if crypto_line.is_none() && is_srtp_sdes_proto(&om.proto) {
            return None;
        }
    } else if is_srtp_sdes_proto(&om.proto) && !s.sdes.is_empty() {
        // An SDES stream offered without keys cannot be protected by SDES.
        return None;
    }
    let offered_dir = offer.effective_direction(index);
    let multicast = offer
        .effective_connection(index)
        .filter(|c| is_multicast(c))
        .map(|c| c.clone().into_owned());
    let (direction, port) = if multicast.is_some() {
        // [RFC 3264 §6.2] "Similarly, the directionality information in the
        // answer (sendonly, recvonly, or sendrecv) MUST equal that of the
        // offer."
        (offered_dir, om.port)
    } else {
        (answer_direction(offered_dir, wanted), port)
    };
    let mut m = MediaDescription::new(
        Cow::Owned(om.media.to_string()),
        port,
        // [RFC 8839 §4.3.2] "In each "m=" line, the answerer MUST use the same
        // transport protocol as was used in the offer "m=" line."
        Cow::Owned(om.proto.to_string()),
        chosen
            .iter()
            .map(|(f, _)| Cow::Owned(f.token.to_owned()))
            .collect(),
    );
    if let Some(group) = multicast.clone() {
        // [RFC 3264 §6.2] "If a multicast stream is accepted, the address and
        // port information in the answer MUST match that of the offer."
        m.connections.push(group);
        // [RFC 3264 §6.2] "The ptime and bandwidth attributes in the answer
        // MUST equal the ones in the offer, if present."
        m.bandwidths = om
            .bandwidths
            .iter()
            .map(|b| b.clone().into_owned())
            .collect();
    // [RFC 3264 §6.1] "If a stream is offered with a unicast address, the answer for that stream
    // MUST contain a unicast address."
    } else {
        if let Some(a) = &s.address {
            // [RFC 3264 §6.1] "This address and port MUST be present even for
            // sendonly streams"
            m.connections.push(Connection::new(Cow::Owned(a.clone())));
        }
        m.bandwidths.clone_from(&s.bandwidths);
    }
    if let Some(mid) = om.mid() {
        m.attributes
            .push(Attribute::new("mid", Cow::Owned(mid.to_owned())));
    }
    // [RFC 5761 §5.1.1] "If the answerer wishes to multiplex RTP and RTCP
    // onto a single port, it MUST include a media-level "a=rtcp-mux"
    // attribute in the answer."
    if s.rtcp_mux && om.has_attribute("rtcp-mux") {
        m.attributes.push(Attribute::flag("rtcp-mux"));
    }
    for (f, c) in &chosen {
        // [RFC 3264 §6.1] "if a particular codec was referenced with a
        // specific payload type number in the offer, that same payload type
        // number SHOULD be used for that codec in the answer."
        let pt = f.payload_type.unwrap_or(c.payload_type);
        // Our own parameters win when we have some; otherwise the offer's
        // are echoed (rtx apt=, H.264 profiles).
        // [RFC 3264 §6.1] "the same fmtp parameters with the same values MUST
        // be present in the answer if the media format they describe is
        // present in the answer."
        let fmtp = c.fmtp.as_deref().or(f.fmtp);
        let codec = Codec {
            encoding_name: f.name.to_owned(),
            ..(*c).clone()
        };
        push_codec_attributes(&mut m, pt, &codec, fmtp);
    }
    if direction != Direction::SendRecv {
        m.attributes.push(Attribute::flag(direction.name()));
    }
    if let Some(line) = crypto_line {
        m.attributes.push(Attribute::new("crypto", line));
    }
    // [RFC 8839 §4.3.2] "If the offer does not indicate support of ICE (Section 4.2.5), the
    // answerer MUST NOT accept the usage of ICE."
    let offered_ice = om.has_attribute("ice-ufrag") || offer.has_attribute("ice-ufrag");
    if let (true, Some(ice)) = (offered_ice, &s.ice) {
        m.attributes
            .push(Attribute::new("ice-ufrag", ice.ufrag.clone()));
        m.attributes
            .push(Attribute::new("ice-pwd", ice.pwd.clone()));
    }
    let offered_ptime = om.attribute("ptime").filter(|_| multicast.is_some());
    m.attributes.extend(
        s.attributes
            .iter()
            .filter(|a| {
                let name = a.name.as_ref();
                // [RFC 8839 §4.4.2] "the answerer MUST NOT include the
                // "remote-candidates" attribute in the answer."
                name != "remote-candidates"
                    // [RFC 9143 §7.3.2] "MUST NOT include an SDP 'bundle-only'
                    // attribute to the "m=" section."
                    && name != "bundle-only"
                    // [RFC 8839 §4.3.2] "If the answerer still accepts the
                    // offer, the answerer MUST NOT include any ICE-related SDP
                    // attributes in the answer."
                    && (offered_ice || !ICE_ATTRIBUTES.contains(&name))
                    && !(offered_ptime.is_some() && name == "ptime")
            })
            .cloned(),
    );
    if let Some(p) = offered_ptime {
        m.attributes.push(p.clone().into_owned());
    }
    Some(m)
}

fn attr_err(index: usize) -> impl Fn(AttributeError) -> NegotiationError {
    move |source| NegotiationError::Attribute { index, source }
}

/// Checks `answer` against `offer` (RFC 3264 §6, §7; RFC 4568 §5.1.3) and
/// returns what was agreed, from the point of view of the offerer
/// (`local_is_offerer`) or of the answerer.
///
/// # Errors
/// A [`NegotiationError`] naming the rule the answer breaks: m-line count
/// or media type changed, a port-0 offer answered with a live port, an
/// accepted stream with no format in common with the offer, a direction not
/// allowed by the table of §6.1, or a crypto line that was not offered.
pub fn negotiate(
    offer: &SessionDescription<'_>,
    answer: &SessionDescription<'_>,
    local_is_offerer: bool,
) -> Result<NegotiatedSession, NegotiationError> {
    // [RFC 3264 §6] "The answer MUST contain exactly the same number of "m="
    // lines as the offer."
    if offer.media.len() != answer.media.len() {
        return Err(NegotiationError::MediaCountMismatch {
            offer: offer.media.len(),
            answer: answer.media.len(),
        });
    }
    let mut media = Vec::with_capacity(offer.media.len());
    for (i, (om, am)) in offer.media.iter().zip(&answer.media).enumerate() {
        // [RFC 3264 §6.1] "The media type of the stream in the answer MUST
        // match that of the offer."
        if om.media != am.media {
            return Err(NegotiationError::MediaTypeMismatch {
                index: i,
                offer: om.media.to_string(),
                answer: am.media.to_string(),
            });
        }
        if om.port == 0 && am.port != 0 && !is_bundle_only(offer, i) {
            return Err(NegotiationError::RemovedStreamAnswered { index: i });
        }
        // [RFC 8839 §5.2] "This attribute MUST be included in an offer by a
        // controlling agent for a data stream that is Completed, and MUST NOT
        // be included in any other case."
        if am.has_attribute("remote-candidates") {
            return Err(NegotiationError::Ice {
                index: i,
                reason: "an answer carries a=remote-candidates",
                section: "§5.2",
            });
        }
        media.push(negotiate_media(offer, answer, i, om, am, local_is_offerer)?);
    }
    bundle_negotiated(offer, answer, &mut media)?;
    Ok(NegotiatedSession { media })
}

fn negotiate_media(
    offer: &SessionDescription<'_>,
    answer: &SessionDescription<'_>,
    i: usize,
    om: &MediaDescription<'_>,
    am: &MediaDescription<'_>,
    local_is_offerer: bool,
) -> Result<NegotiatedMedia, NegotiationError> {
    let (local, remote, lm, rm) = if local_is_offerer {
        (offer, answer, om, am)
    } else {
        (answer, offer, am, om)
    };
    // [RFC 3264 §5.1] "A port number of zero in the offer indicates that the stream is offered but
    // MUST NOT be used."
    let accepted = (om.port != 0 || is_bundle_only(offer, i)) && am.port != 0;
    let mut out = NegotiatedMedia {
        index: i,
        media: om.media.to_string(),
        proto: am.proto.to_string(),
        mid: am.mid().or(om.mid()).map(str::to_owned),
        accepted,
        direction: Direction::Inactive,
        codecs: Vec::new(),
        remote_rtp: None,
        remote_rtcp: None,
        rtcp_mux: false,
        crypto: None,
        remote_ice: None,
        remote_candidates: Vec::new(),
        remote_fingerprint: None,
        remote_setup: None,
        remote_ptime: None,
        bundle: None,
        selected_by_peer: Vec::new(),
        ice_restart: false,
        bundle_only: None,
    };
    if !accepted {
        // [RFC 3264 §6] "If a stream is rejected, the offerer and answerer
        // MUST NOT generate media (or RTCP packets) for that stream."
        return Ok(out);
    }
    let offered_dir = offer.effective_direction(i);
    let answered_dir = answer.effective_direction(i);
    let multicast = offer
        .effective_connection(i)
        .is_some_and(|c| is_multicast(c));
    if !multicast && !direction_allowed(offered_dir, answered_dir) {
        return Err(NegotiationError::DirectionMismatch {
            index: i,
            offer: offered_dir,
            answer: answered_dir,
        });
    }
    if let Some(group) = offer.effective_connection(i).filter(|c| is_multicast(c)) {
        let err = |reason| NegotiationError::Multicast { index: i, reason };
        // [RFC 3264 §6.2] "If a multicast stream is accepted, the address and
        // port information in the answer MUST match that of the offer."
        if answer
            .effective_connection(i)
            .is_none_or(|c| c.address != group.address)
            || am.port != om.port
        {
            return Err(err("address or port differs from the offer"));
        }
        // [RFC 3264 §6.2] "Similarly, the directionality information in the
        // answer (sendonly, recvonly, or sendrecv) MUST equal that of the
        // offer."
        if answered_dir != offered_dir {
            return Err(err("direction differs from the offer"));
        }
        // [RFC 3264 §6.2] "The set of media formats in the answer MUST be
        // equal to or be a subset of those in the offer."
        if am.formats.iter().any(|f| !om.formats.contains(f)) {
            return Err(err("lists a format the offer does not"));
        }
        // [RFC 3264 §6.2] "The ptime and bandwidth attributes in the answer
        // MUST equal the ones in the offer, if present."
        let ptime = |m: &MediaDescription<'_>| {
            m.attribute("ptime")
                .and_then(Attribute::value)
                .map(str::to_owned)
        };
        if ptime(om).is_some() && ptime(om) != ptime(am) {
            return Err(err("ptime differs from the offer"));
        }
        if !om.bandwidths.is_empty() && om.bandwidths != am.bandwidths {
            return Err(err("bandwidth differs from the offer"));
        }
    }
    let ld = local.effective_direction(i);
    let rd = remote.effective_direction(i);
    out.direction = if multicast {
        // [RFC 3264 §5.2] "If a session description contains a multicast
        // media stream which is listed as receive (send) only, it means that
        // the participants, including the offerer and answerer, can only
        // receive (send) on that stream."
        offered_dir
    } else {
        Direction::from_flags(ld.sends() && rd.receives(), ld.receives() && rd.sends())
    };

    // Codecs: formats of the answer that name an offered codec.
    let of = formats(om);
    let af = formats(am);
    let mut pairs: Vec<(&Format<'_>, &Format<'_>)> = af
        .iter()
        .filter_map(|a| {
            // Same payload type and codec first, then the same codec under
            // another number (RFC 3264 §5.1 allows the answer to renumber).
            of.iter()
                .find(|o| o.payload_type == a.payload_type && same_codec(o, a))
                .or_else(|| of.iter().find(|o| same_codec(o, a)))
                .map(|o| (o, a))
        })
        .collect();
    // [RFC 3264 §6.1] "For streams marked as sendrecv in the answer, the
    // "m=" line MUST contain at least one codec the answerer is willing to
    // both send and receive, from amongst those listed in the offer."
    if pairs.is_empty() {
        return Err(NegotiationError::NoFormats { index: i });
    }
    // [RFC 3264 §5.1] "In this case, preferred means that the recipient of the offer SHOULD use the
    // format with the highest preference that is acceptable to it."
    // [RFC 8866 §5.14] "When multiple payload formats are listed, the first acceptable payload
    // format from the beginning of the list SHOULD be used for the session."
    // The answer's order stands for the offerer:
    // [RFC 3264 §6.1] "In this case, preferred means that the offerer SHOULD use the format with
    // the highest preference from the answer."
    if !local_is_offerer {
        // [RFC 3264 §6.1] "SHOULD send using the most preferred media format
        // in the offer that is also listed in the answer."
        pairs.sort_by_key(|(o, _)| of.iter().position(|x| x.token == o.token));
    }
    for (o, a) in pairs {
        let (Some(opt), Some(apt)) = (o.payload_type, a.payload_type) else {
            continue;
        };
        // [RFC 3264 §5.1] "the offerer MUST send with the payload type
        // numbers from the answer."
        // [RFC 3264 §6.1] "In the case of RTP, it MUST use the payload type
        // numbers from the offer, even if they differ from those in the
        // answer."
        let (send, recv, lf, rf) = if local_is_offerer {
            (apt, opt, o.fmtp, a.fmtp)
        } else {
            (opt, apt, a.fmtp, o.fmtp)
        };
        out.codecs.push(NegotiatedCodec {
            send_payload_type: send,
            recv_payload_type: recv,
            encoding_name: o.name.to_owned(),
            clock_rate: o.clock_rate,
            channels: o.channels.unwrap_or(1),
            local_fmtp: lf.map(str::to_owned),
            remote_fmtp: rf.map(str::to_owned),
        });
    }

    // Remote transport addresses.
    let remote_conn = remote.effective_connection(i);
    // [RFC 5761 §5.1.1] "If the answer does not contain an "a=rtcp-mux"
    // attribute, the offerer MUST NOT multiplex RTP and RTCP packets on a
    // single port."
    out.rtcp_mux = lm.has_attribute("rtcp-mux") && rm.has_attribute("rtcp-mux");
    if let Some(c) = remote_conn.filter(|c| !c.is_unspecified()) {
        // [RFC 3264 §8.4] "An agent MUST be capable of receiving SDP with a
        // connection address of 0.0.0.0, in which case it means that neither
        // RTP nor RTCP should be sent to the peer."
        // [RFC 8866 §5.14] "MUST NOT subtract 1 from the RTP port"
        out.remote_rtp = Some((c.address.to_string(), rm.port));
        let rtcp = rm.first::<Rtcp<'_>>().transpose().map_err(attr_err(i))?;
        out.remote_rtcp = Some(match rtcp {
            Some(Rtcp {
                port,
                address: Some((_, _, a)),
            }) => (a.to_owned(), port),
            Some(Rtcp {
                port,
                address: None,
            }) => (c.address.to_string(), port),
            None if out.rtcp_mux => (c.address.to_string(), rm.port),
            // [RFC 3264 §5.1] "reports are sent to the port number one higher
            // than the number indicated."
            None => (c.address.to_string(), rm.port.saturating_add(1)),
        });
    }

    // SDES crypto.
    out.crypto = negotiate_crypto(i, om, am, local_is_offerer)?;

    // ICE, DTLS and ptime of the peer.
    let ufrag = rm
        .first::<IceUfrag<'_>>()
        .or_else(|| remote.first::<IceUfrag<'_>>());
    let pwd = rm
        .first::<IcePwd<'_>>()
        .or_else(|| remote.first::<IcePwd<'_>>());
    if let (Some(u), Some(p)) = (ufrag, pwd) {
        out.remote_ice = Some(IceCredentials {
            ufrag: u.map_err(attr_err(i))?.0.to_owned(),
            pwd: p.map_err(attr_err(i))?.0.to_owned(),
        });
    }
    for c in rm.typed::<Candidate<'_>>() {
        let c = c.map_err(attr_err(i))?;
        out.remote_candidates.push(c.value().unwrap_or_default());
    }
    for r in rm.typed::<RemoteCandidates<'_>>() {
        for c in r.map_err(attr_err(i))?.candidates() {
            let c = c.map_err(attr_err(i))?;
            out.selected_by_peer
                .push((c.component, c.address.to_owned(), c.port));
        }
    }
    if let Some(fp) = rm
        .first::<Fingerprint<'_>>()
        .or_else(|| remote.first::<Fingerprint<'_>>())
    {
        let fp = fp.map_err(attr_err(i))?;
        out.remote_fingerprint = Some((fp.hash_function.to_owned(), fp.fingerprint.to_owned()));
    }
    if let Some(s) = rm.first::<Setup>().or_else(|| remote.first::<Setup>()) {
        out.remote_setup = Some(s.map_err(attr_err(i))?);
    }
    if let Some(p) = rm.first::<Ptime>() {
        // [RFC 3264 §7] "The offerer SHOULD send media according to the value of any ptime and
        // bandwidth attribute in the answer."
        // [RFC 3264 §6.1] "When sending media, it SHOULD use a packetization interval equal to the
        // value of the ptime attribute in the offer, if any was present."
        out.remote_ptime = Some(p.map_err(attr_err(i))?.0);
    }
    Ok(out)
}

fn negotiate_crypto(
    i: usize,
    om: &MediaDescription<'_>,
    am: &MediaDescription<'_>,
    local_is_offerer: bool,
) -> Result<Option<NegotiatedCrypto>, NegotiationError> {
    let answered: Vec<Crypto<'_>> = am
        .typed::<Crypto<'_>>()
        .collect::<Result<_, _>>()
        .map_err(attr_err(i))?;
    let offered: Vec<Crypto<'_>> = om.typed::<Crypto<'_>>().filter_map(Result::ok).collect();
    let crypto_err = |reason| NegotiationError::Crypto { index: i, reason };
    let Some(ac) = answered.first() else {
        // [RFC 4568 §7.1.2] "the answerer MUST either accept one (and only
        // one) of the crypto lines for that media stream, or it MUST reject
        // the media stream."
        if !offered.is_empty() && is_srtp_sdes_proto(&om.proto) {
            return Err(crypto_err("accepted SRTP stream has no crypto line"));
        }
        return Ok(None);
    };
    if answered.len() > 1 {
        return Err(crypto_err("answer has more than one crypto line"));
    }
    // [RFC 4568 §5.1.3] "When the offerer receives the answer, the offerer
    // MUST verify that one of the initially offered crypto suites and its
    // accompanying tag were accepted and echoed in the answer."
    let Some(oc) = offered.iter().find(|o| o.tag == ac.tag) else {
        return Err(crypto_err("answered crypto tag was not offered"));
    };
    // [RFC 4568 §5.1.1] "Each crypto attribute for a given media stream MUST
    // contain a unique tag."
    if offered.iter().filter(|o| o.tag == ac.tag).count() > 1 {
        return Err(crypto_err(
            "answered crypto tag names more than one offered crypto line",
        ));
    }
    if oc.suite != ac.suite {
        return Err(crypto_err(
            "answered crypto suite differs from the offered one with that tag",
        ));
    }
    // [RFC 4568 §6.1] "If the length (after being decoded from base64) does
    // not match that specified for the crypto-suite, the crypto attribute in
    // question MUST be considered invalid."
    ac.validate_keys().map_err(attr_err(i))?;
    let keys = |c: &Crypto<'_>| {
        c.key_params
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";")
    };
    let (local_key_params, remote_key_params) = if local_is_offerer {
        (keys(oc), keys(ac))
    } else {
        (keys(ac), keys(oc))
    };
    Ok(Some(NegotiatedCrypto {
        tag: ac.tag,
        suite: ac.suite.to_owned(),
        local_key_params,
        remote_key_params,
    }))
}

/// One m-line position in this endpoint's descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    /// The stream configuration behind it (None: answered a stream we had
    /// no configuration for, so it stays rejected).
    stream: Option<usize>,
    held: bool,
    removed: bool,
}

/// Offer/answer state across exchanges (RFC 3264 §8): the previous SDP in
/// each direction, the `o=` version, streams added, removed, held and
/// resumed.
///
/// ```
/// use rtclite_sdp::offer_answer::{Codec, EndpointConfig, OfferAnswer, StreamConfig};
/// use rtclite_sdp::Direction;
///
/// let cfg = |user: &str, addr: &str, port| EndpointConfig::new(user, 1, addr)
///     .with_stream(StreamConfig::new("audio", "RTP/AVP", port).with_codec(Codec::new(0, "PCMU", 8000)));
/// let mut alice = OfferAnswer::new(cfg("alice", "192.0.2.1", 49170), 1);
/// let mut bob = OfferAnswer::new(cfg("bob", "192.0.2.2", 49172), 1);
///
/// let offer = alice.create_offer()?;
/// let answer = bob.receive_offer(&offer)?;
/// alice.receive_answer(&answer)?;
/// assert_eq!(alice.negotiated().unwrap().media[0].direction, Direction::SendRecv);
///
/// // Hold (RFC 3264 §8.4): sendrecv becomes sendonly, the peer answers recvonly.
/// alice.hold(0)?;
/// let offer = alice.create_offer()?;
/// assert_eq!(offer.origin.session_version, "2");
/// let answer = bob.receive_offer(&offer)?;
/// alice.receive_answer(&answer)?;
/// assert_eq!(alice.negotiated().unwrap().media[0].direction, Direction::SendOnly);
/// # Ok::<(), rtclite_sdp::NegotiationError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OfferAnswer {
    config: EndpointConfig,
    version: u64,
    slots: Vec<Slot>,
    last_local: Option<OwnedSessionDescription>,
    last_remote: Option<OwnedSessionDescription>,
    /// Our offer, waiting for its answer.
    pending: Option<OwnedSessionDescription>,
    negotiated: Option<NegotiatedSession>,
}

/// The direction of a held stream (RFC 3264 §8.4).
pub fn hold_direction(direction: Direction) -> Direction {
    // [RFC 3264 §8.4] "If the stream to be placed on hold was previously a
    // sendrecv media stream, it is placed on hold by marking it as sendonly.
    // If the stream to be placed on hold was previously a recvonly media
    // stream, it is placed on hold by marking it inactive."
    match direction {
        Direction::SendRecv => Direction::SendOnly,
        Direction::RecvOnly => Direction::Inactive,
        other => other,
    }
}

fn same_except_version(a: &SessionDescription<'_>, b: &SessionDescription<'_>) -> bool {
    let mut b = b.clone();
    b.origin.session_version = a.origin.session_version.clone();
    *a == b
}

impl OfferAnswer {
    /// A fresh session; `initial_version` is the first `o=` version
    /// (RFC 3264 §5: "MUST be less than (2**62)-1").
    pub fn new(config: EndpointConfig, initial_version: u64) -> Self {
        Self {
            config,
            // [RFC 3264 §5] "The initial value of the version MUST be less than (2**62)-1, to avoid
            // rollovers."
            version: initial_version.min((1 << 62) - 2),
            slots: Vec::new(),
            last_local: None,
            last_remote: None,
            pending: None,
            negotiated: None,
        }
    }

    /// Resumes a session from the descriptions of its last completed
    /// exchange (saved state, or a dialog taken over), so that later offers
    /// and answers follow RFC 3264 §8 from there.
    ///
    /// # Errors
    /// When the two descriptions do not form a valid offer/answer pair.
    pub fn restore(
        config: EndpointConfig,
        local: OwnedSessionDescription,
        remote: OwnedSessionDescription,
        local_was_offerer: bool,
    ) -> Result<Self, NegotiationError> {
        let negotiated = if local_was_offerer {
            negotiate(&local, &remote, true)?
        } else {
            negotiate(&remote, &local, false)?
        };
        let version = local
            .origin
            .session_version_number()
            .ok_or(NegotiationError::Origin(
                "session version is not a 64-bit number",
            ))?;
        let slots = local
            .media
            .iter()
            .enumerate()
            .map(|(i, m)| Slot {
                stream: config.streams.iter().position(|s| s.accepts(m)),
                held: false,
                // A bundle-only m-line of our offer is not a removed one.
                removed: m.port == 0 && !(local_was_offerer && is_bundle_only(&local, i)),
            })
            .collect();
        Ok(Self {
            config,
            version,
            slots,
            last_local: Some(local),
            last_remote: Some(remote),
            pending: None,
            negotiated: Some(negotiated),
        })
    }

    /// The local capabilities.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// What the last completed exchange agreed.
    pub fn negotiated(&self) -> Option<&NegotiatedSession> {
        self.negotiated.as_ref()
    }

    /// The last SDP this side provided (offer or answer) in a completed
    /// exchange.
    pub fn local_description(&self) -> Option<&OwnedSessionDescription> {
        self.last_local.as_ref()
    }

    /// The last SDP the peer provided in a completed exchange.
    pub fn remote_description(&self) -> Option<&OwnedSessionDescription> {
        self.last_remote.as_ref()
    }

    /// True while an offer of ours waits for its answer.
    pub fn has_pending_offer(&self) -> bool {
        self.pending.is_some()
    }

    fn slot_mut(&mut self, index: usize) -> Result<&mut Slot, NegotiationError> {
        self.slots
            .get_mut(index)
            .ok_or(NegotiationError::State("no m-line at that index"))
    }

    /// Puts stream `index` on hold in the next offer or answer (RFC 3264
    /// §8.4).
    ///
    /// # Errors
    /// When there is no such m-line.
    pub fn hold(&mut self, index: usize) -> Result<(), NegotiationError> {
        self.slot_mut(index)?.held = true;
        Ok(())
    }

    /// Takes stream `index` off hold.
    ///
    /// # Errors
    /// When there is no such m-line.
    pub fn resume(&mut self, index: usize) -> Result<(), NegotiationError> {
        self.slot_mut(index)?.held = false;
        Ok(())
    }

    /// Removes stream `index`: the next offer carries it with port 0
    /// (RFC 3264 §8.2); the m-line itself stays.
    ///
    /// # Errors
    /// When there is no such m-line.
    pub fn remove_stream(&mut self, index: usize) -> Result<(), NegotiationError> {
        self.slot_mut(index)?.removed = true;
        Ok(())
    }

    /// Adds a stream below the existing ones (RFC 3264 §8.1); returns its
    /// m-line index.
    pub fn add_stream(&mut self, stream: StreamConfig) -> usize {
        self.config.streams.push(stream);
        // [RFC 3264 §8.1] "New media descriptions MUST appear below any existing media sections."
        self.slots.push(Slot {
            stream: Some(self.config.streams.len() - 1),
            held: false,
            removed: false,
        });
        self.slots.len() - 1
    }

    /// Replaces stream `index`'s configuration (new port, address, codecs,
    /// keys) for the next offer (RFC 3264 §8.3).
    ///
    /// # Errors
    /// When there is no such m-line or it has no configuration.
    pub fn update_stream(
        &mut self,
        index: usize,
        stream: StreamConfig,
    ) -> Result<(), NegotiationError> {
        let ci = self
            .slots
            .get(index)
            .and_then(|s| s.stream)
            .ok_or(NegotiationError::State(
                "no configured stream at that index",
            ))?;
        if let Some(s) = self.config.streams.get_mut(ci) {
            *s = stream;
        }
        Ok(())
    }

    /// Sets the session-level address for the next description.
    pub fn set_address(&mut self, address: impl Into<String>) {
        self.config.address = address.into();
    }

    fn wanted(&self, index: usize, direction: Direction) -> Direction {
        match self.slots.get(index) {
            Some(s) if s.held => hold_direction(direction),
            _ => direction,
        }
    }

    /// Stamps the version: unchanged when the description equals the
    /// previous one, else one more (RFC 3264 §8).
    fn stamp(&mut self, mut sdp: OwnedSessionDescription) -> OwnedSessionDescription {
        if let Some(prev) = &self.last_local {
            // [RFC 3264 §8] "When issuing an offer that modifies the session,
            // the "o=" line of the new SDP MUST be identical to that in the
            // previous SDP, except that the version in the origin field MUST
            // increment by one from the previous SDP."
            if !same_except_version(prev, &sdp) {
                self.version = self.version.saturating_add(1);
            }
        }
        sdp.origin.session_version = Cow::Owned(self.version.to_string());
        sdp
    }

    /// Builds the next offer: the initial one from the configuration, later
    /// ones keeping every previous m-line in place (RFC 3264 §8), with port 0
    /// for removed streams and the hold directions of §8.4.
    ///
    /// # Errors
    /// When an offer is already waiting for its answer.
    pub fn create_offer(&mut self) -> Result<OwnedSessionDescription, NegotiationError> {
        if self.has_pending_offer() {
            return Err(NegotiationError::State(
                "an offer is already waiting for its answer",
            ));
        }
        if self.slots.is_empty() && self.last_local.is_none() {
            self.slots = (0..self.config.streams.len())
                .map(|i| Slot {
                    stream: Some(i),
                    held: false,
                    removed: false,
                })
                .collect();
        }
        let mut sdp = self.config.skeleton(self.version);
        let mut uses = vec![0u16; self.config.streams.len()];
        // Per m-line of the offer: its stream is marked bundle-only.
        let mut bundle_only = Vec::with_capacity(self.slots.len());
        for (i, slot) in self.slots.iter().enumerate() {
            let stream = slot
                .stream
                .and_then(|ci| self.config.streams.get(ci).map(|s| (ci, s)));
            let m = match (stream, slot.removed) {
                (Some((ci, s)), false) => {
                    let port = port_for(s, &mut uses, ci);
                    offer_media(s, port, self.wanted(i, s.direction))
                }
                // [RFC 3264 §8.2] "Existing media streams are removed by
                // creating a new SDP with the port number for that stream set
                // to zero.  The stream description MAY omit all attributes
                // present previously, and MAY list just a single media
                // format."
                _ => {
                    let prev = self.last_local.as_ref().and_then(|p| p.media.get(i));
                    match (prev, stream) {
                        // [RFC 3264 §8] "Deleted media streams from a previous SDP MUST NOT be
                        // removed in a new SDP"
                        // [RFC 8839 §4.4.1.1.2] "If an agent removes a data stream by setting its
                        // port to zero, it MUST NOT include any"
                        (Some(p), _) => rejected(p),
                        (None, Some((_, s))) => rejected(&offer_media(s, 0, s.direction)),
                        (None, None) => continue,
                    }
                }
            };
            bundle_only.push(stream.is_some_and(|(_, s)| s.bundle_only));
            sdp.media.push(m);
        }
        check_bundle_only(&sdp, self.config.bundle, &bundle_only)?;
        if self.config.bundle {
            // A subsequent offer keeps the negotiated group's tagged m-line.
            let previous_tag = self
                .negotiated
                .as_ref()
                .and_then(|n| n.media.iter().find_map(|m| m.bundle));
            bundle_offer(&mut sdp, previous_tag, &bundle_only)?;
        }
        let sdp = self.stamp(sdp);
        self.pending = Some(sdp.clone());
        Ok(sdp)
    }

    /// Sets new ICE credentials for stream `index` (RFC 8839): the next
    /// offer then restarts ICE for it (§4.4.1.1.1), or the next answer
    /// answers the peer's restart (§4.4.2.1), which
    /// [`receive_offer`](Self::receive_offer) requires. The caller draws
    /// the values (4+ and 22+ ice-chars).
    ///
    /// # Errors
    /// When there is no configured stream at that index.
    pub fn set_ice_credentials(
        &mut self,
        index: usize,
        ufrag: impl Into<String>,
        pwd: impl Into<String>,
    ) -> Result<(), NegotiationError> {
        let ci = self
            .slots
            .get(index)
            .and_then(|s| s.stream)
            .ok_or(NegotiationError::State(
                "no configured stream at that index",
            ))?;
        if let Some(s) = self.config.streams.get_mut(ci) {
            s.ice = Some(IceCredentials {
                ufrag: ufrag.into(),
                pwd: pwd.into(),
            });
        }
        Ok(())
    }

    /// The m-lines of `offer` whose ICE the peer restarts relative to the
    /// last description it sent (RFC 8839 §4.4.1.1.1). Call it before
    /// [`receive_offer`](Self::receive_offer) to set new local credentials
    /// with [`set_ice_credentials`](Self::set_ice_credentials).
    ///
    /// # Errors
    /// When only one of ice-ufrag and ice-pwd changed for an m-line.
    pub fn ice_restarts_in(
        &self,
        offer: &SessionDescription<'_>,
    ) -> Result<Vec<usize>, NegotiationError> {
        let Some(prev) = &self.last_remote else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for i in 0..prev.media.len().min(offer.media.len()) {
            if ice_restart(prev, offer, i)? {
                out.push(i);
            }
        }
        Ok(out)
    }

    /// Processes the answer to our pending offer (RFC 3264 §7).
    ///
    /// # Errors
    /// When no offer is pending, or the answer breaks a rule of RFC 3264 §6
    /// or RFC 4568 (see [`negotiate`]); the offer stays pending.
    pub fn receive_answer(
        &mut self,
        answer: &SessionDescription<'_>,
    ) -> Result<&NegotiatedSession, NegotiationError> {
        let Some(offer) = &self.pending else {
            return Err(NegotiationError::State("no offer is waiting for an answer"));
        };
        self.check_remote_origin(answer)?;
        self.check_payload_types(answer)?;
        let mut negotiated = negotiate(offer, answer, true)?;
        if let (Some(prev_local), Some(prev_remote)) = (&self.last_local, &self.last_remote) {
            for (i, m) in negotiated.media.iter_mut().enumerate() {
                if !m.accepted || !ice_restart(prev_local, offer, i)? {
                    continue;
                }
                m.ice_restart = true;
                // [RFC 8839 §4.4.2.1] "For a given data stream, the answerer MAY
                // include the same candidates that were used in the previous
                // ICE session, but it MUST change the SDP "ice-pwd" and
                // "ice-ufrag" attribute values."
                if ice_credentials(answer, i).is_some() && !ice_restart(prev_remote, answer, i)? {
                    return Err(NegotiationError::Ice {
                        index: i,
                        reason: "we restarted ICE but the answer kept its ice-ufrag and ice-pwd",
                        section: "§4.4.2.1",
                    });
                }
            }
        }
        let offer = offer.clone();
        self.pending = None;
        self.last_local = Some(offer);
        self.last_remote = Some(answer.clone().into_owned());
        Ok(self.negotiated.insert(negotiated))
    }

    /// Abandons our pending offer (it was refused, or the request carrying
    /// it failed): the previous state stays in force, and the `o=` version
    /// goes back to that of the last completed exchange, so the next
    /// description is one more than the one the peer accepted (the peer
    /// compares with that one, RFC 3264 §8).
    pub fn cancel_offer(&mut self) {
        if self.pending.take().is_some() {
            if let Some(v) = self
                .last_local
                .as_ref()
                .and_then(|l| l.origin.session_version_number())
            {
                self.version = v;
            }
        }
    }

    /// Checks that the peer kept its dynamic payload type mappings
    /// (RFC 3264 §8.3.2).
    fn check_payload_types(&self, sdp: &SessionDescription<'_>) -> Result<(), NegotiationError> {
        match self
            .last_remote
            .as_ref()
            .and_then(|prev| remapped_payload_type(prev, sdp))
        {
            Some((index, payload_type)) => Err(NegotiationError::PayloadTypeRemapped {
                index,
                payload_type,
            }),
            None => Ok(()),
        }
    }

    /// Checks the `o=` rules of RFC 3264 §8 for a description from the peer.
    fn check_remote_origin(&self, sdp: &SessionDescription<'_>) -> Result<(), NegotiationError> {
        let Some(prev) = &self.last_remote else {
            return Ok(());
        };
        let (a, b) = (&prev.origin, &sdp.origin);
        if a.username != b.username
            || a.session_id != b.session_id
            || a.nettype != b.nettype
            || a.addrtype != b.addrtype
            || a.unicast_address != b.unicast_address
        {
            return Err(NegotiationError::Origin(
                "\"o=\" line changed other than in its version",
            ));
        }
        let (Some(pv), Some(nv)) = (a.session_version_number(), b.session_version_number()) else {
            return Err(NegotiationError::Origin(
                "session version is not a 64-bit number",
            ));
        };
        // [RFC 3264 §8] "The answerer MUST be prepared to receive an offer that contains SDP with a
        // version that has not changed"
        if nv == pv {
            // [RFC 3264 §8] "If the version in the origin line does not
            // increment, the SDP MUST be identical to the SDP with that
            // version number."
            if !same_except_version(prev, sdp) {
                return Err(NegotiationError::Origin(
                    "version did not change but the description did",
                ));
            }
        } else if nv != pv.saturating_add(1) {
            return Err(NegotiationError::Origin("version must increment by one"));
        }
        Ok(())
    }

    /// Answers an offer from the peer, initial or later (RFC 3264 §6, §8),
    /// and records what was agreed.
    ///
    /// # Errors
    /// When our own offer is pending (glare), the offer breaks a rule of
    /// §8 (o= line, fewer m-lines than before), or nothing can be accepted.
    pub fn receive_offer(
        &mut self,
        offer: &SessionDescription<'_>,
    ) -> Result<OwnedSessionDescription, NegotiationError> {
        if self.has_pending_offer() {
            return Err(NegotiationError::State(
                "an offer of ours is waiting for its answer (glare)",
            ));
        }
        self.check_remote_origin(offer)?;
        if let Some(prev) = &self.last_remote {
            // [RFC 3264 §8] "if the previous SDP had N "m=" lines, the new
            // SDP MUST have at least N "m=" lines."
            // [RFC 3264 §8] "the new SDP MUST have a matching media stream for each media stream in
            // the previous SDP"
            if offer.media.len() < prev.media.len() {
                return Err(NegotiationError::MediaRemoved {
                    previous: prev.media.len(),
                    now: offer.media.len(),
                });
            }
        }
        self.check_payload_types(offer)?;
        let restarts = self.ice_restarts_in(offer)?;
        if let Some(prev) = &self.last_remote {
            for i in 0..prev.media.len().min(offer.media.len()) {
                let both_ice =
                    ice_credentials(prev, i).is_some() && ice_credentials(offer, i).is_some();
                // [RFC 8839 §4.4.2.1] "If any of the SDP attributes have been
                // modified in a subsequent offer that is not used to request an
                // ICE restart, the answerer MUST reject the offer."
                if both_ice
                    && !restarts.contains(&i)
                    && ice_settings(prev, i) != ice_settings(offer, i)
                {
                    return Err(NegotiationError::Ice {
                        index: i,
                        reason: "ice-options, ice-pacing or ice-lite changed without an ICE restart",
                        section: "§4.4.2.1",
                    });
                }
            }
        }
        let answer =
            build_answer_with(offer, &self.config, self.version, &|i, d| self.wanted(i, d))?;
        let bundled_before = self
            .negotiated
            .as_ref()
            .is_some_and(|n| n.media.iter().any(|m| m.bundle.is_some()));
        if bundled_before {
            for group in bundle_groups(offer) {
                let tagged = group.first().and_then(|mid| mid_index(offer, mid));
                // [RFC 9143 §7.3.3] "In the corresponding offer (subsequent),
                // the "m=" section is the offerer-tagged "m=" section."
                if tagged.is_some_and(|t| answer.media.get(t).is_some_and(|m| m.port == 0)) {
                    return Err(NegotiationError::Bundle {
                        reason: "the offerer-tagged m-line of a later offer cannot be rejected: reject the whole offer",
                        section: "§7.3.3",
                    });
                }
            }
        }
        let mut negotiated = negotiate(offer, &answer, false)?;
        for &i in &restarts {
            let Some(m) = negotiated.media.get_mut(i).filter(|m| m.accepted) else {
                continue;
            };
            m.ice_restart = true;
            if let Some(prev_local) = &self.last_local {
                // [RFC 8839 §4.4.2.1] "If the offerer in a subsequent offer
                // requested an ICE restart (Section 4.4.1.1.1) for a data
                // stream, and if the answerer accepts the offer, the answerer
                // follows the procedures for generating an initial answer."
                if ice_credentials(&answer, i).is_some() && !ice_restart(prev_local, &answer, i)? {
                    return Err(NegotiationError::Ice {
                        index: i,
                        reason: "the peer restarted ICE: set new local credentials with OfferAnswer::set_ice_credentials before answering",
                        section: "§4.4.2.1",
                    });
                }
            }
        }
        // Slots follow the offer's m-lines; a bundle-only one is live.
        for (i, m) in offer.media.iter().enumerate() {
            let stream = self.config.streams.iter().position(|s| s.accepts(m));
            let removed = m.port == 0 && !is_bundle_only(offer, i);
            match self.slots.get_mut(i) {
                Some(slot) => {
                    slot.stream = stream;
                    slot.removed = removed;
                }
                None => self.slots.push(Slot {
                    stream,
                    held: false,
                    removed,
                }),
            }
        }
        let answer = self.stamp(answer);
        self.last_local = Some(answer.clone());
        self.last_remote = Some(offer.clone().into_owned());
        self.negotiated = Some(negotiated);
        Ok(answer)
    }
}
