//! Dialogs (RFC 3261 §12): the state two user agents share between an
//! INVITE (or another dialog-creating request) and its end.
//!
//! A [`Dialog`] is created from the request and the response that
//! establishes it — [`Dialog::uac`] on the side that sent the request
//! (§12.1.2), [`Dialog::uas`] on the side that answered (§12.1.1) — and then
//! builds the requests sent inside it ([`Dialog::new_request`], §12.2.1.1)
//! and checks those received ([`Dialog::receive_request`], §12.2.2). A
//! dialog is a plain value: it holds no timers and can be saved and
//! restored by cloning.
//!
//! ```
//! use rtclite_sip::{Message, Method};
//! use rtclite_sip::dialog::{Dialog, DialogState};
//!
//! let invite = Message::parse(b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
//! Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
//! To: Bob <sip:bob@biloxi.example.com>\r\n\
//! From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
//! Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\n\
//! Contact: <sip:alice@pc33.atlanta.example.com>\r\nContent-Length: 0\r\n\r\n")?;
//! let ok = Message::parse(b"SIP/2.0 200 OK\r\n\
//! Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
//! Record-Route: <sip:p1.example.com;lr>\r\n\
//! To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
//! From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
//! Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\n\
//! Contact: <sip:bob@192.0.2.4>\r\nContent-Length: 0\r\n\r\n")?;
//! let mut dialog = Dialog::uac(&invite, &ok)?;
//! assert_eq!(dialog.state(), DialogState::Confirmed);
//! let bye = dialog.new_request(Method::Bye, "SIP/2.0/UDP pc33.atlanta.example.com", "z9hG4bKnashds7")?;
//! let bye = bye.message();
//! assert_eq!(bye.request_uri(), Some("sip:bob@192.0.2.4"));
//! assert_eq!(bye.cseq()?.seq, 314160);
//! assert_eq!(bye.routes().count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::HeaderName;
use crate::builder::MessageBuilder;
use crate::error::Error;
use crate::headers::NameAddr;
use crate::message::{Message, Method};
use crate::owned::OwnedMessage;
use crate::uri::Uri;

/// The dialog ID: Call-ID, local tag and remote tag (RFC 3261 §12). A
/// missing tag (RFC 2543 peers) is the empty string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// This side's tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The ID of the dialog a received request belongs to, seen from the
    /// receiving side: local tag from To, remote tag from From.
    pub fn of_received_request(msg: &Message<'_>) -> Result<Self, Error> {
        Ok(Self {
            call_id: msg.call_id()?.to_owned(),
            local_tag: msg.to()?.tag().unwrap_or_default().to_owned(),
            remote_tag: msg.from()?.tag().unwrap_or_default().to_owned(),
        })
    }

    /// The ID of the dialog a received response belongs to, seen from the
    /// side that sent the request: local tag from From, remote tag from To.
    pub fn of_received_response(msg: &Message<'_>) -> Result<Self, Error> {
        // [RFC 3261 §12.1.2] "A UAC MUST be prepared to receive a response
        // without a tag in the To field, in which case the tag is considered to
        // have a value of null."
        Ok(Self {
            call_id: msg.call_id()?.to_owned(),
            local_tag: msg.from()?.tag().unwrap_or_default().to_owned(),
            remote_tag: msg.to()?.tag().unwrap_or_default().to_owned(),
        })
    }
}

impl fmt::Display for DialogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};local={};remote={}",
            self.call_id, self.local_tag, self.remote_tag
        )
    }
}

/// Early (from a 1xx with a To tag) or confirmed (from a 2xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DialogState {
    /// Created by a provisional response.
    Early,
    /// Created or confirmed by a 2xx response.
    Confirmed,
    /// Ended (BYE, or an error that ends it).
    Terminated,
}

/// Why a message cannot create or continue a dialog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A header field the dialog needs is missing or malformed.
    #[error("malformed message: {0}")]
    Message(#[from] Error),
    /// The response cannot create a dialog (not 101-299, or no To tag).
    #[error("response {0} does not create a dialog (RFC 3261 §12.1)")]
    NotDialogCreating(u16),
    /// The message belongs to another dialog.
    #[error("message belongs to dialog {0}, not this one")]
    WrongDialog(DialogId),
    /// The request's CSeq is lower than the remote sequence number: answer
    /// 500 (RFC 3261 §12.2.2).
    #[error(
        "CSeq {got} is below the remote sequence number {expected} (RFC 3261 §12.2.2): respond 500"
    )]
    OutOfOrder {
        /// The request's CSeq number.
        got: u32,
        /// The dialog's remote sequence number.
        expected: u32,
    },
    /// The dialog ended.
    #[error("the dialog is terminated")]
    Terminated,
    /// The local sequence number would pass 2**31 - 1.
    #[error("CSeq space exhausted (RFC 3261 §8.1.1.5)")]
    CSeqExhausted,
}

/// The state of one dialog (RFC 3261 §12.1).
// [RFC 3261 §12.1] "UAs MUST assign values to the dialog ID components as
// described below."
// [RFC 3261 §12.1.2] "This state MUST be maintained for the duration of the
// dialog."
// [RFC 3261 §12.1.1] "This state MUST be maintained for the duration of the
// dialog."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    local_uri: String,
    remote_uri: String,
    remote_target: String,
    route_set: Vec<String>,
    secure: bool,
}

/// `Display <uri>` of a From/To value without its tag.
fn address_without_tag(a: &NameAddr<'_>) -> String {
    match a.display_name_raw() {
        Some(d) => format!("{d} <{}>", a.uri_str()),
        None => format!("<{}>", a.uri_str()),
    }
}

fn contact_uri(msg: &Message<'_>) -> Option<String> {
    msg.contacts().find_map(|c| match c {
        Ok(crate::headers::Contact::Addr(a)) => Some(a.uri_str().to_owned()),
        _ => None,
    })
}

fn is_sips(s: &str) -> bool {
    s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("sips:"))
}

impl Dialog {
    /// The dialog a UAS creates when it sends `response` (101-299 with a
    /// To tag) to `request` (RFC 3261 §12.1.1).
    pub fn uas(request: &Message<'_>, response: &Message<'_>) -> Result<Self, DialogError> {
        let status = response.status().unwrap_or(0);
        let to = response.to()?;
        let Some(local_tag) = to.tag().filter(|_| (101..300).contains(&status)) else {
            return Err(DialogError::NotDialogCreating(status));
        };
        let from = request.from()?;
        let request_uri = request.request_uri().unwrap_or_default();
        Ok(Self {
            // [RFC 3261 §12.1.1] "The local tag component of the dialog ID MUST be set
            // to the tag in the To field in the response to the request (which always
            // includes a tag), and the remote tag component of the dialog ID MUST be
            // set to the tag from the From field in the request."
            id: DialogId {
                // [RFC 3261 §12.1.1] "The call identifier component of the dialog ID
                // MUST be set to the value of the Call-ID in the request."
                call_id: request.call_id()?.to_owned(),
                local_tag: local_tag.to_owned(),
                // [RFC 3261 §12.1.1] "A UAS MUST be prepared to receive a request
                // without a tag in the From field, in which case the tag is considered
                // to have a value of null."
                remote_tag: from.tag().unwrap_or_default().to_owned(),
            },
            state: if status >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            // [RFC 3261 §12.1.1] "The local sequence number MUST be empty."
            local_seq: None,
            // [RFC 3261 §12.1.1] "The remote sequence number MUST be set to the value
            // of the sequence number in the CSeq header field of the request."
            remote_seq: Some(request.cseq()?.seq),
            // [RFC 3261 §12.1.1] "The remote URI MUST be set to the URI in the From
            // field, and the local URI MUST be set to the URI in the To field."
            local_uri: address_without_tag(&to),
            remote_uri: address_without_tag(&from),
            // [RFC 3261 §12.1.1] "The remote target MUST be set to the URI from the
            // Contact header field of the request."
            remote_target: contact_uri(request).unwrap_or_default(),
            // [RFC 3261 §12.1.1] "The route set MUST be set to the list of URIs in the
            // Record-Route header field from the request, taken in order and
            // preserving all URI parameters."
            // [RFC 3261 §12.1.1] "If no Record-Route header field is present in
            // the request, the route set MUST be set to the empty set."
            route_set: request
                .record_routes()
                .filter_map(Result::ok)
                .map(|r| r.to_string())
                .collect(),
            // [RFC 3261 §12.1.1] "If the request arrived over TLS, and the
            // Request-URI contained a SIPS URI, the "secure" flag is set to TRUE."
            secure: is_sips(request_uri),
        })
    }

    /// The dialog a UAC creates when `response` (101-299 with a To tag)
    /// arrives for `request` (RFC 3261 §12.1.2).
    pub fn uac(request: &Message<'_>, response: &Message<'_>) -> Result<Self, DialogError> {
        let status = response.status().unwrap_or(0);
        let to = response.to()?;
        let Some(remote_tag) = to.tag().filter(|_| (101..300).contains(&status)) else {
            return Err(DialogError::NotDialogCreating(status));
        };
        let from = request.from()?;
        Ok(Self {
            // [RFC 3261 §12.1.2] "The local tag component of the dialog ID MUST be set
            // to the tag in the From field in the request, and the remote tag component
            // of the dialog ID MUST be set to the tag in the To field of the response."
            id: DialogId {
                // [RFC 3261 §12.1.2] "The call identifier component of the dialog ID
                // MUST be set to the value of the Call-ID in the request."
                call_id: request.call_id()?.to_owned(),
                local_tag: from.tag().unwrap_or_default().to_owned(),
                remote_tag: remote_tag.to_owned(),
            },
            state: if status >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            // [RFC 3261 §12.1.2] "The local sequence number MUST be set to the value of
            // the sequence number in the CSeq header field of the request."
            local_seq: Some(request.cseq()?.seq),
            // [RFC 3261 §12.1.2] "The remote sequence number MUST be empty (it is
            // established when the remote UA sends a request within the dialog)."
            remote_seq: None,
            // [RFC 3261 §12.1.2] "The remote URI MUST be set to the URI in the To
            // field, and the local URI MUST be set to the URI in the From field."
            local_uri: address_without_tag(&from),
            remote_uri: address_without_tag(&to),
            // [RFC 3261 §12.1.2] "The remote target MUST be set to the URI from the
            // Contact header field of the response."
            remote_target: contact_uri(response).unwrap_or_default(),
            route_set: Self::uac_route_set(response),
            // [RFC 3261 §12.1.2] "If the request was sent over TLS, and the
            // Request-URI contained a SIPS URI, the "secure" flag is set to TRUE."
            secure: is_sips(request.request_uri().unwrap_or_default()),
        })
    }

    fn uac_route_set(response: &Message<'_>) -> Vec<String> {
        // [RFC 3261 §12.1.2] "The route set MUST be set to the list of URIs in the
        // Record-Route header field from the response, taken in reverse order and
        // preserving all URI parameters."
        // [RFC 3261 §12.1.2] "If no Record-Route header field is present in the
        // response, the route set MUST be set to the empty set."
        let mut set: Vec<String> = response
            .record_routes()
            .filter_map(Result::ok)
            .map(|r| r.to_string())
            .collect();
        set.reverse();
        set
    }

    /// The dialog ID.
    pub const fn id(&self) -> &DialogId {
        &self.id
    }

    /// Early, confirmed or terminated.
    pub const fn state(&self) -> DialogState {
        self.state
    }

    /// The local sequence number (empty until this side sends a request).
    pub const fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    /// The remote sequence number (empty until the peer sends a request).
    pub const fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// The URI requests inside the dialog are sent to.
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The route set, in the order requests carry it.
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// Whether the dialog was set up over SIPS (RFC 3261 §12.1).
    pub const fn is_secure(&self) -> bool {
        self.secure
    }

    /// Confirms an early dialog with the 2xx that arrived for it (UAC side):
    /// the remote target and route set are recomputed from the 2xx
    /// (RFC 3261 §13.2.2.4).
    pub fn confirm(&mut self, response: &Message<'_>) -> Result<(), DialogError> {
        self.check_response(response)?;
        if self.state == DialogState::Early {
            // [RFC 3261 §13.2.2.4] "If the dialog identifier in the 2xx response
            // matches the dialog identifier of an existing dialog, the dialog MUST be
            // transitioned to the "confirmed" state, and the route set for the dialog
            // MUST be recomputed based on the 2xx response using the procedures of
            // Section 12.2.1.2."
            self.state = DialogState::Confirmed;
            self.route_set = Self::uac_route_set(response);
            if let Some(t) = contact_uri(response) {
                self.remote_target = t;
            }
        }
        Ok(())
    }

    fn check_response(&self, response: &Message<'_>) -> Result<(), DialogError> {
        let id = DialogId::of_received_response(response)?;
        if id != self.id {
            return Err(DialogError::WrongDialog(id));
        }
        Ok(())
    }

    /// Builds a request inside the dialog (RFC 3261 §12.2.1.1): To, From,
    /// Call-ID and CSeq from the dialog state, Request-URI and Route from
    /// the remote target and route set, and one Via with `via` (e.g.
    /// `SIP/2.0/UDP host:port`) and `branch`. ACK and CANCEL reuse the
    /// current local sequence number; every other method increments it.
    /// Add a Contact for target refresh requests (and a body) with
    /// [`MessageBuilder::from_message`].
    pub fn new_request(
        &mut self,
        method: Method<'_>,
        via: &str,
        branch: &str,
    ) -> Result<OwnedMessage, DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let seq = match (method, self.local_seq) {
            (Method::Ack | Method::Cancel, Some(s)) => s,
            // [RFC 3261 §12.2.1.1] "Therefore, if the local sequence number is not
            // empty, the value of the local sequence number MUST be incremented by
            // one, and this value MUST be placed into the CSeq header field."
            (_, Some(s)) => {
                let next = s.checked_add(1).filter(|n| *n < 1 << 31);
                next.ok_or(DialogError::CSeqExhausted)?
            }
            // [RFC 3261 §12.2.1.1] "If the local sequence number is empty, an initial
            // value MUST be chosen using the guidelines of Section 8.1.1.5."
            (_, None) => 1,
        };
        // [RFC 3261 §12.2.1.1] "Requests within a dialog MUST contain strictly
        // monotonically increasing and contiguous CSeq sequence numbers
        // (increasing-by-one) in each direction (excepting ACK and CANCEL of
        // course, whose numbers equal the requests being acknowledged or
        // cancelled)."
        if !matches!(method, Method::Ack | Method::Cancel) {
            self.local_seq = Some(seq);
        }
        // [RFC 3261 §12.2.1.1 todo: SIPS targets of secure dialogs are the configuration's] "If
        // the "secure" flag is true, that URI MUST be a SIPS URI."
        let (request_uri, routes) = self.request_target();
        let with_tag = |addr: &str, tag: &str| {
            // [RFC 3261 §12.2.1.1] "If the value of the remote or local tags is null,
            // the tag parameter MUST be omitted from the To or From header fields,
            // respectively."
            if tag.is_empty() {
                addr.to_owned()
            } else {
                format!("{addr};tag={tag}")
            }
        };
        let mut b = MessageBuilder::request(method, &request_uri)
            .header(HeaderName::Via, format!("{via};branch={branch}"))
            .header(HeaderName::MaxForwards, "70");
        for r in routes {
            b = b.header(HeaderName::Route, r);
        }
        b = b
            // [RFC 3261 §12.2.1.1] "The URI in the To field of the request MUST
            // be set to the remote URI from the dialog state."
            // [RFC 3261 §12.2.1.1] "The tag in the To header field of the request MUST
            // be set to the remote tag of the dialog ID."
            .header(
                HeaderName::To,
                with_tag(&self.remote_uri, &self.id.remote_tag),
            )
            // [RFC 3261 §12.2.1.1] "The From URI of the request MUST be set to the
            // local URI from the dialog state."
            // [RFC 3261 §12.2.1.1] "The tag in the From header field of the request
            // MUST be set to the local tag of the dialog ID."
            .header(
                HeaderName::From,
                with_tag(&self.local_uri, &self.id.local_tag),
            )
            // [RFC 3261 §12.2.1.1] "The Call-ID of the request MUST be set to the
            // Call-ID of the dialog."
            // [RFC 3261 §8.1.1.4] "It MUST be the same for all requests and
            // responses sent by either UA in a dialog."
            .header(HeaderName::CallId, self.id.call_id.clone())
            // [RFC 3261 §12.2.1.1] "The method field in the CSeq header field value
            // MUST match the method of the request."
            .header(HeaderName::CSeq, format!("{seq} {}", method.as_str()));
        Ok(b.build()?)
    }

    /// The Request-URI and Route values for a request in this dialog.
    fn request_target(&self) -> (String, Vec<String>) {
        let Some(first) = self.route_set.first() else {
            // [RFC 3261 §12.2.1.1] "If the route set is empty, the UAC MUST place the
            // remote target URI into the Request-URI."
            // [RFC 3261 §12.2.1.1] "The UAC MUST NOT add a Route header field to
            // the request."
            return (self.remote_target.clone(), Vec::new());
        };
        let first_uri = NameAddr::parse(first).ok();
        let loose = first_uri
            .as_ref()
            .and_then(|a| a.uri().as_sip().map(|u| u.params.contains("lr")))
            .unwrap_or(true);
        if loose {
            // [RFC 3261 §12.2.1.1] "the UAC MUST place the remote target URI into the
            // Request-URI and MUST include a Route header field containing the route
            // set values in order, including all parameters"
            (self.remote_target.clone(), self.route_set.clone())
        } else {
            // [RFC 3261 §12.2.1.1] "If the route set is not empty, and its first URI
            // does not contain the lr parameter, the UAC MUST place the first URI from
            // the route set into the Request-URI, stripping any parameters that are
            // not allowed in a Request-URI."
            let uri = first_uri
                .map(|a| strip_uri_for_request_line(a.uri()))
                .unwrap_or_default();
            // [RFC 3261 §12.2.1.1] "The UAC MUST add a Route header field containing
            // the remainder of the route set values in order, including all
            // parameters."
            let mut routes: Vec<String> = self.route_set.iter().skip(1).cloned().collect();
            // [RFC 3261 §12.2.1.1] "The UAC MUST then place the remote target URI
            // into the Route header field as the last value."
            routes.push(format!("<{}>", self.remote_target));
            (uri, routes)
        }
    }

    /// Checks a request received inside this dialog and updates the state
    /// (RFC 3261 §12.2.2). An [`DialogError::OutOfOrder`] request must be
    /// answered 500; the dialog is unchanged then.
    pub fn receive_request(&mut self, request: &Message<'_>) -> Result<(), DialogError> {
        let id = DialogId::of_received_request(request)?;
        if id != self.id {
            return Err(DialogError::WrongDialog(id));
        }
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let method = request.method().unwrap_or(Method::Extension(""));
        let seq = request.cseq()?.seq;
        if !matches!(method, Method::Ack | Method::Cancel) {
            if let Some(remote) = self.remote_seq {
                // [RFC 3261 §12.2.2] "If the remote sequence number was not empty, but
                // the sequence number of the request is lower than the remote sequence
                // number, the request is out of order and MUST be rejected with a 500
                // (Server Internal Error) response."
                if seq < remote {
                    return Err(DialogError::OutOfOrder {
                        got: seq,
                        expected: remote,
                    });
                }
            }
            // [RFC 3261 §12.2.2] "The UAS MUST then set the remote sequence number to
            // the value of the sequence number in the CSeq header field value in the
            // request."
            self.remote_seq = Some(seq);
        }
        if is_target_refresh(method) {
            // [RFC 3261 §12.2.2] "When a UAS receives a target refresh request, it MUST
            // replace the dialog's remote target URI with the URI from the Contact
            // header field in that request, if present."
            if let Some(t) = contact_uri(request) {
                self.remote_target = t;
            }
        }
        if method == Method::Bye {
            self.state = DialogState::Terminated;
        }
        Ok(())
    }

    /// Updates the dialog with a response to a request this side sent in
    /// it (RFC 3261 §12.2.1.2): a 2xx to a target refresh request replaces
    /// the remote target; 481 and 408 end the dialog.
    pub fn receive_response(
        &mut self,
        method: Method<'_>,
        response: &Message<'_>,
    ) -> Result<(), DialogError> {
        self.check_response(response)?;
        let status = response.status().unwrap_or(0);
        if (200..300).contains(&status) && is_target_refresh(method) {
            // [RFC 3261 §12.2.1.2] "When a UAC receives a 2xx response to a target
            // refresh request, it MUST replace the dialog's remote target URI with the
            // URI from the Contact header field in that response, if present."
            if let Some(t) = contact_uri(response) {
                self.remote_target = t;
            }
        }
        // [RFC 3261 §12.2.1.2] "If the response for a request within a dialog is a 481
        // (Call/Transaction Does Not Exist) or a 408 (Request Timeout), the UAC SHOULD
        // terminate the dialog."
        if status == 481 || status == 408 || (method == Method::Bye && status >= 200) {
            self.state = DialogState::Terminated;
        }
        Ok(())
    }

    /// Confirms an early dialog on the side that answered (UAS), when it
    /// sends the 2xx (RFC 3261 §12.1.1: a 2xx creates the dialog in the
    /// "confirmed" state; an early dialog created by a provisional response
    /// moves there).
    pub fn confirm_sent(&mut self) {
        if self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
        }
    }

    /// Ends the dialog (a BYE sent or received, a timeout).
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }
}

/// Target refresh requests (RFC 3261 §12; UPDATE per RFC 3311, SUBSCRIBE
/// and NOTIFY per RFC 6665).
fn is_target_refresh(method: Method<'_>) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify
    )
}

/// A URI as it may stand in a Request-URI: no `method` parameter and no
/// headers (RFC 3261 §19.1.1, Table 1).
fn strip_uri_for_request_line(uri: &Uri<'_>) -> String {
    match uri.as_sip() {
        Some(u) => {
            let mut s = String::from(if u.secure { "sips:" } else { "sip:" });
            if let Some(user) = u.user {
                s.push_str(user);
                if let Some(pw) = u.password {
                    s.push(':');
                    s.push_str(pw);
                }
                s.push('@');
            }
            s.push_str(&u.host.to_string());
            if let Some(p) = u.port {
                s.push_str(&format!(":{p}"));
            }
            for (name, value) in u.params.iter() {
                if name.eq_ignore_ascii_case("method") {
                    continue;
                }
                s.push(';');
                s.push_str(name);
                if let Some(v) = value {
                    s.push('=');
                    s.push_str(v);
                }
            }
            s
        }
        None => uri.to_string(),
    }
}
