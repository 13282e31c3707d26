//! Calls through the stateful proxy between user agents on the simulated
//! network, for `sim_proxy.rs` and `proxy_serial_sim.rs`: the hosts (a
//! [`UserAgent`] that rings, answers or rejects after a while and hangs up
//! after another), the proxy's configuration, the per-step bounded-state
//! and lifetime checks, and the seed matrix that runs the scenarios.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::proxy::{LocalAddr, Proxy, ProxyConfig, ProxyEvent, ProxyPolicy};
use rtclite_sip::registrar::{
    InMemoryLocationService, LocationService, Registrar, RegistrarConfig,
};
use rtclite_sip::transaction::{Input, TransactionId, Transmit};
use rtclite_sip::transport::{Destination, TransportKind};
use rtclite_sip::ua::{
    Body, CallHandle, EndReason, RegisterConfig, RegisterEvent, UaConfig, UaEvent, UserAgent,
};

use super::net::{Datagram, Net};

pub(crate) const PROXY: &str = "192.0.2.2:5060";
pub(crate) const ALICE: &str = "192.0.2.101:5060";
pub(crate) const BOB1: &str = "192.0.2.4:5060";
pub(crate) const BOB2: &str = "192.0.2.5:5060";

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What a user agent does with an incoming call after ringing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Then {
    Answer(Duration),
    Reject(Duration, u16),
    RingForever,
}

/// What a UA saw of its calls.
#[derive(Debug, Default, Clone)]
pub(crate) struct Log {
    pub(crate) established: u32,
    pub(crate) ended: Vec<EndReason>,
    pub(crate) incoming: u32,
    pub(crate) registered: bool,
    pub(crate) register_failed: bool,
}

impl Log {
    /// How Alice's call went, for the tally of outcomes.
    pub(crate) fn outcome(&self) -> String {
        let ended: Vec<String> = self.ended.iter().map(|r| format!("{r:?}")).collect();
        if self.established > 0 {
            format!("established then {}", ended.join("+"))
        } else {
            format!("failed {}", ended.join("+"))
        }
    }
}

pub(crate) struct Host {
    pub(crate) addr: SocketAddr,
    pub(crate) ua: UserAgent<ChaCha8Rng>,
    pub(crate) log: Log,
    pub(crate) then: Then,
    /// Hang up established calls this long after establishment.
    pub(crate) hang_up_after: Option<Duration>,
    /// Due actions: when, which call, answer (0) or a rejection status.
    due: Vec<(Instant, CallHandle, u16)>,
    hang_ups: Vec<(Instant, CallHandle)>,
}

impl Host {
    /// `user` at `addr_s`, with the proxy as outbound proxy; `register`:
    /// with a registration at the proxy (password "zanzibar").
    pub(crate) fn new(addr_s: &str, user: &str, seed: u64, then: Then, register: bool) -> Self {
        let a = addr(addr_s);
        let domain = if user == "alice" {
            "atlanta.example.com"
        } else {
            "biloxi.example.com"
        };
        let mut config = UaConfig::new(
            format!("<sip:{user}@{domain}>"),
            format!("sip:{user}@{a}"),
            format!("SIP/2.0/UDP {a}"),
        );
        config.outbound_proxy = Some(format!("sip:{PROXY};lr"));
        if register {
            config.register = Some(RegisterConfig {
                registrar: format!("sip:{PROXY}"),
                aor: format!("<sip:{user}@biloxi.example.com>"),
                contact: format!("sip:{user}@{a}"),
                via: format!("SIP/2.0/UDP {a}"),
                expires: 3600,
                username: user.to_owned(),
                password: "zanzibar".to_owned(),
            });
        }
        Self {
            addr: a,
            ua: UserAgent::new(config, ChaCha8Rng::seed_from_u64(seed)),
            log: Log::default(),
            then,
            hang_up_after: None,
            due: Vec::new(),
            hang_ups: Vec::new(),
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let own = self
            .due
            .iter()
            .map(|(t, _, _)| *t)
            .chain(self.hang_ups.iter().map(|(t, _)| *t))
            .min();
        [self.ua.poll_timeout(), own].into_iter().flatten().min()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let (ready, later): (Vec<_>, Vec<_>) = self.due.drain(..).partition(|(t, _, _)| *t <= now);
        self.due = later;
        for (_, call, what) in ready {
            // The call may be CANCELled meanwhile: that is the race.
            let _ = if what == 0 {
                self.ua.answer(now, call, Some(Body::sdp(&b"v=0\r\n"[..])))
            } else {
                self.ua.reject(now, call, what)
            };
        }
        let (ready, later): (Vec<_>, Vec<_>) =
            self.hang_ups.drain(..).partition(|(t, _)| *t <= now);
        self.hang_ups = later;
        for (_, call) in ready {
            let _ = self.ua.hang_up(now, call);
        }
        self.ua.handle_timeout(now);
    }

    pub(crate) fn on_events(&mut self, now: Instant) {
        while let Some(e) = self.ua.poll_event() {
            match e {
                UaEvent::IncomingCall { call, .. } => {
                    self.log.incoming += 1;
                    let _ = self.ua.ring(now, call);
                    match self.then {
                        Then::Answer(d) => self.due.push((now + d, call, 0)),
                        Then::Reject(d, status) => self.due.push((now + d, call, status)),
                        Then::RingForever => {}
                    }
                }
                UaEvent::Established { call, .. } => {
                    self.log.established += 1;
                    if let Some(d) = self.hang_up_after {
                        self.hang_ups.push((now + d, call));
                    }
                }
                UaEvent::Terminated { call, reason } => {
                    self.log.ended.push(reason);
                    self.due.retain(|(_, c, _)| *c != call);
                    self.hang_ups.retain(|(_, c)| *c != call);
                }
                UaEvent::Registration(RegisterEvent::Registered { .. }) => {
                    self.log.registered = true;
                }
                UaEvent::Registration(RegisterEvent::Failed { .. }) => {
                    self.log.register_failed = true;
                }
                _ => {}
            }
        }
    }
}

/// The proxy at [`PROXY`], for biloxi.example.com, with a secret from the
/// seed.
pub(crate) fn proxy_config(seed: u64, max_contexts: usize) -> ProxyConfig {
    ProxyConfig {
        domains: vec!["biloxi.example.com".into(), "192.0.2.2".into()],
        local: vec![LocalAddr {
            transport: TransportKind::Udp,
            host: "192.0.2.2".into(),
            port: 5060,
        }],
        max_contexts,
        secret: {
            let mut s = [0u8; 32];
            s[..8].copy_from_slice(&seed.to_be_bytes());
            s
        },
        ..ProxyConfig::default()
    }
}

/// Puts `t` on the network from `from`; an error for a destination that is
/// not an address.
fn send(net: &mut Net, now: Instant, from: SocketAddr, t: Transmit) -> Result<(), String> {
    match t.destination {
        Destination::Addr { addr, .. } => {
            net.send(
                now,
                Datagram {
                    from,
                    to: addr,
                    bytes: t.message.bytes().clone(),
                },
            );
            Ok(())
        }
        other => Err(format!("unresolvable destination {other:?}")),
    }
}

/// Lets every host act on its events and collects what it sends.
fn host_transmits<'a>(
    hosts: impl Iterator<Item = &'a mut Host>,
    now: Instant,
) -> Vec<(SocketAddr, Transmit)> {
    let mut outs = Vec::new();
    for h in hosts {
        h.on_events(now);
        while let Some(t) = h.ua.poll_transmit() {
            outs.push((h.addr, t));
        }
    }
    outs
}

/// Hands a datagram to the host it is for (errors are the agent's own
/// business).
fn deliver_to_host<'a>(
    hosts: impl Iterator<Item = &'a mut Host>,
    now: Instant,
    to: SocketAddr,
    input: Input,
) {
    for h in hosts {
        if h.addr == to {
            let _ = h.ua.handle_input(now, input);
            return;
        }
    }
}

/// Places Alice's call when `call_at` comes and CANCELs it when
/// `cancel_at` comes; an error if she cannot call.
fn call_and_cancel(
    alice: &mut Host,
    now: Instant,
    call_at: &mut Option<Instant>,
    cancel_at: &mut Option<Instant>,
    call: &mut Option<CallHandle>,
) -> Result<(), String> {
    let mut res = Ok(());
    if call_at.is_some_and(|t| t <= now) {
        *call_at = None;
        match alice.ua.call(
            now,
            "sip:bob@biloxi.example.com",
            Body::sdp(&b"v=0\r\n"[..]),
        ) {
            Ok(c) => *call = Some(c),
            Err(e) => res = Err(format!("alice cannot call: {e}")),
        }
    }
    if cancel_at.is_some_and(|t| t <= now) {
        *cancel_at = None;
        if let Some(c) = *call {
            // Before a provisional response the agent waits for one
            // (§9.1); after a final response there is nothing to cancel.
            let _ = alice.ua.cancel(now, c);
        }
    }
    res
}

/// Bounds on the proxy's state after every step.
pub(crate) struct Bounds {
    pub(crate) max_contexts: usize,
    pub(crate) max_transactions: usize,
    /// Longest life of a proxy transaction.
    pub(crate) max_lifetime: Duration,
}

/// The bounds both proxy scenarios hold the proxy to: the INVITE's
/// context, and the ACK's, BYE's and CANCEL's while it lives; 48
/// transactions; and the longest life of a proxy transaction: Timer C,
/// then 64*T1 for its CANCEL, then Timer D, with margin.
pub(crate) const BOUNDS: Bounds = Bounds {
    max_contexts: 4,
    max_transactions: 48,
    max_lifetime: Duration::from_secs(300),
};

/// Simulated time per run.
pub(crate) const END: Duration = Duration::from_secs(900);

/// The proxy with `config`, a registrar for its domains over `location`,
/// and `policy`.
pub(crate) fn proxy_with<P: ProxyPolicy>(
    config: ProxyConfig,
    location: InMemoryLocationService,
    policy: P,
) -> Proxy<InMemoryLocationService, P> {
    let registrar = Registrar::new(
        RegistrarConfig {
            domains: config.domains.clone(),
            ..RegistrarConfig::default()
        },
        location,
    );
    Proxy::new(config, registrar, policy)
}

/// After a step: no proxy timer due now survives `handle_timeout`, at most
/// so many response contexts and transactions, none older than
/// `max_lifetime` (`born`: when each live transaction was first seen).
fn check_proxy_step<L: LocationService, P: ProxyPolicy>(
    proxy: &Proxy<L, P>,
    now: Instant,
    born: &mut HashMap<TransactionId, Instant>,
    bounds: &Bounds,
) -> Vec<String> {
    let mut v = Vec::new();
    if proxy.poll_timeout().is_some_and(|t| t <= now) {
        v.push("a proxy timer due now survived handle_timeout".into());
    }
    if proxy.contexts() > bounds.max_contexts {
        v.push(format!("{} response contexts", proxy.contexts()));
    }
    let live: Vec<TransactionId> = proxy.transactions().ids().collect();
    if live.len() > bounds.max_transactions {
        v.push(format!("{} proxy transactions", live.len()));
    }
    for id in &live {
        let born = *born.entry(*id).or_insert(now);
        if now.duration_since(born) > bounds.max_lifetime {
            v.push(format!("proxy transaction {id} outlived its timers"));
        }
    }
    born.retain(|id, _| live.contains(id));
    v
}

/// At the end: no response context or proxy transaction left.
fn check_proxy_end<L: LocationService, P: ProxyPolicy>(proxy: &Proxy<L, P>) -> Vec<String> {
    let mut v = Vec::new();
    if proxy.contexts() != 0 {
        v.push(format!("{} contexts left at the end", proxy.contexts()));
    }
    if !proxy.transactions().is_empty() {
        v.push(format!(
            "{} proxy transactions left at the end",
            proxy.transactions().len()
        ));
    }
    v
}

/// What a scenario watches while the calls run.
pub(crate) trait Watch<P: ProxyPolicy> {
    /// A datagram about to be delivered.
    fn datagram(&mut self, _calls: &Calls<P>, _d: &Datagram) {}
    /// An event the proxy reported.
    fn proxy_event(&mut self, calls: &mut Calls<P>, e: ProxyEvent);
}

/// The proxy at [`PROXY`], Alice and the Bobs on the simulated network:
/// Alice places her call at `call_at` and CANCELs it at `cancel_at`; the
/// proxy's state is checked against the bounds after every step.
pub(crate) struct Calls<P: ProxyPolicy> {
    pub(crate) t0: Instant,
    pub(crate) now: Instant,
    pub(crate) net: Net,
    pub(crate) proxy: Proxy<InMemoryLocationService, P>,
    pub(crate) alice: Host,
    pub(crate) bobs: Vec<Host>,
    pub(crate) call: Option<CallHandle>,
    pub(crate) call_at: Option<Instant>,
    pub(crate) cancel_at: Option<Instant>,
    born: HashMap<TransactionId, Instant>,
    /// The first five invariant violations.
    pub(crate) violations: Vec<String>,
    /// Simulated time per run.
    end: Duration,
    bounds: Bounds,
}

impl<P: ProxyPolicy> Calls<P> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        t0: Instant,
        net: Net,
        proxy: Proxy<InMemoryLocationService, P>,
        alice: Host,
        bobs: Vec<Host>,
        call_at: Option<Instant>,
        cancel_at: Option<Instant>,
        end: Duration,
        bounds: Bounds,
    ) -> Self {
        Self {
            t0,
            now: t0,
            net,
            proxy,
            alice,
            bobs,
            call: None,
            call_at,
            cancel_at,
            born: HashMap::new(),
            violations: Vec::new(),
            end,
            bounds,
        }
    }

    pub(crate) fn violation(&mut self, what: String) {
        if self.violations.len() < 5 {
            self.violations.push(what);
        }
    }

    fn send(&mut self, from: SocketAddr, t: Transmit) {
        if let Err(e) = send(&mut self.net, self.now, from, t) {
            self.violation(e);
        }
    }

    /// Moves every queued output onto the network.
    pub(crate) fn pump(&mut self, watch: &mut impl Watch<P>) {
        let now = self.now;
        let proxy_addr = addr(PROXY);
        while let Some(t) = self.proxy.poll_transmit() {
            self.send(proxy_addr, t);
        }
        while let Some(e) = self.proxy.poll_event() {
            watch.proxy_event(self, e);
        }
        let outs = host_transmits(
            std::iter::once(&mut self.alice).chain(self.bobs.iter_mut()),
            now,
        );
        for (from, t) in outs {
            self.send(from, t);
        }
    }

    fn deliver(&mut self, d: Datagram, watch: &mut impl Watch<P>) {
        watch.datagram(self, &d);
        let input = Input::Received {
            transport: TransportKind::Udp,
            source: d.from,
            bytes: d.bytes,
        };
        if d.to == addr(PROXY) {
            // Errors are messages the proxy discards (a stray for someone
            // else, a duplicate of something ended): not invariants.
            let _ = self.proxy.handle_input(self.now, input);
            return;
        }
        let hosts = std::iter::once(&mut self.alice).chain(self.bobs.iter_mut());
        deliver_to_host(hosts, self.now, d.to, input);
    }

    fn next_time(&self) -> Option<Instant> {
        let hosts = std::iter::once(&self.alice)
            .chain(self.bobs.iter())
            .filter_map(Host::poll_timeout);
        [
            self.net.next_time(),
            self.proxy.poll_timeout(),
            self.call_at,
            self.cancel_at,
        ]
        .into_iter()
        .flatten()
        .chain(hosts)
        .min()
    }

    fn step(&mut self, watch: &mut impl Watch<P>) -> bool {
        let Some(at) = self.next_time() else {
            return false;
        };
        if at > self.t0 + self.end {
            return false;
        }
        self.now = self.now.max(at);
        let now = self.now;
        if let Err(e) = call_and_cancel(
            &mut self.alice,
            now,
            &mut self.call_at,
            &mut self.cancel_at,
            &mut self.call,
        ) {
            self.violation(e);
        }
        while let Some(d) = self.net.pop_due(now) {
            self.deliver(d, watch);
            self.pump(watch);
        }
        self.proxy.handle_timeout(now);
        for h in std::iter::once(&mut self.alice).chain(self.bobs.iter_mut()) {
            h.handle_timeout(now);
        }
        self.pump(watch);
        for v in check_proxy_step(&self.proxy, self.now, &mut self.born, &self.bounds) {
            self.violation(v);
        }
        true
    }

    /// At the end: no response context or proxy transaction left.
    pub(crate) fn check_proxy_left(&mut self) {
        for v in check_proxy_end(&self.proxy) {
            self.violation(v);
        }
    }

    /// At the end: Alice's call ended exactly once.
    pub(crate) fn check_ended_once(&mut self) {
        let ended = &self.alice.log.ended;
        if ended.len() != 1 {
            let what = format!("Alice's call ended {} times: {ended:?}", ended.len());
            self.violation(what);
        }
    }

    /// At the end, of a call Alice established: it ended by her own BYE
    /// (or the peer's BYE if the ACK was lost, RFC 3261 §13.3.1.4; or the
    /// BYE timed out, §15.1.1; or the dialog was lost), and by her own BYE
    /// at 0 % loss.
    pub(crate) fn check_established_end(&mut self, lossless: bool) {
        let reason = self.alice.log.ended.first().copied();
        let ok = matches!(
            reason,
            Some(EndReason::LocalBye | EndReason::RemoteBye | EndReason::Timeout)
                | Some(EndReason::DialogLost { .. })
        );
        if !ok || (lossless && reason != Some(EndReason::LocalBye)) {
            self.violation(format!("established call ended as {reason:?}"));
        }
    }

    /// At the end: no user agent holds a call.
    pub(crate) fn check_no_calls_left(&mut self) {
        if self.alice.ua.call_count() != 0 || self.bobs.iter().any(|b| b.ua.call_count() != 0) {
            self.violation("a user agent still holds a call at the end".into());
        }
    }

    /// Steps until nothing is due or the simulated time is over (at most
    /// 200 000 steps: more is a violation); returns the number of steps.
    pub(crate) fn run(&mut self, watch: &mut impl Watch<P>) -> u32 {
        let mut guard = 0u32;
        while self.step(watch) {
            guard += 1;
            if guard > 200_000 {
                self.violation("simulation did not settle".into());
                break;
            }
        }
        guard
    }
}
