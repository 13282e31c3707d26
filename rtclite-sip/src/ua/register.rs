//! The REGISTER client (RFC 3261 §10.2), sans-IO: it builds the REGISTER
//! requests (the caller sends each in a client transaction), reads their
//! final responses, answers a digest challenge once per realm,
//! follows a 423 to the Min-Expires, and asks to be woken to refresh the
//! binding before it expires.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand_core::RngCore;

use crate::HeaderName;
use crate::builder::{MessageBuilder, new_branch, new_call_id, new_tag};
use crate::digest::{DigestClient, Selection, select_challenge};
use crate::error::Error;
use crate::headers::Contact;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;

/// What the REGISTER client needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterConfig {
    /// The registrar's URI (the Request-URI), e.g. `sip:registrar.biloxi.example.com`.
    pub registrar: String,
    /// The address-of-record as To/From value, e.g. `Bob <sip:bob@biloxi.example.com>`.
    pub aor: String,
    /// The contact URI to bind.
    pub contact: String,
    /// The Via sent-protocol and sent-by, e.g. `SIP/2.0/UDP 192.0.2.4:5060`.
    pub via: String,
    /// The requested expiration, in seconds.
    pub expires: u32,
    /// Digest username and password.
    pub username: String,
    /// Digest password.
    pub password: String,
}

/// What the client tells its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterEvent {
    /// The binding holds for this many seconds.
    Registered {
        /// The expiration the registrar granted.
        expires: u32,
    },
    /// The binding was removed.
    Unregistered,
    /// The registration failed with this final status (0: no response).
    Failed {
        /// The status code.
        status: u16,
    },
}

/// Most challenges answered for one registration attempt (stale nonces
/// and a proxy and registrar challenging in turn included).
const MAX_CHALLENGES: usize = 4;

/// A REGISTER client for one address-of-record and contact.
#[derive(Debug, Clone)]
pub struct RegisterClient {
    config: RegisterConfig,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    pending: Option<OwnedMessage>,
    /// The challenges answered for the current request: (401 or 407,
    /// realm). Cleared when a request starts afresh or succeeds.
    answered: Vec<(u16, String)>,
    refresh_at: Option<Instant>,
    events: VecDeque<RegisterEvent>,
}

impl RegisterClient {
    /// A client with a Call-ID and From tag drawn from `rng`.
    pub fn new(config: RegisterConfig, rng: &mut impl RngCore) -> Self {
        Self {
            expires: config.expires,
            // [RFC 3261 §10.2.4] "A UA SHOULD use the same Call-ID for all
            // registrations during a single boot cycle."
            call_id: new_call_id(rng, None),
            from_tag: new_tag(rng),
            cseq: 0,
            config,
            pending: None,
            answered: Vec::new(),
            refresh_at: None,
            events: VecDeque::new(),
        }
    }

    fn build(&mut self, expires: u32, rng: &mut impl RngCore) -> Result<OwnedMessage, Error> {
        // [RFC 3261 §10.2] "A UA MUST increment the CSeq value by one for each
        // REGISTER request with the same Call-ID."
        self.cseq += 1;
        let request = MessageBuilder::request(Method::Register, &self.config.registrar)
            .header(
                HeaderName::Via,
                format!("{};branch={}", self.config.via, new_branch(rng)),
            )
            .header(HeaderName::MaxForwards, "70")
            .header(HeaderName::To, self.config.aor.clone())
            .header(
                HeaderName::From,
                format!("{};tag={}", self.config.aor, self.from_tag),
            )
            .header(HeaderName::CallId, self.call_id.clone())
            .header(HeaderName::CSeq, format!("{} REGISTER", self.cseq))
            .header(HeaderName::Contact, format!("<{}>", self.config.contact))
            .header(HeaderName::Expires, expires.to_string())
            .build()?;
        self.pending = Some(request.clone());
        Ok(request)
    }

    /// The REGISTER that adds (or refreshes) the binding.
    pub fn register(&mut self, rng: &mut impl RngCore) -> Result<OwnedMessage, Error> {
        self.answered.clear();
        self.build(self.expires, rng)
    }

    /// The REGISTER that removes the binding (Expires 0).
    pub fn unregister(&mut self, rng: &mut impl RngCore) -> Result<OwnedMessage, Error> {
        self.refresh_at = None;
        self.answered.clear();
        self.build(0, rng)
    }

    /// Reads the final response to the last request; returns the request
    /// to send next, if any (a retry with credentials or a longer expiration).
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: &Message<'_>,
        rng: &mut impl RngCore,
    ) -> Option<OwnedMessage> {
        let status = response.status()?;
        if status < 200 {
            return None;
        }
        let pending = self.pending.take()?;
        let requested = pending
            .message()
            .expires()
            .and_then(Result::ok)
            .unwrap_or(self.expires);
        match status {
            200..=299 => {
                self.answered.clear();
                if requested == 0 {
                    self.refresh_at = None;
                    self.events.push_back(RegisterEvent::Unregistered);
                    return None;
                }
                let granted = self.granted(response).unwrap_or(requested);
                // Refresh ahead of expiry: halfway for short bindings, a
                // minute early for long ones.
                let lead = (granted / 2).min(60);
                self.refresh_at = Some(now + Duration::from_secs(u64::from(granted - lead)));
                self.events
                    .push_back(RegisterEvent::Registered { expires: granted });
                None
            }
            401 | 407 => {
                let header = if status == 401 {
                    HeaderName::WwwAuthenticate
                } else {
                    HeaderName::ProxyAuthenticate
                };
                let challenge = select_challenge(
                    response.auth(header).filter_map(Result::ok),
                    Selection::Strongest,
                );
                // [RFC 3261 §22.1] "A UAC MUST NOT re-attempt requests with the
                // credentials that have just been rejected (though the request may be
                // retried if the nonce was stale)."
                // A realm already answered, challenged again without stale,
                // means the credentials were rejected, whatever the new nonce
                // (a server may issue a fresh one with every challenge). Stale
                // retries are bounded too.
                let Some(challenge) = challenge.filter(|c| {
                    let key = (status, c.realm.clone());
                    (c.stale || !self.answered.contains(&key))
                        && self.answered.len() < MAX_CHALLENGES
                }) else {
                    self.fail(status);
                    return None;
                };
                self.answered.push((status, challenge.realm.clone()));
                let credentials = DigestClient {
                    username: &self.config.username,
                    password: &self.config.password,
                }
                .respond(
                    &challenge,
                    "REGISTER",
                    &self.config.registrar,
                    b"",
                    1,
                    rng,
                );
                let name = if status == 401 {
                    HeaderName::Authorization
                } else {
                    HeaderName::ProxyAuthorization
                };
                // [RFC 3261 §22.2] "When a UAC resubmits a request with its
                // credentials after receiving a 401 (Unauthorized) or 407 (Proxy
                // Authentication Required) response, it MUST increment the CSeq
                // header field value as it would normally when sending an updated
                // request."
                let retry = self.build(requested, rng).ok()?;
                let retry = MessageBuilder::from_message(&retry.message())
                    .header(name, credentials.to_header_value())
                    .build()
                    .ok()?;
                self.pending = Some(retry.clone());
                Some(retry)
            }
            423 => {
                // [RFC 3261 §10.2.8] "If a UA receives a 423 (Interval Too Brief)
                // response, it MAY retry the registration after making the
                // expiration interval of all contact addresses in the REGISTER
                // request equal to or greater than the expiration interval within
                // the Min-Expires header field of the 423 (Interval Too Brief)
                // response."
                match response.min_expires().and_then(Result::ok) {
                    Some(min) if min > requested => {
                        self.expires = min;
                        self.build(min, rng).ok()
                    }
                    _ => {
                        self.fail(status);
                        None
                    }
                }
            }
            _ => {
                self.fail(status);
                None
            }
        }
    }

    /// The expiration the registrar granted our contact.
    fn granted(&self, response: &Message<'_>) -> Option<u32> {
        let ours = crate::uri::Uri::parse(&self.config.contact).ok()?;
        response
            .contacts()
            .filter_map(Result::ok)
            .find_map(|c| match &c {
                Contact::Addr(a) if a.uri().equivalent(&ours) => c.expires(),
                _ => None,
            })
            .or_else(|| response.expires().and_then(Result::ok))
    }

    fn fail(&mut self, status: u16) {
        self.refresh_at = None;
        self.answered.clear();
        self.events.push_back(RegisterEvent::Failed { status });
    }

    /// The transaction for the last request timed out or failed to send.
    pub fn handle_timeout_of_request(&mut self) {
        if self.pending.take().is_some() {
            self.fail(0);
        }
    }

    /// When the binding needs a refresh.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.refresh_at
    }

    /// At the refresh time, returns the refreshing REGISTER.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl RngCore) -> Option<OwnedMessage> {
        // [RFC 3261 §10.2] "UAs MUST NOT send a new registration (that is,
        // containing new Contact header field values, as opposed to a
        // retransmission) until they have received a final response from the
        // registrar for the previous one or the previous REGISTER request has
        // timed out."
        if self.refresh_at.is_some_and(|t| t <= now) && self.pending.is_none() {
            self.refresh_at = None;
            return self.register(rng).ok();
        }
        None
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<RegisterEvent> {
        self.events.pop_front()
    }
}
