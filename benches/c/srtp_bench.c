/*
 * srtp_bench: libsrtp2 protect/unprotect timings on the same rows as
 * benches/benches/srtp.rs (AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM,
 * 160- and 1200-octet payloads). Built and run by srtp_bench.sh.
 *
 * Note: Debian's libsrtp2 is built on NSS, which is several times slower
 * than libsrtp built on OpenSSL; the script prints which library it used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <srtp2/srtp.h>

#define BATCH 20000
/* Each row reports its fastest block of BLOCK packets (ns per packet), as
 * the paired mode of the Rust bench does, so that the load of a shared
 * machine does not decide the result. */
#define BLOCK 128

static const unsigned char KEY[30] = {96, 180, 31, 4, 119, 137, 128, 252, 75, 194, 252, 44, 63, 56, 61, 55,
                                      247, 26, 49, 94, 99, 29, 79, 94, 5, 111, 252, 216, 62, 195};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static srtp_t make(int gcm, int outbound)
{
    srtp_policy_t p;
    srtp_t s;
    memset(&p, 0, sizeof(p));
    if (gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    }
    p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    p.key = (unsigned char *)KEY;
    p.window_size = 1024;
    if (srtp_create(&s, &p) != srtp_err_status_ok) {
        fprintf(stderr, "srtp_create failed\n");
        exit(1);
    }
    return s;
}

static int fill(unsigned char *b, unsigned seq, int size)
{
    b[0] = 0x80; b[1] = 0x60; b[2] = seq >> 8; b[3] = seq;
    b[4] = 0; b[5] = 0; b[6] = 0; b[7] = 0;
    b[8] = 0xca; b[9] = 0xfe; b[10] = 0xba; b[11] = 0xbe;
    for (int i = 0; i < size; i++) b[12 + i] = (unsigned char)i;
    return 12 + size;
}

int main(void)
{
    static unsigned char pkts[BATCH][1200 + 12 + SRTP_MAX_TRAILER_LEN];
    static int lens[BATCH];
    srtp_init();
    for (int gcm = 0; gcm <= 1; gcm++) {
        for (int s = 0; s < 2; s++) {
            int size = s ? 1200 : 160;
            const char *name = gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
            srtp_t tx = make(gcm, 1), rx = make(gcm, 0);
            /* protect: copy the plaintext in (as the Rust bench does) and protect */
            unsigned char buf[1200 + 12 + SRTP_MAX_TRAILER_LEN], plain[1212];
            int plen = fill(plain, 0, size);
            double protect_ns = 1e18, t0 = now_ns();
            for (unsigned i = 1; i <= BATCH; i++) {
                memcpy(buf, plain, plen);
                buf[2] = i >> 8; buf[3] = i;
                int len = plen;
                if (srtp_protect(tx, buf, &len)) { fprintf(stderr, "protect failed\n"); return 1; }
                if (i % BLOCK == 0) {
                    double t = now_ns(), per = (t - t0) / BLOCK;
                    if (per < protect_ns) protect_ns = per;
                    t0 = t;
                }
            }
            /* unprotect: a batch of distinct protected packets */
            for (unsigned i = 0; i < BATCH; i++) {
                lens[i] = fill(pkts[i], BATCH + 1 + i, size);
                if (srtp_protect(tx, pkts[i], &lens[i])) { fprintf(stderr, "protect failed\n"); return 1; }
            }
            double unprotect_ns = 1e18;
            t0 = now_ns();
            for (unsigned i = 0; i < BATCH; i++) {
                if (srtp_unprotect(rx, pkts[i], &lens[i])) { fprintf(stderr, "unprotect failed\n"); return 1; }
                if ((i + 1) % BLOCK == 0) {
                    double t = now_ns(), per = (t - t0) / BLOCK;
                    if (per < unprotect_ns) unprotect_ns = per;
                    t0 = t;
                }
            }
            printf("libsrtp %-24s %4d B  protect %8.0f ns  unprotect %8.0f ns\n", name, size, protect_ns,
                   unprotect_ns);
            srtp_dealloc(tx);
            srtp_dealloc(rx);
        }
    }
    return 0;
}
