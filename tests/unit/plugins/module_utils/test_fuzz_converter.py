# -*- coding: utf-8 -*-
"""Hypothesis fuzz of the legacy converter: random bytes and random tables never raise anything
but LegacyCsvError, and every data row is either written or reported invalid with a reason."""

from __future__ import annotations

import io
import os
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.xivo.confd.plugins.module_utils import legacy_mapping as lm
from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS
from ansible_collections.xivo.confd.plugins.module_utils.legacy_csv import convert_lines, convert_source
from ansible_collections.xivo.confd.plugins.module_utils.legacy_source import (
    LegacyCsvError, open_source)

HEADERS = [name for name, _confd in lm.LEGACY_COLUMNS] + ['voicemailmailbox', 'voicemailskippass', 'bogus']
CELL = st.one_of(st.sampled_from(['', '1', '0', 'sip', 'SCCP', 'default', '1001', '5000', 'abc', '"', '|', '\n',
                                  '\r', '""', '\\"', '=cmd|x', 'é', '\ufeff', ' ', 'client', 'x' * 300]),
                 st.text(max_size=12))


ENCODINGS = ('utf-8', 'utf-8-sig', 'cp1252', 'latin-1', 'utf-16-le', 'utf-16-be', 'utf-32-le',
             'utf-32-be')


def run(lines, source=None, **options):
    try:
        if source is not None:
            converter, rows = convert_source(source, **options)
        else:
            converter, rows = convert_lines(lines, **options)
        rows = list(rows)
    except LegacyCsvError as exc:
        assert str(exc) and (exc.line is None or exc.line >= 1)
        return None
    assert converter.rows == len(rows)
    assert converter.rows + converter.invalid_count == converter.data_rows
    for problem in converter.invalid_rows:
        assert problem['line'] >= 1 and problem['reason']
        assert problem['column'] is None or problem['column'] in IMPORT_COLUMNS
    for values in rows:
        assert len(values) == len(converter.columns)
        assert all('\n' not in v and '\r' not in v for v in values)
    return converter


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise_anything_but_a_legacy_error(data):
    fd, path = tempfile.mkstemp(suffix='.csv')
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        try:
            source = open_source(path, 'auto')
        except LegacyCsvError as exc:          # not text: the message says what it is
            assert str(exc).startswith('cannot be read as a legacy CSV: it is ')
            return
        assert source.encoding in ENCODINGS or source.encoding.startswith('mixed: utf-8 + ')
        with source:
            run(None, source, unknown_columns='drop')
    finally:
        os.remove(path)


@settings(max_examples=200, deadline=None)
@given(header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=12),
       table=st.lists(st.lists(CELL, max_size=14), max_size=12),
       unknown=st.sampled_from(['fail', 'drop']), newline=st.sampled_from(['\n', '\r\n']))
def test_random_tables_are_accounted_for_row_by_row(header, table, unknown, newline):
    text = '|'.join(header) + newline + ''.join('|'.join(cells) + newline for cells in table)
    run(io.StringIO(text, newline='\n'), unknown_columns=unknown)
