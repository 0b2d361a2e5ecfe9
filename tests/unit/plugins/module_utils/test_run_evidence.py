# -*- coding: utf-8 -*-
"""What an import records for a rollback (issue #20): the server's identity, a digest per
created user, the values compared; and the rollback's checks of a report entry."""

from __future__ import annotations

import json

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import (
    import_run, rollback_checks, run_evidence, user_rollback)
from ansible_collections.xivo.confd.tests.unit.plugins.module_utils.scripted_confd import (
    ImportingServer, ScriptedXivoServer)
from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdError, ConfdResponse)

IDS = {'user_id': 12, 'user_uuid': 'U12', 'line_id': 7, 'sip_id': 3, 'extension_id': 34,
       'voicemail_id': None}
VALUES = {'firstname': 'Alice', 'lastname': 'Smith', 'mobile_phone_number': '0600',
          'ring_seconds': '30'}


class Client(ScriptedXivoServer):

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def read(self, path, what, acl, params=None):
        self.asked.append((path, acl, params))
        answer = self.answers[path]
        if isinstance(answer, Exception):
            raise answer
        return ConfdResponse(answer[0], answer[1], '')


def test_the_identity_is_the_uuid_of_infos_and_never_fails_the_import():
    identity = run_evidence.read_identity(Client({'/infos': (200, {'uuid': 'S1'})}))
    assert identity == dict(uuid='S1', platform='xivo', tenant=None, api='https://127.0.0.1:9486')
    refused = run_evidence.read_identity(Client({'/infos': ConfdError('no ACL confd.infos.read')}))
    assert refused['uuid'] is None and 'confd.infos.read' in refused['error']
    assert run_evidence.read_identity(Client({'/infos': (404, {})}))['uuid'] is None


def test_the_highest_user_id_is_one_cheap_read():
    client = Client({'/users': (200, {'items': [{'id': 41}], 'total': 3})})
    assert run_evidence.highest_user_id(client) == 41
    assert client.asked[0][2] == {'order': 'id', 'direction': 'desc', 'limit': 1}
    assert run_evidence.highest_user_id(Client({'/users': (200, {'items': []})})) == 0
    assert run_evidence.highest_user_id(Client({'/users': ConfdError('x')})) is None


def test_a_snapshot_holds_no_secret_and_every_change_is_named():
    row = dict(VALUES, password='s3cret', sip_secret='x', uuid='U12', provisioning_code='123456',
               email='')
    snap = run_evidence.snapshot(row)
    assert snap == VALUES
    assert run_evidence.changed_columns(snap, dict(row)) == []
    assert run_evidence.changed_columns(snap, dict(row, ring_seconds='20', email='a@b.c',
                                                   password='other')) == ['email', 'ring_seconds']


def test_the_digest_covers_the_uuid_the_ids_and_the_values():
    base = run_evidence.digest('U12', IDS, VALUES)
    assert base == run_evidence.digest('U12', dict(IDS), dict(VALUES))
    assert base != run_evidence.digest('U13', IDS, VALUES)
    assert base != run_evidence.digest('U12', dict(IDS, user_id=2), VALUES)
    assert base != run_evidence.digest('U12', IDS, dict(VALUES, lastname='Jones'))


def test_a_report_is_used_only_on_the_server_it_describes():
    report = {'host': 'xivo-a', 'run_id': 'R1',
              'server_identity': {'uuid': 'S1', 'api': 'https://10.0.0.1:9486'}}
    assert run_evidence.check_identity(report, {'uuid': 'S1'}) is None
    with pytest.raises(ConfdError, match='describes another server: host xivo-a, API '
                                         'https://10.0.0.1:9486, run R1 .uuid S1.'):
        run_evidence.check_identity(report, {'uuid': 'S2', 'api': 'https://b:9486'},
                                    accept_unverified=True)
    with pytest.raises(ConfdError, match='cannot be read'):
        run_evidence.check_identity(report, {'uuid': None, 'error': 'no ACL'})
    old = {'host': 'xivo-a', 'run_id': 'R0', 'users': []}
    with pytest.raises(ConfdError, match='records no server identity.*nothing was removed'):
        run_evidence.check_identity(old, {'uuid': 'S1'})
    assert 'used unverified' in run_evidence.check_identity(old, {'uuid': 'S1'},
                                                            accept_unverified=True)


def entry(**changes):
    values = dict(uuid='U12', ids=dict(IDS), created_with=dict(VALUES))
    values['digest'] = run_evidence.digest(values['uuid'], values['ids'], values['created_with'])
    values.update(status='created', name='Alice Smith')
    values.update(changes)
    return values


def problems(report_entry, **report):
    report = dict(dict(evidence_version=1, user_id_before=10), **report)
    target, = user_rollback.targets_from_report(dict(report, users=[report_entry]))
    return rollback_checks.evidence_problems(target, report)


def test_an_entry_edited_or_added_by_hand_is_not_what_the_run_recorded():
    assert problems(entry()) == []
    # Another user's uuid put in an entry of the run.
    assert 'edited after the run' in problems(entry(uuid='U3'))[0]
    # An added entry without the run's record of it.
    added = dict(status='created', uuid='U3', name='Old Timer')
    assert problems(added) == [
        'its report entry has no digest: it was not written by the run',
        'its report entry holds no id returned by confd at its creation']
    # Copied ids and values with a digest computed again: the user is older than the run.
    forged = entry(uuid='U3', ids=dict(IDS, user_id=4, user_uuid='U3'))
    forged['digest'] = run_evidence.digest('U3', forged['ids'], forged['created_with'])
    assert problems(forged) == ['user id 4 existed before the run (the highest user id was 10 '
                                'when the run started)']
    # A report written before entries had a digest: only what it has is checked.
    old = entry()
    del old['digest']
    target, = user_rollback.targets_from_report({'users': [old]})
    assert rollback_checks.evidence_problems(target, {'users': [old]}) == []


def test_value_changes_name_the_columns_not_their_values():
    target, = user_rollback.targets_from_report({'users': [entry()]})
    now = dict(VALUES, mobile_phone_number='0611', ring_seconds='20', password='secret')
    assert rollback_checks.value_changes(target, now) == [
        'changed since the run: mobile_phone_number, ring_seconds']
    assert rollback_checks.value_changes(target, dict(VALUES)) == []


def test_values_known_only_from_the_file_compare_only_the_files_columns():
    sent = {'firstname': 'Alice', 'lastname': 'Smith'}
    report_entry = entry(created_with=sent, values_from='file')
    report_entry['digest'] = run_evidence.digest('U12', IDS, sent)
    target, = user_rollback.targets_from_report({'users': [report_entry]})
    now = dict(sent, ring_seconds='30', language='fr_FR')
    assert rollback_checks.value_changes(target, now) == []
    assert rollback_checks.value_changes(target, dict(now, lastname='Jones')) == [
        'changed since the run: lastname']
    snapshot, = user_rollback.targets_from_report({'users': [dict(report_entry, values_from=None)]})
    assert rollback_checks.value_changes(snapshot, now) == [
        'changed since the run: language, ring_seconds']


def test_an_import_report_records_the_server_and_what_the_run_created(tmp_path):
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,exten,context,line_protocol,username,password\n'
                   'Jean,Dupont,1001,default,sip,jdupont,Secret-1001\n')
    report_path = tmp_path / 'report.json'
    server = ImportingServer()
    result = import_run.ImportRun(server, str(src), dict(
        report_dest=str(report_path), lock_dir=str(tmp_path / 'locks'), preflight=False),
        host='h').run()
    assert result['summary']['created'] == 1, result
    report = json.loads(report_path.read_text())
    assert report['server_identity'] == dict(
        uuid='server-1', platform='xivo', tenant=None, api='https://127.0.0.1:9486')
    assert report['user_id_before'] == 7 and report['evidence_version'] == 1
    jean, = report['users']
    # What the server showed after the run (ring_seconds it chose), never the password.
    assert jean['created_with']['ring_seconds'] == '30' and 'password' not in jean['created_with']
    assert jean['digest'] == run_evidence.digest('new-1', jean['ids'], jean['created_with'])
    assert 'Secret-1001' not in report_path.read_text()
    target, = user_rollback.targets_from_report(report)
    assert rollback_checks.evidence_problems(target, report) == []


def test_when_the_server_cannot_be_read_back_the_report_says_its_values_are_the_files(tmp_path):
    src = tmp_path / 'users.csv'
    src.write_text('firstname,lastname,exten,context,line_protocol,username,password\n'
                   'Jean,Dupont,1001,default,sip,jdupont,Secret-1001\n')
    report_path = tmp_path / 'report.json'
    result = import_run.ImportRun(ImportingServer(export_after=False), str(src), dict(
        report_dest=str(report_path), lock_dir=str(tmp_path / 'locks'), preflight=False),
        host='h').run()
    assert any('could not be read back' in w for w in result['warnings']), result
    jean, = json.loads(report_path.read_text())['users']
    assert jean['values_from'] == 'file' and 'ring_seconds' not in jean['created_with']
