"""Request cost: the speed model (speed.py, docs/server-behaviour.md#request-cost) and what a client sees
of it (docs/server-behaviour.md#client-timeout-commit)."""
import threading
import time

import pytest
import requests

from tests.emulator import server as server_module

HEAD = 'firstname,exten,context,line_protocol\n'


def rows(count, first=1000):
    return ''.join('U%d,%d,default,sip\n' % (i, first + i) for i in range(count))


def test_cost_is_request_plus_rows_failing_rows_included(emu, c, server_time):
    clock = server_time(server_module)
    emu.speed.set(row_cost=0.02, request_cost=0.1)
    r = c.post(HEAD + rows(9) + 'Bad,5000,default,sip\n')
    assert r.status_code == 400  # the failing row costs like the others
    r = c.post(HEAD)
    assert r.status_code == 201
    emu.speed.set(row_cost=0, request_cost=0)
    r = c.post(HEAD + rows(9, 1100))
    assert r.status_code == 201  # off: no server time at all
    assert clock.slept == [pytest.approx(0.1 + 10 * 0.02), pytest.approx(0.1)]


def test_reads_go_on_during_an_import_and_see_it_only_once_committed(emu, c, server_time):
    started, release = threading.Event(), threading.Event()

    def held(seconds):
        started.set()
        release.wait(30)
    server_time(server_module, held)
    emu.speed.set(request_cost=0.8)
    gave_up = []

    def import_and_give_up():
        try:
            requests.post(emu.url + '/1.1/users/import', data=(HEAD + rows(3)).encode(), timeout=0.25,
                          headers={'X-Auth-Token': c.token, 'Content-Type': 'text/csv'}, verify=emu.ca_path)
        except requests.Timeout:
            gave_up.append(True)
    client = threading.Thread(target=import_and_give_up)
    client.start()
    try:
        assert started.wait(30)  # the import is spending its server time ...
        client.join(30)
        assert gave_up == [True]  # ... the client gives up ...
        # ... and reads are answered meanwhile, with nothing of the import
        assert c.export() == []
        assert c.get('/1.1/users')['total'] == 0 and c.get('/1.1/extensions', type='internal')['total'] == 0
    finally:
        release.set()
    deadline = time.monotonic() + 10
    while not c.export() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(u['exten'] for u in c.export()) == ['1000', '1001', '1002']  # ... the import commits anyway
    assert [e['status'] for e in emu.request_log if e['path'] == '/1.1/users/import'] == [201]


def test_one_import_at_a_time(emu, c, server_time):
    lock = threading.Lock()
    inside = [0, 0]   # imports spending server time now, the most at once

    def spend(seconds):
        with lock:
            inside[0] += 1
            inside[1] = max(inside)
        time.sleep(seconds)
        with lock:
            inside[0] -= 1
    clock = server_time(server_module, spend)
    emu.speed.set(request_cost=0.3)
    answers = []

    def post(first):
        answers.append(requests.post(emu.url + '/1.1/users/import', data=(HEAD + rows(2, first)).encode(),
                                     headers={'X-Auth-Token': c.token}, verify=emu.ca_path, timeout=10).status_code)
    threads = [threading.Thread(target=post, args=(first,)) for first in (1000, 1100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201, 201] and len(clock.slept) == 2
    assert inside[1] == 1, 'two imports spent their server time at once'
    assert len(c.export()) == 4


def test_speed_through_the_control_endpoint(emu, c):
    assert c.control('GET', 'speed').json() == {'row_cost': 0.0, 'request_cost': 0.0}
    r = c.control('POST', 'speed', json={'row_cost': 0.002})
    assert r.json() == {'row_cost': 0.002, 'request_cost': 0.0} and emu.speed.row_cost == 0.002
    assert c.control('GET', 'state').json()['speed'] == {'row_cost': 0.002, 'request_cost': 0.0}
    for bad in ({'rows': 1}, {'row_cost': -1}):
        assert c.control('POST', 'speed', json=bad).status_code == 400
    c.control('POST', 'reset')
    assert emu.speed.as_dict() == {'row_cost': 0.0, 'request_cost': 0.0}  # back to the start values
