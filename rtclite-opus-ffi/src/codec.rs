//! Parameters shared by [`Encoder`](crate::Encoder) and
//! [`Decoder`](crate::Decoder), and the sample types they accept.

use std::ffi::c_int;

use crate::error::Error;
use crate::sys;

/// Sampling rates libopus encodes from and decodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SampleRate {
    /// 8 kHz.
    Hz8000,
    /// 12 kHz.
    Hz12000,
    /// 16 kHz.
    Hz16000,
    /// 24 kHz.
    Hz24000,
    /// 48 kHz.
    Hz48000,
}

impl SampleRate {
    /// All rates, lowest first.
    pub const ALL: [SampleRate; 5] = [
        SampleRate::Hz8000,
        SampleRate::Hz12000,
        SampleRate::Hz16000,
        SampleRate::Hz24000,
        SampleRate::Hz48000,
    ];

    /// The rate in Hz.
    pub const fn hz(self) -> u32 {
        match self {
            SampleRate::Hz8000 => 8000,
            SampleRate::Hz12000 => 12000,
            SampleRate::Hz16000 => 16000,
            SampleRate::Hz24000 => 24000,
            SampleRate::Hz48000 => 48000,
        }
    }

    /// The rate for `hz`, if libopus supports it.
    pub fn from_hz(hz: u32) -> Option<SampleRate> {
        SampleRate::ALL.into_iter().find(|r| r.hz() == hz)
    }

    /// Samples per channel in 2.5 ms, the unit of every Opus frame size.
    pub const fn samples_per_2_5_ms(self) -> usize {
        (self.hz() / 400) as usize
    }

    /// Samples per channel in 120 ms, the longest Opus packet.
    pub const fn max_packet_samples(self) -> usize {
        self.samples_per_2_5_ms() * 48
    }
}

/// Mono or stereo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channels {
    /// One channel.
    Mono,
    /// Two channels, interleaved left/right.
    Stereo,
}

impl Channels {
    /// 1 or 2.
    pub const fn count(self) -> usize {
        match self {
            Channels::Mono => 1,
            Channels::Stereo => 2,
        }
    }

    pub(crate) const fn as_c(self) -> c_int {
        self.count() as c_int
    }
}

/// Checks a PCM buffer against a frame size in samples per channel that must
/// be a whole number of 2.5 ms units and at most `max_units` of them.
pub(crate) fn frame_samples(
    rate: SampleRate,
    channels: Channels,
    pcm_len: usize,
    allowed: &[usize],
) -> Result<usize, Error> {
    if pcm_len % channels.count() != 0 {
        return Err(Error::invalid(
            "PCM length",
            format!(
                "{pcm_len} samples is not a whole number of {}-channel frames",
                channels.count()
            ),
        ));
    }
    let per_channel = pcm_len / channels.count();
    let unit = rate.samples_per_2_5_ms();
    if per_channel % unit != 0 || !allowed.contains(&(per_channel / unit)) {
        return Err(Error::invalid(
            "frame size",
            format!(
                "{per_channel} samples per channel at {} Hz is not an allowed duration ({} ms units of 2.5 ms allowed: {allowed:?})",
                rate.hz(),
                per_channel as f64 * 1000.0 / f64::from(rate.hz()),
            ),
        ));
    }
    Ok(per_channel)
}

mod private {
    pub trait Sealed {}
    impl Sealed for i16 {}
    impl Sealed for f32 {}
}

/// A PCM sample type libopus reads and writes: `i16` or `f32` (nominal range
/// -1.0..=1.0). Sealed.
pub trait Sample: private::Sealed + Copy + Default + Send + 'static {
    /// Calls `opus_encode` or `opus_encode_float`.
    ///
    /// # Safety
    /// `st` is a live encoder of `channels` channels, `pcm` holds
    /// `frame_size * channels` samples and `data` holds `max_bytes` bytes.
    #[doc(hidden)]
    unsafe fn encode(
        st: *mut sys::OpusEncoder,
        pcm: *const Self,
        frame_size: c_int,
        data: *mut u8,
        max_bytes: i32,
    ) -> i32;

    /// Calls `opus_decode` or `opus_decode_float`.
    ///
    /// # Safety
    /// `st` is a live decoder; `data` is null with `len` 0 or points to `len`
    /// readable bytes; `pcm` has room for `frame_size * channels` samples.
    #[doc(hidden)]
    unsafe fn decode(
        st: *mut sys::OpusDecoder,
        data: *const u8,
        len: i32,
        pcm: *mut Self,
        frame_size: c_int,
        fec: c_int,
    ) -> c_int;
}

impl Sample for i16 {
    unsafe fn encode(
        st: *mut sys::OpusEncoder,
        pcm: *const i16,
        frame_size: c_int,
        data: *mut u8,
        max_bytes: i32,
    ) -> i32 {
        // SAFETY: the caller upholds this function's contract, which is
        // exactly opus_encode's.
        unsafe { sys::opus_encode(st, pcm, frame_size, data, max_bytes) }
    }

    unsafe fn decode(
        st: *mut sys::OpusDecoder,
        data: *const u8,
        len: i32,
        pcm: *mut i16,
        frame_size: c_int,
        fec: c_int,
    ) -> c_int {
        // SAFETY: the caller upholds this function's contract, which is
        // exactly opus_decode's.
        unsafe { sys::opus_decode(st, data, len, pcm, frame_size, fec) }
    }
}

impl Sample for f32 {
    unsafe fn encode(
        st: *mut sys::OpusEncoder,
        pcm: *const f32,
        frame_size: c_int,
        data: *mut u8,
        max_bytes: i32,
    ) -> i32 {
        // SAFETY: the caller upholds this function's contract, which is
        // exactly opus_encode_float's.
        unsafe { sys::opus_encode_float(st, pcm, frame_size, data, max_bytes) }
    }

    unsafe fn decode(
        st: *mut sys::OpusDecoder,
        data: *const u8,
        len: i32,
        pcm: *mut f32,
        frame_size: c_int,
        fec: c_int,
    ) -> c_int {
        // SAFETY: the caller upholds this function's contract, which is
        // exactly opus_decode_float's.
        unsafe { sys::opus_decode_float(st, data, len, pcm, frame_size, fec) }
    }
}
