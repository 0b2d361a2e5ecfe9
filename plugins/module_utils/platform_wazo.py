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

from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    Endpoints, Platform)
from ansible_collections.xivo.confd.plugins.module_utils.platform_xivo import (
    _incall_steps, _step, ident, route_acl, service_url)

API_PREFIX = '/1.1'
AUTH_PREFIX = '/0.1'
PROXY_PORT = 443            # nginx, since 20.07
PROXY_PREFIX = '/api'       # confd under /api/confd, wazo-auth under /api/auth
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


class WazoPlatform(Platform):
    name = 'wazo'
    title = 'Wazo Platform'
    auth_methods = ('token',)
    auth_name = 'wazo-auth'
    credentials_hint = 'Check username/password (a wazo-auth user, see its policy).'
    ports_hint = ('Wazo 20.07 and later serve confd and wazo-auth through nginx on HTTPS 443 '
                  'under /api; earlier releases on HTTPS 9486 and 9497')
    # Observed on 26.08: application/json (like no Accept at all, text/plain or text/csv
    # without its charset) gets JSON; text/csv; charset=utf-8, text/* or */* get CSV.
    export_accept = 'application/json'
    update_by_import = False

    def endpoints(self, host, port=None, auth_port=None, prefix=None):
        """By default the layout of Wazo 20.07 and later (nginx on 443, under /api); on port
        9486, the services' own ports of Wazo 17.01-20.06 (no prefix). ``prefix`` ('' or a
        path) says which layout, whatever the port."""
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

    def removal_steps(self, user, ids=None):
        # Observed on 26.08, every step 204: the voicemail is dissociated (plural route:
        # the singular one of 16.15 is an HTML 404) and deleted; an incall before its
        # number; the line (which deletes its SIP endpoint and frees its extension: an
        # endpoint that existed before is detached first), then its extension; the user;
        # its wazo-auth user last (else a new import of the row meets the 409 of the login).
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
