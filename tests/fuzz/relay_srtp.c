/* Fuzz target: the SRTP layer (relay/srtp.c, relay/srtp_evp.c) on outside
 * bytes.  Ingress: anything may arrive at srtp_rx_unprotect and _rtcp and
 * must be refused cleanly.  Egress: whatever srtp_tx_protect accepts as a
 * plaintext RTP packet must unprotect with libsrtp (srtp_rx) back to the same
 * bytes, for both suites: the EVP transform and libsrtp agree on every
 * header layout the fuzzer finds. */
#include "relay/srtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static const uint8_t key[30] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	                                 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
	                                 29, 30 };
	uint8_t buf[4096] __attribute__((aligned(8)));

	if (!ready) {
		if (srtp_layer_init() != 0)
			abort();
		ready = 1;
	}
	if (size > sizeof buf - 64)
		return 0;
	for (int s = 0; s < 2; s++) {
		struct srtp_rx *rx = NULL;
		struct srtp_tx *tx = NULL;
		size_t len;

		if (srtp_rx_create(&rx, (enum srtp_suite)s, key) != 0 ||
		    srtp_tx_create(&tx, (enum srtp_suite)s, key) != 0)
			abort();
		memcpy(buf, data, size);
		len = size;
		(void)srtp_rx_unprotect(rx, buf, &len);
		memcpy(buf, data, size);
		len = size;
		(void)srtp_rx_unprotect_rtcp(rx, buf, &len);
		srtp_rx_destroy(rx);

		if (srtp_rx_create(&rx, (enum srtp_suite)s, key) != 0)
			abort();
		memcpy(buf, data, size);
		len = size;
		if (srtp_tx_protect(tx, buf, &len, sizeof buf) == 0) {
			if (len != size + srtp_suite_overhead((enum srtp_suite)s) ||
			    srtp_rx_unprotect(rx, buf, &len) != 0 || len != size ||
			    memcmp(buf, data, size) != 0)
				abort();
		}
		srtp_rx_destroy(rx);
		srtp_tx_destroy(tx);
	}
	return 0;
}
