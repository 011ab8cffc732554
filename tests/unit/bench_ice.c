/* amphi-bench's STUN client (bench/ice_client.h): the checker holds to the
 * RFC 5769 sample messages, the builder writes byte for byte what an
 * independent implementation (Python's hmac and zlib.crc32, output pasted
 * below) writes for the same fields, and answers that are not the one
 * expected are told apart. */
#include "tests/harness.h"
#include "bench/ice_client.h"
#include "tests/stun_vectors.h"
#include "common/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

static const uint8_t sample_txid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
                                         0xfa, 0x87, 0xdf, 0xae };

/* The same transaction id; USERNAME "relayUfr0:benchUf", PRIORITY
 * 0x7effffff, ICE-CONTROLLING 0x0102030405060708, USE-CANDIDATE, signed
 * with "abcdefghijklmnopqrstuvwx" (made with Python's hmac and zlib). */
static const char *independent_request =
	"000100502112a442b7e7a701bc34d686fa87dfae0006001172656c6179556672303a62656e6368"
	"5566000000002400047effffff802a0008010203040506070800250000000800144d6b9f934937"
	"95bd560ad101cc5b1e36952afc5680280004e0b30d6d";

TEST(rfc5769_messages_verify)
{
	uint8_t buf[200];
	size_t n = unhex(sample_request, buf, sizeof buf);

	CHECK_INT(ice_client_message_verify(buf, n, password), ==, 0);
	CHECK_INT(ice_client_message_verify(buf, n, "VOkJxbRl1RmTxUk/WvJxBu"), ==, -EACCES);
	n = unhex(sample_ipv4_response, buf, sizeof buf);
	CHECK_INT(ice_client_message_verify(buf, n, password), ==, 0);
	n = unhex(sample_ipv6_response, buf, sizeof buf);
	CHECK_INT(ice_client_message_verify(buf, n, password), ==, 0);
}

TEST(rfc5769_responses_are_answers)
{
	uint8_t buf[200], other[12];
	struct ice_client_answer a;
	char ip[64];
	size_t n = unhex(sample_ipv4_response, buf, sizeof buf);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a.mapped;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a.mapped;

	CHECK_INT(ice_client_answer_check(buf, n, sample_txid, password, &a), ==, 0);
	CHECK_INT(a.error_code, ==, 0);
	CHECK(a.has_mapped);
	CHECK_INT(sin->sin_family, ==, AF_INET);
	CHECK_STR(inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip), "192.0.2.1");
	CHECK_INT(ntohs(sin->sin_port), ==, 32853);
	CHECK_INT(ice_client_answer_check(buf, n, sample_txid, "wrong password", &a), ==, -EACCES);
	memcpy(other, sample_txid, 12);
	other[11] ^= 1;
	CHECK_INT(ice_client_answer_check(buf, n, other, password, &a), ==, -ESRCH);

	n = unhex(sample_ipv6_response, buf, sizeof buf);
	CHECK_INT(ice_client_answer_check(buf, n, sample_txid, password, &a), ==, 0);
	CHECK_INT(sin6->sin6_family, ==, AF_INET6);
	CHECK_STR(inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip),
	          "2001:db8:1234:5678:11:2233:4455:6677");

	/* a request is not an answer */
	n = unhex(sample_request, buf, sizeof buf);
	CHECK_INT(ice_client_answer_check(buf, n, sample_txid, password, &a), ==, -EINVAL);
}

TEST(every_bit_flip_of_an_answer_is_refused)
{
	uint8_t ref[200], buf[200];
	struct ice_client_answer a;
	size_t n = unhex(sample_ipv4_response, ref, sizeof ref);
	unsigned accepted = 0;

	for (size_t bit = 0; bit < n * 8; bit++) {
		memcpy(buf, ref, n);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (ice_client_answer_check(buf, n, sample_txid, password, &a) == 0)
			accepted++;
	}
	CHECK_INT(accepted, ==, 0);
	for (size_t len = 0; len < n; len++)
		CHECK(ice_client_answer_check(ref, len, sample_txid, password, &a) < 0);
}

TEST(request_matches_an_independent_implementation)
{
	uint8_t want[200], got[ICE_CLIENT_REQUEST_MAX];
	size_t n = unhex(independent_request, want, sizeof want);
	int len = stun_binding_request_build(got, sizeof got, sample_txid, "relayUfr0:benchUf",
	                                     "abcdefghijklmnopqrstuvwx", ice_client_priority(65535),
	                                     0x0102030405060708ull, true);

	CHECK_INT(ice_client_priority(65535), ==, 0x7effffff);
	CHECK_INT(len, ==, n);
	CHECK_MEM(got, want, n);
	CHECK_INT(ice_client_message_verify(got, (size_t)len, "abcdefghijklmnopqrstuvwx"), ==, 0);
}

TEST(consent_check_has_no_use_candidate_and_verifies)
{
	uint8_t got[ICE_CLIENT_REQUEST_MAX];
	int with = stun_binding_request_build(got, sizeof got, sample_txid, "a:b", "pppppppppppppppppppppp",
	                                      1, 2, true);
	int len = stun_binding_request_build(got, sizeof got, sample_txid, "a:b", "pppppppppppppppppppppp",
	                                     1, 2, false);

	CHECK_INT(with - len, ==, 4);
	CHECK_INT(ice_client_message_verify(got, (size_t)len, "pppppppppppppppppppppp"), ==, 0);
	CHECK_INT(stun_binding_request_build(got, 40, sample_txid, "a:b", "p", 1, 2, false), ==, -ENOSPC);
	CHECK_INT(stun_binding_request_build(got, sizeof got, sample_txid, "", "p", 1, 2, false), ==, -EINVAL);
}

int main(void)
{
	RUN(rfc5769_messages_verify);
	RUN(rfc5769_responses_are_answers);
	RUN(every_bit_flip_of_an_answer_is_refused);
	RUN(request_matches_an_independent_implementation);
	RUN(consent_check_has_no_use_candidate_and_verifies);
	return harness_done();
}
