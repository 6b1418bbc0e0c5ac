# SPDX-License-Identifier: GPL-2.0
"""Kernel builds through kunit.py, guest programs and the initramfs."""

import os
import stat
import subprocess

from common import (EXIT_BUILD, EXIT_CONFIG, REPO, SuiteError, log, run, tail)


# Options of features the series adds; see tree_kunitconfig().
FEATURES_CONFIG = 'configs/features.config'


def _env(cache):
    env = dict(os.environ)
    env['CCACHE_DIR'] = os.path.join(cache, 'ccache')
    env.setdefault('CCACHE_MAXSIZE', '8G')
    # Builds of one source tree in different build directories (the
    # suite's, build-each's, a bisect's) share ccache entries.
    env.setdefault('CCACHE_NOHASHDIR', '1')
    # Stable build stamps keep ccache hits and make reruns reproducible.
    env.setdefault('KBUILD_BUILD_TIMESTAMP', '2025-11-01')
    env.setdefault('KBUILD_BUILD_USER', 'mm-suite')
    env.setdefault('KBUILD_BUILD_HOST', 'mm-suite')
    return env


def _kconfig_symbols(tree, names):
    """Those of names that some Kconfig file of tree defines."""
    found = set()
    for dirpath, dirnames, files in os.walk(tree):
        dirnames[:] = [d for d in dirnames if not d.startswith('.')]
        for fn in files:
            if not fn.startswith('Kconfig'):
                continue
            with open(os.path.join(dirpath, fn), errors='replace') as f:
                for ln in f:
                    w = ln.split()
                    if len(w) == 2 and w[0] in ('config', 'menuconfig') and w[1] in names:
                        found.add(w[1])
    return found


def _symbol(line):
    """The Kconfig symbol a config-fragment line sets, or None."""
    return line.split('=')[0][len('CONFIG_'):] if line.startswith('CONFIG_') else None


def tree_kunitconfig(tree, arch, build_dir, extra_configs=()):
    """Merge the arch's fragments into one kunitconfig for this tree.

    KUnit test options and the options of configs/features.config whose
    Kconfig symbol the tree does not define (a tree without the series, an
    older commit while bisecting) are left out, so the kernel still
    builds; their suites are then reported as skipped, and their
    kselftests report the feature absent. Any other missing option stays
    an error.
    """
    lines, optional = [], set()
    for frag in list(arch.kunitconfigs) + list(extra_configs):
        with open(os.path.join(REPO, frag)) as f:
            got = [ln.rstrip('\n') for ln in f]
        lines += got
        optional |= {s for s in map(_symbol, got)
                     if s and (s.endswith('_KUNIT_TEST') or frag == FEATURES_CONFIG)}
    absent = optional - _kconfig_symbols(tree, optional)
    out = []
    for ln in lines:
        if _symbol(ln) in absent:
            out.append('# %s: not defined by this tree' % ln)
        else:
            out.append(ln)
    if absent:
        log('%s: this tree has no %s; those KUnit suites and features are '
            'reported as skipped' % (arch.name, ', '.join(sorted(absent))))
    os.makedirs(build_dir, exist_ok=True)
    path = os.path.join(build_dir, 'mm-suite.kunitconfig')
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')
    return path


def kunit_cmd(tree, arch, build_dir, step, jobs, kunitconfig=None):
    """kunit.py command line; config, build and run need the merged
    kunitconfig from tree_kunitconfig()."""
    cmd = ['python3', os.path.join(tree, 'tools/testing/kunit/kunit.py'), step,
           '--arch', arch.name, '--build_dir', build_dir]
    if step in ('config', 'build', 'run'):
        cmd += ['--kunitconfig', kunitconfig]
        cmd += ['--make_options', 'CC=ccache ' + arch.cc]
        if arch.cross_compile:
            cmd += ['--cross_compile', arch.cross_compile]
    if step in ('build', 'run'):
        cmd += ['--jobs', str(jobs)]
    return cmd


def build_kernel(tree, arch, cache, build_dir, logfile, jobs, extra_configs=()):
    """kunit.py config + build; distinct errors for config and build."""
    os.makedirs(build_dir, exist_ok=True)
    env = _env(cache)
    kconf = tree_kunitconfig(tree, arch, build_dir, extra_configs)
    log('%s: configuring kernel in %s' % (arch.name, build_dir))
    rc = run(kunit_cmd(tree, arch, build_dir, 'config', jobs, kconf),
             cwd=tree, env=env, logfile=logfile, check=False, quiet=True)
    if rc:
        raise SuiteError(EXIT_CONFIG, '%s: kernel config failed; requested options '
                         'missing from .config are listed in %s:\n%s'
                         % (arch.name, logfile, tail(logfile, 15)))
    log('%s: building kernel (log: %s)' % (arch.name, logfile))
    rc = run(kunit_cmd(tree, arch, build_dir, 'build', jobs, kconf),
             cwd=tree, env=env, logfile=logfile, check=False, quiet=True,
             progress='%s kernel build' % arch.name)
    if rc:
        # kunit.py build configures again when the tree's Kconfig changed
        # since .config was made; a requested option it lost is a config
        # error, not a compile error.
        if 'Not all Kconfig options selected' in tail(logfile, 15):
            raise SuiteError(EXIT_CONFIG, '%s: kernel config failed; requested options '
                             'missing from .config are listed in %s:\n%s'
                             % (arch.name, logfile, tail(logfile, 15)))
        raise SuiteError(EXIT_BUILD, '%s: kernel build failed (log: %s):\n%s'
                         % (arch.name, logfile, tail(logfile, 25)))


def build_headers(tree, arch, build_dir, logfile):
    karch = 'x86' if arch.name == 'x86_64' else arch.name
    rc = run(['make', '-s', 'ARCH=' + karch, 'O=' + build_dir, 'headers'],
             cwd=tree, logfile=logfile, check=False, quiet=True)
    if rc:
        raise SuiteError(EXIT_BUILD, '%s: make headers failed (log: %s)'
                         % (arch.name, logfile))
    return os.path.join(build_dir, 'usr', 'include')


def read_test_list(name='tests.list'):
    """kselftests/<name>: 'name timeout [args]' per line."""
    out = []
    with open(os.path.join(REPO, 'kselftests', name)) as f:
        for ln in f:
            ln = ln.split('#', 1)[0].split()
            if ln:
                out.append((ln[0], int(ln[1]), ln[2:]))
    return out


def compile_static(arch, hdr, outdir, name, srcs, logfile, extra=()):
    """One static guest program for arch; returns its path."""
    out = os.path.join(outdir, name)
    rc = run([arch.target_cc, '-static', '-O2', '-Wall', '-isystem', hdr] + list(extra) +
             ['-o', out] + list(srcs) + ['-lpthread'], logfile=logfile, check=False,
             quiet=True)
    if rc:
        raise SuiteError(EXIT_BUILD, '%s: building guest program %s failed (log: %s):\n%s'
                         % (arch.name, name, logfile, tail(logfile, 20)))
    return out


# Helper sources of kselftests/ that every program is linked with; the
# series adds them to tools/testing/selftests/mm (mirrored like the tests).
KSELFTEST_HELPERS = ('folio_util.c',)


def build_guest_programs(tree, arch, hdr, outdir, logfile, tests):
    """Static init and kselftests for the guest.

    The kselftests and their helpers (KSELFTEST_HELPERS) are compiled from
    the repo's kselftests/ (the single source; the patch series carries a
    copy checked by tools/series.py check), with vm_util.c, thp_settings.c
    and kselftest.h of the tree under test. The helpers need nothing of
    vm_util.c that 6.12 lacks, so the tests build on any tree from 6.12 on,
    with or without the series.
    """
    os.makedirs(outdir, exist_ok=True)
    mmdir = os.path.join(tree, 'tools/testing/selftests/mm')
    progs = {'init': compile_static(arch, hdr, outdir, 'init',
                                    [os.path.join(REPO, 'tools/guest/init.c')], logfile)}
    helpers = [os.path.join(REPO, 'kselftests', h) for h in KSELFTEST_HELPERS]
    for name, _, _ in tests:
        srcs = [os.path.join(REPO, 'kselftests', name + '.c')] + helpers + [
            os.path.join(mmdir, 'vm_util.c'), os.path.join(mmdir, 'thp_settings.c')]
        progs[name] = compile_static(arch, hdr, outdir, name, srcs, logfile,
                                     ['-I', mmdir, '-I', os.path.dirname(mmdir)])
    return progs


def build_upstream_mm(tree, arch, hdr, outdir, logfile, wanted):
    """Static upstream mm selftests of the tree; returns name -> path of
    those in wanted that built (some need libraries the target lacks)."""
    os.makedirs(outdir, exist_ok=True)
    cmd = ['make', '-k', '-C', os.path.join(tree, 'tools/testing/selftests/mm'),
           'OUTPUT=' + outdir, 'KHDR_INCLUDES=-isystem ' + hdr, 'LDFLAGS=-static',
           '-j2']
    if arch.cross_compile:
        cmd.append('CROSS_COMPILE=' + arch.cross_compile)
    run(cmd, logfile=logfile, check=False, quiet=True, progress='upstream mm selftests build')
    out = {}
    for name, _, _ in wanted:
        p = os.path.join(outdir, name)
        if os.path.exists(p):
            out[name] = p
        else:
            log('%s: upstream %s did not build (see %s)' % (arch.name, name, logfile))
    return out


# --- initramfs: cpio "newc", written here so no host cpio is needed ---

def _cpio_entry(f, name, mode, data=b'', rdev=(0, 0), ino=[1000]):
    ino[0] += 1
    hdr = '070701' + ''.join('%08X' % v for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
        len(name) + 1, 0))
    f.write(hdr.encode() + name.encode() + b'\0')
    f.write(b'\0' * ((4 - (110 + len(name) + 1) % 4) % 4))
    f.write(data)
    f.write(b'\0' * ((4 - len(data) % 4) % 4))


def kernel_config(build_dir):
    """(release, .config bytes) of a built kernel, for /boot/config-<release>
    in the guest: where tests look up what the kernel was configured with,
    as on a distribution install."""
    with open(os.path.join(build_dir, 'include/config/kernel.release')) as f:
        release = f.read().strip()
    with open(os.path.join(build_dir, '.config'), 'rb') as f:
        return release, f.read()


def write_initramfs(path, progs, tests, kconfig=None):
    """progs: name -> host path; tests: [(name, timeout, args)];
    kconfig: (release, .config bytes) or None."""
    listing = ''.join('%s %d %s\n' % (n, t, ' '.join(a)) for n, t, a in tests)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        for d in ('dev', 'proc', 'sys', 'tmp', 'boot', 'mmsuite', 'mmsuite/bin'):
            _cpio_entry(f, d, stat.S_IFDIR | 0o755)
        if kconfig:
            _cpio_entry(f, 'boot/config-' + kconfig[0], stat.S_IFREG | 0o644, kconfig[1])
        _cpio_entry(f, 'dev/console', stat.S_IFCHR | 0o600, rdev=(5, 1))
        with open(progs['init'], 'rb') as p:
            _cpio_entry(f, 'init', stat.S_IFREG | 0o755, p.read())
        for name, host in progs.items():
            if name == 'init':
                continue
            with open(host, 'rb') as p:
                _cpio_entry(f, 'mmsuite/bin/' + name, stat.S_IFREG | 0o755, p.read())
        _cpio_entry(f, 'mmsuite/tests.txt', stat.S_IFREG | 0o644, listing.encode())
        _cpio_entry(f, 'TRAILER!!!', 0)
    os.replace(tmp, path)


def kernel_release(build_dir):
    try:
        with open(os.path.join(build_dir, 'include/config/kernel.release')) as f:
            return f.read().strip()
    except OSError:
        return '?'


def config_has(build_dir, option):
    try:
        with open(os.path.join(build_dir, '.config')) as f:
            return any(ln.strip() == option + '=y' for ln in f)
    except OSError:
        return False


def git_describe(tree):
    r = subprocess.run(['git', '-C', tree, 'log', '-1', '--format=%h %s'],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip()


def git_head(tree):
    r = subprocess.run(['git', '-C', tree, 'rev-parse', 'HEAD'],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip()
