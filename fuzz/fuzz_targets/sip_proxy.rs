//! Fuzz target: the SIP proxy (stateful or stateless, by the first byte)
//! fed arbitrary datagrams, requests of every method and routing shape,
//! responses to what it forwarded, stray responses and time steps.
//! Properties (checked by the shared driver in
//! `rtclite-sip/tests/sim/proxy_drive.rs`): nothing panics, the proxy never
//! holds more response contexts or transactions than its limits, no due
//! timer survives `handle_timeout`, and every context and transaction ends
//! by the proxy's own timers once nobody answers.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../rtclite-sip/tests/sim/proxy_drive.rs"]
mod proxy_drive;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = proxy_drive::run(data) {
        panic!("invariant broken: {e}");
    }
});
