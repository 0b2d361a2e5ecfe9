# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What confd 16.15 accepts in one row of a user import CSV, checked before anything is sent.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Pure functions over confd-format rows (``dict`` column -> ``str``, ``''`` for an empty cell,
a missing key for an absent column), usable on a converted legacy row as on any confd CSV.
Source: reference confd-user-import.md §3.2 (16.12-16.15 deltas) and §12 (5, 12, 14, 15, 16).
No reason ever contains a cell value, so no secret can leak through a problem.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
from collections import defaultdict, namedtuple

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import (
    BOOLEAN_COLUMNS, INTEGER_COLUMNS, SECRET_COLUMNS,
)
from ansible_collections.xivo.confd.plugins.module_utils.user_identity import (
    normalize, unicode_form)

ERROR = 'error'
WARNING = 'warning'


class Problem(namedtuple('Problem', ('column', 'reason', 'severity'))):
    """One finding about one row: the confd column (or None for the whole row), a reason
    that never quotes the value, and ``error`` (confd would reject the row, or the file) or
    ``warning`` (confd accepts it but does not do what the row seems to ask)."""
    __slots__ = ()

    def __new__(cls, column, reason, severity=ERROR):
        return super(Problem, cls).__new__(cls, column, reason, severity)


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
    """Every problem confd 16.15 would have with one confd-format row, in column order.

    ``row`` maps confd column names to stripped or raw strings ('' is an empty cell, a missing
    key an absent column). Unknown columns are ignored, like confd does. Returns a list of
    :class:`Problem`; an empty list means the row passes every rule that can be checked
    without the server (contexts, ranges, entities and profiles need the server).
    """
    problems = []
    get = row.get
    for column, value in row.items():
        if value:
            if '\x00' in value:
                problems.append(Problem(column, 'holds a NUL character (confd answers 500 for the '
                                                'whole file: line contains NUL)'))
                continue
            check = CHECKS.get(column)
            if check is not None:
                reason = check(value)
                if reason is not None:
                    problems.append(Problem(column, reason))

    firstname = get('firstname')
    if firstname is None:
        problems.append(Problem('firstname', 'column missing: confd requires a firstname '
                                             '(confd: Missing data for required field.)'))
    elif not firstname:
        problems.append(Problem('firstname', NULL))
    else:
        lastname = get('lastname') or ''
        if len(firstname) + len(lastname) + 3 > CALLER_ID_MAX:
            problems.append(Problem(
                'lastname' if lastname else 'firstname',
                'firstname and lastname are too long together: the caller id '
                '"firstname lastname" must fit in %d characters '
                '(confd 16.15 answers 500 and rolls back the whole file)' % CALLER_ID_MAX))

    if voicemail_defined(row):
        for column, what in (('voicemail_name', 'name'), ('voicemail_number', 'number'),
                             ('voicemail_context', 'context')):
            if not get(column):
                problems.append(Problem(column, 'a voicemail is defined, so its %s is required (%s)'
                                        % (what, 'confd: Field may not be null.' if column in row
                                           else 'confd: Missing data for required field.')))
        for column in ('voicemail_ask_password', 'voicemail_delete_messages'):
            if column in row and not row[column]:
                problems.append(Problem(column, 'a voicemail is defined: must be 0 or 1, not empty '
                                                '(confd: Field may not be null.)'))

    for exten_column, context_column in (('exten', 'context'), ('incall_exten', 'incall_context')):
        exten = get(exten_column)
        if exten:
            if exten[0] != '_' and ('*' in exten or '#' in exten) and CHECKS[exten_column](exten) is None:
                problems.append(Problem(exten_column, 'an extension holding * or # that is not a '
                                                      'pattern (_...) makes confd 16.15 answer 500 '
                                                      'for the whole file'))
            if not get(context_column):
                if exten_column == 'exten':
                    problems.append(Problem(context_column, 'exten is set but context is empty: '
                                                            'confd would silently create no extension'))
                else:
                    problems.append(Problem(context_column, 'incall_exten is set without incall_context: '
                                                            'confd would create an incall with no number'))
        elif exten_column == 'incall_exten' and get(context_column):
            problems.append(Problem(exten_column, 'incall_context is set without incall_exten: '
                                                  'confd would create an incall with no number'))

    if get('cti_profile_enabled') == '1' and not (get('username') and get('password')):
        problems.append(Problem('cti_profile_enabled', 'enabling the CTI profile needs both a username '
                                                       'and a password (confd: User must have a username '
                                                       'and password to enable a CtiProfile)'))

    protocol = get('line_protocol')
    if protocol:
        if protocol not in ('sip', 'sccp'):
            problems.append(Problem('line_protocol', 'is neither sip nor sccp: confd 16.15 creates no '
                                                     'line for this user', WARNING))
    elif get('context') and (get('exten') or get('sip_username') or get('sip_secret')):
        problems.append(Problem('line_protocol', 'is empty: confd 16.15 creates no line for this user',
                                WARNING))
    return problems


# Fast path: the per-column rules as one regular expression over the row joined by NUL, which no
# cell pattern matches (a cell holding one is an error, found by validate_row).
JOINED_BY = '\x00'
_FAST_PATTERNS = {
    'ring_seconds': r'(?:0*(?:[0-9]|[1-5][0-9]|60))?',
    'simultaneous_calls': r'(?:0*(?:[1-9]|1[0-9]|20))?',
}


def _fast_pattern(column):
    if column in _FAST_PATTERNS:
        return _FAST_PATTERNS[column]
    if column in BOOLEAN_COLUMNS:
        return '[01]?'
    if column in INTEGER_COLUMNS:
        return '[0-9]*'
    rule = _STRING_RULES.get(column)
    if rule is None:
        return '[^\x00]*'
    maximum, pattern = rule
    if pattern is None:
        return '[^\x00]{0,%d}' % maximum
    body = '|'.join(part[1:-1] if part.endswith('$') else part[1:]
                    for part in pattern.split('$|'))
    if maximum is not None:
        return '(?=[^\x00]{0,%d}(?:\x00|$))(?:%s|)' % (maximum, body)
    # (?:...|) rather than (?:...)?: the same language, a cheaper loop in the re engine.
    return '(?:%s|)' % body


class RowValidator(object):
    """validate_row for rows given as lists of values in a fixed column order, fast for the
    common case: one regular expression checks every cell, a few comparisons the cross-column
    rules; anything suspicious goes through :func:`validate_row` for the exact problems."""

    def __init__(self, columns):
        self.columns = tuple(columns)
        self._match = re.compile(JOINED_BY.join(_fast_pattern(c) for c in self.columns), re.S).fullmatch
        self.quick = self._build_quick()

    def _build_quick(self):
        """quick(values) -> the row joined by NUL (:data:`JOINED_BY`) when it certainly passes
        every rule (the common case), which the caller may reuse to write the row; None sends it
        to :func:`validate_row`. Straight-line code over the positions of the columns (None for
        an absent one): it runs once per row."""
        match = self._match
        get = dict((c, i) for i, c in enumerate(self.columns)).get
        first, last = get('firstname'), get('lastname')
        vm_name, vm_number, vm_context = (get('voicemail_name'), get('voicemail_number'),
                                          get('voicemail_context'))
        vm_columns = vm_name is not None and vm_number is not None and vm_context is not None
        vm_booleans = tuple(i for i in (get('voicemail_ask_password'),
                                        get('voicemail_delete_messages')) if i is not None)
        exten, context = get('exten'), get('context')
        incall, incall_context = get('incall_exten'), get('incall_context')
        cti = get('cti_profile_enabled')
        username, password = get('username'), get('password')
        credentials = username is not None and password is not None
        protocol = get('line_protocol')
        line_parts = tuple(i for i in (exten, get('sip_username'), get('sip_secret'))
                           if i is not None)
        join = JOINED_BY.join
        limit = CALLER_ID_MAX - 3

        def quick(values):
            if first is None or not values[first]:
                return None
            joined = join(values)
            if match(joined) is None:
                return None
            if len(values[first]) + (len(values[last]) if last is not None else 0) > limit:
                return None
            if ((vm_number is not None and values[vm_number])
                    or (vm_context is not None and values[vm_context])):
                if not (vm_columns and values[vm_name] and values[vm_number]
                        and values[vm_context]):
                    return None
                for i in vm_booleans:
                    if not values[i]:
                        return None
            if exten is not None:
                value = values[exten]
                if value and (context is None or not values[context] or (
                        value[0] != '_' and ('*' in value or '#' in value))):
                    return None
            if incall is not None:
                value = values[incall]
                if value:
                    if incall_context is None or not values[incall_context] or (
                            value[0] != '_' and ('*' in value or '#' in value)):
                        return None
                elif incall_context is not None and values[incall_context]:
                    return None
            elif incall_context is not None and values[incall_context]:
                return None
            if cti is not None and values[cti] == '1' and not (
                    credentials and values[username] and values[password]):
                return None
            if protocol is not None and values[protocol]:
                if values[protocol] not in ('sip', 'sccp'):
                    return None
            elif context is not None and values[context]:
                for i in line_parts:
                    if values[i]:
                        return None
            return joined
        return quick

    def __call__(self, values):
        if self.quick(values):
            return []
        return validate_row(dict(zip(self.columns, values)))


def has_errors(problems):
    for problem in problems:
        if problem.severity == ERROR:
            return True
    return False


DUPLICATE_KEYS = (
    ('exten', 'exten@context'),
    ('incall', 'incall_exten@incall_context'),
    ('username', 'username'),
    ('email', 'email (case-insensitive)'),
    ('sip_username', 'sip_username'),
)


def row_keys(row):
    """The values that must be unique among the rows of one import, as (kind, column, key); the
    key of an extension is (its context, the extension)."""
    keys = []
    get = row.get
    exten = get('exten')
    if exten:
        keys.append(('exten', 'exten', (get('context') or '', exten)))
    exten = get('incall_exten')
    if exten:
        keys.append(('incall', 'incall_exten', (get('incall_context') or '', exten)))
    # Usernames and emails as identity compares them (user_identity.normalize: one Unicode
    # form, emails without case): the same person typed twice is one duplicate.
    for kind in ('username', 'sip_username', 'email'):
        value = get(kind)
        if value:
            keys.append((kind, kind, normalize(kind, value)))
    return keys


class DuplicateIndex(object):
    """Remembers the unique keys of the rows seen so far (memory: one entry per key). The
    extensions are kept per context, {context: {exten: line}}: a row's key is then two lookups
    of strings it already holds, where 'exten@context' would be a new string per row."""

    _WHAT = dict(DUPLICATE_KEYS)
    _PER_CONTEXT = ('exten', 'incall')

    def __init__(self):
        self._seen = dict((kind, defaultdict(dict) if kind in self._PER_CONTEXT else {})
                          for kind, dummy in DUPLICATE_KEYS)

    def _table(self, kind, key):
        """(the dict that holds ``key`` of this kind, the key in it)."""
        if kind in self._PER_CONTEXT:
            context, exten = key
            return self._seen[kind][context], exten
        return self._seen[kind], key

    def check(self, row, line, record=True):
        """Problems for the keys of ``row`` already used by an earlier row; with ``record`` and
        no such problem, remember this row's keys under ``line`` (a line number or any label)."""
        problems = []
        new = []
        for kind, column, key in row_keys(row):
            table, key = self._table(kind, key)
            first = table.get(key)
            if first is not None:
                problems.append(Problem(column, 'same %s as line %s' % (self._WHAT[kind], first)))
            else:
                new.append((table, key))
        if record and not problems:
            for table, key in new:
                table[key] = line
        return problems

    def __len__(self):
        return sum(sum(len(table) for table in seen.values()) if kind in self._PER_CONTEXT
                   else len(seen) for kind, seen in self._seen.items())

    def bind(self, columns):
        """A faster ``check(values, line, record=True)`` for rows given as lists in the order
        of ``columns``; it shares this index. Straight-line code, one test per absent column:
        it runs once per row of a conversion, and almost every row clashes with nothing."""
        get = dict((c, i) for i, c in enumerate(columns)).get
        seen = self._seen
        exten, context = get('exten'), get('context')
        incall, incall_context = get('incall_exten'), get('incall_context')
        username, email, sip_username = get('username'), get('email'), get('sip_username')
        exten_seen, incall_seen = seen['exten'], seen['incall']
        username_seen, email_seen, sip_seen = seen['username'], seen['email'], seen['sip_username']
        reasons = dict((kind, 'same %s as line %%s' % what) for kind, what in DUPLICATE_KEYS)
        table_of = self._table

        def keys(values):
            """(table, key, column, reason) of the row's keys, as :func:`row_keys` makes them."""
            for kind, column, key in row_keys(dict(zip(columns, values))):
                table, key = table_of(kind, key)
                yield table, key, column, reasons[kind]

        def check(values, line, record=True):
            clash = False
            if exten is not None:
                value = values[exten]
                if value and exten_seen[values[context] if context is not None else ''].setdefault(
                        value, line) != line:
                    clash = True
            if incall is not None:
                value = values[incall]
                if value and incall_seen[values[incall_context] if incall_context is not None
                                         else ''].setdefault(value, line) != line:
                    clash = True
            if username is not None:
                value = values[username]
                if value and username_seen.setdefault(normalize('username', value),
                                                      line) != line:
                    clash = True
            if email is not None:
                value = values[email]
                if value and email_seen.setdefault(normalize('email', value), line) != line:
                    clash = True
            if sip_username is not None:
                value = values[sip_username]
                if value and sip_seen.setdefault(normalize('sip_username', value),
                                                 line) != line:
                    clash = True
            if not clash and record:
                return []
            problems = []
            for table, key, column, reason in keys(values):
                first = table[key]
                if first != line:
                    problems.append(Problem(column, reason % first))
            for table, key, column, reason in keys(values):       # undo this row's keys
                if table.get(key) == line:
                    del table[key]
            return problems
        return check


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


class RowDiff(object):
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


def file_validator():
    """A checker of the rows of one confd file, in order: ``check(values, line)`` returns the
    errors of the row as ``'column: reason'`` texts, from the confd 16.15 rules and from the keys
    confd wants unique within a file (the same exten@context twice would give two users one
    extension)."""
    duplicates = DuplicateIndex()

    def check(values, line):
        problems = [problem for problem in validate_row(values) if problem.severity == ERROR]
        if not problems:
            problems = duplicates.check(values, line)
        return ['%s: %s' % (problem.column or 'row', problem.reason) for problem in problems]
    return check
