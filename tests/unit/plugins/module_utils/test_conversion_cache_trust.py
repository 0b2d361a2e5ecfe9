# -*- coding: utf-8 -*-
"""A cached conversion is used only when it is provably this collection's conversion of this
source with these options, checked on use; planted files are converted again, with a warning;
nothing of the cache is read or written through a link."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import conversion

LEGACY = 'firstname|lastname|phonenumber|context|protocol\nJean|Dupont|1001|default|sip\n'
INTRUDER = 'firstname,lastname,line_protocol,context,exten\nMallory,Evil,sip,default,6666\n'


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """The key that seals records is the user's: a home of the test's own."""
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    return tmp_path / 'home'


def _plant(src, work, options, text=INTRUDER):
    """A converted file and a record as the cache of the old code accepted them: the right
    name and key (anyone who can read the legacy file computes them) and the file's digest."""
    key = conversion.cache_key(str(src), options)
    stem = os.path.splitext(os.path.basename(str(src)))[0]
    dest = work / ('%s-%s.csv' % (stem, key[:16]))
    work.mkdir(exist_ok=True)
    dest.write_text(text)
    digest = hashlib.sha256(text.encode('utf-8')).hexdigest()
    record = dict(src=str(src), dest=str(dest), key=key, digest=digest, rows=1, data_rows=1,
                  encoding='utf-8', columns=['firstname'], invalid_rows=[], invalid_count=0,
                  row_warnings=[], conversion_warnings=[], cached=False,
                  source_digest=hashlib.sha256(src.read_bytes()).hexdigest(),
                  options_digest=conversion.options_digest(options), converter='2',
                  seal='0' * 64)
    (work / (dest.name + '.json')).write_text(json.dumps(record))
    return dest


def test_a_planted_conversion_and_record_are_not_used_but_converted_again(tmp_path):
    src = tmp_path / 'paris.csv'
    src.write_text(LEGACY, encoding='utf-8')
    work = tmp_path / 'work'
    dest = _plant(src, work, {'encoding': 'auto'})
    outcome = conversion.cached(str(src), str(work), {'encoding': 'auto'})
    assert outcome['cached'] is False and not outcome.get('failed')
    assert 'Mallory' not in dest.read_text() and 'Jean' in dest.read_text()
    assert any(str(dest) in w and 'not used' in w for w in outcome['cache_warnings'])
    again = conversion.cached(str(src), str(work), {'encoding': 'auto'})
    assert again['cached'] is True and not again.get('cache_warnings')


def test_a_sealed_record_whose_converted_file_was_replaced_is_not_used(tmp_path):
    src = tmp_path / 'paris.csv'
    src.write_text(LEGACY, encoding='utf-8')
    work = tmp_path / 'work'
    first = conversion.cached(str(src), str(work), {})
    with open(first['dest'], 'w') as handle:
        handle.write(INTRUDER)
    outcome = conversion.cached(str(src), str(work), {})
    assert outcome['cached'] is False and 'Mallory' not in open(first['dest']).read()
    assert any('not the one its record describes' in w for w in outcome['cache_warnings'])


def test_a_record_copied_from_other_options_is_not_used(tmp_path):
    src = tmp_path / 'paris.csv'
    src.write_text(LEGACY, encoding='utf-8')
    work = tmp_path / 'work'
    other = conversion.cached(str(src), str(work), {'encoding': 'cp1252'})
    key = conversion.cache_key(str(src), {'encoding': 'utf-8'})
    dest = work / ('paris-%s.csv' % key[:16])
    os.link(other['dest'], str(dest))
    with open(other['dest'] + '.json') as handle:
        record = json.load(handle)
    record.update(dest=str(dest), key=key)
    (work / (dest.name + '.json')).write_text(json.dumps(record))
    outcome = conversion.cached(str(src), str(work), {'encoding': 'utf-8'})
    assert outcome['cached'] is False and outcome.get('cache_warnings')


def test_links_planted_in_the_cache_are_not_followed(tmp_path):
    src = tmp_path / 'paris.csv'
    src.write_text(LEGACY, encoding='utf-8')
    victim = tmp_path / 'victim.txt'
    victim.write_text('precious\n')
    os.chmod(str(victim), 0o644)
    work = tmp_path / 'work'
    work.mkdir()
    key = conversion.cache_key(str(src), {})
    (work / ('paris-%s.csv' % key[:16])).symlink_to(victim)
    (work / ('paris-%s.csv.json' % key[:16])).symlink_to(victim)
    outcome = conversion.cached(str(src), str(work), {})
    assert outcome.get('failed') and 'symbolic link' in outcome['msg']
    assert victim.read_text() == 'precious\n' and os.stat(str(victim)).st_mode & 0o777 == 0o644
    # A work directory the collection makes below the configured one, planted as a link.
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (tmp_path / 'base').mkdir()
    (tmp_path / 'base' / 'work').symlink_to(elsewhere)
    outcome = conversion.cached(str(src), str(tmp_path / 'base' / 'work'), {},
                                base=str(tmp_path / 'base'))
    assert outcome.get('failed') and 'symbolic link' in outcome['msg']
    assert os.listdir(str(elsewhere)) == []
