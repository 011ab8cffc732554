/* import: see import.h. */
#include "recstore/import.h"
#include "common/fsync.h"
#include "common/log.h"
#include "recstore/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int rec_media_probe(const char *path, char *codecs, size_t codecs_len, int64_t *duration_ms,
                    char *err, size_t errlen)
{
	AVFormatContext *fmt = NULL;
	size_t used = 0;
	int rc;

	av_log_set_level(AV_LOG_QUIET);
	rc = avformat_open_input(&fmt, path, NULL, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "%s: not a media file libavformat can read", path);
		return -EINVAL;
	}
	if (avformat_find_stream_info(fmt, NULL) < 0 || fmt->nb_streams == 0) {
		snprintf(err, errlen, "%s: no media streams", path);
		avformat_close_input(&fmt);
		return -EINVAL;
	}
	codecs[0] = '\0';
	for (unsigned i = 0; i < fmt->nb_streams; i++) {
		const char *name = avcodec_get_name(fmt->streams[i]->codecpar->codec_id);
		int n = snprintf(codecs + used, codecs_len - used, "%s%s", used ? "," : "", name);
		if (n < 0 || (size_t)n >= codecs_len - used)
			break;
		used += (size_t)n;
	}
	*duration_ms = fmt->duration > 0 ? fmt->duration / (AV_TIME_BASE / 1000) : 0;
	avformat_close_input(&fmt);
	return 0;
}

/* Copies src into dst (created, must not exist), hashing on the way; fsyncs. */
static int copy_hash(int in, const char *dst, char hex[REC_SHA256_HEX], uint64_t *size, char *err,
                     size_t errlen)
{
	unsigned char buf[1 << 17];
	struct rec_sha256 h;
	ssize_t n;
	int out, rc;

	rc = rec_sha256_begin(&h);
	if (rc)
		return rc;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (out < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		rec_sha256_end(&h, NULL);
		return rc;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				rc = -errno;
				snprintf(err, errlen, "%s: %s", dst, strerror(errno));
				goto out_fd;
			}
			off += w;
		}
		rec_sha256_update(&h, buf, (size_t)n);
	}
	if (n < 0 || fsync(out) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		goto out_fd;
	}
out_fd:
	rec_sha256_end(&h, rc ? NULL : hex);
	*size = h.size;
	if (close(out) < 0 && rc == 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
	}
	return rc;
}

/* ".webm" from "talk.webm"; only short lowercase alphanumeric extensions. */
static void pick_ext(const char *path, char ext[8])
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t n;

	snprintf(ext, 8, ".bin");
	if (!dot || (slash && dot < slash))
		return;
	n = strlen(dot + 1);
	if (n == 0 || n > 5 || strspn(dot + 1, "abcdefghijklmnopqrstuvwxyz0123456789") != n)
		return;
	snprintf(ext, 8, "%s", dot);
}

int rec_import_file(struct rec_store *st, const struct rec_import *in, const struct rec_actor *who,
                    struct rec_entry *out, char *err, size_t errlen)
{
	struct rec_entry e, old;
	struct stat sb;
	char ext[8], tmp[PATH_MAX + REC_BLOB_MAX + 32], dst[PATH_MAX + REC_BLOB_MAX + 8];
	int fd, rc;

	memset(&e, 0, sizeof e);
	if (in->id) {
		if (!rec_name_valid(in->id)) {
			snprintf(err, errlen, "invalid id (letters, digits, _ - . : ; 1-63 bytes)");
			return -EINVAL;
		}
		snprintf(e.id, sizeof e.id, "%s", in->id);
	} else {
		unsigned char r[8];
		if (getrandom(r, sizeof r, 0) != sizeof r)
			return -EIO;
		for (int i = 0; i < 8; i++)
			snprintf(e.id + 2 * i, 3, "%02x", r[i]);
	}
	if (!rec_name_valid(in->webinar) || !rec_name_valid(in->org)) {
		snprintf(err, errlen, "invalid webinar or org (letters, digits, _ - . : ; 1-63 bytes)");
		return -EINVAL;
	}
	if (rec_index_get_any(st->idx, e.id, &old) == 0) {
		snprintf(err, errlen, "recording %s exists", e.id);
		return -EEXIST;
	}
	fd = open(in->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = fd < 0 ? -errno : -EINVAL;
		snprintf(err, errlen, "%s: %s", in->path, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rc = rec_media_probe(in->path, e.codecs, sizeof e.codecs, &e.duration_ms, err, errlen);
	if (rc)
		goto out_fd;
	snprintf(e.webinar, sizeof e.webinar, "%s", in->webinar);
	snprintf(e.org, sizeof e.org, "%s", in->org);
	pick_ext(in->path, ext);
	snprintf(e.blob, sizeof e.blob, "%s%s", e.id, ext);
	e.webinar_date = in->webinar_date;
	e.start = in->start ? in->start : sb.st_mtime - e.duration_ms / 1000;
	e.end = e.start + (e.duration_ms + 999) / 1000;

	snprintf(tmp, sizeof tmp, "%s/.%s.import.tmp", st->blob_dir, e.blob);
	rec_store_blob_path(st, &e, dst, sizeof dst);
	unlink(tmp);   /* a leftover of a crashed import of the same id */
	rc = copy_hash(fd, tmp, e.sha256, &e.size, err, errlen);
	if (rc)
		goto out_tmp;
	if (rename(tmp, dst) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		goto out_tmp;
	}
	fsync_dir(st->blob_dir);
	rc = rec_store_add(st, &e, who);
	if (rc) {
		snprintf(err, errlen, "index: %s", strerror(-rc));
		goto out_fd;
	}
	*out = e;
	log_msg(LOG_INFO, "recording imported", "id=%s webinar=%s size=%llu", e.id, e.webinar,
	        (unsigned long long)e.size);
	close(fd);
	return 0;
out_tmp:
	unlink(tmp);
out_fd:
	close(fd);
	return rc;
}
