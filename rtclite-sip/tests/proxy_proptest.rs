//! Random input sequences (datagrams, requests of every method and routing
//! shape, responses to what the proxy forwarded, stray responses, time
//! steps) never panic the proxy, never push it past its bounds (contexts,
//! transactions), and every context and transaction it creates ends by its
//! timers once nobody answers. The same driver backs the cargo-fuzz target
//! `sip_proxy`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

#[path = "sim/proxy_drive.rs"]
mod proxy_drive;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        prop_assert!(proxy_drive::run(&data).is_ok(), "{:?}", proxy_drive::run(&data));
    }

    #[test]
    fn template_sequences_keep_the_invariants(
        stateless in any::<bool>(),
        ops in proptest::collection::vec((48u8..=255, any::<u8>(), any::<u8>()), 0..160)
    ) {
        let mut data = vec![u8::from(stateless)];
        data.extend(ops.into_iter().flat_map(|(a, b, c)| [a, b, c]));
        prop_assert!(proxy_drive::run(&data).is_ok(), "{:?}", proxy_drive::run(&data));
    }
}

/// The driver reaches the proxy's interesting states: an INVITE forked to
/// two contacts, ringing, answered, the other branch CANCELled; contexts
/// created and all ended.
#[test]
fn a_scripted_run_forks_answers_and_cancels() {
    // INVITE to bob (selector 0 = INVITE, variant 96 = bob, no Route,
    // Max-Forwards 70); 180 to forwarded #1 (code 1), 200 to forwarded #0
    // (code 3); 2 s pass.
    let data = [0u8, 48, 0, 96, 112, 1, 1, 112, 0, 3, 176, 4, 0];
    let stats = proxy_drive::run(&data).unwrap();
    assert_eq!(stats.peak_contexts, 1);
    // Two INVITEs, a CANCEL (plus its retransmissions), the ACK is the UAC's.
    assert!(stats.requests_sent >= 3, "{stats:?}");
    // 100, 180, 200 (plus retransmissions of nothing: the 2xx is the UAS's).
    assert!(stats.responses_sent >= 3, "{stats:?}");
}
