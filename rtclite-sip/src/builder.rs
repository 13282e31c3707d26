//! Building messages: a general builder, requests with the mandatory header
//! fields of RFC 3261 §8.1.1, responses from a request (§8.2.6), ACK for a
//! non-2xx response (§17.1.1.3), CANCEL (§9.1), and the identifiers (branch,
//! tag, Call-ID) drawn from a caller-supplied RNG.

use bytes::{BufMut, BytesMut};
use rand_core::RngCore;

use crate::error::{Error, ErrorKind};
use crate::header_name::HeaderName;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;

// [RFC 3261 §8.1.1.7] "The branch ID inserted by an element compliant with
// this specification MUST always begin with the characters "z9hG4bK"."
/// The magic cookie that starts every RFC 3261 branch parameter.
pub const BRANCH_COOKIE: &str = "z9hG4bK";

fn random_hex(rng: &mut impl RngCore, bytes: usize) -> String {
    let mut buf = [0u8; 16];
    let n = bytes.min(buf.len());
    let slice = buf.get_mut(..n).unwrap_or_default();
    rng.fill_bytes(slice);
    hex::encode(slice)
}

/// A new branch parameter: the `z9hG4bK` cookie and 96 random bits.
pub fn new_branch(rng: &mut impl RngCore) -> String {
    // [RFC 3261 §8.1.1.7] "The branch parameter value MUST be unique across space and time for
    // all requests sent by the UA."
    format!("{BRANCH_COOKIE}{}", random_hex(rng, 12))
}

/// A new tag with 64 random bits.
pub fn new_tag(rng: &mut impl RngCore) -> String {
    // [RFC 3261 §19.3] "it MUST be globally unique and cryptographically random
    // with at least 32 bits of randomness."
    random_hex(rng, 8)
}

/// A new Call-ID with 128 random bits, `localid@host` when `host` is given.
pub fn new_call_id(rng: &mut impl RngCore, host: Option<&str>) -> String {
    // [RFC 3261 §8.1.1.4] "Use of cryptographically random identifiers (RFC 1750 [12]) in the
    // generation of Call-IDs is RECOMMENDED."
    let id = random_hex(rng, 16);
    match host {
        Some(h) => format!("{id}@{h}"),
        None => id,
    }
}

/// The start line of a message being built.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Start {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

/// Builds a message header by header; [`MessageBuilder::build`] writes the
/// wire form (with a correct Content-Length) and parses it, so every built
/// message is one the parser accepts.
///
/// ```
/// use rtclite_sip::{HeaderName, MessageBuilder, Method};
/// let msg = MessageBuilder::request(Method::Options, "sip:bob@biloxi.example.com")
///     .header(HeaderName::Via, "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776")
///     .header(HeaderName::From, "<sip:alice@atlanta.example.com>;tag=1928")
///     .header(HeaderName::To, "<sip:bob@biloxi.example.com>")
///     .header(HeaderName::CallId, "a84b4c76e66710")
///     .header(HeaderName::CSeq, "1 OPTIONS")
///     .header(HeaderName::MaxForwards, "70")
///     .build()?;
/// assert_eq!(msg.message().cseq()?.seq, 1);
/// assert_eq!(msg.message().content_length().transpose()?, Some(0));
/// # Ok::<(), rtclite_sip::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBuilder {
    start: Start,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl MessageBuilder {
    /// A request with `method` and `request_uri`.
    pub fn request(method: Method<'_>, request_uri: &str) -> Self {
        Self {
            start: Start::Request {
                method: method.as_str().to_owned(),
                uri: request_uri.to_owned(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response with `code` and `reason`.
    pub fn response(code: u16, reason: &str) -> Self {
        Self {
            start: Start::Response {
                code,
                reason: reason.to_owned(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A builder holding the start line, every header field line (unfolded,
    /// long-form names) and the body of `msg`, to modify and rebuild.
    pub fn from_message(msg: &Message<'_>) -> Self {
        let start = match (msg.method(), msg.request_uri(), msg.status()) {
            (Some(m), Some(u), _) => Start::Request {
                method: m.as_str().to_owned(),
                uri: u.to_owned(),
            },
            (_, _, code) => Start::Response {
                code: code.unwrap_or(500),
                reason: msg.reason().unwrap_or_default().to_owned(),
            },
        };
        Self {
            start,
            headers: msg
                .headers()
                .map(|h| (h.canonical_name().to_owned(), h.value().into_owned()))
                .collect(),
            body: msg.body().to_vec(),
        }
    }

    /// Appends a header field line.
    #[must_use]
    pub fn header(self, name: HeaderName, value: impl Into<String>) -> Self {
        self.header_named(name.as_str(), value)
    }

    /// Appends a header field line with any name (extension headers).
    #[must_use]
    pub fn header_named(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Inserts a header field line before all others (a proxy adding its
    /// Via, RFC 3261 §16.6 step 8).
    #[must_use]
    pub fn header_first(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers
            .insert(0, (name.as_str().to_owned(), value.into()));
        self
    }

    /// Removes every line of header field `name`.
    #[must_use]
    pub fn remove(mut self, name: HeaderName) -> Self {
        self.headers
            .retain(|(n, _)| HeaderName::from_name(n) != name);
        self
    }

    /// Removes the first line of header field `name` (a proxy removing its
    /// own Via from a response).
    #[must_use]
    pub fn remove_first(mut self, name: HeaderName) -> Self {
        if let Some(i) = self
            .headers
            .iter()
            .position(|(n, _)| HeaderName::from_name(n) == name)
        {
            self.headers.remove(i);
        }
        self
    }

    /// Replaces every line of `name` by one line with `value` (in place of
    /// the first, or at the end when absent).
    #[must_use]
    pub fn set(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        let value = value.into();
        match self
            .headers
            .iter()
            .position(|(n, _)| HeaderName::from_name(n) == name)
        {
            Some(i) => {
                if let Some(slot) = self.headers.get_mut(i) {
                    *slot = (name.as_str().to_owned(), value);
                }
                let mut seen = 0;
                self.headers.retain(|(n, _)| {
                    if HeaderName::from_name(n) == name {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
                self
            }
            None => self.header(name, value),
        }
    }

    /// Sets the body and its Content-Type.
    #[must_use]
    pub fn body(self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut s = self.set(HeaderName::ContentType, content_type);
        s.body = body.into();
        s
    }

    /// Writes the message (Content-Length set to the body length) and parses
    /// it back. Fails when a header value breaks the grammar badly enough
    /// that the parser rejects the message, or a value contains a line break.
    pub fn build(self) -> Result<OwnedMessage, Error> {
        let mut out = BytesMut::with_capacity(256 + self.body.len());
        match &self.start {
            Start::Request { method, uri } => {
                out.put_slice(method.as_bytes());
                out.put_u8(b' ');
                out.put_slice(uri.as_bytes());
                out.put_slice(b" SIP/2.0\r\n");
            }
            Start::Response { code, reason } => {
                out.put_slice(format!("SIP/2.0 {code:03} {reason}\r\n").as_bytes());
            }
        }
        for (name, value) in &self.headers {
            if HeaderName::from_name(name) == HeaderName::ContentLength {
                continue;
            }
            if value.contains(['\r', '\n']) {
                return Err(
                    Error::new(ErrorKind::Invalid("header value contains a line break"))
                        .rfc("RFC 3261 §7.3.1"),
                );
            }
            out.put_slice(name.as_bytes());
            out.put_slice(b": ");
            out.put_slice(value.as_bytes());
            out.put_slice(b"\r\n");
        }
        out.put_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.put_slice(&self.body);
        OwnedMessage::parse(out.freeze())
    }
}

/// What a UAC needs to say to build a request outside a dialog
/// (RFC 3261 §8.1.1).
#[derive(Debug, Clone, Copy)]
pub struct RequestParams<'a> {
    /// The method.
    pub method: Method<'a>,
    /// The Request-URI.
    pub request_uri: &'a str,
    /// The From value without tag, e.g. `Alice <sip:alice@atlanta.example.com>`.
    pub from: &'a str,
    /// The To value, e.g. `Bob <sip:bob@biloxi.example.com>`.
    pub to: &'a str,
    /// The transport for the Via (`UDP`, `TCP`, `TLS`, ...).
    pub transport: &'a str,
    /// The Via sent-by (`host[:port]`).
    pub sent_by: &'a str,
    /// The CSeq number (below 2**31).
    pub cseq: u32,
    /// The Contact value, if any (required for INVITE).
    pub contact: Option<&'a str>,
    /// The Call-ID; a new random one when `None`.
    pub call_id: Option<&'a str>,
}

/// A request with the six mandatory header fields of RFC 3261 §8.1.1: To,
/// From (with a new tag), CSeq, Call-ID, Max-Forwards (70) and Via (with a
/// new branch), plus Contact when given. Add more with
/// [`MessageBuilder::from_message`].
pub fn new_request(p: &RequestParams<'_>, rng: &mut impl RngCore) -> Result<OwnedMessage, Error> {
    // [RFC 3261 §8.1.1.5] "The sequence number value MUST be expressible as a 32-bit
    // unsigned integer and MUST be less than 2**31."
    if p.cseq >= 1 << 31 {
        return Err(
            Error::new(ErrorKind::OutOfRange("CSeq number must be below 2**31"))
                .rfc("RFC 3261 §8.1.1.5"),
        );
    }
    let call_id = match p.call_id {
        Some(c) => c.to_owned(),
        None => new_call_id(rng, None),
    };
    let branch = new_branch(rng);
    let tag = new_tag(rng);
    // [RFC 3261 §8.1.1] "A valid SIP request formulated by a UAC MUST, at a minimum, contain
    // the following header fields: To, From, CSeq, Call-ID, Max-Forwards,
    // and Via; all of these header fields are mandatory in all SIP
    // requests."
    let mut b = MessageBuilder::request(p.method, p.request_uri)
        .header(
            HeaderName::Via,
            format!("SIP/2.0/{} {};branch={branch}", p.transport, p.sent_by),
        )
        // [RFC 3261 §8.1.1.6] "The Max-Forwards header field serves to limit the number of hops a
        // request can transit on the way to its destination."
        .header(HeaderName::MaxForwards, "70")
        .header(HeaderName::From, format!("{};tag={tag}", p.from))
        .header(HeaderName::To, p.to)
        .header(HeaderName::CallId, call_id)
        .header(
            HeaderName::CSeq,
            format!("{} {}", p.cseq, p.method.as_str()),
        );
    if let Some(c) = p.contact {
        b = b.header(HeaderName::Contact, c);
    }
    b.build()
}

/// A response to `request` (RFC 3261 §8.2.6): Via, From, Call-ID and CSeq
/// copied, To copied with `to_tag` added when the request had none (not for
/// 100 Trying), Timestamp echoed in a 100 (§8.2.6.1), Record-Route copied in
/// dialog-creating responses (§12.1.1).
pub fn response_to(
    request: &Message<'_>,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
) -> Result<OwnedMessage, Error> {
    let mut b = MessageBuilder::response(code, reason);
    for h in request.headers() {
        let copy = match h.kind() {
            // [RFC 3261 §8.2.6.2] "The Via header
            // field values in the response MUST equal the Via header field values
            // in the request and MUST maintain the same ordering."
            HeaderName::Via => true,
            // [RFC 3261 §8.2.6.2] "The From field of the response MUST equal the From header field of
            // the request."
            HeaderName::From => true,
            // [RFC 3261 §8.2.6.2] "The Call-ID header field of the response MUST equal the
            // Call-ID header field of the request."
            HeaderName::CallId => true,
            // [RFC 3261 §8.2.6.2] "The CSeq header field of the
            // response MUST equal the CSeq field of the request."
            HeaderName::CSeq => true,
            // [RFC 3261 §8.2.6.1] "When a 100 (Trying) response is generated, any Timestamp header field
            // present in the request MUST be copied into this 100 (Trying)
            // response."
            HeaderName::Timestamp => code == 100,
            // [RFC 3261 §12.1.1] "the UAS MUST copy all Record-Route header field values
            // from the request into the response"
            HeaderName::RecordRoute => {
                (101..300).contains(&code)
                    && matches!(request.method(), Some(Method::Invite | Method::Subscribe))
            }
            HeaderName::To => {
                let to = request.to()?;
                let value = match (to.tag(), to_tag) {
                    (Some(_), _) | (None, None) => h.value().into_owned(),
                    // [RFC 3261 §8.2.6.2] "the UAS MUST add a tag to the To header field in
                    // the response (with the exception of the 100 (Trying) response, in
                    // which a tag MAY be present)."
                    (None, Some(_)) if code == 100 => h.value().into_owned(),
                    (None, Some(t)) => format!("{};tag={t}", h.value()),
                };
                b = b.header(HeaderName::To, value);
                false
            }
            _ => false,
        };
        if copy {
            b = b.header_named(h.canonical_name(), h.value());
        }
    }
    b.build()
}

fn single_via(request: &Message<'_>) -> Result<String, Error> {
    request
        .values_of(HeaderName::Via)
        .next()
        .map(|(_, v)| v.to_owned())
        .ok_or_else(|| Error::new(ErrorKind::MissingHeader).in_header(HeaderName::Via))
}

/// The ACK a client transaction sends for a non-2xx final `response` to
/// `invite` (RFC 3261 §17.1.1.3).
pub fn ack_for_non_2xx(
    invite: &Message<'_>,
    response: &Message<'_>,
) -> Result<OwnedMessage, Error> {
    let uri = invite
        .request_uri()
        .ok_or_else(|| Error::new(ErrorKind::Invalid("ACK needs the original request")))?;
    let cseq = invite.cseq()?;
    let to = response
        .header(HeaderName::To)
        .ok_or_else(|| Error::new(ErrorKind::MissingHeader).in_header(HeaderName::To))?;
    let from = invite
        .header(HeaderName::From)
        .ok_or_else(|| Error::new(ErrorKind::MissingHeader).in_header(HeaderName::From))?;
    // [RFC 3261 §17.1.1.3] "The ACK MUST contain a single Via header field, and
    // this MUST be equal to the top Via header field of the original
    // request."
    let mut b = MessageBuilder::request(Method::Ack, uri)
        .header(HeaderName::Via, single_via(invite)?)
        .header(HeaderName::MaxForwards, "70")
        .header(HeaderName::From, from.value())
        // [RFC 3261 §17.1.1.3] "The To
        // header field in the ACK MUST equal the To header field in the
        // response being acknowledged"
        .header(HeaderName::To, to.value())
        .header(HeaderName::CallId, invite.call_id()?)
        // [RFC 3261 §17.1.1.3] "but the method parameter MUST be equal to "ACK"."
        .header(HeaderName::CSeq, format!("{} ACK", cseq.seq));
    // [RFC 3261 §17.1.1.3] "If the INVITE request whose response is being acknowledged had Route
    // header fields, those header fields MUST appear in the ACK."
    for r in invite.headers_of(HeaderName::Route) {
        b = b.header(HeaderName::Route, r.value());
    }
    b.build()
}

/// The CANCEL for `request` (RFC 3261 §9.1).
pub fn cancel(request: &Message<'_>) -> Result<OwnedMessage, Error> {
    let uri = request
        .request_uri()
        .ok_or_else(|| Error::new(ErrorKind::Invalid("CANCEL needs a request")))?;
    let cseq = request.cseq()?;
    let field = |n: HeaderName| {
        request
            .header(n)
            .map(|h| h.value().into_owned())
            .ok_or_else(|| Error::new(ErrorKind::MissingHeader).in_header(n))
    };
    // [RFC 3261 §9.1] "The
    // Request-URI, Call-ID, To, the numeric part of CSeq, and From header
    // fields in the CANCEL request MUST be identical to those in the
    // request being cancelled, including tags."
    let mut b = MessageBuilder::request(Method::Cancel, uri)
        // [RFC 3261 §9.1] "A CANCEL constructed by a
        // client MUST have only a single Via header field value matching the
        // top Via value in the request being cancelled."
        .header(HeaderName::Via, single_via(request)?)
        .header(HeaderName::MaxForwards, "70")
        .header(HeaderName::From, field(HeaderName::From)?)
        .header(HeaderName::To, field(HeaderName::To)?)
        .header(HeaderName::CallId, request.call_id()?)
        // [RFC 3261 §9.1] "However, the method part of the CSeq header field MUST have a value
        // of CANCEL."
        .header(HeaderName::CSeq, format!("{} CANCEL", cseq.seq));
    // [RFC 3261 §9.1] "If the request being cancelled contains a Route header field, the
    // CANCEL request MUST include that Route header field's values."
    for r in request.headers_of(HeaderName::Route) {
        b = b.header(HeaderName::Route, r.value());
    }
    // Require and Proxy-Require are never copied: "The CANCEL request MUST
    // NOT contain any Require or Proxy-Require header fields" (§9.1).
    b.build()
}
