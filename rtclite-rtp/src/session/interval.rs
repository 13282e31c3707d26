//! The RTCP transmission interval (RFC 3550 §6.3.1, Appendix A.7).

use core::time::Duration;

use rand_core::RngCore;

/// Minimum interval between RTCP reports, in seconds (RFC 3550 §6.2).
// [RFC 3550 §6.2] "The RECOMMENDED value for a fixed minimum interval is 5 seconds."
pub const RTCP_MIN_TIME: f64 = 5.0;
/// Share of the RTCP bandwidth reserved for senders.
// [RFC 3550 §6.2] "It is also RECOMMENDED that 1/4 of the RTCP bandwidth be
// dedicated to participants that are sending data"
// [RFC 3550 §6.2] "all participants in the session MUST use the same values so the same interval
// will be calculated"
// [RFC 3550 §6.2] "Therefore, these constants SHOULD be fixed for a particular profile."
pub const RTCP_SENDER_BW_FRACTION: f64 = 0.25;
/// The reduced minimum interval of RFC 3550 §6.2, in seconds, for a session
/// of `session_bandwidth` bits per second: 360 divided by the bandwidth in
/// kilobits per second (for example 4.5 s at 80 kb/s, 0.36 s at 1 Mb/s).
/// Set it as [`SessionConfig::min_interval`](super::SessionConfig::min_interval) to send
/// reports more often on a fast session; timeouts keep using the fixed
/// 5 s minimum. A zero bandwidth gives [`RTCP_MIN_TIME`].
///
/// ```
/// use rtclite_rtp::session::reduced_min_time;
/// assert_eq!(reduced_min_time(1_000_000), 0.36);
/// assert_eq!(reduced_min_time(0), 5.0);
/// ```
pub fn reduced_min_time(session_bandwidth: u32) -> f64 {
    if session_bandwidth == 0 {
        return RTCP_MIN_TIME;
    }
    // [RFC 3550 §6.2] "The RECOMMENDED value for the reduced minimum in
    // seconds is 360 divided by the session bandwidth in kilobits/second."
    360.0 / (f64::from(session_bandwidth) / 1000.0)
}

/// The timer reconsideration compensation factor, e − 3/2.
pub const COMPENSATION: f64 = core::f64::consts::E - 1.5;

/// The inputs of the interval computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalParams {
    /// Current estimate of session members (self included), at least 1.
    pub members: usize,
    /// Current estimate of senders (self included when `we_sent`).
    pub senders: usize,
    /// RTCP bandwidth in octets per second.
    pub rtcp_bw: f64,
    /// Whether we sent RTP recently.
    pub we_sent: bool,
    /// Average compound RTCP packet size in octets, lower layers included.
    pub avg_rtcp_size: f64,
    /// True until the first RTCP packet has been sent.
    pub initial: bool,
    /// The minimum interval in seconds (5 by default).
    pub min_time: f64,
}

impl IntervalParams {
    /// The deterministic calculated interval Td in seconds (RFC 3550
    /// §6.3.1 steps 1–3), before randomisation.
    pub fn deterministic(&self) -> f64 {
        // [RFC 3550 §6.3.1] "If the participant has not yet sent an RTCP
        // packet (the variable initial is true), the constant Tmin is set to
        // 2.5 seconds, else it is set to 5 seconds."
        let tmin = if self.initial {
            self.min_time / 2.0
        } else {
            self.min_time
        };
        let members = self.members.max(1) as f64;
        let senders = self.senders as f64;
        let mut bw = self.rtcp_bw;
        let mut n = members;
        // [RFC 3550 §6.3.1] "If the number of senders is less than or equal
        // to 25% of the membership (members), the interval depends on
        // whether the participant is a sender or not"
        if senders <= members * RTCP_SENDER_BW_FRACTION {
            if self.we_sent {
                bw *= RTCP_SENDER_BW_FRACTION;
                n = senders;
            } else {
                bw *= 1.0 - RTCP_SENDER_BW_FRACTION;
                n = members - senders;
            }
        }
        let t = if bw > 0.0 {
            self.avg_rtcp_size * n / bw
        } else {
            f64::INFINITY
        };
        // [RFC 3550 §6.3.1] "The deterministic calculated interval Td is set
        // to max(Tmin, n*C)."
        // [RFC 3550 §6.2] "The calculated interval between transmissions of compound RTCP packets
        // SHOULD also have a lower bound"
        t.max(tmin)
    }

    /// The calculated interval T: Td times a uniform factor in [0.5, 1.5),
    /// divided by e − 3/2 (RFC 3550 §6.3.1 steps 4–5). An unbounded Td
    /// (zero bandwidth) is capped at one day.
    pub fn randomized<R: RngCore + ?Sized>(&self, rng: &mut R) -> Duration {
        // Nonsense configuration (negative or NaN sizes) must not panic in
        // `Duration::from_secs_f64`: keep Td within [0, one day].
        let td = self.deterministic();
        let td = if td.is_nan() {
            86_400.0
        } else {
            td.clamp(0.0, 86_400.0)
        };
        // 53 random bits give a uniform value in [0, 1).
        let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        // [RFC 3550 §6.3.1] "The calculated interval T is set to a number
        // uniformly distributed between 0.5 and 1.5 times the deterministic
        // calculated interval."
        // [RFC 3550 §6.3] "An implementation which is constrained to two-party unicast operation
        // SHOULD still use randomization of the RTCP transmission interval"
        let t = td * (unit + 0.5);
        // [RFC 3550 §6.3.1] "The resulting value of T is divided by
        // e-3/2=1.21828 to compensate for the fact that the timer
        // reconsideration algorithm converges to a value of the RTCP
        // bandwidth below the intended average."
        Duration::from_secs_f64(t / COMPENSATION)
    }
}
