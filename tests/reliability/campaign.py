# -*- coding: utf-8 -*-
"""Randomized, seeded fault campaign against emulated confd servers, in-process.

Each run: random users (good rows, rows already on the server, rows to update, and bad rows the
planner or the server refuses), a random batch size, a random fault schedule (one or two faults
from FAULTS), one import; then the faults are lifted and a clean re-run must finish the job.
Every run checks the invariants of ``harness`` and counts duplicates, lost users and leaks.
The Wazo Platform servers of the campaign (``--wazo-servers``) take ``--wazo-runs`` seeds of
the same rows and faults into a tenant (``tests/reliability/wazo.py``); their lines of the
table are named ``wazo: <fault>``.

    source scripts/env.sh
    python -m tests.reliability.campaign --runs 200 --wazo-runs 100 --out tests/reliability/results/campaign-results.json
    python -m tests.reliability.render tests/reliability/results/campaign-results.json > docs/reliability.md
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import platform
import queue
import sys
import threading
import time

from tests.emulator import Fleet
from tests.reliability import harness, trust, wazo

# name -> (description, function(rng) -> (faults to set, client options))
FAULTS = collections.OrderedDict()


def fault(name, description):
    def register(function):
        FAULTS[name] = (description, function)
        return function
    return register


@fault('none', 'no fault')
def _none(rng):
    return {}, {}


@fault('5xx_import', '500/502/503 on the Nth import request, before the commit')
def _5xx_import(rng):
    return {'fail_nth': {'n': rng.randint(1, 3), 'status': rng.choice((500, 502, 503)),
                         'path': '/1.1/users/import'}}, {}


@fault('5xx_export', '502/503 on the Nth export (the first read, or a reconcile)')
def _5xx_export(rng):
    return {'fail_nth': {'n': rng.randint(1, 2), 'status': rng.choice((502, 503)),
                         'path': '/1.1/users/export'}}, {}


@fault('drop_after_commit', 'connection dropped after the Nth import committed')
def _drop(rng):
    return {'drop_after_commit': rng.randint(1, 3)}, {}


@fault('timeout_import', 'import slower than the client timeout (commits after the client gave up)')
def _timeout_import(rng):
    return {'slow_rows': 0.02}, {'timeout': 0.15}


@fault('timeout_all', 'every request slower than the client timeout')
def _timeout_all(rng):
    return {'latency': 0.25}, {'timeout': 0.1, 'retries': rng.randint(0, 1)}


@fault('token_expiry', 'tokens expire mid-run (token_ttl + latency)')
def _token(rng):
    return {'token_ttl': 0.3, 'latency': 0.08}, {}


@fault('auth_down', 'xivo-auth resets every connection')
def _auth_down(rng):
    return {'auth_down': True}, {}


@fault('refuse', 'confd resets every connection')
def _refuse(rng):
    return {'refuse': True}, {}


@fault('gateway_after_commit', "a proxy's 504 page after the Nth import committed")
def _gateway(rng):
    return {'answer_after_commit': {'n': rng.randint(1, 2), 'status': 504}}, {}


@fault('html_after_commit', 'an HTML 200 page (a captive portal, a proxy) after the Nth import committed')
def _html(rng):
    return {'answer_after_commit': {'n': rng.randint(1, 2), 'status': 200,
                                    'body': '<html><body>Welcome</body></html>',
                                    'content_type': 'text/html'}}, {}


@fault('garbage_201', 'a 201 whose body is not JSON after the Nth import committed')
def _garbage(rng):
    return {'answer_after_commit': {'n': rng.randint(1, 2), 'status': 201, 'body': 'Created',
                                    'content_type': 'text/plain'}}, {}


@fault('mangled_created', 'the created list without row numbers, in reverse order')
def _mangled(rng):
    return {'mangle_created': {'n': rng.randint(1, 2), 'drop_row_number': True, 'reverse': True}}, {}


@fault('redirect', 'a redirect to another host on the Nth request (never followed)')
def _redirect(rng):
    return {'redirect': {'status': rng.choice((301, 302, 307, 308)),
                         'location': 'http://127.0.0.99:1/1.1/users/import',
                         'n': rng.randint(1, 4)}}, {}


def pick_faults(rng):
    names = list(FAULTS)
    chosen = [rng.choice(names)]
    if rng.random() < 0.3:
        chosen.append(rng.choice(names))
    settings, options = {}, {}
    for name in chosen:
        more, opts = FAULTS[name][1](rng)
        settings.update(more)
        options.update(opts)
    return sorted(set(chosen) - {'none'}) or ['none'], settings, options


def one_run(seed, server, ca_path):
    """One seeded run and its re-run; returns a record of what happened and what was wrong."""
    rng = harness.new_rng(seed)
    server.reset()
    rows = harness.random_users(rng, rng.randint(1, 30), tag='s%d_' % seed)
    data = harness.csv_bytes(rows)
    harness.preload(server, rows)
    update = rng.random() < 0.3
    batch_size = rng.choice((1, 2, 3, 5, 8, 100))
    auth = 'digest' if rng.random() < 0.15 else 'token'
    names, settings, options = pick_faults(rng)
    if auth == 'digest':
        settings.pop('token_ttl', None)
    server.faults.set(**settings)
    secrets = harness.row_secrets(rows) | {harness.WS_PASSWORD}
    record = dict(seed=seed, faults=names, rows=len(rows), batch_size=batch_size, update=update,
                  auth=auth, kinds=dict(collections.Counter(k for k, dummy in rows)), problems=[],
                  duplicates=0, lost=0, leaks=0, tokens_left=0, wrong_person_updates=0)
    first = harness.run_import(server, ca_path, data, batch_size=batch_size, update=update,
                               auth=auth, **options)
    server.faults.reset()
    after_first = server.users()
    record['first'] = first.get('summary') or {'aborted': first.get('msg', '')[:200]}
    if 'users' in first:
        record['problems'] += ['first run: ' + p for p in harness.accounting_problems(len(rows), first['users'])]
        record['problems'] += ['first run: ' + p for p in harness.summary_problems(first['summary'], first['users'])]
    elif not first.get('msg'):
        record['problems'].append('first run: aborted with no message')
    lost = harness.lost_after_run(rows, first, after_first)
    dups = harness.duplicates_on(after_first)
    second = harness.run_import(server, ca_path, data, batch_size=batch_size, update=update, auth=auth)
    final = server.users()
    if 'users' not in second:
        record['problems'].append('re-run aborted: %s' % second.get('msg'))
    else:
        record['problems'] += ['re-run: ' + p for p in harness.accounting_problems(len(rows), second['users'])]
        record['second'] = second['summary']
        by_row = dict((u['row'], u) for u in first.get('users', ()))
        for user in second['users']:
            kind = rows[user['row'] - 1][0]
            if kind in harness.GOOD_KINDS and user['status'] in ('failed', 'conflict'):
                record['problems'].append('re-run: good row %d failed: %s' % (user['row'], user['error']))
            if kind == 'wrong_person' and user['status'] != 'conflict':
                record['problems'].append('re-run: row %d meets another person but is %s'
                                          % (user['row'], user['status']))
            if user['status'] == 'created' and by_row and by_row[user['row']]['status'] != 'failed':
                lost.append(user['row'])  # reported done by the first run, yet missing
    lost += list(harness.lost_after_run(rows, second, final))
    dups += harness.duplicates_on(final)
    state = harness.final_state_problems(rows, final, update=update)
    record['problems'] += state
    record['wrong_person_updates'] = len([p for p in state if 'wrong-person update' in p])
    lost += [p for p in state if 'is on the server 0 times' in p]
    record['duplicates'] = len(set(dups)) + len([p for p in state if 'times' in p and '0 times' not in p])
    record['lost'] = len(lost)
    leaked = harness.leaks(secrets, first, second)
    record['leaks'] = len(leaked)
    if leaked:
        text = json.dumps([first, second], default=str)
        for secret in leaked:
            at = text.index(secret)
            record['problems'].append('secret leaked: ...%s[SECRET]%s...' % (
                text[max(0, at - 300):at], text[at + len(secret):at + len(secret) + 80]))
    # Tokens the client created must be revoked (or have expired by themselves).
    now = time.time()
    left = [t for t in first['tokens'] + second['tokens']
            if t in server.auth.tokens and server.auth.tokens[t][0] > now]
    harness.note_leftovers(record, left, dups, lost)
    record['requests'] = first.get('requests', 0) + second.get('requests', 0)
    return record


def wazo_run(seed, server, ca_path):
    return wazo.one_run(seed, server, ca_path, pick_faults)


def run_campaign(runs=200, first_seed=1, servers=4, first_address='127.0.5.30', budget=None,
                 trials=25, wazo_runs=0, wazo_servers=2):
    """Run seeds first_seed .. first_seed+runs-1 over a small fleet (one thread per server),
    then ``trials`` seeds of each class of trust.py; ``wazo_runs`` seeds on ``wazo_servers``
    Wazo servers besides (their addresses after the XiVO ones). Stops starting new runs once
    ``budget`` seconds have passed. Returns the records."""
    started = time.time()
    seeds = queue.Queue()
    # The trials first: they are short, and a budget must not leave a class untried.
    for trial in trust.TRIALS:
        for seed in range(first_seed, first_seed + trials):
            seeds.put((trial, seed))
    for seed in range(first_seed, first_seed + runs):
        seeds.put((one_run, seed))
    wazo_seeds = queue.Queue()
    for seed in range(first_seed, first_seed + wazo_runs):
        wazo_seeds.put((wazo_run, seed))
    wazo_servers = wazo_servers if wazo_runs else 0
    records = []
    lock = threading.Lock()
    with Fleet(servers + wazo_servers, first_address=first_address, port=0, auth_port=0,
               seed=harness.SEED, wazo_seed=wazo.SEED,
               profiles=['16.15'] * servers + ['wazo-26.08'] * wazo_servers) as fleet:
        def worker(server):
            work = wazo_seeds if server in fleet.servers[servers:] else seeds
            while budget is None or time.time() - started < budget:
                try:
                    function, seed = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    record = function(seed, server, fleet.ca_path)
                except Exception as exc:  # a traceback is a finding too: keep going, report it
                    record = dict(seed=seed, faults=['?'], rows=0, problems=['traceback: %r' % exc],
                                  platform='wazo' if work is wazo_seeds else 'xivo',
                                  duplicates=0, lost=0, leaks=0, tokens_left=0, requests=0,
                                  wrong_person_updates=0)
                with lock:
                    records.append(record)
        threads = [threading.Thread(target=worker, args=(server,)) for server in fleet]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    records.sort(key=lambda r: (r['faults'][0] in trust.CLASSES, r['seed']))
    return records, time.time() - started


WAZO_LINE = 'wazo: %s'


def descriptions():
    """What each line of the table tried."""
    found = collections.OrderedDict((k, v[0]) for k, v in FAULTS.items())
    found.update(trust.CLASSES)
    found.update((WAZO_LINE % k, 'on Wazo 26.08, into a tenant: ' + v[0]) for k, v in FAULTS.items())
    # Behind nginx (Wazo >= 20.07) wazo-auth being down is nginx's 502, not a reset.
    found[WAZO_LINE % 'auth_down'] = 'on Wazo 26.08, into a tenant: wazo-auth down (nginx answers 502)'
    return found


def aggregate(records):
    """Per fault: runs, rows, duplicates, lost users, leaks, unrevoked tokens, other problems."""
    table = collections.OrderedDict((name, collections.Counter())
                                    for name in list(FAULTS) + list(trust.CLASSES))
    for record in records:
        for name in record['faults']:
            if record.get('platform') == 'wazo':
                name = WAZO_LINE % name
            line = table.setdefault(name, collections.Counter())
            line['runs'] += 1
            line['rows'] += record['rows']
            for key in ('duplicates', 'lost', 'leaks', 'tokens_left', 'wrong_person_updates'):
                line[key] += record.get(key, 0)
            line['problems'] += len(record['problems'])
            if 'aborted' in (record.get('first') or {}):
                line['aborted'] += 1
            line['requests'] += record.get('requests', 0)
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=200)
    parser.add_argument('--first-seed', type=int, default=1)
    parser.add_argument('--servers', type=int, default=4)
    parser.add_argument('--address', default='127.0.5.30')
    parser.add_argument('--budget', type=float, default=None, help='seconds; stop starting runs after')
    parser.add_argument('--trials', type=int, default=25, help='seeds of each class of trust.py')
    parser.add_argument('--wazo-runs', type=int, default=100,
                        help='seeds run on the Wazo Platform 26.08 servers')
    parser.add_argument('--wazo-servers', type=int, default=2)
    parser.add_argument('--out', default=None, help='JSON file for the records')
    args = parser.parse_args(argv)
    records, elapsed = run_campaign(args.runs, args.first_seed, args.servers, args.address, args.budget,
                                    args.trials, args.wazo_runs, args.wazo_servers)
    data = dict(command='python -m tests.reliability.campaign ' + ' '.join(argv if argv is not None else sys.argv[1:]),
                date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
                elapsed=round(elapsed, 1), runs=len(records), python=platform.python_version(),
                faults=dict(descriptions()),
                table=dict((k, dict(v)) for k, v in aggregate(records).items()), records=records)
    text = json.dumps(data, indent=1, sort_keys=True, default=str)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as handle:
            handle.write(text + '\n')
    bad = [r for r in records if r['problems']]
    print('%d runs in %.1fs, %d with problems' % (len(records), elapsed, len(bad)))
    for record in bad[:20]:
        print('seed %s %s: %s' % (record['seed'], record['faults'], '; '.join(record['problems'])[:600]))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
