# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a legacy file is opened: what kind of file it is, its encoding (mixed ones too), its
line ends and delimiter, files that can be read only once, and the records of whole files;
on real bytes."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import threading

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import legacy_csv as L
from ansible_collections.xivo.confd.plugins.module_utils import legacy_records as P
from ansible_collections.xivo.confd.plugins.module_utils import legacy_source as S

HEADER = 'firstname|lastname|phonenumber|context\n'


def write(tmp_path, data, name='in.csv'):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def convert(path, **options):
    """(source, converter, rows as dicts) through open_source, as the action plugin reads."""
    with S.open_source(path, options.pop('encoding', 'auto')) as source:
        converter, rows = L.convert_source(source, **options)
        rows = [dict(zip(converter.columns, r)) for r in rows]
    return source, converter, rows


# ---------------------------------------------------------------- what kind of file

def test_bom_of():
    assert S.bom_of(codecs.BOM_UTF8 + b'x') == ('utf-8', 3)
    assert S.bom_of(codecs.BOM_UTF16_LE + b'x\x00') == ('utf-16-le', 2)
    assert S.bom_of(codecs.BOM_UTF16_BE + b'\x00x') == ('utf-16-be', 2)
    assert S.bom_of(codecs.BOM_UTF32_LE + b'x\x00\x00\x00') == ('utf-32-le', 4)
    assert S.bom_of(b'firstname') == (None, 0)


def test_utf16_without_bom():
    assert S.utf16_without_bom(HEADER.encode('utf-16-le')) == 'utf-16-le'
    assert S.utf16_without_bom(HEADER.encode('utf-16-be')) == 'utf-16-be'
    assert S.utf16_without_bom(HEADER.encode('utf-8')) is None
    assert S.utf16_without_bom(b'\x00' * 100) is None         # NUL on both sides: binary


@pytest.mark.parametrize('data,what', [
    (gzip.compress(HEADER.encode(), mtime=0), 'a gzip file'),
    (b'BZh91AY&SY' + b'\x00' * 20, 'a bzip2 file'),
    (b'\xfd7zXZ\x00\x00', 'an xz file'),
    (b'PK\x03\x04\x14\x00\x06\x00', 'a ZIP archive, such as an Excel .xlsx workbook'),
    (b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00', 'an Excel 97-2003 workbook (.xls)'),
    (b'%PDF-1.4\n', 'a PDF document'),
    (HEADER.encode('utf-16-le'), 'UTF-16 text without a BOM (utf-16-le'),
    (bytes(range(256)) * 4, 'a binary file, not text: 112 of its first 1024 bytes'),
    (b'\x00' * 4096, 'a binary file, not text: 4096 of its first 4096 bytes'),
])
def test_not_text_names_what_the_file_is(data, what):
    assert S.not_text(data).startswith(what)


def test_text_with_a_stray_nul_or_escape_is_text():
    assert S.not_text((HEADER + 'J\x00ean|D\x1b|1000|default\n').encode()) is None
    assert S.not_text('é|€|x\n'.encode('cp1252')) is None
    assert S.not_text(HEADER.encode('utf-16-le'), wide=True) is None


@pytest.mark.parametrize('data,cause', [
    (gzip.compress(HEADER.encode(), mtime=0), 'it is a gzip file (compressed): decompress it first'),
    (HEADER.encode('utf-16-le') + 'Jean|Dupont|1000|default\n'.encode('utf-16-le'),
     'it is UTF-16 text without a BOM (utf-16-le, by the NUL bytes beside its letters): set '
     'encoding: utf-16-le'),
    (bytes(range(256)) * 300, 'it is a binary file, not text'),
])
def test_a_file_that_is_not_legacy_text_is_refused_with_its_real_cause(tmp_path, data, cause):
    with pytest.raises(S.LegacyCsvError) as error:
        S.open_source(write(tmp_path, data))
    assert str(error.value).startswith('cannot be read as a legacy CSV: ' + cause)
    assert all(32 <= ord(c) < 127 for c in str(error.value)), 'raw bytes in the message'


def test_utf16_without_bom_is_read_when_named(tmp_path):
    data = (HEADER + 'Hélène|Dupont|1000|default\r\n').encode('utf-16-le')
    source, converter, rows = convert(write(tmp_path, data), encoding='utf-16-le')
    assert source.encoding == 'utf-16-le' and rows[0]['firstname'] == 'Hélène'


def test_a_bom_that_contradicts_the_encoding_asked_for_is_refused(tmp_path):
    path = write(tmp_path, codecs.BOM_UTF16_LE + HEADER.encode('utf-16-le'))
    with pytest.raises(S.LegacyCsvError) as error:
        S.open_source(path, 'cp1252')
    assert 'starts with a UTF-16-LE BOM but the encoding asked for is cp1252' in str(error.value)
    assert S.open_source(path, 'utf-16').encoding == 'utf-16'
    assert S.open_source(path, 'UTF-16LE').skip == 2


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(S.LegacyCsvError) as error:
        S.open_source(str(tmp_path))
    assert str(error.value) == 'is a directory, not a file'


# ---------------------------------------------------------------- mixed encodings

def test_a_file_mixing_utf8_and_cp1252_lines_is_decoded_line_by_line(tmp_path):
    data = (HEADER.encode() + 'Hélène|Dupré|1000|default\n'.encode('utf-8')
            + 'Hélène|Lefèvre|1001|default\n'.encode('cp1252')
            + b'Paul|Martin|1002|default\n'
            + 'Zoé|Müller|1003|default\n'.encode('cp1252'))
    source, converter, rows = convert(write(tmp_path, data))
    assert source.encoding == 'mixed: utf-8 + cp1252' and source.codec is None
    assert [r['lastname'] for r in rows] == ['Dupré', 'Lefèvre', 'Martin', 'Müller']
    assert [r['firstname'] for r in rows][:2] == ['Hélène', 'Hélène']       # no HÃ©lÃ¨ne
    assert source.encoding_lines == {'utf-8': {'count': 1, 'lines': [2]},
                                     'cp1252': {'count': 2, 'lines': [3, 5]}}
    assert ('mixed encodings: 1 line(s) are UTF-8 and 2 are not, read as cp1252 (line 3, 5): '
            'check their accented letters') in converter.summary_warnings()


def test_mixed_lines_that_cp1252_cannot_decode_are_latin1(tmp_path):
    data = (HEADER.encode() + 'Hélène|A|1000|default\n'.encode('utf-8') + b'Ren\xe9\x81|B|1001|default\n')
    source, converter, rows = convert(write(tmp_path, data))
    assert source.encoding == 'mixed: utf-8 + latin-1'
    assert rows[1]['firstname'] == 'Ren\xe9\x81'
    assert source.encoding_lines['latin-1'] == {'count': 1, 'lines': [3]}


def test_mixed_line_numbers_are_capped_but_counted(tmp_path):
    data = HEADER.encode() + 'é|A||\n'.encode('utf-8') + 'é|B||\n'.encode('cp1252') * 30
    with S.open_source(write(tmp_path, data), max_listed=5) as source:
        assert source.encoding_lines['cp1252'] == {'count': 30, 'lines': [3, 4, 5, 6, 7]}
        assert '(line 3, 4, 5, 6, 7)' in source.warnings[0]


def test_classify_lines_leaves_ascii_out_and_reads_across_chunks():
    data = b'ascii\n' + 'é\n'.encode('utf-8') + 'è\n'.encode('cp1252') + b'last'
    chunks = [data[i:i + 3] for i in range(0, len(data), 3)]
    assert S.classify_lines(chunks) == {'utf-8': {'count': 1, 'lines': [2]},
                                        'cp1252': {'count': 1, 'lines': [3]}}


def test_a_whole_cp1252_file_keeps_one_codec(tmp_path):
    data = HEADER.encode() + 'Hélène|Lefèvre|1001|default\n'.encode('cp1252')
    source, converter, rows = convert(write(tmp_path, data))
    assert source.encoding == 'cp1252' and source.encoding_lines is None
    assert not [w for w in converter.summary_warnings() if 'encoding' in w]


# ---------------------------------------------------------------- UTF-16, tabs, line ends

EXCEL_UNICODE_TEXT = (codecs.BOM_UTF16_LE + 'firstname\tlastname\tphonenumber\tcontext\r\n'
                      'Hélène\t"Du\tpré"\t1000\tdefault\r\n'
                      '\r\n'
                      'Zoé\tMüller\t1001\tdefault\r\n'.encode('utf-16-le'))


def test_excel_unicode_text_utf16le_tab_crlf(tmp_path):
    source, converter, rows = convert(write(tmp_path, EXCEL_UNICODE_TEXT))
    assert (source.encoding, source.delimiter, source.newline) == ('utf-16-le', '\t', '\n')
    assert [(r['firstname'], r['lastname'], r['exten']) for r in rows] == [
        ('Hélène', 'Du\tpré', '1000'), ('Zoé', 'Müller', '1001')]
    assert converter.header_line == 1 and converter.blank_lines == 1
    assert ('tab-separated utf-16-le file (Excel "Unicode text"): read with the tab as the '
            'delimiter') in converter.summary_warnings()


def test_utf16be_with_bom_and_pipes(tmp_path):
    data = codecs.BOM_UTF16_BE + (HEADER + 'Hélène|A\tB|1000|default\n').encode('utf-16-be')
    source, converter, rows = convert(write(tmp_path, data))
    assert (source.encoding, source.delimiter) == ('utf-16-be', '|')
    assert rows[0]['lastname'] == 'A\tB'


def test_utf32_with_bom(tmp_path):
    data = codecs.BOM_UTF32_LE + (HEADER + 'Hélène|A|1000|default\n').encode('utf-32-le')
    source, converter, rows = convert(write(tmp_path, data))
    assert source.encoding == 'utf-32-le' and rows[0]['firstname'] == 'Hélène'


def test_a_tab_separated_file_that_is_not_utf16_is_refused_with_the_hint(tmp_path):
    with pytest.raises(S.LegacyCsvError) as error:
        convert(write(tmp_path, b'firstname\tlastname\nA\tB\n'))
    assert str(error.value).startswith("the file is delimited by tabs, not '|'")
    assert 'UTF-16 with a BOM (Excel "Unicode text")' in str(error.value)


def test_broken_utf16_names_the_line(tmp_path):
    data = codecs.BOM_UTF16_LE + (HEADER + 'A|B||\n').encode('utf-16-le') + b'\x00\xdc' + b'x\x00'
    with pytest.raises(S.LegacyCsvError) as error:
        S.open_source(write(tmp_path, data))
    assert str(error.value).startswith('cannot be decoded as utf-16-le: byte 0x00 at line 3')
    assert error.value.line == 3


def test_cr_only_line_ends_are_line_ends(tmp_path):
    data = (HEADER.replace('\n', '\r') + 'Hélène|"Du\rpré"|1000|default\r'
            '\r'
            'Zoé|Müller|1001|default').encode('cp1252')
    source, converter, rows = convert(write(tmp_path, data))
    assert (source.encoding, source.newline) == ('cp1252', '\r')
    assert [(r['firstname'], r['lastname']) for r in rows] == [
        ('Hélène', 'Du pré'), ('Zoé', 'Müller')]
    assert [(n['line'], n['column']) for n in converter.row_warnings
            if 'line break' in n['reason']] == [(2, 'lastname')]
    assert converter.blank_lines == 1
    assert ('the lines end with a CR alone (classic Mac OS): each CR was read as a line end'
            in converter.summary_warnings())


def test_a_cr_inside_an_lf_file_stays_a_character(tmp_path):
    source, converter, rows = convert(write(tmp_path, HEADER.encode() + b'Ann|Lee\rJr|1000|default\n'))
    assert source.newline == '\n' and rows[0]['lastname'] == 'Lee Jr'


# ---------------------------------------------------------------- read once, bounded

def feed_fifo(path, data, done):
    with open(path, 'wb') as handle:
        handle.write(data)
    done.set()


def test_a_fifo_is_read_once(tmp_path):
    fifo = str(tmp_path / 'legacy.csv')
    os.mkfifo(fifo)
    done = threading.Event()
    data = HEADER.encode() + 'Hélène|Dupré|1000|default\n'.encode('cp1252')
    writer = threading.Thread(target=feed_fifo, args=(fifo, data, done), daemon=True)
    writer.start()
    # A second open of the FIFO would wait for a writer that never comes: run it in a thread.
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(convert(fifo)), daemon=True)
    reader.start()
    reader.join(20)
    assert outcome, 'the conversion of a FIFO hangs (opened twice?)'
    source, converter, rows = outcome[0]
    writer.join(20)  # the writer marks itself done after its close, maybe after the reader
    assert done.is_set() and not source.regular and source.encoding == 'cp1252'
    assert rows[0]['lastname'] == 'Dupré'


def test_a_pipe_through_dev_fd_is_read_once(tmp_path):
    read_end, write_end = os.pipe()
    os.write(write_end, (HEADER + 'Jean|Dupont|1000|default\n').encode())
    os.close(write_end)
    try:
        source, converter, rows = convert('/dev/fd/%d' % read_end)
    finally:
        os.close(read_end)
    assert rows[0]['firstname'] == 'Jean' and source.data is not None


def test_dev_zero_is_refused_at_once():
    # Endless: only a reader that stops at its first 64 KiB returns at all.
    with pytest.raises(S.LegacyCsvError) as error:
        S.open_source('/dev/zero')
    assert 'a binary file, not text: 65536 of its first 65536 bytes' in str(error.value)


def test_a_stream_larger_than_the_limit_is_refused_naming_it(monkeypatch):
    monkeypatch.setattr(S, 'HEAD', 16)
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, HEADER.encode() * 40000),
                                              os.close(write_end)), daemon=True)
    writer.start()
    try:
        with pytest.raises(S.LegacyCsvError) as error:
            S.open_source('/dev/fd/%d' % read_end, max_bytes=1024 * 1024)
    finally:
        os.close(read_end)
    assert str(error.value) == ('is not a regular file, so it is read into memory, and it holds '
                                'more than 1 MiB (the limit): copy it to a file first')


def test_read_bounded_keeps_what_fits(tmp_path, monkeypatch):
    monkeypatch.setattr(S, 'HEAD', 4)
    path = write(tmp_path, b'0123456789')
    assert S.read_bounded(path, 10) == b'0123456789'
    with pytest.raises(S.LegacyCsvError):
        S.read_bounded(path, 9)


# ---------------------------------------------------------------- records of a whole file

def php(text):
    return list(P.iter_records(io.StringIO(text, newline='\n')))


def test_records_of_a_file_with_quoted_line_breaks_and_text_after_a_quote():
    text = 'a|b\n"x\ny"|z\n"ab"cd|e\nlast|"one"\n'
    assert php(text) == [
        (1, ['a', 'b'], 0), (2, ['x\ny', 'z'], P.F_NEWLINE), (4, ['abcd', 'e'], 0),
        (5, ['last', 'one'], 0)]


def test_a_cell_longer_than_the_csv_modules_field_limit_is_read_whole():
    text = 'firstname|lastname\n"%s"|x\nA|B\n' % ('J' * 200000)
    assert php(text)[1][1][0] == 'J' * 200000


def test_a_php_backslash_escape_is_read_as_a_quote(tmp_path):
    data = HEADER.encode() + b'"Jo\\"hn"|Doe|1000|default\n'
    source, converter, rows = convert(write(tmp_path, data))
    assert rows[0]['firstname'] == 'Jo"hn'


def test_mixed_encodings_with_cr_only_line_ends(tmp_path):
    data = (HEADER.replace('\n', '\r').encode() + 'Hélène|Dupré|1000|default\r'.encode('utf-8')
            + 'Zoé|Müller|1001|default'.encode('cp1252'))
    source, converter, rows = convert(write(tmp_path, data))
    assert (source.encoding, source.newline) == ('mixed: utf-8 + cp1252', '\r')
    assert [r['lastname'] for r in rows] == ['Dupré', 'Müller']
    assert source.encoding_lines['cp1252']['lines'] == [3]


def test_split_chunks_keeps_separators_across_chunk_edges():
    assert list(S.split_chunks([b'a\rb', b'c\r', b'\rd'], b'\r')) == [b'a\r', b'bc\r', b'\r', b'd']
