//! The SDP examples of RFC 8866, RFC 4317, RFC 3264 §10 and RFC 4568
//! §7.1.5, extracted from
//! the RFC texts by `tests/vectors/extract.py` (never retyped): each parses,
//! and writes back byte for byte.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::{Direction, Rtpmap, SessionDescription};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn manifest() -> Vec<String> {
    std::fs::read_to_string(dir().join("MANIFEST"))
        .unwrap()
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_extracted_vector_round_trips_byte_identical() {
    let names = manifest();
    // 2 from RFC 8866 (§5, §6.7), 54 from RFC 4317, 8 from RFC 3264 §10,
    // 2 from RFC 4568 §7.1.5, 19 from RFC 9143 (§7, §18, Appendix A) and 3
    // from RFC 8839 (§4.2.6, Appendix A with the variables filled in).
    assert_eq!(names.len(), 88);
    for name in &names {
        let bytes = load(name);
        let sdp = SessionDescription::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            sdp.to_string(),
            String::from_utf8(bytes.clone()).unwrap(),
            "{name}"
        );
        // The owned form is equal and writes the same bytes.
        let owned = sdp.clone().into_owned();
        assert_eq!(owned, sdp);
        assert_eq!(owned.to_bytes(), bytes, "{name}");
    }
}

#[test]
fn every_extracted_vector_parses_with_lf_only() {
    // [RFC 8866 §5 test] "parsers SHOULD be tolerant and also accept lines
    // terminated with a single newline character"
    for name in manifest() {
        let crlf = load(&name);
        let lf = String::from_utf8(crlf.clone())
            .unwrap()
            .replace("\r\n", "\n");
        let a = SessionDescription::parse(lf.as_bytes()).unwrap();
        let b = SessionDescription::parse(&crlf).unwrap();
        assert_eq!(a, b, "{name}");
        assert_eq!(a.to_bytes(), crlf, "{name}: CRLF written");
    }
}

// [RFC 8866 §5 test] "An example SDP description is:"
#[test]
fn rfc8866_5() {
    let bytes = load("rfc8866_5.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.origin.username, "jdoe");
    assert_eq!(sdp.origin.session_id, "3724394400");
    assert_eq!(sdp.origin.session_version, "3724394405");
    assert_eq!(sdp.session_name, "Call to John Smith");
    assert_eq!(sdp.information.as_deref(), Some("SDP Offer #1"));
    assert_eq!(
        sdp.uri.as_deref(),
        Some("http://www.jdoe.example.com/home.html")
    );
    assert_eq!(sdp.emails, ["Jane Doe <jane@jdoe.example.com>"]);
    assert_eq!(sdp.phones, ["+1 617 555-6011"]);
    assert_eq!(sdp.connection.as_ref().unwrap().address, "198.51.100.1");
    assert_eq!(sdp.times.len(), 1);
    assert_eq!((sdp.times[0].start, sdp.times[0].stop), (0, 0));
    assert_eq!(sdp.media.len(), 3);
    assert_eq!(sdp.media[1].port, 49180);
    // [RFC 8866 §5 test] "each audio media description behaves as if it were
    // given a "c=IN IP4 198.51.100.1""
    assert_eq!(sdp.effective_connection(0).unwrap().address, "198.51.100.1");
    assert_eq!(sdp.effective_connection(1).unwrap().address, "198.51.100.1");
    let video = sdp.effective_connection(2).unwrap();
    assert_eq!((&*video.addrtype, &*video.address), ("IP6", "2001:db8::2"));
    let map = sdp.media[2].rtpmap(99).unwrap();
    assert_eq!((map.encoding_name, map.clock_rate), ("h263-1998", 90000));
}

// [RFC 8866 §6.7 test] "the "a=sendrecv" attribute applies to the first
// audio media and the "a=inactive" attribute applies to the others"
#[test]
fn rfc8866_6_7() {
    let bytes = load("rfc8866_6.7.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.direction(), Some(Direction::Inactive));
    assert_eq!(sdp.effective_direction(0), Direction::SendRecv);
    assert_eq!(sdp.effective_direction(1), Direction::Inactive);
    assert_eq!(sdp.effective_direction(2), Direction::Inactive);
}

#[test]
fn rfc4317_2_1_offer() {
    let bytes = load("rfc4317_2.1_offer.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.session_name, "");
    let audio = &sdp.media[0];
    assert_eq!(audio.formats, ["0", "8", "97"]);
    let maps: Vec<Rtpmap<'_>> = audio.typed::<Rtpmap<'_>>().map(Result::unwrap).collect();
    assert_eq!(maps.len(), 3);
    assert_eq!(
        (
            maps[2].payload_type,
            maps[2].encoding_name,
            maps[2].clock_rate
        ),
        (97, "iLBC", 8000)
    );
    assert_eq!(sdp.media[1].payload_types().collect::<Vec<_>>(), [31, 32]);
}

#[test]
fn rfc3264_10_1() {
    // Bob's answer rejects the first video stream with port 0 (RFC 3264 §6).
    let bytes = load("rfc3264_10.1_2.sdp");
    let sdp = SessionDescription::parse(&bytes).unwrap();
    assert_eq!(sdp.media.len(), 3);
    assert_eq!(sdp.media[1].port, 0);
    assert_eq!(sdp.media[1].formats, ["31"]);
    assert_eq!(sdp.media[2].port, 53000);
}
