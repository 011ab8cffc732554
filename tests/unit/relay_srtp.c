/* SRTP layer: RFC 3711 / RFC 7714 vectors, the EVP egress transform
 * byte-identical to libsrtp over random packets and a ROC rollover, one
 * packet at a time and with the tags of many viewers computed together, and
 * ingress rejecting replayed, tampered and malformed packets. */
#include "tests/harness.h"

#include <errno.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "relay/srtp.h"
#include "relay/srtp_evp.h"

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		while (*hex == ' ')
			hex++;
		sscanf(hex, "%2hhx", &out[n++]);
	}
	return n;
}

TEST(suite_names)
{
	enum srtp_suite s;

	CHECK_INT(srtp_suite_parse("AES_CM_128_HMAC_SHA1_80", &s), ==, 0);
	CHECK_INT(s, ==, SRTP_SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_STR(srtp_suite_name(s), "AES_CM_128_HMAC_SHA1_80");
	CHECK_INT(srtp_suite_key_len(s), ==, 30);
	CHECK_INT(srtp_suite_overhead(s), ==, 10);
	CHECK_INT(srtp_suite_parse("AEAD_AES_128_GCM", &s), ==, 0);
	CHECK_INT(s, ==, SRTP_SUITE_AEAD_AES_128_GCM);
	CHECK_STR(srtp_suite_name(s), "AEAD_AES_128_GCM");
	CHECK_INT(srtp_suite_key_len(s), ==, 28);
	CHECK_INT(srtp_suite_overhead(s), ==, 16);
	CHECK_INT(srtp_suite_parse("AES_CM_128_HMAC_SHA1_32", &s), ==, -EINVAL);
	CHECK_INT(srtp_suite_parse("aead_aes_128_gcm", &s), ==, -EINVAL);
	CHECK_INT(srtp_suite_parse("", &s), ==, -EINVAL);
	CHECK_INT(srtp_suite_parse(NULL, &s), ==, -EINVAL);
}

/* RFC 3711 Appendix B.3. */
TEST(rfc3711_key_derivation)
{
	uint8_t mk[16], ms[14], want[32], got[32];

	unhex("E1F97A0D3E018BE0D64FA32C06DE4139", mk);
	unhex("0EC675AD498AFEEBB6960B3AABE6", ms);
	CHECK_INT(srtp_evp_kdf(mk, ms, 0, got, 16), ==, 0);
	unhex("C61E7A93744F39EE10734AFE3FF7A087", want);
	CHECK_MEM(got, want, 16);
	CHECK_INT(srtp_evp_kdf(mk, ms, 2, got, 14), ==, 0);
	unhex("30CBBC08863D8C85D49DB34A9AE1", want);
	CHECK_MEM(got, want, 14);
	CHECK_INT(srtp_evp_kdf(mk, ms, 1, got, 20), ==, 0);
	unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want);
	CHECK_MEM(got, want, 20);
}

/* RFC 3711 Appendix B.2: SSRC 0, ROC 0, SEQ 0, so the packet's payload of
 * zeros becomes the AES-CM keystream; blocks 0..2 and 0xfeff..0xff01. */
TEST(rfc3711_aes_cm_keystream)
{
	uint8_t key[16], salt[14], auth[20] = { 0 }, want[48];
	size_t payload = 0xff02 * 16, len = 12 + payload;
	uint8_t *pkt = calloc(1, len + 16);
	struct srtp_evp *e = NULL;

	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key);
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt);
	CHECK_INT(srtp_evp_create_session(&e, SRTP_SUITE_AES_CM_128_HMAC_SHA1_80,
	                                  key, salt, auth), ==, 0);
	if (!e || !pkt)
		goto out;
	pkt[0] = 0x80;
	CHECK_INT(srtp_evp_protect(e, pkt, &len, 12 + payload + 16, NULL), ==, 0);
	CHECK_INT(len, ==, 12 + payload + 10);
	unhex("E03EAD0935C95E80E166B16DD92B4EB4"
	      "D23513162B02D0F72A43A2FE4A5F97AB"
	      "41E95B3BB0A2E8DD477901E4FCA894C0", want);
	CHECK_MEM(pkt + 12, want, 48);
	unhex("EC8CDF7398607CB0F2D21675EA9EA1E4"
	      "362B7C3C6773516318A077D7FC5073AE"
	      "6A2CC3787889374FBEB4C81B17BA6C44", want);
	CHECK_MEM(pkt + 12 + 0xfeff * 16, want, 48);
out:
	srtp_evp_destroy(e);
	free(pkt);
}

/* RFC 7714 §16.1: AEAD_AES_128_GCM at the session-key level; SSRC
 * 0x5501a0b2, SEQ 0xf17b, ROC 0 give the section's IV 51753c6580c2726f20718414. */
TEST(rfc7714_gcm_vector)
{
	uint8_t key[16], salt[12], pkt[128], want[128];
	size_t len, wlen;
	struct srtp_evp *e = NULL;

	unhex("000102030405060708090a0b0c0d0e0f", key);
	unhex("517569642070726f2071756f", salt);
	len = unhex("8040f17b8041f8d35501a0b2"
	            "47616c6c696120657374206f6d6e6973206469766973612069"
	            "6e207061727465732074726573", pkt);
	CHECK_INT(len, ==, 50);
	wlen = unhex("8040f17b8041f8d35501a0b2"
	             "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5"
	             "f47a51c7d19b36de3adf8833"
	             "899d7f27beb16a9152cf765ee4390cce", want);
	CHECK_INT(srtp_evp_create_session(&e, SRTP_SUITE_AEAD_AES_128_GCM, key, salt,
	                                  NULL), ==, 0);
	if (!e)
		return;
	CHECK_INT(srtp_evp_protect(e, pkt, &len, sizeof pkt, NULL), ==, 0);
	CHECK_INT(len, ==, wlen);
	CHECK_MEM(pkt, want, wlen);
	srtp_evp_destroy(e);
}

/* libsrtp as the reference sender: a fresh outbound session per suite. */
static srtp_t ref_sender(enum srtp_suite s, const uint8_t *key_salt)
{
	srtp_t out = NULL;

	return srtp_reference_create(&out, s, key_salt, 1) == 0 ? out : NULL;
}

static unsigned rnd(unsigned n)
{
	unsigned v;

	RAND_bytes((uint8_t *)&v, sizeof v);
	return n ? v % n : v;
}

/* A random RTP packet: CSRCs, a header extension, padding bit, payload
 * 0..1300 bytes.  Returns its length. */
static size_t random_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	unsigned cc = rnd(4) == 0 ? rnd(16) : 0, x = rnd(3) == 0, pl = rnd(1301);
	size_t n = 12;

	p[0] = (uint8_t)(0x80 | (x ? 0x10 : 0) | (rnd(8) == 0 ? 0x20 : 0) | cc);
	p[1] = (uint8_t)rnd(256);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	RAND_bytes(p + 4, 4);
	p[8] = (uint8_t)(ssrc >> 24); p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8); p[11] = (uint8_t)ssrc;
	RAND_bytes(p + n, (int)(4 * cc));
	n += 4 * cc;
	if (x) {
		unsigned words = rnd(11);

		p[n] = 0xbe; p[n + 1] = 0xde;
		p[n + 2] = 0; p[n + 3] = (uint8_t)words;
		RAND_bytes(p + n + 4, (int)(4 * words));
		n += 4 + 4 * words;
	}
	RAND_bytes(p + n, (int)pl);
	return n + pl;
}

/* Thousands of random packets on two SSRCs whose sequence numbers wrap
 * (ROC 0 -> 1), some pairs sent out of order: the EVP transform's output is
 * byte-identical to libsrtp's, and srtp_rx (libsrtp) gets the plaintext back. */
static void identical_to_libsrtp(enum srtp_suite s)
{
	enum { N = 4000 };
	uint8_t key[30], plain[2048] __attribute__((aligned(8)));
	uint8_t mine[2048] __attribute__((aligned(8))), ref[2048] __attribute__((aligned(8)));
	struct srtp_tx *tx = NULL;
	struct srtp_rx *rx = NULL;
	srtp_t lib;
	uint16_t seq[2] = { (uint16_t)(65536 - 1700), (uint16_t)(65536 - 900) };
	const uint32_t ssrc[2] = { 0x11223344, 0xcafebabe };
	unsigned same = 0, back = 0, wrapped = 0, lib_fail = 0, total = 0;
	int reported = 0;

	RAND_bytes(key, sizeof key);
	lib = ref_sender(s, key);
	CHECK(lib != NULL);
	CHECK_INT(srtp_tx_create(&tx, s, key), ==, 0);
	CHECK_INT(srtp_rx_create(&rx, s, key), ==, 0);
	if (!lib || !tx || !rx)
		goto out;
	for (unsigned i = 0; i < N; i++) {
		unsigned k = rnd(2);
		/* one packet in 16 goes out one sequence number ahead, then
		 * the skipped one follows: reordering within the window */
		int swap = rnd(16) == 0;
		uint16_t sq = swap ? (uint16_t)(seq[k] + 1) : seq[k];

		for (int round = 0; round < (swap ? 2 : 1); round++) {
			size_t len = random_rtp(plain, ssrc[k], sq), ml = len;
			int rl = (int)len;

			memcpy(mine, plain, len);
			memcpy(ref, plain, len);
			if (srtp_tx_protect(tx, mine, &ml, sizeof mine) != 0 ||
			    srtp_protect(lib, ref, &rl) != srtp_err_status_ok) {
				lib_fail++;
				continue;
			}
			total++;
			if (ml == (size_t)rl && memcmp(mine, ref, ml) == 0)
				same++;
			else if (!reported++)
				HARNESS_FAIL("packet %u (ssrc %08x seq %u len %zu) differs",
				             i, ssrc[k], sq, len);
			if (srtp_rx_unprotect(rx, mine, &ml) == 0 && ml == len &&
			    memcmp(mine, plain, len) == 0)
				back++;
			if (sq == 0)
				wrapped++;
			sq = (uint16_t)(sq - 1);
		}
		seq[k] = (uint16_t)(seq[k] + (swap ? 2 : 1));
		i += swap;
	}
	CHECK_INT(lib_fail, ==, 0);
	CHECK_INT(total, >=, N);
	CHECK_INT(same, ==, total);
	CHECK_INT(back, ==, same);
	CHECK_INT(wrapped, ==, 2); /* both SSRCs crossed ROC 0 -> 1 */
	printf("  %s: %u packets identical to libsrtp, %u decrypted back\n",
	       srtp_suite_name(s), same, back);
out:
	srtp_dealloc(lib);
	srtp_tx_destroy(tx);
	srtp_rx_destroy(rx);
}

TEST(evp_identical_to_libsrtp_cm)
{
	identical_to_libsrtp(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80);
}

TEST(evp_identical_to_libsrtp_gcm)
{
	identical_to_libsrtp(SRTP_SUITE_AEAD_AES_128_GCM);
}

/* The fan-out's way (relay/fanout.c): each frame protected for many viewers
 * with srtp_tx_protect_later, every tag written by one srtp_tags_run.  Frames
 * of 1-5 packets, all but the last of one length, across a ROC rollover;
 * batches of 3 viewers (hashed one at a time), of 13 (a partly filled set of
 * lanes) and of 37 (more jobs than one batch holds: run early).  Every packet
 * is byte-identical to what each viewer's own libsrtp session makes. */
TEST(batched_tags_identical_to_libsrtp)
{
	enum { VIEWERS = 37, FRAMES = 90, PER_FRAME = 5, CAP = 1400 };
	static uint8_t mine[VIEWERS][PER_FRAME][CAP] __attribute__((aligned(8)));
	static uint8_t ref[VIEWERS][PER_FRAME][CAP] __attribute__((aligned(8)));
	static struct srtp_tags tags;
	const enum srtp_suite s = SRTP_SUITE_AES_CM_128_HMAC_SHA1_80;
	struct srtp_tx *tx[VIEWERS] = { 0 };
	srtp_t lib[VIEWERS] = { 0 };
	uint8_t key[30], plain[PER_FRAME][CAP] __attribute__((aligned(8)));
	size_t plen[PER_FRAME];
	uint16_t seq = (uint16_t)(65536 - 150);
	unsigned same = 0, total = 0, fail = 0, reported = 0;

	for (unsigned v = 0; v < VIEWERS; v++) {
		RAND_bytes(key, sizeof key);
		lib[v] = ref_sender(s, key);
		if (!lib[v] || srtp_tx_create(&tx[v], s, key) != 0)
			fail++;
	}
	CHECK_INT(fail, ==, 0);
	for (unsigned f = 0; f < FRAMES && !fail; f++) {
		unsigned npkt = 1 + rnd(PER_FRAME), nview = (unsigned[]){ 3, 13, VIEWERS }[f % 3];
		size_t full = 100 + rnd(1200);

		for (unsigned p = 0; p < npkt; p++) {
			plen[p] = p + 1 < npkt ? full : 12 + rnd((unsigned)full - 11);
			RAND_bytes(plain[p], (int)plen[p]);
			plain[p][0] = 0x80;
			plain[p][2] = (uint8_t)(seq >> 8);
			plain[p][3] = (uint8_t)seq;
			plain[p][8] = 0x5e; plain[p][9] = 0xed; plain[p][10] = 0x00; plain[p][11] = 0x01;
			seq++;
		}
		for (unsigned v = 0; v < nview; v++)
			for (unsigned p = 0; p < npkt; p++) {
				size_t ml = plen[p];
				int rl = (int)plen[p];

				memcpy(mine[v][p], plain[p], plen[p]);
				memcpy(ref[v][p], plain[p], plen[p]);
				if (srtp_tx_protect_later(tx[v], mine[v][p], &ml, CAP, &tags) != 0 ||
				    srtp_protect(lib[v], ref[v][p], &rl) != srtp_err_status_ok || ml != (size_t)rl)
					fail++;
			}
		srtp_tags_run(&tags);
		CHECK_INT(tags.n, ==, 0);
		for (unsigned v = 0; v < nview; v++)
			for (unsigned p = 0; p < npkt; p++, total++) {
				if (memcmp(mine[v][p], ref[v][p], plen[p] + 10) == 0)
					same++;
				else if (!reported++)
					HARNESS_FAIL("frame %u viewer %u packet %u (len %zu) differs", f, v, p, plen[p]);
			}
	}
	CHECK_INT(fail, ==, 0);
	CHECK_INT(same, ==, total);
	CHECK_INT(total, >=, FRAMES * 15);
	CHECK_INT(seq, <, 65536 - 150);   /* the ROC rolled over */
	printf("  %u packets identical to libsrtp, tags %u lanes at a time\n", same, sha1_mb_lanes());
	for (unsigned v = 0; v < VIEWERS; v++) {
		srtp_tx_destroy(tx[v]);
		srtp_dealloc(lib[v]);
	}
}

/* The ROC really enters the transform: seq 0 after 65535 is not seq 0 of a
 * fresh context. */
TEST(rollover_changes_ciphertext)
{
	for (int s = 0; s < 2; s++) {
		uint8_t key[30] = { 7 }, a[64] = { 0x80 }, b[64] = { 0x80 };
		struct srtp_tx *t1 = NULL, *t2 = NULL;
		size_t la = 40, lb = 40;

		CHECK_INT(srtp_tx_create(&t1, (enum srtp_suite)s, key), ==, 0);
		CHECK_INT(srtp_tx_create(&t2, (enum srtp_suite)s, key), ==, 0);
		if (!t1 || !t2)
			return;
		a[2] = 0xff; a[3] = 0xff;
		CHECK_INT(srtp_tx_protect(t1, a, &la, sizeof a), ==, 0);
		memset(a, 0, sizeof a); a[0] = 0x80; la = 40;
		CHECK_INT(srtp_tx_protect(t1, a, &la, sizeof a), ==, 0);
		CHECK_INT(srtp_tx_protect(t2, b, &lb, sizeof b), ==, 0);
		CHECK(memcmp(a, b, la) != 0);
		srtp_tx_destroy(t1);
		srtp_tx_destroy(t2);
	}
}

static size_t one_packet(struct srtp_tx *tx, uint8_t *pkt, uint16_t seq)
{
	size_t len;

	memset(pkt, 0, 256);
	pkt[0] = 0x80; pkt[1] = 96;
	pkt[2] = (uint8_t)(seq >> 8); pkt[3] = (uint8_t)seq;
	pkt[8] = 0xab; pkt[11] = 1;
	memset(pkt + 12, 0x5a, 100);
	len = 112;
	if (srtp_tx_protect(tx, pkt, &len, 256) != 0)
		return 0;
	return len;
}

static void ingress_rejects(enum srtp_suite s)
{
	uint8_t key[30], other[30], pkt[256] __attribute__((aligned(8)));
	uint8_t copy[256] __attribute__((aligned(8)));
	struct srtp_tx *tx = NULL;
	struct srtp_rx *rx = NULL, *wrong = NULL;
	size_t len, l;

	RAND_bytes(key, sizeof key);
	memcpy(other, key, sizeof other);
	other[3] ^= 1;
	CHECK_INT(srtp_tx_create(&tx, s, key), ==, 0);
	CHECK_INT(srtp_rx_create(&rx, s, key), ==, 0);
	CHECK_INT(srtp_rx_create(&wrong, s, other), ==, 0);
	if (!tx || !rx || !wrong)
		goto out;

	len = one_packet(tx, pkt, 1000);
	CHECK_INT(len, ==, 112 + srtp_suite_overhead(s));
	/* a wrong key, a flipped payload bit, a flipped tag bit: -EBADMSG */
	memcpy(copy, pkt, len); l = len;
	CHECK_INT(srtp_rx_unprotect(wrong, copy, &l), ==, -EBADMSG);
	CHECK_INT(l, ==, len);
	memcpy(copy, pkt, len); l = len; copy[40] ^= 0x10;
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, -EBADMSG);
	memcpy(copy, pkt, len); l = len; copy[len - 1] ^= 0x01;
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, -EBADMSG);
	memcpy(copy, pkt, len); l = len; copy[11] ^= 0x02; /* header is authenticated */
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, -EBADMSG);
	/* the genuine one passes once, then is a replay */
	memcpy(copy, pkt, len); l = len;
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, 0);
	CHECK_INT(l, ==, 112);
	memcpy(copy, pkt, len); l = len;
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, -EALREADY);
	/* older than the 128-packet window */
	len = one_packet(tx, pkt, 800);
	memcpy(copy, pkt, len);
	len = one_packet(tx, pkt, 1200);
	l = len;
	CHECK_INT(srtp_rx_unprotect(rx, pkt, &l), ==, 0);
	l = len;
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, -EALREADY);
	/* not SRTP at all */
	l = 11;
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, -EINVAL);
	copy[0] = 0x40; l = len;
	CHECK_INT(srtp_rx_unprotect(rx, copy, &l), ==, -EINVAL);
out:
	srtp_tx_destroy(tx);
	srtp_rx_destroy(rx);
	srtp_rx_destroy(wrong);
}

TEST(ingress_rejects_cm)
{
	ingress_rejects(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80);
}

TEST(ingress_rejects_gcm)
{
	ingress_rejects(SRTP_SUITE_AEAD_AES_128_GCM);
}

TEST(egress_refuses_bad_input)
{
	uint8_t key[30] = { 1 }, pkt[64] = { 0 };
	struct srtp_tx *tx = NULL;
	size_t len;

	CHECK_INT(srtp_tx_create(&tx, (enum srtp_suite)7, key), ==, -EINVAL);
	CHECK_INT(srtp_tx_create(&tx, SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, key), ==, 0);
	if (!tx)
		return;
	pkt[0] = 0x80;
	len = 40;
	CHECK_INT(srtp_tx_protect(tx, pkt, &len, 49), ==, -ENOSPC);
	CHECK_INT(len, ==, 40);
	pkt[0] = 0x40; /* version 1 */
	CHECK_INT(srtp_tx_protect(tx, pkt, &len, sizeof pkt), ==, -EINVAL);
	pkt[0] = 0x8f; /* 15 CSRCs do not fit in 40 bytes */
	CHECK_INT(srtp_tx_protect(tx, pkt, &len, sizeof pkt), ==, -EINVAL);
	pkt[0] = 0x90; pkt[14] = 0; pkt[15] = 9; /* extension of 9 words */
	CHECK_INT(srtp_tx_protect(tx, pkt, &len, sizeof pkt), ==, -EINVAL);
	pkt[0] = 0x80;
	for (unsigned i = 0; i < SRTP_TX_MAX_SSRC; i++) {
		pkt[11] = (uint8_t)i; len = 40;
		CHECK_INT(srtp_tx_protect(tx, pkt, &len, sizeof pkt), ==, 0);
	}
	pkt[11] = 0xee; len = 40;
	CHECK_INT(srtp_tx_protect(tx, pkt, &len, sizeof pkt), ==, -ENOMEM);
	len = 12;
	CHECK_INT(srtp_tx_protect_rtcp(tx, pkt, &len, 20), ==, -ENOSPC);
	srtp_tx_destroy(tx);
}

/* SRTCP: a sender report protected by srtp_tx, unprotected by srtp_rx;
 * replay and tampering refused. */
TEST(srtcp_round_trip)
{
	for (int s = 0; s < 2; s++) {
		uint8_t key[30], sr[128] __attribute__((aligned(8)));
		uint8_t copy[128] __attribute__((aligned(8)));
		struct srtp_tx *tx = NULL;
		struct srtp_rx *rx = NULL;
		size_t len = 28, l;

		RAND_bytes(key, sizeof key);
		CHECK_INT(srtp_tx_create(&tx, (enum srtp_suite)s, key), ==, 0);
		CHECK_INT(srtp_rx_create(&rx, (enum srtp_suite)s, key), ==, 0);
		if (!tx || !rx)
			return;
		memset(sr, 0x33, sizeof sr);
		sr[0] = 0x80; sr[1] = 200; sr[2] = 0; sr[3] = 6;
		CHECK_INT(srtp_tx_protect_rtcp(tx, sr, &len, sizeof sr), ==, 0);
		CHECK_INT(len, ==, 28 + srtp_suite_rtcp_overhead((enum srtp_suite)s));
		memcpy(copy, sr, len); l = len; copy[20] ^= 4;
		CHECK_INT(srtp_rx_unprotect_rtcp(rx, copy, &l), ==, -EBADMSG);
		memcpy(copy, sr, len); l = len;
		CHECK_INT(srtp_rx_unprotect_rtcp(rx, copy, &l), ==, 0);
		CHECK_INT(l, ==, 28);
		CHECK_INT(copy[27], ==, 0x33);
		memcpy(copy, sr, len); l = len;
		CHECK_INT(srtp_rx_unprotect_rtcp(rx, copy, &l), ==, -EALREADY);
		srtp_tx_destroy(tx);
		srtp_rx_destroy(rx);
	}
}

int main(void)
{
	if (srtp_layer_init() != 0) {
		printf("srtp_layer_init failed\n");
		return 1;
	}
	RUN(suite_names);
	RUN(rfc3711_key_derivation);
	RUN(rfc3711_aes_cm_keystream);
	RUN(rfc7714_gcm_vector);
	RUN(evp_identical_to_libsrtp_cm);
	RUN(evp_identical_to_libsrtp_gcm);
	RUN(batched_tags_identical_to_libsrtp);
	RUN(rollover_changes_ciphertext);
	RUN(ingress_rejects_cm);
	RUN(ingress_rejects_gcm);
	RUN(egress_refuses_bad_input);
	RUN(srtcp_round_trip);
	return harness_done();
}
