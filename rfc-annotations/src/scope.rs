//! The scope file, `rfc-annotations.toml`: which spec sections each crate
//! claims, and which paths are not scanned.

use std::path::Path;

use crate::spec::{SpecId, normalize_section_number, number_is_within};

/// The parsed scope file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Path prefixes (relative to the root, `/`-separated) not scanned.
    pub exclude: Vec<String>,
    /// The claims, in file order.
    pub claims: Vec<Claim>,
}

/// One crate's claim on sections of one spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The crate (its folder name in the workspace).
    pub krate: String,
    /// The spec.
    pub spec: SpecId,
    /// Section numbers; each claims its subsections too.
    pub sections: Vec<String>,
}

/// A malformed scope file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScopeError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    claim: Vec<RawClaim>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    #[serde(rename = "crate")]
    krate: String,
    spec: String,
    sections: Vec<String>,
}

impl Scope {
    /// Reads the scope file; a missing file is an empty scope.
    pub fn load(path: &Path) -> Result<Scope, ScopeError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Scope::default()),
            Err(e) => {
                return Err(ScopeError {
                    path: path.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        Scope::parse(&text).map_err(|message| ScopeError {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses scope-file text.
    pub fn parse(text: &str) -> Result<Scope, String> {
        let raw: RawScope = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut claims = Vec::new();
        for c in raw.claim {
            let spec: SpecId = c
                .spec
                .parse()
                .map_err(|e| format!("claim for {}: {e}", c.krate))?;
            claims.push(Claim {
                krate: c.krate,
                spec,
                sections: c
                    .sections
                    .iter()
                    .map(|s| normalize_section_number(s))
                    .collect(),
            });
        }
        Ok(Scope {
            exclude: raw
                .exclude
                .into_iter()
                .map(|e| e.trim_end_matches('/').to_string())
                .collect(),
            claims,
        })
    }

    /// The crates claiming a section (directly or through an ancestor).
    pub fn claimants(&self, spec: SpecId, section: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .claims
            .iter()
            .filter(|c| c.spec == spec && c.sections.iter().any(|s| number_is_within(section, s)))
            .map(|c| c.krate.as_str())
            .collect();
        out.dedup();
        out
    }

    /// Whether a path (relative, `/`-separated) is excluded.
    pub fn is_excluded(&self, rel: &str) -> bool {
        self.exclude.iter().any(|e| {
            rel == e || (rel.starts_with(e.as_str()) && rel.as_bytes().get(e.len()) == Some(&b'/'))
        })
    }

    /// Every spec named by a claim.
    pub fn specs(&self) -> Vec<SpecId> {
        let mut v: Vec<SpecId> = self.claims.iter().map(|c| c.spec).collect();
        v.sort();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_claims_and_excludes() {
        let s = Scope::parse(
            r#"
exclude = ["rfc-annotations/tests/fixtures/"]
[[claim]]
crate = "rtclite-sip"
spec = "RFC 3261"
sections = ["§7", "17.1"]
"#,
        )
        .unwrap();
        assert_eq!(s.claims[0].spec, SpecId::Rfc(3261));
        assert_eq!(s.claims[0].sections, vec!["7", "17.1"]);
        assert_eq!(
            s.claimants(SpecId::Rfc(3261), "17.1.1.2"),
            vec!["rtclite-sip"]
        );
        assert!(s.claimants(SpecId::Rfc(3261), "17.2").is_empty());
        assert!(s.is_excluded("rfc-annotations/tests/fixtures/a.rs"));
        assert!(!s.is_excluded("rfc-annotations/tests/fixturesX/a.rs"));
        assert!(Scope::parse("[[claim]]\ncrate='x'\nspec='nope'\nsections=[]").is_err());
        assert!(Scope::parse("unknown = 1").is_err());
    }
}
