/* journal: .amj encoder and reader, see journal.h and docs/journal.md. */
#include "common/journal.h"
#include "common/err.h"
#include "common/crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fixed part of the header, before the variable strings and tracks. */
#define HDR_FIXED 33   /* magic 8, version 2, flags 2, header_len 4, date 8, start 8, ntracks 1 */
#define TRACK_FIXED 12 /* kind, pt, channels, codec_len, clock_rate 4, ssrc 4 */

struct journal_reader {
	const uint8_t *base;   /* the whole file (mapped) or the caller's buffer */
	size_t size;
	size_t pos;            /* next byte to decode */
	bool mapped;           /* base came from mmap: unmap at close */
	unsigned ntracks;      /* from the header: bounds the track byte */
	bool done;
	struct journal_stats st;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }
static uint16_t get16(const uint8_t *p) { return p[0] | (uint16_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

/* Ids become file names under the store's views: no '/', no leading '.'. */
static bool id_valid(const char *s, size_t n)
{
	if (n == 0 || n >= JOURNAL_ID_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			return false;
	return true;
}

static bool codec_valid(const char *s, size_t n)
{
	if (n == 0 || n >= JOURNAL_CODEC_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static bool track_valid(const struct journal_track *t)
{
	return (t->kind == JOURNAL_AUDIO || t->kind == JOURNAL_VIDEO) &&
	       t->payload_type < 128 && t->clock_rate > 0 &&
	       codec_valid(t->codec, strnlen(t->codec, JOURNAL_CODEC_MAX));
}

ssize_t journal_header_encode(void *buf, size_t cap, const struct journal_header *h)
{
	const char *ids[3] = { h->recording, h->webinar, h->org };
	uint8_t *p = buf;
	size_t n = HDR_FIXED;

	if (h->ntracks == 0 || h->ntracks > JOURNAL_MAX_TRACKS)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		size_t l = strnlen(ids[i], JOURNAL_ID_MAX);
		if (!id_valid(ids[i], l))
			return -EINVAL;
		n += 1 + l;
	}
	for (unsigned i = 0; i < h->ntracks; i++) {
		if (!track_valid(&h->tracks[i]))
			return -EINVAL;
		n += TRACK_FIXED + strlen(h->tracks[i].codec);
	}
	n += 4;
	if (n > cap)
		return -ENOSPC;

	memcpy(p, JOURNAL_MAGIC, 8);
	put16(p + 8, JOURNAL_VERSION);
	put16(p + 10, 0);
	put32(p + 12, (uint32_t)n);
	put64(p + 16, (uint64_t)h->webinar_date);
	put64(p + 24, (uint64_t)h->start_ns);
	p[32] = (uint8_t)h->ntracks;
	size_t o = HDR_FIXED;
	for (int i = 0; i < 3; i++) {
		size_t l = strlen(ids[i]);
		p[o++] = (uint8_t)l;
		memcpy(p + o, ids[i], l);
		o += l;
	}
	for (unsigned i = 0; i < h->ntracks; i++) {
		const struct journal_track *t = &h->tracks[i];
		size_t l = strlen(t->codec);
		p[o] = t->kind;
		p[o + 1] = t->payload_type;
		p[o + 2] = t->channels;
		p[o + 3] = (uint8_t)l;
		put32(p + o + 4, t->clock_rate);
		put32(p + o + 8, t->ssrc);
		memcpy(p + o + TRACK_FIXED, t->codec, l);
		o += TRACK_FIXED + l;
	}
	put32(p + o, crc32c_update(0, p, o));
	return (ssize_t)n;
}

ssize_t journal_record_encode(void *buf, size_t cap, uint8_t track, uint64_t arrival_ns,
                              const void *pkt, size_t len)
{
	uint8_t *p = buf;

	if (len < JOURNAL_PACKET_MIN || len > JOURNAL_PACKET_MAX ||
	    (((const uint8_t *)pkt)[0] & 0xc0) != 0x80 ||
	    (track & ~JOURNAL_TRACK_RTCP) >= JOURNAL_MAX_TRACKS)
		return -EINVAL;
	if (cap < journal_record_size(len))
		return -ENOSPC;
	put32(p, (uint32_t)len);
	put64(p + 4, arrival_ns);
	p[12] = track;
	memcpy(p + 13, pkt, len);
	put32(p + 13 + len, crc32c_update(0, p, 13 + len));
	return (ssize_t)journal_record_size(len);
}

/* --- reader --- */

static int header_decode(const uint8_t *b, size_t size, struct journal_header *h,
                         size_t *hlen, char *err, size_t errlen)
{
	char *ids[3] = { h->recording, h->webinar, h->org };
	static const char *const names[3] = { "recording id", "webinar id", "organization id" };

	memset(h, 0, sizeof *h);
	if (size < 8 || memcmp(b, JOURNAL_MAGIC, 8) != 0)
		return err_set(err, errlen, -EBADMSG, "not a journal (bad magic)");
	if (size < HDR_FIXED + 4)
		return err_set(err, errlen, -EBADMSG, "journal header cut short (%zu bytes)", size);
	unsigned version = get16(b + 8);
	if (version == 0 || version > JOURNAL_VERSION)
		return err_set(err, errlen, -EPROTONOSUPPORT,
		            "journal version %u not supported (this build reads up to %u)",
		            version, JOURNAL_VERSION);
	size_t n = get32(b + 12);
	if (n < HDR_FIXED + 4 || n > JOURNAL_HEADER_MAX)
		return err_set(err, errlen, -EBADMSG, "journal header length %zu out of range", n);
	if (n > size)
		return err_set(err, errlen, -EBADMSG, "journal header cut short (%zu of %zu bytes)", size, n);
	if (crc32c_update(0, b, n - 4) != get32(b + n - 4))
		return err_set(err, errlen, -EBADMSG, "journal header CRC mismatch");

	/* Past the CRC every field is still bounds-checked against n - 4: a
	 * version 1 reader ignores bytes a later minor revision appends. */
	size_t end = n - 4, o = HDR_FIXED;
	h->webinar_date = (int64_t)get64(b + 16);
	h->start_ns = (int64_t)get64(b + 24);
	h->ntracks = b[32];
	if (h->ntracks == 0 || h->ntracks > JOURNAL_MAX_TRACKS)
		return err_set(err, errlen, -EBADMSG, "journal has %u tracks (1..%d allowed)",
		            h->ntracks, JOURNAL_MAX_TRACKS);
	for (int i = 0; i < 3; i++) {
		if (o + 1 > end || o + 1 + b[o] > end)
			return err_set(err, errlen, -EBADMSG, "journal header cut inside the %s", names[i]);
		size_t l = b[o++];
		if (!id_valid((const char *)b + o, l))
			return err_set(err, errlen, -EBADMSG, "journal %s is empty, too long or has bad characters",
			            names[i]);
		memcpy(ids[i], b + o, l);
		ids[i][l] = 0;
		o += l;
	}
	for (unsigned i = 0; i < h->ntracks; i++) {
		struct journal_track *t = &h->tracks[i];
		if (o + TRACK_FIXED > end || o + TRACK_FIXED + b[o + 3] > end)
			return err_set(err, errlen, -EBADMSG, "journal header cut inside track %u", i);
		size_t l = b[o + 3];
		t->kind = b[o];
		t->payload_type = b[o + 1];
		t->channels = b[o + 2];
		t->clock_rate = get32(b + o + 4);
		t->ssrc = get32(b + o + 8);
		if (l >= JOURNAL_CODEC_MAX)
			return err_set(err, errlen, -EBADMSG, "journal track %u codec name too long", i);
		memcpy(t->codec, b + o + TRACK_FIXED, l);
		t->codec[l] = 0;
		if (!track_valid(t))
			return err_set(err, errlen, -EBADMSG,
			            "journal track %u invalid (kind %u, pt %u, clock %u)", i,
			            t->kind, t->payload_type, t->clock_rate);
		o += TRACK_FIXED + l;
	}
	*hlen = n;
	return 0;
}

int journal_open_mem(const void *buf, size_t len, struct journal_header *hdr,
                     struct journal_reader **out, char *err, size_t errlen)
{
	struct journal_reader *rd;
	size_t hlen = 0;
	int rc;

	*out = NULL;
	rc = header_decode(buf, len, hdr, &hlen, err, errlen);
	if (rc < 0)
		return rc;
	rd = calloc(1, sizeof *rd);
	if (!rd)
		return err_set(err, errlen, -ENOMEM, "out of memory");
	rd->base = buf;
	rd->size = len;
	rd->pos = hlen;
	rd->ntracks = hdr->ntracks;
	rd->st.valid_end = hlen;
	rd->st.file_size = len;
	*out = rd;
	return 0;
}

int journal_open(const char *path, struct journal_header *hdr, struct journal_reader **out,
                 char *err, size_t errlen)
{
	struct stat sb;
	void *map;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errlen, -errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		close(fd);
		return err_set(err, errlen, rc, "cannot stat %s: %s", path, strerror(-rc));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(err, errlen, -EINVAL, "%s is not a regular file", path);
	}
	if (sb.st_size == 0) {
		close(fd);
		return err_set(err, errlen, -EBADMSG, "not a journal (empty file)");
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	rc = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (rc < 0)
		return err_set(err, errlen, rc, "cannot map %s: %s", path, strerror(-rc));
	madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
	rc = journal_open_mem(map, (size_t)sb.st_size, hdr, out, err, errlen);
	if (rc < 0) {
		munmap(map, (size_t)sb.st_size);
		return rc;
	}
	(*out)->mapped = true;
	return 0;
}

/* Is a whole, valid record at pos?  Returns its total size, or 0. */
static size_t record_at(const struct journal_reader *rd, size_t pos)
{
	const uint8_t *p = rd->base + pos;
	size_t avail = rd->size - pos;

	if (avail < JOURNAL_RECORD_OVERHEAD + JOURNAL_PACKET_MIN)
		return 0;
	size_t len = get32(p);
	if (len < JOURNAL_PACKET_MIN || len > JOURNAL_PACKET_MAX)
		return 0;
	if ((unsigned)(p[12] & ~JOURNAL_TRACK_RTCP) >= rd->ntracks || (p[13] & 0xc0) != 0x80)
		return 0;
	if (journal_record_size(len) > avail)
		return 0;
	if (crc32c_update(0, p, 13 + len) != get32(p + 13 + len))
		return 0;
	return journal_record_size(len);
}

int journal_next(struct journal_reader *rd, struct journal_record *rec)
{
	size_t n;

	if (rd->done)
		return 0;
	n = record_at(rd, rd->pos);
	if (n == 0) {
		if (rd->pos == rd->size) {
			rd->done = true;
			return 0;
		}
		/* Damage or a torn tail.  Whatever follows a damaged record is
		 * still worth reading: look for the next position holding a
		 * whole valid record.  None before the end: the bytes from pos
		 * on are a torn tail (a write the crash interrupted). */
		size_t q;
		for (q = rd->pos + 1; q < rd->size; q++)
			if ((n = record_at(rd, q)) != 0)
				break;
		if (n == 0) {
			rd->st.torn = true;
			rd->done = true;
			return 0;
		}
		rd->st.crc_errors++;
		rd->st.skipped_bytes += q - rd->pos;
		rd->pos = q;
	}
	const uint8_t *p = rd->base + rd->pos;
	rec->len = get32(p);
	rec->arrival_ns = get64(p + 4);
	rec->track = p[12] & ~JOURNAL_TRACK_RTCP;
	rec->rtcp = (p[12] & JOURNAL_TRACK_RTCP) != 0;
	rec->data = p + 13;
	rec->offset = rd->pos;
	rd->pos += n;
	rd->st.records++;
	rd->st.valid_end = rd->pos;
	return 1;
}

void journal_reader_stats(const struct journal_reader *rd, struct journal_stats *st)
{
	*st = rd->st;
}

void journal_close(struct journal_reader *rd)
{
	if (!rd)
		return;
	if (rd->mapped)
		munmap((void *)rd->base, rd->size);
	free(rd);
}
