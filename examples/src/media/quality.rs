//! Call quality: the estimated MOS of a call summary (a simplified E-model,
//! ITU-T G.107), and the demo's measurements on real audio (round-trip
//! delay by cross-correlation, SNR of the echoed signal).
//!
//! # The E-model simplification
//!
//! G.107 computes a transmission rating `R = Ro − Is − Id − Ie,eff + A`.
//! We keep the structure and make these choices:
//!
//! - `Ro − Is` is 93.2, the value G.107's default parameters give (no
//!   extra noise, loudness or sidetone impairment: the terminals are
//!   assumed to be the G.107 reference terminals); `A` (advantage) is 0.
//! - `Id` is `Idd` alone, from the one-way delay `Ta` by G.107's formula
//!   (0 up to 100 ms, then `25·((1+X⁶)^⅙ − 3(1+(X/3)⁶)^⅙ + 2)` with
//!   `X = log2(Ta/100)`); the talker and listener echo terms `Idte`, `Idle`
//!   are taken as 0 (perfect echo control).
//! - `Ta` is half the RTCP round-trip time, plus our jitter-buffer delay,
//!   plus one 20 ms frame of packetisation.
//! - `Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl/BurstR + Bpl)` with random loss
//!   (`BurstR` = 1) and `Ppl` the RTCP-measured loss in percent. `Ie` and
//!   `Bpl` per codec from ITU-T G.113 Appendix I: G.711 `Ie` 0, `Bpl` 4.3
//!   (no packet-loss concealment, which is what our G.711 receiver does:
//!   it plays silence). Opus is not in G.113's tables; we use G.711's
//!   values with concealment (`Ie` 0, `Bpl` 25.1) as a stand-in, so for
//!   Opus the figure is a narrowband-scale estimate.
//! - `R` maps to MOS by G.107's formula:
//!   `MOS = 1 + 0.035R + R(R−60)(100−R)·7·10⁻⁶` for `0 < R < 100`, 1 below,
//!   4.5 above.

use super::codec::CodecKind;

/// `Ro − Is` for G.107's default parameters.
pub(crate) const R_DEFAULT: f64 = 93.2;

/// Equipment impairment `Ie` and packet-loss robustness `Bpl` of a codec
/// (see the module documentation for their source).
pub(crate) fn impairment(codec: CodecKind) -> (f64, f64) {
    match codec {
        CodecKind::Pcmu | CodecKind::Pcma => (0.0, 4.3),
        CodecKind::Opus => (0.0, 25.1),
    }
}

/// G.107's delay impairment `Idd` for a one-way delay of `ta_ms`.
pub(crate) fn delay_impairment(ta_ms: f64) -> f64 {
    if ta_ms.is_nan() || ta_ms <= 100.0 {
        return 0.0;
    }
    let x = (ta_ms / 100.0).log2();
    25.0 * ((1.0 + x.powi(6)).powf(1.0 / 6.0) - 3.0 * (1.0 + (x / 3.0).powi(6)).powf(1.0 / 6.0)
        + 2.0)
}

/// G.107's effective equipment impairment for random loss of `loss_pct`
/// percent.
pub(crate) fn effective_ie(ie: f64, bpl: f64, loss_pct: f64) -> f64 {
    let ppl = loss_pct.clamp(0.0, 100.0);
    ie + (95.0 - ie) * ppl / (ppl + bpl)
}

/// The rating `R` of a call with `codec`, one-way delay `ta_ms` and random
/// loss `loss_pct`.
pub(crate) fn r_factor(codec: CodecKind, ta_ms: f64, loss_pct: f64) -> f64 {
    let (ie, bpl) = impairment(codec);
    R_DEFAULT - delay_impairment(ta_ms) - effective_ie(ie, bpl, loss_pct)
}

/// G.107's mapping from `R` to the estimated mean opinion score.
pub(crate) fn mos_from_r(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        // The cubic dips just below 1 for R under about 6.5; MOS is never
        // below 1.
        (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6).max(1.0)
    }
}

/// Signal-to-noise ratio of `got` against `reference`, sample by sample, in
/// dB (infinite when they are equal).
#[cfg(test)]
pub(crate) fn snr_db(reference: &[i16], got: &[i16]) -> f64 {
    let (mut s, mut n) = (0.0f64, 0.0f64);
    for (&a, &b) in reference.iter().zip(got) {
        s += f64::from(a).powi(2);
        n += (f64::from(a) - f64::from(b)).powi(2);
    }
    10.0 * (s / n).log10()
}

/// What comparing a sent signal with its recorded echo found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Alignment {
    /// The delay of the recording behind the reference, in milliseconds.
    pub(crate) delay_ms: f64,
    /// Normalised cross-correlation at that delay (1 is a perfect match).
    pub(crate) correlation: f64,
    /// The recording's level relative to the reference (least squares).
    pub(crate) gain: f64,
    /// SNR of the recording against the reference scaled by `gain`, in dB.
    pub(crate) snr_db: f64,
}

/// Coarse search rate for the cross-correlation, in Hz.
const COARSE_RATE: u32 = 8000;

/// Finds the delay of `recorded` behind `reference` (both at `rate` Hz) by
/// cross-correlation over lags 0 to `max_lag_s` seconds, then measures the
/// SNR of the aligned recording. The search runs on a box-filtered 8 kHz
/// copy first and is refined at the full rate around the coarse peak.
/// `None` when there is too little signal to compare.
pub(crate) fn align_and_snr(
    reference: &[i16],
    recorded: &[i16],
    rate: u32,
    max_lag_s: f64,
) -> Option<Alignment> {
    let rate = rate.max(1);
    let factor = (rate / COARSE_RATE).max(1) as usize;
    let decimate = |x: &[i16]| -> Vec<f64> {
        x.chunks(factor)
            .map(|c| c.iter().map(|&v| f64::from(v)).sum::<f64>() / c.len() as f64)
            .collect()
    };
    let (r, g) = (decimate(reference), decimate(recorded));
    let max_lag = ((max_lag_s * f64::from(rate)) as usize / factor).min(g.len());
    let coarse = best_lag(&r, &g, 0, max_lag)?;
    let (r, g): (Vec<f64>, Vec<f64>) = (
        reference.iter().map(|&v| f64::from(v)).collect(),
        recorded.iter().map(|&v| f64::from(v)).collect(),
    );
    let centre = coarse.0 * factor;
    let (lag, correlation) = best_lag(
        &r,
        &g,
        centre.saturating_sub(2 * factor),
        centre + 2 * factor,
    )?;
    let n = r.len().min(g.len().saturating_sub(lag));
    let (rr, gg) = (r.get(..n)?, g.get(lag..lag + n)?);
    let dot: f64 = rr.iter().zip(gg).map(|(a, b)| a * b).sum();
    let energy: f64 = rr.iter().map(|a| a * a).sum();
    if energy == 0.0 {
        return None;
    }
    let gain = dot / energy;
    let noise: f64 = rr.iter().zip(gg).map(|(a, b)| (b - gain * a).powi(2)).sum();
    let snr_db = 10.0 * (gain * gain * energy / noise).log10();
    Some(Alignment {
        delay_ms: lag as f64 * 1000.0 / f64::from(rate),
        correlation,
        gain,
        snr_db,
    })
}

/// The lag in `lo..=hi` with the largest normalised cross-correlation of
/// `g` against `r`.
fn best_lag(r: &[f64], g: &[f64], lo: usize, hi: usize) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for lag in lo..=hi {
        let n = r.len().min(g.len().saturating_sub(lag));
        if n < 64 {
            break;
        }
        let (rr, gg) = (r.get(..n)?, g.get(lag..lag + n)?);
        let (mut dot, mut er, mut eg) = (0.0, 0.0, 0.0);
        for (a, b) in rr.iter().zip(gg) {
            dot += a * b;
            er += a * a;
            eg += b * b;
        }
        if er == 0.0 || eg == 0.0 {
            continue;
        }
        let c = dot / (er * eg).sqrt();
        if best.is_none_or(|(_, bc)| c > bc) {
            best = Some((lag, c));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::audio::TestSignal;

    #[test]
    fn g107_default_rating_maps_to_mos_4_41() {
        // G.107: the default parameter values give R = 93.2, MOS ≈ 4.41.
        let r = r_factor(CodecKind::Pcmu, 0.0, 0.0);
        assert!((r - 93.2).abs() < 1e-9);
        assert!((mos_from_r(r) - 4.41).abs() < 0.005, "{}", mos_from_r(r));
    }

    #[test]
    fn mos_mapping_end_points_and_monotony() {
        assert_eq!(mos_from_r(-5.0), 1.0);
        assert_eq!(mos_from_r(0.0), 1.0);
        assert_eq!(mos_from_r(100.0), 4.5);
        assert_eq!(mos_from_r(f64::NAN), 1.0);
        // R = 50 (G.109 "nearly all users dissatisfied" boundary) ≈ 2.58.
        assert!((mos_from_r(50.0) - 2.575).abs() < 1e-9);
        assert_eq!(mos_from_r(3.0), 1.0);
        let mut last = 1.0;
        for r in 7..100 {
            let m = mos_from_r(f64::from(r));
            assert!(m > last, "not increasing at R = {r}");
            last = m;
        }
    }

    #[test]
    fn delay_impairment_follows_g107() {
        assert_eq!(delay_impairment(50.0), 0.0);
        assert_eq!(delay_impairment(100.0), 0.0);
        // X = 1 at 200 ms: 25·(2^⅙ − 3·(1 + 1/729)^⅙ + 2).
        let want =
            25.0 * (2f64.powf(1.0 / 6.0) - 3.0 * (1.0 + 1.0 / 729.0f64).powf(1.0 / 6.0) + 2.0);
        assert!((delay_impairment(200.0) - want).abs() < 1e-12);
        assert!((delay_impairment(200.0) - 3.04).abs() < 0.01);
        // Grows with delay: 400 ms costs much more than 200 ms.
        assert!(delay_impairment(400.0) > 4.0 * delay_impairment(200.0));
    }

    #[test]
    fn loss_impairment_follows_the_codec_robustness() {
        // G.711 without concealment: 1% random loss costs 95/(1 + 4.3) ≈ 17.9.
        assert!((effective_ie(0.0, 4.3, 1.0) - 95.0 / 5.3).abs() < 1e-12);
        // A codec with concealment suffers much less from the same loss.
        let pcmu = r_factor(CodecKind::Pcmu, 0.0, 2.0);
        let opus = r_factor(CodecKind::Opus, 0.0, 2.0);
        assert!(opus > pcmu + 10.0, "{opus} vs {pcmu}");
        assert_eq!(effective_ie(0.0, 25.1, 0.0), 0.0);
    }

    #[test]
    fn cross_correlation_finds_a_known_delay_and_scaling() {
        let rate = 48_000;
        let reference = TestSignal::render(rate, 1.5, 11);
        // Delay by 73.5 ms, halve the level and add a little noise.
        let delay = (0.0735 * f64::from(rate)) as usize;
        let mut noise_state = 1u32;
        let mut recorded = vec![0i16; delay];
        recorded.extend(reference.iter().map(|&v| {
            noise_state = noise_state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let noise = f64::from((noise_state >> 16) as i16 % 64);
            (f64::from(v) * 0.5 + noise) as i16
        }));
        let q = align_and_snr(&reference, &recorded, rate, 0.3).unwrap();
        assert!((q.delay_ms - 73.5).abs() < 0.05, "{q:?}");
        assert!((q.gain - 0.5).abs() < 0.01, "{q:?}");
        assert!(q.correlation > 0.99, "{q:?}");
        assert!(q.snr_db > 30.0, "{q:?}");
        // At 8 kHz the same search works without decimation.
        let reference = TestSignal::render(8000, 1.0, 5);
        let mut recorded = vec![0i16; 160];
        recorded.extend_from_slice(&reference);
        let q = align_and_snr(&reference, &recorded, 8000, 0.1).unwrap();
        assert_eq!(q.delay_ms, 20.0);
        assert!(q.snr_db > 100.0);
    }

    #[test]
    fn silence_has_no_alignment() {
        assert!(align_and_snr(&[0; 4000], &[0; 4000], 8000, 0.1).is_none());
        assert!(align_and_snr(&[], &[], 8000, 0.1).is_none());
    }

    #[test]
    fn snr_of_identical_signals_is_infinite() {
        assert!(snr_db(&[1, 2, 3], &[1, 2, 3]).is_infinite());
        assert!((snr_db(&[100, -100], &[110, -110]) - 20.0).abs() < 1e-9);
    }
}
