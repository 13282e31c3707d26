//! HMAC-SHA1 and HMAC-SHA256 (RFC 2104) with the key blocks absorbed once.
//!
//! A STUN message is hashed with its Message Length field replaced (RFC 8489
//! §14.5), so the hashing here takes the first four header bytes separately
//! and reads every other byte straight from the message: no copy of the
//! message, no per-call key schedule. The compression functions are the
//! RustCrypto ones (SHA extensions are used when the CPU has them); this
//! module only does the HMAC framing and the Merkle–Damgård padding, and is
//! checked against the `hmac` crate in the tests.

use sha1::digest::generic_array::GenericArray;

const BLOCK: usize = 64;
const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

fn sha1_compress(state: &mut [u32; 5], block: &[u8; BLOCK]) {
    sha1::compress(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

fn sha256_compress(state: &mut [u32; 8], block: &[u8; BLOCK]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// Hashes `head ++ data` on top of `state`, which has already absorbed
/// `prefix_len` bytes (one key block), and returns the final state.
fn finish<const S: usize>(
    mut state: [u32; S],
    compress: fn(&mut [u32; S], &[u8; BLOCK]),
    head: &[u8],
    data: &[u8],
    prefix_len: u64,
) -> [u32; S] {
    let total = head.len() + data.len();
    let mut block = [0u8; BLOCK];
    // The first block mixes `head` and the start of `data`.
    let mut fill = head.len().min(BLOCK);
    block[..fill].copy_from_slice(&head[..fill]);
    let mut rest = data;
    let take = (BLOCK - fill).min(rest.len());
    block[fill..fill + take].copy_from_slice(&rest[..take]);
    fill += take;
    rest = &rest[take..];
    if fill == BLOCK {
        compress(&mut state, &block);
        let mut chunks = rest.chunks_exact(BLOCK);
        for c in &mut chunks {
            let mut b = [0u8; BLOCK];
            b.copy_from_slice(c);
            compress(&mut state, &b);
        }
        let tail = chunks.remainder();
        block = [0u8; BLOCK];
        block[..tail.len()].copy_from_slice(tail);
        fill = tail.len();
    }
    // Padding: 0x80, zeros, then the bit length in the last 8 bytes.
    let bits = (prefix_len + total as u64) * 8;
    block[fill] = 0x80;
    for b in &mut block[fill + 1..] {
        *b = 0;
    }
    if fill + 1 > BLOCK - 8 {
        compress(&mut state, &block);
        block = [0u8; BLOCK];
    }
    block[BLOCK - 8..].copy_from_slice(&bits.to_be_bytes());
    compress(&mut state, &block);
    state
}

fn key_pads(key: &[u8], hash: impl Fn(&[u8]) -> Vec<u8>) -> ([u8; BLOCK], [u8; BLOCK]) {
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        let h = hash(key);
        k[..h.len()].copy_from_slice(&h);
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for i in 0..BLOCK {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    (ipad, opad)
}

fn words_be<const S: usize, const N: usize>(state: &[u32; S]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, w) in out.chunks_exact_mut(4).zip(state.iter()) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// HMAC-SHA1 with precomputed inner and outer states.
#[derive(Clone, Copy)]
pub(crate) struct HmacSha1 {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl HmacSha1 {
    pub(crate) fn new(key: &[u8]) -> Self {
        use sha1::Digest;
        let (ipad, opad) = key_pads(key, |k| sha1::Sha1::digest(k).to_vec());
        let mut inner = SHA1_IV;
        sha1_compress(&mut inner, &ipad);
        let mut outer = SHA1_IV;
        sha1_compress(&mut outer, &opad);
        HmacSha1 { inner, outer }
    }

    /// HMAC of `head ++ data`.
    pub(crate) fn mac(&self, head: &[u8], data: &[u8]) -> [u8; 20] {
        let inner: [u8; 20] =
            words_be(&finish(self.inner, sha1_compress, head, data, BLOCK as u64));
        words_be(&finish(
            self.outer,
            sha1_compress,
            &inner,
            &[],
            BLOCK as u64,
        ))
    }
}

/// HMAC-SHA256 with precomputed inner and outer states.
#[derive(Clone, Copy)]
pub(crate) struct HmacSha256 {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacSha256 {
    pub(crate) fn new(key: &[u8]) -> Self {
        use sha2::Digest;
        let (ipad, opad) = key_pads(key, |k| sha2::Sha256::digest(k).to_vec());
        let mut inner = SHA256_IV;
        sha256_compress(&mut inner, &ipad);
        let mut outer = SHA256_IV;
        sha256_compress(&mut outer, &opad);
        HmacSha256 { inner, outer }
    }

    /// HMAC of `head ++ data`.
    pub(crate) fn mac(&self, head: &[u8], data: &[u8]) -> [u8; 32] {
        let inner: [u8; 32] = words_be(&finish(
            self.inner,
            sha256_compress,
            head,
            data,
            BLOCK as u64,
        ));
        words_be(&finish(
            self.outer,
            sha256_compress,
            &inner,
            &[],
            BLOCK as u64,
        ))
    }
}

impl std::fmt::Debug for HmacSha1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha1(..)")
    }
}

impl std::fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256(..)")
    }
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;

    use super::*;

    fn reference_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    fn reference_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    #[test]
    fn every_length_around_block_edges() {
        let key = b"key";
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        for n in 4..data.len() {
            let (head, rest) = data[..n].split_at(4);
            assert_eq!(
                HmacSha1::new(key).mac(head, rest).to_vec(),
                reference_sha1(key, &data[..n]),
                "{n}"
            );
            assert_eq!(
                HmacSha256::new(key).mac(head, rest).to_vec(),
                reference_sha256(key, &data[..n]),
                "{n}"
            );
        }
    }

    proptest! {
        #[test]
        fn matches_the_hmac_crate(key in proptest::collection::vec(any::<u8>(), 0..150),
                                  data in proptest::collection::vec(any::<u8>(), 4..400)) {
            let (head, rest) = data.split_at(4);
            prop_assert_eq!(HmacSha1::new(&key).mac(head, rest).to_vec(), reference_sha1(&key, &data));
            prop_assert_eq!(HmacSha256::new(&key).mac(head, rest).to_vec(), reference_sha256(&key, &data));
        }
    }
}
