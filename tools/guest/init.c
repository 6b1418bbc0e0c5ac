// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the mm-suite test VM. Static, no shell, no busybox: the same
 * source builds for every guest architecture.
 *
 * It mounts what the tests read (proc, sysfs, devtmpfs, cgroup v2, debugfs,
 * tmpfs), turns zram0 into swap, then runs every program listed in
 * /mmsuite/tests.txt ("name timeout-seconds [args...]") with its own
 * timeout. Each program's TAP goes to the console, and a KTAP document of
 * the whole run goes to the virtio-serial port named "mmsuite": one result
 * per program with the program's own output as its indented subtest. The
 * last line on that port is "# mmsuite-verdict: done"; the host treats a
 * run without it as a VM failure. Then the guest reboots, which with
 * QEMU's -no-reboot ends QEMU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>

#define MAX_ARGS	16
#define SWAP_MB		512

static FILE *res;	/* the results channel */

static void con(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("mmsuite-init: ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void try_mount(const char *src, const char *dst, const char *type,
		      const char *opts)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, opts) && errno != EBUSY)
		con("mount %s on %s: %s\n", type, dst, strerror(errno));
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

/* mkswap, the minimum: a version-1 header in the first page. */
static int setup_swap(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long pages = (SWAP_MB << 20) / page;
	char buf[32];
	char *hdr;
	int fd;

	snprintf(buf, sizeof(buf), "%dM", SWAP_MB);
	if (write_file("/sys/block/zram0/disksize", buf)) {
		con("no zram0: the guest has no swap\n");
		return -1;
	}
	fd = open("/dev/zram0", O_RDWR);
	if (fd < 0)
		return -1;
	hdr = calloc(1, page);
	/* struct swap_header: version at 1024, last_page at 1028. */
	*(unsigned int *)(hdr + 1024) = 1;
	*(unsigned int *)(hdr + 1028) = pages - 1;
	memcpy(hdr + page - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, hdr, page, 0) != page) {
		close(fd);
		return -1;
	}
	fsync(fd);
	close(fd);
	free(hdr);
	if (swapon("/dev/zram0", 0)) {
		con("swapon: %s\n", strerror(errno));
		return -1;
	}
	con("swap: %d MiB on zram0\n", SWAP_MB);
	return 0;
}

/* The virtio-serial port the host reads the verdict from. */
static FILE *open_results(void)
{
	char path[300], name[64];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int fd;

	d = opendir("/sys/class/virtio-ports");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name",
			 de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (read(fd, name, sizeof(name) - 1) < 0)
			name[0] = '\0';
		close(fd);
		if (strncmp(name, "mmsuite", 7))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		f = fopen(path, "w");
		if (f) {
			closedir(d);
			setvbuf(f, NULL, _IOLBF, 0);
			return f;
		}
	}
	if (d)
		closedir(d);
	return NULL;
}

/*
 * mmsuite.failfast on the kernel command line (./run_tests.sh --mutants):
 * a program is stopped at its first failed case and the programs after it
 * are not run; one failure is all a mutant's verdict needs.
 */
static int failfast;

static void read_cmdline(void)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/cmdline", O_RDONLY);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	failfast = strstr(buf, "mmsuite.failfast") != NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run one program; copy its output to the console and, indented, to the
 * results channel. Returns the exit status, -1 on timeout, or -2 when
 * failfast stopped it at a failed case.
 */
static int run_one(char **argv, int timeout, int *signo)
{
	char buf[4096], line[8192];
	size_t ll = 0;
	double deadline = now() + timeout;
	struct pollfd pfd;
	int pipefd[2], status = 0, timed_out = 0, stopped = 0;
	ssize_t n, i;
	pid_t pid;

	*signo = 0;
	if (pipe(pipefd))
		return 127;
	pid = fork();
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		setsid();
		chdir("/mmsuite/bin");
		execv(argv[0], argv);
		printf("exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	for (;;) {
		int left = (int)((deadline - now()) * 1000);

		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = read(pipefd[0], buf, sizeof(buf));
		if (n <= 0 || stopped)
			break;
		fwrite(buf, 1, n, stdout);
		fflush(stdout);
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || ll == sizeof(line) - 1) {
				line[ll] = '\0';
				if (res)
					fprintf(res, "    %s\n", line);
				ll = 0;
				if (failfast && !strncmp(line, "not ok ", 7)) {
					kill(-pid, SIGKILL);
					kill(pid, SIGKILL);
					stopped = 1;
					break;
				}
			} else {
				line[ll++] = buf[i];
			}
		}
		if (stopped)
			break;
	}
	if (ll && res)
		fprintf(res, "    %.*s\n", (int)ll, line);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	if (timed_out)
		return -1;
	if (stopped)
		return -2;
	if (WIFSIGNALED(status)) {
		*signo = WTERMSIG(status);
		return 128 + *signo;
	}
	return WEXITSTATUS(status);
}

int main(void)
{
	char line[1024], *argv[MAX_ARGS + 1], *tok, *save;
	char *names[256];
	int timeouts[256], n = 0, i, rc, signo, failed = 0;
	FILE *list;

	setvbuf(stdout, NULL, _IOLBF, 0);
	try_mount("proc", "/proc", "proc", NULL);
	try_mount("sysfs", "/sys", "sysfs", NULL);
	try_mount("devtmpfs", "/dev", "devtmpfs", NULL);
	try_mount("tmpfs", "/tmp", "tmpfs", NULL);
	try_mount("cgroup2", "/sys/fs/cgroup", "cgroup2", NULL);
	try_mount("debugfs", "/sys/kernel/debug", "debugfs", NULL);
	try_mount("hugetlbfs", "/dev/hugepages", "hugetlbfs", NULL);
	setup_swap();
	read_cmdline();

	res = open_results();
	if (!res)
		con("no virtio-serial port named mmsuite: results on the console only\n");

	list = fopen("/mmsuite/tests.txt", "r");
	while (list && n < 256 && fgets(line, sizeof(line), list)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		names[n] = strdup(line);
		timeouts[n] = 0;
		n++;
	}
	if (list)
		fclose(list);

	if (res)
		fprintf(res, "KTAP version 1\n1..%d\n", n);
	for (i = 0; i < n; i++) {
		int argc = 0;
		double t0 = now();
		char *name;

		for (tok = strtok_r(names[i], " \t\n", &save);
		     tok && argc < MAX_ARGS + 1;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			if (argc == 1 && !timeouts[i]) {
				timeouts[i] = atoi(tok);
				continue;
			}
			argv[argc++] = tok;
		}
		argv[argc] = NULL;
		name = argv[0];
		if (failfast && failed) {
			con("not running %s: mmsuite.failfast\n", name);
			if (res)
				fprintf(res, "ok %d %s # SKIP not run: mmsuite.failfast stops at the first failure\n",
					i + 1, name);
			continue;
		}
		con("running %s (timeout %d s)\n", name, timeouts[i]);
		if (res)
			fprintf(res, "    # Subtest: %s\n", name);
		snprintf(line, sizeof(line), "/mmsuite/bin/%s", name);
		argv[0] = line;
		rc = run_one(argv, timeouts[i] > 0 ? timeouts[i] : 300, &signo);
		con("%s: rc=%d after %.1f s\n", name, rc, now() - t0);
		if (!res)
			continue;
		if (rc == 0)
			fprintf(res, "ok %d %s\n", i + 1, name);
		else if (rc == 4)
			fprintf(res, "ok %d %s # SKIP\n", i + 1, name);
		else if (rc == -2)
			fprintf(res, "not ok %d %s # stopped at its first failed case (mmsuite.failfast)\n",
				i + 1, name);
		else if (rc == -1)
			fprintf(res, "not ok %d %s # TIMEOUT after %d s\n", i + 1,
				name, timeouts[i]);
		else if (signo)
			fprintf(res, "not ok %d %s # killed by signal %d\n", i + 1,
				name, signo);
		else
			fprintf(res, "not ok %d %s # exit status %d\n", i + 1, name, rc);
		if (rc != 0 && rc != 4)
			failed++;
		fprintf(res, "# time: %s %.1f\n", name, now() - t0);
	}
	if (res) {
		fprintf(res, "# mmsuite-verdict: done failed=%d\n", failed);
		fflush(res);
		fsync(fileno(res));
	}
	con("done, %d failed\n", failed);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
