//! The session state machine fed arbitrary RTP and RTCP datagrams from a
//! few addresses, with time moving forward: it never panics and its member
//! count stays within its table bound.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtclite_rtp::Ssrc;
use rtclite_rtp::demux::{PacketKind, classify};
use rtclite_rtp::rtcp::Compound;
use rtclite_rtp::rtp::RtpPacket;
use rtclite_rtp::session::{Session, SessionConfig};

struct Counter(u64);
impl rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for b in dst {
            *b = self.next_u32() as u8;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let cfg = SessionConfig::new(Ssrc(1), b"fuzz".to_vec(), 8000, 64_000);
    let mut s = Session::new(cfg, t0, Counter(7));
    let mut now = t0;
    // Records: [len, addr, dt_ms, bytes...]
    let mut rest = data;
    while let [len, addr, dt, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (pkt, next) = tail.split_at(n);
        rest = next;
        now += Duration::from_millis(u64::from(*dt) * 40);
        let from = SocketAddr::from(([127, 0, 0, 1], 5000 + u16::from(*addr % 4)));
        match classify(pkt) {
            PacketKind::Rtp => {
                if let Ok(p) = RtpPacket::parse(pkt) {
                    let _ = s.handle_rtp(now, from, &p);
                }
            }
            PacketKind::Rtcp => {
                if let Ok(c) = Compound::parse_reduced_size(pkt) {
                    s.handle_rtcp(now, from, &c);
                }
            }
            _ => {}
        }
        if let Some(t) = s.poll_timeout() {
            if t <= now {
                s.handle_timeout(now);
            }
        }
        while let Some(tx) = s.poll_transmit() {
            assert!(Compound::parse(&tx.contents).is_ok());
        }
        while s.poll_event().is_some() {}
        assert!(s.members() <= 513);
    }
});
