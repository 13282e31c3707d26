//! PRECIS string preparation and enforcement for JIDs and SASL.
//!
//! - [`username_case_mapped`]: the UsernameCaseMapped profile of the
//!   IdentifierClass (RFC 8265 §3.3), used for JID localparts (RFC 7622
//!   §3.3) and SASL usernames.
//! - [`opaque_string`]: the OpaqueString profile of the FreeformClass
//!   (RFC 8265 §4.2), used for JID resourceparts (RFC 7622 §3.4) and
//!   passwords.
//! - [`localpart`], [`resourcepart`], [`domainpart`]: the JID parts with
//!   the XMPP-specific rules (excluded characters, length limits, IDNA for
//!   the domainpart).
//!
//! # Where the character data comes from
//!
//! The string classes are computed from code point properties as the PRECIS
//! framework (RFC 8264 §8, §9) defines them: the general category comes
//! from `unicode-properties`, the bidi class from `unicode-bidi`, NFC and
//! NFKC (for `HasCompat`) and the canonical combining class from
//! `unicode-normalization`, lowercase mapping from the standard library
//! (`char::to_lowercase`, the Unicode `toLowerCase()` operation). The
//! properties those crates do not give (Default_Ignorable_Code_Point,
//! Noncharacter_Code_Point, Join_Control, Hangul_Syllable_Type, the
//! `<wide>`/`<narrow>` decompositions and a few scripts) are in
//! `tables.rs`, generated from the Unicode Character Database by
//! `tools/gen_precis_tables.pl`. The contextual rules (RFC 5892 Appendix
//! A) are applied for ZERO WIDTH JOINER, MIDDLE DOT, GREEK KERAIA, HEBREW
//! GERESH/GERSHAYIM, KATAKANA MIDDLE DOT and the Arabic-Indic digits; ZERO
//! WIDTH NON-JOINER is accepted only after a virama (the joining-type
//! alternative of RFC 5892 A.1 is not implemented, so such strings are
//! rejected: stricter, never looser).
//!
//! Pure ASCII input takes a fast path with the same result.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

mod tables;

/// Longest JID part in bytes, after preparation (RFC 7622 §3.2–§3.4).
pub const MAX_JID_PART: usize = 1023;

/// Why a string does not conform to a PRECIS profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrecisError {
    /// A code point the string class does not allow (RFC 8264 §8).
    #[error("code point U+{:04X} at byte {offset} is {reason} (RFC 8264 §8)", u32::from(*code_point))]
    Disallowed {
        /// The code point.
        code_point: char,
        /// Byte offset in the input (after width mapping, for usernames).
        offset: usize,
        /// Which category made it disallowed.
        reason: &'static str,
    },
    /// A contextual rule (RFC 5892 Appendix A) is not satisfied.
    #[error("code point U+{:04X} at byte {offset} fails its contextual rule (RFC 5892 Appendix A)", u32::from(*code_point))]
    Context {
        /// The code point.
        code_point: char,
        /// Byte offset.
        offset: usize,
    },
    /// The Bidi Rule of RFC 5893 §2 is not satisfied (condition 1 to 6).
    #[error("the string fails condition {0} of the Bidi Rule (RFC 5893 §2)")]
    Bidi(u8),
    /// The result is empty (RFC 8265 §3.3.3, §4.2.2).
    #[error("the string is empty after enforcement (RFC 8265 §3.3.3)")]
    Empty,
    /// A JID part is longer than [`MAX_JID_PART`] bytes (RFC 7622 §3).
    #[error("JID part longer than 1023 bytes after preparation (RFC 7622 §3.3)")]
    TooLong,
    /// A character RFC 7622 §3.3.1 excludes from localparts.
    #[error("'{0}' is not allowed in a JID localpart (RFC 7622 §3.3.1)")]
    ExcludedFromLocalpart(char),
    /// The domainpart is not a valid IDNA2008 / UTS #46 domain name.
    #[error("the domainpart is not a valid internationalized domain name (RFC 7622 §3.2)")]
    Domain,
}

/// The PRECIS string classes (RFC 8264 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Identifier,
    Freeform,
}

/// The derived property of a code point (RFC 8264 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Derived {
    Pvalid,
    ContextJ,
    ContextO,
    Disallowed(&'static str),
}

fn in_ranges(table: &[(u32, u32)], c: char) -> bool {
    let c = u32::from(c);
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The Exceptions category (RFC 8264 §9.6, the table of RFC 5892 §2.6).
fn exception(c: char) -> Option<Derived> {
    Some(match u32::from(c) {
        0x00DF | 0x03C2 | 0x06FD | 0x06FE | 0x0F0B | 0x3007 => Derived::Pvalid,
        0x00B7 | 0x0375 | 0x05F3 | 0x05F4 | 0x30FB | 0x0660..=0x0669 | 0x06F0..=0x06F9 => {
            Derived::ContextO
        }
        0x0640 | 0x07FA | 0x302E | 0x302F | 0x3031..=0x3035 | 0x303B => {
            Derived::Disallowed("an exception (RFC 5892 §2.6)")
        }
        _ => return None,
    })
}

fn has_compat(c: char) -> bool {
    let mut it = std::iter::once(c).nfkc();
    !(it.next() == Some(c) && it.next().is_none())
}

/// The derived property value of `c` in `class` (RFC 8264 §8), in the
/// order the framework gives.
fn derived(c: char, class: Class) -> Derived {
    use GeneralCategory as G;
    let id_dis_or_free = |why| match class {
        Class::Identifier => Derived::Disallowed(why),
        Class::Freeform => Derived::Pvalid,
    };
    if let Some(d) = exception(c) {
        return d;
    }
    // BackwardCompatible (RFC 8264 §9.7) is empty.
    let gc = c.general_category();
    if gc == G::Unassigned && !in_ranges(tables::NONCHARACTER, c) {
        return Derived::Disallowed("unassigned");
    }
    if ('\u{21}'..='\u{7E}').contains(&c) {
        return Derived::Pvalid;
    }
    if in_ranges(tables::JOIN_CONTROL, c) {
        return Derived::ContextJ;
    }
    if in_ranges(tables::HANGUL_L, c)
        || in_ranges(tables::HANGUL_V, c)
        || in_ranges(tables::HANGUL_T, c)
    {
        return Derived::Disallowed("an old Hangul jamo");
    }
    if in_ranges(tables::DEFAULT_IGNORABLE, c) || in_ranges(tables::NONCHARACTER, c) {
        return Derived::Disallowed("a default-ignorable or noncharacter code point");
    }
    if gc == G::Control {
        return Derived::Disallowed("a control character");
    }
    if has_compat(c) {
        return id_dis_or_free("a character with a compatibility equivalent");
    }
    match gc {
        G::LowercaseLetter
        | G::UppercaseLetter
        | G::OtherLetter
        | G::DecimalNumber
        | G::ModifierLetter
        | G::NonspacingMark
        | G::SpacingMark => Derived::Pvalid,
        G::TitlecaseLetter | G::LetterNumber | G::OtherNumber | G::EnclosingMark => {
            id_dis_or_free("a letter or digit outside the IdentifierClass")
        }
        G::SpaceSeparator => id_dis_or_free("a space"),
        G::MathSymbol | G::CurrencySymbol | G::ModifierSymbol | G::OtherSymbol => {
            id_dis_or_free("a symbol")
        }
        G::ConnectorPunctuation
        | G::DashPunctuation
        | G::OpenPunctuation
        | G::ClosePunctuation
        | G::InitialPunctuation
        | G::FinalPunctuation
        | G::OtherPunctuation => id_dis_or_free("punctuation"),
        _ => Derived::Disallowed("not in any allowed category"),
    }
}

/// The contextual rules of RFC 5892 Appendix A for the code point at index
/// `i` of `chars`.
fn context_ok(chars: &[char], i: usize) -> bool {
    let Some(&c) = chars.get(i) else {
        return false;
    };
    let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
    let after = chars.get(i + 1).copied();
    let is_virama = |c: Option<char>| {
        c.is_some_and(|c| unicode_normalization::char::canonical_combining_class(c) == 9)
    };
    match u32::from(c) {
        // ZERO WIDTH NON-JOINER / ZERO WIDTH JOINER: after a virama.
        0x200C | 0x200D => is_virama(before),
        // MIDDLE DOT: between two 'l'.
        0x00B7 => before == Some('l') && after == Some('l'),
        // GREEK LOWER NUMERAL SIGN (KERAIA): followed by Greek.
        0x0375 => after.is_some_and(|a| in_ranges(tables::SCRIPT_GREEK, a)),
        // HEBREW PUNCTUATION GERESH and GERSHAYIM: preceded by Hebrew.
        0x05F3 | 0x05F4 => before.is_some_and(|b| in_ranges(tables::SCRIPT_HEBREW, b)),
        // KATAKANA MIDDLE DOT: some Hiragana, Katakana or Han in the string.
        0x30FB => chars.iter().any(|&x| {
            x != '\u{30FB}'
                && (in_ranges(tables::SCRIPT_HIRAGANA, x)
                    || in_ranges(tables::SCRIPT_KATAKANA, x)
                    || in_ranges(tables::SCRIPT_HAN, x))
        }),
        // ARABIC-INDIC DIGITS: no Extended Arabic-Indic digit in the string.
        0x0660..=0x0669 => !chars.iter().any(|x| ('\u{6F0}'..='\u{6F9}').contains(x)),
        // EXTENDED ARABIC-INDIC DIGITS: no Arabic-Indic digit in the string.
        0x06F0..=0x06F9 => !chars.iter().any(|x| ('\u{660}'..='\u{669}').contains(x)),
        _ => false,
    }
}

/// Checks that every code point of `s` is allowed by `class`.
fn check_class(s: &str, class: Class) -> Result<(), PrecisError> {
    let chars: Vec<char> = s.chars().collect();
    for (i, (offset, c)) in s.char_indices().enumerate() {
        match derived(c, class) {
            Derived::Pvalid => {}
            Derived::ContextJ | Derived::ContextO => {
                if !context_ok(&chars, i) {
                    return Err(PrecisError::Context {
                        code_point: c,
                        offset,
                    });
                }
            }
            Derived::Disallowed(reason) => {
                return Err(PrecisError::Disallowed {
                    code_point: c,
                    offset,
                    reason,
                });
            }
        }
    }
    Ok(())
}

/// The Bidi Rule (RFC 5893 §2), applied when the string contains a
/// right-to-left code point.
fn bidi_rule(s: &str) -> Result<(), PrecisError> {
    use unicode_bidi::BidiClass as B;
    let classes: Vec<B> = s.chars().map(unicode_bidi::bidi_class).collect();
    if !classes.iter().any(|c| matches!(c, B::R | B::AL | B::AN)) {
        return Ok(());
    }
    let rtl = match classes.first() {
        Some(B::R | B::AL) => true,
        Some(B::L) => false,
        _ => return Err(PrecisError::Bidi(1)),
    };
    let last_strong = classes.iter().rev().find(|c| **c != B::NSM);
    if rtl {
        if !classes.iter().all(|c| {
            matches!(
                c,
                B::R | B::AL | B::AN | B::EN | B::ES | B::CS | B::ET | B::ON | B::BN | B::NSM
            )
        }) {
            return Err(PrecisError::Bidi(2));
        }
        if !matches!(last_strong, Some(B::R | B::AL | B::EN | B::AN)) {
            return Err(PrecisError::Bidi(3));
        }
        if classes.contains(&B::EN) && classes.contains(&B::AN) {
            return Err(PrecisError::Bidi(4));
        }
    } else {
        if !classes.iter().all(|c| {
            matches!(
                c,
                B::L | B::EN | B::ES | B::CS | B::ET | B::ON | B::BN | B::NSM
            )
        }) {
            return Err(PrecisError::Bidi(5));
        }
        if !matches!(last_strong, Some(B::L | B::EN)) {
            return Err(PrecisError::Bidi(6));
        }
    }
    Ok(())
}

fn width_map(c: char) -> char {
    let cp = u32::from(c);
    match tables::WIDTH_MAP.binary_search_by_key(&cp, |&(from, _)| from) {
        Ok(i) => tables::WIDTH_MAP
            .get(i)
            .and_then(|&(_, to)| char::from_u32(to))
            .unwrap_or(c),
        Err(_) => c,
    }
}

/// Enforces the UsernameCaseMapped profile (RFC 8265 §3.3.3): width
/// mapping, IdentifierClass check, lowercase, NFC, Bidi Rule, non-empty.
///
/// ```
/// use rtclite_xmpp::precis::username_case_mapped;
/// assert_eq!(username_case_mapped("Juliet").unwrap(), "juliet");
/// // FULLWIDTH LATIN CAPITAL LETTER J is width-mapped, then lowercased.
/// assert_eq!(username_case_mapped("\u{FF2A}uliet").unwrap(), "juliet");
/// assert!(username_case_mapped("foo bar").is_err());
/// ```
pub fn username_case_mapped(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    if s.bytes().all(|b| (0x21..=0x7E).contains(&b)) {
        // ASCII7 is PVALID; case mapping is the only change.
        if s.is_empty() {
            return Err(PrecisError::Empty);
        }
        return Ok(if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        });
    }
    // [RFC 8265 §3.3.2] "Apply the width mapping rule specified in Section 3.3.1."
    let mapped: String = s.chars().map(width_map).collect();
    // [RFC 8265 §3.3.2] "Ensure that the string consists only of Unicode code points that
    // are explicitly allowed by the PRECIS IdentifierClass"
    check_class(&mapped, Class::Identifier)?;
    // [RFC 8265 §3.3.1] "Map uppercase and titlecase code points to their lowercase
    // equivalents, preferably using the Unicode toLowerCase() operation"
    let lower = mapped.to_lowercase();
    // [RFC 8265 §3.3.1] "Apply Unicode Normalization Form C (NFC) to all strings."
    let nfc: String = lower.nfc().collect();
    // [RFC 8265 §3.3.1] "Apply the "Bidi Rule" defined in [RFC5893] to strings that contain
    // right-to-left code points"
    bidi_rule(&nfc)?;
    // [RFC 8265 §3.3.3] "the entity MUST ensure that the username is not zero bytes in length"
    if nfc.is_empty() {
        return Err(PrecisError::Empty);
    }
    Ok(Cow::Owned(nfc))
}

/// Enforces the OpaqueString profile (RFC 8265 §4.2.2): FreeformClass
/// check, non-ASCII spaces mapped to U+0020, NFC, non-empty.
///
/// ```
/// use rtclite_xmpp::precis::opaque_string;
/// assert_eq!(opaque_string("correct horse battery staple").unwrap(), "correct horse battery staple");
/// // NO-BREAK SPACE becomes SPACE; case is kept.
/// assert_eq!(opaque_string("Correct\u{A0}Horse").unwrap(), "Correct Horse");
/// assert!(opaque_string("bad\u{7}bell").is_err());
/// ```
pub fn opaque_string(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    if s.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        if s.is_empty() {
            return Err(PrecisError::Empty);
        }
        return Ok(Cow::Borrowed(s));
    }
    // [RFC 8265 §4.2.1] "MUST ensure that the string consists only of Unicode code points
    // that are explicitly allowed by the FreeformClass"
    check_class(s, Class::Freeform)?;
    // [RFC 8265 §4.2.2] "Any instances of non-ASCII space MUST be mapped to SPACE (U+0020)"
    let spaced: String = s
        .chars()
        .map(|c| {
            if c != ' ' && c.general_category() == GeneralCategory::SpaceSeparator {
                ' '
            } else {
                c
            }
        })
        .collect();
    // [RFC 8265 §4.2.2] "Unicode Normalization Form C (NFC) MUST be applied to all strings."
    let nfc: String = spaced.nfc().collect();
    if nfc.is_empty() {
        return Err(PrecisError::Empty);
    }
    Ok(Cow::Owned(nfc))
}

fn check_len(s: &str) -> Result<(), PrecisError> {
    if s.is_empty() {
        return Err(PrecisError::Empty);
    }
    if s.len() > MAX_JID_PART {
        return Err(PrecisError::TooLong);
    }
    Ok(())
}

/// Enforces the rules for a JID localpart (RFC 7622 §3.3).
pub fn localpart(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    // [RFC 7622 §3.3] "The rules and considerations provided in that specification MUST be
    // applied to XMPP localparts."
    let out = username_case_mapped(s)?;
    // RFC 7622 §3.3.1: characters explicitly disallowed in XMPP localparts.
    if let Some(c) = out
        .chars()
        .find(|c| matches!(c, '"' | '&' | '\'' | '/' | ':' | '<' | '>' | '@'))
    {
        return Err(PrecisError::ExcludedFromLocalpart(c));
    }
    // [RFC 7622 §3.3] "The localpart of a JID MUST NOT be zero octets in length and MUST NOT
    // be more than 1023 octets in length."
    check_len(&out)?;
    Ok(out)
}

/// Enforces the rules for a JID resourcepart (RFC 7622 §3.4).
pub fn resourcepart(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    // [RFC 7622 §3.4] "The rules and considerations provided in that specification MUST be
    // applied to XMPP resourceparts."
    let out = opaque_string(s)?;
    // [RFC 7622 §3.4] "The resourcepart of a JID MUST NOT be zero octets in length and MUST
    // NOT be more than 1023 octets in length."
    check_len(&out)?;
    Ok(out)
}

/// Enforces the rules for a JID domainpart (RFC 7622 §3.2): the final dot
/// stripped, A-labels converted to U-labels, UTS #46 mapping (lowercase,
/// width, NFC) and IDNA2008 validity; an IPv6 literal in brackets is kept.
///
/// ```
/// use rtclite_xmpp::precis::domainpart;
/// assert_eq!(domainpart("Example.COM.").unwrap(), "example.com");
/// assert_eq!(domainpart("xn--bcher-kva.example").unwrap(), "b\u{fc}cher.example");
/// ```
pub fn domainpart(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    // [RFC 7622 §3.2] "such a character MUST be stripped before any other canonicalization
    // steps are taken"
    let s = s.strip_suffix('.').unwrap_or(s);
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return match inner.parse::<std::net::Ipv6Addr>() {
            Ok(_) => Ok(Cow::Borrowed(s)),
            Err(_) => Err(PrecisError::Domain),
        };
    }
    let fast = s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let out = if fast && !s.contains("xn--") && !s.is_empty() {
        Cow::Borrowed(s)
    } else {
        // [RFC 7622 §3.2.2] "MUST also apply the normalization, case-mapping, and
        // width-mapping rules defined in [RFC5892]"
        let (unicode, result) = idna::domain_to_unicode(s);
        if result.is_err() {
            return Err(PrecisError::Domain);
        }
        Cow::Owned(unicode)
    };
    // [RFC 7622 §3.2.1] "each A-label MUST be converted to a U-label"
    if out.split('.').any(|l| l.is_empty()) {
        return Err(PrecisError::Domain);
    }
    // After the mapping (which can produce '@' or '/' from compatibility forms):
    // [RFC 7622 §3.2.1] "MUST ensure that the string consists only of Unicode code points that
    // are allowed in NR-LDH labels or U-labels"
    let ldh = |c: char| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-';
    if out
        .split('.')
        .any(|l| !l.chars().all(ldh) || l.starts_with('-') || l.ends_with('-'))
    {
        return Err(PrecisError::Domain);
    }
    check_len(&out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_class_categories() {
        // LetterDigits are PVALID; symbols, spaces and compatibility characters are not.
        assert_eq!(derived('\u{3C0}', Class::Identifier), Derived::Pvalid);
        assert!(matches!(
            derived('\u{265A}', Class::Identifier),
            Derived::Disallowed(_)
        ));
        assert_eq!(derived('\u{265A}', Class::Freeform), Derived::Pvalid);
        assert!(matches!(
            derived('\u{2163}', Class::Identifier),
            Derived::Disallowed(_)
        ));
        assert!(matches!(
            derived(' ', Class::Identifier),
            Derived::Disallowed(_)
        ));
        // Default-ignorable (SOFT HYPHEN), control, old Hangul jamo, unassigned.
        for c in ['\u{AD}', '\u{7}', '\u{1100}', '\u{378}', '\u{FDD0}'] {
            assert!(
                matches!(derived(c, Class::Freeform), Derived::Disallowed(_)),
                "U+{:04X}",
                u32::from(c)
            );
        }
        // Exceptions: SHARP S is PVALID, ARABIC TATWEEL disallowed, MIDDLE DOT contextual.
        assert_eq!(derived('\u{DF}', Class::Identifier), Derived::Pvalid);
        assert!(matches!(
            derived('\u{640}', Class::Freeform),
            Derived::Disallowed(_)
        ));
        assert_eq!(derived('\u{B7}', Class::Identifier), Derived::ContextO);
        assert_eq!(derived('\u{200D}', Class::Identifier), Derived::ContextJ);
    }

    #[test]
    fn contextual_rules() {
        assert!(check_class("l\u{B7}l", Class::Identifier).is_ok());
        assert!(matches!(
            check_class("a\u{B7}b", Class::Identifier),
            Err(PrecisError::Context { offset: 1, .. })
        ));
        // ZERO WIDTH JOINER after DEVANAGARI SIGN VIRAMA.
        assert!(check_class("\u{915}\u{94D}\u{200D}", Class::Identifier).is_ok());
        assert!(check_class("a\u{200D}", Class::Identifier).is_err());
        assert!(check_class("\u{5D0}\u{5F3}", Class::Identifier).is_ok());
        assert!(check_class("a\u{5F3}", Class::Identifier).is_err());
        assert!(check_class("\u{660}\u{6F0}", Class::Identifier).is_err());
        assert!(check_class("\u{30A2}\u{30FB}", Class::Identifier).is_ok());
    }

    #[test]
    fn width_mapping_table() {
        assert_eq!(width_map('\u{FF21}'), 'A');
        assert_eq!(width_map('\u{3000}'), ' ');
        assert_eq!(width_map('\u{FF76}'), '\u{30AB}');
        assert_eq!(width_map('a'), 'a');
    }

    #[test]
    fn bidi_rule_conditions() {
        // HEBREW LETTER ALEF BET: an RTL string, fine.
        assert!(bidi_rule("\u{5D0}\u{5D1}").is_ok());
        // LTR first, RTL inside: condition 5.
        assert_eq!(bidi_rule("a\u{5D0}"), Err(PrecisError::Bidi(5)));
        // RTL first, ending with L: condition 2 (L is not allowed in RTL).
        assert_eq!(bidi_rule("\u{5D0}a"), Err(PrecisError::Bidi(2)));
        // EN and AN together: condition 4.
        assert_eq!(bidi_rule("\u{627}1\u{660}"), Err(PrecisError::Bidi(4)));
        // Starts with a digit: condition 1.
        assert_eq!(bidi_rule("1\u{5D0}"), Err(PrecisError::Bidi(1)));
        assert!(bidi_rule("plain").is_ok());
    }
}
