//! Helpers shared by the black-box tests of the `rtclite` binary: run it
//! with arguments and bytes on stdin, and read the one JSON object an
//! inspector prints.

// Each test file uses a subset of these helpers, which may panic: a panic
// here is a failed test.
#![allow(dead_code, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `rtclite ARGS...` with `stdin` as its standard input.
pub(crate) fn rtclite(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtclite"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rtclite binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("stdin accepts the input");
    child.wait_with_output().expect("rtclite exits")
}

/// The single JSON value a successful inspector prints on one line (cli.md
/// §1); fails the test on a non-zero exit or any other output shape.
pub(crate) fn one_json_line(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8");
    assert_eq!(stdout.lines().count(), 1, "one JSON value on one line");
    serde_json::from_str(&stdout).expect("stdout is JSON")
}

/// Runs a command to completion within `limit`, killing it by PID when it
/// overruns (which fails the test). Returns (exited successfully, stdout,
/// stderr). The pipes are drained while the command runs, so a chatty peer
/// cannot block on a full pipe.
pub(crate) fn run_bounded(cmd: &mut Command, limit: std::time::Duration) -> (bool, String, String) {
    use std::io::Read;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the command can be waited for") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    (status.success(), out, err)
}
