//! The HTML report: the spec text with requirement sentences highlighted by
//! status and linked to the code that cites them, and each annotated source
//! file with its citations linked back to the spec text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::check::Resolved;
use crate::citation::Citation;
use crate::report::{Report, Status};
use crate::source::Library;
use crate::spec::{Section, SpecId, is_ws};

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 78em; padding: 1em; color: #222; }
pre { font-family: ui-monospace, monospace; font-size: 13px; line-height: 1.35; margin: 0.6em 0; white-space: pre-wrap; }
h2 { border-top: 1px solid #ccc; padding-top: 0.6em; font-size: 1.05em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child, td.l { text-align: left; }
.req { border-bottom: 2px solid #d33; }
.st-both { background: #d7f5d7; border-bottom-color: #2a2; }
.st-implemented { background: #e4f1ff; border-bottom-color: #27d; }
.st-tested { background: #fff3cf; border-bottom-color: #d90; }
.st-exception { background: #eee; border-bottom-color: #888; }
.st-todo { background: #fde; border-bottom-color: #c4a; }
.st-uncovered { background: #fdd; }
.cited { background: #eef; }
sup a { font-size: 10px; margin-left: 2px; text-decoration: none; }
.claimed { font-size: 11px; color: #555; font-weight: normal; }
.src .ln { color: #999; user-select: none; display: inline-block; width: 4em; text-align: right; margin-right: 1em; }
.src .cite { background: #fff3cf; display: block; }
.legend span { padding: 0 6px; margin-right: 6px; }
"#;

/// Writes the HTML report into `out_dir` (created if needed).
pub fn write(
    out_dir: &Path,
    root: &Path,
    report: &Report,
    citations: &[Citation],
    resolved: &[Resolved],
    library: &mut Library,
) -> std::io::Result<()> {
    std::fs::create_dir_all(out_dir.join("src"))?;
    std::fs::write(out_dir.join("index.html"), index_page(report, citations))?;

    // (spec, section, sentence) -> citation indices.
    let mut by_sentence: BTreeMap<(SpecId, usize, usize), Vec<usize>> = BTreeMap::new();
    // citation -> (spec, section number, first sentence) for source pages.
    let mut target: BTreeMap<usize, (SpecId, String, Option<usize>)> = BTreeMap::new();
    for r in resolved {
        for &s in &r.sentences {
            by_sentence
                .entry((r.spec, r.section, s))
                .or_default()
                .push(r.citation);
        }
        if let Ok(spec) = library.get(r.spec) {
            if let Some(sec) = spec.sections.get(r.section) {
                target.insert(
                    r.citation,
                    (r.spec, sec.number.clone(), r.sentences.first().copied()),
                );
            }
        }
    }
    for spec_report in &report.specs {
        let Ok(id) = spec_report.id.parse::<SpecId>() else {
            continue;
        };
        let Ok(spec) = library.get(id) else { continue };
        let mut page = header(&format!("{} — {}", spec_report.id, spec_report.title));
        let _ = writeln!(
            page,
            "<p><a href=\"index.html\">index</a></p><h1>{} — {}</h1>",
            esc(&spec_report.id),
            esc(&spec_report.title)
        );
        page.push_str(LEGEND);
        for (si, section) in spec.sections.iter().enumerate() {
            let claimed: Vec<String> = report
                .specs
                .iter()
                .find(|s| s.id == spec_report.id)
                .and_then(|s| s.sections.iter().find(|x| x.number == section.number))
                .map(|s| s.claimed_by.clone())
                .unwrap_or_default();
            let _ = writeln!(
                page,
                "<h2 id=\"s-{n}\"><a href=\"#s-{n}\">§{n}</a> {t}{c}</h2>",
                n = esc(&section.number),
                t = esc(&section.title),
                c = if claimed.is_empty() {
                    String::new()
                } else {
                    format!(
                        " <span class=\"claimed\">claimed by {}</span>",
                        esc(&claimed.join(", "))
                    )
                }
            );
            render_section(&mut page, id, si, section, &by_sentence, citations);
        }
        page.push_str("</body></html>\n");
        std::fs::write(out_dir.join(format!("{}.html", spec_report.slug)), page)?;
    }

    // Source pages.
    let mut files: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in citations.iter().enumerate() {
        files.entry(c.path_str()).or_default().push(i);
    }
    for (path, idxs) in files {
        let text = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
        let mut marks: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &i in &idxs {
            for line in citations[i].line..=citations[i].end_line {
                marks.entry(line).or_default().push(i);
            }
        }
        let mut page = header(&path);
        let _ = writeln!(
            page,
            "<p><a href=\"../index.html\">index</a></p><h1>{}</h1><pre class=\"src\">",
            esc(&path)
        );
        for (n, line) in text.lines().enumerate() {
            let no = n + 1;
            let link = marks
                .get(&no)
                .and_then(|v| v.first())
                .map(|&ci| match target.get(&ci) {
                    Some((spec, sec, Some(sent))) => {
                        format!("../{}.html#r-{}-{}", spec.slug(), sec, sent)
                    }
                    Some((spec, sec, None)) => format!("../{}.html#s-{}", spec.slug(), sec),
                    None => String::new(),
                });
            match link {
                Some(href) if !href.is_empty() => {
                    let _ = writeln!(
                        page,
                        "<span class=\"cite\" id=\"L{no}\"><span class=\"ln\">{no}</span><a href=\"{}\">{}</a></span>",
                        esc(&href),
                        esc(line)
                    );
                }
                Some(_) => {
                    let _ = writeln!(
                        page,
                        "<span class=\"cite\" id=\"L{no}\" title=\"does not resolve\"><span class=\"ln\">{no}</span>{}</span>",
                        esc(line)
                    );
                }
                None => {
                    let _ = writeln!(
                        page,
                        "<span id=\"L{no}\"><span class=\"ln\">{no}</span>{}</span>",
                        esc(line)
                    );
                }
            }
        }
        page.push_str("</pre></body></html>\n");
        std::fs::write(out_dir.join("src").join(source_page_name(&path)), page)?;
    }
    Ok(())
}

const LEGEND: &str = "<p class=\"legend\"><span class=\"st-both\">implemented and tested</span><span class=\"st-implemented\">implemented</span><span class=\"st-tested\">tested</span><span class=\"st-exception\">exception</span><span class=\"st-todo\">todo</span><span class=\"st-uncovered req\">uncovered requirement</span><span class=\"cited\">cited text</span></p>\n";

fn source_page_name(path: &str) -> String {
    format!("{}.html", path.replace('/', "__"))
}

fn header(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body>\n",
        esc(title),
        STYLE
    )
}

fn index_page(report: &Report, citations: &[Citation]) -> String {
    let mut page = header("RFC requirement coverage");
    let _ = writeln!(
        page,
        "<h1>RFC requirement coverage</h1><p>{} citations in {} files; {} problems.</p>",
        report.citations,
        report.files,
        report.problems.len()
    );
    page.push_str("<table><tr><th>Spec</th><th>Title</th><th>Requirements</th><th>In scope</th><th>In scope implemented</th><th>In scope tested</th><th>In scope accounted for</th><th>Citations</th></tr>\n");
    for s in &report.specs {
        let _ = writeln!(
            page,
            "<tr><td><a href=\"{}.html\">{}</a></td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}%</td><td>{}%</td><td>{}%</td><td>{}</td></tr>",
            s.slug,
            esc(&s.id),
            esc(&s.title),
            s.counts.total.requirements,
            s.in_scope.total.requirements,
            s.in_scope.total.implemented_pct(),
            s.in_scope.total.tested_pct(),
            s.in_scope.total.accounted_pct(),
            s.citations
        );
    }
    page.push_str("</table>\n");
    if !report.problems.is_empty() {
        page.push_str("<h2>Problems</h2><ul>\n");
        for p in &report.problems {
            let _ = writeln!(page, "<li><code>{}</code></li>", esc(&p.to_string()));
        }
        page.push_str("</ul>\n");
    }
    let mut files: BTreeMap<String, usize> = BTreeMap::new();
    for c in citations {
        *files.entry(c.path_str()).or_default() += 1;
    }
    page.push_str("<h2>Annotated sources</h2><ul>\n");
    for (f, n) in files {
        let _ = writeln!(
            page,
            "<li><a href=\"src/{}\">{}</a> ({n})</li>",
            esc(&source_page_name(&f)),
            esc(&f)
        );
    }
    page.push_str("</ul></body></html>\n");
    page
}

fn render_section(
    page: &mut String,
    id: SpecId,
    si: usize,
    section: &Section,
    by_sentence: &BTreeMap<(SpecId, usize, usize), Vec<usize>>,
    citations: &[Citation],
) {
    // Sentences of each paragraph, in order, as (index, non-space chars).
    let mut per_para: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in section.sentences.iter().enumerate() {
        per_para.entry(s.paragraph).or_default().push(i);
    }
    for (pi, para) in section.paragraphs.iter().enumerate() {
        let sentence_ids = per_para.get(&pi).cloned().unwrap_or_default();
        let mut streams: Vec<(usize, Vec<char>)> = sentence_ids
            .iter()
            .map(|&i| {
                (
                    i,
                    section.sentences[i]
                        .text
                        .chars()
                        .filter(|c| !is_ws(*c))
                        .collect(),
                )
            })
            .collect();
        streams.reverse();
        let mut cur: Option<(usize, Vec<char>, usize)> = None;
        let mut open: Option<usize> = None;
        page.push_str("<pre>");
        let raw = para.lines.join("\n");
        for ch in raw.chars() {
            if !is_ws(ch) {
                // Advance to the sentence owning this character.
                loop {
                    match &mut cur {
                        Some((_, chars, pos)) if *pos < chars.len() => break,
                        _ => match streams.pop() {
                            Some((i, chars)) => cur = Some((i, chars, 0)),
                            None => {
                                cur = None;
                                break;
                            }
                        },
                    }
                }
                let owner = cur.as_ref().map(|(i, _, _)| *i);
                if owner != open {
                    if let Some(prev) = open.take() {
                        close_sentence(page, id, si, section, prev, by_sentence, citations);
                    }
                    if let Some(i) = owner {
                        open_sentence(page, id, si, section, i, by_sentence, citations);
                        open = Some(i);
                    }
                }
                if let Some((_, _, pos)) = &mut cur {
                    *pos += 1;
                }
            }
            push_esc(page, ch);
        }
        if let Some(prev) = open.take() {
            close_sentence(page, id, si, section, prev, by_sentence, citations);
        }
        page.push_str("</pre>\n");
    }
}

fn sentence_class(
    id: SpecId,
    si: usize,
    section: &Section,
    i: usize,
    by_sentence: &BTreeMap<(SpecId, usize, usize), Vec<usize>>,
    citations: &[Citation],
) -> Option<String> {
    let cits = by_sentence.get(&(id, si, i));
    if section.sentences[i].is_requirement() {
        let st = Status::of(cits.into_iter().flatten().map(|&c| &citations[c]));
        Some(format!("req st-{}", st.as_str()))
    } else if cits.is_some() {
        Some("cited".to_string())
    } else {
        None
    }
}

fn open_sentence(
    page: &mut String,
    id: SpecId,
    si: usize,
    section: &Section,
    i: usize,
    by_sentence: &BTreeMap<(SpecId, usize, usize), Vec<usize>>,
    citations: &[Citation],
) {
    match sentence_class(id, si, section, i, by_sentence, citations) {
        Some(class) => {
            let _ = write!(
                page,
                "<span class=\"{class}\" id=\"r-{}-{i}\">",
                esc(&section.number)
            );
        }
        None => page.push_str("<span>"),
    }
}

fn close_sentence(
    page: &mut String,
    id: SpecId,
    si: usize,
    section: &Section,
    i: usize,
    by_sentence: &BTreeMap<(SpecId, usize, usize), Vec<usize>>,
    citations: &[Citation],
) {
    page.push_str("</span>");
    let _ = section;
    if let Some(cits) = by_sentence.get(&(id, si, i)) {
        page.push_str("<sup>");
        for &c in cits {
            let cit = &citations[c];
            let p = cit.path_str();
            let kind = if cit.is_test() {
                "test"
            } else {
                cit.kind.name()
            };
            let _ = write!(
                page,
                "<a href=\"src/{}#L{}\" title=\"{}:{} ({})\">[{}]</a>",
                esc(&source_page_name(&p)),
                cit.line,
                esc(&p),
                cit.line,
                kind,
                &kind[..1]
            );
        }
        page.push_str("</sup>");
    }
}

fn push_esc(out: &mut String, ch: char) {
    match ch {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        c => out.push(c),
    }
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_esc(&mut out, c);
    }
    out
}
