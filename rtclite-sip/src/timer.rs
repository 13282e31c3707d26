//! SIP timer values (RFC 3261 §17 and Appendix A, Table 4; RFC 6026 §7).
//!
//! [`TimerConfig`] holds the three base values T1, T2 and T4; every
//! transaction timer is derived from them by the rules of §17. The
//! transaction state machines in [`crate::transaction`] read their timers
//! from here only, so a test (or a deployment on a high-latency link) can
//! change T1 and see every dependent timer move with it.

use std::fmt;
use std::time::Duration;

/// The base timer values of RFC 3261 Appendix A (Table 4).
///
/// ```
/// use std::time::Duration;
/// use rtclite_sip::timer::{Timer, TimerConfig};
///
/// let t = TimerConfig::default();
/// assert_eq!(t.t1, Duration::from_millis(500));
/// assert_eq!(t.duration(Timer::B, false), Duration::from_secs(32));
/// assert_eq!(t.duration(Timer::D, true), Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the round-trip time estimate (default 500 ms).
    pub t1: Duration,
    /// T2, the maximum retransmit interval for non-INVITE requests and
    /// INVITE responses (default 4 s).
    pub t2: Duration,
    /// T4, the maximum duration a message remains in the network
    /// (default 5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            // [RFC 3261 §17.1.1.2] "The default value for T1 is 500 ms."
            t1: Duration::from_millis(500),
            // [RFC 3261 §17.1.2.2] "The default value of T2 is 4s"
            t2: Duration::from_secs(4),
            // [RFC 3261 §17.1.2.2] "The default value of T4 is 5s."
            t4: Duration::from_secs(5),
        }
    }
}

/// The minimum of Timer D on unreliable transports.
pub const TIMER_D_MIN: Duration = Duration::from_secs(32);

/// How long a server transaction waits for the transaction user before it
/// sends a 100 (Trying) on its own (RFC 3261 §17.2.1).
pub const TRYING_DELAY: Duration = Duration::from_millis(200);

impl TimerConfig {
    /// 64*T1: Timers B, F, H, L and M, and Timer J on unreliable transports.
    pub fn timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// The initial value of `timer` (before any doubling) for a transport
    /// that is `reliable` or not. Retransmission timers (A, E, G) return
    /// T1 even on reliable transports, where the state machines never start
    /// them.
    pub fn duration(&self, timer: Timer, reliable: bool) -> Duration {
        let unless_reliable = |d: Duration| if reliable { Duration::ZERO } else { d };
        match timer {
            Timer::A | Timer::E | Timer::G => self.t1,
            Timer::B | Timer::F | Timer::H | Timer::L | Timer::M => self.timeout(),
            // [RFC 3261 §17.1.1.2] "with a value of at least 32 seconds for unreliable
            // transports, and a value of zero seconds for reliable transports"
            Timer::D => unless_reliable(TIMER_D_MIN.max(self.timeout())),
            Timer::I | Timer::K => unless_reliable(self.t4),
            Timer::J => unless_reliable(self.timeout()),
        }
    }

    /// The next retransmission interval after `current` for Timers E and G
    /// (and for Timer A when `cap` is false): the interval doubles and, when
    /// capped, never exceeds T2.
    pub fn backoff(&self, current: Duration, cap: bool) -> Duration {
        let doubled = current.saturating_mul(2);
        if cap { doubled.min(self.t2) } else { doubled }
    }
}

/// The transaction timers of RFC 3261 §17 and RFC 6026 §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// INVITE request retransmit interval (unreliable transports only).
    A,
    /// INVITE client transaction timeout.
    B,
    /// Wait time for response retransmits (INVITE client).
    D,
    /// Non-INVITE request retransmit interval (unreliable transports only).
    E,
    /// Non-INVITE client transaction timeout.
    F,
    /// INVITE response retransmit interval (unreliable transports only).
    G,
    /// Wait time for ACK receipt (INVITE server).
    H,
    /// Wait time for ACK retransmits (INVITE server).
    I,
    /// Wait time for non-INVITE request retransmits (server).
    J,
    /// Wait time for response retransmits (non-INVITE client).
    K,
    /// Wait time for INVITE retransmits in the Accepted state (RFC 6026).
    L,
    /// Wait time for 2xx retransmits in the Accepted state (RFC 6026).
    M,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Timer::A => "A",
            Timer::B => "B",
            Timer::D => "D",
            Timer::E => "E",
            Timer::F => "F",
            Timer::G => "G",
            Timer::H => "H",
            Timer::I => "I",
            Timer::J => "J",
            Timer::K => "K",
            Timer::L => "L",
            Timer::M => "M",
        };
        write!(f, "Timer {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // [RFC 3261 §A] "Table 4 summarizes the meaning and defaults of the various
    // timers"
    #[test]
    fn table_4_defaults() {
        let t = TimerConfig::default();
        let s = Duration::from_secs;
        assert_eq!(t.duration(Timer::A, false), Duration::from_millis(500));
        assert_eq!(t.duration(Timer::B, false), s(32));
        assert_eq!(t.duration(Timer::D, false), s(32));
        assert_eq!(t.duration(Timer::D, true), Duration::ZERO);
        assert_eq!(t.duration(Timer::E, false), Duration::from_millis(500));
        assert_eq!(t.duration(Timer::F, true), s(32));
        assert_eq!(t.duration(Timer::G, false), Duration::from_millis(500));
        assert_eq!(t.duration(Timer::H, true), s(32));
        assert_eq!(t.duration(Timer::I, false), s(5));
        assert_eq!(t.duration(Timer::I, true), Duration::ZERO);
        assert_eq!(t.duration(Timer::J, false), s(32));
        assert_eq!(t.duration(Timer::J, true), Duration::ZERO);
        assert_eq!(t.duration(Timer::K, false), s(5));
        assert_eq!(t.duration(Timer::K, true), Duration::ZERO);
        assert_eq!(t.duration(Timer::L, false), s(32));
        assert_eq!(t.duration(Timer::M, false), s(32));
    }

    // [RFC 3261 §17.1.2.2] "For the default values of T1 and T2, this results in
    // intervals of 500 ms, 1 s, 2 s, 4 s, 4 s, 4 s, etc."
    #[test]
    fn timer_e_intervals_cap_at_t2() {
        let t = TimerConfig::default();
        let mut d = t.duration(Timer::E, false);
        let mut seen = vec![d];
        for _ in 0..5 {
            d = t.backoff(d, true);
            seen.push(d);
        }
        let ms = Duration::from_millis;
        assert_eq!(
            seen,
            [ms(500), ms(1000), ms(2000), ms(4000), ms(4000), ms(4000)]
        );
    }

    #[test]
    fn timer_d_stays_at_least_32_s_and_follows_large_t1() {
        let t = TimerConfig {
            t1: Duration::from_millis(100),
            ..TimerConfig::default()
        };
        assert_eq!(t.duration(Timer::D, false), TIMER_D_MIN);
        let t = TimerConfig {
            t1: Duration::from_secs(1),
            ..t
        };
        assert_eq!(t.duration(Timer::D, false), Duration::from_secs(64));
    }
}
