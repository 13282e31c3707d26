//! Audio sources and sinks: mono 16-bit PCM at the codec's sample rate,
//! one 20 ms frame at a time.
//!
//! Sources: a WAV file ([`WavSource`], via hound, mixed down to mono and
//! resampled by linear interpolation), a sine tone ([`Tone`]) and the demo's
//! test signal ([`TestSignal`]). The sink is a recorder ([`Recorder`]) that
//! places each played frame at its playout time, so that a recording lines
//! up with what was sent and a round-trip delay can be measured on it.

use std::f64::consts::TAU;
use std::path::Path;

/// Longest WAV file a [`WavSource`] loads, in seconds of audio (the whole
/// file is held in memory).
pub(crate) const MAX_WAV_SECONDS: u64 = 600;
/// Longest recording a [`Recorder`] keeps, in seconds; later frames are
/// dropped and counted.
pub(crate) const MAX_RECORD_SECONDS: u64 = 600;

/// Something that produces audio, one frame at a time.
pub(crate) trait AudioSource: Send {
    /// Fills `out` with the next samples (mono, at the rate the source was
    /// made for). Returns false once the source is exhausted (the frame is
    /// then silence).
    fn fill(&mut self, out: &mut [i16]) -> bool;
}

/// Errors of the audio sources and sinks.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AudioError {
    /// The WAV file could not be read or written.
    #[error("WAV file {path}: {source}")]
    Wav {
        /// The file.
        path: String,
        /// What hound said.
        source: hound::Error,
    },
    /// The WAV file holds something other than 8/16/24/32-bit integer or
    /// 32-bit float PCM.
    #[error("WAV file {path}: unsupported format ({what})")]
    Unsupported {
        /// The file.
        path: String,
        /// What is unsupported.
        what: String,
    },
    /// The WAV file is longer than [`MAX_WAV_SECONDS`].
    #[error("WAV file {path}: longer than {MAX_WAV_SECONDS} s")]
    TooLong {
        /// The file.
        path: String,
    },
}

/// A sine tone at a fixed frequency and level, endless.
#[derive(Debug, Clone)]
pub(crate) struct Tone {
    phase: f64,
    step: f64,
    amplitude: f64,
}

impl Tone {
    /// A tone of `hz` at `rate` samples per second with peak `amplitude`
    /// (full scale 32767).
    pub(crate) fn new(hz: f64, rate: u32, amplitude: f64) -> Self {
        Self {
            phase: 0.0,
            step: TAU * hz / f64::from(rate.max(1)),
            amplitude: amplitude.clamp(0.0, 32767.0),
        }
    }
}

impl AudioSource for Tone {
    fn fill(&mut self, out: &mut [i16]) -> bool {
        for s in out.iter_mut() {
            *s = (self.phase.sin() * self.amplitude) as i16;
            self.phase = (self.phase + self.step) % TAU;
        }
        true
    }
}

/// The demo's test signal: a sequence of 200 ms "syllables", each the sum
/// of three tones in the speech band at frequencies drawn from a fixed
/// seed, under a raised-cosine envelope, separated by short pauses. It never
/// repeats within a call, so its autocorrelation has one clear peak and a
/// cross-correlation against the echo finds the round-trip delay without
/// ambiguity; being tonal, every codec carries it with a meaningful SNR.
#[derive(Debug, Clone)]
pub(crate) struct TestSignal {
    rate: u32,
    /// Samples produced so far.
    n: u64,
    /// Total length in samples (then silence and `fill` returns false).
    len: u64,
    seed: u64,
    freqs: [f64; 3],
    syllable: u64,
}

/// Length of one syllable of the [`TestSignal`], in milliseconds.
const SYLLABLE_MS: u64 = 200;
/// Pause at the end of each syllable, in milliseconds.
const PAUSE_MS: u64 = 40;

impl TestSignal {
    /// `seconds` of test signal at `rate` Hz.
    pub(crate) fn new(rate: u32, seconds: f64, seed: u64) -> Self {
        let rate = rate.max(1);
        Self {
            rate,
            n: 0,
            len: (seconds.max(0.0) * f64::from(rate)) as u64,
            seed,
            freqs: [0.0; 3],
            syllable: u64::MAX,
        }
    }

    /// The whole signal as one buffer (what `fill` produces frame by frame).
    pub(crate) fn render(rate: u32, seconds: f64, seed: u64) -> Vec<i16> {
        let mut s = Self::new(rate, seconds, seed);
        let mut out = vec![0i16; s.len as usize];
        s.fill(&mut out);
        out
    }

    fn next_random(&mut self) -> u64 {
        // SplitMix64: a fixed, seeded sequence (no OS randomness needed).
        self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl AudioSource for TestSignal {
    fn fill(&mut self, out: &mut [i16]) -> bool {
        let rate = u64::from(self.rate);
        let syl_len = (SYLLABLE_MS * rate / 1000).max(1);
        let tone_len = ((SYLLABLE_MS - PAUSE_MS) * rate / 1000).max(1);
        // Keep the tones below 3.4 kHz (narrowband codecs) and 0.4 of the
        // sample rate.
        let top = (f64::from(self.rate) * 0.4).min(3400.0);
        let mut more = true;
        for s in out.iter_mut() {
            if self.n >= self.len {
                *s = 0;
                more = false;
                continue;
            }
            let syllable = self.n / syl_len;
            if syllable != self.syllable {
                self.syllable = syllable;
                for i in 0..3 {
                    let r = (self.next_random() >> 11) as f64 / (1u64 << 53) as f64;
                    self.freqs[i] = 300.0 + r * (top - 300.0);
                }
            }
            let k = self.n % syl_len;
            let env = if k < tone_len {
                0.5 - 0.5 * (TAU * k as f64 / tone_len as f64).cos()
            } else {
                0.0
            };
            let t = self.n as f64 / f64::from(self.rate);
            let v: f64 = self.freqs.iter().map(|f| (TAU * f * t).sin()).sum();
            *s = (v / 3.0 * env * 12_000.0) as i16;
            self.n += 1;
        }
        more && self.n < self.len
    }
}

/// A WAV file, mixed down to mono and resampled to the codec rate, played
/// once.
#[derive(Debug, Clone)]
pub(crate) struct WavSource {
    samples: Vec<i16>,
    pos: usize,
}

impl WavSource {
    /// Loads `path` for playing at `rate` Hz.
    pub(crate) fn open(path: &Path, rate: u32) -> Result<Self, AudioError> {
        let name = path.display().to_string();
        let wav = |source| AudioError::Wav {
            path: name.clone(),
            source,
        };
        let reader = hound::WavReader::open(path).map_err(wav)?;
        let spec = reader.spec();
        let channels = usize::from(spec.channels.max(1));
        if u64::from(reader.duration()) > MAX_WAV_SECONDS * u64::from(spec.sample_rate.max(1)) {
            return Err(AudioError::TooLong { path: name });
        }
        let interleaved: Vec<f64> = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
                let scale = f64::from(1u32 << (bits - 1));
                reader
                    .into_samples::<i32>()
                    .map(|s| s.map(|v| f64::from(v) / scale))
                    .collect::<Result<_, _>>()
                    .map_err(wav)?
            }
            (hound::SampleFormat::Float, 32) => reader
                .into_samples::<f32>()
                .map(|s| s.map(f64::from))
                .collect::<Result<_, _>>()
                .map_err(wav)?,
            (format, bits) => {
                return Err(AudioError::Unsupported {
                    path: name,
                    what: format!("{format:?} {bits}-bit"),
                });
            }
        };
        let mono: Vec<f64> = interleaved
            .chunks(channels)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect();
        let samples = resample(&mono, spec.sample_rate, rate)
            .into_iter()
            .map(|v| (v * 32767.0).clamp(-32768.0, 32767.0) as i16)
            .collect();
        Ok(Self { samples, pos: 0 })
    }

    /// Samples left to play.
    #[cfg(test)]
    pub(crate) fn remaining(&self) -> usize {
        self.samples.len().saturating_sub(self.pos)
    }
}

impl AudioSource for WavSource {
    fn fill(&mut self, out: &mut [i16]) -> bool {
        let rest = self.samples.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(out.len());
        let (head, tail) = out.split_at_mut(n);
        head.copy_from_slice(rest.get(..n).unwrap_or(&[]));
        tail.fill(0);
        self.pos += n;
        n == out.len()
    }
}

/// Linear-interpolation resampling from `from` Hz to `to` Hz.
pub(crate) fn resample(input: &[f64], from: u32, to: u32) -> Vec<f64> {
    if from == to || from == 0 || to == 0 || input.is_empty() {
        return input.to_vec();
    }
    let out_len = (input.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let ratio = f64::from(from) / f64::from(to);
    (0..out_len)
        .map(|i| {
            let x = i as f64 * ratio;
            let j = x.floor() as usize;
            let frac = x - j as f64;
            let a = input.get(j).copied().unwrap_or(0.0);
            let b = input.get(j + 1).copied().unwrap_or(a);
            a + (b - a) * frac
        })
        .collect()
}

/// Silence, endless (the source of a receive-only endpoint).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Silence;

impl AudioSource for Silence {
    fn fill(&mut self, out: &mut [i16]) -> bool {
        out.fill(0);
        true
    }
}

/// The received audio of a call, each frame at its playout position.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    rate: u32,
    samples: Vec<i16>,
    max: usize,
    /// Samples dropped because the recording reached its limit.
    pub(crate) dropped: u64,
}

impl Recorder {
    /// An empty recording at `rate` Hz.
    pub(crate) fn new(rate: u32) -> Self {
        Self {
            rate,
            samples: Vec::new(),
            max: (MAX_RECORD_SECONDS * u64::from(rate)) as usize,
            dropped: 0,
        }
    }

    /// Places `frame` at sample position `pos` (time since the call's media
    /// started, in samples): a gap before it is filled with silence; a frame
    /// that would overlap what is already there (playout a little early)
    /// goes right after it, so nothing is overwritten.
    pub(crate) fn put(&mut self, pos: u64, frame: &[i16]) {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(self.max);
        if pos > self.samples.len() {
            self.samples.resize(pos, 0);
        }
        let room = self.max.saturating_sub(self.samples.len());
        let n = frame.len().min(room);
        self.samples
            .extend_from_slice(frame.get(..n).unwrap_or(&[]));
        self.dropped += (frame.len() - n) as u64;
    }

    /// The recorded samples.
    pub(crate) fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// The sample rate.
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    /// Writes the recording as a mono 16-bit WAV file.
    pub(crate) fn write_wav(&self, path: &Path) -> Result<(), AudioError> {
        write_wav(path, self.rate, &self.samples)
    }
}

/// Writes mono 16-bit samples to a WAV file.
pub(crate) fn write_wav(path: &Path, rate: u32, samples: &[i16]) -> Result<(), AudioError> {
    let wav = |source| AudioError::Wav {
        path: path.display().to_string(),
        source,
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(wav)?;
    for &s in samples {
        w.write_sample(s).map_err(wav)?;
    }
    w.finalize().map_err(wav)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
    }

    #[test]
    fn tone_has_its_frequency_and_level() {
        let mut t = Tone::new(1000.0, 8000, 10_000.0);
        let mut buf = vec![0i16; 8000];
        assert!(t.fill(&mut buf));
        // 1 kHz at 8 kHz: period of 8 samples, so 2000 zero crossings a second.
        let crossings = buf.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((1990..=2010).contains(&crossings), "{crossings}");
        // RMS of a sine is peak / sqrt(2).
        assert!((rms(&buf) - 10_000.0 / 2f64.sqrt()).abs() < 50.0);
    }

    #[test]
    fn test_signal_is_deterministic_finite_and_not_periodic() {
        let a = TestSignal::render(8000, 2.0, 7);
        let b = TestSignal::render(8000, 2.0, 7);
        let c = TestSignal::render(8000, 2.0, 8);
        assert_eq!(a.len(), 16_000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(rms(&a) > 1000.0);
        // Two consecutive syllables are different sounds.
        let syl = 1600;
        assert_ne!(a[..syl], a[syl..2 * syl]);
        // Frame by frame the source ends with `false` and then silence.
        let mut s = TestSignal::new(8000, 0.05, 7);
        let mut f = [0i16; 160];
        assert!(s.fill(&mut f));
        assert!(s.fill(&mut f));
        assert!(!s.fill(&mut f));
        assert!(f[80..].iter().all(|&v| v == 0));
    }

    #[test]
    fn wav_round_trip_mixdown_and_resampling() {
        let dir = std::env::temp_dir().join(format!("rtclite-media-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A stereo 16 kHz file: left a 500 Hz tone, right silence.
        let path = dir.join("stereo16k.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        let mut tone = Tone::new(500.0, 16_000, 20_000.0);
        let mut left = vec![0i16; 16_000];
        tone.fill(&mut left);
        for &l in &left {
            w.write_sample(l).unwrap();
            w.write_sample(0i16).unwrap();
        }
        w.finalize().unwrap();
        let mut src = WavSource::open(&path, 8000).unwrap();
        assert_eq!(src.remaining(), 8000);
        let mut out = vec![0i16; 8000];
        assert!(src.fill(&mut out));
        // Mixed down: half the level; resampled: still 500 Hz (1000
        // crossings a second).
        assert!(
            (rms(&out) - 10_000.0 / 2f64.sqrt()).abs() < 150.0,
            "{}",
            rms(&out)
        );
        let crossings = out.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((990..=1010).contains(&crossings), "{crossings}");
        assert!(!src.fill(&mut out[..10]));

        let mut rec = Recorder::new(8000);
        rec.put(100, &[1, 2, 3]);
        rec.put(50, &[4]); // early: goes after what is there
        assert_eq!(rec.samples().len(), 104);
        assert_eq!(&rec.samples()[100..], &[1, 2, 3, 4]);
        let out_path = dir.join("rec.wav");
        rec.write_wav(&out_path).unwrap();
        let back: Vec<i16> = hound::WavReader::open(&out_path)
            .unwrap()
            .into_samples::<i16>()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back, rec.samples());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unreadable_wav_is_an_error_naming_the_file() {
        let err = WavSource::open(Path::new("/nonexistent/x.wav"), 8000).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.wav"));
    }
}
