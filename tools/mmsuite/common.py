# SPDX-License-Identifier: GPL-2.0
"""Shared pieces of the mm-suite runner: exit codes, logging, subprocesses."""

import os
import shlex
import subprocess
import sys
import time

# Exit codes.  0 and 1 are the test verdict; everything from 2 up means the
# suite could not produce a verdict.  tools/bisect-step maps the latter to 125.
EXIT_OK = 0             # every test ran and nothing failed
EXIT_TEST_FAILED = 1    # at least one test failed (or an expected suite is missing)
EXIT_USAGE = 2          # bad command line
EXIT_MISSING_DEPS = 3   # host packages missing and we are not root
EXIT_BASE = 4           # pinned base could not be fetched or failed its checksum
EXIT_NOT_KERNEL = 5     # --kernel-src is not a kernel tree
EXIT_PATCH = 6          # a patch of the series does not apply
EXIT_CONFIG = 7         # a requested config option did not make it into .config
EXIT_BUILD = 8          # kernel or test build failed
EXIT_VM = 9             # guest hung, panicked or gave no verdict
EXIT_GATE_SIDE = 10     # --gate/--peer: a side could not be built or run; no comparison
EXIT_WORK = 11          # the tree holds work a run would discard; nothing was changed

EXIT_NAMES = {
    EXIT_OK: 'ok',
    EXIT_TEST_FAILED: 'test failure',
    EXIT_USAGE: 'usage error',
    EXIT_MISSING_DEPS: 'missing host packages',
    EXIT_BASE: 'base tree unavailable',
    EXIT_NOT_KERNEL: 'not a kernel tree',
    EXIT_PATCH: 'patch does not apply',
    EXIT_CONFIG: 'config error',
    EXIT_BUILD: 'build failure',
    EXIT_VM: 'VM failure',
    EXIT_GATE_SIDE: 'a gate side could not be built or run',
    EXIT_WORK: 'tree holds work a run would discard',
}

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SuiteError(Exception):
    """An error that ends the run with a specific exit code."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def cache_dir():
    d = os.environ.get('MMSUITE_CACHE')
    if not d:
        base = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache')
        d = os.path.join(base, 'mm-suite')
    os.makedirs(d, exist_ok=True)
    return os.path.abspath(d)


_T0 = time.monotonic()


def log(msg):
    """Progress line on stderr, prefixed with the elapsed time of the run."""
    el = time.monotonic() - _T0
    sys.stderr.write('[%4d:%02d] %s\n' % (el // 60, el % 60, msg))
    sys.stderr.flush()


def run(cmd, cwd=None, env=None, logfile=None, check=True, quiet=False,
        progress=None):
    """Run cmd; output goes to logfile (appended) if given.

    With progress set, print a heartbeat every 30 s so long builds show life.
    Returns the exit status.
    """
    if not quiet:
        log('$ ' + ' '.join(shlex.quote(c) for c in cmd))
    out = None
    if logfile:
        out = open(logfile, 'a')
        out.write('$ %s\n' % ' '.join(shlex.quote(c) for c in cmd))
        out.flush()
    try:
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out or None,
                             stderr=subprocess.STDOUT if out else None,
                             stdin=subprocess.DEVNULL)
        t0 = time.monotonic()
        while True:
            try:
                rc = p.wait(timeout=30)
                break
            except subprocess.TimeoutExpired:
                if progress:
                    log('  ... %s (%ds)' % (progress, time.monotonic() - t0))
    finally:
        if out:
            out.close()
    if check and rc != 0:
        raise subprocess.CalledProcessError(rc, cmd)
    return rc


def tail(path, n=25):
    try:
        with open(path, errors='replace') as f:
            lines = f.readlines()
    except OSError:
        return ''
    return ''.join(lines[-n:])
