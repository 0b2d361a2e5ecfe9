# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One writer at a time into one server, whatever the controller: a lock kept on the server.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

The local lock (server_lock.py) only sees the imports of its own machine and temporary
directory: two AWX jobs, two containers or two operators each have their own. confd 16.15 keeps
call permission names unique (observed: a second POST /1.1/callpermissions with an existing
name answers 400 "Resource Error - CallPermission already exists ('name': u'x')"; DELETE
answers 204), so creating one with a reserved name succeeds for exactly one caller. The call
permission made is disabled, in mode deny, with no user and no extension: it has no effect on
calls. Its description says who holds it, from where and since when.

Pure of Ansible: the client, the clock and the sleep are injected.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdCredentialsRefused, ConfdError, ConfdInterrupted, ConfdUncertain,
    ConfdUnreachable, describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.fleet import reached_label
from ansible_collections.xivo.confd.plugins.module_utils.lock_holder import (
    busy_message, describe_holder, holder_text, user_name)
from ansible_collections.xivo.confd.plugins.module_utils.lock_memory import LeftLocks
from ansible_collections.xivo.confd.plugins.module_utils.lock_wait import Patience

LOCK_NAME = 'xivo-confd-import-lock'
MODES = ('required', 'local')
ACLS = ('confd.callpermissions.create', 'confd.callpermissions.read',
        'confd.callpermissions.*.delete')
POLL_SECONDS = 2.0


class ServerLockBusy(ConfdError):
    """Another run, from any controller, holds the server's lock."""


class ServerLockError(ConfdError):
    """The lock cannot be taken or read (unexpected answer)."""


class ServerLockRefused(ServerLockError, ConfdAuthRefused):
    """The credentials lack an ACL the lock needs (confd answers 401)."""


def _already_exists(response):
    return response.status == 400 and 'already exists' in (response.text or '')


class LockObjects:
    """The lock objects of the server of ``client``: its call permissions named LOCK_NAME,
    read, made and deleted through the one client. A failed request is an error that names
    the ACLs and the way out; ``uncertain`` is set when a creation's answer was lost."""

    def __init__(self, client):
        self.client = client
        self.uncertain = False

    @property
    def server(self):
        """The server, for messages: named as the run names it (its port as reached)."""
        return reached_label(self.client)

    def wrap(self, exc, doing):
        """The error to raise for a failed lock request: a refusal names the ACLs and the way
        out; an unreachable server or an interruption stays what it is."""
        if isinstance(exc, (ConfdUnreachable, ConfdInterrupted, ConfdCredentialsRefused)):
            # Wrong credentials are refused before any lock request: no lock ACL is to blame.
            return exc
        if isinstance(exc, ConfdAuthRefused):
            return ServerLockRefused(
                'cannot %s the import lock on %s: %s The lock is a call permission named %s; the '
                'credentials need the ACLs %s (or confd.callpermissions.#), or set server_lock: '
                'local (role: xivo_user_migration_server_lock) to rely on the lock of this '
                'controller only.' % (doing, self.server, str(exc).rstrip('.') + '.', LOCK_NAME,
                                      ', '.join(ACLS)))
        return ServerLockError('cannot %s the import lock on %s (call permission %s): %s'
                               % (doing, self.server, LOCK_NAME, exc))

    def listed(self):
        try:
            return self.client.list('callpermissions', 'confd.callpermissions.read',
                                    name=LOCK_NAME)[1]
        except ConfdError as exc:
            raise self.wrap(exc, 'read')

    def create(self, description):
        """The lock object made with ``description`` (its id at least); None when another
        one holds the name."""
        body = dict(name=LOCK_NAME, description=description, mode='deny', enabled=False)
        try:
            response = self.client.create_call_permission(body)
        except ConfdUncertain:
            # The answer was lost: the description (with its random token) tells whether the
            # object on the server is ours.
            self.uncertain = True
            return self.described(description)
        except ConfdError as exc:
            raise self.wrap(exc, 'take')
        if response.status == 201 and isinstance(response.body, dict) and 'id' in response.body:
            return response.body
        if _already_exists(response):
            return None
        raise self.wrap(ConfdError('confd answered %s: %s' % (
            response.status, describe_error_body(response.body, response.text))), 'take')

    def described(self, description):
        """The lock object with this description, or None."""
        for item in self.listed():
            if item.get('description') == description:
                return item
        return None

    def delete(self, item):
        """Delete one lock object by id; False when it was already gone."""
        try:
            response = self.client.delete_call_permission(item['id'])
        except ConfdError as exc:
            raise self.wrap(exc, 'remove')
        if response.status == 204:
            return True
        if response.status == 404:
            return False
        raise self.wrap(ConfdError('confd answered %s: %s' % (
            response.status, describe_error_body(response.body, response.text))), 'remove')


class RemoteLock:
    """Context manager: holds the lock of the server of ``client`` for ``what`` (import,
    rollback) of run ``run_id``, waiting up to ``timeout`` seconds for its holder.

    ``break_lock``: the holder seen at the first attempt is removed (the operator says that
    run is gone) and reported in ``warnings``; a lock taken after that is waited for as usual.
    ``should_stop()``: a reason to stop waiting (the playbook was interrupted), or None.
    ``pending_dir``: a directory of this controller where the lock objects it may have left on
    the server (an answer lost, a release that failed) are remembered by their description, so
    that its next run removes them as its own instead of waiting for them.
    """

    def __init__(self, client, what='import', run_id='', timeout=0.0, break_lock=False,
                 should_stop=None, poll=POLL_SECONDS, sleep=time.sleep, clock=time.monotonic,
                 now=time.time, controller=None, pid=None, user=None, pending_dir=None):
        self.client = client
        self.what = what
        self.run_id = run_id
        self.patience = Patience(timeout, poll, sleep, clock)
        self.break_lock = break_lock
        self.should_stop = should_stop
        self._now = now
        self.controller = controller or socket.gethostname()
        self.pid = pid or os.getpid()
        self.user = user or user_name()
        self.objects = LockObjects(client)
        # Remembered under the server's address and port as given before any request (the
        # name its memory file has had since it exists).
        self.left = LeftLocks(pending_dir, '%s:%s' % (client.host, client.port))
        self.description = None
        self.lock_id = None
        self.warnings = []

    @property
    def server(self):
        return self.objects.server

    # -- acquire / release ---------------------------------------------------------------------

    def acquire(self):
        self.description = describe_holder(self.what, self.run_id, self.controller, self.pid,
                                           self.user, self._now(), uuid.uuid4().hex[:12])
        self.objects.uncertain = False
        try:
            return self._acquire()
        except BaseException:
            if self.objects.uncertain:
                # Our creation may have been committed after its answer was lost.
                self.left.remember(self.description)
            self.description = None
            raise

    def _acquire(self):
        self.patience.start()
        may_break = self.break_lock
        vanished = 0
        while True:
            made = self.objects.create(self.description)
            if made is not None:
                self.lock_id = made.get('id')
                # No lock object was there: none this controller remembers as left is.
                self.left.clear()
                return self
            holders = [item for item in self.objects.listed() if item.get('name') == LOCK_NAME]
            if holders and holders[0].get('description') in self.left.descriptions():
                left = holders[0]
                if self.objects.delete(left):
                    self.warnings.append(
                        'removed the import lock of %s that a previous run of this controller '
                        'could not release (an answer was lost): %s'
                        % (self.server, holder_text(left, self._now())))
                self.left.forget(left.get('description'))
                continue
            if not holders:
                vanished += 1
                if vanished < 3:
                    continue    # released between our two requests: try again at once
                raise ServerLockError(
                    'cannot take the import lock on %s: confd refuses the name %s as taken but '
                    'does not list it' % (self.server, LOCK_NAME))
            holder = holders[0]
            if may_break:
                may_break = False
                seen = holder_text(holder, self._now())
                if self.objects.delete(holder):
                    self.warnings.append(
                        'break_lock: removed the import lock of %s held by %s; this run '
                        'takes it over' % (self.server, seen))
                continue
            reason = self.should_stop() if self.should_stop else None
            if reason or self.patience.over():
                raise ServerLockBusy(busy_message(self.server, holder, self._now(),
                                                  self.patience.timeout, reason))
            self.patience.pause()

    def release(self):
        """Delete our lock object: the one with our id and our description, never another."""
        if self.description is None:
            return
        description, self.description = self.description, None
        # After an interruption or the deadline, the client still gives these requests a short
        # grace of their own (ConfdClient.cleanup), so that the lock does not stay behind.
        cleanup = getattr(self.client, 'cleanup', None)
        try:
            with (cleanup() if cleanup else contextlib.nullcontext()):
                ours = [item for item in self.objects.listed()
                        if item.get('id') == self.lock_id
                        and item.get('description') == description]
                if not ours:
                    self.warnings.append(
                        'the import lock of %s was removed by someone else while this run held '
                        'it (break_lock from another run?)' % self.server)
                    return
                self.objects.delete(ours[0])
        except ConfdError as exc:
            remembered = self.left.remember(description)
            self.warnings.append(
                'the import lock of %s could not be released (%s): %s'
                % (self.server, exc, 'the next run from this controller removes it' if remembered
                   else 'the next run will report it as held by run %s; remove it with '
                   'break_lock: true once you are sure no run is writing' % self.run_id))
        finally:
            self.lock_id = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def lock_mode_warning(server):
    return ('server_lock is local: no lock is taken on %s; an import from another controller '
            '(another AWX job or container, another operator) at the same time would import '
            'users twice' % server)


def check_mode_value(mode):
    if mode not in MODES:
        raise ConfdError('server_lock must be one of %s, not %r' % (', '.join(MODES), mode))


@contextlib.contextmanager
def held(client, what, run_id, mode='required', check_mode=False, warnings=None, **options):
    """The lock kept on the server while a run writes into it (``what``: 'import',
    'rollback'), the RemoteLock or None: none in check mode (nothing is written), none with
    ``mode`` 'local' (a warning says so). ``options``: RemoteLock's (timeout, break_lock,
    should_stop, pending_dir). The lock's warnings are added to ``warnings``."""
    warnings = warnings if warnings is not None else []
    if check_mode:
        yield None
        return
    if mode == 'local':
        try:
            yield None
        finally:
            # Named once the run has reached the server: platform auto finds its port.
            warnings.append(lock_mode_warning(reached_label(client)))
        return
    lock = RemoteLock(client, what=what, run_id=run_id, **options)
    try:
        with lock:
            yield lock
    finally:
        warnings.extend(lock.warnings)
