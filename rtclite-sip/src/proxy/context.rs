//! The response context of a stateful proxy (RFC 3261 §16.6, §16.7): one
//! server transaction, its branches, and the final responses gathered so
//! far; and the choice of the best final response (§16.7 step 6).

use std::net::SocketAddr;
use std::time::Instant;

use super::fork::Target;
use crate::header_name::HeaderName;
use crate::owned::OwnedMessage;
use crate::transaction::TransactionId;
use crate::transport::Destination;

/// Where one branch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BranchState {
    /// Request sent, no response yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived (or the branch failed and a final status
    /// was synthesised for it).
    Done,
}

/// One forwarded copy of the request and its client transaction.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    /// The target URI from the target set.
    pub(crate) target: String,
    /// The client transaction while it lives.
    pub(crate) client: Option<TransactionId>,
    /// The request as forwarded (for CANCEL, §9.1).
    pub(crate) request: Option<OwnedMessage>,
    /// Where it went.
    pub(crate) destination: Option<Destination>,
    /// The next-hop tuples not tried yet (§16.6 step 7).
    pub(crate) untried: Vec<Destination>,
    pub(crate) state: BranchState,
    /// A CANCEL was sent for it.
    pub(crate) cancel_sent: bool,
    /// A CANCEL is owed as soon as a provisional response arrives (§9.1).
    pub(crate) cancel_wanted: bool,
    /// Timer C (§16.6 step 11, §16.8).
    pub(crate) timer_c: Option<Instant>,
    /// When to give up on a CANCELled branch that got no final response
    /// (64*T1 after the CANCEL, §9.1).
    pub(crate) abandon_at: Option<Instant>,
    /// The forking group it belongs to (all one group in parallel mode).
    pub(crate) group: u32,
    /// Its group's time ran out: the proxy no longer waits for it before
    /// starting the next group (its final response is still kept).
    pub(crate) given_up: bool,
}

impl Branch {
    pub(crate) fn new(target: String, group: u32) -> Self {
        Self {
            target,
            client: None,
            request: None,
            destination: None,
            untried: Vec::new(),
            state: BranchState::Trying,
            cancel_sent: false,
            cancel_wanted: false,
            timer_c: None,
            abandon_at: None,
            group,
            given_up: false,
        }
    }

    /// A pending client transaction (§16.7 step 10): received a provisional
    /// response, no final one, and no CANCEL generated for it.
    pub(crate) fn is_pending(&self) -> bool {
        self.state == BranchState::Proceeding && !self.cancel_sent && self.client.is_some()
    }

    /// Nothing more is expected of it before the next group may start: a
    /// final response, a CANCEL sent or owed (Timer C, the group's time),
    /// or its group's time ran out.
    pub(crate) fn is_over(&self) -> bool {
        self.state == BranchState::Done || self.cancel_sent || self.cancel_wanted || self.given_up
    }
}

/// A final response kept for the best-response choice.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) status: u16,
    /// The response with our Via removed, or `None` for a status the proxy
    /// synthesised (408 after a timeout, 503 after a transport error).
    pub(crate) response: Option<OwnedMessage>,
}

/// The response context of one proxied request.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) server: TransactionId,
    /// Whether the server transaction still lives.
    pub(crate) server_alive: bool,
    /// The request as received (stamped by the transport layer).
    pub(crate) request: OwnedMessage,
    pub(crate) source: SocketAddr,
    pub(crate) invite: bool,
    /// The Route values after §16.4, and whether they differ from the
    /// received ones.
    pub(crate) routes: Vec<String>,
    pub(crate) routes_changed: bool,
    /// Every branch started so far, of every group.
    pub(crate) branches: Vec<Branch>,
    /// The targets not tried yet, highest q-value first (§16.6).
    pub(crate) waiting: Vec<Target>,
    /// The number of the current (last started) group.
    pub(crate) group: u32,
    /// The current group's time ran out.
    pub(crate) group_expired: bool,
    /// The proxy is responsible for the Request-URI, so it may add targets
    /// after forwarding began (§16.5).
    pub(crate) responsible: bool,
    /// The Request-URI was a SIPS URI (§16.7 step 4).
    pub(crate) sips: bool,
    /// The address-of-record whose bindings gave the targets, watched for
    /// new ones (§16.5).
    pub(crate) aor: Option<String>,
    pub(crate) finals: Vec<Stored>,
    /// The status of the final response sent on the server transaction.
    pub(crate) final_sent: Option<u16>,
    /// A 6xx arrived: no new branches (§16.7 step 5).
    pub(crate) no_new_branches: bool,
    /// The upstream CANCELled the request (§16.10).
    pub(crate) cancelled: bool,
}

impl Context {
    /// Every branch has a final response (or failed): no more finals can
    /// come, so the best one can be chosen.
    pub(crate) fn all_branches_done(&self) -> bool {
        self.branches.iter().all(|b| b.state == BranchState::Done)
    }

    /// New branches may still be created: no final response forwarded, no
    /// 6xx received (§16.7 step 5), no CANCEL from upstream (§16.10).
    pub(crate) fn may_branch(&self) -> bool {
        self.final_sent.is_none() && !self.cancelled && !self.no_new_branches
    }

    /// Every branch of the current group is over (see [`Branch::is_over`]).
    pub(crate) fn group_over(&self) -> bool {
        self.branches
            .iter()
            .filter(|b| b.group == self.group)
            .all(Branch::is_over)
    }

    /// Every client transaction and the server transaction ended (§16.7
    /// step 9: the context is kept until then).
    pub(crate) fn finished(&self) -> bool {
        !self.server_alive && self.branches.iter().all(|b| b.client.is_none())
    }
}

/// Codes that carry information for resubmitting the request, preferred
/// within the 4xx class (§16.7 step 6).
const RESUBMIT_HINTS: [u16; 5] = [401, 407, 415, 420, 484];

/// What [`choose_best`] picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Best {
    /// Forward stored response `i`.
    Stored(usize),
    /// Generate a response with this status.
    Generate(u16),
}

/// The best final response among `finals` (RFC 3261 §16.7 step 6).
pub(crate) fn choose_best(finals: &[Stored]) -> Best {
    // [RFC 3261 §16.7] "If there are no final responses in the context, the
    // proxy MUST send a 408 (Request Timeout) response to the server
    // transaction."
    if finals.is_empty() {
        return Best::Generate(408);
    }
    // [RFC 3261 §16.7] "Otherwise, the proxy MUST forward a response from the
    // responses stored in the response context."
    // [RFC 3261 §16.7] "It MUST choose from the 6xx class responses if any
    // exist in the context."
    if let Some(i) = finals.iter().position(|f| f.status >= 600) {
        return pick(finals, i);
    }
    // [RFC 3261 §16.7] "If no 6xx class responses are present, the proxy
    // SHOULD choose from the lowest response class stored in the response
    // context."
    let class = finals.iter().map(|f| f.status / 100).min().unwrap_or(4);
    let in_class = |f: &&Stored| f.status / 100 == class;
    let chosen = match class {
        // [RFC 3261 §16.7] "The proxy SHOULD give preference to responses
        // that provide information affecting resubmission of this request,
        // such as 401, 407, 415, 420, and 484 if the 4xx class is chosen."
        4 => RESUBMIT_HINTS
            .iter()
            .find_map(|code| finals.iter().position(|f| f.status == *code))
            .or_else(|| finals.iter().position(|f| in_class(&f))),
        // [RFC 3261 §16.7] "A proxy which receives a 503 (Service Unavailable)
        // response SHOULD NOT forward it upstream unless it can determine
        // that any subsequent requests it might proxy will also generate a
        // 503."
        5 => match finals
            .iter()
            .position(|f| f.status / 100 == 5 && f.status != 503)
        {
            Some(i) => Some(i),
            // [RFC 3261 §16.7] "If the only response that was received is a
            // 503, the proxy SHOULD generate a 500 response and forward that
            // upstream."
            None => return Best::Generate(500),
        },
        // The first stored:
        // [RFC 3261 §16.7] "The proxy MAY select any response within that
        // chosen class."
        _ => finals.iter().position(|f| in_class(&f)),
    };
    match chosen {
        Some(i) => pick(finals, i),
        None => Best::Generate(408),
    }
}

/// Stored response `i`, or a generated one when its status was synthesised.
fn pick(finals: &[Stored], i: usize) -> Best {
    match finals.get(i) {
        Some(Stored {
            response: Some(_), ..
        }) => Best::Stored(i),
        Some(Stored { status, .. }) => Best::Generate(*status),
        None => Best::Generate(408),
    }
}

/// The WWW-Authenticate and Proxy-Authenticate values of every 401 and 407
/// in `finals` other than `chosen` (RFC 3261 §16.7 step 7).
pub(crate) fn challenges_to_aggregate(
    finals: &[Stored],
    chosen: usize,
) -> Vec<(HeaderName, String)> {
    let mut out = Vec::new();
    for (i, f) in finals.iter().enumerate() {
        if i == chosen || !matches!(f.status, 401 | 407) {
            continue;
        }
        let Some(r) = &f.response else { continue };
        let m = r.message();
        for name in [HeaderName::WwwAuthenticate, HeaderName::ProxyAuthenticate] {
            for h in m.headers_of(name) {
                out.push((name, h.value().into_owned()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(status: u16) -> Stored {
        Stored {
            status,
            response: Some(
                OwnedMessage::parse(bytes::Bytes::from(format!(
                    "SIP/2.0 {status} X\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n"
                )))
                .unwrap_or_else(|_| unreachable!()),
            ),
        }
    }

    // [RFC 3261 §16.7 test] "It MUST choose from the 6xx class responses if
    // any exist in the context."
    #[test]
    fn six_hundred_wins_over_lower_classes() {
        assert_eq!(choose_best(&[s(302), s(486), s(603)]), Best::Stored(2));
    }

    // [RFC 3261 §16.7 test] "For example, if a proxy forwarded a request to 4
    // locations, and received 503, 407, 501, and 404 responses, it may
    // choose to forward the 407 (Proxy Authentication Required) response."
    #[test]
    fn rfc_example_503_407_501_404_picks_407() {
        assert_eq!(
            choose_best(&[s(503), s(407), s(501), s(404)]),
            Best::Stored(1)
        );
    }

    #[test]
    fn lowest_class_wins() {
        assert_eq!(choose_best(&[s(486), s(302), s(500)]), Best::Stored(1));
    }

    // [RFC 3261 §16.7 test] "If the only response that was received is a 503,
    // the proxy SHOULD generate a 500 response and forward that upstream."
    #[test]
    fn only_503_becomes_500() {
        assert_eq!(choose_best(&[s(503)]), Best::Generate(500));
        assert_eq!(choose_best(&[s(503), s(502)]), Best::Stored(1));
    }

    // [RFC 3261 §16.7 test] "If there are no final responses in the context,
    // the proxy MUST send a 408 (Request Timeout) response to the server
    // transaction."
    #[test]
    fn nothing_stored_is_408() {
        assert_eq!(choose_best(&[]), Best::Generate(408));
        let synth = Stored {
            status: 408,
            response: None,
        };
        assert_eq!(choose_best(&[synth]), Best::Generate(408));
    }
}
