/* index: see index.h; the schema is documented in docs/recstore.md. */
#include "recstore/index.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SCHEMA_VERSION 1u
#define MAP_SIZE_DEFAULT ((size_t)64 << 20)    /* ~100k recordings with room for the audit table */
#define MAP_SIZE_MAX ((size_t)64 << 30)        /* growth stops here: a runaway, not a store */
/* Internal code for MDB_MAP_FULL, never returned to callers: the write is
 * retried after the map has grown.  Not an errno value. */
#define E_MAPFULL (-100001)

struct rec_index {
	MDB_env *env;
	MDB_dbi recs;       /* id -> struct disk_rec */
	MDB_dbi expiry;     /* be64(expires_at) || id -> "" (the reaper's walk) */
	MDB_dbi view[3];    /* enum rec_view: key '\0' id -> "" */
	MDB_dbi ino;        /* be64(ino) -> id */
	MDB_dbi tombs;      /* id -> "": deletions whose blob may still exist */
	MDB_dbi audit;      /* be64(seq) -> JSON object text, append-only */
	MDB_dbi meta;       /* "schema" -> u32, "next_ino" -> u64 */
	/* Taken shared by every transaction, exclusively to grow the map:
	 * mdb_env_set_mapsize needs no transaction in flight in this process. */
	pthread_rwlock_t grow;
	size_t map_size;
};

struct disk_rec {
	uint32_t version;   /* SCHEMA_VERSION */
	uint32_t size;      /* sizeof(struct rec_entry): catches a build with another layout */
	struct rec_entry e;
};

static const char *const view_db_names[3] = { "by_webinar", "by_date", "by_org" };

/* ---- helpers --------------------------------------------------------------- */

/* LMDB result to 0 / -errno (MDB_MAP_FULL to E_MAPFULL). */
static int lm(int rc)
{
	switch (rc) {
	case MDB_SUCCESS: return 0;
	case MDB_NOTFOUND: return -ENOENT;
	case MDB_KEYEXIST: return -EEXIST;
	case MDB_MAP_FULL: return E_MAPFULL;
	default:
		if (rc > 0)
			return -rc;
		log_msg(LOG_ERROR, "lmdb error", "rc=%d reason=\"%s\"", rc, mdb_strerror(rc));
		return -EIO;
	}
}

static void be64_put(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t be64_get(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

bool rec_name_valid(const char *s)
{
	size_t n = 0;

	if (!s || !*s || *s == '.')
		return false;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (n >= REC_NAME_MAX - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

const char *rec_entry_ext(const struct rec_entry *e)
{
	const char *dot = strrchr(e->blob, '.');
	return dot ? dot : "";
}

void rec_entry_view_key(const struct rec_entry *e, enum rec_view view, char buf[REC_NAME_MAX])
{
	struct tm tm;
	time_t t;

	switch (view) {
	case REC_VIEW_WEBINAR: snprintf(buf, REC_NAME_MAX, "%s", e->webinar); break;
	case REC_VIEW_ORG: snprintf(buf, REC_NAME_MAX, "%s", e->org); break;
	case REC_VIEW_DATE:
		t = (time_t)e->start;
		gmtime_r(&t, &tm);
		strftime(buf, REC_NAME_MAX, "%Y-%m-%d", &tm);
		break;
	}
}

bool rec_entry_visible(const struct rec_entry *e, int64_t now)
{
	return !e->tombstone && (e->legal_hold || now < e->expires_at);
}

/* Keys: a view key is "<key>\0<id>", an expiry key be64 || id. */
static size_t view_key(const struct rec_entry *e, enum rec_view view, char out[2 * REC_NAME_MAX])
{
	char k[REC_NAME_MAX];
	size_t kl, il = strlen(e->id);

	rec_entry_view_key(e, view, k);
	kl = strlen(k);
	memcpy(out, k, kl);
	out[kl] = '\0';
	memcpy(out + kl + 1, e->id, il);
	return kl + 1 + il;
}

static size_t expiry_key(const struct rec_entry *e, unsigned char out[8 + REC_NAME_MAX])
{
	size_t il = strlen(e->id);

	be64_put(out, e->expires_at < 0 ? 0 : (uint64_t)e->expires_at);
	memcpy(out + 8, e->id, il);
	return 8 + il;
}

static int decode(const MDB_val *v, struct rec_entry *out)
{
	struct disk_rec d;

	if (v->mv_size != sizeof d)
		return -EIO;
	memcpy(&d, v->mv_data, sizeof d);
	if (d.version != SCHEMA_VERSION || d.size != sizeof d.e)
		return -EIO;
	*out = d.e;
	out->id[REC_NAME_MAX - 1] = out->webinar[REC_NAME_MAX - 1] = out->org[REC_NAME_MAX - 1] = '\0';
	out->codecs[REC_CODECS_MAX - 1] = out->sha256[64] = out->blob[REC_BLOB_MAX - 1] = '\0';
	return 0;
}

static int get_rec(struct rec_index *idx, MDB_txn *txn, const char *id, struct rec_entry *out)
{
	MDB_val k = { strlen(id), (void *)id }, v;
	int rc = lm(mdb_get(txn, idx->recs, &k, &v));

	if (rc)
		return rc;
	rc = decode(&v, out);
	if (rc)
		log_msg(LOG_ERROR, "index entry unreadable", "id=%s size=%zu", id, v.mv_size);
	return rc;
}

static int put_rec(struct rec_index *idx, MDB_txn *txn, const struct rec_entry *e)
{
	struct disk_rec d;
	MDB_val k = { strlen(e->id), (void *)e->id }, v = { sizeof d, &d };

	memset(&d, 0, sizeof d);
	d.version = SCHEMA_VERSION;
	d.size = sizeof d.e;
	d.e = *e;
	return lm(mdb_put(txn, idx->recs, &k, &v, 0));
}

static int put_empty(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key }, v = { 0, (void *)"" };
	return lm(mdb_put(txn, dbi, &k, &v, 0));
}

static int del_key(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = lm(mdb_del(txn, dbi, &k, NULL));
	return rc == -ENOENT ? 0 : rc;
}

/* The secondary keys of an entry, written on put and removed on purge from
 * this one list, so the two paths cannot drift apart:
 *   by_expiry  be64(expires_at) || id -> ""
 *   by_webinar, by_date, by_org  "<key>\0<id>" -> ""
 *   by_ino     be64(ino) -> id
 * KEYS_EXPIRY is the expiry key alone (an expiry change moves only it). */
enum keys_op { KEYS_PUT, KEYS_DEL };
enum keys_set { KEYS_EXPIRY, KEYS_ALL };

struct sec_key {
	MDB_dbi dbi;
	MDB_val k, v;
};

static int secondary_keys(struct rec_index *idx, MDB_txn *txn, const struct rec_entry *e,
                          enum keys_op op, enum keys_set set)
{
	unsigned char ek[8 + REC_NAME_MAX], ik[8];
	char vk[3][2 * REC_NAME_MAX];
	struct sec_key keys[5];
	MDB_val none = { 0, (void *)"" };
	size_t n = 0;
	int rc;

	keys[n++] = (struct sec_key){ idx->expiry, { expiry_key(e, ek), ek }, none };
	if (set == KEYS_ALL) {
		for (int view = 0; view < 3; view++)
			keys[n++] = (struct sec_key){ idx->view[view], { view_key(e, view, vk[view]), vk[view] }, none };
		be64_put(ik, e->ino);
		keys[n++] = (struct sec_key){ idx->ino, { 8, ik }, { strlen(e->id), (void *)e->id } };
	}
	for (size_t i = 0; i < n; i++) {
		/* del_key ignores a key already gone: a purge finishing after a crash. */
		rc = op == KEYS_PUT ? lm(mdb_put(txn, keys[i].dbi, &keys[i].k, &keys[i].v, 0))
		                    : del_key(txn, keys[i].dbi, keys[i].k.mv_data, keys[i].k.mv_size);
		if (rc)
			return rc;
	}
	return 0;
}

/* Appends one audit record; seq is the last key + 1. */
static int audit_put(struct rec_index *idx, MDB_txn *txn, const char *action, const char *id,
                     const struct rec_actor *who, json_t *detail)
{
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char kb[8];
	uint64_t seq = 1;
	char iso[32], *text;
	json_t *o;
	int rc;

	rc = lm(mdb_cursor_open(txn, idx->audit, &cur));
	if (rc)
		goto out_detail;
	if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
		seq = be64_get(k.mv_data) + 1;
	mdb_cursor_close(cur);

	o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)seq, "ts",
	              (json_int_t)amphi_now(), "time", amphi_time_iso(amphi_now(), iso, sizeof iso),
	              "action", action, "id", id ? id : "", "by", who && who->by ? who->by : "",
	              "why", who && who->why ? who->why : "");
	if (!o) {
		rc = -ENOMEM;
		goto out_detail;
	}
	if (detail)
		json_object_set(o, "detail", detail);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!text) {
		rc = -ENOMEM;
		goto out_detail;
	}
	be64_put(kb, seq);
	k.mv_size = 8;
	k.mv_data = kb;
	v.mv_size = strlen(text);
	v.mv_data = text;
	rc = lm(mdb_put(txn, idx->audit, &k, &v, MDB_APPEND));
	free(text);
out_detail:
	json_decref(detail);
	return rc;
}

/* ---- transactions ---------------------------------------------------------- */

static int rd_begin(struct rec_index *idx, MDB_txn **txn)
{
	int rc;

	pthread_rwlock_rdlock(&idx->grow);
	rc = lm(mdb_txn_begin(idx->env, NULL, MDB_RDONLY, txn));
	if (rc)
		pthread_rwlock_unlock(&idx->grow);
	return rc;
}

static void rd_end(struct rec_index *idx, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&idx->grow);
}

static int grow(struct rec_index *idx, size_t seen)
{
	int rc = 0;

	pthread_rwlock_wrlock(&idx->grow);
	if (idx->map_size == seen) {   /* another writer may have grown it already */
		if (seen >= MAP_SIZE_MAX) {
			rc = -ENOSPC;
		} else {
			rc = lm(mdb_env_set_mapsize(idx->env, seen * 2));
			if (rc == 0) {
				idx->map_size = seen * 2;
				log_msg(LOG_INFO, "index map grown", "map_size=%zu", idx->map_size);
			}
		}
	}
	pthread_rwlock_unlock(&idx->grow);
	return rc;
}

typedef int (*write_fn)(struct rec_index *idx, MDB_txn *txn, void *arg);

/* Runs fn in a write transaction and commits when it returns 0; on a full map
 * the whole transaction is redone after growing it. */
static int wr_run(struct rec_index *idx, write_fn fn, void *arg)
{
	for (;;) {
		MDB_txn *txn;
		size_t seen;
		int rc;

		pthread_rwlock_rdlock(&idx->grow);
		seen = idx->map_size;
		rc = lm(mdb_txn_begin(idx->env, NULL, 0, &txn));
		if (rc == 0) {
			rc = fn(idx, txn, arg);
			if (rc == 0)
				rc = lm(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
		}
		pthread_rwlock_unlock(&idx->grow);
		if (rc != E_MAPFULL)
			return rc;
		rc = grow(idx, seen);
		if (rc)
			return rc;
	}
}

/* ---- open / close ---------------------------------------------------------- */

int rec_index_open(const char *dir, size_t map_size, struct rec_index **out, char *err, size_t errlen)
{
	struct rec_index *idx;
	MDB_txn *txn = NULL;
	MDB_envinfo info;
	MDB_val k, v;
	int dead = 0, rc;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return rc;
	}
	idx = calloc(1, sizeof *idx);
	if (!idx)
		return -ENOMEM;
	pthread_rwlock_init(&idx->grow, NULL);
	idx->map_size = map_size ? map_size : MAP_SIZE_DEFAULT;
	if ((rc = mdb_env_create(&idx->env)) ||
	    (rc = mdb_env_set_maxdbs(idx->env, 16)) ||
	    (rc = mdb_env_set_mapsize(idx->env, idx->map_size)) ||
	    (rc = mdb_env_set_maxreaders(idx->env, 254)) ||
	    (rc = mdb_env_open(idx->env, dir, MDB_NOTLS, 0600))) {
		snprintf(err, errlen, "%s: lmdb: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	/* A file grown by an earlier run is larger than the configured size. */
	mdb_env_info(idx->env, &info);
	idx->map_size = info.me_mapsize;
	mdb_reader_check(idx->env, &dead);
	if (dead)
		log_msg(LOG_WARN, "stale index readers cleared", "count=%d", dead);

	if ((rc = mdb_txn_begin(idx->env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "recordings", MDB_CREATE, &idx->recs)) ||
	    (rc = mdb_dbi_open(txn, "by_expiry", MDB_CREATE, &idx->expiry)) ||
	    (rc = mdb_dbi_open(txn, view_db_names[0], MDB_CREATE, &idx->view[0])) ||
	    (rc = mdb_dbi_open(txn, view_db_names[1], MDB_CREATE, &idx->view[1])) ||
	    (rc = mdb_dbi_open(txn, view_db_names[2], MDB_CREATE, &idx->view[2])) ||
	    (rc = mdb_dbi_open(txn, "by_ino", MDB_CREATE, &idx->ino)) ||
	    (rc = mdb_dbi_open(txn, "tombstones", MDB_CREATE, &idx->tombs)) ||
	    (rc = mdb_dbi_open(txn, "audit", MDB_CREATE, &idx->audit)) ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &idx->meta))) {
		snprintf(err, errlen, "%s: lmdb: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	k.mv_data = "schema";
	k.mv_size = 6;
	rc = mdb_get(txn, idx->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		uint32_t ver = SCHEMA_VERSION;
		v.mv_size = sizeof ver;
		v.mv_data = &ver;
		rc = mdb_put(txn, idx->meta, &k, &v, 0);
	} else if (rc == 0 && (v.mv_size != 4 || *(uint32_t *)v.mv_data != SCHEMA_VERSION)) {
		snprintf(err, errlen, "%s: index schema version %u, this build reads %u", dir,
		         v.mv_size == 4 ? *(uint32_t *)v.mv_data : 0, SCHEMA_VERSION);
		rc = EPROTO;
		goto fail;
	}
	if (rc || (rc = mdb_txn_commit(txn))) {
		txn = NULL;
		snprintf(err, errlen, "%s: lmdb: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	*out = idx;
	return 0;
fail:
	if (txn)
		mdb_txn_abort(txn);
	mdb_env_close(idx->env);
	pthread_rwlock_destroy(&idx->grow);
	free(idx);
	rc = lm(rc);
	return rc == E_MAPFULL ? -ENOSPC : rc;
}

void rec_index_close(struct rec_index *idx)
{
	if (!idx)
		return;
	mdb_env_close(idx->env);
	pthread_rwlock_destroy(&idx->grow);
	free(idx);
}

/* ---- writes ---------------------------------------------------------------- */

struct put_arg {
	struct rec_entry *e;
	const struct rec_actor *who;
};

static int put_fn(struct rec_index *idx, MDB_txn *txn, void *varg)
{
	struct put_arg *a = varg;
	struct rec_entry *e = a->e, old;
	MDB_val k = { 8, "next_ino" }, v;
	uint64_t ino = 16;   /* 1..15 are the root and the view folders */
	int rc;

	rc = get_rec(idx, txn, e->id, &old);
	if (rc == 0)
		return -EEXIST;
	if (rc != -ENOENT)
		return rc;
	if (mdb_get(txn, idx->meta, &k, &v) == 0 && v.mv_size == 8)
		memcpy(&ino, v.mv_data, 8);
	e->ino = ino++;
	v.mv_size = 8;
	v.mv_data = &ino;
	if ((rc = lm(mdb_put(txn, idx->meta, &k, &v, 0))))
		return rc;
	e->tombstone = false;
	if ((rc = put_rec(idx, txn, e)) || (rc = secondary_keys(idx, txn, e, KEYS_PUT, KEYS_ALL)))
		return rc;
	return audit_put(idx, txn, "add", e->id, a->who,
	                 json_pack("{s:s,s:s,s:I,s:I,s:s}", "webinar", e->webinar, "org", e->org,
	                           "expires_at", (json_int_t)e->expires_at, "size", (json_int_t)e->size,
	                           "sha256", e->sha256));
}

int rec_index_put(struct rec_index *idx, struct rec_entry *e, const struct rec_actor *who)
{
	struct put_arg a = { e, who };

	if (!rec_name_valid(e->id) || !rec_name_valid(e->webinar) || !rec_name_valid(e->org) ||
	    !rec_name_valid(e->blob))
		return -EINVAL;
	return wr_run(idx, put_fn, &a);
}

struct change_arg {
	const char *id;
	const struct rec_actor *who;
	const char *action;
	bool expired_only;
	bool flag;
	int64_t when;
	const char *text;
	uint64_t size;
};

static int tomb_fn(struct rec_index *idx, MDB_txn *txn, void *varg)
{
	struct change_arg *a = varg;
	struct rec_entry e;
	int64_t now = amphi_now();
	int rc = get_rec(idx, txn, a->id, &e);

	if (rc)
		return rc;
	if (e.tombstone)
		return -ENOENT;
	if (e.legal_hold)
		return -EPERM;
	if (a->expired_only && now < e.expires_at)
		return -EAGAIN;
	/* A user deletion of an already expired recording is not "theirs" to see. */
	if (!a->expired_only && now >= e.expires_at)
		return -ENOENT;
	e.tombstone = true;
	if ((rc = put_rec(idx, txn, &e)) || (rc = put_empty(txn, idx->tombs, e.id, strlen(e.id))))
		return rc;
	return audit_put(idx, txn, a->action, e.id, a->who,
	                 json_pack("{s:I,s:s}", "expires_at", (json_int_t)e.expires_at, "sha256", e.sha256));
}

int rec_index_tombstone(struct rec_index *idx, const char *id, bool expired_only,
                        const char *action, const struct rec_actor *who)
{
	struct change_arg a = { .id = id, .who = who, .action = action, .expired_only = expired_only };
	return wr_run(idx, tomb_fn, &a);
}

static int purge_fn(struct rec_index *idx, MDB_txn *txn, void *varg)
{
	struct change_arg *a = varg;
	struct rec_entry e;
	int rc = get_rec(idx, txn, a->id, &e);

	if (rc == -ENOENT)   /* purged already (a crash after the commit): just the tombstone */
		return del_key(txn, idx->tombs, a->id, strlen(a->id));
	if (rc)
		return rc;
	if (!e.tombstone)
		return -EBUSY;
	if ((rc = secondary_keys(idx, txn, &e, KEYS_DEL, KEYS_ALL)) ||
	    (rc = del_key(txn, idx->tombs, e.id, strlen(e.id))))
		return rc;
	return del_key(txn, idx->recs, e.id, strlen(e.id));
}

int rec_index_purge(struct rec_index *idx, const char *id)
{
	struct change_arg a = { .id = id };
	return wr_run(idx, purge_fn, &a);
}

static int hold_fn(struct rec_index *idx, MDB_txn *txn, void *varg)
{
	struct change_arg *a = varg;
	struct rec_entry e;
	int rc = get_rec(idx, txn, a->id, &e);

	if (rc)
		return rc;
	if (!rec_entry_visible(&e, amphi_now()))
		return -ENOENT;
	if (e.legal_hold == a->flag)
		return 0;
	e.legal_hold = a->flag;
	if ((rc = put_rec(idx, txn, &e)))
		return rc;
	return audit_put(idx, txn, a->flag ? "hold" : "unhold", e.id, a->who, NULL);
}

int rec_index_set_hold(struct rec_index *idx, const char *id, bool hold, const struct rec_actor *who)
{
	struct change_arg a = { .id = id, .who = who, .flag = hold };
	return wr_run(idx, hold_fn, &a);
}

static int expiry_fn(struct rec_index *idx, MDB_txn *txn, void *varg)
{
	struct change_arg *a = varg;
	struct rec_entry e;
	int64_t old;
	bool old_pub;
	int rc = get_rec(idx, txn, a->id, &e);

	if (rc)
		return rc;
	if (!rec_entry_visible(&e, amphi_now()))
		return -ENOENT;
	old = e.expires_at;
	old_pub = e.published;
	if (strcmp(a->action, "publish") == 0)
		e.published = a->flag;
	if (old == a->when && old_pub == e.published)
		return 0;
	if ((rc = secondary_keys(idx, txn, &e, KEYS_DEL, KEYS_EXPIRY)))
		return rc;
	e.expires_at = a->when;
	if ((rc = secondary_keys(idx, txn, &e, KEYS_PUT, KEYS_EXPIRY)) || (rc = put_rec(idx, txn, &e)))
		return rc;
	return audit_put(idx, txn, a->action, e.id, a->who,
	                 json_pack("{s:I,s:I,s:b,s:b}", "old_expires_at", (json_int_t)old,
	                           "new_expires_at", (json_int_t)a->when, "old_published", old_pub,
	                           "new_published", e.published));
}

int rec_index_set_expiry(struct rec_index *idx, const char *id, int64_t expires_at,
                         const struct rec_actor *who)
{
	struct change_arg a = { .id = id, .who = who, .action = "expiry", .when = expires_at };
	return wr_run(idx, expiry_fn, &a);
}

int rec_index_set_published(struct rec_index *idx, const char *id, bool published,
                            int64_t expires_at, const struct rec_actor *who)
{
	struct change_arg a = { .id = id, .who = who, .action = "publish", .flag = published,
	                        .when = expires_at };
	return wr_run(idx, expiry_fn, &a);
}

static int checksum_fn(struct rec_index *idx, MDB_txn *txn, void *varg)
{
	struct change_arg *a = varg;
	struct rec_entry e;
	json_t *detail;
	int rc = get_rec(idx, txn, a->id, &e);

	if (rc)
		return rc;
	detail = json_pack("{s:s,s:s,s:I,s:I}", "old_sha256", e.sha256, "new_sha256", a->text,
	                   "old_size", (json_int_t)e.size, "new_size", (json_int_t)a->size);
	snprintf(e.sha256, sizeof e.sha256, "%s", a->text);
	e.size = a->size;
	if ((rc = put_rec(idx, txn, &e))) {
		json_decref(detail);
		return rc;
	}
	return audit_put(idx, txn, "checksum", e.id, a->who, detail);
}

int rec_index_set_checksum(struct rec_index *idx, const char *id, const char *sha256,
                           uint64_t size, const struct rec_actor *who)
{
	struct change_arg a = { .id = id, .who = who, .text = sha256, .size = size };
	return wr_run(idx, checksum_fn, &a);
}

static int audit_fn(struct rec_index *idx, MDB_txn *txn, void *varg)
{
	struct change_arg *a = varg;
	return audit_put(idx, txn, a->action, a->id, a->who,
	                 a->text ? json_string(a->text) : NULL);
}

int rec_index_audit(struct rec_index *idx, const char *action, const char *id,
                    const struct rec_actor *who, const char *detail)
{
	struct change_arg a = { .id = id, .who = who, .action = action, .text = detail };
	return wr_run(idx, audit_fn, &a);
}

/* ---- reads ----------------------------------------------------------------- */

int rec_index_get_any(struct rec_index *idx, const char *id, struct rec_entry *out)
{
	MDB_txn *txn;
	int rc;

	if (!rec_name_valid(id))
		return -ENOENT;
	if ((rc = rd_begin(idx, &txn)))
		return rc;
	rc = get_rec(idx, txn, id, out);
	rd_end(idx, txn);
	return rc;
}

int rec_index_get(struct rec_index *idx, const char *id, struct rec_entry *out)
{
	int rc = rec_index_get_any(idx, id, out);

	if (rc == 0 && !rec_entry_visible(out, amphi_now()))
		rc = -ENOENT;
	return rc;
}

int rec_index_get_ino(struct rec_index *idx, uint64_t ino, struct rec_entry *out)
{
	MDB_txn *txn;
	unsigned char ik[8];
	char id[REC_NAME_MAX];
	MDB_val k = { 8, ik }, v;
	int rc;

	be64_put(ik, ino);
	if ((rc = rd_begin(idx, &txn)))
		return rc;
	rc = lm(mdb_get(txn, idx->ino, &k, &v));
	if (rc == 0 && (v.mv_size == 0 || v.mv_size >= REC_NAME_MAX))
		rc = -EIO;
	if (rc == 0) {
		memcpy(id, v.mv_data, v.mv_size);
		id[v.mv_size] = '\0';
		rc = get_rec(idx, txn, id, out);
	}
	rd_end(idx, txn);
	if (rc == 0 && !rec_entry_visible(out, amphi_now()))
		rc = -ENOENT;
	return rc;
}

/* ---- walks ------------------------------------------------------------------- */

/* A walk's step: 0 goes on to the next key, WALK_DONE ends the walk with 0,
 * any other value ends it and is what the walk returns (the callers' own
 * "stop" values pass through unchanged). */
#define WALK_DONE (-100002)
typedef int (*walk_fn)(struct rec_index *idx, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                       void *arg);

/* Visits dbi's keys in order in one read transaction, from the first key at
 * or after *from (from NULL: from the first key). */
static int walk(struct rec_index *idx, MDB_dbi dbi, const MDB_val *from, walk_fn step, void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = from ? *from : (MDB_val){ 0, NULL }, v;
	int rc, stop = 0;

	if ((rc = rd_begin(idx, &txn)))
		return rc;
	rc = lm(mdb_cursor_open(txn, dbi, &cur));
	if (rc == 0) {
		for (rc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST); rc == 0 && !stop;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
			stop = step(idx, txn, &k, &v, arg);
		mdb_cursor_close(cur);
		rc = stop == WALK_DONE ? 0 : stop ? stop : (rc == MDB_NOTFOUND || rc == 0) ? 0 : lm(rc);
	}
	rd_end(idx, txn);
	return rc;
}

/* The recording id that ends key k after skip bytes, into id; -EINVAL when
 * there is none or it is too long. */
static int key_id(const MDB_val *k, size_t skip, char id[REC_NAME_MAX])
{
	if (k->mv_size <= skip || k->mv_size - skip >= REC_NAME_MAX)
		return -EINVAL;
	memcpy(id, (const char *)k->mv_data + skip, k->mv_size - skip);
	id[k->mv_size - skip] = '\0';
	return 0;
}

struct visit {
	rec_index_visit_fn fn;
	void *arg;
	int64_t now;
	bool all;              /* list: tombstoned and expired entries too */
	size_t plen;           /* list: the view key's length, with its '\0' */
	const char *prefix;
};

static int list_view_step(struct rec_index *idx, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                          void *varg)
{
	struct visit *w = varg;
	struct rec_entry e;
	char id[REC_NAME_MAX];

	(void)v;
	if (k->mv_size <= w->plen || memcmp(k->mv_data, w->prefix, w->plen) != 0)
		return WALK_DONE;
	if (key_id(k, w->plen, id) || get_rec(idx, txn, id, &e))
		return 0;
	return w->all || rec_entry_visible(&e, w->now) ? w->fn(w->arg, &e) : 0;
}

static int list_all_step(struct rec_index *idx, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                         void *varg)
{
	struct visit *w = varg;
	struct rec_entry e;

	(void)idx, (void)txn, (void)k;
	if (decode(v, &e))
		return 0;
	return w->all || rec_entry_visible(&e, w->now) ? w->fn(w->arg, &e) : 0;
}

int rec_index_list(struct rec_index *idx, enum rec_view view, const char *key, bool all,
                   rec_index_visit_fn fn, void *arg)
{
	char prefix[REC_NAME_MAX + 1];
	struct visit w = { fn, arg, amphi_now(), all, 0, prefix };
	MDB_val from;

	if (!key)
		return walk(idx, idx->recs, NULL, list_all_step, &w);
	w.plen = strlen(key);
	if (w.plen >= REC_NAME_MAX)
		return 0;
	memcpy(prefix, key, w.plen + 1);
	w.plen++;   /* the '\0' separator is part of the prefix */
	from = (MDB_val){ w.plen, prefix };
	return walk(idx, idx->view[view], &from, list_view_step, &w);
}

int rec_index_keys(struct rec_index *idx, enum rec_view view, rec_index_key_fn fn, void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct rec_entry e;
	char cur_key[REC_NAME_MAX + 1], id[REC_NAME_MAX];
	int64_t now = amphi_now();
	int rc, stop = 0;

	if ((rc = rd_begin(idx, &txn)))
		return rc;
	rc = lm(mdb_cursor_open(txn, idx->view[view], &cur));
	if (rc)
		goto out;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && !stop) {
		const char *p = k.mv_data, *nul = memchr(p, '\0', k.mv_size);
		size_t kl = nul ? (size_t)(nul - p) : 0, il = nul ? k.mv_size - kl - 1 : 0;

		if (!nul || kl >= REC_NAME_MAX || il == 0 || il >= REC_NAME_MAX) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			continue;
		}
		memcpy(id, nul + 1, il);
		id[il] = '\0';
		if (get_rec(idx, txn, id, &e) == 0 && rec_entry_visible(&e, now)) {
			/* Emit the key once, then jump past every "<key>\0..." entry. */
			memcpy(cur_key, p, kl);
			cur_key[kl] = '\0';
			stop = fn(arg, cur_key);
			cur_key[kl] = '\x01';
			k.mv_size = kl + 1;
			k.mv_data = cur_key;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		} else {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
	}
	mdb_cursor_close(cur);
	rc = stop ? stop : (rc == MDB_NOTFOUND || rc == 0) ? 0 : lm(rc);
out:
	rd_end(idx, txn);
	return rc;
}

static int expired_step(struct rec_index *idx, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                        void *varg)
{
	struct visit *w = varg;
	struct rec_entry e;
	char id[REC_NAME_MAX];

	(void)v;
	if (key_id(k, 8, id))
		return 0;
	if ((int64_t)be64_get(k->mv_data) > w->now)
		return WALK_DONE;
	if (get_rec(idx, txn, id, &e) == 0 && !e.tombstone && !e.legal_hold)
		return w->fn(w->arg, &e);
	return 0;
}

int rec_index_expired(struct rec_index *idx, int64_t now, rec_index_visit_fn fn, void *arg)
{
	struct visit w = { fn, arg, now, false, 0, NULL };

	return walk(idx, idx->expiry, NULL, expired_step, &w);
}

static int tombstones_step(struct rec_index *idx, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                           void *varg)
{
	struct visit *w = varg;
	struct rec_entry e;
	char id[REC_NAME_MAX];

	(void)v;
	if (key_id(k, 0, id))
		return 0;
	if (get_rec(idx, txn, id, &e) != 0) {
		/* Purged but the tombstone key survived: hand out the id alone. */
		memset(&e, 0, sizeof e);
		memcpy(e.id, id, k->mv_size + 1);
		e.tombstone = true;
	}
	return w->fn(w->arg, &e);
}

int rec_index_tombstones(struct rec_index *idx, rec_index_visit_fn fn, void *arg)
{
	struct visit w = { fn, arg, 0, false, 0, NULL };

	return walk(idx, idx->tombs, NULL, tombstones_step, &w);
}

struct audit_visit {
	rec_index_audit_fn fn;
	void *arg;
};

static int audit_step(struct rec_index *idx, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                      void *varg)
{
	struct audit_visit *w = varg;
	char *text = strndup(v->mv_data, v->mv_size);
	int stop;

	(void)idx, (void)txn;
	if (!text)
		return -ENOMEM;
	stop = w->fn(w->arg, be64_get(k->mv_data), text);
	free(text);
	return stop;
}

int rec_index_audit_list(struct rec_index *idx, uint64_t after, rec_index_audit_fn fn, void *arg)
{
	struct audit_visit w = { fn, arg };
	unsigned char kb[8];
	MDB_val from = { sizeof kb, kb };

	be64_put(kb, after + 1);
	return walk(idx, idx->audit, &from, audit_step, &w);
}

int rec_index_stats(struct rec_index *idx, struct rec_index_stats *out)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_stat st;
	MDB_envinfo info;
	struct rec_entry e;
	int64_t now = amphi_now();
	long psize = 4096;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = rd_begin(idx, &txn)))
		return rc;
	rc = lm(mdb_cursor_open(txn, idx->recs, &cur));
	if (rc)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (decode(&v, &e))
			continue;
		out->entries++;
		out->tombstones += e.tombstone;
		out->held += e.legal_hold && !e.tombstone;
		out->published += e.published && !e.tombstone;
		if (rec_entry_visible(&e, now)) {
			out->visible++;
			out->bytes_visible += e.size;
		}
	}
	mdb_cursor_close(cur);
	rc = 0;
	if (mdb_stat(txn, idx->audit, &st) == 0)
		out->audit_records = st.ms_entries;
	if (mdb_env_stat(idx->env, &st) == 0)
		psize = st.ms_psize;
	mdb_env_info(idx->env, &info);
	out->map_size = info.me_mapsize;
	out->map_used = (info.me_last_pgno + 1) * (size_t)psize;
out:
	rd_end(idx, txn);
	return rc;
}
