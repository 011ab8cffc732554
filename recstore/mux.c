/* mux: libavformat Matroska/WebM writer over our own file, see mux.h. */
#include "recstore/mux.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>

#define MUX_IO_BUF (256 * 1024)   /* large writes: fewer syscalls, less fragmentation */

static const AVRational ns_tb = { 1, 1000000000 };

struct rec_mux {
	AVFormatContext *fmt;
	AVIOContext *io;
	int fd;
	char *path;
	int64_t pos;              /* current file offset of the AVIOContext */
	int64_t size;             /* highest offset written */
	int io_errno;             /* first write/seek errno, reported over libav's code */
	unsigned n;
	int64_t last_dts[REC_MUX_MAX_STREAMS];   /* per stream, in its time base */
};

static int io_write(void *opaque, uint8_t *buf, int size)
{
	struct rec_mux *m = opaque;
	int done = 0;

	while (done < size) {
		ssize_t w = pwrite(m->fd, buf + done, (size_t)(size - done), m->pos);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!m->io_errno)
				m->io_errno = w < 0 ? errno : ENOSPC;
			return AVERROR(m->io_errno);
		}
		done += (int)w;
		m->pos += w;
	}
	if (m->pos > m->size)
		m->size = m->pos;
	return size;
}

static int64_t io_seek(void *opaque, int64_t offset, int whence)
{
	struct rec_mux *m = opaque;

	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE: return m->size;
	case SEEK_SET: break;
	case SEEK_CUR: offset += m->pos; break;
	case SEEK_END: offset += m->size; break;
	default: return AVERROR(EINVAL);
	}
	if (offset < 0)
		return AVERROR(EINVAL);
	m->pos = offset;
	return offset;
}

/* The error to report: the file's own errno when there was one (a full disk
 * shows up as ENOSPC whatever libav made of it). */
static int mux_errno(const struct rec_mux *m, int averr)
{
	if (m->io_errno)
		return -m->io_errno;
	return averr < 0 && averr > -4096 ? averr : -EIO;
}

static void mux_free(struct rec_mux *m, bool remove)
{
	if (m->fmt)
		avformat_free_context(m->fmt);
	if (m->io) {
		av_freep(&m->io->buffer);
		avio_context_free(&m->io);
	}
	if (m->fd >= 0)
		close(m->fd);
	if (remove && m->path)
		unlink(m->path);
	free(m->path);
	free(m);
}

/* RFC 7845 §5.1 identification header, the CodecPrivate Matroska wants for
 * Opus.  RTP does not carry the encoder's pre-skip: 0 keeps every sample. */
static int opus_head(AVCodecParameters *par, unsigned channels)
{
	uint8_t *h = av_mallocz(19 + AV_INPUT_BUFFER_PADDING_SIZE);

	if (!h)
		return -ENOMEM;
	memcpy(h, "OpusHead", 8);
	h[8] = 1;                              /* version */
	h[9] = (uint8_t)channels;
	/* h[10..11] pre-skip 0 */
	h[12] = 48000 & 0xff;                  /* input sample rate, LE */
	h[13] = (48000 >> 8) & 0xff;
	h[14] = (48000 >> 16) & 0xff;
	/* h[16..17] gain 0, h[18] mapping family 0 (mono/stereo) */
	par->extradata = h;
	par->extradata_size = 19;
	return 0;
}

int rec_mux_open(struct rec_mux **out, const char *path, const char *format,
                 const struct rec_mux_stream *streams, unsigned n, char *err, size_t errlen)
{
	struct rec_mux *m;
	uint8_t *buf = NULL;
	char averr[128];
	int rc;

	*out = NULL;
	if (n == 0 || n > REC_MUX_MAX_STREAMS)
		return err_set(err, errlen, -EINVAL, "mux: %u streams (1..%d)", n, REC_MUX_MAX_STREAMS);
	m = calloc(1, sizeof *m);
	if (!m)
		return err_set(err, errlen, -ENOMEM, "mux: out of memory");
	m->fd = -1;
	m->n = n;
	m->path = strdup(path);
	if (!m->path) {
		rc = err_set(err, errlen, -ENOMEM, "mux: out of memory");
		goto out_free;
	}
	m->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (m->fd < 0) {
		rc = err_set(err, errlen, -errno, "mux: cannot create %s: %s", path, strerror(errno));
		free(m->path);
		m->path = NULL;   /* not ours: do not remove */
		goto out_free;
	}
	rc = avformat_alloc_output_context2(&m->fmt, NULL, format, NULL);
	if (rc < 0) {
		rc = err_set(err, errlen, -ENOTSUP, "mux: no libavformat muxer %s", format);
		goto out_free;
	}
	buf = av_malloc(MUX_IO_BUF);
	m->io = buf ? avio_alloc_context(buf, MUX_IO_BUF, 1, m, NULL, io_write, io_seek) : NULL;
	if (!m->io) {
		av_free(buf);
		rc = err_set(err, errlen, -ENOMEM, "mux: out of memory");
		goto out_free;
	}
	m->fmt->pb = m->io;
	m->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;

	for (unsigned i = 0; i < n; i++) {
		const struct rec_mux_stream *s = &streams[i];
		AVStream *st = avformat_new_stream(m->fmt, NULL);
		if (!st) {
			rc = err_set(err, errlen, -ENOMEM, "mux: out of memory");
			goto out_free;
		}
		AVCodecParameters *par = st->codecpar;
		st->time_base = ns_tb;
		m->last_dts[i] = INT64_MIN;
		switch (s->codec) {
		case REC_CODEC_OPUS:
			par->codec_type = AVMEDIA_TYPE_AUDIO;
			par->codec_id = AV_CODEC_ID_OPUS;
			par->sample_rate = 48000;    /* RFC 7587 §4.1: always 48 kHz */
			av_channel_layout_default(&par->ch_layout, s->channels ? (int)s->channels : 2);
			if (opus_head(par, s->channels ? s->channels : 2) < 0) {
				rc = err_set(err, errlen, -ENOMEM, "mux: out of memory");
				goto out_free;
			}
			break;
		case REC_CODEC_VP8:
		case REC_CODEC_VP9:
		case REC_CODEC_H264:
			par->codec_type = AVMEDIA_TYPE_VIDEO;
			par->codec_id = s->codec == REC_CODEC_VP8 ? AV_CODEC_ID_VP8 :
			                s->codec == REC_CODEC_VP9 ? AV_CODEC_ID_VP9 : AV_CODEC_ID_H264;
			par->width = (int)s->width;
			par->height = (int)s->height;
			/* Written as DefaultDuration: without it, readers guess
			 * the rate from the first frames, and a guess below the
			 * real rate makes ffmpeg's CLI map two frames onto one
			 * output tick ("non monotonically increasing dts"). */
			if (s->rate_num && s->rate_den)
				av_reduce(&st->avg_frame_rate.num, &st->avg_frame_rate.den,
				          s->rate_num, s->rate_den, 1000000);
			if (s->extradata_len) {
				par->extradata = av_mallocz(s->extradata_len + AV_INPUT_BUFFER_PADDING_SIZE);
				if (!par->extradata) {
					rc = err_set(err, errlen, -ENOMEM, "mux: out of memory");
					goto out_free;
				}
				memcpy(par->extradata, s->extradata, s->extradata_len);
				par->extradata_size = (int)s->extradata_len;
			}
			break;
		default:
			rc = err_set(err, errlen, -ENOTSUP, "mux: codec %d not supported", s->codec);
			goto out_free;
		}
	}
	rc = avformat_write_header(m->fmt, NULL);
	if (rc < 0) {
		rc = mux_errno(m, rc);
		av_strerror(rc, averr, sizeof averr);
		err_set(err, errlen, rc, "mux: cannot write %s header: %s", format,
		     m->io_errno ? strerror(m->io_errno) : averr);
		goto out_free;
	}
	*out = m;
	return 0;

out_free:
	mux_free(m, true);
	return rc;
}

int rec_mux_write(struct rec_mux *m, unsigned stream, int64_t pts_ns, int64_t duration_ns,
                  bool key, const uint8_t *data, size_t len)
{
	AVPacket *pkt;
	int rc;

	if (stream >= m->n || pts_ns < 0 || len == 0 || len > INT32_MAX)
		return -EINVAL;
	if (m->io_errno)
		return -m->io_errno;
	AVStream *st = m->fmt->streams[stream];
	int64_t ts = av_rescale_q(pts_ns, ns_tb, st->time_base);
	/* Two frames on one millisecond (Matroska's unit) would break the
	 * muxer's ordering: nudge the later one by one tick. */
	if (ts <= m->last_dts[stream])
		ts = m->last_dts[stream] + 1;
	m->last_dts[stream] = ts;

	pkt = av_packet_alloc();
	if (!pkt)
		return -ENOMEM;
	rc = av_new_packet(pkt, (int)len);
	if (rc < 0) {
		av_packet_free(&pkt);
		return -ENOMEM;
	}
	memcpy(pkt->data, data, len);
	pkt->stream_index = (int)stream;
	pkt->pts = pkt->dts = ts;
	pkt->duration = av_rescale_q(duration_ns, ns_tb, st->time_base);
	if (key)
		pkt->flags |= AV_PKT_FLAG_KEY;
	rc = av_interleaved_write_frame(m->fmt, pkt);
	av_packet_free(&pkt);
	return rc < 0 ? mux_errno(m, rc) : 0;
}

int rec_mux_finish(struct rec_mux *m, char *err, size_t errlen)
{
	char averr[128];
	int rc = av_write_trailer(m->fmt);

	if (rc >= 0) {
		avio_flush(m->io);
		rc = m->io->error;
	}
	if (rc < 0 || m->io_errno) {
		rc = mux_errno(m, rc);
		av_strerror(rc, averr, sizeof averr);
		err_set(err, errlen, rc, "mux: cannot finish %s: %s", m->path,
		     m->io_errno ? strerror(m->io_errno) : averr);
		mux_free(m, true);
		return rc;
	}
	if (fsync(m->fd) < 0) {
		rc = -errno;
		err_set(err, errlen, rc, "mux: fsync %s: %s", m->path, strerror(errno));
		mux_free(m, true);
		return rc;
	}
	mux_free(m, false);
	return 0;
}

void rec_mux_abort(struct rec_mux *m)
{
	if (m)
		mux_free(m, true);
}
