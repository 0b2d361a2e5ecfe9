# -*- coding: utf-8 -*-
"""A server that accepts connections and never answers, or answers part of an answer, or
takes longer than the deadline to commit an import (issue 20), through ansible-playbook: the
time spent on it is bounded by its deadline, progress lines name it while the run waits, the
host is unreachable with the reason, and the other servers finish. An import whose outcome
could not be settled is said to be unknown, and the next run settles it."""

from __future__ import annotations

import json
import re
import time

from tests.integration.fleets import fleet_fixtures
from tests.integration.hung_servers import HungServer
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'hunguser', 'Ws-Hung-51c3'
LEGACY = ('firstname|lastname|phonenumber|context|protocol|username\n'
          'Jean|Dupont|1001|default|sip|jdupont\n'
          'Zoé|Martin|1002|default|sip|zmartin\n'
          'Ali|Haddad|1003|default|sip|ahaddad\n')
ROLE = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
FAST = dict(xivo_user_migration_timeout=1, xivo_user_migration_connect_timeout=1,
            xivo_user_migration_deadline=3, xivo_user_migration_progress_seconds=1)

fleet, clean = fleet_fixtures(2, '127.0.35.10', WS_USER, WS_PASSWORD)


def host_vars(address, port, auth_port, ca_path, tmp_path, **extra):
    legacy = tmp_path / 'legacy.csv'
    if not legacy.exists():
        legacy.write_text(LEGACY, encoding='utf-8')
    values = {'xivo_user_migration_api_host': address, 'xivo_user_migration_api_port': port,
              'xivo_user_migration_auth_port': auth_port, 'xivo_user_migration_ca_path': ca_path,
              'xivo_user_migration_legacy_csv': str(legacy),
              'xivo_user_migration_work_dir': str(tmp_path / 'work'),
              'xivo_user_migration_report_dir': str(tmp_path / 'reports'),
              'xivo_user_migration_username': WS_USER,
              'xivo_user_migration_password': '{{ ws_password }}', 'ws_password': WS_PASSWORD,
              # XiVO servers that stop at a given request: with platform auto, the probe of
              # /infos would be the first one.
              'xivo_user_migration_platform': 'xivo'}
    values.update(FAST)
    values.update(extra)
    return values


def results(run, title):
    return next((v for k, v in run.results.items() if k.endswith(title)), {})


def recap(stdout, host):
    line = next(text for text in stdout.splitlines()
                if re.match(r'^%s\s+:' % re.escape(host), text))
    return dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', line))


def fleet_hosts(fleet, tmp_path, **extra):
    return dict(('xivo-%d' % i, host_vars(s.address, s.port, s.auth_port, fleet.ca_path, tmp_path,
                                          **extra))
                for i, s in enumerate(fleet.servers))


def test_a_server_that_never_answers_is_unreachable_within_its_deadline(fleet, tmp_path):
    with HungServer('127.0.35.20') as hung:
        hosts = fleet_hosts(fleet, tmp_path)
        hosts['hung'] = host_vars(hung.address, hung.port, hung.auth_port, fleet.ca_path,
                                  tmp_path)
        run = run_playbook(tmp_path, ROLE, hosts=hosts)
        assert hung.connections >= 1, 'the fake server was never reached'
    per_host = results(run, 'Give this server its result')
    result = per_host['hung']
    expected = 'no answer from 127.0.35.20:%d within 3s' % hung.auth_port
    assert result.get('unreachable') and expected in result['msg'], result
    assert result['status'] == 'unreachable'
    # Its rows were never sent: not tried, not failed.
    assert result['summary']['failed'] == 0 and result['summary']['not_tried'] == 3, result
    assert recap(run.stdout, 'hung')['unreachable'] == 1
    for host in ('xivo-0', 'xivo-1'):
        assert per_host[host]['summary']['created'] == 3, per_host[host]
        assert recap(run.stdout, host)['changed'] == 1
    for server in fleet:
        assert len(server.users()) == 3
    # Progress while waiting, at default verbosity, naming the server.
    assert re.search(r'hung: waiting for 127\.0\.35\.20:%d to answer the xivo-auth token '
                     r'request \(\d+s so far\)' % hung.auth_port, run.stdout), run.stdout[-3000:]
    fleet_line = next(text for text in run.stdout.splitlines() if 'fleet: ' in text)
    assert '2 of 3 servers imported' in fleet_line and '1 unreachable' in fleet_line, fleet_line


def test_a_server_that_answers_part_of_an_answer_is_unreachable(fleet, tmp_path):
    """TLS made, the request read, 20 bytes of the answer sent, then nothing: read timeouts
    are retried within the deadline only."""
    with HungServer('127.0.35.21', answer_bytes=20, ca_dir=tmp_path) as hung:
        hosts = fleet_hosts(fleet, tmp_path)
        hosts['partial'] = host_vars(hung.address, hung.port, hung.auth_port, hung.ca_path,
                                     tmp_path)
        run = run_playbook(tmp_path, ROLE, hosts=hosts)
        tries = hung.connections
    result = results(run, 'Give this server its result')['partial']
    assert result.get('unreachable'), result
    assert 'no answer from 127.0.35.21:%d within 3s' % hung.auth_port in result['msg'], result
    # 1 s per read within 3 s: at most 3 tries of the token request, never the 4 retries allow
    # without a deadline.
    assert 1 <= tries <= 3, tries


def test_confd_silent_after_the_token_is_unreachable_the_others_finish(fleet, tmp_path):
    slow = fleet.servers[1]
    slow.faults.set(latency=8)      # every confd request waits 8 s; xivo-auth answers
    run = run_playbook(tmp_path, ROLE, hosts=fleet_hosts(fleet, tmp_path))
    per_host = results(run, 'Give this server its result')
    result = per_host['xivo-1']
    assert result.get('unreachable'), result
    assert 'no answer from %s:%d within 3s' % (slow.address, slow.port) in result['msg'], result
    assert per_host['xivo-0']['summary']['created'] == 3
    # The first request after the token reads the users (the lock kept on the server is taken
    # only once the run knows it sends rows).
    assert re.search(r'xivo-1: waiting for %s:%d to answer the user export'
                     % (re.escape(slow.address), slow.port), run.stdout), run.stdout[-3000:]
    slow.faults.reset()


def test_an_import_the_deadline_cut_is_unknown_then_settled_by_the_next_run(fleet, tmp_path):
    """The import request outlives the deadline and the server cannot be read to check: the
    rows are reported with an unknown outcome (never "not imported"), the host unreachable;
    the next run finds them imported, once."""
    server = fleet.servers[0]
    server.faults.set(slow_rows=2)  # 3 rows: 6 s holding the store; reads wait for it
    hosts = fleet_hosts(fleet, tmp_path)
    del hosts['xivo-1']
    first = run_playbook(tmp_path, ROLE, hosts=hosts, name='first')
    result = results(first, 'Give this server its result')['xivo-0']
    assert result.get('unreachable'), result
    report = json.loads((tmp_path / 'reports' / 'hosts' / 'xivo-0.json').read_text())
    errors = [u['error'] for u in report['users']]
    assert all(e.startswith('outcome unknown: ') and 'the next run settles it' in e
               for e in errors), errors
    assert not [e for e in errors if 'not imported' in e], errors
    for dummy in range(100):        # the server commits the request after the client left
        if len(server.users()) == 3:
            break
        time.sleep(0.2)
    server.faults.reset()
    second = run_playbook(tmp_path, ROLE, hosts=hosts, name='second')
    again = results(second, 'Give this server its result')['xivo-0']
    assert again['summary']['unchanged'] == 3 and again['summary']['created'] == 0, again
    assert len(server.users()) == 3


def test_user_import_alone_names_the_server_it_waits_for_and_unreachable(fleet, tmp_path):
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname\nAna,Alves\n', encoding='utf-8')
    with HungServer('127.0.35.22') as hung:
        task = {'name': 'import', 'ignore_unreachable': True, 'xivo.confd.user_import': {
            'host': hung.address, 'port': hung.port, 'auth_port': hung.auth_port,
            'platform': 'xivo', 'username': WS_USER, 'password': WS_PASSWORD, 'ca_path': fleet.ca_path,
            'src': str(src), 'timeout': 1, 'connect_timeout': 1, 'deadline': 3,
            'progress_seconds': 1}}
        run = run_playbook(tmp_path, [task])
    result = run.result('import')
    assert 'no answer from 127.0.35.22:%d within 3s' % hung.auth_port in result['msg'], result
    assert re.search(r'localhost: waiting for 127\.0\.35\.22:%d to answer the xivo-auth token '
                     r'request' % hung.auth_port, run.stdout), run.stdout[-3000:]
