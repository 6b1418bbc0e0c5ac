// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of tools/bench-lazyfree.py: time memcg reclaim of lazyfree
 * memory backed by each THP size. Not a test: it prints one line per
 * measurement,
 *
 *   # bench size_kb=2048 rep=0 mib=1024 seconds=0.012345 left_kb=0
 *
 * and exits 0 (4 when THP or memcg is missing). Usage: lazyfree_bench
 * [MiB [repetitions]]; default 1024 MiB, 5 repetitions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define CG "/sys/fs/cgroup"

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	size_t len = mib << 20, pmd, i;
	unsigned long kb, pmd_kb;
	char buf[64], path[256];
	struct stat st;
	int fd, rep;
	FILE *f;

	f = fopen(THP "/hpage_pmd_size", "r");
	if (!f || fscanf(f, "%zu", &pmd) != 1) {
		printf("# bench: no THP\n");
		return 4;
	}
	fclose(f);
	pmd_kb = pmd >> 10;
	put(CG "/cgroup.subtree_control", "+memory");
	mkdir(CG "/lazyfree_bench", 0755);
	snprintf(buf, sizeof(buf), "%d", getpid());
	if (put(CG "/lazyfree_bench/cgroup.procs", buf)) {
		printf("# bench: no memory cgroup\n");
		return 4;
	}
	put(THP "/defrag", "madvise");

	for (kb = pmd_kb; kb >= 16; kb /= 2) {
		snprintf(path, sizeof(path), THP "/hugepages-%lukB", kb);
		if (stat(path, &st))
			continue;
		for (rep = 0; rep < reps; rep++) {
			char *map, *mem;
			double t0, t;

			only_size(kb, pmd_kb);
			mem = map_pmd_aligned(len, pmd, &map);
			if (!mem)
				return 1;
			madvise(mem, len, MADV_HUGEPAGE);
			for (i = 0; i < len; i += 4096)
				mem[i] = 1;
			madvise(mem, len, MADV_FREE);

			fd = open(CG "/lazyfree_bench/memory.reclaim", O_WRONLY);
			snprintf(buf, sizeof(buf), "%zu swappiness=0", len);
			t0 = now();
			if (write(fd, buf, strlen(buf)) < 0 && errno == EINVAL) {
				snprintf(buf, sizeof(buf), "%zu", len);
				if (write(fd, buf, strlen(buf)) < 0)
					;
			}
			t = now() - t0;
			close(fd);
			printf("# bench size_kb=%lu rep=%d mib=%lu seconds=%.6f left_kb=%lu\n",
			       kb, rep, mib, t, rss_anon_kb());
			fflush(stdout);
			munmap(map, len + pmd);
		}
	}
	return 0;
}
