//! Several [`UserAgent`]s joined by an in-memory wire: every message one
//! sends reaches the addressed agent (in order, without loss) and is logged,
//! under a virtual clock. Used by the flow, RFC 3665 snapshot and call
//! simulation tests; [`Phones::lossy`] runs the same over the simulated
//! network of `net.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::transaction::{Input, Transmit};
use rtclite_sip::transport::{Destination, TransportKind};
use rtclite_sip::ua::{UaConfig, UaEvent, UserAgent};

use super::net::{Datagram, Net, NetConfig};

/// One agent on the wire.
pub(crate) struct Phone {
    pub(crate) ua: UserAgent<ChaCha8Rng>,
    pub(crate) addr: SocketAddr,
    /// Every event the agent reported, in order.
    pub(crate) events: Vec<UaEvent>,
}

/// Another element on the wire (a scripted registrar, a proxy): it
/// receives what is addressed to it and sends what it wants.
pub(crate) trait Element {
    /// Its address.
    fn addr(&self) -> SocketAddr;
    /// A datagram for it.
    fn input(&mut self, now: Instant, from: SocketAddr, bytes: bytes::Bytes);
    /// Fires its timers.
    fn timeout(&mut self, now: Instant);
    /// Its next timer.
    fn next_timeout(&self) -> Option<Instant>;
    /// The next message it sends.
    fn transmit(&mut self) -> Option<Transmit>;
}

/// One message on the wire.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) from: SocketAddr,
    pub(crate) to: SocketAddr,
    pub(crate) bytes: bytes::Bytes,
    /// When it was sent.
    pub(crate) at: Instant,
}

/// The agents, the clock and the log.
pub(crate) struct Phones {
    pub(crate) phones: Vec<Phone>,
    pub(crate) now: Instant,
    pub(crate) t0: Instant,
    pub(crate) log: Vec<Sent>,
    names: HashMap<String, SocketAddr>,
    net: Option<Net>,
    /// Messages sent to an address no agent holds (a scripted peer reads
    /// them here).
    pub(crate) outside: Vec<Sent>,
    /// Errors returned by `handle_input`.
    pub(crate) input_errors: usize,
    /// Other elements.
    pub(crate) elements: Vec<Box<dyn Element>>,
}

/// A config for `user` at `host` (a name the wire resolves) on `addr`.
pub(crate) fn config(user: &str, domain: &str, host: &str) -> UaConfig {
    let display = {
        let mut c = user.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    UaConfig::new(
        format!("{display} <sip:{user}@{domain}>"),
        format!("sip:{user}@{host}"),
        format!("SIP/2.0/UDP {host}"),
    )
}

impl Phones {
    /// An empty wire without loss.
    pub(crate) fn new() -> Self {
        let t0 = Instant::now();
        Self {
            phones: Vec::new(),
            now: t0,
            t0,
            log: Vec::new(),
            names: HashMap::new(),
            net: None,
            outside: Vec::new(),
            input_errors: 0,
            elements: Vec::new(),
        }
    }

    /// A wire over the simulated network with `loss`, seeded.
    pub(crate) fn lossy(seed: u64, loss: f64) -> Self {
        let mut p = Self::new();
        p.net = Some(Net::new(seed, NetConfig::lossy(loss)));
        p
    }

    /// Adds an agent at `addr`, known on the wire as `host`; returns its
    /// index.
    pub(crate) fn add(
        &mut self,
        config: UaConfig,
        host: &str,
        addr: SocketAddr,
        seed: u64,
    ) -> usize {
        self.names.insert(host.to_owned(), addr);
        self.phones.push(Phone {
            ua: UserAgent::new(config, ChaCha8Rng::seed_from_u64(seed)),
            addr,
            events: Vec::new(),
        });
        self.phones.len() - 1
    }

    /// Adds an element known on the wire as `host`.
    pub(crate) fn add_element(&mut self, host: &str, e: Box<dyn Element>) {
        self.names.insert(host.to_owned(), e.addr());
        self.elements.push(e);
    }

    /// Makes `host` resolve to `addr` (a scripted element).
    pub(crate) fn name(&mut self, host: &str, addr: SocketAddr) {
        self.names.insert(host.to_owned(), addr);
    }

    fn resolve(&self, d: &Destination) -> Option<SocketAddr> {
        match d {
            Destination::Addr { addr, .. } => Some(*addr),
            Destination::Host { host, port, .. } => self.names.get(host).map(|a| {
                let mut a = *a;
                if *port != 5060 {
                    a.set_port(*port);
                }
                a
            }),
            _ => None,
        }
    }

    /// Delivers `bytes` from `from` to the agent at `to`, now.
    pub(crate) fn inject(&mut self, from: SocketAddr, to: SocketAddr, bytes: bytes::Bytes) {
        self.inject_over(TransportKind::Udp, from, to, bytes);
    }

    /// As [`inject`](Self::inject), over `transport`.
    pub(crate) fn inject_over(
        &mut self,
        transport: TransportKind,
        from: SocketAddr,
        to: SocketAddr,
        bytes: bytes::Bytes,
    ) {
        let now = self.now;
        if let Some(e) = self.elements.iter_mut().find(|e| e.addr() == to) {
            e.input(now, from, bytes);
            return;
        }
        if let Some(p) = self.phones.iter_mut().find(|p| p.addr == to) {
            let r = p.ua.handle_input(
                now,
                Input::Received {
                    transport,
                    source: from,
                    bytes,
                },
            );
            if r.is_err() {
                self.input_errors += 1;
            }
        }
    }

    /// Drains every agent's transmits and events; returns whether anything
    /// moved.
    fn drain(&mut self) -> bool {
        let mut moved = false;
        let mut out: Vec<(SocketAddr, Transmit)> = Vec::new();
        for p in &mut self.phones {
            while let Some(t) = p.ua.poll_transmit() {
                out.push((p.addr, t));
            }
            while let Some(e) = p.ua.poll_event() {
                p.events.push(e);
                moved = true;
            }
        }
        for e in &mut self.elements {
            let addr = e.addr();
            while let Some(t) = e.transmit() {
                out.push((addr, t));
            }
        }
        for (from, t) in out {
            moved = true;
            let Some(to) = self.resolve(&t.destination) else {
                continue;
            };
            let bytes = t.message.bytes().clone();
            self.log.push(Sent {
                from,
                to,
                bytes: bytes.clone(),
                at: self.now,
            });
            match self.net.as_mut() {
                Some(net) => net.send(self.now, Datagram { from, to, bytes }),
                None => {
                    if self.phones.iter().any(|p| p.addr == to)
                        || self.elements.iter().any(|e| e.addr() == to)
                    {
                        self.inject_over(t.destination.transport(), from, to, bytes);
                    } else {
                        let at = self.now;
                        self.outside.push(Sent {
                            from,
                            to,
                            bytes,
                            at,
                        });
                    }
                }
            }
        }
        moved
    }

    /// Runs until nothing moves at the current instant.
    pub(crate) fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut moved = self.drain();
            if let Some(net) = self.net.as_mut() {
                let mut due = Vec::new();
                while let Some(d) = net.pop_due(self.now) {
                    due.push(d);
                }
                for d in due {
                    moved = true;
                    self.inject(d.from, d.to, d.bytes);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the wire did not settle");
    }

    /// The earliest timer or arrival.
    pub(crate) fn next_time(&self) -> Option<Instant> {
        let net = self.net.as_ref().and_then(Net::next_time);
        self.phones
            .iter()
            .filter_map(|p| p.ua.poll_timeout())
            .chain(self.elements.iter().filter_map(|e| e.next_timeout()))
            .chain(net)
            .min()
    }

    /// Advances the clock by `d`, firing every timer and delivery on the way.
    pub(crate) fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        self.settle();
        for _ in 0..100_000 {
            match self.next_time() {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    for p in &mut self.phones {
                        if p.ua.poll_timeout().is_some_and(|t| t <= now) {
                            p.ua.handle_timeout(now);
                        }
                    }
                    for e in &mut self.elements {
                        if e.next_timeout().is_some_and(|t| t <= now) {
                            e.timeout(now);
                        }
                    }
                    self.settle();
                }
                _ => break,
            }
        }
        self.now = end;
        let now = self.now;
        for p in &mut self.phones {
            p.ua.handle_timeout(now);
        }
        for e in &mut self.elements {
            e.timeout(now);
        }
        self.settle();
    }

    /// The agent `i`.
    pub(crate) fn ua(&mut self, i: usize) -> &mut UserAgent<ChaCha8Rng> {
        &mut self.phones[i].ua
    }

    /// Runs a command on agent `i` at the current time, then settles.
    pub(crate) fn with<T>(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut UserAgent<ChaCha8Rng>, Instant) -> T,
    ) -> T {
        let now = self.now;
        let r = f(&mut self.phones[i].ua, now);
        self.settle();
        r
    }

    /// Events of agent `i` matching `f`.
    pub(crate) fn find<T>(&self, i: usize, f: impl Fn(&UaEvent) -> Option<T>) -> Vec<T> {
        self.phones[i].events.iter().filter_map(f).collect()
    }

    /// The log as text: one block per message with its direction, for
    /// snapshots.
    pub(crate) fn transcript(&self, names: &[(SocketAddr, &str)]) -> String {
        let name = |a: &SocketAddr| {
            names
                .iter()
                .find(|(x, _)| x == a)
                .map(|(_, n)| (*n).to_owned())
                .unwrap_or_else(|| a.to_string())
        };
        let mut s = String::new();
        for (i, m) in self.log.iter().enumerate() {
            s.push_str(&format!(
                "--- F{} {} -> {}\n{}\n",
                i + 1,
                name(&m.from),
                name(&m.to),
                String::from_utf8_lossy(&m.bytes).replace("\r\n", "\n")
            ));
        }
        s
    }
}
