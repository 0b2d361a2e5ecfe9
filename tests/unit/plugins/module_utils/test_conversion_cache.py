# -*- coding: utf-8 -*-
"""A legacy file is converted once, and not again while its bytes and the options stay."""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import conversion

LEGACY = 'firstname|lastname|phonenumber|context|protocol\nJean|Dupont|1001|default|sip\n'


def test_a_second_conversion_of_the_same_file_and_options_is_the_cached_one(tmp_path):
    src = tmp_path / 'paris.csv'
    src.write_text(LEGACY, encoding='utf-8')
    calls = []

    def convert(source, dest, **options):
        calls.append(options)
        return conversion.convert_to_path(source, dest, **options)
    work = str(tmp_path / 'work')
    first = conversion.cached(str(src), work, {'encoding': 'auto'}, convert=convert)
    assert not first.get('failed') and first['cached'] is False and first['data_rows'] == 1
    again = conversion.cached(str(src), work, {'encoding': 'auto'}, convert=convert)
    assert again['cached'] is True and again['dest'] == first['dest'] and len(calls) == 1
    # Other options, other content, or a damaged converted file: converted again.
    other = conversion.cached(str(src), work, {'encoding': 'cp1252'}, convert=convert)
    assert other['cached'] is False and other['dest'] != first['dest']
    src.write_text(LEGACY + 'Ann|Lee|1002|default|sip\n', encoding='utf-8')
    changed = conversion.cached(str(src), work, {'encoding': 'auto'}, convert=convert)
    assert changed['cached'] is False and changed['data_rows'] == 2
    with open(changed['dest'], 'a') as handle:
        handle.write('tampered\n')
    assert conversion.cached(str(src), work, {'encoding': 'auto'}, convert=convert)['cached'] is False
    assert len(calls) == 4


def test_a_file_that_cannot_be_converted_is_not_cached(tmp_path):
    src = tmp_path / 'bad.csv'
    src.write_text('nosuchcolumn|firstname\nx|y\n', encoding='utf-8')
    work = str(tmp_path / 'work')
    first = conversion.cached(str(src), work, {})
    assert first['failed'] and 'nosuchcolumn' in first['msg']
    assert conversion.cached(str(src), work, {})['cached'] is False
    missing = conversion.cached(str(tmp_path / 'missing.csv'), work, {})
    assert missing['failed'] and 'missing.csv' in missing['msg']
