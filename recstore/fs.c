/* fs: see fs.h. */
#ifdef REC_FUSE_PASSTHROUGH
#define FUSE_USE_VERSION 317
#else
#define FUSE_USE_VERSION 312
#endif
#include "recstore/fs.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* Inode numbers: 1 the root, 2..4 the view folders, 16.. recordings (from the
 * index, so stable across restarts), and folders under a view with bit 62
 * set plus a slot in fs->dirs (stable for the life of the mount). */
#define INO_VIEW0 2
#define INO_DIR_BIT (1ULL << 62)
#define READ_AHEAD (1u << 20)   /* with max_pages 256 the kernel asks up to 1 MiB a read */

static const char *const view_names[3] = { "by-webinar", "by-date", "by-org" };

static const char *const xattr_names[] = {
	"user.amphi.expires_at", "user.amphi.webinar", "user.amphi.org", "user.amphi.codecs",
	"user.amphi.duration_ms", "user.amphi.sha256", "user.amphi.legal_hold", "user.amphi.published",
};
#define N_XATTRS (sizeof xattr_names / sizeof xattr_names[0])

struct dir_slot {
	enum rec_view view;
	char name[REC_NAME_MAX];
};

struct rec_fs {
	struct rec_store *st;           /* borrowed */
	struct fuse_session *se;
	struct fuse_loop_config *loop_cfg;
	pthread_t thread;
	char mountpoint[PATH_MAX];
	double cache_seconds;
	int64_t mounted_at;             /* mtime of the folders */
	atomic_bool ended;
	pthread_mutex_t lock;           /* guards dirs */
	struct dir_slot *dirs;          /* grows only: a slot's inode stays valid */
	size_t ndirs, cap;
};

/* A folder listing built at opendir, served in slices by readdir. */
struct dirbuf {
	char *p;
	size_t size;
};

/* ---- inodes ---------------------------------------------------------------- */

static fuse_ino_t dir_ino(struct rec_fs *fs, enum rec_view view, const char *name)
{
	fuse_ino_t ino = 0;

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->ndirs; i++)
		if (fs->dirs[i].view == view && strcmp(fs->dirs[i].name, name) == 0) {
			ino = INO_DIR_BIT | i;
			goto out;
		}
	if (fs->ndirs == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 64;
		struct dir_slot *d = realloc(fs->dirs, cap * sizeof *d);
		if (!d)
			goto out;
		fs->dirs = d;
		fs->cap = cap;
	}
	fs->dirs[fs->ndirs].view = view;
	snprintf(fs->dirs[fs->ndirs].name, REC_NAME_MAX, "%s", name);
	ino = INO_DIR_BIT | fs->ndirs++;
out:
	pthread_mutex_unlock(&fs->lock);
	return ino;
}

/* The inode of a view folder the kernel has been given, 0 when none was. */
static fuse_ino_t dir_ino_find(struct rec_fs *fs, enum rec_view view, const char *name)
{
	fuse_ino_t ino = 0;

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->ndirs; i++)
		if (fs->dirs[i].view == view && strcmp(fs->dirs[i].name, name) == 0) {
			ino = INO_DIR_BIT | i;
			break;
		}
	pthread_mutex_unlock(&fs->lock);
	return ino;
}

/* Drops the kernel's cached names of e under every view but skip (-1: all). */
static void forget_names(struct rec_fs *fs, const struct rec_entry *e, int skip)
{
	char name[REC_NAME_MAX + REC_BLOB_MAX], key[REC_NAME_MAX];

	snprintf(name, sizeof name, "%s%s", e->id, rec_entry_ext(e));
	for (int v = 0; v < 3; v++) {
		fuse_ino_t d;
		if (v == skip)
			continue;
		rec_entry_view_key(e, (enum rec_view)v, key);
		d = dir_ino_find(fs, (enum rec_view)v, key);
		if (d)
			fuse_lowlevel_notify_inval_entry(fs->se, d, name, strlen(name));
	}
}

static int dir_slot_get(struct rec_fs *fs, fuse_ino_t ino, struct dir_slot *out)
{
	size_t i = ino & ~INO_DIR_BIT;
	int rc = -ENOENT;

	if (!(ino & INO_DIR_BIT))
		return -ENOENT;
	pthread_mutex_lock(&fs->lock);
	if (i < fs->ndirs) {
		*out = fs->dirs[i];
		rc = 0;
	}
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static bool is_view(fuse_ino_t ino)
{
	return ino >= INO_VIEW0 && ino < INO_VIEW0 + 3;
}

/* Cache lifetime for a recording: never past the second it expires. */
static double entry_timeout(const struct rec_fs *fs, const struct rec_entry *e)
{
	double left;

	if (e->legal_hold)
		return fs->cache_seconds;
	left = (double)(e->expires_at - amphi_now());
	if (left <= 0)
		return 0;
	return left < fs->cache_seconds ? left : fs->cache_seconds;
}

static void file_attr(const struct rec_entry *e, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = e->ino;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 3;   /* one name under each view */
	st->st_size = (off_t)e->size;
	st->st_blocks = (blkcnt_t)((e->size + 511) / 512);
	st->st_blksize = READ_AHEAD;
	st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = e->end;
}

static void dir_attr(const struct rec_fs *fs, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = fs->mounted_at;
}

static int first_visible(void *arg, const struct rec_entry *e)
{
	(void)arg;
	(void)e;
	return 1;
}

static bool view_key_exists(struct rec_fs *fs, enum rec_view view, const char *name)
{
	return rec_name_valid(name) && rec_index_list(fs->st->idx, view, name, false, first_visible, NULL) == 1;
}

/* "<id><ext>" in folder slot -> its visible entry. */
static int resolve_file(struct rec_fs *fs, const struct dir_slot *slot, const char *name,
                        struct rec_entry *e)
{
	char id[REC_NAME_MAX], key[REC_NAME_MAX];
	const char *dot = strrchr(name, '.');
	size_t n = dot ? (size_t)(dot - name) : strlen(name);
	int rc;

	if (n == 0 || n >= REC_NAME_MAX)
		return -ENOENT;
	memcpy(id, name, n);
	id[n] = '\0';
	rc = rec_index_get(fs->st->idx, id, e);
	if (rc)
		return rc == -ENOENT ? -ENOENT : -EIO;
	rec_entry_view_key(e, slot->view, key);
	if (strcmp(key, slot->name) != 0 || strcmp(rec_entry_ext(e), dot ? dot : "") != 0)
		return -ENOENT;
	return 0;
}

/* ---- operations ------------------------------------------------------------ */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_readahead = READ_AHEAD;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
#ifdef REC_FUSE_PASSTHROUGH
	if (conn->capable & FUSE_CAP_PASSTHROUGH)
		conn->want |= FUSE_CAP_PASSTHROUGH;
#endif
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param ep;
	struct dir_slot slot;
	struct rec_entry e;
	int rc;

	memset(&ep, 0, sizeof ep);
	ep.attr_timeout = ep.entry_timeout = fs->cache_seconds;
	if (parent == FUSE_ROOT_ID) {
		for (int v = 0; v < 3; v++)
			if (strcmp(name, view_names[v]) == 0) {
				ep.ino = INO_VIEW0 + v;
				dir_attr(fs, ep.ino, &ep.attr);
				fuse_reply_entry(req, &ep);
				return;
			}
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (is_view(parent)) {
		enum rec_view view = (enum rec_view)(parent - INO_VIEW0);
		if (!view_key_exists(fs, view, name)) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		ep.ino = dir_ino(fs, view, name);
		if (!ep.ino) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		dir_attr(fs, ep.ino, &ep.attr);
		fuse_reply_entry(req, &ep);
		return;
	}
	if (dir_slot_get(fs, parent, &slot)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	rc = resolve_file(fs, &slot, name, &e);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	ep.ino = e.ino;
	ep.attr_timeout = ep.entry_timeout = entry_timeout(fs, &e);
	file_attr(&e, &ep.attr);
	fuse_reply_entry(req, &ep);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	struct dir_slot slot;
	struct rec_entry e;
	struct stat st;

	(void)fi;
	if (ino == FUSE_ROOT_ID || is_view(ino) || dir_slot_get(fs, ino, &slot) == 0) {
		dir_attr(fs, ino, &st);
		fuse_reply_attr(req, &st, fs->cache_seconds);
		return;
	}
	if (rec_index_get_ino(fs->st->idx, ino, &e)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	file_attr(&e, &st);
	fuse_reply_attr(req, &st, entry_timeout(fs, &e));
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
	(void)ino, (void)attr, (void)to_set, (void)fi;
	fuse_reply_err(req, EROFS);   /* sizes, modes and times belong to the store */
}

static int dirbuf_add(fuse_req_t req, struct dirbuf *b, const char *name, fuse_ino_t ino, mode_t mode)
{
	struct stat st = { .st_ino = ino, .st_mode = mode };
	size_t len = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
	char *p = realloc(b->p, b->size + len);

	if (!p)
		return -ENOMEM;
	b->p = p;
	fuse_add_direntry(req, b->p + b->size, len, name, &st, (off_t)(b->size + len));
	b->size += len;
	return 0;
}

struct list_ctx {
	fuse_req_t req;
	struct rec_fs *fs;
	struct dirbuf *b;
	enum rec_view view;
	int err;
};

static int list_key(void *arg, const char *key)
{
	struct list_ctx *c = arg;
	fuse_ino_t ino = dir_ino(c->fs, c->view, key);

	if (!ino || dirbuf_add(c->req, c->b, key, ino, S_IFDIR)) {
		c->err = -ENOMEM;
		return 1;
	}
	return 0;
}

static int list_file(void *arg, const struct rec_entry *e)
{
	struct list_ctx *c = arg;
	char name[REC_NAME_MAX + REC_BLOB_MAX];

	snprintf(name, sizeof name, "%s%s", e->id, rec_entry_ext(e));
	if (dirbuf_add(c->req, c->b, name, e->ino, S_IFREG)) {
		c->err = -ENOMEM;
		return 1;
	}
	return 0;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	struct dirbuf *b = calloc(1, sizeof *b);
	struct list_ctx c = { req, fs, b, 0, 0 };
	struct dir_slot slot;
	int rc = 0;

	if (!b) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = dirbuf_add(req, b, ".", ino, S_IFDIR);
	if (!rc)
		rc = dirbuf_add(req, b, "..", FUSE_ROOT_ID, S_IFDIR);
	if (rc) {
		/* fall through to the error reply */
	} else if (ino == FUSE_ROOT_ID) {
		for (int v = 0; v < 3 && !rc; v++)
			rc = dirbuf_add(req, b, view_names[v], INO_VIEW0 + v, S_IFDIR);
	} else if (is_view(ino)) {
		c.view = (enum rec_view)(ino - INO_VIEW0);
		rc = rec_index_keys(fs->st->idx, c.view, list_key, &c);
		rc = c.err ? c.err : rc < 0 ? -EIO : 0;
	} else if (dir_slot_get(fs, ino, &slot) == 0) {
		rc = rec_index_list(fs->st->idx, slot.view, slot.name, false, list_file, &c);
		rc = c.err ? c.err : rc < 0 ? -EIO : 0;
	} else {
		rc = -ENOTDIR;
	}
	if (rc) {
		free(b->p);
		free(b);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)b;
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct dirbuf *b = (struct dirbuf *)(uintptr_t)fi->fh;

	(void)ino;
	if (off < 0 || (size_t)off >= b->size)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, b->p + off, b->size - (size_t)off < size ? b->size - (size_t)off : size);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirbuf *b = (struct dirbuf *)(uintptr_t)fi->fh;

	(void)ino;
	free(b->p);
	free(b);
	fuse_reply_err(req, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	struct rec_entry e;
	char path[PATH_MAX + 8];
	int fd;

	if (ino == FUSE_ROOT_ID || is_view(ino) || (ino & INO_DIR_BIT)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (rec_index_get_ino(fs->st->idx, ino, &e) || rec_store_blob_path(fs->st, &e, path, sizeof path)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* An entry without its blob: fsck reports it; the reader sees EIO. */
		log_msg(LOG_ERROR, "blob missing", "id=%s errno=%d", e.id, errno);
		fuse_reply_err(req, EIO);
		return;
	}
	/* Readers stream recordings front to back: a larger readahead window on
	 * the blob keeps the disk ahead of the kernel's FUSE read requests. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* fh: the blob's fd in the low 32 bits; with passthrough, the kernel's
	 * backing id in the high 32 (release must close both). */
	fi->fh = (uint32_t)fd;
	fi->keep_cache = 1;   /* blobs never change: repeat reads come from the page cache */
#ifdef REC_FUSE_PASSTHROUGH
	/* The kernel then reads the blob itself; 0 (refused, e.g. no
	 * FUSE_CAP_PASSTHROUGH) leaves the copy path in op_read. */
	int backing_id = fuse_passthrough_open(req, fd);
	if (backing_id > 0) {
		fi->backing_id = backing_id;
		fi->fh |= (uint64_t)backing_id << 32;
	}
	if (fuse_reply_open(req, fi) != 0) {
		if (backing_id > 0)
			fuse_passthrough_close(req, backing_id);
		close(fd);
	}
#else
	if (fuse_reply_open(req, fi) != 0)
		close(fd);
#endif
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)(uint32_t)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, 0);   /* copy path; splice measured no faster here */
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
#ifdef REC_FUSE_PASSTHROUGH
	if (fi->fh >> 32)
		fuse_passthrough_close(req, (int)(fi->fh >> 32));
#endif
	close((int)(uint32_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	struct statvfs sv;

	(void)ino;
	if (statvfs(fs->st->root, &sv) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	sv.f_namemax = REC_NAME_MAX + REC_BLOB_MAX;
	fuse_reply_statfs(req, &sv);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct dir_slot slot;
	struct rec_entry e;
	char by[48];
	struct rec_actor who = { by, "unlink through the mount" };
	int rc;

	if (dir_slot_get(fs, parent, &slot)) {
		fuse_reply_err(req, parent == FUSE_ROOT_ID || is_view(parent) ? EROFS : ENOENT);
		return;
	}
	rc = resolve_file(fs, &slot, name, &e);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	snprintf(by, sizeof by, "fuse uid=%u", (unsigned)ctx->uid);
	rc = rec_store_delete(fs->st, e.id, &who, NULL);
	if (rc) {
		fuse_reply_err(req, rc == -EPERM ? EPERM : rc == -ENOENT ? ENOENT : EIO);
		return;
	}
	fuse_reply_err(req, 0);
	/* The other two names of the inode: drop the kernel's cached dentries
	 * (this one the kernel removes itself, holding its folder's lock). */
	forget_names(fs, &e, (int)slot.view);
}

static void op_refuse(fuse_req_t req)
{
	fuse_reply_err(req, EROFS);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
	(void)p, (void)n, (void)m;
	op_refuse(req);
}

static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d)
{
	(void)p, (void)n, (void)m, (void)d;
	op_refuse(req);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t p, const char *n)
{
	(void)p, (void)n;
	op_refuse(req);
}

static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	(void)l, (void)p, (void)n;
	op_refuse(req);
}

static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
                      unsigned flags)
{
	(void)p, (void)n, (void)np, (void)nn, (void)flags;
	op_refuse(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *nn)
{
	(void)ino, (void)np, (void)nn;
	op_refuse(req);
}

static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, struct fuse_file_info *fi)
{
	(void)p, (void)n, (void)m, (void)fi;
	op_refuse(req);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *b, size_t s, off_t o,
                     struct fuse_file_info *fi)
{
	(void)ino, (void)b, (void)s, (void)o, (void)fi;
	op_refuse(req);
}

/* ---- extended attributes --------------------------------------------------- */

static int xattr_value(const struct rec_entry *e, const char *name, char *buf, size_t len)
{
	const char *n = strncmp(name, "user.amphi.", 11) == 0 ? name + 11 : "";
	char iso[32];

	if (!strcmp(n, "expires_at"))
		return snprintf(buf, len, "%s", amphi_time_iso(e->expires_at, iso, sizeof iso));
	if (!strcmp(n, "webinar"))
		return snprintf(buf, len, "%s", e->webinar);
	if (!strcmp(n, "org"))
		return snprintf(buf, len, "%s", e->org);
	if (!strcmp(n, "codecs"))
		return snprintf(buf, len, "%s", e->codecs);
	if (!strcmp(n, "duration_ms"))
		return snprintf(buf, len, "%lld", (long long)e->duration_ms);
	if (!strcmp(n, "sha256"))
		return snprintf(buf, len, "%s", e->sha256);
	if (!strcmp(n, "legal_hold"))
		return snprintf(buf, len, "%d", e->legal_hold ? 1 : 0);
	if (!strcmp(n, "published"))
		return snprintf(buf, len, "%d", e->published ? 1 : 0);
	return -ENODATA;
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	struct rec_entry e;
	char buf[128];
	int n;

	if (ino < 16 || (ino & INO_DIR_BIT)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (rec_index_get_ino(fs->st->idx, ino, &e)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	n = xattr_value(&e, name, buf, sizeof buf);
	if (n < 0)
		fuse_reply_err(req, ENODATA);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else if ((size_t)n > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	struct rec_entry e;
	char buf[512];
	size_t n = 0;

	if (!(ino < 16 || (ino & INO_DIR_BIT))) {
		if (rec_index_get_ino(fs->st->idx, ino, &e)) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		for (size_t i = 0; i < N_XATTRS; i++) {
			size_t l = strlen(xattr_names[i]) + 1;
			memcpy(buf + n, xattr_names[i], l);
			n += l;
		}
	}
	if (size == 0)
		fuse_reply_xattr(req, n);
	else if (n > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, n);
}

/* "1/0/true/false/yes/no" -> 1/0, else -1. */
static int parse_flag(const char *v)
{
	if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		return 1;
	if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
		return 0;
	return -1;
}

/* ISO 8601 ("2027-01-01T00:00:00Z", a date alone) or seconds since the epoch. */
static int parse_when(const char *v, int64_t *out)
{
	char *end;
	long long n;

	if (*v >= '0' && *v <= '9' && strspn(v, "0123456789") == strlen(v)) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || *end)
			return -EINVAL;
		*out = n;
		return 0;
	}
	return amphi_time_parse(v, out);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags)
{
	struct rec_fs *fs = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct rec_entry e;
	char v[64], by[48];
	struct rec_actor who = { by, "setfattr through the mount" };
	int64_t when;
	int rc, flag;

	(void)flags;
	if (ino < 16 || (ino & INO_DIR_BIT)) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	if (rec_index_get_ino(fs->st->idx, ino, &e)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (xattr_value(&e, name, v, sizeof v) < 0) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	if (size >= sizeof v) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(v, value, size);
	v[size] = '\0';
	v[strcspn(v, "\n")] = '\0';
	snprintf(by, sizeof by, "fuse uid=%u", (unsigned)ctx->uid);
	if (!strcmp(name, "user.amphi.legal_hold")) {
		flag = parse_flag(v);
		rc = flag < 0 ? -EINVAL : rec_store_hold(fs->st, e.id, flag == 1, &who);
	} else if (!strcmp(name, "user.amphi.expires_at")) {
		rc = parse_when(v, &when) ? -EINVAL : rec_store_set_expiry(fs->st, e.id, when, &who, NULL);
	} else {
		rc = -EPERM;   /* the other attributes describe the recording: read-only */
	}
	fuse_reply_err(req, rc == 0 ? 0 : rc == -EINVAL ? EINVAL : rc == -EPERM ? EPERM :
	                    rc == -ENOENT ? ENOENT : EIO);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	fuse_reply_err(req, strncmp(name, "user.amphi.", 11) == 0 ? EPERM : ENOTSUP);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.statfs = op_statfs,
	.unlink = op_unlink,
	.mkdir = op_mkdir,
	.mknod = op_mknod,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.create = op_create,
	.write = op_write,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
};

/* ---- mount ----------------------------------------------------------------- */

/* The kernel's mountinfo escapes blanks and backslashes in a path as \ooo. */
static void mountinfo_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The file system type of the top mount at path (absolute, resolved) from
 * /proc/self/mountinfo, e.g. "fuse.amphi-recstore": 1 when one is mounted
 * there, 0 when none, -errno.  The kernel answers this from its mount table,
 * never from a FUSE connection, so it neither blocks on a dead daemon nor
 * trusts an attribute cache (proc(5), /proc/pid/mountinfo). */
static int mount_type_at(const char *path, char *type, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, mnt[PATH_MAX], fstype[128];
	size_t cap = 0;
	int found = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mountpoint options [optional...] - fstype source super */
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || sscanf(sep + 3, "%127s", fstype) != 1)
			continue;
		mountinfo_unescape(mnt);
		if (strcmp(mnt, path) == 0) {   /* later lines are mounted on top of earlier ones */
			snprintf(type, len, "%s", fstype);
			found = 1;
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* mountpoint made absolute with its folders' symlinks resolved, as mountinfo
 * shows it.  The last component is left alone: resolving it would ask the
 * (possibly dead) file system mounted there. */
static int mount_path_resolve(const char *mountpoint, char *out, size_t len)
{
	char copy[PATH_MAX], dir[PATH_MAX], *slash;
	size_t n = strlen(mountpoint);

	if (n == 0 || n >= sizeof copy)
		return -ENAMETOOLONG;
	memcpy(copy, mountpoint, n + 1);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	if (!slash) {
		if (!getcwd(dir, sizeof dir))
			return -errno;
		slash = copy - 1;
	} else if (slash == copy) {
		snprintf(dir, sizeof dir, "/");
	} else {
		*slash = '\0';
		if (!realpath(copy, dir))
			return -errno;
	}
	if ((size_t)snprintf(out, len, "%s/%s", strcmp(dir, "/") ? dir : "", slash + 1) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Detaches the mount at path: fusermount3 -u -z, or umount2 as root. */
static int mount_detach(const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return umount2(path, MNT_DETACH) < 0 ? -errno : 0;
}

int rec_fs_clear_stale(const char *mountpoint, char *err, size_t errlen)
{
	char path[PATH_MAX], type[128];
	struct statfs sf;
	int rc, cleared = 0;

	rc = mount_path_resolve(mountpoint, path, sizeof path);
	if (rc) {
		snprintf(err, errlen, "%s: %s", mountpoint, strerror(-rc));
		return rc;
	}
	/* Stale mounts may be stacked (a crash after each of several starts):
	 * clear them one by one, top first. */
	while ((rc = mount_type_at(path, type, sizeof type)) == 1) {
		if (strncmp(type, "fuse.amphi", 10) != 0) {
			snprintf(err, errlen, "%s: a file system is mounted there already (%s)", mountpoint, type);
			return -EBUSY;
		}
		/* statfs always reaches the daemon (no kernel cache answers it): a
		 * connection whose daemon died (kill -9: its /dev/fuse closed, the
		 * kernel aborted the connection) fails it with ENOTCONN at once. */
		if (statfs(path, &sf) == 0) {
			snprintf(err, errlen, "%s: another amphi-recstore serves this mount", mountpoint);
			return -EBUSY;
		}
		if (errno != ENOTCONN && errno != ECONNABORTED) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", mountpoint, strerror(errno));
			return rc;
		}
		if (cleared == 8) {
			snprintf(err, errlen, "%s: stale mounts keep coming back", mountpoint);
			return -EBUSY;
		}
		log_msg(LOG_WARN, "stale mount found, clearing it", "mount=%s", mountpoint);
		rc = mount_detach(path);
		if (rc) {
			snprintf(err, errlen, "%s: stale mount, and clearing it failed: %s", mountpoint,
			         strerror(-rc));
			return rc;
		}
		cleared++;
	}
	if (rc < 0) {
		snprintf(err, errlen, "/proc/self/mountinfo: %s", strerror(-rc));
		return rc;
	}
	return cleared ? 1 : 0;
}

/* The kernel gives every FUSE mount a 128 KiB readahead window whatever
 * max_readahead says (the INIT reply can only lower it), so a sequential read
 * reaches the daemon as 128 KiB requests, one or two in flight.  The window
 * is a property of the mount's backing device, writable in sysfs by root:
 * with 1 MiB or more, requests arrive max_pages-sized (1 MiB) and several at
 * once on the worker threads (docs/performance.md, "Recording store").
 * Called once the session threads run: the stat waits for the INIT reply.
 * Without the right to write it, the mount works with the kernel's window. */
static void fs_set_readahead(struct rec_fs *fs, unsigned kib)
{
	struct stat st;
	char path[96];
	FILE *f;
	int ok;

	if (!kib)
		return;
	if (stat(fs->mountpoint, &st) < 0) {
		log_msg(LOG_WARN, "cannot stat the mount to set its readahead", "errno=%d", errno);
		return;
	}
	snprintf(path, sizeof path, "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev), minor(st.st_dev));
	f = fopen(path, "w");
	ok = f && fprintf(f, "%u\n", kib) > 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok)
		log_msg(LOG_INFO, "mount readahead set", "kib=%u bdi=%s", kib, path);
	else
		log_msg(LOG_WARN, "cannot set the mount's readahead (not root?): reads arrive in 128 KiB requests",
		        "path=%s errno=%d", path, errno);
}

/* fuse_session_loop_mt waits on a semaphore that only a worker leaving
 * posts, and idle workers sleep in read() on /dev/fuse: after
 * fuse_session_exit nothing wakes either until a request reaches the mount,
 * or until the kernel ends the connection, which a lazy unmount does only
 * once nothing holds the mount (an open file or a shell's working folder
 * keeps it: amphi-recstore then ignored SIGTERM for minutes).  A signal to
 * the loop thread interrupts its sem_wait (never restarted, signal(7)); the
 * loop then sees the session exited and cancels the workers at their read.
 * The handler does nothing: the interruption is the point. */
#define FS_KICK_SIGNAL SIGUSR2

static void fs_kick(int sig)
{
	(void)sig;
}

static void *fs_thread(void *arg)
{
	struct rec_fs *fs = arg;
	int rc = fuse_session_loop_mt(fs->se, fs->loop_cfg);

	if (rc)
		log_msg(LOG_ERROR, "fuse session ended", "rc=%d", rc);
	atomic_store(&fs->ended, true);
	return NULL;
}

int rec_fs_start(struct rec_store *st, const char *mountpoint, const struct rec_fs_opts *opts,
                 struct rec_fs **out, char *err, size_t errlen)
{
	char o[160];
	char *argv[] = { "amphi-recstore", "-o", o, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct sigaction sa = { .sa_handler = fs_kick };   /* no SA_RESTART: see fs_kick */
	struct rec_fs *fs;
	int rc;

	if (mkdir(mountpoint, 0755) < 0 && errno != EEXIST && errno != ENOTCONN) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", mountpoint, strerror(errno));
		return rc;
	}
	rc = rec_fs_clear_stale(mountpoint, err, errlen);
	if (rc < 0)
		return rc;
	fs = calloc(1, sizeof *fs);
	if (!fs)
		return -ENOMEM;
	fs->st = st;
	fs->cache_seconds = opts->cache_seconds > 0 ? opts->cache_seconds : 1.0;
	fs->mounted_at = amphi_now();
	pthread_mutex_init(&fs->lock, NULL);
	snprintf(fs->mountpoint, sizeof fs->mountpoint, "%s", mountpoint);
	snprintf(o, sizeof o, "fsname=amphi-recstore,subtype=amphi-recstore%s",
	         opts->allow_other ? ",allow_other" : "");
	fs->se = fuse_session_new(&args, &ops, sizeof ops, fs);
	fuse_opt_free_args(&args);
	if (!fs->se) {
		snprintf(err, errlen, "%s: fuse_session_new failed", mountpoint);
		rc = -EIO;
		goto fail;
	}
	if (fuse_session_mount(fs->se, mountpoint) != 0) {
		snprintf(err, errlen, "%s: mount failed (is /dev/fuse usable? see the log above)", mountpoint);
		rc = -EIO;
		goto fail_session;
	}
	fs->loop_cfg = fuse_loop_cfg_create();
	if (!fs->loop_cfg) {
		rc = -ENOMEM;
		goto fail_mount;
	}
	if (opts->max_threads)
		fuse_loop_cfg_set_max_threads(fs->loop_cfg, opts->max_threads);
	sigemptyset(&sa.sa_mask);
	sigaction(FS_KICK_SIGNAL, &sa, NULL);
	rc = -pthread_create(&fs->thread, NULL, fs_thread, fs);
	if (rc) {
		snprintf(err, errlen, "fuse thread: %s", strerror(-rc));
		goto fail_cfg;
	}
	log_msg(LOG_INFO, "mounted", "mount=%s", mountpoint);
	fs_set_readahead(fs, opts->readahead_kib);
	*out = fs;
	return 0;
fail_cfg:
	fuse_loop_cfg_destroy(fs->loop_cfg);
fail_mount:
	fuse_session_unmount(fs->se);
fail_session:
	fuse_session_destroy(fs->se);
fail:
	pthread_mutex_destroy(&fs->lock);
	free(fs);
	return rc;
}

void rec_fs_forget(struct rec_fs *fs, const struct rec_entry *e)
{
	if (fs)
		forget_names(fs, e, -1);
}

bool rec_fs_ended(const struct rec_fs *fs)
{
	return atomic_load(&fs->ended);
}

void rec_fs_stop(struct rec_fs *fs)
{
	if (!fs)
		return;
	/* Leave the loop first, then unmount: see fs_kick.  Each kick that
	 * lands before the loop thread reaches its wait is lost, hence the
	 * repeats (20 ms apart). */
	fuse_session_exit(fs->se);
	for (;;) {
		struct timespec t;

		pthread_kill(fs->thread, FS_KICK_SIGNAL);
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 20 * 1000 * 1000;
		if (t.tv_nsec >= 1000 * 1000 * 1000) {
			t.tv_sec++;
			t.tv_nsec -= 1000 * 1000 * 1000;
		}
		if (pthread_timedjoin_np(fs->thread, NULL, &t) == 0)
			break;
	}
	/* No worker reads /dev/fuse any more: closing it (inside the unmount)
	 * ends the kernel connection, so a file still open on the mount, or a
	 * shell standing in it, gets ENOTCONN instead of a hang, and the lazy
	 * unmount takes the mount out of the namespace at once. */
	fuse_session_unmount(fs->se);
	fuse_loop_cfg_destroy(fs->loop_cfg);
	fuse_session_destroy(fs->se);
	log_msg(LOG_INFO, "unmounted", "mount=%s", fs->mountpoint);
	pthread_mutex_destroy(&fs->lock);
	free(fs->dirs);
	free(fs);
}
