# -*- coding: utf-8 -*-
"""The rollback's pure parts: which users a report created, how a server user changed since,
which report of the role to take (issue #15)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import rollback_checks, user_rollback
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import ConfdError

CREATED = {'row': 1, 'line': 2, 'key': 'exten@context=1001@default', 'name': 'Alice Smith',
           'status': 'created', 'uuid': 'U1',
           'ids': {'user_id': 1, 'line_id': 7, 'extension_id': 34, 'voicemail_id': 2},
           'created_with': {'firstname': 'Alice', 'lastname': 'Smith', 'username': 'asmith',
                            'exten': '1001', 'context': 'default'},
           'reused': ['extension']}


def server_user(**changes):
    user = {'uuid': 'U1', 'firstname': 'Alice', 'lastname': 'Smith', 'username': 'asmith',
            'email': None, 'voicemail': {'id': 2},
            'lines': [{'id': 7, 'extensions': [{'id': 34, 'exten': '1001', 'context': 'default'}]}]}
    user.update(changes)
    return user


def test_only_the_users_the_run_created_are_targets():
    report = {'users': [CREATED, dict(CREATED, status='unchanged', uuid='U2'),
                        dict(CREATED, status='failed', uuid=None)]}
    target, = user_rollback.targets_from_report(report)
    assert target.uuid == 'U1' and target.ids['line_id'] == 7 and target.reused == ['extension']
    with pytest.raises(ConfdError, match='not a report'):
        user_rollback.targets_from_report({'summary': {}})


@pytest.mark.parametrize('changes, found', [
    ({}, []),
    ({'firstname': 'ALICE'}, []),
    ({'lastname': 'Jones'}, ["lastname is now 'Jones' (created as 'Smith')"]),
    ({'lines': [{'id': 7, 'extensions': []}, {'id': 9}]}, ['its lines are now [7, 9] (created with line 7)']),
    ({'lines': [{'id': 7, 'extensions': [{'id': 35, 'exten': '1002', 'context': 'default'}]}]},
     ['its extension is now 1002@default (created as 1001@default)',
      'its extension id is now 35 (created with 34)']),
    ({'id': 5}, ['its id is 5 (the run created user 1)']),
    ({'lines': [{'id': 7, 'endpoint_sip': {'id': 3},
                 'extensions': [{'id': 34, 'exten': '1001', 'context': 'default'}]}]},
     ['its SIP endpoint is now 3 (created with none)']),
    ({'voicemail': None}, ['its voicemail is now none (created with 2)']),
])
def test_a_user_changed_since_the_import_is_told_apart(changes, found):
    target, = user_rollback.targets_from_report({'users': [CREATED]})
    assert rollback_checks.differences(target, server_user(**changes)) == found


def test_one_run_is_chosen_the_fleets_latest_by_default(tmp_path):
    def write(run, host, users):
        directory = tmp_path / 'runs' / run
        directory.mkdir(parents=True, exist_ok=True)
        (directory / ('%s.json' % host)).write_text(json.dumps({'run_id': run, 'users': users}))
    write('20260101T000000Z-aaaaaa', 'xivo-a', [CREATED])
    write('20260102T000000.001Z-bbbbbb', 'xivo-a', [dict(CREATED, status='unchanged')])
    write('20260102T000000.001Z-bbbbbb', 'xivo-b', [CREATED])
    (tmp_path / 'runs' / 'by-play').mkdir()     # not a run: never taken as the latest
    # The fleet's latest run, even where it created nothing: never an older run.
    run, path, report = user_rollback.find_report(str(tmp_path), 'xivo-a')
    assert run == '20260102T000000.001Z-bbbbbb' and report['run_id'] == run
    assert user_rollback.targets_from_report(report) == []
    assert user_rollback.find_report(str(tmp_path), 'xivo-c') == (
        '20260102T000000.001Z-bbbbbb', None, None)
    run, path, report = user_rollback.find_report(str(tmp_path), 'xivo-a',
                                                  '20260101T000000Z-aaaaaa')
    assert report['run_id'] == run == '20260101T000000Z-aaaaaa'
    with pytest.raises(ConfdError, match='no run nope in'):
        user_rollback.find_report(str(tmp_path), 'xivo-a', 'nope')
    with pytest.raises(ConfdError, match='no run 20990101T000000Z-cccccc in'):
        user_rollback.find_report(str(tmp_path), 'xivo-a', '20990101T000000Z-cccccc')
    with pytest.raises(ConfdError, match='no run of the role in'):
        user_rollback.find_report(str(tmp_path / 'none'), 'xivo-a')


def test_a_wazo_user_item_is_compared_on_the_identity_it_holds():
    # Observed on Wazo 26.08: GET /users/<uuid> shows "username": null for an imported user
    # (the login lives in wazo-auth); on XiVO 16.15 the item holds the username.
    from ansible_collections.xivo.confd.plugins.module_utils.platform import platform_named
    target = user_rollback.Target('U', created_with={'firstname': 'Zoé', 'username': 'zmartin'})
    item = {'uuid': 'U', 'firstname': 'Zoé', 'username': None}
    assert rollback_checks.differences(target, item, platform_named('wazo').item_identity) == []
    assert rollback_checks.differences(target, item, platform_named('xivo').item_identity) == [
        "username is now '' (created as 'zmartin')"]
