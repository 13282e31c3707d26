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
