# -*- coding: utf-8 -*-
"""Files made from host names stay where they belong; formula cells are found."""

from __future__ import annotations

import os

import pytest

from ansible_collections.xivo.confd.plugins.module_utils import reports


@pytest.mark.parametrize('name', ['../../x', 'a/b', '/etc/passwd', '..', '.hidden', 'a\x00b',
                                  'x' * 500, 'é/../../é', '~root', 'C:\\temp\\x'])
def test_hostile_host_names_give_a_file_in_the_directory(tmp_path, name):
    stem = reports.safe_stem(name)
    assert '/' not in stem and '\x00' not in stem and not stem.startswith('.')
    assert len(stem) <= 120
    path = reports.inside(str(tmp_path), stem + '.json')
    assert os.path.dirname(path) == os.path.realpath(str(tmp_path))


def test_plain_names_are_kept_and_lookalikes_stay_apart():
    assert reports.safe_stem('xivo-paris.example.com') == 'xivo-paris.example.com'
    assert reports.safe_stem('a/b') != reports.safe_stem('a_b')


def test_inside_refuses_a_path_that_leaves_the_directory(tmp_path):
    with pytest.raises(ValueError):
        reports.inside(str(tmp_path), '../escape.json')


def test_formula_cells_are_named_by_line_and_column():
    rows = [(2, {'firstname': '=HYPERLINK("x")', 'mobile_phone_number': '+33612'}),
            (3, {'firstname': 'Ann', 'mobile_phone_number': ''})]
    assert reports.formula_cells(rows, ['firstname', 'mobile_phone_number']) == [
        (2, 'firstname'), (2, 'mobile_phone_number')]


def test_run_ids_sort_by_time():
    import datetime
    early = reports.new_run_id(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    late = reports.new_run_id(datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc))
    assert early < late and early.startswith('20260101T000000.000Z-')
    # Within one second, by the millisecond, whatever the random part.
    first = reports.new_run_id(datetime.datetime(2026, 1, 1, 0, 0, 0, 9000, tzinfo=datetime.timezone.utc))
    ids = [reports.new_run_id(datetime.datetime(2026, 1, 1, 0, 0, 0, 10000 + i * 1000,
                                                tzinfo=datetime.timezone.utc)) for i in range(50)]
    assert sorted([first] + ids) == [first] + ids
