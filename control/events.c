/* events: see events.h. */
#include "control/events.h"
#include "common/clock.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VIEWERS_EVERY_NS 1000000000LL   /* at most one viewers frame per second per stream */

struct frame {
	char *text;        /* the whole SSE frame, NUL-terminated; owned by the channel */
	size_t len;
};

struct channel {
	int64_t webinar;
	struct frame *ring;    /* event id i lives at ring[i % hub->ring]; NULL once closed */
	int64_t next_id;       /* id the next published event gets (ids start at 1) */
	unsigned subs;         /* open viewer subscribers (what "viewers" frames count) */
	unsigned readers;      /* all open subscribers: the frames live while one may read */
	bool closed;           /* the webinar ended; the channel stays so late calls see -EPIPE;
	                        * its frames go once the last reader has read them */
	pthread_cond_t cond;   /* broadcast on publish, close, and subscriber count changes */
	struct event_sub *subs_head;   /* every open subscriber, for notify hooks */
	struct channel *next;
};

struct event_hub {
	pthread_mutex_t lock;  /* guards every channel and subscriber cursor */
	unsigned ring;
	struct channel *channels;
};

struct event_sub {
	struct event_hub *hub;
	struct channel *ch;
	int64_t cursor;        /* id of the last event delivered */
	bool reset;            /* deliver a reset frame first */
	bool viewer;           /* counted in ch->subs */
	unsigned sent_viewers; /* the count in the last viewers frame, UINT_MAX before the first */
	int64_t viewers_ns;    /* monotonic time of the last viewers frame */
	event_notify_fn notify;        /* see event_sub_set_notify; NULL: none */
	void *notify_arg;
	struct event_sub *prev, *next; /* in ch->subs_head */
};

/* Calls every subscriber's hook of a channel; hub->lock held. */
static void channel_notify(struct channel *ch)
{
	for (struct event_sub *s = ch->subs_head; s; s = s->next)
		if (s->notify)
			s->notify(s->notify_arg);
}

struct event_hub *event_hub_create(unsigned ring)
{
	struct event_hub *hub = calloc(1, sizeof *hub);

	if (!hub)
		return NULL;
	pthread_mutex_init(&hub->lock, NULL);
	hub->ring = ring ? ring : EVENTS_RING_DEFAULT;
	return hub;
}

static void channel_free_frames(struct event_hub *hub, struct channel *ch)
{
	if (!ch->ring)
		return;
	for (unsigned i = 0; i < hub->ring; i++)
		free(ch->ring[i].text);
	free(ch->ring);
	ch->ring = NULL;
}

void event_hub_destroy(struct event_hub *hub)
{
	struct channel *ch, *next;

	if (!hub)
		return;
	for (ch = hub->channels; ch; ch = next) {
		next = ch->next;
		channel_free_frames(hub, ch);
		pthread_cond_destroy(&ch->cond);
		free(ch);
	}
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

/* Finds or creates a webinar's channel; hub->lock held.  NULL on ENOMEM. */
static struct channel *channel_get(struct event_hub *hub, int64_t webinar)
{
	struct channel *ch;
	pthread_condattr_t attr;

	for (ch = hub->channels; ch; ch = ch->next)
		if (ch->webinar == webinar)
			return ch;
	ch = calloc(1, sizeof *ch);
	if (!ch)
		return NULL;
	ch->ring = calloc(hub->ring, sizeof *ch->ring);
	if (!ch->ring) {
		free(ch);
		return NULL;
	}
	ch->webinar = webinar;
	ch->next_id = 1;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ch->cond, &attr);
	pthread_condattr_destroy(&attr);
	ch->next = hub->channels;
	hub->channels = ch;
	return ch;
}

int64_t event_hub_publish(struct event_hub *hub, int64_t webinar, const char *type, json_t *data)
{
	char *json = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
	struct channel *ch;
	struct frame *f;
	int64_t id;
	char *text;
	int n;

	/* jansson escapes control characters (\n included), which keeps
	 * the data on one line, as an SSE "data:" field requires. */
	if (!json)
		return -ENOMEM;
	text = malloc(EVENTS_FRAME_MAX);
	if (!text) {
		free(json);
		return -ENOMEM;
	}
	pthread_mutex_lock(&hub->lock);
	ch = channel_get(hub, webinar);
	if (!ch || ch->closed) {
		pthread_mutex_unlock(&hub->lock);
		free(json);
		free(text);
		return ch ? -EPIPE : -ENOMEM;
	}
	id = ch->next_id;
	n = snprintf(text, EVENTS_FRAME_MAX, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, type, json);
	free(json);
	if (n < 0 || n >= EVENTS_FRAME_MAX) {
		pthread_mutex_unlock(&hub->lock);
		free(text);
		return -EMSGSIZE;
	}
	f = &ch->ring[id % hub->ring];
	free(f->text);
	f->text = text;
	f->len = (size_t)n;
	ch->next_id++;
	pthread_cond_broadcast(&ch->cond);
	channel_notify(ch);
	pthread_mutex_unlock(&hub->lock);
	return id;
}

void event_hub_close_webinar(struct event_hub *hub, int64_t webinar)
{
	struct channel *ch;

	pthread_mutex_lock(&hub->lock);
	ch = channel_get(hub, webinar);
	if (ch) {
		ch->closed = true;
		if (ch->readers == 0)
			channel_free_frames(hub, ch);
		pthread_cond_broadcast(&ch->cond);
		channel_notify(ch);
	}
	pthread_mutex_unlock(&hub->lock);
}

unsigned event_hub_viewers(struct event_hub *hub, int64_t webinar)
{
	unsigned n = 0;

	pthread_mutex_lock(&hub->lock);
	for (struct channel *ch = hub->channels; ch; ch = ch->next)
		if (ch->webinar == webinar)
			n = ch->subs;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

struct event_sub *event_hub_subscribe(struct event_hub *hub, int64_t webinar, int64_t last_id,
                                      bool viewer, int *err)
{
	struct event_sub *sub = calloc(1, sizeof *sub);
	struct channel *ch;

	*err = 0;
	if (!sub) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&hub->lock);
	ch = channel_get(hub, webinar);
	if (!ch || ch->closed) {
		pthread_mutex_unlock(&hub->lock);
		free(sub);
		*err = ch ? -EPIPE : -ENOMEM;
		return NULL;
	}
	sub->hub = hub;
	sub->ch = ch;
	sub->sent_viewers = UINT_MAX;
	if (last_id <= 0) {
		sub->cursor = ch->next_id - 1;
	} else if (last_id >= ch->next_id) {
		/* An id this channel never gave (the daemon restarted): the client's
		 * view is stale, so it refetches. */
		sub->cursor = ch->next_id - 1;
		sub->reset = true;
	} else {
		sub->cursor = last_id;
	}
	sub->viewer = viewer;
	sub->next = ch->subs_head;
	if (sub->next)
		sub->next->prev = sub;
	ch->subs_head = sub;
	ch->readers++;
	if (viewer) {
		ch->subs++;
		pthread_cond_broadcast(&ch->cond);
	}
	pthread_mutex_unlock(&hub->lock);
	return sub;
}

void event_sub_close(struct event_sub *sub)
{
	if (!sub)
		return;
	pthread_mutex_lock(&sub->hub->lock);
	if (sub->prev)
		sub->prev->next = sub->next;
	else
		sub->ch->subs_head = sub->next;
	if (sub->next)
		sub->next->prev = sub->prev;
	if (--sub->ch->readers == 0 && sub->ch->closed)
		channel_free_frames(sub->hub, sub->ch);
	if (sub->viewer) {
		sub->ch->subs--;
		pthread_cond_broadcast(&sub->ch->cond);
	}
	pthread_mutex_unlock(&sub->hub->lock);
	free(sub);
}

void event_sub_set_notify(struct event_sub *sub, event_notify_fn fn, void *arg)
{
	pthread_mutex_lock(&sub->hub->lock);
	sub->notify = fn;
	sub->notify_arg = arg;
	pthread_mutex_unlock(&sub->hub->lock);
}

static int64_t oldest_id(const struct event_hub *hub, const struct channel *ch)
{
	int64_t o = ch->next_id - (int64_t)hub->ring;
	return o < 1 ? 1 : o;
}

/* Appends what is due to buf; hub->lock held.  Returns bytes written. */
static size_t fill(struct event_sub *sub, char *buf, size_t len, int64_t now)
{
	struct event_hub *hub = sub->hub;
	struct channel *ch = sub->ch;
	size_t n = 0;
	int w;

	if (sub->cursor < oldest_id(hub, ch) - 1) {
		sub->cursor = oldest_id(hub, ch) - 1;
		sub->reset = true;
	}
	if (sub->reset) {
		/* The id lets a reconnect after the reset resume from here. */
		w = snprintf(buf, len, "id: %lld\nevent: reset\ndata: {}\n\n", (long long)sub->cursor);
		if (w < 0 || (size_t)w >= len)
			return 0;
		n += (size_t)w;
		sub->reset = false;
	}
	while (sub->cursor + 1 < ch->next_id) {
		const struct frame *f = &ch->ring[(sub->cursor + 1) % hub->ring];
		if (n + f->len > len)
			break;
		memcpy(buf + n, f->text, f->len);
		n += f->len;
		sub->cursor++;
	}
	if (ch->subs != sub->sent_viewers && now - sub->viewers_ns >= VIEWERS_EVERY_NS) {
		w = snprintf(buf + n, len - n, "event: viewers\ndata: {\"viewers\":%u}\n\n", ch->subs);
		if (w > 0 && (size_t)w < len - n) {
			n += (size_t)w;
			sub->sent_viewers = ch->subs;
			sub->viewers_ns = now;
		}
	}
	if (n < len)
		buf[n] = '\0';
	return n;
}

ssize_t event_sub_read(struct event_sub *sub, char *buf, size_t len, int timeout_ms)
{
	int64_t now = amphi_mono_ns();
	int64_t deadline = now + (int64_t)timeout_ms * 1000000;
	struct channel *ch = sub->ch;
	ssize_t r;

	if (len < EVENTS_FRAME_MAX)
		return -ENOBUFS;
	pthread_mutex_lock(&sub->hub->lock);
	for (;;) {
		int64_t wake = deadline;
		struct timespec ts;

		/* What was published before the end is still delivered. */
		r = (ssize_t)fill(sub, buf, len, now);
		if (r > 0)
			break;
		if (ch->closed) {
			r = -EPIPE;
			break;
		}
		if (now >= deadline)
			break;
		/* A pending viewer count wakes us when its second is up. */
		if (ch->subs != sub->sent_viewers && sub->viewers_ns + VIEWERS_EVERY_NS < wake)
			wake = sub->viewers_ns + VIEWERS_EVERY_NS;
		ts.tv_sec = wake / 1000000000;
		ts.tv_nsec = wake % 1000000000;
		pthread_cond_timedwait(&ch->cond, &sub->hub->lock, &ts);
		now = amphi_mono_ns();
	}
	pthread_mutex_unlock(&sub->hub->lock);
	return r;
}
