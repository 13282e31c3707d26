//! ICE attributes (RFC 8839 §5): candidate, ice-ufrag, ice-pwd, ice-options,
//! ice-lite, end-of-candidates.

use super::{AttributeValue, flag_attribute, number, required, text_attribute};
use crate::error::AttributeError;
use crate::parse::is_token;

const CANDIDATE: &str = "RFC 8839 §5.1";

/// `ice-char = ALPHA / DIGIT / "+" / "/"` (RFC 8839 §5.1).
fn is_ice_chars(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The type of an ICE candidate (RFC 8839 §5.1, RFC 8445 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateType<'a> {
    /// `host`.
    Host,
    /// `srflx`: server reflexive.
    ServerReflexive,
    /// `prflx`: peer reflexive.
    PeerReflexive,
    /// `relay`.
    Relay,
    /// Any other token.
    Other(&'a str),
}

impl<'a> CandidateType<'a> {
    fn from_token(s: &'a str) -> Self {
        match s {
            "host" => Self::Host,
            "srflx" => Self::ServerReflexive,
            "prflx" => Self::PeerReflexive,
            "relay" => Self::Relay,
            other => Self::Other(other),
        }
    }

    /// The token as written in SDP.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relay => "relay",
            Self::Other(s) => s,
        }
    }
}

/// `a=candidate:<foundation> <component-id> <transport> <priority>
/// <connection-address> <port> typ <cand-type> [raddr <addr>] [rport <port>]
/// *(<extension-name> <extension-value>)` (RFC 8839 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// 1 to 32 ice-chars.
    pub foundation: &'a str,
    /// Component: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// Transport, e.g. `UDP` (compare case-insensitively).
    pub transport: &'a str,
    /// Priority.
    pub priority: u32,
    /// Address (an IP address or, with mDNS, a host name).
    pub address: &'a str,
    /// Port.
    pub port: u16,
    /// Candidate type.
    pub kind: CandidateType<'a>,
    /// `raddr`, when present.
    pub related_address: Option<&'a str>,
    /// `rport`, when present.
    pub related_port: Option<u16>,
    /// Extension name/value pairs (e.g. `generation 0`, `tcptype active`).
    pub extensions: Vec<(&'a str, &'a str)>,
}

impl<'a> AttributeValue<'a> for Candidate<'a> {
    const NAME: &'static str = "candidate";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, CANDIDATE)?;
        let bad = |what| AttributeError::new(Self::NAME, what, CANDIDATE);
        let mut it = v.split(' ');
        let mut next = |what| it.next().filter(|s| !s.is_empty()).ok_or(bad(what));
        let foundation = next("missing foundation")?;
        // [RFC 8839 §5.1] "foundation            = 1*32ice-char"
        if foundation.len() > 32 || !is_ice_chars(foundation) {
            return Err(bad("foundation must be 1 to 32 ice-chars"));
        }
        let component = next("missing component-id")?;
        // [RFC 8839 §5.1] "component-id          = 1*3DIGIT"
        if component.len() > 3 {
            return Err(bad("component-id has more than 3 digits"));
        }
        let component = number(
            component,
            Self::NAME,
            "component-id must be a number",
            CANDIDATE,
        )?;
        let transport = next("missing transport")?;
        if !is_token(transport) {
            return Err(bad("transport must be a token"));
        }
        let priority = next("missing priority")?;
        // [RFC 8839 §5.1] "priority              = 1*10DIGIT"
        let priority = number(
            priority,
            Self::NAME,
            "priority must be a 32-bit number",
            CANDIDATE,
        )?;
        let address = next("missing connection-address")?;
        let port = number(
            next("missing port")?,
            Self::NAME,
            "port must be 0-65535",
            CANDIDATE,
        )?;
        if next("missing \"typ\"")? != "typ" {
            return Err(bad("expected \"typ\" after the port"));
        }
        let kind = next("missing candidate type")?;
        if !is_token(kind) {
            return Err(bad("candidate type must be a token"));
        }
        let mut related_address = None;
        let mut related_port = None;
        let mut extensions = Vec::new();
        while let Some(name) = it.next() {
            let value = it.next().ok_or(bad("extension without a value"))?;
            match name {
                "raddr" if related_address.is_none() && extensions.is_empty() => {
                    related_address = Some(value);
                }
                "rport" if related_port.is_none() && extensions.is_empty() => {
                    related_port = Some(number(
                        value,
                        Self::NAME,
                        "rport must be 0-65535",
                        CANDIDATE,
                    )?);
                }
                _ if is_token(name) => {
                    if extensions.len() >= 64 {
                        return Err(bad("more than 64 extensions"));
                    }
                    extensions.push((name, value));
                }
                _ => return Err(bad("extension name must be a token")),
            }
        }
        Ok(Self {
            foundation,
            component,
            transport,
            priority,
            address,
            port,
            kind: CandidateType::from_token(kind),
            related_address,
            related_port,
            extensions,
        })
    }

    fn value(&self) -> Option<String> {
        let mut s = format!(
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.kind.as_str()
        );
        if let Some(a) = self.related_address {
            s.push_str(" raddr ");
            s.push_str(a);
        }
        if let Some(p) = self.related_port {
            s.push_str(" rport ");
            s.push_str(&p.to_string());
        }
        for (k, v) in &self.extensions {
            s.push(' ');
            s.push_str(k);
            s.push(' ');
            s.push_str(v);
        }
        Some(s)
    }
}

text_attribute!(
    /// `a=ice-ufrag:<ufrag>`: 4 to 256 ice-chars (RFC 8839 §5.4).
    IceUfrag, "ice-ufrag", "RFC 8839 §5.4", |v| (4..=256).contains(&v.len()) && is_ice_chars(v)
);
text_attribute!(
    /// `a=ice-pwd:<password>`: 22 to 256 ice-chars (RFC 8839 §5.4).
    IcePwd, "ice-pwd", "RFC 8839 §5.4", |v| (22..=256).contains(&v.len()) && is_ice_chars(v)
);

/// `a=ice-options:<tag> *(SP <tag>)` (RFC 8839 §5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IceOptions<'a>(pub &'a str);

impl<'a> IceOptions<'a> {
    /// The option tags, e.g. `trickle`, `ice2`.
    pub fn tags(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0.split(' ')
    }
}

impl<'a> AttributeValue<'a> for IceOptions<'a> {
    const NAME: &'static str = "ice-options";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 8839 §5.6")?;
        // [RFC 8839 §5.6] "ice-option-tag        = 1*ice-char"
        if !v.split(' ').all(is_ice_chars) {
            return Err(AttributeError::new(
                Self::NAME,
                "tags must be ice-chars separated by single spaces",
                "RFC 8839 §5.6",
            ));
        }
        Ok(Self(v))
    }

    fn value(&self) -> Option<String> {
        Some(self.0.to_owned())
    }
}

flag_attribute!(
    /// `a=ice-lite`: the sender is a lite implementation (RFC 8839 §5.3).
    IceLite, "ice-lite", "RFC 8839 §5.3"
);
flag_attribute!(
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    EndOfCandidates, "end-of-candidates", "RFC 8840 §8.2"
);

/// One transport address of `a=remote-candidates` (RFC 8839 §5.2): the
/// candidate the controlling agent selected for a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteCandidate<'a> {
    /// Component: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// Connection address.
    pub address: &'a str,
    /// Port.
    pub port: u16,
}

/// `a=remote-candidates:<component-id> <connection-address> <port> *(SP
/// ...)` (RFC 8839 §5.2): sent by a controlling agent in a later offer once
/// ICE has completed for the data stream.
///
/// ```
/// use rtclite_sdp::attributes::{AttributeValue, RemoteCandidates};
/// let r = RemoteCandidates::parse(Some("1 192.0.2.3 45664 2 192.0.2.3 45665"))?;
/// let c: Vec<_> = r.candidates().collect::<Result<_, _>>()?;
/// assert_eq!((c[1].component, c[1].address, c[1].port), (2, "192.0.2.3", 45665));
/// # Ok::<(), rtclite_sdp::AttributeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteCandidates<'a>(pub &'a str);

const REMOTE_CANDIDATES: &str = "RFC 8839 §5.2";

impl<'a> RemoteCandidates<'a> {
    /// The candidates, in order (each triple was checked by `parse`).
    pub fn candidates(
        &self,
    ) -> impl Iterator<Item = Result<RemoteCandidate<'a>, AttributeError>> + 'a {
        let mut it = self.0.split(' ');
        core::iter::from_fn(move || {
            let component = it.next()?;
            let bad = |what| AttributeError::new("remote-candidates", what, REMOTE_CANDIDATES);
            Some((|| {
                // [RFC 8839 §5.2] "remote-candidate = component-id SP
                // connection-address SP port"
                if component.len() > 3 {
                    return Err(bad("component-id has more than 3 digits"));
                }
                let component = number(
                    component,
                    "remote-candidates",
                    "component-id must be a number",
                    REMOTE_CANDIDATES,
                )?;
                let address = it
                    .next()
                    .filter(|a| !a.is_empty())
                    .ok_or(bad("missing connection-address"))?;
                let port = number(
                    it.next().ok_or(bad("missing port"))?,
                    "remote-candidates",
                    "port must be a number 0-65535",
                    REMOTE_CANDIDATES,
                )?;
                Ok(RemoteCandidate {
                    component,
                    address,
                    port,
                })
            })())
        })
    }
}

impl<'a> AttributeValue<'a> for RemoteCandidates<'a> {
    const NAME: &'static str = "remote-candidates";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, REMOTE_CANDIDATES)?;
        let r = Self(v);
        for c in r.candidates() {
            c?;
        }
        Ok(r)
    }

    fn value(&self) -> Option<String> {
        Some(self.0.to_owned())
    }
}
