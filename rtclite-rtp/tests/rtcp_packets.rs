//! RTCP packet views, writer and compound rules (RFC 3550 §6, RFC 4585,
//! RFC 5104, RFC 3611, RFC 5506).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rtclite_rtp::Ssrc;
use rtclite_rtp::rtcp::{
    Compound, DlrrList, DlrrSubBlock, Fir, NackPair, NtpTimestamp, PayloadFeedbackKind,
    ReportBlock, RleChunk, RleReport, Rpsi, RtcpError, RtcpPacket, RtcpWriteError, RtcpWriter,
    SdesItem, SenderInfo, Sli, StatisticsSummary, TransportFeedbackKind, VoipMetrics, XrBlock,
};

fn sample_block() -> ReportBlock {
    ReportBlock {
        ssrc: Ssrc(0x0102_0304),
        fraction_lost: 64,
        cumulative_lost: -3,
        highest_seq: 0x0001_0010,
        jitter: 77,
        lsr: 0x1234_5678,
        dlsr: 65536,
    }
}

fn sr_and_sdes(w: &mut RtcpWriter<'_>) -> Result<(), RtcpWriteError> {
    let info = SenderInfo {
        ntp_timestamp: NtpTimestamp(0xe1a0_0000_8000_0000),
        rtp_timestamp: 160,
        packet_count: 10,
        octet_count: 1600,
    };
    w.sender_report(Ssrc(7), &info, &[sample_block()], &[])?;
    w.sdes(&[(
        Ssrc(7),
        &[
            SdesItem::Cname(b"user@host"),
            SdesItem::Tool(b"rtclite"),
            SdesItem::Priv {
                prefix: b"x",
                value: b"yz",
            },
        ][..],
    )])
}

#[test]
fn sender_report_and_sdes_round_trip() {
    let mut buf = [0u8; 512];
    let mut w = RtcpWriter::new(&mut buf);
    sr_and_sdes(&mut w).unwrap();
    let n = w.finish();
    let c = Compound::parse(&buf[..n]).unwrap();
    assert_eq!(c.len(), 2);
    let pkts: Vec<_> = c.packets().collect();
    let RtcpPacket::Sr(sr) = pkts[0] else {
        panic!("not SR")
    };
    assert_eq!(sr.ssrc(), Ssrc(7));
    assert_eq!(sr.sender_info().ntp_timestamp.middle_32(), 0x0000_8000);
    assert_eq!(sr.sender_info().octet_count, 1600);
    let blocks: Vec<_> = sr.reports().collect();
    assert_eq!(blocks, vec![sample_block()]);
    let RtcpPacket::Sdes(sdes) = pkts[1] else {
        panic!("not SDES")
    };
    let chunk = sdes.chunks().next().unwrap();
    assert_eq!(chunk.ssrc, Ssrc(7));
    assert_eq!(chunk.cname(), Some(&b"user@host"[..]));
    let items: Vec<_> = chunk.items().collect();
    assert_eq!(
        items[2],
        SdesItem::Priv {
            prefix: b"x",
            value: b"yz"
        }
    );
    assert_eq!(items[1].name(), "TOOL");
}

#[test]
fn cumulative_lost_is_signed_24_bit_and_clamped() {
    // [RFC 3550 §A.3 test] "clamped at 0x7fffff for positive loss or 0x800000
    // for negative loss"
    let mut buf = [0u8; 64];
    let mut w = RtcpWriter::new(&mut buf);
    let blocks = [
        ReportBlock {
            cumulative_lost: 10_000_000,
            ..Default::default()
        },
        ReportBlock {
            cumulative_lost: -10_000_000,
            ..Default::default()
        },
    ];
    w.receiver_report(Ssrc(1), &blocks, &[]).unwrap();
    let n = w.finish();
    assert_eq!(&buf[12..16], &[0x00, 0x7f, 0xff, 0xff]);
    assert_eq!(&buf[36..40], &[0x00, 0x80, 0x00, 0x00]);
    let c = Compound::parse(&buf[..n]).unwrap();
    let Some(RtcpPacket::Rr(rr)) = c.packets().next() else {
        panic!()
    };
    let lost: Vec<_> = rr.reports().map(|r| r.cumulative_lost).collect();
    assert_eq!(lost, vec![0x7f_ffff, -0x80_0000]);
}

#[test]
fn bye_app_and_feedback_round_trip() {
    let mut buf = [0u8; 1024];
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(1), &[], &[]).unwrap();
    w.bye(&[Ssrc(1), Ssrc(2)], Some(b"camera malfunction"))
        .unwrap();
    w.app(3, Ssrc(1), *b"TEST", &[1, 2, 3, 4]).unwrap();
    w.generic_nack(
        Ssrc(1),
        Ssrc(9),
        &[NackPair {
            pid: 65535,
            blp: 0b101,
        }],
    )
    .unwrap();
    w.pli(Ssrc(1), Ssrc(9)).unwrap();
    w.sli(
        Ssrc(1),
        Ssrc(9),
        &[Sli {
            first: 100,
            number: 20,
            picture_id: 33,
        }],
    )
    .unwrap();
    w.rpsi(
        Ssrc(1),
        Ssrc(9),
        &Rpsi {
            payload_type: 96,
            bits: &[0xab, 0xc0],
            unused_bits: 6,
        },
    )
    .unwrap();
    w.fir(
        Ssrc(1),
        &[Fir {
            ssrc: Ssrc(9),
            seq_nr: 4,
        }],
    )
    .unwrap();
    w.remb(Ssrc(1), 1_500_000, &[Ssrc(9), Ssrc(10)]).unwrap();
    let n = w.finish();
    let c = Compound::parse(&buf[..n]).unwrap();
    let p: Vec<_> = c.packets().collect();
    assert_eq!(p.len(), 9);
    let RtcpPacket::Bye(bye) = p[1] else { panic!() };
    assert_eq!(bye.sources().collect::<Vec<_>>(), vec![Ssrc(1), Ssrc(2)]);
    assert_eq!(bye.reason(), Some(&b"camera malfunction"[..]));
    let RtcpPacket::App(app) = p[2] else { panic!() };
    assert_eq!(
        (app.subtype(), app.name(), app.data()),
        (3, *b"TEST", &[1u8, 2, 3, 4][..])
    );
    let RtcpPacket::Rtpfb(fb) = p[3] else {
        panic!()
    };
    assert_eq!(fb.media_ssrc(), Ssrc(9));
    let TransportFeedbackKind::GenericNack(nack) = fb.kind() else {
        panic!()
    };
    let lost: Vec<u16> = nack
        .pairs()
        .flat_map(|p| p.lost().collect::<Vec<_>>())
        .collect();
    // [RFC 4585 §6.2.1 test] "bit i of the bit mask is set to 1 if the receiver
    // has not received RTP packet number (PID+i) (modulo 2^16)"
    assert_eq!(lost, vec![65535, 0, 2]);
    let RtcpPacket::Psfb(pli) = p[4] else {
        panic!()
    };
    assert_eq!(pli.kind(), PayloadFeedbackKind::Pli);
    let RtcpPacket::Psfb(sli) = p[5] else {
        panic!()
    };
    assert_eq!(
        sli.kind().sli_entries().collect::<Vec<_>>(),
        vec![Sli {
            first: 100,
            number: 20,
            picture_id: 33
        }]
    );
    let RtcpPacket::Psfb(rpsi) = p[6] else {
        panic!()
    };
    assert_eq!(
        rpsi.kind(),
        PayloadFeedbackKind::Rpsi(Rpsi {
            payload_type: 96,
            bits: &[0xab, 0xc0],
            unused_bits: 6
        })
    );
    let RtcpPacket::Psfb(fir) = p[7] else {
        panic!()
    };
    assert_eq!(fir.media_ssrc(), Ssrc(0));
    assert_eq!(
        fir.kind().fir_entries().collect::<Vec<_>>(),
        vec![Fir {
            ssrc: Ssrc(9),
            seq_nr: 4
        }]
    );
    let RtcpPacket::Psfb(remb) = p[8] else {
        panic!()
    };
    let PayloadFeedbackKind::Remb(r) = remb.kind() else {
        panic!()
    };
    // 1_500_000 = 187500 * 2^3: mantissa fits 18 bits after three shifts.
    assert_eq!(r.bitrate, 1_500_000);
    assert_eq!(r.ssrcs().collect::<Vec<_>>(), vec![Ssrc(9), Ssrc(10)]);
}

#[test]
fn nack_pack_groups_sixteen_followers() {
    let mut out = Vec::new();
    NackPair::pack([10u16, 11, 26, 27, 100], |p| out.push(p));
    assert_eq!(
        out,
        vec![
            NackPair {
                pid: 10,
                blp: 1 | (1 << 15)
            },
            NackPair { pid: 27, blp: 0 },
            NackPair { pid: 100, blp: 0 }
        ]
    );
}

#[test]
fn extended_report_blocks_round_trip() {
    let chunks = [
        RleChunk::RunLength {
            received: true,
            length: 21,
        }
        .to_u16(),
        RleChunk::BitVector(0b010_1111_1111_1111).to_u16(),
        RleChunk::RunLength {
            received: true,
            length: 9,
        }
        .to_u16(),
        0,
    ];
    let chunk_bytes: Vec<u8> = chunks.iter().flat_map(|c| c.to_be_bytes()).collect();
    let dlrr = [DlrrSubBlock {
        ssrc: Ssrc(5),
        last_rr: 6,
        delay_since_last_rr: 7,
    }];
    let stats = StatisticsSummary {
        ssrc: Ssrc(5),
        begin_seq: 1,
        end_seq: 46,
        lost_packets: Some(2),
        dup_packets: None,
        jitter: Some([1, 2, 3, 4]),
        ttl_or_hop_limit: Some((1, [60, 64, 62, 1])),
    };
    let voip = VoipMetrics {
        ssrc: Ssrc(5),
        loss_rate: 3,
        signal_level: -20,
        noise_level: 127,
        mos_lq: 41,
        jb_abs_max: 200,
        ..Default::default()
    };
    let blocks = [
        XrBlock::LossRle(RleReport {
            thinning: 0,
            ssrc: Ssrc(5),
            begin_seq: 1,
            end_seq: 46,
            chunks: &chunk_bytes,
        }),
        XrBlock::ReceiverReferenceTime(NtpTimestamp(0x0102_0304_0506_0708)),
        XrBlock::Dlrr(DlrrList::Blocks(&dlrr)),
        XrBlock::StatisticsSummary(stats),
        XrBlock::VoipMetrics(voip),
    ];
    let mut buf = [0u8; 512];
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(1), &[], &[]).unwrap();
    w.xr(Ssrc(1), &blocks).unwrap();
    let n = w.finish();
    let c = Compound::parse(&buf[..n]).unwrap();
    let Some(RtcpPacket::Xr(xr)) = c.packets().nth(1) else {
        panic!()
    };
    let got: Vec<_> = xr.blocks().collect();
    assert_eq!(got.len(), 5);
    let XrBlock::LossRle(rle) = got[0] else {
        panic!()
    };
    assert_eq!(
        rle.chunks().nth(1),
        Some(RleChunk::BitVector(0b010_1111_1111_1111))
    );
    assert_eq!(got[1], blocks[1]);
    let XrBlock::Dlrr(l) = got[2] else { panic!() };
    assert_eq!(l.iter().collect::<Vec<_>>(), dlrr.to_vec());
    assert_eq!(got[3], blocks[3]);
    assert_eq!(got[4], blocks[4]);
}

#[test]
fn statistics_summary_with_unflagged_nonzero_field_is_ignored() {
    // [RFC 3611 §4.6 test] "The receiver MUST ignore any Statistics Summary
    // Report Block with a non-zero value in any field flagged as unreported."
    let mut body = vec![0u8; 4 + 4 + 36];
    body[4] = 6; // BT
    body[7] = 9; // length
    body[8 + 12 + 3] = 1; // dup_packets non-zero, D flag clear
    let mut buf = [0u8; 128];
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(1), &[], &[]).unwrap();
    w.raw(207, 0, &body).unwrap();
    let n = w.finish();
    let c = Compound::parse(&buf[..n]).unwrap();
    let Some(RtcpPacket::Xr(xr)) = c.packets().nth(1) else {
        panic!()
    };
    assert!(matches!(
        xr.blocks().next(),
        Some(XrBlock::Other { block_type: 6, .. })
    ));
}

#[test]
fn compound_must_start_with_a_report() {
    // [RFC 3550 §6.1 test] "The first RTCP packet in the compound packet MUST
    // always be a report packet"
    let mut buf = [0u8; 64];
    let mut w = RtcpWriter::new(&mut buf);
    w.pli(Ssrc(1), Ssrc(2)).unwrap();
    let n = w.finish();
    assert_eq!(
        Compound::parse(&buf[..n]),
        Err(RtcpError::FirstPacket { packet_type: 206 })
    );
    // RFC 5506 reduced-size RTCP accepts it.
    let c = Compound::parse_reduced_size(&buf[..n]).unwrap();
    assert!(matches!(c.packets().next(), Some(RtcpPacket::Psfb(_))));
}

#[test]
fn only_the_last_packet_may_be_padded() {
    // [RFC 3550 §A.2 test] "padding should only be applied, if it is needed,
    // to the last packet"
    let mut buf = [0u8; 128];
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(1), &[], &[]).unwrap();
    w.pad_last(8).unwrap();
    w.bye(&[Ssrc(1)], None).unwrap();
    let n = w.finish();
    assert_eq!(
        Compound::parse(&buf[..n]),
        Err(RtcpError::PaddingNotLast { offset: 0 })
    );
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(1), &[], &[]).unwrap();
    w.bye(&[Ssrc(1)], None).unwrap();
    w.pad_last(4).unwrap();
    let n = w.finish();
    let c = Compound::parse(&buf[..n]).unwrap();
    let Some(RtcpPacket::Bye(b)) = c.packets().nth(1) else {
        panic!()
    };
    assert_eq!(b.sources().collect::<Vec<_>>(), vec![Ssrc(1)]);
}

#[test]
fn lengths_must_add_up_to_the_datagram() {
    let mut buf = [0u8; 64];
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(1), &[], &[]).unwrap();
    let n = w.finish();
    // A trailing partial header.
    assert_eq!(
        Compound::parse(&buf[..n + 2]),
        Err(RtcpError::HeaderTruncated {
            offset: 8,
            available: 2
        })
    );
    // Length field larger than the datagram.
    buf[3] = 5;
    assert_eq!(
        Compound::parse(&buf[..n]),
        Err(RtcpError::Length {
            offset: 0,
            announced: 24,
            available: 8
        })
    );
    assert_eq!(Compound::parse(&[]), Err(RtcpError::Empty));
    assert!(matches!(
        Compound::parse(&[0x40, 200, 0, 0]),
        Err(RtcpError::Version { version: 1, .. })
    ));
}

#[test]
fn report_count_beyond_packet_is_malformed() {
    let mut buf = [0u8; 64];
    let mut w = RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(1), &[], &[]).unwrap();
    let n = w.finish();
    buf[0] |= 1; // RC = 1 with no block
    assert!(matches!(
        Compound::parse(&buf[..n]),
        Err(RtcpError::Malformed {
            packet: "RR",
            offset: 0,
            ..
        })
    ));
}

fn block_strategy() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..=0x7f_ffff,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(s, f, c, h, j, l, d)| ReportBlock {
            ssrc: Ssrc(s),
            fraction_lost: f,
            cumulative_lost: c,
            highest_seq: h,
            jitter: j,
            lsr: l,
            dlsr: d,
        })
}

proptest! {
    #[test]
    fn reports_round_trip(
        ssrc in any::<u32>(),
        sr in any::<bool>(),
        info in (any::<u64>(), any::<u32>(), any::<u32>(), any::<u32>()),
        blocks in proptest::collection::vec(block_strategy(), 0..=31),
        ext in proptest::collection::vec(any::<[u8; 4]>(), 0..3),
        cname in proptest::collection::vec(any::<u8>(), 0..=255),
        reason in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=255)),
        nacks in proptest::collection::vec((any::<u16>(), any::<u16>()), 1..10),
    ) {
        let ext: Vec<u8> = ext.concat();
        let info = SenderInfo { ntp_timestamp: NtpTimestamp(info.0), rtp_timestamp: info.1, packet_count: info.2, octet_count: info.3 };
        let pairs: Vec<NackPair> = nacks.iter().map(|&(pid, blp)| NackPair { pid, blp }).collect();
        let mut buf = vec![0u8; 4096];
        let mut w = RtcpWriter::new(&mut buf);
        if sr {
            w.sender_report(Ssrc(ssrc), &info, &blocks, &ext).unwrap();
        } else {
            w.receiver_report(Ssrc(ssrc), &blocks, &ext).unwrap();
        }
        w.sdes(&[(Ssrc(ssrc), &[SdesItem::Cname(&cname)][..])]).unwrap();
        w.generic_nack(Ssrc(ssrc), Ssrc(1), &pairs).unwrap();
        w.bye(&[Ssrc(ssrc)], reason.as_deref()).unwrap();
        let n = w.finish();
        let c = Compound::parse(&buf[..n]).unwrap();
        let p: Vec<_> = c.packets().collect();
        prop_assert_eq!(p.len(), 4);
        match p[0] {
            RtcpPacket::Sr(s) => {
                prop_assert!(sr);
                prop_assert_eq!(s.ssrc(), Ssrc(ssrc));
                prop_assert_eq!(s.sender_info(), info);
                prop_assert_eq!(s.reports().collect::<Vec<_>>(), blocks.clone());
                prop_assert_eq!(s.profile_extension(), &ext[..]);
            }
            RtcpPacket::Rr(r) => {
                prop_assert!(!sr);
                prop_assert_eq!(r.ssrc(), Ssrc(ssrc));
                prop_assert_eq!(r.reports().collect::<Vec<_>>(), blocks.clone());
                prop_assert_eq!(r.profile_extension(), &ext[..]);
            }
            _ => prop_assert!(false),
        }
        let RtcpPacket::Sdes(s) = p[1] else { panic!() };
        prop_assert_eq!(s.chunks().next().unwrap().cname(), Some(&cname[..]));
        let RtcpPacket::Rtpfb(f) = p[2] else { panic!() };
        let TransportFeedbackKind::GenericNack(g) = f.kind() else { panic!() };
        prop_assert_eq!(g.pairs().collect::<Vec<_>>(), pairs);
        let RtcpPacket::Bye(b) = p[3] else { panic!() };
        prop_assert_eq!(b.reason(), reason.as_deref());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        for parse in [Compound::parse, Compound::parse_reduced_size] {
            if let Ok(c) = parse(&bytes) {
                // Every validated packet is yielded, and sub-iterators terminate.
                let mut n = 0;
                for p in c.packets() {
                    n += 1;
                    match p {
                        RtcpPacket::Sdes(s) => for ch in s.chunks() { for _ in ch.items() {} },
                        RtcpPacket::Xr(x) => for _ in x.blocks() {},
                        RtcpPacket::Psfb(f) => { let _ = f.kind(); }
                        _ => {}
                    }
                }
                prop_assert_eq!(n, c.len());
            }
        }
    }
}

proptest! {
    #[test]
    fn app_feedback_and_xr_round_trip(
        subtype in 0u8..32,
        name in any::<[u8; 4]>(),
        app_data in proptest::collection::vec(any::<[u8; 4]>(), 0..4),
        slis in proptest::collection::vec((0u16..0x2000, 0u16..0x2000, 0u8..64), 1..4),
        firs in proptest::collection::vec((any::<u32>(), any::<u8>()), 1..4),
        rpsi_bits in proptest::collection::vec(any::<u8>(), 1..9),
        unused in 0u8..8,
        remb_ssrcs in proptest::collection::vec(any::<u32>(), 0..4),
        remb_mantissa in 0u64..0x4_0000,
        remb_exp in 0u32..40,
        ntp in any::<u64>(),
        dlrr in proptest::collection::vec((any::<u32>(), any::<u32>(), any::<u32>()), 0..4),
        voip in (any::<u32>(), any::<[u8; 8]>(), any::<[u16; 4]>()),
        stats_flags in (any::<bool>(), any::<bool>(), any::<bool>(), 0u8..3),
        stats_vals in (any::<u32>(), any::<u32>(), any::<[u32; 4]>(), any::<[u8; 4]>()),
    ) {
        let app_data = app_data.concat();
        let sli: Vec<Sli> = slis.iter().map(|&(first, number, picture_id)| Sli { first, number, picture_id }).collect();
        let fir: Vec<Fir> = firs.iter().map(|&(s, n)| Fir { ssrc: Ssrc(s), seq_nr: n }).collect();
        let rpsi = Rpsi { payload_type: 96, bits: &rpsi_bits, unused_bits: unused };
        let remb_ssrcs: Vec<Ssrc> = remb_ssrcs.into_iter().map(Ssrc).collect();
        let bitrate = remb_mantissa << remb_exp;
        let dlrr: Vec<DlrrSubBlock> = dlrr.iter().map(|&(s, l, d)| DlrrSubBlock { ssrc: Ssrc(s), last_rr: l, delay_since_last_rr: d }).collect();
        let v = voip.1;
        let metrics = VoipMetrics {
            ssrc: Ssrc(voip.0), loss_rate: v[0], discard_rate: v[1], burst_density: v[2], gap_density: v[3],
            burst_duration: voip.2[0], gap_duration: voip.2[1], round_trip_delay: voip.2[2], end_system_delay: voip.2[3],
            signal_level: v[4] as i8, noise_level: v[5] as i8, rerl: v[6], gmin: v[7],
            ..Default::default()
        };
        let stats = StatisticsSummary {
            ssrc: Ssrc(9), begin_seq: 1, end_seq: 2,
            lost_packets: stats_flags.0.then_some(stats_vals.0),
            dup_packets: stats_flags.1.then_some(stats_vals.1),
            jitter: stats_flags.2.then_some(stats_vals.2),
            ttl_or_hop_limit: (stats_flags.3 > 0).then_some((stats_flags.3, stats_vals.3)),
        };
        let blocks = [
            XrBlock::ReceiverReferenceTime(NtpTimestamp(ntp)),
            XrBlock::Dlrr(DlrrList::Blocks(&dlrr)),
            XrBlock::VoipMetrics(metrics),
            XrBlock::StatisticsSummary(stats),
        ];
        let mut buf = vec![0u8; 2048];
        let mut w = RtcpWriter::new(&mut buf);
        w.receiver_report(Ssrc(1), &[], &[]).unwrap();
        w.app(subtype, Ssrc(1), name, &app_data).unwrap();
        w.sli(Ssrc(1), Ssrc(2), &sli).unwrap();
        w.fir(Ssrc(1), &fir).unwrap();
        w.rpsi(Ssrc(1), Ssrc(2), &rpsi).unwrap();
        w.remb(Ssrc(1), bitrate, &remb_ssrcs).unwrap();
        w.xr(Ssrc(1), &blocks).unwrap();
        let n = w.finish();
        let c = Compound::parse(&buf[..n]).unwrap();
        let p: Vec<_> = c.packets().collect();
        prop_assert_eq!(p.len(), 7);
        let RtcpPacket::App(a) = p[1] else { panic!() };
        prop_assert_eq!((a.subtype(), a.name(), a.data()), (subtype, name, &app_data[..]));
        let RtcpPacket::Psfb(f) = p[2] else { panic!() };
        let got: Vec<Sli> = f.kind().sli_entries().collect();
        prop_assert_eq!(got, sli);
        let RtcpPacket::Psfb(f) = p[3] else { panic!() };
        let got: Vec<Fir> = f.kind().fir_entries().collect();
        prop_assert_eq!(got, fir);
        let RtcpPacket::Psfb(f) = p[4] else { panic!() };
        prop_assert_eq!(f.kind(), PayloadFeedbackKind::Rpsi(rpsi));
        let RtcpPacket::Psfb(f) = p[5] else { panic!() };
        let PayloadFeedbackKind::Remb(r) = f.kind() else { panic!() };
        // The 18-bit mantissa keeps the top bits: the value never grows and
        // loses less than one part in 2^17.
        prop_assert!(r.bitrate <= bitrate && bitrate - r.bitrate <= bitrate >> 17);
        prop_assert_eq!(r.ssrcs().collect::<Vec<_>>(), remb_ssrcs);
        let RtcpPacket::Xr(x) = p[6] else { panic!() };
        let got: Vec<_> = x.blocks().collect();
        prop_assert_eq!(got.len(), 4);
        prop_assert_eq!(got[0], blocks[0]);
        let XrBlock::Dlrr(l) = got[1] else { panic!() };
        prop_assert_eq!(l.iter().collect::<Vec<_>>(), dlrr.clone());
        prop_assert_eq!(got[2], blocks[2]);
        prop_assert_eq!(got[3], blocks[3]);
    }
}
