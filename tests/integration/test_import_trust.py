# -*- coding: utf-8 -*-
"""user_import off the happy path, through ansible-playbook (issue #11): the wrong person,
two runs at once, an interrupted or killed playbook, hostile input and messages."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'migration', 'Ws-Trust-77c1'
HOSTS = {'localhost': {'ws_password': WS_PASSWORD}}


fleet, clean = fleet_fixtures(2, '127.0.7.10', WS_USER, WS_PASSWORD)


def task(name, server, fleet, src, **extra):
    args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                username=WS_USER, password='{{ ws_password }}', ca_path=fleet.ca_path,
                src=str(src))
    args.update(extra)
    return {'name': name, 'xivo.confd.user_import': args, 'register': 'out',
            'ignore_errors': True}


def rows(count, first_exten=1000, prefix='U'):
    return ''.join('%s%d,Test,%d,default,sip\n' % (prefix, i, first_exten + i)
                   for i in range(count))


HEADER = 'firstname,lastname,exten,context,line_protocol\n'


def test_a_row_that_is_another_person_is_a_conflict_in_check_mode_and_for_real(fleet, tmp_path):
    server = fleet.servers[0]
    server.apply_seed({'users': 'firstname,lastname,username,exten,context,line_protocol\n'
                                'Pre,Existing,dupuser,1010,default,sip\n'
                                'Bob,Jones,bjones,1001,default,sip\n'})
    before = sorted((u['firstname'], u['lastname'], u['exten']) for u in server.users())
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,username,exten,context,line_protocol\n'
                   'Dup,Server,dupuser,1005,default,sip\n'
                   'Alice,Smith,asmith,1001,default,sip\n'
                   'Carol,New,cnew,1002,default,sip\n', encoding='utf-8')
    run = run_playbook(tmp_path, [
        dict(task('check', server, fleet, src, update=True), check_mode=True),
        task('import', server, fleet, src, update=True),
    ], hosts=HOSTS)
    for name in ('check', 'import'):
        result = run.result(name)
        assert result['failed'] and result['summary']['conflict'] == 2, result
        dup, alice, carol = result['users']
        assert dup['status'] == alice['status'] == 'conflict'
        assert "'Pre Existing'" in dup['error'] and 'username=dupuser belongs to' in dup['error']
        assert "'Bob Jones'" in alice['error'] and len(alice['server_users']) == 1
    assert run.result('check')['users'][2]['status'] == 'would_create'
    assert run.result('import')['users'][2]['status'] == 'created'
    after = sorted((u['firstname'], u['lastname'], u['exten']) for u in server.users()
                   if u['firstname'] != 'Carol')
    assert after == before, 'a server user was changed through a conflicting row'
    assert 'conflict' in run.result('import')['msg']


def test_a_names_only_file_imports_once_and_is_recognised_again(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'names.csv'
    src.write_text('firstname,lastname\nJean,Dupont\nZoé,Martin\nAli,\n', encoding='utf-8')
    run = run_playbook(tmp_path, [task('first', server, fleet, src),
                                  task('again', server, fleet, src)], hosts=HOSTS)
    assert run.result('first')['summary']['created'] == 3, run.result('first')
    again = run.result('again')
    assert again['summary']['unchanged'] == 3 and again['changed'] is False
    assert len(server.users()) == 3


def test_two_runs_into_one_server_at_once_never_import_twice(fleet, tmp_path):
    """Two playbooks at once into one server: the second is refused, or waits when asked."""
    server = fleet.servers[0]
    server.faults.set(slow_rows=0.05)
    src = tmp_path / 'users.csv'
    src.write_text(HEADER + rows(120), encoding='utf-8')
    first_dir, second_dir = tmp_path / 'a', tmp_path / 'b'
    first_dir.mkdir()
    second_dir.mkdir()
    results = {}

    def run(name, directory, **extra):
        results[name] = run_playbook(directory, [task(name, server, fleet, src, **extra)],
                                     hosts=HOSTS)
    first = threading.Thread(target=run, args=('first', first_dir))
    first.start()
    deadline = time.time() + 20
    logged = len(server.request_log)
    while not any(r['path'] == '/1.1/users/import' for r in server.request_log[logged:]):
        assert time.time() < deadline, 'the first import never started'
        time.sleep(0.05)
    run('second', second_dir)
    first.join(60)
    second = results['second'].result('second')
    assert second['failed'] and 'another import into %s:%s' % (server.address, server.port) in second['msg']
    assert 'nothing was sent' in second['msg']
    assert results['first'].result('first')['summary']['created'] == 120
    assert len(server.users()) == 120
    # Waiting for it works too.
    server.faults.reset()
    src.write_text(HEADER + rows(130), encoding='utf-8')
    run('third', second_dir, lock_timeout=30)
    assert results['third'].result('third')['summary']['created'] == 10


def _children(pid):
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    fields = handle.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def _start_playbook(tmp_path, tasks):
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': dict(
        HOSTS['localhost'], ansible_connection='local', ansible_python_interpreter=sys.executable)}}}))
    playbook = tmp_path / 'play.yml'
    playbook.write_text(yaml.safe_dump([{'hosts': 'all', 'gather_facts': False, 'tasks': tasks}]))
    return subprocess.Popen(['ansible-playbook', '-i', str(inventory), str(playbook)],
                            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp')))


@pytest.mark.parametrize('how', ['kill -9', 'ctrl-c'])
def test_an_import_stops_at_the_next_batch_when_its_playbook_is_gone(fleet, tmp_path, how):
    server = fleet.servers[1]
    server.faults.set(slow_rows=0.05)
    src = tmp_path / 'users.csv'
    src.write_text(HEADER + rows(200), encoding='utf-8')
    report = tmp_path / 'report.json'
    logged = len(server.request_log)
    proc = _start_playbook(tmp_path, [task('import', server, fleet, src, batch_size=10,
                                           report_dest=str(report))])
    try:
        deadline = time.time() + 30
        while len([r for r in server.request_log[logged:] if r['path'] == '/1.1/users/import']) < 2:
            assert time.time() < deadline and proc.poll() is None, proc.stdout.read()
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert workers, 'no worker process'
        if how == 'kill -9':
            proc.kill()
        else:
            proc.send_signal(signal.SIGINT)  # what a terminal sends (workers are detached)
        proc.wait(30)
        deadline = time.time() + 30
        while any(_alive(pid) for pid in workers):
            assert time.time() < deadline, 'the worker goes on importing without its playbook'
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
    data = json.loads(report.read_text())
    assert data['complete'] is False and data['interrupted'], data
    # ansible-core 2.19 forwards Ctrl-C to its workers; 2.16 terminates them (SIGTERM).
    expected = ('is gone',) if how == 'kill -9' else ('interrupted (SIGINT)',
                                                      'interrupted (SIGTERM)')
    assert any(text in data['interrupted'] for text in expected), data['interrupted']
    created = [u for u in data['users'] if u['status'] == 'created']
    assert 0 < len(created) < 200
    # The report says exactly what is on the server.
    assert len(server.users()) == len(created)
    # The rows never sent are not tried (not failed: nothing in them to fix).
    assert not [u for u in data['users'] if u['status'] == 'failed']
    assert all(u['error'].startswith('not tried: the playbook') for u in data['users']
               if u['status'] == 'not_tried')
    sent = len(server.users())
    time.sleep(1)
    assert len(server.users()) == sent, 'imports went on after the report'


def test_arguments_that_cannot_work_are_refused_with_a_message(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    src.write_text(HEADER + rows(1), encoding='utf-8')
    run = run_playbook(tmp_path, [task('timeout 0', server, fleet, src, timeout=0),
                                  task('secret key', server, fleet, src, keys=['sip_secret']),
                                  task('batch 0', server, fleet, src, batch_size=0)],
                       hosts=HOSTS)
    assert run.result('timeout 0')['msg'] == 'timeout must be a positive number of seconds, not 0.0'
    assert 'secrets are never keys' in run.result('secret key')['msg']
    assert run.result('batch 0')['msg'] == 'batch_size must be at least 1'
    assert not server.users()


def test_huge_and_binary_headers_give_bounded_printable_messages(fleet, tmp_path):
    server = fleet.servers[0]
    wide = tmp_path / 'wide.csv'
    wide.write_text('firstname,' + ','.join('col%d' % i for i in range(10000)) + '\nA\n',
                    encoding='utf-8')
    gzip = tmp_path / 'users.csv.gz'
    gzip.write_bytes(b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03firstname\n')
    controls = tmp_path / 'controls.csv'
    controls.write_bytes('firstname,\x1b[2Jlast\x07name\u202e\nA,B\n'.encode('utf-8'))
    run = run_playbook(tmp_path, [task('wide', server, fleet, wide),
                                  task('gzip', server, fleet, gzip),
                                  task('controls', server, fleet, controls)], hosts=HOSTS)
    wide_msg = run.result('wide')['msg']
    assert len(wide_msg) < 3000 and 'and 9990 more unknown columns' in wide_msg
    for name in ('gzip', 'controls'):
        message = run.result(name)['msg']
        assert not any(c in message for c in '\x1f\x8b\x1b\x07\u202e'), message
    assert 'not UTF-8' in run.result('gzip')['msg']
    assert '\\x1b[2Jlast\\x07name\\u202e' in run.result('controls')['msg']


def test_a_report_always_says_which_run_it_describes(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    src.write_text(HEADER + rows(2), encoding='utf-8')
    report = tmp_path / 'report.json'
    run_playbook(tmp_path, [task('good', server, fleet, src, report_dest=str(report))], hosts=HOSTS)
    first = json.loads(report.read_text())
    assert first['complete'] and first['summary']['created'] == 2 and first['run_id']
    src.write_text('firstname,phonenumbre\nA,1\n', encoding='utf-8')
    run = run_playbook(tmp_path, [task('bad file', server, fleet, src, report_dest=str(report))],
                       hosts=HOSTS)
    assert run.result('bad file')['failed']
    second = json.loads(report.read_text())
    assert second['run_id'] != first['run_id'] and second['complete'] is False
    assert 'phonenumbre' in second['error'] and second['summary']['total'] == 0


def test_a_common_word_as_a_secret_does_not_hide_the_reason(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    src.write_text('firstname,exten,context,line_protocol,password,username\n'
                   'A,1500,default,sip,default,ann\nB,2500,default,sip,s3cr3t-Pw,bee\n',
                   encoding='utf-8')
    server.faults.set()
    run = run_playbook(tmp_path, [task('import', server, fleet, src, validate=False)], hosts=HOSTS)
    result = run.result('import')
    bee = result['users'][1]
    assert "outside of range for context 'default'" in bee['error'], bee
    assert 's3cr3t-Pw' not in json.dumps(result)


def test_formula_cells_in_the_failed_rows_file_are_named_not_rewritten(fleet, tmp_path):
    server = fleet.servers[0]
    src = tmp_path / 'users.csv'
    body = 'firstname,exten,context,line_protocol,mobile_phone_number\n=cmd|x,5000,default,sip,\n'
    src.write_text(body, encoding='utf-8')
    failed = tmp_path / 'failed.csv'
    run = run_playbook(tmp_path, [task('import', server, fleet, src, failed_dest=str(failed),
                                       validate=False)], hosts=HOSTS)
    result = run.result('import')
    assert failed.read_text(encoding='utf-8') == body
    assert result['failed_file_formula_cells'] == 1
    assert any('run as formulas' in w and 'line 2 column firstname' in w
               for w in result.get('warnings', [])), result


class _PlainHttp(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_plain_http_on_the_https_port_is_named(fleet, tmp_path):
    plain = http.server.HTTPServer(('127.0.7.99', 0), _PlainHttp)
    thread = threading.Thread(target=plain.serve_forever, daemon=True)
    thread.start()
    try:
        src = tmp_path / 'users.csv'
        src.write_text(HEADER + rows(1), encoding='utf-8')
        run = run_playbook(tmp_path, [{'name': 'plain', 'xivo.confd.user_import': dict(
            host='127.0.7.99', port=plain.server_address[1], token='t', src=str(src),
            ca_path=fleet.ca_path), 'ignore_errors': True}], hosts=HOSTS)
        assert 'answers in plain HTTP, not HTTPS' in run.result('plain')['msg']
    finally:
        plain.shutdown()
        plain.server_close()
