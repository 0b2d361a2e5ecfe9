# -*- coding: utf-8 -*-
"""Updates of existing users without an update by import (Wazo): the requests the platform
makes of a row's changes, the columns it refuses, the plan's prediction, and the Updater's
outcomes when an answer is lost (read back, never blindly resent)."""

from __future__ import annotations

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import import_plan, user_update
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdResponse, ConfdUncertain, ConfdUnreachable)
from ansible_collections.xivo.confd.plugins.module_utils.confd_csv import SourceRow
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import Status
from ansible_collections.xivo.confd.plugins.module_utils.platform import platform_named

WAZO = platform_named('wazo')
XIVO = platform_named('xivo')
UUID = '5e30de94-d910-4b5f-b8c7-3231e5a5e5a7'


def test_confd_fields_are_sent_with_their_json_types():
    values = dict(firstname='Robert', lastname='', mobile_phone_number='+33699999999',
                  enabled='0', ring_seconds='25', supervision_enabled='1')
    changes = ['firstname', 'lastname', 'mobile_phone_number', 'enabled', 'ring_seconds',
               'supervision_enabled']
    (confd, auth) = WAZO.update_requests(UUID, values, changes)
    assert (confd.api, confd.method, confd.path) == ('confd', 'PUT', '/users/%s' % UUID)
    # Only the fields that change (observed on 26.08: only the fields sent change).
    assert confd.body == dict(firstname='Robert', lastname=None,
                              mobile_phone_number='+33699999999', enabled=False,
                              ring_seconds=25, supervision_enabled=True)
    assert confd.check == confd.path and confd.expect == confd.body
    assert confd.acl == 'confd.users.%s.update' % UUID
    # The name goes to wazo-auth too; its PUT replaces every field, so the others are kept.
    assert (auth.api, auth.method, auth.path) == ('auth', 'PUT', '/users/%s' % UUID)
    assert auth.body == dict(firstname='Robert', lastname=None)
    assert 'username' in auth.keep and 'purpose' in auth.keep and 'enabled' in auth.keep


def test_login_email_and_password_go_to_wazo_auth():
    values = dict(username='bobby', email='robert@example.com', password='New-Pass-1')
    requests = WAZO.update_requests(UUID, values, ['email', 'username', 'password'])
    assert [(r.api, r.method, r.path) for r in requests] == [
        ('confd', 'PUT', '/users/%s' % UUID),
        ('auth', 'PUT', '/users/%s' % UUID),
        ('auth', 'PUT', '/admin/users/%s/emails' % UUID),
        ('auth', 'POST', '/users/password/reset')]
    confd, login, email, password = requests
    assert confd.body == {'email': 'robert@example.com'}
    assert login.body == {'username': 'bobby'}
    assert email.body == {'emails': [{'address': 'robert@example.com', 'main': True,
                                      'confirmed': True}]}
    assert email.acl == 'auth.admin.users.%s.emails.update' % UUID
    assert password.params == {'user_uuid': UUID} and password.check is None
    assert password.acl == 'auth.users.password.reset.%s.create' % UUID
    # An e-mail unset empties the wazo-auth addresses.
    unset = WAZO.update_requests(UUID, dict(email=''), ['email'])
    assert unset[0].body == {'email': None} and unset[1].body == {'emails': []}


def test_read_back_tells_whether_a_change_is_there():
    confd, email = WAZO.update_requests(UUID, dict(email='Robert@example.com'), ['email'])
    assert WAZO.update_applied(confd, {'email': 'Robert@example.com'}) is True
    assert WAZO.update_applied(confd, {'email': 'bjones@example.com'}) is False
    assert WAZO.update_applied(email, {'emails': [{'address': 'robert@example.com'}]}) is True
    assert WAZO.update_applied(email, {'emails': []}) is False
    password, = WAZO.update_requests(UUID, dict(password='x1234'), ['password'])
    assert WAZO.update_applied(password, {}) is None


def test_columns_of_other_resources_are_refused_by_name():
    refused = dict(WAZO.update_refusals(['firstname', 'exten', 'context', 'incall_exten',
                                         'voicemail_name', 'call_permissions', 'username']))
    assert sorted(refused) == ['call_permissions', 'context', 'exten', 'incall_exten',
                               'voicemail_name']
    assert '/lines' in refused['exten'] and '/incalls' in refused['incall_exten']
    assert XIVO.update_refusals(['exten', 'voicemail_name']) == []
    assert XIVO.update_by_import and not WAZO.update_by_import


def _rows(header, *lines):
    return [SourceRow(n, n + 1, dict(zip(header, line.split(',')))) for n, line in
            enumerate(lines, 1)]


SERVER = [dict(uuid=UUID, firstname='Bob', lastname='Jones', email='bjones@example.com',
               username='bjones', exten='1002', context='ctx-a', line_protocol='sip',
               mobile_phone_number='')]


def test_the_plan_refuses_a_row_with_a_column_no_route_changes():
    header = ['firstname', 'lastname', 'email', 'username', 'exten', 'context',
              'line_protocol', 'mobile_phone_number']
    rows = _rows(header, 'Bob,Jones,bjones@example.com,bjones,1002,ctx-a,sccp,+331')
    outcome, = import_plan.plan(header, rows, SERVER, update=True, platform=WAZO)
    assert outcome.status == Status.FAILED
    assert outcome.error.startswith('cannot be updated on Wazo Platform: line_protocol: ')
    # The same row on XiVO goes to PUT /users/import.
    outcome, = import_plan.plan(header, rows, SERVER, update=True, platform=XIVO)
    assert outcome.status == Status.UPDATE
    assert outcome.changes == ['line_protocol', 'mobile_phone_number']


def test_the_plan_warns_of_a_name_change_and_sets_an_unreadable_password():
    header = ['firstname', 'lastname', 'email', 'username', 'password', 'exten', 'context']
    rows = _rows(header, 'Robert,Jones,bjones@example.com,bjones,Pass-word-1,1002,ctx-a')
    outcome, = import_plan.plan(header, rows, SERVER, update=True, update_identity=True,
                                platform=WAZO)
    assert outcome.status == Status.UPDATE and outcome.changes == ['firstname']
    assert 'does not refresh the caller id' in outcome.warnings[0]
    outcome, = import_plan.plan(header, rows, SERVER, update=True, update_identity=True,
                                update_password=True, platform=WAZO)
    assert outcome.changes == ['firstname', 'password']


class FakeClient:
    """Answers scripted per (method, api, path): a list of ConfdResponse or exceptions; GETs
    answer the current state of the resource."""

    def __init__(self, script, state):
        self.script = script
        self.state = state
        self.sent = []

    def call(self, method, path, idempotent, what, headers=None, acl=None, api='confd',
             json=None, params=None):
        if method == 'GET':
            if (api, path) not in self.state:
                return ConfdResponse(404, {'message': 'No such user'}, '')
            return ConfdResponse(200, dict(self.state[(api, path)]), '')
        self.sent.append((method, api, path, json))
        answers = self.script.get((method, api, path)) or [ConfdResponse(204, None, '')]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, tuple):      # (exception, apply the change first)
            exc, applied = answer
            if applied:
                self.state[(api, path)].update(json)
            raise exc
        if isinstance(answer, Exception):
            raise answer
        if answer.status in (200, 204) and (api, path) in self.state:
            self.state[(api, path)].update(json)
        return answer


def _outcome(changes, values):
    outcome = import_plan.RowOutcome(SourceRow(1, 2, values))
    outcome.status, outcome.uuid, outcome.changes = Status.UPDATE, UUID, list(changes)
    return outcome


def _updater(client):
    return user_update.Updater(client, WAZO, lambda text, outcome=None: text,
                               lambda count: None, lambda: None)


CONFD = ('confd', '/users/%s' % UUID)
AUTH = ('auth', '/users/%s' % UUID)


def _state():
    return {CONFD: dict(firstname='Bob', lastname='Jones'),
            AUTH: dict(uuid=UUID, username='bjones', firstname='Bob', lastname='Jones',
                       purpose='user', enabled=True, authentication_method='default',
                       emails=[])}


@pytest.mark.parametrize('applied', [True, False])
def test_a_lost_answer_is_settled_by_reading_the_user_back(applied):
    lost = ConfdUncertain('the connection was lost during the update')
    script = {('PUT', 'confd', CONFD[1]): [(lost, applied), ConfdResponse(204, None, '')]}
    client = FakeClient(script, _state())
    outcome = _outcome(['mobile_phone_number'], dict(mobile_phone_number='+331'))
    _updater(client).update(outcome)
    assert outcome.status == Status.UPDATED, outcome.error
    # Applied: never sent again; not applied: sent once more after the read.
    assert len(client.sent) == (1 if applied else 2)
    assert client.state[CONFD]['mobile_phone_number'] == '+331'


def test_a_password_whose_answer_was_lost_is_not_sent_again():
    lost = ConfdUncertain('timed out', timed_out=True)
    client = FakeClient({('POST', 'auth', '/users/password/reset'): [lost]}, _state())
    outcome = _outcome(['password'], dict(password='New-Pass-1'))
    _updater(client).update(outcome)
    assert outcome.status == Status.FAILED
    assert 'outcome unknown' in outcome.error and 'password cannot be read back' in \
        outcome.error
    assert len(client.sent) == 1


def test_a_refusal_after_a_change_names_what_was_changed():
    conflict = ConfdResponse(409, {'message': 'Conflict detected', 'error_id': 'conflict',
                                   'details': {'username': {
                                       'constraint_id': 'unique',
                                       'message': 'The login "bobby" is already used'}}}, '')
    client = FakeClient({('PUT', 'auth', AUTH[1]): [conflict]}, _state())
    outcome = _outcome(['firstname', 'username'], dict(firstname='Robert', username='bobby'))
    _updater(client).update(outcome)
    assert outcome.status == Status.FAILED
    assert outcome.error.startswith('partly updated (firstname changed): wazo-auth refused')
    assert outcome.error.endswith('(columns username, firstname): 409 Conflict detected '
                                  '(username: The login "bobby" is already used)')
    # wazo-auth's PUT got every current field, with the change.
    assert client.sent[1][3] == dict(username='bobby', firstname='Robert', lastname='Jones',
                                     purpose='user', enabled=True,
                                     authentication_method='default')


def test_a_server_gone_mid_row_fails_the_row_and_stops():
    gone = ConfdUnreachable('cannot connect')
    client = FakeClient({('PUT', 'auth', AUTH[1]): [gone]}, _state())
    outcome = _outcome(['firstname'], dict(firstname='Robert'))
    with pytest.raises(ConfdUnreachable):
        _updater(client).update(outcome)
    assert outcome.status == Status.FAILED and 'partly updated (firstname changed)' in \
        outcome.error


@pytest.mark.parametrize('wanted, shown, changed', [
    ('0', '', False), ('1', '', True), ('0', '1', True), ('', '', False)])
def test_a_subscription_type_0_that_the_wazo_export_shows_empty_is_no_change(wanted, shown,
                                                                             changed):
    header = ['firstname', 'lastname', 'exten', 'context', 'subscription_type']
    server = [dict(SERVER[0], subscription_type=shown)]
    rows = _rows(header, 'Bob,Jones,1002,ctx-a,%s' % wanted)
    outcome, = import_plan.plan(header, rows, server, update=True, platform=WAZO)
    assert outcome.status == (Status.UPDATE if changed else Status.UNCHANGED)
    assert (outcome.changes == ['subscription_type']) is changed


@pytest.mark.parametrize('platform, wanted, changed', [
    (WAZO, 'webrtc', False), (WAZO, 'sip', False), (WAZO, 'sccp', True), (XIVO, 'webrtc', True)])
def test_a_webrtc_line_that_the_wazo_export_shows_as_sip_is_no_change(platform, wanted, changed):
    # 26.08 exports a webrtc line as sip: an update run must not change it at every run.
    header = ['firstname', 'lastname', 'exten', 'context', 'line_protocol']
    server = [dict(SERVER[0], line_protocol='sip')]
    rows = _rows(header, 'Bob,Jones,1002,ctx-a,%s' % wanted)
    outcome, = import_plan.plan(header, rows, server, update=True, platform=platform)
    assert (outcome.changes == ['line_protocol']) is changed


def test_a_missing_wazo_auth_user_fails_the_row_with_what_was_changed():
    state = _state()
    del state[AUTH]
    client = FakeClient({}, state)
    outcome = _outcome(['firstname'], dict(firstname='Robert'))
    _updater(client).update(outcome)
    assert outcome.status == Status.FAILED
    assert outcome.error == (
        'partly updated (firstname changed): wazo-auth answered 404 No such user to the read of '
        '/users/%s that the update of wazo-auth user %s needs first (its current fields are '
        'sent with the change): not sent' % (UUID, UUID))
    assert [sent[:3] for sent in client.sent] == [('PUT', 'confd', CONFD[1])]
