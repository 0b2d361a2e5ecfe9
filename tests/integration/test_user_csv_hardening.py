# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xivo.confd.user_csv through ansible-playbook on what operators hit: src == dest by any path,
a FIFO and /dev/zero as src, a temp file left by a conversion killed with SIGKILL, a missing
dest directory (check mode and not), files mixing UTF-8 and cp1252, Excel "Unicode text",
CR-only line ends, a gzip file and 10,000 unknown columns. One playbook run covers them."""

from __future__ import annotations

import csv
import gzip
import os
import stat
import subprocess
import sys
import threading

import pytest

from tests.integration.playbook import run_playbook
from tests.integration.test_user_csv import FILES, materialize
from ansible_collections.xivo.confd.plugins.module_utils.text import printable

LEGACY = b'firstname|lastname|phonenumber|context|protocol\nJean|Dupont|1000|default|sip\n'
KILLED_WRITER = (
    'import sys, time\n'
    'from ansible_collections.xivo.confd.plugins.module_utils.file_output import AtomicOutput\n'
    'with AtomicOutput(sys.argv[1]) as out:\n'
    '    out.write("firstname,password\\nJean,S3cret\\n"); out.flush()\n'
    '    print("written", flush=True); time.sleep(120)\n')


def convert(name, src, dest, **options):
    task = {'name': name, 'xivo.confd.user_csv': dict(src=src, dest=dest, **options),
            'ignore_errors': True}
    return task


def leave_a_killed_conversion(dest):
    """A conversion of ``dest`` killed with SIGKILL in the middle of its write."""
    writer = subprocess.Popen([sys.executable, '-c', KILLED_WRITER, dest], stdout=subprocess.PIPE,
                              universal_newlines=True)
    assert writer.stdout.readline() == 'written\n'
    writer.kill()
    writer.wait()
    writer.stdout.close()
    left = [n for n in os.listdir(os.path.dirname(dest)) if n.endswith('.tmp')]
    assert len(left) == 1
    return os.path.join(os.path.dirname(dest), left[0])


def feed(path, data):
    with open(path, 'wb') as handle:      # blocks until the conversion opens the FIFO
        handle.write(data)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('user_csv_hardening')
    files = materialize(FILES, tmp / 'files')
    out = tmp / 'out'
    out.mkdir()
    legacy = tmp / 'legacy.csv'
    legacy.write_bytes(LEGACY)
    (tmp / 'sub').mkdir()
    os.symlink(str(legacy), str(tmp / 'link.csv'))
    fifo = str(tmp / 'fifo.csv')
    os.mkfifo(fifo)
    gz = tmp / 'users.csv.gz'
    gz.write_bytes(gzip.compress(LEGACY))
    wide = tmp / 'wide.csv'
    wide.write_text('firstname|' + '|'.join('col%d' % i for i in range(10000)) + '\nA\n')
    stale = leave_a_killed_conversion(str(out / 'stale.csv'))
    tasks = [
        convert('same path', str(legacy), str(legacy)),
        convert('same file through a link', str(legacy), str(tmp / 'link.csv')),
        convert('same file spelt otherwise', str(legacy), str(tmp / 'sub' / '..' / 'legacy.csv')),
        dict(convert('fifo', fifo, str(out / 'fifo.csv')), timeout=60),
        dict(convert('dev zero', '/dev/zero', str(out / 'zero.csv')), timeout=60),
        convert('gzip', str(gz), str(out / 'gz.csv')),
        convert('ten thousand unknown columns', str(wide), str(out / 'wide.csv')),
        convert('stale temp file', str(legacy), str(out / 'stale.csv')),
        dict(convert('missing directory, check mode', str(legacy), str(tmp / 'new' / 'a' / 'x.csv')),
             check_mode=True),
        convert('missing directory', str(legacy), str(tmp / 'made' / 'b' / 'x.csv')),
        convert('mixed encodings', os.path.join(files, 'mixed_utf8_cp1252.csv'), str(out / 'mixed.csv')),
        convert('excel unicode text', os.path.join(files, 'excel_unicode_text.csv'), str(out / 'excel.csv')),
        convert('cr only', os.path.join(files, 'mac_cr_only.csv'), str(out / 'cr.csv')),
    ]
    writer = threading.Thread(target=feed, args=(fifo, LEGACY), daemon=True)
    writer.start()
    result = run_playbook(tmp, tasks)
    writer.join(5)
    assert 'Traceback' not in result.stdout + result.stderr, result.stdout[-3000:]
    return tmp, result, stale


def read_csv(path):
    with open(path, encoding='utf-8', newline='') as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize('task', ['same path', 'same file through a link', 'same file spelt otherwise'])
def test_src_and_dest_the_same_file_is_refused_and_the_legacy_file_kept(run, task):
    tmp, result, dummy = run
    outcome = result.result(task)
    assert outcome['failed']
    assert outcome['msg'] == ('src and dest are the same file (%s): the conversion would overwrite '
                              'the legacy file; write dest elsewhere' % os.path.realpath(str(tmp / 'legacy.csv')))
    assert (tmp / 'legacy.csv').read_bytes() == LEGACY
    assert not [n for n in os.listdir(str(tmp)) if n.endswith('.tmp')]


def test_a_fifo_is_read_once(run):
    tmp, result, dummy = run
    outcome = result.result('fifo')
    assert not outcome.get('failed'), outcome.get('msg')
    assert outcome['rows'] == 1 and read_csv(str(tmp / 'out' / 'fifo.csv'))[1][:2] == ['Jean', 'Dupont']


def test_dev_zero_is_refused_at_once_as_binary(run):
    outcome = run[1].result('dev zero')
    assert outcome['failed'] and outcome['msg'].startswith(
        '/dev/zero: cannot be read as a legacy CSV: it is a binary file, not text')


def test_a_gzip_file_is_named_without_binary_bytes(run):
    tmp, result, dummy = run
    msg = result.result('gzip')['msg']
    assert msg == '%s: cannot be read as a legacy CSV: it is a gzip file (compressed): decompress ' \
                  'it first (gunzip)' % (tmp / 'users.csv.gz')
    assert printable(msg) == msg


def test_ten_thousand_unknown_columns_give_a_short_message(run):
    msg = run[1].result('ten thousand unknown columns')['msg']
    assert "'col0' (column 2" in msg and "'col9' (column 11" in msg and 'and 9990 more' in msg
    assert "'col10' (column" not in msg and len(msg) < 1000


def test_the_temp_file_of_a_killed_conversion_is_removed_and_reported(run):
    tmp, result, stale = run
    outcome = result.result('stale temp file')
    assert outcome['stale_temp_files'] == [stale] and not os.path.exists(stale)
    assert any('removed 1 temporary file(s) left beside dest by a conversion that was killed' in w
               for w in outcome['warnings'])
    assert sorted(os.listdir(str(tmp / 'out'))).count('stale.csv') == 1
    assert not [n for n in os.listdir(str(tmp / 'out')) if n.endswith('.tmp')]


def test_a_missing_dest_directory_is_only_announced_in_check_mode(run):
    tmp, result, dummy = run
    outcome = result.result('missing directory, check mode')
    assert outcome['changed'] and not (tmp / 'new').exists()
    assert outcome['created_directories'] == [str(tmp / 'new'), str(tmp / 'new' / 'a')]
    assert any('it would be created (mode 0700)' in w for w in outcome['warnings'])


def test_a_missing_dest_directory_is_created_private(run):
    tmp, result, dummy = run
    outcome = result.result('missing directory')
    assert outcome['changed'] and outcome['created_directories'] == [str(tmp / 'made'), str(tmp / 'made' / 'b')]
    assert [stat.S_IMODE(os.stat(str(p)).st_mode) for p in (tmp / 'made', tmp / 'made' / 'b')] == [0o700] * 2
    assert read_csv(str(tmp / 'made' / 'b' / 'x.csv'))[1][:2] == ['Jean', 'Dupont']


def test_mixed_encodings_are_read_line_by_line_without_mojibake(run):
    tmp, result, dummy = run
    outcome = result.result('mixed encodings')
    assert outcome['encoding'] == 'mixed: utf-8 + cp1252'
    assert outcome['encoding_lines'] == {'utf-8': {'count': 2, 'lines': [2, 4]},
                                         'cp1252': {'count': 1, 'lines': [3]}}
    assert any('read as cp1252 (line 3)' in w for w in outcome['warnings'])
    rows = read_csv(str(tmp / 'out' / 'mixed.csv'))
    assert [r[:2] for r in rows[1:]] == [['Hélène', 'Dupré'], ['Hélène', 'Lefèvre'], ['Zoé', 'Müller']]
    assert 'Ã' not in (tmp / 'out' / 'mixed.csv').read_text(encoding='utf-8')


def test_excel_unicode_text_is_read_tab_separated(run):
    tmp, result, dummy = run
    outcome = result.result('excel unicode text')
    assert (outcome['encoding'], outcome['delimiter'], outcome['line_ends']) == ('utf-16-le', '\t', 'LF')
    rows = read_csv(str(tmp / 'out' / 'excel.csv'))
    assert rows[0] == ['firstname', 'lastname', 'call_transfer_enabled', 'context', 'line_protocol', 'exten']
    assert rows[1:] == [['Hélène', 'Dupré', '1', 'default', 'sip', '1000'],
                        ['Zoé', 'Mül"ler', '1', 'default', 'sip', '1001']]


def test_cr_only_line_ends_are_read_as_line_ends(run):
    tmp, result, dummy = run
    outcome = result.result('cr only')
    assert (outcome['encoding'], outcome['line_ends'], outcome['rows']) == ('cp1252', 'CR', 2)
    assert any('CR alone (classic Mac OS)' in w for w in outcome['warnings'])
    assert [r[:2] for r in read_csv(str(tmp / 'out' / 'cr.csv'))[1:]] == [['Hélène', 'Dupré'], ['Zoé', 'Müller']]
