/* db: see db.h. */
#include "control/db.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BUSY_TIMEOUT_MS 5000

struct db {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sqlite3 **all;       /* every connection, closed by db_close */
	sqlite3 **free_;     /* stack of idle connections */
	int n, nfree;
};

/* Migration N brings the schema from version N-1 to N.  Never edit a shipped
 * migration: add the next one.
 *
 * Who fills what: accounts, sessions, reset_tokens, audit, connection_logs,
 * access_logs and server_keys belong to control/accounts.c, control/auth.c
 * and control/devcookie.c (account states: control/account_state.c);
 * privacy_requests to the privacy-request API; what each table's retention
 * rule deletes, to control/expiry.c;
 * webinars, tokens, registrations, chat_messages, questions, question_votes,
 * polls, poll_votes, webinar_stats and rating_counts to the live-webinar
 * modules (control/webinars.c and friends).
 *
 * Times are seconds since the epoch.  Personal data columns are marked
 * "personal" with the retention rule of etc/retention.conf that erases them. */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"   /* personal [account_*] */
	"  first_name TEXT NOT NULL DEFAULT '',"          /* personal */
	"  last_name TEXT NOT NULL DEFAULT '',"           /* personal */
	"  phone TEXT,"                                   /* personal */
	"  address TEXT,"                                 /* personal: postal address */
	"  company TEXT,"                                 /* personal */
	"  job_title TEXT,"                               /* personal */
	"  role TEXT NOT NULL CHECK (role IN ('admin','organizer')),"
	"  password_hash TEXT NOT NULL,"                  /* Argon2id, crypto_pwhash_str */
	"  must_change INTEGER NOT NULL DEFAULT 0,"       /* initial password not changed yet */
	"  failed_logins INTEGER NOT NULL DEFAULT 0,"     /* wrong passwords in a row */
	"  lock_count INTEGER NOT NULL DEFAULT 0,"        /* locks so far: the delay doubles */
	"  locked_until INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  last_login_at INTEGER,"                        /* [account_inactive] runs from here */
	"  password_changed_at INTEGER,"
	"  deactivated_at INTEGER,"                       /* [account_deactivated] */
	"  suspended_at INTEGER"                          /* [account_suspended] */
	");"
	"CREATE INDEX accounts_last_login ON accounts(last_login_at);"
	"CREATE INDEX accounts_created ON accounts(created_at);"

	/* Session ids and reset tokens are stored as SHA-256 only. */
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER NOT NULL"
	");"
	"CREATE INDEX sessions_account ON sessions(account_id);"
	"CREATE TABLE reset_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"                  /* [reset_tokens] */
	"  used_at INTEGER"
	");"
	"CREATE INDEX reset_tokens_account ON reset_tokens(account_id);"
	"CREATE INDEX reset_tokens_expires ON reset_tokens(expires_at);"

	"CREATE TABLE webinars ("
	"  id INTEGER PRIMARY KEY,"
	"  organizer_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  title TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  starts_at INTEGER NOT NULL,"
	"  visibility TEXT NOT NULL DEFAULT 'registration' CHECK (visibility IN ('public','registration')),"
	"  recording INTEGER NOT NULL DEFAULT 0,"
	"  video_codec TEXT NOT NULL DEFAULT 'vp8' CHECK (video_codec IN ('vp8','h264')),"
	"  state TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled','live','ended')),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  started_at INTEGER,"
	"  ended_at INTEGER,"                              /* [interaction], [participant_*] run from here */
	"  replay_published_at INTEGER"                    /* identity kept with a published recording */
	");"
	"CREATE INDEX webinars_organizer ON webinars(organizer_id);"
	"CREATE INDEX webinars_state ON webinars(state);"
	"CREATE INDEX webinars_ended ON webinars(ended_at);"

	"CREATE TABLE registrations ("
	"  id INTEGER PRIMARY KEY,"
	"  webinar_id INTEGER NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,"
	"  first_name TEXT,"                              /* personal [participant_identity] */
	"  last_name TEXT,"                               /* personal [participant_identity] */
	"  email TEXT COLLATE NOCASE,"                    /* personal [participant_identity] */
	"  job_title TEXT,"                               /* personal [participant_identity] */
	"  organization TEXT,"                            /* personal [participant_identity] */
	"  phone TEXT,"                                   /* personal [participant_phone] */
	"  consent_at INTEGER NOT NULL,"                  /* explicit consent given */
	"  created_at INTEGER NOT NULL,"
	"  identity_erased_at INTEGER,"                   /* set when the identity columns are nulled */
	"  UNIQUE (webinar_id, email)"
	");"
	"CREATE INDEX registrations_email ON registrations(email);"
	"CREATE INDEX registrations_created ON registrations(created_at);"

	/* Webinar tokens: publish (speaker) and join (participant), SHA-256 only. */
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  webinar_id INTEGER NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('speaker','participant')),"
	"  registration_id INTEGER REFERENCES registrations(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  revoked_at INTEGER"
	");"
	"CREATE INDEX tokens_webinar ON tokens(webinar_id);"
	"CREATE INDEX tokens_registration ON tokens(registration_id);"

	/* Live interaction: erased when the webinar ends ([interaction]).  The
	 * author is a registration, a token (public webinars) or an account. */
	"CREATE TABLE chat_messages ("
	"  id INTEGER PRIMARY KEY,"
	"  webinar_id INTEGER NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,"
	"  registration_id INTEGER REFERENCES registrations(id) ON DELETE SET NULL,"
	"  token_id INTEGER REFERENCES tokens(id) ON DELETE SET NULL,"
	"  account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
	"  author TEXT,"                                  /* personal: display name */
	"  body TEXT NOT NULL,"                           /* personal [interaction] */
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX chat_webinar ON chat_messages(webinar_id, id);"
	"CREATE INDEX chat_registration ON chat_messages(registration_id);"
	"CREATE INDEX chat_account ON chat_messages(account_id);"
	"CREATE INDEX chat_created ON chat_messages(created_at);"
	"CREATE TABLE questions ("
	"  id INTEGER PRIMARY KEY,"
	"  webinar_id INTEGER NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,"
	"  registration_id INTEGER REFERENCES registrations(id) ON DELETE SET NULL,"
	"  token_id INTEGER REFERENCES tokens(id) ON DELETE SET NULL,"
	"  account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
	"  author TEXT,"                                  /* personal */
	"  body TEXT NOT NULL,"                           /* personal [interaction] */
	"  upvotes INTEGER NOT NULL DEFAULT 0,"
	"  answered INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX questions_webinar ON questions(webinar_id, id);"
	"CREATE INDEX questions_registration ON questions(registration_id);"
	"CREATE INDEX questions_account ON questions(account_id);"
	"CREATE INDEX questions_created ON questions(created_at);"
	"CREATE TABLE question_votes ("
	"  question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,"
	"  voter TEXT NOT NULL,"                          /* 'r:<registration>' 't:<token>' 'a:<account>' */
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (question_id, voter)"
	");"
	"CREATE INDEX question_votes_voter ON question_votes(voter);"
	"CREATE TABLE polls ("
	"  id INTEGER PRIMARY KEY,"
	"  webinar_id INTEGER NOT NULL REFERENCES webinars(id) ON DELETE CASCADE,"
	"  question TEXT NOT NULL,"
	"  options TEXT NOT NULL,"                        /* JSON array of strings */
	"  results TEXT NOT NULL DEFAULT 'live' CHECK (results IN ('live','closed','organizer')),"
	"  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','closed')),"
	"  created_at INTEGER NOT NULL,"
	"  closed_at INTEGER"
	");"
	"CREATE INDEX polls_webinar ON polls(webinar_id);"
	"CREATE TABLE poll_votes ("
	"  poll_id INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,"
	"  voter TEXT NOT NULL,"                          /* as question_votes.voter: one vote each */
	"  option INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (poll_id, voter)"
	");"
	"CREATE INDEX poll_votes_voter ON poll_votes(voter);"
	"CREATE INDEX poll_votes_created ON poll_votes(created_at);"

	/* Anonymous aggregates: no person, kept with no expiry ([statistics]).
	 * No foreign key on purpose: the numbers outlive the webinar row. */
	"CREATE TABLE webinar_stats ("
	"  webinar_id INTEGER PRIMARY KEY,"
	"  current_viewers INTEGER NOT NULL DEFAULT 0,"
	"  peak_viewers INTEGER NOT NULL DEFAULT 0,"
	"  unique_joins INTEGER NOT NULL DEFAULT 0,"
	"  watch_seconds INTEGER NOT NULL DEFAULT 0,"
	"  messages INTEGER NOT NULL DEFAULT 0,"
	"  questions INTEGER NOT NULL DEFAULT 0,"
	"  votes INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE rating_counts ("                  /* a count per score, never a row per person */
	"  webinar_id INTEGER NOT NULL,"
	"  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),"
	"  count INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (webinar_id, score)"
	");"

	/* Administrators' and organizers' actions: who (account id), what, when,
	 * target.  detail is JSON without personal data. */
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor_id INTEGER,"                             /* accounts.id; kept after deletion */
	"  actor_role TEXT NOT NULL,"
	"  action TEXT NOT NULL,"                         /* 'account.create', 'webinar.end', ... */
	"  target_type TEXT,"
	"  target_id INTEGER,"
	"  detail TEXT"
	");"
	"CREATE INDEX audit_at ON audit(at);"
	"CREATE INDEX audit_actor ON audit(actor_id);"

	/* Security log ([connection_logs], 12 months): logins, failures, joins. */
	"CREATE TABLE connection_logs ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"                          /* login, login_failed, login_locked, logout, join ... */
	"  account_id INTEGER,"                           /* person key (no FK: erased by the retention job) */
	"  registration_id INTEGER,"                      /* person key */
	"  ip TEXT"                                       /* personal */
	");"
	"CREATE INDEX connection_logs_at ON connection_logs(at);"
	"CREATE INDEX connection_logs_account ON connection_logs(account_id);"
	"CREATE INDEX connection_logs_registration ON connection_logs(registration_id);"
	/* Navigation log ([access_logs], 13 months). */
	"CREATE TABLE access_logs ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  account_id INTEGER,"
	"  registration_id INTEGER,"
	"  ip TEXT,"                                      /* personal */
	"  method TEXT NOT NULL,"
	"  route TEXT NOT NULL,"
	"  status INTEGER NOT NULL"
	");"
	"CREATE INDEX access_logs_at ON access_logs(at);"
	"CREATE INDEX access_logs_account ON access_logs(account_id);"
	"CREATE INDEX access_logs_registration ON access_logs(registration_id);",

	/* 2 (control-live): what a join token did, as facts without content:
	 * its first event stream (a unique join for the statistics) and whether
	 * it rated the webinar (one rating per token; the score itself goes to
	 * rating_counts with no link back). */
	"ALTER TABLE tokens ADD COLUMN joined_at INTEGER;"
	"ALTER TABLE tokens ADD COLUMN rated_at INTEGER;",

	/* 3 (control-auth): the server's own secrets, made on first use; today
	 * the key that signs device cookies (control/devcookie.c).  No personal
	 * data. */
	"CREATE TABLE server_keys ("
	"  name TEXT PRIMARY KEY,"
	"  value BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL"
	");",

	/* 4 (cc-twcc): the cap of a WebRTC publisher's video, bit/s: the WHIP
	 * answer's b=TIAS/b=AS and the relay's REMB (docs/control.md). */
	"ALTER TABLE webinars ADD COLUMN max_video_bitrate INTEGER NOT NULL DEFAULT 2500000;",

	/* 5 (recordings): which recording is whose (control/recordings.h).
	 * amphi-control names every recording it asks the relay for and links it
	 * here first; the store's webinar and org tags are row ids SQLite hands
	 * out again after a deletion, so access is decided by this table alone.
	 * A deleted webinar or account leaves the link with NULL (administrators
	 * still see the recording); a deleted recording takes its link along. */
	"CREATE TABLE recordings ("
	"  id INTEGER PRIMARY KEY,"
	"  rec_id TEXT NOT NULL UNIQUE,"                  /* the store's recording id */
	"  webinar_id INTEGER REFERENCES webinars(id) ON DELETE SET NULL,"
	"  organizer_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX recordings_webinar ON recordings(webinar_id);"
	"CREATE INDEX recordings_organizer ON recordings(organizer_id);",

	/* 6 (retention): when the inactivity warning was mailed (the deletion
	 * waits [account_inactive] warn_before after it); the records of
	 * data-subject requests ([privacy_requests], 5 years from receipt),
	 * kept minimal until the request API exists (issue 15 item 3). */
	"ALTER TABLE accounts ADD COLUMN inactive_warned_at INTEGER;"
	"CREATE TABLE privacy_requests ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"                           /* access, rectification, erasure, ... */
	"  requester TEXT NOT NULL,"                      /* personal: who asked (name, email) */
	"  received_at INTEGER NOT NULL,"                 /* [privacy_requests] runs from here */
	"  due_at INTEGER NOT NULL,"                      /* received_at + respond_within */
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  closed_at INTEGER,"
	"  receipt TEXT"                                  /* JSON: what was done */
	");"
	"CREATE INDEX privacy_requests_received ON privacy_requests(received_at);",

	/* 7 (consent): what a registration agreed to — the version (SHA-256) of
	 * the consent text shown (control/consent.h) — and the participant's
	 * declaration of being 15 or older.  Rows from before have neither. */
	"ALTER TABLE registrations ADD COLUMN consent_version TEXT;"
	"ALTER TABLE registrations ADD COLUMN age_declared INTEGER NOT NULL DEFAULT 0;",

	/* 8 (privacy requests): the administrator's note on a request received
	 * by mail or letter (control/privacy_requests.h); personal, deleted with
	 * the row ([privacy_requests]). */
	"ALTER TABLE privacy_requests ADD COLUMN note TEXT;",

	/* 9 (restriction, GDPR art. 18): an account or a registration frozen by
	 * the person or an administrator (control/restriction.h): kept, but no
	 * login, join, mail or listing, and no retention deletion, until an
	 * administrator lifts it (NULL again). */
	"ALTER TABLE accounts ADD COLUMN restricted_at INTEGER;"
	"ALTER TABLE registrations ADD COLUMN restricted_at INTEGER;",
};

static int conn_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *c = NULL;
	int rc = sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, c ? sqlite3_errmsg(c) : sqlite3_errstr(rc));
		sqlite3_close(c);
		return -EIO;
	}
	sqlite3_busy_timeout(c, BUSY_TIMEOUT_MS);
	char *msg = NULL;
	rc = sqlite3_exec(c, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
	                     "PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

static int migrate(sqlite3 *c, const char *path, char *err, size_t errlen)
{
	int version = (int)db_int(c, 0, "PRAGMA user_version", "");
	int target = (int)(sizeof migrations / sizeof *migrations);
	if (version > target) {
		snprintf(err, errlen, "%s: schema version %d is newer than this amphi-control (%d)",
		         path, version, target);
		return -EINVAL;
	}
	for (int v = version; v < target; v++) {
		char *msg = NULL;
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", v + 1);
		if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(c, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(c, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(c, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: migration to version %d: %s", path, v + 1,
			         msg ? msg : sqlite3_errmsg(c));
			sqlite3_free(msg);
			sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
		log_msg(LOG_INFO, "schema migrated", "version=%d", v + 1);
	}
	return 0;
}

/* The database holds password hashes and participants' identities: it and
 * its -wal and -shm are for this user only.  New files are (the daemon runs
 * with umask 077, and SQLite gives -wal and -shm the database's mode); this
 * takes the group and other bits off files an older version left readable.
 * 0, or -errno with err. */
static int files_private(const char *path, char *err, size_t errlen)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char name[4096];
	struct stat st;

	for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
		if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffix[i]) >= sizeof name) {
			snprintf(err, errlen, "%s: path too long", path);
			return -ENAMETOOLONG;
		}
		if (stat(name, &st) != 0 || !(st.st_mode & 077))
			continue;
		if (chmod(name, st.st_mode & 0700) != 0) {
			int e = errno;
			snprintf(err, errlen, "%s: cannot make it private: %s", name, strerror(e));
			return -e;
		}
		log_msg(LOG_INFO, "file made private", "path=%s mode=%o", name, (unsigned)(st.st_mode & 0700));
	}
	return 0;
}

struct db *db_open(const char *path, int pool_size, char *err, size_t errlen)
{
	if (pool_size < 1)
		pool_size = 1;
	if (files_private(path, err, errlen) != 0)
		return NULL;
	struct db *db = calloc(1, sizeof *db);
	if (!db || !(db->all = calloc((size_t)pool_size, sizeof(sqlite3 *))) ||
	    !(db->free_ = calloc((size_t)pool_size, sizeof(sqlite3 *)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&db->mu, NULL);
	pthread_cond_init(&db->cv, NULL);
	for (int i = 0; i < pool_size; i++) {
		if (conn_open(path, &db->all[i], err, errlen) != 0)
			goto fail;
		db->n++;
		if (i == 0 && migrate(db->all[0], path, err, errlen) != 0)
			goto fail;
		db->free_[db->nfree++] = db->all[i];
	}
	return db;
fail:
	db_close(db);
	return NULL;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (int i = 0; i < db->n; i++)
		sqlite3_close(db->all[i]);
	free(db->all);
	free(db->free_);
	free(db);
}

sqlite3 *db_acquire(struct db *db)
{
	pthread_mutex_lock(&db->mu);
	while (db->nfree == 0)
		pthread_cond_wait(&db->cv, &db->mu);
	sqlite3 *c = db->free_[--db->nfree];
	pthread_mutex_unlock(&db->mu);
	return c;
}

void db_release(struct db *db, sqlite3 *c)
{
	if (!c)
		return;
	/* A handler that returned inside a transaction must not leak it to the
	 * next user of the connection. */
	if (!sqlite3_get_autocommit(c)) {
		log_msg(LOG_ERROR, "connection returned inside a transaction", NULL);
		sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_lock(&db->mu);
	db->free_[db->nfree++] = c;
	pthread_cond_signal(&db->cv);
	pthread_mutex_unlock(&db->mu);
}

int db_begin(sqlite3 *c)
{
	return sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int db_commit(sqlite3 *c)
{
	if (sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
}

void db_rollback(sqlite3 *c)
{
	if (!sqlite3_get_autocommit(c))
		sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *vprepare(sqlite3 *c, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK) {
		log_msg(LOG_ERROR, "sql prepare failed", "error=\"%s\" sql=\"%.80s\"", sqlite3_errmsg(c), sql);
		return NULL;
	}
	int i = 1;
	for (const char *f = fmt; f && *f; f++, i++) {
		int rc;
		switch (*f) {
		case 'i': rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t)); break;
		case 'b': rc = sqlite3_bind_int(st, i, va_arg(ap, int) ? 1 : 0); break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
			break;
		}
		case 'n': rc = sqlite3_bind_null(st, i); break;
		case 'x': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
			break;
		}
		default: rc = SQLITE_MISUSE; break;
		}
		if (rc != SQLITE_OK) {
			log_msg(LOG_ERROR, "sql bind failed", "index=%d sql=\"%.80s\"", i, sql);
			sqlite3_finalize(st);
			return NULL;
		}
	}
	return st;
}

sqlite3_stmt *db_prepare(sqlite3 *c, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = vprepare(c, sql, fmt, ap);
	va_end(ap);
	return st;
}

static int step_done(sqlite3 *c, sqlite3_stmt *st, const char *sql)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	int ext = sqlite3_extended_errcode(c);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return sqlite3_changes(c);
	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return -EEXIST;
	if ((ext & 0xff) == SQLITE_CONSTRAINT)
		return -EINVAL;
	log_msg(LOG_ERROR, "sql failed", "error=\"%s\" sql=\"%.80s\"", sqlite3_errmsg(c), sql);
	return -EIO;
}

int db_exec(sqlite3 *c, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = vprepare(c, sql, fmt, ap);
	va_end(ap);
	if (!st)
		return -EIO;
	return step_done(c, st, sql);
}

int64_t db_insert(sqlite3 *c, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = vprepare(c, sql, fmt, ap);
	va_end(ap);
	if (!st)
		return -EIO;
	int rc = step_done(c, st, sql);
	if (rc < 0)
		return rc;
	return sqlite3_last_insert_rowid(c);
}

int64_t db_int(sqlite3 *c, int64_t def, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = vprepare(c, sql, fmt, ap);
	va_end(ap);
	if (!st)
		return def;
	int64_t v = def;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

json_t *db_row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(st);
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			json_object_set_new(o, name, json_integer(sqlite3_column_int64(st, i)));
			break;
		case SQLITE_FLOAT:
			json_object_set_new(o, name, json_real(sqlite3_column_double(st, i)));
			break;
		case SQLITE_TEXT:
			json_object_set_new(o, name, json_stringn((const char *)sqlite3_column_text(st, i),
			                                          (size_t)sqlite3_column_bytes(st, i)));
			break;
		case SQLITE_NULL:
			json_object_set_new(o, name, json_null());
			break;
		default:
			break;
		}
	}
	return o;
}

json_t *db_rows_json(sqlite3_stmt *st)
{
	if (!st)
		return NULL;
	json_t *a = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, db_row_json(st));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return NULL;
	}
	return a;
}
