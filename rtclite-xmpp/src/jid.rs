//! JIDs (RFC 7622): `localpart@domainpart/resourcepart`.
//!
//! Parsing splits and bounds the parts; it does not apply the PRECIS
//! profiles (comparison is by exact string), which is enough for a client
//! that echoes the server's own spelling back.

use std::fmt;
use std::str::FromStr;

/// Longest localpart, domainpart or resourcepart, in bytes (RFC 7622 §3.2–§3.4).
pub const MAX_PART: usize = 1023;

/// Why a string is not a JID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JidError {
    /// The domainpart is empty.
    #[error("JID has an empty domainpart (RFC 7622 §3.2)")]
    EmptyDomain,
    /// The localpart is present but empty (`@example.com`).
    #[error("JID has an empty localpart (RFC 7622 §3.3)")]
    EmptyLocal,
    /// The resourcepart is present but empty (`a@b/`).
    #[error("JID has an empty resourcepart (RFC 7622 §3.4)")]
    EmptyResource,
    /// A part is longer than [`MAX_PART`] bytes.
    #[error("JID part longer than 1023 bytes (RFC 7622 §3)")]
    TooLong,
    /// A part does not conform to its PRECIS profile ([`Jid::prepared`]).
    #[error("JID {part} is not valid: {error}")]
    Precis {
        /// `localpart`, `domainpart` or `resourcepart`.
        part: &'static str,
        /// What was wrong.
        error: crate::precis::PrecisError,
    },
}

/// A JID, stored as its string with the positions of its separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jid {
    s: String,
    at: Option<usize>,
    slash: Option<usize>,
}

impl Jid {
    /// Parses a JID.
    pub fn new(s: &str) -> Result<Self, JidError> {
        let (at, slash) = Self::split(s)?;
        Ok(Self {
            s: s.to_owned(),
            at,
            slash,
        })
    }

    /// Parses a JID and enforces the rules of each part (RFC 7622 §3.2–§3.4,
    /// via [`crate::precis`]): the result is the canonical form to compare
    /// octet for octet.
    ///
    /// [`Jid::new`] only splits and bounds the parts; this also applies
    /// the PRECIS profiles (case mapping of the localpart, NFC, IDNA for the
    /// domainpart, ...) and rejects what they disallow.
    ///
    /// ```
    /// use rtclite_xmpp::jid::Jid;
    /// let j = Jid::prepared("Juliet@Example.COM./Balcony").unwrap();
    /// assert_eq!(j.as_str(), "juliet@example.com/Balcony");
    /// assert!(Jid::prepared("foo bar@example.com").is_err());
    /// ```
    pub fn prepared(s: &str) -> Result<Self, JidError> {
        let (at, slash) = Self::split(s)?;
        let before = &s[..slash.unwrap_or(s.len())];
        let err = |part| move |error| JidError::Precis { part, error };
        let local = at
            .map(|i| crate::precis::localpart(&before[..i]).map_err(err("localpart")))
            .transpose()?;
        let domain = crate::precis::domainpart(&before[at.map_or(0, |i| i + 1)..])
            .map_err(err("domainpart"))?;
        let resource = slash
            .map(|i| crate::precis::resourcepart(&s[i + 1..]).map_err(err("resourcepart")))
            .transpose()?;
        let mut out = String::with_capacity(s.len());
        if let Some(l) = &local {
            out.push_str(l);
            out.push('@');
        }
        out.push_str(&domain);
        if let Some(r) = &resource {
            out.push('/');
            out.push_str(r);
        }
        Self::try_from(out)
    }

    /// The positions of the '@' and '/' separators, after checking the parts.
    fn split(s: &str) -> Result<(Option<usize>, Option<usize>), JidError> {
        // The first '/' starts the resource (which may contain '@' and '/');
        // the first '@' before it ends the localpart. One pass finds both.
        let mut at = None;
        let mut slash = None;
        for (i, c) in s.bytes().enumerate() {
            match c {
                b'/' => {
                    slash = Some(i);
                    break;
                }
                b'@' if at.is_none() => at = Some(i),
                _ => {}
            }
        }
        let before = &s[..slash.unwrap_or(s.len())];
        let local = at.map(|i| &before[..i]);
        let domain = &before[at.map_or(0, |i| i + 1)..];
        let resource = slash.map(|i| &s[i + 1..]);
        if domain.is_empty() {
            return Err(JidError::EmptyDomain);
        }
        if local.is_some_and(str::is_empty) {
            return Err(JidError::EmptyLocal);
        }
        if resource.is_some_and(str::is_empty) {
            return Err(JidError::EmptyResource);
        }
        if [local.unwrap_or(""), domain, resource.unwrap_or("")]
            .iter()
            .any(|p| p.len() > MAX_PART)
        {
            return Err(JidError::TooLong);
        }
        Ok((at, slash))
    }

    /// The localpart, if any.
    pub fn local(&self) -> Option<&str> {
        self.at.map(|i| &self.s[..i])
    }

    /// The domainpart.
    pub fn domain(&self) -> &str {
        &self.s[self.at.map_or(0, |i| i + 1)..self.slash.unwrap_or(self.s.len())]
    }

    /// The resourcepart, if any.
    pub fn resource(&self) -> Option<&str> {
        self.slash.map(|i| &self.s[i + 1..])
    }

    /// The bare JID (without resource).
    pub fn to_bare(&self) -> Jid {
        Self {
            s: self.bare_str().to_owned(),
            at: self.at,
            slash: None,
        }
    }

    /// The bare JID as a string slice.
    pub fn bare_str(&self) -> &str {
        &self.s[..self.slash.unwrap_or(self.s.len())]
    }

    /// True when the JID has no resource.
    pub fn is_bare(&self) -> bool {
        self.slash.is_none()
    }

    /// The JID as a string.
    pub fn as_str(&self) -> &str {
        &self.s
    }
}

impl TryFrom<String> for Jid {
    type Error = JidError;
    /// Parses a JID, keeping `s` as its storage (no copy).
    fn try_from(s: String) -> Result<Self, JidError> {
        let (at, slash) = Self::split(&s)?;
        Ok(Self { s, at, slash })
    }
}

impl FromStr for Jid {
    type Err = JidError;
    fn from_str(s: &str) -> Result<Self, JidError> {
        Self::new(s)
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let j = Jid::new("juliet@example.com/foo@bar/baz").unwrap();
        assert_eq!(j.local(), Some("juliet"));
        assert_eq!(j.domain(), "example.com");
        assert_eq!(j.resource(), Some("foo@bar/baz"));
        assert_eq!(j.to_bare().as_str(), "juliet@example.com");
        assert_eq!(Jid::new("example.com").unwrap().local(), None);
        assert_eq!(Jid::new("@example.com"), Err(JidError::EmptyLocal));
        assert_eq!(Jid::new("a@b/"), Err(JidError::EmptyResource));
        assert_eq!(Jid::new("a@/r"), Err(JidError::EmptyDomain));
    }
}
