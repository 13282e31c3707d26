//! Arbitrary bytes as the server side of an XMPP client stream: the XML
//! stream parser (split at a position taken from the input) and the client
//! state machine must never panic, and the parser must give the same events
//! whatever the split. The typed path (`next_typed`, with its one-pass
//! stanza parse) must give exactly what `next_event` then
//! `TypedEvent::from` (`Stanza::try_from` on the tree) gives, on the same split.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use rtclite_xmpp::client::{Client, ClientConfig, Input, TlsPolicy};
use rtclite_xmpp::jid::Jid;
use rtclite_xmpp::xml::{StreamParser, TypedEvent};

fn events(chunks: &[&[u8]]) -> Vec<String> {
    let mut p = StreamParser::new();
    let mut out = Vec::new();
    for c in chunks {
        p.feed(c);
        loop {
            match p.next_event() {
                Ok(Some(e)) => out.push(format!("{e:?}")),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error {:?}", e.kind));
                    return out;
                }
            }
        }
    }
    out
}

/// The typed events of `chunks`, by the parser's typed path (`fast`) or by
/// the generic tree then `TypedEvent::from`.
fn typed(chunks: &[&[u8]], fast: bool) -> Vec<String> {
    let mut p = StreamParser::new();
    let mut out = Vec::new();
    for c in chunks {
        p.feed(c);
        loop {
            let ev = if fast {
                p.next_typed()
            } else {
                p.next_event().map(|e| e.map(TypedEvent::from))
            };
            match ev {
                Ok(Some(e)) => out.push(format!("{e:?}")),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error {e:?}"));
                    return out;
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let at = usize::from(split).min(rest.len());
    let whole = events(&[rest]);
    let split_ev = events(&[&rest[..at], &rest[at..]]);
    // An error may be found at a later token when the split hides it; compare up to it.
    let n = whole.len().min(split_ev.len());
    assert_eq!(whole[..n.saturating_sub(1)], split_ev[..n.saturating_sub(1)]);
    let parts: [&[u8]; 2] = [&rest[..at], &rest[at..]];
    assert_eq!(typed(&parts, true), typed(&parts, false), "typed path differs");

    let Ok(jid) = Jid::new("fuzz@example.com/r") else { return };
    let mut cfg = ClientConfig::new(jid, "pw", [3; 32]);
    cfg.tls = TlsPolicy::IfOffered;
    cfg.allow_plain_in_clear = true;
    let mut c = Client::new(cfg);
    let now = Instant::now();
    c.connect(now);
    for chunk in rest.chunks(at.max(1)) {
        if c.handle_input(now, Input::Data(chunk)).is_err() {
            break;
        }
        while c.poll_transmit().is_some() {}
        while let Some(ev) = c.poll_event() {
            if ev == rtclite_xmpp::client::Event::StartTls {
                let _ = c.handle_input(now, Input::TlsEstablished);
            }
        }
    }
    c.handle_timeout(now + std::time::Duration::from_secs(3600));
});
