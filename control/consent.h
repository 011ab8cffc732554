/* consent: what a registrant agrees to (GDPR art. 7), generated from the
 * retention policy — the same file the daemons enforce — so the text shown
 * says what is done, and its version says which text was shown.  Pure
 * functions: registrations.c serves the text (GET
 * /api/webinars/{id}/consent) and records the version agreed to.
 *
 * The version is the SHA-256 of the text, in hex: a registration records
 * the version it agreed to with its time (registrations.c), and a client
 * that showed an older text is told so (409) instead of having a consent it
 * never saw recorded.  The text depends on the policy file and on whether
 * the webinar is recorded.  Registration also needs the participant to
 * declare being CONSENT_MIN_AGE or older (LiveMentor's policy). */
#ifndef AMPHI_CONTROL_CONSENT_H
#define AMPHI_CONTROL_CONSENT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/retention.h"

#define CONSENT_MIN_AGE 15
#define CONSENT_VERSION_CHARS 64   /* SHA-256, hex */

/* The consent text for a webinar, recorded or not: malloc'd, NUL-terminated,
 * *len bytes; NULL on ENOMEM. */
char *consent_text(const struct retention *r, bool recorded, size_t *len);
/* out = the version of the text (hex SHA-256, NUL-terminated). */
void consent_version(const char *text, size_t len, char out[CONSENT_VERSION_CHARS + 1]);
/* The version current for a webinar.  0 or -ENOMEM. */
int consent_current(const struct retention *r, bool recorded, char out[CONSENT_VERSION_CHARS + 1]);

#endif
