/* db: amphi-control's SQLite database (DESIGN.md §7): connection pool,
 * schema migrations and small statement helpers.
 *
 * One file (--db), WAL journal, foreign keys on, a busy timeout so concurrent
 * writers wait instead of failing.  The file and its -wal and -shm are 0600:
 * db_open makes an existing one private before opening it.  The schema is versioned with
 * PRAGMA user_version; db_open applies every migration above the file's
 * version in one transaction each, so a half-applied migration never exists.
 * The schema (db.c, docs/control.md) holds every table of the control plane,
 * including those control/webinars.c, chat, polls and stats fill.
 *
 * Personal data: every table holding a person's data has the person's key
 * (accounts.id, or registrations.id / registrations.email) and a time column,
 * both indexed, so the privacy code (DESIGN.md §9) can find, export and erase
 * it by person and by date.
 *
 * Threads: a connection belongs to one thread at a time.  HTTP handlers get
 * one checked out of the pool (req->db); others call db_acquire/db_release.
 * Times are integer seconds since the epoch (amphi_now()). */
#ifndef AMPHI_CONTROL_DB_H
#define AMPHI_CONTROL_DB_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct db;

#define DB_SCHEMA_VERSION 2

/* Opens (creating) path, migrates it, and opens pool_size connections.
 * NULL with err on failure (the message names the file). */
struct db *db_open(const char *path, int pool_size, char *err, size_t errlen);
void db_close(struct db *db);
/* Blocks until a connection is free. */
sqlite3 *db_acquire(struct db *db);
void db_release(struct db *db, sqlite3 *conn);

/* Transactions: BEGIN IMMEDIATE (takes the write lock at once, so two writers
 * never deadlock upgrading a read lock).  0 or -EIO. */
int db_begin(sqlite3 *c);
int db_commit(sqlite3 *c);
void db_rollback(sqlite3 *c);

/* Prepares sql and binds arguments described by fmt, one char per '?':
 *   'i' int64_t   'b' int (as 0/1)   's' const char * (NULL binds NULL)
 *   'n' NULL (no argument)           'x' const void *, size_t (blob)
 * NULL on error (logged with the statement).  Finalize with sqlite3_finalize. */
sqlite3_stmt *db_prepare(sqlite3 *c, const char *sql, const char *fmt, ...);
/* Prepare + bind + step to completion.  Returns the number of rows changed
 * (>= 0), or -EEXIST on a UNIQUE/PRIMARY KEY conflict, -EINVAL on another
 * constraint (foreign key, check), -EIO otherwise. */
int db_exec(sqlite3 *c, const char *sql, const char *fmt, ...);
/* Runs an INSERT and returns the new rowid (> 0) or a -errno as db_exec. */
int64_t db_insert(sqlite3 *c, const char *sql, const char *fmt, ...);
/* First column of the first row as an integer; def when there is no row. */
int64_t db_int(sqlite3 *c, int64_t def, const char *sql, const char *fmt, ...);

/* The current row as a JSON object keyed by column names (integers, reals,
 * text, NULL; blobs are left out). */
json_t *db_row_json(sqlite3_stmt *st);
/* Steps st to the end, one object per row, and finalizes it.  NULL on error. */
json_t *db_rows_json(sqlite3_stmt *st);

#endif
