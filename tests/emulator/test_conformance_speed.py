"""Request cost: the speed model (speed.py, docs/server-behaviour.md#request-cost) and what a client sees
of it (docs/server-behaviour.md#client-timeout-commit)."""
import threading
import time

import pytest
import requests

HEAD = 'firstname,exten,context,line_protocol\n'


def rows(count, first=1000):
    return ''.join('U%d,%d,default,sip\n' % (i, first + i) for i in range(count))


def timed(func):
    start = time.monotonic()
    result = func()
    return result, time.monotonic() - start


def test_s15_1_cost_is_request_plus_rows_failing_rows_included(emu, c):
    emu.speed.set(row_cost=0.02, request_cost=0.1)
    r, elapsed = timed(lambda: c.post(HEAD + rows(9) + 'Bad,5000,default,sip\n'))
    assert r.status_code == 400  # the failing row costs like the others
    assert 0.3 <= elapsed < 0.3 + 0.4, elapsed
    r, elapsed = timed(lambda: c.post(HEAD))
    assert r.status_code == 201 and 0.1 <= elapsed < 0.1 + 0.3, elapsed
    emu.speed.set(row_cost=0, request_cost=0)
    r, elapsed = timed(lambda: c.post(HEAD + rows(9, 1100)))
    assert r.status_code == 201 and elapsed < 0.3  # off: as fast as it goes


def test_s15_reads_go_on_during_an_import_and_see_it_only_once_committed(emu, c):
    emu.speed.set(request_cost=0.8)
    with pytest.raises(requests.Timeout):  # the client gives up ...
        requests.post(emu.url + '/1.1/users/import', data=(HEAD + rows(3)).encode(), timeout=0.25,
                      headers={'X-Auth-Token': c.token, 'Content-Type': 'text/csv'}, verify=emu.ca_path)
    export, elapsed = timed(c.export)
    assert export == [] and elapsed < 0.4, elapsed  # answered at once, nothing of the import
    assert c.get('/1.1/users')['total'] == 0 and c.get('/1.1/extensions', type='internal')['total'] == 0
    deadline = time.monotonic() + 3
    while not c.export() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(u['exten'] for u in c.export()) == ['1000', '1001', '1002']  # ... the import commits anyway
    assert [e['status'] for e in emu.request_log if e['path'] == '/1.1/users/import'] == [201]


def test_s15_one_import_at_a_time(emu, c):
    emu.speed.set(request_cost=0.3)
    answers = []

    def post(first):
        answers.append(requests.post(emu.url + '/1.1/users/import', data=(HEAD + rows(2, first)).encode(),
                                     headers={'X-Auth-Token': c.token}, verify=emu.ca_path, timeout=10).status_code)
    threads = [threading.Thread(target=post, args=(first,)) for first in (1000, 1100)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    assert answers == [201, 201] and elapsed >= 0.6, elapsed
    assert len(c.export()) == 4


def test_s15_speed_through_the_control_endpoint(emu, c):
    assert c.control('GET', 'speed').json() == {'row_cost': 0.0, 'request_cost': 0.0}
    r = c.control('POST', 'speed', json={'row_cost': 0.002})
    assert r.json() == {'row_cost': 0.002, 'request_cost': 0.0} and emu.speed.row_cost == 0.002
    assert c.control('GET', 'state').json()['speed'] == {'row_cost': 0.002, 'request_cost': 0.0}
    for bad in ({'rows': 1}, {'row_cost': -1}):
        assert c.control('POST', 'speed', json=bad).status_code == 400
    c.control('POST', 'reset')
    assert emu.speed.as_dict() == {'row_cost': 0.0, 'request_cost': 0.0}  # back to the start values
