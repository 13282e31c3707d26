//! libopus's own packet introspection (`opus_packet_parse`,
//! `opus_packet_get_nb_frames`, `opus_packet_get_nb_samples`), safely
//! wrapped: the reference [`Packet::parse`](crate::Packet::parse) is tested
//! against, and a second opinion for users who want one.

use std::ffi::c_int;

use crate::error::LibopusError;
use crate::packet::MAX_FRAMES;
use crate::sys;

/// What `opus_packet_parse` reports about a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibopusFrames {
    /// The TOC byte.
    pub toc: u8,
    /// Number of frames.
    pub count: usize,
    /// Offset of each frame in the packet (the first `count` entries).
    pub offsets: [usize; MAX_FRAMES],
    /// Length of each frame (the first `count` entries).
    pub lens: [usize; MAX_FRAMES],
    /// Offset of the first frame's data.
    pub payload_offset: usize,
}

/// Parses a packet with libopus's `opus_packet_parse`.
///
/// # Errors
/// The libopus error (`InvalidPacket` for a malformed packet, `BadArg` for
/// one longer than `i32::MAX` bytes).
pub fn parse(data: &[u8]) -> Result<LibopusFrames, LibopusError> {
    let len = i32::try_from(data.len()).map_err(|_| LibopusError::BadArg)?;
    if data.is_empty() {
        return Err(LibopusError::InvalidPacket);
    }
    let mut toc = 0u8;
    let mut frames = [std::ptr::null::<u8>(); MAX_FRAMES];
    let mut sizes = [0i16; MAX_FRAMES];
    let mut payload_offset: c_int = 0;
    // SAFETY: `data` is non-empty and holds `len` readable bytes; `frames`
    // and `sizes` hold the 48 entries opus_packet_parse may write; the other
    // out-pointers are valid for the call.
    let count = unsafe {
        sys::opus_packet_parse(
            data.as_ptr(),
            len,
            &mut toc,
            frames.as_mut_ptr(),
            sizes.as_mut_ptr(),
            &mut payload_offset,
        )
    };
    let count = usize::try_from(count).map_err(|_| LibopusError::from_code(count))?;
    let mut result = LibopusFrames {
        toc,
        count: count.min(MAX_FRAMES),
        offsets: [0; MAX_FRAMES],
        lens: [0; MAX_FRAMES],
        payload_offset: usize::try_from(payload_offset).unwrap_or(0),
    };
    let base = data.as_ptr() as usize;
    for (i, (&ptr, &size)) in frames.iter().zip(&sizes).take(result.count).enumerate() {
        if let (Some(offset), Some(len)) = (result.offsets.get_mut(i), result.lens.get_mut(i)) {
            *offset = (ptr as usize).saturating_sub(base);
            *len = usize::try_from(size).unwrap_or(0);
        }
    }
    Ok(result)
}

/// `opus_packet_get_nb_frames`: the frame count libopus reads from the
/// header (it does not check the rest of the packet).
///
/// # Errors
/// The libopus error.
pub fn nb_frames(data: &[u8]) -> Result<usize, LibopusError> {
    let len = i32::try_from(data.len()).map_err(|_| LibopusError::BadArg)?;
    if data.is_empty() {
        return Err(LibopusError::BadArg);
    }
    // SAFETY: `data` is non-empty and holds `len` readable bytes.
    let n = unsafe { sys::opus_packet_get_nb_frames(data.as_ptr(), len) };
    usize::try_from(n).map_err(|_| LibopusError::from_code(n))
}

/// `opus_packet_get_nb_samples`: the packet duration in samples per channel
/// at `rate_hz`.
///
/// # Errors
/// The libopus error.
pub fn nb_samples(data: &[u8], rate_hz: u32) -> Result<usize, LibopusError> {
    let len = i32::try_from(data.len()).map_err(|_| LibopusError::BadArg)?;
    let rate = i32::try_from(rate_hz).map_err(|_| LibopusError::BadArg)?;
    if data.is_empty() {
        return Err(LibopusError::BadArg);
    }
    // SAFETY: `data` is non-empty and holds `len` readable bytes.
    let n = unsafe { sys::opus_packet_get_nb_samples(data.as_ptr(), len, rate) };
    usize::try_from(n).map_err(|_| LibopusError::from_code(n))
}
