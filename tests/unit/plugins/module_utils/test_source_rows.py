# -*- coding: utf-8 -*-
"""Every row of a legacy source accounted for (issue 20): the legacy line of each converted row,
the records of a legacy file cut byte for byte into a file to fix that converts back to the same
rows (every encoding, line end, quoting and delimiter the converter reads), and the rules of the
file to fix (never an input, written once per set of rows, never over an edit)."""

from __future__ import annotations

import codecs
import json
import os

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import fix_file, source_rows
from ansible_collections.xivo.confd.plugins.module_utils import legacy_csv as L
from ansible_collections.xivo.confd.plugins.module_utils import legacy_source as S

HEADER = 'firstname|lastname|phonenumber|context|protocol|mobilephonenumber'
ROWS = ['Hélène|Durand|1001|default|sip|+33 1 23 45 67 89',
        '|Sansnom|1002|default|sip|',                       # invalid: no firstname
        '"Anne\nMarie"|"Le ""Grand"""|1003|default|sip|',    # a record on two lines
        '',                                                  # a blank line
        'Zoé|Martin|1004|default|sip|call-me',               # invalid: mobile
        'Paul|Roux|1005|default|sip|']

VARIANTS = {
    'utf-8': lambda text: text.encode('utf-8'),
    'utf-8 with BOM': lambda text: codecs.BOM_UTF8 + text.encode('utf-8'),
    'cp1252': lambda text: text.encode('cp1252'),
    'cp1252 CRLF': lambda text: text.replace('\n', '\r\n').encode('cp1252'),
    'cp1252 CR alone': lambda text: text.replace('\n', '\r').encode('cp1252'),
    'utf-16 tabs': lambda text: codecs.BOM_UTF16_LE + text.replace('|', '\t').encode('utf-16-le'),
    'no final line end': lambda text: text.rstrip('\n').encode('cp1252'),
}


def legacy(tmp_path, variant):
    text = '\n'.join([HEADER] + ROWS) + '\n'
    if variant == 'utf-16 tabs':
        text = text.replace('"Anne\nMarie"', 'Anne Marie')   # keep the tab file simple
    path = tmp_path / 'legacy.csv'
    path.write_bytes(VARIANTS[variant](text))
    return str(path)


def converted(path):
    with S.open_source(path) as source:
        converter, rows = L.convert_source(source)
        rows = list(rows)
    return converter, rows


def test_line_ranges_round_trip():
    for lines in ([], [2], [2, 3, 4, 5], [2, 3, 5, 9, 10, 11, 40]):
        ranges = source_rows.line_ranges(lines)
        assert source_rows.expand_ranges(ranges) == lines
    assert source_rows.line_ranges(range(2, 100002)) == [[2, 100000]]


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_every_row_has_its_legacy_line_and_the_rows_to_fix_convert_back(tmp_path, variant):
    path = legacy(tmp_path, variant)
    converter, rows = converted(path)
    # Every data row once: written (with its legacy line) or refused (with its legacy line).
    assert len(converter.row_lines) == len(rows) == 3
    assert sorted(converter.row_lines + converter.invalid_lines) == [2, 3, 4, 7, 8] or \
        variant == 'utf-16 tabs' and sorted(converter.row_lines + converter.invalid_lines) == [2, 3, 4, 6, 7]
    by_line = dict(zip(converter.row_lines, rows))
    wanted = sorted(converter.invalid_lines + converter.row_lines[1:2])
    content, digests = source_rows.legacy_subset(path, wanted)
    assert sorted(digests) == wanted
    subset = tmp_path / 'to-fix.csv'
    subset.write_bytes(content)
    again, again_rows = converted(str(subset))
    # The same rows, read the same way: the refused ones refused again, the other one equal.
    assert again.invalid_count == converter.invalid_count
    assert again_rows == [by_line[line] for line in wanted if line in by_line]
    original = open(path, 'rb').read()
    for line, digest in digests.items():
        # Each record is the legacy file's own bytes.
        record = source_rows.LegacyRecords(path).record(line)
        assert source_rows.record_digest(record) == digest and record.rstrip(b'\r\n') in original


def test_invalid_reasons_name_the_legacy_column_and_cover_rows_past_the_limit(tmp_path):
    conversion = {'invalid_rows': [{'line': 3, 'column': 'mobile_phone_number',
                                    'legacy_column': 'mobilephonenumber', 'reason': 'bad'}],
                  'invalid_lines': [[3, 1], [9, 1]]}
    found = source_rows.invalid_reasons(conversion)
    assert found[3] == ('mobile_phone_number',
                        'invalid: mobile_phone_number (legacy column mobilephonenumber): bad')
    assert found[9][0] is None and 'max_reported' in found[9][1]


def test_same_file_is_found_through_links_and_other_names(tmp_path):
    source = tmp_path / 'a.csv'
    source.write_text('x')
    (tmp_path / 'link.csv').symlink_to(source)
    os.link(str(source), str(tmp_path / 'hard.csv'))
    for other in ('link.csv', 'hard.csv', './a.csv'):
        assert source_rows.same_file_as_any(str(tmp_path / other), [str(source)]) == str(source)
    assert source_rows.same_file_as_any(str(tmp_path / 'missing.csv'), [str(source)]) is None


def fix(lines, content=b'header\n'):
    return dict(content=content + b''.join(b'row %d\n' % n for n in lines),
                digests=dict((n, 'd%d' % n) for n in lines), lines=list(lines), legacy=True,
                formula_cells=[])


def writer(written):
    def write(path, data):
        written.append(path)
        with open(path, 'wb') as handle:
            handle.write(data)
    return write


def test_the_file_to_fix_is_written_once_per_set_of_rows_and_never_over_an_edit(tmp_path):
    reports_dir, source = str(tmp_path), str(tmp_path / 'full.csv')
    open(source, 'w').close()
    written = []
    first = fix_file.place(reports_dir, 'h', 'run1', fix([3, 5]), source, [source], writer(written))
    path = first['path']
    assert first['written'] and path.endswith('h-to-fix.csv') and os.path.exists(path)
    record = json.loads(open(path[:-4] + '.json').read())
    assert record['source'] == os.path.realpath(source) and [r['line'] for r in record['rows']] == [3, 5]
    # The same rows, or fewer: left as it is.
    for rows in ([3, 5], [5]):
        again = fix_file.place(reports_dir, 'h', 'run2', fix(rows), source, [source], writer(written))
        assert again == dict(path=path, written=False, warning='')
    # Other rows, the file not edited: replaced (no work lost).
    replaced = fix_file.place(reports_dir, 'h', 'run3', fix([3, 7]), source, [source], writer(written))
    assert replaced['written'] and replaced['path'] == path
    # Edited, then other rows: kept, the new rows beside it, and a warning naming both.
    with open(path, 'ab') as handle:
        handle.write(b'my fix\n')
    edited = open(path, 'rb').read()
    beside = fix_file.place(reports_dir, 'h', 'run4', fix([9]), source, [source], writer(written))
    assert beside['path'].endswith('h-to-fix-run4.csv') and path in beside['warning']
    assert open(path, 'rb').read() == edited
    # Nothing to fix: nothing written, nothing removed.
    assert fix_file.place(reports_dir, 'h', 'run5', None, source, [source], writer(written))['path'] == ''
    assert open(path, 'rb').read() == edited


def test_a_file_to_fix_that_is_an_input_is_never_written(tmp_path):
    reports_dir, full = str(tmp_path), str(tmp_path / 'full.csv')
    open(full, 'w').close()
    written = []
    path = fix_file.place(reports_dir, 'h', 'run1', fix([3, 5]), full, [full], writer(written))['path']
    before = open(path, 'rb').read()
    # The host points at its file to fix: rows still refused stay in it, as the operator wrote it.
    own = fix_file.place(reports_dir, 'h', 'run2', fix([2]), path, [path], writer(written))
    assert own == dict(path=path, written=False, warning='') and open(path, 'rb').read() == before
    # Another host points at it: this host's rows go elsewhere.
    other = fix_file.place(reports_dir, 'h', 'run3', fix([8]), full, [full, path], writer(written))
    assert other['path'].endswith('h-to-fix-run3.csv') and 'input' in other['warning']
    assert open(path, 'rb').read() == before


def test_fixed_rows_are_linked_to_their_originals_by_position(tmp_path):
    reports_dir, full = str(tmp_path), str(tmp_path / 'full.csv')
    open(full, 'w').close()
    written = []
    path = fix_file.place(reports_dir, 'h', 'run1', fix([3, 5]), full, [full], writer(written))['path']
    users = [{'line': 2, 'status': 'created', 'uuid': 'u3', 'key': 'k3'},
             {'line': 3, 'status': 'failed', 'uuid': None, 'key': 'k5'}]
    assert fix_file.note_fixed(path, users, 'run2', writer(written)) == 1
    found = fix_file.fixed_rows(reports_dir, 'h', full, True, lambda lines: {3: 'd3', 5: 'd5'})
    assert list(found) == [3] and found[3]['uuid'] == 'u3' and 'run2' in found[3]['note']
    # The original row changed since: no longer the row that was fixed.
    assert fix_file.fixed_rows(reports_dir, 'h', full, True, lambda lines: {3: 'other'}) == {}
    # A file to fix whose number of rows changed links nothing.
    assert fix_file.note_fixed(path, users[:1], 'run3', writer(written)) == 0


@pytest.mark.parametrize('encoding', ['utf-16', 'utf-16-le', 'auto'])
def test_a_utf16_file_read_with_a_named_codec_is_cut_in_its_own_bytes(tmp_path, encoding):
    text = '\n'.join([HEADER.replace('|', '\t'), 'Ann\tA\t1001\tdefault\tsip\t',
                      '\tB\t1002\tdefault\tsip\t']) + '\n'
    path = tmp_path / 'u16.csv'
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode('utf-16-le'))
    content, digests = source_rows.legacy_subset(str(path), [3], encoding)
    assert content == codecs.BOM_UTF16_LE + '\n'.join(text.split('\n')[0:3:2]).encode('utf-16-le') + \
        '\n'.encode('utf-16-le')
