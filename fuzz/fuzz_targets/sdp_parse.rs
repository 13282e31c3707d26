//! rtclite-sdp parser: any bytes parse or fail cleanly; what parses writes
//! back to text that parses to the same value, and typed views never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtclite_sdp::{
    Candidate, Crypto, Extmap, Fingerprint, Fmtp, Group, Rtcp, RtcpFb, Rtpmap, SessionDescription,
    Ssrc, SsrcGroup,
};

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = SessionDescription::parse(data) else {
        return;
    };
    let text = sdp.to_string();
    let again = SessionDescription::parse(text.as_bytes()).expect("written SDP parses");
    assert_eq!(again, sdp);
    let _ = sdp.typed::<Group<'_>>().count();
    for m in &sdp.media {
        let _ = m.typed::<Rtpmap<'_>>().count();
        let _ = m.typed::<Fmtp<'_>>().count();
        let _ = m.typed::<RtcpFb<'_>>().count();
        let _ = m.typed::<Extmap<'_>>().count();
        let _ = m.typed::<Ssrc<'_>>().count();
        let _ = m.typed::<SsrcGroup<'_>>().count();
        let _ = m.typed::<Candidate<'_>>().count();
        let _ = m
            .typed::<Crypto<'_>>()
            .map(|c| c.map(|c| c.validate_keys()))
            .count();
        let _ = m.typed::<Fingerprint<'_>>().count();
        let _ = m.typed::<Rtcp<'_>>().count();
    }
    let _ = sdp.into_owned();
});
