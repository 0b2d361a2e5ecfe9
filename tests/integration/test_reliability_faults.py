# -*- coding: utf-8 -*-
"""Fault matrix (issue #8) through ansible-playbook: one fleet, a different fault per host, one
playbook for the modules and two role runs; every fault is followed by a re-run that must finish
the job with zero duplicates and zero lost users, and every row is accounted for on every host."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import time

import pytest
import trustme

from tests.emulator import Fleet
from tests.integration.playbook import run_playbook
from tests.reliability import harness

PW_VAR = '{{ ws_password }}'
GOOD = [
    ('Ana', 'Alves', '1101', 'sip', 'ana', 'AnaPw-7781', 'AnaSip-99x1'),
    ('Bob', 'Brun', '1102', 'sccp', 'bob', 'BobPw-1209', ''),
    ('Cyd', 'Côté', '1103', 'sip', 'cyd', 'CydPw-5530', 'CydSip-4k2q'),
    ('Dan', 'Duval', '1104', '', 'dan', 'DanPw-8842', ''),
    ('Eve', 'Evrard', '1105', 'sip', 'eve', 'EvePw-0217', 'EveSip-7pz0'),
]
HEADER = 'firstname,lastname,exten,context,line_protocol,username,password,sip_secret\n'
CLEAN_CSV = HEADER + ''.join('%s,%s,%s,default,%s,%s,%s,%s\n' % row for row in GOOD)
# A batch the server answers with errors for some rows: outside the range, unknown context.
ROW_ERRORS_CSV = CLEAN_CSV + ('Bad,Range,5000,default,sip,badr,BadPw-0001,\n'
                              'Bad,Context,1106,nosuchctx,sip,badc,BadPw-0002,\n')

# host -> (faults set before the first run, extra task options of the first run, expected msg)
MATRIX = {
    'fivexx': ({'fail_nth': {'n': 1, 'status': 500, 'path': '/1.1/users/import'}}, {}, None),
    'drop': ({'drop_after_commit': 1}, {}, None),
    'timeout_import': ({'slow_rows': 0.35}, {'timeout': 0.5}, None),
    'timeout_all': ({'latency': 0.6}, {'timeout': 0.3, 'retries': 0}, 'timed out after 0.3s'),
    'token': ({'token_ttl': 1, 'latency': 0.35}, {'batch_size': 1}, None),
    'auth_down': ({'auth_down': True}, {}, 'xivo-auth token request'),
    'refuse': ({'refuse': True}, {}, ''),
    'wrong_cert': ({}, {}, 'TLS verification failed'),
    'row_errors': ({}, {}, None),
}
NOTHING_SENT = ('timeout_all', 'auth_down', 'refuse', 'wrong_cert')


@pytest.fixture(scope='module')
def fleet():
    with Fleet(len(MATRIX), first_address='127.0.5.10', port=0, auth_port=0,
               seed=harness.SEED) as servers:
        yield dict(zip(MATRIX, servers.servers)), servers.ca_path


@pytest.fixture(autouse=True)
def clean(fleet):
    for server in fleet[0].values():
        server.reset()
        server.request_log.clear()


def write_inputs(tmp_path, clean_name, clean_text, errors_name, errors_text):
    """The clean file, the file with a bad row, and a CA that signed none of the servers."""
    clean = tmp_path / clean_name
    clean.write_text(clean_text, encoding='utf-8')
    errors = tmp_path / errors_name
    errors.write_text(errors_text, encoding='utf-8')
    wrong_ca = tmp_path / 'other-ca.pem'
    trustme.CA().cert_pem.write_to_path(str(wrong_ca))
    return clean, errors, wrong_ca


def write_files(tmp_path):
    return write_inputs(tmp_path, 'clean.csv', CLEAN_CSV, 'row_errors.csv', ROW_ERRORS_CSV)


def hosts_of(servers, ca_path, tmp_path, clean_csv, errors_csv, wrong_ca):
    hosts = {}
    for name, server in servers.items():
        hosts[name] = dict(
            api_host=server.address, api_port=server.port, api_auth_port=server.auth_port,
            good_ca=ca_path, first_ca=str(wrong_ca) if name == 'wrong_cert' else ca_path,
            src=str(errors_csv if name == 'row_errors' else clean_csv),
            first_options=MATRIX[name][1], ws_password=harness.WS_PASSWORD,
            ctl_port=server.auth_port if name == 'refuse' else server.port)
    return hosts


def first_run_log(server):
    """The requests of the first run: those before the faults were lifted through the control
    endpoint (logged on the confd port; the refusing server logs nothing it refused)."""
    log = list(server.request_log)
    for position, entry in enumerate(log):
        if entry['path'].startswith('/_emulator'):
            return log[:position]
    return []


def check_final(server, rows_csv):
    users = server.users()
    assert not harness.duplicates_on(users), harness.duplicates_on(users)
    assert sorted(u['firstname'] for u in users) == sorted(r[0] for r in GOOD), \
        'a user was lost or imported twice: %s' % [(u['firstname'], u['exten']) for u in users]
    del rows_csv


def import_args(prefix, ca, **extra):
    args = {'host': '{{ api_host }}', 'port': '{{ api_port }}', 'auth_port': '{{ api_auth_port }}',
            'username': harness.WS_USER, 'password': PW_VAR, 'ca_path': ca, 'src': '{{ src }}',
            'batch_size': 2,
            'report_dest': '{{ playbook_dir }}/%s-{{ inventory_hostname }}.json' % prefix,
            'failed_dest': '{{ playbook_dir }}/%s-{{ inventory_hostname }}-failed.csv' % prefix}
    args.update(extra)
    return args


def test_module_fault_matrix_then_rerun_finishes_the_job(fleet, tmp_path):
    servers, ca_path = fleet
    clean_csv, errors_csv, wrong_ca = write_files(tmp_path)
    for name, server in servers.items():
        if MATRIX[name][0]:
            server.faults.set(**MATRIX[name][0])
    first = import_args('first', '{{ first_ca }}')
    for option in ('timeout', 'retries', 'batch_size'):
        first[option] = "{{ first_options.%s | default(omit) }}" % option
    first['batch_size'] = '{{ first_options.batch_size | default(2) }}'
    tasks = [
        {'name': 'first', 'xivo.confd.user_import': first, 'ignore_errors': True},
        {'name': 'lift faults', 'ansible.builtin.uri': {
            'url': 'https://{{ api_host }}:{{ ctl_port }}/_emulator/faults', 'method': 'DELETE',
            'ca_path': '{{ good_ca }}'}},
        {'name': 'rerun', 'xivo.confd.user_import': import_args('rerun', '{{ good_ca }}'),
         'ignore_errors': True},
    ]
    hosts = hosts_of(servers, ca_path, tmp_path, clean_csv, errors_csv, wrong_ca)
    run = run_playbook(tmp_path, tasks, hosts=hosts, extra_args=['-f', '12'])
    assert run.results, run.stdout[-3000:] + run.stderr[-3000:]
    for name, server in servers.items():
        count = len(GOOD) + (2 if name == 'row_errors' else 0)
        result = run.result('first', name)
        expected_msg = MATRIX[name][2]
        if expected_msg is not None:
            assert result.get('failed') and expected_msg in result['msg'], (name, result)
            if name == 'refuse':  # the wording is test_refused_connection_is_not_called_a_tls_failure's
                assert 'cannot connect to' in result['msg'] or 'TLS verification failed' in result['msg']
            assert 'Traceback' not in result['msg'], (name, result)
            if 'users' in result:  # the server could not be read: no row was tried, with why
                assert result['error'] and result['summary']['not_tried'] == count, (name, result)
                assert result['summary']['failed'] == 0, (name, result)
                assert all(u['status'] == 'not_tried' and u['error'] == 'not tried: ' + result['error']
                           for u in result['users']), (name, result)
        else:
            assert not harness.accounting_problems(count, result['users']), (name, result)
            assert not harness.summary_problems(result['summary'], result['users']), (name, result)
            report = json.loads((tmp_path / ('first-%s.json' % name)).read_text())
            assert [u['status'] for u in report['users']] == [u['status'] for u in result['users']]
            assert stat.S_IMODE(os.stat(tmp_path / ('first-%s.json' % name)).st_mode) == 0o600
        if name in NOTHING_SENT:
            sent = [r for r in first_run_log(server) if r['path'].startswith('/1.1/users/import')]
            assert not sent, (name, server.request_log)
        if name == 'wrong_cert':
            assert first_run_log(server) == [], server.request_log
            assert 'Nothing was sent' in result['msg']
        rerun = run.result('rerun', name)
        assert not harness.accounting_problems(count, rerun['users']), (name, rerun)
        statuses = [u['status'] for u in rerun['users']]
        before = [u['status'] for u in result.get('users', [])] or ['failed'] * count
        for was, now in zip(before, statuses[:len(GOOD)]):
            # done by the first run -> unchanged; not done -> created now; never twice
            assert now == ('unchanged' if was == 'created' else 'created'), (name, before, statuses)
        if name == 'row_errors':
            assert statuses[len(GOOD):] == ['failed', 'failed']
            assert 'outside of range' in rerun['users'][5]['error']
            assert 'Context was not found' in rerun['users'][6]['error']
            failed = list(csv.DictReader(io.StringIO(
                (tmp_path / 'rerun-row_errors-failed.csv').read_text())))
            assert [r['lastname'] for r in failed] == ['Range', 'Context']
        else:
            assert not rerun.get('failed'), (name, rerun)
            assert not (tmp_path / ('rerun-%s-failed.csv' % name)).exists()
        check_final(server, GOOD)
        now = time.time()
        assert not [t for t, entry in server.auth.tokens.items() if entry[0] > now], \
            '%s: a token was not revoked' % name


LEGACY_HEADER = 'firstname|lastname|username|password|mobilephonenumber|phonenumber|context|protocol|linesecret\n'
LEGACY_GOOD = ''.join('%s|%s|%s|%s||%s|default|%s|%s\n' % (f, l, u, p, e, proto, s)
                      for f, l, e, proto, u, p, s in GOOD)
LEGACY_CSV = LEGACY_HEADER + LEGACY_GOOD + 'Inv|Alid|inv|InvPw-0001|abc|1107|default|sip|\n'
LEGACY_ROW_ERRORS = LEGACY_CSV + 'Out|Range|outr|OutPw-0001||5000|default|sip|\n'


def role_task(run, title):
    """The results by host of a role task (recorded as 'role : title')."""
    return next((v for k, v in run.results.items() if k.endswith(title)), {})


ROLE_MATRIX = ('fivexx', 'drop', 'timeout_import', 'token', 'auth_down', 'refuse', 'wrong_cert',
               'row_errors')


def test_role_fault_per_host_then_rerun_finishes_the_job(fleet, tmp_path):
    servers, ca_path = fleet
    servers = dict((name, servers[name]) for name in ROLE_MATRIX)
    legacy, legacy_errors, wrong_ca = write_inputs(tmp_path, 'legacy.csv', LEGACY_CSV,
                                                   'legacy_errors.csv', LEGACY_ROW_ERRORS)

    def hosts(first):
        out = {}
        for name, server in servers.items():
            out[name] = {
                'xivo_user_migration_legacy_csv': str(legacy_errors if name == 'row_errors' else legacy),
                'xivo_user_migration_api_host': server.address,
                'xivo_user_migration_api_port': server.port,
                'xivo_user_migration_auth_port': server.auth_port,
                'xivo_user_migration_username': harness.WS_USER,
                'xivo_user_migration_password': '{{ ws_password }}',
                'ws_password': harness.WS_PASSWORD,
                'xivo_user_migration_ca_path': str(wrong_ca) if first and name == 'wrong_cert' else ca_path,
                'xivo_user_migration_batch_size': 1 if name == 'token' else 2,
                'xivo_user_migration_timeout': 1 if first and name == 'timeout_import' else 30,
                'xivo_user_migration_report_dir': str(tmp_path / 'reports'),
                'xivo_user_migration_work_dir': str(tmp_path / 'work'),
            }
        return out
    tasks = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
    for name, server in servers.items():
        if MATRIX[name][0]:
            server.faults.set(**MATRIX[name][0])
    servers['timeout_import'].faults.set(slow_rows=0.7)  # the role's timeout is whole seconds
    first = run_playbook(tmp_path, tasks, hosts=hosts(True), name='first')
    assert first.returncode != 0
    firsts = role_task(first, 'Give this server its result')
    summary = next(iter(role_task(first, 'import every server of this batch at once').values()))['msg']
    assert first.results, first.stdout[-3000:]
    for name, server in servers.items():
        server.faults.reset()
        # Every row of the legacy file: the invalid one too (status invalid, never sent).
        count = len(GOOD) + 1 + (1 if name == 'row_errors' else 0)
        line = next(text for text in summary if text.startswith(name + ' '))
        result = firsts.get(name, {})
        if name in ('auth_down', 'refuse'):
            assert 'UNREACHABLE' in line and 'cannot connect' in line, (name, line)
            assert result.get('unreachable') and result['status'] == 'unreachable', (name, result)
        elif name == 'wrong_cert':
            assert 'NOT IMPORTED' in line and 'Nothing was sent' in line, (name, line)
            assert result.get('failed'), (name, result)
        if name in ('auth_down', 'refuse', 'wrong_cert'):
            assert not [r for r in server.request_log if r['path'].startswith('/1.1/users/import')]
        else:
            assert result['summary']['total'] == count, (name, result)
            report = json.loads((tmp_path / 'reports' / 'hosts' / ('%s.json' % name)).read_text())
            assert not harness.accounting_problems(count, report['users']), (name, report)
            assert result['summary']['invalid'] == 1 and ', 1 invalid (' in line, line
    second = run_playbook(tmp_path, tasks, hosts=hosts(False), name='second')
    seconds = role_task(second, 'Give this server its result')
    for name, server in servers.items():
        count = len(GOOD) + 1 + (1 if name == 'row_errors' else 0)
        result = json.loads((tmp_path / 'reports' / 'hosts' / ('%s.json' % name)).read_text())
        assert seconds[name]['summary'] == dict(result['summary'], would_fail=0), (name, seconds[name])
        assert not harness.accounting_problems(count, result['users']), (name, result)
        assert [u['status'] for u in result['users']][:len(GOOD)] in (
            ['unchanged'] * len(GOOD), ['created'] * len(GOOD)) or name in ('timeout_import', 'drop', 'token'), \
            (name, result['users'])
        check_final(server, GOOD)
        problem = seconds[name]
        # Every host still fails: the legacy file had an invalid row, named by its legacy line.
        assert problem.get('failed') and 'line 7 (no key): invalid' in problem.get('msg', ''), (name, problem)
        if name == 'row_errors':
            assert result['summary']['failed'] == 1 and 'outside every range' in problem['msg']
        else:
            assert result['summary']['failed'] == 0, (name, result['summary'])
        now = time.time()
        assert not [t for t, entry in server.auth.tokens.items() if entry[0] > now], name


def test_refused_connection_is_not_called_a_tls_failure(fleet):
    servers, ca_path = fleet
    server = servers['refuse']
    server.faults.set(refuse=True)
    messages = [harness.run_import(server, ca_path, b'firstname\nA\n', retries=0)['msg']
                for dummy in range(30)]
    assert all('cannot connect to' in m for m in messages), sorted(set(m[:120] for m in messages))
    assert not [m for m in messages if 'TLS verification failed' in m or 'validate_certs' in m]
