# -*- coding: utf-8 -*-
"""The requests one import run makes (issue 22): a re-run with nothing to do reads the
server's users once and nothing else (no lock on the server, no evidence); a run that sends
takes the server's lock, then reads the users again under it."""

from __future__ import annotations

import json

from ansible_collections.xivo.confd.plugins.module_utils import import_run
from ansible_collections.xivo.confd.tests.unit.plugins.module_utils.scripted_confd import (
    ImportingServer)

CSV = ('firstname,lastname,exten,context,line_protocol,username,password\n'
       'Jean,Dupont,1001,default,sip,jdupont,Secret-1001\n')


class CountingServer(ImportingServer):
    """A server holding Jean (or no one), which records every request made through it."""

    def __init__(self, with_jean):
        super().__init__()
        self.requests = []
        self.users = [dict(uuid='old-1', firstname='Jean', lastname='Dupont', exten='1001',
                           context='default', username='jdupont', line_protocol='sip')] \
            if with_jean else []

    def create_call_permission(self, body):
        self.requests.append(('POST', '/callpermissions'))
        return super().create_call_permission(body)

    def list(self, collection, acl, **params):
        self.requests.append(('GET', '/' + collection))
        return super().list(collection, acl, **params)

    def delete_call_permission(self, perm_id):
        self.requests.append(('DELETE', '/callpermissions/%s' % perm_id))
        return super().delete_call_permission(perm_id)

    def export_users(self):
        self.requests.append(('GET', '/users/export'))
        return super().export_users()

    def read(self, path, what, acl, params=None):
        self.requests.append(('GET', path))
        return super().read(path, what, acl, params)

    def import_csv(self, body, update=False):
        self.requests.append(('POST', '/users/import'))
        return super().import_csv(body, update)


def run(tmp_path, server, **options):
    src = tmp_path / 'users.csv'
    src.write_text(CSV)
    report = tmp_path / 'report.json'
    result = import_run.ImportRun(server, str(src), dict(
        dict(report_dest=str(report), lock_dir=str(tmp_path / 'locks'), preflight=False),
        **options), host='h').run()
    return result, json.loads(report.read_text())


def test_a_rerun_with_nothing_to_do_reads_no_rollback_evidence(tmp_path):
    server = CountingServer(with_jean=True)
    result, report = run(tmp_path, server)
    assert result['summary']['unchanged'] == 1 and not result['changed'], result
    # One export: no lock on the server (nothing is written), neither the server's identity
    # nor its highest user id, which only a rollback of users the run sent needs.
    assert server.requests == [('GET', '/users/export')]
    assert 'server_identity' not in report and 'user_id_before' not in report


def test_a_rerun_with_nothing_to_do_is_not_held_up_by_another_runs_lock(tmp_path):
    server = CountingServer(with_jean=True)
    server.lock = dict(id=9, name='xivo-confd-import-lock', description='another run')
    result, dummy = run(tmp_path, server)
    assert result['summary']['unchanged'] == 1 and not result.get('failed'), result
    assert server.lock['id'] == 9      # left alone


def test_a_run_that_sends_reads_the_users_again_under_the_servers_lock(tmp_path):
    server = CountingServer(with_jean=False)
    result, dummy = run(tmp_path, server)
    assert result['summary']['created'] == 1, result
    locked = server.requests.index(('POST', '/callpermissions'))
    sent = server.requests.index(('POST', '/users/import'))
    assert server.requests[:locked] == [('GET', '/users/export')]
    assert ('GET', '/users/export') in server.requests[locked:sent]
    assert server.lock is None          # released


class FinishedMeanwhile(CountingServer):
    """Another run creates Jean between this run's first read and its lock."""

    def create_call_permission(self, body):
        if not self.users:
            self.users.append(dict(uuid='other-1', firstname='Jean', lastname='Dupont',
                                   exten='1001', context='default', username='jdupont',
                                   line_protocol='sip'))
        return super().create_call_permission(body)


def test_rows_another_run_imported_before_the_lock_are_not_sent_again(tmp_path):
    server = FinishedMeanwhile(with_jean=False)
    result, dummy = run(tmp_path, server)
    assert ('POST', '/users/import') not in server.requests
    assert [u['uuid'] for u in server.users] == ['other-1']
    assert result['summary']['unchanged'] == 1 and result['summary']['created'] == 0, result


def test_a_run_that_sends_rows_reads_the_evidence_before_it_sends(tmp_path):
    server = CountingServer(with_jean=False)
    result, report = run(tmp_path, server)
    assert result['summary']['created'] == 1, result
    sent = server.requests.index(('POST', '/users/import'))
    assert ('GET', '/infos') in server.requests[:sent]
    assert ('GET', '/users') in server.requests[:sent]
    assert report['server_identity']['uuid'] == 'server-1' and report['user_id_before'] == 7


def test_check_mode_reads_no_evidence(tmp_path):
    server = CountingServer(with_jean=False)
    src = tmp_path / 'users.csv'
    src.write_text(CSV)
    result = import_run.ImportRun(server, str(src), dict(
        report_dest=str(tmp_path / 'report.json'), lock_dir=str(tmp_path / 'locks'),
        preflight=False), host='h', check_mode=True).run()
    assert result['summary']['would_create'] == 1, result
    assert not [r for r in server.requests if r[1] in ('/infos', '/users')]


class ChangedBeforeTheLock(CountingServer):
    """Someone else's user appears between this run's first read and its lock: the run plans
    again from the read under the lock."""

    def create_call_permission(self, body):
        if not any(u['uuid'] == 'other-9' for u in self.users):
            self.users.append(dict(uuid='other-9', firstname='Zoe', lastname='Other',
                                   exten='1900', context='default', username='zother',
                                   line_protocol='sip'))
        return super().create_call_permission(body)


def test_a_row_the_operator_fixed_is_matched_once_when_the_run_plans_twice(tmp_path):
    server = ChangedBeforeTheLock(with_jean=False)
    server.users.append(dict(uuid='fixed-1', firstname='Anne', lastname='Fixed', exten='1002',
                             context='default', username='afixed', line_protocol='sip'))
    conversion = dict(src=str(tmp_path / 'legacy.csv'), row_lines=[[2, 1]], invalid_lines=[[3, 1]],
                      invalid_rows=[dict(line=3, column='exten', reason='not a number')])
    fixed = {3: dict(uuid='fixed-1', note='fixed in the file to fix and imported')}
    result, dummy = run(tmp_path, server, conversion=conversion, fixed_rows=fixed)
    assert server.requests.count(('GET', '/users/export')) >= 2      # planned twice
    (line3,) = [u for u in result['users'] if u['line'] == 3]
    assert line3['status'] == 'unchanged', line3
    assert line3['warnings'].count('fixed in the file to fix and imported') == 1, line3
