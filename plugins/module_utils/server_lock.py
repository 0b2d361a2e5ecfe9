# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One import at a time into one server, from this controller.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Two imports into one server at once read the same export, both decide to create the same
users, and both send them: duplicates (name keys) or rows reported failed that were in fact
imported (unique keys). A lock file per server address and port, held with flock(2) for the
whole import, prevents that: across playbooks, across the forks of one playbook and across the
threads of one process (each lock holds its own open file description).

The lock files live in a directory only the running user can write (``~/.ansible/xivo.confd/
locks``, checked to be a directory of this user, mode 0700, on every use, never a link), not
under a predictable name of the shared temporary directory: another user could make it first,
or plant a link there. A lock file is opened without following a link and without truncating,
and removed by its holder when released; a waiter that then holds the lock checks that the
name still leads to the file it locked (the usual "lock, then check the inode" protocol), so
that removing a lock file never lets two imports in at once.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
import time

from ansible_collections.xivo.confd.plugins.module_utils import output_directory, private_state
from ansible_collections.xivo.confd.plugins.module_utils.lock_wait import Patience


class ServerBusy(Exception):
    """Another import into the same server holds the lock."""


def server_identity(host, port, tenant=None):
    """'address:port' of the server behind a host name: two inventory names, or a name and
    an address, that reach the same server give the same identity. With a ``tenant`` (Wazo
    Platform: the users of each tenant are apart), 'address:port tenant <tenant>': two tenants
    of one server are two places to import into."""
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        addresses = sorted(set(info[4][0] for info in infos))
    except (OSError, UnicodeError):
        addresses = []
    address = addresses[0] if addresses else str(host).strip().lower()
    where = '%s:%s' % (('[%s]' % address) if ':' in address else address, port)
    tenant = str(tenant or '').strip().lower()
    return '%s tenant %s' % (where, tenant) if tenant else where


class UnsafeLockDirectory(OSError):
    """The lock directory is not one only the running user can write."""

    def __str__(self):
        if self.filename and self.filename in (self.strerror or ''):
            return self.strerror
        return '%s %s' % (self.filename, self.strerror)


def private_state_dir():
    return private_state.private_state_dir()


def default_lock_dir():
    return os.path.join(private_state_dir(), 'locks')


def open_private_directory(path, create=True):
    """The lock directory's descriptor, checked (private_state.open_private_directory)."""
    try:
        return private_state.open_private_directory(path, create)
    except output_directory.UnsafePath as exc:
        raise UnsafeLockDirectory(exc.errno, exc.strerror, exc.filename)


def _lock_name(identity):
    safe = ''.join(c if c.isalnum() or c in '.-' else '_' for c in identity)
    return safe + '.lock'


class ServerLock:
    """Context manager: holds the import lock of one server, waiting up to ``timeout``
    seconds (0: refuse at once) for another import to finish."""

    def __init__(self, host, port, lock_dir=None, timeout=0.0, owner='', poll=0.5,
                 sleep=time.sleep, clock=time.monotonic, tenant=None):
        self.identity = server_identity(host, port, tenant)
        self.host, self.port = host, port
        self.lock_dir = lock_dir or default_lock_dir()
        self.path = os.path.join(self.lock_dir, _lock_name(self.identity))
        self.patience = Patience(timeout, poll, sleep, clock)
        self.owner = owner
        self._handle = None
        self._directory = None

    def _open(self):
        """The lock file opened (made when missing) in the checked lock directory, never
        through a link nor truncated; (file, directory descriptor)."""
        try:
            directory = open_private_directory(self.lock_dir)
        except UnsafeLockDirectory as exc:
            raise UnsafeLockDirectory(exc.errno, 'the lock directory %s %s' % (
                exc.filename, exc.strerror), exc.filename)
        try:
            fd = os.open(os.path.basename(self.path),
                         os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                         dir_fd=directory)
        except OSError as exc:
            os.close(directory)
            raise UnsafeLockDirectory(exc.errno, 'the lock file %s cannot be opened: %s' % (
                self.path, 'it is a symbolic link' if exc.errno == errno.ELOOP
                else exc.strerror), self.path)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            os.close(fd)
            os.close(directory)
            raise UnsafeLockDirectory(errno.EPERM, 'the lock file %s is not a regular file of '
                                      'yours' % self.path, self.path)
        return os.fdopen(fd, 'r+'), directory

    def _still_named(self, handle, directory):
        """Whether the lock file's name still leads to the file this lock holds: its holder
        may have removed it (and another process made a new one) between open and flock."""
        try:
            named = os.stat(os.path.basename(self.path), dir_fd=directory, follow_symlinks=False)
        except FileNotFoundError:
            return False
        held = os.fstat(handle.fileno())
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def holder(self):
        """What the lock file says about the import that holds it (best effort)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
            with os.fdopen(fd) as handle:
                return json.loads(handle.read(65536) or '{}')
        except (OSError, ValueError):
            return {}

    def acquire(self):
        self.patience.start()
        while True:
            handle, directory = self._open()
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    handle.close()
                    os.close(directory)
                    raise
                if self.patience.over():
                    holder = self.holder()
                    handle.close()
                    os.close(directory)
                    raise ServerBusy(self._busy_message(holder))
                handle.close()
                os.close(directory)
                self.patience.pause()
                continue
            if self._still_named(handle, directory):
                break
            handle.close()      # removed by the holder that released it: open the new one
            os.close(directory)
        # Our file, locked, the name leading to it: what is in it is the previous holder's.
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({'pid': os.getpid(), 'owner': self.owner, 'server': self.identity,
                                 'since': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}))
        handle.flush()
        self._handle, self._directory = handle, directory
        return self

    def _busy_message(self, holder):
        who = ''
        if holder:
            who = ' (process %s%s, since %s)' % (
                holder.get('pid', '?'),
                ', %s' % holder['owner'] if holder.get('owner') else '', holder.get('since', '?'))
        timeout = self.patience.timeout
        waited = 'after waiting %ss ' % int(timeout) if timeout else ''
        return ('another import into %s (%s:%s) is running from this controller%s; %snothing '
                'was sent. Two imports at once into one server would import users twice: wait '
                'for it to finish, or set lock_timeout to wait for it.'
                % (self.identity, self.host, self.port, who, waited))

    def release(self):
        """Remove the lock file, then unlock: no lock file is left per server (a waiter that
        locked the removed file sees that its name is gone and opens the new one)."""
        if self._handle is not None:
            try:
                try:
                    os.unlink(os.path.basename(self.path), dir_fd=self._directory)
                except FileNotFoundError:
                    pass
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            finally:
                self._handle.close()
                os.close(self._directory)
                self._handle = self._directory = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
