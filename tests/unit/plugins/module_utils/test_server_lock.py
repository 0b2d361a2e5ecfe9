# -*- coding: utf-8 -*-
"""One import at a time into one server: the lock between runs, forks and threads."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from ansible_collections.xivo.confd.plugins.module_utils.server_lock import (
    ServerBusy, ServerLock, server_identity)


def test_the_same_server_by_two_names_has_one_identity():
    assert server_identity('localhost', 9486) == server_identity('127.0.0.1', 9486)
    assert server_identity('127.0.0.1', 9486) != server_identity('127.0.0.1', 9487)
    assert server_identity('127.0.0.2', 9486) != server_identity('127.0.0.3', 9486)
    # The tenants of a Wazo server are apart: a lock each (the same tenant in another case is one).
    assert server_identity('127.0.0.2', 443, 'tenant-a') != server_identity('127.0.0.2', 443, 'tenant-b')
    assert server_identity('127.0.0.1', 443, 'Tenant-A') == server_identity('localhost', 443, 'tenant-a')
    assert server_identity('127.0.0.2', 443, None) == server_identity('127.0.0.2', 443)


def test_a_second_import_into_the_same_server_is_refused_naming_the_first(tmp_path):
    with ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path), owner='xivo-a, users.csv'):
        with pytest.raises(ServerBusy) as error:
            ServerLock('localhost', 9486, lock_dir=str(tmp_path)).acquire()
        assert 'another import into 127.0.0.1:9486' in str(error.value)
        assert 'xivo-a, users.csv' in str(error.value) and 'nothing was sent' in str(error.value)
        # Another server is free.
        with ServerLock('127.0.0.2', 9486, lock_dir=str(tmp_path)):
            pass
    with ServerLock('localhost', 9486, lock_dir=str(tmp_path)):
        pass  # released


def test_threads_of_one_process_exclude_each_other(tmp_path):
    inside = []
    errors = []

    def work():
        try:
            with ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path), timeout=5, poll=0.01):
                inside.append(1)
                assert len(inside) == 1
                inside.pop()
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)
    threads = [threading.Thread(target=work) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def _hold(path, ready, release):
    with ServerLock('127.0.0.1', 9486, lock_dir=path):
        ready.set()
        release.wait(10)


def test_another_process_holding_the_lock_is_waited_for_then_refused(tmp_path):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        clock = {'now': 0.0}

        def sleep(seconds):
            clock['now'] += seconds
        lock = ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path), timeout=3, poll=1,
                          sleep=sleep, clock=lambda: clock['now'])
        with pytest.raises(ServerBusy, match='after waiting 3s'):
            lock.acquire()
        assert clock['now'] == 3
        assert 'process %d' % holder.pid in str(ServerLock(
            '127.0.0.1', 9486, lock_dir=str(tmp_path))._busy_message(lock.holder()))
    finally:
        release.set()
        holder.join(10)
    with ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path)):
        pass
