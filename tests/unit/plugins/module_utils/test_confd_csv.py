# -*- coding: utf-8 -*-
"""The confd CSV reader and writer: what a file must be, and the bytes confd is sent."""

from __future__ import annotations

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import confd_csv


def rows_of(text):
    return confd_csv.read('users.csv', data=text.encode('utf-8'))


def test_read_strips_bom_and_numbers_rows_from_the_first_data_line():
    header, rows = confd_csv.read(
        'f.csv', data=b'\xef\xbb\xbffirstname,exten,context\nA,1000,default\n\nB,1001,default')
    assert header == ['firstname', 'exten', 'context']
    assert [(r.number, r.line) for r in rows] == [(1, 2), (2, 4)]


def test_read_refuses_unknown_column_naming_the_closest():
    with pytest.raises(confd_csv.CsvFileError) as error:
        rows_of('firstname,phonenumbre,lastname\nA,1000,B\n')
    assert "users.csv: line 1: column 2 'phonenumbre'" in str(error.value)
    assert 'silently' in str(error.value)


def test_read_refuses_non_utf8_with_line():
    with pytest.raises(confd_csv.CsvFileError, match=r'users.csv: line 3: not UTF-8'):
        confd_csv.read('users.csv', data=b'firstname\nA\nJ\xe9r\xf4me\n')


def test_read_refuses_duplicate_columns_and_missing_firstname():
    with pytest.raises(confd_csv.CsvFileError, match='appears twice'):
        rows_of('firstname,firstname\nA,B\n')
    with pytest.raises(confd_csv.CsvFileError, match='no firstname column'):
        rows_of('lastname\nA\n')


def test_short_row_is_a_row_problem_not_padding():
    header, rows = rows_of('firstname,lastname,exten,context\nA,B\n')
    assert rows[0].problem == 'line 2 has 2 cells but the header has 4 columns'


def test_blank_lines_are_skipped_and_a_multiline_cell_keeps_its_start_line():
    header, rows = rows_of('firstname,lastname\n\nA,"two\nlines"\nB,C\n')
    assert [(r.number, r.line, r.values['lastname']) for r in rows] == [
        (1, 3, 'two\nlines'), (2, 5, 'C')]


def test_an_empty_file_has_no_header_and_no_rows():
    assert confd_csv.read('empty.csv', data=b'') == ([], [])


def test_body_writes_full_width_rows_with_lf_and_quotes_what_needs_it():
    data = confd_csv.body(['firstname', 'lastname', 'userfield'],
                          [{'firstname': 'Jérôme', 'userfield': 'a,b'}, {'lastname': 'say "hi"'}])
    assert data == ('firstname,lastname,userfield\nJérôme,,"a,b"\n,"say ""hi""",\n'
                    .encode('utf-8'))


def test_what_body_writes_reads_back_the_same():
    values = [{'firstname': 'A\nB', 'lastname': ' x ', 'email': '=1+2'}, {'firstname': 'C'}]
    header, rows = confd_csv.read('x.csv', data=confd_csv.body(
        ['firstname', 'lastname', 'email'], values))
    assert [r.values for r in rows] == [
        {'firstname': 'A\nB', 'lastname': ' x ', 'email': '=1+2'},
        {'firstname': 'C', 'lastname': '', 'email': ''}]


def test_users_body_is_the_same_bytes_whatever_the_order_of_the_export():
    users = [{'uuid': 'u%d' % n, 'firstname': 'F%d' % n, 'exten': str(1000 + n % 3),
              'context': 'default'} for n in range(6)]
    headers = ['uuid', 'firstname', 'exten', 'context']
    first = confd_csv.users_body(headers, users)
    assert first == confd_csv.users_body(headers, list(reversed(users)))
    assert first.splitlines()[1] == b'u0,F0,1000,default'
