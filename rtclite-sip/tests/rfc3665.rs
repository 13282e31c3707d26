//! RFC 3665 (SIP basic call flows): every message printed in the RFC, cut
//! out by `tests/vectors/extract.py`, parses, passes receipt validation, and
//! the canonical writer gives back the same bytes after normalisation
//! (folded lines joined with one SP, which RFC 3261 §7.3.1 makes
//! equivalent).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rtclite_sip::{ErrorKind, Message, validate};

fn vectors() -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/tests/vectors/rfc3665", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Joins continuation lines of the header section onto their field line,
/// independently of the crate's own unfolding.
fn normalise(b: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(b).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines: Vec<String> = Vec::new();
    for l in head.split("\r\n") {
        if l.starts_with([' ', '\t']) {
            let last = lines.last_mut().unwrap();
            *last = format!("{} {}", last.trim_end(), l.trim());
        } else {
            lines.push(l.to_owned());
        }
    }
    format!("{}\r\n\r\n{body}", lines.join("\r\n")).into_bytes()
}

/// The three status lines of §3.9 written "SIP/2.0  486 Busy Here" (two SP).
const DOUBLE_SP: [&str; 3] = ["3.9_F10.sip", "3.9_F6.sip", "3.9_F8.sip"];

// [RFC 3665 §1 test] "These flows represent carefully checked and working group reviewed
// scenarios of the most basic examples"
#[test]
fn rfc3665_every_message_round_trips() {
    let all = vectors();
    assert_eq!(all.len(), 181, "messages in the RFC 3665 text");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, bytes) in &all {
        if DOUBLE_SP.contains(&name.as_str()) || name == UNINDENTED {
            continue;
        }
        let msg = match Message::parse(bytes).and_then(|m| validate(&m).map(|()| m)) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let written = msg.to_vec();
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&normalise(bytes)),
            "{name}"
        );
        let again = Message::parse(&written).unwrap();
        assert_eq!(again.to_vec(), written, "{name}: writer is idempotent");
        assert_eq!(again.call_id().unwrap(), msg.call_id().unwrap());
        assert_eq!(again.body(), msg.body());
        checked += 1;
    }
    assert_eq!(failures, Vec::<String>::new());
    assert_eq!(checked, 177);
}

/// §3.10 F4 prints the second Record-Route value on a line of its own
/// without the leading white space that would make it a continuation line.
const UNINDENTED: &str = "3.10_F4.sip";

// [RFC 3261 §7.3.1 test] "Header fields can be extended over multiple lines by preceding each
// extra line with at least one SP or horizontal tab (HT)."
#[test]
fn rfc3665_unindented_continuation_is_rejected() {
    let all = vectors();
    let (_, b) = all.iter().find(|(n, _)| n == UNINDENTED).unwrap();
    let e = Message::parse(b).unwrap_err();
    assert!(
        e.to_string().contains("header field name is not a token"),
        "{e}"
    );
    // the line is "<sip:ss1.atlanta.example.com;lr>"
    assert_eq!(b.get(e.offset().unwrap()), Some(&b'<'));
}

// [RFC 3261 §7.2 test] "Status-Line  =  SIP-Version SP Status-Code SP Reason-Phrase CRLF"
#[test]
fn rfc3665_double_space_status_lines_are_rejected() {
    for (name, bytes) in vectors() {
        let doubled = bytes.starts_with(b"SIP/2.0  ");
        assert_eq!(doubled, DOUBLE_SP.contains(&name.as_str()), "{name}");
        if doubled {
            let e = Message::parse(&bytes).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Syntax(_)), "{name}");
            assert_eq!(e.section(), Some("RFC 3261 §7.2"));
        }
    }
}

// [RFC 3665 §3.1 test] "In this scenario, Alice completes a call to Bob directly."
#[test]
fn rfc3665_3_1_f1_invite_facts() {
    let all = vectors();
    let (_, b) = all.iter().find(|(n, _)| n == "3.1_F1.sip").unwrap();
    let m = Message::parse(b).unwrap();
    assert_eq!(m.request_uri(), Some("sip:bob@biloxi.example.com"));
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK74bf9"));
    assert_eq!(m.top_via().unwrap().port, Some(5060));
    assert_eq!(m.from().unwrap().tag(), Some("9fxced76sl"));
    assert_eq!(m.content_length().unwrap().unwrap(), 151);
    assert_eq!(m.body().len(), 151);
}
