/* rectool: the recording tests' helper (tests/integration/rec_ingest.sh).
 *
 *   rectool capture --out FILE --recording ID --webinar ID --org ID
 *                   [--date UNIX] [--idle SECONDS]
 *                   --track KIND:CODEC:PT:CLOCK:PORT ...
 *       Receives plain RTP on 127.0.0.1:PORT and RTCP on PORT+1 for each track
 *       (what `ffmpeg -f rtp` sends) and writes every packet to a journal with
 *       common/journal, as the relay's recording sink does.  Prints "ready"
 *       once bound; stops after --idle seconds without packets (default 2)
 *       once the first arrived, or on SIGTERM/SIGINT.
 *   rectool ingest JOURNAL BLOB_DIR
 *       Runs rec_ingest_journal() and prints the struct rec_media as
 *       key=value lines; on failure prints "error=<reason>" and exits 1.
 *   rectool loop IN OUT N
 *       Writes a journal N times as long as IN: its records repeated with
 *       RTP sequence numbers, timestamps and arrival times shifted so the
 *       result reads as one continuous publish (for ingest benchmarks).
 *       Each repeat restarts the media, so it needs IN to begin with a
 *       keyframe, as a fresh publish does. */
#include "common/bytes.h"
#include "common/clock.h"
#include "common/journal.h"
#include "recstore/ingest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: rectool capture --out FILE --recording ID --webinar ID --org ID "
	                "[--date UNIX] [--idle S] --track KIND:CODEC:PT:CLOCK:PORT ...\n"
	                "       rectool ingest JOURNAL BLOB_DIR\n"
	                "       rectool loop IN OUT N\n");
	return 2;
}

static int bind_udp(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rcvbuf = 4 << 20;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int capture(int argc, char **argv)
{
	struct journal_header h = { .webinar_date = amphi_now() };
	unsigned ports[JOURNAL_MAX_TRACKS];
	struct pollfd pfd[2 * JOURNAL_MAX_TRACKS];
	const char *out = NULL;
	double idle = 2;
	static uint8_t pkt[65536], rec[65536 + JOURNAL_RECORD_OVERHEAD], hdr[JOURNAL_HEADER_MAX];

	for (int i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		if (!strcmp(argv[i], "--out"))
			out = v;
		else if (!strcmp(argv[i], "--recording"))
			snprintf(h.recording, sizeof h.recording, "%s", v);
		else if (!strcmp(argv[i], "--webinar"))
			snprintf(h.webinar, sizeof h.webinar, "%s", v);
		else if (!strcmp(argv[i], "--org"))
			snprintf(h.org, sizeof h.org, "%s", v);
		else if (!strcmp(argv[i], "--date"))
			h.webinar_date = strtoll(v, NULL, 10);
		else if (!strcmp(argv[i], "--idle"))
			idle = atof(v);
		else if (!strcmp(argv[i], "--track") && h.ntracks < JOURNAL_MAX_TRACKS) {
			struct journal_track *t = &h.tracks[h.ntracks];
			char kind[16], codec[JOURNAL_CODEC_MAX];
			unsigned pt, clock, port;
			if (sscanf(v, "%15[^:]:%15[^:]:%u:%u:%u", kind, codec, &pt, &clock, &port) != 5)
				return usage();
			t->kind = !strcmp(kind, "video") ? JOURNAL_VIDEO : JOURNAL_AUDIO;
			t->payload_type = (uint8_t)pt;
			t->clock_rate = clock;
			t->channels = t->kind == JOURNAL_AUDIO ? 2 : 0;
			snprintf(t->codec, sizeof t->codec, "%s", codec);
			ports[h.ntracks++] = port;
		} else
			return usage();
		i++;
	}
	if (!out || !h.ntracks)
		return usage();
	h.start_ns = amphi_now_ns();
	ssize_t hn = journal_header_encode(hdr, sizeof hdr, &h);
	if (hn < 0) {
		fprintf(stderr, "rectool: bad header fields: %s\n", strerror((int)-hn));
		return 1;
	}
	for (unsigned i = 0; i < 2 * h.ntracks; i++) {
		pfd[i].fd = bind_udp(ports[i / 2] + i % 2);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0) {
			fprintf(stderr, "rectool: cannot bind port %u: %s\n", ports[i / 2] + i % 2,
			        strerror(errno));
			return 1;
		}
	}
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, hdr, (size_t)hn) < 0) {
		fprintf(stderr, "rectool: %s: %s\n", out, strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);

	uint64_t packets = 0;
	int64_t last = 0;
	while (!stop) {
		int n = poll(pfd, 2 * h.ntracks, 100);
		if (n < 0 && errno != EINTR)
			break;
		if (packets && amphi_mono_ns() - last > (int64_t)(idle * 1e9))
			break;
		for (unsigned i = 0; n > 0 && i < 2 * h.ntracks; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			ssize_t len = recv(pfd[i].fd, pkt, sizeof pkt, MSG_DONTWAIT);
			if (len < 0)
				continue;
			uint8_t track = (uint8_t)(i / 2) | (i % 2 ? JOURNAL_TRACK_RTCP : 0);
			ssize_t rn = journal_record_encode(rec, sizeof rec, track, (uint64_t)amphi_now_ns(),
			                                   pkt, (size_t)len);
			if (rn < 0)
				continue;   /* not RTP/RTCP: the relay would not journal it either */
			if (write_all(fd, rec, (size_t)rn) < 0) {
				fprintf(stderr, "rectool: write %s: %s\n", out, strerror(errno));
				return 1;
			}
			packets++;
			last = amphi_mono_ns();
		}
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fprintf(stderr, "rectool: %s: %s\n", out, strerror(errno));
		return 1;
	}
	fprintf(stderr, "rectool: %" PRIu64 " packets\n", packets);
	return 0;
}

static int ingest(int argc, char **argv)
{
	struct rec_media m;
	char err[512];

	if (argc != 4)
		return usage();
	int rc = rec_ingest_journal(argv[2], argv[3], &m, err, sizeof err);
	if (rc < 0) {
		printf("error=%s\ncode=%d\n", err, -rc);
		return 1;
	}
	printf("id=%s\nwebinar=%s\norg=%s\nwebinar_date=%" PRId64 "\nstart=%" PRId64 "\nend=%" PRId64
	       "\nduration_ms=%" PRId64 "\nsize=%" PRIu64 "\ncodecs=%s\next=%s\nsha256=%s\npath=%s\n"
	       "records=%" PRIu64 "\ncrc_errors=%" PRIu64 "\ntorn=%d\npackets_dropped=%" PRIu64 "\n",
	       m.id, m.webinar, m.org, m.webinar_date, m.start, m.end, m.duration_ms, m.size,
	       m.codecs, m.ext, m.sha256, m.path, m.records, m.crc_errors, m.torn, m.packets_dropped);
	return 0;
}

static void put_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put_be32(uint8_t *p, uint32_t v) { put_be16(p, v >> 16); put_be16(p + 2, v & 0xffff); }

static int loop(int argc, char **argv)
{
	struct journal_header h;
	struct journal_reader *rd;
	struct journal_record r;
	static uint8_t hdr[JOURNAL_HEADER_MAX], pkt[65536], rec[65536 + JOURNAL_RECORD_OVERHEAD];
	char err[256];
	/* Per track: first and last sequence number of one pass. */
	uint32_t seq0[JOURNAL_MAX_TRACKS], seq1[JOURNAL_MAX_TRACKS];
	bool seen[JOURNAL_MAX_TRACKS] = { false };
	uint64_t ns0 = 0, ns1 = 0;

	if (argc != 5)
		return usage();
	int n = atoi(argv[4]);
	if (journal_open(argv[2], &h, &rd, err, sizeof err) < 0) {
		fprintf(stderr, "rectool: %s\n", err);
		return 1;
	}
	while (journal_next(rd, &r) == 1) {
		if (!ns0)
			ns0 = r.arrival_ns;
		ns1 = r.arrival_ns;
		if (r.rtcp || r.len < 12)
			continue;
		if (!seen[r.track]) {
			seq0[r.track] = rd16(r.data + 2);
			seen[r.track] = true;
		}
		seq1[r.track] = rd16(r.data + 2);
	}
	journal_close(rd);
	uint64_t span_ns = ns1 - ns0 + 20000000;   /* plus one audio packet time */
	int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t hn = journal_header_encode(hdr, sizeof hdr, &h);
	if (fd < 0 || hn < 0 || write_all(fd, hdr, (size_t)hn) < 0) {
		fprintf(stderr, "rectool: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	for (int k = 0; k < n; k++) {
		if (journal_open(argv[2], &h, &rd, err, sizeof err) < 0)
			return 1;
		while (journal_next(rd, &r) == 1) {
			if (r.rtcp)
				continue;   /* one pass's sender reports would lie about later ones */
			memcpy(pkt, r.data, r.len);
			if (r.len >= 12 && seen[r.track]) {
				unsigned t = r.track;
				uint32_t span_ts = (uint32_t)(span_ns * h.tracks[t].clock_rate / 1000000000);
				put_be16(pkt + 2, (uint16_t)(rd16(pkt + 2) + (uint32_t)k * (seq1[t] - seq0[t] + 1)));
				put_be32(pkt + 4, rd32(pkt + 4) + (uint32_t)k * span_ts);
			}
			ssize_t rn = journal_record_encode(rec, sizeof rec, r.track, r.arrival_ns + (uint64_t)k * span_ns,
			                                   pkt, r.len);
			if (rn < 0 || write_all(fd, rec, (size_t)rn) < 0) {
				fprintf(stderr, "rectool: %s: write failed\n", argv[3]);
				return 1;
			}
		}
		journal_close(rd);
	}
	return close(fd) < 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "capture"))
		return capture(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "ingest"))
		return ingest(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "loop"))
		return loop(argc, argv);
	return usage();
}
