# -*- coding: utf-8 -*-
"""What an import leaves for the operator: the rows to fix of a legacy file, in its own bytes."""

from __future__ import annotations

from ansible_collections.xivo.confd.plugins.module_utils import (
    confd_csv, file_output, import_plan, import_report)

LEGACY = ('firstname|lastname|phonenumber|context\n'
          'Hélène|Durand|1001|default\n'
          'Zoé|Sansplage|9999|default\n'
          'François|Pérez|1003|default\n')


def test_the_rows_to_fix_of_a_cp1252_legacy_file_are_written_in_its_own_bytes(tmp_path):
    legacy = tmp_path / 'legacy.csv'
    legacy.write_bytes(LEGACY.encode('cp1252'))
    header = ['firstname', 'lastname', 'exten', 'context']
    refused = import_plan.RowOutcome(confd_csv.SourceRow(
        2, 3, {'firstname': 'Zoé', 'lastname': 'Sansplage', 'exten': '9999',
               'context': 'default'}))
    refused.fail('confd answered 400: exten 9999 is outside the range of default')
    invalid = import_plan.RowOutcome.invalid(4, 'lastname', 'invalid: lastname: too long')
    fix = import_report.fix_content(header, [refused, invalid], str(legacy),
                                    {'src': str(legacy), 'encoding': 'cp1252'}, warnings=[])
    assert fix['legacy'] and fix['lines'] == [3, 4]
    dest = str(tmp_path / 'reports' / 'xivo-to-fix.csv')
    assert file_output.write_private_file(dest, fix['content'])
    lines = LEGACY.encode('cp1252').split(b'\n')
    with open(dest, 'rb') as handle:
        assert handle.read() == b'\n'.join([lines[0], lines[2], lines[3]]) + b'\n'
