//! What a UAS or proxy checks on receipt before handing a message to a
//! transaction (RFC 3261 §8.2, §16.3, §18.3).

use crate::error::{Error, ErrorKind};
use crate::header_name::HeaderName;
use crate::message::{Message, Version};
use crate::uri::Uri;

/// Checks that `msg` is well-formed enough for the core to process, as a
/// UAS or proxy receiving it over UDP would (RFC 3261 §16.3 step 1, §8.2,
/// §18.3). Returns the first problem found.
///
/// Checked: the start line (done by the parser), SIP/2.0, the Request-URI,
/// every Via, exactly one well-formed From, To, Call-ID and CSeq, the CSeq
/// method against the request method, Max-Forwards, Contact, Route,
/// Record-Route and Content-Type syntax, and Content-Length against the body
/// (done by the parser). Max-Forwards is not required. Header fields the core
/// does not use (Date, Warning, ...) are not checked, as §16.3 asks.
pub fn validate(msg: &Message<'_>) -> Result<(), Error> {
    if msg.version() != Version::SIP_2_0 {
        return Err(Error::new(ErrorKind::Invalid(
            "unsupported SIP-Version (a UAS answers 505 Version Not Supported)",
        ))
        .rfc("RFC 3261 §21.5.7"));
    }
    if let Some(uri) = msg.request_uri_parsed() {
        let uri = uri?;
        if let Uri::Sip(sip) = &uri {
            // A Request-URI with headers is rejected, as RFC 4475 §3.1.2.11 allows.
            // [RFC 3261 §19.1.1 exception: rejecting is safer and RFC 4475 allows it] "Elements
            // processing URIs SHOULD ignore any disallowed components if
            // they are present."
            if sip.headers.is_some() {
                return Err(
                    Error::new(ErrorKind::Invalid("Request-URI contains headers"))
                        .rfc("RFC 3261 §19.1.1"),
                );
            }
        }
    }
    // [RFC 3261 §16.3] "The request MUST be well-formed enough to be handled with a server
    // transaction."
    let mut vias = 0;
    for via in msg.via() {
        via?;
        vias += 1;
    }
    if vias == 0 {
        return Err(missing(HeaderName::Via));
    }
    msg.from()?;
    msg.to()?;
    msg.call_id()?;
    let cseq = msg.cseq()?;
    if let Some(method) = msg.method() {
        // [RFC 3261 §8.1.1.5] "The
        // method MUST match that of the request."
        if cseq.method != method.as_str() {
            return Err(Error::new(ErrorKind::Invalid(
                "CSeq method does not match the request method",
            ))
            .in_header(HeaderName::CSeq)
            .rfc("RFC 3261 §8.1.1.5"));
        }
    }
    if let Some(mf) = msg.max_forwards() {
        mf?;
    }
    for c in msg.contacts() {
        c?;
    }
    for r in msg.routes() {
        r?;
    }
    for r in msg.record_routes() {
        r?;
    }
    if let Some(ct) = msg.content_type() {
        ct?;
    }
    Ok(())
}

fn missing(name: HeaderName) -> Error {
    Error::new(ErrorKind::MissingHeader)
        .in_header(name)
        .rfc("RFC 3261 §8.1.1")
}

/// Why a proxy refuses a request (RFC 3261 §16.3), with the status code to
/// answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Step 1: malformed; answer 400 (or discard a response).
    Malformed(Error),
    /// Unsupported SIP-Version: 505.
    VersionNotSupported,
    /// Step 2: the Request-URI scheme is not understood: 416.
    UnsupportedUriScheme,
    /// Step 3: Max-Forwards is zero: 483 (OPTIONS may be answered instead).
    TooManyHops,
    /// Step 5: option-tags of Proxy-Require this element does not
    /// understand: 420 with an Unsupported header listing them.
    BadExtension(Vec<String>),
}

impl Rejection {
    /// The status code to answer with.
    pub const fn status(&self) -> u16 {
        match self {
            Rejection::Malformed(_) => 400,
            Rejection::VersionNotSupported => 505,
            Rejection::UnsupportedUriScheme => 416,
            Rejection::TooManyHops => 483,
            Rejection::BadExtension(_) => 420,
        }
    }
}

/// The request validation of RFC 3261 §16.3 steps 1, 2, 3 and 5 for a proxy
/// that understands the URI schemes `sip`, `sips` and `tel` and the
/// option-tags in `supported`. Steps 4 (loop detection) and 6
/// (Proxy-Authorization) depend on proxy state and are the caller's.
pub fn proxy_validate(msg: &Message<'_>, supported: &[&str]) -> Result<(), Rejection> {
    if let Err(e) = validate(msg) {
        return Err(if msg.version() == Version::SIP_2_0 {
            Rejection::Malformed(e)
        } else {
            Rejection::VersionNotSupported
        });
    }
    // [RFC 3261 §16.3] "If the Request-URI has a URI whose scheme is not understood by the
    // proxy, the proxy SHOULD reject the request with a 416 (Unsupported
    // URI Scheme) response."
    if let Some(Ok(Uri::Other { .. })) = msg.request_uri_parsed() {
        return Err(Rejection::UnsupportedUriScheme);
    }
    // [RFC 3261 §16.3] "If the request contains a Max-Forwards header field with a field
    // value of zero (0), the element MUST NOT forward the request."
    if let Some(Ok(0)) = msg.max_forwards() {
        return Err(Rejection::TooManyHops);
    }
    let mut unknown = Vec::new();
    for tag in msg.tokens(HeaderName::ProxyRequire) {
        let tag = tag.map_err(Rejection::Malformed)?;
        if !supported.iter().any(|s| s.eq_ignore_ascii_case(tag)) {
            unknown.push(tag.to_owned());
        }
    }
    // [RFC 3261 §16.3] "If the request contains a Proxy-Require header field (Section
    // 20.29) with one or more option-tags this element does not
    // understand, the element MUST return a 420 (Bad Extension)
    // response."
    if !unknown.is_empty() {
        return Err(Rejection::BadExtension(unknown));
    }
    Ok(())
}
