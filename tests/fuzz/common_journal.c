/* Fuzz target: the journal reader (journals are outside bytes: written by
 * another process, possibly torn by a crash or damaged on disk).  Every
 * record returned must lie inside the input and pass the bounds the format
 * promises; the stats must add up. */
#include "common/journal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_header h;
	struct journal_reader *rd;
	struct journal_record r;
	struct journal_stats st;
	char err[200];
	uint64_t n = 0;

	if (journal_open_mem(data, size, &h, &rd, err, sizeof err) != 0)
		return 0;
	while (journal_next(rd, &r) == 1) {
		if (r.data < data || r.data + r.len > data + size || r.track >= h.ntracks ||
		    r.len < JOURNAL_PACKET_MIN || r.len > JOURNAL_PACKET_MAX)
			abort();
		n++;
	}
	if (journal_next(rd, &r) != 0)
		abort();
	journal_reader_stats(rd, &st);
	if (st.records != n || st.valid_end > size || st.file_size != size)
		abort();
	if (!st.torn && st.valid_end != size)
		abort();
	journal_close(rd);
	return 0;
}
