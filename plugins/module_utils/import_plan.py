# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Idempotent user import: read a confd CSV, match it against the server, plan, send, isolate.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Everything here is pure or talks to an injected client, so unit tests run without a network.
Server behaviour: reference confd-user-import.md §2, §4, §5, §7 and §12.
"""

from __future__ import annotations

import time

from ansible_collections.xivo.confd.plugins.module_utils import confd_csv, user_identity
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import SECRET_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdError, ConfdInterrupted, ConfdUncertain, ConfdUnreachable,
    describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.platform import platform_named
from ansible_collections.xivo.confd.plugins.module_utils.secrets import public_values, scrub_text
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

DEFAULT_KEYS = user_identity.DEFAULT_KEYS
# Columns a confd CSV may hold: what the import reads plus what the export writes.
KNOWN_COLUMNS = user_identity.KNOWN_COLUMNS
# Cells that say who the user is (user_identity): an update never empties them unless asked.
IDENTITY_CELLS = frozenset(user_identity.IDENTITY_COLUMNS + ('exten', 'context'))
# Read by PUT only (uuid) or by nothing (provisioning_code): never sent on POST.
NOT_POSTED = frozenset(('uuid', 'provisioning_code'))
# Not in the export, so they cannot be compared.
NOT_COMPARABLE = frozenset(('uuid', 'provisioning_code', 'incall_ring_seconds'))
# The columns of a created user that its report keeps, for a rollback to recognise it.
CREATED_WITH = ('firstname', 'lastname', 'username', 'email', 'exten', 'context', 'line_protocol',
                'sip_username', 'voicemail_number', 'voicemail_context', 'incall_exten',
                'incall_context')
# The user strings an empty cell unsets on PUT (§1.4, §12.8).
UNSETTABLE_COLUMNS = frozenset(('lastname', 'email', 'mobile_phone_number', 'outgoing_caller_id',
                                'userfield'))
MAX_RECONCILE = 3

key_value = user_identity.key_value

# 'invalid': a row of the legacy source that its conversion refused (never sent).
STATUSES = ('created', 'updated', 'unchanged', 'conflict', 'failed', 'invalid', 'would_create',
            'would_update', 'would_fail', 'not_tried')
# A row that was never sent nor checked against the server (the server could not be read: its
# credentials refused, unreachable, busy): not 'failed', the operator has nothing to fix in it.
NOT_TRIED = 'not_tried'


def check_keys(keys):
    """Refuse key specs that cannot identify a user (unknown or secret columns)."""
    try:
        user_identity.check_keys(keys)
    except user_identity.KeySpecError as exc:
        raise ConfdError(str(exc))


def differing_columns(values, user, header, update_password, update_identity=False):
    """The CSV columns whose value differs from the server's user (export row)."""
    has_line = bool(user.get('line_protocol'))
    changed = []
    for column in header:
        if column in NOT_COMPARABLE or column not in user:
            continue
        if column in SECRET_COLUMNS and not update_password:
            continue
        # confd renames the voicemail after the user when the user has a line (§12.13).
        if column == 'voicemail_name' and has_line:
            continue
        wanted = values.get(column, '')
        current = user.get(column, '')
        # PUT refuses an empty boolean, integer, SIP credential or firstname (§12.8), and an
        # empty SIP username means "let the server choose": only nullable strings are unset.
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


class Outcome:
    """The result of one source row."""

    __slots__ = ('row', 'key', 'identity', 'status', 'uuid', 'error', 'ids', 'changes',
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

    def fail(self, error):
        self.status = 'failed'
        self.error = error

    def not_tried(self, reason):
        self.status = NOT_TRIED
        self.error = reason

    def conflict(self, reasons, involved):
        self.status = 'conflict'
        self.error = 'conflict: ' + '; '.join(reasons)
        self.involved = [user.get('uuid') for user in involved if user.get('uuid')]

    def as_dict(self):
        values = self.row.values
        name = ('%s %s' % (values.get('firstname', ''), values.get('lastname', ''))).strip()
        result = dict(row=self.row.number, line=self.row.line, key=self.key, name=name,
                      status=self.status, uuid=self.uuid, error=self.error)
        if self.row.problem_column:
            result['column'] = self.row.problem_column
        if self.ids is not None:
            result['ids'] = self.ids
        if self.status == 'created':
            # What a rollback compares before it removes the user (never secrets), and what
            # existed before the import and must stay.
            result['created_with'] = dict((c, values[c]) for c in CREATED_WITH if values.get(c))
            if self.reused:
                result['reused'] = list(self.reused)
        if self.shared_voicemail and self.status in ('created', 'would_create', 'updated',
                                                     'would_update'):
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
    Returns the list of Outcomes (status 'create', 'update', 'unchanged', 'conflict' or
    'failed').
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
        outcome = Outcome(row)
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
            outcome.status = 'create'
        else:
            outcome.uuid = match.user.get('uuid') or None
            if update:
                outcome.changes = differing_columns(row.values, match.user, header,
                                                    update_password, update_identity)
            outcome.status = 'update' if outcome.changes else 'unchanged'
        if outcome.status != 'unchanged' and validate:
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


class Interrupted(Exception):
    """The import must stop at this batch boundary (the playbook was interrupted or is gone)."""


# Statuses of an answer to an import request.
SUCCESS, REJECTED, ROLLED_BACK, UNCERTAIN = 'success', 'rejected', 'rolled back', 'uncertain'
# Gateways give up on a request that confd may still be committing, like a client timeout.
GATEWAY_STATUSES = frozenset((502, 503, 504))


def classify_answer(response, sent, update):
    """What an answer to an import of ``sent`` rows says for sure.

    Only confd's own answers are certain (§4, §12): a 201 whose created list accounts for every
    row sent, by row number; a 400 with row-numbered errors (nothing committed); a 400 or 500
    JSON error list (a rollback that names no row). Anything else - a proxy's page, a body that
    is not JSON, a created list that does not add up - may come after a commit: UNCERTAIN.
    Returns (kind, detail): the entries by row number, the errors, or a description.
    """
    body = response.body
    json_answer = 'json' in (getattr(response, 'content_type', None) or 'application/json')
    if response.status == 201 and json_answer and isinstance(body, dict):
        entries = body.get('updated' if update else 'created')
        if isinstance(entries, list) and len(entries) == sent:
            numbered = dict((entry.get('row_number'), entry) for entry in entries
                            if isinstance(entry, dict) and _is_int(entry.get('row_number')))
            if sorted(numbered) == list(range(1, sent + 1)):
                return SUCCESS, numbered
        return UNCERTAIN, ('confd answered 201 but its list of %s users does not account for '
                           'the %d rows sent, by row number' % ('updated' if update else
                                                                'created', sent))
    if response.status == 400 and json_answer and isinstance(body, dict) \
            and isinstance(body.get('errors'), list) and body['errors']:
        return REJECTED, body['errors']
    if response.status in (400, 500) and json_answer and isinstance(body, list) and body \
            and all(isinstance(item, str) for item in body):
        return ROLLED_BACK, describe_error_body(body)
    return UNCERTAIN, '%s answered %s with %s' % (
        'a gateway' if response.status in GATEWAY_STATUSES else 'the server', response.status,
        describe_error_body(body, response.text) or 'an empty body')


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class Importer:
    """Sends the planned creations and updates, and gives every row its own outcome.

    confd commits a request entirely or not at all (§4): rows it reports in a 400 are failed
    and the others resent; a JSON 500 names no row, so the batch is bisected. Anything that may
    have committed (a lost connection, a timeout, an answer that is not confd's) is settled by
    reading the server again before any resend; after a timeout or a gateway's answer, confd
    may still be committing, so the rows not yet there are left for a re-run, never resent.

    Batches are sized by time: confd 16.15 spends ~0.2 s per row, linearly (§15), and a
    request that outlives the client's timeout may still commit (§12.26). The first batch is
    small; the next ones hold as many rows as fit in ``batch_seconds`` at the measured rate,
    never more than ``batch_size``.
    """

    FIRST_BATCH = 10

    def __init__(self, client, header, keys=DEFAULT_KEYS, batch_size=100, secrets=(),
                 batch_seconds=30.0, should_stop=None, progress=None, clock=time.monotonic,
                 sleep=time.sleep, settle_seconds=(1.0, 30.0), platform=None):
        self.client = client
        self.platform = platform_named(platform or 'xivo')   # the server's (created ids)
        self.header = list(header)
        self.keys = tuple(keys)
        self.batch_size = max(1, batch_size)
        self.secrets = set(secrets)
        self.batch_seconds = batch_seconds
        self.should_stop = should_stop or (lambda: None)
        self.progress = progress
        self.clock = clock
        self.sleep = sleep
        self.settle_seconds = settle_seconds
        self.post_columns = [c for c in self.header if c not in NOT_POSTED]
        self.reconciles = 0
        self.requests = 0
        self.batches = []
        self.interrupted = None
        self.unreachable = None     # why the server stopped answering (ConfdUnreachable)
        self.seconds_per_row = None
        self._todo = 0
        self._done = 0

    def _scrub(self, text, outcome=None):
        public = public_values(outcome.row.values) if outcome is not None else ()
        return scrub_text(text, self.secrets, public)

    def run(self, outcomes):
        """Send what the plan says; a server that stops answering fails the unsent rows."""
        creations = [o for o in outcomes if o.status == 'create']
        updates = {}
        for outcome in outcomes:
            if outcome.status == 'update':
                updates.setdefault(tuple(outcome.changes), []).append(outcome)
        self._todo = len(creations) + sum(len(group) for group in updates.values())
        try:
            self._send_all(creations, update=False)
            for columns, group in updates.items():
                self._send_all(group, update=True, columns=('uuid',) + columns)
        except (Interrupted, ConfdInterrupted) as exc:
            # The rows left were never sent: not tried, nothing in them to fix.
            self.interrupted = self.should_stop() or str(exc)
            reason = ('not tried: %s; re-run to finish (a re-run never imports a user twice)'
                      % self.interrupted)
            for outcome in outcomes:
                if outcome.status in ('create', 'update'):
                    outcome.not_tried(reason)
        except ConfdAuthRefused as exc:
            # confd checks the credentials before it reads a request: the rows left were
            # never tried, there is nothing in them to fix.
            reason = 'not tried: authentication refused: %s' % self._scrub(str(exc))
            for outcome in outcomes:
                if outcome.status in ('create', 'update'):
                    outcome.not_tried(reason)
        except ConfdUnreachable as exc:
            # The server stopped answering (or its deadline passed): the rows left were
            # never sent.
            self.unreachable = self._scrub(str(exc))
            reason = 'not tried: %s' % self.unreachable
            for outcome in outcomes:
                if outcome.status in ('create', 'update'):
                    outcome.not_tried(reason)
        except ConfdError as exc:
            reason = 'not imported: %s' % self._scrub(str(exc))
            for outcome in outcomes:
                if outcome.status in ('create', 'update'):
                    outcome.fail(reason)
        return outcomes

    def _next_size(self):
        if self.seconds_per_row is None:
            return min(self.batch_size, self.FIRST_BATCH)
        limit = self.batch_seconds
        timeout = getattr(self.client, 'timeout', None)
        if timeout:
            limit = min(limit, timeout / 4.0)  # well under the timeout, whatever was asked
        return max(1, min(self.batch_size, int(limit / max(self.seconds_per_row, 1e-6))))

    def _send_all(self, outcomes, update, columns=None):
        position = 0
        while position < len(outcomes):
            batch = outcomes[position:position + self._next_size()]
            position += len(batch)
            self._send(batch, update, columns)

    def _body(self, batch, update, columns):
        if update:
            rows = []
            for outcome in batch:
                values = dict(outcome.row.values)
                values['uuid'] = outcome.uuid
                rows.append(values)
            return confd_csv.body(list(columns), rows)
        return confd_csv.body(self.post_columns, [o.row.values for o in batch])

    def _request(self, pending, update, columns):
        """One import request, timed and recorded; returns the response or raises."""
        reason = self.should_stop()
        if reason:
            raise Interrupted(reason)
        self.requests += 1
        record = dict(method='PUT' if update else 'POST', rows=len(pending))
        self.batches.append(record)
        started = self.clock()
        try:
            response = self.client.import_csv(self._body(pending, update, columns), update=update)
        except ConfdUncertain:
            record.update(seconds=round(self.clock() - started, 3), answer='uncertain')
            raise
        except ConfdError:
            record.update(seconds=round(self.clock() - started, 3), answer='error')
            raise
        seconds = self.clock() - started
        record.update(seconds=round(seconds, 3), answer=response.status)
        return response, seconds

    def _learn(self, seconds, rows):
        """confd processed every row of the request: remember its rate for the next batch."""
        rate = seconds / max(rows, 1)
        self.seconds_per_row = rate if self.seconds_per_row is None else \
            0.5 * self.seconds_per_row + 0.5 * rate

    def _send(self, batch, update, columns=None):
        pending = list(batch)
        attempts = 0
        while pending:
            try:
                response, seconds = self._request(pending, update, columns)
            except ConfdUncertain as exc:
                attempts += 1
                # PUT sets values, so sending it again is harmless; a POST after a timeout is
                # not, since confd may still be committing the first one.
                pending = self._reconcile(pending, update, self._scrub(str(exc)), attempts,
                                          resend=update or not exc.timed_out)
                continue
            kind, detail = classify_answer(response, len(pending), update)
            if kind == SUCCESS:
                self._learn(seconds, len(pending))
                self._record_success(pending, detail, update)
                self._report(len(pending))
                return
            if kind == REJECTED:
                self._learn(seconds, len(pending))
                reported = self._record_errors(pending, detail)
                if reported:
                    self._report(reported)
                    pending = [o for o in pending if o.status != 'failed']
                    continue
                detail = describe_error_body([str(e.get('message', e)) if isinstance(e, dict)
                                              else str(e) for e in detail])
            if kind in (REJECTED, ROLLED_BACK):
                message = 'confd answered %s: %s' % (response.status, detail)
                if len(pending) == 1:
                    pending[0].fail(self._scrub(message, pending[0]))
                    self._report(1)
                    return
                # The server named no row: split the batch until the guilty rows stand alone.
                middle = len(pending) // 2
                self._send(pending[:middle], update, columns)
                self._send(pending[middle:], update, columns)
                return
            attempts += 1
            # Not confd's answer: it may come after a commit (a gateway that gave up while confd
            # goes on, a page of a proxy), so look before anything else and never resend a POST.
            pending = self._reconcile(pending, update, self._scrub(detail), attempts,
                                      resend=update, settle=False)

    def _report(self, count):
        self._done += count
        if self.progress is not None:
            self.progress(self._done, self._todo)

    def _record_success(self, pending, entries, update):
        for position, outcome in enumerate(pending, 1):
            entry = entries[position]
            if entry.get('user_id') is None and not update:
                outcome.fail('confd created no user for this row (user_id null)')
            else:
                outcome.status = 'updated' if update else 'created'
                outcome.uuid = entry.get('user_uuid') or outcome.uuid
                outcome.ids = self.platform.created_ids(entry)

    def _record_errors(self, pending, errors):
        reported = 0
        for error in errors:
            if not isinstance(error, dict):
                continue
            number = (error.get('details') or {}).get('row_number')
            if _is_int(number) and 1 <= number <= len(pending):
                outcome = pending[number - 1]
                if outcome.status != 'failed':
                    outcome.fail(self._scrub(describe_error_body(
                        [str(error.get('message', 'rejected by confd'))]), outcome))
                    reported += 1
        return reported

    def _read_server(self):
        return user_identity.UserIndex(self.client.export_users()[1],
                                       self.keys + (user_identity.NAME_KEY,))

    def _reconcile(self, pending, update, reason, attempt, resend=True, settle=True):
        """After an answer that may hide a commit: read the server; rows now present are done.

        ``resend``: the rest may be sent again (the request surely did not commit): they are
        returned, after a second look (``settle``) that leaves a lost request time to finish.
        Otherwise they are failed with advice to re-run later.
        """
        self.reconciles += 1
        if attempt > MAX_RECONCILE:
            for outcome in pending:
                outcome.fail('%s; gave up after %d attempts, re-run to finish'
                             % (reason, MAX_RECONCILE))
            self._report(len(pending))
            return []
        remaining = pending
        looks = 2 if (resend and settle) else 1
        for look in range(looks):
            if look:
                low, high = self.settle_seconds
                self.sleep(min(high, max(low, (self.seconds_per_row or 0) * len(remaining))))
            try:
                index = self._read_server()
            except ConfdError as exc:
                # Whether confd committed the request is not known: never "not imported".
                for outcome in remaining:
                    outcome.fail('outcome unknown: %s; then the server could not be read to '
                                 'check (%s): confd may have imported this row; the next run '
                                 'settles it (it never imports a user twice)'
                                 % (reason, self._scrub(str(exc))))
                self._report(len(remaining))
                if isinstance(exc, ConfdUnreachable) and self.unreachable is None:
                    self.unreachable = self._scrub(str(exc))
                if isinstance(exc, ConfdInterrupted):
                    raise Interrupted(self.should_stop() or str(exc))
                return []
            remaining = [outcome for outcome in remaining
                         if not self._settled(outcome, index, update)]
            if not remaining:
                break
        self._report(len(pending) - len(remaining))
        if resend:
            return remaining
        for outcome in remaining:
            outcome.fail('outcome unknown: %s; not on the server yet, and confd may still be '
                         'importing it: re-run later to finish (the next run settles it: it '
                         'never imports a user twice)'
                         % reason)
        self._report(len(remaining))
        return []

    def _settled(self, outcome, index, update):
        """Whether the server shows the row done; marks it created/updated when it does."""
        found = index.find(*outcome.identity)
        if len(found) != 1:
            return False
        user = found[0]
        if update:
            if outcome.uuid != user.get('uuid') or differing_columns(
                    outcome.row.values, user, outcome.changes, True, True):
                return False
            outcome.status = 'updated'
            return True
        outcome.status = 'created'
        outcome.uuid = user.get('uuid') or None
        return True


def summarize(outcomes, statuses=STATUSES):
    """Counts per status (every status named, 0 when none), and the total."""
    summary = dict((status, 0) for status in statuses)
    for outcome in outcomes:
        summary[outcome.status] = summary.get(outcome.status, 0) + 1
    summary['total'] = len(outcomes)
    return summary
