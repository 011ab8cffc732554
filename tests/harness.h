/* harness: the tiny unit-test harness every test binary includes.
 *
 *   TEST(name) { CHECK(x); CHECK_INT(a, ==, b); CHECK_STR(s, "abc"); }
 *   int main(void) { RUN(name); ...; return harness_done(); }
 *
 * A test case passes when none of its checks failed; a failed check prints
 * file:line, the expression and the values compared, and the case goes on.
 * SKIP("reason") ends the whole binary with status 77 (skipped) after printing
 * the reason.  The last line is always "N passed, N failed"; the exit status
 * is 0 when nothing failed, 1 otherwise (tests/run adds these up). */
#ifndef AMPHI_HARNESS_H
#define AMPHI_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_passed, harness_failed, harness_case_failed;
static const char *harness_case = "";

#define TEST(name) static void name(void)

#define RUN(name) do {                                                         \
	harness_case = #name;                                                  \
	harness_case_failed = 0;                                               \
	name();                                                                \
	if (harness_case_failed) {                                             \
		harness_failed++;                                              \
		printf("FAIL %s\n", #name);                                    \
	} else {                                                               \
		harness_passed++;                                              \
		printf("ok   %s\n", #name);                                    \
	}                                                                      \
	fflush(stdout);                                                        \
} while (0)

#define HARNESS_FAIL(...) do {                                                 \
	printf("  %s:%d: %s: ", __FILE__, __LINE__, harness_case);             \
	printf(__VA_ARGS__);                                                   \
	printf("\n");                                                          \
	harness_case_failed = 1;                                               \
} while (0)

#define CHECK(cond) do {                                                       \
	if (!(cond))                                                           \
		HARNESS_FAIL("CHECK(%s) failed", #cond);                       \
} while (0)

/* Integers of any width, compared as intmax_t; op is ==, !=, <, <=, >, >=. */
#define CHECK_INT(a, op, b) do {                                               \
	intmax_t va_ = (intmax_t)(a), vb_ = (intmax_t)(b);                     \
	if (!(va_ op vb_))                                                     \
		HARNESS_FAIL("%s %s %s: %jd vs %jd", #a, #op, #b, va_, vb_);   \
} while (0)

#define CHECK_STR(a, b) do {                                                   \
	const char *sa_ = (a), *sb_ = (b);                                     \
	if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                             \
		HARNESS_FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b,             \
		             sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");      \
} while (0)

#define CHECK_MEM(a, b, n) do {                                                \
	const unsigned char *ma_ = (const void *)(a), *mb_ = (const void *)(b);\
	size_t n_ = (n);                                                       \
	for (size_t i_ = 0; i_ < n_; i_++)                                     \
		if (ma_[i_] != mb_[i_]) {                                      \
			HARNESS_FAIL("%s and %s differ at byte %zu of %zu: "   \
			             "%02x vs %02x", #a, #b, i_, n_, ma_[i_],  \
			             mb_[i_]);                                 \
			break;                                                 \
		}                                                              \
} while (0)

#define SKIP(...) do {                                                         \
	printf("skipped: ");                                                   \
	printf(__VA_ARGS__);                                                   \
	printf("\n");                                                          \
	exit(77);                                                              \
} while (0)

static inline int harness_done(void)
{
	printf("%d passed, %d failed\n", harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}

#endif
