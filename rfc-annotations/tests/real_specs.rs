//! The spec reader over the real RFC and XEP texts in `../shared/rfc` (or
//! `RFC_DIR`). When the folder is missing these tests say so and pass, except
//! under CI (`CI=true`), where a missing folder is a failure.
// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rfc_annotations::source::parse_spec;
use rfc_annotations::{Keyword, Spec, SpecId};

fn rfc_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RFC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/rfc"));
    if dir.join("rfc3261.txt").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but the RFC texts are missing from {}",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPING real-spec tests: no RFC texts in {} (set RFC_DIR)",
        dir.display()
    );
    None
}

fn load(dir: &std::path::Path, id: SpecId) -> Spec {
    let raw = std::fs::read(dir.join(id.file_name())).unwrap();
    parse_spec(id, &raw)
}

#[test]
fn rfc3261_section_tree() {
    let Some(dir) = rfc_dir() else { return };
    let spec = load(&dir, SpecId::Rfc(3261));
    assert_eq!(spec.title, "SIP: Session Initiation Protocol");
    let top: Vec<&str> = spec
        .sections
        .iter()
        .filter(|s| !s.number.contains('.'))
        .map(|s| s.number.as_str())
        .collect();
    let mut want: Vec<String> = (1..=30).map(|n| n.to_string()).collect();
    want.push("A".into());
    assert_eq!(top, want);
    for (n, title) in [
        ("8.1.1.7", "Via"),
        ("17.1.1.2", "Formal Description"),
        ("17.2.3", "Matching Requests to Server Transactions"),
        ("20.42", "Via"),
        ("25.1", "Basic Rules"),
    ] {
        assert_eq!(
            spec.section(n).map(|s| s.title.as_str()),
            Some(title),
            "§{n}"
        );
    }
    let mut numbers: Vec<&str> = spec.sections.iter().map(|s| s.number.as_str()).collect();
    let count = numbers.len();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), count, "section numbers are unique");
    assert!(count > 250, "{count} sections");
}

#[test]
fn rfc3261_17_1_1_2_requirement_sentences() {
    let Some(dir) = rfc_dir() else { return };
    let spec = load(&dir, SpecId::Rfc(3261));
    let s = spec.section("17.1.1.2").unwrap();
    let reqs: Vec<_> = s.sentences.iter().filter(|x| x.is_requirement()).collect();
    assert_eq!(reqs.len(), 25);
    assert_eq!(
        reqs[2].text,
        "If an unreliable transport is being used, the client transaction MUST start timer A with a value of T1."
    );
    use Keyword::*;
    assert_eq!(reqs[3].keywords, vec![ShouldNot]);
    assert_eq!(reqs[9].keywords, vec![May, ShouldNot], "{}", reqs[9].text);
    assert_eq!(reqs[21].keywords, vec![Must, MustNot], "{}", reqs[21].text);
    // The paragraph that crosses a page break is one paragraph.
    assert!(s.find("The default value for T1 is 500 ms.").is_some());
}

#[test]
fn v3_format_rfc8489_with_bom() {
    let Some(dir) = rfc_dir() else { return };
    let spec = load(&dir, SpecId::Rfc(8489));
    assert_eq!(spec.title, "Session Traversal Utilities for NAT (STUN)");
    assert_eq!(spec.section("14.7").unwrap().title, "FINGERPRINT");
    assert!(
        spec.section("14.7")
            .unwrap()
            .find("The value of the attribute is computed as the CRC-32 of the STUN message")
            .is_some()
    );
}

#[test]
fn xep0166_sections() {
    let Some(dir) = rfc_dir() else { return };
    let spec = load(&dir, SpecId::Xep(166));
    assert_eq!(spec.title, "Jingle");
    assert_eq!(spec.section("6").unwrap().title, "Session Flow");
    assert_eq!(spec.section("6.2").unwrap().title, "Initiation");
    assert!(
        spec.section("6.3.1")
            .unwrap()
            .find("the responder MUST acknowledge receipt of the initiation request")
            .is_some()
    );
}

#[test]
fn every_spec_in_the_folder_parses_into_a_numbered_tree() {
    let Some(dir) = rfc_dir() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Ok(id) = name.parse::<SpecId>() else {
            continue;
        };
        let spec = parse_spec(id, &std::fs::read(&path).unwrap());
        assert!(!spec.title.is_empty(), "{name}: no title");
        assert!(
            spec.sections.len() >= 5,
            "{name}: {} sections",
            spec.sections.len()
        );
        assert_eq!(spec.sections[0].number, "1", "{name}");
        let reqs: usize = spec
            .sections
            .iter()
            .map(|s| s.sentences.iter().filter(|x| x.is_requirement()).count())
            .sum();
        // Documents whose text uses the keywords (beyond the conventions
        // paragraph) must yield requirement sentences; torture tests,
        // examples and grammars do not use them at all.
        let raw = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_string();
        let raw_keywords = raw
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| {
                [
                    "MUST",
                    "SHOULD",
                    "MAY",
                    "REQUIRED",
                    "SHALL",
                    "RECOMMENDED",
                    "OPTIONAL",
                ]
                .contains(w)
            })
            .count();
        if raw_keywords > 12 {
            assert!(
                reqs > 0,
                "{name}: no requirement sentences ({raw_keywords} keywords in the text)"
            );
        }
        seen += 1;
    }
    assert!(seen >= 70, "only {seen} specs");
}
