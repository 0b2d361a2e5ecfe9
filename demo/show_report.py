# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the per-user, per-server reports that the user_migration role wrote (JSON, no secrets).

usage: show_report.py REPORT_DIR [--summary]
"""

from __future__ import annotations

import csv
import glob
import json
import os
import sys


def names_by_row(src):
    """firstname + lastname of each data row of the imported (converted) file, if still there."""
    names = {}
    try:
        with open(src, encoding='utf-8', newline='') as handle:
            for number, row in enumerate(csv.DictReader(handle), 1):
                names[number] = ('%s %s' % (row.get('firstname') or '', row.get('lastname') or '')).strip()
    except OSError:
        pass
    return names


def counts(summary):
    parts = ['%d %s' % (summary.get(k, 0), k.replace('_', ' '))
             for k in ('created', 'updated', 'unchanged', 'failed', 'would_create', 'would_update')
             if summary.get(k) or k in ('created', 'unchanged', 'failed')]
    return ', '.join(parts)


def main(argv):
    if not argv or argv[0].startswith('-'):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    report_dir, summary_only = argv[0], '--summary' in argv[1:]
    paths = sorted(glob.glob(os.path.join(report_dir, '*.json')))
    if not paths:
        print('no report in %s' % report_dir, file=sys.stderr)
        return 1
    total = {}
    for path in paths:
        with open(path, encoding='utf-8') as handle:
            report = json.load(handle)
        summary = report['summary']
        for key, value in summary.items():
            total[key] = total.get(key, 0) + value
        print('%-14s %-18s %s' % (report['host'], report['server'], counts(summary)))
        if summary_only:
            continue
        names = names_by_row(report.get('src', ''))
        print('  %-4s %-26s %-26s %-10s %s' % ('ROW', 'NAME', 'KEY', 'STATUS', 'ERROR'))
        for user in report['users']:
            key = (user.get('key') or '').split('=', 1)[-1]
            print('  %-4s %-26s %-26s %-10s %s' % (
                user['row'], names.get(user['row'], '')[:26], key[:26], user['status'],
                user.get('error') or ''))
        print()
    print('%-14s %-18s %s' % ('fleet', '%d servers' % len(paths), counts(total)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
