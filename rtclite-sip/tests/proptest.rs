//! Property tests: generated messages survive write → parse; arbitrary and
//! mutated bytes never panic any parser or accessor; the stream framer
//! finds the same messages however the stream is cut.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use proptest::prelude::*;
use rtclite_sip::digest::{Challenge, Credentials};
use rtclite_sip::{Frame, HeaderName, Message, StreamFramer, Uri, validate};

/// Calls every accessor; none may panic, whatever they return.
fn exercise(m: &Message<'_>) {
    let _ = validate(m);
    let _ = m.request_uri_parsed();
    let _ = m.via().count();
    let _ = (m.from(), m.to(), m.call_id(), m.cseq());
    let _ = (
        m.max_forwards(),
        m.content_length(),
        m.expires(),
        m.min_expires(),
    );
    let _ = (
        m.rseq(),
        m.rack(),
        m.content_type(),
        m.timestamp(),
        m.date(),
    );
    let _ = m.contacts().count() + m.routes().count() + m.record_routes().count();
    let _ = m.warnings().count();
    for name in HeaderName::ALL {
        let _ = m.tokens(*name).count();
        let _ = m.value_params(*name).count();
        let _ = m.name_addrs(*name).count();
    }
    for v in m.auth(HeaderName::Authorization).flatten() {
        let _ = Credentials::parse(&v);
    }
    for v in m.auth(HeaderName::WwwAuthenticate).flatten() {
        let _ = Challenge::parse(&v);
    }
    for h in m.headers() {
        let _ = h.value();
        let _ = Uri::parse(h.raw_value());
    }
}

fn torture() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/vectors/rfc4475", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    v.sort();
    v
}

const METHODS: &[&str] = &["INVITE", "ACK", "BYE", "OPTIONS", "REGISTER", "X-CUSTOM.1"];

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,11}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z][a-z0-9]{0,5}){0,2}",
        (0u8..=255, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        any::<[u16; 8]>().prop_map(|s| format!("[{}]", std::net::Ipv6Addr::from(s))),
    ]
}

#[derive(Debug, Clone)]
struct Gen {
    method: &'static str,
    user: String,
    host: String,
    port: Option<u16>,
    branch: String,
    tag: String,
    call_id: String,
    seq: u32,
    extra: Vec<(String, String)>,
    fold: bool,
    body: Vec<u8>,
}

fn gen_msg() -> impl Strategy<Value = Gen> {
    (
        prop::sample::select(METHODS),
        "[a-zA-Z0-9._!~*'()&=+$,;?/-]{1,12}",
        host(),
        proptest::option::of(1u16..),
        token(),
        token(),
        token(),
        0u32..(1 << 31),
        prop::collection::vec((("X-[A-Za-z]{1,8}"), "[ -~&&[^\\r\\n]]{0,30}"), 0..5),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(method, user, host, port, branch, tag, call_id, seq, extra, fold, body)| Gen {
                method,
                user,
                host,
                port,
                branch,
                tag,
                call_id,
                seq,
                extra,
                fold,
                body,
            },
        )
}

fn render(g: &Gen) -> Vec<u8> {
    let port = g.port.map(|p| format!(":{p}")).unwrap_or_default();
    let uri = format!("sip:{}@{}{}", g.user, g.host, port);
    let mut s = format!(
        "{m} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {h}{port};branch=z9hG4bK{b}\r\nFrom: <sip:a@example.com>;tag={t}\r\nTo: <{uri}>\r\nCall-ID: {c}\r\nCSeq: {q} {m}\r\n",
        m = g.method,
        h = g.host,
        b = g.branch,
        t = g.tag,
        c = g.call_id,
        q = g.seq
    );
    for (n, v) in &g.extra {
        let v = v.trim();
        if g.fold {
            s.push_str(&format!("{n}: {v}\r\n  folded\r\n"));
        } else {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n", g.body.len()));
    let mut b = s.into_bytes();
    b.extend_from_slice(&g.body);
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_round_trip(g in gen_msg()) {
        let wire = render(&g);
        let m = Message::parse(&wire).unwrap();
        let v = validate(&m);
        prop_assert!(v.is_ok(), "{:?} on {}", v, String::from_utf8_lossy(&wire));
        prop_assert_eq!(m.method().unwrap().as_str(), g.method);
        let via = m.top_via().unwrap();
        let branch = format!("z9hG4bK{}", g.branch);
        prop_assert_eq!(via.branch(), Some(branch.as_str()));
        prop_assert_eq!(via.port, g.port);
        prop_assert_eq!(m.from().unwrap().tag(), Some(g.tag.as_str()));
        prop_assert_eq!(m.call_id().unwrap(), g.call_id.as_str());
        prop_assert_eq!(m.cseq().unwrap().seq, g.seq);
        prop_assert_eq!(m.body(), &g.body[..]);
        let uri = m.request_uri_parsed().unwrap().unwrap();
        prop_assert_eq!(uri.as_sip().unwrap().user, Some(g.user.as_str()));
        // write → parse gives the same message, and writing is idempotent
        let written = m.to_vec();
        let again = Message::parse(&written).unwrap();
        prop_assert_eq!(again.to_vec(), written.clone());
        let a: Vec<_> = m.headers().map(|h| (h.canonical_name().to_owned(), h.value().into_owned())).collect();
        let b: Vec<_> = again.headers().map(|h| (h.canonical_name().to_owned(), h.value().into_owned())).collect();
        prop_assert_eq!(a, b);
        prop_assert_eq!(again.body(), m.body());
        // the owned form gives the same view
        let owned = m.to_owned_message();
        prop_assert_eq!(owned.message().to_vec(), written);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(m) = Message::parse(&bytes) {
            exercise(&m);
            let w = m.to_vec();
            let again = Message::parse(&w).unwrap();
            prop_assert_eq!(again.to_vec(), w);
        }
        let mut f = StreamFramer::new();
        f.push(&bytes);
        for _ in 0..bytes.len() + 1 {
            match f.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }

    #[test]
    fn mutated_torture_messages_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let all = torture();
        let mut b = all[pick.index(all.len())].clone();
        for (at, byte) in edits {
            let i = at.index(b.len());
            b[i] = byte;
        }
        if let Ok(m) = Message::parse(&b) {
            exercise(&m);
        }
    }

    #[test]
    fn framer_is_independent_of_how_the_stream_is_cut(
        gens in prop::collection::vec(gen_msg(), 1..4),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        keepalive in any::<bool>(),
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for g in &gens {
            if keepalive {
                stream.extend_from_slice(b"\r\n\r\n");
            }
            let w = render(g);
            expected.push(w.clone());
            stream.extend_from_slice(&w);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        points.push(0);
        points.push(stream.len());
        points.sort_unstable();
        let mut f = StreamFramer::new();
        let mut got = Vec::new();
        let mut pings = 0;
        for w in points.windows(2) {
            f.push(&stream[w[0]..w[1]]);
            while let Some(frame) = f.next_frame().unwrap() {
                match frame {
                    Frame::Message(m) => got.push(m.bytes().to_vec()),
                    Frame::Ping => pings += 1,
                    Frame::Pong => {}
                    _ => {}
                }
            }
        }
        prop_assert_eq!(got, expected);
        if keepalive && points.iter().all(|p| !(1..4).contains(p)) {
            prop_assert!(pings >= 1);
        }
        prop_assert_eq!(f.buffered(), 0);
    }
}

/// One generated challenge: a scheme and its auth-params as written.
fn gen_challenge() -> impl Strategy<Value = (String, Vec<String>)> {
    let value = prop_oneof![
        "[A-Za-z0-9._~-]{1,8}",
        // quoted values that hold what would otherwise split a challenge:
        // commas, '=', spaces, a scheme-looking word
        "\"[A-Za-z0-9 ,=]{0,10}\"",
        Just("\"Digest realm=x, nonce=y\"".to_owned()),
    ];
    let param = ("[a-z][a-z0-9-]{0,6}", value).prop_map(|(n, v)| format!("{n}={v}"));
    (
        prop_oneof![Just("Digest"), Just("Basic"), Just("Newauth")],
        prop::collection::vec(param, 0..4),
    )
        .prop_map(|(s, p)| (s.to_owned(), p))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Challenges joined into one header field value (RFC 7235 §4.1) split
    /// back into the same schemes and parameter lists.
    #[test]
    fn challenges_in_one_value_split_back(
        chs in prop::collection::vec(gen_challenge(), 1..5),
        sep in prop_oneof![Just(", "), Just(","), Just(" ,  ")],
    ) {
        let line = chs
            .iter()
            .map(|(s, p)| {
                if p.is_empty() { s.clone() } else { format!("{s} {}", p.join(sep)) }
            })
            .collect::<Vec<_>>()
            .join(sep);
        let got: Vec<_> = rtclite_sip::headers::AuthValue::parse_challenges(&line)
            .map(|r| r.map(|v| {
                let params: Vec<String> = v
                    .params()
                    .map(|(n, v)| format!("{n}={}", v.unwrap_or_default()))
                    .collect();
                (v.scheme.to_owned(), params)
            }))
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(format!("{e} in {line}")))?;
        prop_assert_eq!(got, chs, "{}", line);
    }
}

/// Each input the `sip_parse` fuzz target once failed on, replayed through
/// the same property: parsing never panics, and a message that parses
/// writes back to bytes that parse and write identically.
#[test]
fn sip_parse_fuzz_regressions() {
    let dir = format!("{}/tests/regressions/sip_parse", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let data = std::fs::read(&p).unwrap();
        if let Ok(m) = Message::parse(&data) {
            exercise(&m);
            let w = m.to_vec();
            let again = Message::parse(&w)
                .unwrap_or_else(|e| panic!("{}: written form fails: {e}", p.display()));
            assert_eq!(
                again.to_vec(),
                w,
                "{}: writing is not idempotent",
                p.display()
            );
        }
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {dir}");
}

/// A CR in the header section that does not start a CRLF is rejected with
/// the rule it breaks (RFC 3261 §7); the first fuzz regression above was a
/// bare CR at the start of a folded value, which the writer turned into SP.
#[test]
fn bare_cr_in_a_header_line_is_an_error() {
    let msg = b"OPTIONS sip:a@b SIP/2.0\r\nX-A: 1\r2\r\nCall-ID: x\r\n\r\n";
    let e = Message::parse(msg).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("CR not followed by LF"), "{text}");
    assert!(text.contains("RFC 3261 §7"), "{text}");
    assert_eq!(e.offset(), Some(31), "{text}");
    // CRLF and bare LF both still end lines, and a datagram may end in CR
    assert!(Message::parse(b"OPTIONS sip:a@b SIP/2.0\nX-A: 1\r\n\r\n").is_ok());
    assert!(Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nX-A: 1\r").is_ok());
}
