//! The exact messages each element's transaction layer emits for two
//! scripted exchanges on a lossless network, as insta snapshots: an INVITE
//! rejected 486 (the ACK built by the client transaction, RFC 3261
//! §17.1.1.3) and an OPTIONS answered 200 — so any change in what goes on
//! the wire shows up as a reviewed diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "sim/msg.rs"]
mod msg;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtclite_sip::transaction::{Event, Input, LayerConfig, TransactionLayer};
use rtclite_sip::transport::{Destination, TransportKind};

use msg::{request, response};

const ALICE: &str = "192.0.2.10:5060";
const BOB: &str = "192.0.2.20:5060";

/// Runs `method` from Alice to Bob, Bob answering `codes` in order, and
/// returns the wire log.
fn exchange(method: &str, codes: &[u16]) -> String {
    let t0 = Instant::now();
    let cfg = LayerConfig {
        trying_delay: None,
        ..LayerConfig::default()
    };
    let (mut alice, mut bob) = (TransactionLayer::new(cfg), TransactionLayer::new(cfg));
    let to_bob = Destination::Addr {
        transport: TransportKind::Udp,
        addr: BOB.parse().unwrap(),
    };
    alice
        .send_request(
            t0,
            request(method, "z9hG4bK776asdhds", "UDP", 314159),
            to_bob,
        )
        .unwrap();
    let mut log = String::new();
    let mut pending_codes = codes.to_vec();
    for step in 0..20u64 {
        let now = t0 + Duration::from_millis(10 * step);
        let mut moved = false;
        for from in [ALICE, BOB] {
            let (layer, peer) = if from == ALICE {
                (&mut alice, &mut bob)
            } else {
                (&mut bob, &mut alice)
            };
            while let Some(t) = layer.poll_transmit() {
                moved = true;
                log.push_str(&format!(
                    "--- {from} -> {:?}\n{}\n",
                    t.destination,
                    String::from_utf8_lossy(t.message.bytes()).replace("\r\n", "\n")
                ));
                peer.handle_input(
                    now,
                    Input::Received {
                        transport: TransportKind::Udp,
                        source: from.parse::<SocketAddr>().unwrap(),
                        bytes: t.message.bytes().clone(),
                    },
                )
                .unwrap();
            }
        }
        while let Some(e) = bob.poll_event() {
            moved = true;
            if let Event::Request {
                id: Some(id),
                request,
                ..
            } = e
            {
                for code in pending_codes.drain(..) {
                    bob.send_response(now, id, response(&request, code, Some("a6c85cf")))
                        .unwrap();
                }
            }
        }
        while alice.poll_event().is_some() {
            moved = true;
        }
        if !moved {
            break;
        }
    }
    log
}

#[test]
fn invite_rejected_486_wire_log() {
    insta::assert_snapshot!(exchange("INVITE", &[180, 486]));
}

#[test]
fn options_answered_200_wire_log() {
    insta::assert_snapshot!(exchange("OPTIONS", &[200]));
}
