//! The one-level stanza parse gives what the generic path gives:
//! `Stanza::parse` against `Element::parse` + `Stanza::try_from`, and
//! `StreamParser::next_typed` against `StreamParser::next_event` +
//! `Stanza::try_from` (under any split of the stream), on every stanza of
//! the recorded sessions and XEP examples, and on generated stanzas.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rtclite_xmpp::stanza::{Stanza, StanzaReadError};
use rtclite_xmpp::xml::{Element, StreamParser, TypedEvent, XmlError, XmlEvent};

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

fn generic(input: &[u8]) -> Result<Stanza, StanzaReadError> {
    Ok(Stanza::try_from(Element::parse(input)?)?)
}

fn same(input: &[u8]) {
    assert_eq!(
        Stanza::parse(input),
        generic(input),
        "{}",
        String::from_utf8_lossy(input)
    );
}

/// Every file under `dir` (recursively): its stanzas, or the file itself.
fn inputs() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let root = format!("{}/tests/vectors", env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let text = std::fs::read(&p).unwrap();
            if p.components().any(|c| c.as_os_str() == "sessions") {
                // A recorded session: every stanza the stream parser gives (a fresh
                // parser for each stream after a restart), written back.
                let s = String::from_utf8_lossy(&text).into_owned();
                for stream in s.split("<?xml").filter(|x| !x.is_empty()) {
                    let mut sp = StreamParser::new();
                    sp.feed(format!("<?xml{stream}").as_bytes());
                    while let Ok(Some(ev)) = sp.next_event() {
                        if let XmlEvent::Stanza(el) = ev {
                            out.push(el.to_xml_in("").into_bytes());
                        }
                    }
                }
            } else if p.extension().is_some_and(|x| x == "xml") {
                // An example: the caption line, then stanzas without a stream.
                let body = text.splitn(2, |c| *c == b'\n').nth(1).unwrap_or_default();
                let s = String::from_utf8_lossy(body);
                for tag in ["<message ", "<presence ", "<iq "] {
                    let with_ns = s.replacen(tag, &format!("{tag}xmlns='jabber:client' "), 1);
                    out.push(with_ns.into_bytes());
                }
                out.push(body.to_vec());
            }
        }
    }
    out
}

#[test]
fn vectors_agree_with_the_generic_path() {
    let all = inputs();
    assert!(all.len() > 100, "{}", all.len());
    let mut fast = 0;
    for i in &all {
        same(i);
        if matches!(
            Stanza::parse(i),
            Ok(Stanza::Message(_) | Stanza::Presence(_))
        ) {
            fast += 1;
        }
    }
    assert!(fast >= 3, "{fast} messages and presences among the vectors");
}

#[test]
fn edge_cases_agree() {
    for s in [
        // The bench inputs.
        &b"<message xmlns='jabber:client' from='juliet@example.com/balcony' id='ktx72v49' to='romeo@example.net' type='chat' xml:lang='en'><body>Art thou not Romeo, and a Montague?</body><thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread></message>"[..],
        b"<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net'><show>away</show><status>be right back</status><priority>1</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://psi-im.org' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/></presence>",
        b"<message xmlns='jabber:client'><body>a &amp; b</body><body>second</body></message>",
        b"<message xmlns='jabber:client' type='error'><error type='cancel'/></message>",
        b"<message xmlns='jabber:client'><thread parent='p'>t</thread><x xmlns='urn:x'>y</x></message>",
        b"<message xmlns='jabber:client'><body><![CDATA[<b>]]></body></message>",
        b"<message xmlns='jabber:client'><body>a<b/>c</body></message>",
        b"<message xmlns='jabber:client'><body>x</bod></message>",
        b"<message xmlns='jabber:client' to='a@b' to='c@d'/>",
        b"<message xmlns='jabber:client' xml:lang='en' from='@bad'/>",
        b"<message xmlns='jabber:client' xmlns:p='urn:p'><p:x/></message>",
        b"<message xmlns='urn:not-content'><body>x</body></message>",
        b"<presence xmlns='jabber:client' type='bogus'/>",
        b"<presence xmlns='jabber:client'><show> dnd </show><priority>-5</priority><priority>x</priority><status/></presence>",
        b"<presence xmlns='jabber:client'/> trailing",
        b"<?xml version='1.0'?> <presence xmlns='jabber:client'/> ",
        b"<presence xmlns='jabber:client'><!-- no --></presence>",
        b"<presence xmlns='jabber:client'><status>\x01</status></presence>",
        b"<message xmlns='jabber:client'>text<body>b</body>\xff</message>",
    ] {
        same(s);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Stanzas assembled from pieces, some of them broken.
    #[test]
    fn generated_stanzas_agree(
        name in proptest::sample::select(vec!["message", "presence", "iq"]),
        attrs in proptest::collection::vec(
            (proptest::sample::select(vec!["to", "from", "id", "type", "xml:lang", "xmlns", "x"]),
             "[a-z@./&;<' ]{0,8}"),
            0..4),
        kids in proptest::collection::vec(
            (proptest::sample::select(vec!["body", "thread", "show", "status", "priority", "error", "x"]),
             "[a-z0-9 &;<>/-]{0,8}"),
            0..4),
    ) {
        let mut s = format!("<{name} xmlns='jabber:client'");
        for (k, v) in &attrs {
            s.push_str(&format!(" {k}='{v}'"));
        }
        s.push('>');
        for (k, v) in &kids {
            s.push_str(&format!("<{k}>{v}</{k}>"));
        }
        s.push_str(&format!("</{name}>"));
        proptest::prop_assert_eq!(Stanza::parse(s.as_bytes()), generic(s.as_bytes()), "{}", s);
    }

    /// Arbitrary bytes: both paths agree (and neither panics).
    #[test]
    fn arbitrary_bytes_agree(b in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
        let mut input = b"<message xmlns='jabber:client'>".to_vec();
        input.extend_from_slice(&b);
        proptest::prop_assert_eq!(Stanza::parse(&input), generic(&input));
    }
}

/// The events of `data` fed in pieces cut at `cuts`, typed by the parser
/// (`fast`) or by `next_event` then `Stanza::try_from` (the generic path).
fn stream_events(data: &[u8], cuts: &[usize], fast: bool) -> Vec<Result<TypedEvent, XmlError>> {
    let mut p = StreamParser::new();
    let mut out = Vec::new();
    let mut last = 0;
    for &c in cuts.iter().chain(std::iter::once(&data.len())) {
        let c = c.clamp(last, data.len());
        p.feed(&data[last..c]);
        last = c;
        loop {
            let ev = if fast {
                p.next_typed()
            } else {
                p.next_event().map(|e| e.map(TypedEvent::from))
            };
            match ev {
                Ok(Some(e)) => {
                    // A stream restart (after SASL or STARTTLS) starts a new document.
                    if matches!(&e, TypedEvent::Xml(XmlEvent::Stanza(el)) if el.name() == "success" || el.name() == "proceed")
                    {
                        p.restart();
                    }
                    out.push(Ok(e));
                }
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }
    out
}

/// The recorded sessions, and a stream of every stanza of the vectors.
fn streams() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let dir = format!("{}/tests/vectors/sessions", env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "xml") {
            out.push(std::fs::read(p).unwrap());
        }
    }
    let mut all = HEADER.as_bytes().to_vec();
    for i in inputs() {
        let stanza =
            Element::parse(&i).is_ok_and(|e| matches!(e.name(), "message" | "presence" | "iq"));
        if stanza && !i.starts_with(b"<?xml") {
            all.extend_from_slice(&i);
            all.extend_from_slice(b"\n");
        }
    }
    all.extend_from_slice(b"</stream:stream>");
    out.push(all);
    out
}

#[test]
fn stream_vectors_agree_with_the_generic_path() {
    for data in streams() {
        let generic = stream_events(&data, &[], false);
        let stanzas = generic
            .iter()
            .filter(|e| matches!(e, Ok(TypedEvent::Stanza(_))))
            .count();
        assert!(stanzas >= 5, "{stanzas} stanzas");
        assert!(generic.last().unwrap().is_ok(), "{:?}", generic.last());
        assert_eq!(stream_events(&data, &[], true), generic);
        for size in [1, 2, 3, 7, 16, 61, 200, 1000] {
            let cuts: Vec<usize> = (size..data.len()).step_by(size).collect();
            assert_eq!(
                stream_events(&data, &cuts, true),
                generic,
                "chunks of {size}"
            );
        }
    }
}

/// One child of a generated stanza: the common shapes, and the ones the
/// one-level parse leaves to the generic builder.
fn child() -> impl Strategy<Value = String> {
    let name = proptest::sample::select(vec![
        "body", "thread", "show", "status", "priority", "error", "subject", "c", "x", "b\u{e9}",
    ]);
    let text = "([a-z0-9 '\"/>-]|&amp;|&lt;|&#x41;|&bogus;|&|<|\u{e9}|\u{1}|]]>){0,6}";
    let attr = proptest::sample::select(vec![
        "type", "parent", "hash", "xml:lang", "xmlns", "xmlns:q", "q:a", "ver", "1a",
    ]);
    (0..9u8, name.clone(), name, text, attr, "[a-z'&; ]{0,6}").prop_map(
        |(shape, k, k2, t, a, v)| match shape {
            0 => format!("<{k}>{t}</{k}>"),
            1 => format!("<{k}/>"),
            2 => format!("<{k} {a}='{v}'/>"),
            3 => format!("<{k} xmlns='urn:{v}' {a}=\"{t}\">{t}</{k}>"),
            4 => format!("<{k} xmlns='urn:x'><{k2}>{t}</{k2}></{k}>"),
            5 => format!("<![CDATA[{t}]]>"),
            6 => t,
            7 => format!("<q:{k} xmlns:q='urn:q' q:{a}='{v}'/>"),
            _ => format!("<{k} xml:lang='en' >{t}</{k }>"),
        },
    )
}

/// A generated stanza (possibly broken).
fn stanza() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(vec!["message", "presence", "iq", "r"]),
        proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "to", "from", "id", "type", "xml:lang", "xmlns", "x", "xmlns:p",
                ]),
                proptest::sample::select(vec![
                    "a@b",
                    "a@b/r",
                    "@bad",
                    "chat",
                    "get",
                    "set",
                    "error",
                    "result",
                    "unavailable",
                    "jabber:client",
                    "x&amp;y",
                    "urn:other",
                    "",
                ]),
            ),
            0..5,
        ),
        proptest::collection::vec(child(), 0..5),
        any::<bool>(),
    )
        .prop_map(|(name, attrs, kids, empty)| {
            let mut s = format!("<{name}");
            for (k, v) in &attrs {
                s.push_str(&format!(" {k}='{v}'"));
            }
            if empty && kids.is_empty() {
                s.push_str("/>");
                return s;
            }
            s.push('>');
            for k in &kids {
                s.push_str(k);
            }
            s.push_str(&format!("</{name}>"));
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Generated standalone stanzas of many shapes: both paths agree.
    #[test]
    fn generated_shapes_agree(st in stanza()) {
        let with_ns = st.replacen(' ', " xmlns='jabber:client' ", 1);
        for s in [&st, &with_ns] {
            prop_assert_eq!(Stanza::parse(s.as_bytes()), generic(s.as_bytes()), "{}", s);
        }
    }

    /// Generated stanzas on a stream, split anywhere: the typed events are
    /// the generic path's.
    #[test]
    fn generated_streams_agree(
        stanzas in proptest::collection::vec(stanza(), 1..6),
        sep in proptest::sample::select(vec!["", " ", "\n", "x"]),
        mut cuts in proptest::collection::vec(0usize..2000, 0..6),
    ) {
        let mut data = HEADER.to_string();
        for s in &stanzas {
            data.push_str(s);
            data.push_str(sep);
        }
        cuts.sort_unstable();
        let generic = stream_events(data.as_bytes(), &[], false);
        prop_assert_eq!(stream_events(data.as_bytes(), &[], true), generic.clone(), "{}", data);
        prop_assert_eq!(stream_events(data.as_bytes(), &cuts, true), generic, "{} {:?}", data, cuts);
    }

    /// Arbitrary bytes after a stream header: same events and errors (with
    /// their offsets) on both paths.
    #[test]
    fn arbitrary_stream_bytes_agree(b in proptest::collection::vec(any::<u8>(), 0..96)) {
        let mut data = HEADER.as_bytes().to_vec();
        data.extend_from_slice(b"<message><body>");
        data.extend_from_slice(&b);
        prop_assert_eq!(stream_events(&data, &[], true), stream_events(&data, &[], false));
    }
}
