/* record: the recording sink.  For a recorded stream, its owner worker
 * appends every authenticated, decrypted packet (RTP, and RTCP for the
 * sender reports) to a journal (common/journal.h, docs/journal.md) named
 * spool/<recording>.amj, with io_uring writes from the worker's own ring.
 *
 * Durability: records are serialized into 64 KiB buffers; a buffer is
 * written when full and at every worker tick (100 ms), so a kill -9 loses at
 * most the last tick; the file is fdatasync'ed every fsync_interval (default
 * 1 s) and at close.  Closing (stream deleted, relay stopping) writes what is
 * left, fsyncs, and renames the journal into spool/ready/, where
 * amphi-recstore picks it up.  A journal left in spool/ by a crash is cut at
 * its last whole record and moved to spool/ready/ at the next start.
 *
 * Ownership: a record belongs to the owner worker.  The stream points to it
 * while open; once closed it lives on the worker's list until its last write
 * completes, then frees itself.  Never blocks the packet path: when every
 * buffer is in flight the packet is not recorded and record_drops counts it. */
#ifndef RELAY_RECORD_H
#define RELAY_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct worker;
struct stream;
struct stream_spec;
struct relay_pkt;
struct io_uring_cqe;
struct record;

/* Creates spool/<recording>.amj with its header.  0 or -errno (logged). */
int record_open(struct worker *w, struct stream *s, const struct stream_spec *spec, struct record **out);
void record_append(struct worker *w, struct stream *s, const struct relay_pkt *pkt);
/* Detaches the record from its stream; it finishes in the background. */
void record_close(struct worker *w, struct record *r);
void record_on_completion(struct worker *w, const struct io_uring_cqe *cqe);
/* Periodic flush, fsync and completion of closed journals. */
void record_tick(struct worker *w, int64_t now_mono_ns);
/* Worker exit: closes every journal and waits for every write. */
void record_shutdown(struct worker *w);

/* At start: journals left in spool/ by a crash are cut to their last whole
 * record and moved into spool/ready/.  Returns how many, or -errno. */
int record_recover_spool(const char *spool);

#endif
