//! RTP/RTCP demultiplexing on one port (RFC 5761 §4).

use rtclite_rtp::demux::{PacketKind, classify, payload_type_allowed_with_mux};

#[test]
fn every_rtcp_type_and_every_allowed_payload_type_is_told_apart() {
    // [RFC 5761 §4 test] "payload type values in the range 64-95 MUST NOT be
    // used"
    for pt in 0u8..=127 {
        let allowed = payload_type_allowed_with_mux(pt);
        assert_eq!(allowed, !(64..=95).contains(&pt), "PT {pt}");
        if !allowed {
            continue;
        }
        for marker in [0u8, 0x80] {
            let mut pkt = [0u8; 12];
            pkt[0] = 0x80;
            pkt[1] = marker | pt;
            assert_eq!(classify(&pkt), PacketKind::Rtp, "PT {pt} M {marker}");
        }
    }
    for rtcp_type in 192u8..=223 {
        assert_eq!(
            classify(&[0x81, rtcp_type, 0, 1, 0, 0, 0, 0]),
            PacketKind::Rtcp
        );
    }
    // Not RTP at all: STUN (first two bits 00), DTLS (20-63), too short.
    assert_eq!(classify(&[0x00, 0x01, 0x00, 0x00]), PacketKind::Other);
    assert_eq!(classify(&[0x16, 0xfe, 0xfd]), PacketKind::Other);
    assert_eq!(classify(&[0x80]), PacketKind::Other);
}
