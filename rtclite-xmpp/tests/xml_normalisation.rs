//! XML 1.0 rules every reader must apply, on both parse paths (the
//! generic tree and the one-pass typed stanza): `]]>` is not allowed in
//! character data (§2.4), line ends are normalised (§2.11), and literal
//! white space in attribute values becomes spaces (§3.3.3). Writing with
//! `escape_into` and reading back gives the original text, whatever it
//! holds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rtclite_xmpp::stanza::Stanza;
use rtclite_xmpp::xml::{Element, StreamParser, TypedEvent, XmlEvent, escape_into};

const HEADER: &str = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

/// The message of `stanza` read through a stream by the typed path, and by
/// the generic path (`next_event`, then `TypedEvent::from`); both must
/// agree, and the result is that shared outcome.
fn read(stanza: &str) -> Result<Stanza, String> {
    let outcome = |fast: bool| -> Result<Stanza, String> {
        let mut p = StreamParser::new();
        p.feed(HEADER.as_bytes());
        p.feed(stanza.as_bytes());
        let next = |p: &mut StreamParser| {
            if fast {
                p.next_typed()
            } else {
                p.next_event().map(|e| e.map(TypedEvent::from))
            }
        };
        match next(&mut p).map_err(|e| e.to_string())? {
            Some(TypedEvent::Xml(XmlEvent::StreamOpen(_))) => {}
            other => panic!("expected the stream header, got {other:?}"),
        }
        match next(&mut p).map_err(|e| e.to_string())? {
            Some(TypedEvent::Stanza(s)) => Ok(s),
            other => Err(format!("no stanza: {other:?}")),
        }
    };
    let fast = outcome(true);
    let generic = outcome(false);
    assert_eq!(
        fast, generic,
        "typed and generic paths disagree on {stanza:?}"
    );
    fast
}

fn message(stanza: &str) -> (Option<String>, Option<String>) {
    match read(stanza) {
        Ok(Stanza::Message(m)) => (m.id, m.body),
        other => panic!("{stanza:?}: {other:?}"),
    }
}

#[test]
fn cdata_section_end_in_character_data_is_not_well_formed() {
    let err = read("<message><body>a ]]> b</body></message>").unwrap_err();
    assert!(err.contains("]]>"), "{err}");
    // Between children too (that text is not kept, but it is read).
    assert!(read("<message>]]><body>x</body></message>").is_err());
    // Escaped, or split by a character reference, it is ordinary text.
    assert_eq!(
        message("<message><body>a ]]&gt; b ]]&#62;</body></message>")
            .1
            .as_deref(),
        Some("a ]]> b ]]>")
    );
    // Brackets alone are fine, and a CDATA section ends at its own ]]>.
    assert_eq!(
        message("<message><body>]] ] >]]</body></message>")
            .1
            .as_deref(),
        Some("]] ] >]]")
    );
    assert_eq!(
        message("<message><body><![CDATA[x]]]]></body></message>")
            .1
            .as_deref(),
        Some("x]]")
    );
}

#[test]
fn line_ends_are_normalised_in_character_data() {
    assert_eq!(
        message("<message><body>one\r\ntwo\rthree\nfour</body></message>")
            .1
            .as_deref(),
        Some("one\ntwo\nthree\nfour")
    );
    // In a CDATA section too.
    assert_eq!(
        message("<message><body><![CDATA[a\r\nb\rc]]></body></message>")
            .1
            .as_deref(),
        Some("a\nb\nc")
    );
    // A character reference is not a line end in the source: it stays.
    assert_eq!(
        message("<message><body>a&#13;&#10;b&#xD;</body></message>")
            .1
            .as_deref(),
        Some("a\r\nb\r")
    );
}

#[test]
fn white_space_in_attribute_values_is_normalised() {
    assert_eq!(
        message("<message id='a\tb\nc\r\nd\re'><body>x</body></message>")
            .0
            .as_deref(),
        Some("a b c d e")
    );
    // Character references keep their characters.
    assert_eq!(
        message("<message id='a&#9;b&#10;c&#13;d'><body>x</body></message>")
            .0
            .as_deref(),
        Some("a\tb\nc\rd")
    );
    // Also on a child element and in the generic tree.
    let el = Element::parse(b"<x xmlns='urn:t' a='1\n2'><y b='3\r\n4'/></x>").unwrap();
    assert_eq!(el.attr("a"), Some("1 2"));
    assert_eq!(el.children().next().and_then(|y| y.attr("b")), Some("3 4"));
}

#[test]
fn escape_into_writes_what_reads_back() {
    let text = "tab\tlf\ncr\rcrlf\r\n ]]> <&>'\"";
    let mut body = String::new();
    escape_into(&mut body, text, false);
    let mut id = String::new();
    escape_into(&mut id, text, true);
    let (got_id, got_body) = message(&format!("<message id='{id}'><body>{body}</body></message>"));
    assert_eq!(got_id.as_deref(), Some(text));
    assert_eq!(got_body.as_deref(), Some(text));
}

/// Text made of the characters these rules are about, and others.
fn tricky() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('\t'),
            Just('\n'),
            Just('\r'),
            Just(']'),
            Just('>'),
            Just('<'),
            Just('&'),
            Just('\''),
            Just('"'),
            Just(' '),
            Just('a'),
            Just('é'),
            Just('\u{1F600}'),
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn any_text_round_trips_through_both_paths(text in tricky(), id in tricky()) {
        let mut b = String::new();
        escape_into(&mut b, &text, false);
        let mut i = String::new();
        escape_into(&mut i, &id, true);
        let stanza = format!("<message id='{i}'><body>{b}</body></message>");
        let (got_id, got_body) = message(&stanza);
        prop_assert_eq!(got_id.as_deref(), Some(id.as_str()));
        // An empty body element reads as an empty body.
        prop_assert_eq!(got_body.unwrap_or_default(), text);
    }

    #[test]
    fn literal_text_reads_as_the_rules_say(text in tricky()) {
        // The raw characters, with only '<' and '&' escaped: a reader
        // refuses ]]>, turns CR LF and CR into LF in the body, and every
        // tab, LF or CR (a CR LF pair once) into a space in the attribute.
        let raw = text.replace('&', "&amp;").replace('<', "&lt;");
        let attr = raw.replace('\'', "&apos;");
        let stanza = format!("<message id='{attr}'><body>{raw}</body></message>");
        let outcome = read(&stanza);
        if text.contains("]]>") {
            prop_assert!(outcome.is_err());
        } else {
            let Ok(Stanza::Message(m)) = outcome else {
                return Err(TestCaseError::fail(format!("{stanza:?}: {outcome:?}")));
            };
            let body = text.replace("\r\n", "\n").replace('\r', "\n");
            prop_assert_eq!(m.body.unwrap_or_default(), body);
            let id = text.replace("\r\n", " ").replace(['\r', '\n', '\t'], " ");
            prop_assert_eq!(m.id, Some(id));
        }
    }
}
