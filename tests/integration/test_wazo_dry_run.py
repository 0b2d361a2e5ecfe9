# -*- coding: utf-8 -*-
"""Dry run and rollback on the emulator's Wazo Platform 26.08 profile, through the collection's
client, import run and rollback over HTTPS (issue 23, item 5).

- check mode predicts every refusal of the real run into a tenant, row by row, with Wazo's own
  texts, including a SIP username of another tenant (read with recurse=true from the top
  tenant's credentials); the rows predicted good are the only ones sent, and the server takes
  them; without the preflight the server refuses the same rows;
- a tenant administrator's token cannot see the other tenants: the prediction says it is
  partial, on the rows it concerns and once for the run;
- a rollback in Wazo's order removes everything the import created, the wazo-auth users
  included (every collection read back), keeps a SIP endpoint that existed before, and the
  same file then imports again."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.xivo.confd.plugins.module_utils import user_rollback
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
from tests.emulator.wazo import WazoServer
from tests.emulator.wazo.server import DEFAULT_CONTEXTS
from tests.integration.imports import numbered_people_file, run_import
from tests.integration.playbook import run_playbook

TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
TENANT_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
ADMIN, ADMIN_PASSWORD = 'migrator', 'Migrator-Pass-1'          # master tenant
TENANT_ADMIN, TENANT_PASSWORD = 'a-admin', 'A-Admin-Pass-1'     # tenant A only
COLUMNS = ['firstname', 'lastname', 'email', 'username', 'password', 'context', 'line_protocol',
           'exten', 'sip_username', 'incall_exten', 'incall_context', 'call_permissions',
           'voicemail_name', 'voicemail_number', 'voicemail_context']
# (name, values, the columns the prediction names); legacy context names (mapped by label).
ROWS = [
    ('good', {}, []),
    ('out of range', {'exten': '5000'}, ['exten']),
    ('SIP name of a user', {'sip_username': 'asmithsip'}, ['sip_username']),
    ('SIP name of another tenant', {'sip_username': 'zoesip'}, ['sip_username']),
    ('unknown call permission', {'call_permissions': 'nosuch'}, ['call_permissions']),
    ('incall out of range', {'incall_exten': '99999', 'incall_context': 'from-extern'},
     ['incall_exten']),
    ('line in an incall context', {'exten': '1500', 'context': 'from-extern'}, ['context']),
    ('incall in an internal context', {'incall_exten': '1509', 'incall_context': 'default'},
     ['incall_context']),
    # Read in wazo-confd's source: a call permission the user has is not associated again.
    ('permission twice', {'call_permissions': 'perm1;perm1'}, []),
    ('a free SIP endpoint', {'sip_username': 'freesip'}, []),
    ('several at once', {'exten': '5001', 'call_permissions': 'x', 'incall_exten': '1510',
                         'incall_context': 'default'},
     ['call_permissions', 'exten', 'incall_context']),
    ('incall number of an earlier row', {'incall_exten': '2100', 'incall_context': 'from-extern'},
     []),
    ('line number = an earlier incall', {'exten': '2100', 'context': 'from-extern'},
     ['exten', 'context']),
    ('voicemail and permission', {'voicemail_name': 'VM', 'voicemail_number': '1199',
                                  'voicemail_context': 'default', 'call_permissions': 'perm1'},
     []),
]


def context_name(server, tenant, label):
    names = [c['name'] for c in server.store.data['contexts'].values()
             if c['tenant_uuid'] == tenant and c['label'] == label]
    assert len(names) == 1
    return names[0]


def token(server, username=ADMIN, password=ADMIN_PASSWORD):
    answer = requests.post(server.auth_url + '/0.1/token', auth=(username, password),
                           json={'expiration': 600}, verify=server.ca_path, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()['data']['token']


def api(server, method, path, tenant=TENANT_A, service='confd', **kwargs):
    base = server.url + '/1.1' if service == 'confd' else server.auth_url + '/0.1'
    headers = {'X-Auth-Token': token(server), 'Accept': 'application/json'}
    if tenant:
        headers['Wazo-Tenant'] = tenant
    return requests.request(method, base + path, headers=headers, verify=server.ca_path,
                            timeout=30, **kwargs)


def free_sip_endpoint(server, name):
    """A SIP endpoint of tenant A on no line: imported with a user, then detached in the order
    wazo-confd accepts, and everything else of that user deleted."""
    default = context_name(server, TENANT_A, 'default')
    server.apply_seed({'users': [{'tenant': TENANT_A, 'csv': (
        'firstname,lastname,context,line_protocol,exten,sip_username\n'
        'Gone,User,%s,sip,1990,%s\n' % (default, name))}]})
    user = next(u for u in api(server, 'GET', '/users').json()['items']
                if u['firstname'] == 'Gone')
    line = api(server, 'GET', '/users/%s' % user['uuid']).json()['lines'][0]
    line = api(server, 'GET', '/lines/%s' % line['id']).json()
    extension = line['extensions'][0]['id']
    for method, path, service in (
            ('DELETE', '/users/%s/lines/%s' % (user['uuid'], line['id']), 'confd'),
            ('DELETE', '/lines/%s/extensions/%s' % (line['id'], extension), 'confd'),
            ('DELETE', '/lines/%s/endpoints/sip/%s' % (line['id'], line['endpoint_sip']['uuid']),
             'confd'),
            ('DELETE', '/lines/%s' % line['id'], 'confd'),
            ('DELETE', '/extensions/%s' % extension, 'confd'),
            ('DELETE', '/users/%s' % user['uuid'], 'confd'),
            ('DELETE', '/users/%s' % user['uuid'], 'auth')):
        answer = api(server, method, path, service=service)
        assert answer.status_code == 204, (path, answer.text)
    return line['endpoint_sip']['uuid']


@pytest.fixture
def wazo():
    """Tenant A (Alice: line 1001, SIP asmithsip, incall 2001; call permission perm1), tenant B
    (Zoe: SIP zoesip); the migrator in the master tenant, a tenant A administrator."""
    servers = []

    def make(address):
        server = WazoServer(address=address, port=0, seed={
            'tenants': [{'uuid': TENANT_A, 'name': 'tenanta', 'contexts': DEFAULT_CONTEXTS,
                         'call_permissions': [{'name': 'perm1'}]},
                        {'uuid': TENANT_B, 'name': 'tenantb', 'contexts': DEFAULT_CONTEXTS}],
            'auth_users': [{'username': ADMIN, 'password': ADMIN_PASSWORD, 'tenant': 'master',
                            'acls': ['confd.#', 'auth.#']},
                           {'username': TENANT_ADMIN, 'password': TENANT_PASSWORD,
                            'tenant': TENANT_A, 'acls': ['confd.#', 'auth.#']}]})
        server.start()
        servers.append(server)
        server.apply_seed({'users': [
            {'tenant': TENANT_A, 'csv': (
                'firstname,lastname,email,username,password,context,line_protocol,exten,'
                'sip_username,incall_exten,incall_context\n'
                'Alice,Smith,asmith@example.com,asmith,Secret-asmith,%s,sip,1001,asmithsip,'
                '2001,%s\n' % (context_name(server, TENANT_A, 'default'),
                               context_name(server, TENANT_A, 'from-extern')))},
            {'tenant': TENANT_B, 'csv': (
                'firstname,lastname,email,username,password,context,line_protocol,exten,'
                'sip_username\nZoe,Bee,zbee@example.com,zbee,Secret-zbee,%s,sip,1001,zoesip\n'
                % context_name(server, TENANT_B, 'default'))}]})
        free_sip_endpoint(server, 'freesip')
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


def file_of(rows):
    def adjust(number, row):
        if rows[number][1].get('incall_exten') == '2100':      # the row the next one depends on
            row['exten'] = '1300'
    return numbered_people_file(COLUMNS, rows, adjust)


def client_of(server, username=ADMIN, password=ADMIN_PASSWORD):
    return ConfdClient(server.address, port=server.port, username=username, password=password,
                       ca_path=server.ca_path, platform='wazo', tenant=TENANT_A, timeout=30,
                       deadline=60, retries=0)


def run(server, tmp_path, text, check_mode=False, username=ADMIN, password=ADMIN_PASSWORD,
        name='users', **options):
    src = tmp_path / ('%s.csv' % name)
    src.write_text(text, encoding='utf-8')
    return run_import(client_of(server, username, password), src, tmp_path, 'wazo', check_mode, **options)


def test_check_mode_predicts_every_refusal_of_the_real_run_on_wazo(wazo, tmp_path):
    server, plain = wazo('127.0.93.41'), wazo('127.0.93.42')
    text = file_of(ROWS)
    logged = len(server.request_log)
    check = run(server, tmp_path, text, check_mode=True)
    assert len(server.request_log) > logged
    assert not [r for r in server.request_log[logged:] if r['method'] != 'GET'], \
        'check mode wrote something'
    real = run(server, tmp_path, text)
    without = run(plain, tmp_path, text, preflight=False)
    assert check['summary']['would_fail'] == real['summary']['failed']
    for (name, dummy, columns), predicted, done, unchecked in zip(
            ROWS, check['users'], real['users'], without['users']):
        if columns:
            assert predicted['status'] == 'would_fail', (name, predicted)
            assert done['status'] == 'failed' and done['error'] == predicted['error'], (name, done)
            reasons = predicted['error'][len('invalid: '):].split('; ')
            assert [r.split(':')[0] for r in reasons] == columns, (name, reasons)
            # The server itself refuses the row when nothing is predicted.
            assert unchecked['status'] == 'failed', (name, unchecked)
        else:
            assert predicted['status'] == 'would_create', (name, predicted)
            assert done['status'] == unchecked['status'] == 'created', (name, done, unchecked)
    assert not real.get('warnings'), real.get('warnings')       # no wrong prediction
    by_name = dict((row[0], user) for row, user in zip(ROWS, check['users']))
    # Wazo's own texts (observed on 26.08: Python 3 quotes, the tenants of the SIP name).
    assert "different tenants ('line_tenant_uuid': '%s', 'endpoint_tenant_uuid': '%s')" % (
        TENANT_A, TENANT_B) in by_name['SIP name of another tenant']['error']
    assert "CallPermission was not found ('name': 'nosuch')" in \
        by_name['unknown call permission']['error']
    for name in ('SIP name of another tenant', 'unknown call permission'):
        unchecked = without['users'][[row[0] for row in ROWS].index(name)]['error']
        assert unchecked.split('confd answered 400: ')[-1].rstrip(')') in by_name[name]['error'], \
            (unchecked, by_name[name]['error'])
    assert sorted(u['firstname'] for u in server.users(TENANT_A)) == \
        sorted(u['firstname'] for u in plain.users(TENANT_A))


def test_a_tenant_token_gets_a_prediction_said_partial(wazo, tmp_path):
    server = wazo('127.0.93.43')
    rows = [('SIP name of another tenant', {'sip_username': 'zoesip'}, []),
            ('good', {}, [])]
    text = file_of(rows)
    check = run(server, tmp_path, text, check_mode=True, username=TENANT_ADMIN,
                password=TENANT_PASSWORD)
    other, good = check['users']
    assert [other['status'], good['status']] == ['would_create', 'would_create']
    for user, name in ((other, 'zoesip'), (good, 'p1sip')):
        assert any("partial prediction: the SIP username %r is not in the tenants" % name in w
                   for w in user.get('warnings', ())), user
    partial = [w for w in check.get('warnings', ()) if 'could not read every tenant' in w]
    assert len(partial) == 1 and '2 rows were predicted without knowing' in partial[0]
    # The server refuses what could not be seen; the top tenant's credentials see it.
    real = run(server, tmp_path, text, username=TENANT_ADMIN, password=TENANT_PASSWORD)
    assert [u['status'] for u in real['users']] == ['failed', 'created']
    assert 'different tenants' in real['users'][0]['error']
    # Not a wrong prediction: the row said its prediction was partial.
    assert not [w for w in real.get('warnings', ()) if 'wrong prediction' in w], real['warnings']
    assert not [w for w in real['users'][0]['warnings'] if 'the preflight predicted' in w]
    complete = run(server, tmp_path, text, check_mode=True)
    assert complete['users'][0]['status'] == 'would_fail'
    assert not [w for w in complete.get('warnings', ()) if 'could not read every tenant' in w]


COLLECTIONS = ('users', 'lines', 'endpoints/sip', 'extensions', 'voicemails', 'incalls')


def everything(server):
    """Every collection of tenant A, and the wazo-auth users of every tenant. A SIP endpoint's
    caller id is left out: the import wrote the new user's into the endpoint it reused, and a
    rollback does not write endpoints."""
    found = {}
    for collection in COLLECTIONS:
        answer = api(server, 'GET', '/' + collection)
        assert answer.status_code == 200, answer.text
        found[collection] = sorted(json.dumps(dict(
            (k, v) for k, v in item.items() if k != 'endpoint_section_options'), sort_keys=True)
            for item in answer.json()['items'])
    answer = api(server, 'GET', '/users', tenant=None, service='auth',
                 params={'recurse': 'true'})
    assert answer.status_code == 200, answer.text
    found['auth users'] = sorted(u['uuid'] for u in answer.json()['items'])
    return found


def test_a_rollback_in_wazos_order_leaves_nothing_and_the_file_imports_again(wazo, tmp_path):
    server = wazo('127.0.93.44')
    text = ('firstname,lastname,email,username,password,context,line_protocol,exten,'
            'sip_username,incall_exten,incall_context,call_permissions,voicemail_name,'
            'voicemail_number,voicemail_context\n'
            'Nina,New,nnew@example.com,nnew,Secret-nnew,default,sip,1050,nnewsip,2050,'
            'from-extern,perm1,Nina VM,1050,default\n'
            'Wes,Web,wweb@example.com,wweb,Secret-wweb,default,webrtc,1051,,,,,,,\n'
            'Sam,Cee,scee@example.com,scee,Secret-scee,default,sccp,1052,,,,,,,\n'
            'Una,Only,uonly@example.com,uonly,Secret-uonly,,,,,,,,,,\n'
            'Reu,Sed,reused@example.com,reused,Secret-reused,default,sip,1053,freesip,,,,,,\n')
    before = everything(server)
    report_path = tmp_path / 'report.json'
    result = run(server, tmp_path, text, report_dest=str(report_path))
    assert [u['status'] for u in result['users']] == ['created'] * 5, result['users']
    report = json.loads(report_path.read_text())
    assert everything(server) != before
    logged = len(server.request_log)
    client = client_of(server)
    try:
        targets, remover, identity, warning = user_rollback.undo_report(client, report)
    finally:
        client.close()
    assert [t.status for t in targets] == ['removed'] * 5, [t.as_dict() for t in targets]
    reused = targets[-1]
    assert any(kept.startswith('SIP endpoint') for kept in reused.kept), reused.kept
    # Nothing left behind in any collection, the wazo-auth users included; the endpoint that
    # existed before the run is there again, free; the shared configuration stays.
    after = everything(server)
    assert after == before, dict((k, (before[k], after[k])) for k in after
                                 if before[k] != after[k])
    assert api(server, 'GET', '/callpermissions').json()['total'] == 1
    # The observed order (W5) for the first user: the voicemail link and the voicemail, the
    # incall and its number, the line (its SIP endpoint with it), its extension, the user (the
    # wazo-auth user after it: gone from 'auth users' above).
    nina = report['users'][0]
    ids = nina['ids']
    deletes = [r['path'].split('/1.1', 1)[1] for r in server.request_log[logged:]
               if r['method'] == 'DELETE']
    assert deletes[:7] == [
        '/users/%s/voicemails' % nina['uuid'], '/voicemails/%s' % ids['voicemail_id'],
        deletes[2], '/extensions/%s' % ids['incall_extension_id'], '/lines/%s' % ids['line_id'],
        '/extensions/%s' % ids['extension_id'], '/users/%s' % nina['uuid']], deletes
    assert deletes[2].startswith('/incalls/')
    # The endpoint that existed before: detached once its line lost its user and extension.
    line = report['users'][-1]['ids']['line_id']
    assert [p for p in deletes if p.startswith('/lines/%s' % line)] == [
        '/lines/%s/extensions/%s' % (line, report['users'][-1]['ids']['extension_id']),
        '/lines/%s/endpoints/sip/%s' % (line, report['users'][-1]['ids']['sip_uuid']),
        '/lines/%s' % line]
    again = run(server, tmp_path, text, name='again')
    assert [u['status'] for u in again['users']] == ['created'] * 5, again['users']


def test_through_ansible_playbook_a_tenant_token_then_the_top_tenant_and_a_rollback(wazo, tmp_path):
    """xivo.confd.user_import and user_remove in a playbook: a tenant administrator's dry run
    says it is partial (the row of another tenant's SIP name is not said refused), the master
    tenant's says the row would fail as the server then refuses it; the run's rollback leaves
    every collection as it was."""
    server = wazo('127.0.93.45')
    src = tmp_path / 'users.csv'
    src.write_text(file_of([('other tenant', {'sip_username': 'zoesip'}, []),
                            ('good', {}, [])]), encoding='utf-8')
    before = everything(server)

    def task(name, module='user_import', admin=(ADMIN, '{{ admin_password }}'), **extra):
        args = dict(host=server.address, port=server.port, platform='wazo', tenant='tenanta',
                    username=admin[0], password=admin[1], ca_path=server.ca_path, **extra)
        return {'name': name, 'xivo.confd.%s' % module: args, 'ignore_errors': True}

    run_ = run_playbook(tmp_path, [
        dict(task('tenant check', admin=(TENANT_ADMIN, '{{ tenant_password }}'), src=str(src)),
             check_mode=True),
        dict(task('check', src=str(src)), check_mode=True),
        task('import', src=str(src), report_dest=str(tmp_path / 'report.json')),
        task('rollback', module='user_remove', from_report=str(tmp_path / 'report.json'))],
        hosts={'localhost': {'admin_password': ADMIN_PASSWORD,
                             'tenant_password': TENANT_PASSWORD}})
    partial, check, done, undone = (run_.result(name) for name in (
        'tenant check', 'check', 'import', 'rollback'))
    assert [u['status'] for u in partial['users']] == ['would_create', 'would_create']
    assert any('could not read every tenant' in w for w in partial['warnings'])
    assert [u['status'] for u in check['users']] == ['would_fail', 'would_create']
    assert 'different tenants' in check['users'][0]['error']
    assert [u['status'] for u in done['users']] == ['failed', 'created']
    assert done['users'][0]['error'] == check['users'][0]['error']
    assert undone['summary']['removed'] == 1 and not undone.get('failed'), undone
    assert everything(server) == before
    assert ADMIN_PASSWORD not in run_.stdout + run_.results_text
    assert TENANT_PASSWORD not in run_.stdout + run_.results_text


def test_a_call_permission_named_twice_is_one_on_wazo(wazo, tmp_path):
    server = wazo('127.0.93.46')
    text = file_of([('twice', {'call_permissions': 'perm1;perm1'}, [])])
    assert run(server, tmp_path, text)['users'][0]['status'] == 'created'
    user = next(u for u in server.users(TENANT_A) if u['firstname'] == 'P0')
    assert user['call_permissions'] == 'perm1'
    # The same file again: the user is there as the file says, nothing to do.
    again = run(server, tmp_path, text, name='again')
    assert [u['status'] for u in again['users']] == ['unchanged'], again['users']


def test_the_rollback_names_the_server_it_reached_as_the_import_does(tmp_path):
    """platform auto with no port: a Wazo with its services on their own ports (before 20.07)
    is found on 9486. The import's report and the rollback's name the server as reached,
    address:9486, and so does the lock's warning (the rollback's report named the address
    alone, as configured)."""
    server = WazoServer(address='127.0.93.48', layout='ports', seed={
        'tenants': [{'uuid': TENANT_A, 'name': 'tenanta', 'contexts': DEFAULT_CONTEXTS}],
        'auth_users': [{'username': ADMIN, 'password': ADMIN_PASSWORD, 'tenant': 'master',
                        'acls': ['confd.#', 'auth.#']}]})
    server.start()
    try:
        src = tmp_path / 'users.csv'
        src.write_text('firstname,lastname\nRita,Reached\n', encoding='utf-8')

        def task(name, module, **extra):
            args = dict(host=server.address, platform='auto', tenant=TENANT_A, username=ADMIN,
                        password='{{ admin_password }}', ca_path=server.ca_path, **extra)
            return {'name': name, 'xivo.confd.%s' % module: args, 'ignore_errors': True}

        run_ = run_playbook(tmp_path, [
            task('import', 'user_import', src=str(src), report_dest=str(tmp_path / 'import.json')),
            task('rollback', 'user_remove', from_report=str(tmp_path / 'import.json'),
                 report_dest=str(tmp_path / 'rollback.json'), server_lock='local')],
            hosts={'localhost': {'admin_password': ADMIN_PASSWORD}})
        imported, undone = run_.result('import'), run_.result('rollback')
        assert [u['status'] for u in imported['users']] == ['created'], imported
        assert undone['summary']['removed'] == 1 and not undone.get('failed'), undone
    finally:
        server.stop()
    reached = '%s:9486' % server.address
    assert server.port == 9486
    assert json.loads((tmp_path / 'import.json').read_text())['server'] == reached
    assert json.loads((tmp_path / 'rollback.json').read_text())['server'] == reached
    assert any(reached in warning for warning in undone['warnings']), undone['warnings']
