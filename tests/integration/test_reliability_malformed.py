# -*- coding: utf-8 -*-
"""The malformed-input corpus (files/malformed/, made by tests/reliability/make_malformed.py, plus
1 MB single-line files made here) through the converter and the import reader and planner:
zero tracebacks, every refusal names the file, the line, the column where there is one and the
reason, and nothing reaches a server from a refused file."""

from __future__ import annotations

import os

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import confd_csv, confd_rules, import_plan
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.legacy_csv import convert_source
from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import (
    LegacyCsvError, open_source)
from ansible_collections.xivo.confd.plugins.module_utils.text import printable
from tests.emulator import EmulatorServer
from tests.integration.playbook import run_playbook
from tests.reliability import harness

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'files', 'malformed')
LEGACY = sorted(os.path.join(HERE, 'legacy', n) for n in os.listdir(os.path.join(HERE, 'legacy')))
CONFD = sorted(os.path.join(HERE, 'confd', n) for n in os.listdir(os.path.join(HERE, 'confd')))


@pytest.fixture(scope='module')
def big_files(tmp_path_factory):
    """1 MB on a single line, made at test time rather than committed."""
    folder = tmp_path_factory.mktemp('big')
    files = {}
    legacy = folder / 'legacy_1mb_line.csv'
    legacy.write_bytes(b'firstname|lastname|phonenumber|context\n' + b'J' * (1 << 20) + b'|Dupont|1001|default\n')
    files['legacy'] = str(legacy)
    legacy_only = folder / 'legacy_1mb_no_newline.csv'
    legacy_only.write_bytes(b'firstname|' + b'x|' * (1 << 19))
    files['legacy_only'] = str(legacy_only)
    confd = folder / 'confd_1mb_line.csv'
    confd.write_bytes(b'firstname,lastname\n' + b'J' * (1 << 20) + b',Dupont\n')
    files['confd'] = str(confd)
    return files


def test_corpus_is_big_enough():
    assert len(LEGACY) + len(CONFD) >= 30


def convert(path):
    """What the user_csv action does, without Ansible: (error message or None, converter, rows)."""
    converter = None
    try:
        with open_source(path, 'auto') as source:
            converter, rows = convert_source(source)
            rows = list(rows)
    except LegacyCsvError as exc:
        assert exc.line is None or exc.line >= 1
        return '%s%s: %s' % (path, ' line %d' % exc.line if exc.line else '', exc), converter, []
    return None, converter, rows


# What a refusal of a whole file says when no line is at fault: what the file really is.
FILE_CAUSES = ('cannot be read as a legacy CSV: it is ', 'cannot be decoded as ')


def names_line_or_cause(message):
    return ' line ' in message or any(cause in message for cause in FILE_CAUSES)


@pytest.mark.parametrize('path', LEGACY + ['big:legacy', 'big:legacy_only'], ids=os.path.basename)
def test_legacy_file_is_converted_or_refused_with_line_and_reason(path, big_files):
    if path.startswith('big:'):
        path = big_files[path[4:]]
    error, converter, rows = convert(path)
    if error:
        assert names_line_or_cause(error) and len(error) > len(path) + 10, error
        assert printable(error) == error, 'raw bytes in %r' % error
        return
    # Accounting of the converter: every data row is written or reported invalid.
    assert converter.rows + converter.invalid_count == converter.data_rows == len(rows) + converter.invalid_count
    for problem in converter.invalid_rows:
        assert problem['line'] >= 2 and problem['reason'], problem
        assert problem['column'] is None or problem['column'] in IMPORT_COLUMNS
    for values in rows:
        assert len(values) == len(converter.columns)
        assert not any('\x00' in v or '\r' in v or '\n' in v for v in values), values


@pytest.mark.parametrize('name,cause', [
    ('gzip_magic.csv', 'it is a gzip file (compressed)'),
    ('binary_random.csv', 'it is a binary file, not text'),
    ('quote_in_header.csv', 'the header opens a quote (") that is never closed'),
])
def test_files_that_cannot_be_read_say_why(name, cause):
    error, dummy, dummy2 = convert(os.path.join(HERE, 'legacy', name))
    assert cause in error


@pytest.mark.parametrize('name,encoding', [
    ('utf16_with_bom.csv', 'utf-16-le'), ('cr_only.csv.bin', 'utf-8'),
    ('mixed_encodings.csv.bin', 'mixed: utf-8 + cp1252')])
def test_utf16_cr_only_and_mixed_files_are_read(name, encoding):
    with open_source(os.path.join(HERE, 'legacy', name)) as source:
        converter, rows = convert_source(source)
        rows = list(rows)
    assert source.encoding == encoding and converter.data_rows == len(rows) >= 1
    text = repr(rows)
    assert '\\x00' not in text and '\xc3' not in text      # no NUL, no mojibake (Ã)


def test_formula_looking_values_are_kept_as_data_not_refused_or_evaluated():
    error, converter, rows = convert(os.path.join(HERE, 'legacy', 'formula_values.csv'))
    assert error is None
    firstnames = [r[converter.columns.index('firstname')] for r in rows]
    assert '=HYPERLINK("http://x")' in firstnames or converter.invalid_count


@pytest.mark.parametrize('path', CONFD + ['big:confd'], ids=os.path.basename)
def test_confd_file_is_read_or_refused_with_line_and_reason(path, big_files):
    if path.startswith('big:'):
        path = big_files[path[4:]]
    try:
        header, rows = confd_csv.read(path)
    except confd_csv.CsvFileError as exc:
        assert str(exc).startswith(path + ': line '), str(exc)
        return
    outcomes = import_plan.plan(header, rows, [], validate=confd_rules.file_validator())
    assert len(outcomes) == len(rows)
    for outcome in outcomes:
        assert outcome.status in ('create', 'failed')
        if outcome.status == 'failed':
            assert outcome.error and outcome.row.line >= 2


@pytest.fixture(scope='module')
def server():
    with EmulatorServer(address='127.0.5.50', port=0, auth_port=0, seed=harness.SEED) as emulator:
        yield emulator


@pytest.mark.parametrize('path', CONFD, ids=os.path.basename)
def test_nothing_reaches_the_server_from_a_refused_file_nor_from_an_invalid_row(path, server):
    server.reset()
    server.request_log.clear()
    with open(path, 'rb') as handle:
        data = handle.read()
    result = harness.run_import(server, server.ca_path, data, batch_size=3)
    if 'users' not in result:
        assert result['msg'].startswith('users.csv: line '), result
        assert server.request_log == [] and server.users() == []
        return
    assert not harness.accounting_problems(len(result['users']), result['users']), result
    created = [u for u in result['users'] if u['status'] == 'created']
    assert len(server.users()) == len(created)
    for user in result['users']:
        if user['status'] == 'failed' and user['error'].startswith('invalid: '):
            sent = sum(r['rows'] or 0 for r in server.request_log if r['path'] == '/1.1/users/import')
            assert sent <= len(result['users']) - 1


def test_user_csv_and_user_import_refuse_the_corpus_cleanly_through_ansible(tmp_path, big_files, server):
    server.reset()
    server.request_log.clear()
    legacy = LEGACY + [big_files['legacy']]
    refused_confd = []
    for path in CONFD + [big_files['confd']]:
        try:
            confd_csv.read(path)
        except confd_csv.CsvFileError:
            refused_confd.append(path)
    tasks = [
        {'name': 'convert', 'xivo.confd.user_csv': {'src': '{{ item }}', 'dest': '{{ playbook_dir }}/out/{{ item | basename }}.csv'},
         'loop': legacy, 'ignore_errors': True},
        {'name': 'import', 'xivo.confd.user_import': {
            'src': '{{ item }}', 'host': server.address, 'port': server.port, 'auth_port': server.auth_port,
            'username': harness.WS_USER, 'password': '{{ ws_password }}', 'ca_path': server.ca_path},
         'loop': refused_confd, 'ignore_errors': True},
    ]
    (tmp_path / 'out').mkdir()
    run = run_playbook(tmp_path, tasks, hosts={'localhost': {'ws_password': harness.WS_PASSWORD}})
    assert 'Traceback' not in run.stdout + run.stderr, run.stdout[-2000:]
    converted = run.result('convert')['results']
    assert len(converted) == len(legacy)
    for item in converted:
        assert 'Traceback' not in str(item.get('exception', '')), item
        if item.get('failed'):
            assert item['item'] in item['msg'], item['msg']
            assert names_line_or_cause(item['msg']), item['msg']
            assert printable(item['msg']) == item['msg'] and len(item['msg']) < 8100, item['msg']
            assert not os.path.exists(str(tmp_path / 'out' / (os.path.basename(item['item']) + '.csv')))
        for problem in item.get('invalid_rows') or ():
            assert problem['line'] and problem['reason']
    imported = run.result('import')['results']
    assert len(imported) == len(refused_confd) >= 10
    for item in imported:
        assert item.get('failed') and item['msg'].startswith(item['item'] + ': line '), item
        assert 'Traceback' not in str(item.get('exception', '')), item
    assert server.request_log == [], 'a refused file reached the server: %s' % server.request_log
