//! Fuzzes the RFC 6716 §3 packet parser: any bytes parse or fail without
//! panicking; a parsed packet written back (smallest framing, then padded to
//! a larger size) parses to the same frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_opus_ffi::packet::{Packet, pad_packet, write_packet};

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::parse(data) else {
        return;
    };
    assert!(packet.frame_count() >= 1 && packet.duration_48k() <= 5760);
    let mut out = vec![0u8; data.len() + 8];
    let len = write_packet(packet.toc(), packet.frames(), &mut out).expect("rewrite");
    let again = Packet::parse(&out[..len]).expect("reparse");
    assert!(again.frames().eq(packet.frames()));
    let target = len + 3 + usize::from(data.first().copied().unwrap_or(0));
    let mut padded = vec![0u8; target];
    assert_eq!(pad_packet(&out[..len], target, &mut padded), Ok(target));
    let padded = Packet::parse(&padded).expect("padded parse");
    assert!(padded.frames().eq(packet.frames()));
});
