//! Source description (RFC 3550 §6.5).

use super::{PT_SDES, RtcpError, RtcpWriteError, RtcpWriter, count_of, malformed, put32};
use crate::Ssrc;

const SECTION: &str = "RFC 3550 §6.5";

/// One SDES item (RFC 3550 §6.5.1–§6.5.8). Text is UTF-8 by the RFC but is
/// given as bytes: the view never rejects a packet for its text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdesItem<'a> {
    /// CNAME (1): canonical end-point identifier.
    Cname(&'a [u8]),
    /// NAME (2): user name.
    // [RFC 3550 §6.5.2 exception: item contents are the application's] "It SHOULD NOT be relied
    // upon to be unique among all participants in the session."
    Name(&'a [u8]),
    /// EMAIL (3).
    Email(&'a [u8]),
    /// PHONE (4).
    // [RFC 3550 §6.5.4 exception: item contents are the application's] "The phone number SHOULD be
    // formatted with the plus sign replacing the international access code."
    Phone(&'a [u8]),
    /// LOC (5): geographic user location.
    Loc(&'a [u8]),
    /// TOOL (6): application or tool name.
    Tool(&'a [u8]),
    /// NOTE (7): notice or status.
    // [RFC 3550 §6.5.7 exception: the session never sends NOTE] "SHOULD NOT be included routinely
    // by all participants"
    Note(&'a [u8]),
    /// PRIV (8): private extension, a prefix and a value.
    // [RFC 3550 §6.5.8 exception: the session never sends PRIV] "This facility and the constrained
    // RTCP bandwidth SHOULD NOT be overloaded"
    Priv {
        /// The prefix string.
        prefix: &'a [u8],
        /// The value string.
        value: &'a [u8],
    },
    /// An item type this crate does not know.
    Other {
        /// The item type.
        item_type: u8,
        /// The item text.
        value: &'a [u8],
    },
}

impl<'a> SdesItem<'a> {
    /// The item type number.
    pub fn item_type(&self) -> u8 {
        match self {
            SdesItem::Cname(_) => 1,
            SdesItem::Name(_) => 2,
            SdesItem::Email(_) => 3,
            SdesItem::Phone(_) => 4,
            SdesItem::Loc(_) => 5,
            SdesItem::Tool(_) => 6,
            SdesItem::Note(_) => 7,
            SdesItem::Priv { .. } => 8,
            SdesItem::Other { item_type, .. } => *item_type,
        }
    }

    /// The item name as RFC 3550 spells it (`CNAME`, `PRIV`, ...).
    pub fn name(&self) -> &'static str {
        match self.item_type() {
            1 => "CNAME",
            2 => "NAME",
            3 => "EMAIL",
            4 => "PHONE",
            5 => "LOC",
            6 => "TOOL",
            7 => "NOTE",
            8 => "PRIV",
            _ => "unknown",
        }
    }

    /// The item text (for PRIV, the value after the prefix).
    pub fn value(&self) -> &'a [u8] {
        match *self {
            SdesItem::Cname(v)
            | SdesItem::Name(v)
            | SdesItem::Email(v)
            | SdesItem::Phone(v)
            | SdesItem::Loc(v)
            | SdesItem::Tool(v)
            | SdesItem::Note(v) => v,
            SdesItem::Priv { value, .. } | SdesItem::Other { value, .. } => value,
        }
    }

    fn from_wire(item_type: u8, text: &'a [u8]) -> Option<Self> {
        Some(match item_type {
            1 => SdesItem::Cname(text),
            2 => SdesItem::Name(text),
            3 => SdesItem::Email(text),
            4 => SdesItem::Phone(text),
            5 => SdesItem::Loc(text),
            6 => SdesItem::Tool(text),
            7 => SdesItem::Note(text),
            8 => {
                // [RFC 3550 §6.5.8] "The prefix length field is 8 bits long."
                let (&plen, rest) = text.split_first()?;
                let prefix = rest.get(..usize::from(plen))?;
                let value = rest.get(usize::from(plen)..)?;
                SdesItem::Priv { prefix, value }
            }
            t => SdesItem::Other {
                item_type: t,
                value: text,
            },
        })
    }

    fn wire_len(&self) -> usize {
        match self {
            SdesItem::Priv { prefix, value } => 3 + prefix.len() + value.len(),
            _ => 2 + self.value().len(),
        }
    }
}

/// A source description packet (PT 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    count: u8,
    body: &'a [u8],
}

/// Walks one chunk starting at `at`; returns (items range end, next chunk).
#[inline]
fn chunk_end(body: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut p = at + 4;
    body.get(at..p)?;
    loop {
        let &t = body.get(p)?;
        if t == 0 {
            // [RFC 3550 §6.5] "The list of items in each chunk MUST be
            // terminated by one or more null octets, the first of which is
            // interpreted as an item type of zero to denote the end of the
            // list."
            let items_end = p;
            let next = (p + 1).div_ceil(4) * 4;
            // The padding up to the boundary must exist (null octets).
            body.get(p..next)?;
            return Some((items_end, next));
        }
        let &len = body.get(p + 1)?;
        p += 2 + usize::from(len);
        body.get(..p)?;
        if t == 8 {
            // PRIV: the prefix must fit inside the item.
            let &plen = body.get(p - usize::from(len))?;
            if len == 0 || usize::from(plen) > usize::from(len) - 1 {
                return None;
            }
        }
    }
}

impl<'a> Sdes<'a> {
    #[inline]
    pub(crate) fn parse(count: u8, body: &'a [u8], offset: usize) -> Result<Self, RtcpError> {
        let mut at = 0;
        for _ in 0..count {
            let Some((_, next)) = chunk_end(body, at) else {
                return Err(malformed(
                    offset + 4 + at,
                    "SDES",
                    "chunk truncated or not terminated by a null item",
                    SECTION,
                ));
            };
            at = next;
        }
        Ok(Self { count, body })
    }

    #[inline]
    pub(crate) fn view(count: u8, body: &'a [u8]) -> Self {
        Self { count, body }
    }

    /// Iterates the chunks (one per source).
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let body = self.body;
        let mut at = 0;
        (0..self.count).map_while(move |_| {
            let (items_end, next) = chunk_end(body, at)?;
            let chunk = SdesChunk {
                ssrc: Ssrc::read(body, at),
                items: body.get(at + 4..items_end)?,
            };
            at = next;
            Some(chunk)
        })
    }
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source (SSRC or CSRC) described.
    pub ssrc: Ssrc,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// Iterates the items in wire order.
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems {
            data: self.items,
            at: 0,
        }
    }

    /// The CNAME item, if present.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items().find_map(|i| match i {
            SdesItem::Cname(v) => Some(v),
            _ => None,
        })
    }
}

/// Iterator over the items of an [`SdesChunk`].
#[derive(Debug, Clone)]
pub struct SdesItems<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;
    fn next(&mut self) -> Option<SdesItem<'a>> {
        let &t = self.data.get(self.at)?;
        let &len = self.data.get(self.at + 1)?;
        let start = self.at + 2;
        let text = self.data.get(start..start + usize::from(len))?;
        self.at = start + usize::from(len);
        SdesItem::from_wire(t, text)
    }
}

impl RtcpWriter<'_> {
    /// Writes an SDES packet with one chunk per `(source, items)` pair (at
    /// most 31 chunks; item texts at most 255 bytes).
    pub fn sdes(&mut self, chunks: &[(Ssrc, &[SdesItem<'_>])]) -> Result<(), RtcpWriteError> {
        let sc = count_of("SDES chunks", chunks.len())?;
        let mut len = 0;
        for (_, items) in chunks {
            let mut n = 4;
            for i in *items {
                let text = match i {
                    SdesItem::Priv { prefix, value } => 1 + prefix.len() + value.len(),
                    other => other.value().len(),
                };
                if text > 255 {
                    return Err(RtcpWriteError::Invalid(
                        "SDES item longer than 255 octets (RFC 3550 §6.5)",
                    ));
                }
                if i.item_type() == 0 {
                    return Err(RtcpWriteError::Invalid(
                        "SDES item type 0 is the end marker",
                    ));
                }
                n += i.wire_len();
            }
            // At least one null octet, then pad to the 32-bit boundary.
            len += (n + 1).div_ceil(4) * 4;
        }
        self.packet(sc, PT_SDES, len, |b| {
            let mut at = 0;
            for (ssrc, items) in chunks {
                put32(b, at, ssrc.0);
                let mut p = at + 4;
                for i in *items {
                    b[p] = i.item_type();
                    match i {
                        SdesItem::Priv { prefix, value } => {
                            b[p + 1] = (1 + prefix.len() + value.len()) as u8;
                            b[p + 2] = prefix.len() as u8;
                            let s = p + 3;
                            b[s..s + prefix.len()].copy_from_slice(prefix);
                            b[s + prefix.len()..s + prefix.len() + value.len()]
                                .copy_from_slice(value);
                        }
                        other => {
                            let v = other.value();
                            b[p + 1] = v.len() as u8;
                            b[p + 2..p + 2 + v.len()].copy_from_slice(v);
                        }
                    }
                    p += i.wire_len();
                }
                // Null octets were zero-filled by `packet`:
                // [RFC 3550 §6.5] "additional null octets MUST be included if
                // needed to pad until the next 32-bit boundary"
                at = (p + 1).div_ceil(4) * 4;
            }
        })
    }
}
