/* Fuzz target: the VP9 depacketizer behind the reorder buffer (RTP payloads
 * are outside bytes from any publisher).  Input format: recstore_depack_feed.h. */
#include "tests/fuzz/recstore_depack_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_depack(REC_CODEC_VP9, data, size);
}
