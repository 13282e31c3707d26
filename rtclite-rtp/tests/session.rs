//! RFC 3550 Appendix A algorithms and the session state machine, checked on
//! hand-computed cases and on a simulated two-party call.

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rtclite_rtp::Ssrc;
use rtclite_rtp::demux::{PacketKind, classify};
use rtclite_rtp::rtcp::{Compound, RtcpPacket};
use rtclite_rtp::rtp::{RtpPacket, RtpPacketBuilder};
use rtclite_rtp::session::{
    IntervalParams, JitterEstimator, RtpVerdict, SeqVerdict, SequenceTracker, Session,
    SessionConfig, SessionEvent,
};

#[test]
fn probation_needs_two_sequential_packets() {
    // [RFC 3550 §A.1 test] "a source is declared valid only after
    // MIN_SEQUENTIAL packets have been received in sequence"
    let mut s = SequenceTracker::new(10);
    assert_eq!(s.update(10), SeqVerdict::Probation);
    assert!(!s.is_valid());
    // Out of sequence: probation restarts from this packet.
    assert_eq!(s.update(12), SeqVerdict::Probation);
    assert_eq!(s.update(13), SeqVerdict::Valid);
    assert!(s.is_valid());
    // init_seq ran on the validating packet: it is the base and counted once.
    assert_eq!((s.received(), s.expected(), s.extended_max()), (1, 1, 13));
}

#[test]
fn probation_across_the_wrap_validates() {
    let mut s = SequenceTracker::new(65535);
    assert_eq!(s.update(65535), SeqVerdict::Probation);
    assert_eq!(s.update(0), SeqVerdict::Valid);
}

#[test]
fn sequence_wrap_at_65535_counts_a_cycle() {
    // [RFC 3550 §A.1 test] "it has wrapped around and the (shifted) count of
    // sequence number cycles is incremented"
    let mut s = SequenceTracker::new(65533);
    assert_eq!(s.update(65533), SeqVerdict::Probation);
    for seq in [65534u16, 65535, 0, 1, 3] {
        assert_eq!(s.update(seq), SeqVerdict::Valid, "seq {seq}");
    }
    // Base 65534, highest 65536 + 3: expected 6, received 5, one lost (2).
    assert_eq!(s.extended_max(), 65539);
    assert_eq!(s.expected(), 6);
    assert_eq!(s.received(), 5);
    assert_eq!(s.cumulative_lost(), 1);
    // 256 * 1 / 6 = 42:
    // [RFC 3550 §A.3 test] "fraction = (lost_interval << 8) /
    // expected_interval;"
    assert_eq!(s.take_fraction_lost(), 42);
    // Nothing new since: the next interval has no loss.
    assert_eq!(s.take_fraction_lost(), 0);
}

#[test]
fn restart_after_a_large_jump_needs_two_sequential_packets() {
    // [RFC 3550 §A.1 test] "If the next packet received carries the next
    // higher sequence number, it is considered the valid start of a new
    // packet sequence"
    let mut s = SequenceTracker::new(100);
    s.update(100);
    s.update(101);
    s.update(102);
    assert_eq!(s.update(10_000), SeqVerdict::BadJump);
    assert_eq!(s.received(), 2);
    assert_eq!(s.update(10_001), SeqVerdict::Restarted);
    // Statistics were reset: base 10001, one packet.
    assert_eq!((s.received(), s.expected(), s.cumulative_lost()), (1, 1, 0));
    assert_eq!(s.update(10_002), SeqVerdict::Valid);
    assert_eq!(s.extended_max(), 10_002);
}

#[test]
fn unconfirmed_jump_is_dropped_and_the_old_sequence_continues() {
    let mut s = SequenceTracker::new(100);
    s.update(100);
    s.update(101);
    assert_eq!(s.update(40_000), SeqVerdict::BadJump);
    assert_eq!(s.update(102), SeqVerdict::Valid);
    assert_eq!(s.extended_max(), 102);
    // A late packet (within MAX_MISORDER) is counted but does not move max.
    assert_eq!(s.update(99), SeqVerdict::Valid);
    assert_eq!(s.extended_max(), 102);
    // Duplicates make the loss negative: base 101, expected 2, received 3.
    assert_eq!(s.cumulative_lost(), -1);
}

#[test]
fn jitter_on_a_known_arrival_pattern() {
    // 8 kHz, 20 ms packets (160 units); arrivals (in timestamp units)
    // 1000, 1160, 1400, 1480, 1640: transits 1000, 1000, 1080, 1000, 1000,
    // so |D| = 0, 80, 80, 0. Integer A.8 arithmetic (J scaled by 16):
    //   J = 0 + 0 - 0 = 0;  J = 0 + 80 - 0 = 80;  J = 80 + 80 - 5 = 155;
    //   J = 155 + 0 - 10 = 145.  Reported J >> 4: 0, 5, 9, 9.
    // (The floating-point form gives 0, 5, 9.69, 9.08.)
    // [RFC 3550 §A.8 test] "s->jitter += d - ((s->jitter + 8) >> 4);"
    let mut j = JitterEstimator::new();
    let mut reported = Vec::new();
    for (arrival, ts) in [
        (1000u32, 0u32),
        (1160, 160),
        (1400, 320),
        (1480, 480),
        (1640, 640),
    ] {
        j.update(arrival, ts);
        reported.push(j.jitter());
    }
    assert_eq!(reported, vec![0, 0, 5, 9, 9]);
}

#[test]
fn jitter_handles_timestamp_wrap() {
    let mut j = JitterEstimator::new();
    j.update(100, u32::MAX - 159);
    j.update(260 + 16, 0); // 16 units late across the wrap
    assert_eq!(j.jitter(), 1);
}

fn params(
    members: usize,
    senders: usize,
    we_sent: bool,
    avg: f64,
    initial: bool,
) -> IntervalParams {
    IntervalParams {
        members,
        senders,
        rtcp_bw: 400.0,
        we_sent,
        avg_rtcp_size: avg,
        initial,
        min_time: 5.0,
    }
}

#[test]
fn interval_minimum_is_5s_and_2_5s_initially() {
    // [RFC 3550 §6.3.1 test] "If the participant has not yet sent an RTCP
    // packet (the variable initial is true), the constant Tmin is set to
    // 2.5 seconds, else it is set to 5 seconds."
    assert_eq!(params(2, 0, false, 100.0, true).deterministic(), 2.5);
    assert_eq!(params(2, 0, false, 100.0, false).deterministic(), 5.0);
}

#[test]
fn interval_bandwidth_shares() {
    // Receivers share 75%: 1000 members * 100 B / 300 B/s = 333.33 s.
    let td = params(1000, 0, false, 100.0, false).deterministic();
    assert!((td - 1000.0 * 100.0 / 300.0).abs() < 1e-9);
    // A sender among few senders shares 25% with the senders: 2 * 1000 / 100.
    assert_eq!(params(10, 2, true, 1000.0, false).deterministic(), 20.0);
    // More than 25% senders: everyone shares all: 4 * 1000 / 400.
    assert_eq!(params(4, 2, true, 1000.0, false).deterministic(), 10.0);
}

#[test]
fn interval_randomisation_spans_half_to_one_and_a_half_over_e_minus_1_5() {
    // [RFC 3550 §6.3.1 test] "The calculated interval T is set to a number
    // uniformly distributed between 0.5 and 1.5 times the deterministic
    // calculated interval."
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let p = params(2, 0, false, 100.0, false);
    let comp = std::f64::consts::E - 1.5;
    assert!((comp - 1.21828).abs() < 1e-5);
    let (lo, hi) = (5.0 * 0.5 / comp, 5.0 * 1.5 / comp);
    let mut min = f64::MAX;
    let mut max = 0.0f64;
    let mut sum = 0.0;
    for _ in 0..20_000 {
        let t = p.randomized(&mut rng).as_secs_f64();
        assert!(t >= lo - 1e-9 && t < hi, "{t}");
        min = min.min(t);
        max = max.max(t);
        sum += t;
    }
    assert!(min - lo < 0.01 && hi - max < 0.01, "{min} {max}");
    let mean = sum / 20_000.0;
    assert!((mean - 5.0 / comp).abs() < 0.03, "{mean}");
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn rtp(ssrc: u32, seq: u16, ts: u32) -> Vec<u8> {
    let b = RtpPacketBuilder {
        payload_type: 0,
        sequence_number: seq,
        timestamp: ts,
        ssrc: Ssrc(ssrc),
        payload: &[0xd5; 160],
        ..Default::default()
    };
    let mut out = vec![0u8; 200];
    let n = b.write_to(&mut out).unwrap();
    out.truncate(n);
    out
}

fn session(ssrc: u32, now: Instant, seed: u64) -> Session<ChaCha8Rng> {
    let cfg = SessionConfig::new(
        Ssrc(ssrc),
        format!("user{ssrc}@host").into_bytes(),
        8000,
        64_000,
    );
    Session::new(cfg, now, ChaCha8Rng::seed_from_u64(seed))
}

#[test]
fn first_report_is_rr_with_cname_within_the_initial_bounds() {
    let t0 = Instant::now();
    let mut s = session(1, t0, 1);
    let due = s.poll_timeout().unwrap() - t0;
    assert!(
        due.as_secs_f64() >= 1.026 && due.as_secs_f64() < 3.079,
        "{due:?}"
    );
    s.handle_timeout(t0 + due);
    let tx = s.poll_transmit().unwrap();
    let c = Compound::parse(&tx.contents).unwrap();
    let p: Vec<_> = c.packets().collect();
    assert!(matches!(p[0], RtcpPacket::Rr(_)));
    let RtcpPacket::Sdes(sdes) = p[1] else {
        panic!()
    };
    // [RFC 3550 §6.1 test] "An SDES packet containing a CNAME item MUST be
    // included in each compound RTCP packet"
    assert_eq!(
        sdes.chunks().next().unwrap().cname(),
        Some(&b"user1@host"[..])
    );
    // The next report is at least 0.5 * 5 s / 1.21828 later.
    let next = s.poll_timeout().unwrap() - (t0 + due);
    assert!(next.as_secs_f64() >= 2.05, "{next:?}");
}

/// Alice sends 20 ms PCMU to Bob for 30 s over a path with 40 ms one-way
/// delay; both run their RTCP timers. Bob's reports must show what Bob got
/// (with 1 packet in 50 dropped) and Alice must compute an 80 ms RTT.
#[test]
fn two_party_call_reports_loss_and_round_trip_time() {
    let t0 = Instant::now();
    let delay = Duration::from_millis(40);
    let mut alice = session(0xa11ce, t0, 11);
    let mut bob = session(0xb0b, t0, 22);
    let mut in_flight: Vec<(Instant, bool, Vec<u8>)> = Vec::new(); // (arrival, to_bob, bytes)
    let mut rtt = None;
    let mut last_block = None;
    let end = t0 + Duration::from_secs(30);
    let mut now = t0;
    let mut seq = 1000u16;
    let mut ts = 0u32;
    let mut next_media = t0;
    let mut steps = 0;
    while now < end {
        steps += 1;
        assert!(steps < 100_000);
        if now >= next_media {
            let pkt = rtp(0xa11ce, seq, ts);
            alice.on_rtp_sent(now, &RtpPacket::parse(&pkt).unwrap());
            if seq % 50 != 0 {
                in_flight.push((now + delay, true, pkt));
            }
            seq = seq.wrapping_add(1);
            ts = ts.wrapping_add(160);
            next_media += Duration::from_millis(20);
        }
        alice.handle_timeout(now);
        bob.handle_timeout(now);
        while let Some(tx) = alice.poll_transmit() {
            in_flight.push((now + delay, true, tx.contents));
        }
        while let Some(tx) = bob.poll_transmit() {
            in_flight.push((now + delay, false, tx.contents));
        }
        let (due, later): (Vec<_>, Vec<_>) =
            in_flight.into_iter().partition(|(at, _, _)| *at <= now);
        in_flight = later;
        for (_, to_bob, bytes) in due {
            let (dst, src) = if to_bob {
                (&mut bob, addr(1))
            } else {
                (&mut alice, addr(2))
            };
            if classify(&bytes) == PacketKind::Rtp {
                dst.handle_rtp(now, src, &RtpPacket::parse(&bytes).unwrap());
            } else {
                dst.handle_rtcp(now, src, &Compound::parse(&bytes).unwrap());
            }
        }
        while let Some(ev) = alice.poll_event() {
            if let SessionEvent::ReceptionReport { block, rtt: r, .. } = ev {
                rtt = r.or(rtt);
                last_block = Some(block);
            }
        }
        while bob.poll_event().is_some() {}
        let next = [alice.poll_timeout(), bob.poll_timeout(), Some(next_media)]
            .into_iter()
            .flatten()
            .chain(in_flight.iter().map(|f| f.0))
            .min()
            .unwrap();
        now = next.max(now + Duration::from_micros(1));
    }
    let rtt = rtt.expect("alice got an RTT");
    // A - LSR - DLSR in 1/65536 s units: within two units of 80 ms.
    assert!((rtt.as_secs_f64() - 0.080).abs() < 0.0001, "{rtt:?}");
    let block = last_block.unwrap();
    assert_eq!(block.ssrc, Ssrc(0xa11ce));
    // 1 in 50 dropped: cumulative loss about 2% of ~1500 packets.
    assert!((25..=31).contains(&block.cumulative_lost), "{block:?}");
    assert_eq!(block.jitter, 0, "constant delay means no jitter");
    assert_eq!(alice.senders(), 1);
    assert_eq!(bob.members(), 2);
    let info = bob.member(Ssrc(0xa11ce)).unwrap();
    assert_eq!(
        info.cname,
        Some(format!("user{}@host", 0xa11ce).into_bytes())
    );
    assert!(info.sender);
}

#[test]
fn bye_removes_the_member_and_pulls_the_next_report_earlier() {
    let t0 = Instant::now();
    let mut bob = session(2, t0, 3);
    // Two members join via RTCP at t0 + 1 s.
    let now = t0 + Duration::from_secs(1);
    for ssrc in [10u32, 11] {
        let mut buf = [0u8; 128];
        let mut w = rtclite_rtp::rtcp::RtcpWriter::new(&mut buf);
        w.receiver_report(Ssrc(ssrc), &[], &[]).unwrap();
        let n = w.finish();
        bob.handle_rtcp(now, addr(ssrc as u16), &Compound::parse(&buf[..n]).unwrap());
    }
    assert_eq!(bob.members(), 3);
    // Let a report go out so pmembers = 3.
    let due = bob.poll_timeout().unwrap();
    bob.handle_timeout(due);
    while bob.poll_transmit().is_some() {}
    let tn_before = bob.poll_timeout().unwrap();
    let now = due + Duration::from_millis(100);
    let mut buf = [0u8; 128];
    let mut w = rtclite_rtp::rtcp::RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(10), &[], &[]).unwrap();
    w.bye(&[Ssrc(10)], Some(b"done")).unwrap();
    let n = w.finish();
    bob.handle_rtcp(now, addr(10), &Compound::parse(&buf[..n]).unwrap());
    assert_eq!(bob.members(), 2);
    let events: Vec<_> = std::iter::from_fn(|| bob.poll_event()).collect();
    assert!(events.contains(&SessionEvent::Bye {
        ssrc: Ssrc(10),
        reason: Some(b"done".to_vec())
    }));
    // [RFC 3550 §6.3.4 test] "tn = tc + (members/pmembers) * (tn - tc)"
    let tn_after = bob.poll_timeout().unwrap();
    let expected = now + (tn_before - now).mul_f64(2.0 / 3.0);
    let diff = if tn_after > expected {
        tn_after - expected
    } else {
        expected - tn_after
    };
    assert!(
        diff < Duration::from_micros(10),
        "{tn_after:?} vs {expected:?}"
    );
    // Stragglers after BYE do not recreate the member.
    let pkt = rtp(10, 1, 0);
    assert_eq!(
        bob.handle_rtp(now, addr(10), &RtpPacket::parse(&pkt).unwrap()),
        RtpVerdict::Conflict
    );
}

#[test]
fn silent_member_times_out_after_five_intervals() {
    // [RFC 3550 §6.3.5 test] "Any other session member who has not sent an
    // RTP or RTCP packet since time tc - MTd (M is the timeout multiplier,
    // and defaults to 5) is timed out."
    let t0 = Instant::now();
    let mut s = session(3, t0, 5);
    let mut buf = [0u8; 64];
    let mut w = rtclite_rtp::rtcp::RtcpWriter::new(&mut buf);
    w.receiver_report(Ssrc(20), &[], &[]).unwrap();
    let n = w.finish();
    s.handle_rtcp(t0, addr(20), &Compound::parse(&buf[..n]).unwrap());
    assert_eq!(s.members(), 2);
    let mut timed_out_at = None;
    for _ in 0..100 {
        let now = s.poll_timeout().unwrap();
        s.handle_timeout(now);
        while s.poll_transmit().is_some() {}
        if std::iter::from_fn(|| s.poll_event()).any(|e| e == SessionEvent::Timeout(Ssrc(20))) {
            timed_out_at = Some(now);
            break;
        }
    }
    let at = timed_out_at.expect("member timed out") - t0;
    // Td for a receiver is 5 s here, so the member goes after 25 s of silence
    // and no later than one report interval (at most 6.16 s) after that.
    assert!(
        at > Duration::from_secs(25) && at < Duration::from_secs_f64(31.2),
        "{at:?}"
    );
    assert_eq!(s.members(), 1);
}

#[test]
fn own_ssrc_from_elsewhere_is_a_collision_then_a_loop() {
    let t0 = Instant::now();
    let mut s = session(0x5555, t0, 9);
    let mine = rtp(0x5555, 1, 0);
    s.on_rtp_sent(t0, &RtpPacket::parse(&mine).unwrap());
    // Someone else uses our SSRC.
    let v = s.handle_rtp(t0, addr(7000), &RtpPacket::parse(&mine).unwrap());
    assert_eq!(v, RtpVerdict::Conflict);
    let new = s.ssrc();
    assert_ne!(new, Ssrc(0x5555));
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::SsrcCollision {
            old: Ssrc(0x5555),
            new,
            from: addr(7000)
        })
    );
    // [RFC 3550 §8.2 test] "it MUST send an RTCP BYE packet for the old
    // identifier and choose another random one"
    let bye = s.poll_transmit().unwrap();
    assert!(bye.bye);
    let c = Compound::parse(&bye.contents).unwrap();
    let Some(RtcpPacket::Bye(b)) = c.packets().last() else {
        panic!()
    };
    assert_eq!(b.sources().collect::<Vec<_>>(), vec![Ssrc(0x5555)]);
    // Our new SSRC coming back from the same address: our traffic is looped.
    let looped = rtp(new.0, 2, 160);
    let v = s.handle_rtp(t0, addr(7000), &RtpPacket::parse(&looped).unwrap());
    assert_eq!(v, RtpVerdict::Conflict);
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::OwnTrafficLooped { from: addr(7000) })
    );
    assert_eq!(s.ssrc(), new, "a loop does not change the SSRC again");
}

#[test]
fn third_party_address_change_is_discarded() {
    let t0 = Instant::now();
    let mut s = session(1, t0, 2);
    let p1 = rtp(42, 1, 0);
    let p2 = rtp(42, 2, 160);
    s.handle_rtp(t0, addr(5000), &RtpPacket::parse(&p1).unwrap());
    let v = s.handle_rtp(t0, addr(6000), &RtpPacket::parse(&p2).unwrap());
    assert_eq!(v, RtpVerdict::Conflict);
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::ThirdPartyConflict {
            ssrc: Ssrc(42),
            from: addr(6000)
        })
    );
    assert_eq!(
        s.handle_rtp(t0, addr(5000), &RtpPacket::parse(&p2).unwrap()),
        RtpVerdict::Accept
    );
}

#[test]
fn leaving_without_sending_sends_no_bye() {
    // [RFC 3550 §6.3.7 test] "a participant which never sent an RTP or RTCP
    // packet MUST NOT send a BYE packet when they leave the group"
    let t0 = Instant::now();
    let mut s = session(1, t0, 2);
    s.leave(t0, Some(b"bye"));
    assert_eq!(s.poll_transmit(), None);
    assert_eq!(s.poll_timeout(), None);
    let mut s = session(1, t0, 2);
    let pkt = rtp(1, 1, 0);
    s.on_rtp_sent(t0, &RtpPacket::parse(&pkt).unwrap());
    s.leave(t0, Some(b"bye"));
    let tx = s.poll_transmit().unwrap();
    assert!(tx.bye);
    let c = Compound::parse(&tx.contents).unwrap();
    assert!(matches!(c.packets().next(), Some(RtcpPacket::Sr(_))));
    let Some(RtcpPacket::Bye(b)) = c.packets().last() else {
        panic!()
    };
    assert_eq!(b.reason(), Some(&b"bye"[..]));
}

#[test]
fn many_sources_are_reported_with_stacked_rrs_round_robin() {
    // [RFC 3550 §6.4 test] "additional RR packets SHOULD be stacked after the
    // initial SR or RR packet as needed"
    let t0 = Instant::now();
    let mut s = session(1, t0, 4);
    let heard = |s: &mut Session<ChaCha8Rng>, now: Instant, seq: u16| {
        for src in 100u32..200 {
            let p = rtp(src, seq, u32::from(seq) * 160);
            s.handle_rtp(now, addr(src as u16), &RtpPacket::parse(&p).unwrap());
        }
    };
    heard(&mut s, t0, 1);
    heard(&mut s, t0, 2);
    let mut reported = std::collections::BTreeSet::new();
    for round in 0..2 {
        // Timer reconsideration may postpone the report (the group grew).
        let mut tx = None;
        for _ in 0..10 {
            let due = s.poll_timeout().unwrap();
            heard(&mut s, due, 3 + round);
            s.handle_timeout(due);
            tx = s.poll_transmit();
            if tx.is_some() {
                break;
            }
        }
        let tx = tx.unwrap();
        assert!(tx.contents.len() <= 1472);
        let c = Compound::parse(&tx.contents).unwrap();
        let mut blocks = 0;
        for (i, p) in c.packets().enumerate() {
            match p {
                RtcpPacket::Rr(rr) => {
                    assert!(i < 2, "RRs come first");
                    for b in rr.reports() {
                        reported.insert(b.ssrc.0);
                        blocks += 1;
                    }
                }
                RtcpPacket::Sdes(_) => assert_eq!(i, c.len() - 1),
                other => panic!("{other:?}"),
            }
        }
        // 59 blocks fit one MTU (31 in the first RR, 28 in a stacked one).
        assert_eq!(blocks, 59, "round {round}");
    }
    // [RFC 3550 §6.4 test] "The subsets SHOULD be selected round-robin across
    // multiple intervals so that all sources are reported."
    assert_eq!(reported.len(), 100);
}

mod random_inputs {
    use super::*;
    use proptest::prelude::*;

    fn datagram() -> impl Strategy<Value = (u8, u16, Vec<u8>)> {
        let rtp =
            (any::<u8>(), any::<u16>(), any::<u32>(), 0u32..6).prop_map(|(pt, seq, ts, ssrc)| {
                rtp(ssrc, seq, ts)
                    .into_iter()
                    .enumerate()
                    .map(|(i, b)| if i == 1 { pt & 0x7f } else { b })
                    .collect::<Vec<u8>>()
            });
        let rtcp = (
            0u32..6,
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..3),
        )
            .prop_map(|(ssrc, bye, reason)| {
                let mut buf = vec![0u8; 256];
                let mut w = rtclite_rtp::rtcp::RtcpWriter::new(&mut buf);
                let block = rtclite_rtp::rtcp::ReportBlock {
                    ssrc: Ssrc(1),
                    lsr: 5,
                    ..Default::default()
                };
                w.receiver_report(Ssrc(ssrc), &[block], &[]).unwrap();
                if bye {
                    w.bye(&[Ssrc(ssrc)], Some(&reason)).unwrap();
                }
                let n = w.finish();
                buf.truncate(n);
                buf
            });
        (
            0u8..4,
            0u16..2000,
            prop_oneof![rtp, rtcp, proptest::collection::vec(any::<u8>(), 0..64)],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn session_survives_random_traffic(inputs in proptest::collection::vec(datagram(), 1..200), seed in any::<u64>()) {
            let t0 = Instant::now();
            let mut cfg = SessionConfig::new(Ssrc(1), b"me".to_vec(), 8000, 64_000);
            cfg.max_members = 4;
            let mut s = Session::new(cfg, t0, ChaCha8Rng::seed_from_u64(seed));
            let mut now = t0;
            for (addr_n, dt_ms, bytes) in inputs {
                now += Duration::from_millis(u64::from(dt_ms));
                let from = addr(5000 + u16::from(addr_n));
                match classify(&bytes) {
                    PacketKind::Rtp => {
                        if let Ok(p) = RtpPacket::parse(&bytes) {
                            let _ = s.handle_rtp(now, from, &p);
                        }
                    }
                    PacketKind::Rtcp => if let Ok(c) = Compound::parse_reduced_size(&bytes) { s.handle_rtcp(now, from, &c) },
                    _ => {}
                }
                while let Some(t) = s.poll_timeout().filter(|t| *t <= now) {
                    s.handle_timeout(t);
                }
                while let Some(tx) = s.poll_transmit() {
                    prop_assert!(Compound::parse(&tx.contents).is_ok());
                }
                while s.poll_event().is_some() {}
                // Invariants: at least ourselves, at most the table bound plus
                // ourselves; senders never exceed members.
                prop_assert!(s.members() >= 1 && s.members() <= 5, "{}", s.members());
                prop_assert!(s.senders() <= s.members());
                prop_assert!(s.poll_timeout().is_none_or(|t| t > now));
            }
        }
    }
}
