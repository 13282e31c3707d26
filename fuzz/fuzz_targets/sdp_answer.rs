//! rtclite-sdp answer builder: any parsable offer is answered (or refused
//! with an error) without panicking, and an answer always keeps the
//! invariants of RFC 3264 §6 and passes `negotiate`. The property lives in
//! rtclite-sdp's tests, whose regression replay runs the same code.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../rtclite-sdp/tests/support/answer_property.rs"]
mod answer_property;

fuzz_target!(|data: &[u8]| {
    answer_property::check(data, "fuzz input");
});
