/* addr: "ip:port" and host-plus-port into socket addresses, with and without
 * ADDR_LISTEN (the relay's viewer and bind addresses, control's listen
 * address, the bench's relay answers). */
#include "tests/harness.h"
#include "common/addr.h"

#include <arpa/inet.h>
#include <errno.h>

static const struct sockaddr_in *v4(const struct sockaddr_in6 *a)
{
	return (const struct sockaddr_in *)a;
}

TEST(parses_both_families)
{
	struct sockaddr_in6 a;
	socklen_t len = 0;
	char host[INET6_ADDRSTRLEN];

	CHECK_INT(addr_parse("127.0.0.1:5000", 0, &a, &len), ==, 0);
	CHECK_INT(len, ==, sizeof(struct sockaddr_in));
	CHECK_INT(v4(&a)->sin_family, ==, AF_INET);
	CHECK_INT(ntohs(v4(&a)->sin_port), ==, 5000);
	CHECK_INT(ntohl(v4(&a)->sin_addr.s_addr), ==, 0x7f000001);
	CHECK_INT(addr_parse("[2001:db8::1]:65535", 0, &a, &len), ==, 0);
	CHECK_INT(len, ==, sizeof(struct sockaddr_in6));
	CHECK_INT(a.sin6_family, ==, AF_INET6);
	CHECK_INT(ntohs(a.sin6_port), ==, 65535);
	CHECK_STR(inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host), "2001:db8::1");
	CHECK_INT(addr_parse("[::ffff:255.255.255.255]:1", 0, &a, &len), ==, 0);
	/* Without brackets the port is what follows the last colon. */
	CHECK_INT(addr_parse("::1:80", 0, &a, &len), ==, 0);
	CHECK_INT(ntohs(a.sin6_port), ==, 80);
	CHECK_STR(inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host), "::1");
}

TEST(rejects_what_is_not_an_address)
{
	static const char *bad[] = {
		"127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:", "127.0.0.1:5x",
		"127.0.0.1:99999999999999999999", "host.example:80", "[::1:80", "[::1]80",
		":80", "*:80", "[]:80", "1.2.3.4.5:80", "[2001:db8::1%eth0]:80", "",
	};
	struct sockaddr_in6 a;
	socklen_t len = 7;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&a, 0xa5, sizeof a);
		if (addr_parse(bad[i], 0, &a, &len) != -EINVAL)
			HARNESS_FAIL("accepted \"%s\"", bad[i]);
		CHECK_INT(a.sin6_family, ==, 0);
	}
	CHECK_INT(addr_parse(NULL, 0, &a, &len), ==, -EINVAL);
	CHECK_INT(len, ==, 7);
}

TEST(listen_takes_any_host_and_port_zero)
{
	struct sockaddr_in6 a;
	socklen_t len;

	CHECK_INT(addr_parse(":8080", ADDR_LISTEN, &a, &len), ==, 0);
	CHECK_INT(len, ==, sizeof(struct sockaddr_in));
	CHECK_INT(v4(&a)->sin_addr.s_addr, ==, htonl(INADDR_ANY));
	CHECK_INT(ntohs(v4(&a)->sin_port), ==, 8080);
	CHECK_INT(addr_parse("*:0", ADDR_LISTEN, &a, &len), ==, 0);
	CHECK_INT(ntohs(v4(&a)->sin_port), ==, 0);
	CHECK_INT(addr_parse("127.0.0.1:0", ADDR_LISTEN, &a, &len), ==, 0);
	CHECK_INT(addr_parse("[::]:0", ADDR_LISTEN, &a, &len), ==, 0);
	CHECK_INT(len, ==, sizeof(struct sockaddr_in6));
	CHECK_INT(addr_parse("127.0.0.1:65536", ADDR_LISTEN, &a, &len), ==, -EINVAL);
	CHECK_INT(addr_parse("127.0.0.1:-1", ADDR_LISTEN, &a, &len), ==, -EINVAL);
	CHECK_INT(addr_parse("localhost:80", ADDR_LISTEN, &a, &len), ==, -EINVAL);
}

TEST(makes_from_host_and_port)
{
	struct sockaddr_in6 a;
	socklen_t len;

	CHECK_INT(addr_make("::1", 9, 0, &a, &len), ==, 0);
	CHECK_INT(len, ==, sizeof(struct sockaddr_in6));
	CHECK_INT(ntohs(a.sin6_port), ==, 9);
	CHECK_INT(addr_make("10.0.0.2", 40000, 0, &a, &len), ==, 0);
	CHECK_INT(len, ==, sizeof(struct sockaddr_in));
	CHECK_INT(addr_make("[::1]", 9, 0, &a, &len), ==, -EINVAL);
	CHECK_INT(addr_make("10.0.0.2", 0, 0, &a, &len), ==, -EINVAL);
	CHECK_INT(addr_make(NULL, 9, 0, &a, &len), ==, -EINVAL);
	CHECK_INT(addr_make("", 9, 0, &a, &len), ==, -EINVAL);
	CHECK_INT(addr_make("", 9, ADDR_LISTEN, &a, &len), ==, 0);
}

int main(void)
{
	RUN(parses_both_families);
	RUN(rejects_what_is_not_an_address);
	RUN(listen_takes_any_host_and_port_zero);
	RUN(makes_from_host_and_port);
	return harness_done();
}
