//! Malformed descriptions: each is refused with the line, the rule and the
//! RFC section, never a panic.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_sdp::{ParseError, ParseErrorKind, SessionDescription};

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";

fn err(text: &str) -> ParseError {
    SessionDescription::parse(text.as_bytes()).expect_err(text)
}

#[test]
fn empty_input() {
    assert_eq!(err("").kind, ParseErrorKind::Empty);
}

#[test]
fn first_line_must_be_version() {
    let e = err("o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n");
    assert_eq!(e.line, 1);
    assert!(matches!(
        e.kind,
        ParseErrorKind::OutOfOrder { found: 'o', .. }
    ));
}

#[test]
fn only_version_zero() {
    let e = err("v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");
    assert!(e.to_string().contains("RFC 8866 §5.1"), "{e}");
}

// [RFC 8866 §5 test] "an SDP parser MUST completely ignore or reject any
// session description that contains a type letter that it does not
// understand."
#[test]
fn unknown_type_letter_is_rejected() {
    let e = err(&format!("{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\nx=1\r\n"));
    assert_eq!((e.line, e.kind), (6, ParseErrorKind::UnknownType('x')));
    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\ny=1\r\n"
    ));
    assert_eq!((e.line, e.kind), (7, ParseErrorKind::UnknownType('y')));
}

// [RFC 8866 §5 test] "when present, they must appear in exactly the order
// given here."
#[test]
fn order_rules() {
    // c= after t=.
    let e = err(&format!("{HEAD}t=0 0\r\nc=IN IP4 192.0.2.1\r\n"));
    assert_eq!(e.line, 5);
    // Two i= lines.
    let e = err(&format!(
        "{HEAD}i=a\r\ni=b\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    ));
    assert_eq!(e.line, 5);
    // a= before b= in a media description.
    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\na=x\r\nb=AS:1\r\n"
    ));
    assert_eq!(e.line, 8);
    // r= without t= before it is impossible; r= after a= is out of order.
    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\na=x\r\nr=1 1 1\r\n"
    ));
    assert_eq!(e.line, 7);
    // Session-level only letters inside a media description.
    let e = err(&format!(
        "{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n"
    ));
    assert!(matches!(
        e.kind,
        ParseErrorKind::OutOfOrder { found: 't', .. }
    ));
}

#[test]
fn time_description_is_required() {
    let e = err(&format!("{HEAD}c=IN IP4 192.0.2.1\r\n"));
    assert_eq!(e.kind, ParseErrorKind::Missing('t'));
}

// [RFC 8866 §5.7 test] "A session description MUST contain either at least
// one "c=" line in each media description or a single "c=" line at the
// session level."
#[test]
fn connection_required_for_every_media() {
    let e = err(&format!(
        "{HEAD}t=0 0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\nm=video 2 RTP/AVP 31\r\n"
    ));
    assert_eq!((e.line, e.kind), (7, ParseErrorKind::MissingConnection));
}

// [RFC 8866 §5.7 test] "The slash notation for multiple addresses described
// above MUST NOT be used for IP unicast addresses."
#[test]
fn multicast_rules() {
    let e = err(&format!("{HEAD}c=IN IP4 192.0.2.1/127\r\nt=0 0\r\n"));
    assert!(e.to_string().contains("unicast"), "{e}");
    // [RFC 8866 §5.7 test] "Sessions using an "IP4" multicast connection
    // address MUST also have a time to live (TTL) value present"
    let e = err(&format!("{HEAD}c=IN IP4 233.252.0.1\r\nt=0 0\r\n"));
    assert!(e.to_string().contains("TTL"), "{e}");
    let e = err(&format!("{HEAD}c=IN IP4 233.252.0.1/256\r\nt=0 0\r\n"));
    assert!(e.to_string().contains("0-255"), "{e}");
    let e = err(&format!("{HEAD}c=IN IP6 ff15::101/127/3\r\nt=0 0\r\n"));
    assert!(e.to_string().contains("IP6"), "{e}");
    let ok = format!("{HEAD}c=IN IP4 233.252.0.1/127/3\r\nt=0 0\r\n");
    let sdp = SessionDescription::parse(ok.as_bytes()).unwrap();
    let c = sdp.connection.as_ref().unwrap();
    assert_eq!(
        (&*c.address, c.ttl, c.num_addresses),
        ("233.252.0.1", Some(127), Some(3))
    );
    assert_eq!(sdp.to_string(), ok);
}

#[test]
fn media_line_fields() {
    for (m, what) in [
        ("m=audio 70000 RTP/AVP 0", "port"),
        ("m=audio 01 RTP/AVP 0", "port"),
        ("m=audio 1 RTP/AVP", "format"),
        ("m=audio  1 RTP/AVP 0", "port"),
        ("m=audio 1/0 RTP/AVP 0", "number of ports"),
        ("m=audio 1 RTP//AVP 0", "proto"),
    ] {
        let e = err(&format!("{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\n{m}\r\n"));
        assert_eq!(e.line, 6, "{m}");
        assert!(
            e.to_string().contains(what) && e.to_string().contains("§5.14"),
            "{m}: {e}"
        );
    }
}

#[test]
fn forbidden_bytes() {
    let e = err(&format!("{HEAD}i=a\0b\r\n"));
    assert!(matches!(
        e.kind,
        ParseErrorKind::ForbiddenByte { byte: 0, .. }
    ));
    let e = err(&format!("{HEAD}i=a\rb\r\n"));
    assert!(matches!(
        e.kind,
        ParseErrorKind::ForbiddenByte { byte: b'\r', .. }
    ));
    let e =
        SessionDescription::parse(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\xff\r\n").unwrap_err();
    assert_eq!(
        (e.line, e.kind),
        (3, ParseErrorKind::NotUtf8 { offset: 33 })
    );
}

#[test]
fn blank_lines_only_at_the_end() {
    let ok = format!("{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\n\r\n\r\n");
    assert!(SessionDescription::parse(ok.as_bytes()).is_ok());
    let e = err(&format!("{HEAD}\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"));
    assert_eq!((e.line, e.kind), (4, ParseErrorKind::NotTypeValue));
}

#[test]
fn whitespace_around_equals_is_rejected() {
    let e = err("v =0\r\n");
    assert_eq!(e.kind, ParseErrorKind::NotTypeValue);
}

#[test]
fn origin_needs_six_numeric_fields() {
    let e = err("v=0\r\no=- 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");
    assert!(e.to_string().contains("§5.2"), "{e}");
    let e = err("v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");
    assert!(e.to_string().contains("sess-id"), "{e}");
}

#[test]
fn limits_are_errors() {
    let big = vec![b'a'; rtclite_sdp::MAX_SDP_LEN + 1];
    assert!(matches!(
        SessionDescription::parse(&big).unwrap_err().kind,
        ParseErrorKind::TooLarge { .. }
    ));
    let mut many = format!("{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\n");
    for _ in 0..=rtclite_sdp::MAX_ATTRIBUTES {
        many.push_str("a=x\r\n");
    }
    assert!(matches!(
        SessionDescription::parse(many.as_bytes()).unwrap_err().kind,
        ParseErrorKind::TooMany { .. }
    ));
}

#[test]
fn repeat_and_zone_lines_round_trip() {
    // The r= and z= examples of RFC 8866 §5.10 and §5.11, typed units included.
    let text = format!(
        "{HEAD}c=IN IP4 192.0.2.1\r\nt=3034423619 3042462419\r\nr=7d 1h 0 25h\r\nz=3730928400 -1h 3749680800 0\r\n"
    );
    let sdp = SessionDescription::parse(text.as_bytes()).unwrap();
    let t = &sdp.times[0];
    assert_eq!(t.repeats[0].interval.as_seconds(), 604_800);
    assert_eq!(t.repeats[0].offsets[1].as_seconds(), 90_000);
    let z = t.zone_adjustments.as_ref().unwrap();
    assert!(z[0].negative);
    assert_eq!(z[1].offset.value, 0);
    assert_eq!(sdp.to_string(), text);
}
