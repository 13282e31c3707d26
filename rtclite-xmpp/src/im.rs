//! Instant messaging and presence (RFC 6121): the roster and subscription states.
//!
//! Messages and presence stanzas are in [`crate::stanza`]; the subscription
//! handshakes are presence stanzas sent with
//! [`crate::client::Client::subscribe`] and friends. This module holds the
//! roster model (RFC 6121 §2) that the client fills from roster results and
//! pushes.

use crate::jid::Jid;
use crate::xml::Element;

/// Roster namespace (RFC 6121 §2.1).
pub const NS_ROSTER: &str = "jabber:iq:roster";

/// Most items kept from one roster result; the rest is dropped.
pub const MAX_ROSTER_ITEMS: usize = 10_000;

/// The subscription state of a roster item (RFC 6121 §2.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subscription {
    /// Neither side is subscribed.
    None,
    /// The contact has a subscription to the user's presence.
    From,
    /// The user has a subscription to the contact's presence.
    To,
    /// Both.
    Both,
    /// The item is being removed (only in a roster set or push).
    Remove,
}

impl Subscription {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::From => "from",
            Self::To => "to",
            Self::Both => "both",
            Self::Remove => "remove",
        }
    }

    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("from") => Self::From,
            Some("to") => Self::To,
            Some("both") => Self::Both,
            Some("remove") => Self::Remove,
            // [RFC 6121 §2.1.2.5] "the client MUST ignore values of the 'subscription' attribute
            // other than "none", "to", "from", or "both""
            _ => Self::None,
        }
    }
}

/// One roster item (RFC 6121 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterItem {
    /// The contact's bare JID.
    pub jid: Jid,
    /// The user's name for the contact.
    pub name: Option<String>,
    /// Subscription state.
    pub subscription: Subscription,
    /// An outbound subscription request is pending (`ask='subscribe'`, RFC 6121 §2.1.2.2).
    pub ask: bool,
    /// A pre-approval is in effect (RFC 6121 §2.1.2.1).
    pub approved: bool,
    /// Groups, in order.
    pub groups: Vec<String>,
}

impl RosterItem {
    /// An item for `jid` with no name, no groups and subscription none.
    pub fn new(jid: Jid) -> Self {
        Self {
            jid,
            name: None,
            subscription: Subscription::None,
            ask: false,
            approved: false,
            groups: Vec::new(),
        }
    }

    /// Reads an `<item/>`; `None` when it has no valid `jid`.
    pub fn from_element(el: &Element) -> Option<Self> {
        let jid = Jid::new(el.attr("jid")?).ok()?;
        Some(Self {
            jid,
            name: el.attr("name").map(str::to_owned),
            subscription: Subscription::parse(el.attr("subscription")),
            ask: el.attr("ask") == Some("subscribe"),
            approved: matches!(el.attr("approved"), Some("true" | "1")),
            groups: el
                .children()
                .filter(|c| c.is("group", NS_ROSTER))
                .map(Element::text)
                .collect(),
        })
    }

    /// The `<item/>` for a roster set (RFC 6121 §2.3). The client never sets
    /// `ask` or `approved`, and sets `subscription` only to `remove`.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new("item", NS_ROSTER).with_attr("jid", self.jid.as_str());
        if let Some(n) = &self.name {
            e.set_attr("name", n.as_str());
        }
        // [RFC 6121 §2.1.2.5] "In a roster set (Section 2.1.5), the 'subscription' attribute MAY
        // be included with a value of "remove""
        if self.subscription == Subscription::Remove {
            e.set_attr("subscription", "remove");
        }
        for g in &self.groups {
            e.push_child(Element::new("group", NS_ROSTER).with_text(g.as_str()));
        }
        e
    }
}

/// A roster (RFC 6121 §2.1): its items and version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roster {
    /// The version string, when the server supports versioning (RFC 6121 §2.6).
    pub ver: Option<String>,
    /// The items.
    pub items: Vec<RosterItem>,
}

impl Roster {
    /// Reads a `<query xmlns='jabber:iq:roster'/>`; items without a valid JID are skipped.
    pub fn from_query(q: &Element) -> Self {
        Self {
            ver: q.attr("ver").map(str::to_owned),
            items: q
                .children()
                .filter(|c| c.is("item", NS_ROSTER))
                .filter_map(RosterItem::from_element)
                .take(MAX_ROSTER_ITEMS)
                .collect(),
        }
    }

    /// Applies a roster push (RFC 6121 §2.1.6): replaces or removes the item.
    pub fn apply_push(&mut self, item: RosterItem, ver: Option<String>) {
        self.items.retain(|i| i.jid != item.jid);
        if item.subscription != Subscription::Remove && self.items.len() < MAX_ROSTER_ITEMS {
            self.items.push(item);
        }
        if ver.is_some() {
            self.ver = ver;
        }
    }

    /// The item for `jid`, if any.
    pub fn get(&self, jid: &Jid) -> Option<&RosterItem> {
        self.items
            .iter()
            .find(|i| i.jid.bare_str() == jid.bare_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_result_and_push() {
        // RFC 6121 §2.1.4 example roster result.
        let q = Element::parse(b"<query xmlns='jabber:iq:roster' ver='ver11'><item jid='romeo@example.net' name='Romeo' subscription='both'><group>Friends</group></item><item jid='mercutio@example.com' name='Mercutio' subscription='from'/><item jid='benvolio@example.net' name='Benvolio' subscription='both'/></query>").unwrap();
        let mut r = Roster::from_query(&q);
        assert_eq!(r.ver.as_deref(), Some("ver11"));
        assert_eq!(r.items.len(), 3);
        assert_eq!(r.items[0].groups, vec!["Friends".to_string()]);
        assert_eq!(r.items[1].subscription, Subscription::From);
        let mut rm = RosterItem::new(Jid::new("mercutio@example.com").unwrap());
        rm.subscription = Subscription::Remove;
        r.apply_push(rm, Some("ver12".into()));
        assert_eq!(r.items.len(), 2);
        assert_eq!(r.ver.as_deref(), Some("ver12"));
    }
}
