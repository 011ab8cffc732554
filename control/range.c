/* range: see range.h. */
#include "control/range.h"

#include <stdbool.h>
#include <strings.h>

/* OWS (RFC 9110 §5.6.3): spaces and tabs. */
static const char *skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* 1*DIGIT into *out; false when there is no digit or it overflows. */
static bool digits(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*out = v;
	return true;
}

/* One range-spec of §14.1.1, p..end with no surrounding blanks: 1 and the
 * bytes (first, count) when it is satisfiable against size, 0 when it is
 * well-formed but not satisfiable, -1 when it does not parse. */
static int one_spec(const char *p, const char *end, uint64_t size, uint64_t *first, uint64_t *count)
{
	uint64_t a, b;

	if (p < end && *p == '-') {   /* suffix-range: the last b bytes */
		p++;
		if (!digits(&p, end, &b) || p != end)
			return -1;
		if (b == 0 || size == 0)
			return 0;
		*first = b >= size ? 0 : size - b;
		*count = size - *first;
		return 1;
	}
	if (!digits(&p, end, &a) || p == end || *p++ != '-')
		return -1;
	if (p == end) {
		b = UINT64_MAX;
	} else if (!digits(&p, end, &b) || p != end || b < a) {
		return -1;   /* last-pos below first-pos: invalid (§14.1.1) */
	}
	if (a >= size)
		return 0;
	*first = a;
	*count = (b >= size - 1 ? size - 1 : b) - a + 1;
	return 1;
}

enum range_verdict range_parse(const char *value, size_t len, uint64_t size, uint64_t *first,
                               uint64_t *count)
{
	const char *p = value, *end = value + len;
	int specs = 0, satisfiable = 0;
	uint64_t f = 0, c = 0;

	*first = 0;
	*count = size;
	if (!value)
		return RANGE_WHOLE;
	p = skip_ows(p, end);
	if (end - p < 6 || strncasecmp(p, "bytes", 5) != 0)
		return RANGE_WHOLE;
	p = skip_ows(p + 5, end);
	if (p == end || *p++ != '=')
		return RANGE_WHOLE;
	/* range-set = 1#range-spec: empty elements between commas are allowed
	 * (§5.6.1), at least one spec is not. */
	while (p < end) {
		const char *s = skip_ows(p, end), *e = s, *t;
		uint64_t sf = 0, sc = 0;
		int r;

		while (e < end && *e != ',')
			e++;
		p = e < end ? e + 1 : e;
		for (t = e; t > s && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		if (s == t)
			continue;
		r = one_spec(s, t, size, &sf, &sc);
		if (r < 0)
			return RANGE_WHOLE;
		specs++;
		if (r == 1 && satisfiable++ == 0) {
			f = sf;
			c = sc;
		}
	}
	if (specs == 0)
		return RANGE_WHOLE;
	if (satisfiable == 0)
		return RANGE_UNSATISFIABLE;
	if (specs > 1)
		return RANGE_WHOLE;
	*first = f;
	*count = c;
	return RANGE_PART;
}
