/* retention: see retention.h. */
#include "common/retention.h"
#include "common/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[RETENTION_KINDS] = {
	[RETENTION_ACCOUNT_INACTIVE] = "account_inactive",
	[RETENTION_ACCOUNT_DEACTIVATED] = "account_deactivated",
	[RETENTION_ACCOUNT_SUSPENDED] = "account_suspended",
	[RETENTION_RECORDING] = "recording",
	[RETENTION_RECORDING_PUBLISHED] = "recording_published",
	[RETENTION_INTERACTION] = "interaction",
	[RETENTION_PARTICIPANT_PHONE] = "participant_phone",
	[RETENTION_PARTICIPANT_IDENTITY] = "participant_identity",
	[RETENTION_CONNECTION_LOGS] = "connection_logs",
	[RETENTION_ACCESS_LOGS] = "access_logs",
	[RETENTION_STATISTICS] = "statistics",
	[RETENTION_RESET_TOKENS] = "password_reset_tokens",
	[RETENTION_PRIVACY_REQUESTS] = "privacy_requests",
	[RETENTION_AUDIT_LOG] = "audit_log",
	[RETENTION_OUTBOX_MAIL] = "outbox_mail",
	[RETENTION_WEBINAR_UNENDED] = "webinar_unended",
};

/* A rule's texts, in struct retention_rule's order after "retention". */
static const char *const rule_keys[] = {
	"retention", "starts", "purpose", "legal_basis", "subjects", "data", "recipients", "source", NULL
};
/* The keys some sections have besides, with their defaults. */
static const struct {
	enum retention_kind kind;
	const char *key, *def;
	size_t offset;
} extra_keys[] = {
	{ RETENTION_PRIVACY_REQUESTS, "respond_within", "1mo", offsetof(struct retention, respond_within) },
	{ RETENTION_ACCOUNT_INACTIVE, "warn_before", "30d", offsetof(struct retention, warn_before) },
	{ RETENTION_WEBINAR_UNENDED, "live_idle", "6h", offsetof(struct retention, live_idle) },
};
#define REGISTER_SECTION "register"
static const char *const register_keys[] = { "controller", "dpo", "transfers", "security", NULL };

const char *retention_kind_name(enum retention_kind k)
{
	return k < RETENTION_KINDS ? kind_names[k] : "?";
}

void retention_free(struct retention *r)
{
	for (int k = 0; k < RETENTION_KINDS; k++) {
		struct retention_rule *rule = &r->rules[k];
		free(rule->starts);
		free(rule->purpose);
		free(rule->legal_basis);
		free(rule->subjects);
		free(rule->data);
		free(rule->recipients);
		free(rule->source);
		memset(rule, 0, sizeof *rule);
	}
	free(r->reg.controller);
	free(r->reg.dpo);
	free(r->reg.transfers);
	free(r->reg.security);
	memset(&r->reg, 0, sizeof r->reg);
}

/* *out = a copy of the value, "" when absent.  0 or -ENOMEM. */
static int text_copy(struct config *cfg, const char *section, const char *key, char **out, char *err,
                     size_t errlen)
{
	const char *s;

	config_get_str(cfg, section, key, "", &s);
	if (!(*out = strdup(s))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int from_config(struct config *cfg, struct retention *out, char *err, size_t errlen)
{
	struct retention r;
	const char *s;

	memset(&r, 0, sizeof r);
	for (size_t i = 0; (s = config_section_at(cfg, i)); i++) {
		int known = strcmp(s, REGISTER_SECTION) == 0;
		for (int k = 0; k < RETENTION_KINDS; k++)
			known |= strcmp(s, kind_names[k]) == 0;
		if (!known) {
			snprintf(err, errlen, "%s: unknown section [%s]", config_name(cfg), s);
			return -EINVAL;
		}
	}
	for (int k = 0; k < RETENTION_KINDS; k++) {
		struct retention_rule *rule = &r.rules[k];
		const char *name = kind_names[k];
		char **texts[] = { &rule->starts, &rule->purpose, &rule->legal_basis, &rule->subjects,
		                   &rule->data, &rule->recipients, &rule->source };
		const char *keys[sizeof rule_keys / sizeof *rule_keys + 1];
		size_t nk = 0;

		for (size_t i = 0; rule_keys[i]; i++)
			keys[nk++] = rule_keys[i];
		for (size_t i = 0; i < sizeof extra_keys / sizeof *extra_keys; i++)
			if (extra_keys[i].kind == (enum retention_kind)k)
				keys[nk++] = extra_keys[i].key;
		keys[nk] = NULL;

		rule->name = name;
		if (!config_has(cfg, name, "retention")) {
			snprintf(err, errlen, "%s: [%s] retention is missing (every kind of data needs one)",
			         config_name(cfg), name);
			goto fail;
		}
		if (config_check_keys(cfg, name, keys) ||
		    config_get_duration(cfg, name, "retention", "0", &rule->keep)) {
			snprintf(err, errlen, "%s", config_error(cfg));
			goto fail;
		}
		for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
			if (text_copy(cfg, name, rule_keys[t + 1], texts[t], err, errlen))
				goto fail;
	}
	if (config_check_keys(cfg, REGISTER_SECTION, register_keys)) {
		snprintf(err, errlen, "%s", config_error(cfg));
		goto fail;
	}
	{
		char **texts[] = { &r.reg.controller, &r.reg.dpo, &r.reg.transfers, &r.reg.security };
		for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
			if (text_copy(cfg, REGISTER_SECTION, register_keys[t], texts[t], err, errlen))
				goto fail;
	}
	for (size_t i = 0; i < sizeof extra_keys / sizeof *extra_keys; i++)
		if (config_get_duration(cfg, kind_names[extra_keys[i].kind], extra_keys[i].key, extra_keys[i].def,
		                        (struct duration *)((char *)&r + extra_keys[i].offset))) {
			snprintf(err, errlen, "%s", config_error(cfg));
			goto fail;
		}
	if (duration_cmp_at(0, &r.rules[RETENTION_RECORDING_PUBLISHED].keep,
	                    &r.rules[RETENTION_RECORDING].keep) < 0) {
		snprintf(err, errlen, "%s: [recording_published] retention is shorter than [recording]'s",
		         config_name(cfg));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	retention_free(&r);
	return -EINVAL;
}

int retention_parse(const char *name, const char *text, size_t len, struct retention *out,
                    char *err, size_t errlen)
{
	struct config *cfg = config_parse(name, text, len, err, errlen);
	int r;

	if (!cfg)
		return -EINVAL;
	r = from_config(cfg, out, err, errlen);
	config_free(cfg);
	return r;
}

int retention_load(const char *path, struct retention *out, char *err, size_t errlen)
{
	struct config *cfg = config_load(path, err, errlen);
	int r;

	if (!cfg)
		return -EINVAL;
	r = from_config(cfg, out, err, errlen);
	config_free(cfg);
	return r;
}
