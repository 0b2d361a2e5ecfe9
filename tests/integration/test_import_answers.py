# -*- coding: utf-8 -*-
"""Answers that are not confd's, through ansible-playbook (issue #11): a proxy's 504 or an HTML
page after the commit, a 201 that is not JSON, a created list without row numbers in another
order, a redirect. Never bisected and resent, never followed: settled by reading the server."""

from __future__ import annotations

import pytest

from tests.integration.fleets import emulated_fleet
from tests.integration.playbook import run_playbook

WS_USER, WS_PASSWORD = 'answers', 'Ws-Ans-2b77'
HOSTS = {'localhost': {'ws_password': WS_PASSWORD}}
ROWS = ('firstname,lastname,exten,context,line_protocol\n'
        + ''.join('U%d,Test,%d,default,sip\n' % (i, 1100 + i) for i in range(4)))


@pytest.fixture(scope='module')
def fleet():
    with emulated_fleet(1, '127.0.9.80', WS_USER, WS_PASSWORD) as servers:
        yield servers


def task(server, fleet, src):
    return {'name': 'import', 'xivo.confd.user_import': dict(
        host=server.address, port=server.port, auth_port=server.auth_port, username=WS_USER,
        password='{{ ws_password }}', ca_path=fleet.ca_path, src=str(src), preflight=False),
        'ignore_errors': True}


@pytest.mark.parametrize('fault', [
    {'answer_after_commit': {'status': 504}},
    {'answer_after_commit': {'status': 200, 'body': '<html>Welcome</html>', 'content_type': 'text/html'}},
    {'answer_after_commit': {'status': 201, 'body': 'Created', 'content_type': 'text/plain'}},
    {'mangle_created': {'drop_row_number': True, 'reverse': True}},
])
def test_an_answer_that_is_not_confds_is_settled_by_reading_the_server(fleet, tmp_path, fault):
    server = fleet.servers[0]
    server.reset()
    server.faults.set(**fault)
    src = tmp_path / 'users.csv'
    src.write_text(ROWS, encoding='utf-8')
    logged = len(server.request_log)
    run = run_playbook(tmp_path, [task(server, fleet, src)], hosts=HOSTS)
    result = run.result('import')
    assert result['summary']['created'] == 4 and not result.get('failed'), result
    imports = [r for r in server.request_log[logged:] if r['path'] == '/1.1/users/import']
    assert len(imports) == 1, 'resent after an answer that was not confd\'s'
    users = server.users()
    assert len(users) == 4
    # Each row got its own user's uuid, whatever the order of the answer.
    by_exten = dict((u['exten'], u['uuid']) for u in users)
    assert [u['uuid'] for u in result['users']] == [by_exten[str(1100 + i)] for i in range(4)]


def test_a_redirect_is_never_followed(fleet, tmp_path):
    server = fleet.servers[0]
    server.reset()
    server.faults.set(redirect={'status': 302, 'location': 'http://127.0.9.99:1/1.1/users/export'})
    src = tmp_path / 'users.csv'
    src.write_text(ROWS, encoding='utf-8')
    run = run_playbook(tmp_path, [task(server, fleet, src)], hosts=HOSTS)
    result = run.result('import')
    assert result['failed'] and 'redirect (302) to http://127.0.9.99:1/1.1/users/export' in result['msg']
    assert 'never followed' in result['msg'] and not server.users()
