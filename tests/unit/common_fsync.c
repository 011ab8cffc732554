/* fsync_dir: a directory is synced; what is not one says why. */
#include "tests/harness.h"
#include "common/fsync.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static char dir[] = "/tmp/amphi-fsync-XXXXXX";

TEST(syncs_a_directory)
{
	CHECK_INT(fsync_dir(dir), ==, 0);
}

TEST(reports_what_is_not_one)
{
	char path[sizeof dir + 16];
	int fd;

	snprintf(path, sizeof path, "%s/missing", dir);
	CHECK_INT(fsync_dir(path), ==, -ENOENT);
	snprintf(path, sizeof path, "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(fsync_dir(path), ==, -ENOTDIR);
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(dir))
		SKIP("mkdtemp: %s", strerror(errno));
	RUN(syncs_a_directory);
	RUN(reports_what_is_not_one);
	rmdir(dir);
	return harness_done();
}
