"""Fault injection, control endpoint, persistence, fleet, CLI."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.emulator import EmulatorServer, Fleet
from tests.emulator import importer as importer_module
from tests.emulator import server as server_module
from tests.emulator.faults import PROXY_504

from .conftest import _worker_offset


def test_control_state_seed_reset(emu, c):
    c.post('firstname\nA\n')
    state = c.control('GET', 'state').json()
    assert state['counts']['users'] == 1 and state['users'][0]['firstname'] == 'A'
    r = c.control('POST', 'seed', json={'call_permissions': [{'id': 7, 'name': 'intl'}],
                                        'users': 'firstname,call_permissions\nSeeded,intl\n'})
    assert r.status_code == 200 and r.json()['counts']['users'] == 2
    assert c.control('POST', 'reset').json()['counts']['users'] == 0


def test_fault_latency(emu, c, server_time):
    clock = server_time(server_module)
    c.control('POST', 'faults', json={'latency': 0.3})
    c.request('GET', '/1.1/users')
    assert clock.slept == [0.3]
    c.control('DELETE', 'faults')
    assert emu.faults.latency == 0


def test_fault_fail_nth_before_state(emu, c):
    c.control('POST', 'faults', json={'fail_nth': {'n': 2, 'status': 503, 'method': 'POST',
                                                   'path': '/1.1/users/import'}})
    assert c.post('firstname\nA\n').status_code == 201
    r = c.post('firstname\nB\n')
    assert r.status_code == 503
    assert c.post('firstname\nC\n').status_code == 201
    assert sorted(u['firstname'] for u in c.export()) == ['A', 'C']


def test_fault_drop_after_commit(emu, c):
    emu.faults.set(drop_after_commit=1)
    with pytest.raises(requests.ConnectionError):
        c.post('firstname\nA\n')
    assert [u['firstname'] for u in c.export()] == ['A']


def test_fault_token_ttl(emu, c):
    emu.faults.set(token_ttl=0.3)
    token = c.new_token()
    assert c.request('GET', '/1.1/users', token=False, headers={'X-Auth-Token': token}).status_code == 200
    time.sleep(0.5)
    assert c.request('GET', '/1.1/users', token=False, headers={'X-Auth-Token': token}).status_code == 401


def test_fault_auth_down_and_refuse(emu, c):
    emu.faults.set(auth_down=True)
    with pytest.raises(requests.ConnectionError):
        requests.post(emu.auth_url + '/0.1/token', auth=('admin', 'passadmin'), json={}, verify=emu.ca_path)
    emu.faults.reset()
    dummy = c.token
    c.control('POST', 'faults', json={'refuse': True})
    with pytest.raises(requests.ConnectionError):
        c.request('GET', '/1.1/users')
    # the control endpoint stays reachable on the auth port
    r = requests.post(emu.auth_url + '/_emulator/faults', json={'reset': True}, verify=emu.ca_path)
    assert r.json()['refuse'] is False
    assert c.request('GET', '/1.1/users').status_code == 200


def test_fault_slow_rows(emu, c, server_time):
    clock = server_time(importer_module)
    emu.faults.set(slow_rows=0.05)
    c.post('firstname\nA\nB\nC\nD\n')
    assert clock.slept == [0.05] * 4


def test_state_file_persisted(tmp_path):
    path = str(tmp_path / 'state.json')
    address = '127.0.1.%d' % (200 + _worker_offset())
    with EmulatorServer(address=address, port=0, auth_port=0, state_file=path) as srv:
        srv.do_import(b'firstname\nPersisted\n', 'utf-8')
    assert json.load(open(path))['tables']['users'][0]['firstname'] == 'Persisted'
    with EmulatorServer(address=address, port=0, auth_port=0, state_file=path) as srv:
        assert [u['firstname'] for u in srv.users()] == ['Persisted']


def test_fleet_one_ca(tmp_path):
    first = '127.0.2.%d' % (10 + 10 * _worker_offset())
    with Fleet(3, first_address=first, port=0, auth_port=0, row_cost=0.001) as fleet:
        addresses = [s.address for s in fleet.servers]
        assert len(set(addresses)) == 3
        for srv in fleet:
            r = requests.get(srv.url + '/_emulator/state', verify=fleet.ca_path)
            assert r.status_code == 200 and r.json()['speed'] == {'row_cost': 0.001, 'request_cost': 0.0}


def test_cli_fleet_starts_and_stops_on_sigterm(tmp_path):
    ca = str(tmp_path / 'ca.pem')
    first = '127.0.3.%d' % (10 + 10 * _worker_offset())
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, '-m', 'tests.emulator', '--fleet', '2', '--address', first,
                             '--port', '0', '--auth-port', '0', '--ca-out', ca, '--row-cost', '0.002',
                             '--request-cost', '0.01', '--faults', '{"mangle_created": 2}'],
                            cwd=repo, stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for dummy in range(2)]
        assert all(line.startswith('listening https://127.0.3.') for line in lines), lines
        for line in lines:
            url = re.match(r'listening (\S+) \(auth (\d+)\)', line).group(1)
            state = requests.get(url + '/_emulator/state', verify=ca).json()
            assert state['speed'] == {'row_cost': 0.002, 'request_cost': 0.01}
            assert state['faults']['mangle_created']['n'] == 2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_1000_rows_in_one_request(emu, c):
    body = 'firstname,lastname,exten,context,line_protocol,username,email\n' + ''.join(
        'F%d,L%d,%d,default,sip,u%d,u%d@x.org\n' % (i, i, 1000 + (i % 1000), i, i) for i in range(1000))
    r = c.post(body)
    assert r.status_code == 201, r.text[:300]
    r = c.request('GET', '/1.1/users/export', headers={'Accept': 'application/json'})
    assert len(r.json()['content']) == 1000


@pytest.mark.parametrize('answer', [
    {'status': 504},  # the default body: a proxy's HTML page
    {'status': 200, 'body': '<html><body>Welcome</body></html>', 'content_type': 'text/html'},
    {'status': 201, 'body': 'created, see log', 'content_type': 'text/plain'},
], ids=['proxy-504', 'html-200', 'text-201'])
def test_fault_answer_after_commit(emu, c, answer):
    c.control('POST', 'faults', json={'answer_after_commit': dict(answer, n=2)})
    assert c.post('firstname\nA\n').json()['created'][0]['row_number'] == 1  # 1st: confd's answer
    assert c.post('firstname\n,\n').status_code == 400  # a failed import does not count
    r = c.post('firstname\nB\n')
    assert r.status_code == answer['status']
    assert r.text == answer.get('body', PROXY_504)
    assert r.headers['Content-Type'] == answer.get('content_type', 'text/html')
    with pytest.raises(ValueError):
        r.json()
    assert sorted(u['firstname'] for u in c.export()) == ['A', 'B']  # committed all the same
    assert c.post('firstname\nC\n').status_code == 201  # fires once
    assert emu.faults.answer_after_commit is None


def test_fault_mangle_created(emu, c):
    emu.faults.set(mangle_created={'n': 1, 'drop_row_number': True, 'reverse': True})
    created = c.post('firstname\nA\nB\nC\n').json()['created']
    assert [set(e) for e in created] == [{'user_id', 'user_uuid', 'voicemail_id', 'line_id', 'sip_id', 'sccp_id',
                                          'extension_id', 'incall_extension_id', 'cti_profile_id',
                                          'call_permission_ids'}] * 3
    by_id = {u['uuid']: u['firstname'] for u in c.export()}
    assert [by_id[e['user_uuid']] for e in created] == ['C', 'B', 'A']
    c.control('POST', 'faults', json={'mangle_created': {'reverse': True}})
    uuid = c.post('firstname\nD\nE\n').json()['created'][0]['user_uuid']
    updated = c.put('uuid,lastname\n%s,L\n' % uuid).json()['updated']  # the next import: PUT counts too
    assert [e['row_number'] for e in updated] == [1]
    assert c.post('firstname\nF\nG\n').json()['created'][0]['row_number'] == 1


def test_fault_redirect(emu, c):
    location = 'https://127.0.0.99:1/x'
    c.control('POST', 'faults', json={'redirect': {'status': 307, 'location': location, 'path': '/1.1/users/import'}})
    for dummy in range(2):  # every matching request, before auth and state
        r = c.post('firstname\nA\n', token=False, allow_redirects=False)
        assert (r.status_code, r.headers['Location']) == (307, location)
        assert r.headers['Content-Type'].startswith('text/html') and location in r.text
    assert c.get('/1.1/users')['total'] == 0  # another path: answered by confd
    assert c.export() == []
    emu.faults.set(redirect={'status': 301, 'location': location, 'n': 2})
    assert c.request('GET', '/1.1/users', allow_redirects=False).status_code == 200
    assert c.request('GET', '/1.1/nothing', allow_redirects=False).status_code == 301  # any confd path
    assert c.request('GET', '/1.1/users', allow_redirects=False).status_code == 200  # only the Nth
    assert c.control('POST', 'faults', json={'redirect': {'status': 302}}).status_code == 400  # needs a location
    assert [e['status'] for e in emu.request_log if e['path'] == '/1.1/nothing'] == [301]
