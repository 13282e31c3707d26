#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod context;
mod error;
mod header;
pub mod kdf;
mod keying;
mod profile;
mod replay;
mod transform;

pub use context::{
    Context, DEFAULT_MAX_STREAMS, DEFAULT_REPLAY_WINDOW, Direction, Event, MAX_MKI_LEN,
    MAX_SRTCP_LIFETIME, MAX_SRTP_LIFETIME, MasterKey, Policy, Session,
};
pub use error::Error;
pub use keying::{DtlsSrtpKeys, InlineKey, MAX_SDES_MKI_LEN, policy_from_inline_keys};
pub use profile::{CipherKind, ProtectionProfile};
pub use replay::{MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW};
pub use transform::SessionKeyMaterial;
