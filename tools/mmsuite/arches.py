# SPDX-License-Identifier: GPL-2.0
"""Architectures as frozen data; behaviour lives in kbuild.py and vm.py."""

import collections

Arch = collections.namedtuple('Arch', [
    'name',             # our name, also kunit.py's --arch
    'kunitconfigs',     # fragments passed to kunit.py --kunitconfig, repo-relative
    'cross_compile',    # kunit.py --cross_compile, or None
    'cc',               # C compiler for the kernel (ccache is put in front)
    'target_cc',        # C compiler for static guest programs, None: no VM
    'kernel_image',     # relative to the build dir
    'qemu',             # qemu binary
    'qemu_args',        # machine arguments
    'console',          # kernel console device
    'virtio_serial',    # QEMU device that carries the results port
    'packages',         # Debian packages this arch needs on the host
    'debug_configs',    # fragments added by --debug
])

_COMMON_PKGS = ['gcc', 'make', 'perl', 'flex', 'bison', 'bc', 'libelf-dev', 'libssl-dev',
                'python3', 'git', 'xz-utils', 'ccache', 'cpio']

ARCHES = collections.OrderedDict((a.name, a) for a in [
    Arch(name='um',
         kunitconfigs=['kunit/um.kunitconfig'],
         cross_compile=None, cc='gcc', target_cc=None,
         kernel_image='linux', qemu=None, qemu_args=[], console=None,
         virtio_serial=None,
         packages=_COMMON_PKGS,
         debug_configs=['configs/debug.config']),
    Arch(name='x86_64',
         kunitconfigs=['kunit/qemu.kunitconfig', 'configs/common.config',
                       'configs/features.config', 'configs/x86_64.config'],
         cross_compile=None, cc='gcc', target_cc='gcc',
         kernel_image='arch/x86/boot/bzImage', qemu='qemu-system-x86_64',
         qemu_args=['-bios', 'qboot.rom', '-cpu', 'max'],
         console='ttyS0', virtio_serial='virtio-serial-pci',
         packages=_COMMON_PKGS + ['qemu-system-x86', 'libc6-dev'],
         debug_configs=['configs/debug.config', 'configs/debug-qemu.config']),
    Arch(name='arm64',
         kunitconfigs=['kunit/qemu.kunitconfig', 'configs/common.config',
                       'configs/features.config', 'configs/arm64.config'],
         cross_compile='aarch64-linux-gnu-', cc='aarch64-linux-gnu-gcc',
         target_cc='aarch64-linux-gnu-gcc',
         kernel_image='arch/arm64/boot/Image.gz', qemu='qemu-system-aarch64',
         qemu_args=['-machine', 'virt', '-cpu', 'max,pauth-impdef=on'],
         console='ttyAMA0', virtio_serial='virtio-serial-device',
         packages=_COMMON_PKGS + ['qemu-system-arm', 'gcc-aarch64-linux-gnu',
                                  'libc6-dev-arm64-cross'],
         debug_configs=['configs/debug.config', 'configs/debug-qemu.config']),
])

DEFAULT_ARCHES = ['um', 'x86_64']
