//! `rtclite srtp protect|unprotect --profile P --key HEX [--rtcp]`
//! (cli.md §2): hex packets in on stdin, one per line; hex packets out on
//! stdout, one per line, through one crypto context for the whole stream.
//!
//! A line that fails (authentication, replay, malformed) prints
//! `error: <reason>` in its place and processing continues; the exit code
//! is 1 if any line failed. A bad `--key` is a usage error (exit 2).

use std::io::{BufRead, Write};

use clap::{Args, Subcommand};
use rtclite_srtp::{Context, MasterKey, Policy, ProtectionProfile};

use crate::inspect::CliError;

/// Protect or unprotect a stream of packets given as hex lines.
#[derive(Debug, Subcommand)]
pub(crate) enum SrtpCommand {
    /// RTP (or with --rtcp, RTCP) in, SRTP (SRTCP) out.
    Protect(SrtpArgs),
    /// SRTP (or with --rtcp, SRTCP) in, RTP (RTCP) out.
    Unprotect(SrtpArgs),
}

/// Options shared by both directions.
#[derive(Debug, Args)]
pub(crate) struct SrtpArgs {
    /// Protection profile, by its IANA name (e.g. AES_CM_128_HMAC_SHA1_80).
    #[arg(long, value_parser = parse_profile)]
    profile: ProtectionProfile,
    /// Master key followed by master salt, in hex.
    #[arg(long)]
    key: String,
    /// The packets are RTCP (SRTCP) rather than RTP (SRTP).
    #[arg(long)]
    rtcp: bool,
    /// Replay window in packets (64 to 32768).
    #[arg(long, default_value_t = rtclite_srtp::DEFAULT_REPLAY_WINDOW)]
    replay_window: u64,
}

fn parse_profile(s: &str) -> Result<ProtectionProfile, String> {
    s.parse().map_err(|e: rtclite_srtp::Error| e.to_string())
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("not hex at character {}", 2 * i))
        })
        .collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn usage(msg: String) -> ! {
    clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{msg}\n")).exit()
}

/// Runs the command over stdin and stdout.
pub(crate) fn run(cmd: SrtpCommand) -> Result<(), CliError> {
    let (args, protect) = match cmd {
        SrtpCommand::Protect(a) => (a, true),
        SrtpCommand::Unprotect(a) => (a, false),
    };
    let key_salt = decode_hex(&args.key).unwrap_or_else(|e| usage(format!("--key: {e}")));
    let master = MasterKey::from_concatenated(args.profile, &key_salt)
        .unwrap_or_else(|e| usage(format!("--key: {e}")));
    let policy = Policy::new(args.profile, master).with_replay_window(args.replay_window);
    let ctx = if protect {
        Context::new_outbound(&policy)
    } else {
        Context::new_inbound(&policy)
    };
    let mut ctx = ctx.unwrap_or_else(|e| usage(e.to_string()));

    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let io_err = |source| CliError::Io {
        what: "stdout".into(),
        source,
    };
    let mut failed = Vec::new();
    let mut total = 0usize;
    let mut buf = Vec::with_capacity(2048);
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|source| CliError::Io {
            what: "stdin".into(),
            source,
        })?;
        total += 1;
        let result = decode_hex(&line).and_then(|bytes| {
            buf.clear();
            buf.extend_from_slice(&bytes);
            buf.reserve(ctx.srtcp_overhead());
            let r = match (protect, args.rtcp) {
                (true, false) => ctx.protect_rtp(&mut buf),
                (true, true) => ctx.protect_rtcp(&mut buf),
                (false, false) => ctx.unprotect_rtp(&mut buf),
                (false, true) => ctx.unprotect_rtcp(&mut buf),
            };
            r.map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => writeln!(out, "{}", encode_hex(&buf)).map_err(io_err)?,
            Err(reason) => {
                failed.push(n + 1);
                writeln!(out, "error: {reason}").map_err(io_err)?;
            }
        }
    }
    out.flush().map_err(io_err)?;
    if failed.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = failed.iter().take(10).map(ToString::to_string).collect();
    let more = if failed.len() > 10 { ", ..." } else { "" };
    Err(CliError::Invalid(format!(
        "{} of {total} packets failed (lines {}{more})",
        failed.len(),
        shown.join(", ")
    )))
}
