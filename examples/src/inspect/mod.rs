//! `rtclite inspect PROTO [FILE]`: one message in, one JSON object out.
//!
//! Each protocol lives in its own module; adding one means a variant here, a
//! match arm in [`run`] and a module with `run(args) -> Result<(), CliError>`.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};

mod opus;
mod rtcp;
mod rtp;
mod sdp;
mod sip;
mod stun;

/// Failure of a command: printed as one `error: ...` line, exit code 1.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Reading the input failed.
    #[error("reading {what}: {source}")]
    Io {
        /// The file name or `stdin`.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input is not a valid message; the text says what and where.
    #[error("{0}")]
    Invalid(String),
}

/// The input argument shared by every inspector.
#[derive(Debug, Args)]
pub(crate) struct InputArg {
    /// File holding the message; `-` or absent reads stdin.
    pub(crate) file: Option<PathBuf>,
}

impl InputArg {
    /// Reads the whole input as one datagram.
    pub(crate) fn read(&self) -> Result<Vec<u8>, CliError> {
        let mut buf = Vec::new();
        match self.file.as_deref() {
            None => read_stdin(&mut buf)?,
            Some(p) if p.as_os_str() == "-" => read_stdin(&mut buf)?,
            Some(p) => {
                buf = std::fs::read(p).map_err(|source| CliError::Io {
                    what: p.display().to_string(),
                    source,
                })?;
            }
        }
        Ok(buf)
    }
}

fn read_stdin(buf: &mut Vec<u8>) -> Result<(), CliError> {
    std::io::stdin()
        .read_to_end(buf)
        .map(|_| ())
        .map_err(|source| CliError::Io {
            what: "stdin".into(),
            source,
        })
}

/// Prints one JSON value on stdout as a single line.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

/// The protocols `rtclite inspect` understands.
#[derive(Debug, Subcommand)]
pub(crate) enum InspectCommand {
    /// A SIP request or response (RFC 3261), validated as a UAS would.
    Sip(InputArg),
    /// One Opus packet (RFC 6716 §3).
    Opus(InputArg),
    /// An SDP session description (RFC 8866).
    Sdp(InputArg),
    /// One RTP packet (RFC 3550 §5.1).
    Rtp(rtp::RtpArgs),
    /// One compound RTCP packet (RFC 3550 §6), as a JSON array.
    Rtcp(rtcp::RtcpArgs),
    /// One STUN message (RFC 8489, RFC 5389, classic RFC 3489).
    Stun(stun::StunArgs),
}

/// Runs one inspector.
pub(crate) fn run(cmd: InspectCommand) -> Result<(), CliError> {
    match cmd {
        InspectCommand::Sip(input) => sip::run(&input),
        InspectCommand::Opus(input) => opus::run(&input),
        InspectCommand::Sdp(input) => sdp::run(&input),
        InspectCommand::Rtp(args) => rtp::run(args),
        InspectCommand::Rtcp(args) => rtcp::run(args),
        InspectCommand::Stun(args) => stun::run(args),
    }
}
