# -*- coding: utf-8 -*-
"""Seeded trials of the classes of issue #11 that are not server faults: two imports into one
server at once, an import interrupted at a random batch, hostile inventory host names, legacy
files mixing encodings. Each trial counts duplicates, lost users, wrong-person updates and
leaks, like the fault campaign (tests/reliability/campaign.py), which calls these."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading

from ansible_collections.xivo.confd.plugins.module_utils import import_run, remote_lock, reports
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
from tests.reliability import harness, person, rollback_trials

CLASSES = {
    'concurrent_runs': 'two imports of the same file into one server at the same time '
                       '(two playbooks, or two inventory names of one server)',
    'two_controllers': 'two imports of the same file into one server at the same time from two '
                       'controllers (each its own temporary directory: their local locks do not '
                       'see each other; only the lock kept on the server does)',
    'interrupted': 'the playbook interrupted (or gone) at a random batch, then a re-run',
    'hostile_names': 'inventory host names made to escape the report directory '
                     '(../, /, NUL, dots, unicode, 500 characters)',
    'mixed_encodings': 'legacy files mixing UTF-8 and cp1252 lines, converted',
    rollback_trials.NAME: rollback_trials.DESCRIPTION,
}


def _client(server, ca_path):
    return ConfdClient(server.address, port=server.port, auth_port=server.auth_port,
                       username=harness.WS_USER, password=harness.WS_PASSWORD, ca_path=ca_path,
                       timeout=30, backoff=0.01, sleep=lambda s: None)


def _write(data):
    fd, path = tempfile.mkstemp(suffix='.csv')
    with os.fdopen(fd, 'wb') as handle:
        handle.write(data)
    return path


def _record(name, seed):
    return dict(seed=seed, faults=[name], rows=0, problems=[], duplicates=0, lost=0, leaks=0,
                tokens_left=0, wrong_person_updates=0, requests=0)


def _finish(record, rows, server, results, secrets):
    final = server.users()
    dups = harness.duplicates_on(final)
    record['duplicates'] = len(dups)
    state = harness.final_state_problems(rows, final)
    record['problems'] += state
    record['lost'] = len([p for p in state if 'is on the server 0 times' in p])
    record['wrong_person_updates'] = len([p for p in state if 'wrong-person update' in p])
    record['leaks'] = len(harness.leaks(secrets, *results))
    if dups:
        record['problems'].append('duplicates: %s' % dups)


def concurrent_runs(seed, server, ca_path):
    """Both imports read the same export and would both create the same users; the lock lets
    one in at a time (the other refused, or waiting): never a user twice."""
    lock_dir = tempfile.mkdtemp(prefix='xivo-locks-')
    return _two_imports('concurrent_runs', 'c', seed, server, ca_path, [lock_dir] * 3,
                        'another import into', {})


def _lock_objects(server):
    with server.store.lock:
        return [p for p in server.store.call_permissions.rows.values()
                if p['name'] == remote_lock.LOCK_NAME]


def two_controllers(seed, server, ca_path, server_lock='required'):
    """Like concurrent_runs, but each import has its own local lock directory, as two AWX jobs
    in their containers have: the lock kept on the server lets one in at a time, never a user
    twice, and no lock object outlives the runs."""
    lock_dirs = [tempfile.mkdtemp(prefix='xivo-locks-') for controller in range(3)]
    return _two_imports('two_controllers', 't', seed, server, ca_path, lock_dirs,
                        'holds its lock on the server', dict(server_lock=server_lock))


def _two_imports(name, tag, seed, server, ca_path, lock_dirs, busy, options):
    """Two imports of one file into one server at once, each with its lock directory (the
    first two of ``lock_dirs``), then a re-run (the third): the refused one says ``busy``,
    no user is there twice and no lock object outlives the runs."""
    rng = harness.new_rng(seed)
    record = _record(name, seed)
    server.reset()
    server.speed.set(row_cost=0.002)
    rows = harness.random_users(rng, rng.randint(5, 25), tag='%s%d_' % (tag, seed))
    record['rows'] = len(rows)
    harness.preload(server, rows)
    path = _write(harness.csv_bytes(rows))
    results = [None, None]
    wait = rng.random() < 0.5
    batch_sizes = [rng.choice((1, 3, 100)), rng.choice((1, 3, 100))]

    def one(index):
        client = _client(server, ca_path)
        try:
            results[index] = import_run.ImportRun(
                client, path, dict(options, batch_size=batch_sizes[index],
                                   lock_dir=lock_dirs[index], lock_timeout=30 if wait else 0,
                                   fail_on_error=False)).run()
        finally:
            client.close()
    try:
        threads = [threading.Thread(target=one, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for result in results:
            if result.get('error') and busy not in result['error']:
                record['problems'].append('unexpected error: %s' % result['error'])
        if _lock_objects(server):
            record['problems'].append('a lock object outlived the runs')
        client = _client(server, ca_path)
        try:
            final = import_run.ImportRun(client, path, dict(options, lock_dir=lock_dirs[2])).run()
        finally:
            client.close()
        results.append(final)
        if _lock_objects(server):
            record['problems'].append('a lock object outlived the re-run')
        _finish(record, rows, server, results, harness.row_secrets(rows) | {harness.WS_PASSWORD})
    finally:
        server.speed.reset()
        os.remove(path)
        for lock_dir in set(lock_dirs):
            shutil.rmtree(lock_dir, ignore_errors=True)
    return record


def interrupted(seed, server, ca_path):
    """Stopped before a random batch: the report accounts for every row, the rows not sent say
    so, and a re-run finishes without a duplicate."""
    rng = harness.new_rng(seed)
    record = _record('interrupted', seed)
    server.reset()
    rows = harness.random_users(rng, rng.randint(5, 30), tag='i%d_' % seed)
    record['rows'] = len(rows)
    harness.preload(server, rows)
    path = _write(harness.csv_bytes(rows))
    stop_after = rng.randint(0, 4)
    calls = {'n': 0}

    def should_stop():
        calls['n'] += 1
        return 'the playbook was interrupted (SIGINT)' if calls['n'] > stop_after else None
    try:
        client = _client(server, ca_path)
        try:
            first = import_run.ImportRun(client, path, dict(batch_size=rng.choice((1, 2, 5)),
                                                            fail_on_error=False),
                                         should_stop=should_stop).run()
        finally:
            client.close()
        record['problems'] += ['first run: ' + p for p in
                               harness.accounting_problems(len(rows), first['users'])]
        lost = harness.lost_after_run(rows, first, server.users())
        client = _client(server, ca_path)
        try:
            second = import_run.ImportRun(client, path, {}).run()
        finally:
            client.close()
        _finish(record, rows, server, [first, second],
                harness.row_secrets(rows) | {harness.WS_PASSWORD})
        record['lost'] += len(lost)
    finally:
        os.remove(path)
    return record


HOSTILE = ('../', '..', '/', '\\', '\x00', '.', '~', 'é', '\u202e', ' ', ':', '*', 'a', 'B', '-')


def hostile_names(seed, server=None, ca_path=None):
    """Host names built to escape: every file name stays a file of its directory."""
    rng = random.Random(seed)
    record = _record('hostile_names', seed)
    base = tempfile.mkdtemp(prefix='xivo-names-')
    try:
        stems = {}
        for dummy in range(50):
            name = ''.join(rng.choice(HOSTILE) for dummy2 in range(rng.randint(1, 40)))
            if rng.random() < 0.05:
                name = name * 20
            stem = reports.safe_stem(name)
            try:
                path = reports.inside(base, stem + '.json')
            except ValueError as exc:
                record['problems'].append('%r: %s' % (name, exc))
                continue
            if os.path.dirname(path) != os.path.realpath(base) or '\x00' in stem:
                record['problems'].append('%r gives %r' % (name, path))
            if stems.setdefault(stem, name) != name:
                record['problems'].append('%r and %r share the file %s' % (name, stems[stem], stem))
            record['rows'] += 1
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return record


NAMES = ('Hélène', 'François', 'Zoé', 'Jérôme', 'Noël', 'Chloé', 'Loïc', 'Ségolène', 'Paul')


def mixed_encodings(seed, server=None, ca_path=None):
    """Some lines UTF-8, some cp1252: every name comes out as written, never as mojibake."""
    from ansible_collections.xivo.confd.plugins.module_utils import conversion
    import csv
    rng = random.Random(seed)
    record = _record('mixed_encodings', seed)
    names = [rng.choice(NAMES) for dummy in range(rng.randint(2, 20))]
    lines = [b'firstname|lastname|phonenumber|context|protocol\n']
    for number, name in enumerate(names):
        codec = rng.choice(('utf-8', 'cp1252'))
        lines.append(('%s|Test|%d|default|sip\n' % (name, 1000 + number)).encode(codec))
    src = _write(b''.join(lines))
    dest = src + '.confd.csv'
    try:
        result = conversion.convert_to_path(src, dest, encoding='auto')
        if result.get('failed'):
            record['problems'].append(result['msg'])
        else:
            with open(dest, encoding='utf-8') as handle:
                written = [row['firstname'] for row in csv.DictReader(handle)]
            if written != names:
                record['problems'].append('names %r, written %r' % (names, written))
        record['rows'] = len(names)
    finally:
        for path in (src, dest):
            if os.path.exists(path):
                os.remove(path)
    return record


CLASSES.update(person.CLASSES)
TRIALS = (concurrent_runs, two_controllers, interrupted, hostile_names, mixed_encodings) + person.TRIALS + (
    rollback_trials.rollback_reports,)
