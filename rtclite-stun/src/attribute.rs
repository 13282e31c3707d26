//! STUN attributes: the IANA type registry and typed, borrowing values.
//!
//! [`Attribute`] covers every attribute of RFC 8489 §14, the ICE attributes
//! of RFC 8445 §16.1, the NAT behaviour discovery attributes of RFC 5780 §7,
//! the classic RFC 3489 §11.2 attributes and the TURN attributes of RFC 8656
//! §18. Decoding borrows strings and byte strings from the message.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{AttributeError, EncodeError};
use crate::message::{MAGIC_COOKIE, TransactionId};

/// A STUN attribute type (16 bits), with the names of the IANA registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributeType(pub u16);

macro_rules! attribute_types {
    ($( $(#[$doc:meta])* $name:ident = $value:expr, $text:expr; )*) => {
        impl AttributeType {
            $( $(#[$doc])* pub const $name: AttributeType = AttributeType($value); )*

            /// The registry name, e.g. `XOR-MAPPED-ADDRESS`; `None` for a type
            /// this crate does not know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )*
                    _ => None,
                }
            }

            /// Every attribute type this crate decodes, in registry order.
            pub const KNOWN: &'static [AttributeType] = &[ $( AttributeType($value), )* ];
        }
    };
}

attribute_types! {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    MAPPED_ADDRESS = 0x0001, "MAPPED-ADDRESS";
    /// RESPONSE-ADDRESS (classic RFC 3489 §11.2.2).
    RESPONSE_ADDRESS = 0x0002, "RESPONSE-ADDRESS";
    /// CHANGE-REQUEST (RFC 5780 §7.2, classic RFC 3489 §11.2.4).
    CHANGE_REQUEST = 0x0003, "CHANGE-REQUEST";
    /// SOURCE-ADDRESS (classic RFC 3489 §11.2.5).
    SOURCE_ADDRESS = 0x0004, "SOURCE-ADDRESS";
    /// CHANGED-ADDRESS (classic RFC 3489 §11.2.3).
    CHANGED_ADDRESS = 0x0005, "CHANGED-ADDRESS";
    /// USERNAME (RFC 8489 §14.3).
    USERNAME = 0x0006, "USERNAME";
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5).
    MESSAGE_INTEGRITY = 0x0008, "MESSAGE-INTEGRITY";
    /// ERROR-CODE (RFC 8489 §14.8).
    ERROR_CODE = 0x0009, "ERROR-CODE";
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    UNKNOWN_ATTRIBUTES = 0x000A, "UNKNOWN-ATTRIBUTES";
    /// REFLECTED-FROM (classic RFC 3489 §11.2.11).
    REFLECTED_FROM = 0x000B, "REFLECTED-FROM";
    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    CHANNEL_NUMBER = 0x000C, "CHANNEL-NUMBER";
    /// LIFETIME (RFC 8656 §18.2).
    LIFETIME = 0x000D, "LIFETIME";
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    XOR_PEER_ADDRESS = 0x0012, "XOR-PEER-ADDRESS";
    /// DATA (RFC 8656 §18.4).
    DATA = 0x0013, "DATA";
    /// REALM (RFC 8489 §14.9).
    REALM = 0x0014, "REALM";
    /// NONCE (RFC 8489 §14.10).
    NONCE = 0x0015, "NONCE";
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    XOR_RELAYED_ADDRESS = 0x0016, "XOR-RELAYED-ADDRESS";
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    REQUESTED_ADDRESS_FAMILY = 0x0017, "REQUESTED-ADDRESS-FAMILY";
    /// EVEN-PORT (RFC 8656 §18.7).
    EVEN_PORT = 0x0018, "EVEN-PORT";
    /// REQUESTED-TRANSPORT (RFC 8656 §18.8).
    REQUESTED_TRANSPORT = 0x0019, "REQUESTED-TRANSPORT";
    /// DONT-FRAGMENT (RFC 8656 §18.9).
    DONT_FRAGMENT = 0x001A, "DONT-FRAGMENT";
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    MESSAGE_INTEGRITY_SHA256 = 0x001C, "MESSAGE-INTEGRITY-SHA256";
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
    PASSWORD_ALGORITHM = 0x001D, "PASSWORD-ALGORITHM";
    /// USERHASH (RFC 8489 §14.4).
    USERHASH = 0x001E, "USERHASH";
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    XOR_MAPPED_ADDRESS = 0x0020, "XOR-MAPPED-ADDRESS";
    /// RESERVATION-TOKEN (RFC 8656 §18.10).
    RESERVATION_TOKEN = 0x0022, "RESERVATION-TOKEN";
    /// PRIORITY (RFC 8445 §16.1).
    PRIORITY = 0x0024, "PRIORITY";
    /// USE-CANDIDATE (RFC 8445 §16.1).
    USE_CANDIDATE = 0x0025, "USE-CANDIDATE";
    /// PADDING (RFC 5780 §7.6).
    PADDING = 0x0026, "PADDING";
    /// RESPONSE-PORT (RFC 5780 §7.5).
    RESPONSE_PORT = 0x0027, "RESPONSE-PORT";
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
    ADDITIONAL_ADDRESS_FAMILY = 0x8000, "ADDITIONAL-ADDRESS-FAMILY";
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12).
    ADDRESS_ERROR_CODE = 0x8001, "ADDRESS-ERROR-CODE";
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    PASSWORD_ALGORITHMS = 0x8002, "PASSWORD-ALGORITHMS";
    /// ALTERNATE-DOMAIN (RFC 8489 §14.16).
    ALTERNATE_DOMAIN = 0x8003, "ALTERNATE-DOMAIN";
    /// ICMP (RFC 8656 §18.13).
    ICMP = 0x8004, "ICMP";
    /// SOFTWARE (RFC 8489 §14.14).
    SOFTWARE = 0x8022, "SOFTWARE";
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    ALTERNATE_SERVER = 0x8023, "ALTERNATE-SERVER";
    /// FINGERPRINT (RFC 8489 §14.7).
    FINGERPRINT = 0x8028, "FINGERPRINT";
    /// ICE-CONTROLLED (RFC 8445 §16.1).
    ICE_CONTROLLED = 0x8029, "ICE-CONTROLLED";
    /// ICE-CONTROLLING (RFC 8445 §16.1).
    ICE_CONTROLLING = 0x802A, "ICE-CONTROLLING";
    /// RESPONSE-ORIGIN (RFC 5780 §7.3).
    RESPONSE_ORIGIN = 0x802B, "RESPONSE-ORIGIN";
    /// OTHER-ADDRESS (RFC 5780 §7.4).
    OTHER_ADDRESS = 0x802C, "OTHER-ADDRESS";
}

impl AttributeType {
    /// True for types 0x0000..=0x7FFF.
    // [RFC 8489 §14] "Attributes with type values between 0x0000 and 0x7FFF are
    // comprehension-required attributes"
    pub fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }

    /// True when this crate decodes the type.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }
}

impl std::fmt::Display for AttributeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{:#06x}", self.0),
        }
    }
}

/// An IP address family as coded in address attributes (RFC 8489 §14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressFamily {
    /// 0x01.
    Ipv4,
    /// 0x02.
    Ipv6,
}

impl AddressFamily {
    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            AddressFamily::Ipv4 => 0x01,
            AddressFamily::Ipv6 => 0x02,
        }
    }

    /// The family of a code, if defined.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(AddressFamily::Ipv4),
            0x02 => Some(AddressFamily::Ipv6),
            _ => None,
        }
    }

    /// The family of a socket address.
    pub fn of(addr: &SocketAddr) -> Self {
        if addr.is_ipv4() {
            AddressFamily::Ipv4
        } else {
            AddressFamily::Ipv6
        }
    }
}

/// An ERROR-CODE value: a code in 300..=699 and a reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The error code, e.g. 401.
    pub code: u16,
    /// The reason phrase (diagnostic only).
    pub reason: &'a str,
}

impl ErrorCode<'static> {
    /// 300 Try Alternate.
    pub const TRY_ALTERNATE: ErrorCode<'static> = ErrorCode::new(300, "Try Alternate");
    /// 400 Bad Request.
    pub const BAD_REQUEST: ErrorCode<'static> = ErrorCode::new(400, "Bad Request");
    /// 401 Unauthenticated.
    pub const UNAUTHENTICATED: ErrorCode<'static> = ErrorCode::new(401, "Unauthenticated");
    /// 403 Forbidden (RFC 8656).
    pub const FORBIDDEN: ErrorCode<'static> = ErrorCode::new(403, "Forbidden");
    /// 420 Unknown Attribute.
    pub const UNKNOWN_ATTRIBUTE: ErrorCode<'static> = ErrorCode::new(420, "Unknown Attribute");
    /// 437 Allocation Mismatch (RFC 8656).
    pub const ALLOCATION_MISMATCH: ErrorCode<'static> = ErrorCode::new(437, "Allocation Mismatch");
    /// 438 Stale Nonce.
    pub const STALE_NONCE: ErrorCode<'static> = ErrorCode::new(438, "Stale Nonce");
    /// 440 Address Family not Supported (RFC 8656).
    pub const ADDRESS_FAMILY_NOT_SUPPORTED: ErrorCode<'static> =
        ErrorCode::new(440, "Address Family not Supported");
    /// 441 Wrong Credentials (RFC 8656).
    pub const WRONG_CREDENTIALS: ErrorCode<'static> = ErrorCode::new(441, "Wrong Credentials");
    /// 442 Unsupported Transport Protocol (RFC 8656).
    pub const UNSUPPORTED_TRANSPORT: ErrorCode<'static> =
        ErrorCode::new(442, "Unsupported Transport Protocol");
    /// 443 Peer Address Family Mismatch (RFC 8656).
    pub const PEER_ADDRESS_FAMILY_MISMATCH: ErrorCode<'static> =
        ErrorCode::new(443, "Peer Address Family Mismatch");
    /// 486 Allocation Quota Reached (RFC 8656).
    pub const ALLOCATION_QUOTA_REACHED: ErrorCode<'static> =
        ErrorCode::new(486, "Allocation Quota Reached");
    /// 500 Server Error.
    pub const SERVER_ERROR: ErrorCode<'static> = ErrorCode::new(500, "Server Error");
    /// 508 Insufficient Capacity (RFC 8656).
    pub const INSUFFICIENT_CAPACITY: ErrorCode<'static> =
        ErrorCode::new(508, "Insufficient Capacity");
}

impl<'a> ErrorCode<'a> {
    /// An error code with a reason phrase.
    pub const fn new(code: u16, reason: &'a str) -> Self {
        ErrorCode { code, reason }
    }
}

/// A password algorithm number and its parameters (RFC 8489 §14.11, §18.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithmEntry<'a> {
    /// Algorithm number: 1 MD5, 2 SHA-256.
    pub algorithm: u16,
    /// The algorithm parameters (empty for MD5 and SHA-256).
    pub parameters: &'a [u8],
}

/// The value of PASSWORD-ALGORITHMS: a validated list walked lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAlgorithms<'a>(&'a [u8]);

impl<'a> PasswordAlgorithms<'a> {
    /// The raw value (without the attribute header).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The entries in the server's order of preference.
    pub fn iter(&self) -> impl Iterator<Item = PasswordAlgorithmEntry<'a>> + 'a {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            let (entry, used) = decode_algorithm(rest)?;
            rest = rest.get(used..).unwrap_or(&[]);
            Some(entry)
        })
    }
}

/// The value of UNKNOWN-ATTRIBUTES: a list of 16-bit types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownAttributes<'a>(&'a [u8]);

impl<'a> UnknownAttributes<'a> {
    /// The listed types, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = AttributeType> + 'a {
        self.0
            .chunks_exact(2)
            .map(|c| AttributeType(u16::from_be_bytes([c[0], c[1]])))
    }
}

/// One attribute with its value decoded. Strings and byte strings borrow
/// from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS.
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS (the address already un-XORed).
    XorMappedAddress(SocketAddr),
    /// USERNAME.
    Username(&'a str),
    /// USERHASH: 32 bytes of SHA-256.
    UserHash(&'a [u8; 32]),
    /// MESSAGE-INTEGRITY: 20 bytes of HMAC-SHA1.
    MessageIntegrity(&'a [u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256: 16 to 32 bytes of HMAC-SHA256.
    MessageIntegritySha256(&'a [u8]),
    /// FINGERPRINT: the CRC-32 XOR 0x5354554e.
    Fingerprint(u32),
    /// ERROR-CODE.
    ErrorCode(ErrorCode<'a>),
    /// REALM.
    Realm(&'a str),
    /// NONCE.
    Nonce(&'a str),
    /// PASSWORD-ALGORITHMS.
    PasswordAlgorithms(PasswordAlgorithms<'a>),
    /// PASSWORD-ALGORITHM.
    PasswordAlgorithm(PasswordAlgorithmEntry<'a>),
    /// UNKNOWN-ATTRIBUTES.
    UnknownAttributes(UnknownAttributes<'a>),
    /// SOFTWARE.
    Software(&'a str),
    /// ALTERNATE-SERVER.
    AlternateServer(SocketAddr),
    /// ALTERNATE-DOMAIN.
    AlternateDomain(&'a str),
    /// PRIORITY (ICE).
    Priority(u32),
    /// USE-CANDIDATE (ICE, no value).
    UseCandidate,
    /// ICE-CONTROLLED with its tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING with its tie-breaker.
    IceControlling(u64),
    /// CHANGE-REQUEST (RFC 5780, RFC 3489).
    ChangeRequest {
        /// The "change IP" flag (A).
        change_ip: bool,
        /// The "change port" flag (B).
        change_port: bool,
    },
    /// RESPONSE-ORIGIN (RFC 5780).
    ResponseOrigin(SocketAddr),
    /// OTHER-ADDRESS (RFC 5780).
    OtherAddress(SocketAddr),
    /// PADDING (RFC 5780): the padding bytes.
    Padding(&'a [u8]),
    /// RESPONSE-PORT (RFC 5780).
    ResponsePort(u16),
    /// RESPONSE-ADDRESS (RFC 3489).
    ResponseAddress(SocketAddr),
    /// SOURCE-ADDRESS (RFC 3489).
    SourceAddress(SocketAddr),
    /// CHANGED-ADDRESS (RFC 3489).
    ChangedAddress(SocketAddr),
    /// REFLECTED-FROM (RFC 3489).
    ReflectedFrom(SocketAddr),
    /// CHANNEL-NUMBER (TURN).
    ChannelNumber(u16),
    /// LIFETIME in seconds (TURN).
    Lifetime(u32),
    /// XOR-PEER-ADDRESS (TURN).
    XorPeerAddress(SocketAddr),
    /// DATA (TURN).
    Data(&'a [u8]),
    /// XOR-RELAYED-ADDRESS (TURN).
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-ADDRESS-FAMILY (TURN).
    RequestedAddressFamily(AddressFamily),
    /// EVEN-PORT (TURN) with its R (reserve next port) flag.
    EvenPort(bool),
    /// REQUESTED-TRANSPORT (TURN): an IP protocol number (17 = UDP).
    RequestedTransport(u8),
    /// DONT-FRAGMENT (TURN, no value).
    DontFragment,
    /// RESERVATION-TOKEN (TURN).
    ReservationToken(u64),
    /// ADDITIONAL-ADDRESS-FAMILY (TURN).
    AdditionalAddressFamily(AddressFamily),
    /// ADDRESS-ERROR-CODE (TURN).
    AddressErrorCode {
        /// The family that could not be allocated.
        family: AddressFamily,
        /// The error (440 or 508).
        error: ErrorCode<'a>,
    },
    /// ICMP (TURN).
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        icmp_code: u8,
        /// Error data (the next-hop MTU for "packet too big").
        error_data: u32,
    },
    /// Any other attribute: type and raw value.
    Unknown {
        /// The attribute type.
        attr_type: AttributeType,
        /// The raw value.
        value: &'a [u8],
    },
}

fn err(attr_type: AttributeType, reason: &'static str, section: &'static str) -> AttributeError {
    AttributeError {
        name: attr_type.name().unwrap_or("unknown"),
        attr_type: attr_type.0,
        offset: 0,
        reason,
        section,
    }
}

fn fixed<const N: usize>(
    t: AttributeType,
    v: &[u8],
    section: &'static str,
) -> Result<[u8; N], AttributeError> {
    <[u8; N]>::try_from(v).map_err(|_| err(t, "wrong value length", section))
}

fn text<'a>(
    t: AttributeType,
    v: &'a [u8],
    max: usize,
    section: &'static str,
) -> Result<&'a str, AttributeError> {
    if v.len() > max {
        return Err(err(t, "value longer than the RFC allows", section));
    }
    std::str::from_utf8(v).map_err(|_| err(t, "value is not UTF-8", section))
}

/// Decodes an address value; `xor` un-XORs it with the cookie and transaction ID.
fn decode_address(
    t: AttributeType,
    v: &[u8],
    xor: Option<&TransactionId>,
    section: &'static str,
) -> Result<SocketAddr, AttributeError> {
    let head: [u8; 4] = match v.get(..4) {
        Some(h) => [h[0], h[1], h[2], h[3]],
        None => return Err(err(t, "shorter than 4 bytes", section)),
    };
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut port = u16::from_be_bytes([head[2], head[3]]);
    if xor.is_some() {
        // [RFC 8489 §14.2] "X-Port is computed by XOR'ing the mapped port with the most
        // significant 16 bits of the magic cookie."
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let rest = &v[4..];
    // [RFC 8489 §14.1] "The first 8 bits of the MAPPED-ADDRESS MUST be set to 0 and MUST be
    // ignored by receivers."
    let ip = match head[1] {
        0x01 => {
            // [RFC 8489 §14.1] "If the address family is IPv4, the address MUST be 32 bits."
            let mut a: [u8; 4] = fixed(t, rest, section)?;
            if xor.is_some() {
                for (b, c) in a.iter_mut().zip(cookie) {
                    *b ^= c;
                }
            }
            IpAddr::V4(Ipv4Addr::from(a))
        }
        0x02 => {
            // [RFC 8489 §14.1] "If the address family is IPv6, the address MUST be 128 bits."
            let mut a: [u8; 16] = fixed(t, rest, section)?;
            if let Some(tid) = xor {
                // [RFC 8489 §14.2] "If the IP address family is IPv6, X-Address is
                // computed by XOR'ing the mapped IP address with the concatenation of
                // the magic cookie and the 96-bit transaction ID."
                let mask = cookie.iter().chain(tid.as_bytes().iter());
                for (b, c) in a.iter_mut().zip(mask) {
                    *b ^= c;
                }
            }
            IpAddr::V6(Ipv6Addr::from(a))
        }
        _ => return Err(err(t, "unknown address family", section)),
    };
    Ok(SocketAddr::new(ip, port))
}

fn encode_address(out: &mut Vec<u8>, addr: &SocketAddr, xor: Option<&TransactionId>) {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let port = if xor.is_some() {
        addr.port() ^ (MAGIC_COOKIE >> 16) as u16
    } else {
        addr.port()
    };
    out.push(0);
    out.push(AddressFamily::of(addr).code());
    out.extend_from_slice(&port.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(ip) => {
            let mut a = ip.octets();
            if xor.is_some() {
                for (b, c) in a.iter_mut().zip(cookie) {
                    *b ^= c;
                }
            }
            out.extend_from_slice(&a);
        }
        IpAddr::V6(ip) => {
            let mut a = ip.octets();
            if let Some(tid) = xor {
                for (b, c) in a.iter_mut().zip(cookie.iter().chain(tid.as_bytes().iter())) {
                    *b ^= c;
                }
            }
            out.extend_from_slice(&a);
        }
    }
}

fn decode_algorithm(v: &[u8]) -> Option<(PasswordAlgorithmEntry<'_>, usize)> {
    let h = v.get(..4)?;
    let algorithm = u16::from_be_bytes([h[0], h[1]]);
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let parameters = v.get(4..4 + len)?;
    let padded = 4 + len.div_ceil(4) * 4;
    Some((
        PasswordAlgorithmEntry {
            algorithm,
            parameters,
        },
        padded.min(v.len()),
    ))
}

fn decode_error_code<'a>(
    t: AttributeType,
    v: &'a [u8],
    section: &'static str,
) -> Result<ErrorCode<'a>, AttributeError> {
    let h = v
        .get(..4)
        .ok_or_else(|| err(t, "shorter than 4 bytes", section))?;
    // [RFC 8489 §14.8] "The Class represents the hundreds digit of the error code.  The value
    // MUST be between 3 and 6."
    let class = u16::from(h[2] & 0x07);
    let number = u16::from(h[3]);
    if !(3..=6).contains(&class) {
        return Err(err(
            t,
            "class (hundreds digit) not between 3 and 6",
            section,
        ));
    }
    // [RFC 8489 §14.8] "The Number represents the binary encoding of the error code
    // modulo 100, and its value MUST be between 0 and 99."
    if number > 99 {
        return Err(err(t, "number not between 0 and 99", section));
    }
    // [RFC 8489 §14.8] "The reason phrase MUST be a UTF-8-encoded [RFC3629] sequence of
    // fewer than 128 characters (which can be as long as 509 bytes when encoding them or
    // 763 bytes when decoding them)."
    let reason = text(t, &v[4..], 763, section)?;
    Ok(ErrorCode {
        code: class * 100 + number,
        reason,
    })
}

fn family(
    t: AttributeType,
    v: &[u8],
    section: &'static str,
) -> Result<AddressFamily, AttributeError> {
    let a: [u8; 4] = fixed(t, v, section)?;
    AddressFamily::from_code(a[0]).ok_or_else(|| err(t, "unknown address family", section))
}

/// Longest USERNAME we parse (RFC 8489 §14.3: "763 or fewer octets").
pub const MAX_USERNAME_DECODE: usize = 763;
/// Longest REALM, NONCE, SOFTWARE and reason phrase we parse (763 bytes).
pub const MAX_TEXT_DECODE: usize = 763;

impl<'a> Attribute<'a> {
    /// Decodes one attribute value. `transaction_id` is needed for the XOR
    /// address attributes.
    pub fn decode(
        attr_type: AttributeType,
        value: &'a [u8],
        transaction_id: &TransactionId,
    ) -> Result<Attribute<'a>, AttributeError> {
        let t = attr_type;
        let v = value;
        let tid = Some(transaction_id);
        Ok(match t {
            AttributeType::MAPPED_ADDRESS => {
                Attribute::MappedAddress(decode_address(t, v, None, "RFC 8489 §14.1")?)
            }
            AttributeType::XOR_MAPPED_ADDRESS => {
                Attribute::XorMappedAddress(decode_address(t, v, tid, "RFC 8489 §14.2")?)
            }
            // [RFC 8489 §14.3] "A compliant implementation MUST
            // be able to parse a UTF-8-encoded sequence of 763 or fewer octets"
            AttributeType::USERNAME => {
                Attribute::Username(text(t, v, MAX_USERNAME_DECODE, "RFC 8489 §14.3")?)
            }
            AttributeType::USERHASH => {
                // [RFC 8489 §14.4] "The value of USERHASH has a fixed length of 32 bytes."
                Attribute::UserHash(
                    <&[u8; 32]>::try_from(v)
                        .map_err(|_| err(t, "not 32 bytes", "RFC 8489 §14.4"))?,
                )
            }
            AttributeType::MESSAGE_INTEGRITY => Attribute::MessageIntegrity(
                <&[u8; 20]>::try_from(v).map_err(|_| err(t, "not 20 bytes", "RFC 8489 §14.5"))?,
            ),
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                // [RFC 8489 §14.6] "The value will be at most 32
                // bytes, but it MUST be at least 16 bytes and MUST be a multiple of 4
                // bytes."
                if !(16..=32).contains(&v.len()) || v.len() % 4 != 0 {
                    return Err(err(t, "not 16 to 32 bytes in steps of 4", "RFC 8489 §14.6"));
                }
                Attribute::MessageIntegritySha256(v)
            }
            AttributeType::FINGERPRINT => {
                Attribute::Fingerprint(u32::from_be_bytes(fixed(t, v, "RFC 8489 §14.7")?))
            }
            AttributeType::ERROR_CODE => {
                Attribute::ErrorCode(decode_error_code(t, v, "RFC 8489 §14.8")?)
            }
            AttributeType::REALM => {
                Attribute::Realm(text(t, v, MAX_TEXT_DECODE, "RFC 8489 §14.9")?)
            }
            AttributeType::NONCE => {
                Attribute::Nonce(text(t, v, MAX_TEXT_DECODE, "RFC 8489 §14.10")?)
            }
            AttributeType::PASSWORD_ALGORITHMS => {
                let mut rest = v;
                while !rest.is_empty() {
                    let (_, used) = decode_algorithm(rest)
                        .ok_or_else(|| err(t, "algorithm entry truncated", "RFC 8489 §14.11"))?;
                    rest = rest.get(used..).unwrap_or(&[]);
                }
                Attribute::PasswordAlgorithms(PasswordAlgorithms(v))
            }
            AttributeType::PASSWORD_ALGORITHM => {
                let (entry, _) = decode_algorithm(v)
                    .ok_or_else(|| err(t, "algorithm entry truncated", "RFC 8489 §14.12"))?;
                Attribute::PasswordAlgorithm(entry)
            }
            AttributeType::UNKNOWN_ATTRIBUTES => {
                if v.len() % 2 != 0 {
                    return Err(err(
                        t,
                        "odd length: not a list of 16-bit types",
                        "RFC 8489 §14.13",
                    ));
                }
                Attribute::UnknownAttributes(UnknownAttributes(v))
            }
            AttributeType::SOFTWARE => {
                Attribute::Software(text(t, v, MAX_TEXT_DECODE, "RFC 8489 §14.14")?)
            }
            AttributeType::ALTERNATE_SERVER => {
                Attribute::AlternateServer(decode_address(t, v, None, "RFC 8489 §14.15")?)
            }
            AttributeType::ALTERNATE_DOMAIN => {
                // [RFC 8489 §14.16] "It MUST be a valid
                // DNS name [RFC1123] (including A-labels [RFC5890]) of 255 or fewer
                // ASCII characters."
                if v.len() > 255 || !v.is_ascii() {
                    return Err(err(
                        t,
                        "not 255 or fewer ASCII characters",
                        "RFC 8489 §14.16",
                    ));
                }
                Attribute::AlternateDomain(text(t, v, 255, "RFC 8489 §14.16")?)
            }
            AttributeType::PRIORITY => {
                Attribute::Priority(u32::from_be_bytes(fixed(t, v, "RFC 8445 §16.1")?))
            }
            AttributeType::USE_CANDIDATE => {
                if !v.is_empty() {
                    return Err(err(t, "must be empty", "RFC 8445 §16.1"));
                }
                Attribute::UseCandidate
            }
            AttributeType::ICE_CONTROLLED => {
                Attribute::IceControlled(u64::from_be_bytes(fixed(t, v, "RFC 8445 §16.1")?))
            }
            AttributeType::ICE_CONTROLLING => {
                Attribute::IceControlling(u64::from_be_bytes(fixed(t, v, "RFC 8445 §16.1")?))
            }
            AttributeType::CHANGE_REQUEST => {
                let a: [u8; 4] = fixed(t, v, "RFC 5780 §7.2")?;
                Attribute::ChangeRequest {
                    change_ip: a[3] & 0x04 != 0,
                    change_port: a[3] & 0x02 != 0,
                }
            }
            AttributeType::RESPONSE_ORIGIN => {
                Attribute::ResponseOrigin(decode_address(t, v, None, "RFC 5780 §7.3")?)
            }
            AttributeType::OTHER_ADDRESS => {
                Attribute::OtherAddress(decode_address(t, v, None, "RFC 5780 §7.4")?)
            }
            AttributeType::RESPONSE_PORT => {
                let a: [u8; 4] = fixed(t, v, "RFC 5780 §7.5")?;
                Attribute::ResponsePort(u16::from_be_bytes([a[0], a[1]]))
            }
            AttributeType::PADDING => Attribute::Padding(v),
            AttributeType::RESPONSE_ADDRESS => {
                Attribute::ResponseAddress(decode_address(t, v, None, "RFC 3489 §11.2.2")?)
            }
            AttributeType::SOURCE_ADDRESS => {
                Attribute::SourceAddress(decode_address(t, v, None, "RFC 3489 §11.2.5")?)
            }
            AttributeType::CHANGED_ADDRESS => {
                Attribute::ChangedAddress(decode_address(t, v, None, "RFC 3489 §11.2.3")?)
            }
            AttributeType::REFLECTED_FROM => {
                Attribute::ReflectedFrom(decode_address(t, v, None, "RFC 3489 §11.2.11")?)
            }
            AttributeType::CHANNEL_NUMBER => {
                let a: [u8; 4] = fixed(t, v, "RFC 8656 §18.1")?;
                // [RFC 8656 §18.1] "a two-octet RFFU (Reserved For
                // Future Use) field, which MUST be set to 0 on transmission and MUST be
                // ignored on reception"
                Attribute::ChannelNumber(u16::from_be_bytes([a[0], a[1]]))
            }
            AttributeType::LIFETIME => {
                Attribute::Lifetime(u32::from_be_bytes(fixed(t, v, "RFC 8656 §18.2")?))
            }
            AttributeType::XOR_PEER_ADDRESS => {
                Attribute::XorPeerAddress(decode_address(t, v, tid, "RFC 8656 §18.3")?)
            }
            AttributeType::DATA => Attribute::Data(v),
            AttributeType::XOR_RELAYED_ADDRESS => {
                Attribute::XorRelayedAddress(decode_address(t, v, tid, "RFC 8656 §18.5")?)
            }
            AttributeType::REQUESTED_ADDRESS_FAMILY => {
                Attribute::RequestedAddressFamily(family(t, v, "RFC 8656 §18.6")?)
            }
            AttributeType::EVEN_PORT => {
                let a: [u8; 1] = fixed(t, v, "RFC 8656 §18.7")?;
                Attribute::EvenPort(a[0] & 0x80 != 0)
            }
            AttributeType::REQUESTED_TRANSPORT => {
                let a: [u8; 4] = fixed(t, v, "RFC 8656 §18.8")?;
                Attribute::RequestedTransport(a[0])
            }
            AttributeType::DONT_FRAGMENT => {
                // [RFC 8656 §18.9] "This attribute has no value part,
                // and thus, the attribute length field is 0."
                if !v.is_empty() {
                    return Err(err(t, "must be empty", "RFC 8656 §18.9"));
                }
                Attribute::DontFragment
            }
            AttributeType::RESERVATION_TOKEN => {
                // [RFC 8656 §18.10] "The attribute value is 8 bytes and contains the token value."
                Attribute::ReservationToken(u64::from_be_bytes(fixed(t, v, "RFC 8656 §18.10")?))
            }
            AttributeType::ADDITIONAL_ADDRESS_FAMILY => {
                Attribute::AdditionalAddressFamily(family(t, v, "RFC 8656 §18.11")?)
            }
            AttributeType::ADDRESS_ERROR_CODE => {
                let h = v
                    .get(..1)
                    .ok_or_else(|| err(t, "empty", "RFC 8656 §18.12"))?;
                let family = AddressFamily::from_code(h[0])
                    .ok_or_else(|| err(t, "unknown address family", "RFC 8656 §18.12"))?;
                Attribute::AddressErrorCode {
                    family,
                    error: decode_error_code(t, v, "RFC 8656 §18.12")?,
                }
            }
            AttributeType::ICMP => {
                let a: [u8; 8] = fixed(t, v, "RFC 8656 §18.13")?;
                Attribute::Icmp {
                    icmp_type: a[2],
                    icmp_code: a[3],
                    error_data: u32::from_be_bytes([a[4], a[5], a[6], a[7]]),
                }
            }
            _ => Attribute::Unknown {
                attr_type: t,
                value: v,
            },
        })
    }

    /// The attribute type.
    pub fn attr_type(&self) -> AttributeType {
        use Attribute as A;
        match self {
            A::MappedAddress(_) => AttributeType::MAPPED_ADDRESS,
            A::XorMappedAddress(_) => AttributeType::XOR_MAPPED_ADDRESS,
            A::Username(_) => AttributeType::USERNAME,
            A::UserHash(_) => AttributeType::USERHASH,
            A::MessageIntegrity(_) => AttributeType::MESSAGE_INTEGRITY,
            A::MessageIntegritySha256(_) => AttributeType::MESSAGE_INTEGRITY_SHA256,
            A::Fingerprint(_) => AttributeType::FINGERPRINT,
            A::ErrorCode(_) => AttributeType::ERROR_CODE,
            A::Realm(_) => AttributeType::REALM,
            A::Nonce(_) => AttributeType::NONCE,
            A::PasswordAlgorithms(_) => AttributeType::PASSWORD_ALGORITHMS,
            A::PasswordAlgorithm(_) => AttributeType::PASSWORD_ALGORITHM,
            A::UnknownAttributes(_) => AttributeType::UNKNOWN_ATTRIBUTES,
            A::Software(_) => AttributeType::SOFTWARE,
            A::AlternateServer(_) => AttributeType::ALTERNATE_SERVER,
            A::AlternateDomain(_) => AttributeType::ALTERNATE_DOMAIN,
            A::Priority(_) => AttributeType::PRIORITY,
            A::UseCandidate => AttributeType::USE_CANDIDATE,
            A::IceControlled(_) => AttributeType::ICE_CONTROLLED,
            A::IceControlling(_) => AttributeType::ICE_CONTROLLING,
            A::ChangeRequest { .. } => AttributeType::CHANGE_REQUEST,
            A::ResponseOrigin(_) => AttributeType::RESPONSE_ORIGIN,
            A::OtherAddress(_) => AttributeType::OTHER_ADDRESS,
            A::Padding(_) => AttributeType::PADDING,
            A::ResponsePort(_) => AttributeType::RESPONSE_PORT,
            A::ResponseAddress(_) => AttributeType::RESPONSE_ADDRESS,
            A::SourceAddress(_) => AttributeType::SOURCE_ADDRESS,
            A::ChangedAddress(_) => AttributeType::CHANGED_ADDRESS,
            A::ReflectedFrom(_) => AttributeType::REFLECTED_FROM,
            A::ChannelNumber(_) => AttributeType::CHANNEL_NUMBER,
            A::Lifetime(_) => AttributeType::LIFETIME,
            A::XorPeerAddress(_) => AttributeType::XOR_PEER_ADDRESS,
            A::Data(_) => AttributeType::DATA,
            A::XorRelayedAddress(_) => AttributeType::XOR_RELAYED_ADDRESS,
            A::RequestedAddressFamily(_) => AttributeType::REQUESTED_ADDRESS_FAMILY,
            A::EvenPort(_) => AttributeType::EVEN_PORT,
            A::RequestedTransport(_) => AttributeType::REQUESTED_TRANSPORT,
            A::DontFragment => AttributeType::DONT_FRAGMENT,
            A::ReservationToken(_) => AttributeType::RESERVATION_TOKEN,
            A::AdditionalAddressFamily(_) => AttributeType::ADDITIONAL_ADDRESS_FAMILY,
            A::AddressErrorCode { .. } => AttributeType::ADDRESS_ERROR_CODE,
            A::Icmp { .. } => AttributeType::ICMP,
            A::Unknown { attr_type, .. } => *attr_type,
        }
    }

    /// Appends the value (without header or padding) to `out`.
    pub fn encode_value(
        &self,
        out: &mut Vec<u8>,
        transaction_id: &TransactionId,
    ) -> Result<(), EncodeError> {
        use Attribute as A;
        let tid = Some(transaction_id);
        match self {
            A::MappedAddress(a)
            | A::AlternateServer(a)
            | A::ResponseOrigin(a)
            | A::OtherAddress(a)
            | A::ResponseAddress(a)
            | A::SourceAddress(a)
            | A::ChangedAddress(a)
            | A::ReflectedFrom(a) => encode_address(out, a, None),
            A::XorMappedAddress(a) | A::XorPeerAddress(a) | A::XorRelayedAddress(a) => {
                encode_address(out, a, tid)
            }
            A::Username(s) | A::Realm(s) | A::Nonce(s) | A::Software(s) | A::AlternateDomain(s) => {
                out.extend_from_slice(s.as_bytes())
            }
            A::UserHash(h) => out.extend_from_slice(&h[..]),
            A::MessageIntegrity(h) => out.extend_from_slice(&h[..]),
            A::MessageIntegritySha256(h) | A::Padding(h) | A::Data(h) => out.extend_from_slice(h),
            A::Fingerprint(v) | A::Priority(v) | A::Lifetime(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            A::ErrorCode(e) => encode_error_code(out, 0, e)?,
            A::PasswordAlgorithms(p) => out.extend_from_slice(p.as_bytes()),
            A::PasswordAlgorithm(p) => encode_algorithm(out, p)?,
            A::UnknownAttributes(u) => out.extend_from_slice(u.0),
            A::UseCandidate | A::DontFragment => {}
            A::IceControlled(v) | A::IceControlling(v) | A::ReservationToken(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            A::ChangeRequest {
                change_ip,
                change_port,
            } => {
                let flags = (u8::from(*change_ip) << 2) | (u8::from(*change_port) << 1);
                out.extend_from_slice(&[0, 0, 0, flags]);
            }
            A::ResponsePort(p) => {
                out.extend_from_slice(&p.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            A::ChannelNumber(c) => {
                out.extend_from_slice(&c.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            A::RequestedAddressFamily(f) | A::AdditionalAddressFamily(f) => {
                // [RFC 8656 §18.6] "the 24 bits in the Reserved field MUST be
                // set to zero by the client and MUST be ignored by the server."
                out.extend_from_slice(&[f.code(), 0, 0, 0])
            }
            A::EvenPort(r) => out.push(if *r { 0x80 } else { 0 }),
            // [RFC 8656 §18.8] "The RFFU field MUST be set to zero on transmission and MUST be
            // ignored on reception."
            A::RequestedTransport(p) => out.extend_from_slice(&[*p, 0, 0, 0]),
            A::AddressErrorCode { family, error } => encode_error_code(out, family.code(), error)?,
            A::Icmp {
                icmp_type,
                icmp_code,
                error_data,
            } => {
                out.extend_from_slice(&[0, 0, *icmp_type, *icmp_code]);
                out.extend_from_slice(&error_data.to_be_bytes());
            }
            A::Unknown { value, .. } => out.extend_from_slice(value),
        }
        Ok(())
    }
}

fn encode_error_code(out: &mut Vec<u8>, first: u8, e: &ErrorCode<'_>) -> Result<(), EncodeError> {
    if !(300..=699).contains(&e.code) {
        return Err(EncodeError::InvalidValue(
            "ERROR-CODE must be in 300..=699 (RFC 8489 §14.8)",
        ));
    }
    // [RFC 8489 §14.8] "To facilitate processing, the class of the error code (the hundreds
    // digit) is encoded separately from the rest of the code"
    out.extend_from_slice(&[first, 0, (e.code / 100) as u8, (e.code % 100) as u8]);
    out.extend_from_slice(e.reason.as_bytes());
    Ok(())
}

fn encode_algorithm(out: &mut Vec<u8>, p: &PasswordAlgorithmEntry<'_>) -> Result<(), EncodeError> {
    let len = u16::try_from(p.parameters.len()).map_err(|_| {
        EncodeError::InvalidValue("password algorithm parameters longer than 65535")
    })?;
    out.extend_from_slice(&p.algorithm.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(p.parameters);
    // [RFC 8489 §14.12] "Similarly, the padding bits MUST be set to zero on sending and MUST
    // be ignored by the receiver."
    out.resize(out.len() + (4 - p.parameters.len() % 4) % 4, 0);
    Ok(())
}

/// Encodes a PASSWORD-ALGORITHMS value from a list of entries.
pub fn encode_password_algorithms(
    entries: &[PasswordAlgorithmEntry<'_>],
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    for e in entries {
        encode_algorithm(&mut out, e)?;
    }
    Ok(out)
}

/// Builds a [`PasswordAlgorithms`] over an already-encoded value, checking it.
pub fn password_algorithms(value: &[u8]) -> Result<PasswordAlgorithms<'_>, AttributeError> {
    match Attribute::decode(
        AttributeType::PASSWORD_ALGORITHMS,
        value,
        &TransactionId([0; 12]),
    )? {
        Attribute::PasswordAlgorithms(p) => Ok(p),
        _ => Err(err(
            AttributeType::PASSWORD_ALGORITHMS,
            "not a list",
            "RFC 8489 §14.11",
        )),
    }
}

/// Builds an [`UnknownAttributes`] value from an encoded list (2 bytes per type).
pub fn unknown_attributes(value: &[u8]) -> Result<UnknownAttributes<'_>, AttributeError> {
    if value.len() % 2 != 0 {
        return Err(err(
            AttributeType::UNKNOWN_ATTRIBUTES,
            "odd length",
            "RFC 8489 §14.13",
        ));
    }
    Ok(UnknownAttributes(value))
}
