/* ctl: see ctl.h. */
#include "recstore/ctl.h"
#include "common/clock.h"
#include "common/ctl.h"
#include "common/log.h"
#include "recstore/fsck.h"
#include "recstore/import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 10000   /* entries per answer: a control line must stay a sane size */

static const char *iso(int64_t t, char buf[32])
{
	if (t == INT64_MAX)
		return "never";
	return amphi_time_iso(t, buf, 32);
}

json_t *rec_ctl_entry_json(const struct rec_ctl *c, const struct rec_entry *e)
{
	char a[32], b[32], d[32], x[32], path[PATH_MAX + 3 * REC_NAME_MAX];
	json_t *o;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:I,s:b,s:b,s:s,s:I}",
	              "id", e->id, "webinar", e->webinar, "org", e->org,
	              "webinar_date", iso(e->webinar_date, a), "start", iso(e->start, b),
	              "end", iso(e->end, d), "duration_ms", (json_int_t)e->duration_ms,
	              "size", (json_int_t)e->size, "codecs", e->codecs, "sha256", e->sha256,
	              "expires_at", iso(e->expires_at, x), "expires_at_unix", (json_int_t)e->expires_at,
	              "legal_hold", e->legal_hold, "published", e->published, "blob", e->blob,
	              "ino", (json_int_t)e->ino);
	if (o && c->mount) {
		snprintf(path, sizeof path, "%s/by-webinar/%s/%s%s", c->mount, e->webinar, e->id, rec_entry_ext(e));
		json_object_set_new(o, "file", json_string(path));
	}
	if (o && e->tombstone)
		json_object_set_new(o, "tombstone", json_true());
	return o;
}

/* An integer (seconds since the epoch) or an ISO 8601 string. */
static int get_time(json_t *req, const char *key, int64_t *out, bool *present)
{
	json_t *v = json_object_get(req, key);

	*present = v != NULL;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return amphi_time_parse(json_string_value(v), out);
	return -EINVAL;
}

static const char *why_of(json_t *req, const char *def)
{
	const char *w = json_string_value(json_object_get(req, "why"));
	return w && *w ? w : def;
}

/* An error answer with a "code" a program can act on (docs/recstore.md). */
static json_t *coded(json_t *err, const char *code)
{
	if (err)
		json_object_set_new(err, "code", json_string(code));
	return err;
}

static json_t *err_of(int rc, const char *id)
{
	switch (rc) {
	case -ENOENT: return coded(ctl_error("no recording %s", id), "not_found");
	case -EPERM: return coded(ctl_error("recording %s is under legal hold", id), "legal_hold");
	case -EEXIST: return coded(ctl_error("recording %s exists", id), "exists");
	case -EINVAL: return coded(ctl_error("invalid value"), "invalid");
	default: return coded(ctl_error("store error: %s", strerror(-rc)), "store_error");
	}
}

struct list_ctx {
	const struct rec_ctl *c;
	json_t *arr;
	const char *org;          /* second filter when listing by webinar */
	int64_t before;
	bool has_before;
	int truncated;
};

static int list_add(void *arg, const struct rec_entry *e)
{
	struct list_ctx *l = arg;

	if (l->org && strcmp(e->org, l->org) != 0)
		return 0;
	if (l->has_before && e->expires_at >= l->before)
		return 0;
	if (json_array_size(l->arr) >= LIST_MAX) {
		l->truncated = 1;
		return 1;
	}
	json_array_append_new(l->arr, rec_ctl_entry_json(l->c, e));
	return 0;
}

static json_t *cmd_list(struct rec_ctl *c, json_t *req)
{
	const char *webinar = json_string_value(json_object_get(req, "webinar"));
	const char *org = json_string_value(json_object_get(req, "org"));
	struct list_ctx l = { c, NULL, NULL, 0, false, 0 };
	json_t *res;
	int rc;

	if (get_time(req, "expiring_before", &l.before, &l.has_before))
		return ctl_error("expiring_before: expected seconds or an ISO 8601 time");
	l.arr = json_array();
	if (!l.arr)
		return NULL;
	if (webinar) {
		l.org = org;
		rc = rec_index_list(c->st->idx, REC_VIEW_WEBINAR, webinar, false, list_add, &l);
	} else if (org) {
		rc = rec_index_list(c->st->idx, REC_VIEW_ORG, org, false, list_add, &l);
	} else {
		rc = rec_index_list(c->st->idx, REC_VIEW_WEBINAR, NULL, false, list_add, &l);
	}
	if (rc < 0) {
		json_decref(l.arr);
		return err_of(rc, "");
	}
	res = json_pack("{s:b,s:o,s:I}", "ok", 1, "recordings", l.arr, "count",
	                (json_int_t)json_array_size(l.arr));
	if (l.truncated)
		json_object_set_new(res, "truncated", json_true());
	return res;
}

static const char *need_id(json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	return id && *id ? id : NULL;
}

static json_t *cmd_show(struct rec_ctl *c, json_t *req)
{
	const char *id = need_id(req);
	struct rec_entry e;
	int rc;

	if (!id)
		return ctl_error("missing \"id\"");
	rc = rec_index_get(c->st->idx, id, &e);
	if (rc)
		return err_of(rc, id);
	return json_pack("{s:b,s:o}", "ok", 1, "recording", rec_ctl_entry_json(c, &e));
}

static json_t *cmd_delete(struct rec_ctl *c, json_t *req)
{
	const char *id = need_id(req);
	struct rec_actor who = { "ctl", why_of(req, "deleted by the organizer or an operator") };
	struct rec_entry e;
	int rc;

	if (!id)
		return ctl_error("missing \"id\"");
	rc = rec_store_delete(c->st, id, &who, &e);
	if (rc)
		return err_of(rc, id);
	rec_fs_forget(c->fs, &e);
	return ctl_ok();
}

static json_t *cmd_hold(struct rec_ctl *c, json_t *req, bool hold)
{
	const char *id = need_id(req);
	struct rec_actor who = { "ctl", why_of(req, hold ? "legal hold" : "legal hold lifted") };
	int rc;

	if (!id)
		return ctl_error("missing \"id\"");
	rc = rec_store_hold(c->st, id, hold, &who);
	if (rc)
		return err_of(rc, id);
	return ctl_ok();
}

static json_t *cmd_publish(struct rec_ctl *c, json_t *req)
{
	const char *id = need_id(req);
	json_t *pv = json_object_get(req, "published");
	bool published = pv ? json_is_true(pv) : true, has_until;
	struct rec_actor who = { "ctl", why_of(req, published ? "published for replay" : "unpublished") };
	int64_t until, max, expires_at;
	char a[32], b[32];
	int rc;

	if (!id)
		return ctl_error("missing \"id\"");
	if (pv && !json_is_boolean(pv))
		return coded(ctl_error("published: expected true or false"), "invalid");
	if (get_time(req, "until", &until, &has_until))
		return coded(ctl_error("until: expected seconds or an ISO 8601 time"), "invalid");
	rc = rec_store_publish(c->st, id, published, has_until ? &until : NULL, &who, &expires_at, &max);
	if (rc == -EPERM)
		return coded(ctl_error("until %s is beyond the policy maximum %s", iso(until, a), iso(max, b)),
		             "beyond_policy");
	if (rc)
		return err_of(rc, id);
	return json_pack("{s:b,s:s,s:I}", "ok", 1, "expires_at", iso(expires_at, a), "expires_at_unix",
	                 (json_int_t)expires_at);
}

static json_t *cmd_expire_now(struct rec_ctl *c, json_t *req)
{
	const char *id = need_id(req);
	struct rec_actor who = { "ctl", why_of(req, "expired now by an operator") };
	struct rec_entry e;
	int rc;

	if (!id)
		return ctl_error("missing \"id\"");
	rc = rec_store_expire_now(c->st, id, &who, &e);
	if (rc)
		return err_of(rc, id);
	rec_fs_forget(c->fs, &e);
	return ctl_ok();
}

static json_t *cmd_import(struct rec_ctl *c, json_t *req)
{
	struct rec_import in = { 0 };
	struct rec_actor who = { "ctl", why_of(req, "import") };
	struct rec_entry e;
	char err[512];
	bool has;
	int rc;

	in.path = json_string_value(json_object_get(req, "path"));
	in.id = json_string_value(json_object_get(req, "id"));
	in.webinar = json_string_value(json_object_get(req, "webinar"));
	in.org = json_string_value(json_object_get(req, "org"));
	if (!in.path || !in.webinar || !in.org)
		return ctl_error("import needs \"path\", \"webinar\" and \"org\"");
	if (get_time(req, "webinar_date", &in.webinar_date, &has) || !has)
		return ctl_error("webinar_date: expected seconds or an ISO 8601 time");
	if (get_time(req, "start", &in.start, &has))
		return ctl_error("start: expected seconds or an ISO 8601 time");
	rc = rec_import_file(c->st, &in, &who, &e, err, sizeof err);
	if (rc)
		return ctl_error("%s", err);
	return json_pack("{s:b,s:o}", "ok", 1, "recording", rec_ctl_entry_json(c, &e));
}

static int audit_add(void *arg, uint64_t seq, const char *text)
{
	json_t *o = json_loads(text, 0, NULL);

	(void)seq;
	json_array_append_new(arg, o ? o : json_string(text));
	return json_array_size(arg) >= LIST_MAX;
}

static json_t *cmd_audit(struct rec_ctl *c, json_t *req)
{
	json_t *arr = json_array();
	json_int_t after = json_integer_value(json_object_get(req, "after"));
	int rc = rec_index_audit_list(c->st->idx, after > 0 ? (uint64_t)after : 0, audit_add, arr);

	if (rc < 0) {
		json_decref(arr);
		return err_of(rc, "");
	}
	return json_pack("{s:b,s:o}", "ok", 1, "audit", arr);
}

static json_t *cmd_stats(struct rec_ctl *c)
{
	struct rec_index_stats s;
	int rc = rec_index_stats(c->st->idx, &s);

	if (rc)
		return err_of(rc, "");
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "ok", 1,
	                 "recordings", (json_int_t)s.visible, "entries", (json_int_t)s.entries,
	                 "pending_deletions", (json_int_t)s.tombstones, "held", (json_int_t)s.held,
	                 "published", (json_int_t)s.published, "bytes", (json_int_t)s.bytes_visible,
	                 "audit_records", (json_int_t)s.audit_records, "deleted",
	                 (json_int_t)atomic_load(&c->st->deleted), "expired",
	                 (json_int_t)atomic_load(&c->st->expired), "ingested",
	                 (json_int_t)atomic_load(&c->ingested), "ingest_failed",
	                 (json_int_t)atomic_load(&c->ingest_failed), "ingest_retried",
	                 (json_int_t)atomic_load(&c->ingest_retried), "index_map_size",
	                 (json_int_t)s.map_size, "index_map_used", (json_int_t)s.map_used,
	                 "reaper_paused", c->reaper ? rec_reaper_paused(c->reaper) : false);
}

json_t *rec_ctl_handle(void *arg, json_t *req)
{
	struct rec_ctl *c = arg;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (!cmd)
		return ctl_error("missing \"cmd\"");
	if (!strcmp(cmd, "list"))
		return cmd_list(c, req);
	if (!strcmp(cmd, "show"))
		return cmd_show(c, req);
	if (!strcmp(cmd, "delete"))
		return cmd_delete(c, req);
	if (!strcmp(cmd, "hold"))
		return cmd_hold(c, req, true);
	if (!strcmp(cmd, "unhold"))
		return cmd_hold(c, req, false);
	if (!strcmp(cmd, "publish"))
		return cmd_publish(c, req);
	if (!strcmp(cmd, "expire-now"))
		return cmd_expire_now(c, req);
	if (!strcmp(cmd, "fsck")) {
		json_t *rep = json_object_get(req, "repair"), *sums = json_object_get(req, "checksums");
		json_t *r = rec_fsck_run(c->st, json_is_true(rep), sums ? json_is_true(sums) : true);
		if (r && !json_object_get(r, "ok"))
			json_object_set_new(r, "ok", json_true());
		return r;
	}
	if (!strcmp(cmd, "stats"))
		return cmd_stats(c);
	if (!strcmp(cmd, "import"))
		return cmd_import(c, req);
	if (!strcmp(cmd, "audit"))
		return cmd_audit(c, req);
	if (!strcmp(cmd, "reaper-resume")) {
		if (c->reaper)
			rec_reaper_resume(c->reaper);
		return ctl_ok();
	}
	return ctl_error("unknown command \"%s\" (list show delete hold unhold publish expire-now "
	                 "fsck stats import audit reaper-resume)", cmd);
}
