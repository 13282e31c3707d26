//! Round-trip quality through libopus with the safe API: a speech-like
//! multi-tone signal with a syllable envelope (tests/common) is encoded and
//! decoded at 8, 16 and 48 kHz and several bitrates, and the decoded audio is
//! compared with the input after removing the codec delay.
//!
//! Thresholds (stated here, checked below): correlation >= 0.93 and SNR >=
//! 8 dB at every rate and bitrate tested; at 48 kHz and 64 kbit/s,
//! correlation >= 0.96 and SNR >= 11 dB (measured with libopus 1.3.1:
//! 9.9–12.4 dB and 0.956–0.977). And a packet lost on a channel with in-band
//! FEC is recovered by `decode_fec` at least 3 dB better than by concealment
//! alone (measured: 9.1 dB against 1.8 dB over the lost spans).

// Helpers here are test code: a panic is a failed test.
#![allow(clippy::panic)]

mod common;

use rtclite_opus_ffi::{Application, Bitrate, Channels, Decoder, Encoder, SampleRate, Signal};

struct RoundTrip {
    input: Vec<f32>,
    output: Vec<f32>,
    delay: usize,
    packets: usize,
    bytes: usize,
}

fn round_trip(rate: SampleRate, bitrate: u32, application: Application, float: bool) -> RoundTrip {
    let input = common::speech_like(rate.hz(), 1.5, 11);
    let Ok(mut encoder) = Encoder::new(rate, Channels::Mono, application) else {
        panic!("encoder")
    };
    assert!(encoder.set_bitrate(Bitrate::BitsPerSecond(bitrate)).is_ok());
    assert!(encoder.set_complexity(10).is_ok());
    assert!(encoder.set_signal(Signal::Voice).is_ok());
    let Ok(mut decoder) = Decoder::new(rate, Channels::Mono) else {
        panic!("decoder")
    };
    let delay = encoder.lookahead().unwrap_or(0);
    let frame = rate.samples_per_2_5_ms() * 8; // 20 ms
    let mut output = Vec::with_capacity(input.len());
    let (mut packets, mut bytes) = (0, 0);
    let mut pcm = vec![0f32; frame];
    let mut pcm16 = vec![0i16; frame];
    for chunk in input.chunks_exact(frame) {
        let packet = if float {
            encoder.encode_vec(chunk)
        } else {
            encoder.encode_vec(&common::to_i16(chunk))
        };
        let Ok(packet) = packet else {
            panic!("encode: {packet:?}")
        };
        packets += 1;
        bytes += packet.len();
        if float {
            assert_eq!(decoder.decode(&packet, &mut pcm), Ok(frame));
            output.extend_from_slice(&pcm);
        } else {
            assert_eq!(decoder.decode(&packet, &mut pcm16), Ok(frame));
            output.extend(pcm16.iter().map(|&s| f32::from(s) / 32767.0));
        }
    }
    RoundTrip {
        input,
        output,
        delay,
        packets,
        bytes,
    }
}

/// Compares input and output delayed by `lag`, skipping the first 100 ms.
fn measure_at(rt: &RoundTrip, rate: SampleRate, lag: usize) -> (f64, f64) {
    let skip = rate.hz() as usize / 10;
    let n = rt.output.len() - rt.delay - 64 - skip;
    let reference = &rt.input[skip..skip + n];
    let decoded = &rt.output[skip + lag..skip + lag + n];
    (
        common::snr_db(reference, decoded),
        common::correlation(reference, decoded),
    )
}

/// SNR and correlation at the best alignment within ±32 samples of the
/// encoder's lookahead (the decoder's resamplers add a few samples of group
/// delay that the lookahead does not report), and that lag.
fn measure(rt: &RoundTrip, rate: SampleRate) -> (f64, f64, usize) {
    (rt.delay.saturating_sub(32)..=rt.delay + 32)
        .map(|lag| {
            let (snr, corr) = measure_at(rt, rate, lag);
            (snr, corr, lag)
        })
        .fold(
            (f64::MIN, f64::MIN, 0),
            |best, m| if m.1 > best.1 { m } else { best },
        )
}

fn check(rate: SampleRate, bitrate: u32, min_snr: f64, min_corr: f64, float: bool) {
    let rt = round_trip(rate, bitrate, Application::Voip, float);
    let (snr, corr, lag) = measure(&rt, rate);
    let measured_bitrate = rt.bytes * 8 * 50 / rt.packets;
    eprintln!(
        "{} Hz @ {bitrate} bit/s ({measured_bitrate} bit/s measured, lookahead {}, best lag {lag}): SNR {snr:.1} dB, correlation {corr:.3}",
        rate.hz(),
        rt.delay
    );
    assert!(
        snr >= min_snr,
        "{} Hz {bitrate}: SNR {snr:.1} dB < {min_snr}",
        rate.hz()
    );
    assert!(
        corr >= min_corr,
        "{} Hz {bitrate}: correlation {corr:.3} < {min_corr}",
        rate.hz()
    );
    // VBR around the target: within a factor of two.
    assert!(measured_bitrate < bitrate as usize * 2);
}

#[test]
fn round_trip_8khz() {
    check(SampleRate::Hz8000, 12_000, 8.0, 0.93, false);
    check(SampleRate::Hz8000, 24_000, 8.0, 0.93, true);
}

#[test]
fn round_trip_16khz() {
    check(SampleRate::Hz16000, 16_000, 8.0, 0.93, false);
    check(SampleRate::Hz16000, 32_000, 8.0, 0.93, true);
}

#[test]
fn round_trip_48khz() {
    check(SampleRate::Hz48000, 24_000, 8.0, 0.93, false);
    check(SampleRate::Hz48000, 64_000, 11.0, 0.96, true);
}

/// Error energy over the samples of the lost packets only.
fn loss_error(
    input: &[f32],
    rate: SampleRate,
    packets: &[Vec<u8>],
    lost: &[usize],
    delay: usize,
    use_fec: bool,
) -> f64 {
    let frame = rate.samples_per_2_5_ms() * 8;
    let Ok(mut decoder) = Decoder::new(rate, Channels::Mono) else {
        panic!("decoder")
    };
    let mut output = Vec::new();
    let mut pcm = vec![0f32; frame];
    for (i, packet) in packets.iter().enumerate() {
        if lost.contains(&i) {
            let next = packets.get(i + 1).filter(|_| use_fec);
            let result = match next {
                Some(next) => decoder.decode_fec(next, &mut pcm),
                None => decoder.conceal(&mut pcm),
            };
            assert_eq!(result, Ok(frame));
        } else {
            assert_eq!(decoder.decode(packet, &mut pcm), Ok(frame));
        }
        output.extend_from_slice(&pcm);
    }
    lost.iter()
        .map(|&i| {
            let start = i * frame;
            (start..start + frame)
                .filter_map(|k| Some((input.get(k.checked_sub(delay)?)?, output.get(k)?)))
                .map(|(&a, &b)| f64::from(a - b).powi(2))
                .sum::<f64>()
        })
        .sum()
}

// [RFC 7587 §3.3 test] "Instead of performing loss concealment for a missing packet, the
// receiver can then configure its decoder to decode the FEC data from the next packet."
#[test]
fn fec_recovers_a_lost_packet_better_than_plc() {
    let rate = SampleRate::Hz16000;
    let input = common::speech_like(rate.hz(), 2.0, 5);
    let Ok(mut encoder) = Encoder::new(rate, Channels::Mono, Application::Voip) else {
        panic!("encoder")
    };
    assert!(encoder.set_bitrate(Bitrate::BitsPerSecond(24_000)).is_ok());
    assert!(encoder.set_inband_fec(true).is_ok());
    assert!(encoder.set_packet_loss_perc(20).is_ok());
    assert_eq!(encoder.inband_fec(), Ok(true));
    assert_eq!(encoder.packet_loss_perc(), Ok(20));
    let delay = encoder.lookahead().unwrap_or(0);
    let frame = rate.samples_per_2_5_ms() * 8;
    let mut packets = Vec::new();
    for chunk in input.chunks_exact(frame) {
        match encoder.encode_vec(chunk) {
            Ok(p) => packets.push(p),
            Err(e) => panic!("encode: {e}"),
        }
    }
    // Lose every 7th packet from the 5th on (inside syllables and pauses alike).
    let lost: Vec<usize> = (5..packets.len() - 1).step_by(7).collect();
    let plc = loss_error(&input, rate, &packets, &lost, delay, false);
    let fec = loss_error(&input, rate, &packets, &lost, delay, true);
    let signal: f64 = lost
        .iter()
        .flat_map(|&i| {
            (i * frame..(i + 1) * frame).filter_map(|k| input.get(k.checked_sub(delay)?))
        })
        .map(|&x| f64::from(x).powi(2))
        .sum();
    let snr = |err: f64| 10.0 * (signal / err.max(1e-20)).log10();
    eprintln!(
        "{} lost packets: SNR over lost spans, PLC {:.1} dB, FEC {:.1} dB",
        lost.len(),
        snr(plc),
        snr(fec)
    );
    // FEC must beat PLC by at least 3 dB over the lost spans.
    assert!(
        snr(fec) >= snr(plc) + 3.0,
        "FEC {:.1} dB vs PLC {:.1} dB",
        snr(fec),
        snr(plc)
    );
}
