//! Helpers shared by the proxy and UA message-by-message tests (each test
//! file also declares `mod sim;`, whose harnesses these build on).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod proxy;
pub(crate) mod ua;
