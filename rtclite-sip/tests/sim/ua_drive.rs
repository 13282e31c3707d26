//! A driver that turns arbitrary bytes into a sequence of inputs for one
//! `UserAgent` — raw datagrams, answers and requests built from the
//! messages it sent (so that they match its transactions and dialogs),
//! time steps and every user command — and checks its invariants. Shared
//! by the cargo-fuzz target `fuzz/fuzz_targets/sip_ua_session.rs` and the
//! proptest in `tests/flows_ua_arbitrary.rs`.

use std::time::{Duration, Instant};

use rand_core::RngCore;
use rtclite_sip::builder::{MessageBuilder, response_to};
use rtclite_sip::transaction::{Input, LayerConfig};
use rtclite_sip::transport::TransportKind;
use rtclite_sip::ua::{Body, CallHandle, UaConfig, UaEvent, UserAgent};
use rtclite_sip::{HeaderName, OwnedMessage};

const MAX_CALLS: usize = 8;
const MAX_TX: usize = 64;
const CODES: [u16; 12] = [100, 180, 183, 200, 401, 407, 420, 481, 486, 487, 491, 603];
const METHODS: [&str; 9] = [
    "INVITE", "ACK", "BYE", "CANCEL", "PRACK", "OPTIONS", "MESSAGE", "INFO", "UPDATE",
];

/// A small deterministic RNG (xorshift64*), so the driver needs no crate
/// beyond `rand_core`.
pub(crate) struct Rng(u64);

impl RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u32() as u8;
        }
    }
}

fn input(bytes: Vec<u8>, reliable: bool) -> Input {
    Input::Received {
        transport: if reliable {
            TransportKind::Tcp
        } else {
            TransportKind::Udp
        },
        source: ([192, 0, 2, 50], 5060).into(),
        bytes: bytes.into(),
    }
}

/// A response from the peer to a request the agent sent.
fn response(req: &OwnedMessage, code: u16, tag: u8, rseq: u8) -> Option<Vec<u8>> {
    let msg = req.message();
    let to_tag = (code > 100).then(|| format!("p{}", tag % 3));
    let r = response_to(&msg, code, "X", to_tag.as_deref()).ok()?;
    let mut b = MessageBuilder::from_message(&r.message()).header(
        HeaderName::Contact,
        format!("<sip:peer@192.0.2.{}>", 50 + tag % 3),
    );
    match code {
        180 | 183 if rseq & 1 == 1 => {
            b = b
                .header(HeaderName::Require, "100rel")
                .header(HeaderName::RSeq, (u32::from(rseq >> 1) + 1).to_string());
            // A session description in a reliable 183: an answer, or the
            // offer when the INVITE had none (RFC 3262 §5).
            if code == 183 && rseq & 2 == 2 {
                b = b.body("application/sdp", b"v=0\r\n".to_vec());
            }
        }
        200 if msg.method().is_some_and(|m| m.as_str() == "INVITE") => {
            b = b.body("application/sdp", b"v=0\r\n".to_vec());
            // Session timers (RFC 4028): an interval and a refresher chosen
            // by the peer, sometimes malformed.
            b = session_expires(b, rseq);
        }
        200 if msg.method().is_some_and(|m| m.as_str() == "UPDATE") => {
            b = session_expires(b, rseq);
        }
        // A 422 (Session Interval Too Small), Min-SE below or above 90.
        422 => {
            b = b.header(HeaderName::MinSe, (60 + u32::from(rseq) * 20).to_string());
        }
        401 => {
            b = b.header(
                HeaderName::WwwAuthenticate,
                format!("Digest realm=\"x\", nonce=\"n{}\", qop=\"auth\"", rseq % 2),
            );
        }
        407 => {
            b = b.header(
                HeaderName::ProxyAuthenticate,
                format!("Digest realm=\"x\", nonce=\"n{}\"", rseq % 2),
            );
        }
        420 => b = b.header(HeaderName::Unsupported, "100rel"),
        _ => {}
    }
    Some(b.build().ok()?.bytes().to_vec())
}

/// `Session-Expires` chosen by `sel` on a 2xx: none, valid with either
/// refresher, below the minimum, or malformed.
fn session_expires(b: MessageBuilder, sel: u8) -> MessageBuilder {
    let value = match sel % 5 {
        0 => return b,
        1 => "90;refresher=uac".to_owned(),
        2 => format!("{};refresher=uas", 90 + u32::from(sel)),
        3 => "30;refresher=uac".to_owned(),
        _ => "soon;refresher=none".to_owned(),
    };
    b.header(HeaderName::SessionExpires, value)
}

/// A request from the peer inside the dialog of a message the agent sent
/// or received: From and To swapped when it was the agent's request.
fn request(seen: &OwnedMessage, method: &str, sel: u8) -> Option<Vec<u8>> {
    let msg = seen.message();
    let ours = msg.is_request() && msg.top_via().ok()?.host.to_string() == "192.0.2.101";
    let (from, to) = {
        let f = msg.header(HeaderName::From)?.value().into_owned();
        let t = msg.header(HeaderName::To)?.value().into_owned();
        if ours || !msg.is_request() {
            (t, f)
        } else {
            (f, t)
        }
    };
    let to = if to.contains("tag=") || sel & 1 == 0 {
        to
    } else {
        format!("{to};tag=p{}", sel % 3)
    };
    let from = if from.contains("tag=") {
        from
    } else {
        format!("{from};tag=p{}", sel % 3)
    };
    let cseq = msg.cseq().ok()?.seq.wrapping_add(u32::from(sel >> 4));
    let mut b = MessageBuilder::request(
        rtclite_sip::Method::from_token(method),
        "sip:alice@192.0.2.101:5060",
    )
    .header(
        HeaderName::Via,
        format!("SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKf{sel}{cseq}"),
    )
    .header(HeaderName::MaxForwards, "70")
    .header(HeaderName::From, from)
    .header(HeaderName::To, to)
    .header(HeaderName::CallId, msg.call_id().ok()?)
    .header(HeaderName::CSeq, format!("{cseq} {method}"))
    .header(HeaderName::Contact, "<sip:peer@192.0.2.50>");
    if method == "PRACK" {
        b = b.header(
            HeaderName::RAck,
            format!(
                "{} {} INVITE",
                msg.rseq().and_then(Result::ok).unwrap_or(1),
                msg.cseq().ok()?.seq
            ),
        );
    }
    if matches!(method, "INVITE" | "MESSAGE") && sel & 2 == 0 {
        let ct = if method == "MESSAGE" {
            "text/plain"
        } else {
            "application/sdp"
        };
        b = b.body(ct, b"v=0\r\n".to_vec());
    }
    // An answer (to an offer in a reliable 1xx or a 2xx), or an offer in
    // a PRACK (RFC 3262 §5).
    if matches!(method, "PRACK" | "ACK" | "UPDATE") && sel & 2 == 0 {
        b = b.body("application/sdp", b"v=0\r\n".to_vec());
    }
    if method == "INVITE" && sel & 4 != 0 {
        b = b.header(HeaderName::Supported, "100rel");
    }
    // A session refresh request from the peer (RFC 4028): Supported timer,
    // Session-Expires (below, at and above the minimum), Min-SE.
    if matches!(method, "INVITE" | "UPDATE") && sel & 8 != 0 {
        b = b.header(HeaderName::Supported, "timer").header(
            HeaderName::SessionExpires,
            format!(
                "{};refresher=ua{}",
                30 + u32::from(sel) * 4,
                if sel & 16 == 0 { 'c' } else { 's' }
            ),
        );
        if sel & 32 != 0 {
            b = b.header(HeaderName::MinSe, (u32::from(sel) * 2).to_string());
        }
    }
    Some(b.build().ok()?.bytes().to_vec())
}

/// Runs `data` against a fresh agent; returns the first broken invariant.
pub(crate) fn run(data: &[u8]) -> Result<(), String> {
    let mut config = UaConfig::new(
        "Alice <sip:alice@atlanta.example.com>",
        "sip:alice@192.0.2.101:5060",
        "SIP/2.0/UDP 192.0.2.101:5060",
    );
    config.max_calls = MAX_CALLS;
    config.update = true;
    config.layer = LayerConfig {
        max_transactions: MAX_TX,
        ..LayerConfig::default()
    };
    config.credentials = Some(rtclite_sip::ua::DigestCredentials {
        username: "alice".into(),
        password: "pw".into(),
    });
    let mut ua = UserAgent::new(config, Rng(0x5eed_1234_abcd_ef01));
    let t0 = Instant::now();
    let mut now = t0;
    let mut sent: Vec<OwnedMessage> = Vec::new();
    let mut received: Vec<OwnedMessage> = Vec::new();
    let mut calls: Vec<CallHandle> = Vec::new();
    let mut rest = data;
    for _ in 0..256 {
        let [op, a, b, tail @ ..] = rest else { break };
        rest = tail;
        match op {
            0..=31 => {
                let len = usize::from(*a) * 4 + usize::from(*b) % 4;
                let (bytes, tail) = rest.split_at(len.min(rest.len()));
                rest = tail;
                let _ = ua.handle_input(now, input(bytes.to_vec(), op & 1 == 1));
            }
            32..=95 => {
                let Some(req) = pick(&sent, *a, |m| m.message().is_request()) else {
                    continue;
                };
                let code = CODES[usize::from(*b) % CODES.len()];
                // 422 with Min-SE (RFC 4028 §6) in place of some 420s.
                let code = if code == 420 && *a & 8 == 8 {
                    422
                } else {
                    code
                };
                if let Some(bytes) = response(req, code, *a >> 4, *b >> 4) {
                    let _ = ua.handle_input(now, input(bytes.clone(), op & 1 == 1));
                    received.push(OwnedMessage::parse(bytes.into()).map_err(|e| e.to_string())?);
                }
            }
            96..=143 => {
                let pool: Vec<OwnedMessage> = sent.iter().chain(received.iter()).cloned().collect();
                let Some(seen) = pick(&pool, *a, |_| true) else {
                    continue;
                };
                let method = METHODS[usize::from(*op) % METHODS.len()];
                if let Some(bytes) = request(seen, method, *b) {
                    let _ = ua.handle_input(now, input(bytes.clone(), false));
                    received.push(OwnedMessage::parse(bytes.into()).map_err(|e| e.to_string())?);
                }
            }
            144..=175 => {
                now += Duration::from_millis(u64::from(*a) * 64 + u64::from(*b));
                ua.handle_timeout(now);
                if ua.poll_timeout().is_some_and(|t| t <= now) {
                    return Err("a timer due now survived handle_timeout".into());
                }
            }
            _ => {
                let call = calls.get(usize::from(*b) % calls.len().max(1)).copied();
                let body = Body::sdp(&b"v=0\r\n"[..]);
                let _ = match (a % 12, call) {
                    (0, _) => ua
                        .call(now, "sip:bob@192.0.2.50:5060", body)
                        .map(|h| calls.push(h)),
                    (1, Some(c)) => ua.ring(now, c),
                    (2, Some(c)) => ua.early_media(now, c, body),
                    (3, Some(c)) => ua.answer(now, c, Some(body)),
                    (4, Some(c)) => ua.reject(now, c, 486),
                    (5, Some(c)) => ua.cancel(now, c),
                    (6, Some(c)) => ua.hang_up(now, c),
                    (7, Some(c)) if b & 2 == 2 => ua.reinvite_without_offer(now, c),
                    (7, Some(c)) => ua.reinvite(now, c, body),
                    (8, Some(c)) => ua
                        .send_message_in_call(now, c, Body::text("hi"))
                        .map(|_| ()),
                    (9, _) => ua
                        .send_message(now, "sip:bob@192.0.2.50", Body::text("hi"))
                        .map(|_| ()),
                    (10, _) => ua.options(now, "sip:bob@192.0.2.50").map(|_| ()),
                    // Offerless INVITEs and the answers to the peer's offers
                    // (RFC 3261 §13.2.1, RFC 3262 §5).
                    (11, Some(c)) if b & 1 == 0 => ua.answer_offer(now, c, body),
                    (11, Some(c)) if b & 6 == 2 => ua.update(now, c, body),
                    (11, Some(c)) if b & 6 == 6 => ua.reject_offer(now, c, 488),
                    (11, _) => ua
                        .call_without_offer(now, "sip:bob@192.0.2.50:5060")
                        .map(|h| calls.push(h)),
                    _ => Ok(()),
                };
            }
        }
        drain(&mut ua, &mut sent, &mut calls);
        if ua.call_count() > MAX_CALLS + 1 {
            return Err(format!("{} calls above the limit", ua.call_count()));
        }
        if ua.transactions().len() > MAX_TX {
            return Err(format!(
                "{} transactions above the limit",
                ua.transactions().len()
            ));
        }
        if sent.len() > 4096 {
            sent.drain(..2048);
        }
        if received.len() > 4096 {
            received.drain(..2048);
        }
    }
    // Wind down: the user hangs up every call; then every call, transaction
    // and timer must end by itself.
    for c in calls.clone() {
        let _ = ua.hang_up(now, c);
        drain(&mut ua, &mut sent, &mut calls);
    }
    for _ in 0..100_000 {
        let Some(t) = ua.poll_timeout() else { break };
        now = now.max(t);
        ua.handle_timeout(now);
        drain(&mut ua, &mut sent, &mut calls);
        for c in calls.clone() {
            let _ = ua.hang_up(now, c);
        }
        if now - t0 > Duration::from_secs(3600) {
            break;
        }
    }
    if ua.call_count() != 0 {
        return Err(format!("{} calls never ended", ua.call_count()));
    }
    if !ua.transactions().is_empty() {
        return Err(format!(
            "{} transactions never ended",
            ua.transactions().len()
        ));
    }
    Ok(())
}

fn pick(v: &[OwnedMessage], i: u8, f: impl Fn(&OwnedMessage) -> bool) -> Option<&OwnedMessage> {
    let c: Vec<&OwnedMessage> = v.iter().rev().filter(|m| f(m)).take(16).collect();
    c.get(usize::from(i) % c.len().max(1)).copied()
}

fn drain(ua: &mut UserAgent<Rng>, sent: &mut Vec<OwnedMessage>, calls: &mut Vec<CallHandle>) {
    while let Some(t) = ua.poll_transmit() {
        sent.push(t.message);
    }
    while let Some(e) = ua.poll_event() {
        match e {
            UaEvent::IncomingCall { call, .. } => calls.push(call),
            UaEvent::Terminated { call, .. } => calls.retain(|c| *c != call),
            _ => {}
        }
    }
}
