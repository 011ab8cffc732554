/* Fuzz target: the device cookie's value (control/devcookie.c
 * devcookie_parse), which every login may send.  Whatever parses must format
 * back to the same text, and a cookie signed with a key must carry the tag
 * devcookie_sign gives, and no other account's. */
#include "control/devcookie.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[DEVCOOKIE_KEY_BYTES] = "amphi fuzz key, 32 bytes long..";
	struct devcookie c, back;
	char text[DEVCOOKIE_CHARS + 1];
	unsigned char tag[32], other[32];

	if (devcookie_parse((const char *)data, size, &c) != 0)
		return 0;
	devcookie_format(&c, text);
	if (size != DEVCOOKIE_CHARS || memcmp(text, data, size) != 0)
		abort();
	devcookie_sign(&c, key, 42, c.tag);
	devcookie_format(&c, text);
	if (devcookie_parse(text, strlen(text), &back) != 0 || memcmp(&back.nonce, &c.nonce, sizeof c.nonce) ||
	    back.issued_at != c.issued_at)
		abort();
	devcookie_sign(&back, key, 42, tag);
	devcookie_sign(&back, key, 43, other);
	if (memcmp(tag, back.tag, sizeof tag) != 0 || memcmp(other, back.tag, sizeof other) == 0)
		abort();
	return 0;
}
