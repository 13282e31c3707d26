//! The coverage report: per spec and per section, every requirement sentence
//! with its status and its citations, and counts per keyword level.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::check::{Problem, Resolved};
use crate::citation::{Citation, Kind};
use crate::scope::Scope;
use crate::source::Library;
use crate::spec::{Keyword, SpecId};

/// What the code says about one requirement sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Status {
    /// Implementation citations only.
    Implemented,
    /// Test citations only.
    Tested,
    /// Both implemented and tested.
    Both,
    /// Deliberately not implemented (and not implemented or tested).
    Exception,
    /// Marked as not done yet (and nothing else).
    Todo,
    /// No citation.
    Uncovered,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 6] = [
        Status::Both,
        Status::Implemented,
        Status::Tested,
        Status::Exception,
        Status::Todo,
        Status::Uncovered,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Implemented => "implemented",
            Status::Tested => "tested",
            Status::Both => "both",
            Status::Exception => "exception",
            Status::Todo => "todo",
            Status::Uncovered => "uncovered",
        }
    }

    /// The status a set of citations gives a sentence: implementation and
    /// test citations decide first; an exception or todo counts only when
    /// nothing implements or tests the sentence.
    pub fn of<'a>(citations: impl IntoIterator<Item = &'a Citation>) -> Status {
        let (mut imp, mut test, mut exc, mut todo) = (false, false, false, false);
        for c in citations {
            imp |= c.is_implementation();
            test |= c.is_test();
            exc |= matches!(c.kind, Kind::Exception(_));
            todo |= matches!(c.kind, Kind::Todo(_));
        }
        match (imp, test) {
            (true, true) => Status::Both,
            (true, false) => Status::Implemented,
            (false, true) => Status::Tested,
            _ if exc => Status::Exception,
            _ if todo => Status::Todo,
            _ => Status::Uncovered,
        }
    }
}

/// Counts of requirement sentences by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatusCounts {
    /// Requirement sentences counted.
    pub requirements: usize,
    /// Implemented, not tested.
    pub implemented: usize,
    /// Tested, not implemented.
    pub tested: usize,
    /// Implemented and tested.
    pub both: usize,
    /// Exceptions.
    pub exception: usize,
    /// Todos.
    pub todo: usize,
    /// Without any citation.
    pub uncovered: usize,
}

impl StatusCounts {
    fn add(&mut self, s: Status) {
        self.requirements += 1;
        match s {
            Status::Implemented => self.implemented += 1,
            Status::Tested => self.tested += 1,
            Status::Both => self.both += 1,
            Status::Exception => self.exception += 1,
            Status::Todo => self.todo += 1,
            Status::Uncovered => self.uncovered += 1,
        }
    }

    /// Share of requirements implemented (with or without tests), in percent.
    pub fn implemented_pct(&self) -> f64 {
        pct(self.implemented + self.both, self.requirements)
    }

    /// Share of requirements tested (with or without an implementation
    /// citation), in percent.
    pub fn tested_pct(&self) -> f64 {
        pct(self.tested + self.both, self.requirements)
    }

    /// Share accounted for (anything but uncovered), in percent.
    pub fn accounted_pct(&self) -> f64 {
        pct(self.requirements - self.uncovered, self.requirements)
    }
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / d as f64).round() / 10.0
    }
}

/// Counts overall and per keyword level (a sentence with several levels
/// counts once under each).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    /// Every requirement sentence once.
    pub total: StatusCounts,
    /// Per keyword level.
    pub by_keyword: BTreeMap<&'static str, StatusCounts>,
}

impl Counts {
    fn add(&mut self, keywords: &[Keyword], s: Status) {
        self.total.add(s);
        for k in keywords {
            self.by_keyword.entry(k.as_str()).or_default().add(s);
        }
    }
}

/// Where a citation is, for reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CitationRef {
    /// File, `/`-separated.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// `implementation`, `test`, `exception` or `todo` (as counted: an
    /// implementation citation in test code is a test).
    pub kind: &'static str,
    /// Reason of an exception or todo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The quoted fragment.
    pub fragment: String,
}

impl CitationRef {
    fn new(c: &Citation) -> Self {
        let kind = if c.is_test() { "test" } else { c.kind.name() };
        CitationRef {
            path: c.path_str(),
            line: c.line,
            kind,
            reason: c.kind.reason().map(str::to_string),
            fragment: c.fragment.clone(),
        }
    }
}

/// One requirement sentence.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Requirement {
    /// Index of the sentence in its section.
    pub sentence: usize,
    /// The sentence.
    pub text: String,
    /// Its keyword levels.
    pub keywords: Vec<&'static str>,
    /// Its status.
    pub status: Status,
    /// The citations that touch it.
    pub citations: Vec<CitationRef>,
}

/// One section.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SectionReport {
    /// Section number.
    pub number: String,
    /// Heading.
    pub title: String,
    /// Crates that claim it in the scope file.
    pub claimed_by: Vec<String>,
    /// Its requirement sentences.
    pub requirements: Vec<Requirement>,
    /// Citations of sentences without keywords (definitions, grammar).
    pub other_citations: Vec<CitationRef>,
    /// Counts for this section.
    pub counts: Counts,
}

/// One spec.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpecReport {
    /// `RFC 3261`.
    pub id: String,
    /// Slug for file names: `rfc3261`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Every requirement of the spec.
    pub counts: Counts,
    /// Requirements in sections some crate claims.
    pub in_scope: Counts,
    /// Citations of this spec.
    pub citations: usize,
    /// Sections with requirements or citations, in document order.
    pub sections: Vec<SectionReport>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// Citations found.
    pub citations: usize,
    /// Files scanned.
    pub files: usize,
    /// Specs cited or claimed, by id.
    pub specs: Vec<SpecReport>,
    /// Problems `check` would report.
    pub problems: Vec<Problem>,
}

/// Builds the report from resolved citations.
pub fn build(
    citations: &[Citation],
    resolved: &[Resolved],
    problems: Vec<Problem>,
    files: usize,
    scope: &Scope,
    library: &mut Library,
) -> Report {
    let mut ids: Vec<SpecId> = resolved.iter().map(|r| r.spec).collect();
    ids.extend(scope.specs());
    ids.sort();
    ids.dedup();
    // (spec, section, sentence) -> citation indices; (spec, section) -> all.
    let mut by_sentence: BTreeMap<(SpecId, usize, usize), Vec<usize>> = BTreeMap::new();
    let mut by_section: BTreeMap<(SpecId, usize), Vec<usize>> = BTreeMap::new();
    for r in resolved {
        by_section
            .entry((r.spec, r.section))
            .or_default()
            .push(r.citation);
        for &s in &r.sentences {
            by_sentence
                .entry((r.spec, r.section, s))
                .or_default()
                .push(r.citation);
        }
    }
    let mut specs = Vec::new();
    for id in ids {
        let Ok(spec) = library.get(id) else { continue };
        let mut rep = SpecReport {
            id: id.to_string(),
            slug: id.slug(),
            title: spec.title.clone(),
            counts: Counts::default(),
            in_scope: Counts::default(),
            citations: resolved.iter().filter(|r| r.spec == id).count(),
            sections: Vec::new(),
        };
        for (si, section) in spec.sections.iter().enumerate() {
            let claimed_by: Vec<String> = scope
                .claimants(id, &section.number)
                .into_iter()
                .map(str::to_string)
                .collect();
            let mut srep = SectionReport {
                number: section.number.clone(),
                title: section.title.clone(),
                claimed_by,
                requirements: Vec::new(),
                other_citations: Vec::new(),
                counts: Counts::default(),
            };
            let mut req_citations: Vec<usize> = Vec::new();
            for (i, sentence) in section.sentences.iter().enumerate() {
                if !sentence.is_requirement() {
                    continue;
                }
                let cits = by_sentence.get(&(id, si, i)).cloned().unwrap_or_default();
                req_citations.extend(&cits);
                let status = Status::of(cits.iter().map(|&c| &citations[c]));
                let keywords: Vec<&'static str> =
                    sentence.keywords.iter().map(|k| k.as_str()).collect();
                srep.counts.add(&sentence.keywords, status);
                rep.counts.add(&sentence.keywords, status);
                if !srep.claimed_by.is_empty() {
                    rep.in_scope.add(&sentence.keywords, status);
                }
                srep.requirements.push(Requirement {
                    sentence: i,
                    text: sentence.text.clone(),
                    keywords,
                    status,
                    citations: cits
                        .iter()
                        .map(|&c| CitationRef::new(&citations[c]))
                        .collect(),
                });
            }
            if let Some(all) = by_section.get(&(id, si)) {
                for &c in all {
                    if !req_citations.contains(&c) {
                        srep.other_citations.push(CitationRef::new(&citations[c]));
                    }
                }
            }
            if !srep.requirements.is_empty() || !srep.other_citations.is_empty() {
                rep.sections.push(srep);
            }
        }
        specs.push(rep);
    }
    Report {
        citations: citations.len(),
        files,
        specs,
        problems,
    }
}

impl Report {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report as Markdown: a summary table, then per spec the counts per
    /// keyword and every in-scope section's requirements with their status.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# RFC requirement coverage\n");
        let _ = writeln!(
            md,
            "{} citations in {} files. Status: **both** = implemented and tested, **implemented**, **tested**, **exception** (deliberately not implemented), **todo**, **uncovered**. In scope = sections a crate claims in `rfc-annotations.toml`.\n",
            self.citations, self.files
        );
        let _ = writeln!(
            md,
            "| Spec | Title | Requirements | In scope | In scope implemented | In scope tested | In scope accounted for | Citations |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
        for s in &self.specs {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {}% | {}% | {}% | {} |",
                s.id,
                s.title,
                s.counts.total.requirements,
                s.in_scope.total.requirements,
                s.in_scope.total.implemented_pct(),
                s.in_scope.total.tested_pct(),
                s.in_scope.total.accounted_pct(),
                s.citations
            );
        }
        if !self.problems.is_empty() {
            let _ = writeln!(md, "\n## Problems\n");
            for p in &self.problems {
                let _ = writeln!(md, "- `{p}`");
            }
        }
        for s in &self.specs {
            let _ = writeln!(md, "\n## {} — {}\n", s.id, s.title);
            let _ = writeln!(
                md,
                "| Keyword | Requirements | Both | Implemented | Tested | Exception | Todo | Uncovered | In scope | In scope uncovered |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for k in Keyword::ALL {
                let Some(c) = s.counts.by_keyword.get(k.as_str()) else {
                    continue;
                };
                let sc = s
                    .in_scope
                    .by_keyword
                    .get(k.as_str())
                    .copied()
                    .unwrap_or_default();
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    k,
                    c.requirements,
                    c.both,
                    c.implemented,
                    c.tested,
                    c.exception,
                    c.todo,
                    c.uncovered,
                    sc.requirements,
                    sc.uncovered
                );
            }
            for sec in &s.sections {
                let in_scope = !sec.claimed_by.is_empty();
                let cited = sec
                    .requirements
                    .iter()
                    .any(|r| r.status != Status::Uncovered)
                    || !sec.other_citations.is_empty();
                if !in_scope && !cited {
                    continue;
                }
                let _ = writeln!(
                    md,
                    "\n### §{} {}{}\n",
                    sec.number,
                    sec.title,
                    if in_scope {
                        format!(" (claimed by {})", sec.claimed_by.join(", "))
                    } else {
                        String::new()
                    }
                );
                for r in &sec.requirements {
                    let locs: Vec<String> = r
                        .citations
                        .iter()
                        .map(|c| format!("`{}:{}` ({})", c.path, c.line, c.kind))
                        .collect();
                    let _ = writeln!(
                        md,
                        "- **{}** [{}] {}{}",
                        r.status.as_str(),
                        r.keywords.join(", "),
                        r.text,
                        if locs.is_empty() {
                            String::new()
                        } else {
                            format!(" — {}", locs.join(", "))
                        }
                    );
                }
                for c in &sec.other_citations {
                    let _ = writeln!(
                        md,
                        "- cited text: \"{}\" — `{}:{}` ({})",
                        c.fragment, c.path, c.line, c.kind
                    );
                }
            }
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn cit(kind: Kind, in_test: bool) -> Citation {
        Citation {
            path: PathBuf::from("a.rs"),
            line: 1,
            end_line: 1,
            spec: SpecId::Rfc(1),
            section: "1".into(),
            kind,
            fragment: "a b c".into(),
            in_test_code: in_test,
        }
    }

    #[test]
    fn status_precedence() {
        let imp = cit(Kind::Implementation, false);
        let test = cit(Kind::Implementation, true);
        let marked = cit(Kind::Test, false);
        let exc = cit(Kind::Exception("why".into()), false);
        let todo = cit(Kind::Todo("issue 1".into()), false);
        assert_eq!(Status::of([&imp, &test]), Status::Both);
        assert_eq!(Status::of([&imp, &marked]), Status::Both);
        assert_eq!(Status::of([&imp]), Status::Implemented);
        assert_eq!(Status::of([&test]), Status::Tested);
        assert_eq!(Status::of([&exc, &todo]), Status::Exception);
        assert_eq!(Status::of([&exc, &imp]), Status::Implemented);
        assert_eq!(Status::of([&todo]), Status::Todo);
        assert_eq!(Status::of([]), Status::Uncovered);
    }

    #[test]
    fn percentages_round_to_one_decimal() {
        let c = StatusCounts {
            requirements: 3,
            implemented: 1,
            both: 1,
            tested: 0,
            exception: 0,
            todo: 0,
            uncovered: 1,
        };
        assert_eq!(c.implemented_pct(), 66.7);
        assert_eq!(c.tested_pct(), 33.3);
        assert_eq!(c.accounted_pct(), 66.7);
        assert_eq!(StatusCounts::default().implemented_pct(), 0.0);
    }
}
