/* crc32c: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum
 * of every journal record (common/journal.h) and of the journal header.
 *
 * Software, slice-by-8 tables built once on first use (thread-safe through
 * pthread_once); about 1-2 GB/s on one core, far above what a recording sink
 * writes.  Check values (RFC 3720 B.4): "123456789" -> 0xE3069283, 32 zero
 * bytes -> 0x8A9136AA. */
#ifndef AMPHI_CRC32C_H
#define AMPHI_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: crc32c_update(0, a, n) is the CRC of a; feeding b next
 * with the result gives the CRC of a||b. */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);

#endif
