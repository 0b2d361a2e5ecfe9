# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Legacy CSV parsing, encodings and conversion, on real bytes."""

from __future__ import annotations

import glob
import os

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import legacy_csv as L
from ansible_collections.xivo.confd.plugins.module_utils import legacy_records as P
from ansible_collections.xivo.confd.plugins.module_utils import legacy_source as S
from ansible_collections.xivo.confd.plugins.module_utils import legacy_mapping as M

# tests/unit/plugins/module_utils/ -> tests/integration/files/samples
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..',
                       'integration', 'files', 'samples')


def convert(tmp_path, data, encoding='auto', **options):
    path = tmp_path / 'in.csv'
    path.write_bytes(data)
    conv, used, rows = L.convert_file(str(path), encoding=encoding, **options)
    return conv, used, [dict(zip(conv.columns, r)) for r in rows]


def records(text):
    return list(P.iter_records(text.splitlines(True)))


# ---------------------------------------------------------------- PHP record splitting

def test_plain_and_blank_lines():
    assert records('a|b\n\nc|d') == [(1, ['a', 'b'], 0), (2, [], 0), (3, ['c', 'd'], 0)]


def test_crlf_lf_and_no_final_newline():
    assert records('a|b\r\nc|d\ne|f') == [(1, ['a', 'b'], 0), (2, ['c', 'd'], 0), (3, ['e', 'f'], 0)]


def test_quoted_pipe_doubled_quote():
    assert records('"a|b"|"say ""hi"""\n') == [(1, ['a|b', 'say "hi"'], 0)]


def test_php_backslash_escape():
    line, cells, flags = records('"a\\"b"|"c\\\\d"|x\n')[0]
    assert cells == ['a"b', 'c\\\\d', 'x']
    assert flags & P.F_ESCAPE


def test_newline_inside_quotes_counts_physical_lines():
    recs = records('"Jo\nhn"|Doe\r\n"x\r\ny"|z\nlast|one\n')
    assert recs[0][:2] == (1, ['Jo\nhn', 'Doe'])
    assert recs[0][2] & P.F_NEWLINE
    assert recs[1][:2] == (3, ['x\r\ny', 'z'])
    assert recs[2][:2] == (5, ['last', 'one'])


def test_text_after_closing_quote_and_quote_in_unquoted_cell():
    assert records('"ab"cd|e"f\n')[0][1] == ['abcd', 'e"f']


def test_leading_space_before_quote():
    assert records('  "a|b" |c\n')[0][1] == ['a|b ', 'c']


def test_tab_delimiter_skips_spaces_not_tabs_before_a_quote():
    lines = ['a\t "b\tc"\t\t"d"\n']
    assert list(P.iter_records(lines, '\t')) == [
        (1, ['a', 'b\tc', '', 'd'], 0)]


def test_records_count_lines_from_first_line():
    assert [line for line, dummy, dummy2 in P.iter_records(['a\n', '"b\n', 'c"\n', 'd\n'], first_line=7)] == [7, 8, 10]


def test_unterminated_quote_at_eof():
    line, cells, flags = records('a|"open\nstill')[0]
    assert cells == ['a', 'open\nstill'] and flags & P.F_UNTERMINATED


# ---------------------------------------------------------------- encodings

def test_utf8(tmp_path):
    conv, used, rows = convert(tmp_path, 'firstname|lastname\nJérôme|Ünal\n'.encode('utf-8'))
    assert used == 'utf-8' and rows[0]['firstname'] == 'Jérôme'


def test_utf8_bom(tmp_path):
    conv, used, rows = convert(tmp_path, b'\xef\xbb\xbf' + 'firstname|lastname\nJérôme|X\n'.encode('utf-8'))
    assert used == 'utf-8-sig' and rows[0]['firstname'] == 'Jérôme'
    assert conv.columns[:2] == ['firstname', 'lastname']


def test_utf8_bom_explicit(tmp_path):
    conv, used, rows = convert(tmp_path, b'\xef\xbb\xbffirstname\nA\n', encoding='utf-8')
    assert used == 'utf-8-sig' and rows[0]['firstname'] == 'A'


def test_cp1252_detected(tmp_path):
    conv, used, rows = convert(tmp_path, 'firstname|lastname\nJérôme|O\u2019Neil\n'.encode('cp1252'))
    assert used == 'cp1252'
    assert rows[0] == dict(firstname='Jérôme', lastname='O\u2019Neil', call_transfer_enabled='1')


def test_latin1_fallback_when_cp1252_undefined(tmp_path):
    data = 'firstname|lastname\nJérôme|A\x81\n'.encode('latin-1')
    conv, used, rows = convert(tmp_path, data)
    assert used == 'latin-1' and rows[0]['firstname'] == 'Jérôme'


def test_explicit_latin1(tmp_path):
    conv, used, rows = convert(tmp_path, 'firstname\nJérôme\n'.encode('latin-1'), encoding='latin-1')
    assert used == 'latin-1' and rows[0]['firstname'] == 'Jérôme'


def test_explicit_wrong_encoding_names_the_line_and_byte_before_anything_is_read(tmp_path):
    with pytest.raises(S.LegacyCsvError) as error:
        convert(tmp_path, 'firstname\nA\n\nJérôme\n'.encode('latin-1'), encoding='utf-8')
    assert error.value.line == 4
    assert str(error.value).startswith('cannot be decoded as utf-8: byte 0xe9 at line 4 (invalid')


def test_detection_is_chunked(tmp_path, monkeypatch):
    monkeypatch.setattr(S, 'CHUNK', 7)
    data = ('firstname\n' + 'Jérôme\n' * 50).encode('utf-8')
    conv, used, rows = convert(tmp_path, data)
    assert used == 'utf-8' and len(rows) == 50


# ---------------------------------------------------------------- headers and mapping

def test_every_sample_converts(tmp_path):
    for path in glob.glob(os.path.join(SAMPLES, '*.csv')):
        conv, used, rows = L.convert_file(path)
        assert rows and not conv.invalid_rows, path
        assert 'call_transfer_enabled' in conv.columns


def test_full_15_19_header(tmp_path):
    header = '|'.join(name for name, dummy in M.LEGACY_COLUMNS)
    values = {
        'entityid': '1', 'firstname': ' John ', 'lastname': 'Doe', 'language': 'fr_FR',
        'outcallerid': '"John" <1000>', 'enableclient': '1', 'username': 'jdoe', 'password': 'secret1',
        'profileclient': 'agentsup', 'enablexfer': '', 'enablehint': '1', 'agentnumber': '12',
        'mobilephonenumber': '+33 6.12-34', 'bosssecretary': 'no', 'phonenumber': '1000',
        'context': 'default', 'callerid': 'x', 'protocol': 'SIP', 'linename': 'abc', 'linesecret': 'pw',
        'voicemailname': '', 'voicemailcontext': 'default', 'voicemailnumber': '1000',
        'voicemailpassword': '1234', 'voicemailemail': 'j@d.o', 'voicemailattach': '1',
        'voicemaildelete': '', 'voicemailaskpassword': '', 'incallexten': '2000',
        'incallcontext': 'from-extern', 'incallringseconds': '10',
    }
    line = '|'.join(values[name] if '|' not in values[name] else '"%s"' % values[name]
                    for name, dummy in M.LEGACY_COLUMNS)
    conv, used, rows = convert(tmp_path, ('%s\n%s\n' % (header, line)).encode())
    row = rows[0]
    assert conv.dropped_columns == ['agentnumber', 'bosssecretary', 'callerid']
    assert any('agentnumber, bosssecretary, callerid' in w for w in conv.summary_warnings())
    assert row['firstname'] == 'John'
    assert row['line_protocol'] == 'sip'
    assert row['cti_profile_name'] == 'Supervisor'
    assert row['call_transfer_enabled'] == '1'
    assert row['mobile_phone_number'] == '+3361234'
    assert row['voicemail_name'] == 'John Doe'
    assert row['voicemail_ask_password'] == '1' and row['voicemail_delete_messages'] == '0'
    assert row['sip_username'] == 'abc' and row['incall_ring_seconds'] == '10'
    from ansible_collections.xivo.confd.plugins.module_utils.confd_columns import IMPORT_COLUMNS
    assert conv.columns == [c for c in IMPORT_COLUMNS if c in conv.columns]
    assert set(conv.columns) >= set(c for dummy, c in M.LEGACY_COLUMNS if c)


def test_pre_1515_headers(tmp_path):
    data = (b'firstname|lastname|phonenumber|context|protocol|voicemailmailbox|voicemailpassword|'
            b'voicemailskippass\nA|B|1000|default|sip|1000|1234|1\nC|D|1001|default|sip|1001|1234|0\n'
            b'E|F|1002|default|sip|||\n')
    conv, used, rows = convert(tmp_path, data)
    assert rows[0]['voicemail_number'] == '1000'
    assert rows[0]['voicemail_context'] == 'default'
    assert rows[0]['voicemail_name'] == 'A B'
    assert rows[0]['voicemail_ask_password'] == '0'
    assert rows[1]['voicemail_ask_password'] == '1'
    assert rows[2]['voicemail_context'] == '' and rows[2]['voicemail_name'] == ''
    assert rows[2]['voicemail_ask_password'] == ''


def test_skippass_invalid_value_is_reported(tmp_path):
    conv, used, rows = convert(tmp_path, b'firstname|voicemailmailbox|context|voicemailskippass\nA|1000|default|yes\n')
    assert rows == []
    assert conv.invalid_rows[0]['column'] == 'voicemail_ask_password'
    assert conv.invalid_rows[0]['legacy_column'] == 'voicemailskippass'


def test_unknown_header_fails_with_suggestion(tmp_path):
    with pytest.raises(S.LegacyCsvError) as err:
        convert(tmp_path, b'firstname|lastname|phonenumbre|foo\nA|B|1000|x\n')
    text = str(err.value)
    assert "'phonenumbre' (column 3, did you mean 'phonenumber'?), 'foo' (column 4)" in text
    assert err.value.line == 1


def test_unknown_header_drop(tmp_path):
    conv, used, rows = convert(tmp_path, b'firstname|phonenumbre\nA|1000\n', unknown_columns='drop')
    assert rows == [dict(firstname='A', call_transfer_enabled='1')]
    assert conv.dropped_columns == ['phonenumbre']


def test_column_map_and_defaults(tmp_path):
    data = b'firstname|Phonenumbre|mail|voicemailnumber|callerid\nA|1000|a@b.c|1000|x\nB|1001||\n'
    conv, used, rows = convert(tmp_path, data, column_map={'phonenumbre': 'exten', 'mail': 'email',
                                                           'callerid': ''},
                               defaults={'context': 'default', 'voicemail_context': 'default',
                                         'line_protocol': 'sip', 'entity_id': 1})
    assert rows[0]['exten'] == '1000' and rows[0]['email'] == 'a@b.c'
    assert rows[0]['context'] == 'default' and rows[0]['voicemail_context'] == 'default'
    assert rows[0]['entity_id'] == '1'
    assert rows[1]['voicemail_context'] == ''      # no voicemail on that row: no default
    assert rows[1]['context'] == 'default'
    assert conv.dropped_columns == ['callerid']


def test_bad_column_map_target(tmp_path):
    with pytest.raises(S.LegacyCsvError):
        convert(tmp_path, b'firstname|x\nA|1\n', column_map={'x': 'nope'})


def test_two_headers_same_target(tmp_path):
    with pytest.raises(S.LegacyCsvError):
        convert(tmp_path, b'firstname|voicemailnumber|voicemailmailbox\nA|1|1\n')


def test_no_firstname_header(tmp_path):
    with pytest.raises(S.LegacyCsvError):
        convert(tmp_path, b'lastname\nA\n')


def test_empty_file(tmp_path):
    with pytest.raises(S.LegacyCsvError):
        convert(tmp_path, b'\n\n')


def test_profile_case_map():
    assert [M.map_profile(v) for v in ('client', 'AGENT', 'switchboard', 'agentsup', 'Custom')] == [
        'Client', 'Agent', 'Switchboard', 'Supervisor', 'Custom']


def test_closest_header():
    assert M.closest_header('voicemailnumbr') == 'voicemailnumber'
    assert M.closest_header('zzzzzzzz') is None


# ---------------------------------------------------------------- rows

def test_trim_blank_lines_short_long_rows(tmp_path):
    data = b'\nfirstname|lastname|phonenumber\r\n  A  | B |\r\n\r\n| |\r\nC\r\nD|E|1001|extra|\r\nF|G||\n'
    conv, used, rows = convert(tmp_path, data, defaults={'context': 'default'})
    assert [r['firstname'] for r in rows] == ['A', 'C', 'D', 'F']
    assert rows[0]['lastname'] == 'B'
    assert conv.header_line == 2
    notices = {}
    for n in conv.row_warnings:
        notices[n['line']] = notices.get(n['line'], '') + n['reason'] + ';'
    assert 'padded' in notices[6]
    assert 'cut 2 extra' in notices[7] and 'position 4' in notices[7]
    assert 9 not in notices       # a trailing empty cell is cut silently
    assert conv.blank_lines == 3


def test_newline_in_value_replaced_and_reported(tmp_path):
    data = b'firstname|lastname\n"Jo\nhn"|"Do\r\ne"\nA|B\n'
    conv, used, rows = convert(tmp_path, data, newline_replacement='_')
    assert rows[0]['firstname'] == 'Jo_hn' and rows[0]['lastname'] == 'Do_e'
    assert [(n['line'], n['column']) for n in conv.row_warnings] == [(2, 'firstname'), (2, 'lastname')]
    assert any('line break' in w and 'line 2' in w for w in conv.summary_warnings())


def test_enablexfer_kept(tmp_path):
    conv, used, rows = convert(tmp_path, b'firstname|enablexfer\nA|0\nB|\nC|1\n')
    assert [r['call_transfer_enabled'] for r in rows] == ['0', '1', '1']


def test_invalid_rows_are_reported_with_lines(tmp_path):
    data = (b'firstname|lastname|username|password|phonenumber|context\n'
            b'A|B|jdoe|s3cr3tpw|1000|default\n'
            b'|B|x|x y|1001|default\n'
            b'C|D|jdoe|pass1234|1000|default\n')
    conv, used, rows = convert(tmp_path, data)
    assert len(rows) == 1 and conv.invalid_count == 2
    by_line = {}
    for p in conv.invalid_rows:
        by_line.setdefault(p['line'], []).append((p['column'], p['legacy_column']))
    assert ('firstname', 'firstname') in by_line[3]
    assert ('username', 'username') in by_line[3]
    assert ('password', 'password') in by_line[3]
    assert ('exten', 'phonenumber') in by_line[4] and ('username', 'username') in by_line[4]
    text = repr(conv.invalid_rows)
    assert 'x y' not in text and 's3cr3tpw' not in text
    assert any('line 2' in p['reason'] for p in conv.invalid_rows if p['line'] == 4)


def test_validate_false(tmp_path):
    conv, used, rows = convert(tmp_path, b'firstname|mobilephonenumber\n|abc\n', validate=False)
    assert len(rows) == 1 and not conv.invalid_rows


def test_max_reported_caps_lists(tmp_path):
    data = b'firstname\n' + b'\n'.join(b'"x\ny"' for dummy in range(20)) + b'\n'
    conv, used, rows = convert(tmp_path, data, max_reported=5)
    assert len(rows) == 20 and len(conv.row_warnings) == 5


def test_streaming_does_not_read_ahead():
    lines = iter(['firstname\n', 'A\n', 'B\n', 'C\n'])
    conv, rows = L.convert_lines(lines)
    assert next(rows)[0] == 'A'
    assert next(lines) == 'B\n'


def test_a_comma_separated_file_is_named_as_such(tmp_path):
    with pytest.raises(S.LegacyCsvError) as error:
        convert(tmp_path, b'firstname,lastname,exten,context\nA,B,1000,default\n')
    assert str(error.value).startswith("the file is delimited by ',', not '|'")
    assert 'xivo.confd.user_import' in str(error.value)


def test_a_semicolon_separated_file_is_diagnosed_first(tmp_path):
    for options in ({}, {'unknown_columns': 'drop'}):
        with pytest.raises(S.LegacyCsvError) as error:
            convert(tmp_path, 'prénom;firstname;lastname;phonenumber;context\nA;B;C;1000;default\n'
                    .encode('cp1252'), **options)
        text = str(error.value)
        assert text.startswith("the file is delimited by ';', not '|'"), text
        assert "'firstname', 'lastname', 'phonenumber', 'context'" in text
        assert 'unknown' not in text and 'did you mean' not in text
