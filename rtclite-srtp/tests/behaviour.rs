//! Behaviour of crypto contexts: rollover, replay, SRTCP, MKI, key
//! derivation rate, key lifetimes, SSRC policy and malformed input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failed test

use rtclite_srtp::{
    Context, Error, Event, MasterKey, Policy, ProtectionProfile, ProtectionProfile as P,
};

const SSRC: u32 = 0xcafe_f00d;

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn rtcp_sr(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0x00, 0x06];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0x11; 20]);
    p
}

fn key(n: u8, profile: ProtectionProfile) -> MasterKey {
    MasterKey::new(
        &vec![n; profile.master_key_len()],
        &vec![n ^ 0x55; profile.master_salt_len()],
    )
}

fn pair(policy: &Policy) -> (Context, Context) {
    (
        Context::new_outbound(policy).unwrap(),
        Context::new_inbound(policy).unwrap(),
    )
}

fn protect(tx: &mut Context, seq: u16) -> Vec<u8> {
    let mut p = rtp(seq, SSRC, &seq.to_be_bytes().repeat(20));
    tx.protect_rtp(&mut p).unwrap();
    p
}

fn unprotect(rx: &mut Context, packet: &[u8]) -> Result<Vec<u8>, Error> {
    let mut p = packet.to_vec();
    rx.unprotect_rtp(&mut p).map(|()| p)
}

// [RFC 3711 §3.3.1 test] "out-of-order RTP packets with sequence numbers
// close to 2^16 or zero must be properly handled"
#[test]
fn rollover_with_late_packets_around_the_wrap() {
    for profile in P::ALL {
        let (mut tx, mut rx) = pair(&Policy::new(profile, key(1, profile)));
        let seqs: Vec<u16> = (65_530..=65_535).chain(0..6).collect();
        let protected: Vec<(u16, Vec<u8>)> =
            seqs.iter().map(|&s| (s, protect(&mut tx, s))).collect();
        assert_eq!(
            tx.roc(SSRC),
            Some(1),
            "{profile}: sender ROC after the wrap"
        );
        // Deliver with the packets around the wrap swapped about.
        let order = [0usize, 1, 2, 6, 3, 7, 8, 4, 5, 9, 11, 10];
        for i in order {
            let (seq, pkt) = &protected[i];
            let plain =
                unprotect(&mut rx, pkt).unwrap_or_else(|e| panic!("{profile} seq {seq}: {e}"));
            assert_eq!(plain, rtp(*seq, SSRC, &seq.to_be_bytes().repeat(20)));
        }
        assert_eq!(rx.roc(SSRC), Some(1), "{profile}: receiver ROC");
        // A late packet from before the wrap is a replay now.
        assert!(matches!(
            unprotect(&mut rx, &protected[4].1),
            Err(Error::Replayed { .. })
        ));
    }
}

// [RFC 3711 §3.3.2 test] "Only packets with index ahead of the window, or,
// inside the window but not already received, SHALL be accepted."
#[test]
fn replay_window_default_64_and_configurable_1024() {
    for (window, accepted_lag) in [(64u64, 63u16), (1024, 1023)] {
        let policy = Policy::new(P::AesCm128HmacSha1_80, key(2, P::AesCm128HmacSha1_80))
            .with_replay_window(window);
        let (mut tx, mut rx) = pair(&policy);
        let packets: Vec<Vec<u8>> = (0..=1100u16).map(|s| protect(&mut tx, s)).collect();
        unprotect(&mut rx, &packets[1100]).unwrap();
        let ok = 1100 - accepted_lag;
        assert!(
            unprotect(&mut rx, &packets[usize::from(ok)]).is_ok(),
            "lag {accepted_lag}"
        );
        assert_eq!(
            unprotect(&mut rx, &packets[usize::from(ok - 1)]),
            Err(Error::TooOld {
                ssrc: SSRC,
                index: u64::from(ok - 1),
                window
            })
        );
        assert_eq!(
            unprotect(&mut rx, &packets[1100]),
            Err(Error::Replayed {
                ssrc: SSRC,
                index: 1100
            })
        );
    }
    let bad =
        Policy::new(P::AesCm128HmacSha1_80, key(2, P::AesCm128HmacSha1_80)).with_replay_window(32);
    assert!(matches!(
        Context::new_inbound(&bad),
        Err(Error::InvalidPolicy(_))
    ));
}

// [RFC 3711 §3.3.1 test] "After the packet has been processed and
// authenticated (when enabled for SRTP packets for the session), the
// receiver MUST use v to conditionally update its s_l and ROC"
// [RFC 3711 §3.3.2 test] "After the packet has been authenticated (if
// necessary the window is first moved ahead), the replay list SHALL be
// updated with the new index."
#[test]
fn forged_packets_change_no_state() {
    for profile in P::ALL {
        let (mut tx, mut rx) = pair(&Policy::new(profile, key(3, profile)));
        let good: Vec<Vec<u8>> = (0..3).map(|s| protect(&mut tx, s)).collect();
        unprotect(&mut rx, &good[0]).unwrap();
        // A forged packet far ahead (would move ROC and window) fails auth.
        let mut forged = good[1].clone();
        forged[2..4].copy_from_slice(&40_000u16.to_be_bytes());
        let before = forged.clone();
        let mut buf = forged.clone();
        assert!(matches!(
            rx.unprotect_rtp(&mut buf),
            Err(Error::AuthenticationFailure { .. })
        ));
        if profile.is_aead() {
            // AEAD: the encrypted portion is zeroed (no unauthenticated
            // plaintext is left); header and tag stay as they were.
            let cipher_end = before.len() - 16;
            assert_eq!(buf.len(), before.len(), "{profile}: length kept");
            assert_eq!(buf[..12], before[..12], "{profile}: header kept");
            assert!(
                buf[12..cipher_end].iter().all(|&b| b == 0),
                "{profile}: encrypted portion zeroed"
            );
            assert_eq!(
                buf[cipher_end..],
                before[cipher_end..],
                "{profile}: tag kept"
            );
        } else {
            // HMAC is checked before anything is decrypted.
            assert_eq!(buf, before, "{profile}: buffer unchanged on failure");
        }
        // Tampered payload and tag bytes fail too.
        for at in [12, good[1].len() - 1] {
            let mut t = good[1].clone();
            t[at] ^= 0x40;
            assert!(matches!(
                unprotect(&mut rx, &t),
                Err(Error::AuthenticationFailure { .. })
            ));
        }
        // The genuine packets are still accepted: nothing moved.
        unprotect(&mut rx, &good[1]).unwrap();
        unprotect(&mut rx, &good[2]).unwrap();
        assert_eq!(rx.roc(SSRC), Some(0));
        // A forged packet from an unknown SSRC creates no stream.
        let mut other = good[2].clone();
        other[8..12].copy_from_slice(&7u32.to_be_bytes());
        assert!(unprotect(&mut rx, &other).is_err());
        assert_eq!(rx.stream_count(), 1);
    }
}

// [RFC 3711 §3.4 test] "The E bit set to "1" indicates encrypted packet,
// and "0" indicates non-encrypted packet."
#[test]
fn srtcp_e_flag_index_and_replay() {
    for profile in P::ALL {
        let (mut tx, mut rx) = pair(&Policy::new(profile, key(4, profile)));
        let plain = rtcp_sr(SSRC);
        let mut sent = Vec::new();
        for i in 0..4u32 {
            let mut p = plain.clone();
            if i == 2 {
                tx.protect_rtcp_unencrypted(&mut p).unwrap();
            } else {
                tx.protect_rtcp(&mut p).unwrap();
            }
            let tail = if profile.is_aead() {
                p.len() - 4
            } else {
                p.len() - 4 - 10
            };
            let word = u32::from_be_bytes(p[tail..tail + 4].try_into().unwrap());
            assert_eq!(
                word & 0x7fff_ffff,
                i,
                "{profile}: SRTCP index increments from 0"
            );
            let encrypted = profile.cipher() != rtclite_srtp::CipherKind::Null && i != 2;
            assert_eq!(
                word >> 31 == 1,
                encrypted,
                "{profile}: E flag of packet {i}"
            );
            assert_eq!(&p[..8], &plain[..8], "first 8 octets in the clear");
            assert_eq!(p[8..plain.len()] == plain[8..], !encrypted);
            sent.push(p);
        }
        for p in sent.iter().rev() {
            let mut q = p.clone();
            rx.unprotect_rtcp(&mut q).unwrap();
            assert_eq!(q, plain);
        }
        let mut again = sent[1].clone();
        assert!(matches!(
            rx.unprotect_rtcp(&mut again),
            Err(Error::Replayed { index: 1, .. })
        ));
        let mut flipped = sent[3].clone();
        let tail = if profile.is_aead() {
            flipped.len() - 4
        } else {
            flipped.len() - 14
        };
        flipped[tail] ^= 0x80;
        let (_, mut fresh_rx) = pair(&Policy::new(profile, key(4, profile)));
        assert!(matches!(
            fresh_rx.unprotect_rtcp(&mut flipped),
            Err(Error::AuthenticationFailure { .. })
        ));
    }
}

// [RFC 3711 §3.1 test] "The MKI identifies the master key from which the
// session key(s) were derived that authenticate and/or encrypt the
// particular packet."
#[test]
fn mki_selects_among_several_master_keys() {
    for profile in P::ALL {
        let policy = Policy::new(profile, key(5, profile).with_mki(&[0, 1]))
            .with_master_key(key(6, profile).with_mki(&[0, 2]));
        let (mut tx, mut rx) = pair(&policy);
        let a = protect(&mut tx, 10);
        tx.set_active_master_key(1).unwrap();
        let b = protect(&mut tx, 11);
        let mki_at = |p: &[u8]| {
            p.len()
                - 2
                - if profile.is_aead() {
                    0
                } else {
                    profile.srtp_auth_tag_len()
                }
        };
        assert_eq!(&a[mki_at(&a)..mki_at(&a) + 2], &[0, 1]);
        assert_eq!(&b[mki_at(&b)..mki_at(&b) + 2], &[0, 2]);
        assert_ne!(a[12..20], b[12..20], "different keys, different ciphertext");
        unprotect(&mut rx, &b).unwrap();
        unprotect(&mut rx, &a).unwrap();
        let mut c = protect(&mut tx, 12);
        let at = mki_at(&c);
        c[at + 1] = 9;
        assert!(matches!(
            unprotect(&mut rx, &c),
            Err(Error::UnknownMki { .. })
        ));
        let mut r = rtcp_sr(SSRC);
        tx.protect_rtcp(&mut r).unwrap();
        rx.unprotect_rtcp(&mut r).unwrap();
        assert_eq!(r, rtcp_sr(SSRC));
    }
    // Several keys without MKIs cannot be told apart.
    let p = P::AesCm128HmacSha1_80;
    assert!(Context::new_inbound(&Policy::new(p, key(1, p)).with_master_key(key(2, p))).is_err());
}

// [RFC 3711 §4.3.1 test] "when r > 0, a key derivation is performed
// whenever index mod r equals zero"
#[test]
fn key_derivation_rate_refreshes_session_keys() {
    let p = P::AesCm128HmacSha1_80;
    let (mut tx0, _) = pair(&Policy::new(p, key(7, p)));
    let with_kdr = Policy::new(p, key(7, p)).with_key_derivation_rate(16);
    let (mut tx16, mut rx16) = pair(&with_kdr);
    for seq in 0..40u16 {
        let a = protect(&mut tx0, seq);
        let b = protect(&mut tx16, seq);
        // r = index DIV 16 is 0 for the first 16 packets: same keys as rate 0.
        assert_eq!(a == b, seq < 16, "seq {seq}");
    }
    // Out of order across derivation boundaries still round-trips.
    let (mut tx, _) = pair(&with_kdr);
    let pk: Vec<Vec<u8>> = (0..64u16).map(|s| protect(&mut tx, s)).collect();
    for i in [40usize, 3, 63, 17, 16, 15, 48, 0] {
        unprotect(&mut rx16, &pk[i]).unwrap();
    }
    let bad = Policy::new(p, key(7, p)).with_key_derivation_rate(3);
    assert!(Context::new_outbound(&bad).is_err());
}

// [RFC 3711 §3.3.1 test] "the sender MUST NOT send any more packets with
// that key"
// [RFC 4568 §6.1 test] "MUST NOT accept incoming packets that violate the
// policy"
#[test]
fn key_lifetime_raises_rekey_event_then_refuses() {
    let p = P::AesCm128HmacSha1_80;
    let policy = Policy::new(p, key(8, p).with_mki(&[1]))
        .with_master_key(key(9, p).with_mki(&[2]))
        .with_key_lifetime(10, 3)
        .with_rekey_margin(2);
    let (mut tx, mut rx) = pair(&policy);
    for seq in 0..10u16 {
        let pkt = protect(&mut tx, seq);
        unprotect(&mut rx, &pkt).unwrap();
        let event = tx.poll_event();
        if seq == 7 {
            assert_eq!(
                event,
                Some(Event::RekeyNeeded {
                    master_key: 0,
                    srtcp: false,
                    used: 8,
                    limit: 10
                })
            );
        } else {
            assert_eq!(event, None, "seq {seq}");
        }
    }
    let mut p10 = rtp(10, SSRC, b"x");
    assert_eq!(
        tx.protect_rtp(&mut p10),
        Err(Error::KeyExhausted {
            master_key: 0,
            srtcp: false,
            limit: 10
        })
    );
    assert_eq!(p10, rtp(10, SSRC, b"x"));
    // SRTCP has its own counter.
    for _ in 0..3 {
        let mut r = rtcp_sr(SSRC);
        tx.protect_rtcp(&mut r).unwrap();
    }
    let mut r = rtcp_sr(SSRC);
    assert!(matches!(
        tx.protect_rtcp(&mut r),
        Err(Error::KeyExhausted { srtcp: true, .. })
    ));
    // Re-key: the ROC and the sequence carry on with the next master key.
    tx.set_active_master_key(1).unwrap();
    let pkt = protect(&mut tx, 10);
    unprotect(&mut rx, &pkt).unwrap();
    // The receiver enforces the lifetime too: a sender that ignores it is
    // refused once key 0 has carried 10 packets.
    let lax = Policy::new(p, key(8, p).with_mki(&[1])).with_master_key(key(9, p).with_mki(&[2]));
    let mut lax_tx = Context::new_outbound(&lax).unwrap();
    let late = protect(&mut lax_tx, 11);
    assert_eq!(
        unprotect(&mut rx, &late),
        Err(Error::KeyExhausted {
            master_key: 0,
            srtcp: false,
            limit: 10
        })
    );
}

// [RFC 3711 §3.2.3 test] "If no valid context can be found for a packet
// corresponding to a certain context identifier, that packet MUST be
// discarded."
#[test]
fn ssrc_policy_and_stream_limit() {
    let p = P::AeadAes128Gcm;
    let policy = Policy::new(p, key(1, p)).with_ssrcs(&[SSRC]);
    let (mut tx, mut rx) = pair(&policy);
    let mut other = rtp(1, 42, b"abc");
    assert_eq!(
        tx.protect_rtp(&mut other),
        Err(Error::UnknownSsrc { ssrc: 42 })
    );
    let pkt = protect(&mut tx, 1);
    unprotect(&mut rx, &pkt).unwrap();
    let limited = Policy::new(p, key(1, p)).with_max_streams(2);
    let mut tx = Context::new_outbound(&limited).unwrap();
    for ssrc in [1u32, 2] {
        let mut q = rtp(1, ssrc, b"abc");
        tx.protect_rtp(&mut q).unwrap();
    }
    let mut q = rtp(1, 3, b"abc");
    assert_eq!(
        tx.protect_rtp(&mut q),
        Err(Error::TooManyStreams { limit: 2 })
    );
}

// [RFC 7714 §8.4 test] "For GCM, the (ROC,SEQ) and SSRC values used MUST be
// generated or checked by either the SRTP implementation"
#[test]
fn sender_refuses_to_reuse_an_index() {
    let p = P::AeadAes128Gcm;
    let (mut tx, _) = pair(&Policy::new(p, key(1, p)));
    protect(&mut tx, 5);
    let mut again = rtp(5, SSRC, b"other payload");
    assert_eq!(
        tx.protect_rtp(&mut again),
        Err(Error::IndexReuse {
            ssrc: SSRC,
            index: 5
        })
    );
}

#[test]
fn header_with_csrcs_and_extension_stays_in_the_clear() {
    let p = P::AesCm128HmacSha1_80;
    let (mut tx, mut rx) = pair(&Policy::new(p, key(1, p)));
    // X=1, CC=2, one extension word.
    let mut pkt = vec![0x92, 0x60, 0, 9, 0, 0, 0, 1];
    pkt.extend_from_slice(&SSRC.to_be_bytes());
    pkt.extend_from_slice(&[1, 1, 1, 1, 2, 2, 2, 2]);
    pkt.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]);
    let header_len = pkt.len();
    pkt.extend_from_slice(b"payload bytes");
    let plain = pkt.clone();
    tx.protect_rtp(&mut pkt).unwrap();
    assert_eq!(&pkt[..header_len], &plain[..header_len]);
    assert_ne!(&pkt[header_len..plain.len()], &plain[header_len..]);
    rx.unprotect_rtp(&mut pkt).unwrap();
    assert_eq!(pkt, plain);
}

#[test]
fn malformed_packets_are_errors() {
    let p = P::AesCm128HmacSha1_80;
    let (mut tx, mut rx) = pair(&Policy::new(p, key(1, p)));
    let mut short = vec![0x80, 0, 0, 1];
    assert!(matches!(
        tx.protect_rtp(&mut short),
        Err(Error::TooShort { needed: 12, .. })
    ));
    let mut v1 = rtp(1, SSRC, b"abc");
    v1[0] = 0x40;
    assert_eq!(
        tx.protect_rtp(&mut v1),
        Err(Error::BadVersion { version: 1 })
    );
    // CC=15 claims 60 octets of CSRCs the packet does not have.
    let mut cc = rtp(1, SSRC, b"abc");
    cc[0] = 0x8f;
    assert!(matches!(
        tx.protect_rtp(&mut cc),
        Err(Error::TooShort {
            what: "the CSRC list",
            ..
        })
    ));
    // No room for the tag.
    let mut no_tag = rtp(1, SSRC, &[]);
    no_tag.extend_from_slice(&[0; 5]);
    assert!(matches!(
        rx.unprotect_rtp(&mut no_tag),
        Err(Error::TooShort { .. })
    ));
    let mut rtcp = vec![0x80, 200, 0, 1, 0, 0];
    assert!(matches!(
        rx.unprotect_rtcp(&mut rtcp),
        Err(Error::TooShort { .. })
    ));
    // Direction is fixed per context.
    let mut pkt = rtp(1, SSRC, b"abc");
    assert!(matches!(
        rx.protect_rtp(&mut pkt),
        Err(Error::WrongDirection(_))
    ));
    // Fixed-buffer API reports the room it needs.
    let mut buf = rtp(2, SSRC, b"abc");
    let len = buf.len();
    assert_eq!(
        tx.protect_rtp_in_place(&mut buf, len),
        Err(Error::BufferTooSmall {
            capacity: len,
            needed: len + 10
        })
    );
}

// [RFC 3711 §3.3 test] "If the MKI indicator is set to one, append the MKI
// to the packet."
#[test]
fn in_place_and_vec_protect_give_the_same_bytes() {
    for profile in P::ALL {
        for mki in [&[][..], &[7, 8, 9][..]] {
            let policy = Policy::new(profile, key(9, profile).with_mki(mki));
            let (mut a, mut rx) = pair(&policy);
            let (mut b, _) = pair(&policy);
            for seq in [1u16, 2, 3] {
                let mut v = rtp(seq, SSRC, &[seq as u8; 33]);
                let plain = v.clone();
                a.protect_rtp(&mut v).unwrap();
                let mut buf = plain.clone();
                buf.resize(plain.len() + b.srtp_overhead() + 5, 0xee);
                let n = b.protect_rtp_in_place(&mut buf, plain.len()).unwrap();
                assert_eq!(&buf[..n], &v[..], "{profile} MKI {mki:?} seq {seq}");
                assert_eq!(n, plain.len() + b.srtp_overhead());
                assert_eq!(unprotect(&mut rx, &v).unwrap(), plain);
            }
            // Too little room: an error, and nothing changed.
            let plain = rtp(4, SSRC, &[1; 10]);
            let mut buf = plain.clone();
            buf.resize(plain.len() + b.srtp_overhead() - 1, 0);
            let before = buf.clone();
            assert!(matches!(
                b.protect_rtp_in_place(&mut buf, plain.len()),
                Err(Error::BufferTooSmall { .. })
            ));
            assert_eq!(buf, before);
        }
    }
}
