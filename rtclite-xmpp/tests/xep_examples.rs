//! Every example of XEP-0166, XEP-0167, XEP-0176 and XEP-0177 that carries a
//! `<jingle/>` element is parsed into the typed model and written back; the
//! result must equal the example (attribute order and indentation aside).
//! The examples are cut from the XEP sources by `vectors/extract.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rtclite_xmpp::jingle::{Action, Description, Jingle, NS_JINGLE, Transport};
use rtclite_xmpp::stanza::Stanza;
use rtclite_xmpp::xml::{Element, Node};

/// The element without white-space-only text and with attributes sorted.
fn normalize(e: &Element) -> Element {
    let mut attrs: Vec<_> = e.attrs().to_vec();
    attrs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut n = Element::new(e.name(), e.ns());
    for a in attrs {
        n.set_attr(a.name, a.value);
    }
    for c in e.nodes() {
        match c {
            Node::Element(c) => n.push_child(normalize(c)),
            Node::Text(t) if !t.trim().is_empty() => n.push_text(t.clone()),
            Node::Text(_) => {}
        }
    }
    n
}

struct Example {
    file: String,
    caption: String,
    jingle: Element,
}

fn examples(xep: &str) -> Vec<Example> {
    let dir = format!("{}/tests/vectors/{xep}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let (caption, body) = text.split_once('\n').unwrap();
        // Some examples are fragments or contain several stanzas; those are not stanza vectors.
        let Ok(el) = Element::parse(body.as_bytes()) else {
            continue;
        };
        if let Some(j) = el.child("jingle", NS_JINGLE) {
            out.push(Example {
                file: f.display().to_string(),
                caption: caption.trim_start_matches("caption: ").to_string(),
                jingle: j.clone(),
            });
        }
    }
    out
}

fn round_trip(xep: &str) -> Vec<(Example, Jingle)> {
    let mut out = Vec::new();
    for ex in examples(xep) {
        let j = Jingle::from_element(&ex.jingle)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", ex.file, ex.caption));
        assert_eq!(
            normalize(&j.to_element()),
            normalize(&ex.jingle),
            "{} ({})",
            ex.file,
            ex.caption
        );
        out.push((ex, j));
    }
    out
}

#[test]
fn xep0166_examples_round_trip() {
    let all = round_trip("xep-0166");
    assert!(all.len() >= 10, "{}", all.len());
    let term = all
        .iter()
        .find(|(_, j)| j.action == Action::SessionTerminate)
        .unwrap();
    assert!(term.1.reason.is_some());
}

#[test]
fn xep0167_examples_round_trip() {
    let all = round_trip("xep-0167");
    assert!(all.len() >= 20, "{}", all.len());
    // Example 1 "Initiation": six payload types, ICE-UDP with two candidates.
    let (ex, j) = &all[0];
    assert_eq!(ex.caption, "Initiation");
    let c = &j.contents[0];
    let Some(Description::Rtp(d)) = &c.description else {
        panic!()
    };
    assert_eq!(d.media, "audio");
    assert_eq!(d.payload_types.len(), 6);
    assert_eq!(
        (
            d.payload_types[4].name.as_deref(),
            d.payload_types[4].clockrate,
            d.payload_types[4].channels
        ),
        (Some("L16"), Some(16000), Some(2))
    );
    let Some(Transport::IceUdp(t)) = &c.transport else {
        panic!()
    };
    assert_eq!(t.candidates.len(), 2);
    assert_eq!(t.candidates[1].rel_port, Some(8998));
    // Every session-info example carries an RTP info payload we understand.
    for (ex, j) in &all {
        if j.action == Action::SessionInfo {
            assert!(
                j.info
                    .iter()
                    .all(|i| rtclite_xmpp::jingle::RtpInfo::from_element(i).is_some()),
                "{}",
                ex.caption
            );
        }
    }
}

#[test]
fn xep0176_examples_round_trip() {
    let all = round_trip("xep-0176");
    assert!(all.len() >= 5, "{}", all.len());
    assert!(all.iter().any(|(_, j)| j.action == Action::TransportInfo));
}

#[test]
fn xep0177_examples_round_trip() {
    let all = round_trip("xep-0177");
    assert!(all.len() >= 2, "{}", all.len());
    let (_, j) = &all[0];
    assert!(
        matches!(&j.contents[0].transport, Some(Transport::RawUdp(t)) if !t.candidates.is_empty())
    );
}

#[test]
fn jingle_iq_stanzas_parse_as_stanzas() {
    for xep in ["xep-0166", "xep-0167", "xep-0176", "xep-0177"] {
        for ex in examples(xep) {
            let _ = ex;
        }
    }
    let text = std::fs::read_to_string(format!(
        "{}/tests/vectors/xep-0167/01.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let body = text
        .split_once('\n')
        .unwrap()
        .1
        .replacen("<iq ", "<iq xmlns='jabber:client' ", 1);
    let Stanza::Iq(iq) = Stanza::try_from(Element::parse(body.as_bytes()).unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(iq.id, "ih28sx61");
    assert!(Jingle::from_element(iq.payload().unwrap()).is_ok());
}

// [XEP-0320 §1 test] "If the Jingle initiator wishes to use DTLS-SRTP, it includes the
// <fingerprint/> element in its session invitation."
#[test]
fn xep0320_examples_round_trip() {
    use rtclite_xmpp::jingle::{DtlsFingerprint, DtlsSetup};
    let all = round_trip("xep-0320");
    assert_eq!(all.len(), 3, "initiate, accept, transport-info");
    let fingerprint = |j: &Jingle| -> DtlsFingerprint {
        let Some(Transport::IceUdp(t)) = &j.contents[0].transport else {
            panic!()
        };
        let f = t.fingerprints();
        assert_eq!(f.len(), 1);
        f[0].clone()
    };
    let offer = fingerprint(&all[0].1);
    assert_eq!(offer.hash, "sha-256");
    assert_eq!(offer.setup, Some(DtlsSetup::Actpass));
    assert!(offer.value.starts_with("02:1A:CC:54") && offer.value.ends_with("46:19:B2"));
    assert_eq!(fingerprint(&all[1].1).setup, Some(DtlsSetup::Active));
    // [XEP-0320 §1 test] "it MAY include the <fingerprint/> element when sending a
    // transport-info message"
    assert_eq!(all[2].1.action, Action::TransportInfo);
    assert_eq!(fingerprint(&all[2].1).setup, Some(DtlsSetup::Active));
    // The element form of §1 (code block 5) is the same fingerprint as the offer's.
    let code = std::fs::read_to_string(format!(
        "{}/tests/vectors/xep-0320-code/05.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let el = Element::parse(code.as_bytes()).unwrap();
    assert_eq!(DtlsFingerprint::from_element(&el), Some(offer.clone()));
    assert_eq!(
        DtlsFingerprint::from_element(&offer.to_element()),
        Some(offer)
    );
}

// [XEP-0166 §7.2.16 test] "In both scenarios, the error to be returned is &conflict;"
#[test]
fn xep0166_tie_break_error_example() {
    use rtclite_xmpp::jingle::{JingleError, JingleErrorCondition};
    let text = std::fs::read_to_string(format!(
        "{}/tests/vectors/xep-0166/34.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (caption, body) = text.split_once('\n').unwrap();
    assert_eq!(
        caption,
        "caption: Initiator returns conflict error on tie-break"
    );
    // The example has no content namespace declared: it is on a client stream.
    let iq = Element::parse(
        body.replacen("<iq ", "<iq xmlns='jabber:client' ", 1)
            .as_bytes(),
    )
    .unwrap();
    let example = iq.child("error", "jabber:client").unwrap();
    let ours = JingleError::new(JingleErrorCondition::TieBreak)
        .stanza_error
        .to_element("jabber:client");
    assert_eq!(normalize(&ours), normalize(example));
}
