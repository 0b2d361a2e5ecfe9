# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who a CSV row is on a server: its identity key, the server user it matches, and why a
match cannot be trusted (a conflict). Used by the import and by the rollback.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

A row's identity is the first of the configured keys that has a value; when none has one, the
user's name (firstname, then lastname) is a last resort. A match is only trusted when the
row's other keys do not belong to another server user and the identity columns (firstname,
lastname, username, email, exten@context) agree with the matched user: otherwise the row
could rename or move the wrong person, so it is a conflict.
Server facts: reference confd-user-import.md §5, §7 (keys), §12.22 (username/email unique).
"""

from __future__ import annotations

import functools

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import (
    EXPORT_COLUMNS, SECRET_COLUMNS, UPDATE_COLUMNS)

DEFAULT_KEYS = ('exten@context', 'username', 'email')
# The last-resort identity of a row that has no value for any key (e.g. a names-only file).
NAME_KEY = 'firstname+lastname'
# Unique on a 16.12+ server whatever the configured keys: a row whose value for one of them
# belongs to another user is that other user's, or cannot be created.
UNIQUE_KEYS = ('exten@context', 'username', 'email')
# Columns that say who a user is: a match that disagrees on one of them is another person.
IDENTITY_COLUMNS = ('firstname', 'lastname', 'username', 'email')
LINE_PROTOCOLS = ('sip', 'sccp')
KNOWN_COLUMNS = frozenset(UPDATE_COLUMNS) | frozenset(EXPORT_COLUMNS)


class KeySpecError(ValueError):
    """A key specification that cannot identify a user."""


@functools.lru_cache(maxsize=256)
def key_columns(spec):
    """The columns of a key spec: 'exten@context' -> ('exten', 'context'). Remembered: it is
    asked for several times per row and per server user when a file is matched."""
    return tuple(spec.replace('+', '@').split('@'))


def check_keys(keys):
    """Refuse key specs that cannot identify a user; returns None or raises KeySpecError."""
    if not keys:
        raise KeySpecError('keys: give at least one key, e.g. exten@context')
    for spec in keys:
        columns = key_columns(spec)
        unknown = [c for c in columns if c not in KNOWN_COLUMNS]
        if unknown:
            raise KeySpecError('keys: %r names no confd column (%s); use columns joined by @ or '
                               '+, e.g. exten@context, username, email'
                               % (spec, ', '.join(repr(c) for c in unknown)))
        secret = [c for c in columns if c in SECRET_COLUMNS]
        if secret:
            # A key is printed in every result and report: a secret must never be one.
            raise KeySpecError('keys: %r uses the secret column %s: secrets are never keys '
                               '(they would be printed in every result and report)'
                               % (spec, ', '.join(repr(c) for c in secret)))
        if 'uuid' in columns and len(columns) > 1:
            raise KeySpecError('keys: %r: uuid is a key on its own (a uuid names one user)' % spec)


def normalize(column, value):
    """A cell as keys compare it: trimmed; email without case; names without case or extra
    spaces (the same person typed twice); anything else exact (confd compares usernames, SIP
    names and extensions with case, §13.3)."""
    value = (value or '').strip()
    if column == 'email':
        return value.lower()
    if column in ('firstname', 'lastname'):
        return ' '.join(value.split()).casefold()
    return value


def name_value(values):
    """The last-resort identity: firstname (required) and lastname (may be empty)."""
    first = normalize('firstname', values.get('firstname'))
    if not first:
        return None
    return '%s+%s' % (first, normalize('lastname', values.get('lastname')))


def key_value(spec, values):
    """The value of a key spec ('exten@context', 'username', 'a+b') for a row, or None."""
    if spec == NAME_KEY:
        return name_value(values)
    parts = []
    for column in key_columns(spec):
        part = normalize(column, values.get(column))
        if not part:
            return None
        parts.append(part)
    return ('@' if '@' in spec else '+').join(parts)


def row_key_value(spec, values):
    """key_value for a row about to be imported.

    The export shows a user's exten only through its line, and confd creates a line only for
    line_protocol sip or sccp (§3.3): an exten without one could never be found again, and a
    re-run would import the user twice, so such a row cannot be keyed by its exten.
    """
    if 'exten' in key_columns(spec) and \
            (values.get('line_protocol') or '').strip() not in LINE_PROTOCOLS:
        return None
    return key_value(spec, values)


def row_identity(values, keys, name_fallback=True):
    """(spec, value) of the first key the row has a value for, else its name, else None."""
    for spec in keys:
        value = row_key_value(spec, values)
        if value is not None:
            return spec, value
    if name_fallback:
        value = name_value(values)
        if value is not None:
            return NAME_KEY, value
    return None


def cross_specs(keys):
    """The specs checked against other users besides a row's identity."""
    specs = []
    for spec in tuple(keys) + UNIQUE_KEYS:
        if spec not in specs and spec not in (NAME_KEY, 'uuid'):
            specs.append(spec)
    return specs


class UserIndex:
    """The server's users (export rows) by the value of each key spec."""

    def __init__(self, users, specs):
        self.users = list(users)
        self._by_spec = {}
        for spec in specs:
            self.add_spec(spec)

    def add_spec(self, spec):
        if spec in self._by_spec:
            return
        index = {}
        for user in self.users:
            value = key_value(spec, user)
            if value is not None:
                index.setdefault(value, []).append(user)
        self._by_spec[spec] = index

    def find(self, spec, value):
        if value is None:
            return []
        return self._by_spec[spec].get(value, [])


def index_for(users, keys):
    specs = list(keys) + [s for s in cross_specs(keys) if s not in keys] + [NAME_KEY]
    return UserIndex(users, specs)


def describe_user(user):
    """A server user for a person, secret-free: 'Bob Jones' (uuid ..., exten 1001@default, ...)."""
    name = ' '.join(p for p in (user.get('firstname'), user.get('lastname')) if p) or '(no name)'
    details = ['uuid %s' % (user.get('uuid') or '?')]
    if user.get('exten'):
        details.append('exten %s@%s' % (user['exten'], user.get('context') or ''))
    for column in ('username', 'email'):
        if user.get(column):
            details.append('%s %s' % (column, user[column]))
    return '%r (%s)' % (name, ', '.join(details))


def _compared(keys):
    """Identity columns and specs compared between a row and the user it matches."""
    specs = list(IDENTITY_COLUMNS)
    for spec in ('exten@context',) + tuple(keys):
        if spec not in specs and spec not in (NAME_KEY, 'uuid'):
            specs.append(spec)
    return specs


def disagreements(values, user, header, keys):
    """[(spec, file value, server value)] where both have a value and they differ."""
    present = set(header)
    found = []
    for spec in _compared(keys):
        if not set(key_columns(spec)) <= present:
            continue
        mine = key_value(spec, values)
        theirs = key_value(spec, user)
        if mine and theirs and mine != theirs:
            found.append((spec, _shown(spec, values), _shown(spec, user)))
    return found


def _shown(spec, values):
    return '@'.join((values.get(c) or '').strip() for c in key_columns(spec)) \
        if '@' in spec else '+'.join((values.get(c) or '').strip() for c in key_columns(spec))


class Match:
    """What a row is on the server: ``user`` (or None: a new user), or a ``conflict`` (a list
    of reasons) with the server users involved, or an ``error`` (the row cannot be keyed)."""

    __slots__ = ('user', 'conflict', 'involved', 'error')

    def __init__(self, user=None, conflict=None, involved=(), error=None):
        self.user = user
        self.conflict = conflict or []
        self.involved = list(involved)
        self.error = error


def match_row(values, header, index, keys, identity, identity_may_change=False):
    """Match one row, by its identity, to a server user, and check that it is the same person.

    ``identity_may_change``: the operator updates identity columns on purpose, so a match
    that disagrees on them is not a conflict (their other keys must still be their own).
    """
    spec, value = identity
    candidates = index.find(spec, value)
    if spec == 'uuid' and not candidates:
        return Match(error='uuid %s is not on the server: confd ignores the uuid column when it '
                           'creates users, so a row keyed by uuid can only update an existing '
                           'user' % value)
    if len(candidates) > 1:
        return Match(conflict=['%s=%s matches %d server users: %s' % (
            spec, value, len(candidates), '; '.join(describe_user(u) for u in candidates[:5]))],
            involved=candidates)
    user = candidates[0] if candidates else None
    reasons, involved = [], []
    for other in cross_specs(keys):
        if other == spec:
            continue
        mine = key_value(other, values)
        owners = [u for u in index.find(other, mine) if u is not user]
        if owners:
            reasons.append('%s=%s belongs to %s' % (
                other, _shown(other, values), '; '.join(describe_user(u) for u in owners[:5])))
            involved.extend(o for o in owners if o not in involved)
    if user is not None and not identity_may_change:
        differing = disagreements(values, user, header, keys)
        if differing:
            reasons.append('%s=%s is %s, and the file disagrees on %s' % (
                spec, value, describe_user(user), ', '.join(
                    '%s (file %r, server %r)' % item for item in differing)))
    if not reasons:
        return Match(user=user)
    if user is None:
        reasons = ['%s=%s is on no server user, but %s' % (spec, value, '; and '.join(reasons))]
    elif user not in involved:
        involved.insert(0, user)
    return Match(user=user, conflict=reasons, involved=involved)
