# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Undo what an import created, user by user: the user and what the import created with it,
in the order confd requires, never a user the run did not create nor one changed since.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Server facts: reference confd-user-import.md §14 (the order that removes everything, what the
server refuses when the order is wrong, what is left behind when only the user is deleted).

Per user (§14.1): dissociate and delete the voicemail (kept when another user shares it, or it
existed before the import); delete the incall (it frees its number) and the number; detach
and delete the line's extension (kept when another line still has it, or it existed before);
detach and delete the line (which deletes its SIP endpoint; an endpoint that existed before the
import is detached first and kept); delete the user (its call-permission memberships go with
it; call permissions and CTI profiles are shared configuration and stay).
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import import_plan, user_identity
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    API_PREFIX, ConfdError, describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

STATUSES = ('removed', 'absent', 'conflict', 'failed', 'would_remove')
COMPARED = ('firstname', 'lastname', 'username', 'email')


class Target:
    """A user to remove: its uuid, what it was created with, the ids the import returned."""

    __slots__ = ('uuid', 'key', 'name', 'row', 'line', 'ids', 'created_with', 'reused',
                 'status', 'error', 'removed', 'kept', 'differences', 'shared_voicemail')

    def __init__(self, uuid, key=None, name='', row=None, line=None, ids=None,
                 created_with=None, reused=(), shared_voicemail=None):
        self.uuid = uuid
        self.key = key
        self.name = name
        self.row = row
        self.line = line
        self.ids = ids           # None: not from a report (rows of a CSV), ids unknown
        self.created_with = created_with or {}
        self.reused = list(reused)
        # Another person's voicemail the run shared (share_voicemails), with its name before.
        self.shared_voicemail = shared_voicemail if isinstance(shared_voicemail, dict) else None
        self.status = None
        self.error = None
        self.removed = []
        self.kept = []
        self.differences = []

    def as_dict(self):
        result = dict(row=self.row, line=self.line, key=self.key, name=self.name,
                      uuid=self.uuid, status=self.status, error=self.error)
        for name in ('removed', 'kept', 'differences'):
            if getattr(self, name):
                result[name] = list(getattr(self, name))
        return result


def targets_from_report(report):
    """The users a user_import report says its run created."""
    if not isinstance(report, dict) or not isinstance(report.get('users'), list):
        raise ConfdError('not a report of xivo.confd.user_import (no users list)')
    targets = []
    for user in report['users']:
        if isinstance(user, dict) and user.get('status') == 'created' and user.get('uuid'):
            targets.append(Target(user['uuid'], key=user.get('key'), name=user.get('name', ''),
                                  row=user.get('row'), line=user.get('line'),
                                  ids=user.get('ids') or {},
                                  created_with=user.get('created_with') or {},
                                  reused=user.get('reused') or (),
                                  shared_voicemail=user.get('shared_voicemail')))
    return targets


def targets_from_rows(header, rows, users, keys):
    """The server users the rows of a confd CSV are, matched as the import matches them; a
    row that does not surely match one user is a conflict (or absent when it matches none)."""
    index = user_identity.index_for(users, keys)
    targets = []
    for row in rows:
        values = row.values
        identity = user_identity.row_identity(values, keys)
        name = ('%s %s' % (values.get('firstname', ''), values.get('lastname', ''))).strip()
        target = Target(None, key='%s=%s' % identity if identity else None, name=name,
                        row=row.number, line=row.line,
                        created_with=dict((c, values[c]) for c in COMPARED + (
                            'exten', 'context') if values.get(c)))
        targets.append(target)
        if identity is None or row.problem:
            target.status, target.error = 'failed', row.problem or 'no key value: cannot be found'
            continue
        match = user_identity.match_row(values, header, index, keys, identity)
        if match.error:
            target.status, target.error = 'failed', match.error
        elif match.conflict:
            target.status = 'conflict'
            target.error = sanitize_message('conflict: ' + '; '.join(match.conflict))
        elif match.user is None:
            target.status = 'absent'
        else:
            target.uuid = match.user.get('uuid')
    return targets


def _ident(item):
    return item.get('id') if isinstance(item, dict) else None


def differences(target, user):
    """How the server user differs from what the run created ([] when it is the same)."""
    found = []
    for column in COMPARED:
        if column in target.created_with:
            mine = user_identity.normalize(column, target.created_with[column])
            theirs = user_identity.normalize(column, user.get(column))
            if mine != theirs:
                now, then = user.get(column) or '', target.created_with[column]
                apart = user_identity.where_they_differ(now, then, 'it', 'the import')
                found.append('%s is now %r (created as %r%s)'
                             % (column, now, then, '; ' + apart if apart else ''))
    if target.ids is None:
        return found    # matched by its row: only its identity columns can be compared
    lines = [_ident(line) for line in user.get('lines') or []]
    line_id = target.ids.get('line_id')
    if lines != ([line_id] if line_id else []) and (line_id or lines):
        found.append('its lines are now %s (created with %s)' % (
            lines or 'none', 'line %s' % line_id if line_id else 'no line'))
    elif line_id and target.created_with.get('exten'):
        extens = ['%s@%s' % (e.get('exten'), e.get('context'))
                  for e in (user['lines'][0].get('extensions') or [])]
        wanted = '%s@%s' % (target.created_with['exten'], target.created_with.get('context'))
        if extens and extens != [wanted]:
            found.append('its extension is now %s (created as %s)' % (', '.join(extens), wanted))
    voicemail = _ident(user.get('voicemail'))
    if voicemail != target.ids.get('voicemail_id') and (voicemail or target.ids.get('voicemail_id')):
        found.append('its voicemail is now %s (created with %s)' % (
            voicemail or 'none', target.ids.get('voicemail_id') or 'none'))
    return found


class Remover:
    """Removes targets one by one; every request goes through the one client."""

    def __init__(self, client, check_mode=False, force=False, should_stop=None):
        self.client = client
        self.check_mode = check_mode
        self.force = force
        self.should_stop = should_stop or (lambda: None)
        self.interrupted = None     # why the removal stopped before the last user
        self.requests = 0

    # -- requests -------------------------------------------------------------------------

    def _get(self, path):
        response = self.client.read(path, 'read of %s' % path.lstrip('/'),
                                    _acl('GET', path))
        self.requests += 1
        if response.status == 404:
            return None
        if response.status != 200 or not isinstance(response.body, dict):
            raise ConfdError('confd answered %s to the read of %s' % (response.status, path))
        return response.body

    def _delete(self, path, what):
        """DELETE; 404 means it is already gone. A refusal is an error naming the object."""
        response = self.client.call('DELETE', API_PREFIX + path, idempotent=True,
                                    what='removal of %s' % what, acl=_acl('DELETE', path),
                                    headers={'Accept': 'application/json'})
        self.requests += 1
        if response.status in (200, 204, 404):
            return
        raise ConfdError('confd refused the removal of %s (%s): %s' % (
            what, response.status, describe_error_body(response.body, response.text)))

    # -- one user -------------------------------------------------------------------------

    def remove(self, target):
        if target.status is not None:
            return target
        reason = self.should_stop()
        if reason:
            self.interrupted = reason
            target.status, target.error = 'failed', 'not removed: %s' % reason
            return target
        try:
            user = self._get('/users/%s' % target.uuid)
            if user is None:
                target.status = 'absent'
                return target
            target.differences = differences(target, user)
            if target.differences and not self.force:
                target.status = 'conflict'
                target.error = sanitize_message(
                    'conflict: the user was changed since the import (%s); it is left alone '
                    '(force removes it anyway)' % '; '.join(target.differences))
                return target
            self._remove_owned(target, user)
            if not self.check_mode:
                self._delete('/users/%s' % target.uuid, 'user %s' % target.uuid)
            target.removed.append('user %s' % target.uuid)
            target.status = 'would_remove' if self.check_mode else 'removed'
        except ConfdError as exc:
            target.status, target.error = 'failed', str(exc)
        return target

    def _remove_owned(self, target, user):
        """Everything of §14.1 before the user itself, keeping what is shared or pre-existed."""
        uuid = target.uuid
        voicemail = _ident(user.get('voicemail'))
        if voicemail:
            self._step(target, '/users/%s/voicemail' % uuid, 'the voicemail of user %s' % uuid)
            others = [u for u in (self._get('/voicemails/%s' % voicemail) or {}).get('users') or []
                      if u.get('uuid') != uuid]
            if others or 'voicemail' in target.reused:
                target.kept.append('voicemail %s (%s)' % (voicemail, 'shared with another user'
                                                          if others else 'it existed before'))
                shared = target.shared_voicemail
                if shared and shared.get('renamed_to'):
                    # confd renamed the other person's voicemail when this user got a line;
                    # the rollback does not write voicemails, so the operator puts it back.
                    target.kept.append(
                        'the rollback does not restore the name of voicemail %s: the import '
                        'renamed it from %r to %r; rename it back in the web interface'
                        % (voicemail, shared.get('previous_name') or '', shared['renamed_to']))
            else:
                self._step(target, '/voicemails/%s' % voicemail, 'voicemail %s' % voicemail, True)
        for incall in user.get('incalls') or []:
            numbers = [_ident(e) for e in incall.get('extensions') or []]
            created = (target.ids or {}).get('incall_extension_id')
            if created and created not in numbers:
                continue   # not the incall this import created
            self._step(target, '/incalls/%s' % incall['id'], 'incall %s' % incall['id'], True)
            for number in numbers:
                if 'incall_extension' in target.reused:
                    target.kept.append('extension %s (it existed before)' % number)
                else:
                    self._step(target, '/extensions/%s' % number, 'extension %s' % number, True)
        for line in user.get('lines') or []:
            line_id = line['id']
            for extension in line.get('extensions') or []:
                ext_id = extension['id']
                self._step(target, '/lines/%s/extensions/%s' % (line_id, ext_id),
                           'extension %s of line %s' % (ext_id, line_id))
                on_extension = (self._get('/extensions/%s' % ext_id) or {}).get('lines') or []
                other_lines = [other for other in on_extension if _ident(other) != line_id]
                if other_lines or 'extension' in target.reused:
                    target.kept.append('extension %s (%s)' % (
                        ext_id, 'on another line' if other_lines else 'it existed before'))
                else:
                    self._step(target, '/extensions/%s' % ext_id, 'extension %s' % ext_id, True)
            sip = _ident(line.get('endpoint_sip'))
            if sip and 'sip' in target.reused:
                self._step(target, '/lines/%s/endpoints/sip/%s' % (line_id, sip),
                           'SIP endpoint %s of line %s' % (sip, line_id))
                target.kept.append('SIP endpoint %s (it existed before)' % sip)
            self._step(target, '/users/%s/lines/%s' % (uuid, line_id),
                       'line %s of user %s' % (line_id, uuid))
            self._step(target, '/lines/%s' % line_id, 'line %s' % line_id, True)

    def _step(self, target, path, what, removes=False):
        if not self.check_mode:
            self._delete(path, what)
        if removes:
            target.removed.append(what)


def _acl(method, path):
    """The ACL of a confd route: confd.<collection>.<id>.<subcollection>...<verb>."""
    parts = [p for p in path.strip('/').split('/') if p]
    verb = {'GET': 'read', 'DELETE': 'delete'}[method]
    return 'confd.%s.%s' % ('.'.join(parts), verb)


def summarize(targets):
    return import_plan.summarize(targets, STATUSES)


def find_report(report_dir, host, run_id=None):
    """The report of ``host`` in the role's ``report_dir``: of run ``run_id``, or of the latest
    run in which the import created users on this server. Returns (path, report)."""
    import json
    import os
    from ansible_collections.xivo.confd.plugins.module_utils.reports import inside, safe_stem
    runs = os.path.join(report_dir, 'runs')
    name = safe_stem(host) + '.json'
    candidates = [run_id] if run_id else sorted(
        (d for d in os.listdir(runs) if os.path.isdir(os.path.join(runs, d))), reverse=True) \
        if os.path.isdir(runs) else []
    for run in candidates:
        path = inside(os.path.join(runs, run), name)
        if not os.path.exists(path):
            continue
        with open(path) as handle:
            report = json.load(handle)
        if run_id or targets_from_report(report):
            return path, report
    if run_id:
        raise ConfdError('no report of %s for run %s in %s' % (host, run_id, runs))
    raise ConfdError('no run in %s created users on %s: nothing to roll back' % (runs, host))
