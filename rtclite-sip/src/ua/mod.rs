//! The user agent core (RFC 3261 §8, §12–§15; RFC 3262; RFC 3428) built on
//! the transaction layer and [`crate::dialog`]:
//!
//! - [`UserAgent`]: the one sans-IO object a phone runs on — calls
//!   (INVITE, CANCEL, BYE, re-INVITE with the §14.1 glare back-off, PRACK,
//!   UPDATE of RFC 3311), with the offer/answer exchanges of §13.2.1,
//!   RFC 3262 §5 and RFC 3311 tracked per dialog (an INVITE or re-INVITE
//!   may go without an offer; offers arrive in [`UaEvent::Offer`] and are
//!   answered with [`UserAgent::answer_offer`]),
//!   OPTIONS, MESSAGE and registration, driven by
//!   `handle_input`/`handle_timeout`/`poll_transmit`/`poll_event`/`poll_timeout`,
//!   with [`UaEvent`]s out and commands in (see the crate README for a
//!   complete call between two agents), and session timers (RFC 4028:
//!   [`SessionExpires`], [`MinSe`], [`SessionTimerConfig`]);
//!
//! - [`UasPolicy::check`]: the UAS checks of §8.2.1–§8.2.3 (405 with Allow,
//!   482 for a merged request, 420 with Unsupported, 415 with Accept), each
//!   answered by the response the RFC prescribes;
//! - [`RegisterClient`]: the REGISTER client of §10.2 (digest retry once
//!   per challenge, 423 → Min-Expires, refresh before expiry);
//! - [`Retransmit2xx`]: the UAS core's retransmission of a 2xx to INVITE
//!   until the ACK (§13.3.1.4), sans-IO.
//!
//! The ACK for a 2xx is built by the dialog ([`crate::dialog::Dialog::new_request`]
//! with [`crate::Method::Ack`], §13.2.2.4).

mod agent;
mod invite;
mod register;
mod session_timer;
mod types;
mod uas;

pub use agent::{
    ALLOW, MAX_422_RETRIES, MAX_EARLY_DIALOGS, MAX_REDIRECT_TARGETS, OFFER_ANSWER_TIMEOUT,
    UserAgent, reason_phrase,
};
pub use invite::{Retransmit2xx, Retransmit2xxEvent};
pub use register::{RegisterClient, RegisterConfig, RegisterEvent};
pub use session_timer::{
    MIN_SESSION_INTERVAL, MinSe, RefreshBy, Refresher, SessionExpires, SessionTimerConfig,
    SessionTimerState,
};
pub use types::{
    Body, CallHandle, DigestCredentials, EndReason, OfferIn, RequestHandle, UaConfig, UaError,
    UaEvent,
};
pub use uas::{MergeDetector, UasPolicy};
