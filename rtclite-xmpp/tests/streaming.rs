//! The streaming property: any split of a recorded stream gives the same
//! sequence of events. Sessions: `vectors/sessions/*.xml` (captured from
//! prosody, see the README there) and a stream made of every XEP-0166/0167/
//! 0176/0177 example stanza.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rtclite_xmpp::xml::{Element, StreamParser, XmlEvent};

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

fn vectors() -> String {
    format!("{}/tests/vectors", env!("CARGO_MANIFEST_DIR"))
}

/// A stream of every XEP example that is one well-formed stanza.
fn xep_stream() -> Vec<u8> {
    let mut s = String::from(HEADER);
    for xep in ["xep-0166", "xep-0167", "xep-0176", "xep-0177"] {
        let mut files: Vec<_> = std::fs::read_dir(format!("{}/{xep}", vectors()))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(f).unwrap();
            let body = text.split_once('\n').unwrap().1;
            if Element::parse(body.as_bytes()).is_ok() {
                s.push_str(body);
                s.push('\n');
            }
        }
    }
    s.push_str("</stream:stream>");
    s.into_bytes()
}

fn sessions() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![("xep-examples".to_string(), xep_stream())];
    let dir = format!("{}/sessions", vectors());
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut files: Vec<_> = rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        files.sort();
        for f in files {
            out.push((f.display().to_string(), std::fs::read(&f).unwrap()));
        }
    }
    out
}

fn parse_split(data: &[u8], cuts: &[usize]) -> Vec<XmlEvent> {
    let mut p = StreamParser::new();
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts.iter().chain(std::iter::once(&data.len())) {
        p.feed(&data[last..c]);
        last = c;
        while let Some(e) = p.next_event().unwrap() {
            // A stream restart (after SASL or STARTTLS) starts a new document.
            if matches!(e, XmlEvent::Stanza(ref el) if el.name() == "success" || el.name() == "proceed")
            {
                p.restart();
            }
            out.push(e);
        }
    }
    out
}

#[test]
fn every_chunk_size_gives_the_same_stanzas() {
    for (name, data) in sessions() {
        let whole = parse_split(&data, &[]);
        assert!(whole.len() > 3, "{name}: {} events", whole.len());
        assert!(
            matches!(whole.last(), Some(XmlEvent::StreamClose)),
            "{name}"
        );
        // Every size up to the whole recording; for the large XEP stream (60 KB),
        // every size up to 64 bytes and then every 499th (a debug build is slow).
        let sizes: Vec<usize> = if data.len() <= 8192 {
            (1..=data.len()).collect()
        } else {
            (1..=64).chain((65..=data.len()).step_by(499)).collect()
        };
        for size in sizes {
            let cuts: Vec<usize> = (size..data.len()).step_by(size).collect();
            assert_eq!(
                parse_split(&data, &cuts),
                whole,
                "{name}: chunk size {size}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn random_splits_give_the_same_stanzas(mut cuts in proptest::collection::vec(0usize..100_000, 0..40)) {
        for (_, data) in sessions() {
            let whole = parse_split(&data, &[]);
            let mut c: Vec<usize> = cuts.iter().map(|x| x % data.len()).collect();
            c.sort_unstable();
            prop_assert_eq!(parse_split(&data, &c), whole);
        }
        cuts.clear();
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512), split in 0usize..512) {
        let mut p = StreamParser::new();
        let s = split.min(data.len());
        p.feed(HEADER.as_bytes());
        p.feed(&data[..s]);
        for _ in 0..1000 { if !matches!(p.next_event(), Ok(Some(_))) { break; } }
        p.feed(&data[s..]);
        for _ in 0..1000 { if !matches!(p.next_event(), Ok(Some(_))) { break; } }
        let _ = Element::parse(&data);
    }

    #[test]
    fn element_write_parse_round_trip(name in "[a-z][a-z0-9-]{0,8}", ns in "urn:[a-z]{1,8}", attr in "[ -~]{0,20}", text in "\\PC{0,40}") {
        let el = Element::new(name.clone(), ns).with_attr("a", attr).with_child(Element::new("c", "urn:other").with_text(text));
        let s = el.to_string();
        prop_assert_eq!(Element::parse(s.as_bytes()).unwrap(), el);
    }
}
