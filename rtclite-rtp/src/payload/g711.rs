//! G.711 μ-law and A-law companding (ITU-T G.711), computed from the
//! segment/quantisation algorithm rather than looked up in copied tables.
//!
//! Samples are 16-bit linear PCM. μ-law works on 14-bit magnitudes with a
//! bias of 33 (132 in 16-bit scale); A-law on 13-bit magnitudes. Every code
//! word is inverted as G.711 transmits it (μ-law: all bits; A-law: even
//! bits, XOR 0x55).

/// μ-law bias in the 16-bit domain (33 in the 14-bit domain).
const ULAW_BIAS: i32 = 0x84;
/// Largest 14-bit magnitude before the bias is added.
const ULAW_CLIP: i32 = 8159;

/// Encodes one linear sample as μ-law.
///
/// The sample is first reduced to 14 bits by an arithmetic shift (so
/// negative values round toward minus infinity), as in the widely used
/// reference implementation; the output agrees with it for all 65536
/// inputs (see the crate's `tests/vectors/g711_reference.txt`).
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut x = i32::from(sample) >> 2;
    let sign = if x < 0 {
        x = -x;
        0x80u8
    } else {
        0
    };
    x = x.min(ULAW_CLIP) + (ULAW_BIAS >> 2);
    // Segment: how far the highest set bit lies above bit 5 (0..=7); the
    // clipped maximum falls past segment 7 and saturates.
    let segment = (31 - (x as u32).leading_zeros()).saturating_sub(5);
    let code = if segment > 7 {
        0x7f
    } else {
        ((segment << 4) as u8) | ((x >> (segment + 1)) & 0x0f) as u8
    };
    !(sign | code)
}

/// Decodes one μ-law code word to a linear sample.
pub fn ulaw_decode(code: u8) -> i16 {
    let c = !code;
    let segment = i32::from((c >> 4) & 0x07);
    let mantissa = i32::from(c & 0x0f);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << segment) - ULAW_BIAS;
    if c & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encodes one linear sample as A-law.
pub fn alaw_encode(sample: i16) -> u8 {
    // A-law works on 13-bit magnitudes: drop the three low bits.
    let mut x = i32::from(sample) >> 3;
    let sign = if x >= 0 {
        0x80
    } else {
        x = -x - 1;
        0
    };
    let x = x.min(0x0fff);
    let code = if x < 32 {
        (x >> 1) as u8
    } else {
        let segment = (31 - (x as u32).leading_zeros()) as i32 - 4; // 1..=7
        ((segment << 4) | ((x >> segment) & 0x0f)) as u8
    };
    (sign | code) ^ 0x55
}

/// Decodes one A-law code word to a linear sample.
pub fn alaw_decode(code: u8) -> i16 {
    let c = code ^ 0x55;
    let segment = i32::from((c >> 4) & 0x07);
    let mantissa = i32::from(c & 0x0f);
    let magnitude = if segment == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (segment - 1)
    };
    if c & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Encodes a block of samples as μ-law into `out` (same length).
pub fn ulaw_encode_slice(samples: &[i16], out: &mut [u8]) {
    for (o, s) in out.iter_mut().zip(samples) {
        *o = ulaw_encode(*s);
    }
}

/// Decodes a block of μ-law code words into `out` (same length).
pub fn ulaw_decode_slice(codes: &[u8], out: &mut [i16]) {
    for (o, c) in out.iter_mut().zip(codes) {
        *o = ulaw_decode(*c);
    }
}

/// Encodes a block of samples as A-law into `out` (same length).
pub fn alaw_encode_slice(samples: &[i16], out: &mut [u8]) {
    for (o, s) in out.iter_mut().zip(samples) {
        *o = alaw_encode(*s);
    }
}

/// Decodes a block of A-law code words into `out` (same length).
pub fn alaw_decode_slice(codes: &[u8], out: &mut [i16]) {
    for (o, c) in out.iter_mut().zip(codes) {
        *o = alaw_decode(*c);
    }
}
