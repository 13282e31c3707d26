//! Splitting running text into sentences and finding BCP 14 keywords.

use crate::spec::Keyword;

/// Abbreviations after which a period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g.", "i.e.", "etc.", "al.", "vs.", "cf.", "Sec.", "Fig.", "No.", "Vol.", "Mr.", "Ms.",
    "Dr.", "St.", "Inc.", "approx.", "resp.", "Ref.", "viz.", "Eq.",
];

/// Splits a paragraph (white space already collapsed) into sentences.
///
/// A sentence ends at `.`, `?` or `!` (optionally followed by a closing
/// quote or parenthesis) when a space and then an upper-case letter, a digit,
/// a quote or an opening bracket follow, unless the word ending there is a
/// known abbreviation or a single letter (an initial, or a list label).
pub fn split(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'?' | b'!') {
            let mut end = i + 1;
            while end < bytes.len() && matches!(bytes[end], b'"' | b')' | b'\'' | b']') {
                end += 1;
            }
            if end + 1 < bytes.len() && bytes[end] == b' ' && starts_sentence(bytes[end + 1]) {
                let word_start = text[..i + 1]
                    .rfind(' ')
                    .map(|p| p + 1)
                    .unwrap_or(start)
                    .max(start);
                let word = &text[word_start..i + 1];
                if b != b'.' || !is_abbreviation(word) {
                    let s = text[start..end].trim();
                    if !s.is_empty() {
                        out.push(s.to_string());
                    }
                    start = end + 1;
                    i = end;
                }
            }
        }
        i += 1;
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

fn starts_sentence(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'"' | b'(' | b'[' | b'\'' | b'<')
}

fn is_abbreviation(word: &str) -> bool {
    let w = word.trim_start_matches(['(', '"', '\'']);
    if ABBREVIATIONS.iter().any(|a| w.eq_ignore_ascii_case(a)) {
        return true;
    }
    // A single letter ("J." in a name, "a." as a list label) right before a
    // capital is an initial or a label, not the end of a sentence.
    let core = w.trim_end_matches('.');
    core.len() == 1 && core.bytes().all(|c| c.is_ascii_alphabetic())
}

/// The BCP 14 keywords in a sentence, each level once, in order of first
/// appearance. Only upper-case whole words count (RFC 8174 §2).
pub fn keywords(sentence: &str) -> Vec<Keyword> {
    let words: Vec<&str> = sentence
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    let mut push = |k: Keyword| {
        if !out.contains(&k) {
            out.push(k);
        }
    };
    let mut i = 0;
    while i < words.len() {
        let next = words.get(i + 1).copied();
        // [RFC 8174 §2] "The words have the meanings specified herein only
        // when they are in all capitals."
        match words[i] {
            // [RFC 2119 §2] "definition is an absolute prohibition of the specification"
            "MUST" | "SHALL" if next == Some("NOT") => {
                push(Keyword::MustNot);
                i += 1;
            }
            // [RFC 2119 §1] "definition is an absolute requirement of the specification"
            "MUST" | "SHALL" | "REQUIRED" => push(Keyword::Must),
            // [RFC 2119 §4] "the particular behavior is acceptable or even useful"
            "SHOULD" if next == Some("NOT") => {
                push(Keyword::ShouldNot);
                i += 1;
            }
            "NOT" if next == Some("RECOMMENDED") => {
                push(Keyword::ShouldNot);
                i += 1;
            }
            // [RFC 2119 §3] "there may exist valid reasons in particular circumstances to
            // ignore a particular item"
            "SHOULD" | "RECOMMENDED" => push(Keyword::Should),
            // [RFC 2119 §5] "mean that an item is truly optional"
            "MAY" | "OPTIONAL" => push(Keyword::May),
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether a sentence is the BCP 14 conventions paragraph ("The key words
/// "MUST", ... are to be interpreted as described in ..."), which names the
/// keywords without stating a requirement.
pub fn is_boilerplate(sentence: &str) -> bool {
    let interpreted = sentence.contains("interpreted as described in")
        || sentence.contains("are to be interpreted as")
        || sentence.contains("interpreted as defined in");
    let names_keywords = sentence.contains("\"MUST\"")
        || sentence.contains("\"SHOULD\"")
        || sentence.contains("RFC 2119")
        || sentence.contains("RFC2119")
        || sentence.contains("BCP 14");
    interpreted && names_keywords
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_sentence_ends_but_not_abbreviations() {
        let s = split(
            "The UAC MUST add a branch, e.g. z9hG4bK. The UAS MAY reject it. \
             See Section 8.1. Done (really). \"Quoted\" start.",
        );
        assert_eq!(
            s,
            vec![
                "The UAC MUST add a branch, e.g. z9hG4bK.",
                "The UAS MAY reject it.",
                "See Section 8.1.",
                "Done (really).",
                "\"Quoted\" start."
            ]
        );
    }

    #[test]
    fn keeps_decimal_numbers_and_initials_inside() {
        let s = split("Timer A is 0.5 s for J. Rosenberg. Next one.");
        assert_eq!(s, vec!["Timer A is 0.5 s for J. Rosenberg.", "Next one."]);
    }

    #[test]
    fn keywords_by_level_upper_case_only() {
        use Keyword::*;
        assert_eq!(
            keywords("It MUST NOT send and SHOULD wait; it MAY retry."),
            vec![MustNot, Should, May]
        );
        assert_eq!(keywords("This is NOT RECOMMENDED."), vec![ShouldNot]);
        assert_eq!(
            keywords("A REQUIRED field, an OPTIONAL one."),
            vec![Must, May]
        );
        assert_eq!(keywords("SHALL NOT and SHALL"), vec![MustNot, Must]);
        assert!(keywords("you must and may, should").is_empty());
        assert!(keywords("MUSTARD MAYBE").is_empty());
    }

    #[test]
    fn recognises_the_conventions_paragraph() {
        assert!(is_boilerplate(
            "The key words \"MUST\", \"MUST NOT\", \"REQUIRED\" in this document are to be \
             interpreted as described in BCP 14, RFC 2119."
        ));
        assert!(!is_boilerplate("The UAC MUST do it."));
    }
}
