#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod attributes;
mod error;
mod model;
pub mod offer_answer;
mod parse;
mod write;

pub use attributes::{
    AttributeValue, BandwidthType, BundleOnly, Candidate, CandidateType, Crypto, Direction,
    EndOfCandidates, Extmap, Fingerprint, Fmtp, Framerate, Group, IceLite, IceOptions, IcePwd,
    IceUfrag, KeyParam, Label, Lifetime, MaxMessageSize, MaxPtime, Mid, Mki, Msid, Ptime,
    RemoteCandidate, RemoteCandidates, Rtcp, RtcpFb, RtcpMux, RtcpMuxOnly, RtcpRsize, Rtpmap,
    SctpPort, Setup, Ssrc, SsrcGroup, Tool,
};
pub use error::{AttributeError, NegotiationError, ParseError, ParseErrorKind};
pub use model::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, OwnedSessionDescription,
    RepeatTime, SessionDescription, TimeDescription, TimeUnit, TypedTime, ZoneAdjustment,
};
pub use parse::{MAX_ATTRIBUTES, MAX_LINES, MAX_MEDIA, MAX_SDP_LEN, parse};
