//! Crypto contexts: policies, master keys, per-SSRC stream state, and the
//! protect/unprotect operations for SRTP and SRTCP.

// Errors on the packet path are built lazily (`ok_or_else`): `Error` has
// drop glue (its String and Vec variants), so an error value built eagerly
// is constructed and dropped on every successful packet too (callgrind: a
// dozen instructions a packet, for nothing).
#![allow(clippy::unnecessary_lazy_evaluations)]

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use crate::Error;
use crate::header::{self, RTCP_CLEAR_HEADER};
use crate::kdf::Prf;
use crate::profile::{CipherKind, ProtectionProfile};
use crate::replay::{
    MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW, ReplayVerdict, ReplayWindow, estimate_index,
};
use crate::transform::{AEAD_TAG_LEN, IvWords, KeySet, SessionKeyMaterial};

/// Most SRTP packets one master key may protect (2^48).
pub const MAX_SRTP_LIFETIME: u64 = 1 << 48;
/// Most SRTCP packets one master key may protect (2^31).
pub const MAX_SRTCP_LIFETIME: u64 = 1 << 31;
/// Default replay window (packets).
pub const DEFAULT_REPLAY_WINDOW: u64 = 64;
/// Default bound on the number of SSRCs one context tracks.
pub const DEFAULT_MAX_STREAMS: usize = 1024;
/// Longest MKI accepted (RFC 5764 §4.1.1 allows up to 255 octets).
pub const MAX_MKI_LEN: usize = 255;
/// Largest SRTP payload AES-CM may encrypt: 2^16 blocks of 16 octets.
const MAX_CM_PAYLOAD: usize = (1 << 16) * 16;

/// A master key, its master salt and its MKI (empty when the context uses
/// no MKI).
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    key: Vec<u8>,
    salt: Vec<u8>,
    mki: Vec<u8>,
}

impl MasterKey {
    /// A master key and master salt without MKI.
    pub fn new(key: &[u8], salt: &[u8]) -> Self {
        Self {
            key: key.to_vec(),
            salt: salt.to_vec(),
            mki: Vec::new(),
        }
    }

    /// Splits `key || salt` for `profile` (the form SDES and the
    /// `rtclite srtp --key` option use).
    pub fn from_concatenated(profile: ProtectionProfile, key_salt: &[u8]) -> Result<Self, Error> {
        let (k, s) = (profile.master_key_len(), profile.master_salt_len());
        if key_salt.len() != k + s {
            return Err(Error::InvalidPolicy(format!(
                "{} needs a {k}-octet master key and a {s}-octet master salt ({} octets), got {}",
                profile,
                k + s,
                key_salt.len()
            )));
        }
        let (key, salt) = key_salt.split_at(k);
        Ok(Self::new(key, salt))
    }

    /// The same key with an MKI.
    pub fn with_mki(mut self, mki: &[u8]) -> Self {
        self.mki = mki.to_vec();
        self
    }

    /// The master key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The master salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The MKI (empty when none).
    pub fn mki(&self) -> &[u8] {
        &self.mki
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // [RFC 3711 §3.2.1] "the master key(s), which MUST be random and kept
        // secret"
        // Never print key material (randomness is the caller's: sans-IO).
        f.debug_struct("MasterKey")
            .field("mki", &self.mki)
            .finish_non_exhaustive()
    }
}

/// Everything key management decides about a crypto context: the profile,
/// the master keys, and the receiver's limits.
#[derive(Debug, Clone)]
pub struct Policy {
    profile: ProtectionProfile,
    keys: Vec<MasterKey>,
    key_derivation_rate: u32,
    replay_window: u64,
    srtp_lifetime: u64,
    srtcp_lifetime: u64,
    rekey_margin: u64,
    max_streams: usize,
    ssrcs: Option<Vec<u32>>,
}

impl Policy {
    /// A policy with one master key and the defaults: key derivation rate
    /// 0, a 64-packet replay window, the maximum key lifetimes (2^48 SRTP,
    /// 2^31 SRTCP packets), any SSRC accepted, at most 1024 SSRCs.
    pub fn new(profile: ProtectionProfile, key: MasterKey) -> Self {
        Self {
            profile,
            keys: vec![key],
            key_derivation_rate: 0,
            replay_window: DEFAULT_REPLAY_WINDOW,
            srtp_lifetime: MAX_SRTP_LIFETIME,
            srtcp_lifetime: MAX_SRTCP_LIFETIME,
            rekey_margin: 1 << 16,
            max_streams: DEFAULT_MAX_STREAMS,
            ssrcs: None,
        }
    }

    /// Adds another master key; with more than one key every key needs an
    /// MKI of the same length.
    pub fn with_master_key(mut self, key: MasterKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Sets the key derivation rate: 0, or a power of two up to 2^24.
    pub fn with_key_derivation_rate(mut self, rate: u32) -> Self {
        self.key_derivation_rate = rate;
        self
    }

    /// Sets the replay window size in packets (64 to 32768).
    pub fn with_replay_window(mut self, packets: u64) -> Self {
        self.replay_window = packets;
        self
    }

    /// Lowers the master key lifetimes (SRTP and SRTCP packets), e.g. to an
    /// SDES lifetime parameter.
    pub fn with_key_lifetime(mut self, srtp: u64, srtcp: u64) -> Self {
        self.srtp_lifetime = srtp;
        self.srtcp_lifetime = srtcp;
        self
    }

    /// How many packets before a lifetime runs out [`Event::RekeyNeeded`]
    /// is raised (default 2^16).
    pub fn with_rekey_margin(mut self, packets: u64) -> Self {
        self.rekey_margin = packets;
        self
    }

    /// Bounds the number of SSRCs the context tracks.
    pub fn with_max_streams(mut self, n: usize) -> Self {
        self.max_streams = n;
        self
    }

    /// Restricts the context to these SSRCs; packets from others fail with
    /// [`Error::UnknownSsrc`].
    // SSRC allocation belongs to the application and key management; a
    // context can only be limited to the SSRCs they assigned:
    // [RFC 7714 §8.4 exception: SSRCs are assigned by the application] "SRTP
    // using GCM with shared master keys MUST prevent an SSRC collision from
    // happening even once."
    // [RFC 7714 §8.4 exception: SSRCs are assigned by the application] "Each
    // such originating endpoint MUST only issue SSRC values from the pool it
    // has been assigned."
    pub fn with_ssrcs(mut self, ssrcs: &[u32]) -> Self {
        self.ssrcs = Some(ssrcs.to_vec());
        self
    }

    /// The protection profile.
    pub fn profile(&self) -> ProtectionProfile {
        self.profile
    }

    /// The master keys.
    pub fn master_keys(&self) -> &[MasterKey] {
        &self.keys
    }

    fn validate(&self) -> Result<usize, Error> {
        let bad = |m: String| Err(Error::InvalidPolicy(m));
        let p = self.profile;
        let first = self
            .keys
            .first()
            .ok_or_else(|| Error::InvalidPolicy("no master key".into()))?;
        let mki_len = first.mki.len();
        for (i, k) in self.keys.iter().enumerate() {
            if k.key.len() != p.master_key_len() {
                return bad(format!(
                    "master key {i} has {} octets, {p} needs {}",
                    k.key.len(),
                    p.master_key_len()
                ));
            }
            if k.salt.len() != p.master_salt_len() {
                return bad(format!(
                    "master salt {i} has {} octets, {p} needs {}",
                    k.salt.len(),
                    p.master_salt_len()
                ));
            }
            // [RFC 3711 §3.2.1] "the value of the MKI indicator and length
            // MUST be kept fixed for the lifetime of the context"
            if k.mki.len() != mki_len {
                return bad(format!(
                    "MKI {i} has {} octets, the first has {mki_len}",
                    k.mki.len()
                ));
            }
            if self.keys[..i].iter().any(|o| o.mki == k.mki) {
                return bad(format!("master key {i} repeats an MKI"));
            }
        }
        if mki_len > MAX_MKI_LEN {
            return bad(format!("MKI of {mki_len} octets, at most {MAX_MKI_LEN}"));
        }
        if self.keys.len() > 1 && mki_len == 0 {
            return bad("several master keys need MKIs to tell them apart".into());
        }
        let kdr = self.key_derivation_rate;
        // [RFC 3711 §3.2.1] "an integer in the set {1,2,4,...,2^24}, the
        // "key_derivation_rate", where an unspecified value is treated as zero."
        if kdr != 0 && (!kdr.is_power_of_two() || kdr > 1 << 24) {
            return bad(format!(
                "key derivation rate {kdr} is not 0 or a power of two up to 2^24"
            ));
        }
        // [RFC 3711 §3.3.2] "SRTP-WINDOW-SIZE is a receiver-side,
        // implementation-dependent parameter and MUST be at least 64"
        if !(MIN_REPLAY_WINDOW..=MAX_REPLAY_WINDOW).contains(&self.replay_window) {
            return bad(format!(
                "replay window {} outside {MIN_REPLAY_WINDOW}..={MAX_REPLAY_WINDOW}",
                self.replay_window
            ));
        }
        if self.srtp_lifetime == 0 || self.srtp_lifetime > MAX_SRTP_LIFETIME {
            return bad(format!(
                "SRTP key lifetime {} outside 1..=2^48",
                self.srtp_lifetime
            ));
        }
        if self.srtcp_lifetime == 0 || self.srtcp_lifetime > MAX_SRTCP_LIFETIME {
            return bad(format!(
                "SRTCP key lifetime {} outside 1..=2^31",
                self.srtcp_lifetime
            ));
        }
        if self.max_streams == 0 {
            return bad("max_streams must be at least 1".into());
        }
        Ok(mki_len)
    }
}

/// Which way a context works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// Protects packets we send.
    Outbound,
    /// Unprotects packets we receive.
    Inbound,
}

/// Something the application must know about, drained with
/// [`Context::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A master key is within the re-key margin of its lifetime: key
    /// management must provide a new one (RFC 3711 §3.3.1, §9.2).
    RekeyNeeded {
        /// Position of the master key in the policy.
        master_key: usize,
        /// Whether the SRTCP (rather than SRTP) lifetime is running out.
        srtcp: bool,
        /// Packets protected with the key so far.
        used: u64,
        /// The lifetime.
        limit: u64,
    },
}

struct KeyEntry {
    mki: Vec<u8>,
    // [RFC 3711 §3.2.1] "for each master key, there is a counter of the
    // number of SRTP packets that have been processed (sent) with that master
    // key"
    // [RFC 3711 §3.2.1] "SRTCP maintains a separate counter for its master
    // key (even if the master key is the same as that for SRTP, see below)"
    /// Master salt and PRF (absent for contexts built from session keys).
    master: Option<(Vec<u8>, Prf)>,
    /// Session keys derived once (key derivation rate 0).
    rtp: Option<KeySet>,
    rtcp: Option<KeySet>,
    srtp_used: u64,
    srtcp_used: u64,
    srtp_warned: bool,
    srtcp_warned: bool,
}

struct Cached {
    key: usize,
    r: u64,
    keys: KeySet,
}

// [RFC 3711 §3.2.1] "separate replay lists and packet counters for each
// stream (SSRC) MUST still be maintained"
struct Stream {
    roc: u32,
    s_l: u16,
    started: bool,
    rtp_window: ReplayWindow,
    // [RFC 3711 §3.2.1] "a separate replay list is maintained (when replay
    // protection is provided)"
    rtcp_window: ReplayWindow,
    srtcp_next: u32,
    rtp_cache: Option<Cached>,
    rtcp_cache: Option<Cached>,
}

impl Stream {
    fn new(window: u64) -> Self {
        // [RFC 3711 §3.3.1] "At the setup of the session, the ROC MUST be set
        // to zero."
        // [RFC 3711 §3.3.1] "When the session starts, the sender side MUST set
        // the rollover counter, ROC, to zero."
        Self {
            roc: 0,
            s_l: 0,
            started: false,
            rtp_window: ReplayWindow::new(window),
            rtcp_window: ReplayWindow::new(window),
            // [RFC 3711 §3.4] "The SRTCP index MUST be set to zero before the
            // first SRTCP packet is sent"
            srtcp_next: 0,
            rtp_cache: None,
            rtcp_cache: None,
        }
    }

    #[inline]
    fn estimate(&self, seq: u16) -> (u32, u64) {
        // [RFC 3711 §3.3.1] "On consecutive SRTP packets, the receiver SHOULD
        // estimate the index as"
        // [RFC 3711 §3.3.1] "the receiver SHALL initialize s_l to the RTP
        // sequence number (SEQ) of the first observed SRTP packet"
        let s_l = if self.started { self.s_l } else { seq };
        estimate_index(self.roc, s_l, seq)
    }

    #[inline]
    fn update(&mut self, v: u32, seq: u16) {
        // [RFC 3711 §3.3.1] "If v=(ROC-1) mod 2^32, then there is no update
        // to s_l or ROC.  If v=ROC, then s_l is set to SEQ if and only if
        // SEQ is larger than the current s_l; there is no change to ROC."
        if !self.started {
            self.started = true;
            self.s_l = seq;
            self.roc = v;
        } else if v == self.roc.wrapping_add(1) {
            // [RFC 3711 §3.3.1] "Each time the RTP sequence number, SEQ, wraps
            // modulo 2^16, the sender side MUST increment ROC by one, modulo 2^32"
            // [RFC 3711 §3.3.1] "If v=(ROC+1) mod 2^32, then s_l is set to SEQ
            // and ROC is set to v."
            self.roc = v;
            self.s_l = seq;
        } else if v == self.roc && seq > self.s_l {
            self.s_l = seq;
        }
    }
}

/// Hasher for the SSRC-keyed stream table. Entries are only inserted by the
/// local sender or after a packet authenticates, so keys are never chosen by
/// an attacker and a multiplicative hash (no SipHash) is safe; lookups of
/// forged SSRCs only cost a probe.
#[derive(Default, Clone, Copy)]
struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The per-SSRC streams of a context: a slot vector, an SSRC index over it,
/// and the slot of the SSRC used last. Most contexts carry one stream (or a
/// few, one after the other), so the common lookup is one comparison
/// instead of a hash probe. Streams are never removed, so a slot stays
/// valid for the life of the context.
struct Streams {
    slots: Vec<Stream>,
    by_ssrc: HashMap<u32, usize, BuildHasherDefault<SsrcHasher>>,
    /// The SSRC and slot of the last lookup that found a stream.
    last: Option<(u32, usize)>,
}

impl Streams {
    fn new() -> Self {
        Self {
            slots: Vec::new(),
            by_ssrc: HashMap::default(),
            last: None,
        }
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    fn slot(&self, ssrc: u32) -> Option<usize> {
        match self.last {
            Some((s, i)) if s == ssrc => Some(i),
            _ => self.by_ssrc.get(&ssrc).copied(),
        }
    }

    fn get(&self, ssrc: u32) -> Option<&Stream> {
        self.slots.get(self.slot(ssrc)?)
    }

    fn get_mut(&mut self, ssrc: u32) -> Option<&mut Stream> {
        let i = self.slot(ssrc)?;
        self.at(ssrc, i)
    }

    /// The stream in slot `i` (found for `ssrc`), remembered as the last.
    #[inline]
    fn at(&mut self, ssrc: u32, i: usize) -> Option<&mut Stream> {
        self.last = Some((ssrc, i));
        self.slots.get_mut(i)
    }

    /// Adds the stream of a new SSRC (the caller checked it is new and
    /// admitted it).
    fn insert(&mut self, ssrc: u32, stream: Stream) -> &mut Stream {
        let i = self.slots.len();
        self.by_ssrc.insert(ssrc, i);
        self.slots.push(stream);
        self.last = Some((ssrc, i));
        &mut self.slots[i]
    }
}

struct Params {
    profile: ProtectionProfile,
    /// `profile.is_aead()` and `profile.srtp_auth_tag_len()`, read on
    /// every packet.
    aead: bool,
    srtp_tag_len: usize,
    direction: Direction,
    mki_len: usize,
    kdr_shift: Option<u32>,
    window: u64,
    srtp_lifetime: u64,
    srtcp_lifetime: u64,
    /// The use counts at which [`Event::RekeyNeeded`] is raised: the
    /// lifetimes less the policy's re-key margin.
    srtp_warn_at: u64,
    srtcp_warn_at: u64,
    max_streams: usize,
    ssrcs: Option<Vec<u32>>,
}

/// An SRTP/SRTCP crypto context for one direction: the master keys of one
/// policy and the per-SSRC state (rollover counter, highest sequence number,
/// replay lists, SRTCP index) of every stream protected with them.
///
/// Protection is in place on the caller's buffer and never allocates
/// when the buffer has room for the trailer; a new SSRC allocates its state
/// once.
pub struct Context {
    params: Params,
    keys: Vec<KeyEntry>,
    active: usize,
    streams: Streams,
    events: VecDeque<Event>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("profile", &self.params.profile)
            .field("direction", &self.params.direction)
            .field("master_keys", &self.keys.len())
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context that protects outgoing packets.
    pub fn new_outbound(policy: &Policy) -> Result<Self, Error> {
        Self::new(policy, Direction::Outbound)
    }

    /// A context that unprotects incoming packets.
    pub fn new_inbound(policy: &Policy) -> Result<Self, Error> {
        Self::new(policy, Direction::Inbound)
    }

    /// A context for `direction`.
    pub fn new(policy: &Policy, direction: Direction) -> Result<Self, Error> {
        let mki_len = policy.validate()?;
        let profile = policy.profile;
        // [RFC 3711 §4.3.1] "The value of "key_derivation_rate" MUST be kept
        // fixed for the lifetime of the associated master key."
        let kdr_shift = match policy.key_derivation_rate {
            0 => None,
            r => Some(r.trailing_zeros()),
        };
        let mut keys = Vec::with_capacity(policy.keys.len());
        for mk in &policy.keys {
            // [RFC 3711 §4.3.1] "interoperable SRTP implementations MUST use
            // the SRTP key derivation to generate session keys"
            let prf = Prf::new(&mk.key)?;
            // [RFC 3711 §4.3.1] "At least one initial key derivation SHALL be
            // performed by SRTP, i.e., the first key derivation is REQUIRED."
            // [RFC 3711 §4.3.1] "Note that for a key_derivation_rate of 0, the
            // application of the key derivation SHALL take place exactly once."
            let (rtp, rtcp) = if kdr_shift.is_none() {
                (
                    Some(KeySet::derive(profile, &prf, &mk.salt, false, 0)?),
                    Some(KeySet::derive(profile, &prf, &mk.salt, true, 0)?),
                )
            } else {
                (None, None)
            };
            keys.push(KeyEntry {
                mki: mk.mki.clone(),
                master: Some((mk.salt.clone(), prf)),
                rtp,
                rtcp,
                srtp_used: 0,
                srtcp_used: 0,
                srtp_warned: false,
                srtcp_warned: false,
            });
        }
        Ok(Self {
            params: Params {
                profile,
                aead: profile.is_aead(),
                srtp_tag_len: profile.srtp_auth_tag_len(),
                direction,
                mki_len,
                kdr_shift,
                window: policy.replay_window,
                srtp_lifetime: policy.srtp_lifetime,
                srtcp_lifetime: policy.srtcp_lifetime,
                srtp_warn_at: policy.srtp_lifetime.saturating_sub(policy.rekey_margin),
                srtcp_warn_at: policy.srtcp_lifetime.saturating_sub(policy.rekey_margin),
                max_streams: policy.max_streams,
                ssrcs: policy.ssrcs.clone(),
            },
            keys,
            active: 0,
            streams: Streams::new(),
            events: VecDeque::new(),
        })
    }

    /// A context keyed directly with session keys (no key derivation, no
    /// MKI), for test vectors and key management that hands out session
    /// keys. Replay window 64, maximum lifetimes.
    pub fn with_session_keys(
        profile: ProtectionProfile,
        direction: Direction,
        srtp: &SessionKeyMaterial,
        srtcp: &SessionKeyMaterial,
    ) -> Result<Self, Error> {
        let entry = KeyEntry {
            mki: Vec::new(),
            master: None,
            rtp: Some(KeySet::from_material(profile, srtp)?),
            rtcp: Some(KeySet::from_material(profile, srtcp)?),
            srtp_used: 0,
            srtcp_used: 0,
            srtp_warned: false,
            srtcp_warned: false,
        };
        Ok(Self {
            params: Params {
                profile,
                aead: profile.is_aead(),
                srtp_tag_len: profile.srtp_auth_tag_len(),
                direction,
                mki_len: 0,
                kdr_shift: None,
                window: DEFAULT_REPLAY_WINDOW,
                srtp_lifetime: MAX_SRTP_LIFETIME,
                srtcp_lifetime: MAX_SRTCP_LIFETIME,
                srtp_warn_at: MAX_SRTP_LIFETIME - (1 << 16),
                srtcp_warn_at: MAX_SRTCP_LIFETIME - (1 << 16),
                max_streams: DEFAULT_MAX_STREAMS,
                ssrcs: None,
            },
            keys: vec![entry],
            active: 0,
            streams: Streams::new(),
            events: VecDeque::new(),
        })
    }

    /// The protection profile.
    pub fn profile(&self) -> ProtectionProfile {
        self.params.profile
    }

    /// The direction.
    pub fn direction(&self) -> Direction {
        self.params.direction
    }

    /// Octets `protect_rtp` appends (MKI and tag).
    pub fn srtp_overhead(&self) -> usize {
        self.params.profile.max_srtp_overhead(self.params.mki_len)
    }

    /// Octets `protect_rtcp` appends (E flag and index, MKI and tag): the
    /// RTCP scheduler adds them to `avg_rtcp_size`.
    pub fn srtcp_overhead(&self) -> usize {
        // The RTCP interval is computed by the RTP session (rtclite-rtp).
        // [RFC 3711 §3.4 exception: the RTP session owns avg_rtcp_size] "it
        // MUST include the size of the fields that will be added by SRTCP"
        self.params.profile.max_srtcp_overhead(self.params.mki_len)
    }

    /// Selects the master key (by its position in the policy) that
    /// protects the packets sent from now on. Rollover counters and SRTCP
    /// indices carry on.
    pub fn set_active_master_key(&mut self, index: usize) -> Result<(), Error> {
        if index >= self.keys.len() {
            return Err(Error::InvalidPolicy(format!(
                "no master key {index}; the policy has {}",
                self.keys.len()
            )));
        }
        // [RFC 3711 §3.3.1] "After a re-keying occurs (changing to a new
        // master key), the rollover counter always maintains its sequence of
        // values, i.e., it MUST NOT be reset to zero."
        // [RFC 3711 §3.4] "In particular, after a re-key, the SRTCP index
        // MUST NOT be reset to zero again."
        self.active = index;
        Ok(())
    }

    /// Sets the rollover counter of an SSRC, as key management signals it to
    /// a receiver joining an ongoing session; creates the stream if needed.
    pub fn set_roc(&mut self, ssrc: u32, roc: u32) -> Result<(), Error> {
        // [RFC 3711 §3.3.1] "Receivers joining an on-going session MUST be
        // given the current ROC value using out-of-band signaling"
        let stream = self.stream_for_config(ssrc)?;
        stream.roc = roc;
        Ok(())
    }

    /// Sets the next SRTCP index an outbound stream sends (to resume a
    /// stream); creates the stream if needed.
    pub fn set_srtcp_index(&mut self, ssrc: u32, index: u32) -> Result<(), Error> {
        let stream = self.stream_for_config(ssrc)?;
        stream.srtcp_next = index & 0x7fff_ffff;
        Ok(())
    }

    /// The rollover counter of an SSRC, if the context has seen it.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        self.streams.get(ssrc).map(|s| s.roc)
    }

    /// Number of SSRCs with state in the context.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// The next event, if any. Poll after each protect call until `None`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn stream_for_config(&mut self, ssrc: u32) -> Result<&mut Stream, Error> {
        stream_or_admit(&self.params, &mut self.streams, ssrc)
    }

    #[inline]
    fn check_direction(&self, want: Direction) -> Result<(), Error> {
        if self.params.direction != want {
            return Err(Error::WrongDirection(match self.params.direction {
                Direction::Outbound => "protect",
                Direction::Inbound => "unprotect",
            }));
        }
        Ok(())
    }

    // [RFC 3711 §3.1] "Note that the MKI SHALL NOT identify the SRTP
    // cryptographic context"
    // (The stream is chosen by SSRC; the MKI only picks a master key of it.)
    #[inline]
    fn key_by_mki(&self, mki: &[u8], offset: usize) -> Result<usize, Error> {
        if self.params.mki_len == 0 {
            return Ok(0);
        }
        // [RFC 3711 §3.3] "If the MKI indicator in the context is set to
        // one, use the MKI in the SRTP packet"
        self.keys
            .iter()
            .position(|k| k.mki == mki)
            .ok_or_else(|| Error::UnknownMki {
                mki: mki.to_vec(),
                offset,
            })
    }

    /// Checks the packet budget of master key `key` (sent packets on an
    /// outbound context, accepted packets on an inbound one).
    #[inline(always)]
    fn check_lifetime(&self, key: usize, srtcp: bool) -> Result<(), Error> {
        let (used, limit) = match self.keys.get(key) {
            Some(k) if srtcp => (k.srtcp_used, self.params.srtcp_lifetime),
            Some(k) => (k.srtp_used, self.params.srtp_lifetime),
            None => return Err(no_master_key()),
        };
        // The lifetimes are at most 2^48 SRTP and 2^31 SRTCP packets, so a
        // master key is exhausted before an index can repeat:
        // [RFC 7714 §8.4] "A rekey MUST be performed to establish a new master
        // key before the (ROC,SEQ) pair cycles back to its original value."
        // [RFC 7714 §9.4] "A new master key MUST be established before the
        // 31-bit SRTCP index cycles back to its original value."
        // [RFC 3711 §3.3.1] "After that number of SRTP packets have been sent
        // with a given (master or session) key, the sender MUST NOT send any
        // more packets with that key."
        // [RFC 3711 §3.4] "for security reasons the sender MUST also check the
        // number of SRTCP packets processed"
        // [RFC 4568 §6.1] "Compliant implementations obey the policies
        // associated with a master key and MUST NOT accept incoming packets
        // that violate the policy (e.g., after the master key lifetime has
        // expired)."
        if used >= limit {
            return Err(key_exhausted(key, srtcp, limit));
        }
        Ok(())
    }

    /// Counts one more packet processed with master key `key`; the re-key
    /// warning is raised once, when the count reaches the margin.
    #[inline(always)]
    fn count_use(&mut self, key: usize, srtcp: bool) {
        let Some(k) = self.keys.get_mut(key) else {
            return;
        };
        let (used, warn_at) = if srtcp {
            (&mut k.srtcp_used, self.params.srtcp_warn_at)
        } else {
            (&mut k.srtp_used, self.params.srtp_warn_at)
        };
        *used += 1;
        if *used >= warn_at {
            self.rekey_warning(key, srtcp);
        }
    }

    /// Queues [`Event::RekeyNeeded`] for `key` unless it was queued before.
    #[cold]
    #[inline(never)]
    fn rekey_warning(&mut self, key: usize, srtcp: bool) {
        let Some(k) = self.keys.get_mut(key) else {
            return;
        };
        let (used, warned, limit) = if srtcp {
            (
                k.srtcp_used,
                &mut k.srtcp_warned,
                self.params.srtcp_lifetime,
            )
        } else {
            (k.srtp_used, &mut k.srtp_warned, self.params.srtp_lifetime)
        };
        // [RFC 3711 §3.3.1] "Re-keying (see Section 8.1) MUST be triggered,
        // before this amount of traffic"
        if !*warned {
            *warned = true;
            self.events.push_back(Event::RekeyNeeded {
                master_key: key,
                srtcp,
                used,
                limit,
            });
        }
    }

    /// Protects the RTP packet in `buf[..len]` in place and returns the
    /// length of the SRTP packet; `buf` must have
    /// [`srtp_overhead`](Self::srtp_overhead) octets of room after `len`.
    pub fn protect_rtp_in_place(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let needed = len + self.params.mki_len + self.params.srtp_tag_len;
        if buf.len() < needed {
            return Err(Error::BufferTooSmall {
                capacity: buf.len(),
                needed,
            });
        }
        let mut out = InPlace { buf, len, end: len };
        self.protect_rtp_body(&mut out)?;
        Ok(out.end)
    }

    /// Protects an RTP packet held in a `Vec`, appending the trailer.
    /// Reserve [`srtp_overhead`](Self::srtp_overhead) spare capacity to
    /// avoid an allocation. On error the vector is unchanged.
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        // The trailer is appended after the body is protected in place: no
        // zero-filled room to write into and cut back on error.
        self.protect_rtp_body(packet)
    }

    /// Encrypts the RTP packet of `out` in place, appends the trailer (tag
    /// and MKI) and updates the stream (ROC, highest sequence number, index
    /// list, key use). On error neither `out` nor the context has changed.
    #[inline(always)]
    fn protect_rtp_body<O: SrtpOut>(&mut self, out: &mut O) -> Result<(), Error> {
        // [RFC 3711 §3.3] "the sender SHALL do the following to construct an
        // SRTP packet"
        self.check_direction(Direction::Outbound)?;
        let packet = out.packet();
        let len = packet.len();
        let hdr = header::rtp_header(packet)?;
        let aead = self.params.aead;
        let tag_len = self.params.srtp_tag_len;
        let payload_len = len - hdr.len;
        if !aead && payload_len > MAX_CM_PAYLOAD {
            // [RFC 3711 §4.1.1] "The number of blocks of keystream generated
            // for any fixed value of IV MUST NOT exceed 2^16"
            return Err(Error::TooLong { len: payload_len });
        }
        self.check_lifetime(self.active, false)?;
        let active = self.active;
        // The last SSRC's slot, else one hash lookup; a new SSRC is
        // admitted first.
        let stream = stream_or_admit(&self.params, &mut self.streams, hdr.ssrc)?;
        // [RFC 3711 §3.3] "Determine the index of the SRTP packet using the
        // rollover counter, the highest sequence number in the cryptographic
        // context, and the sequence number in the RTP packet"
        let (v, index) = stream.estimate(hdr.seq);
        // [RFC 3711 §4.1.1] "For a particular Counter Mode key, each IV value
        // used as an input MUST be distinct"
        // [RFC 3711 §4.1.1] "an implementation MUST ensure that the combination
        // of the SRTP packet index of ROC || SEQ, and the SSRC used in the
        // construction of the IV are distinct for any particular key"
        // [RFC 7714 §8.4] "For GCM, the (ROC,SEQ) and SSRC values used MUST be
        // generated or checked by either the SRTP implementation"
        if stream.rtp_window.check(index).is_err() {
            return Err(Error::IndexReuse {
                ssrc: hdr.ssrc,
                index,
            });
        }
        let keys = keys_for(
            &self.params,
            &self.keys,
            &mut stream.rtp_cache,
            active,
            false,
            index,
        )?;
        let mki = self.keys.get(active).map_or(&[][..], |k| k.mki.as_slice());
        if aead {
            // [RFC 7714 §8.1] "The 12-octet IV used by AES-GCM SRTP is formed
            // by first concatenating 2 octets of zeroes, the 4-octet SSRC, the
            // 4-octet rollover counter (ROC), and the 2-octet sequence number
            // (SEQ)."
            let iv = keys.gcm_iv(rtp_gcm_unique(hdr.ssrc, v, hdr.seq));
            // Header extensions are authenticated as associated data, never
            // encrypted:
            // [RFC 7714 §8.3 exception: RFC 6904 is not implemented] "For the
            // AEAD_AES_128_GCM algorithm, this keystream MUST be generated in
            // the manner defined in [RFC6904]"
            // [RFC 7714 §8.2] "Raw Data: The optional variable-length SRTP
            // Master Key Identifier (MKI) and SRTP authentication tag (whose
            // use is NOT RECOMMENDED)."
            // (No SRTP authentication tag is added with AEAD; the MKI is
            // appended only when the policy has one.)
            let (aad, data) = packet.split_at_mut(hdr.len);
            // [RFC 7714 §8.2] "All SRTP packets MUST be both authenticated and
            // encrypted."
            let Some(tag) = keys.gcm_seal(&iv, aad, data) else {
                return Err(Error::TooLong { len: payload_len });
            };
            // [RFC 7714 §8.2] "This tag is to be placed immediately before the
            // optional variable-length SRTP MKI"
            out.push(tag.as_ref());
            if !mki.is_empty() {
                out.push(mki);
            }
        } else {
            // [RFC 3711 §3.1] "encryption SHALL be applied before
            // authentication on the sender side"
            keys.apply_ctr(hdr.ssrc, index, &mut packet[hdr.len..]);
            // [RFC 3711 §4.2] "M SHALL consist of the Authenticated Portion of
            // the packet (as specified in Figure 1) concatenated with the ROC"
            let roc = v.to_be_bytes();
            let full = keys.hmac([packet, &roc]);
            // [RFC 3711 §3.3] "If the MKI indicator is set to one, append the
            // MKI to the packet."
            if !mki.is_empty() {
                out.push(mki);
            }
            // [RFC 3711 §4.2.1] "The HMAC output SHALL then be truncated to
            // the n_tag left-most bits."
            // (Constant lengths for the profiles' tags: moves, not a memcpy
            // call.)
            match tag_len {
                10 => out.push(&full[..10]),
                4 => out.push(&full[..4]),
                n => out.push(full.get(..n).unwrap_or(&[])),
            }
        }
        // [RFC 3711 §3.3] "If necessary, update the ROC as in Section 3.3.1,
        // using the packet index determined in Step 2."
        stream.update(v, hdr.seq);
        stream.rtp_window.accept(index);
        self.count_use(active, false);
        Ok(())
    }

    /// Verifies and decrypts the SRTP packet in `buf` in place and returns
    /// the length of the RTP packet now at its start.
    ///
    /// On error the context is unchanged, and so is `buf`, with one
    /// exception: when an AEAD profile's tag does not verify, the encrypted
    /// portion (between the header and the tag) is zeroed, so that no
    /// unauthenticated plaintext is left behind. Keep a copy of the packet
    /// if it may be retried with another context.
    pub fn unprotect_rtp_in_place(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        // [RFC 3711 §3.3] "To authenticate and decrypt an SRTP packet, the
        // receiver SHALL do the following"
        self.check_direction(Direction::Inbound)?;
        let len = buf.len();
        let hdr = header::rtp_header(buf)?;
        let aead = self.params.aead;
        let tag_len = self.params.srtp_tag_len;
        let mki_len = self.params.mki_len;
        let needed = hdr.len + mki_len + tag_len;
        if len < needed {
            return Err(Error::TooShort {
                len,
                needed,
                what: "the SRTP header, MKI and tag",
            });
        }
        // Layout: HMAC  [header|payload|MKI|tag]; AEAD [header|cipher+tag|MKI].
        // [RFC 7714 §7.1] "The AEAD message authentication mechanism MUST be
        // the primary message authentication mechanism for AEAD SRTP/SRTCP."
        // [RFC 7714 §7.1] "the optional SRTP/SRTCP authentication tags are NOT
        // RECOMMENDED and SHOULD NOT be present"
        let (mki_at, auth_end) = if aead {
            (len - mki_len, len - mki_len)
        } else {
            (len - tag_len - mki_len, len - tag_len - mki_len)
        };
        let key = self.key_by_mki(&buf[mki_at..mki_at + mki_len], mki_at)?;
        self.check_lifetime(key, false)?;
        // A stream is only created once a packet authenticates, so forged
        // packets cannot fill the stream table.
        let mut new_stream = None;
        let streams_len = self.streams.len();
        let stream = match self.streams.get_mut(hdr.ssrc) {
            Some(s) => s,
            None => {
                admit(&self.params, streams_len, hdr.ssrc)?;
                new_stream.insert(Stream::new(self.params.window))
            }
        };
        // [RFC 3711 §3.3] "Run the algorithm in Section 3.3.1 to get the index
        // of the SRTP packet."
        let (v, index) = stream.estimate(hdr.seq);
        // [RFC 3711 §3.3] "For message authentication and replay protection,
        // first check if the packet has been replayed (Section 3.3.2)"
        replay_check(&stream.rtp_window, hdr.ssrc, index)?;
        let keys = keys_for(
            &self.params,
            &self.keys,
            &mut stream.rtp_cache,
            key,
            false,
            index,
        )?;
        let auth_fail = || Error::AuthenticationFailure {
            ssrc: hdr.ssrc,
            index,
        };
        let out_len = if aead {
            let cipher_end = auth_end - AEAD_TAG_LEN;
            let iv = keys.gcm_iv(rtp_gcm_unique(hdr.ssrc, v, hdr.seq));
            let (aad, rest) = buf.split_at_mut(hdr.len);
            let (data, tag) = rest[..auth_end - hdr.len].split_at_mut(cipher_end - hdr.len);
            if !open_or_erase(keys, &iv, aad, data, tag) {
                return Err(auth_fail());
            }
            cipher_end
        } else {
            let roc = v.to_be_bytes();
            // [RFC 3711 §3.3] "If the result is "AUTHENTICATION FAILURE" (see
            // Section 4.2), the packet MUST be discarded from further
            // processing"
            if !keys.hmac_verify([&buf[..auth_end], &roc], &buf[len - tag_len..]) {
                return Err(auth_fail());
            }
            // [RFC 3711 §3.3] "Decrypt the Encrypted Portion of the packet"
            keys.apply_ctr(hdr.ssrc, index, &mut buf[hdr.len..auth_end]);
            auth_end
        };
        // [RFC 3711 §3.3.1] "After the packet has been processed and
        // authenticated (when enabled for SRTP packets for the session), the
        // receiver MUST use v to conditionally update its s_l and ROC"
        stream.update(v, hdr.seq);
        stream.rtp_window.accept(index);
        if let Some(new) = new_stream {
            self.streams.insert(hdr.ssrc, new);
        }
        self.count_use(key, false);
        // [RFC 3711 §3.3] "When present, remove the MKI and authentication tag
        // fields from the packet."
        Ok(out_len)
    }

    /// Unprotects an SRTP packet held in a `Vec`, truncating it to the RTP
    /// packet. On error the vector keeps its length and, apart from the
    /// AEAD case of [`unprotect_rtp_in_place`](Self::unprotect_rtp_in_place),
    /// its bytes.
    pub fn unprotect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let n = self.unprotect_rtp_in_place(packet)?;
        packet.truncate(n);
        Ok(())
    }

    /// Protects the (compound) RTCP packet in `buf[..len]` in place,
    /// encrypting it unless the profile's cipher is NULL; returns the SRTCP
    /// length. `buf` needs [`srtcp_overhead`](Self::srtcp_overhead) octets
    /// of room after `len`.
    pub fn protect_rtcp_in_place(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let encrypt = self.params.profile.cipher() != CipherKind::Null;
        self.protect_rtcp_inner(buf, len, encrypt)
    }

    /// Protects an RTCP packet with authentication only (E flag 0), as
    /// RFC 3550 §9.1 allows for the part of a split compound packet sent in
    /// the clear.
    pub fn protect_rtcp_unencrypted_in_place(
        &mut self,
        buf: &mut [u8],
        len: usize,
    ) -> Result<usize, Error> {
        self.protect_rtcp_inner(buf, len, false)
    }

    /// Protects an RTCP packet held in a `Vec` (encrypted unless the cipher
    /// is NULL). On error the vector is unchanged.
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let encrypt = self.params.profile.cipher() != CipherKind::Null;
        self.protect_rtcp_vec(packet, encrypt)
    }

    /// Protects an RTCP packet held in a `Vec` with authentication only.
    pub fn protect_rtcp_unencrypted(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        self.protect_rtcp_vec(packet, false)
    }

    fn protect_rtcp_vec(&mut self, packet: &mut Vec<u8>, encrypt: bool) -> Result<(), Error> {
        let len = packet.len();
        packet.resize(len + self.srtcp_overhead(), 0);
        match self.protect_rtcp_inner(packet, len, encrypt) {
            Ok(n) => {
                packet.truncate(n);
                Ok(())
            }
            Err(e) => {
                packet.truncate(len);
                Err(e)
            }
        }
    }

    fn protect_rtcp_inner(
        &mut self,
        buf: &mut [u8],
        len: usize,
        encrypt: bool,
    ) -> Result<usize, Error> {
        self.check_direction(Direction::Outbound)?;
        let packet = buf.get(..len).ok_or_else(|| Error::BufferTooSmall {
            capacity: buf.len(),
            needed: len,
        })?;
        // Like libsrtp, the first packet type is not checked, so that
        // reduced-size RTCP (RFC 5506) can be protected too.
        // [RFC 3711 §3.4 exception: RFC 5506 reduced-size RTCP] "SRTCP MUST be
        // given packets according to that requirement"
        let ssrc = header::rtcp_ssrc(packet)?;
        let p = self.params.profile;
        let tag_len = p.srtcp_auth_tag_len();
        let mki_len = self.params.mki_len;
        // [RFC 3711 §3.4] "The three mandatory fields MUST be appended to an
        // RTCP packet in order to form an equivalent SRTCP packet."
        let needed = len + 4 + mki_len + tag_len;
        if buf.len() < needed {
            return Err(Error::BufferTooSmall {
                capacity: buf.len(),
                needed,
            });
        }
        if !p.is_aead() && len - RTCP_CLEAR_HEADER > MAX_CM_PAYLOAD {
            return Err(Error::TooLong {
                len: len - RTCP_CLEAR_HEADER,
            });
        }
        self.check_lifetime(self.active, true)?;
        let active = self.active;
        let stream = stream_or_admit(&self.params, &mut self.streams, ssrc)?;
        let index = stream.srtcp_next;
        let keys = keys_for(
            &self.params,
            &self.keys,
            &mut stream.rtcp_cache,
            active,
            true,
            u64::from(index),
        )?;
        let mki = self
            .keys
            .get(active)
            .map(|k| k.mki.as_slice())
            .unwrap_or(&[]);
        // [RFC 3711 §3.4] "The E-flag is assigned a value by the sender
        // depending on whether the packet was encrypted or not."
        // [RFC 3711 §3.4] "E-flag: 1 bit, REQUIRED The E-flag indicates if the
        // current SRTCP packet is encrypted or unencrypted."
        // [RFC 3711 §3.4] "SRTCP index: 31 bits, REQUIRED The SRTCP index is a
        // 31-bit counter for the SRTCP packet."
        let e_index = if encrypt { 0x8000_0000 | index } else { index };
        let esrtcp = e_index.to_be_bytes();
        if p.is_aead() {
            // [RFC 7714 §9.1] "The 12-octet IV used by AES-GCM SRTCP is formed
            // by first concatenating 2 octets of zeroes, the 4-octet SSRC
            // identifier, 2 octets of zeroes, a single "0" bit, and the 31-bit
            // SRTCP index."
            let iv = keys.gcm_iv(rtcp_gcm_unique(ssrc, index));
            let tag = if encrypt {
                // [RFC 7714 §9.2] "Associated Data: The packet version V (2
                // bits), padding flag P (1 bit), reception report count RC (5
                // bits), Packet Type (8 bits), length (2 octets), SSRC (4
                // octets), Encryption flag (1 bit), and SRTCP index (31 bits)."
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&esrtcp);
                keys.gcm_seal(&iv, &aad, &mut buf[8..len])
            } else {
                // [RFC 7714 §9.3] "Even though there is no ciphertext in this
                // RTCP packet, AEAD encryption returns a cipher field that is
                // precisely the length of the AEAD authentication tag."
                buf[len..len + 4].copy_from_slice(&esrtcp);
                keys.gcm_seal(&iv, &buf[..len + 4], &mut [])
            };
            let tag = tag.ok_or_else(|| Error::TooLong { len })?;
            // [RFC 7714 §9.2] "This tag is to be placed immediately before the
            // Encryption flag and SRTCP index."
            buf[len..len + AEAD_TAG_LEN].copy_from_slice(tag.as_ref());
            buf[len + AEAD_TAG_LEN..len + AEAD_TAG_LEN + 4].copy_from_slice(&esrtcp);
            buf[len + AEAD_TAG_LEN + 4..needed].copy_from_slice(mki);
        } else {
            // [RFC 3711 §3.4] "while the NULL algorithm SHALL be applied to the
            // RTCP packets not to be encrypted"
            if encrypt {
                // [RFC 3711 §4.1.1] "In the case of SRTCP, the SSRC of the first
                // header of the compound packet MUST be used, i SHALL be the
                // 31-bit SRTCP index"
                // [RFC 3711 §3.4] "the RTCP encryption prefix (a random 32-bit
                // quantity) specified in that Section MUST NOT be used"
                keys.apply_ctr(ssrc, u64::from(index), &mut buf[RTCP_CLEAR_HEADER..len]);
            }
            buf[len..len + 4].copy_from_slice(&esrtcp);
            buf[len + 4..len + 4 + mki_len].copy_from_slice(mki);
            // [RFC 3711 §3.4] "The Authenticated Portion of an SRTCP packet
            // consists of the entire equivalent (eventually compound) RTCP
            // packet, the E flag, and the SRTCP index"
            let (m, trailer) = buf.split_at_mut(len + 4);
            // [RFC 3711 §3.4] "Authentication Tag: configurable length,
            // REQUIRED The authentication tag is used to carry message
            // authentication data."
            // [RFC 3711 §3.4] "Message authentication for RTCP is REQUIRED"
            let full = keys.hmac([m, &[]]);
            trailer[mki_len..mki_len + tag_len].copy_from_slice(&full[..tag_len]);
        }
        // [RFC 3711 §3.4] "MUST be incremented by one, modulo 2^31, after each
        // SRTCP packet is sent"
        stream.srtcp_next = (index + 1) & 0x7fff_ffff;
        self.count_use(active, true);
        Ok(needed)
    }

    /// Verifies and (when its E flag is set) decrypts the SRTCP packet in
    /// `buf` in place; returns the length of the RTCP packet now at its
    /// start. On error the context is unchanged, and so is `buf`, except
    /// that an encrypted SRTCP packet failing an AEAD profile's tag check
    /// has its encrypted portion zeroed (as for
    /// [`unprotect_rtp_in_place`](Self::unprotect_rtp_in_place)).
    pub fn unprotect_rtcp_in_place(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        self.check_direction(Direction::Inbound)?;
        let len = buf.len();
        let ssrc = header::rtcp_ssrc(buf)?;
        let p = self.params.profile;
        let tag_len = p.srtcp_auth_tag_len();
        let mki_len = self.params.mki_len;
        let needed = RTCP_CLEAR_HEADER + 4 + mki_len + tag_len;
        if len < needed {
            return Err(Error::TooShort {
                len,
                needed,
                what: "the SRTCP header, index, MKI and tag",
            });
        }
        // Layout: HMAC [rtcp|E+index|MKI|tag]; AEAD [hdr|cipher+tag|E+index|MKI].
        // [RFC 7714 §9] "All SRTCP compound packets MUST be authenticated, but
        // unlike SRTP, SRTCP packet encryption is optional."
        let (e_at, mki_at) = if p.is_aead() {
            (len - mki_len - 4, len - mki_len)
        } else {
            (len - tag_len - mki_len - 4, len - tag_len - mki_len)
        };
        let e_index = header::be32(buf, e_at).ok_or_else(|| Error::TooShort {
            len,
            needed,
            what: "the SRTCP index",
        })?;
        let encrypted = e_index & 0x8000_0000 != 0;
        let index = e_index & 0x7fff_ffff;
        let key = self.key_by_mki(&buf[mki_at..mki_at + mki_len], mki_at)?;
        self.check_lifetime(key, true)?;
        let mut new_stream = None;
        let streams_len = self.streams.len();
        let stream = match self.streams.get_mut(ssrc) {
            Some(s) => s,
            None => {
                admit(&self.params, streams_len, ssrc)?;
                new_stream.insert(Stream::new(self.params.window))
            }
        };
        // [RFC 3711 §3.4] "SRTCP replay protection is as defined in Section
        // 3.3.2, but using the SRTCP index as the index i and a separate Replay
        // List that is specific to SRTCP."
        replay_check(&stream.rtcp_window, ssrc, u64::from(index))?;
        let keys = keys_for(
            &self.params,
            &self.keys,
            &mut stream.rtcp_cache,
            key,
            true,
            u64::from(index),
        )?;
        let auth_fail = || Error::AuthenticationFailure {
            ssrc,
            index: u64::from(index),
        };
        let out_len = if p.is_aead() {
            let cipher_end = e_at - AEAD_TAG_LEN;
            let iv = keys.gcm_iv(rtcp_gcm_unique(ssrc, index));
            let esrtcp = e_index.to_be_bytes();
            if encrypted {
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&esrtcp);
                let (data, tag) =
                    buf[RTCP_CLEAR_HEADER..e_at].split_at_mut(cipher_end - RTCP_CLEAR_HEADER);
                if !open_or_erase(keys, &iv, &aad, data, tag) {
                    return Err(auth_fail());
                }
            } else {
                // The AAD is the RTCP packet followed by the ESRTCP word: move
                // the word over the tag to make it contiguous, and put the
                // bytes back if the tag does not verify.
                let mut tag = [0u8; AEAD_TAG_LEN];
                tag.copy_from_slice(&buf[cipher_end..e_at]);
                buf[cipher_end..cipher_end + 4].copy_from_slice(&esrtcp);
                if !keys.gcm_open(&iv, &buf[..cipher_end + 4], &mut [], &tag) {
                    buf[cipher_end..e_at].copy_from_slice(&tag);
                    return Err(auth_fail());
                }
            }
            cipher_end
        } else {
            // [RFC 3711 §3.4] "Message authentication for RTCP is REQUIRED"
            if !keys.hmac_verify([&buf[..e_at + 4], &[]], &buf[len - tag_len..]) {
                return Err(auth_fail());
            }
            // [RFC 3711 §3.4] "SRTCP decryption is performed as in Section 4,
            // but only if the E flag is equal to 1."
            if encrypted {
                keys.apply_ctr(ssrc, u64::from(index), &mut buf[RTCP_CLEAR_HEADER..e_at]);
            }
            e_at
        };
        stream.rtcp_window.accept(u64::from(index));
        if let Some(new) = new_stream {
            self.streams.insert(ssrc, new);
        }
        self.count_use(key, true);
        Ok(out_len)
    }

    /// Unprotects an SRTCP packet held in a `Vec`, truncating it to the
    /// RTCP packet. On error the vector keeps its length and, apart from
    /// the AEAD case of
    /// [`unprotect_rtcp_in_place`](Self::unprotect_rtcp_in_place), its
    /// bytes.
    pub fn unprotect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let n = self.unprotect_rtcp_in_place(packet)?;
        packet.truncate(n);
        Ok(())
    }
}

/// Where a protected RTP packet goes: the packet, protected in place,
/// and its trailer (tag and MKI) appended after it.
trait SrtpOut {
    /// The RTP packet.
    fn packet(&mut self) -> &mut [u8];
    /// Appends `part` to the trailer.
    fn push(&mut self, part: &[u8]);
}

impl SrtpOut for Vec<u8> {
    #[inline(always)]
    fn packet(&mut self) -> &mut [u8] {
        self
    }

    #[inline(always)]
    fn push(&mut self, part: &[u8]) {
        self.extend_from_slice(part);
    }
}

/// A caller's buffer: the packet in `buf[..len]`, the trailer written
/// from `end` on (the caller checked the room for it).
struct InPlace<'a> {
    buf: &'a mut [u8],
    len: usize,
    end: usize,
}

impl SrtpOut for InPlace<'_> {
    #[inline(always)]
    fn packet(&mut self) -> &mut [u8] {
        let len = self.len.min(self.buf.len());
        &mut self.buf[..len]
    }

    #[inline(always)]
    fn push(&mut self, part: &[u8]) {
        if let Some(room) = self.buf.get_mut(self.end..self.end + part.len()) {
            room.copy_from_slice(part);
            self.end += part.len();
        }
    }
}

/// AEAD verification and decryption of `data` in place. When the tag does
/// not verify, `data` is zeroed: no unauthenticated plaintext is left in the
/// caller's buffer, and both GCM backends leave the same bytes. (ring
/// erases it itself; the aes-gcm crate checks before decrypting and leaves
/// the ciphertext, which is erased here.) Keeping the ciphertext instead
/// would mean copying every payload before opening it: about 5 ns of a
/// 100 ns packet, for packets the RFC says to discard.
#[inline(always)]
fn open_or_erase(keys: &KeySet, iv: &[u8; 12], aad: &[u8], data: &mut [u8], tag: &[u8]) -> bool {
    let ok = keys.gcm_open(iv, aad, data, tag);
    #[cfg(not(feature = "ring"))]
    if !ok {
        data.fill(0);
    }
    ok
}

/// The stream of `ssrc`, created (when the policy admits it) if new.
#[inline(always)]
fn stream_or_admit<'a>(
    params: &Params,
    streams: &'a mut Streams,
    ssrc: u32,
) -> Result<&'a mut Stream, Error> {
    match streams.slot(ssrc) {
        Some(i) => match streams.at(ssrc, i) {
            Some(s) => Ok(s),
            None => Err(out_of_step()),
        },
        None => new_stream(params, streams, ssrc),
    }
}

/// The first packet of an SSRC: admitted and given its state, out of line
/// so that the per-packet path keeps a small stack frame.
#[cold]
#[inline(never)]
fn new_stream<'a>(
    params: &Params,
    streams: &'a mut Streams,
    ssrc: u32,
) -> Result<&'a mut Stream, Error> {
    admit(params, streams.len(), ssrc)?;
    Ok(streams.insert(ssrc, Stream::new(params.window)))
}

#[cold]
#[inline(never)]
fn out_of_step() -> Error {
    Error::InvalidPolicy("stream table out of step".into())
}

#[cold]
#[inline(never)]
fn key_exhausted(master_key: usize, srtcp: bool, limit: u64) -> Error {
    Error::KeyExhausted {
        master_key,
        srtcp,
        limit,
    }
}

#[cold]
#[inline(never)]
fn no_master_key() -> Error {
    Error::InvalidPolicy("no master key".into())
}

/// Checks that a new stream for `ssrc` may be created in a context with
/// `streams` streams.
fn admit(params: &Params, streams: usize, ssrc: u32) -> Result<(), Error> {
    if let Some(list) = &params.ssrcs {
        // [RFC 3711 §3.2.3] "If no valid context can be found for a
        // packet corresponding to a certain context identifier, that
        // packet MUST be discarded."
        if !list.contains(&ssrc) {
            return Err(Error::UnknownSsrc { ssrc });
        }
    }
    if streams >= params.max_streams {
        return Err(Error::TooManyStreams {
            limit: params.max_streams,
        });
    }
    Ok(())
}

#[inline]
fn replay_check(window: &ReplayWindow, ssrc: u32, index: u64) -> Result<(), Error> {
    match window.check(index) {
        Ok(()) => Ok(()),
        // [RFC 3711 §3.3] "If the packet is judged to be replayed, then the
        // packet MUST be discarded"
        Err(ReplayVerdict::Replayed) => Err(Error::Replayed { ssrc, index }),
        Err(ReplayVerdict::TooOld) => Err(Error::TooOld {
            ssrc,
            index,
            window: window.size(),
        }),
    }
}

/// The RTP AEAD IV before the salt (RFC 7714 §8.1): 2 zero octets, SSRC,
/// ROC, SEQ.
#[inline(always)]
fn rtp_gcm_unique(ssrc: u32, roc: u32, seq: u16) -> IvWords {
    IvWords {
        hi: (u64::from(ssrc) << 16) | u64::from(roc >> 16),
        lo: ((roc & 0xffff) << 16) | u32::from(seq),
    }
}

/// The SRTCP AEAD IV before the salt (RFC 7714 §9.1): 2 zero octets,
/// SSRC, 2 zero octets, a 0 bit and the 31-bit SRTCP index.
#[inline(always)]
fn rtcp_gcm_unique(ssrc: u32, index: u32) -> IvWords {
    IvWords {
        hi: u64::from(ssrc) << 16,
        lo: index & 0x7fff_ffff,
    }
}

/// The session keys for a packet: the ones derived once (rate 0), or the
/// ones for r = index DIV key_derivation_rate, cached per stream.
#[inline(always)]
fn keys_for<'a>(
    params: &Params,
    keys: &'a [KeyEntry],
    cache: &'a mut Option<Cached>,
    key: usize,
    srtcp: bool,
    index: u64,
) -> Result<&'a KeySet, Error> {
    let Some(entry) = keys.get(key) else {
        return Err(no_master_key());
    };
    let fixed = if srtcp {
        entry.rtcp.as_ref()
    } else {
        entry.rtp.as_ref()
    };
    if let Some(k) = fixed {
        return Ok(k);
    }
    // [RFC 3711 §4.3.1] "Let r = index DIV key_derivation_rate (with DIV as
    // defined above)."
    let r = params.kdr_shift.map_or(0, |s| index >> s);
    if !matches!(cache, Some(c) if c.key == key && c.r == r) {
        derive_into(params, entry, cache, key, srtcp, r)?;
    }
    match cache {
        Some(c) => Ok(&c.keys),
        None => Err(no_master_key()),
    }
}

/// Derives the session keys for `r` into a stream's cache (key derivation
/// rate not 0): once per `key_derivation_rate` packets, so out of line.
#[cold]
#[inline(never)]
fn derive_into(
    params: &Params,
    entry: &KeyEntry,
    cache: &mut Option<Cached>,
    key: usize,
    srtcp: bool,
    r: u64,
) -> Result<(), Error> {
    let Some((salt, prf)) = entry.master.as_ref() else {
        return Err(no_master_key());
    };
    // [RFC 3711 §4.3.1] "when r > 0, a key derivation is performed
    // whenever index mod r equals zero"
    // Only the stream's key cache is replaced: a packet that then fails
    // authentication costs a derivation, never protocol state.
    let keys = KeySet::derive(params.profile, prf, salt, srtcp, r)?;
    *cache = Some(Cached { key, r, keys });
    Ok(())
}

/// The two contexts of one endpoint of an SRTP session: outbound keys
/// protect what we send, inbound keys unprotect what we receive.
#[derive(Debug)]
pub struct Session {
    /// Protects outgoing packets.
    pub outbound: Context,
    /// Unprotects incoming packets.
    pub inbound: Context,
}

impl Session {
    /// Builds both contexts.
    pub fn new(outbound: &Policy, inbound: &Policy) -> Result<Self, Error> {
        Ok(Self {
            outbound: Context::new_outbound(outbound)?,
            inbound: Context::new_inbound(inbound)?,
        })
    }

    /// See [`Context::protect_rtp`].
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        self.outbound.protect_rtp(packet)
    }

    /// See [`Context::unprotect_rtp`].
    pub fn unprotect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        self.inbound.unprotect_rtp(packet)
    }

    /// See [`Context::protect_rtcp`].
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        self.outbound.protect_rtcp(packet)
    }

    /// See [`Context::unprotect_rtcp`].
    pub fn unprotect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        self.inbound.unprotect_rtcp(packet)
    }

    /// The next event of either context.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.outbound
            .poll_event()
            .or_else(|| self.inbound.poll_event())
    }
}
