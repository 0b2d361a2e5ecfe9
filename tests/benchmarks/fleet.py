# -*- coding: utf-8 -*-
"""Benchmark 3: a fleet of emulated servers, each with its own legacy file, through the role
xivo.confd.user_migration (default forks, conversion included), vs (a) the documented method,
a sequential bash loop of curl (a token, then one POST of the converted file, per server) and
(b) a play with a single ansible.builtin.debug task over the same inventory."""

from __future__ import annotations

import os
import subprocess

from tests.benchmarks import data
from tests.benchmarks.common import (
    FLEET_ADDRESS, WS_PASSWORD, WS_USER, Emulator, local_host_vars, log, median, row,
    run_playbook, timed, write_yaml)

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


def run(workdir, servers, users, repeat):
    seed = os.path.join(workdir, 'seed.json')
    data.write_seed(seed)
    legacy_dir = os.path.join(workdir, 'legacy')
    confd_dir = os.path.join(workdir, 'confd')
    os.makedirs(legacy_dir, exist_ok=True)
    os.makedirs(confd_dir, exist_ok=True)
    names = ['xivo-%02d' % i for i in range(servers)]
    for i, name in enumerate(names):
        legacy = os.path.join(legacy_dir, name + '.csv')
        data.write_legacy(legacy, users, first_exten=1000, incall_offset=1000,
                          prefix='s%02du' % i, seed=i)
        # The curl method posts files already in the confd format (converted beforehand).
        data.write_confd(legacy, os.path.join(confd_dir, name + '.csv'))
    script = os.path.join(workdir, 'curl-loop.sh')
    with open(script, 'w') as handle:
        handle.write(CURL_LOOP)
    log('fleet: %d servers x %d users, %d repetition(s)' % (servers, users, repeat))

    times = dict((k, []) for k in ('curl', 'role', 'rerun', 'debug', 'role1', 'rerun1',
                                   'debug1'))
    with Emulator(workdir, FLEET_ADDRESS, fleet=servers, seed=seed) as emulator:
        hosts = dict((name, {'ansible_host': address})
                     for name, address in zip(names, emulator.addresses))
        group_vars = dict(local_host_vars())
        group_vars.update({
            'xivo_user_migration_legacy_csv': legacy_dir + '/{{ inventory_hostname }}.csv',
            'xivo_user_migration_username': WS_USER,
            'xivo_user_migration_password': WS_PASSWORD,
            'xivo_user_migration_ca_path': emulator.ca_path,
            'xivo_user_migration_work_dir': os.path.join(workdir, 'work'),
            'xivo_user_migration_report_dir': os.path.join(workdir, 'reports'),
        })
        inventory = write_yaml(os.path.join(workdir, 'fleet-inventory.yml'),
                               {'xivo': {'hosts': hosts, 'vars': group_vars}})
        role_play = write_yaml(os.path.join(workdir, 'fleet-role.yml'), [{
            'name': 'Migrate the legacy users into every XiVO server', 'hosts': 'xivo',
            'gather_facts': False, 'roles': [{'role': 'xivo.confd.user_migration'}]}])
        debug_play = write_yaml(os.path.join(workdir, 'fleet-debug.yml'), [{
            'name': 'floor', 'hosts': 'xivo', 'gather_facts': False,
            'tasks': [{'name': 'debug', 'ansible.builtin.debug': {'msg': 'hello'}}]}])
        pairs = [(address, os.path.join(confd_dir, name + '.csv'))
                 for name, address in zip(names, emulator.addresses)]
        one = ['--limit', names[0]]

        for number in range(repeat):
            log('fleet: repetition %d/%d' % (number + 1, repeat))
            emulator.reset()
            seconds, dummy = timed(_curl_loop, script, emulator.ca_path, pairs)
            times['curl'].append(seconds)
            _check_users(emulator, users)

            emulator.reset()
            seconds, dummy = run_playbook(workdir, role_play, inventory, 'fleet-role1', one)
            times['role1'].append(seconds)
            seconds, dummy = run_playbook(workdir, role_play, inventory, 'fleet-rerun1', one)
            times['rerun1'].append(seconds)

            emulator.reset()
            seconds, results = run_playbook(workdir, role_play, inventory, 'fleet-role')
            times['role'].append(seconds)
            _check_role(results, names, 'created', users)
            _check_users(emulator, users)
            seconds, results = run_playbook(workdir, role_play, inventory, 'fleet-rerun')
            times['rerun'].append(seconds)
            _check_role(results, names, 'unchanged', users)

            seconds, dummy = run_playbook(workdir, debug_play, inventory, 'fleet-debug')
            times['debug'].append(seconds)
            seconds, dummy = run_playbook(workdir, debug_play, inventory, 'fleet-debug1', one)
            times['debug1'].append(seconds)

    m = dict((k, median(v)) for k, v in times.items())
    extra = float(max(servers - 1, 1))
    per_host = dict((k, (m[k] - m[k + '1']) / extra) for k in ('role', 'rerun', 'debug'))
    label = '%d servers x %d users' % (servers, users)
    table = [
        row('fleet', 'role first run, %s (conversion included)' % label, m['role'], m['curl'],
            'sequential curl loop', 1.5),
        row('fleet', 'role re-run, nothing to do', m['rerun'], m['curl'],
            'sequential curl loop', 1.0),
        row('fleet', 'role first run, cost per extra host', per_host['role'], per_host['debug'],
            'debug play, per extra host', 3.0,
            note='(T(%d hosts) - T(1 host)) / %d' % (servers, servers - 1)),
        row('fleet', 'role re-run, cost per extra host', per_host['rerun'], per_host['debug'],
            'debug play, per extra host', 3.0),
        row('fleet', 'debug play (one task), whole fleet', m['debug'], m['curl'],
            'sequential curl loop'),
    ]
    return table, dict(servers=servers, users=users, times=times, per_host=per_host)


def _check_users(emulator, users):
    for address in emulator.addresses:
        count = emulator.user_count(address)
        if count != users:
            raise RuntimeError('%s holds %d users, expected %d' % (address, count, users))


def _check_role(results, names, status, users):
    imports = next((by_host for task, by_host in results.items()
                    if task.endswith('Import the users into the server')), {})
    for name in names:
        result = imports.get(name) or {}
        summary = result.get('summary') or {}
        if summary.get(status) != users or result.get('failed'):
            raise RuntimeError('%s: expected %d %s, got %r' % (
                name, users, status, result.get('msg', summary)))
        if status == 'unchanged' and result.get('changed'):
            raise RuntimeError('%s: the re-run changed something' % name)
