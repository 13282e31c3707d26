//! A borrowed parse allocates nothing: `Message::parse` and the typed
//! accessors a transaction layer needs (topmost Via, From, To, Call-ID,
//! CSeq) run without touching the heap. Measured with a counting global
//! allocator (allocation-counter), in this test binary only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may panic

use rtclite_sip::Message;

#[test]
fn borrowed_parse_and_typed_access_do_not_allocate() {
    let dir = format!("{}/tests/vectors/rfc3665", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let mut parsed = 0;
    for bytes in &inputs {
        let info = allocation_counter::measure(|| {
            if let Ok(m) = Message::parse(bytes) {
                let via = m.top_via().unwrap();
                let from = m.from().unwrap();
                let to = m.to().unwrap();
                let call_id = m.call_id().unwrap();
                let cseq = m.cseq().unwrap();
                std::hint::black_box((via.branch(), from.tag(), to.uri_str(), call_id, cseq.seq));
                std::hint::black_box(m.headers().count());
                std::hint::black_box(m.max_forwards());
                parsed += 1;
            }
        });
        assert_eq!(info.count_total, 0, "allocations while parsing a message");
    }
    assert_eq!(parsed, 177);
    // the counter does see allocations: writing the message allocates
    let m = Message::parse(&inputs[0]).unwrap();
    let info = allocation_counter::measure(|| {
        std::hint::black_box(m.to_vec());
    });
    assert!(info.count_total > 0);
}
