//! Fuzz target: the SIP stream framer (RFC 3261 §18.3, RFC 5626 §3.5.1).
//! The input is cut at a point chosen by its first byte and fed in two
//! pieces; properties: nothing panics, the framer never buffers more than
//! it was given, and every framed message parses as a datagram.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_sip::{Frame, Message, StreamFramer};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else { return };
    let at = usize::from(cut).min(rest.len());
    let mut f = StreamFramer::new();
    let mut fed = 0;
    for piece in [&rest[..at], &rest[at..]] {
        f.push(piece);
        fed += piece.len();
        assert!(f.buffered() <= fed);
        for _ in 0..=rest.len() {
            match f.next_frame() {
                Ok(Some(Frame::Message(m))) => {
                    assert!(Message::parse(m.bytes()).is_ok());
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
});
