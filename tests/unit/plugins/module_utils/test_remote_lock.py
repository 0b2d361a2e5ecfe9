# -*- coding: utf-8 -*-
"""The lock kept on the server: its description, its holder, its age, and the acquire/release
logic against an in-memory stand-in of confd's call permissions (no network)."""

from __future__ import annotations

import calendar
import time

import pytest

from ansible_collections.xivo.confd.plugins.module_utils.confd_client import (
    ConfdAuthRefused, ConfdCredentialsRefused, ConfdError, ConfdResponse, ConfdUncertain)
from ansible_collections.xivo.confd.plugins.module_utils.lock_holder import (
    describe_holder, format_age, holder_text, lock_age, parse_holder)
from ansible_collections.xivo.confd.plugins.module_utils.remote_lock import (
    LOCK_NAME, RemoteLock, ServerLockBusy, ServerLockError, check_mode_value)

NOW = calendar.timegm((2026, 12, 7, 21, 0, 0))


class CallPermissions:
    """confd 16.15's call permissions as observed: names unique (400 already exists), ids from a
    sequence, DELETE 204 then 404; ``refuse`` = the ACL is missing (confd answers 401)."""

    def __init__(self):
        self.items = {}
        self.next_id = 1
        self.host, self.port = '127.0.0.9', 9486
        self.reached = None     # ConfdClient.reached: None until the platform is known
        self.refuse = set()
        self.lose_answer = False
        self.requests = []
        self.on_post = None

    def create_call_permission(self, body):
        self.requests.append(('POST', body['name']))
        if 'create' in self.refuse:
            raise ConfdAuthRefused('confd refused the call permission creation (401): the '
                                   'credentials may lack the ACL confd.callpermissions.create')
        if 'broken' in self.refuse:
            raise ConfdError('confd at 127.0.0.9:9486 answered 500 to the call permission creation')
        if 'password' in self.refuse:
            raise ConfdCredentialsRefused("xivo-auth at 127.0.0.9:9497 refused the credentials of "
                                          "user 'admin' for backend 'xivo_service' (401).")
        if self.on_post:
            self.on_post()
        if any(i['name'] == body['name'] for i in self.items.values()):
            text = '["Resource Error - CallPermission already exists (\'name\': u\'%s\')"]' % body['name']
            return ConfdResponse(400, [text[2:-2]], text)
        item = dict(body, id=self.next_id, extensions=[], password=None)
        self.items[item['id']] = item
        self.next_id += 1
        if self.lose_answer:
            raise ConfdUncertain('the connection was lost during the call permission creation')
        return ConfdResponse(201, dict(item), '')

    def list(self, collection, acl, **params):
        self.requests.append(('GET', params.get('name')))
        if 'read' in self.refuse:
            raise ConfdAuthRefused('confd refused the list of callpermissions (401): the '
                                   'credentials may lack the ACL %s' % acl)
        found = [dict(i) for i in self.items.values() if i['name'] == params.get('name')]
        return len(found), found

    def delete_call_permission(self, perm_id):
        self.requests.append(('DELETE', perm_id))
        if self.items.pop(perm_id, None) is None:
            return ConfdResponse(404, ["Resource Not Found - CallPermission was not found ('id': %d)"
                                       % perm_id], '')
        return ConfdResponse(204, None, '')


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def a_lock(server, clock=None, **kw):
    clock = clock or Clock()
    kw.setdefault('controller', 'awx-job-42')
    kw.setdefault('pid', 4242)
    kw.setdefault('user', 'runner')
    return RemoteLock(server, run_id=kw.pop('run_id', '20261207T210000.000Z-aaaaaa'),
                      sleep=clock.sleep, clock=clock, now=lambda: NOW + clock.t, **kw)


def test_the_description_names_the_holder_and_parses_back():
    text = describe_holder('import', '20261207T205959.123Z-abc', 'awx job=7 node', 12, 'ops user',
                           NOW - 90, 'f00d')
    assert text == ('xivo.confd lock: what=import run=20261207T205959.123Z-abc controller=awx_job_7_node '
                    'pid=12 user=ops_user since=2026-12-07T20:58:30Z token=f00d')
    fields = parse_holder(text)
    assert fields == dict(what='import', run='20261207T205959.123Z-abc', controller='awx_job_7_node',
                          pid='12', user='ops_user', since='2026-12-07T20:58:30Z', token='f00d')
    assert parse_holder('made by hand') == {} and parse_holder(None) == {}


def test_the_age_of_a_lock():
    assert lock_age('2026-12-07T20:58:30Z', NOW) == 90
    assert lock_age('2026-12-07T21:00:05Z', NOW) == 0     # a controller's clock ahead
    assert lock_age('yesterday', NOW) is None and lock_age(None, NOW) is None
    assert [format_age(s) for s in (None, 5, 119, 600, 7300, 3 * 86400)] == \
        ['age unknown', '5 s', '119 s', '10 min', '2 h 1 min', '3 days']


def test_holder_text_for_ours_and_for_a_foreign_object():
    item = dict(id=7, name=LOCK_NAME, description=describe_holder(
        'rollback', 'r1', 'ctl', 5, 'u', NOW - 3 * 3600, 't'))
    text = holder_text(item, NOW)
    assert text == ('rollback run r1 from controller ctl (process 5, user u), since '
                    '2026-12-07T18:00:00Z (3 h 0 min ago; lock object: call permission %s id 7)'
                    % LOCK_NAME)
    foreign = holder_text(dict(id=3, name=LOCK_NAME, description='mine'), NOW)
    assert 'not made by this collection' in foreign and "'mine'" in foreign


def test_taken_then_released_leaves_nothing():
    server = CallPermissions()
    with a_lock(server) as lock:
        (item,) = list(server.items.values())
        assert (item['name'], item['enabled'], item['mode']) == (LOCK_NAME, False, 'deny')
        assert parse_holder(item['description'])['controller'] == 'awx-job-42'
        assert lock.lock_id == item['id']
    assert server.items == {} and not lock.warnings


def test_released_on_an_exception_too():
    server = CallPermissions()
    with pytest.raises(KeyboardInterrupt):
        with a_lock(server):
            raise KeyboardInterrupt()
    assert server.items == {}


def test_a_second_run_is_refused_naming_the_first_and_its_age():
    server = CallPermissions()
    with a_lock(server, controller='node-a', run_id='run-a'):
        clock = Clock()
        clock.t = 65
        with pytest.raises(ServerLockBusy) as busy:
            a_lock(server, clock, controller='node-b').acquire()
        message = str(busy.value)
        assert 'another import into 127.0.0.9:9486 holds its lock on the server' in message
        assert 'run run-a from controller node-a (process 4242, user runner)' in message
        assert '(65 s ago' in message and 'nothing was sent' in message and 'break_lock' in message
        assert len(server.items) == 1      # the refused run removed nothing
    assert server.items == {}


def test_a_second_run_waits_up_to_lock_timeout_then_takes_it():
    server = CallPermissions()
    first = a_lock(server, run_id='first').acquire()
    clock = Clock()
    posts = []

    def release_on_third_try():
        posts.append(1)
        if len(posts) == 3:
            first.release()
    server.on_post = release_on_third_try
    second = a_lock(server, clock, timeout=30, poll=2, run_id='second').acquire()
    assert clock.t == 4 and len(posts) == 3
    assert parse_holder(server.items[second.lock_id]['description'])['run'] == 'second'
    second.release()
    assert server.items == {}


def test_waiting_is_bounded_and_stops_when_the_playbook_is_interrupted():
    server = CallPermissions()
    a_lock(server, run_id='held').acquire()
    clock = Clock()
    with pytest.raises(ServerLockBusy) as busy:
        a_lock(server, clock, timeout=10, poll=3).acquire()
    assert clock.t == 10 and 'after waiting 10s' in str(busy.value)
    clock = Clock()
    with pytest.raises(ServerLockBusy) as busy:
        a_lock(server, clock, timeout=600, should_stop=lambda: 'the playbook was interrupted (SIGINT)').acquire()
    assert clock.t == 0 and 'stopped waiting (the playbook was interrupted (SIGINT))' in str(busy.value)


def test_a_stale_lock_is_broken_only_when_asked_and_said_so():
    server = CallPermissions()
    stale = a_lock(server, controller='dead-node', run_id='dead').acquire()
    stale_id = stale.lock_id
    with pytest.raises(ServerLockBusy):
        a_lock(server).acquire()
    assert list(server.items) == [stale_id]
    with a_lock(server, break_lock=True, run_id='rescue') as lock:
        assert stale_id not in server.items and len(server.items) == 1
        (warning,) = lock.warnings
        assert 'break_lock: removed the import lock of 127.0.0.9:9486 held by import run dead from ' \
               'controller dead-node' in warning
    assert server.items == {}
    # The run whose lock was broken finds it gone and removes nothing else's.
    other = a_lock(server, run_id='other').acquire()
    stale.release()
    assert list(server.items) == [other.lock_id]
    assert 'removed by someone else' in stale.warnings[0]


def test_break_lock_breaks_the_holder_seen_first_only():
    server = CallPermissions()
    a_lock(server, run_id='dead').acquire()
    late = {}

    def another_run_takes_it():
        if len([r for r in server.requests if r[0] == 'POST']) == 3:
            late['lock'] = a_lock(server, run_id='alive').acquire()
    server.on_post = another_run_takes_it
    with pytest.raises(ServerLockBusy) as busy:
        a_lock(server, break_lock=True).acquire()
    assert 'run alive' in str(busy.value)
    assert [parse_holder(i['description'])['run'] for i in server.items.values()] == ['alive']


def test_release_never_deletes_another_object():
    server = CallPermissions()
    lock = a_lock(server).acquire()
    # Someone removed ours and a new run took the name: same name, another id and description.
    server.items.clear()
    server.on_post = None
    newer = a_lock(server, run_id='newer').acquire()
    lock.release()
    assert list(server.items) == [newer.lock_id]
    assert ('DELETE', newer.lock_id) not in server.requests


def test_a_lost_answer_is_settled_by_the_description():
    server = CallPermissions()
    server.lose_answer = True
    lock = a_lock(server).acquire()
    assert lock.lock_id in server.items
    server.lose_answer = False
    lock.release()
    assert server.items == {}


def test_missing_acls_name_them_and_the_local_option():
    server = CallPermissions()
    server.refuse.add('create')
    with pytest.raises(ServerLockError) as refused:
        a_lock(server).acquire()
    message = str(refused.value)
    assert 'confd.callpermissions.create' in message and 'server_lock: local' in message
    assert isinstance(refused.value, ConfdAuthRefused)    # reported as the credentials' refusal
    server.refuse = {'read'}
    a_lock(server, run_id='held').acquire()
    with pytest.raises(ServerLockError) as refused:
        a_lock(server).acquire()
    assert 'cannot read the import lock' in str(refused.value)


def test_other_failures_say_what_happened_without_blaming_the_acls():
    server = CallPermissions()
    server.refuse.add('broken')
    with pytest.raises(ServerLockError) as failed:
        a_lock(server).acquire()
    assert 'cannot take the import lock on 127.0.0.9:9486' in str(failed.value)
    assert 'answered 500' in str(failed.value) and 'ACL' not in str(failed.value)
    assert not isinstance(failed.value, ConfdAuthRefused)


def test_the_mode_values():
    check_mode_value('required')
    check_mode_value('local')
    with pytest.raises(ConfdError):
        check_mode_value('off')


def test_the_clock_is_utc(monkeypatch):
    # A controller in another time zone writes and reads the same UTC time.
    monkeypatch.setenv('TZ', 'America/New_York')
    time.tzset()
    try:
        text = describe_holder('import', 'r', 'c', 1, 'u', 1700000000, 't')
        assert parse_holder(text)['since'] == '2023-11-14T22:13:20Z'
        assert lock_age(parse_holder(text)['since'], 1700000000 + 42) == 42
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_lock_left_by_a_lost_answer_is_removed_by_the_next_run_of_this_controller(tmp_path):
    server = CallPermissions()
    server.lose_answer = True
    failing_list = server.list

    def unreadable(*args, **kw):
        raise ConfdUncertain('the list of callpermissions timed out after 0.3s')
    server.list = unreadable
    with pytest.raises(ServerLockError):
        a_lock(server, pending_dir=str(tmp_path), run_id='lost').acquire()
    (left,) = list(server.items.values())        # committed, its answer lost, never released
    server.lose_answer = False
    server.list = failing_list
    # Another controller (another pending directory) must not take it for its own.
    with pytest.raises(ServerLockBusy):
        a_lock(server, pending_dir=str(tmp_path / 'other')).acquire()
    with a_lock(server, pending_dir=str(tmp_path), run_id='next') as lock:
        assert left['id'] not in server.items
        assert 'a previous run of this controller could not release' in lock.warnings[0]
        assert 'run lost' in lock.warnings[0]
    assert server.items == {} and not list(tmp_path.glob('*.server-lock-left'))


def test_the_memory_of_a_lost_lock_that_never_reached_the_server_is_cleared(tmp_path):
    # The creation's answer was lost and the lock was not committed after all (found by the
    # Wazo reliability runs: every request timing out): the next lock taken clears the memory.
    server = CallPermissions()

    def lost(body):
        raise ConfdUncertain('the connection was lost during the call permission creation')
    created, server.create_call_permission = server.create_call_permission, lost
    with pytest.raises(ConfdError):
        a_lock(server, pending_dir=str(tmp_path), run_id='lost').acquire()
    assert server.items == {} and list(tmp_path.glob('*.server-lock-left'))
    server.create_call_permission = created
    with a_lock(server, pending_dir=str(tmp_path), run_id='next'):
        assert not list(tmp_path.glob('*.server-lock-left'))
    assert server.items == {}


def test_wrong_credentials_are_not_blamed_on_the_lock_acls():
    server = CallPermissions()
    server.refuse.add('password')
    with pytest.raises(ConfdCredentialsRefused) as refused:
        a_lock(server).acquire()
    assert 'ACL' not in str(refused.value) and 'lock' not in str(refused.value)
    assert not server.items


def test_messages_name_the_server_as_reached_its_memory_the_address_given(tmp_path):
    # platform auto found Wazo on 443 (its port given before the probe was XiVO's 9486): the
    # lock's messages name 443, as the run's report does; the memory of a lock left keeps the
    # name its file has always had.
    server = CallPermissions()
    server.reached = '127.0.0.9:443'
    with a_lock(server, run_id='first'):
        with pytest.raises(ServerLockBusy) as busy:
            a_lock(server).acquire()
    assert 'another import into 127.0.0.9:443 holds its lock' in str(busy.value)
    server.lose_answer = True
    server.list = lambda *args, **kw: (0, [])
    with pytest.raises(ServerLockError) as lost:
        a_lock(server, pending_dir=str(tmp_path)).acquire()
    assert 'on 127.0.0.9:443' in str(lost.value)
    assert [p.name for p in tmp_path.glob('*.server-lock-left')] == [
        '127.0.0.9_9486.server-lock-left']
