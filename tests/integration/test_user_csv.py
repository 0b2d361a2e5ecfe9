# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""xivo.confd.user_csv through ansible-playbook: samples and crafted files, re-runs, check and
diff modes, backups, invalid rows. Three playbook runs cover everything."""

from __future__ import annotations

import csv
import glob
import json
import os
import stat
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FILES = os.path.join(HERE, 'files', 'legacy')
SAMPLES = os.path.join(HERE, 'files', 'samples')
SECRETS = ('S3cretPw', 'L1neSecret', 'Pa55word', 'PaulPw01', 'GoodPw01', 'bad pass word', 'NoFirstPw',
           '4321', 'DupPw001', 'StarPw01')
CRAFTED_VALID = ['cp1252_crlf_no_final_newline.csv', 'latin1_fallback.csv',
                 'pre1515_migration_script.csv', 'utf8_bom_quoting.csv']

PLAYBOOK = r"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Convert every valid file
      xivo.confd.user_csv:
        src: "{{ item }}"
        dest: "{{ out_dir }}/{{ item | basename }}"
      loop: "{{ valid_files }}"
      register: valid

    - name: A relative src (files/), an explicit encoding
      xivo.confd.user_csv:
        src: latin1_fallback.csv
        dest: "{{ out_dir }}/explicit-latin1.csv"
        encoding: latin-1
      register: latin1

    - name: Backup of a previous dest
      xivo.confd.user_csv:
        src: "{{ samples_dir }}/doc_15.19_basic.csv"
        dest: "{{ out_dir }}/backup.csv"
        backup: true
        mode: '0640'
      register: backup

    - name: Invalid rows left out
      xivo.confd.user_csv:
        src: invalid_rows.csv
        dest: "{{ out_dir }}/skip.csv"
        invalid_rows: skip
      register: skip

    - name: Invalid rows fail the task
      xivo.confd.user_csv:
        src: invalid_rows.csv
        dest: "{{ out_dir }}/fail.csv"
      register: fail
      ignore_errors: true

    - name: Unknown headers fail the task
      xivo.confd.user_csv:
        src: unknown_header.csv
        dest: "{{ out_dir }}/unknown.csv"
      register: unknown
      ignore_errors: true

    - name: Unknown headers mapped or dropped, defaults
      xivo.confd.user_csv:
        src: unknown_header.csv
        dest: "{{ out_dir }}/mapped.csv"
        unknown_columns: drop
        column_map:
          phonenumbre: exten
        defaults:
          context: default
          line_protocol: sip
      register: mapped

    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'valid': valid.results, 'latin1': latin1, 'backup': backup, 'skip': skip,
                      'fail': fail, 'unknown': unknown, 'mapped': mapped} | to_nice_json }}"
        dest: "{{ results_file }}"
        mode: '0600'
      check_mode: false
      diff: false
"""


def _env(tmp_path):
    env = dict(os.environ)
    if not env.get('ANSIBLE_COLLECTIONS_PATH'):
        root = tmp_path / 'collections'
        (root / 'ansible_collections' / 'xivo').mkdir(parents=True)
        os.symlink(REPO, str(root / 'ansible_collections' / 'xivo' / 'confd'))
        env['ANSIBLE_COLLECTIONS_PATH'] = str(root)
    env.update(ANSIBLE_NOCOLOR='1', ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'), ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_DEPRECATION_WARNINGS='0')
    return env


def run(workdir, env, name, *args):
    results = os.path.join(str(workdir), 'results-%s.json' % name)
    command = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', 'play.yml',
               '-e', 'results_file=%s' % results] + list(args)
    proc = subprocess.run(command, cwd=str(workdir), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout
    with open(results) as handle:
        return json.load(handle), proc.stdout


def materialize(source, target):
    """Copy a fixture tree, giving raw-byte fixtures (name.csv.bin) their real .csv name."""
    for folder, _dirs, names in os.walk(source):
        destination = os.path.join(str(target), os.path.relpath(folder, source))
        os.makedirs(destination, exist_ok=True)
        for name in names:
            with open(os.path.join(folder, name), 'rb') as handle:
                data = handle.read()
            with open(os.path.join(destination, name[:-4] if name.endswith('.csv.bin') else name),
                      'wb') as handle:
                handle.write(data)
    return str(target)


def read_csv(path):
    with open(path, encoding='utf-8', newline='') as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('user_csv')
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    files = materialize(FILES, tmp_path / 'files')
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'backup.csv').write_text('old content\n')
    valid = sorted(glob.glob(os.path.join(SAMPLES, '*.csv'))) + [os.path.join(files, n) for n in CRAFTED_VALID]
    (tmp_path / 'vars.json').write_text(json.dumps({'valid_files': valid, 'out_dir': str(out),
                                                    'samples_dir': SAMPLES}))
    return tmp_path, valid, _env(tmp_path)


@pytest.fixture(scope='module')
def first(workdir):
    tmp_path, valid, env = workdir
    return run(tmp_path, env, 'first', '-e', '@vars.json')


def test_first_run_writes_every_file(workdir, first):
    tmp_path, valid, env = workdir
    results, stdout = first
    out = str(tmp_path / 'out')
    assert [r['changed'] for r in results['valid']] == [True] * len(valid)
    for result, src in zip(results['valid'], valid):
        dest = os.path.join(out, os.path.basename(src))
        assert result['dest'] == dest and not result.get('failed')
        assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
        data = open(dest, 'rb').read()
        assert not data.startswith(b'\xef\xbb\xbf') and b'\r' not in data and data.endswith(b'\n')
        rows = read_csv(dest)
        assert rows[0] == result['columns'] and len(rows) - 1 == result['rows'] > 0
        assert all(len(r) == len(rows[0]) for r in rows)
        assert result['invalid_rows'] == []
        expected = os.path.join(str(tmp_path / 'files' / 'expected'), os.path.basename(src))
        if os.path.exists(expected):
            assert data == open(expected, 'rb').read(), src
    by_name = dict((os.path.basename(r['dest']), r) for r in results['valid'])
    assert by_name['cp1252_crlf_no_final_newline.csv']['encoding'] == 'cp1252'
    assert by_name['latin1_fallback.csv']['encoding'] == 'latin-1'
    assert by_name['utf8_bom_quoting.csv']['encoding'] == 'utf-8-sig'
    assert by_name['pre1515_migration_script.csv']['dropped_columns'] == ['bosssecretary']
    pre = read_csv(os.path.join(out, 'doc_15.14_voicemail_pre15.15_headers.csv'))
    row = dict(zip(pre[0], pre[1]))
    assert row['voicemail_number'] == '1000' and row['voicemail_context'] == 'default'
    assert 'bosssecretary' in stdout and 'line 4' in stdout       # warnings name them
    notes = by_name['utf8_bom_quoting.csv']['row_warnings']
    assert set(n['line'] for n in notes) == {3, 4, 7}
    for secret in SECRETS:
        assert secret not in stdout


def test_relative_src_and_explicit_encoding(first):
    results, dummy = first
    assert results['latin1']['encoding'] == 'latin-1' and results['latin1']['rows'] == 2
    assert results['latin1']['src'].endswith('files/latin1_fallback.csv')


def test_backup_and_mode(workdir, first):
    tmp_path, dummy, dummy = workdir
    result = first[0]['backup']
    assert result['changed'] and open(result['backup_file']).read() == 'old content\n'
    assert stat.S_IMODE(os.stat(str(tmp_path / 'out' / 'backup.csv')).st_mode) == 0o640


def test_invalid_rows_skip(workdir, first):
    tmp_path, dummy, dummy = workdir
    result = first[0]['skip']
    assert result['changed'] and result['rows'] == 1 and result['invalid_count'] == 4
    assert [(p['line'], p['column'], p['legacy_column']) for p in result['invalid_rows']] == [
        (3, 'firstname', 'firstname'), (4, 'password', 'password'),
        (4, 'mobile_phone_number', 'mobilephonenumber'), (4, 'voicemail_password', 'voicemailpassword'),
        (5, 'exten', 'phonenumber'), (6, 'exten', 'phonenumber')]
    assert 'line 2' in result['invalid_rows'][4]['reason']
    assert len(read_csv(str(tmp_path / 'out' / 'skip.csv'))) == 2


def test_invalid_rows_fail(workdir, first):
    tmp_path, dummy, dummy = workdir
    result = first[0]['fail']
    assert result['failed'] and not os.path.exists(str(tmp_path / 'out' / 'fail.csv'))
    msg = result['msg']
    assert 'invalid_rows.csv line 4, column password (legacy password): does not match' in msg
    assert 'line 6, column exten (legacy phonenumber)' in msg
    for secret in SECRETS:
        assert secret not in json.dumps(result)


def test_unknown_headers(workdir, first):
    tmp_path, dummy, dummy = workdir
    results = first[0]
    msg = results['unknown']['msg']
    assert results['unknown']['failed'] and 'unknown_header.csv line 1' in msg
    assert "'phonenumbre' (column 3, did you mean 'phonenumber'?)" in msg and "'emial'" in msg
    assert not os.path.exists(str(tmp_path / 'out' / 'unknown.csv'))
    mapped = results['mapped']
    assert mapped['dropped_columns'] == ['emial']
    assert read_csv(str(tmp_path / 'out' / 'mapped.csv')) == [
        ['firstname', 'lastname', 'call_transfer_enabled', 'context', 'line_protocol', 'exten'],
        ['A', 'B', '1', 'default', 'sip', '1000']]


def test_second_run_changes_nothing_then_check_and_diff(workdir, first):
    tmp_path, valid, env = workdir
    results, dummy = run(tmp_path, env, 'second', '-e', '@vars.json')
    for key in ('latin1', 'backup', 'skip', 'mapped'):
        assert results[key]['changed'] is False, key
    assert [r['changed'] for r in results['valid']] == [False] * len(valid)
    assert 'backup_file' not in results['backup']

    out = tmp_path / 'out'
    # change one dest (other password, other name), remove another, then check mode + diff
    target = str(out / 'utf8_bom_quoting.csv')
    rows = read_csv(target)
    rows[1][rows[0].index('password')] = 'OtherPw9'
    rows[3][rows[0].index('lastname')] = 'Changed'
    with open(target, 'w', encoding='utf-8', newline='') as handle:
        csv.writer(handle, lineterminator='\n').writerows(rows)
    before = open(target, 'rb').read()
    os.unlink(str(out / 'doc_15.19_basic.csv'))
    results, stdout = run(tmp_path, env, 'check', '-e', '@vars.json', '--check', '--diff')
    assert open(target, 'rb').read() == before
    assert not os.path.exists(str(out / 'doc_15.19_basic.csv'))
    by_name = dict((os.path.basename(r['dest']), r) for r in results['valid'])
    changed = by_name['utf8_bom_quoting.csv']
    assert changed['changed'] is True
    assert changed['diff_summary']['changed'] == 2
    assert {'key': '1012@default', 'columns': ['password']} in changed['diff_summary']['changed_keys']
    assert by_name['doc_15.19_basic.csv']['changed'] is True
    assert by_name['doc_15.19_basic.csv']['diff_summary']['added'] == 3
    assert by_name['cp1252_crlf_no_final_newline.csv']['changed'] is False
    assert 'secret changed: password' in stdout and '+1014@default' in stdout
    for secret in SECRETS + ('OtherPw9',):
        assert secret not in stdout
        assert secret not in json.dumps(results)
    assert not [n for n in os.listdir(str(out)) if n.endswith('.tmp')]
