//! Protect and unprotect allocate nothing per packet once a stream exists
//! and the caller's buffer has room for the trailer (counted by a global
//! allocator that records every allocation of this thread).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test

use rtclite_srtp::{Context, MasterKey, Policy, ProtectionProfile};

#[test]
fn steady_state_protect_and_unprotect_do_not_allocate() {
    for profile in ProtectionProfile::ALL {
        let key = MasterKey::new(
            &vec![3; profile.master_key_len()],
            &vec![4; profile.master_salt_len()],
        );
        let policy = Policy::new(profile, key).with_replay_window(1024);
        let mut tx = Context::new_outbound(&policy).unwrap();
        let mut rx = Context::new_inbound(&policy).unwrap();
        let mut buf = vec![0u8; 1500];
        let rtp = |seq: u16, buf: &mut [u8]| -> usize {
            buf[..12].copy_from_slice(&[0x80, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34]);
            buf[2..4].copy_from_slice(&seq.to_be_bytes());
            buf[12..1212].fill(seq as u8);
            1212
        };
        let rtcp = |buf: &mut [u8]| -> usize {
            buf[..8].copy_from_slice(&[0x80, 200, 0, 6, 0, 0, 0x12, 0x34]);
            buf[8..28].fill(7);
            28
        };
        // The first packets create the streams (one allocation each).
        let len = rtp(0, &mut buf);
        let n = tx.protect_rtp_in_place(&mut buf, len).unwrap();
        rx.unprotect_rtp_in_place(&mut buf[..n]).unwrap();
        let len = rtcp(&mut buf);
        let n = tx.protect_rtcp_in_place(&mut buf, len).unwrap();
        rx.unprotect_rtcp_in_place(&mut buf[..n]).unwrap();

        let info = allocation_counter::measure(|| {
            for seq in 1..200u16 {
                let len = rtp(seq, &mut buf);
                let n = tx.protect_rtp_in_place(&mut buf, len).unwrap();
                assert_eq!(rx.unprotect_rtp_in_place(&mut buf[..n]).unwrap(), len);
                let len = rtcp(&mut buf);
                let n = tx.protect_rtcp_in_place(&mut buf, len).unwrap();
                assert_eq!(rx.unprotect_rtcp_in_place(&mut buf[..n]).unwrap(), len);
            }
        });
        assert_eq!(info.count_total, 0, "{profile}: allocations per packet");
    }
}
