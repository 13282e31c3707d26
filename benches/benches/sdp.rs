//! SDP parse: rtclite-sdp against the Rust SDP parsers `sdp-types` 0.3
//! (the fastest measured on this machine), `webrtc-sdp` 0.3 (Firefox's) and
//! webrtc-rs `sdp` 0.17, on the same bytes in the same run.
//!
//! Inputs (real captures, see `rtclite-sdp/tests/fixtures/README.md`):
//! - `browser`: Chrome 107 offer, 4 599 bytes, 143 lines (BUNDLE, ICE,
//!   DTLS fingerprint, extmap, rtcp-fb, ssrc, SCTP);
//! - `phone`: baresip 1.0 SDES offer, 500 bytes.
//!
//! What each side gives for the time:
//! - `rtclite/parse`: the full RFC 8866 model with every field and `a=` line
//!   borrowed from the input, order and multiplicity rules checked, line
//!   numbers on error; typed attributes parse on demand.
//! - `rtclite/parse+typed`: the same plus every rtpmap, fmtp, rtcp-fb,
//!   extmap and ssrc of every m-line parsed into typed values.
//! - `rtclite/parse+owned`: parse then `into_owned()`.
//! - `sdp-types/parse`: `Session::parse`, owned strings, attributes untyped.
//! - `webrtc-sdp/parse`: `parse_sdp`, owned, every known attribute typed.
//! - `webrtc-rs-sdp/parse`: `SessionDescription::unmarshal`, owned,
//!   attributes untyped.
//! - `rtclite/write`: the description written back (byte-identical).

// criterion_group! generates undocumented functions; a bench whose input
// does not parse must stop loudly.
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtclite_sdp::{Extmap, Fmtp, RtcpFb, Rtpmap, SessionDescription, Ssrc};

const BROWSER: &[u8] =
    include_bytes!("../../rtclite-sdp/tests/fixtures/chrome107_video_datachannel_offer.sdp");
const PHONE: &[u8] = include_bytes!("../../rtclite-sdp/tests/fixtures/baresip_1.0_sdes_offer.sdp");

fn typed_count(sdp: &SessionDescription<'_>) -> usize {
    let mut n = 0;
    for m in &sdp.media {
        n += m.typed::<Rtpmap<'_>>().filter(Result::is_ok).count();
        n += m.typed::<Fmtp<'_>>().filter(Result::is_ok).count();
        n += m.typed::<RtcpFb<'_>>().filter(Result::is_ok).count();
        n += m.typed::<Extmap<'_>>().filter(Result::is_ok).count();
        n += m.typed::<Ssrc<'_>>().filter(Result::is_ok).count();
    }
    n
}

fn bench_input(c: &mut Criterion, name: &str, input: &'static [u8]) {
    // Every parser must accept the input, or the comparison is void.
    SessionDescription::parse(input).expect("rtclite parses the input");
    sdp_types::Session::parse(input).expect("sdp-types parses the input");
    webrtc_sdp::parse_sdp(std::str::from_utf8(input).expect("utf-8"), false)
        .expect("webrtc-sdp parses the input");
    sdp::SessionDescription::unmarshal(&mut Cursor::new(input))
        .expect("webrtc-rs sdp parses the input");

    let mut g = c.benchmark_group(format!("sdp/{name}"));
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("rtclite/parse", |b| {
        b.iter(|| SessionDescription::parse(black_box(input)).map(|s| s.media.len()))
    });
    g.bench_function("rtclite/parse+typed", |b| {
        b.iter(|| SessionDescription::parse(black_box(input)).map(|s| typed_count(&s)))
    });
    g.bench_function("rtclite/parse+owned", |b| {
        b.iter(|| SessionDescription::parse(black_box(input)).map(SessionDescription::into_owned))
    });
    g.bench_function("sdp-types/parse", |b| {
        b.iter(|| sdp_types::Session::parse(black_box(input)).map(|s| s.medias.len()))
    });
    let text = std::str::from_utf8(input).expect("utf-8");
    g.bench_function("webrtc-sdp/parse", |b| {
        b.iter(|| webrtc_sdp::parse_sdp(black_box(text), false).map(|s| s.media.len()))
    });
    g.bench_function("webrtc-rs-sdp/parse", |b| {
        b.iter(|| {
            sdp::SessionDescription::unmarshal(&mut Cursor::new(black_box(input)))
                .map(|s| s.media_descriptions.len())
        })
    });
    let parsed = SessionDescription::parse(input).expect("rtclite parses the input");
    let mut out = String::with_capacity(input.len());
    g.bench_function("rtclite/write", |b| {
        b.iter(|| {
            out.clear();
            black_box(&parsed).write_to(&mut out);
            out.len()
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_input(c, "browser", BROWSER);
    bench_input(c, "phone", PHONE);
}

criterion_group!(sdp_benches, benches);
criterion_main!(sdp_benches);
