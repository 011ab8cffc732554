/* Fuzz target: the whole ingest on an arbitrary journal (outside bytes written
 * by another process): journal reader, RTCP sender-report parsing, reorder,
 * depacketizers, alignment and the libavformat mux.  Whatever the bytes, the
 * ingest either fails with a reason and leaves the blob folder empty, or
 * produces a blob whose size and path it reports. */
#include "recstore/ingest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/log.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char blob_dir[64];
static int jfd = -1;
static char jpath[64];

static int entries(void)
{
	DIR *d = opendir(blob_dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void cleanup(void)
{
	rmdir(blob_dir);   /* empty after every run: see the checks below */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_media m;
	char err[512];

	if (jfd < 0) {
		av_log_set_level(AV_LOG_QUIET);
		snprintf(blob_dir, sizeof blob_dir, "/tmp/amphi-fuzz-blobs-XXXXXX");
		if (!mkdtemp(blob_dir))
			abort();
		atexit(cleanup);
		jfd = memfd_create("journal", 0);
		if (jfd < 0)
			abort();
		snprintf(jpath, sizeof jpath, "/proc/self/fd/%d", jfd);
	}
	if (ftruncate(jfd, 0) < 0 || pwrite(jfd, data, size, 0) != (ssize_t)size)
		abort();
	int rc = rec_ingest_journal(jpath, blob_dir, &m, err, sizeof err);
	if (rc < 0) {
		if (err[0] == 0 || entries() != 0)
			abort();   /* a failure must say why and leave nothing */
		return 0;
	}
	struct stat sb;
	if (stat(m.path, &sb) != 0 || (uint64_t)sb.st_size != m.size || entries() != 1 ||
	    strlen(m.sha256) != 64 || m.duration_ms < 0)
		abort();
	unlink(m.path);
	return 0;
}
