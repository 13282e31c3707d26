//! The tool against small spec and workspace fixtures written for these
//! tests (tests/fixtures): the spec reader, the check, and the reports.
// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rfc_annotations::report::Status;
use rfc_annotations::source::parse_spec;
use rfc_annotations::{Analysis, Keyword, Severity, SpecId, SpecSource};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

fn rfc9999() -> rfc_annotations::Spec {
    let raw = std::fs::read(fixtures().join("specs/rfc9999.txt")).unwrap();
    parse_spec(SpecId::Rfc(9999), &raw)
}

fn analysis() -> Analysis {
    let source = SpecSource::from_dirs(vec![fixtures().join("specs")]);
    Analysis::run(&fixtures().join("ws"), source).unwrap()
}

#[test]
fn paginated_rfc_sections_title_and_page_furniture() {
    let spec = rfc9999();
    assert_eq!(spec.title, "The Widget Exchange Protocol");
    let numbers: Vec<&str> = spec.sections.iter().map(|s| s.number.as_str()).collect();
    // "3 apples ..." at column zero is not a heading: 3 cannot follow 2.1
    // when appendix A comes later in the chain.
    assert_eq!(numbers, ["1", "2", "2.1", "A", "A.1"]);
    assert_eq!(spec.section("Appendix A.1").unwrap().title, "First Vector");
    let all: String = spec.sections.iter().map(|s| s.text()).collect();
    assert!(!all.contains("[Page"), "footer left in: {all}");
    assert!(!all.contains("April 2026"), "header left in");
    assert!(!all.contains("Example Corp"), "back matter left in");
}

#[test]
fn sentences_join_across_page_breaks() {
    let spec = rfc9999();
    let s = spec.section("2.1").unwrap();
    let joined = s
        .sentences
        .iter()
        .find(|x| x.text.contains("duplicate widget-id"))
        .unwrap();
    assert!(
        joined
            .text
            .ends_with("resends the same widget after a timeout."),
        "{}",
        joined.text
    );
    assert!(
        s.find("same widget after a timeout. This sentence continues")
            .is_some()
    );
}

#[test]
fn requirement_sentences_and_keyword_levels() {
    let spec = rfc9999();
    // The BCP 14 conventions paragraph names keywords but states nothing;
    // "must" in lower case is not a keyword (RFC 8174).
    let intro: Vec<_> = spec
        .section("1")
        .unwrap()
        .sentences
        .iter()
        .filter(|s| s.is_requirement())
        .collect();
    assert_eq!(intro.len(), 1);
    assert_eq!(intro[0].keywords, vec![Keyword::MustNot]);
    assert!(
        intro[0]
            .text
            .starts_with("A sender MUST NOT send a widget larger than 42 octets, e.g. a gadget.")
    );

    let reqs: Vec<Vec<Keyword>> = spec
        .section("2.1")
        .unwrap()
        .sentences
        .iter()
        .filter(|s| s.is_requirement())
        .map(|s| s.keywords.clone())
        .collect();
    use Keyword::*;
    assert_eq!(
        reqs,
        vec![
            vec![Must, Should],
            vec![ShouldNot],
            vec![May],
            vec![Must, Should]
        ]
    );
    // Figures are kept for display but never counted.
    assert!(
        spec.section("2.1")
            .unwrap()
            .paragraphs
            .iter()
            .any(|p| p.preformatted)
    );
}

#[test]
fn xep_sections_entities_and_skipped_parts() {
    let raw = std::fs::read(fixtures().join("specs/xep-9999.xml")).unwrap();
    let spec = parse_spec(SpecId::Xep(9999), &raw);
    assert_eq!(spec.title, "Widget Pings");
    let numbers: Vec<&str> = spec.sections.iter().map(|s| s.number.as_str()).collect();
    assert_eq!(numbers, ["1", "2", "2.1", "2.2"]);
    assert_eq!(
        spec.section("1").unwrap().text(),
        "Widget pings travel over RFC 6120 streams and use XEP-0030."
    );
    let sending = spec.section("2.1").unwrap();
    let reqs: Vec<_> = sending
        .sentences
        .iter()
        .filter(|s| s.is_requirement())
        .collect();
    assert_eq!(reqs.len(), 1, "the footnote and the example do not count");
    let answering = spec.section("2.2").unwrap();
    assert_eq!(
        answering
            .sentences
            .iter()
            .filter(|s| s.is_requirement())
            .count(),
        2
    );
}

#[test]
fn check_reports_each_broken_citation_where_it_is() {
    let a = analysis();
    let errors: Vec<String> = a
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(
        errors[0].starts_with("src/lib.rs:16: RFC 9999 has no section 2.3 (it has 2.1)"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1]
            .starts_with("src/lib.rs:19: fragment not found in RFC 9999 §2.1 (Sending Widgets)")
            && errors[1].contains("the first 5 word(s) match, the text differs at \"gadget-id\""),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].starts_with("src/lib.rs:22: fragment not found in RFC 9999 §2 (Protocol)")
            && errors[2].ends_with("it is in §2.1"),
        "{}",
        errors[2]
    );
    assert!(
        errors[3].starts_with("src/lib.rs:25: RFC 8888: no rfc8888.txt in"),
        "{}",
        errors[3]
    );
    assert_eq!(a.errors(), 4);
    // Every good citation resolved, wherever it is.
    assert_eq!(a.citations.len(), 13);
    assert_eq!(a.resolved.len(), 9);
    assert!(
        a.problems.iter().all(|p| p.severity == Severity::Error),
        "{:?}",
        a.problems
    );
}

#[test]
fn report_counts_status_per_keyword_and_scope() {
    let mut a = analysis();
    let r = a.report();
    let rfc = r.specs.iter().find(|s| s.id == "RFC 9999").unwrap();
    // §1: 1 requirement (todo); §2.1: 4; §A: 1.
    assert_eq!(rfc.counts.total.requirements, 6);
    let s21 = rfc.sections.iter().find(|s| s.number == "2.1").unwrap();
    let statuses: Vec<Status> = s21.requirements.iter().map(|r| r.status).collect();
    // MUST add a widget-id: implemented + test module => both;
    // SHOULD send once => tested (tests/); NOT RECOMMENDED => uncovered;
    // MAY pause => exception; duplicate MUST/SHOULD => implemented.
    assert_eq!(
        statuses,
        vec![
            Status::Both,
            Status::Uncovered,
            Status::Exception,
            Status::Implemented
        ]
    );
    let first = &s21.requirements[0];
    assert_eq!(first.citations.len(), 3, "{:?}", first.citations);
    let must = rfc.counts.by_keyword["MUST"];
    assert_eq!((must.requirements, must.both, must.implemented), (2, 1, 1));
    let should = rfc.counts.by_keyword["SHOULD"];
    assert_eq!(
        (should.requirements, should.both, should.implemented),
        (2, 1, 1)
    );
    assert_eq!(rfc.counts.by_keyword["MUST NOT"].todo, 1);
    // Only §2 and below are claimed: 4 requirements in scope.
    assert_eq!(rfc.in_scope.total.requirements, 4);
    assert_eq!(rfc.in_scope.total.uncovered, 1);
    assert_eq!(s21.claimed_by, vec!["src"]);
    // A cited sentence without a keyword is listed as other text.
    assert!(
        s21.other_citations
            .iter()
            .any(|c| c.fragment.contains("continues across"))
    );
    let xep = r.specs.iter().find(|s| s.id == "XEP-9999").unwrap();
    assert_eq!(xep.in_scope.total.requirements, 2);
    assert_eq!(xep.in_scope.total.implemented, 1);

    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let spec = json["specs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "RFC 9999")
        .unwrap();
    assert_eq!(spec["counts"]["by_keyword"]["MUST"]["requirements"], 2);
    assert_eq!(spec["counts"]["total"]["exception"], 1);
    let md = r.to_markdown();
    assert!(
        md.contains("| RFC 9999 | The Widget Exchange Protocol | 6 | 4 |"),
        "{md}"
    );
    assert!(md.contains("- **exception** [MAY] A sender MAY pause between widgets."));
}

fn tool() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rfc-annotations"));
    c.arg("--root")
        .arg(fixtures().join("ws"))
        .arg("--rfc-dir")
        .arg(fixtures().join("specs"));
    c
}

#[test]
fn binary_check_exits_1_with_path_line_messages() {
    let out = tool().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for l in &lines {
        let mut parts = l.splitn(3, ':');
        assert_eq!(parts.next(), Some("src/lib.rs"));
        assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{l}");
    }
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("13 citations in 2 files against 3 specs: 4 errors"),
        "{stderr}"
    );
}

#[test]
fn binary_reports_in_every_format() {
    let dir = std::env::temp_dir().join(format!("rfc-annotations-test-{}", std::process::id()));
    for format in ["json", "md", "html"] {
        let out = tool()
            .args(["report", "--format", format, "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("coverage.json")).unwrap()).unwrap();
    assert_eq!(json["citations"], 13);
    let page = std::fs::read_to_string(dir.join("rfc9999.html")).unwrap();
    // The sentence is highlighted with its status and linked to the code.
    assert!(
        page.contains("<span class=\"req st-both\" id=\"r-2.1-0\">A sender MUST add a widget-id"),
        "{page}"
    );
    assert!(page.contains("href=\"src/src__lib.rs.html#L3\""));
    let src = std::fs::read_to_string(dir.join("src/src__lib.rs.html")).unwrap();
    assert!(
        src.contains("<a href=\"../rfc9999.html#r-2.1-0\">"),
        "{src}"
    );
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains("<a href=\"rfc9999.html\">RFC 9999</a>"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn show_prints_text_and_requirements() {
    let out = tool().args(["show", "RFC9999", "2.1"]).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.starts_with("RFC 9999 §2.1 Sending Widgets"));
    assert!(s.contains("-- 4 requirement sentence(s):"));
    assert!(s.contains("[SHOULD NOT] It is NOT RECOMMENDED to send two widgets at once."));
    let out = tool().args(["show", "RFC9999", "7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: RFC 9999 has no section 7"));
}
