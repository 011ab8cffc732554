/* consent: see consent.h. */
#include "control/consent.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Deleted at: end of the webinar", "Kept 1y from: webinar date", "Kept without time limit". */
static void period(FILE *f, const struct retention_rule *x)
{
	char d[32];

	if (x->keep.never)
		fputs("Kept without time limit", f);
	else if (strcmp(duration_format(&x->keep, d, sizeof d), "0") == 0)
		fprintf(f, "Deleted at: %s", x->starts);
	else
		fprintf(f, "Kept %s from: %s", d, x->starts);
}

/* One paragraph per kind of data: what, for what, to whom, on what basis, how long. */
static void paragraph(FILE *f, const struct retention *r, enum retention_kind k)
{
	const struct retention_rule *x = &r->rules[k];

	fprintf(f, "- %s: %s. Recipients: %s. Legal basis: %s. ", x->purpose, x->data, x->recipients,
	        x->legal_basis);
	period(f, x);
	fputs(".\n", f);
}

char *consent_text(const struct retention *r, bool recorded, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (!f)
		return NULL;
	fputs("By registering for this webinar you agree to the processing of your personal data below.\n", f);
	paragraph(f, r, RETENTION_PARTICIPANT_IDENTITY);
	paragraph(f, r, RETENTION_PARTICIPANT_PHONE);
	paragraph(f, r, RETENTION_INTERACTION);
	if (recorded) {
		fputs("This webinar is recorded: your name, image or voice may appear in the recording.\n", f);
		paragraph(f, r, RETENTION_RECORDING);
		paragraph(f, r, RETENTION_RECORDING_PUBLISHED);
	}
	paragraph(f, r, RETENTION_CONNECTION_LOGS);
	fprintf(f, "You declare that you are %d years old or older.\n"
	           "You may withdraw this consent at any time, as easily as you gave it, with your personal "
	           "link: your registration and the link are then deleted.\n", CONSENT_MIN_AGE);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*len = n;
	return text;
}

void consent_version(const char *text, size_t len, char out[CONSENT_VERSION_CHARS + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)text, len);
	sodium_bin2hex(out, CONSENT_VERSION_CHARS + 1, h, sizeof h);
}

int consent_current(const struct retention *r, bool recorded, char out[CONSENT_VERSION_CHARS + 1])
{
	size_t len;
	char *text = consent_text(r, recorded, &len);

	if (!text)
		return -ENOMEM;
	consent_version(text, len, out);
	free(text);
	return 0;
}
