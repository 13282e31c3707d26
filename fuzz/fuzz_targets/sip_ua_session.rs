//! Fuzz target: one SIP `UserAgent` fed arbitrary datagrams, responses and
//! in-dialog requests built from the messages it sent (so they reach its
//! transactions, dialogs, PRACK and re-INVITE paths), time steps and every
//! user command. Properties (checked by the shared driver in
//! `rtclite-sip/tests/sim/ua_drive.rs`): nothing panics, calls and
//! transactions stay within their limits, no due timer survives
//! `handle_timeout`, and once the user has hung up every call, transaction
//! and timer ends by itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../rtclite-sip/tests/sim/ua_drive.rs"]
mod ua_drive;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ua_drive::run(data) {
        panic!("invariant broken: {e}");
    }
});
