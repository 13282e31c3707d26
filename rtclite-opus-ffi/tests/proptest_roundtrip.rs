//! Property tests: the packet parser, writer and padding, the decoder on
//! arbitrary bytes, and the fmtp parameters.

use proptest::prelude::*;
use rtclite_opus_ffi::fmtp::OpusFmtp;
use rtclite_opus_ffi::packet::{
    FrameCode, MAX_DURATION_48K, Packet, Toc, pad_packet, write_packet,
};
use rtclite_opus_ffi::{Channels, Decoder, SampleRate};

/// A TOC (config, stereo) and frames that fit in 120 ms.
fn frames_strategy() -> impl Strategy<Value = (u8, bool, Vec<Vec<u8>>)> {
    (0u8..32, any::<bool>()).prop_flat_map(|(config, stereo)| {
        let per = Toc::new(config, stereo, FrameCode::One).frame_samples_48k();
        let max = (MAX_DURATION_48K / per) as usize;
        let frame = prop_oneof![
            8 => proptest::collection::vec(any::<u8>(), 0..300),
            1 => proptest::collection::vec(any::<u8>(), 1200..=1275),
        ];
        let same = any::<bool>();
        (
            Just(config),
            Just(stereo),
            proptest::collection::vec(frame, 1..=max),
            same,
        )
            .prop_map(|(config, stereo, mut frames, same)| {
                if same {
                    let len = frames.first().map_or(0, Vec::len);
                    for f in &mut frames {
                        f.resize(len, 0xa5);
                    }
                }
                (config, stereo, frames)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_rewrite_identically(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
        if let Ok(packet) = Packet::parse(&bytes) {
            // Written back with the smallest framing, the frames are the same.
            let mut out = vec![0u8; bytes.len() + 200];
            let len = write_packet(packet.toc(), packet.frames(), &mut out);
            prop_assert!(len.is_ok(), "{len:?}");
            let len = len.unwrap_or(0);
            prop_assert!(len <= bytes.len() + 2);
            let again = Packet::parse(&out[..len]);
            prop_assert!(again.is_ok());
            let again = again.unwrap_or(packet);
            prop_assert!(again.frames().eq(packet.frames()));
            prop_assert_eq!(again.toc().config(), packet.toc().config());
            prop_assert_eq!(again.toc().stereo(), packet.toc().stereo());
            prop_assert_eq!(again.duration_48k(), packet.duration_48k());
        }
    }

    #[test]
    fn write_then_parse_round_trip((config, stereo, frames) in frames_strategy(), pad in 0usize..600) {
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let mut out = vec![0u8; 48 * 1280 + 700];
        let written = write_packet(Toc::new(config, stereo, FrameCode::One), &refs, &mut out);
        prop_assert!(written.is_ok(), "{written:?}");
        let len = written.unwrap_or(0);
        let bytes = &out[..len];
        let parsed = Packet::parse(bytes);
        prop_assert!(parsed.is_ok(), "{parsed:?}");
        let Ok(packet) = parsed else { return Ok(()) };
        prop_assert_eq!(packet.frames().collect::<Vec<_>>(), refs.clone());
        prop_assert_eq!(packet.toc().config(), config);
        prop_assert_eq!(packet.toc().stereo(), stereo);
        let all_equal = refs.iter().all(|f| f.len() == refs[0].len());
        let expected_code = match (refs.len(), all_equal) {
            (1, _) => 0,
            (2, true) => 1,
            (2, false) => 2,
            _ => 3,
        };
        prop_assert_eq!(packet.toc().code().as_u8(), expected_code);

        // Padded to a larger size: same frames, exact size, zero padding.
        let target = len + 3 + pad;
        let mut padded = vec![0xffu8; target];
        let written = pad_packet(bytes, target, &mut padded);
        prop_assert_eq!(written, Ok(target));
        let parsed = Packet::parse(&padded);
        prop_assert!(parsed.is_ok());
        let Ok(padded_packet) = parsed else { return Ok(()) };
        prop_assert_eq!(padded_packet.frames().collect::<Vec<_>>(), refs.clone());
        prop_assert_eq!(padded_packet.len(), target);
        prop_assert!(padded_packet.padding().iter().all(|&b| b == 0));
    }

    #[test]
    fn decoder_takes_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1500), stereo in any::<bool>()) {
        let channels = if stereo { Channels::Stereo } else { Channels::Mono };
        let Ok(mut decoder) = Decoder::new(SampleRate::Hz48000, channels) else {
            return Err(TestCaseError::fail("decoder"));
        };
        let mut pcm = vec![0i16; 5760 * 2];
        let result = decoder.decode(&bytes, &mut pcm);
        // Accepted only if our parser accepts it; the length is the packet's.
        match (Packet::parse(&bytes), result) {
            (Ok(p), Ok(n)) => prop_assert_eq!(n as u32, p.duration_48k()),
            (Ok(_), Err(_)) => {} // libopus may reject the frame contents.
            (Err(_), Ok(_)) => prop_assert!(false, "decoded a malformed packet"),
            (Err(_), Err(_)) => {}
        }
        let mut float = vec![0f32; 5760 * 2];
        let _ = decoder.decode(&bytes, &mut float);
        let _ = decoder.decode_fec(&bytes, &mut float[..960 * channels.count()]);
    }

    #[test]
    fn fmtp_round_trip(
        maxplaybackrate in proptest::option::of(8000u32..=48000),
        sprop_maxcapturerate in proptest::option::of(8000u32..=48000),
        maxaveragebitrate in proptest::option::of(1u32..=1_000_000),
        flags in proptest::collection::vec(proptest::option::of(any::<bool>()), 5),
    ) {
        let fmtp = OpusFmtp {
            maxplaybackrate,
            sprop_maxcapturerate,
            maxaveragebitrate,
            stereo: flags[0],
            sprop_stereo: flags[1],
            cbr: flags[2],
            useinbandfec: flags[3],
            usedtx: flags[4],
        };
        prop_assert_eq!(OpusFmtp::parse(&fmtp.to_string()), Ok(fmtp));
    }

    #[test]
    fn fmtp_arbitrary_text_never_panics(text in "[a-z=;0-9 -]{0,80}|\\PC{0,80}") {
        if let Ok(fmtp) = OpusFmtp::parse(&text) {
            prop_assert_eq!(OpusFmtp::parse(&fmtp.to_string()), Ok(fmtp));
        }
    }
}
