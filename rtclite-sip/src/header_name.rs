//! Header field names: the ones this crate knows, their compact forms
//! (RFC 3261 §7.3.3) and case-insensitive lookup (RFC 3261 §7.3.1).

/// A header field name. Known names are recognised in long and compact
/// form, case-insensitively; anything else is [`HeaderName::Other`] and keeps
/// its spelling in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HeaderName {
    /// `Via` (compact `v`), RFC 3261 §20.42.
    Via,
    /// `From` (compact `f`), RFC 3261 §20.20.
    From,
    /// `To` (compact `t`), RFC 3261 §20.39.
    To,
    /// `Call-ID` (compact `i`), RFC 3261 §20.8.
    CallId,
    /// `CSeq`, RFC 3261 §20.16.
    CSeq,
    /// `Contact` (compact `m`), RFC 3261 §20.10.
    Contact,
    /// `Max-Forwards`, RFC 3261 §20.22.
    MaxForwards,
    /// `Content-Length` (compact `l`), RFC 3261 §20.14.
    ContentLength,
    /// `Content-Type` (compact `c`), RFC 3261 §20.15.
    ContentType,
    /// `Route`, RFC 3261 §20.34.
    Route,
    /// `Record-Route`, RFC 3261 §20.30.
    RecordRoute,
    /// `Accept`, RFC 3261 §20.1.
    Accept,
    /// `Accept-Encoding`, RFC 3261 §20.2.
    AcceptEncoding,
    /// `Accept-Language`, RFC 3261 §20.3.
    AcceptLanguage,
    /// `Alert-Info`, RFC 3261 §20.4.
    AlertInfo,
    /// `Allow`, RFC 3261 §20.5.
    Allow,
    /// `Allow-Events` (compact `u`), RFC 6665 §8.2.2.
    AllowEvents,
    /// `Authentication-Info`, RFC 3261 §20.6.
    AuthenticationInfo,
    /// `Authorization`, RFC 3261 §20.7.
    Authorization,
    /// `Call-Info`, RFC 3261 §20.9.
    CallInfo,
    /// `Content-Disposition`, RFC 3261 §20.11.
    ContentDisposition,
    /// `Content-Encoding` (compact `e`), RFC 3261 §20.12.
    ContentEncoding,
    /// `Content-Language`, RFC 3261 §20.13.
    ContentLanguage,
    /// `Date`, RFC 3261 §20.17.
    Date,
    /// `Error-Info`, RFC 3261 §20.18.
    ErrorInfo,
    /// `Event` (compact `o`), RFC 6665 §8.2.1.
    Event,
    /// `Expires`, RFC 3261 §20.19.
    Expires,
    /// `In-Reply-To`, RFC 3261 §20.21.
    InReplyTo,
    /// `MIME-Version`, RFC 3261 §20.24.
    MimeVersion,
    /// `Min-Expires`, RFC 3261 §20.23.
    MinExpires,
    /// `Min-SE`, RFC 4028 §5.
    MinSe,
    /// `Organization`, RFC 3261 §20.25.
    Organization,
    /// `P-Asserted-Identity`, RFC 3325 §9.1.
    PAssertedIdentity,
    /// `Path`, RFC 3327 §4.
    Path,
    /// `Priority`, RFC 3261 §20.26.
    Priority,
    /// `Proxy-Authenticate`, RFC 3261 §20.27.
    ProxyAuthenticate,
    /// `Proxy-Authorization`, RFC 3261 §20.28.
    ProxyAuthorization,
    /// `Proxy-Require`, RFC 3261 §20.29.
    ProxyRequire,
    /// `RAck`, RFC 3262 §7.2.
    RAck,
    /// `Reason`, RFC 3326 §2.
    Reason,
    /// `Refer-To` (compact `r`), RFC 3515 §2.1.
    ReferTo,
    /// `Referred-By` (compact `b`), RFC 3892 §3.
    ReferredBy,
    /// `Replaces`, RFC 3891 §6.1.
    Replaces,
    /// `Reply-To`, RFC 3261 §20.31.
    ReplyTo,
    /// `Require`, RFC 3261 §20.32.
    Require,
    /// `Retry-After`, RFC 3261 §20.33.
    RetryAfter,
    /// `RSeq`, RFC 3262 §7.1.
    RSeq,
    /// `Server`, RFC 3261 §20.35.
    Server,
    /// `Session-Expires` (compact `x`), RFC 4028 §4.
    SessionExpires,
    /// `Subject` (compact `s`), RFC 3261 §20.36.
    Subject,
    /// `Subscription-State`, RFC 6665 §8.2.3.
    SubscriptionState,
    /// `Supported` (compact `k`), RFC 3261 §20.37.
    Supported,
    /// `Timestamp`, RFC 3261 §20.38.
    Timestamp,
    /// `Unsupported`, RFC 3261 §20.40.
    Unsupported,
    /// `User-Agent`, RFC 3261 §20.41.
    UserAgent,
    /// `Warning`, RFC 3261 §20.43.
    Warning,
    /// `WWW-Authenticate`, RFC 3261 §20.44.
    WwwAuthenticate,
    /// Any other header field (extension headers).
    #[default]
    Other,
}

impl HeaderName {
    /// Every known name, in the order the lookup tries them.
    pub const ALL: &'static [HeaderName] = &[
        HeaderName::Via,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
        HeaderName::Contact,
        HeaderName::MaxForwards,
        HeaderName::ContentLength,
        HeaderName::ContentType,
        HeaderName::Route,
        HeaderName::RecordRoute,
        HeaderName::Accept,
        HeaderName::AcceptEncoding,
        HeaderName::AcceptLanguage,
        HeaderName::AlertInfo,
        HeaderName::Allow,
        HeaderName::AllowEvents,
        HeaderName::AuthenticationInfo,
        HeaderName::Authorization,
        HeaderName::CallInfo,
        HeaderName::ContentDisposition,
        HeaderName::ContentEncoding,
        HeaderName::ContentLanguage,
        HeaderName::Date,
        HeaderName::ErrorInfo,
        HeaderName::Event,
        HeaderName::Expires,
        HeaderName::InReplyTo,
        HeaderName::MimeVersion,
        HeaderName::MinExpires,
        HeaderName::MinSe,
        HeaderName::Organization,
        HeaderName::PAssertedIdentity,
        HeaderName::Path,
        HeaderName::Priority,
        HeaderName::ProxyAuthenticate,
        HeaderName::ProxyAuthorization,
        HeaderName::ProxyRequire,
        HeaderName::RAck,
        HeaderName::Reason,
        HeaderName::ReferTo,
        HeaderName::ReferredBy,
        HeaderName::Replaces,
        HeaderName::ReplyTo,
        HeaderName::Require,
        HeaderName::RetryAfter,
        HeaderName::RSeq,
        HeaderName::Server,
        HeaderName::SessionExpires,
        HeaderName::Subject,
        HeaderName::SubscriptionState,
        HeaderName::Supported,
        HeaderName::Timestamp,
        HeaderName::Unsupported,
        HeaderName::UserAgent,
        HeaderName::Warning,
        HeaderName::WwwAuthenticate,
    ];

    /// The canonical long form (`"Call-ID"`, `"WWW-Authenticate"`); `""`
    /// for [`HeaderName::Other`].
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderName::Via => "Via",
            HeaderName::From => "From",
            HeaderName::To => "To",
            HeaderName::CallId => "Call-ID",
            HeaderName::CSeq => "CSeq",
            HeaderName::Contact => "Contact",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::Route => "Route",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::Accept => "Accept",
            HeaderName::AcceptEncoding => "Accept-Encoding",
            HeaderName::AcceptLanguage => "Accept-Language",
            HeaderName::AlertInfo => "Alert-Info",
            HeaderName::Allow => "Allow",
            HeaderName::AllowEvents => "Allow-Events",
            HeaderName::AuthenticationInfo => "Authentication-Info",
            HeaderName::Authorization => "Authorization",
            HeaderName::CallInfo => "Call-Info",
            HeaderName::ContentDisposition => "Content-Disposition",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::ContentLanguage => "Content-Language",
            HeaderName::Date => "Date",
            HeaderName::ErrorInfo => "Error-Info",
            HeaderName::Event => "Event",
            HeaderName::Expires => "Expires",
            HeaderName::InReplyTo => "In-Reply-To",
            HeaderName::MimeVersion => "MIME-Version",
            HeaderName::MinExpires => "Min-Expires",
            HeaderName::MinSe => "Min-SE",
            HeaderName::Organization => "Organization",
            HeaderName::PAssertedIdentity => "P-Asserted-Identity",
            HeaderName::Path => "Path",
            HeaderName::Priority => "Priority",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::RAck => "RAck",
            HeaderName::Reason => "Reason",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::ReferredBy => "Referred-By",
            HeaderName::Replaces => "Replaces",
            HeaderName::ReplyTo => "Reply-To",
            HeaderName::Require => "Require",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::RSeq => "RSeq",
            HeaderName::Server => "Server",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::Subject => "Subject",
            HeaderName::SubscriptionState => "Subscription-State",
            HeaderName::Supported => "Supported",
            HeaderName::Timestamp => "Timestamp",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Warning => "Warning",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::Other => "",
        }
    }

    /// The compact form of RFC 3261 §7.3.3 and the extensions, if any.
    pub const fn compact(self) -> Option<char> {
        match self {
            HeaderName::Via => Some('v'),
            HeaderName::From => Some('f'),
            HeaderName::To => Some('t'),
            HeaderName::CallId => Some('i'),
            HeaderName::Contact => Some('m'),
            HeaderName::ContentLength => Some('l'),
            HeaderName::ContentType => Some('c'),
            HeaderName::AllowEvents => Some('u'),
            HeaderName::ContentEncoding => Some('e'),
            HeaderName::Event => Some('o'),
            HeaderName::ReferTo => Some('r'),
            HeaderName::ReferredBy => Some('b'),
            HeaderName::SessionExpires => Some('x'),
            HeaderName::Subject => Some('s'),
            HeaderName::Supported => Some('k'),
            _ => None,
        }
    }

    /// True for fields whose grammar is a comma-separated list, so that
    /// several values may share one line (RFC 3261 §7.3.1). Authentication
    /// fields, Date, User-Agent, Server, Subject and unknown fields are not
    /// split.
    pub const fn is_list(self) -> bool {
        matches!(
            self,
            HeaderName::Via
                | HeaderName::Contact
                | HeaderName::Route
                | HeaderName::RecordRoute
                | HeaderName::Accept
                | HeaderName::AcceptEncoding
                | HeaderName::AcceptLanguage
                | HeaderName::AlertInfo
                | HeaderName::Allow
                | HeaderName::AllowEvents
                | HeaderName::CallInfo
                | HeaderName::ContentEncoding
                | HeaderName::ContentLanguage
                | HeaderName::ErrorInfo
                | HeaderName::InReplyTo
                | HeaderName::PAssertedIdentity
                | HeaderName::Path
                | HeaderName::ProxyRequire
                | HeaderName::Reason
                | HeaderName::Require
                | HeaderName::Supported
                | HeaderName::Unsupported
                | HeaderName::Warning
        )
    }

    /// The specification that defines the field.
    pub const fn defined_in(self) -> &'static str {
        match self {
            HeaderName::Via => "RFC 3261 §20.42",
            HeaderName::From => "RFC 3261 §20.20",
            HeaderName::To => "RFC 3261 §20.39",
            HeaderName::CallId => "RFC 3261 §20.8",
            HeaderName::CSeq => "RFC 3261 §20.16",
            HeaderName::Contact => "RFC 3261 §20.10",
            HeaderName::MaxForwards => "RFC 3261 §20.22",
            HeaderName::ContentLength => "RFC 3261 §20.14",
            HeaderName::ContentType => "RFC 3261 §20.15",
            HeaderName::Route => "RFC 3261 §20.34",
            HeaderName::RecordRoute => "RFC 3261 §20.30",
            HeaderName::Accept => "RFC 3261 §20.1",
            HeaderName::AcceptEncoding => "RFC 3261 §20.2",
            HeaderName::AcceptLanguage => "RFC 3261 §20.3",
            HeaderName::AlertInfo => "RFC 3261 §20.4",
            HeaderName::Allow => "RFC 3261 §20.5",
            HeaderName::AllowEvents => "RFC 6665 §8.2.2",
            HeaderName::AuthenticationInfo => "RFC 3261 §20.6",
            HeaderName::Authorization => "RFC 3261 §20.7",
            HeaderName::CallInfo => "RFC 3261 §20.9",
            HeaderName::ContentDisposition => "RFC 3261 §20.11",
            HeaderName::ContentEncoding => "RFC 3261 §20.12",
            HeaderName::ContentLanguage => "RFC 3261 §20.13",
            HeaderName::Date => "RFC 3261 §20.17",
            HeaderName::ErrorInfo => "RFC 3261 §20.18",
            HeaderName::Event => "RFC 6665 §8.2.1",
            HeaderName::Expires => "RFC 3261 §20.19",
            HeaderName::InReplyTo => "RFC 3261 §20.21",
            HeaderName::MimeVersion => "RFC 3261 §20.24",
            HeaderName::MinExpires => "RFC 3261 §20.23",
            HeaderName::MinSe => "RFC 4028 §5",
            HeaderName::Organization => "RFC 3261 §20.25",
            HeaderName::PAssertedIdentity => "RFC 3325 §9.1",
            HeaderName::Path => "RFC 3327 §4",
            HeaderName::Priority => "RFC 3261 §20.26",
            HeaderName::ProxyAuthenticate => "RFC 3261 §20.27",
            HeaderName::ProxyAuthorization => "RFC 3261 §20.28",
            HeaderName::ProxyRequire => "RFC 3261 §20.29",
            HeaderName::RAck => "RFC 3262 §7.2",
            HeaderName::Reason => "RFC 3326 §2",
            HeaderName::ReferTo => "RFC 3515 §2.1",
            HeaderName::ReferredBy => "RFC 3892 §3",
            HeaderName::Replaces => "RFC 3891 §6.1",
            HeaderName::ReplyTo => "RFC 3261 §20.31",
            HeaderName::Require => "RFC 3261 §20.32",
            HeaderName::RetryAfter => "RFC 3261 §20.33",
            HeaderName::RSeq => "RFC 3262 §7.1",
            HeaderName::Server => "RFC 3261 §20.35",
            HeaderName::SessionExpires => "RFC 4028 §4",
            HeaderName::Subject => "RFC 3261 §20.36",
            HeaderName::SubscriptionState => "RFC 6665 §8.2.3",
            HeaderName::Supported => "RFC 3261 §20.37",
            HeaderName::Timestamp => "RFC 3261 §20.38",
            HeaderName::Unsupported => "RFC 3261 §20.40",
            HeaderName::UserAgent => "RFC 3261 §20.41",
            HeaderName::Warning => "RFC 3261 §20.43",
            HeaderName::WwwAuthenticate => "RFC 3261 §20.44",
            HeaderName::Other => "",
        }
    }

    /// Looks a name up, long or compact form, ignoring case.
    pub fn from_name(name: &str) -> Self {
        Self::from_bytes(name.as_bytes())
    }

    /// [`HeaderName::from_name`] on bytes.
    pub fn from_bytes(b: &[u8]) -> Self {
        // CR (0x0d) would fold to '-' in the word comparison below
        if b.contains(&0x0d) {
            return HeaderName::Other;
        }
        Self::from_token(b)
    }

    /// [`HeaderName::from_bytes`] for a name the parser has already
    /// checked to be a `token` (so without CR).
    pub(crate) fn from_token(b: &[u8]) -> Self {
        if let [c] = b {
            // [RFC 3261 §7.3.3] "SIP provides a mechanism to represent common header field
            // names in an abbreviated form"
            return match c.to_ascii_lowercase() {
                b'v' => HeaderName::Via,
                b'f' => HeaderName::From,
                b't' => HeaderName::To,
                b'i' => HeaderName::CallId,
                b'm' => HeaderName::Contact,
                b'l' => HeaderName::ContentLength,
                b'c' => HeaderName::ContentType,
                b'u' => HeaderName::AllowEvents,
                b'e' => HeaderName::ContentEncoding,
                b'o' => HeaderName::Event,
                b'r' => HeaderName::ReferTo,
                b'b' => HeaderName::ReferredBy,
                b'x' => HeaderName::SessionExpires,
                b's' => HeaderName::Subject,
                b'k' => HeaderName::Supported,
                _ => HeaderName::Other,
            };
        }
        // [RFC 3261 §7.3.1] "When comparing header fields, field names are always case-insensitive."
        let candidates: &[(&[u8], HeaderName)] = match b.len() {
            2 => &[(b"to", HeaderName::To)],
            3 => &[(b"via", HeaderName::Via)],
            4 => &[
                (b"from", HeaderName::From),
                (b"cseq", HeaderName::CSeq),
                (b"date", HeaderName::Date),
                (b"path", HeaderName::Path),
                (b"rack", HeaderName::RAck),
                (b"rseq", HeaderName::RSeq),
            ],
            5 => &[
                (b"route", HeaderName::Route),
                (b"allow", HeaderName::Allow),
                (b"event", HeaderName::Event),
            ],
            6 => &[
                (b"accept", HeaderName::Accept),
                (b"min-se", HeaderName::MinSe),
                (b"reason", HeaderName::Reason),
                (b"server", HeaderName::Server),
            ],
            7 => &[
                (b"call-id", HeaderName::CallId),
                (b"contact", HeaderName::Contact),
                (b"expires", HeaderName::Expires),
                (b"require", HeaderName::Require),
                (b"subject", HeaderName::Subject),
                (b"warning", HeaderName::Warning),
            ],
            8 => &[
                (b"priority", HeaderName::Priority),
                (b"refer-to", HeaderName::ReferTo),
                (b"replaces", HeaderName::Replaces),
                (b"reply-to", HeaderName::ReplyTo),
            ],
            9 => &[
                (b"call-info", HeaderName::CallInfo),
                (b"supported", HeaderName::Supported),
                (b"timestamp", HeaderName::Timestamp),
            ],
            10 => &[
                (b"alert-info", HeaderName::AlertInfo),
                (b"error-info", HeaderName::ErrorInfo),
                (b"user-agent", HeaderName::UserAgent),
            ],
            11 => &[
                (b"in-reply-to", HeaderName::InReplyTo),
                (b"min-expires", HeaderName::MinExpires),
                (b"referred-by", HeaderName::ReferredBy),
                (b"retry-after", HeaderName::RetryAfter),
                (b"unsupported", HeaderName::Unsupported),
            ],
            12 => &[
                (b"max-forwards", HeaderName::MaxForwards),
                (b"content-type", HeaderName::ContentType),
                (b"record-route", HeaderName::RecordRoute),
                (b"allow-events", HeaderName::AllowEvents),
                (b"mime-version", HeaderName::MimeVersion),
                (b"organization", HeaderName::Organization),
            ],
            13 => &[
                (b"authorization", HeaderName::Authorization),
                (b"proxy-require", HeaderName::ProxyRequire),
            ],
            14 => &[(b"content-length", HeaderName::ContentLength)],
            15 => &[
                (b"accept-encoding", HeaderName::AcceptEncoding),
                (b"accept-language", HeaderName::AcceptLanguage),
                (b"session-expires", HeaderName::SessionExpires),
            ],
            16 => &[
                (b"content-encoding", HeaderName::ContentEncoding),
                (b"content-language", HeaderName::ContentLanguage),
                (b"www-authenticate", HeaderName::WwwAuthenticate),
            ],
            18 => &[
                (b"proxy-authenticate", HeaderName::ProxyAuthenticate),
                (b"subscription-state", HeaderName::SubscriptionState),
            ],
            19 => &[
                (b"authentication-info", HeaderName::AuthenticationInfo),
                (b"content-disposition", HeaderName::ContentDisposition),
                (b"p-asserted-identity", HeaderName::PAssertedIdentity),
                (b"proxy-authorization", HeaderName::ProxyAuthorization),
            ],
            _ => &[],
        };
        for (lower, h) in candidates {
            if eq_folded(lower, b) {
                return *h;
            }
        }
        HeaderName::Other
    }
}

/// True when `b` (without CR) is `lower`, a known name of the same length
/// made of lower-case letters and '-', in any case. Every byte of a known
/// name has bit 0x20 set, so OR-ing 0x20 into `b` folds its case; the
/// names are compared as two overlapping words (three above 16 bytes).
fn eq_folded(lower: &[u8], b: &[u8]) -> bool {
    #[inline]
    fn w8(s: &[u8], at: usize) -> u64 {
        s.get(at..)
            .and_then(|r| r.first_chunk::<8>())
            .map_or(0, |c| u64::from_le_bytes(*c))
    }
    #[inline]
    fn w4(s: &[u8], at: usize) -> u32 {
        s.get(at..)
            .and_then(|r| r.first_chunk::<4>())
            .map_or(0, |c| u32::from_le_bytes(*c))
    }
    const F8: u64 = 0x2020_2020_2020_2020;
    const F4: u32 = 0x2020_2020;
    let n = b.len();
    if lower.len() != n {
        return false;
    }
    match n {
        8..=16 => w8(b, 0) | F8 == w8(lower, 0) && w8(b, n - 8) | F8 == w8(lower, n - 8),
        17..=24 => {
            w8(b, 0) | F8 == w8(lower, 0)
                && w8(b, 8) | F8 == w8(lower, 8)
                && w8(b, n - 8) | F8 == w8(lower, n - 8)
        }
        4..=7 => w4(b, 0) | F4 == w4(lower, 0) && w4(b, n - 4) | F4 == w4(lower, n - 4),
        _ => lower.iter().zip(b).all(|(x, y)| *x == (y | 0x20)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changing any one byte of a known name into any other byte (a case
    /// change aside) never yields that name: the word comparison is exact.
    #[test]
    fn one_byte_off_is_never_the_name() {
        for &h in HeaderName::ALL {
            let name = h.as_str().as_bytes();
            if name.len() < 2 {
                continue;
            }
            for i in 0..name.len() {
                for c in 0..=255u8 {
                    if c.eq_ignore_ascii_case(&name[i]) {
                        continue;
                    }
                    let mut v = name.to_vec();
                    v[i] = c;
                    assert_ne!(
                        HeaderName::from_bytes(&v),
                        h,
                        "{:?}",
                        String::from_utf8_lossy(&v)
                    );
                }
            }
        }
    }

    #[test]
    fn every_known_name_round_trips_in_any_case() {
        for &h in HeaderName::ALL {
            assert_eq!(HeaderName::from_name(h.as_str()), h);
            assert_eq!(HeaderName::from_name(&h.as_str().to_ascii_uppercase()), h);
            assert_eq!(HeaderName::from_name(&h.as_str().to_ascii_lowercase()), h);
            if let Some(c) = h.compact() {
                assert_eq!(HeaderName::from_name(&c.to_string()), h);
                assert_eq!(
                    HeaderName::from_name(&c.to_ascii_uppercase().to_string()),
                    h
                );
            }
        }
        assert_eq!(HeaderName::from_name("X-Custom"), HeaderName::Other);
        assert_eq!(HeaderName::from_name("Call\rID"), HeaderName::Other);
        assert_eq!(HeaderName::from_name("Content-Length\r"), HeaderName::Other);
        assert_eq!(HeaderName::from_name(""), HeaderName::Other);
        assert_eq!(HeaderName::from_name("z"), HeaderName::Other);
    }
}
