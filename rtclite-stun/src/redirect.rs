//! The ALTERNATE-SERVER mechanism (RFC 8489 §10): the server's
//! [`AlternateServer`] policy that writes 300 (Try Alternate), and the
//! client's [`Redirects`] that decides what to do with one.
//!
//! A server with an [`AlternateServer`] (the Binding server's
//! [`crate::server::BindingServer::alternate`], the TURN server's
//! [`crate::turn::server::TurnServer::set_alternate_server`]) answers
//! requests with 300, an ALTERNATE-SERVER of the family of the request's
//! source, then one of the other family when it has one, and, for a
//! request authenticated with MESSAGE-INTEGRITY-SHA256, ALTERNATE-DOMAIN
//! when configured. The response is protected exactly like any other
//! response to that request: with the request's integrity mechanism when it
//! was authenticated, unprotected otherwise.
//!
//! A [`Redirects`] remembers, per request, which servers the request was
//! sent to and when. [`Redirects::follow`] reads a 300 response and either
//! names the server to retry with (same transport, same credentials, an
//! address of the same family as the server that redirected) or says why
//! the redirection must be ignored and the transaction considered failed:
//! no usable ALTERNATE-SERVER, a loop (the alternate already had this
//! request in the last five minutes), a family change, an unauthenticated
//! redirect when the request carried credentials, or too many hops.
//!
//! The TURN client ([`crate::turn::client::TurnClient`]) uses it for
//! Allocate; a Binding client does the same with its own transactions:
//!
//! ```
//! use std::time::Instant;
//! use rtclite_stun::redirect::{Redirects, RedirectRefusal};
//! use rtclite_stun::{Attribute, Class, ErrorCode, Message, MessageType, MessageWriter, Method,
//!                    TransactionId};
//!
//! let first: std::net::SocketAddr = "192.0.2.1:3478".parse()?;
//! let alternate: std::net::SocketAddr = "192.0.2.2:3478".parse()?;
//! let now = Instant::now();
//! let mut redirects = Redirects::new(now, first);
//!
//! let mut buf = Vec::new();
//! let mut w = MessageWriter::new(&mut buf, MessageType::new(Class::ErrorResponse, Method::BINDING), TransactionId([1; 12]));
//! w.attribute(&Attribute::ErrorCode(ErrorCode::TRY_ALTERNATE))?;
//! w.attribute(&Attribute::AlternateServer(alternate))?;
//! w.finish();
//! let response = Message::parse(&buf)?;
//!
//! // The first redirect is followed...
//! assert_eq!(redirects.follow(now, &response, None), Ok(alternate));
//! // ...the same redirect again would loop, so it is refused.
//! assert_eq!(
//!     redirects.follow(now, &response, None),
//!     Err(RedirectRefusal::Loop(alternate))
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::attribute::{Attribute, AttributeType, ErrorCode};
use crate::error::EncodeError;
use crate::integrity::{Check, IntegrityKey};
use crate::message::{Class, Message, MessageWriter};

/// Where a server redirects its clients with 300 (Try Alternate)
/// (RFC 8489 §10): the alternate server's address in each family it has
/// one, and the name in its certificate for TLS and DTLS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlternateServer {
    /// The alternate server's IPv4 transport address.
    pub ipv4: Option<SocketAddr>,
    /// The alternate server's IPv6 transport address.
    pub ipv6: Option<SocketAddr>,
    /// ALTERNATE-DOMAIN: the name in the alternate server's certificate
    /// (a DNS name of at most 255 ASCII characters, RFC 8489 §14.16). Set
    /// it only on a TLS or DTLS listener whose alternate presents another
    /// certificate; it is sent only to requests authenticated with
    /// MESSAGE-INTEGRITY-SHA256.
    pub domain: Option<String>,
}

impl AlternateServer {
    /// An alternate server at `address` (in its family only).
    pub fn new(address: SocketAddr) -> Self {
        AlternateServer::default().with(address)
    }

    /// Adds (or replaces) the address of `address`'s family.
    #[must_use]
    pub fn with(mut self, address: SocketAddr) -> Self {
        if address.is_ipv4() {
            self.ipv4 = Some(address);
        } else {
            self.ipv6 = Some(address);
        }
        self
    }

    /// The ALTERNATE-SERVER for a request from `source`: the address of
    /// the same family, or `None` when there is none (the request must
    /// then not be redirected).
    pub fn for_source(&self, source: SocketAddr) -> Option<SocketAddr> {
        if source.is_ipv4() {
            self.ipv4
        } else {
            self.ipv6
        }
    }

    /// Writes the body of a 300 (Try Alternate) response to a request from
    /// `source`: ERROR-CODE 300, the ALTERNATE-SERVER of the source's
    /// family, then the other family's, then ALTERNATE-DOMAIN when
    /// `sha256_authenticated` and a domain is set. Returns `false` (having
    /// written nothing) when there is no address of the source's family.
    /// The caller adds SOFTWARE, integrity and FINGERPRINT.
    pub fn write_try_alternate(
        &self,
        w: &mut MessageWriter<'_>,
        source: SocketAddr,
        sha256_authenticated: bool,
    ) -> Result<bool, EncodeError> {
        // [RFC 8489 §10] "The server MUST include at least one
        // ALTERNATE-SERVER attribute in the error response, which MUST
        // contain an IP address of the same address family as the source
        // IP address of the request message."
        let Some(same) = self.for_source(source) else {
            return Ok(false);
        };
        // [RFC 8489 §10] "A server using this extension redirects a client to another server by
        // replying to a request message with an error response message with an
        // error code of 300 (Try Alternate)."
        w.attribute(&Attribute::ErrorCode(ErrorCode::TRY_ALTERNATE))?;
        w.attribute(&Attribute::AlternateServer(same))?;
        // [RFC 8489 §10] "The server SHOULD include an
        // additional ALTERNATE-SERVER attribute, after the mandatory one, that
        // contains an IP address of the address family other than the source
        // IP address of the request message."
        let other = if source.is_ipv4() {
            self.ipv6
        } else {
            self.ipv4
        };
        if let Some(o) = other {
            w.attribute(&Attribute::AlternateServer(o))?;
        }
        // [RFC 8489 §10] "If the transaction uses TLS or DTLS, if the transaction is
        // authenticated by a MESSAGE-INTEGRITY-SHA256 attribute, and if the
        // server wants to redirect to a server that uses a different
        // certificate, then it MUST include an ALTERNATE-DOMAIN attribute
        // containing the name inside the subjectAltName of that certificate."
        if let (true, Some(d)) = (sha256_authenticated, &self.domain) {
            w.attribute(&Attribute::AlternateDomain(d))?;
        }
        Ok(true)
    }
}

/// How long a server that had the request counts as visited.
// [RFC 8489 §10] "If the client has been redirected to a server to which it
// has already sent this request within the last five minutes, it MUST ignore
// the redirection and consider the transaction to have failed."
pub const REDIRECT_MEMORY: Duration = Duration::from_secs(300);

/// Most redirections followed for one request (each to a server not
/// visited yet). Bounds the state kept per request.
pub const MAX_REDIRECTS: usize = 8;

/// Why a 300 (Try Alternate) response does not lead to a retry. The
/// transaction is then considered failed (RFC 8489 §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectRefusal {
    /// The response is not a 300 error response.
    #[error("not a 300 (Try Alternate) error response (RFC 8489 §10)")]
    NotTryAlternate,
    /// The 300 carries no ALTERNATE-SERVER attribute that decodes.
    #[error("300 (Try Alternate) without a valid ALTERNATE-SERVER (RFC 8489 §10)")]
    NoAlternateServer,
    /// Every ALTERNATE-SERVER has an address of another family than the
    /// server that redirected.
    #[error("ALTERNATE-SERVER of another address family (RFC 8489 §10)")]
    FamilyMismatch,
    /// The request carried credentials but the 300 is not protected by a
    /// valid MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256.
    #[error("unauthenticated 300 (Try Alternate) to an authenticated request (RFC 8489 §9.2.5)")]
    NotAuthenticated,
    /// The alternate server already had this request within the last
    /// five minutes: a redirection loop.
    #[error("redirected to {0}, which had this request in the last five minutes (RFC 8489 §10)")]
    Loop(SocketAddr),
    /// [`MAX_REDIRECTS`] redirections were already followed.
    #[error("more than {MAX_REDIRECTS} redirections")]
    TooManyRedirects,
}

/// The servers one request has been sent to, for redirection loop
/// protection (RFC 8489 §10). Bounded by [`MAX_REDIRECTS`].
#[derive(Debug, Clone)]
pub struct Redirects {
    current: SocketAddr,
    visited: Vec<(SocketAddr, Instant)>,
    domain: Option<String>,
}

impl Redirects {
    /// Starts tracking a request first sent to `server` at `now`.
    pub fn new(now: Instant, server: SocketAddr) -> Self {
        Redirects {
            current: server,
            visited: vec![(server, now)],
            domain: None,
        }
    }

    /// The ALTERNATE-DOMAIN of the last redirection followed, if it had
    /// one: over TLS or DTLS, the name to validate the current server's
    /// certificate against. `None` means the name used for the original
    /// server (RFC 8489 §10).
    pub fn certificate_domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The server the request is now sent to.
    pub fn current(&self) -> SocketAddr {
        self.current
    }

    /// Redirections followed so far.
    pub fn count(&self) -> usize {
        self.visited.len().saturating_sub(1)
    }

    /// Reads a 300 (Try Alternate) error response from the current server
    /// and returns the server to retry the request with, recording it as
    /// the current one; or why the redirection is ignored (the state is
    /// then unchanged).
    ///
    /// `key` is the key the request was authenticated with, if it was:
    /// the response must then carry a valid MESSAGE-INTEGRITY-SHA256 or
    /// MESSAGE-INTEGRITY. The retry must use the same transport and the
    /// same credentials.
    pub fn follow(
        &mut self,
        now: Instant,
        response: &Message<'_>,
        key: Option<&IntegrityKey>,
    ) -> Result<SocketAddr, RedirectRefusal> {
        let is_300 = response.class() == Class::ErrorResponse
            && matches!(
                response.get(AttributeType::ERROR_CODE),
                Some(Ok(Attribute::ErrorCode(e))) if e.code == 300
            );
        if !is_300 {
            return Err(RedirectRefusal::NotTryAlternate);
        }
        if let Some(key) = key {
            // [RFC 8489 §9.2.5] "If the request was sent over an unreliable
            // transport, the response MUST be discarded, as if it had never
            // been received."
            let valid = match (
                response.integrity_sha256_offset(),
                response.integrity_offset(),
            ) {
                (Some(_), _) => response.check_integrity_sha256(key) == Check::Valid,
                (None, Some(_)) => response.check_integrity(key) == Check::Valid,
                (None, None) => false,
            };
            if !valid {
                return Err(RedirectRefusal::NotAuthenticated);
            }
        }
        // [RFC 8489 §10] "The client looks for an ALTERNATE-SERVER attribute
        // in the error response."
        let mut any = false;
        let mut chosen = None;
        let tid = response.transaction_id();
        for raw in response.processed_attributes() {
            if raw.attr_type != AttributeType::ALTERNATE_SERVER {
                continue;
            }
            let Ok(Attribute::AlternateServer(addr)) =
                Attribute::decode(raw.attr_type, raw.value, &tid)
            else {
                continue;
            };
            any = true;
            // [RFC 8489 §10] "The server MUST include at least one
            // ALTERNATE-SERVER attribute in the error response, which MUST
            // contain an IP address of the same address family as the source
            // IP address of the request message."
            if addr.is_ipv4() == self.current.is_ipv4() {
                chosen = Some(addr);
                break;
            }
        }
        let alternate = match (any, chosen) {
            (false, _) => return Err(RedirectRefusal::NoAlternateServer),
            (true, None) => return Err(RedirectRefusal::FamilyMismatch),
            (true, Some(a)) => a,
        };
        self.visited
            .retain(|(_, at)| now.saturating_duration_since(*at) < REDIRECT_MEMORY);
        // [RFC 8489 §10] "This prevents infinite ping-ponging between servers
        // in case of redirection loops."
        if alternate == self.current || self.visited.iter().any(|(s, _)| *s == alternate) {
            return Err(RedirectRefusal::Loop(alternate));
        }
        if self.visited.len() > MAX_REDIRECTS {
            return Err(RedirectRefusal::TooManyRedirects);
        }
        // [RFC 8489 §10] "If one is found, then the client considers the
        // current transaction as failed and reattempts the request with the
        // server specified in the attribute, using the same transport
        // protocol used for the previous request."
        self.visited.push((alternate, now));
        self.current = alternate;
        // [RFC 8489 §10] "If the attribute is found, the domain
        // MUST be used to validate the certificate"
        // [RFC 8489 §10] "If the attribute is not found, the same domain that was used for
        // the original request MUST be used to validate the certificate."
        self.domain = match response.get(AttributeType::ALTERNATE_DOMAIN) {
            Some(Ok(Attribute::AlternateDomain(d))) => Some(d.to_owned()),
            _ => None,
        };
        Ok(alternate)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a failed test
    use super::*;
    use crate::attribute::ErrorCode;
    use crate::message::{MessageType, MessageWriter, Method, TransactionId};

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn try_alternate(alternates: &[SocketAddr], key: Option<&IntegrityKey>) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::ErrorResponse, Method::BINDING),
            TransactionId([3; 12]),
        );
        w.attribute(&Attribute::ErrorCode(ErrorCode::TRY_ALTERNATE))
            .unwrap();
        for a in alternates {
            w.attribute(&Attribute::AlternateServer(*a)).unwrap();
        }
        if let Some(k) = key {
            w.message_integrity(k).unwrap();
        }
        w.finish();
        buf
    }

    // [RFC 8489 §10 test] "If one is found, then the client considers the
    // current transaction as failed and reattempts the request with the
    // server specified in the attribute"
    #[test]
    fn follows_the_alternate_of_the_same_family() {
        let t0 = Instant::now();
        let mut r = Redirects::new(t0, addr("192.0.2.1:3478"));
        // The mandatory same-family address may come after another family's.
        let buf = try_alternate(&[addr("[2001:db8::2]:3478"), addr("192.0.2.2:3479")], None);
        let msg = Message::parse(&buf).unwrap();
        assert_eq!(r.follow(t0, &msg, None), Ok(addr("192.0.2.2:3479")));
        assert_eq!(r.current(), addr("192.0.2.2:3479"));
        assert_eq!(r.count(), 1);
    }

    // [RFC 8489 §10 test] "which MUST contain an IP address of the same
    // address family as the source IP address of the request message"
    #[test]
    fn refuses_a_family_change() {
        let t0 = Instant::now();
        let mut r = Redirects::new(t0, addr("192.0.2.1:3478"));
        let buf = try_alternate(&[addr("[2001:db8::2]:3478")], None);
        let msg = Message::parse(&buf).unwrap();
        assert_eq!(
            r.follow(t0, &msg, None),
            Err(RedirectRefusal::FamilyMismatch)
        );
        assert_eq!(r.current(), addr("192.0.2.1:3478"));
    }

    #[test]
    fn refuses_a_300_without_alternate_server_and_other_errors() {
        let t0 = Instant::now();
        let mut r = Redirects::new(t0, addr("192.0.2.1:3478"));
        let buf = try_alternate(&[], None);
        let msg = Message::parse(&buf).unwrap();
        assert_eq!(
            r.follow(t0, &msg, None),
            Err(RedirectRefusal::NoAlternateServer)
        );
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::ErrorResponse, Method::BINDING),
            TransactionId([3; 12]),
        );
        w.attribute(&Attribute::ErrorCode(ErrorCode::new(400, "Bad Request")))
            .unwrap();
        w.attribute(&Attribute::AlternateServer(addr("192.0.2.2:3478")))
            .unwrap();
        w.finish();
        let msg = Message::parse(&buf).unwrap();
        assert_eq!(
            r.follow(t0, &msg, None),
            Err(RedirectRefusal::NotTryAlternate)
        );
    }

    // [RFC 8489 §10 test] "If the client has been redirected to a server to
    // which it has already sent this request within the last five minutes,
    // it MUST ignore the redirection and consider the transaction to have
    // failed."
    #[test]
    fn a_loop_is_refused_for_five_minutes() {
        let t0 = Instant::now();
        let a = addr("192.0.2.1:3478");
        let b = addr("192.0.2.2:3478");
        let mut r = Redirects::new(t0, a);
        let to_b = try_alternate(&[b], None);
        let to_a = try_alternate(&[a], None);
        assert_eq!(r.follow(t0, &Message::parse(&to_b).unwrap(), None), Ok(b));
        // b sends us back to a: a ping-pong.
        assert_eq!(
            r.follow(t0, &Message::parse(&to_a).unwrap(), None),
            Err(RedirectRefusal::Loop(a))
        );
        // Just under five minutes later, still a loop.
        let later = t0 + REDIRECT_MEMORY - Duration::from_millis(1);
        assert_eq!(
            r.follow(later, &Message::parse(&to_a).unwrap(), None),
            Err(RedirectRefusal::Loop(a))
        );
        // Five minutes after a had the request, it may have it again.
        let much_later = t0 + REDIRECT_MEMORY;
        assert_eq!(
            r.follow(much_later, &Message::parse(&to_a).unwrap(), None),
            Ok(a)
        );
    }

    #[test]
    fn the_number_of_redirections_is_bounded() {
        let t0 = Instant::now();
        let mut r = Redirects::new(t0, addr("192.0.2.1:3478"));
        for i in 0..MAX_REDIRECTS {
            let next = SocketAddr::new(addr("192.0.2.1:3478").ip(), 4000 + i as u16);
            let buf = try_alternate(&[next], None);
            assert_eq!(r.follow(t0, &Message::parse(&buf).unwrap(), None), Ok(next));
        }
        let buf = try_alternate(&[addr("192.0.2.1:9999")], None);
        assert_eq!(
            r.follow(t0, &Message::parse(&buf).unwrap(), None),
            Err(RedirectRefusal::TooManyRedirects)
        );
    }

    // [RFC 8489 §10 test] "If the attribute is not found, the same domain
    // that was used for the original request MUST be used to validate the
    // certificate."
    #[test]
    fn alternate_domain_names_the_certificate_to_check() {
        let t0 = Instant::now();
        let mut r = Redirects::new(t0, addr("192.0.2.1:3478"));
        let alt = AlternateServer {
            domain: Some("turn2.example.org".into()),
            ..AlternateServer::new(addr("192.0.2.2:3478"))
        };
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::ErrorResponse, Method::ALLOCATE),
            TransactionId([5; 12]),
        );
        assert!(
            alt.write_try_alternate(&mut w, addr("198.51.100.1:9"), true)
                .unwrap()
        );
        w.finish();
        let msg = Message::parse(&buf).unwrap();
        assert_eq!(r.follow(t0, &msg, None), Ok(addr("192.0.2.2:3478")));
        assert_eq!(r.certificate_domain(), Some("turn2.example.org"));
        // A later redirect without ALTERNATE-DOMAIN goes back to the
        // original name (None).
        let plain = try_alternate(&[addr("192.0.2.3:3478")], None);
        assert_eq!(
            r.follow(t0, &Message::parse(&plain).unwrap(), None),
            Ok(addr("192.0.2.3:3478"))
        );
        assert_eq!(r.certificate_domain(), None);
    }

    #[test]
    fn no_alternate_of_the_source_family_writes_nothing() {
        let alt = AlternateServer::new(addr("[2001:db8::2]:3478"));
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::ErrorResponse, Method::BINDING),
            TransactionId([5; 12]),
        );
        assert!(
            !alt.write_try_alternate(&mut w, addr("198.51.100.1:9"), false)
                .unwrap()
        );
        w.finish();
        assert_eq!(buf.len(), 20);
        assert_eq!(alt.for_source(addr("[2001:db8::7]:1")), alt.ipv6);
    }

    // [RFC 8489 §9.2.5 test] "If the request was sent over an unreliable
    // transport, the response MUST be discarded, as if it had never been
    // received."
    #[test]
    fn an_authenticated_request_needs_an_authenticated_redirect() {
        let t0 = Instant::now();
        let key = IntegrityKey::from_bytes(b"secret key");
        let wrong = IntegrityKey::from_bytes(b"other key");
        let b = addr("192.0.2.2:3478");
        let mut r = Redirects::new(t0, addr("192.0.2.1:3478"));
        let plain = try_alternate(&[b], None);
        assert_eq!(
            r.follow(t0, &Message::parse(&plain).unwrap(), Some(&key)),
            Err(RedirectRefusal::NotAuthenticated)
        );
        let forged = try_alternate(&[b], Some(&wrong));
        assert_eq!(
            r.follow(t0, &Message::parse(&forged).unwrap(), Some(&key)),
            Err(RedirectRefusal::NotAuthenticated)
        );
        let signed = try_alternate(&[b], Some(&key));
        assert_eq!(
            r.follow(t0, &Message::parse(&signed).unwrap(), Some(&key)),
            Ok(b)
        );
    }
}
