//! Registry conformance: every attribute type and method this crate names
//! is checked against the IANA tables printed in the RFCs (RFC 8489 §18.3,
//! RFC 8656 §17 and §18, RFC 8445 §21.2, RFC 5780 §9.1, RFC 3489 §11.2),
//! read from the RFC texts in `../shared/rfc` (or `$RFC_DIR`).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use rtclite_stun::AttributeType;
use rtclite_stun::message::Method;

fn rfc(n: u32) -> String {
    let dir = std::env::var_os("RFC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/rfc"));
    let path = dir.join(format!("rfc{n}.txt"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set RFC_DIR)", path.display()))
}

/// Lines between two headings of an RFC text (headings start a line; the
/// table of contents indents them, so it is skipped).
fn section<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let a = text
        .find(&format!("\n{start}"))
        .unwrap_or_else(|| panic!("no heading {start}"))
        + 1;
    let b = text[a..].find(end).map(|b| a + b).unwrap_or(text.len());
    &text[a..b]
}

/// `0xNNNN: NAME` or `0xNNNN NAME` or `| 0xNNNN | NAME |` entries.
fn entries(text: &str) -> BTreeMap<u16, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let l = line.trim().trim_start_matches('|').trim();
        let Some(hex) = l.strip_prefix("0x") else {
            continue;
        };
        let code: String = hex.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let Ok(v) = u16::from_str_radix(&code, 16) else {
            continue;
        };
        let name = hex[code.len()..].trim_start_matches([':', ' ', '|']).trim();
        let name = name
            .split('|')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next()
            .unwrap_or("");
        let is_name = name.len() > 1
            && name != "Reserved"
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && name.starts_with(|c: char| c.is_ascii_uppercase());
        if is_name {
            out.insert(v, name.to_owned());
        }
    }
    out
}

#[test]
fn attribute_names_match_the_iana_tables() {
    let mut registry = BTreeMap::new();
    let r8489 = rfc(8489);
    registry.extend(entries(section(
        &r8489,
        "18.3.1.  Updated Attributes",
        "18.4.  STUN Error Codes",
    )));
    let r8656 = rfc(8656);
    registry.extend(entries(section(
        &r8656,
        "18.  STUN Attributes",
        "18.1.  CHANNEL-NUMBER",
    )));
    let r8445 = rfc(8445);
    let at = r8445
        .find("0x0024 PRIORITY")
        .expect("RFC 8445 attribute list");
    registry.extend(entries(
        r8445[at..]
            .lines()
            .take(4)
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    ));
    let r5780 = rfc(5780);
    registry.extend(entries(section(
        &r5780,
        "9.1.  STUN Attribute Registry",
        "9.2.  Port Numbers",
    )));
    let r3489 = rfc(3489);
    let at = r3489
        .find("0x0001: MAPPED-ADDRESS")
        .expect("RFC 3489 attribute list");
    let classic = entries(
        r3489[at..]
            .lines()
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    );
    assert!(registry.len() > 35, "{registry:?}");

    // Every type we name carries its registry name (classic names for the
    // types RFC 8489 reserved).
    for t in AttributeType::KNOWN {
        let ours = t.name().unwrap();
        let theirs = registry.get(&t.0).or_else(|| classic.get(&t.0));
        assert_eq!(Some(ours), theirs.map(String::as_str), "{:#06x}", t.0);
    }
    // Every registry entry of these RFCs is known, except the ones listed
    // here on purpose.
    let not_decoded = [0x8027 /* CACHE-TIMEOUT, RFC 5780: not in issue 8 */];
    for (code, name) in &registry {
        if not_decoded.contains(code) {
            continue;
        }
        assert!(
            AttributeType(*code).is_known(),
            "{code:#06x} {name} is registered but unknown here"
        );
    }
}

#[test]
fn comprehension_ranges_follow_rfc8489_section_18_3() {
    for t in AttributeType::KNOWN {
        assert_eq!(t.is_comprehension_required(), t.0 <= 0x7FFF, "{t}");
    }
}

#[test]
fn turn_method_codes_match_rfc8656_section_17() {
    let r8656 = rfc(8656);
    let table = entries(section(&r8656, "17.  STUN Methods", "18.  STUN Attributes"));
    let ours = [
        (Method::ALLOCATE, "allocate"),
        (Method::REFRESH, "refresh"),
        (Method::SEND, "send"),
        (Method::DATA, "data"),
        (Method::CREATE_PERMISSION, "create-permission"),
        (Method::CHANNEL_BIND, "channel-bind"),
    ];
    for (m, name) in ours {
        let theirs = table
            .get(&m.code())
            .unwrap_or_else(|| panic!("{:#05x} not in RFC 8656 §17", m.code()));
        assert_eq!(
            theirs.to_ascii_lowercase(),
            name.replace('-', ""),
            "{:#05x}",
            m.code()
        );
        assert_eq!(m.name(), name);
    }
    assert_eq!(Method::BINDING.code(), 0x001);
}
