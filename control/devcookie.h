/* devcookie: the device cookie of OWASP's "Slow Down Online Guessing Attacks
 * with Device Cookies" (issue 11 item 4, docs/control.md "Device cookie").
 *
 * After a successful login the browser gets a second cookie,
 *   amphi_device=<75 characters>; Path=/api/login; HttpOnly; SameSite=Strict;
 *   Max-Age=<device_max_age>   (+ Secure under TLS),
 * that says "this browser has logged in to this account before".  Its value
 * is base64url(nonce[16] || issued_at[8, big-endian] || tag[32]) with
 * tag = HMAC-SHA-256(server key, "amphi-device-v1" || nonce || issued_at ||
 * account id): random, a time, and a signature — no personal data; the
 * account id is only inside the MAC.  The server key (32 random bytes) is made
 * on first use and kept in the table server_keys, so cookies outlive a
 * restart.
 *
 * A login that presents a valid cookie for the account it names is "trusted":
 * the account's lock (failures from elsewhere) does not stop it; its own
 * failures lock that cookie alone (throttle.h, same threshold and delays).
 * Every successful login issues a fresh cookie.
 *
 * Thread-safe: the key is loaded once under a mutex. */
#ifndef AMPHI_CONTROL_DEVCOOKIE_H
#define AMPHI_CONTROL_DEVCOOKIE_H

#include <stddef.h>
#include <stdint.h>

struct http_req;
struct sqlite3;

#define DEVCOOKIE_NAME "amphi_device"
#define DEVCOOKIE_CHARS 75    /* base64url of 56 bytes, no padding */
#define DEVCOOKIE_KEY_BYTES 32

/* A device cookie's value, decoded.  Parsing takes outside bytes (the
 * Cookie header), hence pure functions with a fuzz target
 * (tests/fuzz/control_devcookie.c). */
struct devcookie {
	unsigned char nonce[16];       /* random: the cookie's identity (its lock record) */
	int64_t issued_at;             /* amphi_now() seconds */
	unsigned char tag[32];         /* HMAC-SHA-256, see above */
};

/* Decodes len bytes of value: exactly DEVCOOKIE_CHARS of base64url without
 * padding.  0 or -EINVAL. */
int devcookie_parse(const char *value, size_t len, struct devcookie *c);
/* Encodes c into out (NUL-terminated): what devcookie_parse reads back. */
void devcookie_format(const struct devcookie *c, char out[DEVCOOKIE_CHARS + 1]);
/* The tag of c's nonce and issued_at for account_id under key. */
void devcookie_sign(const struct devcookie *c, const unsigned char key[DEVCOOKIE_KEY_BYTES], int64_t account_id,
                    unsigned char tag[32]);

/* Checks the request's device cookie against account_id (> 0).  0 with
 * *device (the throttle key of the cookie) when it is valid, unexpired and
 * made for that account after its creation; -EINVAL otherwise (no cookie, forged, other
 * account, expired); -EIO when the key cannot be read. */
int devcookie_check(struct http_req *req, int64_t account_id, uint64_t *device);
/* Adds the Set-Cookie of a fresh device cookie for account_id.  0 or -errno. */
int devcookie_issue(struct http_req *req, int64_t account_id);

#endif
