# -*- coding: utf-8 -*-
"""Files made from host names stay where they belong; formula cells are found."""

from __future__ import annotations

import json
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
    reports_dir = tmp_path / 'reports'
    reports_dir.mkdir()
    (reports_dir / 'xivo.json').symlink_to(tmp_path / 'elsewhere.json')     # a planted link
    with pytest.raises(ValueError):
        reports.inside(str(reports_dir), 'xivo.json')
    # The directory through a link: not resolved here (the writer decides whether it follows
    # it; resolving turned a planted link into a plain path).
    (tmp_path / 'link').symlink_to(reports_dir)
    link = tmp_path / 'link'
    assert reports.inside(str(link), 'other.json') == str(link / 'other.json')
    assert reports.inside(str(link), 'a/../b.json') == str(link / 'b.json')


def test_formula_cells_are_named_by_line_and_column():
    rows = [(2, {'firstname': '=HYPERLINK("x")', 'mobile_phone_number': '+33612'}),
            (3, {'firstname': 'Ann', 'mobile_phone_number': ''})]
    assert reports.formula_cells(rows, ['firstname', 'mobile_phone_number']) == [(2, 'firstname')]


@pytest.mark.parametrize('value', [
    '=1+1', '=HYPERLINK("http://x","y")', '@SUM(A1)', '+A1', "-2+3+cmd|' /C calc'!A0",
    '+cmd|x', '-1+1', '\t=1', '\r=1', '+33 1 23 45 67 89 ; =x'])
def test_what_a_spreadsheet_would_run_is_flagged(value):
    assert reports.runs_as_formula(value)


@pytest.mark.parametrize('value', [
    '+33 1 23 45 67 89', '+33123456789', '+1 (555) 123-4567', '-5', '-12.5', '0612345678',
    'Ann', '', 'a=b', ' =x', '+44 (0)20 7946 0958', '--'])
def test_numbers_and_plain_text_are_not_flagged(value):
    assert not reports.runs_as_formula(value)


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


def test_report_json_puts_each_key_and_each_listed_item_on_its_own_line():
    data = {'users': [{'row': 2, 'name': 'Zoé Martin', 'status': 'created'},
                      {'row': 3, 'name': 'Jean', 'status': 'failed', 'error': 'a "quoted" one'}],
            'summary': {'created': 1, 'failed': 1}, 'complete': True, 'batches': [],
            'run_id': '20261202T160000.123Z-1a2b3c'}
    text = reports.report_json(data)
    assert json.loads(text) == data
    lines = text.splitlines()
    assert lines[0] == '{' and lines[-1] == '}' and text.endswith('}\n')
    assert lines[1] == '  "batches": [],' and lines[2] == '  "complete": true,'
    assert lines[4] == '  "summary": {"created": 1, "failed": 1},' and lines[5] == '  "users": ['
    assert lines[6].startswith('    {"name": "Zo\\u00e9 Martin", "row": 2') and lines[6].endswith('},')
    assert lines[7].endswith('}') and lines[8] == '  ]'
    assert reports.report_json({}) == '{\n}\n' and json.loads(reports.report_json({})) == {}
    assert json.loads(reports.report_json({'when': object}, default=str))['when'].startswith('<')
