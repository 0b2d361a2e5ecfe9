# -*- coding: utf-8 -*-
"""Benchmark 5: Wazo Platform 26.08 servers (the emulator's Wazo profile, in its own process)
at the calibrated speed: wazo-confd 26.08 spent about 0.1 s of server CPU per imported row
(docs/server-behaviour.md, the Wazo cost runs), divided by SPEED (1 in the full size: the real
server's pace, where the emulator's own CPU per row, which grows with the users of the tenant,
stays small beside it); the reads at the same scale (read_scale: the CPU 26.08 spent per item
listed).

(a) A fleet: the role xivo.confd.user_migration (platform wazo, a tenant per server given by
    name, the legacy contexts found by label) against the physical limit: one raw POST per
    server of its rows already adapted (the tenant's context names), every server at once.
(b) One server: the same role on one Wazo server against one raw POST of the same rows.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json
import os
import subprocess
import sys

import requests

from tests.benchmarks import data
from tests.benchmarks.common import (
    REPO, EmulatorProcess, address, local_host_vars, log, median, row, run_playbook, timed, write_yaml)

REAL_ROW_COST = 0.1         # wazo-confd 26.08, measured: CPU seconds per imported row
FLEET_ADDRESS = address(60, block=2)
SINGLE_ADDRESS = address(90, block=2)
PORT = 8443                 # nginx's 443 on a real Wazo; no privilege needed here
TENANT = 'bench'
USER, PASSWORD = 'xivo-migration', 'Bench-Migration-9'
CONTEXT_COLUMNS = ('context', 'voicemail_context', 'incall_context')
# Wide enough for the largest file (extensions from 10,000, incalls from 40,000).
CONTEXTS = [
    {'label': 'default', 'type': 'internal', 'description': 'internal',
     'user_ranges': [{'start': '1000', 'end': '1999'}, {'start': '10000', 'end': '39999'}]},
    {'label': 'from-extern', 'type': 'incall', 'description': 'incall',
     'incall_ranges': [{'start': '2000', 'end': '2999', 'did_length': 4},
                       {'start': '40000', 'end': '79999', 'did_length': 5}]},
    {'label': 'to-extern', 'type': 'outcall', 'description': 'outcall'},
]
SEED = {'tenants': [{'name': TENANT, 'contexts': CONTEXTS}],
        'auth_users': [{'username': 'root', 'password': 'secret', 'tenant': 'master',
                        'acls': ['#']},
                       {'username': USER, 'password': PASSWORD, 'tenant': 'master',
                        'acls': ['confd.#', 'auth.#']}]}


class WazoEmulator(EmulatorProcess):
    """``python -m tests.emulator --profile wazo-26.08`` in its own process: ``count`` servers
    on consecutive addresses, one HTTPS port each (the layout of Wazo 20.07 and later)."""

    def __init__(self, workdir, address, count, row_cost, read_scale):
        self.ca_path = os.path.join(workdir, 'wazo-ca-%s.pem' % address)
        seed = os.path.join(workdir, 'wazo-seed.json')
        with open(seed, 'w') as handle:
            json.dump(SEED, handle)
        command = [sys.executable, '-m', 'tests.emulator', '--profile', 'wazo-26.08',
                   '--address', address, '--port', str(PORT), '--fleet', str(count),
                   '--wazo-seed', seed, '--ca-out', self.ca_path, '--row-cost', str(row_cost),
                   '--read-scale', str(read_scale)]
        self._log = open(os.path.join(workdir, 'wazo-emulator-%s.log' % address), 'w')
        self.proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True)
        self.addresses = []
        while len(self.addresses) < count:
            line = self.proc.stdout.readline()
            if not line:
                self.stop()
                raise RuntimeError('the Wazo emulator stopped: see %s' % self._log.name)
            if line.startswith('listening https://'):
                self.addresses.append(line.split('//')[1].split(':')[0])
        self.session = requests.Session()

    def url(self, address, path):
        return 'https://%s:%d%s' % (address, PORT, path)

    def token(self, address, user=USER, password=PASSWORD):
        answer = self.session.post(self.url(address, '/api/auth/0.1/token'), auth=(user, password),
                                   json={'expiration': 36000}, verify=self.ca_path, timeout=600)
        answer.raise_for_status()
        return answer.json()['data']['token']

    def tenant(self, address, token):
        answer = self.session.get(self.url(address, '/api/auth/0.1/tenants'),
                                  headers={'X-Auth-Token': token}, params={'name': TENANT},
                                  verify=self.ca_path, timeout=60)
        answer.raise_for_status()
        return answer.json()['items'][0]['uuid']

    def contexts(self, address):
        """label -> the tenant's generated context name."""
        token = self.token(address)
        answer = self.session.get(self.url(address, '/api/confd/1.1/contexts'), verify=self.ca_path,
                                  headers={'X-Auth-Token': token,
                                           'Wazo-Tenant': self.tenant(address, token)},
                                  timeout=60)
        answer.raise_for_status()
        return dict((c['label'], c['name']) for c in answer.json()['items'])

    def reset(self):
        for address in self.addresses:
            self.session.post(self.url(address, '/_emulator/reset'), verify=self.ca_path,
                              timeout=60).raise_for_status()

    def user_count(self, address):
        answer = self.session.get(self.url(address, '/_emulator/state'), verify=self.ca_path,
                                  timeout=60)
        answer.raise_for_status()
        return answer.json()['counts']['users']


def adapted_file(confd_path, contexts, path):
    """The confd 16.x file with the tenant's context names, as a raw POST to Wazo needs it
    (the columns Wazo ignores are left: it ignores them)."""
    with open(confd_path, encoding='utf-8', newline='') as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    at = [header.index(c) for c in CONTEXT_COLUMNS if c in header]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(header)
    for cells in rows[1:]:
        for i in at:
            cells[i] = contexts.get(cells[i], cells[i])
        writer.writerow(cells)
    with open(path, 'w', encoding='utf-8', newline='') as handle:
        handle.write(out.getvalue())
    return path


def _raw_post(emulator, address, path):
    token = emulator.token(address)
    tenant = emulator.tenant(address, token)
    with open(path, 'rb') as handle:
        body = handle.read()
    answer = emulator.session.post(emulator.url(address, '/api/confd/1.1/users/import'),
                                   data=body, verify=emulator.ca_path, timeout=3600,
                                   headers={'X-Auth-Token': token, 'Wazo-Tenant': tenant,
                                            'Content-Type': 'text/csv; charset=utf-8'})
    if answer.status_code != 201:
        raise RuntimeError('%s answered %s: %s' % (address, answer.status_code, answer.text[:300]))


def _physical_limit(emulator, pairs):
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        for future in [pool.submit(_raw_post, emulator, address, path) for address, path in pairs]:
            future.result()


def _check(emulator, users, results=None, names=()):
    for address in emulator.addresses:
        count = emulator.user_count(address)
        if count != users:
            raise RuntimeError('%s holds %d users, expected %d' % (address, count, users))
    per_host = next((by_host for task, by_host in (results or {}).items()
                     if task.endswith('Give this server its result')), {})
    for name in names:
        summary = (per_host.get(name) or {}).get('summary') or {}
        if summary.get('created') != users:
            raise RuntimeError('%s: expected %d created, got %r' % (name, users, per_host.get(name)))


def run(workdir, servers, users, speed, repeat, name='fleet', address=FLEET_ADDRESS):
    """The role on ``servers`` Wazo servers of ``users`` each vs one raw POST per server, all
    at once (one server: vs its one raw POST)."""
    workdir = os.path.join(workdir, 'wazo-%s-%d' % (name, servers))
    os.makedirs(workdir)
    names = ['wazo-%03d' % i for i in range(servers)]
    legacy_dir, confd_dir = os.path.join(workdir, 'legacy'), os.path.join(workdir, 'confd')
    os.makedirs(legacy_dir)
    os.makedirs(confd_dir)
    for i, host in enumerate(names):
        legacy = os.path.join(legacy_dir, host + '.csv')
        data.write_legacy(legacy, users, first_exten=10000, incall_offset=30000,
                          prefix='w%03du' % i, seed=i)
        data.write_confd(legacy, os.path.join(confd_dir, host + '.csv'))
    row_cost = REAL_ROW_COST / speed
    log('wazo %s: %d server(s) x %d users, %.4f s per row (%gx the real 26.08), %d '
        'repetition(s)' % (name, servers, users, row_cost, speed, repeat))
    times = dict(limit=[], role=[], batch=[])
    with WazoEmulator(workdir, address, servers, row_cost, 1.0 / speed) as emulator:
        group_vars = dict(local_host_vars())
        group_vars.update({
            'xivo_user_migration_legacy_csv': legacy_dir + '/{{ inventory_hostname }}.csv',
            'xivo_user_migration_platform': 'wazo',
            'xivo_user_migration_api_port': PORT,
            'xivo_user_migration_tenant': TENANT,
            'xivo_user_migration_username': USER,
            'xivo_user_migration_password': PASSWORD,
            'xivo_user_migration_ca_path': emulator.ca_path,
            'xivo_user_migration_work_dir': os.path.join(workdir, 'work'),
            'xivo_user_migration_report_dir': os.path.join(workdir, 'reports'),
        })
        inventory = write_yaml(os.path.join(workdir, 'inventory.yml'), {'wazo': {
            'hosts': dict((host, {'ansible_host': server})
                          for host, server in zip(names, emulator.addresses)),
            'vars': group_vars}})
        play = write_yaml(os.path.join(workdir, 'role.yml'), [{
            'name': 'Migrate the legacy users into every Wazo server', 'hosts': 'wazo',
            'gather_facts': False, 'roles': [{'role': 'xivo.confd.user_migration'}]}])
        for number in range(repeat):
            log('wazo %s: repetition %d/%d' % (name, number + 1, repeat))
            emulator.reset()
            # A reset seeds the tenant again: its contexts get new generated names.
            pairs = [(server, adapted_file(os.path.join(confd_dir, host + '.csv'),
                                           emulator.contexts(server),
                                           os.path.join(confd_dir, host + '-wazo.csv')))
                     for host, server in zip(names, emulator.addresses)]
            seconds, dummy = timed(_physical_limit, emulator, pairs)
            times['limit'].append(seconds)
            _check(emulator, users)
            emulator.reset()
            meter = {}
            seconds, results = run_playbook(workdir, play, inventory, 'wazo-role-%s' % name,
                                            meter=meter)
            times['role'].append(seconds)
            times['batch'].append(next(v for k, v in meter['tasks'].items()
                                       if k.endswith('every server of this batch at once')))
            _check(emulator, users, results, names)
    m = dict((k, median(v)) for k, v in times.items())
    label = '%d users, %.3g s per row (real 26.08 / %g)' % (users, row_cost, speed)
    if servers == 1:
        table = [row('wazo', 'role first run, one Wazo server, %s' % label, m['role'],
                     m['limit'], 'one raw POST of the same rows', 1.05)]
    else:
        table = [row('wazo', 'role first run, %d Wazo servers x %s, vs all servers at once'
                     % (servers, label), m['role'], m['limit'],
                     'physical limit (one raw POST per server, all at once)', 1.2)]
    table.append(row('wazo', 'the batch task alone (fleet_import), %d Wazo server(s)' % servers,
                     m['batch'], m['limit'], 'the same floor',
                     note='the role less Ansible\'s start and its per-host tasks'))
    return table, dict(servers=servers, users=users, row_cost=row_cost, times=times)
