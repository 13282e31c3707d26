//! Transaction timers against RFC 3261 §17 and Table 4 (Appendix A), and the
//! Accepted states of RFC 6026: each test drives one state machine on
//! virtual time and asserts when every message goes out and when the
//! transaction ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "sim/msg.rs"]
mod msg;

use std::time::{Duration, Instant};

use rtclite_sip::OwnedMessage;
use rtclite_sip::timer::{Timer, TimerConfig};
use rtclite_sip::transaction::{
    ClientEvent, ClientState, ClientTransaction, ServerEvent, ServerState, ServerTransaction,
    TransactionError,
};
use rtclite_sip::transport::TransportKind::{Tcp, Udp};

use msg::{dest, method, request, response, status};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What happened, at which offset from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Sent(u64, String),
    Event(u64, String),
}

fn describe_client(e: &ClientEvent) -> String {
    match e {
        ClientEvent::Response(r) => format!("response {}", status(r)),
        ClientEvent::Timeout(t) => format!("timeout {t}"),
        ClientEvent::TransportError => "transport error".into(),
        ClientEvent::Terminated => "terminated".into(),
        other => format!("{other:?}"),
    }
}

fn label(m: &OwnedMessage) -> String {
    match status(m) {
        0 => method(m),
        s => s.to_string(),
    }
}

fn drain_client(tx: &mut ClientTransaction, t0: Instant, now: Instant, log: &mut Vec<Seen>) {
    let at = (now - t0).as_millis() as u64;
    while let Some(t) = tx.poll_transmit() {
        log.push(Seen::Sent(at, label(&t.message)));
    }
    while let Some(e) = tx.poll_event() {
        log.push(Seen::Event(at, describe_client(&e)));
    }
}

/// Runs the client transaction's timers until it ends or `limit` passes.
fn run_client(tx: &mut ClientTransaction, t0: Instant, limit: Duration, log: &mut Vec<Seen>) {
    drain_client(tx, t0, t0, log);
    for _ in 0..1000 {
        let Some(next) = tx.poll_timeout() else { break };
        if next > t0 + limit {
            break;
        }
        tx.handle_timeout(next);
        drain_client(tx, t0, next, log);
    }
}

fn sent_times(log: &[Seen], what: &str) -> Vec<u64> {
    log.iter()
        .filter_map(|s| match s {
            Seen::Sent(t, w) if w == what => Some(*t),
            _ => None,
        })
        .collect()
}

fn events(log: &[Seen]) -> Vec<(u64, String)> {
    log.iter()
        .filter_map(|s| match s {
            Seen::Event(t, w) => Some((*t, w.clone())),
            _ => None,
        })
        .collect()
}

// [RFC 3261 §17.1.1.2 test] "This process MUST continue so that the request is
// retransmitted with intervals that double after each transmission."
// [RFC 3261 §17.1.1.2 test] "The value of 64*T1 is equal to the amount of time
// required to send seven requests in the case of an unreliable transport."
#[test]
fn invite_udp_timer_a_doubles_and_timer_b_ends_at_64_t1() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKa1", "UDP", 1);
    let mut tx = ClientTransaction::new(t0, req, dest(Udp), TimerConfig::default()).unwrap();
    let mut log = Vec::new();
    run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(
        sent_times(&log, "INVITE"),
        [0, 500, 1500, 3500, 7500, 15500, 31500]
    );
    assert_eq!(
        events(&log),
        [
            (32000, "timeout Timer B".into()),
            (32000, "terminated".into())
        ]
    );
    assert_eq!(tx.state(), ClientState::Terminated);
}

// [RFC 3261 §17.1.1.2 test] "If a reliable transport is being used, the client
// transaction SHOULD NOT start timer A"
#[test]
fn invite_tcp_sends_once_and_times_out_with_timer_b() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKa2", "TCP", 1);
    let mut tx = ClientTransaction::new(t0, req, dest(Tcp), TimerConfig::default()).unwrap();
    let mut log = Vec::new();
    run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(sent_times(&log, "INVITE"), [0]);
    assert_eq!(
        events(&log).first(),
        Some(&(32000, "timeout Timer B".into()))
    );
}

// [RFC 3261 §17.1.2.2 test] "For the default values of T1 and T2, this results in
// intervals of 500 ms, 1 s, 2 s, 4 s, 4 s, 4 s, etc."
#[test]
fn non_invite_udp_timer_e_caps_at_t2_and_timer_f_ends_at_64_t1() {
    let t0 = Instant::now();
    let req = request("OPTIONS", "z9hG4bKe1", "UDP", 1);
    let mut tx = ClientTransaction::new(t0, req, dest(Udp), TimerConfig::default()).unwrap();
    let mut log = Vec::new();
    run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(
        sent_times(&log, "OPTIONS"),
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        events(&log),
        [
            (32000, "timeout Timer F".into()),
            (32000, "terminated".into())
        ]
    );
}

// [RFC 3261 §17.1.2.2 test] "If Timer E fires while in the "Proceeding" state, the
// request MUST be passed to the transport layer for retransmission, and Timer E
// MUST be reset with a value of T2 seconds."
#[test]
fn non_invite_proceeding_retransmits_every_t2() {
    let t0 = Instant::now();
    let req = request("REGISTER", "z9hG4bKe2", "UDP", 1);
    let mut tx =
        ClientTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default()).unwrap();
    let mut log = Vec::new();
    drain_client(&mut tx, t0, t0, &mut log);
    // A 100 Trying at 100 ms moves it to Proceeding; Timer E (set at 0 for
    // 500 ms) still fires at 500 ms, then every T2.
    tx.handle_response(t0 + ms(100), response(&req, 100, None));
    drain_client(&mut tx, t0, t0 + ms(100), &mut log);
    assert_eq!(tx.state(), ClientState::Proceeding);
    run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(
        sent_times(&log, "REGISTER"),
        [0, 500, 4500, 8500, 12500, 16500, 20500, 24500, 28500]
    );
    let ev = events(&log);
    assert_eq!(ev.first(), Some(&(100, "response 100".into())));
    // [RFC 3261 §17.1.2.2 test] "If timer F fires while in the "Proceeding"
    // state, the TU MUST be informed of a timeout"
    assert!(ev.contains(&(32000, "timeout Timer F".into())));
}

// [RFC 3261 §17.1.2.2 test] "Once the client transaction enters the "Completed"
// state, it MUST set Timer K to fire in T4 seconds for unreliable transports, and
// zero seconds for reliable transports."
#[test]
fn non_invite_timer_k_is_t4_on_udp_and_zero_on_tcp() {
    let t0 = Instant::now();
    for (transport, token, k) in [(Udp, "UDP", Some(5000)), (Tcp, "TCP", None)] {
        let req = request("OPTIONS", "z9hG4bKk", token, 1);
        let mut tx =
            ClientTransaction::new(t0, req.clone(), dest(transport), TimerConfig::default())
                .unwrap();
        let mut log = Vec::new();
        drain_client(&mut tx, t0, t0, &mut log);
        tx.handle_response(t0, response(&req, 200, Some("xyz")));
        drain_client(&mut tx, t0, t0, &mut log);
        match k {
            Some(k) => {
                assert_eq!(tx.state(), ClientState::Completed);
                assert_eq!(tx.poll_timeout(), Some(t0 + ms(k)));
                // A retransmitted 200 is absorbed.
                tx.handle_response(t0 + ms(10), response(&req, 200, Some("xyz")));
                assert_eq!(tx.poll_event(), None);
                run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
                assert_eq!(events(&log).last(), Some(&(k, "terminated".into())));
            }
            None => assert_eq!(tx.state(), ClientState::Terminated),
        }
        assert_eq!(events(&log).first(), Some(&(0, "response 200".into())));
    }
}

// [RFC 3261 §17.1.1.2 test] "the client transaction MUST generate an ACK request,
// even if the transport is reliable"
// [RFC 6026 §8.4 test] "The client transaction MUST start Timer D when it enters
// the "Completed" state for any reason, with a value of at least 32 seconds for
// unreliable transports, and a value of zero seconds for reliable transports."
#[test]
fn invite_non_2xx_is_acked_and_timer_d_is_32_s_on_udp_zero_on_tcp() {
    let t0 = Instant::now();
    for (transport, token) in [(Udp, "UDP"), (Tcp, "TCP")] {
        let req = request("INVITE", "z9hG4bKd", token, 1);
        let mut tx =
            ClientTransaction::new(t0, req.clone(), dest(transport), TimerConfig::default())
                .unwrap();
        let mut log = Vec::new();
        drain_client(&mut tx, t0, t0, &mut log);
        tx.handle_response(t0 + ms(50), response(&req, 486, Some("busy1")));
        drain_client(&mut tx, t0, t0 + ms(50), &mut log);
        assert_eq!(sent_times(&log, "ACK"), [50]);
        if transport == Udp {
            assert_eq!(tx.state(), ClientState::Completed);
            assert_eq!(
                tx.poll_timeout(),
                Some(t0 + ms(50) + Duration::from_secs(32))
            );
            // [RFC 3261 §17.1.1.2 test] "Any retransmissions of the final response
            // that are received while in the "Completed" state MUST cause the ACK to
            // be re-passed to the transport layer for retransmission"
            tx.handle_response(t0 + ms(600), response(&req, 486, Some("busy1")));
            drain_client(&mut tx, t0, t0 + ms(600), &mut log);
            assert_eq!(sent_times(&log, "ACK"), [50, 600]);
            run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
            assert_eq!(
                events(&log),
                [(50, "response 486".into()), (32050, "terminated".into())]
            );
        } else {
            assert_eq!(tx.state(), ClientState::Terminated);
        }
    }
}

// [RFC 6026 §7.2 test] "If a 2xx response is received while the client INVITE
// state machine is in the "Calling" or "Proceeding" states, it MUST transition to
// the "Accepted" state, pass the 2xx response to the TU, and set Timer M to 64*T1."
#[test]
fn invite_2xx_enters_accepted_passes_every_2xx_and_ends_with_timer_m() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKm", "UDP", 1);
    let mut tx =
        ClientTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default()).unwrap();
    let mut log = Vec::new();
    drain_client(&mut tx, t0, t0, &mut log);
    tx.handle_response(t0 + ms(100), response(&req, 180, Some("b1")));
    drain_client(&mut tx, t0, t0 + ms(100), &mut log);
    tx.handle_response(t0 + ms(200), response(&req, 200, Some("b1")));
    drain_client(&mut tx, t0, t0 + ms(200), &mut log);
    assert_eq!(tx.state(), ClientState::Accepted);
    // A 2xx from another fork branch is passed up too.
    tx.handle_response(t0 + ms(300), response(&req, 200, Some("b2")));
    drain_client(&mut tx, t0, t0 + ms(300), &mut log);
    run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(
        events(&log),
        [
            (100, "response 180".into()),
            (200, "response 200".into()),
            (300, "response 200".into()),
            (32200, "terminated".into())
        ]
    );
    // [RFC 6026 §7.2 test] "The client transaction MUST NOT generate an ACK to any
    // 2xx response on its own."
    assert!(sent_times(&log, "ACK").is_empty());
    // Provisional responses stopped Timer A: only the first INVITE went out.
    assert_eq!(sent_times(&log, "INVITE"), [0]);
}

#[test]
fn custom_t1_scales_every_dependent_timer() {
    let t0 = Instant::now();
    let timers = TimerConfig {
        t1: ms(100),
        t2: ms(400),
        t4: ms(1000),
    };
    let req = request("OPTIONS", "z9hG4bKt1", "UDP", 1);
    let mut tx = ClientTransaction::new(t0, req, dest(Udp), timers).unwrap();
    let mut log = Vec::new();
    run_client(&mut tx, t0, Duration::from_secs(100), &mut log);
    let sent = sent_times(&log, "OPTIONS");
    assert_eq!(sent.get(..5), Some(&[0, 100, 300, 700, 1100][..]));
    assert_eq!(
        events(&log).first(),
        Some(&(6400, "timeout Timer F".into()))
    );
}

fn drain_server(tx: &mut ServerTransaction, t0: Instant, now: Instant, log: &mut Vec<Seen>) {
    let at = (now - t0).as_millis() as u64;
    while let Some(t) = tx.poll_transmit() {
        log.push(Seen::Sent(at, label(&t.message)));
    }
    while let Some(e) = tx.poll_event() {
        let d = match e {
            ServerEvent::Ack(_) => "ack".to_owned(),
            ServerEvent::Timeout(t) => format!("timeout {t}"),
            ServerEvent::TransportError => "transport error".into(),
            ServerEvent::Terminated => "terminated".into(),
            other => format!("{other:?}"),
        };
        log.push(Seen::Event(at, d));
    }
}

fn run_server(tx: &mut ServerTransaction, t0: Instant, limit: Duration, log: &mut Vec<Seen>) {
    for _ in 0..1000 {
        let Some(next) = tx.poll_timeout() else { break };
        if next > t0 + limit {
            break;
        }
        tx.handle_timeout(next);
        drain_server(tx, t0, next, log);
    }
}

// [RFC 3261 §17.2.1 test] "The server transaction MUST generate a 100 (Trying)
// response unless it knows that the TU will generate a provisional or final
// response within 200 ms"
#[test]
fn invite_server_sends_100_when_the_tu_is_silent_for_200_ms() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs1", "UDP", 1);
    let mut tx =
        ServerTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default()).unwrap();
    let mut log = Vec::new();
    assert_eq!(tx.poll_timeout(), Some(t0 + ms(200)));
    tx.handle_timeout(t0 + ms(200));
    drain_server(&mut tx, t0, t0 + ms(200), &mut log);
    assert_eq!(sent_times(&log, "100"), [200]);
    let trying = tx.last_response().unwrap().message();
    // [RFC 3261 §17.2.1 test] "the insertion of tags in the To header field of the
    // response (when none was present in the request) is downgraded from MAY to
    // SHOULD NOT"
    assert_eq!(trying.to().unwrap().tag(), None);
    // A TU that answers within 200 ms suppresses it.
    let mut quick =
        ServerTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default()).unwrap();
    quick
        .send_response(t0 + ms(150), response(&req, 180, Some("r")))
        .unwrap();
    let mut log = Vec::new();
    drain_server(&mut quick, t0, t0 + ms(150), &mut log);
    run_server(&mut quick, t0, Duration::from_secs(1), &mut log);
    assert!(sent_times(&log, "100").is_empty());
    assert_eq!(sent_times(&log, "180"), [150]);
}

// [RFC 3261 §17.2.1 test] "If timer G fires, the response is passed to the
// transport layer once more for retransmission, and timer G is set to fire in
// MIN(2*T1, T2) seconds."
// [RFC 3261 §17.2.1 test] "When the "Completed" state is entered, timer H MUST be
// set to fire in 64*T1 seconds for all transports."
#[test]
fn invite_server_timer_g_backs_off_to_t2_and_timer_h_reports_failure() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs2", "UDP", 1);
    let mut tx = ServerTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default())
        .unwrap()
        .with_trying_delay(t0, None);
    let mut log = Vec::new();
    tx.send_response(t0, response(&req, 486, Some("x")))
        .unwrap();
    drain_server(&mut tx, t0, t0, &mut log);
    assert_eq!(tx.state(), ServerState::Completed);
    run_server(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(
        sent_times(&log, "486"),
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        events(&log),
        [
            (32000, "timeout Timer H".into()),
            (32000, "terminated".into())
        ]
    );
}

// [RFC 3261 §17.2.1 test] "If an ACK is received while the server transaction is
// in the "Completed" state, the server transaction MUST transition to the
// "Confirmed" state."
#[test]
fn invite_server_ack_confirms_and_timer_i_is_t4_on_udp_zero_on_tcp() {
    let t0 = Instant::now();
    for (transport, token) in [(Udp, "UDP"), (Tcp, "TCP")] {
        let req = request("INVITE", "z9hG4bKs3", token, 1);
        let mut tx =
            ServerTransaction::new(t0, req.clone(), dest(transport), TimerConfig::default())
                .unwrap();
        tx.send_response(t0, response(&req, 603, Some("y")))
            .unwrap();
        let mut log = Vec::new();
        drain_server(&mut tx, t0, t0, &mut log);
        // [RFC 3261 §17.2.1 test] "For unreliable transports, timer G is set to
        // fire in T1 seconds, and is not set to fire for reliable transports."
        let first = if transport == Udp {
            ms(500)
        } else {
            Duration::from_secs(32)
        };
        assert_eq!(tx.poll_timeout(), Some(t0 + first));
        let ack = request("ACK", "z9hG4bKs3", token, 1);
        tx.handle_request(t0 + ms(100), ack.clone());
        drain_server(&mut tx, t0, t0 + ms(100), &mut log);
        if transport == Udp {
            assert_eq!(tx.state(), ServerState::Confirmed);
            assert_eq!(tx.poll_timeout(), Some(t0 + ms(5100)));
            tx.handle_request(t0 + ms(200), ack);
            run_server(&mut tx, t0, Duration::from_secs(100), &mut log);
            assert_eq!(events(&log), [(5100, "terminated".into())]);
        } else {
            assert_eq!(events(&log), [(100, "terminated".into())]);
        }
        assert_eq!(sent_times(&log, "603"), [0]);
    }
}

// [RFC 6026 §7.1 test] "Any ACKs received from the network while in the
// "Accepted" state MUST be passed directly to the TU and not absorbed."
// [RFC 6026 §7.1 test] "The server transaction MUST NOT generate 2xx
// retransmissions on its own."
#[test]
fn invite_server_2xx_enters_accepted_until_timer_l() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs4", "UDP", 1);
    let mut tx =
        ServerTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default()).unwrap();
    let ok = response(&req, 200, Some("z"));
    tx.send_response(t0 + ms(10), ok.clone()).unwrap();
    let mut log = Vec::new();
    drain_server(&mut tx, t0, t0 + ms(10), &mut log);
    assert_eq!(tx.state(), ServerState::Accepted);
    // INVITE retransmission absorbed, TU retransmission of the 2xx passed on.
    tx.handle_request(t0 + ms(500), req.clone());
    tx.send_response(t0 + ms(510), ok).unwrap();
    drain_server(&mut tx, t0, t0 + ms(510), &mut log);
    tx.handle_request(t0 + ms(600), request("ACK", "z9hG4bKs4", "UDP", 1));
    drain_server(&mut tx, t0, t0 + ms(600), &mut log);
    // A non-2xx final response is refused in Accepted.
    assert_eq!(
        tx.send_response(t0 + ms(700), response(&req, 500, Some("z"))),
        Err(TransactionError::WrongState("Accepted"))
    );
    run_server(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(sent_times(&log, "200"), [10, 510]);
    assert_eq!(
        events(&log),
        [(600, "ack".into()), (32010, "terminated".into())]
    );
}

// [RFC 3261 §17.2.2 test] "When the server transaction enters the "Completed"
// state, it MUST set Timer J to fire in 64*T1 seconds for unreliable transports,
// and zero seconds for reliable transports."
// [RFC 3261 §17.2.2 test] "Any other final responses passed by the TU to the
// server transaction MUST be discarded while in the "Completed" state."
#[test]
fn non_invite_server_timer_j_and_retransmission_rules() {
    let t0 = Instant::now();
    let req = request("BYE", "z9hG4bKs5", "UDP", 2);
    let mut tx =
        ServerTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default()).unwrap();
    let mut log = Vec::new();
    // Trying: retransmissions discarded, nothing sent.
    tx.handle_request(t0 + ms(500), req.clone());
    drain_server(&mut tx, t0, t0 + ms(500), &mut log);
    assert!(log.is_empty());
    tx.send_response(t0 + ms(600), response(&req, 200, None))
        .unwrap();
    drain_server(&mut tx, t0, t0 + ms(600), &mut log);
    tx.handle_request(t0 + ms(1500), req.clone());
    drain_server(&mut tx, t0, t0 + ms(1500), &mut log);
    assert_eq!(
        tx.send_response(t0 + ms(1600), response(&req, 500, None)),
        Err(TransactionError::WrongState("Completed"))
    );
    run_server(&mut tx, t0, Duration::from_secs(100), &mut log);
    assert_eq!(sent_times(&log, "200"), [600, 1500]);
    assert_eq!(events(&log), [(32600, "terminated".into())]);

    let tcp = request("BYE", "z9hG4bKs6", "TCP", 2);
    let mut tx =
        ServerTransaction::new(t0, tcp.clone(), dest(Tcp), TimerConfig::default()).unwrap();
    tx.send_response(t0, response(&tcp, 200, None)).unwrap();
    assert_eq!(tx.state(), ServerState::Terminated);
}

// [RFC 6026 §7.1 test] "A server transaction MUST NOT discard transaction state
// based only on encountering a non-recoverable transport error when sending a
// response."
#[test]
fn transport_errors() {
    let t0 = Instant::now();
    let req = request("INVITE", "z9hG4bKs7", "UDP", 1);
    let mut st =
        ServerTransaction::new(t0, req.clone(), dest(Udp), TimerConfig::default()).unwrap();
    st.send_response(t0, response(&req, 486, Some("q")))
        .unwrap();
    st.handle_transport_error(t0);
    assert_eq!(st.state(), ServerState::Completed);
    // [RFC 3261 §17.1.4 test] "The client transaction SHOULD inform the TU that a
    // transport failure has occurred, and the client transaction SHOULD transition
    // directly to the "Terminated" state."
    let mut ct = ClientTransaction::new(t0, req, dest(Udp), TimerConfig::default()).unwrap();
    ct.handle_transport_error(t0);
    let _ = ct.poll_transmit();
    assert_eq!(ct.poll_event(), Some(ClientEvent::TransportError));
    assert_eq!(ct.poll_event(), Some(ClientEvent::Terminated));
    assert_eq!(ct.poll_timeout(), None);
}

#[test]
fn ack_never_creates_a_transaction() {
    let t0 = Instant::now();
    let ack = request("ACK", "z9hG4bKn", "UDP", 1);
    assert_eq!(
        ClientTransaction::new(t0, ack.clone(), dest(Udp), TimerConfig::default()).err(),
        Some(TransactionError::AckTransaction)
    );
    assert_eq!(
        ServerTransaction::new(t0, ack, dest(Udp), TimerConfig::default()).err(),
        Some(TransactionError::AckTransaction)
    );
    assert_eq!(Timer::B.to_string(), "Timer B");
}
