# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""confd 16.15 row rules, one by one."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import confd_rules as R


def errors(**row):
    row.setdefault('firstname', 'A')
    return sorted(p.column for p in R.validate_row(row) if p.severity == R.ERROR)


def warnings(**row):
    row.setdefault('firstname', 'A')
    return sorted(p.column for p in R.validate_row(row) if p.severity == R.WARNING)


def test_valid_minimal():
    assert R.validate_row({'firstname': 'A'}) == []


def test_firstname_required_and_missing():
    assert errors(firstname='') == ['firstname']
    assert [p.column for p in R.validate_row({'lastname': 'x'})] == ['firstname']
    assert 'Missing data' in R.validate_row({'lastname': 'x'})[0].reason


@pytest.mark.parametrize('column,limit', [('firstname', 128), ('lastname', 128), ('userfield', 128),
                                          ('email', 254), ('outgoing_caller_id', 80),
                                          ('mobile_phone_number', 80)])
def test_lengths(column, limit):
    ok = '1' * limit if column == 'mobile_phone_number' else 'a' * limit
    row = {'firstname': 'A', 'lastname': ''}
    row[column] = ok
    if column in ('firstname', 'lastname'):
        row['lastname' if column == 'firstname' else 'firstname'] = 'b'
    assert column not in [p.column for p in R.validate_row(row) if 'longer' in p.reason]
    row[column] = ok + ok[0]
    assert column in [p.column for p in R.validate_row(row) if 'longer' in p.reason]


@pytest.mark.parametrize('column,good,bad', [
    ('mobile_phone_number', ['+33612', '*12#', '0'], ['33 6', 'abc', '+', '++1']),
    ('username', ['ab', 'j.doe@x.org', "a!$&'()*+,;=%~_-"], ['a', 'a b', 'a' * 255, u'é1']),
    ('password', ['abcd', 'a' * 64], ['abc', 'a' * 65, 'a@bcd', 'ab cd']),
    ('language', ['fr_FR', 'en_US'], ['fr', 'FR_fr', 'fr-FR']),
    ('call_permission_password', ['1234', '#*1'], ['', 'a1', '1' * 17][1:]),
    ('voicemail_password', ['1234', '1' * 80], ['12a', '1' * 81, '#1']),
    ('sip_username', ['abc_1-2', 'a' * 40], ['a b', 'a' * 41, 'a.b']),
    ('sip_secret', ['pa ss!~', 'x' * 80], ['x' * 81, u'pässe', 'a\tb']),
    ('exten', ['1000', '_1XXX', '_[1-3]XX.', '0' * 40], ['12a', '1' * 41, '_', 'abc']),
    ('incall_exten', ['2000'], ['20a0']),
])
def test_patterns(column, good, bad):
    base = {'firstname': 'A', 'context': 'default', 'incall_context': 'from-extern',
            'incall_exten': '2000', 'voicemail_number': '1', 'voicemail_context': 'default',
            'voicemail_name': 'x'}
    for value in good:
        row = dict(base, **{column: value})
        assert column not in [p.column for p in R.validate_row(row) if p.severity == R.ERROR], value
    for value in bad:
        row = dict(base, **{column: value})
        found = [p for p in R.validate_row(row) if p.column == column]
        assert found, value
        if column in ('password', 'sip_secret', 'voicemail_password', 'call_permission_password'):
            assert value not in found[0].reason


def test_voicemail_number_pattern():
    assert errors(voicemail_number='12a', voicemail_context='d', voicemail_name='n') == ['voicemail_number']


def test_integers_and_ranges():
    assert errors(ring_seconds='0', simultaneous_calls='20', entity_id='3', incall_ring_seconds='99') == []
    assert errors(ring_seconds='61') == ['ring_seconds']
    assert errors(ring_seconds='-1') == ['ring_seconds']
    assert errors(ring_seconds='5.0') == ['ring_seconds']
    assert errors(simultaneous_calls='0') == ['simultaneous_calls']
    assert errors(simultaneous_calls='21') == ['simultaneous_calls']
    assert errors(entity_id='x') == ['entity_id']
    assert errors(entity_id=u'\u0661') == ['entity_id']


@pytest.mark.parametrize('value', ['true', 'yes', ' 1', '2', 'on'])
def test_booleans(value):
    assert errors(enabled=value) == ['enabled']
    assert errors(enabled='0', call_transfer_enabled='1') == []


def test_voicemail_rule():
    assert errors(voicemail_number='1000') == ['voicemail_context', 'voicemail_name']
    assert errors(voicemail_context='default', voicemail_name='') == ['voicemail_name', 'voicemail_number']
    row = dict(voicemail_number='1000', voicemail_context='default', voicemail_name='A',
               voicemail_ask_password='', voicemail_delete_messages='', voicemail_attach_audio='')
    assert errors(**row) == ['voicemail_ask_password', 'voicemail_delete_messages']
    assert errors(voicemail_name='N' * 81, voicemail_number='1', voicemail_context='d') == ['voicemail_name']
    assert errors(voicemail_email='e' * 81, voicemail_number='1', voicemail_context='d',
                  voicemail_name='x') == ['voicemail_email']
    assert errors(voicemail_ask_password='', voicemail_name='') == []


def test_exten_rules():
    assert errors(exten='1000') == ['context']
    assert errors(exten='*123', context='default') == ['exten']
    assert '500' in R.validate_row({'firstname': 'A', 'exten': '#1', 'context': 'd'})[0].reason
    assert errors(exten='_*12X', context='default') == []
    assert errors(incall_exten='2000') == ['incall_context']
    assert errors(incall_context='from-extern') == ['incall_exten']
    assert errors(incall_exten='*20', incall_context='from-extern') == ['incall_exten']


def test_caller_id_length():
    assert errors(firstname='a' * 100, lastname='b' * 57) == []
    assert errors(firstname='a' * 100, lastname='b' * 58) == ['lastname']
    assert errors(firstname='a' * 128, lastname='') == []


def test_cti_profile_needs_credentials():
    assert errors(cti_profile_enabled='1', username='ab') == ['cti_profile_enabled']
    assert errors(cti_profile_enabled='1', username='ab', password='abcd') == []
    assert errors(cti_profile_enabled='0') == []


def test_line_protocol_warnings():
    assert warnings(line_protocol='custom', context='default') == ['line_protocol']
    assert warnings(line_protocol='SIP') == ['line_protocol']
    assert warnings(line_protocol='', context='default', exten='1000') == ['line_protocol']
    assert warnings(line_protocol='sccp') == []
    assert errors(line_protocol='custom') == []


def test_validate_value():
    assert R.validate_value('language', 'fr_FR') is None
    assert R.validate_value('language', 'fr') is not None
    assert R.validate_value('unknown', 'x') is None
    assert R.validate_value('language', '') is None


def test_duplicate_index():
    index = R.DuplicateIndex()
    assert index.check({'exten': '1000', 'context': 'default', 'username': 'jd', 'email': 'A@B.c',
                        'sip_username': 's1'}, 2) == []
    problems = index.check({'exten': '1000', 'context': 'default'}, 3)
    assert [(p.column, p.reason) for p in problems] == [('exten', 'same exten@context as line 2')]
    assert index.check({'exten': '1000', 'context': 'other'}, 4) == []
    assert [p.column for p in index.check({'email': 'a@b.C'}, 5)] == ['email']
    assert [p.column for p in index.check({'username': 'jd', 'sip_username': 's1'}, 6)] == [
        'username', 'sip_username']
    assert index.check({'username': 'JD'}, 7) == []
    assert index.check({'incall_exten': '2000', 'incall_context': 'x'}, 8, record=False) == []
    assert index.check({'incall_exten': '2000', 'incall_context': 'x'}, 9) == []
    assert [p.column for p in index.check({'incall_exten': '2000', 'incall_context': 'x'}, 10)] == [
        'incall_exten']
    assert len(index) == 7


def test_row_key_and_diff():
    old = [{'firstname': 'A', 'exten': '1000', 'context': 'd', 'password': 'old1'},
           {'firstname': 'B', 'username': 'bb'},
           {'firstname': 'C'}]
    diff = R.RowDiff(old)
    diff.add({'firstname': 'A', 'exten': '1000', 'context': 'd', 'password': 'new1'})
    diff.add({'firstname': 'C'})
    diff.add({'firstname': 'D', 'email': 'D@x'})
    summary = diff.summary()
    assert (summary['added'], summary['removed'], summary['changed'], summary['unchanged']) == (1, 1, 1, 1)
    assert summary['changed_keys'] == [{'key': '1000@d', 'columns': ['password']}]
    assert summary['removed_keys'] == ['username:bb'] and summary['added_keys'] == ['email:d@x']
    before, after = diff.texts()
    assert 'old1' not in before + after and 'new1' not in before + after
    assert 'secret changed: password' in after


import itertools  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS  # noqa: E402

VALUES = st.one_of(
    st.sampled_from(['', '0', '1', '2', '05', '60', '61', '20', '21', '1000', '*12', '_1XXX', 'sip', 'sccp',
                     'SIP', 'default', 'fr_FR', 'abcd', 'a', 'a b', '+336', 'x' * 81, 'y' * 129, 'z' * 255,
                     u'é', 'a\x00b', '#', '12a', 'a@b']),
    st.text(st.sampled_from(list(u'ab01_*#@ .-é+')), max_size=6))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(IMPORT_COLUMNS), unique=True, min_size=1, max_size=14), st.data())
def test_row_validator_agrees_with_validate_row(columns, data):
    values = [data.draw(VALUES) for dummy in columns]
    assert R.RowValidator(columns)(values) == R.validate_row(dict(zip(columns, values)))


# Values that pass their column's own rule, so that rows often get past the per-cell checks and
# the cross-column rules (voicemail, extensions, incall, CTI, line) decide.
CROSS_RULE_COLUMNS = ['firstname', 'lastname', 'username', 'password', 'context', 'line_protocol', 'exten',
                      'sip_username', 'sip_secret', 'incall_exten', 'incall_context', 'voicemail_name',
                      'voicemail_number', 'voicemail_context', 'voicemail_ask_password',
                      'voicemail_delete_messages', 'cti_profile_enabled']
GOOD = {'firstname': ['Ann', 'x' * 100], 'lastname': ['Lee', 'y' * 60], 'username': ['ann'],
        'password': ['secret1'], 'context': ['default'], 'line_protocol': ['sip', 'sccp', 'iax'],
        'exten': ['1000', '_1XXX', '*12'], 'sip_username': ['s1'], 'sip_secret': ['p'],
        'incall_exten': ['2000', '#5'], 'incall_context': ['from-extern'], 'voicemail_name': ['VM'],
        'voicemail_number': ['1000'], 'voicemail_context': ['default'],
        'voicemail_ask_password': ['0', '1'], 'voicemail_delete_messages': ['1'],
        'cti_profile_enabled': ['0', '1']}


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(CROSS_RULE_COLUMNS[1:]), unique=True, max_size=16), st.data())
def test_row_validator_agrees_with_validate_row_on_the_cross_column_rules(columns, data):
    columns = ['firstname'] + columns
    values = [data.draw(st.sampled_from([''] + GOOD[c])) for c in columns]
    assert R.RowValidator(columns)(values) == R.validate_row(dict(zip(columns, values)))


RULE_GROUPS = [
    ['voicemail_name', 'voicemail_number', 'voicemail_context', 'voicemail_ask_password',
     'voicemail_delete_messages'],
    ['context', 'line_protocol', 'exten', 'sip_username', 'sip_secret'],
    ['incall_exten', 'incall_context', 'context'],
    ['cti_profile_enabled', 'username', 'password'],
    ['lastname', 'voicemail_number', 'voicemail_context'],
]


@pytest.mark.parametrize('group', RULE_GROUPS, ids=lambda group: group[0])
def test_row_validator_agrees_with_validate_row_on_every_combination(group):
    """Each column of a group of related rules absent, empty or set to each of its good values,
    in every combination (firstname set)."""
    absent = object()
    for choice in itertools.product(*[[absent, ''] + GOOD[c] for c in group]):
        row = dict((c, v) for c, v in zip(group, choice) if v is not absent)
        columns = [c for c in IMPORT_COLUMNS if c == 'firstname' or c in row]
        row['firstname'] = 'x' * 100 if 'lastname' in row else 'Ann'
        values = [row[c] for c in columns]
        assert R.RowValidator(columns)(values) == R.validate_row(row), row


def test_quick_gives_the_row_joined_when_it_passes():
    columns = ['firstname', 'exten', 'context', 'line_protocol']
    quick = R.RowValidator(columns).quick
    assert quick(['Ann', '1000', 'default', 'sip']) == R.JOINED_BY.join(['Ann', '1000', 'default', 'sip'])
    assert quick(['Ann', '1000', '', 'sip']) is None
    assert quick(['Ann', '1000', 'default', '']) is None      # a warning: validate_row says it


def test_nul_is_an_error():
    assert errors(lastname='a\x00b') == ['lastname']


def test_bound_duplicate_check_agrees():
    columns = ['firstname', 'exten', 'context', 'email', 'username']
    index = R.DuplicateIndex()
    check = index.bind(columns)
    assert check(['A', '1000', 'd', 'A@x', 'u1'], 2) == []
    problems = check(['B', '1000', 'd', 'a@X', 'u2'], 3)
    assert [p.column for p in problems] == ['exten', 'email']
    assert check(['C', '', '', '', 'u2'], 4) == []       # the invalid row recorded nothing
    assert [p.reason for p in index.check({'username': 'u1'}, 5)] == ['same username as line 2']


KEY_VALUES = st.sampled_from(['', '1000', '1001', 'a@b.c', 'A@B.c', 'default', 'other', 'u1', 'U1'])
KEY_COLUMNS = ['firstname', 'exten', 'context', 'incall_exten', 'incall_context', 'username', 'email',
               'sip_username']


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(KEY_COLUMNS[1:]), unique=True), st.data())
def test_bound_duplicate_check_agrees_with_check(columns, data):
    """The bound check finds the same clashes as check() and leaves the same keys behind, on
    rows of any subset of the key columns (an extension without its context included)."""
    columns = ['firstname'] + columns
    rows = data.draw(st.lists(st.lists(KEY_VALUES, min_size=len(columns), max_size=len(columns)),
                              max_size=8))
    records = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    by_dict, bound_index = R.DuplicateIndex(), R.DuplicateIndex()
    bound = bound_index.bind(columns)
    for line, (values, record) in enumerate(zip(rows, records), 2):
        expected = by_dict.check(dict(zip(columns, values)), line, record)
        assert bound(values, line, record) == expected
        assert len(bound_index) == len(by_dict)
