# -*- coding: utf-8 -*-
"""Benchmark 2: one server, N users: user_import (ansible-playbook, one task, and the same code
in-process) vs one raw requests.post of the file plus one export GET; the re-run vs one GET.
The emulator runs in its own process and is reset before every first run."""

from __future__ import annotations

import os

import requests

from tests.benchmarks import data
from tests.benchmarks.common import (
    SINGLE_ADDRESS, Emulator, address, local_host_vars, log, median, row, run_playbook, timed,
    write_yaml)


def raw_post(url, token, ca_path, body):
    response = requests.post(url + '/1.1/users/import', data=body, verify=ca_path, timeout=3600,
                             headers={'X-Auth-Token': token, 'Accept': 'application/json',
                                      'Content-Type': 'text/csv; charset=utf-8'})
    if response.status_code != 201:
        raise RuntimeError('raw POST answered %s: %s' % (response.status_code,
                                                         response.text[:500]))
    return response


def raw_export(url, token, ca_path):
    response = requests.get(url + '/1.1/users/export', verify=ca_path, timeout=3600,
                            headers={'X-Auth-Token': token, 'Accept': 'application/json'})
    response.raise_for_status()
    return len(response.json()['content'])


def floor_first(url, token, ca_path, src):
    with open(src, 'rb') as handle:
        body = handle.read()
    raw_post(url, token, ca_path, body)
    return raw_export(url, token, ca_path)


def in_process(address, token, ca_path, src, batch_size):
    """What the user_import action plugin runs, without Ansible."""
    from ansible_collections.xivo.confd.plugins.module_utils.confd_rules import file_validator
    from ansible_collections.xivo.confd.plugins.module_utils import confd_csv, import_executor, import_plan
    from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
    from ansible_collections.xivo.confd.plugins.module_utils.secrets import secret_values
    client = ConfdClient(address, token=token, ca_path=ca_path)
    try:
        header, rows = confd_csv.read(src)
        secrets = secret_values([r.values for r in rows])
        _headers, users = client.export_users()
        outcomes = import_plan.plan(header, rows, users, validate=file_validator())
        import_executor.Importer(client, header, batch_size=batch_size,
                                 secrets=secrets | client.secrets).run(outcomes)
        return import_plan.summarize(outcomes)
    finally:
        client.close()


def _check(summary, status, count, what):
    if summary.get(status) != count or summary.get('failed'):
        raise RuntimeError('%s: expected %d %s, got %r' % (what, count, status, summary))


def reset(emulator, address):
    """A fresh server (the reset also forgets the tokens) and a new token (not timed)."""
    emulator.reset()
    return emulator.token(address)


def run(workdir, users, repeat, large_batch):
    seed = os.path.join(workdir, 'seed.json')
    data.write_seed(seed)
    legacy = os.path.join(workdir, 'legacy-import.csv')
    data.write_legacy(legacy, users, first_exten=10000, incall_offset=30000)
    src = os.path.join(workdir, 'users-import.csv')
    data.write_confd(legacy, src)
    log('one server: %d users, %d repetition(s)' % (users, repeat))

    times = dict((k, []) for k in (
        'floor', 'get', 'play', 'play_rerun', 'play_large', 'inproc', 'inproc_large',
        'inproc_rerun', 'startup'))
    with Emulator(workdir, SINGLE_ADDRESS, seed=seed) as emulator:
        address = emulator.addresses[0]
        url = 'https://%s:9486' % address
        ca_path = emulator.ca_path
        token = None
        inventory = write_yaml(os.path.join(workdir, 'import-inventory.yml'), {
            'all': {'hosts': {'xivo': dict(local_host_vars(), ansible_host=address)}}})

        def playbook(name, batch_size):
            return write_yaml(os.path.join(workdir, '%s.yml' % name), [{
                'name': name, 'hosts': 'all', 'gather_facts': False, 'tasks': [{
                    'name': 'import', 'xivo.confd.user_import': {
                        'host': '{{ ansible_host }}', 'token': '{{ bench_token }}', 'ca_path': ca_path,
                        'src': src, 'batch_size': batch_size}}]}])
        play = playbook('import-play', 100)
        play_large = playbook('import-play-large', large_batch)
        startup = write_yaml(os.path.join(workdir, 'startup.yml'), [{
            'name': 'startup', 'hosts': 'all', 'gather_facts': False,
            'tasks': [{'name': 'debug', 'ansible.builtin.debug': {'msg': 'hello'}}]}])

        def timed_play(key, playbook, name, token, status, what):
            seconds, results = run_playbook(workdir, playbook, inventory, name,
                                            ['-e', 'bench_token=' + token])
            times[key].append(seconds)
            _check(results['import']['xivo']['summary'], status, users, what)

        for number in range(repeat):
            log('one server: repetition %d/%d' % (number + 1, repeat))
            token = reset(emulator, address)
            seconds, count = timed(floor_first, url, token, ca_path, src)
            times['floor'].append(seconds)
            if count != users:
                raise RuntimeError('raw POST left %d users of %d' % (count, users))
            seconds, dummy = timed(raw_export, url, token, ca_path)
            times['get'].append(seconds)

            token = reset(emulator, address)
            timed_play('play', play, 'import-play', token, 'created', 'first run')
            timed_play('play_rerun', play, 'import-rerun', token, 'unchanged', 're-run')
            seconds, dummy = timed(in_process, address, token, ca_path, src, 100)
            times['inproc_rerun'].append(seconds)

            token = reset(emulator, address)
            timed_play('play_large', play_large, 'import-play-large', token, 'created',
                       'large batch')

            token = reset(emulator, address)
            seconds, summary = timed(in_process, address, token, ca_path, src, 100)
            times['inproc'].append(seconds)
            _check(summary, 'created', users, 'in-process')
            token = reset(emulator, address)
            seconds, summary = timed(in_process, address, token, ca_path, src, large_batch)
            times['inproc_large'].append(seconds)
            _check(summary, 'created', users, 'in-process, large batch')

            seconds, dummy = run_playbook(workdir, startup, inventory, 'startup')
            times['startup'].append(seconds)

    m = dict((k, median(v)) for k, v in times.items())
    label = '%s users' % format(users, ',')
    floor_name = 'raw POST + export GET'
    table = [
        row('one server', 'user_import first run, %s (ansible-playbook, batch 100)' % label,
            m['play'], m['floor'], floor_name, 1.3),
        row('one server', 'user_import first run (ansible-playbook, batch %d)' % large_batch,
            m['play_large'], m['floor'], floor_name),
        row('one server', 'Importer in-process first run, batch 100', m['inproc'], m['floor'],
            floor_name),
        row('one server', 'Importer in-process first run, batch %d' % large_batch,
            m['inproc_large'], m['floor'], floor_name),
        row('one server', 'user_import re-run, nothing to do (ansible-playbook)',
            m['play_rerun'], m['get'], 'export GET', 1.5),
        row('one server', 'Importer in-process re-run', m['inproc_rerun'], m['get'],
            'export GET'),
        row('one server', 'ansible-playbook fixed cost (one debug task, one host)',
            m['startup'], m['floor'], floor_name),
    ]
    return table, dict(users=users, large_batch=large_batch, times=times)


CALIBRATED_ADDRESS = address(3)


def run_calibrated(workdir, users, speed, repeat):
    """One server at the calibrated speed (docs/server-behaviour.md#request-cost: ~0.2 s per row on a real confd 16.15,
    scaled by ``speed``): user_import through ansible-playbook vs one raw POST of the file.
    The module sizes its batches by time and reads the server (export, preflight) besides."""
    workdir = os.path.join(workdir, 'calibrated')
    os.makedirs(workdir)
    seed = os.path.join(workdir, 'seed.json')
    data.write_seed(seed)
    legacy = os.path.join(workdir, 'legacy-import.csv')
    data.write_legacy(legacy, users, first_exten=10000, incall_offset=30000)
    src = os.path.join(workdir, 'users-import.csv')
    data.write_confd(legacy, src)
    row_cost = 0.2 / speed
    log('one server, calibrated speed: %d users, %.4f s per row, %d repetition(s)'
        % (users, row_cost, repeat))
    times = dict(floor=[], play=[])
    with Emulator(workdir, CALIBRATED_ADDRESS, seed=seed, row_cost=row_cost) as emulator:
        address = emulator.addresses[0]
        url = 'https://%s:9486' % address
        inventory = write_yaml(os.path.join(workdir, 'inventory.yml'), {
            'all': {'hosts': {'xivo': dict(local_host_vars(), ansible_host=address)}}})
        play = write_yaml(os.path.join(workdir, 'play.yml'), [{
            'name': 'calibrated', 'hosts': 'all', 'gather_facts': False, 'tasks': [{
                'name': 'import', 'xivo.confd.user_import': {
                    'host': '{{ ansible_host }}', 'token': '{{ bench_token }}',
                    'ca_path': emulator.ca_path, 'src': src}}]}])
        for number in range(repeat):
            log('one server, calibrated: repetition %d/%d' % (number + 1, repeat))
            token = reset(emulator, address)
            with open(src, 'rb') as handle:
                body = handle.read()
            seconds, dummy = timed(raw_post, url, token, emulator.ca_path, body)
            times['floor'].append(seconds)
            token = reset(emulator, address)
            seconds, results = run_playbook(workdir, play, inventory, 'calibrated-play',
                                            ['-e', 'bench_token=' + token])
            times['play'].append(seconds)
            _check(results['import']['xivo']['summary'], 'created', users, 'calibrated')
    m = dict((k, median(v)) for k, v in times.items())
    return [row('one server', 'user_import first run, %s users at the real speed / %g '
                '(ansible-playbook, default batches)' % (format(users, ','), speed),
                m['play'], m['floor'], 'one raw POST of the file', 1.05)], \
        dict(users=users, row_cost=row_cost, times=times)
