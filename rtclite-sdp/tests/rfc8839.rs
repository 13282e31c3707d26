//! ICE in SDP (RFC 8839): the Appendix A offer and answer, typed ICE
//! attributes, ICE restart detection in later offers (§4.4.1.1.1, §4.4.2.1),
//! `a=remote-candidates` (§4.4.2, §5.2), and no ICE in an answer to an offer
//! without it (§4.3.2).

// Test helpers may panic: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rtclite_sdp::offer_answer::{
    Codec, EndpointConfig, OfferAnswer, StreamConfig, build_answer, ice_restart, negotiate,
};
use rtclite_sdp::{
    Attribute, AttributeValue, Candidate, CandidateType, IceOptions, IcePwd, IceUfrag,
    NegotiationError, OwnedSessionDescription, RemoteCandidates, SessionDescription,
};

fn load(name: &str) -> OwnedSessionDescription {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("rfc8839_{name}.sdp"));
    SessionDescription::parse(&std::fs::read(p).unwrap())
        .unwrap()
        .into_owned()
}

fn parse(text: &str) -> OwnedSessionDescription {
    SessionDescription::parse(text.as_bytes())
        .unwrap()
        .into_owned()
}

/// RFC 8839 Appendix A, with the variables filled in: the offer's ICE
/// attributes read typed, and the answer negotiates the answerer's
/// credentials and candidate.
#[test]
fn rfc8839_appendix_a_offer_and_answer() {
    let offer = load("A");
    let answer = load("A_2");
    assert_eq!(offer.first::<IceUfrag<'_>>().unwrap().unwrap().0, "8hhY");
    assert_eq!(
        offer.first::<IcePwd<'_>>().unwrap().unwrap().0,
        "asd88fgpdd777uzjYhagZg"
    );
    let options = offer.first::<IceOptions<'_>>().unwrap().unwrap();
    assert_eq!(options.tags().collect::<Vec<_>>(), ["ice2"]);
    let cands: Vec<Candidate<'_>> = offer.media[0]
        .typed::<Candidate<'_>>()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cands.len(), 2);
    assert_eq!(cands[0].kind, CandidateType::Host);
    assert_eq!(
        (cands[0].address, cands[0].port),
        ("fe80::6676:baff:fe9c:ee4a", 8998)
    );
    assert_eq!(cands[1].kind, CandidateType::ServerReflexive);
    assert_eq!(cands[1].related_port, Some(8998));
    let agreed = negotiate(&offer, &answer, true).unwrap();
    let m = &agreed.media[0];
    let ice = m.remote_ice.as_ref().unwrap();
    assert_eq!(
        (ice.ufrag.as_str(), ice.pwd.as_str()),
        ("9uB6", "YH75Fviy6338Vbrhrlp8Yh")
    );
    assert_eq!(m.remote_candidates.len(), 1);
    assert_eq!(m.remote_rtp, Some(("192.0.2.1".to_owned(), 3478)));
}

fn with_creds(ufrag_pwd_session: &str, ufrag_pwd_media: &str) -> OwnedSessionDescription {
    parse(&format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{ufrag_pwd_session}\
         m=audio 5000 RTP/AVP 0\r\n{ufrag_pwd_media}"
    ))
}

const A: &str = "a=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n";
const B: &str = "a=ice-ufrag:9uB6\r\na=ice-pwd:YH75Fviy6338Vbrhrlp8Yh\r\n";

#[test]
fn ice_restart_needs_both_credentials_changed() {
    // [RFC 8839 §4.4.1.1.1 test] "To restart ICE, an agent MUST change both
    // the "ice-pwd" and the "ice- ufrag" for the data stream in an offer."
    assert!(ice_restart(&with_creds(A, ""), &with_creds(B, ""), 0).unwrap());
    assert!(!ice_restart(&with_creds(A, ""), &with_creds(A, ""), 0).unwrap());
    let half = "a=ice-ufrag:9uB6\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n";
    assert!(matches!(
        ice_restart(&with_creds(A, ""), &with_creds(half, ""), 0),
        Err(NegotiationError::Ice {
            section: "§4.4.1.1.1",
            ..
        })
    ));
    // [RFC 8839 §4.4.1.1.1 test] "This MUST NOT be considered as ICE
    // restart."
    assert!(!ice_restart(&with_creds(A, ""), &with_creds("", A), 0).unwrap());
    // No ICE before: nothing to restart.
    assert!(!ice_restart(&with_creds("", ""), &with_creds(B, ""), 0).unwrap());
}

fn endpoint(user: &str, addr: &str, port: u16, ufrag: &str, pwd: &str) -> EndpointConfig {
    EndpointConfig::new(user, 1, addr).with_stream(
        StreamConfig::new("audio", "RTP/AVP", port)
            .with_codec(Codec::new(0, "PCMU", 8000))
            .with_ice(ufrag, pwd),
    )
}

/// A restart offered by Alice: Bob must answer with new credentials; the
/// engine refuses to answer with the old ones and says how to fix it.
#[test]
fn ice_restart_in_a_later_offer_requires_new_answer_credentials() {
    let mut alice = OfferAnswer::new(
        endpoint("alice", "192.0.2.1", 5000, "8hhY", "asd88fgpdd777uzjYhagZg"),
        1,
    );
    let mut bob = OfferAnswer::new(
        endpoint("bob", "192.0.2.2", 6000, "9uB6", "YH75Fviy6338Vbrhrlp8Yh"),
        1,
    );
    let offer = alice.create_offer().unwrap();
    assert!(bob.ice_restarts_in(&offer).unwrap().is_empty());
    let answer = bob.receive_offer(&offer).unwrap();
    alice.receive_answer(&answer).unwrap();
    assert!(!alice.negotiated().unwrap().media[0].ice_restart);

    alice
        .set_ice_credentials(0, "R3st", "restartrestartrestart1")
        .unwrap();
    let offer = alice.create_offer().unwrap();
    assert_eq!(bob.ice_restarts_in(&offer).unwrap(), [0]);
    // [RFC 8839 §4.4.2.1 test] "it MUST change the SDP "ice-pwd" and
    // "ice-ufrag" attribute values"
    assert!(matches!(
        bob.receive_offer(&offer),
        Err(NegotiationError::Ice {
            index: 0,
            section: "§4.4.2.1",
            ..
        })
    ));
    bob.set_ice_credentials(0, "N3wU", "newpasswordnewpassword")
        .unwrap();
    let answer = bob.receive_offer(&offer).unwrap();
    assert!(bob.negotiated().unwrap().media[0].ice_restart);
    let agreed = alice.receive_answer(&answer).unwrap();
    assert!(agreed.media[0].ice_restart);
    assert_eq!(agreed.media[0].remote_ice.as_ref().unwrap().ufrag, "N3wU");
}

/// The offerer restarted but the answer kept its credentials.
#[test]
fn answer_to_a_restart_with_old_credentials_is_refused() {
    let mut alice = OfferAnswer::new(
        endpoint("alice", "192.0.2.1", 5000, "8hhY", "asd88fgpdd777uzjYhagZg"),
        1,
    );
    let bob_cfg = endpoint("bob", "192.0.2.2", 6000, "9uB6", "YH75Fviy6338Vbrhrlp8Yh");
    let offer = alice.create_offer().unwrap();
    let answer = build_answer(&offer, &bob_cfg, 1).unwrap();
    alice.receive_answer(&answer).unwrap();
    alice
        .set_ice_credentials(0, "R3st", "restartrestartrestart1")
        .unwrap();
    let offer = alice.create_offer().unwrap();
    let mut stale = build_answer(&offer, &bob_cfg, 2).unwrap();
    stale.origin.session_version = "2".into();
    assert!(matches!(
        alice.receive_answer(&stale),
        Err(NegotiationError::Ice {
            section: "§4.4.2.1",
            ..
        })
    ));
}

#[test]
fn remote_candidates_typed_and_kept_out_of_answers() {
    let r = RemoteCandidates::parse(Some("1 192.0.2.3 45664 2 192.0.2.3 45665")).unwrap();
    let list: Vec<_> = r.candidates().collect::<Result<_, _>>().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].component, list[0].port), (1, 45664));
    for bad in [
        "1 192.0.2.3",
        "x 192.0.2.3 1",
        "1 192.0.2.3 70000",
        "1234 a 1",
    ] {
        assert!(RemoteCandidates::parse(Some(bad)).is_err(), "{bad}");
    }
    // An offer from a controlling agent that completed ICE.
    let offer = parse(&format!(
        "v=0\r\no=alice 1 2 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\n{A}\
         m=audio 45664 RTP/AVP 0\r\na=candidate:1 1 UDP 2130706431 192.0.2.3 45664 typ host\r\n\
         a=remote-candidates:1 192.0.2.1 3478\r\n"
    ));
    // Bob's configuration carries remote-candidates too (a copy of what he
    // would send as offerer): it must not reach the answer.
    let mut bob = endpoint("bob", "192.0.2.1", 3478, "9uB6", "YH75Fviy6338Vbrhrlp8Yh");
    bob.streams[0]
        .attributes
        .push(Attribute::new("remote-candidates", "1 192.0.2.3 45664"));
    let answer = build_answer(&offer, &bob, 1).unwrap();
    // [RFC 8839 §4.4.2 test] "the answerer MUST NOT include the
    // "remote-candidates" attribute in the answer"
    assert!(!answer.media[0].has_attribute("remote-candidates"));
    let agreed = negotiate(&offer, &answer, false).unwrap();
    assert_eq!(
        agreed.media[0].selected_by_peer,
        vec![(1, "192.0.2.1".to_owned(), 3478)]
    );
    // An answer that carries it anyway is refused.
    let mut bad = answer.clone();
    bad.media[0]
        .attributes
        .push(Attribute::new("remote-candidates", "1 192.0.2.3 45664"));
    // [RFC 8839 §5.2 test] "MUST NOT be included in any other case"
    assert!(matches!(
        negotiate(&offer, &bad, true),
        Err(NegotiationError::Ice {
            section: "§5.2",
            ..
        })
    ));
}

#[test]
fn no_ice_attributes_in_an_answer_to_an_offer_without_ice() {
    let offer = parse(
        "v=0\r\no=alice 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\n\
         m=audio 45664 RTP/AVP 0\r\n",
    );
    let mut bob = endpoint("bob", "192.0.2.1", 3478, "9uB6", "YH75Fviy6338Vbrhrlp8Yh");
    bob.streams[0].attributes.push(Attribute::new(
        "candidate",
        "1 1 UDP 2130706431 192.0.2.1 3478 typ host",
    ));
    bob.streams[0]
        .attributes
        .push(Attribute::new("ice-options", "ice2"));
    let answer = build_answer(&offer, &bob, 1).unwrap();
    // [RFC 8839 §4.3.2 test] "If the answerer still accepts the offer, the
    // answerer MUST NOT include any ICE-related SDP attributes in the
    // answer."
    for name in ["candidate", "ice-options", "ice-ufrag", "ice-pwd"] {
        assert!(!answer.media[0].has_attribute(name), "{name}");
    }
    assert_eq!(answer.media[0].port, 3478);
}

/// ice-options changed in a later offer that does not restart ICE.
#[test]
fn ice_options_change_without_restart_is_refused() {
    let mut alice_cfg = endpoint("alice", "192.0.2.1", 5000, "8hhY", "asd88fgpdd777uzjYhagZg");
    let mut alice = OfferAnswer::new(alice_cfg.clone(), 1);
    let mut bob = OfferAnswer::new(
        endpoint("bob", "192.0.2.2", 6000, "9uB6", "YH75Fviy6338Vbrhrlp8Yh"),
        1,
    );
    let offer = alice.create_offer().unwrap();
    let answer = bob.receive_offer(&offer).unwrap();
    alice.receive_answer(&answer).unwrap();
    alice_cfg.streams[0]
        .attributes
        .push(Attribute::new("ice-options", "ice2"));
    alice
        .update_stream(0, alice_cfg.streams[0].clone())
        .unwrap();
    let offer = alice.create_offer().unwrap();
    // [RFC 8839 §4.4.2.1 test] "If any of the SDP attributes have been
    // modified in a subsequent offer that is not used to request an ICE
    // restart, the answerer MUST reject the offer."
    assert!(matches!(
        bob.receive_offer(&offer),
        Err(NegotiationError::Ice {
            section: "§4.4.2.1",
            ..
        })
    ));
    // With a restart the same change is fine.
    alice.cancel_offer();
    alice
        .set_ice_credentials(0, "R3st", "restartrestartrestart1")
        .unwrap();
    let offer = alice.create_offer().unwrap();
    bob.set_ice_credentials(0, "N3wU", "newpasswordnewpassword")
        .unwrap();
    bob.receive_offer(&offer).unwrap();
}
