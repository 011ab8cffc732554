/* libFuzzer target: the SMTP client's reply parser (control/smtp.c), which
 * reads whatever a mail server (or whoever answers on its port) sends.  It
 * must never read past the bytes given, must consume at most them, and must
 * agree with itself: a complete reply parsed again alone gives the same
 * answer. */
#include "control/smtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so ASan catches a read one byte past the end. */
	char *buf = malloc(size ? size : 1);
	struct smtp_reply r, again;
	int n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	n = smtp_reply_parse(buf, size, &r);
	if (n > (int)size)
		abort();
	if (n > 0) {
		if (r.code < 100 || r.code > 599 || memchr(r.text, 0, sizeof r.text) == NULL)
			abort();
		if (smtp_reply_parse(buf, (size_t)n, &again) != n || again.code != r.code ||
		    again.starttls != r.starttls || again.auth_plain != r.auth_plain ||
		    again.auth_login != r.auth_login)
			abort();
	}
	free(buf);
	return 0;
}
