//! State held per established call: 200 calls set up between two agents,
//! their transactions left to end, and the heap still held by the agents
//! measured with a counting allocator. The figure is printed (for the
//! README) and bounded, so a regression that leaks or bloats per-call state
//! fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::transaction::Input;
use rtclite_sip::transport::TransportKind;
use rtclite_sip::ua::{Body, UaConfig, UaEvent, UserAgent};

type Ua = UserAgent<ChaCha8Rng>;

fn exchange(now: Instant, a: &mut Ua, aa: SocketAddr, b: &mut Ua, ba: SocketAddr) -> Vec<UaEvent> {
    let mut bob_events = Vec::new();
    for _ in 0..100 {
        let mut quiet = true;
        while let Some(t) = a.poll_transmit() {
            quiet = false;
            let bytes = t.message.bytes().clone();
            let _ = b.handle_input(
                now,
                Input::Received {
                    transport: TransportKind::Udp,
                    source: aa,
                    bytes,
                },
            );
        }
        while let Some(t) = b.poll_transmit() {
            quiet = false;
            let bytes = t.message.bytes().clone();
            let _ = a.handle_input(
                now,
                Input::Received {
                    transport: TransportKind::Udp,
                    source: ba,
                    bytes,
                },
            );
        }
        while a.poll_event().is_some() {}
        while let Some(e) = b.poll_event() {
            bob_events.push(e);
        }
        if quiet {
            break;
        }
    }
    bob_events
}

#[test]
fn bytes_per_established_call() {
    const CALLS: usize = 200;
    let aa: SocketAddr = "192.0.2.101:5060".parse().unwrap();
    let ba: SocketAddr = "192.0.2.201:5060".parse().unwrap();
    let cfg = |aor: &str, host: &str| {
        let mut c = UaConfig::new(
            aor,
            format!("sip:u@{host}"),
            format!("SIP/2.0/UDP {host}:5060"),
        );
        c.max_calls = 2 * CALLS;
        c
    };
    let mut alice = UserAgent::new(
        cfg("Alice <sip:alice@atlanta.example.com>", "192.0.2.101"),
        ChaCha8Rng::seed_from_u64(1),
    );
    let mut bob = UserAgent::new(
        cfg("Bob <sip:bob@biloxi.example.com>", "192.0.2.201"),
        ChaCha8Rng::seed_from_u64(2),
    );
    let offer = Body::sdp(&b"v=0\r\no=- 1 1 IN IP4 192.0.2.101\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"[..]);
    let t0 = Instant::now();
    let mut now = t0;
    let info = allocation_counter::measure(|| {
        for _ in 0..CALLS {
            alice
                .call(now, "sip:bob@192.0.2.201:5060", offer.clone())
                .unwrap();
            for e in exchange(now, &mut alice, aa, &mut bob, ba) {
                if let UaEvent::IncomingCall { call, .. } = e {
                    bob.answer(now, call, Some(offer.clone())).unwrap();
                }
            }
            exchange(now, &mut alice, aa, &mut bob, ba);
        }
        // Let every transaction end (Timers K, L, M...).
        for _ in 0..100 {
            now += Duration::from_secs(1);
            alice.handle_timeout(now);
            bob.handle_timeout(now);
            exchange(now, &mut alice, aa, &mut bob, ba);
        }
    });
    assert_eq!(alice.call_count(), CALLS);
    assert_eq!(bob.call_count(), CALLS);
    assert!(alice.transactions().is_empty() && bob.transactions().is_empty());
    let per_side = info.bytes_current as usize / (2 * CALLS);
    println!("ua: {per_side} bytes of heap per established call per side ({CALLS} calls)");
    assert!(per_side < 8 * 1024, "{per_side} bytes per call");
}
