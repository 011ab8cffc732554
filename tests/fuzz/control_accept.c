/* libFuzzer target: content negotiation on a client's Accept field
 * (control/accept.h).  Nothing may crash or read outside the bytes given,
 * and a weight is a qvalue: at most 1000. */
#include "control/accept.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "text/html", "application/json", "text/markdown" };

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (accept_weight((const char *)data, size, types[i]) > ACCEPT_WEIGHT_MAX)
			abort();
	return 0;
}
