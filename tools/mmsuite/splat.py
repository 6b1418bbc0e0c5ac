# SPDX-License-Identifier: GPL-2.0
"""Kernel splats in a console log: WARNING, BUG, KASAN, lockdep, Oops.

Every run scans the kernel's console (the QEMU console, or UML's raw
KUnit output). A splat fails the run even when every test passed: a
WARN_ON in mm is a bug the tests provoked. --debug only makes more of
them possible (KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK).
"""

import re

# The first line of a report. Printk timestamps and log levels may precede it.
_STAMP = re.compile(r'^\[ *\d+\.\d+\]')
_START = re.compile(
    r'^(?:\[ *\d+\.\d+\]\s*)?(?:<\d>)?\s*('
    r'WARNING: |BUG: |kernel BUG at |Oops|general protection fault|'
    r'Internal error: |Unable to handle kernel |UBSAN: |'
    r'INFO: task .* blocked for more than|watchdog: BUG: soft lockup|'
    r'rcu: INFO: rcu_\w+ detected stalls)')

# Lines that belong to the report after its first line.
_CONTEXT = 14

# Splats that come with the base kernel or the upstream KUnit set-up and
# have nothing to do with mm. Each entry: (arch or None, text that must be
# in the report, why it is known). Keep this list short and justified.
KNOWN = [
    ('um', 'arch/um/drivers/virt-pci.c',
     "kunit.py's arch_uml.config enables UML_PCI_OVER_VIRTIO without a device "
     'ID, and um_pci_init() warns about that at every UML boot'),
]


class Splat:
    def __init__(self, title, lines):
        self.title = title
        self.lines = lines

    @property
    def text(self):
        return '\n'.join(self.lines)

    def known(self, arch):
        for a, needle, why in KNOWN:
            if (a is None or a == arch) and needle in self.text:
                return why
        return None


def _strip(line):
    return re.sub(r'^\[ *\d+\.\d+\]\s*', '', line.rstrip('\r\n'))


def find(text, arch=None, kernel_only=False):
    """(new, known): the splats of text, split into unexplained ones and
    ones on the KNOWN list. Each is a Splat; title is its first line.

    kernel_only: the console also carries the test programs' output (the
    guest's init copies it there), so only lines with a printk timestamp
    can start a report; the VM boots with printk.time=1 for this."""
    lines = text.splitlines()
    if kernel_only:
        lines = [x if _STAMP.match(x) else '' for x in lines]
    new, known = [], []
    i = 0
    while i < len(lines):
        m = _START.match(lines[i])
        if not m:
            i += 1
            continue
        title = _strip(lines[i]).strip()
        # "[ cut here ]" comes before the WARNING line; keep what follows.
        body = [title] + [_strip(x) for x in lines[i + 1:i + 1 + _CONTEXT]]
        s = Splat(title, body)
        (known if s.known(arch) else new).append(s)
        # Lockdep and KASAN reports contain further "BUG:"-free lines; skip
        # to the end of this report's context so one splat counts once.
        j = i + 1
        while j < len(lines) and j < i + 1 + _CONTEXT and not _START.match(lines[j]):
            j += 1
        i = j
    return new, known
