//! Resolving citations against spec texts.

use std::collections::HashMap;
use std::fmt;

use crate::citation::{Citation, Kind, SyntaxError, path_string};
use crate::source::Library;
use crate::spec::{Spec, SpecId};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// The citation does not resolve; `check` fails.
    Error,
    /// Worth a look; `check` still passes.
    Warning,
}

/// One problem, reported as `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// File, `/`-separated, relative to the root.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}:{}: {}", self.path, self.line, self.message),
            Severity::Warning => {
                write!(f, "{}:{}: warning: {}", self.path, self.line, self.message)
            }
        }
    }
}

impl From<&SyntaxError> for Problem {
    fn from(e: &SyntaxError) -> Self {
        Problem {
            path: path_string(&e.path),
            line: e.line,
            severity: Severity::Error,
            message: e.message.clone(),
        }
    }
}

/// Where a citation landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Index of the citation in the input slice.
    pub citation: usize,
    /// The spec.
    pub spec: SpecId,
    /// Index of the section in the spec.
    pub section: usize,
    /// Indices of the sentences (within the section) the fragment overlaps.
    pub sentences: Vec<usize>,
}

/// Resolves every citation; returns what resolved and the problems found.
pub fn resolve(citations: &[Citation], library: &mut Library) -> (Vec<Resolved>, Vec<Problem>) {
    let mut resolved = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (ci, c) in citations.iter().enumerate() {
        let problem = |severity, message: String| Problem {
            path: c.path_str(),
            line: c.line,
            severity,
            message,
        };
        let spec = match library.get(c.spec) {
            Ok(s) => s,
            Err(e) => {
                problems.push(problem(Severity::Error, e.to_string()));
                continue;
            }
        };
        let Some(si) = spec.section_index(&c.section) else {
            problems.push(problem(Severity::Error, missing_section(spec, &c.section)));
            continue;
        };
        let section = &spec.sections[si];
        match section.find(&c.fragment) {
            Some(m) => {
                if m.occurrences > 1 {
                    problems.push(problem(
                        Severity::Warning,
                        format!(
                            "the fragment occurs {} times in {} §{}; the first is used — quote more words to be precise",
                            m.occurrences, c.spec, section.number
                        ),
                    ));
                }
                // Same text, same kind, same file: most likely a copy.
                let key = format!(
                    "{}|{}|{}|{}|{}",
                    c.spec,
                    section.number,
                    c.fragment,
                    if c.is_test() { "test" } else { c.kind.name() },
                    c.path_str()
                );
                if let Some(&first) = seen.get(&key) {
                    problems.push(problem(
                        Severity::Warning,
                        format!("duplicate citation (same text and kind as line {first})"),
                    ));
                } else {
                    seen.insert(key, c.line);
                }
                resolved.push(Resolved {
                    citation: ci,
                    spec: c.spec,
                    section: si,
                    sentences: m.sentences,
                });
            }
            None => problems.push(problem(Severity::Error, missing_fragment(spec, si, c))),
        }
    }
    problems.sort_by(|a, b| (&a.path, a.line, a.severity).cmp(&(&b.path, b.line, b.severity)));
    (resolved, problems)
}

fn missing_section(spec: &Spec, wanted: &str) -> String {
    // Suggest the siblings: sections sharing the parent number.
    let parent = wanted.rsplit_once('.').map(|(p, _)| p);
    let siblings: Vec<&str> = spec
        .sections
        .iter()
        .filter(|s| s.number.rsplit_once('.').map(|(p, _)| p) == parent)
        .map(|s| s.number.as_str())
        .collect();
    let hint = if siblings.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = siblings.iter().take(12).copied().collect();
        format!(
            " (it has {}{})",
            shown.join(", "),
            if siblings.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        )
    };
    format!("{} has no section {wanted}{hint}", spec.id)
}

fn missing_fragment(spec: &Spec, si: usize, c: &Citation) -> String {
    let section = &spec.sections[si];
    let elsewhere: Vec<String> = spec
        .sections_containing(&c.fragment)
        .iter()
        .map(|s| format!("§{}", s.number))
        .collect();
    let mut msg = format!(
        "fragment not found in {} §{} ({}): \"{}\"",
        c.spec,
        section.number,
        section.title,
        shorten(&c.fragment, 80)
    );
    if !elsewhere.is_empty() {
        msg.push_str(&format!("; it is in {}", elsewhere.join(", ")));
    } else {
        let (words, at) = section.closest_prefix(&c.fragment);
        if words > 0 {
            if let Some(at) = at {
                msg.push_str(&format!(
                    "; the first {words} word(s) match, the text differs at {at:?}"
                ));
            }
        } else {
            msg.push_str("; not even its first word is in the section");
        }
    }
    if matches!(c.kind, Kind::Exception(_) | Kind::Todo(_)) {
        msg.push_str(&format!(" [{}]", c.kind.name()));
    }
    msg
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}
