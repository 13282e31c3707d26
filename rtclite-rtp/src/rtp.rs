//! RTP data packets (RFC 3550 §5.1): a zero-copy view and a writer into a
//! caller buffer, with the CSRC list, padding and the header extension
//! (RFC 3550 §5.3.1 generic form, RFC 8285 one-byte and two-byte forms).
//!
//! [`RtpPacket::parse`] validates the whole layout once (version, CSRC list,
//! extension length, padding count) and afterwards every accessor is a plain
//! load from the borrowed buffer: no allocation, no copy.

use crate::Ssrc;

/// The only RTP version this crate accepts (RFC 3550 §5.1).
pub const RTP_VERSION: u8 = 2;
/// Length of the fixed RTP header in bytes.
pub const FIXED_HEADER_LEN: usize = 12;
/// Largest CSRC list the four-bit CC field can announce.
pub const MAX_CSRCS: usize = 15;
/// The "defined by profile" value that marks the RFC 8285 one-byte form.
// [RFC 8285 §4.2] "MUST have the fixed bit pattern 0xBEDE"
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// The upper 12 bits of the "defined by profile" value of the two-byte form.
pub const TWO_BYTE_PROFILE_MASK: u16 = 0x1000;

/// Why an RTP packet was rejected. Offsets are byte offsets into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Fewer bytes than the fixed header, CSRC list or extension announce.
    #[error(
        "RTP packet truncated: {what} needs {needed} bytes, {available} available (RFC 3550 §5.1)"
    )]
    Truncated {
        /// The part that did not fit.
        what: &'static str,
        /// Bytes needed up to the end of that part.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// The packet is longer than the 4 GiB this view can index.
    #[error("RTP packet of {0} bytes is longer than the 4 GiB limit")]
    TooLong(usize),
    /// The version field (offset 0, two high bits) is not 2.
    #[error("RTP version {0} at offset 0, expected 2 (RFC 3550 §5.1)")]
    Version(u8),
    /// The padding count in the last octet is zero or larger than the room
    /// left after the header.
    #[error(
        "RTP padding count {count} at offset {offset} is invalid: {room} bytes after the header (RFC 3550 §5.1)"
    )]
    Padding {
        /// The count found in the last octet.
        count: u8,
        /// Offset of the last octet.
        offset: usize,
        /// Bytes available after the header (payload plus padding).
        room: usize,
    },
}

/// Why an RTP packet could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpWriteError {
    /// The caller buffer is smaller than the packet.
    #[error("output buffer of {available} bytes is too small, {needed} needed")]
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// More than 15 CSRCs were given.
    #[error("{0} CSRCs given, at most 15 fit the CC field (RFC 3550 §5.1)")]
    TooManyCsrcs(usize),
    /// The payload type does not fit 7 bits.
    #[error("payload type {0} does not fit 7 bits (RFC 3550 §5.1)")]
    PayloadType(u8),
    /// A generic extension body is not a whole number of 32-bit words, or is
    /// longer than the 16-bit length field can count.
    #[error(
        "header extension body of {0} bytes is not a whole number of 32-bit words below 2^18 bytes (RFC 3550 §5.3.1)"
    )]
    ExtensionLength(usize),
    /// An RFC 8285 element has an ID or length its form cannot carry.
    #[error(
        "extension element id {id} with {len} data bytes cannot be carried in the {form} form (RFC 8285 §4)"
    )]
    Element {
        /// The element's local identifier.
        id: u8,
        /// Its data length.
        len: usize,
        /// `one-byte` or `two-byte`.
        form: &'static str,
    },
    /// A padding length of zero was asked for, which cannot be encoded.
    #[error("padding length must be 1..=255")]
    PaddingLength,
}

#[inline]
fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

#[inline]
fn be32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, c, d, e]) => u32::from_be_bytes([a, c, d, e]),
        _ => 0,
    }
}

/// A validated, borrowed RTP data packet.
///
/// ```
/// use rtclite_rtp::rtp::RtpPacket;
/// let bytes = [0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78, 0xff, 0xff];
/// let pkt = RtpPacket::parse(&bytes)?;
/// assert_eq!(pkt.sequence_number(), 1);
/// assert_eq!(pkt.timestamp(), 160);
/// assert_eq!(pkt.ssrc().0, 0x1234_5678);
/// assert_eq!(pkt.payload(), &[0xff, 0xff]);
/// # Ok::<(), rtclite_rtp::rtp::RtpError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    /// Offset of the extension header (profile word), 0 when absent.
    ext_at: u32,
    payload_start: u32,
    payload_end: u32,
}

impl<'a> RtpPacket<'a> {
    /// Parses and validates one RTP packet.
    ///
    /// Checks, per RFC 3550 §5.1 and Appendix A.1: version 2, the CSRC list
    /// and header extension fit, and when P is set the padding count is
    /// non-zero and fits after the header. Packets of up to 4 GiB are
    /// accepted (the offsets are stored as `u32`).
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() > u32::MAX as usize {
            return Err(RtpError::TooLong(buf.len()));
        }
        let Some(&[b0, ..]) = buf.get(..FIXED_HEADER_LEN) else {
            return Err(RtpError::Truncated {
                what: "fixed header",
                needed: FIXED_HEADER_LEN,
                available: buf.len(),
            });
        };
        // [RFC 3550 §5.1] "The version defined by this specification is two (2)."
        if b0 >> 6 != RTP_VERSION {
            return Err(RtpError::Version(b0 >> 6));
        }
        // [RFC 3550 §5.1] "The CSRC count contains the number of CSRC
        // identifiers that follow the fixed header."
        let mut at = FIXED_HEADER_LEN + 4 * usize::from(b0 & 0x0f);
        if buf.len() < at {
            return Err(RtpError::Truncated {
                what: "CSRC list",
                needed: at,
                available: buf.len(),
            });
        }
        let mut ext_at = 0u32;
        // [RFC 3550 §5.1] "If the extension bit is set, the fixed header MUST
        // be followed by exactly one header extension"
        // [RFC 3550 §5.3.1] "If the X bit in the RTP header is one, a
        // variable-length header extension MUST be appended to the RTP header,
        // following the CSRC list if present."
        if b0 & 0x10 != 0 {
            if buf.len() < at + 4 {
                return Err(RtpError::Truncated {
                    what: "header extension header",
                    needed: at + 4,
                    available: buf.len(),
                });
            }
            // [RFC 3550 §5.3.1] "counts the number of 32-bit words in the
            // extension, excluding the four-octet extension header (therefore
            // zero is a valid length)"
            let words = usize::from(be16(buf, at + 2));
            ext_at = at as u32;
            at += 4 + 4 * words;
            if buf.len() < at {
                return Err(RtpError::Truncated {
                    what: "header extension",
                    needed: at,
                    available: buf.len(),
                });
            }
        }
        let mut end = buf.len();
        // [RFC 3550 §5.1] "The last octet of the padding contains a count of
        // how many padding octets should be ignored, including itself."
        if b0 & 0x20 != 0 {
            let count = buf.last().copied().unwrap_or(0);
            let room = end - at;
            // [RFC 3550 §A.1] "If the P bit is set, then the last octet of the
            // packet must contain a valid octet count, in particular, less than
            // the total packet length minus the header size."
            if count == 0 || usize::from(count) > room {
                return Err(RtpError::Padding {
                    count,
                    offset: end - 1,
                    room,
                });
            }
            end -= usize::from(count);
        }
        Ok(Self {
            buf,
            ext_at,
            payload_start: at as u32,
            payload_end: end as u32,
        })
    }

    /// The whole packet as received.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    #[inline]
    fn b(&self, i: usize) -> u8 {
        self.buf.get(i).copied().unwrap_or(0)
    }

    /// The version field (always 2 after a successful parse).
    #[inline]
    pub fn version(&self) -> u8 {
        self.b(0) >> 6
    }

    /// The P bit: padding octets follow the payload.
    #[inline]
    pub fn has_padding(&self) -> bool {
        self.b(0) & 0x20 != 0
    }

    /// The X bit: a header extension follows the CSRC list.
    #[inline]
    pub fn has_extension(&self) -> bool {
        self.b(0) & 0x10 != 0
    }

    /// The CC field: number of CSRC identifiers.
    #[inline]
    pub fn csrc_count(&self) -> u8 {
        self.b(0) & 0x0f
    }

    /// The M bit, whose meaning the profile defines.
    #[inline]
    pub fn marker(&self) -> bool {
        self.b(1) & 0x80 != 0
    }

    /// The 7-bit payload type.
    #[inline]
    pub fn payload_type(&self) -> u8 {
        self.b(1) & 0x7f
    }

    /// The 16-bit sequence number.
    #[inline]
    pub fn sequence_number(&self) -> u16 {
        be16(self.buf, 2)
    }

    /// The 32-bit RTP timestamp.
    #[inline]
    pub fn timestamp(&self) -> u32 {
        be32(self.buf, 4)
    }

    /// The synchronization source.
    #[inline]
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(be32(self.buf, 8))
    }

    /// The contributing sources, in wire order.
    #[inline]
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = Ssrc> + 'a {
        let n = usize::from(self.csrc_count());
        self.buf
            .get(FIXED_HEADER_LEN..FIXED_HEADER_LEN + 4 * n)
            .unwrap_or(&[])
            .chunks_exact(4)
            .map(|c| Ssrc(be32(c, 0)))
    }

    /// The header extension, when the X bit is set.
    #[inline]
    pub fn extension(&self) -> Option<HeaderExtension<'a>> {
        if self.ext_at == 0 {
            return None;
        }
        let at = self.ext_at as usize;
        Some(HeaderExtension {
            profile: be16(self.buf, at),
            data: self
                .buf
                .get(at + 4..self.payload_start as usize)
                .unwrap_or(&[]),
        })
    }

    /// Length of everything before the payload (fixed header, CSRCs,
    /// extension).
    #[inline]
    pub fn header_len(&self) -> usize {
        self.payload_start as usize
    }

    /// The payload, without padding.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.buf
            .get(self.payload_start as usize..self.payload_end as usize)
            .unwrap_or(&[])
    }

    /// Number of padding octets (0 when P is clear).
    #[inline]
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end as usize
    }

    /// The fields of the fixed header that a translator or forwarder may
    /// change (RFC 3550 §5.1, §7.1): M, PT, sequence number, timestamp and
    /// SSRC. Change some and give the result to
    /// [`write_with_header`](Self::write_with_header).
    #[inline]
    pub fn fixed_header(&self) -> FixedHeader {
        FixedHeader {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence_number: self.sequence_number(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
        }
    }

    /// Copies the packet as received (padding included) to the start of
    /// `out` and returns its length.
    #[inline]
    pub fn write_to(&self, out: &mut [u8]) -> Result<usize, RtpWriteError> {
        let needed = self.buf.len();
        let available = out.len();
        let Some(dst) = out.get_mut(..needed) else {
            return Err(RtpWriteError::BufferTooSmall { needed, available });
        };
        dst.copy_from_slice(self.buf);
        Ok(needed)
    }

    /// Writes this packet to the start of `out` with its fixed-header fields
    /// replaced by `header`, and returns its length: the forwarding path of a
    /// translator or selective forwarder (parse, change the SSRC, sequence
    /// number, timestamp, payload type or marker, write).
    ///
    /// Everything after the fixed header — the CSRC list, the header
    /// extension, the payload and the padding — is copied byte for byte;
    /// the V, P, X and CC bits are kept, so the result parses with the same
    /// layout. Only the payload type is checked (it must fit 7 bits).
    ///
    /// ```
    /// use rtclite_rtp::rtp::RtpPacket;
    /// use rtclite_rtp::Ssrc;
    /// let bytes = [0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78, 0xd5, 0xd5];
    /// let pkt = RtpPacket::parse(&bytes)?;
    /// let mut header = pkt.fixed_header();
    /// header.ssrc = Ssrc(0xcafe);
    /// header.sequence_number = 900;
    /// let mut out = [0u8; 1500];
    /// let n = pkt.write_with_header(&header, &mut out)?;
    /// let fwd = RtpPacket::parse(&out[..n])?;
    /// assert_eq!((fwd.ssrc(), fwd.sequence_number()), (Ssrc(0xcafe), 900));
    /// assert_eq!((fwd.timestamp(), fwd.payload()), (160, &[0xd5, 0xd5][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn write_with_header(
        &self,
        header: &FixedHeader,
        out: &mut [u8],
    ) -> Result<usize, RtpWriteError> {
        if header.payload_type > 0x7f {
            return Err(RtpWriteError::PayloadType(header.payload_type));
        }
        let needed = self.buf.len();
        let available = out.len();
        let (Some(dst), Some((_, rest))) = (
            out.get_mut(..needed),
            self.buf.split_first_chunk::<FIXED_HEADER_LEN>(),
        ) else {
            return Err(RtpWriteError::BufferTooSmall { needed, available });
        };
        let Some((fixed, tail)) = dst.split_first_chunk_mut::<FIXED_HEADER_LEN>() else {
            return Err(RtpWriteError::BufferTooSmall { needed, available });
        };
        // V, P, X and CC describe the unchanged layout that follows.
        *fixed = header.to_bytes(self.b(0));
        tail.copy_from_slice(rest);
        Ok(needed)
    }
}

/// The rewritable fields of the RTP fixed header (RFC 3550 §5.1); the V, P,
/// X and CC bits are not here because they describe the layout of the rest
/// of the packet. See [`RtpPacket::write_with_header`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FixedHeader {
    /// The M bit.
    pub marker: bool,
    /// The payload type (0–127).
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The synchronization source.
    pub ssrc: Ssrc,
}

impl FixedHeader {
    /// The 12 header bytes with `b0` (V, P, X, CC) as the first; the caller
    /// has checked that the payload type fits 7 bits.
    #[inline]
    fn to_bytes(self, b0: u8) -> [u8; FIXED_HEADER_LEN] {
        let [s0, s1] = self.sequence_number.to_be_bytes();
        let [t0, t1, t2, t3] = self.timestamp.to_be_bytes();
        let [c0, c1, c2, c3] = self.ssrc.0.to_be_bytes();
        [
            b0,
            (u8::from(self.marker) << 7) | self.payload_type,
            s0,
            s1,
            t0,
            t1,
            t2,
            t3,
            c0,
            c1,
            c2,
            c3,
        ]
    }
}

/// The header extension of an RTP packet (RFC 3550 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    /// The 16-bit "defined by profile" field.
    pub profile: u16,
    /// The extension body (a whole number of 32-bit words).
    pub data: &'a [u8],
}

/// Which layout an extension body uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionForm {
    /// RFC 8285 §4.2 one-byte elements (profile 0xBEDE).
    OneByte,
    /// RFC 8285 §4.3 two-byte elements (profile 0x100X), with the appbits.
    TwoByte {
        /// The four application-dependent bits.
        appbits: u8,
    },
    /// Any other profile: an opaque RFC 3550 §5.3.1 extension.
    Generic,
}

impl<'a> HeaderExtension<'a> {
    /// The layout announced by the profile field.
    pub fn form(&self) -> ExtensionForm {
        if self.profile == ONE_BYTE_PROFILE {
            ExtensionForm::OneByte
        } else if self.profile & 0xfff0 == TWO_BYTE_PROFILE_MASK {
            ExtensionForm::TwoByte {
                appbits: (self.profile & 0x0f) as u8,
            }
        } else {
            ExtensionForm::Generic
        }
    }

    /// Iterates the RFC 8285 elements. For a generic extension the iterator
    /// is empty. Malformed elements end the iteration with one `Err`.
    pub fn elements(&self) -> ExtensionElements<'a> {
        let two_byte = match self.form() {
            ExtensionForm::OneByte => false,
            ExtensionForm::TwoByte { .. } => true,
            ExtensionForm::Generic => {
                return ExtensionElements {
                    data: &[],
                    at: 0,
                    two_byte: false,
                    done: true,
                };
            }
        };
        ExtensionElements {
            data: self.data,
            at: 0,
            two_byte,
            done: false,
        }
    }

    /// The first element with local identifier `id`, if any.
    pub fn element(&self, id: u8) -> Option<&'a [u8]> {
        self.elements()
            .filter_map(Result::ok)
            .find(|e| e.id == id)
            .map(|e| e.data)
    }
}

/// One RFC 8285 extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionElement<'a> {
    /// The local identifier (1–14 one-byte, 1–255 two-byte).
    pub id: u8,
    /// The element data.
    pub data: &'a [u8],
}

/// A malformed RFC 8285 element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// An element's length runs past the end of the extension body.
    #[error(
        "extension element id {id} at offset {offset} of the extension body needs {len} data bytes, {available} left (RFC 8285 §4)"
    )]
    ElementTruncated {
        /// The element ID.
        id: u8,
        /// Offset of the element header in the extension body.
        offset: usize,
        /// Announced data length.
        len: usize,
        /// Bytes left.
        available: usize,
    },
}

/// Iterator over RFC 8285 elements; see [`HeaderExtension::elements`].
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    data: &'a [u8],
    at: usize,
    two_byte: bool,
    done: bool,
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = Result<ExtensionElement<'a>, ExtensionError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let start = self.at;
            let Some(&first) = self.data.get(start) else {
                self.done = true;
                return None;
            };
            let (id, len, hdr) = if self.two_byte {
                if first == 0 {
                    // [RFC 8285 §4.1.2] "The ID value 0 is reserved for padding
                    // and MUST NOT be used as a local identifier."
                    self.at += 1;
                    continue;
                }
                let Some(&len) = self.data.get(start + 1) else {
                    self.done = true;
                    return Some(Err(ExtensionError::ElementTruncated {
                        id: first,
                        offset: start,
                        len: 0,
                        available: 0,
                    }));
                };
                (first, usize::from(len), 2)
            } else {
                let id = first >> 4;
                let l = first & 0x0f;
                if id == 0 {
                    if l == 0 {
                        self.at += 1;
                        continue;
                    }
                    // [RFC 8285 §4.1.2] "An extension element with an ID value
                    // equal to 0 MUST NOT have an associated length field
                    // greater than 0."
                    self.done = true;
                    return None;
                }
                // [RFC 8285 §4.2] "If the ID value 15 is encountered, its
                // length field MUST be ignored, processing of the entire
                // extension MUST terminate at that point"
                if id == 15 {
                    self.done = true;
                    return None;
                }
                // [RFC 8285 §4.2] "The 4-bit length is the number, minus one,
                // of data bytes of this header extension element following the
                // one-byte header."
                (id, usize::from(l) + 1, 1)
            };
            let from = start + hdr;
            let Some(data) = self.data.get(from..from + len) else {
                self.done = true;
                return Some(Err(ExtensionError::ElementTruncated {
                    id,
                    offset: start,
                    len,
                    available: self.data.len().saturating_sub(from),
                }));
            };
            self.at = from + len;
            return Some(Ok(ExtensionElement { id, data }));
        }
    }
}

/// The header extension to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionSpec<'b> {
    /// An opaque RFC 3550 §5.3.1 extension; `data` must be a multiple of 4
    /// bytes.
    Generic {
        /// The "defined by profile" field.
        profile: u16,
        /// The body.
        data: &'b [u8],
    },
    /// RFC 8285 one-byte elements (IDs 1–14, 1–16 data bytes each).
    OneByte(&'b [ExtensionElement<'b>]),
    /// RFC 8285 two-byte elements (IDs 1–255, 0–255 data bytes each).
    TwoByte {
        /// The four appbits (RFC 8285 §4.3), normally 0.
        appbits: u8,
        /// The elements.
        elements: &'b [ExtensionElement<'b>],
    },
}

impl ExtensionSpec<'_> {
    fn body_len(&self) -> Result<usize, RtpWriteError> {
        let raw = match *self {
            ExtensionSpec::Generic { data, .. } => {
                if data.len() % 4 != 0 || data.len() / 4 > usize::from(u16::MAX) {
                    return Err(RtpWriteError::ExtensionLength(data.len()));
                }
                return Ok(data.len());
            }
            ExtensionSpec::OneByte(els) => {
                let mut n = 0;
                for (i, e) in els.iter().enumerate() {
                    // [RFC 8285 §4.1.2] "Each distinct extension MUST have a
                    // unique ID."
                    if els[..i].iter().any(|o| o.id == e.id) {
                        return Err(RtpWriteError::Element {
                            id: e.id,
                            len: e.data.len(),
                            form: "one-byte (duplicate ID)",
                        });
                    }
                    // [RFC 8285 §4.2] "The local identifier value 15 is
                    // reserved for a future extension and MUST NOT be used as an
                    // identifier."
                    if !(1..=14).contains(&e.id) || !(1..=16).contains(&e.data.len()) {
                        return Err(RtpWriteError::Element {
                            id: e.id,
                            len: e.data.len(),
                            form: "one-byte",
                        });
                    }
                    n += 1 + e.data.len();
                }
                n
            }
            // [RFC 8285 §4.1.2 exception: the caller picks the form] "Transmitters SHOULD NOT use
            // the two-byte header form when all extensions are small enough for the one-byte header
            // form."
            ExtensionSpec::TwoByte { elements, .. } => {
                let mut n = 0;
                for (i, e) in elements.iter().enumerate() {
                    if elements[..i].iter().any(|o| o.id == e.id) {
                        return Err(RtpWriteError::Element {
                            id: e.id,
                            len: e.data.len(),
                            form: "two-byte (duplicate ID)",
                        });
                    }
                    if e.id == 0 || e.data.len() > 255 {
                        return Err(RtpWriteError::Element {
                            id: e.id,
                            len: e.data.len(),
                            form: "two-byte",
                        });
                    }
                    n += 2 + e.data.len();
                }
                n
            }
        };
        let padded = raw.div_ceil(4) * 4;
        if padded / 4 > usize::from(u16::MAX) {
            return Err(RtpWriteError::ExtensionLength(padded));
        }
        Ok(padded)
    }

    fn profile(&self) -> u16 {
        match *self {
            ExtensionSpec::Generic { profile, .. } => profile,
            ExtensionSpec::OneByte(_) => ONE_BYTE_PROFILE,
            ExtensionSpec::TwoByte { appbits, .. } => {
                TWO_BYTE_PROFILE_MASK | u16::from(appbits & 0x0f)
            }
        }
    }
}

/// The fields of an RTP packet to write; see [`RtpPacketBuilder::write_to`].
///
/// ```
/// use rtclite_rtp::rtp::{RtpPacket, RtpPacketBuilder, ExtensionSpec, ExtensionElement};
/// use rtclite_rtp::Ssrc;
/// let audio_level = [ExtensionElement { id: 1, data: &[0x2a] }];
/// let b = RtpPacketBuilder {
///     payload_type: 0,
///     sequence_number: 7,
///     timestamp: 1120,
///     ssrc: Ssrc(42),
///     extension: Some(ExtensionSpec::OneByte(&audio_level)),
///     payload: &[0xd5; 160],
///     ..RtpPacketBuilder::default()
/// };
/// let mut out = [0u8; 1500];
/// let n = b.write_to(&mut out)?;
/// let pkt = RtpPacket::parse(&out[..n]).unwrap();
/// assert_eq!(pkt.extension().unwrap().element(1), Some(&[0x2a][..]));
/// # Ok::<(), rtclite_rtp::rtp::RtpWriteError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtpPacketBuilder<'b> {
    /// The M bit.
    pub marker: bool,
    /// The payload type (0–127).
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The synchronization source.
    pub ssrc: Ssrc,
    /// Up to 15 contributing sources.
    pub csrcs: &'b [Ssrc],
    /// The header extension, if any.
    pub extension: Option<ExtensionSpec<'b>>,
    /// The payload.
    pub payload: &'b [u8],
    /// Padding octets to append (1–255, the last one holds the count); `None`
    /// for no padding.
    pub padding: Option<u8>,
}

impl RtpPacketBuilder<'_> {
    /// Number of bytes [`write_to`](Self::write_to) will write.
    pub fn encoded_len(&self) -> Result<usize, RtpWriteError> {
        let ext = match &self.extension {
            Some(e) => Some(e.body_len()?),
            None => None,
        };
        Ok(self.len_with(ext))
    }

    #[inline]
    fn len_with(&self, ext_body: Option<usize>) -> usize {
        FIXED_HEADER_LEN
            + 4 * self.csrcs.len()
            + ext_body.map_or(0, |b| 4 + b)
            + self.payload.len()
            + usize::from(self.padding.unwrap_or(0))
    }

    /// The error for a field that cannot be encoded; see
    /// [`write_to`](Self::write_to).
    #[cold]
    fn field_error(&self) -> RtpWriteError {
        if self.csrcs.len() > MAX_CSRCS {
            RtpWriteError::TooManyCsrcs(self.csrcs.len())
        } else if self.payload_type > 0x7f {
            RtpWriteError::PayloadType(self.payload_type)
        } else {
            RtpWriteError::PaddingLength
        }
    }

    /// Writes the packet at the start of `out` and returns its length.
    #[inline]
    pub fn write_to(&self, out: &mut [u8]) -> Result<usize, RtpWriteError> {
        // The common packet — no CSRCs, no padding, no extension or one
        // given encoded — takes a straight-line path.
        if self.csrcs.is_empty() && self.padding.is_none() {
            match self.extension {
                None => return self.write_plain(None, out),
                Some(ExtensionSpec::Generic { profile, data }) => {
                    return self.write_plain(Some((profile, data)), out);
                }
                Some(_) => {}
            }
        }
        self.write_general(out)
    }

    /// [`write_to`](Self::write_to) for a packet without CSRCs or padding,
    /// with at most an encoded extension body.
    #[inline]
    fn write_plain(
        &self,
        extension: Option<(u16, &[u8])>,
        out: &mut [u8],
    ) -> Result<usize, RtpWriteError> {
        if self.payload_type > 0x7f {
            return Err(RtpWriteError::PayloadType(self.payload_type));
        }
        let ext_len = match extension {
            None => 0,
            Some((_, data)) => {
                if data.len() % 4 != 0 || data.len() / 4 > usize::from(u16::MAX) {
                    return Err(RtpWriteError::ExtensionLength(data.len()));
                }
                4 + data.len()
            }
        };
        let needed = FIXED_HEADER_LEN + ext_len + self.payload.len();
        let available = out.len();
        let short = RtpWriteError::BufferTooSmall { needed, available };
        let Some((fixed, rest)) = out
            .get_mut(..needed)
            .and_then(<[u8]>::split_first_chunk_mut::<FIXED_HEADER_LEN>)
        else {
            return Err(short);
        };
        let b0 = (RTP_VERSION << 6) | (u8::from(extension.is_some()) << 4);
        *fixed = FixedHeader {
            marker: self.marker,
            payload_type: self.payload_type,
            sequence_number: self.sequence_number,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
        }
        .to_bytes(b0);
        let mut w = Cursor(rest);
        if let Some((profile, data)) = extension {
            let [p0, p1] = profile.to_be_bytes();
            let [l0, l1] = ((data.len() / 4) as u16).to_be_bytes();
            w.put_array([p0, p1, l0, l1]).ok_or(short)?;
            let body = w.take(data.len()).ok_or(short)?;
            // A body of a few words (the usual RFC 8285 elements) is copied
            // word by word: a call to memcpy costs more than that.
            if data.len() <= 16 {
                let (mut dst, mut src) = (body, data);
                while let (Some((d, dst_rest)), Some((s, src_rest))) = (
                    core::mem::take(&mut dst).split_first_chunk_mut::<4>(),
                    src.split_first_chunk::<4>(),
                ) {
                    *d = *s;
                    (dst, src) = (dst_rest, src_rest);
                }
            } else {
                body.copy_from_slice(data);
            }
        }
        w.put(self.payload).ok_or(short)?;
        Ok(needed)
    }

    /// [`write_to`](Self::write_to) for any packet.
    fn write_general(&self, out: &mut [u8]) -> Result<usize, RtpWriteError> {
        if self.csrcs.len() > MAX_CSRCS || self.payload_type > 0x7f || self.padding == Some(0) {
            return Err(self.field_error());
        }
        let ext_body = match &self.extension {
            Some(e) => Some(e.body_len()?),
            None => None,
        };
        let needed = self.len_with(ext_body);
        let available = out.len();
        let short = RtpWriteError::BufferTooSmall { needed, available };
        let Some((fixed, rest)) = out
            .get_mut(..needed)
            .and_then(<[u8]>::split_first_chunk_mut::<FIXED_HEADER_LEN>)
        else {
            return Err(short);
        };
        let b0 = (RTP_VERSION << 6)
            | (u8::from(self.padding.is_some()) << 5)
            | (u8::from(self.extension.is_some()) << 4)
            | self.csrcs.len() as u8;
        // The twelve fixed octets in one store.
        *fixed = FixedHeader {
            marker: self.marker,
            payload_type: self.payload_type,
            sequence_number: self.sequence_number,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
        }
        .to_bytes(b0);
        // `rest` is exactly the bytes after the fixed header that
        // `len_with` counted, so each part below fits; the cursor checks
        // anyway and an inconsistency is reported, never a panic.
        let mut w = Cursor(rest);
        for c in self.csrcs {
            w.put_array(c.0.to_be_bytes()).ok_or(short)?;
        }
        if let (Some(ext), Some(body)) = (&self.extension, ext_body) {
            let [p0, p1] = ext.profile().to_be_bytes();
            let [l0, l1] = ((body / 4) as u16).to_be_bytes();
            w.put_array([p0, p1, l0, l1]).ok_or(short)?;
            let mut area = Cursor(w.take(body).ok_or(short)?);
            match *ext {
                ExtensionSpec::Generic { data, .. } => {
                    area.put(data).ok_or(short)?;
                }
                ExtensionSpec::OneByte(els) => {
                    for e in els {
                        // [RFC 8285 §4.2] "Each extension element MUST start with a byte containing
                        // an ID and a length:"
                        area.put_array([(e.id << 4) | (e.data.len() - 1) as u8])
                            .ok_or(short)?;
                        area.put(e.data).ok_or(short)?;
                    }
                }
                ExtensionSpec::TwoByte { elements, .. } => {
                    for e in elements {
                        area.put_array([e.id, e.data.len() as u8]).ok_or(short)?;
                        area.put(e.data).ok_or(short)?;
                    }
                }
            }
            // Up to three octets of zero padding to the 32-bit boundary
            // (byte stores: a memset call costs more).
            for b in area.0 {
                *b = 0;
            }
        }
        w.put(self.payload).ok_or(short)?;
        if let Some(pad) = self.padding {
            let pad_area = w.take(usize::from(pad)).ok_or(short)?;
            if let Some((count, zeros)) = pad_area.split_last_mut() {
                zeros.fill(0);
                *count = pad;
            }
        }
        Ok(needed)
    }
}

/// A write position in a caller buffer: each call hands out the next bytes.
struct Cursor<'o>(&'o mut [u8]);

impl<'o> Cursor<'o> {
    /// The next `n` bytes, or `None` when fewer are left (the cursor is then
    /// spent: the caller abandons the write).
    #[inline]
    fn take(&mut self, n: usize) -> Option<&'o mut [u8]> {
        let (head, tail) = core::mem::take(&mut self.0).split_at_mut_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    /// Copies `src` to the next bytes.
    #[inline]
    fn put(&mut self, src: &[u8]) -> Option<()> {
        self.take(src.len())?.copy_from_slice(src);
        Some(())
    }

    /// Stores `src` in the next `N` bytes (plain stores, no copy call).
    #[inline]
    fn put_array<const N: usize>(&mut self, src: [u8; N]) -> Option<()> {
        let (head, tail) = core::mem::take(&mut self.0).split_first_chunk_mut::<N>()?;
        *head = src;
        self.0 = tail;
        Some(())
    }
}
