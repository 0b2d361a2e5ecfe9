# -*- coding: utf-8 -*-
"""The role's files in links and shared directories (issue 20, "Files, directories and shared
places"), through ansible-playbook against emulated servers: output places checked before
anything is sent, no planted link followed, per-host and fleet files apart, backups pruned by
what the collection recorded, the conversion cache trusted only when sealed."""

from __future__ import annotations

import hashlib
import json
import os
import stat

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'placesuser', 'Ws-Places-8c1e'
LEGACY = ('firstname|lastname|phonenumber|context|protocol|username\n'
          'Jean|Dupont|1001|default|sip|jdupont\n'
          'Zoé|Martin|1002|default|sip|zmartin\n')
ROLE = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
RESULT = 'Give this server its result'

fleet, clean = fleet_fixtures(2, '127.0.23.10', WS_USER, WS_PASSWORD)


def inventory(fleet, tmp_path, names=('xivo-0', 'xivo-1'), **extra):
    legacy = tmp_path / 'legacy.csv'
    if not legacy.exists():
        legacy.write_text(LEGACY, encoding='utf-8')
    hosts = {}
    for name, server in zip(names, fleet.servers):
        hosts[name] = {'ansible_host': server.address, 'xivo_user_migration_api_port': server.port,
                       'xivo_user_migration_auth_port': server.auth_port,
                       'xivo_user_migration_legacy_csv': str(legacy),
                       'xivo_user_migration_ca_path': fleet.ca_path,
                       'xivo_user_migration_work_dir': str(tmp_path / 'work'),
                       'xivo_user_migration_report_dir': str(tmp_path / 'reports'),
                       'xivo_user_migration_backup_dir': str(tmp_path / 'backups'),
                       'xivo_user_migration_username': WS_USER,
                       'xivo_user_migration_password': WS_PASSWORD}
        hosts[name].update(extra)
    return hosts


def results(run, title):
    return next((v for k, v in run.results.items() if k.endswith(title)), {})


def test_a_report_dir_that_is_a_file_fails_its_host_before_anything_is_sent(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    bad = tmp_path / 'not-a-dir'
    bad.write_text('an operator file\n')
    hosts['xivo-1']['xivo_user_migration_report_dir'] = str(bad)
    seen = len(fleet.servers[1].request_log)
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]
    per_host = results(run, RESULT)
    assert set(per_host) == {'xivo-0', 'xivo-1'}, run.stdout[-3000:]
    assert not per_host['xivo-0'].get('failed') and len(fleet.servers[0].users()) == 2
    failed = per_host['xivo-1']
    assert failed['failed'] and str(bad) in failed['msg'] and 'not a directory' in failed['msg']
    assert 'nothing was sent' in failed['msg']
    assert not fleet.servers[1].users() and len(fleet.servers[1].request_log) == seen
    assert bad.read_text() == 'an operator file\n'


def test_a_link_planted_where_the_collection_makes_its_directories_is_not_followed(
        fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (tmp_path / 'reports').mkdir()
    (tmp_path / 'reports' / 'hosts').symlink_to(elsewhere)
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]
    for host, result in results(run, RESULT).items():
        assert result['failed'] and str(tmp_path / 'reports' / 'hosts') in result['msg'], result
        assert 'symbolic link' in result['msg']
    assert os.listdir(str(elsewhere)) == []
    assert not any(server.users() for server in fleet)
    # The work directory's runs/ planted as a link: the task fails, naming it, nothing sent.
    (tmp_path / 'reports' / 'hosts').unlink()
    work = tmp_path / 'work2'
    work.mkdir()
    (work / 'runs').symlink_to(elsewhere)
    hosts = inventory(fleet, tmp_path, xivo_user_migration_work_dir=str(work))
    run = run_playbook(tmp_path, ROLE, hosts=hosts, name='work')
    assert run.returncode == 2 and str(work / 'runs') in run.stdout + run.results_text
    assert os.listdir(str(elsewhere)) == [] and not any(server.users() for server in fleet)


def test_a_host_named_like_the_fleet_report_never_overwrites_it(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path, names=('fleet', 'fleet.md'))
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 0, run.stdout[-3000:]
    report = json.loads((tmp_path / 'reports' / 'fleet.json').read_text())
    assert report['totals']['created'] == 4 and [s['host'] for s in report['servers']] == [
        'fleet', 'fleet.md']
    assert (tmp_path / 'reports' / 'fleet.md').read_text().startswith('# User migration')
    host_report = json.loads((tmp_path / 'reports' / 'hosts' / 'fleet.json').read_text())
    assert host_report['host'] == 'fleet' and host_report['summary']['created'] == 2


def test_backups_named_as_if_from_the_future_never_cost_a_run_its_own(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path, xivo_user_migration_backup_keep=1)
    backups = tmp_path / 'backups'
    backups.mkdir()
    for stamp in ('29991231T235959.000Z-ffffff', '29991231T235959.999Z-eeeeee'):
        (backups / ('xivo-0-%s.csv' % stamp)).write_text('planted\n')
    for name in ('first', 'second'):
        run = run_playbook(tmp_path, ROLE, hosts=hosts, name=name)
        assert run.returncode == 0, run.stdout[-3000:]
    mine = sorted(p.name for p in backups.iterdir()
                  if p.name.startswith('xivo-0-') and not p.name.startswith('xivo-0-2999'))
    assert len(mine) == 1, mine             # keep 1: the second run's, the first pruned
    assert len([p for p in backups.iterdir() if p.name.startswith('xivo-0-2999')]) == 2
    manifest = json.loads((backups / '.xivo.confd-backups.json').read_text())
    assert [e['file'] for e in manifest['backups'] if e['host'] == 'xivo-0'] == mine
    for path in backups.iterdir():
        if '2999' not in path.name:         # the planted files are the test's
            assert stat.S_IMODE(os.lstat(str(path)).st_mode) == 0o600, path


def test_a_planted_conversion_is_converted_again_with_a_warning(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    run = run_playbook(tmp_path, ROLE, hosts=hosts, name='first')
    assert run.returncode == 0, run.stdout[-3000:]
    for server in fleet:
        server.reset()
    converted = [p for p in (tmp_path / 'work').iterdir() if p.suffix == '.csv']
    assert len(converted) == 1
    # Someone who can write the work directory replaces the converted file and its record's
    # digest (what the cache used to check): a user of no legacy file.
    intruder = 'firstname,lastname,line_protocol,context,exten\nMallory,Evil,sip,default,1099\n'
    converted[0].write_text(intruder)
    record_path = str(converted[0]) + '.json'
    with open(record_path) as handle:
        record = json.load(handle)
    record['digest'] = hashlib.sha256(intruder.encode('utf-8')).hexdigest()
    with open(record_path, 'w') as handle:
        json.dump(record, handle)
    run = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['-v'], name='second')
    assert run.returncode == 0, run.stdout[-3000:]
    for server in fleet:
        names = sorted(u['firstname'] for u in server.users())
        assert names == ['Jean', 'Zoé'], names
    assert 'was not used' in run.stdout + run.results_text


def test_a_report_directory_others_can_write_to_is_named_in_a_warning(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    (tmp_path / 'reports').mkdir()
    os.chmod(str(tmp_path / 'reports'), 0o777)
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 0, run.stdout[-3000:]
    for result in results(run, RESULT).values():
        assert any(str(tmp_path / 'reports') in w and 'group or others' in w
                   for w in result.get('warnings', ())), result
    for path in (tmp_path / 'reports').rglob('*'):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
