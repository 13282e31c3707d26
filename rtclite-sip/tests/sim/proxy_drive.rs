//! A driver that turns arbitrary bytes into inputs for a stateful or
//! stateless proxy — raw datagrams, requests from templates of every method
//! and routing shape, responses to what the proxy forwarded, stray
//! responses, time steps — and checks the proxy's invariants. Shared by the
//! cargo-fuzz target `fuzz/fuzz_targets/sip_proxy.rs` and
//! `tests/proxy_proptest.rs`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtclite_sip::OwnedMessage;
use rtclite_sip::builder::MessageBuilder;
use rtclite_sip::builder::response_to;
use rtclite_sip::proxy::{DefaultPolicy, Forking, LocalAddr, Proxy, ProxyConfig, ProxyMode};
use rtclite_sip::registrar::{
    Binding, InMemoryLocationService, LocationService, Registrar, RegistrarConfig,
};
use rtclite_sip::transaction::{Input, LayerConfig};
use rtclite_sip::transport::{Destination, TransportKind};

const MAX_CONTEXTS: usize = 16;
const MAX_TRANSACTIONS: usize = 128;
const METHODS: [&str; 8] = [
    "INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REGISTER", "MESSAGE", "INFO",
];
const CODES: [u16; 12] = [100, 180, 183, 200, 202, 302, 401, 407, 486, 487, 503, 603];
const RURIS: [&str; 6] = [
    "sip:bob@biloxi.example.com",
    "sip:carol@chicago.example.com",
    "sip:192.0.2.2:5060;lr",
    "sip:bob@biloxi.example.com;maddr=192.0.2.2",
    "tel:+15551234",
    "sip:nobody@biloxi.example.com",
];
const ROUTES: [&str; 4] = [
    "",
    "Route: <sip:192.0.2.2;lr>\r\n",
    "Route: <sip:192.0.2.2;lr>, <sip:192.0.2.8>\r\n",
    "Route: <sip:192.0.2.9;lr>, <sip:alice@192.0.2.101>\r\n",
];

fn request(selector: u8, variant: u8) -> Vec<u8> {
    let method = METHODS[usize::from(selector) % METHODS.len()];
    let ruri = RURIS[usize::from(variant) % RURIS.len()];
    let route = ROUTES[usize::from(variant >> 3) % ROUTES.len()];
    let mf = match variant >> 5 {
        0 => "Max-Forwards: 0\r\n",
        1 => "",
        2 => "Max-Forwards: 1\r\nProxy-Require: gizmo\r\n",
        _ => "Max-Forwards: 70\r\n",
    };
    let to_tag = if selector & 0x40 != 0 { ";tag=b1" } else { "" };
    let call = selector >> 4 & 3;
    format!(
        "{method} {ruri} SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKd{call}{v}\r\n\
{mf}{route}To: <sip:bob@biloxi.example.com>{to_tag}\r\n\
From: <sip:alice@atlanta.example.com>;tag=a{call}\r\n\
Call-ID: call{call}\r\n\
CSeq: 1 {method}\r\n\
Contact: <sip:alice@192.0.2.101>\r\n\
Content-Length: 0\r\n\r\n",
        v = variant & 1,
    )
    .into_bytes()
}

fn stray(code_selector: u8, branch: u8) -> Vec<u8> {
    let code = CODES[usize::from(code_selector) % CODES.len()];
    format!(
        "SIP/2.0 {code} Whatever\r\n\
Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKgone{branch}\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKd0;received=192.0.2.101\r\n\
To: <sip:bob@biloxi.example.com>;tag=x\r\n\
From: <sip:alice@atlanta.example.com>;tag=a0\r\n\
Call-ID: call0\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// Contacts of the 3xx answers, for the proxy's recursion (§16.7 step 4):
/// new, already tried, the address-of-record itself, not SIP.
const REDIRECTS: [&str; 4] = [
    "<sip:carol@192.0.2.7>;q=0.7, <sip:dave@192.0.2.8>;q=0.2",
    "<sip:bob@192.0.2.4>",
    "<sip:bob@biloxi.example.com>",
    "<mailto:bob@biloxi.example.com>",
];

fn addr_of(d: &Destination) -> SocketAddr {
    match d {
        Destination::Addr { addr, .. } => *addr,
        _ => SocketAddr::from(([192, 0, 2, 99], 5060)),
    }
}

/// What a run exercised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Requests the proxy sent (forwarded copies and CANCELs).
    pub(crate) requests_sent: usize,
    /// Responses the proxy sent.
    pub(crate) responses_sent: usize,
    /// The most response contexts alive at once.
    pub(crate) peak_contexts: usize,
}

/// Runs `data` against a fresh proxy (stateless when the first byte is
/// odd; its bit 1 selects sequential forking with a group time of 1-8 s
/// from bits 4-6, its bit 2 recursion on 3xx); returns the first broken
/// invariant.
pub(crate) fn run(data: &[u8]) -> Result<Stats, String> {
    let mut stats = Stats::default();
    let (mode, mut rest) = match data {
        [m, tail @ ..] => (
            if m & 1 == 1 {
                ProxyMode::Stateless
            } else {
                ProxyMode::Stateful
            },
            tail,
        ),
        [] => (ProxyMode::Stateful, data),
    };
    let flags = data.first().copied().unwrap_or(0);
    let t0 = Instant::now();
    let config = ProxyConfig {
        forking: if flags & 2 != 0 {
            Forking::Sequential {
                group_timeout: Some(Duration::from_secs(u64::from(flags >> 4 & 7) + 1)),
            }
        } else {
            Forking::Parallel
        },
        recurse_on_3xx: flags & 4 != 0,
        mode,
        domains: vec!["biloxi.example.com".into()],
        local: vec![LocalAddr {
            transport: TransportKind::Udp,
            host: "192.0.2.2".into(),
            port: 5060,
        }],
        layer: LayerConfig {
            max_transactions: MAX_TRANSACTIONS,
            ..LayerConfig::default()
        },
        max_contexts: MAX_CONTEXTS,
        max_branches: 4,
        ..ProxyConfig::default()
    };
    let mut location = InMemoryLocationService::new();
    let binding = |uri: &str, q: u16| Binding {
        uri: uri.into(),
        call_id: "r".into(),
        cseq: 1,
        expires_at: t0 + Duration::from_secs(3600),
        q: Some(q),
    };
    location
        .replace(
            "sip:bob@biloxi.example.com",
            vec![
                binding("sip:bob@192.0.2.4", 1000),
                binding("sip:bob@192.0.2.5", 500),
            ],
        )
        .map_err(|e| e.to_string())?;
    let registrar = Registrar::new(
        RegistrarConfig {
            domains: config.domains.clone(),
            ..RegistrarConfig::default()
        },
        location,
    );
    let mut proxy = Proxy::new(config, registrar, DefaultPolicy);
    let mut now = t0;
    // Requests the proxy sent, to answer them (bounded).
    let mut forwarded: VecDeque<(OwnedMessage, Destination)> = VecDeque::new();
    let alice: SocketAddr = ([192, 0, 2, 101], 5060).into();
    for _ in 0..512 {
        let [op, a, b, tail @ ..] = rest else { break };
        rest = tail;
        let result = match op {
            0..=47 => {
                let len = usize::from(*a) * 8 + usize::from(*b) % 8;
                let (bytes, tail) = rest.split_at(len.min(rest.len()));
                rest = tail;
                proxy.handle_input(now, received(alice, bytes.to_vec()))
            }
            48..=111 => proxy.handle_input(now, received(alice, request(*a, *b))),
            112..=175 => {
                let pick = forwarded
                    .get(usize::from(*a) % forwarded.len().max(1))
                    .cloned();
                match pick {
                    Some((req, dest)) => {
                        let code = CODES[usize::from(*b) % CODES.len()];
                        let tag = (code > 100).then_some(if b & 0x80 == 0 { "u1" } else { "u2" });
                        let r = response_to(&req.message(), code, "R", tag).and_then(|r| {
                            if !(300..400).contains(&code) {
                                return Ok(r);
                            }
                            let contact = REDIRECTS[usize::from(*a >> 6) % REDIRECTS.len()];
                            MessageBuilder::from_message(&r.message())
                                .header(rtclite_sip::HeaderName::Contact, contact)
                                .build()
                        });
                        match r {
                            Ok(r) => proxy
                                .handle_input(now, received(addr_of(&dest), r.bytes().to_vec())),
                            Err(_) => Ok(()),
                        }
                    }
                    None => Ok(()),
                }
            }
            176..=207 => {
                now += Duration::from_millis(u64::from(*a) * 512 + u64::from(*b));
                proxy.handle_timeout(now);
                if proxy.poll_timeout().is_some_and(|t| t <= now) {
                    return Err("a timer due now survived handle_timeout".into());
                }
                Ok(())
            }
            _ => proxy.handle_input(now, received(([192, 0, 2, 4], 5060).into(), stray(*a, *b))),
        };
        // Errors are fine (bad input); panics and broken invariants are not.
        let _ = result;
        drain(&mut proxy, &mut forwarded, &mut stats);
        stats.peak_contexts = stats.peak_contexts.max(proxy.contexts());
        if proxy.contexts() > MAX_CONTEXTS {
            return Err(format!(
                "{} contexts above {MAX_CONTEXTS}",
                proxy.contexts()
            ));
        }
        if proxy.transactions().len() > MAX_TRANSACTIONS {
            return Err(format!(
                "{} transactions above {MAX_TRANSACTIONS}",
                proxy.transactions().len()
            ));
        }
    }
    // Nobody answers any more: every transaction and context must end by
    // the proxy's own timers (Timer C, B, F, H, the CANCEL deadline).
    for _ in 0..100_000 {
        let Some(t) = proxy.poll_timeout() else { break };
        now = now.max(t);
        proxy.handle_timeout(now);
        drain(&mut proxy, &mut forwarded, &mut stats);
    }
    if proxy.contexts() != 0 || !proxy.transactions().is_empty() {
        return Err(format!(
            "{} contexts and {} transactions never ended",
            proxy.contexts(),
            proxy.transactions().len()
        ));
    }
    Ok(stats)
}

fn received(source: SocketAddr, bytes: Vec<u8>) -> Input {
    Input::Received {
        transport: TransportKind::Udp,
        source,
        bytes: bytes.into(),
    }
}

fn drain(
    proxy: &mut Proxy<InMemoryLocationService, DefaultPolicy>,
    forwarded: &mut VecDeque<(OwnedMessage, Destination)>,
    stats: &mut Stats,
) {
    while let Some(t) = proxy.poll_transmit() {
        if !t.message.message().is_request() {
            stats.responses_sent += 1;
        } else {
            stats.requests_sent += 1;
            forwarded.push_back((t.message, t.destination));
            if forwarded.len() > 32 {
                forwarded.pop_front();
            }
        }
    }
    while proxy.poll_event().is_some() {}
}
