/* register: see register.h. */
#include "control/register.h"
#include "control/accept.h"
#include "control/auth.h"
#include "control/control.h"
#include "control/http.h"
#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where each rule is kept: the place a data-protection officer can read,
 * and the test that proves it is in docs/privacy.md.  A kind added to
 * common/retention.h needs its line here (tests/unit/control_register.c). */
static const char *const enforced_by[RETENTION_KINDS] = {
	[RETENTION_ACCOUNT_INACTIVE] = "amphi-control: the retention sweep deletes the account after a warning "
	                               "mail (control/expiry.c, control/sweep.c)",
	[RETENTION_ACCOUNT_DEACTIVATED] = "amphi-control: deleted at deactivation when due, else by the retention "
	                                  "sweep (control/account_state.c, control/expiry.c)",
	[RETENTION_ACCOUNT_SUSPENDED] = "amphi-control: the retention sweep (control/expiry.c)",
	[RETENTION_RECORDING] = "amphi-recstore: each recording's expiry, deleted by the reaper (recstore/reaper.c)",
	[RETENTION_RECORDING_PUBLISHED] = "amphi-recstore: the expiry set at publication, capped by this period "
	                                  "(recstore/store.c), deleted by the reaper",
	[RETENTION_INTERACTION] = "amphi-control: the end-of-webinar deletions (control/webinars.c, "
	                          "webinars_purge, run by the retention sweep)",
	[RETENTION_PARTICIPANT_PHONE] = "amphi-control: the end-of-webinar deletions (control/webinars.c)",
	[RETENTION_PARTICIPANT_IDENTITY] = "amphi-control: the end-of-webinar deletions (control/webinars.c)",
	[RETENTION_CONNECTION_LOGS] = "amphi-control: the retention sweep (control/expiry.c)",
	[RETENTION_ACCESS_LOGS] = "amphi-control: the retention sweep (control/expiry.c)",
	[RETENTION_STATISTICS] = "nothing to delete: counters and ratings are stored without any link to a "
	                         "person (control/stats.c)",
	[RETENTION_RESET_TOKENS] = "amphi-control: a reset token expires after this period and is used once "
	                           "(control/accounts.c); the retention sweep deletes dead ones (control/expiry.c)",
	[RETENTION_PRIVACY_REQUESTS] = "amphi-control: the retention sweep deletes the records (control/expiry.c); "
	                               "the request API is not built yet",
	[RETENTION_AUDIT_LOG] = "amphi-control: the retention sweep (control/expiry.c)",
	[RETENTION_OUTBOX_MAIL] = "amphi-control: the retention sweep deletes outbox files (control/expiry.c)",
	[RETENTION_WEBINAR_UNENDED] = "amphi-control: the retention sweep ends the webinar (control/sweep.c), "
	                              "then the end-of-webinar deletions",
};

const char *register_enforced_by(enum retention_kind k)
{
	return k < RETENTION_KINDS ? enforced_by[k] : NULL;
}

/* A text column: null when the policy left it empty. */
static json_t *text(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *register_json(const struct retention *r)
{
	json_t *reg, *acts = json_array(), *missing = json_array();
	const char *deployment[][2] = { { "controller", r->reg.controller }, { "dpo", r->reg.dpo },
	                                { "transfers", r->reg.transfers }, { "security", r->reg.security } };
	char t[32], d[32];

	if (!acts || !missing || !(reg = json_object())) {
		json_decref(acts);
		json_decref(missing);
		return NULL;
	}
	for (size_t i = 0; i < sizeof deployment / sizeof deployment[0]; i++) {
		json_object_set_new(reg, deployment[i][0], text(deployment[i][1]));
		if (!deployment[i][1] || !*deployment[i][1])
			json_array_append_new(missing, json_string(deployment[i][0]));
	}
	for (int k = 0; k < RETENTION_KINDS; k++) {
		const struct retention_rule *x = &r->rules[k];
		json_array_append_new(acts, json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:s,s:o}",
		                      "category", x->name, "purpose", text(x->purpose),
		                      "legal_basis", text(x->legal_basis), "subjects", text(x->subjects),
		                      "data", text(x->data), "recipients", text(x->recipients),
		                      "retention", duration_format(&x->keep, d, sizeof d),
		                      "retention_starts", text(x->starts), "enforced_by", enforced_by[k],
		                      "source", text(x->source)));
	}
	json_object_set_new(reg, "privacy_requests_answered_within",
	                    json_string(duration_format(&r->respond_within, d, sizeof d)));
	json_object_set_new(reg, "generated_at", json_string(amphi_time_iso(amphi_now(), t, sizeof t)));
	json_object_set_new(reg, "missing", missing);
	json_object_set_new(reg, "activities", acts);
	return reg;
}

/* --- HTML --------------------------------------------------------------------------- */

static void put_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

/* One cell or line from a JSON string member; "—" for null. */
static void put_member(FILE *f, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	put_escaped(f, s ? s : "—");
}

char *register_html(const json_t *reg, size_t *len)
{
	static const char *const cols[][2] = {
		{ "category", "Category" }, { "purpose", "Purpose" }, { "legal_basis", "Legal basis" },
		{ "subjects", "Data subjects" }, { "data", "Personal data" }, { "recipients", "Recipients" },
		{ "retention", "Retention" }, { "retention_starts", "From" }, { "enforced_by", "Enforced by" },
		{ "source", "Source policy" },
	};
	static const char *const deployment[][2] = {
		{ "controller", "Controller" }, { "dpo", "Data-protection officer" },
		{ "transfers", "Transfers outside the EU" }, { "security", "Security measures" },
	};
	char *buf = NULL;
	size_t i, n = 0;
	json_t *a;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>Processing register (GDPR art. 30)</title>"
	      "<link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body><main>\n"
	      "<h1>Processing register</h1>\n<p>GDPR article 30, generated from the retention policy "
	      "amphi enforces, at ", f);
	put_member(f, reg, "generated_at");
	fputs(".</p>\n<dl>\n", f);
	for (i = 0; i < sizeof deployment / sizeof deployment[0]; i++) {
		fprintf(f, "<dt>%s</dt><dd>", deployment[i][1]);
		put_member(f, reg, deployment[i][0]);
		fputs("</dd>\n", f);
	}
	fputs("<dt>Privacy requests answered within</dt><dd>", f);
	put_member(f, reg, "privacy_requests_answered_within");
	fputs("</dd>\n</dl>\n", f);
	if (json_array_size(json_object_get(reg, "missing"))) {
		fputs("<p class=\"warning\">Not set in the policy file's [register] section:", f);
		json_array_foreach(json_object_get(reg, "missing"), i, a) {
			fputc(' ', f);
			put_escaped(f, json_string_value(a));
		}
		fputs(".</p>\n", f);
	}
	fputs("<table>\n<thead><tr>", f);
	for (i = 0; i < sizeof cols / sizeof cols[0]; i++)
		fprintf(f, "<th>%s</th>", cols[i][1]);
	fputs("</tr></thead>\n<tbody>\n", f);
	json_array_foreach(json_object_get(reg, "activities"), i, a) {
		fputs("<tr>", f);
		for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
			fputs("<td>", f);
			put_member(f, a, cols[c][0]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n</main></body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* --- HTTP --------------------------------------------------------------------------- */

/* ?format= decides; else the Accept field, JSON when it has no preference. */
static int wants_html(struct http_req *req, bool *html)
{
	const char *fmt = http_query(req, "format"), *acc;

	if (fmt) {
		if (strcmp(fmt, "html") != 0 && strcmp(fmt, "json") != 0) {
			http_error(req, 400, "invalid_query", "format: expected html or json, got '%s'", fmt);
			return -1;
		}
		*html = strcmp(fmt, "html") == 0;
		return 0;
	}
	acc = http_header(req, "Accept");
	*html = acc && accept_weight(acc, strlen(acc), "text/html") >
	               accept_weight(acc, strlen(acc), "application/json");
	return 0;
}

static void register_get(struct http_req *req)
{
	json_t *reg;
	char *page;
	size_t len;
	bool html;

	if (auth_require(req, AUTH_ADMIN) || wants_html(req, &html))
		return;
	http_set_header(req, "Vary", "Accept");
	http_set_header(req, "Cache-Control", "no-store");
	if (!(reg = register_json(&req->app->retention))) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	if (!html) {
		http_json(req, 200, reg);
		return;
	}
	page = register_html(reg, &len);
	json_decref(reg);
	if (!page) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	http_text(req, 200, "text/html; charset=utf-8", page, len);
	free(page);
}

int register_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "GET", "/api/privacy/register", register_get, app, 0);
}
