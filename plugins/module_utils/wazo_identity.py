# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wazo Platform, identity and updates: what makes a row another person's (the tenant's users
and the wazo-auth accounts of every tenant), and how an existing user is changed one at a time
(no update by import on Wazo).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

``platform_wazo.WazoPlatform`` (the one Wazo ``Platform``) delegates to these functions.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.platform import UpdateRequest
from ansible_collections.xivo.confd.plugins.module_utils.platform_xivo import route_acl
from ansible_collections.xivo.confd.plugins.module_utils.user_identity import (
    describe_user, normalize)
from ansible_collections.xivo.confd.plugins.module_utils.wazo_rows import (
    BOOLEAN_COLUMNS, CALL_RECORD_COLUMNS, INTEGER_COLUMNS)


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
