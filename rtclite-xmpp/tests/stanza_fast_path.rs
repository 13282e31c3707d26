//! `Stanza::parse` (one-level parse for messages and presences) gives what
//! `Element::parse` + `Stanza::try_from` give: on every stanza of the
//! recorded sessions and XEP examples, and on generated stanzas.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_xmpp::stanza::{Stanza, StanzaReadError};
use rtclite_xmpp::xml::{Element, StreamParser, XmlEvent};

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
