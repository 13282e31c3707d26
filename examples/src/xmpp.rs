//! `rtclite xmpp`: an XMPP client on TCP driving the sans-IO
//! [`rtclite_xmpp::client::Client`] with a blocking socket.
//!
//! Log in, optionally fetch the roster, subscribe to a contact, send a
//! message, ping the server, place a Jingle audio call (initiate, wait for
//! accept, terminate); with `--listen` keep running and print what arrives;
//! with `--echo` answer every message with its own text, accept every
//! subscription request and accept every Jingle session.
//!
//! TLS is not offered by this command yet: `tcp:` only, with STARTTLS
//! disabled, so it is meant for loopback servers that allow it.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use rtclite_xmpp::client::{Client, ClientConfig, Event, Input, Mechanism, TlsPolicy};
use rtclite_xmpp::error::{ErrorType, StanzaError, StanzaErrorCondition};
use rtclite_xmpp::im::RosterItem;
use rtclite_xmpp::jid::Jid;
use rtclite_xmpp::jingle::{
    self, Content, Creator, Description, Jingle, NS_JINGLE, PayloadType, RawUdpCandidate,
    RawUdpTransport, Reason, ReasonCondition, RtpDescription, Session, SessionEvent, Transport,
};
use rtclite_xmpp::stanza::{Iq, IqType, Message, MessageType, PresenceType};
use serde_json::{Value, json};

use crate::inspect::CliError;

/// SASL mechanism choice.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Mech {
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM-SHA-1 (RFC 5802).
    ScramSha1,
    /// PLAIN (RFC 4616), in the clear: loopback tests only.
    Plain,
}

/// Arguments of `rtclite xmpp`.
#[derive(Debug, Args)]
pub(crate) struct XmppArgs {
    /// Our JID (a resource in it is requested at bind time).
    #[arg(long)]
    jid: String,
    /// Password.
    #[arg(long)]
    password: String,
    /// Server address, tcp:HOST:PORT.
    #[arg(long)]
    server: String,
    /// Send a chat message once online.
    #[arg(long, num_args = 2, value_names = ["JID", "TEXT"])]
    send: Option<Vec<String>>,
    /// Fetch and print the roster.
    #[arg(long)]
    roster: bool,
    /// Keep running and print every message and presence that arrives.
    #[arg(long)]
    listen: bool,
    /// Listen, answer every message with its text, accept every subscription request and every Jingle session.
    #[arg(long)]
    echo: bool,
    /// Add a contact to the roster and request a presence subscription.
    #[arg(long, value_name = "JID")]
    subscribe: Option<String>,
    /// Ping the server (XEP-0199) and print the round-trip time.
    #[arg(long)]
    ping: bool,
    /// Place a Jingle RTP audio call to a full JID: initiate, wait for accept, terminate.
    #[arg(long, value_name = "FULL_JID")]
    jingle_call: Option<String>,
    /// Force one SASL mechanism (default: SCRAM-SHA-256, then SCRAM-SHA-1).
    #[arg(long, value_enum)]
    mechanism: Option<Mech>,
    /// Print results as JSON, one object per line.
    #[arg(long)]
    json: bool,
    /// Stop after this many seconds (default: never with --listen/--echo, 30 otherwise).
    #[arg(long)]
    duration: Option<f64>,
    /// With --listen/--echo: stop once this many messages have arrived.
    #[arg(long)]
    until_messages: Option<usize>,
    /// Append every byte received from the server to FILE (a session recording).
    #[arg(long, value_name = "FILE")]
    record: Option<std::path::PathBuf>,
}

struct Out {
    json: bool,
}

impl Out {
    fn emit(&self, v: Value, human: String) {
        if self.json {
            println!("{v}");
        } else {
            println!("{human}");
        }
    }
}

fn tcp_addr(s: &str) -> Result<std::net::SocketAddr, CliError> {
    let rest = s.strip_prefix("tcp:").ok_or_else(|| {
        CliError::Invalid(format!(
            "--server {s}: expected tcp:HOST:PORT (TLS is not supported by this command)"
        ))
    })?;
    rest.to_socket_addrs()
        .map_err(|e| CliError::Invalid(format!("--server {s}: {e}")))?
        .next()
        .ok_or_else(|| CliError::Invalid(format!("--server {s}: no address")))
}

fn invalid(what: &str) -> impl Fn(String) -> CliError + '_ {
    move |e| CliError::Invalid(format!("{what}: {e}"))
}

fn audio_contents(creator: Creator, port: u16) -> Vec<Content> {
    let mut d = RtpDescription::new("audio");
    let mut opus = PayloadType::new(111, "opus", 48000);
    opus.channels = Some(2);
    opus.parameters.push(("useinbandfec".into(), "1".into()));
    d.payload_types.push(opus);
    d.payload_types.push(PayloadType::new(0, "PCMU", 8000));
    d.rtcp_mux = true;
    let mut c = Content::new(creator, "voice");
    c.description = Some(Description::Rtp(d));
    c.transport = Some(Transport::RawUdp(RawUdpTransport {
        candidates: vec![RawUdpCandidate {
            component: Some(1),
            generation: 0,
            id: format!("c{port}"),
            ip: "127.0.0.1".into(),
            port,
            candidate_type: None,
        }],
    }));
    vec![c]
}

fn jingle_iq(to: &str, j: &Jingle) -> Result<Iq, CliError> {
    let to = Jid::new(to).map_err(|e| CliError::Invalid(format!("jingle peer {to}: {e}")))?;
    Ok(Iq::request(IqType::Set, "", Some(to), j.to_element()))
}

pub(crate) fn run(args: XmppArgs) -> Result<(), CliError> {
    let out = Out { json: args.json };
    let jid =
        Jid::new(&args.jid).map_err(|e| CliError::Invalid(format!("--jid {}: {e}", args.jid)))?;
    let addr = tcp_addr(&args.server)?;
    let listen = args.listen || args.echo;
    let limit = Duration::from_secs_f64(
        args.duration
            .unwrap_or(if listen { f64::MAX / 4.0 } else { 30.0 })
            .clamp(0.0, 1e9),
    );

    let mut cfg = ClientConfig::new(jid.clone(), args.password.clone(), rand::random());
    cfg.tls = TlsPolicy::Never;
    cfg.mechanisms = match args.mechanism {
        Some(Mech::ScramSha256) => vec![Mechanism::ScramSha256],
        Some(Mech::ScramSha1) => vec![Mechanism::ScramSha1],
        Some(Mech::Plain) => vec![Mechanism::Plain],
        None => vec![Mechanism::ScramSha256, Mechanism::ScramSha1],
    };
    cfg.allow_plain_in_clear = matches!(args.mechanism, Some(Mech::Plain));
    cfg.iq_timeout = Duration::from_secs(10);
    cfg.features = vec![
        jingle::NS_JINGLE.into(),
        jingle::NS_RTP.into(),
        jingle::NS_RAW_UDP.into(),
        "urn:xmpp:jingle:apps:rtp:audio".into(),
    ];
    let mut client = Client::new(cfg);

    let mut sock =
        TcpStream::connect_timeout(&addr, Duration::from_secs(10)).map_err(|e| CliError::Io {
            what: args.server.clone(),
            source: e,
        })?;
    let _ = sock.set_nodelay(true);
    let io = |e: std::io::Error| CliError::Io {
        what: args.server.clone(),
        source: e,
    };

    let start = Instant::now();
    client.connect(start);
    let media_sock = std::net::UdpSocket::bind("127.0.0.1:0").map_err(io)?;
    let media_port = media_sock.local_addr().map_err(io)?.port();

    let mut pending: HashMap<String, &'static str> = HashMap::new();
    let mut ping_sent: HashMap<String, Instant> = HashMap::new();
    let mut sessions: HashMap<String, Session> = HashMap::new();
    let mut call_done = args.jingle_call.is_none();
    let mut messages = 0usize;
    let mut online = false;
    let mut closing = false;
    let mut buf = vec![0u8; 16384];
    let mut record = match &args.record {
        Some(p) => Some(std::fs::File::create(p).map_err(|e| CliError::Io {
            what: p.display().to_string(),
            source: e,
        })?),
        None => None,
    };

    loop {
        let now = Instant::now();
        while let Some(t) = client.poll_transmit() {
            sock.write_all(&t.data).map_err(io)?;
        }
        while let Some(ev) = client.poll_event() {
            match ev {
                Event::Online => {
                    online = true;
                    let bound = client
                        .bound_jid()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    out.emit(
                        json!({"event": "online", "jid": bound}),
                        format!("online as {bound}"),
                    );
                    if args.roster {
                        let id = client.request_roster(now, None);
                        pending.insert(id, "roster");
                    }
                    if let Some(c) = &args.subscribe {
                        let contact = Jid::new(c)
                            .map_err(|e| CliError::Invalid(format!("--subscribe {c}: {e}")))?;
                        let id = client.roster_set(now, &RosterItem::new(contact.to_bare()));
                        pending.insert(id, "roster-set");
                        client.subscribe(now, &contact);
                    }
                    client.send_initial_presence(now);
                    if let Some(v) = &args.send {
                        let to = Jid::new(&v[0])
                            .map_err(|e| CliError::Invalid(format!("--send {}: {e}", v[0])))?;
                        client.send_message(now, Message::chat(to, v[1].clone()));
                        out.emit(
                            json!({"event": "sent", "to": v[0], "body": v[1]}),
                            format!("sent to {}: {}", v[0], v[1]),
                        );
                    }
                    if args.ping {
                        let id = client.ping(now, None);
                        ping_sent.insert(id.clone(), now);
                        pending.insert(id, "ping");
                    }
                    if let Some(peer) = &args.jingle_call {
                        let sid = format!("rtc{:016x}", rand::random::<u64>());
                        let (s, j) = Session::initiate(
                            sid.clone(),
                            &bound,
                            peer,
                            audio_contents(Creator::Initiator, media_port),
                        );
                        let id = client.send_iq(now, jingle_iq(peer, &j)?);
                        pending.insert(id, "jingle");
                        sessions.insert(sid.clone(), s);
                        out.emit(json!({"event": "jingle", "action": "session-initiate", "sid": sid, "to": peer}), format!("calling {peer} (sid {sid})"));
                    }
                }
                Event::Message(m) => {
                    let from = m.from.as_ref().map(ToString::to_string).unwrap_or_default();
                    let Some(body) = m.body.clone() else { continue };
                    messages += 1;
                    out.emit(json!({"event": "message", "from": from, "type": m.message_type.as_str(), "body": body}), format!("message from {from}: {body}"));
                    if args.echo && m.message_type != MessageType::Error {
                        if let Some(f) = m.from.clone() {
                            let mut reply = Message::chat(f, body);
                            reply.message_type = m.message_type;
                            reply.thread = m.thread.clone();
                            client.send_message(now, reply);
                        }
                    }
                }
                Event::Presence(p) => {
                    let from = p.from.as_ref().map(ToString::to_string).unwrap_or_default();
                    let ty = p.presence_type.as_str().unwrap_or("available");
                    out.emit(
                        json!({"event": "presence", "from": from, "type": ty}),
                        format!("presence from {from}: {ty}"),
                    );
                    if args.echo && p.presence_type == PresenceType::Subscribe {
                        if let Some(f) = &p.from {
                            client.approve_subscription(now, f);
                            client.subscribe(now, f);
                        }
                    }
                }
                Event::Roster(r) => {
                    let items: Vec<Value> = r
                        .iter()
                        .flat_map(|r| r.items.iter())
                        .map(|i| json!({"jid": i.jid.as_str(), "name": i.name, "subscription": i.subscription.as_str(), "ask": i.ask}))
                        .collect();
                    let human = items
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n");
                    out.emit(json!({"event": "roster", "ver": r.as_ref().and_then(|r| r.ver.clone()), "items": items}), format!("roster:\n{human}"));
                    pending.retain(|_, w| *w != "roster");
                }
                Event::RosterPush { item, .. } => {
                    out.emit(
                        json!({"event": "roster-push", "jid": item.jid.as_str(), "subscription": item.subscription.as_str(), "ask": item.ask}),
                        format!("roster push: {} {}", item.jid, item.subscription.as_str()),
                    );
                }
                Event::IqResponse { id, result } => {
                    let what = pending.remove(&id).unwrap_or("iq");
                    match (what, result) {
                        ("ping", Ok(_)) => {
                            let rtt = ping_sent
                                .remove(&id)
                                .map(|t| now.duration_since(t).as_secs_f64() * 1000.0)
                                .unwrap_or(0.0);
                            out.emit(
                                json!({"event": "ping", "rtt_ms": rtt}),
                                format!("ping: {rtt:.2} ms"),
                            );
                        }
                        (_, Err(e)) => {
                            out.emit(json!({"event": "iq-error", "purpose": what, "error": e.to_string()}), format!("{what} failed: {e}"));
                            if what == "jingle" {
                                call_done = true;
                            }
                        }
                        _ => {}
                    }
                }
                Event::IqTimeout { id } => {
                    let what = pending.remove(&id).unwrap_or("iq");
                    return Err(CliError::Invalid(format!(
                        "no answer to {what} request {id} (RFC 6120 §8.2.3)"
                    )));
                }
                Event::IqRequest(iq) => {
                    let from = iq
                        .from
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    let Some(j) = iq
                        .payload()
                        .filter(|p| p.is("jingle", NS_JINGLE))
                        .map(Jingle::from_element)
                    else {
                        client.send_iq_response(
                            now,
                            &iq,
                            Err(StanzaError::new(
                                ErrorType::Cancel,
                                StanzaErrorCondition::ServiceUnavailable,
                            )),
                        );
                        continue;
                    };
                    let j = match j {
                        Ok(j) => j,
                        Err(e) => {
                            let mut se = StanzaError::new(
                                ErrorType::Cancel,
                                StanzaErrorCondition::BadRequest,
                            );
                            se.text = Some(e.to_string());
                            client.send_iq_response(now, &iq, Err(se));
                            continue;
                        }
                    };
                    out.emit(json!({"event": "jingle", "action": j.action.as_str(), "sid": j.sid, "from": from}), format!("jingle {} from {from} (sid {})", j.action.as_str(), j.sid));
                    if j.action == jingle::Action::SessionInitiate && !sessions.contains_key(&j.sid)
                    {
                        let own = client
                            .bound_jid()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        match Session::from_initiate(&own, &from, &j) {
                            Ok(mut s) if args.echo => {
                                client.send_iq_response(now, &iq, Ok(None));
                                let acc = s
                                    .accept(audio_contents(Creator::Initiator, media_port))
                                    .map_err(|e| CliError::Invalid(e.to_string()))?;
                                let id = client.send_iq(now, jingle_iq(&from, &acc)?);
                                pending.insert(id, "jingle");
                                out.emit(json!({"event": "jingle", "action": "session-accept", "sid": j.sid, "to": from}), format!("accepted call from {from}"));
                                sessions.insert(j.sid.clone(), s);
                            }
                            Ok(mut s) => {
                                client.send_iq_response(now, &iq, Ok(None));
                                let t = s.terminate(Reason::new(ReasonCondition::Decline));
                                let id = client.send_iq(now, jingle_iq(&from, &t)?);
                                pending.insert(id, "jingle");
                            }
                            Err(e) => client.send_iq_response(now, &iq, Err(*e.stanza_error)),
                        }
                        continue;
                    }
                    let Some(s) = sessions.get_mut(&j.sid) else {
                        // Requests for sessions we do not know get <unknown-session/> (XEP-0166 §6.7).
                        let e =
                            jingle::JingleError::new(jingle::JingleErrorCondition::UnknownSession);
                        client.send_iq_response(now, &iq, Err(*e.stanza_error));
                        continue;
                    };
                    match s.handle(&from, &j) {
                        Ok(SessionEvent::Accepted(_)) => {
                            client.send_iq_response(now, &iq, Ok(None));
                            let t = s.terminate(Reason::new(ReasonCondition::Success));
                            let id = client.send_iq(now, jingle_iq(&from, &t)?);
                            pending.insert(id, "jingle");
                            out.emit(json!({"event": "jingle", "action": "session-terminate", "sid": j.sid, "to": from, "reason": "success"}), format!("call accepted; hanging up (sid {})", j.sid));
                            call_done = true;
                        }
                        Ok(SessionEvent::Terminated(r)) => {
                            client.send_iq_response(now, &iq, Ok(None));
                            let reason = r.map(|r| r.condition.as_str()).unwrap_or("none");
                            out.emit(
                                json!({"event": "jingle-ended", "sid": j.sid, "reason": reason}),
                                format!("call ended: {reason}"),
                            );
                            sessions.remove(&j.sid);
                            call_done = true;
                        }
                        Ok(_) => client.send_iq_response(now, &iq, Ok(None)),
                        Err(e) => client.send_iq_response(now, &iq, Err(*e.stanza_error)),
                    }
                }
                Event::Closed(err) => {
                    if closing {
                        let summary =
                            json!({"event": "summary", "messages_received": messages, "ok": true});
                        out.emit(summary, format!("closed; {messages} message(s) received"));
                        return Ok(());
                    }
                    return Err(CliError::Invalid(format!(
                        "stream closed by the server{}",
                        err.map(|e| format!(": {e}")).unwrap_or_default()
                    )));
                }
                _ => {}
            }
        }
        while let Some(t) = client.poll_transmit() {
            sock.write_all(&t.data).map_err(io)?;
        }

        // Done?
        let now = Instant::now();
        let timed_out = now.duration_since(start) >= limit;
        let enough = args.until_messages.is_some_and(|n| messages >= n);
        let work_done = online && pending.is_empty() && call_done;
        if !closing && (timed_out || (work_done && (!listen || enough))) {
            if !online {
                return Err(CliError::Invalid(
                    "timed out before the stream was online".into(),
                ));
            }
            if !listen && !work_done {
                return Err(CliError::Invalid(format!(
                    "timed out with {} request(s) unanswered",
                    pending.len()
                )));
            }
            client.close(now);
            closing = true;
            while let Some(t) = client.poll_transmit() {
                sock.write_all(&t.data).map_err(io)?;
            }
        }
        if closing && now.duration_since(start) >= limit + Duration::from_secs(3) {
            let summary = json!({"event": "summary", "messages_received": messages, "ok": true});
            out.emit(summary, format!("{messages} message(s) received"));
            return Ok(());
        }

        let wait = client
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(Duration::from_millis(200));
        let wait = wait.clamp(Duration::from_millis(1), Duration::from_millis(200));
        sock.set_read_timeout(Some(wait)).map_err(io)?;
        match sock.read(&mut buf) {
            Ok(0) => {
                if closing {
                    let summary =
                        json!({"event": "summary", "messages_received": messages, "ok": true});
                    out.emit(summary, format!("closed; {messages} message(s) received"));
                    return Ok(());
                }
                return Err(CliError::Invalid("the server closed the connection".into()));
            }
            Ok(n) => {
                if let Some(f) = record.as_mut() {
                    f.write_all(&buf[..n]).map_err(io)?;
                }
                client
                    .handle_input(Instant::now(), Input::Data(&buf[..n]))
                    .map_err(|e| invalid("xmpp")(e.to_string()))?
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                client.handle_timeout(Instant::now())
            }
            Err(e) => return Err(io(e)),
        }
    }
}
