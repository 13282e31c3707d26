//! `rtclite inspect stun`: one STUN message (RFC 8489, RFC 5389, classic
//! RFC 3489) as JSON, with its integrity and fingerprint checked.

use clap::Args;
use rtclite_stun::AttributeType;
use rtclite_stun::attribute::Attribute;
use rtclite_stun::integrity::{Check, IntegrityKey, PasswordAlgorithm};
use rtclite_stun::message::{Class, Message};
use serde_json::{Value, json};

use super::{CliError, InputArg, print_json};

/// Arguments of `rtclite inspect stun`.
#[derive(Debug, Args)]
pub(crate) struct StunArgs {
    /// Short-term credential password: check MESSAGE-INTEGRITY(-SHA256) with it.
    #[arg(long, conflicts_with = "long_term")]
    password: Option<String>,
    /// Long-term credential `USER:REALM:PASS`: check integrity with its key.
    #[arg(long = "long-term", value_name = "USER:REALM:PASS")]
    long_term: Option<String>,
    #[command(flatten)]
    input: InputArg,
}

/// Reads one STUN message and prints it.
pub(crate) fn run(args: StunArgs) -> Result<(), CliError> {
    let bytes = args.input.read()?;
    let msg = Message::parse(&bytes).map_err(|e| CliError::Invalid(e.to_string()))?;
    let key = credentials(&args, &msg)?;
    let value = describe(&msg, key.as_ref())?;
    print_json(&value);
    Ok(())
}

fn credentials(args: &StunArgs, msg: &Message<'_>) -> Result<Option<IntegrityKey>, CliError> {
    if let Some(p) = &args.password {
        return IntegrityKey::short_term(p)
            .map(Some)
            .map_err(|e| CliError::Invalid(format!("--password: {e}")));
    }
    let Some(lt) = &args.long_term else {
        return Ok(None);
    };
    let mut parts = lt.splitn(3, ':');
    let (Some(user), Some(realm), Some(pass)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CliError::Invalid(
            "--long-term expects USER:REALM:PASS".into(),
        ));
    };
    // The password algorithm is the one the request names (RFC 8489 §9.2.4);
    // MD5 when it names none.
    let algorithm = match msg.get(AttributeType::PASSWORD_ALGORITHM) {
        Some(Ok(Attribute::PasswordAlgorithm(a))) => {
            PasswordAlgorithm::from_code(a.algorithm).unwrap_or(PasswordAlgorithm::Md5)
        }
        _ => PasswordAlgorithm::Md5,
    };
    IntegrityKey::long_term(user, realm, pass, algorithm)
        .map(Some)
        .map_err(|e| CliError::Invalid(format!("--long-term: {e}")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check(c: Check, key: Option<&IntegrityKey>) -> &'static str {
    match (c, key) {
        (Check::Absent, _) => "absent",
        (_, None) => "unchecked",
        (c, Some(_)) => c.as_str(),
    }
}

/// The JSON description of one STUN message.
pub(crate) fn describe(msg: &Message<'_>, key: Option<&IntegrityKey>) -> Result<Value, CliError> {
    let class = match msg.class() {
        Class::Request => "request",
        Class::Indication => "indication",
        Class::SuccessResponse => "success",
        Class::ErrorResponse => "error",
    };
    let tid = if msg.has_magic_cookie() {
        hex(msg.transaction_id().as_bytes())
    } else {
        hex(&msg.classic_transaction_id())
    };
    let mut attributes = Vec::new();
    for raw in msg.raw_attributes() {
        let decoded = Attribute::decode(raw.attr_type, raw.value, &msg.transaction_id()).map_err(
            |mut e| {
                e.offset = raw.offset;
                CliError::Invalid(e.to_string())
            },
        )?;
        let name = raw
            .attr_type
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{:#06x}", raw.attr_type.0));
        attributes.push(json!({"type": name, "code": raw.attr_type.0, "value": value(&decoded)}));
    }
    let (mi, mi256) = match key {
        Some(k) => (msg.check_integrity(k), msg.check_integrity_sha256(k)),
        None => (
            if msg.integrity_offset().is_some() {
                Check::Invalid
            } else {
                Check::Absent
            },
            if msg.integrity_sha256_offset().is_some() {
                Check::Invalid
            } else {
                Check::Absent
            },
        ),
    };
    Ok(json!({
        "class": class,
        "method": msg.method().name(),
        "method_code": msg.method().code(),
        "transaction_id": tid,
        "magic_cookie": msg.has_magic_cookie(),
        "length": msg.as_bytes().len() - 20,
        "attributes": attributes,
        "integrity": check(mi, key),
        "integrity_sha256": check(mi256, key),
        "fingerprint": msg.check_fingerprint().as_str(),
    }))
}

fn value(a: &Attribute<'_>) -> Value {
    use Attribute as A;
    match a {
        A::MappedAddress(s)
        | A::XorMappedAddress(s)
        | A::AlternateServer(s)
        | A::ResponseOrigin(s)
        | A::OtherAddress(s)
        | A::ResponseAddress(s)
        | A::SourceAddress(s)
        | A::ChangedAddress(s)
        | A::ReflectedFrom(s)
        | A::XorPeerAddress(s)
        | A::XorRelayedAddress(s) => json!(s.to_string()),
        A::Username(s) | A::Realm(s) | A::Nonce(s) | A::Software(s) | A::AlternateDomain(s) => {
            json!(s)
        }
        A::UserHash(h) => json!(hex(&h[..])),
        A::MessageIntegrity(h) => json!(hex(&h[..])),
        A::MessageIntegritySha256(h) | A::Padding(h) | A::Data(h) => json!(hex(h)),
        A::Fingerprint(v) => json!(format!("{v:#010x}")),
        A::ErrorCode(e) => json!({"code": e.code, "reason": e.reason}),
        A::PasswordAlgorithms(p) => Value::Array(
            p.iter()
                .map(|e| json!({"algorithm": e.algorithm, "parameters": hex(e.parameters)}))
                .collect(),
        ),
        A::PasswordAlgorithm(e) => {
            json!({"algorithm": e.algorithm, "parameters": hex(e.parameters)})
        }
        A::UnknownAttributes(u) => Value::Array(u.iter().map(|t| json!(t.0)).collect()),
        A::Priority(v) | A::Lifetime(v) => json!(v),
        A::UseCandidate | A::DontFragment => Value::Null,
        A::IceControlled(v) | A::IceControlling(v) => json!(format!("{v:#018x}")),
        A::ReservationToken(v) => json!(format!("{v:016x}")),
        A::ChangeRequest {
            change_ip,
            change_port,
        } => json!({"change_ip": change_ip, "change_port": change_port}),
        A::ResponsePort(p) | A::ChannelNumber(p) => json!(p),
        A::RequestedAddressFamily(f) | A::AdditionalAddressFamily(f) => json!(family(*f)),
        A::EvenPort(r) => json!({"reserve": r}),
        A::RequestedTransport(p) => json!(p),
        A::AddressErrorCode { family: f, error } => {
            json!({"family": family(*f), "code": error.code, "reason": error.reason})
        }
        A::Icmp {
            icmp_type,
            icmp_code,
            error_data,
        } => {
            json!({"type": icmp_type, "code": icmp_code, "error_data": error_data})
        }
        A::Unknown { value, .. } => json!(hex(value)),
        _ => Value::Null,
    }
}

fn family(f: rtclite_stun::AddressFamily) -> &'static str {
    match f {
        rtclite_stun::AddressFamily::Ipv4 => "ipv4",
        _ => "ipv6",
    }
}
