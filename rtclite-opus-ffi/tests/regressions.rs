//! Replays the inputs kept in `tests/regressions/<target>/` through the same
//! checks as the fuzz targets of the same name (`fuzz/fuzz_targets/`), so a
//! crash once found stays fixed. New crash inputs go into these folders.

use std::path::Path;

use rtclite_opus_ffi::packet::{Packet, pad_packet, write_packet};
use rtclite_opus_ffi::{Channels, Decoder, SampleRate};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(target);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if let Ok(bytes) = std::fs::read(entry.path()) {
            out.push((entry.file_name().to_string_lossy().into_owned(), bytes));
        }
    }
    out.sort();
    out
}

/// The body of fuzz target `opus_packet`.
fn packet_target(data: &[u8]) {
    let Ok(packet) = Packet::parse(data) else {
        return;
    };
    assert!(packet.frame_count() >= 1 && packet.duration_48k() <= 5760);
    let mut out = vec![0u8; data.len() + 8];
    let len = write_packet(packet.toc(), packet.frames(), &mut out);
    assert!(len.is_ok(), "{len:?}");
    let len = len.unwrap_or(0);
    let again = Packet::parse(&out[..len]);
    assert_eq!(
        again.map(|p| p.frames().collect::<Vec<_>>()),
        Ok(packet.frames().collect::<Vec<_>>())
    );
    let target = len + 3 + usize::from(data.first().copied().unwrap_or(0));
    let mut padded = vec![0u8; target];
    assert_eq!(pad_packet(&out[..len], target, &mut padded), Ok(target));
    let padded = Packet::parse(&padded);
    assert_eq!(
        padded.map(|p| p.frames().collect::<Vec<_>>()),
        Ok(packet.frames().collect::<Vec<_>>())
    );
}

/// The body of fuzz target `opus_decode`.
fn decode_target(data: &[u8]) {
    let Some((&selector, packet)) = data.split_first() else {
        return;
    };
    let rate = SampleRate::ALL[usize::from(selector & 7) % 5];
    let channels = if selector & 8 != 0 {
        Channels::Stereo
    } else {
        Channels::Mono
    };
    let Ok(mut decoder) = Decoder::new(rate, channels) else {
        return;
    };
    let capacity = rate.max_packet_samples() * channels.count();
    let frame_20ms = rate.samples_per_2_5_ms() * 8 * channels.count();
    match selector >> 4 {
        0..=7 => {
            let mut pcm = vec![0i16; capacity];
            if let Ok(n) = decoder.decode(packet, &mut pcm) {
                let parsed = Packet::parse(packet);
                assert_eq!(parsed.map(|p| p.duration_at(rate.hz())), Ok(n as u64));
            }
        }
        8..=11 => {
            let mut pcm = vec![0f32; capacity];
            let _ = decoder.decode(packet, &mut pcm);
            let _ = decoder.decode(packet, &mut pcm);
        }
        12..=13 => {
            let mut pcm = vec![0i16; frame_20ms];
            let _ = decoder.decode_fec(packet, &mut pcm);
            let _ = decoder.decode(packet, &mut vec![0i16; capacity]);
        }
        _ => {
            let mut pcm = vec![0f32; frame_20ms];
            let _ = decoder.decode(packet, &mut vec![0f32; capacity]);
            let _ = decoder.conceal(&mut pcm);
        }
    }
}

#[test]
fn replay_opus_packet_regressions() {
    let inputs = inputs("opus_packet");
    assert!(!inputs.is_empty(), "tests/regressions/opus_packet is empty");
    for (name, bytes) in inputs {
        eprintln!("opus_packet/{name}");
        packet_target(&bytes);
    }
}

#[test]
fn replay_opus_decode_regressions() {
    let inputs = inputs("opus_decode");
    assert!(!inputs.is_empty(), "tests/regressions/opus_decode is empty");
    for (name, bytes) in inputs {
        eprintln!("opus_decode/{name}");
        decode_target(&bytes);
    }
}
