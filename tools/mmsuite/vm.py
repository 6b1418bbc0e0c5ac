# SPDX-License-Identifier: GPL-2.0
"""Boot a kernel in QEMU (TCG) with the test initramfs, under a watchdog."""

import os
import re
import shutil
import signal
import subprocess
import threading
import time

from common import log

VERDICT = '# mmsuite-verdict: done'

# Guest outcomes other than a clean run.
OK, HANG, PANIC, NO_VERDICT, QEMU_ERROR = 'ok', 'hang', 'panic', 'no-verdict', 'qemu-error'

_PANIC = re.compile(r'Kernel panic - not syncing|BUG: kernel NULL pointer|'
                    r'Internal error: Oops|general protection fault')


def qemu_cmd(arch, kernel, initrd, results, mem_mb=2048, smp=2, append=''):
    cmdline = 'console=%s panic=-1 oops=panic printk.time=1 %s' % (arch.console, append)
    cmd = [arch.qemu, '-nodefaults', '-nographic', '-no-reboot',
           '-m', str(mem_mb), '-smp', str(smp)] + list(arch.qemu_args) + [
        '-kernel', kernel, '-initrd', initrd, '-append', cmdline.strip(),
        '-serial', 'stdio', '-monitor', 'none',
        '-device', arch.virtio_serial,
        '-chardev', 'file,id=mmsuite,path=' + results,
        '-device', 'virtserialport,chardev=mmsuite,name=mmsuite']
    return cmd


def boot(arch, kernel, initrd, console_log, results, timeout, append='', info=None,
         mem_mb=2048):
    """Run the guest; return (status, seconds). The console is streamed to
    console_log as it comes; the watchdog kills QEMU after timeout s.
    info, if given, gets 'init_at': seconds from start until our init spoke
    (kernel boot plus the built-in KUnit suites)."""
    if os.path.exists(results):
        os.unlink(results)
    if not shutil.which(arch.qemu):
        return QEMU_ERROR, 0.0
    cmd = qemu_cmd(arch, kernel, initrd, results, mem_mb=mem_mb, append=append)
    t0 = time.monotonic()
    state = {'panic': False, 'last': t0}
    with open(console_log, 'w') as con:
        con.write('# ' + ' '.join(cmd) + '\n')
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)

        def pump():
            for raw in iter(p.stdout.readline, b''):
                line = raw.decode('utf-8', 'replace')
                con.write(line)
                con.flush()
                state['last'] = time.monotonic()
                if _PANIC.search(line):
                    state['panic'] = True
                if 'mmsuite-init:' in line and 'init_at' not in state:
                    state['init_at'] = time.monotonic() - t0
                if 'mmsuite-init: running' in line:
                    log('  %s guest: %s' % (arch.name, line.split('mmsuite-init: ', 1)[1].strip()))

        th = threading.Thread(target=pump, daemon=True)
        th.start()
        hung = False
        next_beat = t0 + 30
        while p.poll() is None:
            now = time.monotonic()
            if now - t0 > timeout:
                hung = True
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    p.kill()
                break
            if now > next_beat:
                log('  ... %s guest running (%ds)' % (arch.name, now - t0))
                next_beat = now + 30
            time.sleep(0.5)
        p.wait()
        th.join(5)
        p.stdout.close()
    elapsed = time.monotonic() - t0
    if info is not None:
        info['init_at'] = state.get('init_at')
    if state['panic']:
        return PANIC, elapsed
    if hung:
        with open(console_log, 'a') as con:
            con.write('\n# mm-suite: guest killed after %d s (timeout)\n' % timeout)
        return HANG, elapsed
    try:
        with open(results, errors='replace') as f:
            have = VERDICT in f.read()
    except OSError:
        have = False
    if not have:
        return (NO_VERDICT if p.returncode == 0 else QEMU_ERROR), elapsed
    return OK, elapsed
