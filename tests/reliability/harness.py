# -*- coding: utf-8 -*-
"""Shared pieces of the reliability and security tests: random users, the in-process import
(what the user_import action does, without Ansible), and the invariants every run must keep.

The invariants (issue #8):
* accounting: every input row ends in exactly one of created / updated / unchanged /
  failed-with-reason, and the counts add up to the input;
* no duplicate: the server never holds two users for one key (exten@context, username);
* nothing lost: every row reported created / updated / unchanged is on the server, and after a
  clean re-run every good row is on the server exactly once;
* no leak: no secret value in any result, message or error.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import json
import random
import string

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, confd_rules, import_executor, import_plan)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient, ConfdError
from ansible_collections.xivo.confd.plugins.module_utils.secrets import secret_values

FINAL = ('created', 'updated', 'unchanged', 'conflict', 'failed', 'not_tried')
# A row of a legacy file that its conversion refused: never sent, reported with its reason.
INVALID = 'invalid'
COLUMNS = ['firstname', 'lastname', 'exten', 'context', 'line_protocol', 'username', 'password',
           'sip_secret', 'mobile_phone_number', 'voicemail_name', 'voicemail_number',
           'voicemail_context', 'voicemail_password', 'call_permission_password']
WS_USER = 'reliab'
WS_PASSWORD = 'Ws-Reliab-8c1e77'
SEED = {'ws_users': [{'login': WS_USER, 'password': WS_PASSWORD, 'acls': ['confd.#']}]}

# Row kinds: what the row is, and whether it must be on the server after a clean re-run.
# name_only: no key value at all (a names-only file): imported once by its name.
# wrong_person: the server holds another person at the row's exten: a conflict, never touched.
GOOD_KINDS = ('good', 'existing', 'changed', 'name_only')
BAD_KINDS = ('bad_local', 'bad_server', 'dup_in_file', 'wrong_person')
CHANGED_MOBILE = '0611223344'


def _secret(rng, size=12):
    alphabet = string.ascii_letters + string.digits
    return 'Sx' + ''.join(rng.choice(alphabet) for dummy in range(size))


def _digits(rng, size):
    # Long enough never to appear by chance in a uuid (at most 12 hex digits in a row) or an id.
    return '9' + ''.join(rng.choice(string.digits) for dummy in range(size - 1))


def random_users(rng, count, tag='r'):
    """``count`` rows of random kinds: [(kind, values)], with unique keys among good rows."""
    extens = rng.sample(range(1000, 2000), count)
    rows = []
    for number in range(count):
        kind = rng.choice(('good',) * 6 + ('existing', 'existing', 'changed', 'name_only') + BAD_KINDS)
        exten = str(extens[number])
        protocol = rng.choice(('sip', 'sip', 'sccp', ''))
        values = dict.fromkeys(COLUMNS, '')
        values.update(firstname='F%s%d' % (tag, number), lastname=rng.choice(('Dupont', 'Zoé', 'O\'Neil', 'Smith')),
                      exten=exten, context='default', line_protocol=protocol,
                      username='%s%d_%s' % (tag, number, rng.randrange(10 ** 6)),
                      password=_secret(rng))
        if protocol == 'sip':
            values['sip_secret'] = _secret(rng)
        if rng.random() < 0.4:
            values.update(voicemail_name='VM %d' % number, voicemail_number=exten,
                          voicemail_context='default', voicemail_password=_digits(rng, 20))
        if rng.random() < 0.3:
            values['call_permission_password'] = '*' + _digits(rng, 12) + '#'
        if kind == 'bad_local':
            values['mobile_phone_number'] = rng.choice(('12-34', 'abc', '+33 6'))
        elif kind == 'bad_server':
            values['exten'] = rng.choice(('5000', '2500'))  # outside the range, or an incall range
            if values['voicemail_number']:
                values['voicemail_number'] = values['exten']
        elif kind == 'dup_in_file':
            # A duplicate key only exists between users with a line (no line, no extension key).
            earlier = [v for k, v in rows if k in GOOD_KINDS and v['line_protocol']]
            if not earlier:
                kind = 'good'
            else:
                values['line_protocol'] = values['line_protocol'] or 'sccp'
                values['exten'] = earlier[-1]['exten']
                values['voicemail_number'] = values['exten'] if values['voicemail_number'] else ''
        elif kind == 'name_only':
            values.update(exten='', username='', line_protocol='', sip_secret='', voicemail_name='',
                          voicemail_number='', voicemail_context='', voicemail_password='')
        rows.append((kind, values))
    return rows


def csv_bytes(rows, columns=None):
    columns = COLUMNS if columns is None else columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(columns)
    for _kind, values in rows:
        writer.writerow([values.get(c, '') for c in columns])
    return out.getvalue().encode('utf-8')


def impostor(values):
    """Another person at the row's exten (wrong_person rows): never to be touched."""
    return dict(values, firstname='Other' + values['firstname'], lastname='Impostor',
                username='other_' + values['username'], line_protocol=values['line_protocol'] or 'sip')


def preload(server, rows):
    """Put on the server what a previous run (or another person) left: the 'existing' rows,
    the 'changed' rows with another mobile number, the people the 'wrong_person' rows meet."""
    existing = []
    for kind, values in rows:
        if kind == 'existing':
            existing.append((kind, values))
        elif kind == 'changed':
            existing.append((kind, dict(values, mobile_phone_number=CHANGED_MOBILE)))
        elif kind == 'wrong_person':
            existing.append((kind, impostor(values)))
    if existing:
        status, payload, dummy = server.do_import(csv_bytes(existing), 'utf-8')
        assert status == 201, payload


def row_secrets(rows):
    return secret_values([values for _kind, values in rows])


def recording_tokens(client):
    """A result dict whose ``tokens`` lists every token `client` gets from now on (to check
    that they were revoked): its credentials' login is wrapped."""
    result = {'tokens': []}
    credentials = client.credentials
    original_login = credentials.login

    def login(server):
        original_login(server)
        if credentials.token and credentials.token not in result['tokens']:
            result['tokens'].append(credentials.token)
    credentials.login = login
    return result


@contextlib.contextmanager
def failure_noted(client, result):
    """A ConfdError in the block becomes ``failed`` and ``msg`` of `result`, as the module's
    result has them; `client` is closed after."""
    try:
        yield
    except ConfdError as exc:
        result['failed'] = True
        result['msg'] = str(exc)
    finally:
        client.close()


def note_leftovers(record, tokens_left, dups, lost):
    """The end of a campaign's record: tokens not revoked, duplicated and lost rows, each also
    as a problem."""
    record['tokens_left'] = len(tokens_left)
    if tokens_left:
        record['problems'].append('%d token(s) not revoked' % len(tokens_left))
    if dups:
        record['problems'].append('duplicates: %s' % sorted(set(dups)))
    if lost:
        record['problems'].append('lost rows: %s' % sorted(set(lost)))


def run_import(server, ca_path, data, batch_size=100, update=False, timeout=10, retries=3,
               auth='token', backoff=0.01):
    """What the user_import action does, in-process. Returns a dict like the module's result:
    ``users`` (one per row) when the rows were planned, else ``failed`` and ``msg``, plus the
    tokens the client got (to check that they were revoked)."""
    kwargs = dict(username=WS_USER, password=WS_PASSWORD)
    client = ConfdClient(server.address, port=server.port, auth_port=server.auth_port,
                         auth_method='digest' if auth == 'digest' else 'token',
                         ca_path=ca_path, timeout=timeout, retries=retries, backoff=backoff,
                         sleep=lambda s: None, **kwargs)
    result = recording_tokens(client)
    with failure_noted(client, result):
        header, rows = confd_csv.read('users.csv', data=data)
        secrets = row_secrets([(None, r.values) for r in rows])
        _headers, users = client.export_users()
        outcomes = import_plan.plan(header, rows, users, update=update,
                                    validate=confd_rules.file_validator())
        importer = import_executor.Importer(client, header, batch_size=batch_size,
                                            secrets=secrets | client.secrets)
        importer.run(outcomes)
        result['users'] = [o.as_dict() for o in outcomes]
        result['summary'] = import_plan.summarize(outcomes)
        result['requests'] = importer.requests
        result['reconciles'] = importer.reconciles
    return result


# ------------------------------------------------------------------------------ invariants

def accounting_problems(count, users, allowed=FINAL + (INVALID,)):
    """Every row exactly once, in one final status, a failure with its reason; counts add up."""
    problems = []
    if len(users) != count:
        problems.append('%d results for %d rows' % (len(users), count))
    rows = [u.get('row') for u in users]
    if sorted(rows) != list(range(1, count + 1)):
        problems.append('rows reported are %s, not 1..%d' % (rows, count))
    statuses = collections.Counter(u.get('status') for u in users)
    for status in statuses:
        if status not in allowed:
            problems.append('status %r is not one of %s' % (status, allowed))
    if sum(statuses.values()) != count:
        problems.append('counts %s do not add up to %d' % (dict(statuses), count))
    for user in users:
        if user.get('status') in ('failed', 'conflict', 'not_tried', INVALID) and not (user.get('error') or '').strip():
            problems.append('row %s failed without a reason' % user.get('row'))
        if user.get('status') not in ('failed', 'conflict', 'not_tried', INVALID) and user.get('error'):
            problems.append('row %s is %s but has an error' % (user.get('row'), user.get('status')))
    return problems


def summary_problems(summary, users):
    problems = []
    counted = collections.Counter(u['status'] for u in users)
    for status in FINAL:
        if summary.get(status, 0) != counted.get(status, 0):
            problems.append('summary %s=%s but %d rows' % (status, summary.get(status), counted.get(status, 0)))
    if summary.get('total') != len(users):
        problems.append('summary total %s for %d rows' % (summary.get('total'), len(users)))
    return problems


def duplicates_on(server_users):
    """Keys held by more than one user on the server."""
    seen = collections.Counter()
    for user in server_users:
        if user.get('exten'):
            seen['exten@context=%s@%s' % (user['exten'], user['context'])] += 1
        if user.get('username'):
            seen['username=%s' % user['username']] += 1
        if not user.get('exten') and not user.get('username'):
            seen['name=%s %s' % (user.get('firstname'), user.get('lastname'))] += 1
    return sorted(key for key, n in seen.items() if n > 1)


def _on_server(values, server_users):
    return [u for u in server_users if u.get('firstname') == values['firstname']]


def lost_after_run(rows, result, server_users):
    """Rows reported created/updated/unchanged whose user is not on the server."""
    lost = []
    for user in result.get('users', ()):
        if user['status'] in ('created', 'updated', 'unchanged'):
            values = rows[user['row'] - 1][1]
            if len(_on_server(values, server_users)) != 1:
                lost.append(user['row'])
    return lost


def final_state_problems(rows, server_users, update=False):
    """After a clean re-run: every good row once (with its values), no bad row, nothing else."""
    problems = []
    expected = 0
    for number, (kind, values) in enumerate(rows, 1):
        found = _on_server(values, server_users)
        if kind in GOOD_KINDS:
            expected += 1
            if len(found) != 1:
                problems.append('row %d (%s) is on the server %d times' % (number, kind, len(found)))
                continue
            user = found[0]
            if values['line_protocol'] and (user['exten'], user['context']) != (values['exten'], values['context']):
                problems.append('row %d: server has %s@%s' % (number, user['exten'], user['context']))
            if user['lastname'] != values['lastname']:
                problems.append('row %d: lastname %r, wanted %r' % (number, user['lastname'], values['lastname']))
            if kind == 'changed':
                wanted = '' if update else CHANGED_MOBILE
                if user['mobile_phone_number'] != wanted:
                    problems.append('row %d: mobile %r, wanted %r' % (number, user['mobile_phone_number'], wanted))
        elif found:
            problems.append('row %d (%s) should not be on the server' % (number, kind))
        if kind == 'wrong_person':
            expected += 1
            other = impostor(values)
            theirs = _on_server(other, server_users)
            if len(theirs) != 1 or any(theirs[0][c] != other[c] for c in ('lastname', 'username', 'exten')):
                problems.append('row %d: the other person at %s was changed or removed (wrong-person update)'
                                % (number, values['exten']))
    if len(server_users) != expected:
        problems.append('%d users on the server, %d expected' % (len(server_users), expected))
    return problems


def leaks(secrets, *texts):
    """The secrets found in any of the texts (or JSON-able objects)."""
    found = set()
    for text in texts:
        if not isinstance(text, str):
            text = json.dumps(text, default=str, ensure_ascii=False)
        for secret in secrets:
            if secret and secret in text:
                found.add(secret)
    return sorted(found)


def new_rng(seed):
    return random.Random(seed)
