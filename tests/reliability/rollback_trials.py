# -*- coding: utf-8 -*-
"""Seeded trials of the rollback (issue #20): an import, then its report tampered with at
random (an entry added by hand for a user older than the run, one forged with that user's
real ids and values and a digest computed again, a run entry's uuid swapped for an older
user's, a run user changed on the server since, the report of another server) and rolled
back. Counted as lost: a user the run did not create, or changed since, that the rollback
removed or changed. Also checked: every other user of the run is gone, nothing it created is
left without a user (voicemails, shared by two rows of the run or not; lines), and a report of
another server removes nothing. Called by the campaign (tests/reliability/campaign.py)."""

from __future__ import annotations

import json
import os
import tempfile
import uuid

from ansible_collections.xivo.confd.plugins.module_utils import (
    import_run, run_evidence, user_rollback)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError
from tests.reliability import harness

NAME = 'rollback_reports'
DESCRIPTION = ('a report tampered with before a rollback (an entry added or forged for an older user, '
               'a uuid swapped, a run user changed since, another server\'s report), and two rows of '
               'the run sharing a voicemail')
TAMPERING = ('none', 'added_entry', 'forged_entry', 'uuid_swapped', 'changed_user',
             'foreign_report')


def _orphans(server):
    """Voicemails and lines that no user has."""
    with server.store.lock:
        users = list(server.store.users.rows.values())
        voicemails = set(server.store.tables['voicemails'].rows)
        lines = set(server.store.tables['lines'].rows)
    used_voicemails = set(u.get('voicemail_id') for u in users)
    used_lines = set(line for u in users for line in u.get('line_ids') or ())
    return (['voicemail %s has no user' % v for v in sorted(voicemails - used_voicemails)]
            + ['line %s has no user' % line for line in sorted(lines - used_lines)])


def rollback_reports(seed, server, ca_path):
    rng = harness.new_rng(seed)
    record = dict(seed=seed, faults=[NAME], rows=0, problems=[], duplicates=0, lost=0, leaks=0,
                  tokens_left=0, wrong_person_updates=0, requests=0)
    server.reset()
    rows = [(kind, values) for kind, values in
            harness.random_users(rng, rng.randint(8, 24), tag='b%d_' % seed)
            if kind in ('good', 'existing')]
    # At least one user older than the run and two the run creates.
    rows = [('existing', rows[0][1])] + [
        (kind if sum(1 for k, dummy in rows[1:] if k == 'good') >= 2 else 'good', values)
        for kind, values in rows[1:]]
    run_rows = [values for kind, values in rows if kind == 'good']
    if len(run_rows) >= 2 and rng.random() < 0.5:
        # Two rows of the run with one voicemail number: confd creates it once, shared.
        first, second = run_rows[0], run_rows[1]
        number = first['exten']
        for values in (first, second):
            values.update(voicemail_name='Shared', voicemail_number=number,
                          voicemail_context='default',
                          voicemail_password=values['voicemail_password']
                          or harness._digits(rng, 20))
    harness.preload(server, rows)
    older = dict((u['uuid'], u) for u in server.users())
    tampering = TAMPERING[seed % len(TAMPERING)]     # each kind as often as the others
    record['tampering'] = tampering
    fd, src = tempfile.mkstemp(suffix='.csv')
    with os.fdopen(fd, 'wb') as handle:
        handle.write(harness.csv_bytes(rows))
    report_path = src + '.json'
    client = _client(server, ca_path)
    try:
        result = import_run.ImportRun(client, src, dict(report_dest=report_path,
                                                        fail_on_error=False)).run()
        with open(report_path) as handle:
            report = json.load(handle)
        created = [u for u in report['users'] if u.get('status') == 'created']
        record['rows'] = len(created)
        if not created or not older:
            record['problems'].append('nothing to try: %s' % result.get('msg'))
            return record
        victim = rng.choice(sorted(older))
        protected = dict(older)
        if tampering == 'added_entry':
            report['users'].append(dict(rng.choice(created), uuid=victim, name='added by hand'))
        elif tampering == 'forged_entry':
            user = client.read('/users/%s' % victim, 'read', 'confd.users.read').body
            line = (user.get('lines') or [{}])[0]
            ids = dict(user_id=user['id'], user_uuid=victim, line_id=line.get('id'),
                       sip_id=(line.get('endpoint_sip') or {}).get('id'),
                       sccp_id=(line.get('endpoint_sccp') or {}).get('id'),
                       extension_id=((line.get('extensions') or [{}])[0]).get('id'),
                       voicemail_id=(user.get('voicemail') or {}).get('id'),
                       incall_extension_id=None)
            values = run_evidence.snapshot(older[victim])
            report['users'].append(dict(status='created', uuid=victim, name='forged', ids=ids,
                                        created_with=values,
                                        digest=run_evidence.digest(victim, ids, values)))
        elif tampering == 'uuid_swapped':
            entry = rng.choice(created)
            protected[entry['uuid']] = None     # the run's user, named no more: may stay
            entry['uuid'] = victim
        elif tampering == 'changed_user':
            entry = rng.choice(created)
            column, value = rng.choice((('mobile_phone_number', '0699887766'),
                                        ('ring_seconds', '45'), ('lastname', 'Renamed')))
            status, payload, dummy = server.do_import(
                ('uuid,%s\n%s,%s\n' % (column, entry['uuid'], value)).encode('utf-8'), 'utf-8',
                update=True)
            if status != 201:
                record['problems'].append('could not change a user: %s' % payload)
            protected[entry['uuid']] = True
            # A user of the run that shares its voicemail may see it renamed (confd names the
            # voicemail after the user it updates): a change since the run too, so that user
            # may stay (a conflict naming voicemail_name) or go.
            shared = (entry.get('ids') or {}).get('voicemail_id')
            for other in created:
                if shared and (other.get('ids') or {}).get('voicemail_id') == shared:
                    protected.setdefault(other['uuid'], None)
        elif tampering == 'foreign_report':
            report['server_identity']['uuid'] = str(uuid.UUID(int=rng.getrandbits(128)))
        protected_rows = dict((u['uuid'], u) for u in server.users() if u['uuid'] in protected)
        try:
            targets, remover, identity, warning = user_rollback.undo_report(client, report)
            record['requests'] = remover.requests if remover else 0
        except ConfdError as exc:
            targets = []
            if tampering != 'foreign_report' or 'describes another server' not in str(exc):
                record['problems'].append('rollback refused: %s' % exc)
        else:
            if tampering == 'foreign_report':
                record['problems'].append('the report of another server was used')
        after = dict((u['uuid'], u) for u in server.users())
        for key, before in protected_rows.items():
            if protected[key] is None:
                continue
            if key not in after:
                record['lost'] += 1
                record['problems'].append('user %s (%s) was removed' % (key, tampering))
            elif after[key] != before:
                record['lost'] += 1
                record['problems'].append('user %s (%s) was changed' % (key, tampering))
        if tampering != 'foreign_report':
            left = [u['uuid'] for u in created if u['uuid'] in after
                    and u['uuid'] not in protected]
            if left:
                record['problems'].append('users of the run left behind: %s' % left)
            record['problems'] += _orphans(server)
            statuses = dict((t.uuid, t.status) for t in targets)
            if tampering != 'none' and statuses.get(victim if tampering != 'changed_user'
                                                    else entry['uuid']) != 'conflict':
                record['problems'].append('the tampered entry is not a conflict')
        leaked = harness.leaks(harness.row_secrets(rows) | {harness.WS_PASSWORD},
                               [t.as_dict() for t in targets])
        record['leaks'] = len(leaked)
    finally:
        client.close()
        for path in (src, report_path):
            if os.path.exists(path):
                os.remove(path)
    return record


def _client(server, ca_path):
    from tests.reliability.trust import _client as client_of
    return client_of(server, ca_path)
