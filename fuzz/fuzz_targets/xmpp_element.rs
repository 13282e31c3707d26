//! Arbitrary bytes as one XML element: what parses writes back and parses to
//! the same tree, and a `<jingle/>` that the typed model reads writes back
//! and reads to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_xmpp::jingle::Jingle;
use rtclite_xmpp::stanza::Stanza;
use rtclite_xmpp::xml::Element;

fuzz_target!(|data: &[u8]| {
    let Ok(el) = Element::parse(data) else { return };
    let written = el.to_string();
    let again = Element::parse(written.as_bytes()).expect("written XML parses");
    assert_eq!(again, el);
    if let Ok(j) = Jingle::from_element(&el) {
        assert_eq!(Jingle::from_element(&j.to_element()).as_ref(), Ok(&j));
    }
    let _ = Stanza::try_from(el);
});
