//! RTP and RTCP as baresip 1.0.0 sends them (see tests/captures/README.md).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_rtp::Ssrc;
use rtclite_rtp::payload::g711;
use rtclite_rtp::rtcp::{Compound, RtcpError, RtcpPacket};
use rtclite_rtp::rtp::RtpPacket;
use rtclite_rtp::session::{SeqVerdict, SequenceTracker};

fn lines(name: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/captures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.lines()
        .map(|l| {
            (0..l.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn baresip_pcmu_streams_parse_in_sequence() {
    for (file, ssrc) in [
        ("baresip_pcmu_rtp_a.hex", 0x07df_353b),
        ("baresip_pcmu_rtp_b.hex", 0xec0b_0b2d),
    ] {
        let packets = lines(file);
        assert_eq!(packets.len(), 150);
        let first = RtpPacket::parse(&packets[0]).unwrap();
        let mut tracker = SequenceTracker::new(first.sequence_number());
        let mut peak = 0i32;
        for (i, bytes) in packets.iter().enumerate() {
            let p = RtpPacket::parse(bytes).unwrap();
            assert_eq!(p.ssrc(), Ssrc(ssrc), "{file} packet {i}");
            assert_eq!(p.payload_type(), 0);
            assert_eq!(p.payload().len(), 160);
            assert_eq!(
                (p.has_padding(), p.has_extension(), p.csrc_count()),
                (false, false, 0)
            );
            assert_eq!(
                p.sequence_number(),
                first.sequence_number().wrapping_add(i as u16)
            );
            assert_eq!(
                p.timestamp(),
                first.timestamp().wrapping_add(160 * i as u32)
            );
            let v = tracker.update(p.sequence_number());
            assert!(matches!(v, SeqVerdict::Valid | SeqVerdict::Probation));
            for &c in p.payload() {
                peak = peak.max(i32::from(g711::ulaw_decode(c)).abs());
            }
        }
        // One packet goes to probation, the other 149 count, none lost.
        assert_eq!((tracker.received(), tracker.cumulative_lost()), (149, 0));
        // The source was a 440 Hz tone of amplitude 8000.
        assert!((7600..=8400).contains(&peak), "{file}: peak {peak}");
    }
}

#[test]
fn baresip_sender_reports_and_lsr() {
    let rtcp = lines("baresip_rtcp.hex");
    assert_eq!(rtcp.len(), 6);
    let c0 = Compound::parse(&rtcp[0]).unwrap();
    let p0: Vec<_> = c0.packets().collect();
    let RtcpPacket::Sr(sr_b) = p0[0] else {
        panic!()
    };
    assert_eq!(sr_b.ssrc(), Ssrc(0xec0b_0b2d));
    assert_eq!(sr_b.sender_info().packet_count, 250);
    let RtcpPacket::Sdes(sdes) = p0[1] else {
        panic!()
    };
    assert_eq!(
        sdes.chunks().next().unwrap().cname(),
        Some(&b"sip:b@127.0.0.1:5090"[..])
    );
    // a's SR 36 ms later reports on b: LSR is the middle of b's NTP time.
    let c1 = Compound::parse(&rtcp[1]).unwrap();
    let Some(RtcpPacket::Sr(sr_a)) = c1.packets().next() else {
        panic!()
    };
    let block = sr_a.reports().next().unwrap();
    assert_eq!(block.ssrc, Ssrc(0xec0b_0b2d));
    assert_eq!(block.lsr, sr_b.sender_info().ntp_timestamp.middle_32());
    assert_eq!(block.dlsr, 0x7ae); // 30 ms in 1/65536 s
    assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 0));
    for bytes in &rtcp[..4] {
        assert!(Compound::parse(bytes).is_ok());
    }
}

#[test]
fn baresip_goodbye_lacks_the_leading_report() {
    let rtcp = lines("baresip_rtcp.hex");
    for bytes in &rtcp[4..] {
        // [RFC 3550 §6.1 test] "The first RTCP packet in the compound packet
        // MUST always be a report packet"
        assert_eq!(
            Compound::parse(bytes),
            Err(RtcpError::FirstPacket { packet_type: 203 })
        );
        let c = Compound::parse_reduced_size(bytes).unwrap();
        let p: Vec<_> = c.packets().collect();
        let RtcpPacket::Bye(bye) = p[0] else { panic!() };
        assert_eq!(bye.reason(), Some(&b"Adjo"[..]));
        assert!(matches!(p[1], RtcpPacket::Sdes(_)));
    }
}
