/* relay_client: see relay_client.h. */
#include "control/relay_client.h"
#include "common/ctl.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct relay_client {
	char *path;       /* the relay's control socket; NULL: none configured */
	int timeout_ms;   /* bound on each of connect, send and receive */
};

struct relay_client *relay_client_create(const char *path, int timeout_ms)
{
	struct relay_client *rc = calloc(1, sizeof *rc);

	if (!rc)
		return NULL;
	if (path && *path && !(rc->path = strdup(path))) {
		free(rc);
		return NULL;
	}
	rc->timeout_ms = timeout_ms > 0 ? timeout_ms : RELAY_CLIENT_TIMEOUT_MS;
	return rc;
}

void relay_client_destroy(struct relay_client *rc)
{
	if (!rc)
		return;
	free(rc->path);
	free(rc);
}

const char *relay_client_path(const struct relay_client *rc)
{
	return rc->path ? rc->path : "";
}

int relay_client_call(struct relay_client *rc, json_t *req, json_t **resp, char *err, size_t errlen)
{
	static struct log_limit down_limit = LOG_LIMIT_INIT(10);
	struct ctl_client *cl;
	char cerr[256];
	json_t *r;
	int ret;

	*resp = NULL;
	if (!rc->path) {
		snprintf(err, errlen, "relay unavailable: no relay control socket configured (--relay)");
		return -EHOSTDOWN;
	}
	cl = ctl_client_connect(rc->path, rc->timeout_ms, cerr, sizeof cerr);
	if (!cl) {
		snprintf(err, errlen, "relay unavailable: %s", cerr);
		log_limited(&down_limit, LOG_WARN, "relay unavailable", "socket=%s", rc->path);
		return -EHOSTDOWN;
	}
	r = ctl_client_call(cl, req, rc->timeout_ms, cerr, sizeof cerr);
	ctl_client_close(cl);
	if (!r) {
		ret = strstr(cerr, "timed out") ? -ETIMEDOUT : -EIO;
		snprintf(err, errlen, "relay unavailable: %s%s", cerr,
		         ret == -ETIMEDOUT ? " (no answer within the timeout)" : "");
		log_limited(&down_limit, LOG_WARN, "relay call failed", "socket=%s err=%d", rc->path, ret);
		return ret;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		const char *e = json_string_value(json_object_get(r, "error"));
		snprintf(err, errlen, "relay refused: %s", e ? e : "no reason given");
		json_decref(r);
		return -EPROTO;
	}
	*resp = r;
	return 0;
}

int relay_client_cmd(struct relay_client *rc, const char *cmd, json_t *args, json_t **resp,
                     char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);
	int r;

	if (!req) {
		snprintf(err, errlen, "out of memory");
		*resp = NULL;
		return -ENOMEM;
	}
	if (args)
		json_object_update(req, args);
	r = relay_client_call(rc, req, resp, err, errlen);
	json_decref(req);
	return r;
}

int relay_client_http_status(int err)
{
	return err == -EPROTO ? 502 : 503;
}
