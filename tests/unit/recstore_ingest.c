/* rec_ingest_journal() on journals built here with known timing: track
 * alignment from sender reports and from arrival times, video from its first
 * keyframe, errors that leave nothing behind.  The output is read back with
 * libavformat's demuxer.  (Real encoders: tests/integration/rec_ingest.sh.) */
#include "tests/harness.h"
#include "common/journal.h"
#include "common/rtcp.h"
#include "recstore/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#define T0_NS 1795000000000000000LL   /* arrival clock origin */

static char dir[64], blobs[96], jpath[128];
static uint8_t jbuf[1 << 20];
static size_t jlen;

static void put_rec(uint8_t track, int64_t arrival, const uint8_t *pkt, size_t len)
{
	ssize_t n = journal_record_encode(jbuf + jlen, sizeof jbuf - jlen, track, (uint64_t)arrival, pkt, len);
	if (n < 0)
		HARNESS_FAIL("record encode %zd", n);
	else
		jlen += (size_t)n;
}

static void rtp_hdr(uint8_t *p, uint8_t pt, bool m, uint16_t seq, uint32_t ts)
{
	p[0] = 0x80;
	p[1] = (uint8_t)(pt | (m ? 0x80 : 0));
	p[2] = seq >> 8; p[3] = seq & 0xff;
	p[4] = ts >> 24; p[5] = ts >> 16; p[6] = ts >> 8; p[7] = ts & 0xff;
	p[8] = 0x11; p[9] = 0x22; p[10] = 0x33; p[11] = pt;
}

static void sr(uint8_t track, int64_t arrival, int64_t ntp_unix_ns, uint32_t rtp_ts)
{
	struct rtcp_sr r = { .rtp_ts = rtp_ts };
	uint8_t p[28];

	rtcp_ntp_from_unix_ns(ntp_unix_ns, &r.ntp_sec, &r.ntp_frac);
	put_rec(track | JOURNAL_TRACK_RTCP, arrival, p, (size_t)rtcp_sr_build(p, sizeof p, &r));
}

/* Two seconds of Opus (track 0, 20 ms packets from arrival 0) and VP8 (track
 * 1, 30 fps, first packet arriving video_late_ms later, keyframes every
 * key_every frames from first_key).  RTP timestamps start at arbitrary values
 * near a wrap.  with_sr: sender reports placing video video_sr_ms after audio. */
static void build(int video_late_ms, int first_key, bool with_sr, int video_sr_ms, const char *vcodec)
{
	struct journal_header h = { .recording = "rec-unit", .webinar = "web-u", .org = "org-u",
	                            .webinar_date = 1795000000, .start_ns = T0_NS, .ntracks = 2 };
	uint8_t p[64];
	const uint32_t a0 = 0xfffff000u, v0 = 0x7ffff000u;

	h.tracks[0] = (struct journal_track){ JOURNAL_AUDIO, 111, 2, 48000, 0, "opus" };
	h.tracks[1] = (struct journal_track){ JOURNAL_VIDEO, 96, 0, 90000, 0, "" };
	snprintf(h.tracks[1].codec, sizeof h.tracks[1].codec, "%s", vcodec);
	jlen = (size_t)journal_header_encode(jbuf, sizeof jbuf, &h);
	if (with_sr) {
		sr(0, T0_NS, 1700000000000000000LL, a0);
		sr(1, T0_NS, 1700000000000000000LL + video_sr_ms * 1000000LL, v0);
	}
	for (int i = 0, j = 0; i < 100 || j < 60;) {
		int64_t ta = T0_NS + i * 20000000LL;
		int64_t tv = T0_NS + video_late_ms * 1000000LL + j * 33333333LL;
		if (i < 100 && (j >= 60 || ta <= tv)) {
			rtp_hdr(p, 111, false, (uint16_t)(65500 + i), a0 + 960u * (unsigned)i);
			p[12] = 0xf8;   /* TOC: CELT fullband 20 ms, one frame */
			memset(p + 13, 0x5a, 20);
			put_rec(0, ta, p, 33);
			i++;
		} else {
			bool key = j >= first_key && (j - first_key) % 30 == 0;
			rtp_hdr(p, 96, true, (uint16_t)(7 + j), v0 + 3000u * (unsigned)j);
			p[12] = 0x10;   /* VP8 descriptor: S=1, PID 0 */
			/* Frame tag (P bit), start code, 320x240. */
			static const uint8_t kf[] = { 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00 };
			memcpy(p + 13, kf, sizeof kf);
			if (!key)
				p[13] |= 1;
			memset(p + 23, j, 10);
			put_rec(1, tv, p, 33);
			j++;
		}
	}
	FILE *f = fopen(jpath, "wb");
	fwrite(jbuf, 1, jlen, f);
	fclose(f);
}

struct probe {
	int nstreams;
	char codec[2][16];
	int64_t first_ms[2];   /* first packet pts per stream, ms */
	int first_key[2];
	int packets[2];
	int64_t duration_ms;
	AVRational video_rate;  /* avg_frame_rate of stream 0 (Matroska DefaultDuration) */
};

static int probe(const char *path, struct probe *pr)
{
	AVFormatContext *fc = NULL;
	AVPacket *pkt = av_packet_alloc();

	memset(pr, 0, sizeof *pr);
	if (avformat_open_input(&fc, path, NULL, NULL) < 0)
		return -1;
	pr->nstreams = (int)fc->nb_streams;
	if (fc->nb_streams)
		pr->video_rate = fc->streams[0]->avg_frame_rate;
	for (unsigned i = 0; i < fc->nb_streams && i < 2; i++)
		snprintf(pr->codec[i], sizeof pr->codec[i], "%s",
		         avcodec_get_name(fc->streams[i]->codecpar->codec_id));
	while (av_read_frame(fc, pkt) >= 0) {
		int s = pkt->stream_index;
		if (s < 2) {
			int64_t ms = av_rescale_q(pkt->pts, fc->streams[s]->time_base, (AVRational){ 1, 1000 });
			if (pr->packets[s]++ == 0) {
				pr->first_ms[s] = ms;
				pr->first_key[s] = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
			}
		}
		av_packet_unref(pkt);
	}
	pr->duration_ms = fc->duration / 1000;
	av_packet_free(&pkt);
	avformat_close_input(&fc);
	return 0;
}

static int count_files(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	while (dp && (e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (dp)
		closedir(dp);
	return n;
}

TEST(arrival_times_align_without_sender_reports)
{
	struct rec_media m;
	struct probe pr;
	char err[256] = "";

	build(500, 0, false, 0, "VP8");
	CHECK_INT(rec_ingest_journal(jpath, blobs, &m, err, sizeof err), ==, 0);
	CHECK_STR(err, "");
	CHECK_STR(m.codecs, "vp8+opus");
	CHECK_STR(m.ext, "webm");
	CHECK_STR(m.id, "rec-unit");
	CHECK_STR(m.webinar, "web-u");
	CHECK_STR(m.org, "org-u");
	CHECK_INT(m.webinar_date, ==, 1795000000);
	CHECK_INT(m.start, ==, T0_NS / 1000000000);
	CHECK_INT(m.records, ==, 160);
	CHECK_INT(m.packets_dropped, ==, 0);
	CHECK_INT(strlen(m.sha256), ==, 64);
	CHECK_INT(probe(m.path, &pr), ==, 0);
	CHECK_INT(pr.nstreams, ==, 2);
	CHECK_STR(pr.codec[0], "vp8");
	CHECK_STR(pr.codec[1], "opus");
	CHECK_INT(pr.packets[0], ==, 60);
	CHECK_INT(pr.packets[1], ==, 100);
	CHECK_INT(pr.first_ms[1], ==, 0);                   /* audio first */
	CHECK_INT(pr.first_ms[0], >=, 499);                 /* video 500 ms later */
	CHECK_INT(pr.first_ms[0], <=, 501);
	CHECK(pr.first_key[0]);
	CHECK_INT(pr.video_rate.num, ==, 30);               /* from 3000-tick intervals */
	CHECK_INT(pr.video_rate.den, ==, 1);
	CHECK_INT(m.duration_ms, >=, 2499);                 /* 500 ms + 60 frames */
	CHECK_INT(m.duration_ms, <=, 2520);
	struct stat sb;
	CHECK_INT(stat(m.path, &sb), ==, 0);
	CHECK_INT(sb.st_size, ==, m.size);
	CHECK_INT(count_files(blobs), ==, 1);               /* no temp file left */
	unlink(m.path);
}

TEST(sender_reports_override_arrival_offsets)
{
	struct rec_media m;
	struct probe pr;
	char err[256] = "";

	/* Arrivals say video is 500 ms late; the sender says its first video
	 * frame was captured 200 ms after its first audio sample. */
	build(500, 0, true, 200, "VP8");
	CHECK_INT(rec_ingest_journal(jpath, blobs, &m, err, sizeof err), ==, 0);
	CHECK_INT(probe(m.path, &pr), ==, 0);
	CHECK_INT(pr.first_ms[1], ==, 0);
	CHECK_INT(pr.first_ms[0], >=, 199);
	CHECK_INT(pr.first_ms[0], <=, 201);
	unlink(m.path);
}

TEST(video_starts_at_first_keyframe)
{
	struct rec_media m;
	struct probe pr;
	char err[256] = "";

	build(0, 10, false, 0, "VP8");
	CHECK_INT(rec_ingest_journal(jpath, blobs, &m, err, sizeof err), ==, 0);
	CHECK_INT(probe(m.path, &pr), ==, 0);
	CHECK_INT(pr.packets[0], ==, 50);
	CHECK(pr.first_key[0]);
	CHECK_INT(pr.first_ms[0], >=, 332);                 /* frame 10 at 333 ms */
	CHECK_INT(pr.first_ms[0], <=, 334);
	CHECK_INT(m.packets_dropped, ==, 10);
	unlink(m.path);
}

TEST(errors_leave_nothing_behind)
{
	struct rec_media m;
	char err[256] = "";
	struct rlimit old, small = { 4096, 0 };

	build(0, 0, false, 0, "AV1");
	CHECK_INT(rec_ingest_journal(jpath, blobs, &m, err, sizeof err), ==, -ENOTSUP);
	CHECK(strstr(err, "AV1") != NULL);
	CHECK_INT(count_files(blobs), ==, 0);

	/* A file-size limit makes the mux's writes fail like a full disk. */
	build(0, 0, false, 0, "VP8");
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	int rc = rec_ingest_journal(jpath, blobs, &m, err, sizeof err);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_INT(rc, ==, -EFBIG);
	CHECK(strstr(err, "File too large") != NULL);
	CHECK_INT(count_files(blobs), ==, 0);
	CHECK_STR(m.path, "");

	/* The journal was only read: still there, still ingestible. */
	struct stat sb;
	CHECK_INT(stat(jpath, &sb), ==, 0);
	CHECK_INT(sb.st_size, ==, jlen);
	CHECK_INT(rec_ingest_journal(jpath, "/nonexistent-dir", &m, err, sizeof err), ==, -ENOENT);
	CHECK(strstr(err, "/nonexistent-dir") != NULL);
	CHECK_INT(rec_ingest_journal("/nonexistent.amj", blobs, &m, err, sizeof err), ==, -ENOENT);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/amphi-ingest-XXXXXX");
	if (!mkdtemp(dir))
		SKIP("cannot create a temporary folder");
	snprintf(blobs, sizeof blobs, "%s/blobs", dir);
	snprintf(jpath, sizeof jpath, "%s/j.amj", dir);
	mkdir(blobs, 0755);
	av_log_set_level(AV_LOG_ERROR);
	RUN(arrival_times_align_without_sender_reports);
	RUN(sender_reports_override_arrival_offsets);
	RUN(video_starts_at_first_keyframe);
	RUN(errors_leave_nothing_behind);
	unlink(jpath);
	rmdir(blobs);
	rmdir(dir);
	return harness_done();
}
