/* recstore_client: see recstore_client.h. */
#include "control/recstore_client.h"
#include "common/ctl.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct recstore_client {
	char *path;       /* the store's control socket; NULL: none configured */
	int timeout_ms;   /* bound on each of connect, send and receive */
};

struct recstore_client *recstore_client_create(const char *path, int timeout_ms)
{
	struct recstore_client *rc = calloc(1, sizeof *rc);

	if (!rc)
		return NULL;
	if (path && *path && !(rc->path = strdup(path))) {
		free(rc);
		return NULL;
	}
	rc->timeout_ms = timeout_ms > 0 ? timeout_ms : RECSTORE_CLIENT_TIMEOUT_MS;
	return rc;
}

void recstore_client_destroy(struct recstore_client *rc)
{
	if (!rc)
		return;
	free(rc->path);
	free(rc);
}

int recstore_reply_errno(const json_t *reply)
{
	static const struct {
		const char *code;
		int err;
	} codes[] = {
		{ "not_found", -ENOENT }, { "legal_hold", -EPERM }, { "beyond_policy", -ERANGE },
		{ "invalid", -EINVAL },
	};
	const char *code = json_string_value(json_object_get(reply, "code"));

	for (size_t i = 0; code && i < sizeof codes / sizeof *codes; i++)
		if (strcmp(code, codes[i].code) == 0)
			return codes[i].err;
	return -EPROTO;
}

int recstore_client_cmd(struct recstore_client *rc, const char *cmd, json_t *args, json_t **resp,
                        char *err, size_t errlen)
{
	static struct log_limit down_limit = LOG_LIMIT_INIT(10);
	struct ctl_client *cl;
	char cerr[256];
	json_t *req, *r;
	int ret;

	*resp = NULL;
	if (!rc->path) {
		snprintf(err, errlen, "recording store unavailable: no recstore control socket configured (--recstore)");
		return -EHOSTDOWN;
	}
	req = json_pack("{s:s}", "cmd", cmd);
	if (!req || (args && json_object_update(req, args))) {
		json_decref(req);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cl = ctl_client_connect(rc->path, rc->timeout_ms, cerr, sizeof cerr);
	if (!cl) {
		json_decref(req);
		snprintf(err, errlen, "recording store unavailable: %s", cerr);
		log_limited(&down_limit, LOG_WARN, "recording store unavailable", "socket=%s", rc->path);
		return -EHOSTDOWN;
	}
	r = ctl_client_call(cl, req, rc->timeout_ms, cerr, sizeof cerr);
	ctl_client_close(cl);
	json_decref(req);
	if (!r) {
		ret = strstr(cerr, "timed out") ? -ETIMEDOUT : -EIO;
		snprintf(err, errlen, "recording store unavailable: %s%s", cerr,
		         ret == -ETIMEDOUT ? " (no answer within the timeout)" : "");
		log_limited(&down_limit, LOG_WARN, "recording store call failed", "socket=%s err=%d",
		            rc->path, ret);
		return ret;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		const char *e = json_string_value(json_object_get(r, "error"));
		snprintf(err, errlen, "recording store refused: %s", e ? e : "no reason given");
		ret = recstore_reply_errno(r);
		json_decref(r);
		return ret;
	}
	*resp = r;
	return 0;
}

bool recstore_id_valid(const char *s)
{
	size_t n = 0;

	if (!s || *s == '.' || *s == '\0')
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (n == RECSTORE_ID_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

/* Copies the string member key of o into buf (size len, NUL included). */
static int get_str(const json_t *o, const char *key, char *buf, size_t len, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(err, errlen, "recording store answered a recording with a bad \"%s\"", key);
		return -EIO;
	}
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_int(const json_t *o, const char *key, int64_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errlen, "recording store answered a recording with a bad \"%s\"", key);
		return -EIO;
	}
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(const json_t *o, const char *key, bool *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "recording store answered a recording with a bad \"%s\"", key);
		return -EIO;
	}
	*out = json_is_true(v);
	return 0;
}

int recstore_rec_parse(const json_t *o, struct recstore_rec *out, char *err, size_t errlen)
{
	char blob[RECSTORE_ID_MAX + 32], tail[2 * RECSTORE_ID_MAX + 64];
	size_t idlen, flen, tlen;
	const char *ext;

	memset(out, 0, sizeof *out);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "recording store answered a recording that is not an object");
		return -EIO;
	}
	if (get_str(o, "id", out->id, sizeof out->id, err, errlen) ||
	    get_str(o, "webinar", out->webinar, sizeof out->webinar, err, errlen) ||
	    get_str(o, "org", out->org, sizeof out->org, err, errlen) ||
	    get_str(o, "start", out->start, sizeof out->start, err, errlen) ||
	    get_str(o, "end", out->end, sizeof out->end, err, errlen) ||
	    get_str(o, "expires_at", out->expires_at, sizeof out->expires_at, err, errlen) ||
	    get_str(o, "codecs", out->codecs, sizeof out->codecs, err, errlen) ||
	    get_str(o, "sha256", out->sha256, sizeof out->sha256, err, errlen) ||
	    get_str(o, "blob", blob, sizeof blob, err, errlen) ||
	    (json_object_get(o, "file") && get_str(o, "file", out->file, sizeof out->file, err, errlen)) ||
	    get_int(o, "duration_ms", &out->duration_ms, err, errlen) ||
	    get_int(o, "size", &out->size, err, errlen) ||
	    get_int(o, "expires_at_unix", &out->expires_at_unix, err, errlen) ||
	    get_bool(o, "legal_hold", &out->legal_hold, err, errlen) ||
	    get_bool(o, "published", &out->published, err, errlen))
		return -EIO;
	if (!recstore_id_valid(out->id) || !recstore_id_valid(out->webinar) || !recstore_id_valid(out->org)) {
		snprintf(err, errlen, "recording store answered an id outside its alphabet");
		return -EIO;
	}
	/* The blob is "<id><ext>": the extension names the container. */
	idlen = strlen(out->id);
	ext = blob + idlen;
	if (strncmp(blob, out->id, idlen) != 0 || *ext != '.' || strlen(ext) >= sizeof out->ext ||
	    strchr(ext, '/') || strchr(ext + 1, '.')) {
		snprintf(err, errlen, "recording store answered a blob name that is not the id and an extension");
		return -EIO;
	}
	memcpy(out->ext, ext, strlen(ext) + 1);
	/* The file is "<mount>/by-webinar/<webinar>/<id><ext>" with an absolute
	 * mount: what is opened is that recording under the store's mount, never
	 * another path the answer could name. */
	if (!out->file[0])
		return 0;   /* a store with no mount */
	tlen = (size_t)snprintf(tail, sizeof tail, "/by-webinar/%s/%s%s", out->webinar, out->id, out->ext);
	flen = strlen(out->file);
	if (out->file[0] != '/' || flen <= tlen || strcmp(out->file + flen - tlen, tail) != 0 ||
	    strstr(out->file, "/../") || strstr(out->file, "/./")) {
		snprintf(err, errlen, "recording store answered a file outside its mount's by-webinar view");
		return -EIO;
	}
	return 0;
}
