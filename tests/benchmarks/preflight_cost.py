# -*- coding: utf-8 -*-
"""Benchmark 4: what the preflight costs the server, against what the import costs it.

Both are estimated from measurements of a real confd 16.15 (docs/server-behaviour.md#request-cost,
docs/server-behaviour.md#read-cost): an imported
row ~0.2 s of confd CPU; a list ~0.02 s per request plus ~3.5-8 ms per item; an exact lookup
~0.02 s. The preflight's reads (what it asked, and how many items came back) are its own record
(``preflight`` in the result of user_import); the import's cost is 0.2 s per row it would send.
The emulator runs in-process here: this benchmark counts requests and items, not seconds.

Servers: fresh (nothing but the wizard's seed); 1,000 users; 1,000 users with orphans (lines and
SIP endpoints of deleted users, free extensions) that the export does not show. Files: 1 to
1,000 new users with a SIP line, some with a voicemail or an incall.
"""

from __future__ import annotations

import io
import csv

import requests

from tests.benchmarks.common import address, log, row
from tests.emulator import EmulatorServer

HEADER = ['firstname', 'lastname', 'username', 'password', 'exten', 'context', 'line_protocol',
          'sip_username', 'voicemail_name', 'voicemail_number', 'voicemail_context',
          'incall_exten', 'incall_context']
SEED = {'contexts': [
    {'name': 'default', 'type': 'internal', 'ranges': [['1000', '9999']]},
    {'name': 'from-extern', 'type': 'incall', 'ranges': [['20000', '29999']]},
    {'name': 'to-extern', 'type': 'outcall', 'ranges': []}],
    'ws_users': [{'login': 'admin', 'password': 'passadmin', 'acls': ['confd.#']}]}


def users_csv(count, first, tag):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(HEADER)
    for i in range(count):
        exten = str(first + i)
        writer.writerow(['F%s%d' % (tag, i), 'L', '%s%d' % (tag, i), 'Pw-%06d' % i, exten,
                         'default', 'sip', '%ssip%d' % (tag, i),
                         'VM' if i % 3 == 0 else '', exten if i % 3 == 0 else '',
                         'default' if i % 3 == 0 else '',
                         str(20000 + first + i) if i % 4 == 0 else '',
                         'from-extern' if i % 4 == 0 else ''])
    return out.getvalue().encode('utf-8')


def make_orphans(server, count):
    """Import ``count`` users, then delete only the users (after their voicemail and lines were
    dissociated): their lines, SIP endpoints, extensions and incalls stay (docs/server-behaviour.md#orphans-after-a-user-delete)."""
    status, payload, dummy = server.do_import(users_csv(count, 8000, 'orph'), 'utf-8')
    assert status == 201, payload
    with requests.Session() as session:
        token = session.post(server.auth_url + '/0.1/token', auth=('admin', 'passadmin'),
                             json={'backend': 'xivo_service', 'expiration': 3600},
                             verify=server.ca_path, timeout=60).json()['data']['token']
        headers = {'X-Auth-Token': token}
        for entry in payload['created']:
            base = server.url + '/1.1/users/%s' % entry['user_uuid']
            if entry['voicemail_id']:
                session.delete(base + '/voicemail', headers=headers, verify=server.ca_path,
                               timeout=60).raise_for_status()
            session.delete(base + '/lines/%s' % entry['line_id'], headers=headers,
                           verify=server.ca_path, timeout=60).raise_for_status()
            session.delete(base, headers=headers, verify=server.ca_path,
                           timeout=60).raise_for_status()


def estimate(server, body, tmp_path):
    """The preflight's estimated server cost and the import's, for a check-mode run."""
    from ansible_collections.xivo.confd.plugins.module_utils import import_run
    from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
    from ansible_collections.xivo.confd.plugins.module_utils.preflight_reads import ROW_COST
    path = str(tmp_path)
    with open(path, 'wb') as handle:
        handle.write(body)
    client = ConfdClient(server.address, port=server.port, auth_port=server.auth_port,
                         username='admin', password='passadmin', ca_path=server.ca_path)
    try:
        result = import_run.ImportRun(client, path, {}, check_mode=True).run()
    finally:
        client.close()
    if result.get('failed'):
        raise RuntimeError('preflight benchmark: %s' % result.get('msg'))
    sent = result['summary']['would_create']
    return result['preflight'], sent * ROW_COST, sent


def run(workdir, file_sizes, server_users, orphans):
    import os
    log('preflight cost: files of %s rows, servers of 0 / %d users (+%d orphans)'
        % (file_sizes, server_users, orphans))
    table = []
    details = []
    states = [('fresh server', 0, 0), ('%d users' % server_users, server_users, 0),
              ('%d users and %d orphan lines' % (server_users, orphans), server_users, orphans)]
    for label, users, orphan_count in states:
        with EmulatorServer(address=address(5), port=0, auth_port=0, seed=SEED) as server:
            if users:
                status, payload, dummy = server.do_import(users_csv(users, 1000, 'old'), 'utf-8')
                assert status == 201, payload
            if orphan_count:
                make_orphans(server, orphan_count)
            for size in file_sizes:
                cost, import_cost, sent = estimate(server, users_csv(size, 5000, 'new'),
                                                   os.path.join(workdir, 'preflight.csv'))
                details.append(dict(server=label, rows=size, sent=sent, import_cost=import_cost,
                                    **cost))
                table.append(row('preflight', 'preflight, %d-row file, %s (%d requests)'
                                 % (size, label, cost['requests']),
                                 cost['estimated_server_seconds'], import_cost,
                                 'the import of the rows, estimated', 0.15,
                                 note='server CPU estimated from docs/server-behaviour.md#read-cost'))
    return table, dict(estimates=details)
