# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""confd 16.15 row rules, one by one."""

from __future__ import annotations

import unicodedata

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
    ('username', ['ab', 'j.doe@x.org', "a!$&'()*+,;=%~_-"], ['a', 'a b', 'a' * 255, 'é1']),
    ('password', ['abcd', 'a' * 64], ['abc', 'a' * 65, 'a@bcd', 'ab cd']),
    ('language', ['fr_FR', 'en_US'], ['fr', 'FR_fr', 'fr-FR']),
    ('call_permission_password', ['1234', '#*1'], ['', 'a1', '1' * 17][1:]),
    ('voicemail_password', ['1234', '1' * 80], ['12a', '1' * 81, '#1']),
    ('sip_username', ['abc_1-2', 'a' * 40], ['a b', 'a' * 41, 'a.b']),
    ('sip_secret', ['pa ss!~', 'x' * 80], ['x' * 81, 'pässe', 'a\tb']),
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
    assert errors(entity_id='\u0661') == ['entity_id']


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


def test_duplicate_keys_are_compared_in_one_unicode_form():
    """An extension's context typed on two systems (é precomposed, or e and a combining
    accent) is one context: the two rows are one extension twice."""
    index = R.DuplicateIndex()
    assert index.check({'exten': '1000', 'context': 'd\u00e9faut'}, 2) == []
    problems = index.check({'exten': '1000', 'context': unicodedata.normalize('NFD', 'd\u00e9faut')}, 3)
    assert [(p.column, p.reason) for p in problems] == [('exten', 'same exten@context as line 2')]


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


def test_nul_is_an_error():
    assert errors(lastname='a\x00b') == ['lastname']


def test_file_validator_takes_a_platforms_rules_and_keeps_the_duplicate_check():
    def no_lastname(row):
        return [R.Problem('lastname', 'not here')] if row.get('lastname') else []
    check = R.file_validator(rules=no_lastname)
    assert check({'firstname': '', 'lastname': 'Lee'}, 2) == ['lastname: not here']
    assert check({'firstname': '', 'username': 'ann'}, 3) == []
    assert check({'firstname': '', 'username': 'ann'}, 4) == ['username: same username as line 3']
    assert R.file_validator()({'firstname': ''}, 5) == ['firstname: ' + R.NULL]
