/* relay plumbing: xcore rings across threads, strict base64, addresses and
 * option parsing (flags over file, clear errors). */
#include "tests/harness.h"
#include "relay/ctl.h"
#include "relay/opts.h"
#include "relay/addr.h"
#include "relay/relay.h"
#include "relay/stream.h"
#include "relay/xcore.h"
#include "common/addr.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#define ITEMS 2000000UL

static void *producer(void *arg)
{
	struct xcore_ring *r = arg;
	for (uintptr_t i = 1; i <= ITEMS; i++)
		while (!xcore_ring_push(r, (void *)i))
			;
	return NULL;
}

TEST(ring_keeps_order_across_threads)
{
	struct xcore_ring r;
	pthread_t t;
	uintptr_t expect = 1, bad = 0;
	CHECK_INT(xcore_ring_init(&r, 64), ==, 0);
	pthread_create(&t, NULL, producer, &r);
	while (expect <= ITEMS) {
		void *p = xcore_ring_pop(&r);
		if (!p)
			continue;
		if ((uintptr_t)p != expect)
			bad++;
		expect++;
	}
	pthread_join(t, NULL);
	CHECK_INT(bad, ==, 0);
	CHECK(xcore_ring_pop(&r) == NULL);
	xcore_ring_free(&r);
}

TEST(ring_full_and_empty)
{
	struct xcore_ring r;
	CHECK_INT(xcore_ring_init(&r, 4), ==, 0);
	CHECK(xcore_ring_pop(&r) == NULL);
	for (uintptr_t i = 1; i <= 4; i++)
		CHECK(xcore_ring_push(&r, (void *)i));
	CHECK(!xcore_ring_push(&r, (void *)5));
	CHECK((uintptr_t)xcore_ring_pop(&r) == 1);
	CHECK(xcore_ring_push(&r, (void *)5));
	for (uintptr_t i = 2; i <= 5; i++)
		CHECK((uintptr_t)xcore_ring_pop(&r) == i);
	xcore_ring_free(&r);
}

TEST(base64_strict)
{
	uint8_t out[32];
	CHECK_INT(relay_base64_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", out, sizeof out), ==, 30);
	CHECK_INT(out[0], ==, 0);
	CHECK_INT(out[29], ==, 29);
	CHECK_INT(relay_base64_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", out, sizeof out), ==, 28);
	CHECK_INT(out[27], ==, 27);
	CHECK_INT(relay_base64_decode("Zm9vYg==", out, sizeof out), ==, 4);
	CHECK_INT(relay_base64_decode("Zm9vYg=", out, sizeof out), ==, -EINVAL);    /* length */
	CHECK_INT(relay_base64_decode("Zm9v!g==", out, sizeof out), ==, -EINVAL);   /* alphabet */
	CHECK_INT(relay_base64_decode("Zm=vYg==", out, sizeof out), ==, -EINVAL);   /* inner pad */
	CHECK_INT(relay_base64_decode("Zg==Zg==", out, sizeof out), ==, -EINVAL);   /* pad mid-way */
	CHECK_INT(relay_base64_decode("AAAAAAAA", out, 5), ==, -EINVAL);           /* too long */
	CHECK_INT(relay_base64_decode("", out, sizeof out), ==, 0);
}

TEST(addresses)
{
	struct sockaddr_in6 a, b;
	socklen_t la, lb;
	char buf[64];
	CHECK_INT(addr_parse("127.0.0.1:5000", 0, &a, &la), ==, 0);
	CHECK_INT(la, ==, sizeof(struct sockaddr_in));
	CHECK_STR(relay_addr_format((struct sockaddr *)&a, buf, sizeof buf), "127.0.0.1:5000");
	CHECK_INT(addr_parse("[::1]:6000", 0, &b, &lb), ==, 0);
	CHECK_INT(lb, ==, sizeof(struct sockaddr_in6));
	CHECK_STR(relay_addr_format((struct sockaddr *)&b, buf, sizeof buf), "[::1]:6000");
	CHECK(!relay_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	CHECK_INT(addr_parse("127.0.0.1:5000", 0, &b, &lb), ==, 0);
	CHECK(relay_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	CHECK_INT(addr_parse("127.0.0.1:5001", 0, &b, &lb), ==, 0);
	CHECK(!relay_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
}

TEST(options_flags_over_file)
{
	char path[] = "/tmp/relay-opts-XXXXXX", err[256];
	const char *text = "[relay]\nworkers = 3\nport_base = 41000\n[rtcp]\npli_interval_ms = 250\n";
	struct relay_opts o;
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	{
		char *argv[] = { "amphi-relay", "--config", path, "--workers", "2", "--bind", "::1", NULL };
		CHECK_INT(relay_opts_parse(&o, 7, argv, err, sizeof err), ==, 0);
		CHECK_INT(o.workers, ==, 2);
		CHECK_INT(o.port_base, ==, 41000);
		CHECK_STR(o.bind, "::1");
		CHECK_STR(o.advertise, "::1");
		CHECK_INT(o.pli_interval_ns, ==, 250000000);
		CHECK_INT(o.send_slots, ==, 8192);
	}
	{
		char *argv[] = { "amphi-relay", "--config", path, "--workers", "many", NULL };
		CHECK_INT(relay_opts_parse(&o, 5, argv, err, sizeof err), ==, -EINVAL);
		CHECK(strstr(err, "command line") != NULL);
		CHECK(strstr(err, "workers") != NULL);
	}
	{
		char *argv[] = { "amphi-relay", "--port-base", "65535", "--workers", "2", NULL };
		CHECK_INT(relay_opts_parse(&o, 5, argv, err, sizeof err), ==, -EINVAL);
		CHECK(strstr(err, "65535") != NULL);
	}
	{
		char *argv[] = { "amphi-relay", "--frobnicate", NULL };
		CHECK_INT(relay_opts_parse(&o, 2, argv, err, sizeof err), ==, -EINVAL);
		CHECK(strstr(err, "frobnicate") != NULL);
	}
	unlink(path);
	{
		const char *bad = "[relay]\nworkerz = 3\n";
		strcpy(path, "/tmp/relay-opts-XXXXXX");
		fd = mkstemp(path);
		CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
		close(fd);
		char *argv[] = { "amphi-relay", "--config", path, NULL };
		CHECK_INT(relay_opts_parse(&o, 3, argv, err, sizeof err), ==, -EINVAL);
		CHECK(strstr(err, "workerz") != NULL);
		unlink(path);
	}
	{
		char *argv[] = { "amphi-relay", "--config", "/nonexistent/relay.conf", NULL };
		CHECK_INT(relay_opts_parse(&o, 3, argv, err, sizeof err), ==, -EINVAL);
	}
}

static void rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	memset(p, 0, 12);
	p[0] = 0x80;
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24); p[5] = (uint8_t)(ts >> 16); p[6] = (uint8_t)(ts >> 8); p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24); p[9] = (uint8_t)(ssrc >> 16); p[10] = (uint8_t)(ssrc >> 8); p[11] = (uint8_t)ssrc;
}
#define SEQ(p) ((uint16_t)((p)[2] << 8 | (p)[3]))
#define TS(p) ((uint32_t)(p)[4] << 24 | (uint32_t)(p)[5] << 16 | (uint32_t)(p)[6] << 8 | (p)[7])
#define SSRC(p) ((uint32_t)(p)[8] << 24 | (uint32_t)(p)[9] << 16 | (uint32_t)(p)[10] << 8 | (p)[11])

TEST(publisher_restart_keeps_viewers_continuous)
{
	struct stream s;
	uint8_t p[12];
	memset(&s, 0, sizeof s);
	s.ntracks = 1;
	s.tracks[0].clock_rate = 90000;
	rtp(p, 0xaaaa, 65534, 4294967000u);
	CHECK(!stream_map_packet(&s, 0, p, 1000000000));
	CHECK_INT(SEQ(p), ==, 65534);
	CHECK_INT(SSRC(p), ==, 0xaaaa);
	rtp(p, 0xaaaa, 65535, 4294967000u + 3000);
	CHECK(!stream_map_packet(&s, 0, p, 1033000000));
	CHECK_INT(SEQ(p), ==, 65535);
	/* Late reordered packet: mapped, does not move the high-water mark. */
	rtp(p, 0xaaaa, 65533, 4294967000u - 3000);
	CHECK(!stream_map_packet(&s, 0, p, 1040000000));
	CHECK_INT(SEQ(p), ==, 65533);
	/* Restart 1 s later with a new SSRC and bases: seq wraps to 0, the
	 * timestamp moves on by about 1 s of 90 kHz, the SSRC stays. */
	rtp(p, 0xbbbb, 100, 5);
	CHECK(stream_map_packet(&s, 0, p, 2033000000));
	CHECK_INT(SEQ(p), ==, 0);
	CHECK_INT(SSRC(p), ==, 0xaaaa);
	CHECK_INT((uint32_t)(TS(p) - (4294967000u + 3000)), ==, 90001);
	rtp(p, 0xbbbb, 101, 3005);
	CHECK(!stream_map_packet(&s, 0, p, 2066000000));
	CHECK_INT(SEQ(p), ==, 1);
	CHECK_INT((uint32_t)(TS(p) - (4294967000u + 3000)), ==, 93001);
	CHECK_INT(stream_track_by_out_ssrc(&s, 0xaaaa), ==, 0);
	CHECK_INT(stream_track_by_out_ssrc(&s, 0xbbbb), ==, -1);
}

int main(void)
{
	RUN(ring_keeps_order_across_threads);
	RUN(ring_full_and_empty);
	RUN(base64_strict);
	RUN(addresses);
	RUN(options_flags_over_file);
	RUN(publisher_restart_keeps_viewers_continuous);
	return harness_done();
}
