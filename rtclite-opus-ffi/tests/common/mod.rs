//! Shared helpers for the integration tests: a seeded generator and a
//! speech-like test signal.
#![allow(dead_code, unreachable_pub)]

/// A small deterministic generator (SplitMix64), so tests need no rand crate
/// and every run sees the same inputs.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in -1.0..1.0.
    pub fn signed_unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// A speech-like signal at `rate` Hz: a harmonic series on a gliding
/// fundamental (120–180 Hz) shaped by two formant-like peaks, under a
/// syllable envelope (about 4 syllables per second with short pauses), plus
/// a little noise. Peak amplitude about 0.5 of full scale.
pub fn speech_like(rate: u32, seconds: f32, seed: u64) -> Vec<f32> {
    let n = (rate as f32 * seconds) as usize;
    let mut rng = SplitMix(seed);
    let mut phase = 0.0f64;
    let nyquist = rate as f64 / 2.0;
    (0..n)
        .map(|i| {
            let t = i as f64 / rate as f64;
            let f0 = 150.0 + 30.0 * (2.0 * std::f64::consts::PI * 0.7 * t).sin();
            phase += 2.0 * std::f64::consts::PI * f0 / rate as f64;
            let mut sample = 0.0f64;
            for h in 1..=24 {
                let f = f0 * h as f64;
                if f >= nyquist * 0.9 {
                    break;
                }
                // Formant-like weighting: peaks near 500 Hz and 1500 Hz.
                let w = 1.0 / (1.0 + ((f - 500.0) / 250.0).powi(2))
                    + 0.5 / (1.0 + ((f - 1500.0) / 400.0).powi(2))
                    + 0.05;
                sample += w * (phase * h as f64).sin();
            }
            // Syllables: raised sine at 4 Hz, silent for a quarter of each cycle.
            let cycle = (t * 4.0).fract();
            let envelope = if cycle < 0.75 {
                (std::f64::consts::PI * cycle / 0.75).sin().powi(2)
            } else {
                0.0
            };
            (0.25 * envelope * sample) as f32 + 0.002 * rng.signed_unit()
        })
        .collect()
}

/// Converts to 16-bit PCM.
pub fn to_i16(signal: &[f32]) -> Vec<i16> {
    signal
        .iter()
        .map(|&x| (x * 32767.0).clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Signal-to-noise ratio in dB of `decoded` against `reference`.
pub fn snr_db(reference: &[f32], decoded: &[f32]) -> f64 {
    let (mut signal, mut noise) = (0.0f64, 0.0f64);
    for (&r, &d) in reference.iter().zip(decoded) {
        signal += f64::from(r) * f64::from(r);
        noise += f64::from(r - d) * f64::from(r - d);
    }
    10.0 * (signal / noise.max(1e-20)).log10()
}

/// Normalised cross-correlation of two equally long signals.
pub fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        ab += f64::from(x) * f64::from(y);
        aa += f64::from(x) * f64::from(x);
        bb += f64::from(y) * f64::from(y);
    }
    ab / (aa * bb).sqrt().max(1e-20)
}
