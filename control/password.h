/* password: the password rules of CNIL Délibération 2022-100 (DESIGN.md §7)
 * and the generator of initial passwords.
 *
 * A password is accepted when its estimated entropy reaches 80 bits in one of
 * the three ways the recommendation gives as examples:
 *   - at least 12 characters with upper case, lower case, digits and special
 *     characters (anything else: punctuation, spaces, non-ASCII letters);
 *   - at least 14 characters with three of those four classes;
 *   - a passphrase of at least 7 words (words: runs of 2+ letters or digits
 *     separated by spaces or punctuation);
 * it is not in the breach list (breach.h: "Password123!", "Azerty123456!"),
 * and none of the person's own identifiers appears in it (case-insensitive):
 * first name, last name (each when 3+ characters), the email address, its
 * local part (when 3+ characters).  At most PASSWORD_MAX_BYTES bytes, valid
 * UTF-8 and no control characters.  Lengths count characters, not bytes. */
#ifndef AMPHI_CONTROL_PASSWORD_H
#define AMPHI_CONTROL_PASSWORD_H

#include <jansson.h>
#include <stddef.h>

#define PASSWORD_MAX_BYTES 256
#define PASSWORD_MIN_WORDS 7

/* Checks pw against the rules for the person (any identifier may be NULL).
 * Returns 0 when acceptable, -EINVAL otherwise after appending one
 * {"rule": "...", "message": "..."} object per unmet rule to unmet (a JSON
 * array owned by the caller; may be NULL).  Rules: "min_length",
 * "character_classes", "passphrase_words", "max_length", "invalid_characters",
 * "breached", "contains_name", "contains_email". */
int password_check(const char *pw, const char *first_name, const char *last_name,
                   const char *email, json_t *unmet);

/* Writes a random 20-character password with all four classes (passes the
 * rules for anyone whose identifiers are not in it: callers re-check).
 * len >= 21. */
void password_generate(char *out, size_t len);

#endif
