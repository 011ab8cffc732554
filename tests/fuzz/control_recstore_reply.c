/* libFuzzer target: amphi-control's reading of amphi-recstore's answers
 * (control/recstore_client.h): the error code of a refusal, and each
 * recording of a list or a show.  Nothing may crash, and a recording that
 * parses must hold to the rules the media handler relies on: ids in the
 * store's alphabet, an extension of one dot, a file (when there is one)
 * that is absolute and ends with /by-webinar/<webinar>/<id><ext>. */
#include "control/recstore_client.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const json_t *o)
{
	struct recstore_rec r;
	char err[256], tail[256];
	size_t fl, tl;

	if (recstore_rec_parse(o, &r, err, sizeof err) != 0) {
		if (!err[0])
			abort();
		return;
	}
	if (!recstore_id_valid(r.id) || !recstore_id_valid(r.webinar) || !recstore_id_valid(r.org) ||
	    r.ext[0] != '.' || strchr(r.ext + 1, '.') || strchr(r.ext, '/') || r.size < 0)
		abort();
	if (r.file[0]) {
		tl = (size_t)snprintf(tail, sizeof tail, "/by-webinar/%s/%s%s", r.webinar, r.id, r.ext);
		fl = strlen(r.file);
		if (r.file[0] != '/' || fl <= tl || strcmp(r.file + fl - tl, tail) || strstr(r.file, "/../"))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *v;
	size_t i;
	int e;

	if (!j)
		return 0;
	e = recstore_reply_errno(j);
	if (e != -ENOENT && e != -EPERM && e != -ERANGE && e != -EINVAL && e != -EPROTO)
		abort();
	one(json_object_get(j, "recording"));
	json_array_foreach(json_object_get(j, "recordings"), i, v)
		one(v);
	json_decref(j);
	return 0;
}
