# -*- coding: utf-8 -*-
"""The campaign's runs on the emulator's Wazo Platform 26.08 servers: the same random rows and
fault schedules as on XiVO, imported into a tenant through the collection's own import run
(the rows adapted per tenant: contexts by label; the wazo-auth logins checked across tenants;
the server lock a call permission of the tenant; updates through PUT /1.1/users/<uuid>), then
a clean re-run. Besides the invariants of ``harness``: no wazo-auth user without its confd
user (a failed import must remove those it made), no lock left (the tenant's call permission,
the controller's lock file), every token revoked.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
import time

from ansible_collections.xivo.confd.plugins.module_utils import import_run, remote_lock
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
from tests.emulator.wazo.server import DEFAULT_CONTEXTS
from tests.reliability import harness

TENANT = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc'
# Every Wazo server of the campaign: the tenant the rows go into (its contexts labelled like
# the legacy names), a second tenant holding nothing, and the import's wazo-auth user.
SEED = {
    'tenants': [{'uuid': TENANT, 'name': 'campaign', 'contexts': DEFAULT_CONTEXTS},
                {'name': 'elsewhere', 'contexts': DEFAULT_CONTEXTS}],
    'auth_users': [{'username': harness.WS_USER, 'password': harness.WS_PASSWORD,
                    'tenant': 'master', 'acls': ['confd.#', 'auth.#']}],
}
PREFIX = '/api/confd'       # the paths the client sends (layout api: nginx in front)


def wazo_faults(settings, options):
    """A XiVO fault schedule as the Wazo emulator takes it: paths under /api/confd, and the
    speed model instead of slow_rows (which the Wazo profile does not use)."""
    settings = dict(settings)
    for name in ('fail_nth', 'redirect'):
        rule = settings.get(name)
        if isinstance(rule, dict) and rule.get('path'):
            settings[name] = dict(rule, path=PREFIX + rule['path'])
    slow = settings.pop('slow_rows', None)
    return settings, dict(options), ({'row_cost': slow} if slow else {})


def context_names(server):
    """label -> generated context name in the tenant; and the way back."""
    with server.store.lock:
        names = dict((c['label'], c['name']) for c in server.store.data['contexts'].values()
                     if c['tenant_uuid'] == TENANT)
    return names, dict((name, label) for label, name in names.items())


def wazo_rows(rows):
    """The harness's rows as a Wazo tenant takes them: Wazo 26.08 refuses an extension
    without a line protocol (16.15 took it and made no line), so such rows get an SCCP line
    (no secret needed) and keep their kind."""
    return [(kind, dict(values, line_protocol='sccp')
             if values['exten'] and not values['line_protocol'] else values)
            for kind, values in rows]


def preload(server, rows):
    """What harness.preload puts on a XiVO server, in the tenant, in its own contexts."""
    existing = []
    for kind, values in rows:
        if kind == 'existing':
            existing.append((kind, values))
        elif kind == 'changed':
            existing.append((kind, dict(values, mobile_phone_number=harness.CHANGED_MOBILE)))
        elif kind == 'wrong_person':
            existing.append((kind, harness.impostor(values)))
    if existing:
        names, dummy = context_names(server)
        text = harness.csv_bytes([(kind, dict(values, **dict(
            (column, names.get(values[column], values[column]))
            for column in ('context', 'voicemail_context') if values[column])))
            for kind, values in existing]).decode('utf-8')
        server.apply_seed({'users': [{'tenant': TENANT, 'csv': text}]})


def tenant_users(server):
    """The tenant's users as the harness compares them: contexts by label."""
    dummy, labels = context_names(server)
    return [dict(user, **dict((c, labels.get(user.get(c), user.get(c)))
                              for c in ('context', 'voicemail_context')))
            for user in server.users(TENANT)]


def run_import(server, ca_path, data, work, batch_size=100, update=False, timeout=10,
               retries=3):
    """One import into the tenant by ImportRun, what user_import does; the module's result,
    plus the tokens the client got."""
    client = ConfdClient(server.address, port=server.port, username=harness.WS_USER,
                         password=harness.WS_PASSWORD, ca_path=ca_path, platform='wazo',
                         tenant=TENANT, timeout=timeout, retries=retries, backoff=0.01,
                         sleep=lambda s: None, deadline=60)
    result = harness.recording_tokens(client)
    src = os.path.join(work, 'users.csv')
    with open(src, 'wb') as handle:
        handle.write(data)
    with harness.failure_noted(client, result):
        result.update(import_run.ImportRun(client, src, dict(
            lock_dir=os.path.join(work, 'locks'), fail_on_error=False, batch_size=batch_size,
            update=update), host='wazo').run())
    return result


def locks_left(server, work):
    """The server lock (a call permission of the tenant), the controller's lock files and
    its memory of locks it could not release, still there after a run."""
    with server.store.lock:
        left = ['call permission %s' % cp['name'] for cp in
                server.store.data['callpermissions'].values()
                if cp['name'] == remote_lock.LOCK_NAME]
    lock_dir = os.path.join(work, 'locks')
    if os.path.isdir(lock_dir):
        left += ['lock file %s' % name for name in os.listdir(lock_dir)]
    return left


def orphan_accounts(server):
    """wazo-auth users of the tenant with no confd user (a failed import must remove those
    it made)."""
    users = set(u['uuid'] for u in server.users(TENANT))
    return sorted(a['username'] or a['uuid'] for a in server.auth.users.values()
                  if a['tenant_uuid'] == TENANT and a['uuid'] not in users)


def one_run(seed, server, ca_path, pick_faults):
    """One seeded run and its clean re-run on a Wazo server (see the module's docstring)."""
    rng = harness.new_rng(seed)
    server.reset()
    rows = wazo_rows(harness.random_users(rng, rng.randint(1, 30), tag='w%d_' % seed))
    data = harness.csv_bytes(rows)
    preload(server, rows)
    update = rng.random() < 0.3
    batch_size = rng.choice((1, 2, 3, 5, 8, 100))
    names, settings, options = pick_faults(rng)
    settings, options, speed = wazo_faults(settings, options)
    server.faults.set(**settings)
    if speed:
        server.speed.set(**speed)
    secrets = harness.row_secrets(rows) | {harness.WS_PASSWORD}
    record = dict(seed=seed, platform='wazo', faults=names, rows=len(rows),
                  batch_size=batch_size, update=update, auth='token',
                  kinds=dict(collections.Counter(k for k, dummy in rows)), problems=[],
                  duplicates=0, lost=0, leaks=0, tokens_left=0, wrong_person_updates=0,
                  locks_left=0)
    work = tempfile.mkdtemp(prefix='wazo-campaign-')
    try:
        first = run_import(server, ca_path, data, work, batch_size=batch_size, update=update,
                           **options)
        server.faults.reset()
        server.speed.set(row_cost=0.0)
        # A lock whose answer was lost may stay until the next run (it is remembered): the
        # clean re-run must leave nothing.
        after_first = tenant_users(server)
        record['first'] = first.get('summary') or {'aborted': first.get('msg', '')[:200]}
        if 'users' in first:
            record['problems'] += ['first run: ' + p for p in harness.accounting_problems(
                len(rows), first['users'])]
        elif not first.get('msg'):
            record['problems'].append('first run: aborted with no message')
        lost = harness.lost_after_run(rows, first, after_first)
        dups = harness.duplicates_on(after_first)
        second = run_import(server, ca_path, data, work, batch_size=batch_size, update=update)
        record['problems'] += ['re-run: %s left' % lock for lock in locks_left(server, work)]
        record['locks_left'] = len([p for p in record['problems'] if p.endswith(' left')])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    final = tenant_users(server)
    if 'users' not in second:
        record['problems'].append('re-run aborted: %s' % second.get('msg'))
    else:
        record['problems'] += ['re-run: ' + p for p in harness.accounting_problems(
            len(rows), second['users'])]
        record['second'] = second['summary']
        by_row = dict((u['row'], u) for u in first.get('users', ()))
        for user in second['users']:
            kind = rows[user['row'] - 1][0]
            if kind in harness.GOOD_KINDS and user['status'] in ('failed', 'conflict'):
                record['problems'].append('re-run: good row %d failed: %s'
                                          % (user['row'], user['error']))
            if kind == 'wrong_person' and user['status'] != 'conflict':
                record['problems'].append('re-run: row %d meets another person but is %s'
                                          % (user['row'], user['status']))
            if user['status'] == 'created' and by_row and \
                    by_row[user['row']]['status'] not in ('failed', 'not_tried'):
                lost.append(user['row'])  # reported done by the first run, yet missing
    lost += list(harness.lost_after_run(rows, second, final))
    dups += harness.duplicates_on(final)
    state = harness.final_state_problems(rows, final, update=update)
    orphans = orphan_accounts(server)
    if orphans:
        state.append('wazo-auth users without a confd user: %s' % ', '.join(orphans))
    record['problems'] += state
    record['wrong_person_updates'] = len([p for p in state if 'wrong-person update' in p])
    lost += [p for p in state if 'is on the server 0 times' in p]
    record['duplicates'] = len(set(dups)) + len(
        [p for p in state if 'times' in p and '0 times' not in p]) + len(orphans)
    record['lost'] = len(lost)
    leaked = harness.leaks(secrets, first, second)
    record['leaks'] = len(leaked) + record['locks_left']
    for secret in leaked:
        record['problems'].append('secret leaked (%d characters)' % len(secret))
    now = time.time()
    left = [t for t in first['tokens'] + second['tokens']
            if t in server.auth.tokens and server.auth.tokens[t]['expires'] > now]
    harness.note_leftovers(record, left, dups, [str(x) for x in lost])
    record['requests'] = first.get('requests', 0) + second.get('requests', 0)
    return record
