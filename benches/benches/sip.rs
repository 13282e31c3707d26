//! SIP message parse and write: rtclite-sip against `rsip` 0.4 (the fastest
//! Rust SIP parser measured on this machine), same bytes, same run.
//!
//! What each side gives for the time:
//! - `rtclite/parse`: a borrowed index of start line and every header field,
//!   no heap allocation (checked by `rtclite-sip/tests/no_alloc.rs`).
//! - `rtclite/parse+typed`: the same plus typed topmost Via (sent-by,
//!   branch), From and To (URI, tag), Call-ID and CSeq, as a transaction
//!   layer needs them.
//! - `rsip/parse`: `SipMessage::try_from(&[u8])`, owned, headers untyped.
//! - `rsip/parse+typed`: the same plus `.typed()` of Via, From, To, Call-ID
//!   and CSeq.
//! - `write`: rtclite writes its canonical form into a reused `Vec`; rsip
//!   formats with `to_string()`.
//!
//! Inputs: messages of RFC 3665 as cut from the RFC text by
//! `rtclite-sip/tests/vectors/extract.py`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsip::prelude::*;

/// RFC 3665 §3.1 F1: INVITE with SDP.
const INVITE: &[u8] = include_bytes!("../../rtclite-sip/tests/vectors/rfc3665/3.1_F1.sip");

/// RFC 3665 §2.1 F3: REGISTER with Digest credentials.
const REGISTER: &[u8] = include_bytes!("../../rtclite-sip/tests/vectors/rfc3665/2.1_F3.sip");

/// RFC 3665 §3.2 F14: 200 OK with folded Via and Record-Route, and SDP.
const OK200: &[u8] = include_bytes!("../../rtclite-sip/tests/vectors/rfc3665/3.2_F14.sip");

fn rtclite_typed(bytes: &[u8]) -> usize {
    let msg = rtclite_sip::Message::parse(bytes).unwrap();
    let via = msg.top_via().unwrap();
    let from = msg.from().unwrap();
    let to = msg.to().unwrap();
    let call_id = msg.call_id().unwrap();
    let cseq = msg.cseq().unwrap();
    via.branch().map_or(0, str::len)
        + from.tag().map_or(0, str::len)
        + to.uri_str().len()
        + call_id.len()
        + cseq.seq as usize
}

fn rsip_typed(bytes: &[u8]) -> usize {
    let msg = rsip::SipMessage::try_from(bytes).unwrap();
    let via = msg.via_header().unwrap().typed().unwrap();
    let from = msg.from_header().unwrap().typed().unwrap();
    let to = msg.to_header().unwrap().typed().unwrap();
    let call_id = msg.call_id_header().unwrap().value().len();
    let cseq = msg.cseq_header().unwrap().typed().unwrap();
    via.params.len() + from.params.len() + to.params.len() + call_id + cseq.seq as usize
}

fn bench(c: &mut Criterion) {
    // rsip rejects folded header fields, so both parsers get the RFC
    // messages in unfolded (canonical) form.
    let unfold = |b: &[u8]| rtclite_sip::Message::parse(b).unwrap().to_vec();
    let inputs = [
        ("invite_sdp", unfold(INVITE)),
        ("register_auth", unfold(REGISTER)),
        ("200_ok", unfold(OK200)),
    ];
    for (name, bytes) in &inputs {
        let bytes: &[u8] = bytes;
        // sanity: both parsers accept the input
        rtclite_sip::validate(&rtclite_sip::Message::parse(bytes).unwrap()).unwrap();
        rsip_typed(bytes);

        let mut g = c.benchmark_group(format!("sip_parse/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("rtclite/parse", |b| {
            b.iter(|| {
                rtclite_sip::Message::parse(black_box(bytes))
                    .unwrap()
                    .header_count()
            })
        });
        g.bench_function("rtclite/parse+typed", |b| {
            b.iter(|| rtclite_typed(black_box(bytes)))
        });
        g.bench_function("rsip/parse", |b| {
            b.iter(|| rsip::SipMessage::try_from(black_box(bytes)).unwrap())
        });
        g.bench_function("rsip/parse+typed", |b| {
            b.iter(|| rsip_typed(black_box(bytes)))
        });
        g.finish();

        let ours = rtclite_sip::Message::parse(bytes).unwrap();
        let theirs = rsip::SipMessage::try_from(bytes).unwrap();
        let mut out = Vec::with_capacity(2048);
        let mut g = c.benchmark_group(format!("sip_write/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("rtclite/write", |b| {
            b.iter(|| {
                out.clear();
                black_box(&ours).write_to(&mut out);
                out.len()
            })
        });
        g.bench_function("rsip/write", |b| {
            b.iter(|| black_box(&theirs).to_string().len())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
