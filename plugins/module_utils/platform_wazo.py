# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wazo Platform behind the platform seam (the second implementation of ``Platform``).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Where and how (read in the wazo-confd and wazo-auth history, run against wazo-confd 26.08):
since Wazo 20.07 confd and wazo-auth listen on 127.0.0.1 only and clients go through nginx on
HTTPS 443, confd under /api/confd/1.1 and wazo-auth under /api/auth/0.1; Wazo 17.01-20.06
served them like XiVO on HTTPS 9486 / 9497. The only authentication is a wazo-auth token in
X-Auth-Token (HTTP Digest was removed in 18.14-19.07): POST <auth>/token with HTTP Basic and a
JSON body holding the expiration (wazo-auth 24.08 and later ignore a ``backend``). One request
acts in one tenant: the Wazo-Tenant header (a tenant uuid), else the token's own tenant.
confd answers 401 for a token that lacks an ACL, for a tenant it may not act in, and for an
unknown tenant; every 401 body of 26.08 quotes the token it was sent.
"""

from __future__ import annotations

import re

from ansible_collections.xivo.confd.plugins.module_utils import confd_rules
from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import (
    ERROR, NULL, WARNING, Problem)
from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    PROXY_PREFIX, Columns, Endpoints, Platform, RowProblem, UpdateRequest, line_of,
    normal_prefix, row_values, with_values)
from ansible_collections.xivo.confd.plugins.module_utils.platform_xivo import (
    _incall_steps, _step, ident, route_acl, service_url)
from ansible_collections.xivo.confd.plugins.module_utils.user_identity import (
    describe_user, normalize)

API_PREFIX = '/1.1'
AUTH_PREFIX = '/0.1'
PROXY_PORT = 443            # nginx, since 20.07
PORT = 9486                 # 17.01-20.06: the services' own HTTPS ports
AUTH_PORT = 9497

ACLS = {
    'export': 'confd.users.export.read',
    'import': 'confd.users.import.create',
    # There is no update by import (PUT /1.1/users/import answers 405): users change one
    # by one through PUT /1.1/users/<uuid>.
    'update': 'confd.users.*.update',
    'infos': 'confd.infos.read',
    'users.read': 'confd.users.read',
    'callpermission.create': 'confd.callpermissions.create',
    'callpermission.read': 'confd.callpermissions.read',
    'callpermission.delete': 'confd.callpermissions.%(id)d.delete',
    'tenants.read': 'auth.tenants.read',
    'auth_user.delete': 'auth.users.%(uuid)s.delete',
}
_ROUTES = ('GET', 'DELETE', 'POST', 'PUT')

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

BOOLEAN_COLUMNS = frozenset((
    'enabled', 'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
    'online_call_record_enabled', 'voicemail_attach_audio', 'voicemail_delete_messages',
    'voicemail_ask_password',
) + CALL_RECORD_COLUMNS)

INTEGER_COLUMNS = frozenset((
    'ring_seconds', 'simultaneous_calls', 'incall_ring_seconds', 'subscription_type',
))

SECRET_COLUMNS = frozenset((
    'password', 'sip_secret', 'voicemail_password', 'call_permission_password',
))

# 16.x columns Wazo 26.08 reads no more: it ignores them silently, even with invalid values.
IGNORED_COLUMNS = ('entity_id', 'cti_profile_name', 'cti_profile_enabled', 'call_record_enabled')
# Why each one is dropped, for the warning that says so.
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


# -- identity on Wazo: what makes a row another person's ---------------------------------------

class IdentityView:
    """What the identity checks of a Wazo tenant compare a row with: the tenant's users (export
    rows), and the wazo-auth accounts of every tenant when they could be read (``accounts``:
    :func:`accounts_from_auth` items; None: only this tenant is seen, said in a note)."""

    def __init__(self, users, accounts=None):
        self.users = list(users or ())
        self.complete = accounts is not None
        tenant_uuids = set(u.get('uuid') for u in self.users if u.get('uuid'))
        self.logins = {}        # folded login or e-mail -> [(owner, what)]
        for user in self.users:
            for column in ('username', 'email'):
                value = (user.get(column) or '').strip()
                if value:
                    self.logins.setdefault(normalize('email', value), []).append((user, column))
        for account in accounts or ():
            if account.get('uuid') in tenant_uuids:
                continue        # the same person as one of the tenant's users
            for column, value in (('username', account.get('username')),) + tuple(
                    ('email', address) for address in account.get('emails') or ()):
                value = (value or '').strip()
                if value:
                    self.logins.setdefault(normalize('email', value), []).append(
                        (account, column))
        self.incalls = {}       # (exten, context) -> the user it rings
        for user in self.users:
            for exten, context in zip((user.get('incall_exten') or '').split(';'),
                                      (user.get('incall_context') or '').split(';')):
                if exten and context:
                    self.incalls[(exten, context)] = user


def accounts_from_auth(items):
    """wazo-auth ``GET /0.1/users`` items -> accounts: uuid, username, emails, tenant_uuid,
    firstname, lastname."""
    accounts = []
    for item in items or ():
        if not isinstance(item, dict):
            continue
        emails = [e.get('address') for e in item.get('emails') or () if isinstance(e, dict)]
        accounts.append(dict(uuid=item.get('uuid'), username=item.get('username') or '',
                             emails=[e for e in emails if e], tenant_uuid=item.get('tenant_uuid'),
                             firstname=item.get('firstname') or '',
                             lastname=item.get('lastname') or ''))
    return accounts


def _describe_owner(owner):
    if 'emails' in owner:       # a wazo-auth account of another tenant
        name = ' '.join(p for p in (owner.get('firstname'), owner.get('lastname')) if p)
        return '%r (wazo-auth user %s, uuid %s, tenant %s)' % (
            name or '(no name)', owner.get('username') or '(no username)',
            owner.get('uuid') or '?', owner.get('tenant_uuid') or '?')
    return describe_user(owner)


def identity_conflicts(values, user, view):
    """Why a row is another person's on Wazo beyond what 16.15 shows, as [(reason, owners)]:
    ``user`` is the tenant user the row matched (None: a new user).

    - its login (username, else e-mail) or e-mail is another person's wazo-auth login or
      e-mail, ignoring case, in any tenant (confd would answer "User already exists" or an
      opaque "409 Client Error: Conflict detected for url ..." naming nobody); an exact
      match in the tenant's export is already a 16.15 conflict and is not said twice;
    - its incall number is another user's: Wazo would move that incall to this user, and the
      other person would silently lose an incoming number.
    """
    mine = user.get('uuid') if user is not None else None
    found = []
    for column in ('username', 'email'):
        value = (values.get(column) or '').strip()
        if not value:
            continue
        owners = []
        for owner, what in view.logins.get(normalize('email', value), ()):
            if owner is user or (mine and owner.get('uuid') == mine) or owner in owners:
                continue
            if 'emails' not in owner and what == column and \
                    normalize(column, owner.get(column)) == normalize(column, value):
                continue        # the tenant's export shows it: the 16.15 check says it
            owners.append(owner)
        if owners:
            found.append(('%s=%s is already a wazo-auth login or e-mail of %s, ignoring case: '
                          'wazo-auth keeps them unique across tenants, so confd would refuse '
                          'the row (%s)' % (
                              column, value, '; '.join(_describe_owner(o) for o in owners[:5]),
                              "Resource Error - User already exists ('email': ...)"
                              if column == 'email' else
                              'an opaque 409 Client Error: Conflict detected for url ...'),
                          owners))
    exten, context = (values.get('incall_exten') or '').strip(), \
        (values.get('incall_context') or '').strip()
    owner = view.incalls.get((exten, context)) if exten and context else None
    if owner is not None and owner.get('uuid') != mine and owner is not user:
        found.append(('incall_exten=%s@%s is the incoming number of %s: Wazo would move that '
                      'incall to this user, and that person would silently lose it; choose '
                      'another incall number, or remove it from that user first'
                      % (exten, context, describe_user(owner)), [owner]))
    return found


def identity_notes(view):
    """What the identity checks could not see (for a warning), or []."""
    if view.complete:
        return []
    return ['the wazo-auth accounts of other tenants could not be read: a login or e-mail used '
            'in another tenant is found only when the server refuses the row']


# -- update: no PUT /users/import (405 since 19.06); one user at a time --------------------------
# (docs/server-behaviour.md#wazo-update, docs/server-behaviour.md#wazo-auth-user-updates)

# What PUT /1.1/users/<uuid> changes (observed on 26.08: 204, only the fields sent change).
CONFD_USER_FIELDS = (
    'firstname', 'lastname', 'email', 'language', 'outgoing_caller_id', 'mobile_phone_number',
    'userfield', 'call_permission_password', 'enabled', 'subscription_type', 'ring_seconds',
    'simultaneous_calls', 'supervision_enabled', 'call_transfer_enabled', 'dtmf_hangup_enabled',
) + CALL_RECORD_COLUMNS + ('online_call_record_enabled',)
# Strings confd keeps as null when they are unset.
_NULLABLE = frozenset(('lastname', 'email', 'language', 'outgoing_caller_id',
                       'mobile_phone_number', 'userfield', 'call_permission_password'))
# What wazo-auth's PUT /0.1/users/<uuid> reads: every field, the missing ones set to their
# default (read in wazo-auth's UserPutSchema), so the current ones are sent with the change.
AUTH_USER_FIELDS = ('username', 'firstname', 'lastname', 'purpose', 'enabled',
                    'authentication_method')
# Why a column that needs another resource than the user is not changed on an existing user.
_OTHER_RESOURCE = {
    'line': ('its line, extension and SIP endpoint are other resources (/lines, /extensions, '
             '/endpoints/sip) that an update of a user on Wazo does not change: change it on '
             'the server, or put back the value the server holds'),
    'incall': ('its incall is another resource (/incalls, its extension) that an update of a '
               'user on Wazo does not change: change it on the server, or put back the value '
               'the server holds'),
    'voicemail': ('its voicemail is another resource (/voicemails), which other users may '
                  'share, and an update of a user on Wazo does not change it: change it on the '
                  'server, or put back the value the server holds'),
    'call_permissions': ('call permissions are associations (/users/<uuid>/callpermissions) '
                         'that an update of a user on Wazo does not change: change them on the '
                         'server, or put back the value the server holds'),
}
_RESOURCE_OF = dict(
    [(c, 'line') for c in ('context', 'line_protocol', 'exten', 'sip_username', 'sip_secret',
                           'provisioning_code')]
    + [(c, 'incall') for c in ('incall_exten', 'incall_context', 'incall_ring_seconds')]
    + [(c, 'voicemail') for c in ('voicemail_name', 'voicemail_number', 'voicemail_context',
                                  'voicemail_password', 'voicemail_email',
                                  'voicemail_attach_audio', 'voicemail_delete_messages',
                                  'voicemail_ask_password')]
    + [('call_permissions', 'call_permissions')])
# Wazo keeps no caller id in step with the name: observed on 26.08, a first-name change by
# PUT /1.1/users/<uuid> left the user's caller id, its line's and SIP endpoint's caller id and
# its voicemail's name as they were.
NAME_NOT_REFRESHED = ('Wazo does not refresh the caller id, the line\'s and SIP endpoint\'s '
                      'caller id nor the voicemail name after a name change: they keep the '
                      'former name until changed on the server')


def confd_value(column, value):
    """The JSON value PUT /1.1/users/<uuid> takes for a CSV cell."""
    if column in BOOLEAN_COLUMNS:
        return value == '1'
    if column in INTEGER_COLUMNS:
        return int(value) if value else 0
    if value == '' and column in _NULLABLE:
        return None
    return value


def update_refusals(changes):
    refused = []
    for column in changes:
        if column in CONFD_USER_FIELDS or column in ('username', 'password'):
            continue
        resource = _RESOURCE_OF.get(column)
        refused.append((column, _OTHER_RESOURCE[resource] if resource else
                        'no route of Wazo changes it on an existing user'))
    return refused


def update_requests(uuid, values, changes):
    """PUT /1.1/users/<uuid> with the user's fields, then wazo-auth: the user (login, name),
    its e-mail (the admin route: the address is confirmed and main), its password (the
    reset route: the user's own route wants the old password)."""
    requests = []
    confd = [c for c in CONFD_USER_FIELDS if c in changes]
    if confd:
        body = dict((c, confd_value(c, values.get(c, ''))) for c in confd)
        path = '/users/%s' % uuid
        requests.append(UpdateRequest('confd', 'PUT', path, body, None, tuple(confd),
                                      'update of user %s' % uuid,
                                      route_acl('confd', 'PUT', path), (), path, body))
    auth = [c for c in ('username', 'firstname', 'lastname') if c in changes]
    if auth:
        body = dict((c, (values.get(c) or '').strip() or None) for c in auth)
        path = '/users/%s' % uuid
        requests.append(UpdateRequest('auth', 'PUT', path, body, None, tuple(auth),
                                      'update of wazo-auth user %s' % uuid,
                                      route_acl('auth', 'PUT', path), AUTH_USER_FIELDS, path,
                                      body))
    if 'email' in changes:
        address = (values.get('email') or '').strip()
        emails = [{'address': address, 'main': True, 'confirmed': True}] if address else []
        requests.append(UpdateRequest(
            'auth', 'PUT', '/admin/users/%s/emails' % uuid, {'emails': emails}, None,
            ('email',), 'e-mail update of wazo-auth user %s' % uuid,
            'auth.admin.users.%s.emails.update' % uuid, (), '/users/%s' % uuid,
            {'emails': [address] if address else []}))
    if 'password' in changes:
        requests.append(UpdateRequest(
            'auth', 'POST', '/users/password/reset', {'password': values.get('password')},
            {'user_uuid': uuid}, ('password',), 'password change of wazo-auth user %s' % uuid,
            'auth.users.password.reset.%s.create' % uuid, (), None, None))
    return requests


def update_applied(request, current):
    if request.check is None or not isinstance(current, dict):
        return None
    for field, wanted in request.expect.items():
        if field == 'emails':
            shown = [(e.get('address') or '').lower() for e in current.get('emails') or ()
                     if isinstance(e, dict)]
            if sorted(shown) != sorted(a.lower() for a in wanted):
                return False
        elif current.get(field) != wanted and not (
                wanted is None and current.get(field) == ''):
            return False
    return True


# -- what the preflight sees of other tenants ----------------------------------------------------

def tenant_scope(tenants):
    """(own tenant, sees every tenant) from wazo-auth's GET /0.1/tenants read in the
    credentials' own tenant: it lists that tenant and those below it; the top tenant of the
    server (master) is its own parent (read in wazo-auth's source: find_top_tenant)."""
    items = [t for t in tenants or () if isinstance(t, dict) and t.get('uuid')]
    uuids = set(t['uuid'] for t in items)
    tops = [t for t in items if t.get('parent_uuid') == t['uuid']
            or t.get('parent_uuid') not in uuids]
    if len(tops) != 1:
        return None, False
    return tops[0]['uuid'], tops[0].get('parent_uuid') == tops[0]['uuid']


def foreign_refusal(item, tenant):
    """Observed on 26.08 (a tenant A SIP username imported in tenant B): Resource Error -
    different tenants ('line_tenant_uuid': B, 'endpoint_tenant_uuid': A)."""
    if not isinstance(item, dict) or not tenant or not item.get('tenant_uuid') \
            or item['tenant_uuid'] == tenant:
        return None
    return ("Resource Error - different tenants ('line_tenant_uuid': %r, "
            "'endpoint_tenant_uuid': %r)" % (tenant, item['tenant_uuid']))


class WazoPlatform(Platform):
    name = 'wazo'
    title = 'Wazo Platform'
    auth_methods = ('token',)
    has_tenants = True
    auth_name = 'wazo-auth'
    credentials_hint = 'Check username/password (a wazo-auth user, see its policy).'
    ports_hint = ('Wazo 20.07 and later serve confd and wazo-auth through nginx on HTTPS 443 '
                  'under /api; earlier releases on HTTPS 9486 and 9497')
    # Observed on 26.08: application/json (like no Accept at all, text/plain or text/csv
    # without its charset) gets JSON; text/csv; charset=utf-8, text/* or */* get CSV.
    export_accept = 'application/json'
    update_by_import = False
    # Read in wazo-confd's export (26.08): every cell is ``value or ""``, and subscription_type
    # is the one integer it does not cast to text, so a 0 comes out empty.
    zero_exported_empty = frozenset(('subscription_type',))
    # wazo-auth keeps the password and shows it to no one.
    unreadable_secrets = ('password',)
    name_not_refreshed = NAME_NOT_REFRESHED
    columns = Columns(import_=IMPORT_COLUMNS, update=(), export=EXPORT_COLUMNS,
                      boolean=BOOLEAN_COLUMNS, integer=INTEGER_COLUMNS, secret=SECRET_COLUMNS)
    # Observed on 26.08: a voicemail number that exists is shared, and keeps its name.
    renames_shared_voicemail = False
    # Observed on 26.08: GET /users/<uuid> shows "username": null for an imported user (the
    # login lives in wazo-auth; the export reads it from there).
    item_identity = ('firstname', 'lastname', 'email')
    adapt_reads = ('contexts',)
    # wazo-auth keeps logins and e-mails unique across tenants: the tenant's export cannot
    # show them all.
    reads_accounts = True
    # Observed on 26.08 (list items of /extensions and /endpoints/sip, keyed by name; webrtc
    # lines are SIP endpoints with the webrtc template).
    line_protocols = LINE_PROTOCOLS
    sip_protocols = ('sip', 'webrtc')
    sip_name_field = 'name'
    extension_fields = frozenset(('id', 'tenant_uuid', 'exten', 'context', 'commented',
                                  'enabled', 'links', 'lines'))
    endpoint_fields = frozenset((
        'uuid', 'tenant_uuid', 'name', 'label', 'aor_section_options', 'auth_section_options',
        'endpoint_section_options', 'identify_section_options', 'registration_section_options',
        'registration_outbound_auth_section_options', 'outbound_auth_section_options',
        'templates', 'transport', 'asterisk_id', 'links', 'line'))
    # Observed on 26.08: SIP names are found across tenants (another tenant's is refused),
    # and a master-tenant token lists every tenant's endpoints with recurse=true.
    tenant_wide_reads = {'endpoints/sip': {'recurse': 'true'}}
    # Read in wazo-confd's user call permission service (not recorded): associating a call
    # permission the user already has returns early, so a name given twice passes.
    repeated_call_permission_refused = False
    # Observed on 26.08: not refused; the incall is moved to the new user.
    incall_number_taken = ('(Wazo would not refuse the row: it would move that incall to this '
                           'user, silently; choose another number, or free this one first)')

    def endpoints(self, host, port=None, auth_port=None, prefix=None):
        """By default the layout of Wazo 20.07 and later (nginx on 443, under /api); on port
        9486, the services' own ports of Wazo 17.01-20.06 (no prefix). ``prefix`` ('' or a
        path) says which layout, whatever the port."""
        prefix = normal_prefix(prefix)
        if prefix is None:
            prefix = '' if port == PORT else PROXY_PREFIX
        if port is None:
            port = PROXY_PORT if prefix else PORT
        if auth_port is None:
            # Behind the proxy both services share its port.
            auth_port = port if prefix else AUTH_PORT
        return Endpoints(service_url(host, port, prefix, 'confd', API_PREFIX),
                         service_url(host, auth_port, prefix, 'auth', AUTH_PREFIX),
                         port, auth_port)

    def token_request(self, backend, expiration):
        # wazo-auth 24.08 and later ignore ``backend``; earlier ones use wazo_user without
        # one, so a backend is sent only when one was asked for.
        body = {'expiration': expiration}
        if backend:
            body['backend'] = backend
        return body

    def headers(self, token, tenant=None):
        headers = {'X-Auth-Token': token} if token else {}
        if tenant:
            headers['Wazo-Tenant'] = tenant
        return headers

    def acl(self, purpose, **ids):
        if purpose in _ROUTES:
            return route_acl(ids.get('service') or 'confd', purpose, ids['path'])
        return ACLS[purpose] % ids

    def find_tenant(self, tenants, wanted):
        # wazo-auth's GET /0.1/tenants lists the token's tenant and those below it, each with
        # uuid, name and (in recent releases) slug: a name or a slug matches, in any case.
        wanted = wanted.strip().casefold()
        return [tenant for tenant in tenants if isinstance(tenant, dict) and tenant.get('uuid')
                and wanted in (str(tenant.get('slug') or '').casefold(),
                               str(tenant.get('name') or '').casefold())]

    def access_hint(self):
        return ('the wazo-auth user\'s policy may lack the ACL for this request (%s, %s), or '
                'the tenant may not be one it can act in; confd answers 401 for both'
                % (ACLS['export'], ACLS['import']))

    def created_ids(self, entry):
        # 26.08 answers sip_uuid (a string) where 16.15 answered sip_id.
        ids = dict((key, value) for key, value in entry.items() if key != 'row_number')
        if entry.get('sip_uuid'):
            ids['endpoint_kind'], ids['endpoint_id'] = 'sip', entry['sip_uuid']
        elif entry.get('sccp_id') is not None:
            ids['endpoint_kind'], ids['endpoint_id'] = 'sccp', entry['sccp_id']
        else:
            ids['endpoint_kind'] = ids['endpoint_id'] = None
        return ids

    def validate_row(self, row):
        return validate_row(row)

    def quote(self, value):
        # wazo-confd runs on Python 3 (observed on 26.08: ('name': 'nosuchperm')).
        return repr(value)

    def tenant_scope(self, tenants):
        return tenant_scope(tenants)

    def foreign_refusal(self, item, tenant):
        return foreign_refusal(item, tenant)

    def adapt_rows(self, header, rows, server_facts):
        return adapt_rows(header, rows, server_facts)

    def update_refusals(self, changes):
        return update_refusals(changes)

    def update_requests(self, uuid, values, changes):
        return update_requests(uuid, values, changes)

    def update_applied(self, request, current):
        return update_applied(request, current)

    def identity_view(self, users, accounts=None):
        return IdentityView(users, accounts)

    def accounts(self, items):
        return accounts_from_auth(items)

    def identity_conflicts(self, values, user, view):
        return identity_conflicts(values, user, view)

    def identity_warnings(self, view):
        return identity_notes(view)

    def removal_steps(self, user, ids=None):
        # Observed on 26.08, every step 204: the voicemail is dissociated (plural route:
        # the singular one of 16.15 is an HTML 404) and deleted; an incall before its
        # number; the line (which deletes its SIP endpoint and frees its extension), then
        # its extension; the user; its wazo-auth user last (else a new import of the row
        # meets the 409 of the login). An endpoint that existed before is detached first, so
        # that deleting the line leaves it; wazo-confd refuses that detach while the line has
        # a user or an extension ("Line is associated with a User", read in its validators,
        # not recorded), so those links go before it (kind 'sip.before_dissociate': done
        # only when the detach is).
        uuid = user.get('uuid')
        steps = []
        voicemail = ident(user.get('voicemail'))
        if voicemail:
            steps += [_step('/users/%s/voicemails' % uuid, 'the voicemail of user %s' % uuid,
                            'voicemail.dissociate', voicemail),
                      _step('/voicemails/%s' % voicemail, 'voicemail %s' % voicemail,
                            'voicemail', voicemail, True)]
        steps += _incall_steps(user)
        for line in user.get('lines') or []:
            line_id = line['id']
            sip = ident(line.get('endpoint_sip'), 'uuid')
            if sip:
                steps.append(_step('/users/%s/lines/%s' % (uuid, line_id),
                                   'line %s of user %s' % (line_id, uuid),
                                   'sip.before_dissociate', line_id, parent=line_id))
                steps += [_step('/lines/%s/extensions/%s' % (line_id, extension['id']),
                                'extension %s of line %s' % (extension['id'], line_id),
                                'sip.before_dissociate', extension['id'], parent=line_id)
                          for extension in line.get('extensions') or []]
                steps.append(_step('/lines/%s/endpoints/sip/%s' % (line_id, sip),
                                   'SIP endpoint %s of line %s' % (sip, line_id),
                                   'sip.dissociate', sip, parent=line_id))
            steps.append(_step('/lines/%s' % line_id, 'line %s' % line_id, 'line', line_id,
                               True))
            for extension in line.get('extensions') or []:
                steps.append(_step('/extensions/%s' % extension['id'],
                                   'extension %s' % extension['id'], 'extension',
                                   extension['id'], True, parent=line_id))
        steps += [_step('/users/%s' % uuid, 'user %s' % uuid, 'user', uuid, True),
                  _step('/users/%s' % uuid, 'wazo-auth user %s' % uuid, 'auth_user', uuid,
                        True, api='auth')]
        return steps


WAZO = WazoPlatform()
