//! Reading RFC plain text (the RFC Editor's paginated format and the v3 text
//! format) into a [`Spec`].
//!
//! Page footers (`[Page N]`), page headers (`RFC NNNN  title  date`) and form
//! feeds are removed and the text on both sides of a page break is joined.
//! Section headings are lines at column 0 that start with a section number
//! (`17.1.1.2 Formal Description`, `8.  SSRC ...`, `A.1 RTP ...`,
//! `Appendix A - Algorithms`); because body lines can look like headings,
//! the headings kept are the longest chain of candidates in which each number
//! is a valid successor of the previous one (first child, next sibling, next
//! sibling of an ancestor, or the first appendix).

use crate::spec::{Paragraph, Section, Spec, SpecId};

/// Unnumbered headings that end the last numbered section.
const BACK_MATTER: &[&str] = &[
    "Authors' Addresses",
    "Author's Address",
    "Authors' Address",
    "Authors Addresses",
    "Editors' Addresses",
    "Editor's Address",
    "Full Copyright Statement",
    "Intellectual Property",
    "Intellectual Property Statement",
    "Acknowledgement",
    "Acknowledgements",
    "Acknowledgments",
    "Index",
];

/// One line of the cleaned text with its 1-based line number in the file.
#[derive(Debug, Clone)]
struct Line {
    no: usize,
    text: String,
    /// The first line after a page break.
    after_break: bool,
}

/// Parses the text of an RFC.
pub fn parse(id: SpecId, raw: &[u8]) -> Spec {
    let text = String::from_utf8_lossy(raw);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let lines = remove_page_breaks(text);
    let title = find_title(&lines);

    // A heading stands alone: the line before it is blank, or it starts a
    // page.
    let candidates: Vec<(usize, Vec<Comp>, String)> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.after_break || lines[*i - 1].text.trim().is_empty())
        .filter_map(|(i, l)| heading(&l.text).map(|(n, t)| (i, n, t)))
        .collect();
    let chain = longest_chain(&candidates);

    let mut sections = Vec::new();
    for (ci, &cand) in chain.iter().enumerate() {
        let (start, ref comps, ref title) = candidates[cand];
        let end = chain
            .get(ci + 1)
            .map(|&next| candidates[next].0)
            .unwrap_or(lines.len());
        let body = cut_back_matter(&lines[start + 1..end]);
        let (title, run_in) = split_run_in(title);
        let mut body_lines: Vec<Line> = Vec::with_capacity(body.len() + 1);
        if let Some(first) = run_in {
            body_lines.push(Line {
                no: lines[start].no,
                text: format!("   {first}"),
                after_break: false,
            });
        }
        body_lines.extend_from_slice(body);
        sections.push(Section::new(
            number_string(comps),
            title.to_string(),
            lines[start].no,
            paragraphs(&body_lines),
        ));
    }
    Spec {
        id,
        title,
        sections,
    }
}

fn remove_page_breaks(text: &str) -> Vec<Line> {
    let raw: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<Line> = Vec::with_capacity(raw.len());
    let mut after_break = false;
    let mut i = 0;
    while i < raw.len() {
        let line = raw[i].trim_end_matches('\r');
        if !line.contains('\u{c}') {
            out.push(Line {
                no: i + 1,
                text: line.to_string(),
                after_break: std::mem::take(&mut after_break),
            });
            i += 1;
            continue;
        }
        // A page break. Drop the footer (the last non-blank line before it,
        // when it ends in "[Page N]") and the blank lines above it.
        while out.last().is_some_and(|l| l.text.trim().is_empty()) {
            out.pop();
        }
        if out.last().is_some_and(|l| is_footer(&l.text)) {
            out.pop();
        }
        while out.last().is_some_and(|l| l.text.trim().is_empty()) {
            out.pop();
        }
        let before_ends_paragraph = out
            .last()
            .map(|l| l.text.trim_end().ends_with(['.', ':', '?', '!']))
            .unwrap_or(true);
        // The header is on the form-feed line itself or on the next
        // non-blank line.
        let after_ff = line.replace('\u{c}', "");
        let mut pushed_content = false;
        i += 1;
        if after_ff.trim().is_empty() {
            while i < raw.len() && raw[i].trim().is_empty() {
                i += 1;
            }
            if i < raw.len() && is_header(raw[i]) {
                i += 1;
            }
        } else if !is_header(&after_ff) {
            out.push(Line {
                no: i,
                text: after_ff,
                after_break: true,
            });
            pushed_content = true;
        }
        while i < raw.len() && raw[i].trim_end_matches('\r').trim().is_empty() {
            i += 1;
        }
        if before_ends_paragraph && !out.is_empty() {
            out.push(Line {
                no: i,
                text: String::new(),
                after_break: false,
            });
        }
        after_break = !pushed_content;
    }
    out
}

fn is_footer(line: &str) -> bool {
    let t = line.trim_end();
    t.ends_with(']') && t.contains("[Page ")
}

fn is_header(line: &str) -> bool {
    let t = line.trim_end_matches('\r');
    t.starts_with("RFC ") && t.contains("  ")
}

fn find_title(lines: &[Line]) -> String {
    // The title is the block of centred lines just before the first
    // "Abstract" or "Status of This Memo" heading.
    let Some(anchor) = lines.iter().take(200).position(|l| {
        let t = l.text.trim_end();
        t == "Abstract" || t.starts_with("Status of") || t.starts_with("Status Of")
    }) else {
        return String::new();
    };
    let mut block: Vec<&str> = Vec::new();
    for l in lines[..anchor].iter().rev() {
        let t = l.text.trim();
        if t.is_empty() {
            if block.is_empty() {
                continue;
            }
            break;
        }
        block.push(t);
    }
    block.reverse();
    block.join(" ")
}

fn cut_back_matter(body: &[Line]) -> &[Line] {
    let cut = body.iter().position(|l| {
        let t = l.text.trim_end();
        !t.starts_with(' ') && BACK_MATTER.iter().any(|b| t.eq_ignore_ascii_case(b))
    });
    match cut {
        Some(p) => &body[..p],
        None => body,
    }
}

fn paragraphs(body: &[Line]) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for l in body {
        if l.text.trim().is_empty() {
            if !cur.is_empty() {
                out.push(make_paragraph(std::mem::take(&mut cur)));
            }
        } else {
            // A list item starts its own paragraph, so that items without
            // a closing period are not run into one sentence.
            if !cur.is_empty() && is_list_item(&l.text) {
                out.push(make_paragraph(std::mem::take(&mut cur)));
            }
            cur.push(l.text.trim_end().to_string());
        }
    }
    if !cur.is_empty() {
        out.push(make_paragraph(cur));
    }
    out
}

/// Whether a line starts a list item: `o  text`, `*  text`, `-  text`,
/// `1.  text`, `(1) text`, `a)  text`.
fn is_list_item(line: &str) -> bool {
    let t = line.trim_start();
    let (marker, rest) = match t.find(' ') {
        Some(p) => (&t[..p], &t[p..]),
        None => return false,
    };
    if rest.trim().is_empty() {
        return false;
    }
    match marker {
        "o" | "*" | "-" | "+" => true,
        m => {
            let inner = m
                .strip_prefix('(')
                .and_then(|x| x.strip_suffix(')'))
                .or_else(|| m.strip_suffix('.'))
                .or_else(|| m.strip_suffix(')'));
            inner.is_some_and(|x| {
                !x.is_empty()
                    && x.len() <= 3
                    && (x.bytes().all(|b| b.is_ascii_digit())
                        || (x.len() == 1 && x.bytes().all(|b| b.is_ascii_lowercase())))
            })
        }
    }
}

fn make_paragraph(lines: Vec<String>) -> Paragraph {
    let art = lines.iter().filter(|l| is_figure_line(l)).count();
    let preformatted = art * 2 >= lines.len().max(1);
    Paragraph {
        lines,
        preformatted,
    }
}

/// Whether a line looks like part of a figure, table or aligned grammar
/// rather than running text.
fn is_figure_line(line: &str) -> bool {
    let t = line.trim();
    t.contains("   ")
        || t.contains("+-")
        || t.contains("-+")
        || t.starts_with('|')
        || t.ends_with('|')
        || t.contains(" = ") && !t.contains(". ")
}

/// A part of a section number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comp {
    Num(u32),
    Letter(u8),
}

impl Comp {
    fn succ(self) -> Comp {
        match self {
            Comp::Num(n) => Comp::Num(n + 1),
            Comp::Letter(c) => Comp::Letter(c + 1),
        }
    }
}

fn number_string(comps: &[Comp]) -> String {
    let parts: Vec<String> = comps
        .iter()
        .map(|c| match c {
            Comp::Num(n) => n.to_string(),
            Comp::Letter(c) => (*c as char).to_string(),
        })
        .collect();
    parts.join(".")
}

/// Recognises a heading line: `17.1 Title`, `8.  Title`, `A.1 Title`,
/// `Appendix A - Title`, `Appendix B: Title`, `Appendix A.  Title`.
fn heading(line: &str) -> Option<(Vec<Comp>, String)> {
    if line.starts_with(' ') || line.is_empty() {
        return None;
    }
    let (rest, appendix) = match line.strip_prefix("Appendix ") {
        Some(r) => (r.trim_start(), true),
        None => (line, false),
    };
    let bytes = rest.as_bytes();
    let mut comps = Vec::new();
    let mut i = 0;
    // First component: digits, or one upper-case letter.
    if bytes.first().is_some_and(u8::is_ascii_digit) {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i - start > 3 {
            return None;
        }
        comps.push(Comp::Num(rest[start..i].parse().ok()?));
    } else if bytes.first().is_some_and(u8::is_ascii_uppercase)
        && bytes
            .get(1)
            .is_some_and(|b| *b == b'.' || *b == b' ' || *b == b':')
    {
        comps.push(Comp::Letter(bytes[0]));
        i = 1;
    } else {
        return None;
    }
    if appendix && !matches!(comps[0], Comp::Letter(_)) {
        return None;
    }
    // Further components: ".digits".
    while i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
        i += 1;
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i - start > 3 {
            return None;
        }
        comps.push(Comp::Num(rest[start..i].parse().ok()?));
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
    }
    let after = &rest[i..];
    let title = if let Some(t) = after.strip_prefix(':') {
        t
    } else if after.starts_with(' ') {
        let t = after.trim_start();
        t.strip_prefix("- ").unwrap_or(t)
    } else {
        return None;
    };
    let title = title.trim();
    let first = title.chars().next()?;
    // Titles may start in lower case ("4.7.1.  from", "5.8 nv") or with
    // punctuation ("3.1.2.7.  <> Enclosing Request-URI"): running text that
    // happens to look like a heading is weeded out by the numbering
    // sequence (see `longest_chain`).
    if first.is_whitespace() || first.is_control() {
        return None;
    }
    // A lone letter followed by a word ("A user agent ...") is a heading only
    // when it reads like a title: capitalised, no sentence punctuation.
    if comps.len() == 1
        && matches!(comps[0], Comp::Letter(_))
        && !appendix
        && bytes.get(1) == Some(&b' ')
        && (title.ends_with('.') || title.ends_with(',') || !first.is_uppercase())
    {
        return None;
    }
    if title.len() > 100 {
        return None;
    }
    Some((comps, title.to_string()))
}

/// Splits a run-in heading ("1. MUST   This word, or the terms ...", as in
/// RFC 2119) into its title and the first line of its body.
fn split_run_in(title: &str) -> (&str, Option<&str>) {
    match title.find("   ") {
        Some(p) if !title[p..].trim().is_empty() => {
            (title[..p].trim_end(), Some(title[p..].trim()))
        }
        _ => (title, None),
    }
}

fn is_successor(prev: &[Comp], next: &[Comp]) -> bool {
    // First child.
    if next.len() == prev.len() + 1
        && next[..prev.len()] == *prev
        && next.last() == Some(&Comp::Num(1))
    {
        return true;
    }
    // Next sibling of prev or of one of its ancestors.
    for k in 0..prev.len() {
        if next.len() == k + 1 && next[..k] == prev[..k] && next[k] == prev[k].succ() {
            return true;
        }
    }
    // The first appendix after numbered sections.
    matches!(prev.first(), Some(Comp::Num(_))) && next == [Comp::Letter(b'A')]
}

/// Indices (into `cands`) of the longest valid chain of headings starting at
/// section 1 (or appendix A for documents without numbered sections).
fn longest_chain(cands: &[(usize, Vec<Comp>, String)]) -> Vec<usize> {
    let n = cands.len();
    let mut best: Vec<usize> = vec![0; n];
    let mut prev: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        let comps = &cands[i].1;
        if *comps == [Comp::Num(1)] || *comps == [Comp::Letter(b'A')] {
            best[i] = 1;
        }
        for j in 0..i {
            if best[j] > 0 && best[j] + 1 > best[i] && is_successor(&cands[j].1, comps) {
                best[i] = best[j] + 1;
                prev[i] = Some(j);
            }
        }
    }
    let Some(end) = (0..n)
        .filter(|&i| best[i] > 0)
        .max_by_key(|&i| (best[i], i))
    else {
        return Vec::new();
    };
    let mut chain = vec![end];
    let mut cur = end;
    while let Some(p) = prev[cur] {
        chain.push(p);
        cur = p;
    }
    chain.reverse();
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_forms() {
        let h = |s: &str| heading(s).map(|(c, t)| (number_string(&c), t));
        assert_eq!(
            h("17.1.1.2 Formal Description"),
            Some(("17.1.1.2".into(), "Formal Description".into()))
        );
        assert_eq!(
            h("8.  SSRC Identifier"),
            Some(("8".into(), "SSRC Identifier".into()))
        );
        assert_eq!(
            h("A.1 RTP Data Header"),
            Some(("A.1".into(), "RTP Data Header".into()))
        );
        assert_eq!(
            h("Appendix A - Algorithms"),
            Some(("A".into(), "Algorithms".into()))
        );
        assert_eq!(
            h("Appendix B: Test Vectors"),
            Some(("B".into(), "Test Vectors".into()))
        );
        assert_eq!(
            h("Appendix A.  Nodeprep"),
            Some(("A".into(), "Nodeprep".into()))
        );
        assert_eq!(
            h("A Table of Timer Values"),
            Some(("A".into(), "Table of Timer Values".into()))
        );
        assert_eq!(h("   1.  Introduction"), None);
        assert_eq!(h("ACK sip:bob@192.0.2.4 SIP/2.0"), None);
        assert_eq!(
            h("3.1.2.7.  <> Enclosing Request-URI"),
            Some(("3.1.2.7".into(), "<> Enclosing Request-URI".into()))
        );
        assert_eq!(
            split_run_in("MUST   This word, or"),
            ("MUST", Some("This word, or"))
        );
        assert_eq!(
            split_run_in("Formal Description"),
            ("Formal Description", None)
        );
        assert_eq!(h("4.7.1.  from"), Some(("4.7.1".into(), "from".into())));
        assert_eq!(h("1*DIGIT / \"x\""), None);
        assert_eq!(h("1*DIGIT"), None);
    }

    #[test]
    fn list_items() {
        assert!(is_list_item("   o  The first item"));
        assert!(is_list_item("   *  if the MKI indicator is set"));
        assert!(is_list_item("   1.  Send the request"));
        assert!(is_list_item("   (2) Wait"));
        assert!(is_list_item("   a)  lettered"));
        assert!(!is_list_item("   or the like"));
        assert!(!is_list_item("   17.1.1 is a section number"));
        assert!(!is_list_item("   o"));
    }

    #[test]
    fn successor_rules() {
        use Comp::*;
        assert!(is_successor(&[Num(17)], &[Num(17), Num(1)]));
        assert!(is_successor(&[Num(17), Num(1), Num(4)], &[Num(17), Num(2)]));
        assert!(is_successor(&[Num(17), Num(1)], &[Num(18)]));
        assert!(is_successor(&[Num(28), Num(1)], &[Letter(b'A')]));
        assert!(is_successor(&[Letter(b'A')], &[Letter(b'A'), Num(1)]));
        assert!(is_successor(&[Letter(b'A'), Num(8)], &[Letter(b'B')]));
        assert!(!is_successor(&[Num(17)], &[Num(17), Num(2)]));
        assert!(!is_successor(&[Num(17)], &[Num(19)]));
    }
}
