# -*- coding: utf-8 -*-
"""The rollback's runner without a server: what it undoes when a run created nothing on a
host, its lock modes, its message and the names of its reports."""

from __future__ import annotations

import json
import os

from ansible_collections.xivo.confd.plugins.module_utils import rollback_run


class NoServer:
    """A client that must not be asked anything: the run created nothing on this host."""

    host, port, secrets = '127.0.0.1', 9486, set()
    reached = None      # what the client knows of where it is, without asking

    def __getattr__(self, name):
        raise AssertionError('the server was asked %s' % name)


def fleet_run(tmp_path, host):
    directory = tmp_path / 'runs' / '20260101T000000Z-aaaaaa'
    directory.mkdir(parents=True)
    (directory / ('%s.json' % host)).write_text(json.dumps(
        {'run_id': '20260101T000000Z-aaaaaa', 'users': []}))
    return str(tmp_path)


def test_a_host_where_the_run_created_nothing_is_left_alone_and_local_mode_says_so(tmp_path):
    reports = fleet_run(tmp_path, 'other-host')
    rollback = rollback_run.RollbackRun(
        NoServer(), dict(from_report_dir=reports, server_lock='local',
                         report_dir=str(tmp_path / 'rollbacks')), 'xivo-a', '127.0.0.1:9486')
    out = rollback.run()
    assert out['msg'] == 'run 20260101T000000Z-aaaaaa created nothing here: nothing removed'
    assert out['changed'] is False and out['users'] == [] and out['requests'] == 0
    assert [w for w in rollback.warnings if 'server_lock is local' in w]
    assert not os.path.exists(str(tmp_path / 'rollbacks'))


def test_check_mode_takes_no_lock_at_all(tmp_path):
    rollback = rollback_run.RollbackRun(
        NoServer(), dict(from_report_dir=fleet_run(tmp_path, 'other-host')), 'xivo-a',
        '127.0.0.1:9486', check_mode=True)
    assert rollback.run()['changed'] is False
    assert rollback.warnings == []


class Target:

    def __init__(self, number):
        self.key, self.uuid, self.name = 'k%d' % number, 'U%d' % number, 'N %d' % number
        self.error = 'refused'


def test_the_message_names_the_mode_the_counts_and_at_most_twenty_users_kept():
    summary = dict(removed=1, would_remove=2, conflict=25, absent=0, failed=0)
    text = rollback_run.rollback_message('R1', summary, False, [Target(n) for n in range(25)])
    assert text.startswith('run R1: removed 1, kept 25 (conflicts), 0 already gone, 0 failed. '
                           'Not removed: k0 (N 0): refused; k1')
    assert 'k19 (N 19)' in text and 'k20 ' not in text
    assert text.endswith('... and 5 more (see the users result)')
    assert rollback_run.rollback_message(None, summary, True).startswith('would remove 2, ')


def test_each_rollback_has_its_own_report_and_the_latest_of_its_host(tmp_path):
    own, latest = rollback_run.rollback_report_paths(str(tmp_path), 'xivo a/b', 'R1')
    assert os.path.dirname(own) == os.path.dirname(latest) == str(tmp_path)
    assert own.endswith('-run-R1-%s.json' % os.path.basename(latest)[len('latest-'):-5])
    assert os.path.basename(latest).startswith('latest-') and latest.endswith('.json')
