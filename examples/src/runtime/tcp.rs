//! One TCP connection: SIP messages framed from the byte stream
//! (RFC 3261 §18.3) go to the driver; messages from the driver are written
//! in order. Ends on close, framing error, write error or idleness.

use std::net::SocketAddr;

use bytes::Bytes;
use rtclite_sip::{Frame, StreamFramer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{CONNECT_TIMEOUT, IDLE_TIMEOUT, Inbound, Received, TransportKind};
use crate::pcap::PcapSink;

/// What a connection task needs from the driver.
pub(super) struct ConnectionIo {
    pub(super) id: u64,
    pub(super) remote: SocketAddr,
    pub(super) inbound: mpsc::Sender<Inbound>,
    pub(super) outbound: mpsc::Receiver<Bytes>,
    pub(super) pcap: Option<PcapSink>,
    pub(super) trace: bool,
}

// The driver is no RFC 5626 edge proxy (no outbound flows): STUN
// keep-alives on the SIP UDP ports are not answered.
// [RFC 5626 §5.4 exception: not an outbound edge proxy] "All edge proxies
// compliant with this specification MUST implement support for STUN NAT
// keep-alives on their SIP UDP ports as described in Section 8."

/// Serves a connection a peer opened.
pub(super) async fn run_accepted(stream: TcpStream, io: ConnectionIo) {
    let (id, remote, inbound) = (io.id, io.remote, io.inbound.clone());
    serve(stream, io).await;
    let _ = inbound.send(Inbound::Closed { remote, id }).await;
}

/// Opens a connection to `io.remote`, then serves it. What was queued
/// before the connection opened is sent first; if it cannot open, the
/// queued messages are dropped (the transaction layer's timers report it).
pub(super) async fn run_outgoing(io: ConnectionIo) {
    let (id, remote, inbound) = (io.id, io.remote, io.inbound.clone());
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(remote)).await {
        Ok(Ok(stream)) => serve(stream, io).await,
        Ok(Err(e)) => {
            if io.trace {
                eprintln!("tcp connect to {remote} failed: {e}");
            }
        }
        Err(_) => {
            if io.trace {
                eprintln!("tcp connect to {remote} timed out");
            }
        }
    }
    let _ = inbound.send(Inbound::Closed { remote, id }).await;
}

async fn serve(stream: TcpStream, mut io: ConnectionIo) {
    let _ = stream.set_nodelay(true);
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let (mut rd, mut wr) = stream.into_split();
    let mut framer = StreamFramer::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = tokio::time::timeout(IDLE_TIMEOUT, rd.read(&mut buf)) => {
                let n = match read {
                    Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                    Ok(Ok(n)) => n,
                };
                framer.push(buf.get(..n).unwrap_or_default());
                loop {
                    match framer.next_frame() {
                        Ok(None) => break,
                        Ok(Some(Frame::Message(m))) => {
                            let r = Received {
                                transport: TransportKind::Tcp,
                                local,
                                remote: io.remote,
                                bytes: m.bytes().clone(),
                            };
                            if io.inbound.send(Inbound::Data(r)).await.is_err() {
                                return;
                            }
                        }
                        // [RFC 5626 §5.4] "When a server receives a double CRLF
                        // sequence between SIP messages on a connection-oriented
                        // transport such as TCP or SCTP, it MUST immediately respond
                        // with a single CRLF over the same connection."
                        Ok(Some(Frame::Ping)) => {
                            if wr.write_all(b"\r\n").await.is_err() {
                                return;
                            }
                        }
                        Ok(Some(_)) => {}
                        Err(e) => {
                            if io.trace {
                                eprintln!("tcp from {}: framing error, closing: {e}", io.remote);
                            }
                            return;
                        }
                    }
                }
            }
            msg = io.outbound.recv() => {
                let Some(bytes) = msg else { return };
                if wr.write_all(&bytes).await.is_err() {
                    return;
                }
                if let Some(p) = &io.pcap {
                    if let Err(e) = p.record(local, io.remote, &bytes) {
                        eprintln!("pcap: {e}");
                    }
                }
            }
        }
    }
}
