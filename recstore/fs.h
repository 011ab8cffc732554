/* fs: the FUSE mount of the recording store (DESIGN.md §6), libfuse3
 * low-level API, multithreaded.
 *
 *   <mount>/by-webinar/<webinar>/<id>.<ext>
 *   <mount>/by-date/<YYYY-MM-DD>/<id>.<ext>     (date of the recording's start, UTC)
 *   <mount>/by-org/<org>/<id>.<ext>
 *
 * One inode per recording (its index inode number, stable across restarts),
 * shown under all three views.  Data is read-only (EROFS); xattrs
 * user.amphi.* describe a recording.  The changes a user may make go through
 * the store's front door and only their result is translated into an errno
 * here: unlink is rec_store_delete (EPERM under legal hold), setfattr of
 * legal_hold is rec_store_hold, of expires_at rec_store_set_expiry (EPERM
 * beyond the policy maximum).  Every request asks the index, which checks the
 * clock, and kernel cache lifetimes never outlast a recording's expiry.
 *
 * The session runs on threads of its own; rec_fs_stop (any thread, e.g. the
 * signal handler's loop) ends the session, joins them and unmounts. */
#ifndef AMPHI_RECSTORE_FS_H
#define AMPHI_RECSTORE_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "recstore/store.h"

struct rec_fs_opts {
	bool allow_other;       /* let users other than the daemon's read the mount */
	unsigned max_threads;   /* FUSE worker threads (0: libfuse's default, 10) */
	double cache_seconds;   /* kernel entry/attribute cache lifetime, bounded by expiry */
	unsigned readahead_kib; /* the mount's kernel readahead window (0: the kernel's 128 KiB) */
};

struct rec_fs;

/* Clears a stale mount left by a crash (rec_fs_clear_stale), refuses a live
 * one, mounts, and starts the session threads.  Installs a no-op SIGUSR2
 * handler: rec_fs_stop wakes the session thread with it.  The store must
 * outlive the mount. 0 or -errno with err. */
int rec_fs_start(struct rec_store *st, const char *mountpoint, const struct rec_fs_opts *opts,
                 struct rec_fs **out, char *err, size_t errlen);
/* Ends the session without waiting for a request to reach the mount (files
 * may be open on it), joins the threads, unmounts and frees fs. */
void rec_fs_stop(struct rec_fs *fs);
/* True once the session ended on its own (unmounted from outside, error). */
bool rec_fs_ended(const struct rec_fs *fs);
/* Tells the kernel to drop the names of a recording just deleted outside the
 * mount (control socket), under all three views, so ls and stat stop showing
 * it at once instead of after the cache lifetime.  Never call it from a FUSE
 * request handler (the kernel may hold the folder's lock for that request). */
void rec_fs_forget(struct rec_fs *fs, const struct rec_entry *e);

/* The stale-mount check alone, decided from /proc/self/mountinfo (never from
 * a stat the kernel may answer from its attribute cache): a fuse.amphi* mount
 * at mountpoint whose statfs fails with ENOTCONN has no daemon behind it and
 * is detached (fusermount3 -u -z, or umount2 MNT_DETACH), stacked ones too.
 * 1 when a stale mount was cleared, 0 when there was none, -EBUSY when a live
 * amphi-recstore or another file system is mounted there, -errno else. */
int rec_fs_clear_stale(const char *mountpoint, char *err, size_t errlen);

#endif
