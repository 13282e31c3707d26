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
    // [RFC 6121 §2.1.2.1] "A client MUST NOT include the 'approved' attribute in the roster sets
    // it sends to the server"
    // [RFC 6121 §2.1.2.2] "A client MUST NOT include the 'ask' attribute in the roster sets it
    // sends to the server"
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

// ---------------------------------------------------------------------------
// Server-side requirements of RFC 6121 in the sections this crate claims
// (roster storage and pushes, subscription state and routing, presence
// broadcast and probes). rtclite-xmpp is a client library: the client side
// of these exchanges is in this module and in `client`; what the user's and
// the contact's servers must do is listed here as a deliberate gap.

// [RFC 6121 §2 exception: server rule, this crate is a client and component] "When the user adds items to the roster or modifies existing"
// [RFC 6121 §2 exception: server rule, this crate is a client and component] "Security Warning: Because the user's roster can contain"
// [RFC 6121 §2.1.1 exception: server rule, this crate is a client and component] "The value MUST be generated only by the server and MUST"
// [RFC 6121 §2.1.2.1 exception: server rule, this crate is a client and component] "A server SHOULD include the 'approved' attribute to inform"
// [RFC 6121 §2.1.2.2 exception: server rule, this crate is a client and component] "A server SHOULD include the 'ask' attribute to inform the"
// [RFC 6121 §2.1.4 exception: server rule, this crate is a client and component] "If the roster exists but there are no contacts in the roster,"
// [RFC 6121 §2.1.4 exception: server rule, this crate is a client and component] "If the roster does not exist, then the server MUST return"
// [RFC 6121 §2.1.5 exception: server rule, this crate is a client and component] "The server MUST ignore any value of the 'subscription' attribute"
// [RFC 6121 §2.2 exception: server rule, this crate is a client and component] "The server MUST send roster pushes to all interested resources."
// [RFC 6121 §2.2 exception: server rule, this crate is a client and component] "S: <iq id='hu2bac18' to='juliet@example.com/balcony' type='result'> <query"
// [RFC 6121 §2.3.2 exception: server rule, this crate is a client and component] "The server MUST return an IQ stanza of type "result" to"
// [RFC 6121 §2.3.2 exception: server rule, this crate is a client and component] "The server MUST also send a roster push containing the new"
// [RFC 6121 §2.3.3 exception: server rule, this crate is a client and component] "The server MUST return a <forbidden/> stanza error to the"
// [RFC 6121 §2.3.3 exception: server rule, this crate is a client and component] "The server MUST return a <bad-request/> stanza error to"
// [RFC 6121 §2.3.3 exception: server rule, this crate is a client and component] "The server MUST return a <not-acceptable/> stanza error"
// [RFC 6121 §2.4.2 exception: server rule, this crate is a client and component] "As with adding a roster item, if the roster item can be"
// [RFC 6121 §2.5.2 exception: server rule, this crate is a client and component] "If the user has a presence subscription to the contact,"
// [RFC 6121 §2.5.2 exception: server rule, this crate is a client and component] "If the contact has a presence subscription to the user,"
// [RFC 6121 §2.5.2 exception: server rule, this crate is a client and component] "If the presence subscription is mutual, then the user's"
// [RFC 6121 §2.5.3 exception: server rule, this crate is a client and component] "If the value of the 'jid' attribute specifies an item that"
// [RFC 6121 §2.6.1 exception: server rule, this crate is a client and component] "If a server supports roster versioning, then it MUST advertise"
// [RFC 6121 §2.6.3 exception: server rule, this crate is a client and component] "In general, unless returning the complete roster would (1)"
// [RFC 6121 §2.6.3 exception: server rule, this crate is a client and component] "When roster versioning is enabled, the server MUST include"
// [RFC 6121 §2.6.3 exception: server rule, this crate is a client and component] "Even if the client has not included the 'ver' attribute"
// [RFC 6121 §3 exception: server rule, this crate is a client and component] "Implementation Note: When a server processes or generates"
// [RFC 6121 §3.1.1 exception: server rule, this crate is a client and component] "A server MUST process a roster set and outbound presence"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "Upon receiving the outbound presence subscription request,"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "Before processing the request, the user's server MUST check"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "If the JID is of the form <contact@domainpart/resourcepart>"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "The server MAY also verify that the JID adheres to the format"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "If the potential contact is hosted on the same server as"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "If the potential contact is hosted on a remote server, subject"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "As mentioned, before locally delivering or remotely routing"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "If the presence subscription request cannot be locally delivered"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "After locally delivering or remotely routing the presence"
// [RFC 6121 §3.1.2 exception: server rule, this crate is a client and component] "If a remote contact does not approve or deny the subscription"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "Before processing the inbound presence subscription request,"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "If the JID is of the form <contact@domainpart/resourcepart>"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "The server MAY also verify that the JID adheres to the format"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "When processing the inbound presence subscription request,"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "Above all, the contact's server MUST NOT automatically approve"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "Instead, if a subscription request requires approval then"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "If the contact exists and the user already has a subscription"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "Likewise, if the contact previously sent a presence stanza"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "Otherwise, if there is at least one available resource associated"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "Otherwise, if the contact has no available resources when"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "The contact's server MUST continue to deliver the subscription"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "(The contact's server MUST NOT deliver more than one subscription"
// [RFC 6121 §3.1.3 exception: server rule, this crate is a client and component] "Security Warning: Until and unless the contact approves"
// [RFC 6121 §3.1.5 exception: server rule, this crate is a client and component] "The contact's server then MUST send an updated roster push"
// [RFC 6121 §3.1.5 exception: server rule, this crate is a client and component] "The contact's server MUST then also send current presence"
// [RFC 6121 §3.1.6 exception: server rule, this crate is a client and component] "When the user's server receives a subscription approval,"
// [RFC 6121 §3.1.6 exception: server rule, this crate is a client and component] "If this check is successful, then the user's server MUST:"
// [RFC 6121 §3.1.6 exception: server rule, this crate is a client and component] "The user's server MUST also deliver the available presence"
// [RFC 6121 §3.1.6 exception: server rule, this crate is a client and component] "Implementation Note: If the user's account has no available"
// [RFC 6121 §3.1.6 exception: server rule, this crate is a client and component] "Otherwise -- that is, if the user does not exist, if the"
// [RFC 6121 §3.2.2 exception: server rule, this crate is a client and component] "Upon receiving the outbound subscription cancellation, the"
// [RFC 6121 §3.2.2 exception: server rule, this crate is a client and component] "If the user's bare JID is not yet in the contact's roster"
// [RFC 6121 §3.2.2 exception: server rule, this crate is a client and component] "If the user's bare JID is in the contact's roster with a"
// [RFC 6121 §3.2.2 exception: server rule, this crate is a client and component] "Otherwise, as shown in the following examples, the contact's"
// [RFC 6121 §3.2.2 exception: server rule, this crate is a client and component] "While the user is still subscribed to the contact's presence"
// [RFC 6121 §3.2.2 exception: server rule, this crate is a client and component] "Then the contact's server MUST route or deliver the presence"
// [RFC 6121 §3.2.2 exception: server rule, this crate is a client and component] "The contact's server then MUST send a roster push with the"
// [RFC 6121 §3.2.3 exception: server rule, this crate is a client and component] "If this check is successful, then the user's server MUST:"
// [RFC 6121 §3.2.3 exception: server rule, this crate is a client and component] "The user's server MUST also deliver the inbound presence"
// [RFC 6121 §3.2.3 exception: server rule, this crate is a client and component] "Implementation Note: If the user's account has no available"
// [RFC 6121 §3.2.3 exception: server rule, this crate is a client and component] "Otherwise -- that is, if the user does not exist, if the"
// [RFC 6121 §3.3.2 exception: server rule, this crate is a client and component] "Upon receiving the outbound unsubscribe, the user's server"
// [RFC 6121 §3.3.2 exception: server rule, this crate is a client and component] "If the contact is hosted on the same server as the user,"
// [RFC 6121 §3.3.2 exception: server rule, this crate is a client and component] "If the contact is hosted on a remote server, subject to"
// [RFC 6121 §3.3.2 exception: server rule, this crate is a client and component] "As mentioned, before locally delivering or remotely routing"
// [RFC 6121 §3.3.2 exception: server rule, this crate is a client and component] "The user's server then MUST send a roster push with the"
// [RFC 6121 §3.3.3 exception: server rule, this crate is a client and component] "If this check is successful, then the contact's server MUST:"
// [RFC 6121 §3.3.3 exception: server rule, this crate is a client and component] "Implementation Note: If the contact's account has no available"
// [RFC 6121 §3.3.3 exception: server rule, this crate is a client and component] "Otherwise -- that is, if the contact does not exist, if"
// [RFC 6121 §3.3.3 exception: server rule, this crate is a client and component] "However, if the contact's server is keeping track of an"
// [RFC 6121 §3.4.2 exception: server rule, this crate is a client and component] "If the contact is in the user's roster with a state of "To"
// [RFC 6121 §3.4.2 exception: server rule, this crate is a client and component] "However, the user's server MUST NOT route the presence stanza"
// [RFC 6121 §3.4.2 exception: server rule, this crate is a client and component] "If the contact is not yet in the user's roster, the user's"
// [RFC 6121 §3.4.2 exception: server rule, this crate is a client and component] "When the 'approved' flag is set to "true", the user's server"
// [RFC 6121 §4.2.2 exception: server rule, this crate is a client and component] "The user's server MUST also broadcast initial presence from"
// [RFC 6121 §4.2.2 exception: server rule, this crate is a client and component] "In the absence of presence information about the user's"
// [RFC 6121 §4.2.3 exception: server rule, this crate is a client and component] "Upon receiving presence from the user, the contact's server"
// [RFC 6121 §4.3 exception: server rule, this crate is a client and component] "However, if a user's client generates an outbound presence"
// [RFC 6121 §4.3.1 exception: server rule, this crate is a client and component] "Implementation Note: Although presence probes are intended"
// [RFC 6121 §4.3.1 exception: server rule, this crate is a client and component] "The user's server SHOULD send a presence probe whenever"
// [RFC 6121 §4.3.1 exception: server rule, this crate is a client and component] "In addition, a server MAY periodically send a presence probe"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "Upon receiving a presence probe to the contact's bare JID"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "If the contact account does not exist or the user's bare"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "However, if a server receives a presence probe from a configured"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "Else, if the contact has moved temporarily or permanently"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "Else, if the contact has no available resources, then the"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "Else, if the contact has at least one available resource,"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "If the contact's server receives a presence probe addressed"
// [RFC 6121 §4.3.2 exception: server rule, this crate is a client and component] "If there is a resource matching the full JID and the probing"
// [RFC 6121 §4.3.2.1 exception: server rule, this crate is a client and component] "For this reason, if the contact currently has available"
// [RFC 6121 §4.3.2.1 exception: server rule, this crate is a client and component] "By contrast, if the contact currently has no available resources,"
// [RFC 6121 §4.4.2 exception: server rule, this crate is a client and component] "Upon receiving a presence stanza expressing updated availability,"
// [RFC 6121 §4.4.2 exception: server rule, this crate is a client and component] "The user's server MUST also send the presence stanza to"
// [RFC 6121 §4.4.3 exception: server rule, this crate is a client and component] "Upon receiving presence from the user, the contact's server"
// [RFC 6121 §4.5.2 exception: server rule, this crate is a client and component] "The user's server MUST NOT depend on receiving unavailable"
// [RFC 6121 §4.5.2 exception: server rule, this crate is a client and component] "If an available resource becomes unavailable for any reason"
// [RFC 6121 §4.5.2 exception: server rule, this crate is a client and component] "US: <presence from='juliet@example.com/balcony' to='mercutio@example.com' type='unavailable'> <status>going"
// [RFC 6121 §4.5.2 exception: server rule, this crate is a client and component] "If the server detects that the user has gone offline ungracefully,"
// [RFC 6121 §4.5.3 exception: server rule, this crate is a client and component] "Upon receiving an unavailable notification from the user,"
// [RFC 6121 §4.6.1 exception: server rule, this crate is a client and component] "For example, if a user shares directed presence with a contact"
// [RFC 6121 §4.6.1 exception: server rule, this crate is a client and component] "As another example, if the user then cancels the contact's"
// [RFC 6121 §4.6.1 exception: server rule, this crate is a client and component] "The server MUST remove from the directed presence list (or"
// [RFC 6121 §4.6.3 exception: server rule, this crate is a client and component] "If the user sends directed available or unavailable presence"
// [RFC 6121 §4.6.3 exception: server rule, this crate is a client and component] "If the user sends directed presence to an entity that is"
// [RFC 6121 §4.6.3 exception: server rule, this crate is a client and component] "If the user sends directed presence without first sending"
// [RFC 6121 §4.6.6 exception: server rule, this crate is a client and component] "When the user's server receives a probe, it MUST first apply"
// [RFC 6121 §4.6.6 exception: server rule, this crate is a client and component] "If the probing entity does not have a subscription to the"
// [RFC 6121 §4.7.2.3 exception: server rule, this crate is a client and component] "If the server does so, it MUST communicate the modified"
// [RFC 6121 §5.2.2 exception: server rule, this crate is a client and component] "If the 'to' address is the bare JID, the receiving server"
// [RFC 6121 §5.2.2 exception: server rule, this crate is a client and component] "Although the 'type' attribute is OPTIONAL, it is considered"
