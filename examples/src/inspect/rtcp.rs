//! `rtclite inspect rtcp`: one compound RTCP packet (RFC 3550 §6) as a JSON
//! array, one object per packet.

use clap::Args;
use rtclite_rtp::rtcp::{
    Compound, PayloadFeedbackKind, ReportBlock, RtcpPacket, SdesItem, TransportFeedbackKind,
    XrBlock,
};
use serde_json::{Value, json};

use super::{CliError, InputArg, print_json};

/// Arguments of `rtclite inspect rtcp`.
#[derive(Debug, Args)]
pub(crate) struct RtcpArgs {
    /// Accept reduced-size RTCP (RFC 5506): the first packet need not be
    /// SR or RR.
    #[arg(long)]
    reduced_size: bool,
    #[command(flatten)]
    input: InputArg,
}

/// Reads one compound RTCP packet and prints it.
pub(crate) fn run(args: RtcpArgs) -> Result<(), CliError> {
    let bytes = args.input.read()?;
    let value = describe(&bytes, args.reduced_size)?;
    print_json(&value);
    Ok(())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn reports(blocks: impl Iterator<Item = ReportBlock>) -> Vec<Value> {
    blocks
        .map(|r| {
            json!({
                "ssrc": r.ssrc.0,
                "fraction_lost": r.fraction_lost,
                "cumulative_lost": r.cumulative_lost,
                "highest_seq": r.highest_seq,
                "jitter": r.jitter,
                "lsr": r.lsr,
                "dlsr": r.dlsr,
            })
        })
        .collect()
}

fn sdes_item(i: &SdesItem<'_>) -> Value {
    match i {
        SdesItem::Priv { prefix, value } => {
            json!({"type": "PRIV", "prefix": text(prefix), "value": text(value)})
        }
        other => {
            let name = match other.name() {
                "unknown" => format!("unknown-{}", other.item_type()),
                n => n.to_owned(),
            };
            json!({"type": name, "value": text(other.value())})
        }
    }
}

fn xr_block(b: &XrBlock<'_>) -> Value {
    match b {
        XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => json!({
            "block_type": if matches!(b, XrBlock::LossRle(_)) { "loss-rle" } else { "duplicate-rle" },
            "thinning": r.thinning, "ssrc": r.ssrc.0, "begin_seq": r.begin_seq,
            "end_seq": r.end_seq, "chunks": r.chunks().map(|c| c.to_u16()).collect::<Vec<_>>(),
        }),
        XrBlock::ReceiverReferenceTime(t) => json!({"block_type": "rrtr", "ntp_timestamp": t.0}),
        XrBlock::Dlrr(l) => json!({"block_type": "dlrr", "sub_blocks": l.iter().map(|s| json!({
            "ssrc": s.ssrc.0, "last_rr": s.last_rr, "dlrr": s.delay_since_last_rr})).collect::<Vec<_>>()}),
        XrBlock::StatisticsSummary(s) => json!({
            "block_type": "statistics-summary", "ssrc": s.ssrc.0, "begin_seq": s.begin_seq,
            "end_seq": s.end_seq, "lost_packets": s.lost_packets, "dup_packets": s.dup_packets,
            "jitter": s.jitter, "ttl_or_hop_limit": s.ttl_or_hop_limit.map(|(k, v)| json!({"kind": k, "values": v})),
        }),
        XrBlock::VoipMetrics(v) => json!({
            "block_type": "voip-metrics", "ssrc": v.ssrc.0, "loss_rate": v.loss_rate,
            "discard_rate": v.discard_rate, "burst_density": v.burst_density,
            "gap_density": v.gap_density, "burst_duration": v.burst_duration,
            "gap_duration": v.gap_duration, "round_trip_delay": v.round_trip_delay,
            "end_system_delay": v.end_system_delay, "signal_level": v.signal_level,
            "noise_level": v.noise_level, "rerl": v.rerl, "gmin": v.gmin,
            "r_factor": v.r_factor, "ext_r_factor": v.ext_r_factor, "mos_lq": v.mos_lq,
            "mos_cq": v.mos_cq, "rx_config": v.rx_config, "jb_nominal": v.jb_nominal,
            "jb_maximum": v.jb_maximum, "jb_abs_max": v.jb_abs_max,
        }),
        XrBlock::Other {
            block_type,
            type_specific,
            data,
        } => json!({
            "block_type": format!("unknown-{block_type}"), "type_specific": type_specific,
            "data": hex(data),
        }),
        _ => json!({"block_type": format!("unknown-{}", b.block_type())}),
    }
}

fn packet(p: &RtcpPacket<'_>) -> Value {
    match p {
        RtcpPacket::Sr(sr) => {
            let info = sr.sender_info();
            json!({
                "type": "SR", "ssrc": sr.ssrc().0,
                "ntp_timestamp": info.ntp_timestamp.0, "rtp_timestamp": info.rtp_timestamp,
                "packet_count": info.packet_count, "octet_count": info.octet_count,
                "reports": reports(sr.reports()),
            })
        }
        RtcpPacket::Rr(rr) => {
            json!({"type": "RR", "ssrc": rr.ssrc().0, "reports": reports(rr.reports())})
        }
        RtcpPacket::Sdes(s) => json!({"type": "SDES", "chunks": s.chunks().map(|c| json!({
            "ssrc": c.ssrc.0, "items": c.items().map(|i| sdes_item(&i)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>()}),
        RtcpPacket::Bye(b) => json!({
            "type": "BYE", "ssrcs": b.sources().map(|s| s.0).collect::<Vec<_>>(),
            "reason": b.reason().map(text),
        }),
        RtcpPacket::App(a) => json!({
            "type": "APP", "subtype": a.subtype(), "ssrc": a.ssrc().0,
            "name": text(&a.name()), "data_len": a.data().len(),
        }),
        RtcpPacket::Rtpfb(f) => {
            let mut v = json!({"type": "RTPFB", "fmt": f.fmt(), "ssrc": f.sender_ssrc().0,
                "media_ssrc": f.media_ssrc().0});
            match f.kind() {
                TransportFeedbackKind::GenericNack(n) => {
                    v["feedback"] = json!("nack");
                    v["nack"] = n
                        .pairs()
                        .map(|p| json!({"pid": p.pid, "blp": p.blp}))
                        .collect();
                    v["lost"] = n
                        .pairs()
                        .flat_map(|p| p.lost().collect::<Vec<_>>())
                        .collect();
                }
                _ => v["fci_len"] = json!(f.fci().len()),
            }
            v
        }
        RtcpPacket::Psfb(f) => {
            let mut v = json!({"type": "PSFB", "fmt": f.fmt(), "ssrc": f.sender_ssrc().0,
                "media_ssrc": f.media_ssrc().0});
            let kind = f.kind();
            match kind {
                PayloadFeedbackKind::Pli => v["feedback"] = json!("pli"),
                PayloadFeedbackKind::Sli(_) => {
                    v["feedback"] = json!("sli");
                    v["sli"] = kind
                        .sli_entries()
                        .map(|s| {
                            json!({"first": s.first,
                        "number": s.number, "picture_id": s.picture_id})
                        })
                        .collect();
                }
                PayloadFeedbackKind::Rpsi(r) => {
                    v["feedback"] = json!("rpsi");
                    v["payload_type"] = json!(r.payload_type);
                    v["bits"] = json!(hex(r.bits));
                }
                PayloadFeedbackKind::Fir(_) => {
                    v["feedback"] = json!("fir");
                    v["fir"] = kind
                        .fir_entries()
                        .map(|e| {
                            json!({"ssrc": e.ssrc.0,
                        "seq_nr": e.seq_nr})
                        })
                        .collect();
                }
                PayloadFeedbackKind::Remb(r) => {
                    v["feedback"] = json!("remb");
                    v["bitrate"] = json!(r.bitrate);
                    v["ssrcs"] = r.ssrcs().map(|s| s.0).collect();
                }
                _ => v["fci_len"] = json!(f.fci().len()),
            }
            v
        }
        RtcpPacket::Xr(x) => json!({
            "type": "XR", "ssrc": x.ssrc().0,
            "blocks": x.blocks().map(|b| xr_block(&b)).collect::<Vec<_>>(),
        }),
        other => json!({"type": format!("unknown-{}", other.packet_type())}),
    }
}

/// The JSON description of one compound RTCP packet, or why it is invalid.
pub(crate) fn describe(bytes: &[u8], reduced_size: bool) -> Result<Value, CliError> {
    let compound = if reduced_size {
        Compound::parse_reduced_size(bytes)
    } else {
        Compound::parse(bytes)
    }
    .map_err(|e| CliError::Invalid(e.to_string()))?;
    Ok(Value::Array(
        compound.packets().map(|p| packet(&p)).collect(),
    ))
}
