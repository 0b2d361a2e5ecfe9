# -*- coding: utf-8 -*-
"""A row's identity and the server user it matches: never the wrong person (issue #11)."""

from __future__ import annotations

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import confd_csv, import_plan, user_identity
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError


def rows_of(text):
    return confd_csv.read('users.csv', data=text.encode('utf-8'))


def user(uuid, firstname, lastname='', exten='', username='', email='', context='default'):
    return {'uuid': uuid, 'firstname': firstname, 'lastname': lastname, 'exten': exten,
            'context': context if exten else '', 'username': username, 'email': email,
            'line_protocol': 'sip' if exten else '', 'mobile_phone_number': ''}


HEADER = 'firstname,lastname,username,exten,context,line_protocol,mobile_phone_number\n'


def plan(text, users, **options):
    header, rows = rows_of(HEADER + text)
    return import_plan.plan(header, rows, users, **options)


@pytest.mark.parametrize('update', [False, True])
def test_a_key_of_another_user_is_a_conflict_never_unchanged_nor_updated(update):
    # Observed on 16.15: "Dup Server" was reported unchanged with Pre Existing's uuid, and
    # with update Pre Existing was renamed and moved.
    server = [user('pre', 'Pre', 'Existing', exten='1010', username='dupuser')]
    outcome, = plan('Dup,Server,dupuser,1005,default,sip,\n', server, update=update)
    assert outcome.status == 'conflict'
    assert outcome.key == 'exten@context=1005@default'
    assert 'username=dupuser belongs to' in outcome.error and "'Pre Existing'" in outcome.error
    assert 'uuid pre' in outcome.error and outcome.involved == ['pre']
    assert outcome.uuid is None and not outcome.changes


@pytest.mark.parametrize('update', [False, True])
def test_an_exten_held_by_another_person_is_a_conflict(update):
    server = [user('bob', 'Bob', 'Jones', exten='1001', username='bjones')]
    outcome, = plan('Alice,Smith,asmith,1001,default,sip,\n', server, update=update)
    assert outcome.status == 'conflict' and outcome.involved == ['bob']
    assert "'Bob Jones'" in outcome.error
    for column in ('firstname', 'lastname', 'username'):
        assert column in outcome.error
    assert "firstname (file 'Alice', server 'Bob')" in outcome.error


def test_identity_columns_change_only_when_the_operator_asks():
    server = [user('bob', 'Bob', 'Jones', exten='1001', username='bjones')]
    outcome, = plan('Robert,Jones,bjones,1001,default,sip,\n', server, update=True,
                    update_identity=True)
    assert outcome.status == 'update' and outcome.changes == ['firstname']
    # Without update, update_identity changes nothing: the disagreement is a conflict.
    outcome, = plan('Robert,Jones,bjones,1001,default,sip,\n', server, update_identity=True)
    assert outcome.status == 'conflict'
    # Even then, a key that belongs to somebody else stays a conflict.
    server.append(user('eve', 'Eve', 'Other', username='eve'))
    outcome, = plan('Robert,Jones,eve,1001,default,sip,\n', server, update=True,
                    update_identity=True)
    assert outcome.status == 'conflict' and 'username=eve belongs to' in outcome.error


def test_matched_user_is_trusted_when_the_row_only_adds_or_keeps_identity():
    server = [user('a', 'Ann', 'Lee', exten='1002')]
    outcome, = plan('Ann,Lee,alee,1002,default,sip,\n', server)
    assert outcome.status == 'unchanged'   # a username the server lacks is no conflict
    outcome, = plan('ANN,lee,,1002,default,sip,\n', server)   # names compare without case
    assert outcome.status == 'unchanged' and outcome.uuid == 'a'


def test_a_row_pointing_at_nobody_while_its_match_has_another_value_is_a_conflict():
    server = [user('a', 'Ann', 'Lee', exten='1002', username='alee')]
    outcome, = plan('Ann,Lee,annlee,1002,default,sip,\n', server)
    assert outcome.status == 'conflict' and "username (file 'annlee', server 'alee')" in outcome.error
    header, rows = rows_of('firstname,username,exten,context,line_protocol\nAnn,alee,1003,default,sip\n')
    outcome, = import_plan.plan(header, rows, server, keys=['username', 'exten@context'])
    assert outcome.status == 'conflict' and 'exten@context' in outcome.error


def test_names_only_rows_import_once_and_are_recognised_on_a_rerun():
    header, rows = rows_of('firstname,lastname\nJean,Dupont\nZoé,Martin\n')
    first = import_plan.plan(header, rows, [])
    assert [o.status for o in first] == ['create', 'create']
    assert first[0].key == 'firstname+lastname=jean+dupont'
    server = [user('j', 'Jean', 'Dupont'), user('z', 'Zoé', 'Martin')]
    again = import_plan.plan(header, rows, server)
    assert [(o.status, o.uuid) for o in again] == [('unchanged', 'j'), ('unchanged', 'z')]
    # Two server users with that name: which one is it? A conflict, never a guess.
    server.append(user('j2', 'jean', 'dupont'))
    outcome = import_plan.plan(header, rows, server)[0]
    assert outcome.status == 'conflict' and 'matches 2 server users' in outcome.error
    # The same name twice in the file is refused like any duplicate key.
    header, rows = rows_of('firstname,lastname\nJean,Dupont\njean,DUPONT\n')
    outcomes = import_plan.plan(header, rows, [])
    assert outcomes[1].status == 'failed' and 'same firstname+lastname as line 2' in outcomes[1].error


def test_a_name_is_no_identity_when_a_key_has_a_value():
    server = [user('j', 'Jean', 'Dupont', exten='1001')]
    outcome, = plan('Jean,Dupont,,1005,default,sip,\n', server)
    assert outcome.status == 'create' and outcome.key == 'exten@context=1005@default'


def test_uuid_key_only_finds_existing_users():
    server = [user('11111111-2222-3333-4444-555555555555', 'Ann', exten='1002')]
    header, rows = rows_of('uuid,firstname,mobile_phone_number\n'
                           '11111111-2222-3333-4444-555555555555,Ann,0601\n'
                           '99999999-2222-3333-4444-555555555555,Bob,0602\n')
    outcomes = import_plan.plan(header, rows, server, keys=['uuid'], update=True)
    assert [o.status for o in outcomes] == ['update', 'failed']
    assert 'is not on the server' in outcomes[1].error and 'ignores the uuid' in outcomes[1].error


@pytest.mark.parametrize('spec', ['password', 'sip_secret', 'voicemail_password',
                                  'call_permission_password', 'exten@sip_secret'])
def test_secret_columns_are_never_keys(spec):
    with pytest.raises(ConfdError, match='secret column'):
        import_plan.check_keys(['username', spec])


def test_uuid_is_a_key_on_its_own():
    with pytest.raises(ConfdError, match='uuid is a key on its own'):
        import_plan.check_keys(['uuid@context'])
    import_plan.check_keys(['uuid', 'exten@context'])


def test_describe_user_holds_no_secret():
    text = user_identity.describe_user(dict(user('u', 'A', exten='1000'), password='pw-1',
                                            sip_secret='sip-2'))
    assert 'pw-1' not in text and 'sip-2' not in text and '1000@default' in text
