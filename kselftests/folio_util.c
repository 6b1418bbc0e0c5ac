// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for tests of large folios: which folio maps a range, the
 * per-size mTHP counters, and reclaim through a memory cgroup of the
 * test's own. Linked into every mm selftest, like vm_util.c. Of vm_util
 * they need only psize(), pagemap_get_entry(), PAGEMAP_PRESENT() and
 * PAGEMAP_PFN(), which 6.12 has.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../kselftest.h"
#include "vm_util.h"
#include "folio_util.h"

/* Flags of @pfn from /proc/kpageflags; none past the last page frame. */
uint64_t kpageflags_get(int fd, unsigned long pfn)
{
	uint64_t flags;
	ssize_t ret;

	ret = pread(fd, &flags, sizeof(flags), pfn * sizeof(flags));
	if (ret == sizeof(flags))
		return flags;
	if (ret == 0 || (ret < 0 && errno == ENOENT))
		return 0;
	ksft_exit_fail_msg("pread /proc/kpageflags pfn %lu: %s\n", pfn,
			   ret < 0 ? strerror(errno) : "short read");
	return 0;
}

#define KPF_COMPOUND_HEAD_BIT	15
#define KPF_COMPOUND_TAIL_BIT	16
#define KPF_THP_BIT		22

/*
 * Is [addr, addr + size) mapped, page by page, by exactly one folio of
 * @size, or by one base page when @size is the page size? Reads pagemap
 * and kpageflags (root only). If not, says why in @why.
 */
bool range_is_one_folio(int pagemap_fd, int kpageflags_fd, char *addr,
			size_t size, char *why, size_t len)
{
	const size_t nr = size / psize();
	unsigned long pfn0 = 0, pfn;
	uint64_t ent, fl;
	size_t i;

	for (i = 0; i < nr; i++) {
		ent = pagemap_get_entry(pagemap_fd, addr + i * psize());
		if (!PAGEMAP_PRESENT(ent)) {
			snprintf(why, len, "page %zu not present", i);
			return false;
		}
		pfn = PAGEMAP_PFN(ent);
		if (!i) {
			pfn0 = pfn;
		} else if (pfn != pfn0 + i) {
			snprintf(why, len, "page %zu not physically contiguous", i);
			return false;
		}
		fl = kpageflags_get(kpageflags_fd, pfn);
		if (nr == 1) {
			if (fl & (1ULL << KPF_THP_BIT)) {
				snprintf(why, len, "base page expected, got part of a THP");
				return false;
			}
			return true;
		}
		if (!(fl & (1ULL << (i ? KPF_COMPOUND_TAIL_BIT : KPF_COMPOUND_HEAD_BIT))) ||
		    !(fl & (1ULL << KPF_THP_BIT))) {
			snprintf(why, len, "page %zu (flags %#llx) is not part of a %zu kB THP",
				 i, (unsigned long long)fl, size >> 10);
			return false;
		}
	}
	if (kpageflags_get(kpageflags_fd, pfn0 + nr) & (1ULL << KPF_COMPOUND_TAIL_BIT)) {
		snprintf(why, len, "folio is larger than %zu kB", size >> 10);
		return false;
	}
	return true;
}

/* A memory cgroup of the test's own, for memory.reclaim */

static char memcg_dir[PATH_MAX + 64];	/* empty when not in one */
/* For memcg_leave(), made by memcg_enter(): no formatting in a handler. */
static char memcg_home_procs[2 * PATH_MAX + 16];
static char memcg_pid[32];

/* The text of a small file, NUL-terminated; its length, or -1. */
static ssize_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t ret;

	if (fd < 0)
		return -1;
	ret = read(fd, buf, len - 1);
	close(fd);
	buf[ret > 0 ? ret : 0] = '\0';
	return ret;
}

static bool write_string(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t ret;

	if (fd < 0)
		return false;
	ret = write(fd, s, strlen(s));
	close(fd);
	return ret == (ssize_t)strlen(s);
}

/*
 * Move this process into a new child "<name>.<pid>" of the cgroup v2 root,
 * with the memory controller on. Returns NULL, or why the machine cannot
 * (for a skip message). memcg_leave() undoes it; call it on every exit path.
 */
const char *memcg_enter(const char *name)
{
	char root[PATH_MAX] = "", path[2 * PATH_MAX], buf[PATH_MAX];
	static char why[2 * PATH_MAX + 64];
	char dev[64], mnt[PATH_MAX], type[64];
	FILE *f = fopen("/proc/mounts", "r");

	while (f && fscanf(f, "%63s %4095s %63s %*s %*d %*d", dev, mnt, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", mnt);
			break;
		}
	}
	if (f)
		fclose(f);
	if (!root[0])
		return "cgroup v2 is not mounted";
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (read_text(path, buf, sizeof(buf)) <= 0 || !strstr(buf, "memory"))
		return "the memory controller is not available (CONFIG_MEMCG)";
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
	if ((read_text(path, buf, sizeof(buf)) <= 0 || !strstr(buf, "memory")) &&
	    !write_string(path, "+memory")) {
		snprintf(why, sizeof(why), "cannot enable the memory controller in %s: %s",
			 path, strerror(errno));
		return why;
	}

	/* Where to go back to: the cgroup this process is in now. */
	if (read_text("/proc/self/cgroup", buf, sizeof(buf)) <= 0 ||
	    strncmp(buf, "0::", 3) || !strchr(buf, '\n'))
		return "no cgroup v2 entry in /proc/self/cgroup";
	*strchr(buf, '\n') = '\0';
	snprintf(memcg_home_procs, sizeof(memcg_home_procs), "%s%s/cgroup.procs",
		 root, strcmp(buf + 3, "/") ? buf + 3 : "");
	snprintf(memcg_pid, sizeof(memcg_pid), "%d", getpid());

	snprintf(memcg_dir, sizeof(memcg_dir), "%s/%s.%d", root, name, getpid());
	if (mkdir(memcg_dir, 0755))
		ksft_exit_fail_msg("mkdir %s: %s\n", memcg_dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/cgroup.procs", memcg_dir);
	if (!write_string(path, memcg_pid))
		ksft_exit_fail_msg("cannot join %s: %s\n", memcg_dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.reclaim", memcg_dir);
	if (access(path, W_OK))
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	return NULL;
}

/*
 * Back to the cgroup memcg_enter() was called in, and remove ours.
 * Async-signal-safe: only open, write, close and rmdir.
 */
void memcg_leave(void)
{
	if (!memcg_dir[0])
		return;
	write_string(memcg_home_procs, memcg_pid);
	rmdir(memcg_dir);
	memcg_dir[0] = '\0';
}

/*
 * Reclaim @bytes from our cgroup, twice. With @swappiness >= 0 it is passed
 * on (0 keeps reclaim off the anon LRU). Reclaiming less than asked (EAGAIN)
 * is not an error: callers check the pages themselves.
 */
void memcg_reclaim(size_t bytes, int swappiness)
{
	char path[PATH_MAX + 96], buf[64];
	int fd, i;

	snprintf(path, sizeof(path), "%s/memory.reclaim", memcg_dir);
	if (swappiness >= 0)
		snprintf(buf, sizeof(buf), "%zu swappiness=%d", bytes, swappiness);
	else
		snprintf(buf, sizeof(buf), "%zu", bytes);
	for (i = 0; i < 2; i++) {
		fd = open(path, O_WRONLY);
		if (fd < 0)
			ksft_exit_fail_msg("open %s: %s\n", path, strerror(errno));
		if (write(fd, buf, strlen(buf)) < 0 && errno != EAGAIN)
			ksft_exit_fail_msg("write \"%s\" to %s: %s\n", buf, path,
					   strerror(errno));
		close(fd);
	}
}

/*
 * The per-size THP counter stats/<name> of hugepages-<size>kB (for example
 * "swpout" or "split"); -1 when this kernel does not have it.
 */
long mthp_stat_get(size_t size, const char *name)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/transparent_hugepage/hugepages-%zukB/stats/%s",
		 size >> 10, name);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}
