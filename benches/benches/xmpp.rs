//! XMPP stanza parsing: rtclite-xmpp against minidom/xmpp-parsers and raw
//! quick-xml events, on the same bytes in the same run.
//!
//! Inputs: a chat message, a presence with caps, and the XEP-0167 example
//! "Initiation" (a Jingle RTP session-initiate with ICE candidates), all cut
//! from the XEP texts by `rtclite-xmpp/tests/vectors/extract.py`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const JINGLE_EXAMPLE: &str = include_str!("../../rtclite-xmpp/tests/vectors/xep-0167/01.xml");
const MESSAGE: &str = "<message xmlns='jabber:client' from='juliet@example.com/balcony' id='ktx72v49' to='romeo@example.net' type='chat' xml:lang='en'><body>Art thou not Romeo, and a Montague?</body><thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread></message>";
const PRESENCE: &str = "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net'><show>away</show><status>be right back</status><priority>1</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://psi-im.org' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/></presence>";

const STREAM_HEADER: &str = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' version='1.0'>";

fn jingle_input() -> String {
    // Drop the caption line; give the stanza the content namespace it has on a stream.
    let body = JINGLE_EXAMPLE
        .split_once('\n')
        .map(|(_, b)| b)
        .unwrap_or_default();
    body.replacen("<iq ", "<iq xmlns='jabber:client' ", 1)
}

fn bench_inputs(c: &mut Criterion) {
    let jingle = jingle_input();
    for (name, input) in [
        ("message", MESSAGE),
        ("presence", PRESENCE),
        ("jingle_session_initiate", jingle.as_str()),
    ] {
        let mut g = c.benchmark_group(format!("xmpp_parse_{name}"));
        g.throughput(Throughput::Bytes(input.len() as u64));
        // Bytes to typed stanza with `Stanza::parse` (the one-level parse;
        // the Jingle payload through the generic tree).
        g.bench_function("rtclite_typed", |b| {
            b.iter(|| {
                let st = rtclite_xmpp::stanza::Stanza::parse(black_box(input.as_bytes())).unwrap();
                if let rtclite_xmpp::stanza::Stanza::Iq(iq) = &st {
                    let j = iq.payload().map(rtclite_xmpp::jingle::Jingle::from_element);
                    black_box(j.is_some());
                }
                black_box(st)
            })
        });
        // What a client runs: the bytes of one stanza fed to an open stream,
        // the typed stanza pulled with `StreamParser::next_typed`.
        g.bench_function("rtclite_stream_typed", |b| {
            let mut p = rtclite_xmpp::xml::StreamParser::new();
            p.feed(STREAM_HEADER.as_bytes());
            assert!(matches!(
                p.next_typed(),
                Ok(Some(rtclite_xmpp::xml::TypedEvent::Xml(_)))
            ));
            b.iter(|| {
                p.feed(black_box(input.as_bytes()));
                let Ok(Some(rtclite_xmpp::xml::TypedEvent::Stanza(st))) = p.next_typed() else {
                    panic!("no stanza")
                };
                if let rtclite_xmpp::stanza::Stanza::Iq(iq) = &st {
                    let j = iq.payload().map(rtclite_xmpp::jingle::Jingle::from_element);
                    black_box(j.is_some());
                }
                black_box(st)
            })
        });
        // The generic path: the tree (`Element::parse`), then typed.
        g.bench_function("rtclite_tree_then_typed", |b| {
            b.iter(|| {
                let el = rtclite_xmpp::xml::Element::parse(black_box(input.as_bytes())).unwrap();
                let st = rtclite_xmpp::stanza::Stanza::try_from(el).unwrap();
                if let rtclite_xmpp::stanza::Stanza::Iq(iq) = &st {
                    let j = iq.payload().map(rtclite_xmpp::jingle::Jingle::from_element);
                    black_box(j.is_some());
                }
                black_box(st)
            })
        });
        g.bench_function("rtclite_tree", |b| {
            b.iter(|| rtclite_xmpp::xml::Element::parse(black_box(input.as_bytes())).unwrap())
        });
        g.bench_function("xmpp_parsers_typed", |b| {
            b.iter(|| {
                let el: minidom::Element = black_box(input).parse().unwrap();
                match el.name() {
                    "iq" => {
                        let iq = xmpp_parsers::iq::Iq::try_from(el).unwrap();
                        if let xmpp_parsers::iq::Iq::Set { payload, .. } = iq {
                            black_box(xmpp_parsers::jingle::Jingle::try_from(payload).is_ok());
                        }
                    }
                    "message" => {
                        black_box(xmpp_parsers::message::Message::try_from(el).unwrap());
                    }
                    _ => {
                        black_box(xmpp_parsers::presence::Presence::try_from(el).unwrap());
                    }
                }
            })
        });
        g.bench_function("minidom_tree", |b| {
            b.iter(|| black_box(input).parse::<minidom::Element>().unwrap())
        });
        g.bench_function("quick_xml_events", |b| {
            b.iter(|| {
                let mut r = quick_xml::Reader::from_str(black_box(input));
                let mut n = 0usize;
                loop {
                    match r.read_event().unwrap() {
                        quick_xml::events::Event::Eof => break,
                        quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                            n += e.attributes().count();
                        }
                        _ => n += 1,
                    }
                }
                n
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench_inputs);
criterion_main!(benches);
