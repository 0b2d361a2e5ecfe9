# -*- coding: utf-8 -*-
"""Ctrl-C (SIGINT to the playbook's process group, as a terminal sends it) or SIGTERM in every
phase of the role (issue 20): converting a big legacy file, planning, importing into a slowed
emulator, waiting for a server that never answers. After the signal: no import request beyond
the one in flight, no process of the run left, the server's lock free, and the reports say
what was done before the interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.integration.fleets import fleet_fixtures
from tests.integration.hung_servers import HungServer
from tests.processes import descendants
from ansible_collections.xivo.confd.plugins.module_utils.remote_lock import LOCK_NAME
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import ServerLock

WS_USER, WS_PASSWORD = 'intruser', 'Ws-Int-8a41'
BATCH = 20

fleet, clean = fleet_fixtures(1, '127.0.36.10', WS_USER, WS_PASSWORD)


def legacy_file(path, rows):
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('firstname|lastname|username\n')
        handle.writelines('F%d|L%d|u%d\n' % (i, i, i) for i in range(rows))
    return str(path)


def start(tmp_path, hosts, extra, server=None):
    inventory = {'all': {'hosts': {}}}
    for name, (address, port, auth_port, ca_path) in hosts.items():
        values = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                  'xivo_user_migration_api_host': address, 'xivo_user_migration_api_port': port,
                  'xivo_user_migration_auth_port': auth_port,
                  'xivo_user_migration_ca_path': ca_path,
                  'xivo_user_migration_work_dir': str(tmp_path / 'work'),
                  'xivo_user_migration_report_dir': str(tmp_path / 'reports'),
                  'xivo_user_migration_username': WS_USER,
                  'xivo_user_migration_password': WS_PASSWORD,
                  'xivo_user_migration_batch_size': BATCH,
                  'xivo_user_migration_progress_seconds': 1}
        values.update(extra)
        inventory['all']['hosts'][name] = values
    (tmp_path / 'inventory.yml').write_text(yaml.safe_dump(inventory))
    (tmp_path / 'play.yml').write_text(yaml.safe_dump([{
        'hosts': 'all', 'gather_facts': False,
        'roles': [{'role': 'xivo.confd.user_migration'}]}]))
    # Its own process group, like a terminal's foreground job.
    return subprocess.Popen(['ansible-playbook', '-i', 'inventory.yml', 'play.yml'],
                            cwd=str(tmp_path), stdout=open(tmp_path / 'out.txt', 'wb'),
                            stderr=subprocess.STDOUT, start_new_session=True,
                            env=dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp')))


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def wait_for(condition, proc, what, limit=120):
    deadline = time.monotonic() + limit
    while not condition():
        assert proc.poll() is None, 'the playbook ended before %s' % what
        assert time.monotonic() < deadline, 'never saw %s' % what
        time.sleep(0.02)


def imports(server):
    return [r for r in server.request_log if r['path'] == '/1.1/users/import']


def interrupt_and_check(proc, server, signum, hung=None):
    """Send the signal; then: the playbook and every process it started end, no import
    beyond the one in flight reaches the server, the server's lock is free."""
    processes = [proc.pid] + descendants(proc.pid)
    users_before = len(server.users())
    os.killpg(proc.pid, signum)
    try:
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
    limit = time.monotonic() + 30
    while [p for p in processes if alive(p)]:
        assert time.monotonic() < limit, 'processes left after the interruption: %s' % [
            p for p in processes if alive(p)]
        time.sleep(0.1)
    # The request in flight may still commit (confd goes on without its client): wait until
    # the count stays the same for 3 s; nothing beyond that request may arrive.
    after, same_since = len(server.users()), time.monotonic()
    while time.monotonic() - same_since < 3:
        time.sleep(0.2)
        now = len(server.users())
        if now != after:
            after, same_since = now, time.monotonic()
    assert after - users_before <= BATCH, (users_before, after)
    for target in [server] + ([hung] if hung else []):
        with ServerLock(target.address, target.port, timeout=0):
            pass    # free: the lock was released
    # The lock on the server itself (a call permission named for it) was released too.
    with server.store.lock:
        assert not [p for p in server.store.call_permissions.rows.values()
                    if p['name'] == LOCK_NAME], 'the lock on the server was left behind'
    return users_before, after


def report(tmp_path, host='xivo-0'):
    return json.loads((tmp_path / 'reports' / 'hosts' / ('%s.json' % host)).read_text())


def fleet_hosts(fleet):
    return dict(('xivo-%d' % i, (s.address, s.port, s.auth_port, fleet.ca_path))
                for i, s in enumerate(fleet.servers))


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_interrupted_while_converting(fleet, tmp_path, signum):
    server = fleet.servers[0]
    server.request_log.clear()
    legacy = legacy_file(tmp_path / 'legacy.csv', 2000000)
    work = tmp_path / 'work'
    proc = start(tmp_path, fleet_hosts(fleet), {'xivo_user_migration_legacy_csv': legacy})
    # The conversion writes a temporary file in the work directory, then its record.
    wait_for(lambda: work.is_dir() and [n for n in os.listdir(work) if n != 'runs'], proc,
             'the conversion')
    interrupt_and_check(proc, server, signum)
    assert not imports(server), 'an import was sent after the interruption'
    assert not [n for n in os.listdir(work) if n.endswith('.json')], \
        'an interrupted conversion was recorded as done'
    outcome = report(tmp_path)
    assert 'interrupted while converting' in outcome['error'], outcome['error']


def test_interrupted_while_planning(fleet, tmp_path):
    server = fleet.servers[0]
    server.request_log.clear()
    legacy = legacy_file(tmp_path / 'legacy.csv', 300000)
    proc = start(tmp_path, fleet_hosts(fleet), {'xivo_user_migration_legacy_csv': legacy})
    wait_for(lambda: [r for r in server.request_log if r['path'] == '/1.1/users/export'], proc,
             'the export')
    interrupt_and_check(proc, server, signal.SIGINT)
    assert not imports(server)
    data = report(tmp_path)
    assert data['complete'] is False and 'interrupted (SIGINT)' in data['interrupted'], data.keys()


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_interrupted_while_importing(fleet, tmp_path, signum):
    server = fleet.servers[0]
    server.speed.set(row_cost=0.05)         # a batch of 20 rows: 1 s
    server.request_log.clear()
    legacy = legacy_file(tmp_path / 'legacy.csv', 2000)
    proc = start(tmp_path, fleet_hosts(fleet), {'xivo_user_migration_legacy_csv': legacy})
    wait_for(lambda: len(server.users()) >= 30, proc, 'two import requests')
    dummy, after = interrupt_and_check(proc, server, signum)
    data = report(tmp_path)
    assert data['complete'] is False and data['interrupted'], data.keys()
    created = [u for u in data['users'] if u['status'] == 'created']
    # The report says what was done: every user on the server is created in it, or its
    # outcome is said to be unknown (the request in flight).
    unknown = [u for u in data['users'] if (u.get('error') or '').startswith('outcome unknown')]
    assert len(created) <= after <= len(created) + len(unknown), (len(created), after,
                                                                  len(unknown))
    assert 0 < after < 2000


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_interrupted_while_waiting_for_a_server(fleet, tmp_path, signum):
    server = fleet.servers[0]
    server.speed.set(row_cost=0.05)
    server.request_log.clear()
    legacy = legacy_file(tmp_path / 'legacy.csv', 2000)
    with HungServer('127.0.36.20') as hung:
        hosts = fleet_hosts(fleet)
        hosts['hung'] = (hung.address, hung.port, hung.auth_port, fleet.ca_path)
        proc = start(tmp_path, hosts, {'xivo_user_migration_legacy_csv': legacy,
                                       'xivo_user_migration_deadline': 600,
                                       'xivo_user_migration_timeout': 300})
        wait_for(lambda: hung.connections >= 1 and len(server.users()) >= 30, proc,
                 'the hung server and two imports')
        interrupt_and_check(proc, server, signum, hung=hung)
    stopped = report(tmp_path, 'hung')
    assert stopped['complete'] is False, stopped
    assert 'interrupted' in (stopped.get('interrupted') or stopped.get('error') or ''), stopped
