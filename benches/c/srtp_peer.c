/*
 * srtp_peer: libsrtp2 behind the same line protocol as `rtclite srtp`.
 *
 *   srtp_peer protect|unprotect PROFILE KEYHEX rtp|rtcp WINDOW
 *
 * Reads packets as hex, one per line, on stdin; writes the result as hex,
 * one per line, on stdout, through one libsrtp session for the whole
 * stream. A packet that fails prints "error: auth", "error: replay",
 * "error: old" or "error: status N" in its place.
 *
 * Used by examples/tests/srtp_libsrtp.rs (differential test) and by
 * benches/c/srtp_bench.sh. Build: cc -O2 srtp_peer.c $(pkg-config --cflags
 * --libs libsrtp2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

static int set_profile(const char *name, srtp_policy_t *p)
{
    if (!strcmp(name, "AES_CM_128_HMAC_SHA1_80")) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else if (!strcmp(name, "AES_CM_128_HMAC_SHA1_32")) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else if (!strcmp(name, "AES_256_CM_HMAC_SHA1_80")) {
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
    } else if (!strcmp(name, "AES_256_CM_HMAC_SHA1_32")) {
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
    } else if (!strcmp(name, "AEAD_AES_128_GCM")) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    } else if (!strcmp(name, "AEAD_AES_256_GCM")) {
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
    } else if (!strcmp(name, "NULL_HMAC_SHA1_80")) {
        srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&p->rtcp);
    } else {
        return -1;
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int unhex(const char *s, unsigned char *out, int cap)
{
    int n = 0;
    while (*s && *s != '\n' && *s != '\r') {
        int hi = hexval(s[0]), lo = s[1] ? hexval(s[1]) : -1;
        if (hi < 0 || lo < 0 || n >= cap) return -1;
        out[n++] = (unsigned char)(hi * 16 + lo);
        s += 2;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s protect|unprotect PROFILE KEYHEX rtp|rtcp WINDOW\n", argv[0]);
        return 2;
    }
    int protect = !strcmp(argv[1], "protect");
    int rtcp = !strcmp(argv[4], "rtcp");
    static unsigned char key[64];
    static char line[1 << 17];
    static unsigned char buf[(1 << 16) + SRTP_MAX_TRAILER_LEN + 64];
    srtp_policy_t policy;
    srtp_t session;

    memset(&policy, 0, sizeof(policy));
    if (set_profile(argv[2], &policy)) {
        fprintf(stderr, "unknown profile %s\n", argv[2]);
        return 2;
    }
    if (unhex(argv[3], key, sizeof(key)) < 0) {
        fprintf(stderr, "bad key\n");
        return 2;
    }
    if (srtp_init() != srtp_err_status_ok) return 1;
    policy.ssrc.type = protect ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = key;
    policy.window_size = strtoul(argv[5], NULL, 10);
    policy.allow_repeat_tx = 0;
    policy.next = NULL;
    if (srtp_create(&session, &policy) != srtp_err_status_ok) {
        fprintf(stderr, "srtp_create failed\n");
        return 1;
    }
    while (fgets(line, sizeof(line), stdin)) {
        int len = unhex(line, buf, 1 << 16);
        srtp_err_status_t st;
        if (len < 0) {
            puts("error: hex");
            continue;
        }
        if (protect)
            st = rtcp ? srtp_protect_rtcp(session, buf, &len) : srtp_protect(session, buf, &len);
        else
            st = rtcp ? srtp_unprotect_rtcp(session, buf, &len) : srtp_unprotect(session, buf, &len);
        if (st == srtp_err_status_ok) {
            for (int i = 0; i < len; i++) printf("%02x", buf[i]);
            putchar('\n');
        } else if (st == srtp_err_status_auth_fail) {
            puts("error: auth");
        } else if (st == srtp_err_status_replay_fail) {
            puts("error: replay");
        } else if (st == srtp_err_status_replay_old) {
            puts("error: old");
        } else {
            printf("error: status %d\n", (int)st);
        }
    }
    srtp_dealloc(session);
    srtp_shutdown();
    return 0;
}
