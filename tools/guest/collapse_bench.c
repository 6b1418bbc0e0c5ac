// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of tools/bench-collapse.py: how long khugepaged takes to
 * collapse memory that was faulted in as base pages, for each mTHP size
 * alone, for every size below PMD size at once, and for every size at once
 * on a sparse layout (the last page of every 64 kB left unwritten,
 * max_ptes_none 0, so that every PMD range has ranges turned down at each
 * size). Not a test: it prints one line per measurement,
 *
 *   # bench case=dense size_kb=64 rep=0 mib=1024 seconds=1.234 left_kb=0
 *
 * (size_kb=0: every size below PMD size; left_kb: memory not in a
 * collapsed folio at the end) and exits 0 (4 without mTHP collapse).
 * The time is from enabling the sizes to the last collapse, found as the
 * last rise of the per-size "collapse" counters before khugepaged did two
 * full scans without one. Usage: collapse_bench [MiB [repetitions]].
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"

#define KHP THP "/khugepaged"
#define TIMEOUT_S 900

static unsigned long pmd_kb;

static long get(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atol(buf);
}

static long collapsed_kb(void)
{
	char path[256];
	unsigned long kb;
	long n, sum = 0;

	for (kb = 16; kb < pmd_kb; kb *= 2) {
		snprintf(path, sizeof(path), THP "/hugepages-%lukB/stats/collapse", kb);
		n = get(path);
		if (n > 0)
			sum += n * kb;
	}
	return sum;
}

/* Enable @kb for MADV_HUGEPAGE VMAs (0: every size below PMD size). */
static void enable(unsigned long kb, int on)
{
	char path[256];
	unsigned long k;

	for (k = 8; k <= pmd_kb; k *= 2) {
		snprintf(path, sizeof(path), THP "/hugepages-%lukB/enabled", k);
		put(path, on && k < pmd_kb && (!kb || k == kb) ? "madvise" : "never");
	}
}

static int run(const char *name, unsigned long kb, int sparse, int rep,
	       unsigned long mib)
{
	size_t len = mib << 20, pmd = pmd_kb << 10, i;
	long c0, c, last_c;
	unsigned long scans;
	double t0, t_last;
	char *map, *mem;

	enable(0, 0);
	put(THP "/enabled", "never");
	put(KHP "/max_ptes_none", sparse ? "0" : "511");
	put(KHP "/scan_sleep_millisecs", "0");
	put(KHP "/alloc_sleep_millisecs", "0");
	put(KHP "/pages_to_scan", "4096");
	put(KHP "/defrag", "1");
	mem = map_pmd_aligned(len, pmd, &map);
	if (!mem)
		return 1;
	for (i = 0; i < len; i += 4096)
		if (!sparse || (i & 0xffff) != 0xf000)
			mem[i] = 1;

	c0 = last_c = collapsed_kb();
	t0 = t_last = now();
	enable(kb, 1);
	/* Registers the mm with khugepaged, now that a size is on. */
	madvise(mem, len, MADV_HUGEPAGE);
	scans = get(KHP "/full_scans");
	while (now() - t0 < TIMEOUT_S) {
		usleep(2000);
		c = collapsed_kb();
		if (c != last_c) {
			last_c = c;
			t_last = now();
			scans = get(KHP "/full_scans");
		} else if (get(KHP "/full_scans") >= (long)scans + 2) {
			break;
		} else if (now() - t_last > 60) {
			printf("# bench: khugepaged did nothing for 60 s\n");
			break;
		}
	}
	enable(0, 0);
	printf("# bench case=%s size_kb=%lu rep=%d mib=%lu seconds=%.6f left_kb=%ld\n",
	       name, kb, rep, mib, t_last - t0, (long)(len >> 10) - (last_c - c0));
	fflush(stdout);
	munmap(map, len + pmd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	unsigned long kb;
	char path[256];
	struct stat st;
	int rep;

	pmd_kb = get(THP "/hpage_pmd_size") >> 10;
	snprintf(path, sizeof(path), THP "/hugepages-%lukB/stats/collapse", pmd_kb);
	if (stat(path, &st)) {
		printf("# bench: no per-size collapse counters: no mTHP collapse\n");
		return 4;
	}
	put(THP "/defrag", "madvise");
	for (rep = 0; rep < reps; rep++) {
		for (kb = pmd_kb / 2; kb >= 16; kb /= 2) {
			snprintf(path, sizeof(path), THP "/hugepages-%lukB", kb);
			if (!stat(path, &st) && run("dense", kb, 0, rep, mib))
				return 1;
		}
		if (run("dense", 0, 0, rep, mib) || run("sparse", 0, 1, rep, mib))
			return 1;
	}
	return 0;
}
