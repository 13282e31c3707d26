//! Deterministic simulation of the transaction layer (RFC 3261 §17, RFC 6026)
//! between two hosts on a hostile network: every scenario runs under many
//! seeds at 0 %, 10 % and 30 % loss (with duplication and reordering), and
//! after every step the invariants below are checked. The run ends with
//! `sim: <S> scenarios x <N> seeds, <V> invariant violations`.
//!
//! `RTCLITE_SIM_SEEDS=N` runs N seeds per scenario (default 1000);
//! `RTCLITE_SIM_SEED=S` replays one seed of every scenario.
//!
//! Invariants, checked after every step:
//! - the layers never error on what the peer sent, and never hold more
//!   than a handful of transactions (bounded state);
//! - every live transaction has a pending timer, except an INVITE client
//!   transaction in Proceeding (which waits for its TU, RFC 3261 §9.1), and
//!   none lives longer than its timers allow;
//! - at the end both layers are empty;
//! - every call ends in an outcome the RFC prescribes for its scenario
//!   (see `check_outcome`), and at 0 % loss in the successful one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtclite_sip::builder::cancel;
use rtclite_sip::timer::{Timer, TimerConfig};
use rtclite_sip::transaction::{
    ClientState, Event, Input, LayerConfig, ServerState, TransactionId, TransactionLayer,
};
use rtclite_sip::transport::{Destination, TransportKind};
use rtclite_sip::ua::{Retransmit2xx, Retransmit2xxEvent};
use rtclite_sip::{HeaderName, OwnedMessage};

use sim::msg::{parse, request, response};
use sim::net::{Datagram, Net, NetConfig};
use sim::{Violation, run_matrix};

const ALICE: &str = "192.0.2.10:5060";
const BOB: &str = "192.0.2.20:5060";
/// No transaction may live longer than this (the longest legal life is an
/// INVITE client: CANCEL deadline, then 64*T1 in Accepted).
const MAX_LIFETIME: Duration = Duration::from_secs(110);
const END: Duration = Duration::from_secs(400);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// OPTIONS answered 200 (non-INVITE client and server).
    NonInvite,
    /// INVITE, 180, 200, ACK for the 2xx by the UAC core.
    Invite200,
    /// INVITE, 180, 486, ACK by the client transaction.
    Invite486,
    /// INVITE, 180, then a CANCEL racing the 200.
    CancelRace,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::NonInvite => "options-200",
            Kind::Invite200 => "invite-200",
            Kind::Invite486 => "invite-486",
            Kind::CancelRace => "cancel-races-200",
        }
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The UAC side's transaction user.
struct Uac {
    kind: Kind,
    request: OwnedMessage,
    id: Option<TransactionId>,
    provisional: bool,
    finals: Vec<u16>,
    oks: u32,
    acks_sent: u32,
    timeout: Option<Timer>,
    cancel_at: Option<Instant>,
    cancel_wanted: bool,
    cancel_id: Option<TransactionId>,
    cancel_sent: Option<Instant>,
    cancel_final: Option<u16>,
    abandoned: bool,
    timers: TimerConfig,
}

impl Uac {
    fn dest() -> Destination {
        Destination::Addr {
            transport: TransportKind::Udp,
            addr: addr(BOB),
        }
    }

    fn start(&mut self, now: Instant, layer: &mut TransactionLayer) {
        self.id = Some(
            layer
                .send_request(now, self.request.clone(), Self::dest())
                .unwrap(),
        );
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let abandon = self
            .cancel_sent
            .filter(|_| self.finals.is_empty() && !self.abandoned)
            .map(|t| t + self.timers.timeout());
        [self.cancel_at, abandon].into_iter().flatten().min()
    }

    fn handle_timeout(&mut self, now: Instant, layer: &mut TransactionLayer) {
        if self.cancel_at.is_some_and(|t| t <= now) {
            self.try_cancel(now, layer);
        }
        if let Some(sent) = self.cancel_sent {
            if self.finals.is_empty() && !self.abandoned && sent + self.timers.timeout() <= now {
                // RFC 3261 §9.1: no final response 64*T1 after the CANCEL.
                self.abandoned = true;
                if let Some(id) = self.id {
                    layer.abandon(id);
                }
            }
        }
    }

    fn try_cancel(&mut self, now: Instant, layer: &mut TransactionLayer) {
        if !self.finals.is_empty() || self.timeout.is_some() {
            // A final response came first: CANCEL would be a no-op (§9.1).
            self.cancel_at = None;
            return;
        }
        self.cancel_at = None;
        if !self.provisional {
            // RFC 3261 §9.1: wait for a provisional response first.
            self.cancel_wanted = true;
            return;
        }
        self.cancel_wanted = false;
        let c = cancel(&self.request.message()).unwrap();
        self.cancel_id = Some(layer.send_request(now, c, Self::dest()).unwrap());
        self.cancel_sent = Some(now);
    }

    fn ack_2xx(&mut self, layer: &mut TransactionLayer, ok: &OwnedMessage) {
        let m = ok.message();
        let to = m.header(HeaderName::To).unwrap().value().into_owned();
        let from = m.header(HeaderName::From).unwrap().value().into_owned();
        let seq = m.cseq().unwrap().seq;
        self.acks_sent += 1;
        let ack = format!(
            "ACK sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKack{n}\r\n\
Max-Forwards: 70\r\nTo: {to}\r\nFrom: {from}\r\nCall-ID: {cid}\r\n\
CSeq: {seq} ACK\r\nContent-Length: 0\r\n\r\n",
            n = self.acks_sent,
            cid = m.call_id().unwrap(),
        );
        layer.send_stateless(Self::dest(), parse(ack.as_bytes()));
    }

    fn on_event(&mut self, now: Instant, layer: &mut TransactionLayer, e: Event) {
        match e {
            Event::Response { id, response } if Some(id) == self.id => {
                let code = response.message().status().unwrap();
                if code < 200 {
                    self.provisional = true;
                    if self.cancel_wanted {
                        self.try_cancel(now, layer);
                    }
                    return;
                }
                self.finals.push(code);
                if (200..300).contains(&code) && self.kind != Kind::NonInvite {
                    self.oks += 1;
                    self.ack_2xx(layer, &response);
                }
            }
            Event::Response { id, response } if Some(id) == self.cancel_id => {
                let code = response.message().status().unwrap();
                if code >= 200 {
                    self.cancel_final = Some(code);
                }
            }
            Event::StrayResponse { response, .. } => {
                let m = response.message();
                let is_invite_2xx = m.cseq().unwrap().method == "INVITE"
                    && (200..300).contains(&m.status().unwrap());
                if is_invite_2xx {
                    // A 2xx retransmission after the transaction ended: the
                    // UAC core ACKs every 2xx it receives (§13.2.2.4).
                    self.ack_2xx(layer, &response);
                }
            }
            Event::Timeout { id, timer } if Some(id) == self.id => self.timeout = Some(timer),
            _ => {}
        }
    }
}

/// The UAS side's transaction user.
struct Uas {
    kind: Kind,
    final_code: u16,
    ringing_after: Duration,
    final_after: Duration,
    invite: Option<(TransactionId, OwnedMessage)>,
    requests_seen: u32,
    pending: Vec<(Instant, TransactionId, OwnedMessage)>,
    final_sent: Option<u16>,
    retransmit: Option<Retransmit2xx>,
    got_ack: bool,
    ack_timeout: bool,
    timer_h: bool,
    timers: TimerConfig,
}

impl Uas {
    fn poll_timeout(&self) -> Option<Instant> {
        let ok = self
            .retransmit
            .as_ref()
            .and_then(Retransmit2xx::poll_timeout);
        self.pending.iter().map(|(t, _, _)| *t).chain(ok).min()
    }

    fn handle_timeout(&mut self, now: Instant, layer: &mut TransactionLayer) {
        let (due, rest): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|(t, _, _)| *t <= now);
        self.pending = rest;
        for (_, id, resp) in due {
            let code = resp.message().status().unwrap();
            if code >= 200 {
                if self.final_sent.is_some() {
                    continue; // a CANCEL already ended it with 487
                }
                self.final_sent = Some(code);
                if (200..300).contains(&code) && self.kind != Kind::NonInvite {
                    let dest = layer.server(id).unwrap().destination().clone();
                    // §13.3.1.4: the UAS core retransmits the 2xx until the ACK.
                    self.retransmit =
                        Some(Retransmit2xx::new(now, resp.clone(), dest, self.timers));
                }
            } else if self.final_sent.is_some() {
                continue;
            }
            layer.send_response(now, id, resp).unwrap();
        }
        if let Some(r) = self.retransmit.as_mut() {
            r.handle_timeout(now);
            let id = self.invite.as_ref().map(|(id, _)| *id).unwrap();
            while let Some(t) = r.poll_transmit() {
                if layer.send_response(now, id, t.message.clone()).is_err() {
                    layer.send_stateless(t.destination, t.message);
                }
            }
            if let Some(Retransmit2xxEvent::AckTimeout) = r.poll_event() {
                self.ack_timeout = true;
            }
        }
    }

    fn on_event(&mut self, now: Instant, layer: &mut TransactionLayer, e: Event, rng: &mut Net) {
        match e {
            Event::Request {
                id: Some(id),
                request,
                ..
            } => {
                self.requests_seen += 1;
                let method = request.message().method().unwrap().as_str().to_owned();
                match method.as_str() {
                    "CANCEL" => {
                        let target = layer.cancel_target(&request.message());
                        let code = if target.is_some() { 200 } else { 481 };
                        layer
                            .send_response(now, id, response(&request, code, Some("uas1")))
                            .unwrap();
                        self.requests_seen -= 1;
                        if let (Some(t), None) = (target, self.final_sent) {
                            // §9.2: the INVITE is answered 487.
                            let invite = self.invite.as_ref().unwrap().1.clone();
                            self.final_sent = Some(487);
                            self.pending.clear();
                            layer
                                .send_response(now, t, response(&invite, 487, Some("uas1")))
                                .unwrap();
                        }
                    }
                    "INVITE" => {
                        self.invite = Some((id, request.clone()));
                        let ring = now + rng.between(Duration::ZERO, self.ringing_after);
                        self.pending
                            .push((ring, id, response(&request, 180, Some("uas1"))));
                        let fin = ring + rng.between(Duration::ZERO, self.final_after);
                        self.pending.push((
                            fin,
                            id,
                            response(&request, self.final_code, Some("uas1")),
                        ));
                    }
                    _ => {
                        let fin = now + rng.between(Duration::ZERO, self.final_after);
                        self.pending
                            .push((fin, id, response(&request, 200, Some("uas1"))));
                    }
                }
            }
            Event::Request { id: None, .. } | Event::Ack { .. } => {
                if let Some(r) = self.retransmit.as_mut() {
                    self.got_ack = true;
                    r.ack_received();
                }
            }
            Event::Timeout {
                timer: Timer::H, ..
            } => self.timer_h = true,
            _ => {}
        }
    }
}

struct World {
    scenario: String,
    seed: u64,
    loss: f64,
    net: Net,
    la: TransactionLayer,
    lb: TransactionLayer,
    uac: Uac,
    uas: Uas,
    first_seen: HashMap<(u8, TransactionId), Instant>,
    violations: Vec<Violation>,
}

impl World {
    fn new(kind: Kind, loss: f64, seed: u64) -> Self {
        let timers = TimerConfig::default();
        let config = LayerConfig::default();
        let method = if kind == Kind::NonInvite {
            "OPTIONS"
        } else {
            "INVITE"
        };
        let mut net = Net::new(seed, NetConfig::lossy(loss));
        let cancel_at = (kind == Kind::CancelRace).then(|| {
            Duration::from_millis(200) + net.between(Duration::ZERO, Duration::from_millis(1500))
        });
        let t0 = Instant::now();
        Self {
            scenario: format!("{} at {:.0}% loss", kind.name(), loss * 100.0),
            seed,
            loss,
            la: TransactionLayer::new(config),
            lb: TransactionLayer::new(config),
            uac: Uac {
                kind,
                request: request(method, &format!("z9hG4bKsim{seed}"), "UDP", 1),
                id: None,
                provisional: false,
                finals: Vec::new(),
                oks: 0,
                acks_sent: 0,
                timeout: None,
                cancel_at: cancel_at.map(|d| t0 + d),
                cancel_wanted: false,
                cancel_id: None,
                cancel_sent: None,
                cancel_final: None,
                abandoned: false,
                timers,
            },
            uas: Uas {
                kind,
                final_code: if kind == Kind::Invite486 { 486 } else { 200 },
                ringing_after: Duration::from_millis(300),
                final_after: Duration::from_millis(1500),
                invite: None,
                requests_seen: 0,
                pending: Vec::new(),
                final_sent: None,
                retransmit: None,
                got_ack: false,
                ack_timeout: false,
                timer_h: false,
                timers,
            },
            net,
            first_seen: HashMap::new(),
            violations: Vec::new(),
        }
        .started(t0)
    }

    fn started(mut self, t0: Instant) -> Self {
        self.uac.start(t0, &mut self.la);
        self
    }

    fn violation(&mut self, what: String) {
        // The first few per run say enough; the rest would only repeat.
        if self.violations.len() >= 3 {
            return;
        }
        self.violations.push(Violation {
            scenario: self.scenario.clone(),
            seed: self.seed,
            what,
        });
    }

    /// Moves transmits to the network and events to the TUs until quiet.
    fn pump(&mut self, now: Instant) {
        for _ in 0..10_000 {
            let mut moved = false;
            for (layer, from) in [(&mut self.la, ALICE), (&mut self.lb, BOB)] {
                while let Some(t) = layer.poll_transmit() {
                    moved = true;
                    let Destination::Addr { addr: to, .. } = t.destination else {
                        panic!("unresolved destination {:?}", t.destination);
                    };
                    self.net.send(
                        now,
                        Datagram {
                            from: addr(from),
                            to,
                            bytes: t.message.bytes().clone(),
                        },
                    );
                }
            }
            while let Some(e) = self.la.poll_event() {
                moved = true;
                self.uac.on_event(now, &mut self.la, e);
            }
            while let Some(e) = self.lb.poll_event() {
                moved = true;
                self.uas.on_event(now, &mut self.lb, e, &mut self.net);
            }
            if !moved {
                return;
            }
        }
        self.violation("pump did not settle".into());
    }

    fn check_step(&mut self, now: Instant) {
        let mut problems = Vec::new();
        for (host, layer) in [(0u8, &self.la), (1u8, &self.lb)] {
            if layer.len() > 6 {
                problems.push(format!("host {host} holds {} transactions", layer.len()));
            }
            for id in layer.ids() {
                let born = *self.first_seen.entry((host, id)).or_insert(now);
                if now.duration_since(born) > MAX_LIFETIME {
                    problems.push(format!("host {host} {id} outlived its timers"));
                }
                // Waiting for the TU is not a leak: an INVITE client in
                // Proceeding (the TU CANCELs, §9.1) and a server
                // transaction before its final response.
                let waits_for_tu = layer
                    .client(id)
                    .is_some_and(|c| c.state() == ClientState::Proceeding)
                    || layer.server(id).is_some_and(|s| {
                        matches!(s.state(), ServerState::Trying | ServerState::Proceeding)
                    });
                let has_timer = layer
                    .client(id)
                    .map(|c| c.poll_timeout().is_some())
                    .or_else(|| layer.server(id).map(|s| s.poll_timeout().is_some()))
                    .unwrap_or(false);
                if !has_timer && !waits_for_tu {
                    problems.push(format!("host {host} {id} has no timer"));
                }
            }
        }
        for p in problems {
            self.violation(p);
        }
    }

    /// How the UAC's request ended, for the per-scenario tally.
    fn outcome(&self) -> String {
        let u = &self.uac;
        match (u.finals.first(), u.timeout, u.abandoned) {
            (Some(c), _, _) if u.kind != Kind::NonInvite && (200..300).contains(c) => {
                "established".into()
            }
            (Some(c), _, _) => c.to_string(),
            (None, Some(t), _) => format!("timeout {t}"),
            (None, None, true) => "abandoned after CANCEL".into(),
            (None, None, false) => "no outcome".into(),
        }
    }

    fn run(mut self) -> (Vec<Violation>, String) {
        let t0 = Instant::now();
        let mut now = t0;
        self.pump(now);
        for _ in 0..100_000 {
            let next = [
                self.net.next_time(),
                self.la.poll_timeout(),
                self.lb.poll_timeout(),
                self.uac.poll_timeout(),
                self.uas.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { break };
            if next > t0 + END {
                break;
            }
            if next < now {
                self.violation(format!("a timer in the past: {:?} before now", now - next));
                break;
            }
            now = next;
            while let Some(d) = self.net.pop_due(now) {
                let layer = if d.to == addr(ALICE) {
                    &mut self.la
                } else {
                    &mut self.lb
                };
                let input = Input::Received {
                    transport: TransportKind::Udp,
                    source: d.from,
                    bytes: d.bytes,
                };
                if let Err(e) = layer.handle_input(now, input) {
                    self.violation(format!("layer refused a peer message: {e}"));
                }
            }
            self.la.handle_timeout(now);
            self.lb.handle_timeout(now);
            self.uac.handle_timeout(now, &mut self.la);
            self.uas.handle_timeout(now, &mut self.lb);
            self.pump(now);
            self.check_step(now);
        }
        if !self.la.is_empty() || !self.lb.is_empty() {
            let what = format!(
                "transactions left at the end: alice {}, bob {}",
                self.la.len(),
                self.lb.len()
            );
            self.violation(what);
        }
        self.check_outcome();
        let outcome = self.outcome();
        (self.violations, outcome)
    }

    /// Every call ends as the RFC prescribes for its scenario.
    fn check_outcome(&mut self) {
        let uac = &self.uac;
        let uas = &self.uas;
        let lossless = self.loss == 0.0;
        let mut bad = Vec::new();
        if uas.requests_seen > 1 {
            bad.push(format!(
                "UAS core saw the request {} times",
                uas.requests_seen
            ));
        }
        let non_2xx: Vec<u16> = uac.finals.iter().copied().filter(|c| *c >= 300).collect();
        match uac.kind {
            Kind::NonInvite => match (uac.finals.as_slice(), uac.timeout) {
                ([200], None) => {}
                ([], Some(Timer::F)) if !lossless => {}
                other => bad.push(format!("OPTIONS ended as {other:?}")),
            },
            Kind::Invite200 | Kind::Invite486 | Kind::CancelRace => {
                let established = uac.oks > 0;
                if !non_2xx.is_empty() && (established || non_2xx.len() > 1) {
                    bad.push(format!("INVITE finals {:?}", uac.finals));
                }
                if established && uac.acks_sent < uac.oks {
                    bad.push("a 2xx went un-ACKed".into());
                }
                if uas.got_ack && !established {
                    bad.push("UAS got an ACK for a 2xx the UAC never saw".into());
                }
                let expected = match uac.kind {
                    Kind::Invite200 => established,
                    Kind::Invite486 => non_2xx == [486],
                    _ => established || non_2xx == [487],
                };
                let failed_as_prescribed = uac.timeout == Some(Timer::B) && uac.finals.is_empty()
                    || uac.abandoned && uac.finals.is_empty();
                if !(expected || (!lossless && failed_as_prescribed)) {
                    bad.push(format!(
                        "INVITE ended as finals {:?}, timeout {:?}, abandoned {}",
                        uac.finals, uac.timeout, uac.abandoned
                    ));
                }
                if let Some(code) = non_2xx.first() {
                    if uas.final_sent != Some(*code) {
                        bad.push(format!("UAC got {code}, UAS sent {:?}", uas.final_sent));
                    }
                }
                if established && uas.final_sent != Some(200) {
                    bad.push(format!("UAC established, UAS sent {:?}", uas.final_sent));
                }
                if lossless {
                    if established && !uas.got_ack {
                        bad.push("lossless 2xx never ACKed at the UAS".into());
                    }
                    if uas.timer_h {
                        bad.push("lossless non-2xx: Timer H fired".into());
                    }
                }
                if uas.ack_timeout && uas.got_ack {
                    bad.push("ACK timeout after the ACK".into());
                }
            }
        }
        for b in bad {
            self.violation(b);
        }
    }
}

#[test]
fn sim_transactions() {
    let kinds = [
        Kind::NonInvite,
        Kind::Invite200,
        Kind::Invite486,
        Kind::CancelRace,
    ];
    let (violations, runs) = run_matrix(
        &kinds,
        Kind::name,
        [0.0, 0.10, 0.30],
        &|kind, loss, seed| World::new(kind, loss, seed).run(),
        &|_, _, _, v: Violation| v.to_string(),
    );
    assert!(runs > 0);
    assert!(
        violations.is_empty(),
        "{} invariant violations",
        violations.len()
    );
}
