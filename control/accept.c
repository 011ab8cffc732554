/* accept: see accept.h. */
#include "control/accept.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static bool ows(char c) { return c == ' ' || c == '\t'; }

/* A qvalue (RFC 9110 §12.4.2): "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")],
 * in thousandths; -1 when it is not one. */
static int qvalue(const char *p, size_t n)
{
	int q, scale = 100;

	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	q = (p[0] - '0') * ACCEPT_WEIGHT_MAX;
	if (n == 1)
		return q;
	if (p[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9' || (q == ACCEPT_WEIGHT_MAX && p[i] != '0'))
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q;
}

/* How specifically the range [r, r+n) matches type: 3 for the same
 * type/subtype, 2 for the type with a star subtype, 1 for star-slash-star,
 * 0 for no match or not a range. */
static int specificity(const char *r, size_t n, const char *type)
{
	const char *slash = memchr(r, '/', n), *tslash = strchr(type, '/');
	size_t tn = strlen(type), major = slash ? (size_t)(slash - r) : 0;

	if (!slash || !tslash || major == 0 || major + 1 == n)
		return 0;
	if (n == 3 && memcmp(r, "*/*", 3) == 0)
		return 1;
	if (major != (size_t)(tslash - type) || strncasecmp(r, type, major) != 0)
		return 0;
	if (n == major + 2 && r[major + 1] == '*')
		return 2;
	return n == tn && strncasecmp(r, type, n) == 0 ? 3 : 0;
}

unsigned accept_weight(const char *field, size_t len, const char *type)
{
	const char *p = field, *end = field ? field + len : NULL;
	int best = 0, weight = 0;
	bool blank = true;

	if (!field)
		return ACCEPT_WEIGHT_MAX;
	while (p < end) {
		const char *e = memchr(p, ',', (size_t)(end - p)), *r, *re, *q;
		int spec, w = ACCEPT_WEIGHT_MAX;

		if (!e)
			e = end;
		for (r = p; r < e && ows(*r); r++)
			;
		for (re = r; re < e && *re != ';' && !ows(*re); re++)
			;
		if (re > r)
			blank = false;
		spec = specificity(r, (size_t)(re - r), type);
		/* parameters: only q matters here; it ends them (RFC 9110 §12.5.1) */
		for (q = re; spec && q < e;) {
			const char *pe, *v;
			while (q < e && (ows(*q) || *q == ';'))
				q++;
			for (pe = q; pe < e && *pe != ';'; pe++)
				;
			v = pe;
			while (v > q && ows(v[-1]))
				v--;
			if (v - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
				w = qvalue(q + 2, (size_t)(v - q - 2));
				if (w < 0)
					spec = 0;
				break;
			}
			q = pe;
		}
		if (spec > best) {
			best = spec;
			weight = w;
		}
		p = e < end ? e + 1 : end;
	}
	return blank ? ACCEPT_WEIGHT_MAX : (unsigned)weight;
}
