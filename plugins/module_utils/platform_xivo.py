# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""XiVO confd 16.15 behind the platform seam (the first implementation of ``Platform``).

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.

Observed on XiVO 16.15: confd serves HTTPS on 9486 under /1.1 and xivo-auth HTTPS on 9497
under /0.1; a token comes from POST /0.1/token with HTTP Basic and a JSON body naming the
backend (xivo_service for a web-services user, xivo_admin for a web-interface admin); confd
also takes HTTP Digest with a web-services user; confd answers 401 (not 403) for a token that
lacks an ACL; the export gives JSON only for exactly ``Accept: application/json``; PUT
/1.1/users/import updates users by uuid.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import confd_columns, confd_rules
from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    Columns, Endpoints, Platform, PreflightFacts, RemovalStep, drop_columns, normal_prefix)

API_PREFIX = '/1.1'
AUTH_PREFIX = '/0.1'
PORT = 9486
AUTH_PORT = 9497

# The ACL of each request the collection makes whose route is not simply its path.
ACLS = {
    'export': 'confd.users.export.read',
    'import': 'confd.users.import.create',
    'update': 'confd.users.import.update',
    'infos': 'confd.infos.read',
    'users.read': 'confd.users.read',
    'callpermission.create': 'confd.callpermissions.create',
    'callpermission.read': 'confd.callpermissions.read',
    'callpermission.delete': 'confd.callpermissions.%(id)d.delete',
}
_VERBS = {'GET': 'read', 'DELETE': 'delete', 'POST': 'create', 'PUT': 'update'}


def route_acl(service, method, path):
    """The ACL of a route: <service>.<collection>.<id>.<subcollection>...<verb>."""
    parts = [part for part in path.split('?')[0].strip('/').split('/') if part]
    return '%s.%s.%s' % (service, '.'.join(parts), _VERBS[method])


def ident(item, key='id'):
    return item.get(key) if isinstance(item, dict) else None


def service_url(host, port, prefix, service, version):
    """https://host:port[<prefix>/<service>]/<version>; an IPv6 address is bracketed."""
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    prefix = normal_prefix(prefix)
    path = '%s/%s' % (prefix, service) if prefix else ''
    return 'https://%s:%s%s%s' % (host, port, path, version)


class XivoPreflightFacts(PreflightFacts):
    """What the preflight asks of XiVO confd 16.15 (see platform.PreflightFacts)."""

    # Observed on 16.15: confd creates a line for sip and sccp only; extensions list group,
    # incall and outcall, SIP endpoints a trunk (keyed by username).
    line_protocols = ('sip', 'sccp')
    sip_protocols = ('sip',)
    sip_name_field = 'username'
    extension_fields = frozenset(('id', 'exten', 'context', 'commented', 'links', 'lines'))
    endpoint_fields = frozenset(('id', 'username', 'secret', 'type', 'host', 'options', 'links',
                                 'line'))
    incall_number_taken = '(confd: Resource Error - Incall is associated with a Extension)'
    # Observed on 16.15: a row with line_protocol=sip and no context gets a SIP endpoint
    # (found by its username, else created) and no line.
    endpoint_without_line = True
    # Observed on 16.15: User is associated with a CallPermission.
    repeated_call_permission_refused = True

    def quote(self, value):
        # confd 16.x runs on Python 2: a CSV string is unicode, shown u'...'.
        return 'u' + ascii(value)

    def tenant_scope(self, tenants):
        return None, True       # no tenants: one server, one scope

    def foreign_refusal(self, item, tenant):
        return None


class XivoPlatform(XivoPreflightFacts, Platform):
    name = 'xivo'
    title = 'XiVO confd 16.15'
    auth_methods = ('token', 'digest')
    auth_name = 'xivo-auth'
    credentials_hint = ('Check username/password, or auth_backend (xivo_service for a '
                        'web-services user, xivo_admin for a web-interface admin).')
    ports_hint = 'confd serves HTTPS on 9486, xivo-auth on 9497'
    export_accept = 'application/json'
    update_by_import = True
    # Observed on 16.15: a voicemail an import shares is renamed after the user with a line.
    renames_shared_voicemail = True
    adapt_reads = ()
    reads_accounts = False
    columns = Columns(import_=confd_columns.IMPORT_COLUMNS,
                      update=confd_columns.UPDATE_COLUMNS,
                      export=confd_columns.EXPORT_COLUMNS,
                      boolean=confd_columns.BOOLEAN_COLUMNS,
                      integer=confd_columns.INTEGER_COLUMNS,
                      secret=confd_columns.SECRET_COLUMNS)

    def endpoints(self, host, port=None, auth_port=None, prefix=None):
        port = PORT if port is None else port
        auth_port = AUTH_PORT if auth_port is None else auth_port
        prefix = prefix or ''
        return Endpoints(service_url(host, port, prefix, 'confd', API_PREFIX),
                         service_url(host, auth_port, prefix, 'auth', AUTH_PREFIX),
                         port, auth_port)

    def token_request(self, backend, expiration):
        # xivo_service: a web-services user (the collection's advice); xivo_admin: the
        # web-interface administrator.
        return {'backend': backend or 'xivo_service', 'expiration': expiration}

    def headers(self, token, tenant=None):
        return {'X-Auth-Token': token} if token else {}

    def acl(self, purpose, **ids):
        if purpose in _VERBS:
            return route_acl(ids.get('service') or 'confd', purpose, ids['path'])
        return ACLS[purpose] % ids

    def access_hint(self):
        return ('it may lack the ACL for this request (%s, %s, %s); confd answers 401, not '
                '403, for a missing ACL' % (ACLS['export'], ACLS['import'], ACLS['update']))

    def validate_row(self, row):
        return confd_rules.validate_row(row)

    def created_ids(self, entry):
        ids = dict((key, value) for key, value in entry.items() if key != 'row_number')
        kind = 'sip' if entry.get('sip_id') is not None else (
            'sccp' if entry.get('sccp_id') is not None else None)
        ids['endpoint_kind'] = kind
        ids['endpoint_id'] = entry.get('%s_id' % kind) if kind else None
        return ids

    def removal_steps(self, user, ids=None):
        # Observed on 16.15: the voicemail is dissociated before it is deleted; an incall
        # before its number; a line's extension is detached before it is deleted; a line
        # is detached from its user before it is deleted (which deletes its SIP endpoint:
        # an endpoint that existed before is detached first); the user last.
        uuid = user.get('uuid')
        steps = _voicemail_and_incall_steps(user, '/users/%s/voicemail' % uuid)
        for line in user.get('lines') or []:
            line_id = line['id']
            for extension in line.get('extensions') or []:
                ext_id = extension['id']
                steps += [_step('/lines/%s/extensions/%s' % (line_id, ext_id),
                                'extension %s of line %s' % (ext_id, line_id),
                                'extension.dissociate', ext_id, parent=line_id),
                          _step('/extensions/%s' % ext_id, 'extension %s' % ext_id,
                                'extension', ext_id, True, parent=line_id)]
            sip = ident(line.get('endpoint_sip'))
            if sip:
                steps.append(_step('/lines/%s/endpoints/sip/%s' % (line_id, sip),
                                   'SIP endpoint %s of line %s' % (sip, line_id),
                                   'sip.dissociate', sip, parent=line_id))
            steps += [_step('/users/%s/lines/%s' % (uuid, line_id),
                            'line %s of user %s' % (line_id, uuid), 'line.dissociate', line_id),
                      _step('/lines/%s' % line_id, 'line %s' % line_id, 'line', line_id, True)]
        # Observed on 16.15: line_protocol=sip with an empty context makes a SIP endpoint and
        # no line (the created entry holds its sip_id, line_id null): no line leads to it.
        ids = ids or {}
        if ids.get('endpoint_kind') == 'sip' and ids.get('endpoint_id') is not None \
                and not ids.get('line_id'):
            sip = ids['endpoint_id']
            steps.append(_step('/endpoints/sip/%s' % sip, 'SIP endpoint %s' % sip, 'sip', sip,
                               True))
        steps.append(_step('/users/%s' % uuid, 'user %s' % uuid, 'user', uuid, True))
        return steps

    def update_refusals(self, changes):
        # PUT /users/import changes every column it reads (16.15 refuses the others itself,
        # and the preflight predicts it).
        return []

    def update_requests(self, uuid, values, changes):
        return []   # update_by_import: the rows go to PUT /users/import

    def update_applied(self, request, current):
        return None

    def identity_view(self, users, accounts=None):
        return None

    def accounts(self, items):
        return []

    def identity_conflicts(self, values, user, view):
        # 16.15 keeps unique what user_identity compares for every platform (exten@context,
        # username, email) and refuses another user's incall number itself.
        return []

    def identity_warnings(self, view):
        return []

    def adapt_rows(self, header, rows, server_facts):
        # The platform-neutral rows are confd 16.x rows: what 16.15 reads. The columns of a
        # later server (a file written for Wazo: subscription_type, call_record_*_enabled)
        # 16.15 would ignore without a word: they are dropped, and said.
        read = set(self.columns.update) | set(self.columns.export)
        return drop_columns(header, rows, set(c for c in header if c not in read), lambda c: (
            '%s has no such column (it would ignore it without a word)' % self.title))


def _step(path, what, kind, ident_, removes=False, api='confd', parent=None):
    return RemovalStep('DELETE', path, what, kind, ident_, removes, api, parent)


def _voicemail_and_incall_steps(user, voicemail_link):
    """The first steps of removing ``user`` on both platforms: its voicemail is dissociated
    (DELETE ``voicemail_link``, the one route that differs) then deleted; then each incall,
    before its numbers."""
    steps = []
    voicemail = ident(user.get('voicemail'))
    if voicemail:
        steps += [_step(voicemail_link, 'the voicemail of user %s' % user.get('uuid'),
                        'voicemail.dissociate', voicemail),
                  _step('/voicemails/%s' % voicemail, 'voicemail %s' % voicemail,
                        'voicemail', voicemail, True)]
    for incall in user.get('incalls') or []:
        steps.append(_step('/incalls/%s' % incall['id'], 'incall %s' % incall['id'], 'incall',
                           incall['id'], True))
        for number in [ident(e) for e in incall.get('extensions') or []]:
            steps.append(_step('/extensions/%s' % number, 'extension %s' % number,
                               'incall_extension', number, True, parent=incall['id']))
    return steps


XIVO = XivoPlatform()
