//! The media engine of `rtclite phone`, `rtclite echo` and `rtclite demo`:
//! wiring of the rtclite crates into a voice stream, testable without SIP.
//!
//! - [`audio`]: sources (WAV file, tone, the demo's test signal) and the
//!   recorder;
//! - [`codec`]: PCMU, PCMA (rtclite-rtp's G.711) and Opus
//!   (rtclite-opus-ffi), 20 ms frames;
//! - [`sdp`]: local capabilities for the rtclite-sdp offer/answer engine
//!   and the negotiated result as [`stream::MediaParams`];
//! - [`stream`]: one sans-IO audio stream (RTP, RTCP session, jitter buffer,
//!   SRTP, RFC 4733 DTMF);
//! - [`driver`]: runs a stream over UDP sockets on tokio;
//! - [`quality`]: the call summary's E-model MOS and the demo's
//!   cross-correlation delay and SNR.

pub(crate) mod audio;
pub(crate) mod codec;
pub(crate) mod driver;
pub(crate) mod quality;
pub(crate) mod sdp;
pub(crate) mod stream;
