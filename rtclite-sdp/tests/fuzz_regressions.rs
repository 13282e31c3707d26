//! Every input the `sdp_answer` fuzz target once failed on
//! (`tests/regressions/sdp_answer/`), replayed through the target's own
//! property (`tests/support/answer_property.rs`, which the target includes
//! too): an offer that parses is answered or refused without panicking,
//! the answer keeps the m-line count, media types and zero ports of
//! RFC 3264 §6, and our own answer passes `negotiate`.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/answer_property.rs"]
mod answer_property;

#[test]
fn sdp_answer_fuzz_regressions() {
    let dir = format!(
        "{}/tests/regressions/sdp_answer",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        n += 1;
        let data = std::fs::read(&p).unwrap();
        answer_property::check(&data, &p.display().to_string());
    }
    assert!(n > 0, "no regression inputs in {dir}");
}
