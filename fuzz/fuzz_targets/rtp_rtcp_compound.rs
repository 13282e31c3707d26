//! Compound RTCP: any bytes parse or fail without panicking, in both the
//! RFC 3550 and the RFC 5506 reduced-size modes; every validated packet is
//! yielded and its sub-iterators terminate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_rtp::rtcp::{Compound, RtcpPacket};

fuzz_target!(|data: &[u8]| {
    for parse in [Compound::parse, Compound::parse_reduced_size] {
        let Ok(c) = parse(data) else { continue };
        let mut n = 0;
        for p in c.packets() {
            n += 1;
            match p {
                RtcpPacket::Sr(sr) => for _ in sr.reports() {},
                RtcpPacket::Rr(rr) => for _ in rr.reports() {},
                RtcpPacket::Sdes(s) => {
                    for ch in s.chunks() {
                        for _ in ch.items() {}
                    }
                }
                RtcpPacket::Bye(b) => for _ in b.sources() {},
                RtcpPacket::Rtpfb(f) => {
                    let _ = f.kind();
                }
                RtcpPacket::Psfb(f) => {
                    let k = f.kind();
                    for _ in k.sli_entries() {}
                    for _ in k.fir_entries() {}
                }
                RtcpPacket::Xr(x) => for _ in x.blocks() {},
                _ => {}
            }
        }
        assert_eq!(n, c.len());
    }
});
