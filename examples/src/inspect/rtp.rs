//! `rtclite inspect rtp`: one RTP packet (RFC 3550 §5.1) as JSON.

use clap::Args;
use rtclite_rtp::rtp::{ExtensionForm, RtpPacket};
use serde_json::{Value, json};

use super::{CliError, InputArg, print_json};

/// Arguments of `rtclite inspect rtp`.
#[derive(Debug, Args)]
pub(crate) struct RtpArgs {
    #[command(flatten)]
    input: InputArg,
}

/// Reads one RTP packet and prints it.
pub(crate) fn run(args: RtpArgs) -> Result<(), CliError> {
    let bytes = args.input.read()?;
    let value = describe(&bytes)?;
    print_json(&value);
    Ok(())
}

/// The JSON description of one RTP packet, or the reason it is invalid.
pub(crate) fn describe(bytes: &[u8]) -> Result<Value, CliError> {
    let pkt = RtpPacket::parse(bytes).map_err(|e| CliError::Invalid(e.to_string()))?;
    let extension = match pkt.extension() {
        None => Value::Null,
        Some(ext) => {
            let mut elements = Vec::new();
            if ext.form() != ExtensionForm::Generic {
                for e in ext.elements() {
                    let e = e.map_err(|e| CliError::Invalid(e.to_string()))?;
                    elements.push(json!({"id": e.id, "len": e.data.len()}));
                }
            }
            json!({"profile": ext.profile, "elements": elements, "len": ext.data.len()})
        }
    };
    Ok(json!({
        "version": pkt.version(),
        "padding": pkt.has_padding(),
        "marker": pkt.marker(),
        "payload_type": pkt.payload_type(),
        "sequence": pkt.sequence_number(),
        "timestamp": pkt.timestamp(),
        "ssrc": pkt.ssrc().0,
        "csrcs": pkt.csrcs().map(|c| c.0).collect::<Vec<_>>(),
        "extension": extension,
        "payload_len": pkt.payload().len(),
        "padding_len": pkt.padding_len(),
    }))
}
