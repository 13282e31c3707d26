//! Where spec texts come from, and a library that loads each spec once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::spec::{Spec, SpecId};

/// The folders searched for spec texts, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSource {
    dirs: Vec<PathBuf>,
}

/// Why a spec could not be loaded or fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// No folder holds the file.
    #[error(
        "{id}: no {file} in {searched} (run `rfc-annotations fetch {id_arg}` or pass --rfc-dir)"
    )]
    NotFound {
        /// The spec.
        id: SpecId,
        /// The file name looked for.
        file: String,
        /// The folders searched, comma separated.
        searched: String,
        /// The spec as the fetch command takes it.
        id_arg: String,
    },
    /// The file exists but could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Downloading failed.
    #[error("fetching {id}: {message}")]
    Fetch {
        /// The spec.
        id: SpecId,
        /// What went wrong.
        message: String,
    },
}

impl SpecSource {
    /// The folders to search: `explicit` (from `--rfc-dir`), else `RFC_DIR`,
    /// else `../shared/rfc` next to the workspace `root` when it exists; the
    /// per-user cache is always searched last.
    pub fn discover(explicit: Option<&Path>, root: &Path) -> Self {
        let mut dirs = Vec::new();
        if let Some(d) = explicit {
            dirs.push(d.to_path_buf());
        } else if let Some(d) = std::env::var_os("RFC_DIR").filter(|d| !d.is_empty()) {
            dirs.push(PathBuf::from(d));
        } else {
            let shared = root.join("..").join("shared").join("rfc");
            if shared.is_dir() {
                dirs.push(shared);
            }
        }
        if let Some(cache) = cache_dir() {
            if !dirs.contains(&cache) {
                dirs.push(cache);
            }
        }
        SpecSource { dirs }
    }

    /// A source that searches exactly these folders (for tests and tools).
    pub fn from_dirs(dirs: Vec<PathBuf>) -> Self {
        SpecSource { dirs }
    }

    /// The folders searched, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The path of a spec's text, if a folder holds it.
    pub fn locate(&self, id: SpecId) -> Option<PathBuf> {
        let name = id.file_name();
        self.dirs
            .iter()
            .map(|d| d.join(&name))
            .find(|p| p.is_file())
    }

    /// Reads and parses a spec.
    pub fn load(&self, id: SpecId) -> Result<(PathBuf, Spec), SourceError> {
        let Some(path) = self.locate(id) else {
            return Err(SourceError::NotFound {
                id,
                file: id.file_name(),
                searched: self
                    .dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                id_arg: id.slug(),
            });
        };
        let raw = std::fs::read(&path).map_err(|source| SourceError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok((path, parse_spec(id, &raw)))
    }
}

/// Parses spec text in the format its identifier implies.
pub fn parse_spec(id: SpecId, raw: &[u8]) -> Spec {
    match id {
        SpecId::Rfc(_) => crate::rfc_text::parse(id, raw),
        SpecId::Xep(_) => crate::xep::parse(id, raw),
    }
}

/// The per-user cache folder: `$XDG_CACHE_HOME/rfc-annotations`, else
/// `$HOME/.cache/rfc-annotations`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("rfc-annotations"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("rfc-annotations"))
}

/// The address a spec is downloaded from.
pub fn fetch_url(id: SpecId) -> String {
    match id {
        SpecId::Rfc(n) => format!("https://www.rfc-editor.org/rfc/rfc{n}.txt"),
        SpecId::Xep(n) => format!("https://xmpp.org/extensions/xep-{n:04}.xml"),
    }
}

/// Downloads a spec into `dir` with `curl` (which must be installed).
pub fn fetch(id: SpecId, dir: &Path) -> Result<PathBuf, SourceError> {
    std::fs::create_dir_all(dir).map_err(|source| SourceError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let dest = dir.join(id.file_name());
    let tmp = dir.join(format!("{}.part", id.file_name()));
    let url = fetch_url(id);
    let status = Command::new("curl")
        .args([
            "--fail",
            "--silent",
            "--show-error",
            "--location",
            "--max-time",
            "60",
            "-o",
        ])
        .arg(&tmp)
        .arg(&url)
        .status()
        .map_err(|e| SourceError::Fetch {
            id,
            message: format!("could not run curl: {e}"),
        })?;
    if !status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(SourceError::Fetch {
            id,
            message: format!("curl {url} failed ({status})"),
        });
    }
    std::fs::rename(&tmp, &dest).map_err(|source| SourceError::Io {
        path: dest.display().to_string(),
        source,
    })?;
    Ok(dest)
}

/// Loads each spec at most once.
#[derive(Debug)]
pub struct Library {
    source: SpecSource,
    loaded: HashMap<SpecId, Result<(PathBuf, Spec), String>>,
}

impl Library {
    /// A library over these folders.
    pub fn new(source: SpecSource) -> Self {
        Library {
            source,
            loaded: HashMap::new(),
        }
    }

    /// The folders searched.
    pub fn source(&self) -> &SpecSource {
        &self.source
    }

    /// The spec, loading it on first use; the error says why it is missing.
    pub fn get(&mut self, id: SpecId) -> Result<&Spec, &str> {
        let entry = self
            .loaded
            .entry(id)
            .or_insert_with(|| self.source.load(id).map_err(|e| e.to_string()));
        match entry {
            Ok((_, spec)) => Ok(spec),
            Err(e) => Err(e.as_str()),
        }
    }

    /// Where a loaded spec's text came from.
    pub fn path_of(&self, id: SpecId) -> Option<&Path> {
        match self.loaded.get(&id) {
            Some(Ok((p, _))) => Some(p),
            _ => None,
        }
    }
}
