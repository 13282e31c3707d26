//! The owned form of a message: the bytes in a [`bytes::Bytes`] and the
//! parse index beside them, both cheap to clone.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Error;
use crate::message::{Layout, Message};

/// A parsed message that owns its bytes: for transports, transactions and
/// queues that keep messages. `clone` copies two reference counts.
#[derive(Debug, Clone)]
pub struct OwnedMessage {
    bytes: Bytes,
    head_end: usize,
    layout: Arc<Layout>,
}

impl OwnedMessage {
    /// Parses a datagram held in `bytes` (same rules as [`Message::parse`]).
    pub fn parse(bytes: Bytes) -> Result<Self, Error> {
        let msg = Message::parse(&bytes)?;
        let (head_end, layout) = msg.into_layout();
        Ok(Self {
            bytes,
            head_end,
            layout: Arc::new(layout),
        })
    }

    pub(crate) fn from_message(msg: &Message<'_>) -> Self {
        let mut buf = BytesMut::with_capacity(msg.head().len() + 2 + msg.body().len());
        buf.put_slice(msg.head().as_bytes());
        buf.put_slice(b"\r\n");
        buf.put_slice(msg.body());
        // Re-parsing our own copy cannot fail: head and body are unchanged
        // and Content-Length still matches the body.
        match Self::parse(buf.freeze()) {
            Ok(m) => m,
            Err(_) => Self::from_canonical(msg),
        }
    }

    fn from_canonical(msg: &Message<'_>) -> Self {
        let bytes = Bytes::from(msg.to_vec());
        Self::parse(bytes.clone()).unwrap_or(Self {
            bytes,
            head_end: 0,
            layout: Arc::new(msg.clone().into_layout().1),
        })
    }

    /// The borrowed view with every accessor of [`Message`].
    pub fn message(&self) -> Message<'_> {
        let head = std::str::from_utf8(self.bytes.get(..self.head_end).unwrap_or_default())
            .unwrap_or_default();
        let body = self.layout_body();
        Message::from_parts(head, body, &self.layout)
    }

    fn layout_body(&self) -> &[u8] {
        let (s, e) = self.layout.body_range();
        self.bytes.get(s..e).unwrap_or_default()
    }

    /// The bytes as received (or as built).
    pub const fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The body as a `Bytes` sharing the message's buffer.
    pub fn body_bytes(&self) -> Bytes {
        let (s, e) = self.layout.body_range();
        self.bytes
            .slice(s..e.min(self.bytes.len()).max(s.min(self.bytes.len())))
    }
}

impl PartialEq for OwnedMessage {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for OwnedMessage {}
