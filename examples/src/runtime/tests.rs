//! The driver over loopback: a machine that echoes what it receives, on
//! UDP and TCP, with a timer and a pcap capture.

use std::time::{Duration, Instant};

use super::*;

/// Echoes every input back to its sender on the same transport and
/// reports it; fires one timer `tick` after start.
struct Echo {
    out: Vec<Outgoing>,
    events: Vec<String>,
    timer: Option<Instant>,
}

impl Machine for Echo {
    type Event = String;
    type Error = std::convert::Infallible;

    fn handle_input(&mut self, _now: Instant, r: Received) -> Result<(), Self::Error> {
        self.events
            .push(String::from_utf8_lossy(&r.bytes).into_owned());
        self.out.push(Outgoing {
            transport: r.transport,
            local: Some(r.local),
            remote: Remote::Addr(r.remote),
            bytes: r.bytes,
        });
        Ok(())
    }
    fn handle_timeout(&mut self, now: Instant) {
        if self.timer.is_some_and(|t| t <= now) {
            self.timer = None;
            self.events.push("tick".into());
        }
    }
    fn poll_transmit(&mut self) -> Option<Outgoing> {
        self.out.pop()
    }
    fn poll_event(&mut self) -> Option<String> {
        self.events.pop()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }
}

const SIP: &[u8] = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKx\r\n\
To: <sip:a@127.0.0.1>\r\nFrom: <sip:b@127.0.0.1>;tag=1\r\n\
Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

#[tokio::test]
async fn echoes_udp_and_framed_tcp_and_fires_timers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addrs = [
        ListenAddr::parse("udp:127.0.0.1:0").unwrap(),
        ListenAddr::parse("tcp:127.0.0.1:0").unwrap(),
    ];
    let sockets = Sockets::bind(&addrs).await.unwrap();
    let bound = sockets.local_addrs().to_vec();
    assert_ne!(bound[0].addr.port(), 0);
    assert_eq!(bound[1].transport, TransportKind::Tcp);
    let dir = std::env::temp_dir().join(format!("rtclite-driver-{}", std::process::id()));
    let pcap_path = dir.with_extension("pcap");
    let pcap = crate::pcap::PcapSink::create(&pcap_path).unwrap();
    let machine = Echo {
        out: Vec::new(),
        events: Vec::new(),
        timer: Some(Instant::now() + Duration::from_millis(50)),
    };
    let config = DriverConfig {
        pcap: Some(pcap),
        ..DriverConfig::default()
    };
    let driver = Driver::new(sockets, machine, config);
    let handle = driver.handle();
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(driver.run(
        move |_m, _now, ev| {
            let _ = seen_tx.send(ev);
            Flow::Continue
        },
        tokio::time::sleep(Duration::from_secs(10)),
    ));

    // UDP: the datagram comes back from the listening socket.
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.send_to(b"ping", bound[0].addr).await.unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = tokio::time::timeout(Duration::from_secs(5), udp.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, bound[0].addr);

    // TCP: a keep-alive ping is answered with a pong, and a message split
    // across two writes is framed into one input and echoed whole on the
    // same connection.
    // [RFC 5626 §5.4 test] "it MUST immediately respond with a single CRLF
    // over the same connection"
    // [RFC 3261 §18.2.2 test] "the response MUST be sent using the existing
    // connection to the source of the original request"
    let mut tcp = tokio::net::TcpStream::connect(bound[1].addr).await.unwrap();
    tcp.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(5), tcp.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");
    tcp.write_all(&SIP[..40]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    tcp.write_all(&SIP[40..]).await.unwrap();
    let mut back = vec![0u8; SIP.len()];
    tokio::time::timeout(Duration::from_secs(5), tcp.read_exact(&mut back))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, SIP);

    // A handle reaches the machine from another task.
    let pending = handle.call(|m, _| m.out.len()).await.unwrap();
    assert_eq!(pending, 0);

    let mut events = Vec::new();
    while events.len() < 3 {
        let ev = tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .unwrap()
            .unwrap();
        events.push(ev);
    }
    assert!(events.iter().any(|e| e == "tick"), "{events:?}");
    assert!(events.iter().any(|e| e == "ping"));
    assert!(events.iter().any(|e| e.as_bytes() == SIP));
    task.abort();
    let _ = task.await;

    // Four records: the UDP datagram in and out, the SIP message in and out.
    let file = std::fs::read(&pcap_path).unwrap();
    std::fs::remove_file(&pcap_path).unwrap();
    let mut at = 24;
    let mut records = 0;
    while at + 16 <= file.len() {
        let len = u32::from_le_bytes(file[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
        records += 1;
    }
    assert_eq!(at, file.len());
    assert_eq!(records, 4);
}

#[test]
fn listen_addresses_parse() {
    let a = ListenAddr::parse("tcp:[::1]:5060").unwrap();
    assert_eq!(a.transport, TransportKind::Tcp);
    assert_eq!(a.addr, "[::1]:5060".parse().unwrap());
    assert_eq!(a.to_string(), "tcp:[::1]:5060");
    assert!(ListenAddr::parse("tls:127.0.0.1:5061").is_err());
    assert!(ListenAddr::parse("127.0.0.1:5060").is_err());
}

/// Sends one datagram to a host name on its first timeout.
struct ToHost {
    host: String,
    port: u16,
    sent: bool,
    errors: Vec<String>,
}

impl Machine for ToHost {
    type Event = String;
    type Error = std::convert::Infallible;

    fn handle_input(&mut self, _now: Instant, _r: Received) -> Result<(), Self::Error> {
        Ok(())
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self) -> Option<Outgoing> {
        if self.sent {
            return None;
        }
        self.sent = true;
        Some(Outgoing {
            transport: TransportKind::Udp,
            local: None,
            remote: Remote::Host {
                host: self.host.clone(),
                port: self.port,
            },
            bytes: bytes::Bytes::from_static(b"resolved"),
        })
    }
    fn poll_event(&mut self) -> Option<String> {
        self.errors.pop()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_send_error(&mut self, _now: Instant, out: &Outgoing, error: &std::io::Error) {
        self.errors.push(format!("{}: {error}", out.remote));
    }
}

#[tokio::test]
async fn host_names_resolve_to_an_address_family_we_can_send_from() {
    // Only an IPv4 socket: `localhost` must resolve to 127.0.0.1 even when
    // the resolver lists ::1 first.
    let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sockets = Sockets::bind(&[ListenAddr::parse("udp:127.0.0.1:0").unwrap()])
        .await
        .unwrap();
    let machine = ToHost {
        host: "localhost".into(),
        port: peer.local_addr().unwrap().port(),
        sent: false,
        errors: Vec::new(),
    };
    let driver = Driver::new(sockets, machine, DriverConfig::default());
    let task = tokio::spawn(driver.run(
        |_m, _now, e| panic!("no send error expected: {e}"),
        tokio::time::sleep(Duration::from_secs(10)),
    ));
    let mut buf = [0u8; 32];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), peer.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"resolved");
    task.abort();
    let _ = task.await;
}

#[tokio::test]
async fn unresolvable_host_is_reported_as_a_send_error() {
    let sockets = Sockets::bind(&[ListenAddr::parse("udp:127.0.0.1:0").unwrap()])
        .await
        .unwrap();
    let machine = ToHost {
        // RFC 6761 §6.4: .invalid never resolves.
        host: "no-such-host.invalid".into(),
        port: 5060,
        sent: false,
        errors: Vec::new(),
    };
    let driver = Driver::new(sockets, machine, DriverConfig::default());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(driver.run(
        move |_m, _now, e| {
            let _ = tx.send(e);
            Flow::Stop
        },
        tokio::time::sleep(Duration::from_secs(10)),
    ));
    let error = tokio::time::timeout(Duration::from_secs(8), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(error.starts_with("no-such-host.invalid:5060: "), "{error}");
    let _ = task.await;
}
