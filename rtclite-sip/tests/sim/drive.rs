//! A driver that turns arbitrary bytes into a sequence of inputs for a
//! transaction layer — datagrams (raw or from templates), time steps,
//! responses from the TU, new requests, transport errors — and checks the
//! layer's invariants. Shared by the cargo-fuzz target
//! `fuzz/fuzz_targets/sip_ua_transactions.rs` and the proptest in
//! `tests/transaction_proptest.rs`.

use std::time::{Duration, Instant};

use rtclite_sip::OwnedMessage;
use rtclite_sip::builder::response_to;
use rtclite_sip::transaction::{
    ClientState, Event, Input, LayerConfig, ServerState, TransactionId, TransactionLayer,
};
use rtclite_sip::transport::{Destination, TransportKind};

const MAX: usize = 64;
const METHODS: [&str; 6] = ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REGISTER"];
const CODES: [u16; 8] = [100, 180, 183, 200, 202, 486, 487, 603];

fn template(selector: u8, branch: u8, response: Option<u16>) -> Vec<u8> {
    let method = METHODS[usize::from(selector) % METHODS.len()];
    let cookie = if branch & 0x80 == 0 { "z9hG4bK" } else { "" };
    let transport = if branch & 0x40 == 0 { "UDP" } else { "TCP" };
    let head = match response {
        Some(code) => format!("SIP/2.0 {code} Reason"),
        None => format!("{method} sip:bob@biloxi.example.com SIP/2.0"),
    };
    let to_tag = if selector & 0x10 != 0 { ";tag=b1" } else { "" };
    format!(
        "{head}\r\nVia: SIP/2.0/{transport} pc33.atlanta.example.com;branch={cookie}f{b}\r\n\
Max-Forwards: 70\r\nTo: <sip:bob@biloxi.example.com>{to_tag}\r\n\
From: <sip:alice@atlanta.example.com>;tag=a1\r\nCall-ID: c{b}\r\n\
CSeq: {seq} {method}\r\nContent-Length: 0\r\n\r\n",
        b = branch & 0x3f,
        seq = 1 + u32::from(selector >> 5),
    )
    .into_bytes()
}

fn input(bytes: Vec<u8>, reliable: bool) -> Input {
    Input::Received {
        transport: if reliable {
            TransportKind::Tcp
        } else {
            TransportKind::Udp
        },
        source: ([192, 0, 2, 1], 5060).into(),
        bytes: bytes.into(),
    }
}

/// Runs `data` against a fresh layer; returns the first broken invariant.
pub(crate) fn run(data: &[u8]) -> Result<(), String> {
    let mut layer = TransactionLayer::new(LayerConfig {
        max_transactions: MAX,
        ..LayerConfig::default()
    });
    let t0 = Instant::now();
    let mut now = t0;
    let mut servers: Vec<TransactionId> = Vec::new();
    let mut clients: Vec<TransactionId> = Vec::new();
    let mut rest = data;
    for _ in 0..512 {
        let [op, a, b, tail @ ..] = rest else { break };
        rest = tail;
        match op {
            0..=63 => {
                let len = usize::from(*a) * 8 + usize::from(*b) % 8;
                let (bytes, tail) = rest.split_at(len.min(rest.len()));
                rest = tail;
                let _ = layer.handle_input(now, input(bytes.to_vec(), op & 1 == 1));
            }
            64..=127 => {
                let _ = layer.handle_input(now, input(template(*a, *b, None), op & 1 == 1));
            }
            128..=159 => {
                let code = CODES[usize::from(*a) % CODES.len()];
                let _ = layer.handle_input(now, input(template(*a, *b, Some(code)), false));
            }
            160..=191 => {
                now += Duration::from_millis(u64::from(*a) * 64 + u64::from(*b));
                layer.handle_timeout(now);
                if layer.poll_timeout().is_some_and(|t| t <= now) {
                    return Err("a timer due now survived handle_timeout".into());
                }
            }
            192..=223 => {
                if let Some(id) = servers.get(usize::from(*a) % servers.len().max(1)).copied() {
                    if let Some(req) = layer.server(id).map(|s| s.request().clone()) {
                        let code = CODES[usize::from(*b) % CODES.len()];
                        let tag = (code > 100).then_some("s1");
                        if let Ok(resp) = response_to(&req.message(), code, "R", tag) {
                            let _ = layer.send_response(now, id, resp);
                        }
                    }
                }
            }
            _ => {
                if a & 1 == 0 {
                    if let Ok(req) = OwnedMessage::parse(template(*a >> 1, *b, None).into()) {
                        let reliable = b & 0x40 != 0;
                        let destination = Destination::Addr {
                            transport: if reliable {
                                TransportKind::Tcp
                            } else {
                                TransportKind::Udp
                            },
                            addr: ([192, 0, 2, 4], 5060).into(),
                        };
                        if let Ok(id) = layer.send_request(now, req, destination) {
                            clients.push(id);
                        }
                    }
                } else if let Some(id) = clients.get(usize::from(*b) % clients.len().max(1)) {
                    layer.handle_transport_error(now, *id);
                }
            }
        }
        drain(&mut layer, &mut servers, &mut clients);
        if layer.len() > MAX {
            return Err(format!(
                "{} transactions above the limit {MAX}",
                layer.len()
            ));
        }
    }
    // Wind down: the TU answers what waits for it and abandons what it
    // cancelled; then every transaction must end by its timers.
    for id in servers.clone() {
        let waiting = layer
            .server(id)
            .is_some_and(|s| matches!(s.state(), ServerState::Trying | ServerState::Proceeding));
        if waiting {
            if let Some(req) = layer.server(id).map(|s| s.request().clone()) {
                if let Ok(r) = response_to(&req.message(), 500, "Bye", Some("s1")) {
                    let _ = layer.send_response(now, id, r);
                }
            }
        }
    }
    for id in clients.clone() {
        if layer
            .client(id)
            .is_some_and(|c| c.state() == ClientState::Proceeding)
        {
            layer.abandon(id);
        }
    }
    drain(&mut layer, &mut servers, &mut clients);
    for _ in 0..10_000 {
        let Some(t) = layer.poll_timeout() else { break };
        now = now.max(t);
        layer.handle_timeout(now);
        drain(&mut layer, &mut servers, &mut clients);
    }
    if !layer.is_empty() {
        return Err(format!("{} transactions never ended", layer.len()));
    }
    Ok(())
}

fn drain(
    layer: &mut TransactionLayer,
    servers: &mut Vec<TransactionId>,
    clients: &mut Vec<TransactionId>,
) {
    while layer.poll_transmit().is_some() {}
    while let Some(e) = layer.poll_event() {
        match e {
            Event::Request { id: Some(id), .. } => servers.push(id),
            Event::Terminated { id } => {
                servers.retain(|s| *s != id);
                clients.retain(|c| *c != id);
            }
            _ => {}
        }
    }
}
