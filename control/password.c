/* password: see password.h. */
#include "control/password.h"
#include "control/breach.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void unmet_add(json_t *unmet, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void unmet_add(json_t *unmet, const char *rule, const char *fmt, ...)
{
	if (!unmet)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_array_append_new(unmet, json_pack("{s:s,s:s}", "rule", rule, "message", msg));
}

/* Length in code points of valid UTF-8 without control characters; -1 otherwise. */
static long utf8_chars(const char *s)
{
	long n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int extra;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return -1;
			extra = 0;
		} else if ((c & 0xe0) == 0xc0 && c >= 0xc2) {
			extra = 1;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2;
		} else if ((c & 0xf8) == 0xf0 && c <= 0xf4) {
			extra = 3;
		} else {
			return -1;
		}
		p++;
		for (int i = 0; i < extra; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return -1;
		n++;
	}
	return n;
}

/* Case-insensitive (ASCII) substring test. */
static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return false;
	for (const char *h = hay; *h; h++)
		if (strncasecmp(h, needle, n) == 0)
			return true;
	return false;
}

static int count_words(const char *pw)
{
	int words = 0, run = 0;
	for (const unsigned char *p = (const unsigned char *)pw;; p++) {
		if (*p && (isalnum(*p) || *p >= 0x80)) {
			run++;
			continue;
		}
		if (run >= 2)
			words++;
		run = 0;
		if (!*p)
			break;
	}
	return words;
}

int password_check(const char *pw, const char *first_name, const char *last_name,
                   const char *email, json_t *unmet)
{
	bool ok = true;
	if (strlen(pw) > PASSWORD_MAX_BYTES) {
		unmet_add(unmet, "max_length", "at most %d bytes", PASSWORD_MAX_BYTES);
		return -EINVAL;
	}
	long len = utf8_chars(pw);
	if (len < 0) {
		unmet_add(unmet, "invalid_characters", "must be valid UTF-8 without control characters");
		return -EINVAL;
	}
	bool upper = false, lower = false, digit = false, special = false;
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++) {
		if (isupper(*p))
			upper = true;
		else if (islower(*p))
			lower = true;
		else if (isdigit(*p))
			digit = true;
		else
			special = true;
	}
	int classes = upper + lower + digit + special;
	int words = count_words(pw);
	bool strong = (len >= 12 && classes == 4) || (len >= 14 && classes >= 3) ||
	              words >= PASSWORD_MIN_WORDS;
	if (!strong) {
		ok = false;
		if (len < 12)
			unmet_add(unmet, "min_length", "at least 12 characters (this one has %ld)", len);
		int need = len >= 14 ? 3 : 4;
		if (classes < need) {
			char missing[96] = "";
			if (!upper) strcat(missing, " upper case,");
			if (!lower) strcat(missing, " lower case,");
			if (!digit) strcat(missing, " digits,");
			if (!special) strcat(missing, " special characters,");
			missing[strlen(missing) - 1] = 0;
			unmet_add(unmet, "character_classes",
			          "12+ characters need all four classes (upper case, lower case, digits, "
			          "special), 14+ need three; this one has %d, missing:%s", classes, missing);
		}
		if (strchr(pw, ' '))
			unmet_add(unmet, "passphrase_words", "a passphrase needs at least %d words (this one has %d)",
			          PASSWORD_MIN_WORDS, words);
	}
	if (breach_listed(pw)) {
		unmet_add(unmet, "breached", "this password (or one that differs only in case, look-alike "
		          "characters or digits and symbols at its ends) is in lists of passwords leaked in "
		          "data breaches, which attackers try first");
		ok = false;
	}
	const char *names[2] = { first_name, last_name };
	for (int i = 0; i < 2; i++) {
		if (names[i] && utf8_chars(names[i]) >= 3 && contains_ci(pw, names[i])) {
			unmet_add(unmet, "contains_name", "must not contain your %s name", i ? "last" : "first");
			ok = false;
		}
	}
	if (email && *email) {
		char local[256];
		const char *at = strchr(email, '@');
		size_t ll = at ? (size_t)(at - email) : strlen(email);
		if (ll >= sizeof local)
			ll = sizeof local - 1;
		memcpy(local, email, ll);
		local[ll] = 0;
		if (contains_ci(pw, email) || (ll >= 3 && contains_ci(pw, local))) {
			unmet_add(unmet, "contains_email", "must not contain your email address");
			ok = false;
		}
	}
	return ok ? 0 : -EINVAL;
}

void password_generate(char *out, size_t len)
{
	/* No look-alikes (0/O, 1/l/I) so a password read off a terminal is typed right. */
	static const char *const sets[4] = { "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz",
	                                     "23456789", "-_.:!?@#%+=*" };
	const size_t n = 20;
	if (len < n + 1) {
		if (len)
			out[0] = 0;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		/* positions 0..3 get one of each class, the rest any class */
		const char *set = sets[i < 4 ? i : randombytes_uniform(4)];
		out[i] = set[randombytes_uniform((uint32_t)strlen(set))];
	}
	/* shuffle so the class of the first four characters is not predictable */
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = randombytes_uniform((uint32_t)(i + 1));
		char t = out[i];
		out[i] = out[j];
		out[j] = t;
	}
	out[n] = 0;
}
