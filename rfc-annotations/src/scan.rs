//! Walking a workspace for Rust sources and their citations.

use std::path::{Path, PathBuf};

use crate::citation::{self, Citation, SyntaxError, path_string};
use crate::scope::Scope;

/// Folders never scanned: build output, VCS data, fuzzing state.
const SKIP_DIRS: &[&str] = &["target", ".git", "node_modules", "corpus", "artifacts"];

/// What a scan found.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Every well-formed citation, by file then line.
    pub citations: Vec<Citation>,
    /// Malformed citations.
    pub errors: Vec<SyntaxError>,
    /// Rust files read (relative paths).
    pub files: Vec<PathBuf>,
}

/// Scans every `.rs` file below `root` that the scope does not exclude.
pub fn scan_workspace(root: &Path, scope: &Scope) -> std::io::Result<ScanResult> {
    let mut files = Vec::new();
    walk(root, root, scope, &mut files)?;
    files.sort();
    let mut out = ScanResult::default();
    for rel in files {
        let text = std::fs::read(root.join(&rel))?;
        let text = String::from_utf8_lossy(&text);
        let in_tests = rel.components().any(|c| c.as_os_str() == "tests");
        let (c, e) = citation::scan(&rel, &text, in_tests);
        out.citations.extend(c);
        out.errors.extend(e);
        out.files.push(rel);
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, scope: &Scope, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if scope.is_excluded(&path_string(&rel)) {
            continue;
        }
        let ft = entry.file_type()?;
        if ft.is_dir() {
            if name_str.starts_with('.')
                || SKIP_DIRS.contains(&name_str.as_ref())
                || name_str.starts_with("target-")
            {
                continue;
            }
            walk(root, &path, scope, out)?;
        } else if ft.is_file() && name_str.ends_with(".rs") {
            out.push(rel);
        }
    }
    Ok(())
}

/// Finds the workspace root: the nearest ancestor of `start` whose
/// `Cargo.toml` has a `[workspace]` table, else `start` itself.
pub fn find_root(start: &Path) -> PathBuf {
    let mut cur = Some(start);
    while let Some(d) = cur {
        if let Ok(t) = std::fs::read_to_string(d.join("Cargo.toml")) {
            if t.lines().any(|l| l.trim() == "[workspace]") {
                return d.to_path_buf();
            }
        }
        cur = d.parent();
    }
    start.to_path_buf()
}
