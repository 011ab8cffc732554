/* vindex: one worker's viewers by source address, for the datagrams viewers
 * send to the worker's port (RTCP: receiver reports, NACK, PLI, and the first
 * packet of a latching viewer).
 *
 * Owned by one worker (struct worker.vidx), touched by no other thread.  An
 * entry maps an address (family, IP, port: what relay_addr_equal compares) to
 * a viewer and its vgroup; the entries borrow both, so whoever frees a viewer
 * or a vgroup removes its entries first (worker.c does, in the commands that
 * add, remove and drop viewers).  A viewer has up to four entries: its media
 * and RTCP addresses per kind (equal ones once).
 *
 * Open addressing with linear probing in a power-of-two table kept at most
 * half full, hashed with a per-table random seed (addresses come from the
 * network); removal shifts the run back, so no tombstones accumulate as
 * viewers come and go.  Two viewers may share an address (of different
 * streams): lookup returns the one added first, as a linear scan would.
 *
 * A latching viewer (viewer.latch_pending) has no address yet: it waits in
 * the pending list until the datagram that authenticates under its key
 * arrives (feedback.c tries them), then vindex_viewer_latched moves it into
 * the table. */
#ifndef RELAY_VINDEX_H
#define RELAY_VINDEX_H

#include <stdint.h>
#include <sys/socket.h>

struct viewer;
struct vgroup;

struct vindex_entry {
	uint64_t key[3];         /* 0: free; else family | port << 16, then the IP (v4 in key[1]) */
	struct viewer *v;        /* borrowed */
	struct vgroup *g;        /* borrowed */
	uint64_t order;          /* insertion number: the oldest of equal keys wins */
};

struct vindex_pending {
	struct viewer *v;        /* borrowed */
	struct vgroup *g;        /* borrowed */
};

struct vindex {
	struct vindex_entry *t;  /* owned, cap entries */
	unsigned cap, n;
	uint64_t seed;
	uint64_t next_order;
	struct vindex_pending *pending;   /* owned: latching viewers not heard from yet */
	unsigned npending, pending_cap;
	unsigned pending_next;   /* where the next round of trials starts (they rotate) */
};

/* 0 or -ENOMEM. */
int vindex_init(struct vindex *x);
void vindex_free(struct vindex *x);
/* Indexes every address v has (media and RTCP, both kinds), or lists v as
 * pending when it is latching.  0 or -ENOMEM (then v is not indexed). */
int vindex_viewer_add(struct vindex *x, struct vgroup *g, struct viewer *v);
/* Removes every entry that points at v (and v from the pending list). */
void vindex_viewer_remove(struct vindex *x, const struct viewer *v);
/* v (pending) has just been given its addresses (viewer_latch): out of the
 * pending list, into the table.  0 or -ENOMEM (v stays pending). */
int vindex_viewer_latched(struct vindex *x, struct vgroup *g, struct viewer *v);
/* The viewer whose media or RTCP address is src (and its group), or NULL. */
struct viewer *vindex_find(const struct vindex *x, const struct sockaddr *src, struct vgroup **g);

#endif
