//! The safe API: every setting reaches libopus and reads back, and every
//! wrong length or value is refused before the C call.

// Helpers here are test code: a panic is a failed test.
#![allow(clippy::panic)]

use rtclite_opus_ffi::{
    Application, Bandwidth, Bitrate, Channels, Decoder, Encoder, Error, LibopusError, OpusFmtp,
    PacketError, SampleRate, Signal,
};

fn encoder(rate: SampleRate, channels: Channels) -> Encoder {
    match Encoder::new(rate, channels, Application::Voip) {
        Ok(e) => e,
        Err(e) => panic!("encoder: {e}"),
    }
}

#[test]
fn version_names_libopus() {
    assert!(
        rtclite_opus_ffi::version().starts_with("libopus "),
        "{}",
        rtclite_opus_ffi::version()
    );
}

#[test]
fn every_setting_reads_back() {
    let mut enc = encoder(SampleRate::Hz48000, Channels::Stereo);
    assert_eq!(enc.set_bitrate(Bitrate::BitsPerSecond(32_000)), Ok(()));
    assert_eq!(enc.bitrate(), Ok(32_000));
    assert_eq!(enc.set_vbr(false), Ok(()));
    assert_eq!(enc.vbr(), Ok(false));
    assert_eq!(enc.set_vbr_constraint(false), Ok(()));
    assert_eq!(enc.set_complexity(3), Ok(()));
    assert_eq!(enc.complexity(), Ok(3));
    assert_eq!(enc.set_inband_fec(true), Ok(()));
    assert_eq!(enc.inband_fec(), Ok(true));
    assert_eq!(enc.set_packet_loss_perc(15), Ok(()));
    assert_eq!(enc.packet_loss_perc(), Ok(15));
    assert_eq!(enc.set_dtx(true), Ok(()));
    assert_eq!(enc.dtx(), Ok(true));
    assert_eq!(enc.set_signal(Signal::Music), Ok(()));
    assert_eq!(enc.signal(), Ok(Signal::Music));
    assert_eq!(enc.set_max_bandwidth(Bandwidth::Wideband), Ok(()));
    assert_eq!(enc.max_bandwidth(), Ok(Bandwidth::Wideband));
    assert_eq!(enc.set_bandwidth(Some(Bandwidth::Narrowband)), Ok(()));
    assert_eq!(enc.set_bandwidth(None), Ok(()));
    assert_eq!(enc.set_bitrate(Bitrate::Auto), Ok(()));
    assert_eq!(enc.set_bitrate(Bitrate::Max), Ok(()));
    assert!(enc.lookahead().is_ok_and(|l| l > 0));
    assert_eq!(enc.reset(), Ok(()));
    assert!(matches!(
        enc.set_complexity(11),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        enc.set_packet_loss_perc(101),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        enc.set_bitrate(Bitrate::BitsPerSecond(0)),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn settings_from_fmtp_are_applied() {
    let Ok(fmtp) = OpusFmtp::parse(
        "maxplaybackrate=16000;maxaveragebitrate=18000;cbr=1;useinbandfec=1;usedtx=1",
    ) else {
        panic!("fmtp")
    };
    let settings = fmtp.encoder_settings(Application::Voip, None, None);
    let mut enc = encoder(SampleRate::Hz48000, settings.channels);
    assert_eq!(enc.apply(&settings), Ok(()));
    assert_eq!(enc.max_bandwidth(), Ok(Bandwidth::Wideband));
    assert_eq!(enc.bitrate(), Ok(18_000));
    assert_eq!(enc.vbr(), Ok(false));
    assert_eq!(enc.inband_fec(), Ok(true));
    assert_eq!(enc.dtx(), Ok(true));
    // What it produces respects maxplaybackrate: never wider than wideband.
    let pcm = vec![1000i16; 960];
    for _ in 0..10 {
        let Ok(packet) = enc.encode_vec(&pcm) else {
            panic!("encode")
        };
        let Ok(parsed) = rtclite_opus_ffi::Packet::parse(&packet) else {
            panic!("parse")
        };
        assert!(parsed.toc().bandwidth() <= Bandwidth::Wideband);
    }
}

#[test]
fn encoder_refuses_bad_lengths() {
    let mut enc = encoder(SampleRate::Hz16000, Channels::Stereo);
    let mut out = [0u8; 1500];
    // 20 ms at 16 kHz stereo is 640 samples; 639 is not whole frames.
    assert!(matches!(
        enc.encode(&[0i16; 639], &mut out),
        Err(Error::InvalidArgument {
            what: "PCM length",
            ..
        })
    ));
    // 15 ms is not an Opus frame size.
    assert!(matches!(
        enc.encode(&[0i16; 480], &mut out),
        Err(Error::InvalidArgument {
            what: "frame size",
            ..
        })
    ));
    assert!(matches!(
        enc.encode(&[0i16; 0], &mut out),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        enc.encode(&[0i16; 640], &mut []),
        Err(Error::InvalidArgument { .. })
    ));
    // Every valid duration: 2.5 ms to 120 ms.
    for units in [1usize, 2, 4, 8, 16, 24, 32, 40, 48] {
        let pcm = vec![0f32; 40 * units * 2];
        assert!(enc.encode(&pcm, &mut out).is_ok(), "{units}");
    }
    // A one-byte output: libopus either fits a packet in it or says the
    // buffer is too small; it never writes past the slice.
    assert_eq!(enc.set_bitrate(Bitrate::BitsPerSecond(128_000)), Ok(()));
    let noise: Vec<i16> = (0..640)
        .map(|i| ((i * 7919) % 20000) as i16 - 10000)
        .collect();
    out.fill(0xee);
    let result = enc.encode(&noise, &mut out[..1]);
    assert!(
        matches!(
            result,
            Ok(1)
                | Err(Error::Library {
                    code: LibopusError::BufferTooSmall,
                    ..
                })
        ),
        "{result:?}"
    );
    assert!(out[1..].iter().all(|&b| b == 0xee));
}

#[test]
fn decoder_refuses_bad_packets_and_small_buffers() {
    let mut enc = encoder(SampleRate::Hz48000, Channels::Mono);
    let Ok(packet) = enc.encode_vec(&vec![0i16; 960]) else {
        panic!("encode")
    };
    let Ok(mut dec) = Decoder::new(SampleRate::Hz48000, Channels::Mono) else {
        panic!("decoder")
    };
    let mut pcm = vec![0i16; 959];
    assert_eq!(
        dec.decode(&packet, &mut pcm),
        Err(Error::OutputTooSmall {
            needed: 960,
            capacity: 959
        })
    );
    let mut pcm = vec![0i16; 5760];
    assert_eq!(dec.decode(&packet, &mut pcm), Ok(960));
    assert_eq!(dec.last_packet_duration(), Ok(960));
    assert!(dec.final_range().is_ok_and(|r| Ok(r) == enc.final_range()));
    assert_eq!(
        dec.decode(&[], &mut pcm),
        Err(Error::Packet(PacketError::Empty))
    );
    assert!(matches!(
        dec.decode(&[0x09, 1], &mut pcm),
        Err(Error::Packet(PacketError::Code1OddPayload { .. }))
    ));
    // Concealment needs whole 2.5 ms units, at most 120 ms.
    assert!(matches!(
        dec.conceal(&mut pcm[..100]),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        dec.conceal(&mut vec![0i16; 5760 + 120]),
        Err(Error::InvalidArgument { .. })
    ));
    assert_eq!(dec.conceal(&mut pcm[..480]), Ok(480));
    assert_eq!(dec.decode_fec(&packet, &mut pcm[..960]), Ok(960));
    assert_eq!(dec.reset(), Ok(()));
}

#[test]
fn decoder_output_rate_is_independent_of_the_coded_rate() {
    // A 20 ms packet coded at 8 kHz decodes to 20 ms at any output rate.
    let mut enc = encoder(SampleRate::Hz8000, Channels::Mono);
    let Ok(packet) = enc.encode_vec(&vec![500i16; 160]) else {
        panic!("encode")
    };
    for rate in SampleRate::ALL {
        for channels in [Channels::Mono, Channels::Stereo] {
            let Ok(mut dec) = Decoder::new(rate, channels) else {
                panic!("decoder")
            };
            let mut pcm = vec![0f32; rate.max_packet_samples() * channels.count()];
            assert_eq!(dec.decode(&packet, &mut pcm), Ok(rate.hz() as usize / 50));
        }
    }
}

#[test]
fn encoder_and_decoder_are_send() {
    fn send<T: Send>(_: &T) {}
    let enc = encoder(SampleRate::Hz48000, Channels::Mono);
    send(&enc);
    let handle = std::thread::spawn(move || {
        let mut enc = enc;
        enc.encode_vec(&vec![0i16; 960]).map(|p| p.len())
    });
    assert!(handle.join().is_ok_and(|r| r.is_ok()));
}

// [RFC 7587 §6.1 test] "every receiver MUST be able to receive and decode stereo signals"
#[test]
fn mono_decoder_takes_stereo_packets_and_stereo_decoder_mono_ones() {
    let mut stereo = encoder(SampleRate::Hz48000, Channels::Stereo);
    let pcm: Vec<i16> = (0..1920).map(|i| ((i % 97) * 300) as i16).collect();
    let Ok(packet) = stereo.encode_vec(&pcm) else {
        panic!("encode")
    };
    assert!(rtclite_opus_ffi::Packet::parse(&packet).is_ok_and(|p| p.toc().stereo()));
    let Ok(mut mono) = Decoder::new(SampleRate::Hz16000, Channels::Mono) else {
        panic!("decoder")
    };
    let mut out = vec![0i16; 320];
    assert_eq!(mono.decode(&packet, &mut out), Ok(320));
    let mut mono_enc = encoder(SampleRate::Hz8000, Channels::Mono);
    let Ok(packet) = mono_enc.encode_vec(&vec![100i16; 160]) else {
        panic!("encode")
    };
    let Ok(mut dec) = Decoder::new(SampleRate::Hz24000, Channels::Stereo) else {
        panic!("decoder")
    };
    let mut out = vec![0i16; 960];
    assert_eq!(dec.decode(&packet, &mut out), Ok(480));
}

// [RFC 7587 §3.3 test] "Decoder support for FEC SHOULD be indicated at the time a session is
// set up."
#[test]
fn receiver_parameters_state_fec_and_stereo_explicitly() {
    let fmtp = OpusFmtp::for_receiver(16_000, false, false);
    assert_eq!(
        fmtp.to_string(),
        "maxplaybackrate=16000;stereo=0;useinbandfec=0"
    );
    let fmtp = OpusFmtp::for_receiver(48_000, true, true);
    assert_eq!(fmtp.to_string(), "stereo=1;useinbandfec=1");
}

// [RFC 7587 §3.1.3 test] "The transmitter MUST drop whole frames only, based on the size of
// the last transmitted frame, to ensure successive RTP timestamps differ by a multiple of 120"
#[test]
fn dtx_silence_gives_droppable_packets_and_whole_frame_gaps() {
    let mut enc = encoder(SampleRate::Hz16000, Channels::Mono);
    assert_eq!(enc.set_dtx(true), Ok(()));
    let silence = vec![0i16; 320];
    let mut timestamp = 0u32;
    let mut last_sent = None;
    let mut dropped = 0;
    for _ in 0..100 {
        let Ok(packet) = enc.encode_vec(&silence) else {
            panic!("encode")
        };
        let Ok(parsed) = rtclite_opus_ffi::Packet::parse(&packet) else {
            panic!("parse")
        };
        // A DTX packet (at most 2 bytes) need not be sent.
        if packet.len() <= 2 {
            dropped += 1;
        } else {
            if let Some(previous) = last_sent {
                assert!(rtclite_opus_ffi::rtp::is_whole_frame_gap(
                    previous, timestamp
                ));
            }
            last_sent = Some(timestamp);
        }
        timestamp = timestamp.wrapping_add(rtclite_opus_ffi::rtp::timestamp_increment(&parsed));
    }
    assert_eq!(timestamp, 100 * 960);
    assert!(
        dropped >= 50,
        "only {dropped} of 100 silent frames were DTX"
    );
}
