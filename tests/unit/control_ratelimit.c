/* Per-participant token buckets: burst, refill, independence of keys and
 * bounded memory under more participants than slots. */
#include "tests/harness.h"
#include "control/ratelimit.h"

#include <errno.h>

#define SEC 1000000000LL

TEST(burst_then_refill)
{
	struct rate_limit *rl = rate_limit_create(3, 2 * SEC, 64);
	uint64_t k = rate_limit_key(0, 1, 42);
	int64_t retry = 0, t = 100 * SEC;

	CHECK_INT(rate_limit_take(rl, k, t, &retry), ==, 0);
	CHECK_INT(rate_limit_take(rl, k, t, &retry), ==, 0);
	CHECK_INT(rate_limit_take(rl, k, t, &retry), ==, 0);
	CHECK_INT(rate_limit_take(rl, k, t, &retry), ==, -EAGAIN);
	CHECK_INT(retry, ==, 2 * SEC);
	CHECK_INT(rate_limit_take(rl, k, t + SEC, &retry), ==, -EAGAIN);
	CHECK_INT(retry, ==, SEC);
	CHECK_INT(rate_limit_take(rl, k, t + 2 * SEC, &retry), ==, 0);
	CHECK_INT(rate_limit_take(rl, k, t + 2 * SEC, &retry), ==, -EAGAIN);
	/* A long pause refills to the burst, never beyond. */
	for (int i = 0; i < 3; i++)
		CHECK_INT(rate_limit_take(rl, k, t + 1000 * SEC, NULL), ==, 0);
	CHECK_INT(rate_limit_take(rl, k, t + 1000 * SEC, NULL), ==, -EAGAIN);
	rate_limit_destroy(rl);
}

TEST(keys_independent)
{
	struct rate_limit *rl = rate_limit_create(1, SEC, 64);
	uint64_t chat_a = rate_limit_key(0, 1, 1), chat_b = rate_limit_key(0, 1, 2);
	uint64_t question_a = rate_limit_key(1, 1, 1), other_webinar = rate_limit_key(0, 2, 1);

	CHECK(chat_a != chat_b && chat_a != question_a && chat_a != other_webinar);
	CHECK_INT(rate_limit_take(rl, chat_a, 0, NULL), ==, 0);
	CHECK_INT(rate_limit_take(rl, chat_a, 0, NULL), ==, -EAGAIN);
	CHECK_INT(rate_limit_take(rl, chat_b, 0, NULL), ==, 0);
	CHECK_INT(rate_limit_take(rl, question_a, 0, NULL), ==, 0);
	CHECK_INT(rate_limit_take(rl, other_webinar, 0, NULL), ==, 0);
	rate_limit_destroy(rl);
}

TEST(crowd_larger_than_table)
{
	/* 10000 participants through 16 slots: memory stays bounded, and a
	 * reused slot starts full, so nobody is ever refused a first write. */
	struct rate_limit *rl = rate_limit_create(2, SEC, 16);
	int refused = 0;

	for (int64_t p = 0; p < 10000; p++)
		if (rate_limit_take(rl, rate_limit_key(0, 1, p), p, NULL))
			refused++;
	CHECK_INT(refused, ==, 0);
	/* A participant active right now keeps its bucket against stale ones. */
	uint64_t hot = rate_limit_key(0, 1, 123456);
	CHECK_INT(rate_limit_take(rl, hot, 20000, NULL), ==, 0);
	CHECK_INT(rate_limit_take(rl, hot, 20000, NULL), ==, 0);
	CHECK_INT(rate_limit_take(rl, rate_limit_key(0, 1, 777777), 20001, NULL), ==, 0);
	CHECK_INT(rate_limit_take(rl, hot, 20002, NULL), ==, -EAGAIN);
	rate_limit_destroy(rl);
}

TEST(bad_parameters)
{
	CHECK(rate_limit_create(0, SEC, 16) == NULL);
	CHECK(rate_limit_create(1, 0, 16) == NULL);
}

int main(void)
{
	RUN(burst_then_refill);
	RUN(keys_independent);
	RUN(crowd_larger_than_table);
	RUN(bad_parameters);
	return harness_done();
}
