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

import calendar
import contextlib
import getpass
import json
import os
import re
import socket
import time
import uuid

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdCredentialsRefused, ConfdError, ConfdInterrupted, ConfdUncertain,
    ConfdUnreachable, describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.file_output import write_private_file
from ansible_collections.xivo.confd.plugins.module_utils.output_directory import remove_file

LOCK_NAME = 'xivo-confd-import-lock'
MODES = ('required', 'local')
ACLS = ('confd.callpermissions.create', 'confd.callpermissions.read',
        'confd.callpermissions.*.delete')
DESCRIPTION_PREFIX = 'xivo.confd lock:'
FIELDS = ('what', 'run', 'controller', 'pid', 'user', 'since', 'token')
POLL_SECONDS = 2.0


class ServerLockBusy(ConfdError):
    """Another run, from any controller, holds the server's lock."""


class ServerLockError(ConfdError):
    """The lock cannot be taken or read (unexpected answer)."""


class ServerLockRefused(ServerLockError, ConfdAuthRefused):
    """The credentials lack an ACL the lock needs (confd answers 401)."""


def _clean(value):
    """A value for the description: one word, no '=' (so that it parses back)."""
    text = re.sub(r'[\s=]+', '_', str(value if value is not None else '')).strip('_')
    return text[:100] or '?'


def utc_iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def describe_holder(what, run_id, controller, pid, user, since, token):
    """The description of the lock object: who holds it, in words a person reads in the
    server's web interface and this module parses back."""
    values = dict(what=what, run=run_id, controller=controller, pid=pid, user=user,
                  since=utc_iso(since), token=token)
    return '%s %s' % (DESCRIPTION_PREFIX,
                      ' '.join('%s=%s' % (name, _clean(values[name])) for name in FIELDS))


def parse_holder(description):
    """The fields of a lock description (empty when it is not one of ours)."""
    text = description or ''
    if not text.startswith(DESCRIPTION_PREFIX):
        return {}
    return dict(re.findall(r'(\w+)=(\S*)', text[len(DESCRIPTION_PREFIX):]))


def lock_age(since, now):
    """Seconds since ``since`` (the description's UTC time) at ``now`` (epoch), or None."""
    try:
        taken = calendar.timegm(time.strptime(since or '', '%Y-%m-%dT%H:%M:%SZ'))
    except ValueError:
        return None
    return max(0, int(now - taken))


def format_age(seconds):
    if seconds is None:
        return 'age unknown'
    if seconds < 120:
        return '%d s' % seconds
    if seconds < 7200:
        return '%d min' % (seconds // 60)
    if seconds < 2 * 86400:
        return '%d h %d min' % (seconds // 3600, seconds % 3600 // 60)
    return '%d days' % (seconds // 86400)


def holder_text(item, now):
    """One line naming the holder of a lock object (a call permission item) and its age."""
    fields = parse_holder(item.get('description'))
    if not fields:
        return ('call permission %s (id %s), not made by this collection: its description is %r'
                % (item.get('name'), item.get('id'), (item.get('description') or '')[:200]))
    return ('%s run %s from controller %s (process %s, user %s), since %s (%s ago; lock '
            'object: call permission %s id %s)'
            % (fields.get('what', '?'), fields.get('run', '?'), fields.get('controller', '?'),
               fields.get('pid', '?'), fields.get('user', '?'), fields.get('since', '?'),
               format_age(lock_age(fields.get('since'), now)), item.get('name'), item.get('id')))


def _user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a passwd entry
        return 'uid%d' % os.getuid()


def _already_exists(response):
    return response.status == 400 and 'already exists' in (response.text or '')


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
        self.pending_dir = pending_dir
        self._uncertain = False
        self.what = what
        self.run_id = run_id
        self.timeout = max(0.0, float(timeout or 0))
        self.break_lock = break_lock
        self.should_stop = should_stop
        self.poll = poll
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self.controller = controller or socket.gethostname()
        self.pid = pid or os.getpid()
        self.user = user or _user()
        self.server = '%s:%s' % (client.host, client.port)
        self.description = None
        self.lock_id = None
        self.warnings = []

    # -- the server's objects ------------------------------------------------------------------

    def _wrap(self, exc, doing):
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

    def _lock_objects(self):
        try:
            return self.client.list('callpermissions', 'confd.callpermissions.read',
                                    name=LOCK_NAME)[1]
        except ConfdError as exc:
            raise self._wrap(exc, 'read')

    def _create(self):
        """True when our lock object was made; False when another one holds the name."""
        body = dict(name=LOCK_NAME, description=self.description, mode='deny', enabled=False)
        try:
            response = self.client.create_call_permission(body)
        except ConfdUncertain:
            # The answer was lost: the description (with its random token) tells whether the
            # object on the server is ours.
            self._uncertain = True
            return self._find_ours() is not None
        except ConfdError as exc:
            raise self._wrap(exc, 'take')
        if response.status == 201 and isinstance(response.body, dict) and 'id' in response.body:
            self.lock_id = response.body['id']
            return True
        if _already_exists(response):
            return False
        raise self._wrap(ConfdError('confd answered %s: %s' % (
            response.status, describe_error_body(response.body, response.text))), 'take')

    def _find_ours(self):
        for item in self._lock_objects():
            if item.get('description') == self.description:
                self.lock_id = item.get('id')
                return item
        return None

    def _delete(self, item):
        """Delete one lock object by id; False when it was already gone."""
        try:
            response = self.client.delete_call_permission(item['id'])
        except ConfdError as exc:
            raise self._wrap(exc, 'remove')
        if response.status == 204:
            return True
        if response.status == 404:
            return False
        raise self._wrap(ConfdError('confd answered %s: %s' % (
            response.status, describe_error_body(response.body, response.text))), 'remove')

    # -- acquire / release ---------------------------------------------------------------------

    def acquire(self):
        self.description = describe_holder(self.what, self.run_id, self.controller, self.pid,
                                           self.user, self._now(), uuid.uuid4().hex[:12])
        self._uncertain = False
        try:
            return self._acquire()
        except BaseException:
            if self._uncertain:
                # Our creation may have been committed after its answer was lost.
                self._remember(self.description)
            self.description = None
            raise

    def _acquire(self):
        deadline = self._clock() + self.timeout
        may_break = self.break_lock
        vanished = 0
        while True:
            if self._create():
                # No lock object was there: none this controller remembers as left is.
                if self._pending():
                    self._write_pending([])
                return self
            holders = [item for item in self._lock_objects() if item.get('name') == LOCK_NAME]
            if holders and holders[0].get('description') in self._pending():
                left = holders[0]
                if self._delete(left):
                    self.warnings.append(
                        'removed the import lock of %s that a previous run of this controller '
                        'could not release (an answer was lost): %s'
                        % (self.server, holder_text(left, self._now())))
                self._forget(left.get('description'))
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
                if self._delete(holder):
                    self.warnings.append(
                        'break_lock: removed the import lock of %s held by %s; this run '
                        'takes it over' % (self.server, seen))
                continue
            reason = self.should_stop() if self.should_stop else None
            if reason or self._clock() >= deadline:
                raise ServerLockBusy(self._busy_message(holder, reason))
            self._sleep(min(self.poll, max(0.0, deadline - self._clock())) or self.poll)

    def _busy_message(self, holder, reason=None):
        waited = 'after waiting %ss, ' % int(self.timeout) if self.timeout else ''
        if reason:
            waited = 'stopped waiting (%s), ' % reason
        return ('another import into %s holds its lock on the server: %s; %snothing was sent. '
                'Two writers at once into one server would import users twice: wait for it to '
                'finish, or set lock_timeout to wait for it. Only if that run is gone (its '
                'controller or job stopped or killed), set break_lock: true (role: '
                'xivo_user_migration_break_lock) to remove its lock.'
                % (self.server, holder_text(holder, self._now()), waited))

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
                ours = [item for item in self._lock_objects()
                        if item.get('id') == self.lock_id
                        and item.get('description') == description]
                if not ours:
                    self.warnings.append(
                        'the import lock of %s was removed by someone else while this run held '
                        'it (break_lock from another run?)' % self.server)
                    return
                self._delete(ours[0])
        except ConfdError as exc:
            remembered = self._remember(description)
            self.warnings.append(
                'the import lock of %s could not be released (%s): %s'
                % (self.server, exc, 'the next run from this controller removes it' if remembered
                   else 'the next run will report it as held by run %s; remove it with '
                   'break_lock: true once you are sure no run is writing' % self.run_id))
        finally:
            self.lock_id = None

    # -- what this controller may have left on the server ---------------------------------------

    def _pending_path(self):
        if not self.pending_dir:
            return None
        name = ''.join(c if c.isalnum() or c in '.-' else '_' for c in self.server)
        return os.path.join(self.pending_dir, name + '.server-lock-left')

    def _pending(self):
        path = self._pending_path()
        try:
            with open(path) as handle:
                return list(json.load(handle))
        except (TypeError, OSError, ValueError):
            return []

    def _write_pending(self, descriptions):
        path = self._pending_path()
        try:
            if descriptions:
                write_private_file(path, json.dumps(descriptions[-20:]))
            else:
                remove_file(path)
            return True
        except OSError:
            return False

    def _remember(self, description):
        if not self.pending_dir:
            return False
        return self._write_pending([d for d in self._pending() if d != description]
                                   + [description])

    def _forget(self, description):
        if self.pending_dir:
            self._write_pending([d for d in self._pending() if d != description])

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
        warnings.append(lock_mode_warning('%s:%s' % (client.host, client.port)))
        yield None
        return
    lock = RemoteLock(client, what=what, run_id=run_id, **options)
    try:
        with lock:
            yield lock
    finally:
        warnings.extend(lock.warnings)
