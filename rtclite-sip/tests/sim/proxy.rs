//! A harness for the proxy tests: one [`Proxy`] on a virtual clock, a
//! policy whose next hops and challenges the test sets, and helpers that
//! compare messages field by field the way RFC 3665 prints them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtclite_sip::proxy::{
    Proxy, ProxyConfig, ProxyError, ProxyEvent, ProxyPolicy, uri_destination,
};
use rtclite_sip::registrar::{
    Binding, InMemoryLocationService, LocationService, Registrar, RegistrarConfig,
};
use rtclite_sip::transaction::{Input, Transmit};
use rtclite_sip::transport::{Destination, TransportKind};
use rtclite_sip::{HeaderName, Message, OwnedMessage, SipUri};

/// A policy for tests: next hops by host name, an optional challenge.
#[derive(Debug, Default)]
pub(crate) struct TestPolicy {
    /// Host name → where it resolves.
    pub(crate) hops: HashMap<String, Vec<Destination>>,
    /// Answer requests without Proxy-Authorization with this response
    /// builder's output.
    pub(crate) challenge: Option<fn(&Message<'_>) -> OwnedMessage>,
    /// Fixed targets for every request to our domain.
    pub(crate) targets: Option<Vec<String>>,
}

impl ProxyPolicy for TestPolicy {
    fn authorize(&mut self, _now: Instant, request: &Message<'_>) -> Option<OwnedMessage> {
        let make = self.challenge?;
        if request.header(HeaderName::ProxyAuthorization).is_some() {
            return None;
        }
        Some(make(request))
    }

    fn targets(
        &mut self,
        _now: Instant,
        _request: &Message<'_>,
        _aor: &str,
    ) -> Option<Vec<String>> {
        self.targets.clone()
    }

    fn next_hops(&mut self, uri: &SipUri<'_>) -> Vec<Destination> {
        match self.hops.get(&uri.host.to_string()) {
            Some(d) => d.clone(),
            None => vec![uri_destination(uri)],
        }
    }
}

pub(crate) type TestProxy = Proxy<InMemoryLocationService, TestPolicy>;

/// One proxy on a virtual clock, with everything it sent and reported.
pub(crate) struct Harness {
    pub(crate) proxy: TestProxy,
    pub(crate) t0: Instant,
    pub(crate) now: Instant,
    pub(crate) sent: Vec<Transmit>,
    pub(crate) events: Vec<ProxyEvent>,
}

impl Harness {
    /// A proxy with `config`, these bindings in its location service and
    /// this policy.
    pub(crate) fn new(config: ProxyConfig, bindings: &[(&str, &str)], policy: TestPolicy) -> Self {
        let t0 = Instant::now();
        let mut location = InMemoryLocationService::new();
        let mut by_aor: BTreeMap<&str, Vec<Binding>> = BTreeMap::new();
        for (i, (aor, contact)) in bindings.iter().enumerate() {
            by_aor.entry(aor).or_default().push(Binding {
                uri: (*contact).to_owned(),
                call_id: format!("reg{i}"),
                cseq: 1,
                expires_at: t0 + Duration::from_secs(3600),
                q: None,
            });
        }
        for (aor, b) in by_aor {
            location.replace(aor, b).unwrap();
        }
        let registrar = Registrar::new(
            RegistrarConfig {
                domains: config.domains.clone(),
                ..RegistrarConfig::default()
            },
            location,
        );
        Self {
            proxy: Proxy::new(config, registrar, policy),
            t0,
            now: t0,
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Delivers `bytes` from `from` over `transport`; returns what the
    /// proxy sent in response.
    pub(crate) fn recv(
        &mut self,
        from: &str,
        transport: TransportKind,
        bytes: &[u8],
    ) -> Vec<Transmit> {
        let r = self.try_recv(from, transport, bytes);
        assert!(r.is_ok(), "proxy refused input: {r:?}");
        self.drain()
    }

    pub(crate) fn try_recv(
        &mut self,
        from: &str,
        transport: TransportKind,
        bytes: &[u8],
    ) -> Result<(), ProxyError> {
        let source: SocketAddr = from.parse().unwrap();
        self.proxy.handle_input(
            self.now,
            Input::Received {
                transport,
                source,
                bytes: Bytes::copy_from_slice(bytes),
            },
        )
    }

    /// Moves the clock by `d`, firing what is due; returns what was sent.
    pub(crate) fn advance(&mut self, d: Duration) -> Vec<Transmit> {
        let end = self.now + d;
        let mut out = Vec::new();
        for _ in 0..100_000 {
            match self.proxy.poll_timeout() {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.proxy.handle_timeout(self.now);
                    out.extend(self.drain());
                }
                _ => break,
            }
        }
        self.now = end;
        self.proxy.handle_timeout(end);
        out.extend(self.drain());
        out
    }

    /// Everything queued now.
    pub(crate) fn drain(&mut self) -> Vec<Transmit> {
        let mut out = Vec::new();
        while let Some(t) = self.proxy.poll_transmit() {
            out.push(t);
        }
        while let Some(e) = self.proxy.poll_event() {
            self.events.push(e);
        }
        self.sent.extend(out.iter().cloned());
        out
    }
}

/// A UDP or TCP destination.
pub(crate) fn addr(transport: TransportKind, a: &str) -> Destination {
    Destination::Addr {
        transport,
        addr: a.parse().unwrap(),
    }
}

/// An RFC 3665 message by name (`3.2_F5`), as extracted.
pub(crate) fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/vectors/rfc3665/{name}.sip",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A header value with folding undone and the white space around `;`,
/// `,` and `=` removed (RFC 3665 folds Via before `;received`).
fn normalise(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut pending_space = false;
    for c in v.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space
            && !matches!(c, ';' | ',' | '=')
            && !out.ends_with([';', ',', '='])
            && !out.is_empty()
        {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// Start line, then every header field's values in order (grouped by
/// name, long form), then the body.
pub(crate) fn fields(m: &Message<'_>) -> (String, BTreeMap<String, Vec<String>>, Vec<u8>) {
    let start = match (m.method(), m.request_uri(), m.status()) {
        (Some(method), Some(uri), _) => format!("{} {uri}", method.as_str()),
        (_, _, Some(code)) => format!("{code}"),
        _ => String::new(),
    };
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for h in m.headers() {
        let name = h.canonical_name().to_ascii_lowercase();
        let value = h.value();
        let list = map.entry(name.clone()).or_default();
        // Lists of name-addr or Via values may be split over lines.
        let splittable = matches!(
            h.kind(),
            HeaderName::Via | HeaderName::Route | HeaderName::RecordRoute | HeaderName::Contact
        );
        if splittable {
            for v in split_list(&value) {
                list.push(normalise(&v));
            }
        } else {
            list.push(normalise(&value));
        }
    }
    (start, map, m.body().to_vec())
}

/// Splits a header value at commas outside quotes and angle brackets.
fn split_list(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle) = (false, false);
    for c in v.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(cur.trim().to_owned());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// Asserts that `got` carries exactly the start line, header field values
/// (per name, in order) and body of `expected`.
pub(crate) fn assert_same_message(got: &OwnedMessage, expected: &[u8], what: &str) {
    let exp =
        Message::parse(expected).unwrap_or_else(|e| panic!("{what}: expected does not parse: {e}"));
    let g = fields(&got.message());
    let e = fields(&exp);
    assert_eq!(g.0, e.0, "{what}: start line");
    assert_eq!(
        g.1,
        e.1,
        "{what}: header fields\n--- got:\n{}",
        String::from_utf8_lossy(got.bytes())
    );
    assert_eq!(g.2, e.2, "{what}: body");
}

/// The branch of the top Via of `m`.
pub(crate) fn top_branch(m: &OwnedMessage) -> String {
    m.message().top_via().unwrap().branch().unwrap().to_owned()
}

/// Status code or 0.
pub(crate) fn status(t: &Transmit) -> u16 {
    t.message.message().status().unwrap_or(0)
}

/// Method or "".
pub(crate) fn method(t: &Transmit) -> String {
    t.message
        .message()
        .method()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default()
}

/// A response to `request` as a UAS would send it.
pub(crate) fn answer(request: &OwnedMessage, code: u16, tag: Option<&str>) -> Vec<u8> {
    let reason = match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        _ => "Status",
    };
    rtclite_sip::builder::response_to(&request.message(), code, reason, tag)
        .unwrap()
        .bytes()
        .to_vec()
}
