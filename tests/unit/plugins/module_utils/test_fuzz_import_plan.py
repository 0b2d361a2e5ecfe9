# -*- coding: utf-8 -*-
"""Hypothesis fuzz of the import reader and planner: random bytes never raise anything but
CsvFileError (naming the file and the line); random tables against random server users give
every row exactly one decision, never plan a user twice nor create one the server already has."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings, strategies as st

from ansible_collections.xivo.confd.plugins.module_utils import confd_csv, confd_rules, import_plan, user_identity

COLUMNS = ['firstname', 'lastname', 'exten', 'context', 'username', 'email', 'line_protocol', 'password',
           'mobile_phone_number', 'bogus']
CELL = st.one_of(st.sampled_from(['', '1001', '1002', 'default', 'a', 'A', 'x@y.z', 'X@Y.Z', 'sip', '12-34',
                                  '"', ',', '\n', '\x00', '\ufeff', '=cmd|x']), st.text(max_size=8))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_are_read_or_refused_with_file_and_line(data):
    try:
        header, rows = confd_csv.read('fuzz.csv', data=data)
    except confd_csv.CsvFileError as exc:
        assert str(exc).startswith('fuzz.csv: line '), str(exc)
        return
    outcomes = import_plan.plan(header, rows, [], validate=confd_rules.file_validator())
    assert len(outcomes) == len(rows)


@settings(max_examples=200, deadline=None)
@given(header=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8, unique=True),
       table=st.lists(st.lists(CELL, max_size=9), max_size=12),
       server=st.lists(st.fixed_dictionaries({'firstname': st.sampled_from(['a', 'b']),
                                              'exten': st.sampled_from(['', '1001', '1002']),
                                              'context': st.sampled_from(['', 'default']),
                                              'username': st.sampled_from(['', 'a', 'A']),
                                              'email': st.sampled_from(['', 'x@y.z'])}), max_size=4),
       update=st.booleans())
def test_random_tables_get_one_decision_per_row_and_no_double_creation(header, table, server, update):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(header)
    writer.writerows(table)
    try:
        head, rows = confd_csv.read('fuzz.csv', data=out.getvalue().encode('utf-8'))
    except confd_csv.CsvFileError as exc:
        assert str(exc).startswith('fuzz.csv: line ')
        return
    outcomes = import_plan.plan(head, rows, server, update=update, validate=confd_rules.file_validator())
    assert [o.row for o in outcomes] == rows
    index = user_identity.index_for(server, import_plan.DEFAULT_KEYS)
    planned = {}
    for outcome in outcomes:
        assert outcome.status in ('create', 'update', 'unchanged', 'failed', 'conflict')
        if outcome.status in ('failed', 'conflict'):
            assert outcome.error
            continue
        for spec in import_plan.DEFAULT_KEYS:
            value = import_plan.key_value(spec, outcome.row.values)
            if value is None:
                continue
            assert (spec, value) not in planned, 'two rows planned for one user'
            planned[(spec, value)] = outcome
            if outcome.status == 'create':
                assert not index.find(spec, value), 'a user the server has would be created again'
