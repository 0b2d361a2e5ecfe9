# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the per-user, per-server reports that the user_migration role wrote (JSON, no secrets).

usage: show_report.py REPORT_DIR [--summary]

REPORT_DIR is the role's xivo_user_migration_report_dir: its fleet.json names the servers of the
latest run and their reports (without it, every hosts/<host>.json of the directory is shown).
"""

from __future__ import annotations

import glob
import json
import os
import sys

COUNTED = ('created', 'updated', 'unchanged', 'conflict', 'failed', 'invalid', 'would_create',
           'would_update', 'would_fail', 'not_tried')


def counts(summary):
    parts = ['%d %s' % (summary.get(k, 0), k.replace('_', ' ')) for k in COUNTED
             if summary.get(k) or k in ('created', 'unchanged', 'failed')]
    return ', '.join(parts)


def _load(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def servers_of(report_dir):
    """[(host, server, status, message, report or None)] of the latest run, in the fleet
    report's order; the host reports of the directory when there is no fleet report."""
    fleet_path = os.path.join(report_dir, 'fleet.json')
    if os.path.isfile(fleet_path):
        found = []
        for server in _load(fleet_path)['servers']:
            files = server.get('files') or {}
            path = next((p for p in (files.get('report'), files.get('latest_report'))
                         if p and os.path.isfile(p)), None)
            found.append((server['host'], server['server'], server['status'], server.get('msg', ''),
                          _load(path) if path else None))
        return found
    found = []
    for path in sorted(glob.glob(os.path.join(report_dir, 'hosts', '*.json'))):
        report = _load(path)
        if 'users' in report and 'summary' in report:
            found.append((report.get('host', os.path.basename(path)[:-5]), report.get('server', ''),
                          '', '', report))
    return found


def render(report_dir, summary_only=False):
    """The text to print, or None when the directory holds no report."""
    servers = servers_of(report_dir)
    if not servers:
        return None
    lines = []
    total = {}
    for host, server, status, message, report in servers:
        if report is None:
            lines.append('%-14s %-18s %s: %s' % (host, server, status or 'no report', message))
            continue
        summary = report['summary']
        for key, value in summary.items():
            if isinstance(value, int):
                total[key] = total.get(key, 0) + value
        lines.append('%-14s %-18s %s' % (host, server or report.get('server', ''), counts(summary)))
        if status and status != 'imported':
            lines.append('  %s: %s' % (status, message.splitlines()[0][:300] if message else ''))
        if summary_only:
            continue
        lines.append('  %-4s %-26s %-26s %-10s %s' % ('ROW', 'NAME', 'KEY', 'STATUS', 'ERROR'))
        for user in report['users']:
            key = (user.get('key') or '').split('=', 1)[-1]
            lines.append('  %-4s %-26s %-26s %-10s %s' % (
                user.get('row', ''), (user.get('name') or '')[:26], key[:26], user['status'],
                user.get('error') or ''))
        lines.append('')
    lines.append('%-14s %-18s %s' % ('fleet', '%d servers' % len(servers), counts(total)))
    return '\n'.join(lines)


def main(argv):
    if not argv or argv[0].startswith('-'):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    text = render(argv[0], '--summary' in argv[1:])
    if text is None:
        print('no report in %s' % argv[0], file=sys.stderr)
        return 1
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
