# SPDX-License-Identifier: GPL-2.0
"""The pinned base tree: fetch, verify, unpack into a git repo, apply the series."""

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile

from common import (EXIT_BASE, EXIT_NOT_KERNEL, EXIT_PATCH, SuiteError,
                    log, run)

PKG = 'linux-source-6.12'
PKG_VERSION = '6.12.117-1~deb12u1'
TARBALL = 'linux-source-6.12.tar.xz'
TARBALL_SHA256 = '585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f'
TREE_NAME = 'linux-6.12.117-deb'
BASE_TAG = 'mm-suite-base'
BRANCH = 'mm-suite'

# The base commit is made with a fixed identity and date so that its id is
# the same on every machine; the cover letter's base-commit: names it.
_IDENT = {
    'GIT_AUTHOR_NAME': 'mm-suite', 'GIT_AUTHOR_EMAIL': 'mm-suite@example.invalid',
    'GIT_COMMITTER_NAME': 'mm-suite', 'GIT_COMMITTER_EMAIL': 'mm-suite@example.invalid',
}
_BASE_DATE = '2025-11-01T00:00:00+0000'


def git_env(fixed_date=False):
    env = dict(os.environ)
    env.update(_IDENT)
    env['GIT_CONFIG_NOSYSTEM'] = '1'
    env['GIT_CONFIG_GLOBAL'] = '/dev/null'
    if fixed_date:
        env['GIT_AUTHOR_DATE'] = _BASE_DATE
        env['GIT_COMMITTER_DATE'] = _BASE_DATE
    return env


def git(tree, *args, check=True, capture=True, fixed_date=False):
    r = subprocess.run(['git', '-C', tree, '-c', 'core.autocrlf=false',
                        '-c', 'advice.detachedHead=false'] + list(args),
                       env=git_env(fixed_date), text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None,
                       stdin=subprocess.DEVNULL)
    if check and r.returncode:
        raise subprocess.CalledProcessError(r.returncode, args, r.stdout, r.stderr)
    return r


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for blk in iter(lambda: f.read(1 << 20), b''):
            h.update(blk)
    return h.hexdigest()


def _installed_version():
    r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', PKG],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def fetch_tarball(cache):
    """Return the path of the verified pinned tarball."""
    dl = os.path.join(cache, 'dl')
    os.makedirs(dl, exist_ok=True)
    cached = os.path.join(dl, TARBALL)
    candidates = [cached]
    if _installed_version() == PKG_VERSION:
        candidates.insert(0, os.path.join('/usr/src', TARBALL))
    for c in candidates:
        if os.path.exists(c):
            if sha256(c) == TARBALL_SHA256:
                return c
            log('%s: sha256 mismatch, ignoring it' % c)
    # apt-get download works without root and does not touch the system.
    log('downloading %s=%s (about 150 MB)' % (PKG, PKG_VERSION))
    tmp = tempfile.mkdtemp(dir=dl)
    try:
        rc = run(['apt-get', 'download', '-q', '%s=%s' % (PKG, PKG_VERSION)],
                 cwd=tmp, check=False, progress='download')
        debs = glob.glob(os.path.join(tmp, '*.deb'))
        if rc or not debs:
            raise SuiteError(EXIT_BASE,
                             'cannot download %s=%s with apt-get (is the '
                             'bookworm-security archive in sources.list? try '
                             '"apt-get update")' % (PKG, PKG_VERSION))
        with open(os.path.join(tmp, TARBALL), 'wb') as out:
            p = subprocess.Popen(['dpkg-deb', '--fsys-tarfile', debs[0]],
                                 stdout=subprocess.PIPE)
            r = subprocess.run(['tar', '-xO', './usr/src/' + TARBALL],
                               stdin=p.stdout, stdout=out)
            p.wait()
        if r.returncode or p.returncode:
            raise SuiteError(EXIT_BASE, 'cannot extract %s from %s' % (TARBALL, debs[0]))
        got = sha256(os.path.join(tmp, TARBALL))
        if got != TARBALL_SHA256:
            raise SuiteError(EXIT_BASE, '%s from %s has sha256 %s, expected %s: '
                             'refusing a base that is not the pinned one'
                             % (TARBALL, debs[0], got, TARBALL_SHA256))
        os.replace(os.path.join(tmp, TARBALL), cached)
        return cached
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def base_tree(cache):
    """Return the git repo of the pinned base; create it on first use."""
    src = os.path.join(cache, 'src')
    tree = os.path.join(src, TREE_NAME)
    if os.path.isdir(os.path.join(tree, '.git')):
        if git(tree, 'rev-parse', '-q', '--verify', BASE_TAG + '^{commit}',
               check=False).returncode == 0:
            return tree
        log('%s is incomplete, recreating it' % tree)
        shutil.rmtree(tree)
    tarball = fetch_tarball(cache)
    os.makedirs(src, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.unpack-', dir=src)
    try:
        log('unpacking %s' % tarball)
        run(['tar', '-xJf', tarball, '-C', tmp], progress='unpack')
        top = os.path.join(tmp, 'linux-source-6.12')
        log('creating the base commit (git add of ~90k files)')
        git(top, 'init', '-q', '-b', BRANCH)
        git(top, 'add', '-f', '-A')
        git(top, 'commit', '-q', '--no-verify', '-m',
            'Debian %s %s\n\nUnpacked from %s (sha256 %s).'
            % (PKG, PKG_VERSION, TARBALL, TARBALL_SHA256), fixed_date=True)
        git(top, 'tag', BASE_TAG)
        os.rename(top, tree)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log('base tree ready: %s at %s' % (tree, base_commit(tree)))
    return tree


def base_commit(tree):
    return git(tree, 'rev-parse', BASE_TAG + '^{commit}').stdout.strip()


def check_kernel_tree(tree):
    """Raise unless tree looks like a kernel source tree kunit.py can drive."""
    if not os.path.isdir(tree):
        raise SuiteError(EXIT_NOT_KERNEL, '%s: no such directory' % tree)
    must = ['Makefile', 'Kconfig', 'mm/memory.c', 'tools/testing/kunit/kunit.py',
            'tools/testing/selftests/mm/Makefile']
    missing = [m for m in must if not os.path.exists(os.path.join(tree, m))]
    if missing:
        raise SuiteError(EXIT_NOT_KERNEL, '%s is not a Linux kernel tree (missing: %s)'
                         % (tree, ', '.join(missing)))
    with open(os.path.join(tree, 'Makefile')) as f:
        head = f.read(400)
    if 'VERSION =' not in head or 'PATCHLEVEL =' not in head:
        raise SuiteError(EXIT_NOT_KERNEL, '%s/Makefile is not a kernel Makefile' % tree)


def read_series(series_dir):
    path = os.path.join(series_dir, 'series')
    if not os.path.exists(path):
        raise SuiteError(EXIT_PATCH, '%s: no series file' % series_dir)
    out = []
    with open(path) as f:
        for ln in f:
            ln = ln.split('#', 1)[0].strip()
            if ln:
                p = os.path.join(series_dir, ln)
                if not os.path.exists(p):
                    raise SuiteError(EXIT_PATCH, '%s names %s, which does not exist'
                                     % (path, ln))
                out.append(p)
    return out


def series_digest(patches):
    h = hashlib.sha256()
    for p in patches:
        h.update(os.path.basename(p).encode() + b'\0')
        with open(p, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


def apply_series(tree, patches, onto, logfile):
    """Reset tree's BRANCH to onto and git am every patch; idempotent.

    When the branch already holds exactly this series on this base and the
    work tree is clean, nothing is touched, so builds stay incremental.
    """
    digest = series_digest(patches)
    marker = os.path.join(tree, '.git', 'mm-suite-series')
    onto_id = git(tree, 'rev-parse', onto + '^{commit}').stdout.strip()
    want = '%s %s' % (onto_id, digest)
    clean = git(tree, 'status', '--porcelain', '-uno').stdout.strip() == ''
    head = git(tree, 'symbolic-ref', '-q', 'HEAD', check=False).stdout.strip()
    if clean and head == 'refs/heads/' + BRANCH and os.path.exists(marker):
        with open(marker) as f:
            if f.read().strip() == want:
                log('series already applied (%d patches)' % len(patches))
                return
    if os.path.isdir(os.path.join(tree, '.git', 'rebase-apply')):
        git(tree, 'am', '--abort', check=False)
    if os.path.exists(marker):
        os.unlink(marker)
    git(tree, 'checkout', '-q', '-f', '-B', BRANCH, onto_id)
    for p in patches:
        r = git(tree, 'am', '-q', '--committer-date-is-author-date', p, check=False)
        if r.returncode:
            with open(logfile, 'a') as f:
                f.write(r.stdout + r.stderr)
            git(tree, 'am', '--abort', check=False)
            raise SuiteError(EXIT_PATCH, 'patch %s does not apply on %s:\n%s'
                             % (p, onto_id[:12], (r.stdout + r.stderr).strip()))
    with open(marker, 'w') as f:
        f.write(want + '\n')
    log('applied %d patches on %s' % (len(patches), onto_id[:12]))


if __name__ == '__main__':
    # tools/check.sh asks where the cached base tree lives.
    import sys
    from common import cache_dir
    if sys.argv[1:] == ['--print-tree']:
        print(os.path.join(cache_dir(), 'src', TREE_NAME))
        sys.exit(0)
    sys.exit('usage: base.py --print-tree')
