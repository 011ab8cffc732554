/* register: the processing register (GDPR art. 30), generated from the
 * retention policy amphi-control loaded (etc/retention.conf) — the same
 * file the daemons enforce, so the register cannot say one thing while the
 * code does another.
 *
 *   GET /api/privacy/register   admin: JSON (docs/control.md, "Processing register"),
 *                               or an HTML page when ?format=html or the
 *                               request's Accept prefers text/html
 *
 * One entry per kind of data: purpose, legal basis, data subjects, data,
 * recipients, retention and the event it runs from, the policy it comes
 * from, and where amphi enforces it (this module's table, which names a
 * place for every kind: a unit test holds it to that).  The deployment's
 * own entries (controller, DPO, transfers, security measures) come from
 * the file's [register] section; those left unset are listed as missing.
 * `amphictl privacy register --md` prints the same document as Markdown. */
#ifndef AMPHI_CONTROL_REGISTER_H
#define AMPHI_CONTROL_REGISTER_H

#include <jansson.h>
#include <stddef.h>

#include "common/retention.h"

struct control;
struct http_router;

/* Where amphi enforces the rule of this kind; never NULL for a real kind. */
const char *register_enforced_by(enum retention_kind k);
/* The register as JSON (a new reference); NULL on ENOMEM. */
json_t *register_json(const struct retention *r);
/* The same register as a self-contained HTML page (malloc'd, NUL-terminated,
 * every text escaped); NULL on ENOMEM. */
char *register_html(const json_t *reg, size_t *len);

int register_routes(struct http_router *r, struct control *app);

#endif
