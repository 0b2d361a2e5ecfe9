# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the servers of a fleet ended with, told: why one fails, its line and the fleet's,
the fleet report (``fleet.json``) and its table (``fleet.md``), each host's task result, and the
stats AWX / Automation Platform reads. Pure functions of fleet.ServerOutcome records.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Used by the action plugins xivo.confd.fleet_import and xivo.confd.fleet_result.
"""

from __future__ import annotations

import os

from ansible_collections.xivo.confd.plugins.module_utils.fleet import (
    DONE, NOT_IMPORTED, UNREACHABLE)
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import STATUSES
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message


def failure(outcome, invalid_rows_policy, fail_on_error, users=(), errors_shown=20):
    """Why this server fails ('' when it does not): the problem, then the first rows named,
    each by its line in the source the operator knows (the legacy file when there is one)."""
    host = outcome['host']
    if outcome['status'] in (NOT_IMPORTED, UNREACHABLE):
        return '%s: %s' % (host, outcome['msg'])
    if outcome.get('interrupted'):
        return '%s: interrupted: %s' % (host, outcome['interrupted'])
    not_tried = outcome['summary'].get('not_tried', 0)
    if not_tried:
        # The server stopped taking rows (it refused the credentials on the import): a
        # problem of the server, whatever fail_on_error says of bad rows.
        reason = next((u.get('error') for u in users if u.get('status') == 'not_tried'), '')
        return sanitize_message('%s: %d of %d rows not tried on %s%s' % (
            host, not_tried, outcome['summary']['total'], outcome['server'],
            ': %s' % reason if reason else ''), 20000)
    if not fail_on_error:
        return ''
    summary = outcome['summary']
    counted = ['failed', 'conflict', 'would_fail']
    if invalid_rows_policy != 'ignore':
        counted.append('invalid')
    bad = sum(summary.get(k, 0) for k in counted)
    if not bad:
        return ''
    src = outcome['conversion'].get('src') or outcome.get('src') or 'the source'
    to_fix = outcome['files'].get('to_fix') or outcome['files'].get('failed')
    parts = ['%d of the %d rows of %s %s on %s (%s)%s' % (
        bad, summary['total'], src, 'would not be imported' if outcome['check_mode']
        else 'were not imported', outcome['server'],
        ', '.join('%d %s' % (summary[k], k.replace('_', ' ')) for k in counted if summary.get(k)),
        ' (fix them in %s, point the host at it and run again)' % to_fix if to_fix else '')]
    shown = [u for u in users if u.get('status') in counted]
    for user in shown[:errors_shown]:
        parts.append('line %s (%s): %s'
                     % (user.get('line'), user.get('key') or 'no key', user.get('error')))
    if len(shown) > errors_shown:
        parts.append('... and %d more in %s' % (len(shown) - errors_shown,
                                                outcome['files'].get('report', 'the report')))
    return sanitize_message('%s: %s' % (host, '; '.join(parts)), 20000)


def server_line(outcome):
    """One readable line for one server."""
    host, status = outcome['host'], outcome['status']
    if status not in DONE:
        return '%s (%s): %s: %s' % (host, outcome['server'], status.upper(), outcome['msg'])
    s = outcome['summary']
    counts = _counts(s, outcome['check_mode'])
    if outcome.get('prediction') == 'unverified':
        counts += ' (unverified: preflight=false, confd\'s refusals could not be predicted)'
    conversion = outcome['conversion']
    extra = ''
    if conversion.get('encoding'):
        extra += '; %s read as %s' % (
            os.path.basename(conversion.get('src', '')), conversion['encoding'])
    if outcome.get('interrupted'):
        extra += '; INTERRUPTED: %s' % outcome['interrupted']
    if outcome['files'].get('report'):
        extra += ' (report: %s)' % outcome['files']['report']
    return '%s (%s): %s%s' % (host, outcome['server'], counts, extra)


def _counts(summary, check_mode):
    """The counts of one server or of the fleet: every row of the sources once."""
    if check_mode:
        text = ('would create %(would_create)d, would update %(would_update)d, '
                'would fail %(would_fail)d, %(unchanged)d unchanged, %(conflict)d conflict'
                % summary)
    else:
        text = ('%(created)d created, %(updated)d updated, %(unchanged)d unchanged, '
                '%(conflict)d conflict, %(failed)d failed' % summary)
    text += ', %d invalid' % summary.get('invalid', 0)
    if summary.get('not_tried'):
        text += ', %d rows not tried' % summary['not_tried']
    return text + ' (%d rows)' % summary.get('total', 0)


def totals(outcomes):
    """The fleet's figures: each one the sum of the servers' own, whatever their status (the
    rows of a server that was not imported are counted too, as what happened to them: not
    tried), and the number of servers per status."""
    total = dict((k, 0) for k in STATUSES)
    total.update(servers=len(outcomes), imported=0, checked=0, not_imported=0, unreachable=0,
                 left_out=0, total=0)
    for outcome in outcomes:
        key = outcome['status'].replace(' ', '_')
        total[key] = total.get(key, 0) + 1
        for k in STATUSES:
            total[k] += outcome['summary'].get(k, 0)
        total['total'] += outcome['summary'].get('total', 0)
        total['left_out'] += (outcome.get('conversion') or {}).get('invalid_count', 0)
    return total


def fleet_line(outcomes, expected, check_mode):
    """The fleet's line: every server of the play once, whatever the batches."""
    t = totals(outcomes)
    done = '%d of %d servers %s' % (t['checked'] if check_mode else t['imported'], expected,
                                    'checked' if check_mode else 'imported')
    if t['servers'] < expected:
        done += ' (%d of %d servers done so far)' % (t['servers'], expected)
    counts = _counts(t, check_mode)
    extra = ''
    for key in ('unreachable', 'not_imported'):
        if t[key]:
            extra += ', %d %s' % (t[key], key.replace('_', ' '))
    return 'fleet: %s: %s%s' % (done, counts, extra)


def summary_lines(batch_outcomes, all_outcomes, expected, check_mode):
    """The lines printed once per batch: this batch's servers, then the fleet so far."""
    lines = [server_line(o) for o in sorted(batch_outcomes, key=lambda o: o['host'])]
    lines.append(fleet_line(all_outcomes, expected, check_mode))
    return lines


def fleet_report(run_id, outcomes, expected, check_mode, started, finished):
    return dict(run_id=run_id, started=started, finished=finished, check_mode=check_mode,
                servers_expected=expected, complete=len(outcomes) >= expected,
                totals=totals(outcomes),
                servers=[dict((k, o[k]) for k in ('host', 'server', 'status', 'msg', 'summary',
                                                  'files', 'changed') if k in o)
                         for o in sorted(outcomes, key=lambda o: o['host'])])


def _link(path, base):
    if not path:
        return ''
    rel = os.path.relpath(path, base)
    return '[%s](%s)' % (os.path.basename(path), rel.replace(os.sep, '/'))


def fleet_markdown(report, base_dir):
    """A readable table of every server, with links to its files (relative to the table)."""
    lines = ['# User migration %s' % report['run_id'], '',
             '%s to %s. %s' % (report['started'], report['finished'],
                               'Check mode: nothing was changed.' if report['check_mode'] else ''),
             '']
    t = report['totals']
    lines.append('Servers: %d of %d expected (%d %s, %d not imported, %d unreachable).'
                 % (t['servers'], report['servers_expected'],
                    t.get('checked', 0) if report['check_mode'] else t['imported'],
                    'checked' if report['check_mode'] else 'imported', t['not_imported'],
                    t['unreachable']))
    lines.append('')
    header = ['server', 'address', 'status', 'created', 'updated', 'unchanged', 'conflict',
              'failed', 'invalid', 'not tried', 'rows', 'report', 'rows to fix']
    if report['check_mode']:
        header[3:8] = ['would create', 'would update', 'unchanged', 'conflict', 'would fail']
    lines.append('| %s |' % ' | '.join(header))
    lines.append('|%s|' % '|'.join(['---'] * len(header)))
    keys = ('would_create', 'would_update', 'unchanged', 'conflict', 'would_fail') \
        if report['check_mode'] else ('created', 'updated', 'unchanged', 'conflict', 'failed')
    # Every row of a server under one status: invalid when the conversion refused it, not tried
    # when its server could not be read.
    keys += ('invalid', 'not_tried', 'total')
    for server in report['servers']:
        summary = server['summary']
        cells = [server['host'], server['server'], server['status']]
        cells += [str(summary.get(k, 0)) for k in keys]
        cells += [_link(server['files'].get('report'), base_dir),
                  _link(server['files'].get('to_fix') or server['files'].get('failed'), base_dir)]
        lines.append('| %s |' % ' | '.join(c.replace('|', '\\|') for c in cells))
    lines.append('| **total** | | | %s | | |' % ' | '.join(str(t[k]) for k in keys))
    problems = [s for s in report['servers'] if s['status'] not in DONE]
    if problems:
        lines += ['', '## Not imported', '']
        lines += ['- **%s**: %s' % (s['host'], s['msg'].replace('\n', ' ')) for s in problems]
    return '\n'.join(lines) + '\n'


def host_result(outcome, diff=False):
    """The task result of one host, from its outcome: changed, failed (with the reason) or
    unreachable in the recap, its summary, files and warnings; its diff when asked."""
    result = dict(changed=outcome['changed'], status=outcome['status'],
                  summary=outcome['summary'], files=outcome['files'], server=outcome['server'])
    if outcome.get('warnings'):
        result['warnings'] = list(outcome['warnings'])
    if diff and outcome.get('diff'):
        result['diff'] = outcome['diff']
    if outcome['status'] == UNREACHABLE:
        result.update(unreachable=True, msg=outcome.get('failure') or outcome['msg'])
    elif outcome.get('failure'):
        result.update(failed=True, msg=outcome['failure'])
    else:
        result['msg'] = server_line(outcome)
    return result


def stats(run_id, report_dir, outcomes, expected, check_mode):
    """What set_stats gives AWX / Automation Platform: the fleet totals and each server's."""
    return dict(run_id=run_id, report_dir=report_dir, check_mode=check_mode,
                servers_expected=expected, totals=totals(outcomes),
                servers=dict((o['host'], dict(status=o['status'], summary=o['summary'],
                                              report=o['files'].get('report', '')))
                             for o in outcomes))
