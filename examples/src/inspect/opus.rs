//! `rtclite inspect opus`: one Opus packet (RFC 6716 §3) as JSON.

use rtclite_opus_ffi::Packet;
use serde_json::{Value, json};

use super::{CliError, InputArg, print_json};

/// Reads one Opus packet and prints it.
pub(crate) fn run(input: &InputArg) -> Result<(), CliError> {
    let bytes = input.read()?;
    let value = describe(&bytes)?;
    print_json(&value);
    Ok(())
}

/// The JSON description of one Opus packet, or the rule it breaks.
pub(crate) fn describe(bytes: &[u8]) -> Result<Value, CliError> {
    // The error text names the rule ([R1]..[R7]), the offset and the section.
    let packet = Packet::parse(bytes).map_err(|e| CliError::Invalid(format!("opus: {e}")))?;
    let toc = packet.toc();
    let frame_lens: Vec<usize> = packet.frames().map(<[u8]>::len).collect();
    Ok(json!({
        "config": toc.config(),
        "mode": toc.mode().as_str(),
        "bandwidth": toc.bandwidth().as_str(),
        "frame_ms": toc.frame_ms(),
        "stereo": toc.stereo(),
        "code": toc.code().as_u8(),
        "frame_count": packet.frame_count(),
        "frame_lens": frame_lens,
        "padding_len": packet.padding().len(),
        "duration_ms": packet.duration_ms(),
        "vbr": packet.is_vbr(),
        "len": packet.len(),
    }))
}
