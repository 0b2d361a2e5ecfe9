# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property: random legacy tables convert without a traceback; every data row gives exactly
one output row or at least one reported problem on its own line; the output reads back."""

from __future__ import annotations

import csv
import os
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.xivo.confd.plugins.module_utils import legacy_csv as L
from ansible_collections.xivo.confd.plugins.module_utils import legacy_source as S
from ansible_collections.xivo.confd.plugins.module_utils import legacy_mapping as M
from ansible_collections.xivo.confd.plugins.module_utils.file_output import AtomicOutput

# One header per confd column (the pre-15.15 names exclude their 15.15 counterparts).
OPTIONAL = [name for name in M.KNOWN_HEADERS
            if name not in ('firstname', 'voicemailnumber', 'voicemailaskpassword')]
ALPHABET = st.sampled_from(list('aZ09 |"\n\r\t,;é€ñ_-.@*#') + ['\u4e2d', '1', '0'])
CELL = st.one_of(st.text(ALPHABET, max_size=12), st.sampled_from(['', '0', '1', '1000', 'sip', 'default']))


@st.composite
def tables(draw):
    others = draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=10))
    header = ['firstname'] + others
    draw(st.randoms()).shuffle(header)
    if 'voicemailmailbox' in header and 'voicemailnumber' in header:
        header.remove('voicemailnumber')
    width = len(header)
    rows = draw(st.lists(st.lists(CELL, min_size=max(0, width - 2), max_size=width + 2), max_size=8))
    eol = draw(st.sampled_from(['\n', '\r\n']))
    final = draw(st.booleans())
    return header, rows, eol, final


def php_cell(value):
    if any(c in value for c in '|"\n\r') or value[:1] in (' ', '\t'):
        return '"%s"' % value.replace('"', '""')
    return value


def render(header, rows, eol, final):
    """The legacy text and, per row, the physical line where it starts."""
    lines = ['|'.join(header)]
    starts = []
    line = 2
    for row in rows:
        starts.append(line)
        text = '|'.join(php_cell(c) for c in row)
        lines.append(text)
        line += text.count('\n') + 1
    return eol.join(lines) + (eol if final else ''), starts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(['utf-8', 'utf-8-sig']), st.booleans())
def test_random_tables_round_trip(table, encoding, validate):
    header, rows, eol, final = table
    text, starts = render(header, rows, eol, final)
    with tempfile.TemporaryDirectory() as directory:
        check_round_trip(directory, header, rows, text, starts, encoding, validate)


def check_round_trip(directory, header, rows, text, starts, encoding, validate):
    src = os.path.join(directory, 'legacy.csv')
    dest = os.path.join(directory, 'confd.csv')
    with open(src, 'w', encoding=encoding, newline='') as handle:
        handle.write(text)
    with S.open_source(src, 'auto') as source:
        used = source.encoding
        converter, produced = L.convert_source(source, validate=validate)
        written = []
        with AtomicOutput(dest) as out:
            writer = csv.writer(out, lineterminator='\n')
            writer.writerow(converter.columns)
            for values in produced:
                assert len(values) == len(converter.columns)
                written.append(list(values))
                writer.writerow(values)
    assert used == encoding

    with open(dest, encoding='utf-8', newline='') as handle:
        back = list(csv.reader(handle))
    assert back[0] == converter.columns
    assert back[1:] == written
    assert not open(dest, 'rb').read().startswith(b'\xef\xbb\xbf')

    invalid_lines = set(p['line'] for p in converter.invalid_rows)
    expected_data = [(start, row) for start, row in zip(starts, rows)
                     if any(c.strip() for c in row[:len(header)])]
    assert converter.data_rows == len(expected_data)
    assert converter.rows + converter.invalid_count == len(expected_data)
    assert invalid_lines <= set(start for start, dummy in expected_data)
    assert len(invalid_lines) == converter.invalid_count
    position = header.index('firstname')
    first_col = converter.columns.index('firstname')
    valid = [(start, row) for start, row in expected_data if start not in invalid_lines]
    assert len(valid) == len(written)
    for (start, row), out_row in zip(valid, written):
        cell = row[position] if position < len(row) else ''
        expected = cell.strip()
        for brk in ('\r\n', '\n', '\r'):
            expected = expected.replace(brk, ' ')
        assert out_row[first_col] == expected.strip()
        assert '\n' not in ''.join(out_row) and '\r' not in ''.join(out_row)
