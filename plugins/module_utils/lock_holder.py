# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who holds the lock kept on a server (remote_lock), in words: the description written into
the lock object, read back, and the lines that name its holder and its age to a person.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Pure: the time is given.
"""

from __future__ import annotations

import calendar
import getpass
import os
import re
import time

DESCRIPTION_PREFIX = 'xivo.confd lock:'
FIELDS = ('what', 'run', 'controller', 'pid', 'user', 'since', 'token')


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


def busy_message(server, holder, now, timeout=0, reason=None):
    """Why a run into ``server`` sent nothing: ``holder`` (a lock object) holds its lock; it
    waited ``timeout`` seconds, or stopped waiting for ``reason``."""
    waited = 'after waiting %ss, ' % int(timeout) if timeout else ''
    if reason:
        waited = 'stopped waiting (%s), ' % reason
    return ('another import into %s holds its lock on the server: %s; %snothing was sent. '
            'Two writers at once into one server would import users twice: wait for it to '
            'finish, or set lock_timeout to wait for it. Only if that run is gone (its '
            'controller or job stopped or killed), set break_lock: true (role: '
            'xivo_user_migration_break_lock) to remove its lock.'
            % (server, holder_text(holder, now), waited))


def user_name():
    """The running user's name, for the description."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a passwd entry
        return 'uid%d' % os.getuid()
