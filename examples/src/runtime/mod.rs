//! The runtime driver: runs one sans-IO state machine of the rtclite crates
//! over real UDP and TCP sockets on tokio, with the real clock.
//!
//! The protocol crates never touch a socket or a clock; this module is the
//! other half of their drive loop (workspace `ARCHITECTURE.md`):
//!
//! 1. bind the sockets ([`Sockets::bind`]; port 0 picks a free port and
//!    [`Sockets::local_addrs`] says which);
//! 2. build the machine (it usually needs those addresses for its Via or
//!    SDP), wrap both in a [`Driver`] and [`Driver::run`] it;
//! 3. the driver feeds every datagram, and every SIP message framed from a
//!    TCP stream, to [`Machine::handle_input`], then drains
//!    [`Machine::poll_transmit`] and [`Machine::poll_event`] until both are
//!    empty, then sleeps until [`Machine::poll_timeout`] and calls
//!    [`Machine::handle_timeout`]. Events go to the caller's callback,
//!    which may act on the machine; other tasks act on it through a
//!    [`Handle`].
//!
//! Time: the machines take `std::time::Instant`; the driver reads
//! `Instant::now()` at each step and sleeps with tokio's timer converted
//! from the same instant, so both clocks agree.
//!
//! TCP (RFC 3261 §18.3): every listener accepts connections; each
//! connection's bytes go through [`rtclite_sip::StreamFramer`] and every
//! framed message is one input; a double-CRLF keep-alive is answered with a
//! single CRLF (RFC 5626 §3.5.1). Connections are kept in a table keyed by
//! the peer's address, so a response sent to the source of a request leaves
//! on the connection the request came in on (RFC 3261 §18.2.2); a message
//! for an address with no connection opens one. A framing error closes the
//! connection, as §18.3 leaves no way to resynchronise.
//!
//! Bounds: the queue from the sockets to the machine holds
//! [`DriverConfig::inbound_queue`] items (a full queue pauses the socket
//! readers; the kernel then drops UDP datagrams, as a loaded server would),
//! at most [`DriverConfig::max_connections`] TCP connections live at once
//! (beyond that, accepts are closed and sends to new peers dropped), each
//! connection queues at most [`CONNECTION_QUEUE`] outgoing messages, an
//! idle connection closes after [`IDLE_TIMEOUT`], and at most
//! [`MAX_RESOLUTIONS`] host-name lookups run at once.
//!
//! `--pcap`: with [`DriverConfig::pcap`] set, every message in and out is
//! written to the capture (see [`crate::pcap`]).

// Items here form the API the endpoint modules (proxy, phone, echo, demo)
// build on; each uses a subset.
#![allow(dead_code)]

pub(crate) mod sip;
mod tcp;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

pub(crate) use rtclite_sip::transport::TransportKind;

use crate::pcap::PcapSink;

/// The most outgoing messages queued on one TCP connection.
pub(crate) const CONNECTION_QUEUE: usize = 256;
/// A TCP connection with no traffic either way for this long is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long opening an outgoing TCP connection may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most host-name resolutions in flight; a send needing one more
/// fails with a send error.
pub(crate) const MAX_RESOLUTIONS: usize = 64;
/// The largest datagram read (the UDP maximum).
const MAX_DATAGRAM: usize = 65_535;

/// One message received: a UDP datagram, or one SIP message framed from a
/// TCP stream.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// The transport it came over.
    pub(crate) transport: TransportKind,
    /// Our address it arrived at (the connection's local address on TCP).
    pub(crate) local: SocketAddr,
    /// The peer's address (the packet source).
    pub(crate) remote: SocketAddr,
    /// The bytes.
    pub(crate) bytes: Bytes,
}

/// Where an outgoing message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Remote {
    /// This address.
    Addr(SocketAddr),
    /// A host name or literal the driver resolves first (the first address
    /// the system resolver returns that a socket of ours can reach).
    Host {
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Addr(a) => write!(f, "{a}"),
            Self::Host { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// One message the machine wants sent.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// UDP or TCP.
    pub(crate) transport: TransportKind,
    /// The local UDP socket to send from (`None`: the first one of the
    /// destination's address family).
    pub(crate) local: Option<SocketAddr>,
    /// Where to.
    pub(crate) remote: Remote,
    /// The bytes.
    pub(crate) bytes: Bytes,
}

/// A sans-IO state machine the driver can run: the workspace drive-loop
/// shape, over raw addressed bytes. Protocol state machines get a small
/// adapter (see [`sip::SipLayer`]).
pub(crate) trait Machine {
    /// What the machine tells its user.
    type Event;
    /// Why an input was refused (logged, then the driver carries on).
    type Error: fmt::Display;

    /// Feeds one received message.
    fn handle_input(&mut self, now: Instant, input: Received) -> Result<(), Self::Error>;
    /// Fires the timers due at `now`.
    fn handle_timeout(&mut self, now: Instant);
    /// The next message to send.
    fn poll_transmit(&mut self) -> Option<Outgoing>;
    /// The next event for the user.
    fn poll_event(&mut self) -> Option<Self::Event>;
    /// When [`Machine::handle_timeout`] must next be called.
    fn poll_timeout(&self) -> Option<Instant>;
    /// The transport could not send `out` (unreachable, connection refused
    /// or closed, unresolvable host). The default ignores it.
    fn handle_send_error(&mut self, now: Instant, out: &Outgoing, error: &io::Error) {
        let _ = (now, out, error);
    }
}

/// A listening address: `udp:HOST:PORT` or `tcp:HOST:PORT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListenAddr {
    /// UDP or TCP.
    pub(crate) transport: TransportKind,
    /// The socket address.
    pub(crate) addr: SocketAddr,
}

impl ListenAddr {
    /// Parses `udp:HOST:PORT` or `tcp:HOST:PORT` (IPv6 hosts in brackets).
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let (scheme, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("{s}: expected udp:HOST:PORT or tcp:HOST:PORT"))?;
        let transport = match scheme.to_ascii_lowercase().as_str() {
            "udp" => TransportKind::Udp,
            "tcp" => TransportKind::Tcp,
            other => {
                return Err(format!(
                    "{s}: transport {other} is not supported (udp, tcp)"
                ));
            }
        };
        let addr = rest
            .to_socket_addrs()
            .map_err(|e| format!("{s}: {e}"))?
            .next()
            .ok_or_else(|| format!("{s}: the host resolves to no address"))?;
        Ok(Self { transport, addr })
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.transport.as_str().to_ascii_lowercase(),
            self.addr
        )
    }
}

/// Bound sockets, before the driver runs.
#[derive(Debug)]
pub(crate) struct Sockets {
    /// Each UDP socket with its bound address.
    udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
    tcp: Vec<TcpListener>,
    bound: Vec<ListenAddr>,
}

impl Sockets {
    /// Binds every address (UDP sockets and TCP listeners).
    pub(crate) async fn bind(addrs: &[ListenAddr]) -> io::Result<Self> {
        let mut s = Self {
            udp: Vec::new(),
            tcp: Vec::new(),
            bound: Vec::new(),
        };
        for a in addrs {
            match a.transport {
                TransportKind::Udp => {
                    let sock = UdpSocket::bind(a.addr).await?;
                    let addr = sock.local_addr()?;
                    s.bound.push(ListenAddr {
                        transport: TransportKind::Udp,
                        addr,
                    });
                    s.udp.push((addr, Arc::new(sock)));
                }
                TransportKind::Tcp => {
                    let l = TcpListener::bind(a.addr).await?;
                    s.bound.push(ListenAddr {
                        transport: TransportKind::Tcp,
                        addr: l.local_addr()?,
                    });
                    s.tcp.push(l);
                }
                other => {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        format!("transport {other} is not supported by the driver"),
                    ));
                }
            }
        }
        Ok(s)
    }

    /// The addresses actually bound, in the order given (port 0 replaced
    /// by the port the system chose).
    pub(crate) fn local_addrs(&self) -> &[ListenAddr] {
        &self.bound
    }
}

/// Driver settings.
#[derive(Debug, Clone)]
pub(crate) struct DriverConfig {
    /// Write every message in and out here.
    pub(crate) pcap: Option<PcapSink>,
    /// Capacity of the queue from the sockets to the machine.
    pub(crate) inbound_queue: usize,
    /// The most TCP connections open at once.
    pub(crate) max_connections: usize,
    /// Print every message in and out on stderr (`-v`).
    pub(crate) trace: bool,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            pcap: None,
            inbound_queue: 4096,
            max_connections: 1024,
            trace: false,
        }
    }
}

/// What the event callback tells the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep running.
    Continue,
    /// Stop after this drain (the machine is returned by [`Driver::run`]).
    Stop,
}

/// Work another task asks the driver to do on the machine.
type Command<M> = Box<dyn FnOnce(&mut M, Instant) + Send>;

/// Lets other tasks act on the machine while the driver runs it; every
/// call runs on the driver's task between two inputs, and the driver drains
/// the machine's output after it.
pub(crate) struct Handle<M> {
    tx: mpsc::Sender<Command<M>>,
}

impl<M> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<M> fmt::Debug for Handle<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// The driver stopped; the machine is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the driver has stopped")]
pub(crate) struct Stopped;

impl<M: 'static> Handle<M> {
    /// Runs `f` on the machine and returns its result.
    pub(crate) async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut M, Instant) -> R + Send + 'static,
    ) -> Result<R, Stopped> {
        let (tx, rx) = oneshot::channel();
        let cmd: Command<M> = Box::new(move |m, now| {
            let _ = tx.send(f(m, now));
        });
        self.tx.send(cmd).await.map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }
}

/// Messages from the socket tasks to the driver task.
enum Inbound {
    Data(Received),
    Accepted(tokio::net::TcpStream, SocketAddr),
    Closed { remote: SocketAddr, id: u64 },
    Resolved(Outgoing, io::Result<Vec<SocketAddr>>),
}

/// A live TCP connection as the driver sees it.
struct Connection {
    id: u64,
    writer: mpsc::Sender<Bytes>,
}

/// Runs one [`Machine`] over [`Sockets`].
pub(crate) struct Driver<M: Machine> {
    machine: M,
    sockets: Sockets,
    config: DriverConfig,
    commands_tx: mpsc::Sender<Command<M>>,
    commands: mpsc::Receiver<Command<M>>,
    inbound_tx: mpsc::Sender<Inbound>,
    inbound: mpsc::Receiver<Inbound>,
    connections: HashMap<SocketAddr, Connection>,
    next_connection: u64,
    tasks: JoinSet<()>,
    /// Inputs the machine refused, and sends that failed.
    input_errors: u64,
    /// Host-name resolutions in flight.
    resolving: usize,
    send_errors: u64,
}

impl<M: Machine + 'static> Driver<M> {
    /// A driver for `machine` over `sockets`.
    pub(crate) fn new(sockets: Sockets, machine: M, config: DriverConfig) -> Self {
        let (commands_tx, commands) = mpsc::channel(64);
        let (inbound_tx, inbound) = mpsc::channel(config.inbound_queue.max(1));
        Self {
            machine,
            sockets,
            config,
            commands_tx,
            commands,
            inbound_tx,
            inbound,
            connections: HashMap::new(),
            next_connection: 0,
            tasks: JoinSet::new(),
            input_errors: 0,
            resolving: 0,
            send_errors: 0,
        }
    }

    /// A handle for other tasks.
    pub(crate) fn handle(&self) -> Handle<M> {
        Handle {
            tx: self.commands_tx.clone(),
        }
    }

    /// The addresses bound.
    pub(crate) fn local_addrs(&self) -> &[ListenAddr] {
        self.sockets.local_addrs()
    }

    /// The machine, before or between runs.
    pub(crate) fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }

    /// Runs until `stop` completes or `on_event` returns [`Flow::Stop`];
    /// returns the machine. Every socket task ends with the driver.
    pub(crate) async fn run<F, S>(mut self, mut on_event: F, stop: S) -> M
    where
        F: FnMut(&mut M, Instant, M::Event) -> Flow,
        S: Future<Output = ()>,
    {
        self.start_readers();
        let mut stop = std::pin::pin!(stop);
        let mut stopping = self.drain(&mut on_event).await == Flow::Stop;
        while !stopping {
            let now = Instant::now();
            if self.machine.poll_timeout().is_some_and(|t| t <= now) {
                self.machine.handle_timeout(now);
                stopping = self.drain(&mut on_event).await == Flow::Stop;
                continue;
            }
            let deadline = self.machine.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut stop => break,
                Some(cmd) = self.commands.recv() => cmd(&mut self.machine, Instant::now()),
                Some(inbound) = self.inbound.recv() => self.on_inbound(inbound).await,
                () = sleep => self.machine.handle_timeout(Instant::now()),
            }
            stopping = self.drain(&mut on_event).await == Flow::Stop;
        }
        if let Some(p) = &self.config.pcap {
            let _ = p.flush();
        }
        self.tasks.shutdown().await;
        self.machine
    }

    fn start_readers(&mut self) {
        for (_, sock) in &self.sockets.udp {
            let sock = sock.clone();
            let tx = self.inbound_tx.clone();
            self.tasks.spawn(udp_reader(sock, tx));
        }
        for listener in std::mem::take(&mut self.sockets.tcp) {
            let tx = self.inbound_tx.clone();
            self.tasks.spawn(async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, peer)) => {
                            if tx.send(Inbound::Accepted(stream, peer)).await.is_err() {
                                return;
                            }
                        }
                        // Out of descriptors and the like: back off briefly.
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            });
        }
    }

    /// Drains transmits and events until both are empty.
    async fn drain<F>(&mut self, on_event: &mut F) -> Flow
    where
        F: FnMut(&mut M, Instant, M::Event) -> Flow,
    {
        let mut flow = Flow::Continue;
        loop {
            let mut busy = false;
            while let Some(out) = self.machine.poll_transmit() {
                busy = true;
                self.send(out).await;
            }
            while let Some(ev) = self.machine.poll_event() {
                busy = true;
                if on_event(&mut self.machine, Instant::now(), ev) == Flow::Stop {
                    flow = Flow::Stop;
                }
            }
            if !busy {
                break;
            }
        }
        if let Some(p) = &self.config.pcap {
            let _ = p.flush();
        }
        flow
    }

    async fn on_inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Data(r) => {
                if let Some(p) = &self.config.pcap {
                    if let Err(e) = p.record(r.remote, r.local, &r.bytes) {
                        eprintln!("pcap: {e}");
                    }
                }
                if self.config.trace {
                    trace("received from", r.transport, r.remote, &r.bytes);
                }
                let now = Instant::now();
                if let Err(e) = self.machine.handle_input(now, r.clone()) {
                    self.input_errors += 1;
                    if self.config.trace {
                        eprintln!("input from {} refused: {e}", r.remote);
                    }
                }
            }
            Inbound::Accepted(stream, peer) => {
                if self.connections.len() >= self.config.max_connections {
                    drop(stream);
                    return;
                }
                let id = self.next_id();
                let (wtx, wrx) = mpsc::channel(CONNECTION_QUEUE);
                self.connections
                    .insert(peer, Connection { id, writer: wtx });
                let io = tcp::ConnectionIo {
                    id,
                    remote: peer,
                    inbound: self.inbound_tx.clone(),
                    outbound: wrx,
                    pcap: self.config.pcap.clone(),
                    trace: self.config.trace,
                };
                self.tasks.spawn(tcp::run_accepted(stream, io));
            }
            Inbound::Closed { remote, id } => {
                if self.connections.get(&remote).is_some_and(|c| c.id == id) {
                    self.connections.remove(&remote);
                }
                self.reap();
            }
            Inbound::Resolved(mut out, result) => {
                self.resolving = self.resolving.saturating_sub(1);
                self.reap();
                // The first address we can reach: for UDP one of a family
                // we have a socket for (`localhost` may list ::1 first).
                let pick = result.and_then(|addrs| {
                    addrs
                        .iter()
                        .copied()
                        .find(|a| {
                            out.transport != TransportKind::Udp
                                || self
                                    .sockets
                                    .udp
                                    .iter()
                                    .any(|(l, _)| l.is_ipv4() == a.is_ipv4())
                        })
                        .ok_or_else(|| {
                            io::Error::new(
                                io::ErrorKind::NotFound,
                                format!("no usable address among {addrs:?}"),
                            )
                        })
                });
                match pick {
                    Ok(addr) => {
                        out.remote = Remote::Addr(addr);
                        self.send_to(out, addr).await;
                    }
                    Err(e) => self.send_failed(&out, &e),
                }
            }
        }
    }

    /// Drops the results of finished tasks (connections, resolutions): a
    /// `JoinSet` keeps them until joined, which would grow without bound.
    fn reap(&mut self) {
        while self.tasks.try_join_next().is_some() {}
    }

    fn next_id(&mut self) -> u64 {
        self.next_connection += 1;
        self.next_connection
    }

    fn send_failed(&mut self, out: &Outgoing, e: &io::Error) {
        self.send_errors += 1;
        if self.config.trace {
            eprintln!("sending to {} failed: {e}", out.remote);
        }
        self.machine.handle_send_error(Instant::now(), out, e);
    }

    async fn send(&mut self, out: Outgoing) {
        match &out.remote {
            Remote::Addr(a) => {
                let a = *a;
                self.send_to(out, a).await;
            }
            Remote::Host { host, port } => {
                // Literal addresses need no resolver.
                let literal = host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>();
                if let Ok(ip) = literal {
                    let a = SocketAddr::new(ip, *port);
                    self.send_to(out, a).await;
                    return;
                }
                if self.resolving >= MAX_RESOLUTIONS {
                    let e = io::Error::new(
                        io::ErrorKind::WouldBlock,
                        "too many host-name resolutions in flight",
                    );
                    self.send_failed(&out, &e);
                    return;
                }
                self.resolving += 1;
                let target = format!("{host}:{port}");
                let tx = self.inbound_tx.clone();
                self.tasks.spawn(async move {
                    let result = match tokio::time::timeout(
                        CONNECT_TIMEOUT,
                        tokio::net::lookup_host(target),
                    )
                    .await
                    {
                        Ok(Ok(addrs)) => Ok(addrs.collect()),
                        Ok(Err(e)) => Err(e),
                        Err(_) => Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "host resolution timed out",
                        )),
                    };
                    let _ = tx.send(Inbound::Resolved(out, result)).await;
                });
            }
        }
    }

    async fn send_to(&mut self, out: Outgoing, to: SocketAddr) {
        if self.config.trace {
            trace("sending to", out.transport, to, &out.bytes);
        }
        match out.transport {
            TransportKind::Udp => {
                // Addresses cached at bind time: no system call per send.
                let sock = self
                    .sockets
                    .udp
                    .iter()
                    .find(|(l, _)| out.local == Some(*l))
                    .or_else(|| {
                        self.sockets
                            .udp
                            .iter()
                            .find(|(l, _)| l.is_ipv4() == to.is_ipv4())
                    })
                    .cloned();
                let Some((local, sock)) = sock else {
                    let e = io::Error::new(
                        io::ErrorKind::AddrNotAvailable,
                        "no UDP socket of this address family",
                    );
                    self.send_failed(&out, &e);
                    return;
                };
                let result = match sock.try_send_to(&out.bytes, to) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        sock.send_to(&out.bytes, to).await
                    }
                    other => other,
                };
                match result {
                    Ok(_) => {
                        if let Some(p) = &self.config.pcap {
                            if let Err(e) = p.record(local, to, &out.bytes) {
                                eprintln!("pcap: {e}");
                            }
                        }
                    }
                    Err(e) => self.send_failed(&out, &e),
                }
            }
            TransportKind::Tcp => {
                if let Some(c) = self.connections.get(&to) {
                    match c.writer.try_send(out.bytes.clone()) {
                        Ok(()) => return,
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            let e =
                                io::Error::new(io::ErrorKind::WouldBlock, "connection queue full");
                            self.send_failed(&out, &e);
                            return;
                        }
                        // The connection ended: open a new one below.
                        Err(mpsc::error::TrySendError::Closed(_)) => {
                            self.connections.remove(&to);
                        }
                    }
                }
                if self.connections.len() >= self.config.max_connections {
                    let e = io::Error::new(io::ErrorKind::OutOfMemory, "too many connections");
                    self.send_failed(&out, &e);
                    return;
                }
                let id = self.next_id();
                let (wtx, wrx) = mpsc::channel(CONNECTION_QUEUE);
                // Queued before the connection opens; sent once it does.
                let _ = wtx.try_send(out.bytes.clone());
                self.connections.insert(to, Connection { id, writer: wtx });
                let io = tcp::ConnectionIo {
                    id,
                    remote: to,
                    inbound: self.inbound_tx.clone(),
                    outbound: wrx,
                    pcap: self.config.pcap.clone(),
                    trace: self.config.trace,
                };
                self.tasks.spawn(tcp::run_outgoing(io));
            }
            other => {
                let e = io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("transport {other} is not supported by the driver"),
                );
                self.send_failed(&out, &e);
            }
        }
    }
}

async fn udp_reader(sock: Arc<UdpSocket>, tx: mpsc::Sender<Inbound>) {
    let Ok(local) = sock.local_addr() else {
        return;
    };
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        match sock.recv_from(&mut buf).await {
            Ok((n, remote)) => {
                let bytes = Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
                let r = Received {
                    transport: TransportKind::Udp,
                    local,
                    remote,
                    bytes,
                };
                if tx.send(Inbound::Data(r)).await.is_err() {
                    return;
                }
            }
            // An ICMP error for an earlier send (port unreachable on
            // loopback) surfaces here; it concerns that send, not the
            // socket, so reading goes on. A real socket failure repeats:
            // back off so it cannot spin.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

fn trace(what: &str, transport: TransportKind, peer: SocketAddr, bytes: &[u8]) {
    eprintln!(
        "--- {what} {}:{peer} ({} bytes)\n{}",
        transport.as_str().to_ascii_lowercase(),
        bytes.len(),
        String::from_utf8_lossy(bytes)
    );
}

#[cfg(test)]
mod tests;
