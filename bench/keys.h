/* keys: SRTP keys and libsrtp sessions for amphi-bench's own peers (the
 * synthetic publisher and the viewers).  The bench speaks SRTP through
 * libsrtp, independently of the relay's code. */
#ifndef AMPHI_BENCH_KEYS_H
#define AMPHI_BENCH_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#define KEYS_MAX 30

/* "gcm" -> 1, "cm" -> 0, else -EINVAL. */
int keys_suite_parse(const char *s);
const char *keys_suite_name(int gcm);
size_t keys_len(int gcm);               /* 28 or 30 */
size_t keys_tag_len(int gcm);           /* 16 or 10 */
/* Random key + salt (keys_len bytes) and its base64 (NUL-terminated). */
int keys_random(int gcm, uint8_t *key, char *b64, size_t b64_len);
/* A libsrtp session for any SSRC in one direction; 0 or -EINVAL. */
int keys_session(srtp_t *out, int gcm, const uint8_t *key, int outbound);

#endif
