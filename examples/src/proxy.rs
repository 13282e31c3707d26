//! `rtclite proxy`: a registrar and a stateful (or stateless) proxy on UDP
//! and TCP, with digest authentication from a users file.
//!
//! All SIP logic is `rtclite_sip::proxy::Proxy` (RFC 3261 §16 with the
//! §10.3 registrar in front of an in-memory location service); this module
//! binds the sockets, runs the proxy on the [`crate::runtime`] driver,
//! supplies the authentication policy from the users file, and prints.
//!
//! # Users file (`--users FILE`)
//!
//! One user per line, `USER:PASSWORD`; everything after the first `:` is
//! the password (it may contain `:`). Blank lines and lines starting with
//! `#` are ignored; surrounding white space is trimmed. Example:
//!
//! ```text
//! # rtclite proxy users
//! alice:wonderland
//! bob:s3cret:with:colons
//! ```
//!
//! With a users file, every REGISTER must carry valid Digest credentials
//! (MD5, the algorithm every peer speaks; realm = the first `--domain`, or
//! `rtclite`): the proxy answers 401 with a WWW-Authenticate challenge
//! otherwise, and again with `stale=true` when only the nonce expired.
//! With `--challenge-calls` as well, every new request outside a dialog
//! must carry Proxy-Authorization (407 otherwise). ACK and CANCEL are never
//! challenged (RFC 3261 §22.1). The checks are
//! `rtclite_sip::proxy::DigestAuth`; nonces are stateless (issue time and
//! MAC), so the nonce count is not checked for replays within a nonce's
//! lifetime.
//!
//! # Domains
//!
//! With `--domain D` (repeatable) the proxy is responsible for the URIs of
//! those domains and its registrar binds their addresses-of-record. Without
//! it the proxy is responsible only for URIs that name one of its listening
//! addresses (host *and* port), and its registrar accepts
//! addresses-of-record at its listening IP addresses (and `localhost`): on
//! loopback every user agent shares the IP, so a URI like
//! `sip:127.0.0.1:5070` (a peer's contact) must not count as the proxy's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use rtclite_sip::digest::Algorithm;
use rtclite_sip::proxy::{
    DigestAuth, Forking, LocalAddr, Proxy, ProxyConfig, ProxyError, ProxyEvent, ProxyMode,
    ProxyPolicy,
};
use rtclite_sip::registrar::{InMemoryLocationService, Registrar, RegistrarConfig};
use rtclite_sip::{Message, OwnedMessage};
use serde_json::json;

use crate::inspect::CliError;
use crate::runtime::{self, Driver, DriverConfig, Flow, ListenAddr, Machine, Sockets};

/// The most users a users file may hold.
const MAX_USERS: usize = 100_000;

/// Arguments of `rtclite proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Where to listen: `udp:HOST:PORT` or `tcp:HOST:PORT`, repeatable
    /// (port 0 picks a free port; the chosen addresses are printed).
    #[arg(long, required = true, num_args = 1..)]
    listen: Vec<String>,
    /// A domain this proxy and registrar serve (repeatable). Default: the
    /// proxy's own listening addresses; the registrar then accepts
    /// addresses-of-record at the listening IPs and `localhost`.
    #[arg(long)]
    domain: Vec<String>,
    /// Users for digest authentication, one `USER:PASSWORD` per line.
    #[arg(long)]
    users: Option<PathBuf>,
    /// With --users: challenge (407) every new request outside a dialog
    /// too, not only REGISTER.
    #[arg(long)]
    challenge_calls: bool,
    /// Forward statelessly (RFC 3261 §16.11): no transactions, no forking.
    #[arg(long)]
    stateless: bool,
    /// Do not insert Record-Route.
    #[arg(long)]
    no_record_route: bool,
    /// How a request reaches several contacts (RFC 3261 §16.6): all at
    /// once, or in groups of equal q-value, highest first, the next group
    /// when one ends without a 2xx.
    #[arg(long, value_enum, default_value_t = Fork::Parallel)]
    fork: Fork,
    /// With `--fork sequential`: seconds a group may ring before it is
    /// CANCELled and the next group starts (default: until its final
    /// responses or Timer C).
    #[arg(long)]
    fork_group_time: Option<f64>,
    /// Try the SIP Contacts of a 3xx response (RFC 3261 §16.7 step 4)
    /// instead of passing the redirect upstream.
    #[arg(long)]
    recurse: bool,
    /// Print one JSON object per line: listening addresses, registrations,
    /// routed requests, final responses and a closing summary.
    #[arg(long)]
    json: bool,
    /// Write every SIP message in and out to this pcap file.
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Stop after this many seconds (default: until SIGINT or SIGTERM).
    #[arg(long)]
    duration: Option<f64>,
}

/// `--fork`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Fork {
    /// Every contact at once.
    Parallel,
    /// Groups of equal q-value, highest first.
    Sequential,
}

/// Runs `rtclite proxy`.
pub(crate) fn run(args: ProxyArgs, verbose: u8, quiet: bool) -> Result<(), CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            what: "the runtime".into(),
            source,
        })?;
    rt.block_on(serve(args, verbose, quiet))
}

/// Reads a users file (format in the module documentation).
pub(crate) fn read_users(path: &std::path::Path) -> Result<HashMap<String, String>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        what: path.display().to_string(),
        source,
    })?;
    parse_users(&text).map_err(|e| CliError::Invalid(format!("{}: {e}", path.display())))
}

fn parse_users(text: &str) -> Result<HashMap<String, String>, String> {
    let mut users = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, password)) = line.split_once(':') else {
            return Err(format!("line {}: expected USER:PASSWORD", n + 1));
        };
        if user.is_empty() {
            return Err(format!("line {}: empty user name", n + 1));
        }
        if users.len() >= MAX_USERS {
            return Err(format!("more than {MAX_USERS} users"));
        }
        users.insert(user.to_owned(), password.to_owned());
    }
    Ok(users)
}

async fn serve(args: ProxyArgs, verbose: u8, quiet: bool) -> Result<(), CliError> {
    let listen = args
        .listen
        .iter()
        .map(|s| ListenAddr::parse(s).map_err(CliError::Invalid))
        .collect::<Result<Vec<_>, _>>()?;
    let sockets = Sockets::bind(&listen)
        .await
        .map_err(|source| CliError::Io {
            what: "binding the listening sockets".into(),
            source,
        })?;
    let bound = sockets.local_addrs().to_vec();
    let users = args.users.as_deref().map(read_users).transpose()?;
    let pcap = crate::open_pcap(args.pcap.as_deref())?;

    let local: Vec<LocalAddr> = bound
        .iter()
        .map(|b| LocalAddr {
            transport: b.transport,
            host: advertised_ip(b).to_string(),
            port: b.addr.port(),
        })
        .collect();
    // See "Domains" in the module documentation.
    let proxy_domains = args.domain.clone();
    let mut registrar_domains = args.domain.clone();
    if registrar_domains.is_empty() {
        for b in &bound {
            // A URI writes an IPv6 host as a reference, `[::1]`.
            let host = match advertised_ip(b) {
                std::net::IpAddr::V6(a) => format!("[{a}]"),
                v4 => v4.to_string(),
            };
            if !registrar_domains.contains(&host) {
                registrar_domains.push(host);
            }
        }
        registrar_domains.push("localhost".into());
    }
    let group_timeout = args
        .fork_group_time
        .map(Duration::try_from_secs_f64)
        .transpose()
        .map_err(|e| CliError::Invalid(format!("--fork-group-time: {e}")))?;
    if group_timeout.is_some() && args.fork != Fork::Sequential {
        return Err(CliError::Invalid(
            "--fork-group-time needs --fork sequential".into(),
        ));
    }
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    let config = ProxyConfig {
        forking: match args.fork {
            Fork::Parallel => Forking::Parallel,
            Fork::Sequential => Forking::Sequential { group_timeout },
        },
        recurse_on_3xx: args.recurse,
        mode: if args.stateless {
            ProxyMode::Stateless
        } else {
            ProxyMode::Stateful
        },
        domains: proxy_domains.clone(),
        local,
        record_route: !args.no_record_route,
        secret,
        ..ProxyConfig::default()
    };
    let registrar = Registrar::new(
        RegistrarConfig {
            domains: registrar_domains,
            ..RegistrarConfig::default()
        },
        InMemoryLocationService::new(),
    );
    let start = Instant::now();
    let policy = Policy(users.map(|users| {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let realm = proxy_domains.first().map_or("rtclite", String::as_str);
        // Its own secret: nonces and branch parameters share no key.
        let mut nonce_secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce_secret);
        let auth = DigestAuth::new(realm, nonce_secret, Algorithm::Md5, start, wall)
            .challenge_requests(args.challenge_calls);
        users
            .iter()
            .fold(auth, |a, (user, password)| a.with_user(user, password))
    }));
    let machine = ProxyMachine(Proxy::new(config, registrar, policy));

    let duration = args
        .duration
        .map(Duration::try_from_secs_f64)
        .transpose()
        .map_err(|e| CliError::Invalid(format!("--duration: {e}")))?;
    let stop = shutdown(duration)?;
    for b in &bound {
        say(
            args.json,
            json!({"event": "listening", "address": b.to_string()}),
            format!("listening {b}"),
        );
    }
    let driver = Driver::new(
        sockets,
        machine,
        DriverConfig {
            pcap,
            trace: verbose > 1 && !quiet,
            ..DriverConfig::default()
        },
    );
    let mut stats = Stats::default();
    let json = args.json;
    let log = verbose > 0 && !quiet;
    let machine = driver
        .run(
            |_m, _now, event| {
                stats.count(&event);
                report(json, log, &event);
                Flow::Continue
            },
            stop,
        )
        .await;
    let summary = json!({
        "event": "summary",
        "registrations": stats.registrations,
        "routed": stats.routed,
        "final_responses": stats.finals,
        "final_2xx": stats.finals_2xx,
        "bindings": machine.0.registrar().location().len(),
        "seconds": start.elapsed().as_secs_f64(),
    });
    say(
        json,
        summary,
        format!(
            "stopped: {} registrations, {} requests routed, {} final responses ({} 2xx)",
            stats.registrations, stats.routed, stats.finals, stats.finals_2xx
        ),
    );
    Ok(())
}

/// The address to put in Via and Record-Route: the bound IP, or loopback
/// for a wildcard bind.
fn advertised_ip(b: &ListenAddr) -> std::net::IpAddr {
    let ip = b.addr.ip();
    match ip {
        std::net::IpAddr::V4(a) if a.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(a) if a.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        other => other,
    }
}

/// Completes on SIGINT, SIGTERM or after `duration`. The signal handlers
/// are installed here, before the future is first polled, so that a signal
/// arriving right after the listening addresses are printed is not lost
/// (nor kills the process).
fn shutdown(duration: Option<Duration>) -> Result<impl Future<Output = ()>, CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let install = |kind: SignalKind| {
        signal(kind).map_err(|source| CliError::Io {
            what: "installing the signal handlers".into(),
            source,
        })
    };
    let mut term = install(SignalKind::terminate())?;
    let mut int = install(SignalKind::interrupt())?;
    Ok(async move {
        let timer = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = timer => {}
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

fn say(json: bool, value: serde_json::Value, text: String) {
    use std::io::Write;
    // A closed stdout must not stop the proxy: write errors are ignored.
    let mut out = std::io::stdout().lock();
    let _ = if json {
        writeln!(out, "{value}")
    } else {
        writeln!(out, "{text}")
    };
    let _ = out.flush();
}

/// Event counts for the closing summary.
#[derive(Debug, Default)]
struct Stats {
    registrations: u64,
    routed: u64,
    finals: u64,
    finals_2xx: u64,
}

impl Stats {
    fn count(&mut self, event: &ProxyEvent) {
        match event {
            ProxyEvent::Registration { .. } => self.registrations += 1,
            ProxyEvent::RequestRouted { .. } => self.routed += 1,
            ProxyEvent::FinalResponse { status, .. } => {
                self.finals += 1;
                if (200..300).contains(status) {
                    self.finals_2xx += 1;
                }
            }
            _ => {}
        }
    }
}

/// `--json` prints each event on stdout; otherwise `-v` logs it on stderr.
fn report(json: bool, log: bool, event: &ProxyEvent) {
    let (value, text) = match event {
        ProxyEvent::Registration {
            aor,
            status,
            contacts,
        } => (
            json!({"event": "registration", "aor": aor, "status": status, "contacts": contacts}),
            format!("registration {aor}: {status} {contacts:?}"),
        ),
        ProxyEvent::RequestRouted {
            method,
            call_id,
            request_uri,
            targets,
        } => (
            json!({"event": "routed", "method": method, "call_id": call_id,
                   "request_uri": request_uri, "targets": targets}),
            format!("routed {method} {request_uri} -> {targets:?} ({call_id})"),
        ),
        ProxyEvent::FinalResponse {
            method,
            call_id,
            status,
        } => (
            json!({"event": "final_response", "method": method, "call_id": call_id,
                   "status": status}),
            format!("final {status} for {method} ({call_id})"),
        ),
        other => (
            json!({"event": "other", "debug": format!("{other:?}")}),
            format!("{other:?}"),
        ),
    };
    if json {
        say(true, value, text);
    } else if log {
        eprintln!("{text}");
    }
}

/// The proxy as a driver machine.
struct ProxyMachine(Proxy<InMemoryLocationService, Policy>);

impl Machine for ProxyMachine {
    type Event = ProxyEvent;
    type Error = ProxyError;

    fn handle_input(&mut self, now: Instant, input: runtime::Received) -> Result<(), ProxyError> {
        self.0.handle_input(now, runtime::sip::input(input))
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.0.handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<runtime::Outgoing> {
        self.0.poll_transmit().map(runtime::sip::outgoing)
    }

    fn poll_event(&mut self) -> Option<ProxyEvent> {
        self.0.poll_event()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.0.poll_timeout()
    }
}

/// The proxy's policy: digest authentication when a users file is given,
/// otherwise every request is accepted; targets and next hops are the
/// proxy's defaults (location service, the URI's own address).
struct Policy(Option<DigestAuth>);

impl ProxyPolicy for Policy {
    fn authorize(&mut self, now: Instant, request: &Message<'_>) -> Option<OwnedMessage> {
        self.0.as_mut()?.authorize(now, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_file_lines() {
        let u = parse_users("# comment\n\n alice:wonder land \nbob:a:b:c\n").unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!(u["alice"], "wonder land");
        assert_eq!(u["bob"], "a:b:c");
        assert_eq!(
            parse_users("alice\n").unwrap_err(),
            "line 1: expected USER:PASSWORD"
        );
        assert!(parse_users(":pw\n").is_err());
    }
}
