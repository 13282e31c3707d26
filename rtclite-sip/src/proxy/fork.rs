//! How a stateful proxy walks its target set (RFC 3261 §16.5, §16.6): the
//! forking policy, the targets with their q-values, the grouping of
//! targets by q for sequential forking, and the choice of the Contacts of
//! a 3xx response it recurses on (§16.7 step 4).

use std::time::Duration;

use crate::headers::Contact;
use crate::uri::Uri;

/// The q-value a target without one is ordered by: 1.0, as the registrar
/// orders bindings. RFC 3261 gives no default; this one puts an
/// unqualified contact with the most preferred.
pub const DEFAULT_Q: u16 = 1000;

/// How a stateful proxy processes its target set (RFC 3261 §16.6: "A
/// stateful proxy MAY process the set in any order").
///
/// ```
/// use std::time::Duration;
/// use rtclite_sip::proxy::{Forking, ProxyConfig};
///
/// // Ring the q=1.0 contacts together for 20 s, then the q=0.5 ones, ...
/// let config = ProxyConfig {
///     forking: Forking::Sequential { group_timeout: Some(Duration::from_secs(20)) },
///     ..ProxyConfig::default()
/// };
/// assert_eq!(ProxyConfig::default().forking, Forking::Parallel);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Forking {
    /// Every target at once, and every target added later (a 3xx the proxy
    /// recurses on) as soon as it is known.
    #[default]
    Parallel,
    /// Targets in groups of equal q-value, highest q first (§16.6, §20.10):
    /// the targets of a group are tried in parallel, and the next group
    /// starts when the current one ends without a 2xx — every branch of it
    /// has a final response, was given up by Timer C (§16.8), or was
    /// CANCELled when `group_timeout` expired. A 2xx, a 6xx (§16.7 step 5)
    /// or a CANCEL from upstream (§16.10) ends the walk; the best final
    /// response is chosen over every branch of every group (§16.7 step 6).
    Sequential {
        /// How long a group may ring before its branches are CANCELled
        /// and the next group starts; `None` waits for the group's final
        /// responses (or Timer C). The last group is never cut short: it
        /// rings until it answers, Timer C fires or the caller gives up.
        group_timeout: Option<Duration>,
    },
}

/// One element of a target set (RFC 3261 §16.5): a URI and its preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The target URI (it becomes the Request-URI of the copy, §16.6 step 2).
    pub uri: String,
    /// The `q` preference in thousandths (`q=0.7` is 700, RFC 3261 §20.10);
    /// `None` orders as [`DEFAULT_Q`].
    pub q: Option<u16>,
}

impl Target {
    /// A target without a q-value.
    pub fn new(uri: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            q: None,
        }
    }

    /// A target with q-value `q` in thousandths (clamped to 1000).
    pub fn with_q(uri: impl Into<String>, q: u16) -> Self {
        Self {
            uri: uri.into(),
            q: Some(q.min(1000)),
        }
    }

    /// The q-value this target is ordered by.
    pub fn order_q(&self) -> u16 {
        self.q.unwrap_or(DEFAULT_Q)
    }
}

/// Orders `targets` from the highest q-value to the lowest, keeping the
/// given order among equal q-values.
pub(crate) fn sort_by_q(targets: &mut [Target]) {
    // [RFC 3261 §16.6] "Targets are processed from highest qvalue to
    // lowest."
    targets.sort_by_key(|t| std::cmp::Reverse(t.order_q()));
}

/// Inserts `t` into `waiting` (sorted by [`sort_by_q`]) after every target
/// of the same or a higher q-value.
pub(crate) fn insert_by_q(waiting: &mut Vec<Target>, t: Target) {
    let q = t.order_q();
    let at = waiting
        .iter()
        .position(|w| w.order_q() < q)
        .unwrap_or(waiting.len());
    waiting.insert(at, t);
}

/// Takes the next group to start from `waiting` (sorted by q): every
/// waiting target in parallel mode, the leading targets of equal q in
/// sequential mode.
pub(crate) fn next_group(waiting: &mut Vec<Target>, forking: Forking) -> Vec<Target> {
    // [RFC 3261 §16.6] "A stateful proxy MAY process the set in any order."
    match forking {
        // [RFC 3261 §16.6] "It also MAY arbitrarily divide the set into groups,
        // processing the groups serially and processing the targets in each
        // group in parallel."
        Forking::Sequential { .. } => {
            let Some(q) = waiting.first().map(Target::order_q) else {
                return Vec::new();
            };
            // [RFC 3261 §16.6] "Targets with equal qvalues may be processed in
            // parallel."
            let n = waiting
                .iter()
                .position(|t| t.order_q() != q)
                .unwrap_or(waiting.len());
            waiting.drain(..n).collect()
        }
        // [RFC 3261 §16.6] "It MAY start client transactions with every target
        // in parallel."
        _ => std::mem::take(waiting),
    }
}

/// Whether `uri` equals (by the URI comparison rules of its scheme) one of
/// `known`.
pub(crate) fn is_known<'k>(uri: &Uri<'_>, mut known: impl Iterator<Item = &'k str>) -> bool {
    known.any(|k| Uri::parse(k).is_ok_and(|x| x.equivalent(uri)))
}

/// What the proxy does with one Contact value of a 3xx it recurses on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recursion {
    /// Added to the target set: removed from the response.
    Add(Target),
    /// Already in the target set (tried, ringing or waiting): removed from
    /// the response too, so that nobody upstream tries it again.
    Known,
    /// Left in the response (not a SIP or SIPS URI, a SIP URI for a SIPS
    /// request, unparseable, or beyond the target set's bound).
    Keep,
}

/// Decides, for each Contact value of a 3xx response, whether the proxy
/// recurses on it (RFC 3261 §16.5, §16.7 step 4). `known` lists the URIs
/// already in the target set, `room` how many more it may hold, `sips`
/// whether the original Request-URI was a SIPS URI.
pub(crate) fn recurse_on(
    contacts: &[&str],
    known: &[&str],
    mut room: usize,
    sips: bool,
) -> Vec<Recursion> {
    let mut out: Vec<Recursion> = Vec::with_capacity(contacts.len());
    let mut added: Vec<String> = Vec::new();
    for value in contacts {
        let Ok(Contact::Addr(addr)) = Contact::parse(value) else {
            out.push(Recursion::Keep);
            continue;
        };
        let Uri::Sip(sip) = addr.uri() else {
            // [RFC 3261 §16.7] "A proxy may choose to recurse on the SIP and
            // SIPS URIs and place the remainder into the response context to be
            // returned, potentially in the final response."
            out.push(Recursion::Keep);
            continue;
        };
        // [RFC 3261 §16.7] "However, a proxy SHOULD NOT recurse to a non-SIPS
        // URI if the Request-URI of the original request was a SIPS URI."
        if sips && !sip.secure {
            out.push(Recursion::Keep);
            continue;
        }
        // [RFC 3261 §16.5] "As above, any given URI MUST NOT be added to the set
        // more than once."
        let uri = addr.uri();
        if is_known(uri, known.iter().copied()) || is_known(uri, added.iter().map(String::as_str)) {
            out.push(Recursion::Known);
            continue;
        }
        if room == 0 {
            out.push(Recursion::Keep);
            continue;
        }
        room -= 1;
        let q = Contact::Addr(addr.clone()).q();
        added.push(addr.uri_str().to_owned());
        out.push(Recursion::Add(Target {
            uri: addr.uri_str().to_owned(),
            q,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(uri: &str, q: Option<u16>) -> Target {
        Target { uri: uri.into(), q }
    }

    // [RFC 3261 §16.6 test] "Targets are processed from highest qvalue to
    // lowest."
    #[test]
    fn sorted_highest_q_first_stable_among_equals() {
        let mut v = vec![
            t("sip:a@x", Some(500)),
            t("sip:b@x", None),
            t("sip:c@x", Some(1000)),
            t("sip:d@x", Some(100)),
            t("sip:e@x", Some(500)),
        ];
        sort_by_q(&mut v);
        let uris: Vec<&str> = v.iter().map(|t| t.uri.as_str()).collect();
        assert_eq!(
            uris,
            ["sip:b@x", "sip:c@x", "sip:a@x", "sip:e@x", "sip:d@x"]
        );
    }

    // [RFC 3261 §16.6 test] "Targets with equal qvalues may be processed in
    // parallel."
    #[test]
    fn sequential_groups_are_runs_of_equal_q() {
        let mut v = vec![
            t("sip:a@x", Some(1000)),
            t("sip:b@x", None),
            t("sip:c@x", Some(500)),
            t("sip:d@x", Some(500)),
            t("sip:e@x", Some(0)),
        ];
        let seq = Forking::Sequential {
            group_timeout: None,
        };
        let g: Vec<Vec<String>> = (0..4)
            .map(|_| next_group(&mut v, seq).into_iter().map(|t| t.uri).collect())
            .collect();
        assert_eq!(
            g,
            [
                vec!["sip:a@x".to_owned(), "sip:b@x".to_owned()],
                vec!["sip:c@x".to_owned(), "sip:d@x".to_owned()],
                vec!["sip:e@x".to_owned()],
                vec![],
            ]
        );
        let mut v = vec![t("sip:a@x", Some(1000)), t("sip:c@x", Some(500))];
        assert_eq!(next_group(&mut v, Forking::Parallel).len(), 2);
        assert!(v.is_empty());
    }

    #[test]
    fn inserted_after_equal_q() {
        let mut v = vec![t("sip:a@x", Some(800)), t("sip:b@x", Some(300))];
        insert_by_q(&mut v, t("sip:c@x", Some(800)));
        insert_by_q(&mut v, t("sip:d@x", None));
        insert_by_q(&mut v, t("sip:e@x", Some(0)));
        let uris: Vec<&str> = v.iter().map(|t| t.uri.as_str()).collect();
        assert_eq!(
            uris,
            ["sip:d@x", "sip:a@x", "sip:c@x", "sip:b@x", "sip:e@x"]
        );
    }

    // [RFC 3261 §16.5 test] "As above, any given URI MUST NOT be added to the
    // set more than once."
    // [RFC 3261 §16.7 test] "However, a proxy SHOULD NOT recurse to a non-SIPS
    // URI if the Request-URI of the original request was a SIPS URI."
    #[test]
    fn recursion_adds_new_sip_uris_once_and_keeps_the_rest() {
        let contacts = [
            "<sip:carol@192.0.2.7>;q=0.7",
            "<mailto:carol@example.com>",
            "<SIP:carol@192.0.2.7>;q=0.1",
            "<sip:bob@192.0.2.4>",
            "<sip:dave@192.0.2.8>",
            "<sip:erin@192.0.2.9>",
            "not a contact <",
        ];
        let known = ["sip:bob@192.0.2.4"];
        let r = recurse_on(&contacts, &known, 2, false);
        assert_eq!(
            r,
            [
                Recursion::Add(Target::with_q("sip:carol@192.0.2.7", 700)),
                Recursion::Keep,
                Recursion::Known,
                Recursion::Known,
                Recursion::Add(Target::new("sip:dave@192.0.2.8")),
                Recursion::Keep,
                Recursion::Keep,
            ]
        );
        let sips = recurse_on(&["<sip:a@x>", "<sips:b@x>"], &[], 5, true);
        assert_eq!(
            sips,
            [Recursion::Keep, Recursion::Add(Target::new("sips:b@x"))]
        );
    }
}
