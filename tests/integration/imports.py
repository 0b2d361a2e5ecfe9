# -*- coding: utf-8 -*-
"""What several import tests share: a file of numbered people, an in-process ImportRun."""

from __future__ import annotations

import csv
import io

from ansible_collections.xivo.confd.plugins.module_utils import import_run


def numbered_people_file(columns, rows, adjust=None):
    """CSV text under `columns` of `rows` ((kind, values, expected) triples): row n is person n
    (P<n> Test, p<n>, exten 1100+n in `default`, a SIP line), then `adjust(number, row)` if given,
    then the row's own values. Columns not in `columns` are left out."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(columns)
    for number, (dummy, values, dummy2) in enumerate(rows):
        row = dict.fromkeys(columns, '')
        row.update(firstname='P%d' % number, lastname='Test', email='p%d@example.com' % number,
                   username='p%d' % number, password='Pw-%04d' % number,
                   exten=str(1100 + number), context='default', line_protocol='sip',
                   sip_username='p%dsip' % number)
        if adjust is not None:
            adjust(number, row)
        row.update(values)
        writer.writerow([row[c] for c in columns])
    return out.getvalue()


def run_import(client, src, tmp_path, host, check_mode=False, **options):
    """ImportRun of the file `src` by `client` (closed after), its locks under `tmp_path`,
    fail_on_error off unless `options` say otherwise."""
    try:
        return import_run.ImportRun(client, str(src), dict(
            dict(lock_dir=str(tmp_path / 'locks'), fail_on_error=False), **options),
            host=host, check_mode=check_mode).run()
    finally:
        client.close()
