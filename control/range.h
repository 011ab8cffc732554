/* range: the Range header of a GET (RFC 9110 §14), read against a
 * representation of a known size — what GET /api/recordings/{id}/media needs
 * to serve players that seek and downloads that resume.
 *
 * amphi answers byte ranges only, and one range at most: a single satisfiable
 * range is a 206 with Content-Range; a multi-range request is answered with
 * the whole representation (200), as §14.2 lets a server ignore Range, unless
 * none of its ranges is satisfiable (416).  A header that does not parse, or a
 * unit other than "bytes", is ignored (§14.2: 200, not an error).
 *
 * Pure functions over bytes (length given, NUL bytes allowed), no state: the
 * media handler feeds them the request's header, the unit test and the fuzz
 * target tests/fuzz/control_range.c anything. */
#ifndef AMPHI_CONTROL_RANGE_H
#define AMPHI_CONTROL_RANGE_H

#include <stddef.h>
#include <stdint.h>

enum range_verdict {
	RANGE_WHOLE = 0,          /* no (usable) Range: 200 with everything */
	RANGE_PART = 1,           /* one satisfiable range: 206 */
	RANGE_UNSATISFIABLE = 2,  /* 416 with Content-Range: bytes * / size */
};

/* Reads value (len bytes; NULL: no header) against size bytes.  On RANGE_PART
 * *first and *count (> 0, first + count <= size) give the bytes to send;
 * otherwise they are 0 and size. */
enum range_verdict range_parse(const char *value, size_t len, uint64_t size, uint64_t *first,
                               uint64_t *count);

#endif
