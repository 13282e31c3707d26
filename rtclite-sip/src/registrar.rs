//! A registrar (RFC 3261 §10.3) over a [`LocationService`].
//!
//! [`Registrar::handle_register`] applies the steps of §10.3 to one REGISTER
//! and returns the response to send: 200 with every current binding, or the
//! rejection the RFC prescribes (404, 400, 420, 423 with Min-Expires, 500).
//! Authentication (step 3) and authorization (step 4) are the caller's:
//! challenge with [`crate::digest`] before calling, answer 401/403 itself.
//! The registrar reads no clock: `now` is passed in, and the caller adds a
//! Date header if it keeps wall-clock time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::HeaderName;
use crate::builder::{MessageBuilder, response_to};
use crate::headers::Contact;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;
use crate::syntax::unescape;
use crate::uri::Uri;

/// One binding of an address-of-record to a contact address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contact URI.
    pub uri: String,
    /// The Call-ID of the REGISTER that last updated it.
    pub call_id: String,
    /// The CSeq number of that REGISTER.
    pub cseq: u32,
    /// When it expires.
    pub expires_at: Instant,
    /// The `q` preference (0-1000), if given.
    pub q: Option<u16>,
}

/// Why a location service could not commit bindings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocationError {
    /// A configured bound (address-of-records or bindings per record) is
    /// reached.
    #[error("location service full: {0}")]
    Full(&'static str),
    /// The back end failed.
    #[error("location service failure: {0}")]
    Backend(String),
}

/// Where bindings live (RFC 3261 §10.3: the registrar writes, a proxy or
/// redirect server reads).
pub trait LocationService {
    /// The bindings of `aor` (canonical form), expired ones included.
    fn bindings(&self, aor: &str) -> Vec<Binding>;
    /// Replaces every binding of `aor` at once (an empty list removes the
    /// record). Either all of it is stored or none.
    fn replace(&mut self, aor: &str, bindings: Vec<Binding>) -> Result<(), LocationError>;
}

/// A [`LocationService`] in memory, bounded.
#[derive(Debug, Clone, Default)]
pub struct InMemoryLocationService {
    records: HashMap<String, Vec<Binding>>,
}

impl InMemoryLocationService {
    /// The most address-of-records kept.
    pub const MAX_RECORDS: usize = 100_000;
    /// The most bindings per address-of-record.
    pub const MAX_BINDINGS: usize = 32;

    /// An empty service.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many address-of-records have bindings.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl LocationService for InMemoryLocationService {
    fn bindings(&self, aor: &str) -> Vec<Binding> {
        self.records.get(aor).cloned().unwrap_or_default()
    }

    fn replace(&mut self, aor: &str, bindings: Vec<Binding>) -> Result<(), LocationError> {
        if bindings.len() > Self::MAX_BINDINGS {
            return Err(LocationError::Full("bindings per address-of-record"));
        }
        if bindings.is_empty() {
            self.records.remove(aor);
            return Ok(());
        }
        if !self.records.contains_key(aor) && self.records.len() >= Self::MAX_RECORDS {
            return Err(LocationError::Full("address-of-records"));
        }
        self.records.insert(aor.to_owned(), bindings);
        Ok(())
    }
}

/// Registrar settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Domains (host names) the registrar serves, for the Request-URI and
    /// the address-of-record.
    pub domains: Vec<String>,
    /// Expiration when the request gives none, in seconds.
    pub default_expires: u32,
    /// The shortest expiration accepted (423 below it), in seconds.
    pub min_expires: u32,
    /// The longest expiration granted, in seconds.
    pub max_expires: u32,
    /// Option tags understood (Require, §8.2.2.3).
    pub supported: Vec<String>,
    /// The To tag of the responses.
    pub to_tag: String,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        Self {
            domains: Vec::new(),
            default_expires: 3600,
            min_expires: 60,
            max_expires: 7200,
            supported: Vec::new(),
            to_tag: "reg".into(),
        }
    }
}

/// A registrar: §10.3 over a location service.
#[derive(Debug, Clone)]
pub struct Registrar<L> {
    config: RegistrarConfig,
    location: L,
}

impl<L: LocationService> Registrar<L> {
    /// A registrar storing into `location`.
    pub fn new(config: RegistrarConfig, location: L) -> Self {
        Self { config, location }
    }

    /// The location service.
    pub const fn location(&self) -> &L {
        &self.location
    }

    fn serves(&self, host: &str) -> bool {
        self.config
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(host))
    }

    /// Processes one REGISTER and returns the response to send
    /// (RFC 3261 §10.3). Requests must be passed in the order received.
    pub fn handle_register(&mut self, now: Instant, request: &Message<'_>) -> Option<OwnedMessage> {
        if request.method() != Some(Method::Register) {
            return response_to(
                request,
                405,
                "Method Not Allowed",
                Some(&self.config.to_tag),
            )
            .ok();
        }
        let reply = |code: u16, reason: &str| {
            response_to(request, code, reason, Some(&self.config.to_tag)).ok()
        };
        // [RFC 3261 §10.3] "The registrar inspects the Request-URI to determine
        // whether it has access to bindings for the domain identified in the
        // Request-URI."
        let ruri_host = match request.request_uri_parsed() {
            Some(Ok(Uri::Sip(u))) => u.host.to_string(),
            _ => return reply(400, "Bad Request-URI"),
        };
        if !self.serves(&ruri_host) {
            return reply(404, "Domain Not Served");
        }
        // [RFC 3261 §10.3] "To guarantee that the registrar supports any necessary
        // extensions, the registrar MUST process the Require header field values as
        // described for UASs in Section 8.2.2."
        let unknown: Vec<&str> = request
            .tokens(HeaderName::Require)
            .filter_map(Result::ok)
            .filter(|t| {
                !self
                    .config
                    .supported
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(t))
            })
            .collect();
        if !unknown.is_empty() {
            let r = reply(420, "Bad Extension")?;
            return MessageBuilder::from_message(&r.message())
                .header(HeaderName::Unsupported, unknown.join(", "))
                .build()
                .ok();
        }
        let Ok(to) = request.to() else {
            return reply(400, "Bad To");
        };
        let Some(aor) = canonical_aor(to.uri()) else {
            return reply(404, "Not Found");
        };
        // [RFC 3261 §10.3] "If the address-of-record is not valid for the domain in
        // the Request-URI, the registrar MUST send a 404 (Not Found) response and
        // skip the remaining steps."
        if !to
            .uri()
            .as_sip()
            .is_some_and(|u| self.serves(&u.host.to_string()))
        {
            return reply(404, "Not Found");
        }
        let (Ok(call_id), Ok(cseq)) = (request.call_id(), request.cseq()) else {
            return reply(400, "Bad Request");
        };
        let contacts: Vec<Contact<'_>> = match request.contacts().collect() {
            Ok(c) => c,
            Err(_) => return reply(400, "Bad Contact"),
        };
        let header_expires = match request.expires() {
            Some(Ok(e)) => Some(e),
            Some(Err(_)) => return reply(400, "Bad Expires"),
            None => None,
        };
        let mut bindings: Vec<Binding> = self
            .location
            .bindings(&aor)
            .into_iter()
            .filter(|b| b.expires_at > now)
            .collect();
        if contacts.iter().any(|c| matches!(c, Contact::Star)) {
            // [RFC 3261 §10.3] "If the request has additional Contact fields or an
            // expiration time other than zero, the request is invalid, and the server
            // MUST return a 400 (Invalid Request) and skip the remaining steps."
            if contacts.len() != 1 || header_expires != Some(0) {
                return reply(400, "Invalid Request");
            }
            for b in &bindings {
                // [RFC 3261 §10.3] "If it does agree, it MUST remove the binding only
                // if the CSeq in the request is higher than the value stored for that
                // binding."
                if b.call_id == call_id && cseq.seq <= b.cseq {
                    // [RFC 3261 §10.3] "Otherwise, the update MUST be aborted and the
                    // request fails."
                    return reply(500, "Out-of-Order REGISTER");
                }
            }
            bindings.clear();
        } else {
            for c in &contacts {
                let Contact::Addr(addr) = c else { continue };
                // [RFC 3261 §10.3] "- If the field value has an "expires" parameter,
                // that value MUST be taken as the requested expiration."
                // [RFC 3261 §10.3] "- If there is no such parameter, but the request
                // has an Expires header field, that value MUST be taken as the
                // requested expiration."
                // [RFC 3261 §10.3] "- If there is neither, a locally-configured
                // default value MUST be taken as the requested expiration."
                let requested = c
                    .expires()
                    .or(header_expires)
                    .unwrap_or(self.config.default_expires);
                // [RFC 3261 §10.3] "If and only if the requested expiration interval
                // is greater than zero AND smaller than one hour AND less than a
                // registrar-configured minimum, the registrar MAY reject the
                // registration with a response of 423 (Interval Too Brief)."
                if requested > 0 && requested < 3600 && requested < self.config.min_expires {
                    let r = reply(423, "Interval Too Brief")?;
                    // [RFC 3261 §10.3] "This response MUST contain a Min-Expires
                    // header field that states the minimum expiration interval the
                    // registrar is willing to honor."
                    return MessageBuilder::from_message(&r.message())
                        .header(HeaderName::MinExpires, self.config.min_expires.to_string())
                        .build()
                        .ok();
                }
                // [RFC 3261 §10.3] "The registrar MAY choose an expiration less than
                // the requested expiration interval."
                let granted = requested.min(self.config.max_expires);
                let existing = bindings
                    .iter()
                    .position(|b| Uri::parse(&b.uri).is_ok_and(|u| u.equivalent(addr.uri())));
                match existing {
                    Some(i) => {
                        let Some(b) = bindings.get(i) else { continue };
                        // [RFC 3261 §10.3] "If the Call-ID value in the existing
                        // binding differs from the Call-ID value in the request, the
                        // binding MUST be removed if the expiration time is zero and
                        // updated otherwise."
                        // [RFC 3261 §10.3] "If the value is higher than that of the
                        // existing binding, it MUST update or remove the binding as
                        // above."
                        if b.call_id == call_id && cseq.seq <= b.cseq {
                            // [RFC 3261 §10.3] "If not, the update MUST be aborted and
                            // the request fails."
                            return reply(500, "Out-of-Order REGISTER");
                        }
                        if granted == 0 {
                            bindings.remove(i);
                        } else if let Some(b) = bindings.get_mut(i) {
                            b.call_id = call_id.to_owned();
                            b.cseq = cseq.seq;
                            b.expires_at = now + Duration::from_secs(u64::from(granted));
                            b.q = c.q();
                        }
                    }
                    None if granted > 0 => bindings.push(Binding {
                        uri: addr.uri_str().to_owned(),
                        call_id: call_id.to_owned(),
                        cseq: cseq.seq,
                        expires_at: now + Duration::from_secs(u64::from(granted)),
                        q: c.q(),
                    }),
                    None => {}
                }
            }
        }
        // [RFC 3261 §10.3] "The binding updates MUST be committed (that is, made
        // visible to the proxy or redirect server) if and only if all binding updates
        // and additions succeed."
        if self.location.replace(&aor, bindings.clone()).is_err() {
            // [RFC 3261 §10.3] "If any one of them fails (for example, because the
            // back-end database commit failed), the request MUST fail with a 500
            // (Server Error) response and all tentative binding updates MUST be
            // removed."
            return reply(500, "Server Error");
        }
        // [RFC 3261 §10.3 exception: sans-IO, the runtime adds it] "The response SHOULD
        // include a Date header field."
        let mut b = MessageBuilder::from_message(&reply(200, "OK")?.message());
        for binding in &bindings {
            let left = binding.expires_at.saturating_duration_since(now).as_secs();
            // [RFC 3261 §10.3] "The response MUST contain Contact header field values
            // enumerating all current bindings."
            // [RFC 3261 §10.3] "Each Contact value MUST feature an "expires"
            // parameter indicating its expiration interval chosen by the registrar."
            b = b.header(
                HeaderName::Contact,
                format!("<{}>;expires={left}", binding.uri),
            );
        }
        b.build().ok()
    }
}

/// The canonical address-of-record (RFC 3261 §10.3 step 5): scheme, the
/// unescaped user and the host, without parameters. A proxy uses the same
/// form to look a Request-URI up in the location service (§16.5).
///
/// ```
/// use rtclite_sip::Uri;
/// use rtclite_sip::registrar::canonical_aor;
/// let uri = Uri::parse("sip:%62ob@Biloxi.example.com;transport=tcp")?;
/// assert_eq!(canonical_aor(&uri).as_deref(), Some("sip:bob@biloxi.example.com"));
/// # Ok::<(), rtclite_sip::Error>(())
/// ```
pub fn canonical_aor(uri: &Uri<'_>) -> Option<String> {
    let u = uri.as_sip()?;
    // [RFC 3261 §10.3] "To do that, all URI parameters MUST be removed
    // (including the user-param), and any escaped characters MUST be converted
    // to their unescaped form."
    let user = u
        .user
        .map(|x| String::from_utf8_lossy(&unescape(x)).into_owned())
        .unwrap_or_default();
    let scheme = if u.secure { "sips" } else { "sip" };
    let host = u.host.to_string().to_ascii_lowercase();
    Some(match u.port {
        Some(p) => format!("{scheme}:{user}@{host}:{p}"),
        None => format!("{scheme}:{user}@{host}"),
    })
}
