/* The SSE event hub: ordering, resume with Last-Event-ID, ring overflow,
 * viewer counts, webinars kept apart, a blocked reader woken by a publisher
 * on another thread, and the end of a webinar ending its streams. */
#include "tests/harness.h"
#include "control/events.h"
#include "common/clock.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

static char buf[EVENTS_FRAME_MAX * 4];

static json_t *msg(const char *text)
{
	return json_pack("{s:s}", "text", text);
}

static void publish(struct event_hub *hub, int64_t w, const char *type, const char *text)
{
	json_t *d = msg(text);
	CHECK(event_hub_publish(hub, w, type, d) > 0);
	json_decref(d);
}

TEST(order_and_format)
{
	struct event_hub *hub = event_hub_create(8);
	int err;
	struct event_sub *s = event_hub_subscribe(hub, 1, 0, true, &err);
	json_t *d = msg("hello\nworld");
	ssize_t n;

	CHECK(s != NULL);
	CHECK_INT(event_hub_publish(hub, 1, "chat", d), ==, 1);
	json_decref(d);
	publish(hub, 1, "question", "why?");
	n = event_sub_read(s, buf, sizeof buf, 0);
	/* The first read also carries this stream's viewer count. */
	CHECK_STR(buf, "id: 1\nevent: chat\ndata: {\"text\":\"hello\\nworld\"}\n\n"
	               "id: 2\nevent: question\ndata: {\"text\":\"why?\"}\n\n"
	               "event: viewers\ndata: {\"viewers\":1}\n\n");
	CHECK_INT(n, ==, (ssize_t)strlen(buf));
	CHECK_INT(event_sub_read(s, buf, sizeof buf, 0), ==, 0);
	event_sub_close(s);
	event_hub_destroy(hub);
}

TEST(new_stream_sees_only_new_events)
{
	struct event_hub *hub = event_hub_create(8);
	int err;
	struct event_sub *s;

	publish(hub, 1, "chat", "before");
	s = event_hub_subscribe(hub, 1, 0, true, &err);
	publish(hub, 1, "chat", "after");
	CHECK(event_sub_read(s, buf, sizeof buf, 0) > 0);
	CHECK(strstr(buf, "after") != NULL);
	CHECK(strstr(buf, "before") == NULL);
	event_sub_close(s);
	event_hub_destroy(hub);
}

TEST(resume_with_last_event_id)
{
	struct event_hub *hub = event_hub_create(8);
	int err;
	struct event_sub *s;

	for (int i = 0; i < 5; i++)
		publish(hub, 7, "chat", "m");
	s = event_hub_subscribe(hub, 7, 3, true, &err);
	CHECK(event_sub_read(s, buf, sizeof buf, 0) > 0);
	CHECK(strstr(buf, "id: 3\n") == NULL);
	CHECK(strstr(buf, "id: 4\n") != NULL);
	CHECK(strstr(buf, "id: 5\n") != NULL);
	CHECK(strstr(buf, "reset") == NULL);
	event_sub_close(s);
	event_hub_destroy(hub);
}

TEST(fell_behind_gets_reset)
{
	struct event_hub *hub = event_hub_create(4);
	int err;
	struct event_sub *s = event_hub_subscribe(hub, 1, 0, true, &err);
	struct event_sub *stale;

	for (int i = 0; i < 10; i++)
		publish(hub, 1, "chat", "m");
	CHECK(event_sub_read(s, buf, sizeof buf, 0) > 0);
	/* Events 1..6 fell out of the 4-slot ring: reset, then 7..10. */
	CHECK(strncmp(buf, "id: 6\nevent: reset\ndata: {}\n\nid: 7\n", 35) == 0);
	CHECK(strstr(buf, "id: 10\n") != NULL);
	/* An id the channel never gave (the daemon restarted) also resets. */
	stale = event_hub_subscribe(hub, 1, 99, true, &err);
	CHECK(event_sub_read(stale, buf, sizeof buf, 0) > 0);
	CHECK(strstr(buf, "event: reset") != NULL);
	event_sub_close(stale);
	event_sub_close(s);
	event_hub_destroy(hub);
}

static int notified[3];
static void count_notify(void *arg)
{
	notified[(int *)arg - notified]++;
}

/* The hook behind non-blocking streams: called for its own webinar's
 * publishes and close, never for another's, never after the close. */
TEST(notify_hook)
{
	struct event_hub *hub = event_hub_create(8);
	int err;
	struct event_sub *a = event_hub_subscribe(hub, 1, 0, true, &err);
	struct event_sub *b = event_hub_subscribe(hub, 1, 0, false, &err);
	struct event_sub *c = event_hub_subscribe(hub, 2, 0, true, &err);

	event_sub_set_notify(a, count_notify, &notified[0]);
	event_sub_set_notify(b, count_notify, &notified[1]);
	event_sub_set_notify(c, count_notify, &notified[2]);
	publish(hub, 1, "chat", "one");
	publish(hub, 1, "chat", "two");
	CHECK_INT(notified[0], ==, 2);
	CHECK_INT(notified[1], ==, 2);
	CHECK_INT(notified[2], ==, 0);
	event_sub_close(b);
	publish(hub, 1, "chat", "three");
	CHECK_INT(notified[0], ==, 3);
	CHECK_INT(notified[1], ==, 2);   /* closed: never again */
	event_hub_close_webinar(hub, 1);
	CHECK_INT(notified[0], ==, 4);   /* the close wakes it to read -EPIPE */
	CHECK(event_sub_read(a, buf, sizeof buf, 0) > 0);
	CHECK_INT(event_sub_read(a, buf, sizeof buf, 0), ==, -EPIPE);
	event_sub_set_notify(c, NULL, NULL);
	publish(hub, 2, "chat", "unheard");
	CHECK_INT(notified[2], ==, 0);
	event_sub_close(a);
	event_sub_close(c);
	event_hub_destroy(hub);
}

TEST(webinars_apart)
{
	struct event_hub *hub = event_hub_create(8);
	int err;
	struct event_sub *a = event_hub_subscribe(hub, 1, 0, true, &err);
	struct event_sub *b = event_hub_subscribe(hub, 2, 0, true, &err);

	event_sub_read(a, buf, sizeof buf, 0);   /* drain the viewer counts */
	event_sub_read(b, buf, sizeof buf, 0);
	publish(hub, 1, "chat", "only for one");
	CHECK_INT(event_sub_read(b, buf, sizeof buf, 0), ==, 0);
	CHECK(event_sub_read(a, buf, sizeof buf, 0) > 0);
	CHECK(strstr(buf, "only for one") != NULL);
	event_sub_close(a);
	event_sub_close(b);
	event_hub_destroy(hub);
}

TEST(viewer_counts)
{
	struct event_hub *hub = event_hub_create(8);
	int err;
	struct event_sub *a = event_hub_subscribe(hub, 3, 0, true, &err), *b, *c;
	int64_t t0;

	CHECK(event_sub_read(a, buf, sizeof buf, 0) > 0);
	CHECK_STR(buf, "event: viewers\ndata: {\"viewers\":1}\n\n");
	b = event_hub_subscribe(hub, 3, 0, true, &err);
	c = event_hub_subscribe(hub, 3, 0, true, &err);
	CHECK_INT(event_hub_viewers(hub, 3), ==, 3);
	CHECK_INT(event_hub_viewers(hub, 4), ==, 0);
	/* Within a second of the last count, a waits for the second to end and
	 * then sends one frame for both newcomers. */
	t0 = amphi_mono_ns();
	CHECK(event_sub_read(a, buf, sizeof buf, 3000) > 0);
	CHECK_STR(buf, "event: viewers\ndata: {\"viewers\":3}\n\n");
	CHECK_INT(amphi_mono_ns() - t0, >, 500000000);
	CHECK_INT(amphi_mono_ns() - t0, <, 2000000000);
	event_sub_close(b);
	event_sub_close(c);
	CHECK_INT(event_hub_viewers(hub, 3), ==, 1);
	/* The organizer's own page follows events without being a viewer. */
	b = event_hub_subscribe(hub, 3, 0, false, &err);
	CHECK_INT(event_hub_viewers(hub, 3), ==, 1);
	event_sub_close(b);
	CHECK_INT(event_hub_viewers(hub, 3), ==, 1);
	event_sub_close(a);
	event_hub_destroy(hub);
}

struct late {
	struct event_hub *hub;
	int64_t webinar;
	int close;   /* close the webinar instead of publishing */
};

static void *late_publisher(void *arg)
{
	struct late *l = arg;
	json_t *d = json_pack("{s:s}", "text", "late");

	usleep(200 * 1000);
	if (l->close)
		event_hub_close_webinar(l->hub, l->webinar);
	else
		event_hub_publish(l->hub, l->webinar, "chat", d);
	json_decref(d);
	return NULL;
}

TEST(reader_woken_by_publisher)
{
	struct event_hub *hub = event_hub_create(8);
	struct late l = { hub, 5, 0 };
	int err;
	struct event_sub *s = event_hub_subscribe(hub, 5, 0, true, &err);
	pthread_t t;
	int64_t t0;
	ssize_t n;

	event_sub_read(s, buf, sizeof buf, 0);
	pthread_create(&t, NULL, late_publisher, &l);
	t0 = amphi_mono_ns();
	n = event_sub_read(s, buf, sizeof buf, 5000);
	CHECK(n > 0);
	CHECK(strstr(buf, "late") != NULL);
	CHECK_INT(amphi_mono_ns() - t0, <, 2000000000LL);   /* woken, not timed out */
	pthread_join(t, NULL);
	/* Nothing more: a timed wait returns 0 after about its timeout. */
	t0 = amphi_mono_ns();
	CHECK_INT(event_sub_read(s, buf, sizeof buf, 100), ==, 0);
	CHECK_INT(amphi_mono_ns() - t0, >=, 90000000);
	event_sub_close(s);
	event_hub_destroy(hub);
}

TEST(close_ends_streams)
{
	struct event_hub *hub = event_hub_create(8);
	struct late l = { hub, 9, 1 };
	int err;
	struct event_sub *s = event_hub_subscribe(hub, 9, 0, true, &err);
	json_t *d = msg("x");
	pthread_t t;

	event_sub_read(s, buf, sizeof buf, 0);
	pthread_create(&t, NULL, late_publisher, &l);
	CHECK_INT(event_sub_read(s, buf, sizeof buf, 5000), ==, -EPIPE);
	pthread_join(t, NULL);
	CHECK_INT(event_hub_publish(hub, 9, "chat", d), ==, -EPIPE);
	event_sub_close(s);
	/* The last words before the end still reach a stream, then it ends. */
	s = event_hub_subscribe(hub, 10, 0, true, &err);
	event_sub_read(s, buf, sizeof buf, 0);
	publish(hub, 10, "state", "ended");
	event_hub_close_webinar(hub, 10);
	CHECK(event_sub_read(s, buf, sizeof buf, 0) > 0);
	CHECK(strstr(buf, "ended") != NULL);
	CHECK_INT(event_sub_read(s, buf, sizeof buf, 1000), ==, -EPIPE);
	CHECK(event_hub_subscribe(hub, 9, 0, true, &err) == NULL);
	CHECK_INT(err, ==, -EPIPE);
	json_decref(d);
	event_sub_close(s);
	event_hub_destroy(hub);
}

TEST(limits)
{
	struct event_hub *hub = event_hub_create(8);
	char *big = malloc(EVENTS_FRAME_MAX);
	json_t *d;
	int err;
	struct event_sub *s = event_hub_subscribe(hub, 1, 0, true, &err);
	char small[64];

	memset(big, 'x', EVENTS_FRAME_MAX - 1);
	big[EVENTS_FRAME_MAX - 1] = '\0';
	d = json_pack("{s:s}", "text", big);
	CHECK_INT(event_hub_publish(hub, 1, "chat", d), ==, -EMSGSIZE);
	CHECK_INT(event_sub_read(s, small, sizeof small, 0), ==, -ENOBUFS);
	json_decref(d);
	free(big);
	event_sub_close(s);
	event_hub_destroy(hub);
}

int main(void)
{
	RUN(order_and_format);
	RUN(new_stream_sees_only_new_events);
	RUN(resume_with_last_event_id);
	RUN(fell_behind_gets_reset);
	RUN(notify_hook);
	RUN(webinars_apart);
	RUN(viewer_counts);
	RUN(reader_woken_by_publisher);
	RUN(close_ends_streams);
	RUN(limits);
	return harness_done();
}
