//! Stream errors (RFC 6120 §4.9) and stanza errors (RFC 6120 §8.3) as types.

use std::fmt;

use crate::xml::{Element, XmlError, XmlErrorKind};

/// Namespace of stream error conditions (RFC 6120 §4.9.2).
pub const NS_STREAMS_ERR: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// Namespace of stanza error conditions (RFC 6120 §8.3.2).
pub const NS_STANZAS_ERR: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

macro_rules! conditions {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var,)*
        }
        impl $name {
            /// All defined conditions, in the order of the RFC.
            pub const ALL: &'static [Self] = &[$(Self::$var,)*];
            /// The element name of the condition.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$var => $s,)* }
            }
            /// The condition named `s`, if defined.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$var),)* _ => None }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

conditions! {
    /// Defined stream error conditions (RFC 6120 §4.9.3).
    StreamErrorCondition {
        /// §4.9.3.1
        BadFormat = "bad-format",
        /// §4.9.3.2
        BadNamespacePrefix = "bad-namespace-prefix",
        /// §4.9.3.3
        Conflict = "conflict",
        /// §4.9.3.4
        ConnectionTimeout = "connection-timeout",
        /// §4.9.3.5
        HostGone = "host-gone",
        /// §4.9.3.6
        HostUnknown = "host-unknown",
        /// §4.9.3.7
        ImproperAddressing = "improper-addressing",
        /// §4.9.3.8
        InternalServerError = "internal-server-error",
        /// §4.9.3.9
        InvalidFrom = "invalid-from",
        /// §4.9.3.10
        InvalidNamespace = "invalid-namespace",
        /// §4.9.3.11
        InvalidXml = "invalid-xml",
        /// §4.9.3.12
        NotAuthorized = "not-authorized",
        /// §4.9.3.13
        NotWellFormed = "not-well-formed",
        /// §4.9.3.14
        PolicyViolation = "policy-violation",
        /// §4.9.3.15
        RemoteConnectionFailed = "remote-connection-failed",
        /// §4.9.3.16
        Reset = "reset",
        /// §4.9.3.17
        ResourceConstraint = "resource-constraint",
        /// §4.9.3.18
        RestrictedXml = "restricted-xml",
        /// §4.9.3.19
        SeeOtherHost = "see-other-host",
        /// §4.9.3.20
        SystemShutdown = "system-shutdown",
        /// §4.9.3.21
        UndefinedCondition = "undefined-condition",
        /// §4.9.3.22
        UnsupportedEncoding = "unsupported-encoding",
        /// §4.9.3.23
        UnsupportedFeature = "unsupported-feature",
        /// §4.9.3.24
        UnsupportedStanzaType = "unsupported-stanza-type",
        /// §4.9.3.25
        UnsupportedVersion = "unsupported-version",
    }
}

conditions! {
    /// Defined stanza error conditions (RFC 6120 §8.3.3).
    StanzaErrorCondition {
        /// §8.3.3.1
        BadRequest = "bad-request",
        /// §8.3.3.2
        Conflict = "conflict",
        /// §8.3.3.3
        FeatureNotImplemented = "feature-not-implemented",
        /// §8.3.3.4
        Forbidden = "forbidden",
        /// §8.3.3.5
        Gone = "gone",
        /// §8.3.3.6
        InternalServerError = "internal-server-error",
        /// §8.3.3.7
        ItemNotFound = "item-not-found",
        /// §8.3.3.8
        JidMalformed = "jid-malformed",
        /// §8.3.3.9
        NotAcceptable = "not-acceptable",
        /// §8.3.3.10
        NotAllowed = "not-allowed",
        /// §8.3.3.11
        NotAuthorized = "not-authorized",
        /// §8.3.3.12
        PolicyViolation = "policy-violation",
        /// §8.3.3.13
        RecipientUnavailable = "recipient-unavailable",
        /// §8.3.3.14
        Redirect = "redirect",
        /// §8.3.3.15
        RegistrationRequired = "registration-required",
        /// §8.3.3.16
        RemoteServerNotFound = "remote-server-not-found",
        /// §8.3.3.17
        RemoteServerTimeout = "remote-server-timeout",
        /// §8.3.3.18
        ResourceConstraint = "resource-constraint",
        /// §8.3.3.19
        ServiceUnavailable = "service-unavailable",
        /// §8.3.3.20
        SubscriptionRequired = "subscription-required",
        /// §8.3.3.21
        UndefinedCondition = "undefined-condition",
        /// §8.3.3.22
        UnexpectedRequest = "unexpected-request",
    }
}

/// A stream error (RFC 6120 §4.9), received or to be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream error <{condition}/>{}", text.as_deref().map(|t| format!(": {t}")).unwrap_or_default())]
pub struct StreamError {
    /// The defined condition.
    pub condition: StreamErrorCondition,
    /// Optional descriptive text.
    pub text: Option<String>,
}

impl StreamError {
    /// An error with no text.
    pub fn new(condition: StreamErrorCondition) -> Self {
        Self {
            condition,
            text: None,
        }
    }

    /// Reads a `<stream:error/>` element.
    pub fn from_element(el: &Element) -> Self {
        let mut condition = StreamErrorCondition::UndefinedCondition;
        let mut text = None;
        for c in el.children().filter(|c| c.ns() == NS_STREAMS_ERR) {
            if c.name() == "text" {
                text = Some(c.text());
            } else if let Some(cond) = StreamErrorCondition::from_name(c.name()) {
                condition = cond;
            }
        }
        Self { condition, text }
    }

    /// The `<stream:error/>` element as XML, in the stream namespace with its prefix.
    pub fn to_xml(&self) -> String {
        // [RFC 6120 §4.9.2] "MUST contain a child element corresponding to one of the defined
        // stream error conditions"
        let mut s = format!(
            "<stream:error><{} xmlns='{NS_STREAMS_ERR}'/>",
            self.condition
        );
        if let Some(t) = &self.text {
            s.push_str(&format!("<text xmlns='{NS_STREAMS_ERR}'>"));
            crate::xml::escape_into(&mut s, t, false);
            s.push_str("</text>");
        }
        s.push_str("</stream:error>");
        s
    }
}

impl From<&XmlError> for StreamError {
    /// The stream error to send for an XML error (RFC 6120 §11).
    fn from(e: &XmlError) -> Self {
        let condition = match &e.kind {
            // [RFC 6120 §11.1] "it MUST close the stream with a stream error, which SHOULD be
            // <restricted-xml/>"
            XmlErrorKind::Restricted(_) | XmlErrorKind::UnknownEntity(_) => {
                StreamErrorCondition::RestrictedXml
            }
            // [RFC 6120 §11.6] "it MUST close the stream with a stream error, which SHOULD be
            // <unsupported-encoding/>"
            XmlErrorKind::UnsupportedEncoding | XmlErrorKind::InvalidUtf8 => {
                StreamErrorCondition::UnsupportedEncoding
            }
            XmlErrorKind::InvalidNamespace => StreamErrorCondition::InvalidNamespace,
            XmlErrorKind::TooLarge(_)
            | XmlErrorKind::TooDeep(_)
            | XmlErrorKind::TooManyAttributes(_) => StreamErrorCondition::PolicyViolation,
            // [RFC 6120 §11.3] "instead it MUST close the stream over which the data was received
            // with a <not-well-formed/> stream error"
            _ => StreamErrorCondition::NotWellFormed,
        };
        Self {
            condition,
            text: Some(e.to_string()),
        }
    }
}

/// The error type of a stanza error (RFC 6120 §8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorType {
    /// Retry after providing credentials.
    Auth,
    /// Do not retry (the error cannot be remedied).
    Cancel,
    /// Proceed (the condition was only a warning).
    Continue,
    /// Retry after changing the data sent.
    Modify,
    /// Retry after waiting (the error is temporary).
    Wait,
}

impl ErrorType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Cancel => "cancel",
            Self::Continue => "continue",
            Self::Modify => "modify",
            Self::Wait => "wait",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "auth" => Self::Auth,
            "cancel" => Self::Cancel,
            "continue" => Self::Continue,
            "modify" => Self::Modify,
            "wait" => Self::Wait,
            _ => return None,
        })
    }
}

/// A stanza error (RFC 6120 §8.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stanza error {} <{condition}/>{}", error_type.as_str(), text.as_deref().map(|t| format!(": {t}")).unwrap_or_default())]
pub struct StanzaError {
    /// The error type.
    pub error_type: ErrorType,
    /// The defined condition.
    pub condition: StanzaErrorCondition,
    /// Optional descriptive text.
    pub text: Option<String>,
    /// The entity that generated the error (`by` attribute), if given.
    pub by: Option<String>,
    /// An application-specific condition element (RFC 6120 §8.3.4), e.g.
    /// XEP-0166's `<unknown-session/>`.
    pub application: Option<Element>,
}

impl StanzaError {
    /// An error with the given type and condition.
    pub fn new(error_type: ErrorType, condition: StanzaErrorCondition) -> Self {
        Self {
            error_type,
            condition,
            text: None,
            by: None,
            application: None,
        }
    }

    /// Reads the `<error/>` child of a stanza of type `error`.
    ///
    /// A missing or unknown type reads as `cancel`, a missing or unknown
    /// condition as `undefined-condition`.
    pub fn from_element(error: &Element) -> Self {
        let error_type = error
            .attr("type")
            .and_then(ErrorType::from_name)
            .unwrap_or(ErrorType::Cancel);
        let mut condition = StanzaErrorCondition::UndefinedCondition;
        let mut text = None;
        let mut application = None;
        for c in error.children() {
            if c.ns() != NS_STANZAS_ERR {
                application = application.or_else(|| Some(c.clone()));
            } else if c.name() == "text" {
                text = Some(c.text());
            } else if let Some(cond) = StanzaErrorCondition::from_name(c.name()) {
                condition = cond;
            }
        }
        Self {
            error_type,
            condition,
            text,
            by: error.attr("by").map(str::to_owned),
            application,
        }
    }

    /// The `<error/>` element, in namespace `content_ns` (e.g. `jabber:client`).
    pub fn to_element(&self, content_ns: &str) -> Element {
        // [RFC 6120 §8.3.2] "The "error-type" MUST be one of the following:"
        let mut e = Element::new("error", content_ns).with_attr("type", self.error_type.as_str());
        if let Some(by) = &self.by {
            e.set_attr("by", by.as_str());
        }
        e.push_child(Element::new(self.condition.as_str(), NS_STANZAS_ERR));
        if let Some(t) = &self.text {
            e.push_child(
                Element::new("text", NS_STANZAS_ERR)
                    .with_attr("xml:lang", "en")
                    .with_text(t.as_str()),
            );
        }
        if let Some(a) = &self.application {
            e.push_child(a.clone());
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_condition_round_trips_by_name() {
        for c in StreamErrorCondition::ALL {
            assert_eq!(StreamErrorCondition::from_name(c.as_str()), Some(*c));
        }
        for c in StanzaErrorCondition::ALL {
            assert_eq!(StanzaErrorCondition::from_name(c.as_str()), Some(*c));
        }
        assert_eq!(StreamErrorCondition::ALL.len(), 25);
        assert_eq!(StanzaErrorCondition::ALL.len(), 22);
    }

    #[test]
    fn stanza_error_round_trip() {
        let mut e = StanzaError::new(ErrorType::Cancel, StanzaErrorCondition::ServiceUnavailable);
        e.text = Some("no".into());
        e.application = Some(Element::new("unknown-session", "urn:xmpp:jingle:errors:1"));
        let el = e.to_element("jabber:client");
        assert_eq!(StanzaError::from_element(&el), e);
    }
}
