//! The writer: every line of RFC 8866 §5 in its fixed order, each ended by
//! CRLF.

use std::fmt::{self, Display, Formatter, Write};

use crate::model::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, RepeatTime, SessionDescription,
    TimeDescription, TypedTime, ZoneAdjustment,
};

// [RFC 8866 §5] "The sequence CRLF (0x0d0a) is used to end a line"
const CRLF: &str = "\r\n";

fn line(f: &mut Formatter<'_>, kind: &str, value: &dyn Display) -> fmt::Result {
    f.write_str(kind)?;
    value.fmt(f)?;
    f.write_str(CRLF)
}

impl SessionDescription<'_> {
    /// Appends the description to `out` (the same bytes as `to_string`).
    pub fn write_to(&self, out: &mut String) {
        // Writing into a String cannot fail.
        let _ = write!(out, "{self}");
    }

    /// The description as bytes, lines ended by CRLF.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl Display for SessionDescription<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        line(f, "v=", &self.version)?;
        line(f, "o=", &self.origin)?;
        line(f, "s=", &self.session_name)?;
        if let Some(i) = &self.information {
            line(f, "i=", i)?;
        }
        if let Some(u) = &self.uri {
            line(f, "u=", u)?;
        }
        for e in &self.emails {
            line(f, "e=", e)?;
        }
        for p in &self.phones {
            line(f, "p=", p)?;
        }
        if let Some(c) = &self.connection {
            line(f, "c=", c)?;
        }
        for b in &self.bandwidths {
            line(f, "b=", b)?;
        }
        for t in &self.times {
            t.fmt(f)?;
        }
        if let Some(k) = &self.key {
            line(f, "k=", k)?;
        }
        for a in &self.attributes {
            line(f, "a=", a)?;
        }
        for m in &self.media {
            m.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for Origin<'_> {
    /// The value of the `o=` line.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, part) in [
            &self.username,
            &self.session_id,
            &self.session_version,
            &self.nettype,
            &self.addrtype,
            &self.unicast_address,
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

impl Display for Connection<'_> {
    /// The value of the `c=` line.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.nettype)?;
        f.write_str(" ")?;
        f.write_str(&self.addrtype)?;
        f.write_str(" ")?;
        f.write_str(&self.address)?;
        if let Some(ttl) = self.ttl {
            write!(f, "/{ttl}")?;
        }
        if let Some(n) = self.num_addresses {
            write!(f, "/{n}")?;
        }
        Ok(())
    }
}

impl Display for Bandwidth<'_> {
    /// The value of the `b=` line.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bwtype, self.bandwidth)
    }
}

impl Display for TypedTime {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)?;
        if let Some(u) = self.unit {
            f.write_char(u.letter())?;
        }
        Ok(())
    }
}

impl Display for RepeatTime {
    /// The value of the `r=` line.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.interval, self.duration)?;
        for o in &self.offsets {
            write!(f, " {o}")?;
        }
        Ok(())
    }
}

impl Display for ZoneAdjustment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}{}",
            self.time,
            if self.negative { "-" } else { "" },
            self.offset
        )
    }
}

impl Display for TimeDescription {
    /// The `t=` line with its `r=` and `z=` lines, each ended by CRLF.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "t={} {}{CRLF}", self.start, self.stop)?;
        for r in &self.repeats {
            line(f, "r=", r)?;
        }
        if let Some(z) = &self.zone_adjustments {
            f.write_str("z=")?;
            for (i, adj) in z.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                adj.fmt(f)?;
            }
            f.write_str(CRLF)?;
        }
        Ok(())
    }
}

impl Display for Attribute<'_> {
    /// The value of the `a=` line: `name` or `name:value`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(v) = &self.value {
            f.write_str(":")?;
            f.write_str(v)?;
        }
        Ok(())
    }
}

impl Display for MediaDescription<'_> {
    /// The `m=` line and the lines that follow it, each ended by CRLF.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("m=")?;
        f.write_str(&self.media)?;
        write!(f, " {}", self.port)?;
        if let Some(n) = self.num_ports {
            write!(f, "/{n}")?;
        }
        f.write_str(" ")?;
        f.write_str(&self.proto)?;
        for fmt in &self.formats {
            f.write_str(" ")?;
            f.write_str(fmt)?;
        }
        f.write_str(CRLF)?;
        if let Some(i) = &self.information {
            line(f, "i=", i)?;
        }
        for c in &self.connections {
            line(f, "c=", c)?;
        }
        for b in &self.bandwidths {
            line(f, "b=", b)?;
        }
        if let Some(k) = &self.key {
            line(f, "k=", k)?;
        }
        for a in &self.attributes {
            line(f, "a=", a)?;
        }
        Ok(())
    }
}
