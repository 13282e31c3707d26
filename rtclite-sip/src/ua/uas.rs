//! The UAS checks of RFC 3261 §8.2.1–§8.2.3.

use std::collections::HashMap;
use std::time::Instant;

use crate::HeaderName;
use crate::builder::{MessageBuilder, response_to};
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;

/// What a UAS supports: methods, option tags and body types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UasPolicy {
    /// Methods the UAS supports (the Allow value of a 405).
    pub allow: Vec<String>,
    /// Option tags the UAS understands.
    pub supported: Vec<String>,
    /// Body types (`type/subtype`) the UAS understands.
    pub accept: Vec<String>,
    /// The To tag put into the rejections.
    pub to_tag: String,
}

impl UasPolicy {
    /// Checks a request the UAS core received in a new server transaction,
    /// in the order of §8.2, and returns the response that rejects it, or
    /// `None` when it may be processed. Pass the same [`MergeDetector`] for
    /// every request (§8.2.2.2).
    pub fn check(
        &self,
        now: Instant,
        request: &Message<'_>,
        merges: &mut MergeDetector,
    ) -> Option<OwnedMessage> {
        let method = request.method()?;
        let reject =
            |code: u16, reason: &str| response_to(request, code, reason, Some(&self.to_tag)).ok();
        // [RFC 3261 §8.2.1] "If the UAS recognizes but does not support the method
        // of a request, it MUST generate a 405 (Method Not Allowed) response."
        if !matches!(method, Method::Ack | Method::Cancel)
            && !self.allow.iter().any(|m| m == method.as_str())
        {
            let resp = reject(405, "Method Not Allowed")?;
            // [RFC 3261 §8.2.1] "The UAS MUST also add an Allow header field to the
            // 405 (Method Not Allowed) response."
            return add_header(&resp, HeaderName::Allow, &self.allow.join(", "));
        }
        // [RFC 3261 §8.2.2.2] "If the request has no tag in the To header field, the
        // UAS core MUST check the request against ongoing transactions."
        if request.to().ok()?.tag().is_none() && merges.is_merged(now, request) {
            // [RFC 3261 §8.2.2.2] "the UAS core SHOULD generate a 482 (Loop Detected)
            // response and pass it to the server transaction"
            return reject(482, "Loop Detected");
        }
        // [RFC 3261 §8.2.2.3] "Note that Require and Proxy-Require MUST NOT be used in
        // a SIP CANCEL request, or in an ACK request sent for a non-2xx response."
        // [RFC 3261 §8.2.2.3] "These header fields MUST be ignored if they are
        // present in these requests."
        if !matches!(method, Method::Ack | Method::Cancel) {
            let unknown: Vec<&str> = request
                .tokens(HeaderName::Require)
                .filter_map(Result::ok)
                .filter(|t| !self.supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
                .collect();
            if !unknown.is_empty() {
                // [RFC 3261 §8.2.2.3] "If a UAS does not understand an option-tag
                // listed in a Require header field, it MUST respond by generating a
                // response with status code 420 (Bad Extension)."
                let resp = reject(420, "Bad Extension")?;
                // [RFC 3261 §8.2.2.3] "The UAS MUST add an Unsupported header field,
                // and list in it those options it does not understand amongst those
                // in the Require header field of the request."
                return add_header(&resp, HeaderName::Unsupported, &unknown.join(", "));
            }
        }
        if !request.body().is_empty() {
            let understood = match request.content_type() {
                Some(Ok(t)) => self
                    .accept
                    .iter()
                    .any(|a| a.split_once('/').is_some_and(|(k, s)| t.is(k, s))),
                _ => false,
            };
            if !understood {
                // [RFC 3261 §8.2.3] "the UAS MUST reject the request with a 415
                // (Unsupported Media Type) response"
                let resp = reject(415, "Unsupported Media Type")?;
                // [RFC 3261 §8.2.3] "The response MUST contain an Accept header field
                // listing the types of all bodies it understands"
                return add_header(&resp, HeaderName::Accept, &self.accept.join(", "));
            }
        }
        None
    }
}

fn add_header(resp: &OwnedMessage, name: HeaderName, value: &str) -> Option<OwnedMessage> {
    MessageBuilder::from_message(&resp.message())
        .header(name, value)
        .build()
        .ok()
}

/// Remembers the requests without a To tag that the UAS core accepted,
/// to detect a copy of one that reached it over another path (a merged
/// request, RFC 3261 §8.2.2.2). Entries expire after 64*T1 (32 s), and at
/// most [`MergeDetector::MAX_ENTRIES`] are kept.
#[derive(Debug, Clone, Default)]
pub struct MergeDetector {
    seen: HashMap<(String, String, String), (String, Instant)>,
}

impl MergeDetector {
    /// The bound on remembered requests; the oldest are dropped beyond it.
    pub const MAX_ENTRIES: usize = 10_000;
    const LIFETIME: std::time::Duration = std::time::Duration::from_secs(32);

    /// An empty detector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `request` has the From tag, Call-ID and CSeq of a request
    /// seen before under another branch; otherwise remembers it.
    pub fn is_merged(&mut self, now: Instant, request: &Message<'_>) -> bool {
        let (Ok(from), Ok(call_id), Ok(cseq), Ok(via)) = (
            request.from(),
            request.call_id(),
            request.cseq(),
            request.top_via(),
        ) else {
            return false;
        };
        let key = (
            from.tag().unwrap_or_default().to_owned(),
            call_id.to_owned(),
            cseq.to_string(),
        );
        let branch = format!("{}|{}", via.branch().unwrap_or_default(), via.host);
        self.seen
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < Self::LIFETIME);
        // [RFC 3261 §8.2.2.2] "If the From tag, Call-ID, and CSeq exactly match those
        // associated with an ongoing transaction, but the request does not match
        // that transaction (based on the matching rules in Section 17.2.3)"
        match self.seen.get(&key) {
            Some((b, _)) => *b != branch,
            None => {
                if self.seen.len() >= Self::MAX_ENTRIES {
                    if let Some(oldest) = self
                        .seen
                        .iter()
                        .min_by_key(|(_, (_, at))| *at)
                        .map(|(k, _)| k.clone())
                    {
                        self.seen.remove(&oldest);
                    }
                }
                self.seen.insert(key, (branch, now));
                false
            }
        }
    }
}
