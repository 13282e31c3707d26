//! `rtclite`: the command-line front end of the rtclite crates.
//!
//! The contract of every subcommand (names, flags, JSON fields, exit codes) is
//! written in the workspace's `cli.md`; scripts outside the repository drive
//! the binary exactly as written there. Exit codes: 0 success, 1 the input or
//! the protocol exchange failed (one `error: ...` line on stderr), 2 bad usage.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod echo;
mod inspect;
mod media;
mod pcap;
mod phone;
mod proxy;
mod runtime;
mod srtp;
mod stun;
mod xmpp;

/// Real-time communication protocols, by the RFC.
#[derive(Debug, Parser)]
#[command(name = "rtclite", version, about, long_about = None)]
struct Cli {
    /// More logging on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// No logging on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read one message (file or stdin) and print it as one JSON object.
    #[command(subcommand)]
    Inspect(inspect::InspectCommand),
    /// Protect or unprotect hex packets (one per line) with one SRTP context.
    #[command(subcommand)]
    Srtp(srtp::SrtpCommand),
    /// A STUN/TURN server or client on UDP (RFC 8489, RFC 8656).
    #[command(subcommand)]
    Stun(stun::StunCommand),
    /// An XMPP client on TCP: log in, roster, subscribe, message, ping, Jingle call; listen or echo.
    Xmpp(xmpp::XmppArgs),
    /// A registrar and stateful (or stateless) SIP proxy on UDP and TCP (RFC 3261 §10.3, §16).
    Proxy(proxy::ProxyArgs),
    /// A SIP phone: register, call or answer, play/record WAV, DTMF, SRTP, MESSAGE, hold; call summary.
    Phone(phone::PhoneArgs),
    /// Answers every call and sends the audio back; answers every MESSAGE with its text.
    Echo(echo::EchoArgs),
    /// A whole call on loopback in one process: proxy, echo, phone, Opus over SRTP, quality line.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(cmd) => inspect::run(cmd),
        Command::Srtp(cmd) => srtp::run(cmd),
        Command::Stun(cmd) => stun::run(cmd),
        Command::Xmpp(args) => xmpp::run(args),
        Command::Proxy(args) => proxy::run(args, cli.verbose, cli.quiet),
        Command::Phone(args) => phone::run(args, cli.verbose, cli.quiet),
        Command::Echo(args) => echo::run(args, cli.verbose, cli.quiet),
        Command::Demo(args) => demo::run(args, cli.verbose, cli.quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// Opens the capture file of an endpoint's `--pcap` flag, if one was given
/// (shared by `proxy`, `phone` and `echo`).
fn open_pcap(path: Option<&std::path::Path>) -> Result<Option<pcap::PcapSink>, inspect::CliError> {
    path.map(pcap::PcapSink::create)
        .transpose()
        .map_err(|source| inspect::CliError::Io {
            what: "the pcap file".into(),
            source,
        })
}
