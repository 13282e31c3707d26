//! The RFC 4103 §5.4 reorder wait of `T140Reassembler`: blocks after a gap
//! wait up to one second for the missing packet, redundancy fills gaps at
//! once, and what never arrives is marked with U+FFFD (RFC 4103 §5.3).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtclite_rtp::payload::t140::{
    MISSING_TEXT_MARKER, REORDER_WAIT, T140Output, T140Reassembler, T140Sender,
};

/// Packetizes `texts`, one per 300 ms, with `generations` of redundancy.
fn packets(texts: &[&str], generations: usize) -> Vec<Vec<u8>> {
    let mut tx = T140Sender::new(98, generations);
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut buf = [0u8; 256];
            let n = tx
                .packetize(300 * i as u32, t.as_bytes(), &mut buf)
                .unwrap();
            buf[..n].to_vec()
        })
        .collect()
}

fn text(rx: &mut T140Reassembler) -> String {
    let mut out = Vec::new();
    rx.read_text(&mut out);
    String::from_utf8(out).unwrap()
}

const M: &str = MISSING_TEXT_MARKER;

#[test]
fn reorder_wait_defaults_to_one_second() {
    // [RFC 4103 §5.4 test] "It is RECOMMENDED that the waiting time be limited
    // to 1 second."
    assert_eq!(REORDER_WAIT, Duration::from_secs(1));
}

#[test]
fn late_packet_within_the_wait_is_put_back_in_place() {
    let t0 = Instant::now();
    let p = packets(&["a", "b", "c", "d"], 0);
    let mut rx = T140Reassembler::new();
    rx.handle_input(t0, 100, &p[0]).unwrap();
    rx.handle_input(t0, 102, &p[2]).unwrap();
    rx.handle_input(t0, 103, &p[3]).unwrap();
    assert_eq!(text(&mut rx), "a", "c and d wait for b");
    // [RFC 4103 §5.4 test] "the received packet SHOULD be kept in a buffer to
    // allow time for the missing packet(s) to arrive"
    assert_eq!(rx.poll_timeout(), Some(t0 + REORDER_WAIT));
    rx.handle_timeout(t0 + Duration::from_millis(999));
    assert_eq!(text(&mut rx), "");
    rx.handle_input(t0 + Duration::from_millis(999), 101, &p[1])
        .unwrap();
    // [RFC 4103 §5.4 test] "this T140block is inserted into the gap and then
    // consecutive T140blocks from the leading edge of the gap may be
    // consumed"
    assert_eq!(text(&mut rx), "bcd");
    assert_eq!(rx.poll_timeout(), None);
    // The late packet's duplicate changes nothing.
    rx.handle_input(t0 + Duration::from_secs(2), 101, &p[1])
        .unwrap();
    assert_eq!(rx.poll_output(), None);
}

#[test]
fn packet_that_never_arrives_is_marked_lost_when_the_wait_ends() {
    let t0 = Instant::now();
    let p = packets(&["a", "b", "c", "d", "e"], 0);
    let mut rx = T140Reassembler::new();
    rx.handle_input(t0, 1, &p[0]).unwrap();
    rx.handle_input(t0 + Duration::from_millis(300), 3, &p[2])
        .unwrap();
    rx.handle_input(t0 + Duration::from_millis(600), 5, &p[4])
        .unwrap();
    assert_eq!(text(&mut rx), "a");
    let first_deadline = t0 + Duration::from_millis(1300);
    assert_eq!(rx.poll_timeout(), Some(first_deadline));
    // [RFC 4103 §5.4 test] "Any T140block that does not arrive before the time
    // limit expires should be treated as lost and a missing text marker should
    // be inserted"
    rx.handle_timeout(first_deadline);
    assert_eq!(rx.poll_output(), Some(T140Output::Lost { blocks: 1 }));
    assert_eq!(rx.poll_output(), Some(T140Output::Text(b"c".to_vec())));
    // The next gap (block 4) waits on the packet after it, which came later.
    assert_eq!(rx.poll_timeout(), Some(t0 + Duration::from_millis(1600)));
    rx.handle_timeout(t0 + Duration::from_millis(1600));
    assert_eq!(text(&mut rx), format!("{M}e"));
    // The lost block arriving afterwards is ignored.
    rx.handle_input(t0 + Duration::from_secs(3), 2, &p[1])
        .unwrap();
    assert_eq!(text(&mut rx), "");
}

#[test]
fn redundancy_fills_a_gap_without_waiting() {
    let t0 = Instant::now();
    let p = packets(&["H", "e", "l", "l", "o"], 2);
    let mut rx = T140Reassembler::new();
    rx.handle_input(t0, 10, &p[0]).unwrap();
    // 11 and 12 lost; 13 carries both as redundancy.
    rx.handle_input(t0, 13, &p[3]).unwrap();
    assert_eq!(text(&mut rx), "Hell");
    assert_eq!(rx.poll_timeout(), None);
    // Packets arriving in reverse order still read in order.
    let mut rx = T140Reassembler::new();
    rx.handle_input(t0, 10, &p[0]).unwrap();
    for seq in [14u16, 13, 12, 11] {
        rx.handle_input(t0, seq, &p[usize::from(seq - 10)]).unwrap();
    }
    assert_eq!(text(&mut rx), "Hello");
}

#[test]
fn excluded_redundancy_levels_count_as_empty_blocks() {
    let t0 = Instant::now();
    let mut tx = T140Sender::new(98, 2);
    let mut pkt = |ts: u32, t: &str| {
        let mut buf = [0u8; 64];
        let n = tx.packetize(ts, t.as_bytes(), &mut buf).unwrap();
        buf[..n].to_vec()
    };
    // Text, then the idle-period empty blocks, then text long after: the
    // empty blocks are too old to be carried as redundancy any more.
    let p0 = pkt(0, "a");
    let p1 = pkt(300, "b");
    let p2 = pkt(600, "c");
    let p3 = pkt(900, "d");
    let _lost4 = pkt(1200, "");
    let _lost5 = pkt(1500, "");
    let p6 = pkt(60_000, "x");
    let mut rx = T140Reassembler::new();
    for (seq, p) in [(0, &p0), (1, &p1), (2, &p2), (3, &p3)] {
        rx.handle_input(t0, seq, p).unwrap();
    }
    rx.handle_input(t0, 6, &p6).unwrap();
    // [RFC 4103 §5.3 test] "it SHOULD be treated as if one empty T140block has
    // been received for each excluded level in the received packet"
    assert_eq!(text(&mut rx), "abcdx", "no false loss marker, no wait");
    assert_eq!(rx.poll_timeout(), None);
}

#[test]
fn a_packet_far_ahead_ends_the_wait_at_once_and_memory_stays_bounded() {
    let t0 = Instant::now();
    let p = packets(&["a", "b"], 0);
    let mut rx = T140Reassembler::new();
    rx.handle_input(t0, 0, &p[0]).unwrap();
    rx.handle_input(t0, 1000, &p[1]).unwrap();
    assert_eq!(rx.poll_output(), Some(T140Output::Text(b"a".to_vec())));
    assert_eq!(rx.poll_output(), Some(T140Output::Lost { blocks: 999 }));
    assert_eq!(rx.poll_output(), Some(T140Output::Text(b"b".to_vec())));
    // Zero wait: a gap is marked as soon as it is seen.
    let mut rx = T140Reassembler::with_wait(Duration::ZERO);
    rx.handle_input(t0, 0, &p[0]).unwrap();
    rx.handle_input(t0, 2, &p[1]).unwrap();
    assert_eq!(text(&mut rx), format!("a{M}b"));
    assert!(rx.handle_input(t0, 3, &[0x80]).is_err(), "truncated RED");
}

proptest! {
    /// Any arrival order with any delays under the wait, and duplicates,
    /// yields exactly the text sent; with drops, every lost block is one
    /// marker once the waits have ended, and nothing is ever reordered.
    #[test]
    fn any_order_reassembles_the_stream(
        order in Just((0..30usize).collect::<Vec<_>>()).prop_shuffle(),
        delays in proptest::collection::vec(0u64..900, 30),
        dups in proptest::collection::vec(any::<bool>(), 30),
        drops in proptest::collection::vec(0u8..10, 30),
    ) {
        let texts: Vec<String> = (0..30).map(|i| format!("<{i}>")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let p = packets(&refs, 0);
        let t0 = Instant::now();
        // Packet 0 first (it fixes the start), the rest shuffled, each after
        // its delay; some dropped (drops[i] == 0) when `lossy`.
        for lossy in [false, true] {
            let mut rx = T140Reassembler::new();
            rx.handle_input(t0, 500, &p[0]).unwrap();
            let mut arrivals: Vec<(u64, usize)> = order
                .iter()
                .filter(|&&i| i != 0 && !(lossy && drops[i] == 0))
                .map(|&i| (delays[i], i))
                .collect();
            arrivals.sort();
            for (ms, i) in arrivals {
                let now = t0 + Duration::from_millis(ms);
                rx.handle_timeout(now);
                for _ in 0..=usize::from(dups[i]) {
                    rx.handle_input(now, 500 + i as u16, &p[i]).unwrap();
                }
            }
            let mut out = Vec::new();
            rx.read_text(&mut out);
            while let Some(t) = rx.poll_timeout() {
                rx.handle_timeout(t);
                rx.read_text(&mut out);
            }
            let expected: String = (0..30)
                .map(|i| if lossy && i != 0 && drops[i] == 0 {
                    // the last blocks, if lost, are never seen as a gap
                    if (i..30).all(|j| drops[j] == 0) { String::new() } else { M.to_owned() }
                } else {
                    texts[i].clone()
                })
                .collect();
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }

    #[test]
    fn reassembler_never_panics_on_arbitrary_payloads(
        inputs in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..40), 0u64..3000), 0..40),
    ) {
        let t0 = Instant::now();
        let mut rx = T140Reassembler::new();
        let mut out = Vec::new();
        let mut inputs = inputs;
        inputs.sort_by_key(|i| i.2);
        for (seq, bytes, ms) in inputs {
            let now = t0 + Duration::from_millis(ms);
            let _ = rx.handle_input(now, seq, &bytes);
            rx.handle_timeout(now);
            rx.read_text(&mut out);
            if let Some(t) = rx.poll_timeout() {
                prop_assert!(t <= now + REORDER_WAIT);
            }
        }
    }
}
