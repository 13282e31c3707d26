//! Reading XMPP extension protocols (the XSF's XML source) into a [`Spec`].
//!
//! Sections are the `<section1>` … `<section4>` elements, numbered in
//! document order as the XSF renders them (`6`, `6.2`, `6.2.1`). Running text
//! comes from `<p>`, `<li>`, `<dd>`, `<td>` and the like; `<example>` and
//! `<code>` blocks are kept as preformatted paragraphs (never counted as
//! requirements); the `<header>` and footnotes (`<note>`) are skipped.
//! Entities: the XML ones are decoded, `&rfcNNNN;` reads `RFC NNNN`,
//! `&xepNNNN;` reads `XEP-NNNN`, and any other entity defined in the XSF's
//! `xep.ent` (not shipped with the XML) is kept as written, e.g.
//! `&unavailable;`.

use crate::spec::{Paragraph, Section, Spec, SpecId};

/// Elements whose start and end break paragraphs.
const BLOCKS: &[&str] = &[
    "p",
    "li",
    "dt",
    "dd",
    "td",
    "th",
    "tr",
    "ul",
    "ol",
    "dl",
    "di",
    "table",
    "blockquote",
    "div",
];

/// Elements whose text is not part of the section text.
const SKIPPED: &[&str] = &["header", "note"];

/// Elements whose text is preformatted.
const PREFORMATTED: &[&str] = &["example", "code"];

struct Builder {
    order: usize,
    number: String,
    title: String,
    line: usize,
    paragraphs: Vec<Paragraph>,
}

/// Parses the XML source of a XEP.
pub fn parse(id: SpecId, raw: &[u8]) -> Spec {
    let text = String::from_utf8_lossy(raw);
    let src: &str = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut title = String::new();
    let mut in_title = false;
    let mut counters = [0usize; 6];
    let mut open: Vec<Builder> = Vec::new();
    let mut done: Vec<Builder> = Vec::new();
    let mut elements: Vec<String> = Vec::new();
    let mut skip_depth = 0usize;
    let mut pre_depth = 0usize;
    let mut para = String::new();
    let mut pre = String::new();
    let mut order = 0usize;
    let mut line = 1usize;
    let mut counted_upto = 0usize;

    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let end = src[i..].find('<').map(|p| i + p).unwrap_or(bytes.len());
            let chunk = decode_entities(&src[i..end]);
            if in_title && elements.len() == 3 {
                title.push_str(&chunk);
            }
            if skip_depth == 0 && !open.is_empty() {
                if pre_depth > 0 {
                    pre.push_str(&chunk);
                } else {
                    para.push_str(&chunk);
                }
            }
            i = end;
            continue;
        }
        let rest = &src[i..];
        if let Some(r) = rest.strip_prefix("<!--") {
            i += 4 + r.find("-->").map(|p| p + 3).unwrap_or(r.len());
            continue;
        }
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let len = r.find("]]>").unwrap_or(r.len());
            if skip_depth == 0 && !open.is_empty() {
                if pre_depth > 0 {
                    pre.push_str(&r[..len]);
                } else {
                    para.push_str(&r[..len]);
                }
            }
            i += 9 + len + 3.min(r.len() - len);
            continue;
        }
        if rest.starts_with("<!") {
            // DOCTYPE with an internal subset ends at "]>".
            let end = if let Some(b) = rest.find('[').filter(|&b| b < rest.find('>').unwrap_or(0)) {
                rest[b..].find("]>").map(|p| b + p + 2)
            } else {
                rest.find('>').map(|p| p + 1)
            };
            i += end.unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with("<?") {
            i += rest.find("?>").map(|p| p + 2).unwrap_or(rest.len());
            continue;
        }
        let Some(close) = find_tag_end(rest) else {
            break;
        };
        let tag = &rest[1..close];
        i += close + 1;
        line += bytes[counted_upto..i]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_upto = i;
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_string();
            // End tag.
            if SKIPPED.contains(&name.as_str()) {
                skip_depth = skip_depth.saturating_sub(1);
            }
            if skip_depth == 0 {
                if PREFORMATTED.contains(&name.as_str()) {
                    pre_depth = pre_depth.saturating_sub(1);
                    if pre_depth == 0 {
                        flush_pre(&mut pre, &mut open);
                    }
                } else if BLOCKS.contains(&name.as_str()) && pre_depth == 0 {
                    flush_para(&mut para, &mut open);
                }
                if let Some(level) = section_level(&name) {
                    if level >= 1 {
                        flush_para(&mut para, &mut open);
                        if let Some(b) = open.pop() {
                            done.push(b);
                        }
                    }
                }
            }
            if name == "title" {
                in_title = false;
            }
            elements.pop();
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if !self_closing {
            elements.push(name.to_string());
        }
        if name == "title" && !self_closing {
            in_title = true;
        }
        if self_closing {
            continue;
        }
        if SKIPPED.contains(&name) {
            skip_depth += 1;
            continue;
        }
        if skip_depth > 0 {
            continue;
        }
        if let Some(level) = section_level(name) {
            flush_para(&mut para, &mut open);
            let idx = level - 1;
            counters[idx] += 1;
            for c in counters.iter_mut().skip(idx + 1) {
                *c = 0;
            }
            let number = counters[..=idx]
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(".");
            open.push(Builder {
                order,
                number,
                title: attribute(tag, "topic").unwrap_or_default(),
                line,
                paragraphs: Vec::new(),
            });
            order += 1;
            continue;
        }
        if PREFORMATTED.contains(&name) {
            if pre_depth == 0 {
                flush_para(&mut para, &mut open);
            }
            pre_depth += 1;
        } else if BLOCKS.contains(&name) && pre_depth == 0 {
            flush_para(&mut para, &mut open);
        }
    }
    flush_para(&mut para, &mut open);
    done.append(&mut open);
    done.sort_by_key(|b| b.order);
    let sections = done
        .into_iter()
        .map(|b| Section::new(b.number, b.title, b.line, b.paragraphs))
        .collect();
    Spec {
        id,
        title: crate::spec::collapse_ws(&title),
        sections,
    }
}

fn section_level(name: &str) -> Option<usize> {
    let n = name.strip_prefix("section")?;
    let level: usize = n.parse().ok()?;
    (1..=6).contains(&level).then_some(level)
}

fn find_tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'>' => return Some(i),
            None => {}
        }
    }
    None
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(p) = rest.find(name) {
        let after = &rest[p + name.len()..];
        let before_ok = p == 0 || rest[..p].ends_with(char::is_whitespace);
        let after = after.trim_start();
        if before_ok {
            if let Some(v) = after.strip_prefix('=') {
                let v = v.trim_start();
                let q = v.chars().next()?;
                if q == '\'' || q == '"' {
                    let end = v[1..].find(q)?;
                    return Some(decode_entities(&v[1..1 + end]));
                }
            }
        }
        rest = &rest[p + name.len()..];
    }
    None
}

fn flush_para(para: &mut String, open: &mut [Builder]) {
    let text = crate::spec::collapse_ws(para);
    para.clear();
    if text.is_empty() {
        return;
    }
    if let Some(b) = open.last_mut() {
        b.paragraphs.push(Paragraph {
            lines: vec![text],
            preformatted: false,
        });
    }
}

fn flush_pre(pre: &mut String, open: &mut [Builder]) {
    let text = std::mem::take(pre);
    let lines: Vec<String> = text
        .trim_matches('\n')
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    if lines.iter().all(|l| l.trim().is_empty()) {
        return;
    }
    if let Some(b) = open.last_mut() {
        b.paragraphs.push(Paragraph {
            lines,
            preformatted: true,
        });
    }
}

/// Decodes XML entities; see the module documentation for XSF entities.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let Some(end) = after.find(';').filter(|&e| e <= 32) else {
            out.push('&');
            rest = after;
            continue;
        };
        let name = &after[..end];
        match name {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            "nbsp" => out.push(' '),
            _ => {
                if let Some(num) = name.strip_prefix('#') {
                    let code = if let Some(hex) = num.strip_prefix('x') {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        num.parse().ok()
                    };
                    match code.and_then(char::from_u32) {
                        Some(c) => out.push(c),
                        None => {
                            out.push('&');
                            out.push_str(name);
                            out.push(';');
                        }
                    }
                } else if let Some(n) = numbered(name, "rfc") {
                    out.push_str(&format!("RFC {n}"));
                } else if let Some(n) = numbered(name, "xep") {
                    out.push_str(&format!("XEP-{n:04}"));
                } else {
                    out.push('&');
                    out.push_str(name);
                    out.push(';');
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn numbered(name: &str, prefix: &str) -> Option<u32> {
    let digits = name.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE xep SYSTEM 'xep.dtd' [
  <!ENTITY % ents SYSTEM 'xep.ent'>
%ents;
]>
<xep>
<header>
  <title>Sample Protocol</title>
  <revision><remark><p>The server MUST be ignored here.</p></remark></revision>
</header>
<section1 topic='Introduction' anchor='intro'>
  <p>This is &xep0030; over &rfc6120;.</p>
</section1>
<section1 topic='Protocol' anchor='proto'>
  <p>An entity MUST reply.<note>A footnote that MUST be skipped.</note> It MAY wait.</p>
  <section2 topic='Errors' anchor='errors'>
    <ul><li>It SHOULD return &unavailable;.</li><li>Second item.</li></ul>
    <example caption='x'><![CDATA[<iq type='get'/>  MUST]]></example>
  </section2>
  <section2 topic="Second" anchor='two'><p>Text &lt;here&gt;.</p></section2>
</section1>
</xep>
"#;

    #[test]
    fn numbers_sections_in_document_order() {
        let spec = parse(SpecId::Xep(9999), SAMPLE.as_bytes());
        assert_eq!(spec.title, "Sample Protocol");
        let numbers: Vec<_> = spec.sections.iter().map(|s| s.number.as_str()).collect();
        assert_eq!(numbers, ["1", "2", "2.1", "2.2"]);
        assert_eq!(spec.sections[2].title, "Errors");
        assert_eq!(spec.sections[3].title, "Second");
    }

    #[test]
    fn text_entities_and_requirements() {
        let spec = parse(SpecId::Xep(9999), SAMPLE.as_bytes());
        assert_eq!(spec.sections[0].text(), "This is XEP-0030 over RFC 6120.");
        let s2 = &spec.sections[1];
        assert_eq!(s2.sentences.len(), 2, "{:?}", s2.sentences);
        assert!(s2.find("An entity MUST reply").is_some());
        assert!(s2.find("footnote").is_none());
        let s21 = &spec.sections[2];
        assert!(s21.find("It SHOULD return &unavailable;").is_some());
        let reqs: Vec<_> = s21
            .sentences
            .iter()
            .filter(|s| s.is_requirement())
            .collect();
        assert_eq!(reqs.len(), 1, "the example's MUST is not a requirement");
        assert_eq!(spec.sections[3].text(), "Text <here>.");
    }
}
