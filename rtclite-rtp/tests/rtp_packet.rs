//! RTP packet view and writer (RFC 3550 §5.1, §5.3.1; RFC 8285).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rtclite_rtp::Ssrc;
use rtclite_rtp::rtp::{
    ExtensionElement, ExtensionError, ExtensionForm, ExtensionSpec, FixedHeader, RtpError,
    RtpPacket, RtpPacketBuilder, RtpWriteError,
};

fn header(b0: u8, b1: u8) -> Vec<u8> {
    vec![
        b0, b1, 0x12, 0x34, 0x00, 0x00, 0x03, 0x20, 0xde, 0xad, 0xbe, 0xef,
    ]
}

#[test]
fn fixed_header_fields() {
    let mut p = header(0x80, 0x80 | 8);
    p.extend_from_slice(&[1, 2, 3]);
    let pkt = RtpPacket::parse(&p).unwrap();
    assert_eq!(pkt.version(), 2);
    assert!(pkt.marker());
    assert_eq!(pkt.payload_type(), 8);
    assert_eq!(pkt.sequence_number(), 0x1234);
    assert_eq!(pkt.timestamp(), 800);
    assert_eq!(pkt.ssrc(), Ssrc(0xdead_beef));
    assert_eq!(pkt.csrcs().count(), 0);
    assert_eq!(pkt.extension(), None);
    assert_eq!(pkt.payload(), &[1, 2, 3]);
    assert_eq!(pkt.header_len(), 12);
}

#[test]
fn csrc_list_is_read_in_order() {
    // [RFC 3550 §5.1 test] "The CSRC count contains the number of CSRC
    // identifiers that follow the fixed header."
    let mut p = header(0x82, 0);
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0xaa]);
    let pkt = RtpPacket::parse(&p).unwrap();
    assert_eq!(pkt.csrcs().collect::<Vec<_>>(), vec![Ssrc(1), Ssrc(2)]);
    assert_eq!(pkt.payload(), &[0xaa]);
    let short = &p[..15];
    assert!(matches!(
        RtpPacket::parse(short),
        Err(RtpError::Truncated {
            what: "CSRC list",
            needed: 20,
            available: 15
        })
    ));
}

#[test]
fn padding_is_removed_and_validated() {
    // [RFC 3550 §5.1 test] "The last octet of the padding contains a count of
    // how many padding octets should be ignored, including itself."
    let mut p = header(0xa0, 0);
    p.extend_from_slice(&[9, 9, 0, 0, 3]);
    let pkt = RtpPacket::parse(&p).unwrap();
    assert_eq!(pkt.payload(), &[9, 9]);
    assert_eq!(pkt.padding_len(), 3);
    // [RFC 3550 §A.1 test] "If the P bit is set, then the last octet of the
    // packet must contain a valid octet count"
    *p.last_mut().unwrap() = 6;
    assert!(matches!(
        RtpPacket::parse(&p),
        Err(RtpError::Padding {
            count: 6,
            offset: 16,
            room: 5
        })
    ));
    *p.last_mut().unwrap() = 0;
    assert!(matches!(
        RtpPacket::parse(&p),
        Err(RtpError::Padding { count: 0, .. })
    ));
}

#[test]
fn version_other_than_two_is_rejected() {
    for v in [0u8, 1, 3] {
        let p = header(v << 6, 0);
        assert_eq!(RtpPacket::parse(&p), Err(RtpError::Version(v)));
    }
    assert!(matches!(
        RtpPacket::parse(&[0x80; 11]),
        Err(RtpError::Truncated {
            needed: 12,
            available: 11,
            ..
        })
    ));
}

#[test]
fn generic_extension_zero_length_is_valid() {
    // [RFC 3550 §5.3.1 test] "excluding the four-octet extension header
    // (therefore zero is a valid length)"
    let mut p = header(0x90, 0);
    p.extend_from_slice(&[0x12, 0x34, 0, 0, 7]);
    let pkt = RtpPacket::parse(&p).unwrap();
    let ext = pkt.extension().unwrap();
    assert_eq!(ext.profile, 0x1234);
    assert_eq!(ext.form(), ExtensionForm::Generic);
    assert!(ext.data.is_empty());
    assert_eq!(ext.elements().count(), 0);
    assert_eq!(pkt.payload(), &[7]);
    // One word announced but missing.
    p.truncate(16);
    p[15] = 1;
    assert!(matches!(
        RtpPacket::parse(&p),
        Err(RtpError::Truncated {
            what: "header extension",
            needed: 20,
            ..
        })
    ));
}

/// The RFC 8285 §4.2 example layout: three elements (L=0, L=1, L=3) with two
/// padding octets, length=3.
#[test]
fn rfc8285_one_byte_example_layout() {
    let mut p = header(0x90, 0);
    p.extend_from_slice(&[0xbe, 0xde, 0x00, 0x03]);
    p.extend_from_slice(&[0x10, 0xaa, 0x21, 0xbb, 0xcc, 0x00, 0x00, 0x33]);
    p.extend_from_slice(&[1, 2, 3, 4]);
    let pkt = RtpPacket::parse(&p).unwrap();
    let ext = pkt.extension().unwrap();
    assert_eq!(ext.form(), ExtensionForm::OneByte);
    let els: Vec<_> = ext.elements().map(Result::unwrap).collect();
    assert_eq!(
        els,
        vec![
            ExtensionElement {
                id: 1,
                data: &[0xaa]
            },
            ExtensionElement {
                id: 2,
                data: &[0xbb, 0xcc]
            },
            ExtensionElement {
                id: 3,
                data: &[1, 2, 3, 4]
            },
        ]
    );
    assert_eq!(ext.element(2), Some(&[0xbb, 0xcc][..]));
    assert!(pkt.payload().is_empty());
}

/// The RFC 8285 §4.3 example layout: elements with L=0, L=1 and L=4, one
/// padding octet, length=3.
#[test]
fn rfc8285_two_byte_example_layout() {
    let mut p = header(0x90, 0);
    p.extend_from_slice(&[0x10, 0x00, 0x00, 0x03]);
    p.extend_from_slice(&[0x05, 0x00, 0x06, 0x01, 0xdd, 0x00, 0xff, 0x04, 1, 2, 3, 4]);
    let pkt = RtpPacket::parse(&p).unwrap();
    let ext = pkt.extension().unwrap();
    assert_eq!(ext.form(), ExtensionForm::TwoByte { appbits: 0 });
    let els: Vec<_> = ext.elements().map(Result::unwrap).collect();
    assert_eq!(
        els,
        vec![
            ExtensionElement { id: 5, data: &[] },
            ExtensionElement {
                id: 6,
                data: &[0xdd]
            },
            ExtensionElement {
                id: 255,
                data: &[1, 2, 3, 4]
            },
        ]
    );
}

#[test]
fn one_byte_id_15_stops_processing() {
    // [RFC 8285 §4.2 test] "If the ID value 15 is encountered, its length field
    // MUST be ignored, processing of the entire extension MUST terminate at
    // that point"
    let mut p = header(0x90, 0);
    p.extend_from_slice(&[0xbe, 0xde, 0x00, 0x01, 0x10, 0x01, 0xff, 0x22]);
    let pkt = RtpPacket::parse(&p).unwrap();
    let els: Vec<_> = pkt.extension().unwrap().elements().collect();
    assert_eq!(els, vec![Ok(ExtensionElement { id: 1, data: &[1] })]);
}

#[test]
fn one_byte_id_0_with_length_stops_processing() {
    // [RFC 8285 §4.1.2 test] "If such an extension element is encountered, its
    // length field MUST be ignored, processing of the entire extension MUST
    // terminate at that point"
    let mut p = header(0x90, 0);
    p.extend_from_slice(&[0xbe, 0xde, 0x00, 0x01, 0x01, 0x10, 0x01, 0x03]);
    let pkt = RtpPacket::parse(&p).unwrap();
    let els: Vec<_> = pkt.extension().unwrap().elements().collect();
    assert!(els.is_empty());
}

#[test]
fn truncated_element_is_an_error_with_offset() {
    let mut p = header(0x90, 0);
    p.extend_from_slice(&[0xbe, 0xde, 0x00, 0x01, 0x10, 0x01, 0x25, 0x00]);
    let pkt = RtpPacket::parse(&p).unwrap();
    let els: Vec<_> = pkt.extension().unwrap().elements().collect();
    assert_eq!(
        els,
        vec![
            Ok(ExtensionElement { id: 1, data: &[1] }),
            Err(ExtensionError::ElementTruncated {
                id: 2,
                offset: 2,
                len: 6,
                available: 1
            }),
        ]
    );
}

#[test]
fn writer_rejects_what_cannot_be_encoded() {
    let mut out = [0u8; 64];
    let too_many = [Ssrc(0); 16];
    let b = RtpPacketBuilder {
        csrcs: &too_many,
        ..Default::default()
    };
    assert_eq!(b.write_to(&mut out), Err(RtpWriteError::TooManyCsrcs(16)));
    let b = RtpPacketBuilder {
        payload_type: 128,
        ..Default::default()
    };
    assert_eq!(b.write_to(&mut out), Err(RtpWriteError::PayloadType(128)));
    let els = [ExtensionElement { id: 15, data: &[1] }];
    let b = RtpPacketBuilder {
        extension: Some(ExtensionSpec::OneByte(&els)),
        ..Default::default()
    };
    assert!(matches!(
        b.write_to(&mut out),
        Err(RtpWriteError::Element { id: 15, .. })
    ));
    // [RFC 8285 §4.1.2 test] "Each distinct extension MUST have a unique ID."
    for dup in [
        ExtensionSpec::OneByte(&[
            ExtensionElement { id: 3, data: &[1] },
            ExtensionElement { id: 3, data: &[2] },
        ]),
        ExtensionSpec::TwoByte {
            appbits: 0,
            elements: &[
                ExtensionElement { id: 30, data: &[] },
                ExtensionElement { id: 30, data: &[2] },
            ],
        },
    ] {
        let b = RtpPacketBuilder {
            extension: Some(dup),
            ..Default::default()
        };
        assert!(matches!(
            b.write_to(&mut out),
            Err(RtpWriteError::Element { id: 3 | 30, .. })
        ));
    }
    let b = RtpPacketBuilder {
        payload: &[0; 60],
        ..Default::default()
    };
    assert_eq!(
        b.write_to(&mut out),
        Err(RtpWriteError::BufferTooSmall {
            needed: 72,
            available: 64
        })
    );
}

/// A packet with every optional part: two CSRCs, a two-byte-form extension
/// (RFC 8285 §4.3) and four octets of padding.
fn full_packet() -> Vec<u8> {
    let els = [
        ExtensionElement { id: 1, data: &[] },
        ExtensionElement {
            id: 200,
            data: &[9; 20],
        },
    ];
    let b = RtpPacketBuilder {
        marker: true,
        payload_type: 111,
        sequence_number: 65535,
        timestamp: 0xffff_fff0,
        ssrc: Ssrc(0x0102_0304),
        csrcs: &[Ssrc(5), Ssrc(6)],
        extension: Some(ExtensionSpec::TwoByte {
            appbits: 3,
            elements: &els,
        }),
        payload: &[0xab; 33],
        padding: Some(4),
    };
    let mut out = vec![0u8; 200];
    let n = b.write_to(&mut out).unwrap();
    out.truncate(n);
    out
}

#[test]
fn write_with_header_replaces_only_the_fixed_header_fields() {
    let bytes = full_packet();
    let pkt = RtpPacket::parse(&bytes).unwrap();
    let header = pkt.fixed_header();
    assert_eq!(
        header,
        FixedHeader {
            marker: true,
            payload_type: 111,
            sequence_number: 65535,
            timestamp: 0xffff_fff0,
            ssrc: Ssrc(0x0102_0304),
        }
    );
    let mut out = [0u8; 200];
    // Unchanged fields: the packet comes out byte for byte.
    let n = pkt.write_with_header(&header, &mut out).unwrap();
    assert_eq!(&out[..n], &bytes[..]);
    let n = pkt.write_to(&mut out).unwrap();
    assert_eq!(&out[..n], &bytes[..]);
    // A forwarder's rewrite: new SSRC, renumbered, marker cleared, new PT.
    let new = FixedHeader {
        marker: false,
        payload_type: 96,
        sequence_number: header.sequence_number.wrapping_add(1),
        timestamp: header.timestamp.wrapping_add(160),
        ssrc: Ssrc(0xcafe_f00d),
    };
    let n = pkt.write_with_header(&new, &mut out).unwrap();
    assert_eq!(n, bytes.len());
    let fwd = RtpPacket::parse(&out[..n]).unwrap();
    assert_eq!(fwd.fixed_header(), new);
    assert_eq!(fwd.sequence_number(), 0);
    assert_eq!(fwd.timestamp(), 0x90);
    // V, P, X, CC kept; everything after the 12 fixed octets unchanged.
    assert_eq!(out[0], bytes[0]);
    assert_eq!(&out[12..n], &bytes[12..]);
    assert_eq!(fwd.csrcs().collect::<Vec<_>>(), [Ssrc(5), Ssrc(6)]);
    assert_eq!(fwd.extension(), pkt.extension());
    assert_eq!(fwd.payload(), pkt.payload());
    assert_eq!(fwd.padding_len(), 4);
}

#[test]
fn write_with_header_rejects_what_cannot_be_encoded() {
    let bytes = full_packet();
    let pkt = RtpPacket::parse(&bytes).unwrap();
    let mut out = vec![0u8; bytes.len() - 1];
    let header = pkt.fixed_header();
    let too_small = Err(RtpWriteError::BufferTooSmall {
        needed: bytes.len(),
        available: bytes.len() - 1,
    });
    assert_eq!(pkt.write_with_header(&header, &mut out), too_small);
    assert_eq!(pkt.write_to(&mut out), too_small);
    // [RFC 3550 §5.1 test] "This field identifies the format of the RTP
    // payload"
    let mut out = vec![0u8; bytes.len()];
    let bad = FixedHeader {
        payload_type: 128,
        ..header
    };
    assert_eq!(
        pkt.write_with_header(&bad, &mut out),
        Err(RtpWriteError::PayloadType(128))
    );
    // Nothing was written on either error.
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn encoded_extension_bodies_of_every_word_count_write_exactly() {
    // Short bodies (up to four words) are copied word by word, longer ones
    // in one copy; both must lay out the same bytes.
    let payload = [0x5a; 20];
    for words in 0..=20usize {
        let body: Vec<u8> = (0..4 * words).map(|i| i as u8 ^ 0xa5).collect();
        for (csrcs, padding) in [(&[][..], None), (&[Ssrc(9)][..], Some(4))] {
            let b = RtpPacketBuilder {
                sequence_number: 3,
                ssrc: Ssrc(4),
                csrcs,
                extension: Some(ExtensionSpec::Generic {
                    profile: 0x1234,
                    data: &body,
                }),
                payload: &payload,
                padding,
                ..Default::default()
            };
            let mut out = [0u8; 200];
            let n = b.write_to(&mut out).unwrap();
            assert_eq!(n, b.encoded_len().unwrap());
            let pkt = RtpPacket::parse(&out[..n]).unwrap();
            let ext = pkt.extension().unwrap();
            assert_eq!((ext.profile, ext.data), (0x1234, &body[..]));
            assert_eq!(pkt.payload(), &payload[..]);
            assert_eq!(pkt.csrcs().count(), csrcs.len());
        }
    }
    let b = RtpPacketBuilder {
        extension: Some(ExtensionSpec::Generic {
            profile: 0x1234,
            data: &[1, 2, 3],
        }),
        ..Default::default()
    };
    assert_eq!(
        b.write_to(&mut [0u8; 64]),
        Err(RtpWriteError::ExtensionLength(3))
    );
}

fn element_strategy(two_byte: bool) -> impl Strategy<Value = (u8, Vec<u8>)> {
    if two_byte {
        (1u8..=255, proptest::collection::vec(any::<u8>(), 0..40)).boxed()
    } else {
        (1u8..=14, proptest::collection::vec(any::<u8>(), 1..=16)).boxed()
    }
}

proptest! {
    #[test]
    fn write_then_parse_round_trips(
        marker in any::<bool>(),
        pt in 0u8..128,
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in proptest::collection::vec(any::<u32>(), 0..=15),
        two_byte in any::<bool>(),
        appbits in 0u8..16,
        raw_elements in proptest::collection::vec(element_strategy(true), 0..6),
        with_ext in any::<bool>(),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        padding in proptest::option::of(1u8..=255),
    ) {
        let csrcs: Vec<Ssrc> = csrcs.into_iter().map(Ssrc).collect();
        let elements: Vec<(u8, Vec<u8>)> = if two_byte {
            raw_elements
        } else {
            raw_elements
                .into_iter()
                .map(|(id, mut d)| { d.truncate(16); if d.is_empty() { d.push(0) }; (id % 14 + 1, d) })
                .collect()
        };
        // Each distinct extension has its own ID (duplicates are a write error).
        let mut seen = std::collections::HashSet::new();
        let elements: Vec<(u8, Vec<u8>)> =
            elements.into_iter().filter(|(id, _)| seen.insert(*id)).collect();
        let els: Vec<ExtensionElement<'_>> =
            elements.iter().map(|(id, d)| ExtensionElement { id: *id, data: d }).collect();
        let extension = with_ext.then(|| if two_byte {
            ExtensionSpec::TwoByte { appbits, elements: &els }
        } else {
            ExtensionSpec::OneByte(&els)
        });
        let b = RtpPacketBuilder {
            marker, payload_type: pt, sequence_number: seq, timestamp: ts, ssrc: Ssrc(ssrc),
            csrcs: &csrcs, extension, payload: &payload, padding,
        };
        let mut out = vec![0u8; 2048];
        let n = b.write_to(&mut out).unwrap();
        prop_assert_eq!(n, b.encoded_len().unwrap());
        let pkt = RtpPacket::parse(&out[..n]).unwrap();
        prop_assert_eq!(pkt.marker(), marker);
        prop_assert_eq!(pkt.payload_type(), pt);
        prop_assert_eq!(pkt.sequence_number(), seq);
        prop_assert_eq!(pkt.timestamp(), ts);
        prop_assert_eq!(pkt.ssrc(), Ssrc(ssrc));
        prop_assert_eq!(pkt.csrcs().collect::<Vec<_>>(), csrcs.clone());
        prop_assert_eq!(pkt.payload(), &payload[..]);
        prop_assert_eq!(pkt.padding_len(), usize::from(padding.unwrap_or(0)));
        match (pkt.extension(), with_ext) {
            (None, false) => {}
            (Some(ext), true) => {
                let got: Vec<_> = ext.elements().map(Result::unwrap).collect();
                prop_assert_eq!(got, els.clone());
                if two_byte {
                    prop_assert_eq!(ext.form(), ExtensionForm::TwoByte { appbits });
                }
            }
            _ => prop_assert!(false, "extension presence changed"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_reencode(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(pkt) = RtpPacket::parse(&bytes) {
            for e in pkt.extension().iter().flat_map(|e| e.elements()) { let _ = e; }
            // Re-encode the generic view and compare with the input.
            let csrcs: Vec<Ssrc> = pkt.csrcs().collect();
            let ext = pkt.extension().map(|e| ExtensionSpec::Generic { profile: e.profile, data: e.data });
            let padding = (pkt.padding_len() > 0).then(|| pkt.padding_len() as u8);
            let b = RtpPacketBuilder {
                marker: pkt.marker(), payload_type: pkt.payload_type(),
                sequence_number: pkt.sequence_number(), timestamp: pkt.timestamp(),
                ssrc: pkt.ssrc(), csrcs: &csrcs, extension: ext, payload: pkt.payload(), padding,
            };
            let mut out = vec![0u8; bytes.len()];
            let n = b.write_to(&mut out).unwrap();
            prop_assert_eq!(n, bytes.len());
            let again = RtpPacket::parse(&out).unwrap();
            prop_assert_eq!(again.payload(), pkt.payload());
            // Padding octets other than the count are not preserved; all else is.
            let keep = bytes.len() - pkt.padding_len();
            prop_assert_eq!(&out[..keep], &bytes[..keep]);
        }
    }

    #[test]
    fn write_with_header_round_trips(
        bytes in proptest::collection::vec(any::<u8>(), 12..200),
        marker in any::<bool>(),
        pt in 0u8..128,
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
    ) {
        let mut bytes = bytes;
        bytes[0] = 0x80 | (bytes[0] & 0x3f);
        if let Ok(pkt) = RtpPacket::parse(&bytes) {
            let header = FixedHeader {
                marker, payload_type: pt, sequence_number: seq, timestamp: ts, ssrc: Ssrc(ssrc),
            };
            let mut out = vec![0u8; bytes.len()];
            let n = pkt.write_with_header(&header, &mut out).unwrap();
            prop_assert_eq!(n, bytes.len());
            let fwd = RtpPacket::parse(&out).unwrap();
            prop_assert_eq!(fwd.fixed_header(), header);
            prop_assert_eq!(out[0], bytes[0]);
            prop_assert_eq!(&out[12..], &bytes[12..]);
            prop_assert_eq!(fwd.header_len(), pkt.header_len());
            prop_assert_eq!(fwd.payload(), pkt.payload());
            prop_assert_eq!(fwd.padding_len(), pkt.padding_len());
            // And the old fields written back restore the input exactly.
            let mut again = vec![0u8; bytes.len()];
            fwd.write_with_header(&pkt.fixed_header(), &mut again).unwrap();
            prop_assert_eq!(again, bytes);
        }
    }
}
