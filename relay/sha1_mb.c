/* sha1_mb: see sha1_mb.h.  FIPS 180-4 §6.1; the lanes follow the shape of
 * Intel's multi-buffer hashing (each lane a message, a lane manager feeding
 * new messages into lanes that finish). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "relay/sha1_mb.h"

#include <string.h>

#include <immintrin.h>
#include <openssl/sha.h>

#include "common/bytes.h"

enum { LANES = 16, BLOCK = 64 };

/* One job through OpenSSL's SHA-1, its SHA_CTX rebuilt from the job's state
 * (the struct's fields are public API: H0..H4 and the bit count). */
static void hash_one(struct sha1_mb_job *j)
{
	uint64_t bits = (uint64_t)j->done * 8;
	SHA_CTX c;

	memset(&c, 0, sizeof c);
	c.h0 = j->h[0];
	c.h1 = j->h[1];
	c.h2 = j->h[2];
	c.h3 = j->h[3];
	c.h4 = j->h[4];
	c.Nl = (SHA_LONG)bits;
	c.Nh = (SHA_LONG)(bits >> 32);
	SHA1_Update(&c, j->msg, j->len);
	SHA1_Final(j->md, &c);
	explicit_bzero(&c, sizeof c);
}

/* A lane's message as a sequence of blocks: the whole blocks of msg read in
 * place, then one or two blocks of padding built in tail (FIPS 180-4 §5.1.1:
 * the last bytes, 0x80, zeros, the 64-bit big-endian bit length). */
struct lane {
	struct sha1_mb_job *job;    /* NULL while the lane is idle */
	uint32_t full;              /* whole blocks of job->msg */
	uint32_t total;             /* full + the blocks of tail */
	uint32_t next;              /* the block the next round reads */
	uint8_t tail[2 * BLOCK];
};

static void lane_start(struct lane *l, struct sha1_mb_job *j, uint32_t st[5][LANES], unsigned i)
{
	uint32_t rem = j->len % BLOCK, ntail = rem + 9 <= BLOCK ? 1 : 2;
	uint64_t bits = ((uint64_t)j->done + j->len) * 8;

	l->job = j;
	l->full = j->len / BLOCK;
	l->total = l->full + ntail;
	l->next = 0;
	memcpy(l->tail, j->msg + (size_t)l->full * BLOCK, rem);
	l->tail[rem] = 0x80;
	memset(l->tail + rem + 1, 0, ntail * BLOCK - rem - 1 - 8);
	wr32(l->tail + ntail * BLOCK - 8, (uint32_t)(bits >> 32));
	wr32(l->tail + ntail * BLOCK - 4, (uint32_t)bits);
	for (unsigned k = 0; k < 5; k++)
		st[k][i] = j->h[k];
}

static const uint8_t *lane_block(const struct lane *l)
{
	if (l->next < l->full)
		return l->job->msg + (size_t)l->next * BLOCK;
	return l->tail + (size_t)(l->next - l->full) * BLOCK;
}

#define AVX512 __attribute__((target("avx512f,avx512bw")))

/* Rows r[i] (lane i's 16 message words) to columns: r[w] then holds word w
 * of every lane.  Two unpack stages within 128-bit lanes, then two 128-bit
 * shuffles across them. */
AVX512 static inline void transpose16(__m512i r[16])
{
	__m512i t[16], u[16];

	for (unsigned i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
	}
	/* u[4g + j], 128-bit lane k: rows 4g..4g+3, word 4k + j */
	for (unsigned g = 0; g < 4; g++) {
		u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
		u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
		u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
		u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
	}
	for (unsigned j = 0; j < 4; j++) {
		__m512i a = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44);
		__m512i b = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xee);
		__m512i c = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
		__m512i d = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xee);
		r[j] = _mm512_shuffle_i32x4(a, c, 0x88);
		r[4 + j] = _mm512_shuffle_i32x4(a, c, 0xdd);
		r[8 + j] = _mm512_shuffle_i32x4(b, d, 0x88);
		r[12 + j] = _mm512_shuffle_i32x4(b, d, 0xdd);
	}
}

/* FIPS 180-4 §4.1.1 as vpternlogd truth tables over (b, c, d). */
#define CH(b, c, d)     _mm512_ternarylogic_epi32(b, c, d, 0xca)
#define PARITY(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0x96)
#define MAJ(b, c, d)    _mm512_ternarylogic_epi32(b, c, d, 0xe8)

/* W[t] for t >= 16 in a 16-word window (§6.1.2 step 1). */
#define SCHEDULE(t)                                                                     \
	(w[(t) & 15] = _mm512_rol_epi32(                                                \
	         _mm512_ternarylogic_epi32(w[((t) - 3) & 15], w[((t) - 8) & 15],        \
	                                   _mm512_xor_si512(w[((t) - 14) & 15], w[(t) & 15]), 0x96), 1))
#define WORD(t) ((t) < 16 ? w[(t) & 15] : SCHEDULE(t))

/* One round with the roles of a..e given by position; the caller rotates the
 * names instead of moving registers: e takes T, b takes ROTL30(b). */
#define ROUND(a, b, c, d, e, F, k, t)                                                   \
	do {                                                                            \
		e = _mm512_add_epi32(_mm512_add_epi32(e, _mm512_add_epi32(WORD(t), k)), \
		                     _mm512_add_epi32(F(b, c, d), _mm512_rol_epi32(a, 5))); \
		b = _mm512_rol_epi32(b, 30);                                            \
	} while (0)
#define ROUND5(F, k, t)                           \
	do {                                      \
		ROUND(a, b, c, d, e, F, k, (t));     \
		ROUND(e, a, b, c, d, F, k, (t) + 1); \
		ROUND(d, e, a, b, c, F, k, (t) + 2); \
		ROUND(c, d, e, a, b, F, k, (t) + 3); \
		ROUND(b, c, d, e, a, F, k, (t) + 4); \
	} while (0)
#define ROUND20(F, k, t)                  \
	do {                              \
		ROUND5(F, k, (t));        \
		ROUND5(F, k, (t) + 5);    \
		ROUND5(F, k, (t) + 10);   \
		ROUND5(F, k, (t) + 15);   \
	} while (0)

/* One 64-byte block of each lane's message (p[i] for lane i) into st. */
AVX512 static void block_x16(uint32_t st[5][LANES], const uint8_t *const p[LANES])
{
	const __m512i bswap = _mm512_broadcast_i32x4(
	        _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
	const __m512i k1 = _mm512_set1_epi32(0x5a827999), k2 = _mm512_set1_epi32(0x6ed9eba1),
	              k3 = _mm512_set1_epi32((int)0x8f1bbcdc), k4 = _mm512_set1_epi32((int)0xca62c1d6);
	__m512i w[16], a, b, c, d, e, a0, b0, c0, d0, e0;

	for (unsigned i = 0; i < LANES; i++)
		w[i] = _mm512_loadu_si512(p[i]);
	transpose16(w);
	for (unsigned i = 0; i < 16; i++)
		w[i] = _mm512_shuffle_epi8(w[i], bswap);
	a = a0 = _mm512_load_si512(st[0]);
	b = b0 = _mm512_load_si512(st[1]);
	c = c0 = _mm512_load_si512(st[2]);
	d = d0 = _mm512_load_si512(st[3]);
	e = e0 = _mm512_load_si512(st[4]);
	ROUND20(CH, k1, 0);
	ROUND20(PARITY, k2, 20);
	ROUND20(MAJ, k3, 40);
	ROUND20(PARITY, k4, 60);
	_mm512_store_si512(st[0], _mm512_add_epi32(a, a0));
	_mm512_store_si512(st[1], _mm512_add_epi32(b, b0));
	_mm512_store_si512(st[2], _mm512_add_epi32(c, c0));
	_mm512_store_si512(st[3], _mm512_add_epi32(d, d0));
	_mm512_store_si512(st[4], _mm512_add_epi32(e, e0));
}

/* The lane manager: idle lanes take the next job; all lanes advance together
 * for as many blocks as the nearest-to-done lane has left; finished lanes
 * hand back their digest.  Idle lanes hash a zero block, unread. */
static void run_x16(struct sha1_mb_job *jobs, unsigned n)
{
	static const uint8_t zero[BLOCK] __attribute__((aligned(64)));
	uint32_t st[5][LANES] __attribute__((aligned(64)));
	struct lane lanes[LANES];
	const uint8_t *p[LANES];
	unsigned next = 0, active = 0;

	for (unsigned i = 0; i < LANES; i++)
		lanes[i].job = NULL;
	for (;;) {
		uint32_t steps = UINT32_MAX;

		for (unsigned i = 0; i < LANES && next < n; i++)
			if (!lanes[i].job) {
				lane_start(&lanes[i], &jobs[next++], st, i);
				active++;
			}
		if (!active)
			break;
		for (unsigned i = 0; i < LANES; i++)
			if (lanes[i].job && lanes[i].total - lanes[i].next < steps)
				steps = lanes[i].total - lanes[i].next;
		while (steps--) {
			for (unsigned i = 0; i < LANES; i++)
				p[i] = lanes[i].job ? lane_block(&lanes[i]) : zero;
			block_x16(st, p);
			for (unsigned i = 0; i < LANES; i++)
				lanes[i].next++;
		}
		for (unsigned i = 0; i < LANES; i++) {
			struct lane *l = &lanes[i];
			if (!l->job || l->next < l->total)
				continue;
			for (unsigned k = 0; k < 5; k++)
				wr32(l->job->md + 4 * k, st[k][i]);
			l->job = NULL;
			active--;
		}
	}
	/* The states began as HMAC key pads: as secret as the key. */
	explicit_bzero(st, sizeof st);
}

unsigned sha1_mb_lanes(void)
{
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") ? LANES : 1;
}

void sha1_mb_run(struct sha1_mb_job *jobs, unsigned n)
{
	if (n >= SHA1_MB_MIN && sha1_mb_lanes() == LANES) {
		run_x16(jobs, n);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		hash_one(&jobs[i]);
}
