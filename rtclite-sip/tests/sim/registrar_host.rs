//! A registrar element for the simulations: a transaction layer, the
//! crate's `Registrar` and a digest challenge on every REGISTER without
//! valid credentials (RFC 3261 §10.3 step 2, §22.2).

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_sip::builder::{MessageBuilder, response_to};
use rtclite_sip::digest::{Algorithm, Credentials, DigestServer, Verdict};
use rtclite_sip::registrar::{InMemoryLocationService, Registrar, RegistrarConfig};
use rtclite_sip::transaction::{Event, Input, LayerConfig, TransactionLayer, Transmit};
use rtclite_sip::transport::TransportKind;
use rtclite_sip::{HeaderName, Method};

use super::phones::Element;

/// The registrar element; `bindings` counts the 2xx it sent to REGISTERs
/// that added a binding, `removals` those that removed one.
pub(crate) struct RegistrarHost {
    addr: SocketAddr,
    t0: Instant,
    layer: TransactionLayer,
    registrar: Registrar<InMemoryLocationService>,
    digest: DigestServer,
    rng: ChaCha8Rng,
    users: Vec<(String, String)>,
    pub(crate) bindings: Rc<Cell<u32>>,
    pub(crate) removals: Rc<Cell<u32>>,
}

impl RegistrarHost {
    pub(crate) fn new(addr: SocketAddr, domain: &str, users: &[(&str, &str)], seed: u64) -> Self {
        Self {
            addr,
            t0: Instant::now(),
            layer: TransactionLayer::new(LayerConfig::default()),
            registrar: Registrar::new(
                RegistrarConfig {
                    domains: vec![domain.to_owned()],
                    ..RegistrarConfig::default()
                },
                InMemoryLocationService::new(),
            ),
            digest: DigestServer::new(domain, b"sim secret", Algorithm::Md5, 300),
            rng: ChaCha8Rng::seed_from_u64(seed),
            users: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
            bindings: Rc::new(Cell::new(0)),
            removals: Rc::new(Cell::new(0)),
        }
    }

    fn process(&mut self, now: Instant) {
        while let Some(e) = self.layer.poll_event() {
            let Event::Request {
                id: Some(id),
                request,
                ..
            } = e
            else {
                continue;
            };
            let msg = request.message();
            if msg.method() != Some(Method::Register) {
                if let Ok(r) = response_to(&msg, 405, "Method Not Allowed", Some("reg")) {
                    let _ = self.layer.send_response(now, id, r);
                }
                continue;
            }
            let secs = now.saturating_duration_since(self.t0).as_secs();
            let verdict = msg
                .auth(HeaderName::Authorization)
                .filter_map(Result::ok)
                .find_map(|a| Credentials::parse(&a).ok())
                .map(|c| {
                    let users = &self.users;
                    self.digest.verify(&c, "REGISTER", b"", secs, |u| {
                        users.iter().find(|(n, _)| n == u).map(|(_, p)| p.clone())
                    })
                });
            let response = match verdict {
                Some(Verdict::Ok) => self.registrar.handle_register(now, &msg),
                other => {
                    let stale = other == Some(Verdict::Stale);
                    let challenge = self.digest.challenge(secs, stale, &mut self.rng);
                    // [RFC 3261 §22.2 test] "The WWW-Authenticate response-header
                    // field MUST be included in 401 (Unauthorized) response
                    // messages."
                    response_to(&msg, 401, "Unauthorized", Some("reg"))
                        .ok()
                        .and_then(|r| {
                            MessageBuilder::from_message(&r.message())
                                .header(HeaderName::WwwAuthenticate, challenge.to_header_value())
                                .build()
                                .ok()
                        })
                }
            };
            if let Some(r) = response {
                if r.message().status() == Some(200) {
                    let removal = msg.expires().and_then(Result::ok) == Some(0);
                    let c = if removal {
                        &self.removals
                    } else {
                        &self.bindings
                    };
                    c.set(c.get() + 1);
                }
                let _ = self.layer.send_response(now, id, r);
            }
        }
    }
}

impl Element for RegistrarHost {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn input(&mut self, now: Instant, from: SocketAddr, bytes: bytes::Bytes) {
        let _ = self.layer.handle_input(
            now,
            Input::Received {
                transport: TransportKind::Udp,
                source: from,
                bytes,
            },
        );
        self.process(now);
    }

    fn timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
        self.process(now);
    }

    fn next_timeout(&self) -> Option<Instant> {
        self.layer.poll_timeout()
    }

    fn transmit(&mut self) -> Option<Transmit> {
        self.layer.poll_transmit()
    }
}
