//! SIP transaction layer at scale: creating 100,000 client transactions,
//! receiving 100,000 requests that each create a server transaction, and a
//! whole non-INVITE server exchange; the stateful proxy forwarding 100,000
//! INVITEs (each a response context with a server and a client transaction)
//! and relaying their 200s, and the stateless proxy forwarding 100,000; and
//! the memory one transaction, one dialog and one proxied INVITE hold,
//! measured as the resident-set growth for 100,000 of them (printed before
//! the benches run).
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
use rtclite_sip::proxy::{DefaultPolicy, LocalAddr, Proxy, ProxyConfig, ProxyMode};
use rtclite_sip::registrar::{
    Binding, InMemoryLocationService, LocationService, Registrar, RegistrarConfig,
};
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

fn invite(n: usize) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKinv{n}\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
Call-ID: {n}-3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@192.0.2.101>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 114\r\n\r\n\
v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\n"
    ))
}

type BenchProxy = Proxy<InMemoryLocationService, DefaultPolicy>;

fn proxy(mode: ProxyMode, now: Instant) -> BenchProxy {
    let config = ProxyConfig {
        mode,
        domains: vec!["biloxi.example.com".into()],
        local: vec![LocalAddr {
            transport: TransportKind::Udp,
            host: "192.0.2.2".into(),
            port: 5060,
        }],
        layer: LayerConfig {
            max_transactions: 2 * N + 16,
            ..LayerConfig::default()
        },
        max_contexts: N + 1,
        ..ProxyConfig::default()
    };
    let mut location = InMemoryLocationService::new();
    let _ = location.replace(
        "sip:bob@biloxi.example.com",
        vec![Binding {
            uri: "sip:bob@192.0.2.4".into(),
            call_id: "r".into(),
            cseq: 1,
            expires_at: now + std::time::Duration::from_secs(3600),
            q: None,
        }],
    );
    let registrar = Registrar::new(
        RegistrarConfig {
            domains: config.domains.clone(),
            ..RegistrarConfig::default()
        },
        location,
    );
    Proxy::new(config, registrar, DefaultPolicy)
}

fn from(bytes: Bytes, source: [u8; 4]) -> Input {
    Input::Received {
        transport: TransportKind::Udp,
        source: (source, 5060).into(),
        bytes,
    }
}

/// Feeds the INVITEs; returns the proxy and the copies it forwarded.
fn forward_all(p: &mut BenchProxy, now: Instant, invites: &[Bytes]) -> Vec<OwnedMessage> {
    let mut out = Vec::with_capacity(invites.len());
    for d in invites {
        let _ = p.handle_input(now, from(d.clone(), [192, 0, 2, 101]));
        while let Some(t) = p.poll_transmit() {
            if t.message.message().is_request() {
                out.push(t.message);
            }
        }
        while p.poll_event().is_some() {}
    }
    out
}

fn proxy_memory_report() {
    let now = Instant::now();
    let invites: Vec<Bytes> = (0..N).map(invite).collect();
    let before = rss();
    let mut p = proxy(ProxyMode::Stateful, now);
    let forwarded = forward_all(&mut p, now, &invites);
    let per_context = (rss().saturating_sub(before)) / N;
    eprintln!(
        "memory (resident growth / {N}): proxied INVITE {per_context} B (response context, server transaction with the stamped request, client transaction with the forwarded copy, their parse indexes; {} contexts, {} forwarded)",
        p.contexts(),
        forwarded.len()
    );
}

/// Runs [`proxy_memory_report`] in a fresh process (this bench binary again,
/// asked by an environment variable), so that memory the other benches
/// freed cannot hide the growth.
fn proxy_memory_in_fresh_process() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    match std::process::Command::new(exe)
        .env("RTCLITE_BENCH_PROXY_MEMORY", "1")
        .output()
    {
        Ok(out) => eprint!("{}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => eprintln!("proxy memory report: {e}"),
    }
}

fn proxy_bench(c: &mut Criterion) {
    proxy_memory_in_fresh_process();
    let now = Instant::now();
    let invites: Vec<Bytes> = (0..N).map(invite).collect();
    // Every fresh proxy draws the same branches, so the 200s made for one
    // run's copies match the copies of every later run.
    let mut first = proxy(ProxyMode::Stateful, now);
    let oks: Vec<Bytes> = forward_all(&mut first, now, &invites)
        .iter()
        .filter_map(|f| response_to(&f.message(), 200, "OK", Some("b1")).ok())
        .map(|r| r.bytes().clone())
        .collect();
    drop(first);
    let mut g = c.benchmark_group("sip_proxy");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("stateful/INVITE forwarded x100k", |b| {
        b.iter_batched(
            || proxy(ProxyMode::Stateful, now),
            |mut p| {
                black_box(forward_all(&mut p, now, &invites));
                p
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("stateful/INVITE forwarded + 200 relayed x100k", |b| {
        b.iter_batched(
            || proxy(ProxyMode::Stateful, now),
            |mut p| {
                black_box(forward_all(&mut p, now, &invites));
                for ok in &oks {
                    let _ = p.handle_input(now, from(ok.clone(), [192, 0, 2, 4]));
                    while black_box(p.poll_transmit()).is_some() {}
                }
                while p.poll_event().is_some() {}
                p
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("stateless/INVITE forwarded x100k", |b| {
        b.iter_batched(
            || proxy(ProxyMode::Stateless, now),
            |mut p| {
                black_box(forward_all(&mut p, now, &invites));
                p
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn input(bytes: Bytes) -> Input {
    Input::Received {
        transport: TransportKind::Udp,
        source: ([192, 0, 2, 1], 5060).into(),
        bytes,
    }
}

fn bench(c: &mut Criterion) {
    if std::env::var_os("RTCLITE_BENCH_PROXY_MEMORY").is_some() {
        proxy_memory_report();
        std::process::exit(0);
    }
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

criterion_group!(benches, bench, proxy_bench);
criterion_main!(benches);
