//! The model of a specification: its sections, paragraphs, sentences and the
//! requirement keywords each sentence carries.

use std::fmt;
use std::str::FromStr;

use crate::sentences;

/// Which document: an IETF RFC or an XSF XEP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub enum SpecId {
    /// `RFC 3261`.
    Rfc(u32),
    /// `XEP-0166`.
    Xep(u32),
}

impl SpecId {
    /// The file name the spec text is stored under: `rfc3261.txt` or
    /// `xep-0166.xml`.
    pub fn file_name(self) -> String {
        match self {
            SpecId::Rfc(n) => format!("rfc{n}.txt"),
            SpecId::Xep(n) => format!("xep-{n:04}.xml"),
        }
    }

    /// A short form for file names and HTML anchors: `rfc3261`, `xep-0166`.
    pub fn slug(self) -> String {
        match self {
            SpecId::Rfc(n) => format!("rfc{n}"),
            SpecId::Xep(n) => format!("xep-{n:04}"),
        }
    }
}

impl fmt::Display for SpecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecId::Rfc(n) => write!(f, "RFC {n}"),
            SpecId::Xep(n) => write!(f, "XEP-{n:04}"),
        }
    }
}

/// Why a spec identifier could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a spec identifier: {0:?} (expected e.g. \"RFC 3261\", \"rfc3261\", \"3261\" or \"XEP-0166\")"
)]
pub struct SpecIdError(pub String);

impl FromStr for SpecId {
    type Err = SpecIdError;

    /// Accepts `RFC 3261`, `RFC3261`, `rfc3261`, `3261`, `rfc3261.txt`,
    /// `XEP-0166`, `xep-0166`, `xep0166`, `xep-0166.xml`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let lower = lower
            .strip_suffix(".txt")
            .or_else(|| lower.strip_suffix(".xml"))
            .unwrap_or(&lower);
        let (is_xep, digits) = if let Some(rest) = lower.strip_prefix("rfc") {
            (false, rest.trim_start())
        } else if let Some(rest) = lower.strip_prefix("xep") {
            (true, rest.trim_start_matches(['-', ' ']))
        } else {
            (false, lower)
        };
        if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SpecIdError(s.to_string()));
        }
        let n: u32 = digits.parse().map_err(|_| SpecIdError(s.to_string()))?;
        Ok(if is_xep {
            SpecId::Xep(n)
        } else {
            SpecId::Rfc(n)
        })
    }
}

/// A BCP 14 requirement keyword (RFC 2119, RFC 8174: upper case only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub enum Keyword {
    /// MUST, REQUIRED, SHALL.
    Must,
    /// MUST NOT, SHALL NOT.
    MustNot,
    /// SHOULD, RECOMMENDED.
    Should,
    /// SHOULD NOT, NOT RECOMMENDED.
    ShouldNot,
    /// MAY, OPTIONAL.
    May,
}

impl Keyword {
    /// Every level, strongest first.
    pub const ALL: [Keyword; 5] = [
        Keyword::Must,
        Keyword::MustNot,
        Keyword::Should,
        Keyword::ShouldNot,
        Keyword::May,
    ];

    /// The level's name as it appears in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Must => "MUST",
            Keyword::MustNot => "MUST NOT",
            Keyword::Should => "SHOULD",
            Keyword::ShouldNot => "SHOULD NOT",
            Keyword::May => "MAY",
        }
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One sentence of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// The sentence with its white space collapsed to single spaces.
    pub text: String,
    /// The requirement levels it states, each once, in order of appearance.
    pub keywords: Vec<Keyword>,
    /// Index of the paragraph (within the section) the sentence belongs to.
    pub paragraph: usize,
}

impl Sentence {
    /// Whether the sentence states a requirement.
    pub fn is_requirement(&self) -> bool {
        !self.keywords.is_empty()
    }
}

/// A paragraph as it appears in the source, kept for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// The original lines (page breaks removed, indentation kept).
    pub lines: Vec<String>,
    /// Whether the paragraph is a figure, table, ABNF or example rather than
    /// running text (displayed preformatted).
    pub preformatted: bool,
}

/// One numbered section of a spec (its own text, without its subsections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The number as the document writes it: `17.1.1.2`, `A.1`.
    pub number: String,
    /// The heading text.
    pub title: String,
    /// 1-based line of the heading in the source file (0 when unknown).
    pub line: usize,
    /// The section's paragraphs.
    pub paragraphs: Vec<Paragraph>,
    /// The section's sentences, in order.
    pub sentences: Vec<Sentence>,
    /// The section text with all white space removed, for matching.
    compact: String,
    /// For each byte of `compact`, the sentence it belongs to.
    compact_owner: Vec<u32>,
}

/// Where a fragment was found in a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentMatch {
    /// Indices of the sentences the fragment overlaps.
    pub sentences: Vec<usize>,
    /// How many times the fragment occurs in the section.
    pub occurrences: usize,
}

impl Section {
    /// Builds a section from its paragraphs, splitting sentences and finding
    /// keywords.
    pub fn new(number: String, title: String, line: usize, paragraphs: Vec<Paragraph>) -> Self {
        let mut sentences_out = Vec::new();
        for (pi, p) in paragraphs.iter().enumerate() {
            let joined = collapse_ws(&p.lines.join("\n"));
            let parts = if p.preformatted {
                // Figures are not prose: keep them as one unit for matching,
                // and never count keywords inside them.
                vec![joined]
            } else {
                sentences::split(&joined)
            };
            for s in parts {
                let keywords = if p.preformatted || sentences::is_boilerplate(&s) {
                    Vec::new()
                } else {
                    sentences::keywords(&s)
                };
                sentences_out.push(Sentence {
                    text: s,
                    keywords,
                    paragraph: pi,
                });
            }
        }
        let mut compact = String::new();
        let mut compact_owner = Vec::new();
        for (si, s) in sentences_out.iter().enumerate() {
            for ch in s.text.chars().filter(|c| !is_ws(*c)) {
                let before = compact.len();
                compact.push(ch);
                let idx = u32::try_from(si).unwrap_or(u32::MAX);
                compact_owner.extend(std::iter::repeat_n(idx, compact.len() - before));
            }
        }
        Section {
            number,
            title,
            line,
            paragraphs,
            sentences: sentences_out,
            compact,
            compact_owner,
        }
    }

    /// Finds a quoted fragment in this section's text, ignoring white space.
    pub fn find(&self, fragment: &str) -> Option<FragmentMatch> {
        let needle = compact(fragment);
        if needle.is_empty() {
            return None;
        }
        let mut occurrences = 0;
        let mut first = None;
        let mut from = 0;
        while let Some(pos) = self.compact.get(from..).and_then(|h| h.find(&needle)) {
            let at = from + pos;
            occurrences += 1;
            if first.is_none() {
                first = Some(at);
            }
            from = at + needle.len();
        }
        let start = first?;
        let end = start + needle.len();
        let mut sentences = Vec::new();
        for &owner in self.compact_owner.get(start..end).unwrap_or(&[]) {
            let owner = owner as usize;
            if sentences.last() != Some(&owner) {
                sentences.push(owner);
            }
        }
        Some(FragmentMatch {
            sentences,
            occurrences,
        })
    }

    /// The longest prefix of the fragment (in words) found in this section,
    /// and the word where matching stops: a hint for a citation that does
    /// not match.
    pub fn closest_prefix(&self, fragment: &str) -> (usize, Option<String>) {
        let words: Vec<&str> = fragment.split_whitespace().collect();
        let mut best = 0;
        for n in 1..=words.len() {
            let prefix = words[..n].join(" ");
            if self.compact.contains(&compact(&prefix)) {
                best = n;
            } else {
                break;
            }
        }
        (best, words.get(best).map(|w| (*w).to_string()))
    }

    /// The whole section text as running text (sentences joined by spaces).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for s in &self.sentences {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&s.text);
        }
        out
    }

    /// Whether this section is `other` or lies below it in the tree
    /// (`17.1.1.2` is within `17.1` and `17`, not within `17.2` or `1`).
    pub fn is_within(&self, other: &str) -> bool {
        number_is_within(&self.number, other)
    }
}

/// Whether section `number` is `ancestor` or one of its descendants.
pub fn number_is_within(number: &str, ancestor: &str) -> bool {
    number == ancestor
        || (number.len() > ancestor.len()
            && number.starts_with(ancestor)
            && number.as_bytes().get(ancestor.len()) == Some(&b'.'))
}

/// A parsed specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Which document.
    pub id: SpecId,
    /// The document title.
    pub title: String,
    /// Numbered sections in document order.
    pub sections: Vec<Section>,
}

impl Spec {
    /// The section with this number, if the document has it.
    pub fn section(&self, number: &str) -> Option<&Section> {
        let wanted = normalize_section_number(number);
        self.sections.iter().find(|s| s.number == wanted)
    }

    /// Index of a section by number.
    pub fn section_index(&self, number: &str) -> Option<usize> {
        let wanted = normalize_section_number(number);
        self.sections.iter().position(|s| s.number == wanted)
    }

    /// Every section whose text contains the fragment (for hints).
    pub fn sections_containing(&self, fragment: &str) -> Vec<&Section> {
        self.sections
            .iter()
            .filter(|s| s.find(fragment).is_some())
            .collect()
    }
}

/// Normalises a section number as written in a citation: strips a leading
/// `§`, `Section` or `Appendix`, and a trailing dot.
pub fn normalize_section_number(number: &str) -> String {
    let mut s = number.trim();
    s = s.trim_start_matches('§').trim_start();
    for prefix in ["Section", "section", "Appendix", "appendix"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_start();
        }
    }
    s.trim_end_matches('.').to_string()
}

/// White space for matching purposes: ASCII white space, form feed, and the
/// Unicode spaces that appear in RFC v3 text (no-break space and friends).
pub fn is_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{00a0}' || c == '\u{feff}' || c == '\u{200b}'
}

/// Removes every white-space character (see [`is_ws`]).
pub fn compact(s: &str) -> String {
    s.chars().filter(|c| !is_ws(*c)).collect()
}

/// Collapses runs of white space to one ASCII space and trims the ends.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending = false;
    for c in s.chars() {
        if is_ws(c) {
            pending = !out.is_empty();
        } else {
            if pending {
                out.push(' ');
                pending = false;
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_ids_parse_in_every_common_spelling() {
        for s in ["RFC 3261", "RFC3261", "rfc3261", "3261", "rfc3261.txt"] {
            assert_eq!(s.parse::<SpecId>(), Ok(SpecId::Rfc(3261)), "{s}");
        }
        for s in ["XEP-0166", "xep-0166", "xep0166", "xep-0166.xml", "XEP 166"] {
            assert_eq!(s.parse::<SpecId>(), Ok(SpecId::Xep(166)), "{s}");
        }
        assert!("RFC".parse::<SpecId>().is_err());
        assert!("RFC 32a".parse::<SpecId>().is_err());
        assert_eq!(SpecId::Xep(166).to_string(), "XEP-0166");
        assert_eq!(SpecId::Xep(166).file_name(), "xep-0166.xml");
    }

    #[test]
    fn section_numbers_normalise() {
        assert_eq!(normalize_section_number("§17.1."), "17.1");
        assert_eq!(normalize_section_number("Appendix A.1"), "A.1");
        assert!(number_is_within("17.1.1.2", "17.1"));
        assert!(!number_is_within("17.10", "17.1"));
        assert!(!number_is_within("1", "17"));
    }

    #[test]
    fn fragments_match_across_line_breaks_and_hyphenation() {
        let p = Paragraph {
            lines: vec![
                "   The client transaction MUST start timer A with a value of".into(),
                "   T1 for non-".into(),
                "   INVITE requests.  Another sentence MAY follow.".into(),
            ],
            preformatted: false,
        };
        let s = Section::new("17.1".into(), "T".into(), 1, vec![p]);
        assert_eq!(s.sentences.len(), 2);
        let m = s.find("value of T1 for non-INVITE requests").unwrap();
        assert_eq!(m.sentences, vec![0]);
        let m = s.find("INVITE requests. Another sentence").unwrap();
        assert_eq!(m.sentences, vec![0, 1]);
        assert!(s.find("timer B").is_none());
        assert_eq!(s.closest_prefix("start timer B now").0, 2);
    }
}
