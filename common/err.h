/* err: filling a caller's error buffer, the convention of every API here that
 * takes (char *err, size_t errlen): the message says what failed and why, the
 * return value is the -errno code. */
#ifndef AMPHI_ERR_H
#define AMPHI_ERR_H

#include <stddef.h>

/* Formats into err (when err and errlen are non-zero) and returns rc, so a
 * failing path reads `return err_set(err, errlen, -EINVAL, "bad %s", what);`. */
int err_set(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
