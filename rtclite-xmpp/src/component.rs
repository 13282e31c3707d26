//! The component side of a XEP-0114 stream (`jabber:component:accept`), sans-IO.
//!
//! A gateway (for example XMPP-to-SIP) connects to a server as an external
//! component: it opens a stream to its own domain, proves knowledge of the
//! shared secret with `<handshake/>`, and then sends and receives stanzas
//! addressed to any JID at that domain. Same drive loop as
//! [`crate::client::Client`].

use std::collections::VecDeque;
use std::time::Instant;

use sha1::{Digest, Sha1};

use crate::client::Transmit;
use crate::error::{StreamError, StreamErrorCondition};
use crate::stanza::{NS_COMPONENT, Stanza};
use crate::xml::{
    Element, Limits, NS_STREAM, StreamHeader, StreamParser, TypedEvent, XmlError, XmlEvent,
};

/// What the application must know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ComponentEvent {
    /// The handshake succeeded; stanzas may flow.
    Online,
    /// A stanza arrived.
    Stanza(Box<Stanza>),
    /// A first-level element that is not a valid stanza, ignored.
    Invalid(String),
    /// The stream is closed.
    Closed(Option<StreamError>),
}

/// Why the component stream failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    /// Bad XML from the server.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The server sent a stream error (e.g. not-authorized for a wrong secret).
    #[error("server closed the stream: {0}")]
    Stream(StreamError),
    /// The server broke the protocol.
    #[error("protocol violation: {0}")]
    Protocol(&'static str),
}

/// The handshake value of XEP-0114 §3: lowercase hex SHA-1 of stream id + secret.
pub fn handshake_digest(stream_id: &str, secret: &str) -> String {
    // [XEP-0114 §3] "Hash the concatenated string according to the SHA1 algorithm, i.e., SHA1(
    // concat (sid, password))."
    let d = Sha1::new()
        .chain_update(stream_id.as_bytes())
        .chain_update(secret.as_bytes())
        .finalize();
    // [XEP-0114 §3] "Convert the hash output to all lowercase characters."
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    AwaitHeader,
    AwaitHandshake,
    Online,
    Closed,
}

/// An external component stream (XEP-0114, accept method).
#[derive(Debug)]
pub struct Component {
    domain: String,
    secret: String,
    parser: StreamParser,
    state: State,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ComponentEvent>,
}

impl Component {
    /// A component for `domain` with the shared `secret`.
    pub fn new(domain: impl Into<String>, secret: impl Into<String>, limits: Limits) -> Self {
        Self {
            domain: domain.into(),
            secret: secret.into(),
            parser: StreamParser::with_limits(limits),
            state: State::Idle,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// True once the handshake succeeded and until the stream closes.
    pub fn is_online(&self) -> bool {
        self.state == State::Online
    }

    /// Sends the stream header.
    pub fn connect(&mut self, _now: Instant) {
        // [XEP-0114 §3] "In the 'jabber:component:accept' namespace, the value of the 'to'
        // address is the component name, not the server name"
        let h = StreamHeader {
            default_ns: NS_COMPONENT.into(),
            attrs: vec![crate::xml::Attribute {
                name: "to".into(),
                value: self.domain.clone(),
            }],
        };
        self.push(h.to_xml());
        self.state = State::AwaitHeader;
    }

    fn push(&mut self, s: String) {
        self.transmits.push_back(Transmit {
            data: s.into_bytes(),
        });
    }

    /// Feeds bytes read from the connection.
    pub fn handle_input(&mut self, _now: Instant, data: &[u8]) -> Result<(), ComponentError> {
        if self.state == State::Closed {
            return Ok(());
        }
        self.parser.feed(data);
        loop {
            // Once online, stanzas come typed straight from the bytes.
            let next = if self.state == State::Online {
                self.parser.next_typed()
            } else {
                self.parser.next_event().map(|e| e.map(TypedEvent::Xml))
            };
            let ev = match next {
                Ok(Some(TypedEvent::Xml(ev))) => ev,
                Ok(Some(TypedEvent::Stanza(s))) => {
                    self.events.push_back(ComponentEvent::Stanza(Box::new(s)));
                    continue;
                }
                Ok(Some(TypedEvent::InvalidStanza(e))) => {
                    self.events
                        .push_back(ComponentEvent::Invalid(e.to_string()));
                    continue;
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    let se = StreamError::from(&e);
                    self.push(se.to_xml());
                    self.close(Some(se));
                    return Err(e.into());
                }
            };
            match (self.state, ev) {
                (State::AwaitHeader, XmlEvent::StreamOpen(h)) => {
                    let Some(id) = h.attr("id") else {
                        self.close(Some(StreamError::new(StreamErrorCondition::InvalidXml)));
                        return Err(ComponentError::Protocol(
                            "stream header without id (XEP-0114 §3)",
                        ));
                    };
                    // [XEP-0114 §3] "After receiving the stream header reply from the server, the
                    // component MUST send a <handshake/> element with appropriate contents."
                    let d = handshake_digest(id, &self.secret);
                    self.push(format!("<handshake>{d}</handshake>"));
                    self.state = State::AwaitHandshake;
                }
                (_, XmlEvent::StreamClose) => {
                    self.close(None);
                    return Ok(());
                }
                (_, XmlEvent::Stanza(el)) if el.is("error", NS_STREAM) => {
                    let se = StreamError::from_element(&el);
                    self.close(Some(se.clone()));
                    return Err(ComponentError::Stream(se));
                }
                (State::AwaitHandshake, XmlEvent::Stanza(el)) => {
                    // [XEP-0114 §3] "If the credentials are acceptable, the receiving application (in
                    // this case the server) MUST return an empty <handshake/> element."
                    if el.name() == "handshake" {
                        self.state = State::Online;
                        self.events.push_back(ComponentEvent::Online);
                    } else {
                        self.close(None);
                        return Err(ComponentError::Protocol("expected <handshake/>"));
                    }
                }
                (State::Online, XmlEvent::Stanza(el)) => match Stanza::try_from(el) {
                    Ok(s) => self.events.push_back(ComponentEvent::Stanza(Box::new(s))),
                    Err(e) => self
                        .events
                        .push_back(ComponentEvent::Invalid(e.to_string())),
                },
                _ => {
                    self.close(None);
                    return Err(ComponentError::Protocol(
                        "unexpected element in component negotiation",
                    ));
                }
            }
        }
    }

    fn close(&mut self, err: Option<StreamError>) {
        if self.state != State::Closed {
            self.push("</stream:stream>".into());
            self.state = State::Closed;
            self.events.push_back(ComponentEvent::Closed(err));
        }
    }

    /// Sends a stanza (it must carry `from` at our domain and `to`, XEP-0114 §3).
    pub fn send_stanza(&mut self, stanza: &Stanza) {
        let el: Element = stanza.to_element(NS_COMPONENT);
        self.push(el.to_xml_in(NS_COMPONENT));
    }

    /// Closes the stream.
    pub fn close_stream(&mut self) {
        self.close(None);
    }

    /// The next bytes to write.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ComponentEvent> {
        self.events.pop_front()
    }

    /// Components have no timers of their own; always `None`.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // [XEP-0114 §3 test] "Convert the hash output to all lowercase characters."
    #[test]
    fn xep0114_handshake_example() {
        // The example's stream id is 3BF96D32; the digest in the example is that of the secret "test".
        assert_eq!(
            handshake_digest("3BF96D32", "test"),
            "aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e"
        );
    }

    #[test]
    fn handshake_flow() {
        let now = Instant::now();
        let mut c = Component::new("plays.shakespeare.lit", "test", Limits::default());
        c.connect(now);
        let hdr = c.poll_transmit().unwrap();
        assert!(
            String::from_utf8(hdr.data)
                .unwrap()
                .contains("xmlns='jabber:component:accept'")
        );
        c.handle_input(now, b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='plays.shakespeare.lit' id='3BF96D32'>").unwrap();
        assert_eq!(
            c.poll_transmit().unwrap().data,
            b"<handshake>aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e</handshake>"
        );
        c.handle_input(now, b"<handshake/><message from='a@b' to='x@plays.shakespeare.lit'><body>hi</body></message>").unwrap();
        assert_eq!(c.poll_event(), Some(ComponentEvent::Online));
        assert!(matches!(
            c.poll_event(),
            Some(ComponentEvent::Stanza(s)) if matches!(*s, Stanza::Message(_))
        ));
    }
}
