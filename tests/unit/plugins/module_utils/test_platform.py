# -*- coding: utf-8 -*-
"""The platform seam: each platform's answers, and the client asking them."""

from __future__ import annotations

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import confd_columns, confd_rules
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdClient, ConfdError)
from ansible_collections.xivo.confd.plugins.module_utils.platform import (
    Endpoints, Platform, guess_from_refusal, platform_named, probe, probe_layouts)
from ansible_collections.xivo.confd.plugins.module_utils.platform_wazo import WAZO
from ansible_collections.xivo.confd.plugins.module_utils.platform_xivo import XIVO

# Observed: wazo-confd 26.08 (W1, 001-infos.txt); XiVO 16.15 answers its uuid only.
WAZO_INFOS = {'uuid': '25a8940f-b563-4537-81d0-ccd40c841a2c', 'wazo_version': '26.08'}
TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
XIVO_INFOS = {'uuid': '0b0f8d6a-4e9f-4a0e-9d1b-5c2d3f4e5a6b'}


def test_platforms_are_found_by_name_and_the_probe_tells_them_apart():
    assert platform_named('xivo') is XIVO and platform_named('wazo') is WAZO
    assert platform_named(WAZO) is WAZO
    assert (XIVO.name, WAZO.name) == ('xivo', 'wazo')
    with pytest.raises(ValueError, match="unknown platform 'asterisk'"):
        platform_named('asterisk')
    assert probe(WAZO_INFOS) == 'wazo'
    assert probe(XIVO_INFOS) == 'xivo'
    assert probe(None) == 'xivo' and probe(['not', 'a', 'dict']) == 'xivo'


def test_every_member_of_the_interface_is_answered_by_each_platform():
    members = [name for name, value in vars(Platform).items()
               if callable(value) and not name.startswith('_')]
    assert {'endpoints', 'token_request', 'headers', 'acl', 'created_ids',
            'removal_steps'} <= set(members)
    for platform in (XIVO, WAZO):
        assert platform.title and platform.auth_name and platform.export_accept
        for name in ('endpoints', 'token_request', 'headers', 'acl', 'access_hint',
                     'created_ids', 'removal_steps', 'quote', 'tenant_scope',
                     'foreign_refusal'):
            assert getattr(type(platform), name) is not getattr(Platform, name), (platform, name)


def test_xivo_addresses_auth_and_headers_are_those_of_16_15():
    assert XIVO.endpoints('pbx.example') == Endpoints(
        'https://pbx.example:9486/1.1', 'https://pbx.example:9497/0.1', 9486, 9497)
    assert XIVO.endpoints('::1', 19486, 19497).confd == 'https://[::1]:19486/1.1'
    assert XIVO.auth_methods == ('token', 'digest')
    assert XIVO.token_request('xivo_service', 60) == {'backend': 'xivo_service',
                                                      'expiration': 60}
    assert XIVO.headers('tok') == {'X-Auth-Token': 'tok'}
    assert XIVO.headers(None) == {}
    assert XIVO.update_by_import and XIVO.export_accept == 'application/json'


def test_wazo_addresses_follow_the_layout_of_its_release():
    # 20.07 and later: nginx on 443, both services under /api.
    assert WAZO.endpoints('wazo.example') == Endpoints(
        'https://wazo.example:443/api/confd/1.1', 'https://wazo.example:443/api/auth/0.1',
        443, 443)
    # Another port in front (a test server, a port forward): the same layout there.
    assert WAZO.endpoints('127.0.0.5', 8443).auth == 'https://127.0.0.5:8443/api/auth/0.1'
    # 17.01-20.06: the services' own ports, no prefix.
    assert WAZO.endpoints('old.example', 9486) == Endpoints(
        'https://old.example:9486/1.1', 'https://old.example:9497/0.1', 9486, 9497)
    assert WAZO.endpoints('old.example', prefix='') == WAZO.endpoints('old.example', 9486)
    assert WAZO.endpoints('old.example', prefix='/') == WAZO.endpoints('old.example', 9486)
    # A proxy that serves them elsewhere.
    assert WAZO.endpoints('w', 4443, 4444, prefix='/pbx/api/') == Endpoints(
        'https://w:4443/pbx/api/confd/1.1', 'https://w:4444/pbx/api/auth/0.1', 4443, 4444)


def test_wazo_authenticates_with_a_token_in_a_tenant():
    assert WAZO.auth_methods == ('token',)
    assert WAZO.token_request(None, 600) == {'expiration': 600}
    assert WAZO.headers('tok', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') == {
        'X-Auth-Token': 'tok', 'Wazo-Tenant': 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'}
    assert WAZO.headers('tok') == {'X-Auth-Token': 'tok'}
    assert not WAZO.update_by_import


def test_acls_name_the_routes_as_confd_does():
    for platform in (XIVO, WAZO):
        assert platform.acl('export') == 'confd.users.export.read'
        assert platform.acl('import') == 'confd.users.import.create'
        assert platform.acl('callpermission.delete', id=7) == 'confd.callpermissions.7.delete'
        assert platform.acl('DELETE', path='/users/U1/voicemail') == \
            'confd.users.U1.voicemail.delete'
        assert platform.acl('DELETE', path='/lines/7/endpoints/sip/3') == \
            'confd.lines.7.endpoints.sip.3.delete'
        assert platform.acl('GET', path='/extensions/34') == 'confd.extensions.34.read'
    assert XIVO.acl('update') == 'confd.users.import.update'
    assert WAZO.acl('DELETE', path='/users/U1', service='auth') == 'auth.users.U1.delete'
    assert WAZO.acl('tenants.read') == 'auth.tenants.read'


def test_xivo_columns_and_rules_are_those_of_confd_16_15():
    assert XIVO.columns.import_ == confd_columns.IMPORT_COLUMNS
    assert XIVO.columns.update == ('uuid',) + confd_columns.IMPORT_COLUMNS
    assert XIVO.columns.export == confd_columns.EXPORT_COLUMNS
    assert 'sip_secret' in XIVO.columns.secret and 'enabled' in XIVO.columns.boolean
    row = {'firstname': '', 'lastname': 'Smith', 'ring_seconds': '7'}
    assert XIVO.validate_row(row) == confd_rules.validate_row(row)
    assert XIVO.validate_row(row)       # firstname may not be empty
    header, rows, problems = XIVO.adapt_rows(['firstname'], [{'firstname': 'A'}], {})
    assert (header, rows, problems) == (['firstname'], [{'firstname': 'A'}], [])


def test_created_entries_are_normalised():
    xivo = XIVO.created_ids({'row_number': 1, 'user_id': 3, 'user_uuid': 'U', 'line_id': 4,
                             'sip_id': 9, 'sccp_id': None, 'extension_id': 5})
    assert xivo['endpoint_kind'] == 'sip' and xivo['endpoint_id'] == 9
    assert 'row_number' not in xivo and xivo['user_id'] == 3 and xivo['sip_id'] == 9
    sccp = XIVO.created_ids({'row_number': 1, 'user_id': 3, 'sip_id': None, 'sccp_id': 2})
    assert (sccp['endpoint_kind'], sccp['endpoint_id']) == ('sccp', 2)
    # Observed on Wazo 26.08 (016-import-valid5): sip_uuid replaces sip_id.
    wazo = WAZO.created_ids({'row_number': 1, 'user_id': 3, 'user_uuid': 'U', 'line_id': 4,
                             'sip_uuid': 'S-1', 'sccp_id': None, 'extension_id': 5})
    assert (wazo['endpoint_kind'], wazo['endpoint_id']) == ('sip', 'S-1')
    user_only = WAZO.created_ids({'row_number': 2, 'user_id': 4, 'user_uuid': 'V'})
    assert (user_only['endpoint_kind'], user_only['endpoint_id']) == (None, None)


USER = {'uuid': 'U', 'voicemail': {'id': 2},
        'incalls': [{'id': 6, 'extensions': [{'id': 40}]}],
        'lines': [{'id': 7, 'endpoint_sip': {'id': 3, 'uuid': 'S-3'},
                   'extensions': [{'id': 34}]}]}


def test_the_removal_order_is_each_servers():
    assert [(s.api, s.path) for s in XIVO.removal_steps(USER)] == [
        ('confd', '/users/U/voicemail'), ('confd', '/voicemails/2'), ('confd', '/incalls/6'),
        ('confd', '/extensions/40'), ('confd', '/lines/7/extensions/34'),
        ('confd', '/extensions/34'), ('confd', '/lines/7/endpoints/sip/3'),
        ('confd', '/users/U/lines/7'), ('confd', '/lines/7'), ('confd', '/users/U')]
    # Observed on Wazo 26.08 (091-139): the plural voicemail route, the line before its
    # extension, the wazo-auth user last. A SIP endpoint is detached (when it existed before
    # the run) once the line has lost its user and extension: wazo-confd refuses it before.
    wazo = WAZO.removal_steps(USER)
    assert [(s.api, s.path) for s in wazo] == [
        ('confd', '/users/U/voicemails'), ('confd', '/voicemails/2'), ('confd', '/incalls/6'),
        ('confd', '/extensions/40'), ('confd', '/users/U/lines/7'),
        ('confd', '/lines/7/extensions/34'), ('confd', '/lines/7/endpoints/sip/S-3'),
        ('confd', '/lines/7'), ('confd', '/extensions/34'), ('confd', '/users/U'),
        ('auth', '/users/U')]
    assert [s.kind for s in wazo[4:7]] == ['sip.before_dissociate'] * 2 + ['sip.dissociate']
    for platform in (XIVO, WAZO):
        steps = platform.removal_steps({'uuid': 'V'})
        assert [(s.method, s.path, s.kind, s.removes) for s in steps][0] == \
            ('DELETE', '/users/V', 'user', True)


def test_a_sip_endpoint_made_with_no_line_is_removed_by_its_id_on_xivo():
    # Observed on 16.15: line_protocol=sip and no context: a sip_id, no line_id.
    ids = XIVO.created_ids({'row_number': 1, 'user_id': 1, 'user_uuid': 'V', 'line_id': None,
                            'sip_id': 4, 'sccp_id': None})
    steps = XIVO.removal_steps({'uuid': 'V', 'lines': []}, ids)
    assert [(s.path, s.kind, s.removes) for s in steps] == [
        ('/endpoints/sip/4', 'sip', True), ('/users/V', 'user', True)]
    # With a line, the line leads to it (deleting the line deletes it).
    assert [s.kind for s in XIVO.removal_steps(USER, dict(ids, line_id=7, sip_id=3))
            if s.kind == 'sip'] == []
    assert XIVO.endpoint_without_line and not WAZO.endpoint_without_line


class Session:
    """Answers every request with 200 {} and records it."""

    def __init__(self):
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))

        class Answer:
            status_code = 200
            headers = {'Content-Type': 'application/json'}
            text = '{}'

            @staticmethod
            def json():
                return {'data': {'token': 'tok-1'}} if url.endswith('/token') else {}
        return Answer()

    def close(self):
        pass


def test_the_client_asks_its_platform_where_and_how():
    session = Session()
    client = ConfdClient('w.example', username='u', password='p', platform='wazo',
                         tenant=TENANT_A, session=session, auth_backend=None)
    client.read('/infos', 'read of infos', client.platform.acl('infos'))
    client.call('DELETE', '/users/U', True, 'removal', api='auth')
    (token_url, token), (infos_url, infos), (auth_url, auth) = [
        call[1:] for call in session.calls]
    assert token_url == 'https://w.example:443/api/auth/0.1/token'
    assert token['json'] == {'expiration': 3600}
    assert infos_url == 'https://w.example:443/api/confd/1.1/infos'
    assert infos['headers']['Wazo-Tenant'] == TENANT_A
    assert infos['headers']['X-Auth-Token'] == 'tok-1'
    assert auth_url == 'https://w.example:443/api/auth/0.1/users/U'
    assert auth['headers']['Wazo-Tenant'] == TENANT_A
    xivo = ConfdClient('x.example', token='t', session=Session())
    assert (xivo.platform, xivo.base_url, xivo.port) == (XIVO, 'https://x.example:9486/1.1', 9486)


def test_digest_is_refused_where_the_platform_has_none():
    with pytest.raises(ConfdError, match='auth_method digest cannot be used with Wazo'):
        ConfdClient('w.example', username='u', password='p', auth_method='digest',
                    platform='wazo', session=Session())
    with pytest.raises(ConfdError, match='cannot update users by import'):
        ConfdClient('w.example', token='t', platform='wazo',
                    session=Session()).import_csv(b'firstname\n', update=True)


def test_auto_looks_at_the_given_port_first_then_under_api():
    assert probe_layouts() == [(None, 9486, ''), ('wazo', 443, '/api')]
    assert probe_layouts(8443) == [(None, 8443, ''), ('wazo', 8443, '/api')]
    assert probe_layouts(None, '/') == [(None, None, '')]
    assert probe_layouts(4443, 'pbx/api/') == [('wazo', 4443, '/pbx/api')]
    # Before credentials: confd 16.x challenges for Digest; Wazo's confd takes tokens only.
    digest = {'WWW-Authenticate': 'Digest realm="Authentication Required",nonce="n"'}
    assert guess_from_refusal(None, digest) == 'xivo'
    assert guess_from_refusal(None, {}) == 'wazo'
    assert guess_from_refusal('wazo', {'Content-Type': 'application/json'}) == 'wazo'


def test_wazo_finds_a_tenant_by_name_or_slug_in_any_case():
    tenants = [{'uuid': 'A', 'name': 'Customer A', 'slug': 'custa'},
               {'uuid': 'B', 'name': 'custa', 'slug': 'other'}, {'name': 'no uuid'}]
    assert [t['uuid'] for t in WAZO.find_tenant(tenants, 'CUSTOMER a')] == ['A']
    assert [t['uuid'] for t in WAZO.find_tenant(tenants, 'custa')] == ['A', 'B']
    assert WAZO.find_tenant(tenants, 'Customer') == []
    assert WAZO.has_tenants and not XIVO.has_tenants
