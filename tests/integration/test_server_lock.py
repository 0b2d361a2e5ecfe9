# -*- coding: utf-8 -*-
"""Two controllers, one server (issue #21): each controller is its own ansible-playbook process
with its own temporary directory and home (as two AWX jobs in their containers), so that the
local lock of one never sees the other; only the lock kept on the server stands between them.

The first controller is held still (SIGSTOP of its process group) once its lock is on the
server, so that the second one meets it whatever the speed of the machine."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.emulator.writes import Writer
from tests.integration.fleets import fleet_fixtures
from tests.integration.playbook import CALLBACKS, PlaybookRun
from tests.processes import descendants

from ansible_collections.xivo.confd.plugins.module_utils.lock_holder import (
    describe_holder, parse_holder)
from ansible_collections.xivo.confd.plugins.module_utils.remote_lock import LOCK_NAME

WS_USER, WS_PASSWORD = 'locker', 'Ws-Lock-5c21'
ROWS = 40
# Name-only rows (the documented last-resort identity): two imports at once would duplicate them.
USERS = 'firstname,lastname\n' + ''.join('Person%02d,Twice\n' % i for i in range(ROWS))
ROLE = [{'name': 'migrate', 'ansible.builtin.import_role': {'name': 'xivo.confd.user_migration'}}]
ROLLBACK = [{'name': 'rollback', 'ansible.builtin.include_role': {
    'name': 'xivo.confd.user_migration', 'tasks_from': 'rollback'}}]

fleet, clean = fleet_fixtures(1, '127.0.11.10', WS_USER, WS_PASSWORD)


class Controller:
    """One controller: its own directory, temporary directory and home."""

    def __init__(self, root, name):
        self.name = name
        self.dir = root / name
        for sub in ('tmp', 'home', 'ansible-tmp'):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)

    def start(self, tasks, hosts, name='play', extra_args=()):
        inventory = {'all': {'hosts': {}}}
        for host, variables in hosts.items():
            entry = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
            entry.update(variables)
            inventory['all']['hosts'][host] = entry
        (self.dir / 'inventory.yml').write_text(yaml.safe_dump(inventory))
        play = [{'name': name, 'hosts': 'all', 'gather_facts': False, 'tasks': tasks}]
        (self.dir / (name + '.yml')).write_text(yaml.safe_dump(play, sort_keys=False))
        env = dict(os.environ)
        for variable in ('XDG_RUNTIME_DIR', 'XDG_CACHE_HOME', 'ANSIBLE_HOME'):
            env.pop(variable, None)
        env.update(TMPDIR=str(self.dir / 'tmp'), HOME=str(self.dir / 'home'),
                   ANSIBLE_LOCAL_TEMP=str(self.dir / 'ansible-tmp'),
                   ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
                   ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED='record_results',
                   XIVO_CONFD_RESULTS=str(self.dir / (name + '-results.json')))
        self.results_path = self.dir / (name + '-results.json')
        self.results_path.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            ['ansible-playbook', '-i', str(self.dir / 'inventory.yml'), str(self.dir / (name + '.yml'))]
            + list(extra_args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(self.dir),
            start_new_session=True)
        return self

    def signal_group(self, signum):
        """Signal ansible-playbook's process group (what Ctrl-C at a terminal does; its workers
        are in sessions of their own, ansible-playbook forwards to them)."""
        os.killpg(self.proc.pid, signum)

    def signal_all(self, signum):
        """Signal ansible-playbook and every process under it (its workers included)."""
        for pid in [self.proc.pid] + descendants(self.proc.pid):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def finish(self):
        stdout, stderr = self.proc.communicate(timeout=600)
        results = json.loads(self.results_path.read_text()) if self.results_path.exists() else {}
        return PlaybookRun(self.proc.returncode, stdout, stderr, results)


def wait_for(condition, what, timeout=300):
    """Poll until ``condition()`` is true (the timeout only keeps a broken run from hanging)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'never happened: ' + what
        time.sleep(0.05)


def lock_objects(server):
    with server.store.lock:
        return [dict(p) for p in server.store.call_permissions.rows.values() if p['name'] == LOCK_NAME]


def duplicates(server):
    names = collections.Counter((u['firstname'], u['lastname']) for u in server.users())
    return {name: n for name, n in names.items() if n > 1}


def module_hosts(server, fleet, src, **extra):
    task_args = dict(host=server.address, port=server.port, auth_port=server.auth_port,
                     username=WS_USER, password='{{ ws_password }}', ca_path=fleet.ca_path,
                     src=str(src), batch_size=5, name_identity=True, keys=['exten@context'])
    task_args.update(extra)
    return {'localhost': {'ws_password': WS_PASSWORD}}, [
        {'name': 'import', 'xivo.confd.user_import': task_args, 'ignore_errors': True}]


def role_hosts(server, fleet, src, **extra):
    variables = {'ansible_host': server.address, 'ws_password': WS_PASSWORD,
                 'xivo_user_migration_api_port': server.port,
                 'xivo_user_migration_auth_port': server.auth_port,
                 'xivo_user_migration_username': WS_USER,
                 'xivo_user_migration_password': '{{ ws_password }}',
                 'xivo_user_migration_ca_path': fleet.ca_path,
                 'xivo_user_migration_csv': str(src), 'xivo_user_migration_batch_size': 5,
                 'xivo_user_migration_keys': ['exten@context']}
    variables.update(extra)
    return {'xivo-one': variables}


def source(tmp_path):
    src = tmp_path / 'users.csv'
    src.write_text(USERS, encoding='utf-8')
    return src


def held_still_with_the_lock(first, server):
    """Wait for the first controller's lock on the server, then stop it there."""
    wait_for(lambda: lock_objects(server), 'the first controller takes the lock')
    first.signal_all(signal.SIGSTOP)
    (lock,) = lock_objects(server)
    return lock


def test_module_two_controllers_the_second_is_refused_naming_the_first(fleet, tmp_path):
    server = fleet.servers[0]
    server.speed.set(row_cost=0.02)
    src = source(tmp_path)
    hosts, tasks = module_hosts(server, fleet, src)
    first = Controller(tmp_path, 'ctl-a').start(tasks, hosts)
    try:
        lock = held_still_with_the_lock(first, server)
        holder = parse_holder(lock['description'])
        assert holder['what'] == 'import' and holder['pid'].isdigit()
        assert (lock['enabled'], lock['mode'], lock['extensions']) == (False, 'deny', [])
        second = Controller(tmp_path, 'ctl-b').start(tasks, hosts).finish()
    finally:
        first.signal_all(signal.SIGCONT)
    refused = second.result('import')
    assert refused['failed'] and refused['summary']['created'] == 0, refused
    assert 'holds its lock on the server' in refused['msg'], refused['msg']
    assert 'run %s from controller %s (process %s' % (holder['run'], holder['controller'], holder['pid']) \
        in refused['msg']
    done = first.finish()
    assert done.result('import')['summary']['created'] == ROWS, done.stdout[-3000:]
    assert len(server.users()) == ROWS and not duplicates(server)
    assert lock_objects(server) == []      # released at the end of the successful run


def test_module_two_controllers_the_second_waits_then_finds_every_user(fleet, tmp_path):
    server = fleet.servers[0]
    server.speed.set(row_cost=0.02)
    src = source(tmp_path)
    hosts, tasks = module_hosts(server, fleet, src)
    waiting_hosts, waiting_tasks = module_hosts(server, fleet, src, lock_timeout=300)
    first = Controller(tmp_path, 'ctl-a').start(tasks, hosts)
    try:
        held_still_with_the_lock(first, server)
        refused_before = sum(1 for r in server.request_log
                             if r['path'] == '/1.1/callpermissions' and r['status'] == 400)
        second = Controller(tmp_path, 'ctl-b').start(waiting_tasks, waiting_hosts)
        wait_for(lambda: sum(1 for r in server.request_log if r['path'] == '/1.1/callpermissions'
                             and r['status'] == 400) > refused_before, 'the second controller meets the lock')
    finally:
        first.signal_all(signal.SIGCONT)
    assert first.finish().result('import')['summary']['created'] == ROWS
    waited = second.finish().result('import')
    assert not waited.get('failed'), waited.get('msg')
    assert (waited['summary']['created'], waited['summary']['unchanged']) == (0, ROWS)
    assert len(server.users()) == ROWS and not duplicates(server)
    assert lock_objects(server) == []


def test_role_two_controllers_the_second_is_refused_naming_the_first(fleet, tmp_path):
    server = fleet.servers[0]
    server.speed.set(row_cost=0.02)
    src = source(tmp_path)
    first = Controller(tmp_path, 'ctl-a').start(ROLE, role_hosts(server, fleet, src, **{
        'xivo_user_migration_work_dir': str(tmp_path / 'ctl-a' / 'work'),
        'xivo_user_migration_report_dir': str(tmp_path / 'ctl-a' / 'reports')}))
    try:
        lock = held_still_with_the_lock(first, server)
        second = Controller(tmp_path, 'ctl-b').start(ROLE, role_hosts(server, fleet, src, **{
            'xivo_user_migration_work_dir': str(tmp_path / 'ctl-b' / 'work'),
            'xivo_user_migration_report_dir': str(tmp_path / 'ctl-b' / 'reports')})).finish()
    finally:
        first.signal_all(signal.SIGCONT)
    assert second.returncode != 0
    outcome = next(v for k, v in second.results.items() if k.endswith('Give this server its result'))['xivo-one']
    assert outcome['status'] == 'not imported' and 'holds its lock on the server' in outcome['msg'], outcome
    assert 'run %s from controller' % parse_holder(lock['description'])['run'] in outcome['msg']
    done = first.finish()
    assert done.returncode == 0, done.stdout[-3000:]
    assert len(server.users()) == ROWS and not duplicates(server)
    assert lock_objects(server) == []


def stale_lock(server, age=7200):
    description = describe_holder('import', '20261201T080000.000Z-dead01', 'awx-node-7', 31337, 'awx',
                                  time.time() - age, 'deadbeef0001')
    server.transaction(lambda db: Writer(db).create_call_permission(
        {'name': LOCK_NAME, 'description': description, 'mode': 'deny', 'enabled': False}))
    return description


def test_a_stale_lock_is_reported_with_its_holder_and_age_and_broken_only_when_asked(fleet, tmp_path):
    server = fleet.servers[0]
    stale_lock(server)
    src = source(tmp_path)
    hosts, tasks = module_hosts(server, fleet, src)
    refused = Controller(tmp_path, 'ctl-a').start(tasks, hosts).finish().result('import')
    assert refused['failed'] and not server.users()
    assert 'run 20261201T080000.000Z-dead01 from controller awx-node-7 (process 31337, user awx)' in refused['msg']
    assert '(2 h 0 min ago' in refused['msg'] or '(1 h 59 min ago' in refused['msg'], refused['msg']
    assert 'break_lock: true' in refused['msg']
    assert len(lock_objects(server)) == 1
    hosts, tasks = module_hosts(server, fleet, src, break_lock=True)
    broken = Controller(tmp_path, 'ctl-b').start(tasks, hosts).finish().result('import')
    assert not broken.get('failed') and broken['summary']['created'] == ROWS, broken.get('msg')
    assert any('break_lock: removed the import lock' in w and 'awx-node-7' in w for w in broken['warnings'])
    assert lock_objects(server) == [] and not duplicates(server)


def test_the_role_rollback_takes_the_lock(fleet, tmp_path):
    server = fleet.servers[0]
    src = source(tmp_path)
    extra = {'xivo_user_migration_work_dir': str(tmp_path / 'work'),
             'xivo_user_migration_report_dir': str(tmp_path / 'reports')}
    ctl = Controller(tmp_path, 'ctl')
    assert ctl.start(ROLE, role_hosts(server, fleet, src, **extra)).finish().returncode == 0
    assert len(server.users()) == ROWS and lock_objects(server) == []
    stale = stale_lock(server, age=60)
    refused = ctl.start(ROLLBACK, role_hosts(server, fleet, src, **extra), name='rollback').finish()
    assert refused.returncode != 0 and len(server.users()) == ROWS
    assert 'holds its lock on the server' in refused.stdout and 'controller awx-node-7' in refused.stdout
    (lock,) = lock_objects(server)
    assert lock['description'] == stale    # refused, it removed nothing
    server.transaction(lambda db: Writer(db).delete_call_permission(str(lock['id'])))
    logged = len(server.request_log)
    done = ctl.start(ROLLBACK, role_hosts(server, fleet, src, **extra), name='rollback').finish()
    assert done.returncode == 0, done.stdout[-3000:]
    assert not server.users() and lock_objects(server) == []
    assert [r['status'] for r in server.request_log[logged:] if r['path'].startswith('/1.1/callpermissions')
            and r['method'] in ('POST', 'DELETE')] == [201, 204]


def test_check_mode_and_export_take_no_lock(fleet, tmp_path):
    server = fleet.servers[0]
    src = source(tmp_path)
    hosts, tasks = module_hosts(server, fleet, src)
    connection = dict(host=server.address, port=server.port, auth_port=server.auth_port, username=WS_USER,
                      password='{{ ws_password }}', ca_path=fleet.ca_path)
    export = {'name': 'export', 'xivo.confd.user_export': dict(connection, dest=str(tmp_path / 'export.csv'))}
    remove = {'name': 'remove', 'xivo.confd.user_remove': dict(connection, src=str(src))}
    logged = len(server.request_log)
    out = Controller(tmp_path, 'ctl').start(tasks + [remove], hosts, extra_args=['--check']).finish()
    assert out.result('import')['summary']['would_create'] == ROWS, out.stdout[-3000:]
    assert 'summary' in out.result('remove'), out.result('remove')
    out = Controller(tmp_path, 'ctl').start(ROLE, role_hosts(server, fleet, src), name='role',
                                            extra_args=['--check']).finish()
    assert out.returncode == 0, out.stdout[-3000:]
    out = Controller(tmp_path, 'ctl').start([export], hosts, name='export').finish()
    assert out.returncode == 0, out.stdout[-3000:]
    assert not [r for r in server.request_log[logged:] if r['path'].startswith('/1.1/callpermissions')]
    assert not server.users() and lock_objects(server) == []


@pytest.mark.parametrize('how', ['SIGINT to the group (Ctrl-C)', 'SIGTERM to ansible-playbook'])
def test_an_interrupted_import_releases_the_lock(fleet, tmp_path, how):
    server = fleet.servers[0]
    server.speed.set(row_cost=0.05)     # 40 rows in batches of 5: 2 s of import
    src = source(tmp_path)
    hosts, tasks = module_hosts(server, fleet, src, report_dest=str(tmp_path / 'report.json'))
    logged = len(server.request_log)
    ctl = Controller(tmp_path, 'ctl').start(tasks, hosts)
    wait_for(lambda: any(r['path'] == '/1.1/users/import' for r in server.request_log[logged:]),
             'the first batch is sent')
    # Held still while the signal is sent, so that it arrives mid-import on any machine.
    ctl.signal_all(signal.SIGSTOP)
    assert lock_objects(server)
    if how.startswith('SIGINT'):
        ctl.signal_group(signal.SIGINT)
    else:
        ctl.proc.send_signal(signal.SIGTERM)
    ctl.signal_all(signal.SIGCONT)
    ctl.finish()
    wait_for(lambda: not lock_objects(server), 'the lock is released')
    before = len(server.users())
    assert 0 < before < ROWS and not duplicates(server)
    report = tmp_path / 'report.json'
    if report.exists():     # a worker that ansible-playbook ends hard after the release has none
        assert json.loads(report.read_text()).get('interrupted')
    # The next run is not refused: it takes the lock and finishes the work.
    again = Controller(tmp_path, 'ctl-again').start(tasks, hosts).finish().result('import')
    assert not again.get('failed') and again['summary']['created'] + before == ROWS, again.get('msg')
    assert len(server.users()) == ROWS and not duplicates(server)
    assert lock_objects(server) == []


def test_credentials_without_the_call_permission_acls(fleet, tmp_path):
    server = fleet.servers[0]
    server.apply_seed({'ws_users': [{'login': WS_USER, 'password': WS_PASSWORD, 'acls': [
        'confd.users.#', 'confd.contexts.read', 'confd.entities.read', 'confd.cti_profiles.read',
        'confd.extensions.read', 'confd.voicemails.read', 'confd.endpoints.sip.read', 'confd.lines.read',
        'confd.incalls.read']}]})
    src = source(tmp_path)
    hosts, tasks = module_hosts(server, fleet, src, preflight=False)
    refused = Controller(tmp_path, 'ctl').start(tasks, hosts).finish().result('import')
    assert refused['failed'] and 'confd.callpermissions.create' in refused['msg'], refused['msg']
    assert 'server_lock: local' in refused['msg'] and not server.users()
    hosts, tasks = module_hosts(server, fleet, src, preflight=False, server_lock='local')
    local = Controller(tmp_path, 'ctl-local').start(tasks, hosts).finish().result('import')
    assert not local.get('failed') and local['summary']['created'] == ROWS, local.get('msg')
    assert any('server_lock is local' in w for w in local['warnings'])
