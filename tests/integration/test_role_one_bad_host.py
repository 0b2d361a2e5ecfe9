# -*- coding: utf-8 -*-
"""One server's problem stays that server's problem (issue #20), through ansible-playbook: a
host with a wrong path in its variables, or whose server refuses the credentials, fails alone,
named, with its reason, while the others are imported; every run that sent anything has its
fleet report; every figure of the fleet report is the sum of the per-host reports."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import run_playbook
from tests.integration.test_role_fleet import ROLE, WS_PASSWORD, WS_USER, inventory, results

fleet, clean = fleet_fixtures(4, '127.0.61.10', WS_USER, WS_PASSWORD)

PER_HOST = 'Give this server its result'
BATCH = 'import every server of this batch at once'
CONFD = ('firstname,lastname,exten,context,line_protocol,username,password\n'
         'Jean,Dupont,1001,default,sip,jdupont,Secret-1001\n'
         'Zoé,Martin,1002,default,sip,zmartin,Secret-1002\n'
         'Ann,Bad,5000,default,sip,abad,Secret-5000\n')


def only_imports(server):
    """The user requests the server received in this test (the log outlives a reset)."""
    return [r for r in server.request_log if r['path'].startswith('/1.1/users')
            and r['time'] >= server.test_started]


@pytest.fixture(autouse=True)
def _test_started(fleet, clean):
    del clean
    for server in fleet:
        server.test_started = time.time()


def latest_run_dir(tmp_path):
    runs = sorted((tmp_path / 'reports' / 'runs').iterdir())
    return runs[-1]


def assert_figures_add_up(run_dir, hosts, without_report=()):
    """fleet.json and fleet.md: every total is the sum of the per-host reports of the run (a
    host whose report directory is what is wrong has none: it counts no row)."""
    fleet_report = json.loads((run_dir / 'fleet.json').read_text())
    by_host = dict((s['host'], s) for s in fleet_report['servers'])
    assert sorted(by_host) == sorted(list(hosts) + list(without_report))
    for host in without_report:
        assert not any(by_host[host]['summary'].values()), by_host[host]
    totals = fleet_report['totals']
    sums = {}
    for host in hosts:
        report = json.loads((run_dir / 'hosts' / ('%s.json' % host)).read_text())
        assert report['summary'] == dict(by_host[host]['summary']), host
        assert report['summary']['total'] == len(report['users']), host
        for status, count in report['summary'].items():
            sums[status] = sums.get(status, 0) + count
        # Every user of the report is counted under its own status.
        for status in set(u['status'] for u in report['users']):
            assert report['summary'][status] == sum(
                1 for u in report['users'] if u['status'] == status), (host, status)
    for status, count in sums.items():
        assert totals[status] == count, (status, totals, sums)
    table = (run_dir / 'fleet.md').read_text().splitlines()
    header = next(line for line in table if line.startswith('| server |'))
    columns = [c.strip() for c in header.strip('|').split('|')]
    rows = [[c.strip() for c in line.strip('|').split('|')] for line in table
            if line.startswith('| ') and line != header and not line.startswith('| **total**')]
    total_row = next([c.strip() for c in line.strip('|').split('|')] for line in table
                     if line.startswith('| **total**'))
    for index, column in enumerate(columns):
        if column in ('server', 'address', 'status', 'report', 'rows to fix'):
            continue
        assert int(total_row[index]) == sum(int(r[index]) for r in rows), (column, table)
    return fleet_report


def test_a_wrong_path_in_one_hosts_variables_fails_that_host_alone(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    (tmp_path / 'a-directory.csv').mkdir()
    hosts['xivo-1']['xivo_user_migration_ca_path'] = str(tmp_path / 'no-such-ca.crt')
    hosts['xivo-2']['xivo_user_migration_legacy_csv'] = str(tmp_path / 'a-directory.csv')
    hosts['xivo-3'].pop('xivo_user_migration_legacy_csv')
    hosts['xivo-3']['xivo_user_migration_csv'] = str(tmp_path / 'no-such-confd.csv')
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]
    batch = results(run, BATCH)
    assert not any(r.get('failed') for r in batch.values()), batch
    per_host = results(run, PER_HOST)
    assert sorted(per_host) == sorted(hosts), run.stdout[-3000:]
    assert per_host['xivo-0']['changed'] and not per_host['xivo-0'].get('failed')
    assert per_host['xivo-0']['summary']['created'] == 2
    for host, path, reason in (('xivo-1', 'no-such-ca.crt', 'does not exist'),
                               ('xivo-2', 'a-directory.csv', 'is a directory'),
                               ('xivo-3', 'no-such-confd.csv', 'does not exist')):
        result = per_host[host]
        assert result['failed'] and not result['changed'], result
        assert result['msg'].startswith(host + ':') and path in result['msg'], result['msg']
        assert reason in result['msg'], result['msg']
        # Nothing was sent to the server of a host with bad inputs.
        assert not only_imports(fleet.servers[int(host[-1])]), host
    recap = dict((line.split(':', 1)[0].strip(), line) for line in run.stdout.splitlines()
                 if 'ok=' in line and 'failed=' in line)
    assert 'failed=0' in recap['xivo-0'] and 'changed=1' in recap['xivo-0'], recap
    for host in ('xivo-1', 'xivo-2', 'xivo-3'):
        assert 'failed=1' in recap[host], recap
    assert len(fleet.servers[0].users()) == 2
    fleet_report = assert_figures_add_up(latest_run_dir(tmp_path), sorted(hosts))
    assert fleet_report['totals']['created'] == 2 and fleet_report['totals']['not_imported'] == 3
    assert json.loads((tmp_path / 'reports' / 'fleet.json').read_text()) == fleet_report


def test_an_exception_in_one_hosts_work_fails_that_host_alone(fleet, tmp_path):
    # A report directory whose runs/ is a regular file: writing the host's report raises in
    # that host's thread (its directory itself is usable).
    hosts = inventory(fleet, tmp_path)
    (tmp_path / 'reports-2').mkdir()
    (tmp_path / 'reports-2' / 'runs').write_text('x')
    hosts['xivo-2']['xivo_user_migration_report_dir'] = str(tmp_path / 'reports-2')
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]
    per_host = results(run, PER_HOST)
    assert per_host['xivo-2']['failed'] and per_host['xivo-2']['msg'].startswith('xivo-2: ')
    assert 'reports-2' in per_host['xivo-2']['msg'], per_host['xivo-2']['msg']
    for host in ('xivo-0', 'xivo-1', 'xivo-3'):
        assert per_host[host]['changed'] and not per_host[host].get('failed'), per_host[host]
    assert (tmp_path / 'reports' / 'fleet.json').exists()
    # Its recap is true: changed if and only if users were created on its server.
    assert per_host['xivo-2']['changed'] == bool(fleet.servers[2].users())


def test_an_output_directory_that_is_a_file_fails_its_host_before_anything_is_sent(fleet, tmp_path):
    (tmp_path / 'a-file').write_text('x')
    hosts = inventory(fleet, tmp_path)
    hosts['xivo-1']['xivo_user_migration_backup_dir'] = str(tmp_path / 'a-file' / 'backups')
    hosts['xivo-2']['xivo_user_migration_report_dir'] = str(tmp_path / 'a-file')
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]
    per_host = results(run, PER_HOST)
    for host, what in (('xivo-1', 'backup directory'), ('xivo-2', 'report directory')):
        assert per_host[host]['failed'] and not per_host[host]['changed'], per_host[host]
        assert what in per_host[host]['msg'] and 'is not a directory' in per_host[host]['msg']
        assert not only_imports(fleet.servers[int(host[-1])]), host
    for host in ('xivo-0', 'xivo-3'):
        assert per_host[host]['changed'] and not per_host[host].get('failed'), per_host[host]
    assert_figures_add_up(latest_run_dir(tmp_path), ['xivo-0', 'xivo-1', 'xivo-3'],
                          without_report=['xivo-2'])


def test_wrong_credentials_on_one_server_leave_its_rows_not_tried(fleet, tmp_path):
    confd = tmp_path / 'users.csv'
    confd.write_text(CONFD, encoding='utf-8')
    hosts = inventory(fleet, tmp_path, xivo_user_migration_csv=str(confd))
    for values in hosts.values():
        values.pop('xivo_user_migration_legacy_csv')
    # xivo-1 already has one of the users; then the credentials of xivo-1 are wrong.
    first = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['--limit', 'xivo-1'],
                         name='first')
    assert first.returncode == 2 and len(fleet.servers[1].users()) == 2, first.stdout[-3000:]
    hosts['xivo-1']['ws_password'] = 'Wrong-password-42'
    # xivo-2: the token is accepted, the export is refused (an ACL missing).
    fleet.servers[2].faults.set(fail_nth={'n': 1, 'status': 403, 'path': '/1.1/users/export'})
    # xivo-3: the server is read, then the import is refused (403): its rows were never tried.
    fleet.servers[3].faults.set(fail_nth={'n': 1, 'status': 403, 'path': '/1.1/users/import'})
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]
    per_host = results(run, PER_HOST)
    refused = per_host['xivo-1']
    assert refused['failed'] and 'authentication refused' in refused['msg'], refused
    assert refused['summary']['failed'] == 0 and refused['summary']['not_tried'] == 3, refused
    assert 'Wrong-password-42' not in run.stdout + run.results_text
    run_dir = latest_run_dir(tmp_path)
    assert not (tmp_path / 'reports' / 'xivo-2-to-fix.csv').exists()
    # The file to fix of the previous run (its bad row) is still the one to fix: nothing was tried.
    latest_failed = (tmp_path / 'reports' / 'xivo-1-to-fix.csv').read_text()
    assert 'Secret-5000' in latest_failed and 'Secret-1001' not in latest_failed
    report = json.loads((run_dir / 'hosts' / 'xivo-1.json').read_text())
    assert set(u['status'] for u in report['users']) == {'not_tried'}
    assert per_host['xivo-2']['failed'] and 'authentication refused' in per_host['xivo-2']['msg']
    assert per_host['xivo-2']['summary']['not_tried'] == 3 and not fleet.servers[2].users()
    assert per_host['xivo-0']['summary']['created'] == 2
    assert per_host['xivo-0']['summary']['failed'] == 1
    partly = per_host['xivo-3']
    assert partly['failed'] and 'rows not tried' in partly['msg'], partly
    assert partly['summary']['not_tried'] == 2 and partly['summary']['failed'] == 1, partly
    assert not fleet.servers[3].users()
    failed_rows = (tmp_path / 'reports' / 'xivo-3-to-fix.csv').read_text()
    assert 'Secret-5000' in failed_rows and 'Secret-1001' not in failed_rows
    fleet_report = assert_figures_add_up(run_dir, sorted(hosts))
    assert fleet_report['totals']['not_tried'] >= 3
    assert fleet_report['totals']['failed'] == sum(per_host[h]['summary']['failed'] for h in hosts)


def test_a_dry_run_of_a_mixed_fleet_says_checked_and_its_totals_add_up(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    hosts['xivo-1']['xivo_user_migration_ca_path'] = str(tmp_path / 'no-such-ca.crt')
    hosts['xivo-2']['ws_password'] = 'Wrong-password-42'
    run = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['--check', '--diff'])
    assert run.returncode == 2, run.stdout[-3000:]
    per_host = results(run, PER_HOST)
    batch = next(iter(results(run, BATCH).values()))
    assert not batch.get('failed'), batch
    good = per_host['xivo-0']
    assert good['status'] == 'checked' and good['changed'] and not good.get('failed'), good
    assert good['summary']['would_create'] == 2 and 'would be created' in good['diff']['after']
    assert 'users created' not in good['diff']['after']
    assert per_host['xivo-1']['failed'] and 'no-such-ca.crt' in per_host['xivo-1']['msg']
    assert per_host['xivo-2']['failed'] and 'authentication refused' in per_host['xivo-2']['msg']
    assert per_host['xivo-2']['summary']['not_tried'] == 2
    assert not any(r.get('status') == 'imported' for r in per_host.values())
    totals = batch['ansible_stats']['data']['xivo_user_migration']['totals']
    for key, value in totals.items():
        if key in good['summary']:
            assert value == sum(r['summary'][key] for r in per_host.values()), (key, totals)
    assert totals['checked'] == 2 and totals['not_imported'] == 2 and totals['imported'] == 0
    assert batch['msg'][-1].startswith('fleet: 2 of 4 servers checked'), batch['msg']
    assert not (tmp_path / 'reports').exists()
    assert not any(server.users() for server in fleet)


def test_wrong_directories_of_the_first_host_fail_that_host_alone(fleet, tmp_path):
    (tmp_path / 'a-file').write_text('x')
    hosts = inventory(fleet, tmp_path)
    # The first host of the batch names the batch's directories: a work directory that is a
    # file fails it alone, the batch takes the next host's.
    hosts['xivo-0']['xivo_user_migration_work_dir'] = str(tmp_path / 'a-file')
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]
    per_host = results(run, PER_HOST)
    assert per_host['xivo-0']['failed'] and 'a-file' in per_host['xivo-0']['msg'], per_host
    assert 'work directory' in per_host['xivo-0']['msg']
    assert not only_imports(fleet.servers[0])
    for host in ('xivo-1', 'xivo-2', 'xivo-3'):
        assert per_host[host]['changed'] and not per_host[host].get('failed'), per_host[host]
    assert_figures_add_up(latest_run_dir(tmp_path), sorted(hosts))
    # A report directory that is a file: that host fails (its report cannot be written), the
    # fleet report goes where the other servers wrote theirs.
    for server in fleet:
        server.reset()
        server.test_started = time.time()
    hosts = inventory(fleet, tmp_path)
    hosts['xivo-0']['xivo_user_migration_report_dir'] = str(tmp_path / 'a-file')
    run = run_playbook(tmp_path, ROLE, hosts=hosts, name='reports')
    assert run.returncode == 2, run.stdout[-3000:]
    per_host = results(run, PER_HOST)
    assert per_host['xivo-0']['failed'] and 'a-file' in per_host['xivo-0']['msg'], per_host
    for host in ('xivo-1', 'xivo-2', 'xivo-3'):
        assert per_host[host]['changed'] and not per_host[host].get('failed'), per_host[host]
    fleet_report = json.loads((latest_run_dir(tmp_path) / 'fleet.json').read_text())
    assert fleet_report['run_id'] == latest_run_dir(tmp_path).name
    assert fleet_report['totals']['not_imported'] == 1
    assert fleet_report['totals']['created'] == sum(r['summary']['created'] for r in per_host.values())
    # Its recap is true whichever way it failed: changed if and only if users were created.
    assert per_host['xivo-0']['changed'] == bool(fleet.servers[0].users()), per_host['xivo-0']
    assert per_host['xivo-0']['summary']['created'] == len(fleet.servers[0].users())
