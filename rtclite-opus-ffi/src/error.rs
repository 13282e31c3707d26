//! Errors of the safe libopus wrappers.

use std::ffi::c_int;

use crate::packet::PacketError;
use crate::sys;

/// An error code returned by libopus (`OPUS_*` in `opus_defines.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LibopusError {
    /// `OPUS_BAD_ARG`: one or more invalid or out-of-range arguments.
    BadArg,
    /// `OPUS_BUFFER_TOO_SMALL`: not enough room in the output buffer.
    BufferTooSmall,
    /// `OPUS_INTERNAL_ERROR`.
    InternalError,
    /// `OPUS_INVALID_PACKET`: the compressed data is corrupted.
    InvalidPacket,
    /// `OPUS_UNIMPLEMENTED`: unsupported request.
    Unimplemented,
    /// `OPUS_INVALID_STATE`.
    InvalidState,
    /// `OPUS_ALLOC_FAIL`.
    AllocFail,
    /// A code this crate does not know.
    Other(i32),
}

impl LibopusError {
    /// Maps a negative libopus return value.
    pub fn from_code(code: c_int) -> LibopusError {
        match code {
            sys::OPUS_BAD_ARG => LibopusError::BadArg,
            sys::OPUS_BUFFER_TOO_SMALL => LibopusError::BufferTooSmall,
            sys::OPUS_INTERNAL_ERROR => LibopusError::InternalError,
            sys::OPUS_INVALID_PACKET => LibopusError::InvalidPacket,
            sys::OPUS_UNIMPLEMENTED => LibopusError::Unimplemented,
            sys::OPUS_INVALID_STATE => LibopusError::InvalidState,
            sys::OPUS_ALLOC_FAIL => LibopusError::AllocFail,
            other => LibopusError::Other(other),
        }
    }

    /// The libopus code.
    pub fn code(self) -> i32 {
        match self {
            LibopusError::BadArg => sys::OPUS_BAD_ARG,
            LibopusError::BufferTooSmall => sys::OPUS_BUFFER_TOO_SMALL,
            LibopusError::InternalError => sys::OPUS_INTERNAL_ERROR,
            LibopusError::InvalidPacket => sys::OPUS_INVALID_PACKET,
            LibopusError::Unimplemented => sys::OPUS_UNIMPLEMENTED,
            LibopusError::InvalidState => sys::OPUS_INVALID_STATE,
            LibopusError::AllocFail => sys::OPUS_ALLOC_FAIL,
            LibopusError::Other(code) => code,
        }
    }
}

impl std::fmt::Display for LibopusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            LibopusError::BadArg => "invalid argument",
            LibopusError::BufferTooSmall => "buffer too small",
            LibopusError::InternalError => "internal error",
            LibopusError::InvalidPacket => "corrupted stream",
            LibopusError::Unimplemented => "request not implemented",
            LibopusError::InvalidState => "invalid state",
            LibopusError::AllocFail => "memory allocation failed",
            LibopusError::Other(_) => "unknown error",
        };
        write!(f, "{text} ({})", self.code())
    }
}

/// Everything the safe [`Encoder`](crate::Encoder) and
/// [`Decoder`](crate::Decoder) can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// libopus returned an error from the named call.
    #[error("libopus {call}: {code}")]
    Library {
        /// The C function (and CTL request) that failed.
        call: &'static str,
        /// What it returned.
        code: LibopusError,
    },
    /// An argument is outside what this API accepts; checked before any C
    /// call.
    #[error("invalid {what}: {detail}")]
    InvalidArgument {
        /// The argument.
        what: &'static str,
        /// Why it is rejected.
        detail: String,
    },
    /// The packet given to the decoder is malformed (RFC 6716 §3.4); it was
    /// not passed to libopus.
    #[error("malformed Opus packet: {0}")]
    Packet(#[from] PacketError),
    /// The PCM buffer cannot hold the decoded audio.
    #[error("PCM buffer holds {capacity} samples per channel, {needed} are needed")]
    OutputTooSmall {
        /// Samples per channel needed.
        needed: usize,
        /// Samples per channel the buffer holds.
        capacity: usize,
    },
}

impl Error {
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Error {
        Error::InvalidArgument {
            what,
            detail: detail.into(),
        }
    }

    pub(crate) fn library(call: &'static str, code: c_int) -> Error {
        Error::Library {
            call,
            code: LibopusError::from_code(code),
        }
    }
}
