/* config: the configuration file format shared by every daemon (docs/config.md).
 *
 *   # comment                 (a line whose first non-blank is # or ;)
 *   [section]                 keys before the first section are in section ""
 *   key = value               value runs to the end of the line, trimmed;
 *                             "double quotes" keep spaces and allow \" \\ \n
 *
 * Keys and sections are [A-Za-z0-9_.-]+; a key repeated in one section is an
 * error.  A parsed config owns copies of all its text.  Getters report errors
 * that name the file, the line and the key; the message is kept in the config
 * (config_error) until the next failing call. */
#ifndef AMPHI_CONFIG_H
#define AMPHI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct duration;
struct config;

/* Loads path.  On failure returns NULL and writes "path:line: reason" to err.
 * A missing file is an error: callers that accept no file skip the call. */
struct config *config_load(const char *path, char *err, size_t errlen);
/* Parses text of len bytes; name is used in messages (a path, "<builtin>"). */
struct config *config_parse(const char *name, const char *text, size_t len,
                            char *err, size_t errlen);
struct config *config_new_empty(const char *name);
void config_free(struct config *cfg);

const char *config_error(const struct config *cfg);
const char *config_name(const struct config *cfg);

/* Getters: 0 with *out set (to def when the key is absent), or -EINVAL with
 * config_error() saying "file:line: [section] key: expected ..., got '...'". */
int config_get_str(struct config *cfg, const char *section, const char *key,
                   const char *def, const char **out);
int config_get_int(struct config *cfg, const char *section, const char *key,
                   long long def, long long min, long long max, long long *out);
int config_get_bool(struct config *cfg, const char *section, const char *key,
                    bool def, bool *out);
int config_get_duration(struct config *cfg, const char *section, const char *key,
                        const char *def, struct duration *out);

bool config_has(const struct config *cfg, const char *section, const char *key);

/* Fails with a message naming the first key of section that is not listed in
 * known (NULL-terminated): catches typos that would otherwise be ignored. */
int config_check_keys(struct config *cfg, const char *section, const char *const known[]);

/* Iteration over sections, in file order: idx from 0 until NULL. */
const char *config_section_at(const struct config *cfg, size_t idx);
/* Iteration over a section's keys, in file order: idx from 0 until NULL. */
const char *config_key_at(const struct config *cfg, const char *section, size_t idx,
                          const char **value);

/* Overrides (or adds) a value, e.g. from a command-line flag; line 0 in
 * messages reads "command line".  0 or -ENOMEM. */
int config_set(struct config *cfg, const char *section, const char *key, const char *value);

#endif
