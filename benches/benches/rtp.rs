//! RTP: parse and write of a 160-byte PCMU packet and of a 1200-byte video
//! packet with an RFC 8285 one-byte header extension (three elements);
//! RTCP: parse of two compound packets (SR + 2 report blocks + SDES CNAME;
//! RR + SDES + generic NACK + PLI + REMB).
//!
//! Peers, in the same run on the same bytes: `rtp-types` and `rtp-rs` (RTP),
//! `rtcp-types` (RTCP), and webrtc-rs `rtc-rtp` / `rtc-rtcp`.
//!
//! What rtclite gives for the time: `RtpPacket::parse` validates the whole
//! layout (version, CSRCs, extension length, padding) and borrows; the
//! writer fills a reused caller buffer. `Compound::parse` applies every
//! RFC 3550 Appendix A.2 check and validates each packet's inner layout
//! (report counts, SDES chunk termination, feedback FCI, XR blocks); the
//! timed loop then iterates the typed packets and reads their report
//! blocks. Peers do what their API does for the same task; webrtc-rs
//! allocates (Bytes, Vec, Box<dyn Packet>), and its write is measured on a
//! packet built outside the loop.

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rtclite_rtp::Ssrc;
use rtclite_rtp::rtcp::{
    Compound, NackPair, NtpTimestamp, ReportBlock, RtcpPacket, RtcpWriter, SdesItem, SenderInfo,
};
use rtclite_rtp::rtp::{ExtensionElement, ExtensionSpec, RtpPacket, RtpPacketBuilder};

const AUDIO_LEVEL: [u8; 1] = [0x2a];
const ABS_SEND_TIME: [u8; 3] = [0x12, 0x34, 0x56];
const TWCC: [u8; 2] = [0x01, 0x02];

fn elements() -> [ExtensionElement<'static>; 3] {
    [
        ExtensionElement {
            id: 1,
            data: &AUDIO_LEVEL,
        },
        ExtensionElement {
            id: 3,
            data: &ABS_SEND_TIME,
        },
        ExtensionElement { id: 5, data: &TWCC },
    ]
}

/// The one-byte extension body as the peers take it (12 bytes, padded).
fn ext_body() -> Vec<u8> {
    let mut v = vec![0x10, 0x2a, 0x32, 0x12, 0x34, 0x56, 0x51, 0x01, 0x02];
    v.resize(12, 0);
    v
}

struct Input {
    name: &'static str,
    payload: Vec<u8>,
    ext: bool,
    bytes: Vec<u8>,
}

fn inputs() -> Vec<Input> {
    let mut out = Vec::new();
    for (name, len, ext) in [
        ("160B", 160 - 12, false),
        ("1200B+ext", 1200 - 12 - 16, true),
    ] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let els = elements();
        let b = RtpPacketBuilder {
            marker: ext,
            payload_type: if ext { 96 } else { 0 },
            sequence_number: 4242,
            timestamp: 0x1234_5678,
            ssrc: Ssrc(0xdead_beef),
            extension: ext.then_some(ExtensionSpec::OneByte(&els)),
            payload: &payload,
            ..Default::default()
        };
        let mut buf = vec![0u8; 1500];
        let n = b.write_to(&mut buf).unwrap();
        buf.truncate(n);
        assert_eq!(buf.len(), if ext { 1200 } else { 160 });
        out.push(Input {
            name,
            payload,
            ext,
            bytes: buf,
        });
    }
    out
}

fn rtp_parse(c: &mut Criterion) {
    for input in inputs() {
        let mut g = c.benchmark_group(format!("rtp/parse/{}", input.name));
        let bytes = &input.bytes[..];
        g.bench_function("rtclite-rtp", |b| {
            b.iter(|| {
                let p = RtpPacket::parse(black_box(bytes)).unwrap();
                (
                    p.sequence_number(),
                    p.timestamp(),
                    p.ssrc(),
                    p.payload().len(),
                )
            })
        });
        g.bench_function("rtp-types", |b| {
            b.iter(|| {
                let p = rtp_types::RtpPacket::parse(black_box(bytes)).unwrap();
                (
                    p.sequence_number(),
                    p.timestamp(),
                    p.ssrc(),
                    p.payload().len(),
                )
            })
        });
        g.bench_function("rtp-rs", |b| {
            b.iter(|| {
                let p = rtp_rs::RtpReader::new(black_box(bytes)).unwrap();
                (
                    p.sequence_number(),
                    p.timestamp(),
                    p.ssrc(),
                    p.payload().len(),
                )
            })
        });
        g.bench_function("webrtc-rs rtc-rtp", |b| {
            use rtc_shared::marshal::Unmarshal;
            b.iter(|| {
                let mut buf: &[u8] = black_box(bytes);
                let p = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
                (
                    p.header.sequence_number,
                    p.header.timestamp,
                    p.header.ssrc,
                    p.payload.len(),
                )
            })
        });
        g.finish();
    }
}

fn rtp_write(c: &mut Criterion) {
    for input in inputs() {
        let mut g = c.benchmark_group(format!("rtp/write/{}", input.name));
        let payload = &input.payload[..];
        let ext = input.ext;
        let body = ext_body();
        let mut out = vec![0u8; 1500];
        // Same work as the peers: the extension body is given encoded.
        g.bench_function("rtclite-rtp", |b| {
            b.iter(|| {
                let builder = RtpPacketBuilder {
                    marker: ext,
                    payload_type: if ext { 96 } else { 0 },
                    sequence_number: black_box(4242),
                    timestamp: 0x1234_5678,
                    ssrc: Ssrc(0xdead_beef),
                    extension: ext.then_some(ExtensionSpec::Generic {
                        profile: 0xbede,
                        data: &body,
                    }),
                    payload,
                    ..Default::default()
                };
                builder.write_to(&mut out).unwrap()
            })
        });
        // More work than the peers: RFC 8285 elements encoded and validated.
        if ext {
            g.bench_function("rtclite-rtp (encode elements)", |b| {
                let els = elements();
                b.iter(|| {
                    let builder = RtpPacketBuilder {
                        marker: ext,
                        payload_type: 96,
                        sequence_number: black_box(4242),
                        timestamp: 0x1234_5678,
                        ssrc: Ssrc(0xdead_beef),
                        extension: Some(ExtensionSpec::OneByte(&els)),
                        payload,
                        ..Default::default()
                    };
                    builder.write_to(&mut out).unwrap()
                })
            });
        }
        g.bench_function("rtp-types", |b| {
            b.iter(|| {
                let mut builder = rtp_types::RtpPacketBuilder::<&[u8], &[u8]>::new()
                    .marker_bit(ext)
                    .payload_type(if ext { 96 } else { 0 })
                    .sequence_number(black_box(4242))
                    .timestamp(0x1234_5678)
                    .ssrc(0xdead_beef)
                    .payload(payload);
                if ext {
                    builder = builder.extension(0xbede, &body);
                }
                builder.write_into(&mut out).unwrap()
            })
        });
        g.bench_function("rtp-rs", |b| {
            b.iter(|| {
                let mut builder = rtp_rs::RtpPacketBuilder::new()
                    .marked(ext)
                    .payload_type(if ext { 96 } else { 0 })
                    .sequence(rtp_rs::Seq::from(black_box(4242u16)))
                    .timestamp(0x1234_5678)
                    .ssrc(0xdead_beef)
                    .payload(payload);
                if ext {
                    builder = builder.extension(0xbede, &body);
                }
                builder.build_into(&mut out).unwrap()
            })
        });
        g.bench_function("webrtc-rs rtc-rtp", |b| {
            use rtc_shared::marshal::{Marshal, Unmarshal};
            let mut buf: &[u8] = &input.bytes;
            let packet = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
            b.iter(|| black_box(&packet).marshal_to(&mut out).unwrap())
        });
        g.finish();
    }
}

fn compounds() -> Vec<(&'static str, Vec<u8>)> {
    let mut a = vec![0u8; 1500];
    let mut w = RtcpWriter::new(&mut a);
    let info = SenderInfo {
        ntp_timestamp: NtpTimestamp(0xe1a0_0000_8000_0000),
        rtp_timestamp: 160,
        packet_count: 100,
        octet_count: 16000,
    };
    let blocks = [
        ReportBlock {
            ssrc: Ssrc(2),
            fraction_lost: 3,
            cumulative_lost: 10,
            highest_seq: 70000,
            jitter: 12,
            lsr: 1,
            dlsr: 2,
        },
        ReportBlock {
            ssrc: Ssrc(3),
            fraction_lost: 0,
            cumulative_lost: 0,
            highest_seq: 5000,
            jitter: 4,
            lsr: 5,
            dlsr: 6,
        },
    ];
    w.sender_report(Ssrc(1), &info, &blocks, &[]).unwrap();
    w.sdes(&[(Ssrc(1), &[SdesItem::Cname(b"alice@example.com")][..])])
        .unwrap();
    let n = w.finish();
    a.truncate(n);
    let mut f = vec![0u8; 1500];
    let mut w = RtcpWriter::new(&mut f);
    w.receiver_report(Ssrc(1), &blocks[..1], &[]).unwrap();
    w.sdes(&[(Ssrc(1), &[SdesItem::Cname(b"alice@example.com")][..])])
        .unwrap();
    w.generic_nack(
        Ssrc(1),
        Ssrc(2),
        &[
            NackPair {
                pid: 100,
                blp: 0x0005,
            },
            NackPair { pid: 200, blp: 0 },
        ],
    )
    .unwrap();
    w.pli(Ssrc(1), Ssrc(2)).unwrap();
    w.remb(Ssrc(1), 1_500_000, &[Ssrc(2)]).unwrap();
    let n = w.finish();
    f.truncate(n);
    vec![("SR+SDES", a), ("RR+SDES+NACK+PLI+REMB", f)]
}

fn rtcp_parse(c: &mut Criterion) {
    for (name, bytes) in compounds() {
        let bytes = &bytes[..];
        let mut g = c.benchmark_group(format!("rtcp/compound-parse/{name}"));
        g.bench_function("rtclite-rtp", |b| {
            b.iter(|| {
                let compound = Compound::parse(black_box(bytes)).unwrap();
                let mut acc = 0u32;
                for p in compound.packets() {
                    match p {
                        RtcpPacket::Sr(sr) => acc += sr.reports().map(|r| r.jitter).sum::<u32>(),
                        RtcpPacket::Rr(rr) => acc += rr.reports().map(|r| r.jitter).sum::<u32>(),
                        other => acc += u32::from(other.packet_type()),
                    }
                }
                acc
            })
        });
        g.bench_function("rtcp-types", |b| {
            b.iter(|| {
                let compound = rtcp_types::Compound::parse(black_box(bytes)).unwrap();
                let mut acc = 0u32;
                for p in compound {
                    match p.unwrap() {
                        rtcp_types::Packet::Sr(sr) => {
                            acc += sr
                                .report_blocks()
                                .map(|r| r.interarrival_jitter())
                                .sum::<u32>()
                        }
                        rtcp_types::Packet::Rr(rr) => {
                            acc += rr
                                .report_blocks()
                                .map(|r| r.interarrival_jitter())
                                .sum::<u32>()
                        }
                        _ => acc += 1,
                    }
                }
                acc
            })
        });
        g.bench_function("webrtc-rs rtc-rtcp", |b| {
            b.iter(|| {
                let mut buf: &[u8] = black_box(bytes);
                rtc_rtcp::packet::unmarshal(&mut buf).unwrap().len()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, rtp_parse, rtp_write, rtcp_parse);
criterion_main!(benches);
