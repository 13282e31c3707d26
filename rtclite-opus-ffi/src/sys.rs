//! Raw declarations of the parts of the libopus C API this crate uses.
//!
//! Written by hand from `opus.h` and `opus_defines.h` of libopus 1.3 (no
//! bindgen, no vendored headers). Everything here is `unsafe` to call; the
//! safe wrappers are [`Encoder`](crate::Encoder), [`Decoder`](crate::Decoder)
//! and [`version`](crate::version). They are public so that tests and users
//! can compare against libopus directly (the differential tests of this crate
//! call [`opus_packet_parse`]).

use std::ffi::{c_char, c_int, c_uchar};

/// `opus_int16`: one 16-bit PCM sample.
pub type OpusInt16 = i16;
/// `opus_int32`.
pub type OpusInt32 = i32;

/// Opaque encoder state (`OpusEncoder`); only ever used behind a pointer.
#[repr(C)]
pub struct OpusEncoder {
    _private: [u8; 0],
    _not_send_sync: std::marker::PhantomData<*mut u8>,
}

/// Opaque decoder state (`OpusDecoder`); only ever used behind a pointer.
#[repr(C)]
pub struct OpusDecoder {
    _private: [u8; 0],
    _not_send_sync: std::marker::PhantomData<*mut u8>,
}

/// No error.
pub const OPUS_OK: c_int = 0;
/// One or more invalid/out of range arguments.
pub const OPUS_BAD_ARG: c_int = -1;
/// Not enough bytes allocated in the buffer.
pub const OPUS_BUFFER_TOO_SMALL: c_int = -2;
/// An internal error was detected.
pub const OPUS_INTERNAL_ERROR: c_int = -3;
/// The compressed data passed is corrupted.
pub const OPUS_INVALID_PACKET: c_int = -4;
/// Invalid/unsupported request number.
pub const OPUS_UNIMPLEMENTED: c_int = -5;
/// An encoder or decoder structure is invalid or already freed.
pub const OPUS_INVALID_STATE: c_int = -6;
/// Memory allocation has failed.
pub const OPUS_ALLOC_FAIL: c_int = -7;

/// Let the library choose (`OPUS_AUTO`).
pub const OPUS_AUTO: c_int = -1000;
/// Maximum bitrate (`OPUS_BITRATE_MAX`).
pub const OPUS_BITRATE_MAX: c_int = -1;

/// Best for most VoIP/videoconference applications.
pub const OPUS_APPLICATION_VOIP: c_int = 2048;
/// Best for broadcast/high-fidelity application.
pub const OPUS_APPLICATION_AUDIO: c_int = 2049;
/// Only when lowest-achievable latency is what matters most.
pub const OPUS_APPLICATION_RESTRICTED_LOWDELAY: c_int = 2051;

/// Signal being encoded is voice.
pub const OPUS_SIGNAL_VOICE: c_int = 3001;
/// Signal being encoded is music.
pub const OPUS_SIGNAL_MUSIC: c_int = 3002;

/// 4 kHz bandpass.
pub const OPUS_BANDWIDTH_NARROWBAND: c_int = 1101;
/// 6 kHz bandpass.
pub const OPUS_BANDWIDTH_MEDIUMBAND: c_int = 1102;
/// 8 kHz bandpass.
pub const OPUS_BANDWIDTH_WIDEBAND: c_int = 1103;
/// 12 kHz bandpass.
pub const OPUS_BANDWIDTH_SUPERWIDEBAND: c_int = 1104;
/// 20 kHz bandpass.
pub const OPUS_BANDWIDTH_FULLBAND: c_int = 1105;

/// `OPUS_SET_APPLICATION` request (argument `opus_int32`).
pub const OPUS_SET_APPLICATION_REQUEST: c_int = 4000;
/// `OPUS_GET_APPLICATION` request (argument `opus_int32*`).
pub const OPUS_GET_APPLICATION_REQUEST: c_int = 4001;
/// `OPUS_SET_BITRATE` request (argument `opus_int32`).
pub const OPUS_SET_BITRATE_REQUEST: c_int = 4002;
/// `OPUS_GET_BITRATE` request (argument `opus_int32*`).
pub const OPUS_GET_BITRATE_REQUEST: c_int = 4003;
/// `OPUS_SET_MAX_BANDWIDTH` request (argument `opus_int32`).
pub const OPUS_SET_MAX_BANDWIDTH_REQUEST: c_int = 4004;
/// `OPUS_GET_MAX_BANDWIDTH` request (argument `opus_int32*`).
pub const OPUS_GET_MAX_BANDWIDTH_REQUEST: c_int = 4005;
/// `OPUS_SET_VBR` request (argument `opus_int32`).
pub const OPUS_SET_VBR_REQUEST: c_int = 4006;
/// `OPUS_GET_VBR` request (argument `opus_int32*`).
pub const OPUS_GET_VBR_REQUEST: c_int = 4007;
/// `OPUS_SET_BANDWIDTH` request (argument `opus_int32`).
pub const OPUS_SET_BANDWIDTH_REQUEST: c_int = 4008;
/// `OPUS_GET_BANDWIDTH` request (argument `opus_int32*`).
pub const OPUS_GET_BANDWIDTH_REQUEST: c_int = 4009;
/// `OPUS_SET_COMPLEXITY` request (argument `opus_int32`).
pub const OPUS_SET_COMPLEXITY_REQUEST: c_int = 4010;
/// `OPUS_GET_COMPLEXITY` request (argument `opus_int32*`).
pub const OPUS_GET_COMPLEXITY_REQUEST: c_int = 4011;
/// `OPUS_SET_INBAND_FEC` request (argument `opus_int32`).
pub const OPUS_SET_INBAND_FEC_REQUEST: c_int = 4012;
/// `OPUS_GET_INBAND_FEC` request (argument `opus_int32*`).
pub const OPUS_GET_INBAND_FEC_REQUEST: c_int = 4013;
/// `OPUS_SET_PACKET_LOSS_PERC` request (argument `opus_int32`).
pub const OPUS_SET_PACKET_LOSS_PERC_REQUEST: c_int = 4014;
/// `OPUS_GET_PACKET_LOSS_PERC` request (argument `opus_int32*`).
pub const OPUS_GET_PACKET_LOSS_PERC_REQUEST: c_int = 4015;
/// `OPUS_SET_DTX` request (argument `opus_int32`).
pub const OPUS_SET_DTX_REQUEST: c_int = 4016;
/// `OPUS_GET_DTX` request (argument `opus_int32*`).
pub const OPUS_GET_DTX_REQUEST: c_int = 4017;
/// `OPUS_SET_VBR_CONSTRAINT` request (argument `opus_int32`).
pub const OPUS_SET_VBR_CONSTRAINT_REQUEST: c_int = 4020;
/// `OPUS_GET_VBR_CONSTRAINT` request (argument `opus_int32*`).
pub const OPUS_GET_VBR_CONSTRAINT_REQUEST: c_int = 4021;
/// `OPUS_SET_SIGNAL` request (argument `opus_int32`).
pub const OPUS_SET_SIGNAL_REQUEST: c_int = 4024;
/// `OPUS_GET_SIGNAL` request (argument `opus_int32*`).
pub const OPUS_GET_SIGNAL_REQUEST: c_int = 4025;
/// `OPUS_GET_LOOKAHEAD` request (argument `opus_int32*`).
pub const OPUS_GET_LOOKAHEAD_REQUEST: c_int = 4027;
/// `OPUS_RESET_STATE` request (no argument).
pub const OPUS_RESET_STATE: c_int = 4028;
/// `OPUS_GET_SAMPLE_RATE` request (argument `opus_int32*`).
pub const OPUS_GET_SAMPLE_RATE_REQUEST: c_int = 4029;
/// `OPUS_GET_FINAL_RANGE` request (argument `opus_uint32*`).
pub const OPUS_GET_FINAL_RANGE_REQUEST: c_int = 4031;
/// `OPUS_GET_LAST_PACKET_DURATION` request (argument `opus_int32*`).
pub const OPUS_GET_LAST_PACKET_DURATION_REQUEST: c_int = 4039;

#[link(name = "opus")]
unsafe extern "C" {
    /// Allocates and initializes an encoder state.
    pub fn opus_encoder_create(
        fs: OpusInt32,
        channels: c_int,
        application: c_int,
        error: *mut c_int,
    ) -> *mut OpusEncoder;
    /// Frees an encoder allocated by [`opus_encoder_create`].
    pub fn opus_encoder_destroy(st: *mut OpusEncoder);
    /// Performs a CTL function on an encoder (C variadic).
    pub fn opus_encoder_ctl(st: *mut OpusEncoder, request: c_int, ...) -> c_int;
    /// Encodes an Opus frame from interleaved 16-bit PCM.
    pub fn opus_encode(
        st: *mut OpusEncoder,
        pcm: *const OpusInt16,
        frame_size: c_int,
        data: *mut c_uchar,
        max_data_bytes: OpusInt32,
    ) -> OpusInt32;
    /// Encodes an Opus frame from interleaved floating point PCM.
    pub fn opus_encode_float(
        st: *mut OpusEncoder,
        pcm: *const f32,
        frame_size: c_int,
        data: *mut c_uchar,
        max_data_bytes: OpusInt32,
    ) -> OpusInt32;

    /// Allocates and initializes a decoder state.
    pub fn opus_decoder_create(
        fs: OpusInt32,
        channels: c_int,
        error: *mut c_int,
    ) -> *mut OpusDecoder;
    /// Frees a decoder allocated by [`opus_decoder_create`].
    pub fn opus_decoder_destroy(st: *mut OpusDecoder);
    /// Performs a CTL function on a decoder (C variadic).
    pub fn opus_decoder_ctl(st: *mut OpusDecoder, request: c_int, ...) -> c_int;
    /// Decodes an Opus packet into interleaved 16-bit PCM.
    pub fn opus_decode(
        st: *mut OpusDecoder,
        data: *const c_uchar,
        len: OpusInt32,
        pcm: *mut OpusInt16,
        frame_size: c_int,
        decode_fec: c_int,
    ) -> c_int;
    /// Decodes an Opus packet into interleaved floating point PCM.
    pub fn opus_decode_float(
        st: *mut OpusDecoder,
        data: *const c_uchar,
        len: OpusInt32,
        pcm: *mut f32,
        frame_size: c_int,
        decode_fec: c_int,
    ) -> c_int;

    /// Parses an Opus packet into one or more frames (up to 48).
    pub fn opus_packet_parse(
        data: *const c_uchar,
        len: OpusInt32,
        out_toc: *mut c_uchar,
        frames: *mut *const c_uchar,
        size: *mut i16,
        payload_offset: *mut c_int,
    ) -> c_int;
    /// The bandwidth of a packet (reads the TOC byte only).
    pub fn opus_packet_get_bandwidth(data: *const c_uchar) -> c_int;
    /// Samples per frame at `fs` (reads the TOC byte only).
    pub fn opus_packet_get_samples_per_frame(data: *const c_uchar, fs: OpusInt32) -> c_int;
    /// Number of channels (reads the TOC byte only).
    pub fn opus_packet_get_nb_channels(data: *const c_uchar) -> c_int;
    /// Number of frames in a packet.
    pub fn opus_packet_get_nb_frames(packet: *const c_uchar, len: OpusInt32) -> c_int;
    /// Number of samples in a packet at `fs`.
    pub fn opus_packet_get_nb_samples(
        packet: *const c_uchar,
        len: OpusInt32,
        fs: OpusInt32,
    ) -> c_int;
    /// Pads a packet in place to `new_len` bytes with Opus padding.
    pub fn opus_packet_pad(data: *mut c_uchar, len: OpusInt32, new_len: OpusInt32) -> c_int;

    /// The libopus version string, NUL-terminated, static.
    pub fn opus_get_version_string() -> *const c_char;
    /// A static, NUL-terminated description of an error code.
    pub fn opus_strerror(error: c_int) -> *const c_char;
}
