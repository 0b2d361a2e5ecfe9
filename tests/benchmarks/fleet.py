# -*- coding: utf-8 -*-
"""Benchmark 3: a fleet through the role xivo.confd.user_migration, default settings.

(a) At the calibrated speed (the emulator's speed model, docs/server-behaviour.md#request-cost: a real confd 16.15
    spends ~0.2 s per imported row; scaled by SPEED so that a run takes under a minute), the
    role's first run against the documented method (a sequential bash loop of curl: a token,
    then one POST of the converted file, per server) and against the physical limit (one raw
    POST per server, every server at once).
(b) With an instant emulator, the role's cost per extra host against a play with one
    ansible.builtin.debug task, on the re-run (nothing to do) and on the first run.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess

import requests

from tests.benchmarks import data
from tests.benchmarks.common import (
    FLEET_ADDRESS, WS_PASSWORD, WS_USER, address, Emulator, local_host_vars, log, median, row,
    run_playbook, timed, write_yaml)

REAL_ROW_COST = 0.2
OVERHEAD_ADDRESS = address(10, block=1)

CURL_LOOP = r'''#!/bin/bash
# The documented method: per server, a token from xivo-auth, then one POST of its confd file.
set -euo pipefail
ca=$1; shift
while [ $# -gt 0 ]; do
    address=$1; file=$2; shift 2
    token=$(curl -sS --fail --cacert "$ca" -u '%(user)s:%(password)s' -X POST \
        -H 'Content-Type: application/json' -d '{"backend":"xivo_service","expiration":3600}' \
        "https://$address:9497/0.1/token" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
    code=$(curl -sS -o /dev/null -w '%%{http_code}' --cacert "$ca" -H "X-Auth-Token: $token" \
        -H "Content-Type: text/csv; charset=utf-8" --data-binary "@$file" \
        "https://$address:9486/1.1/users/import")
    [ "$code" = 201 ] || { echo "$address answered $code" >&2; exit 1; }
done
''' % dict(user=WS_USER, password=WS_PASSWORD)


def _curl_loop(script, ca_path, pairs):
    args = ['bash', script, ca_path]
    for address, path in pairs:
        args += [address, path]
    subprocess.run(args, check=True)


def _raw_post(address, ca_path, path):
    with requests.Session() as session:
        token = session.post('https://%s:9497/0.1/token' % address, auth=(WS_USER, WS_PASSWORD),
                             json={'backend': 'xivo_service', 'expiration': 3600},
                             verify=ca_path, timeout=600).json()['data']['token']
        with open(path, 'rb') as handle:
            answer = session.post('https://%s:9486/1.1/users/import' % address, data=handle.read(),
                                  headers={'X-Auth-Token': token,
                                           'Content-Type': 'text/csv; charset=utf-8'},
                                  verify=ca_path, timeout=3600)
        if answer.status_code != 201:
            raise RuntimeError('%s answered %s' % (address, answer.status_code))


def _physical_limit(ca_path, pairs):
    """Every server imports its whole file at the same time: nothing can be faster."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        for future in [pool.submit(_raw_post, address, ca_path, path) for address, path in pairs]:
            future.result()


def _inputs(workdir, names, users):
    legacy_dir = os.path.join(workdir, 'legacy')
    confd_dir = os.path.join(workdir, 'confd')
    os.makedirs(legacy_dir, exist_ok=True)
    os.makedirs(confd_dir, exist_ok=True)
    for i, name in enumerate(names):
        legacy = os.path.join(legacy_dir, name + '.csv')
        data.write_legacy(legacy, users, first_exten=1000, incall_offset=1000,
                          prefix='s%03du' % i, seed=i)
        # The curl method posts files already in the confd format (converted beforehand).
        data.write_confd(legacy, os.path.join(confd_dir, name + '.csv'))
    return legacy_dir, confd_dir


def _inventory(workdir, name, names, emulator, legacy_dir):
    hosts = dict((host, {'ansible_host': address})
                 for host, address in zip(names, emulator.addresses))
    group_vars = dict(local_host_vars())
    group_vars.update({
        'xivo_user_migration_legacy_csv': legacy_dir + '/{{ inventory_hostname }}.csv',
        'xivo_user_migration_username': WS_USER,
        'xivo_user_migration_password': WS_PASSWORD,
        'xivo_user_migration_ca_path': emulator.ca_path,
        'xivo_user_migration_work_dir': os.path.join(workdir, 'work'),
        'xivo_user_migration_report_dir': os.path.join(workdir, 'reports'),
    })
    return write_yaml(os.path.join(workdir, '%s-inventory.yml' % name),
                      {'xivo': {'hosts': hosts, 'vars': group_vars}})


def _plays(workdir):
    role_play = write_yaml(os.path.join(workdir, 'fleet-role.yml'), [{
        'name': 'Migrate the legacy users into every XiVO server', 'hosts': 'xivo',
        'gather_facts': False, 'roles': [{'role': 'xivo.confd.user_migration'}]}])
    debug_play = write_yaml(os.path.join(workdir, 'fleet-debug.yml'), [{
        'name': 'floor', 'hosts': 'xivo', 'gather_facts': False,
        'tasks': [{'name': 'debug', 'ansible.builtin.debug': {'msg': 'hello'}}]}])
    return role_play, debug_play


def _unvalidated_play(workdir):
    """The role without Ansible's own check of its argument specification (a task per host,
    about twice a debug task), which fleet_import makes anyway for every host."""
    return write_yaml(os.path.join(workdir, 'fleet-role-unvalidated.yml'), [{
        'name': 'Migrate the legacy users into every XiVO server', 'hosts': 'xivo',
        'gather_facts': False,
        'tasks': [{'name': 'migrate', 'ansible.builtin.import_role': {
            'name': 'xivo.confd.user_migration', 'rolespec_validate': False}}]}])


def run_calibrated(workdir, servers, users, speed, repeat, curl=True):
    """(a): the role at the servers' speed, vs the physical limit and (``curl``) the curl loop;
    with the controller's CPU time and peak memory, against the debug play's on the same
    inventory."""
    workdir = os.path.join(workdir, 'calibrated-%d' % servers)
    os.makedirs(workdir)
    seed = os.path.join(workdir, 'seed.json')
    data.write_seed(seed)
    names = ['xivo-%03d' % i for i in range(servers)]
    legacy_dir, confd_dir = _inputs(workdir, names, users)
    script = os.path.join(workdir, 'curl-loop.sh')
    with open(script, 'w') as handle:
        handle.write(CURL_LOOP)
    row_cost = REAL_ROW_COST / speed
    log('fleet, calibrated speed: %d servers x %d users, %.4f s per row (%gx the real '
        'server\'s speed), %d repetition(s)' % (servers, users, row_cost, speed, repeat))
    times = dict((k, []) for k in ('curl', 'limit', 'role', 'batch', 'role_cpu', 'role_mb',
                                   'debug', 'debug_cpu', 'debug_mb', 'limit_servers_cpu',
                                   'role_servers_cpu', 'load'))
    with Emulator(workdir, FLEET_ADDRESS, fleet=servers, seed=seed, row_cost=row_cost) as emulator:
        inventory = _inventory(workdir, 'calibrated', names, emulator, legacy_dir)
        role_play, debug_play = _plays(workdir)
        pairs = [(address, os.path.join(confd_dir, name + '.csv'))
                 for name, address in zip(names, emulator.addresses)]
        for number in range(repeat):
            log('fleet, calibrated: repetition %d/%d' % (number + 1, repeat))
            emulator.reset()
            times['load'].append(os.getloadavg()[0])
            cpu = emulator.cpu_seconds()
            seconds, dummy = timed(_physical_limit, emulator.ca_path, pairs)
            times['limit'].append(seconds)
            times['limit_servers_cpu'].append(emulator.cpu_seconds() - cpu)
            _check_users(emulator, users)
            emulator.reset()
            meter = {}
            cpu = emulator.cpu_seconds()
            seconds, results = run_playbook(workdir, role_play, inventory, 'calibrated-role',
                                            meter=meter)
            times['role_servers_cpu'].append(emulator.cpu_seconds() - cpu)
            times['load'].append(os.getloadavg()[0])
            times['role'].append(seconds)
            times['role_cpu'].append(meter['cpu'])
            times['role_mb'].append(meter['peak_mb'])
            times['batch'].append(next(v for k, v in meter['tasks'].items()
                                       if k.endswith('every server of this batch at once')))
            _check_role(results, names, 'created', users)
            _check_users(emulator, users)
            meter = {}
            seconds, dummy = run_playbook(workdir, debug_play, inventory, 'calibrated-debug',
                                          meter=meter)
            times['debug'].append(seconds)
            times['debug_cpu'].append(meter['cpu'])
            times['debug_mb'].append(meter['peak_mb'])
        if curl:
            # The sequential loop pays every server's time in turn: one repetition is enough.
            emulator.reset()
            seconds, dummy = timed(_curl_loop, script, emulator.ca_path, pairs)
            times['curl'].append(seconds)
            _check_users(emulator, users)
    m = dict((k, median(v)) for k, v in times.items())
    label = '%d servers x %d users, %.3g s per row' % (servers, users, row_cost)
    table = [
        row('fleet', 'role first run, %s, vs all servers at once' % label, m['role'],
            m['limit'], 'physical limit (one raw POST per server, all at once)', 1.2),
        row('fleet', 'the batch task alone (fleet_import: plan, convert, import, report), %d '
            'servers, vs all servers at once' % servers, m['batch'], m['limit'],
            'physical limit', note='the role less Ansible\'s start and its two per-host tasks'),
        row('fleet', 'Ansible around the batch task (start, argument check and result per '
            'host), %d servers' % servers, m['role'] - m['batch'], m['debug'],
            'debug play, same hosts'),
        # What no batch task can go under: its servers' time (the limit) plus what Ansible
        # spends around it, which the role does not control (measured, not estimated).
        row('fleet', 'the best the role can reach, %d servers: the physical limit plus Ansible '
            'around the batch task' % servers, m['limit'] + m['role'] - m['batch'], m['limit'],
            'physical limit',
            note='a batch task as fast as all servers at once would still give this ratio'),
    ]
    if curl:
        table.append(row('fleet', 'role first run, %s, vs the curl loop' % label, m['role'],
                         m['curl'], 'sequential curl loop', 0.1))
    table += [
        row('fleet', 'controller CPU time (ansible-playbook and its workers), %d servers'
            % servers, m['role_cpu'], m['role'], 'the run\'s wall time',
            note='ratio: cores kept busy on average; the emulated servers, one process on the '
            'same cores, used %.1f s of CPU during the role, %.1f s during the physical limit; '
            'load average %.1f-%.1f' % (m['role_servers_cpu'], m['limit_servers_cpu'],
                                        min(times['load']), max(times['load']))),
        row('fleet', 'controller peak memory (PSS of ansible-playbook and its workers), %d '
            'servers' % servers, m['role_mb'], m['debug_mb'], 'debug play, same hosts',
            unit='MB'),
    ]
    return table, dict(servers=servers, users=users, row_cost=row_cost, times=times)


def run_overhead(workdir, hosts, users, repeat):
    """(b): what an extra host costs, the emulator answering at once."""
    workdir = os.path.join(workdir, 'overhead')
    os.makedirs(workdir)
    seed = os.path.join(workdir, 'seed.json')
    data.write_seed(seed)
    names = ['xivo-%03d' % i for i in range(hosts)]
    legacy_dir, dummy = _inputs(workdir, names, users)
    log('fleet overhead: %d hosts x %d users, instant emulator, %d repetition(s)'
        % (hosts, users, repeat))
    times = dict((k, []) for k in ('role', 'rerun', 'debug', 'unvalidated', 'role1', 'rerun1',
                                   'debug1', 'unvalidated1'))
    with Emulator(workdir, OVERHEAD_ADDRESS, fleet=hosts, seed=seed) as emulator:
        inventory = _inventory(workdir, 'overhead', names, emulator, legacy_dir)
        role_play, debug_play = _plays(workdir)
        unvalidated_play = _unvalidated_play(workdir)
        one = ['--limit', names[0]]
        for number in range(repeat):
            log('fleet overhead: repetition %d/%d' % (number + 1, repeat))
            emulator.reset()
            seconds, dummy = run_playbook(workdir, role_play, inventory, 'overhead-role1', one)
            times['role1'].append(seconds)
            seconds, dummy = run_playbook(workdir, role_play, inventory, 'overhead-rerun1', one)
            times['rerun1'].append(seconds)
            emulator.reset()
            seconds, results = run_playbook(workdir, role_play, inventory, 'overhead-role')
            times['role'].append(seconds)
            _check_role(results, names, 'created', users)
            seconds, results = run_playbook(workdir, role_play, inventory, 'overhead-rerun')
            times['rerun'].append(seconds)
            _check_role(results, names, 'unchanged', users)
            seconds, results = run_playbook(workdir, unvalidated_play, inventory,
                                            'overhead-unvalidated')
            times['unvalidated'].append(seconds)
            _check_role(results, names, 'unchanged', users)
            seconds, dummy = run_playbook(workdir, unvalidated_play, inventory,
                                          'overhead-unvalidated1', one)
            times['unvalidated1'].append(seconds)
            seconds, dummy = run_playbook(workdir, debug_play, inventory, 'overhead-debug')
            times['debug'].append(seconds)
            seconds, dummy = run_playbook(workdir, debug_play, inventory, 'overhead-debug1', one)
            times['debug1'].append(seconds)
    m = dict((k, median(v)) for k, v in times.items())
    extra = float(max(hosts - 1, 1))
    per_host = dict((k, (m[k] - m[k + '1']) / extra)
                    for k in ('role', 'rerun', 'debug', 'unvalidated'))
    note = '(T(%d hosts) - T(1 host)) / %d' % (hosts, hosts - 1)
    table = [
        row('fleet', 'role re-run, cost per extra host (%d hosts x %d users)' % (hosts, users),
            per_host['rerun'], per_host['debug'], 'debug play, per extra host', 5.0, note=note),
        row('fleet', 'role re-run, cost per extra host, rolespec_validate: false',
            per_host['unvalidated'], per_host['debug'], 'debug play, per extra host'),
        row('fleet', 'role first run, cost per extra host', per_host['role'], per_host['debug'],
            'debug play, per extra host'),
        row('fleet', 'role re-run, %d hosts, nothing to do' % hosts, m['rerun'], m['debug'],
            'debug play, %d hosts' % hosts),
    ]
    return table, dict(hosts=hosts, users=users, times=times, per_host=per_host)


def _check_users(emulator, users):
    for address in emulator.addresses:
        count = emulator.user_count(address)
        if count != users:
            raise RuntimeError('%s holds %d users, expected %d' % (address, count, users))


def _check_role(results, names, status, users):
    """Each host's own result (fleet_result) says every user is created / unchanged."""
    per_host = next((by_host for task, by_host in results.items()
                     if task.endswith('Give this server its result')), {})
    for name in names:
        result = per_host.get(name) or {}
        summary = result.get('summary') or {}
        if summary.get(status) != users or result.get('failed') or result.get('unreachable'):
            raise RuntimeError('%s: expected %d %s, got %r' % (
                name, users, status, result.get('msg', summary)))
        if status == 'unchanged' and result.get('changed'):
            raise RuntimeError('%s: the re-run changed something' % name)
