"""The Wazo Platform 26.08 profile (tests/emulator/wazo/): the exchanges recorded on a real
wazo-confd 26.08 replayed against it (every status, content type and body; the normalisations are
listed in wazo/replay.py), and what the recording does not show: both address layouts, wazo-auth
(tokens, tenants by name or slug, users and their 409), a fleet mixing XiVO and Wazo servers, the
speed model and the command line."""
import json
import os
import subprocess
import sys

import pytest
import requests

from tests.emulator import Fleet
from tests.emulator.wazo import WazoServer
from tests.emulator.wazo import replay
from tests.emulator.wazo.authsvc import MASTER_TENANT
from tests.emulator.wazo.server import TENANT_A

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CSV = 'text/csv; charset=utf-8'


def _address(last):
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    offset = int(''.join(c for c in worker if c.isdigit()) or 0)
    return '127.0.26.%d' % (last + 20 * offset)


def token(server, login='admin', password='passadmin', expiration=600, ca=None):
    r = requests.post(server.auth_url + '/0.1/token', auth=(login, password), json={'expiration': expiration},
                      verify=ca or server.ca_path, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()['data']


def confd(server, method, path, tok, tenant=None, ca=None, **kw):
    headers = dict(kw.pop('headers', {}), **{'X-Auth-Token': tok})
    if tenant:
        headers['Wazo-Tenant'] = tenant
    return requests.request(method, server.url + '/1.1' + path, headers=headers, verify=ca or server.ca_path,
                            timeout=30, **kw)


# -- the recorded exchanges --------------------------------------------------------------------------

def test_every_recorded_exchange_is_answered_as_the_real_server_did():
    exchanges = replay.exchanges()
    assert len(exchanges) == 171  # the 165 numbered files of INDEX.txt and the 6 cost-run imports
    with WazoServer(address=_address(1), port=0, auth_port=0, layout='ports', seed=replay.replay_seed(),
                    rng_seed=2608) as server:
        results = replay.Replayer(server).run(exchanges)
    differing = ['%s:\n    %s' % (ex.name, '\n    '.join(problems[:5])) for ex, problems in results if problems]
    assert not differing, '\n'.join(differing)


def test_the_replay_sees_a_difference():
    """The comparison is not blind: a changed text, a second pairing of a generated id, a float
    for an int, a missing key are all reported; a consistent renaming of generated ids is not."""
    binder = replay.Binder(generated={'qwertyui'})
    cmp = replay.Comparer(binder, 'https://e:1/1.1', 'http://localhost:9497/0.1/users')
    rec = {'created': [{'row_number': 1, 'user_id': 7, 'user_uuid': 'eea74910-56be-429e-9823-2da1ed26ec5c',
                        'line_id': 3, 'links': [{'rel': 'users', 'href': 'http://127.0.9.1:9486/1.1/users/7'}]}]}
    emu = {'created': [{'row_number': 1, 'user_id': 2, 'user_uuid': '11111111-56be-429e-9823-2da1ed26ec5c',
                        'line_id': 9, 'links': [{'rel': 'users', 'href': 'https://e:1/1.1/users/2'}]}]}
    cmp.value('body', rec, emu)
    assert cmp.problems == []
    cmp.value('again', {'user_id': 7}, {'user_id': 3})  # 7 was paired with 2
    cmp.value('ring', {'ring_time': 20.0}, {'ring_time': 20})
    cmp.value('text', "Resource Error - User already exists ('email': 'a@b.c')", "Resource Error - User exists")
    cmp.value('keys', {'a': 1, 'b': 2}, {'a': 1})
    cmp.value('random', 'abcdefgh', 'zzzzzzzz')  # not a string the emulator drew
    assert [p.split(':')[0] for p in cmp.problems] == [
        'again.user_id (binding users)', 'ring.ring_time (number type)', 'text', 'keys keys', 'random']


# -- address layouts ---------------------------------------------------------------------------------

def test_layout_api_one_https_port_with_the_nginx_prefixes():
    with WazoServer(address=_address(2), port=0) as server:
        assert server.url.endswith('/api/confd') and server.auth_url.endswith('/api/auth')
        assert server.url.split('/api/')[0] == server.auth_url.split('/api/')[0]  # one port
        data = token(server)
        r = confd(server, 'GET', '/infos', data['token'])
        assert r.status_code == 200 and r.json() == {'uuid': server.uuid, 'wazo_version': '26.08'}
        bare = server.url.replace('/api/confd', '')
        assert requests.get(bare + '/1.1/infos', verify=server.ca_path, timeout=10).status_code == 404
        assert requests.post(bare + '/0.1/token', auth=('admin', 'passadmin'), verify=server.ca_path,
                             timeout=10).status_code == 404


def test_layout_ports_confd_and_wazo_auth_apart():
    with WazoServer(address=_address(3), port=0, auth_port=0, layout='ports') as server:
        assert server.port != server.auth_port
        assert server.url.endswith(':%d' % server.port) and server.auth_url.endswith(':%d' % server.auth_port)
        data = token(server)
        assert confd(server, 'GET', '/infos', data['token']).json()['wazo_version'] == '26.08'
        wrong = requests.post('%s/0.1/token' % server.url, auth=('admin', 'passadmin'), verify=server.ca_path,
                              timeout=10)
        assert wrong.status_code == 404  # wazo-auth is not on the confd port


# -- wazo-auth -----------------------------------------------------------------------------------------

def test_token_basic_auth_expiration_tenant_and_revocation():
    with WazoServer(address=_address(4), port=0) as server:
        bad = requests.post(server.auth_url + '/0.1/token', auth=('admin', 'nope'), json={'expiration': 60},
                            verify=server.ca_path, timeout=10)
        assert bad.status_code == 401 and bad.json()['reason'] == ['Authentication Failed']
        data = token(server, expiration=60)
        assert data['metadata']['tenant_uuid'] == MASTER_TENANT
        tok = data['token']
        assert confd(server, 'GET', '/infos', tok).status_code == 200
        r = requests.delete(server.auth_url + '/0.1/token/' + tok, verify=server.ca_path, timeout=10)
        assert r.status_code == 200
        r = confd(server, 'GET', '/infos', tok)
        # the 401 body echoes the caller's token, as the real one does
        assert r.status_code == 401 and r.json() == ["('%s', 'confd.infos.read')" % tok]


def test_tenants_found_by_name_or_slug_and_scoped_to_the_caller():
    seed = {'tenants': [{'uuid': TENANT_A, 'name': 'Tenant A', 'slug': 'tenanta'},
                        {'name': 'Tenant B', 'slug': 'tenantb'}],
            'auth_users': [{'username': 'root', 'password': 'secret', 'tenant': 'master', 'acls': ['#']},
                           {'username': 'admin-a', 'password': 'pw-a', 'tenant': 'tenanta', 'acls': ['#']}]}
    with WazoServer(address=_address(5), port=0, seed=seed) as server:
        root = token(server, 'root', 'secret')['token']

        def tenants(tok, **params):
            r = requests.get(server.auth_url + '/0.1/tenants', params=params, headers={'X-Auth-Token': tok},
                             verify=server.ca_path, timeout=10)
            assert r.status_code == 200, r.text
            return r.json()
        assert [t['uuid'] for t in tenants(root, name='Tenant A')['items']] == [TENANT_A]
        assert [t['name'] for t in tenants(root, slug='tenantb')['items']] == ['Tenant B']
        assert tenants(root)['total'] == 3  # the master tenant and its two children
        admin_a = token(server, 'admin-a', 'pw-a')
        assert admin_a['metadata']['tenant_uuid'] == TENANT_A
        assert [t['slug'] for t in tenants(admin_a['token'])['items']] == ['tenanta']


def test_auth_users_login_unique_ignoring_case_and_the_import_409():
    with WazoServer(address=_address(6), port=0) as server:
        tok = token(server)['token']

        def new_user(**body):
            return requests.post(server.auth_url + '/0.1/users', json=body, verify=server.ca_path, timeout=10,
                                 headers={'X-Auth-Token': tok, 'Wazo-Tenant': TENANT_A})
        r = new_user(email_address='Ann@Example.com', firstname='Ann')
        assert r.status_code == 200 and r.json()['username'] == 'Ann@Example.com'  # no username: the email
        clash = new_user(username='ann@example.COM')
        assert clash.status_code == 409 and clash.json()['error_id'] == 'conflict'
        only = new_user(firstname='Nobody')
        assert only.json()['username'] == only.json()['uuid']  # neither: the uuid
        # the import meets the login of another user: confd's opaque message
        r = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV},
                  data='firstname,username,password\nBob,ANN@example.com,Passw0rd\n'.encode())
        assert r.status_code == 400
        assert r.json()['errors'][0]['message'] == \
            '409 Client Error: Conflict detected for url: http://localhost:9497/0.1/users'
        uuid = [u for u in server.auth.users.values() if u['username'] == 'Ann@Example.com'][0]['uuid']
        r = requests.delete(server.auth_url + '/0.1/users/' + uuid, headers={'X-Auth-Token': tok},
                            verify=server.ca_path, timeout=10)
        assert r.status_code == 204
        r = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV},
                  data='firstname,username,password\nBob,ANN@example.com,Passw0rd\n'.encode())
        assert r.status_code == 201, r.text


# -- a mixed fleet, the speed model, the command line ------------------------------------------------

def test_a_fleet_mixes_xivo_and_wazo_servers_with_several_tenants():
    internal = {'label': 'default', 'type': 'internal', 'user_ranges': [{'start': '1000', 'end': '1999'}]}
    wazo_seed = {'tenants': [{'uuid': TENANT_A, 'name': 'tenanta', 'contexts': [internal]},
                             {'name': 'tenantb', 'contexts': [internal]}],
                 'auth_users': [{'username': 'admin', 'password': 'passadmin', 'tenant': 'master',
                                 'acls': ['confd.#', 'auth.#']}]}
    with Fleet(3, first_address=_address(7), port=0, auth_port=0, profiles=['16.15', 'wazo-26.08'],
               wazo_seed=wazo_seed) as fleet:
        kinds = [server.profile.name for server in fleet]
        assert kinds == ['16.15', 'wazo-26.08', '16.15']
        xivo, wazo = fleet.servers[0], fleet.servers[1]
        r = requests.get(xivo.url + '/1.1/infos', auth=requests.auth.HTTPDigestAuth('admin', 'passadmin'),
                         verify=fleet.ca_path, timeout=10)
        assert r.status_code == 200 and 'wazo_version' not in r.json()  # the platform probe tells them apart
        tok = token(wazo, ca=fleet.ca_path)['token']
        assert confd(wazo, 'GET', '/infos', tok, ca=fleet.ca_path).json()['wazo_version'] == '26.08'
        tenant_b = [t for t in wazo.auth.tenants.values() if t['name'] == 'tenantb'][0]['uuid']
        for tenant in (TENANT_A, tenant_b):
            ctx = confd(wazo, 'GET', '/contexts', tok, tenant, ca=fleet.ca_path,
                        params={'label': 'default'}).json()['items'][0]
            r = confd(wazo, 'POST', '/users/import', tok, tenant, ca=fleet.ca_path, headers={'Content-Type': CSV},
                      data=('firstname,email,exten,context,line_protocol\nAnn,ann@%s.test,1001,%s,sip\n'
                            % (tenant[:4], ctx['name'])).encode())
            assert r.status_code == 201, r.text
        assert sorted(row['email'] for row in wazo.users()) == sorted(['ann@aaaa.test', 'ann@%s.test' % tenant_b[:4]])


def test_speed_model_one_cost_per_row(monkeypatch):
    """26.08 spends about 0.1 s of CPU per row, linearly; the cost comes before the import touches the store."""
    import tests.emulator.wazo.server as wazo_server
    slept = []
    monkeypatch.setattr(wazo_server.time, 'sleep', slept.append)
    with WazoServer(address=_address(8), port=0, row_cost=0.1, request_cost=0.05) as server:
        tok = token(server)['token']
        ctx = confd(server, 'GET', '/contexts', tok, TENANT_A, params={'label': 'default'}).json()['items'][0]
        rows = ''.join('U%d,%d,%s,sip\n' % (i, 1100 + i, ctx['name']) for i in range(10))
        r = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV},
                  data=('firstname,exten,context,line_protocol\n' + rows).encode())
        assert r.status_code == 201
        assert slept == [pytest.approx(0.05 + 10 * 0.1)]


def test_command_line_starts_a_wazo_server(tmp_path):
    ca = tmp_path / 'ca.pem'
    proc = subprocess.Popen([sys.executable, '-m', 'tests.emulator', '--profile', 'wazo-26.08', '--address',
                             _address(9), '--port', '0', '--ca-out', str(ca)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith('listening https://%s:' % _address(9)) and line.strip().endswith('wazo-26.08')
        url, auth = line.split()[1], line.split()[3].rstrip(')')
        r = requests.post(auth + '/0.1/token', auth=('admin', 'passadmin'), json={'expiration': 60},
                          verify=str(ca), timeout=10)
        r = requests.get(url + '/1.1/infos', headers={'X-Auth-Token': r.json()['data']['token']},
                         verify=str(ca), timeout=10)
        assert json.loads(r.text)['wazo_version'] == '26.08'
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_a_removal_in_the_observed_order_leaves_nothing_and_the_row_imports_again():
    """Undoing an imported row on 26.08 (voicemail dissociated then deleted, the incall and its
    number, the line's user and extension dissociated, its endpoint detached (refused while the
    line has a user or an extension), the line, the extension, the endpoint, the user, the
    wazo-auth user): every step 204, nothing left, and the same row imports again."""
    with WazoServer(address=_address(10), port=0) as server:
        tok = token(server)['token']
        names = {c['label']: c['name'] for c in confd(server, 'GET', '/contexts', tok, TENANT_A).json()['items']}
        row = ('firstname,email,username,password,exten,context,line_protocol,sip_username,voicemail_name,'
               'voicemail_number,voicemail_context,incall_exten,incall_context\n'
               'Ann,ann@x.test,ann,Passw0rd,1001,{0},sip,annsip,Ann VM,1001,{0},2001,{1}\n'
               .format(names['default'], names['from-extern']))
        r = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV}, data=row.encode())
        assert r.status_code == 201, r.text
        ids = r.json()['created'][0]
        uuid, line, sip = ids['user_uuid'], ids['line_id'], ids['sip_uuid']
        incall = confd(server, 'GET', '/users/' + uuid, tok, TENANT_A).json()['incalls'][0]['id']
        by_type = confd(server, 'GET', '/extensions', tok, TENANT_A, params={'type': 'incall'}).json()
        assert [e['id'] for e in by_type['items']] == [ids['incall_extension_id']]
        detach = '/lines/%d/endpoints/sip/%s' % (line, sip)
        refused = confd(server, 'DELETE', detach, tok, TENANT_A)
        assert refused.status_code == 400 and refused.json() == [
            "Resource Error - Line is associated with a User ('line_id': %d, 'user_ids': '%d')" % (line, ids['user_id'])]
        steps = ['/users/%s/voicemails' % uuid, '/voicemails/%d' % ids['voicemail_id'], '/incalls/%d' % incall,
                 '/extensions/%d' % ids['incall_extension_id'], '/users/%s/lines/%d' % (uuid, line),
                 '/lines/%d/extensions/%d' % (line, ids['extension_id']), detach, '/lines/%d' % line,
                 '/extensions/%d' % ids['extension_id'], '/users/%s' % uuid]
        for path in steps:
            r = confd(server, 'DELETE', path, tok, TENANT_A)
            assert r.status_code == 204, (path, r.text)
        # a line deletes its own SIP endpoint only: once detached, the endpoint stays behind
        assert confd(server, 'GET', '/endpoints/sip/' + sip, tok, TENANT_A).json()['line'] is None
        assert confd(server, 'DELETE', '/endpoints/sip/' + sip, tok, TENANT_A).status_code == 204
        again = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV}, data=row.encode())
        assert again.status_code == 400 and again.json()['errors'][0]['message'].startswith('409 Client Error')
        r = requests.delete(server.auth_url + '/0.1/users/' + uuid, headers={'X-Auth-Token': tok},
                            verify=server.ca_path, timeout=10)
        assert r.status_code == 204
        again = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV}, data=row.encode())
        assert again.status_code == 201, again.text


def test_faults_as_for_16x_with_nginx_in_front():
    """The 16.x faults (faults.py) on a Wazo server: an injected status, a committed import whose
    answer is lost, tokens that expire, wazo-auth down behind nginx (its 502 on the one port)."""
    with WazoServer(address=_address(11), port=0) as server:
        tok = token(server)['token']
        control = server.url.replace('/api/confd', '') + '/_emulator/faults'
        ctx = confd(server, 'GET', '/contexts', tok, TENANT_A, params={'label': 'default'}).json()['items'][0]['name']
        body = ('firstname,exten,context,line_protocol\nAnn,1001,%s,sip\n' % ctx).encode()
        requests.post(control, json={'fail_nth': {'n': 1, 'status': 503, 'path': '/api/confd/1.1/users/import'}},
                      verify=server.ca_path, timeout=10)
        r = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV}, data=body)
        assert r.status_code == 503 and server.users() == []  # before touching anything
        requests.post(control, json={'drop_after_commit': 1}, verify=server.ca_path, timeout=10)
        with pytest.raises(requests.ConnectionError):
            confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV}, data=body)
        assert [row['firstname'] for row in server.users()] == ['Ann']  # committed all the same
        assert server.request_log[-1]['status'] == 'dropped'
        requests.post(control, json={'auth_down': True}, verify=server.ca_path, timeout=10)
        r = requests.post(server.auth_url + '/0.1/token', auth=('admin', 'passadmin'), json={'expiration': 60},
                          verify=server.ca_path, timeout=10)
        assert r.status_code == 502 and 'nginx' in r.text
        requests.post(control, json={'reset': True, 'token_ttl': 0}, verify=server.ca_path, timeout=10)
        short = token(server)['token']
        r = confd(server, 'GET', '/infos', short)
        assert r.status_code == 401 and r.json() == ["('%s', 'confd.infos.read')" % short]


def test_an_updated_user_moves_to_the_end_of_the_export():
    with WazoServer(address=_address(12), port=0) as server:
        tok = token(server)['token']
        r = confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV},
                  data=b'firstname,email\nAnn,ann@x.test\nBob,bob@x.test\n')
        first = r.json()['created'][0]['user_uuid']
        assert [row['firstname'] for row in server.users()] == ['Ann', 'Bob']
        assert confd(server, 'PUT', '/users/' + first, tok, TENANT_A, json={'lastname': 'Smith'}).status_code == 204
        assert [row['firstname'] for row in server.users()] == ['Bob', 'Ann']


def test_read_cost_per_item_listed(monkeypatch):
    """26.08 spent ~1.6 s of CPU for GET /users with 234 users, 0.71 s for /lines, 0.19 s for
    /endpoints/sip, 0.09 s for /extensions: read_scale times that, per item the tenant holds."""
    import tests.emulator.wazo.server as wazo_server
    with WazoServer(address=_address(13), port=0, read_scale=0.5) as server:
        tok = token(server)['token']
        ctx = confd(server, 'GET', '/contexts', tok, TENANT_A, params={'label': 'default'}).json()['items'][0]
        rows = ''.join('U%d,%d,%s,sip\n' % (i, 1100 + i, ctx['name']) for i in range(4))
        confd(server, 'POST', '/users/import', tok, TENANT_A, headers={'Content-Type': CSV},
              data=('firstname,exten,context,line_protocol\n' + rows).encode())
        slept = []
        monkeypatch.setattr(wazo_server.time, 'sleep', slept.append)
        assert confd(server, 'GET', '/users', tok, TENANT_A, params={'search': 'U1'}).json()['total'] == 1
        confd(server, 'GET', '/lines', tok, TENANT_A)
        assert slept == [pytest.approx(0.5 * 4 * 1.62 / 234), pytest.approx(0.5 * 4 * 0.71 / 234)]


def test_control_routes_state_seed_reset():
    with WazoServer(address=_address(14), port=0) as server:
        control = server.url.replace('/api/confd', '') + '/_emulator/'
        state = requests.get(control + 'state', verify=server.ca_path, timeout=10).json()
        assert state['profile'] == 'wazo-26.08' and state['counts']['contexts'] == 3
        seed = {'tenants': [{'name': 'Other Co', 'contexts': [{'label': 'default', 'type': 'internal'}]}]}
        state = requests.post(control + 'seed', json=seed, verify=server.ca_path, timeout=10).json()
        assert [t['slug'] for t in state['tenants']] == ['master', 'tenanta', 'otherco']
        assert state['counts']['contexts'] == 4
        state = requests.post(control + 'reset', verify=server.ca_path, timeout=10).json()
        assert len(state['tenants']) == 2 and state['counts']['contexts'] == 3
