//! Finding citations in Rust source.
//!
//! A small lexer walks the file so that `//` inside string literals is not
//! mistaken for a comment, block comments are skipped, and the regions of
//! `#[cfg(test)]` modules and `#[test]` functions are known. See the crate
//! README for the citation syntax.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::spec::{SpecId, normalize_section_number};

/// Longest fragment, in comment lines, before the closing quote must appear.
pub const MAX_FRAGMENT_LINES: usize = 12;

/// Fewest words a fragment must have.
pub const MIN_FRAGMENT_WORDS: usize = 3;

/// What a citation says about the requirement it quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// The code below implements the requirement (the default).
    Implementation,
    /// The code below checks the requirement.
    Test,
    /// The requirement is deliberately not implemented, for this reason.
    Exception(String),
    /// Not done yet; the text says where it is tracked.
    Todo(String),
}

impl Kind {
    /// A short name: `implementation`, `test`, `exception`, `todo`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Implementation => "implementation",
            Kind::Test => "test",
            Kind::Exception(_) => "exception",
            Kind::Todo(_) => "todo",
        }
    }

    /// The reason of an exception or todo.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Kind::Exception(r) | Kind::Todo(r) => Some(r),
            _ => None,
        }
    }
}

/// One citation found in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The file, relative to the scanned root.
    pub path: PathBuf,
    /// 1-based line of the `[RFC ...]` reference.
    pub line: usize,
    /// 1-based line where the fragment's closing quote is.
    pub end_line: usize,
    /// The spec cited.
    pub spec: SpecId,
    /// The section number, normalised (`17.1.1.2`, `A.1`).
    pub section: String,
    /// The kind as written.
    pub kind: Kind,
    /// The quoted fragment, white space collapsed.
    pub fragment: String,
    /// Whether the citation sits in test code (`tests/`, `#[cfg(test)]`,
    /// `#[test]`).
    pub in_test_code: bool,
}

impl Citation {
    /// Whether the citation counts as a test: marked `test` or in test code.
    /// Exceptions and todos count as such wherever they are.
    pub fn is_test(&self) -> bool {
        matches!(self.kind, Kind::Test)
            || (self.in_test_code && matches!(self.kind, Kind::Implementation))
    }

    /// Whether the citation counts as an implementation.
    pub fn is_implementation(&self) -> bool {
        matches!(self.kind, Kind::Implementation) && !self.in_test_code
    }

    /// The path with forward slashes, for reports.
    pub fn path_str(&self) -> String {
        path_string(&self.path)
    }
}

/// A path with forward slashes.
pub fn path_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A malformed citation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            path_string(&self.path),
            self.line,
            self.message
        )
    }
}

/// A line comment found by the lexer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comment {
    line: usize,
    /// `//`, `///` or `//!`.
    style: &'static str,
    /// The text after the slashes.
    text: String,
    in_test: bool,
    /// Whether code precedes the comment on its line.
    trailing: bool,
}

/// Scans one source file for citations.
///
/// `path` is recorded in the results; `in_tests_dir` marks every citation of
/// the file as test code (files under a `tests/` directory).
pub fn scan(path: &Path, source: &str, in_tests_dir: bool) -> (Vec<Citation>, Vec<SyntaxError>) {
    let comments = lex(source);
    let mut citations = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < comments.len() {
        let c = &comments[i];
        let body = c.text.trim_start();
        if !(body.starts_with("[RFC") || body.starts_with("[XEP")) {
            i += 1;
            continue;
        }
        let err = |line: usize, message: String| SyntaxError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let Some(close) = body.find(']') else {
            errors.push(err(c.line, "citation reference has no closing `]`".into()));
            i += 1;
            continue;
        };
        let reference = &body[1..close];
        let (spec, section, kind) = match parse_reference(reference) {
            Ok(r) => r,
            Err(m) => {
                errors.push(err(c.line, m));
                i += 1;
                continue;
            }
        };
        let after = body[close + 1..].trim();
        let Some(first) = after.strip_prefix('"') else {
            errors.push(err(
                c.line,
                format!("citation [{reference}] must be followed by a quoted fragment of the cited sentence"),
            ));
            i += 1;
            continue;
        };
        // Collect the fragment up to the line that ends with a quote.
        let mut parts = vec![first.to_string()];
        let mut end = i;
        let mut closed = first.trim_end().ends_with('"') && !first.trim().is_empty();
        while !closed {
            let next = end + 1;
            let Some(n) = comments.get(next) else { break };
            if n.line != comments[end].line + 1 || n.style != c.style || n.trailing {
                break;
            }
            if next - i >= MAX_FRAGMENT_LINES {
                break;
            }
            let t = n.text.trim();
            if t.starts_with("[RFC") || t.starts_with("[XEP") {
                break;
            }
            parts.push(t.to_string());
            end = next;
            closed = t.ends_with('"');
        }
        if !closed {
            errors.push(err(
                c.line,
                format!(
                    "the fragment of [{reference}] has no closing quote: a fragment ends at the first comment line whose text ends with `\"` (at most {MAX_FRAGMENT_LINES} lines)"
                ),
            ));
            i = end + 1;
            continue;
        }
        let mut joined = parts.join(" ");
        joined.truncate(joined.trim_end().len());
        joined.pop(); // the closing quote
        let fragment = crate::spec::collapse_ws(&joined);
        let words = fragment.split_whitespace().count();
        if words < MIN_FRAGMENT_WORDS {
            errors.push(err(
                c.line,
                format!(
                    "the fragment of [{reference}] has {words} word(s); quote at least {MIN_FRAGMENT_WORDS} words of the sentence"
                ),
            ));
        } else {
            citations.push(Citation {
                path: path.to_path_buf(),
                line: c.line,
                end_line: comments[end].line,
                spec,
                section,
                kind,
                fragment,
                in_test_code: in_tests_dir || c.in_test,
            });
        }
        i = end + 1;
    }
    (citations, errors)
}

/// Parses `RFC 3261 §17.1.1.2 exception: reason`.
fn parse_reference(r: &str) -> Result<(SpecId, String, Kind), String> {
    let Some(sect) = r.find('§') else {
        return Err(format!(
            "citation [{r}] has no section: write it as [RFC 3261 §17.1.1.2] or [XEP-0166 §6.2]"
        ));
    };
    let spec_text = r[..sect].trim();
    let spec: SpecId = spec_text.parse().map_err(|_| {
        format!("citation [{r}]: {spec_text:?} is not an RFC or XEP (write RFC 3261 or XEP-0166)")
    })?;
    if !(spec_text.starts_with("RFC") || spec_text.starts_with("XEP")) {
        return Err(format!(
            "citation [{r}]: write the spec as RFC NNNN or XEP-NNNN"
        ));
    }
    let rest = r[sect + '§'.len_utf8()..].trim_start();
    let (number, kind_text) = match rest.find(char::is_whitespace) {
        Some(p) => (&rest[..p], rest[p..].trim()),
        None => (rest, ""),
    };
    let section = normalize_section_number(number);
    if section.is_empty()
        || !section
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(format!(
            "citation [{r}]: {number:?} is not a section number"
        ));
    }
    let kind = if kind_text.is_empty() {
        Kind::Implementation
    } else if kind_text == "test" {
        Kind::Test
    } else if kind_text == "implementation" || kind_text == "impl" {
        Kind::Implementation
    } else if let Some(reason) = kind_text.strip_prefix("exception") {
        let reason = reason.trim_start().trim_start_matches(':').trim();
        if reason.is_empty() {
            return Err(format!(
                "citation [{r}]: an exception needs a reason: `exception: why`"
            ));
        }
        Kind::Exception(reason.to_string())
    } else if let Some(reason) = kind_text.strip_prefix("todo") {
        let reason = reason.trim_start().trim_start_matches(':').trim();
        if reason.is_empty() {
            return Err(format!(
                "citation [{r}]: a todo needs a tracking reference: `todo: issue 4`"
            ));
        }
        Kind::Todo(reason.to_string())
    } else {
        return Err(format!(
            "citation [{r}]: unknown kind {kind_text:?} (use test, exception: reason, or todo: reason)"
        ));
    };
    Ok((spec, section, kind))
}

/// Lexes Rust source into its line comments, tracking test regions.
fn lex(src: &str) -> Vec<Comment> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut depth: usize = 0;
    let mut test_regions: Vec<usize> = Vec::new(); // brace depths at which test regions opened
    let mut pending_test = false;
    let mut line_has_code = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                line_has_code = false;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map(|p| i + p).unwrap_or(b.len());
                let raw = &src[i..end];
                let (style, text) = if let Some(t) = raw.strip_prefix("///") {
                    if t.starts_with('/') {
                        ("//", &raw[2..])
                    } else {
                        ("///", t)
                    }
                } else if let Some(t) = raw.strip_prefix("//!") {
                    ("//!", t)
                } else {
                    ("//", &raw[2..])
                };
                out.push(Comment {
                    line,
                    style,
                    text: text.to_string(),
                    in_test: !test_regions.is_empty(),
                    trailing: line_has_code,
                });
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut nest = 1;
                i += 2;
                while i < b.len() && nest > 0 {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                line_has_code = true;
                i = skip_string(b, i + 1, &mut line, 0);
            }
            b'r' | b'b' if is_raw_string_start(b, i) => {
                line_has_code = true;
                let mut j = i + 1;
                if b[i] == b'b' {
                    j += 1; // br"
                }
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                // b[j] is the opening quote.
                i = skip_string(b, j + 1, &mut line, hashes);
            }
            b'\'' => {
                line_has_code = true;
                i = skip_char_or_lifetime(b, i);
            }
            b'#' if b.get(i + 1) == Some(&b'[') => {
                line_has_code = true;
                let start = i + 2;
                let mut j = start;
                let mut nest = 1;
                while j < b.len() && nest > 0 {
                    match b[j] {
                        b'[' => nest += 1,
                        b']' => nest -= 1,
                        b'\n' => line += 1,
                        _ => {}
                    }
                    j += 1;
                }
                let attr: String = src[start..j.saturating_sub(1).max(start)]
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if attr == "test"
                    || attr == "cfg(test)"
                    || attr.starts_with("cfg(all(test")
                    || attr.ends_with("::test")
                    || attr.starts_with("tokio::test")
                    || attr == "bench"
                {
                    pending_test = true;
                }
                i = j;
            }
            b'{' => {
                line_has_code = true;
                depth += 1;
                if pending_test {
                    test_regions.push(depth);
                    pending_test = false;
                }
                i += 1;
            }
            b'}' => {
                line_has_code = true;
                if test_regions.last() == Some(&depth) {
                    test_regions.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b';' => {
                line_has_code = true;
                // `#[cfg(test)] use x;` applies to that item only.
                pending_test = false;
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                line_has_code = true;
                i += 1;
            }
        }
    }
    out
}

fn is_raw_string_start(b: &[u8], i: usize) -> bool {
    // r"..", r#".."#, br"..", br#".."#, not part of an identifier.
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
        return false;
    }
    let mut j = i + 1;
    if b[i] == b'b' {
        if b.get(j) != Some(&b'r') {
            return false;
        }
        j += 1;
    }
    while b.get(j) == Some(&b'#') {
        j += 1;
    }
    b.get(j) == Some(&b'"')
}

/// Skips a string body starting after the opening quote; returns the index
/// after the closing quote (and `hashes` hashes for raw strings).
fn skip_string(b: &[u8], mut i: usize, line: &mut usize, hashes: usize) -> usize {
    let raw = hashes > 0 || (i >= 2 && b[i - 2] == b'r');
    while i < b.len() {
        match b[i] {
            b'\n' => *line += 1,
            b'\\' if !raw => {
                if b.get(i + 1) == Some(&b'\n') {
                    *line += 1;
                }
                i += 2;
                continue;
            }
            b'"' => {
                let mut j = i + 1;
                let mut n = 0;
                while n < hashes && b.get(j) == Some(&b'#') {
                    n += 1;
                    j += 1;
                }
                if n == hashes {
                    return j;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn skip_char_or_lifetime(b: &[u8], i: usize) -> usize {
    // 'x', '\n', '\u{..}', or a lifetime 'a.
    match b.get(i + 1) {
        Some(b'\\') => {
            let mut j = i + 2;
            while j < b.len() && b[j] != b'\'' && b[j] != b'\n' {
                j += 1;
            }
            j + 1
        }
        Some(_) => {
            // A char literal closes within one UTF-8 character.
            let ch_len = std::str::from_utf8(&b[i + 1..(i + 5).min(b.len())])
                .ok()
                .or_else(|| {
                    (1..=4)
                        .rev()
                        .find_map(|n| std::str::from_utf8(b.get(i + 1..i + 1 + n)?).ok())
                })
                .and_then(|s| s.chars().next())
                .map(char::len_utf8)
                .unwrap_or(1);
            if b.get(i + 1 + ch_len) == Some(&b'\'') {
                i + 2 + ch_len
            } else {
                i + 1
            }
        }
        None => i + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_str(src: &str) -> (Vec<Citation>, Vec<SyntaxError>) {
        scan(Path::new("x/src/lib.rs"), src, false)
    }

    #[test]
    fn single_and_multi_line_citations() {
        let src = r#"
// [RFC 3261 §17.1.1.2] "MUST start timer A with a value of T1"
fn a() {}
/// [RFC 3261 §8.1.1.7] "The branch ID inserted by an element compliant with
/// this specification MUST always begin with the characters "z9hG4bK""
const B: &str = "z9hG4bK";
let x = 1; // [XEP-0166 §6.2 test] "the responder MUST acknowledge receipt"
"#;
        let (c, e) = scan_str(src);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].spec, SpecId::Rfc(3261));
        assert_eq!(c[0].section, "17.1.1.2");
        assert_eq!(c[0].line, 2);
        assert_eq!(c[0].kind, Kind::Implementation);
        assert_eq!(
            c[1].fragment,
            "The branch ID inserted by an element compliant with this specification MUST always begin with the characters \"z9hG4bK\""
        );
        assert_eq!((c[1].line, c[1].end_line), (4, 5));
        assert_eq!(c[2].spec, SpecId::Xep(166));
        assert_eq!(c[2].kind, Kind::Test);
        assert!(c[2].is_test());
    }

    #[test]
    fn kinds_and_their_reasons() {
        let src = r#"
// [RFC 3261 §18.1.1 exception: TCP only] "within 200 bytes of the path MTU"
// [RFC 3261 §17.1.1.2 todo: issue 4] "client transaction MUST start timer D"
"#;
        let (c, e) = scan_str(src);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(c[0].kind, Kind::Exception("TCP only".into()));
        assert_eq!(c[1].kind, Kind::Todo("issue 4".into()));
        assert!(!c[0].is_test() && !c[0].is_implementation());
    }

    #[test]
    fn syntax_errors_name_the_problem() {
        let cases = [
            ("// [RFC 3261 17.1] \"a b c\"", "no section"),
            ("// [RFC 3261 §17.1] no quote", "quoted fragment"),
            ("// [RFC 3261 §17.1] \"only two\"", "2 word(s)"),
            ("// [RFC 3261 §17.1 exception] \"a b c\"", "needs a reason"),
            ("// [RFC 3261 §17.1 maybe] \"a b c\"", "unknown kind"),
            ("// [RFC 3261 §17.1] \"a b c\n// d e", "no closing quote"),
            ("// [RFCX §1] \"a b c\"", "not an RFC"),
        ];
        for (src, want) in cases {
            let (c, e) = scan_str(src);
            assert!(c.is_empty(), "{src}");
            assert_eq!(e.len(), 1, "{src}: {e:?}");
            assert!(e[0].message.contains(want), "{src}: {}", e[0].message);
            assert_eq!(e[0].line, 1);
        }
    }

    #[test]
    fn strings_and_block_comments_are_not_comments() {
        let src = r####"
let s = "// [RFC 3261 §1] \"not a citation here\"";
let r = r#"// [RFC 3261 §1] "nor here at all""#;
/* // [RFC 3261 §1] "nor in a block comment" */
let c = '"'; // [RFC 3261 §1] "but this one counts"
fn f<'a>(x: &'a str) {} // [RFC 3261 §2] "and this one too"
"####;
        let (c, e) = scan_str(src);
        assert!(e.is_empty(), "{e:?}");
        let lines: Vec<_> = c.iter().map(|c| c.line).collect();
        assert_eq!(lines, vec![5, 6]);
    }

    #[test]
    fn test_regions_are_recognised() {
        let src = r#"
// [RFC 1 §1] "implementation code here"
fn f() {}
#[cfg(test)]
mod tests {
    // [RFC 1 §1] "inside the test module"
    #[test]
    fn t() {}
}
// [RFC 1 §1] "after the test module"
#[test]
fn loose() {
    // [RFC 1 §1] "inside a test function"
}
#[cfg(test)]
use foo;
// [RFC 1 §1] "after a cfg test use"
"#;
        let (c, e) = scan_str(src);
        assert!(e.is_empty(), "{e:?}");
        let tests: Vec<_> = c.iter().map(|c| c.in_test_code).collect();
        assert_eq!(tests, vec![false, true, false, true, false]);
    }
}
