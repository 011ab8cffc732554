/* ops: see ops.h. */
#include "control/ops.h"
#include "control/privacy_requests.h"
#include "control/control.h"
#include "control/db.h"
#include "control/http.h"
#include "control/mail.h"
#include "common/clock.h"
#include "common/ctl.h"
#include "common/log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void metric_name(char *out, size_t len, const char *prefix, const char *key)
{
	size_t n = (size_t)snprintf(out, len, "%s_%s", prefix, key);
	for (size_t i = strlen(prefix) + 1; i < n && i < len; i++)
		if (!isalnum((unsigned char)out[i]) && out[i] != '_')
			out[i] = '_';
}

/* The label that names an element of an array of objects: its "id" (a
 * stream), else its "worker" number, else its position. */
static void element_label(json_t *x, size_t i, char *key, size_t klen, char *val, size_t vlen)
{
	json_t *id = json_object_get(x, "id"), *w = json_object_get(x, "worker");
	if (json_is_string(id) || json_is_integer(id)) {
		snprintf(key, klen, "id");
		if (json_is_string(id))
			snprintf(val, vlen, "%s", json_string_value(id));
		else
			snprintf(val, vlen, "%lld", (long long)json_integer_value(id));
	} else if (json_is_integer(w)) {
		snprintf(key, klen, "worker");
		snprintf(val, vlen, "%lld", (long long)json_integer_value(w));
	} else {
		snprintf(key, klen, "index");
		snprintf(val, vlen, "%zu", i);
	}
	/* label values are quoted: keep them to a safe alphabet */
	for (char *p = val; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '_';
}

/* labels: "" or "worker=\"0\"" style text (without braces) carried down;
 * skip: the key already used as this object's label. */
static void flatten_obj(FILE *f, const char *name, const char *labels, json_t *v, const char *skip);

static void flatten(FILE *f, const char *name, const char *labels, json_t *v)
{
	if (json_is_object(v)) {
		flatten_obj(f, name, labels, v, NULL);
		return;
	}
	if (json_is_integer(v) || json_is_real(v)) {
		double d = json_number_value(v);
		if (*labels)
			fprintf(f, "%s{%s} %.17g\n", name, labels, d);
		else
			fprintf(f, "%s %.17g\n", name, d);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			char lab[512], key[16], val[128];
			element_label(x, i, key, sizeof key, val, sizeof val);
			snprintf(lab, sizeof lab, "%s%s%s=\"%s\"", labels, *labels ? "," : "", key, val);
			if (json_is_object(x))
				flatten_obj(f, name, lab, x, strcmp(key, "index") ? key : NULL);
			else
				flatten(f, name, lab, x);
		}
	}
}

static void flatten_obj(FILE *f, const char *name, const char *labels, json_t *v, const char *skip)
{
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		char sub[256];
		if (strcmp(k, "ok") == 0 || (skip && strcmp(k, skip) == 0))
			continue;
		metric_name(sub, sizeof sub, name, k);
		flatten(f, sub, labels, x);
	}
}

void ops_json_to_prometheus(FILE *f, const char *prefix, json_t *v)
{
	flatten(f, prefix, "", v);
}

/* {"cmd":"stats"} to the relay; NULL with err when it is not reachable. */
static json_t *relay_stats(struct control *app, char *err, size_t errlen)
{
	if (!app->relay_sock) {
		snprintf(err, errlen, "no relay socket configured");
		return NULL;
	}
	json_t *req = json_pack("{s:s}", "cmd", "stats");
	json_t *resp = ctl_call(app->relay_sock, req, app->ctl_timeout_ms, err, errlen);
	json_decref(req);
	return resp;
}

static void healthz(struct http_req *req)
{
	struct control *app = req->app;
	json_t *o = json_object();
	bool ok = true;
	if (db_int(req->db, -1, "SELECT count(*) FROM sqlite_master", "") < 0) {
		json_object_set_new(o, "db", json_string("error"));
		ok = false;
	} else {
		json_object_set_new(o, "db", json_string("ok"));
	}
	char err[256];
	json_t *st = relay_stats(app, err, sizeof err);
	if (st) {
		json_object_set_new(o, "relay", json_string("ok"));
		json_decref(st);
	} else {
		char msg[300];
		snprintf(msg, sizeof msg, "unreachable: %s", err);
		json_object_set_new(o, "relay", json_string(msg));
		ok = false;
	}
	json_object_set_new(o, "ok", json_boolean(ok));
	http_json(req, ok ? 200 : 503, o);
}

static void metrics(struct http_req *req)
{
	struct control *app = req->app;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	http_metrics_write(req->srv, f);
	fprintf(f, "# HELP amphi_logins_total Login attempts by outcome.\n"
	           "# TYPE amphi_logins_total counter\n"
	           "amphi_logins_total{outcome=\"ok\"} %llu\n"
	           "amphi_logins_total{outcome=\"failed\"} %llu\n"
	           "amphi_logins_total{outcome=\"locked\"} %llu\n",
	        (unsigned long long)atomic_load(&app->logins_ok),
	        (unsigned long long)atomic_load(&app->logins_failed),
	        (unsigned long long)atomic_load(&app->logins_locked));
	if (app->mail) {
		struct mail_stats ms;
		mail_stats_get(app->mail, &ms);
		fprintf(f, "# HELP amphi_mail_total Outgoing mail by outcome.\n"
		           "# TYPE amphi_mail_total counter\n"
		           "amphi_mail_total{outcome=\"smtp_sent\"} %llu\n"
		           "amphi_mail_total{outcome=\"smtp_failed\"} %llu\n"
		           "amphi_mail_total{outcome=\"outbox\"} %llu\n",
		        ms.smtp_sent, ms.smtp_failed, ms.outbox_written);
	}
	fprintf(f, "# HELP amphi_webinars Webinars by state.\n# TYPE amphi_webinars gauge\n");
	static const char *const states[] = { "scheduled", "live", "ended" };
	for (size_t i = 0; i < 3; i++)
		fprintf(f, "amphi_webinars{state=\"%s\"} %lld\n", states[i],
		        (long long)db_int(req->db, 0, "SELECT count(*) FROM webinars WHERE state = ?", "s", states[i]));
	fprintf(f, "# HELP amphi_accounts Accounts by role.\n# TYPE amphi_accounts gauge\n");
	fprintf(f, "amphi_accounts{role=\"admin\"} %lld\namphi_accounts{role=\"organizer\"} %lld\n",
	        (long long)db_int(req->db, 0, "SELECT count(*) FROM accounts WHERE role = 'admin'", ""),
	        (long long)db_int(req->db, 0, "SELECT count(*) FROM accounts WHERE role = 'organizer'", ""));
	privacy_requests_metrics(req->db, amphi_now(), f);
	char err[256];
	json_t *st = relay_stats(app, err, sizeof err);
	fprintf(f, "# HELP amphi_relay_up 1 when amphi-relay answered the stats request.\n"
	           "# TYPE amphi_relay_up gauge\namphi_relay_up %d\n", st ? 1 : 0);
	if (st) {
		json_t *body = json_object_get(st, "stats");
		ops_json_to_prometheus(f, "amphi_relay", body ? body : st);
		json_decref(st);
	}
	fclose(f);
	http_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
	free(buf);
}

int ops_routes(struct http_router *r, struct control *app)
{
	int rc = http_route(r, "GET", "/healthz", healthz, app, 0);
	return rc ? rc : http_route(r, "GET", "/metrics", metrics, app, 0);
}
