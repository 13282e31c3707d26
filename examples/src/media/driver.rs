//! Runs a [`MediaStream`] on the runtime driver ([`crate::runtime`]) over
//! one UDP socket for RTP and one for RTCP (the RTCP one stays unused with
//! rtcp-mux).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::stream::{MediaEvent, MediaStream};
use crate::runtime::{
    Driver, DriverConfig, Flow, Handle, ListenAddr, Machine, Outgoing, Received, Remote, Sockets,
    TransportKind,
};

/// Attempts at finding an even RTP port with the next port free for RTCP.
const PORT_PAIR_ATTEMPTS: usize = 20;
/// How long a stream that is leaving waits for its RTCP BYE to go out.
pub(crate) const LEAVE_TIMEOUT: Duration = Duration::from_secs(2);

/// The two media sockets, bound before the SDP is written (it carries
/// their ports).
#[derive(Debug)]
pub(crate) struct MediaSockets {
    sockets: Sockets,
    /// The RTP socket's address.
    pub(crate) rtp: SocketAddr,
    /// The RTCP socket's address.
    pub(crate) rtcp: SocketAddr,
}

impl MediaSockets {
    /// Binds an RTP and an RTCP socket on `ip`: an even port and the next
    /// one when the system gives us such a pair within a few attempts, two
    /// arbitrary ports otherwise (the SDP then carries `a=rtcp`).
    pub(crate) async fn bind(ip: IpAddr) -> io::Result<Self> {
        let udp = |port| ListenAddr {
            transport: TransportKind::Udp,
            addr: SocketAddr::new(ip, port),
        };
        for _ in 0..PORT_PAIR_ATTEMPTS {
            let probe = std::net::UdpSocket::bind(SocketAddr::new(ip, 0))?;
            let port = probe.local_addr()?.port();
            // [RFC 3550 §11] "For UDP and similar protocols, RTP SHOULD use an
            // even destination port number and the corresponding RTCP stream
            // SHOULD use the next higher (odd) destination port number."
            if port % 2 != 0 || port == u16::MAX {
                continue;
            }
            drop(probe);
            if let Ok(sockets) = Sockets::bind(&[udp(port), udp(port + 1)]).await {
                return Ok(Self::from_sockets(sockets));
            }
        }
        let sockets = Sockets::bind(&[udp(0), udp(0)]).await?;
        Ok(Self::from_sockets(sockets))
    }

    fn from_sockets(sockets: Sockets) -> Self {
        let addrs = sockets.local_addrs();
        let rtp = addrs.first().map(|a| a.addr);
        let rtcp = addrs.get(1).map(|a| a.addr);
        let fallback = SocketAddr::from(([0, 0, 0, 0], 0));
        Self {
            rtp: rtp.unwrap_or(fallback),
            rtcp: rtcp.unwrap_or(fallback),
            sockets,
        }
    }
}

/// A [`MediaStream`] as a runtime [`Machine`].
#[derive(Debug)]
pub(crate) struct MediaMachine {
    /// The stream.
    pub(crate) stream: MediaStream,
    rtp: SocketAddr,
    rtcp: SocketAddr,
    finished_reported: bool,
}

/// What a running stream reports.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MediaNotice {
    /// An event of the stream.
    Event(MediaEvent),
    /// The stream left and its BYE went out.
    Finished,
}

impl Machine for MediaMachine {
    type Event = MediaNotice;
    type Error = std::convert::Infallible;

    fn handle_input(&mut self, now: Instant, input: Received) -> Result<(), Self::Error> {
        let on_rtcp = input.local == self.rtcp && !self.stream.params().rtcp_mux;
        self.stream
            .handle_input(now, input.remote, on_rtcp, &input.bytes);
        Ok(())
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.stream.handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<Outgoing> {
        let t = self.stream.poll_transmit()?;
        Some(Outgoing {
            transport: TransportKind::Udp,
            local: Some(if t.from_rtcp_socket {
                self.rtcp
            } else {
                self.rtp
            }),
            remote: Remote::Addr(t.dest),
            bytes: Bytes::from(t.data),
        })
    }

    fn poll_event(&mut self) -> Option<MediaNotice> {
        if let Some(e) = self.stream.poll_event() {
            return Some(MediaNotice::Event(e));
        }
        if !self.finished_reported && self.stream.is_finished() {
            self.finished_reported = true;
            return Some(MediaNotice::Finished);
        }
        None
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.stream.poll_timeout()
    }
}

/// A stream running on its own task.
pub(crate) struct RunningMedia {
    /// Acts on the stream while it runs (DTMF, re-negotiation, leave).
    pub(crate) handle: Handle<MediaMachine>,
    /// The stream when the task ends.
    pub(crate) task: tokio::task::JoinHandle<MediaStream>,
    halt: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for RunningMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningMedia").finish_non_exhaustive()
    }
}

/// Starts `stream` on `sockets`; `on_event` sees every event (it runs on
/// the media task). The task ends when the stream has left (see
/// [`RunningMedia::stop`]).
pub(crate) fn spawn(
    sockets: MediaSockets,
    stream: MediaStream,
    config: DriverConfig,
    mut on_event: impl FnMut(MediaEvent) + Send + 'static,
) -> RunningMedia {
    let machine = MediaMachine {
        stream,
        rtp: sockets.rtp,
        rtcp: sockets.rtcp,
        finished_reported: false,
    };
    let driver = Driver::new(sockets.sockets, machine, config);
    let handle = driver.handle();
    let (halt, halted) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let m = driver
            .run(
                move |_, _, notice| match notice {
                    MediaNotice::Event(e) => {
                        on_event(e);
                        Flow::Continue
                    }
                    MediaNotice::Finished => Flow::Stop,
                },
                async move {
                    let _ = halted.await;
                },
            )
            .await;
        m.stream
    });
    RunningMedia { handle, task, halt }
}

impl RunningMedia {
    /// Leaves the RTP session (RTCP BYE) and returns the stream, waiting at
    /// most [`LEAVE_TIMEOUT`] for the BYE to go out before halting the task.
    pub(crate) async fn stop(self) -> Option<MediaStream> {
        let _ = self
            .handle
            .call(|m: &mut MediaMachine, now| m.stream.leave(now))
            .await;
        let mut task = self.task;
        match tokio::time::timeout(LEAVE_TIMEOUT, &mut task).await {
            Ok(result) => result.ok(),
            Err(_) => {
                let _ = self.halt.send(());
                task.await.ok()
            }
        }
    }
}
