/* breach: see breach.h. */
#include "control/breach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **g_words;   /* sorted, owned */
static size_t g_n;

static bool is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

void breach_normalize(const char *s, char *out, size_t outlen)
{
	static const char from[] = "@401!35$7", to[] = "aaoiiesst";
	const unsigned char *b = (const unsigned char *)s, *e = b + strlen(s);
	size_t n = 0;

	while (b < e && !is_letter(*b))
		b++;
	while (e > b && !is_letter(e[-1]))
		e--;
	for (; b < e && n + 1 < outlen; b++) {
		unsigned char c = *b;
		const char *m = c ? strchr(from, c) : NULL;
		if (m)
			c = (unsigned char)to[m - from];
		else if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out[n++] = (char)c;
	}
	if (outlen)
		out[n] = 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void breach_free(void)
{
	for (size_t i = 0; i < g_n; i++)
		free(g_words[i]);
	free(g_words);
	g_words = NULL;
	g_n = 0;
}

int breach_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[512];
	size_t cap = 0;

	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	breach_free();
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (g_n == cap) {
			cap = cap ? cap * 2 : 1024;
			char **nw = realloc(g_words, cap * sizeof *nw);
			if (!nw)
				goto nomem;
			g_words = nw;
		}
		char norm[sizeof line];
		breach_normalize(line, norm, sizeof norm);   /* a hand-edited entry still matches */
		if (!norm[0])
			continue;
		if (!(g_words[g_n] = strdup(norm)))
			goto nomem;
		g_n++;
	}
	fclose(f);
	qsort(g_words, g_n, sizeof *g_words, cmp);
	return 0;
nomem:
	fclose(f);
	breach_free();
	snprintf(err, errlen, "%s: out of memory", path);
	return -ENOMEM;
}

bool breach_listed(const char *pw)
{
	char norm[512];
	const char *key = norm;

	if (!g_n)
		return false;
	breach_normalize(pw, norm, sizeof norm);
	return norm[0] && bsearch(&key, g_words, g_n, sizeof *g_words, cmp) != NULL;
}
