/* report: see report.h. */
#include "bench/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { W = 520, H = 260, ML = 70, MR = 20, MT = 30, MB = 40 };

struct series {
	const char *label;
	const char *color;
	const char *key;        /* top-level key, or "latency_us.p50" style */
	double scale;           /* value * scale is plotted */
};

static double value(json_t *step, const char *key)
{
	const char *dot = strchr(key, '.');
	char head[64];

	if (!dot)
		return json_number_value(json_object_get(step, key));
	snprintf(head, sizeof head, "%.*s", (int)(dot - key), key);
	return json_number_value(json_object_get(json_object_get(step, head), dot + 1));
}

static void plot(FILE *f, const char *title, const char *unit, json_t *steps,
                 const struct series *s, unsigned ns)
{
	size_t n = json_array_size(steps), i;
	double xmax = 1, ymax = 0;
	json_t *st;

	json_array_foreach(steps, i, st) {
		double x = value(st, "viewers");

		if (x > xmax)
			xmax = x;
		for (unsigned k = 0; k < ns; k++)
			if (value(st, s[k].key) * s[k].scale > ymax)
				ymax = value(st, s[k].key) * s[k].scale;
	}
	if (ymax <= 0)
		ymax = 1;
	ymax *= 1.1;
	fprintf(f, "<figure><figcaption>%s</figcaption>\n"
	        "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
	        "font-family='sans-serif' font-size='11'>\n", title, W, H);
	fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#333'/>"
	        "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#333'/>\n",
	        ML, H - MB, W - MR, H - MB, ML, MT, ML, H - MB);
	for (int t = 0; t <= 4; t++) {
		double y = H - MB - (double)(H - MT - MB) * t / 4;

		double tick = ymax * t / 4;

		fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>",
		        ML, y, W - MR, y);
		if (ymax >= 10000)
			fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%.0fk</text>\n",
			        ML - 4, y + 4, tick / 1000);
		else
			fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%.3g</text>\n",
			        ML - 4, y + 4, tick);
		fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%.0f</text>\n",
		        ML + (double)(W - ML - MR) * t / 4, H - MB + 14, xmax * t / 4);
	}
	fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>viewers</text>"
	        "<text x='12' y='%d' transform='rotate(-90 12 %d)' text-anchor='middle'>%s</text>\n",
	        (W + ML) / 2, H - 6, H / 2, H / 2, unit);
	for (unsigned k = 0; k < ns; k++) {
		fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", s[k].color);
		json_array_foreach(steps, i, st)
			fprintf(f, "%.1f,%.1f ",
			        ML + (W - ML - MR) * value(st, "viewers") / xmax,
			        H - MB - (H - MT - MB) * value(st, s[k].key) * s[k].scale / ymax);
		fprintf(f, "'/>\n");
		json_array_foreach(steps, i, st)
			fprintf(f, "<circle r='3' fill='%s' cx='%.1f' cy='%.1f'/>\n", s[k].color,
			        ML + (W - ML - MR) * value(st, "viewers") / xmax,
			        H - MB - (H - MT - MB) * value(st, s[k].key) * s[k].scale / ymax);
		fprintf(f, "<text x='%d' y='%u' fill='%s'>%s</text>\n", ML + 10,
		        MT + 2 + 13 * k, s[k].color, s[k].label);
	}
	(void)n;
	fprintf(f, "</svg></figure>\n");
}

int report_write(const char *path, const char *title, json_t *steps)
{
	static const struct series ratio[] = {
		{ "egress / raw ceiling", "#1f77b4", "ratio", 1 },
		{ "egress / GSO ceiling", "#ff7f0e", "ratio_gso", 1 } };
	static const struct series rate[] = {
		{ "egress pkt per relay CPU-s", "#1f77b4", "egress_pps_per_cpu_s", 1 },
		{ "raw ceiling pkt per CPU-s", "#7f7f7f", "raw_ceiling_pps_per_cpu_s", 1 },
		{ "GSO ceiling pkt per CPU-s", "#ff7f0e", "raw_ceiling_gso_pps_per_cpu_s", 1 } };
	static const struct series lat[] = {
		{ "p50", "#2ca02c", "latency_us.p50", 0.001 },
		{ "p99", "#d62728", "latency_us.p99", 0.001 } };
	static const struct series loss[] = { { "loss", "#d62728", "loss", 100 } };
	FILE *f = fopen(path, "w");
	size_t i;
	json_t *st;

	if (!f)
		return -errno;
	fprintf(f, "<!doctype html>\n<html><head><meta charset='utf-8'><title>%s</title>\n"
	        "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;"
	        "margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	        "padding:2px 8px;text-align:right}</style></head><body>\n<h1>%s</h1>\n",
	        title, title);
	plot(f, "Egress packets per relay CPU-second / each ceiling", "ratio", steps, ratio, 2);
	plot(f, "Packets per CPU-second", "pkt/CPU-s", steps, rate, 3);
	plot(f, "Latency, publisher send to viewer decrypt", "ms", steps, lat, 2);
	plot(f, "Loss", "%", steps, loss, 1);
	fprintf(f, "<table><tr><th>viewers</th><th>suite</th><th>egress pkt/s</th>"
	        "<th>relay CPU s</th><th>pkt/CPU-s</th><th>ceiling pkt/CPU-s</th><th>ratio</th>"
	        "<th>GSO ceiling pkt/CPU-s</th><th>ratio_gso</th>"
	        "<th>loss</th><th>p50 µs</th><th>p99 µs</th></tr>\n");
	json_array_foreach(steps, i, st)
		fprintf(f, "<tr><td>%.0f</td><td>%s</td><td>%.0f</td><td>%.2f</td><td>%.0f</td>"
		        "<td>%.0f</td><td>%.3f</td><td>%.0f</td><td>%.3f</td><td>%.4f</td><td>%.0f</td>"
		        "<td>%.0f</td></tr>\n",
		        value(st, "viewers"), json_string_value(json_object_get(st, "suite")),
		        value(st, "egress_pps"), value(st, "relay_cpu_s"),
		        value(st, "egress_pps_per_cpu_s"), value(st, "raw_ceiling_pps_per_cpu_s"),
		        value(st, "ratio"), value(st, "raw_ceiling_gso_pps_per_cpu_s"),
		        value(st, "ratio_gso"), value(st, "loss"), value(st, "latency_us.p50"),
		        value(st, "latency_us.p99"));
	fprintf(f, "</table>\n</body></html>\n");
	return fclose(f) == 0 ? 0 : -errno;
}
