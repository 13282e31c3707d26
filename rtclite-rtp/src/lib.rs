#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod demux;
pub mod jitter;
pub mod payload;
pub mod rtcp;
pub mod rtp;
pub mod session;

/// A synchronization or contributing source identifier (RFC 3550 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ssrc(pub u32);

impl core::fmt::Display for Ssrc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl From<u32> for Ssrc {
    fn from(v: u32) -> Self {
        Ssrc(v)
    }
}

pub use rtcp::{Compound, RtcpError, RtcpPacket, RtcpWriter};
pub use rtp::{RtpError, RtpPacket, RtpPacketBuilder};
