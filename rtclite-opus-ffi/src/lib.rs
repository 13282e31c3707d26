#![doc = include_str!("../README.md")]

pub mod codec;
pub mod decoder;
pub mod encoder;
pub mod error;
pub mod fmtp;
pub mod introspect;
pub mod packet;
pub mod rtp;
pub mod sdp;
pub mod sys;

pub use codec::{Channels, Sample, SampleRate};
pub use decoder::Decoder;
pub use encoder::{Application, Bitrate, Encoder, MAX_PACKET_LEN, Signal};
pub use error::{Error, LibopusError};
pub use fmtp::{EncoderSettings, OpusFmtp};
pub use packet::{
    Bandwidth, FrameCode, Mode, Packet, PacketError, Rule, Toc, pad_packet, write_packet,
};

/// The version string of the linked libopus, e.g. `"libopus 1.3.1"`.
pub fn version() -> &'static str {
    // SAFETY: opus_get_version_string takes no argument and returns a
    // pointer to a static NUL-terminated string that lives as long as the
    // library is loaded (the whole program).
    let ptr = unsafe { sys::opus_get_version_string() };
    if ptr.is_null() {
        return "";
    }
    // SAFETY: non-null, NUL-terminated and static (see above).
    let text = unsafe { std::ffi::CStr::from_ptr(ptr) };
    text.to_str().unwrap_or("")
}
