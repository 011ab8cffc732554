/* config: see config.h.  Entries live in one array in file order; configs are
 * small (tens of keys), so lookups are linear. */
#include "common/config.h"
#include "common/duration.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_MAX_FILE (1 << 20)   /* a config file larger than 1 MiB is a mistake */

struct config_entry {
	char *section;
	char *key;
	char *value;
	unsigned line;   /* 0: set from the command line */
};

struct config {
	char *name;
	struct config_entry *entries;
	size_t n, cap;
	char **sections;   /* distinct section names in file order */
	size_t nsections;
	char error[512];
};

static void set_error(struct config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct config *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg->error, sizeof cfg->error, fmt, ap);
	va_end(ap);
}

struct config *config_new_empty(const char *name)
{
	struct config *cfg = calloc(1, sizeof *cfg);

	if (!cfg)
		return NULL;
	cfg->name = strdup(name);
	if (!cfg->name) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->entries[i].section);
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
	}
	for (size_t i = 0; i < cfg->nsections; i++)
		free(cfg->sections[i]);
	free(cfg->sections);
	free(cfg->entries);
	free(cfg->name);
	free(cfg);
}

const char *config_error(const struct config *cfg) { return cfg->error; }
const char *config_name(const struct config *cfg) { return cfg->name; }

static struct config_entry *find(const struct config *cfg, const char *section, const char *key)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (strcmp(cfg->entries[i].section, section) == 0 &&
		    strcmp(cfg->entries[i].key, key) == 0)
			return &cfg->entries[i];
	return NULL;
}

static int add_section(struct config *cfg, const char *section)
{
	char **ns;

	for (size_t i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i], section) == 0)
			return 0;
	ns = realloc(cfg->sections, (cfg->nsections + 1) * sizeof *ns);
	if (!ns)
		return -ENOMEM;
	cfg->sections = ns;
	ns[cfg->nsections] = strdup(section);
	if (!ns[cfg->nsections])
		return -ENOMEM;
	cfg->nsections++;
	return 0;
}

static int add_entry(struct config *cfg, const char *section, const char *key,
                     const char *value, unsigned line)
{
	struct config_entry *e;

	if (add_section(cfg, section))
		return -ENOMEM;
	if (cfg->n == cfg->cap) {
		size_t cap = cfg->cap ? cfg->cap * 2 : 16;
		e = realloc(cfg->entries, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		cfg->entries = e;
		cfg->cap = cap;
	}
	e = &cfg->entries[cfg->n];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = line;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -ENOMEM;
	}
	cfg->n++;
	return 0;
}

int config_set(struct config *cfg, const char *section, const char *key, const char *value)
{
	struct config_entry *e = find(cfg, section, key);
	char *v;

	if (!e)
		return add_entry(cfg, section, key, value, 0);
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	free(e->value);
	e->value = v;
	e->line = 0;
	return 0;
}

static int is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* Unquotes a "..." value in place; returns NULL on a malformed one. */
static char *unquote(char *v)
{
	char *o = v, *p = v + 1;

	for (;;) {
		if (*p == '\0')
			return NULL;            /* no closing quote */
		if (*p == '"')
			break;
		if (*p == '\\') {
			p++;
			if (*p == 'n')
				*o++ = '\n';
			else if (*p == '"' || *p == '\\')
				*o++ = *p;
			else
				return NULL;
			p++;
			continue;
		}
		*o++ = *p++;
	}
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' && *p != '#')
		return NULL;                    /* text after the closing quote */
	*o = '\0';
	return v;
}

struct config *config_parse(const char *name, const char *text, size_t len,
                            char *err, size_t errlen)
{
	struct config *cfg = config_new_empty(name);
	char section[128] = "";
	unsigned lineno = 0;
	size_t pos = 0;
	char line[4096];

	if (!cfg) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	while (pos < len) {
		size_t end = pos, n;
		char *p, *eq, *key, *value, *q;

		while (end < len && text[end] != '\n')
			end++;
		n = end - pos;
		lineno++;
		if (n >= sizeof line) {
			snprintf(err, errlen, "%s:%u: line longer than %zu bytes", name, lineno, sizeof line - 1);
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = end + 1;
		if (memchr(line, '\0', n)) {
			snprintf(err, errlen, "%s:%u: NUL byte in line", name, lineno);
			goto fail;
		}
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			q = strchr(p, ']');
			if (!q || q == p + 1 || (size_t)(q - p - 1) >= sizeof section) {
				snprintf(err, errlen, "%s:%u: malformed section header", name, lineno);
				goto fail;
			}
			for (char *c = p + 1; c < q; c++)
				if (!is_name_char((unsigned char)*c)) {
					snprintf(err, errlen, "%s:%u: bad character in section name", name, lineno);
					goto fail;
				}
			for (char *c = q + 1; *c; c++)
				if (*c != ' ' && *c != '\t') {
					if (*c == '#' || *c == ';')
						break;
					snprintf(err, errlen, "%s:%u: text after section header", name, lineno);
					goto fail;
				}
			memcpy(section, p + 1, (size_t)(q - p - 1));
			section[q - p - 1] = '\0';
			if (add_section(cfg, section))
				goto oom;
			continue;
		}
		eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", name, lineno);
			goto fail;
		}
		key = p;
		q = eq;
		while (q > key && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		*q = '\0';
		if (*key == '\0') {
			snprintf(err, errlen, "%s:%u: empty key", name, lineno);
			goto fail;
		}
		for (char *c = key; *c; c++)
			if (!is_name_char((unsigned char)*c)) {
				snprintf(err, errlen, "%s:%u: bad character in key name", name, lineno);
				goto fail;
			}
		value = eq + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		if (*value == '"') {
			if (!unquote(value)) {
				snprintf(err, errlen, "%s:%u: key '%s': malformed quoted value", name, lineno, key);
				goto fail;
			}
		} else {
			q = value + strlen(value);
			/* " #" starts a trailing comment in an unquoted value */
			for (char *c = value; *c; c++)
				if (*c == '#' && (c == value || c[-1] == ' ' || c[-1] == '\t')) {
					q = c;
					break;
				}
			while (q > value && (q[-1] == ' ' || q[-1] == '\t'))
				q--;
			*q = '\0';
		}
		if (find(cfg, section, key)) {
			snprintf(err, errlen, "%s:%u: key '%s' repeated in [%s]", name, lineno, key, section);
			goto fail;
		}
		if (add_entry(cfg, section, key, value, lineno))
			goto oom;
	}
	return cfg;
oom:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	config_free(cfg);
	return NULL;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	if (n > CONFIG_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_FILE);
		goto out;
	}
	cfg = config_parse(path, buf, n, err, errlen);
out:
	free(buf);
	fclose(f);
	return cfg;
}

static const char *where(const struct config *cfg, const struct config_entry *e, char *buf, size_t len)
{
	if (e->line)
		snprintf(buf, len, "%s:%u", cfg->name, e->line);
	else
		snprintf(buf, len, "command line");
	return buf;
}

bool config_has(const struct config *cfg, const char *section, const char *key)
{
	return find(cfg, section, key) != NULL;
}

int config_get_str(struct config *cfg, const char *section, const char *key,
                   const char *def, const char **out)
{
	struct config_entry *e = find(cfg, section, key);

	*out = e ? e->value : def;
	return 0;
}

int config_get_int(struct config *cfg, const char *section, const char *key,
                   long long def, long long min, long long max, long long *out)
{
	struct config_entry *e = find(cfg, section, key);
	char at[300];
	long long v;
	char *end;

	if (!e) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoll(e->value, &end, 0);
	if (errno || end == e->value || *end != '\0') {
		set_error(cfg, "%s: [%s] %s: expected an integer, got '%s'",
		          where(cfg, e, at, sizeof at), section, key, e->value);
		return -EINVAL;
	}
	if (v < min || v > max) {
		set_error(cfg, "%s: [%s] %s: %lld is outside %lld..%lld",
		          where(cfg, e, at, sizeof at), section, key, v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int config_get_bool(struct config *cfg, const char *section, const char *key,
                    bool def, bool *out)
{
	struct config_entry *e = find(cfg, section, key);
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	char at[300];

	if (!e) {
		*out = def;
		return 0;
	}
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(e->value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(e->value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	set_error(cfg, "%s: [%s] %s: expected yes or no, got '%s'",
	          where(cfg, e, at, sizeof at), section, key, e->value);
	return -EINVAL;
}

int config_get_duration(struct config *cfg, const char *section, const char *key,
                        const char *def, struct duration *out)
{
	struct config_entry *e = find(cfg, section, key);
	const char *v = e ? e->value : def;
	char at[300];

	if (duration_parse(v, out) == 0)
		return 0;
	if (e)
		set_error(cfg, "%s: [%s] %s: expected a duration such as 30s, 15m, 12mo or 5y, got '%s'",
		          where(cfg, e, at, sizeof at), section, key, v);
	else
		set_error(cfg, "%s: [%s] %s: bad built-in default '%s'", cfg->name, section, key, v);
	return -EINVAL;
}

int config_check_keys(struct config *cfg, const char *section, const char *const known[])
{
	char at[300];

	for (size_t i = 0; i < cfg->n; i++) {
		struct config_entry *e = &cfg->entries[i];
		size_t k;

		if (strcmp(e->section, section) != 0)
			continue;
		for (k = 0; known[k]; k++)
			if (strcmp(known[k], e->key) == 0)
				break;
		if (!known[k]) {
			set_error(cfg, "%s: [%s] unknown key '%s'", where(cfg, e, at, sizeof at), section, e->key);
			return -EINVAL;
		}
	}
	return 0;
}

const char *config_section_at(const struct config *cfg, size_t idx)
{
	return idx < cfg->nsections ? cfg->sections[idx] : NULL;
}

const char *config_key_at(const struct config *cfg, const char *section, size_t idx,
                          const char **value)
{
	for (size_t i = 0; i < cfg->n; i++) {
		if (strcmp(cfg->entries[i].section, section) != 0)
			continue;
		if (idx-- == 0) {
			if (value)
				*value = cfg->entries[i].value;
			return cfg->entries[i].key;
		}
	}
	return NULL;
}
