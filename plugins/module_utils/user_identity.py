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
could rename or move the wrong person, so it is a conflict. A row whose voicemail
(number@context) is another person's is a conflict too, unless sharing is allowed: confd 16.15
then shares that voicemail with the new user and renames it to the new user's name.

Every identity value is compared in one Unicode normal form (NFC), ignoring case where confd
does (emails) or where a person would (names); a match that only normalisation made is said.
Server facts: what confd keeps unique, and how it compares (docs/server-behaviour.md#what-is-unique).
"""

from __future__ import annotations

import functools
import unicodedata

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
# A voicemail is found by its number@context: confd 16.15 reuses an existing one for a new user
# (shared), and renames it to the new user's name when that user gets a line.
VOICEMAIL_KEY = 'voicemail_number@voicemail_context'
# Compared without case: emails, as confd does (SQL lower()); names, as a person would. confd
# compares usernames, SIP names, extensions and context names with their case.
CASELESS_COLUMNS = frozenset(('email',))
NAME_COLUMNS = frozenset(('firstname', 'lastname'))
UNICODE_FORM = 'NFC'

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


def unicode_form(text):
    """``text`` in the one Unicode normal form identity values are compared in (NFC): 'e' plus a
    combining acute accent and the precomposed 'é' are the same letter, typed on two systems."""
    if text.isascii():
        return text
    return unicodedata.normalize(UNICODE_FORM, text)


def _folded(column, value, form):
    value = (value or '').strip()
    if form:
        value = unicode_form(value)
    if column in CASELESS_COLUMNS:
        return value.lower()
    if column in NAME_COLUMNS:
        value = ' '.join(value.split()).casefold()
        return unicode_form(value) if form else value
    return value


def normalize(column, value):
    """A cell as identity compares it: trimmed and in NFC; email without case (as confd); names
    without case or extra spaces (the same person typed twice); anything else exact (confd
    compares usernames, SIP names and extensions with case, as observed on 16.15)."""
    return _folded(column, value, True)


def form_name(text):
    """Which normal form a string is in, for a person: 'NFC', 'NFD' or 'mixed'."""
    if unicodedata.is_normalized('NFC', text):
        return 'NFC'
    if unicodedata.is_normalized('NFD', text):
        return 'NFD'
    return 'neither NFC nor NFD'


def normalisation_note(column, mine, theirs):
    """A note when ``mine`` and ``theirs`` are the same identity value only in NFC, else None."""
    mine, theirs = (mine or '').strip(), (theirs or '').strip()
    if _folded(column, mine, False) == _folded(column, theirs, False) or \
            normalize(column, mine) != normalize(column, theirs):
        return None
    return ('matched after Unicode normalisation: %s file %r (%s), server %r (%s)'
            % (column, mine, form_name(mine), theirs, form_name(theirs)))


def code_points(text):
    return ' '.join('U+%04X' % ord(char) for char in text) or 'nothing'


def _plain(text):
    return text.isascii() and text.isprintable()


def where_they_differ(mine, theirs, first='the file', second='the server'):
    """'' for two values a person tells apart (printable ASCII), else where they differ, by
    code points: 'from character 2 the file has U+0065 U+0301 where the server has U+00E9'."""
    if _plain(mine) and _plain(theirs):
        return ''
    start = 0
    while start < min(len(mine), len(theirs)) and mine[start] == theirs[start]:
        start += 1
    end = 0
    while end < min(len(mine), len(theirs)) - start and mine[-1 - end] == theirs[-1 - end]:
        end += 1
    return 'from character %d %s has %s where %s has %s' % (
        start + 1, first, code_points(mine[start:len(mine) - end]), second,
        code_points(theirs[start:len(theirs) - end]))


def contrast(column, mine, theirs):
    """'column (file 'x', server 'y')', with the code points where they differ when the two may
    render alike (anything but printable ASCII): never "file 'Hélène', server 'Hélène'"."""
    apart = where_they_differ(mine, theirs)
    return '%s (file %r, server %r%s)' % (column, mine, theirs, '; ' + apart if apart else '')


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
    line_protocol sip or sccp (docs/server-behaviour.md#silently-accepted-rows): an exten without
    one could never be found again, and a re-run would import the user twice, so such a row cannot
    be keyed by its exten.
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
    specs = list(keys) + [s for s in cross_specs(keys) if s not in keys]
    return UserIndex(users, specs + [NAME_KEY, VOICEMAIL_KEY])


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
    """[(spec, file value, server value)] where both have a value and they differ (in NFC)."""
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


def agreement_notes(values, user, header, keys):
    """The notes of the identity values that agree only in NFC (see normalisation_note)."""
    present = set(header)
    notes = []
    for spec in _compared(keys):
        if set(key_columns(spec)) <= present:
            note = normalisation_note(spec, _shown(spec, values), _shown(spec, user))
            if note:
                notes.append(note)
    return notes


def _shown(spec, values):
    return '@'.join((values.get(c) or '').strip() for c in key_columns(spec)) \
        if '@' in spec else '+'.join((values.get(c) or '').strip() for c in key_columns(spec))


class Match:
    """What a row is on the server: ``user`` (or None: a new user), or a ``conflict`` (a list
    of reasons) with the server users involved, or an ``error`` (the row cannot be keyed).
    ``notes``: what the operator should know of a trusted match (normalisation decided it,
    another person's voicemail will be shared); ``shared_voicemail``: that voicemail, with the
    name it has before the import (what a rollback restores)."""

    __slots__ = ('user', 'conflict', 'involved', 'error', 'notes', 'shared_voicemail')

    def __init__(self, user=None, conflict=None, involved=(), error=None, notes=(),
                 shared_voicemail=None):
        self.user = user
        self.conflict = conflict or []
        self.involved = list(involved)
        self.error = error
        self.notes = list(notes)
        self.shared_voicemail = shared_voicemail


def has_line(values):
    """confd 16.15 creates a line only with a context and line_protocol sip or sccp."""
    return bool((values.get('context') or '').strip()) and \
        (values.get('line_protocol') or '').strip() in LINE_PROTOCOLS


def full_name(values):
    return ' '.join(p for p in ((values.get('firstname') or '').strip(),
                                (values.get('lastname') or '').strip()) if p)


def voicemail_owners(values, index, user):
    """The server users, other than the row's own ``user``, whose voicemail is the row's
    number@context; [] when the row names none or its own user already has it."""
    value = key_value(VOICEMAIL_KEY, values)
    if value is None:
        return []
    owners = index.find(VOICEMAIL_KEY, value)
    if user is not None and any(owner is user for owner in owners):
        return []       # already shared with the row's own user: the row changes nothing
    return [owner for owner in owners if owner is not user]


def shared_voicemail(values, owners, renames=True):
    """What sharing another person's voicemail changes, for the report (a rollback puts the
    name back): the voicemail, its users, its name before, and the name confd gives it
    (``renames``: the server renames a shared voicemail, as 16.15 does; Wazo 26.08 keeps it)."""
    return dict(number=values.get('voicemail_number', '').strip(),
                context=values.get('voicemail_context', '').strip(),
                users=[owner.get('uuid') for owner in owners if owner.get('uuid')],
                previous_name=owners[0].get('voicemail_name') or '',
                renamed_to=full_name(values) if renames and has_line(values) else None)


def _voicemail_text(values, owners):
    return '%s=%s' % (VOICEMAIL_KEY, _shown(VOICEMAIL_KEY, values)), \
        '; '.join(describe_user(u) for u in owners[:5])


def match_row(values, header, index, keys, identity, identity_may_change=False,
              share_voicemails=False, renames_voicemail=True, more_conflicts=None):
    """Match one row, by its identity, to a server user, and check that it is the same person.

    ``identity_may_change``: the operator updates identity columns on purpose, so a match
    that disagrees on them is not a conflict (their other keys must still be their own).
    ``share_voicemails``: a voicemail of another person may be shared with the row's user (and
    renamed by confd when ``renames_voicemail``); otherwise it is a conflict, like a key of
    another person. ``more_conflicts(values, user)``: what else makes the row another person's
    on this server (its platform's rules), as [(reason, server users)].
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
    reasons, involved, notes = [], [], []
    for other in cross_specs(keys):
        if other == spec:
            continue
        mine = key_value(other, values)
        owners = [u for u in index.find(other, mine) if u is not user]
        if owners:
            reasons.append('%s=%s belongs to %s' % (
                other, _shown(other, values), '; '.join(describe_user(u) for u in owners[:5])))
            involved.extend(o for o in owners if o not in involved)
    voicemail_of = voicemail_owners(values, index, user)
    shared = None
    if voicemail_of:
        key, people = _voicemail_text(values, voicemail_of)
        previous = voicemail_of[0].get('voicemail_name') or ''
        rename = ('rename it from %r to %r' % (previous, full_name(values))
                  if renames_voicemail and has_line(values) else 'keep its name %r' % previous)
        if share_voicemails:
            shared = shared_voicemail(values, voicemail_of, renames_voicemail)
            notes.append('%s is the voicemail of %s: it will be shared with this user, and confd '
                         'will %s (share_voicemails is on)' % (key, people, rename))
        else:
            reasons.append('%s is the voicemail of %s: confd would share it with this user and '
                           '%s; choose another voicemail number, or set share_voicemails to '
                           'allow it' % (key, people, rename))
            involved.extend(o for o in voicemail_of if o not in involved)
    for reason, owners in (more_conflicts(values, user) if more_conflicts else ()):
        reasons.append(reason)
        involved.extend(o for o in owners if o not in involved)
    if user is not None and not identity_may_change:
        differing = disagreements(values, user, header, keys)
        if differing:
            reasons.append('%s=%s is %s, and the file disagrees on %s' % (
                spec, value, describe_user(user), ', '.join(
                    contrast(*item) for item in differing)))
    if user is not None:
        notes[:0] = agreement_notes(values, user, header, keys)
    if not reasons:
        return Match(user=user, notes=notes, shared_voicemail=shared)
    if user is None:
        reasons = ['%s=%s is on no server user, but %s' % (spec, value, '; and '.join(reasons))]
    elif user not in involved:
        involved.insert(0, user)
    return Match(user=user, conflict=reasons, involved=involved, notes=notes)
