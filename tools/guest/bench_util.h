/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest sides of the A/B benchmarks
 * (lazyfree_bench.c, pageout_bench.c): sysfs writes, the THP size that
 * faults allocate, a monotonic clock and the resident anonymous memory.
 */
#ifndef MMSUITE_BENCH_UTIL_H
#define MMSUITE_BENCH_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THP "/sys/kernel/mm/transparent_hugepage"

static inline int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) < 0 ? -1 : 0;
	close(fd);
	return ret;
}

/*
 * Let faults allocate folios of @kb only (4: base pages). Returns 0 if the
 * kernel offers no such size.
 */
static inline int only_size(unsigned long kb, unsigned long pmd_kb)
{
	char path[256];
	unsigned long k;
	int found = kb == 4;

	for (k = 8; k <= pmd_kb; k *= 2) {
		snprintf(path, sizeof(path), THP "/hugepages-%lukB/enabled", k);
		if (!put(path, k == kb ? "always" : "never") && k == kb)
			found = 1;
	}
	put(THP "/enabled", kb == pmd_kb ? "always" : "never");
	return found;
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline unsigned long rss_anon_kb(void)
{
	char line[256];
	unsigned long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

#endif
