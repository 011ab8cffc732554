/* fsck: see fsck.h. */
#include "recstore/fsck.h"
#include "common/log.h"
#include "recstore/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_GRACE_S 600   /* an ingest or import may be writing a younger temporary file */

struct all {
	struct rec_entry *e;
	size_t n, cap;
};

static int collect_all(void *arg, const struct rec_entry *e)
{
	struct all *a = arg;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		struct rec_entry *p = realloc(a->e, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		a->e = p;
		a->cap = cap;
	}
	a->e[a->n++] = *e;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *rec_fsck_run(struct rec_store *st, bool repair, bool checksums)
{
	static const struct rec_actor fsck = { "fsck", "repair requested by an operator" };
	json_t *r = json_object(), *orphans = json_array(), *dangling = json_array(),
	       *mismatch = json_array(), *unreadable = json_array(), *temporary = json_array();
	struct all a = { 0 }, tombs = { 0 };
	const char **names = NULL;
	char path[PATH_MAX + 512];   /* blob folder + a d_name (256) */
	size_t repaired = 0, checked = 0;
	struct dirent *de;
	DIR *d;
	int rc;

	if (!r || !orphans || !dangling || !mismatch || !unreadable || !temporary)
		goto fail;
	rc = rec_index_list(st->idx, REC_VIEW_WEBINAR, NULL, true, collect_all, &a);
	if (rc < 0)
		goto fail;
	names = calloc(a.n + 1, sizeof *names);
	if (!names)
		goto fail;
	for (size_t i = 0; i < a.n; i++)
		names[i] = a.e[i].blob;
	qsort(names, a.n, sizeof *names, cmp_str);

	d = opendir(st->blob_dir);
	if (!d) {
		json_decref(r);
		r = json_pack("{s:b,s:s}", "ok", 0, "error", "blob folder unreadable");
		goto out;
	}
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		struct stat sb;

		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", st->blob_dir, n);
		if (n[0] == '.') {
			bool old = stat(path, &sb) == 0 && sb.st_mtime + TEMP_GRACE_S < time(NULL);
			if (repair && old && unlink(path) == 0) {
				repaired++;
				log_msg(LOG_WARN, "fsck removed a temporary file", "name=%s", n);
			} else {
				json_array_append_new(temporary, json_string(n));
			}
			continue;
		}
		if (bsearch(&n, names, a.n, sizeof *names, cmp_str))
			continue;
		if (repair && unlink(path) == 0) {
			repaired++;
			rec_index_audit(st->idx, "fsck-orphan-removed", NULL, &fsck, n);
			log_msg(LOG_WARN, "fsck removed an orphan blob", "name=%s", n);
		} else {
			json_array_append_new(orphans, json_string(n));
		}
	}
	closedir(d);

	for (size_t i = 0; i < a.n; i++) {
		struct rec_entry *e = &a.e[i];
		char hex[65];
		uint64_t size;

		if (e->tombstone) {
			collect_all(&tombs, e);
			continue;
		}
		rec_store_blob_path(st, e, path, sizeof path);
		rc = rec_sha256_file(path, hex, &size);
		if (rc == -ENOENT) {
			if (repair && rec_store_drop_dangling(st, e, &fsck) == 0) {
				repaired++;
				log_msg(LOG_WARN, "fsck deleted a dangling entry", "id=%s", e->id);
			} else {
				json_array_append_new(dangling, json_string(e->id));
			}
			continue;
		}
		if (rc) {
			json_array_append_new(unreadable, json_pack("{s:s,s:s}", "id", e->id, "error", strerror(-rc)));
			continue;
		}
		checked++;
		if (size != e->size || (checksums && strcmp(hex, e->sha256) != 0))
			json_array_append_new(mismatch, json_pack("{s:s,s:s,s:s,s:I,s:I}", "id", e->id,
			                      "expected_sha256", e->sha256, "actual_sha256", hex,
			                      "expected_size", (json_int_t)e->size, "actual_size", (json_int_t)size));
	}
	if (repair)
		for (size_t i = 0; i < tombs.n; i++)
			if (rec_store_finish(st, &tombs.e[i]) == 0)
				repaired++;
	json_object_set_new(r, "checked", json_integer((json_int_t)checked));
	json_object_set_new(r, "pending_deletions", json_integer((json_int_t)(repair ? 0 : tombs.n)));
	json_object_set_new(r, "repaired", json_integer((json_int_t)repaired));
	json_object_set_new(r, "clean", json_boolean(!json_array_size(orphans) && !json_array_size(dangling) &&
	                    !json_array_size(mismatch) && !json_array_size(unreadable) &&
	                    !json_array_size(temporary) && !(tombs.n && !repair)));
	json_object_set(r, "orphans", orphans);
	json_object_set(r, "dangling", dangling);
	json_object_set(r, "checksum_mismatches", mismatch);
	json_object_set(r, "unreadable", unreadable);
	json_object_set(r, "temporary", temporary);
	goto out;
fail:
	json_decref(r);
	r = NULL;
out:
	json_decref(orphans);
	json_decref(dangling);
	json_decref(mismatch);
	json_decref(unreadable);
	json_decref(temporary);
	free(names);
	free(a.e);
	free(tombs.e);
	return r;
}
