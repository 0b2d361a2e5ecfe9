# -*- coding: utf-8 -*-
"""The local lock lives where only the running user can write, never follows a link nor
truncates on open, and leaves no file behind."""

from __future__ import annotations

import os
import threading

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import server_lock
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import (
    ServerLock, UnsafeLockDirectory)


def test_the_default_lock_directory_is_private_to_the_user_not_in_the_shared_tmp(
        tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv('TMPDIR', str(tmp_path / 'tmp'))
    lock = ServerLock('127.0.0.1', 9486)
    assert lock.lock_dir == str(tmp_path / '.ansible' / 'xivo.confd' / 'locks')
    with lock:
        info = os.stat(lock.lock_dir)
        assert info.st_uid == os.geteuid() and info.st_mode & 0o777 == 0o700
    assert os.listdir(lock.lock_dir) == []          # released: no file left per server


def test_a_lock_directory_others_can_write_or_a_link_is_refused(tmp_path):
    shared = tmp_path / 'locks'
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    with pytest.raises(UnsafeLockDirectory, match='mode 0777'):
        ServerLock('127.0.0.1', 9486, lock_dir=str(shared)).acquire()
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir(mode=0o700)
    (tmp_path / 'link').symlink_to(elsewhere)
    with pytest.raises(UnsafeLockDirectory, match='symbolic link'):
        ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path / 'link')).acquire()
    assert os.listdir(str(elsewhere)) == []
    if os.geteuid() == 0:
        other = tmp_path / 'other'
        other.mkdir(mode=0o700)
        os.chown(str(other), 4242, -1)
        with pytest.raises(UnsafeLockDirectory, match='belongs to uid 4242'):
            ServerLock('127.0.0.1', 9486, lock_dir=str(other)).acquire()


def test_a_link_planted_at_the_lock_file_is_neither_followed_nor_truncated(tmp_path):
    locks = tmp_path / 'locks'
    locks.mkdir(mode=0o700)
    victim = tmp_path / 'victim.txt'
    victim.write_text('precious\n')
    lock = ServerLock('127.0.0.1', 9486, lock_dir=str(locks))
    os.symlink(str(victim), lock.path)
    with pytest.raises(UnsafeLockDirectory, match='symbolic link'):
        lock.acquire()
    assert victim.read_text() == 'precious\n'


def test_lock_files_are_removed_without_ever_letting_two_holders_in(tmp_path):
    """Many threads take and release one server's lock (each release removes the file): at
    no time do two hold it, and no file is left."""
    inside = []
    overlaps = []
    guard = threading.Lock()

    def work():
        for dummy in range(30):
            lock = ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path), timeout=30, poll=0.001)
            with lock:
                with guard:
                    inside.append(1)
                    if len(inside) > 1:
                        overlaps.append(len(inside))
                os.sched_yield()
                with guard:
                    inside.pop()
    threads = [threading.Thread(target=work) for dummy in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [] and os.listdir(str(tmp_path)) == []


def test_a_waiter_that_locked_a_removed_file_opens_the_new_one(tmp_path):
    """The inode check: a lock file removed between open and flock is not a lock."""
    first = ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path))
    handle, directory = first._open()       # opened, not yet locked (a waiter, paused)
    with ServerLock('127.0.0.1', 9486, lock_dir=str(tmp_path)):
        pass                                # another run took it and removed the file
    try:
        assert not first._still_named(handle, directory)
    finally:
        handle.close()
        os.close(directory)
    with first:
        assert os.path.exists(first.path)
    assert not os.path.exists(first.path)


def test_default_lock_dir_is_under_the_private_state_directory(monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    assert server_lock.default_lock_dir().startswith(str(tmp_path / '.ansible'))
