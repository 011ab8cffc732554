/* recstore/sha256: the one checksum of a blob — FIPS 180-2 vectors for a
 * whole file and for a stream fed in uneven pieces, an empty file, a missing
 * one (real files in a temporary folder). */
#include "tests/harness.h"
#include "recstore/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* FIPS 180-2 appendix B.1 ("abc") and B.2 (the 448-bit message). */
#define ABC "abc"
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define B2 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define B2_SHA256 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char dir[64];

static int write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = fd >= 0 && write(fd, p, n) == (ssize_t)n ? 0 : -EIO;

	if (fd >= 0)
		close(fd);
	return rc;
}

TEST(file_vectors)
{
	char path[128], hex[REC_SHA256_HEX];
	uint64_t size = 1;

	snprintf(path, sizeof path, "%s/abc", dir);
	CHECK_INT(write_file(path, ABC, 3), ==, 0);
	CHECK_INT(rec_sha256_file(path, hex, &size), ==, 0);
	CHECK_STR(hex, ABC_SHA256);
	CHECK_INT(size, ==, 3);
	snprintf(path, sizeof path, "%s/empty", dir);
	CHECK_INT(write_file(path, "", 0), ==, 0);
	CHECK_INT(rec_sha256_file(path, hex, &size), ==, 0);
	CHECK_STR(hex, EMPTY_SHA256);
	CHECK_INT(size, ==, 0);
	snprintf(path, sizeof path, "%s/missing", dir);
	CHECK_INT(rec_sha256_file(path, hex, &size), ==, -ENOENT);
}

TEST(stream_in_pieces)
{
	struct rec_sha256 h;
	char hex[REC_SHA256_HEX];
	const char *m = B2;

	CHECK_INT(rec_sha256_begin(&h), ==, 0);
	rec_sha256_update(&h, m, 1);
	rec_sha256_update(&h, m + 1, 0);
	rec_sha256_update(&h, m + 1, 30);
	rec_sha256_update(&h, m + 31, strlen(B2) - 31);
	rec_sha256_end(&h, hex);
	CHECK_STR(hex, B2_SHA256);
	CHECK_INT(h.size, ==, strlen(B2));
	/* Ended without a digest (a failed copy): nothing leaks, under ASan. */
	CHECK_INT(rec_sha256_begin(&h), ==, 0);
	rec_sha256_update(&h, m, 3);
	rec_sha256_end(&h, NULL);
	CHECK(h.ctx == NULL);
}

/* A file larger than one read: the file and the stream agree. */
TEST(file_equals_stream)
{
	size_t n = (3u << 20) + 12345;
	unsigned char *buf = malloc(n);
	char path[128], a[REC_SHA256_HEX], b[REC_SHA256_HEX];
	struct rec_sha256 h;
	uint64_t size = 0;

	CHECK(buf != NULL);
	if (!buf)
		return;
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	snprintf(path, sizeof path, "%s/big", dir);
	CHECK_INT(write_file(path, buf, n), ==, 0);
	CHECK_INT(rec_sha256_file(path, a, &size), ==, 0);
	CHECK_INT(size, ==, n);
	CHECK_INT(rec_sha256_begin(&h), ==, 0);
	rec_sha256_update(&h, buf, n);
	rec_sha256_end(&h, b);
	CHECK_STR(a, b);
	free(buf);
}

int main(void)
{
	char cmd[96];

	snprintf(dir, sizeof dir, "/tmp/amphi-sha256-test.XXXXXX");
	if (!mkdtemp(dir))
		SKIP("mkdtemp failed");
	RUN(file_vectors);
	RUN(stream_in_pieces);
	RUN(file_equals_stream);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return harness_done();
}
