//! Typed accessors on [`Message`]: each parses the header value on demand
//! and reports errors with the header name and byte offset.

use std::borrow::Cow;

use crate::error::{Error, ErrorKind};
use crate::header_name::HeaderName;
use crate::headers::{
    AuthValue, CSeq, Contact, MediaType, NameAddr, RAck, Timestamp, ValueParams, Via, Warning,
    check_token,
};
use crate::message::Message;
use crate::syntax::{parse_u32, trim_lws};
use crate::uri::Uri;

impl<'a> Message<'a> {
    fn locate(&self, name: HeaderName, offset: usize, e: Error) -> Error {
        let e = if e.header().is_none() {
            e.in_header(name)
        } else {
            e
        };
        if e.offset().is_none() {
            e.at(offset)
        } else {
            e
        }
    }

    fn missing(&self, name: HeaderName) -> Error {
        Error::new(ErrorKind::MissingHeader)
            .in_header(name)
            .rfc("RFC 3261 §8.1.1")
    }

    /// The single value of a header field that must appear once: first line,
    /// whole value; several lines with different values are an error.
    fn single(&self, name: HeaderName) -> Result<(usize, &'a str), Error> {
        if let Some((h, offset, false)) = self.core_header(name) {
            return Ok((offset, h.raw_value()));
        }
        let mut it = self.headers_of(name);
        let first = it.next().ok_or_else(|| self.missing(name))?;
        for other in it {
            if other.raw_value() != first.raw_value() {
                return Err(Error::new(ErrorKind::DuplicateHeader)
                    .in_header(name)
                    .rfc("RFC 3261 §7.3.1"));
            }
        }
        let off = self.value_offset(name).unwrap_or(0);
        Ok((off, first.raw_value()))
    }

    fn typed_single<T>(
        &self,
        name: HeaderName,
        f: impl FnOnce(&'a str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let (off, v) = self.single(name)?;
        f(v).map_err(|e| self.locate(name, off, e))
    }

    fn typed_list<T: 'a>(
        &self,
        name: HeaderName,
        f: impl Fn(&'a str) -> Result<T, Error> + 'a,
    ) -> impl Iterator<Item = Result<T, Error>> + '_ {
        self.values_of(name).map(move |(off, v)| {
            f(v).map_err(|e| {
                let e = if e.header().is_none() {
                    e.in_header(name)
                } else {
                    e
                };
                if e.offset().is_none() { e.at(off) } else { e }
            })
        })
    }

    /// The Request-URI parsed (requests only).
    pub fn request_uri_parsed(&self) -> Option<Result<Uri<'a>, Error>> {
        self.request_uri()
            .map(|u| Uri::parse(u).map_err(|e| if e.offset().is_none() { e.at(0) } else { e }))
    }

    /// Every Via value, topmost first.
    pub fn via(&self) -> impl Iterator<Item = Result<Via<'a>, Error>> + '_ {
        self.typed_list(HeaderName::Via, Via::parse)
    }

    /// The topmost Via value.
    pub fn top_via(&self) -> Result<Via<'a>, Error> {
        let (h, off, _) = self
            .core_header(HeaderName::Via)
            .ok_or_else(|| self.missing(HeaderName::Via))?;
        let raw = h.raw_value();
        let first = match crate::syntax::find_top(raw, b',') {
            Some(i) => raw.get(..i).unwrap_or_default(),
            None => raw,
        };
        Via::parse(first).map_err(|e| self.locate(HeaderName::Via, off, e))
    }

    /// The From header field (`from` is the RFC's name for it).
    pub fn from(&self) -> Result<NameAddr<'a>, Error> {
        self.typed_single(HeaderName::From, NameAddr::parse)
    }

    /// The To header field.
    pub fn to(&self) -> Result<NameAddr<'a>, Error> {
        self.typed_single(HeaderName::To, NameAddr::parse)
    }

    /// The Call-ID (`word [ "@" word ]`), compared case-sensitively.
    pub fn call_id(&self) -> Result<&'a str, Error> {
        self.typed_single(HeaderName::CallId, |v| {
            let v = trim_lws(v);
            if v.is_empty() || v.bytes().any(|b| b <= b' ' || b == 0x7f) {
                Err(crate::error::syntax("Call-ID must be word [\"@\" word]").rfc("RFC 3261 §20.8"))
            } else {
                Ok(v)
            }
        })
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq<'a>, Error> {
        self.typed_single(HeaderName::CSeq, CSeq::parse)
    }

    fn number(&self, name: HeaderName) -> Option<Result<u32, Error>> {
        self.header(name)?;
        Some(self.typed_single(name, |v| {
            parse_u32(trim_lws(v))
                .ok_or_else(|| crate::error::syntax("expected 1*DIGIT").rfc(name.defined_in()))
        }))
    }

    /// Max-Forwards (0-255 in practice; any 32-bit value is accepted).
    pub fn max_forwards(&self) -> Option<Result<u32, Error>> {
        self.number(HeaderName::MaxForwards)
    }

    /// Content-Length as written.
    pub fn content_length(&self) -> Option<Result<u32, Error>> {
        self.number(HeaderName::ContentLength)
    }

    /// Expires in seconds.
    pub fn expires(&self) -> Option<Result<u32, Error>> {
        self.number(HeaderName::Expires)
    }

    /// Min-Expires in seconds.
    pub fn min_expires(&self) -> Option<Result<u32, Error>> {
        self.number(HeaderName::MinExpires)
    }

    /// RSeq (RFC 3262 §7.1).
    pub fn rseq(&self) -> Option<Result<u32, Error>> {
        self.number(HeaderName::RSeq)
    }

    /// RAck (RFC 3262 §7.2).
    pub fn rack(&self) -> Option<Result<RAck<'a>, Error>> {
        self.header(HeaderName::RAck)?;
        Some(self.typed_single(HeaderName::RAck, RAck::parse))
    }

    /// Content-Type.
    pub fn content_type(&self) -> Option<Result<MediaType<'a>, Error>> {
        self.header(HeaderName::ContentType)?;
        Some(self.typed_single(HeaderName::ContentType, MediaType::parse))
    }

    /// Contact values (`*` or addresses).
    pub fn contacts(&self) -> impl Iterator<Item = Result<Contact<'a>, Error>> + '_ {
        self.typed_list(HeaderName::Contact, Contact::parse)
    }

    /// Every value of a header field holding name-addrs: From, To, Route,
    /// Record-Route, Path, P-Asserted-Identity, Refer-To, Referred-By,
    /// Reply-To (Contact too, without `*`).
    pub fn name_addrs(
        &self,
        name: HeaderName,
    ) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + '_ {
        self.typed_list(name, NameAddr::parse)
    }

    /// Route values, in order.
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + '_ {
        self.name_addrs(HeaderName::Route)
    }

    /// Record-Route values, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + '_ {
        self.name_addrs(HeaderName::RecordRoute)
    }

    /// Every token of a token-list field: Allow, Supported, Require,
    /// Proxy-Require, Unsupported, Allow-Events, Content-Encoding,
    /// Accept-Encoding (without parameters), Content-Language.
    pub fn tokens(&self, name: HeaderName) -> impl Iterator<Item = Result<&'a str, Error>> + '_ {
        self.typed_list(name, check_token)
    }

    /// `value;params` fields: Event, Subscription-State, Session-Expires,
    /// Min-SE, Reason, Replaces, Content-Disposition, Retry-After.
    pub fn value_params(
        &self,
        name: HeaderName,
    ) -> impl Iterator<Item = Result<ValueParams<'a>, Error>> + '_ {
        self.typed_list(name, ValueParams::parse)
    }

    /// Challenges of WWW-Authenticate or Proxy-Authenticate, and credentials
    /// of Authorization or Proxy-Authorization, in order. Credentials are
    /// one per header field line (RFC 3261 §20.7, the parameters themselves
    /// are comma-separated); a challenge line may hold several challenges
    /// (RFC 7235 §4.1, e.g. `Digest ..., Digest ...` or `Basic ..., Digest
    /// ...`), which are split with [`AuthValue::parse_challenges`].
    pub fn auth(
        &self,
        name: HeaderName,
    ) -> impl Iterator<Item = Result<AuthValue<'a>, Error>> + '_ {
        let split = matches!(
            name,
            HeaderName::WwwAuthenticate | HeaderName::ProxyAuthenticate
        );
        self.headers_of(name).flat_map(move |h| {
            let raw = h.raw_value();
            let (one, many) = if split {
                (None, Some(AuthValue::parse_challenges(raw)))
            } else {
                (Some(AuthValue::parse(raw)), None)
            };
            one.into_iter()
                .chain(many.into_iter().flatten())
                .map(move |r| r.map_err(|e| e.in_header(name)))
        })
    }

    /// Authentication-Info (parameters only).
    pub fn authentication_info(&self) -> Option<Result<AuthValue<'a>, Error>> {
        self.header(HeaderName::AuthenticationInfo).map(|h| {
            AuthValue::parse_params_only(h.raw_value())
                .map_err(|e| e.in_header(HeaderName::AuthenticationInfo))
        })
    }

    /// Warning values.
    pub fn warnings(&self) -> impl Iterator<Item = Result<Warning<'a>, Error>> + '_ {
        self.typed_list(HeaderName::Warning, Warning::parse)
    }

    /// Timestamp.
    pub fn timestamp(&self) -> Option<Result<Timestamp<'a>, Error>> {
        self.header(HeaderName::Timestamp)?;
        Some(self.typed_single(HeaderName::Timestamp, Timestamp::parse))
    }

    /// User-Agent as written (product tokens and comments).
    pub fn user_agent(&self) -> Option<Cow<'a, str>> {
        self.header(HeaderName::UserAgent).map(|h| h.value())
    }

    /// Server as written.
    pub fn server(&self) -> Option<Cow<'a, str>> {
        self.header(HeaderName::Server).map(|h| h.value())
    }

    /// Date (RFC 3261 §20.17) checked against `rfc1123-date`, whose only time
    /// zone is `GMT`.
    pub fn date(&self) -> Option<Result<&'a str, Error>> {
        self.header(HeaderName::Date)?;
        Some(self.typed_single(HeaderName::Date, |v| {
            let v = trim_lws(v);
            if is_rfc1123_date(v) {
                Ok(v)
            } else {
                // [RFC 3261 §20.17] "SIP restricts the time zone in SIP-date to "GMT""
                Err(
                    crate::error::syntax("Date is not wkday \", \" date1 SP time SP \"GMT\"")
                        .rfc("RFC 3261 §25.1"),
                )
            }
        }))
    }
}

/// `wkday "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"`.
fn is_rfc1123_date(v: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = v.split(' ').collect();
    let [wkday, day, month, year, time, zone] = parts.as_slice() else {
        return false;
    };
    let time_ok = {
        let t: Vec<&str> = time.split(':').collect();
        t.len() == 3 && t.iter().all(|x| digits(x, 2))
    };
    wkday.strip_suffix(',').is_some_and(|d| DAYS.contains(&d))
        && digits(day, 2)
        && MONTHS.contains(month)
        && digits(year, 4)
        && time_ok
        && *zone == "GMT"
}
