//! The PRECIS OpaqueString profile (RFC 8265 §4.2) for usernames, realms and
//! passwords.
//!
//! What is enforced: the additional mapping rule (non-ASCII spaces, general
//! category Zs, become U+0020), NFC normalisation, no width or case mapping,
//! no directionality rule; and, of the FreeformClass (RFC 8264), the
//! disallowed control characters and default-ignorable code points, and the
//! empty string. Unassigned code points (which depend on the Unicode version)
//! are not detected: this crate carries no Unicode age table.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

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
}

/// Non-ASCII code points of general category Zs (Unicode 15).
const NON_ASCII_SPACES: &[char] = &[
    '\u{00A0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}',
    '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200A}', '\u{202F}', '\u{205F}', '\u{3000}',
];

fn disallowed(c: char) -> bool {
    let u = c as u32;
    // Controls (Cc).
    u < 0x20 || (0x7F..=0x9F).contains(&u)
        // Default_Ignorable_Code_Point (DerivedCoreProperties).
        || u == 0x00AD
        || u == 0x034F
        || u == 0x061C
        || (0x115F..=0x1160).contains(&u)
        || (0x17B4..=0x17B5).contains(&u)
        || (0x180B..=0x180F).contains(&u)
        || (0x200B..=0x200F).contains(&u)
        || (0x202A..=0x202E).contains(&u)
        || (0x2060..=0x206F).contains(&u)
        || u == 0x3164
        || (0xFE00..=0xFE0F).contains(&u)
        || u == 0xFEFF
        || u == 0xFFA0
        || (0xFFF0..=0xFFF8).contains(&u)
        || (0x1BCA0..=0x1BCA3).contains(&u)
        || (0x1D173..=0x1D17A).contains(&u)
        || (0xE0000..=0xE0FFF).contains(&u)
        // Noncharacters.
        || (0xFDD0..=0xFDEF).contains(&u)
        || (u & 0xFFFE) == 0xFFFE
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
    if let Some((offset, c)) = input.char_indices().find(|&(_, c)| disallowed(c)) {
        return Err(OpaqueStringError::Disallowed {
            code_point: c as u32,
            offset,
        });
    }
    if input.is_ascii() {
        return Ok(Cow::Borrowed(input));
    }
    // [RFC 8265 §4.2.2] "Any instances of non-ASCII space MUST be
    // mapped to SPACE (U+0020)"
    let mapped = input.chars().map(|c| {
        if NON_ASCII_SPACES.contains(&c) {
            ' '
        } else {
            c
        }
    });
    // [RFC 8265 §4.2.2] "Unicode Normalization Form C (NFC) MUST be
    // applied to all strings."
    let out: String = mapped.nfc().collect();
    if out == input {
        Ok(Cow::Borrowed(input))
    } else {
        Ok(Cow::Owned(out))
    }
}
