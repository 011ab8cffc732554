/* retention: the retention policy file, etc/retention.conf (DESIGN.md §9).
 *
 * One section per kind of data, all required, each with a retention period
 * and the processing-register columns.  All three daemons load the same file:
 * amphi-recstore for recording expiry, amphi-control for everything else and
 * for /api/privacy/register.  A loaded policy owns its strings. */
#ifndef AMPHI_RETENTION_H
#define AMPHI_RETENTION_H

#include <stddef.h>
#include "common/duration.h"

enum retention_kind {
	RETENTION_ACCOUNT_INACTIVE,     /* since last login */
	RETENTION_ACCOUNT_DEACTIVATED,  /* since deactivation */
	RETENTION_ACCOUNT_SUSPENDED,    /* since suspension */
	RETENTION_RECORDING,            /* since the webinar date */
	RETENTION_RECORDING_PUBLISHED,  /* maximum, since the webinar date, once published */
	RETENTION_INTERACTION,          /* chat, questions, votes: since the webinar's end */
	RETENTION_PARTICIPANT_PHONE,    /* since the webinar's end */
	RETENTION_PARTICIPANT_IDENTITY, /* since the webinar's end, or with a published recording */
	RETENTION_CONNECTION_LOGS,
	RETENTION_ACCESS_LOGS,
	RETENTION_STATISTICS,           /* anonymous aggregates: normally never */
	RETENTION_RESET_TOKENS,
	RETENTION_PRIVACY_REQUESTS,     /* the request record; see respond_within */
	RETENTION_AUDIT_LOG,            /* who changed what: since the entry */
	RETENTION_OUTBOX_MAIL,          /* a mail file in the outbox: since it was written */
	RETENTION_WEBINAR_UNENDED,      /* a webinar never started: since its start time; see live_idle */
	RETENTION_KINDS
};

struct retention_rule {
	const char *name;          /* the section name, static */
	struct duration keep;
	char *starts, *purpose, *legal_basis, *subjects, *data, *recipients, *source;
};

/* The optional [register] section: what the processing register says once
 * for the whole deployment (GDPR art. 30(1)(a), (e), (g)).  "" when unset. */
struct retention_register {
	char *controller;          /* the controller's name and contact details */
	char *dpo;                 /* the data-protection officer's contact */
	char *transfers;           /* transfers to third countries, and their safeguards */
	char *security;            /* the technical and organisational measures */
};

struct retention {
	struct retention_rule rules[RETENTION_KINDS];
	struct duration respond_within;   /* privacy requests must be answered within */
	struct duration warn_before;      /* [account_inactive]: the warning mail, before the deletion */
	struct duration live_idle;        /* [webinar_unended]: a live webinar without media is ended */
	struct retention_register reg;
};

/* 0, or -EINVAL/-ENOENT with "file:line: reason" in err; *out untouched on failure. */
int retention_load(const char *path, struct retention *out, char *err, size_t errlen);
int retention_parse(const char *name, const char *text, size_t len, struct retention *out,
                    char *err, size_t errlen);
void retention_free(struct retention *r);

const char *retention_kind_name(enum retention_kind k);

/* now + the rule's period (INT64_MAX for never). */
static inline int64_t retention_deadline(const struct retention *r, enum retention_kind k, int64_t start)
{
	return duration_add(start, &r->rules[k].keep);
}

/* now - the rule's period (INT64_MIN for never): every datum that started at
 * or before it is due ("WHERE at <= cutoff"), never one still within its
 * period.  Exact to the second, but around a month's end, where calendar
 * clamping (31 January + 1mo = 28 February) can make it up to three days
 * late, never early. */
static inline int64_t retention_cutoff(const struct retention *r, enum retention_kind k, int64_t now)
{
	return duration_sub(now, &r->rules[k].keep);
}

#endif
