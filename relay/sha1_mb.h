/* sha1_mb: SHA-1 over many independent messages at once, for the HMAC-SHA1
 * tags of the fan-out's AES-CM egress.
 *
 * A frame goes to every viewer under the viewer's own key: hundreds of HMACs
 * over messages of (nearly) one length, none depending on another.  With
 * AVX-512 sixteen of them run side by side, one message per 32-bit lane of
 * the same registers (the "multi-buffer" method: each lane a whole SHA-1, the
 * 80 rounds shared).  One message alone is faster through OpenSSL's SHA-1
 * (SHA-NI where the CPU has it), so small batches, and every batch on a CPU
 * without AVX-512, take that path.  docs/performance.md has the numbers.
 *
 * A job continues a hash whose first `done` bytes (a multiple of 64, e.g. an
 * HMAC key pad block) are already in h, so HMAC's inner and outer hashes are
 * two runs.  No state is kept between calls; callable from any thread. */
#ifndef AMPHI_RELAY_SHA1_MB_H
#define AMPHI_RELAY_SHA1_MB_H

#include <stdint.h>

struct sha1_mb_job {
	const uint8_t *msg;   /* borrowed, read during sha1_mb_run only */
	uint32_t len;         /* bytes of msg */
	uint32_t done;        /* bytes already hashed into h: a multiple of 64 */
	uint32_t h[5];        /* the SHA-1 state to continue from (H0..H4) */
	uint8_t md[20];       /* out: the digest */
};

/* Hashes every job.  Batches of SHA1_MB_MIN jobs or more use the 16-lane
 * path when the CPU has it. */
void sha1_mb_run(struct sha1_mb_job *jobs, unsigned n);

/* Below this many jobs (or without AVX-512) each is hashed on its own. */
#define SHA1_MB_MIN 6

/* 16 when this CPU runs the multi-buffer path, 1 when it does not. */
unsigned sha1_mb_lanes(void);

#endif
