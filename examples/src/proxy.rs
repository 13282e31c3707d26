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
//! One entry per line; blank lines and lines starting with `#` are
//! ignored, and surrounding white space is trimmed. `USER` is everything
//! before the first `:` (so it cannot contain one) and must not be empty.
//! Three line forms:
//!
//! - `USER:PASSWORD` — the password in clear: everything after the first
//!   `:` (it may contain `:`).
//! - `USER:{HA1}:ALGORITHM:HEX` — no password on disk, only
//!   `H(A1) = H(USER ":" REALM ":" PASSWORD)` (RFC 2617 §3.2.2.2,
//!   RFC 7616 §3.4.2), the value Kamailio keeps in its `ha1` column and
//!   Asterisk in `md5_cred`. `ALGORITHM` is `md5` (32 hex digits),
//!   `sha-256` or `sha-512-256` (64 hex digits), in any case; `HEX` in any
//!   case. An H(A1) serves its algorithm and that algorithm's `-sess`
//!   variant. A user may have one line per algorithm, and then no
//!   password line.
//! - `USER:{PLAIN}:PASSWORD` — a password written after an explicit marker:
//!   how to write a password that itself starts with `{HA1}:` or
//!   `{PLAIN}:`.
//!
//! `REALM` is the realm the proxy challenges with: the first `--domain`,
//! or `rtclite` without one. An H(A1) is bound to it: one made for another
//! realm (or another user name) never verifies, so compute it with the
//! proxy's first `--domain`, e.g.
//!
//! ```text
//! printf '%s' 'alice:example.com:wonderland' | md5sum
//! printf '%s' 'alice:example.com:wonderland' | sha256sum
//! printf '%s' 'alice:example.com:wonderland' | openssl dgst -sha512-256
//! ```
//!
//! Example, for `--domain example.com`:
//!
//! ```text
//! # rtclite proxy users
//! bob:s3cret:with:colons
//! alice:{HA1}:md5:93dfce8dfebfae8af4a726982429d23a
//! alice:{HA1}:sha-256:8a76b8adf2eb7492ff78f57bc361a5c93e2f53c6e93f7ee91f68b5382cfea14f
//! carol:{PLAIN}:{HA1}:is my password
//! ```
//!
//! Why a marker in braces: the `{SCHEME}` prefix is how password files
//! already tag a stored value's scheme (RFC 2307 `userPassword`, Dovecot's
//! `{PLAIN}` and `{DIGEST-MD5}`), and a plain `USER:md5:HEX` would take
//! every existing password that starts with `md5:` for a hash. With the
//! marker, a file written for the `USER:PASSWORD` form keeps its meaning
//! unless a password starts with `{HA1}:` or `{PLAIN}:` (markers match in
//! any case): a `{HA1}:` one is now read as an H(A1) line (and refused,
//! naming its line, unless it is a valid one), and a `{PLAIN}:` one loses
//! its marker.
//! Errors name the line: a bad hex length or digit, an unknown algorithm,
//! a second H(A1) of one algorithm for a user, or a user with both a
//! password and H(A1) lines. A repeated password line replaces the earlier
//! one, as it always did.
//!
//! With a users file, every REGISTER must carry valid Digest credentials:
//! the proxy answers 401 with WWW-Authenticate challenges otherwise, and
//! again with `stale=true` when only the nonce expired. The challenges
//! offer MD5 (the algorithm every peer speaks, first, for peers that answer
//! the topmost challenge whatever its algorithm), then SHA-256 and
//! SHA-512-256 when some H(A1) line is for them; each 401 offers only the
//! ones that can verify the user the REGISTER names (its To user, or the
//! username of credentials it carries): a user with only a SHA-256 H(A1)
//! is offered SHA-256 alone, a user with a password all of them. When none
//! can, the answer is 403. With `--challenge-calls` as well, every new
//! request outside a dialog must carry Proxy-Authorization (407 otherwise,
//! offered by the From user). ACK and CANCEL are never challenged
//! (RFC 3261 §22.1). The checks are `rtclite_sip::proxy::DigestAuth`;
//! nonces are stateless (issue time and MAC), and the nonce count of each
//! is checked against replays.
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
use rtclite_sip::digest::{Algorithm, Ha1, StoredCredential};
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
    /// Users for digest authentication, one per line: `USER:PASSWORD`,
    /// `USER:{HA1}:md5|sha-256|sha-512-256:HEX` (HEX = H(USER:REALM:PASSWORD)
    /// with REALM the first --domain, or `rtclite`) or
    /// `USER:{PLAIN}:PASSWORD`; `#` starts a comment line.
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

/// Reads a users file (format in the module documentation); H(A1) lines
/// are for `realm`.
pub(crate) fn read_users(
    path: &std::path::Path,
    realm: &str,
) -> Result<HashMap<String, StoredCredential>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        what: path.display().to_string(),
        source,
    })?;
    parse_users(&text, realm).map_err(|e| CliError::Invalid(format!("{}: {e}", path.display())))
}

/// The marker of an H(A1) line, `USER:{HA1}:ALGORITHM:HEX`.
const HA1_MARKER: &str = "{HA1}:";
/// The marker of an explicit password, `USER:{PLAIN}:PASSWORD`.
const PLAIN_MARKER: &str = "{PLAIN}:";

/// What a users file says about one user, with the lines that said it.
enum UserEntry {
    Password { password: String, line: usize },
    Ha1(Vec<(Ha1, usize)>),
}

/// `rest` without `marker` at its start, compared in any case.
fn strip_marker<'a>(rest: &'a str, marker: &str) -> Option<&'a str> {
    let head = rest.get(..marker.len())?;
    head.eq_ignore_ascii_case(marker)
        .then(|| rest.get(marker.len()..))
        .flatten()
}

/// The algorithm of an H(A1) line: the three the proxy can offer, by their
/// RFC 7616 §6.1 names in any case.
fn line_algorithm(token: &str) -> Result<Algorithm, String> {
    match Algorithm::parse(token) {
        Some(a) if !a.is_session() => Ok(a),
        Some(a) => Err(format!(
            "{a}: give the H(A1) of {} (it serves {a} too)",
            a.base()
        )),
        None => Err(format!(
            "unknown algorithm {token:?}: expected md5, sha-256 or sha-512-256"
        )),
    }
}

fn parse_users(text: &str, realm: &str) -> Result<HashMap<String, StoredCredential>, String> {
    let mut users: HashMap<String, UserEntry> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, rest)) = line.split_once(':') else {
            return Err(format!(
                "line {n}: expected USER:PASSWORD or USER:{{HA1}}:ALGORITHM:HEX"
            ));
        };
        if user.is_empty() {
            return Err(format!("line {n}: empty user name"));
        }
        if !users.contains_key(user) && users.len() >= MAX_USERS {
            return Err(format!("more than {MAX_USERS} users"));
        }
        if let Some(spec) = strip_marker(rest, HA1_MARKER) {
            let Some((token, hex)) = spec.split_once(':') else {
                return Err(format!("line {n}: expected USER:{{HA1}}:ALGORITHM:HEX"));
            };
            let algorithm = line_algorithm(token).map_err(|e| format!("line {n}: {e}"))?;
            let ha1 = Ha1::from_hex(algorithm, realm, hex)
                .map_err(|e| format!("line {n}: {user}: {e}"))?;
            match users
                .entry(user.to_owned())
                .or_insert_with(|| UserEntry::Ha1(Vec::new()))
            {
                UserEntry::Password { line, .. } => {
                    return Err(format!(
                        "line {n}: {user} has a password on line {line}; give a password or H(A1) lines, not both"
                    ));
                }
                UserEntry::Ha1(list) => {
                    if let Some((_, first)) = list.iter().find(|(h, _)| h.algorithm() == algorithm)
                    {
                        return Err(format!(
                            "line {n}: a second {algorithm} H(A1) for {user} (the first is on line {first})"
                        ));
                    }
                    list.push((ha1, n));
                }
            }
            continue;
        }
        let password = strip_marker(rest, PLAIN_MARKER).unwrap_or(rest);
        match users.get(user) {
            Some(UserEntry::Ha1(list)) => {
                let first = list.first().map_or(0, |(_, l)| *l);
                return Err(format!(
                    "line {n}: {user} has an H(A1) on line {first}; give a password or H(A1) lines, not both"
                ));
            }
            // A repeated password line replaces the earlier one.
            Some(UserEntry::Password { .. }) | None => {
                users.insert(
                    user.to_owned(),
                    UserEntry::Password {
                        password: password.to_owned(),
                        line: n,
                    },
                );
            }
        }
    }
    Ok(users
        .into_iter()
        .map(|(user, entry)| {
            let stored = match entry {
                UserEntry::Password { password, .. } => StoredCredential::Password(password),
                UserEntry::Ha1(list) => {
                    StoredCredential::Ha1(list.into_iter().map(|(h, _)| h).collect())
                }
            };
            (user, stored)
        })
        .collect())
}

/// The algorithms the proxy offers and accepts, most preferred first: MD5
/// (every peer speaks it), then SHA-256 and SHA-512-256 when some user has
/// an H(A1) for them. Each challenge keeps only those that can verify its
/// user (`DigestAuth`).
fn offered_algorithms(users: &HashMap<String, StoredCredential>) -> Vec<Algorithm> {
    let stored = |a: Algorithm| {
        users.values().any(
            |s| matches!(s, StoredCredential::Ha1(list) if list.iter().any(|h| h.algorithm() == a)),
        )
    };
    let mut list = vec![Algorithm::Md5];
    list.extend(
        [Algorithm::Sha256, Algorithm::Sha512_256]
            .into_iter()
            .filter(|&a| stored(a)),
    );
    list
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
    // The realm challenges name, and H(A1) lines are made for: the domain
    // the proxy serves, which names the host doing the authentication.
    // Without --domain there is no such name (the listening address may
    // change between runs, which would void every H(A1) line): `rtclite`.
    // [RFC 7616 §5.2] "In particular, a realm string SHOULD include the name of
    // the host doing the authentication."
    // [RFC 7616 §5.2 exception: the operator picks the realm with --domain] "the
    // realm string SHOULD be unique among all realms that any single user is
    // likely to use"
    let realm = args.domain.first().map_or("rtclite", String::as_str);
    let users = args
        .users
        .as_deref()
        .map(|path| read_users(path, realm))
        .transpose()?;
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
        // Its own secret: nonces and branch parameters share no key.
        let mut nonce_secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce_secret);
        let auth = DigestAuth::new(realm, nonce_secret, Algorithm::Md5, start, wall)
            .with_algorithms(&offered_algorithms(&users))
            .challenge_requests(args.challenge_calls);
        users
            .into_iter()
            .fold(auth, |a, (user, stored)| a.with_credential(&user, stored))
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

    const REALM: &str = "example.com";

    fn password(u: &HashMap<String, StoredCredential>, user: &str) -> String {
        match &u[user] {
            StoredCredential::Password(p) => p.clone(),
            other => panic!("{user}: {other:?}"),
        }
    }

    fn ha1s(u: &HashMap<String, StoredCredential>, user: &str) -> Vec<Ha1> {
        match &u[user] {
            StoredCredential::Ha1(list) => list.clone(),
            other => panic!("{user}: {other:?}"),
        }
    }

    fn err(text: &str) -> String {
        parse_users(text, REALM).unwrap_err()
    }

    #[test]
    fn users_file_lines() {
        let u = parse_users("# comment\n\n alice:wonder land \nbob:a:b:c\n", REALM).unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!(password(&u, "alice"), "wonder land");
        assert_eq!(password(&u, "bob"), "a:b:c");
        assert_eq!(
            err("alice\n"),
            "line 1: expected USER:PASSWORD or USER:{HA1}:ALGORITHM:HEX"
        );
        assert_eq!(err(":pw\n"), "line 1: empty user name");
        // a repeated password line replaces the earlier one, as before
        let u = parse_users("bob:one\nbob:two\n", REALM).unwrap();
        assert_eq!(password(&u, "bob"), "two");
    }

    /// A password that merely looks like an algorithm and a hash stays a
    /// password: only the `{HA1}:` marker makes an H(A1) line.
    #[test]
    fn passwords_that_look_like_hashes_stay_passwords() {
        let text = "a:md5:939e7578ed9e3c518a452acee763bce9\n\
                    b:sha-256:x\n\
                    c:{HA1}\n\
                    d:{plain}:{HA1}:md5:939e7578ed9e3c518a452acee763bce9\n\
                    e:{PLAIN}:{PLAIN}:x\n\
                    f:{HA2}:md5:y\n";
        let u = parse_users(text, REALM).unwrap();
        assert_eq!(password(&u, "a"), "md5:939e7578ed9e3c518a452acee763bce9");
        assert_eq!(password(&u, "b"), "sha-256:x");
        assert_eq!(password(&u, "c"), "{HA1}");
        assert_eq!(
            password(&u, "d"),
            "{HA1}:md5:939e7578ed9e3c518a452acee763bce9"
        );
        assert_eq!(password(&u, "e"), "{PLAIN}:x");
        assert_eq!(password(&u, "f"), "{HA2}:md5:y");
    }

    #[test]
    fn ha1_lines_for_each_algorithm() {
        let md5 = Ha1::from_password(Algorithm::Md5, "alice", REALM, "wonderland");
        let sha = Ha1::from_password(Algorithm::Sha256, "alice", REALM, "wonderland");
        let sha512 = Ha1::from_password(Algorithm::Sha512_256, "carol", REALM, "c");
        let text = format!(
            "alice:{{HA1}}:md5:{}\n alice:{{ha1}}:SHA-256:{} \ncarol:{{HA1}}:Sha-512-256:{}\n",
            md5.as_hex(),
            sha.as_hex().to_ascii_uppercase(),
            sha512.as_hex()
        );
        let u = parse_users(&text, REALM).unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!(ha1s(&u, "alice"), [md5, sha.clone()]);
        assert_eq!(ha1s(&u, "carol"), std::slice::from_ref(&sha512));
        // bound to the proxy's realm
        assert_eq!(sha512.realm(), REALM);
        assert!(u["carol"].serves(Algorithm::Sha512_256Sess, REALM));
        assert!(!u["carol"].serves(Algorithm::Sha512_256, "rtclite"));
        assert!(!u["carol"].serves(Algorithm::Md5, REALM));
        assert_eq!(
            offered_algorithms(&u),
            [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256]
        );
        let only_sha =
            parse_users(&format!("carol:{{HA1}}:sha-256:{}\n", sha.as_hex()), REALM).unwrap();
        assert_eq!(
            offered_algorithms(&only_sha),
            [Algorithm::Md5, Algorithm::Sha256]
        );
        let passwords = parse_users("bob:x\n", REALM).unwrap();
        assert_eq!(offered_algorithms(&passwords), [Algorithm::Md5]);
    }

    #[test]
    fn ha1_line_errors_name_the_line() {
        let h32 = "939e7578ed9e3c518a452acee763bce9";
        let h64 = format!("{h32}{h32}");
        assert_eq!(
            err(&format!("# x\nalice:{{HA1}}:md5:{h64}\n")),
            "line 2: alice: an H(A1) for MD5 is 32 hex digits, not 64 (RFC 7616 §3.2)"
        );
        assert_eq!(
            err(&format!("alice:{{HA1}}:sha-256:{h32}\n")),
            "line 1: alice: an H(A1) for SHA-256 is 64 hex digits, not 32 (RFC 7616 §3.2)"
        );
        assert_eq!(
            err(&format!("alice:{{HA1}}:sha-512-256:{h32}0\n")),
            "line 1: alice: an H(A1) for SHA-512-256 is 64 hex digits, not 33 (RFC 7616 §3.2)"
        );
        assert_eq!(
            err("alice:{HA1}:md5:939e7578ed9e3c518a452acee763bcxz\n"),
            "line 1: alice: an H(A1) is hex digits; 'x' at offset 30 is not one (RFC 7616 §3.2)"
        );
        assert_eq!(
            err(&format!("alice:{{HA1}}:sha-1:{h32}\n")),
            "line 1: unknown algorithm \"sha-1\": expected md5, sha-256 or sha-512-256"
        );
        assert_eq!(
            err(&format!("alice:{{HA1}}:md5-sess:{h32}\n")),
            "line 1: MD5-sess: give the H(A1) of MD5 (it serves MD5-sess too)"
        );
        assert_eq!(
            err(&format!("alice:{{HA1}}:{h32}\n")),
            "line 1: expected USER:{HA1}:ALGORITHM:HEX"
        );
        assert_eq!(
            err(&format!(
                "alice:{{HA1}}:md5:{h32}\nalice:{{HA1}}:MD5:{h32}\n"
            )),
            "line 2: a second MD5 H(A1) for alice (the first is on line 1)"
        );
        assert_eq!(
            err(&format!("alice:pw\n\nalice:{{HA1}}:md5:{h32}\n")),
            "line 3: alice has a password on line 1; give a password or H(A1) lines, not both"
        );
        assert_eq!(
            err(&format!("alice:{{HA1}}:md5:{h32}\nalice:pw\n")),
            "line 2: alice has an H(A1) on line 1; give a password or H(A1) lines, not both"
        );
        assert_eq!(
            err(&format!("alice:{{HA1}}:md5:{h32}\nalice:{{PLAIN}}:pw\n")),
            "line 2: alice has an H(A1) on line 1; give a password or H(A1) lines, not both"
        );
    }

    /// Texts made of the pieces of every line form, at random: the parser
    /// never panics, and every error names a line of the text.
    #[test]
    fn arbitrary_lines_never_panic_and_errors_name_a_line() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "alice",
            "bob",
            ":",
            "{HA1}:",
            "{ha1}:",
            "{PLAIN}:",
            "md5:",
            "SHA-256:",
            "sha-512-256:",
            "md5-sess:",
            "939e7578ed9e3c518a452acee763bce9",
            "0",
            "g",
            "\u{e9}",
            " ",
            "#",
            "\n",
            "\r\n",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..5000 {
            let len = rng.random_range(0..24);
            let text: String = (0..len)
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            match parse_users(&text, REALM) {
                Ok(u) => assert!(u.len() <= text.lines().count(), "{text:?}"),
                Err(e) => {
                    let n: usize = e
                        .strip_prefix("line ")
                        .and_then(|r| r.split(':').next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("{e}"));
                    assert!((1..=text.lines().count()).contains(&n), "{e}: {text:?}");
                }
            }
        }
    }

    /// The example of the module documentation parses, and its H(A1)
    /// lines are those of the password they were made from.
    #[test]
    fn documented_example() {
        let source = include_str!("proxy.rs");
        let start = source
            .find("//! # rtclite proxy users\n")
            .expect("the example");
        let example: String = source[start..]
            .lines()
            .take_while(|l| *l != "//! ```")
            .map(|l| format!("{}\n", l.trim_start_matches("//!").trim()))
            .collect();
        let u = parse_users(&example, REALM).unwrap();
        assert_eq!(password(&u, "bob"), "s3cret:with:colons");
        assert_eq!(password(&u, "carol"), "{HA1}:is my password");
        assert_eq!(
            ha1s(&u, "alice"),
            [
                Ha1::from_password(Algorithm::Md5, "alice", REALM, "wonderland"),
                Ha1::from_password(Algorithm::Sha256, "alice", REALM, "wonderland"),
            ]
        );
    }
}
