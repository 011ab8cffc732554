/* breach: passwords found in breach lists are refused (issue 11 item 8, on
 * top of the CNIL rules of password.h).
 *
 * The list is etc/breached-passwords.txt (config [auth] breached_passwords):
 * one normalised entry per line, '#' comments.  Normalising does what attack
 * dictionaries' mangling rules undo: case-folded (ASCII), digits and symbols
 * stripped from both ends ("Password123!" -> "password"), then the common
 * look-alike substitutions mapped back (@ 4 -> a, 0 -> o, 1 ! -> i, 3 -> e,
 * 5 $ -> s, 7 -> t: "P@ssw0rd" -> "password").  A password is refused when
 * its normalised form is an entry: "Azerty123456!" is, "correct horse
 * battery staple" is not.
 *
 * breach_load runs once at start-up, before any thread reads the list; the
 * list is then read-only (any thread).  Without a loaded list breach_listed
 * is always false. */
#ifndef AMPHI_CONTROL_BREACH_H
#define AMPHI_CONTROL_BREACH_H

#include <stdbool.h>
#include <stddef.h>

/* Loads (replaces) the list.  0, or -errno with a message in err. */
int breach_load(const char *path, char *err, size_t errlen);
/* Frees the list. */
void breach_free(void);
/* The normalised form of s in out (always NUL-terminated, cut at outlen). */
void breach_normalize(const char *s, char *out, size_t outlen);
/* True when pw's normalised form is in the list. */
bool breach_listed(const char *pw);

#endif
