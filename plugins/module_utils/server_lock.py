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
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import tempfile
import time


class ServerBusy(Exception):
    """Another import into the same server holds the lock."""


def server_identity(host, port):
    """'address:port' of the server behind a host name: two inventory names, or a name and
    an address, that reach the same server give the same identity."""
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        addresses = sorted(set(info[4][0] for info in infos))
    except (OSError, UnicodeError):
        addresses = []
    address = addresses[0] if addresses else str(host).strip().lower()
    return '%s:%s' % (('[%s]' % address) if ':' in address else address, port)


def default_lock_dir():
    return os.path.join(tempfile.gettempdir(), 'xivo.confd-locks-%d' % os.getuid())


def _lock_name(identity):
    safe = ''.join(c if c.isalnum() or c in '.-' else '_' for c in identity)
    return safe + '.lock'


class ServerLock:
    """Context manager: holds the import lock of one server, waiting up to ``timeout``
    seconds (0: refuse at once) for another import to finish."""

    def __init__(self, host, port, lock_dir=None, timeout=0.0, owner='', poll=0.5,
                 sleep=time.sleep, clock=time.monotonic):
        self.identity = server_identity(host, port)
        self.host, self.port = host, port
        self.lock_dir = lock_dir or default_lock_dir()
        self.path = os.path.join(self.lock_dir, _lock_name(self.identity))
        self.timeout = max(0.0, float(timeout or 0))
        self.owner = owner
        self.poll = poll
        self._sleep = sleep
        self._clock = clock
        self._handle = None

    def _open(self):
        os.makedirs(self.lock_dir, mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return os.fdopen(fd, 'r+')

    def holder(self):
        """What the lock file says about the import that holds it (best effort)."""
        try:
            with open(self.path) as handle:
                return json.loads(handle.read() or '{}')
        except (OSError, ValueError):
            return {}

    def acquire(self):
        handle = self._open()
        deadline = self._clock() + self.timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    handle.close()
                    raise
                if self._clock() >= deadline:
                    holder = self.holder()
                    handle.close()
                    raise ServerBusy(self._busy_message(holder))
                self._sleep(self.poll)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({'pid': os.getpid(), 'owner': self.owner, 'server': self.identity,
                                 'since': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}))
        handle.flush()
        self._handle = handle
        return self

    def _busy_message(self, holder):
        who = ''
        if holder:
            who = ' (process %s%s, since %s)' % (
                holder.get('pid', '?'),
                ', %s' % holder['owner'] if holder.get('owner') else '', holder.get('since', '?'))
        waited = 'after waiting %ss ' % int(self.timeout) if self.timeout else ''
        return ('another import into %s (%s:%s) is running from this controller%s; %snothing '
                'was sent. Two imports at once into one server would import users twice: wait '
                'for it to finish, or set lock_timeout to wait for it.'
                % (self.identity, self.host, self.port, who, waited))

    def release(self):
        if self._handle is not None:
            try:
                self._handle.seek(0)
                self._handle.truncate()
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            finally:
                self._handle.close()
                self._handle = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
