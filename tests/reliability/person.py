# -*- coding: utf-8 -*-
"""Seeded trials of another person's data (issue #20): names in another Unicode form than the
server's, and rows that name another person's voicemail, with and without share_voicemails.
Each trial runs check mode, then the real run, then a re-run, and counts duplicates (a second
person made of one), lost users, wrong-person updates (another person's voicemail renamed or
given away without share_voicemails) and leaks, like the fault campaign, which calls these."""

from __future__ import annotations

import os
import random
import re
import tempfile
import unicodedata

from ansible_collections.xivo.confd.plugins.module_utils import import_run
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
from tests.reliability import harness

CLASSES = {
    'unicode_normalisation': 'names and e-mails in another Unicode form (NFC/NFD) or case than the '
                             'server\'s, in check mode, for real, then a re-run',
    'another_voicemail': 'rows naming another user\'s voicemail, with and without '
                         'share_voicemails, in check mode, for real, then a re-run',
}
ACCENTED = ('H\u00e9l\u00e8ne', 'Fran\u00e7ois', 'Zo\u00e9', 'J\u00e9r\u00f4me', 'No\u00ebl',
            'Chlo\u00e9', 'Lo\u00efc', 'S\u00e9gol\u00e8ne', '\u00c5sa', '\u0218tefan', 'Ng\u1ef1')
COLUMNS = ('firstname', 'lastname', 'email', 'username', 'exten', 'context', 'line_protocol',
           'voicemail_name', 'voicemail_number', 'voicemail_context')
SHOWN_ALIKE = re.compile(r"file '([^']*)', server '([^']*)'\)")


def _client(server, ca_path):
    return ConfdClient(server.address, port=server.port, auth_port=server.auth_port,
                       username=harness.WS_USER, password=harness.WS_PASSWORD, ca_path=ca_path,
                       timeout=30, backoff=0.01, sleep=lambda s: None)


def _record(name, seed):
    return dict(seed=seed, faults=[name], rows=0, problems=[], duplicates=0, lost=0, leaks=0,
                tokens_left=0, wrong_person_updates=0, requests=0)


def _csv(rows):
    return harness.csv_bytes([('', row) for row in rows], columns=list(COLUMNS))


def _runs(server, ca_path, rows, options):
    """Check mode, the real run and a re-run of ``rows``: the three results."""
    fd, path = tempfile.mkstemp(suffix='.csv')
    with os.fdopen(fd, 'wb') as handle:
        handle.write(_csv(rows))
    results = []
    try:
        for check_mode in (True, False, False):
            client = _client(server, ca_path)
            try:
                results.append(import_run.ImportRun(
                    client, path, dict(options, fail_on_error=False),
                    check_mode=check_mode).run())
            finally:
                client.close()
    finally:
        os.remove(path)
    return results


def _same_prediction(record, check, real):
    for predicted, done in zip(check['users'], real['users']):
        wanted = {'would_create': 'created', 'would_update': 'updated', 'would_fail': 'failed'}.get(
            predicted['status'], predicted['status'])
        if wanted != done['status']:
            record['problems'].append('row %d: check mode %s, real run %s'
                                      % (done['row'], predicted['status'], done['status']))


def _form(rng, text):
    return unicodedata.normalize(rng.choice(('NFC', 'NFD')), text)


def unicode_normalisation(seed, server, ca_path):
    """Server users in one form, the file in another (and another case for e-mails and names):
    each is matched, never created twice, and the match says normalisation decided it."""
    rng = random.Random(seed)
    record = _record('unicode_normalisation', seed)
    server.reset()
    count = rng.randint(3, 12)
    people = []
    for number in range(count):
        first, last = rng.choice(ACCENTED), rng.choice(ACCENTED)
        keyed = rng.random() < 0.5
        people.append(dict.fromkeys(COLUMNS, '') | dict(
            firstname='%s%d' % (first, number), lastname=last,
            email=('%s.%d@exemple.fr' % (first.lower(), number)) if rng.random() < 0.5 else '',
            username='u%d_%d' % (seed, number) if keyed else '',
            exten=str(1000 + number) if keyed else '', context='default' if keyed else '',
            line_protocol='sip' if keyed else ''))
    on_server = [p for p in people if rng.random() < 0.7]
    stored = [dict(p, firstname=_form(rng, p['firstname']), lastname=_form(rng, p['lastname']),
                   email=_form(rng, p['email'])) for p in on_server]
    if stored:
        status, payload, dummy = server.do_import(_csv(stored), 'utf-8')
        assert status == 201, payload
    rows = []
    for person in people:
        email = _form(rng, person['email'])
        rows.append(dict(person, firstname=_form(rng, person['firstname']),
                         lastname=_form(rng, person['lastname']),
                         email=email.upper() if rng.random() < 0.3 else email))
    record['rows'] = len(rows)
    check, real, again = _runs(server, ca_path, rows, {})
    _same_prediction(record, check, real)
    final = server.users()

    def nfc(text):
        return unicodedata.normalize('NFC', text or '').casefold()
    for number, (person, row, done) in enumerate(zip(people, rows, real['users']), 1):
        found = [u for u in final if nfc(u['firstname']) == nfc(person['firstname'])
                 and nfc(u['lastname']) == nfc(person['lastname'])]
        if len(found) > 1:
            record['duplicates'] += 1
            record['problems'].append('row %d: %d server users for one person' % (number, len(found)))
        elif not found:
            record['lost'] += 1
            record['problems'].append('row %d: not on the server' % number)
        wanted = 'unchanged' if person in on_server else 'created'
        if done['status'] != wanted:
            record['problems'].append('row %d: %s, wanted %s (%s)'
                                      % (number, done['status'], wanted, done.get('error')))
        server_person = stored[on_server.index(person)] if person in on_server else None
        differs = server_person is not None and any(
            row[c] != server_person[c] for c in ('firstname', 'lastname', 'email')
            if unicodedata.normalize('NFC', row[c]) == unicodedata.normalize('NFC', server_person[c]))
        noted = any(w.startswith('matched after Unicode normalisation') for w in done.get('warnings', ()))
        if differs and not noted:
            record['problems'].append('row %d: matched by normalisation without a note' % number)
        for mine, theirs in SHOWN_ALIKE.findall(done.get('error') or ''):
            if mine == theirs:
                record['problems'].append('row %d: a conflict shows %r twice' % (number, mine))
    if any(u['status'] != 'unchanged' for u in again['users']):
        record['problems'].append('re-run: %s' % again['summary'])
    record['leaks'] = len(harness.leaks({harness.WS_PASSWORD}, check, real, again))
    return record


def another_voicemail(seed, server, ca_path):
    """Rows sharing a server user's voicemail: a conflict that leaves that person's voicemail as
    it was, or, with share_voicemails, imported with the name before recorded."""
    rng = random.Random(seed)
    record = _record('another_voicemail', seed)
    server.reset()
    owners = []
    for number in range(rng.randint(1, 5)):
        owners.append(dict.fromkeys(COLUMNS, '') | dict(
            firstname='Owner%d' % number, lastname='S%d' % seed, username='own%d_%d' % (seed, number),
            exten=str(1100 + number), context='default', line_protocol=rng.choice(('sip', '')),
            voicemail_name='VM %d' % number, voicemail_number=str(1100 + number),
            voicemail_context='default'))
    status, payload, dummy = server.do_import(_csv(owners), 'utf-8')
    assert status == 201, payload

    def voicemails():
        return dict(((vm['number'], vm['context']), (vm['name'], sorted(
            u['uuid'] for u in server.store.users.rows.values() if u.get('voicemail_id') == vm['id'])))
            for vm in server.store.voicemails.rows.values())
    before = voicemails()
    share = rng.random() < 0.5
    rows, takers = [], []
    for number in range(rng.randint(2, 10)):
        row = dict.fromkeys(COLUMNS, '') | dict(
            firstname='New%d' % number, lastname='T%d' % seed, username='new%d_%d' % (seed, number),
            exten=str(1200 + number), context='default',
            line_protocol=rng.choice(('sip', 'sccp', '')))
        if rng.random() < 0.5:
            owner = rng.choice(owners)
            row.update(voicemail_name='Mine', voicemail_number=owner['voicemail_number'],
                       voicemail_context='default')
            takers.append(number)
        elif rng.random() < 0.5:
            row.update(voicemail_name='Own', voicemail_number=str(1300 + number),
                       voicemail_context='default')
        rows.append(row)
    record['rows'] = len(rows)
    check, real, again = _runs(server, ca_path, rows, dict(share_voicemails=share))
    _same_prediction(record, check, real)
    after = voicemails()
    for number, done in enumerate(real['users']):
        if number in takers and not share:
            if done['status'] != 'conflict' or 'is the voicemail of' not in done.get('error', ''):
                record['problems'].append('row %d: %s, wanted a conflict' % (number + 1, done['status']))
        elif done['status'] != 'created':
            record['lost'] += 1
            record['problems'].append('row %d: %s (%s)' % (number + 1, done['status'], done.get('error')))
        shared = done.get('shared_voicemail')
        if number in takers and share and done['status'] == 'created':
            key = (shared or {}).get('number'), 'default'
            if not shared or shared['previous_name'] != before[key][0] or \
                    sorted(shared['users']) != before[key][1]:
                record['problems'].append('row %d: shared voicemail not recorded: %r' % (number + 1, shared))
        elif shared:
            record['problems'].append('row %d: shared_voicemail without sharing' % (number + 1))
    for key, (name, users) in before.items():
        if not share and after.get(key) != (name, users):
            record['wrong_person_updates'] += 1
            record['problems'].append('voicemail %s@%s changed: %r -> %r' % (key + (before[key], after.get(key))))
    if share:
        # The last row that took a voicemail gives it its name (when it has a line).
        for number, done in enumerate(real['users']):
            shared = done.get('shared_voicemail')
            if shared and shared.get('renamed_to') and after[(shared['number'], 'default')][0] not in (
                    r['firstname'] + ' ' + r['lastname'] for r in rows):
                record['problems'].append('voicemail %s renamed %r, not after a row'
                                          % (shared['number'], after[(shared['number'], 'default')][0]))
    if any(u['status'] not in ('unchanged', 'conflict') for u in again['users']):
        record['problems'].append('re-run: %s' % again['summary'])
    record['leaks'] = len(harness.leaks({harness.WS_PASSWORD}, check, real, again))
    return record


TRIALS = (unicode_normalisation, another_voicemail)
