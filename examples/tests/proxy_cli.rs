//! `rtclite proxy` as a command (cli.md): the listening addresses it
//! prints, `--duration`, the closing summary, and the exit codes for bad
//! usage (2) and bad input (1, one `error:` line naming the problem).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::run_bounded;

const BIN: &str = env!("CARGO_BIN_EXE_rtclite");

#[test]
fn prints_chosen_addresses_and_stops_after_duration() {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "proxy",
        "--listen",
        "udp:127.0.0.1:0",
        "--listen",
        "tcp:127.0.0.1:0",
        "--duration",
        "0.3",
    ]);
    let (ok, out, err) = run_bounded(&mut cmd, Duration::from_secs(20));
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for (line, scheme) in lines.iter().zip(["udp", "tcp"]) {
        let addr = line
            .strip_prefix(&format!("listening {scheme}:127.0.0.1:"))
            .unwrap_or_else(|| panic!("{line}"));
        let port: u16 = addr.parse().unwrap();
        assert_ne!(port, 0, "port 0 is replaced by the chosen port");
    }
    assert!(lines[2].starts_with("stopped: 0 registrations"), "{out}");
}

#[test]
fn json_output_is_one_object_per_line() {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "proxy",
        "--json",
        "--listen",
        "udp:127.0.0.1:0",
        "--duration",
        "0.2",
    ]);
    let (ok, out, err) = run_bounded(&mut cmd, Duration::from_secs(20));
    assert!(ok, "{err}");
    let values: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0]["event"], "listening");
    assert!(
        values[0]["address"]
            .as_str()
            .unwrap()
            .starts_with("udp:127.0.0.1:")
    );
    assert_eq!(values[1]["event"], "summary");
    assert_eq!(values[1]["registrations"], 0);
    assert_eq!(values[1]["bindings"], 0);
}

fn fails_with(args: &[&str], code: i32, needle: &str) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    let (_, out, err) = run_bounded(&mut cmd, Duration::from_secs(20));
    let status = Command::new(BIN).args(args).output().unwrap().status;
    assert_eq!(status.code(), Some(code), "{args:?}: {err}");
    assert!(out.is_empty(), "nothing on stdout: {out}");
    assert!(
        err.contains(needle),
        "{args:?}: stderr {err:?} lacks {needle:?}"
    );
}

#[test]
fn bad_usage_exits_2() {
    fails_with(&["proxy"], 2, "--listen");
    fails_with(&["proxy", "--listen"], 2, "--listen");
}

#[test]
fn bad_input_exits_1_with_one_error_line() {
    fails_with(
        &["proxy", "--listen", "tls:127.0.0.1:0"],
        1,
        "error: tls:127.0.0.1:0: transport tls is not supported",
    );
    fails_with(&["proxy", "--listen", "127.0.0.1:5060"], 1, "error: ");
    fails_with(
        &["proxy", "--listen", "udp:127.0.0.1:0", "--duration=-1"],
        1,
        "error: --duration: ",
    );
    let users = std::env::temp_dir().join(format!("rtclite-bad-users-{}", std::process::id()));
    std::fs::write(&users, "# users\nalice:pw\nbob\n").unwrap();
    fails_with(
        &[
            "proxy",
            "--listen",
            "udp:127.0.0.1:0",
            "--users",
            users.to_str().unwrap(),
        ],
        1,
        "line 3: expected USER:PASSWORD",
    );
    let _ = std::fs::remove_file(&users);
    fails_with(
        &[
            "proxy",
            "--listen",
            "udp:127.0.0.1:0",
            "--users",
            "/nonexistent/users",
        ],
        1,
        "error: reading /nonexistent/users",
    );
}

/// SIGINT (Ctrl-C) stops the proxy cleanly: exit 0 and the closing
/// summary, like SIGTERM (which the interop tests use).
#[test]
fn sigint_stops_cleanly_with_a_summary() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(BIN)
        .args(["proxy", "--json", "--listen", "udp:127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("\"listening\""), "{first}");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rtclite proxy did not stop on SIGINT within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let last = lines.last().unwrap().unwrap();
    let summary: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(summary["event"], "summary");
}
