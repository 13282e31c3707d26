//! `--pcap FILE`: every SIP and RTP/RTCP packet an endpoint sends and
//! receives, written as a classic libpcap file that Wireshark and tshark
//! read.
//!
//! Format: the libpcap 2.4 file header (microsecond timestamps, little
//! endian) with link type `LINKTYPE_RAW` (101): each record starts directly
//! with an IPv4 or IPv6 header. The endpoints never see IP headers, so each
//! payload is wrapped in a synthetic IPv4 (or IPv6) and UDP header whose
//! lengths and checksums are correct (RFC 791 header checksum, RFC 768 UDP
//! checksum over the pseudo-header; RFC 8200 §8.1 for IPv6). When one
//! address is IPv4 and the other IPv6, both are written as IPv6
//! (IPv4-mapped).
//!
//! Stream transports: a SIP message carried over TCP is written as one UDP
//! datagram holding exactly that framed message, between the same two
//! addresses and ports. The capture therefore shows every message once, in
//! order, without TCP segmentation, handshakes or acknowledgements; it is a
//! message log in pcap form, not a wire capture of the TCP stream.
//!
//! Limits: a payload longer than [`MAX_PAYLOAD`] (the most an IPv4 UDP
//! datagram can carry) is refused with [`PcapError::TooLarge`] and nothing
//! is written for it.
//!
//! This file depends on nothing but `std` and `thiserror`, so that the tests
//! can include it directly.

// The writer's API serves the endpoints and the tests that include this
// file; each uses a subset.
#![allow(dead_code)]

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// The libpcap magic number for microsecond timestamps.
const MAGIC: u32 = 0xa1b2_c3d4;
/// `LINKTYPE_RAW`: the packet begins with an IPv4 or IPv6 header.
pub(crate) const LINKTYPE_RAW: u32 = 101;
/// The snapshot length written in the file header (no record is cut).
const SNAPLEN: u32 = 0x0004_0000;
/// The largest payload of a UDP datagram over IPv4 (65535 - 20 - 8).
pub(crate) const MAX_PAYLOAD: usize = 65_507;
const IPV4_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
const UDP_HEADER: usize = 8;
const PROTO_UDP: u8 = 17;

/// Why a packet could not be recorded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PcapError {
    /// The payload does not fit in one UDP datagram.
    #[error("payload of {0} bytes exceeds the {MAX_PAYLOAD}-byte UDP limit")]
    TooLarge(usize),
    /// Writing the file failed.
    #[error("writing the pcap file: {0}")]
    Io(#[from] io::Error),
}

/// A pcap file being written.
#[derive(Debug)]
pub(crate) struct PcapWriter<W: Write> {
    out: W,
    /// The IPv4 Identification field, counted per packet.
    ip_id: u16,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header and returns the writer.
    pub(crate) fn new(mut out: W) -> io::Result<Self> {
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&MAGIC.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes()); // version major
        header.extend_from_slice(&4u16.to_le_bytes()); // version minor
        header.extend_from_slice(&0i32.to_le_bytes()); // thiszone (UTC)
        header.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        header.extend_from_slice(&SNAPLEN.to_le_bytes());
        header.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
        out.write_all(&header)?;
        Ok(Self { out, ip_id: 0 })
    }

    /// Records one UDP datagram (or one framed stream message) from `src`
    /// to `dst`, stamped `at`.
    pub(crate) fn write_udp(
        &mut self,
        at: SystemTime,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> Result<(), PcapError> {
        self.ip_id = self.ip_id.wrapping_add(1);
        let packet = udp_packet(src, dst, payload, self.ip_id)?;
        let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
        // The classic format keeps 32-bit seconds (until 2106).
        let secs = u32::try_from(since.as_secs()).unwrap_or(u32::MAX);
        let len = u32::try_from(packet.len()).map_err(|_| PcapError::TooLarge(payload.len()))?;
        let mut record = Vec::with_capacity(16);
        record.extend_from_slice(&secs.to_le_bytes());
        record.extend_from_slice(&since.subsec_micros().to_le_bytes());
        record.extend_from_slice(&len.to_le_bytes()); // captured length
        record.extend_from_slice(&len.to_le_bytes()); // original length
        self.out.write_all(&record)?;
        self.out.write_all(&packet)?;
        Ok(())
    }

    /// Flushes buffered records to the file.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer.
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

/// A pcap file shared by every socket of a process (SIP and media drivers
/// may run on different tasks); cloning shares the file.
#[derive(Debug, Clone)]
pub(crate) struct PcapSink {
    writer: Arc<Mutex<PcapWriter<BufWriter<File>>>>,
}

impl PcapSink {
    /// Creates (truncates) `path` and writes the file header.
    pub(crate) fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path)?;
        let writer = PcapWriter::new(BufWriter::new(file))?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
        })
    }

    /// Records one packet stamped with the current wall-clock time.
    pub(crate) fn record(
        &self,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> Result<(), PcapError> {
        let mut w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        w.write_udp(SystemTime::now(), src, dst, payload)
    }

    /// Writes buffered records to the file.
    pub(crate) fn flush(&self) -> io::Result<()> {
        self.writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush()
    }
}

impl Drop for PcapSink {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A synthetic IP packet carrying `payload` in UDP from `src` to `dst`,
/// with correct lengths and checksums.
pub(crate) fn udp_packet(
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
    ip_id: u16,
) -> Result<Vec<u8>, PcapError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(PcapError::TooLarge(payload.len()));
    }
    let udp_len = UDP_HEADER + payload.len();
    // Checked above: both fit in 16 bits.
    let udp_len16 = u16::try_from(udp_len).map_err(|_| PcapError::TooLarge(payload.len()))?;
    let mut udp = Vec::with_capacity(udp_len);
    udp.extend_from_slice(&src.port().to_be_bytes());
    udp.extend_from_slice(&dst.port().to_be_bytes());
    udp.extend_from_slice(&udp_len16.to_be_bytes());
    udp.extend_from_slice(&[0, 0]); // checksum, filled below
    udp.extend_from_slice(payload);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = u16::try_from(IPV4_HEADER + udp_len)
                .map_err(|_| PcapError::TooLarge(payload.len()))?;
            let mut pseudo = Vec::with_capacity(12);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, PROTO_UDP]);
            pseudo.extend_from_slice(&udp_len16.to_be_bytes());
            set_udp_checksum(&mut udp, &pseudo);
            let mut ip = Vec::with_capacity(IPV4_HEADER + udp_len);
            ip.push(0x45); // version 4, IHL 5 words
            ip.push(0); // DSCP/ECN
            ip.extend_from_slice(&total.to_be_bytes());
            ip.extend_from_slice(&ip_id.to_be_bytes());
            ip.extend_from_slice(&0x4000u16.to_be_bytes()); // DF, offset 0
            ip.push(64); // TTL
            ip.push(PROTO_UDP);
            ip.extend_from_slice(&[0, 0]); // header checksum, filled below
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let sum = checksum(&[&ip]);
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
            ip.extend_from_slice(&udp);
            Ok(ip)
        }
        (s, d) => {
            let s = v6(s);
            let d = v6(d);
            let len32 = u32::from(udp_len16);
            let mut pseudo = Vec::with_capacity(40);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&len32.to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, PROTO_UDP]);
            set_udp_checksum(&mut udp, &pseudo);
            let mut ip = Vec::with_capacity(IPV6_HEADER + udp_len);
            ip.extend_from_slice(&0x6000_0000u32.to_be_bytes()); // version 6
            ip.extend_from_slice(&udp_len16.to_be_bytes()); // payload length
            ip.push(PROTO_UDP); // next header
            ip.push(64); // hop limit
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            ip.extend_from_slice(&udp);
            Ok(ip)
        }
    }
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// Fills the UDP checksum (RFC 768): the ones' complement sum over the
/// pseudo-header and the datagram; a computed zero is sent as all ones.
fn set_udp_checksum(udp: &mut [u8], pseudo: &[u8]) {
    let mut sum = checksum(&[pseudo, udp]);
    if sum == 0 {
        sum = 0xffff;
    }
    if let Some(field) = udp.get_mut(6..8) {
        field.copy_from_slice(&sum.to_be_bytes());
    }
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`; each
/// part but the last must have even length.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            sum = sum.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
        }
        if let [last] = chunks.remainder() {
            sum = sum.wrapping_add(u32::from(*last) << 8);
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies_to_zero() {
        let p = udp_packet(
            "127.0.0.1:5060".parse().unwrap(),
            "127.0.0.2:5070".parse().unwrap(),
            b"hello",
            7,
        )
        .unwrap();
        assert_eq!(p.len(), 20 + 8 + 5);
        // Summing a header that includes its checksum gives zero.
        assert_eq!(checksum(&[&p[..20]]), 0);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 33);
        assert_eq!(u16::from_be_bytes([p[24], p[25]]), 13);
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&p[12..20]);
        pseudo.extend_from_slice(&[0, 17, 0, 13]);
        assert_eq!(checksum(&[&pseudo, &p[20..]]), 0);
    }

    #[test]
    fn ipv6_udp_checksum_verifies_to_zero() {
        let p = udp_packet(
            "[::1]:5060".parse().unwrap(),
            "[::1]:6000".parse().unwrap(),
            b"odd",
            1,
        )
        .unwrap();
        assert_eq!(p.len(), 40 + 8 + 3);
        assert_eq!(p[0] >> 4, 6);
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&p[8..40]);
        pseudo.extend_from_slice(&[0, 0, 0, 11, 0, 0, 0, 17]);
        assert_eq!(checksum(&[&pseudo, &p[40..]]), 0);
    }

    #[test]
    fn mixed_families_are_written_as_ipv6() {
        let p = udp_packet(
            "127.0.0.1:1".parse().unwrap(),
            "[::1]:2".parse().unwrap(),
            b"",
            1,
        )
        .unwrap();
        assert_eq!(p[0] >> 4, 6);
    }

    #[test]
    fn oversized_payload_is_refused() {
        let big = vec![0u8; MAX_PAYLOAD + 1];
        let r = udp_packet(
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
            &big,
            1,
        );
        assert!(matches!(r, Err(PcapError::TooLarge(n)) if n == MAX_PAYLOAD + 1));
    }

    #[test]
    fn file_header_and_record_layout() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_udp(
            UNIX_EPOCH + std::time::Duration::from_micros(1_500_000),
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
            b"x",
        )
        .unwrap();
        let out = w.into_inner();
        assert_eq!(&out[..4], &MAGIC.to_le_bytes());
        assert_eq!(&out[20..24], &LINKTYPE_RAW.to_le_bytes());
        assert_eq!(&out[24..28], &1u32.to_le_bytes());
        assert_eq!(&out[28..32], &500_000u32.to_le_bytes());
        assert_eq!(&out[32..36], &29u32.to_le_bytes());
        assert_eq!(out.len(), 24 + 16 + 29);
    }
}
