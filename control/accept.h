/* accept: proactive content negotiation on a request's Accept field (RFC
 * 9110 §12.5.1), for the few resources amphi-control serves in more than
 * one form (the processing register: JSON or HTML).
 *
 * A pure function over the field's bytes (length given, NUL bytes allowed),
 * with a libFuzzer target, tests/fuzz/control_accept.c. */
#ifndef AMPHI_CONTROL_ACCEPT_H
#define AMPHI_CONTROL_ACCEPT_H

#include <stddef.h>

#define ACCEPT_WEIGHT_MAX 1000     /* q=1 */

/* The weight, 0..ACCEPT_WEIGHT_MAX, that the Accept field value gives the
 * media type `type` ("text/html", lower case): the qvalue of the most
 * specific media range that matches it (an exact "type/subtype" before
 * "type/" with a star, before the star-slash-star range; the first of equals), 0 when none does.  A missing or blank field
 * accepts everything (ACCEPT_WEIGHT_MAX).  Elements that do not parse (no
 * slash, a bad qvalue) are skipped, as a recipient may. */
unsigned accept_weight(const char *field, size_t len, const char *type);

#endif
