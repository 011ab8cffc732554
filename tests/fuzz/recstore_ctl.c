/* Fuzz target: amphi-recstore's control requests (the bytes a client writes
 * on the control socket, after jansson) handled by rec_ctl_handle against a
 * real store (LMDB index, blob folder) in a temporary folder.  Every command
 * but "import" runs: import reads whatever path it is given, and a fuzzer
 * would point it at /dev/zero.  Entries a request deletes are put back. */
#include "common/clock.h"
#include "recstore/ctl.h"
#include "recstore/store.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rec_store st;
static struct rec_ctl ctl;
static int ready;

static void seed(const char *id, bool hold)
{
	static const struct rec_actor who = { "fuzz", "seed" };
	struct rec_entry e;
	char path[PATH_MAX + 200];
	int fd;

	if (rec_index_get_any(st.idx, id, &e) == 0)
		return;
	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "%s", id);
	snprintf(e.webinar, sizeof e.webinar, "w1");
	snprintf(e.org, sizeof e.org, "o1");
	snprintf(e.blob, sizeof e.blob, "%s.webm", id);
	snprintf(e.codecs, sizeof e.codecs, "vp8,opus");
	memset(e.sha256, '0', 64);
	e.webinar_date = e.start = e.end = amphi_now();
	e.expires_at = rec_store_expiry_default(&st, e.webinar_date);
	rec_store_blob_path(&st, &e, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd >= 0)
		close(fd);
	if (rec_index_put(st.idx, &e, &who) == 0 && hold)
		rec_index_set_hold(st.idx, id, true, &who);
}

static int setup(void)
{
	struct duration keep = { 12, 0, false }, pub = { 60, 0, false };
	char dir[] = "/tmp/amphi-fuzz-recstore-ctl.XXXXXX", err[256];

	if (!mkdtemp(dir) || rec_store_open(&st, dir, &keep, &pub, 0, err, sizeof err))
		return -1;
	ctl.st = &st;
	ctl.mount = "/mnt";
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *req, *res;
	const char *cmd;

	if (!ready) {
		if (setup())
			abort();
		ready = 1;
	}
	seed("r1", false);
	seed("r2", true);
	req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!req)
		return 0;
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (json_is_object(req) && !(cmd && strcmp(cmd, "import") == 0)) {
		res = rec_ctl_handle(&ctl, req);
		if (!res || !json_object_get(res, "ok"))
			abort();   /* every answer is an object with "ok" */
		json_decref(res);
	}
	json_decref(req);
	return 0;
}
