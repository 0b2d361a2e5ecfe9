# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""This user's private state of the collection on the controller: its directory (local locks)
and the key that seals the records the collection must tell from planted ones (the
conversion cache). Only the running user may read or write there.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
"""

from __future__ import annotations

import binascii
import errno
import os
import stat

from ansible_collections.xivo.confd.plugins.module_utils.output_directory import (
    DIRECTORY_MODE, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, UnsafePath, open_file_at)


def private_state_dir():
    """This user's private state of the collection (local locks, the key that seals the
    conversion cache): ``~/.ansible/xivo.confd``, like Ansible's own ``~/.ansible/tmp``."""
    return os.path.join(os.path.expanduser('~'), '.ansible', 'xivo.confd')


def open_private_directory(path, create=True):
    """Open ``path`` (made 0700 when missing, its missing parents too), refusing it unless it
    is a real directory (not a link) owned by the running user that neither group nor others
    can write or read. Returns its descriptor; raises :class:`UnsafePath`."""
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    try:
        if create and not os.path.isdir(parent):
            os.makedirs(parent, mode=DIRECTORY_MODE, exist_ok=True)
        if create:
            try:
                os.mkdir(path, DIRECTORY_MODE)
            except FileExistsError:
                pass
    except OSError as exc:
        raise UnsafePath(exc.errno, 'cannot be created: %s' % exc.strerror,
                         exc.filename or path)
    try:
        fd = os.open(path, os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    except OSError as exc:
        reason = {errno.ELOOP: 'is a symbolic link: not followed',
                  errno.ENOTDIR: 'is not a directory'}.get(exc.errno, exc.strerror)
        if os.path.islink(path):    # O_DIRECTORY with O_NOFOLLOW says ENOTDIR for a link
            reason = 'is a symbolic link: not followed'
        raise UnsafePath(exc.errno, reason, path)
    info = os.fstat(fd)
    problem = None
    if info.st_uid != os.geteuid():
        problem = 'belongs to uid %d, not to you (uid %d)' % (info.st_uid, os.geteuid())
    elif stat.S_IMODE(info.st_mode) & 0o077:
        problem = 'has mode %04o: other users could replace its files; make it 0700' % (
            stat.S_IMODE(info.st_mode))
    if problem:
        os.close(fd)
        raise UnsafePath(errno.EPERM, problem, path)
    return fd


def private_key(name='cache.key'):
    """A random secret of this user (32 bytes, hex), made once in :func:`private_state_dir`,
    mode 0600: what seals the records the collection must be able to tell from planted ones."""
    directory = open_private_directory(private_state_dir())
    path = os.path.join(private_state_dir(), name)
    try:
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         0o600, dir_fd=directory)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, 'w') as handle:
                handle.write(binascii.hexlify(os.urandom(32)).decode('ascii'))
        fd = open_file_at(directory, name, path)
        with os.fdopen(fd) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or \
                    stat.S_IMODE(info.st_mode) & 0o077:
                raise UnsafePath(errno.EPERM, 'is not a file of yours that only you can read',
                                 path)
            key = handle.read(256).strip()
        if len(key) < 32:
            raise UnsafePath(errno.EINVAL, 'is too short to be a key: remove it', path)
        return key.encode('ascii')
    finally:
        os.close(directory)
