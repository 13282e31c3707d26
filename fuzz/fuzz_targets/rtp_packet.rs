//! RTP packet view: any bytes parse or fail without panicking; what parses
//! writes back byte for byte (padding content aside) and reparses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_rtp::rtp::{ExtensionSpec, RtpPacket, RtpPacketBuilder};

fuzz_target!(|data: &[u8]| {
    let Ok(pkt) = RtpPacket::parse(data) else {
        return;
    };
    if let Some(ext) = pkt.extension() {
        for e in ext.elements() {
            let _ = e;
        }
    }
    let csrcs: Vec<_> = pkt.csrcs().collect();
    let b = RtpPacketBuilder {
        marker: pkt.marker(),
        payload_type: pkt.payload_type(),
        sequence_number: pkt.sequence_number(),
        timestamp: pkt.timestamp(),
        ssrc: pkt.ssrc(),
        csrcs: &csrcs,
        extension: pkt.extension().map(|e| ExtensionSpec::Generic {
            profile: e.profile,
            data: e.data,
        }),
        payload: pkt.payload(),
        padding: (pkt.padding_len() > 0).then(|| pkt.padding_len() as u8),
    };
    let mut out = vec![0u8; data.len()];
    let n = b
        .write_to(&mut out)
        .expect("a parsed packet can be written");
    assert_eq!(n, data.len());
    let keep = data.len() - pkt.padding_len();
    assert_eq!(&out[..keep], &data[..keep]);
    let again = RtpPacket::parse(&out).expect("written packet parses");
    assert_eq!(again.payload(), pkt.payload());
});
