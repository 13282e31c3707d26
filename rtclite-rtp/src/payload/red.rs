//! Redundant audio data (RFC 2198 §3): block headers followed by the
//! redundant blocks, oldest first, then the primary block.

/// Most blocks accepted in one payload (primary included).
pub const MAX_BLOCKS: usize = 16;

/// Why a RED payload was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedError {
    /// A header or data block runs past the payload.
    #[error("RED payload truncated at offset {offset} (RFC 2198 §3)")]
    Truncated {
        /// Where the missing bytes start.
        offset: usize,
    },
    /// More than [`MAX_BLOCKS`] blocks.
    #[error("RED payload has more than {MAX_BLOCKS} blocks")]
    TooManyBlocks,
    /// A block cannot be encoded (offset ≥ 2^14, length ≥ 2^10, PT ≥ 128).
    #[error("RED block cannot be encoded: {0} (RFC 2198 §3)")]
    Unencodable(&'static str),
    /// The output buffer is too small.
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
}

/// One block of a RED payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedBlock<'a> {
    /// The block's payload type.
    pub payload_type: u8,
    /// How far before the RTP header timestamp this block's data lies; 0
    /// for the primary block.
    pub timestamp_offset: u16,
    /// The block data.
    pub data: &'a [u8],
    /// True for the primary (last) block.
    pub primary: bool,
}

/// A parsed RED payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedPayload<'a> {
    payload: &'a [u8],
    headers_len: usize,
    blocks: usize,
}

impl<'a> RedPayload<'a> {
    /// Parses a RED payload: every header and block must fit.
    pub fn parse(payload: &'a [u8]) -> Result<Self, RedError> {
        let mut at = 0;
        let mut data_len = 0usize;
        let mut blocks = 0;
        loop {
            let &b0 = payload.get(at).ok_or(RedError::Truncated { offset: at })?;
            blocks += 1;
            if blocks > MAX_BLOCKS {
                return Err(RedError::TooManyBlocks);
            }
            // [RFC 2198 §3] "If 1 further header blocks follow, if 0 this is
            // the last header block."
            if b0 & 0x80 == 0 {
                at += 1;
                break;
            }
            let h = payload
                .get(at..at + 4)
                .ok_or(RedError::Truncated { offset: at })?;
            data_len += usize::from(u16::from_be_bytes([h[2], h[3]]) & 0x03ff);
            at += 4;
        }
        if payload.len() < at + data_len {
            return Err(RedError::Truncated {
                offset: payload.len(),
            });
        }
        Ok(Self {
            payload,
            headers_len: at,
            blocks,
        })
    }

    /// Number of blocks, primary included.
    pub fn len(&self) -> usize {
        self.blocks
    }

    /// Always false: there is at least the primary block.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The blocks in wire order: redundant ones (oldest first by
    /// convention), then the primary.
    pub fn blocks(&self) -> impl Iterator<Item = RedBlock<'a>> + 'a {
        let payload = self.payload;
        let mut hdr = 0;
        let mut data = self.headers_len;
        (0..self.blocks).map_while(move |_| {
            let &b0 = payload.get(hdr)?;
            if b0 & 0x80 == 0 {
                let block = RedBlock {
                    payload_type: b0 & 0x7f,
                    timestamp_offset: 0,
                    // The primary block has no length field (RFC 2198
                    // section 3): it runs to the end of the payload.
                    data: payload.get(data..)?,
                    primary: true,
                };
                return Some(block);
            }
            let h = payload.get(hdr..hdr + 4)?;
            let word = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            let len = (word & 0x3ff) as usize;
            let block = RedBlock {
                payload_type: b0 & 0x7f,
                timestamp_offset: ((word >> 10) & 0x3fff) as u16,
                data: payload.get(data..data + len)?,
                primary: false,
            };
            hdr += 4;
            data += len;
            Some(block)
        })
    }

    /// The primary block.
    pub fn primary(&self) -> Option<RedBlock<'a>> {
        self.blocks().last()
    }
}

/// Writes a RED payload: `redundant` blocks (oldest first) then the primary
/// block. Returns the length written.
pub fn write_red(
    redundant: &[RedBlock<'_>],
    primary_pt: u8,
    primary: &[u8],
    out: &mut [u8],
) -> Result<usize, RedError> {
    if redundant.len() + 1 > MAX_BLOCKS {
        return Err(RedError::TooManyBlocks);
    }
    if primary_pt > 127 {
        return Err(RedError::Unencodable("payload type above 127"));
    }
    // [RFC 2198 §3 exception: the caller chooses the encodings] "The implication of this is that
    // the redundant encoding MUST be sampled at the same rate as the primary."
    // [RFC 2198 §3 exception: the caller chooses the encodings] "The redundant encoding MUST NOT be
    // higher bandwidth than the primary."
    let mut needed = 1 + primary.len();
    for b in redundant {
        if b.payload_type > 127 {
            return Err(RedError::Unencodable("payload type above 127"));
        }
        // [RFC 2198 §3] "timestamp offset:  14 bits Unsigned offset of
        // timestamp of this block relative to timestamp given in RTP header."
        if b.timestamp_offset > 0x3fff {
            return Err(RedError::Unencodable("timestamp offset above 14 bits"));
        }
        if b.data.len() > 0x3ff {
            return Err(RedError::Unencodable("block length above 10 bits"));
        }
        needed += 4 + b.data.len();
    }
    let out = out
        .get_mut(..needed)
        .ok_or(RedError::BufferTooSmall { needed })?;
    let mut hdr = 0;
    let mut data = 4 * redundant.len() + 1;
    for b in redundant {
        let word = 0x8000_0000
            | (u32::from(b.payload_type) << 24)
            | (u32::from(b.timestamp_offset) << 10)
            | b.data.len() as u32;
        out[hdr..hdr + 4].copy_from_slice(&word.to_be_bytes());
        out[data..data + b.data.len()].copy_from_slice(b.data);
        hdr += 4;
        data += b.data.len();
    }
    out[hdr] = primary_pt;
    out[data..].copy_from_slice(primary);
    Ok(needed)
}
