# SPDX-License-Identifier: GPL-2.0
"""Host packages: find the missing ones, install them as root, else say how."""

import os
import shutil
import subprocess

from common import EXIT_MISSING_DEPS, SuiteError, log, run


def missing_packages(pkgs):
    """Packages of pkgs that dpkg does not report as installed."""
    if not shutil.which('dpkg-query'):
        raise SuiteError(EXIT_MISSING_DEPS,
                         'dpkg-query not found: mm-suite sets itself up on Debian; '
                         'on other systems install the equivalents of: ' + ' '.join(pkgs))
    r = subprocess.run(['dpkg-query', '-W', '-f=${Package} ${db:Status-Status}\n'] + list(pkgs),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ok = set()
    for ln in r.stdout.splitlines():
        parts = ln.split()
        if len(parts) == 2 and parts[1] == 'installed':
            ok.add(parts[0].split(':')[0])
    return [p for p in pkgs if p not in ok]


def apt_line(pkgs):
    return 'apt-get install -y --no-install-recommends ' + ' '.join(sorted(pkgs))


def ensure(pkgs, install=True, logfile=None):
    pkgs = sorted(set(pkgs))
    missing = missing_packages(pkgs)
    if not missing:
        return
    if not install or os.geteuid() != 0:
        why = 'not root' if os.geteuid() else '--no-install given'
        raise SuiteError(EXIT_MISSING_DEPS,
                         'missing host packages (%s); run as root:\n  apt-get update && %s'
                         % (why, apt_line(missing)))
    log('installing %d missing packages: %s' % (len(missing), ' '.join(missing)))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    run(['apt-get', 'update', '-q'], env=env, logfile=logfile, check=False,
        progress='apt-get update')
    rc = run(['apt-get', 'install', '-y', '-q', '--no-install-recommends'] + missing,
             env=env, logfile=logfile, check=False, progress='apt-get install')
    still = missing_packages(missing)
    if rc or still:
        raise SuiteError(EXIT_MISSING_DEPS, 'apt-get could not install: %s (log: %s)'
                         % (' '.join(still or missing), logfile))
