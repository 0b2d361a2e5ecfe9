# -*- coding: utf-8 -*-
"""A way back (issue #15): import -> rollback -> rollback again (nothing to do) -> re-import
(the same users, none twice, no orphan in the way), users changed since are conflicts, what is
shared or existed before is kept; the module and the role's rollback entry point."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.xivo.confd.plugins.module_utils import run_evidence
from tests.integration.fleets import emulated_fleet
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'rollback', 'Ws-Back-8e21'
HOSTS = {'localhost': {'ws_password': WS_PASSWORD}}
USERS = ('firstname,lastname,username,password,email,exten,context,line_protocol,sip_username,'
         'voicemail_name,voicemail_number,voicemail_context,incall_exten,incall_context,'
         'cti_profile_name,cti_profile_enabled,call_permissions\n'
         'Alice,Smith,asmith,secret1,alice@example.com,1001,default,sip,asmithsip,Alice VM,1001,'
         'default,2001,from-extern,Client,1,perm1\n'
         'Bob,Jones,bjones,secret2,,1002,default,sccp,,,,,,,,,\n'
         'Carl,Nolan,cnolan,secret3,,1003,default,sip,,Carl VM,1003,default,,,,,perm1\n')
COUNTED = ('users', 'lines', 'sip', 'sccp', 'voicemails', 'incalls', 'extensions')


@pytest.fixture(scope='module')
def fleet():
    with emulated_fleet(1, '127.0.9.60', WS_USER, WS_PASSWORD,
                        call_permissions=[{'id': 1, 'name': 'perm1'}]) as servers:
        yield servers


@pytest.fixture
def server(fleet):
    server = fleet.servers[0]
    server.reset()
    return server


def counts(server):
    with server.store.lock:
        found = dict((name, len(server.store.tables[name].rows)) for name in COUNTED)
    return found


def connection(server, fleet, **extra):
    args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                username=WS_USER, password='{{ ws_password }}', ca_path=fleet.ca_path)
    args.update(extra)
    return args


def imported(server, fleet, tmp_path, text=USERS, name='import', **options):
    src = tmp_path / ('%s.csv' % name)
    src.write_text(text, encoding='utf-8')
    report = tmp_path / ('%s-report.json' % name)
    run = run_playbook(tmp_path, [{'name': name, 'xivo.confd.user_import': connection(
        server, fleet, src=str(src), report_dest=str(report), **options),
        'ignore_errors': True}],
        hosts=HOSTS, name=name)
    assert not run.result(name).get('failed'), run.result(name)
    return src, report


def remove(server, fleet, tmp_path, name, check=False, **args):
    task = {'name': name, 'xivo.confd.user_remove': connection(server, fleet, **args),
            'ignore_errors': True}
    if check:
        task['check_mode'] = True
    return run_playbook(tmp_path, [task], hosts=HOSTS, name=name,
                        extra_args=['--diff']).result(name)


def test_import_rollback_rollback_again_reimport(server, fleet, tmp_path):
    before = counts(server)
    src, report = imported(server, fleet, tmp_path)
    after_import = counts(server)
    assert after_import['users'] == before['users'] + 3
    check = remove(server, fleet, tmp_path, 'check', check=True, from_report=str(report))
    assert check['summary']['would_remove'] == 3 and check['changed']
    assert counts(server) == after_import, 'check mode removed something'
    alice = next(u for u in check['users'] if u['name'] == 'Alice Smith')
    assert any(what.startswith('voicemail') for what in alice['removed'])
    assert any(what.startswith('incall') for what in alice['removed'])

    first = remove(server, fleet, tmp_path, 'rollback', from_report=str(report),
                   report_dest=str(tmp_path / 'rollback.json'))
    assert first['summary']['removed'] == 3 and first['changed'] and not first.get('failed'), first
    # Everything the import created is gone: no orphan line, endpoint, extension, voicemail.
    assert counts(server) == before
    assert 'secret1' not in json.dumps(first) + (tmp_path / 'rollback.json').read_text()
    # The call permission and the CTI profile are shared configuration: they stay.
    assert server.store.call_permissions.find_one('name', 'perm1') is not None

    again = remove(server, fleet, tmp_path, 'again', from_report=str(report))
    assert again['summary']['absent'] == 3 and not again['changed']

    src2, report2 = imported(server, fleet, tmp_path, name='reimport')
    back = json.loads(report2.read_text())
    assert back['summary']['created'] == 3, back['summary']
    assert counts(server) == after_import
    assert sorted(u['exten'] for u in server.users()) == ['1001', '1002', '1003']


def test_the_report_of_a_rerun_that_sent_nothing_is_rolled_back_with_nothing_removed(
        server, fleet, tmp_path):
    imported(server, fleet, tmp_path)
    after_import = counts(server)
    src, report = imported(server, fleet, tmp_path, name='rerun')
    data = json.loads(report.read_text())
    assert data['summary']['unchanged'] == 3 and data['summary']['created'] == 0, data['summary']
    # Nothing was sent: the run spared the server the reads only a rollback of its users needs.
    assert 'server_identity' not in data and 'user_id_before' not in data, data
    result = remove(server, fleet, tmp_path, 'undo rerun', from_report=str(report))
    assert not result.get('failed') and not result['changed'], result
    assert 'created nothing here: nothing removed' in result['msg'], result
    assert counts(server) == after_import


def test_users_changed_since_are_conflicts_and_left_alone_unless_forced(server, fleet, tmp_path):
    src, report = imported(server, fleet, tmp_path)
    data = json.loads(report.read_text())
    uuids = dict((u['name'], u['uuid']) for u in data['users'])
    # Bob is renamed on the server, Carl gets his voicemail removed by someone.
    token = requests.post(server.auth_url + '/0.1/token', auth=(WS_USER, WS_PASSWORD),
                          json={'backend': 'xivo_service', 'expiration': 600},
                          verify=fleet.ca_path, timeout=30).json()['data']['token']
    status, payload, dummy = server.do_import(
        ('uuid,lastname\n%s,Jonas\n' % uuids['Bob Jones']).encode('utf-8'), 'utf-8', update=True)
    assert status == 201, payload
    answer = requests.delete(server.url + '/1.1/users/%s/voicemail' % uuids['Carl Nolan'],
                             headers={'X-Auth-Token': token}, verify=fleet.ca_path, timeout=30)
    assert answer.status_code == 204
    result = remove(server, fleet, tmp_path, 'rollback', from_report=str(report))
    by_name = dict((u['name'], u) for u in result['users'])
    assert result['failed'] and result['summary'] == dict(
        removed=1, absent=0, conflict=2, failed=0, would_remove=0, total=3)
    assert "lastname is now 'Jonas'" in by_name['Bob Jones']['error']
    assert 'its voicemail is now none' in by_name['Carl Nolan']['error']
    assert sorted(u['firstname'] for u in server.users()) == ['Bob', 'Carl']
    forced = remove(server, fleet, tmp_path, 'forced', from_report=str(report), force=True)
    assert forced['summary']['removed'] == 2 and not server.users()


def test_a_voicemail_shared_with_a_user_the_run_did_not_create_is_kept(server, fleet, tmp_path):
    server.apply_seed({'users': 'firstname,lastname,exten,context,line_protocol,voicemail_name,'
                                'voicemail_number,voicemail_context\n'
                                'Old,Timer,1500,default,sip,Old VM,1500,default\n'})
    src, report = imported(server, fleet, tmp_path, text=(
        'firstname,lastname,exten,context,line_protocol,voicemail_name,voicemail_number,'
        'voicemail_context\nNew,Comer,1501,default,sip,Shared,1500,default\n'),
        share_voicemails=True)     # another person's voicemail: a conflict unless allowed
    result = remove(server, fleet, tmp_path, 'rollback', from_report=str(report))
    assert result['summary']['removed'] == 1, result
    assert any('voicemail' in kept for kept in result['users'][0]['kept'])
    old, = server.users()
    assert old['firstname'] == 'Old' and old['voicemail_number'] == '1500'


def test_rows_of_a_csv_are_matched_like_the_import_matches_them(server, fleet, tmp_path):
    src, report = imported(server, fleet, tmp_path)
    other = tmp_path / 'other.csv'
    other.write_text('firstname,lastname,exten,context,line_protocol\n'
                     'Bob,Jones,1002,default,sccp\nEve,Other,1001,default,sip\n'
                     'Zed,Nobody,1999,default,sip\n', encoding='utf-8')
    result = remove(server, fleet, tmp_path, 'by rows', src=str(other))
    assert [u['status'] for u in result['users']] == ['removed', 'conflict', 'absent'], result
    assert sorted(u['firstname'] for u in server.users()) == ['Alice', 'Carl']


ROLLBACK_TASK = 'Remove what the chosen run created on this server'


def role_hosts(server, fleet, legacy, name='xivo-a/../b'):
    return {name: {'ansible_host': server.address, 'ws_password': WS_PASSWORD,
                   'xivo_user_migration_api_port': server.port,
                   'xivo_user_migration_auth_port': server.auth_port,
                   'xivo_user_migration_username': WS_USER,
                   'xivo_user_migration_password': '{{ ws_password }}',
                   'xivo_user_migration_ca_path': fleet.ca_path,
                   'xivo_user_migration_legacy_csv': str(legacy)}}


MIGRATE = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
ROLLBACK = [{'name': 'rollback', 'ansible.builtin.include_role': {
    'name': 'xivo.confd.user_migration', 'tasks_from': 'rollback'}}]


def rollback_result(run, host):
    return next(v for k, v in run.results.items() if k.endswith(ROLLBACK_TASK))[host]


def test_the_role_undoes_only_the_fleets_latest_run_and_names_it(server, fleet, tmp_path):
    legacy = tmp_path / 'legacy.csv'
    legacy.write_text('firstname|lastname|phonenumber|context|protocol|username\n'
                      'Jean|Dupont|1001|default|sip|jdupont\nZoé|Martin|1002|default|sip|zmartin\n',
                      encoding='utf-8')
    host = 'xivo-a/../b'
    hosts = role_hosts(server, fleet, legacy, host)
    # No work_dir, report_dir nor api_host: their defaults (the playbook directory, then
    # ansible_host) are taken alike by the import and the rollback.
    reports = tmp_path / 'xivo_user_migration' / 'reports'
    assert run_playbook(tmp_path, MIGRATE, hosts=hosts, name='migrate').returncode == 0
    assert (reports / 'fleet.json').is_file() and list((reports / 'hosts').glob('xivo-a*.json'))
    first_run = json.loads((reports / 'fleet.json').read_text())['run_id']
    assert run_playbook(tmp_path, MIGRATE, hosts=hosts, name='rerun').returncode == 0  # nothing created
    latest_run = json.loads((reports / 'fleet.json').read_text())['run_id']
    assert latest_run != first_run and len(server.users()) == 2
    # "Undo the latest run": it created nothing here, so nothing is removed (never the users
    # of the older run), and the line at default verbosity says which run and why.
    run = run_playbook(tmp_path, ROLLBACK, hosts=hosts, name='rollback')
    assert run.returncode == 0, run.stdout[-3000:]
    result = rollback_result(run, host)
    assert result['run_id'] == latest_run and not result['changed'], result
    assert result['msg'] == 'run %s created nothing here: nothing removed' % latest_run
    assert 'run %s created nothing here' % latest_run in run.stdout
    assert len(server.users()) == 2
    # The older run, named: its users go, and the counts are on the host's line.
    older = hosts[host].copy()
    older['xivo_user_migration_rollback_run'] = first_run
    check = run_playbook(tmp_path, ROLLBACK, hosts={host: older}, name='check',
                         extra_args=['--check'])
    assert 'run %s: would remove 2, would keep 0 (conflicts)' % first_run in check.stdout, \
        check.stdout[-3000:]
    assert len(server.users()) == 2
    run = run_playbook(tmp_path, ROLLBACK, hosts={host: older}, name='older')
    assert run.returncode == 0, run.stdout[-3000:]
    result = rollback_result(run, host)
    assert result['summary']['removed'] == 2 and result['changed'] and result['run_id'] == first_run
    assert 'run %s: removed 2, kept 0 (conflicts), 0 already gone, 0 failed' % first_run \
        in run.stdout, run.stdout[-3000:]
    assert not server.users()
    assert list((tmp_path / 'xivo_user_migration' / 'work' / 'runs').iterdir())
    again = run_playbook(tmp_path, ROLLBACK, hosts={host: older}, name='again')
    result = rollback_result(again, host)
    assert result['summary']['absent'] == 2 and not result['changed']
    # One report per rollback, none written over; latest-<host>.json is a name of the last.
    own = sorted(p for p in (reports / 'rollbacks').iterdir() if not p.name.startswith('latest-'))
    assert len(own) == 2 and all(first_run in p.name for p in own), own
    assert json.loads(own[0].read_text())['summary']['removed'] == 2
    assert json.loads(own[1].read_text())['summary']['absent'] == 2
    latest, = (reports / 'rollbacks').glob('latest-*.json')
    assert latest.read_text() == own[1].read_text()


def test_a_fleet_rollback_leaves_alone_the_servers_the_latest_run_did_not_touch(tmp_path):
    with emulated_fleet(2, '127.0.9.70', WS_USER, WS_PASSWORD) as two:
        legacy = tmp_path / 'legacy.csv'
        legacy.write_text('firstname|lastname|phonenumber|context|protocol\n'
                          'Jean|Dupont|1001|default|sip\n', encoding='utf-8')
        hosts = role_hosts(two.servers[0], two, legacy, 'xivo-a')
        hosts.update(role_hosts(two.servers[1], two, legacy, 'xivo-b'))
        assert run_playbook(tmp_path, MIGRATE, hosts=hosts, name='both').returncode == 0
        newer = tmp_path / 'newer.csv'
        newer.write_text('firstname|lastname|phonenumber|context|protocol\n'
                         'Zoé|Martin|1002|default|sip\n', encoding='utf-8')
        only_b = dict(hosts, **{'xivo-b': dict(hosts['xivo-b'],
                                               xivo_user_migration_legacy_csv=str(newer))})
        run = run_playbook(tmp_path, MIGRATE, hosts=only_b, name='only b',
                           extra_args=['--limit', 'xivo-b'])
        assert run.returncode == 0, run.stdout[-3000:]
        latest = json.loads((tmp_path / 'xivo_user_migration' / 'reports' / 'fleet.json')
                            .read_text())['run_id']
        run = run_playbook(tmp_path, ROLLBACK, hosts=hosts, name='rollback')
        assert run.returncode == 0, run.stdout[-3000:]
        a, b = rollback_result(run, 'xivo-a'), rollback_result(run, 'xivo-b')
        assert a['run_id'] == b['run_id'] == latest
        assert not a['changed'] and 'created nothing here' in a['msg']
        assert b['changed'] and b['summary']['removed'] == 1
        assert [u['firstname'] for u in two.servers[0].users()] == ['Jean']
        assert [u['firstname'] for u in two.servers[1].users()] == ['Jean']


def test_a_report_of_another_server_is_refused(tmp_path):
    with emulated_fleet(2, '127.0.9.80', WS_USER, WS_PASSWORD,
                        call_permissions=[{'id': 1, 'name': 'perm1'}]) as two:
        first, second = two.servers
        for server in two.servers:
            server.reset()
        src, report = imported(first, two, tmp_path)
        imported(second, two, tmp_path, name='same-users-there')
        data = json.loads(report.read_text())
        assert data['server_identity']['uuid'] == first.uuid
        assert data['server_identity']['platform'] == 'xivo'
        assert data['server_identity']['api'] == 'https://%s:%s' % (first.address, first.port)
        result = remove(second, two, tmp_path, 'foreign', from_report=str(report), force=True)
        assert result['failed'] and 'describes another server' in result['msg'], result
        assert first.uuid in result['msg'] and second.uuid in result['msg']
        assert len(second.users()) == 3, 'a report of another server removed users'
        # A report from before reports recorded the server: refused unless accepted.
        del data['server_identity']
        old = tmp_path / 'old.json'
        old.write_text(json.dumps(data))
        result = remove(first, two, tmp_path, 'old', from_report=str(old))
        assert result['failed'] and 'records no server identity' in result['msg'], result
        assert len(first.users()) == 3
        result = remove(first, two, tmp_path, 'accepted', from_report=str(old),
                        accept_unverified_report=True)
        assert result['summary']['removed'] == 3 and not result.get('failed'), result
        assert any('used unverified' in w for w in result.get('warnings', ())), result


def server_token(server, fleet):
    return requests.post(server.auth_url + '/0.1/token', auth=(WS_USER, WS_PASSWORD),
                         json={'backend': 'xivo_service', 'expiration': 600},
                         verify=fleet.ca_path, timeout=30).json()['data']['token']


def test_an_entry_added_by_hand_never_removes_a_user_older_than_the_run(server, fleet, tmp_path):
    server.apply_seed({'users': 'firstname,lastname,username,exten,context,line_protocol\n'
                                'Old,Timer,otimer,1500,default,sip\n'})
    old, = server.users()
    src, report = imported(server, fleet, tmp_path)
    data = json.loads(report.read_text())
    alice = next(u for u in data['users'] if u['name'] == 'Alice Smith')
    # An entry copied from Alice's, naming the older user.
    data['users'].append(dict(alice, uuid=old['uuid'], name='Old Timer', key='username=otimer'))
    # And one written with the older user's real ids and values, and a digest computed again.
    token = server_token(server, fleet)
    user = requests.get(server.url + '/1.1/users/%s' % old['uuid'], verify=fleet.ca_path,
                        headers={'X-Auth-Token': token}, timeout=30).json()
    line = user['lines'][0]
    ids = {'user_id': user['id'], 'user_uuid': old['uuid'], 'line_id': line['id'],
           'sip_id': line['endpoint_sip']['id'], 'extension_id': line['extensions'][0]['id'],
           'voicemail_id': None, 'incall_extension_id': None, 'sccp_id': None}
    values = run_evidence.snapshot(
        next(u for u in server.users() if u['uuid'] == old['uuid']))
    forged = dict(status='created', uuid=old['uuid'], name='Old Timer', ids=ids,
                  created_with=values, digest=run_evidence.digest(old['uuid'], ids, values))
    edited = tmp_path / 'edited.json'
    for entry in (data['users'][-1], forged):
        data['users'] = [u for u in data['users'] if u['uuid'] != old['uuid']] + [entry]
        edited.write_text(json.dumps(data))
        result = remove(server, fleet, tmp_path, 'edited', check=True, from_report=str(edited))
        mine = next(u for u in result['users'] if u['uuid'] == old['uuid'])
        assert mine['status'] == 'conflict', mine
    assert 'existed before the run' in mine['error']
    result = remove(server, fleet, tmp_path, 'edited', from_report=str(edited))
    assert result['summary'] == dict(removed=3, absent=0, conflict=1, failed=0, would_remove=0,
                                     total=4), result
    assert [u['uuid'] for u in server.users()] == [old['uuid']]


def test_any_change_since_the_run_is_a_conflict_naming_the_columns(server, fleet, tmp_path):
    src, report = imported(server, fleet, tmp_path)
    uuids = dict((u['name'], u['uuid']) for u in json.loads(report.read_text())['users'])
    for change in ('uuid,mobile_phone_number\n%s,+33612345678\n' % uuids['Bob Jones'],
                   'uuid,ring_seconds\n%s,45\n' % uuids['Carl Nolan']):
        status, payload, dummy = server.do_import(change.encode('utf-8'), 'utf-8', update=True)
        assert status == 201, payload
    result = remove(server, fleet, tmp_path, 'rollback', from_report=str(report))
    by_name = dict((u['name'], u) for u in result['users'])
    assert result['summary']['conflict'] == 2 and result['summary']['removed'] == 1, result
    assert 'changed since the run: mobile_phone_number' in by_name['Bob Jones']['error']
    assert 'changed since the run: ring_seconds' in by_name['Carl Nolan']['error']
    assert '+33612345678' not in json.dumps(result) and 'secret' not in result['msg']
    assert 'Bob Jones' in result['msg'] and 'kept 2 (conflicts)' in result['msg']
    assert sorted(u['firstname'] for u in server.users()) == ['Bob', 'Carl']
    forced = remove(server, fleet, tmp_path, 'forced', from_report=str(report), force=True)
    assert forced['summary']['removed'] == 2 and not server.users()


def test_a_voicemail_two_rows_of_the_run_share_goes_with_the_last_of_them(server, fleet, tmp_path):
    before = counts(server)
    src, report = imported(server, fleet, tmp_path, text=(
        'firstname,lastname,exten,context,line_protocol,voicemail_name,voicemail_number,'
        'voicemail_context\nAnna,First,1601,default,sip,Team,1600,default\n'
        'Bert,Second,1602,default,sip,Team,1600,default\n'))
    assert counts(server)['voicemails'] == before['voicemails'] + 1
    created = json.loads(report.read_text())['users']
    voicemail = created[0]['ids']['voicemail_id']
    assert created[1]['ids']['voicemail_id'] == voicemail
    check = remove(server, fleet, tmp_path, 'check', check=True, from_report=str(report))
    result = remove(server, fleet, tmp_path, 'rollback', from_report=str(report))
    for outcome in (check, result):
        anna, bert = outcome['users']
        assert anna['kept'] == ['voicemail %s (still used by user %s)' % (voicemail, bert['uuid'])]
        assert 'voicemail %s' % voicemail in bert['removed'] and not bert.get('kept'), bert
        assert not any('existed before' in text for u in outcome['users']
                       for text in u.get('kept', ()))
    assert result['summary']['removed'] == 2
    assert counts(server) == before, 'the voicemail the run created was left behind'


def test_a_sip_endpoint_made_with_no_line_goes_one_that_existed_stays(server, fleet, tmp_path):
    """Observed on 16.15: line_protocol=sip with an empty context makes a SIP endpoint and no
    line (the created entry holds its sip_id): no line of the user leads to it, so the rollback
    deletes it by that id; an endpoint found by its name existed before the run and stays."""
    status, payload, dummy = server.do_import(
        b'firstname,lastname,line_protocol,sip_username\nOld,Endpoint,sip,oldsip\n', 'utf-8')
    assert status == 201, payload
    with server.store.lock:
        old_user = server.store.users.get(payload['created'][0]['user_id'])
    token = requests.post(server.auth_url + '/0.1/token', auth=(WS_USER, WS_PASSWORD),
                          json={'backend': 'xivo_service', 'expiration': 600},
                          verify=fleet.ca_path, timeout=30).json()['data']['token']
    answer = requests.delete(server.url + '/1.1/users/%s' % old_user['uuid'],
                             headers={'X-Auth-Token': token}, verify=fleet.ca_path, timeout=30)
    assert answer.status_code == 204       # its endpoint, on no line, stays behind
    before = counts(server)
    text = ('firstname,lastname,username,line_protocol,sip_username,context,exten\n'
            'Nola,Line,nline,sip,nolinesip,,\n'
            'Reu,Sed,reused,sip,oldsip,,\n')
    src, report = imported(server, fleet, tmp_path, text=text)
    created = dict((u['name'], u) for u in json.loads(report.read_text())['users'])
    assert created['Nola Line']['ids']['sip_id'] and not created['Nola Line']['ids']['line_id']
    assert created['Reu Sed'].get('reused') == ['sip']
    assert counts(server)['sip'] == before['sip'] + 1
    result = remove(server, fleet, tmp_path, 'rollback', from_report=str(report))
    assert result['summary']['removed'] == 2, result
    by_name = dict((u['name'], u) for u in result['users'])
    assert 'SIP endpoint %s' % created['Nola Line']['ids']['sip_id'] in by_name['Nola Line']['removed']
    assert any(kept.startswith('SIP endpoint') for kept in by_name['Reu Sed']['kept'])
    assert counts(server) == before
    with server.store.lock:
        names = sorted(row['username'] for row in server.store.tables['sip'].rows.values())
    assert names == ['oldsip']
    src2, report2 = imported(server, fleet, tmp_path, text=text, name='reimport')
    assert json.loads(report2.read_text())['summary']['created'] == 2
