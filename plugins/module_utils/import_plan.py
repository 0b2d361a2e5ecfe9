# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of an import: the rows of a confd CSV against the users a server holds, a pure
diff - what to create, to update, to leave, and what cannot be sent (conflicts, failures).
Nothing here talks to a server; import_executor sends what the plan says.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Server behaviour: docs/server-behaviour.md#what-is-unique, docs/server-behaviour.md#update-by-put and
docs/server-behaviour.md#voicemail-renamed.
"""

from __future__ import annotations

import enum

from ansible_collections.xivo.confd.plugins.module_utils import confd_csv, user_identity
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import SECRET_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

DEFAULT_KEYS = user_identity.DEFAULT_KEYS
# Columns a confd CSV may hold: what the import reads plus what the export writes.
KNOWN_COLUMNS = user_identity.KNOWN_COLUMNS
# Cells that say who the user is (user_identity): an update never empties them unless asked.
IDENTITY_CELLS = frozenset(user_identity.IDENTITY_COLUMNS + ('exten', 'context'))
# Not in the export, so they cannot be compared.
NOT_COMPARABLE = frozenset(('uuid', 'provisioning_code', 'incall_ring_seconds'))
# The columns of a created user that its report keeps, for a rollback to recognise it.
CREATED_WITH = ('firstname', 'lastname', 'username', 'email', 'exten', 'context', 'line_protocol',
                'sip_username', 'voicemail_number', 'voicemail_context', 'incall_exten',
                'incall_context')
# The user strings an empty cell unsets on PUT (docs/server-behaviour.md#update-by-put).
UNSETTABLE_COLUMNS = frozenset(('lastname', 'email', 'mobile_phone_number', 'outgoing_caller_id',
                                'userfield'))
key_value = user_identity.key_value
# The columns of a user's name (a change may leave copies of the name behind: the platform's
# name_not_refreshed).
NAME_COLUMNS = frozenset(('firstname', 'lastname'))


class Status(str, enum.Enum):
    """What became of a source row. The plan gives CREATE, UPDATE, UNCHANGED, CONFLICT or
    FAILED; the executor turns CREATE and UPDATE into CREATED, UPDATED, FAILED or NOT_TRIED; a
    dry run reports what would be (:meth:`would`). A member is its value wherever a string is
    (``Status.CREATED == 'created'``); results and reports carry the plain value."""

    CREATE = 'create'
    UPDATE = 'update'
    UNCHANGED = 'unchanged'
    CONFLICT = 'conflict'
    FAILED = 'failed'
    CREATED = 'created'
    UPDATED = 'updated'
    # A row of the legacy source that its conversion refused (never sent).
    INVALID = 'invalid'
    # Never sent nor checked against the server (it could not be read: credentials refused,
    # unreachable, busy): not FAILED, there is nothing in the row to fix.
    NOT_TRIED = 'not_tried'
    WOULD_CREATE = 'would_create'
    WOULD_UPDATE = 'would_update'
    WOULD_FAIL = 'would_fail'

    def __str__(self):
        return self.value

    __format__ = str.__format__

    def would(self):
        """The status a dry run reports for a planned one (nothing was sent)."""
        return _WOULD.get(self, self)


_WOULD = {Status.CREATE: Status.WOULD_CREATE, Status.UPDATE: Status.WOULD_UPDATE,
          Status.FAILED: Status.WOULD_FAIL}
# The rows the plan sends.
PLANNED = frozenset((Status.CREATE, Status.UPDATE))
# The rows an operator must fix: refused (by the conversion, a check or the server), conflicts.
TO_FIX = frozenset((Status.FAILED, Status.CONFLICT, Status.INVALID))
# The rows that create a user (or would, in a dry run); that create or update one.
CREATING = frozenset((Status.CREATED, Status.WOULD_CREATE))
CHANGING = CREATING | frozenset((Status.UPDATED, Status.WOULD_UPDATE))
# The statuses a summary counts, in its order.
STATUSES = tuple(status.value for status in (
    Status.CREATED, Status.UPDATED, Status.UNCHANGED, Status.CONFLICT, Status.FAILED,
    Status.INVALID, Status.WOULD_CREATE, Status.WOULD_UPDATE, Status.WOULD_FAIL,
    Status.NOT_TRIED))


class RowOutcome:
    """What became of one source row: its status, the server user it is, why it failed."""

    __slots__ = ('row', 'key', 'identity', '_status', 'uuid', 'error', 'ids', 'changes',
                 'involved', 'warnings', 'reused', 'shared_voicemail')

    def __init__(self, row, key=None):
        self.row = row
        self.key = key
        self.identity = None
        self.status = None
        self.uuid = None
        self.error = None
        self.ids = None
        self.changes = []
        self.involved = []
        self.warnings = []
        self.reused = []
        self.shared_voicemail = None

    @property
    def status(self):
        """A :class:`Status` (None before the plan); set from a Status or its value."""
        return self._status

    @status.setter
    def status(self, value):
        self._status = None if value is None else Status(value)

    @classmethod
    def invalid(cls, line, column, reason):
        """A row of the legacy source that its conversion refused, by its legacy line."""
        outcome = cls(confd_csv.SourceRow(0, line, {}, problem=reason, problem_column=column))
        outcome.status, outcome.error = Status.INVALID, reason
        return outcome

    def fail(self, error):
        self.status = Status.FAILED
        self.error = error

    def not_tried(self, reason):
        self.status = Status.NOT_TRIED
        self.error = reason

    def conflict(self, reasons, involved):
        self.status = Status.CONFLICT
        self.error = 'conflict: ' + '; '.join(reasons)
        self.involved = [user.get('uuid') for user in involved if user.get('uuid')]

    def as_dict(self):
        values = self.row.values
        name = ('%s %s' % (values.get('firstname', ''), values.get('lastname', ''))).strip()
        result = dict(row=self.row.number, line=self.row.line, key=self.key, name=name,
                      status=str(self.status) if self.status else None, uuid=self.uuid,
                      error=self.error)
        if self.row.problem_column:
            result['column'] = self.row.problem_column
        if self.ids is not None:
            result['ids'] = self.ids
        if self.status == Status.CREATED:
            # What a rollback compares before it removes the user (never secrets), and what
            # existed before the import and must stay.
            result['created_with'] = dict((c, values[c]) for c in CREATED_WITH if values.get(c))
            if self.reused:
                result['reused'] = list(self.reused)
        if self.shared_voicemail and self.status in CHANGING:
            # Another person's voicemail this row shares, and the name confd gives it: what a
            # rollback puts back.
            result['shared_voicemail'] = dict(self.shared_voicemail)
        if self.changes:
            result['changed_columns'] = list(self.changes)
        if self.involved:
            result['server_users'] = list(self.involved)
        if self.warnings:
            result['warnings'] = list(self.warnings)
        return result


def check_keys(keys):
    """Refuse key specs that cannot identify a user (unknown or secret columns)."""
    try:
        user_identity.check_keys(keys)
    except user_identity.KeySpecError as exc:
        raise ConfdError(str(exc))


def differing_columns(values, user, header, update_password, update_identity=False,
                      zero_exported_empty=(), exported_as=None):
    """The CSV columns whose value differs from the server's user (export row).
    ``zero_exported_empty``: the columns whose 0 the server's export shows as an empty cell;
    ``exported_as``: {column: {value sent: value the export shows}}."""
    has_line = bool(user.get('line_protocol'))
    changed = []
    for column in header:
        if column in NOT_COMPARABLE or column not in user:
            continue
        if column in SECRET_COLUMNS and not update_password:
            continue
        # confd renames the voicemail after the user when the user has a line
        # (docs/server-behaviour.md#voicemail-renamed).
        if column == 'voicemail_name' and has_line:
            continue
        # The context of a user is its line's: a row that makes no line has none to compare
        # (the export shows '' for a user without a line, on 16.15 and on Wazo 26.08).
        if column == 'context' and not has_line and not values.get('line_protocol'):
            continue
        wanted = values.get(column, '')
        current = user.get(column, '')
        if column in zero_exported_empty and current == '':
            current = '0'
        wanted = (exported_as or {}).get(column, {}).get(wanted, wanted)
        # PUT refuses an empty boolean, integer, SIP credential or firstname
        # (docs/server-behaviour.md#update-by-put), and an empty SIP username means "let the
        # server choose": only nullable strings are unset.
        if wanted == '' and column not in UNSETTABLE_COLUMNS:
            continue
        # Who the user is changes only when asked: an empty cell does not unset an identity.
        if wanted == '' and column in IDENTITY_CELLS and not update_identity:
            continue
        if column == 'call_permissions':
            if set(p for p in wanted.split(';') if p) != set(p for p in current.split(';') if p):
                changed.append(column)
            continue
        # The same text in another Unicode form is no change to make; nor, for an email,
        # in another case (confd compares emails without case).
        wanted = user_identity.unicode_form(wanted)
        current = user_identity.unicode_form(current)
        if column in user_identity.CASELESS_COLUMNS:
            wanted, current = wanted.lower(), current.lower()
        if wanted != current:
            changed.append(column)
    return changed


def plan(header, rows, users, keys=DEFAULT_KEYS, update=False, update_password=False,
         validate=None, update_identity=False, name_fallback=True, share_voicemails=False,
         platform=None, accounts=None):
    """Decide, for every row, create / update / unchanged / conflict / failed; nothing is sent.

    A row is the server user its identity (first key with a value, else its name) points at,
    if the match is the same person (user_identity.match_row); else it is a conflict.
    validate(values, line) -> list of 'column: reason' strings, for local checks of the rows
    that would be sent (in file order); a row already on the server and unchanged is not sent,
    so it is not checked, which keeps a re-run cheap.
    share_voicemails: a row may share another person's voicemail (confd renames it), else that
    row is a conflict.
    platform: the server's Platform, for what else makes a row another person's there (on Wazo:
    a login or e-mail of any tenant ignoring case, another user's incall number), checked
    against ``users`` and, when they could be read, the ``accounts`` of its authentication
    service; None: XiVO's rules only.
    Returns a RowOutcome per row, in file order (status CREATE, UPDATE, UNCHANGED, CONFLICT
    or FAILED).
    """
    keys = tuple(keys)
    index = user_identity.index_for(users, keys)
    more_conflicts, renames_voicemail = None, True
    if platform is not None:
        view = platform.identity_view(users, accounts)
        renames_voicemail = platform.renames_shared_voicemail

        def more_conflicts(values, user):
            return platform.identity_conflicts(values, user, view)
    checked = list(keys) + [s for s in user_identity.cross_specs(keys) if s not in keys]
    seen = {}
    outcomes = []
    for row in rows:
        outcome = RowOutcome(row)
        outcomes.append(outcome)
        identity = user_identity.row_identity(row.values, keys, name_fallback)
        outcome.identity = identity
        outcome.key = '%s=%s' % identity if identity else None
        if row.problem:
            outcome.fail(row.problem)
            continue
        if identity is None:
            outcome.fail(_keyless_reason(row.values, keys, name_fallback))
            continue
        # The same user twice in one file: which row is right is the operator's call.
        row_keys = [identity] + [(spec, user_identity.row_key_value(spec, row.values))
                                 for spec in checked if spec != identity[0]]
        row_keys = [(spec, value) for spec, value in row_keys if value is not None]
        duplicate = next(((spec, seen[(spec, value)]) for spec, value in row_keys
                          if (spec, value) in seen), None)
        if duplicate:
            outcome.fail('same %s as line %d of the file' % duplicate)
            continue
        for spec, value in row_keys:
            seen[(spec, value)] = row.line
        match = user_identity.match_row(row.values, header, index, keys, identity,
                                        identity_may_change=update and update_identity,
                                        share_voicemails=share_voicemails,
                                        renames_voicemail=renames_voicemail,
                                        more_conflicts=more_conflicts)
        outcome.warnings.extend(sanitize_message(note) for note in match.notes)
        if match.shared_voicemail:
            outcome.shared_voicemail = match.shared_voicemail
            outcome.reused.append('voicemail')
        if match.error:
            outcome.fail(match.error)
            continue
        if match.conflict:
            outcome.conflict([sanitize_message(reason) for reason in match.conflict],
                             match.involved)
            if match.user is not None:
                outcome.uuid = match.user.get('uuid') or None
            continue
        if match.user is None:
            outcome.status = Status.CREATE
        else:
            outcome.uuid = match.user.get('uuid') or None
            if update:
                outcome.changes = differing_columns(
                    row.values, match.user, header, update_password, update_identity,
                    platform.zero_exported_empty if platform is not None else (),
                    platform.exported_as if platform is not None else None)
                if update_password and platform is not None:
                    # A secret the server never shows cannot be compared: it is set again.
                    outcome.changes += [c for c in platform.unreadable_secrets
                                        if c in header and row.values.get(c)
                                        and c not in outcome.changes]
            outcome.status = Status.UPDATE if outcome.changes else Status.UNCHANGED
            if outcome.status == Status.UPDATE and platform is not None:
                refused = platform.update_refusals(outcome.changes)
                if refused:
                    outcome.fail(sanitize_message('cannot be updated on %s: %s' % (
                        platform.title, '; '.join('%s: %s' % item for item in refused))))
                    continue
                if platform.name_not_refreshed and set(outcome.changes) & NAME_COLUMNS:
                    outcome.warnings.append(platform.name_not_refreshed)
        if outcome.status != Status.UNCHANGED and validate:
            problems = validate(row.values, row.line)
            if problems:
                outcome.fail('invalid: ' + '; '.join(problems))
    return outcomes


def _keyless_reason(values, keys, name_fallback):
    reason = ('no value for any key column (%s)%s: a re-run could not recognise this user, so '
              'it is not imported' % (', '.join(keys),
                                      '' if not name_fallback else ' and no firstname'))
    if any(user_identity.key_value(spec, values) for spec in keys):
        reason += ('; exten@context is no key here: without line_protocol sip or sccp '
                   'confd creates no line, and the export shows an exten only through '
                   'its line (set line_protocol, e.g. user_csv defaults line_protocol: sip)')
    return reason


def summarize(outcomes, statuses=STATUSES):
    """Counts per status (every status named, 0 when none), and the total."""
    summary = dict((status, 0) for status in statuses)
    for outcome in outcomes:
        summary[str(outcome.status)] = summary.get(str(outcome.status), 0) + 1
    summary['total'] = len(outcomes)
    return summary
