# -*- coding: utf-8 -*-
"""A legacy XiVO file (the platform-neutral confd 16.x rows) imported into a tenant of the
emulator's Wazo Platform 26.08 profile, through the collection's client and import run over
HTTPS: the legacy contexts become the tenant's by label, the columns Wazo ignores are mapped or
reported, and the rows that are another person's on Wazo (a login in another case, an e-mail
of another tenant, another user's incall number) are conflicts that never reach the server,
which would have taken them (or answered an opaque 409)."""

from __future__ import annotations

import csv
import json
import io

import pytest

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
from tests.emulator.wazo import WazoServer
from tests.integration.imports import run_import
from tests.integration.playbook import run_playbook
from tests.emulator.wazo.server import DEFAULT_CONTEXTS

TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
TENANT_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'
ADMIN, ADMIN_PASSWORD = 'migrator', 'Migrator-Pass-1'
# 16.x columns, legacy context names: what user_csv makes of a legacy XiVO file.
LEGACY = (
    'entity_id,firstname,lastname,email,username,password,call_record_enabled,cti_profile_name,'
    'cti_profile_enabled,context,line_protocol,exten,incall_exten,incall_context\n'
    '1,Nina,New,nnew@example.com,nnew,Secret-nnew,1,Client,1,default,sip,1050,2050,from-extern\n'
    '1,Sam,Dup,sam@example.com,ASMITH,Secret-sam,0,,,default,sip,1051,,\n'
    '1,Yve,New,ynew@example.com,ynew,Secret-ynew,,,,default,sip,1052,2001,from-extern\n'
    '1,Sal,Es,sales@example.com,sales,Secret-sales,,,,sales,sip,1053,,\n'
    '1,Zed,Cross,ZBEE@example.com,zcross,Secret-zcross,,,,default,sip,1054,,\n')


def context_name(server, tenant, label):
    names = [c['name'] for c in server.store.data['contexts'].values()
             if c['tenant_uuid'] == tenant and c['label'] == label]
    assert len(names) == 1
    return names[0]


@pytest.fixture
def wazo(tmp_path):
    """Tenant A with Alice (login asmith, incall 2001), tenant B with Zoe (zbee@example.com)."""
    server = WazoServer(address='127.0.93.21', port=0, seed={
        'tenants': [{'uuid': TENANT_A, 'name': 'tenanta', 'contexts': DEFAULT_CONTEXTS},
                    {'uuid': TENANT_B, 'name': 'tenantb', 'contexts': DEFAULT_CONTEXTS}],
        'auth_users': [{'username': ADMIN, 'password': ADMIN_PASSWORD, 'tenant': 'master',
                        'acls': ['confd.#', 'auth.#']}]})
    server.start()
    try:
        server.apply_seed({'users': [
            {'tenant': TENANT_A, 'csv': (
                'firstname,lastname,email,username,password,context,line_protocol,exten,'
                'incall_exten,incall_context\n'
                'Alice,Smith,asmith@example.com,asmith,Secret-asmith,%s,sip,1001,2001,%s\n'
                % (context_name(server, TENANT_A, 'default'),
                   context_name(server, TENANT_A, 'from-extern')))},
            {'tenant': TENANT_B, 'csv': (
                'firstname,lastname,email,username,password,context,line_protocol,exten\n'
                'Zoe,Bee,zbee@example.com,zbee,Secret-zbee,%s,sip,1001\n'
                % context_name(server, TENANT_B, 'default'))}]})
        yield server
    finally:
        server.stop()


def import_into(server, tmp_path, tenant=TENANT_A, check_mode=False, **options):
    src = tmp_path / 'users.csv'
    src.write_text(LEGACY, encoding='utf-8')
    client = ConfdClient(server.address, port=server.port, username=ADMIN,
                         password=ADMIN_PASSWORD, ca_path=server.ca_path, platform='wazo',
                         tenant=tenant, timeout=30, deadline=60)
    return run_import(client, src, tmp_path, 'wazo', check_mode, **options)


def by_first(server, tenant):
    return dict((u['firstname'], u) for u in server.users(tenant))


def test_a_legacy_file_into_a_wazo_tenant(wazo, tmp_path):
    before = by_first(wazo, TENANT_A)
    check = import_into(wazo, tmp_path, check_mode=True)
    result = import_into(wazo, tmp_path)
    expected = ['created', 'conflict', 'conflict', 'failed', 'conflict']
    assert [u['status'] for u in result['users']] == expected, result['users']
    assert [u['status'] for u in check['users']] == \
        ['would_create', 'conflict', 'conflict', 'would_fail', 'conflict']
    for predicted, done in zip(check['users'], result['users']):
        assert predicted.get('error') == done.get('error')
    nina, sam, yve, sal, zed = result['users']
    alice = before['Alice']
    # Never the opaque "409 Client Error: Conflict detected for url: http://...".
    assert "username=ASMITH is already a wazo-auth login or e-mail of 'Alice Smith'" in sam['error']
    assert 'http' not in sam['error'] and sam['server_users'] == [alice['uuid']]
    assert 'is the incoming number of \'Alice Smith\'' in yve['error']
    assert "the legacy context 'sales' is no context of tenant %s" % TENANT_A in sal['error']
    assert 'labels there: default, from-extern, to-extern' in sal['error']
    assert "'Zoe Bee' (wazo-auth user zbee" in zed['error'] and TENANT_B in zed['error']
    warnings = '\n'.join(result['warnings'])
    assert 'entity_id: 5 rows had a value' in warnings
    assert 'cti_profile_name: 1 rows had a value' in warnings
    assert 'cti_profile_enabled: 1 rows had a value' in warnings
    assert 'call_record_enabled: 2 rows had a value' in warnings
    # What the tenant holds now: Nina in the tenant's contexts, recording on; Alice kept her
    # incoming number; nobody else was created, in either tenant.
    after = by_first(wazo, TENANT_A)
    assert sorted(after) == ['Alice', 'Nina']
    new = after['Nina']
    assert new['context'] == context_name(wazo, TENANT_A, 'default')
    assert new['incall_context'] == context_name(wazo, TENANT_A, 'from-extern')
    assert [new[c] for c in ('call_record_outgoing_external_enabled',
                             'call_record_outgoing_internal_enabled',
                             'call_record_incoming_external_enabled',
                             'call_record_incoming_internal_enabled')] == ['1'] * 4
    assert after['Alice']['incall_exten'] == '2001'
    assert sorted(by_first(wazo, TENANT_B)) == ['Zoe']
    # The re-run changes nothing and says the same.
    again = import_into(wazo, tmp_path)
    assert [u['status'] for u in again['users']] == ['unchanged'] + expected[1:]
    assert again['changed'] is False


def test_context_map_names_the_target_context(wazo, tmp_path):
    result = import_into(wazo, tmp_path, context_map={'sales': 'default'}, check_mode=True)
    assert result['users'][3]['status'] == 'would_create', result['users'][3]


def test_the_same_rows_sent_as_they_are_meet_wazos_answers(wazo, tmp_path):
    """Why the checks exist: the emulator, like wazo-confd 26.08, takes Yve's row (and moves
    Alice's incall) and answers Sam's with the opaque 409."""
    client = ConfdClient(wazo.address, port=wazo.port, username=ADMIN, password=ADMIN_PASSWORD,
                         ca_path=wazo.ca_path, platform='wazo', tenant=TENANT_A, timeout=30)
    try:
        rows = list(csv.DictReader(io.StringIO(LEGACY)))
        default = context_name(wazo, TENANT_A, 'default')
        incall = context_name(wazo, TENANT_A, 'from-extern')
        sam = ('firstname,lastname,username,password,context,line_protocol,exten\n'
               'Sam,Dup,%s,Secret-sam,%s,sip,1051\n' % (rows[1]['username'], default))
        answer = client.import_csv(sam.encode('utf-8'))
        assert answer.status == 400
        assert '409 Client Error: Conflict detected for url' in answer.text
        yve = ('firstname,lastname,username,password,context,line_protocol,exten,incall_exten,'
               'incall_context\nYve,New,ynew,Secret-ynew,%s,sip,1052,2001,%s\n' % (default, incall))
        assert client.import_csv(yve.encode('utf-8')).status == 201
    finally:
        client.close()
    assert by_first(wazo, TENANT_A)['Alice']['incall_exten'] == ''


def test_through_the_module_with_context_map(wazo, tmp_path):
    """xivo.confd.user_import, platform wazo, a tenant by name: the same rows, a dry run then
    the run; context_map sends the 'sales' row to the tenant's 'default' context."""
    src = tmp_path / 'users.csv'
    src.write_text(LEGACY, encoding='utf-8')
    args = dict(host=wazo.address, port=wazo.port, username=ADMIN, password=ADMIN_PASSWORD,
                ca_path=wazo.ca_path, platform='wazo', tenant='tenanta', src=str(src),
                context_map={'sales': 'default'})
    run = run_playbook(tmp_path, [
        {'name': 'check', 'xivo.confd.user_import': args, 'check_mode': True,
         'ignore_errors': True},
        {'name': 'import', 'xivo.confd.user_import': args, 'ignore_errors': True}])
    check, real = run.result('check'), run.result('import')
    expected = ['created', 'conflict', 'conflict', 'created', 'conflict']
    assert [u['status'] for u in real['users']] == expected, (real, run.stderr[-2000:])
    assert [u['status'] for u in check['users']] == \
        [s.replace('created', 'would_create') for s in expected]
    assert 'entity_id: 5 rows had a value' in '\n'.join(real['warnings'])
    assert "'Zoe Bee' (wazo-auth user zbee" in real['users'][4]['error']
    after = by_first(wazo, TENANT_A)
    assert sorted(after) == ['Alice', 'Nina', 'Sal']
    assert after['Sal']['context'] == context_name(wazo, TENANT_A, 'default')
    assert ADMIN_PASSWORD not in run.stdout + run.stderr + run.results_text


# A legacy web-interface file (pipe-separated, XiVO 15.x headers), as operators have them.
LEGACY_WEBI = (
    'entityid|firstname|lastname|phonenumber|context|protocol|username|password|enableclient|'
    'profileclient|incallexten|incallcontext\n'
    '1|Nina|New|1050|default|sip|nnew|Secret-nnew|1|Client|2050|from-extern\n'
    '1|Sam|Dup|1051|default|sip|ASMITH|Secret-sam|0||||\n'
    '1|Yve|New|1052|default|sip|ynew|Secret-ynew|0||2001|from-extern\n'
    '1|Sal|Es|1053|sales|sip|sales|Secret-sales|0|||\n'
    '1|Zed|Cross|1054|default|sip|ZBee|Secret-zcross|0|||\n')


def test_a_legacy_webi_file_through_the_role_into_a_wazo_tenant(wazo, tmp_path):
    legacy = tmp_path / 'legacy.csv'
    legacy.write_text(LEGACY_WEBI, encoding='utf-8')
    hosts = {'wazo-a': {
        'ansible_host': wazo.address, 'xivo_user_migration_api_port': wazo.port,
        'xivo_user_migration_platform': 'wazo', 'xivo_user_migration_tenant': 'tenanta',
        'xivo_user_migration_ca_path': wazo.ca_path, 'xivo_user_migration_username': ADMIN,
        'xivo_user_migration_password': '{{ migration_password }}',
        'migration_password': ADMIN_PASSWORD,
        'xivo_user_migration_legacy_csv': str(legacy),
        'xivo_user_migration_work_dir': str(tmp_path / 'work'),
        'xivo_user_migration_report_dir': str(tmp_path / 'reports')}}
    role = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
    run = run_playbook(tmp_path, role, hosts=hosts, extra_args=['-v'])
    assert run.returncode != 0, run.stdout[-3000:]          # rows to fix: the host fails
    reports = sorted((tmp_path / 'reports').rglob('*.json'))
    host_report = next(json.loads(p.read_text()) for p in reports
                       if json.loads(p.read_text()).get('users'))
    statuses = [(u['name'], u['status']) for u in host_report['users']]
    assert statuses == [('Nina New', 'created'), ('Sam Dup', 'conflict'), ('Yve New', 'conflict'),
                        ('Sal Es', 'failed'), ('Zed Cross', 'conflict')], statuses
    after = by_first(wazo, TENANT_A)
    assert sorted(after) == ['Alice', 'Nina']
    assert after['Nina']['context'] == context_name(wazo, TENANT_A, 'default')
    assert after['Nina']['incall_context'] == context_name(wazo, TENANT_A, 'from-extern')
    assert after['Alice']['incall_exten'] == '2001'
    output = run.stdout + run.stderr
    assert 'entity_id' in output and 'cti_profile_name' in output
    assert ADMIN_PASSWORD not in output + run.results_text
