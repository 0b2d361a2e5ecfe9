# -*- coding: utf-8 -*-
"""Where and how the client talks to a Wazo server: the platform probe, both address layouts,
token-only authentication, the tenant on every request, and 401 bodies that quote the token.
Against a scripted Wazo (wazo_fake) and, for XiVO, the emulator's 16.15 profile."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.xivo.confd.plugins.module_utils import run_evidence
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdClient, ConfdError)
from tests.integration.fleets import emulated_fleet
from tests.integration.imports import run_import
from tests.integration.playbook import run_playbook
from tests.emulator.wazo import WazoServer
from tests.integration.wazo_fake import TENANT_A, TENANT_B, FakeWazo

LOGIN, PASSWORD = 'wazo-migration', 'Pw-1234'


@pytest.fixture(name='proxy')
def proxy_fixture():
    """A Wazo of 20.07 and later: confd and wazo-auth under /api on one port."""
    with FakeWazo('127.0.71.1', 'proxy', LOGIN, PASSWORD) as fake:
        yield fake


@pytest.fixture(name='direct')
def direct_fixture():
    """A Wazo before 20.07: confd and wazo-auth on their own ports, no prefix."""
    with FakeWazo('127.0.71.2', 'direct', LOGIN, PASSWORD) as fake:
        yield fake


def client(fake, tmp_path, **options):
    args = dict(username=LOGIN, password=PASSWORD, ca_path=fake.ca_file(tmp_path),
                platform='auto', retries=0)
    args.update(options)
    return ConfdClient(fake.address, **args)


def confd_paths(fake):
    return [(request[1], request[2]) for request in fake.confd_requests()]


def test_auto_finds_wazo_behind_its_proxy_on_the_given_port(proxy, tmp_path):
    api = client(proxy, tmp_path, port=proxy.port)
    headers, users = api.export_users()
    api.close()
    assert api.platform.name == 'wazo' and users[0]['firstname'] == 'Alice'
    assert 'username' in headers
    # The given port without prefix first (404 there), then /api on the same port.
    first = proxy.requests[0]
    assert (first[0], first[2]) == (None, '/1.1/infos')
    assert confd_paths(proxy) == [('GET', '/1.1/infos'), ('GET', '/1.1/infos'),
                                  ('GET', '/1.1/users/export')]
    token_request = [r for r in proxy.requests if r[2] == '/0.1/token'][0]
    assert token_request[0] == 'auth' and json.loads(token_request[5]) == {'expiration': 3600}
    assert api.base_url == 'https://127.0.71.1:%d/api/confd/1.1' % proxy.port


def test_auto_finds_wazo_on_its_own_ports(direct, tmp_path):
    api = client(direct, tmp_path, port=direct.port, auth_port=direct.auth_port)
    api.export_users()
    api.close()
    assert api.platform.name == 'wazo'
    assert api.base_url == 'https://127.0.71.2:%d/1.1' % direct.port
    assert [r[2] for r in direct.requests if r[0] == 'auth'][0] == '/0.1/token'


def test_an_explicit_platform_sends_no_probe_in_either_layout(proxy, direct, tmp_path):
    behind = client(proxy, tmp_path, platform='wazo', port=proxy.port)
    behind.export_users()
    behind.close()
    own = client(direct, tmp_path, platform='wazo', port=direct.port,
                 auth_port=direct.auth_port, api_prefix='')
    own.export_users()
    own.close()
    assert confd_paths(proxy) == confd_paths(direct) == [('GET', '/1.1/users/export')]
    assert proxy.requests[0][:3] == ('auth', 'POST', '/0.1/token')


def test_the_tenant_goes_with_every_confd_request(proxy, tmp_path):
    api = client(proxy, tmp_path, platform='wazo', port=proxy.port, tenant=TENANT_B)
    assert api.export_users()[1] == []          # tenant B's users, not the token's (A)
    api.read('/infos', 'read of infos', 'confd.infos.read')
    api.close()
    sent = proxy.confd_requests()
    assert len(sent) == 2 and all(r[4].get('Wazo-Tenant') == TENANT_B for r in sent)
    # With the probe: every request after it.
    probed = FakeWazo('127.0.71.3', 'proxy', LOGIN, PASSWORD, ca=proxy.ca)
    with probed:
        api = client(probed, tmp_path, port=probed.port, tenant=TENANT_B)
        api.export_users()
        api.close()
    after_probe = [r for r in probed.confd_requests() if r[2] != '/1.1/infos']
    assert after_probe and all(r[4].get('Wazo-Tenant') == TENANT_B for r in after_probe)


@pytest.mark.parametrize('name', ['custb', 'Customer B', 'CUSTB'])
def test_a_tenant_is_found_by_its_name_or_slug(proxy, tmp_path, name):
    api = client(proxy, tmp_path, platform='wazo', port=proxy.port, tenant=name)
    api.export_users()
    api.close()
    assert api.tenant == TENANT_B
    lookup = [r for r in proxy.requests if r[2] == '/0.1/tenants']
    assert len(lookup) == 1 and lookup[0][3] == {'search': [name]}
    assert [r[4].get('Wazo-Tenant') for r in proxy.confd_requests()] == [TENANT_B]


def test_a_tenant_name_that_names_none_is_an_error_before_any_confd_request(proxy, tmp_path):
    api = client(proxy, tmp_path, platform='wazo', port=proxy.port, tenant='nobody')
    with pytest.raises(ConfdError, match="tenant 'nobody' names no tenant"):
        api.export_users()
    api.close()
    assert proxy.confd_requests() == []


def test_a_tenant_name_that_names_two_is_an_error_naming_both(proxy, tmp_path):
    api = client(proxy, tmp_path, platform='wazo', port=proxy.port, tenant='shr1')
    with pytest.raises(ConfdError, match="tenant 'shr1' is ambiguous: Shared \\(dddddddd-.*"
                                         "shr1 \\(eeeeeeee-"):
        api.export_users()
    api.close()
    assert proxy.confd_requests() == []


def test_finding_a_tenant_without_the_acl_names_it(tmp_path):
    with FakeWazo('127.0.71.4', 'proxy', LOGIN, PASSWORD,
                  acls=('confd.infos.read', 'confd.users.export.read')) as fake:
        api = client(fake, tmp_path, platform='wazo', port=fake.port, tenant='custb')
        with pytest.raises(ConfdAuthRefused, match='needs the ACL auth.tenants.read') as error:
            api.export_users()
        token = api.secrets - {PASSWORD}
        api.close()
    assert token and not any(t in str(error.value) for t in token)


def test_digest_is_refused_on_wazo_before_credentials_are_sent(proxy, tmp_path):
    with pytest.raises(ConfdError, match='auth_method digest cannot be used with Wazo'):
        client(proxy, tmp_path, platform='wazo', port=proxy.port, auth_method='digest')
    api = client(proxy, tmp_path, port=proxy.port, auth_method='digest')
    with pytest.raises(ConfdError, match='auth_method digest cannot be used with Wazo'):
        api.export_users()
    api.close()
    assert not any('Authorization' in r[4] for r in proxy.requests)


def test_the_token_is_revoked_at_close_and_a_given_one_never(proxy, tmp_path):
    api = client(proxy, tmp_path, platform='wazo', port=proxy.port)
    api.export_users()
    made = list(proxy.tokens)
    api.close()
    assert proxy.revoked == made and len(made) == 1
    assert [r[2] for r in proxy.requests if r[1] == 'DELETE'] == ['/0.1/token/' + made[0]]
    proxy.tokens['given-token'] = TENANT_A
    given = ConfdClient(proxy.address, port=proxy.port, token='given-token', platform='auto',
                        ca_path=proxy.ca_file(tmp_path))
    given.export_users()
    given.close()
    assert proxy.revoked == made


def test_auto_finds_xivo_on_the_emulator(tmp_path):
    with emulated_fleet(1, '127.0.71.20', 'ws', 'Ws-Pass-1') as servers:
        server = next(iter(servers))
        api = ConfdClient(server.address, port=server.port, auth_port=server.auth_port,
                          username='ws', password='Ws-Pass-1', ca_path=servers.ca_path,
                          platform='auto', tenant=TENANT_A)
        api.export_users()
        api.close()
        assert api.platform.name == 'xivo' and api.tenant is None
        assert any('tenant' in event and 'ignored' in event for event in api.events)
        # The probe: /infos without credentials (a Digest challenge: XiVO), then with them.
        assert [(r['path'], r['status']) for r in server.request_log][:3] == [
            ('/1.1/infos', 401), ('/1.1/infos', 200), ('/1.1/users/export', 200)]


def test_a_401_body_quoting_the_token_is_never_shown(tmp_path):
    """wazo-confd 26.08 quotes the caller's token in every 401 body: neither the client's
    error nor, through ansible-playbook at the highest verbosity, anything shows it."""
    with FakeWazo('127.0.71.5', 'proxy', LOGIN, PASSWORD, acls=('confd.infos.read',)) as fake:
        api = client(fake, tmp_path, port=fake.port, tenant=TENANT_A)
        with pytest.raises(ConfdAuthRefused, match='confd.users.export.read') as error:
            api.export_users()
        token = api.secrets - {PASSWORD}
        api.close()
        assert token and not any(t in str(error.value) for t in token)
        assert fake.confd_requests()[-1][2] == '/1.1/users/export'
        task = {'name': 'export', 'xivo.confd.user_export': dict(
            host=fake.address, port=fake.port, username=LOGIN, password='{{ pw }}',
            ca_path=fake.ca_file(tmp_path), tenant=TENANT_A),
            'register': 'out', 'ignore_errors': True}
        run = run_playbook(tmp_path, [task], hosts={'localhost': {'pw': PASSWORD}},
                           extra_args=['-vvv'])
        tokens = list(fake.revoked)
    result = run.result('export')
    assert [r[2] for r in fake.confd_requests()][-1] == '/1.1/users/export', run.stdout[-2000:]
    assert result['failed'] and 'refused the user export (401)' in result['msg']
    assert tokens, 'the token was revoked at the end of the task'
    for secret in tokens + [PASSWORD]:
        assert secret not in run.stdout and secret not in run.stderr
        assert secret not in run.results_text


def test_a_run_with_platform_auto_reads_infos_twice_and_reports_the_servers_uuid(tmp_path):
    """The probe's /infos read with the token is the report's server identity: no third read."""
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,exten,context,line_protocol,username,password\n'
                   'Jean,Dupont,1001,default,sip,jdupont,Secret-1001\n')
    with emulated_fleet(1, '127.0.71.21', 'ws', 'Ws-Pass-1') as servers:
        server = next(iter(servers))
        api = ConfdClient(server.address, port=server.port, auth_port=server.auth_port,
                          username='ws', password='Ws-Pass-1', ca_path=servers.ca_path,
                          platform='auto')
        result = run_import(api, src, tmp_path, 'xivo-1', report_dest=str(tmp_path / 'r.json'))
        infos = [r['status'] for r in server.request_log if r['path'] == '/1.1/infos']
        uuid = server.store.meta['uuid']
    assert result['summary']['created'] == 1, result
    assert infos == [401, 200]
    assert json.loads((tmp_path / 'r.json').read_text())['server_identity'] == dict(
        uuid=uuid, platform='xivo', tenant=None, api='https://%s:%s' % (server.address, server.port))


def wazo_with_two_tenants(address, layout='api'):
    return WazoServer(address=address, port=0, auth_port=0 if layout == 'ports' else None,
                      layout=layout, seed={
                          'tenants': [{'uuid': TENANT_A, 'name': 'tenanta'},
                                      {'uuid': TENANT_B, 'name': 'tenantb'}],
                          'auth_users': [{'username': LOGIN, 'password': PASSWORD,
                                          'tenant': 'master',
                                          'acls': ['confd.#', 'auth.tenants.read']}]})


def test_on_wazo_the_probes_infos_is_the_identity_read_in_the_tenant(monkeypatch):
    """/infos is server-wide: the probe's answer (no tenant) is the identity the tenant's read
    gives (platform given: no probe)."""
    infos = []
    send = requests.adapters.HTTPAdapter.send

    def counting_send(adapter, request, *args, **kwargs):
        if request.path_url.endswith('/infos'):
            infos.append(request.headers.get('Wazo-Tenant'))
        return send(adapter, request, *args, **kwargs)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, 'send', counting_send)
    server = wazo_with_two_tenants('127.0.71.42', 'ports')
    server.start()
    try:
        identities = []
        for platform in ('auto', 'wazo'):
            api = ConfdClient(server.address, username=LOGIN, password=PASSWORD, port=server.port,
                              auth_port=server.auth_port, api_prefix='', platform=platform,
                              tenant='TenantB', ca_path=server.ca_path)
            api.export_users()
            identities.append(run_evidence.read_identity(api, api.platform.name, api.tenant))
            api.close()
    finally:
        server.stop()
    # auto: the probe without the token (401), then with it; wazo: one read, in the tenant.
    assert infos == [None, None, TENANT_B]
    assert identities[0] == identities[1] == dict(
        uuid=identities[0]['uuid'], platform='wazo', tenant=TENANT_B,
        api='https://%s:%s' % (server.address, server.port)) and identities[0]['uuid']


@pytest.mark.parametrize('layout', ['api', 'ports'])
def test_auto_and_a_tenant_name_on_the_emulators_wazo_profile(layout):
    """The emulator's Wazo 26.08 profile in either layout: found by the probe, the tenant found
    by its name, the export read in that tenant."""
    server = wazo_with_two_tenants('127.0.71.%d' % (40 if layout == 'api' else 41), layout)
    server.start()
    try:
        where = dict(port=server.port)
        if layout == 'ports':
            where['auth_port'] = server.auth_port
        api = ConfdClient(server.address, username=LOGIN, password=PASSWORD, platform='auto',
                          tenant='TenantB', ca_path=server.ca_path, **where)
        assert api.export_users()[1] == []
        api.close()
    finally:
        server.stop()
    assert (api.platform.name, api.tenant) == ('wazo', TENANT_B)
    assert api.base_url.endswith('/api/confd/1.1' if layout == 'api' else ':%d/1.1' % where['port'])
