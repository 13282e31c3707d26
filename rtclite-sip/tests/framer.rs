//! Stream framing (RFC 3261 §18.3) and CRLF keep-alives (RFC 5626 §3.5.1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rtclite_sip::{ErrorKind, Frame, HeaderName, MAX_MESSAGE_SIZE, StreamFramer};

const OPTIONS: &[u8] = b"OPTIONS sip:a@b.example SIP/2.0\r\nVia: SIP/2.0/TCP h.example;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello";

// [RFC 3261 §18.3 test] "The Content-
// Length header field MUST be used with stream oriented transports."
#[test]
fn missing_content_length_breaks_the_stream() {
    let mut f = StreamFramer::new();
    f.push(b"OPTIONS sip:a@b.example SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n");
    let e = f.next_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingHeader);
    assert_eq!(e.header(), Some(HeaderName::ContentLength));
    assert_eq!(e.section(), Some("RFC 3261 §18.3"));
    // sticky: the stream cannot be resynchronised
    f.push(OPTIONS);
    assert_eq!(f.next_frame().unwrap_err(), e);
}

#[test]
fn body_split_across_reads_waits_for_content_length() {
    let mut f = StreamFramer::new();
    let (a, b) = OPTIONS.split_at(OPTIONS.len() - 3);
    f.push(a);
    assert_eq!(f.next_frame().unwrap(), None);
    f.push(b);
    let Some(Frame::Message(m)) = f.next_frame().unwrap() else {
        panic!()
    };
    assert_eq!(m.message().body(), b"hello");
    assert_eq!(&m.body_bytes()[..], b"hello");
    assert_eq!(f.buffered(), 0);
}

// [RFC 5626 §3.5.1 test] "The client periodically sends a double-CRLF
// (the "ping") then waits to receive a single CRLF (the "pong")."
#[test]
fn ping_and_pong_between_messages() {
    let mut f = StreamFramer::new();
    f.push(b"\r\n\r\n");
    f.push(OPTIONS);
    f.push(b"\r\n");
    assert_eq!(f.next_frame().unwrap(), Some(Frame::Ping));
    assert!(matches!(f.next_frame().unwrap(), Some(Frame::Message(_))));
    assert_eq!(f.next_frame().unwrap(), Some(Frame::Pong));
    assert_eq!(f.next_frame().unwrap(), None);
}

#[test]
fn endless_header_section_is_bounded() {
    let mut f = StreamFramer::new();
    f.push(b"OPTIONS sip:a@b.example SIP/2.0\r\n");
    let line = b"X-Filler: 0123456789012345678901234567890123456789\r\n";
    let mut fed = 0;
    let err = loop {
        f.push(line);
        fed += line.len();
        match f.next_frame() {
            Ok(None) => assert!(fed <= MAX_MESSAGE_SIZE + line.len(), "must give up"),
            Ok(Some(_)) => panic!("no message expected"),
            Err(e) => break e,
        }
    };
    assert!(matches!(
        err.kind(),
        ErrorKind::MessageTooLarge | ErrorKind::TooManyHeaders
    ));
}

#[test]
fn oversized_content_length_is_rejected_not_awaited_forever() {
    let mut f = StreamFramer::new();
    f.push(b"MESSAGE sip:a@b.example SIP/2.0\r\nContent-Length: 70000\r\n\r\n");
    let mut got = f.next_frame();
    let chunk = vec![b'x'; 8192];
    for _ in 0..10 {
        if got.is_err() {
            break;
        }
        assert_eq!(got.unwrap(), None);
        f.push(&chunk);
        got = f.next_frame();
    }
    assert_eq!(got.unwrap_err().kind(), ErrorKind::MessageTooLarge);
}
