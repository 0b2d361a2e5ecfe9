# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What confd 16.15 accepts in one row of a user import CSV, checked before anything is sent.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Pure functions over confd-format rows (``dict`` column -> ``str``, ``''`` for an empty cell,
a missing key for an absent column), usable on a converted legacy row as on any confd CSV.
The rules, messages and their order are what confd 16.12 to 16.15 was observed to answer
(docs/server-behaviour.md#field-rules, #import-check-order, #what-is-unique).
No reason ever contains a cell value, so no secret can leak through a problem.
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import (
    BOOLEAN_COLUMNS, INTEGER_COLUMNS, SECRET_COLUMNS,
)
from ansible_collections.xivo.confd.plugins.module_utils.user_identity import (
    key_value, normalize, unicode_form)

ERROR = 'error'
WARNING = 'warning'


class Problem(namedtuple('Problem', ('column', 'reason', 'severity'))):
    """One finding about one row: the confd column (or None for the whole row), a reason
    that never quotes the value, and ``error`` (confd would reject the row, or the file) or
    ``warning`` (confd accepts it but does not do what the row seems to ask)."""
    __slots__ = ()

    def __new__(cls, column, reason, severity=ERROR):
        return super().__new__(cls, column, reason, severity)


NULL = 'may not be empty (confd: Field may not be null.)'
PATTERN = 'does not match %s (confd: String does not match expected pattern.)'

USERNAME_RE = r'^[a-zA-Z0-9-\._~\!\$&\'\(\)\*\+,;=%@]{2,254}$'
PASSWORD_RE = r'^[a-zA-Z0-9-\._~\!\$&\'\(\)\*\+,;=%]{4,64}$'
MOBILE_RE = r'^\+?[0-9\*#]+$'
LANGUAGE_RE = r'^[a-z]{2}_[A-Z]{2}$'
CALL_PERMISSION_PASSWORD_RE = r'^[0-9#\*]{1,16}$'
VOICEMAIL_NUMBER_RE = r'^[0-9]{1,40}$'
VOICEMAIL_PASSWORD_RE = r'^[0-9]{1,80}$'
SIP_USERNAME_RE = r'^[a-zA-Z0-9_-]{1,40}$'
SIP_SECRET_RE = r'^[\x20-\x7e]{1,80}$'
EXTEN_RE = r'^_[*#0-9_XxZzNn\[\].!-]{1,39}$|^[*#0-9]{1,40}$'

CALLER_ID_MAX = 160     # userfeatures.callerid VARCHAR(160) holds '"firstname lastname"'

# column -> (max length or None, regex text or None)
_STRING_RULES = {
    'firstname': (128, None),
    'lastname': (128, None),
    'userfield': (128, None),
    'email': (254, None),
    'outgoing_caller_id': (80, None),
    'mobile_phone_number': (80, MOBILE_RE),
    'username': (None, USERNAME_RE),
    'password': (None, PASSWORD_RE),
    'language': (None, LANGUAGE_RE),
    'call_permission_password': (None, CALL_PERMISSION_PASSWORD_RE),
    'voicemail_name': (80, None),
    'voicemail_email': (80, None),
    'voicemail_number': (None, VOICEMAIL_NUMBER_RE),
    'voicemail_password': (None, VOICEMAIL_PASSWORD_RE),
    'sip_username': (None, SIP_USERNAME_RE),
    'sip_secret': (None, SIP_SECRET_RE),
    'exten': (None, EXTEN_RE),
    'incall_exten': (None, EXTEN_RE),
}

_RANGES = {
    'ring_seconds': (0, 60),
    'simultaneous_calls': (1, 20),
}

_PATTERN_TEXT = {
    'username': "2-254 of a-z A-Z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = % @",
    'password': "4-64 of a-z A-Z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = %",
    'sip_secret': '1-80 printable ASCII characters',
    'voicemail_password': '1-80 digits',
    'call_permission_password': '1-16 of 0-9 # *',
}

_BOOLEAN_VALUES = frozenset(('0', '1'))


def _build_checks():
    """column -> function(value) -> reason or None, for a non-empty value."""
    checks = {}
    for column, (maximum, pattern) in _STRING_RULES.items():
        match = re.compile(pattern).match if pattern else None
        if column in _PATTERN_TEXT:
            described = _PATTERN_TEXT[column]
        else:
            described = pattern
        checks[column] = _string_check(maximum, match, PATTERN % described)
    for column in BOOLEAN_COLUMNS:
        checks[column] = _boolean_check
    for column in INTEGER_COLUMNS:
        checks[column] = _integer_check(_RANGES.get(column))
    return checks


def _string_check(maximum, match, pattern_reason):
    def check(value):
        if maximum is not None and len(value) > maximum:
            return 'longer than %d characters (confd: Longer than maximum length %d.)' % (maximum, maximum)
        if match is not None and match(value) is None:
            return pattern_reason
        return None
    return check


def _boolean_check(value):
    if value in _BOOLEAN_VALUES:
        return None
    return 'must be 0 or 1'


def _integer_check(bounds):
    def check(value):
        if not (value.isdigit() and value.isascii()):
            return 'must be a whole number written with digits only (confd: wrong type)'
        if bounds is not None:
            low, high = bounds
            if not low <= int(value) <= high:
                return 'must be between %d and %d (confd: Must be between %d and %d.)' % (low, high, low, high)
        return None
    return check


CHECKS = _build_checks()


def validate_value(column, value):
    """The reason why confd 16.15 rejects this non-empty cell on its own, or None."""
    check = CHECKS.get(column)
    if check is None or not value:
        return None
    return check(value)


def voicemail_defined(row):
    """confd creates (or reuses) a voicemail when its number or its context is non-empty."""
    return bool(row.get('voicemail_number') or row.get('voicemail_context'))


def validate_row(row):
    """Every problem confd 16.15 would have with one confd-format row: each cell's own rule in
    column order, then the rules across columns (:data:`ROW_RULES`, in that order).

    ``row`` maps confd column names to stripped or raw strings ('' is an empty cell, a missing
    key an absent column). Unknown columns are ignored, like confd does. Returns a list of
    :class:`Problem`; an empty list means the row passes every rule that can be checked
    without the server (contexts, ranges, entities and profiles need the server).
    """
    problems = cell_problems(row)
    for rule in ROW_RULES:
        problems.extend(rule(row))
    return problems


def cell_problems(row):
    """The problems of each non-empty cell on its own, in column order."""
    problems = []
    for column, value in row.items():
        if not value:
            continue
        if '\x00' in value:
            problems.append(Problem(column, 'holds a NUL character (confd answers 500 for the '
                                            'whole file: line contains NUL)'))
            continue
        check = CHECKS.get(column)
        reason = check(value) if check is not None else None
        if reason is not None:
            problems.append(Problem(column, reason))
    return problems


def firstname_rule(row):
    """confd requires a firstname, and the caller id it makes of the names must fit."""
    firstname = row.get('firstname')
    if firstname is None:
        return [Problem('firstname', 'column missing: confd requires a firstname '
                                     '(confd: Missing data for required field.)')]
    if not firstname:
        return [Problem('firstname', NULL)]
    lastname = row.get('lastname') or ''
    if len(firstname) + len(lastname) + 3 > CALLER_ID_MAX:
        return [Problem('lastname' if lastname else 'firstname',
                        'firstname and lastname are too long together: the caller id '
                        '"firstname lastname" must fit in %d characters '
                        '(confd 16.15 answers 500 and rolls back the whole file)' % CALLER_ID_MAX)]
    return []


def voicemail_rule(row):
    """A voicemail (a number or a context) needs its name, number, context and booleans."""
    if not voicemail_defined(row):
        return []
    problems = []
    for column, what in (('voicemail_name', 'name'), ('voicemail_number', 'number'),
                         ('voicemail_context', 'context')):
        if not row.get(column):
            problems.append(Problem(column, 'a voicemail is defined, so its %s is required (%s)'
                                    % (what, 'confd: Field may not be null.' if column in row
                                       else 'confd: Missing data for required field.')))
    for column in ('voicemail_ask_password', 'voicemail_delete_messages'):
        if column in row and not row[column]:
            problems.append(Problem(column, 'a voicemail is defined: must be 0 or 1, not empty '
                                            '(confd: Field may not be null.)'))
    return problems


def extension_rule(row):
    """An extension and its context go together; * or # outside a pattern breaks the file."""
    problems = []
    for exten_column, context_column in (('exten', 'context'), ('incall_exten', 'incall_context')):
        exten = row.get(exten_column)
        if exten:
            if exten[0] != '_' and ('*' in exten or '#' in exten) and CHECKS[exten_column](exten) is None:
                problems.append(Problem(exten_column, 'an extension holding * or # that is not a '
                                                      'pattern (_...) makes confd 16.15 answer 500 '
                                                      'for the whole file'))
            if not row.get(context_column):
                if exten_column == 'exten':
                    problems.append(Problem(context_column, 'exten is set but context is empty: '
                                                            'confd would silently create no extension'))
                else:
                    problems.append(Problem(context_column, 'incall_exten is set without incall_context: '
                                                            'confd would create an incall with no number'))
        elif exten_column == 'incall_exten' and row.get(context_column):
            problems.append(Problem(exten_column, 'incall_context is set without incall_exten: '
                                                  'confd would create an incall with no number'))
    return problems


def cti_rule(row):
    """Enabling the CTI profile needs a username and a password."""
    if row.get('cti_profile_enabled') == '1' and not (row.get('username') and row.get('password')):
        return [Problem('cti_profile_enabled', 'enabling the CTI profile needs both a username '
                                               'and a password (confd: User must have a username '
                                               'and password to enable a CtiProfile)')]
    return []


def line_rule(row):
    """Warnings: confd 16.15 creates a line only for line_protocol sip or sccp."""
    protocol = row.get('line_protocol')
    if protocol:
        if protocol not in ('sip', 'sccp'):
            return [Problem('line_protocol', 'is neither sip nor sccp: confd 16.15 creates no '
                                             'line for this user', WARNING)]
    elif row.get('context') and (row.get('exten') or row.get('sip_username') or row.get('sip_secret')):
        return [Problem('line_protocol', 'is empty: confd 16.15 creates no line for this user',
                        WARNING)]
    return []


# The rules across columns, in the order validate_row reports them.
ROW_RULES = (firstname_rule, voicemail_rule, extension_rule, cti_rule, line_rule)


# What confd wants unique among the rows of one file, as identity keys (user_identity), with
# the column a duplicate is reported in and how the message names it.
UNIQUE_IN_A_FILE = (
    ('exten@context', 'exten', 'exten@context'),
    ('incall_exten@incall_context', 'incall_exten', 'incall_exten@incall_context'),
    ('username', 'username', 'username'),
    ('sip_username', 'sip_username', 'sip_username'),
    ('email', 'email', 'email (case-insensitive)'),
)


class DuplicateIndex:
    """The unique keys of the rows seen so far, each with the line of the row that has it: the
    in-file duplicate check of the conversion and of the import's validation. Keys are compared
    as identity compares them (user_identity.key_value: one Unicode form, emails without
    case), so that the same person typed twice is one duplicate."""

    def __init__(self):
        self._first = dict((spec, {}) for spec, dummy, dummy2 in UNIQUE_IN_A_FILE)

    def check(self, row, line, record=True):
        """Problems for the keys of ``row`` already used by an earlier row; with ``record`` and
        no such problem, remember this row's keys under ``line`` (a line number or any label)."""
        problems = []
        keys = []
        for spec, column, what in UNIQUE_IN_A_FILE:
            value = key_value(spec, row)
            if value is None:
                continue
            first = self._first[spec].get(value)
            if first is not None:
                problems.append(Problem(column, 'same %s as line %s' % (what, first)))
            keys.append((spec, value))
        if record and not problems:
            for spec, value in keys:
                self._first[spec][value] = line
        return problems

    def __len__(self):
        return sum(len(seen) for seen in self._first.values())


def row_key(row):
    """A readable identity of a user row, secret-free: exten@context, else username, else email,
    else the name."""
    get = row.get
    if get('exten'):
        return '%s@%s' % (get('exten'), get('context') or '')
    if get('username'):
        return 'username:%s' % normalize('username', get('username'))
    if get('email'):
        return 'email:%s' % normalize('email', get('email'))
    return 'name:%s %s' % (unicode_form(get('firstname') or ''), unicode_form(get('lastname') or ''))


def describe_row(row):
    """A one-line, secret-free rendering of a row (secret columns show only whether they are set)."""
    parts = []
    for column, value in row.items():
        if column in SECRET_COLUMNS:
            value = '<set>' if value else ''
        if value:
            parts.append('%s=%s' % (column, value))
    return ', '.join(parts)


class RowDiff:
    """A secret-free comparison of two sets of confd rows, matched by :func:`row_key`.

    Feed the old rows at construction (they are held in memory: diff mode only), then each
    new row with :meth:`add`; :meth:`summary` and :meth:`texts` give the result."""

    def __init__(self, old_rows, limit=100):
        self.limit = limit
        self._old = {}
        counts = {}
        for row in old_rows:
            self._old[self._key(row, counts)] = dict(row)
        self._counts = {}
        self.added = 0
        self.changed = 0
        self.unchanged = 0
        self._added = []
        self._changed = []

    @staticmethod
    def _key(row, counts):
        key = row_key(row)
        seen = counts.get(key, 0) + 1
        counts[key] = seen
        return key if seen == 1 else '%s #%d' % (key, seen)

    def add(self, row):
        key = self._key(row, self._counts)
        old = self._old.pop(key, None)
        if old is None:
            self.added += 1
            if len(self._added) < self.limit:
                self._added.append((key, dict(row)))
            return
        columns = [c for c in sorted(set(old) | set(row)) if (old.get(c) or '') != (row.get(c) or '')]
        if not columns:
            self.unchanged += 1
            return
        self.changed += 1
        if len(self._changed) < self.limit:
            self._changed.append((key, columns, old, dict(row)))

    def feed(self, columns, rows):
        """The ``rows`` (lists of cells in the order of ``columns``), each added on its way."""
        for values in rows:
            self.add(dict(zip(columns, values)))
            yield values

    def summary(self):
        removed = sorted(self._old)
        return {
            'added': self.added, 'removed': len(removed), 'changed': self.changed,
            'unchanged': self.unchanged,
            'added_keys': [key for key, dummy in self._added],
            'removed_keys': removed[:self.limit],
            'changed_keys': [{'key': key, 'columns': columns}
                             for key, columns, dummy, dummy2 in self._changed],
        }

    def texts(self):
        """(before, after): one line per removed/changed/added row, secrets shown as <set>."""
        before, after = [], []
        for key in sorted(self._old)[:self.limit]:
            before.append('%s: %s\n' % (key, describe_row(self._old[key])))
        for key, columns, old, new in self._changed:
            secret = [c for c in columns if c in SECRET_COLUMNS]
            note = ' [secret changed: %s]' % ', '.join(secret) if secret else ''
            before.append('%s: %s\n' % (key, describe_row(old)))
            after.append('%s: %s%s\n' % (key, describe_row(new), note))
        for key, row in self._added:
            after.append('%s: %s\n' % (key, describe_row(row)))
        return ''.join(sorted(before)), ''.join(sorted(after))


def file_validator(rules=validate_row):
    """A checker of the rows of one confd file, in order: ``check(values, line)`` returns the
    errors of the row as ``'column: reason'`` texts, from ``rules`` (a Platform's validate_row;
    by default confd 16.15's) and from the keys confd wants unique within a file (the same
    exten@context twice would give two users one extension)."""
    duplicates = DuplicateIndex()

    def check(values, line):
        problems = [problem for problem in rules(values) if problem.severity == ERROR]
        if not problems:
            problems = duplicates.check(values, line)
        return ['%s: %s' % (problem.column or 'row', problem.reason) for problem in problems]
    return check
