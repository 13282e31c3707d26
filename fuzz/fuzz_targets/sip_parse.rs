//! Fuzz target: the SIP datagram parser, receipt validation and every typed
//! accessor. Properties: nothing panics; a message that parses writes back
//! to bytes that parse, and writing those again gives the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_sip::{HeaderName, Message, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::parse(data) else { return };
    let _ = validate(&m);
    let _ = m.request_uri_parsed();
    let _ = m.via().count();
    let _ = (m.from(), m.to(), m.call_id(), m.cseq(), m.max_forwards(), m.content_type());
    let _ = m.contacts().count() + m.routes().count() + m.warnings().count();
    for name in HeaderName::ALL {
        let _ = m.tokens(*name).count() + m.value_params(*name).count();
        for a in m.auth(*name).flatten() {
            let _ = rtclite_sip::digest::Challenge::parse(&a);
            let _ = rtclite_sip::digest::Credentials::parse(&a);
        }
    }
    if let Some(Ok(info)) = m.authentication_info() {
        let _ = rtclite_sip::digest::AuthenticationInfo::parse(&info);
    }
    let written = m.to_vec();
    let again = Message::parse(&written).expect("the writer's output parses");
    assert_eq!(again.to_vec(), written, "writing is idempotent");
    assert_eq!(again.body(), m.body());
});
