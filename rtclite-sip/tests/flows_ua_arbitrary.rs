//! The UA core fed arbitrary inputs (the driver of the `sip_ua_session`
//! fuzz target, `tests/sim/ua_drive.rs`): no panic, bounded state, no due
//! timer left after `handle_timeout`, and every call, transaction and timer
//! ends once the user has hung up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_inputs_keep_the_ua_sound(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Err(e) = sim::ua_drive::run(&data) {
            panic!("{e}");
        }
    }
}

/// Each regression input found by fuzzing, replayed.
#[test]
fn fuzz_regressions() {
    let dir = format!(
        "{}/tests/regressions/sip_ua_session",
        env!("CARGO_MANIFEST_DIR")
    );
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        let data = std::fs::read(&p).unwrap();
        if let Err(err) = sim::ua_drive::run(&data) {
            panic!("{}: {err}", p.display());
        }
    }
}
