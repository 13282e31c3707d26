//! Zero heap allocation on the hot paths: parsing an RTP packet or an RTCP
//! compound (and reading every field a receiver needs), writing an RTP
//! packet or an RTCP compound into a caller buffer, the forwarding path
//! (parse, change fixed-header fields, write), and the telephone-event
//! and tone codecs. Measured with a counting global allocator
//! (allocation-counter) installed in this test binary only, on the baresip
//! captures of `tests/captures/`.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use rtclite_rtp::payload::dtmf::{TelephoneEvent, dtmf_event};
use rtclite_rtp::payload::tone::{ToneBuilder, ToneReport};
use rtclite_rtp::rtcp::{NtpTimestamp, ReportBlock, SdesItem, SenderInfo};
use rtclite_rtp::rtp::{ExtensionElement, ExtensionSpec};
use rtclite_rtp::{Compound, RtcpPacket, RtcpWriter, RtpPacket, RtpPacketBuilder, Ssrc};

fn lines(name: &str) -> Vec<Vec<u8>> {
    std::fs::read_to_string(format!(
        "{}/tests/captures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .lines()
    .map(|l| {
        (0..l.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap())
            .collect()
    })
    .collect()
}

/// Runs `f` and returns how many allocations it made.
fn allocations(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

#[test]
fn the_counter_sees_allocations() {
    assert!(allocations(|| drop(black_box(vec![1u8; 16]))) > 0);
}

#[test]
fn rtp_parse_allocates_nothing() {
    let mut packets = lines("baresip_pcmu_rtp_a.hex");
    packets.extend(lines("baresip_pcmu_rtp_b.hex"));
    assert_eq!(packets.len(), 300);
    for bytes in &packets {
        let n = allocations(|| {
            let p = RtpPacket::parse(bytes).unwrap();
            black_box((
                p.marker(),
                p.payload_type(),
                p.sequence_number(),
                p.timestamp(),
                p.ssrc(),
                p.csrcs().count(),
                p.payload(),
            ));
            if let Some(ext) = p.extension() {
                black_box(ext.elements().count());
            }
        });
        assert_eq!(n, 0, "allocations while parsing an RTP packet");
    }
}

#[test]
fn rtp_parse_then_write_allocates_nothing() {
    let mut packets = lines("baresip_pcmu_rtp_a.hex");
    packets.extend(lines("baresip_pcmu_rtp_b.hex"));
    // And a packet with every optional part: CSRCs, a one-byte extension,
    // padding.
    let level = [ExtensionElement {
        id: 1,
        data: &[0x7f],
    }];
    let mut full = vec![0u8; 1500];
    let len = RtpPacketBuilder {
        payload_type: 96,
        csrcs: &[Ssrc(1), Ssrc(2)],
        extension: Some(ExtensionSpec::OneByte(&level)),
        payload: &[0x11; 1100],
        padding: Some(3),
        ..Default::default()
    }
    .write_to(&mut full)
    .unwrap();
    full.truncate(len);
    packets.push(full);
    let mut out = [0u8; 1500];
    for (i, bytes) in packets.iter().enumerate() {
        let mut n = 0;
        let count = allocations(|| {
            let p = RtpPacket::parse(bytes).unwrap();
            let mut h = p.fixed_header();
            h.ssrc = Ssrc(0x0bad_cafe);
            h.sequence_number = h.sequence_number.wrapping_add(i as u16);
            n = p.write_with_header(&h, &mut out).unwrap();
            black_box(&out[..n]);
        });
        assert_eq!(count, 0, "allocations while forwarding an RTP packet");
        let fwd = RtpPacket::parse(&out[..n]).unwrap();
        assert_eq!(fwd.ssrc(), Ssrc(0x0bad_cafe));
        assert_eq!(&out[12..n], &bytes[12..]);
    }
}

#[test]
fn rtcp_compound_parse_allocates_nothing() {
    let compounds = lines("baresip_rtcp.hex");
    assert!(!compounds.is_empty());
    let mut seen = 0;
    for bytes in &compounds {
        let n = allocations(|| {
            let c = match Compound::parse(bytes) {
                Ok(c) => c,
                // baresip's goodbye has no leading report (see captures.rs)
                Err(_) => Compound::parse_reduced_size(bytes).unwrap(),
            };
            for p in c.packets() {
                match p {
                    RtcpPacket::Sr(sr) => {
                        black_box(sr.sender_info());
                        black_box(sr.reports().count());
                    }
                    RtcpPacket::Rr(rr) => {
                        black_box(rr.reports().count());
                    }
                    RtcpPacket::Sdes(s) => {
                        for chunk in s.chunks() {
                            black_box(chunk.cname());
                            black_box(chunk.items().count());
                        }
                    }
                    other => {
                        black_box(other.packet_type());
                    }
                }
            }
            seen += 1;
        });
        assert_eq!(n, 0, "allocations while parsing an RTCP compound");
    }
    assert_eq!(seen, compounds.len());
}

#[test]
fn rtp_and_rtcp_writes_into_a_caller_buffer_allocate_nothing() {
    let payload = [0xd5u8; 1200];
    let level = [ExtensionElement {
        id: 1,
        data: &[0x7f],
    }];
    let mut buf = [0u8; 1500];
    let n = allocations(|| {
        for seq in 0..100u16 {
            let len = RtpPacketBuilder {
                payload_type: 0,
                sequence_number: seq,
                timestamp: u32::from(seq) * 160,
                ssrc: Ssrc(7),
                extension: Some(ExtensionSpec::OneByte(&level)),
                payload: &payload,
                ..Default::default()
            }
            .write_to(&mut buf)
            .unwrap();
            black_box(&buf[..len]);
        }
    });
    assert_eq!(n, 0, "allocations while writing RTP packets");
    let block = ReportBlock {
        ssrc: Ssrc(9),
        fraction_lost: 1,
        cumulative_lost: 2,
        highest_seq: 3,
        jitter: 4,
        lsr: 5,
        dlsr: 6,
    };
    let info = SenderInfo {
        ntp_timestamp: NtpTimestamp(1 << 40),
        rtp_timestamp: 160,
        packet_count: 1,
        octet_count: 160,
    };
    let cname = [SdesItem::Cname(b"user@example.com")];
    let n = allocations(|| {
        let mut w = RtcpWriter::new(&mut buf);
        w.sender_report(Ssrc(7), &info, &[block], &[]).unwrap();
        w.sdes(&[(Ssrc(7), &cname[..])]).unwrap();
        w.bye(&[Ssrc(7)], Some(b"done")).unwrap();
        black_box(w.finish());
    });
    assert_eq!(n, 0, "allocations while writing an RTCP compound");
    // And what was written parses.
    let mut w = RtcpWriter::new(&mut buf);
    w.sender_report(Ssrc(7), &info, &[block], &[]).unwrap();
    w.sdes(&[(Ssrc(7), &cname[..])]).unwrap();
    let len = w.finish();
    assert_eq!(Compound::parse(&buf[..len]).unwrap().packets().count(), 2);
}

#[test]
fn event_and_tone_codecs_allocate_nothing() {
    let mut buf = [0u8; 16];
    let n = allocations(|| {
        let report = TelephoneEvent {
            event: dtmf_event('#').unwrap(),
            end: true,
            volume: 10,
            duration: 800,
        };
        let bytes = report.to_bytes();
        black_box(TelephoneEvent::parse_all(&bytes).unwrap().count());
        let len = ToneBuilder {
            duration: 400,
            frequencies: &[350, 440],
            ..Default::default()
        }
        .write_to(&mut buf)
        .unwrap();
        let t = ToneReport::parse(&buf[..len]).unwrap();
        black_box(t.frequencies().sum::<u16>());
    });
    assert_eq!(n, 0);
}
