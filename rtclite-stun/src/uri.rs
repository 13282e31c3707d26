//! `stun:`, `stuns:` (RFC 7064) and `turn:`, `turns:` (RFC 7065) URIs.
//!
//! Parsed with the grammar of the RFCs, not a generic hierarchical URI
//! parser: `scheme ":" host [ ":" port ]`, plus `[ "?transport=" transport ]`
//! for TURN. IPv6 hosts are written in brackets (RFC 3986 IP-literal).

/// The four schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `stun`.
    Stun,
    /// `stuns` (over TLS or DTLS).
    Stuns,
    /// `turn`.
    Turn,
    /// `turns` (over TLS or DTLS).
    Turns,
}

impl Scheme {
    /// True for `stuns` and `turns`.
    pub fn is_secure(self) -> bool {
        matches!(self, Scheme::Stuns | Scheme::Turns)
    }

    /// The port used when the URI names none.
    pub fn default_port(self) -> u16 {
        // [RFC 7064 §3.2] "If it
        // is absent, the default port is 3478 for both UDP and TCP.  The
        // default port for STUN over TLS is 5349"
        // [RFC 7065 §3.2] "If it is absent, the default port is 3478 for both UDP and
        // TCP.  The default port for TURN over TLS is 5349."
        if self.is_secure() { 5349 } else { 3478 }
    }
}

/// A parsed STUN or TURN URI, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// The host (without brackets for an IPv6 literal).
    pub host: &'a str,
    /// The port, when given.
    pub port: Option<u16>,
    /// The `transport` parameter of a TURN URI (`udp`, `tcp` or an extension).
    pub transport: Option<&'a str>,
}

/// A string that is not a STUN/TURN URI; the text says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid STUN/TURN URI at byte {offset}: {reason} ({section})")]
pub struct UriError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
    /// The RFC section of the grammar.
    pub section: &'static str,
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

fn is_reg_name_char(c: char) -> bool {
    is_unreserved(c)
        || matches!(
            c,
            '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '=' | '%'
        )
}

impl<'a> Uri<'a> {
    /// Parses a URI.
    pub fn parse(input: &'a str) -> Result<Uri<'a>, UriError> {
        let (scheme_str, rest) = input.split_once(':').ok_or(UriError {
            offset: 0,
            reason: "no scheme",
            section: "RFC 7064 §3.1",
        })?;
        let scheme = match scheme_str.to_ascii_lowercase().as_str() {
            "stun" => Scheme::Stun,
            "stuns" => Scheme::Stuns,
            "turn" => Scheme::Turn,
            "turns" => Scheme::Turns,
            _ => {
                return Err(UriError {
                    offset: 0,
                    reason: "scheme is not stun, stuns, turn or turns",
                    section: "RFC 7064 §3.1",
                });
            }
        };
        let section = if matches!(scheme, Scheme::Stun | Scheme::Stuns) {
            "RFC 7064 §3.1"
        } else {
            "RFC 7065 §3.1"
        };
        let base = scheme_str.len() + 1;
        let (authority, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let transport = match query {
            None => None,
            Some(_) if matches!(scheme, Scheme::Stun | Scheme::Stuns) => {
                return Err(UriError {
                    offset: base + authority.len(),
                    reason: "a stun URI has no query",
                    section,
                });
            }
            Some(q) => {
                // [RFC 7065 §3.1] "turnURI       = scheme ":" host [ ":" port ]
                // [ "?transport=" transport ]"
                let t = q.strip_prefix("transport=").ok_or(UriError {
                    offset: base + authority.len() + 1,
                    reason: "the only query is ?transport=",
                    section,
                })?;
                if t.is_empty() || !t.chars().all(is_unreserved) {
                    return Err(UriError {
                        offset: base + authority.len() + 11,
                        reason: "bad transport",
                        section,
                    });
                }
                Some(t)
            }
        };
        if authority.starts_with("//") {
            return Err(UriError {
                offset: base,
                reason: "not a hierarchical URI: no \"//\"",
                section,
            });
        }
        let (host, port_str) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or(UriError {
                offset: base,
                reason: "unterminated IPv6 literal",
                section,
            })?;
            let host = &v6[..end];
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(UriError {
                    offset: base + 1,
                    reason: "bad IPv6 address",
                    section,
                });
            }
            let after = &v6[end + 1..];
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => {
                    return Err(UriError {
                        offset: base + end + 2,
                        reason: "junk after IPv6 literal",
                        section,
                    });
                }
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(UriError {
                offset: base,
                reason: "empty host",
                section,
            });
        }
        if !authority.starts_with('[') && !host.chars().all(is_reg_name_char) {
            return Err(UriError {
                offset: base,
                reason: "bad character in host",
                section,
            });
        }
        let ip_literal = authority.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok();
        // [RFC 8489 §8.1] "A "stuns" URI containing an IP address MUST be
        // rejected."
        if scheme == Scheme::Stuns && ip_literal {
            return Err(UriError {
                offset: base,
                reason: "a stuns URI cannot name an IP address (the certificate check needs a name)",
                section: "RFC 8489 §8.1",
            });
        }
        let port = match port_str {
            None => None,
            Some(p) => Some(p.parse::<u16>().map_err(|_| UriError {
                offset: base + authority.len() - p.len(),
                reason: "port is not a number in 0..=65535",
                section,
            })?),
        };
        Ok(Uri {
            scheme,
            host,
            port,
            transport,
        })
    }

    /// The port, or the scheme's default.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }
}

impl std::fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.scheme {
            Scheme::Stun => "stun",
            Scheme::Stuns => "stuns",
            Scheme::Turn => "turn",
            Scheme::Turns => "turns",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}:[{}]", self.host)?;
        } else {
            write!(f, "{scheme}:{}", self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if let Some(t) = self.transport {
            write!(f, "?transport={t}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // [RFC 8489 §8.1 test] "A "stuns" URI containing an IP address MUST be
    // rejected."
    #[test]
    fn stuns_with_an_ip_address_is_rejected() {
        for bad in [
            "stuns:192.0.2.1",
            "stuns:192.0.2.1:5349",
            "stuns:[2001:db8::1]:5349",
        ] {
            let e = Uri::parse(bad).unwrap_err();
            assert_eq!(e.section, "RFC 8489 §8.1", "{bad}");
        }
        // A name is fine, and so is an IP address in a "stun" or "turns" URI.
        assert!(Uri::parse("stuns:stun.example.org").is_ok());
        assert!(Uri::parse("stun:192.0.2.1").is_ok());
        assert!(Uri::parse("turns:192.0.2.1").is_ok());
    }

    #[test]
    fn rfc_examples_and_defaults() {
        let u = Uri::parse("stun:example.org").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.port, u.port_or_default()),
            (Scheme::Stun, "example.org", None, 3478)
        );
        let u = Uri::parse("stuns:example.org").unwrap();
        assert_eq!(u.port_or_default(), 5349);
        let u = Uri::parse("turn:example.org?transport=udp").unwrap();
        assert_eq!((u.host, u.transport), ("example.org", Some("udp")));
        let u = Uri::parse("turns:[2001:db8::1]:5350?transport=tcp").unwrap();
        assert_eq!(
            (u.host, u.port, u.transport),
            ("2001:db8::1", Some(5350), Some("tcp"))
        );
        assert_eq!(u.to_string(), "turns:[2001:db8::1]:5350?transport=tcp");
    }

    // [RFC 7064 §3.1 test] "Developers MUST NOT use a generic
    // hierarchical URI parser to parse a "stun" or "stuns" URI."
    #[test]
    fn rejects_what_the_grammar_does_not_allow() {
        for bad in [
            "stun://example.org",
            "http:example.org",
            "stun:",
            "stun:example.org:99999",
            "stun:example.org?transport=udp",
            "turn:example.org?foo=bar",
            "turn:[::1",
            "turn:exa mple.org",
            "stun:user@example.org",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }
}
