//! SIP transaction layer at scale: creating 100,000 client transactions,
//! receiving 100,000 requests that each create a server transaction, and a
//! whole non-INVITE server exchange; and the memory one transaction and one
//! dialog hold, measured as the resident-set growth for 100,000 of them
//! (printed before the benches run).
//!
//! No peer: no other Rust SIP stack offers a sans-IO transaction layer to
//! drive the same way in the same run.
#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rtclite_sip::OwnedMessage;
use rtclite_sip::builder::response_to;
use rtclite_sip::dialog::Dialog;
use rtclite_sip::transaction::{Event, Input, LayerConfig, TransactionLayer};
use rtclite_sip::transport::{Destination, TransportKind};

const N: usize = 100_000;

fn options(n: usize) -> Vec<u8> {
    format!(
        "OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKbench{n}\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710-{n}@pc33.atlanta.example.com\r\n\
CSeq: 1 OPTIONS\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn requests() -> Vec<OwnedMessage> {
    (0..N)
        .filter_map(|n| OwnedMessage::parse(Bytes::from(options(n))).ok())
        .collect()
}

fn dest() -> Destination {
    Destination::Addr {
        transport: TransportKind::Udp,
        addr: ([192, 0, 2, 4], 5060).into(),
    }
}

fn layer() -> TransactionLayer {
    TransactionLayer::new(LayerConfig {
        max_transactions: N + 1,
        ..LayerConfig::default()
    })
}

/// Resident set size in bytes (Linux), or 0 elsewhere.
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn memory_report() {
    let now = Instant::now();
    let reqs = requests();
    let before = rss();
    let mut l = layer();
    for r in &reqs {
        let _ = l.send_request(now, r.clone(), dest());
    }
    while l.poll_transmit().is_some() {}
    let per_client = (rss().saturating_sub(before)) / N;
    drop(l);

    let datagrams: Vec<Bytes> = (0..N).map(|n| Bytes::from(options(n))).collect();
    let before = rss();
    let mut l = layer();
    for d in &datagrams {
        let _ = l.handle_input(now, input(d.clone()));
    }
    while l.poll_transmit().is_some() {}
    while l.poll_event().is_some() {}
    let per_server = (rss().saturating_sub(before)) / N;
    drop(l);

    let oks: Vec<OwnedMessage> = reqs
        .iter()
        .filter_map(|r| response_to(&r.message(), 200, "OK", Some("8321234356")).ok())
        .collect();
    let before = rss();
    let dialogs: Vec<Dialog> = reqs
        .iter()
        .zip(&oks)
        .filter_map(|(r, ok)| Dialog::uas(&r.message(), &ok.message()).ok())
        .collect();
    let per_dialog = (rss().saturating_sub(before)) / N;
    eprintln!(
        "memory (resident growth / {N}): client transaction {per_client} B (request bytes shared with the caller), \
server transaction {per_server} B (incl. its stamped request), dialog {per_dialog} B; {} dialogs",
        dialogs.len()
    );
}

fn input(bytes: Bytes) -> Input {
    Input::Received {
        transport: TransportKind::Udp,
        source: ([192, 0, 2, 1], 5060).into(),
        bytes,
    }
}

fn bench(c: &mut Criterion) {
    memory_report();
    let now = Instant::now();
    let reqs = requests();
    let datagrams: Vec<Bytes> = (0..N).map(|n| Bytes::from(options(n))).collect();
    let mut g = c.benchmark_group("sip_transactions");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("client/send_request x100k", |b| {
        b.iter_batched(
            layer,
            |mut l| {
                for r in &reqs {
                    let _ = black_box(l.send_request(now, r.clone(), dest()));
                }
                while black_box(l.poll_transmit()).is_some() {}
                l
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("server/handle_input x100k", |b| {
        b.iter_batched(
            layer,
            |mut l| {
                for d in &datagrams {
                    let _ = black_box(l.handle_input(now, input(d.clone())));
                }
                while black_box(l.poll_event()).is_some() {}
                l
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("server/request+200 x100k", |b| {
        b.iter_batched(
            layer,
            |mut l| {
                for d in &datagrams {
                    let _ = l.handle_input(now, input(d.clone()));
                    while let Some(e) = l.poll_event() {
                        if let Event::Request {
                            id: Some(id),
                            request,
                            ..
                        } = e
                        {
                            if let Ok(ok) = response_to(&request.message(), 200, "OK", Some("x")) {
                                let _ = l.send_response(now, id, ok);
                            }
                        }
                    }
                    while black_box(l.poll_transmit()).is_some() {}
                }
                l
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
