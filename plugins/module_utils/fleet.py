# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xivo.confd developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's fleet work, in pure functions: what each server is given, which inventory hosts
are the same server, the outcome of each server, the summary lines, the fleet report, the
retention of backups.

FOR INTERNAL COLLECTION USE ONLY: names here may change without notice.
Used by the action plugins xivo.confd.fleet_import and xivo.confd.fleet_result.
"""

from __future__ import annotations

import concurrent.futures
import fcntl
import json
import os
import stat

from ansible_collections.xivo.confd.plugins.module_utils import (
    file_output, output_directory, reports, role_options)
from ansible_collections.xivo.confd.plugins.module_utils.import_plan import STATUSES, summarize
from ansible_collections.xivo.confd.plugins.module_utils.secrets import scrub_text
from ansible_collections.xivo.confd.plugins.module_utils.server_lock import server_identity
from ansible_collections.xivo.confd.plugins.module_utils.text import sanitize_message

PREFIX = role_options.PREFIX

# The role's directories when their variable is empty, under the playbook directory.
DEFAULT_DIRS = role_options.DEFAULT_DIRS
# Role variables (without the prefix) that name files: relative to the playbook directory.
PATH_OPTIONS = ('legacy_csv', 'csv', 'work_dir', 'report_dir', 'backup_dir', 'ca_path')

# The statuses of a ServerOutcome.
IMPORTED = 'imported'               # every row was tried (some may have failed)
CHECKED = 'checked'                 # check mode: every row was checked, nothing was imported
DONE = (IMPORTED, CHECKED)
NOT_IMPORTED = 'not imported'       # configuration, conversion or file problem: nothing sent
UNREACHABLE = 'unreachable'         # the server could not be reached


def plain(value):
    """A templated value as plain str / int / list / dict (Ansible's tagged strings copy slowly,
    and the argument validator copies every value)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return dict((plain(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def default_dir(playbook_dir, name):
    return os.path.join(playbook_dir, DEFAULT_DIRS[name])


def host_options(validated, playbook_dir):
    """A host's checked role variables (role_options.check: without the prefix), with their
    paths taken from the playbook directory and the empty directories given their default."""
    values = dict(validated)
    # The part of each output directory the operator configured (a link they made there is
    # followed): the variable's value, or for a default the playbook directory; what lies
    # below is the collection's (output_directory.open_directory).
    bases = {}
    for name in DEFAULT_DIRS:
        if not values.get(name):
            values[name] = DEFAULT_DIRS[name]
            bases[name] = playbook_dir
    for name in PATH_OPTIONS:
        if values.get(name):
            values[name] = os.path.join(playbook_dir, os.path.expanduser(values[name]))
            bases.setdefault(name, values[name])
    values['bases'] = dict((name, bases[name]) for name in OUTPUT_DIRS if name in bases)
    return values


# The directories a host's run writes in, checked before anything is sent to any server.
OUTPUT_DIRS = ('work_dir', 'report_dir', 'backup_dir')
# Per-host files go under this subdirectory of a report directory, fleet-level files beside
# it: no inventory host name can make a per-host file take a fleet file's name.
HOSTS_DIR = 'hosts'


def host_file(directory, host, suffix):
    """A per-host file of a report directory (of a run, or the latest): hosts/<host><suffix>."""
    return reports.inside(os.path.join(directory, HOSTS_DIR), reports.safe_stem(host) + suffix)


def check_output_dirs(options, check_mode, checked=None, unusable=None):
    """(errors, warnings) of a host's output directories: each must be (or be made) a
    directory the running user can write, reached without a link someone else planted.
    ``checked``: a dict caching the answer per directory across the hosts of a run;
    ``unusable``: a set given the names of the options whose directory cannot be used."""
    errors, warnings = [], []
    checked = {} if checked is None else checked
    bases = options.get('bases') or {}
    for name in OUTPUT_DIRS:
        path = options.get(name)
        if not path or (check_mode and name != 'work_dir'):
            continue        # check mode writes no report nor backup
        # The directory and the ones the collection makes in it (a link planted there is
        # refused now, not after the import).
        for directory in [path] + [os.path.join(path, sub) for sub in SUBDIRS.get(name, ())]:
            key = (directory, bases.get(name), check_mode)
            if key not in checked:
                checked[key] = output_directory.check_output_directory(directory, bases.get(name),
                                                                       check_mode)
            error, found = checked[key]
            if error:
                errors.append('its %s %s (%s) cannot be used: %s' % (
                    name.replace('_dir', ' directory'), path, PREFIX + name, error))
                if unusable is not None:
                    unusable.add(name)
                break
            warnings.extend(w for w in found if w not in warnings)
    return errors, warnings


SUBDIRS = dict(work_dir=('runs',), report_dir=(HOSTS_DIR, 'runs'))


def duplicate_servers(servers):
    """{host: [other hosts]} for inventory hosts that reach the same server (address, port,
    and tenant on a Wazo server): two imports into one place at once would import users twice."""
    hosts = sorted(servers)
    # Names are resolved at once (a fleet named in DNS would otherwise wait for each in turn).
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(16, len(hosts)))) as pool:
        identities = list(pool.map(lambda host: server_identity(*servers[host]), hosts))
    by_server = {}
    for host, identity in zip(hosts, identities):
        by_server.setdefault(identity, []).append(host)
    duplicates = {}
    for identity, hosts in by_server.items():
        if len(hosts) > 1:
            for host in hosts:
                duplicates[host] = (identity, sorted(h for h in hosts if h != host))
    return duplicates


def server_label(host, port=None):
    """How messages and reports name a host's server before it is reached: 'host:port', or
    the host alone when the port is the platform's default (known once the server is
    reached: ConfdClient.reached)."""
    return ':'.join(str(part) for part in (host or '?', port) if part)


def duplicate_message(host, identity, others):
    return ('%s is the same server (%s) as %s: nothing was imported into any of them. Give each '
            'server (each tenant of a Wazo server) one inventory host (two imports into one '
            'server at once would import users twice).' % (host, identity, ', '.join(others)))


def unreadable_file(path, what, directory_allowed=False):
    """Why the input ``path`` (``what`` it is, for the message) cannot be read; '' when it
    can. Asked for every host before any server is touched: a wrong path fails its host
    alone, with this reason, instead of an error in the middle of the fleet's work."""
    if not os.path.exists(path):
        return '%s %s does not exist' % (what, path)
    if os.path.isdir(path):
        if directory_allowed:
            return '' if os.access(path, os.R_OK | os.X_OK) else \
                '%s %s is a directory that cannot be read' % (what, path)
        return '%s %s is a directory, not a file' % (what, path)
    try:
        with open(path, 'rb') as handle:
            handle.read(1)
    except OSError as exc:
        return '%s %s cannot be read: %s' % (what, path, exc.strerror or exc)
    return ''


def input_problems(options, connection):
    """Every reason a host's inputs cannot be used, from its role options (host_options) and
    its checked connection options: the files it reads (the source, the CA file). The
    directories it writes are check_output_dirs' part."""
    problems = []
    if options.get('legacy_csv'):
        problems.append(unreadable_file(options['legacy_csv'],
                                        'the legacy file (xivo_user_migration_legacy_csv)'))
    if options.get('csv'):
        problems.append(unreadable_file(options['csv'],
                                        'the confd file (xivo_user_migration_csv)'))
    if connection.get('ca_path') and connection.get('validate_certs', True):
        # A directory of certificates is what requests takes as well as a file.
        problems.append(unreadable_file(connection['ca_path'], 'the CA file (ca_path)',
                                        directory_allowed=True))
    return [p for p in problems if p]


def crashed(host, server, exc, outcomes=(), check_mode=False, secrets=()):
    """The outcome of a server whose work raised ``exc`` (a bug, or a file that could not be
    written): that server fails, with the reason; the others carry on. The rows handled
    before are counted (changed when users were created), the others are not tried."""
    summary = summarize(outcomes)
    for pending in [k for k in summary if k not in STATUSES and k != 'total']:
        summary['not_tried'] = summary.get('not_tried', 0) + summary.pop(pending)
    reason = sanitize_message(scrub_text('%s: %s' % (type(exc).__name__, exc), set(secrets)),
                              2000)
    done = summary.get('created', 0) + summary.get('updated', 0)
    msg = 'stopped by an unexpected error (%s)%s' % (
        reason, '; %d users were created or updated before it: see the report' % done
        if done else '; nothing was imported')
    return ServerOutcome.of(host, server, NOT_IMPORTED, msg, result=dict(summary=summary),
                            check_mode=check_mode)


class ServerOutcome(dict):
    """What one server's migration ended with: the small record fleet_result reads."""

    @classmethod
    def of(cls, host, server, status, msg='', result=None, conversion=None, files=None,
           check_mode=False):
        result = result or {}
        if status == IMPORTED and check_mode:
            status = CHECKED            # a dry run imports nothing: it never says "imported"
        summary = dict((k, (result.get('summary') or {}).get(k, 0)) for k in STATUSES)
        summary['total'] = (result.get('summary') or {}).get('total', 0)
        outcome = cls(host=host, server=server, status=status, msg=msg, summary=summary,
                      check_mode=check_mode, files=files or {},
                      conversion=conversion or {}, changed=bool(
                          summary['created'] or summary['updated'] or summary['would_create']
                          or summary['would_update']))
        for key in ('run_id', 'interrupted', 'error', 'timings', 'prediction', 'src'):
            if result.get(key):
                outcome[key] = result[key]
        return outcome


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


# The backups the collection wrote in a backup directory, in the order written: what pruning
# goes by (never file names: a file named as if from the future is nobody's backup). A dot
# name, which no host's file can have (reports.safe_stem drops leading dots).
BACKUP_MANIFEST = '.xivo.confd-backups.json'
BACKUP_MANIFEST_LOCK = '.xivo.confd-backups.lock'


class _Manifest:
    """The backup manifest of a directory, held under its lock (flock: across processes, and
    across threads, each opening its own file description)."""

    def __init__(self, directory, base=None):
        self.directory = os.path.abspath(directory)
        self.base = base

    def __enter__(self):
        self._dir = output_directory.open_directory(self.directory, base=self.base, create=True)
        try:
            self._lock = output_directory.open_file_at(
                self._dir.fd, BACKUP_MANIFEST_LOCK,
                os.path.join(self.directory, BACKUP_MANIFEST_LOCK), os.O_RDWR | os.O_CREAT)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            text = file_output.read_private_file(
                os.path.join(self.directory, BACKUP_MANIFEST), base=self.base)
            try:
                self.entries = json.loads(text.decode('utf-8'))['backups'] if text else []
            except (UnicodeDecodeError, ValueError, KeyError, TypeError):
                self.entries = []   # damaged: prunes nothing (only a recorded file is removed)
        except BaseException:
            self._dir.close()
            raise
        return self

    def save(self):
        file_output.write_private_file(
            os.path.join(self.directory, BACKUP_MANIFEST),
            reports.report_json(dict(backups=self.entries)).encode('utf-8'), base=self.base)

    def __exit__(self, *exc):
        try:
            os.close(self._lock)        # releases the flock
        finally:
            self._dir.close()


def _identity(info):
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns]


def record_backup(path, host, run_id, base=None):
    """Record in its directory's manifest the backup ``path`` of ``host`` this run wrote."""
    directory, name = os.path.split(os.path.abspath(path))
    with _Manifest(directory, base) as manifest:
        info = os.lstat(name, dir_fd=manifest._dir.fd)
        manifest.entries = [e for e in manifest.entries if e.get('file') != name]
        manifest.entries.append(dict(host=host, file=name, run_id=run_id,
                                     identity=_identity(info), written=reports.utc_now()))
        manifest.save()


def prune_backups(directory, host, keep, current=None, base=None):
    """Keep the ``keep`` newest backups of ``host`` that the collection recorded writing
    (0 keeps them all); returns the removed. A file is removed only while it is still the
    recorded one (same file, size and time); the backup ``current`` (this run's) is never
    removed; a file the manifest does not name is never touched, whatever its name. Backups
    hold every secret of a server: they should not pile up unnoticed."""
    if not keep or not os.path.isdir(directory):
        return []
    current = os.path.basename(current) if current else None
    removed = []
    with _Manifest(directory, base) as manifest:
        mine = [e for e in manifest.entries if e.get('host') == host]
        kept = set(id(e) for e in mine[-keep:])
        gone = set()
        for entry in mine:
            if id(entry) in kept or entry.get('file') == current:
                continue
            name = str(entry.get('file', ''))
            info = output_directory.lstat_at(manifest._dir.fd, name) if name and \
                os.sep not in name and name not in ('.', '..') else None
            if info is not None and stat.S_ISREG(info.st_mode) and \
                    _identity(info) == entry.get('identity'):
                os.unlink(name, dir_fd=manifest._dir.fd)
                removed.append(os.path.join(manifest.directory, name))
            gone.add(id(entry))     # removed, or no longer the file recorded: forgotten
        if gone:
            manifest.entries = [e for e in manifest.entries if id(e) not in gone]
            manifest.save()
    return removed


def read_outcomes(run_dir, hosts=None):
    """The outcomes recorded so far in one run (all batches), by host."""
    found = {}
    directory = os.path.join(run_dir, HOSTS_DIR)
    if not os.path.isdir(directory):
        return found
    for name in os.listdir(directory):
        if name.endswith('.outcome.json'):
            text = file_output.read_private_file(os.path.join(directory, name), base=run_dir)
            if text is None:
                continue
            outcome = ServerOutcome(json.loads(text.decode('utf-8')))
            if hosts is None or outcome['host'] in hosts:
                found[outcome['host']] = outcome
    return found


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


def outcome_path(run_dir, host):
    return host_file(run_dir, host, '.outcome.json')


def stats(run_id, report_dir, outcomes, expected, check_mode):
    """What set_stats gives AWX / Automation Platform: the fleet totals and each server's."""
    return dict(run_id=run_id, report_dir=report_dir, check_mode=check_mode,
                servers_expected=expected, totals=totals(outcomes),
                servers=dict((o['host'], dict(status=o['status'], summary=o['summary'],
                                              report=o['files'].get('report', '')))
                             for o in outcomes))
