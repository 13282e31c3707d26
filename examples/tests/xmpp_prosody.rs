//! Interop of `rtclite xmpp` and the rtclite-xmpp component stream with a
//! real server: Debian `prosody`, started here on loopback with its own
//! configuration, data directory, free ports and throwaway accounts, and
//! killed by PID at the end.
//!
//! Without prosody the test fails when `CI=true` and says so loudly otherwise
//! (`scripts/setup` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::run_bounded;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtclite");

fn find_prosody() -> Option<(PathBuf, PathBuf)> {
    let path = std::env::var_os("PATH")?;
    let find = |name: &str| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    Some((find("prosody")?, find("prosodyctl")?))
}

/// Two distinct free TCP ports on loopback. Both listeners are held until
/// both ports are known, so the kernel cannot hand out the same port twice.
fn two_free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn has(events: &[Value], pred: impl Fn(&Value) -> bool) -> bool {
    events.iter().any(pred)
}

/// A prosody instance that is killed (by PID) and whose directory is removed on drop.
struct Prosody {
    child: Child,
    dir: PathBuf,
    c2s: u16,
    component: u16,
}

impl Drop for Prosody {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn open_dir(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(p).unwrap();
    // prosodyctl drops to the prosody user when run as root: it must be able to write here.
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
}

fn start_prosody(prosody: &Path, prosodyctl: &Path) -> Prosody {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!(
        "rtclite-xmpp-prosody-{}-{nanos}",
        std::process::id()
    ));
    for d in ["", "data", "certs"] {
        open_dir(&dir.join(d));
    }
    let (c2s, component) = two_free_ports();
    let d = dir.display();
    let cfg = format!(
        r#"pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
certificates = "{d}/certs"
daemonize = false
-- CI runs as root; without this mod_posix shuts prosody down (racily).
run_as_root = true
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = "{d}/prosody.log" }} }}
c2s_ports = {{ {c2s} }}
c2s_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{ }}
component_ports = {{ {component} }}
component_interfaces = {{ "127.0.0.1" }}
http_ports = {{ }}
https_ports = {{ }}
modules_enabled = {{ "roster", "saslauth", "disco", "ping", "presence", "message", "iq", "smacks", "posix" }}
modules_disabled = {{ "s2s", "admin_shell", "tls", "offline" }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"
VirtualHost "localhost"
Component "gw.localhost"
  component_secret = "gw-secret"
"#
    );
    let cfg_path = dir.join("prosody.cfg.lua");
    std::fs::write(&cfg_path, cfg).unwrap();
    for (user, pw) in [("alice", "alicepw"), ("bob", "bobpw")] {
        let (ok, out, err) = run_bounded(
            Command::new(prosodyctl)
                .arg("--config")
                .arg(&cfg_path)
                .args(["register", user, "localhost", pw]),
            Duration::from_secs(30),
        );
        assert!(ok, "prosodyctl register {user}: {out}{err}");
    }
    let child = Command::new(prosody)
        .arg("--config")
        .arg(&cfg_path)
        .stdout(std::fs::File::create(dir.join("stdout.txt")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap())
        .spawn()
        .unwrap();
    let p = Prosody {
        child,
        dir,
        c2s,
        component,
    };
    let mut p = p;
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", c2s)).is_err() {
        let exited = p.child.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() >= deadline {
            // Say why before Drop removes the folder with prosody's logs.
            let read = |f: &str| std::fs::read_to_string(p.dir.join(f)).unwrap_or_default();
            panic!(
                "prosody did not listen on {c2s} (exit status {exited:?})\n--- prosody.log\n{}\n--- stderr\n{}",
                read("prosody.log"),
                read("stderr.txt")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    p
}

fn xmpp(p: &Prosody, jid: &str, pw: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args([
        "xmpp",
        "--jid",
        jid,
        "--password",
        pw,
        "--server",
        &format!("tcp:127.0.0.1:{}", p.c2s),
        "--json",
    ])
    .args(extra);
    c
}

#[test]
fn xmpp_against_prosody() {
    let Some((prosody, prosodyctl)) = find_prosody() else {
        let msg = "prosody is not installed: the XMPP interop test did not run (install Debian `prosody`, see scripts/setup)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}");
        }
        eprintln!("\n\n*** SKIPPED: {msg} ***\n\n");
        return;
    };
    let p = start_prosody(&prosody, &prosodyctl);

    // 1. SCRAM-SHA-1 login, bind, roster, ping.
    let (ok, out, err) = run_bounded(
        &mut xmpp(
            &p,
            "alice@localhost/a",
            "alicepw",
            &["--mechanism", "scram-sha1", "--roster", "--ping"],
        ),
        Duration::from_secs(20),
    );
    assert!(ok, "{out}{err}");
    let ev = json_lines(&out);
    assert!(
        has(&ev, |e| e["event"] == "online"
            && e["jid"] == "alice@localhost/a"),
        "{out}"
    );
    assert!(has(&ev, |e| e["event"] == "roster"), "{out}");
    assert!(
        has(&ev, |e| e["event"] == "ping"
            && e["rtt_ms"].as_f64().is_some()),
        "{out}"
    );

    // 2. PLAIN (allowed in the clear by this server configuration).
    let (ok, out, err) = run_bounded(
        &mut xmpp(
            &p,
            "alice@localhost/p",
            "alicepw",
            &["--mechanism", "plain", "--ping"],
        ),
        Duration::from_secs(20),
    );
    assert!(ok, "{out}{err}");
    // A wrong password fails with exit 1 and one error line.
    let (ok, _, err) = run_bounded(
        &mut xmpp(
            &p,
            "alice@localhost/x",
            "wrong",
            &["--mechanism", "scram-sha1"],
        ),
        Duration::from_secs(20),
    );
    assert!(!ok && err.contains("not-authorized"), "{err}");

    // 3. Bob echoes; Alice subscribes, sends a message and gets it back.
    let bob_out = p.dir.join("bob.jsonl");
    let mut bob = xmpp(
        &p,
        "bob@localhost/b",
        "bobpw",
        &["--echo", "--duration", "20"],
    )
    .stdout(std::fs::File::create(&bob_out).unwrap())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !std::fs::read_to_string(&bob_out)
        .unwrap()
        .contains("\"online\"")
    {
        assert!(Instant::now() < deadline, "bob did not come online");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (ok, out, err) = run_bounded(
        &mut xmpp(
            &p,
            "alice@localhost/a",
            "alicepw",
            &[
                "--subscribe",
                "bob@localhost",
                "--send",
                "bob@localhost",
                "hello bob",
                "--listen",
                "--until-messages",
                "1",
                "--duration",
                "10",
            ],
        ),
        Duration::from_secs(20),
    );
    assert!(ok, "{out}{err}");
    let ev = json_lines(&out);
    assert!(
        has(&ev, |e| e["event"] == "message"
            && e["from"] == "bob@localhost/b"
            && e["body"] == "hello bob"),
        "{out}"
    );

    // 4. The subscription is complete: Alice's roster has Bob with subscription to (or both),
    //    and a Jingle session-initiate/accept/terminate goes through the server.
    let (ok, out, err) = run_bounded(
        &mut xmpp(
            &p,
            "alice@localhost/a2",
            "alicepw",
            &["--roster", "--jingle-call", "bob@localhost/b"],
        ),
        Duration::from_secs(20),
    );
    assert!(ok, "{out}{err}");
    let ev = json_lines(&out);
    assert!(
        has(&ev, |e| e["event"] == "roster"
            && e["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["jid"] == "bob@localhost"
                    && (i["subscription"] == "to"
                        || i["subscription"] == "both"))),
        "{out}"
    );
    assert!(
        has(&ev, |e| e["event"] == "presence"
            && e["from"] == "bob@localhost/b"
            && e["type"] == "available"),
        "{out}"
    );
    assert!(
        has(&ev, |e| e["event"] == "jingle"
            && e["action"] == "session-accept"
            && e["from"] == "bob@localhost/b"),
        "{out}"
    );
    assert!(
        has(&ev, |e| e["event"] == "jingle"
            && e["action"] == "session-terminate"),
        "{out}"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&bob_out)
        .unwrap()
        .contains("jingle-ended")
    {
        assert!(Instant::now() < deadline, "bob did not see the session end");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = bob.kill();
    let _ = bob.wait();
    let bob_ev = json_lines(&std::fs::read_to_string(&bob_out).unwrap());
    assert!(has(&bob_ev, |e| e["event"] == "presence"
        && e["type"] == "subscribe"
        && e["from"] == "alice@localhost"));
    assert!(has(&bob_ev, |e| e["event"] == "jingle-ended"
        && e["reason"] == "success"));

    // 5. XEP-0114 component handshake with the right secret, then a wrong one.
    component_handshake(&p);
}

fn component_handshake(p: &Prosody) {
    use rtclite_xmpp::component::{Component, ComponentError, ComponentEvent};
    use rtclite_xmpp::error::StreamErrorCondition;
    for (secret, expect_ok) in [("gw-secret", true), ("nope", false)] {
        let mut c = Component::new("gw.localhost", secret, rtclite_xmpp::xml::Limits::default());
        let mut s = TcpStream::connect(("127.0.0.1", p.component)).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let now = Instant::now();
        c.connect(now);
        let deadline = now + Duration::from_secs(10);
        let mut result: Option<Result<(), ComponentError>> = None;
        let mut buf = [0u8; 4096];
        while result.is_none() && Instant::now() < deadline {
            while let Some(t) = c.poll_transmit() {
                s.write_all(&t.data).unwrap();
            }
            while let Some(ev) = c.poll_event() {
                if ev == ComponentEvent::Online {
                    result = Some(Ok(()));
                }
            }
            if result.is_some() {
                break;
            }
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if let Err(e) = c.handle_input(Instant::now(), &buf[..n]) {
                        result = Some(Err(e));
                    }
                }
                Err(_) => {}
            }
        }
        match (expect_ok, result) {
            (true, Some(Ok(()))) => assert!(c.is_online()),
            (false, Some(Err(ComponentError::Stream(se)))) => {
                assert_eq!(se.condition, StreamErrorCondition::NotAuthorized)
            }
            (e, r) => panic!("secret {secret}: expected ok={e}, got {r:?}"),
        }
    }
}
