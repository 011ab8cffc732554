/* Fuzz target: the configuration and retention-policy parsers (operator files). */
#include "common/config.h"
#include "common/duration.h"
#include "common/retention.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct config *cfg = config_parse("fuzz", (const char *)data, size, err, sizeof err);
	struct retention r;

	if (cfg) {
		const char *sec, *key, *val;
		for (size_t i = 0; (sec = config_section_at(cfg, i)); i++)
			for (size_t k = 0; (key = config_key_at(cfg, sec, k, &val)); k++) {
				struct duration d;
				long long n;
				bool b;
				config_get_int(cfg, sec, key, 0, -1000, 1000, &n);
				config_get_bool(cfg, sec, key, false, &b);
				if (config_get_duration(cfg, sec, key, "0", &d) == 0) {
					char buf[64];
					duration_add(0, &d);
					duration_format(&d, buf, sizeof buf);
				}
			}
		config_free(cfg);
	}
	if (retention_parse("fuzz", (const char *)data, size, &r, err, sizeof err) == 0)
		retention_free(&r);
	return 0;
}
