//! The voice codecs of the media engine: PCMU and PCMA (G.711, from
//! rtclite-rtp) and Opus (libopus through rtclite-opus-ffi), all used with
//! 20 ms frames of mono audio.

use rtclite_opus_ffi::{Application, Channels, Decoder, Encoder, OpusFmtp, SampleRate};
use rtclite_rtp::payload::g711;

/// Frame length of the engine, in milliseconds.
pub(crate) const FRAME_MS: u32 = 20;

/// A codec the engine can send and receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CodecKind {
    /// G.711 μ-law (RFC 3551 §4.5.14, static payload type 0).
    Pcmu,
    /// G.711 A-law (static payload type 8).
    Pcma,
    /// Opus (RFC 7587), 48 kHz RTP clock.
    Opus,
}

impl CodecKind {
    /// Every codec, in the default order of preference.
    pub(crate) const ALL: [CodecKind; 3] = [CodecKind::Opus, CodecKind::Pcmu, CodecKind::Pcma];

    /// The encoding name as SDP writes it.
    pub(crate) fn encoding_name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::Opus => "opus",
        }
    }

    /// The RTP clock rate, which is also the rate the engine samples audio
    /// at for this codec.
    pub(crate) fn clock_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            // [RFC 7587 §6.1] "the RTP timestamp is incremented with a 48000
            // Hz clock rate for all modes of Opus and all sampling rates"
            CodecKind::Opus => 48_000,
        }
    }

    /// Samples (and RTP timestamp units) in one 20 ms frame.
    pub(crate) fn frame_samples(self) -> usize {
        (self.clock_rate() * FRAME_MS / 1000) as usize
    }

    /// The codec for an SDP encoding name and clock rate, if supported.
    pub(crate) fn from_sdp(name: &str, clock_rate: u32) -> Option<CodecKind> {
        CodecKind::ALL
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name) && c.clock_rate() == clock_rate)
    }
}

impl std::str::FromStr for CodecKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "pcmu" => Ok(CodecKind::Pcmu),
            "pcma" => Ok(CodecKind::Pcma),
            "opus" => Ok(CodecKind::Opus),
            _ => Err(format!("unknown codec {s:?} (pcmu, pcma or opus)")),
        }
    }
}

impl std::fmt::Display for CodecKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.encoding_name())
    }
}

/// Errors of the codec layer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CodecError {
    /// libopus refused a setting or a packet.
    #[error("opus: {0}")]
    Opus(#[from] rtclite_opus_ffi::Error),
    /// A G.711 payload has a different length than one 20 ms frame.
    #[error("{codec} payload of {len} octets; this endpoint receives 20 ms frames ({want} octets)")]
    FrameLength {
        /// The codec.
        codec: CodecKind,
        /// The length received.
        len: usize,
        /// The length expected.
        want: usize,
    },
}

/// One direction-pair of a codec: an encoder for what we send and a decoder
/// for what we receive.
pub(crate) struct AudioCodec {
    kind: CodecKind,
    opus: Option<(Encoder, Decoder)>,
}

impl std::fmt::Debug for AudioCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioCodec")
            .field("kind", &self.kind)
            .finish()
    }
}

impl AudioCodec {
    /// A codec; for Opus, `remote_fmtp` is the peer's fmtp (what it wants
    /// to receive: bitrate cap, FEC, DTX, CBR).
    pub(crate) fn new(kind: CodecKind, remote_fmtp: Option<&str>) -> Result<Self, CodecError> {
        let opus = match kind {
            CodecKind::Opus => {
                let mut enc = Encoder::new(SampleRate::Hz48000, Channels::Mono, Application::Voip)?;
                let fmtp = remote_fmtp
                    .and_then(|f| OpusFmtp::parse(f).ok())
                    .unwrap_or_default();
                let mut settings = fmtp.encoder_settings(Application::Voip, None, None);
                // We always send mono: stereo=1 only says the receiver
                // prefers stereo (RFC 7587 §6.1), mono is always decodable.
                settings.channels = Channels::Mono;
                enc.apply(&settings)?;
                let dec = Decoder::new(SampleRate::Hz48000, Channels::Mono)?;
                Some((enc, dec))
            }
            CodecKind::Pcmu | CodecKind::Pcma => None,
        };
        Ok(Self { kind, opus })
    }

    /// Encodes one 20 ms frame into `out`; returns the payload length.
    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        match (self.kind, &mut self.opus) {
            (CodecKind::Pcmu, _) => {
                let n = pcm.len().min(out.len());
                g711::ulaw_encode_slice(pcm.get(..n).unwrap_or(&[]), out);
                Ok(n)
            }
            (CodecKind::Pcma, _) => {
                let n = pcm.len().min(out.len());
                g711::alaw_encode_slice(pcm.get(..n).unwrap_or(&[]), out);
                Ok(n)
            }
            (CodecKind::Opus, Some((enc, _))) => Ok(enc.encode(pcm, out)?),
            (CodecKind::Opus, None) => Ok(0),
        }
    }

    /// Decodes one received payload into `pcm` (one 20 ms frame long);
    /// returns the samples written.
    pub(crate) fn decode(&mut self, payload: &[u8], pcm: &mut [i16]) -> Result<usize, CodecError> {
        match (self.kind, &mut self.opus) {
            (CodecKind::Pcmu | CodecKind::Pcma, _) => {
                let want = self.kind.frame_samples();
                if payload.len() != want || pcm.len() < want {
                    return Err(CodecError::FrameLength {
                        codec: self.kind,
                        len: payload.len(),
                        want,
                    });
                }
                if self.kind == CodecKind::Pcmu {
                    g711::ulaw_decode_slice(payload, pcm);
                } else {
                    g711::alaw_decode_slice(payload, pcm);
                }
                Ok(want)
            }
            (CodecKind::Opus, Some((_, dec))) => Ok(dec.decode(payload, pcm)?),
            (CodecKind::Opus, None) => Ok(0),
        }
    }

    /// Fills `pcm` (one frame) for a frame that never arrived: Opus's own
    /// concealment; silence for G.711 (no G.711 Appendix I concealment, which
    /// is why the E-model uses G.711's no-PLC loss robustness).
    pub(crate) fn conceal(&mut self, pcm: &mut [i16]) -> Result<usize, CodecError> {
        match &mut self.opus {
            Some((_, dec)) => Ok(dec.conceal(pcm)?),
            None => {
                pcm.fill(0);
                Ok(pcm.len())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::audio::{AudioSource, TestSignal};
    use crate::media::quality::{align_and_snr, snr_db};

    fn round_trip(kind: CodecKind, seconds: f64) -> (Vec<i16>, Vec<i16>) {
        let mut codec = AudioCodec::new(kind, None).unwrap();
        let n = kind.frame_samples();
        let mut src = TestSignal::new(kind.clock_rate(), seconds, 3);
        let (mut sent, mut got) = (Vec::new(), Vec::new());
        let mut frame = vec![0i16; n];
        let mut payload = [0u8; 1500];
        let mut out = vec![0i16; n];
        while src.fill(&mut frame) {
            let len = codec.encode(&frame, &mut payload).unwrap();
            let m = codec.decode(&payload[..len], &mut out).unwrap();
            assert_eq!(m, n);
            sent.extend_from_slice(&frame);
            got.extend_from_slice(&out);
        }
        (sent, got)
    }

    #[test]
    fn g711_round_trip_snr() {
        // G.711's companding keeps about 38 dB SNR on a signal at this level
        // (ITU-T G.711 is a 64 kbit/s waveform coder: no delay, no model).
        for kind in [CodecKind::Pcmu, CodecKind::Pcma] {
            let (sent, got) = round_trip(kind, 1.0);
            let snr = snr_db(&sent, &got);
            assert!(snr > 30.0, "{kind}: {snr:.1} dB");
        }
    }

    #[test]
    fn opus_round_trip_keeps_the_signal() {
        let (sent, got) = round_trip(CodecKind::Opus, 2.0);
        // Opus delays by its look-ahead; align, then compare.
        let q = align_and_snr(&sent, &got, 48_000, 0.05).unwrap();
        assert!(q.delay_ms >= 0.0 && q.delay_ms < 10.0, "{q:?}");
        assert!(q.snr_db > 5.0, "{q:?}");
    }

    #[test]
    fn g711_payload_of_the_wrong_length_is_an_error() {
        let mut c = AudioCodec::new(CodecKind::Pcmu, None).unwrap();
        let mut pcm = [0i16; 160];
        let err = c.decode(&[0u8; 80], &mut pcm).unwrap_err();
        assert!(err.to_string().contains("80 octets"), "{err}");
    }

    #[test]
    fn concealment_fills_one_frame() {
        for kind in CodecKind::ALL {
            let mut c = AudioCodec::new(kind, None).unwrap();
            let mut pcm = vec![1i16; kind.frame_samples()];
            assert_eq!(c.conceal(&mut pcm).unwrap(), kind.frame_samples());
        }
    }

    #[test]
    fn names_parse_and_map_from_sdp() {
        assert_eq!("PCMU".parse::<CodecKind>().unwrap(), CodecKind::Pcmu);
        assert_eq!("opus".parse::<CodecKind>().unwrap(), CodecKind::Opus);
        assert!("g729".parse::<CodecKind>().is_err());
        assert_eq!(CodecKind::from_sdp("OPUS", 48_000), Some(CodecKind::Opus));
        assert_eq!(CodecKind::from_sdp("opus", 8000), None);
        assert_eq!(CodecKind::Opus.frame_samples(), 960);
        assert_eq!(CodecKind::Pcma.frame_samples(), 160);
    }
}
