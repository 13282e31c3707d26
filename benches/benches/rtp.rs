//! RTP: parse, write, and parse+write (the forwarding path: bytes in, one
//! fixed-header field changed, bytes out) of a 160-byte PCMU packet and of
//! 1200-byte video packets with an RFC 8285 header extension of three
//! elements, in the one-byte and in the two-byte form; RTCP: parse of three
//! compound packets (SR + 2 report blocks + SDES CNAME; RR + SDES + BYE with
//! a reason; RR + SDES + generic NACK + PLI + REMB, RFC 4585).
//!
//! Peers, in the same run on the same bytes: `rtp-types` and `rtp-rs` (RTP),
//! `rtcp-types` (RTCP), and webrtc-rs `rtc-rtp` / `rtc-rtcp`. The write and
//! parse+write groups also time a bare copy of the same bytes into the same
//! buffer (`memcpy (floor)`): no writer can beat it.
//!
//! What rtclite gives for the time: `RtpPacket::parse` validates the whole
//! layout (version, CSRCs, extension length, padding) and borrows; the
//! writer fills a reused caller buffer; `RtpPacket::write_with_header`
//! copies a parsed packet with new fixed-header fields. `Compound::parse`
//! applies every RFC 3550 Appendix A.2 check and validates each packet's
//! inner layout (report counts, SDES chunk termination, feedback FCI, XR
//! blocks); the timed loop then iterates the typed packets and reads their
//! report blocks. Peers do what their API does for the same task; webrtc-rs
//! allocates (Bytes, Vec, Box<dyn Packet>), and its write alone is measured
//! on a packet built outside the loop.

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

/// The SSRC and sequence-number offset a forwarder applies.
const NEW_SSRC: u32 = 0x0bad_cafe;
const SEQ_OFFSET: u16 = 1000;

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

#[derive(Clone, Copy, PartialEq)]
enum Ext {
    None,
    OneByte,
    TwoByte,
}

struct Input {
    name: &'static str,
    payload: Vec<u8>,
    ext: Ext,
    bytes: Vec<u8>,
}

impl Input {
    /// The extension as the peers take it: profile and encoded body.
    fn encoded_extension(&self) -> Option<(u16, &[u8])> {
        let p = RtpPacket::parse(&self.bytes).unwrap();
        p.extension().map(|e| (e.profile, e.data))
    }

    fn spec<'a>(&self, els: &'a [ExtensionElement<'a>]) -> Option<ExtensionSpec<'a>> {
        match self.ext {
            Ext::None => None,
            Ext::OneByte => Some(ExtensionSpec::OneByte(els)),
            Ext::TwoByte => Some(ExtensionSpec::TwoByte {
                appbits: 0,
                elements: els,
            }),
        }
    }
}

fn inputs() -> Vec<Input> {
    let mut out = Vec::new();
    for (name, len, ext) in [
        ("160B", 160 - 12, Ext::None),
        ("1200B+ext", 1200 - 12 - 16, Ext::OneByte),
        ("1200B+ext2", 1200 - 12 - 16, Ext::TwoByte),
    ] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let els = elements();
        let mut input = Input {
            name,
            payload,
            ext,
            bytes: Vec::new(),
        };
        let video = ext != Ext::None;
        let b = RtpPacketBuilder {
            marker: video,
            payload_type: if video { 96 } else { 0 },
            sequence_number: 4242,
            timestamp: 0x1234_5678,
            ssrc: Ssrc(0xdead_beef),
            extension: input.spec(&els),
            payload: &input.payload,
            ..Default::default()
        };
        let mut buf = vec![0u8; 1500];
        let n = b.write_to(&mut buf).unwrap();
        buf.truncate(n);
        assert_eq!(buf.len(), if video { 1200 } else { 160 });
        input.bytes = buf;
        out.push(input);
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
        let video = input.ext != Ext::None;
        let pt = if video { 96 } else { 0 };
        let encoded = input.encoded_extension();
        let mut out = vec![0u8; 1500];
        let n = input.bytes.len();
        g.bench_function("memcpy (floor)", |b| {
            b.iter(|| {
                black_box(&mut out[..n]).copy_from_slice(black_box(&input.bytes));
                n
            })
        });
        // Same work as the peers: the extension body is given encoded.
        g.bench_function("rtclite-rtp", |b| {
            b.iter(|| {
                let builder = RtpPacketBuilder {
                    marker: video,
                    payload_type: pt,
                    sequence_number: black_box(4242),
                    timestamp: 0x1234_5678,
                    ssrc: Ssrc(0xdead_beef),
                    extension: encoded
                        .map(|(profile, data)| ExtensionSpec::Generic { profile, data }),
                    payload,
                    ..Default::default()
                };
                builder.write_to(black_box(&mut out[..])).unwrap()
            })
        });
        // More work than the peers: RFC 8285 elements encoded and validated.
        if video {
            g.bench_function("rtclite-rtp (encode elements)", |b| {
                let els = elements();
                let spec = input.spec(&els);
                b.iter(|| {
                    let builder = RtpPacketBuilder {
                        marker: true,
                        payload_type: 96,
                        sequence_number: black_box(4242),
                        timestamp: 0x1234_5678,
                        ssrc: Ssrc(0xdead_beef),
                        extension: spec,
                        payload,
                        ..Default::default()
                    };
                    builder.write_to(black_box(&mut out[..])).unwrap()
                })
            });
        }
        g.bench_function("rtp-types", |b| {
            b.iter(|| {
                let mut builder = rtp_types::RtpPacketBuilder::<&[u8], &[u8]>::new()
                    .marker_bit(video)
                    .payload_type(pt)
                    .sequence_number(black_box(4242))
                    .timestamp(0x1234_5678)
                    .ssrc(0xdead_beef)
                    .payload(payload);
                if let Some((profile, data)) = encoded {
                    builder = builder.extension(profile, data);
                }
                builder.write_into(black_box(&mut out[..])).unwrap()
            })
        });
        g.bench_function("rtp-rs", |b| {
            b.iter(|| {
                let mut builder = rtp_rs::RtpPacketBuilder::new()
                    .marked(video)
                    .payload_type(pt)
                    .sequence(rtp_rs::Seq::from(black_box(4242u16)))
                    .timestamp(0x1234_5678)
                    .ssrc(0xdead_beef)
                    .payload(payload);
                if let Some((profile, data)) = encoded {
                    builder = builder.extension(profile, data);
                }
                builder.build_into(black_box(&mut out[..])).unwrap()
            })
        });
        g.bench_function("webrtc-rs rtc-rtp", |b| {
            use rtc_shared::marshal::{Marshal, Unmarshal};
            let mut buf: &[u8] = &input.bytes;
            let packet = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
            b.iter(|| {
                black_box(&packet)
                    .marshal_to(black_box(&mut out[..]))
                    .unwrap()
            })
        });
        g.finish();
    }
}

/// One operation per packet: bytes in, parsed, SSRC and sequence number
/// changed, written to an output buffer (a translator or SFU forwarding).
fn rtp_parse_write(c: &mut Criterion) {
    for input in inputs() {
        let mut g = c.benchmark_group(format!("rtp/parse+write/{}", input.name));
        let bytes = &input.bytes[..];
        let mut out = vec![0u8; 1500];
        let n = bytes.len();
        g.bench_function("memcpy (floor)", |b| {
            b.iter(|| {
                black_box(&mut out[..n]).copy_from_slice(black_box(bytes));
                n
            })
        });
        g.bench_function("rtclite-rtp", |b| {
            b.iter(|| {
                let p = RtpPacket::parse(black_box(bytes)).unwrap();
                let mut h = p.fixed_header();
                h.ssrc = Ssrc(NEW_SSRC);
                h.sequence_number = h.sequence_number.wrapping_add(black_box(SEQ_OFFSET));
                p.write_with_header(&h, black_box(&mut out[..])).unwrap()
            })
        });
        g.bench_function("rtp-types", |b| {
            b.iter(|| {
                let p = rtp_types::RtpPacket::parse(black_box(bytes)).unwrap();
                p.as_builder()
                    .ssrc(NEW_SSRC)
                    .sequence_number(p.sequence_number().wrapping_add(black_box(SEQ_OFFSET)))
                    .write_into(black_box(&mut out[..]))
                    .unwrap()
            })
        });
        // rtp-types can also edit in place: copy the datagram, then parse
        // the copy as RtpPacketMut and set the fields.
        g.bench_function("rtp-types (copy, RtpPacketMut)", |b| {
            b.iter(|| {
                let dst = black_box(&mut out[..n]);
                dst.copy_from_slice(black_box(bytes));
                let mut p = rtp_types::RtpPacketMut::parse(dst).unwrap();
                let seq = p.sequence_number().wrapping_add(black_box(SEQ_OFFSET));
                p.set_ssrc(NEW_SSRC);
                p.set_sequence_number(seq);
                n
            })
        });
        g.bench_function("rtp-rs", |b| {
            b.iter(|| {
                let p = rtp_rs::RtpReader::new(black_box(bytes)).unwrap();
                let seq = u16::from(p.sequence_number()).wrapping_add(black_box(SEQ_OFFSET));
                p.create_builder()
                    .ssrc(NEW_SSRC)
                    .sequence(rtp_rs::Seq::from(seq))
                    .build_into(black_box(&mut out[..]))
                    .unwrap()
            })
        });
        g.bench_function("webrtc-rs rtc-rtp", |b| {
            use rtc_shared::marshal::{Marshal, Unmarshal};
            b.iter(|| {
                let mut buf: &[u8] = black_box(bytes);
                let mut p = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
                p.header.ssrc = NEW_SSRC;
                p.header.sequence_number =
                    p.header.sequence_number.wrapping_add(black_box(SEQ_OFFSET));
                p.marshal_to(black_box(&mut out[..])).unwrap()
            })
        });
        g.finish();
    }
}

/// Every forwarder above writes the same bytes (checked once, before timing).
fn check_forwarders_agree() {
    use rtc_shared::marshal::{Marshal, Unmarshal};
    for input in inputs() {
        let bytes = &input.bytes[..];
        let mut ours = vec![0u8; 1500];
        let p = RtpPacket::parse(bytes).unwrap();
        let mut h = p.fixed_header();
        h.ssrc = Ssrc(NEW_SSRC);
        h.sequence_number = h.sequence_number.wrapping_add(SEQ_OFFSET);
        let n = p.write_with_header(&h, &mut ours).unwrap();
        ours.truncate(n);
        let mut other = vec![0u8; 1500];
        let p = rtp_types::RtpPacket::parse(bytes).unwrap();
        let m = p
            .as_builder()
            .ssrc(NEW_SSRC)
            .sequence_number(p.sequence_number().wrapping_add(SEQ_OFFSET))
            .write_into(&mut other)
            .unwrap();
        assert_eq!(&other[..m], &ours[..], "rtp-types, {}", input.name);
        let p = rtp_rs::RtpReader::new(bytes).unwrap();
        let seq = u16::from(p.sequence_number()).wrapping_add(SEQ_OFFSET);
        let m = p
            .create_builder()
            .ssrc(NEW_SSRC)
            .sequence(rtp_rs::Seq::from(seq))
            .build_into(&mut other)
            .unwrap();
        assert_eq!(&other[..m], &ours[..], "rtp-rs, {}", input.name);
        let mut buf: &[u8] = bytes;
        let mut p = rtc_rtp::Packet::unmarshal(&mut buf).unwrap();
        p.header.ssrc = NEW_SSRC;
        p.header.sequence_number = p.header.sequence_number.wrapping_add(SEQ_OFFSET);
        let m = p.marshal_to(&mut other).unwrap();
        assert_eq!(&other[..m], &ours[..], "webrtc-rs, {}", input.name);
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
    let mut e = vec![0u8; 1500];
    let mut w = RtcpWriter::new(&mut e);
    w.receiver_report(Ssrc(1), &blocks, &[]).unwrap();
    w.sdes(&[(Ssrc(1), &[SdesItem::Cname(b"alice@example.com")][..])])
        .unwrap();
    w.bye(&[Ssrc(1)], Some(b"call ended")).unwrap();
    let n = w.finish();
    e.truncate(n);
    vec![
        ("SR+SDES", a),
        ("RR+SDES+BYE", e),
        ("RR+SDES+NACK+PLI+REMB", f),
    ]
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

fn all(c: &mut Criterion) {
    check_forwarders_agree();
    rtp_parse(c);
    rtp_write(c);
    rtp_parse_write(c);
    rtcp_parse(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
