//! Fuzzes the safe decoder with arbitrary bytes: the first byte picks the
//! output rate, channels, sample type and call (decode, FEC, concealment);
//! the rest is the packet. Nothing may crash or read out of bounds (run
//! under the fuzzer's AddressSanitizer, libopus's own reads included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_opus_ffi::{Channels, Decoder, Packet, SampleRate};

fuzz_target!(|data: &[u8]| {
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
            let result = decoder.decode(packet, &mut pcm);
            if let Ok(n) = result {
                let parsed = Packet::parse(packet).expect("decoded packets are well-formed");
                assert_eq!(n as u64, parsed.duration_at(rate.hz()));
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
});
