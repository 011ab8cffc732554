/* The hashing queue's reserved lane (issue 11 item 3): while both general
 * threads are in the middle of a flood's hashes, a job with the reserve's
 * credit starts at once, and a flood's job never takes the lane.  Verifying
 * against a stored hash costs what that hash's own limits say, so the
 * flood's jobs are slow (t=24, 32 MiB: about a second each) and the
 * deserving one is instant (t=1, 8 KiB); without the lane the deserving job
 * could only end after a flood's hash. */
#include "tests/harness.h"
#include "control/pwhash.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static const char SLOW[] = "$argon2id$v=19$m=32768,t=24,p=1$kLxIBJpi0Ll2y38l0lhgBQ$"
                           "iOfpkix3IYE747LZ2V5lNb/zgonkiRVaXg+oZ+XCVL4";   /* of "slow" */
static const char FAST[] = "$argon2id$v=19$m=8,t=1,p=1$+aGFQRtCqbxWU7uv3vFS6g$"
                           "HEMA+DAxBLwvXdmeKVd8n3Ud3SdOU+iTDtfKA/v4k0U";   /* of "fast" */
#define RESERVE 10

static atomic_int done_count[4];

static void on_done(struct pwhash_job *job)
{
	atomic_fetch_add(&done_count[(int)(intptr_t)job->arg], 1);
}

static void job_init(struct pwhash_job *job, int i, const char *hash, const char *pw, unsigned credit)
{
	*job = (struct pwhash_job){ .op = PWHASH_VERIFY, .password = pw, .credit = credit,
	                            .done = on_done, .arg = (void *)(intptr_t)i };
	snprintf(job->hash, sizeof job->hash, "%s", hash);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

TEST(reserved_lane)
{
	struct pwhash_job flood[3], deserving;

	CHECK_INT(pwhash_start(8, RESERVE, 1, 8192), ==, 0);
	/* Two flood jobs (no credit left) take the general threads. */
	for (int i = 0; i < 2; i++) {
		job_init(&flood[i], i, SLOW, "wrong", 0);
		CHECK_INT(pwhash_submit(&flood[i]), ==, 0);
	}
	for (int i = 0; i < 200 && pwhash_queued() > 0; i++)
		sleep_ms(10);
	CHECK_INT(pwhash_queued(), ==, 0);
	/* A third one, and one just below the reserve: neither takes the lane. */
	job_init(&flood[2], 2, SLOW, "wrong", RESERVE - 1);
	CHECK_INT(pwhash_submit(&flood[2]), ==, 0);
	sleep_ms(100);
	CHECK_INT(pwhash_queued(), ==, 1);
	/* A job with the reserve's credit starts at once, in the lane. */
	job_init(&deserving, 3, FAST, "fast", RESERVE);
	CHECK_INT(pwhash_submit(&deserving), ==, 0);
	for (int i = 0; i < 1000 && !atomic_load(&done_count[3]) && !atomic_load(&done_count[0]) &&
	                !atomic_load(&done_count[1]); i++)
		sleep_ms(10);
	CHECK_INT(atomic_load(&done_count[3]), ==, 1);
	CHECK_INT(deserving.result, ==, 0);
	CHECK_INT(atomic_load(&done_count[0]) + atomic_load(&done_count[1]), ==, 0);   /* still hashing */
	CHECK_INT(pwhash_queued(), ==, 1);   /* the third flood job still waits */
	/* Stopping answers the running and the waiting at once, once each. */
	pwhash_stop();
	for (int i = 0; i < 3; i++) {
		CHECK_INT(atomic_load(&done_count[i]), ==, 1);
		CHECK_INT(flood[i].result, ==, -ECANCELED);
	}
	CHECK_INT(pwhash_submit(&deserving), ==, -ESHUTDOWN);
}

/* The dummy hash unknown emails are verified against: no limits to take
 * before the queue starts; after, a well-formed Argon2id string with exactly
 * the queue's limits (libsodium would rehash it otherwise, and refuses a
 * malformed one), a fresh salt each time, matching no password. */
TEST(dummy_before_start)
{
	char d[crypto_pwhash_STRBYTES];
	CHECK_INT(pwhash_dummy(d), ==, -EINVAL);
}

TEST(dummy_after_start)
{
	char d1[crypto_pwhash_STRBYTES], d2[crypto_pwhash_STRBYTES];
	CHECK_INT(pwhash_dummy(d1), ==, 0);
	CHECK_INT(pwhash_dummy(d2), ==, 0);
	CHECK_INT(strncmp(d1, "$argon2id$v=19$m=8,t=1,p=1$", 27), ==, 0);
	CHECK_INT(crypto_pwhash_str_needs_rehash(d1, 1, 8192), ==, 0);
	CHECK_INT(crypto_pwhash_str_needs_rehash(d1, 2, 8192), ==, 1);
	CHECK_INT(strcmp(d1, d2) != 0, ==, 1);
	CHECK_INT(crypto_pwhash_str_verify(d1, "", 0), ==, -1);
	CHECK_INT(crypto_pwhash_str_verify(d1, "fast", 4), ==, -1);
}

int main(void)
{
	if (sodium_init() < 0)
		SKIP("libsodium cannot start");
	RUN(dummy_before_start);
	RUN(reserved_lane);   /* starts the queue with t=1, 8 KiB */
	RUN(dummy_after_start);
	return harness_done();
}
