/* sha256: see sha256.h. */
#include "recstore/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#define READ_SIZE (1 << 20)   /* blobs are megabytes: few large reads */

int rec_sha256_begin(struct rec_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->size = 0;
	h->ctx = ctx;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		h->ctx = NULL;
		return -ENOMEM;
	}
	return 0;
}

void rec_sha256_update(struct rec_sha256 *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->ctx, p, n);
	h->size += n;
}

void rec_sha256_end(struct rec_sha256 *h, char hex[REC_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];

	if (hex) {
		EVP_DigestFinal_ex(h->ctx, md, NULL);
		for (int i = 0; i < 32; i++) {
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 15];
		}
		hex[64] = '\0';
	}
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int rec_sha256_file(const char *path, char hex[REC_SHA256_HEX], uint64_t *size)
{
	struct rec_sha256 h;
	unsigned char *buf;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(READ_SIZE);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	rc = rec_sha256_begin(&h);
	if (rc)
		goto out;
	while ((n = read(fd, buf, READ_SIZE)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			rec_sha256_end(&h, NULL);
			goto out;
		}
		rec_sha256_update(&h, buf, (size_t)n);
	}
	rec_sha256_end(&h, hex);
	if (size)
		*size = h.size;
out:
	free(buf);
	close(fd);
	return rc;
}
