/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest sides of the A/B benchmarks
 * (lazyfree_bench.c, pageout_bench.c, collapse_bench.c): sysfs writes, the
 * THP size that faults allocate, PMD-aligned memory, a monotonic clock and
 * the resident anonymous memory.
 */
#ifndef MMSUITE_BENCH_UTIL_H
#define MMSUITE_BENCH_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

/*
 * @len bytes of private anonymous memory from a @pmd boundary, in a mapping
 * of @len + @pmd bytes at *@map (what to munmap()). NULL, said why, if mmap
 * fails.
 */
static inline char *map_pmd_aligned(size_t len, size_t pmd, char **map)
{
	*map = mmap(NULL, len + pmd, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*map == MAP_FAILED) {
		printf("# bench: mmap: %s\n", strerror(errno));
		return NULL;
	}
	return (char *)(((unsigned long)*map + pmd - 1) & ~(pmd - 1));
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
