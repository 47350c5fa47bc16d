/* fuzz_attr.c — the attribution tool's text parsers: attr.conf lines, durations,
 * UTC times, key=value settings and user-agent families. Oracles: no crash, no
 * out-of-bounds access (ASan), parsed values respect their documented ranges. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "attr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	int64_t us;
	if (unmo_attr_parse_duration(s, &us) == 0 && us < 0)
		abort();
	(void)unmo_attr_parse_time(s, &us);
	struct unmo_attr_windows w;
	unmo_attr_windows_default(&w);
	char err[256];
	if (unmo_attr_windows_set(&w, s, err, sizeof err) == 0 && (w.half_life_us <= 0 || w.flood_clicks == 0))
		abort();
	char fam[64];
	size_t n = unmo_attr_ua_family((struct unmo_str){s, (uint16_t)(size > UNMO_STR_MAX ? UNMO_STR_MAX : size)},
				       fam, sizeof fam);
	if (n >= sizeof fam || strlen(fam) != n)
		abort();
	/* the whole input as a config file */
	char path[] = "/tmp/fuzz_attr_confXXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, data, size) == (ssize_t)size) {
			struct unmo_attr_config *c = unmo_attr_config_new();
			(void)unmo_attr_config_load(c, path, err, sizeof err);
			const struct unmo_attr_windows *cw = unmo_attr_config_get(c, "com.x", 5);
			if (cw->half_life_us <= 0)
				abort();
			unmo_attr_config_free(c);
		}
		close(fd);
		unlink(path);
	}
	free(s);
	return 0;
}
