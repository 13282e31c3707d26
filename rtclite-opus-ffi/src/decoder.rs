//! The safe Opus decoder: packets, in-band FEC and loss concealment.

use std::ffi::c_int;
use std::ptr::NonNull;

use crate::codec::{Channels, Sample, SampleRate, frame_samples};
use crate::error::Error;
use crate::packet::Packet;
use crate::sys;

/// Durations a concealed or FEC-recovered span may have, in units of 2.5 ms
/// (anything from 2.5 to 120 ms).
const LOSS_UNITS: [usize; 48] = {
    let mut units = [0usize; 48];
    let mut i = 0;
    while i < 48 {
        units[i] = i + 1;
        i += 1;
    }
    units
};

/// An Opus decoder: one packet in, PCM out, at any supported rate whatever
/// the rate the sender encoded at.
///
/// Every packet is checked with [`Packet::parse`] (RFC 6716 §3.4) before it
/// reaches libopus, and the output buffer is checked against the packet's
/// duration. `Send`, not `Sync`.
///
/// ```compile_fail
/// fn sync<T: Sync>() {}
/// sync::<rtclite_opus_ffi::Decoder>();
/// ```
#[derive(Debug)]
pub struct Decoder {
    st: NonNull<sys::OpusDecoder>,
    rate: SampleRate,
    channels: Channels,
}

// SAFETY: an OpusDecoder is a plain heap block owned only by this value with
// no thread affinity; moving it between threads is sound. Not Sync: NonNull
// is !Sync and every use needs `&mut self`.
unsafe impl Send for Decoder {}

impl Decoder {
    /// Creates a decoder producing `channels` at `rate`.
    ///
    /// # Errors
    /// [`Error::Library`] when libopus cannot allocate the state.
    pub fn new(rate: SampleRate, channels: Channels) -> Result<Decoder, Error> {
        let mut err: c_int = sys::OPUS_OK;
        // SAFETY: rate and channels are values libopus accepts; `err` is a
        // valid out-pointer.
        let st = unsafe { sys::opus_decoder_create(rate.hz() as i32, channels.as_c(), &mut err) };
        match NonNull::new(st) {
            Some(st) if err == sys::OPUS_OK => Ok(Decoder { st, rate, channels }),
            Some(st) => {
                // SAFETY: st came from opus_decoder_create and is freed once.
                unsafe { sys::opus_decoder_destroy(st.as_ptr()) };
                Err(Error::library("opus_decoder_create", err))
            }
            None => Err(Error::library(
                "opus_decoder_create",
                if err == sys::OPUS_OK {
                    sys::OPUS_ALLOC_FAIL
                } else {
                    err
                },
            )),
        }
    }

    /// The output sample rate.
    pub fn sample_rate(&self) -> SampleRate {
        self.rate
    }

    /// The output channel count.
    pub fn channels(&self) -> Channels {
        self.channels
    }

    /// Decodes one packet into interleaved `pcm`; returns the samples per
    /// channel written (the packet's duration at the output rate).
    ///
    /// # Errors
    /// [`Error::Packet`] for a malformed packet (an empty one included: use
    /// [`Decoder::conceal`] for a lost packet), [`Error::OutputTooSmall`]
    /// when `pcm` cannot hold the packet, [`Error::Library`] when libopus
    /// rejects the frame data.
    pub fn decode<S: Sample>(&mut self, packet: &[u8], pcm: &mut [S]) -> Result<usize, Error> {
        // [RFC 7587 §6.1] "The decoder MUST be capable of decoding any audio bandwidth"
        // [RFC 7587 §7.1] "The decoder MUST be capable of decoding every received clock rate."
        // [RFC 7587 §7.1] "the receiver MUST be capable of receiving any signal."
        // [RFC 7587 §6.1] "every receiver MUST be able to receive and decode stereo signals"
        // [RFC 7587 §6.1] "the receiver MUST be able to process packets that include FEC
        // information, even if it means the FEC part is discarded."
        // (libopus decodes every mode, bandwidth and channel count to this decoder's rate
        // and channels, and skips in-band FEC data in normal decoding.)
        // [RFC 6716 §3.4] "A receiver MUST NOT process packets that violate any of the
        // rules above as normal Opus packets."
        let parsed = Packet::parse(packet)?;
        let needed = usize::try_from(parsed.duration_at(self.rate.hz())).unwrap_or(usize::MAX);
        let capacity = pcm.len() / self.channels.count();
        if capacity < needed {
            return Err(Error::OutputTooSmall { needed, capacity });
        }
        self.call(Some(packet), pcm, needed, false, "opus_decode")
    }

    /// Recovers a lost packet from the in-band FEC data carried by the packet
    /// that followed it (RFC 7587 §3.3). `pcm` must hold exactly the lost
    /// duration (a multiple of 2.5 ms, at most 120 ms); when `next_packet`
    /// carries no FEC for it, libopus conceals the loss instead. Afterwards,
    /// decode `next_packet` itself normally.
    ///
    /// # Errors
    /// As [`Decoder::decode`], and [`Error::InvalidArgument`] when `pcm` is
    /// not a valid loss duration.
    pub fn decode_fec<S: Sample>(
        &mut self,
        next_packet: &[u8],
        pcm: &mut [S],
    ) -> Result<usize, Error> {
        Packet::parse(next_packet)?;
        let frame = frame_samples(self.rate, self.channels, pcm.len(), &LOSS_UNITS)?;
        self.call(Some(next_packet), pcm, frame, true, "opus_decode (FEC)")
    }

    /// Packet loss concealment: fills `pcm` (exactly the lost duration, a
    /// multiple of 2.5 ms, at most 120 ms) with audio extrapolated from what
    /// came before.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `pcm` is not a valid loss duration.
    pub fn conceal<S: Sample>(&mut self, pcm: &mut [S]) -> Result<usize, Error> {
        let frame = frame_samples(self.rate, self.channels, pcm.len(), &LOSS_UNITS)?;
        self.call(None, pcm, frame, false, "opus_decode (PLC)")
    }

    fn call<S: Sample>(
        &mut self,
        packet: Option<&[u8]>,
        pcm: &mut [S],
        frame: usize,
        fec: bool,
        call: &'static str,
    ) -> Result<usize, Error> {
        let (data, len) = match packet {
            Some(p) => (
                p.as_ptr(),
                i32::try_from(p.len())
                    .map_err(|_| Error::invalid("packet", "longer than 2^31 bytes"))?,
            ),
            None => (std::ptr::null(), 0),
        };
        // Never more than 120 ms at 48 kHz, so it fits in c_int.
        let frame = frame.min(self.rate.max_packet_samples());
        debug_assert!(frame * self.channels.count() <= pcm.len());
        if frame * self.channels.count() > pcm.len() {
            return Err(Error::OutputTooSmall {
                needed: frame,
                capacity: pcm.len() / self.channels.count(),
            });
        }
        // SAFETY: `st` is live and owned; `data` is null with len 0 or points
        // to `len` readable bytes of a slice that outlives the call; `pcm`
        // has room for `frame * channels` samples (checked just above);
        // `frame` is at most 5760.
        let ret = unsafe {
            S::decode(
                self.st.as_ptr(),
                data,
                len,
                pcm.as_mut_ptr(),
                frame as c_int,
                c_int::from(fec),
            )
        };
        usize::try_from(ret).map_err(|_| Error::library(call, ret))
    }

    /// Duration of the last decoded (or concealed) packet, in samples per
    /// channel at the output rate.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn last_packet_duration(&self) -> Result<usize, Error> {
        let mut value: c_int = 0;
        // SAFETY: `st` is live; the request takes one opus_int32* out-pointer
        // and `value` is valid for the call. The request does not modify the
        // decoder.
        let ret = unsafe {
            sys::opus_decoder_ctl(
                self.st.as_ptr(),
                sys::OPUS_GET_LAST_PACKET_DURATION_REQUEST,
                &mut value as *mut c_int,
            )
        };
        if ret == sys::OPUS_OK {
            Ok(usize::try_from(value).unwrap_or(0))
        } else {
            Err(Error::library("OPUS_GET_LAST_PACKET_DURATION", ret))
        }
    }

    /// The final state of the range coder after the last packet.
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn final_range(&self) -> Result<u32, Error> {
        let mut value: u32 = 0;
        // SAFETY: `st` is live; the request takes one opus_uint32* out-pointer
        // and `value` is valid for the call.
        let ret = unsafe {
            sys::opus_decoder_ctl(
                self.st.as_ptr(),
                sys::OPUS_GET_FINAL_RANGE_REQUEST,
                &mut value as *mut u32,
            )
        };
        if ret == sys::OPUS_OK {
            Ok(value)
        } else {
            Err(Error::library("OPUS_GET_FINAL_RANGE", ret))
        }
    }

    /// Resets the decoder state (as after a stream change).
    ///
    /// # Errors
    /// [`Error::Library`] if libopus refuses the request.
    pub fn reset(&mut self) -> Result<(), Error> {
        // SAFETY: `st` is live; OPUS_RESET_STATE takes no argument.
        let ret = unsafe { sys::opus_decoder_ctl(self.st.as_ptr(), sys::OPUS_RESET_STATE) };
        if ret == sys::OPUS_OK {
            Ok(())
        } else {
            Err(Error::library("OPUS_RESET_STATE", ret))
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: `st` came from opus_decoder_create, is owned by this value
        // alone, and is freed exactly once here.
        unsafe { sys::opus_decoder_destroy(self.st.as_ptr()) };
    }
}
