//! insta snapshots of what the parser makes of the valid RFC 4475 and
//! RFC 5118 messages: start line, every header field (canonical name,
//! unfolded value), the typed core fields and the body length. A change in
//! parsing shows up as a reviewed snapshot diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use std::fmt::Write as _;

use rtclite_sip::{Message, validate};

fn describe(m: &Message<'_>) -> String {
    let mut s = String::new();
    match (m.method(), m.request_uri(), m.status(), m.reason()) {
        (Some(me), Some(u), _, _) => writeln!(s, "request {} {u}", me.as_str()).unwrap(),
        (_, _, Some(c), r) => writeln!(s, "response {c} {:?}", r.unwrap_or_default()).unwrap(),
        _ => unreachable!(),
    }
    for h in m.headers() {
        writeln!(s, "  {}: {:?}", h.canonical_name(), h.value()).unwrap();
    }
    for v in m.via() {
        let v = v.unwrap();
        writeln!(
            s,
            "via {} host={} port={:?} branch={:?} received={:?} rport={:?}",
            v.protocol(),
            v.host,
            v.port,
            v.branch(),
            v.received(),
            v.rport()
        )
        .unwrap();
    }
    let (from, to) = (m.from().unwrap(), m.to().unwrap());
    writeln!(
        s,
        "from {:?} <{}> tag={:?}",
        from.display_name(),
        from.uri_str(),
        from.tag()
    )
    .unwrap();
    writeln!(
        s,
        "to {:?} <{}> tag={:?}",
        to.display_name(),
        to.uri_str(),
        to.tag()
    )
    .unwrap();
    writeln!(s, "call-id {}", m.call_id().unwrap()).unwrap();
    writeln!(s, "cseq {}", m.cseq().unwrap()).unwrap();
    writeln!(s, "body {} bytes", m.body().len()).unwrap();
    s
}

fn snapshot_dir(dir: &str) {
    let path = format!("{}/tests/vectors/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut n = 0;
    for p in files {
        let bytes = std::fs::read(&p).unwrap();
        let Ok(m) = Message::parse(&bytes) else {
            continue;
        };
        if validate(&m).is_err() {
            continue;
        }
        let name = p.file_stem().unwrap().to_string_lossy().replace('.', "_");
        insta::assert_snapshot!(format!("{dir}_{name}"), describe(&m));
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn rfc4475_valid_messages() {
    snapshot_dir("rfc4475");
}

#[test]
fn rfc5118_valid_messages() {
    snapshot_dir("rfc5118");
}
