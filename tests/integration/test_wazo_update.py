# -*- coding: utf-8 -*-
"""update: true into a tenant of the emulator's Wazo Platform 26.08 profile, through the
collection's client and import run over HTTPS. Wazo has no update by import (PUT
/1.1/users/import answers 405): the users change through PUT /1.1/users/<uuid> and wazo-auth
(login, name, e-mail, password); a column that needs another resource is refused by name; check
mode predicts the same; a re-run is unchanged; an answer lost after the change is settled by
reading the user back, and a change that did not happen is sent again."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.xivo.confd.plugins.module_utils import import_run
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdClient
from tests.emulator.wazo import WazoServer
from tests.emulator.wazo.server import DEFAULT_CONTEXTS
from tests.integration.playbook import run_playbook

TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
ADMIN, ADMIN_PASSWORD = 'migrator', 'Migrator-Pass-1'
SEED_HEADER = 'firstname,lastname,email,username,password,context,line_protocol,exten\n'
# Legacy context names (mapped by label): what user_csv makes of a legacy XiVO file.
HEADER = ('firstname,lastname,email,username,password,context,line_protocol,exten,'
          'mobile_phone_number,sip_username\n')
UPDATES = (HEADER
           # names and e-mail (identity cells: update_identity), a user field
           + 'Alicia,Smith,alicia@example.com,asmith,,default,sip,1001,+33611111111,\n'
           # the wazo-auth login and password
           + 'Bob,Jones,bjones@example.com,bobby,New-Pass-99,default,sip,1002,,\n'
           # a SIP username: the line's endpoint, no route of a user changes it
           + 'Carol,King,cking@example.com,cking,,default,sip,1003,,carolsip2\n')


# The policy of the Wazo guide: what an import needs, and what an update adds.
POLICY = ['confd.infos.read', 'confd.users.read', 'confd.users.export.read',
          'confd.users.import.create', 'confd.contexts.read', 'confd.extensions.read',
          'confd.endpoints.sip.read', 'confd.lines.read', 'confd.callpermissions.read',
          'confd.callpermissions.create', 'confd.callpermissions.*.delete', 'auth.tenants.read',
          'auth.users.read',
          'confd.users.*.update', 'confd.users.*.read', 'auth.users.*.read',
          'auth.users.*.update', 'auth.admin.users.*.emails.update',
          'auth.users.password.reset.*.create']


@pytest.fixture
def wazo():
    server = WazoServer(address='127.0.93.31', port=0, seed={
        'tenants': [{'uuid': TENANT_A, 'name': 'tenanta', 'contexts': DEFAULT_CONTEXTS}],
        'auth_users': [{'username': ADMIN, 'password': ADMIN_PASSWORD, 'tenant': 'master',
                        'acls': POLICY}]})
    server.start()
    try:
        context = [c['name'] for c in server.store.data['contexts'].values()
                   if c['tenant_uuid'] == TENANT_A and c['label'] == 'default'][0]
        server.apply_seed({'users': [{'tenant': TENANT_A, 'csv': SEED_HEADER + ''.join(
            '%s,%s,%s@example.com,%s,Secret-%s,%s,sip,%s\n'
            % (first, last, login, login, login, context, exten)
            for first, last, login, exten in (('Alice', 'Smith', 'asmith', 1001),
                                              ('Bob', 'Jones', 'bjones', 1002),
                                              ('Carol', 'King', 'cking', 1003),
                                              ('Dan', 'Low', 'dlow', 1004)))}]})
        yield server
    finally:
        server.stop()


def run(server, tmp_path, text, check_mode=False, **options):
    src = tmp_path / 'users.csv'
    src.write_text(text, encoding='utf-8')
    client = ConfdClient(server.address, port=server.port, username=ADMIN,
                         password=ADMIN_PASSWORD, ca_path=server.ca_path, platform='wazo',
                         tenant=TENANT_A, timeout=30, deadline=60, retries=0)
    try:
        return import_run.ImportRun(client, str(src), dict(
            lock_dir=str(tmp_path / 'locks'), fail_on_error=False, update=True,
            update_identity=True, **options), host='wazo', check_mode=check_mode).run()
    finally:
        client.close()


def by_exten(server):
    return dict((u['exten'], u) for u in server.users(TENANT_A))


def accounts(server):
    return dict((u['uuid'], dict(u)) for u in server.auth.users.values())


def writes(server):
    """The writes to users (the server lock's call permission left out)."""
    return [(r['method'], r['path'].split('/1.1')[-1]) for r in server.request_log
            if r['method'] in ('PUT', 'POST', 'DELETE') and '/1.1/users' in r['path']]


def token_for(server, login, password):
    return requests.post(server.auth_url + '/0.1/token', auth=(login, password),
                         json={'expiration': 60}, verify=server.ca_path, timeout=10).status_code


def test_update_through_the_user_and_wazo_auth_routes(wazo, tmp_path):
    before, accounts_before = by_exten(wazo), accounts(wazo)
    check = run(wazo, tmp_path, UPDATES, check_mode=True, update_password=True)
    assert by_exten(wazo) == before and accounts(wazo) == accounts_before
    assert writes(wazo) == []
    result = run(wazo, tmp_path, UPDATES, update_password=True)
    statuses = [u['status'] for u in result['users']]
    assert statuses == ['updated', 'updated', 'failed'], result['users']
    assert [u['status'] for u in check['users']] == [
        'would_update', 'would_update', 'would_fail']
    for predicted, done in zip(check['users'], result['users']):
        assert predicted.get('error') == done.get('error')
        assert predicted.get('changed_columns') == done.get('changed_columns')
    alicia, bob, carol = result['users']
    assert alicia['changed_columns'] == ['firstname', 'email', 'mobile_phone_number']
    assert 'does not refresh the caller id' in alicia['warnings'][0]
    assert bob['changed_columns'] == ['username', 'password']
    assert carol['error'].startswith('cannot be updated on Wazo Platform: sip_username: its '
                                     'line, extension and SIP endpoint are other resources')
    # confd: the user's fields, by PUT /users/<uuid> (no update by import was tried).
    after = by_exten(wazo)
    alice = after['1001']
    assert (alice['firstname'], alice['email'], alice['mobile_phone_number']) == (
        'Alicia', 'alicia@example.com', '+33611111111')
    # Bob's login and password live in wazo-auth only: confd got Alice's PUT alone.
    assert writes(wazo) == [('PUT', '/users/%s' % after['1001']['uuid'])]
    # wazo-auth: Alice's login kept, her name and e-mail changed; Bob's login and password.
    now = accounts(wazo)
    alice_account = now[after['1001']['uuid']]
    assert (alice_account['username'], alice_account['firstname'], alice_account['email']) == \
        ('asmith', 'Alicia', 'alicia@example.com')
    bob_account = now[after['1002']['uuid']]
    assert (bob_account['username'], bob_account['firstname'], bob_account['lastname']) == \
        ('bobby', 'Bob', 'Jones')
    assert after['1002']['username'] == 'bobby'
    assert token_for(wazo, 'bobby', 'New-Pass-99') == 200
    assert token_for(wazo, 'bobby', 'Secret-bjones') == 401
    # Nobody else changed: Carol (refused) and Dan (not in the file).
    for exten in ('1003', '1004'):
        assert after[exten] == before[exten]
        assert now[after[exten]['uuid']] == accounts_before[after[exten]['uuid']]
    # A re-run (without update_password: a password Wazo never shows is set again with it)
    # is unchanged and sends nothing; the refused row is refused again.
    sent = len(writes(wazo))
    again = run(wazo, tmp_path, UPDATES)
    assert [u['status'] for u in again['users']] == ['unchanged', 'unchanged', 'failed']
    assert len(writes(wazo)) == sent


@pytest.mark.parametrize('fault, puts', [
    # The change is made and the answer lost: read back, never sent again.
    ({'drop_after_commit': 1}, 1),
    # Refused before the change (a gateway's 503): read back, not there, sent again.
    ({'fail_nth': {'n': 1, 'status': 503, 'method': 'PUT'}}, 2),
])
def test_a_lost_answer_is_settled_by_reading_the_user_back(wazo, tmp_path, fault, puts):
    text = HEADER + 'Alice,Smith,asmith@example.com,asmith,,default,sip,1001,+33622222222,\n'
    wazo.faults.set(**fault)
    result = run(wazo, tmp_path, text)
    assert [u['status'] for u in result['users']] == ['updated'], result['users']
    uuid = by_exten(wazo)['1001']['uuid']
    assert writes(wazo) == [('PUT', '/users/%s' % uuid)] * puts
    assert by_exten(wazo)['1001']['mobile_phone_number'] == '+33622222222'
    assert [u['status'] for u in run(wazo, tmp_path, text)['users']] == ['unchanged']


def test_a_subscription_type_0_is_unchanged_and_can_be_set(wazo, tmp_path):
    """wazo-confd's export writes a subscription type 0 as an empty cell."""
    text = HEADER.replace('\n', ',subscription_type\n') + \
        'Alice,Smith,asmith@example.com,asmith,,default,sip,1001,,,%s\n'
    statuses = []
    for value in ('0', '2', '2', '0', '0'):
        result = run(wazo, tmp_path, text % value)
        statuses.append(result['users'][0]['status'])
        assert str(by_exten(wazo)['1001']['subscription_type']) == ('' if value == '0' else value)
    assert statuses == ['unchanged', 'updated', 'unchanged', 'updated', 'unchanged']


def test_update_through_the_module_in_a_playbook(wazo, tmp_path):
    """xivo.confd.user_import with update: true against the Wazo profile: check mode, the real
    run (a login changed in wazo-auth, a refused column), then a re-run that changes nothing."""
    src = tmp_path / 'users.csv'
    src.write_text(HEADER
                   + 'Alice,Smith,asmith@example.com,alice.s,,default,sip,1001,+33633333333,\n'
                   + 'Carol,King,cking@example.com,cking,,default,sip,1003,,carolsip2\n',
                   encoding='utf-8')

    def task(name, **extra):
        args = dict(host=wazo.address, port=wazo.port, platform='wazo', tenant='tenanta',
                    username=ADMIN, password='{{ admin_password }}', ca_path=wazo.ca_path,
                    src=str(src), update=True, update_identity=True,
                    report_dest=str(tmp_path / 'report.json'))
        args.update(extra)
        return {'name': name, 'xivo.confd.user_import': args, 'ignore_errors': True}

    run_ = run_playbook(tmp_path, [dict(task('check'), check_mode=True), task('update'),
                                   task('again')],
                        hosts={'localhost': {'admin_password': ADMIN_PASSWORD}})
    check, update, again = (run_.result(name) for name in ('check', 'update', 'again'))
    assert [u['status'] for u in check['users']] == ['would_update', 'would_fail']
    assert [u['status'] for u in update['users']] == ['updated', 'failed'], update['msg']
    assert [u['status'] for u in again['users']] == ['unchanged', 'failed']
    assert check['changed'] and update['changed'] and not again['changed']
    assert update['users'][0]['changed_columns'] == ['username', 'mobile_phone_number']
    assert "line 3 (exten@context=1003@" in update['msg'] and 'sip_username: its line' in \
        update['msg']
    assert check['users'][1]['error'] == update['users'][1]['error']
    alice = by_exten(wazo)['1001']
    assert (alice['username'], alice['mobile_phone_number']) == ('alice.s', '+33633333333')
    assert token_for(wazo, 'alice.s', 'Secret-asmith') == 200
    assert ADMIN_PASSWORD not in run_.stdout + run_.results_text
