/* fsync: see fsync.h. */
#include "common/fsync.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
