# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Undo what an import created, user by user: the user and what the import created with it,
in the order confd requires, never a user the run did not create nor one changed since.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Whether a user is still what the run created is rollback_checks'. The requests and their order
are the platform's (``Platform.removal_steps``); KeptParts decides, step by step, what is kept
because it is shared or existed before the run. On XiVO
16.15, per user: dissociate and delete the voicemail (kept when another user shares it, or it
existed before the import); delete the incall (it frees its number) and the number; detach
and delete the line's extension (kept when another line still has it, or it existed before);
detach and delete the line (which deletes its SIP endpoint; an endpoint that existed before the
import is detached first and kept); delete a SIP endpoint made with no line; delete the user (its call-permission memberships go with
it; call permissions and CTI profiles are shared configuration and stay).
"""

from __future__ import annotations

import re
from collections import defaultdict

from ansible_collections.xivo.confd.plugins.module_utils import (
    import_plan, run_evidence, user_identity)
from ansible_collections.xivo.confd.plugins.module_utils.rollback_checks import (
    COMPARED, differences, evidence_problems, item_id, value_changes)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdError, describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

STATUSES = ('removed', 'absent', 'conflict', 'failed', 'would_remove')
# The name of a run directory of the role (reports.new_run_id; older ids had no milliseconds).
RUN_ID = re.compile(r'^\d{8}T\d{6}(\.\d+)?Z(-[0-9a-f]+)?$')


class Target:
    """A user to remove: its uuid, what it was created with, the ids the import returned."""

    __slots__ = ('uuid', 'key', 'name', 'row', 'line', 'ids', 'created_with', 'reused',
                 'digest', 'values_from', 'status', 'error', 'removed', 'kept', 'differences',
                 'shared_voicemail')

    def __init__(self, uuid, key=None, name='', row=None, line=None, ids=None,
                 created_with=None, reused=(), digest=None, shared_voicemail=None):
        self.uuid = uuid
        self.key = key
        self.name = name
        self.row = row
        self.line = line
        self.ids = ids           # None: not from a report (rows of a CSV), ids unknown
        self.created_with = created_with or {}
        self.reused = list(reused)
        self.digest = digest     # None: a report written before entries carried one
        self.values_from = 'server'  # 'file': created_with holds the file's cells only
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
            ids = user.get('ids')
            created_with = user.get('created_with')
            targets.append(Target(user['uuid'], key=user.get('key'), name=user.get('name', ''),
                                  row=user.get('row'), line=user.get('line'),
                                  ids=ids if isinstance(ids, dict) else {},
                                  created_with=created_with if isinstance(created_with, dict)
                                  else {},
                                  reused=user.get('reused') or (), digest=user.get('digest'),
                                  shared_voicemail=user.get('shared_voicemail')))
            if user.get('values_from') == 'file':
                targets[-1].values_from = 'file'
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


class Remover:
    """Removes targets one by one; every request goes through the one client.

    ``report``: the import report the targets come from (None for the rows of a CSV): its
    record of the run is checked for each user before anything of it is removed.
    """

    def __init__(self, client, check_mode=False, force=False, should_stop=None, report=None,
                 targets=()):
        self.client = client
        self.check_mode = check_mode
        self.force = force
        self.should_stop = should_stop or (lambda: None)
        self.report = report
        self.interrupted = None     # why the removal stopped before the last user
        self.requests = 0
        self._export = None
        self.gone = set()           # users removed (or that would be, in check mode)
        # The voicemails this run created: a later row of the same run that got the same
        # number@context shares it (it is "reused" for that row, but not older than the run).
        self.kept = KeptParts(self._get, self.gone, set(
            t.ids.get('voicemail_id') for t in targets
            if t.ids and t.ids.get('voicemail_id') and 'voicemail' not in t.reused
            and not evidence_problems(t, report)))

    # -- requests -------------------------------------------------------------------------

    def _get(self, path):
        response = self.client.read(path, 'read of %s' % path.lstrip('/'),
                                    self.client.platform.acl('GET', path=path))
        self.requests += 1
        if response.status == 404:
            return None
        if response.status != 200 or not isinstance(response.body, dict):
            raise ConfdError('confd answered %s to the read of %s' % (response.status, path))
        return response.body

    def _delete(self, step):
        """DELETE; 404 means it is already gone. A refusal is an error naming the object."""
        what = step.what
        response = self.client.call(step.method, step.path, idempotent=True,
                                    what='removal of %s' % what, api=step.api,
                                    acl=self.client.platform.acl(step.method, path=step.path,
                                                                 service=step.api),
                                    headers={'Accept': 'application/json'})
        self.requests += 1
        if response.status in (200, 204, 404):
            return
        raise ConfdError('confd refused the removal of %s (%s): %s' % (
            what, response.status, describe_error_body(response.body, response.text)))

    def _export_row(self, uuid):
        """The user's export row (its values as columns), the export read once."""
        if self._export is None:
            dummy, users = self.client.export_users()
            self.requests += 1
            self._export = dict((u.get('uuid'), u) for u in users)
        return self._export.get(uuid)

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
            target.differences = evidence_problems(target, self.report) + differences(
                target, user, self.client.platform.item_identity)
            if target.digest:
                target.differences += value_changes(target, self._export_row(target.uuid),
                                                    target.differences)
            if target.differences and not self.force:
                target.status = 'conflict'
                target.error = sanitize_message(
                    'conflict: the server does not show what the run created (%s); it is left '
                    'alone (force removes it anyway)' % '; '.join(target.differences))
                return target
            self._remove_steps(target, user)
            self.gone.add(target.uuid)
            target.status = 'would_remove' if self.check_mode else 'removed'
        except ConfdError as exc:
            target.status, target.error = 'failed', str(exc)
        return target

    def _remove_steps(self, target, user):
        """The platform's steps that undo the user, in its order, keeping what is shared or
        existed before the run (the user itself last)."""
        steps = self.client.platform.removal_steps(user, target.ids)
        numbers = defaultdict(list)     # incall id -> its numbers
        for step in steps:
            if step.kind == 'incall_extension':
                numbers[step.parent].append(step.ident)
        skipped = set()                 # incalls that are not the one this import created
        for step in steps:
            if self.kept.keeps(target, step, numbers, skipped):
                continue
            if not self.check_mode:
                self._delete(step)
            if step.removes:
                target.removed.append(step.what)


class KeptParts:
    """What the removal of a user leaves on the server, step by step, and why (recorded in
    the target's ``kept``): what another user or line still has, what existed before the
    run. ``read(path)``: the server's item at ``path`` (None when it is gone); ``gone``: the
    users removed so far; ``run_voicemails``: the voicemails the run created."""

    def __init__(self, read, gone, run_voicemails):
        self._read = read
        self.gone = gone
        self.run_voicemails = run_voicemails

    def keeps(self, target, step, numbers, skipped):
        """Whether ``step`` is left out. ``numbers``: each incall's numbers among the user's
        steps; ``skipped``: the incalls that are not the one the run created."""
        decide = getattr(self, '_keep_' + step.kind.replace('.', '_'), None)
        return decide is not None and decide(target, step, numbers, skipped)

    # Each _keep_<kind> says whether a step of that kind is left out.

    def _keep_voicemail(self, target, step, numbers, skipped):
        voicemail = step.ident
        others = [u.get('uuid') for u in
                  (self._read('/voicemails/%s' % voicemail) or {}).get('users') or []
                  if u.get('uuid') != target.uuid and u.get('uuid') not in self.gone]
        ours = voicemail in self.run_voicemails or (
            target.ids is not None and voicemail == target.ids.get('voicemail_id')
            and 'voicemail' not in target.reused)
        if not others and ours:
            return False
        target.kept.append('voicemail %s (%s)' % (
            voicemail, 'still used by user %s' % ', '.join(str(o) for o in others)
            if others else 'it existed before the run'))
        shared = target.shared_voicemail
        if shared and shared.get('renamed_to'):
            # confd renamed the other person's voicemail when this user got a line; the
            # rollback does not write voicemails, so the operator puts it back.
            target.kept.append(
                'the rollback does not restore the name of voicemail %s: the import renamed '
                'it from %r to %r; rename it back in the web interface'
                % (voicemail, shared.get('previous_name') or '', shared['renamed_to']))
        return True

    def _keep_incall(self, target, step, numbers, skipped):
        created = (target.ids or {}).get('incall_extension_id')
        if created and created not in numbers[step.ident]:
            skipped.add(step.ident)     # not the incall this import created
            return True
        return False

    def _keep_incall_extension(self, target, step, numbers, skipped):
        if step.parent in skipped:
            return True
        if 'incall_extension' in target.reused:
            target.kept.append('extension %s (it existed before the run)' % step.ident)
            return True
        return False

    def _keep_extension(self, target, step, numbers, skipped):
        on_extension = (self._read('/extensions/%s' % step.ident) or {}).get('lines') or []
        other_lines = [other for other in on_extension if item_id(other) != step.parent]
        if other_lines or 'extension' in target.reused:
            target.kept.append('extension %s (%s)' % (
                step.ident, 'on another line' if other_lines else 'it existed before the run'))
            return True
        return False

    def _keep_sip(self, target, step, numbers, skipped):
        """A SIP endpoint the import made with no line: deleted unless it existed before the
        run or a line has it now (deleting it would strip that line)."""
        if 'sip' in target.reused:
            target.kept.append('SIP endpoint %s (it existed before the run)' % step.ident)
            return True
        endpoint = self._read('/endpoints/sip/%s' % step.ident)
        if endpoint is None:
            return True         # already gone
        if endpoint.get('line'):
            target.kept.append('SIP endpoint %s (it is on line %s now)' % (
                step.ident, item_id(endpoint['line'])))
            return True
        return False

    def _keep_sip_before_dissociate(self, target, step, numbers, skipped):
        """A link the line loses so that its SIP endpoint may be detached: only then."""
        return 'sip' not in target.reused

    def _keep_sip_dissociate(self, target, step, numbers, skipped):
        """The line's SIP endpoint is detached only when it existed before the run (deleting
        the line deletes the endpoint with it)."""
        if 'sip' not in target.reused:
            return True
        target.kept.append('SIP endpoint %s (it existed before the run)' % step.ident)
        return False


def undo_report(client, report, check_mode=False, force=False, accept_unverified=False,
                should_stop=None):
    """Remove what the run of ``report`` created on the server of ``client``, after checking
    that the report describes that server. Returns (targets, remover or None when the report
    lists no user to remove, the server's identity, a warning or None); raises ConfdError
    before anything is removed when the report must not be used here."""
    targets = targets_from_report(report)
    if not targets:
        return targets, None, None, None
    identity = run_evidence.read_identity(client, client.platform.name, client.tenant)
    warning = run_evidence.check_identity(report, identity, accept_unverified)
    remover = Remover(client, check_mode=check_mode, force=force, should_stop=should_stop,
                      report=report, targets=targets)
    for target in targets:
        remover.remove(target)
    return targets, remover, identity, warning


def summarize(targets):
    return import_plan.summarize(targets, STATUSES)


def find_report(report_dir, host, run_id=None):
    """The report of ``host`` in the role's ``report_dir`` for ONE run: ``run_id``, or by
    default the fleet's latest run (the newest run directory, whichever hosts it imported),
    not the latest run that created something on this host: undoing "the latest run" must
    never reach back to an older one.

    Returns (run_id, path, report); path and report are None when that run left no report
    of this host (it was not part of the run): the run created nothing here."""
    import json
    import os
    from ansible_collections.xivo.confd.plugins.module_utils.reports import inside, safe_stem
    runs = os.path.join(report_dir, 'runs')
    if run_id:
        if not RUN_ID.match(run_id) or not os.path.isdir(os.path.join(runs, run_id)):
            raise ConfdError('no run %s in %s (a run id is the name of a directory there)'
                             % (run_id, runs))
    else:
        found = sorted(d for d in (os.listdir(runs) if os.path.isdir(runs) else ())
                       if RUN_ID.match(d) and os.path.isdir(os.path.join(runs, d)))
        if not found:
            raise ConfdError('no run of the role in %s: nothing to roll back' % runs)
        run_id = found[-1]
    # hosts/<host>.json; a report of an earlier version lies beside fleet.json.
    name = safe_stem(host) + '.json'
    path = next((p for p in (inside(os.path.join(runs, run_id, 'hosts'), name),
                             inside(os.path.join(runs, run_id), name)) if os.path.isfile(p)),
                None)
    if path is None:
        return run_id, None, None
    try:
        with open(path) as handle:
            report = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ConfdError('%s: cannot be read as a report: %s' % (path, exc))
    return run_id, path, report
