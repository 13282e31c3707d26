//! Random input sequences (datagrams, templates of every method and status,
//! time steps, TU responses, transport errors) never panic the transaction
//! layer, never push it past its limit, and every transaction it creates
//! ends by its timers. The same driver backs the cargo-fuzz target
//! `sip_ua_transactions`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

#[path = "sim/drive.rs"]
mod drive;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_input_sequences_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert_eq!(drive::run(&data), Ok(()));
    }

    #[test]
    fn template_heavy_sequences_keep_the_invariants(
        ops in proptest::collection::vec((64u8..=255, any::<u8>(), any::<u8>()), 0..200)
    ) {
        let data: Vec<u8> = ops.into_iter().flat_map(|(a, b, c)| [a, b, c]).collect();
        prop_assert_eq!(drive::run(&data), Ok(()));
    }
}
