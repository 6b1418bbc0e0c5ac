// SPDX-License-Identifier: GPL-2.0
/*
 * Freeing of empty PTE tables on MADV_DONTNEED (CONFIG_PT_RECLAIM).
 *
 * The process's own page-table footprint, VmPTE in /proc/self/status, is
 * measured around each operation; it is updated as soon as a table is
 * detached, while the PageTables line of /proc/meminfo follows once the
 * table is really freed, after an RCU grace period.
 *
 *  - sparse: one page per PTE table over 1 GiB, MADV_DONTNEED of all of it:
 *    VmPTE must fall by every PTE table the range needed, back to what it
 *    was before the range was touched but for the PMD table(s) above them,
 *    which stay; PageTables must follow;
 *  - partial: a table whose range MADV_DONTNEED covers only in part keeps
 *    its table and the page left in it, while a table it covers whole goes;
 *  - shmem: the same freeing for a shared file mapping;
 *  - uffd-wp: on a uffd-wp registered shmem range, MADV_DONTNEED leaves
 *    uffd-wp markers, which must keep their tables (and stay readable from
 *    pagemap);
 *  - UFFDIO_MOVE: a thread moves pages from one table to another while
 *    another frees both tables with MADV_DONTNEED; a move finds the table
 *    it mapped gone and must retry, not fail (nor warn): it succeeds with
 *    the data written, or says ENOENT when the source page was zapped;
 *  - UFFDIO_MOVE, one thread: present, swapped-out and zero pages moved
 *    into a destination whose table MADV_DONTNEED has just freed: every
 *    move must succeed, in bounded time (a recheck that never matches
 *    retries for ever), with the data where it went; one CPU is enough;
 *  - MADV_COLLAPSE of shmem: the emptied tables of both mappings of a
 *    memfd are removed and the range mapped by PMD, also from a PTE-mapped
 *    THP (khugepaged checks the PMD again before it removes a table it did
 *    not lock first);
 *  - stress: threads fault pages in and check them, a thread pins them
 *    through GUP-fast (vmsplice) and checks what it read, while another
 *    thread frees the tables with MADV_DONTNEED in a loop, for a bounded
 *    time. Every word read must be zero or a value some thread wrote there.
 *
 * The feature is taken from the kernel configuration: /proc/config.gz is
 * compressed, so /boot/config-$(uname -r) is read. Without it, the kernel
 * is assumed to have the feature and a failure says so. With "-f" the cases
 * run even on a kernel configured without it, to see them fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "vm_util.h"

#define SPARSE_SIZE	(1024UL << 20)

static size_t pagesize;
static size_t table_span;	/* bytes one PTE table maps */
static int pagemap_fd = -1;
static unsigned int stress_seconds = 5;
static unsigned int move_seconds = 20;

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/*
 * The kB value of a "Name:   value kB" line of @path, or -1. Reads with a
 * buffer on the stack: no allocation may change the footprint measured.
 */
static long read_kb(const char *path, const char *name)
{
	char buf[8192], *p;
	size_t len = strlen(name);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, name, len) && p[len] == ':')
			return strtol(p + len + 1, NULL, 10);
	}
	return -1;
}

static long vmpte_kb(void)
{
	long kb = read_kb("/proc/self/status", "VmPTE");

	if (kb < 0)
		ksft_exit_fail_msg("no VmPTE in /proc/self/status\n");
	return kb;
}

static long pagetables_kb(void)
{
	return read_kb("/proc/meminfo", "PageTables");
}

/* A private anonymous or shared @fd mapping of @size at a table boundary. */
static char *map_aligned(size_t size, int fd)
{
	size_t len = size + table_span;
	char *raw, *p;

	raw = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (raw == MAP_FAILED)
		ksft_exit_fail_msg("mmap %zu: %s\n", len, strerror(errno));
	p = (char *)(((uintptr_t)raw + table_span - 1) & ~(table_span - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + size, raw + len - (p + size));
	if (fd < 0)
		p = mmap(p, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	else
		p = mmap(p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap %zu: %s\n", size, strerror(errno));
	/* Base pages only: a THP would need no PTE table at all. */
	madvise(p, size, MADV_NOHUGEPAGE);
	return p;
}

/* Offset of the one page the sparse cases use in table @t: a different slot in each. */
static size_t sparse_off(size_t t)
{
	return t * table_span + ((t * 37) % (table_span / pagesize)) * pagesize;
}

/* Touch one page in each table. */
static void touch_sparse(char *p, size_t size, unsigned char val)
{
	size_t t;

	for (t = 0; t < size / table_span; t++)
		p[sparse_off(t)] = val;
}

/* Is every touched page of touch_sparse() now @val? Say where not. */
static bool check_sparse(char *p, size_t size, unsigned char val)
{
	size_t t, off;

	for (t = 0; t < size / table_span; t++) {
		off = sparse_off(t);
		if ((unsigned char)p[off] != val) {
			ksft_print_msg("byte at +%#zx is %#x, expected %#x\n",
				       off, (unsigned char)p[off], val);
			return false;
		}
	}
	return true;
}

/* PageTables lags VmPTE by a grace period: wait for it, with a bound. */
static long wait_pagetables_below(long limit)
{
	long kb = pagetables_kb();
	int i;

	for (i = 0; i < 100 && kb >= limit; i++) {
		usleep(20000);
		kb = pagetables_kb();
	}
	return kb;
}

static void test_sparse(void)
{
	size_t tables = SPARSE_SIZE / table_span;
	long base, full, after, refault, pt_full, pt_after, t0, us;
	bool ok = true;
	char *p;

	/*
	 * The first clock_gettime() faults the vDSO's data page in, which
	 * may need a page table of its own: not one to count here.
	 */
	now_us();
	p = map_aligned(SPARSE_SIZE, -1);
	base = vmpte_kb();
	touch_sparse(p, SPARSE_SIZE, 0x5a);
	full = vmpte_kb();
	pt_full = pagetables_kb();
	if (full - base < (long)(tables * pagesize / 1024)) {
		ksft_print_msg("populating %zu tables added only %ld kB to VmPTE\n",
			       tables, full - base);
		ok = false;
	}
	t0 = now_us();
	if (madvise(p, SPARSE_SIZE, MADV_DONTNEED))
		ksft_exit_fail_msg("MADV_DONTNEED: %s\n", strerror(errno));
	us = now_us() - t0;
	after = vmpte_kb();
	pt_after = wait_pagetables_below(pt_full - (long)(tables * pagesize / 1024) / 2);

	ksft_print_msg("[INFO] sparse 1 GiB, %zu tables: VmPTE %ld -> %ld -> %ld kB\n",
		       tables, base, full, after);
	ksft_print_msg("[INFO] sparse 1 GiB: MADV_DONTNEED took %ld us\n", us);
	ksft_print_msg("[INFO] sparse 1 GiB: PageTables %ld kB -> %ld kB\n",
		       pt_full, pt_after);
	if (full - after < (long)(tables * pagesize / 1024)) {
		ksft_print_msg("VmPTE fell by %ld kB, %zu tables are %zu kB: %ld tables kept\n",
			       full - after, tables, tables * pagesize / 1024,
			       (long)tables - (full - after) * 1024 / (long)pagesize);
		ok = false;
	}
	if (pt_full - pt_after < (long)(tables * pagesize / 1024) / 2) {
		ksft_print_msg("PageTables fell by %ld kB only; %zu kB of tables were freed\n",
			       pt_full - pt_after, tables * pagesize / 1024);
		ok = false;
	}
	if (!check_sparse(p, SPARSE_SIZE, 0)) {
		ksft_print_msg("a page did not read back as zero after MADV_DONTNEED\n");
		ok = false;
	}
	/*
	 * Refault into the freed tables: they must come back and work, all of
	 * them (a table that was kept is not allocated again, so the rise
	 * also tells a kept table from page tables grown elsewhere).
	 */
	touch_sparse(p, SPARSE_SIZE, 0xa5);
	refault = vmpte_kb();
	if (refault - after != (long)(tables * pagesize / 1024))
		ksft_print_msg("refault brought back %ld kB of tables, %zu kB were freed\n",
			       refault - after, tables * pagesize / 1024);
	if (!check_sparse(p, SPARSE_SIZE, 0xa5) || refault < full) {
		ksft_print_msg("refault after freeing: data or VmPTE wrong\n");
		ok = false;
	}
	munmap(p, SPARSE_SIZE);
	ksft_test_result(ok, "sparse 1 GiB: MADV_DONTNEED frees every PTE table\n");
}

/*
 * Two tables, A and B, with pages at both ends of each. MADV_DONTNEED from
 * the second page of A to the end of B: A keeps its first page and so its
 * table; B is covered whole and goes.
 */
static void test_partial(void)
{
	size_t size = 2 * table_span;
	char *p, *a_last, *b_first, *b_last;
	long before, after;
	bool ok = true;

	p = map_aligned(size, -1);
	a_last = p + table_span - pagesize;
	b_first = p + table_span;
	b_last = p + size - pagesize;
	memset(p, 0x11, pagesize);
	memset(a_last, 0x22, pagesize);
	memset(b_first, 0x33, pagesize);
	memset(b_last, 0x44, pagesize);
	before = vmpte_kb();
	if (madvise(p + pagesize, size - pagesize, MADV_DONTNEED))
		ksft_exit_fail_msg("MADV_DONTNEED: %s\n", strerror(errno));
	after = vmpte_kb();
	ksft_print_msg("[INFO] partial: VmPTE %ld kB -> %ld kB\n", before, after);
	if (before - after != (long)pagesize / 1024) {
		ksft_print_msg("VmPTE fell by %ld kB, expected one table (%zu kB)\n",
			       before - after, pagesize / 1024);
		ok = false;
	}
	if (p[0] != 0x11 || p[pagesize - 1] != 0x11) {
		ksft_print_msg("the page left in the kept table lost its data\n");
		ok = false;
	}
	if (!PAGEMAP_PRESENT(pagemap_get_entry(pagemap_fd, p))) {
		ksft_print_msg("the page left in the kept table is not mapped any more\n");
		ok = false;
	}
	if (a_last[0] || b_first[0] || b_last[0]) {
		ksft_print_msg("a zapped page did not read back as zero\n");
		ok = false;
	}
	munmap(p, size);
	ksft_test_result(ok, "partial range: a table with a page left stays, a covered one goes\n");
}

static int shmem_fd(size_t size)
{
	int fd = memfd_create("pt_reclaim", 0);

	if (fd < 0)
		ksft_exit_fail_msg("memfd_create: %s\n", strerror(errno));
	if (ftruncate(fd, size))
		ksft_exit_fail_msg("ftruncate: %s\n", strerror(errno));
	return fd;
}

static void test_shmem(void)
{
	size_t size = 64 * table_span, tables = 64;
	long base, full, after;
	bool ok = true;
	char *p;
	int fd;

	fd = shmem_fd(size);
	p = map_aligned(size, fd);
	base = vmpte_kb();
	touch_sparse(p, size, 0x77);
	full = vmpte_kb();
	if (madvise(p, size, MADV_DONTNEED))
		ksft_exit_fail_msg("MADV_DONTNEED: %s\n", strerror(errno));
	after = vmpte_kb();
	ksft_print_msg("[INFO] shmem: VmPTE %ld kB -> %ld kB -> %ld kB\n", base, full, after);
	/* As for the sparse case, a new PMD table may stay. */
	if (full - after < (long)(tables * pagesize / 1024)) {
		ksft_print_msg("VmPTE fell by %ld kB, %zu tables are %zu kB\n",
			       full - after, tables, tables * pagesize / 1024);
		ok = false;
	}
	/* Shared file pages stay in the page cache. */
	if (!check_sparse(p, size, 0x77)) {
		ksft_print_msg("shmem data lost after MADV_DONTNEED\n");
		ok = false;
	}
	munmap(p, size);
	close(fd);
	ksft_test_result(ok, "shmem: MADV_DONTNEED frees the PTE tables of a shared mapping\n");
}

/*
 * A uffd-wp registered shmem range, written and write-protected, then
 * zapped: the zap leaves a uffd-wp marker in place of each present PTE,
 * and the tables holding markers must stay.
 */
static void test_uffd_wp(void)
{
	const char *name = "uffd-wp markers keep their PTE tables\n";
	size_t size = 8 * table_span, t;
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	};
	struct uffdio_writeprotect wp;
	long before, after;
	bool ok = true;
	int uffd, fd;
	char *p;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		ksft_test_result_skip("%s (userfaultfd: %s)\n", name, strerror(errno));
		return;
	}
	if (ioctl(uffd, UFFDIO_API, &api) ||
	    !(api.features & UFFD_FEATURE_WP_HUGETLBFS_SHMEM)) {
		close(uffd);
		ksft_test_result_skip("%s (the kernel offers no uffd-wp on shmem)\n",
				      name);
		return;
	}
	fd = shmem_fd(size);
	p = map_aligned(size, fd);
	touch_sparse(p, size, 0x3c);
	if (uffd_register(uffd, p, size, false, true, false))
		ksft_exit_fail_msg("UFFDIO_REGISTER wp: %s\n", strerror(errno));
	wp.range.start = (uintptr_t)p;
	wp.range.len = size;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		ksft_exit_fail_msg("UFFDIO_WRITEPROTECT: %s\n", strerror(errno));
	before = vmpte_kb();
	if (madvise(p, size, MADV_DONTNEED))
		ksft_exit_fail_msg("MADV_DONTNEED: %s\n", strerror(errno));
	after = vmpte_kb();
	ksft_print_msg("[INFO] uffd-wp: VmPTE %ld kB -> %ld kB\n", before, after);
	if (after != before) {
		ksft_print_msg("VmPTE changed by %ld kB: tables holding markers were freed\n",
			       after - before);
		ok = false;
	}
	for (t = 0; t < size / table_span; t++) {
		uint64_t ent = pagemap_get_entry(pagemap_fd, p + sparse_off(t));

		if (!(ent & PM_UFFD_WP)) {
			ksft_print_msg("table %zu: no uffd-wp marker left (pagemap %#llx)\n",
				       t, (unsigned long long)ent);
			ok = false;
			break;
		}
	}
	if (!check_sparse(p, size, 0x3c)) {
		ksft_print_msg("shmem data lost under uffd-wp\n");
		ok = false;
	}
	munmap(p, size);
	close(fd);
	close(uffd);
	ksft_test_result(ok, "%s", name);
}

/* --- stress --- */

#define STRESS_TABLES	8
#define FAULTERS	2

struct stress {
	char *p;
	size_t size;
	bool stop;		/* both read and written with __atomic */
	bool failed;
	unsigned long zaps, faults, splices;
};

static bool stopping(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

/* Real loads and stores: the compiler may not keep a word in a register. */
static uint64_t load(uint64_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

static void store(uint64_t *w, uint64_t v)
{
	__atomic_store_n(w, v, __ATOMIC_RELAXED);
}

/* Fault thread @id owns the pages whose index is @id modulo FAULTERS. */
static uint64_t tag(unsigned int id, uint64_t seq)
{
	return (1ULL << 63) | ((uint64_t)id << 56) | seq;
}

/* Each word zero or a tag some fault thread could have written. */
static bool word_ok(uint64_t w)
{
	return !w || ((w >> 63) && ((w >> 56) & 0x7f) < FAULTERS);
}

static void stress_fail(struct stress *s, const char *what, size_t off, uint64_t w)
{
	if (!__atomic_exchange_n(&s->failed, true, __ATOMIC_RELAXED))
		ksft_print_msg("stress: %s at +%#zx: %#llx\n", what, off,
			       (unsigned long long)w);
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
}

struct faulter {
	struct stress *s;
	unsigned int id;
};

static void *fault_thread(void *arg)
{
	struct faulter *f = arg;
	struct stress *s = f->s;
	size_t pages = s->size / pagesize, i, w, words = pagesize / 8;
	uint64_t seq = 0;

	while (!stopping(s)) {
		for (i = f->id; i < pages && !stopping(s); i += FAULTERS * 7) {
			uint64_t *pg = (uint64_t *)(s->p + i * pagesize);
			uint64_t v = tag(f->id, ++seq), r;

			store(&pg[seq % words], v);
			r = load(&pg[seq % words]);
			/* Ours, or zapped since: nothing else. */
			if (r != v && r)
				stress_fail(s, "word read back wrong", i * pagesize, r);
			for (w = 0; w < words; w += 61) {
				r = load(&pg[w]);
				if (!word_ok(r))
					stress_fail(s, "foreign word", i * pagesize + w * 8, r);
			}
			__atomic_fetch_add(&s->faults, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void *zap_thread(void *arg)
{
	struct stress *s = arg;

	while (!stopping(s)) {
		if (madvise(s->p, s->size, MADV_DONTNEED)) {
			stress_fail(s, "MADV_DONTNEED failed", 0, errno);
			break;
		}
		s->zaps++;
		sched_yield();
	}
	return NULL;
}

/* vmsplice() takes its page references through GUP-fast. */
static void *gup_thread(void *arg)
{
	struct stress *s = arg;
	size_t pages = s->size / pagesize, i = 0, n, w;
	uint64_t *buf;
	int pfd[2];

	buf = malloc(pagesize);
	if (!buf || pipe(pfd)) {
		stress_fail(s, "pipe", 0, errno);
		free(buf);
		return NULL;
	}
	fcntl(pfd[1], F_SETPIPE_SZ, pagesize);
	while (!stopping(s)) {
		struct iovec iov = { s->p + (i % pages) * pagesize, pagesize };
		ssize_t r = vmsplice(pfd[1], &iov, 1, 0);

		if (r < 0) {
			stress_fail(s, "vmsplice failed", i * pagesize, errno);
			break;
		}
		for (n = 0; n < (size_t)r;) {
			ssize_t got = read(pfd[0], (char *)buf + n, r - n);

			if (got <= 0) {
				stress_fail(s, "pipe read failed", 0, errno);
				goto out;
			}
			n += got;
		}
		for (w = 0; w < (size_t)r / 8; w++)
			if (!word_ok(buf[w]))
				stress_fail(s, "foreign word through GUP-fast",
					    (i % pages) * pagesize + w * 8, buf[w]);
		s->splices++;
		i += 13;
	}
out:
	close(pfd[0]);
	close(pfd[1]);
	free(buf);
	return NULL;
}

static void test_stress(void)
{
	struct faulter f[FAULTERS];
	pthread_t th[FAULTERS + 2];
	struct stress s = { 0 };
	long base, after, refault;
	int i, n = 0;

	s.size = STRESS_TABLES * table_span;
	s.p = map_aligned(s.size, -1);
	base = vmpte_kb();
	for (i = 0; i < FAULTERS; i++) {
		f[i].s = &s;
		f[i].id = i;
		if (pthread_create(&th[n++], NULL, fault_thread, &f[i]))
			ksft_exit_fail_msg("pthread_create\n");
	}
	if (pthread_create(&th[n++], NULL, zap_thread, &s) ||
	    pthread_create(&th[n++], NULL, gup_thread, &s))
		ksft_exit_fail_msg("pthread_create\n");
	for (i = 0; i < (int)stress_seconds * 10 && !stopping(&s); i++)
		usleep(100000);
	__atomic_store_n(&s.stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (madvise(s.p, s.size, MADV_DONTNEED))
		ksft_exit_fail_msg("MADV_DONTNEED: %s\n", strerror(errno));
	after = vmpte_kb();
	ksft_print_msg("[INFO] stress %us: %lu zaps, %lu faults, %lu vmsplices\n",
		       stress_seconds, s.zaps, s.faults, s.splices);
	ksft_print_msg("[INFO] stress: VmPTE %ld kB -> %ld kB\n", base, after);
	if (!s.failed && (!s.zaps || !s.faults || !s.splices)) {
		ksft_print_msg("stress: a thread made no progress\n");
		s.failed = true;
	}
	/*
	 * Thread stacks and arenas added tables of their own, so compare by
	 * refaulting: if the last MADV_DONTNEED left no table in the range,
	 * one page per table brings every table back.
	 */
	touch_sparse(s.p, s.size, 0x99);
	refault = vmpte_kb();
	ksft_print_msg("[INFO] stress: refault one page per table: VmPTE %ld kB -> %ld kB\n",
		       after, refault);
	if (refault - after != (long)(STRESS_TABLES * pagesize / 1024)) {
		ksft_print_msg("stress: refault took %ld kB of tables, not %zu: tables were left\n",
			       refault - after, STRESS_TABLES * pagesize / 1024);
		s.failed = true;
	}
	munmap(s.p, s.size);
	ksft_test_result(!s.failed, "stress: faults and GUP-fast against table freeing\n");
}

#define TAINT_WARN	512UL	/* bit 9 of /proc/sys/kernel/tainted */

static unsigned long read_tainted(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f && fscanf(f, "%lu", &t) != 1)
		t = 0;
	if (f)
		fclose(f);
	return t;
}

struct move_race {
	char *src, *dst;
	char *hsrc, *hdst;	/* tables with holes only, for hole moves */
	int uffd;
	bool stop;		/* both read and written with __atomic */
	/* odd while the zapper zaps that range: a sequence count */
	unsigned long src_zaps, dst_zaps;
	unsigned long zeropages;
};

static unsigned long zap_count(unsigned long *c)
{
	return __atomic_load_n(c, __ATOMIC_SEQ_CST);
}

static void zap(char *p, unsigned long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
	madvise(p, table_span, MADV_DONTNEED);
	__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
}

/* Did a zap run, or was one running, between two readings of @c? */
static bool zapped_between(unsigned long before, unsigned long after)
{
	return before != after || (before & 1);
}

/* Zap both ranges whole, over and over: that frees their tables. */
static void *move_zapper(void *arg)
{
	struct move_race *m = arg;

	unsigned long n = 0;

	/* Mostly the destination: its table is the one a move allocates. */
	while (!__atomic_load_n(&m->stop, __ATOMIC_RELAXED)) {
		if (!(++n % 4))
			zap(m->src, &m->src_zaps);
		zap(m->dst, &m->dst_zaps);
		madvise(m->hsrc, table_span, MADV_DONTNEED);
		madvise(m->hdst, table_span, MADV_DONTNEED);
	}
	return NULL;
}

/* A read of a zapped destination page is a missing fault: give it zeroes. */
static void *move_fault_handler(void *arg)
{
	struct move_race *m = arg;
	struct pollfd pfd = { .fd = m->uffd, .events = POLLIN };
	struct uffdio_zeropage zp;
	struct uffd_msg msg;
	int ret;

	while (!__atomic_load_n(&m->stop, __ATOMIC_RELAXED)) {
		if (poll(&pfd, 1, 50) <= 0 || read(m->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		zp.range.start = msg.arg.pagefault.address & ~(pagesize - 1);
		zp.range.len = pagesize;
		zp.mode = 0;
		/*
		 * The zapper may free the table under UFFDIO_ZEROPAGE too:
		 * EAGAIN, try again; EEXIST, wake the thread to fault again.
		 */
		do {
			ret = ioctl(m->uffd, UFFDIO_ZEROPAGE, &zp);
		} while (ret && errno == EAGAIN);
		if (ret) {
			struct uffdio_range r = zp.range;

			if (errno != EEXIST)
				ksft_exit_fail_msg("UFFDIO_ZEROPAGE: %s\n", strerror(errno));
			if (ioctl(m->uffd, UFFDIO_WAKE, &r))
				ksft_exit_fail_msg("UFFDIO_WAKE: %s\n", strerror(errno));
		}
		m->zeropages++;
	}
	return NULL;
}

/*
 * UFFDIO_MOVE against MADV_DONTNEED freeing the tables of both sides. The
 * main thread writes a new value into a source page and moves the page to
 * the same offset of the destination, one page of the table at a time,
 * while a thread zaps both ranges whole. A move may find the PMD of a
 * table it has mapped cleared: it must retry (the kernel's -EAGAIN), not
 * warn and fail with EINVAL. Each move must succeed with the value in the
 * destination (or zeroes, when the zapper got there since), or fail with
 * ENOENT when the source page was zapped before the move; a zero or an
 * ENOENT with no zap of that range since the write is a lost page. The
 * main thread empties the destination page after each check, so that the
 * next move there finds it free. Between two such moves it moves holes
 * (UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES) between two tables that never hold a
 * page: each such move maps both tables, which the zapper keeps freeing,
 * and does little else, so most of the time goes into the race; each
 * must succeed. A warning (TAINT_WARN) fails the case.
 */
static void test_uffd_move(void)
{
	const char *name = "UFFDIO_MOVE against table freeing\n";
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MOVE };
	unsigned long moved = 0, enoent = 0, i = 0, zeroes = 0, holes = 0, tainted;
	pthread_t zapper, handler;
	struct move_race m = { 0 };
	bool failed = false;
	long end;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		ksft_test_result_skip("%s (one CPU: the move and the zap cannot race)\n",
				      name);
		return;
	}
	tainted = read_tainted();
	m.uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (m.uffd < 0) {
		ksft_test_result_skip("%s (no userfaultfd: %s)\n", name, strerror(errno));
		return;
	}
	if (ioctl(m.uffd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_MOVE)) {
		close(m.uffd);
		ksft_test_result_skip("%s (the kernel offers no UFFDIO_MOVE)\n", name);
		return;
	}
	m.src = map_aligned(table_span, -1);
	m.dst = map_aligned(table_span, -1);
	m.hsrc = map_aligned(table_span, -1);
	m.hdst = map_aligned(table_span, -1);
	if (uffd_register(m.uffd, m.dst, table_span, true, false, false) ||
	    uffd_register(m.uffd, m.hdst, table_span, true, false, false))
		ksft_exit_fail_msg("UFFDIO_REGISTER missing: %s\n", strerror(errno));
	if (pthread_create(&zapper, NULL, move_zapper, &m) ||
	    pthread_create(&handler, NULL, move_fault_handler, &m))
		ksft_exit_fail_msg("pthread_create\n");

	end = now_us() + move_seconds * 1000000L;
	while (now_us() < end && !failed) {
		size_t off = (i % (table_span / pagesize)) * pagesize;
		uint64_t v = tag(0, ++i), got;
		unsigned long s0, s1, d0, d1, k;
		struct uffdio_move mv = {
			.dst = (uintptr_t)m.dst + off,
			.src = (uintptr_t)m.src + off,
			.len = pagesize,
		};

		s0 = zap_count(&m.src_zaps);
		store((uint64_t *)(m.src + off), v);
		d0 = zap_count(&m.dst_zaps);
		if (ioctl(m.uffd, UFFDIO_MOVE, &mv)) {
			s1 = zap_count(&m.src_zaps);
			if (errno == ENOENT && zapped_between(s0, s1)) {
				enoent++;
				continue;
			}
			ksft_print_msg("UFFDIO_MOVE of page %zu: %s (moved %lld)\n",
				       off / pagesize, strerror(errno), (long long)mv.move);
			failed = true;
			break;
		}
		got = load((uint64_t *)(m.dst + off));
		d1 = zap_count(&m.dst_zaps);
		if (!got && !zapped_between(d0, d1)) {
			ksft_print_msg("moved page %zu reads zero with no zap since the move\n",
				       off / pagesize);
			failed = true;
		}
		zeroes += !got;
		if (got != v && got) {
			ksft_print_msg("moved page %zu holds %#llx, not %#llx or zero\n",
				       off / pagesize, (unsigned long long)got,
				       (unsigned long long)v);
			failed = true;
		}
		madvise(m.dst + off, pagesize, MADV_DONTNEED);
		moved++;
		for (k = 0; k < 16 && !failed; k++) {
			struct uffdio_move hole = {
				.dst = (uintptr_t)m.hdst + off,
				.src = (uintptr_t)m.hsrc + off,
				.len = pagesize,
				.mode = UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES,
			};

			if (ioctl(m.uffd, UFFDIO_MOVE, &hole)) {
				ksft_print_msg("UFFDIO_MOVE of a hole: %s (moved %lld)\n",
					       strerror(errno), (long long)hole.move);
				failed = true;
			}
			holes++;
		}
	}
	__atomic_store_n(&m.stop, true, __ATOMIC_RELAXED);
	pthread_join(zapper, NULL);
	pthread_join(handler, NULL);
	ksft_print_msg("[INFO] uffd-move: %lu moved (%lu zapped since), %lu ENOENT, %lu holes\n",
		       moved, zeroes, enoent, holes);
	ksft_print_msg("[INFO] uffd-move: %lu + %lu zaps, %lu zero pages\n",
		       m.src_zaps / 2, m.dst_zaps / 2, m.zeropages);
	if ((read_tainted() & ~tainted) & TAINT_WARN) {
		ksft_print_msg("the kernel warned (TAINT_WARN): see the kernel log\n");
		failed = true;
	}
	if (!moved) {
		ksft_print_msg("no move succeeded in %u s: nothing was tested\n", move_seconds);
		failed = true;
	}
	uffd_unregister(m.uffd, m.dst, table_span);
	uffd_unregister(m.uffd, m.hdst, table_span);
	close(m.uffd);
	munmap(m.src, table_span);
	munmap(m.dst, table_span);
	munmap(m.hsrc, table_span);
	munmap(m.hdst, table_span);
	ksft_test_result(!failed, "%s", name);
}

#define MOVE_PAGES	16
#define MOVE_LIMIT_S	30

enum move_kind { MOVE_PRESENT, MOVE_SWAPPED, MOVE_ZERO };

/* Swap type and offset of a pagemap entry of a swapped-out page. */
#define PM_SWAP_BITS	((1ULL << 55) - 1)

/* Exit code of the child: MADV_PAGEOUT swapped nothing out (no swap). */
#define MOVE_NO_SWAP	5

static const char *const move_kind_name[] = { "present", "swapped-out", "zero" };

/*
 * After a move of @swapped swap entries to @dst: they are still swap
 * entries there, and MADV_DONTNEED of the second half zaps those in it,
 * which VmSwap (the mm's swap entry counter) must follow. zap_pte_range()
 * takes a run of swap entries with consecutive offsets as one batch; the
 * offsets depend on the swap allocator, so whether they were is printed.
 */
static bool zap_moved_swap(char *dst, int swapped)
{
	int i, n = 0, half = 0, consecutive = 1;
	uint64_t prev = 0;
	long kb, now;

	for (i = 0; i < MOVE_PAGES; i++) {
		uint64_t e = pagemap_get_entry(pagemap_fd, dst + i * pagesize);
		bool sw = e & PM_SWAP;

		n += sw;
		half += sw && i >= MOVE_PAGES / 2;
		/* Bits 0-4: swap type, 5-54: offset (pagemap.rst). */
		if (i > MOVE_PAGES / 2 && (!sw || (e & PM_SWAP_BITS) != (prev & PM_SWAP_BITS) + 32))
			consecutive = 0;
		prev = e;
	}
	ksft_print_msg("[INFO] swapped-out: the zapped entries %s consecutive\n",
		       consecutive ? "are" : "are not all");
	if (n != swapped) {
		ksft_print_msg("%d of the %d swap entries moved are swap entries after the move\n",
			       n, swapped);
		return false;
	}
	kb = read_kb("/proc/self/status", "VmSwap");
	madvise(dst + MOVE_PAGES / 2 * pagesize, MOVE_PAGES / 2 * pagesize, MADV_DONTNEED);
	now = read_kb("/proc/self/status", "VmSwap");
	if (now != kb - half * (long)(pagesize / 1024)) {
		ksft_print_msg("VmSwap %ld -> %ld kB after zapping %d swap entries\n",
			       kb, now, half);
		return false;
	}
	return true;
}

/*
 * The child of test_uffd_move_freed() for one @kind: MOVE_PAGES pages of
 * that kind in a source table go to a destination table that MADV_DONTNEED
 * has just freed. Returns a KSFT_ exit code.
 */
static int move_freed_child(enum move_kind kind)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		/* A destination page the move left none kills with SIGBUS. */
		.features = UFFD_FEATURE_MOVE | UFFD_FEATURE_SIGBUS,
	};
	struct uffdio_zeropage zp = { .range = { .len = pagesize } };
	struct uffdio_move mv = { .len = MOVE_PAGES * pagesize };
	int uffd, bad = 0, swapped = 0, i;
	cpu_set_t one;
	char *src, *dst;
	long kb, now;

	/* The parent's pagemap_fd reads the parent's page tables. */
	close(pagemap_fd);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0) {
		ksft_print_msg("/proc/self/pagemap: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (uffd < 0) {
		/* As test_uffd_move(): no userfaultfd for us is a skip. */
		ksft_print_msg("userfaultfd: %s\n", strerror(errno));
		return KSFT_SKIP;
	}
	errno = 0;
	if (ioctl(uffd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_MOVE)) {
		ksft_print_msg("UFFDIO_API: %s\n", errno ? strerror(errno) : "no UFFDIO_MOVE");
		return KSFT_SKIP;
	}
	/* One CPU: MADV_PAGEOUT drains that CPU's batch of new folios only. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);

	src = map_aligned(table_span, -1);
	dst = map_aligned(table_span, -1);
	mv.src = (uintptr_t)src;
	mv.dst = (uintptr_t)dst;
	zp.range.start = (uintptr_t)dst;
	if (uffd_register(uffd, dst, table_span, true, false, false)) {
		ksft_print_msg("UFFDIO_REGISTER: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	for (i = 0; i < MOVE_PAGES; i++) {
		uint64_t *w = (uint64_t *)(src + i * pagesize);

		if (kind != MOVE_ZERO)
			*w = tag(kind + 1, i + 1);
		else if (load(w))	/* a read maps the zero page */
			bad++;
	}
	/* The destination is registered for missing faults: fill it so. */
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp)) {
		ksft_print_msg("UFFDIO_ZEROPAGE: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	kb = read_kb("/proc/self/status", "VmPTE");
	madvise(dst, table_span, MADV_DONTNEED);
	now = read_kb("/proc/self/status", "VmPTE");
	if (now != kb - (long)(pagesize / 1024)) {
		ksft_print_msg("VmPTE %ld -> %ld kB: the destination's table was not freed\n",
			       kb, now);
		bad++;
	}
	if (kind == MOVE_SWAPPED) {
		madvise(src, MOVE_PAGES * pagesize, MADV_PAGEOUT);
		for (i = 0; i < MOVE_PAGES; i++)
			swapped += pagemap_is_swapped(pagemap_fd, src + i * pagesize);
		ksft_print_msg("[INFO] swapped-out: %d of %d pages in swap when moved\n",
			       swapped, MOVE_PAGES);
		if (!swapped)
			return MOVE_NO_SWAP;
	}
	/* A recheck that never matches retries for ever: SIGALRM ends that. */
	alarm(MOVE_LIMIT_S);
	if (ioctl(uffd, UFFDIO_MOVE, &mv) || mv.move != (long long)mv.len) {
		ksft_print_msg("UFFDIO_MOVE of %d pages: %s (moved %lld bytes)\n",
			       MOVE_PAGES, strerror(errno), (long long)mv.move);
		return KSFT_FAIL;
	}
	alarm(0);
	if (kind == MOVE_SWAPPED && !zap_moved_swap(dst, swapped))
		bad++;
	for (i = 0; i < MOVE_PAGES; i++) {
		uint64_t want = kind == MOVE_ZERO ? 0 : tag(kind + 1, i + 1);
		uint64_t got;

		/* The second half of a swapped-out move was zapped. */
		if (kind == MOVE_SWAPPED && i >= MOVE_PAGES / 2)
			got = want;
		else
			got = load((uint64_t *)(dst + i * pagesize));
		if (got != want) {
			ksft_print_msg("moved page %d holds %#llx, expected %#llx\n", i,
				       (unsigned long long)got, (unsigned long long)want);
			bad++;
		}
		if (load((uint64_t *)(src + i * pagesize))) {
			ksft_print_msg("source page %d not empty after the move\n", i);
			bad++;
		}
	}
	return bad ? KSFT_FAIL : KSFT_PASS;
}

/*
 * UFFDIO_MOVE into a table that MADV_DONTNEED has just freed, one thread,
 * once for each of the three kinds of source entry: present, swapped out
 * (skipped when MADV_PAGEOUT swaps nothing: no swap; half of them are
 * zapped while still in swap, and VmSwap must follow), and the zero page.
 * Each kind takes its own function in move_pages_pte(), and each compares
 * the PMD its destination table was mapped from with the PMD under the
 * PTLs. A comparison that never matches does not fail the ioctl: the
 * kernel retries the page for ever, so each kind runs in a child that
 * SIGALRM ends after MOVE_LIMIT_S seconds. A missing comparison is seen
 * only in the race of test_uffd_move(). Needs only one CPU.
 */
static void test_uffd_move_freed(enum move_kind kind)
{
	unsigned long tainted = read_tainted();
	int status = 0, rc;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!pid) {
		/* Unbuffered: a signal must not take what it printed with it. */
		setvbuf(stdout, NULL, _IONBF, 0);
		signal(SIGALRM, SIG_DFL);
		_exit(move_freed_child(kind));
	}
	waitpid(pid, &status, 0);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : KSFT_FAIL;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		ksft_print_msg("the move did not finish in %d s: it retried for ever?\n",
			       MOVE_LIMIT_S);
	else if (WIFSIGNALED(status))
		ksft_print_msg("the child died of signal %d (SIGBUS: a moved page is missing)\n",
			       WTERMSIG(status));
	if ((read_tainted() & ~tainted) & TAINT_WARN) {
		ksft_print_msg("the kernel warned (TAINT_WARN): see the kernel log\n");
		rc = KSFT_FAIL;
	}
	if (rc == KSFT_SKIP || rc == MOVE_NO_SWAP)
		ksft_test_result_skip("UFFDIO_MOVE of %s pages into a freed table (%s)\n",
				      move_kind_name[kind], rc == MOVE_NO_SWAP ?
				      "MADV_PAGEOUT swapped nothing out: no swap?" :
				      "no userfaultfd or no UFFDIO_MOVE");
	else
		ksft_test_result(rc == KSFT_PASS, "UFFDIO_MOVE of %s pages into a freed table\n",
				 move_kind_name[kind]);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/*
 * Why MADV_COLLAPSE of shmem cannot make a PMD-sized folio here, or NULL:
 * no THP for shmem, shmem_enabled says deny, or the PMD size is not one
 * the page cache takes (arm64 with 64K pages).
 */
static const char *shmem_pmd_thp_missing(void)
{
	char path[128], buf[256] = "";
	int fd;

	if ((size_t)read_pmd_pagesize() != table_span)
		return "no PMD-sized THP";
	fd = open("/sys/kernel/mm/transparent_hugepage/shmem_enabled", O_RDONLY);
	if (fd < 0)
		return "no THP for shmem";
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	if (strstr(buf, "[deny]"))
		return "shmem_enabled is deny";
	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/transparent_hugepage/hugepages-%zukB/shmem_enabled",
		 table_span / 1024);
	if (access(path, F_OK))
		return "no PMD-sized folios in the page cache";
	return NULL;
}

/* MADV_COLLAPSE, tried once more on EAGAIN (a page was busy). */
static int collapse(char *p)
{
	int ret = madvise(p, table_span, MADV_COLLAPSE);

	if (ret && errno == EAGAIN)
		ret = madvise(p, table_span, MADV_COLLAPSE);
	return ret;
}

/* Is every page of [p, p + table_span) 0x5a ^ its index? Say where not. */
static bool check_collapse_data(char *p)
{
	size_t i;

	for (i = 0; i < table_span / pagesize; i++)
		if (p[i * pagesize] != (char)(0x5a ^ i)) {
			ksft_print_msg("page %zu holds %#x after the collapse\n", i,
				       (unsigned char)p[i * pagesize]);
			return false;
		}
	return true;
}

/*
 * MADV_COLLAPSE of shmem, which PT reclaim's rechecks in khugepaged must
 * let through. A memfd the size of one PTE table is mapped twice, at @p
 * and @q, both with small pages (VM_NOHUGEPAGE while they fault) and then
 * MADV_HUGEPAGE. MADV_COLLAPSE of @p: collapse_file() makes a PMD-sized
 * folio, unmaps the small pages from both mappings, and
 * retract_page_tables() removes the emptied tables it may take (both
 * mappings are shared, with no anon_vma and no uffd-wp), after checking
 * the PMD again under its lock; then collapse_pte_mapped_thp() maps @p by
 * PMD. Only retract_page_tables() removes the table of @q: VmPTE must fall
 * by two tables, and @q must be PMD-mapped after one touch.
 *
 * Then @p again, PTE-mapped: an mprotect() of one page clears the PMD
 * (a file PMD is not split into PTEs), each page is touched while the VMA
 * is split, which maps it by a PTE, and a second mprotect() merges the
 * VMA. MADV_COLLAPSE finds the PMD-sized folio in the page cache and calls
 * collapse_pte_mapped_thp(), which checks the PMD again under the PTL,
 * clears the PTEs, and checks it once more under the PMD lock before it
 * removes the table and maps the PMD. Only checks that never match are
 * seen here; a missing one needs a race.
 */
static void test_collapse_shmem(void)
{
	const char *retract = "MADV_COLLAPSE of shmem removes the emptied PTE tables";
	const char *ptemapped = "MADV_COLLAPSE maps a PTE-mapped shmem THP by PMD";
	const char *why = shmem_pmd_thp_missing();
	long table_kb = pagesize / 1024, kb, now;
	bool ok = true, ok2 = true;
	char *p, *q;
	size_t i;
	int fd;

	if (why) {
		ksft_test_result_skip("%s (%s)\n", retract, why);
		ksft_test_result_skip("%s (%s)\n", ptemapped, why);
		return;
	}
	fd = shmem_fd(table_span);
	p = map_aligned(table_span, fd);
	q = map_aligned(table_span, fd);
	/* Small pages: map_aligned() said MADV_NOHUGEPAGE. */
	for (i = 0; i < table_span / pagesize; i++)
		p[i * pagesize] = 0x5a ^ i;
	ok &= check_collapse_data(q);
	kb = vmpte_kb();
	if (madvise(p, table_span, MADV_HUGEPAGE) || madvise(q, table_span, MADV_HUGEPAGE))
		ksft_exit_fail_msg("MADV_HUGEPAGE: %s\n", strerror(errno));
	if (check_huge_shmem(p, 1, table_span) || check_huge_shmem(q, 1, table_span)) {
		ksft_print_msg("PMD-mapped before MADV_COLLAPSE\n");
		ok = false;
	}
	if (collapse(p)) {
		ksft_print_msg("MADV_COLLAPSE: %s\n", strerror(errno));
		ok = false;
	}
	now = vmpte_kb();
	if (now != kb - 2 * table_kb) {
		ksft_print_msg("VmPTE %ld -> %ld kB, expected %ld: an emptied table stayed\n",
			       kb, now, kb - 2 * table_kb);
		ok = false;
	}
	ok &= check_collapse_data(p) && check_collapse_data(q);
	if (!check_huge_shmem(p, 1, table_span) || !check_huge_shmem(q, 1, table_span)) {
		ksft_print_msg("%s not PMD-mapped after MADV_COLLAPSE and a touch\n",
			       check_huge_shmem(p, 1, table_span) ? "the second mapping" :
			       "the collapsed range");
		ok = false;
	}
	ksft_test_result(ok, "%s\n", retract);
	munmap(q, table_span);

	if (!check_huge_shmem(p, 1, table_span)) {
		ksft_test_result_skip("%s (the first collapse left no PMD mapping)\n",
				      ptemapped);
		goto out;
	}
	/* Clear the PMD; the touches while the VMA is split map PTEs. */
	if (mprotect(p + pagesize, pagesize, PROT_READ))
		ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
	ok2 &= check_collapse_data(p);
	if (mprotect(p + pagesize, pagesize, PROT_READ | PROT_WRITE))
		ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
	if (check_huge_shmem(p, 1, table_span)) {
		ksft_print_msg("still PMD-mapped after the mprotect()\n");
		ok2 = false;
	}
	kb = vmpte_kb();
	if (collapse(p)) {
		ksft_print_msg("MADV_COLLAPSE of the PTE-mapped THP: %s\n", strerror(errno));
		ok2 = false;
	}
	now = vmpte_kb();
	if (now != kb - table_kb) {
		ksft_print_msg("VmPTE %ld -> %ld kB, expected %ld: the table stayed\n",
			       kb, now, kb - table_kb);
		ok2 = false;
	}
	if (!check_huge_shmem(p, 1, table_span)) {
		ksft_print_msg("not PMD-mapped after MADV_COLLAPSE\n");
		ok2 = false;
	}
	ok2 &= check_collapse_data(p);
	ksft_test_result(ok2, "%s\n", ptemapped);
out:
	munmap(p, table_span);
	close(fd);
}

/* 1: configured, 0: not, -1: cannot tell. @where names the source. */
static int pt_reclaim_configured(char *where, size_t len)
{
	char path[128], line[256];
	struct utsname u;
	int ret = 0;
	FILE *f;

	uname(&u);
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	snprintf(where, len, "%s", path);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "CONFIG_PT_RECLAIM=y\n"))
			ret = 1;
	fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	bool force = false;
	char where[160];
	int opt, conf;

	while ((opt = getopt(argc, argv, "ft:m:")) != -1) {
		if (opt == 'f')
			force = true;
		else if (opt == 't')
			stress_seconds = atoi(optarg);
		else if (opt == 'm')
			move_seconds = atoi(optarg);
		else
			ksft_exit_fail_msg("usage: %s [-f] [-t stress-seconds] [-m move-seconds]\n",
					   argv[0]);
	}

	ksft_print_header();
	pagesize = getpagesize();
	table_span = pagesize * (pagesize / sizeof(uint64_t));

	conf = pt_reclaim_configured(where, sizeof(where));
	if (!conf && !force)
		ksft_exit_skip("CONFIG_PT_RECLAIM is not set in %s (-f runs anyway)\n", where);
	if (conf < 0)
		ksft_print_msg("[INFO] no %s: assuming CONFIG_PT_RECLAIM=y\n", where);
	else if (!conf)
		ksft_print_msg("[INFO] %s says no CONFIG_PT_RECLAIM; running anyway (-f)\n", where);

	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0)
		ksft_exit_skip("no /proc/self/pagemap (CONFIG_PROC_PAGE_MONITOR)\n");

	ksft_set_plan(11);
	test_sparse();
	test_partial();
	test_shmem();
	test_uffd_wp();
	test_uffd_move();
	test_uffd_move_freed(MOVE_PRESENT);
	test_uffd_move_freed(MOVE_SWAPPED);
	test_uffd_move_freed(MOVE_ZERO);
	test_collapse_shmem();
	test_stress();
	ksft_finished();
}
