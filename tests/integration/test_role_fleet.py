# -*- coding: utf-8 -*-
"""The role over a fleet, through ansible-playbook (issues #11, #13, #14): every server at once
whatever forks is, each host its own result, serial and strategy free, --limit, module_defaults
for the whole group, environment variables, hostile host names, inventory hosts that are one
server, reports per run and the fleet report, backups kept, the conversion cache, progress."""

from __future__ import annotations

import json
import os
import stat

from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'fleetuser', 'Ws-Fleet-31b9'
LEGACY = ('firstname|lastname|phonenumber|context|protocol|username\n'
          'Jean|Dupont|1001|default|sip|jdupont\n'
          'Zoé|Martin|1002|default|sip|zmartin\n')
ROLE = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]


fleet, clean = fleet_fixtures(4, '127.0.9.10', WS_USER, WS_PASSWORD)


def inventory(fleet, tmp_path, names=None, credentials=True, **extra):
    legacy = tmp_path / 'legacy.csv'
    if not legacy.exists():
        legacy.write_text(LEGACY, encoding='utf-8')
    names = names or ['xivo-%d' % i for i in range(len(fleet.servers))]
    hosts = {}
    for name, server in zip(names, fleet.servers):
        hosts[name] = {'ansible_host': server.address, 'xivo_user_migration_api_port': server.port,
                       'xivo_user_migration_auth_port': server.auth_port}
    common = {'xivo_user_migration_legacy_csv': str(legacy),
              'xivo_user_migration_ca_path': fleet.ca_path,
              'xivo_user_migration_work_dir': str(tmp_path / 'work'),
              'xivo_user_migration_report_dir': str(tmp_path / 'reports'),
              'xivo_user_migration_backup_dir': str(tmp_path / 'backups')}
    if credentials:
        common.update(xivo_user_migration_username=WS_USER,
                      xivo_user_migration_password='{{ ws_password }}', ws_password=WS_PASSWORD)
    common.update(extra)
    for values in hosts.values():
        for key, value in common.items():
            values.setdefault(key, value)
    return hosts


def results(run, title):
    return next((v for k, v in run.results.items() if k.endswith(title)), {})


def test_every_server_at_once_whatever_forks_with_its_own_result(fleet, tmp_path):
    import_seconds = 2 * 1.0               # 2 rows: every import lasts at least 2 s of server time
    for server in fleet:
        server.speed.set(row_cost=1.0)
    hosts = inventory(fleet, tmp_path, xivo_user_migration_batch_seconds=10)
    run = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['-f', '1', '-v'])
    assert run.returncode == 0, run.stdout[-3000:]
    # The servers log an import when they answer it, and each import lasts at least
    # import_seconds: answers closer together than that prove that the last import started
    # before the first one ended, i.e. that every server was importing at the same time.
    imports = [r for server in fleet for r in server.request_log if r['path'] == '/1.1/users/import']
    answered = sorted(r['time'] for r in imports)
    assert len(answered) == len(fleet)
    assert answered[-1] - answered[0] < import_seconds, 'the servers were not imported at the same time'
    per_host = results(run, 'Give this server its result')
    assert sorted(per_host) == sorted(hosts)
    for host, result in per_host.items():
        assert result['changed'] and result['status'] == 'imported', result
        assert result['summary']['created'] == 2
    assert 'changed=1' in run.stdout
    summary = next(iter(results(run, 'import every server of this batch at once').values()))['msg']
    assert summary[-1].startswith('fleet: 4 of 4 servers imported: 8 created')
    again = run_playbook(tmp_path, ROLE, hosts=hosts, name='again')
    assert again.returncode == 0 and 'changed=1' not in again.stdout
    assert all(not r['changed'] for r in results(again, 'Give this server its result').values())


def test_module_defaults_for_the_group_and_environment_variables_reach_every_server(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path, credentials=False)
    play = {'module_defaults': {'group/xivo.confd.confd': {
        'retries': 5, 'timeout': 30, 'username': WS_USER, 'password': '{{ ws_password }}'}}}
    for values in hosts.values():
        values['ws_password'] = WS_PASSWORD
    run = run_playbook(tmp_path, ROLE, hosts=hosts, play=play)
    assert run.returncode == 0, run.stdout[-3000:]
    assert all(r['summary']['created'] == 2 for r in results(run, 'Give this server its result').values())
    # The credentials from the environment (what an AWX credential type injects).
    for server in fleet:
        server.reset()
    run = run_playbook(tmp_path, ROLE, hosts=inventory(fleet, tmp_path, credentials=False),
                       env={'XIVO_CONFD_USERNAME': WS_USER, 'XIVO_CONFD_PASSWORD': WS_PASSWORD},
                       name='env')
    assert run.returncode == 0, run.stdout[-3000:]
    assert WS_PASSWORD not in run.stdout + run.results_text


def test_serial_and_strategy_free_print_one_complete_fleet_line(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    run = run_playbook(tmp_path, ROLE, hosts=hosts, play={'serial': 2})
    assert run.returncode == 0, run.stdout[-3000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith('fleet: ')]
    assert len(lines) == 2, lines    # one per batch of two servers
    assert 'fleet: 2 of 4 servers imported (2 of 4 servers done so far)' in lines[0]
    assert 'fleet: 4 of 4 servers imported: 8 created' in lines[1]
    fleet_report = json.loads((tmp_path / 'reports' / 'fleet.json').read_text())
    assert fleet_report['complete'] and fleet_report['totals']['created'] == 8
    for server in fleet:
        server.reset()
    run = run_playbook(tmp_path, ROLE, hosts=hosts, play={'strategy': 'free'}, name='free')
    assert run.returncode == 0, run.stdout[-3000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith('fleet: ')]
    assert len(lines) == 1 and 'fleet: 4 of 4 servers imported: 8 created' in lines[0], lines
    assert sum(len(server.users()) for server in fleet) == 8


def test_limit_and_check_mode(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    run = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['--check', '--limit', 'xivo-1'])
    assert run.returncode == 0, run.stdout[-3000:]
    result, = results(run, 'Give this server its result').values()
    assert result['summary']['would_create'] == 2 and result['changed']
    assert not any(server.users() for server in fleet)
    assert not (tmp_path / 'reports').exists() and not (tmp_path / 'backups').exists()
    run = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['--limit', 'xivo-1'], name='real')
    assert [len(server.users()) for server in fleet] == [0, 2, 0, 0]


def test_hostile_host_names_stay_in_their_directories(fleet, tmp_path):
    names = ['../../escape', 'a/b', 'a_b', '.hidden']
    hosts = inventory(fleet, tmp_path, names=names)
    for values in hosts.values():
        values['xivo_user_migration_legacy_csv'] = str(tmp_path / 'bad-then-good.csv')
    (tmp_path / 'bad-then-good.csv').write_text(LEGACY + 'Ann|Bad|5000|default|sip|abad\n',
                                                encoding='utf-8')
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 2, run.stdout[-3000:]     # the 5000 row fails on every server
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob('*') if p.is_file())
    outside = [p for p in written if not p.startswith(('reports/', 'backups/', 'work/', 'play',
                                                       'ansible-tmp/', 'bad-then-good', 'legacy'))]
    assert not outside, outside
    latest = sorted(p.name for p in (tmp_path / 'reports').iterdir() if p.is_file())
    assert len([n for n in latest if n.endswith('-to-fix.csv')]) == 4
    hosts_dir = sorted(p.name for p in (tmp_path / 'reports' / 'hosts').iterdir() if p.is_file())
    assert len([n for n in hosts_dir if n.endswith('.json')]) == 4
    assert not (tmp_path.parent / 'escape.json').exists()


def test_each_host_gets_its_own_variables_under_what_the_play_sets(fleet, tmp_path):
    """The batch task reads each host's variables as that host's own task would: its
    inventory values (templated with its own name and the play's variables), under the
    play's vars, the role's parameters and the extra vars, which apply to every host."""
    legacy_dir = tmp_path / 'legacy'
    legacy_dir.mkdir()
    hosts = inventory(fleet, tmp_path, xivo_user_migration_backup_dir='')
    for number, (name, values) in enumerate(sorted(hosts.items())):
        (legacy_dir / ('%s.csv' % name)).write_text(
            'firstname|lastname|phonenumber|context|protocol\n'
            + ''.join('U%d|H%d|%d|default|sip\n' % (i, number, 1100 + i)
                      for i in range(number + 1)), encoding='utf-8')
        # The play's legacy_dir, the host's own name: templated for each host.
        values['xivo_user_migration_legacy_csv'] = '{{ legacy_dir }}/{{ inventory_hostname }}.csv'
        # Overridden by the play's vars for every host (a directory that cannot be made).
        values['xivo_user_migration_report_dir'] = '/proc/no-such-place/reports'
    hosts['xivo-2']['xivo_user_migration_batch_size'] = 'not a number'     # the extra vars win
    play = {'vars': {'legacy_dir': str(legacy_dir),
                     'xivo_user_migration_report_dir': '{{ playbook_dir }}/play-reports'}}
    role = [{'name': 'migrate', 'ansible.builtin.import_role': {
        'name': 'xivo.confd.user_migration'},
        'vars': {'xivo_user_migration_backup_dir': '{{ playbook_dir }}/role-backups'}}]
    run = run_playbook(tmp_path, role, hosts=hosts, play=play,
                       extra_args=['-e', 'xivo_user_migration_batch_size=50'])
    assert run.returncode == 0, run.stdout[-3000:]
    per_host = results(run, 'Give this server its result')
    for number, server in enumerate(fleet.servers):
        assert per_host['xivo-%d' % number]['summary']['created'] == number + 1
        assert sorted(u['lastname'] for u in server.users()) == ['H%d' % number] * (number + 1)
        assert (tmp_path / 'play-reports' / 'hosts' / ('xivo-%d.json' % number)).is_file()
        assert len(list((tmp_path / 'role-backups').glob('xivo-%d-*.csv' % number))) == 1


def test_two_inventory_hosts_of_one_server_are_refused_naming_each_other(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    hosts['alias'] = dict(hosts['xivo-0'])
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    per_host = results(run, 'Give this server its result')
    for host in ('xivo-0', 'alias'):
        assert per_host[host]['failed'] and 'is the same server' in per_host[host]['msg']
    assert 'alias' in per_host['xivo-0']['msg'] and 'xivo-0' in per_host['alias']['msg']
    assert not fleet.servers[0].users() and len(fleet.servers[1].users()) == 2


def test_each_run_keeps_its_reports_the_latest_are_copied_backups_are_pruned(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path, xivo_user_migration_backup_keep=2)
    for number in range(3):
        run = run_playbook(tmp_path, ROLE, hosts=hosts, name='run%d' % number)
        assert run.returncode == 0, run.stdout[-3000:]
    runs = sorted(p.name for p in (tmp_path / 'reports' / 'runs').iterdir())
    assert len(runs) == 3
    first = json.loads((tmp_path / 'reports' / 'runs' / runs[0] / 'hosts' / 'xivo-0.json')
                       .read_text())
    latest = json.loads((tmp_path / 'reports' / 'hosts' / 'xivo-0.json').read_text())
    assert first['summary']['created'] == 2 and latest['summary']['unchanged'] == 2
    assert first['run_id'] == runs[0] and latest['run_id'] == runs[2]
    table = (tmp_path / 'reports' / 'fleet.md').read_text()
    assert '| xivo-0 |' in table and '[xivo-0.json](runs/%s/hosts/xivo-0.json)' % runs[2] in table
    assert len(list((tmp_path / 'backups').glob('xivo-0-*.csv'))) == 2
    for path in (tmp_path / 'backups').iterdir():
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600


def test_a_legacy_file_is_converted_once_and_not_again(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    run_playbook(tmp_path, ROLE, hosts=hosts)
    converted = sorted((tmp_path / 'work').glob('legacy-*.csv'))
    assert len(converted) == 1, converted      # four servers, one file: one conversion
    mtime = os.stat(str(converted[0])).st_mtime_ns
    run = run_playbook(tmp_path, ROLE, hosts=hosts, name='again')
    assert os.stat(str(converted[0])).st_mtime_ns == mtime, 'converted again'
    (tmp_path / 'legacy.csv').write_text(LEGACY + 'Ali|Ben|1003|default|sip|aben\n', encoding='utf-8')
    run = run_playbook(tmp_path, ROLE, hosts=hosts, name='changed')
    assert len(list((tmp_path / 'work').glob('legacy-*.csv'))) == 2
    assert all(r['summary']['created'] == 1 for r in results(run, 'Give this server its result').values())


def test_progress_lines_show_while_servers_import(fleet, tmp_path):
    for server in fleet:
        server.speed.set(row_cost=0.15)
    legacy = tmp_path / 'legacy.csv'
    legacy.write_text('firstname|lastname|phonenumber|context|protocol\n' + ''.join(
        'U%d|T|%d|default|sip\n' % (i, 1100 + i) for i in range(30)), encoding='utf-8')
    hosts = inventory(fleet, tmp_path, xivo_user_migration_progress_seconds=0,
                      xivo_user_migration_batch_seconds=0.5)
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode == 0, run.stdout[-3000:]
    lines = [line for line in run.stdout.splitlines() if 'rows sent' in line]
    assert any(line.startswith('xivo-2: 10 of 30 rows sent (10 imported, 0 failed)') for line in lines), lines
    assert any(line.startswith('xivo-2: 30 of 30 rows sent') for line in lines), lines
    report = json.loads((tmp_path / 'reports' / 'hosts' / 'xivo-2.json').read_text())
    assert [b['rows'] for b in report['batches']][0] == 10 and len(report['batches']) >= 3
    assert report['timings']['import'] > 0


def test_the_fleet_summary_is_given_to_set_stats(fleet, tmp_path):
    hosts = inventory(fleet, tmp_path)
    callback = tmp_path / 'stats_file.py'
    callback.write_text('''from ansible.plugins.callback import CallbackBase
import json, os
DOCUMENTATION = """
name: stats_file
type: aggregate
short_description: write the custom stats to a file (test)
description: Writes the custom stats to the file named by STATS_FILE.
"""
class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'stats_file'
    CALLBACK_NEEDS_ENABLED = True
    def v2_playbook_on_stats(self, stats):
        with open(os.environ['STATS_FILE'], 'w') as handle:
            json.dump(stats.custom, handle)
''')
    from tests.integration.playbook import CALLBACKS
    stats_file = tmp_path / 'stats.json'
    run = run_playbook(tmp_path, ROLE, hosts=hosts, env={
        'ANSIBLE_CALLBACK_PLUGINS': '%s:%s' % (CALLBACKS, tmp_path),
        'ANSIBLE_CALLBACKS_ENABLED': 'record_results,stats_file', 'STATS_FILE': str(stats_file),
        'ANSIBLE_SHOW_CUSTOM_STATS': 'true'})
    assert run.returncode == 0, run.stdout[-3000:]
    data = json.loads(stats_file.read_text())['_run']['xivo_user_migration']
    assert data['totals']['created'] == 8 and data['servers']['xivo-3']['status'] == 'imported'
    assert data['servers']['xivo-3']['report'].startswith(str(tmp_path / 'reports' / 'runs'))


def test_check_diff_of_a_large_server_is_summarised(fleet, tmp_path):
    legacy = tmp_path / 'legacy.csv'
    legacy.write_text('firstname|lastname|phonenumber|context|protocol\n' + ''.join(
        'U%d|T|%d|default|sip\n' % (i, 1100 + i) for i in range(300)), encoding='utf-8')
    hosts = inventory(fleet, tmp_path)
    run = run_playbook(tmp_path, ROLE, hosts=hosts, extra_args=['--check', '--diff', '-l', 'xivo-0'])
    assert run.returncode == 0, run.stdout[-3000:]
    result = results(run, 'Give this server its result')['xivo-0']
    after = result['diff']['after'].splitlines()
    assert after[0] == ('# 300 users would be created, 0 would be updated; the first 50 are '
                        'shown, the others are in the users result')
    assert len(after) == 51 and after[1].startswith('+ exten@context=1100@default')
    assert len(run.stdout.splitlines()) < 300


def test_the_demo_report_printer_reads_what_the_role_wrote(fleet, tmp_path):
    # demo/show_report.py is what ./scripts/demo prints: it follows the fleet report of the
    # latest run, and a server that was not reached shows its reason.
    import socket
    import subprocess
    import sys
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        closed = probe.getsockname()[1]
    hosts = inventory(fleet, tmp_path)
    hosts['xivo-3'].update(ansible_host='127.0.0.1', xivo_user_migration_api_port=closed,
                           xivo_user_migration_auth_port=closed)
    run = run_playbook(tmp_path, ROLE, hosts=hosts)
    assert run.returncode != 0
    printer = os.path.join(os.path.dirname(__file__), '..', '..', 'demo', 'show_report.py')
    shown = subprocess.run([sys.executable, printer, str(tmp_path / 'reports')],
                           capture_output=True, text=True, check=True).stdout
    lines = shown.splitlines()
    for host in ('xivo-0', 'xivo-1', 'xivo-2'):
        assert any(line.startswith(host) and '2 created' in line for line in lines), shown
    down = lines.index(next(line for line in lines if line.startswith('xivo-3')))
    assert lines[down + 1].startswith('  unreachable: ') and 'cannot connect' in lines[down + 1], shown
    assert any('Zoé Martin' in line and '1002@default' in line and 'created' in line
               for line in lines), shown
    assert lines[-1].split()[:3] == ['fleet', '4', 'servers'] and '6 created' in lines[-1], shown
    again = run_playbook(tmp_path, ROLE, hosts=hosts, name='again')
    assert again.returncode != 0
    summary = subprocess.run([sys.executable, printer, str(tmp_path / 'reports'), '--summary'],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(summary) == 6 and '6 unchanged' in summary[-1], summary


def test_fleet_result_says_why_it_has_no_outcome_for_the_host(tmp_path):
    tasks = [
        {'name': 'not a result', 'ansible.builtin.set_fact': {'not_a_batch': {'changed': False}}},
        {'name': 'named', 'xivo.confd.fleet_result': {'from_result': 'not_a_batch'},
         'ignore_errors': True},
        {'name': 'run dir', 'xivo.confd.fleet_result': {'run_dir': str(tmp_path / 'none')},
         'ignore_errors': True},
        {'name': 'both', 'xivo.confd.fleet_result': {'run_dir': str(tmp_path),
                                                     'from_result': 'not_a_batch'},
         'ignore_errors': True}]
    run = run_playbook(tmp_path, tasks, hosts={'xivo-a': {}})
    assert run.returncode == 0, run.stdout[-3000:]
    named, missing, both = (results(run, name)['xivo-a'] for name in ('named', 'run dir', 'both'))
    assert named['failed'] and 'not_a_batch holds no result of xivo.confd.fleet_import' in named['msg']
    assert missing['failed'] and 'was xivo.confd.fleet_import run for this host?' in missing['msg']
    assert both['failed'] and 'mutually exclusive' in both['msg']
