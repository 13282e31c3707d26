//! The STUN message: header, zero-copy parsing and the writer.

use crate::attribute::{Attribute, AttributeType};
use crate::error::{AttributeError, EncodeError, ParseError};

/// The magic cookie, 0x2112A442 (RFC 8489 §5).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Size of the STUN header.
pub const HEADER_LEN: usize = 20;
/// Largest body the 16-bit Message Length can describe (a multiple of 4).
pub const MAX_BODY_LEN: usize = 65532;

/// The message class (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// 0b00.
    Request,
    /// 0b01.
    Indication,
    /// 0b10.
    SuccessResponse,
    /// 0b11.
    ErrorResponse,
}

impl Class {
    /// The two class bits C1 C0.
    pub fn bits(self) -> u16 {
        match self {
            Class::Request => 0b00,
            Class::Indication => 0b01,
            Class::SuccessResponse => 0b10,
            Class::ErrorResponse => 0b11,
        }
    }

    /// The class of two bits.
    pub fn from_bits(bits: u16) -> Class {
        match bits & 0b11 {
            0b00 => Class::Request,
            0b01 => Class::Indication,
            0b10 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        }
    }

    /// True for success and error responses.
    pub fn is_response(self) -> bool {
        matches!(self, Class::SuccessResponse | Class::ErrorResponse)
    }
}

/// A 12-bit STUN method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method(u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Method = Method(0x001);
    /// Allocate (RFC 8656).
    pub const ALLOCATE: Method = Method(0x003);
    /// Refresh (RFC 8656).
    pub const REFRESH: Method = Method(0x004);
    /// Send (RFC 8656).
    pub const SEND: Method = Method(0x006);
    /// Data (RFC 8656).
    pub const DATA: Method = Method(0x007);
    /// CreatePermission (RFC 8656).
    pub const CREATE_PERMISSION: Method = Method(0x008);
    /// ChannelBind (RFC 8656).
    pub const CHANNEL_BIND: Method = Method(0x009);

    /// A method from its 12-bit code; `None` above 0xFFF.
    pub const fn new(code: u16) -> Option<Method> {
        if code <= 0xFFF {
            Some(Method(code))
        } else {
            None
        }
    }

    /// The 12-bit code.
    pub fn code(self) -> u16 {
        self.0
    }

    /// The lower-case name used by `rtclite inspect stun`, e.g. `binding`,
    /// `create-permission`, or `unknown-0x00a`.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Method::BINDING => "binding".into(),
            Method::ALLOCATE => "allocate".into(),
            Method::REFRESH => "refresh".into(),
            Method::SEND => "send".into(),
            Method::DATA => "data".into(),
            Method::CREATE_PERMISSION => "create-permission".into(),
            Method::CHANNEL_BIND => "channel-bind".into(),
            Method(c) => format!("unknown-{c:#05x}").into(),
        }
    }
}

/// Class and method together: the 14-bit STUN Message Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// The class.
    pub class: Class,
    /// The method.
    pub method: Method,
}

impl MessageType {
    /// A message type.
    pub fn new(class: Class, method: Method) -> Self {
        MessageType { class, method }
    }

    /// A Binding request.
    pub const BINDING_REQUEST: MessageType = MessageType {
        class: Class::Request,
        method: Method::BINDING,
    };
    /// A Binding success response.
    pub const BINDING_SUCCESS: MessageType = MessageType {
        class: Class::SuccessResponse,
        method: Method::BINDING,
    };

    /// Decodes the first 16 bits (the top two must already be zero).
    // [RFC 8489 §5] "M11 through M0
    // represent a 12-bit encoding of the method.  C1 and C0 represent a
    // 2-bit encoding of the class."
    pub fn from_u16(v: u16) -> MessageType {
        let class = ((v >> 7) & 0b10) | ((v >> 4) & 0b01);
        let method = (v & 0x000F) | ((v >> 1) & 0x0070) | ((v >> 2) & 0x0F80);
        MessageType {
            class: Class::from_bits(class),
            method: Method(method),
        }
    }

    /// Encodes into the first 16 bits of the header.
    pub fn to_u16(self) -> u16 {
        let m = self.method.0;
        let c = self.class.bits();
        (m & 0x000F)
            | ((m & 0x0070) << 1)
            | ((m & 0x0F80) << 2)
            | ((c & 0b01) << 4)
            | ((c & 0b10) << 7)
    }
}

/// A 96-bit transaction ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransactionId(pub [u8; 12]);

impl TransactionId {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// A fresh transaction ID drawn from `rng`, which must be a
    /// cryptographically secure generator.
    // [RFC 8489 §5] "the transaction ID MUST be uniformly
    // and randomly chosen from the interval 0 .. 2**96-1 and MUST be
    // cryptographically random."
    pub fn random<R: rand_core::CryptoRng + rand_core::RngCore + ?Sized>(rng: &mut R) -> Self {
        let mut b = [0u8; 12];
        rng.fill_bytes(&mut b);
        TransactionId(b)
    }
}

impl std::fmt::Display for TransactionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// One attribute as it appears on the wire: type, value and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// The attribute type.
    pub attr_type: AttributeType,
    /// The value, without padding.
    pub value: &'a [u8],
    /// Offset of the attribute header from the start of the message.
    pub offset: usize,
}

/// A parsed STUN message borrowing its bytes.
///
/// Parsing checks the header and walks every attribute header once (no
/// allocation); attribute values are decoded on demand with
/// [`Message::attributes`] or [`Message::get`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    bytes: &'a [u8],
    message_type: MessageType,
    cookie: u32,
    transaction_id: TransactionId,
    integrity: Option<usize>,
    integrity_sha256: Option<usize>,
    fingerprint: Option<usize>,
    /// End of the attributes a receiver processes (RFC 8489 §9).
    processed_end: usize,
}

fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(s) => u16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}

impl<'a> Message<'a> {
    /// Parses one datagram holding exactly one STUN message.
    pub fn parse(bytes: &'a [u8]) -> Result<Message<'a>, ParseError> {
        let header = bytes
            .get(..HEADER_LEN)
            .ok_or(ParseError::TooShort { len: bytes.len() })?;
        if header[0] & 0xC0 != 0 {
            return Err(ParseError::NotStun { first: header[0] });
        }
        let length = be16(header, 2);
        let available = bytes.len() - HEADER_LEN;
        if usize::from(length) != available {
            return Err(ParseError::LengthMismatch { length, available });
        }
        Self::parse_checked(bytes)
    }

    /// Parses the STUN message at the start of `bytes` (stream framing) and
    /// returns it with the bytes after it.
    pub fn parse_prefix(bytes: &'a [u8]) -> Result<(Message<'a>, &'a [u8]), ParseError> {
        let header = bytes
            .get(..HEADER_LEN)
            .ok_or(ParseError::TooShort { len: bytes.len() })?;
        let length = usize::from(be16(header, 2));
        let end = HEADER_LEN + length;
        let msg_bytes = bytes.get(..end).ok_or(ParseError::LengthMismatch {
            length: length as u16,
            available: bytes.len() - HEADER_LEN,
        })?;
        Ok((Self::parse_checked(msg_bytes)?, &bytes[end..]))
    }

    fn parse_checked(bytes: &'a [u8]) -> Result<Message<'a>, ParseError> {
        let first = bytes[0];
        // [RFC 8489 §5] "The most significant 2 bits of every STUN message MUST be zeroes."
        if first & 0xC0 != 0 {
            return Err(ParseError::NotStun { first });
        }
        let length = be16(bytes, 2);
        // [RFC 8489 §5] "Since all STUN attributes are
        // padded to a multiple of 4 bytes, the last 2 bits of this field are
        // always zero."
        if length % 4 != 0 {
            return Err(ParseError::LengthNotAligned { length });
        }
        let message_type = MessageType::from_u16(be16(bytes, 0));
        let cookie = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        let mut tid = [0u8; 12];
        tid.copy_from_slice(&bytes[8..20]);
        let mut msg = Message {
            bytes,
            message_type,
            cookie,
            transaction_id: TransactionId(tid),
            integrity: None,
            integrity_sha256: None,
            fingerprint: None,
            processed_end: bytes.len(),
        };
        let mut offset = HEADER_LEN;
        let mut processed_end: Option<usize> = None;
        while offset < bytes.len() {
            let available = bytes.len() - offset;
            if available < 4 {
                return Err(ParseError::AttributeTruncated {
                    offset,
                    attr_type: 0,
                    length: 0,
                    available,
                });
            }
            let attr_type = be16(bytes, offset);
            let len = be16(bytes, offset + 2);
            let padded = (usize::from(len) + 3) & !3;
            if padded > available - 4 {
                return Err(ParseError::AttributeTruncated {
                    offset,
                    attr_type,
                    length: len,
                    available,
                });
            }
            if msg.fingerprint.is_some() {
                // [RFC 8489 §14.7] "When present, the FINGERPRINT attribute MUST be the last attribute in
                // the message"
                return Err(ParseError::FingerprintNotLast { offset, attr_type });
            }
            match AttributeType(attr_type) {
                AttributeType::FINGERPRINT => msg.fingerprint = Some(offset),
                _ if processed_end.is_some() => {}
                AttributeType::MESSAGE_INTEGRITY
                    if msg.integrity.is_none() && msg.integrity_sha256.is_none() =>
                {
                    msg.integrity = Some(offset);
                }
                AttributeType::MESSAGE_INTEGRITY_SHA256 if msg.integrity_sha256.is_none() => {
                    msg.integrity_sha256 = Some(offset);
                }
                _ => {
                    // [RFC 8489 §9] "Note that agents MUST ignore all attributes that follow MESSAGE-
                    // INTEGRITY, with the exception of the MESSAGE-INTEGRITY-SHA256 and
                    // FINGERPRINT attributes."
                    if msg.integrity.is_some() || msg.integrity_sha256.is_some() {
                        processed_end = Some(offset);
                    }
                }
            }
            offset += 4 + padded;
        }
        msg.processed_end = processed_end.unwrap_or(bytes.len());
        Ok(msg)
    }

    /// The message bytes (header included).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Class and method.
    pub fn message_type(&self) -> MessageType {
        self.message_type
    }

    /// The class.
    pub fn class(&self) -> Class {
        self.message_type.class
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.message_type.method
    }

    /// The 96-bit transaction ID (the bytes after the cookie field).
    pub fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    /// True when the cookie field holds the magic cookie (RFC 5389 or later);
    /// false for a classic RFC 3489 message.
    pub fn has_magic_cookie(&self) -> bool {
        self.cookie == MAGIC_COOKIE
    }

    /// The 128-bit transaction ID of a classic RFC 3489 message (the cookie
    /// field is part of it there).
    pub fn classic_transaction_id(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.bytes[4..20]);
        out
    }

    /// Offset of the first MESSAGE-INTEGRITY attribute, if present.
    pub fn integrity_offset(&self) -> Option<usize> {
        self.integrity
    }

    /// Offset of the MESSAGE-INTEGRITY-SHA256 attribute that counts, if present.
    pub fn integrity_sha256_offset(&self) -> Option<usize> {
        self.integrity_sha256
    }

    /// Offset of the FINGERPRINT attribute, if present.
    pub fn fingerprint_offset(&self) -> Option<usize> {
        self.fingerprint
    }

    /// Every attribute in wire order (integrity and fingerprint included).
    pub fn raw_attributes(&self) -> RawAttributes<'a> {
        RawAttributes {
            bytes: self.bytes,
            offset: HEADER_LEN,
            end: self.bytes.len(),
        }
    }

    /// The attributes a receiver processes: all of them up to MESSAGE-INTEGRITY
    /// (or MESSAGE-INTEGRITY-SHA256), then only those two and FINGERPRINT.
    pub fn processed_attributes(&self) -> impl Iterator<Item = RawAttribute<'a>> + 'a {
        let end = self.processed_end;
        let keep = [self.integrity, self.integrity_sha256, self.fingerprint];
        self.raw_attributes()
            .filter(move |a| a.offset < end || keep.contains(&Some(a.offset)))
    }

    /// Every attribute in wire order, decoded.
    pub fn attributes(&self) -> impl Iterator<Item = Result<Attribute<'a>, AttributeError>> + 'a {
        let tid = self.transaction_id;
        self.raw_attributes().map(move |raw| {
            Attribute::decode(raw.attr_type, raw.value, &tid).map_err(|mut e| {
                e.offset = raw.offset;
                e
            })
        })
    }

    /// The first processed occurrence of `attr_type`, raw.
    pub fn get_raw(&self, attr_type: AttributeType) -> Option<RawAttribute<'a>> {
        // [RFC 8489 §14] "only the first occurrence needs to be processed by a receiver, and
        // any duplicates MAY be ignored by a receiver."
        self.processed_attributes()
            .find(|a| a.attr_type == attr_type)
    }

    /// The first processed occurrence of `attr_type`, decoded.
    pub fn get(&self, attr_type: AttributeType) -> Option<Result<Attribute<'a>, AttributeError>> {
        let raw = self.get_raw(attr_type)?;
        Some(
            Attribute::decode(raw.attr_type, raw.value, &self.transaction_id).map_err(|mut e| {
                e.offset = raw.offset;
                e
            }),
        )
    }

    /// The comprehension-required attribute types that `understood` rejects,
    /// each listed once, in wire order: the list for a 420 response.
    pub fn unknown_comprehension_required(
        &self,
        understood: impl Fn(AttributeType) -> bool,
    ) -> Vec<AttributeType> {
        let mut out: Vec<AttributeType> = Vec::new();
        for a in self.processed_attributes() {
            // [RFC 8489 §6.3] "Unknown comprehension-optional attributes MUST be ignored
            // by the agent."
            if a.attr_type.is_comprehension_required()
                && !understood(a.attr_type)
                && !out.contains(&a.attr_type)
            {
                out.push(a.attr_type);
            }
        }
        out
    }

    /// [`Message::unknown_comprehension_required`] with this crate's decoder as
    /// the judge of what is understood.
    pub fn unknown_attributes(&self) -> Vec<AttributeType> {
        self.unknown_comprehension_required(AttributeType::is_known)
    }
}

/// Iterator over the attributes of a parsed message.
#[derive(Debug, Clone)]
pub struct RawAttributes<'a> {
    bytes: &'a [u8],
    offset: usize,
    end: usize,
}

impl<'a> Iterator for RawAttributes<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<RawAttribute<'a>> {
        if self.offset + 4 > self.end {
            return None;
        }
        let offset = self.offset;
        let attr_type = AttributeType(be16(self.bytes, offset));
        let len = usize::from(be16(self.bytes, offset + 2));
        // Lengths were validated by `Message::parse`.
        let value = self.bytes.get(offset + 4..offset + 4 + len)?;
        self.offset = offset + 4 + ((len + 3) & !3);
        Some(RawAttribute {
            attr_type,
            value,
            offset,
        })
    }
}

/// Writes a STUN message into a caller-owned buffer.
///
/// The header's Message Length is kept up to date after every attribute,
/// so integrity and fingerprint can be appended at any point.
#[derive(Debug)]
pub struct MessageWriter<'b> {
    buf: &'b mut Vec<u8>,
    start: usize,
    transaction_id: TransactionId,
    finished: bool,
    padding: u8,
}

impl<'b> MessageWriter<'b> {
    /// Starts a message (RFC 5389 and later, with the magic cookie) at the
    /// end of `buf`.
    pub fn new(
        buf: &'b mut Vec<u8>,
        message_type: MessageType,
        transaction_id: TransactionId,
    ) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&message_type.to_u16().to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        // [RFC 8489 §5] "The Magic Cookie field MUST contain the fixed value 0x2112A442 in
        // network byte order."
        buf.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        buf.extend_from_slice(&transaction_id.0);
        MessageWriter {
            buf,
            start,
            transaction_id,
            finished: false,
            padding: 0,
        }
    }

    /// Starts a classic RFC 3489 message with a 128-bit transaction ID.
    pub fn new_classic(
        buf: &'b mut Vec<u8>,
        message_type: MessageType,
        transaction_id: [u8; 16],
    ) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&message_type.to_u16().to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&transaction_id);
        let mut tid = [0u8; 12];
        tid.copy_from_slice(&transaction_id[4..]);
        MessageWriter {
            buf,
            start,
            transaction_id: TransactionId(tid),
            finished: false,
            padding: 0,
        }
    }

    /// Sets the byte used to pad attribute values (0 by default, as RFC 8489
    /// §14 requires). RFC 5389 allowed any value; this exists to reproduce
    /// messages such as the RFC 5769 vectors, which pad with spaces.
    pub fn padding_byte(&mut self, byte: u8) -> &mut Self {
        self.padding = byte;
        self
    }

    /// The transaction ID being written.
    pub fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    fn body_len(&self) -> usize {
        self.buf.len() - self.start - HEADER_LEN
    }

    // [RFC 8489 §5] "The message length MUST contain the size of the message in bytes, not
    // including the 20-byte STUN header."
    fn set_length(&mut self, len: usize) {
        let l = (len as u16).to_be_bytes();
        self.buf[self.start + 2] = l[0];
        self.buf[self.start + 3] = l[1];
    }

    /// Appends a typed attribute.
    pub fn attribute(&mut self, attr: &Attribute<'_>) -> Result<&mut Self, EncodeError> {
        if self.finished {
            return Err(EncodeError::AfterFingerprint);
        }
        let tid = self.transaction_id;
        let header_at = self.buf.len();
        self.buf
            .extend_from_slice(&attr.attr_type().0.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        if let Err(e) = attr.encode_value(self.buf, &tid) {
            self.buf.truncate(header_at);
            return Err(e);
        }
        self.close_attribute(header_at, attr.attr_type().0)
    }

    /// Appends an attribute given its type and raw value.
    pub fn raw_attribute(
        &mut self,
        attr_type: AttributeType,
        value: &[u8],
    ) -> Result<&mut Self, EncodeError> {
        if self.finished {
            return Err(EncodeError::AfterFingerprint);
        }
        let header_at = self.buf.len();
        self.buf.extend_from_slice(&attr_type.0.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        self.buf.extend_from_slice(value);
        self.close_attribute(header_at, attr_type.0)
    }

    fn close_attribute(
        &mut self,
        header_at: usize,
        attr_type: u16,
    ) -> Result<&mut Self, EncodeError> {
        let len = self.buf.len() - header_at - 4;
        let Ok(len16) = u16::try_from(len) else {
            self.buf.truncate(header_at);
            return Err(EncodeError::ValueTooLong { attr_type, len });
        };
        self.buf[header_at + 2..header_at + 4].copy_from_slice(&len16.to_be_bytes());
        // [RFC 8489 §14] "Each STUN attribute MUST end on a 32-bit boundary."
        // [RFC 8489 §14] "The
        // padding bits MUST be set to zero on sending and MUST be ignored by the
        // receiver."
        self.buf
            .resize(self.buf.len() + (4 - len % 4) % 4, self.padding);
        let body = self.body_len();
        if body > MAX_BODY_LEN {
            self.buf.truncate(header_at);
            return Err(EncodeError::MessageTooLong { len: body });
        }
        self.set_length(body);
        Ok(self)
    }

    /// Appends MESSAGE-INTEGRITY (HMAC-SHA1) computed with `key`.
    pub fn message_integrity(
        &mut self,
        key: &crate::integrity::IntegrityKey,
    ) -> Result<&mut Self, EncodeError> {
        let header_at = self.buf.len();
        self.raw_attribute(AttributeType::MESSAGE_INTEGRITY, &[0u8; 20])?;
        let mac = crate::integrity::hmac_sha1_adjusted(
            key,
            &self.buf[self.start..],
            header_at - self.start,
        );
        self.buf[header_at + 4..header_at + 24].copy_from_slice(&mac);
        Ok(self)
    }

    /// Appends MESSAGE-INTEGRITY-SHA256 (full 32 bytes) computed with `key`.
    pub fn message_integrity_sha256(
        &mut self,
        key: &crate::integrity::IntegrityKey,
    ) -> Result<&mut Self, EncodeError> {
        let header_at = self.buf.len();
        self.raw_attribute(AttributeType::MESSAGE_INTEGRITY_SHA256, &[0u8; 32])?;
        let mac = crate::integrity::hmac_sha256_adjusted(
            key,
            &self.buf[self.start..],
            header_at - self.start,
            32,
        );
        self.buf[header_at + 4..header_at + 36].copy_from_slice(&mac);
        Ok(self)
    }

    /// Appends FINGERPRINT; no attribute may follow it.
    pub fn fingerprint(&mut self) -> Result<&mut Self, EncodeError> {
        let header_at = self.buf.len();
        // [RFC 8489 §14.7] "When using the FINGERPRINT attribute in a message,
        // the attribute is first placed into the message with a dummy value;
        // then, the CRC is computed, and the value of the attribute is updated."
        self.raw_attribute(AttributeType::FINGERPRINT, &[0u8; 4])?;
        let crc = crate::integrity::fingerprint_of(&self.buf[self.start..header_at]);
        self.buf[header_at + 4..header_at + 8].copy_from_slice(&crc.to_be_bytes());
        self.finished = true;
        Ok(self)
    }

    /// Ends the message and returns its total length in bytes.
    pub fn finish(self) -> usize {
        self.buf.len() - self.start
    }
}
