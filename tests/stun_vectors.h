/* stun_vectors: the sample messages of RFC 5769 (§2.1 request, §2.2 IPv4
 * and §2.3 IPv6 responses) as printed there, in hex, with their short-term
 * password.  The relay's STUN (tests/unit/relay_stun.c) and amphi-bench's
 * client (tests/unit/bench_ice.c) are both held to them. */
#ifndef AMPHI_TESTS_STUN_VECTORS_H
#define AMPHI_TESTS_STUN_VECTORS_H

#include <stdint.h>
#include <stdio.h>

static const char *sample_request =
	"000100582112a442b7e7a701bc34d686fa87dfae"
	"802200105354554e20746573742063" "6c69656e74"
	"002400046e0001ff"
	"80290008932ff9b151263b36"
	"000600096576746a3a68367659202020"
	"000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
	"80280004e57a3bcf";
static const char *sample_ipv4_response =
	"0101003c2112a442b7e7a701bc34d686fa87dfae"
	"8022000b7465737420766563746f7220"
	"002000080001a147e112a643"
	"000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
	"80280004c07d4c96";
static const char *sample_ipv6_response =
	"010100482112a442b7e7a701bc34d686fa87dfae"
	"8022000b7465737420766563746f7220"
	"002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
	"00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
	"80280004c8fb0b4c";
static const char *password = "VOkJxbRl1RmTxUk/WvJxBt";

/* The hex string s as bytes into out; how many were written. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < cap; s += 2)
		sscanf(s, "%2hhx", &out[n++]);
	return n;
}

#endif
