//! The safe Opus encoder.

use std::ffi::c_int;
use std::ptr::NonNull;

use crate::codec::{Channels, Sample, SampleRate, frame_samples};
use crate::error::Error;
use crate::packet::Bandwidth;
use crate::sys;

/// The coding mode libopus optimises for (`OPUS_APPLICATION_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Application {
    /// Voice: intelligibility first (VoIP, videoconference).
    Voip,
    /// Audio: fidelity to the input (music, mixed content).
    Audio,
    /// Lowest delay: CELT only, no SILK.
    RestrictedLowDelay,
}

impl Application {
    fn as_c(self) -> c_int {
        match self {
            Application::Voip => sys::OPUS_APPLICATION_VOIP,
            Application::Audio => sys::OPUS_APPLICATION_AUDIO,
            Application::RestrictedLowDelay => sys::OPUS_APPLICATION_RESTRICTED_LOWDELAY,
        }
    }
}

/// A hint about the input signal (`OPUS_SET_SIGNAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Let the encoder detect it.
    Auto,
    /// Speech.
    Voice,
    /// Music.
    Music,
}

/// Target bitrate (`OPUS_SET_BITRATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bitrate {
    /// Chosen by libopus from the channels and sample rate.
    Auto,
    /// As many bits as the output buffer allows.
    Max,
    /// This many bits per second, 500–512000.
    BitsPerSecond(u32),
}

fn bandwidth_to_c(bw: Bandwidth) -> c_int {
    match bw {
        Bandwidth::Narrowband => sys::OPUS_BANDWIDTH_NARROWBAND,
        Bandwidth::Mediumband => sys::OPUS_BANDWIDTH_MEDIUMBAND,
        Bandwidth::Wideband => sys::OPUS_BANDWIDTH_WIDEBAND,
        Bandwidth::Superwideband => sys::OPUS_BANDWIDTH_SUPERWIDEBAND,
        Bandwidth::Fullband => sys::OPUS_BANDWIDTH_FULLBAND,
    }
}

pub(crate) fn bandwidth_from_c(value: c_int) -> Option<Bandwidth> {
    Some(match value {
        sys::OPUS_BANDWIDTH_NARROWBAND => Bandwidth::Narrowband,
        sys::OPUS_BANDWIDTH_MEDIUMBAND => Bandwidth::Mediumband,
        sys::OPUS_BANDWIDTH_WIDEBAND => Bandwidth::Wideband,
        sys::OPUS_BANDWIDTH_SUPERWIDEBAND => Bandwidth::Superwideband,
        sys::OPUS_BANDWIDTH_FULLBAND => Bandwidth::Fullband,
        _ => return None,
    })
}

/// Frame durations the encoder accepts, in units of 2.5 ms: 2.5, 5, 10, 20,
/// 40, 60, 80, 100 and 120 ms.
const ENCODER_FRAME_UNITS: [usize; 9] = [1, 2, 4, 8, 16, 24, 32, 40, 48];

/// The largest packet the encoder is asked to produce (1275 bytes per frame
/// times three frames of a 120 ms packet, plus framing).
pub const MAX_PACKET_LEN: usize = 4000;

/// An Opus encoder: PCM in, one Opus packet out per call.
///
/// `Send` (libopus state has no thread affinity) but not `Sync` (every call
/// mutates the state; `&mut self` is required).
///
/// ```compile_fail
/// fn sync<T: Sync>() {}
/// sync::<rtclite_opus_ffi::Encoder>();
/// ```
#[derive(Debug)]
pub struct Encoder {
    st: NonNull<sys::OpusEncoder>,
    rate: SampleRate,
    channels: Channels,
}

// SAFETY: an OpusEncoder is a plain heap block owned only by this value; it
// holds no thread-local or thread-affine state, so moving it to another
// thread is sound. It is not Sync: NonNull is !Sync, and every use needs
// `&mut self`.
unsafe impl Send for Encoder {}

impl Encoder {
    /// Creates an encoder for `rate` and `channels` input.
    ///
    /// # Errors
    /// [`Error::Library`] when libopus cannot allocate the state.
    pub fn new(
        rate: SampleRate,
        channels: Channels,
        application: Application,
    ) -> Result<Encoder, Error> {
        let mut err: c_int = sys::OPUS_OK;
        // SAFETY: rate, channels and application are values libopus accepts
        // (from our enums); `err` is a valid out-pointer for the call.
        let st = unsafe {
            sys::opus_encoder_create(
                rate.hz() as i32,
                channels.as_c(),
                application.as_c(),
                &mut err,
            )
        };
        match NonNull::new(st) {
            Some(st) if err == sys::OPUS_OK => Ok(Encoder { st, rate, channels }),
            Some(st) => {
                // SAFETY: st came from opus_encoder_create and is freed once.
                unsafe { sys::opus_encoder_destroy(st.as_ptr()) };
                Err(Error::library("opus_encoder_create", err))
            }
            None => Err(Error::library(
                "opus_encoder_create",
                if err == sys::OPUS_OK {
                    sys::OPUS_ALLOC_FAIL
                } else {
                    err
                },
            )),
        }
    }

    /// The input sample rate.
    pub fn sample_rate(&self) -> SampleRate {
        self.rate
    }

    /// The input channel count.
    pub fn channels(&self) -> Channels {
        self.channels
    }

    /// Encodes one frame of interleaved PCM into `out`; returns the packet
    /// length. `pcm` must hold 2.5, 5, 10, 20, 40, 60, 80, 100 or 120 ms per
    /// channel. A result of 1 or 2 bytes means nothing needs to be sent
    /// (DTX).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a PCM length that is not a valid frame
    /// size or an empty `out`; [`Error::Library`] when libopus fails (for
    /// instance `BufferTooSmall` when `out` cannot hold the packet).
    pub fn encode<S: Sample>(&mut self, pcm: &[S], out: &mut [u8]) -> Result<usize, Error> {
        let frame = frame_samples(self.rate, self.channels, pcm.len(), &ENCODER_FRAME_UNITS)?;
        if out.is_empty() {
            return Err(Error::invalid("output buffer", "empty"));
        }
        let max_bytes = i32::try_from(out.len()).unwrap_or(i32::MAX);
        // SAFETY: `st` is live and owned; `pcm` holds exactly `frame *
        // channels` samples (checked above); `out` holds at least `max_bytes`
        // writable bytes; frame fits in c_int (at most 5760).
        let ret = unsafe {
            S::encode(
                self.st.as_ptr(),
                pcm.as_ptr(),
                frame as c_int,
                out.as_mut_ptr(),
                max_bytes,
            )
        };
        usize::try_from(ret).map_err(|_| Error::library("opus_encode", ret))
    }

    /// Encodes into a new `Vec` of at most [`MAX_PACKET_LEN`] bytes.
    ///
    /// # Errors
    /// As [`Encoder::encode`].
    pub fn encode_vec<S: Sample>(&mut self, pcm: &[S]) -> Result<Vec<u8>, Error> {
        let mut out = vec![0u8; MAX_PACKET_LEN];
        let len = self.encode(pcm, &mut out)?;
        out.truncate(len);
        Ok(out)
    }

    fn set(&mut self, call: &'static str, request: c_int, value: c_int) -> Result<(), Error> {
        // SAFETY: `st` is live; every SET request this crate issues takes one
        // opus_int32 (== c_int) argument, which is what is passed.
        let ret = unsafe { sys::opus_encoder_ctl(self.st.as_ptr(), request, value) };
        if ret == sys::OPUS_OK {
            Ok(())
        } else {
            Err(Error::library(call, ret))
        }
    }

    fn get(&self, call: &'static str, request: c_int) -> Result<c_int, Error> {
        let mut value: c_int = 0;
        // SAFETY: `st` is live; every GET request this crate issues takes one
        // opus_int32* (or opus_uint32*, same size) out-pointer, and `value`
        // is a valid, aligned c_int for the call's duration. The GET requests
        // do not modify the encoder.
        let ret =
            unsafe { sys::opus_encoder_ctl(self.st.as_ptr(), request, &mut value as *mut c_int) };
        if ret == sys::OPUS_OK {
            Ok(value)
        } else {
            Err(Error::library(call, ret))
        }
    }

    // [RFC 7587 §6.1] "Note that the maximum average bitrate MAY be modified dynamically
    // during a session."
    // The caller's congestion control (RFC 7587 §5) knows the network; this binding does not.
    // [RFC 7587 §3.1.2 exception: the caller chooses the bitrate] "To avoid congestion, the
    // average bitrate SHOULD NOT exceed the available network bandwidth."
    /// Sets the target bitrate (at any time, between packets).
    ///
    /// # Errors
    /// A bitrate of 0 is rejected; libopus clamps others to 500–512000.
    pub fn set_bitrate(&mut self, bitrate: Bitrate) -> Result<(), Error> {
        let value = match bitrate {
            Bitrate::Auto => sys::OPUS_AUTO,
            Bitrate::Max => sys::OPUS_BITRATE_MAX,
            Bitrate::BitsPerSecond(0) => return Err(Error::invalid("bitrate", "0 bit/s")),
            Bitrate::BitsPerSecond(bps) => c_int::try_from(bps.min(512_000)).unwrap_or(512_000),
        };
        self.set("OPUS_SET_BITRATE", sys::OPUS_SET_BITRATE_REQUEST, value)
    }

    /// The bitrate the encoder is using, in bit/s.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn bitrate(&self) -> Result<u32, Error> {
        let value = self.get("OPUS_GET_BITRATE", sys::OPUS_GET_BITRATE_REQUEST)?;
        Ok(u32::try_from(value).unwrap_or(0))
    }

    /// Variable (true, the default) or constant bitrate.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn set_vbr(&mut self, vbr: bool) -> Result<(), Error> {
        self.set("OPUS_SET_VBR", sys::OPUS_SET_VBR_REQUEST, c_int::from(vbr))
    }

    /// Whether VBR is on.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn vbr(&self) -> Result<bool, Error> {
        Ok(self.get("OPUS_GET_VBR", sys::OPUS_GET_VBR_REQUEST)? != 0)
    }

    /// Constrained VBR (true, the default): bitrate variation bounded like a
    /// one-frame buffer, which limits what the packet sizes reveal.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn set_vbr_constraint(&mut self, constrained: bool) -> Result<(), Error> {
        self.set(
            "OPUS_SET_VBR_CONSTRAINT",
            sys::OPUS_SET_VBR_CONSTRAINT_REQUEST,
            c_int::from(constrained),
        )
    }

    /// Computational complexity, 0 (fastest) to 10 (best).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] above 10.
    pub fn set_complexity(&mut self, complexity: u8) -> Result<(), Error> {
        if complexity > 10 {
            return Err(Error::invalid(
                "complexity",
                format!("{complexity} is above 10"),
            ));
        }
        self.set(
            "OPUS_SET_COMPLEXITY",
            sys::OPUS_SET_COMPLEXITY_REQUEST,
            c_int::from(complexity),
        )
    }

    /// The complexity setting.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn complexity(&self) -> Result<u8, Error> {
        let value = self.get("OPUS_GET_COMPLEXITY", sys::OPUS_GET_COMPLEXITY_REQUEST)?;
        Ok(u8::try_from(value).unwrap_or(0))
    }

    /// In-band forward error correction (RFC 7587 §3.3): each packet also
    /// carries a low-rate copy of the previous one (SILK and hybrid modes,
    /// when the expected loss is above zero).
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn set_inband_fec(&mut self, fec: bool) -> Result<(), Error> {
        self.set(
            "OPUS_SET_INBAND_FEC",
            sys::OPUS_SET_INBAND_FEC_REQUEST,
            c_int::from(fec),
        )
    }

    /// Whether in-band FEC is on.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn inband_fec(&self) -> Result<bool, Error> {
        Ok(self.get("OPUS_GET_INBAND_FEC", sys::OPUS_GET_INBAND_FEC_REQUEST)? != 0)
    }

    /// Expected packet loss, 0–100 percent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] above 100.
    pub fn set_packet_loss_perc(&mut self, percent: u8) -> Result<(), Error> {
        if percent > 100 {
            return Err(Error::invalid(
                "packet loss",
                format!("{percent}% is above 100%"),
            ));
        }
        self.set(
            "OPUS_SET_PACKET_LOSS_PERC",
            sys::OPUS_SET_PACKET_LOSS_PERC_REQUEST,
            c_int::from(percent),
        )
    }

    /// The expected packet loss setting.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn packet_loss_perc(&self) -> Result<u8, Error> {
        let value = self.get(
            "OPUS_GET_PACKET_LOSS_PERC",
            sys::OPUS_GET_PACKET_LOSS_PERC_REQUEST,
        )?;
        Ok(u8::try_from(value).unwrap_or(0))
    }

    /// Discontinuous transmission (RFC 7587 §3.1.3): in silence, emit
    /// packets of at most two bytes that need not be sent.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn set_dtx(&mut self, dtx: bool) -> Result<(), Error> {
        self.set("OPUS_SET_DTX", sys::OPUS_SET_DTX_REQUEST, c_int::from(dtx))
    }

    /// Whether DTX is on.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn dtx(&self) -> Result<bool, Error> {
        Ok(self.get("OPUS_GET_DTX", sys::OPUS_GET_DTX_REQUEST)? != 0)
    }

    /// Hints the signal type.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn set_signal(&mut self, signal: Signal) -> Result<(), Error> {
        let value = match signal {
            Signal::Auto => sys::OPUS_AUTO,
            Signal::Voice => sys::OPUS_SIGNAL_VOICE,
            Signal::Music => sys::OPUS_SIGNAL_MUSIC,
        };
        self.set("OPUS_SET_SIGNAL", sys::OPUS_SET_SIGNAL_REQUEST, value)
    }

    /// The signal type hint.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn signal(&self) -> Result<Signal, Error> {
        Ok(
            match self.get("OPUS_GET_SIGNAL", sys::OPUS_GET_SIGNAL_REQUEST)? {
                sys::OPUS_SIGNAL_VOICE => Signal::Voice,
                sys::OPUS_SIGNAL_MUSIC => Signal::Music,
                _ => Signal::Auto,
            },
        )
    }

    /// Forces the coded bandwidth (`Some`) or lets the encoder choose
    /// (`None`, the default).
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn set_bandwidth(&mut self, bandwidth: Option<Bandwidth>) -> Result<(), Error> {
        let value = bandwidth.map_or(sys::OPUS_AUTO, bandwidth_to_c);
        self.set("OPUS_SET_BANDWIDTH", sys::OPUS_SET_BANDWIDTH_REQUEST, value)
    }

    /// The widest bandwidth the encoder may choose (RFC 7587
    /// `maxplaybackrate` maps here).
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn set_max_bandwidth(&mut self, bandwidth: Bandwidth) -> Result<(), Error> {
        self.set(
            "OPUS_SET_MAX_BANDWIDTH",
            sys::OPUS_SET_MAX_BANDWIDTH_REQUEST,
            bandwidth_to_c(bandwidth),
        )
    }

    /// The maximum bandwidth setting.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request or answers with an
    /// unknown value.
    pub fn max_bandwidth(&self) -> Result<Bandwidth, Error> {
        let value = self.get(
            "OPUS_GET_MAX_BANDWIDTH",
            sys::OPUS_GET_MAX_BANDWIDTH_REQUEST,
        )?;
        bandwidth_from_c(value).ok_or(Error::library(
            "OPUS_GET_MAX_BANDWIDTH",
            sys::OPUS_INTERNAL_ERROR,
        ))
    }

    /// Encoder delay in samples at the input rate (to trim from the start of
    /// decoded audio when aligning it with the input).
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn lookahead(&self) -> Result<usize, Error> {
        let value = self.get("OPUS_GET_LOOKAHEAD", sys::OPUS_GET_LOOKAHEAD_REQUEST)?;
        Ok(usize::try_from(value).unwrap_or(0))
    }

    /// The final state of the range coder after the last packet (for
    /// comparing with a decoder's).
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn final_range(&self) -> Result<u32, Error> {
        let value = self.get("OPUS_GET_FINAL_RANGE", sys::OPUS_GET_FINAL_RANGE_REQUEST)?;
        Ok(value as u32)
    }

    /// Resets the codec state as if freshly created (settings are kept).
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn reset(&mut self) -> Result<(), Error> {
        // SAFETY: `st` is live; OPUS_RESET_STATE takes no argument.
        let ret = unsafe { sys::opus_encoder_ctl(self.st.as_ptr(), sys::OPUS_RESET_STATE) };
        if ret == sys::OPUS_OK {
            Ok(())
        } else {
            Err(Error::library("OPUS_RESET_STATE", ret))
        }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: `st` came from opus_encoder_create, is owned by this value
        // alone, and is freed exactly once here.
        unsafe { sys::opus_encoder_destroy(self.st.as_ptr()) };
    }
}
