//! `rtclite inspect sip`: one SIP request or response (RFC 3261) as JSON,
//! after the receipt validation a UAS or proxy applies (cli.md §1).

use rtclite_sip::headers::Via;
use rtclite_sip::{HeaderName, Message, validate};
use serde_json::{Value, json};

use super::{CliError, InputArg, print_json};

/// Reads one message and prints it.
pub(crate) fn run(input: &InputArg) -> Result<(), CliError> {
    let bytes = input.read()?;
    let value = describe(&bytes)?;
    print_json(&value);
    Ok(())
}

fn invalid(e: rtclite_sip::Error) -> CliError {
    CliError::Invalid(e.to_string())
}

fn via_json(v: &Via<'_>) -> Value {
    let rport = match v.rport() {
        None => Value::Null,
        Some(None) => Value::Bool(true),
        Some(Some(p)) => json!(p),
    };
    json!({
        "protocol": v.protocol(),
        "host": v.host.to_string(),
        "port": v.port,
        "branch": v.branch(),
        "received": v.received(),
        "rport": rport,
    })
}

/// The JSON description of one datagram, or why it is invalid.
pub(crate) fn describe(bytes: &[u8]) -> Result<Value, CliError> {
    let msg = Message::parse(bytes).map_err(invalid)?;
    validate(&msg).map_err(invalid)?;
    let cseq = msg.cseq().map_err(invalid)?;
    let from = msg.from().map_err(invalid)?;
    let to = msg.to().map_err(invalid)?;
    let addr = |a: &rtclite_sip::headers::NameAddr<'_>| {
        json!({
            "uri": a.uri_str(),
            "display_name": a.display_name(),
            "tag": a.tag(),
        })
    };
    let mut vias = Vec::new();
    for v in msg.via() {
        vias.push(via_json(&v.map_err(invalid)?));
    }
    let mut headers = Vec::new();
    for h in msg.headers() {
        if h.kind().is_list() {
            for (_, v) in msg_values(&h) {
                headers.push(json!([h.canonical_name(), v]));
            }
        } else {
            headers.push(json!([h.canonical_name(), h.value()]));
        }
    }
    let content_type = match msg.content_type() {
        Some(ct) => Some(ct.map_err(invalid)?.to_string()),
        None => None,
    };
    let max_forwards = msg.max_forwards().transpose().map_err(invalid)?;
    let content_length = msg.content_length().transpose().map_err(invalid)?;
    Ok(json!({
        "kind": if msg.is_request() { "request" } else { "response" },
        "method": msg.method().map(|m| m.as_str()),
        "request_uri": msg.request_uri(),
        "status": msg.status(),
        "reason": msg.reason(),
        "call_id": msg.call_id().map_err(invalid)?,
        "cseq": { "seq": cseq.seq, "method": cseq.method },
        "from": addr(&from),
        "to": addr(&to),
        "via": vias,
        "max_forwards": max_forwards,
        "content_type": content_type,
        "content_length": content_length,
        "body_len": bytes.len().saturating_sub(msg.body_offset()),
        "headers": headers,
    }))
}

/// The comma-separated values of one list-valued header line, unfolded.
fn msg_values(h: &rtclite_sip::Header<'_>) -> Vec<(HeaderName, String)> {
    let value = h.value();
    split_list(&value)
        .into_iter()
        .map(|v| (h.kind(), v))
        .collect()
}

/// Splits at commas outside quotes and angle brackets.
fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c == '<' {
            angle = true;
        } else if !quoted && c == '>' {
            angle = false;
        } else if !quoted && !angle && c == ',' {
            let t = cur.trim().to_owned();
            if !t.is_empty() {
                out.push(t);
            }
            cur.clear();
            continue;
        }
        cur.push(c);
    }
    let t = cur.trim().to_owned();
    if !t.is_empty() {
        out.push(t);
    }
    out
}
