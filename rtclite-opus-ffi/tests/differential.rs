//! Differential test: our RFC 6716 §3 parser against libopus's own packet
//! introspection (`opus_packet_parse`, `opus_packet_get_*`), on packets from
//! the libopus encoder in many configurations, on mutations of them, and on
//! every packet of one and two bytes.

// Helpers here are test code: a panic is a failed test.
#![allow(clippy::panic)]

mod common;

use common::SplitMix;
use rtclite_opus_ffi::{
    Application, Bandwidth, Bitrate, Channels, Encoder, LibopusError, Packet, Rule, SampleRate,
    introspect, sys,
};

/// libopus's view of a packet (through the crate's safe wrapper of
/// `opus_packet_parse`): (toc, frame (offset, len) list) or its error.
fn libopus_parse(data: &[u8]) -> Result<(u8, Vec<(usize, usize)>), LibopusError> {
    let parsed = introspect::parse(data)?;
    let list = parsed
        .offsets
        .iter()
        .zip(parsed.lens)
        .take(parsed.count)
        .map(|(&o, l)| (o, l))
        .collect();
    Ok((parsed.toc, list))
}

fn ours(data: &[u8]) -> Result<(u8, Vec<(usize, usize)>), Rule> {
    let packet = Packet::parse(data).map_err(|e| e.rule())?;
    let base = data.as_ptr() as usize;
    // Offsets of the borrowed frames in the input (empty frames are not
    // compared by offset).
    let frames = packet
        .frames()
        .map(|f| ((f.as_ptr() as usize).wrapping_sub(base), f.len()))
        .collect::<Vec<_>>();
    Ok((packet.toc().byte(), frames))
}

#[derive(Default)]
struct Tally {
    compared: usize,
    accepted: usize,
    rejected_by_rule: [usize; 7],
}

/// Compares one input; panics with the bytes on disagreement.
fn compare(data: &[u8], tally: &mut Tally) {
    tally.compared += 1;
    let theirs = libopus_parse(data);
    let mine = ours(data);
    match (&mine, &theirs) {
        (Ok((toc, frames)), Ok((their_toc, their_frames))) => {
            assert_eq!(toc, their_toc, "toc of {data:02x?}");
            assert_eq!(
                frames.len(),
                their_frames.len(),
                "frame count of {data:02x?}"
            );
            for (i, (a, b)) in frames.iter().zip(their_frames).enumerate() {
                assert_eq!(a.1, b.1, "frame {i} length of {data:02x?}");
                if a.1 > 0 {
                    assert_eq!(a.0, b.0, "frame {i} offset of {data:02x?}");
                }
            }
            tally.accepted += 1;
            check_introspection(data);
        }
        (Err(rule), Err(_)) => {
            let index = match rule {
                Rule::R1 => 0,
                Rule::R2 => 1,
                Rule::R3 => 2,
                Rule::R4 => 3,
                Rule::R5 => 4,
                Rule::R6 => 5,
                Rule::R7 => 6,
            };
            tally.rejected_by_rule[index] += 1;
        }
        _ => panic!("disagreement on {data:02x?}: ours {mine:?}, libopus {theirs:?}"),
    }
}

/// For an accepted packet, the TOC-level getters and the duration agree too.
fn check_introspection(data: &[u8]) {
    let Ok(packet) = Packet::parse(data) else {
        panic!("accepted above")
    };
    let len = data.len() as i32;
    // SAFETY: data is non-empty (it parsed) and `len` is its length.
    let frames = unsafe { sys::opus_packet_get_nb_frames(data.as_ptr(), len) };
    assert_eq!(
        frames as usize,
        packet.frame_count(),
        "nb_frames of {data:02x?}"
    );
    // SAFETY: as above.
    let samples = unsafe { sys::opus_packet_get_nb_samples(data.as_ptr(), len, 48_000) };
    assert_eq!(
        samples as u32,
        packet.duration_48k(),
        "nb_samples of {data:02x?}"
    );
    // SAFETY: these read the TOC byte only; data is non-empty.
    let per_frame = unsafe { sys::opus_packet_get_samples_per_frame(data.as_ptr(), 48_000) };
    assert_eq!(per_frame as u32, packet.toc().frame_samples_48k());
    // SAFETY: as above.
    let channels = unsafe { sys::opus_packet_get_nb_channels(data.as_ptr()) };
    assert_eq!(channels == 2, packet.toc().stereo());
    // SAFETY: as above.
    let bandwidth = unsafe { sys::opus_packet_get_bandwidth(data.as_ptr()) };
    let expected = match packet.toc().bandwidth() {
        Bandwidth::Narrowband => sys::OPUS_BANDWIDTH_NARROWBAND,
        Bandwidth::Mediumband => sys::OPUS_BANDWIDTH_MEDIUMBAND,
        Bandwidth::Wideband => sys::OPUS_BANDWIDTH_WIDEBAND,
        Bandwidth::Superwideband => sys::OPUS_BANDWIDTH_SUPERWIDEBAND,
        Bandwidth::Fullband => sys::OPUS_BANDWIDTH_FULLBAND,
    };
    assert_eq!(bandwidth, expected);
}

/// Packets from the libopus encoder across applications, rates, channel
/// counts, frame durations, bitrates, VBR/CBR, FEC and DTX.
fn encoder_packets() -> &'static [Vec<u8>] {
    static PACKETS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    PACKETS.get_or_init(generate_encoder_packets)
}

fn generate_encoder_packets() -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    let apps = [
        Application::Voip,
        Application::Audio,
        Application::RestrictedLowDelay,
    ];
    let rates = [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000];
    // Frame durations in 2.5 ms units: 2.5, 5, 10, 20, 40, 60, 120 ms.
    let units = [1usize, 2, 4, 8, 16, 24, 48];
    let bitrates = [6_000u32, 16_000, 32_000, 64_000, 256_000];
    let mut config = 0usize;
    for app in apps {
        for rate in rates {
            let signal = common::speech_like(rate.hz(), 1.2, rate.hz().into());
            let pcm = common::to_i16(&signal);
            for channels in [Channels::Mono, Channels::Stereo] {
                for &unit in &units {
                    let bitrate = bitrates[config % bitrates.len()];
                    let vbr = config % 3 != 0;
                    config += 1;
                    let Ok(mut enc) = Encoder::new(rate, channels, app) else {
                        panic!("encoder")
                    };
                    enc.set_bitrate(Bitrate::BitsPerSecond(bitrate)).ok();
                    enc.set_vbr(vbr).ok();
                    enc.set_inband_fec(config % 2 == 0).ok();
                    enc.set_packet_loss_perc(10).ok();
                    enc.set_dtx(config % 5 == 0).ok();
                    let frame = rate.samples_per_2_5_ms() * unit;
                    let interleaved: Vec<i16> = pcm
                        .iter()
                        .flat_map(|&s| std::iter::repeat_n(s, channels.count()))
                        .collect();
                    let step = frame * channels.count();
                    for chunk in interleaved.chunks_exact(step).take(24) {
                        match enc.encode_vec(chunk) {
                            Ok(packet) => packets.push(packet),
                            Err(e) => panic!("encode failed: {e}"),
                        }
                    }
                }
            }
        }
    }
    packets
}

fn mutate(packet: &[u8], rng: &mut SplitMix) -> Vec<u8> {
    let mut p = packet.to_vec();
    match rng.below(8) {
        0 => {
            if !p.is_empty() {
                let i = rng.below(p.len());
                p[i] ^= 1 << rng.below(8);
            }
        }
        1 => p.truncate(rng.below(p.len() + 1)),
        2 => {
            for _ in 0..rng.below(1400) {
                p.push(rng.next_u64() as u8);
            }
        }
        3 => {
            // Change the frame count code.
            if let Some(t) = p.first_mut() {
                *t = (*t & !3) | rng.below(4) as u8;
            }
        }
        4 => {
            // Rewrite the frame count byte of a code 3 packet.
            if let Some(t) = p.first_mut() {
                *t |= 3;
            }
            if let Some(c) = p.get_mut(1) {
                *c = rng.next_u64() as u8;
            }
        }
        5 => {
            // Padding runs of 255.
            if p.len() > 2 {
                p[0] |= 3;
                p[1] |= 0x40;
                let runs = 1 + rng.below(8);
                for _ in 0..runs {
                    p.insert(2, 255);
                }
            }
        }
        6 => {
            // Change the configuration (frame size) only.
            if let Some(t) = p.first_mut() {
                *t = (*t & 7) | ((rng.below(32) as u8) << 3);
            }
        }
        _ => {
            // Random length bytes after the header.
            for i in 1..p.len().min(6) {
                if rng.below(2) == 0 {
                    p[i] = [0u8, 1, 251, 252, 255][rng.below(5)];
                }
            }
        }
    }
    p
}

#[test]
fn differential_encoder_packets_and_mutations() {
    let packets = encoder_packets();
    let mut tally = Tally::default();
    for packet in packets {
        compare(packet, &mut tally);
    }
    assert!(
        packets.len() >= 2_000,
        "only {} encoder packets",
        packets.len()
    );
    assert_eq!(
        tally.accepted,
        packets.len(),
        "every encoder packet is well-formed"
    );
    let mut rng = SplitMix(MUTATION_SEED);
    for packet in packets {
        for _ in 0..8 {
            let mutated = mutate(packet, &mut rng);
            compare(&mutated, &mut tally);
        }
    }
    eprintln!(
        "differential: {} inputs, {} accepted, rejected by rule R1..R7 {:?}",
        tally.compared, tally.accepted, tally.rejected_by_rule
    );
    // The mutations exercise every rule except R1 (covered below).
    for (i, &n) in tally.rejected_by_rule.iter().enumerate().skip(1) {
        assert!(n > 0, "no mutated packet broke R{}", i + 1);
    }
}

/// Seed of the mutation generator ("opus" in ASCII).
const MUTATION_SEED: u64 = 0x6f70_7573;

#[test]
fn differential_every_packet_of_up_to_two_bytes() {
    let mut tally = Tally::default();
    compare(&[], &mut tally);
    for a in 0..=255u8 {
        compare(&[a], &mut tally);
        for b in 0..=255u8 {
            compare(&[a, b], &mut tally);
        }
    }
    assert_eq!(tally.compared, 1 + 256 + 65_536);
    assert_eq!(tally.rejected_by_rule[0], 1);
}

#[test]
fn differential_three_byte_code_2_and_3_packets() {
    // Every (second, third) byte pair behind one TOC per frame size and code
    // 2 or 3: the length and padding fields in all their values.
    let mut tally = Tally::default();
    for config in [0u8, 3, 12, 16, 19] {
        for code in [2u8, 3] {
            let toc = (config << 3) | code;
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    compare(&[toc, b, c], &mut tally);
                }
            }
        }
    }
    assert!(tally.accepted > 0);
}

/// One packet breaking each rule, built from the rule's wording; both
/// parsers must reject it, and ours must name that rule.
#[test]
fn every_rule_violation_rejected_by_both() {
    let cbr3 = |frames: u8| [(19u8 << 3) | 3, frames];
    let mut long_code0 = vec![0x08u8];
    long_code0.resize(1 + 1276, 0);
    let mut long_code1 = vec![0x09u8];
    long_code1.resize(1 + 2 * 1276, 0);
    let mut long_code2 = vec![0x0au8, 1, 0];
    long_code2.resize(3 + 1276, 0);
    let mut long_vbr3 = vec![0x0bu8, 0x82, 1, 0];
    long_vbr3.resize(4 + 1276, 0);
    let cases: Vec<(Vec<u8>, Rule, &str)> = vec![
        // [RFC 6716 §3.4 test] "[R1] Packets are at least one byte."
        // [RFC 6716 §3.1 test] "A well-formed Opus packet MUST contain at least one byte [R1]."
        (vec![], Rule::R1, "empty"),
        // [RFC 6716 §3.4 test] "[R2] No implicit frame length is larger than 1275 bytes."
        // [RFC 6716 §3.2.1 test] "the length of any individual frame MUST NOT exceed 1275
        // bytes [R2]"
        (long_code0, Rule::R2, "code 0 frame of 1276 bytes"),
        (long_code1, Rule::R2, "code 1 frames of 1276 bytes"),
        (long_code2, Rule::R2, "code 2 second frame of 1276 bytes"),
        (long_vbr3, Rule::R2, "VBR code 3 last frame of 1276 bytes"),
        // [RFC 6716 §3.4 test] "[R3] Code 1 packets have an odd total length, N, so that
        // (N-1)/2 is an integer."
        // [RFC 6716 §3.2.3 test] "The number of payload bytes available for compressed data,
        // N-1, MUST be even for all code 1 packets [R3]."
        (vec![0x09, 1], Rule::R3, "code 1, N=2"),
        // [RFC 6716 §3.4 test] "[R4] Code 2 packets have enough bytes after the TOC for a
        // valid frame length, and that length is no larger than the number of bytes
        // remaining in the packet."
        // [RFC 6716 §3.2.4 test] "A code 2 packet MUST contain enough bytes to represent a
        // valid length."
        // [RFC 6716 §3.2.4 test] "The length of the first frame, N1, MUST also be no larger
        // than the size of the payload remaining after decoding that length for all code 2
        // packets [R4]."
        (vec![0x0a], Rule::R4, "1-byte code 2"),
        (
            vec![0x0a, 252],
            Rule::R4,
            "2-byte code 2 with a 2-byte length",
        ),
        (vec![0x0a, 1], Rule::R4, "2-byte code 2 with N1=1"),
        // [RFC 6716 §3.4 test] "[R5] Code 3 packets contain at least one frame, but no more
        // than 120 ms of audio total."
        // [RFC 6716 §3.2.5 test] "M MUST NOT be zero, and the audio duration contained within
        // a packet MUST NOT exceed 120 ms [R5]."
        (cbr3(0).to_vec(), Rule::R5, "M=0"),
        (cbr3(7).to_vec(), Rule::R5, "7 x 20 ms"),
        (vec![(3 << 3) | 3, 3], Rule::R5, "3 x 60 ms"),
        (vec![(16 << 3) | 3, 49], Rule::R5, "49 x 2.5 ms"),
        // [RFC 6716 §3.4 test] "[R6] The length of a CBR code 3 packet, N, is at least two
        // bytes, the number of bytes added to indicate the padding size plus the trailing
        // padding bytes themselves, P, is no more than N-2, and the frame count, M,
        // satisfies the constraint that (N-2-P) is a non-negative integer multiple of M."
        // [RFC 6716 §3.2.5 test] "Code 3 packets MUST have at least 2 bytes [R6,R7]."
        // [RFC 6716 §3.2.5 test] "There MUST be at least one more byte in the packet in this
        // case [R6,R7]."
        // [RFC 6716 §3.2.5 test] "Then, P MUST be no more than N-2 [R6,R7]."
        // [RFC 6716 §3.2.5 test] "The value R MUST be a non-negative integer multiple of M
        // [R6]."
        (vec![(19 << 3) | 3], Rule::R6, "1-byte code 3"),
        (
            vec![(19 << 3) | 3, 0x42, 1],
            Rule::R6,
            "padding of 1 with no byte left",
        ),
        (
            vec![(19 << 3) | 3, 0x42, 255],
            Rule::R6,
            "padding 255 with no next byte",
        ),
        (
            vec![(19 << 3) | 3, 0x02, 1, 2, 3],
            Rule::R6,
            "3 bytes for 2 frames",
        ),
        // [RFC 6716 §3.4 test] "[R7] VBR code 3 packets are large enough to contain all the
        // header bytes (TOC byte, frame count byte, any padding length bytes, and any frame
        // length bytes), plus the length of the first M-1 frames, plus any trailing padding
        // bytes."
        // [RFC 6716 §3.2.5 test] "The packet MUST contain enough data for the M-1 lengths
        // after removing the (optional) padding"
        // [RFC 6716 §3.2.5 test] "plus the signaled length of the padding MUST be no larger
        // than N, the total size of the packet."
        (
            vec![(19 << 3) | 3, 0x83, 1],
            Rule::R7,
            "missing second length",
        ),
        (
            vec![(19 << 3) | 3, 0x82, 5, 1, 2],
            Rule::R7,
            "first frame overruns",
        ),
        (
            vec![(19 << 3) | 3, 0xc2, 3, 0, 1, 2],
            Rule::R7,
            "padding eats the frame",
        ),
        (
            vec![(19 << 3) | 3, 0x82, 253],
            Rule::R7,
            "truncated 2-byte length",
        ),
    ];
    for (bytes, rule, what) in &cases {
        let theirs = libopus_parse(bytes);
        assert!(theirs.is_err(), "libopus accepted {what}: {theirs:?}");
        let mine = Packet::parse(bytes).map_err(|e| e.rule());
        assert_eq!(mine.err(), Some(*rule), "{what}");
    }
    // Each rule has at least one case.
    for rule in [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::R5,
        Rule::R6,
        Rule::R7,
    ] {
        assert!(cases.iter().any(|c| c.1 == rule));
    }
}

/// Our Opus padding writer produces the very bytes libopus's
/// `opus_packet_pad` does (zero padding bytes included).
// [RFC 6716 §3.2.5 test] "The additional padding bytes appear at the end of the packet and MUST
// be set to zero by the encoder to avoid creating a covert channel."
#[test]
fn pad_packet_matches_libopus() {
    let mut rng = SplitMix(7);
    let mut checked = 0;
    for packet in encoder_packets().iter().step_by(7) {
        let packet = packet.as_slice();
        let extra = rng.below(700);
        let new_len = packet.len() + 3 + extra;
        let mut theirs = packet.to_vec();
        theirs.resize(new_len, 0);
        // SAFETY: `theirs` holds `new_len` bytes, the first packet.len() of
        // which are the packet.
        let ret = unsafe {
            sys::opus_packet_pad(theirs.as_mut_ptr(), packet.len() as i32, new_len as i32)
        };
        assert_eq!(ret, sys::OPUS_OK);
        let mut mine = vec![0u8; new_len];
        let written = rtclite_opus_ffi::pad_packet(packet, new_len, &mut mine);
        assert_eq!(written, Ok(new_len));
        assert_eq!(mine, theirs, "padding {packet:02x?} to {new_len}");
        checked += 1;
    }
    assert!(checked > 200);
}
