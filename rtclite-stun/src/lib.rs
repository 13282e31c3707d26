#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod attribute;
pub mod auth;
pub mod error;
mod hmac_state;
pub mod integrity;
pub mod message;
pub mod nonce;
pub mod opaque;
pub mod redirect;
pub mod server;
pub mod transaction;
pub mod turn;
pub mod uri;

pub use attribute::{AddressFamily, Attribute, AttributeType, ErrorCode};
pub use error::{AttributeError, EncodeError, ParseError};
pub use integrity::{Check, IntegrityKey, PasswordAlgorithm};
pub use message::{
    Class, MAGIC_COOKIE, Message, MessageType, MessageWriter, Method, RawAttribute, TransactionId,
};
pub use nonce::SecurityFeatures;
