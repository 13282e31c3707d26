//! rtclite-stun codec: any bytes parse or fail without panicking; every
//! attribute of a parsed message decodes or fails; a message rebuilt from
//! its decoded attributes parses to the same attributes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_stun::attribute::Attribute;
use rtclite_stun::message::{Message, MessageWriter};
use rtclite_stun::turn::ChannelData;

fuzz_target!(|data: &[u8]| {
    let _ = ChannelData::parse(data);
    let Ok(msg) = Message::parse(data) else { return };
    let attrs: Vec<Attribute<'_>> = msg.attributes().filter_map(Result::ok).collect();
    let _ = msg.unknown_attributes();
    if !msg.has_magic_cookie() {
        return;
    }
    let mut buf = Vec::new();
    let mut w = MessageWriter::new(&mut buf, msg.message_type(), msg.transaction_id());
    for a in &attrs {
        if matches!(a, Attribute::Fingerprint(_)) {
            continue;
        }
        if w.attribute(a).is_err() {
            return;
        }
    }
    w.finish();
    let again = Message::parse(&buf).expect("written message parses");
    let back: Vec<Attribute<'_>> = again.attributes().map(|a| a.expect("written attribute decodes")).collect();
    let expected: Vec<&Attribute<'_>> = attrs.iter().filter(|a| !matches!(a, Attribute::Fingerprint(_))).collect();
    assert_eq!(back.iter().collect::<Vec<_>>(), expected);
});
