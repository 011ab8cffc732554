/* libFuzzer target: the Range header of GET /api/recordings/{id}/media
 * (control/range.h) on whatever a client sends, against sizes taken from the
 * input's first byte.  Nothing may crash, and a verdict must hold to its
 * rules: a part lies inside the file and is not empty; otherwise the answer
 * covers the whole file. */
#include "control/range.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = { 0, 1, 100, 1000, 1 << 20, UINT64_MAX / 2, UINT64_MAX };
	uint64_t fsize, first, count;
	enum range_verdict v;

	if (size == 0)
		return 0;
	fsize = sizes[data[0] % (sizeof sizes / sizeof *sizes)];
	v = range_parse((const char *)data + 1, size - 1, fsize, &first, &count);
	if (v == RANGE_PART) {
		if (count == 0 || first >= fsize || count > fsize - first)
			abort();
	} else if (first != 0 || count != fsize || (v != RANGE_WHOLE && v != RANGE_UNSATISFIABLE)) {
		abort();
	}
	return 0;
}
