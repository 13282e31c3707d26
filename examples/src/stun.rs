//! `rtclite stun server|client`: a STUN (and optional TURN) server and a
//! STUN/TURN client on UDP, driving the sans-IO state machines of
//! `rtclite-stun` with blocking std sockets.
//!
//! Every wait is bounded: the client gives up after the RFC 8489 §6.2.1
//! transaction timeout, the server runs until killed (or `--max-seconds`).

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use rtclite_stun::attribute::{AddressFamily, Attribute, AttributeType};
use rtclite_stun::message::{Class, Message, MessageType, MessageWriter, TransactionId};
use rtclite_stun::redirect::{AlternateServer, RedirectRefusal, Redirects};
use rtclite_stun::server::{BindingServer, ServerAddresses};
use rtclite_stun::transaction::{
    ClientTransaction, TransactionConfig, TransactionEvent, Transport,
};
use rtclite_stun::turn::client::{
    AllocatePort, RelayFamilies, TurnClient, TurnClientConfig, TurnEvent,
};
use rtclite_stun::turn::server::{
    RelayAllocator, RelayGrant, RelayRequest, ServerOutput, TurnServer, TurnServerConfig,
};
use serde_json::json;

use crate::inspect::CliError;

/// `rtclite stun ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum StunCommand {
    /// Run a STUN Binding server (and a TURN relay on loopback with --turn).
    Server(ServerArgs),
    /// Ask a server for our mapped address (or use it as a TURN relay).
    Client(ClientArgs),
}

/// Arguments of `rtclite stun server`.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// Where to listen, `udp:HOST:PORT` (port 0 picks a free port).
    #[arg(long)]
    listen: String,
    /// RFC 5780 NAT behaviour discovery: a second IP address (e.g. 127.0.0.2);
    /// the server then answers on two addresses and two ports.
    #[arg(long)]
    alternate: Option<std::net::IpAddr>,
    /// Also act as a TURN server (RFC 8656), relaying on loopback.
    #[arg(long)]
    turn: bool,
    /// With --turn: do not set the DF bit on relayed datagrams even where
    /// the system can; DONT-FRAGMENT then gets 420 (RFC 8656 §7.2 step 4).
    #[arg(long)]
    no_dont_fragment: bool,
    /// TURN user `USER:PASSWORD` (repeatable).
    #[arg(long)]
    user: Vec<String>,
    /// TURN realm.
    #[arg(long, default_value = "rtclite")]
    realm: String,
    /// Redirect with 300 (Try Alternate) to this server, `udp:HOST:PORT`
    /// (RFC 8489 §10; repeat once per address family): Binding requests,
    /// or with --turn every authenticated Allocate request.
    #[arg(long)]
    redirect: Vec<String>,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    max_seconds: Option<u64>,
    /// Print results as JSON lines.
    #[arg(long)]
    json: bool,
}

/// Arguments of `rtclite stun client`.
#[derive(Debug, Args)]
pub(crate) struct ClientArgs {
    /// The server, `udp:HOST:PORT`.
    server: String,
    /// Allocate a TURN relay with these credentials `USER:PASSWORD`.
    #[arg(long)]
    turn_user: Option<String>,
    /// With --turn-user: ask for a dual allocation, one IPv4 and one IPv6
    /// relayed address (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.1).
    #[arg(long)]
    dual: bool,
    /// With --turn-user: a peer `udp:HOST:PORT` to permit, bind a channel to and send to.
    #[arg(long)]
    peer: Option<String>,
    /// With --turn-user: ask the server to relay our data with the DF bit
    /// set (DONT-FRAGMENT in Allocate and Send indications, RFC 8656
    /// §11.1); data then always goes by Send indication.
    #[arg(long)]
    dont_fragment: bool,
    /// With --peer: the text to send (once by Send indication, once over the channel).
    #[arg(long, default_value = "hello from rtclite")]
    send: String,
    /// With --peer: wait this many seconds for data back from the peer.
    #[arg(long, default_value_t = 0)]
    wait_seconds: u64,
    /// Print results as JSON lines.
    #[arg(long)]
    json: bool,
}

/// Runs a `stun` subcommand.
pub(crate) fn run(cmd: StunCommand) -> Result<(), CliError> {
    match cmd {
        StunCommand::Server(a) => server(a),
        StunCommand::Client(a) => client(a),
    }
}

fn io(what: &str) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        what: what.to_owned(),
        source,
    }
}

fn udp_addr(s: &str) -> Result<SocketAddr, CliError> {
    let rest = s
        .strip_prefix("udp:")
        .ok_or_else(|| CliError::Invalid(format!("{s}: expected udp:HOST:PORT")))?;
    let rest = rest.trim_start_matches('[').replace("]:", ":");
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| CliError::Invalid(format!("{s}: expected udp:HOST:PORT")))?;
    let port: u16 = port
        .parse()
        .map_err(|_| CliError::Invalid(format!("{s}: bad port")))?;
    (host, port)
        .to_socket_addrs()
        .map_err(|e| CliError::Invalid(format!("{s}: {e}")))?
        .next()
        .ok_or_else(|| CliError::Invalid(format!("{s}: no address")))
}

fn say(json: bool, value: serde_json::Value, text: String) {
    use std::io::Write;
    // A closed stdout must not kill a server: write errors are ignored.
    let mut out = std::io::stdout().lock();
    let _ = if json {
        writeln!(out, "{value}")
    } else {
        writeln!(out, "{text}")
    };
    let _ = out.flush();
}

enum Incoming {
    Listen(SocketAddr, SocketAddr, Vec<u8>),
    Relay(SocketAddr, SocketAddr, Vec<u8>),
}

fn reader(
    socket: Arc<UdpSocket>,
    relay: Option<SocketAddr>,
    stop: Arc<AtomicBool>,
    tx: mpsc::Sender<Incoming>,
) {
    let local = socket.local_addr().ok();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while !stop.load(Ordering::Relaxed) {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let data = buf[..n].to_vec();
                    let msg = match relay {
                        Some(r) => Incoming::Relay(r, from, data),
                        None => match local {
                            Some(l) => Incoming::Listen(l, from, data),
                            None => return,
                        },
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return,
            }
        }
    });
}

fn server(args: ServerArgs) -> Result<(), CliError> {
    let listen = udp_addr(&args.listen)?;
    let (sockets, addresses) = bind_server_sockets(listen, args.alternate)?;
    let socket = sockets[0].clone();
    let local = socket.local_addr().map_err(io("socket"))?;
    if args.turn && local.is_ipv4() {
        // Data indications and ChannelData to clients carry relayed data
        // too, so they leave with the DF bit clear:
        // [RFC 8656 §14] "The descriptions in this section apply (a) when
        // the server sends a UDP datagram to the peer or (b) when the server
        // sends a Data indication or ChannelData message to the client over
        // UDP transport."
        let _ = df::set(&socket, false);
    }
    say(
        args.json,
        json!({"event": "listening", "address": format!("udp:{local}")}),
        format!("listening udp:{local}"),
    );
    let start = Instant::now();
    let deadline = args.max_seconds.map(|s| start + Duration::from_secs(s));
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    for s in &sockets {
        reader(s.clone(), None, stop.clone(), tx.clone());
    }
    if let Some(a) = addresses.and_then(|a| a.alternate) {
        say(
            args.json,
            json!({"event": "alternate", "address": format!("udp:{a}")}),
            format!("alternate udp:{a}"),
        );
    }

    let mut alternate: Option<AlternateServer> = None;
    for r in &args.redirect {
        let a = udp_addr(r)?;
        alternate = Some(alternate.unwrap_or_default().with(a));
    }
    let mut binding = BindingServer::new(concat!("rtclite ", env!("CARGO_PKG_VERSION")));
    binding.addresses = addresses;
    if !args.turn {
        binding.alternate = alternate.clone();
    }
    let mut turn = if args.turn {
        let mut secret = [0u8; 16];
        getrandom_fill(&mut secret);
        let mut t = TurnServer::new(
            start,
            TurnServerConfig {
                realm: args.realm.clone(),
                software: concat!("rtclite ", env!("CARGO_PKG_VERSION")).into(),
                // [RFC 8656 §7.2] "It is RECOMMENDED that the server use a
                // maximum allowed lifetime value of no more than 3600 seconds"
                max_lifetime: Duration::from_secs(3600),
                nonce_lifetime: Duration::from_secs(600),
                nonce_secret: secret,
                max_allocations: 100,
                dont_fragment: !args.no_dont_fragment && df::supported(),
            },
        );
        for u in &args.user {
            let (name, pass) = u
                .split_once(':')
                .ok_or_else(|| CliError::Invalid(format!("--user {u}: expected USER:PASSWORD")))?;
            t.add_user(name, pass)
                .map_err(|e| CliError::Invalid(format!("--user {name}: {e}")))?;
        }
        t.set_alternate_server(alternate.clone());
        Some(t)
    } else {
        None
    };
    let mut relays: std::collections::HashMap<SocketAddr, (Arc<UdpSocket>, Arc<AtomicBool>)> =
        std::collections::HashMap::new();
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        let mut wait = Duration::from_millis(500);
        if let Some(t) = turn.as_ref().and_then(|t| t.poll_timeout()) {
            wait = wait.min(t.saturating_duration_since(now));
        }
        let incoming = match rx.recv_timeout(wait) {
            Ok(i) => Some(i),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let now = Instant::now();
        match (incoming, turn.as_mut()) {
            (Some(Incoming::Listen(at, from, data)), None) => {
                if let Some(r) = binding.handle(at, from, &data) {
                    // RFC 5780: the reply leaves from the socket CHANGE-REQUEST selects.
                    if let Some(s) = sockets
                        .iter()
                        .find(|s| s.local_addr().ok() == Some(r.source))
                    {
                        let _ = s.send_to(&r.payload, r.destination);
                    }
                }
            }
            (Some(Incoming::Listen(_, from, data)), Some(t)) => {
                let mut alloc = LoopbackRelays::default();
                let had = t.relayed_address(from);
                t.handle_client_with(now, local, from, &data, &mut alloc);
                if let (None, Some(addr), true) =
                    (had, t.relayed_address(from), alloc.bound.is_empty())
                {
                    // An Allocate with a RESERVATION-TOKEN took a held port.
                    say(
                        args.json,
                        json!({"event": "allocated", "client": from.to_string(), "relayed": addr.to_string(), "reservation": true}),
                        format!("allocated {addr} for {from} (reserved)"),
                    );
                }
                for (addr, s, reserved) in alloc.bound {
                    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                    let s = Arc::new(s);
                    let flag = Arc::new(AtomicBool::new(false));
                    reader(s.clone(), Some(addr), flag.clone(), tx.clone());
                    relays.insert(addr, (s, flag));
                    if reserved {
                        // RFC 8656 §7.2: port N+1 of an EVEN-PORT (R=1) pair,
                        // held for the Allocate that presents the token.
                        say(
                            args.json,
                            json!({"event": "reserved", "client": from.to_string(), "relayed": addr.to_string()}),
                            format!("reserved {addr} for {from}"),
                        );
                    } else {
                        say(
                            args.json,
                            json!({"event": "allocated", "client": from.to_string(), "relayed": addr.to_string()}),
                            format!("allocated {addr} for {from}"),
                        );
                    }
                }
            }
            (Some(Incoming::Relay(relay, peer, data)), Some(t)) => {
                t.handle_peer(relay, peer, &data)
            }
            _ => {}
        }
        if let Some(t) = turn.as_mut() {
            t.handle_timeout(now);
            while let Some(o) = t.poll_output() {
                match o {
                    ServerOutput::ToClient { to, payload } => {
                        let _ = socket.send_to(&payload, to);
                    }
                    ServerOutput::ToPeer {
                        relay,
                        peer,
                        payload,
                        dont_fragment,
                        ..
                    } => {
                        if let Some((s, _)) = relays.get(&relay) {
                            // [RFC 8656 §14] "When the server sends a packet to
                            // a peer in response to a Send indication
                            // containing the DONT-FRAGMENT attribute, then set
                            // the outgoing UDP packet to not fragment."
                            // The socket's DF setting is switched for this
                            // one datagram and back.
                            // A datagram that asked for DF and cannot have it
                            // is dropped, as RFC 8656 §11.2 has a server
                            // without DF support drop it.
                            if !dont_fragment {
                                let _ = s.send_to(&payload, peer);
                            } else if df::set(s, true).is_ok() {
                                let _ = s.send_to(&payload, peer);
                                let _ = df::set(s, false);
                            }
                        }
                    }
                    ServerOutput::ReleaseRelay(addr) => {
                        if let Some((_, flag)) = relays.remove(&addr) {
                            flag.store(true, Ordering::Relaxed);
                        }
                        say(
                            args.json,
                            json!({"event": "released", "relayed": addr.to_string()}),
                            format!("released {addr}"),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for (_, flag) in relays.values() {
        flag.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// Binds relayed transport addresses on loopback for the TURN server: any
/// port, an even port (EVEN-PORT), or an even port N with N+1 bound too
/// for the reservation (EVEN-PORT with the R bit). Even ports are found by
/// binding port 0 a bounded number of times.
#[derive(Default)]
struct LoopbackRelays {
    /// Sockets bound by this call: (address, socket, held for a reservation).
    bound: Vec<(SocketAddr, UdpSocket, bool)>,
}

impl LoopbackRelays {
    // A loopback test server takes the OS's ephemeral ports:
    // [RFC 8656 §7.2 exception: loopback test server, OS ephemeral ports] "In
    // all cases, the server SHOULD only allocate ports from the range 49152 -
    // 65535"
    const ATTEMPTS: usize = 64;

    fn bind(ip: std::net::IpAddr, port: u16) -> Option<(SocketAddr, UdpSocket)> {
        let s = UdpSocket::bind(SocketAddr::new(ip, port)).ok()?;
        let a = s.local_addr().ok()?;
        // Relayed datagrams leave with the DF bit clear unless a Send
        // indication asks for it (Linux would otherwise set it on every
        // UDP datagram that fits the path MTU):
        // [RFC 8656 §14] "Alternate Behavior: As described in the Preferred
        // Behavior, except always assume the incoming DF bit is 0."
        if a.is_ipv4() {
            let _ = df::set(&s, false);
        }
        Some((a, s))
    }
}

impl RelayAllocator for LoopbackRelays {
    fn allocate(&mut self, request: RelayRequest) -> Option<RelayGrant> {
        let ip: std::net::IpAddr = if request.family() == AddressFamily::Ipv4 {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        let (even, pair) = match request {
            RelayRequest::Any(_) => (false, false),
            RelayRequest::EvenPort(_) => (true, false),
            RelayRequest::EvenPortPair(_) => (true, true),
            _ => return None,
        };
        for _ in 0..Self::ATTEMPTS {
            let (a, s) = Self::bind(ip, 0)?;
            if even && a.port() % 2 != 0 {
                continue;
            }
            let reserved = if pair {
                let Some(next) = a.port().checked_add(1) else {
                    continue;
                };
                match Self::bind(ip, next) {
                    Some(r) => Some(r),
                    None => continue,
                }
            } else {
                None
            };
            self.bound.push((a, s, false));
            let reserved_addr = reserved.map(|(ra, rs)| {
                self.bound.push((ra, rs, true));
                ra
            });
            return Some(RelayGrant {
                relayed: a,
                reserved: reserved_addr,
            });
        }
        None
    }
}

/// Binds the listening socket and, with an alternate IP, the three others
/// of RFC 5780 §6 (A1:P1, A1:P2, A2:P1, A2:P2). Ports picked from 0 are
/// retried a bounded number of times when the matching port is taken.
fn bind_server_sockets(
    listen: SocketAddr,
    alternate: Option<std::net::IpAddr>,
) -> Result<(Vec<Arc<UdpSocket>>, Option<ServerAddresses>), CliError> {
    let prep = |s: UdpSocket| -> Result<Arc<UdpSocket>, CliError> {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(io("socket"))?;
        Ok(Arc::new(s))
    };
    let Some(alt_ip) = alternate else {
        let s = prep(UdpSocket::bind(listen).map_err(io("--listen"))?)?;
        return Ok((vec![s], None));
    };
    for _ in 0..20 {
        let a1p1 = UdpSocket::bind(listen).map_err(io("--listen"))?;
        let p1 = a1p1.local_addr().map_err(io("socket"))?.port();
        let Ok(a2p1) = UdpSocket::bind(SocketAddr::new(alt_ip, p1)) else {
            if listen.port() != 0 {
                return Err(CliError::Invalid(format!(
                    "cannot bind {alt_ip}:{p1} for --alternate"
                )));
            }
            continue;
        };
        let a2p2 = UdpSocket::bind(SocketAddr::new(alt_ip, 0)).map_err(io("--alternate"))?;
        let p2 = a2p2.local_addr().map_err(io("socket"))?.port();
        let Ok(a1p2) = UdpSocket::bind(SocketAddr::new(listen.ip(), p2)) else {
            continue;
        };
        let primary = SocketAddr::new(listen.ip(), p1);
        let addresses = ServerAddresses {
            primary,
            alternate: Some(SocketAddr::new(alt_ip, p2)),
        };
        let sockets = vec![prep(a1p1)?, prep(a1p2)?, prep(a2p1)?, prep(a2p2)?];
        return Ok((sockets, Some(addresses)));
    }
    Err(CliError::Invalid(
        "could not find matching free ports for --alternate".into(),
    ))
}

/// Fills `buf` from the thread's CSPRNG (seeded by the OS): the sans-IO
/// crates take randomness from their caller, and this is the caller.
fn getrandom_fill(buf: &mut [u8]) {
    use rand::RngCore;
    rand::rng().fill_bytes(buf);
}

fn client(args: ClientArgs) -> Result<(), CliError> {
    let server = udp_addr(&args.server)?;
    let bind = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind).map_err(io("socket"))?;
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .map_err(io("socket"))?;
    match &args.turn_user {
        None => binding_client(&args, &socket, server),
        Some(u) => turn_client(&args, &socket, server, u),
    }
}

fn binding_request(change: Option<(bool, bool)>) -> Vec<u8> {
    let mut id = [0u8; 12];
    getrandom_fill(&mut id);
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(id));
    if let Some((change_ip, change_port)) = change {
        let _ = w.attribute(&Attribute::ChangeRequest {
            change_ip,
            change_port,
        });
    }
    let _ = w.attribute(&Attribute::Software(concat!(
        "rtclite ",
        env!("CARGO_PKG_VERSION")
    )));
    let _ = w.fingerprint();
    buf
}

/// Shortened timers for the RFC 5780 tests, where silence is an answer.
fn probe_timers() -> TransactionConfig {
    TransactionConfig {
        rto: Duration::from_millis(200),
        rc: 3,
        rm: 4,
        ..TransactionConfig::default()
    }
}

/// Runs one Binding transaction; returns the response bytes. With
/// `any_source`, a response from another server address counts (CHANGE-REQUEST).
fn transact(
    socket: &UdpSocket,
    server: SocketAddr,
    request: Vec<u8>,
    any_source: bool,
    timers: TransactionConfig,
) -> Result<Vec<u8>, CliError> {
    let start = Instant::now();
    let mut tx = ClientTransaction::new(start, request, server, Transport::Unreliable, timers)
        .ok_or_else(|| CliError::Invalid("internal: request does not parse".into()))?;
    let mut buf = vec![0u8; 65536];
    loop {
        while let Some(t) = tx.poll_transmit() {
            socket
                .send_to(&t.payload, t.destination)
                .map_err(io("send"))?;
        }
        if let Some(ev) = tx.poll_event() {
            return match ev {
                TransactionEvent::Response(bytes) => Ok(bytes),
                TransactionEvent::TimedOut => Err(CliError::Invalid(format!(
                    "no response from {server} after {} requests (RFC 8489 §6.2.1)",
                    tx.requests_sent()
                ))),
                _ => Err(CliError::Invalid(
                    "integrity protection violated (RFC 8489 §9.1.4)".into(),
                )),
            };
        }
        match socket.recv_from(&mut buf) {
            Ok((n, from)) if any_source || from == server => {
                if let Ok(m) = Message::parse(&buf[..n]) {
                    tx.handle_response(&m);
                }
            }
            _ => {}
        }
        tx.handle_timeout(Instant::now());
    }
}

fn mapped_of(bytes: &[u8]) -> Result<(SocketAddr, Option<SocketAddr>), CliError> {
    let m = Message::parse(bytes).map_err(|e| CliError::Invalid(e.to_string()))?;
    if m.class() == Class::ErrorResponse {
        let e = match m.get(AttributeType::ERROR_CODE) {
            Some(Ok(Attribute::ErrorCode(e))) => format!("{} {}", e.code, e.reason),
            _ => "without ERROR-CODE".into(),
        };
        return Err(CliError::Invalid(format!("error response {e}")));
    }
    // [RFC 8489 §6.3.3] "For the Binding method, the client checks that the XOR-MAPPED-ADDRESS
    // attribute is present in the response."
    let mapped = match (
        m.get(AttributeType::XOR_MAPPED_ADDRESS),
        m.get(AttributeType::MAPPED_ADDRESS),
    ) {
        (Some(Ok(Attribute::XorMappedAddress(a))), _) => a,
        (_, Some(Ok(Attribute::MappedAddress(a)))) => a,
        _ => {
            return Err(CliError::Invalid(
                "response without XOR-MAPPED-ADDRESS (RFC 8489 §6.3.3)".into(),
            ));
        }
    };
    let other = match m.get(AttributeType::OTHER_ADDRESS) {
        Some(Ok(Attribute::OtherAddress(a))) => Some(a),
        _ => None,
    };
    Ok((mapped, other))
}

fn binding_client(
    args: &ClientArgs,
    socket: &UdpSocket,
    server: SocketAddr,
) -> Result<(), CliError> {
    // RFC 8489 §10: a 300 (Try Alternate) sends the request to the
    // ALTERNATE-SERVER, with loop protection (Redirects).
    let mut server = server;
    let mut redirects = Redirects::new(Instant::now(), server);
    let response = loop {
        let bytes = transact(
            socket,
            server,
            binding_request(None),
            false,
            TransactionConfig::default(),
        )?;
        let m = Message::parse(&bytes).map_err(|e| CliError::Invalid(e.to_string()))?;
        match redirects.follow(Instant::now(), &m, None) {
            Ok(alternate) => {
                say(
                    args.json,
                    json!({"event": "redirected", "from": server.to_string(), "to": alternate.to_string()}),
                    format!("redirected from {server} to {alternate}"),
                );
                server = alternate;
            }
            Err(RedirectRefusal::NotTryAlternate) => break bytes,
            Err(e) => return Err(CliError::Invalid(format!("300 Try Alternate: {e}"))),
        }
    };
    let (mapped, other) = mapped_of(&response)?;
    say(
        args.json,
        json!({"event": "mapped", "address": mapped.to_string()}),
        format!("mapped {mapped}"),
    );
    let Some(other) = other else { return Ok(()) };
    // RFC 5780 §4.3: mapping behaviour. Test II asks the alternate IP on the
    // primary port, test III the alternate IP and port.
    let probe = |dest: SocketAddr| {
        transact(socket, dest, binding_request(None), false, probe_timers())
            .and_then(|b| mapped_of(&b))
            .map(|m| m.0)
    };
    let mapping = match probe(SocketAddr::new(other.ip(), server.port())) {
        Ok(m2) if m2 == mapped => "endpoint-independent",
        Ok(m2) => match probe(other) {
            Ok(m3) if m3 == m2 => "address-dependent",
            Ok(_) => "address-and-port-dependent",
            Err(_) => "unknown",
        },
        Err(_) => "unknown",
    };
    say(
        args.json,
        json!({"event": "nat_mapping", "behaviour": mapping}),
        format!("mapping {mapping}"),
    );
    // RFC 5780 §4.4: filtering behaviour. Test II asks for a reply from the
    // other IP and port, test III from the other port only.
    let ask = |ip: bool, port: bool| {
        transact(
            socket,
            server,
            binding_request(Some((ip, port))),
            true,
            probe_timers(),
        )
    };
    let filtering = if ask(true, true).is_ok() {
        "endpoint-independent"
    } else if ask(false, true).is_ok() {
        "address-dependent"
    } else {
        "address-and-port-dependent"
    };
    say(
        args.json,
        json!({"event": "nat_filtering", "behaviour": filtering}),
        format!("filtering {filtering}"),
    );
    Ok(())
}

fn turn_client(
    args: &ClientArgs,
    socket: &UdpSocket,
    server: SocketAddr,
    user: &str,
) -> Result<(), CliError> {
    let (name, pass) = user
        .split_once(':')
        .ok_or_else(|| CliError::Invalid("--turn-user: expected USER:PASSWORD".into()))?;
    let peer = args.peer.as_deref().map(udp_addr).transpose()?;
    let mut config = TurnClientConfig::new(server, name, pass);
    config.dont_fragment = args.dont_fragment;
    let mut client = TurnClient::new(config, rand::rng());
    let start = Instant::now();
    let families = if args.dual {
        RelayFamilies::Dual
    } else {
        RelayFamilies::Default
    };
    client
        .allocate_with(start, AllocatePort::Any, families)
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    let mut buf = vec![0u8; 65536];
    let mut phase = 0u8;
    let mut wait_until: Option<Instant> = None;
    let hard_stop = start + Duration::from_secs(60 + args.wait_seconds);
    loop {
        let now = Instant::now();
        if now >= hard_stop {
            return Err(CliError::Invalid(
                "TURN exchange did not finish in time".into(),
            ));
        }
        while let Some(t) = client.poll_transmit() {
            socket
                .send_to(&t.payload, t.destination)
                .map_err(io("send"))?;
        }
        while let Some(ev) = client.poll_event() {
            match ev {
                TurnEvent::Allocated {
                    relayed,
                    additional,
                    address_error,
                    mapped,
                    lifetime,
                    ..
                } => {
                    say(
                        args.json,
                        json!({"event": "allocated", "relayed": relayed.to_string(),
                               "additional": additional.map(|a| a.to_string()),
                               "address_error": address_error.as_ref().map(|e| json!({
                                   "family": if e.family == AddressFamily::Ipv4 { "ipv4" } else { "ipv6" },
                                   "code": e.code, "reason": e.reason})),
                               "mapped": mapped.map(|m| m.to_string()), "lifetime": lifetime.as_secs()}),
                        format!(
                            "allocated relayed {relayed}{} lifetime {}s{}",
                            additional.map(|a| format!(" and {a}")).unwrap_or_default(),
                            lifetime.as_secs(),
                            address_error
                                .as_ref()
                                .map(|e| format!(
                                    " ({:?} refused: {} {})",
                                    e.family, e.code, e.reason
                                ))
                                .unwrap_or_default()
                        ),
                    );
                    match peer {
                        Some(p) => {
                            client
                                .refresh(now)
                                .map_err(|e| CliError::Invalid(e.to_string()))?;
                            client
                                .create_permission(now, p.ip())
                                .map_err(|e| CliError::Invalid(e.to_string()))?;
                        }
                        None => {
                            client
                                .deallocate(now)
                                .map_err(|e| CliError::Invalid(e.to_string()))?;
                        }
                    }
                }
                TurnEvent::Refreshed { lifetime } => say(
                    args.json,
                    json!({"event": "refreshed", "lifetime": lifetime.as_secs()}),
                    format!("refreshed lifetime {}s", lifetime.as_secs()),
                ),
                TurnEvent::PermissionCreated(ip) if phase == 0 => {
                    phase = 1;
                    say(
                        args.json,
                        json!({"event": "permission", "peer": ip.to_string()}),
                        format!("permission {ip}"),
                    );
                    if let Some(p) = peer {
                        client
                            .send(p, args.send.as_bytes())
                            .map_err(|e| CliError::Invalid(e.to_string()))?;
                        say(
                            args.json,
                            json!({"event": "sent", "via": "send-indication"}),
                            "sent via Send indication".into(),
                        );
                        client
                            .bind_channel(now, p)
                            .map_err(|e| CliError::Invalid(e.to_string()))?;
                    }
                }
                TurnEvent::ChannelBound { channel, peer: p } if phase == 1 => {
                    phase = 2;
                    say(
                        args.json,
                        json!({"event": "channel", "channel": channel, "peer": p.to_string()}),
                        format!("channel {channel:#06x} bound to {p}"),
                    );
                    client
                        .send(p, args.send.as_bytes())
                        .map_err(|e| CliError::Invalid(e.to_string()))?;
                    say(
                        args.json,
                        json!({"event": "sent", "via": "channel"}),
                        "sent via ChannelData".into(),
                    );
                    wait_until = Some(now + Duration::from_secs(args.wait_seconds));
                }
                TurnEvent::DontFragmentUnsupported => say(
                    args.json,
                    json!({"event": "dont_fragment_unsupported"}),
                    "the server does not support DONT-FRAGMENT; going on without it".into(),
                ),
                TurnEvent::Redirected { from, to } => say(
                    args.json,
                    json!({"event": "redirected", "from": from.to_string(), "to": to.to_string()}),
                    format!("redirected from {from} to {to}"),
                ),
                TurnEvent::Data { peer: p, data } => say(
                    args.json,
                    json!({"event": "data", "peer": p.to_string(), "data": String::from_utf8_lossy(&data)}),
                    format!("data from {p}: {}", String::from_utf8_lossy(&data)),
                ),
                TurnEvent::Deallocated => {
                    say(
                        args.json,
                        json!({"event": "deallocated"}),
                        "deallocated".into(),
                    );
                    return Ok(());
                }
                TurnEvent::AllocationFailed(f) => {
                    return Err(CliError::Invalid(format!("allocation failed: {f:?}")));
                }
                TurnEvent::PermissionFailed(ip, f) => {
                    return Err(CliError::Invalid(format!(
                        "permission for {ip} failed: {f:?}"
                    )));
                }
                TurnEvent::ChannelBindFailed(p, f) => {
                    return Err(CliError::Invalid(format!("channel to {p} failed: {f:?}")));
                }
                _ => {}
            }
        }
        if wait_until.is_some_and(|w| now >= w) {
            wait_until = None;
            phase = 3;
            client
                .deallocate(now)
                .map_err(|e| CliError::Invalid(e.to_string()))?;
            continue;
        }
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => client.handle_input(Instant::now(), from, &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(io("recv")(e)),
        }
        client.handle_timeout(Instant::now());
    }
}

/// The DF (Don't Fragment) bit of IPv4 datagrams a socket sends, for the
/// TURN relay (RFC 8656 §14): `IP_MTU_DISCOVER` set to `IP_PMTUDISC_DO`
/// (DF set, never fragmented by this host) or `IP_PMTUDISC_DONT` (DF
/// clear). Linux only; elsewhere the server does not offer DONT-FRAGMENT.
mod df {
    use std::net::UdpSocket;

    /// Sets (or clears) the DF bit on what `socket` sends.
    #[cfg(target_os = "linux")]
    pub(super) fn set(socket: &UdpSocket, on: bool) -> std::io::Result<()> {
        use rustix::net::sockopt::{Ipv4PathMtuDiscovery, set_ip_mtu_discover};
        let mode = if on {
            Ipv4PathMtuDiscovery::DO
        } else {
            Ipv4PathMtuDiscovery::DONT
        };
        set_ip_mtu_discover(socket, mode).map_err(std::io::Error::from)
    }

    /// Sets (or clears) the DF bit on what `socket` sends.
    #[cfg(not(target_os = "linux"))]
    pub(super) fn set(_socket: &UdpSocket, _on: bool) -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }

    /// The system lets an IPv4 UDP socket set the DF bit.
    pub(super) fn supported() -> bool {
        UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0))
            .is_ok_and(|s| set(&s, true).is_ok() && set(&s, false).is_ok())
    }
}
