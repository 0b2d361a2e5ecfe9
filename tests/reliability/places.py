# -*- coding: utf-8 -*-
"""Seeded trials of issue 20's "files, directories and shared places": a hazard planted where
the role writes (a symbolic link at a file or at a directory the collection makes, a hard link,
a lock directory made by someone else, a planted conversion, backups named as if from the
future, a report directory that is a file, a host named like a fleet file), then the
collection's own writer, lock, cache or pruning. Each trial counts what was lost: an unrelated
file changed (content or mode), anything written outside the configured directories, the
current run's backup deleted, a planted conversion used, an error that does not name the path.
No server is involved (the real confd 16.15 never was).

    python -m tests.reliability.places --trials 500
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import stat
import tempfile

from ansible_collections.xivo.confd.plugins.module_utils import (
    conversion, file_output, fleet, fleet_backups, output_directory, server_lock)

HAZARDS = ('link_at_file', 'link_at_directory', 'hard_link_at_file', 'lock_directory',
           'lock_file_link', 'planted_conversion', 'future_backups', 'report_dir_is_a_file',
           'host_named_like_a_fleet_file')
LEGACY = 'firstname|lastname|phonenumber|context|protocol\nJean|Dupont|1001|default|sip\n'
INTRUDER = 'firstname,lastname,line_protocol,context,exten\nMallory,Evil,sip,default,6666\n'
SECRET = b'firstname,password\nJean,s3cret\n'
FILES = ('hosts/xivo.json', 'hosts/xivo-failed.csv', 'fleet.json', 'fleet.md',
         'runs/RUN/hosts/xivo.json', 'runs/RUN/fleet.json')
DIRECTORIES = ('runs', 'runs/RUN', 'runs/RUN/hosts', 'hosts')


class Lost(Exception):
    """What a trial lost."""


def _tree(rng):
    root = tempfile.mkdtemp(prefix='xivo-places-')
    victim = os.path.join(root, 'victim.txt')
    with open(victim, 'wb') as handle:
        handle.write(b'precious\n')
    os.chmod(victim, 0o644)
    elsewhere = os.path.join(root, 'elsewhere')
    os.mkdir(elsewhere)
    reports = os.path.join(root, 'reports')
    os.mkdir(reports, 0o700)
    return root, victim, elsewhere, reports


def _check_untouched(victim, elsewhere):
    with open(victim, 'rb') as handle:
        if handle.read() != b'precious\n':
            raise Lost('an unrelated file was written')
    if stat.S_IMODE(os.stat(victim).st_mode) != 0o644:
        raise Lost('an unrelated file was chmod\'ed')
    if os.listdir(elsewhere):
        raise Lost('written outside the configured directories: %s' % os.listdir(elsewhere))


def _expect_refused(call, path):
    try:
        call()
    except OSError as exc:
        if path not in str(exc):
            raise Lost('the error does not name %s: %s' % (path, exc))
        return
    raise Lost('%s was written through' % path)


def trial(hazard, rng, root, victim, elsewhere, reports):
    if hazard == 'link_at_file':
        name = rng.choice(FILES)
        path = os.path.join(reports, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(rng.choice((victim, os.path.join(elsewhere, 'new'))), path)
        _expect_refused(lambda: file_output.write_private_file(path, SECRET, base=reports), path)
    elif hazard == 'link_at_directory':
        planted = os.path.join(reports, rng.choice(DIRECTORIES))
        os.makedirs(os.path.dirname(planted), exist_ok=True)
        os.symlink(elsewhere, planted)
        path = os.path.join(planted, 'xivo.json') if rng.random() < 0.5 else os.path.join(
            reports, 'runs', 'RUN', 'hosts', 'xivo.json')
        if not path.startswith(planted + os.sep):
            path = os.path.join(planted, 'hosts', 'xivo.json')
        _expect_refused(lambda: file_output.write_private_file(path, SECRET, base=reports),
                        planted)
    elif hazard == 'hard_link_at_file':
        path = os.path.join(reports, 'xivo.json')
        with open(victim, 'rb') as handle:
            same = handle.read() if rng.random() < 0.5 else SECRET
        os.link(victim, path)
        file_output.write_private_file(path, same, base=reports)
        if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            raise Lost('the file written is not 0600')
    elif hazard == 'lock_directory':
        locks = os.path.join(root, 'locks')
        kind = rng.choice(('link', 'shared', 'file'))
        if kind == 'link':
            os.symlink(elsewhere, locks)
        elif kind == 'shared':
            os.mkdir(locks)
            os.chmod(locks, 0o777)
        else:
            with open(locks, 'w') as handle:
                handle.write('x')
        _expect_refused(lambda: server_lock.ServerLock('127.0.0.1', 9486,
                                                       lock_dir=locks).acquire(), locks)
    elif hazard == 'lock_file_link':
        locks = os.path.join(root, 'locks')
        os.mkdir(locks, 0o700)
        lock = server_lock.ServerLock('127.0.0.1', rng.randint(1, 65535), lock_dir=locks)
        os.symlink(victim, lock.path)
        _expect_refused(lock.acquire, lock.path)
    elif hazard == 'planted_conversion':
        src = os.path.join(root, 'paris.csv')
        with open(src, 'w') as handle:
            handle.write(LEGACY)
        work = os.path.join(root, 'work')
        options = rng.choice(({}, {'encoding': 'auto'}, {'invalid_rows': 'skip'}))
        key = conversion.cache_key(src, options)
        dest = os.path.join(work, 'paris-%s.csv' % key[:16])
        os.mkdir(work, 0o700)
        with open(dest, 'w') as handle:
            handle.write(INTRUDER)
        record = dict(src=src, dest=dest, key=key, digest=file_output.file_digest(dest),
                      rows=1, data_rows=1, columns=[], invalid_rows=[], invalid_count=0,
                      source_digest=file_output.file_digest(src), converter='2',
                      options_digest=conversion.options_digest(options),
                      seal=rng.choice(('', '0' * 64, 'f' * 64)))
        with open(dest + '.json', 'w') as handle:
            json.dump(record, handle)
        outcome = conversion.cached(src, work, options)
        with open(dest) as handle:
            if outcome.get('cached') or 'Mallory' in handle.read():
                raise Lost('a planted conversion was used')
        if not outcome.get('cache_warnings'):
            raise Lost('no warning for a planted conversion')
    elif hazard == 'future_backups':
        backups = os.path.join(root, 'backups')
        os.mkdir(backups, 0o700)
        planted = []
        for number in range(rng.randint(1, 5)):
            name = 'xivo-%d%03d1231T235959.000Z-%06x.csv' % (
                rng.randint(2100, 9999), number, rng.getrandbits(24))
            planted.append(os.path.join(backups, name))
            with open(planted[-1], 'w') as handle:
                handle.write('planted')
        current = None
        for run in range(rng.randint(1, 4)):
            current = os.path.join(backups, 'xivo-2026120%dT000000.000Z-abcdef.csv' % run)
            with open(current, 'w') as handle:
                handle.write('state before run %d' % run)
            fleet_backups.record_backup(current, 'xivo', 'run%d' % run)
            fleet_backups.prune_backups(backups, 'xivo', rng.randint(1, 3), current=current)
        if not os.path.exists(current):
            raise Lost('the current run\'s backup was deleted')
        if not all(os.path.exists(p) for p in planted):
            raise Lost('a file the collection did not write was deleted')
    elif hazard == 'report_dir_is_a_file':
        path = os.path.join(root, 'reports-file')
        with open(path, 'w') as handle:
            handle.write('x')
        error, dummy = output_directory.check_output_directory(path, check_mode=rng.random() < 0.5)
        if not error or path not in error:
            raise Lost('a report directory that is a file was not refused by name')
    elif hazard == 'host_named_like_a_fleet_file':
        host = rng.choice(('fleet', 'fleet.md', 'fleet.json', 'runs', 'hosts', '.fleet'))
        fleet_files = set(os.path.join(reports, n) for n in ('fleet.json', 'fleet.md'))
        for suffix in ('.json', '-failed.csv', '.outcome.json'):
            if fleet.host_file(reports, host, suffix) in fleet_files:
                raise Lost('host %r writes a fleet file' % host)
    _check_untouched(victim, elsewhere)


def run(trials, seed=1):
    table = dict((hazard, dict(trials=0, lost=0, problems=[])) for hazard in HAZARDS)
    rng = random.Random(seed)
    home = tempfile.mkdtemp(prefix='xivo-places-home-')
    old_home = os.environ.get('HOME')
    os.environ['HOME'] = home       # the key that seals the cache: a home of the trials' own
    try:
        for number in range(trials):
            hazard = HAZARDS[number % len(HAZARDS)]
            root, victim, elsewhere, reports = _tree(rng)
            try:
                trial(hazard, rng, root, victim, elsewhere, reports)
            except Lost as exc:
                table[hazard]['lost'] += 1
                table[hazard]['problems'].append(str(exc))
            finally:
                shutil.rmtree(root, ignore_errors=True)
            table[hazard]['trials'] += 1
    finally:
        if old_home is None:
            os.environ.pop('HOME', None)
        else:
            os.environ['HOME'] = old_home
        shutil.rmtree(home, ignore_errors=True)
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--trials', type=int, default=450)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    table = run(args.trials, args.seed)
    for hazard, row in table.items():
        print('%-30s %5d trials %3d lost %s' % (
            hazard, row['trials'], row['lost'], '; '.join(row['problems'][:3])))
    print('total %d trials, %d lost' % (sum(r['trials'] for r in table.values()),
                                        sum(r['lost'] for r in table.values())))


if __name__ == '__main__':
    main()
