//! Fuzz target: the SIP transaction layer fed arbitrary datagrams, message
//! templates of every method and status, time steps, TU responses, new
//! requests and transport errors. Properties (checked by the shared driver
//! in `rtclite-sip/tests/sim/drive.rs`): nothing panics, the layer never
//! holds more transactions than its limit, no due timer survives
//! `handle_timeout`, and every transaction ends by its timers once the TU
//! has answered what waits for it.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../rtclite-sip/tests/sim/drive.rs"]
mod drive;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = drive::run(data) {
        panic!("invariant broken: {e}");
    }
});
