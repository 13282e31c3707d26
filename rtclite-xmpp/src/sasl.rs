//! SASL mechanisms for XMPP (RFC 6120 §6): PLAIN (RFC 4616) and SCRAM-SHA-1 /
//! SCRAM-SHA-256 (RFC 5802, RFC 7677), client side, without channel binding.
//!
//! Pure functions of their inputs: the client nonce is passed in by the
//! caller (the [`crate::client::Client`] draws it from its seeded generator).
//!
//! ```
//! use rtclite_xmpp::sasl::{ScramClient, ScramHash};
//! // RFC 5802 §5
//! let mut c = ScramClient::new(ScramHash::Sha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
//! assert_eq!(c.client_first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
//! let fin = c.handle_server_first("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096").unwrap();
//! assert!(fin.ends_with(",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));
//! c.handle_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").unwrap();
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lowest iteration count accepted from a server; a lower one is refused.
pub const MIN_ITERATIONS: u32 = 4096;
/// Highest iteration count accepted from a server (bounds the work a hostile
/// server can make us do).
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// Why a SASL exchange failed on our side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// A server message does not follow the SCRAM syntax (RFC 5802 §7).
    #[error("malformed SCRAM message: {0} (RFC 5802 §7)")]
    Malformed(&'static str),
    /// The server's nonce does not start with ours (RFC 5802 §5.1).
    #[error("server nonce does not start with the client nonce (RFC 5802 §5.1)")]
    NonceMismatch,
    /// The iteration count is outside [`MIN_ITERATIONS`]..=[`MAX_ITERATIONS`].
    #[error("iteration count {0} refused (RFC 7677 §3 asks for at least 4096)")]
    Iterations(u32),
    /// The server signature does not verify: the server does not know the password (RFC 5802 §5).
    #[error("server signature does not verify (RFC 5802 §5)")]
    ServerSignature,
    /// The server reported an error in server-final-message (`e=`).
    #[error("server reported SCRAM error '{0}' (RFC 5802 §7)")]
    ServerError(String),
    /// A message arrived in a state that does not expect it.
    #[error("SCRAM message out of order")]
    OutOfOrder,
    /// The username or password does not conform to its PRECIS profile
    /// (RFC 8265 §3.3 for usernames, §4.2 for passwords).
    #[error("{0} cannot be prepared: {1}")]
    Preparation(&'static str, crate::precis::PrecisError),
}

/// Prepares a SASL username: the UsernameCaseMapped profile (RFC 8265
/// §3.3), which replaces SASLprep (RFC 5802 §5.1, RFC 8265 §6).
pub fn prepare_username(username: &str) -> Result<std::borrow::Cow<'_, str>, SaslError> {
    crate::precis::username_case_mapped(username).map_err(|e| SaslError::Preparation("username", e))
}

/// Prepares a SASL password: the OpaqueString profile (RFC 8265 §4.2).
pub fn prepare_password(password: &str) -> Result<std::borrow::Cow<'_, str>, SaslError> {
    crate::precis::opaque_string(password).map_err(|e| SaslError::Preparation("password", e))
}

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramHash {
    /// SCRAM-SHA-1 (RFC 5802).
    Sha1,
    /// SCRAM-SHA-256 (RFC 7677).
    Sha256,
}

impl ScramHash {
    /// The SASL mechanism name.
    pub fn mechanism(self) -> &'static str {
        match self {
            Self::Sha1 => "SCRAM-SHA-1",
            Self::Sha256 => "SCRAM-SHA-256",
        }
    }

    /// The name of the channel-binding variant (RFC 5802 §6, RFC 7677 §3).
    pub fn plus_mechanism(self) -> &'static str {
        match self {
            Self::Sha1 => "SCRAM-SHA-1-PLUS",
            Self::Sha256 => "SCRAM-SHA-256-PLUS",
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => {
                let Ok(mut m) = Hmac::<Sha1>::new_from_slice(key) else {
                    return Vec::new();
                };
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Self::Sha256 => {
                let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else {
                    return Vec::new();
                };
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
        }
    }

    fn h(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// Hi(str, salt, i) of RFC 5802 §2.2 (PBKDF2 with HMAC as the PRF).
    fn hi(self, password: &[u8], salt: &[u8], i: u32) -> Vec<u8> {
        match self {
            Self::Sha1 => {
                let mut out = [0u8; 20];
                pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, i, &mut out);
                out.to_vec()
            }
            Self::Sha256 => {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, i, &mut out);
                out.to_vec()
            }
        }
    }
}

/// The initial response of SASL PLAIN (RFC 4616 §2): `authzid NUL authcid NUL passwd`,
/// with an empty authorization identity.
// [RFC 6120 §6.3.8] "If the initiating entity does not wish to act on behalf of another
// entity, it MUST NOT provide an authorization identity."
pub fn plain_initial_response(authcid: &str, password: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(authcid.len() + password.len() + 2);
    v.push(0);
    v.extend_from_slice(authcid.as_bytes());
    v.push(0);
    v.extend_from_slice(password.as_bytes());
    v
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ScramState {
    Initial,
    SentFinal { server_signature: Vec<u8> },
    Done,
}

/// The client side of one SCRAM exchange (RFC 5802 §5), without channel binding.
#[derive(Debug, Clone)]
pub struct ScramClient {
    hash: ScramHash,
    binding: ChannelBinding,
    password: String,
    client_nonce: String,
    client_first_bare: String,
    state: ScramState,
}

/// GS2 header for a client that does not support channel binding.
const GS2_HEADER: &str = "n,,";

/// The channel binding of a SCRAM exchange (RFC 5802 §6): what the client
/// supports and, when it binds, the binding data the TLS layer gives (the
/// IO layer computes it; this crate never sees the TLS connection).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelBinding {
    /// The client does not support channel binding (`n` flag).
    Unsupported,
    /// The client supports channel binding but the server did not offer a
    /// `-PLUS` mechanism (`y` flag).
    NotOfferedByServer,
    /// Bind to the TLS connection with `tls-exporter` (RFC 9266): the 32
    /// bytes of the exporter with label "EXPORTER-Channel-Binding" and an
    /// empty context.
    TlsExporter(Vec<u8>),
    /// Bind with `tls-server-end-point` (RFC 5929 §4): the hash of the
    /// server's certificate.
    TlsServerEndPoint(Vec<u8>),
}

impl ChannelBinding {
    /// The gs2-header (RFC 5802 §7), without an authzid.
    fn gs2_header(&self) -> &'static str {
        match self {
            // [RFC 5802 §6] "If the client does not support channel binding, then it MUST use an
            // "n" gs2-cbind-flag."
            Self::Unsupported => GS2_HEADER,
            // [RFC 5802 §6] "then the client MUST NOT use an "n" gs2- cbind-flag"
            Self::NotOfferedByServer => "y,,",
            // [RFC 5802 §6] "Clients that support mechanism negotiation and channel binding MUST
            // use a "p" gs2-cbind-flag when the server offers the PLUS- variant"
            Self::TlsExporter(_) => "p=tls-exporter,,",
            Self::TlsServerEndPoint(_) => "p=tls-server-end-point,,",
        }
    }

    /// The binding data appended to the gs2-header in `c=` (only with `p`).
    fn data(&self) -> &[u8] {
        match self {
            Self::TlsExporter(d) | Self::TlsServerEndPoint(d) => d,
            Self::Unsupported | Self::NotOfferedByServer => &[],
        }
    }

    /// True when there is binding data to bind to (a `p` flag).
    pub(crate) fn binds(&self) -> bool {
        matches!(self, Self::TlsExporter(_) | Self::TlsServerEndPoint(_))
    }
}

impl ScramClient {
    /// [`ScramClient::new`] after preparing the username (UsernameCaseMapped)
    /// and the password (OpaqueString) per RFC 8265, the PRECIS successor of
    /// the SASLprep step of RFC 5802 §2.2 and §5.1.
    ///
    /// ```
    /// use rtclite_xmpp::sasl::{ScramClient, ScramHash};
    /// let c = ScramClient::try_new(ScramHash::Sha1, "User", "pencil", "fyko+d2lbbFgONRv9qkxdawL").unwrap();
    /// assert_eq!(c.client_first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    /// assert!(ScramClient::try_new(ScramHash::Sha1, "us er", "pencil", "abc").is_err());
    /// ```
    pub fn try_new(
        hash: ScramHash,
        username: &str,
        password: &str,
        client_nonce: &str,
    ) -> Result<Self, SaslError> {
        // [RFC 5802 §5.1] "Before sending the username to the server, the client SHOULD
        // prepare the username using the "SASLprep" profile"
        let user = prepare_username(username)?;
        // [RFC 8265 §4.2.2] "Any instances of non-ASCII space MUST be mapped to SPACE (U+0020)"
        let pass = prepare_password(password)?;
        Ok(Self::new(hash, &user, &pass, client_nonce))
    }

    /// A client for `username`/`password`, used as given (see
    /// [`ScramClient::try_new`] for the prepared form), with `client_nonce`
    /// (printable ASCII without `,`; at least 16 random characters are
    /// advisable).
    pub fn new(hash: ScramHash, username: &str, password: &str, client_nonce: &str) -> Self {
        // [RFC 5802 §5.1] "The characters ',' or '=' in usernames are sent as
        // '=2C' and '=3D' respectively."
        let user = username.replace('=', "=3D").replace(',', "=2C");
        Self {
            hash,
            binding: ChannelBinding::Unsupported,
            password: password.to_owned(),
            client_nonce: client_nonce.to_owned(),
            client_first_bare: format!("n={user},r={client_nonce}"),
            state: ScramState::Initial,
        }
    }

    /// [`ScramClient::try_new`] with a channel binding (RFC 5802 §6): with
    /// binding data the mechanism is the `-PLUS` variant and the data is
    /// covered by the client proof (`c=`).
    ///
    /// ```
    /// use rtclite_xmpp::sasl::{ChannelBinding, ScramClient, ScramHash};
    /// let c = ScramClient::with_channel_binding(
    ///     ScramHash::Sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO",
    ///     ChannelBinding::TlsExporter(vec![0xAB; 32]),
    /// ).unwrap();
    /// assert_eq!(c.mechanism(), "SCRAM-SHA-256-PLUS");
    /// assert_eq!(c.client_first(), "p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    /// ```
    pub fn with_channel_binding(
        hash: ScramHash,
        username: &str,
        password: &str,
        client_nonce: &str,
        binding: ChannelBinding,
    ) -> Result<Self, SaslError> {
        let mut c = Self::try_new(hash, username, password, client_nonce)?;
        if binding.binds() && binding.data().is_empty() {
            return Err(SaslError::Malformed("channel binding data is empty"));
        }
        c.binding = binding;
        Ok(c)
    }

    /// Sets the channel binding of a client built by [`ScramClient::new`].
    pub(crate) fn set_binding(&mut self, binding: ChannelBinding) {
        self.binding = binding;
    }

    /// The mechanism name (the `-PLUS` variant when binding to the channel).
    pub fn mechanism(&self) -> &'static str {
        if self.binding.binds() {
            self.hash.plus_mechanism()
        } else {
            self.hash.mechanism()
        }
    }

    /// client-first-message.
    pub fn client_first(&self) -> String {
        format!("{}{}", self.binding.gs2_header(), self.client_first_bare)
    }

    /// Takes server-first-message, returns client-final-message.
    pub fn handle_server_first(&mut self, server_first: &str) -> Result<String, SaslError> {
        if self.state != ScramState::Initial {
            return Err(SaslError::OutOfOrder);
        }
        let mut nonce = None;
        let mut salt = None;
        let mut iters = None;
        for (i, part) in server_first.split(',').enumerate() {
            let (k, v) = part
                .split_once('=')
                .ok_or(SaslError::Malformed("attribute without '='"))?;
            match (i, k) {
                // [RFC 5802 §5.1] "its presence in a client or a server message
                // MUST cause authentication failure"
                (0, "m") => {
                    return Err(SaslError::Malformed(
                        "mandatory extension 'm' not supported",
                    ));
                }
                (0, "r") => nonce = Some(v),
                (1, "s") => salt = Some(v),
                (2, "i") => iters = Some(v),
                (0..=2, _) => {
                    return Err(SaslError::Malformed(
                        "server-first-message attributes out of order",
                    ));
                }
                _ => {}
            }
        }
        let nonce = nonce.ok_or(SaslError::Malformed("missing nonce"))?;
        let salt = B64
            .decode(salt.ok_or(SaslError::Malformed("missing salt"))?)
            .map_err(|_| SaslError::Malformed("salt is not base64"))?;
        let iters: u32 = iters
            .ok_or(SaslError::Malformed("missing iteration count"))?
            .parse()
            .map_err(|_| SaslError::Malformed("iteration count is not a number"))?;
        // [RFC 5802 §5.1] "The client MUST verify that the initial part of the nonce used in
        // subsequent messages is the same as the nonce it initially specified"
        if !nonce.starts_with(&self.client_nonce) || nonce.len() == self.client_nonce.len() {
            return Err(SaslError::NonceMismatch);
        }
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iters) {
            return Err(SaslError::Iterations(iters));
        }
        let h = self.hash;
        let salted = h.hi(self.password.as_bytes(), &salt, iters);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.h(&client_key);
        // c= is base64 of the GS2 header ("n,," → "biws") followed, when binding, by the
        // channel binding data: [RFC 5802 §7] "base64 encoding of cbind-input."
        let mut cbind_input = self.binding.gs2_header().as_bytes().to_vec();
        cbind_input.extend_from_slice(self.binding.data());
        let without_proof = format!("c={},r={nonce}", B64.encode(cbind_input));
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let client_signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = h.hmac(&salted, b"Server Key");
        let server_signature = h.hmac(&server_key, auth_message.as_bytes());
        self.state = ScramState::SentFinal { server_signature };
        Ok(format!("{without_proof},p={}", B64.encode(proof)))
    }

    /// Verifies server-final-message.
    pub fn handle_server_final(&mut self, server_final: &str) -> Result<(), SaslError> {
        let ScramState::SentFinal { server_signature } = &self.state else {
            return Err(SaslError::OutOfOrder);
        };
        if let Some(e) = server_final.strip_prefix("e=") {
            return Err(SaslError::ServerError(e.chars().take(64).collect()));
        }
        let v = server_final
            .split(',')
            .next()
            .and_then(|p| p.strip_prefix("v="))
            .ok_or(SaslError::Malformed("missing verifier"))?;
        let v = B64
            .decode(v)
            .map_err(|_| SaslError::Malformed("verifier is not base64"))?;
        // [RFC 5802 §5] "If the two are different, the client MUST consider the
        // authentication exchange to be unsuccessful"
        if v.len() != server_signature.len() || !bool::from(v.ct_eq(server_signature)) {
            return Err(SaslError::ServerSignature);
        }
        self.state = ScramState::Done;
        Ok(())
    }

    /// True until server-first-message has been handled.
    pub fn awaits_server_first(&self) -> bool {
        self.state == ScramState::Initial
    }

    /// True once the server signature has been verified.
    pub fn is_done(&self) -> bool {
        self.state == ScramState::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_format() {
        assert_eq!(
            plain_initial_response("juliet", "r0m30"),
            b"\0juliet\0r0m30"
        );
    }

    #[test]
    fn username_escaping_and_bad_server_messages() {
        let mut c = ScramClient::new(ScramHash::Sha1, "a=b,c", "p", "abc");
        assert_eq!(c.client_first(), "n,,n=a=3Db=2Cc,r=abc");
        assert_eq!(
            c.handle_server_first("r=xyz,s=QSXCR+Q6sek8bf92,i=4096"),
            Err(SaslError::NonceMismatch)
        );
        assert_eq!(
            c.handle_server_first("r=abcd,s=QSXCR+Q6sek8bf92,i=10"),
            Err(SaslError::Iterations(10))
        );
        assert!(matches!(
            c.handle_server_first("s=x,r=abcd,i=4096"),
            Err(SaslError::Malformed(_))
        ));
        assert_eq!(c.handle_server_final("v=AAAA"), Err(SaslError::OutOfOrder));
    }

    /// The server side of RFC 5802 §3 for one exchange, written from the
    /// formulas: checks the client proof and returns server-final-message.
    fn server_final(
        hash: ScramHash,
        password: &str,
        client_first_bare: &str,
        server_first: &str,
        client_final: &str,
        expected_cbind_input: &[u8],
    ) -> Option<String> {
        let (without_proof, proof) = client_final.rsplit_once(",p=")?;
        let c = without_proof.strip_prefix("c=")?.split(',').next()?;
        // [RFC 5802 §6 test] "The server MUST always validate the client's "c=" field."
        if B64.decode(c).ok()? != expected_cbind_input {
            return None;
        }
        let salt = B64.decode("QSXCR+Q6sek8bf92").ok()?;
        let salted = hash.hi(password.as_bytes(), &salt, 4096);
        let client_key = hash.hmac(&salted, b"Client Key");
        let stored_key = hash.h(&client_key);
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hash.hmac(&stored_key, auth.as_bytes());
        let proof = B64.decode(proof).ok()?;
        let recovered: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        if hash.h(&recovered) != stored_key {
            return None;
        }
        let server_key = hash.hmac(&salted, b"Server Key");
        Some(format!(
            "v={}",
            B64.encode(hash.hmac(&server_key, auth.as_bytes()))
        ))
    }

    #[test]
    fn channel_binding_plus_exchange() {
        let data = (0u8..32).collect::<Vec<u8>>();
        for (hash, binding, header) in [
            (
                ScramHash::Sha256,
                ChannelBinding::TlsExporter(data.clone()),
                "p=tls-exporter,,",
            ),
            (
                ScramHash::Sha1,
                ChannelBinding::TlsServerEndPoint(data.clone()),
                "p=tls-server-end-point,,",
            ),
            (ScramHash::Sha256, ChannelBinding::NotOfferedByServer, "y,,"),
        ] {
            let binds = !matches!(binding, ChannelBinding::NotOfferedByServer);
            let mut c =
                ScramClient::with_channel_binding(hash, "user", "pencil", "fyko", binding).unwrap();
            assert_eq!(
                c.mechanism(),
                if binds {
                    hash.plus_mechanism()
                } else {
                    hash.mechanism()
                }
            );
            let first = c.client_first();
            assert_eq!(first, format!("{header}n=user,r=fyko"));
            let server_first = "r=fyko3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
            let client_final = c.handle_server_first(server_first).unwrap();
            let mut cbind = header.as_bytes().to_vec();
            if binds {
                cbind.extend_from_slice(&data);
            }
            let v = server_final(
                hash,
                "pencil",
                "n=user,r=fyko",
                server_first,
                &client_final,
                &cbind,
            )
            .expect("the server accepts the proof and the binding");
            c.handle_server_final(&v).unwrap();
            assert!(c.is_done());
            // Other binding data (a man in the middle's channel) fails the server's c= check.
            let mut other = cbind.clone();
            if let Some(last) = other.last_mut() {
                *last ^= 1;
            }
            assert!(
                server_final(
                    hash,
                    "pencil",
                    "n=user,r=fyko",
                    server_first,
                    &client_final,
                    &other
                )
                .is_none()
            );
        }
        assert!(
            ScramClient::with_channel_binding(
                ScramHash::Sha1,
                "user",
                "pencil",
                "n",
                ChannelBinding::TlsExporter(Vec::new())
            )
            .is_err()
        );
    }
}
