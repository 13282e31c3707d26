//! Byte-level edits of a received message for forwarding: every header field
//! line the proxy does not touch is copied exactly as received (name form,
//! folding, order), so the copy differs from the original only where §16.6
//! and §16.7 say it must.

use bytes::{BufMut, BytesMut};

use crate::error::Error;
use crate::header_name::HeaderName;
use crate::message::{Header, Message};
use crate::owned::OwnedMessage;
use crate::syntax::split_top;

/// Byte range of one header field line inside the head, terminator included.
fn line_span(head: &str, h: &Header<'_>) -> (usize, usize) {
    let base = head.as_ptr() as usize;
    let start = (h.name().as_ptr() as usize).saturating_sub(base);
    let value_end = (h.raw_value().as_ptr() as usize)
        .saturating_sub(base)
        .saturating_add(h.raw_value().len());
    let end = head
        .get(value_end..)
        .and_then(|rest| memchr::memchr(b'\n', rest.as_bytes()))
        .map_or(head.len(), |i| value_end + i + 1);
    (start.min(head.len()), end.min(head.len()))
}

/// Copies the line `span` of `head` into `out`, ending it with CRLF when the
/// datagram ended without one.
fn copy_line(out: &mut BytesMut, head: &str, span: (usize, usize)) {
    let line = head.get(span.0..span.1).unwrap_or_default();
    out.put_slice(line.as_bytes());
    if !line.ends_with('\n') {
        out.put_slice(b"\r\n");
    }
}

fn put_header(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
}

/// What changes between the received request and the copy sent to one
/// target (RFC 3261 §16.6 steps 1-9).
#[derive(Debug, Clone)]
pub(crate) struct RequestEdit<'e> {
    /// The new Request-URI (step 2, or step 6 for a strict next hop).
    pub(crate) request_uri: &'e str,
    /// The Via value to put on top (step 8).
    pub(crate) via: &'e str,
    /// A Record-Route value to put before any existing one (step 4).
    pub(crate) record_route: Option<&'e str>,
    /// The whole Route header field after steps 6 and §16.4, when it
    /// differs from the received one.
    pub(crate) routes: Option<&'e [String]>,
    /// Decrement Max-Forwards (or add it).
    pub(crate) decrement_max_forwards: bool,
    /// Drop the Proxy-Authorization values with this realm (the proxy
    /// consumed them, §22.3).
    pub(crate) consume_realm: Option<&'e str>,
}

/// Whether a Proxy-Authorization line carries credentials for `realm`.
fn credentials_for(h: &Header<'_>, realm: &str) -> bool {
    let value = h.value();
    crate::headers::AuthValue::parse(&value)
        .ok()
        .and_then(|a| a.param("realm").map(|r| r.eq_ignore_ascii_case(realm)))
        .unwrap_or(false)
}

/// Builds the forwarded copy of `msg` (RFC 3261 §16.6 steps 1-9).
pub(crate) fn forward_request(
    msg: &Message<'_>,
    edit: &RequestEdit<'_>,
) -> Result<OwnedMessage, Error> {
    let head = msg.head();
    let body = msg.body();
    let method = msg.method().map(|m| m.as_str()).unwrap_or_default();
    let mut out = BytesMut::with_capacity(head.len() + body.len() + 256);
    // [RFC 3261 §16.6] "The Request-URI in the copy's start line MUST be
    // replaced with the URI for this target."
    out.put_slice(method.as_bytes());
    out.put_u8(b' ');
    out.put_slice(edit.request_uri.as_bytes());
    out.put_slice(b" SIP/2.0\r\n");
    // [RFC 3261 §16.6] "The proxy MUST insert a Via header field value into
    // the copy before the existing Via header field values."
    put_header(&mut out, "Via", edit.via);
    if let Some(rr) = edit.record_route {
        // [RFC 3261 §16.6] "it MUST insert a Record-Route header field value
        // into the copy before any existing Record-Route header field values,
        // even if a Route header field is already present."
        put_header(&mut out, "Record-Route", rr);
    }
    let mut saw_max_forwards = false;
    let mut saw_route = false;
    let mut saw_length = false;
    for h in msg.headers() {
        let span = line_span(head, &h);
        match h.kind() {
            HeaderName::MaxForwards if !saw_max_forwards && edit.decrement_max_forwards => {
                saw_max_forwards = true;
                // [RFC 3261 §16.6] "If the copy contains a Max-Forwards header
                // field, the proxy MUST decrement its value by one (1)."
                let n = msg
                    .max_forwards()
                    .and_then(Result::ok)
                    .unwrap_or(1)
                    .saturating_sub(1);
                put_header(&mut out, "Max-Forwards", &n.to_string());
            }
            HeaderName::Route if edit.routes.is_some() => {
                if !saw_route {
                    saw_route = true;
                    if let Some(routes) = edit.routes.filter(|r| !r.is_empty()) {
                        put_header(&mut out, "Route", &routes.join(", "));
                    }
                }
            }
            HeaderName::ContentLength => {
                saw_length = true;
                copy_line(&mut out, head, span);
            }
            HeaderName::ProxyAuthorization
                if edit.consume_realm.is_some_and(|r| credentials_for(&h, r)) =>
            {
                // [RFC 3261 §22.3] "When multiple proxies are used in a chain, a
                // Proxy- Authorization header field value MUST NOT be consumed by
                // any proxy whose realm does not match the "realm" parameter
                // specified in that value."
            }
            // [RFC 3261 §16.6] "The copy MUST initially contain all of the
            // header fields from the received request."
            // [RFC 3261 §16.6] "The proxy MUST NOT reorder field values with a
            // common field name"
            _ => copy_line(&mut out, head, span),
        }
    }
    if !saw_max_forwards && edit.decrement_max_forwards {
        // [RFC 3261 §16.6] "If the copy does not contain a Max-Forwards header
        // field, the proxy MUST add one with a field value, which SHOULD be
        // 70."
        put_header(&mut out, "Max-Forwards", "70");
    }
    if !saw_route {
        if let Some(routes) = edit.routes.filter(|r| !r.is_empty()) {
            put_header(&mut out, "Route", &routes.join(", "));
        }
    }
    if !saw_length {
        // [RFC 3261 §16.6] "If the request will be sent to the next hop using a
        // stream- based transport and the copy contains no Content-Length
        // header field, the proxy MUST insert one with the correct value for
        // the body of the request"
        put_header(&mut out, "Content-Length", &body.len().to_string());
    }
    out.put_slice(b"\r\n");
    // [RFC 3261 §16.6] "The proxy MUST NOT add to, modify, or remove the
    // message body."
    out.put_slice(body);
    OwnedMessage::parse(out.freeze())
}

/// `msg` without its topmost Via value (RFC 3261 §16.7 step 3, §16.11),
/// and with `extra` header field lines added at the end of the header.
/// Returns `None` when no Via value remains (the response was for this
/// element).
pub(crate) fn strip_top_via(
    msg: &Message<'_>,
    extra: &[(HeaderName, String)],
) -> Result<Option<OwnedMessage>, Error> {
    let head = msg.head();
    let body = msg.body();
    let mut out = BytesMut::with_capacity(head.len() + body.len() + 64);
    let first_header = msg
        .headers()
        .next()
        .map_or(head.len(), |h| line_span(head, &h).0);
    out.put_slice(head.get(..first_header).unwrap_or_default().as_bytes());
    let mut removed = false;
    let mut remaining_vias = 0usize;
    // Every other line is copied as received, To tag included:
    // [RFC 3261 §16.7] "A proxy MUST NOT insert a tag into the To header field
    // of a 1xx or 2xx response if the request did not contain one."
    // [RFC 3261 §16.7] "A proxy MUST NOT modify the tag in the To header field
    // of a 1xx or 2xx response."
    // [RFC 3261 §16.7] "A proxy MUST NOT modify the To tag in any forwarded
    // response to a request that contains a To tag."
    // [RFC 3261 §16.7] "Unless otherwise specified, the proxy MUST NOT remove
    // any header field values other than the Via header field value discussed
    // in Section 16.7 Item 3."
    // [RFC 3261 §16.7] "In particular, the proxy MUST NOT remove any "received"
    // parameter it may have added to the next Via header field value while
    // processing the request associated with this response."
    // [RFC 3261 §16.11] "Unless specified otherwise, the proxy MUST NOT remove
    // any other header field values."
    for h in msg.headers() {
        let span = line_span(head, &h);
        if h.kind() == HeaderName::Via && !removed {
            removed = true;
            let value = h.value();
            let rest: Vec<&str> = split_top(&value, b',')
                .skip(1)
                .filter(|v| !v.is_empty())
                .collect();
            if !rest.is_empty() {
                remaining_vias += rest.len();
                put_header(&mut out, h.name(), &rest.join(", "));
            }
            continue;
        }
        if h.kind() == HeaderName::Via {
            remaining_vias += 1;
        }
        copy_line(&mut out, head, span);
    }
    // [RFC 3261 §16.7] "If no Via header field values remain in the response,
    // the response was meant for this element and MUST NOT be forwarded."
    if remaining_vias == 0 {
        return Ok(None);
    }
    for (name, value) in extra {
        put_header(&mut out, name.as_str(), value);
    }
    out.put_slice(b"\r\n");
    // [RFC 3261 §16.7] "The proxy MUST NOT add to, modify, or remove the
    // message body."
    // [RFC 3261 §16.11] "The proxy MUST NOT add to, modify, or remove the
    // message body."
    out.put_slice(body);
    OwnedMessage::parse(out.freeze()).map(Some)
}

/// `msg` without the values of header field `name` whose index (counted
/// over every `name` line, in order, empty values skipped, as
/// [`Message::values_of`] counts them) is marked in `drop`; a line left
/// without values is removed. Every other line is copied as received.
pub(crate) fn drop_values(
    msg: &Message<'_>,
    name: HeaderName,
    drop: &[bool],
) -> Result<OwnedMessage, Error> {
    let head = msg.head();
    let body = msg.body();
    let mut out = BytesMut::with_capacity(head.len() + body.len());
    let first_header = msg
        .headers()
        .next()
        .map_or(head.len(), |h| line_span(head, &h).0);
    out.put_slice(head.get(..first_header).unwrap_or_default().as_bytes());
    let mut index = 0usize;
    for h in msg.headers() {
        let span = line_span(head, &h);
        if h.kind() != name {
            copy_line(&mut out, head, span);
            continue;
        }
        let mut kept: Vec<&str> = Vec::new();
        let mut dropped = false;
        for v in split_top(h.raw_value(), b',').filter(|v| !v.is_empty()) {
            if drop.get(index).copied().unwrap_or(false) {
                dropped = true;
            } else {
                kept.push(v);
            }
            index += 1;
        }
        if !dropped {
            copy_line(&mut out, head, span);
        } else if !kept.is_empty() {
            put_header(&mut out, h.name(), &kept.join(", "));
        }
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
    OwnedMessage::parse(out.freeze())
}

/// The 100 (Trying) a proxy sends for an INVITE (RFC 3261 §16.2, §8.2.6):
/// the Via, From, To, Call-ID, CSeq and Timestamp lines of the request
/// copied byte for byte, no To tag, no body. The same message
/// [`crate::builder::response_to`] makes, without building header by
/// header.
pub(crate) fn trying(msg: &Message<'_>) -> Result<OwnedMessage, Error> {
    let head = msg.head();
    let mut out = BytesMut::with_capacity(head.len() + 32);
    out.put_slice(b"SIP/2.0 100 Trying\r\n");
    for h in msg.headers() {
        match h.kind() {
            // [RFC 3261 §8.2.6.2] "The From field of the response MUST equal
            // the From header field of the request."
            // [RFC 3261 §8.2.6.1] "When a 100 (Trying) response is generated,
            // any Timestamp header field present in the request MUST be copied
            // into this 100 (Trying) response."
            HeaderName::Via
            | HeaderName::From
            | HeaderName::To
            | HeaderName::CallId
            | HeaderName::CSeq
            | HeaderName::Timestamp => copy_line(&mut out, head, line_span(head, &h)),
            _ => {}
        }
    }
    out.put_slice(b"Content-Length: 0\r\n\r\n");
    OwnedMessage::parse(out.freeze())
}

/// `msg` with `extra` header field lines appended (for a response the proxy
/// generated itself).
pub(crate) fn append_headers(
    msg: &Message<'_>,
    extra: &[(HeaderName, String)],
) -> Result<OwnedMessage, Error> {
    if extra.is_empty() {
        return Ok(msg.to_owned_message());
    }
    let head = msg.head();
    let body = msg.body();
    let mut out = BytesMut::with_capacity(head.len() + body.len() + 64);
    out.put_slice(head.as_bytes());
    if !head.ends_with('\n') {
        out.put_slice(b"\r\n");
    }
    for (name, value) in extra {
        put_header(&mut out, name.as_str(), value);
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
    OwnedMessage::parse(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> OwnedMessage {
        OwnedMessage::parse(bytes::Bytes::copy_from_slice(s.as_bytes()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    // [RFC 3261 §16.7 test] "The proxy removes the topmost Via header field
    // value from the response."
    #[test]
    fn only_the_first_value_of_a_combined_via_line_goes() {
        let r = parse(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1:5060;branch=z9hG4bK1, SIP/2.0/UDP a:5060;branch=z9hG4bK2\r\n\
             To: <sip:b@x>;tag=1\r\nFrom: <sip:a@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        );
        let out = strip_top_via(&r.message(), &[]).unwrap().unwrap();
        let m = out.message();
        let vias: Vec<&str> = m.values_of(HeaderName::Via).map(|(_, v)| v).collect();
        assert_eq!(vias, ["SIP/2.0/UDP a:5060;branch=z9hG4bK2"]);
        assert_eq!(m.to().unwrap().tag(), Some("1"));
    }

    // [RFC 3261 §16.7 test] "If no Via header field values remain in the
    // response, the response was meant for this element and MUST NOT be
    // forwarded."
    #[test]
    fn a_response_with_only_our_via_is_not_forwarded() {
        let r = parse(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1:5060;branch=z9hG4bK1\r\n\
             To: <sip:b@x>;tag=1\r\nFrom: <sip:a@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(strip_top_via(&r.message(), &[]).unwrap().is_none());
    }

    #[test]
    fn trying_equals_the_builders_100() {
        let r = parse(
            "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK2\r\nMax-Forwards: 5\r\n\
             To: <sip:b@x>\r\nFrom: <sip:a@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
             Timestamp: 54\r\nContact: <sip:a@192.0.2.1>\r\nContent-Length: 0\r\n\r\n",
        );
        let fast = trying(&r.message()).unwrap();
        let built = crate::builder::response_to(&r.message(), 100, "Trying", None).unwrap();
        assert_eq!(fast.bytes(), built.bytes());
    }

    #[test]
    fn bare_lf_and_a_missing_final_line_are_forwarded_with_crlf() {
        let r = parse(
            "OPTIONS sip:b@x SIP/2.0\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK2\nMax-Forwards: 5\n\
             To: <sip:b@x>\nFrom: <sip:a@x>;tag=2\nCall-ID: c\nCSeq: 1 OPTIONS",
        );
        let out = forward_request(
            &r.message(),
            &RequestEdit {
                request_uri: "sip:b@192.0.2.4",
                via: "SIP/2.0/UDP p:5060;branch=z9hG4bKp",
                record_route: None,
                routes: None,
                decrement_max_forwards: true,
                consume_realm: None,
            },
        )
        .unwrap();
        let m = out.message();
        assert_eq!(m.request_uri(), Some("sip:b@192.0.2.4"));
        assert_eq!(m.max_forwards().unwrap().unwrap(), 4);
        assert_eq!(m.via().count(), 2);
        assert_eq!(m.call_id().unwrap(), "c");
        assert_eq!(m.content_length().unwrap().unwrap(), 0);
    }

    #[test]
    fn dropped_contact_values_leave_the_rest_byte_for_byte() {
        let r = parse(
            "SIP/2.0 302 Moved\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
m: <sip:a@x>;q=0.5, <mailto:b@x>\r\nCall-ID: c\r\n\
Contact: \"C, D\" <sip:c@x>\r\nContact: <sip:d@x>\r\nContent-Length: 4\r\n\r\nbody",
        );
        let m = r.message();
        let out = drop_values(&m, HeaderName::Contact, &[true, false, true]).unwrap();
        assert_eq!(
            std::str::from_utf8(out.bytes()).unwrap(),
            "SIP/2.0 302 Moved\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
m: <mailto:b@x>\r\nCall-ID: c\r\nContact: <sip:d@x>\r\nContent-Length: 4\r\n\r\nbody"
        );
        let none = drop_values(&m, HeaderName::Contact, &[]).unwrap();
        assert_eq!(none.bytes(), r.bytes());
    }
}
