//! Session timers (RFC 4028): the Session-Expires and Min-SE header
//! fields, typed, and the per-dialog timer state the
//! [`UserAgent`](super::UserAgent) keeps.
//!
//! ```
//! use rtclite_sip::ua::{Refresher, SessionExpires, MinSe};
//!
//! let se = SessionExpires::parse("1800;refresher=uac;x-note=1")?;
//! assert_eq!(se.delta_seconds, 1800);
//! assert_eq!(se.refresher, Some(Refresher::Uac));
//! assert_eq!(se.params.get("x-note"), Some(Some("1")));
//! se.validate()?;
//! assert_eq!(se.to_string(), "1800;refresher=uac;x-note=1");
//!
//! // Below the absolute minimum of 90 seconds: invalid, and the error says
//! // which header field and why.
//! let err = SessionExpires::parse("60")?.validate().unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "value out of range: a session interval below 90 seconds \
//!      in Session-Expires header field (RFC 4028 §4)"
//! );
//! assert!(MinSe::parse("89")?.validate().is_err());
//! # Ok::<(), rtclite_sip::Error>(())
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use crate::HeaderName;
use crate::error::{Error, ErrorKind, syntax};
use crate::headers::ValueParams;
use crate::message::Message;
use crate::syntax::{Params, parse_u32};

/// The smallest session interval there is, in seconds (RFC 4028 §4), and
/// the value of Min-SE when the header field is absent (§5).
pub const MIN_SESSION_INTERVAL: u32 = 90;

/// Who refreshes, as the `refresher` parameter of Session-Expires says it
/// (RFC 4028 §4): the UAC or the UAS *of the transaction that carried
/// it*, not of the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// `refresher=uac`.
    Uac,
    /// `refresher=uas`.
    Uas,
}

impl Refresher {
    /// `uac` or `uas`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Uac => "uac",
            Self::Uas => "uas",
        }
    }
}

/// Which side of a call refreshes its session
/// ([`UaEvent::SessionRefreshed`](super::UaEvent::SessionRefreshed),
/// [`SessionTimerState`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshBy {
    /// This agent sends the session refresh requests.
    Local,
    /// The peer does; this agent sends BYE if none arrives in time.
    Remote,
}

/// A parsed Session-Expires value (RFC 4028 §4):
/// `delta-seconds *(SEMI se-params)`, borrowing from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires<'a> {
    /// The session interval in seconds (a value too large for 32 bits is
    /// taken as `u32::MAX`).
    pub delta_seconds: u32,
    /// The `refresher` parameter, if present.
    pub refresher: Option<Refresher>,
    /// Every parameter, `refresher` included, as written.
    pub params: Params<'a>,
}

/// A parsed Min-SE value (RFC 4028 §5): `delta-seconds *(SEMI
/// generic-param)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinSe<'a> {
    /// The smallest session interval accepted, in seconds.
    pub delta_seconds: u32,
    /// The parameters, as written.
    pub params: Params<'a>,
}

/// `1*DIGIT`, saturating at `u32::MAX`.
// [RFC 4028 §4] "In other words, SIP entities MUST be prepared to handle
// Session-Expires header field values of any duration greater than 90
// seconds"
fn delta_seconds(s: &str, name: HeaderName, section: &'static str) -> Result<u32, Error> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax("expected delta-seconds (1*DIGIT)")
            .in_header(name)
            .rfc(section));
    }
    Ok(parse_u32(s).unwrap_or(u32::MAX))
}

fn value_params<'a>(
    s: &'a str,
    name: HeaderName,
    section: &'static str,
) -> Result<ValueParams<'a>, Error> {
    let v = ValueParams::parse(s).map_err(|e| e.in_header(name))?;
    if v.comment.is_some() {
        return Err(syntax("a comment is not allowed here")
            .in_header(name)
            .rfc(section));
    }
    Ok(v)
}

/// The one value of header field `name` in `msg`: `None` when absent, an
/// error when it appears more than once.
fn single<'a>(msg: &Message<'a>, name: HeaderName) -> Option<Result<&'a str, Error>> {
    let mut it = msg.headers_of(name);
    let first = it.next()?;
    if it.next().is_some() {
        return Some(Err(Error::new(ErrorKind::DuplicateHeader).in_header(name)));
    }
    Some(Ok(first.raw_value()))
}

impl<'a> SessionExpires<'a> {
    /// Parses a Session-Expires header field value. The value is not
    /// checked against the 90-second minimum: see
    /// [`validate`](Self::validate).
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        const S4: &str = "RFC 4028 §4";
        let name = HeaderName::SessionExpires;
        let v = value_params(s, name, S4)?;
        let delta_seconds = delta_seconds(v.value, name, S4)?;
        let refresher = match v.params.get("refresher") {
            None => None,
            Some(Some(r)) if r.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            Some(Some(r)) if r.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            Some(_) => {
                return Err(syntax("the refresher parameter must be uac or uas")
                    .in_header(name)
                    .rfc(S4));
            }
        };
        Ok(Self {
            delta_seconds,
            refresher,
            params: v.params,
        })
    }

    /// The Session-Expires of `msg` (or its compact form `x`), if any.
    pub fn of(msg: &Message<'a>) -> Option<Result<Self, Error>> {
        single(msg, HeaderName::SessionExpires).map(|r| r.and_then(Self::parse))
    }

    /// Checks the value against the absolute minimum of 90 seconds.
    pub fn validate(&self) -> Result<(), Error> {
        // [RFC 4028 §4] "The absolute minimum for the Session-Expires header
        // field is 90 seconds."
        if self.delta_seconds < MIN_SESSION_INTERVAL {
            return Err(
                Error::new(ErrorKind::OutOfRange("a session interval below 90 seconds"))
                    .in_header(HeaderName::SessionExpires)
                    .rfc("RFC 4028 §4"),
            );
        }
        Ok(())
    }
}

impl fmt::Display for SessionExpires<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta_seconds)?;
        if !self.params.is_empty() {
            write!(f, ";{}", self.params.as_str())?;
        }
        Ok(())
    }
}

impl<'a> MinSe<'a> {
    /// Parses a Min-SE header field value (see [`validate`](Self::validate)
    /// for the minimum).
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        const S5: &str = "RFC 4028 §5";
        let name = HeaderName::MinSe;
        let v = value_params(s, name, S5)?;
        Ok(Self {
            delta_seconds: delta_seconds(v.value, name, S5)?,
            params: v.params,
        })
    }

    /// The Min-SE of `msg`, if any.
    pub fn of(msg: &Message<'a>) -> Option<Result<Self, Error>> {
        single(msg, HeaderName::MinSe).map(|r| r.and_then(Self::parse))
    }

    /// Checks the value against the minimum of 90 seconds.
    pub fn validate(&self) -> Result<(), Error> {
        // [RFC 4028 §5] "When present in a request or response, its value
        // MUST NOT be less than 90 seconds."
        if self.delta_seconds < MIN_SESSION_INTERVAL {
            return Err(Error::new(ErrorKind::OutOfRange(
                "a minimum session interval below 90 seconds",
            ))
            .in_header(HeaderName::MinSe)
            .rfc("RFC 4028 §5"));
        }
        Ok(())
    }
}

impl fmt::Display for MinSe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta_seconds)?;
        if !self.params.is_empty() {
            write!(f, ";{}", self.params.as_str())?;
        }
        Ok(())
    }
}

/// How a [`UserAgent`](super::UserAgent) uses session timers
/// ([`UaConfig::session_timer`](super::UaConfig::session_timer)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// The session interval asked for in INVITE and UPDATE requests, and
    /// the most accepted from a peer (a larger one is reduced to it in the
    /// 2xx), in seconds. Default 1800 (RFC 4028 §4 recommends 30 minutes).
    pub session_expires: u32,
    /// The smallest session interval accepted, in seconds: a request
    /// asking for less, from a peer that supports the extension, is
    /// answered 422 (RFC 4028 §9). Default 90; at least 90. A value other
    /// than 90 is sent as Min-SE.
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    fn default() -> Self {
        Self {
            // [RFC 4028 §4] "However, 1800 seconds (30 minutes) is
            // RECOMMENDED as the value for the Session-Expires header field."
            session_expires: 1800,
            min_se: MIN_SESSION_INTERVAL,
        }
    }
}

impl SessionTimerConfig {
    /// `min_se`, raised to 90 if set lower.
    pub(crate) fn min_se(&self) -> u32 {
        self.min_se.max(MIN_SESSION_INTERVAL)
    }

    /// `session_expires`, raised to the minimum if set lower.
    pub(crate) fn session_expires(&self) -> u32 {
        self.session_expires.max(self.min_se())
    }
}

/// The session timer of a call, as [`UserAgent::session_timer`](super::UserAgent::session_timer)
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerState {
    /// The session interval negotiated by the last 2xx to a session
    /// refresh request.
    pub interval: Duration,
    /// Who refreshes.
    pub refresher: RefreshBy,
    /// The session expiration: the last 2xx plus the interval.
    pub expires: Instant,
}

/// An active session timer of one call (RFC 4028 §7.2, §9, §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ActiveTimer {
    /// The session interval, seconds.
    pub(crate) interval: u32,
    /// This side refreshes.
    pub(crate) local: bool,
    /// The session expiration.
    pub(crate) expires: Instant,
    /// When this side (the refresher) sends the next refresh.
    pub(crate) refresh_at: Option<Instant>,
    /// When this side sends BYE if the session was not refreshed.
    pub(crate) bye_at: Option<Instant>,
}

impl ActiveTimer {
    /// A timer started at `now` (the 2xx to a session refresh request
    /// sent or received) for `interval` seconds.
    pub(crate) fn start(now: Instant, interval: u32, local: bool) -> Self {
        let secs = |s: u32| now.checked_add(Duration::from_secs(u64::from(s)));
        let expires = secs(interval).unwrap_or(now);
        // [RFC 4028 §7.2] "It is RECOMMENDED that this refresh be sent once
        // half the session interval has elapsed."
        // [RFC 4028 §9] "It is RECOMMENDED that this refresh be sent once
        // half the session interval has elapsed."
        let refresh_at = if local { secs(interval / 2) } else { None };
        // [RFC 4028 §10] "Similarly, if the side not performing refreshes
        // does not receive a session refresh request before the session
        // expiration, it SHOULD send a BYE to terminate the session,
        // slightly before the session expiration."
        // [RFC 4028 §10] "The minimum of 32 seconds and one third of the
        // session interval is RECOMMENDED."
        // The refresher, whose refreshes all failed (each is retried until
        // then, RFC 4028 §10), ends the session at the expiration itself: a
        // refresh that reached the peer reset the peer's timer even when
        // its 2xx was lost.
        let before = if local { 0 } else { (interval / 3).min(32) };
        let bye_at = secs(interval.saturating_sub(before));
        Self {
            interval,
            local,
            expires,
            refresh_at,
            bye_at,
        }
    }

    /// The next instant this timer needs attention.
    pub(crate) fn next(&self) -> Option<Instant> {
        match (self.refresh_at, self.bye_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What [`UserAgent::session_timer`](super::UserAgent::session_timer) shows.
    pub(crate) fn state(&self) -> SessionTimerState {
        SessionTimerState {
            interval: Duration::from_secs(u64::from(self.interval)),
            refresher: if self.local {
                RefreshBy::Local
            } else {
                RefreshBy::Remote
            },
            expires: self.expires,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_expires_parse_write_validate() {
        let se = SessionExpires::parse("4000 ; refresher=UAS").unwrap();
        assert_eq!(se.delta_seconds, 4000);
        assert_eq!(se.refresher, Some(Refresher::Uas));
        let big = SessionExpires::parse("99999999999").unwrap();
        assert_eq!(big.delta_seconds, u32::MAX);
        assert!(SessionExpires::parse("").is_err());
        assert!(SessionExpires::parse("12a").is_err());
        assert!(SessionExpires::parse("-5").is_err());
        assert!(SessionExpires::parse("1800;refresher=both").is_err());
        assert!(SessionExpires::parse("1800;refresher").is_err());
        assert!(SessionExpires::parse("1800 (c)").is_err());
        let e = SessionExpires::parse("1800;refresher=x").unwrap_err();
        assert_eq!(e.header(), Some(HeaderName::SessionExpires));
        assert_eq!(e.section(), Some("RFC 4028 §4"));
        // [RFC 4028 §4 test] "The absolute minimum for the Session-Expires
        // header field is 90 seconds."
        assert!(SessionExpires::parse("89").unwrap().validate().is_err());
        assert!(SessionExpires::parse("90").unwrap().validate().is_ok());
    }

    #[test]
    fn min_se_parse_write_validate() {
        let m = MinSe::parse("120;lr").unwrap();
        assert_eq!(m.delta_seconds, 120);
        assert_eq!(m.to_string(), "120;lr");
        // [RFC 4028 §5 test] "When present in a request or response, its
        // value MUST NOT be less than 90 seconds."
        let e = MinSe::parse("30").unwrap().validate().unwrap_err();
        assert_eq!(e.header(), Some(HeaderName::MinSe));
        assert!(MinSe::parse("x").is_err());
    }

    #[test]
    fn timer_points() {
        let t0 = Instant::now();
        let t = ActiveTimer::start(t0, 90, true);
        assert_eq!(t.refresh_at, Some(t0 + Duration::from_secs(45)));
        assert_eq!(t.bye_at, Some(t0 + Duration::from_secs(90)));
        // min(32, 30) = 30 before the expiration.
        let t = ActiveTimer::start(t0, 90, false);
        assert_eq!(t.bye_at, Some(t0 + Duration::from_secs(60)));
        let t = ActiveTimer::start(t0, 1800, false);
        assert_eq!(t.refresh_at, None);
        assert_eq!(t.bye_at, Some(t0 + Duration::from_secs(1768)));
        assert_eq!(t.next(), t.bye_at);
        // No overflow on any interval.
        // [RFC 4028 §4 test] "In other words, SIP entities MUST be prepared to
        // handle Session-Expires header field values of any duration greater
        // than 90 seconds"
        let t = ActiveTimer::start(t0, u32::MAX, true);
        assert!(t.next().is_some());
    }
}
