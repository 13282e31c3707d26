//! Payload decoders: RFC 2198 RED, RFC 4733 telephone events (through the
//! event receiver), RFC 4103 T.140 reassembly and the G.711 decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_rtp::payload::dtmf::{EventReceiver, TelephoneEvent};
use rtclite_rtp::payload::g711;
use rtclite_rtp::payload::red::RedPayload;
use rtclite_rtp::payload::t140::T140Receiver;

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
    let mut pcm = vec![0i16; data.len()];
    g711::ulaw_decode_slice(data, &mut pcm);
    g711::alaw_decode_slice(data, &mut pcm);
});
