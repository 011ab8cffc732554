/* Journal format: CRC32C vectors, header and record round trips, torn tails
 * cut at every byte, damaged records skipped with the rest kept. */
#include "tests/harness.h"
#include "common/crc32c.h"
#include "common/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static struct journal_header sample_header(void)
{
	struct journal_header h = {
		.recording = "rec-2026-0001", .webinar = "web42", .org = "org:acme",
		.webinar_date = 1795000000, .start_ns = 1795000123456789012LL, .ntracks = 2,
	};
	h.tracks[0] = (struct journal_track){ JOURNAL_AUDIO, 111, 2, 48000, 0x11223344, "opus" };
	h.tracks[1] = (struct journal_track){ JOURNAL_VIDEO, 96, 0, 90000, 0xdeadbeef, "VP8" };
	return h;
}

/* An RTP packet of len bytes whose sequence number is seq. */
static void make_rtp(uint8_t *p, size_t len, uint16_t seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seq);
	p[0] = 0x80;
	p[1] = 96;
	p[2] = seq >> 8;
	p[3] = seq & 0xff;
}

/* A journal: header + n records of varying length; returns its size. */
static size_t build(uint8_t *buf, size_t cap, unsigned n, size_t *offsets)
{
	struct journal_header h = sample_header();
	ssize_t w = journal_header_encode(buf, cap, &h);
	size_t o;
	uint8_t pkt[1400];

	if (w < 0)
		return 0;
	o = (size_t)w;
	for (unsigned i = 0; i < n; i++) {
		size_t len = 20 + (i * 97) % 1200;
		make_rtp(pkt, len, (uint16_t)i);
		if (offsets)
			offsets[i] = o;
		w = journal_record_encode(buf + o, cap - o, (uint8_t)(i % 2), 1000 + i, pkt, len);
		if (w < 0)
			return 0;
		o += (size_t)w;
	}
	return o;
}

/* Reads every record; returns how many, checks each is the one written. */
static unsigned read_all(const uint8_t *buf, size_t len, struct journal_stats *st, int *bad)
{
	struct journal_header h;
	struct journal_reader *rd;
	struct journal_record r;
	unsigned n = 0;
	uint8_t pkt[1400];
	char err[128];

	*bad = 0;
	if (journal_open_mem(buf, len, &h, &rd, err, sizeof err) != 0) {
		*bad = 1;
		return 0;
	}
	while (journal_next(rd, &r) == 1) {
		unsigned i = (unsigned)(r.arrival_ns - 1000);
		size_t want = 20 + (i * 97) % 1200;
		make_rtp(pkt, want, (uint16_t)i);
		if (r.len != want || memcmp(r.data, pkt, want) != 0 || r.track != i % 2 || r.rtcp)
			*bad = 1;
		n++;
	}
	journal_reader_stats(rd, st);
	journal_close(rd);
	return n;
}

TEST(crc32c_vectors)
{
	uint8_t zeros[32] = { 0 }, ones[32];
	memset(ones, 0xff, sizeof ones);
	CHECK_INT(crc32c_update(0, "123456789", 9), ==, 0xE3069283u);
	CHECK_INT(crc32c_update(0, zeros, 32), ==, 0x8A9136AAu);   /* RFC 3720 B.4 */
	CHECK_INT(crc32c_update(0, ones, 32), ==, 0x62A8AB43u);
	/* Incremental equals one shot, across the 8-byte stride. */
	CHECK_INT(crc32c_update(crc32c_update(0, "12345", 5), "6789", 4), ==, 0xE3069283u);
}

TEST(header_round_trip)
{
	uint8_t buf[JOURNAL_HEADER_MAX];
	struct journal_header h = sample_header(), g;
	struct journal_reader *rd;
	struct journal_record r;
	char err[128];
	ssize_t n = journal_header_encode(buf, sizeof buf, &h);

	CHECK_INT(n, >, 0);
	CHECK_MEM(buf, "AMPHIJNL", 8);
	CHECK_INT(journal_open_mem(buf, (size_t)n, &g, &rd, err, sizeof err), ==, 0);
	CHECK_STR(g.recording, "rec-2026-0001");
	CHECK_STR(g.webinar, "web42");
	CHECK_STR(g.org, "org:acme");
	CHECK_INT(g.webinar_date, ==, 1795000000);
	CHECK_INT(g.start_ns, ==, 1795000123456789012LL);
	CHECK_INT(g.ntracks, ==, 2);
	CHECK_INT(g.tracks[0].kind, ==, JOURNAL_AUDIO);
	CHECK_INT(g.tracks[0].payload_type, ==, 111);
	CHECK_INT(g.tracks[0].channels, ==, 2);
	CHECK_INT(g.tracks[0].clock_rate, ==, 48000);
	CHECK_INT(g.tracks[0].ssrc, ==, 0x11223344);
	CHECK_STR(g.tracks[0].codec, "opus");
	CHECK_INT(g.tracks[1].kind, ==, JOURNAL_VIDEO);
	CHECK_INT(g.tracks[1].clock_rate, ==, 90000);
	CHECK_INT(g.tracks[1].ssrc, ==, 0xdeadbeefu);
	CHECK_STR(g.tracks[1].codec, "VP8");
	CHECK_INT(journal_next(rd, &r), ==, 0);   /* no records: clean end */
	struct journal_stats st;
	journal_reader_stats(rd, &st);
	CHECK(!st.torn);
	CHECK_INT(st.valid_end, ==, n);
	journal_close(rd);
}

TEST(header_encode_rejects_bad_fields)
{
	uint8_t buf[JOURNAL_HEADER_MAX];
	struct journal_header h = sample_header();

	CHECK_INT(journal_header_encode(buf, 20, &h), ==, -ENOSPC);
	strcpy(h.webinar, "../etc");
	CHECK_INT(journal_header_encode(buf, sizeof buf, &h), ==, -EINVAL);
	h = sample_header();
	strcpy(h.org, "a/b");
	CHECK_INT(journal_header_encode(buf, sizeof buf, &h), ==, -EINVAL);
	h = sample_header();
	h.recording[0] = 0;
	CHECK_INT(journal_header_encode(buf, sizeof buf, &h), ==, -EINVAL);
	h = sample_header();
	h.ntracks = 0;
	CHECK_INT(journal_header_encode(buf, sizeof buf, &h), ==, -EINVAL);
	h = sample_header();
	h.tracks[1].clock_rate = 0;
	CHECK_INT(journal_header_encode(buf, sizeof buf, &h), ==, -EINVAL);
	h = sample_header();
	h.tracks[0].payload_type = 200;
	CHECK_INT(journal_header_encode(buf, sizeof buf, &h), ==, -EINVAL);
	h = sample_header();
	strcpy(h.tracks[0].codec, "op us");
	CHECK_INT(journal_header_encode(buf, sizeof buf, &h), ==, -EINVAL);
}

TEST(header_damage_is_refused_with_reason)
{
	uint8_t buf[JOURNAL_HEADER_MAX];
	struct journal_header h = sample_header(), g;
	struct journal_reader *rd;
	char err[128];
	ssize_t n = journal_header_encode(buf, sizeof buf, &h);

	buf[40] ^= 1;
	CHECK_INT(journal_open_mem(buf, (size_t)n, &g, &rd, err, sizeof err), ==, -EBADMSG);
	CHECK(strstr(err, "CRC") != NULL);
	CHECK(rd == NULL);
	buf[40] ^= 1;
	CHECK_INT(journal_open_mem(buf, (size_t)n - 1, &g, &rd, err, sizeof err), ==, -EBADMSG);
	CHECK(strstr(err, "cut short") != NULL);
	buf[8] = 2;   /* a future version */
	CHECK_INT(journal_open_mem(buf, (size_t)n, &g, &rd, err, sizeof err), ==, -EPROTONOSUPPORT);
	CHECK(strstr(err, "version 2") != NULL);
	buf[0] = 'X';
	CHECK_INT(journal_open_mem(buf, (size_t)n, &g, &rd, err, sizeof err), ==, -EBADMSG);
	CHECK(strstr(err, "magic") != NULL);
}

TEST(record_encode_layout_and_limits)
{
	uint8_t buf[128], pkt[20];
	make_rtp(pkt, sizeof pkt, 7);

	CHECK_INT(journal_record_encode(buf, sizeof buf, 1 | JOURNAL_TRACK_RTCP, 0x0102030405060708ULL,
	                                pkt, sizeof pkt), ==, 37);
	CHECK_MEM(buf, "\x14\x00\x00\x00\x08\x07\x06\x05\x04\x03\x02\x01\x81", 13);
	CHECK_MEM(buf + 13, pkt, sizeof pkt);
	uint32_t crc = crc32c_update(0, buf, 33);
	CHECK_INT(buf[33] | buf[34] << 8 | buf[35] << 16 | (uint32_t)buf[36] << 24, ==, crc);
	CHECK_INT(journal_record_encode(buf, 36, 0, 0, pkt, sizeof pkt), ==, -ENOSPC);
	CHECK_INT(journal_record_encode(buf, sizeof buf, 0, 0, pkt, 7), ==, -EINVAL);
	CHECK_INT(journal_record_encode(buf, sizeof buf, JOURNAL_MAX_TRACKS, 0, pkt, 20), ==, -EINVAL);
	pkt[0] = 0x40;   /* RTP version 1 */
	CHECK_INT(journal_record_encode(buf, sizeof buf, 0, 0, pkt, 20), ==, -EINVAL);
}

TEST(records_round_trip_with_rtcp_flag)
{
	static uint8_t buf[200000];
	struct journal_stats st;
	int bad;
	size_t n = build(buf, sizeof buf, 100, NULL);

	CHECK_INT(n, >, 0);
	CHECK_INT(read_all(buf, n, &st, &bad), ==, 100);
	CHECK(!bad);
	CHECK(!st.torn);
	CHECK_INT(st.crc_errors, ==, 0);
	CHECK_INT(st.valid_end, ==, n);

	/* An RTCP record comes back flagged, on its track. */
	struct journal_header h = sample_header(), g;
	struct journal_reader *rd;
	struct journal_record r;
	uint8_t sr[28] = { 0x80, 200, 0, 6 };
	size_t o = (size_t)journal_header_encode(buf, sizeof buf, &h);
	o += (size_t)journal_record_encode(buf + o, sizeof buf - o, 1 | JOURNAL_TRACK_RTCP, 5, sr, 28);
	CHECK_INT(journal_open_mem(buf, o, &g, &rd, NULL, 0), ==, 0);
	CHECK_INT(journal_next(rd, &r), ==, 1);
	CHECK(r.rtcp);
	CHECK_INT(r.track, ==, 1);
	CHECK_INT(r.len, ==, 28);
	CHECK_INT(r.data[1], ==, 200);
	journal_close(rd);
}

TEST(torn_tail_cut_at_every_byte)
{
	static uint8_t buf[200000];
	size_t off[20];
	size_t n = build(buf, sizeof buf, 20, off);
	unsigned wrong = 0;

	/* Cut anywhere inside the last record: the 19 before it survive. */
	for (size_t cut = off[19] + 1; cut < n; cut++) {
		struct journal_stats st;
		int bad;
		unsigned got = read_all(buf, cut, &st, &bad);
		if (got != 19 || bad || !st.torn || st.valid_end != off[19] || st.crc_errors)
			wrong++;
	}
	CHECK_INT(wrong, ==, 0);
	/* Cut exactly at a record boundary: clean. */
	struct journal_stats st;
	int bad;
	CHECK_INT(read_all(buf, off[10], &st, &bad), ==, 10);
	CHECK(!st.torn && !bad);
}

TEST(preallocated_zero_tail_is_torn)
{
	static uint8_t buf[200000];
	size_t n = build(buf, sizeof buf, 5, NULL);
	struct journal_stats st;
	int bad;

	memset(buf + n, 0, 65536);
	CHECK_INT(read_all(buf, n + 65536, &st, &bad), ==, 5);
	CHECK(st.torn && !bad);
	CHECK_INT(st.valid_end, ==, n);
}

TEST(damaged_records_are_skipped_and_counted)
{
	static uint8_t buf[200000];
	size_t off[30];
	size_t n = build(buf, sizeof buf, 30, off);
	struct journal_stats st;
	int bad;

	buf[off[5] + 40] ^= 0x10;      /* payload bit flip */
	buf[off[12] + 1] = 0x7f;       /* length field destroyed */
	buf[off[20] + 6] ^= 0xff;      /* arrival time damaged */
	buf[off[21] + 13] = 0x00;      /* RTP version wrong, neighbour also lost */
	CHECK_INT(read_all(buf, n, &st, &bad), ==, 26);
	CHECK(!bad);
	CHECK(!st.torn);
	CHECK_INT(st.crc_errors, ==, 3);   /* 20 and 21 form one damaged region */
	CHECK_INT(st.skipped_bytes, ==, (off[6] - off[5]) + (off[13] - off[12]) + (off[22] - off[20]));
	CHECK_INT(st.valid_end, ==, n);
}

TEST(open_file_and_errors)
{
	static uint8_t buf[20000];
	char path[] = "/tmp/amphi-journal-XXXXXX";
	int fd = mkstemp(path);
	size_t n = build(buf, sizeof buf, 10, NULL);
	struct journal_header h;
	struct journal_reader *rd;
	struct journal_record r;
	char err[256];
	unsigned got = 0;

	CHECK(fd >= 0);
	CHECK_INT(journal_open(path, &h, &rd, err, sizeof err), ==, -EBADMSG);   /* empty */
	CHECK(strstr(err, "empty") != NULL);
	CHECK_INT(write(fd, buf, n), ==, n);
	close(fd);
	CHECK_INT(journal_open(path, &h, &rd, err, sizeof err), ==, 0);
	while (journal_next(rd, &r) == 1)
		got++;
	CHECK_INT(got, ==, 10);
	journal_close(rd);
	unlink(path);
	CHECK_INT(journal_open(path, &h, &rd, err, sizeof err), ==, -ENOENT);
	CHECK(strstr(err, path) != NULL);
	CHECK_INT(journal_open("/tmp", &h, &rd, err, sizeof err), ==, -EINVAL);
}

int main(void)
{
	RUN(crc32c_vectors);
	RUN(header_round_trip);
	RUN(header_encode_rejects_bad_fields);
	RUN(header_damage_is_refused_with_reason);
	RUN(record_encode_layout_and_limits);
	RUN(records_round_trip_with_rtcp_flag);
	RUN(torn_tail_cut_at_every_byte);
	RUN(preallocated_zero_tail_is_torn);
	RUN(damaged_records_are_skipped_and_counted);
	RUN(open_file_and_errors);
	return harness_done();
}
