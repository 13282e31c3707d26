#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod access;
pub mod builder;
pub mod dialog;
pub mod digest;
mod error;
mod framer;
mod header_name;
pub mod headers;
pub mod locate;
mod message;
mod owned;
pub mod proxy;
pub mod registrar;
mod syntax;
pub mod timer;
pub mod transaction;
pub mod transport;
pub mod ua;
mod uri;
mod validate;

pub use builder::MessageBuilder;
pub use error::{Error, ErrorKind};
pub use framer::{Frame, StreamFramer};
pub use header_name::HeaderName;
pub use message::{
    Header, MAX_HEADERS, MAX_LINE_LEN, MAX_MESSAGE_SIZE, Message, Method, StartLine, Version,
};
pub use owned::OwnedMessage;
pub use syntax::{ParamIter, Params, unescape, unquote};
pub use uri::{Host, SipUri, TelUri, Uri};
pub use validate::{Rejection, proxy_validate, validate};
