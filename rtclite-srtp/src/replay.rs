//! Packet index estimation (RFC 3711 §3.3.1, Appendix A) and the sliding
//! replay window (RFC 3711 §3.3.2).

/// Smallest replay window the RFC allows.
pub const MIN_REPLAY_WINDOW: u64 = 64;
/// Largest replay window this crate accepts: half the sequence number
/// space, beyond which the index estimate itself is ambiguous.
pub const MAX_REPLAY_WINDOW: u64 = 32_768;

/// Estimates the index of an SRTP packet from the rollover counter, the
/// highest sequence number seen (`s_l`) and the packet's sequence number.
/// Returns the guessed ROC `v` and the 48-bit index `2^16 * v + SEQ`.
#[inline]
pub(crate) fn estimate_index(roc: u32, s_l: u16, seq: u16) -> (u32, u64) {
    // [RFC 3711 §3.3.1] "where v is chosen from the set { ROC-1, ROC, ROC+1 }
    // (modulo 2^32) such that i is closest (in modulo 2^48 sense) to the
    // value 2^16 * ROC + s_l (see Appendix A for pseudocode)."
    let (seq_i, s_l_i) = (i32::from(seq), i32::from(s_l));
    let v = if s_l < 32_768 {
        // [RFC 3711 §A] "if (SEQ - s_l > 32,768)"
        if seq_i - s_l_i > 32_768 {
            // ROC is zero at the start of a session and only counts up, so
            // ROC-1 cannot exist before the first rollover: at ROC 0 the
            // packet belongs to ROC 0 (libsrtp decides the same way).
            if roc == 0 { 0 } else { roc.wrapping_sub(1) }
        } else {
            roc
        }
    } else if s_l_i - 32_768 > seq_i {
        roc.wrapping_add(1)
    } else {
        roc
    };
    (v, (u64::from(v) << 16) | u64::from(seq))
}

/// Why the replay list refused an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayVerdict {
    /// Already received.
    Replayed,
    /// Behind the window.
    TooOld,
}

/// A replay list as a bitmap over the `size` indices ending at the highest
/// one accepted: bit `d` records index `top - d`.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    top: u64,
    started: bool,
    size: u64,
    bits: Vec<u64>,
}

impl ReplayWindow {
    /// A window of `size` packets (between [`MIN_REPLAY_WINDOW`] and
    /// [`MAX_REPLAY_WINDOW`], checked by the policy).
    pub(crate) fn new(size: u64) -> Self {
        // Every stream has one for SRTP and one for SRTCP; it cannot be
        // turned off:
        // [RFC 3711 §3.3.2] "It is RECOMMENDED to use replay protection, both
        // for RTP and RTCP"
        let words = size.div_ceil(64) as usize;
        Self {
            top: 0,
            started: false,
            size,
            bits: vec![0; words.max(1)],
        }
    }

    /// Checks an index against the list without changing it.
    #[inline]
    pub(crate) fn check(&self, index: u64) -> Result<(), ReplayVerdict> {
        if !self.started || index > self.top {
            return Ok(());
        }
        let d = self.top - index;
        // [RFC 3711 §3.3.2] "Packet indices which lag behind the packet index
        // in the context by more than SRTP-WINDOW-SIZE can be assumed to have
        // been received"
        if d >= self.size {
            return Err(ReplayVerdict::TooOld);
        }
        // [RFC 3711 §3.3.2] "Only packets with index ahead of the window, or,
        // inside the window but not already received, SHALL be accepted."
        let word = self.bits.get((d / 64) as usize).copied().unwrap_or(0);
        if word & (1 << (d % 64)) != 0 {
            return Err(ReplayVerdict::Replayed);
        }
        Ok(())
    }

    /// Records an index that passed [`check`](Self::check) and
    /// authentication.
    #[inline(always)]
    pub(crate) fn accept(&mut self, index: u64) {
        // [RFC 3711 §3.3.2] "After the packet has been authenticated (if
        // necessary the window is first moved ahead), the replay list SHALL
        // be updated with the new index."
        if self.started && index > self.top {
            // The common case, a packet ahead of the window: move it ahead
            // and mark the new top (bit 0).
            let n = index - self.top;
            self.top = index;
            // The default window (64 packets) is one word.
            if let [word] = self.bits.as_mut_slice() {
                *word = if n >= 64 { 1 } else { (*word << n) | 1 };
                return;
            }
            self.shift(n);
        } else if !self.started {
            self.started = true;
            self.top = index;
            self.bits.iter_mut().for_each(|w| *w = 0);
        }
        let d = self.top - index;
        if let Some(word) = self.bits.get_mut((d / 64) as usize) {
            *word |= 1 << (d % 64);
        }
    }

    /// Window size in packets.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Moves a window of several words ahead by `n` indices.
    fn shift(&mut self, n: u64) {
        let words = self.bits.len();
        if n >= (words as u64) * 64 {
            self.bits.iter_mut().for_each(|w| *w = 0);
            return;
        }
        let ws = (n / 64) as usize;
        let bs = (n % 64) as u32;
        for i in (0..words).rev() {
            let lo = if i >= ws { self.bits[i - ws] } else { 0 };
            let carry = if bs > 0 && i > ws {
                self.bits[i - ws - 1] >> (64 - bs)
            } else {
                0
            };
            self.bits[i] = if i >= ws { (lo << bs) | carry } else { 0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendix_a_estimates() {
        // [RFC 3711 §A test] "set v to (ROC+1) mod 2^32"
        assert_eq!(estimate_index(0, 65_000, 10), (1, 0x1_000a));
        // [RFC 3711 §A test] "set v to (ROC-1) mod 2^32"
        assert_eq!(estimate_index(5, 10, 65_000), (4, (4 << 16) | 65_000));
        assert_eq!(estimate_index(5, 100, 200), (5, (5 << 16) | 200));
        assert_eq!(estimate_index(0, 10, 65_000), (0, 65_000));
        assert_eq!(estimate_index(u32::MAX, 40_000, 5), (0, 5));
    }

    #[test]
    fn window_accepts_reorder_rejects_replay_and_old() {
        let mut w = ReplayWindow::new(64);
        assert_eq!(w.check(100), Ok(()));
        w.accept(100);
        assert_eq!(w.check(100), Err(ReplayVerdict::Replayed));
        assert_eq!(w.check(99), Ok(()));
        w.accept(99);
        assert_eq!(w.check(99), Err(ReplayVerdict::Replayed));
        assert_eq!(w.check(37), Ok(()));
        assert_eq!(w.check(36), Err(ReplayVerdict::TooOld));
        w.accept(170);
        assert_eq!(w.check(100), Err(ReplayVerdict::TooOld));
        assert_eq!(w.check(107), Ok(()));
        assert_eq!(w.check(170), Err(ReplayVerdict::Replayed));
    }

    #[test]
    fn large_window_shift_keeps_bits_across_words() {
        let mut w = ReplayWindow::new(1024);
        for i in (0..1000).step_by(3) {
            w.accept(i);
        }
        w.accept(1100);
        for i in (0..1000u64).step_by(3) {
            let verdict = w.check(i);
            if 1100 - i >= 1024 {
                assert_eq!(verdict, Err(ReplayVerdict::TooOld), "{i}");
            } else {
                assert_eq!(verdict, Err(ReplayVerdict::Replayed), "{i}");
            }
        }
        assert_eq!(w.check(998), Ok(()));
        assert_eq!(w.check(1099), Ok(()));
    }
}
