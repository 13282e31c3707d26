//! Payload decoders: RFC 2198 RED, RFC 4733 telephone events (through the
//! event receivers) and tones, RFC 4103 T.140 reassembly (with and without
//! the reorder wait) and the G.711 decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

use rtclite_rtp::payload::dtmf::{EventReceiver, TelephoneEvent, TelephoneEventReceiver};
use rtclite_rtp::payload::g711;
use rtclite_rtp::payload::red::RedPayload;
use rtclite_rtp::payload::t140::{T140Reassembler, T140Receiver};
use rtclite_rtp::payload::tone::ToneReport;

fuzz_target!(|data: &[u8]| {
    if let Ok(red) = RedPayload::parse(data) {
        assert_eq!(red.blocks().count(), red.len());
    }
    if let Ok(events) = TelephoneEvent::parse_all(data) {
        let mut rx = EventReceiver::new();
        for (i, e) in events.enumerate() {
            let _ = rx.handle(i as u32 * 160, e);
        }
    }
    let mut rx = T140Receiver::new();
    let mut out = Vec::new();
    for (i, chunk) in data.chunks(16).enumerate() {
        let _ = rx.handle(i as u16 * 3, chunk, &mut out);
    }
    if let Ok(tone) = ToneReport::parse(data) {
        assert_eq!(tone.frequencies().count(), tone.frequency_count());
    }
    // Chunks as packets: two bytes of sequence number, one of arrival delay
    // (ms), then the payload, through both sans-IO receivers.
    let t0 = Instant::now();
    let mut now = t0;
    let mut events = TelephoneEventReceiver::new();
    let mut text = T140Reassembler::new();
    let mut out = Vec::new();
    for chunk in data.chunks(20) {
        let (head, payload) = chunk.split_at(chunk.len().min(3));
        let seq = u16::from_be_bytes([
            head.first().copied().unwrap_or(0),
            head.get(1).copied().unwrap_or(0),
        ]);
        now += Duration::from_millis(u64::from(head.get(2).copied().unwrap_or(0)) * 8);
        events.handle_timeout(now);
        let _ = events.handle_payload(now, u32::from(seq) * 160, payload);
        while events.poll_event().is_some() {}
        text.handle_timeout(now);
        let _ = text.handle_input(now, seq, payload);
        text.read_text(&mut out);
        assert!(
            text.poll_timeout()
                .is_none_or(|t| t <= now + Duration::from_secs(1))
        );
    }
    let mut pcm = vec![0i16; data.len()];
    g711::ulaw_decode_slice(data, &mut pcm);
    g711::alaw_decode_slice(data, &mut pcm);
});
