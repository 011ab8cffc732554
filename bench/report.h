/* report: the HTML page with SVG plots that amphi-bench writes next to its
 * JSON (DESIGN.md §8): one point per run, viewers on the x axis; plots of
 * the ratios to the raw and the GSO ceiling, egress packets per relay
 * CPU-second against both ceilings, latency p50/p99 and loss.  Self-contained (no script, no
 * external file), so it opens from bench/results/ as is. */
#ifndef AMPHI_BENCH_REPORT_H
#define AMPHI_BENCH_REPORT_H

#include <jansson.h>

/* steps: array of fanout result objects (borrowed).  0 or -errno. */
int report_write(const char *path, const char *title, json_t *steps);

#endif
