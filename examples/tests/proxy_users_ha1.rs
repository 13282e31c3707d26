//! `rtclite proxy --users FILE` with precomputed H(A1) lines
//! (`USER:{HA1}:ALGORITHM:HEX`, RFC 2617 §3.2.2.2, RFC 7616 §3.4.2) beside
//! plain `USER:PASSWORD` ones: SIPp (MD5, from `-au`/`-ap`) and our phone
//! (the strongest algorithm offered) register with a password the proxy
//! never saw, in MD5, SHA-256 and SHA-512-256; a wrong password is refused
//! as it is for a password line; with `--challenge-calls` our phone calls
//! an echo through the proxy as an H(A1) user (407, then routed); a bad
//! line stops the proxy with an error naming the line.
//!
//! The H(A1) values are computed here, for the realm the proxy challenges
//! with (its `--domain`), as an operator would with `md5sum`.
//!
//! Loopback only, free ports, every process bounded in time and killed by
//! PID. Without SIPp the SIPp tests fail when `CI=true` and say so loudly
//! otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "fixtures/baresip/support.rs"]
mod endpoint_support;
#[path = "fixtures/sipp/support.rs"]
mod sipp_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use endpoint_support::{Endpoint, events};
use rtclite_sip::digest::Algorithm;
use sipp_support::{RtcliteProxy, fixtures, free_udp_ports, peer, run_sipp};

/// The proxy's `--domain`, hence the realm of its challenges and of every
/// H(A1) in the users file.
const DOMAIN: &str = "127.0.0.1";

/// `H(user ":" realm ":" password)` in hex, for the proxy's realm.
fn ha1(algorithm: Algorithm, user: &str, password: &str) -> String {
    algorithm.hash_hex(format!("{user}:{DOMAIN}:{password}").as_bytes())
}

/// The users file: alice, carol and dave stored as H(A1) only (MD5,
/// SHA-256, SHA-512-256), erin with both an MD5 and a SHA-256 H(A1), bob
/// with a password, and frank with a password that looks like an MD5 line.
fn users_file(tag: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("rtclite-{tag}-{}.users", std::process::id()));
    let text = format!(
        "# rtclite proxy users: H(A1) lines and passwords\n\
         alice:{{HA1}}:md5:{}\n\
         carol:{{HA1}}:SHA-256:{}\n\
         dave:{{HA1}}:sha-512-256:{}\n\
         erin:{{HA1}}:md5:{}\n\
         erin:{{HA1}}:sha-256:{}\n\
         bob:builder\n\
         frank:md5:0123456789abcdef0123456789abcdef\n",
        ha1(Algorithm::Md5, "alice", "wonderland"),
        ha1(Algorithm::Sha256, "carol", "c4r0l"),
        ha1(Algorithm::Sha512_256, "dave", "d4v3"),
        ha1(Algorithm::Md5, "erin", "3r1n"),
        ha1(Algorithm::Sha256, "erin", "3r1n").to_ascii_uppercase(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn start_proxy(users: &std::path::Path) -> RtcliteProxy {
    RtcliteProxy::start(&[
        "--listen",
        "udp:127.0.0.1:0",
        "--domain",
        DOMAIN,
        "--users",
        users.to_str().unwrap(),
    ])
}

/// REGISTER finals of the proxy's events with `status`.
fn register_finals(events: &[serde_json::Value], status: u64) -> usize {
    events
        .iter()
        .filter(|e| {
            e["event"] == "final_response" && e["method"] == "REGISTER" && e["status"] == status
        })
        .count()
}

/// The AORs bound with 200 (not the removals).
fn bound(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| {
            e["event"] == "registration"
                && e["status"] == 200
                && !e["contacts"].as_array().unwrap().is_empty()
        })
        .map(|e| e["aor"].as_str().unwrap().to_owned())
        .collect()
}

/// SIPp's REGISTER scenario as `user` with `password`, `calls` times.
fn sipp_register(
    sipp: &std::path::Path,
    proxy: &RtcliteProxy,
    scenario: &str,
    user: &str,
    password: &str,
    calls: u64,
) -> (bool, sipp_support::SippStats) {
    let target = proxy.addr("udp").to_string();
    let port = free_udp_ports(1)[0].to_string();
    let scenario = fixtures().join("sipp").join(scenario);
    let calls = calls.to_string();
    run_sipp(
        sipp,
        &[
            "-sf",
            scenario.to_str().unwrap(),
            "-s",
            user,
            "-au",
            user,
            "-ap",
            password,
            "-i",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            &calls,
            "-r",
            "100",
            "-timeout",
            "30s",
            &target,
        ],
        Duration::from_secs(40),
    )
}

const SIPP_REGISTRATIONS: u64 = 20;

#[test]
fn sipp_registers_as_an_md5_ha1_user() {
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    let users = users_file("ha1-sipp");
    let proxy = start_proxy(&users);
    // erin has an MD5 H(A1) beside her SHA-256 one: SIPp, which speaks MD5
    // only, is offered MD5 first and registers too.
    let (ok, stats) = sipp_register(
        &sipp,
        &proxy,
        "register_auth.xml",
        "alice",
        "wonderland",
        SIPP_REGISTRATIONS,
    );
    let (ok_erin, stats_erin) =
        sipp_register(&sipp, &proxy, "register_auth.xml", "erin", "3r1n", 5);
    let events = proxy.stop();
    let _ = std::fs::remove_file(users);
    assert!(ok, "SIPp reported failed registrations: {:?}", stats.0);
    stats.assert_clean(SIPP_REGISTRATIONS);
    assert!(
        ok_erin,
        "SIPp reported failed registrations: {:?}",
        stats_erin.0
    );
    stats_erin.assert_clean(5);
    // Each REGISTER was first refused 401, then the answer computed from
    // the password was verified from the stored H(A1) and bound.
    let n = usize::try_from(SIPP_REGISTRATIONS).unwrap() + 5;
    assert_eq!(register_finals(&events, 401), n);
    assert_eq!(register_finals(&events, 200), n);
    let aors = bound(&events);
    assert_eq!(aors.len(), n);
    assert!(
        aors[..20].iter().all(|a| a == "sip:alice@127.0.0.1"),
        "{aors:?}"
    );
    assert!(
        aors[20..].iter().all(|a| a == "sip:erin@127.0.0.1"),
        "{aors:?}"
    );
    assert_eq!(events.last().unwrap()["bindings"], 2);
}

#[test]
fn sipp_with_a_wrong_password_for_an_ha1_user_is_refused() {
    let Some(sipp) = peer("sipp", "sip-tester") else {
        return;
    };
    let users = users_file("ha1-sipp-bad");
    let proxy = start_proxy(&users);
    let (ok, stats) = sipp_register(
        &sipp,
        &proxy,
        "register_bad_password.xml",
        "alice",
        "not-the-password",
        5,
    );
    let events = proxy.stop();
    let _ = std::fs::remove_file(users);
    assert!(ok, "SIPp did not see the second 401: {:?}", stats.0);
    stats.assert_clean(5);
    assert_eq!(register_finals(&events, 401), 10);
    assert!(
        !events.iter().any(|e| e["event"] == "registration"),
        "no REGISTER may reach the registrar with a wrong password: {events:?}"
    );
    assert_eq!(events.last().unwrap()["bindings"], 0);
}

/// `rtclite phone --register` as `user`: registers, then removes its
/// binding on exit. Returns (exit 0, its JSON events, stderr).
fn phone_register(
    proxy: &RtcliteProxy,
    user: &str,
    password: &str,
) -> (bool, Vec<serde_json::Value>, String) {
    let registrar = format!("sip:{}", proxy.addr("udp"));
    let phone = Endpoint::start(&[
        "phone",
        "--register",
        &registrar,
        "--user",
        user,
        "--password",
        password,
        "--json",
    ]);
    phone.finish(Duration::from_secs(30))
}

#[test]
fn our_phone_registers_in_each_stored_algorithm() {
    let users = users_file("ha1-phone");
    let proxy = start_proxy(&users);
    let who = [
        ("alice", "wonderland"),
        ("carol", "c4r0l"),
        ("dave", "d4v3"),
        ("erin", "3r1n"),
        ("bob", "builder"),
        ("frank", "md5:0123456789abcdef0123456789abcdef"),
    ];
    for (user, password) in who {
        let (ok, seen, stderr) = phone_register(&proxy, user, password);
        assert!(ok, "{user}: {stderr}\n{seen:#?}");
        let registered = events(&seen, "registered");
        assert_eq!(registered.len(), 1, "{user}: {seen:#?}");
        assert_eq!(registered[0]["aor"], format!("sip:{user}@127.0.0.1"));
    }
    let events = proxy.stop();
    let _ = std::fs::remove_file(users);
    let aors = bound(&events);
    let expected: Vec<String> = who
        .iter()
        .map(|(u, _)| format!("sip:{u}@127.0.0.1"))
        .collect();
    assert_eq!(aors, expected);
    // every phone removed its binding on exit (challenged and answered
    // again): nothing is left
    assert_eq!(events.last().unwrap()["bindings"], 0);
}

/// A wrong password gets 401s and never a binding, for an H(A1) user
/// (carol) exactly as for a password user (bob), and the phone
/// fails. (Our UA answers each fresh nonce of those 401s again until its
/// REGISTER deadline: the error it reports is that deadline or the 401.)
#[test]
fn our_phone_with_a_wrong_password_for_an_ha1_user_is_refused() {
    let users = users_file("ha1-phone-bad");
    let proxy = start_proxy(&users);
    let registrar = format!("sip:{}", proxy.addr("udp"));
    let phones: Vec<(&str, Endpoint)> = ["carol", "bob"]
        .into_iter()
        .map(|user| {
            let phone = Endpoint::start(&[
                "phone",
                "--register",
                &registrar,
                "--user",
                user,
                "--password",
                "not-the-password",
                "--json",
            ]);
            (user, phone)
        })
        .collect();
    for (user, phone) in phones {
        let (ok, seen, stderr) = phone.finish(Duration::from_secs(30));
        assert!(!ok, "{user}: {seen:#?}");
        assert!(events(&seen, "registered").is_empty(), "{user}: {seen:#?}");
        assert!(
            stderr.starts_with("error: ")
                && (stderr.contains("registration failed with status 401")
                    || stderr.contains("no answer to REGISTER")),
            "{user}: {stderr}"
        );
    }
    let events = proxy.stop();
    let _ = std::fs::remove_file(users);
    let refused = register_finals(&events, 401);
    eprintln!("401s sent to the two phones: {refused}");
    assert!(refused >= 4, "{events:#?}");
    assert_eq!(register_finals(&events, 200), 0);
    assert!(
        !events.iter().any(|e| e["event"] == "registration"),
        "no REGISTER may reach the registrar with a wrong password: {events:?}"
    );
}

/// With `--challenge-calls`, the INVITE of a user stored as a SHA-256
/// H(A1) only is challenged with 407, answered (in SHA-256: nothing else
/// can verify her) and routed to an echo that registered as an MD5 H(A1)
/// user: the call is set up and media flows.
#[test]
fn our_phone_calls_through_the_proxy_as_an_ha1_user() {
    let users = users_file("ha1-call");
    let mut text = std::fs::read_to_string(&users).unwrap();
    text.push_str(&format!(
        "echo:{{HA1}}:md5:{}\n",
        ha1(Algorithm::Md5, "echo", "ech0")
    ));
    std::fs::write(&users, text).unwrap();
    let proxy = RtcliteProxy::start(&[
        "--listen",
        "udp:127.0.0.1:0",
        "--domain",
        DOMAIN,
        "--users",
        users.to_str().unwrap(),
        "--challenge-calls",
    ]);
    let addr = proxy.addr("udp");
    let registrar = format!("sip:{addr}");
    let mut echo = Endpoint::start(&[
        "echo",
        "--listen",
        "udp:127.0.0.1:0",
        "--register",
        &registrar,
        "--user",
        "echo",
        "--password",
        "ech0",
        "--json",
        "--duration",
        "20",
    ]);
    echo.wait_for("registered", Duration::from_secs(10));
    let target = format!("sip:echo@{addr}");
    let phone = Endpoint::start(&[
        "phone",
        "--register",
        &registrar,
        "--user",
        "carol",
        "--password",
        "c4r0l",
        "--call",
        &target,
        "--tone",
        "440",
        "--duration",
        "1",
        "--json",
    ]);
    let (ok, seen, stderr) = phone.finish(Duration::from_secs(30));
    drop(echo);
    let at_proxy = proxy.stop();
    let _ = std::fs::remove_file(users);
    assert!(ok, "{stderr}\n{seen:#?}");
    assert_eq!(events(&seen, "registered").len(), 1);
    assert_eq!(events(&seen, "established").len(), 1, "{seen:#?}");
    let s = events(&seen, "summary")[0];
    assert!(s["packets_received"].as_u64().unwrap() >= 25, "{s}");
    // the INVITE was challenged once, then routed to the echo's contact
    let invite_finals = |status: u64| {
        at_proxy
            .iter()
            .filter(|e| {
                e["event"] == "final_response" && e["method"] == "INVITE" && e["status"] == status
            })
            .count()
    };
    assert_eq!(invite_finals(407), 1, "{at_proxy:#?}");
    assert_eq!(invite_finals(200), 1, "{at_proxy:#?}");
    let invites: Vec<_> = events(&at_proxy, "routed")
        .into_iter()
        .filter(|e| e["method"] == "INVITE")
        .collect();
    assert_eq!(invites.len(), 1, "{at_proxy:#?}");
    assert_eq!(invites[0]["request_uri"], target);
    // to the contact the echo registered
    let targets = invites[0]["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "{targets:?}");
    let to = targets[0].as_str().unwrap();
    assert!(
        to.starts_with("sip:echo@127.0.0.1:") && to != target,
        "{to}"
    );
}

#[test]
fn a_bad_ha1_line_stops_the_proxy_naming_the_line() {
    let path = std::env::temp_dir().join(format!("rtclite-ha1-bad-{}.users", std::process::id()));
    // a SHA-256 H(A1) must be 64 hex digits
    std::fs::write(
        &path,
        format!(
            "bob:builder\n\ncarol:{{HA1}}:sha-256:{}\n",
            ha1(Algorithm::Md5, "carol", "c4r0l")
        ),
    )
    .unwrap();
    let out = Command::new(sipp_support::RTCLITE)
        .args([
            "proxy",
            "--listen",
            "udp:127.0.0.1:0",
            "--domain",
            DOMAIN,
            "--duration",
            "5",
            "--users",
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim_end(),
        format!(
            "error: {}: line 3: carol: an H(A1) for SHA-256 is 64 hex digits, not 32 (RFC 7616 §3.2)",
            path.display()
        )
    );
}
