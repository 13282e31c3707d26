//! `rtclite inspect sdp`: one SDP session description (RFC 8866) as JSON.

use serde_json::{Value, json};

use rtclite_sdp::{
    Attribute, Bandwidth, Connection, Fmtp, MediaDescription, Rtpmap, SessionDescription,
};

use super::{CliError, InputArg, print_json};

/// Parses the input and prints the JSON object of `cli.md` §1.
pub(crate) fn run(input: &InputArg) -> Result<(), CliError> {
    let bytes = input.read()?;
    let sdp = SessionDescription::parse(&bytes).map_err(|e| CliError::Invalid(e.to_string()))?;
    print_json(&to_json(&sdp)?);
    Ok(())
}

fn connection(c: &Connection<'_>) -> Value {
    let mut v = json!({
        "nettype": c.nettype,
        "addrtype": c.addrtype,
        "address": c.address,
    });
    if let Some(ttl) = c.ttl {
        v["ttl"] = json!(ttl);
    }
    if let Some(n) = c.num_addresses {
        v["num_addresses"] = json!(n);
    }
    v
}

fn bandwidths(b: &[Bandwidth<'_>]) -> Value {
    b.iter()
        .map(|b| json!({ "type": b.bwtype, "value": b.bandwidth }))
        .collect()
}

fn attributes(a: &[Attribute<'_>]) -> Value {
    a.iter()
        .map(|a| json!({ "name": a.name, "value": a.value }))
        .collect()
}

fn media(
    sdp: &SessionDescription<'_>,
    index: usize,
    m: &MediaDescription<'_>,
) -> Result<Value, CliError> {
    let invalid =
        |e: rtclite_sdp::AttributeError| CliError::Invalid(format!("m-line {}: {e}", index + 1));
    let rtpmap = m
        .typed::<Rtpmap<'_>>()
        .map(|r| {
            r.map(|r| {
                json!({
                    "pt": r.payload_type,
                    "encoding": r.encoding_name,
                    "clock_rate": r.clock_rate,
                    "channels": r.channels(),
                })
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let fmtp = m
        .typed::<Fmtp<'_>>()
        .map(|f| {
            f.map(|f| {
                // The format is a payload type for RTP; other protocols keep
                // the format token as a string.
                let pt = f
                    .format
                    .parse::<u8>()
                    .map_or_else(|_| json!(f.format), |p| json!(p));
                json!({ "pt": pt, "params": f.params })
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    Ok(json!({
        "media": m.media,
        "port": m.port,
        "num_ports": m.num_ports,
        "proto": m.proto,
        "formats": m.formats,
        "connection": m.connections.first().map(connection),
        "connections": m.connections.iter().map(connection).collect::<Vec<_>>(),
        "bandwidths": bandwidths(&m.bandwidths),
        "direction": sdp.effective_direction(index).name(),
        "rtpmap": rtpmap,
        "fmtp": fmtp,
        "attributes": attributes(&m.attributes),
    }))
}

fn to_json(sdp: &SessionDescription<'_>) -> Result<Value, CliError> {
    let o = &sdp.origin;
    let media = sdp
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| media(sdp, i, m))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "version": sdp.version,
        "origin": {
            "username": o.username,
            "sess_id": o.session_id,
            "sess_version": o.session_version,
            "nettype": o.nettype,
            "addrtype": o.addrtype,
            "address": o.unicast_address,
        },
        "session_name": sdp.session_name,
        "information": sdp.information,
        "uri": sdp.uri,
        "emails": sdp.emails,
        "phones": sdp.phones,
        "connection": sdp.connection.as_ref().map(connection),
        "bandwidths": bandwidths(&sdp.bandwidths),
        "timing": sdp.times.iter().map(|t| json!({ "start": t.start, "stop": t.stop })).collect::<Vec<_>>(),
        "attributes": attributes(&sdp.attributes),
        "media": media,
    }))
}
