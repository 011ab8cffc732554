/* sdp_fixture: the Chromium and libdatachannel offers in tests/data/sdp/ (made
 * by capture.js and capture-ndc.js),
 * read for the SDP and WHIP unit tests.  Include after tests/harness.h. */
#ifndef AMPHI_TESTS_SDP_FIXTURE_H
#define AMPHI_TESTS_SDP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

/* tests/data/sdp/NAME under $AMPHI_TOP, NUL-terminated in one of four
 * rotating static buffers (a test may hold up to four at once); SKIPs the
 * test when the file is missing. */
static char *sdp_fixture(const char *name)
{
	static char bufs[4][16384];
	static int next;
	char path[512], *b = bufs[next++ % 4];
	const char *top = getenv("AMPHI_TOP");
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/tests/data/sdp/%s", top ? top : ".", name);
	if (!(f = fopen(path, "rb")))
		SKIP("fixture %s missing", path);
	n = fread(b, 1, sizeof bufs[0] - 1, f);
	b[n] = 0;
	fclose(f);
	return b;
}

#endif
