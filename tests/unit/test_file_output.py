# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomic, mode-aware, change-detecting file output."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import file_output as F


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
    assert F.write_atomically(dest, u'a,é\n')['changed'] is True
    assert open(dest, 'rb').read() == u'a,é\n'.encode('utf-8')
    assert mode_of(dest) == 0o600
    assert F.write_atomically(dest, u'a,é\n')['changed'] is False
    result = F.write_atomically(dest, 'b\n', backup=True)
    assert result['changed'] and open(result['backup_file']).read() == u'a,é\n'
    assert open(dest).read() == 'b\n'
    assert sorted(os.listdir(str(tmp_path))) == sorted(['out.csv', os.path.basename(result['backup_file'])])


def test_mode_change_only(tmp_path):
    dest = str(tmp_path / 'out.csv')
    F.write_atomically(dest, 'x')
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
    F.write_atomically(dest, 'x\n')
    out = F.AtomicOutput(dest, check_mode=True)
    with out as stream:
        stream.write('x\n')
    assert not out.changed


def test_exception_leaves_dest(tmp_path):
    dest = str(tmp_path / 'out.csv')
    F.write_atomically(dest, 'old')
    with pytest.raises(RuntimeError):
        with F.AtomicOutput(dest) as stream:
            stream.write('new')
            raise RuntimeError('boom')
    assert open(dest).read() == 'old' and os.listdir(str(tmp_path)) == ['out.csv']


def test_missing_directory(tmp_path):
    with pytest.raises(IOError):
        with F.AtomicOutput(str(tmp_path / 'no' / 'x.csv')):
            pass


def test_digest_and_backup_of_missing(tmp_path):
    assert F.file_digest(str(tmp_path / 'none')) is None
    assert F.backup_local(str(tmp_path / 'none')) is None
    F.write_atomically(str(tmp_path / 'f'), b'abc')
    assert F.file_digest(str(tmp_path / 'f')) == \
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
