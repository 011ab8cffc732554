/* ICE-lite peer table (relay/ice.c): checks answered and verified with
 * relay/stun, the address latched by the first valid check and moved only by
 * a nomination, wrong credentials answered 401 and never latched, consent
 * expiry at exactly 30 s, capacity and ufrag rules, IPv6, and a thousand
 * peers routed by address. */
#include "tests/harness.h"
#include "relay/ice.h"
#include "relay/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <time.h>

#define S (1000000000LL)

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* A browser's check for local ufrag lu, signed with pwd. */
static int check(struct ice_table *t, const char *lu, const char *pwd, int nominate,
                 const void *from, int64_t now, void **user, struct stun_msg *resp, uint8_t *out)
{
	uint8_t req[256], txid[12];
	char uname[64];
	for (int i = 0; i < 12; i++)
		txid[i] = (uint8_t)rand();
	snprintf(uname, sizeof uname, "%s:brws", lu);
	int n = stun_binding_request_build(req, sizeof req, txid, uname, pwd, 0x6e7f00ff, 42, nominate);
	int r = ice_table_stun(t, req, (size_t)n, from, now, out, 256, user);
	if (r > 0 && stun_msg_parse(resp, out, (size_t)r) != 0)
		return -1000;
	if (r > 0 && memcmp(resp->txid, txid, 12))
		return -1001;
	return r;
}

static const char *PW1 = "aaaaaaaaaaaaaaaaaaaaaa1", *PW2 = "bbbbbbbbbbbbbbbbbbbbbb2";

TEST(valid_check_answers_and_latches)
{
	struct ice_table *t = ice_table_create(4, 0);
	int u1 = 1, u2 = 2;
	void *user;
	struct stun_msg resp;
	uint8_t out[256];
	struct sockaddr_in a = v4("192.0.2.10", 5000), b = v4("192.0.2.11", 6000);

	CHECK_INT(ice_peer_add(t, "pee1", PW1, &u1, 0), ==, 0);
	CHECK_INT(ice_peer_add(t, "pee2", PW2, &u2, 0), ==, 0);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&a) == NULL);

	int r = check(t, "pee1", PW1, 0, &a, 1 * S, &user, &resp, out);
	CHECK_INT(r, >, 0);
	CHECK(user == &u1);
	CHECK_INT(resp.type, ==, STUN_BINDING_SUCCESS);
	CHECK_INT(stun_msg_check_integrity(&resp, out, PW1, strlen(PW1)), ==, 0);
	CHECK(resp.has_fingerprint && resp.has_xor_mapped);
	CHECK(!memcmp(&((struct sockaddr_in *)&resp.xor_mapped)->sin_addr, &a.sin_addr, 4));
	CHECK_INT(((struct sockaddr_in *)&resp.xor_mapped)->sin_port, ==, a.sin_port);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&a) == &u1);

	struct sockaddr_storage got;
	CHECK_INT(ice_peer_addr(t, "pee1", &got), ==, 0);
	CHECK(!memcmp(&got, &a, sizeof a));
	CHECK_INT(ice_peer_addr(t, "pee2", &got), ==, -ENOENT);

	/* A non-nominating check from another address does not move it... */
	r = check(t, "pee1", PW1, 0, &b, 2 * S, &user, &resp, out);
	CHECK(r > 0 && user == &u1);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&a) == &u1);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&b) == NULL);
	/* ...a nomination does. */
	r = check(t, "pee1", PW1, 1, &b, 3 * S, &user, &resp, out);
	CHECK(r > 0 && user == &u1);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&a) == NULL);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&b) == &u1);
	/* The other peer nominating the same address takes it over. */
	r = check(t, "pee2", PW2, 1, &b, 3 * S, &user, &resp, out);
	CHECK(r > 0 && user == &u2);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&b) == &u2);
	CHECK_INT(ice_peer_addr(t, "pee1", &got), ==, -ENOENT);

	CHECK_INT(ice_peer_remove(t, "pee2"), ==, 0);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&b) == NULL);
	CHECK_INT(ice_peer_remove(t, "pee2"), ==, -ENOENT);
	ice_table_destroy(t);
}

TEST(bad_credentials_get_401_and_no_path)
{
	struct ice_table *t = ice_table_create(4, 0);
	int u1 = 1;
	void *user = &u1;
	struct stun_msg resp;
	uint8_t out[256];
	struct sockaddr_in a = v4("198.51.100.1", 7000);

	ice_peer_add(t, "pee1", PW1, &u1, 0);
	CHECK_INT(check(t, "pee1", PW2, 1, &a, S, &user, &resp, out), >, 0);
	CHECK(user == NULL);
	CHECK_INT(resp.type, ==, STUN_BINDING_ERROR);
	CHECK_INT(resp.error_code, ==, 401);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&a) == NULL);
	CHECK_INT(check(t, "nope", PW1, 1, &a, S, &user, &resp, out), >, 0);
	CHECK_INT(resp.error_code, ==, 401);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&a) == NULL);

	/* A success response, an indication and junk get nothing. */
	uint8_t junk[64] = { 0x01, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42 };
	CHECK_INT(ice_table_stun(t, junk, 20, (struct sockaddr *)&a, S, out, sizeof out, &user), ==, 0);
	junk[0] = 0x00;
	junk[1] = 0x11;
	CHECK_INT(ice_table_stun(t, junk, 20, (struct sockaddr *)&a, S, out, sizeof out, &user), ==, 0);
	CHECK_INT(ice_table_stun(t, junk, 7, (struct sockaddr *)&a, S, out, sizeof out, &user), ==, 0);
	/* A request without credentials: 400. */
	junk[1] = 0x01;
	int n = ice_table_stun(t, junk, 20, (struct sockaddr *)&a, S, out, sizeof out, &user);
	CHECK_INT(n, >, 0);
	CHECK_INT(stun_msg_parse(&resp, out, (size_t)(n > 0 ? n : 0)), ==, 0);
	CHECK_INT(resp.error_code, ==, 400);
	ice_table_destroy(t);
}

static int gone_count;
static void *gone_last;
static void on_gone(void *arg, void *user)
{
	(void)arg;
	gone_count++;
	gone_last = user;
}

TEST(consent_expires_after_30_seconds)
{
	struct ice_table *t = ice_table_create(8, 0);
	int u1 = 1, u2 = 2, u3 = 3;
	void *user;
	struct stun_msg resp;
	uint8_t out[256];
	struct sockaddr_in a = v4("192.0.2.1", 1111), b = v4("192.0.2.2", 2222);

	ice_peer_add(t, "pee1", PW1, &u1, 0);
	ice_peer_add(t, "pee2", PW2, &u2, 0);
	ice_peer_add(t, "pee3", PW2, &u3, 0);   /* never checks */
	check(t, "pee1", PW1, 1, &a, 10 * S, &user, &resp, out);
	check(t, "pee2", PW2, 1, &b, 10 * S, &user, &resp, out);
	for (int64_t now = 15 * S; now <= 35 * S; now += 5 * S)   /* consent every 5 s */
		check(t, "pee1", PW1, 0, &a, now, &user, &resp, out);

	CHECK_INT(ice_table_expire(t, 30 * S - 1, on_gone, NULL), ==, 0);
	CHECK_INT(ice_table_expire(t, 30 * S, on_gone, NULL), ==, 1);   /* pee3: 30 s after add */
	CHECK(gone_last == &u3);
	CHECK_INT(ice_table_expire(t, 40 * S - 1, on_gone, NULL), ==, 0);
	CHECK_INT(ice_table_expire(t, 40 * S, on_gone, NULL), ==, 1);   /* pee2: 30 s after its last check */
	CHECK(gone_last == &u2);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&b) == NULL);
	CHECK(ice_table_lookup_addr(t, (struct sockaddr *)&a) == &u1);
	CHECK_INT(ice_table_count(t), ==, 1);
	CHECK_INT(ice_table_expire(t, 65 * S, on_gone, NULL), ==, 1);   /* pee1: last check at 35 s */
	CHECK_INT(gone_count, ==, 3);
	CHECK_INT(ice_table_count(t), ==, 0);
	/* the ufrag is free again */
	CHECK_INT(ice_peer_add(t, "pee2", PW2, &u2, 70 * S), ==, 0);
	ice_table_destroy(t);
}

TEST(add_rules)
{
	struct ice_table *t = ice_table_create(2, 1000);
	CHECK_INT(ice_peer_add(t, "abc", PW1, NULL, 0), ==, -EINVAL);            /* ufrag < 4 */
	CHECK_INT(ice_peer_add(t, "abcd", "short", NULL, 0), ==, -EINVAL);       /* pwd < 22 */
	CHECK_INT(ice_peer_add(t, "ab:d", PW1, NULL, 0), ==, -EINVAL);           /* not ice-chars */
	CHECK_INT(ice_peer_add(t, "abcd", PW1, NULL, 0), ==, 0);
	CHECK_INT(ice_peer_add(t, "abcd", PW2, NULL, 0), ==, -EEXIST);
	CHECK_INT(ice_peer_add(t, "abce", PW1, NULL, 0), ==, 0);
	CHECK_INT(ice_peer_add(t, "abcf", PW1, NULL, 0), ==, -ENOSPC);
	CHECK_INT(ice_peer_remove(t, "abcd"), ==, 0);
	CHECK_INT(ice_peer_add(t, "abcf", PW1, NULL, 0), ==, 0);
	/* consent_ms given: 1 s */
	CHECK_INT(ice_table_expire(t, 999999999, NULL, NULL), ==, 0);
	CHECK_INT(ice_table_expire(t, S, NULL, NULL), ==, 2);
	CHECK(ice_table_create(0, 0) == NULL);
	ice_table_destroy(t);
}

TEST(ipv6_and_a_thousand_peers)
{
	enum { N = 1000 };
	struct ice_table *t = ice_table_create(N, 0);
	static int users[N];
	static struct sockaddr_in6 addrs[N];
	char uf[16];
	void *user;
	struct stun_msg resp;
	uint8_t out[256];
	struct timespec t0, t1;

	for (int i = 0; i < N; i++) {
		snprintf(uf, sizeof uf, "u%04d", i);
		CHECK_INT(ice_peer_add(t, uf, PW1, &users[i], 0), ==, 0);
		addrs[i].sin6_family = AF_INET6;
		addrs[i].sin6_port = htons((uint16_t)(10000 + i));
		inet_pton(AF_INET6, "2001:db8::1", &addrs[i].sin6_addr);
		addrs[i].sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ok = 0;
	for (int i = 0; i < N; i++) {
		snprintf(uf, sizeof uf, "u%04d", i);
		if (check(t, uf, PW1, 1, &addrs[i], S, &user, &resp, out) > 0 && user == &users[i] &&
		    resp.type == STUN_BINDING_SUCCESS && resp.xor_mapped.ss_family == AF_INET6 &&
		    !memcmp(&((struct sockaddr_in6 *)&resp.xor_mapped)->sin6_addr, &addrs[i].sin6_addr, 16))
			ok++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_INT(ok, ==, N);
	int routed = 0;
	for (int i = 0; i < N; i++)
		routed += ice_table_lookup_addr(t, (struct sockaddr *)&addrs[i]) == &users[i];
	CHECK_INT(routed, ==, N);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  %d checks built, answered and verified in %.1f ms\n", N, s * 1e3);
	ice_table_destroy(t);
}

int main(void)
{
	srand(1);
	RUN(valid_check_answers_and_latches);
	RUN(bad_credentials_get_401_and_no_path);
	RUN(consent_expires_after_30_seconds);
	RUN(add_rules);
	RUN(ipv6_and_a_thousand_peers);
	return harness_done();
}
