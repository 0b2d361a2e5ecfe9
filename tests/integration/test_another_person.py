# -*- coding: utf-8 -*-
"""Another person's data, through ansible-playbook (issue #20): a voicemail of another user is
a conflict in check mode and for real unless share_voicemails allows it (then the report keeps
the voicemail's name before confd renames it); a name in NFD matches its NFC server user; a SIP
name held by a trunk and an extension held by a group are refused as the real 16.15 refuses
them, predicted by the dry run, while the other rows are imported."""

from __future__ import annotations

import json
import unicodedata

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'person', 'Ws-Person-4d1a'
HOSTS = {'localhost': {'ws_password': WS_PASSWORD}}
NFC = unicodedata.normalize('NFC', 'H\u00e9l\u00e8ne')
NFD = unicodedata.normalize('NFD', NFC)
SEED_USERS = ('firstname,lastname,username,exten,context,line_protocol,voicemail_name,'
              'voicemail_number,voicemail_context\n'
              'Bob,Jones,bjones,1001,default,sip,Bob VM,1001,default\n'
              '%s,Dupont,hdupont,1005,default,sip,,,\n' % NFC)
HEADER = ('firstname,lastname,username,exten,context,line_protocol,sip_username,voicemail_name,'
          'voicemail_number,voicemail_context\n')
ROWS = ('Alice,Smith,asmith,1002,default,sip,,Alice VM,1001,default\n'
        '%s,Dupont,hdupont,1005,default,sip,,,,\n'
        'Tom,Trunk,ttrunk,1010,default,sip,trunksip,,,\n'
        'Gil,Group,ggroup,1030,default,sip,,,,\n'
        'Carol,New,cnew,1011,default,sip,,,,\n' % NFD)
TRUNK = ("Resource Error - Trunk is associated with a Endpoint ('trunk_id': 1, 'endpoint': 'sip', "
         "'endpoint_id': 2)")

fleet, clean = fleet_fixtures(1, '127.0.9.60', WS_USER, WS_PASSWORD)


def seed(server):
    server.apply_seed({'sip_endpoints': [{'username': 'freesip'},
                                         {'username': 'trunksip', 'trunk_id': 1}],
                       'extensions': [{'exten': '1030', 'context': 'default', 'owner': 'group',
                                       'owner_name': 'grp1'}],
                       'users': SEED_USERS})
    group_ext = [e for e in server.store.extensions.rows.values() if e['exten'] == '1030'][0]
    return "('associated_id': u'1', 'id': %d)" % group_ext['id']


def task(name, server, fleet, src, **extra):
    args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                username=WS_USER, password='{{ ws_password }}', ca_path=fleet.ca_path,
                src=str(src))
    args.update(extra)
    return {'name': name, 'xivo.confd.user_import': args, 'ignore_errors': True}


def voicemail_name(server, number):
    names = [vm['name'] for vm in server.store.voicemails.rows.values() if vm['number'] == number]
    assert len(names) == 1
    return names[0]


def test_another_persons_data_in_the_dry_run_the_real_run_and_with_sharing(fleet, tmp_path):
    server = fleet.servers[0]
    group_ids = seed(server)
    assert voicemail_name(server, '1001') == 'Bob Jones'     # renamed by its own line (docs/server-behaviour.md#voicemail-renamed)
    src = tmp_path / 'users.csv'
    src.write_text(HEADER + ROWS, encoding='utf-8')
    report = tmp_path / 'report.json'
    run = run_playbook(tmp_path, [
        dict(task('check', server, fleet, src), check_mode=True),
        task('import', server, fleet, src, report_dest=str(report)),
    ], hosts=HOSTS)
    check, real = run.result('check'), run.result('import')
    expected = ['conflict', 'unchanged', 'would_fail', 'would_fail', 'would_create']
    assert [u['status'] for u in check['users']] == expected, check['users']
    assert [u['status'] for u in real['users']] == [s.replace('would_fail', 'failed').replace(
        'would_create', 'created') for s in expected], real['users']
    for predicted, done in zip(check['users'], real['users']):
        assert predicted.get('error') == done.get('error')
    alice = real['users'][0]
    assert "voicemail_number@voicemail_context=1001@default is the voicemail of 'Bob Jones'" \
        in alice['error'] and 'share_voicemails' in alice['error']
    assert "rename it from 'Bob Jones' to 'Alice Smith'" in alice['error']
    bob_uuid = [u['uuid'] for u in server.users() if u['firstname'] == 'Bob'][0]
    assert alice['server_users'] == [bob_uuid]
    helene = real['users'][1]
    assert helene['warnings'] == ["matched after Unicode normalisation: firstname file %r (NFD), "
                                  "server %r (NFC)" % (NFD, NFC)]
    assert TRUNK in real['users'][2]['error']
    assert ("Resource Error - Extension is associated with a group %s" % group_ids) \
        in real['users'][3]['error']
    # Only Carol was sent; Bob's voicemail kept its name; one Hélène.
    assert voicemail_name(server, '1001') == 'Bob Jones'
    firstnames = sorted(unicodedata.normalize('NFC', u['firstname']) for u in server.users())
    assert firstnames == sorted(['Bob', NFC, 'Carol'])
    assert json.loads(report.read_text())['summary']['conflict'] == 1

    # Sharing allowed: Alice is imported, confd renames Bob's voicemail, the report keeps the
    # name it had so that a rollback can put it back.
    shared_report = tmp_path / 'shared.json'
    run = run_playbook(tmp_path, [
        dict(task('check', server, fleet, src, share_voicemails=True), check_mode=True,
             diff=True),
        task('import', server, fleet, src, share_voicemails=True,
             report_dest=str(shared_report)),
    ], hosts=HOSTS, name='shared')
    check, real = run.result('check'), run.result('import')
    assert check['users'][0]['status'] == 'would_create'
    assert '~ voicemail 1001@default: name=Bob Jones, users %s' % bob_uuid in check['diff']['before']
    assert ('~ voicemail 1001@default: name=Alice Smith, users %s, and exten@context=1002@default'
            % bob_uuid) in check['diff']['after']
    assert real['users'][0]['status'] == 'created'
    assert voicemail_name(server, '1001') == 'Alice Smith'
    entry = json.loads(shared_report.read_text())['users'][0]
    assert entry['shared_voicemail'] == dict(number='1001', context='default', users=[bob_uuid],
                                             previous_name='Bob Jones', renamed_to='Alice Smith')
    assert any('will be shared with this user' in w for w in entry['warnings'])

    # Rolling the run back removes Alice, keeps Bob's voicemail, and says that its name is not
    # put back (the rollback writes no voicemail).
    args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                username=WS_USER, password='{{ ws_password }}', ca_path=fleet.ca_path,
                from_report=str(shared_report))
    undone = run_playbook(tmp_path, [{'name': 'rollback', 'xivo.confd.user_remove': args,
                                      'ignore_errors': True}], hosts=HOSTS, name='rollback')
    alice_undone = [u for u in undone.result('rollback')['users'] if u['name'] == 'Alice Smith'][0]
    assert alice_undone['status'] == 'removed', alice_undone
    assert any("does not restore the name of voicemail" in kept and "'Bob Jones'" in kept
               for kept in alice_undone['kept']), alice_undone
    bob, = [u for u in server.users() if u['firstname'] == 'Bob']
    assert bob['voicemail_number'] == '1001'


def test_the_role_passes_share_voicemails_to_every_server(fleet, tmp_path):
    server = fleet.servers[0]
    seed(server)
    src = tmp_path / 'users.csv'
    src.write_text(HEADER + ROWS.splitlines()[0] + '\n', encoding='utf-8')
    hosts = {'xivo-a': {'ansible_host': server.address,
                        'xivo_user_migration_api_port': server.port,
                        'xivo_user_migration_auth_port': server.auth_port,
                        'xivo_user_migration_csv': str(src),
                        'xivo_user_migration_ca_path': fleet.ca_path,
                        'xivo_user_migration_work_dir': str(tmp_path / 'work'),
                        'xivo_user_migration_report_dir': str(tmp_path / 'reports'),
                        'xivo_user_migration_username': WS_USER,
                        'xivo_user_migration_password': WS_PASSWORD}}
    role = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
    refused = run_playbook(tmp_path, role, hosts=hosts, name='refused')
    assert refused.returncode != 0 and 'is the voicemail of' in refused.stdout
    assert voicemail_name(server, '1001') == 'Bob Jones'
    hosts['xivo-a']['xivo_user_migration_share_voicemails'] = True
    shared = run_playbook(tmp_path, role, hosts=hosts, name='shared')
    assert shared.returncode == 0, shared.stdout[-3000:]
    assert voicemail_name(server, '1001') == 'Alice Smith'
