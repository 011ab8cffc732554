/* events: the live event hub behind GET /api/webinars/{id}/events
 * (Server-Sent Events, https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * One channel per webinar holds the last `ring` events as ready-made SSE
 * frames ("id: N\nevent: TYPE\ndata: JSON\n\n"), numbered from 1 within the
 * webinar.  Handlers publish (chat message, question, poll change...) from any
 * thread; each open stream is a subscriber with a cursor that reads the frames
 * after it, blocking up to a timeout.  A client that reconnects with
 * Last-Event-ID resumes where it stopped; one that fell further behind than the
 * ring first gets an "event: reset" frame (refetch the lists, then follow).
 *
 * Viewer counts are not events in the ring: each subscriber emits an
 * "event: viewers" frame of its own when the channel's subscriber count
 * differs from the last one it sent, at most once per second, so a crowd
 * joining at once costs each stream one frame, not one per newcomer.
 *
 * Ownership: the hub owns channels and frames (one mutex for all; frames are
 * copied out under it, so no reference counting).  A subscriber is owned by
 * the stream that opened it and must be closed before the hub is destroyed.
 * Closing a webinar (it ended) lets its subscribers read what was published
 * before, then makes their reads return -EPIPE, so streams end with the
 * webinar; the frames are freed when the last of them closes. */
#ifndef AMPHI_CONTROL_EVENTS_H
#define AMPHI_CONTROL_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define EVENTS_RING_DEFAULT 512
#define EVENTS_FRAME_MAX (16 * 1024)   /* a chat message (1000 characters, escaped) fits 3x */

struct event_hub;
struct event_sub;

struct event_hub *event_hub_create(unsigned ring);   /* NULL on ENOMEM */
void event_hub_destroy(struct event_hub *hub);

/* Appends an event (data borrowed, serialized compactly).  Returns its id
 * (> 0), -EMSGSIZE when the frame would exceed EVENTS_FRAME_MAX, -EPIPE when
 * the webinar was closed, -ENOMEM. */
int64_t event_hub_publish(struct event_hub *hub, int64_t webinar, const char *type, json_t *data);

/* Ends a webinar's channel: frames freed, subscribers see -EPIPE.  A later
 * publish or subscribe on the same webinar fails with -EPIPE. */
void event_hub_close_webinar(struct event_hub *hub, int64_t webinar);

/* Current number of viewer streams of a webinar. */
unsigned event_hub_viewers(struct event_hub *hub, int64_t webinar);

/* last_id: the Last-Event-ID the client sent, 0 for a new stream (it then
 * gets only events published after it subscribed).  viewer: the stream
 * counts as a viewer (participants do; the organizer's and speakers' own
 * pages do not).  NULL with *err = -EPIPE (webinar closed) or -ENOMEM. */
struct event_sub *event_hub_subscribe(struct event_hub *hub, int64_t webinar, int64_t last_id,
                                      bool viewer, int *err);
void event_sub_close(struct event_sub *sub);

/* A hook called when the subscriber may have something new to read: a frame
 * was published on its webinar, or the webinar closed.  It runs with the
 * hub's lock held, on the publisher's thread: it must be quick, must not call
 * back into the hub, and must only take locks that are never held while
 * calling the hub (http_stream_wake qualifies).  Viewer-count changes do not
 * call it: a reader that wants them polls (the HTTP server wakes every stream
 * once a second).  After event_sub_close returns, the hook is never called
 * again.  fn NULL removes it. */
typedef void (*event_notify_fn)(void *arg);
void event_sub_set_notify(struct event_sub *sub, event_notify_fn fn, void *arg);

/* Copies whole frames after the cursor into buf (len >= EVENTS_FRAME_MAX),
 * waiting up to timeout_ms (0: not at all) for one to arrive.  Returns the
 * bytes written, 0 when nothing came (the caller may send ": keep-alive\n\n"),
 * -EPIPE once the webinar is closed and everything before was read. */
ssize_t event_sub_read(struct event_sub *sub, char *buf, size_t len, int timeout_ms);

#endif
