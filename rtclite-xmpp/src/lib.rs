#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod client;
pub mod component;
pub mod error;
pub mod im;
pub mod jid;
pub mod jingle;
pub mod precis;
pub mod sasl;
pub mod sdp;
pub mod stanza;
pub mod xml;
