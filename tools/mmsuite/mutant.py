# SPDX-License-Identifier: GPL-2.0
"""Deliberate bugs put back into the series, for checking that the suite
(and a bisection with it) catches them.

A mutant is a text replacement in one file, made in the commit of the
patch that introduces the code and carried through every later commit,
as a developer's bug in that patch would be. The commits before it are
the series' own (same ids), so their builds are ccache hits; from the
mutated patch on, only the mutated file differs from the series.
"""

import os
import subprocess

import base
from common import EXIT_USAGE, SuiteError

MUTANT_BRANCH = 'mm-suite-mutant'


def _mutate(text, old, new, where):
    n = text.count(old)
    if n != 1:
        raise SuiteError(EXIT_USAGE, 'mutant: %s has %d copies of the text to replace, '
                         'expected 1 (is the mutant out of date?):\n%s' % (where, n, old))
    return text.replace(old, new)


def make_branch(tree, subject, path, old, new, branch=MUTANT_BRANCH):
    """Branch = base.RUN_BRANCH with the commit whose subject is subject,
    and every later one, changed by replacing old with new in path.
    Returns (mutated commit of that patch, tip of the branch)."""
    commits = base.git(tree, 'rev-list', '--reverse', '%s..%s' % (
        base.BASE_TAG, base.RUN_BRANCH)).stdout.split()
    subjects = [base.git(tree, 'log', '-1', '--format=%s', c).stdout.strip() for c in commits]
    if subject not in subjects:
        raise SuiteError(EXIT_USAGE, 'mutant: no commit "%s" in %s' % (subject,
                                                                        base.RUN_BRANCH))
    k = subjects.index(subject)
    parent = commits[k - 1] if k else base.base_commit(tree)
    index = os.path.join(base.git_dir(tree), 'mm-suite-mutant.index')
    first = None
    try:
        for c in commits[k:]:
            text = base.git(tree, 'show', '%s:%s' % (c, path)).stdout
            blob = subprocess.run(['git', '-C', tree, 'hash-object', '-w', '--stdin'],
                                  input=_mutate(text, old, new, '%s at %s' % (path, c[:12])),
                                  stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
            env = dict(base.git_env(), GIT_INDEX_FILE=index)
            for args in (['read-tree', c],
                         ['update-index', '--cacheinfo', '100644,%s,%s' % (blob, path)]):
                subprocess.run(['git', '-C', tree] + args, env=env, check=True)
            newtree = subprocess.run(['git', '-C', tree, 'write-tree'], env=env, check=True,
                                     stdout=subprocess.PIPE, text=True).stdout.strip()
            fmt = base.git(tree, 'log', '-1', '--format=%an%x00%ae%x00%aD%x00%cD%x00%B',
                           c).stdout
            an, ae, ad, cd, msg = fmt.split('\0', 4)
            env.update(GIT_AUTHOR_NAME=an, GIT_AUTHOR_EMAIL=ae, GIT_AUTHOR_DATE=ad,
                       GIT_COMMITTER_DATE=cd)
            parent = subprocess.run(['git', '-C', tree, 'commit-tree', newtree, '-p', parent],
                                    input=msg, env=env, stdout=subprocess.PIPE, text=True,
                                    check=True).stdout.strip()
            first = first or parent
    finally:
        if os.path.exists(index):
            os.unlink(index)
    base.git(tree, 'branch', '-f', branch, parent)
    return first, parent
