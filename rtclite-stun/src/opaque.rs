//! The PRECIS OpaqueString profile (RFC 8265 §4.2) for usernames, realms and
//! passwords.
//!
//! Enforcement applies, in order: no width mapping, the additional mapping
//! rule (non-ASCII spaces, general category Zs, become U+0020), no case
//! mapping, NFC, no directionality rule. Before and after those rules every
//! code point must be allowed by the PRECIS FreeformClass (RFC 8264 §4.3),
//! whose derived property is computed as RFC 8264 §8 specifies, in its
//! order:
//!
//! 1. the RFC 5892 §2.6 Exceptions (41 code points: 6 PVALID, 15 CONTEXTO
//!    with their RFC 5892 Appendix A rules, 10 DISALLOWED);
//!    BackwardCompatible is empty;
//! 2. Unassigned (general category Cn that is not a noncharacter):
//!    rejected with [`OpaqueStringError::Unassigned`];
//! 3. ASCII7 (U+0021..U+007E): valid;
//! 4. JoinControl (U+200C, U+200D): allowed after a virama (canonical
//!    combining class 9, RFC 5892 A.1/A.2); the Joining_Type alternative
//!    of A.1 for ZERO WIDTH NON-JOINER needs a table this crate does not
//!    carry, so ZWNJ elsewhere is rejected (stricter than the RFC);
//! 5. OldHangulJamo (Hangul_Syllable_Type L, V, T), PrecisIgnorable
//!    (Default_Ignorable_Code_Point, noncharacters) and Controls (Cc):
//!    disallowed;
//! 6. HasCompat (NFKC changes it), LetterDigits, OtherLetterDigits,
//!    Spaces, Symbols, Punctuation: valid in the FreeformClass;
//! 7. everything else (Cf, Zl, Zp, Co, Cs without a compatibility
//!    decomposition): disallowed.
//!
//! General categories come from the `unicode-properties` crate and
//! normalisation from `unicode-normalization` (both from the unicode-rs
//! project, generated from the same Unicode version,
//! [`UNICODE_VERSION`]). The small fixed sets (default-ignorable code points
//! from DerivedCoreProperties.txt, Hangul_Syllable_Type from
//! HangulSyllableType.txt) are written out below. The CONTEXTO rules that
//! ask for a Script (Greek KERAIA, Hebrew GERESH/GERSHAYIM, KATAKANA MIDDLE
//! DOT) test the Unicode blocks of those scripts, which is how this crate
//! approximates the Script property.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The Unicode version of the tables behind the FreeformClass checks.
pub const UNICODE_VERSION: (u64, u64, u64) = unicode_properties::UNICODE_VERSION;

/// A string that the OpaqueString profile does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpaqueStringError {
    /// The empty string.
    #[error("empty string is not allowed by OpaqueString (RFC 8265 §4.2)")]
    Empty,
    /// A code point the FreeformClass disallows.
    #[error(
        "code point U+{code_point:04X} at byte {offset} is not allowed by the FreeformClass (RFC 8265 §4.2.1)"
    )]
    Disallowed {
        /// The code point.
        code_point: u32,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A code point unassigned in the Unicode version of this crate's
    /// tables ([`UNICODE_VERSION`]).
    #[error(
        "code point U+{code_point:04X} at byte {offset} is unassigned (RFC 8264 §9.6), so not allowed by the FreeformClass (RFC 8265 §4.2.1)"
    )]
    Unassigned {
        /// The code point.
        code_point: u32,
        /// Byte offset in the input.
        offset: usize,
    },
    /// A code point allowed only in some contexts (CONTEXTJ or CONTEXTO,
    /// RFC 5892 Appendix A), found outside them.
    #[error(
        "code point U+{code_point:04X} at byte {offset} is outside the context its rule requires (RFC 5892 Appendix A), so not allowed by the FreeformClass (RFC 8265 §4.2.1)"
    )]
    ContextRule {
        /// The code point.
        code_point: u32,
        /// Byte offset in the input.
        offset: usize,
    },
}

/// The PRECIS derived property of a code point, as far as the
/// FreeformClass distinguishes it (PVALID and FREE_PVAL are both valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Derived {
    Valid,
    ContextJ,
    ContextO,
    Disallowed,
    Unassigned,
}

/// RFC 5892 §2.6: the Exceptions and their derived property.
fn exception(u: u32) -> Option<Derived> {
    Some(match u {
        0x00DF | 0x03C2 | 0x06FD | 0x06FE | 0x0F0B | 0x3007 => Derived::Valid,
        0x00B7 | 0x0375 | 0x05F3 | 0x05F4 | 0x30FB => Derived::ContextO,
        0x0660..=0x0669 | 0x06F0..=0x06F9 => Derived::ContextO,
        0x0640 | 0x07FA | 0x302E | 0x302F | 0x3031..=0x3035 | 0x303B => Derived::Disallowed,
        _ => return None,
    })
}

fn noncharacter(u: u32) -> bool {
    (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE
}

/// Default_Ignorable_Code_Point (DerivedCoreProperties.txt).
fn default_ignorable(u: u32) -> bool {
    matches!(
        u,
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// Hangul_Syllable_Type L, V or T (HangulSyllableType.txt): the conjoining
/// jamo, modern and old.
fn old_hangul_jamo(u: u32) -> bool {
    matches!(
        u,
        0x1100..=0x11FF | 0xA960..=0xA97C | 0xD7B0..=0xD7C6 | 0xD7CB..=0xD7FB
    )
}

/// NFKC changes the code point.
fn has_compat(c: char) -> bool {
    let mut it = std::iter::once(c).nfkc();
    it.next() != Some(c) || it.next().is_some()
}

fn derived_property(c: char) -> Derived {
    use GeneralCategory as G;
    let u = c as u32;
    if let Some(d) = exception(u) {
        return d;
    }
    let gc = c.general_category();
    if gc == G::Unassigned && !noncharacter(u) {
        return Derived::Unassigned;
    }
    if (0x21..=0x7E).contains(&u) {
        return Derived::Valid;
    }
    if u == 0x200C || u == 0x200D {
        return Derived::ContextJ;
    }
    if old_hangul_jamo(u) || default_ignorable(u) || noncharacter(u) || gc == G::Control {
        return Derived::Disallowed;
    }
    match gc {
        // LetterDigits.
        G::LowercaseLetter
        | G::UppercaseLetter
        | G::OtherLetter
        | G::DecimalNumber
        | G::ModifierLetter
        | G::NonspacingMark
        | G::SpacingMark
        // OtherLetterDigits.
        | G::TitlecaseLetter
        | G::LetterNumber
        | G::OtherNumber
        | G::EnclosingMark
        // Spaces.
        | G::SpaceSeparator
        // Symbols.
        | G::MathSymbol
        | G::CurrencySymbol
        | G::ModifierSymbol
        | G::OtherSymbol
        // Punctuation.
        | G::ConnectorPunctuation
        | G::DashPunctuation
        | G::OpenPunctuation
        | G::ClosePunctuation
        | G::InitialPunctuation
        | G::FinalPunctuation
        | G::OtherPunctuation => Derived::Valid,
        // HasCompat comes before the categories in RFC 8264 §8; every
        // category above is valid anyway, so only the rest needs the test.
        _ if has_compat(c) => Derived::Valid,
        _ => Derived::Disallowed,
    }
}

const VIRAMA: u8 = 9;

fn greek(c: char) -> bool {
    matches!(c as u32, 0x0370..=0x03E1 | 0x03F0..=0x03FF | 0x1F00..=0x1FFF)
        && !matches!(c as u32, 0x0374 | 0x037E | 0x0385 | 0x0387)
}

fn hebrew(c: char) -> bool {
    matches!(c as u32, 0x0591..=0x05F4 | 0xFB1D..=0xFB4F)
}

fn hiragana_katakana_han(c: char) -> bool {
    c != '\u{30FB}'
        && matches!(
            c as u32,
            0x3040..=0x30FF
                | 0x31F0..=0x31FF
                | 0xFF66..=0xFF9D
                | 0x2E80..=0x2FDF
                | 0x3005
                | 0x3007
                | 0x3021..=0x3029
                | 0x3038..=0x303B
                | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF
                | 0xF900..=0xFAFF
                | 0x1B000..=0x1B16F
                | 0x20000..=0x3FFFF
        )
}

/// The RFC 5892 Appendix A rule for the code point at byte `i` of `s`.
fn context_ok(s: &str, i: usize, c: char) -> bool {
    let before = s.get(..i).and_then(|p| p.chars().next_back());
    let after = s.get(i + c.len_utf8()..).and_then(|p| p.chars().next());
    match c as u32 {
        // A.1 ZERO WIDTH NON-JOINER, A.2 ZERO WIDTH JOINER: after a virama.
        0x200C | 0x200D => before.is_some_and(|b| canonical_combining_class(b) == VIRAMA),
        // A.3 MIDDLE DOT: between two 'l'.
        0x00B7 => before == Some('l') && after == Some('l'),
        // A.4 GREEK LOWER NUMERAL SIGN (KERAIA): before a Greek letter.
        0x0375 => after.is_some_and(greek),
        // A.5, A.6 HEBREW PUNCTUATION GERESH, GERSHAYIM: after Hebrew.
        0x05F3 | 0x05F4 => before.is_some_and(hebrew),
        // A.7 KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han.
        0x30FB => s.chars().any(hiragana_katakana_han),
        // A.8 ARABIC-INDIC DIGITS: not mixed with the extended ones.
        0x0660..=0x0669 => !s.chars().any(|d| ('\u{06F0}'..='\u{06F9}').contains(&d)),
        // A.9 EXTENDED ARABIC-INDIC DIGITS: not mixed with the others.
        0x06F0..=0x06F9 => !s.chars().any(|d| ('\u{0660}'..='\u{0669}').contains(&d)),
        _ => false,
    }
}

/// Checks that every code point of `s` is allowed by the FreeformClass.
fn check_freeform(s: &str) -> Result<(), OpaqueStringError> {
    if s.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        // Printable ASCII: ASCII7 and SPACE (Zs), all valid.
        return Ok(());
    }
    for (offset, c) in s.char_indices() {
        let code_point = c as u32;
        match derived_property(c) {
            Derived::Valid => {}
            Derived::ContextJ | Derived::ContextO => {
                if !context_ok(s, offset, c) {
                    return Err(OpaqueStringError::ContextRule { code_point, offset });
                }
            }
            Derived::Unassigned => {
                return Err(OpaqueStringError::Unassigned { code_point, offset });
            }
            Derived::Disallowed => {
                return Err(OpaqueStringError::Disallowed { code_point, offset });
            }
        }
    }
    Ok(())
}

/// Applies the OpaqueString enforcement rules. Returns the input unchanged
/// (borrowed) when it is already in the profile's output form.
pub fn opaque_string(input: &str) -> Result<Cow<'_, str>, OpaqueStringError> {
    if input.is_empty() {
        return Err(OpaqueStringError::Empty);
    }
    // [RFC 8265 §4.2.1] "An entity that prepares a string according to this profile MUST
    // ensure that the string consists only of Unicode code points that are
    // explicitly allowed by the FreeformClass string class"
    check_freeform(input)?;
    if input.is_ascii() {
        return Ok(Cow::Borrowed(input));
    }
    // [RFC 8265 §4.2.2] "Any instances of non-ASCII space MUST be
    // mapped to SPACE (U+0020)"
    let mapped = input.chars().map(|c| {
        if c != ' ' && c.general_category() == GeneralCategory::SpaceSeparator {
            ' '
        } else {
            c
        }
    });
    // [RFC 8265 §4.2.2] "Unicode Normalization Form C (NFC) MUST be
    // applied to all strings."
    let out: String = mapped.nfc().collect();
    if out == input {
        return Ok(Cow::Borrowed(input));
    }
    // [RFC 8265 §4.2.2] "Until an implementation produces such an output
    // string, it MUST NOT treat the string as conforming"
    check_freeform(&out)?;
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a failed test
    use super::*;

    fn err_at(s: &str) -> OpaqueStringError {
        opaque_string(s).unwrap_err()
    }

    // [RFC 8265 §4.2.1 test] "ensure that the string consists only of
    // Unicode code points that are explicitly allowed by the FreeformClass
    // string class"
    #[test]
    fn unassigned_code_points_are_rejected() {
        // U+0378 (in the Greek block, never assigned), U+0380, U+FFFC is
        // assigned (OBJECT REPLACEMENT CHARACTER, So) while U+2FFFD is not.
        for (s, cp, offset) in [
            ("a\u{0378}", 0x0378, 1),
            ("\u{0380}", 0x0380, 0),
            ("x\u{2FFFD}", 0x2FFFD, 1),
            ("\u{E0080}", 0xE0080, 0),
        ] {
            // U+E0080 is default-ignorable too: Unassigned is decided first.
            assert_eq!(
                err_at(s),
                OpaqueStringError::Unassigned {
                    code_point: cp,
                    offset
                },
                "{s:?}"
            );
        }
        assert!(opaque_string("\u{FFFC}").is_ok());
    }

    #[test]
    fn disallowed_classes() {
        for (s, cp) in [
            ("a\u{0007}", 0x0007),     // Controls (Cc)
            ("a\u{0085}", 0x0085),     // Controls (Cc), C1
            ("a\u{00AD}", 0x00AD),     // default ignorable (SOFT HYPHEN)
            ("a\u{FDD0}", 0xFDD0),     // noncharacter
            ("a\u{10FFFF}", 0x10FFFF), // noncharacter
            ("a\u{1100}", 0x1100),     // Hangul choseong (OldHangulJamo, L)
            ("a\u{11A8}", 0x11A8),     // Hangul jongseong (T)
            ("a\u{E000}", 0xE000),     // private use (Co)
            ("a\u{2028}", 0x2028),     // LINE SEPARATOR (Zl)
            ("a\u{2029}", 0x2029),     // PARAGRAPH SEPARATOR (Zp)
            ("a\u{0600}", 0x0600),     // ARABIC NUMBER SIGN (Cf, not ignorable)
            ("a\u{0640}", 0x0640),     // ARABIC TATWEEL (Exceptions: DISALLOWED)
            ("a\u{302E}", 0x302E),     // HANGUL SINGLE DOT TONE MARK (Exceptions)
        ] {
            assert_eq!(
                err_at(s),
                OpaqueStringError::Disallowed {
                    code_point: cp,
                    offset: 1
                },
                "U+{cp:04X}"
            );
        }
    }

    #[test]
    fn valid_classes() {
        for s in [
            "pass word",                // ASCII7 and SPACE
            "\u{00DF}tra\u{00DF}e",     // Exceptions PVALID (sharp s)
            "\u{01C5}",                 // Lt (OtherLetterDigits)
            "\u{2168}",                 // ROMAN NUMERAL NINE (Nl, HasCompat)
            "\u{00BD}",                 // VULGAR FRACTION ONE HALF (No)
            "\u{20AC}\u{2211}",         // Sc, Sm
            "\u{00AB}\u{00BB}",         // Pi, Pf
            "\u{1F600}",                // So (emoji)
            "\u{AC00}",                 // Hangul syllable (Lo, not jamo)
            "\u{FF21}",                 // FULLWIDTH A: kept, no width mapping
            "\u{0915}\u{094D}\u{200D}", // ZWJ after a virama
        ] {
            assert!(opaque_string(s).is_ok(), "{s:?}");
        }
        // Fullwidth stays fullwidth.
        assert_eq!(opaque_string("\u{FF21}").unwrap(), "\u{FF21}");
    }

    #[test]
    fn context_rules() {
        let ctx = |s: &str, cp: u32, offset: usize| {
            assert_eq!(
                err_at(s),
                OpaqueStringError::ContextRule {
                    code_point: cp,
                    offset
                },
                "{s:?}"
            )
        };
        // A.1/A.2: ZWNJ and ZWJ only after a virama.
        ctx("a\u{200D}b", 0x200D, 1);
        ctx("\u{200C}", 0x200C, 0);
        assert!(opaque_string("\u{0915}\u{094D}\u{200C}\u{0937}").is_ok());
        // A.3: MIDDLE DOT between two 'l' (Catalan "l·l").
        assert!(opaque_string("col\u{00B7}legi").is_ok());
        ctx("a\u{00B7}b", 0xB7, 1);
        // A.4: KERAIA before a Greek letter.
        assert!(opaque_string("\u{0375}\u{03B1}").is_ok());
        ctx("\u{0375}a", 0x0375, 0);
        // A.5: GERESH after Hebrew.
        assert!(opaque_string("\u{05D0}\u{05F3}").is_ok());
        ctx("a\u{05F3}", 0x05F3, 1);
        // A.7: KATAKANA MIDDLE DOT needs kana or Han in the string.
        assert!(opaque_string("\u{30A2}\u{30FB}\u{30A4}").is_ok());
        ctx("a\u{30FB}b", 0x30FB, 1);
        // A.8/A.9: the two Arabic-Indic digit sets do not mix.
        assert!(opaque_string("\u{0661}\u{0662}").is_ok());
        assert!(opaque_string("\u{06F1}\u{06F2}").is_ok());
        ctx("\u{0661}\u{06F2}", 0x0661, 0);
    }

    // [RFC 8265 §4.2.2 test] "Any instances of non-ASCII space MUST be
    // mapped to SPACE (U+0020)"
    #[test]
    fn spaces_are_mapped_and_nfc_applied() {
        assert_eq!(opaque_string("a\u{00A0}b\u{3000}c").unwrap(), "a b c");
        // e + COMBINING ACUTE ACCENT composes to U+00E9.
        assert_eq!(opaque_string("e\u{0301}").unwrap(), "\u{00E9}");
        assert!(matches!(opaque_string("abc").unwrap(), Cow::Borrowed(_)));
        assert_eq!(opaque_string(""), Err(OpaqueStringError::Empty));
    }

    #[test]
    fn every_code_point_is_classified_without_panic() {
        for u in 0..=0x10FFFFu32 {
            if let Some(c) = char::from_u32(u) {
                let _ = derived_property(c);
            }
        }
        assert_eq!(derived_property('\u{0378}'), Derived::Unassigned);
        assert_eq!(derived_property('A'), Derived::Valid);
    }
}
