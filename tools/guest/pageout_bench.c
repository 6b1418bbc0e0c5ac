// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of tools/bench-pageout.py: time MADV_PAGEOUT of anonymous
 * memory backed by folios of one size, the workload of the batched unmap
 * series' cover letter (256 MiB, written with zeroes, swapped to zram).
 * Not a test: it prints one line per measurement,
 *
 *   # bench size_kb=64 rep=0 mib=256 seconds=0.012345 left_kb=0
 *
 * (left_kb: anonymous memory still resident afterwards) and exits 0, or 4
 * without THP or swap. Usage: pageout_bench [MiB [repetitions [size_kB...]]];
 * default 256 MiB, 5 repetitions, 64 kB and 4 kB folios.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"


int main(int argc, char **argv)
{
	static const unsigned long default_kb[] = { 64, 4 };
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	size_t len = mib << 20, pmd;
	unsigned long kb, pmd_kb;
	int s, nsizes, rep;
	char line[256];
	FILE *f;

	f = fopen(THP "/hpage_pmd_size", "r");
	if (!f || fscanf(f, "%zu", &pmd) != 1) {
		printf("# bench: no THP\n");
		return 4;
	}
	fclose(f);
	pmd_kb = pmd >> 10;
	/* The header line, then one line per swap area. */
	f = fopen("/proc/swaps", "r");
	if (!f || !fgets(line, sizeof(line), f) || !fgets(line, sizeof(line), f)) {
		printf("# bench: no swap\n");
		return 4;
	}
	fclose(f);
	put(THP "/defrag", "madvise");

	nsizes = argc > 3 ? argc - 3 : 2;
	for (s = 0; s < nsizes; s++) {
		kb = argc > 3 ? strtoul(argv[3 + s], NULL, 0) : default_kb[s];
		if (!only_size(kb, pmd_kb)) {
			printf("# bench: no %lu kB folios\n", kb);
			continue;
		}
		for (rep = 0; rep < reps; rep++) {
			char *map, *mem;
			double t0, t;

			mem = map_pmd_aligned(len, pmd, &map);
			if (!mem)
				return 1;
			madvise(mem, len, kb > 4 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
			memset(mem, 0, len);
			t0 = now();
			if (madvise(mem, len, MADV_PAGEOUT)) {
				printf("# bench: MADV_PAGEOUT: %s\n", strerror(errno));
				return 1;
			}
			t = now() - t0;
			printf("# bench size_kb=%lu rep=%d mib=%lu seconds=%.6f left_kb=%lu\n",
			       kb, rep, mib, t, rss_anon_kb());
			fflush(stdout);
			munmap(map, len + pmd);
		}
	}
	return 0;
}
