# SPDX-License-Identifier: GPL-2.0
"""The pinned base tree: fetch, verify, unpack into a git repo, apply the series."""

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile

from common import (EXIT_BASE, EXIT_NOT_KERNEL, EXIT_PATCH, EXIT_WORK, SuiteError,
                    log, run)

PKG = 'linux-source-6.12'
PKG_VERSION = '6.12.117-1~deb12u1'
TARBALL = 'linux-source-6.12.tar.xz'
TARBALL_SHA256 = '585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f'
TREE_NAME = 'linux-6.12.117-deb'
BASE_TAG = 'mm-suite-base'
# The user's branch in the cached tree (README: edit and commit there).
BRANCH = 'mm-suite'
# The suite's own worktree of that repository, and its branch: every run
# on the pinned base (default, --no-series, --peer, the gate's sides,
# series.py check and build-each, the benchmarks) happens there, so a run
# never touches the tree users edit, and all of them share one source path
# (ccache hits across them).
RUN_TREE_NAME = TREE_NAME + '-run'
RUN_BRANCH = 'mm-suite-run'

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


def git_dir(tree):
    """The git directory of tree's work tree (per worktree)."""
    return git(tree, 'rev-parse', '--absolute-git-dir').stdout.strip()


def _marker(tree, branch):
    return os.path.join(git_dir(tree), 'mm-suite-series.' + branch)


def _read_marker(path):
    try:
        with open(path) as f:
            return f.read().split()
    except OSError:
        return []


def refuse_if_busy(tree):
    """Raise EXIT_WORK if a git operation is in progress in tree."""
    gd = git_dir(tree)
    for d, what in (('rebase-apply', 'a git am or rebase'), ('rebase-merge', 'a rebase'),
                    ('MERGE_HEAD', 'a merge'), ('BISECT_LOG', 'a git bisect')):
        if os.path.exists(os.path.join(gd, d)):
            raise SuiteError(EXIT_WORK, '%s: %s is in progress; finish or abort it first '
                             '(nothing was changed)' % (tree, what))


def refuse_to_discard(tree, branch, allowed=()):
    """Raise EXIT_WORK if checking out another commit on branch would lose
    work: uncommitted changes to tracked files, a git am or rebase in
    progress, or commits on branch other than the ones in allowed (what
    the suite itself put there)."""
    refuse_if_busy(tree)
    dirty = git(tree, 'status', '--porcelain', '-uno').stdout.splitlines()
    if dirty:
        raise SuiteError(EXIT_WORK, '%s has uncommitted changes that this run would '
                         'discard (nothing was changed):\n  %s\nCommit them (then '
                         '"tools/series.py export %s" to turn them into the series) or '
                         '"git -C %s stash" them, and run again.'
                         % (tree, '\n  '.join(dirty[:10]), tree, tree))
    r = git(tree, 'rev-parse', '-q', '--verify', 'refs/heads/' + branch, check=False)
    tip = r.stdout.strip()
    if r.returncode or tip in allowed:
        return
    extra = git(tree, 'log', '--format=%h %s', tip, '--not',
                *[a for a in allowed if a]).stdout.splitlines()
    if not extra:
        return
    raise SuiteError(EXIT_WORK, '%s: branch %s has %d commit(s) that this run did not put '
                     'there and would discard (nothing was changed):\n  %s\nExport them '
                     'with "tools/series.py export %s", move them to a branch of your own, '
                     'or test the tree as it is with --kernel-src and no --apply-series.'
                     % (tree, branch, len(extra), '\n  '.join(extra[:10]), tree))


def apply_series(tree, patches, onto, logfile, branch=RUN_BRANCH):
    """Point tree's branch at onto and git am every patch; idempotent.

    Never discards work: refuses (EXIT_WORK) when the tree has uncommitted
    changes or the branch has commits this function did not make. When
    the branch already holds exactly this series on this base and the work
    tree is clean, nothing is touched, so builds stay incremental.
    """
    digest = series_digest(patches)
    marker = _marker(tree, branch)
    onto_id = git(tree, 'rev-parse', onto + '^{commit}').stdout.strip()
    rec = _read_marker(marker)
    made = rec[2] if len(rec) == 3 else ''
    # Our own git am, interrupted: abort it (what it applied is recorded).
    if rec[1:2] == ['partial'] and os.path.isdir(os.path.join(git_dir(tree), 'rebase-apply')):
        git(tree, 'am', '--abort', check=False)
    refuse_to_discard(tree, branch, (onto_id, made))
    head = git(tree, 'symbolic-ref', '-q', 'HEAD', check=False).stdout.strip()
    tip = git(tree, 'rev-parse', '-q', '--verify', 'refs/heads/' + branch,
              check=False).stdout.strip()
    if head == 'refs/heads/' + branch and rec[:2] == [onto_id, digest] and tip == made:
        log('series already applied (%d patches)' % len(patches))
        return made
    # No -f, and --no-overwrite-ignore (Debian's .gitignore ignores every
    # top-level path, so a new file not yet added is "ignored"): git
    # refuses rather than overwrite a file in the way.
    r = git(tree, 'checkout', '-q', '--no-overwrite-ignore', '-B', branch, onto_id,
            check=False)
    if r.returncode:
        raise SuiteError(EXIT_WORK, '%s: cannot check out %s: %s' % (tree, onto_id[:12],
                                                                    r.stderr.strip()))
    def record(state, tip):
        with open(marker, 'w') as f:
            f.write('%s %s %s\n' % (onto_id, state, tip))

    # While applying, the marker says "partial" and names the last commit
    # made, so an interrupted or failed run is not taken for user work.
    record('partial', onto_id)
    for p in patches:
        r = git(tree, 'am', '-q', '--committer-date-is-author-date', p, check=False)
        if r.returncode:
            with open(logfile, 'a') as f:
                f.write(r.stdout + r.stderr)
            git(tree, 'am', '--abort', check=False)
            raise SuiteError(EXIT_PATCH, 'patch %s does not apply on %s:\n%s'
                             % (p, onto_id[:12], (r.stdout + r.stderr).strip()))
        record('partial', git(tree, 'rev-parse', 'HEAD').stdout.strip())
    tip = git(tree, 'rev-parse', 'HEAD').stdout.strip()
    with open(marker, 'w') as f:
        f.write('%s %s %s\n' % (onto_id, digest, tip))
    log('applied %d patches on %s' % (len(patches), onto_id[:12]))
    return tip


def detached_worktree(cache, name):
    """A worktree of the base repository at cache/src/name, created
    detached at the base on first use."""
    repo = base_tree(cache)
    wt = os.path.join(cache, 'src', name)
    if not os.path.exists(os.path.join(wt, '.git')):
        if os.path.exists(wt):
            shutil.rmtree(wt)
        git(repo, 'worktree', 'prune')
        log('creating the worktree %s' % wt)
        git(repo, 'worktree', 'add', '-q', '--detach', wt, BASE_TAG)
    return wt


def run_tree(cache):
    """The suite's own worktree of the base repository; created on first
    use. Users do not edit it (README): runs check out what they need."""
    wt = detached_worktree(cache, RUN_TREE_NAME)
    # Only tools/check-modes.py bisects here; one it left (killed by a CI
    # timeout, say) would make every later run refuse.
    if os.path.exists(os.path.join(git_dir(wt), 'BISECT_LOG')):
        log('ending a bisection an interrupted check left in %s' % wt)
        git(wt, 'bisect', 'reset', check=False)
    # A --mutants run that was killed leaves its branch checked out.
    if git(wt, 'symbolic-ref', '-q', 'HEAD', check=False).stdout.strip() == \
            'refs/heads/mm-suite-mutant':
        log('%s: back from a mutant an interrupted --mutants run left' % wt)
        git(wt, 'checkout', '-q', RUN_BRANCH, check=False)
    return wt


def offer_series(cache, tip):
    """Put the series on the user's branch BRANCH of the cached tree, but
    only while that branch holds no work of theirs: it is at the base or
    at the series an earlier run put there, it is checked out, and the
    tree is clean. Otherwise leave it alone."""
    repo = os.path.join(cache, 'src', TREE_NAME)
    offered = os.path.join(git_dir(repo), 'mm-suite-offered')
    known = {base_commit(repo)} | set(_read_marker(offered))
    cur = git(repo, 'rev-parse', '-q', '--verify', 'refs/heads/' + BRANCH,
              check=False).stdout.strip()
    head = git(repo, 'symbolic-ref', '-q', 'HEAD', check=False).stdout.strip()
    clean = git(repo, 'status', '--porcelain', '-uno').stdout.strip() == ''
    if cur == tip or cur not in known or head != 'refs/heads/' + BRANCH or not clean:
        return
    if git(repo, 'checkout', '-q', '--no-overwrite-ignore', '-B', BRANCH, tip,
           check=False).returncode == 0:
        with open(offered, 'w') as f:
            f.write(tip + '\n')
        log('%s: branch %s now holds the series (it held no work of yours)' % (repo, BRANCH))


if __name__ == '__main__':
    # tools/check.sh asks where the cached base tree lives.
    import sys
    from common import cache_dir
    if sys.argv[1:] == ['--print-tree']:
        print(os.path.join(cache_dir(), 'src', TREE_NAME))
        sys.exit(0)
    if sys.argv[1:] == ['--print-run-tree']:
        print(os.path.join(cache_dir(), 'src', RUN_TREE_NAME))
        sys.exit(0)
    sys.exit('usage: base.py --print-tree | --print-run-tree')
