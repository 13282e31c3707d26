//! Grouping and source attributes: mid, group (RFC 5888, RFC 9143), ssrc and
//! ssrc-group (RFC 5576), msid (RFC 8830).

use super::{AttributeValue, flag_attribute, number, required, text_attribute};
use crate::error::AttributeError;
use crate::parse::is_token;

text_attribute!(
    /// `a=mid:<identification-tag>` (RFC 5888 §4, used by RFC 9143 BUNDLE).
    Mid, "mid", "RFC 5888 §4", is_token
);

flag_attribute!(
    /// `a=bundle-only`: accept this port-0 m-line only inside the BUNDLE
    /// group (RFC 9143 §6).
    BundleOnly, "bundle-only", "RFC 9143 §6"
);

/// `a=group:<semantics> *(SP <identification-tag>)` (RFC 5888 §5; `BUNDLE`
/// in RFC 9143).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group<'a> {
    /// `BUNDLE`, `LS`, `FID`, ...
    pub semantics: &'a str,
    /// The space-separated identification tags, verbatim (may be empty).
    pub tags: &'a str,
}

impl<'a> Group<'a> {
    /// The identification tags (`a=mid` values), in order.
    pub fn mids(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.tags.split(' ').filter(|t| !t.is_empty())
    }
}

impl<'a> AttributeValue<'a> for Group<'a> {
    const NAME: &'static str = "group";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 5888 §5")?;
        let (semantics, tags) = v.split_once(' ').unwrap_or((v, ""));
        if !is_token(semantics) || !tags.split(' ').filter(|t| !t.is_empty()).all(is_token) {
            return Err(AttributeError::new(
                Self::NAME,
                "needs <semantics> followed by tokens",
                "RFC 5888 §5",
            ));
        }
        Ok(Self { semantics, tags })
    }

    fn value(&self) -> Option<String> {
        Some(if self.tags.is_empty() {
            self.semantics.to_owned()
        } else {
            format!("{} {}", self.semantics, self.tags)
        })
    }
}

/// `a=ssrc:<ssrc-id> <attribute>[:<value>]` (RFC 5576 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ssrc<'a> {
    /// The synchronization source.
    pub ssrc: u32,
    /// The source attribute name, e.g. `cname`, `msid`.
    pub attribute: &'a str,
    /// The source attribute value.
    pub value: Option<&'a str>,
}

impl<'a> AttributeValue<'a> for Ssrc<'a> {
    const NAME: &'static str = "ssrc";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 5576 §4.1")?;
        let (id, attr) = v.split_once(' ').ok_or(AttributeError::new(
            Self::NAME,
            "needs <ssrc-id> <attribute>",
            "RFC 5576 §4.1",
        ))?;
        let ssrc = number(
            id,
            Self::NAME,
            "ssrc-id must be a 32-bit number",
            "RFC 5576 §4.1",
        )?;
        let (attribute, value) = match attr.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (attr, None),
        };
        if !is_token(attribute) {
            return Err(AttributeError::new(
                Self::NAME,
                "source attribute name must be a token",
                "RFC 5576 §4.1",
            ));
        }
        Ok(Self {
            ssrc,
            attribute,
            value,
        })
    }

    fn value(&self) -> Option<String> {
        Some(match self.value {
            Some(v) => format!("{} {}:{v}", self.ssrc, self.attribute),
            None => format!("{} {}", self.ssrc, self.attribute),
        })
    }
}

/// `a=ssrc-group:<semantics> *(SP <ssrc-id>)` (RFC 5576 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup<'a> {
    /// `FID`, `FEC`, `SIM`, ...
    pub semantics: &'a str,
    /// The sources, in order.
    pub ssrcs: Vec<u32>,
}

impl<'a> AttributeValue<'a> for SsrcGroup<'a> {
    const NAME: &'static str = "ssrc-group";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 5576 §4.2")?;
        let mut it = v.split(' ');
        let semantics = it
            .next()
            .filter(|s| is_token(s))
            .ok_or(AttributeError::new(
                Self::NAME,
                "semantics must be a token",
                "RFC 5576 §4.2",
            ))?;
        let ssrcs = it
            .take(1024)
            .map(|s| {
                number(
                    s,
                    Self::NAME,
                    "ssrc-id must be a 32-bit number",
                    "RFC 5576 §4.2",
                )
            })
            .collect::<Result<Vec<u32>, _>>()?;
        Ok(Self { semantics, ssrcs })
    }

    fn value(&self) -> Option<String> {
        let mut s = self.semantics.to_owned();
        for id in &self.ssrcs {
            s.push(' ');
            s.push_str(&id.to_string());
        }
        Some(s)
    }
}

/// `a=msid:<msid-id> [<msid-appdata>]` (RFC 8830 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msid<'a> {
    /// The stream identifier (`-` for none).
    pub id: &'a str,
    /// The application data (the track identifier in WebRTC).
    pub appdata: Option<&'a str>,
}

impl<'a> AttributeValue<'a> for Msid<'a> {
    const NAME: &'static str = "msid";

    fn parse(value: Option<&'a str>) -> Result<Self, AttributeError> {
        let v = required(value, Self::NAME, "RFC 8830 §2")?;
        let (id, appdata) = match v.split_once(' ') {
            Some((i, a)) => (i, Some(a)),
            None => (v, None),
        };
        // [RFC 8830 §2] "msid-id = 1*64token-char ; see RFC 4566"
        let ok = |s: &str| s.len() <= 64 && is_token(s);
        if !ok(id) || appdata.is_some_and(|a| !ok(a)) {
            return Err(AttributeError::new(
                Self::NAME,
                "needs 1 to 64 token characters per field",
                "RFC 8830 §2",
            ));
        }
        Ok(Self { id, appdata })
    }

    fn value(&self) -> Option<String> {
        Some(match self.appdata {
            Some(a) => format!("{} {a}", self.id),
            None => self.id.to_owned(),
        })
    }
}
