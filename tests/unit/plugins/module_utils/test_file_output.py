# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomic, mode-aware, change-detecting file output."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import file_output as F
from ansible_collections.xivo.confd.plugins.module_utils import temp_files


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_parse_mode():
    assert F.parse_mode('0600') == 0o600
    assert F.parse_mode('644') == 0o644
    assert F.parse_mode('0o640') == 0o640
    assert F.parse_mode(0o600) == 0o600
    assert F.parse_mode(None) == 0o600
    with pytest.raises(ValueError):
        F.parse_mode('rw')
    with pytest.raises(ValueError):
        F.parse_mode('99999')


def test_write_then_unchanged_then_changed(tmp_path):
    dest = str(tmp_path / 'out.csv')
    assert F.write_private_file(dest, 'a,é\n') is True
    assert open(dest, 'rb').read() == 'a,é\n'.encode('utf-8')
    assert mode_of(dest) == 0o600
    assert F.write_private_file(dest, 'a,é\n') is False
    out = F.AtomicOutput(dest, backup=True)
    with out as stream:
        stream.write('b\n')
    assert out.changed and open(out.backup_file).read() == 'a,é\n'
    assert open(dest).read() == 'b\n'
    assert sorted(os.listdir(str(tmp_path))) == sorted(['out.csv', os.path.basename(out.backup_file)])


def test_bytes_are_written_byte_for_byte_whatever_their_encoding(tmp_path):
    # The rows to fix of a legacy file are its own bytes (here Latin-1), never decoded.
    dest = str(tmp_path / 'to-fix.csv')
    data = 'Nom|Prénom\r\nJérôme|Dupré\r\n'.encode('latin-1')
    assert F.write_private_file(dest, data) is True
    assert open(dest, 'rb').read() == data
    assert F.write_private_file(dest, data) is False
    assert F.write_private_file(dest, data, check_mode=True) is False
    assert F.write_private_file(dest, data + b'x', check_mode=True) is True
    assert open(dest, 'rb').read() == data


def test_mode_change_only(tmp_path):
    dest = str(tmp_path / 'out.csv')
    F.write_private_file(dest, 'x')
    out = F.AtomicOutput(dest, mode='0640')
    with out as stream:
        stream.write('x')
    assert out.changed and out.mode_changed and not out.content_changed
    assert mode_of(dest) == 0o640


def test_check_mode_writes_nothing(tmp_path):
    dest = str(tmp_path / 'out.csv')
    out = F.AtomicOutput(dest, check_mode=True)
    with out as stream:
        stream.write('x\n')
    assert out.changed and not os.path.exists(dest) and os.listdir(str(tmp_path)) == []
    F.write_private_file(dest, 'x\n')
    out = F.AtomicOutput(dest, check_mode=True)
    with out as stream:
        stream.write('x\n')
    assert not out.changed
    # writelines, as the conversion writes its pieces of CSV text: the same digest as the file's
    out = F.AtomicOutput(dest, check_mode=True)
    with out as stream:
        stream.writelines(iter(['x', '\n']))
    assert not out.changed and out.digest == F.file_digest(dest)


def test_exception_leaves_dest(tmp_path):
    dest = str(tmp_path / 'out.csv')
    F.write_private_file(dest, 'old')
    with pytest.raises(RuntimeError):
        with F.AtomicOutput(dest) as stream:
            stream.write('new')
            raise RuntimeError('boom')
    assert open(dest).read() == 'old' and os.listdir(str(tmp_path)) == ['out.csv']


def test_missing_directory(tmp_path):
    with pytest.raises(OSError):
        with F.AtomicOutput(str(tmp_path / 'no' / 'x.csv')):
            pass


def test_digest_of_missing_and_of_written(tmp_path):
    assert F.file_digest(str(tmp_path / 'none')) is None
    F.write_private_file(str(tmp_path / 'f'), b'abc')
    assert F.file_digest(str(tmp_path / 'f')) == \
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'


# ---------------------------------------------------------------- same file

def test_same_file_through_links_and_spellings(tmp_path):
    src = tmp_path / 'users.csv'
    src.write_text('x')
    (tmp_path / 'sub').mkdir()
    os.symlink(str(src), str(tmp_path / 'link.csv'))
    os.link(str(src), str(tmp_path / 'hard.csv'))
    assert F.same_file(str(src), str(src))
    assert F.same_file(str(src), str(tmp_path / 'sub' / '..' / 'users.csv'))
    assert F.same_file(str(src), str(tmp_path / 'link.csv'))
    assert F.same_file(str(src), str(tmp_path / 'hard.csv'))
    (tmp_path / 'other.csv').write_text('x')
    assert not F.same_file(str(src), str(tmp_path / 'other.csv'))
    assert not F.same_file(str(src), str(tmp_path / 'missing.csv'))


# ---------------------------------------------------------------- directories

def test_atomic_output_creates_the_directory_only_when_asked(tmp_path):
    dest = tmp_path / 'new' / 'out.csv'
    out = F.AtomicOutput(str(dest), check_mode=True, create_directory=True)
    with out as stream:
        stream.write('x\n')
    assert out.changed and out.created_directories == [str(tmp_path / 'new')]
    assert not (tmp_path / 'new').exists()
    out = F.AtomicOutput(str(dest), create_directory=True)
    with out as stream:
        stream.write('x\n')
    assert out.created_directories == [str(tmp_path / 'new')] and dest.read_text() == 'x\n'
    assert mode_of(str(tmp_path / 'new')) == 0o700


# ---------------------------------------------------------------- stale temporary files

def dead_pid():
    """The pid of a process that has just ended (not reused within the test)."""
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def temp_name(dest, pid, tag=None):
    """A temp file name of ``dest`` as AtomicOutput makes it (mkstemp's part fixed); ``tag``: as
    another controller sharing the directory would name it."""
    prefix = temp_files.temp_prefix(str(dest), pid)
    if tag is not None:
        prefix = prefix.replace(temp_files.host_tag(), tag)
    return prefix + 'abcd_123' + temp_files.TEMP_SUFFIX


def test_temp_file_name_carries_host_and_pid(tmp_path):
    dest = tmp_path / 'out.csv'
    seen = []

    class Spy(F.AtomicOutput):
        def _finish(self):
            seen.append(self._staged.name)
            super()._finish()

    with Spy(str(dest)) as stream:
        stream.write('x')
    assert seen[0].startswith(temp_files.temp_prefix(str(dest))) and seen[0].endswith('.tmp')
    assert '-%d.' % os.getpid() in seen[0]


def test_only_temp_files_of_gone_writers_of_this_dest_are_stale(tmp_path):
    dest = tmp_path / 'out.csv'
    sleeper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        stale = tmp_path / temp_name(dest, dead_pid())
        running = tmp_path / temp_name(dest, sleeper.pid)
        mine = tmp_path / temp_name(dest, os.getpid())
        other_host = tmp_path / temp_name(dest, dead_pid(), tag='0badf00d')
        other_dest = tmp_path / temp_name(tmp_path / 'other.csv', dead_pid())
        old_style = tmp_path / '.out.csv.k2j4h5g6.tmp'
        for path in (stale, running, mine, other_host, other_dest, old_style):
            path.write_text('secret')
        assert temp_files.stale_temp_files(str(dest)) == [str(stale)]
        # The sleeper started after this file was last written: its pid was reused.
        reused = tmp_path / temp_name(dest, sleeper.pid).replace('abcd_123', 'zzzz_999')
        reused.write_text('secret')
        os.utime(str(reused), (time.time() - 3600, time.time() - 3600))
        if temp_files.process_start_time(sleeper.pid) is not None:
            assert temp_files.stale_temp_files(str(dest)) == sorted([str(stale), str(reused)])
            reused.unlink()
        assert temp_files.remove_stale_temp_files(str(dest), check_mode=True) == [str(stale)]
        assert stale.exists()
        assert temp_files.remove_stale_temp_files(str(dest)) == [str(stale)]
        assert not stale.exists()
        assert all(p.exists() for p in (running, mine, other_host, other_dest, old_style))
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_writer_killed_with_sigkill_leaves_a_temp_file_the_next_one_removes(tmp_path):
    dest = tmp_path / 'out.csv'
    code = ('import sys, time\n'
            'from ansible_collections.xivo.confd.plugins.module_utils.file_output import AtomicOutput\n'
            'with AtomicOutput(sys.argv[1]) as out:\n'
            '    out.write("password\\n"); out.flush(); print("written", flush=True); time.sleep(60)\n')
    # The writer imports the collection from where this test found it (ansible-test units puts the
    # collection on no PYTHONPATH): file_output.py -> the directory that holds ansible_collections.
    collections_root = F.__file__
    for dummy in range(6):
        collections_root = os.path.dirname(collections_root)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [collections_root, os.environ.get('PYTHONPATH')])))
    writer = subprocess.Popen([sys.executable, '-c', code, str(dest)], stdout=subprocess.PIPE,
                              universal_newlines=True, env=env)
    try:
        assert writer.stdout.readline() == 'written\n'
        left = [n for n in os.listdir(str(tmp_path)) if n.endswith('.tmp')]
        assert len(left) == 1 and mode_of(str(tmp_path / left[0])) == 0o600
        assert temp_files.stale_temp_files(str(dest)) == []       # still being written
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    out = F.AtomicOutput(str(dest))
    with out as stream:
        stream.write('new\n')
    assert out.stale_temp_files == [str(tmp_path / left[0])]
    assert sorted(os.listdir(str(tmp_path))) == ['out.csv']


def test_the_digest_of_what_was_written(tmp_path):
    out = F.AtomicOutput(str(tmp_path / 'c'))
    with out as stream:
        stream.write('abc')
    assert out.digest == 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    check = F.AtomicOutput(str(tmp_path / 'c'), check_mode=True)
    with check as stream:
        stream.write('abc')
    assert not check.changed and check.digest == out.digest


def test_one_listing_finds_the_stale_temp_files_of_every_destination(tmp_path):
    """stale_temp_files_in: what stale_temp_files finds for each destination of a directory,
    in one listing; a live writer's file and other names are left alone."""
    gone = dead_pid()
    stale = []
    for dest in ('a.json', 'b-failed.csv'):
        name = temp_name(tmp_path / dest, gone)
        (tmp_path / name).write_text('secret')
        stale.append(str(tmp_path / name))
    live = temp_name(tmp_path / 'c.json', os.getppid())                  # its writer runs
    other_host = temp_name(tmp_path / 'd.json', gone, tag='otherhost')   # not ours to judge
    for name in (live, other_host, '.a.json.notatemp'):
        (tmp_path / name).write_text('left alone')
    (tmp_path / 'a.json').write_text('{}')
    assert temp_files.stale_temp_files_in(str(tmp_path)) == sorted(stale)
    assert sorted(temp_files.stale_temp_files(str(tmp_path / 'a.json')) + temp_files.stale_temp_files(
        str(tmp_path / 'b-failed.csv'))) == sorted(stale)
    assert temp_files.remove_stale_temp_files_in(str(tmp_path)) == sorted(stale)
    assert sorted(os.listdir(str(tmp_path))) == sorted(['a.json', live, other_host,
                                                        '.a.json.notatemp'])


def test_a_link_replaces_dest_without_copying(tmp_path):
    src, dest = tmp_path / 'run.json', tmp_path / 'latest.json'
    src.write_text('new')
    os.chmod(str(src), 0o600)
    dest.write_text('old')
    assert F.replace_with_link(str(src), str(dest))
    assert dest.read_text() == 'new' and os.path.samefile(str(src), str(dest))
    assert oct(os.stat(str(dest)).st_mode & 0o777) == '0o600'
    assert sorted(os.listdir(str(tmp_path))) == ['latest.json', 'run.json']
    assert not F.replace_with_link(str(tmp_path / 'missing.json'), str(dest))
    assert dest.read_text() == 'new'
