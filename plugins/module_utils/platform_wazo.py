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

This module holds the connection side (endpoints, authentication, headers, ACLs, tenants), what
the preflight asks (``WazoPreflightFacts``) and ``WazoPlatform``, the one Wazo ``Platform``; the
rows' columns and rules are in ``wazo_rows``, identity and updates in ``wazo_identity``, and the
class delegates to their functions.
"""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    PROXY_PREFIX, Columns, Endpoints, Platform, PreflightFacts, normal_prefix)
from ansible_collections.xivo.confd.plugins.module_utils.platform_xivo import (
    _step, _voicemail_and_incall_steps, ident, route_acl, service_url)
from ansible_collections.xivo.confd.plugins.module_utils.wazo_rows import (
    EXPORT_COLUMNS, IMPORT_COLUMNS, BOOLEAN_COLUMNS, INTEGER_COLUMNS, SECRET_COLUMNS, LINE_PROTOCOLS,
    adapt_rows, validate_row)
from ansible_collections.xivo.confd.plugins.module_utils.wazo_identity import (
    NAME_NOT_REFRESHED, IdentityView, accounts_from_auth, identity_conflicts, identity_notes,
    update_applied, update_refusals, update_requests)

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


class WazoPreflightFacts(PreflightFacts):
    """What the preflight asks of Wazo Platform (see platform.PreflightFacts): its lists, and
    what it sees of other tenants."""

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

    def quote(self, value):
        # wazo-confd runs on Python 3 (observed on 26.08: ('name': 'nosuchperm')).
        return repr(value)

    def tenant_scope(self, tenants):
        """From wazo-auth's GET /0.1/tenants read in the credentials' own tenant: it lists that
        tenant and those below it; the top tenant of the server (master) is its own parent
        (read in wazo-auth's source: find_top_tenant)."""
        items = [t for t in tenants or () if isinstance(t, dict) and t.get('uuid')]
        uuids = set(t['uuid'] for t in items)
        tops = [t for t in items if t.get('parent_uuid') == t['uuid']
                or t.get('parent_uuid') not in uuids]
        if len(tops) != 1:
            return None, False
        return tops[0]['uuid'], tops[0].get('parent_uuid') == tops[0]['uuid']

    def foreign_refusal(self, item, tenant):
        """Observed on 26.08 (a tenant A SIP username imported in tenant B): Resource Error -
        different tenants ('line_tenant_uuid': B, 'endpoint_tenant_uuid': A)."""
        if not isinstance(item, dict) or not tenant or not item.get('tenant_uuid') \
                or item['tenant_uuid'] == tenant:
            return None
        return ("Resource Error - different tenants ('line_tenant_uuid': %r, "
                "'endpoint_tenant_uuid': %r)" % (tenant, item['tenant_uuid']))


class WazoPlatform(WazoPreflightFacts, Platform):
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
    # A webrtc line is a SIP endpoint with the webrtc template: 26.08's export says sip.
    exported_as = {'line_protocol': {'webrtc': 'sip'}}
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

    # The rows (wazo_rows), identity and updates (wazo_identity): their functions answer.
    validate_row = staticmethod(validate_row)
    adapt_rows = staticmethod(adapt_rows)
    update_refusals = staticmethod(update_refusals)
    update_requests = staticmethod(update_requests)
    update_applied = staticmethod(update_applied)
    identity_view = staticmethod(IdentityView)
    accounts = staticmethod(accounts_from_auth)
    identity_conflicts = staticmethod(identity_conflicts)
    identity_warnings = staticmethod(identity_notes)

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
        steps = _voicemail_and_incall_steps(user, '/users/%s/voicemails' % uuid)
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
