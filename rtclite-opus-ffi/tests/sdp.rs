//! The RFC 7587 §7 adapter on rtclite-sdp types, with the SDP examples of
//! RFC 7587 §7 (extracted into tests/vectors) inside a minimal session.

// Helpers here are test code: a panic is a failed test.
#![allow(clippy::panic)]

use rtclite_opus_ffi::fmtp::OpusFmtp;
use rtclite_opus_ffi::sdp::{OpusMedia, SdpError};
use rtclite_sdp::SessionDescription;

const RFC7587_EXAMPLES: &str = include_str!("vectors/rfc7587_7_sdp_examples.txt");

/// The m= and a= lines of example `n`, inside a minimal session description.
fn session(n: u32, extra: &[&str]) -> String {
    let header = format!("example {n}:");
    let lines: Vec<&str> = RFC7587_EXAMPLES
        .split("\n\n")
        .find_map(|block| {
            let mut lines = block.lines().skip_while(|l| l.starts_with('#'));
            lines.next().filter(|l| l.starts_with(&header))?;
            Some(lines.collect())
        })
        .unwrap_or_default();
    let mut sdp =
        String::from("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n");
    for line in lines.iter().chain(extra) {
        sdp.push_str(line);
        sdp.push_str("\r\n");
    }
    sdp
}

fn media_of(sdp: &str, pt: u8) -> Result<OpusMedia, SdpError> {
    let Ok(parsed) = SessionDescription::parse(sdp.as_bytes()) else {
        panic!("SDP does not parse: {sdp}")
    };
    let Some(media) = parsed.media.first() else {
        panic!("no m= line")
    };
    assert_eq!(
        OpusMedia::payload_types(media).collect::<Vec<_>>(),
        vec![pt]
    );
    OpusMedia::from_media(media, pt)
}

// [RFC 7587 §7 test] "Standard mono session with 48000 Hz clock rate"
#[test]
fn rfc7587_example_1_from_sdp() {
    let media = media_of(&session(1, &[]), 101);
    assert_eq!(
        media,
        Ok(OpusMedia {
            payload_type: 101,
            fmtp: OpusFmtp::default(),
            ptime: None,
            maxptime: None
        })
    );
}

// [RFC 7587 §7 test] "The OPTIONAL media type parameters "ptime" and "maxptime" are mapped
// to "a=ptime" and "a=maxptime" attributes, respectively, in the SDP."
#[test]
fn rfc7587_example_2_from_sdp_and_back() {
    let Ok(media) = media_of(&session(2, &[]), 101) else {
        panic!("example 2")
    };
    assert_eq!(media.ptime, Some(40));
    assert_eq!(media.maxptime, Some(40));
    assert_eq!(media.fmtp.maxplaybackrate, Some(16000));
    assert_eq!(media.fmtp.useinbandfec, Some(true));
    // Written back as attributes and parsed again: the same configuration.
    let mut sdp = String::from(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 101\r\n",
    );
    for attr in media.to_attributes() {
        sdp.push_str(&format!(
            "a={}:{}\r\n",
            attr.name,
            attr.value.unwrap_or_default()
        ));
    }
    assert!(sdp.contains("a=rtpmap:101 opus/48000/2\r\n"), "{sdp}");
    assert!(
        sdp.contains("a=fmtp:101 maxplaybackrate=16000;sprop-maxcapturerate=16000;"),
        "{sdp}"
    );
    assert_eq!(media_of(&sdp, 101), Ok(media));
}

// [RFC 7587 §7 test] "The value of any parameter that is not specified in a source-level
// source attribute MUST be taken from the "a=fmtp" line, if it is present there."
#[test]
fn source_level_sprop_parameters_override_the_fmtp_line() {
    let sdp = session(
        3,
        &[
            "a=ssrc:1234 fmtp:101 sprop-stereo=0; stereo=0",
            "a=ssrc:99 fmtp:101 sprop-stereo=0",
        ],
    );
    let Ok(parsed) = SessionDescription::parse(sdp.as_bytes()) else {
        panic!("parse")
    };
    let Some(m) = parsed.media.first() else {
        panic!("m=")
    };
    let Ok(media) = OpusMedia::from_media(m, 101) else {
        panic!("example 3")
    };
    let Ok(source) = media.for_source(m, 1234) else {
        panic!("source")
    };
    // sprop-stereo comes from the source; stereo (receive-only, not allowed
    // at source level) stays as on the a=fmtp line.
    assert_eq!(source.sprop_stereo, Some(false));
    assert_eq!(source.stereo, Some(true));
    let Ok(other) = media.for_source(m, 5678) else {
        panic!("source")
    };
    assert_eq!(other, media.fmtp);
}

// [RFC 7587 §7 test] "The RTP clock rate in "a=rtpmap" MUST be 48000, and the number of
// channels MUST be 2."
#[test]
fn rtpmap_must_be_48000_2() {
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 96 97\r\na=rtpmap:96 opus/16000/1\r\na=rtpmap:97 PCMA/8000\r\n";
    let Ok(parsed) = SessionDescription::parse(sdp.as_bytes()) else {
        panic!("parse")
    };
    let Some(m) = parsed.media.first() else {
        panic!("m=")
    };
    assert!(matches!(
        OpusMedia::from_media(m, 96),
        Err(SdpError::BadRtpmap {
            clock_rate: 16000,
            ..
        })
    ));
    assert!(matches!(
        OpusMedia::from_media(m, 97),
        Err(SdpError::NotOpus { .. })
    ));
    assert!(matches!(
        OpusMedia::from_media(m, 98),
        Err(SdpError::NoRtpmap { payload_type: 98 })
    ));
}

#[test]
fn invalid_fmtp_is_reported_with_the_payload_type() {
    let sdp = session(1, &["a=fmtp:101 stereo=yes"]);
    assert!(matches!(
        media_of(&sdp, 101),
        Err(SdpError::Fmtp {
            payload_type: 101,
            ..
        })
    ));
}
