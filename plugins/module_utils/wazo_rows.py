# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wazo Platform, the row side: its CSV columns, the rules of a row (validate_row), and the
adaptation of platform-neutral rows to Wazo (adapt_rows: contexts, ignored columns, logins).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

``platform_wazo.WazoPlatform`` (the one Wazo ``Platform``) delegates to these functions.
"""

from __future__ import annotations

import re

from ansible_collections.xivo.confd.plugins.module_utils import confd_columns, confd_rules
from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import (
    ERROR, NULL, WARNING, Problem)
from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    RowProblem, line_of, row_values, with_values)
from ansible_collections.xivo.confd.plugins.module_utils.user_identity import normalize


# -- the rows: columns, rules, adaptation of platform-neutral rows ----------------------------

CALL_RECORD_COLUMNS = (
    'call_record_outgoing_external_enabled', 'call_record_outgoing_internal_enabled',
    'call_record_incoming_external_enabled', 'call_record_incoming_internal_enabled',
)

# Columns POST /1.1/users/import reads on 26.08, in the order rows are written for it.
IMPORT_COLUMNS = (
    'firstname', 'lastname', 'email', 'username', 'password', 'language',
    'outgoing_caller_id', 'mobile_phone_number', 'userfield', 'call_permission_password',
    'enabled', 'subscription_type', 'ring_seconds', 'simultaneous_calls',
    'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
) + CALL_RECORD_COLUMNS + (
    'online_call_record_enabled',
    'context', 'line_protocol', 'exten', 'sip_username', 'sip_secret',
    'incall_exten', 'incall_context', 'incall_ring_seconds',
    'voicemail_name', 'voicemail_number', 'voicemail_context', 'voicemail_password',
    'voicemail_email', 'voicemail_attach_audio', 'voicemail_delete_messages',
    'voicemail_ask_password', 'call_permissions',
)

# GET /1.1/users/export on 26.08: 39 columns in server order; no password (it lives in
# wazo-auth), username read from wazo-auth.
EXPORT_COLUMNS = (
    'uuid', 'subscription_type', 'firstname', 'lastname', 'email', 'mobile_phone_number',
    'outgoing_caller_id', 'language', 'call_permission_password', 'enabled', 'ring_seconds',
    'simultaneous_calls', 'supervision_enabled', 'call_transfer_enabled',
    'dtmf_hangup_enabled',
) + CALL_RECORD_COLUMNS + (
    'online_call_record_enabled', 'userfield', 'voicemail_name', 'voicemail_number',
    'voicemail_context', 'voicemail_password', 'voicemail_email', 'voicemail_attach_audio',
    'voicemail_delete_messages', 'voicemail_ask_password', 'line_protocol',
    'provisioning_code', 'context', 'sip_username', 'sip_secret', 'exten', 'incall_exten',
    'incall_context', 'call_permissions', 'username',
)

# 16.x columns Wazo 26.08 reads no more: it ignores them silently, even with invalid values.
IGNORED_COLUMNS = ('entity_id', 'cti_profile_name', 'cti_profile_enabled', 'call_record_enabled')
# The types of the columns: 16.x's but those Wazo ignores, with call_record_enabled split in
# four and subscription_type new in Wazo; the same secrets.
BOOLEAN_COLUMNS = confd_columns.BOOLEAN_COLUMNS.difference(IGNORED_COLUMNS).union(
    CALL_RECORD_COLUMNS)
INTEGER_COLUMNS = confd_columns.INTEGER_COLUMNS.difference(IGNORED_COLUMNS).union(
    ('subscription_type',))
SECRET_COLUMNS = confd_columns.SECRET_COLUMNS

# Why each ignored column is dropped, for the warning that says so.
_DROPPED_BECAUSE = {
    'entity_id': 'Wazo has no entities: the users go to the tenant of the import',
    'cti_profile_name': 'Wazo has no CTI profiles (its clients authenticate through wazo-auth)',
    'cti_profile_enabled': 'Wazo has no CTI profiles (its clients authenticate through '
                           'wazo-auth)',
}
LINE_PROTOCOLS = ('sip', 'sccp', 'webrtc')
# The columns that name a context: legacy names, mapped to the tenant's generated names.
CONTEXT_COLUMNS = ('context', 'voicemail_context', 'incall_context')
# The context type each column needs (a tie between contexts of one label is broken by it).
CONTEXT_TYPES = {'context': 'internal', 'voicemail_context': 'internal',
                 'incall_context': 'incall'}

# Read in wazo-confd's user schema (not observed): 0-10800 ring seconds (16.15: 0-60); 0-10
# subscription types (observed).
_RANGES = {
    'ring_seconds': (0, 10800),
    'simultaneous_calls': (1, 20),
    'subscription_type': (0, 10),
}
# Field rules Wazo shares with 16.15, checked in the order its import meets them: the user
# (confd's user schema), its wazo-auth account, the voicemail, the line and its SIP endpoint.
_USER_COLUMNS = ('firstname', 'lastname', 'email', 'language', 'outgoing_caller_id',
                 'mobile_phone_number', 'userfield', 'call_permission_password')
_AUTH_COLUMNS = ('username', 'password')
_VOICEMAIL_COLUMNS = ('voicemail_name', 'voicemail_number', 'voicemail_password',
                      'voicemail_email')
_LINE_COLUMNS = ('exten', 'incall_exten', 'sip_secret')

# A form of marshmallow's e-mail check (what wazo-confd's schema uses): a dot-atom local part
# and a domain of dotted labels, a bracketed address, or localhost.
_EMAIL_USER = re.compile(r"^[-!#$%&'*+/=?^`{}|~\w]+(\.[-!#$%&'*+/=?^`{}|~\w]+)*\Z"
                         r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z',
                         re.IGNORECASE | re.UNICODE)
_EMAIL_DOMAIN = re.compile(r'(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+'
                           r'(?:[A-Z0-9-]{2,63}(?<!-))\Z', re.IGNORECASE)
_EMAIL_LITERAL = re.compile(r'\[([A-F0-9:.]+)\]\Z', re.IGNORECASE)


def valid_email(value):
    """Whether wazo-confd takes ``value`` as an e-mail address ('asmith' is not one)."""
    if '@' not in value:
        return False
    local, domain = value.rsplit('@', 1)
    if not _EMAIL_USER.match(local):
        return False
    if domain == 'localhost' or _EMAIL_LITERAL.match(domain):
        return True
    try:
        domain = domain.encode('idna').decode('ascii')
    except UnicodeError:
        return False
    return bool(_EMAIL_DOMAIN.match(domain))


def _value_reason(column, value):
    """Why wazo-confd refuses this non-empty cell on its own, or None."""
    if column in BOOLEAN_COLUMNS:
        return None if value in ('0', '1') else \
            "must be 0 or 1 (confd: Input Error - field '%s' must be one of (0, 1))" % column
    if column in INTEGER_COLUMNS:
        if not (value.isdigit() and value.isascii()):
            return 'must be a whole number written with digits only (confd: wrong type)'
        low, high = _RANGES.get(column, (None, None))
        if low is not None and not low <= int(value) <= high:
            return ("must be between %d and %d (confd: {'%s': ['Must be greater than or equal "
                    "to %d and less than or equal to %d.']})" % (low, high, column, low, high))
        return None
    if column == 'email':
        if len(value) > 254:
            return 'longer than 254 characters'
        if not valid_email(value):
            return "is not an e-mail address (confd: {'email': ['Not a valid email address.']})"
        return None
    if column == 'password':
        if confd_rules.validate_value(column, value):
            return ("does not match 4-64 of a-z A-Z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = %% (no @ "
                    "nor space: the Wazo password rule) (confd: {'password': ['String does not "
                    "match expected pattern.']})")
        return None
    return confd_rules.validate_value(column, value)


def validate_row(row):
    """Every problem wazo-confd 26.08 would have with one row, in the order its import meets
    them (the CSV parse, the user, its wazo-auth account, the voicemail, the line).

    ``row`` maps column names to strings ('' is an empty cell, a missing key an absent column).
    Only what a row shows alone: contexts, extensions, logins and call permissions need the
    server. No reason quotes a cell value.
    """
    problems = []
    add = problems.append
    get = row.get
    for column, value in row.items():
        if value and '\x00' in value:
            add(Problem(column, 'holds a NUL character'))
    # The CSV parse: booleans and integers first (an error there stops the row).
    for column in row:
        if (column in BOOLEAN_COLUMNS or column in INTEGER_COLUMNS) and row[column] \
                and '\x00' not in row[column]:
            reason = _value_reason(column, row[column])
            if reason:
                add(Problem(column, reason))
    for column in IGNORED_COLUMNS:
        if get(column):
            add(Problem(column, 'Wazo ignores this 16.x column without a word: its value would '
                                'be lost', WARNING))
    # The user.
    firstname = get('firstname')
    if firstname is None:
        add(Problem('firstname', 'column missing: confd requires a firstname '
                                 '(confd: Missing data for required field.)'))
    elif not firstname:
        add(Problem('firstname', NULL))
    for column in _USER_COLUMNS + _AUTH_COLUMNS:
        value = get(column)
        if value and '\x00' not in value:
            reason = _value_reason(column, value)
            if reason:
                add(Problem(column, reason))
    if firstname and len(firstname) + len(get('lastname') or '') + 3 > confd_rules.CALLER_ID_MAX:
        add(Problem('lastname' if get('lastname') else 'firstname',
                    'firstname and lastname are too long together: the caller id "firstname '
                    'lastname" must fit in %d characters' % confd_rules.CALLER_ID_MAX))
    # The voicemail.
    if confd_rules.voicemail_defined(row):
        for column, what in (('voicemail_name', 'name'), ('voicemail_number', 'number'),
                             ('voicemail_context', 'context')):
            if not get(column):
                add(Problem(column, 'a voicemail is defined, so its %s is required' % what))
    for column in _VOICEMAIL_COLUMNS:
        value = get(column)
        if value and '\x00' not in value:
            reason = _value_reason(column, value)
            if reason:
                add(Problem(column, reason))
    # The line: its protocol, then its extension, the incall, the SIP endpoint.
    protocol = get('line_protocol') or ''
    if protocol == 'custom':
        add(Problem('line_protocol', 'custom lines cannot be imported into Wazo: it takes sip, '
                                     'sccp or webrtc; create this line by hand, or choose sip '
                                     "(confd: Input Error - 'line_protocol' must be one of "
                                     '(webrtc, sccp, sip))'))
    elif protocol and protocol not in LINE_PROTOCOLS:
        add(Problem('line_protocol', "must be sip, sccp or webrtc (confd: Input Error - "
                                     "'line_protocol' must be one of (webrtc, sccp, sip))"))
    elif not protocol and get('exten'):
        add(Problem('line_protocol', 'is empty while exten is set (confd: Input Error - missing '
                                     'parameters: line_protocol)'))
    for column in _LINE_COLUMNS:
        value = get(column)
        if value and '\x00' not in value:
            reason = confd_rules.validate_value(column, value)
            if reason:
                add(Problem(column, reason))
    for exten_column, context_column in (('exten', 'context'), ('incall_exten', 'incall_context')):
        if get(exten_column) and not get(context_column):
            add(Problem(context_column, '%s is set but %s is empty: confd would create no '
                                        'number' % (exten_column, context_column)))
        elif exten_column == 'incall_exten' and get(context_column) and not get(exten_column):
            add(Problem(exten_column, 'incall_context is set without incall_exten: confd would '
                                      'create an incall with no number'))
    return problems


# -- adapting platform-neutral rows to a Wazo tenant ------------------------------------------

class ContextResolver:
    """Legacy context names -> the tenant's context names (generated on Wazo since 23.12:
    ``ctx-<tenant>-<type>-<uuid>``; the human name is the label).

    ``contexts``: the tenant's ``GET /1.1/contexts`` items (name, label, type). ``context_map``:
    legacy name -> a target context's label or name, when the labels differ. A name already a
    context of the tenant is kept as it is. Each legacy name is resolved once.
    """

    def __init__(self, contexts, context_map=None, tenant=None):
        self.contexts = [c for c in contexts or () if isinstance(c, dict) and c.get('name')]
        self.context_map = dict(context_map or {})
        self.tenant = tenant
        self._names = dict((c['name'], c) for c in self.contexts)
        self._resolved = {}

    def _where(self):
        return 'tenant %s' % self.tenant if self.tenant else 'the tenant'

    def _by_label(self, label, column):
        found = [c for c in self.contexts if c.get('label') == label]
        if len(found) > 1:
            wanted = [c for c in found if c.get('type') == CONTEXT_TYPES.get(column)]
            if len(wanted) == 1:
                return wanted
        return found

    def resolve(self, column, legacy):
        """(target name, None) or (None, reason)."""
        key = (column, legacy)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(column, legacy)
        return self._resolved[key]

    def _resolve(self, column, legacy):
        mapped = legacy in self.context_map
        target = self.context_map[legacy] if mapped else legacy
        if target in self._names:
            return target, None
        found = self._by_label(target, column)
        if len(found) == 1:
            return found[0]['name'], None
        how = ('context_map maps the legacy context %r to %r' % (legacy, target) if mapped
               else 'the legacy context %r' % legacy)
        if found:
            return None, ('%s: %s matches %d contexts of %s by label (%s); name one of them in '
                          'context_map' % (column, how, len(found), self._where(), ', '.join(
                              '%s (%s)' % (c['name'], c.get('type')) for c in found[:5])))
        labels = sorted(set(str(c.get('label')) for c in self.contexts if c.get('label')))
        return None, ('%s: %s is no context of %s, by label or name (labels there: %s); map it '
                      'with context_map (legacy name: target label or name)'
                      % (column, how, self._where(), ', '.join(labels[:10]) or 'none'))


def adapt_rows(header, rows, server_facts):
    """Platform-neutral rows (the confd 16.x columns) -> what a Wazo tenant reads.

    ``rows``: dicts, or SourceRow-like objects (``values``, ``line``, ``problem``): their copies
    are returned, never the rows themselves (a fleet shares them). ``server_facts``: a dict with
    ``contexts`` (the tenant's context items), optional ``context_map`` and ``tenant``.

    - The contexts of ``context``, ``voicemail_context`` and ``incall_context`` become the
      tenant's generated names, by label or ``context_map``; a context missing or matched
      twice fails that row, naming it (a SourceRow gets ``problem``; every such row is in the
      problems too, as an error).
    - ``call_record_enabled`` becomes the four ``call_record_*_enabled`` columns (what Wazo's
      own API does with it); ``entity_id`` and ``cti_profile_*`` are dropped, each with a
      warning naming the column and how many rows had a value.
    - Two rows with the same wazo-auth login, ignoring case (a username, or an e-mail where
      there is no username), are refused: Wazo answers the second with an opaque 409.
    Returns (header, rows, problems).
    """
    facts = server_facts or {}
    resolver = ContextResolver(facts.get('contexts'), facts.get('context_map'),
                               facts.get('tenant'))
    present = [c for c in header if c in IGNORED_COLUMNS]
    new_header = [c for c in header if c not in IGNORED_COLUMNS]
    if 'call_record_enabled' in header:
        new_header += [c for c in CALL_RECORD_COLUMNS if c not in header]
    counts = dict((column, 0) for column in present)
    problems = []
    logins = {}
    adapted = []
    for position, row in enumerate(rows, 1):
        values = row_values(row)
        line = line_of(row, position)
        for column in present:
            if values.get(column):
                counts[column] += 1
        new = dict((c, v) for c, v in values.items() if c not in IGNORED_COLUMNS)
        record = values.get('call_record_enabled')
        if record is not None:
            for column in CALL_RECORD_COLUMNS:
                if not new.get(column):
                    new[column] = record
        failure = None
        for column in CONTEXT_COLUMNS:
            legacy = values.get(column)
            if not legacy:
                continue
            name, reason = resolver.resolve(column, legacy)
            if name is not None:
                new[column] = name
            else:
                problems.append(RowProblem(line, column, reason, ERROR))
                failure = failure or (column, reason)
        if failure is None and not getattr(row, 'problem', None):
            clash = _login_clash(new, line, logins)
            if clash is not None:
                problems.append(RowProblem(line, clash[0], clash[1], ERROR))
                failure = clash
        adapted.append(with_values(row, new, *(failure[::-1] if failure else ())))
    for column in present:
        if column == 'call_record_enabled':
            if counts[column]:
                problems.append(RowProblem(None, column, (
                    'call_record_enabled: %d rows had a value; Wazo ignores this column, so it '
                    'was written to the four call_record_*_enabled columns it reads instead '
                    '(the same meaning)' % counts[column]), WARNING))
        elif counts[column]:
            problems.append(RowProblem(None, column, (
                '%s: %d rows had a value, not imported: %s (Wazo ignores this column without '
                'a word)' % (column, counts[column], _DROPPED_BECAUSE[column])), WARNING))
    return new_header, adapted, problems


def login_of(values):
    """The wazo-auth login a row's user gets: its username, else its e-mail (else its uuid,
    unknown before the import)."""
    return (values.get('username') or '').strip() or (values.get('email') or '').strip()


def _login_clash(values, line, logins):
    """(column, reason) when the row's login or e-mail is an earlier row's login or e-mail,
    ignoring case (wazo-auth keeps them unique that way); else remember them."""
    mine = []
    for column in ('username', 'email'):
        value = (values.get(column) or '').strip()
        if value:
            mine.append((column, normalize('email', value)))
    for column, folded in mine:
        first = logins.get(folded)
        if first is not None and first[0] != line:
            return column, ('%s: the same wazo-auth login as the %s of line %s, ignoring case '
                            '(wazo-auth keeps logins and e-mails unique that way; confd would '
                            'answer 409 Conflict)' % (column, first[1], first[0]))
    for column, folded in mine:
        logins.setdefault(folded, (line, column))
    return None
