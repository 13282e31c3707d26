//! Stream framing for TCP and TLS (RFC 3261 §18.3) with CRLF keep-alives
//! (RFC 5626 §3.5.1).

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{Error, ErrorKind};
use crate::message::{MAX_MESSAGE_SIZE, Message};
use crate::owned::OwnedMessage;

/// What the framer found at the front of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A complete message.
    Message(OwnedMessage),
    /// A double CRLF: the keep-alive "ping" (answer with a single CRLF).
    Ping,
    /// A single CRLF between messages: the keep-alive "pong".
    Pong,
}

/// Splits a byte stream into SIP messages by Content-Length.
///
/// Feed bytes with [`StreamFramer::push`], then call
/// [`StreamFramer::next_frame`] until it returns `Ok(None)`. A framing error
/// (missing Content-Length, oversized message, broken header section) is
/// fatal for the stream: RFC 3261 §18.3 leaves no way to find the next
/// message, so the connection should be closed.
///
/// Keep-alives: a `\r\n\r\n` at a message boundary is a [`Frame::Ping`], a
/// lone `\r\n` a [`Frame::Pong`]. A ping split across reads after its first
/// CRLF is seen as two pongs; TCP does not split four bytes in practice.
///
/// ```
/// use rtclite_sip::{Frame, StreamFramer};
/// let mut f = StreamFramer::new();
/// f.push(b"\r\n\r\nOPTIONS sip:a@b.example SIP/2.0\r\nContent-Length: 0\r\n\r\n");
/// assert_eq!(f.next_frame()?, Some(Frame::Ping));
/// assert!(matches!(f.next_frame()?, Some(Frame::Message(_))));
/// assert_eq!(f.next_frame()?, None);
/// # Ok::<(), rtclite_sip::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: BytesMut,
    failed: Option<Error>,
    /// Where the search for the end of the header section resumes, so that
    /// a header section arriving in many pieces is scanned once, not once
    /// per piece.
    scanned: usize,
}

impl StreamFramer {
    /// An empty framer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next frame, `Ok(None)` when more bytes are needed, or the error
    /// that broke the stream (returned again on every later call).
    pub fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.frame() {
            Err(e) => {
                self.buf.clear();
                self.failed = Some(e.clone());
                Err(e)
            }
            ok => ok,
        }
    }

    fn frame(&mut self) -> Result<Option<Frame>, Error> {
        // [RFC 5626 §3.5.1] "The client periodically sends a double-CRLF
        // (the "ping") then waits to receive a single CRLF (the "pong")."
        if self.buf.starts_with(b"\r\n\r\n") {
            self.scanned = 0;
            self.buf.advance(4);
            return Ok(Some(Frame::Ping));
        }
        if self.buf.starts_with(b"\r\n") && self.buf.get(2) != Some(&b'\r') {
            self.scanned = 0;
            self.buf.advance(2);
            return Ok(Some(Frame::Pong));
        }
        if self.buf.as_ref() == b"\r" || self.buf.as_ref() == b"\r\n\r" {
            return Ok(None);
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        // Wait for the end of the header section before parsing.
        let from = self.scanned.min(self.buf.len());
        let Some(head_end) = find_head_end(self.buf.get(from..).unwrap_or_default()) else {
            if self.buf.len() > MAX_MESSAGE_SIZE {
                return Err(Error::new(ErrorKind::MessageTooLarge).rfc("RFC 3261 §18.3"));
            }
            // the terminator may straddle the next read: back up 3 bytes
            self.scanned = self.buf.len().saturating_sub(3);
            return Ok(None);
        };
        let window = self
            .buf
            .get(..self.buf.len().min(MAX_MESSAGE_SIZE))
            .unwrap_or_default();
        match Message::parse_inner(window, true) {
            Ok((_, used)) => {
                self.scanned = 0;
                let bytes: Bytes = self.buf.split_to(used).freeze();
                OwnedMessage::parse(bytes).map(|m| Some(Frame::Message(m)))
            }
            Err(e) if e.kind() == ErrorKind::Incomplete && self.buf.len() < MAX_MESSAGE_SIZE => {
                let _ = head_end;
                Ok(None)
            }
            Err(e) if e.kind() == ErrorKind::Incomplete => {
                Err(Error::new(ErrorKind::MessageTooLarge).rfc("RFC 3261 §18.3"))
            }
            Err(e) => Err(e),
        }
    }
}

/// Offset just past the blank line ending the header section.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find(buf, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| memchr::memmem::find(buf, b"\n\n").map(|i| i + 2))
}
