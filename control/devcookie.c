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

#define NONCE_BYTES 16
#define PAYLOAD_BYTES (NONCE_BYTES + 8)
#define COOKIE_BYTES (PAYLOAD_BYTES + crypto_auth_hmacsha256_BYTES)
#define COOKIE_CHARS 75   /* base64url of 56 bytes, no padding */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char g_key[crypto_auth_hmacsha256_KEYBYTES];
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

static void tag_make(unsigned char tag[crypto_auth_hmacsha256_BYTES], const unsigned char payload[PAYLOAD_BYTES],
                     int64_t account_id)
{
	static const char label[] = "amphi-device-v1";
	unsigned char id[8];
	crypto_auth_hmacsha256_state st;

	for (int i = 0; i < 8; i++)
		id[i] = (unsigned char)((uint64_t)account_id >> (56 - 8 * i));
	crypto_auth_hmacsha256_init(&st, g_key, sizeof g_key);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof label - 1);
	crypto_auth_hmacsha256_update(&st, payload, PAYLOAD_BYTES);
	crypto_auth_hmacsha256_update(&st, id, sizeof id);
	crypto_auth_hmacsha256_final(&st, tag);
}

int devcookie_check(struct http_req *req, int64_t account_id, uint64_t *device)
{
	const char *v = http_cookie(req, DEVCOOKIE_NAME);
	unsigned char raw[COOKIE_BYTES], tag[crypto_auth_hmacsha256_BYTES];
	size_t n = 0;

	if (!v || account_id <= 0 || strlen(v) != COOKIE_CHARS ||
	    sodium_base642bin(raw, sizeof raw, v, COOKIE_CHARS, NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != sizeof raw)
		return -EINVAL;
	if (key_load(req->db) != 0)
		return -EIO;
	tag_make(tag, raw, account_id);
	if (sodium_memcmp(tag, raw + PAYLOAD_BYTES, sizeof tag) != 0)
		return -EINVAL;
	int64_t issued = 0;
	for (int i = 0; i < 8; i++)
		issued = (int64_t)((uint64_t)issued << 8 | raw[NONCE_BYTES + i]);
	int64_t now = amphi_now();
	if (issued > now + 60 || now - issued > auth_config()->device_max_age_s)
		return -EINVAL;
	*device = throttle_key(THROTTLE_DEVICE, raw, NONCE_BYTES);
	return 0;
}

int devcookie_issue(struct http_req *req, int64_t account_id)
{
	unsigned char raw[COOKIE_BYTES];
	char v[COOKIE_CHARS + 1], hdr[256];
	uint64_t now = (uint64_t)amphi_now();

	if (key_load(req->db) != 0)
		return -EIO;
	randombytes_buf(raw, NONCE_BYTES);
	for (int i = 0; i < 8; i++)
		raw[NONCE_BYTES + i] = (unsigned char)(now >> (56 - 8 * i));
	tag_make(raw + PAYLOAD_BYTES, raw, account_id);
	sodium_bin2base64(v, sizeof v, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(hdr, sizeof hdr, "%s=%s; Path=/api/login; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
	         DEVCOOKIE_NAME, v, (long long)auth_config()->device_max_age_s, req->tls ? "; Secure" : "");
	return http_set_header(req, "Set-Cookie", hdr);
}
