#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod check;
pub mod citation;
pub mod html;
pub mod report;
pub mod rfc_text;
pub mod scan;
pub mod scope;
pub mod sentences;
pub mod source;
pub mod spec;
pub mod xep;

use std::path::{Path, PathBuf};

pub use check::{Problem, Resolved, Severity};
pub use citation::{Citation, Kind};
pub use report::{Report, Status};
pub use scope::Scope;
pub use source::{Library, SpecSource};
pub use spec::{Keyword, Section, Sentence, Spec, SpecId};

/// The name of the scope file at the workspace root.
pub const SCOPE_FILE: &str = "rfc-annotations.toml";

/// Everything one scan of a workspace produced.
#[derive(Debug)]
pub struct Analysis {
    /// The workspace root.
    pub root: PathBuf,
    /// The scope file's content.
    pub scope: Scope,
    /// Every well-formed citation.
    pub citations: Vec<Citation>,
    /// The citations that resolved.
    pub resolved: Vec<Resolved>,
    /// Syntax errors, resolution errors and warnings, by file and line.
    pub problems: Vec<Problem>,
    /// Number of Rust files scanned.
    pub files: usize,
    /// The specs loaded.
    pub library: Library,
}

/// Why an analysis could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The scope file is malformed.
    #[error(transparent)]
    Scope(#[from] scope::ScopeError),
    /// The workspace could not be read.
    #[error("scanning {path}: {source}")]
    Io {
        /// The folder.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Analysis {
    /// Scans the workspace at `root`, resolving citations against the specs
    /// found by `source`. Scope entries naming a missing spec or section are
    /// reported as problems of the scope file.
    ///
    /// ```no_run
    /// use rfc_annotations::{Analysis, SpecSource};
    /// let root = std::path::Path::new(".");
    /// let analysis = Analysis::run(root, SpecSource::discover(None, root)).unwrap();
    /// for p in &analysis.problems {
    ///     eprintln!("{p}");
    /// }
    /// ```
    pub fn run(root: &Path, source: SpecSource) -> Result<Analysis, AnalysisError> {
        let scope = Scope::load(&root.join(SCOPE_FILE))?;
        let scanned = scan::scan_workspace(root, &scope).map_err(|source| AnalysisError::Io {
            path: root.display().to_string(),
            source,
        })?;
        let mut library = Library::new(source);
        let (resolved, mut problems) = check::resolve(&scanned.citations, &mut library);
        problems.extend(scanned.errors.iter().map(Problem::from));
        for claim in &scope.claims {
            match library.get(claim.spec) {
                Ok(spec) => {
                    for s in &claim.sections {
                        if spec.section(s).is_none() {
                            problems.push(Problem {
                                path: SCOPE_FILE.into(),
                                line: 0,
                                severity: Severity::Error,
                                message: format!(
                                    "crate {} claims {} §{s}, which does not exist",
                                    claim.krate, claim.spec
                                ),
                            });
                        }
                    }
                }
                Err(e) => problems.push(Problem {
                    path: SCOPE_FILE.into(),
                    line: 0,
                    severity: Severity::Error,
                    message: format!("crate {} claims {}: {e}", claim.krate, claim.spec),
                }),
            }
        }
        problems.sort_by(|a, b| (&a.path, a.line, a.severity).cmp(&(&b.path, b.line, b.severity)));
        Ok(Analysis {
            root: root.to_path_buf(),
            scope,
            citations: scanned.citations,
            resolved,
            problems,
            files: scanned.files.len(),
            library,
        })
    }

    /// Number of errors (warnings excluded).
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// Builds the coverage report.
    pub fn report(&mut self) -> Report {
        report::build(
            &self.citations,
            &self.resolved,
            self.problems.clone(),
            self.files,
            &self.scope,
            &mut self.library,
        )
    }
}
