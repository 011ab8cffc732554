/* record: see record.h. */
#include "relay/record.h"
#include "relay/pkt.h"
#include "relay/stream.h"
#include "relay/worker.h"
#include "common/clock.h"
#include "common/fsync.h"
#include "common/journal.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_BUF_SIZE (64 * 1024)   /* ~0.5 s of a 1 Mbit/s stream */
#define RECORD_BUFS     16            /* 1 MiB in flight at most per journal */

struct record_buf {
	struct record *rec;
	uint8_t *data;        /* RECORD_BUF_SIZE bytes, owned */
	size_t len;
	size_t done;          /* bytes of it already written (a short write goes on from there) */
	unsigned records;     /* records in it: lost together when its write fails */
	uint64_t off;         /* file offset of data[0], fixed when submitted */
	int inflight;
};

struct record {
	struct record *next;          /* the worker's list of records */
	int fd;
	char id[JOURNAL_ID_MAX];
	char path[PATH_MAX];          /* spool/<id>.amj */
	char ready[PATH_MAX];         /* spool/ready/<id>.amj */
	uint64_t off;                 /* file offset the next submitted buffer gets */
	struct record_buf bufs[RECORD_BUFS];
	int cur;                      /* buffer being filled, -1: none free */
	unsigned inflight;            /* writes and fsyncs not yet completed */
	struct record_buf fsync_tok;  /* user_data of the periodic fsync */
	int64_t next_fsync_ns;
	uint64_t unsynced;            /* bytes written since the last fsync was issued */
	int closing;
	uint64_t records, drops, write_errors;
	/* The stream's counters while it is open (record_close detaches): a
	 * failed write's records count as its record_drops. */
	struct stream_counters *sc;
	uint64_t lost_since;          /* records lost since the last write that succeeded */
	bool failing;                 /* the last write failed: the next good one logs a resumption */
	struct log_limit lim, lim_write;
};

static struct record **list_of(struct worker *w)
{
	return &w->records;
}

static int next_free(struct record *r)
{
	for (int i = 0; i < RECORD_BUFS; i++)
		if (!r->bufs[i].inflight && r->bufs[i].len == 0)
			return i;
	return -1;
}

static void submit_buf(struct worker *w, struct record *r)
{
	struct record_buf *b;
	struct io_uring_sqe *sqe;
	if (r->cur < 0 || r->bufs[r->cur].len == 0)
		return;
	b = &r->bufs[r->cur];
	sqe = loop_sqe(&w->loop);
	if (!sqe)
		return;   /* retried at the next tick */
	b->off = r->off;
	b->done = 0;
	r->off += b->len;
	b->inflight = 1;
	r->inflight++;
	io_uring_prep_write(sqe, r->fd, b->data, (unsigned)b->len, b->off);
	io_uring_sqe_set_data64(sqe, LOOP_UD(LOOP_JOURNAL, (uintptr_t)b));
	r->cur = next_free(r);
}

static void submit_fsync(struct worker *w, struct record *r)
{
	struct io_uring_sqe *sqe;
	if (r->fsync_tok.inflight || !r->unsynced)
		return;
	sqe = loop_sqe(&w->loop);
	if (!sqe)
		return;
	r->fsync_tok.inflight = 1;
	r->inflight++;
	r->unsynced = 0;
	io_uring_prep_fsync(sqe, r->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, LOOP_UD(LOOP_JOURNAL, (uintptr_t)&r->fsync_tok));
}

static void record_free(struct record *r)
{
	for (int i = 0; i < RECORD_BUFS; i++)
		free(r->bufs[i].data);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* A closed record whose writes are all done: fsync, rename into ready/. */
static void finish(struct worker *w, struct record *r)
{
	char dir[PATH_MAX + 8];
	int rc = 0;
	if (fdatasync(r->fd) < 0)
		rc = -errno;
	close(r->fd);
	r->fd = -1;
	if (rc == 0 && rename(r->path, r->ready) < 0)
		rc = -errno;
	snprintf(dir, sizeof dir, "%s/ready", w->relay->opts.spool);
	if (rc == 0)
		fsync_dir(dir);
	if (rc < 0)
		log_msg(LOG_ERROR, "journal close failed; left in the spool for recovery", "recording=%s err=%s",
		        r->id, strerror(-rc));
	else
		log_msg(LOG_INFO, "journal closed", "recording=%s bytes=%llu records=%llu drops=%llu",
		        r->id, (unsigned long long)r->off, (unsigned long long)r->records,
		        (unsigned long long)r->drops);
}

int record_open(struct worker *w, struct stream *s, const struct stream_spec *spec, struct record **out)
{
	struct journal_header h;
	struct record *r = calloc(1, sizeof *r);
	const char *spool = w->relay->opts.spool;
	ssize_t n;
	int rc;

	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->lim = (struct log_limit)LOG_LIMIT_INIT(10);
	r->lim_write = (struct log_limit)LOG_LIMIT_INIT(10);
	r->sc = &s->c;
	memset(&h, 0, sizeof h);
	snprintf(r->id, sizeof r->id, "%s", spec->recording);
	memcpy(h.recording, spec->recording, sizeof h.recording);
	memcpy(h.webinar, spec->webinar, sizeof h.webinar);
	memcpy(h.org, spec->org, sizeof h.org);
	h.webinar_date = spec->webinar_date;
	h.start_ns = amphi_now_ns();
	h.ntracks = spec->ntracks;
	for (unsigned i = 0; i < spec->ntracks; i++) {
		h.tracks[i].kind = spec->tracks[i].kind;
		h.tracks[i].payload_type = spec->tracks[i].pt;
		h.tracks[i].channels = spec->tracks[i].channels;
		h.tracks[i].clock_rate = spec->tracks[i].clock_rate;
		snprintf(h.tracks[i].codec, sizeof h.tracks[i].codec, "%s", spec->tracks[i].codec);
	}
	for (int i = 0; i < RECORD_BUFS; i++) {
		r->bufs[i].rec = r;
		r->bufs[i].data = malloc(RECORD_BUF_SIZE);
		if (!r->bufs[i].data) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	r->fsync_tok.rec = r;
	r->cur = 0;
	n = journal_header_encode(r->bufs[0].data, RECORD_BUF_SIZE, &h);
	if (n < 0) {
		rc = (int)n;
		log_msg(LOG_ERROR, "journal header refused", "recording=%s err=%d", r->id, rc);
		goto fail;
	}
	r->bufs[0].len = (size_t)n;
	if (snprintf(r->path, sizeof r->path, "%s/%s.amj", spool, r->id) >= (int)sizeof r->path ||
	    snprintf(r->ready, sizeof r->ready, "%s/ready/%s.amj", spool, r->id) >= (int)sizeof r->ready) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if (access(r->ready, F_OK) == 0) {
		rc = -EEXIST;
		log_msg(LOG_ERROR, "a journal of that recording is already in spool/ready", "recording=%s", r->id);
		goto fail;
	}
	r->fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r->fd < 0) {
		rc = -errno;
		log_msg(LOG_ERROR, "cannot create the journal", "path=%s err=%s", r->path, strerror(errno));
		goto fail;
	}
	r->next_fsync_ns = amphi_mono_ns() + w->relay->opts.fsync_interval_ns;
	r->next = *list_of(w);
	*list_of(w) = r;
	submit_buf(w, r);   /* the header reaches the file at once */
	r->unsynced = 1;
	submit_fsync(w, r);
	log_msg(LOG_INFO, "journal opened", "recording=%s stream=%s path=%s", r->id, s->id, r->path);
	*out = r;
	return 0;
fail:
	record_free(r);
	return rc;
}

void record_append(struct worker *w, struct stream *s, const struct relay_pkt *pkt)
{
	struct record *r = s->rec;
	size_t need = journal_record_size(pkt->len);
	struct record_buf *b;
	ssize_t n;

	if (r->cur >= 0 && r->bufs[r->cur].len + need > RECORD_BUF_SIZE)
		submit_buf(w, r);
	if (r->cur < 0)
		r->cur = next_free(r);
	if (r->cur < 0) {
		r->drops++;
		s->c.record_drops++;
		log_limited(&r->lim, LOG_WARN, "journal buffers full, packet not recorded", "recording=%s", r->id);
		return;
	}
	b = &r->bufs[r->cur];
	n = journal_record_encode(b->data + b->len, RECORD_BUF_SIZE - b->len,
	                          (uint8_t)(pkt->rtcp ? JOURNAL_TRACK_RTCP : pkt->track),
	                          (uint64_t)pkt->arrival_ns, pkt->data, pkt->len);
	if (n < 0) {
		r->drops++;
		s->c.record_drops++;
		log_limited(&r->lim, LOG_WARN, "packet not recordable", "recording=%s len=%u err=%zd",
		            r->id, pkt->len, n);
		return;
	}
	b->len += (size_t)n;
	b->records++;
	r->records++;
	s->c.recorded++;
}

void record_close(struct worker *w, struct record *r)
{
	if (!r)
		return;
	r->closing = 1;
	r->sc = NULL;
	submit_buf(w, r);
}

/* The rest of a short write, at its own offset; false when no SQE is free. */
static bool write_rest(struct worker *w, struct record_buf *b)
{
	struct io_uring_sqe *sqe = loop_sqe(&w->loop);
	if (!sqe)
		return false;
	io_uring_prep_write(sqe, b->rec->fd, b->data + b->done, (unsigned)(b->len - b->done), b->off + b->done);
	io_uring_sqe_set_data64(sqe, LOOP_UD(LOOP_JOURNAL, (uintptr_t)b));
	return true;
}

/* b's write failed (err: -errno): its records are lost; a hole the reader
 * skips is left and the next buffers still land at their own offsets. */
static void write_failed(struct record *r, struct record_buf *b, int err)
{
	r->write_errors++;
	r->drops += b->records;
	r->lost_since += b->records;
	r->failing = true;
	if (r->sc) {
		r->sc->record_write_errors++;
		r->sc->record_drops += b->records;
	}
	log_limited(&r->lim_write, LOG_ERROR, "journal write failed, records lost",
	            "recording=%s err=\"%s\" written=%zu len=%zu lost=%u", r->id, strerror(-err), b->done,
	            b->len, b->records);
}

void record_on_completion(struct worker *w, const struct io_uring_cqe *cqe)
{
	struct record_buf *b = (struct record_buf *)(uintptr_t)LOOP_UD_ID(io_uring_cqe_get_data64(cqe));
	struct record *r = b->rec;

	if (b == &r->fsync_tok) {
		b->inflight = 0;
		r->inflight--;
		if (cqe->res < 0)
			log_limited(&r->lim_write, LOG_ERROR, "journal fsync failed", "recording=%s err=\"%s\"",
			            r->id, strerror(-cqe->res));
		return;
	}
	if (cqe->res > 0 && b->done + (size_t)cqe->res < b->len) {
		/* Short (a disk filling up): the rest goes on, and fails with
		 * its errno if the space is gone. */
		b->done += (size_t)cqe->res;
		if (write_rest(w, b))
			return;
		write_failed(r, b, -EAGAIN);
	} else if (cqe->res <= 0) {
		write_failed(r, b, cqe->res < 0 ? cqe->res : -EIO);
	} else {
		r->unsynced += b->len;
		if (r->failing) {
			r->failing = false;
			log_msg(LOG_INFO, "recording resumed", "recording=%s lost=%llu write_errors=%llu", r->id,
			        (unsigned long long)r->lost_since, (unsigned long long)r->write_errors);
			r->lost_since = 0;
		}
	}
	b->inflight = 0;
	r->inflight--;
	b->len = 0;
	b->records = 0;
	if (r->cur < 0)
		r->cur = next_free(r);
}

void record_tick(struct worker *w, int64_t now)
{
	struct record **pp = list_of(w), *r;
	while ((r = *pp)) {
		submit_buf(w, r);
		if (now >= r->next_fsync_ns) {
			submit_fsync(w, r);
			r->next_fsync_ns = now + w->relay->opts.fsync_interval_ns;
		}
		if (r->closing && r->inflight == 0 && (r->cur < 0 || r->bufs[r->cur].len == 0)) {
			*pp = r->next;
			finish(w, r);
			record_free(r);
			continue;
		}
		pp = &r->next;
	}
}

void record_shutdown(struct worker *w)
{
	struct io_uring_cqe *cqe;
	for (struct record *r = *list_of(w); r; r = r->next)
		record_close(w, r);
	while (*list_of(w)) {
		unsigned pending = 0;
		for (struct record *r = *list_of(w); r; r = r->next)
			pending += r->inflight;
		if (pending) {
			io_uring_submit(&w->loop.ring);
			if (io_uring_wait_cqe(&w->loop.ring, &cqe) < 0)
				break;
			if (LOOP_UD_TAG(io_uring_cqe_get_data64(cqe)) == LOOP_JOURNAL)
				record_on_completion(w, cqe);
			else if (LOOP_UD_TAG(io_uring_cqe_get_data64(cqe)) == LOOP_SEND)
				loop_send_done(&w->loop, (unsigned)LOOP_UD_ID(io_uring_cqe_get_data64(cqe)));
			else if (LOOP_UD_TAG(io_uring_cqe_get_data64(cqe)) == LOOP_SEND_GSO)
				loop_gso_done(&w->loop, (unsigned)LOOP_UD_ID(io_uring_cqe_get_data64(cqe)));
			io_uring_cqe_seen(&w->loop.ring, cqe);
		}
		record_tick(w, amphi_mono_ns());
	}
}

int record_recover_spool(const char *spool)
{
	DIR *d = opendir(spool);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX], ready[PATH_MAX + 8], err[256];
		struct journal_header h;
		struct journal_reader *rd;
		struct journal_record rec;
		struct journal_stats st;
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".amj") || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", spool, e->d_name);
		snprintf(ready, sizeof ready, "%s/ready/%s", spool, e->d_name);
		if (journal_open(path, &h, &rd, err, sizeof err) < 0) {
			log_msg(LOG_ERROR, "leftover journal unreadable, left in place", "path=%s reason=\"%s\"",
			        path, err);
			continue;
		}
		while (journal_next(rd, &rec) == 1)
			;
		journal_reader_stats(rd, &st);
		journal_close(rd);
		if (st.torn && truncate(path, (off_t)st.valid_end) < 0) {
			log_msg(LOG_ERROR, "cannot cut the torn tail", "path=%s err=%s", path, strerror(errno));
			continue;
		}
		if (rename(path, ready) < 0) {
			log_msg(LOG_ERROR, "cannot move a leftover journal", "path=%s err=%s", path, strerror(errno));
			continue;
		}
		log_msg(LOG_INFO, "leftover journal recovered", "recording=%s records=%llu torn=%d cut_at=%llu",
		        h.recording, (unsigned long long)st.records, st.torn, (unsigned long long)st.valid_end);
		n++;
	}
	closedir(d);
	return n;
}
