# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Idempotent user import: read a confd CSV, match it against the server, plan, send, isolate.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Everything here is pure or talks to an injected client, so unit tests run without a network.
Server behaviour: reference confd-user-import.md §2, §4, §5, §7 and §12.
"""

from __future__ import annotations

import csv
import difflib
import io

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import (
    EXPORT_COLUMNS, SECRET_COLUMNS, UPDATE_COLUMNS)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdError, ConfdUncertain, describe_error_body)
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text

DEFAULT_KEYS = ('exten@context', 'username', 'email')
# Columns a confd CSV may hold: what the import reads plus what the export writes.
KNOWN_COLUMNS = frozenset(UPDATE_COLUMNS) | frozenset(EXPORT_COLUMNS)
# Read by PUT only (uuid) or by nothing (provisioning_code): never sent on POST.
NOT_POSTED = frozenset(('uuid', 'provisioning_code'))
# Not in the export, so they cannot be compared.
NOT_COMPARABLE = frozenset(('uuid', 'provisioning_code', 'incall_ring_seconds'))
CASE_INSENSITIVE_KEYS = frozenset(('email',))
# The user strings an empty cell unsets on PUT (§1.4, §12.8).
UNSETTABLE_COLUMNS = frozenset(('lastname', 'email', 'mobile_phone_number', 'outgoing_caller_id',
                                'userfield'))
MAX_RECONCILE = 3
LINE_PROTOCOLS = ('sip', 'sccp')

STATUSES = ('created', 'updated', 'unchanged', 'failed', 'would_create', 'would_update')


class CsvFileError(ConfdError):
    """The source file cannot be used at all (encoding, header)."""


class SourceRow:
    """One data row of the source CSV: its position and its cells by column."""

    __slots__ = ('number', 'line', 'values', 'problem')

    def __init__(self, number, line, values, problem=None):
        self.number = number      # data row index, 1 = first row after the header
        self.line = line          # physical line of the row's start in the file, 1 = header
        self.values = values
        self.problem = problem


def read_confd_csv(path, data=None):
    """Read a confd-format CSV (UTF-8, BOM tolerated) into (header, [SourceRow]).

    Unknown columns are refused: confd silently ignores them and the data is lost (§12.25).
    """
    if data is None:
        with open(path, 'rb') as handle:
            data = handle.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b'\n') + 1
        raise CsvFileError('%s: line %d: not UTF-8 (byte 0x%02x at offset %d); convert it '
                           'with xivo.confd.user_csv or save it as UTF-8'
                           % (path, line, data[exc.start], exc.start))
    if '\x00' in text:
        line = text[:text.index('\x00')].count('\n') + 1
        raise CsvFileError('%s: line %d: contains a NUL byte (binary file?)' % (path, line))
    reader = csv.reader(io.StringIO(text, newline=''))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        raise CsvFileError('%s: line 1: %s' % (path, exc))
    _check_header(path, header)
    rows = []
    number = 0
    line = reader.line_num + 1
    try:
        for cells in reader:
            start = line
            line = reader.line_num + 1
            if not cells or cells == ['']:
                continue  # blank line: confd skips it too and does not count it
            number += 1
            problem = None
            if len(cells) != len(header):
                problem = ('line %d has %d cells but the header has %d columns'
                           % (start, len(cells), len(header)))
                cells = (cells + [''] * len(header))[:len(header)]
            rows.append(SourceRow(number, start, dict(zip(header, cells)), problem))
    except csv.Error as exc:
        raise CsvFileError('%s: line %d: %s' % (path, line, exc))
    return header, rows


def _check_header(path, header):
    problems = []
    seen = set()
    for position, name in enumerate(header, 1):
        if name in seen:
            problems.append('column %d %r appears twice' % (position, name))
        seen.add(name)
        if name not in KNOWN_COLUMNS:
            close = difflib.get_close_matches(name.strip().lower(), sorted(KNOWN_COLUMNS), 1)
            hint = ' (did you mean %r?)' % close[0] if close else ''
            problems.append('column %d %r is not a confd column%s; confd would silently '
                            'ignore it' % (position, name, hint))
    if 'firstname' not in seen and 'uuid' not in seen:
        problems.append('no firstname column: confd would create no user at all')
    if problems:
        raise CsvFileError('%s: line 1: %s' % (path, '; '.join(problems)))


def check_keys(keys):
    """Refuse key specs that name no confd column (every row would then have no key)."""
    if not keys:
        raise ConfdError('keys: give at least one key, e.g. exten@context')
    for spec in keys:
        unknown = [c for c in spec.replace('+', '@').split('@') if c not in KNOWN_COLUMNS]
        if unknown:
            raise ConfdError('keys: %r names no confd column (%s); use columns joined by @ or +, '
                             'e.g. exten@context, username, email'
                             % (spec, ', '.join(repr(c) for c in unknown)))


def key_value(spec, values):
    """The value of a key spec ('exten@context', 'username', 'a+b') for a row, or None."""
    columns = spec.replace('+', '@').split('@')
    parts = []
    for column in columns:
        part = (values.get(column) or '').strip()
        if not part:
            return None
        parts.append(part.lower() if column in CASE_INSENSITIVE_KEYS else part)
    separator = '@' if '@' in spec else '+'
    return separator.join(parts)


def source_key_value(spec, values):
    """key_value for a row about to be imported.

    The export shows a user's exten only through its line, and confd creates a line only for
    line_protocol sip or sccp (§3.3): an exten without one could never be found again, and a
    re-run would import the user twice, so such a row cannot be keyed by its exten.
    """
    if 'exten' in spec.replace('+', '@').split('@') and \
            (values.get('line_protocol') or '').strip() not in LINE_PROTOCOLS:
        return None
    return key_value(spec, values)


def index_users(users, keys):
    """{spec: {value: [export rows]}} for the server's users."""
    index = dict((spec, {}) for spec in keys)
    for user in users:
        for spec in keys:
            value = key_value(spec, user)
            if value is not None:
                index[spec].setdefault(value, []).append(user)
    return index


def differing_columns(values, user, header, update_password):
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
        if column == 'call_permissions':
            if set(p for p in wanted.split(';') if p) != set(p for p in current.split(';') if p):
                changed.append(column)
            continue
        if column == 'email':
            wanted, current = wanted.lower(), current.lower()
        if wanted != current:
            changed.append(column)
    return changed


class Outcome:
    """The result of one source row."""

    __slots__ = ('row', 'key', 'status', 'uuid', 'error', 'ids', 'changes')

    def __init__(self, row, key=None):
        self.row = row
        self.key = key
        self.status = None
        self.uuid = None
        self.error = None
        self.ids = None
        self.changes = []

    def fail(self, error):
        self.status = 'failed'
        self.error = error

    def as_dict(self):
        values = self.row.values
        name = ('%s %s' % (values.get('firstname', ''), values.get('lastname', ''))).strip()
        result = dict(row=self.row.number, line=self.row.line, key=self.key, name=name,
                      status=self.status, uuid=self.uuid, error=self.error)
        if self.ids is not None:
            result['ids'] = self.ids
        if self.changes:
            result['changed_columns'] = list(self.changes)
        return result


def plan(header, rows, users, keys=DEFAULT_KEYS, update=False, update_password=False,
         validate=None):
    """Decide, for every row, create / update / unchanged / failed; no request is sent.

    validate(values, line) -> list of 'column: reason' strings, for local checks of the rows
    that would be sent (in file order); a row already on the server and unchanged is not sent,
    so it is not checked, which keeps a re-run cheap.
    Returns the list of Outcomes (status 'create', 'update', 'unchanged' or 'failed').
    """
    index = index_users(users, keys)
    seen = dict((spec, {}) for spec in keys)
    outcomes = []
    for row in rows:
        outcome = Outcome(row)
        outcomes.append(outcome)
        row_keys = [(spec, source_key_value(spec, row.values)) for spec in keys]
        row_keys = [(spec, value) for spec, value in row_keys if value is not None]
        outcome.key = '%s=%s' % row_keys[0] if row_keys else None
        if row.problem:
            outcome.fail(row.problem)
            continue
        if not row_keys:
            reason = ('no value for any key column (%s): a re-run could not recognise this '
                      'user, so it is not imported' % ', '.join(keys))
            if any(key_value(spec, row.values) for spec in keys):
                reason += ('; exten@context is no key here: without line_protocol sip or sccp '
                           'confd creates no line, and the export shows an exten only through '
                           'its line (set line_protocol, e.g. user_csv defaults line_protocol: sip)')
            outcome.fail(reason)
            continue
        duplicate = next(((spec, seen[spec][value]) for spec, value in row_keys
                          if value in seen[spec]), None)
        if duplicate:
            outcome.fail('same %s as line %d of the file' % duplicate)
            continue
        for spec, value in row_keys:
            seen[spec][value] = row.line
        match = next(((spec, value) for spec, value in row_keys if value in index[spec]), None)
        if match is None:
            outcome.status = 'create'
        else:
            outcome.key = '%s=%s' % match
            candidates = index[match[0]][match[1]]
            if len(candidates) > 1:
                outcome.fail('%s matches %d users on the server; fix the duplicates first'
                             % (outcome.key, len(candidates)))
                continue
            user = candidates[0]
            outcome.uuid = user.get('uuid') or None
            if update:
                outcome.changes = differing_columns(row.values, user, header, update_password)
            outcome.status = 'update' if outcome.changes else 'unchanged'
        if outcome.status != 'unchanged' and validate:
            problems = validate(row.values, row.line)
            if problems:
                outcome.fail('invalid: ' + '; '.join(problems))
    return outcomes


def csv_body(columns, rows):
    """A UTF-8 CSV body as confd reads it: ',' separated, full-width rows, \\n line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, '') for column in columns])
    return out.getvalue().encode('utf-8')


def users_csv_body(headers, users):
    """The server's users as a confd CSV, in a stable order (the export has none, §11),
    so that a backup of unchanged users is byte-for-byte the same file."""
    def order(user):
        return (user.get('context', ''), user.get('exten', ''), user.get('lastname', ''),
                user.get('firstname', ''), user.get('uuid', ''))
    return csv_body(headers, sorted(users, key=order))


def chunks(items, size):
    size = max(1, size)
    return [items[i:i + size] for i in range(0, len(items), size)]


class Importer:
    """Sends the planned creations and updates, and gives every row its own outcome.

    confd commits a request entirely or not at all (§4): rows it reports in a 400 are failed
    and the others resent; a 500 names no row, so the batch is bisected; a timeout or a lost
    connection is settled by reading the server again, never by resending blindly.
    """

    def __init__(self, client, header, keys=DEFAULT_KEYS, batch_size=100, secrets=()):
        self.client = client
        self.header = list(header)
        self.keys = keys
        self.batch_size = batch_size
        self.secrets = set(secrets)
        self.post_columns = [c for c in self.header if c not in NOT_POSTED]
        self.reconciles = 0
        self.requests = 0

    def _scrub(self, text):
        return scrub_text(text, self.secrets)

    def run(self, outcomes):
        """Send what the plan says; a server that stops answering fails the unsent rows."""
        try:
            creations = [o for o in outcomes if o.status == 'create']
            for batch in chunks(creations, self.batch_size):
                self._send(batch, update=False)
            updates = {}
            for outcome in outcomes:
                if outcome.status == 'update':
                    updates.setdefault(tuple(outcome.changes), []).append(outcome)
            for columns, group in updates.items():
                for batch in chunks(group, self.batch_size):
                    self._send(batch, update=True, columns=('uuid',) + columns)
        except ConfdError as exc:
            reason = 'not imported: %s' % self._scrub(str(exc))
            for outcome in outcomes:
                if outcome.status in ('create', 'update'):
                    outcome.fail(reason)
        return outcomes

    def _body(self, batch, update, columns):
        if update:
            rows = []
            for outcome in batch:
                values = dict(outcome.row.values)
                values['uuid'] = outcome.uuid
                rows.append(values)
            return csv_body(list(columns), rows)
        return csv_body(self.post_columns, [o.row.values for o in batch])

    def _send(self, batch, update, columns=None):
        pending = list(batch)
        uncertain = 0
        while pending:
            self.requests += 1
            try:
                response = self.client.import_csv(self._body(pending, update, columns),
                                                  update=update)
            except ConfdUncertain as exc:
                uncertain += 1
                # PUT sets values, so sending it again is harmless; a POST after a timeout is
                # not, since confd may still be committing the first one.
                pending = self._reconcile(pending, update, self._scrub(str(exc)), uncertain,
                                          resend=update or not exc.timed_out)
                continue
            if response.status == 201:
                self._record_success(pending, response.body, update)
                return
            body = response.body if isinstance(response.body, dict) else {}
            errors = body.get('errors')
            if response.status == 400 and errors:
                reported = self._record_errors(pending, errors)
                if reported:
                    pending = [o for o in pending if o.status != 'failed']
                    continue
            message = 'confd answered %s: %s' % (
                response.status, self._scrub(describe_error_body(response.body,
                                                                 response.text)))
            if len(pending) == 1:
                pending[0].fail(message)
                return
            # The server named no row: split the batch until the guilty rows stand alone.
            middle = len(pending) // 2
            self._send(pending[:middle], update, columns)
            self._send(pending[middle:], update, columns)
            return

    def _record_success(self, pending, body, update):
        entries = [entry for entry in (body or {}).get('updated' if update else 'created') or []
                   if isinstance(entry, dict)]
        # confd numbers the entries (row_number); without numbers, they come in row order.
        by_number = dict((entry.get('row_number', position), entry)
                         for position, entry in enumerate(entries, 1))
        for position, outcome in enumerate(pending, 1):
            entry = by_number.get(position)
            if entry is None:
                outcome.fail('confd reported success but returned no entry for this row')
            elif entry.get('user_id') is None and not update:
                outcome.fail('confd created no user for this row (user_id null)')
            else:
                outcome.status = 'updated' if update else 'created'
                outcome.uuid = entry.get('user_uuid') or outcome.uuid
                outcome.ids = dict((k, v) for k, v in entry.items() if k != 'row_number')

    def _record_errors(self, pending, errors):
        reported = 0
        for error in errors:
            if not isinstance(error, dict):
                continue
            number = (error.get('details') or {}).get('row_number')
            if isinstance(number, int) and 1 <= number <= len(pending):
                outcome = pending[number - 1]
                if outcome.status != 'failed':
                    outcome.fail(self._scrub(str(error.get('message', 'rejected by confd'))))
                    reported += 1
        return reported

    def _reconcile(self, pending, update, reason, attempt, resend=True):
        """After a lost answer: read the server; rows now present are done, the others are
        resent (resend) or failed with advice to re-run later."""
        self.reconciles += 1
        if attempt > MAX_RECONCILE:
            for outcome in pending:
                outcome.fail('%s; gave up after %d attempts, re-run to finish'
                             % (reason, MAX_RECONCILE))
            return []
        try:
            users = self.client.export_users()[1]
        except ConfdError as exc:
            for outcome in pending:
                outcome.fail('%s; then reading the server failed: %s'
                             % (reason, self._scrub(str(exc))))
            return []
        index = index_users(users, self.keys)
        remaining = []
        for outcome in pending:
            user = self._find(index, outcome.row.values)
            if user is not None and not update:
                outcome.status = 'created'
                outcome.uuid = user.get('uuid') or None
            elif user is not None and update and not differing_columns(
                    outcome.row.values, user, outcome.changes, True):
                outcome.status = 'updated'
            elif resend:
                remaining.append(outcome)
            else:
                outcome.fail('%s; not on the server yet, and confd may still be importing it: '
                             're-run later to finish (a re-run never imports a user twice)'
                             % reason)
        return remaining

    def _find(self, index, values):
        for spec in self.keys:
            value = source_key_value(spec, values)
            if value is not None and value in index[spec]:
                return index[spec][value][0]
        return None


def summarize(outcomes):
    summary = dict((status, 0) for status in STATUSES)
    for outcome in outcomes:
        summary[outcome.status] = summary.get(outcome.status, 0) + 1
    summary['total'] = len(outcomes)
    return summary
