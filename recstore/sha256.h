/* sha256: the checksum the index keeps of every blob (rec_entry.sha256: 64
 * lowercase hex digits of the SHA-256 of the file's bytes, OpenSSL EVP).
 *
 * One spelling for every writer and checker of that field: ingest hashes the
 * muxed file before its rename, import hashes while it copies, fsck re-hashes
 * what is on disk.  Either a whole file (rec_sha256_file) or a stream of
 * bytes the caller already has in hand (begin / update / end).
 *
 * Threads: a struct rec_sha256 belongs to the one thread that began it; the
 * functions keep no other state. */
#ifndef AMPHI_RECSTORE_SHA256_H
#define AMPHI_RECSTORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define REC_SHA256_HEX 65   /* 64 hex digits + NUL */

struct rec_sha256 {
	void *ctx;       /* owned EVP_MD_CTX, freed by rec_sha256_end */
	uint64_t size;   /* bytes hashed so far */
};

/* 0 or -ENOMEM.  Every successful begin is paired with one end. */
int rec_sha256_begin(struct rec_sha256 *h);
void rec_sha256_update(struct rec_sha256 *h, const void *p, size_t n);
/* Writes the hex digest into hex (NULL: discards it, e.g. after a failed
 * copy) and frees the context; h->size stays readable. */
void rec_sha256_end(struct rec_sha256 *h, char hex[REC_SHA256_HEX]);

/* Hex SHA-256 and byte size of the file at path, read front to back in
 * 1 MiB reads.  0 or -errno (-ENOENT when it is missing). */
int rec_sha256_file(const char *path, char hex[REC_SHA256_HEX], uint64_t *size);

#endif
