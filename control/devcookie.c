/* devcookie: see devcookie.h. */
#include "control/devcookie.h"
#include "control/auth.h"
#include "control/db.h"
#include "control/http.h"
#include "control/throttle.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PAYLOAD_BYTES (16 + 8)   /* nonce || issued_at */
#define COOKIE_BYTES (PAYLOAD_BYTES + 32)
#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"   /* RFC 4648 §5 */
_Static_assert(DEVCOOKIE_KEY_BYTES == crypto_auth_hmacsha256_KEYBYTES, "an HMAC-SHA-256 key");
_Static_assert(sizeof ((struct devcookie *)0)->tag == crypto_auth_hmacsha256_BYTES, "an HMAC-SHA-256 tag");

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char g_key[DEVCOOKIE_KEY_BYTES];
static int g_loaded;

/* The server key: read from server_keys, or made there on first use (of two
 * processes or threads racing, INSERT OR IGNORE keeps the first). */
static int key_load(sqlite3 *db)
{
	int rc = 0;

	pthread_mutex_lock(&g_mu);
	for (int attempt = 0; !g_loaded && attempt < 2; attempt++) {
		sqlite3_stmt *st = db_prepare(db, "SELECT value FROM server_keys WHERE name = 'device_cookie'", "");
		if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)sizeof g_key) {
			memcpy(g_key, sqlite3_column_blob(st, 0), sizeof g_key);
			g_loaded = 1;
		}
		sqlite3_finalize(st);
		if (g_loaded)
			break;
		unsigned char k[sizeof g_key];
		crypto_auth_hmacsha256_keygen(k);
		db_exec(db, "INSERT OR IGNORE INTO server_keys (name, value, created_at) VALUES ('device_cookie', ?, ?)",
		        "xi", k, sizeof k, amphi_now());
		sodium_memzero(k, sizeof k);
	}
	if (!g_loaded) {
		log_msg(LOG_ERROR, "cannot read or make the device cookie key", NULL);
		rc = -EIO;
	}
	pthread_mutex_unlock(&g_mu);
	return rc;
}

static void payload_put(const struct devcookie *c, unsigned char p[PAYLOAD_BYTES])
{
	memcpy(p, c->nonce, sizeof c->nonce);
	for (int i = 0; i < 8; i++)
		p[sizeof c->nonce + i] = (unsigned char)((uint64_t)c->issued_at >> (56 - 8 * i));
}

int devcookie_parse(const char *value, size_t len, struct devcookie *c)
{
	unsigned char raw[COOKIE_BYTES];
	size_t n = 0;

	if (len != DEVCOOKIE_CHARS)
		return -EINVAL;
	/* libsodium's decoder takes some bytes above 0x7f as letters (found by
	 * the fuzz target): one cookie would have many spellings. */
	for (size_t i = 0; i < len; i++)
		if (!memchr(B64URL, value[i], sizeof B64URL - 1))
			return -EINVAL;
	if (sodium_base642bin(raw, sizeof raw, value, len, NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != sizeof raw)
		return -EINVAL;
	memcpy(c->nonce, raw, sizeof c->nonce);
	c->issued_at = 0;
	for (int i = 0; i < 8; i++)
		c->issued_at = (int64_t)((uint64_t)c->issued_at << 8 | raw[sizeof c->nonce + i]);
	memcpy(c->tag, raw + PAYLOAD_BYTES, sizeof c->tag);
	return 0;
}

void devcookie_format(const struct devcookie *c, char out[DEVCOOKIE_CHARS + 1])
{
	unsigned char raw[COOKIE_BYTES];

	payload_put(c, raw);
	memcpy(raw + PAYLOAD_BYTES, c->tag, sizeof c->tag);
	sodium_bin2base64(out, DEVCOOKIE_CHARS + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void devcookie_sign(const struct devcookie *c, const unsigned char key[DEVCOOKIE_KEY_BYTES], int64_t account_id,
                    unsigned char tag[32])
{
	static const char label[] = "amphi-device-v1";
	unsigned char payload[PAYLOAD_BYTES], id[8];
	crypto_auth_hmacsha256_state st;

	payload_put(c, payload);
	for (int i = 0; i < 8; i++)
		id[i] = (unsigned char)((uint64_t)account_id >> (56 - 8 * i));
	crypto_auth_hmacsha256_init(&st, key, DEVCOOKIE_KEY_BYTES);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof label - 1);
	crypto_auth_hmacsha256_update(&st, payload, sizeof payload);
	crypto_auth_hmacsha256_update(&st, id, sizeof id);
	crypto_auth_hmacsha256_final(&st, tag);
}

int devcookie_check(struct http_req *req, int64_t account_id, uint64_t *device)
{
	const char *v = http_cookie(req, DEVCOOKIE_NAME);
	struct devcookie c;
	unsigned char tag[32];

	if (!v || account_id <= 0 || devcookie_parse(v, strlen(v), &c) != 0)
		return -EINVAL;
	if (key_load(req->db) != 0)
		return -EIO;
	devcookie_sign(&c, g_key, account_id, tag);
	if (sodium_memcmp(tag, c.tag, sizeof tag) != 0)
		return -EINVAL;
	int64_t now = amphi_now();
	if (c.issued_at > now + 60 || now - c.issued_at > auth_config()->device_max_age_s)
		return -EINVAL;
	/* Issued before the account existed: for a deleted account whose id
	 * was given again (the cookie has no server state to delete). */
	if (c.issued_at < db_int(req->db, INT64_MAX, "SELECT created_at FROM accounts WHERE id = ?", "i", account_id))
		return -EINVAL;
	*device = throttle_key(THROTTLE_DEVICE, c.nonce, sizeof c.nonce);
	return 0;
}

int devcookie_issue(struct http_req *req, int64_t account_id)
{
	struct devcookie c = { .issued_at = amphi_now() };
	char v[DEVCOOKIE_CHARS + 1], hdr[256];

	if (key_load(req->db) != 0)
		return -EIO;
	randombytes_buf(c.nonce, sizeof c.nonce);
	devcookie_sign(&c, g_key, account_id, c.tag);
	devcookie_format(&c, v);
	snprintf(hdr, sizeof hdr, "%s=%s; Path=/api/login; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
	         DEVCOOKIE_NAME, v, (long long)auth_config()->device_max_age_s, req->tls ? "; Secure" : "");
	return http_set_header(req, "Set-Cookie", hdr);
}
